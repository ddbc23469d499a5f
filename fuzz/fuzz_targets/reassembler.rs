//! A sequence of chunk pushes, time steps and expiry sweeps against a `Reassembler` with
//! small limits: never panics, never holds more than its limits allow, and everything it
//! completes re-encodes.
#![no_main]

use alwayson_proto::multipart::{Reassembler, ReassemblyLimits};
use alwayson_proto::{Chunk, ChunkEntity, EntityType, Frame, Header, MessageCode, WireString};
use arbitrary::Arbitrary;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const MAX_MESSAGE_SIZE: usize = 4096;
const MAX_IN_PROGRESS: usize = 4;
const EXPIRY: Duration = Duration::from_secs(50);

#[derive(Debug, Arbitrary)]
enum Op {
    /// A chunk built from fields (ids and counts kept small so messages can complete).
    Chunk {
        request_id: u8,
        code: u8,
        session_id: u8,
        chunk_id: u8,
        chunk_count: u8,
        entity_name: u8,
        data: Vec<u8>,
    },
    /// Raw bytes through `Frame::decode`; chunks are pushed.
    Raw(Vec<u8>),
    /// Advance the clock by this many seconds.
    Advance(u8),
    /// Run an expiry sweep.
    Expire,
}

fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fuzz_target!(|ops: Vec<Op>| {
    let mut r = Reassembler::new(
        ReassemblyLimits::default()
            .with_max_message_size(MAX_MESSAGE_SIZE)
            .with_max_in_progress(MAX_IN_PROGRESS)
            .with_expiry(EXPIRY),
    );
    let mut now = start();
    for op in ops {
        let chunk = match op {
            Op::Chunk {
                request_id,
                code,
                session_id,
                chunk_id,
                chunk_count,
                entity_name,
                data,
            } => {
                // Map the code byte onto the interesting classes most of the time.
                let code = match code % 8 {
                    0 => MessageCode::GET,
                    1 => MessageCode::PUT,
                    2 => MessageCode::BIND,
                    3 => MessageCode::AUTH,
                    4 | 5 => MessageCode(0x40),
                    6 => MessageCode(0x84),
                    _ => MessageCode(code),
                };
                Chunk {
                    header: Header::new(u32::from(request_id % 8), u32::from(session_id % 2)),
                    code,
                    chunk_id: u16::from(chunk_id % 6),
                    chunk_count: u16::from(chunk_count % 6),
                    chunk_size: 8192,
                    // Request chunks carry an entity prefix; 255 flips that (invalid).
                    entity: (code.is_request() != (entity_name == 255)).then(|| ChunkEntity {
                        entity_type: EntityType::Thing,
                        entity_name: WireString::from(format!("T{}", entity_name % 2)),
                    }),
                    data: Bytes::from(data),
                }
            }
            Op::Raw(bytes) => match Frame::decode(Bytes::from(bytes)) {
                Ok(d) => match d.value {
                    Frame::Chunk(c) => c,
                    Frame::Message(_) => continue,
                },
                Err(_) => continue,
            },
            Op::Advance(secs) => {
                now += Duration::from_secs(u64::from(secs));
                continue;
            }
            Op::Expire => {
                r.expire(now);
                assert!(r.next_expiry().map_or(true, |t| t > now));
                continue;
            }
        };
        if let Ok(Some(m)) = r.push(now, chunk) {
            m.value.encode().expect("a reassembled message re-encodes");
        }
        assert!(r.in_progress() <= MAX_IN_PROGRESS);
        assert!(r.buffered_bytes() <= MAX_IN_PROGRESS * MAX_MESSAGE_SIZE);
        assert!(r.next_expiry().map_or(true, |t| t > now));
    }
});
