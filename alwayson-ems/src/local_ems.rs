//! LocalEms REST (applications → gateway, ems.md §4): `AddEdgeThing`, `RemoveEdgeThing`,
//! `HasEdgeThing`, and the `isConnected` property.

use crate::gateway::Shared;
use crate::registry::EdgeThing;
use alwayson_proto::{InfoTable, Value};
use alwayson_rest::json::infotable_to_json;
use alwayson_rest::{json_response, JsonBody, RestError};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value as Json};
use std::sync::Arc;

fn table(name: &str, value: bool) -> Response {
    json_response(
        StatusCode::OK,
        &infotable_to_json(&InfoTable::single(name, Value::Boolean(value))),
    )
}

/// `GET /Thingworx/Things/LocalEms/Properties/{property}`: only `isConnected`.
pub(crate) async fn property(
    State(shared): State<Arc<Shared>>,
    Path(property): Path<String>,
) -> Response {
    if property != "isConnected" {
        return RestError::not_found(format!("LocalEms has no property {property:?}"))
            .into_response();
    }
    table("isConnected", shared.connected())
}

/// The body as an object with a valid `name`.
fn named_body(body: JsonBody) -> Result<(Map<String, Json>, String), RestError> {
    let Some(Json::Object(map)) = body.0 else {
        return Err(RestError::bad_request("expected a JSON object with a name"));
    };
    let name = match map.get("name") {
        Some(Json::String(n)) => n.clone(),
        None => return Err(RestError::bad_request("name: missing")),
        Some(_) => return Err(RestError::bad_request("name: expected a string")),
    };
    crate::registry::check_name(&name).map_err(|e| RestError::bad_request(format!("name: {e}")))?;
    Ok((map, name))
}

/// `POST /Thingworx/Things/LocalEms/Services/{service}`.
pub(crate) async fn service(
    State(shared): State<Arc<Shared>>,
    Path(service): Path<String>,
    body: JsonBody,
) -> Response {
    let result = match service.as_str() {
        "AddEdgeThing" => add(&shared, body).await,
        "RemoveEdgeThing" => remove(&shared, body).await,
        "HasEdgeThing" => {
            named_body(body).map(|(_, name)| table("result", shared.registry.contains(&name)))
        }
        _ => Err(RestError::not_found(format!(
            "LocalEms has no service {service:?}"
        ))),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn ok_empty() -> Response {
    StatusCode::OK.into_response()
}

fn is_gateway(shared: &Shared, name: &str) -> Result<(), RestError> {
    if shared.gateway_name() == Some(name) {
        return Err(RestError::bad_request(format!(
            "{name:?} is the gateway thing itself"
        )));
    }
    Ok(())
}

/// Registers a thing and BINDs it: 200 with an empty body once bound (at once when the
/// platform is unreachable: it is bound after the next connect).
async fn add(shared: &Shared, body: JsonBody) -> Result<Response, RestError> {
    let (map, name) = named_body(body)?;
    is_gateway(shared, &name)?;
    let thing = EdgeThing::from_json(&map).map_err(RestError::bad_request)?;
    shared
        .registry
        .add(thing)
        .map_err(|e| RestError::new(StatusCode::INSUFFICIENT_STORAGE, e))?;
    tracing::info!(thing = %name, "registered");
    if !shared.connected() {
        let edge = shared.edge();
        tokio::spawn(async move {
            let _ = edge.bind([name]).await;
        });
        return Ok(ok_empty());
    }
    match shared.edge().bind([name.clone()]).await {
        Ok(()) => Ok(ok_empty()),
        Err(alwayson_tokio::Error::Timeout) => Ok(ok_empty()),
        Err(e) => {
            shared.registry.remove(&name);
            let _ = shared.edge().unbind([name.clone()]).await;
            Err(RestError::new(
                StatusCode::CONFLICT,
                format!("the platform refused to bind {name:?}: {e}"),
            ))
        }
    }
}

/// De-registers a thing and UNBINDs it.
async fn remove(shared: &Shared, body: JsonBody) -> Result<Response, RestError> {
    let (_, name) = named_body(body)?;
    is_gateway(shared, &name)?;
    if shared.registry.remove(&name).is_none() {
        return Err(RestError::not_found(format!("{name:?} is not registered")));
    }
    tracing::info!(thing = %name, "de-registered");
    if shared.connected() {
        if let Err(e) = shared.edge().unbind([name]).await {
            tracing::debug!(error = %e, "UNBIND not answered");
        }
    } else {
        let edge = shared.edge();
        tokio::spawn(async move {
            let _ = edge.unbind([name]).await;
        });
    }
    Ok(ok_empty())
}
