//! Arbitrary bytes → `InfoTable::decode`, then encode → decode must give an equal table.
#![no_main]

use alwayson_proto::InfoTable;
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(decoded) = InfoTable::decode(Bytes::copy_from_slice(data)) else {
        return;
    };
    let table = decoded.value;
    let len = table.encoded_len().expect("a decoded table re-encodes");
    let mut buf = BytesMut::with_capacity(len);
    table.encode_into(&mut buf).expect("encode_into");
    assert_eq!(buf.len(), len, "encoded_len disagrees with encode_into");
    let encoded = buf.freeze();
    let again = InfoTable::decode(encoded.clone()).expect("the re-encoding decodes");
    assert!(again.trailing.is_empty(), "trailing bytes after re-encoding");
    assert_eq!(again.value, table, "round trip changed the table");
});
