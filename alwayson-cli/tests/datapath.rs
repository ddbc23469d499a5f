//! The edge's data path against the emulator: a library edge's declared services type the
//! emulator's REST calls (GetMetadata) and its push rules follow the emulator's
//! (GetPropertySubscriptions, NotifyPropertyUpdate); the `alwayson edge` process SIGKILLed
//! during a platform outage loses nothing from its durable offline store.
#![allow(clippy::unwrap_used)]

mod common;

use alwayson_cli::cli::{Cli, Command};
use alwayson_cli::emulator::ModelNotice;
use alwayson_cli::platform_cmd;
use alwayson_tokio::edge::{EdgeClient, PushRule, PushType, Thing};
use alwayson_tokio::{BaseType, FieldDefinition, InfoTable, Value};
use clap::Parser;
use common::{http, http_with, wait_until, Proc};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "datapath-key";
const THING: &str = "SteamSensor1";
const T: Duration = Duration::from_secs(20);

async fn rest(addr: &str, method: &str, path: &str, body: &str) -> common::HttpResponse {
    let (addr, method, path, body) = (
        addr.to_owned(),
        method.to_owned(),
        format!("/Thingworx/Things/{THING}{path}"),
        body.to_owned(),
    );
    tokio::task::spawn_blocking(move || {
        let ct = (!body.is_empty()).then_some("application/json");
        http_with(&addr, &method, &path, Some(KEY), ct, &body)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_services_are_typed_and_push_rules_follow_the_emulator() {
    let argv = [
        "alwayson",
        "platform",
        "--listen",
        "127.0.0.1:0",
        "--app-key",
        KEY,
    ];
    let Command::Platform(args) = Cli::try_parse_from(argv).unwrap().command else {
        panic!("not the platform command")
    };
    let running = platform_cmd::start(&args).await.unwrap();
    let addr = running.platform.local_addr().to_string();
    let mut notices = running.emulator.model.subscribe();

    let inputs: Arc<Mutex<Vec<(String, BaseType)>>> = Arc::default();
    let seen = inputs.clone();
    let edge = EdgeClient::builder(format!("ws://{addr}/Thingworx/WS"))
        .app_key(KEY)
        .push_interval(None)
        .thing(
            Thing::new(THING)
                .property("Temperature", 20.0)
                .push_rule(
                    "Temperature",
                    PushRule::new(PushType::Value).with_threshold(0.5),
                )
                .service("Scale", move |p: Option<InfoTable>| {
                    let p = p.unwrap_or_default();
                    let mut seen = seen.lock().unwrap();
                    for (i, f) in p.data_shape.fields.iter().enumerate() {
                        let cell = p.row(0).and_then(|r| r.get(i));
                        let t = cell.map_or(BaseType::Nothing, Value::base_type);
                        seen.push((f.name.to_string(), t));
                    }
                    async move { Ok(InfoTable::single("result", Value::from(38.0))) }
                })
                .service_shape(
                    "Scale",
                    [
                        FieldDefinition::new("count", BaseType::Integer),
                        FieldDefinition::new("factor", BaseType::Number),
                    ],
                    BaseType::Number,
                ),
        )
        .connect()
        .await
        .unwrap();
    tokio::time::timeout(T, async {
        loop {
            if let Ok(ModelNotice::MetadataLoaded { thing }) = notices.recv().await {
                break thing;
            }
        }
    })
    .await
    .expect("the emulator did not load the edge's metadata");

    // The emulator read the declaration: the input typed INTEGER arrives as INTEGER.
    let r = rest(
        &addr,
        "POST",
        "/Services/Scale",
        r#"{"count": 19, "factor": 2}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["rows"], json!([{"result": 38.0}]));
    let got: BTreeMap<String, BaseType> = inputs.lock().unwrap().iter().cloned().collect();
    assert_eq!(got.get("count"), Some(&BaseType::Integer), "{got:?}");
    assert_eq!(got.get("factor"), Some(&BaseType::Number), "{got:?}");
    let r = rest(&addr, "GET", "/Metadata", "").await;
    let temp = &r.json()["propertyDefinitions"]["Temperature"];
    assert_eq!(temp["aspects"]["pushType"], "VALUE", "{}", r.body);
    assert_eq!(temp["aspects"]["pushThreshold"], 0.5);

    // VALUE 0.5: 21 (first) goes, 21.25 does not.
    assert!(edge.set_property(THING, "Temperature", 21.0).unwrap());
    assert!(!edge.set_property(THING, "Temperature", 21.25).unwrap());
    edge.flush().await.unwrap();
    let stored = |r: common::HttpResponse| r.json()["rows"][0]["Temperature"].clone();
    let r = rest(&addr, "GET", "/Properties/Temperature?source=stored", "").await;
    assert_eq!(stored(r), json!(21.0));

    // The emulator's rule changes to NEVER: NotifyPropertyUpdate, and the edge re-reads.
    let r = rest(
        &addr,
        "PUT",
        "/Subscriptions/Temperature",
        r#"{"pushType": "NEVER"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["notified"], true);
    let mut never = false;
    for i in 0..200 {
        // Far from the last value each time: VALUE queues it, NEVER does not.
        if !edge
            .set_property(THING, "Temperature", 100.0 * f64::from(i + 1))
            .unwrap()
        {
            never = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(never, "the edge did not take the emulator's NEVER");
    edge.flush().await.unwrap();
    let before = stored(rest(&addr, "GET", "/Properties/Temperature?source=stored", "").await);
    assert!(!edge.set_property(THING, "Temperature", -5.0).unwrap());
    edge.flush().await.unwrap();
    let after = stored(rest(&addr, "GET", "/Properties/Temperature?source=stored", "").await);
    assert_eq!(before, after, "a NEVER value reached the emulator");
    edge.shutdown().await;
    running.shutdown().await;
}

/// The push times `alwayson edge` logged ("pushed N value(s) of THING at MS").
fn logged_push_times(stderr: &str) -> Vec<i64> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = &l[l.find("pushed ")?..];
            let at = rest.find(" at ")?;
            let digits: String = rest[at + 4..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn edge_sigkilled_during_an_outage_delivers_its_stored_pushes_after_restart() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let store = std::env::temp_dir().join(format!("alwayson-edge-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    let start_platform = || {
        let mut cmd = common::bin();
        cmd.args(["platform", "--listen", &addr, "--app-key", KEY]);
        let p = Proc::spawn(cmd);
        assert!(p.line(T).starts_with("listening on ws://"));
        p
    };
    let start_edge = |extra: &[&str]| {
        let mut cmd = common::bin();
        cmd.args([
            "edge",
            &format!("ws://{addr}/Thingworx/WS"),
            "--app-key",
            KEY,
            "--bind",
            THING,
            "--property",
            "Temperature=21.5",
            "--offline-store",
            store.to_str().unwrap(),
            "--wait",
        ]);
        cmd.args(extra);
        Proc::spawn(cmd)
    };
    let connected = || {
        let r = http(
            &addr,
            "GET",
            &format!("/Thingworx/Things/{THING}"),
            Some(KEY),
            "",
        );
        r.status == 200 && r.json()["isConnected"] == true
    };
    let mut plat = start_platform();
    let mut edge = start_edge(&["--push-every", "100ms"]);
    wait_until(T, "the edge to bind", connected);
    plat.child.kill().unwrap(); // SIGKILL
    plat.child.wait().unwrap();
    let outage = now_ms();
    std::thread::sleep(Duration::from_millis(1500));
    edge.child.kill().unwrap(); // SIGKILL: no shutdown, no final sync
    edge.child.wait().unwrap();
    let pushed: Vec<i64> = logged_push_times(&edge.stderr())
        .into_iter()
        .filter(|t| *t > outage)
        .collect();
    assert!(
        pushed.len() >= 5,
        "too few pushes during the outage: {pushed:?}\n{}",
        edge.stderr()
    );

    let _plat2 = start_platform();
    let edge2 = start_edge(&[]);
    wait_until(T, "the restarted edge to bind", connected);
    let history = || -> Vec<i64> {
        let r = http(
            &addr,
            "POST",
            &format!("/Thingworx/Things/{THING}/Services/QueryPropertyHistory"),
            Some(KEY),
            &json!({"propertyName": "Temperature", "maxItems": 10000, "oldestFirst": true})
                .to_string(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|row: &Json| row["timestamp"].as_i64())
            .collect()
    };
    wait_until(T, "every push stored before the kill", || {
        let h = history();
        pushed.iter().all(|t| h.contains(t))
    });
    // Nothing was replayed before the kill (the platform was down), so each arrives once.
    let h = history();
    for t in &pushed {
        assert_eq!(h.iter().filter(|x| *x == t).count(), 1, "{t} twice: {h:?}");
    }
    assert!(edge2.stderr().contains("to replay"), "{}", edge2.stderr());
    let _ = std::fs::remove_dir_all(&store);
}
