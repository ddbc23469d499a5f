//! A 1 MiB value crosses in both directions as multipart (chunked) messages.

use crate::common::{bounded, edge, platform};
use alwayson_async::Runtime;
use alwayson_async::Value;
use bytes::Bytes;

/// Conformance test `one_mebibyte_blob_round_trip`.
pub async fn one_mebibyte_blob_round_trip<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let limit = 2 * 1024 * 1024;
        let p = platform::<P>()
            .max_message_size(limit)
            .start()
            .await
            .unwrap();
        let e = edge::<E, P>(&p)
            .max_message_size(limit)
            .bind(["Big"])
            .connect()
            .await
            .unwrap();
        let blob: Bytes = (0..1024 * 1024)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>()
            .into();
        // Edge → platform: 1 MiB in 8 KiB chunks.
        e.write_property("Big", "data", Value::Blob(blob.clone()))
            .await
            .unwrap();
        assert_eq!(
            p.property_store().get("Big", "data"),
            Some(Value::Blob(blob.clone()))
        );
        // Platform → edge → platform: the read is answered from the edge's local copy.
        let back = p.read_property("Big", "data").await.unwrap();
        assert_eq!(back, Value::Blob(blob));
        // A string of 1 MiB too.
        let text = "x".repeat(1024 * 1024);
        p.write_property("Big", "text", text.as_str())
            .await
            .unwrap();
        assert_eq!(e.property("Big", "text"), Some(Value::from(text.as_str())));
        e.shutdown().await;
    })
    .await;
}
