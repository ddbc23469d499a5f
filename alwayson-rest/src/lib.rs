//! # alwayson-rest
//!
//! The ThingWorx-flavoured REST pieces shared by everything in alwayson that speaks HTTP
//! next to AlwaysOn (the platform emulator and the EMS-style gateway `alwayson-ems`):
//!
//! * [`json`]: values and InfoTables ⇄ ThingWorx JSON, typed by declarations when known;
//! * [`content`]: the EMS's `_content_` convention (a plain JSON body carried as a one-row
//!   table with a single JSON field), both ways;
//! * [`typing`]: converting values to a declared base type (INTEGER columns pushed as NUMBER);
//! * [`status`]: AlwaysOn status codes ⇄ HTTP status codes for a gateway;
//! * [`error`]: JSON error responses (`{"error": "…"}`) for axum;
//! * [`app_key`]: the `appKey` header / query parameter check as an axum middleware;
//! * [`body`]: an axum extractor for JSON bodies (415 for other content types, 400 for bad
//!   JSON, empty bodies allowed).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app_key;
pub mod body;
pub mod content;
pub mod error;
pub mod json;
pub mod status;
pub mod typing;

pub use app_key::AppKey;
pub use body::JsonBody;
pub use error::{json_response, RestError};
