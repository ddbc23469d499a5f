//! What is refused is said at once, with its cause: the platform's reason for a refused
//! BIND arrives at the edge; an edge's response refused for the platform's reassembly budget
//! fails the platform's request at once.

use crate::common::{bounded, edge, platform};
use alwayson_async::alwayson_proto::RequestError;
use alwayson_async::edge::{BindRefusal, Thing};
use alwayson_async::{EdgeNotice, Error, Runtime, StatusCode, Value};
use std::time::Duration;

/// Conformance test `a_refused_bind_carries_the_platform_reason_to_the_edge`: a platform
/// that holds at most one thing per connection refuses the second thing's BIND with a reason
/// naming the cap, and that reason reaches [`EdgeClient::refused_binds`], the
/// `BindRejected` notice and the error of a later `bind`.
///
/// [`EdgeClient::refused_binds`]: alwayson_async::EdgeClient::refused_binds
pub async fn a_refused_bind_carries_the_platform_reason_to_the_edge<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>()
            .max_things_per_connection(1)
            .start()
            .await
            .unwrap();
        let e = edge::<E, P>(&p).bind(["A", "B"]).connect().await.unwrap();
        let cap = "at most 1 things per connection; not bound: B";
        match e.refused_binds() {
            [BindRefusal {
                name,
                status,
                reason: Some(reason),
            }] => {
                assert_eq!(*name, "B");
                assert_eq!(*status, StatusCode::FORBIDDEN);
                assert_eq!(*reason, cap);
            }
            other => panic!("expected B refused with a reason, got {other:?}"),
        }
        assert!(e.refused_binds()[0].to_string().contains(cap));
        assert!(p.thing("A").is_some_and(|t| t.is_connected));

        // A later bind: the notice and the error carry it too.
        let mut notices = e.events();
        match e.bind(["C"]).await {
            Err(Error::Status { status, reason }) => {
                assert_eq!(status, StatusCode::FORBIDDEN);
                let reason = reason.unwrap_or_default();
                assert!(
                    reason.contains("at most 1 things per connection; not bound: C"),
                    "{reason}"
                );
            }
            other => panic!("expected FORBIDDEN, got {other:?}"),
        }
        let mut seen = None;
        for _ in 0..100 {
            match notices.try_next() {
                Some(EdgeNotice::BindRejected { name, reason, .. }) if name == "C" => {
                    seen = reason;
                    break;
                }
                Some(_) => {}
                None => crate::common::sleep::<E>(Duration::from_millis(10)).await,
            }
        }
        assert_eq!(
            seen.as_deref(),
            Some("at most 1 things per connection; not bound: C")
        );
        e.shutdown().await;
        p.shutdown().await;
    })
    .await;
}

/// Conformance test `a_response_refused_for_the_budget_fails_the_platform_request_at_once`:
/// with a platform-wide reassembly budget of 100 kB, the edge's 300 kB answer to a property
/// read is refused, and the read fails at once with an error naming the budget (not after
/// the 20 s request timeout); the connection then serves a small read.
pub async fn a_response_refused_for_the_budget_fails_the_platform_request_at_once<
    E: Runtime,
    P: Runtime,
>() {
    bounded::<E, _>(async {
        let p = platform::<P>()
            .reassembly_budget(100_000)
            .request_timeout(Duration::from_secs(20))
            .start()
            .await
            .unwrap();
        let big = "x".repeat(300_000);
        let e = edge::<E, P>(&p)
            .thing(
                Thing::new("Big")
                    .property("text", big.as_str())
                    .property("small", 1.0),
            )
            .connect()
            .await
            .unwrap();
        match p.read_property("Big", "text").await {
            Err(Error::Request(RequestError::ResponseRefused(refused))) => {
                let text = refused.to_string();
                assert!(
                    text.contains(
                        "the reassembly budget of 100000 bytes for all connections is spent"
                    ),
                    "{text}"
                );
            }
            other => panic!("expected the read to fail at once for the budget, got {other:?}"),
        }
        assert_eq!(
            p.read_property("Big", "small").await.unwrap(),
            Value::from(1.0)
        );
        e.shutdown().await;
        p.shutdown().await;
    })
    .await;
}
