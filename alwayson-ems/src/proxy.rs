//! Proxy REST (applications → platform through the gateway, ems.md §5): property reads and
//! writes, service calls and events become AlwaysOn requests on the one connection.
//!
//! A body shaped like an InfoTable (`dataShape` or `datashape`, and `rows`) becomes a typed
//! InfoTable; any other JSON body becomes the EMS's one-row `_content_` table. The answer's
//! InfoTable goes back as JSON (an answer without content as an empty 200).
//!
//! While the platform is unreachable, pushes (`UpdateSubscribedPropertyValues`) and events
//! go to the offline store when `offline_msg_store` is enabled (200 once stored); every
//! other request, and those without a store, get 503 with a JSON error.

use crate::gateway::Shared;
use alwayson_proto::{Characteristic, InfoTable, Method, Request, Response, StatusCode};
use alwayson_rest::content::wrap_content;
use alwayson_rest::json::{infotable_from_json, infotable_to_json, is_infotable_json};
use alwayson_rest::{json_response, status, JsonBody, RestError};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response as HttpResponse};
use serde_json::Value as Json;
use std::sync::Arc;

/// The AlwaysOn parameters for a JSON body.
fn params(body: Json) -> Result<InfoTable, RestError> {
    match &body {
        Json::Object(m) if is_infotable_json(m) => infotable_from_json(&body)
            .map_err(|e| RestError::bad_request(format!("body is not a valid InfoTable: {e}"))),
        _ => Ok(wrap_content(&body)),
    }
}

fn check(name: &str, what: &str) -> Result<(), RestError> {
    crate::registry::check_name(name).map_err(|e| RestError::bad_request(format!("{what}: {e}")))
}

/// The HTTP answer for the platform's response.
fn reply(response: Response) -> HttpResponse {
    if response.status == StatusCode::SUCCESS {
        return match response.content {
            Some(t) => json_response(http::StatusCode::OK, &infotable_to_json(&t)),
            None => http::StatusCode::OK.into_response(),
        };
    }
    let reason = response
        .reason
        .map(|r| r.to_str_lossy().into_owned())
        .unwrap_or_else(|| format!("the platform answered {}", response.status));
    RestError::new(status::to_http(response.status), reason).into_response()
}

fn not_connected() -> RestError {
    RestError::new(
        http::StatusCode::SERVICE_UNAVAILABLE,
        "not connected to the platform",
    )
}

/// Sends a request to the platform (503 while disconnected, except pushes and events with
/// an offline store).
async fn send(shared: &Shared, request: Request) -> HttpResponse {
    if !shared.connected() {
        if !shared.offline {
            return not_connected().into_response();
        }
        let thing = request.entity_name.to_str_lossy().into_owned();
        let stored = if let Some(updates) = request.property_updates() {
            shared.edge().push_properties(&thing, &updates).await
        } else if request.characteristic == Characteristic::Events {
            let event = request.characteristic_name.to_str_lossy().into_owned();
            shared
                .edge()
                .fire_event(&thing, &event, request.params.unwrap_or_default())
                .await
        } else {
            return not_connected().into_response();
        };
        return match stored {
            Ok(()) => http::StatusCode::OK.into_response(),
            Err(e) => RestError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                format!("not stored: {e}"),
            )
            .into_response(),
        };
    }
    match shared.edge().request(request).await {
        Ok(response) => reply(response),
        Err(alwayson_tokio::Error::Timeout) => RestError::new(
            http::StatusCode::GATEWAY_TIMEOUT,
            "the platform did not answer in time",
        )
        .into_response(),
        Err(e @ (alwayson_tokio::Error::Closed | alwayson_tokio::Error::Disconnected)) => {
            RestError::new(http::StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response()
        }
        Err(e) => RestError::new(http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// `GET /Thingworx/Things/{thing}/Properties/{property}`.
pub(crate) async fn read_property(
    State(shared): State<Arc<Shared>>,
    Path((thing, property)): Path<(String, String)>,
) -> HttpResponse {
    if let Err(e) = check(&thing, "thing").and_then(|()| check(&property, "property")) {
        return e.into_response();
    }
    send(&shared, Request::read_property(thing, property)).await
}

/// `PUT /Thingworx/Things/{thing}/Properties/{property}`: the body is required.
pub(crate) async fn write_property(
    State(shared): State<Arc<Shared>>,
    Path((thing, property)): Path<(String, String)>,
    body: JsonBody,
) -> HttpResponse {
    let request = (|| {
        check(&thing, "thing")?;
        check(&property, "property")?;
        let body = body
            .0
            .ok_or_else(|| RestError::bad_request("a property write needs a body"))?;
        let params = Some(params(body)?);
        Ok::<_, RestError>(Request::new(
            Method::Put,
            thing,
            Characteristic::Properties,
            property,
            params,
        ))
    })();
    match request {
        Ok(r) => send(&shared, r).await,
        Err(e) => e.into_response(),
    }
}

fn post(
    thing: String,
    characteristic: Characteristic,
    name: String,
    body: JsonBody,
) -> Result<Request, RestError> {
    check(&thing, "thing")?;
    check(&name, "name")?;
    let params = body.0.map(params).transpose()?;
    Ok(Request::new(
        Method::Post,
        thing,
        characteristic,
        name,
        params,
    ))
}

/// `POST /Thingworx/Things/{thing}/Services/{service}`.
pub(crate) async fn invoke_service(
    State(shared): State<Arc<Shared>>,
    Path((thing, service)): Path<(String, String)>,
    body: JsonBody,
) -> HttpResponse {
    match post(thing, Characteristic::Services, service, body) {
        Ok(r) => send(&shared, r).await,
        Err(e) => e.into_response(),
    }
}

/// `POST /Thingworx/Things/{thing}/Events/{event}`.
pub(crate) async fn fire_event(
    State(shared): State<Arc<Shared>>,
    Path((thing, event)): Path<(String, String)>,
    body: JsonBody,
) -> HttpResponse {
    match post(thing, Characteristic::Events, event, body) {
        Ok(r) => send(&shared, r).await,
        Err(e) => e.into_response(),
    }
}
