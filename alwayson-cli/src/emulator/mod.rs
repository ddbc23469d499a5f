//! The platform emulator: a [`ThingModel`] fed by the edges, an edge-request handler that
//! answers them the way ThingWorx does ([`edge_requests`]), and a ThingWorx-style REST
//! interface ([`router`]).
//!
//! ```text
//! edges ──AlwaysOn──▶ Platform ──EdgeRequests──▶ ThingModel ◀── REST (router)
//!                        ▲                                          │
//!                        └───────── live reads, writes, services ───┘
//! ```
//!
//! After each BIND the emulator calls `GetMetadata` on the thing ([`Emulator::on_bound`]);
//! the declared base types type REST inputs and outputs. An edge that does not answer works
//! untyped. When the metadata declares push rules, the emulator then calls
//! `NotifyPropertyUpdate`, so an edge that asked `GetPropertySubscriptions` before the
//! declaration was known asks again.

pub mod edge_call;
pub mod edge_requests;
pub mod metadata;
pub mod model;
pub mod routes;
pub mod services;
pub mod subscriptions;

pub use edge_requests::EdgeRequests;
pub use model::{ModelNotice, ThingModel};
pub use routes::router;

use alwayson_proto::Value;
use alwayson_rest::AppKey;
use alwayson_tokio::Platform;
use metadata::Metadata;

/// The emulator's shared state: the model and the REST application key. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Emulator {
    /// The thing model.
    pub model: ThingModel,
    /// The key REST clients present.
    pub app_key: AppKey,
}

impl Emulator {
    /// An emulator over `model`, REST guarded by `app_key`.
    pub fn new(model: ThingModel, app_key: AppKey) -> Self {
        Self { model, app_key }
    }

    /// The handler to install with `PlatformBuilder::edge_request_handler` and
    /// `PlatformBuilder::push_handler`.
    pub fn edge_requests(&self) -> EdgeRequests {
        EdgeRequests::new(self.model.clone())
    }

    /// What happens when `thing` is bound: the model learns it, and the emulator asks the
    /// edge for its metadata (`GetMetadata`). Without an answer the thing stays untyped.
    pub async fn on_bound(&self, platform: &Platform, thing: &str) {
        self.model.touch(thing);
        let result = edge_call::invoke_service(platform, thing, "GetMetadata", None).await;
        let document = match result {
            Ok(t) => match t.first("result").map(Value::unwrap_variant).as_deref() {
                Some(Value::String(_, text)) => serde_json::from_slice(text.as_bytes()).ok(),
                _ => None,
            },
            Err(e) => {
                tracing::info!(
                    "{thing}: no metadata ({}); its inputs stay untyped",
                    e.message
                );
                return;
            }
        };
        match document.and_then(Metadata::from_json) {
            Some(m) => {
                tracing::info!(
                    "{thing}: metadata with {} properties, {} services, {} events",
                    m.properties.len(),
                    m.services.len(),
                    m.events.len()
                );
                let declares_rules = m.properties.values().any(|p| p.rule.is_some());
                self.model.set_metadata(thing, m);
                // The edge may have asked GetPropertySubscriptions before the declared rules
                // were known here (it asks right after BIND): tell it to ask again.
                if declares_rules {
                    let notify =
                        edge_call::invoke_service(platform, thing, "NotifyPropertyUpdate", None);
                    if let Err(e) = notify.await {
                        tracing::debug!("{thing}: NotifyPropertyUpdate failed: {}", e.message);
                    }
                }
            }
            None => tracing::info!(
                "{thing}: GetMetadata did not return a JSON document in `result`; untyped"
            ),
        }
    }
}
