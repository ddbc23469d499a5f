//! Websocket plumbing shared by both sides: sans-IO transmits → websocket messages.

use alwayson_proto::Transmit;
use bytes::Bytes;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

/// What one websocket read means to a session.
#[derive(Debug)]
pub(crate) enum WsEvent {
    /// A binary message: one AlwaysOn message or chunk.
    Binary(Bytes),
    /// A ping (tungstenite queues the pong itself).
    Ping,
    /// A pong.
    Pong,
    /// Text or raw frames: not used by the protocol.
    Ignored,
    /// Close frame received, or a read error.
    Closed,
}

impl WsEvent {
    pub(crate) fn from_result(r: Result<Message, WsError>) -> Self {
        match r {
            Ok(Message::Binary(b)) => WsEvent::Binary(b),
            Ok(Message::Ping(_)) => WsEvent::Ping,
            Ok(Message::Pong(_)) => WsEvent::Pong,
            Ok(Message::Text(_)) | Ok(Message::Frame(_)) => WsEvent::Ignored,
            Ok(Message::Close(_)) => WsEvent::Closed,
            Err(e) => {
                tracing::debug!(error = %e, "websocket read failed");
                WsEvent::Closed
            }
        }
    }
}

/// A close frame; the reason is cut to 110 bytes (sdk-quirks.md Q38) on a char boundary.
pub(crate) fn close_frame(code: u16, mut reason: String) -> CloseFrame {
    if reason.len() > 110 {
        let mut cut = 110;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.truncate(cut);
    }
    CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }
}

/// Queues one transmit (no flush). `Transmit::Close` must be handled by the caller.
pub(crate) async fn send_transmit<S>(
    ws: &mut WebSocketStream<S>,
    t: Transmit,
) -> Result<(), WsError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match t {
        Transmit::Message(bytes) => ws.feed(Message::Binary(bytes)).await,
        // The reference SDK sends its local time as `HH:MM:SS`; any payload is accepted.
        Transmit::Ping => ws.feed(Message::Ping(Bytes::new())).await,
        Transmit::Close { code, reason } => {
            ws.feed(Message::Close(Some(close_frame(code, reason))))
                .await
        }
    }
}

/// Resolves once the flag is `true` (or its sender is gone).
pub(crate) async fn wait_true(rx: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// Sends a close frame and flushes it (bounded: a peer that stopped reading cannot stall
/// the caller for more than a second).
pub(crate) async fn send_close<S>(ws: &mut WebSocketStream<S>, code: u16, reason: String)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let frame = close_frame(code, reason);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), ws.close(Some(frame))).await;
}

/// After our close frame: wait (in the background, at most a second) for the peer's close
/// or EOF before dropping the socket, so unread data does not turn the close into a reset.
pub(crate) fn linger<S>(mut ws: WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use futures_util::StreamExt;
    tokio::spawn(async move {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
            while let Some(Ok(_)) = ws.next().await {}
        })
        .await;
    });
}
