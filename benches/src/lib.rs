//! Shared fixtures for the alwayson benchmarks.
//!
//! Every fixture is a complete [`Message`] shaped like real traffic; the benchmarks encode
//! it once and then time decoding, encoding and multipart handling of those bytes. The
//! tests at the bottom check that each fixture round-trips through the codec.

use alwayson_proto::{
    Auth, BaseType, Bind, Body, Characteristic, DataShape, FieldDefinition, Header, InfoTable,
    Message, Method, Request, Response, Value,
};
use bytes::Bytes;

/// Session id used by every fixture (a value the platform could have assigned).
pub const SESSION_ID: u32 = 0x1A2B_3C4D;

/// Number of thing names in [`bind_1000`].
pub const BIND_NAMES: usize = 1000;

/// Number of property updates (nested rows) in [`push_100`].
pub const PUSH_ROWS: usize = 100;

/// Size of the BLOB in [`blob_response_1mib`]: 1 MiB.
pub const BLOB_LEN: usize = 1 << 20;

/// Chunk size of the multipart benchmark (the SDK default).
pub const CHUNK_SIZE: u16 = 8192;

/// AUTH with one `appKey` claim holding a GUID-shaped key, as the reference SDK sends it.
pub fn auth() -> Message {
    Message {
        header: Header::new(1, alwayson_proto::AUTH_SESSION_ID),
        body: Body::Auth(Auth::app_key("2d4e9440-3e51-452f-a057-b55d45289264")),
    }
}

/// BIND of [`BIND_NAMES`] thing names (`SteamSensor0000` …), no gateway: what a gateway
/// with many things sends after AUTH.
pub fn bind_1000() -> Message {
    Message {
        header: Header::new(2, SESSION_ID),
        body: Body::Bind(Bind {
            gateway: None,
            names: (0..BIND_NAMES)
                .map(|i| format!("SteamSensor{i:04}").into())
                .collect(),
        }),
    }
}

/// The nested table of an `UpdateSubscribedPropertyValues` push (base-types.md §4.5):
/// fields `name` STRING, `value` VARIANT, `time` DATETIME, `quality` STRING, one row per
/// update.
pub fn property_updates(rows: usize) -> InfoTable {
    let mut table = InfoTable::with_fields(vec![
        FieldDefinition::new("name", BaseType::String),
        FieldDefinition::new("value", BaseType::Variant),
        FieldDefinition::new("time", BaseType::DateTime),
        FieldDefinition::new("quality", BaseType::String),
    ]);
    for i in 0..rows {
        let value = match i % 4 {
            0 => Value::Number(20.0 + i as f64 * 0.25),
            1 => Value::Boolean(i % 8 == 1),
            2 => Value::Integer(i as i32 * 1000),
            _ => Value::string(format!("state-{i}")),
        };
        table.push_row(vec![
            Value::string(format!("Property{:03}", i % 25)),
            Value::variant(value),
            Value::DateTime(1_700_000_000_000 + i as i64 * 1000),
            Value::string("GOOD"),
        ]);
    }
    table
}

/// `UpdateSubscribedPropertyValues` carrying [`PUSH_ROWS`] property updates: POST THING
/// `SteamSensor1` SERVICES, params one field `values` (INFOTABLE) whose single cell is
/// [`property_updates`].
pub fn push_100() -> Message {
    let params = InfoTable::from_rows(
        DataShape {
            fields: vec![FieldDefinition::new("values", BaseType::InfoTable)],
        },
        vec![vec![Value::from(property_updates(PUSH_ROWS))]],
    );
    Message {
        header: Header::new(3, SESSION_ID),
        body: Body::Request(Request::new(
            Method::Post,
            "SteamSensor1",
            Characteristic::Services,
            "UpdateSubscribedPropertyValues",
            Some(params),
        )),
    }
}

/// A SUCCESS response whose content is one `result` BLOB of `len` bytes (a file-transfer
/// style payload).
pub fn blob_response(len: usize) -> Message {
    let blob: Bytes = (0..len)
        .map(|i| (i * 31 % 251) as u8)
        .collect::<Vec<u8>>()
        .into();
    Message {
        header: Header::new(4, SESSION_ID),
        body: Body::Response(Response::with_content(InfoTable::single(
            "result",
            Value::Blob(blob),
        ))),
    }
}

/// [`blob_response`] with a [`BLOB_LEN`] (1 MiB) BLOB.
pub fn blob_response_1mib() -> Message {
    blob_response(BLOB_LEN)
}

/// Every fixture with its benchmark name.
pub fn all() -> Vec<(&'static str, Message)> {
    vec![
        ("auth", auth()),
        ("bind_1000", bind_1000()),
        ("push_100", push_100()),
        ("blob_1mib", blob_response_1mib()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use alwayson_proto::multipart::{split, Reassembler, ReassemblyLimits, Split};
    use alwayson_proto::Frame;
    use std::time::Instant;

    #[test]
    fn fixtures_round_trip() {
        for (name, m) in all() {
            let bytes = m.encode().expect(name);
            assert_eq!(bytes.len(), m.encoded_len().expect(name), "{name}");
            let back = Message::decode(bytes).expect(name);
            assert!(back.trailing.is_empty(), "{name}");
            assert_eq!(back.value, m, "{name}");
        }
    }

    #[test]
    fn push_fixture_shape() {
        let m = push_100();
        let Body::Request(r) = &m.body else {
            panic!("not a request")
        };
        let params = r.params.as_ref().expect("params");
        let Some(Value::InfoTable(inner)) = params.first("values") else {
            panic!("values is not an InfoTable")
        };
        assert_eq!(inner.row_count(), PUSH_ROWS);
        assert_eq!(inner.data_shape.fields.len(), 4);
    }

    #[test]
    fn blob_fixture_splits_and_reassembles() {
        let m = blob_response_1mib();
        let Split::Chunks(chunks) = split(&m, CHUNK_SIZE).expect("split") else {
            panic!("1 MiB fits in one chunk?")
        };
        let mut r =
            Reassembler::new(ReassemblyLimits::default().with_max_message_size(2 * BLOB_LEN));
        let now = Instant::now();
        let mut out = None;
        for c in chunks {
            let Frame::Chunk(c) = Frame::decode(c).expect("decode").value else {
                panic!("not a chunk")
            };
            out = r.push(now, c).expect("push");
        }
        assert_eq!(out.expect("complete").value, m);
    }
}
