//! Runs one codec operation on one fixture N times: a fixed workload for
//! `valgrind --tool=callgrind` (deterministic instruction counts, where Criterion timings on
//! a shared machine are not). Per-operation cost = (count for N − count for 0) / N.
//!
//! ```text
//! cargo build --release -p alwayson-benches --example codec_loop
//! valgrind --tool=callgrind target/release/examples/codec_loop decode push_100 1000
//! ```
//!
//! OP: `decode` (owned [`Message::decode`], dropping the result), `decode-ref` (borrowed
//! [`MessageRef::decode`], validation only, nothing allocated), `encode`
//! ([`Message::encode`]). FIXTURE: `auth`, `bind_1000`, `push_100`, `blob_1mib`. Prints one
//! summary line.

use alwayson_benches::{auth, bind_1000, blob_response_1mib, push_100};
use alwayson_proto::{Message, MessageRef};
use std::hint::black_box;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [op, fixture, n] = args.as_slice() else {
        eprintln!("usage: codec_loop decode|decode-ref|encode auth|bind_1000|push_100|blob_1mib N");
        return ExitCode::FAILURE;
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("N must be a number, got {n}");
        return ExitCode::FAILURE;
    };
    let m = match fixture.as_str() {
        "auth" => auth(),
        "bind_1000" => bind_1000(),
        "push_100" => push_100(),
        "blob_1mib" => blob_response_1mib(),
        other => {
            eprintln!("unknown fixture {other}");
            return ExitCode::FAILURE;
        }
    };
    let bytes = m.encode().expect("fixture encodes");
    match op.as_str() {
        "decode" => {
            for _ in 0..n {
                black_box(Message::decode(black_box(bytes.clone())).expect("decode"));
            }
        }
        "decode-ref" => {
            for _ in 0..n {
                black_box(MessageRef::decode(black_box(&bytes[..])).expect("decode"));
            }
        }
        "encode" => {
            for _ in 0..n {
                black_box(black_box(&m).encode().expect("encode"));
            }
        }
        other => {
            eprintln!("unknown op {other}");
            return ExitCode::FAILURE;
        }
    }
    println!("{op} {fixture} x{n}: {} bytes", bytes.len());
    ExitCode::SUCCESS
}
