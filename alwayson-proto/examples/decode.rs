//! Decodes one AlwaysOn websocket payload given as hex and prints it.
//!
//! ```text
//! cargo run -p alwayson-proto --example decode -- 01400000000100000000000000 2a 00 00 ff
//! cargo run -p alwayson-proto --example decode -- "01 | 40 | 00 00 00 01 | ..."
//! echo 0140... | cargo run -p alwayson-proto --example decode -- -
//! ```
//!
//! Hex may contain spaces, `|`, `:`, `,` and newlines, and an optional `0x` prefix. Trailing
//! bytes after a complete body are reported. On a decode error the error, its byte offset and
//! a hex excerpt marking that byte are printed, and the exit status is 1 (2 for bad usage).

use alwayson_proto::Frame;
use bytes::Bytes;
use std::io::Read;
use std::process::ExitCode;

fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'|' | b':' | b','))
        .collect();
    if let Some(bad) = digits.iter().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!("not a hex digit: {:?}", char::from(*bad)));
    }
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    Ok(digits
        .chunks(2)
        .map(|p| {
            let hi = char::from(p[0]).to_digit(16).unwrap_or(0);
            let lo = char::from(p[1]).to_digit(16).unwrap_or(0);
            (hi * 16 + lo) as u8
        })
        .collect())
}

/// Up to 16 bytes either side of `offset`, with the byte at `offset` in brackets.
fn excerpt(bytes: &[u8], offset: usize) -> String {
    let start = offset.saturating_sub(16);
    let end = offset.saturating_add(17).min(bytes.len());
    let mut out = format!("  @{start}: ");
    if start > 0 {
        out.push_str("… ");
    }
    for (i, b) in bytes.iter().enumerate().take(end).skip(start) {
        if i == offset {
            out.push_str(&format!("[{b:02x}] "));
        } else {
            out.push_str(&format!("{b:02x} "));
        }
    }
    if offset >= bytes.len() {
        out.push_str("[end of input]");
    } else if end < bytes.len() {
        out.push('…');
    }
    out
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!("usage: decode <hex>... | decode -   (hex from stdin)");
        return ExitCode::from(2);
    }
    let text = if args.len() == 1 && args[0] == "-" {
        let mut s = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut s) {
            eprintln!("cannot read stdin: {e}");
            return ExitCode::from(2);
        }
        s
    } else {
        args.join(" ")
    };
    let bytes = match parse_hex(&text) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("bad hex: {e}");
            return ExitCode::from(2);
        }
    };
    println!("{} byte(s)", bytes.len());
    match Frame::decode(Bytes::from(bytes.clone())) {
        Ok(d) => {
            println!("{}", d.value);
            if !d.trailing.is_empty() {
                let shown: String = d
                    .trailing
                    .iter()
                    .take(64)
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let more = if d.trailing.len() > 64 { "…" } else { "" };
                println!(
                    "trailing: {} byte(s) after the body (offset {}): {shown}{more}",
                    d.trailing.len(),
                    bytes.len() - d.trailing.len()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("decode error: {}", e.kind);
            eprintln!("at byte offset {} (0x{:x})", e.offset, e.offset);
            eprintln!("{}", excerpt(&bytes, e.offset));
            ExitCode::from(1)
        }
    }
}
