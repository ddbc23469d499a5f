//! Seeds `fuzz/corpus/<target>/` from the golden vectors when a corpus directory is empty.
//!
//! Every long lowercase hex string of a vector line (`hex`, `chunks`, `frames`,
//! `reassembled_hex`, `canonical_hex`, …) becomes one corpus file. `decode_frame` gets the
//! message, multipart and quirk vectors; `decode_infotable` the InfoTable vectors. The
//! `reassembler` target reads its input through `arbitrary`, so it starts from scratch.
//!
//! Usage: `cargo run --example seed_corpus [FUZZ_DIR]` (default: this crate's directory).

use std::fs;
use std::path::{Path, PathBuf};

fn hex_strings(line: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (i, s) in line.split('"').enumerate() {
        // Odd pieces are inside quotes.
        if i % 2 == 1
            && s.len() >= 8
            && s.len() % 2 == 0
            && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            let bytes = (0..s.len())
                .step_by(2)
                .map(|j| u8::from_str_radix(&s[j..j + 2], 16).expect("hex"))
                .collect();
            out.push(bytes);
        }
    }
    out
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn seed(fuzz_dir: &Path, target: &str, files: &[&str]) -> std::io::Result<()> {
    let dir = fuzz_dir.join("corpus").join(target);
    fs::create_dir_all(&dir)?;
    if fs::read_dir(&dir)?.next().is_some() {
        println!("{target}: corpus not empty, left as is");
        return Ok(());
    }
    let vectors = fuzz_dir.join("../alwayson-proto/tests/vectors");
    let mut n = 0;
    for file in files {
        let text = fs::read_to_string(vectors.join(file))?;
        for line in text.lines() {
            for input in hex_strings(line) {
                fs::write(dir.join(format!("{:016x}", fnv(&input))), &input)?;
                n += 1;
            }
        }
    }
    println!("{target}: seeded {n} inputs from the golden vectors");
    Ok(())
}

fn main() -> std::io::Result<()> {
    let fuzz_dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    seed(
        &fuzz_dir,
        "decode_frame",
        &["messages.jsonl", "multipart.jsonl", "quirks.jsonl"],
    )?;
    seed(&fuzz_dir, "decode_infotable", &["infotables.jsonl"])?;
    fs::create_dir_all(fuzz_dir.join("corpus").join("reassembler"))?;
    Ok(())
}
