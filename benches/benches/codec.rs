//! Codec and multipart throughput. Every group reports `Throughput::Bytes` of the encoded
//! message and has a `memcpy` baseline that copies the same bytes, so results read as a
//! fraction of memory bandwidth. `decode` is the owned decode (dropping the result);
//! `decode_ref` the borrowed one (validation, nothing allocated).

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use alwayson_benches::{all, blob_response_1mib, BLOB_LEN, CHUNK_SIZE};
use alwayson_proto::multipart::{split, Reassembler, ReassemblyLimits, Split};
use alwayson_proto::{Chunk, Frame, Message, MessageRef};
use bytes::{Bytes, BytesMut};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::time::Instant;

fn memcpy(bytes: &Bytes) -> BytesMut {
    let mut buf = BytesMut::with_capacity(bytes.len());
    buf.extend_from_slice(bytes);
    buf
}

fn codec(c: &mut Criterion) {
    for (name, m) in all() {
        let bytes = m.encode().expect("fixture encodes");
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("memcpy", |b| b.iter(|| memcpy(black_box(&bytes))));
        g.bench_function("decode", |b| {
            b.iter(|| Message::decode(black_box(bytes.clone())).expect("decode"))
        });
        g.bench_function("decode_ref", |b| {
            b.iter(|| {
                MessageRef::decode(black_box(&bytes[..]))
                    .expect("decode")
                    .value
            })
        });
        g.bench_function("encode", |b| {
            b.iter(|| black_box(&m).encode().expect("encode"))
        });
        g.finish();
    }
}

fn multipart(c: &mut Criterion) {
    let m = blob_response_1mib();
    let bytes = m.encode().expect("fixture encodes");
    let Split::Chunks(wire) = split(&m, CHUNK_SIZE).expect("split") else {
        panic!("1 MiB must need several chunks")
    };
    let chunks: Vec<Chunk> = wire
        .iter()
        .map(
            |w| match Frame::decode(w.clone()).expect("chunk decodes").value {
                Frame::Chunk(c) => c,
                Frame::Message(_) => panic!("not a chunk"),
            },
        )
        .collect();
    let limits = ReassemblyLimits::default().with_max_message_size(2 * BLOB_LEN);
    let now = Instant::now();

    let mut g = c.benchmark_group("multipart_1mib_8192");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("memcpy", |b| b.iter(|| memcpy(black_box(&bytes))));
    g.bench_function("split", |b| {
        b.iter(|| split(black_box(&m), CHUNK_SIZE).expect("split"))
    });
    g.bench_function("reassemble", |b| {
        b.iter(|| {
            let mut r = Reassembler::new(limits);
            let mut out = None;
            for c in black_box(&chunks) {
                out = r.push(now, c.clone()).expect("push");
            }
            out.expect("complete")
        })
    });
    g.bench_function("decode_chunks_and_reassemble", |b| {
        b.iter(|| {
            let mut r = Reassembler::new(limits);
            let mut out = None;
            for w in black_box(&wire) {
                let Frame::Chunk(c) = Frame::decode(w.clone()).expect("decode").value else {
                    unreachable!()
                };
                out = r.push(now, c).expect("push");
            }
            out.expect("complete")
        })
    });
    g.finish();
}

criterion_group!(benches, codec, multipart);
criterion_main!(benches);
