//! JSON request bodies for axum: an empty body is "no body", a non-JSON content type is 415,
//! malformed JSON is 400, all as JSON errors.

use crate::error::RestError;
use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use http::{header, StatusCode};
use serde_json::Value as Json;

/// A request body parsed as JSON; `None` when the body is empty or only whitespace.
///
/// A `Content-Type` other than `application/json` (or `…+json`, `text/json`) on a non-empty
/// body is refused with 415; a missing `Content-Type` is accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonBody(pub Option<Json>);

fn is_json_type(ct: &str) -> bool {
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || mime == "text/json" || mime.ends_with("+json")
}

impl JsonBody {
    /// Parses a body the way the extractor does.
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Self, RestError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        if let Some(ct) = content_type {
            if !is_json_type(ct) {
                return Err(RestError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("content type {ct:?} is not JSON (send application/json)"),
                ));
            }
        }
        serde_json::from_slice(body)
            .map(|j| Self(Some(j)))
            .map_err(|e| RestError::bad_request(format!("body is not valid JSON: {e}")))
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = RestError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            RestError::new(
                e.status(),
                format!("could not read the body: {}", e.body_text()),
            )
        })?;
        Self::parse(content_type.as_deref(), &body)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_types_and_bodies() {
        assert_eq!(JsonBody::parse(None, b"").unwrap(), JsonBody(None));
        assert_eq!(
            JsonBody::parse(Some("text/plain"), b" \n").unwrap(),
            JsonBody(None)
        );
        assert_eq!(
            JsonBody::parse(Some("application/json; charset=utf-8"), b"{\"a\":1}").unwrap(),
            JsonBody(Some(json!({"a": 1})))
        );
        assert_eq!(
            JsonBody::parse(None, b"[1]").unwrap(),
            JsonBody(Some(json!([1])))
        );
        assert_eq!(
            JsonBody::parse(Some("text/plain"), b"{}")
                .unwrap_err()
                .status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            JsonBody::parse(Some("application/x-www-form-urlencoded"), b"a=1")
                .unwrap_err()
                .status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            JsonBody::parse(Some("application/vnd.x+json"), b"{")
                .unwrap_err()
                .status,
            StatusCode::BAD_REQUEST
        );
    }
}
