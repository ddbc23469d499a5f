//! `alwayson-edge-small`: a small AlwaysOn edge for constrained devices. It connects,
//! authenticates, binds one thing and pushes one property periodically, on one thread
//! ([`alwayson_tokio::block_on`]), built from alwayson-tokio's `edge` feature alone (no
//! platform, no HTTP server) and, by default, `tls`. `[profile.release-small]` in the
//! workspace's Cargo.toml builds it for size; `scripts/footprint.sh` measures it.
#![forbid(unsafe_code)]

mod args;

use alwayson_tokio::edge::BindRefusal;
use alwayson_tokio::{EdgeClient, EdgeNotice, PropertyUpdate, Thing, Value};
use args::{Args, ArgsError, USAGE};
use futures_util::StreamExt;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() -> ExitCode {
    let env_key = std::env::var("ALWAYSON_APP_KEY").ok();
    let args = match Args::parse(std::env::args().skip(1), env_key) {
        Ok(args) => args,
        Err(ArgsError::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(ArgsError::Usage(e)) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match alwayson_tokio::block_on(run(args)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), alwayson_tokio::Error> {
    let builder = EdgeClient::builder(&args.url)
        .app_key(&args.app_key)
        .thing(Thing::new(&args.thing).property(&args.property, 0.0));
    let builder = tls_options(builder, &args)?;
    // Subscribed before connecting: each failed attempt of the first connect is said too.
    tokio::spawn(report(builder.events()));
    let edge = builder.connect().await?;

    let mut ticks = tokio::time::interval(args.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = 0u64;
    while args.count.map_or(true, |count| n < count) {
        ticks.tick().await;
        n += 1;
        let value = Value::from(n as f64);
        let update = PropertyUpdate::new(args.property.as_str(), value, now_ms());
        if let Err(e) = edge.push_properties(&args.thing, &[update]).await {
            eprintln!("push {n} failed: {e}");
        }
    }
    edge.shutdown().await;
    Ok(())
}

/// Prints connection changes to stderr, one line each, from the first connect attempt on.
async fn report(mut events: alwayson_tokio::Notices<EdgeNotice>) {
    while let Some(notice) = events.next().await {
        match notice {
            EdgeNotice::Disconnected { reason } => eprintln!("connection closed: {reason}"),
            EdgeNotice::ConnectFailed { attempt, error } => {
                eprintln!("connect attempt {attempt} failed: {error}")
            }
            EdgeNotice::Bound { name } => eprintln!("bound {name}"),
            EdgeNotice::BindRejected {
                name,
                status,
                reason,
            } => eprintln!(
                "BIND refused: {}",
                BindRefusal {
                    name: name.as_str().into(),
                    status,
                    reason: reason.map(|r| r.as_str().into()),
                }
            ),
            _ => {}
        }
    }
}

#[cfg(feature = "tls")]
fn tls_options(
    mut builder: alwayson_tokio::EdgeClientBuilder,
    args: &Args,
) -> Result<alwayson_tokio::EdgeClientBuilder, alwayson_tokio::Error> {
    if let Some(path) = &args.ca {
        let pem = std::fs::read(path)?;
        builder = builder.root_ca_pem(pem);
    }
    Ok(builder.danger_accept_invalid_certs(args.insecure))
}

#[cfg(not(feature = "tls"))]
fn tls_options(
    builder: alwayson_tokio::EdgeClientBuilder,
    args: &Args,
) -> Result<alwayson_tokio::EdgeClientBuilder, alwayson_tokio::Error> {
    if args.ca.is_some() || args.insecure {
        eprintln!("warning: built without TLS: --ca and --insecure are ignored");
    }
    Ok(builder)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
