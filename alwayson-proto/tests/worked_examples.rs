//! The worked hex examples E1–E10 of base-types.md §5, the typed-value table of §2.1, and
//! targeted decoder error cases (offsets, nesting, hostile lengths).

use alwayson_proto::*;
use bytes::Bytes;

fn unhex(s: &str) -> Bytes {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    Bytes::from(
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect::<Vec<u8>>(),
    )
}

/// Decodes `hex` as a message, checks it equals `expected` with no trailing bytes, and that
/// `expected` encodes back to exactly `hex` (of `len` bytes).
fn roundtrip(hex: &str, len: usize, expected: Message) {
    let bytes = unhex(hex);
    assert_eq!(bytes.len(), len);
    let d = Message::decode(bytes.clone()).expect("decodes");
    assert!(d.trailing.is_empty());
    assert_eq!(d.value, expected);
    assert_eq!(expected.encoded_len(), Ok(len));
    assert_eq!(expected.encode().expect("encodes"), bytes);
}

fn session(request_id: u32) -> Header {
    Header::new(request_id, 0x2A)
}

#[test]
fn e1_auth() {
    roundtrip(
        "01 14 00000001 00000000 FFFFFFFF 00 01 06 617070 4B6579 06 616263313233",
        30,
        Message {
            header: Header::new(1, AUTH_SESSION_ID),
            body: Body::Auth(Auth::app_key("abc123")),
        },
    );
}

#[test]
fn e2_auth_success_response() {
    roundtrip(
        "01 40 00000001 00000000 0000002A 00 00 FF",
        17,
        Message {
            header: session(1),
            body: Body::Response(Response::success()),
        },
    );
}

#[test]
fn e3_bind_and_unbind() {
    let bind = Bind {
        gateway: None,
        names: vec!["Pump1".into()],
    };
    roundtrip(
        "01 0A 00000002 00000000 0000002A 00 00 0001 05 50756D7031",
        24,
        Message {
            header: session(2),
            body: Body::Bind(bind.clone()),
        },
    );
    roundtrip(
        "01 0B 00000002 00000000 0000002A 00 00 0001 05 50756D7031",
        24,
        Message {
            header: session(2),
            body: Body::Unbind(bind),
        },
    );
}

#[test]
fn e4_bind_with_gateway() {
    roundtrip(
        "01 0A 00000003 00000000 0000002A 00 01 02 4757 03 454D53 0002 01 41 01 42",
        29,
        Message {
            header: session(3),
            body: Body::Bind(Bind {
                gateway: Some(Gateway {
                    name: "GW".into(),
                    gateway_type: "EMS".into(),
                }),
                names: vec!["A".into(), "B".into()],
            }),
        },
    );
}

#[test]
fn e5_put_number() {
    roundtrip(
        "01 02 00000005 00000000 0000002A 00 0A 05 50756D7031 01 04 74656D70 00 05
         01 04 74656D70 00 01 0000 00 01 0001 01 4035800000000000 00",
        54,
        Message {
            header: session(5),
            body: Body::Request(Request::new(
                Method::Put,
                "Pump1",
                Characteristic::Properties,
                "temp",
                Some(InfoTable::single("temp", Value::Number(21.5))),
            )),
        },
    );
}

#[test]
fn e6_get_and_boolean_answer() {
    roundtrip(
        "01 01 00000066 00000000 0000002A 00 0A 05 50756D7031 01 02 4F6E 00 FF",
        28,
        Message {
            header: session(0x66),
            body: Body::Request(Request::new(
                Method::Get,
                "Pump1",
                Characteristic::Properties,
                "On",
                None,
            )),
        },
    );
    roundtrip(
        "01 40 00000066 00000000 0000002A 00 00 05 01 02 4F6E 00 02 0000 00 01 0001 02 01 00",
        32,
        Message {
            header: session(0x66),
            body: Body::Response(Response::with_content(InfoTable::single(
                "On",
                Value::Boolean(true),
            ))),
        },
    );
}

#[test]
fn e7_success_no_content() {
    roundtrip(
        "01 40 00000064 00000000 0000002A 00 00 FF",
        17,
        Message {
            header: session(0x64),
            body: Body::Response(Response::success()),
        },
    );
}

#[test]
fn e8_error_with_reason_and_sdk_padding() {
    let expected = Message {
        header: session(0x65),
        body: Body::Response(Response::error(StatusCode::NOT_FOUND, "No such thing")),
    };
    roundtrip(
        "01 84 00000065 00000000 0000002A 00 01 0D 4E6F2073756368207468696E67 FF",
        31,
        expected,
    );
    // The SDK's form: no reason marker, 14 zero bytes of padding reported as trailing.
    let sdk = unhex("01 84 00000065 00000000 0000002A 00 00 FF 0000000000000000000000000000");
    let d = Message::decode(sdk).expect("decodes");
    assert_eq!(
        d.value.body,
        Body::Response(Response {
            status: StatusCode::NOT_FOUND,
            reason: None,
            content: None
        })
    );
    assert_eq!(d.trailing, Bytes::from(vec![0u8; 14]));
}

#[test]
fn e9_push_properties() {
    let mut nested = InfoTable::with_fields(vec![
        FieldDefinition::new("name", BaseType::String),
        FieldDefinition::new("value", BaseType::Variant),
        FieldDefinition::new("time", BaseType::DateTime),
        FieldDefinition::new("quality", BaseType::String),
    ]);
    nested.push_row(vec![
        Value::string("t"),
        Value::variant(Value::Integer(7)),
        Value::DateTime(1_500_000_000_000),
        Value::string("GOOD"),
    ]);
    let params = InfoTable::single("values", Value::from(nested));
    roundtrip(
        "010300000009000000000000002a000a0150021e5570646174655375627363726962656450726f70\
         6572747956616c7565730005010676616c75657300050000000100010501046e616d650000000001\
         0576616c756500120000010474696d650003000001077175616c6974790000000000010004000174\
         121600000007030000015d3ef798000004474f4f440000",
        143,
        Message {
            header: session(9),
            body: Body::Request(Request::new(
                Method::Post,
                "P",
                Characteristic::Services,
                "UpdateSubscribedPropertyValues",
                Some(params),
            )),
        },
    );
}

#[test]
fn e10_infotable_with_description_and_aspect() {
    let hex = "01 04 6E616D65 00 00 0000
               01 01 76 01 64 16 0001 0C 69735072696D6172794B6579 02 01
               00
               01 0002 00 01 61 16 00000005
               00";
    let bytes = unhex(hex);
    assert_eq!(bytes.len(), 46);
    let mut v = FieldDefinition::new("v", BaseType::Integer);
    v.description = "d".into();
    v.aspects.push(Aspect {
        name: "isPrimaryKey".into(),
        value: Value::Boolean(true),
    });
    let mut expected =
        InfoTable::with_fields(vec![FieldDefinition::new("name", BaseType::String), v]);
    expected.push_row(vec![Value::string("a"), Value::Integer(5)]);
    let d = InfoTable::decode(bytes.clone()).expect("decodes");
    assert!(d.trailing.is_empty());
    assert_eq!(d.value, expected);
    assert_eq!(expected.encode().expect("encodes"), bytes);
    assert_eq!(expected.encoded_len(), Ok(46));
    assert_eq!(d.value.first("v"), Some(&Value::Integer(5)));
}

#[test]
fn typed_value_table() {
    let loc = Location {
        longitude: 2.0,
        latitude: 1.0,
        elevation: 3.0,
    };
    let cases: Vec<(&str, Value)> = vec![
        ("FF", Value::Nothing),
        ("00 02 6869", Value::string("hi")),
        ("01 4035800000000000", Value::Number(21.5)),
        ("01 3FF0000000000000", Value::Number(1.0)),
        ("16 FFFFFFFE", Value::Integer(-2)),
        ("02 01", Value::Boolean(true)),
        ("03 0000015D3EF79800", Value::DateTime(1_500_000_000_000)),
        (
            "06 4000000000000000 3FF0000000000000 4008000000000000",
            Value::Location(loc),
        ),
        ("15 00000002 0102", Value::Blob(Bytes::from_static(&[1, 2]))),
        ("08 07 7B2261223A317D", Value::json("{\"a\":1}")),
        ("12 01 3FF0000000000000", Value::variant(Value::Number(1.0))),
        ("12 16 00000007", Value::variant(Value::Integer(7))),
        ("12 FF", Value::variant(Value::Nothing)),
    ];
    for (hex, v) in cases {
        let bytes = unhex(hex);
        let d = Value::decode(bytes.clone()).expect(hex);
        assert_eq!(d.value, v, "{hex}");
        assert!(d.trailing.is_empty());
        assert_eq!(v.encode().expect("encodes"), bytes, "{hex}");
    }
    // 200 × 'x': canonical 4-byte length with the marker bit.
    let long = Value::string("x".repeat(200));
    let enc = long.encode().expect("encodes");
    assert_eq!(&enc[..5], &[0x00, 0x80, 0x00, 0x00, 0xC8]);
    assert_eq!(Value::decode(enc).expect("decodes").value, long);
    // BOOLEAN: any non-zero byte is true.
    assert_eq!(
        Value::decode(unhex("02 7F")).expect("decodes").value,
        Value::Boolean(true)
    );
}

#[test]
fn unsupported_base_types_are_errors_at_the_type_byte() {
    for t in [0x04u8, 0x11, 0x13, 0x17, 0x67, 0x80, 0xFE] {
        let e = Value::decode(Bytes::from(vec![t, 0, 0, 0, 0])).expect_err("unsupported");
        assert_eq!(
            e,
            DecodeError::new(0, DecodeErrorKind::UnsupportedBaseType(t))
        );
        // Inside a VARIANT: offset of the inner type byte.
        let e = Value::decode(Bytes::from(vec![0x12, t, 0, 0])).expect_err("unsupported");
        assert_eq!(
            e,
            DecodeError::new(1, DecodeErrorKind::UnsupportedBaseType(t))
        );
    }
    // As a DataShape field's declared type, any byte is fine.
    let t = InfoTable::decode(unhex("01 01 78 00 17 0000 00 00")).expect("decodes");
    assert_eq!(
        t.value.data_shape.fields[0].base_type,
        BaseType::Unknown(0x17)
    );
    // Encoding such values is refused.
    assert_eq!(
        Value::String(BaseType::Number, "x".into()).encode(),
        Err(EncodeError::UnsupportedBaseType(0x01))
    );
    assert_eq!(
        Value::String(BaseType::Timespan, "x".into()).encoded_len(),
        Err(EncodeError::UnsupportedBaseType(0x04))
    );
}

#[test]
fn deep_variant_nesting_is_an_error_not_a_stack_overflow() {
    let mut bytes = vec![0x12u8; 10_000];
    bytes.push(0xFF);
    let e = Value::decode(Bytes::from(bytes)).expect_err("too deep");
    assert_eq!(
        e,
        DecodeError::new(
            MAX_NESTING_DEPTH,
            DecodeErrorKind::NestingTooDeep {
                limit: MAX_NESTING_DEPTH
            }
        )
    );
    // Exactly MAX_NESTING_DEPTH VARIANTs are fine.
    let mut ok = vec![0x12u8; MAX_NESTING_DEPTH];
    ok.push(0xFF);
    let d = Value::decode(Bytes::from(ok.clone())).expect("at the limit");
    assert_eq!(d.value.encode().expect("encodes"), Bytes::from(ok));
    // One more is refused by the encoder too.
    let mut v = Value::Nothing;
    for _ in 0..=MAX_NESTING_DEPTH {
        v = Value::variant(v);
    }
    assert_eq!(
        v.encoded_len(),
        Err(EncodeError::NestingTooDeep {
            limit: MAX_NESTING_DEPTH
        })
    );
}

#[test]
fn deep_infotable_nesting_is_an_error() {
    // A table whose single cell is an INFOTABLE, 10 000 times: `00 01 0001 05 ...`.
    let mut bytes = Vec::new();
    for _ in 0..10_000 {
        bytes.extend_from_slice(&[0x00, 0x01, 0x00, 0x01, 0x05]);
    }
    let e = InfoTable::decode(Bytes::from(bytes)).expect_err("too deep");
    assert_eq!(
        e.kind,
        DecodeErrorKind::NestingTooDeep {
            limit: MAX_NESTING_DEPTH
        }
    );
    // Top table is level 1; the cell opening level 33 is the 32nd `05`, at 5*32 - 1.
    assert_eq!(e.offset, 5 * MAX_NESTING_DEPTH - 1);
}

#[test]
fn huge_string_length_is_length_exceeds_input() {
    // Marked 4-byte prefix of 0x7FFFFFFF, then 3 bytes.
    let e = Value::decode(unhex("00 FFFFFFFF 616263")).expect_err("too long");
    assert_eq!(
        e,
        DecodeError::new(
            1,
            DecodeErrorKind::LengthExceedsInput {
                what: "string value",
                declared: 0x7FFF_FFFF,
                available: 3
            }
        )
    );
    // Same in a message: offset is absolute (the entity name prefix at 16).
    let e = Message::decode(unhex(
        "01 01 00000001 00000000 00000000 00 0A FFFFFFFF 616263",
    ))
    .expect_err("too long");
    assert_eq!(e.offset, 16);
    assert!(matches!(
        e.kind,
        DecodeErrorKind::LengthExceedsInput {
            declared: 0x7FFF_FFFF,
            available: 3,
            ..
        }
    ));
    // A BLOB's u32 length has no marker bit.
    let e = Value::decode(unhex("15 FFFFFFFF 00")).expect_err("too long");
    assert_eq!(e.offset, 1);
    assert!(matches!(
        e.kind,
        DecodeErrorKind::LengthExceedsInput {
            declared: 0xFFFF_FFFF,
            ..
        }
    ));
}

#[test]
fn truncation_reports_what_and_where() {
    let e = Message::decode(unhex("01 40 0000")).expect_err("short header");
    assert_eq!(
        e,
        DecodeError::new(
            0,
            DecodeErrorKind::Truncated {
                what: "message header",
                needed: 11
            }
        )
    );
    // A reason marker 01 with no reason (a header-only or `00`-only response body is
    // tolerated: see `header_only_and_marker_only_responses`).
    let e = Message::decode(unhex("01 40 00000001 00000000 0000002A 00 01")).expect_err("short");
    assert_eq!(
        e,
        DecodeError::new(
            16,
            DecodeErrorKind::Truncated {
                what: "reason",
                needed: 1
            }
        )
    );
    // A reason, then the body ends before the content type.
    let e = Message::decode(unhex("01 40 00000001 00000000 0000002A 00 01 02 6F6B"))
        .expect_err("short");
    assert_eq!(
        e,
        DecodeError::new(
            19,
            DecodeErrorKind::Truncated {
                what: "content type",
                needed: 1
            }
        )
    );
    let e = Value::decode(unhex("01 3FF0")).expect_err("short number");
    assert_eq!(
        e,
        DecodeError::new(
            1,
            DecodeErrorKind::Truncated {
                what: "NUMBER value",
                needed: 6
            }
        )
    );
}

#[test]
fn header_only_and_marker_only_responses() {
    // The reference SDK accepts a response that is only the 15-byte header; so does this
    // decoder (decode module docs), as it does a body holding only the reason marker 00.
    // Both re-encode in the canonical form `00 FF`.
    for (hex, code) in [
        ("01 40 00000007 00000000 0000002A 00", StatusCode::SUCCESS),
        (
            "01 40 00000007 00000000 0000002A 00 00",
            StatusCode::SUCCESS,
        ),
        ("01 84 00000007 00000000 0000002A 00", StatusCode::NOT_FOUND),
        (
            "01 84 00000007 00000000 0000002A 00 00",
            StatusCode::NOT_FOUND,
        ),
    ] {
        let bytes = unhex(hex);
        for d in [
            Message::decode(bytes.clone()).expect("decodes"),
            match Frame::decode(bytes.clone()).expect("decodes") {
                Decoded {
                    value: Frame::Message(m),
                    trailing,
                } => Decoded { value: m, trailing },
                Decoded { value: other, .. } => panic!("{hex}: not a message: {other:?}"),
            },
        ] {
            assert!(d.trailing.is_empty(), "{hex}");
            let expected = Message {
                header: Header::new(7, 0x2A),
                body: Body::Response(Response {
                    status: code,
                    reason: None,
                    content: None,
                }),
            };
            assert_eq!(d.value, expected, "{hex}");
            let canonical = d.value.encode().expect("encodes");
            assert_eq!(
                canonical.get(..HEADER_LEN),
                bytes.get(..HEADER_LEN),
                "{hex}"
            );
            assert_eq!(
                canonical.get(HEADER_LEN..),
                Some(&[0x00, 0xFF][..]),
                "{hex}"
            );
        }
    }
    // Only responses: a header-only request, AUTH or BIND is still truncated.
    for hex in [
        "01 01 00000007 00000000 0000002A 00",
        "01 14 00000007 00000000 FFFFFFFF 00",
        "01 0A 00000007 00000000 0000002A 00",
    ] {
        let e = Message::decode(unhex(hex)).expect_err(hex);
        assert_eq!(e.offset, HEADER_LEN, "{hex}");
        assert!(
            matches!(e.kind, DecodeErrorKind::Truncated { .. }),
            "{hex}: {e}"
        );
    }
}

#[test]
fn classification_of_codes_and_multipart_byte() {
    // Unsupported codes, including KEEP_ALIVE.
    for code in [0x00u8, 0x05, 0x09, 0x0C, 0x13, 0x15, 0x1F, 0x3F] {
        let mut b = unhex("01 00 00000001 00000000 00000000 00 00 FF").to_vec();
        b[1] = code;
        let e = Frame::decode(Bytes::from(b)).expect_err("unsupported");
        assert_eq!(
            e,
            DecodeError::new(1, DecodeErrorKind::UnsupportedMessageCode(code))
        );
    }
    // A response chunk: no entity prefix; data runs to the end.
    let f = Frame::decode(unhex(
        "01 40 00000007 00000000 0000002A 01 0001 0002 2000 00 05 01",
    ))
    .expect("chunk");
    let Frame::Chunk(c) = f.value else {
        panic!("not a chunk")
    };
    assert_eq!((c.chunk_id, c.chunk_count, c.chunk_size), (1, 2, 0x2000));
    assert_eq!(c.entity, None);
    assert_eq!(c.data, unhex("00 05 01"));
    assert!(f.trailing.is_empty());
    // A request chunk carries the entity prefix.
    let f = Frame::decode(unhex(
        "01 02 00000007 00000000 0000002A 01 0002 0002 0040 0A 01 54 4A4B",
    ))
    .expect("chunk");
    let Frame::Chunk(c) = f.value else {
        panic!("not a chunk")
    };
    assert_eq!(
        c.entity,
        Some(ChunkEntity {
            entity_type: EntityType::Thing,
            entity_name: "T".into()
        })
    );
    assert_eq!(c.data, unhex("4A4B"));
    // Chunked BIND (decision: a non-zero multipart byte means chunk for BIND/UNBIND/AUTH too).
    let f = Frame::decode(unhex(
        "01 0A 00000007 00000000 0000002A 01 0001 0002 2000 00 0001",
    ))
    .expect("chunk");
    let Frame::Chunk(c) = f.value else {
        panic!("BIND with multipart byte must be a chunk")
    };
    assert_eq!(c.code, MessageCode::BIND);
    assert_eq!(c.entity, None);
    // Message::decode refuses chunks.
    let e = Message::decode(unhex(
        "01 0A 00000007 00000000 0000002A 01 0001 0002 2000 00",
    ))
    .expect_err("chunk");
    assert_eq!(e, DecodeError::new(14, DecodeErrorKind::UnexpectedChunk(1)));
    // Invalid chunk headers.
    for (id, count) in [(0u16, 2u16), (1, 0), (3, 2), (0, 0)] {
        let mut b = unhex("01 40 00000007 00000000 0000002A 01").to_vec();
        b.extend_from_slice(&id.to_be_bytes());
        b.extend_from_slice(&count.to_be_bytes());
        b.extend_from_slice(&[0x20, 0x00]);
        let e = Frame::decode(Bytes::from(b)).expect_err("invalid");
        assert_eq!(
            e,
            DecodeError::new(
                15,
                DecodeErrorKind::InvalidChunkHeader {
                    chunk_id: id,
                    chunk_count: count
                }
            )
        );
    }
}

#[test]
fn lenient_decoding_and_trailing_bytes() {
    // Params type other than 05: no params, the rest is trailing.
    let d = Message::decode(unhex(
        "01 03 00000001 00000000 00000000 00 0A 01 54 02 01 73 00 00 AB CD",
    ))
    .expect("decodes");
    let Body::Request(r) = &d.value.body else {
        panic!()
    };
    assert_eq!(r.params, None);
    assert_eq!(d.trailing, unhex("AB CD"));
    // Request headers are parsed and kept; non-zero markers (02) are accepted.
    let d = Message::decode(unhex(
        "01 01 00000001 00000000 00000000 00 0A 01 54 01 01 73 01 01 68 01 76 05 02 01 61 00 00 0000 00 00",
    ))
    .expect("decodes");
    let Body::Request(r) = &d.value.body else {
        panic!()
    };
    assert_eq!(r.headers.len(), 1);
    assert_eq!(r.headers[0].name, "h");
    assert_eq!(
        r.params.as_ref().map(|t| t.data_shape.fields.len()),
        Some(1)
    );
    // Invalid UTF-8 is kept as bytes and re-encodes exactly.
    let bytes = unhex("00 02 FF FE");
    let v = Value::decode(bytes.clone()).expect("decodes").value;
    assert_eq!(v.as_wire_string().and_then(|s| s.as_str()), None);
    assert_eq!(v.encode().expect("encodes"), bytes);
    // Decoded strings longer than the inline capacity share the input buffer; shorter ones
    // are stored inline (no reference count on the buffer).
    let mut long = vec![0x00, 40];
    long.extend_from_slice(&[b'a'; 40]);
    let buf = Bytes::from(long);
    let v = Value::decode(buf.clone()).expect("decodes").value;
    let s = v.as_wire_string().expect("string");
    assert_eq!(s.as_bytes().as_ptr(), buf[2..].as_ptr());
    let buf = unhex("00 03 616263");
    let v = Value::decode(buf.clone()).expect("decodes").value;
    let s = v.as_wire_string().expect("string");
    assert_eq!(s, "abc");
    assert_ne!(s.as_bytes().as_ptr(), buf[2..].as_ptr());
}

#[test]
fn encoder_count_limits() {
    let claims = (0..256)
        .map(|_| Claim {
            name: "a".into(),
            value: "b".into(),
        })
        .collect();
    let m = Message {
        header: Header::new(1, AUTH_SESSION_ID),
        body: Body::Auth(Auth { claims }),
    };
    assert_eq!(
        m.encode(),
        Err(EncodeError::TooMany {
            what: "AUTH claims",
            count: 256,
            max: 255
        })
    );
    let m = Message {
        header: Header::new(1, 1),
        body: Body::Bind(Bind {
            gateway: None,
            names: vec![WireString::new(); 65_536],
        }),
    };
    assert!(matches!(
        m.encoded_len(),
        Err(EncodeError::TooMany { max: 65_535, .. })
    ));
    let mut t = InfoTable::new();
    t.push_row(vec![Value::Nothing; 65_536]);
    assert!(matches!(
        t.encode(),
        Err(EncodeError::TooMany { max: 65_535, .. })
    ));
    // 65 535 cells are fine and round-trip.
    let mut t = InfoTable::new();
    t.push_row(vec![Value::Nothing; 65_535]);
    let enc = t.encode().expect("encodes");
    assert_eq!(InfoTable::decode(enc).expect("decodes").value, t);
}

#[test]
fn display_shows_header_body_and_tables() {
    let m = Message::decode(unhex(
        "01 40 00000066 00000000 0000002A 00 00 05 01 02 4F6E 00 02 0000 00 01 0001 02 01 00",
    ))
    .expect("decodes")
    .value;
    let text = Frame::Message(m).to_string();
    for needle in [
        "SUCCESS(0x40)",
        "request id 102",
        "session id 42",
        "reason: none",
        "content: InfoTable (1 field(s), 1 row(s))",
        "[0] \"On\" : BOOLEAN(0x02)",
        "\"On\" = BOOLEAN true",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in:\n{text}");
    }
    assert!(text.lines().count() >= 6);
    let chunk = Frame::decode(unhex(
        "01 02 00000007 00000000 0000002A 01 0002 0002 0040 0A 01 54 4A4B",
    ))
    .expect("chunk")
    .value;
    let text = chunk.to_string();
    assert!(text.contains("chunk 2 of 2"), "{text}");
    assert!(text.contains("THING(0x0a) \"T\""), "{text}");
    assert_eq!(
        Value::variant(Value::Integer(7)).to_string(),
        "VARIANT(INTEGER 7)"
    );
}
