//! Multipart: splitting a message into chunks and reassembling received chunks
//! (wire-format.md §8).
//!
//! * [`split`] follows §8.4: a single message iff `15 + body ≤ chunk_size`, otherwise
//!   `ceil(body / E)` chunks, never an empty trailing chunk, every chunk ≤ `chunk_size`,
//!   request chunks carry the entity prefix.
//! * [`Reassembler`] accepts chunks in any order (and the reference SDK's empty final chunk),
//!   checks `1 ≤ chunkId ≤ chunkCount` and that chunks agree (including the repeated
//!   request entity prefix, which the SDK does not check), and is bounded by a maximum
//!   message size (counted from the data received, not from the chunkSize field), a maximum
//!   number of messages in progress, and expiry at a time the caller passes in. See
//!   [`Reassembler`] for every rule. A [`ReassemblyBudget`] shared by the reassemblers of
//!   all connections bounds what they hold together.

mod budget;
mod reassemble;
mod split;

pub use budget::ReassemblyBudget;
pub(crate) use reassemble::Assembled;
pub use reassemble::{Reassembler, ReassemblyError, ReassemblyLimits, MAX_REFUSED_REMEMBERED};
pub use split::{split, Split, SplitError, MIN_CHUNK_SIZE};
