//! AUTH: the first message on every websocket, its answer and its deadline.

use super::session::*;
use super::{AuthFailure, DisconnectReason, EdgeEvent};
use crate::codec::{Body, Header, Message, StatusCode, AUTH_SESSION_ID};
use crate::{Transmit, CLOSE_NORMAL};
use std::time::Instant;

impl EdgeSession {
    /// The websocket is open: sends AUTH (session id `FFFFFFFF`, fresh request id) and
    /// nothing else until its response. Ignored once the session is closing or closed. If a
    /// connection is still open (the runtime missed [`EdgeSession::handle_closed`]), it is
    /// ended first as if lost.
    pub(super) fn handle_connected(&mut self, now: Instant) {
        if self.closed || self.app_closing {
            return;
        }
        if let Some(conn) = self.conn.take() {
            let reason = conn
                .closing
                .clone()
                .unwrap_or(DisconnectReason::ConnectionLost);
            self.end_connection(reason);
        }
        self.wire.reset();
        let mut conn = Connection::new();
        self.stop_connection_timers();
        self.duty_connected(now);
        self.timers
            .set_after(EdgeTimer::Ping, now, self.config.ping_interval);
        let id = self.requests.next_id();
        let auth = Message {
            header: Header::new(id, AUTH_SESSION_ID),
            body: Body::Auth(self.config.credentials.to_auth()),
        };
        match self.wire.send(&auth, &mut self.transmits) {
            Ok(()) => {
                conn.auth = Some(id);
                self.timers
                    .set_after(EdgeTimer::Auth, now, self.config.request_timeout);
            }
            Err(_) => {
                // Credentials that cannot be encoded (more than 255 claims, absurd lengths):
                // reported as a local BAD_REQUEST rejection.
                let failure = AuthFailure::Rejected(StatusCode::BAD_REQUEST);
                self.events.push_back(EdgeEvent::AuthFailed(failure));
                self.transmits.push_back(Transmit::Close {
                    code: CLOSE_NORMAL,
                    reason: CLOSE_REASON_AUTH_REJECTED.to_owned(),
                });
                conn.closing = Some(DisconnectReason::AuthFailed(failure));
            }
        }
        self.conn = Some(conn);
    }

    pub(super) fn authenticated(&mut self, now: Instant, session_id: u32) {
        if let Some(conn) = &mut self.conn {
            conn.session_id = Some(session_id);
            conn.authenticated_at = Some(now);
        }
        self.events
            .push_back(EdgeEvent::Authenticated { session_id });
        let names = self.registered.clone();
        self.send_binds(now, names);
        self.authenticated_once = true;
        while let Some((id, request, _)) = self.queue.pop_front() {
            if let Err(e) = self.send_request(now, id, session_id, request) {
                self.events
                    .push_back(EdgeEvent::Response { id, result: Err(e) });
            }
        }
        self.queue_changed();
    }

    pub(super) fn auth_failed(&mut self, failure: AuthFailure) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        conn.closing = Some(DisconnectReason::AuthFailed(failure));
        self.events.push_back(EdgeEvent::AuthFailed(failure));
        let reason = match failure {
            AuthFailure::Rejected(_) => CLOSE_REASON_AUTH_REJECTED,
            AuthFailure::TimedOut => CLOSE_REASON_AUTH_TIMEOUT,
            AuthFailure::Malformed => CLOSE_REASON_AUTH_MALFORMED,
        };
        self.transmits.push_back(Transmit::Close {
            code: CLOSE_NORMAL,
            reason: reason.to_owned(),
        });
    }

    /// AUTH got no answer by its deadline: fails it (and asks for the close); returns whether it did.
    pub(super) fn auth_timeout(&mut self, now: Instant) -> bool {
        let Some(conn) = &mut self.conn else {
            return false;
        };
        if conn.auth.is_some() && self.timers.take_due(EdgeTimer::Auth, now) {
            conn.auth = None;
            self.auth_failed(AuthFailure::TimedOut);
            return true;
        }
        false
    }
}
