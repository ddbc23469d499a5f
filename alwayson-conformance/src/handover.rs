//! What the EMS gateway relies on in the edge client: a first connect held back by
//! [`first_connect_delay`](alwayson_async::EdgeClientBuilder::first_connect_delay), and an
//! offline store handed from one client to the next
//! ([`shutdown_keeping_offline_store`](alwayson_async::EdgeClient::shutdown_keeping_offline_store))
//! when it fails over to another platform.

use crate::common::{bounded, edge, eventually, platform, timeout};
use alwayson_async::edge::offline::{OfflineLimits, OfflineStore};
use alwayson_async::edge::Thing;
use alwayson_async::{
    ConnectionState, PlatformNotice, PropertyUpdate, Request, Response, Runtime, Value,
};
use futures_util::{FutureExt, StreamExt};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The first connect delay under test: short, so the suite stays fast.
const DELAY: Duration = Duration::from_millis(300);

/// Conformance test `first_connect_waits_the_first_connect_delay`.
pub async fn first_connect_waits_the_first_connect_delay<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>().start().await.unwrap();
        let mut notices = p.events();

        // `start` returns at once; the platform sees nothing until the delay has passed.
        let t0 = Instant::now();
        let e = edge::<E, P>(&p)
            .bind(["Pump1"])
            .first_connect_delay(DELAY)
            .start()
            .unwrap();
        let first = timeout::<E, _>(Duration::from_secs(10), notices.next())
            .await
            .expect("the edge never connected")
            .expect("notices ended");
        let seen_after = t0.elapsed();
        assert!(
            matches!(first, PlatformNotice::Opened { .. }),
            "the first thing the platform sees is the connection: {first:?}"
        );
        assert!(
            seen_after >= DELAY,
            "the platform saw a connection {seen_after:?} after start, before the {DELAY:?} delay"
        );
        timeout::<E, _>(
            Duration::from_secs(10),
            e.state().wait_for(|s| *s == ConnectionState::Bound),
        )
        .await
        .expect("not bound after the delay");
        e.shutdown().await;

        // `connect` waits for the delay too, then for AUTH and the BIND.
        let t0 = Instant::now();
        let e = edge::<E, P>(&p)
            .bind(["Pump2"])
            .first_connect_delay(DELAY)
            .connect()
            .await
            .unwrap();
        assert!(t0.elapsed() >= DELAY, "connected after {:?}", t0.elapsed());
        assert_eq!(e.state().get(), ConnectionState::Bound);
        assert!(p
            .things()
            .iter()
            .any(|t| t.name.as_bytes() == b"Pump2" && t.is_connected));
        e.shutdown().await;
        p.shutdown().await;
    })
    .await;
}

/// A platform edge-request handler recording the `count` values pushed to it, in order.
fn collector(
    seen: Arc<Mutex<Vec<i32>>>,
) -> impl Fn(Request) -> std::future::Ready<Response> + Send + Sync + 'static {
    move |req: Request| {
        for u in req.property_updates().unwrap_or_default() {
            if let Value::Integer(v) = u.value {
                seen.lock().unwrap().push(v);
            }
        }
        std::future::ready(Response::success())
    }
}

fn push(v: i32) -> [PropertyUpdate; 1] {
    [PropertyUpdate::new(
        "count",
        Value::from(v),
        1_700_000_000_000 + i64::from(v),
    )]
}

/// Conformance test `shutdown_keeping_the_offline_store_hands_unsent_messages_to_the_next_client`.
pub async fn shutdown_keeping_the_offline_store_hands_unsent_messages_to_the_next_client<
    E: Runtime,
    P: Runtime,
>() {
    bounded::<E, _>(async {
        let seen1: Arc<Mutex<Vec<i32>>> = Arc::default();
        let p1 = platform::<P>()
            .edge_request_handler(collector(seen1.clone()))
            .start()
            .await
            .unwrap();
        let e1 = edge::<E, P>(&p1)
            .thing(Thing::new("Pump1").property("count", 0))
            .offline_store(OfflineStore::memory(OfflineLimits::default()))
            .connect()
            .await
            .unwrap();
        let stats = e1.offline_stats();
        for v in 0..5 {
            e1.push_properties("Pump1", &push(v)).await.unwrap();
        }
        timeout::<E, _>(
            Duration::from_secs(10),
            stats.wait_for(|s| s.is_some_and(|s| s.done == 5)),
        )
        .await
        .expect("the first 5 were not answered");

        // The platform goes away: what is pushed now waits in the store.
        p1.shutdown().await;
        drop(p1);
        timeout::<E, _>(
            Duration::from_secs(5),
            e1.state().wait_for(|s| *s == ConnectionState::Reconnecting),
        )
        .await
        .expect("no Reconnecting state");
        for v in 5..25 {
            e1.push_properties("Pump1", &push(v)).await.unwrap();
        }
        timeout::<E, _>(
            Duration::from_secs(5),
            stats.wait_for(|s| s.is_some_and(|s| s.stored == 25)),
        )
        .await
        .expect("the 20 pushes were not stored");

        // Shut down keeping the store: it comes back with the 20 messages not sent.
        let store = e1
            .shutdown_keeping_offline_store()
            .await
            .expect("the client had a store");
        assert_eq!(e1.state().get(), ConnectionState::Closed);
        let held = store.stats();
        assert_eq!((held.queued, held.done), (20, 5), "{held:?}");
        assert!(
            e1.shutdown_keeping_offline_store().await.is_none(),
            "the client is closed: nothing more to hand back"
        );

        // The next client, of another platform, delivers them once it has bound the thing.
        let seen2: Arc<Mutex<Vec<i32>>> = Arc::default();
        let p2 = platform::<P>()
            .edge_request_handler(collector(seen2.clone()))
            .start()
            .await
            .unwrap();
        let e2 = edge::<E, P>(&p2)
            .thing(Thing::new("Pump1").property("count", 0))
            .offline_store(store)
            .connect()
            .await
            .unwrap();
        eventually::<E>(Duration::from_secs(15), || {
            seen2.lock().unwrap().len() >= 20
        })
        .await;
        let stats2 = e2.offline_stats();
        timeout::<E, _>(
            Duration::from_secs(5),
            stats2.wait_for(|s| s.is_some_and(|s| s.queued == 0)),
        )
        .await
        .expect("the handed-over store was not emptied");
        assert_eq!(*seen2.lock().unwrap(), (5..25).collect::<Vec<_>>());
        assert_eq!(*seen1.lock().unwrap(), (0..5).collect::<Vec<_>>());

        // A client without a store has nothing to hand back.
        let e3 = edge::<E, P>(&p2).bind(["Pump3"]).connect().await.unwrap();
        assert!(e3.shutdown_keeping_offline_store().await.is_none());
        assert_eq!(e3.state().get(), ConnectionState::Closed);

        e2.shutdown().await;
        p2.shutdown().await;
    })
    .await;
}

/// Conformance test `shutdown_keeping_the_offline_store_hands_back_messages_in_flight`:
/// messages sent but not answered when the client shuts down count as not sent.
pub async fn shutdown_keeping_the_offline_store_hands_back_messages_in_flight<
    E: Runtime,
    P: Runtime,
>() {
    bounded::<E, _>(async {
        // A platform that answers the pushes of 0..5 and holds every later one unanswered
        // until released.
        let seen1: Arc<Mutex<Vec<i32>>> = Arc::default();
        let (release_tx, release_rx) = futures_channel::oneshot::channel::<()>();
        let release = release_rx.shared();
        let recorder = seen1.clone();
        let p1 = platform::<P>()
            .edge_request_handler(move |req: Request| {
                let (seen, release) = (recorder.clone(), release.clone());
                async move {
                    let mut hold = false;
                    for u in req.property_updates().unwrap_or_default() {
                        if let Value::Integer(v) = u.value {
                            seen.lock().unwrap().push(v);
                            hold |= v >= 5;
                        }
                    }
                    if hold {
                        let _ = release.await;
                    }
                    Response::success()
                }
            })
            .start()
            .await
            .unwrap();
        let e1 = edge::<E, P>(&p1)
            .thing(Thing::new("Pump1").property("count", 0))
            .offline_store(OfflineStore::memory(OfflineLimits::default()))
            .connect()
            .await
            .unwrap();
        let stats = e1.offline_stats();
        for v in 0..5 {
            e1.push_properties("Pump1", &push(v)).await.unwrap();
        }
        timeout::<E, _>(
            Duration::from_secs(10),
            stats.wait_for(|s| s.is_some_and(|s| s.done == 5)),
        )
        .await
        .expect("the first 5 were not answered");
        for v in 5..25 {
            e1.push_properties("Pump1", &push(v)).await.unwrap();
        }
        // 5 reached the platform and waits for its answer.
        eventually::<E>(Duration::from_secs(10), || {
            seen1.lock().unwrap().contains(&5)
        })
        .await;

        let store = e1
            .shutdown_keeping_offline_store()
            .await
            .expect("the client had a store");
        let held = store.stats();
        assert_eq!((held.queued, held.done), (20, 5), "{held:?}");
        drop(release_tx);
        p1.shutdown().await;

        let seen2: Arc<Mutex<Vec<i32>>> = Arc::default();
        let p2 = platform::<P>()
            .edge_request_handler(collector(seen2.clone()))
            .start()
            .await
            .unwrap();
        let e2 = edge::<E, P>(&p2)
            .thing(Thing::new("Pump1").property("count", 0))
            .offline_store(store)
            .connect()
            .await
            .unwrap();
        eventually::<E>(Duration::from_secs(15), || {
            seen2.lock().unwrap().len() >= 20
        })
        .await;
        let stats2 = e2.offline_stats();
        timeout::<E, _>(
            Duration::from_secs(5),
            stats2.wait_for(|s| s.is_some_and(|s| s.queued == 0)),
        )
        .await
        .expect("the handed-over store was not emptied");
        assert_eq!(*seen2.lock().unwrap(), (5..25).collect::<Vec<_>>());
        e2.shutdown().await;
        p2.shutdown().await;
    })
    .await;
}
