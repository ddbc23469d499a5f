//! Multipart splitting and reassembly against the golden vectors (multipart.jsonl and the
//! two multipart quirks), the worked example of wire-format.md §8.5, the splitter's
//! invariants, the reassembler's errors and limits, and a split → shuffle → reassemble
//! property test.

use alwayson_proto::multipart::{
    split, Reassembler, ReassemblyError, ReassemblyLimits, Split, SplitError,
};
use alwayson_proto::{
    Auth, BaseType, Bind, Body, Characteristic, Chunk, Claim, EntityType, FieldDefinition, Frame,
    Gateway, Header, InfoTable, Message, MessageCode, Method, Request, Response, StatusCode, Value,
    WireString, CHUNK_HEADER_LEN, HEADER_LEN,
};
use bytes::Bytes;
use proptest::prelude::*;
use serde_json::Value as Json;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// helpers

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Hex with spaces/newlines, as in the spec.
fn unhex_spaced(s: &str) -> Vec<u8> {
    unhex(&s.split_whitespace().collect::<String>().to_lowercase())
}

fn lines(file: &str) -> Vec<Json> {
    let path = format!("{}/tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn hex_list(v: &Json, field: &str) -> Vec<Vec<u8>> {
    v[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} missing"))
        .iter()
        .map(|h| unhex(h.as_str().expect("hex string")))
        .collect()
}

fn decode_chunk(bytes: &[u8]) -> Chunk {
    let decoded = Frame::decode(Bytes::copy_from_slice(bytes)).expect("chunk decodes");
    assert!(decoded.trailing.is_empty());
    match decoded.value {
        Frame::Chunk(c) => c,
        Frame::Message(m) => panic!("expected a chunk, got {m:?}"),
    }
}

/// A deterministic pseudo-random permutation (xorshift Fisher–Yates).
fn shuffled<T: Clone>(items: &[T], mut seed: u64) -> Vec<T> {
    let mut v = items.to_vec();
    seed |= 1;
    for i in (1..v.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = (seed % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

/// Feeds every chunk; asserts that only the last push completes the message.
/// Holds nothing new afterwards (`in_progress` does not grow).
fn reassemble(r: &mut Reassembler, now: Instant, chunks: Vec<Chunk>) -> Message {
    let before = r.in_progress();
    let n = chunks.len();
    let mut out = None;
    for (i, c) in chunks.into_iter().enumerate() {
        let got = r.push(now, c).expect("chunk accepted");
        if i + 1 < n {
            assert!(got.is_none(), "completed early at chunk {i}");
        } else {
            out = got;
        }
    }
    let decoded = out.expect("message complete after the last chunk");
    assert!(
        decoded.trailing.is_empty(),
        "trailing bytes after reassembly"
    );
    assert!(r.in_progress() <= before);
    decoded.value
}

fn orders(chunks: &[Chunk]) -> Vec<(&'static str, Vec<Chunk>)> {
    let mut rev = chunks.to_vec();
    rev.reverse();
    vec![
        ("in order", chunks.to_vec()),
        ("reversed", rev),
        ("shuffled 1", shuffled(chunks, 0x9e37_79b9_7f4a_7c15)),
        ("shuffled 2", shuffled(chunks, 42)),
    ]
}

/// The chunk size written in a chunk's chunkSize field.
fn chunk_size_field(chunk: &[u8]) -> u16 {
    u16::from_be_bytes([chunk[19], chunk[20]])
}

fn split_vec(m: &Message, chunk_size: u16) -> Vec<Vec<u8>> {
    match split(m, chunk_size).expect("split") {
        Split::Single(b) => vec![b.to_vec()],
        Split::Chunks(c) => c.into_iter().map(|b| b.to_vec()).collect(),
    }
}

// ---------------------------------------------------------------------------------------
// golden vectors

#[test]
fn multipart_vectors_reassemble_in_any_order() {
    let vectors = lines("multipart.jsonl");
    assert_eq!(vectors.len(), 6);
    for v in &vectors {
        let name = v["name"].as_str().expect("name");
        let expected = unhex(v["reassembled_hex"].as_str().expect("reassembled_hex"));
        let chunks: Vec<Chunk> = hex_list(v, "chunks")
            .iter()
            .map(|c| decode_chunk(c))
            .collect();
        for (order, cs) in orders(&chunks) {
            let mut r = Reassembler::default();
            let m = reassemble(&mut r, Instant::now(), cs);
            let re = m.encode().expect("re-encode");
            assert_eq!(hex(&re), hex(&expected), "{name} ({order})");
        }
    }
}

#[test]
fn multipart_vectors_split_byte_exact() {
    // Every multipart.jsonl body is a non-exact multiple of E, where the SDK's
    // floor(L/E) + 1 equals our ceil(L/E): our chunks must equal the SDK's byte for byte.
    for v in &lines("multipart.jsonl") {
        let name = v["name"].as_str().expect("name");
        let chunk_size = u16::try_from(v["decoded"]["chunk_size"].as_u64().expect("chunk_size"))
            .expect("u16 chunk size");
        let expected = hex_list(v, "chunks");
        let m = Message::decode(Bytes::from(unhex(
            v["reassembled_hex"].as_str().expect("reassembled_hex"),
        )))
        .expect("reassembled message decodes")
        .value;
        let ours = split_vec(&m, chunk_size);
        assert_eq!(ours.len(), expected.len(), "{name}: chunk count");
        for (i, (a, b)) in ours.iter().zip(&expected).enumerate() {
            assert_eq!(hex(a), hex(b), "{name}: chunk {}", i + 1);
        }
    }
}

fn quirk(name: &str) -> Json {
    lines("quirks.jsonl")
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("quirk {name} missing"))
}

#[test]
fn quirk_exact_multiple_empty_chunk_is_accepted_and_not_produced() {
    let v = quirk("q_multipart_exact_multiple_empty_chunk");
    let frames = hex_list(&v, "frames");
    let expected = unhex(v["reassembled_hex"].as_str().expect("reassembled_hex"));
    assert_eq!(frames.len(), 3);
    let chunks: Vec<Chunk> = frames.iter().map(|c| decode_chunk(c)).collect();
    assert!(chunks[2].data.is_empty(), "the SDK's last chunk is empty");
    for (order, cs) in orders(&chunks) {
        let mut r = Reassembler::default();
        let m = reassemble(&mut r, Instant::now(), cs);
        assert_eq!(hex(&m.encode().expect("encode")), hex(&expected), "{order}");
    }
    // Our splitter: one chunk fewer, never empty; otherwise the SDK's bytes except the
    // chunkCount field (3 → 2).
    let m = Message::decode(Bytes::from(expected))
        .expect("decode")
        .value;
    let ours = split_vec(&m, chunk_size_field(&frames[0]));
    assert_eq!(ours.len(), 2);
    for (i, (a, b)) in ours.iter().zip(&frames).enumerate() {
        assert_eq!(u16::from_be_bytes([a[17], a[18]]), 2);
        let mut b = b.clone();
        b[17..19].copy_from_slice(&2u16.to_be_bytes());
        assert_eq!(hex(a), hex(&b), "chunk {}", i + 1);
        assert!(a.len() > HEADER_LEN + CHUNK_HEADER_LEN);
    }
}

#[test]
fn quirk_3x8192_reassembles_with_default_limit_and_not_with_16k() {
    let v = quirk("q_multipart_3x8192_exceeds_default_max");
    let frames = hex_list(&v, "frames");
    let expected = unhex(v["reassembled_hex"].as_str().expect("reassembled_hex"));
    let chunks: Vec<Chunk> = frames.iter().map(|c| decode_chunk(c)).collect();
    assert_eq!(chunks.len(), 3);
    for (order, cs) in orders(&chunks) {
        let mut r = Reassembler::default();
        let m = reassemble(&mut r, Instant::now(), cs.clone());
        assert_eq!(hex(&m.encode().expect("encode")), hex(&expected), "{order}");

        let mut r = Reassembler::new(ReassemblyLimits::default().with_max_message_size(16384));
        let results: Vec<_> = cs.into_iter().map(|c| r.push(Instant::now(), c)).collect();
        assert!(
            results.iter().any(|res| matches!(
                res,
                Err(ReassemblyError::TooLarge {
                    limit: 16384,
                    request_id: 0x1fb
                })
            )),
            "{order}: {results:?}"
        );
        assert!(results.iter().all(|res| !matches!(res, Ok(Some(_)))));
        assert_eq!(r.in_progress(), 0, "{order}: nothing held after the error");
    }
    // Not an exact multiple: our splitter reproduces the SDK's three chunks.
    let m = Message::decode(Bytes::from(expected))
        .expect("decode")
        .value;
    let ours = split_vec(&m, 8192);
    assert_eq!(ours, frames);
}

// ---------------------------------------------------------------------------------------
// wire-format.md §8.5

const ALNUM: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn worked_example_put() -> Message {
    Message {
        header: Header::new(1, 0x2A),
        body: Body::Request(Request::new(
            Method::Put,
            "T",
            Characteristic::Properties,
            "s",
            Some(InfoTable::single("s", Value::string(ALNUM))),
        )),
    }
}

#[test]
fn worked_example_8_5_request() {
    let m = worked_example_put();
    let chunk1 = unhex_spaced(
        "01 02 00 00 00 01 00 00 00 00 00 00 00 2A 01
         00 01 00 02 00 40
         0A 01 54 01 01 73 00 05 01 01 73 00 00 00 00 00
         01 00 01 00 24 30 31 32 33 34 35 36 37 38 39 41
         42 43 44 45 46 47 48 49",
    );
    let chunk2 = unhex_spaced(
        "01 02 00 00 00 01 00 00 00 00 00 00 00 2A 01
         00 02 00 02 00 40
         0A 01 54
         4A 4B 4C 4D 4E 4F 50 51 52 53 54 55 56 57 58 59
         5A 00",
    );
    assert_eq!(chunk1.len(), 61);
    assert_eq!(chunk2.len(), 42);
    let ours = split_vec(&m, 64);
    assert_eq!(ours, vec![chunk1.clone(), chunk2.clone()]);

    for (order, cs) in orders(&[decode_chunk(&chunk1), decode_chunk(&chunk2)]) {
        let mut r = Reassembler::default();
        assert_eq!(reassemble(&mut r, Instant::now(), cs), m, "{order}");
    }
}

#[test]
fn worked_example_8_5_response() {
    let m = Message {
        header: Header::new(1, 0x2A),
        body: Body::Response(Response::with_content(InfoTable::single(
            "result",
            Value::string(ALNUM),
        ))),
    };
    let ours = split_vec(&m, 64);
    assert_eq!(ours.iter().map(Vec::len).collect::<Vec<_>>(), vec![64, 35]);
    let mut r = Reassembler::default();
    let chunks = ours.iter().map(|c| decode_chunk(c)).collect();
    assert_eq!(reassemble(&mut r, Instant::now(), chunks), m);
}

// ---------------------------------------------------------------------------------------
// splitter invariants

fn blob_response(len: usize) -> Message {
    Message {
        header: Header::new(7, 9),
        body: Body::Response(Response::with_content(InfoTable::single(
            "result",
            Value::Blob(Bytes::from(vec![0xAB; len])),
        ))),
    }
}

#[test]
fn single_iff_it_fits() {
    for len in 0..200 {
        let m = blob_response(len);
        let total = m.encoded_len().expect("len");
        for chunk_size in [64u16, 100, 128, 150, 200] {
            match split(&m, chunk_size).expect("split") {
                Split::Single(b) => {
                    assert!(total <= usize::from(chunk_size));
                    assert_eq!(b, m.encode().expect("encode"));
                    assert_eq!(b[14], 0);
                }
                Split::Chunks(cs) => {
                    assert!(total > usize::from(chunk_size));
                    assert!(cs.len() >= 2);
                    let e = usize::from(chunk_size) - 21;
                    assert_eq!(cs.len(), (total - 15).div_ceil(e));
                    for c in &cs {
                        assert!(c.len() <= usize::from(chunk_size));
                        assert!(c.len() > 21, "empty chunk");
                        assert_eq!(c[14], 1);
                    }
                }
            }
        }
    }
}

#[test]
fn request_chunks_never_exceed_chunk_size_even_with_long_entity_names() {
    for name_len in [1usize, 127, 128, 200] {
        let m = Message {
            header: Header::new(3, 4),
            body: Body::Request(Request::new(
                Method::Post,
                "n".repeat(name_len),
                Characteristic::Services,
                "Svc",
                Some(InfoTable::single(
                    "b",
                    Value::Blob(Bytes::from(vec![1u8; 5000])),
                )),
            )),
        };
        let prefix = 1 + WireString::from("n".repeat(name_len)).encoded_len();
        for chunk_size in [64u16, 300, 512, 1000, 4096] {
            match split(&m, chunk_size) {
                Err(SplitError::ChunkSizeTooSmall { .. }) => {
                    assert!(usize::from(chunk_size) - 21 <= 2 * prefix);
                }
                Ok(Split::Chunks(cs)) => {
                    for (i, c) in cs.iter().enumerate() {
                        assert!(c.len() <= usize::from(chunk_size));
                        if i == 0 {
                            assert_eq!(c.len(), usize::from(chunk_size) - prefix);
                        } else if i + 1 < cs.len() {
                            assert_eq!(c.len(), usize::from(chunk_size));
                        }
                    }
                    let chunks: Vec<Chunk> = cs.iter().map(|c| decode_chunk(c)).collect();
                    assert!(chunks.iter().all(|c| !c.data.is_empty()));
                    let mut r = Reassembler::default();
                    assert_eq!(reassemble(&mut r, Instant::now(), chunks), m);
                }
                other => panic!("{name_len}/{chunk_size}: {other:?}"),
            }
        }
    }
}

#[test]
fn exact_multiple_has_no_empty_chunk() {
    // Response body = 2 + table; choose the blob length so that L = 3 * E at chunk size 128.
    let e = 128 - 21;
    let m0 = blob_response(0);
    let base = m0.encoded_len().expect("len") - 15;
    let m = blob_response(3 * e - base);
    assert_eq!(m.encoded_len().expect("len") - 15, 3 * e);
    let cs = split_vec(&m, 128);
    assert_eq!(cs.len(), 3);
    assert!(cs.iter().all(|c| c.len() == 128));
}

#[test]
fn too_many_chunks() {
    let m = blob_response(65535 * (64 - 21));
    assert!(matches!(
        split(&m, 64),
        Err(SplitError::TooManyChunks { .. })
    ));
    // Exactly 65535 chunks is fine.
    let m = blob_response(65535 * (64 - 21) - 30);
    assert_eq!(split(&m, 64).expect("split").len(), 65535);
}

#[test]
fn bind_and_auth_are_chunked_without_prefix() {
    let bind = Message {
        header: Header::new(11, 12),
        body: Body::Bind(Bind {
            gateway: Some(Gateway {
                name: "gw".into(),
                gateway_type: "type".into(),
            }),
            names: (0..300).map(|i| format!("Thing{i:04}").into()).collect(),
        }),
    };
    let unbind = Message {
        body: Body::Unbind(match &bind.body {
            Body::Bind(b) => b.clone(),
            _ => unreachable!(),
        }),
        ..bind.clone()
    };
    let auth = Message {
        header: Header::new(13, alwayson_proto::AUTH_SESSION_ID),
        body: Body::Auth(Auth {
            claims: vec![Claim {
                name: "appKey".into(),
                value: "k".repeat(3000).into(),
            }]
            .into(),
        }),
    };
    for m in [bind, unbind, auth] {
        let cs = split_vec(&m, 1024);
        assert!(cs.len() > 1);
        let chunks: Vec<Chunk> = cs.iter().map(|c| decode_chunk(c)).collect();
        assert!(chunks.iter().all(|c| c.entity.is_none()));
        let body = &m.encode().expect("encode")[15..];
        assert_eq!(&cs[0][21..], &body[..1024 - 21]);
        let mut r = Reassembler::default();
        assert_eq!(reassemble(&mut r, Instant::now(), shuffled(&chunks, 7)), m);
    }
}

// ---------------------------------------------------------------------------------------
// reassembler errors and limits

fn chunks_of(m: &Message, chunk_size: u16) -> Vec<Chunk> {
    split_vec(m, chunk_size)
        .iter()
        .map(|c| decode_chunk(c))
        .collect()
}

#[test]
fn duplicates_replace_and_interleaved_messages_do_not_mix() {
    let a = blob_response(500);
    let mut b = blob_response(700);
    b.header.request_id = 8;
    // Same request id as `a`, but a request: a different code class.
    let c = Message {
        header: a.header,
        body: Body::Request(Request::new(
            Method::Put,
            "Thing",
            Characteristic::Properties,
            "p",
            Some(InfoTable::single("p", Value::Blob(vec![5u8; 600].into()))),
        )),
    };
    let (ca, cb, cc) = (chunks_of(&a, 128), chunks_of(&b, 128), chunks_of(&c, 128));
    let mut all: Vec<(usize, Chunk)> = Vec::new();
    let longest = ca.len().max(cb.len()).max(cc.len());
    for i in 0..longest {
        for (k, cs) in [&ca, &cb, &cc].into_iter().enumerate() {
            if let Some(ch) = cs.get(i) {
                all.push((k, ch.clone()));
                // Duplicate every other chunk, except the completing (last) one.
                if i % 2 == 0 && i + 1 < cs.len() {
                    all.push((k, ch.clone()));
                }
            }
        }
    }
    let mut r = Reassembler::default();
    let now = Instant::now();
    let mut done = vec![None, None, None];
    for (k, ch) in all {
        if let Some(m) = r.push(now, ch).expect("accepted") {
            assert!(done[k].is_none(), "message {k} completed twice");
            done[k] = Some(m.value);
        }
    }
    assert_eq!(done, vec![Some(a), Some(b), Some(c)]);
    assert_eq!(r.in_progress(), 0);
}

#[test]
fn duplicate_after_completion_starts_a_new_message() {
    let m = blob_response(500);
    let cs = chunks_of(&m, 128);
    let mut r = Reassembler::default();
    let now = Instant::now();
    assert_eq!(reassemble(&mut r, now, cs.clone()), m);
    assert_eq!(r.push(now, cs[0].clone()).expect("ok"), None);
    assert_eq!(r.in_progress(), 1);
}

#[test]
fn inconsistent_chunks_discard_the_message() {
    let m = blob_response(500);
    let cs = chunks_of(&m, 128);
    let now = Instant::now();
    let id = m.header.request_id;
    let inconsistent = |res: Result<_, ReassemblyError>| {
        assert!(
            matches!(res, Err(ReassemblyError::Inconsistent { request_id, .. }) if request_id == id),
            "{res:?}"
        );
    };

    // chunkId > chunkCount
    let mut r = Reassembler::default();
    r.push(now, cs[0].clone()).expect("ok");
    let mut bad = cs[1].clone();
    bad.chunk_id = bad.chunk_count + 1;
    inconsistent(r.push(now, bad));
    assert_eq!(r.in_progress(), 0);

    // chunkId 0
    let mut bad = cs[1].clone();
    bad.chunk_id = 0;
    inconsistent(r.push(now, bad));

    // mismatching chunkCount
    r.push(now, cs[0].clone()).expect("ok");
    let mut bad = cs[1].clone();
    bad.chunk_count += 1;
    inconsistent(r.push(now, bad));
    assert_eq!(r.in_progress(), 0);

    // mismatching code within the class
    r.push(now, cs[0].clone()).expect("ok");
    let mut bad = cs[1].clone();
    bad.code = MessageCode(StatusCode::NOT_FOUND.as_u8());
    inconsistent(r.push(now, bad));
    assert_eq!(r.in_progress(), 0);

    // mismatching session id
    r.push(now, cs[0].clone()).expect("ok");
    let mut bad = cs[1].clone();
    bad.header.session_id ^= 1;
    inconsistent(r.push(now, bad));
    assert_eq!(r.in_progress(), 0);

    // empty chunk before the last
    let mut bad = cs[0].clone();
    bad.data = Bytes::new();
    inconsistent(r.push(now, bad));

    // the reassembler is still usable
    assert_eq!(reassemble(&mut r, now, cs), m);
}

#[test]
fn differing_entity_prefix_is_inconsistent() {
    let m = worked_example_put();
    let mut cs = chunks_of(&m, 64);
    let e = cs[1].entity.as_mut().expect("request chunk");
    e.entity_name = "U".into();
    let mut r = Reassembler::default();
    let now = Instant::now();
    r.push(now, cs[0].clone()).expect("ok");
    assert!(matches!(
        r.push(now, cs[1].clone()),
        Err(ReassemblyError::Inconsistent { .. })
    ));
    let e = cs[1].entity.as_mut().expect("request chunk");
    e.entity_type = EntityType::ThingShapes;
    e.entity_name = "T".into();
    r.push(now, cs[0].clone()).expect("ok");
    assert!(matches!(
        r.push(now, cs[1].clone()),
        Err(ReassemblyError::Inconsistent { .. })
    ));
    assert_eq!(r.in_progress(), 0);
}

#[test]
fn too_large_is_rejected_as_data_arrives() {
    let m = blob_response(3000);
    let cs = chunks_of(&m, 1024);
    assert!(cs.len() >= 3);
    let body_len = m.encoded_len().expect("len") - 15;
    let now = Instant::now();

    // Exactly the body size is fine.
    let mut r = Reassembler::new(ReassemblyLimits::default().with_max_message_size(body_len));
    assert_eq!(reassemble(&mut r, now, cs.clone()), m);

    let mut r = Reassembler::new(ReassemblyLimits::default().with_max_message_size(body_len - 1));
    let (last, rest) = cs.split_last().expect("chunks");
    for c in rest {
        assert_eq!(r.push(now, c.clone()), Ok(None));
    }
    assert_eq!(
        r.push(now, last.clone()),
        Err(ReassemblyError::TooLarge {
            request_id: 7,
            limit: body_len - 1
        })
    );
    assert_eq!(r.in_progress(), 0);
    assert_eq!(r.buffered_bytes(), 0);

    // A chunk count that cannot fit is refused up front.
    let mut r = Reassembler::new(ReassemblyLimits::default().with_max_message_size(100));
    let mut big = cs[0].clone();
    big.chunk_count = 102;
    big.data = Bytes::from_static(b"x");
    assert!(matches!(
        r.push(now, big),
        Err(ReassemblyError::TooLarge { .. })
    ));
    assert_eq!(r.in_progress(), 0);
}

#[test]
fn too_many_in_progress() {
    let now = Instant::now();
    let mut r = Reassembler::new(ReassemblyLimits::default().with_max_in_progress(2));
    let msgs: Vec<Message> = (1..=3)
        .map(|id| {
            let mut m = blob_response(300);
            m.header.request_id = id;
            m
        })
        .collect();
    let cs: Vec<Vec<Chunk>> = msgs.iter().map(|m| chunks_of(m, 128)).collect();
    assert_eq!(r.push(now, cs[0][0].clone()), Ok(None));
    assert_eq!(r.push(now, cs[1][0].clone()), Ok(None));
    assert_eq!(
        r.push(now, cs[2][0].clone()),
        Err(ReassemblyError::TooManyInProgress { limit: 2 })
    );
    assert_eq!(r.in_progress(), 2);
    // Chunks of messages in progress are still accepted.
    assert_eq!(reassemble(&mut r, now, cs[0][1..].to_vec()), msgs[0]);
    assert_eq!(r.in_progress(), 1);
    // A slot is free again.
    assert_eq!(reassemble(&mut r, now, cs[2].clone()), msgs[2]);
}

#[test]
fn expiry_at_exactly_first_chunk_plus_expiry() {
    let t0 = Instant::now();
    let expiry = Duration::from_secs(50);
    let mut r = Reassembler::new(ReassemblyLimits::default().with_expiry(expiry));
    let m = blob_response(300);
    let cs = chunks_of(&m, 128);
    assert!(cs.len() >= 3);
    assert_eq!(r.next_expiry(), None);
    r.push(t0, cs[0].clone()).expect("ok");
    // Later chunks do not refresh the expiry.
    r.push(t0 + Duration::from_secs(10), cs[1].clone())
        .expect("ok");
    assert_eq!(r.next_expiry(), Some(t0 + expiry));
    assert_eq!(r.expire(t0 + expiry - Duration::from_nanos(1)), 0);
    assert_eq!(r.in_progress(), 1);
    assert_eq!(r.expire(t0 + expiry), 1);
    assert_eq!(r.in_progress(), 0);
    assert_eq!(r.next_expiry(), None);

    // push() expires first: the remaining chunks at exactly t0 + expiry start afresh.
    r.push(t0, cs[0].clone()).expect("ok");
    for c in &cs[1..] {
        assert_eq!(r.push(t0 + expiry, c.clone()), Ok(None));
    }
    assert_eq!(r.in_progress(), 1);
    assert_eq!(r.next_expiry(), Some(t0 + expiry + expiry));
    // ... and just before the deadline, the message completes.
    let mut r = Reassembler::new(ReassemblyLimits::default().with_expiry(expiry));
    r.push(t0, cs[0].clone()).expect("ok");
    let late = t0 + expiry - Duration::from_millis(1);
    assert_eq!(reassemble(&mut r, late, cs[1..].to_vec()), m);
}

#[test]
fn decode_error_of_reassembled_body() {
    let m = blob_response(300);
    let mut cs = chunks_of(&m, 128);
    // Empty the last chunk: the body is cut inside the blob.
    let last = cs.len() - 1;
    assert!(!cs[last].data.is_empty());
    cs[last].data = Bytes::new();
    let mut r = Reassembler::default();
    let now = Instant::now();
    let mut result = Ok(None);
    for c in cs.clone() {
        result = r.push(now, c);
    }
    assert!(
        matches!(result, Err(ReassemblyError::Decode(_))),
        "{result:?}"
    );
    assert_eq!(r.in_progress(), 0);
    // still usable
    assert_eq!(reassemble(&mut r, now, chunks_of(&m, 128)), m);
}

#[test]
fn single_chunk_message_needs_no_slot() {
    let m = blob_response(10);
    let bytes = match split(&m, 64).expect("split") {
        Split::Single(b) => b,
        other => panic!("{other:?}"),
    };
    // Re-wrap as chunk 1 of 1.
    let mut chunk = bytes[..15].to_vec();
    chunk[14] = 1;
    chunk.extend_from_slice(&[0, 1, 0, 1, 0x20, 0]);
    chunk.extend_from_slice(&bytes[15..]);
    let mut r = Reassembler::new(ReassemblyLimits::default().with_max_in_progress(0));
    let got = r
        .push(Instant::now(), decode_chunk(&chunk))
        .expect("ok")
        .expect("complete");
    assert_eq!(got.value, m);
}

// ---------------------------------------------------------------------------------------
// property test: split → permute (with duplicates) → reassemble

fn wire_string(max: usize) -> impl Strategy<Value = WireString> {
    prop_oneof![
        4 => "[a-zA-Z0-9_]{0,24}".prop_map(WireString::from),
        1 => proptest::collection::vec(any::<u8>(), 0..max).prop_map(WireString::from_bytes),
    ]
}

fn table() -> impl Strategy<Value = InfoTable> {
    let kinds = proptest::collection::vec(0u8..4, 1..4);
    (kinds, 1usize..12).prop_flat_map(|(kinds, rows)| {
        let fields: Vec<FieldDefinition> = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let t = match k {
                    0 => BaseType::String,
                    1 => BaseType::Number,
                    2 => BaseType::Blob,
                    _ => BaseType::Integer,
                };
                FieldDefinition::new(format!("f{i}"), t)
            })
            .collect();
        let cell = |k: u8| -> BoxedStrategy<Value> {
            match k {
                0 => wire_string(300)
                    .prop_map(|s| Value::String(BaseType::String, s))
                    .boxed(),
                1 => any::<f64>().prop_map(Value::Number).boxed(),
                2 => proptest::collection::vec(any::<u8>(), 0..1500)
                    .prop_map(|b| Value::Blob(b.into()))
                    .boxed(),
                _ => any::<i32>().prop_map(Value::Integer).boxed(),
            }
        };
        let row: Vec<BoxedStrategy<Value>> = kinds.iter().map(|&k| cell(k)).collect();
        proptest::collection::vec(row, rows).prop_map(move |rows| {
            InfoTable::from_rows(
                alwayson_proto::DataShape {
                    fields: fields.clone(),
                },
                rows,
            )
        })
    })
}

fn message() -> impl Strategy<Value = Message> {
    let header = (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(r, e, s)| Header {
        version: 1,
        request_id: r,
        endpoint_id: e,
        session_id: s,
    });
    let method = prop_oneof![
        Just(Method::Get),
        Just(Method::Put),
        Just(Method::Post),
        Just(Method::Delete)
    ];
    let characteristic = prop_oneof![
        Just(Characteristic::Properties),
        Just(Characteristic::Services),
        Just(Characteristic::Events)
    ];
    let request = (
        method,
        any::<u8>(),
        wire_string(160),
        characteristic,
        wire_string(40),
        proptest::option::weighted(0.9, table()),
    )
        .prop_map(|(method, et, name, ch, cname, params)| {
            Body::Request(Request {
                method,
                entity_type: EntityType::from(et),
                entity_name: name,
                characteristic: ch,
                characteristic_name: cname,
                headers: Vec::new(),
                params,
            })
        });
    let response = (
        0x40u8..=0xFF,
        proptest::option::of(wire_string(200)),
        proptest::option::weighted(0.9, table()),
    )
        .prop_map(|(code, reason, content)| {
            Body::Response(Response {
                status: StatusCode::new(code).expect("≥ 0x40"),
                reason,
                content,
            })
        });
    let bind = (
        any::<bool>(),
        proptest::option::of((wire_string(20), wire_string(20))),
        proptest::collection::vec(wire_string(150), 0..400),
    )
        .prop_map(|(unbind, gw, names)| {
            let b = Bind {
                gateway: gw.map(|(name, gateway_type)| Gateway { name, gateway_type }),
                names,
            };
            if unbind {
                Body::Unbind(b)
            } else {
                Body::Bind(b)
            }
        });
    let auth =
        proptest::collection::vec((wire_string(40), wire_string(2000)), 1..4).prop_map(|claims| {
            Body::Auth(Auth {
                claims: claims
                    .into_iter()
                    .map(|(name, value)| Claim { name, value })
                    .collect(),
            })
        });
    let body = prop_oneof![3 => request, 3 => response, 2 => bind, 1 => auth];
    (header, body).prop_map(|(header, body)| Message { header, body })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn split_then_reassemble_in_any_order(
        m in message(),
        chunk_size in prop_oneof![64u16..256, 256u16..2048],
        seed in any::<u64>(),
        dups in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let total = m.encoded_len().expect("encodable");
        let parts = match split(&m, chunk_size) {
            Ok(p) => p,
            Err(SplitError::ChunkSizeTooSmall { .. }) => {
                // Only possible for a request whose entity prefix leaves no room.
                let Body::Request(req) = &m.body else { panic!("non-request refused") };
                let prefix = 1 + req.entity_name.encoded_len();
                prop_assert!(usize::from(chunk_size) - 21 <= 2 * prefix);
                return Ok(());
            }
            Err(e) => panic!("{e}"),
        };
        match parts {
            Split::Single(b) => {
                prop_assert!(total <= usize::from(chunk_size));
                prop_assert_eq!(Message::decode(b).expect("decode").value, m);
            }
            Split::Chunks(cs) => {
                prop_assert!(total > usize::from(chunk_size));
                for c in &cs {
                    prop_assert!(c.len() <= usize::from(chunk_size));
                }
                let chunks: Vec<Chunk> = cs.iter().map(|c| decode_chunk(c)).collect();
                prop_assert!(chunks.iter().all(|c| !c.data.is_empty()));
                let mut order = shuffled(&chunks, seed);
                // Duplicates of any chunk but the completing (last) one, inserted anywhere
                // before it (a copy of the completing chunk, or any chunk after it, would
                // start a new message).
                let candidates = order[..order.len() - 1].to_vec();
                for d in &dups {
                    let c = d.get(&candidates).clone();
                    let at = d.index(order.len());
                    order.insert(at, c);
                }
                let now = Instant::now();
                let mut r = Reassembler::new(ReassemblyLimits::default().with_max_in_progress(1));
                let mut out = None;
                let n = order.len();
                for (i, c) in order.into_iter().enumerate() {
                    let got = r.push(now, c).expect("accepted");
                    if let Some(got) = got {
                        prop_assert!(out.is_none(), "completed twice");
                        prop_assert_eq!(i + 1, n, "completed before the last chunk");
                        out = Some(got);
                    }
                }
                let got = out.expect("complete");
                prop_assert!(got.trailing.is_empty());
                prop_assert_eq!(got.value, m);
                prop_assert_eq!(r.in_progress(), 0);
            }
        }
    }
}
