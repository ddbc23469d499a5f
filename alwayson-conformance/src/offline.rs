//! The edge's offline store over real sockets: pushes made while the platform is down
//! arrive after it comes back, in order, once.

use crate::common::{bounded, edge, eventually, platform, sleep, timeout};
use alwayson_async::edge::offline::{OfflineLimits, OfflineStore};
use alwayson_async::edge::Thing;
use alwayson_async::{
    ConnectionState, InfoTable, PropertyUpdate, Request, Response, Runtime, Value,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn push(v: i32) -> [PropertyUpdate; 1] {
    [PropertyUpdate::new(
        "count",
        Value::from(v),
        1_700_000_000_000 + i64::from(v),
    )]
}

/// Conformance test `offline_store_delivers_every_push_in_order_across_a_platform_restart`.
pub async fn offline_store_delivers_every_push_in_order_across_a_platform_restart<
    E: Runtime,
    P: Runtime,
>() {
    bounded::<E, _>(async {
        let seen: Arc<Mutex<Vec<i32>>> = Arc::default();
        let collector = |seen: Arc<Mutex<Vec<i32>>>| {
            move |req: Request| {
                let seen = seen.clone();
                async move {
                    for u in req.property_updates().unwrap_or_default() {
                        if let Value::Integer(v) = u.value {
                            seen.lock().unwrap().push(v);
                        }
                    }
                    Response::success()
                }
            }
        };
        let p = platform::<P>()
            .edge_request_handler(collector(seen.clone()))
            .start()
            .await
            .unwrap();
        let addr = p.local_addr();
        let e = edge::<E, P>(&p)
            .thing(Thing::new("Pump1").property("count", 0))
            .offline_store(OfflineStore::memory(OfflineLimits::default()))
            .connect()
            .await
            .unwrap();
        let state = e.state();
        let stats = e.offline_stats();

        for v in 0..300 {
            e.push_properties("Pump1", &push(v)).await.unwrap();
        }
        timeout::<E, _>(
            Duration::from_secs(10),
            stats.wait_for(|s| s.is_some_and(|s| s.queued == 0 && s.done == 300)),
        )
        .await
        .expect("the first 300 were not all answered");

        p.shutdown().await;
        drop(p);
        timeout::<E, _>(
            Duration::from_secs(5),
            state.wait_for(|s| *s == ConnectionState::Reconnecting),
        )
        .await
        .expect("no Reconnecting state");
        for v in 300..700 {
            e.push_properties("Pump1", &push(v)).await.unwrap();
            if v % 50 == 0 {
                sleep::<E>(Duration::from_millis(100)).await;
            }
        }
        let held = timeout::<E, _>(
            Duration::from_secs(5),
            stats.wait_for(|s| s.is_some_and(|s| s.stored == 700)),
        )
        .await
        .expect("stats not updated")
        .unwrap();
        assert_eq!(held.queued, 400, "{held:?}");
        assert_eq!(seen.lock().unwrap().len(), 300);

        let p2 = platform::<P>()
            .listen(addr)
            .edge_request_handler(collector(seen.clone()))
            .start()
            .await
            .unwrap();
        for v in 700..1000 {
            e.push_properties("Pump1", &push(v)).await.unwrap();
        }
        eventually::<E>(Duration::from_secs(15), || {
            seen.lock().unwrap().len() >= 1000
        })
        .await;
        timeout::<E, _>(
            Duration::from_secs(5),
            stats.wait_for(|s| s.is_some_and(|s| s.queued == 0)),
        )
        .await
        .expect("store not empty");
        let got = seen.lock().unwrap().clone();
        assert_eq!(got, (0..1000).collect::<Vec<_>>(), "all, in order, once");
        let s = stats.get().unwrap();
        assert_eq!((s.stored, s.done, s.dropped, s.refused), (1000, 1000, 0, 0));
        e.shutdown().await;
        p2.shutdown().await;
    })
    .await;
}

/// Conformance test `requests_opted_into_the_store_arrive_after_an_outage`.
pub async fn requests_opted_into_the_store_arrive_after_an_outage<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let seen: Arc<Mutex<Vec<i32>>> = Arc::default();
        let collector = |seen: Arc<Mutex<Vec<i32>>>| {
            move |req: Request| {
                let seen = seen.clone();
                async move {
                    if req.characteristic_name == "Log" {
                        if let Some(Value::Integer(v)) =
                            req.params.as_ref().and_then(|p| p.first("n"))
                        {
                            seen.lock().unwrap().push(*v);
                        }
                    }
                    Response::success()
                }
            }
        };
        let p = platform::<P>().start().await.unwrap();
        let addr = p.local_addr();
        let e = edge::<E, P>(&p)
            .thing(Thing::new("Pump1"))
            .offline_store(OfflineStore::memory(OfflineLimits::default()))
            .connect()
            .await
            .unwrap();
        let state = e.state();
        p.shutdown().await;
        drop(p);
        timeout::<E, _>(
            Duration::from_secs(5),
            state.wait_for(|s| *s == ConnectionState::Reconnecting),
        )
        .await
        .expect("no Reconnecting state");
        let log = |n: i32| {
            Request::invoke_service("Pump1", "Log", Some(InfoTable::single("n", Value::from(n))))
        };
        for n in 0..20 {
            e.request_stored(log(n)).await.unwrap();
        }
        let p2 = platform::<P>()
            .listen(addr)
            .edge_request_handler(collector(seen.clone()))
            .start()
            .await
            .unwrap();
        eventually::<E>(Duration::from_secs(15), || seen.lock().unwrap().len() >= 20).await;
        assert_eq!(*seen.lock().unwrap(), (0..20).collect::<Vec<_>>());
        e.shutdown().await;
        p2.shutdown().await;
    })
    .await;
}
