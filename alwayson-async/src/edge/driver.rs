//! The edge's single driver task: owns the `EdgeSession` (across reconnects), the
//! websocket, the reconnect timer and the replies of waiting callers. Every decision (when
//! to reconnect, what to resend, when a bind is done, when the close gives up) is the
//! session's; this loop moves bytes, sleeps, and hands results to callers.

use super::link::{open, Target};
use super::offline::OfflineStore;
use super::push::Pushes;
use super::thing::{Answer, Things};
use super::{ConnectionState, EdgeNotice};
use crate::backoff::Reconnect;
use crate::error::{Error, Result};
use crate::notices::Publisher;
use crate::pump::Pumped;
use crate::runtime::{sleep_until, Runtime};
use crate::watch::Watch;
use crate::wsio::{linger, send_close, Ws, WsEvent};
use alwayson_proto::edge::{
    AuthFailure, BindRefusal, BindResult, BindTicket, DisconnectReason, OfflineStats,
    Reconnect as Next, CLOSE_REASON_SHUTDOWN,
};
use alwayson_proto::{
    EdgeConfig, EdgeEvent, EdgeSession, EdgeState, Header, Input, Output, Request, Response, Value,
    WireString,
};
use futures_channel::{mpsc, oneshot};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, SinkExt, StreamExt};
use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

/// Inputs handled per wake-up before outputs are flushed.
const BATCH: usize = 128;

/// A request from the API (boxed: channel slots are allocated in blocks, so the command
/// enum is kept small for idle connections).
pub(crate) struct RequestCmd {
    pub request: Request,
    pub reply: oneshot::Sender<Result<Response>>,
    /// Written locally when the request succeeds (property writes).
    pub local: Option<(String, String, Value)>,
    /// Goes through the offline store when there is one (pushes, events): answered once
    /// stored, delivered at least once.
    pub storable: bool,
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
    /// Shut down and hand the offline store back (for the next client).
    ShutdownKeepingStore {
        reply: oneshot::Sender<Option<OfflineStore>>,
    },
    /// Send (or store) the subscribed properties' queued values now.
    Flush {
        reply: oneshot::Sender<Result<()>>,
    },
}

struct Pending {
    reply: oneshot::Sender<Result<Response>>,
    local: Option<(String, String, Value)>,
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

/// Things a BIND refused, with the platform's status and reason.
pub(crate) type Refused = Vec<BindRefusal>;

pub(crate) struct Driver<R> {
    session: EdgeSession,
    /// The session's next deadline, from the `Output::Timeout` that ended the last drain.
    deadline: Option<Instant>,
    target: Arc<Target>,
    things: Arc<Things>,
    cmd_rx: mpsc::Receiver<Command>,
    api_open: bool,
    answers_tx: mpsc::Sender<(u32, Box<Response>)>,
    answers_rx: mpsc::Receiver<(u32, Box<Response>)>,
    state: Watch<ConnectionState>,
    notices: Publisher<EdgeNotice>,
    ready: Option<oneshot::Sender<Result<Refused>>>,
    /// The initial BIND's ticket until it completes (connect() resolves then).
    initial: Option<BindTicket>,
    /// Names the initial BIND had refused, with the platform's status and reason (given to
    /// connect()).
    initial_refused: Refused,
    authenticated_once: bool,
    pending: HashMap<u32, Pending>,
    bind_waits: HashMap<BindTicket, oneshot::Sender<Result<()>>>,
    link: Link,
    last_error: Option<Error>,
    /// Shutdown began (the session bounds how long the close may take).
    closing: bool,
    /// Shutdown began while a websocket was up: its close is logged when the session ends.
    closing_link: bool,
    /// Why the websocket failed, when reading it did (reported instead of ConnectionLost).
    transport_error: Option<String>,
    shutdown_replies: Vec<oneshot::Sender<()>>,
    /// Who gets the offline store when the driver ends.
    store_reply: Option<oneshot::Sender<Option<OfflineStore>>>,
    finished: bool,
    /// Which input is polled first on the next wake-up (rotates, so none starves).
    turn: u8,
    /// Pushes and events kept while they cannot be sent (when configured).
    offline: Option<OfflineStore>,
    offline_stats: Watch<Option<OfflineStats>>,
    /// Subscribed properties: push interval, rule refreshes, batches in flight.
    pushes: Pushes,
    runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> Driver<R> {
    /// The first connect attempt waits `delay` (before [`run`](Self::run)).
    pub(crate) fn delay_first_connect(&mut self, delay: std::time::Duration) {
        if let Link::Idle { retry_at: Some(at) } = &mut self.link {
            *at = at.checked_add(delay).unwrap_or(*at);
        }
    }

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
        ready: oneshot::Sender<Result<Refused>>,
        offline: Option<OfflineStore>,
        offline_stats: Watch<Option<OfflineStats>>,
        push_interval: Option<std::time::Duration>,
    ) -> Self {
        let mut config = config;
        config.reconnect = reconnect.into();
        let mut session = EdgeSession::new(config);
        let initial = Some(session.bind(Instant::now(), names));
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
            initial_refused: Vec::new(),
            authenticated_once: false,
            pending: HashMap::new(),
            bind_waits: HashMap::new(),
            link: Link::Idle {
                retry_at: Some(Instant::now()),
            },
            last_error: None,
            closing: false,
            closing_link: false,
            transport_error: None,
            shutdown_replies: Vec::new(),
            store_reply: None,
            finished: false,
            turn: 0,
            deadline: None,
            offline,
            offline_stats,
            pushes: Pushes::new(push_interval, Instant::now()),
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
        let deadline = match (self.deadline, self.pushes.deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
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
        // Whatever the builder queued (and the first deadline) before the first wake-up.
        self.pump().await;
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
                    self.input(Input::Timeout);
                    let offline = self.offline.as_mut();
                    let now = Instant::now();
                    self.pushes
                        .on_timer(now, &mut self.session, offline, &self.things);
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
                self.input(Input::Connected);
            }
            LinkEvent::Connected(Err(e)) => {
                tracing::debug!(url = %self.target.url, error = %e, "connect failed");
                self.input(Input::ConnectFailed);
                self.notify(EdgeNotice::ConnectFailed {
                    attempt: self.session.failures(),
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

    fn input(&mut self, input: Input) {
        let authenticating = self.session.session_id().is_none();
        // A response the session drops is logged with its request id (read from the header).
        let dropped = match &input {
            Input::Message(bytes) => {
                Header::peek(bytes).map(|(_, header)| (header.request_id, self.session.stats()))
            }
            _ => None,
        };
        if let Err(e) = self.session.handle_input(Instant::now(), input) {
            if authenticating {
                tracing::warn!(error = %e, "malformed answer to AUTH");
            } else {
                tracing::debug!(error = %e, "bad message from platform");
            }
        }
        if let Some((id, before)) = dropped {
            let after = self.session.stats();
            if after.late_responses > before.late_responses {
                tracing::debug!(
                    id,
                    "late response from the platform: its request had timed out"
                );
            }
            if after.unmatched_responses > before.unmatched_responses {
                tracing::debug!(
                    id,
                    "response from the platform dropped: it matches no request sent on this connection, or one answered already"
                );
            }
        }
    }

    fn on_ws(&mut self, ev: Option<WsEvent>) {
        match ev {
            Some(WsEvent::Binary(bytes)) => self.input(Input::Message(bytes)),
            Some(WsEvent::Pong) => self.input(Input::Pong),
            Some(WsEvent::Ping) => self.input(Input::Ping),
            Some(WsEvent::Ignored) => {}
            Some(WsEvent::Failed(cause)) => {
                if matches!(self.link, Link::Up(_)) {
                    self.transport_error = Some(cause);
                }
                self.link_lost(Input::Closed)
            }
            Some(WsEvent::PeerClosed(code, reason)) => {
                self.link_lost(Input::PeerClosed { code, reason })
            }
            None => self.link_lost(Input::Closed),
        }
    }

    /// The websocket is gone: `input` (`Closed` or `PeerClosed`) tells the session, whose
    /// `Disconnected` is logged once with its cause.
    fn link_lost(&mut self, input: Input) {
        if matches!(self.link, Link::Up(_)) {
            self.link = Link::Idle { retry_at: None };
            self.input(input);
        }
    }

    /// After a failed attempt or a lost connection: asks the session when to try again.
    fn schedule_reconnect(&mut self) {
        if self.closing || !matches!(self.link, Link::Idle { .. }) {
            return;
        }
        match self.session.reconnect(Instant::now(), rand::random()) {
            Next::At(at) => {
                tracing::debug!(delay = ?at.saturating_duration_since(Instant::now()), "reconnecting");
                self.set_state(if self.authenticated_once {
                    ConnectionState::Reconnecting
                } else {
                    ConnectionState::Connecting
                });
                self.link = Link::Idle { retry_at: Some(at) };
            }
            Next::Connected => {}
            // Given up (the session is closed for good and reports `Closed`).
            other => tracing::info!(?other, "not reconnecting"),
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
                    storable,
                } = *cmd;
                if let (true, Some(store)) = (storable, &mut self.offline) {
                    let _ = reply.send(
                        store
                            .store(&request)
                            .map(|_| Response::success())
                            .map_err(Error::from),
                    );
                    return;
                }
                match self.session.request(now, request) {
                    Ok(id) => {
                        self.pending.insert(id, Pending { reply, local });
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
                let ticket = if unbind {
                    self.session.unbind(now, names)
                } else {
                    self.session.bind(now, names)
                };
                self.bind_waits.insert(ticket, reply);
            }
            Command::Shutdown { reply } => {
                self.shutdown_replies.push(reply);
                self.begin_close();
            }
            Command::ShutdownKeepingStore { reply } => {
                self.store_reply = Some(reply);
                self.begin_close();
            }
            Command::Flush { reply } => {
                let offline = self.offline.as_mut();
                let (session, things) = (&mut self.session, &self.things);
                self.pushes
                    .flush(now, session, offline, things, Some(reply));
            }
        }
    }

    fn begin_close(&mut self) {
        if self.closing {
            return;
        }
        self.closing = true;
        let now = Instant::now();
        if matches!(self.link, Link::Up(_)) {
            self.closing_link = true;
        } else {
            // Nothing to UNBIND over: drop any attempt in progress.
            self.link = Link::Idle { retry_at: None };
        }
        self.session.close(now, CLOSE_REASON_SHUTDOWN);
    }

    fn respond(&mut self, id: u32, response: Response) {
        if let Err(e) = self.session.respond(id, response) {
            tracing::debug!(id, error = %e, "response to the platform not sent");
        }
    }

    fn on_event(&mut self, event: EdgeEvent) {
        if let Some(store) = &mut self.offline {
            if store.handle_event(&event) {
                return; // the answer to a replayed message
            }
        }
        match event {
            EdgeEvent::Authenticated { session_id } => {
                self.authenticated_once = true;
                self.last_error = None;
                self.set_state(ConnectionState::Bound);
                self.notify(EdgeNotice::Authenticated { session_id });
                self.check_ready();
            }
            EdgeEvent::AuthFailed(failure) => {
                // Refused on the first connect, the session gives up by itself; no answer or
                // garbage is a connection failure, retried.
                self.notify(EdgeNotice::AuthFailed(failure));
                self.last_error = Some(match failure {
                    AuthFailure::Rejected(_) => Error::Refused(failure),
                    _ => Error::AuthUnanswered(failure),
                });
                // The close that follows is logged at INFO with this cause.
                if let Some(e) = &self.last_error {
                    tracing::debug!(error = %e, "AUTH failed");
                }
            }
            EdgeEvent::Bound { name } => {
                // The platform's push rules for the thing (session-lifecycle.md §10).
                self.pushes
                    .refresh(Instant::now(), &mut self.session, name.clone());
                // Notices go out before waiters complete, so a caller sees them.
                self.notify(EdgeNotice::Bound {
                    name: name.to_str_lossy().into_owned(),
                });
            }
            EdgeEvent::BindRejected {
                name,
                status,
                reason,
            } => {
                let refusal = BindRefusal {
                    name,
                    status,
                    reason,
                };
                tracing::warn!("BIND refused by the platform: {refusal}");
                self.notify(EdgeNotice::BindRejected {
                    name: refusal.name.to_str_lossy().into_owned(),
                    status,
                    reason: refusal.reason.map(|r| r.to_str_lossy().into_owned()),
                });
            }
            EdgeEvent::Unbound { name } => {
                self.notify(EdgeNotice::Unbound {
                    name: name.to_str_lossy().into_owned(),
                });
            }
            // Completions follow the names' events, so callers see the notices first.
            EdgeEvent::BindCompleted { ticket, result } => {
                if self.initial == Some(ticket) {
                    self.initial = None;
                    if let BindResult::Rejected(refused) = &result {
                        self.initial_refused = refused.clone();
                    }
                    self.check_ready();
                }
                if let Some(reply) = self.bind_waits.remove(&ticket) {
                    let _ = reply.send(match result {
                        BindResult::Done => Ok(()),
                        BindResult::Rejected(refused) => Err(match refused.first() {
                            Some(refusal) => Error::Status {
                                status: refusal.status,
                                reason: Some(format!("BIND refused: {refusal}")),
                            },
                            None => Error::Closed,
                        }),
                        _ => Err(Error::Closed),
                    });
                }
            }
            EdgeEvent::Response { id, result } => {
                if self.pushes.on_response(id, &result, &self.things) {
                    return;
                }
                if let Some(p) = self.pending.remove(&id) {
                    if let (Ok(resp), Some((thing, prop, value))) = (&result, p.local) {
                        if resp.status.is_success() {
                            self.things.store.set(&thing, &prop, value);
                        }
                    }
                    let _ = p.reply.send(result.map_err(Error::from));
                }
            }
            // Only when the session closes for good (it resends queued requests itself).
            EdgeEvent::Unsent { id, .. } => {
                let closed = Err(alwayson_proto::RequestError::Closed);
                if self.pushes.on_response(id, &closed, &self.things) {
                    return;
                }
                if let Some(p) = self.pending.remove(&id) {
                    let _ = p.reply.send(Err(Error::Closed));
                }
            }
            EdgeEvent::Request { id, request } => match self
                .pushes
                .answer(Instant::now(), &mut self.session, &request)
                .map_or_else(|| self.things.answer(request), Answer::Now)
            {
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
                let reason = match (reason, self.transport_error.take()) {
                    (DisconnectReason::ConnectionLost, Some(cause)) => {
                        DisconnectReason::Transport(cause)
                    }
                    (reason, _) => reason,
                };
                tracing::info!(target: crate::CLOSE_LOG_TARGET, url = %self.target.url, %reason, "connection closed");
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
                if std::mem::take(&mut self.closing_link) {
                    tracing::info!(
                        target: crate::CLOSE_LOG_TARGET,
                        url = %self.target.url,
                        reason = "closed by the edge (shut down)",
                        "connection closed"
                    );
                }
                self.finished = true;
            }
            _ => {}
        }
    }

    fn check_ready(&mut self) {
        if self.initial.is_none() && self.session.state() == EdgeState::Authenticated {
            if let Some(ready) = self.ready.take() {
                let _ = ready.send(Ok(std::mem::take(&mut self.initial_refused)));
            }
        }
    }

    /// Drains the session (the shared [`pump`](crate::pump::pump)), then syncs the
    /// offline store and reports what it refused.
    async fn pump(&mut self) {
        crate::pump::pump(self).await;
        if let Some(store) = &mut self.offline {
            store.sync();
            while let Some(refused) = store.poll_refused() {
                self.notices
                    .publish(EdgeNotice::StoredMessageRefused(refused));
            }
            self.offline_stats.modify(|s| {
                let new = Some(store.stats());
                let changed = *s != new;
                *s = new;
                changed
            });
        }
    }

    fn finish(mut self) {
        // Handed back last, once the client is closed.
        let handed_back = self.store_reply.take().map(|reply| {
            let mut store = self.offline.take();
            if let Some(store) = &mut store {
                // Whatever was in flight on this connection is sent again by the next.
                store.handle_event(&EdgeEvent::Disconnected {
                    reason: DisconnectReason::ConnectionLost,
                });
                store.sync();
            }
            (reply, store)
        });
        if let Some(store) = &mut self.offline {
            store.sync();
            let held = store.stats();
            if held.queued > 0 {
                // Kept on disk for the next start when durable; lost with a memory store.
                tracing::warn!(
                    queued = held.queued,
                    bytes = held.bytes,
                    durable = store.log_len() > 0,
                    "edge closed with undelivered messages in the offline store"
                );
            }
        }
        self.set_state(ConnectionState::Closed);
        self.notify(EdgeNotice::Closed);
        let error = self.last_error.take();
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(Err(error.unwrap_or(Error::Closed)));
        }
        for (_, p) in self.pending.drain() {
            let _ = p.reply.send(Err(Error::Closed));
        }
        for (_, reply) in self.bind_waits.drain() {
            let _ = reply.send(Err(Error::Closed));
        }
        for r in self.shutdown_replies.drain(..) {
            let _ = r.send(());
        }
        if let Some((reply, store)) = handed_back {
            let _ = reply.send(store);
        }
        tracing::debug!("edge driver ended");
    }
}

impl<R: Runtime> Pumped for Driver<R> {
    type Event = EdgeEvent;

    fn poll_output(&mut self) -> Output<EdgeEvent> {
        self.session.poll_output()
    }

    fn on_event(&mut self, event: EdgeEvent) {
        Driver::on_event(self, event);
    }

    /// Stored messages whose thing is bound go out now (after its BIND).
    fn on_drained(&mut self) -> bool {
        let replayed = self
            .offline
            .as_mut()
            .map_or(0, |o| o.pump(Instant::now(), &mut self.session));
        replayed > 0
    }

    fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    fn ws(&mut self) -> Option<&mut Ws> {
        match &mut self.link {
            Link::Up(ws) => Some(&mut **ws),
            _ => None,
        }
    }

    fn write_failed(&mut self) {
        self.link_lost(Input::Closed);
    }

    async fn close(&mut self, code: u16, reason: String) {
        if let Link::Up(mut ws) = std::mem::replace(&mut self.link, Link::Idle { retry_at: None }) {
            send_close::<R>(&mut ws, code, reason).await;
            linger::<R>(*ws);
            // The session learns at once; the socket lingers in the background.
            self.input(Input::Closed);
        }
    }
}
