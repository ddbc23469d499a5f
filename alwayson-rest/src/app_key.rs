//! The application key check: a REST request presents the key in an `appKey` header or, as
//! ThingWorx also allows, an `appKey` query parameter. Missing or wrong → 401 JSON error.

use crate::error::RestError;
use axum::extract::{Query, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Uri};
use std::collections::HashMap;
use std::sync::Arc;

/// The key REST clients must present. Cheap to clone.
#[derive(Clone)]
pub struct AppKey(Arc<str>);

impl std::fmt::Debug for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppKey(…)")
    }
}

impl AppKey {
    /// The expected key.
    pub fn new(key: impl Into<Arc<str>>) -> Self {
        Self(key.into())
    }

    /// Checks the key a request presents (header first, then query parameter).
    pub fn check(&self, headers: &HeaderMap, uri: &Uri) -> Result<(), RestError> {
        let presented = match headers.get("appKey") {
            Some(v) => v.to_str().ok().map(str::to_owned),
            None => Query::<HashMap<String, String>>::try_from_uri(uri)
                .ok()
                .and_then(|Query(q)| q.get("appKey").cloned()),
        };
        match presented {
            None => Err(RestError::unauthorized("missing appKey header")),
            Some(k) if keys_equal(&k, &self.0) => Ok(()),
            Some(_) => Err(RestError::unauthorized("invalid appKey")),
        }
    }
}

/// Compares without an early exit on the first differing byte.
fn keys_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// axum middleware: refuses requests without the right key
/// (`axum::middleware::from_fn_with_state(key, require_app_key)`).
pub async fn require_app_key(State(key): State<AppKey>, req: Request, next: Next) -> Response {
    match key.check(req.headers(), req.uri()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn check(header: Option<&str>, uri: &str) -> Result<(), RestError> {
        let mut h = HeaderMap::new();
        if let Some(k) = header {
            h.insert("appKey", k.parse().unwrap());
        }
        AppKey::new("k3y").check(&h, &uri.parse().unwrap())
    }

    #[test]
    fn header_or_query() {
        assert!(check(Some("k3y"), "/x").is_ok());
        assert_eq!(
            check(Some("nope"), "/x").unwrap_err().message,
            "invalid appKey"
        );
        assert_eq!(
            check(None, "/x").unwrap_err().message,
            "missing appKey header"
        );
        assert!(check(None, "/x?appKey=k3y").is_ok());
        assert!(check(None, "/x?a=1&appKey=k%33y").is_ok());
        assert!(check(None, "/x?appKey=k3").is_err());
        assert_eq!(
            check(None, "/x").unwrap_err().status,
            http::StatusCode::UNAUTHORIZED
        );
    }
}
