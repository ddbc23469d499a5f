//! `alwayson decode`: one AlwaysOn message or multipart chunk, from hex, in readable form.

use crate::hex;
use crate::CliError;
use alwayson_proto::Frame;
use bytes::Bytes;
use std::fmt::Write as _;

/// Bytes shown on each side of a decode error's offset.
const EXCERPT_CONTEXT: usize = 12;

/// Decodes `bytes` as one websocket binary message and renders it (the library's
/// `Display` for [`Frame`]), followed by a note on trailing bytes if there are any. On a
/// decode error the message names the byte offset and shows a hex excerpt with a caret.
pub fn render(bytes: &[u8]) -> Result<String, CliError> {
    let decoded = Frame::decode(Bytes::copy_from_slice(bytes)).map_err(|e| {
        CliError::runtime(format!(
            "cannot decode the {} byte(s): {e}\n{}",
            bytes.len(),
            hex::excerpt(bytes, e.offset, EXCERPT_CONTEXT)
        ))
    })?;
    let mut out = decoded.value.to_string();
    if !decoded.trailing.is_empty() {
        let _ = write!(
            out,
            "\n{} trailing byte(s) after the body (tolerated, as the C SDK pads): {}",
            decoded.trailing.len(),
            hex::to_hex(&decoded.trailing)
        );
    }
    Ok(out)
}

/// Reads the input of `alwayson decode`: hex words from the command line, or the hex text of
/// a file or of standard input.
pub fn read_input(words: &[String], file: Option<&std::path::Path>) -> Result<Vec<u8>, CliError> {
    let (text, source) = match (words, file) {
        (_, Some(path)) => (
            std::fs::read_to_string(path)
                .map_err(|e| CliError::runtime(format!("cannot read {}: {e}", path.display())))?,
            path.display().to_string(),
        ),
        ([], None) => (read_stdin()?, "standard input".to_owned()),
        ([dash], None) if dash == "-" => (read_stdin()?, "standard input".to_owned()),
        (words, None) => (words.join(" "), "the command line".to_owned()),
    };
    hex::parse_hex(&text).map_err(|e| CliError::runtime(format!("{e} (hex read from {source})")))
}

fn read_stdin() -> Result<String, CliError> {
    use std::io::Read as _;
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| CliError::runtime(format!("cannot read standard input: {e}")))?;
    Ok(s)
}
