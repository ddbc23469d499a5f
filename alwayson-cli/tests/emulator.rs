//! The platform emulator against an in-test edge that speaks the wire format the way the C
//! SDK and the EMS do (tests/common/wire_edge.rs), driven through the REST interface.
#![allow(clippy::unwrap_used)]

mod common;

use alwayson_cli::cli::{Cli, Command};
use alwayson_cli::emulator::ModelNotice;
use alwayson_cli::platform_cmd::{self, Running};
use alwayson_proto::{
    BaseType, Characteristic, FieldDefinition, InfoTable, Method, PropertyUpdate, Request,
    Response, StatusCode, Value,
};
use alwayson_rest::content::wrap_content;
use clap::Parser;
use common::wire_edge::{Answerer, WireEdge};
use common::{http_with, HttpResponse};
use serde_json::{json, Value as Json};
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "emu-key";
const THING: &str = "SteamSensor1";

async fn start(extra: &[&str]) -> (Running, String) {
    let mut argv = vec![
        "alwayson",
        "platform",
        "--listen",
        "127.0.0.1:0",
        "--app-key",
        KEY,
    ];
    argv.extend_from_slice(extra);
    let Command::Platform(args) = Cli::try_parse_from(argv).unwrap().command else {
        panic!("not the platform command")
    };
    let running = platform_cmd::start(&args).await.unwrap();
    let addr = running.platform.local_addr().to_string();
    (running, addr)
}

async fn rest_ct(
    addr: &str,
    method: &str,
    path: &str,
    ct: Option<&str>,
    body: &str,
) -> HttpResponse {
    let (addr, method, path, ct, body) = (
        addr.to_owned(),
        method.to_owned(),
        path.to_owned(),
        ct.map(str::to_owned),
        body.to_owned(),
    );
    tokio::task::spawn_blocking(move || {
        http_with(&addr, &method, &path, Some(KEY), ct.as_deref(), &body)
    })
    .await
    .unwrap()
}

async fn rest(addr: &str, method: &str, path: &str, body: &str) -> HttpResponse {
    let ct = (!body.is_empty()).then_some("application/json");
    rest_ct(addr, method, path, ct, body).await
}

fn thing_path(rest: &str) -> String {
    format!("/Thingworx/Things/{THING}{rest}")
}

/// Polls until `cond` holds (at most 10 s).
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

fn metadata_doc() -> Json {
    json!({
        "name": THING, "description": "", "isSystemObject": false,
        "propertyDefinitions": {
            "Count": {"name": "Count", "baseType": "INTEGER", "description": "",
                "aspects": {"pushType": "ALWAYS", "pushThreshold": 0}},
            "Temperature": {"name": "Temperature", "baseType": "NUMBER", "description": "",
                "aspects": {"pushType": "VALUE", "pushThreshold": 0.5}}
        },
        "serviceDefinitions": {
            "ReadFromBinaryFile": {"name": "ReadFromBinaryFile", "description": "",
                "Inputs": {"fieldDefinitions": {
                    "count": {"name": "count", "baseType": "INTEGER", "description": "", "aspects": {}},
                    "since": {"name": "since", "baseType": "DATETIME", "description": "", "aspects": {}}}},
                "Outputs": {"name": "result", "baseType": "INTEGER", "description": "", "aspects": {}}}
        },
        "eventDefinitions": {
            "SteamSensorFault": {"name": "SteamSensorFault", "description": "",
                "EventData": {"fieldDefinitions": {"message": {"name": "message", "baseType": "STRING"}}}}
        }
    })
}

fn metadata_response() -> Response {
    let mut t = InfoTable::with_fields(vec![FieldDefinition::new("result", BaseType::Json)]);
    t.push_row(vec![Value::json(metadata_doc().to_string())]);
    Response::with_content(t)
}

/// An SDK-like edge: serves GetMetadata (or not), NotifyPropertyUpdate, and services that
/// echo their params / answer as the tests need.
fn sdk_answers(with_metadata: bool) -> Answerer {
    Arc::new(move |req: &Request| {
        let name = req.characteristic_name.to_str_lossy().into_owned();
        Some(match (req.characteristic, name.as_str()) {
            (Characteristic::Services, "GetMetadata") if with_metadata => metadata_response(),
            (Characteristic::Services, "NotifyPropertyUpdate") => Response::success(),
            (Characteristic::Services, "ReadFromBinaryFile") => {
                // answers the count back as a NUMBER: the declared INTEGER output types it
                let n = match req.params.as_ref().and_then(|p| p.first("count")) {
                    Some(Value::Integer(i)) => f64::from(*i),
                    _ => -1.0,
                };
                Response::with_content(InfoTable::single("result", Value::Number(n)))
            }
            (Characteristic::Services, "Echo") => {
                Response::with_content(req.params.clone().unwrap_or_default())
            }
            (Characteristic::Services, "Gone") => {
                let mut t =
                    InfoTable::with_fields(vec![FieldDefinition::new("error", BaseType::String)]);
                t.push_row(vec![Value::string("Service 'Gone' not found")]);
                Response {
                    status: StatusCode::NOT_FOUND,
                    reason: None,
                    content: Some(t),
                }
            }
            (Characteristic::Services, "Slow") => Response {
                status: StatusCode::GATEWAY_TIMEOUT,
                reason: None,
                content: None,
            },
            (Characteristic::Services, "Broken") => {
                Response::error(StatusCode::INTERNAL_SERVER_ERROR, "disk on fire")
            }
            (Characteristic::Properties, "Empty") if req.method == Method::Get => {
                Response::success()
            }
            (Characteristic::Properties, "Live") if req.method == Method::Get => {
                Response::with_content(InfoTable::single("Live", Value::Number(7.0)))
            }
            (Characteristic::Properties, _) if req.method == Method::Put => Response::success(),
            _ => Response {
                status: StatusCode::NOT_FOUND,
                reason: None,
                content: None,
            },
        })
    })
}

async fn edge(addr: &str, with_metadata: bool) -> WireEdge {
    WireEdge::connect(
        &format!("ws://{addr}/Thingworx/WS"),
        KEY,
        &[THING],
        sdk_answers(with_metadata),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_types_rest_inputs_and_outputs() {
    let (running, addr) = start(&[]).await;
    let mut notices = running.emulator.model.subscribe();
    let e = edge(&addr, true).await;
    // GetMetadata is called after BIND; the model announces it
    let loaded = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(ModelNotice::MetadataLoaded { thing }) = notices.recv().await {
                break thing;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(loaded, THING);
    assert_eq!(e.seen_named("GetMetadata"), 1);
    let r = rest(&addr, "GET", &thing_path("/Metadata"), "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), metadata_doc());

    // {"count":19} arrives as INTEGER 19, an ISO 8601 date as DATETIME; the NUMBER result
    // comes back typed INTEGER as declared
    let r = rest(
        &addr,
        "POST",
        &thing_path("/Services/ReadFromBinaryFile"),
        r#"{"count": 19, "since": "2026-11-29T14:00:00Z"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["rows"], json!([{"result": 19}]));
    assert_eq!(
        r.json()["dataShape"]["fieldDefinitions"]["result"]["baseType"],
        "INTEGER"
    );
    let sent = e.seen.lock().unwrap().last().cloned().unwrap();
    let params = sent.params.unwrap();
    assert_eq!(params.first("count"), Some(&Value::Integer(19)));
    assert_eq!(
        params.first("since"),
        Some(&Value::DateTime(1_795_960_800_000))
    );
    let r = rest(
        &addr,
        "POST",
        &thing_path("/Services/ReadFromBinaryFile"),
        r#"{"count": 1.5}"#,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);

    // a declared INTEGER pushed as NUMBER is stored and shown as INTEGER
    let push = Request::push_properties(
        THING,
        &[PropertyUpdate::new("Count", Value::Number(77.0), 1_000)],
    );
    assert!(e.request(push).await.status.is_success());
    let r = rest(&addr, "GET", &thing_path("/Properties/Count"), "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["rows"][0]["Count"], json!(77));
    assert_eq!(
        r.json()["dataShape"]["fieldDefinitions"]["Count"]["baseType"],
        "INTEGER"
    );
    // a REST write is typed by the declaration
    let r = rest(
        &addr,
        "PUT",
        &thing_path("/Properties/Count"),
        r#"{"Count": 5}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let put = e.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(put.params.unwrap().first("Count"), Some(&Value::Integer(5)));

    // SetPropertyValues writes each value on the edge, typed by the declarations
    let r = rest(
        &addr,
        "POST",
        &thing_path("/Services/SetPropertyValues"),
        r#"{"values": {"Count": 6, "Temperature": 20}}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let puts: Vec<(String, Option<Value>)> = e
        .seen
        .lock()
        .unwrap()
        .iter()
        .rev()
        .take(2)
        .map(|r| {
            let name = r.characteristic_name.to_str_lossy().into_owned();
            let v = r.params.as_ref().and_then(|p| p.first(&name)).cloned();
            (name, v)
        })
        .collect();
    assert_eq!(
        puts,
        [
            ("Temperature".to_owned(), Some(Value::Number(20.0))),
            ("Count".to_owned(), Some(Value::Integer(6)))
        ]
    );
    let r = rest(
        &addr,
        "POST",
        &thing_path("/Services/GetPropertyValues"),
        "",
    )
    .await;
    assert_eq!(r.json()["rows"][0]["Count"], json!(6));
    let r = rest(
        &addr,
        "POST",
        "/Thingworx/Things/Nobody/Services/GetPropertyValues",
        "",
    )
    .await;
    assert_eq!(r.status, 404);

    // services: the declared ones and the platform's own
    let r = rest(&addr, "GET", &thing_path("/Services"), "").await;
    let rows = r.json()["rows"].as_array().unwrap().clone();
    let rb = rows
        .iter()
        .find(|r| r["name"] == "ReadFromBinaryFile")
        .unwrap();
    assert_eq!(
        rb["inputs"],
        json!({"count": "INTEGER", "since": "DATETIME"})
    );
    assert_eq!(rb["answeredBy"], "edge");
    assert!(rows
        .iter()
        .any(|r| r["name"] == "QueryPropertyHistory" && r["answeredBy"] == "platform"));

    // the declared push rules are answered to GetPropertySubscriptions
    let r = e
        .request(Request::invoke_service(
            THING,
            "GetPropertySubscriptions",
            None,
        ))
        .await;
    let t = r.content.unwrap();
    let rows: Vec<(String, String)> = (0..t.row_count())
        .map(|i| {
            let s = |f: &str| match t.get(i, f) {
                Some(Value::String(_, s)) => s.to_str_lossy().into_owned(),
                _ => String::new(),
            };
            (s("edgeName"), s("pushType"))
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("Count".to_owned(), "ALWAYS".to_owned()),
            ("Temperature".to_owned(), "VALUE".to_owned())
        ]
    );
    assert_eq!(t.get(1, "pushThreshold"), Some(&Value::Number(0.5)));
    e.close().await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_metadata_inputs_are_typed_as_written() {
    let (running, addr) = start(&[]).await;
    let e = edge(&addr, false).await;
    eventually("GetMetadata to be tried", || {
        e.seen_named("GetMetadata") == 1
    })
    .await;
    let r = rest(&addr, "GET", &thing_path("/Metadata"), "").await;
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].as_str().unwrap().contains("GetMetadata"));
    let r = rest(
        &addr,
        "POST",
        &thing_path("/Services/Echo"),
        r#"{"count": {"baseType": "INTEGER", "value": 19}, "plain": 19}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["dataShape"]["fieldDefinitions"]["count"]["baseType"],
        "INTEGER"
    );
    assert_eq!(
        r.json()["dataShape"]["fieldDefinitions"]["plain"]["baseType"],
        "NUMBER"
    );
    let sent = e.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        sent.params.unwrap().first("count"),
        Some(&Value::Integer(19))
    );
    e.close().await;
    running.shutdown().await;
}

/// The LSR's push as the EMS carries it: the body text in a `_content_` field.
fn lsr_push(name: &str, value: Json, time: i64) -> Request {
    let body = json!({
        "dataShape": {"fieldDefinitions": {"values": {"name": "values", "baseType": "INFOTABLE"}}},
        "rows": [{"values": {
            "dataShape": {"fieldDefinitions": {
                "value": {"name": "value", "baseType": "VARIANT"},
                "time": {"name": "time", "baseType": "DATETIME"},
                "name": {"name": "name", "baseType": "STRING"},
                "quality": {"name": "quality", "baseType": "STRING"}}},
            "rows": [{"value": value, "name": name, "time": time, "quality": "GOOD"}]}}]
    });
    Request::invoke_service(
        THING,
        "UpdateSubscribedPropertyValues",
        Some(wrap_content(&body)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ems_content_bodies_pushes_events_and_history() {
    let (running, addr) = start(&[]).await;
    let mut notices = running.emulator.model.subscribe();
    let e = edge(&addr, false).await;

    // PUT Temp {"Temp":42} through the EMS reads back as 42, not {"Temp":{"Temp":42}}
    let put = Request::new(
        Method::Put,
        THING,
        Characteristic::Properties,
        "Temp",
        Some(wrap_content(&json!({"Temp": 42}))),
    );
    assert!(e.request(put).await.status.is_success());
    let r = rest(&addr, "GET", &thing_path("/Properties/Temp"), "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["rows"][0]["Temp"], json!(42.0));
    assert_eq!(r.header("x-alwayson-source").as_deref(), Some("stored"));
    assert_eq!(r.json()["rows"][0]["quality"], "GOOD");

    // pushes with {"baseType","value"} cells, their VTQ and history
    for (v, t) in [(20.5, 1_000), (21.5, 2_000), (22.5, 3_000)] {
        let resp = e
            .request(lsr_push(
                "Pressure",
                json!({"baseType": "NUMBER", "value": v}),
                t,
            ))
            .await;
        assert!(resp.status.is_success(), "{resp:?}");
    }
    let r = rest(&addr, "GET", &thing_path("/Properties/Pressure"), "").await;
    assert_eq!(
        r.json()["rows"][0],
        json!({"Pressure": 22.5, "time": 3000, "quality": "GOOD"})
    );
    let r = rest(
        &addr,
        "POST",
        &thing_path("/Services/GetPropertyValuesVTQ"),
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = r.json()["rows"].as_array().unwrap().clone();
    assert!(
        rows.contains(&json!({"name": "Pressure", "value": 22.5, "time": 3000, "quality": "GOOD"})),
        "{rows:?}"
    );
    let r = rest(
        &addr,
        "POST",
        &thing_path("/Services/GetPropertyValues"),
        "{}",
    )
    .await;
    assert_eq!(r.json()["rows"][0]["Pressure"], json!(22.5));
    assert_eq!(r.json()["rows"][0]["Temp"], json!(42.0));
    let r = rest(&addr, "GET", &thing_path("/Properties"), "").await;
    assert_eq!(r.json()["rows"][0]["Pressure"], json!(22.5));
    let r = rest(
        &addr,
        "POST",
        &thing_path("/Services/QueryPropertyHistory"),
        r#"{"propertyName": "Pressure", "maxItems": 2}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["rows"],
        json!([{"timestamp": 3000, "Pressure": 22.5}, {"timestamp": 2000, "Pressure": 21.5}])
    );
    // the platform-side services reach edges too
    let resp = e
        .request(Request::invoke_service(THING, "GetPropertyValues", None))
        .await;
    assert_eq!(
        resp.content.unwrap().first("Pressure"),
        Some(&Value::Number(22.5))
    );

    // an edge-fired event: SUCCESS, recorded, listed, announced
    let fault = Request::fire_event(
        THING,
        "SteamSensorFault",
        InfoTable::single("message", Value::string("too hot")),
    );
    assert!(e.request(fault).await.status.is_success());
    let r = rest(&addr, "GET", &thing_path("/Events"), "").await;
    let ev = &r.json()["rows"][0];
    assert_eq!(ev["name"], "SteamSensorFault");
    assert_eq!(ev["data"]["rows"][0]["message"], "too hot");
    let event = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(ModelNotice::EventReceived { event, data, .. }) = notices.recv().await {
                break (event, data);
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(event.0, "SteamSensorFault");
    assert_eq!(event.1["rows"][0]["message"], "too hot");

    // a service sent as _content_ gets the object's members as params
    let r = e
        .request(Request::invoke_service(
            THING,
            "QueryPropertyHistory",
            Some(wrap_content(
                &json!({"propertyName": "Pressure", "maxItems": 1}),
            )),
        ))
        .await;
    assert_eq!(r.content.unwrap().row_count(), 1);

    // a property the edge does not push is read live; ?source=stored gives what was read
    let r = rest(&addr, "GET", &thing_path("/Properties/Live"), "").await;
    assert_eq!(
        r.header("x-alwayson-source").as_deref(),
        Some("live"),
        "{} {}",
        r.head,
        r.body
    );
    assert_eq!(r.json()["rows"][0]["Live"], json!(7.0));
    let r = rest(
        &addr,
        "GET",
        &thing_path("/Properties/Live?source=stored"),
        "",
    )
    .await;
    assert_eq!(r.header("x-alwayson-source").as_deref(), Some("stored"));
    assert!(r.json()["rows"][0]["time"].as_i64().unwrap() > 1_577_836_800_000);
    let r = rest(
        &addr,
        "GET",
        &thing_path("/Properties/Live?source=sometimes"),
        "",
    )
    .await;
    assert_eq!(r.status, 400);

    // all properties: pushed ones from the model, the others live (Live and Empty answered
    // by the edge; NOT_FOUND ones are left out)
    let r = rest(&addr, "GET", &thing_path("/Properties?source=live"), "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let before = e.seen_named("Temp");
    let r = rest(&addr, "GET", &thing_path("/Properties"), "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let row = r.json()["rows"][0].clone();
    assert_eq!(row["Live"], json!(7.0));
    assert_eq!(row["Pressure"], json!(22.5));
    assert_eq!(row["Temp"], json!(42.0));
    assert_eq!(
        e.seen_named("Temp"),
        before,
        "a pushed property is not read live"
    );

    // after the edge leaves, reads come from the model
    e.close().await;
    eventually("the thing to be disconnected", || {
        !running.platform.thing(THING).unwrap().is_connected
    })
    .await;
    let r = rest(&addr, "GET", &thing_path("/Properties/Pressure"), "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["rows"][0]["time"], json!(3000));
    let r = rest(
        &addr,
        "GET",
        &thing_path("/Properties/Pressure?source=live"),
        "",
    )
    .await;
    assert_eq!(r.status, 503);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_rules_from_flags_rest_and_notify_property_update() {
    let (running, addr) = start(&[
        "--push-rule",
        "SteamSensor1:Temp=ALWAYS",
        "--push-rule",
        "*:Other=ON,1",
    ])
    .await;
    let e = edge(&addr, false).await;
    for p in ["Temp", "Other", "Plain"] {
        let put = Request::new(
            Method::Put,
            THING,
            Characteristic::Properties,
            p,
            Some(wrap_content(&json!(1))),
        );
        assert!(e.request(put).await.status.is_success());
    }
    // the LSR asks with a `{}` body
    let ask = || {
        Request::invoke_service(
            THING,
            "GetPropertySubscriptions",
            Some(wrap_content(&json!({}))),
        )
    };
    let t = e.request(ask()).await.content.unwrap();
    let rules = alwayson_cli::json::infotable_to_json(&t)["rows"].clone();
    assert_eq!(
        rules,
        json!([
            {"edgeName": "Other", "pushType": "ON", "pushThreshold": 1.0},
            {"edgeName": "Plain", "pushType": "VALUE", "pushThreshold": 0.0},
            {"edgeName": "Temp", "pushType": "ALWAYS", "pushThreshold": 0.0}
        ])
    );
    // a rule changed by REST: NotifyPropertyUpdate reaches the edge, and the edge's next
    // GetPropertySubscriptions sees it
    let r = rest(
        &addr,
        "PUT",
        &thing_path("/Subscriptions/Plain"),
        r#"{"pushType": "DEADBAND", "pushThreshold": 2.5}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["notified"], true);
    assert_eq!(e.seen_named("NotifyPropertyUpdate"), 1);
    let t = e.request(ask()).await.content.unwrap();
    assert_eq!(t.get(1, "pushType"), Some(&Value::string("DEADBAND")));
    assert_eq!(t.get(1, "pushThreshold"), Some(&Value::Number(2.5)));
    let r = rest(&addr, "GET", &thing_path("/Subscriptions"), "").await;
    assert_eq!(r.json()["rows"][1]["pushType"], "DEADBAND");
    let r = rest(
        &addr,
        "PUT",
        &thing_path("/Subscriptions/Plain"),
        r#"{"pushType": "SOMETIMES"}"#,
    )
    .await;
    assert_eq!(r.status, 400);
    // events: one row per known event
    let fault = Request::fire_event(THING, "Fault", InfoTable::new());
    assert!(e.request(fault).await.status.is_success());
    let t = e
        .request(Request::invoke_service(
            THING,
            "GetEventSubscriptions",
            None,
        ))
        .await
        .content
        .unwrap();
    assert_eq!(t.first("edgeName"), Some(&Value::string("Fault")));
    e.close().await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_mapping_row_by_row() {
    let (running, addr) = start(&[]).await;
    let e = edge(&addr, false).await;
    let cases: [(&str, &str, &str, u16, Option<&str>); 5] = [
        // (method, path, body, status, error text)
        (
            "POST",
            "/Services/Slow",
            "",
            504,
            Some("the edge answered GATEWAY_TIMEOUT"),
        ),
        (
            "POST",
            "/Services/Gone",
            "",
            404,
            Some("the edge answered NOT_FOUND: Service 'Gone' not found"),
        ),
        (
            "POST",
            "/Services/Broken",
            "",
            502,
            Some("the edge answered INTERNAL_SERVER_ERROR: disk on fire"),
        ),
        (
            "GET",
            "/Properties/Nope?source=live",
            "",
            404,
            Some("the edge answered NOT_FOUND"),
        ),
        ("GET", "/Properties/Empty", "", 200, None),
    ];
    for (method, path, body, status, error) in cases {
        let r = rest(&addr, method, &thing_path(path), body).await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.body);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/json"),
            "{path}"
        );
        match error {
            Some(text) => assert_eq!(r.json(), json!({"error": text}), "{path}"),
            // SUCCESS without content on a property read is null
            None => assert_eq!(r.json()["rows"][0]["Empty"], Json::Null),
        }
    }
    // a non-JSON content type is 415, never parsed
    let r = rest_ct(
        &addr,
        "POST",
        &thing_path("/Services/Echo"),
        Some("text/plain"),
        "{}",
    )
    .await;
    assert_eq!(r.status, 415);
    assert!(r.json()["error"].as_str().unwrap().contains("text/plain"));
    // not bound: 503
    let r = rest(&addr, "POST", "/Thingworx/Things/Nobody/Services/Echo", "").await;
    assert_eq!(
        (r.status, r.json()),
        (503, json!({"error": "thing Nobody is not bound"}))
    );
    // routing and auth errors are JSON too
    let r = rest(&addr, "GET", "/Thingworx/Nowhere", "").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"error": "no such endpoint: /Thingworx/Nowhere"})
    );
    let r = tokio::task::spawn_blocking({
        let addr = addr.clone();
        move || http_with(&addr, "GET", "/Thingworx/Nowhere", None, None, "")
    })
    .await
    .unwrap();
    assert_eq!(
        (r.status, r.json()),
        (401, json!({"error": "missing appKey header"}))
    );
    let r = rest(&addr, "DELETE", &thing_path("/Properties/Temp"), "").await;
    assert_eq!(r.status, 405);
    assert!(r.json()["error"].is_string());
    assert_eq!(r.header("allow").as_deref(), Some("GET,HEAD,PUT"));
    let r = rest(&addr, "GET", "/Thingworx/Things/%FF", "").await;
    assert_eq!(r.status, 400, "{}", r.body);
    // paging
    let r = rest(&addr, "GET", "/Thingworx/Things?offset=0&limit=1", "").await;
    assert_eq!(r.json()["total"], 1);
    assert_eq!(r.json()["rows"][0]["name"], THING);
    let r = rest(&addr, "GET", "/Thingworx/Things?offset=1", "").await;
    assert_eq!(r.json()["rows"], json!([]));
    e.close().await;
    running.shutdown().await;
}
