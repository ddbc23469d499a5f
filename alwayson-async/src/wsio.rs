//! Websocket plumbing shared by both sides: sans-IO transmits → websocket messages, over
//! any futures-io byte stream (TCP or TLS).

use crate::runtime::{timeout, Runtime};
use alwayson_proto::Transmit;
use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use async_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use async_tungstenite::tungstenite::{Error as WsError, Message};
use async_tungstenite::WebSocketStream;
use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use futures_util::SinkExt;
use std::time::Duration;

/// The websocket resource edges connect to.
pub const WS_PATH: &str = "/Thingworx/WS";

/// A byte stream a websocket runs over (TCP, or TLS over TCP).
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Either side's websocket.
pub(crate) type Ws = WebSocketStream<Box<dyn Io>>;

/// Websocket settings for both sides: small eager read buffer (memory per idle connection),
/// receive limits above the largest message (one AlwaysOn message or chunk per frame).
pub(crate) fn ws_config(max_message_size: usize) -> WebSocketConfig {
    let limit = max_message_size.saturating_add(64 * 1024);
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(64 * 1024)
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit))
}

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
    /// The peer's close frame: its status code (1005 when it had none) and reason (read by
    /// the platform; the edge treats it as a lost link).
    #[cfg_attr(not(feature = "platform"), allow(dead_code))]
    PeerClosed(u16, String),
    /// Reading the websocket failed (it ended without a close frame; the end of the stream
    /// is `None`): the error in words (a message too long names both
    /// sizes; a protocol error says which; an I/O error).
    Failed(String),
}

impl WsEvent {
    pub(crate) fn from_result(r: Result<Message, WsError>) -> Self {
        match r {
            Ok(Message::Binary(b)) => WsEvent::Binary(b),
            Ok(Message::Ping(_)) => WsEvent::Ping,
            Ok(Message::Pong(_)) => WsEvent::Pong,
            Ok(Message::Text(_)) | Ok(Message::Frame(_)) => WsEvent::Ignored,
            Ok(Message::Close(frame)) => match frame {
                Some(f) => WsEvent::PeerClosed(u16::from(f.code), f.reason.to_string()),
                None => WsEvent::PeerClosed(1005, String::new()),
            },
            Err(e) => {
                tracing::debug!(error = %e, "websocket read failed");
                WsEvent::Failed(e.to_string())
            }
        }
    }
}

/// A close frame; the reason is cut to 110 bytes (sdk-quirks.md Q38) on a char boundary.
pub(crate) fn close_frame(code: u16, mut reason: String) -> CloseFrame {
    // Sessions already cut their reasons; this keeps any other caller inside a control frame.
    if reason.len() > alwayson_proto::MAX_CLOSE_REASON {
        reason = alwayson_proto::close_reason(&reason);
    }
    CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }
}

/// Queues one transmit (no flush). `Transmit::Close` must be handled by the caller.
pub(crate) async fn send_transmit(ws: &mut Ws, t: Transmit) -> Result<(), WsError> {
    match t {
        Transmit::Message(bytes) => ws.feed(Message::Binary(bytes)).await,
        // The reference SDK sends its local time as `HH:MM:SS`; any payload is accepted.
        Transmit::Ping => ws.feed(Message::Ping(Bytes::new())).await,
        Transmit::Close { code, reason } => {
            ws.feed(Message::Close(Some(close_frame(code, reason))))
                .await
        }
        // A kind added to alwayson-proto after this code was written.
        other => {
            tracing::warn!(transmit = ?other, "transmit of an unknown kind not sent");
            Ok(())
        }
    }
}

/// Sends a close frame and flushes it (bounded: a peer that stopped reading cannot stall
/// the caller for more than a second).
pub(crate) async fn send_close<R: Runtime>(ws: &mut Ws, code: u16, reason: String) {
    let frame = close_frame(code, reason);
    let _ = timeout::<R, _>(Duration::from_secs(1), ws.close(Some(frame))).await;
}

/// After our close frame: wait (in the background, at most a second) for the peer's close
/// or EOF before dropping the socket, so unread data does not turn the close into a reset.
pub(crate) fn linger<R: Runtime>(mut ws: Ws) {
    use futures_util::StreamExt;
    R::spawn(async move {
        let _ = timeout::<R, _>(Duration::from_secs(1), async {
            while let Some(Ok(_)) = ws.next().await {}
        })
        .await;
    });
}
