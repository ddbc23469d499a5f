//! Decodes (or encodes) the `push_100` fixture in a loop: a fixed workload for
//! `valgrind --tool=callgrind`, whose instruction counts are deterministic where the
//! Criterion timings on a shared machine are not.
//!
//! ```text
//! cargo build --release -p alwayson-benches --example push_decode_loop
//! valgrind --tool=callgrind target/release/examples/push_decode_loop decode 1000
//! ```

use alwayson_benches::push_100;
use alwayson_proto::Message;
use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "decode".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let m = push_100();
    let bytes = m.encode().expect("fixture encodes");
    match what.as_str() {
        "decode" => {
            for _ in 0..n {
                black_box(Message::decode(black_box(bytes.clone())).expect("decode"));
            }
        }
        "encode" => {
            for _ in 0..n {
                black_box(black_box(&m).encode().expect("encode"));
            }
        }
        other => panic!("unknown mode {other}: decode | encode"),
    }
}
