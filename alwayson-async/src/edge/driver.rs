//! The edge's single driver task: owns the `EdgeSession` (across reconnects), the
//! websocket, the backoff timer and the map of waiting requests.

use super::link::{open, Target};
use super::thing::{Answer, Things};
use super::{ConnectionState, EdgeNotice};
use crate::backoff::{Backoff, Reconnect};
use crate::error::{Error, Result};
use crate::notices::Publisher;
use crate::runtime::{deadline_after, sleep_until, Runtime};
use crate::watch::Watch;
use crate::wsio::{linger, send_close, send_transmit, Ws, WsEvent};
use alwayson_proto::edge::{AuthFailure, DisconnectReason};
use alwayson_proto::{
    EdgeConfig, EdgeEvent, EdgeSession, EdgeState, Request, Response, Transmit, Value, WireString,
};
use futures_channel::{mpsc, oneshot};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, SinkExt, StreamExt};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

/// Inputs handled per wake-up before outputs are flushed.
const BATCH: usize = 128;

/// A request from the API (boxed: channel slots are allocated in blocks, so the command
/// enum is kept small for idle connections).
pub(crate) struct RequestCmd {
    pub request: Request,
    pub reply: oneshot::Sender<Result<Response>>,
    /// Written locally when the request succeeds (property writes).
    pub local: Option<(String, String, Value)>,
}

pub(crate) enum Command {
    Request(Box<RequestCmd>),
    Bind {
        names: Vec<WireString>,
        unbind: bool,
        reply: oneshot::Sender<Result<()>>,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

struct Pending {
    reply: oneshot::Sender<Result<Response>>,
    submitted: Instant,
    local: Option<(String, String, Value)>,
}

struct BindWait {
    remaining: HashSet<WireString>,
    unbind: bool,
    error: Option<Error>,
    reply: oneshot::Sender<Result<()>>,
}

enum Link {
    /// No websocket; connect at `retry_at` (never when `None`).
    Idle {
        retry_at: Option<Instant>,
    },
    Connecting(BoxFuture<'static, Result<Box<Ws>>>),
    Up(Box<Ws>),
}

enum LinkEvent {
    RetryDue,
    Connected(Result<Box<Ws>>),
    Ws(Option<WsEvent>),
}

impl Link {
    /// The next thing that happens to the link (cancel-safe: state lives in `self`).
    async fn next<R: Runtime>(&mut self) -> LinkEvent {
        match self {
            Link::Idle { retry_at: Some(t) } => {
                R::sleep_until(*t).await;
                LinkEvent::RetryDue
            }
            Link::Idle { retry_at: None } => std::future::pending().await,
            Link::Connecting(fut) => LinkEvent::Connected(fut.await),
            Link::Up(ws) => LinkEvent::Ws(ws.next().await.map(WsEvent::from_result)),
        }
    }
}

/// What woke the driver.
enum Wake {
    Link(LinkEvent),
    Command(Option<Command>),
    Answer(u32, Box<Response>),
    Timer,
}

pub(crate) struct Driver<R> {
    session: EdgeSession,
    target: Arc<Target>,
    things: Arc<Things>,
    cmd_rx: mpsc::Receiver<Command>,
    api_open: bool,
    answers_tx: mpsc::Sender<(u32, Box<Response>)>,
    answers_rx: mpsc::Receiver<(u32, Box<Response>)>,
    state: Watch<ConnectionState>,
    notices: Publisher<EdgeNotice>,
    ready: Option<oneshot::Sender<Result<()>>>,
    /// Initial BIND names not answered yet (connect() resolves when empty).
    initial: HashSet<WireString>,
    authenticated_once: bool,
    pending: HashMap<u32, Pending>,
    bind_waits: Vec<BindWait>,
    backoff: Backoff,
    link: Link,
    last_error: Option<Error>,
    close_requested: Option<(u16, String)>,
    closing_deadline: Option<Instant>,
    shutdown_replies: Vec<oneshot::Sender<()>>,
    finished: bool,
    /// Which input is polled first on the next wake-up (rotates, so none starves).
    turn: u8,
    runtime: PhantomData<fn() -> R>,
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl<R: Runtime> Driver<R> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        config: EdgeConfig,
        target: Arc<Target>,
        things: Arc<Things>,
        names: Vec<String>,
        reconnect: Reconnect,
        cmd_rx: mpsc::Receiver<Command>,
        state: Watch<ConnectionState>,
        notices: Publisher<EdgeNotice>,
        ready: oneshot::Sender<Result<()>>,
    ) -> Self {
        let mut session = EdgeSession::new(config);
        let initial: HashSet<WireString> = names.iter().map(|n| n.as_str().into()).collect();
        if !names.is_empty() {
            session.bind(Instant::now(), names);
        }
        let (answers_tx, answers_rx) = mpsc::channel(64);
        Self {
            session,
            target,
            things,
            cmd_rx,
            api_open: true,
            answers_tx,
            answers_rx,
            state,
            notices,
            ready: Some(ready),
            initial,
            authenticated_once: false,
            pending: HashMap::new(),
            bind_waits: Vec::new(),
            backoff: Backoff::new(reconnect),
            link: Link::Idle {
                retry_at: Some(Instant::now()),
            },
            last_error: None,
            close_requested: None,
            closing_deadline: None,
            shutdown_replies: Vec::new(),
            finished: false,
            turn: 0,
            runtime: PhantomData,
        }
    }

    fn notify(&self, notice: EdgeNotice) {
        self.notices.publish(notice);
    }

    fn set_state(&self, state: ConnectionState) {
        self.state.set(state);
    }

    /// Waits for the next input: the link, an API command, a handler's answer or the
    /// session's (or the close's) deadline.
    async fn next_wake(&mut self) -> Wake {
        let deadline = earliest(self.session.poll_timeout(), self.closing_deadline);
        self.turn = self.turn.wrapping_add(1);
        let first = self.turn % 3;
        let api_open = self.api_open;
        let mut link = std::pin::pin!(self.link.next::<R>());
        let mut timer = std::pin::pin!(sleep_until::<R>(deadline));
        let cmd_rx = &mut self.cmd_rx;
        let answers_rx = &mut self.answers_rx;
        std::future::poll_fn(|cx| {
            for i in 0..3 {
                match (first + i) % 3 {
                    0 => {
                        if let Poll::Ready(ev) = link.as_mut().poll(cx) {
                            return Poll::Ready(Wake::Link(ev));
                        }
                    }
                    1 if api_open => {
                        if let Poll::Ready(cmd) = cmd_rx.poll_next_unpin(cx) {
                            return Poll::Ready(Wake::Command(cmd));
                        }
                    }
                    2 => {
                        if let Poll::Ready(Some((id, response))) = answers_rx.poll_next_unpin(cx) {
                            return Poll::Ready(Wake::Answer(id, response));
                        }
                    }
                    _ => {}
                }
            }
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Wake::Timer);
            }
            Poll::Pending
        })
        .await
    }

    pub(crate) async fn run(mut self) {
        while !self.finished {
            match self.next_wake().await {
                Wake::Link(ev) => self.on_link(ev),
                Wake::Command(Some(cmd)) => {
                    self.on_command(cmd);
                    for _ in 0..BATCH {
                        match self.cmd_rx.try_recv() {
                            Ok(cmd) => self.on_command(cmd),
                            _ => break,
                        }
                    }
                }
                Wake::Command(None) => {
                    // Every EdgeClient handle is gone.
                    self.api_open = false;
                    self.begin_close();
                }
                Wake::Answer(id, response) => self.respond(id, *response),
                Wake::Timer => {
                    let now = Instant::now();
                    if self.closing_deadline.is_some_and(|d| d <= now) {
                        tracing::debug!("close did not complete in time; stopping");
                        self.finished = true;
                    } else {
                        self.session.handle_timeout(now);
                    }
                }
            }
            self.pump().await;
        }
        self.finish();
    }

    fn on_link(&mut self, ev: LinkEvent) {
        match ev {
            LinkEvent::RetryDue => {
                self.set_state(if self.authenticated_once {
                    ConnectionState::Reconnecting
                } else {
                    ConnectionState::Connecting
                });
                self.link = Link::Connecting(Box::pin(open::<R>(self.target.clone())));
            }
            LinkEvent::Connected(Ok(ws)) => {
                tracing::debug!(url = %self.target.url, "websocket open");
                self.link = Link::Up(ws);
                self.set_state(ConnectionState::Authenticating);
                self.notify(EdgeNotice::Connected);
                self.session.handle_connected(Instant::now());
            }
            LinkEvent::Connected(Err(e)) => {
                tracing::debug!(url = %self.target.url, error = %e, "connect failed");
                self.notify(EdgeNotice::ConnectFailed {
                    attempt: self.backoff.failures() + 1,
                    error: e.to_string(),
                });
                self.last_error = Some(e);
                self.link = Link::Idle { retry_at: None };
                self.schedule_reconnect();
            }
            LinkEvent::Ws(ev) => {
                self.on_ws(ev);
                for _ in 0..BATCH {
                    let Link::Up(ws) = &mut self.link else { break };
                    match ws.next().now_or_never() {
                        Some(ev) => self.on_ws(ev.map(WsEvent::from_result)),
                        None => break,
                    }
                }
            }
        }
    }

    fn on_ws(&mut self, ev: Option<WsEvent>) {
        let now = Instant::now();
        match ev {
            Some(WsEvent::Binary(bytes)) => {
                if let Err(e) = self.session.handle_message(now, bytes) {
                    tracing::debug!(error = %e, "bad message from platform");
                }
            }
            Some(WsEvent::Pong) => self.session.handle_pong(now),
            Some(WsEvent::Ping) | Some(WsEvent::Ignored) => {}
            Some(WsEvent::Closed) | None => self.link_lost(),
        }
    }

    fn link_lost(&mut self) {
        if matches!(self.link, Link::Up(_)) {
            self.link = Link::Idle { retry_at: None };
            self.session.handle_closed(Instant::now());
        }
    }

    /// After a failed attempt or a lost connection: back off, or give up.
    fn schedule_reconnect(&mut self) {
        if self.closing_deadline.is_some() || self.session.state() == EdgeState::Closed {
            return;
        }
        if !matches!(self.link, Link::Idle { .. }) {
            return;
        }
        match self.backoff.next_delay() {
            Some(delay) => {
                tracing::debug!(?delay, "reconnecting after backoff");
                self.set_state(if self.authenticated_once {
                    ConnectionState::Reconnecting
                } else {
                    ConnectionState::Connecting
                });
                self.link = Link::Idle {
                    retry_at: deadline_after(delay),
                };
            }
            None => {
                let error = self.last_error.take().unwrap_or(Error::Disconnected);
                tracing::info!(error = %error, "giving up reconnecting");
                if let Some(ready) = self.ready.take() {
                    let _ = ready.send(Err(error));
                }
                self.finished = true;
            }
        }
    }

    fn on_command(&mut self, cmd: Command) {
        let now = Instant::now();
        match cmd {
            Command::Request(cmd) => {
                let RequestCmd {
                    request,
                    reply,
                    local,
                } = *cmd;
                if self.closing_deadline.is_some() {
                    let _ = reply.send(Err(Error::Closed));
                    return;
                }
                match self.session.request(now, request) {
                    Ok(id) => {
                        self.pending.insert(
                            id,
                            Pending {
                                reply,
                                submitted: now,
                                local,
                            },
                        );
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e.into()));
                    }
                }
            }
            Command::Bind {
                names,
                unbind,
                reply,
            } => {
                if self.closing_deadline.is_some() {
                    let _ = reply.send(Err(Error::Closed));
                    return;
                }
                self.bind_waits.push(BindWait {
                    remaining: names.iter().cloned().collect(),
                    unbind,
                    error: None,
                    reply,
                });
                if unbind {
                    self.session.unbind(now, names);
                } else {
                    self.session.bind(now, names);
                }
            }
            Command::Shutdown { reply } => {
                self.shutdown_replies.push(reply);
                self.begin_close();
            }
        }
    }

    fn begin_close(&mut self) {
        if self.closing_deadline.is_some() {
            return;
        }
        let now = Instant::now();
        let grace = self
            .session
            .config()
            .request_timeout
            .saturating_add(Duration::from_secs(1));
        self.closing_deadline = Some(
            now.checked_add(grace)
                .unwrap_or(now + Duration::from_secs(1)),
        );
        if !matches!(self.link, Link::Up(_)) {
            // Nothing to UNBIND over: drop any attempt in progress.
            self.link = Link::Idle { retry_at: None };
        }
        self.session.close(now);
    }

    fn respond(&mut self, id: u32, response: Response) {
        if let Err(e) = self.session.respond(Instant::now(), id, response) {
            tracing::debug!(id, error = %e, "response to the platform not sent");
        }
    }

    fn on_event(&mut self, event: EdgeEvent) {
        let now = Instant::now();
        match event {
            EdgeEvent::Authenticated { session_id } => {
                self.authenticated_once = true;
                self.backoff.reset();
                self.last_error = None;
                self.set_state(ConnectionState::Bound);
                self.notify(EdgeNotice::Authenticated { session_id });
                self.check_ready();
            }
            EdgeEvent::AuthFailed(failure) => {
                self.notify(EdgeNotice::AuthFailed(failure));
                self.last_error = Some(Error::Refused(failure));
                if matches!(failure, AuthFailure::Rejected(_)) && !self.authenticated_once {
                    // Refused on the first connect: final.
                    if let Some(ready) = self.ready.take() {
                        let _ = ready.send(Err(Error::Refused(failure)));
                    }
                    self.begin_close();
                }
            }
            EdgeEvent::Bound { name } => {
                // Notices go out before waiters complete, so a caller sees them.
                self.notify(EdgeNotice::Bound {
                    name: name.to_str_lossy().into_owned(),
                });
                self.bind_answered(&name, None, false);
                self.initial.remove(&name);
                self.check_ready();
            }
            EdgeEvent::BindRejected { name, status } => {
                self.notify(EdgeNotice::BindRejected {
                    name: name.to_str_lossy().into_owned(),
                    status,
                });
                self.bind_answered(
                    &name,
                    Some(Error::Status {
                        status,
                        reason: Some(format!("BIND of {} refused", name.to_str_lossy())),
                    }),
                    false,
                );
                self.initial.remove(&name);
                self.check_ready();
            }
            EdgeEvent::Unbound { name } => {
                self.notify(EdgeNotice::Unbound {
                    name: name.to_str_lossy().into_owned(),
                });
                self.bind_answered(&name, None, true);
            }
            EdgeEvent::Response { id, result } => {
                if let Some(p) = self.pending.remove(&id) {
                    if let (Ok(resp), Some((thing, prop, value))) = (&result, p.local) {
                        if resp.status.is_success() {
                            self.things.store.set(&thing, &prop, value);
                        }
                    }
                    let _ = p.reply.send(result.map_err(Error::from));
                }
            }
            EdgeEvent::Unsent { id, request } => {
                // Never sent: safe to resubmit while the caller's request timeout lasts.
                let Some(p) = self.pending.remove(&id) else {
                    return;
                };
                let fresh = now.duration_since(p.submitted) < self.session.config().request_timeout;
                if fresh && self.closing_deadline.is_none() {
                    match self.session.request(now, request) {
                        Ok(new_id) => {
                            self.pending.insert(new_id, p);
                        }
                        Err(e) => {
                            let _ = p.reply.send(Err(e.into()));
                        }
                    }
                } else {
                    let error = if self.closing_deadline.is_some() {
                        Error::Closed
                    } else {
                        Error::Disconnected
                    };
                    let _ = p.reply.send(Err(error));
                }
            }
            EdgeEvent::Request { id, request } => match self.things.answer(request) {
                Answer::Now(response) => self.respond(id, response),
                Answer::Later(fut) => {
                    let mut tx = self.answers_tx.clone();
                    R::spawn(async move {
                        let response = fut.await;
                        let _ = tx.send((id, Box::new(response))).await;
                    });
                }
            },
            EdgeEvent::Disconnected { reason } => {
                tracing::debug!(?reason, "disconnected");
                if matches!(reason, DisconnectReason::PongTimeout) {
                    self.last_error = Some(Error::Timeout);
                }
                self.link = match std::mem::replace(&mut self.link, Link::Idle { retry_at: None }) {
                    Link::Up(_) => Link::Idle { retry_at: None },
                    other => other,
                };
                self.notify(EdgeNotice::Disconnected { reason });
                self.schedule_reconnect();
            }
            EdgeEvent::Closed => {
                self.finished = true;
            }
        }
    }

    fn bind_answered(&mut self, name: &WireString, error: Option<Error>, unbind: bool) {
        let mut i = 0;
        let mut error = error;
        while i < self.bind_waits.len() {
            let w = &mut self.bind_waits[i];
            if w.unbind == unbind && w.remaining.remove(name) {
                if let Some(e) = error.take() {
                    w.error.get_or_insert(e);
                }
            }
            if w.remaining.is_empty() {
                let w = self.bind_waits.swap_remove(i);
                let _ = w.reply.send(match w.error {
                    Some(e) => Err(e),
                    None => Ok(()),
                });
            } else {
                i += 1;
            }
        }
    }

    fn check_ready(&mut self) {
        if self.initial.is_empty() && self.session.state() == EdgeState::Authenticated {
            if let Some(ready) = self.ready.take() {
                let _ = ready.send(Ok(()));
            }
        }
    }

    /// Drains events and transmits until both are empty.
    async fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(event) = self.session.poll_event() {
                progressed = true;
                self.on_event(event);
            }
            let mut wrote = false;
            while let Some(t) = self.session.poll_transmit() {
                progressed = true;
                let Link::Up(ws) = &mut self.link else {
                    tracing::trace!("transmit dropped: not connected");
                    continue;
                };
                match t {
                    Transmit::Close { code, reason } => self.close_requested = Some((code, reason)),
                    other => {
                        wrote = true;
                        if let Err(e) = send_transmit(ws, other).await {
                            tracing::debug!(error = %e, "write failed");
                            self.link_lost();
                        }
                    }
                }
            }
            if wrote {
                if let Link::Up(ws) = &mut self.link {
                    if let Err(e) = ws.flush().await {
                        tracing::debug!(error = %e, "flush failed");
                        self.link_lost();
                    }
                }
            }
            if let Some((code, reason)) = self.close_requested.take() {
                progressed = true;
                if let Link::Up(mut ws) =
                    std::mem::replace(&mut self.link, Link::Idle { retry_at: None })
                {
                    send_close::<R>(&mut ws, code, reason).await;
                    linger::<R>(*ws);
                    // The session learns at once; the socket lingers in the background.
                    self.session.handle_closed(Instant::now());
                }
            }
            if !progressed {
                break;
            }
        }
        if self.closing_deadline.is_some()
            && !matches!(self.link, Link::Up(_))
            && self.session.state() == EdgeState::Closed
        {
            self.finished = true;
        }
    }

    fn finish(mut self) {
        self.set_state(ConnectionState::Closed);
        self.notify(EdgeNotice::Closed);
        let error = self.last_error.take();
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(Err(error.unwrap_or(Error::Closed)));
        }
        for (_, p) in self.pending.drain() {
            let _ = p.reply.send(Err(Error::Closed));
        }
        for w in self.bind_waits.drain(..) {
            let _ = w.reply.send(Err(Error::Closed));
        }
        for r in self.shutdown_replies.drain(..) {
            let _ = r.send(());
        }
        tracing::debug!("edge driver ended");
    }
}
