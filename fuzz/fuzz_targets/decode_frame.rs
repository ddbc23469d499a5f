//! Arbitrary bytes → `Frame::decode`. A decoded complete message must re-encode and decode
//! back to an equal message (the re-encoding is canonical, so it need not equal the input).
#![no_main]

use alwayson_proto::{Frame, Message};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(decoded) = Frame::decode(Bytes::copy_from_slice(data)) else {
        return;
    };
    if let Frame::Message(m) = decoded.value {
        let encoded = m.encode().expect("a decoded message re-encodes");
        assert_eq!(encoded.len(), m.encoded_len().expect("encoded_len"));
        let again = Message::decode(encoded.clone()).expect("the re-encoding decodes");
        assert!(again.trailing.is_empty(), "trailing bytes after re-encoding");
        assert_eq!(again.value, m, "round trip changed the message");
        // Canonical bytes are a fixed point.
        assert_eq!(again.value.encode().expect("encode"), encoded);
    }
});
