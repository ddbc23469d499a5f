//! # alwayson-ems
//!
//! A gateway that can stand in for PTC's Edge MicroServer (EMS, `wsems`): it reads the
//! EMS's own `config.json`, holds the one AlwaysOn connection to the platform (BIND and
//! UNBIND in gateway form, gateway type `EMSGateway`), and serves the EMS's REST interface
//! to local applications such as the Lua Script Resource:
//!
//! * **LocalEms** ([`local_ems`]): `AddEdgeThing` (BIND), `RemoveEdgeThing` (UNBIND),
//!   `HasEdgeThing`, and the `isConnected` property;
//! * **proxy** ([`proxy`]): property reads and writes, service calls and events of any
//!   thing, sent to the platform; pushes and events go to the offline store while the
//!   platform is unreachable (when enabled) or get 503;
//! * **callbacks** ([`callback`]): platform requests for a registered thing go over HTTP(S)
//!   to its application (`{proto}://{host}:{port}{path}/Things/{thing}/…`);
//! * the **gateway thing** answers `GetEdgeThings`, `GetMicroserverVersion` and
//!   `isConnected` itself;
//! * a **health check** unbinds the things of an application that stops accepting
//!   connections and binds them again when it is back;
//! * registrations made with `"persist": true` survive a restart ([`registry`]).
//!
//! The local side listens on loopback unless the configuration asks otherwise (anyone who
//! can reach it acts with the app key's rights). Behaviour, as observed on the real EMS,
//! is described in the project's `spec/ems.md`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let (config, warnings) = alwayson_ems::Config::load("config.json")?;
//! for w in &warnings {
//!     eprintln!("warning: {w}");
//! }
//! let gateway = alwayson_ems::Gateway::start(config).await?;
//! println!("listening on {}", gateway.url());
//! # gateway.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod callback;
pub mod config;
mod gateway;
pub mod local_ems;
pub mod proxy;
pub mod registry;
mod server;

pub use config::{Config, ConfigError, Warning};
pub use gateway::{Gateway, StartError, FAILOVER_AFTER, GATEWAY_TYPE, VERSION};
pub use server::{HEADER_TIMEOUT, MAX_CONNECTIONS};
