//! The offline store on a real disk: reopen after a kill, torn and corrupt tails, full
//! store under each policy, bad directories. Replay is driven through a real
//! `EdgeSession` answered by hand (the wire itself is covered in alwayson-proto).
#![allow(clippy::unwrap_used)]

use alwayson_async::edge::offline::{
    FsyncPolicy, FullPolicy, OfflineError, OfflineLimits, OfflineStore, LOG_FILE,
};
use alwayson_proto::edge::offline_log::TailError;
use alwayson_proto::edge::{Credentials, EdgeConfig, EdgeEvent, EdgeSession};
use alwayson_proto::{
    Body, Drained, Header, Input, Message, PropertyUpdate, Request, Response, StatusCode, Transmit,
    Value,
};
use std::path::PathBuf;
use std::time::Instant;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("alwayson-offline-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn push(v: i32) -> Request {
    Request::push_properties(
        "Pump",
        &[PropertyUpdate::new(
            "Count",
            Value::Integer(v),
            i64::from(v),
        )],
    )
}

fn value(r: &Request) -> i32 {
    match r.property_updates().unwrap()[0].value {
        Value::Integer(v) => v,
        ref other => panic!("{other:?}"),
    }
}

/// An edge session authenticated and with "Pump" bound, answered by hand.
struct Platform {
    edge: EdgeSession,
    now: Instant,
    /// The edge's outputs drained but not looked at yet.
    out: Drained<EdgeEvent>,
}

impl Platform {
    fn bound() -> Self {
        let now = Instant::now();
        let mut edge = EdgeSession::new(EdgeConfig::new(Credentials::AppKey("k".into())));
        edge.bind(now, ["Pump"]);
        edge.handle_input(now, Input::Connected).unwrap();
        let mut p = Platform {
            edge,
            now,
            out: Drained::new(),
        };
        for _ in 0..2 {
            // AUTH, then BIND.
            let m = p.sent().remove(0);
            p.answer(m.header.request_id, StatusCode::SUCCESS, &mut None);
        }
        assert!(p.edge.is_bound("Pump"));
        p
    }

    fn sent(&mut self) -> Vec<Message> {
        self.out.drain(|| self.edge.poll_output());
        self.out
            .transmits
            .drain(..)
            .filter_map(|t| match t {
                Transmit::Message(b) => Some(Message::decode(b).unwrap().value),
                _ => None,
            })
            .collect()
    }

    fn answer(&mut self, id: u32, status: StatusCode, store: &mut Option<&mut OfflineStore>) {
        let msg = Message {
            header: Header::new(id, 9),
            body: Body::Response(Response {
                status,
                reason: None,
                content: None,
            }),
        };
        self.edge
            .handle_input(self.now, Input::Message(msg.encode().unwrap()))
            .unwrap();
        self.out.drain(|| self.edge.poll_output());
        while let Some(e) = self.out.events.pop_front() {
            if let Some(s) = store.as_deref_mut() {
                s.handle_event(&e);
            }
        }
    }

    /// Replays everything, answering the first `ok` with SUCCESS and leaving the rest
    /// unanswered; returns the values seen in order.
    fn replay(&mut self, store: &mut OfflineStore, ok: usize) -> Vec<i32> {
        store.pump(self.now, &mut self.edge);
        let sent = self.sent();
        let values = sent
            .iter()
            .map(|m| match &m.body {
                Body::Request(r) => value(r),
                other => panic!("{other:?}"),
            })
            .collect();
        for m in sent.iter().take(ok) {
            self.answer(m.header.request_id, StatusCode::SUCCESS, &mut Some(store));
        }
        store.sync();
        values
    }
}

#[test]
fn durable_store_keeps_everything_not_answered_across_a_reopen() {
    let d = dir("reopen");
    let mut s = OfflineStore::durable(&d, OfflineLimits::default(), FsyncPolicy::Batch).unwrap();
    for v in 0..1000 {
        s.store(&push(v)).unwrap();
    }
    s.sync();
    let mut p = Platform::bound();
    let first = p.replay(&mut s, 400);
    assert_eq!(first, (0..1000).collect::<Vec<_>>());
    assert_eq!(s.stats().queued, 600);
    drop(s); // no shutdown step: what a killed process leaves
    let mut s = OfflineStore::durable(&d, OfflineLimits::default(), FsyncPolicy::Batch).unwrap();
    assert_eq!(s.recovered_tail(), None);
    assert_eq!(s.stats().queued, 600);
    let mut p = Platform::bound();
    assert_eq!(p.replay(&mut s, 600), (400..1000).collect::<Vec<_>>());
    assert_eq!(s.stats().queued, 0);
    let s = OfflineStore::durable(&d, OfflineLimits::default(), FsyncPolicy::Batch).unwrap();
    assert_eq!(s.stats().queued, 0, "answered messages never come back");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn torn_and_corrupt_tails_are_cut_off_and_reported() {
    for (name, damage) in [
        (
            "torn",
            &(|f: &mut Vec<u8>| f.truncate(f.len() - 3)) as &dyn Fn(&mut Vec<u8>),
        ),
        ("flip", &|f: &mut Vec<u8>| {
            let n = f.len();
            f[n - 5] ^= 0x10;
        }),
        ("garbage", &|f: &mut Vec<u8>| {
            f.extend_from_slice(&[0xFF; 11])
        }),
    ] {
        let d = dir(name);
        let mut s =
            OfflineStore::durable(&d, OfflineLimits::default(), FsyncPolicy::Never).unwrap();
        for v in 0..10 {
            s.store(&push(v)).unwrap();
        }
        drop(s);
        let path = d.join(LOG_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        damage(&mut bytes);
        std::fs::write(&path, &bytes).unwrap();
        let mut s =
            OfflineStore::durable(&d, OfflineLimits::default(), FsyncPolicy::Never).unwrap();
        assert!(s.recovered_tail().is_some(), "{name}");
        let kept = if name == "garbage" { 10 } else { 9 };
        assert_eq!(s.stats().queued, kept, "{name}");
        let mut p = Platform::bound();
        assert_eq!(p.replay(&mut s, 0), (0..kept as i32).collect::<Vec<_>>());
        // The cut file is clean again.
        drop(s);
        let s = OfflineStore::durable(&d, OfflineLimits::default(), FsyncPolicy::Never).unwrap();
        assert_eq!(s.recovered_tail(), None, "{name}");
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[test]
fn full_store_under_each_policy_durably() {
    let d = dir("refuse");
    let limits = OfflineLimits::default().with_max_messages(5);
    let mut s = OfflineStore::durable(&d, limits, FsyncPolicy::Always).unwrap();
    for v in 0..5 {
        s.store(&push(v)).unwrap();
    }
    assert!(matches!(
        s.store(&push(5)),
        Err(OfflineError::Refused(
            alwayson_proto::edge::StoreError::Full { .. }
        ))
    ));
    assert_eq!(s.stats().refused, 1);
    drop(s);
    let mut s = OfflineStore::durable(&d, limits, FsyncPolicy::Always).unwrap();
    assert_eq!(Platform::bound().replay(&mut s, 0), [0, 1, 2, 3, 4]);

    let d = dir("drop");
    let limits = limits.with_policy(FullPolicy::DropOldest);
    let mut s = OfflineStore::durable(&d, limits, FsyncPolicy::Always).unwrap();
    for v in 0..8 {
        s.store(&push(v)).unwrap();
    }
    assert_eq!(s.stats().dropped, 3);
    drop(s);
    let mut s = OfflineStore::durable(&d, limits, FsyncPolicy::Always).unwrap();
    assert_eq!(
        Platform::bound().replay(&mut s, 0),
        [3, 4, 5, 6, 7],
        "dropped ones stay dropped after a reopen"
    );
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::remove_dir_all(dir("refuse"));
}

#[test]
fn log_stays_bounded_on_disk() {
    let d = dir("bounded");
    let limits = OfflineLimits::default().with_max_bytes(20_000);
    let mut s = OfflineStore::durable(&d, limits, FsyncPolicy::Never).unwrap();
    let mut p = Platform::bound();
    for v in 0..3000 {
        s.store(&push(v)).unwrap();
        if v % 10 == 9 {
            assert_eq!(p.replay(&mut s, 10).len(), 10);
        }
    }
    let on_disk = std::fs::metadata(d.join(LOG_FILE)).unwrap().len();
    assert!(on_disk <= 64 << 10, "log is {on_disk} bytes");
    assert_eq!(s.log_len(), on_disk);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_directories_and_foreign_files_are_typed_errors() {
    let d = dir("notadir");
    std::fs::create_dir_all(&d).unwrap();
    let file = d.join("plain");
    std::fs::write(&file, b"x").unwrap();
    assert!(matches!(
        OfflineStore::durable(
            file.join("sub"),
            OfflineLimits::default(),
            FsyncPolicy::Never
        ),
        Err(OfflineError::Io { .. })
    ));
    std::fs::write(d.join(LOG_FILE), b"something else entirely").unwrap();
    assert!(matches!(
        OfflineStore::durable(&d, OfflineLimits::default(), FsyncPolicy::Never),
        Err(OfflineError::NotALog {
            tail: TailError::BadMagic,
            ..
        })
    ));
    assert_eq!(
        std::fs::read(d.join(LOG_FILE)).unwrap(),
        b"something else entirely",
        "a foreign file is left alone"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// The child side of `survives_sigkill`: stores values until killed.
#[test]
fn sigkill_child() {
    let Ok(d) = std::env::var("ALWAYSON_OFFLINE_CHILD_DIR") else {
        return; // only runs as the child of `survives_sigkill`
    };
    let mut s = OfflineStore::durable(&d, OfflineLimits::default(), FsyncPolicy::Never).unwrap();
    let start = s.stats().queued as i32;
    for v in start..start + 500 {
        s.store(&push(v)).unwrap();
    }
    std::fs::write(format!("{d}.ready"), b"").unwrap();
    let mut v = start + 500;
    loop {
        s.store(&push(v)).unwrap();
        v += 1;
        if v > start + 100_000 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

#[test]
fn survives_sigkill_in_the_middle_of_appends() {
    let d = dir("sigkill");
    let ready = PathBuf::from(format!("{}.ready", d.display()));
    let _ = std::fs::remove_file(&ready);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigkill_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ALWAYSON_OFFLINE_CHILD_DIR", &d)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while !ready.exists() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let limits = OfflineLimits::default();
    let mut s = OfflineStore::durable(&d, limits, FsyncPolicy::Never).unwrap();
    let n = s.stats().queued;
    assert!(n >= 500, "only {n} values survived");
    let got = Platform::bound().replay(&mut s, 0);
    assert_eq!(
        got,
        (0..n as i32).collect::<Vec<_>>(),
        "in order, none missing"
    );
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::remove_file(&ready);
}
