//! # alwayson-proto
//!
//! A sans-IO implementation of the ThingWorx **AlwaysOn** protocol: the byte-exact codec,
//! multipart chunking, and (in later modules) the edge and platform session state machines.
//! No sockets, no async, no clock: bytes and time go in, bytes, events and deadlines come out.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod multipart;

pub use codec::*;
mod transmit;
pub use transmit::{
    RequestIds, Transmit, CLOSE_NORMAL, CLOSE_POLICY_VIOLATION, CLOSE_PROTOCOL_ERROR,
};

pub mod conventions;
pub mod edge;
pub mod platform;
mod request;
mod wire;

pub use conventions::PropertyUpdate;
pub use edge::{EdgeConfig, EdgeEvent, EdgeSession, EdgeState};
pub use platform::{
    BindPolicy, ConnectionId, PlatformConfig, PlatformEvent, PlatformSession, ThingRegistry,
    ThingStatus,
};
pub use request::{RequestError, RespondError};
pub use wire::InboundError;
