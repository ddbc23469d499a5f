//! How the emulator answers requests edges send to the platform, the way ThingWorx does:
//!
//! * property PUT: stored in the model as pushed (a `_content_` body gives `obj[property]`,
//!   or the whole value when it is not an object); SUCCESS;
//! * property GET: the stored value, NOT_FOUND when there is none;
//! * `UpdateSubscribedPropertyValues`: every update stored as pushed (typed tables, and
//!   `_content_` bodies whose `values` is InfoTable JSON with `{"baseType","value"}` cells);
//! * `GetPropertySubscriptions`, `GetEventSubscriptions` and the model-only platform-side
//!   services ([`super::services`]); other services: NOT_FOUND with a reason;
//! * events: SUCCESS, recorded, a [`super::model::ModelNotice::EventReceived`] (a
//!   `_content_` object becomes one row of data, typed by the declared data shape).
//!
//! Typed pushes arrive as [`Push`]es ([`EdgeRequests`] is also the platform's
//! [`PushHandler`]): read once from the received bytes, only the stored value converted to
//! owned. Pushed values and events are logged at debug.

use super::model::{Source, ThingModel, Vtq};
use super::services::{self, Params};
use alwayson_proto::conventions::{QUALITY_GOOD, UPDATE_SUBSCRIBED_PROPERTY_VALUES};
use alwayson_proto::{
    Characteristic, Clipped, InfoTable, Method, Request, Response, StatusCode, Value,
};
use alwayson_rest::{content, json};
use alwayson_tokio::platform::Push;
use alwayson_tokio::{ConnectionInfo, EdgeRequestHandler, PushHandler};
use futures_util::future::BoxFuture;
use serde_json::Value as Json;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The emulator's [`EdgeRequestHandler`]: answers edges from and into the [`ThingModel`].
#[derive(Debug, Clone)]
pub struct EdgeRequests {
    model: ThingModel,
}

impl EdgeRequests {
    /// A handler over `model`.
    pub fn new(model: ThingModel) -> Self {
        Self { model }
    }

    /// The response to one edge request (`now_ms` stamps values that carry no time).
    pub fn answer(&self, request: &Request, now_ms: i64) -> Response {
        let thing = request.entity_name.to_str_lossy().into_owned();
        let name = request.characteristic_name.to_str_lossy().into_owned();
        match (request.characteristic, request.method) {
            (Characteristic::Properties, Method::Put) => {
                self.property_write(&thing, &name, request, now_ms)
            }
            (Characteristic::Properties, _) => match self.model.last(&thing, &name) {
                Some(v) => Response::with_content(InfoTable::single(name.as_str(), v.value)),
                None => Response::error(
                    StatusCode::NOT_FOUND,
                    format!("property {thing}.{name} has no value on the platform"),
                ),
            },
            (Characteristic::Services, _) => self.service(&thing, &name, request),
            (Characteristic::Events, _) => {
                let data = match self.event_data(&thing, &name, request) {
                    Ok(d) => d,
                    Err(e) => return Response::error(StatusCode::BAD_REQUEST, e),
                };
                tracing::debug!(
                    "event {thing}.{name}: {}",
                    Clipped(&json::infotable_to_json(&data)["rows"].to_string())
                );
                self.model.record_event(&thing, &name, now_ms, data);
                Response::success()
            }
            _ => Response::error(StatusCode::NOT_FOUND, "unsupported characteristic"),
        }
    }

    /// The data of an event: the params table, or a `_content_` object read as one row typed
    /// by the event's declared data shape.
    fn event_data(&self, thing: &str, event: &str, request: &Request) -> Result<InfoTable, String> {
        let Some(params) = &request.params else {
            return Ok(InfoTable::new());
        };
        match content::unwrap_content(params) {
            None => Ok(params.clone()),
            Some(Err(e)) => Err(e.to_string()),
            Some(Ok(Json::Object(m))) if m.is_empty() => Ok(InfoTable::new()),
            Some(Ok(doc)) => {
                let meta = self.model.metadata(thing);
                let declared = |f: &str| {
                    meta.as_ref()?
                        .events
                        .get(event)?
                        .fields
                        .iter()
                        .find(|(n, _)| n == f)?
                        .1
                };
                match &doc {
                    Json::Object(m) if json::is_infotable_json(m) => {
                        json::infotable_from_json(&doc).map_err(|e| e.to_string())
                    }
                    Json::Object(_) => {
                        json::params_from_json_typed(&doc, declared).map_err(|e| e.to_string())
                    }
                    _ => Err("event data must be a JSON object".into()),
                }
            }
        }
    }

    fn property_write(
        &self,
        thing: &str,
        property: &str,
        request: &Request,
        now_ms: i64,
    ) -> Response {
        let Some(params) = &request.params else {
            return Response::error(StatusCode::BAD_REQUEST, "property write without a value");
        };
        let value = match content::unwrap_content(params) {
            Some(Ok(doc)) => {
                let declared = self
                    .model
                    .metadata(thing)
                    .and_then(|m| m.property_type(property));
                match content::property_value(&doc, property, declared) {
                    Ok(v) => v,
                    Err(e) => return Response::error(StatusCode::BAD_REQUEST, e.to_string()),
                }
            }
            Some(Err(e)) => return Response::error(StatusCode::BAD_REQUEST, e.to_string()),
            None => match params.first(property).or_else(|| params.row(0)?.first()) {
                Some(v) => v.unwrap_variant().into_owned(),
                None => {
                    return Response::error(
                        StatusCode::BAD_REQUEST,
                        "property write without a value",
                    )
                }
            },
        };
        tracing::debug!(
            "edge wrote {thing}.{property} = {}",
            Clipped(&json::value_to_json(&value).to_string())
        );
        self.model
            .record(thing, property, Vtq::good(value, now_ms), Source::Pushed);
        Response::success()
    }

    /// The response to a typed push ([`Push`], borrowed from the received bytes): every
    /// update stored as pushed (the same as [`answer`](Self::answer) of the owned request).
    pub fn answer_push(&self, push: &Push) -> Response {
        let thing = String::from_utf8_lossy(push.thing());
        for u in push.updates() {
            let vtq = Vtq {
                value: u.value.to_owned(),
                time_ms: u.time,
                quality: String::from_utf8_lossy(u.quality).into_owned(),
            };
            self.record_pushed(&thing, &String::from_utf8_lossy(u.name), vtq);
        }
        Response::success()
    }

    /// Stores one pushed value (logged at debug).
    fn record_pushed(&self, thing: &str, name: &str, vtq: Vtq) {
        tracing::debug!(
            "pushed {thing}.{name} = {} at {} ({})",
            Clipped(&json::value_to_json(&vtq.value).to_string()),
            vtq.time_ms,
            vtq.quality
        );
        self.model.record(thing, name, vtq, Source::Pushed);
    }

    fn service(&self, thing: &str, service: &str, request: &Request) -> Response {
        let unwrapped = request.params.as_ref().and_then(content::unwrap_content);
        if service == UPDATE_SUBSCRIBED_PROPERTY_VALUES {
            let updates = match unwrapped {
                Some(Ok(doc)) => updates_from_json(&doc),
                Some(Err(e)) => Err(e.to_string()),
                None => request
                    .property_updates()
                    .map(|u| {
                        u.into_iter()
                            .map(|u| {
                                let vtq = Vtq {
                                    value: u.value,
                                    time_ms: u.time,
                                    quality: u.quality.to_str_lossy().into_owned(),
                                };
                                (u.name.to_str_lossy().into_owned(), vtq)
                            })
                            .collect()
                    })
                    .ok_or_else(|| "params have no `values` table".to_owned()),
            };
            return match updates {
                Ok(updates) => {
                    for (name, vtq) in updates {
                        self.record_pushed(thing, &name, vtq);
                    }
                    Response::success()
                }
                Err(e) => Response::error(StatusCode::BAD_REQUEST, format!("{service}: {e}")),
            };
        }
        let params = match unwrapped {
            Some(Ok(Json::Object(m))) => Params(m),
            Some(Ok(_)) => Params::default(),
            Some(Err(e)) => return Response::error(StatusCode::BAD_REQUEST, e.to_string()),
            None => Params::from_table(request.params.as_ref()),
        };
        match services::answer_from_model(&self.model, thing, service, &params) {
            Some(Ok(t)) => Response::with_content(t),
            Some(Err(e)) => Response::error(StatusCode::BAD_REQUEST, e.message),
            None => Response::error(
                StatusCode::NOT_FOUND,
                format!("service {service} is not answered by the platform"),
            ),
        }
    }
}

/// The updates of an `UpdateSubscribedPropertyValues` body in JSON (`_content_`): `values`
/// as InfoTable JSON (at the top, or in the first row of an InfoTable-shaped body), rows of
/// `name`, `value` (possibly `{"baseType","value"}`), `time`, `quality`.
fn updates_from_json(doc: &Json) -> Result<Vec<(String, Vtq)>, String> {
    let values = match doc {
        Json::Object(m) if json::is_infotable_json(m) => {
            doc["rows"].get(0).and_then(|r| r.get("values"))
        }
        _ => doc.get("values"),
    }
    .ok_or("no `values` member")?;
    let table = json::infotable_from_json(values).map_err(|e| format!("values.{e}"))?;
    let mut out = Vec::with_capacity(table.row_count());
    for row in 0..table.row_count() {
        let name = table.get(row, "name").map(Value::unwrap_variant);
        let Some(Value::String(_, name)) = name.as_deref() else {
            continue;
        };
        let value = table
            .get(row, "value")
            .map(|v| v.unwrap_variant().into_owned())
            .unwrap_or(Value::Nothing);
        let time_ms = match table.get(row, "time").map(Value::unwrap_variant).as_deref() {
            Some(Value::DateTime(t)) => *t,
            _ => 0,
        };
        let quality = match table
            .get(row, "quality")
            .map(Value::unwrap_variant)
            .as_deref()
        {
            Some(Value::String(_, q)) => q.to_str_lossy().into_owned(),
            _ => QUALITY_GOOD.to_owned(),
        };
        out.push((
            name.to_str_lossy().into_owned(),
            Vtq {
                value,
                time_ms,
                quality,
            },
        ));
    }
    Ok(out)
}

impl EdgeRequestHandler for EdgeRequests {
    fn handle(&self, _conn: ConnectionInfo, request: Request) -> BoxFuture<'static, Response> {
        let response = self.answer(&request, now_ms());
        Box::pin(std::future::ready(response))
    }
}

impl PushHandler for EdgeRequests {
    fn handle(&self, _conn: ConnectionInfo, push: Push) -> BoxFuture<'static, Response> {
        let response = self.answer_push(&push);
        Box::pin(std::future::ready(response))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alwayson_proto::PropertyUpdate;
    use serde_json::json;

    fn wrapped(method: Method, ch: Characteristic, name: &str, body: Json) -> Request {
        Request::new(method, "T", ch, name, Some(content::wrap_content(&body)))
    }

    #[test]
    fn content_put_takes_the_member() {
        let h = EdgeRequests::new(ThingModel::default());
        let r = h.answer(
            &wrapped(
                Method::Put,
                Characteristic::Properties,
                "Temp",
                json!({"Temp": 42}),
            ),
            5,
        );
        assert_eq!(r.status, StatusCode::SUCCESS);
        assert_eq!(
            h.model.last("T", "Temp").unwrap().value,
            Value::Number(42.0)
        );
        h.answer(
            &wrapped(Method::Put, Characteristic::Properties, "Label", json!("x")),
            5,
        );
        assert_eq!(
            h.model.last("T", "Label").unwrap().value,
            Value::string("x")
        );
        // and a GET answers from the model
        let r = h.answer(&Request::read_property("T", "Temp"), 6);
        assert_eq!(r.content.unwrap().first("Temp"), Some(&Value::Number(42.0)));
        let r = h.answer(&Request::read_property("T", "Nope"), 6);
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn pushes_typed_and_as_content() {
        let h = EdgeRequests::new(ThingModel::default());
        let r = h.answer(
            &Request::push_properties("T", &[PropertyUpdate::new("a", Value::Integer(3), 100)]),
            5,
        );
        assert_eq!(r.status, StatusCode::SUCCESS);
        assert_eq!(
            h.model.last("T", "a").unwrap(),
            Vtq::good(Value::Integer(3), 100)
        );
        // the LSR's body, wrapped by the EMS
        let body = json!({"dataShape":{"fieldDefinitions":{"values":{"name":"values","baseType":"INFOTABLE"}}},
            "rows":[{"values":{"dataShape":{"fieldDefinitions":{
                "value":{"name":"value","baseType":"VARIANT"},"time":{"name":"time","baseType":"DATETIME"},
                "name":{"name":"name","baseType":"STRING"},"quality":{"name":"quality","baseType":"STRING"}}},
              "rows":[{"value":{"baseType":"NUMBER","value":21.5},"name":"Temp","time":1795959503000i64,"quality":"GOOD"}]}}]});
        let r = h.answer(
            &wrapped(
                Method::Post,
                Characteristic::Services,
                UPDATE_SUBSCRIBED_PROPERTY_VALUES,
                body,
            ),
            5,
        );
        assert_eq!(r.status, StatusCode::SUCCESS, "{r:?}");
        let v = h.model.last("T", "Temp").unwrap();
        assert_eq!((v.value, v.time_ms), (Value::Number(21.5), 1795959503000));
        // a bare {"values": …}
        let body = json!({"values":{"dataShape":{"fieldDefinitions":{"name":{"baseType":"STRING"},"value":{"baseType":"VARIANT"}}},
            "rows":[{"name":"n","value":{"baseType":"INTEGER","value":19}}]}});
        h.answer(
            &wrapped(
                Method::Post,
                Characteristic::Services,
                UPDATE_SUBSCRIBED_PROPERTY_VALUES,
                body,
            ),
            5,
        );
        assert_eq!(h.model.last("T", "n").unwrap().value, Value::Integer(19));
        let r = h.answer(
            &wrapped(
                Method::Post,
                Characteristic::Services,
                UPDATE_SUBSCRIBED_PROPERTY_VALUES,
                json!({"x":1}),
            ),
            5,
        );
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_borrowed_push_stores_what_the_owned_request_stores() {
        let updates = [
            PropertyUpdate::new("a", Value::Integer(3), 100),
            PropertyUpdate::new("b", Value::string("text"), 101),
            PropertyUpdate {
                quality: "BAD".into(),
                ..PropertyUpdate::new("c", Value::Boolean(true), 102)
            },
        ];
        let request = Request::push_properties("T", &updates);
        let bytes = alwayson_proto::Message {
            header: alwayson_proto::Header::new(1, 2),
            body: alwayson_proto::Body::Request(request.clone()),
        }
        .encode()
        .unwrap();
        let push = Push::decode(bytes).unwrap().expect("a push");
        let (owned, borrowed) = (
            EdgeRequests::new(ThingModel::default()),
            EdgeRequests::new(ThingModel::default()),
        );
        assert_eq!(owned.answer(&request, 5), Response::success());
        assert_eq!(borrowed.answer_push(&push), Response::success());
        for name in ["a", "b", "c"] {
            let got = borrowed.model.last("T", name).unwrap();
            assert_eq!(got, owned.model.last("T", name).unwrap(), "{name}");
        }
        let c = borrowed.model.last("T", "c").unwrap();
        assert_eq!(
            (c.value, c.time_ms, c.quality.as_str()),
            (Value::Boolean(true), 102, "BAD")
        );
    }

    #[test]
    fn subscriptions_events_and_unknown_services() {
        let h = EdgeRequests::new(ThingModel::default());
        h.answer(
            &wrapped(
                Method::Put,
                Characteristic::Properties,
                "Temp",
                json!({"Temp": 1}),
            ),
            5,
        );
        let r = h.answer(
            &wrapped(
                Method::Post,
                Characteristic::Services,
                "GetPropertySubscriptions",
                json!({}),
            ),
            5,
        );
        let t = r.content.unwrap();
        assert_eq!(t.first("edgeName"), Some(&Value::string("Temp")));
        assert_eq!(t.first("pushType"), Some(&Value::string("VALUE")));
        assert_eq!(t.first("pushThreshold"), Some(&Value::Number(0.0)));
        let r = h.answer(
            &Request::fire_event(
                "T",
                "Fault",
                InfoTable::single("message", Value::string("hot")),
            ),
            7,
        );
        assert_eq!(r.status, StatusCode::SUCCESS);
        assert_eq!(h.model.events("T")[0].name, "Fault");
        let r = h.answer(
            &Request::invoke_service("T", "GetEventSubscriptions", None),
            8,
        );
        assert_eq!(
            r.content.unwrap().first("edgeName"),
            Some(&Value::string("Fault"))
        );
        let r = h.answer(&Request::invoke_service("T", "Nope", None), 8);
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // an event posted through the EMS as plain JSON
        let r = h.answer(
            &wrapped(
                Method::Post,
                Characteristic::Events,
                "Fault",
                json!({"message": "hot", "code": {"baseType": "INTEGER", "value": 3}}),
            ),
            9,
        );
        assert_eq!(r.status, StatusCode::SUCCESS);
        let data = &h.model.events("T")[1].data;
        assert_eq!(data.first("message"), Some(&Value::string("hot")));
        assert_eq!(data.first("code"), Some(&Value::Integer(3)));
    }
}
