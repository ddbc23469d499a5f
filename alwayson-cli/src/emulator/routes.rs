//! The REST routes of the emulator (axum). Every path under `/Thingworx` needs the
//! application key (header `appKey`, or query parameter `appKey`); every error is JSON
//! `{"error": "…"}`. The paths and their answers are listed in the `alwayson-cli` README
//! (section *REST interface*); property reads take `?source=live|stored`.

use super::edge_call;
use super::edge_requests::now_ms;
use super::model::{Source, Vtq};
use super::services::{self, Params, PLATFORM_SERVICES};
use super::subscriptions::{property_subscriptions_table, threshold, PushRule, PushType};
use super::Emulator;
use alwayson_proto::{BaseType, DataShape, FieldDefinition, InfoTable, Value};
use alwayson_rest::app_key::require_app_key;
use alwayson_rest::{json, json_response, typing, JsonBody, RestError};
use alwayson_tokio::Platform;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::time::{SystemTime, UNIX_EPOCH};

type Result<T> = std::result::Result<T, RestError>;

/// The emulator's routes, with the `appKey` check. The platform handle comes from the
/// request's extensions (the platform runtime puts it there).
pub fn router(emulator: &Emulator) -> Router {
    Router::new()
        .route("/Thingworx/Things", get(things))
        .route("/Thingworx/Things/{thing}", get(thing))
        .route("/Thingworx/Things/{thing}/Properties", get(all_properties))
        .route(
            "/Thingworx/Things/{thing}/Properties/{property}",
            get(read_property).put(write_property),
        )
        .route("/Thingworx/Things/{thing}/Services", get(list_services))
        .route(
            "/Thingworx/Things/{thing}/Services/{service}",
            axum::routing::post(invoke_service),
        )
        .route("/Thingworx/Things/{thing}/Metadata", get(metadata))
        .route("/Thingworx/Things/{thing}/Events", get(events))
        .route(
            "/Thingworx/Things/{thing}/Subscriptions",
            get(subscriptions),
        )
        .route(
            "/Thingworx/Things/{thing}/Subscriptions/{property}",
            axum::routing::put(set_subscription),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(
            emulator.app_key.clone(),
            require_app_key,
        ))
        .with_state(emulator.clone())
}

async fn method_not_allowed() -> RestError {
    RestError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this path (see the Allow header)",
    )
}

fn platform(ext: Option<Extension<Platform>>) -> Result<Platform> {
    ext.map(|Extension(p)| p).ok_or_else(|| {
        RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "platform handle missing from the request",
        )
    })
}

fn path<T>(p: std::result::Result<Path<T>, PathRejection>) -> Result<T> {
    match p {
        Ok(Path(v)) => Ok(v),
        Err(e) => Err(RestError::bad_request(format!(
            "bad path: {}",
            e.body_text()
        ))),
    }
}

fn query<T>(q: std::result::Result<Query<T>, QueryRejection>) -> Result<T> {
    match q {
        Ok(Query(v)) => Ok(v),
        Err(e) => Err(RestError::bad_request(format!(
            "bad query: {}",
            e.body_text()
        ))),
    }
}

fn ok_json(body: &Json) -> Response {
    json_response(StatusCode::OK, body)
}

fn millis(t: SystemTime) -> Json {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => Json::from(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        Err(_) => Json::from(0),
    }
}

fn connected(p: &Platform, thing: &str) -> bool {
    p.thing(thing).is_some_and(|s| s.is_connected)
}

fn status_json(p: &Platform, emulator: &Emulator, thing: &str) -> Option<Json> {
    let status = p.thing(thing);
    if status.is_none() && !emulator.model.knows(thing) {
        return None;
    }
    Some(json!({
        "name": thing,
        "isConnected": status.as_ref().is_some_and(|s| s.is_connected),
        "lastConnection": status.and_then(|s| s.last_connection).map(millis).unwrap_or(Json::Null),
    }))
}

#[derive(Deserialize)]
struct Page {
    offset: Option<usize>,
    limit: Option<usize>,
}

/// Most things listed per page.
const MAX_PAGE: usize = 1000;

async fn things(
    State(emulator): State<Emulator>,
    ext: Option<Extension<Platform>>,
    q: std::result::Result<Query<Page>, QueryRejection>,
) -> Result<Response> {
    let p = platform(ext)?;
    let page = query(q)?;
    let mut names: Vec<String> = p
        .things()
        .iter()
        .map(|s| s.name.to_str_lossy().into_owned())
        .chain(emulator.model.things())
        .collect();
    names.sort();
    names.dedup();
    let total = names.len();
    let offset = page.offset.unwrap_or(0);
    let limit = page.limit.unwrap_or(100).min(MAX_PAGE);
    let rows: Vec<Json> = names
        .iter()
        .skip(offset)
        .take(limit)
        .filter_map(|n| status_json(&p, &emulator, n))
        .collect();
    Ok(ok_json(
        &json!({"rows": rows, "total": total, "offset": offset, "limit": limit}),
    ))
}

async fn thing(
    State(emulator): State<Emulator>,
    ext: Option<Extension<Platform>>,
    t: std::result::Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let p = platform(ext)?;
    let thing = path(t)?;
    status_json(&p, &emulator, &thing)
        .map(|j| ok_json(&j))
        .ok_or_else(|| {
            RestError::not_found(format!("thing {thing} is unknown: it has never been bound"))
        })
}

/// `?source=` of a property read.
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum ReadSource {
    /// Stored for pushed properties and while not connected, live otherwise.
    #[default]
    Auto,
    /// Always ask the edge.
    Live,
    /// Always the stored value.
    Stored,
}

#[derive(Deserialize, Default)]
struct ReadQuery {
    #[serde(default)]
    source: ReadSource,
}

fn typed(emulator: &Emulator, thing: &str, property: &str, value: Value) -> Value {
    match emulator
        .model
        .metadata(thing)
        .and_then(|m| m.property_type(property))
    {
        Some(bt) => typing::coerce(value, bt),
        None => value,
    }
}

fn value_table(property: &str, value: Value) -> InfoTable {
    InfoTable::single(property, value.unwrap_variant().into_owned())
}

/// A stored value: the property's field plus `time` (DATETIME) and `quality` (STRING), as
/// the EMS answers property reads (a field named like the property is not repeated).
fn stored_response(property: &str, v: Vtq) -> Response {
    let value = v.value.unwrap_variant().into_owned();
    let mut fields = vec![FieldDefinition::new(property, value.base_type())];
    let mut row = vec![value];
    for (name, bt, cell) in [
        ("time", BaseType::DateTime, Value::DateTime(v.time_ms)),
        (
            "quality",
            BaseType::String,
            Value::string(v.quality.as_str()),
        ),
    ] {
        if name != property {
            fields.push(FieldDefinition::new(name, bt));
            row.push(cell);
        }
    }
    let t = InfoTable::from_rows(DataShape { fields }, [row]);
    source_response(&t, "stored")
}

/// InfoTable JSON with an `X-Alwayson-Source` header (`live` or `stored`).
fn source_response(t: &InfoTable, source: &'static str) -> Response {
    let mut r = ok_json(&json::infotable_to_json(t));
    r.headers_mut()
        .insert("x-alwayson-source", http::HeaderValue::from_static(source));
    r
}

async fn read_property(
    State(emulator): State<Emulator>,
    ext: Option<Extension<Platform>>,
    tp: std::result::Result<Path<(String, String)>, PathRejection>,
    q: std::result::Result<Query<ReadQuery>, QueryRejection>,
) -> Result<Response> {
    let p = platform(ext)?;
    let (thing, property) = path(tp)?;
    let source = query(q)?.source;
    let is_connected = connected(&p, &thing);
    let stored = emulator.model.last(&thing, &property);
    let use_stored = match source {
        ReadSource::Stored => true,
        ReadSource::Live => false,
        ReadSource::Auto => !is_connected || emulator.model.is_pushed(&thing, &property),
    };
    if use_stored {
        return match stored {
            Some(v) => Ok(stored_response(&property, v)),
            None if !is_connected && source == ReadSource::Auto => Err(edge_call::runtime_error(
                alwayson_tokio::Error::NotBound(thing),
            )),
            None => Err(RestError::not_found(format!(
                "no stored value for {thing}.{property}"
            ))),
        };
    }
    let value = edge_call::read_property(&p, &thing, &property).await?;
    let value = typed(&emulator, &thing, &property, value);
    emulator.model.record(
        &thing,
        &property,
        Vtq::good(value.clone(), now_ms()),
        Source::Platform,
    );
    Ok(source_response(&value_table(&property, value), "live"))
}

async fn write_property(
    State(emulator): State<Emulator>,
    ext: Option<Extension<Platform>>,
    tp: std::result::Result<Path<(String, String)>, PathRejection>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let p = platform(ext)?;
    let (thing, property) = path(tp)?;
    let declared = emulator
        .model
        .metadata(&thing)
        .and_then(|m| m.property_type(&property));
    let value = property_value_from_body(&property, body, declared)?;
    edge_call::write_property(&p, &thing, &property, value.clone()).await?;
    emulator.model.record(
        &thing,
        &property,
        Vtq::good(value, now_ms()),
        Source::Platform,
    );
    Ok(StatusCode::OK.into_response())
}

/// The value of a REST property write: `{"<property>": value}`, an InfoTable JSON holding a
/// field named like the property, or (not an object) the value itself.
fn property_value_from_body(
    property: &str,
    body: Option<Json>,
    declared: Option<alwayson_proto::BaseType>,
) -> Result<Value> {
    let expected = || format!("body must be a JSON object like {{\"{property}\": <value>}}");
    let Some(body) = body else {
        return Err(RestError::bad_request(format!(
            "empty body: {}",
            expected()
        )));
    };
    let bad = |e: json::JsonError| {
        let at = if e.path == "$" {
            property.to_owned()
        } else {
            format!("{property}.{}", e.path)
        };
        RestError::bad_request(format!("bad value: {at}: {}", e.message))
    };
    let cell = match &body {
        Json::Object(m) if json::is_infotable_json(m) => {
            let t = json::infotable_from_json(&body)
                .map_err(|e| RestError::bad_request(format!("bad InfoTable: {e}")))?;
            let v = t.first(property).cloned().ok_or_else(|| {
                RestError::bad_request(format!("the table has no field {property:?}"))
            })?;
            return Ok(match declared {
                Some(bt) => typing::coerce(v, bt),
                None => v,
            });
        }
        Json::Object(m) => m.get(property).ok_or_else(|| {
            RestError::bad_request(format!("{} (no key {property:?})", expected()))
        })?,
        other => other,
    };
    match declared {
        Some(bt) => json::typed_value_from_json(cell, bt).map_err(bad),
        None => json::value_from_json(cell).map_err(bad),
    }
}

/// `GET …/Properties`: one row with every known property (stored, declared in metadata).
/// Like a single read: properties the edge pushes come from the model, the others are read
/// live while the thing is connected (`?source=live` reads them all live, `?source=stored`
/// none). A property the edge answers NOT_FOUND for is left out.
async fn all_properties(
    State(emulator): State<Emulator>,
    ext: Option<Extension<Platform>>,
    t: std::result::Result<Path<String>, PathRejection>,
    q: std::result::Result<Query<ReadQuery>, QueryRejection>,
) -> Result<Response> {
    let p = platform(ext)?;
    let thing = path(t)?;
    let source = query(q)?.source;
    if p.thing(&thing).is_none() && !emulator.model.knows(&thing) {
        return Err(RestError::not_found(format!(
            "thing {thing} is unknown: it has never been bound"
        )));
    }
    let is_connected = connected(&p, &thing);
    if source == ReadSource::Live && !is_connected {
        return Err(edge_call::runtime_error(alwayson_tokio::Error::NotBound(
            thing,
        )));
    }
    if is_connected && source != ReadSource::Stored {
        let mut names: Vec<String> = emulator
            .model
            .values(&thing)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        if let Some(m) = emulator.model.metadata(&thing) {
            names.extend(m.properties.keys().cloned());
        }
        names.sort();
        names.dedup();
        names.retain(|n| source == ReadSource::Live || !emulator.model.is_pushed(&thing, n));
        let reads = names
            .iter()
            .map(|n| edge_call::read_property(&p, &thing, n));
        let results = futures_util::future::join_all(reads).await;
        for (name, result) in names.iter().zip(results) {
            match result {
                Ok(value) => {
                    let value = typed(&emulator, &thing, name, value);
                    emulator.model.record(
                        &thing,
                        name,
                        Vtq::good(value, now_ms()),
                        Source::Platform,
                    );
                }
                Err(e) if e.status == StatusCode::NOT_FOUND => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(ok_json(&json::infotable_to_json(
        &services::property_values(&emulator.model, &thing),
    )))
}

async fn invoke_service(
    State(emulator): State<Emulator>,
    ext: Option<Extension<Platform>>,
    ts: std::result::Result<Path<(String, String)>, PathRejection>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let p = platform(ext)?;
    let (thing, service) = path(ts)?;
    if services::is_platform_service(&service) {
        if p.thing(&thing).is_none() && !emulator.model.knows(&thing) {
            return Err(RestError::not_found(format!(
                "thing {thing} is unknown: it has never been bound"
            )));
        }
        let params = Params::from_body(body)?;
        if service == "SetPropertyValues" {
            let values = services::values_to_set(&emulator.model, &thing, &params)?;
            for (name, value) in values {
                edge_call::write_property(&p, &thing, &name, value.clone()).await?;
                emulator
                    .model
                    .record(&thing, &name, Vtq::good(value, now_ms()), Source::Platform);
            }
            return Ok(ok_json(&json::infotable_to_json(&InfoTable::new())));
        }
        return match services::answer_from_model(&emulator.model, &thing, &service, &params) {
            Some(r) => r.map(|t| ok_json(&json::infotable_to_json(&t))),
            None => Err(RestError::not_found(format!("service {service} not found"))),
        };
    }
    let meta = emulator.model.metadata(&thing);
    let params = match body {
        None => None,
        Some(Json::Object(m)) if m.is_empty() => None,
        Some(Json::Object(m)) if json::is_infotable_json(&m) => Some(
            json::infotable_from_json(&Json::Object(m))
                .map_err(|e| RestError::bad_request(format!("bad parameters: {e}")))?,
        ),
        Some(j) => Some(
            json::params_from_json_typed(&j, |n| {
                meta.as_ref().and_then(|m| m.input_type(&service, n))
            })
            .map_err(|e| RestError::bad_request(format!("bad parameters: {e}")))?,
        ),
    };
    let mut result = edge_call::invoke_service(&p, &thing, &service, params).await?;
    if let Some(bt) = meta.as_ref().and_then(|m| m.output_type(&service)) {
        if let Some(i) = result
            .data_shape
            .field_index(alwayson_proto::conventions::RESULT_FIELD)
        {
            result.data_shape.fields[i].base_type = bt;
            for row in result.rows_mut() {
                if let Some(cell) = row.get_mut(i) {
                    *cell = typing::coerce(std::mem::replace(cell, Value::Nothing), bt);
                }
            }
        }
    }
    Ok(ok_json(&json::infotable_to_json(&result)))
}

async fn list_services(
    State(emulator): State<Emulator>,
    t: std::result::Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let thing = path(t)?;
    let mut rows: Vec<Json> = Vec::new();
    if let Some(m) = emulator.model.metadata(&thing) {
        for (name, def) in &m.services {
            let inputs: serde_json::Map<String, Json> = def
                .inputs
                .iter()
                .map(|(n, bt)| {
                    (
                        n.clone(),
                        bt.map(|b| b.name()).map_or(Json::Null, Json::from),
                    )
                })
                .collect();
            rows.push(json!({
                "name": name,
                "answeredBy": "edge",
                "inputs": inputs,
                "output": def.output.map(|b| b.name()),
            }));
        }
    }
    for name in PLATFORM_SERVICES {
        rows.push(
            json!({"name": name, "answeredBy": "platform", "inputs": {}, "output": "INFOTABLE"}),
        );
    }
    Ok(ok_json(&json!({ "rows": rows })))
}

async fn metadata(
    State(emulator): State<Emulator>,
    t: std::result::Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let thing = path(t)?;
    emulator
        .model
        .metadata(&thing)
        .map(|m| ok_json(&m.document))
        .ok_or_else(|| {
            RestError::not_found(format!(
                "no metadata for {thing} (its edge has not answered GetMetadata)"
            ))
        })
}

async fn events(
    State(emulator): State<Emulator>,
    t: std::result::Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let thing = path(t)?;
    let rows: Vec<Json> = emulator
        .model
        .events(&thing)
        .iter()
        .map(|e| json!({"name": e.name, "time": e.time_ms, "data": json::infotable_to_json(&e.data)}))
        .collect();
    Ok(ok_json(&json!({ "rows": rows })))
}

async fn subscriptions(
    State(emulator): State<Emulator>,
    t: std::result::Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let thing = path(t)?;
    let table = property_subscriptions_table(&emulator.model.rules(&thing));
    Ok(ok_json(&json::infotable_to_json(&table)))
}

async fn set_subscription(
    State(emulator): State<Emulator>,
    ext: Option<Extension<Platform>>,
    tp: std::result::Result<Path<(String, String)>, PathRejection>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let p = platform(ext)?;
    let (thing, property) = path(tp)?;
    let usage = r#"body must be {"pushType": "ALWAYS|NEVER|VALUE|ON|OFF|DEADBAND", "pushThreshold": <number ≥ 0>}"#;
    let body = body.ok_or_else(|| RestError::bad_request(usage))?;
    let push_type = body
        .get("pushType")
        .and_then(Json::as_str)
        .ok_or_else(|| RestError::bad_request(usage))?
        .parse::<PushType>()
        .map_err(|e| RestError::bad_request(e.to_string()))?;
    let threshold = match body.get("pushThreshold") {
        None | Some(Json::Null) => 0.0,
        Some(t) => t
            .as_f64()
            .and_then(threshold)
            .ok_or_else(|| RestError::bad_request(usage))?,
    };
    let rule = PushRule::new(push_type).with_threshold(threshold);
    emulator.model.set_rule(&thing, &property, rule);
    let notified = if connected(&p, &thing) {
        match edge_call::invoke_service(&p, &thing, "NotifyPropertyUpdate", None).await {
            Ok(_) => true,
            Err(e) => {
                tracing::info!("NotifyPropertyUpdate on {thing} failed: {}", e.message);
                false
            }
        }
    } else {
        false
    };
    Ok(ok_json(&json!({
        "edgeName": property,
        "pushType": rule.push_type.as_str(),
        "pushThreshold": rule.threshold,
        "notified": notified,
    })))
}

/// The answer for paths no route takes: 401 without the right key (nothing is revealed about
/// paths), else a JSON 404.
pub async fn not_found(
    State(emulator): State<Emulator>,
    uri: http::Uri,
    headers: http::HeaderMap,
) -> RestError {
    if let Err(e) = emulator.app_key.check(&headers, &uri) {
        return e;
    }
    RestError::not_found(format!("no such endpoint: {}", uri.path()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn property_body_shapes() {
        let v = property_value_from_body("t", Some(json!({"t": 22})), None).unwrap();
        assert_eq!(v, Value::Number(22.0));
        let v = property_value_from_body(
            "t",
            Some(json!(22)),
            Some(alwayson_proto::BaseType::Integer),
        )
        .unwrap();
        assert_eq!(v, Value::Integer(22));
        let v = property_value_from_body(
            "t",
            Some(json!({"t": {"baseType": "INTEGER", "value": 19}})),
            None,
        )
        .unwrap();
        assert_eq!(v, Value::Integer(19));
        for bad in [
            None,
            Some(json!({"other": 1})),
            Some(json!({"t": {"dataShape": 1, "rows": []}})),
        ] {
            assert_eq!(
                property_value_from_body("t", bad, None).unwrap_err().status,
                StatusCode::BAD_REQUEST
            );
        }
        let e =
            property_value_from_body("t", Some(json!({"t": {"dataShape": 1, "rows": []}})), None)
                .unwrap_err();
        assert!(e.message.contains("t.dataShape"), "{}", e.message);
    }
}
