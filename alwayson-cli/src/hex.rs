//! Hex input for `alwayson decode`, and the hex excerpt with a caret that points at a decode
//! error's byte offset.

use std::fmt::Write as _;

/// Why hex text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// A character that is neither a hex digit nor an accepted separator.
    #[error("invalid character {ch:?} at line {line}, column {column} of the hex input")]
    InvalidChar {
        /// The character.
        ch: char,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
    },
    /// A byte with only one hex digit (digits come in pairs; `0x` prefixes excluded).
    #[error("odd number of hex digits: the last byte has only one digit ({digit:?} at line {line}, column {column})")]
    OddDigits {
        /// The lone digit.
        digit: char,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// No hex digits at all.
    #[error("the input holds no hex digits")]
    Empty,
}

/// Parses hex text into bytes. Accepted around the digits: whitespace (spaces, tabs,
/// newlines), `|`, `,`, `:`, `-`, and `0x`/`0X` prefixes (`0x01 0x14`, `01|14`, `0114`).
/// Everything after `#` up to the end of a line is a comment.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut pending: Option<(char, usize, usize)> = None;
    for (lineno, line) in text.lines().enumerate() {
        let line_no = lineno + 1;
        let line = line.split('#').next().unwrap_or("");
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let col = i + 1;
            // a `0x` prefix: only where a byte starts, and followed by a hex digit
            if pending.is_none()
                && c == '0'
                && matches!(chars.get(i + 1), Some('x' | 'X'))
                && chars.get(i + 2).is_some_and(char::is_ascii_hexdigit)
            {
                i += 2;
                continue;
            }
            if let Some(d) = c.to_digit(16) {
                match pending.take() {
                    None => pending = Some((c, line_no, col)),
                    Some((hi, _, _)) => {
                        let hi = hi.to_digit(16).unwrap_or(0);
                        out.push(u8::try_from(hi * 16 + d).unwrap_or(0));
                    }
                }
            } else if c.is_whitespace() || matches!(c, '|' | ',' | ':' | '-') {
                // a separator between the two digits of a byte is a lone digit
                if let Some((digit, line, column)) = pending {
                    return Err(HexError::OddDigits {
                        digit,
                        line,
                        column,
                    });
                }
            } else {
                return Err(HexError::InvalidChar {
                    ch: c,
                    line: line_no,
                    column: col,
                });
            }
            i += 1;
        }
        if let Some((digit, line, column)) = pending {
            return Err(HexError::OddDigits {
                digit,
                line,
                column,
            });
        }
    }
    if out.is_empty() {
        return Err(HexError::Empty);
    }
    Ok(out)
}

/// Bytes as space-separated hex pairs (`01 14 00`).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A hex excerpt of `bytes` around `offset` with a caret under the byte at `offset`:
///
/// ```text
///     12 | ... 0a 05 50 75 6d 70 31 01 02 ...
///                            ^^ byte 16
/// ```
///
/// Up to `context` bytes are shown on each side; an offset at or past the end (the input
/// ended too early) puts the caret just after the last byte, marked `<end>`.
pub fn excerpt(bytes: &[u8], offset: usize, context: usize) -> String {
    let start = offset.saturating_sub(context).min(bytes.len());
    let end = offset.saturating_add(context + 1).min(bytes.len());
    let mut line = format!("{start:>6} | ");
    if start > 0 {
        line.push_str("... ");
    }
    let prefix_len = line.chars().count();
    let mut caret_col = None;
    for (i, b) in bytes[start..end].iter().enumerate() {
        if start + i == offset {
            caret_col = Some(line.chars().count());
        }
        let _ = write!(line, "{b:02x} ");
    }
    if offset >= bytes.len() {
        caret_col = Some(line.chars().count());
        line.push_str("<end>");
    } else if end < bytes.len() {
        line.push_str("...");
    }
    let line = line.trim_end().to_owned();
    let col = caret_col.unwrap_or(prefix_len);
    format!("{line}\n{}^^ byte {offset}", " ".repeat(col))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_separator_style() {
        let want = vec![0x01, 0x14, 0x00, 0xff];
        for text in [
            "011400ff",
            "01 14 00 FF",
            "01|14|00|ff",
            "0x01 0x14 0x00 0xFF",
            "0x01,0x14,0x00,0xff",
            "01\n14\r\n00\tff\n",
            "01 | 14 # header\n00 ff  # more",
            "01:14-00 ff",
        ] {
            assert_eq!(parse_hex(text).unwrap(), want, "{text:?}");
        }
        // 0x only as a prefix: "00" followed by "x" is not a prefix when it is not followed by hex
        assert!(parse_hex("0x").is_err());
    }

    #[test]
    fn errors_point_at_the_character() {
        assert_eq!(
            parse_hex("01 14\n0g").unwrap_err(),
            HexError::InvalidChar {
                ch: 'g',
                line: 2,
                column: 2
            }
        );
        assert_eq!(
            parse_hex("01 1 4").unwrap_err(),
            HexError::OddDigits {
                digit: '1',
                line: 1,
                column: 4
            }
        );
        assert_eq!(
            parse_hex("011").unwrap_err(),
            HexError::OddDigits {
                digit: '1',
                line: 1,
                column: 3
            }
        );
        assert_eq!(parse_hex("  \n# nothing\n").unwrap_err(), HexError::Empty);
        let msg = parse_hex("zz").unwrap_err().to_string();
        assert!(msg.contains("'z'") && msg.contains("column 1"), "{msg}");
    }

    #[test]
    fn excerpt_puts_the_caret_under_the_byte() {
        let bytes: Vec<u8> = (0..40).collect();
        let e = excerpt(&bytes, 20, 4);
        let mut lines = e.lines();
        let l1 = lines.next().unwrap();
        let l2 = lines.next().unwrap();
        let caret = l2.find('^').unwrap();
        assert_eq!(&l1[caret..caret + 2], "14", "{e}");
        assert!(l1.contains("10 11 12 13 14 15 16 17 18"), "{e}");
        assert!(l2.ends_with("byte 20"));
        // at the start, no leading ellipsis; caret under the first byte
        let e = excerpt(&bytes, 0, 4);
        let (l1, l2) = e.split_once('\n').unwrap();
        assert_eq!(&l1[l2.find('^').unwrap()..][..2], "00");
        // past the end
        let e = excerpt(&[1, 2, 3], 3, 4);
        let (l1, l2) = e.split_once('\n').unwrap();
        assert_eq!(&l1[l2.find('^').unwrap()..], "<end>");
    }

    #[test]
    fn to_hex_pairs() {
        assert_eq!(to_hex(&[0, 0xab, 0x10]), "00 ab 10");
        assert_eq!(to_hex(&[]), "");
    }
}
