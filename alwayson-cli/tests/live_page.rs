//! The emulator's live page in a real headless Chromium: the real `alwayson platform` and
//! `alwayson edge` binaries, the page driven over the DevTools protocol. Saves a screenshot
//! to `target/ui-screenshot.png`.
#![allow(clippy::unwrap_used)]

mod browser;
mod common;

use browser::Browser;
use common::{bin, platform, Proc};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const KEY: &str = "live-key";
const T: Duration = Duration::from_secs(20);
/// How soon the page must show what happened, without a reload.
const LIVE: Duration = Duration::from_secs(2);

/// One browser at a time: the 2 s deadlines are about the page, not about three Chromiums
/// sharing two cores.
static ONE_BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_browser() -> std::sync::MutexGuard<'static, ()> {
    ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner())
}

/// `target/ui-screenshot.png` (in whatever target directory cargo uses).
fn screenshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("ui-screenshot.png")
}

/// Polls `cond` until it holds or `deadline` passes; says whether it held.
fn held_by(deadline: Instant, mut cond: impl FnMut() -> bool) -> bool {
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn text_of(selector: &str) -> String {
    format!("((document.querySelector({selector:?}) || {{}}).textContent || '')")
}

#[test]
fn the_live_page_follows_an_edge_and_drives_it() {
    let _one = one_browser();
    let (_plat, addr) = platform(KEY);
    // Opened without the key: a form asks for it (a wrong one is refused).
    let chrome = Browser::launch(&format!("http://{addr}/"), 1280, 860);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut page = chrome.page().await;
        let key_input = "document.querySelector('input[name=appKey]')";
        page.wait_for("the key form", &format!("!!{key_input}"), T)
            .await;
        assert!(page.eval("!document.getElementById('things')").await == true);
        page.eval(&format!(
            "{key_input}.value = 'wrong'; document.querySelector('form').submit()"
        ))
        .await;
        page.wait_for(
            "the refusal",
            "!!document.getElementById('refused') && !document.getElementById('refused').hidden",
            T,
        )
        .await;
        page.eval(&format!(
            "{key_input}.value = '{KEY}'; document.querySelector('form').submit()"
        ))
        .await;
        page.wait_for(
            "the event stream to be live",
            &format!("{} === 'live'", text_of("#live")),
            T,
        )
        .await;
        // the key was taken out of the address bar
        assert_eq!(page.eval("location.search").await, "");
        page.eval("window.__sameDocument = 42").await;
        let no_thing = page.eval(&text_of("#things")).await;
        assert_eq!(
            no_thing,
            "No thing has been bound yet.",
            "{}",
            page.eval("document.body.innerText").await
        );

        // An edge binds and pushes (every 300 ms).
        let mut cmd = bin();
        cmd.args([
            "edge",
            &format!("ws://{addr}/Thingworx/WS"),
            "--app-key",
            KEY,
            "--bind",
            "SteamSensor1",
            "--property",
            "Temperature=21.5",
            "--property",
            "Mode=auto",
            "--push-every",
            "300ms",
        ]);
        let edge = Proc::spawn(cmd);
        assert!(
            held_by(Instant::now() + T, || edge
                .stderr()
                .contains("bound SteamSensor1")),
            "the edge did not bind:\n{}",
            edge.stderr()
        );
        let bound_at = Instant::now();
        let row = "#things tr[data-thing=\"SteamSensor1\"]";
        let shown = page
            .wait_until(
                &format!("(document.querySelector('{row}') || {{dataset:{{}}}}).dataset.connected === 'true'"),
                bound_at + LIVE,
            )
            .await;
        assert!(
            shown.is_some(),
            "the page did not show SteamSensor1 connected within {LIVE:?}: {}",
            page.eval("document.body.innerText").await
        );
        eprintln!("bound → shown connected: {:?}", bound_at.elapsed());
        page.eval(&format!("document.querySelector('{row}').click()"))
            .await;
        page.wait_for(
            "the thing to be selected and shown connected",
            &format!(
                "{} === 'SteamSensor1' && {} === 'connected'",
                text_of("#thing-name"),
                text_of("#thing-status")
            ),
            T,
        )
        .await;
        let connections = page.eval(&text_of("#conns")).await;
        let connections = connections.as_str().unwrap();
        assert!(
            connections.contains("127.0.0.1:") && connections.contains("SteamSensor1"),
            "{connections}"
        );

        // The next push shows in the page within 2 s, from the event stream.
        let pushes = |e: &Proc| e.stderr().matches("pushed 2 value(s) of SteamSensor1").count();
        let before = pushes(&edge);
        assert!(
            held_by(Instant::now() + T, || pushes(&edge) > before),
            "no push"
        );
        let pushed_at = Instant::now();
        let seen = page
            .wait_until(
                "[...document.querySelectorAll('#log div')].some(d => d.textContent.includes('pushed SteamSensor1.Temperature = 21.5')) \
                 && (document.querySelector('#props tr[data-prop=\"Temperature\"] td.v') || {}).textContent === '21.5'",
                pushed_at + LIVE,
            )
            .await;
        eprintln!("pushed → shown (measured from the edge's log line): {:?}", pushed_at.elapsed());
        assert!(
            seen.is_some(),
            "the pushed value did not show within {LIVE:?}: {}",
            page.eval("document.body.innerText").await
        );

        // A property write from the page reaches the edge.
        page.eval(
            "document.getElementById('write-name').value = 'Temperature';\
             document.getElementById('write-type').value = 'NUMBER';\
             document.getElementById('write-value').value = '33.5';\
             document.querySelector('#write-form button[type=submit]').click()",
        )
        .await;
        edge.wait_stderr("platform wrote SteamSensor1.Temperature = 33.5", T);
        page.wait_for(
            "the write to be confirmed",
            &format!("{}.startsWith('wrote Temperature = 33.5')", text_of("#write-msg")),
            T,
        )
        .await;

        // A live read from the page asks the edge (`?source=live`).
        page.eval(
            "document.getElementById('read-name').value = 'Mode';\
             document.querySelector('#read-form button[type=submit]').click()",
        )
        .await;
        page.wait_for(
            "the live read",
            &format!(
                "{} === 'read from the edge' && {} === 'auto'",
                text_of("#read-msg"),
                text_of("#props tr[data-prop=Mode] td.v")
            ),
            T,
        )
        .await;

        // A service call with typed inputs from the page reaches the edge (Echo answers
        // with its inputs).
        page.eval(
            "document.getElementById('call-name').value = 'Echo';\
             document.getElementById('add-param').click();\
             document.getElementById('add-param').click();\
             const rows = document.querySelectorAll('#call-params .row');\
             rows[0].querySelector('.pname').value = 'count';\
             rows[0].querySelector('select').value = 'INTEGER';\
             rows[0].querySelector('[data-param]').value = '19';\
             rows[1].querySelector('.pname').value = 'label';\
             rows[1].querySelector('select').value = 'STRING';\
             rows[1].querySelector('[data-param]').value = 'from the page';\
             document.querySelector('#call-form button[type=submit]').click()",
        )
        .await;
        page.wait_for(
            "the Echo result",
            &format!(
                "{} === 'from the page' && {} === '19'",
                text_of("#call-result td[data-field=label]"),
                text_of("#call-result td[data-field=count]")
            ),
            T,
        )
        .await;

        // All of it without a reload.
        assert_eq!(page.eval("window.__sameDocument").await, 42);
        let shot = screenshot_path();
        page.screenshot(&shot).await;
        assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
        eprintln!("screenshot: {}", shot.display());
    });
}

#[test]
fn ten_thousand_things_stay_searchable_and_paged() {
    let _one = one_browser();
    const N: usize = 10_000;
    let (_plat, addr) = platform(KEY);
    let chrome = Browser::launch(&format!("http://{addr}/?appKey={KEY}"), 1280, 860);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut page = chrome.page().await;
        page.wait_for(
            "the event stream to be live",
            &format!("{} === 'live'", text_of("#live")),
            T,
        )
        .await;
        let mut cmd = bin();
        cmd.args([
            "edge",
            &format!("ws://{addr}/Thingworx/WS"),
            "--app-key",
            KEY,
            "--property",
            "Temperature=1",
        ]);
        for i in 0..N {
            cmd.args(["--bind", &format!("Sensor{i:05}")]);
        }
        let edge = Proc::spawn(cmd);
        edge.wait_stderr("Sensor09999", T);
        let bound_at = Instant::now();
        // The burst of BINDs overflows the notice journal: the page is told it lagged and
        // reloads the list instead of replaying ten thousand notices.
        page.wait_for(
            "the page to list every thing",
            &format!("{} === '1–50 of {N}'", text_of("#page")),
            T,
        )
        .await;
        let listed = bound_at.elapsed();
        assert_eq!(
            page.eval("document.querySelectorAll('#things tr[data-thing]').length")
                .await,
            50
        );
        // Paging and search are answered by the server, one page at a time.
        page.eval("document.getElementById('next').click()").await;
        let second = page
            .wait_until(
                &format!(
                    "{} === '51–100 of {N}' && document.querySelector('#things tr[data-thing]').dataset.thing === 'Sensor00050'",
                    text_of("#page")
                ),
                Instant::now() + T,
            )
            .await;
        assert!(
            second.is_some(),
            "the second page did not show: {}",
            page.eval("JSON.stringify({offset: list.offset, total: list.total, seq: thingsSeq, label: document.getElementById('page').textContent, rows: [...document.querySelectorAll('#things tr[data-thing]')].slice(0, 3).map(r => r.dataset.thing)})").await
        );
        let typed_at = Instant::now();
        page.eval(
            "const s = document.getElementById('search'); s.value = 'sensor0999';\
             s.dispatchEvent(new Event('input'))",
        )
        .await;
        page.wait_for(
            "the search result",
            &format!("{} === '1–10 of 10'", text_of("#page")),
            T,
        )
        .await;
        let searched = typed_at.elapsed();
        let names = page
            .eval("[...document.querySelectorAll('#things tr[data-thing]')].map(r => r.dataset.thing + ':' + r.dataset.connected).join(' ')")
            .await;
        let expected: Vec<String> = (9990..10_000)
            .map(|i| format!("Sensor{i:05}:true"))
            .collect();
        assert_eq!(names, expected.join(" "));
        // The connections view stays small: one row, a count and the first names.
        let conns = page.eval(&text_of("#conns")).await;
        assert!(conns.as_str().unwrap().contains("(+9988)"), "{conns}");
        eprintln!(
            "{N} things: listed {listed:?} after the last BIND; search answered in {searched:?} (200 ms of it is the search box's debounce)"
        );
    });
}

/// What the metadata test's edge declares: one service with typed inputs, one event.
fn metadata_doc() -> serde_json::Value {
    serde_json::json!({
        "name": "Boiler1",
        "propertyDefinitions": {
            "Pressure": {"name": "Pressure", "baseType": "NUMBER", "aspects": {}}
        },
        "serviceDefinitions": {
            "ReadFromBinaryFile": {"name": "ReadFromBinaryFile", "description": "reads records",
                "Inputs": {"fieldDefinitions": {
                    "count": {"name": "count", "baseType": "INTEGER"},
                    "verbose": {"name": "verbose", "baseType": "BOOLEAN"}}},
                "Outputs": {"name": "result", "baseType": "INTEGER"}}
        },
        "eventDefinitions": {
            "SteamSensorFault": {"name": "SteamSensorFault",
                "EventData": {"fieldDefinitions": {"message": {"name": "message", "baseType": "STRING"}}}}
        }
    })
}

/// An SDK-like edge (speaking the wire format itself): serves `GetMetadata` and
/// `ReadFromBinaryFile` (answers the count it got, as a NUMBER).
fn sdk_edge() -> common::wire_edge::Answerer {
    use alwayson_proto::{BaseType, Characteristic, FieldDefinition, InfoTable, Response, Value};
    std::sync::Arc::new(|req: &alwayson_proto::Request| {
        let name = req.characteristic_name.to_str_lossy().into_owned();
        Some(match (req.characteristic, name.as_str()) {
            (Characteristic::Services, "GetMetadata") => {
                let mut t =
                    InfoTable::with_fields(vec![FieldDefinition::new("result", BaseType::Json)]);
                t.push_row(vec![Value::json(metadata_doc().to_string())]);
                Response::with_content(t)
            }
            (Characteristic::Services, "ReadFromBinaryFile") => {
                let n = match req.params.as_ref().and_then(|p| p.first("count")) {
                    Some(Value::Integer(i)) => f64::from(*i),
                    _ => -1.0,
                };
                Response::with_content(InfoTable::single("result", Value::Number(n)))
            }
            _ => Response::success(),
        })
    })
}

#[test]
fn typed_service_forms_from_metadata_and_live_events() {
    let _one = one_browser();
    use alwayson_proto::{InfoTable, Request, Value};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (running, addr) = rt.block_on(async {
        let argv = [
            "alwayson",
            "platform",
            "--listen",
            "127.0.0.1:0",
            "--app-key",
            KEY,
        ];
        let alwayson_cli::cli::Command::Platform(args) =
            <alwayson_cli::cli::Cli as clap::Parser>::try_parse_from(argv)
                .unwrap()
                .command
        else {
            panic!("not the platform command")
        };
        let running = alwayson_cli::platform_cmd::start(&args).await.unwrap();
        let addr = running.platform.local_addr().to_string();
        (running, addr)
    });
    // A thing the model knows without the platform having seen it bound is listed too.
    running.emulator.model.touch("Ghost1");
    let chrome = Browser::launch(&format!("http://{addr}/?appKey={KEY}"), 1280, 860);
    rt.block_on(async {
        let mut page = chrome.page().await;
        page.wait_for(
            "the event stream to be live",
            &format!("{} === 'live'", text_of("#live")),
            T,
        )
        .await;
        assert_eq!(
            page.eval("document.querySelector('#things tr[data-thing=\"Ghost1\"]').dataset.connected")
                .await,
            "false"
        );
        let edge = common::wire_edge::WireEdge::connect(
            &format!("ws://{addr}/Thingworx/WS"),
            KEY,
            &["Boiler1"],
            sdk_edge(),
        )
        .await;
        let row = "#things tr[data-thing=\"Boiler1\"]";
        page.wait_for(
            "Boiler1 in the list",
            &format!("!!document.querySelector('{row}')"),
            T,
        )
        .await;
        page.eval(&format!("document.querySelector('{row}').click()"))
            .await;

        // The service form is built from the edge's metadata, with typed inputs.
        let form = "form[data-service=\"ReadFromBinaryFile\"]";
        page.wait_for(
            "the typed service form",
            &format!("!!document.querySelector('{form} [data-param=count]')"),
            T,
        )
        .await;
        let kinds = page
            .eval(&format!(
                "[...document.querySelectorAll('{form} [data-param]')].map(i => i.dataset.param + ':' + i.type).join(' ')"
            ))
            .await;
        assert_eq!(kinds, "count:number verbose:checkbox");
        page.eval(&format!(
            "document.querySelector('{form} [data-param=count]').value = '19';\
             document.querySelector('{form} [data-param=verbose]').checked = true;\
             document.querySelector('{form} button[type=submit]').click()"
        ))
        .await;
        page.wait_for(
            "the service result (INTEGER, as declared)",
            &format!("{} === '19'", text_of("#call-result td[data-field=result]")),
            T,
        )
        .await;
        let call = edge
            .seen
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.characteristic_name == *"ReadFromBinaryFile")
            .cloned()
            .expect("the call reached the edge");
        let params = call.params.unwrap();
        assert_eq!(params.first("count"), Some(&Value::Integer(19)));
        assert_eq!(params.first("verbose"), Some(&Value::Boolean(true)));

        // An event the edge fires shows in the page within 2 s.
        let fault = Request::fire_event(
            "Boiler1",
            "SteamSensorFault",
            InfoTable::single("message", Value::string("too hot")),
        );
        assert!(edge.request(fault).await.status.is_success());
        let fired_at = Instant::now();
        let shown = page
            .wait_until(
                "[...document.querySelectorAll('#events tr')].some(r => r.textContent.includes('SteamSensorFault') && r.textContent.includes('too hot'))",
                fired_at + LIVE,
            )
            .await;
        assert!(
            shown.is_some(),
            "the event did not show within {LIVE:?}: {}",
            page.eval("document.body.innerText").await
        );
        let shot = screenshot_path().with_file_name("ui-screenshot-metadata.png");
        page.screenshot(&shot).await;
        eprintln!("screenshot: {}", shot.display());
        edge.close().await;
    });
    rt.block_on(running.shutdown());
}
