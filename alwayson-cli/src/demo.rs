//! `alwayson demo`: an embedded platform and an edge in one process, and a transcript of a
//! complete session between them.

use crate::cli::DemoArgs;
use crate::transcript::{show_rows, show_value, Transcript};
use crate::CliError;
use alwayson_proto::{BaseType, FieldDefinition, InfoTable, PropertyUpdate, Value};
use alwayson_tokio::{EdgeClient, Platform, Thing};
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The application key the demo platform accepts and the demo edge presents.
pub const DEMO_APP_KEY: &str = "demo-app-key";

/// The whole demo must finish within this.
const DEMO_TIMEOUT: Duration = Duration::from_secs(30);

fn fail(step: &str, e: impl std::fmt::Display) -> CliError {
    CliError::runtime(format!("demo step \"{step}\" failed: {e}"))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `AddNumbers(a, b)` → `result = a + b` (NUMBER), the demo thing's service.
fn add_numbers(params: Option<InfoTable>) -> Result<InfoTable, alwayson_tokio::HandlerError> {
    let p = params.unwrap_or_default();
    let num = |name: &str| match p.first(name).map(Value::unwrap_variant).as_deref() {
        Some(Value::Number(n)) => Ok(*n),
        Some(Value::Integer(i)) => Ok(f64::from(*i)),
        _ => Err(alwayson_tokio::HandlerError::bad_request(format!(
            "parameter {name} must be a number"
        ))),
    };
    let mut t = InfoTable::with_fields(vec![FieldDefinition::new("result", BaseType::Number)]);
    t.push_row(vec![Value::Number(num("a")? + num("b")?)]);
    Ok(t)
}

/// Runs the demo, writing the transcript to `out`.
pub async fn run(args: DemoArgs, out: impl Write) -> Result<(), CliError> {
    tokio::time::timeout(DEMO_TIMEOUT, steps(&args.thing, out))
        .await
        .map_err(|_| {
            CliError::runtime(format!("the demo did not finish within {DEMO_TIMEOUT:?}"))
        })?
}

async fn steps(thing: &str, out: impl Write) -> Result<(), CliError> {
    let mut t = Transcript::new(out);

    let platform = Platform::builder()
        .listen("127.0.0.1:0")
        .app_key(DEMO_APP_KEY)
        .start()
        .await
        .map_err(|e| fail("start platform", e))?;
    t.note(
        "platform",
        &format!("listening on {} (app key {DEMO_APP_KEY:?})", platform.url()),
    );

    let started = Instant::now();
    let edge = EdgeClient::builder(platform.url())
        .app_key(DEMO_APP_KEY)
        .thing(
            Thing::new(thing)
                .property("Temperature", 20.0)
                .property("Pressure", 1.0)
                .property("InletValve", false)
                .service("AddNumbers", |p: Option<InfoTable>| async move {
                    add_numbers(p)
                }),
        )
        .connect()
        .await
        .map_err(|e| fail("connect", e))?;
    let connected = platform.thing(thing).is_some_and(|s| s.is_connected);
    t.step(
        "edge → platform",
        &format!("AUTH appKey, BIND {thing}"),
        &format!("authenticated, bound; platform: isConnected={connected}"),
        started.elapsed(),
    );
    if !connected {
        return Err(fail(
            "bind",
            format!("the platform does not show {thing} as connected"),
        ));
    }

    let updates = [
        PropertyUpdate::new("Temperature", Value::Number(21.5), now_ms()),
        PropertyUpdate::new("Pressure", Value::Number(1.2), now_ms()),
        PropertyUpdate::new("InletValve", Value::Boolean(true), now_ms()),
    ];
    let shown: Vec<String> = updates
        .iter()
        .map(|u| format!("{}={}", u.name, show_value(&u.value)))
        .collect();
    let started = Instant::now();
    edge.push_properties(thing, &updates)
        .await
        .map_err(|e| fail("push", e))?;
    let stored = platform
        .property_store()
        .get(thing, "Temperature")
        .map(|v| show_value(&v))
        .unwrap_or_else(|| "nothing".into());
    t.step(
        "edge → platform",
        &format!("PUSH {thing} {}", shown.join(", ")),
        &format!("ok; platform stored Temperature={stored}"),
        started.elapsed(),
    );

    let started = Instant::now();
    let v = platform
        .read_property(thing, "Temperature")
        .await
        .map_err(|e| fail("read property", e))?;
    t.step(
        "platform → edge",
        &format!("GET {thing}.Temperature"),
        &show_value(&v),
        started.elapsed(),
    );

    let started = Instant::now();
    platform
        .write_property(thing, "Pressure", Value::Number(2.5))
        .await
        .map_err(|e| fail("write property", e))?;
    t.step(
        "platform → edge",
        &format!("PUT {thing}.Pressure = 2.5"),
        "ok",
        started.elapsed(),
    );

    let started = Instant::now();
    let v = platform
        .read_property(thing, "Pressure")
        .await
        .map_err(|e| fail("read back", e))?;
    t.step(
        "platform → edge",
        &format!("GET {thing}.Pressure"),
        &show_value(&v),
        started.elapsed(),
    );

    let mut params = InfoTable::with_fields(vec![
        FieldDefinition::new("a", BaseType::Number),
        FieldDefinition::new("b", BaseType::Number),
    ]);
    params.push_row(vec![Value::Number(2.0), Value::Number(3.0)]);
    let started = Instant::now();
    let result = platform
        .invoke_service(thing, "AddNumbers", Some(params))
        .await
        .map_err(|e| fail("invoke service", e))?;
    t.step(
        "platform → edge",
        &format!("POST {thing}.AddNumbers {{\"a\":2,\"b\":3}}"),
        &show_rows(&result),
        started.elapsed(),
    );

    let started = Instant::now();
    edge.unbind([thing]).await.map_err(|e| fail("unbind", e))?;
    t.step(
        "edge → platform",
        &format!("UNBIND {thing}"),
        "ok",
        started.elapsed(),
    );

    // The registry is updated before the UNBIND is answered; poll briefly to be robust.
    let deadline = Instant::now() + Duration::from_secs(2);
    let status = loop {
        let s = platform.thing(thing);
        if s.as_ref().is_some_and(|s| !s.is_connected) || Instant::now() > deadline {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let connected = status.as_ref().is_some_and(|s| s.is_connected);
    let last = status
        .and_then(|s| s.last_connection)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis().to_string())
        .unwrap_or_else(|| "null".into());
    t.note(
        "platform",
        &format!("{thing} isConnected={connected} lastConnection={last}"),
    );
    if connected {
        return Err(fail("unbind", format!("{thing} still shows as connected")));
    }

    edge.shutdown().await;
    platform.shutdown().await;
    t.note("demo", "done: edge and platform shut down");
    Ok(())
}
