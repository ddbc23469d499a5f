//! What one side refuses reaches the other side with its cause: the platform's reason for a
//! refused BIND arrives at the edge.

use crate::common::{bounded, edge, platform};
use alwayson_async::edge::BindRefusal;
use alwayson_async::{EdgeNotice, Error, Runtime, StatusCode};
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
