//! The output drain both drivers share (edge `driver.rs`, platform `conn.rs`): after every
//! input, drain the session's `poll_output` — events to the driver, transmits onto the
//! websocket (fed, then flushed once), a requested close handed to the driver — until a
//! whole round produces nothing, then keep the deadline for the next wake-up.
//!
//! What differs between the two sides is a parameter of [`Pumped`]: where the websocket is
//! (the edge's comes and goes), what is drained once the session is idle (the edge replays
//! its offline store), what follows each drain (the platform hands endpoint events on) and
//! how a close is sent and reported.

use crate::wsio::{send_transmit, Ws};
use alwayson_proto::{Output, Transmit};
use futures_util::SinkExt;
use std::future::Future;
use std::time::Instant;

/// A driver whose session's outputs [`pump`] drains.
pub(crate) trait Pumped {
    /// The session's events.
    type Event;

    /// The session's next output.
    fn poll_output(&mut self) -> Output<Self::Event>;

    /// Handles one event of the session.
    fn on_event(&mut self, event: Self::Event);

    /// The session is drained: returns true when the driver gave it more to send (the
    /// edge's offline replay), which is drained too before the deadline is kept.
    fn on_drained(&mut self) -> bool {
        false
    }

    /// Keeps the deadline that ended the drain (the next wake-up).
    fn set_deadline(&mut self, deadline: Option<Instant>);

    /// The open websocket; `None` when there is none (transmits are dropped).
    fn ws(&mut self) -> Option<&mut Ws>;

    /// Writing to the websocket failed: it is gone.
    fn write_failed(&mut self);

    /// Runs after each round of draining, before the flush.
    fn after_drain(&mut self) {}

    /// The session asked to close the websocket with this code and reason: send the close
    /// (if there is still a websocket) and tell the session it is gone.
    fn close(&mut self, code: u16, reason: String) -> impl Future<Output = ()> + Send;
}

/// Drains `p`'s session until a whole round produces nothing (see the module docs).
pub(crate) async fn pump<P: Pumped>(p: &mut P) {
    loop {
        let mut progressed = false;
        let mut wrote = false;
        let mut close = None;
        loop {
            let transmit = match p.poll_output() {
                Output::Event(event) => {
                    progressed = true;
                    p.on_event(event);
                    continue;
                }
                Output::Transmit(t) => t,
                Output::Timeout(deadline) => {
                    if p.on_drained() {
                        continue;
                    }
                    p.set_deadline(deadline);
                    break;
                }
                _ => continue,
            };
            progressed = true;
            match transmit {
                Transmit::Close { code, reason } => close = Some((code, reason)),
                other => {
                    let Some(ws) = p.ws() else {
                        tracing::trace!("transmit dropped: not connected");
                        continue;
                    };
                    wrote = true;
                    if let Err(e) = send_transmit(ws, other).await {
                        tracing::debug!(error = %e, "write failed");
                        p.write_failed();
                    }
                }
            }
        }
        p.after_drain();
        if wrote {
            if let Some(ws) = p.ws() {
                if let Err(e) = ws.flush().await {
                    tracing::debug!(error = %e, "flush failed");
                    p.write_failed();
                }
            }
        }
        if let Some((code, reason)) = close {
            progressed = true;
            p.close(code, reason).await;
        }
        if !progressed {
            break;
        }
    }
}
