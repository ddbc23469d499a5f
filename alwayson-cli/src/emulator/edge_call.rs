//! Platform → edge calls for the REST layer, and how their failures map to HTTP.
//!
//! | edge / runtime outcome | HTTP |
//! |---|---|
//! | thing not bound | 503 `thing T is not bound` |
//! | no answer within the request timeout | 504 |
//! | edge answered GATEWAY_TIMEOUT (e.g. the EMS with no application behind it) | 504 |
//! | edge answered NOT_FOUND | 404 |
//! | edge answered another failure status | 502 |
//! | connection dropped mid-request | 502 |
//! | SUCCESS without content on a property read | 200, value `null` |
//!
//! Error messages carry the edge's words: the response's reason, else the `error` (or
//! `reason`) field of its content, as the EMS sends it (`Service 'Nope' not found`).

use alwayson_proto::{InfoTable, Request, Response, StatusCode, Value};
use alwayson_rest::RestError;
use alwayson_tokio::{Error, Platform};
use http::StatusCode as Http;

/// The edge's own words about a failure: reason, else a string `error`/`reason` cell.
fn edge_reason(response: &Response) -> Option<String> {
    if let Some(r) = &response.reason {
        return Some(r.to_str_lossy().into_owned());
    }
    let content = response.content.as_ref()?;
    ["error", "reason"]
        .iter()
        .find_map(|f| match &*content.first(f)?.unwrap_variant() {
            Value::String(_, s) => Some(s.to_str_lossy().into_owned()),
            _ => None,
        })
}

/// A failure status from the edge as a REST error.
pub fn edge_status_error(response: &Response) -> RestError {
    let status = match response.status {
        StatusCode::NOT_FOUND => Http::NOT_FOUND,
        StatusCode::GATEWAY_TIMEOUT => Http::GATEWAY_TIMEOUT,
        _ => Http::BAD_GATEWAY,
    };
    let words = edge_reason(response)
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    RestError::new(
        status,
        format!("the edge answered {}{words}", response.status.name()),
    )
}

/// A runtime failure as a REST error.
pub fn runtime_error(e: Error) -> RestError {
    match e {
        Error::NotBound(thing) => RestError::new(
            Http::SERVICE_UNAVAILABLE,
            format!("thing {thing} is not bound"),
        ),
        Error::Timeout => RestError::new(Http::GATEWAY_TIMEOUT, "the edge did not answer in time"),
        Error::Disconnected => {
            RestError::new(Http::BAD_GATEWAY, "the edge disconnected before answering")
        }
        Error::Status { status, reason } => edge_status_error(&Response {
            status,
            reason: reason.map(Into::into),
            content: None,
        }),
        other => RestError::new(Http::BAD_GATEWAY, other.to_string()),
    }
}

async fn call(
    platform: &Platform,
    thing: &str,
    request: Request,
) -> Result<Option<InfoTable>, RestError> {
    let response = platform
        .request(thing, request)
        .await
        .map_err(runtime_error)?;
    if response.status.is_success() {
        Ok(response.content)
    } else {
        Err(edge_status_error(&response))
    }
}

/// Reads a property from the edge: the field named like the property, else the first cell;
/// `NOTHING` when the edge answers SUCCESS without content (the EMS does for `isConnected`).
pub async fn read_property(
    platform: &Platform,
    thing: &str,
    property: &str,
) -> Result<Value, RestError> {
    let content = call(platform, thing, Request::read_property(thing, property)).await?;
    Ok(content
        .and_then(|t| {
            t.first(property)
                .or_else(|| t.row(0)?.first())
                .map(|v| v.unwrap_variant().into_owned())
        })
        .unwrap_or(Value::Nothing))
}

/// Writes a property on the edge.
pub async fn write_property(
    platform: &Platform,
    thing: &str,
    property: &str,
    value: Value,
) -> Result<(), RestError> {
    call(
        platform,
        thing,
        Request::write_property(thing, property, value),
    )
    .await
    .map(|_| ())
}

/// Invokes a service on the edge; its result table (empty when it had none).
pub async fn invoke_service(
    platform: &Platform,
    thing: &str,
    service: &str,
    params: Option<InfoTable>,
) -> Result<InfoTable, RestError> {
    Ok(call(
        platform,
        thing,
        Request::invoke_service(thing, service, params),
    )
    .await?
    .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alwayson_proto::{BaseType, FieldDefinition};

    #[test]
    fn error_mapping_row_by_row() {
        let r = edge_status_error(&Response::error(StatusCode::GATEWAY_TIMEOUT, "no app"));
        assert_eq!(r.status, Http::GATEWAY_TIMEOUT);
        assert_eq!(r.message, "the edge answered GATEWAY_TIMEOUT: no app");
        let mut t = InfoTable::with_fields(vec![FieldDefinition::new("error", BaseType::String)]);
        t.push_row(vec![Value::string("Service 'Nope' not found")]);
        let r = edge_status_error(&Response {
            status: StatusCode::NOT_FOUND,
            reason: None,
            content: Some(t),
        });
        assert_eq!(r.status, Http::NOT_FOUND);
        assert_eq!(
            r.message,
            "the edge answered NOT_FOUND: Service 'Nope' not found"
        );
        let r = edge_status_error(&Response {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            reason: None,
            content: None,
        });
        assert_eq!(r.status, Http::BAD_GATEWAY);
        assert_eq!(r.message, "the edge answered INTERNAL_SERVER_ERROR");
        assert_eq!(runtime_error(Error::Timeout).status, Http::GATEWAY_TIMEOUT);
        assert_eq!(
            runtime_error(Error::NotBound("T".into())).message,
            "thing T is not bound"
        );
        assert_eq!(runtime_error(Error::Disconnected).status, Http::BAD_GATEWAY);
    }
}
