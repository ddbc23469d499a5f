//! What a gateway needs from the edge: a client that starts without waiting for the
//! platform, and a fallback answering requests for things bound later without a
//! [`Thing`] definition.

use crate::common::{bounded, edge, eventually, platform};
use alwayson_async::edge::Thing;
use alwayson_async::{ConnectionState, Request, Response, Runtime, Value};
use std::time::Duration;

/// Conformance test `gateway_start_and_fallback_serve_things_bound_later`: `start` returns
/// at once and connects in the background; things bound afterwards are served by the
/// fallback, defined things by their definition.
pub async fn gateway_start_and_fallback_serve_things_bound_later<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let p = platform::<P>().start().await.unwrap();
        let e = edge::<E, P>(&p)
            .gateway("Gw", "EMSGateway")
            .thing(Thing::new("Gw").property("x", 1.0))
            .fallback(|request: Request| {
                Box::pin(async move {
                    let text = format!(
                        "{}/{}",
                        request.entity_name.to_str_lossy(),
                        request.characteristic_name.to_str_lossy()
                    );
                    Response::with_content(alwayson_async::InfoTable::single(
                        request.characteristic_name.clone(),
                        Value::from(text.as_str()),
                    ))
                })
            })
            .start()
            .unwrap();
        e.state().wait_for(|s| *s == ConnectionState::Bound).await;
        eventually::<E>(Duration::from_secs(5), || {
            p.thing("Gw").is_some_and(|t| t.is_connected)
        })
        .await;
        e.bind(["Later1"]).await.unwrap();
        assert!(p.thing("Later1").unwrap().is_connected);
        assert_eq!(
            p.read_property("Later1", "Temp").await.unwrap(),
            Value::from("Later1/Temp")
        );
        assert_eq!(p.read_property("Gw", "x").await.unwrap(), Value::from(1.0));
        e.shutdown().await;
        p.shutdown().await;
    })
    .await;
}
