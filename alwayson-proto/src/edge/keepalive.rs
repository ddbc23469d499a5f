//! Keep-alive: websocket pings every `ping_interval`, the pong deadline.

use super::session::*;
use super::DisconnectReason;
use crate::{Transmit, CLOSE_NORMAL};
use std::time::Instant;

impl EdgeSession {
    /// A websocket pong arrived: the keep-alive check is satisfied.
    pub(super) fn handle_pong(&mut self, now: Instant) {
        let _ = now;
        if self.conn.is_some() {
            self.timers.stop(EdgeTimer::Pong);
        }
    }

    /// No pong by the pong deadline: asks for the close; returns whether it did.
    pub(super) fn pong_timeout(&mut self, now: Instant) -> bool {
        let Some(conn) = &mut self.conn else {
            return false;
        };
        if self.timers.take_due(EdgeTimer::Pong, now) {
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
        if self.conn.is_none() {
            return;
        }
        if self.timers.is_due(EdgeTimer::Ping, now) {
            self.transmits.push_back(Transmit::Ping);
            if self.timers.get(EdgeTimer::Pong).is_none() {
                self.timers
                    .set_after(EdgeTimer::Pong, now, self.config.pong_timeout);
            }
            self.timers
                .set_after(EdgeTimer::Ping, now, self.config.ping_interval);
        }
    }
}
