//! Arbitrary bytes → the owned and the borrowed decode of every entry point (frame, message,
//! body, InfoTable, value). Both run the same grammar, so they must give the same verdict:
//! the same error (kind and offset), or the same structure (the view converted to owned
//! types equals the owned decode) with the same trailing bytes. The view's iterators must
//! also visit exactly as many rows and cells as it counted. The platform's push path
//! (`Push::decode`, the borrowed decode with the `values` table noted while validating) gives
//! the owned decode's verdict, and a push reads like the owned request.
#![no_main]

use alwayson_proto::platform::Push;
use alwayson_proto::{
    Body, Frame, FrameRef, Header, InfoTable, InfoTableRef, Message, MessageCode, MessageRef,
    Value, ValueRef,
};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fn walk(t: InfoTableRef<'_>) {
    assert_eq!(t.fields().count(), t.field_count());
    assert_eq!(t.rows().count(), t.row_count());
    for row in t.rows() {
        assert_eq!(row.cells().count(), row.len());
        for cell in row.cells() {
            if let ValueRef::InfoTable(inner) = cell.unwrap_variant() {
                walk(inner);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let bytes = Bytes::copy_from_slice(data);

    let owned = Frame::decode(bytes.clone()).map(|d| (d.value, d.trailing.len()));
    let borrowed = FrameRef::decode(data).map(|d| (d.value.to_owned(), d.trailing.len()));
    assert_eq!(owned, borrowed, "Frame");

    let owned = Frame::decode(bytes.clone()).map(|d| d.value);
    match (Push::decode(bytes.clone()), owned) {
        (Err(e), owned) => assert_eq!(Err(e), owned.map(|_| ()), "Push error"),
        (
            Ok(Some(push)),
            Ok(Frame::Message(Message {
                body: Body::Request(r),
                ..
            })),
        ) => {
            assert_eq!(push.to_request(), r, "Push request");
            let updates: Vec<_> = push.updates().map(|u| u.to_owned()).collect();
            assert_eq!(Some(updates), r.property_updates(), "Push updates");
        }
        (Ok(Some(push)), owned) => panic!("a push {push:?} where the owned decode is {owned:?}"),
        (Ok(None), owned) => assert!(owned.is_ok(), "not a push but {owned:?}"),
    }

    let owned = Message::decode(bytes.clone()).map(|d| (d.value, d.trailing.len()));
    let borrowed = MessageRef::decode(data).map(|d| (d.value.to_owned(), d.trailing.len()));
    assert_eq!(owned, borrowed, "Message");

    for code in [MessageCode::POST, MessageCode::AUTH, MessageCode::BIND, MessageCode(0x40)] {
        let header = Header::new(1, 2);
        let owned = Message::decode_body(header, code, bytes.clone())
            .map(|d| (d.value, d.trailing.len()));
        let borrowed = MessageRef::decode_body(header, code, data)
            .map(|d| (d.value.to_owned(), d.trailing.len()));
        assert_eq!(owned, borrowed, "body of code {code:?}");
    }

    let owned = InfoTable::decode(bytes.clone()).map(|d| (d.value, d.trailing.len()));
    let view = InfoTableRef::decode(data);
    if let Ok(v) = &view {
        walk(v.value);
    }
    let borrowed = view.map(|d| (d.value.to_owned(), d.trailing.len()));
    assert_eq!(owned, borrowed, "InfoTable");

    let owned = Value::decode(bytes).map(|d| (d.value, d.trailing.len()));
    let borrowed = ValueRef::decode(data).map(|d| (d.value.to_owned(), d.trailing.len()));
    assert_eq!(owned, borrowed, "Value");
});
