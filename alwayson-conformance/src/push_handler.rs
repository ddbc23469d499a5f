//! `PlatformBuilder::push_handler`: an edge's `UpdateSubscribedPropertyValues` pushes (single
//! frame and multipart) reach the push handler borrowed from the received bytes, with the
//! values the edge sent, and its answer reaches the edge; other requests still go to the
//! edge-request handler.

use crate::common::{bounded, edge, platform};
use alwayson_async::edge::Thing;
use alwayson_async::platform::Push;
use alwayson_async::{
    InfoTable, PropertyUpdate, Request, Response, Runtime, StatusCode, Value, WireString,
};
use std::sync::{Arc, Mutex};

/// What the push handler kept of each push: (thing, updates).
type Seen = Arc<Mutex<Vec<(String, Vec<PropertyUpdate>)>>>;

fn updates(rows: usize) -> Vec<PropertyUpdate> {
    (0..rows)
        .map(|i| {
            let value = match i % 4 {
                0 => Value::Number(i as f64 / 4.0),
                1 => Value::string(format!("s{i}")),
                2 => Value::Boolean(i % 3 == 0),
                _ => Value::Integer(i as i32),
            };
            let mut u = PropertyUpdate::new(format!("p{i}"), value, 1_700_000_000_000 + i as i64);
            if i % 5 == 0 {
                u.quality = WireString::from("BAD");
            }
            u
        })
        .collect()
}

/// Conformance test `pushes_reach_the_push_handler_borrowed_and_its_answer_the_edge`.
pub async fn pushes_reach_the_push_handler_borrowed_and_its_answer_the_edge<
    E: Runtime,
    P: Runtime,
>() {
    bounded::<E, _>(async {
        let pushes: Seen = Arc::default();
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let (kept, seen) = (pushes.clone(), requests.clone());
        let p = platform::<P>()
            .push_handler(move |push: Push| {
                let thing = String::from_utf8_lossy(push.thing()).into_owned();
                let got = push.updates().map(|u| u.to_owned()).collect();
                let refused = thing == "Refused";
                kept.lock().unwrap().push((thing, got));
                std::future::ready(if refused {
                    Response::error(StatusCode::FORBIDDEN, "not from you")
                } else {
                    Response::success()
                })
            })
            .edge_request_handler(move |r: Request| {
                seen.lock().unwrap().push(r);
                std::future::ready(Response::success())
            })
            .start()
            .await
            .unwrap();
        let e = edge::<E, P>(&p)
            .thing(Thing::new("Pump1").property("p0", 0))
            .connect()
            .await
            .unwrap();

        // One frame; then 1 500 rows, which go out in chunks and are reassembled.
        let small = updates(3);
        let large = updates(1_500);
        for u in [&small, &large] {
            let r = e
                .request(Request::push_properties("Pump1", u))
                .await
                .unwrap();
            assert_eq!(r.status, StatusCode::SUCCESS);
        }
        // The handler's answer is what the edge gets.
        let r = e
            .request(Request::push_properties("Refused", &small))
            .await
            .unwrap();
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.reason, Some(WireString::from("not from you")));
        // Other requests, and a push without the typed `values` table, go to the
        // edge-request handler.
        let write = Request::write_property("Pump1", "p0", Value::Integer(3));
        let content = Request::invoke_service(
            "Pump1",
            alwayson_async::alwayson_proto::conventions::UPDATE_SUBSCRIBED_PROPERTY_VALUES,
            Some(InfoTable::single("_content_", Value::string("{}"))),
        );
        for r in [&write, &content] {
            let answer = e.request(r.clone()).await.unwrap();
            assert_eq!(answer.status, StatusCode::SUCCESS);
        }

        let pushes = pushes.lock().unwrap().clone();
        assert_eq!(
            pushes,
            vec![
                ("Pump1".to_owned(), small.clone()),
                ("Pump1".to_owned(), large),
                ("Refused".to_owned(), small),
            ]
        );
        // (The edge asks for its push rules on its own.)
        let requests: Vec<Request> = requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.characteristic_name != "GetPropertySubscriptions")
            .cloned()
            .collect();
        assert_eq!(requests, vec![write, content]);
        e.shutdown().await;
        p.shutdown().await;
    })
    .await
}
