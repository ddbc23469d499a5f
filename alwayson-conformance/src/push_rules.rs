//! Subscribed properties over real sockets: the edge's push rules decide which values set
//! with `set_property` reach the platform, the platform's rules (`GetPropertySubscriptions`,
//! re-read on `NotifyPropertyUpdate`) replace the declared ones, queued values go out in
//! batches under the maximum message size, and `GetMetadata` describes the thing.

use crate::common::{bounded, edge, eventually, platform};
use alwayson_async::alwayson_proto::codec::{Body, Header, Message};
use alwayson_async::edge::{PushRule, PushType, Thing};
use alwayson_async::{
    BaseType, FieldDefinition, InfoTable, Platform, Request, Response, Runtime, StatusCode, Value,
};
use serde_json::Value as Json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the test platform saw: each push request's (property, value) pairs, and how many
/// times the edge asked for its push rules.
#[derive(Default)]
struct Seen {
    pushes: Vec<Vec<(String, Value)>>,
    push_sizes: Vec<usize>,
    rule_requests: usize,
}

type Rules = Arc<Mutex<Vec<(String, &'static str, f64)>>>;

fn rules_table(rules: &[(String, &'static str, f64)]) -> InfoTable {
    let mut t = InfoTable::with_fields(vec![
        FieldDefinition::new("edgeName", BaseType::String),
        FieldDefinition::new("pushType", BaseType::String),
        FieldDefinition::new("pushThreshold", BaseType::Number),
    ]);
    for (name, push, threshold) in rules {
        t.push_row(vec![
            Value::string(name.as_str()),
            Value::string(*push),
            Value::Number(*threshold),
        ]);
    }
    t
}

async fn start<P: Runtime>(seen: Arc<Mutex<Seen>>, rules: Rules) -> Platform<P> {
    platform::<P>()
        .edge_request_handler(move |req: Request| {
            let (seen, rules) = (seen.clone(), rules.clone());
            async move {
                if req.characteristic_name == "GetPropertySubscriptions" {
                    seen.lock().unwrap().rule_requests += 1;
                    return Response::with_content(rules_table(&rules.lock().unwrap()));
                }
                if let Some(updates) = req.property_updates() {
                    let len = Message {
                        header: Header::new(0, 0),
                        body: Body::Request(req.clone()),
                    }
                    .encoded_len()
                    .unwrap();
                    let mut s = seen.lock().unwrap();
                    s.push_sizes.push(len);
                    s.pushes.push(
                        updates
                            .into_iter()
                            .map(|u| (u.name.to_string(), u.value.unwrap_variant().into_owned()))
                            .collect(),
                    );
                }
                Response::success()
            }
        })
        .start()
        .await
        .unwrap()
}

fn values(seen: &Mutex<Seen>, property: &str) -> Vec<Value> {
    seen.lock()
        .unwrap()
        .pushes
        .iter()
        .flatten()
        .filter(|(n, _)| n == property)
        .map(|(_, v)| v.clone())
        .collect()
}

async fn metadata<P: Runtime>(p: &Platform<P>, thing: &str) -> Json {
    let t = p.invoke_service(thing, "GetMetadata", None).await.unwrap();
    let Some(Value::String(BaseType::Json, text)) = t.first("result") else {
        panic!("GetMetadata without a JSON result: {t:?}");
    };
    serde_json::from_slice(text.as_bytes()).unwrap()
}

/// Conformance test `push_rules_decide_what_reaches_the_platform_and_follow_its_changes`.
pub async fn push_rules_decide_what_reaches_the_platform_and_follow_its_changes<
    E: Runtime,
    P: Runtime,
>() {
    bounded::<E, _>(async {
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let rules: Rules = Arc::default();
        let p = start::<P>(seen.clone(), rules.clone()).await;
        let e = edge::<E, P>(&p)
            .push_interval(None)
            .thing(
                Thing::new("Pump1")
                    .property("temp", 0.0)
                    .push_rule("temp", PushRule::new(PushType::Value).with_threshold(0.5))
                    .property("mode", "off")
                    .push_rule("mode", PushRule::new(PushType::Never)),
            )
            .connect()
            .await
            .unwrap();
        // The edge asks for the platform's rules after BIND (none for now: declared rules stay).
        eventually::<E>(Duration::from_secs(5), || {
            seen.lock().unwrap().rule_requests >= 1
        })
        .await;

        // VALUE 0.5: the first value, then only changes strictly beyond 0.5 from the last set.
        let mut queued = Vec::new();
        for v in [1.0, 1.25, 1.5, 2.25, 2.5, 3.0] {
            queued.push(e.set_property("Pump1", "temp", v).unwrap());
        }
        assert_eq!(queued, [true, false, false, true, false, false]);
        // NEVER: never, whatever the change.
        for m in ["auto", "manual"] {
            assert!(!e.set_property("Pump1", "mode", m).unwrap());
        }
        e.flush().await.unwrap();
        assert_eq!(
            values(&seen, "temp"),
            [Value::from(1.0), Value::from(2.25)],
            "only changes beyond the threshold"
        );
        assert!(values(&seen, "mode").is_empty(), "NEVER sent something");
        // Local values follow every set, pushed or not.
        assert_eq!(e.property("Pump1", "mode"), Some(Value::from("manual")));

        // Wrong type and unknown property are refused.
        assert!(e.set_property("Pump1", "temp", "hot").is_err());
        assert!(e.set_property("Pump1", "nope", 1).is_err());

        // The platform changes the rules and says so; the edge re-reads them.
        *rules.lock().unwrap() = vec![
            ("temp".to_owned(), "ALWAYS", 0.0),
            ("mode".to_owned(), "VALUE", 0.0),
        ];
        let answer = p
            .invoke_service("Pump1", "NotifyPropertyUpdate", None)
            .await;
        assert!(answer.is_ok(), "{answer:?}");
        let mut applied = false;
        for _ in 0..100 {
            let doc = metadata(&p, "Pump1").await;
            let aspects = &doc["propertyDefinitions"]["temp"]["aspects"];
            if aspects["pushType"] == "ALWAYS" {
                applied = true;
                break;
            }
            crate::common::sleep::<E>(Duration::from_millis(20)).await;
        }
        assert!(applied, "NotifyPropertyUpdate did not refresh the rules");
        assert!(seen.lock().unwrap().rule_requests >= 2);
        for _ in 0..2 {
            assert!(e.set_property("Pump1", "temp", 3.0).unwrap(), "ALWAYS");
        }
        assert!(
            e.set_property("Pump1", "mode", "auto").unwrap(),
            "VALUE now"
        );
        e.flush().await.unwrap();
        assert_eq!(
            values(&seen, "temp")[2..],
            [Value::from(3.0), Value::from(3.0)]
        );
        assert_eq!(values(&seen, "mode"), [Value::from("auto")]);
        e.shutdown().await;
        p.shutdown().await;
    })
    .await;
}

/// Conformance test `queued_values_go_in_batches_under_the_max_message_size`.
pub async fn queued_values_go_in_batches_under_the_max_message_size<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let p = start::<P>(seen.clone(), Arc::default()).await;
        let limit = 2048;
        let e = edge::<E, P>(&p)
            .max_message_size(limit)
            .push_interval(Some(Duration::from_millis(50)))
            .thing(
                Thing::new("Pump1")
                    .property("count", 0)
                    .push_rule("count", PushRule::new(PushType::Always)),
            )
            .connect()
            .await
            .unwrap();
        for v in 0..500 {
            assert!(e.set_property("Pump1", "count", v).unwrap());
        }
        // The interval sends them (no flush called).
        eventually::<E>(Duration::from_secs(10), || {
            values(&seen, "count").len() >= 500
        })
        .await;
        {
            let s = seen.lock().unwrap();
            assert!(s.pushes.len() > 1, "one batch only");
            assert!(
                s.push_sizes.iter().all(|&n| n <= limit),
                "{:?}",
                s.push_sizes
            );
        }
        assert_eq!(
            values(&seen, "count"),
            (0..500).map(Value::from).collect::<Vec<_>>(),
            "all, in order, once"
        );
        let stats = e.push_stats();
        assert_eq!(
            (stats.queued, stats.dropped, stats.failed_batches),
            (0, 0, 0),
            "{stats:?}"
        );
        e.shutdown().await;
        p.shutdown().await;
    })
    .await;
}

/// Conformance test `get_metadata_describes_properties_services_and_events`.
pub async fn get_metadata_describes_properties_services_and_events<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>().start().await.unwrap();
        let e = edge::<E, P>(&p)
            .thing(
                Thing::new("Pump1")
                    .property("temp", 21.5)
                    .push_rule(
                        "temp",
                        PushRule::new(PushType::Deadband).with_threshold(0.25),
                    )
                    .property("count", 3)
                    .service("Add", |_p: Option<InfoTable>| async move {
                        Ok(InfoTable::single("result", Value::from(0.0)))
                    })
                    .service_shape(
                        "Add",
                        [
                            FieldDefinition::new("a", BaseType::Integer),
                            FieldDefinition::new("b", BaseType::Number),
                        ],
                        BaseType::Number,
                    )
                    .event("Fault", [FieldDefinition::new("message", BaseType::String)]),
            )
            .connect()
            .await
            .unwrap();
        let doc = metadata(&p, "Pump1").await;
        assert_eq!(doc["name"], "Pump1");
        let props = &doc["propertyDefinitions"];
        assert_eq!(props["temp"]["baseType"], "NUMBER");
        assert_eq!(props["temp"]["aspects"]["pushType"], "DEADBAND");
        assert_eq!(props["temp"]["aspects"]["pushThreshold"], 0.25);
        assert_eq!(props["count"]["baseType"], "INTEGER");
        assert_eq!(props["count"]["aspects"]["pushType"], "VALUE");
        let add = &doc["serviceDefinitions"]["Add"];
        assert_eq!(
            add["Inputs"]["fieldDefinitions"]["a"]["baseType"],
            "INTEGER"
        );
        assert_eq!(add["Inputs"]["fieldDefinitions"]["b"]["baseType"], "NUMBER");
        assert_eq!(add["Outputs"]["baseType"], "NUMBER");
        assert_eq!(
            doc["eventDefinitions"]["Fault"]["EventData"]["fieldDefinitions"]["message"]
                ["baseType"],
            "STRING"
        );
        // A thing's own service named GetMetadata would win; an unknown thing is not bound.
        assert!(p
            .invoke_service("Other", "GetMetadata", None)
            .await
            .is_err());
        e.shutdown().await;
        p.shutdown().await;
    })
    .await;
}

/// Conformance test `a_full_push_queue_and_refused_batches_are_counted`.
pub async fn a_full_push_queue_and_refused_batches_are_counted<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>()
            .edge_request_handler(|req: Request| async move {
                if req.property_updates().is_some() {
                    Response::error(StatusCode::BAD_REQUEST, "no pushes today")
                } else {
                    Response::success()
                }
            })
            .start()
            .await
            .unwrap();
        let e = edge::<E, P>(&p)
            .push_interval(None)
            .push_queue_limit(10)
            .thing(
                Thing::new("Pump1")
                    .property("count", 0)
                    .push_rule("count", PushRule::new(PushType::Always)),
            )
            .connect()
            .await
            .unwrap();
        for v in 0..15 {
            assert!(e.set_property("Pump1", "count", v).unwrap());
        }
        let s = e.push_stats();
        assert_eq!((s.queued, s.dropped), (10, 5), "{s:?}");
        let refused = e.flush().await;
        assert!(refused.is_err(), "{refused:?}");
        let s = e.push_stats();
        assert_eq!((s.queued, s.dropped, s.failed_batches), (0, 5, 1), "{s:?}");
        e.shutdown().await;
        p.shutdown().await;
    })
    .await;
}
