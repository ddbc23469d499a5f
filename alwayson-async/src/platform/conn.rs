//! One task per platform connection: drives a `PlatformSession` over its websocket.

use super::admission::Ticket;
use super::{ConnectionInfo, PlatformNotice, Shared};
use crate::error::{Error, Result};
use crate::pump::Pumped;
use crate::runtime::{sleep_until, Runtime};
use crate::wsio::{linger, send_close, Ws, WsEvent};
use alwayson_proto::platform::{CloseReason, ConnectionEvent};
use alwayson_proto::{Input, Output, PlatformEvent, PlatformSession, Request, Response};
use futures_channel::{mpsc, oneshot};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, SinkExt, StreamExt};
use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

/// Commands to a connection task.
pub(crate) enum ConnCommand {
    /// Send a platform→edge request; the reply gets its response.
    /// (Boxed: channel slots are allocated in blocks; a small enum keeps idle connections
    /// small.)
    Request(Box<(Request, oneshot::Sender<Result<Response>>)>),
    /// A spawned edge-request handler finished.
    Respond { id: u32, response: Box<Response> },
    /// What the endpoint addressed to this connection (last-in-wins: a thing taken).
    Endpoint(ConnectionEvent),
}

/// Inputs handled per wake-up before outputs are flushed (batching under load).
const BATCH: usize = 128;

/// What woke a connection task.
enum Wake {
    Ws(Option<WsEvent>),
    Command(ConnCommand),
    Timer,
    Shutdown,
}

/// One connection's state. Built (boxed) at the upgrade and driven by [`run_connection`]:
/// the task's future then holds a pointer rather than a copy of the session at each of its
/// await points (memory per idle connection).
pub(crate) struct Conn<R> {
    shared: Arc<Shared>,
    info: ConnectionInfo,
    session: PlatformSession,
    /// The session's next deadline, from the `Output::Timeout` that ended the last drain.
    deadline: Option<Instant>,
    pending: HashMap<u32, oneshot::Sender<Result<Response>>>,
    self_tx: mpsc::Sender<ConnCommand>,
    /// Where [`ConnCommand`]s for this connection arrive.
    rx: mpsc::Receiver<ConnCommand>,
    /// The websocket is gone (or a close was sent): stop after draining events.
    gone: bool,
    finished: bool,
    /// We sent a close frame: let the socket linger for the peer's close.
    closed_by_us: bool,
    /// This connection's place in the platform's admission (not shed once authenticated).
    ticket: Arc<Ticket>,
    /// Why the websocket failed, when reading it did (reported instead of ConnectionLost).
    transport_error: Option<String>,
    runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> Conn<R> {
    /// The state of a connection whose websocket is being upgraded.
    pub(crate) fn new(
        shared: Arc<Shared>,
        info: ConnectionInfo,
        session: PlatformSession,
        ticket: Arc<Ticket>,
    ) -> Box<Self> {
        let (self_tx, rx) = mpsc::channel(128);
        Box::new(Self {
            shared,
            info,
            session,
            deadline: None,
            pending: HashMap::new(),
            self_tx,
            rx,
            gone: false,
            finished: false,
            closed_by_us: false,
            ticket,
            transport_error: None,
            runtime: PhantomData,
        })
    }
}

pub(crate) async fn run_connection<R: Runtime>(mut conn: Box<Conn<R>>, mut ws: Ws) {
    let shared = conn.shared.clone();
    shared
        .conns
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(conn.info.id, conn.self_tx.clone());
    shared.notify(PlatformNotice::Opened {
        conn: conn.info.id,
        peer: conn.info.peer,
    });
    let mut shutting_down = false;
    tracing::debug!(conn = conn.info.id, peer = %conn.info.peer, chunk_size = conn.session.chunk_size(), "connection opened");

    let mut turn = 0u8;
    // Made once: it is polled on every wake-up until the platform shuts down.
    let mut stop = std::pin::pin!(shared.shutdown.wait_for(|stop| *stop));
    // The first deadlines (auth, idle).
    conn.pump(&mut ws).await;
    while !conn.finished {
        let wake = {
            let deadline = conn.deadline;
            turn = turn.wrapping_add(1);
            let ws_first = turn % 2 == 0;
            let mut timer = std::pin::pin!(sleep_until::<R>(deadline));
            let (ws, rx) = (&mut ws, &mut conn.rx);
            std::future::poll_fn(|cx| {
                for i in 0..2 {
                    if (i == 0) == ws_first {
                        if let Poll::Ready(msg) = ws.poll_next_unpin(cx) {
                            return Poll::Ready(Wake::Ws(msg.map(WsEvent::from_result)));
                        }
                    } else if let Poll::Ready(Some(cmd)) = rx.poll_next_unpin(cx) {
                        return Poll::Ready(Wake::Command(cmd));
                    }
                }
                if timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Wake::Timer);
                }
                if !shutting_down && stop.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Wake::Shutdown);
                }
                Poll::Pending
            })
            .await
        };
        match wake {
            Wake::Ws(msg) => {
                conn.on_ws(msg);
                // Batch whatever else is already buffered.
                for _ in 0..BATCH {
                    if conn.gone {
                        break;
                    }
                    match ws.next().now_or_never() {
                        Some(msg) => conn.on_ws(msg.map(WsEvent::from_result)),
                        None => break,
                    }
                }
            }
            Wake::Command(cmd) => {
                conn.on_command(cmd);
                for _ in 0..BATCH {
                    match conn.rx.try_recv() {
                        Ok(cmd) => conn.on_command(cmd),
                        _ => break,
                    }
                }
            }
            Wake::Timer => conn.input(Input::Timeout),
            Wake::Shutdown => {
                shutting_down = true;
                conn.session.close(Instant::now(), "platform shutting down");
            }
        }
        conn.pump(&mut ws).await;
    }
    // Release everything.
    shared
        .conns
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&conn.info.id);
    if conn.closed_by_us {
        linger::<R>(ws);
    }
    for (_, reply) in conn.pending.drain() {
        let _ = reply.send(Err(Error::Disconnected));
    }
    tracing::debug!(conn = conn.info.id, "connection task ended");
}

impl<R: Runtime> Conn<R> {
    fn input(&mut self, input: Input) {
        let unanswered = self.session.stats().unanswered_malformed;
        if let Err(e) = self.session.handle_input(Instant::now(), input) {
            let answered = self.session.stats().unanswered_malformed == unanswered;
            if self.session.is_authenticated() {
                // An authenticated peer: its refused messages are worth a line each.
                tracing::info!(conn = self.info.id, peer = %self.info.peer, error = %e, answered, "message from edge refused");
            } else {
                tracing::debug!(conn = self.info.id, error = %e, "bad message from edge");
            }
        }
    }

    fn on_ws(&mut self, msg: Option<WsEvent>) {
        match msg {
            Some(WsEvent::Binary(bytes)) => self.input(Input::Message(bytes)),
            Some(WsEvent::Ping) => self.input(Input::Ping),
            Some(WsEvent::Pong) => self.input(Input::Pong),
            Some(WsEvent::Ignored) => {}
            Some(WsEvent::PeerClosed(code, reason)) => {
                if !self.gone {
                    self.gone = true;
                    self.input(Input::PeerClosed { code, reason });
                }
            }
            Some(WsEvent::Failed(cause)) => {
                if !self.gone {
                    self.gone = true;
                    self.transport_error = Some(cause);
                    self.input(Input::Closed);
                }
            }
            None => {
                if !self.gone {
                    self.gone = true;
                    self.input(Input::Closed);
                }
            }
        }
    }

    fn on_command(&mut self, cmd: ConnCommand) {
        let now = Instant::now();
        match cmd {
            ConnCommand::Request(cmd) => {
                let (request, reply) = *cmd;
                match self.session.request(now, request) {
                    Ok(id) => {
                        self.pending.insert(id, reply);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e.into()));
                    }
                }
            }
            ConnCommand::Respond { id, response } => {
                if let Err(e) = self.session.respond(id, *response) {
                    tracing::debug!(conn = self.info.id, id, error = %e, "response not sent");
                }
            }
            ConnCommand::Endpoint(event) => self.session.handle_connection_event(event),
        }
    }

    fn on_event(&mut self, event: PlatformEvent) {
        let conn = self.info.id;
        match event {
            PlatformEvent::AuthRejected => {
                // The close that follows is logged at INFO with this cause.
                tracing::debug!(conn, peer = %self.info.peer, "credentials refused");
                self.shared.notify(PlatformNotice::AuthRejected { conn });
            }
            PlatformEvent::Authenticated { session_id } => {
                self.ticket.established();
                self.shared
                    .notify(PlatformNotice::Authenticated { conn, session_id });
            }
            PlatformEvent::Bound { name } => self.shared.notify(PlatformNotice::Bound {
                conn,
                name: name.to_str_lossy().into_owned(),
            }),
            PlatformEvent::BindRefused { name, holder } => {
                self.shared.notify(PlatformNotice::BindRefused {
                    conn,
                    name: name.to_str_lossy().into_owned(),
                    holder,
                })
            }

            PlatformEvent::BindCapReached { limit, refused } => {
                tracing::warn!(conn, peer = %self.info.peer, limit, refused, "BIND beyond the per-connection cap: names refused");
            }
            PlatformEvent::Unbound { name } => self.shared.notify(PlatformNotice::Unbound {
                conn,
                name: name.to_str_lossy().into_owned(),
            }),
            PlatformEvent::Request { id, request } => {
                let fut = self.shared.handler.handle(self.info.clone(), request);
                self.answer(id, fut);
            }
            PlatformEvent::Push { id, push } => {
                let fut = match &self.shared.push_handler {
                    Some(h) => h.handle(self.info.clone(), push),
                    // `push_events` set through the session config without a push handler.
                    None => self
                        .shared
                        .handler
                        .handle(self.info.clone(), push.to_request()),
                };
                self.answer(id, fut);
            }
            PlatformEvent::Response { id, result } => {
                if let Some(reply) = self.pending.remove(&id) {
                    let _ = reply.send(result.map_err(Error::from));
                }
            }
            PlatformEvent::Closed { reason } => {
                let reason = match (reason, self.transport_error.take()) {
                    (CloseReason::ConnectionLost, Some(cause)) => CloseReason::Transport(cause),
                    (reason, _) => reason,
                };
                self.shared.closed(conn, self.info.peer, reason);
                self.finished = true;
            }
            // AuthRequested (the endpoint's policy decides, never the application here),
            // ThingMoved (relayed through the endpoint).
            _ => {}
        }
    }

    /// Answers edge request `id` with `fut`'s response: inline when it is ready at once,
    /// otherwise from a task of its own (a slow handler never stalls the connection).
    fn answer(&mut self, id: u32, mut fut: BoxFuture<'static, Response>) {
        match (&mut fut).now_or_never() {
            Some(response) => {
                if let Err(e) = self.session.respond(id, response) {
                    tracing::debug!(conn = self.info.id, id, error = %e, "response not sent");
                }
            }
            None => {
                let mut tx = self.self_tx.clone();
                R::spawn(async move {
                    let response = fut.await;
                    let _ = tx
                        .send(ConnCommand::Respond {
                            id,
                            response: Box::new(response),
                        })
                        .await;
                });
            }
        }
    }

    /// Hands the session's endpoint events to the endpoint and carries what it addresses
    /// to another connection there.
    fn relay(&mut self) {
        while let Some(event) = self.session.poll_endpoint_event() {
            let Some((to, event)) = self.shared.endpoint().handle_event(self.info.id, event) else {
                continue;
            };
            let tx = self
                .shared
                .conns
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(&to)
                .cloned();
            if let Some(mut tx) = tx {
                R::spawn(async move {
                    let _ = tx.send(ConnCommand::Endpoint(event)).await;
                });
            }
        }
    }

    /// Drains the session (the shared [`pump`](crate::pump::pump)) over `ws`.
    async fn pump(&mut self, ws: &mut Ws) {
        crate::pump::pump(&mut ConnIo { conn: self, ws }).await;
        if self.gone && !self.finished {
            // The session reports Closed after handle_closed; if it did not, stop anyway.
            let reason = match self.transport_error.take() {
                Some(cause) => CloseReason::Transport(cause),
                None => CloseReason::ConnectionLost,
            };
            self.shared.closed(self.info.id, self.info.peer, reason);
            self.finished = true;
        }
    }
}

/// A connection task and its websocket, drained by [`pump`](crate::pump::pump).
struct ConnIo<'a, R> {
    conn: &'a mut Conn<R>,
    ws: &'a mut Ws,
}

impl<R: Runtime> Pumped for ConnIo<'_, R> {
    type Event = PlatformEvent;

    fn poll_output(&mut self) -> Output<PlatformEvent> {
        self.conn.session.poll_output()
    }

    fn on_event(&mut self, event: PlatformEvent) {
        self.conn.on_event(event);
    }

    fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.conn.deadline = deadline;
    }

    fn ws(&mut self) -> Option<&mut Ws> {
        (!self.conn.gone).then_some(&mut *self.ws)
    }

    fn write_failed(&mut self) {
        tracing::debug!(
            conn = self.conn.info.id,
            "websocket gone after a failed write"
        );
        self.conn.on_ws(None);
    }

    /// Hands the session's endpoint events on.
    fn after_drain(&mut self) {
        self.conn.relay();
    }

    async fn close(&mut self, code: u16, reason: String) {
        if !self.conn.gone {
            // Boxed: the bounded close (a timer and the close frame) happens once per
            // connection; inline it would be part of every idle connection's task.
            Box::pin(send_close::<R>(self.ws, code, reason)).await;
            self.conn.closed_by_us = true;
            self.conn.on_ws(None);
        }
    }
}
