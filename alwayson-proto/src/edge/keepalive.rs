//! Keep-alive: websocket pings every `ping_interval`, the pong deadline.

use super::session::*;
use super::DisconnectReason;
use crate::{Transmit, CLOSE_NORMAL};
use std::time::Instant;

impl EdgeSession {
    /// A websocket pong arrived: the keep-alive check is satisfied.
    pub(super) fn handle_pong(&mut self, now: Instant) {
        let _ = now;
        if let Some(conn) = &mut self.conn {
            conn.pong_deadline = None;
        }
    }

    /// No pong by the pong deadline: asks for the close; returns whether it did.
    pub(super) fn pong_timeout(&mut self, now: Instant) -> bool {
        let Some(conn) = &mut self.conn else {
            return false;
        };
        if conn.pong_deadline.is_some_and(|d| d <= now) {
            conn.pong_deadline = None;
            conn.closing = Some(DisconnectReason::PongTimeout);
            self.transmits.push_back(Transmit::Close {
                code: CLOSE_NORMAL,
                reason: CLOSE_REASON_PONG_TIMEOUT.to_owned(),
            });
            return true;
        }
        false
    }

    /// Sends the websocket ping when due (and starts the pong deadline).
    pub(super) fn ping_if_due(&mut self, now: Instant) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        if conn.next_ping.is_some_and(|t| t <= now) {
            self.transmits.push_back(Transmit::Ping);
            if conn.pong_deadline.is_none() {
                conn.pong_deadline = after(now, self.config.pong_timeout);
            }
            conn.next_ping = after(now, self.config.ping_interval);
        }
    }
}
