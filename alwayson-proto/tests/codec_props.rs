//! Property tests: encode → decode round trips for every value and body kind, through the
//! owned and the borrowed decode; exact `encoded_len`; robustness of every decoder on arbitrary
//! / truncated / mutated input, where the owned and borrowed decode must give the same verdict.

use alwayson_proto::*;
use bytes::Bytes;
use proptest::prelude::*;

fn wire_string() -> impl Strategy<Value = WireString> {
    prop_oneof![
        4 => "[a-zA-Z0-9 _.é€]{0,20}".prop_map(WireString::from),
        1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(WireString::from_bytes),
        1 => proptest::collection::vec(any::<u8>(), 120..300).prop_map(WireString::from_bytes),
    ]
}

fn string_family() -> impl Strategy<Value = BaseType> {
    let family: Vec<BaseType> = BaseType::ALL
        .iter()
        .copied()
        .filter(|t| t.is_string_family())
        .collect();
    proptest::sample::select(family)
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        any::<u64>().prop_map(f64::from_bits),
        Just(f64::NAN),
        Just(-f64::NAN),
        Just(0.0),
        Just(-0.0),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MIN_POSITIVE / 2.0),
    ]
}

fn leaf_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nothing),
        (string_family(), wire_string()).prop_map(|(t, s)| Value::String(t, s)),
        number().prop_map(Value::Number),
        any::<i32>().prop_map(Value::Integer),
        any::<bool>().prop_map(Value::Boolean),
        any::<i64>().prop_map(Value::DateTime),
        (number(), number(), number()).prop_map(|(longitude, latitude, elevation)| {
            Value::Location(Location {
                longitude,
                latitude,
                elevation,
            })
        }),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| Value::Blob(Bytes::from(b))),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| Value::Image(Bytes::from(b))),
    ]
}

fn table_of(cell: BoxedStrategy<Value>) -> impl Strategy<Value = InfoTable> {
    let aspect = (wire_string(), cell.clone()).prop_map(|(name, value)| Aspect { name, value });
    let field = (
        wire_string(),
        wire_string(),
        any::<u8>(),
        proptest::collection::vec(aspect, 0..3),
    )
        .prop_map(|(name, description, t, aspects)| FieldDefinition {
            name,
            description,
            base_type: BaseType::from(t),
            aspects,
        });
    (
        proptest::collection::vec(field, 0..4),
        proptest::collection::vec(proptest::collection::vec(cell, 0..5), 0..4),
    )
        .prop_map(|(fields, rows)| InfoTable::from_rows(DataShape { fields }, rows))
}

fn value() -> BoxedStrategy<Value> {
    leaf_value()
        .prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                inner.clone().prop_map(Value::variant),
                table_of(inner).prop_map(Value::from),
            ]
        })
        .boxed()
}

fn table() -> impl Strategy<Value = InfoTable> {
    table_of(value())
}

fn header() -> impl Strategy<Value = Header> {
    (any::<u8>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(
        |(version, request_id, endpoint_id, session_id)| Header {
            version,
            request_id,
            endpoint_id,
            session_id,
        },
    )
}

fn bind() -> impl Strategy<Value = Bind> {
    (
        proptest::option::of((wire_string(), wire_string())),
        proptest::collection::vec(wire_string(), 0..5),
    )
        .prop_map(|(g, names)| Bind {
            gateway: g.map(|(name, gateway_type)| Gateway { name, gateway_type }),
            names,
        })
}

fn body() -> impl Strategy<Value = Body> {
    let method = prop_oneof![
        Just(Method::Get),
        Just(Method::Put),
        Just(Method::Post),
        Just(Method::Delete)
    ];
    let request = (
        method,
        any::<u8>(),
        wire_string(),
        any::<u8>(),
        wire_string(),
        proptest::collection::vec((wire_string(), wire_string()), 0..3),
        proptest::option::of(table()),
    )
        .prop_map(
            |(method, et, entity_name, ch, characteristic_name, hs, params)| {
                Body::Request(Request {
                    method,
                    entity_type: EntityType::from(et),
                    entity_name,
                    characteristic: Characteristic::from(ch),
                    characteristic_name,
                    headers: hs
                        .into_iter()
                        .map(|(name, value)| RequestHeader { name, value })
                        .collect(),
                    params,
                })
            },
        );
    let response = (
        0x40u8..=0xFF,
        proptest::option::of(wire_string()),
        proptest::option::of(table()),
    )
        .prop_map(|(code, reason, content)| {
            Body::Response(Response {
                status: StatusCode::new(code).expect("≥ 0x40"),
                reason,
                content,
            })
        });
    let auth = proptest::collection::vec((wire_string(), wire_string()), 0..4).prop_map(|c| {
        Body::Auth(Auth {
            claims: c
                .into_iter()
                .map(|(name, value)| Claim { name, value })
                .collect(),
        })
    });
    prop_oneof![
        request,
        response,
        auth,
        bind().prop_map(Body::Bind),
        bind().prop_map(Body::Unbind),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    (header(), body()).prop_map(|(header, body)| Message { header, body })
}

/// The owned and the borrowed decode of the same bytes: same verdict (same error, or same
/// structure with the same number of trailing bytes).
fn same_verdict(b: &Bytes) -> Result<(), TestCaseError> {
    let owned = Frame::decode(b.clone()).map(|d| (d.value, d.trailing.len()));
    let borrowed = FrameRef::decode(b).map(|d| (d.value.to_owned(), d.trailing.len()));
    prop_assert_eq!(owned, borrowed);
    let owned = Message::decode(b.clone()).map(|d| (d.value, d.trailing.len()));
    let borrowed = MessageRef::decode(b).map(|d| (d.value.to_owned(), d.trailing.len()));
    prop_assert_eq!(owned, borrowed);
    let owned = InfoTable::decode(b.clone()).map(|d| (d.value, d.trailing.len()));
    let borrowed = InfoTableRef::decode(b).map(|d| (d.value.to_owned(), d.trailing.len()));
    prop_assert_eq!(owned, borrowed);
    let owned = Value::decode(b.clone()).map(|d| (d.value, d.trailing.len()));
    let borrowed = ValueRef::decode(b).map(|d| (d.value.to_owned(), d.trailing.len()));
    prop_assert_eq!(owned, borrowed);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn value_roundtrip(v in value()) {
        let enc = v.encode().expect("encodes");
        prop_assert_eq!(v.encoded_len().ok(), Some(enc.len()));
        let r = ValueRef::decode(&enc).expect("borrowed decode");
        prop_assert!(r.trailing.is_empty());
        prop_assert_eq!(r.value.to_owned(), v.clone());
        prop_assert_eq!(r.value.base_type(), v.base_type());
        let d = Value::decode(enc).expect("decodes");
        prop_assert!(d.trailing.is_empty());
        prop_assert_eq!(d.value, v);
    }

    #[test]
    fn infotable_roundtrip(t in table()) {
        let enc = t.encode().expect("encodes");
        prop_assert_eq!(t.encoded_len().ok(), Some(enc.len()));
        let r = InfoTableRef::decode(&enc).expect("borrowed decode");
        prop_assert!(r.trailing.is_empty());
        let view = r.value;
        prop_assert_eq!(view.field_count(), t.data_shape.fields.len());
        prop_assert_eq!(view.row_count(), t.row_count());
        let fields: Vec<FieldDefinition> = view.fields().map(|f| f.to_owned()).collect();
        prop_assert_eq!(&fields, &t.data_shape.fields);
        let rows: Vec<Vec<Value>> = view.rows().map(|r| r.to_owned()).collect();
        prop_assert_eq!(&rows, &t.to_rows());
        prop_assert_eq!(view.to_owned(), t.clone());
        let d = InfoTable::decode(enc).expect("decodes");
        prop_assert!(d.trailing.is_empty());
        prop_assert_eq!(d.value, t);
    }

    #[test]
    fn message_roundtrip(m in message()) {
        let enc = m.encode().expect("encodes");
        prop_assert_eq!(m.encoded_len().ok(), Some(enc.len()));
        prop_assert_eq!(enc.get(14).copied(), Some(0u8));
        let r = MessageRef::decode(&enc).expect("borrowed decode");
        prop_assert!(r.trailing.is_empty());
        prop_assert_eq!(r.value.code, m.code());
        prop_assert_eq!(&r.value.to_owned(), &m);
        let d = Message::decode(enc.clone()).expect("decodes");
        prop_assert!(d.trailing.is_empty());
        prop_assert_eq!(&d.value, &m);
        let f = Frame::decode(enc.clone()).expect("decodes");
        prop_assert_eq!(f.value, Frame::Message(m.clone()));
        // The body alone decodes through decode_body.
        let body = enc.slice(HEADER_LEN..);
        let d = Message::decode_body(m.header, m.code(), body).expect("decodes");
        prop_assert_eq!(d.value, m);
    }

    #[test]
    fn truncated_message_is_an_error(m in message(), cut in any::<prop::sample::Index>()) {
        let enc = m.encode().expect("encodes");
        let at = cut.index(enc.len());
        // Every field is required, so no strict prefix of a canonical message is a message,
        // except a response cut right after the header or after a `00` reason marker,
        // which is tolerated as "no reason, no content" (decode module docs).
        if let Body::Response(resp) = &m.body {
            if at == HEADER_LEN || (at == HEADER_LEN + 1 && resp.reason.is_none()) {
                let d = Message::decode(enc.slice(..at)).expect("header-only response");
                prop_assert!(d.trailing.is_empty());
                prop_assert_eq!(d.value.header, m.header);
                prop_assert_eq!(
                    d.value.body,
                    Body::Response(Response { status: resp.status, reason: None, content: None })
                );
                return Ok(());
            }
        }
        let r = Message::decode(enc.slice(..at));
        prop_assert!(r.is_err(), "prefix of {} bytes decoded: {:?}", at, r);
        let e = r.expect_err("error");
        prop_assert!(e.offset <= at);
        prop_assert!(Frame::decode(enc.slice(..at)).is_err());
    }

    #[test]
    fn truncated_value_is_an_error(v in value(), cut in any::<prop::sample::Index>()) {
        let enc = v.encode().expect("encodes");
        let at = cut.index(enc.len());
        let r = Value::decode(enc.slice(..at));
        prop_assert!(r.is_err());
        prop_assert!(r.expect_err("error").offset <= at);
    }

    #[test]
    fn truncated_table_is_an_error(t in table(), cut in any::<prop::sample::Index>()) {
        let enc = t.encode().expect("encodes");
        let at = cut.index(enc.len());
        prop_assert!(InfoTable::decode(enc.slice(..at)).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..512)) {
        let b = Bytes::from(b);
        same_verdict(&b)?;
        for e in [Frame::decode(b.clone()).err(), Message::decode(b.clone()).err()].into_iter().flatten() {
            prop_assert!(e.offset <= b.len());
        }
        if let Err(e) = Value::decode(b.clone()) { prop_assert!(e.offset <= b.len()); }
        if let Err(e) = InfoTable::decode(b.clone()) { prop_assert!(e.offset <= b.len()); }
        let _ = Message::decode_body(Header::new(1, 1), MessageCode::POST, b.clone());
        let _ = Message::decode_body(Header::new(1, 1), MessageCode(0x40), b);
    }

    #[test]
    fn arbitrary_bytes_after_valid_header_never_panic(
        code in prop_oneof![Just(1u8), Just(2), Just(3), Just(4), Just(0x0A), Just(0x0B), Just(0x14), 0x40u8..=0xFF],
        mp in prop_oneof![Just(0u8), any::<u8>()],
        body in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut b = vec![1, code, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 42, mp];
        b.extend_from_slice(&body);
        let b = Bytes::from(b);
        same_verdict(&b)?;
        if let Ok(d) = Frame::decode(b.clone()) {
            // Whatever decodes re-encodes (messages) without panicking.
            if let Frame::Message(m) = d.value { let _ = m.encode(); }
        }
    }

    #[test]
    fn mutated_encoding_never_panics(m in message(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut enc = m.encode().expect("encodes").to_vec();
        let i = pos.index(enc.len());
        enc[i] = byte;
        let enc = Bytes::from(enc);
        same_verdict(&enc)?;
        same_verdict(&enc.slice(HEADER_LEN.min(enc.len())..))?;
        if let Ok(d) = Frame::decode(enc) {
            if let Frame::Message(m) = d.value { let _ = m.encode(); }
        }
    }
}
