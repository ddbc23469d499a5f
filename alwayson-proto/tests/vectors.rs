//! Golden-vector tests: every line of `tests/vectors/{messages,primitives,infotables,quirks,
//! multipart}.jsonl` is decoded, converted to the vectors' implementation-neutral `decoded`
//! schema (tests/vectors/README.md) and compared, then re-encoded and compared byte for byte.
//!
//! With `ALWAYSON_VECTORS=<dir>` set, every `*.jsonl` file of that directory is checked too,
//! each line dispatched by the fields it has; an unreadable directory, or one without any
//! `*.jsonl` file, fails the test loudly.
//!
//! Compared: every code as a number, names, strings, NUMBER/LOCATION by their `*_bits`, BLOB
//! by `value_hex`, `claim_count`, `params_type_code` / `content_type_code`. Not compared: the
//! float `value` of NUMBER and the float coordinates of LOCATION (their bits are), and the
//! reader-only helper names `code_name`, `entity_type_name` and `characteristic_type_name`.
//!
//! # SDK quirk lines (`quirks.jsonl`): what this crate does with the SDK's bytes
//!
//! A quirk line is recognised by its fields (`kind` and `canonical_hex`) and checked from
//! its fields alone, never from its name, so any capture in the vectors' format can be
//! checked with `ALWAYSON_VECTORS` (the `renamed_quirk_lines_pass_on_data_alone` test
//! renames every line of a copy and runs it through that code path):
//!
//! 1. `canonical_hex` decodes to `decoded` and re-encodes byte for byte (a `message` or
//!    `multipart` line as a message, an `infotable` line as an InfoTable).
//! 2. The SDK's own bytes (`frames` for `message`, `hex` for `infotable`) never panic and get
//!    one of these outcomes, chosen from the data (`check_sdk_bytes`):
//!    * **the bytes are canonical** (equal to `canonical_hex`): they decode to `decoded`
//!      with nothing left over. The SDK's *encoder* was right; only its decoder may be
//!      wrong (e.g. rows of 128–255 cells).
//!    * **the SDK padded** (the bytes are `canonical_hex` followed by more, and
//!      `sdk_decode_of_wire.matches_intended` is true): they decode to `decoded` and the
//!      padding is reported as `trailing`, exactly the extra bytes. The SDK's length
//!      bookkeeping appends zeros after a complete body (reason dropped, NOTHING cells);
//!      the body itself is what was intended.
//!    * **anything else** (the SDK wrote a non-canonical form, e.g. an unflagged long
//!      string prefix `00 00 00 80`, a cell count mod 256, or a body split across frames):
//!      either a typed error at an offset inside the input, or a decode that reports
//!      leftover bytes as `trailing` (never a silent, complete-looking decode). The decoder
//!      never guesses the SDK's unflagged long-string form (wire-format.md §5.5: `00 00 00
//!      80` is indistinguishable from an empty string followed by data), so such input
//!      either fails or decodes to what its bytes canonically mean, with leftovers
//!      reported; a receiver must not take a message with unexpected trailing bytes at face
//!      value.
//!    * `multipart` lines: every frame is a valid chunk in order and the chunks' data,
//!      reassembled by hand, is the body of `reassembled_hex` (a size guard such as the
//!      SDK's `chunk_count × chunk_size ≤ max` is receiver policy, not a codec matter).
//!
//! For our own capture, `our_quirk_outcomes_are_pinned` additionally pins the exact outcome
//! of each line by name (which error kind, which wrong value):
//!
//! | vector | SDK bytes decode to |
//! |---|---|
//! | `q_sdk_error_response_reason_dropped` | the intended response, which has no reason (the SDK never sets the marker); the `len(reason)+1` zero bytes after it are reported as `trailing` |
//! | `q_response_nothing_values_trailing_bytes` | exactly the intended message; one trailing `00` per NOTHING cell is reported as `trailing` |
//! | `q_request_entity_name_128plus` | error `LengthExceedsInput` (request header value): the unflagged prefix `00 00 00 80` reads as an empty name, and the name bytes are then read as a header count and headers |
//! | `q_bind_name_128plus` | decodes *wrongly*: one empty name, the rest of the prefix and the name as trailing bytes (asserted, and `!=` intended) |
//! | `q_response_reason_128plus` | decodes *wrongly*: reason `""`, no content, the rest as trailing bytes (asserted, and `!=` intended) |
//! | `q_datashape_description_128plus` | error `LengthExceedsInput`: the misparsed description bytes end in a length past the input |
//! | `q_row_128_to_255_fields` | the SDK bytes *are* canonical: decode to the intended table (only the 1.3.1 decoder is wrong) |
//! | `q_row_256plus_fields` | decodes *wrongly*: the cell count is written mod 256, so the first row has `260 mod 256 = 4` cells, the next cell's type byte is taken as a row marker, and most cells are left as trailing bytes (asserted, and `!=` intended) |
//! | `q_response_chunk_window_split` | two frames with the same header and multipart byte 0: both fail with `LengthExceedsInput` (the first is a body cut short, the second a body tail read as a response) |
//! | `q_multipart_exact_multiple_empty_chunk` | valid chunks, the last with empty data; reassembling them by hand gives `reassembled_hex` |
//! | `q_multipart_3x8192_exceeds_default_max` | valid chunks (the size guard is a receiver policy, not a codec matter); reassembly gives `reassembled_hex` |

use alwayson_proto::*;
use bytes::Bytes;
use serde_json::{json, Map, Value as J};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- hex

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("valid hex"))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn bytes_of(s: &J) -> Bytes {
    Bytes::from(unhex(s.as_str().expect("hex string")))
}

// ---------------------------------------------------------------- our types -> schema

fn s(w: &WireString) -> J {
    J::String(w.to_str_lossy().into_owned())
}

fn prim(v: &Value) -> J {
    let t = v.base_type();
    let mut m = Map::new();
    m.insert("type".into(), json!(t.name()));
    m.insert("type_code".into(), json!(t.as_u8()));
    match v {
        Value::Nothing => {
            m.insert("value".into(), J::Null);
        }
        Value::String(_, w) => {
            m.insert("value".into(), s(w));
        }
        Value::Number(x) => {
            m.insert("bits".into(), json!(format!("{:016x}", x.to_bits())));
        }
        Value::Integer(x) => {
            m.insert("value".into(), json!(x));
        }
        Value::Boolean(x) => {
            m.insert("value".into(), json!(x));
        }
        Value::DateTime(x) => {
            m.insert("value".into(), json!(x));
        }
        Value::Location(l) => {
            m.insert(
                "value".into(),
                json!({
                    "longitude_bits": format!("{:016x}", l.longitude.to_bits()),
                    "latitude_bits": format!("{:016x}", l.latitude.to_bits()),
                    "elevation_bits": format!("{:016x}", l.elevation.to_bits()),
                }),
            );
        }
        Value::Blob(b) | Value::Image(b) => {
            m.insert("value_hex".into(), json!(hex(b)));
        }
        Value::InfoTable(t) => {
            m.insert("value".into(), table(t));
        }
        Value::Variant(inner) => {
            m.insert("value".into(), prim(&inner.value()));
        }
    }
    J::Object(m)
}

fn table(t: &InfoTable) -> J {
    let fields: Vec<J> = t
        .data_shape
        .fields
        .iter()
        .map(|f| {
            json!({
                "name": s(&f.name),
                "description": s(&f.description),
                "base_type": f.base_type.name(),
                "base_type_code": f.base_type.as_u8(),
                "aspects": f.aspects.iter().map(|a| json!({"name": s(&a.name), "value": prim(&a.value)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let rows: Vec<J> = t
        .rows()
        .map(|r| J::Array(r.iter().map(prim).collect()))
        .collect();
    json!({"datashape": fields, "rows": rows})
}

fn header(h: &Header, code: MessageCode, multipart: bool) -> J {
    json!({"version": h.version, "code": code.0, "request_id": h.request_id,
           "endpoint_id": h.endpoint_id, "session_id": h.session_id, "multipart": multipart})
}

fn opt_table(t: &Option<InfoTable>) -> (J, J) {
    match t {
        Some(t) => (json!(5), table(t)),
        None => (json!(255), J::Null),
    }
}

fn message(m: &Message) -> J {
    let (kind, body) = match &m.body {
        Body::Auth(a) => (
            "auth",
            json!({"claim_count": a.claims.len(),
                   "claims": a.claims.iter().map(|c| json!({"name": s(&c.name), "value": s(&c.value)})).collect::<Vec<_>>()}),
        ),
        Body::Bind(b) | Body::Unbind(b) => (
            "bind",
            json!({"gateway": b.gateway.as_ref().map(|g| json!({"name": s(&g.name), "type": s(&g.gateway_type)})),
                   "names": b.names.iter().map(s).collect::<Vec<_>>()}),
        ),
        Body::Request(r) => {
            let (code, params) = opt_table(&r.params);
            (
                "request",
                json!({"entity_type": r.entity_type.as_u8(), "entity_name": s(&r.entity_name),
                       "characteristic_type": r.characteristic.as_u8(),
                       "characteristic_name": s(&r.characteristic_name),
                       "headers": r.headers.iter().map(|h| json!({"name": s(&h.name), "value": s(&h.value)})).collect::<Vec<_>>(),
                       "params_type_code": code, "params": params}),
            )
        }
        Body::Response(r) => {
            let (code, content) = opt_table(&r.content);
            (
                "response",
                json!({"reason": r.reason.as_ref().map(s), "content_type_code": code, "content": content}),
            )
        }
    };
    json!({"header": header(&m.header, m.code(), false), "kind": kind, "body": body})
}

fn chunk(c: &Chunk) -> J {
    let mut ch = Map::new();
    ch.insert("chunk_id".into(), json!(c.chunk_id));
    ch.insert("chunk_count".into(), json!(c.chunk_count));
    ch.insert("chunk_size".into(), json!(c.chunk_size));
    if let Some(e) = &c.entity {
        ch.insert("entity_type".into(), json!(e.entity_type.as_u8()));
        ch.insert("entity_name".into(), s(&e.entity_name));
    }
    ch.insert("data_hex".into(), json!(hex(&c.data)));
    json!({"header": header(&c.header, c.code, true), "chunk": ch})
}

/// Removes what is deliberately not compared: helper names and float renderings.
fn normalize(v: &J) -> J {
    match v {
        J::Object(m) => {
            let mut out = Map::new();
            let type_code = m.get("type_code").and_then(J::as_u64);
            for (k, val) in m {
                if matches!(
                    k.as_str(),
                    "code_name" | "entity_type_name" | "characteristic_type_name"
                ) {
                    continue;
                }
                if type_code == Some(1) && k == "value" {
                    continue; // NUMBER: compare `bits`
                }
                if type_code == Some(6) && k == "value" {
                    let loc = val.as_object().expect("LOCATION value object");
                    let kept: Map<String, J> = loc
                        .iter()
                        .filter(|(k, _)| k.ends_with("_bits"))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    out.insert(k.clone(), J::Object(kept));
                    continue;
                }
                out.insert(k.clone(), normalize(val));
            }
            J::Object(out)
        }
        J::Array(a) => J::Array(a.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

fn assert_same(name: &str, ours: &J, expected: &J) {
    let (a, b) = (normalize(ours), normalize(expected));
    if a != b {
        panic!(
            "{name}: decoded differs\n ours:     {}\n expected: {}",
            serde_json::to_string(&a).unwrap_or_default(),
            serde_json::to_string(&b).unwrap_or_default()
        );
    }
}

// ---------------------------------------------------------------- per-kind checks

fn check_message_bytes(name: &str, bytes: Bytes, expected: &J) -> Message {
    let d = Message::decode(bytes.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        d.trailing.is_empty(),
        "{name}: unexpected trailing {:?}",
        d.trailing
    );
    assert_same(name, &message(&d.value), expected);
    // Frame::decode agrees.
    match Frame::decode(bytes.clone())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .value
    {
        Frame::Message(m) => assert_eq!(m, d.value, "{name}: Frame::decode differs"),
        Frame::Chunk(_) => panic!("{name}: decoded as a chunk"),
    }
    let enc = d
        .value
        .encode()
        .unwrap_or_else(|e| panic!("{name}: encode: {e}"));
    assert_eq!(hex(&enc), hex(&bytes), "{name}: re-encoding differs");
    assert_eq!(
        d.value.encoded_len().ok(),
        Some(bytes.len()),
        "{name}: encoded_len"
    );
    d.value
}

fn check_primitive(name: &str, line: &J) {
    let bytes = bytes_of(&line["hex"]);
    let d = Value::decode(bytes.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(d.trailing.is_empty(), "{name}: trailing");
    assert_same(name, &prim(&d.value), &line["decoded"]);
    let enc = d.value.encode().unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(hex(&enc), hex(&bytes), "{name}: re-encoding differs");
}

fn check_infotable_bytes(name: &str, bytes: Bytes, expected: &J) {
    let d = InfoTable::decode(bytes.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(d.trailing.is_empty(), "{name}: trailing");
    assert_same(name, &table(&d.value), expected);
    let enc = d.value.encode().unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(hex(&enc), hex(&bytes), "{name}: re-encoding differs");
}

/// Decodes every chunk frame, checks it against `expected` (if given), and reassembles the
/// body by hand (entity prefix once, then every chunk's data), which must equal the body of
/// `reassembled`.
fn check_chunks(name: &str, frames: &[J], expected: Option<&J>, reassembled: &Bytes) {
    let mut body = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let d = Frame::decode(bytes_of(f)).unwrap_or_else(|e| panic!("{name} chunk {i}: {e}"));
        assert!(d.trailing.is_empty());
        let Frame::Chunk(c) = d.value else {
            panic!("{name}: frame {i} is not a chunk")
        };
        assert_eq!(usize::from(c.chunk_id), i + 1, "{name}: chunk order");
        assert_eq!(
            usize::from(c.chunk_count),
            frames.len(),
            "{name}: chunk count"
        );
        if let Some(exp) = expected {
            assert_same(&format!("{name} chunk {i}"), &chunk(&c), &exp[i]);
        }
        if i == 0 {
            if let Some(e) = &c.entity {
                body.push(e.entity_type.as_u8());
                let n = e.entity_name.len();
                assert!(n < 128, "test helper handles short entity names only");
                body.push(n as u8);
                body.extend_from_slice(e.entity_name.as_bytes());
            }
        }
        body.extend_from_slice(&c.data);
    }
    assert_eq!(
        hex(&body),
        hex(reassembled.get(HEADER_LEN..).unwrap_or_default()),
        "{name}: hand reassembly differs"
    );
}

fn check_multipart(name: &str, line: &J) {
    let reassembled = bytes_of(&line["reassembled_hex"]);
    let frames = line["chunks"].as_array().expect("chunks");
    check_chunks(name, frames, Some(&line["decoded"]["chunks"]), &reassembled);
    check_message_bytes(name, reassembled, &line["decoded"]["message"]);
}

fn frames_of(line: &J) -> Vec<Bytes> {
    line["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .map(bytes_of)
        .collect()
}

fn decode_msg(b: &Bytes) -> Result<Decoded<Message>, DecodeError> {
    Message::decode(b.clone())
}

fn decode_table(line: &J) -> Result<Decoded<InfoTable>, DecodeError> {
    InfoTable::decode(bytes_of(&line["hex"]))
}

/// The exact outcome pinned for each line of our own capture (table in the module docs);
/// `false` for a line this table does not know.
fn pinned_outcome(name: &str, line: &J) -> bool {
    let intended = &line["decoded"];
    let kind = line["kind"].as_str().unwrap_or_default();
    match name {
        "q_sdk_error_response_reason_dropped" | "q_response_nothing_values_trailing_bytes" => {
            // The intended message is the SDK's real body (no reason: the SDK never sets the
            // marker); the bytes the SDK's length bookkeeping adds are zeros after it.
            let f = frames_of(line);
            assert_eq!(f.len(), 1);
            let d = decode_msg(&f[0]).expect("decodes");
            assert_same(name, &message(&d.value), intended);
            let canonical = bytes_of(&line["canonical_hex"]);
            assert_eq!(f[0].get(..canonical.len()), Some(&canonical[..]));
            assert_eq!(d.trailing.len(), f[0].len() - canonical.len());
            assert!(!d.trailing.is_empty() && d.trailing.iter().all(|b| *b == 0));
        }
        "q_request_entity_name_128plus" => {
            // `00 00 00 80 <name>`: an empty entity name, characteristic 00, an empty
            // characteristic name, header count 0x80 (128 headers) read from the name bytes:
            // the strings run past the end of the input.
            let f = frames_of(line);
            let e = decode_msg(&f[0]).expect_err("unflagged long entity name must not decode");
            assert!(
                matches!(
                    e.kind,
                    DecodeErrorKind::LengthExceedsInput {
                        what: "request header value",
                        ..
                    }
                ),
                "{name}: {e}"
            );
        }
        "q_bind_name_128plus" => {
            // No gateway, one name: the unflagged prefix `00 00 00 96` reads as an empty
            // name; the rest of the prefix and the name are left over as trailing bytes.
            let f = frames_of(line);
            let d = decode_msg(&f[0]).expect("decodes (wrongly)");
            let Body::Bind(b) = &d.value.body else {
                panic!("not a BIND")
            };
            assert_eq!(b.names, vec![WireString::new()]);
            assert!(d.trailing.len() > 128);
            assert_ne!(normalize(&message(&d.value)), normalize(intended));
        }
        "q_response_reason_128plus" => {
            // Reason marker 01, prefix `00 00 01 2c`: an empty reason, content type 00 (=
            // none); the rest is trailing.
            let f = frames_of(line);
            let d = decode_msg(&f[0]).expect("decodes (wrongly)");
            let Body::Response(r) = &d.value.body else {
                panic!("not a response")
            };
            assert_eq!(r.reason, Some(WireString::new()));
            assert_eq!(r.content, None);
            assert!(d.trailing.len() > 128);
            assert_ne!(normalize(&message(&d.value)), normalize(intended));
        }
        "q_datashape_description_128plus" => {
            // The empty description is followed by `00 00 xx` read as base type and aspect
            // count, then the description text is misparsed until a length runs past the end.
            let e = decode_table(line).expect_err("must not decode");
            assert!(
                matches!(e.kind, DecodeErrorKind::LengthExceedsInput { .. }),
                "{name}: {e}"
            );
        }
        "q_row_256plus_fields" => {
            // The row announces 260 mod 256 = 4 cells: the table decodes with a 4-cell first
            // row, then the next cell's type byte is taken as a row marker; the rest of the
            // cells are left as trailing bytes. Not the intended table.
            let d = decode_table(line).expect("decodes (wrongly)");
            let fields = d.value.data_shape.fields.len();
            assert!(fields >= 256);
            assert_eq!(d.value.row(0).map(<[_]>::len), Some(fields % 256));
            assert!(!d.trailing.is_empty());
            assert_ne!(normalize(&table(&d.value)), normalize(intended));
        }
        "q_row_128_to_255_fields" => {
            assert_eq!(line["hex"], line["canonical_hex"]);
            let d = decode_table(line).expect("decodes");
            assert_same(name, &table(&d.value), intended);
        }
        "q_response_chunk_window_split" => {
            // Both frames carry the same header and multipart byte 0. The first holds a body
            // cut short (the InfoTable's long string runs past the end), the second holds the
            // tail of the body, read as a response whose reason runs past the end.
            let f = frames_of(line);
            assert_eq!(f.len(), 2);
            assert_eq!(
                f[0].get(..HEADER_LEN),
                f[1].get(..HEADER_LEN),
                "same header"
            );
            for (i, frame) in f.iter().enumerate() {
                let e = decode_msg(frame).expect_err("neither frame is a valid message");
                assert!(
                    matches!(e.kind, DecodeErrorKind::LengthExceedsInput { .. }),
                    "frame {i}: {e}"
                );
            }
        }
        _ if kind == "multipart" => {
            let frames = line["frames"].as_array().expect("frames");
            check_chunks(name, frames, None, &bytes_of(&line["reassembled_hex"]));
        }
        _ => return false,
    }
    true
}

/// How a decode of the SDK's bytes turned out: the decoded structure (as vector JSON) and
/// the trailing bytes, or the error.
type SdkOutcome = Result<(J, Bytes), DecodeError>;

/// Checks one decode of the SDK's bytes `sdk` against the line's data (module docs, item 2).
fn check_sdk_bytes(name: &str, line: &J, sdk: &Bytes, outcome: SdkOutcome) {
    let canonical = bytes_of(&line["canonical_hex"]);
    let intended = &line["decoded"];
    let matches_intended = line["sdk_decode_of_wire"]["matches_intended"].as_bool() == Some(true);
    if *sdk == canonical {
        // The SDK's encoder wrote the canonical bytes.
        let (value, trailing) = outcome.unwrap_or_else(|e| panic!("{name}: canonical bytes: {e}"));
        assert_same(name, &value, intended);
        assert!(
            trailing.is_empty(),
            "{name}: trailing after canonical bytes"
        );
    } else if matches_intended && sdk.starts_with(&canonical) {
        // The SDK padded a correct body: the padding is reported, the body is intended.
        let (value, trailing) = outcome.unwrap_or_else(|e| panic!("{name}: padded bytes: {e}"));
        assert_same(name, &value, intended);
        assert_eq!(
            hex(&trailing),
            hex(&sdk[canonical.len()..]),
            "{name}: the padding must be reported as trailing"
        );
    } else {
        // A non-canonical form: a typed error inside the input, or leftovers reported.
        match outcome {
            Err(e) => assert!(
                e.offset <= sdk.len(),
                "{name}: error offset past the input: {e}"
            ),
            Ok((value, trailing)) => assert!(
                !trailing.is_empty(),
                "{name}: non-canonical bytes decoded with nothing left over: {value}"
            ),
        }
    }
}

/// What this crate does with the SDK's own bytes of a quirk line, decided from the line's
/// fields only (module docs, item 2).
fn quirk_sdk_bytes_behaviour(name: &str, line: &J) {
    match line["kind"].as_str() {
        Some("message") => {
            for (i, frame) in frames_of(line).iter().enumerate() {
                let outcome = decode_msg(frame).map(|d| (message(&d.value), d.trailing));
                check_sdk_bytes(&format!("{name} frame {i}"), line, frame, outcome);
            }
        }
        Some("infotable") => {
            let sdk = bytes_of(&line["hex"]);
            let outcome = InfoTable::decode(sdk.clone()).map(|d| (table(&d.value), d.trailing));
            check_sdk_bytes(name, line, &sdk, outcome);
        }
        Some("multipart") => {
            let frames = line["frames"].as_array().expect("frames");
            check_chunks(name, frames, None, &bytes_of(&line["reassembled_hex"]));
        }
        other => panic!("{name}: unknown quirk kind {other:?}"),
    }
}

fn check_quirk(name: &str, line: &J) {
    let canonical = bytes_of(&line["canonical_hex"]);
    match line["kind"].as_str() {
        Some("message") | Some("multipart") => {
            check_message_bytes(name, canonical, &line["decoded"]);
        }
        Some("infotable") => check_infotable_bytes(name, canonical, &line["decoded"]),
        other => panic!("{name}: unknown quirk kind {other:?}"),
    }
    quirk_sdk_bytes_behaviour(name, line);
}

/// What a line is, from its fields. `None`: not a codec vector (websocket frames).
fn classify(line: &J) -> Option<&'static str> {
    let dec = &line["decoded"];
    if line.get("kind").is_some() && line.get("canonical_hex").is_some() {
        Some("quirk")
    } else if line.get("chunks").is_some() {
        Some("multipart")
    } else if dec.get("header").is_some() {
        Some("message")
    } else if dec.get("type_code").is_some() {
        Some("primitive")
    } else if dec.get("datashape").is_some() {
        Some("infotable")
    } else {
        None
    }
}

/// Checks one line; returns whether it was a codec vector.
fn check_line(line: &J) -> bool {
    let name = line["name"].as_str().unwrap_or("<unnamed>");
    match classify(line) {
        Some("quirk") => check_quirk(name, line),
        Some("multipart") => check_multipart(name, line),
        Some("message") => {
            check_message_bytes(name, bytes_of(&line["hex"]), &line["decoded"]);
        }
        Some("primitive") => check_primitive(name, line),
        Some("infotable") => check_infotable_bytes(name, bytes_of(&line["hex"]), &line["decoded"]),
        _ => return false,
    }
    true
}

fn read_lines(path: &Path) -> Vec<J> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{} line {}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// Every `*.jsonl` file of `dir`, sorted. An unreadable directory or one without any
/// `*.jsonl` file is an error.
fn jsonl_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.jsonl file in {}", dir.display()));
    }
    Ok(files)
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn run_file(file: &str, expected_kind: &str) -> usize {
    let lines = read_lines(&vectors_dir().join(file));
    assert!(!lines.is_empty(), "{file} is empty");
    for line in &lines {
        assert_eq!(
            classify(line),
            Some(expected_kind),
            "{file}: {}",
            line["name"]
        );
        assert!(check_line(line));
    }
    lines.len()
}

#[test]
fn messages_vectors() {
    assert_eq!(run_file("messages.jsonl", "message"), 56);
}

#[test]
fn primitives_vectors() {
    assert_eq!(run_file("primitives.jsonl", "primitive"), 75);
}

#[test]
fn infotables_vectors() {
    assert_eq!(run_file("infotables.jsonl", "infotable"), 18);
}

#[test]
fn quirks_vectors() {
    assert_eq!(run_file("quirks.jsonl", "quirk"), 11);
}

#[test]
fn multipart_vectors_chunks_and_reassembled_message() {
    assert_eq!(run_file("multipart.jsonl", "multipart"), 6);
}

/// Checks every `*.jsonl` file of `dir` (the `ALWAYSON_VECTORS` code path); returns the
/// number of codec vector lines checked.
fn check_dir(dir: &Path) -> usize {
    let files = jsonl_files(dir).unwrap_or_else(|e| panic!("ALWAYSON_VECTORS: {e}"));
    let mut checked = 0;
    for f in files {
        for line in read_lines(&f) {
            if check_line(&line) {
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn external_vectors_from_env() {
    let Some(dir) = std::env::var_os("ALWAYSON_VECTORS") else {
        return;
    };
    let checked = check_dir(Path::new(&dir));
    eprintln!("ALWAYSON_VECTORS: {checked} codec vector line(s) checked");
}

#[test]
fn renamed_quirk_lines_pass_on_data_alone() {
    let dir = std::env::temp_dir().join(format!("alwayson-renamed-quirks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let lines = read_lines(&vectors_dir().join("quirks.jsonl"));
    let mut out = String::new();
    for (i, mut line) in lines.into_iter().enumerate() {
        line["name"] = json!(format!("capture_line_{i}"));
        out.push_str(&serde_json::to_string(&line).expect("json"));
        out.push('\n');
    }
    std::fs::write(dir.join("renamed.jsonl"), out).expect("write");
    let checked = check_dir(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(checked, 11);
}

#[test]
fn our_quirk_outcomes_are_pinned() {
    let lines = read_lines(&vectors_dir().join("quirks.jsonl"));
    for line in &lines {
        let name = line["name"].as_str().unwrap_or_default();
        assert!(pinned_outcome(name, line), "{name}: no pinned outcome");
    }
}

#[test]
fn vector_loader_rejects_empty_or_missing_dir() {
    let base = std::env::temp_dir().join(format!("alwayson-vectors-test-{}", std::process::id()));
    let empty = base.join("empty");
    std::fs::create_dir_all(&empty).expect("temp dir");
    std::fs::write(empty.join("notes.txt"), "not a vector file").expect("write");
    let err = jsonl_files(&empty).expect_err("no jsonl must be an error");
    assert!(err.contains("no *.jsonl"), "{err}");
    let err = jsonl_files(&base.join("does-not-exist")).expect_err("missing dir");
    assert!(err.contains("cannot read"), "{err}");
    // The shipped directory is accepted.
    let files = jsonl_files(&vectors_dir()).expect("shipped vectors");
    assert!(files.len() >= 5);
    let _ = std::fs::remove_dir_all(&base);
}
