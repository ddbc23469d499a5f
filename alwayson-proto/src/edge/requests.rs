//! Requests both ways: the edge's own (sent, queued until AUTH succeeds, timed out) and
//! the platform's (delivered for bound things, answered).

use super::session::*;
use super::EdgeEvent;
use crate::codec::{
    Body, EncodeError, Header, InfoTable, Message, Request, Response, StatusCode, Value,
    WireString, HEADER_LEN,
};
use crate::conventions::PropertyUpdate;
use crate::request::{RequestError, RespondError};
use std::time::Instant;

impl EdgeSession {
    /// Number of requests waiting for authentication.
    pub fn queued_requests(&self) -> usize {
        self.queue.len()
    }

    /// Sends a request to the platform; returns its id. Its end is reported exactly once, as
    /// [`EdgeEvent::Response`] (a response of any status, or [`RequestError::Timeout`] /
    /// [`RequestError::Disconnected`] / [`RequestError::Closed`]) or as
    /// [`EdgeEvent::Unsent`] if it was still queued. Errors returned here consume no id
    /// that is ever reported.
    ///
    /// Not authenticated: queued (sent right after the BINDs that follow AUTH success) when
    /// [`EdgeConfig::queue_until_authenticated`](super::EdgeConfig::queue_until_authenticated) is `Some`, else
    /// [`RequestError::NotAuthenticated`]. A queued request survives lost connections and
    /// goes out, under its id, after the next AUTH success if that comes within
    /// `request_timeout` of this call; otherwise it ends with [`RequestError::Timeout`]
    /// without being sent.
    pub fn request(&mut self, now: Instant, request: Request) -> Result<u32, RequestError> {
        if self.closed || self.app_closing {
            return Err(RequestError::Closed);
        }
        if let Some(session_id) = self.conn.as_ref().and_then(Connection::live_session_id) {
            let id = self.requests.next_id();
            self.send_request(now, id, session_id, request)?;
            return Ok(id);
        }
        let Some(capacity) = self.config.queue_until_authenticated else {
            return Err(RequestError::NotAuthenticated);
        };
        if self.queue.len() >= capacity {
            return Err(RequestError::QueueFull { capacity });
        }
        // Refuse what can never be sent now rather than after authentication.
        let len = request
            .encoded_len()
            .and_then(|body| {
                body.checked_add(HEADER_LEN).ok_or(EncodeError::TooLong {
                    what: "request",
                    len: body,
                })
            })
            .map_err(|e| RequestError::Unsendable(e.into()))?;
        if len > self.config.max_message_size {
            return Err(RequestError::TooLarge {
                len,
                max: self.config.max_message_size,
            });
        }
        let id = self.requests.next_id();
        self.queue
            .push_back((id, request, after(now, self.config.request_timeout)));
        self.queue_changed();
        Ok(id)
    }

    /// Answers the platform request `id` (from [`EdgeEvent::Request`]). The response carries
    /// that id, this connection's session id and endpoint id 0.
    pub fn respond(&mut self, id: u32, response: Response) -> Result<(), RespondError> {
        let session_id = match &self.conn {
            Some(c) if !self.app_closing => c.live_session_id(),
            _ => None,
        }
        .ok_or(RespondError::NotConnected)?;
        if !self
            .conn
            .as_ref()
            .is_some_and(|c| c.from_platform.contains(&id))
        {
            return Err(RespondError::UnknownRequest(id));
        }
        let message = Message {
            header: Header::new(id, session_id),
            body: Body::Response(response),
        };
        self.wire.send(&message, &mut self.transmits)?;
        if let Some(c) = &mut self.conn {
            c.from_platform.remove(&id);
        }
        Ok(())
    }

    /// [`Request::read_property`] sent with [`EdgeSession::request`].
    pub fn read_property(
        &mut self,
        now: Instant,
        thing: impl Into<WireString>,
        property: impl Into<WireString>,
    ) -> Result<u32, RequestError> {
        self.request(now, Request::read_property(thing, property))
    }

    /// [`Request::write_property`] sent with [`EdgeSession::request`].
    pub fn write_property(
        &mut self,
        now: Instant,
        thing: impl Into<WireString>,
        property: impl Into<WireString>,
        value: Value,
    ) -> Result<u32, RequestError> {
        self.request(now, Request::write_property(thing, property, value))
    }

    /// [`Request::invoke_service`] sent with [`EdgeSession::request`].
    pub fn invoke_service(
        &mut self,
        now: Instant,
        thing: impl Into<WireString>,
        service: impl Into<WireString>,
        params: Option<InfoTable>,
    ) -> Result<u32, RequestError> {
        self.request(now, Request::invoke_service(thing, service, params))
    }

    /// [`Request::fire_event`] sent with [`EdgeSession::request`].
    pub fn fire_event(
        &mut self,
        now: Instant,
        thing: impl Into<WireString>,
        event: impl Into<WireString>,
        data: InfoTable,
    ) -> Result<u32, RequestError> {
        self.request(now, Request::fire_event(thing, event, data))
    }

    /// [`Request::push_properties`] sent with [`EdgeSession::request`].
    pub fn push_properties(
        &mut self,
        now: Instant,
        thing: impl Into<WireString>,
        updates: &[PropertyUpdate],
    ) -> Result<u32, RequestError> {
        self.request(now, Request::push_properties(thing, updates))
    }

    pub(super) fn on_request(&mut self, header: Header, request: Request) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        if conn.live_session_id().is_none() {
            self.ignored_messages = self.ignored_messages.saturating_add(1);
            return;
        }
        if conn.bound.contains(&request.entity_name) {
            conn.from_platform.insert(header.request_id);
            self.events.push_back(EdgeEvent::Request {
                id: header.request_id,
                request,
            });
        } else {
            self.answer(header.request_id, StatusCode::NOT_FOUND);
        }
    }

    /// Sends a bare status response (body `00 FF`) if authenticated; counts the message as
    /// ignored otherwise.
    pub(super) fn answer(&mut self, request_id: u32, status: StatusCode) {
        self.answer_with(
            request_id,
            Response {
                status,
                reason: None,
                content: None,
            },
        );
    }

    /// Sends `response` (a small error answer) to request `request_id` if authenticated;
    /// counts the message as ignored otherwise.
    pub(super) fn answer_with(&mut self, request_id: u32, response: Response) {
        let Some(session_id) = self.conn.as_ref().and_then(Connection::live_session_id) else {
            self.ignored_messages = self.ignored_messages.saturating_add(1);
            return;
        };
        let message = Message {
            header: Header::new(request_id, session_id),
            body: Body::Response(response),
        };
        // A status with a short reason always encodes and fits.
        let _ = self.wire.send(&message, &mut self.transmits);
    }

    pub(super) fn send_request(
        &mut self,
        now: Instant,
        id: u32,
        session_id: u32,
        request: Request,
    ) -> Result<(), RequestError> {
        let message = Message {
            header: Header::new(id, session_id),
            body: Body::Request(request),
        };
        self.wire.send(&message, &mut self.transmits)?;
        if self.conn.is_some() {
            self.requests.insert(
                id,
                after(now, self.config.request_timeout),
                Waiting::Request,
            );
        }
        Ok(())
    }

    /// Queued requests whose deadline passed end with [`RequestError::Timeout`].
    pub(super) fn expire_queue(&mut self, now: Instant) {
        if !self.timers.is_due(EdgeTimer::Queue, now) {
            return;
        }
        while let Some(i) = self
            .queue
            .iter()
            .position(|(_, _, d)| d.is_some_and(|d| d <= now))
        {
            if let Some((id, _, _)) = self.queue.remove(i) {
                self.events.push_back(EdgeEvent::Response {
                    id,
                    result: Err(RequestError::Timeout),
                });
            }
        }
        self.queue_changed();
    }

    pub(super) fn hand_back_queue(&mut self) {
        for (id, request, _) in self.queue.drain(..) {
            self.events.push_back(EdgeEvent::Unsent { id, request });
        }
        self.queue_changed();
    }
}
