//! Bind conflicts under first-in-wins and last-in-wins, and reconnect + re-bind after a
//! platform restart.

use crate::common::{bounded, edge, eventually, platform, timeout};
use alwayson_async::edge::Thing;
use alwayson_async::Runtime;
use alwayson_async::{BindPolicy, ConnectionState, EdgeNotice, PlatformNotice, Value};
use futures_util::StreamExt;
use std::time::Duration;

/// Conformance test `second_edge_binding_the_same_thing_is_refused`.
pub async fn second_edge_binding_the_same_thing_is_refused<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>()
            .bind_policy(BindPolicy::FirstInWins)
            .start()
            .await
            .unwrap();
        let first = edge::<E, P>(&p)
            .thing(Thing::new("Pump1").property("owner", "first"))
            .connect()
            .await
            .unwrap();
        let holder = p.thing("Pump1").unwrap().connection;

        let second_builder =
            edge::<E, P>(&p).thing(Thing::new("Pump1").property("owner", "second"));
        // Subscribe before connecting: connect() returns once the BIND was answered.
        let second = second_builder.connect().await.unwrap();
        // What the BIND connect() waited for refused.
        match second.refused_binds() {
            [r] => {
                assert_eq!(r.name, "Pump1");
                assert_eq!(r.status, alwayson_async::StatusCode::FORBIDDEN);
                let reason = r.reason.as_ref().map(|r| r.to_str_lossy().into_owned());
                assert_eq!(
                    reason.as_deref(),
                    Some("bound on another connection: Pump1")
                );
            }
            other => panic!("expected Pump1 refused, got {other:?}"),
        }
        assert!(first.refused_binds().is_empty());
        let mut events = second.events();
        // The rejection happened during connect; it is also visible as a failed bind now.
        let again = second.bind(["Pump1"]).await;
        assert!(again.is_err(), "second bind should be refused: {again:?}");
        let mut saw_reject = false;
        while let Some(n) = events.try_next() {
            if matches!(n, EdgeNotice::BindRejected { ref name, .. } if name == "Pump1") {
                saw_reject = true;
            }
        }
        assert!(saw_reject, "BindRejected notice expected");

        assert_eq!(p.thing("Pump1").unwrap().connection, holder);
        assert_eq!(
            p.read_property("Pump1", "owner").await.unwrap(),
            Value::from("first")
        );
        first.shutdown().await;
        second.shutdown().await;
    })
    .await;
}

/// Conformance test `last_in_wins_moves_the_thing_and_keeps_the_first_connection`.
pub async fn last_in_wins_moves_the_thing_and_keeps_the_first_connection<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>()
            .bind_policy(BindPolicy::LastInWins)
            .start()
            .await
            .unwrap();
        let mut notices = p.events();
        let first = edge::<E, P>(&p)
            .thing(Thing::new("Pump1").property("owner", "first"))
            .thing(Thing::new("Valve1").property("owner", "first"))
            .connect()
            .await
            .unwrap();
        let first_conn = p.thing("Pump1").unwrap().connection.unwrap();
        assert_eq!(p.thing("Valve1").unwrap().connection, Some(first_conn));
        assert_eq!(
            p.read_property("Pump1", "owner").await.unwrap(),
            Value::from("first")
        );

        let second = edge::<E, P>(&p)
            .thing(Thing::new("Pump1").property("owner", "second"))
            .connect()
            .await
            .unwrap();
        // connect() returns once the BIND was answered: the registry has the thing on the
        // second connection.
        let pump = p.thing("Pump1").unwrap();
        assert!(pump.is_connected);
        let second_conn = pump.connection.unwrap();
        assert_ne!(second_conn, first_conn);

        // Requests for Pump1 now go to the second edge.
        assert_eq!(
            p.read_property("Pump1", "owner").await.unwrap(),
            Value::from("second")
        );
        p.write_property("Pump1", "owner", "written").await.unwrap();
        assert_eq!(
            second.property("Pump1", "owner"),
            Some(Value::from("written"))
        );
        assert_eq!(first.property("Pump1", "owner"), Some(Value::from("first")));

        // The first connection saw Pump1 taken (Unbound on it), and nothing else.
        timeout::<E, _>(Duration::from_secs(5), async {
            loop {
                match notices.next().await.unwrap() {
                    PlatformNotice::Unbound { conn, name } if conn == first_conn => {
                        assert_eq!(name, "Pump1");
                        break;
                    }
                    PlatformNotice::Closed { conn, .. } => {
                        panic!("connection {conn} closed")
                    }
                    _ => {}
                }
            }
        })
        .await
        .expect("no Unbound for Pump1 on the first connection");

        // The first connection keeps working for its other thing, both ways.
        assert_eq!(p.thing("Valve1").unwrap().connection, Some(first_conn));
        assert!(p.thing("Valve1").unwrap().is_connected);
        assert_eq!(
            p.read_property("Valve1", "owner").await.unwrap(),
            Value::from("first")
        );
        first
            .write_property("Valve1", "pressure", 2.5)
            .await
            .unwrap();
        assert_eq!(
            p.property_store().get("Valve1", "pressure"),
            Some(Value::from(2.5))
        );
        assert_eq!(first.state().get(), ConnectionState::Bound);
        assert_eq!(p.thing("Pump1").unwrap().connection, Some(second_conn));

        first.shutdown().await;
        // The first edge leaving does not unbind Pump1 from the second connection.
        eventually::<E>(Duration::from_secs(5), || {
            p.thing("Valve1").is_some_and(|t| !t.is_connected)
        })
        .await;
        let pump = p.thing("Pump1").unwrap();
        assert!(pump.is_connected);
        assert_eq!(pump.connection, Some(second_conn));
        assert_eq!(
            p.read_property("Pump1", "owner").await.unwrap(),
            Value::from("written")
        );
        second.shutdown().await;
        p.shutdown().await;
    })
    .await;
}

/// Conformance test `edge_reconnects_and_rebinds_after_platform_restart`.
pub async fn edge_reconnects_and_rebinds_after_platform_restart<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>().start().await.unwrap();
        let addr = p.local_addr();
        let e = edge::<E, P>(&p)
            .thing(Thing::new("Pump1").property("temp", 1.0))
            .connect()
            .await
            .unwrap();
        let state = e.state();
        assert!(p.thing("Pump1").unwrap().is_connected);

        p.shutdown().await;
        drop(p);
        timeout::<E, _>(
            Duration::from_secs(5),
            state.wait_for(|s| *s == ConnectionState::Reconnecting),
        )
        .await
        .expect("no Reconnecting state");

        // Same port again.
        let p2 = platform::<P>().listen(addr).start().await.unwrap();
        assert_eq!(p2.local_addr(), addr);
        timeout::<E, _>(
            Duration::from_secs(10),
            state.wait_for(|s| *s == ConnectionState::Bound),
        )
        .await
        .expect("edge did not come back");
        eventually::<E>(Duration::from_secs(5), || {
            p2.thing("Pump1").is_some_and(|t| t.is_connected)
        })
        .await;
        assert_eq!(
            p2.read_property("Pump1", "temp").await.unwrap(),
            Value::from(1.0)
        );
        e.shutdown().await;
        p2.shutdown().await;
    })
    .await;
}

/// Conformance test `unbound_things_are_forgotten_by_age_without_other_traffic`: with a short
/// [`Retention::forget_after`](alwayson_async::alwayson_proto::platform::Retention), a thing
/// unbound by its edge disappears from the registry although nothing else touches it (the
/// platform's periodic sweep), while a thing still bound stays.
pub async fn unbound_things_are_forgotten_by_age_without_other_traffic<E: Runtime, P: Runtime>() {
    use alwayson_async::alwayson_proto::platform::Retention;
    bounded::<E, _>(async {
        let mut retention = Retention::default();
        retention.forget_after = Some(Duration::from_millis(300));
        let p = platform::<P>()
            .registry_retention(retention)
            .start()
            .await
            .unwrap();
        let live = edge::<E, P>(&p).bind(["Live"]).connect().await.unwrap();
        let gone = edge::<E, P>(&p).bind(["Stale"]).connect().await.unwrap();
        gone.shutdown().await;
        eventually::<E>(Duration::from_secs(5), || {
            p.thing("Stale").is_some_and(|t| !t.is_connected)
        })
        .await;
        // From here nothing binds, unbinds or disconnects: only the sweep can forget it.
        eventually::<E>(Duration::from_secs(5), || p.thing("Stale").is_none()).await;
        assert!(
            p.thing("Live").unwrap().is_connected,
            "a bound thing is never forgotten"
        );
        live.shutdown().await;
    })
    .await;
}
