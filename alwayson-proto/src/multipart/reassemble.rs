//! The receiver side: chunks in any order → one complete message.

use super::ReassemblyBudget;
use crate::codec::{
    Chunk, ChunkEntity, CodeKind, DecodeError, DecodeErrorKind, Decoded, Header, Message,
    MessageCode,
};
use bytes::{BufMut, Bytes, BytesMut};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Bounds on what a [`Reassembler`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReassemblyLimits {
    /// Largest reassembled body accepted, in bytes (checked as data arrives and against
    /// `chunk_count × chunk data` up front). Default 1 MiB (SDK 2.x `max_message_size`).
    ///
    /// The body counts the request entity prefix once plus every chunk's data; the chunkSize
    /// field of the chunks is not used. Up front, a chunkCount greater than this limit + 1
    /// is refused (every chunk but the last carries at least one byte).
    pub max_message_size: usize,
    /// Most messages in progress at once. Default 16.
    pub max_in_progress: usize,
    /// How long an incomplete message is kept after its first chunk. Default 50 s (SDK).
    pub expiry: Duration,
}

impl Default for ReassemblyLimits {
    fn default() -> Self {
        Self {
            max_message_size: 1024 * 1024,
            max_in_progress: 16,
            expiry: Duration::from_secs(50),
        }
    }
}

impl ReassemblyLimits {
    /// These limits with another largest body.
    pub fn with_max_message_size(mut self, max_message_size: usize) -> Self {
        self.max_message_size = max_message_size;
        self
    }

    /// These limits with another most messages in progress.
    pub fn with_max_in_progress(mut self, max_in_progress: usize) -> Self {
        self.max_in_progress = max_in_progress;
        self
    }

    /// These limits with another expiry.
    pub fn with_expiry(mut self, expiry: Duration) -> Self {
        self.expiry = expiry;
        self
    }
}

/// Why a chunk was refused. The reassembler stays usable after every error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReassemblyError {
    /// The message would exceed [`ReassemblyLimits::max_message_size`]; it is discarded.
    #[error("multipart message {request_id} exceeds {limit} bytes")]
    TooLarge {
        /// Request id of the message.
        request_id: u32,
        /// The configured limit.
        limit: usize,
    },
    /// [`ReassemblyLimits::max_in_progress`] messages are already in progress.
    #[error("too many multipart messages in progress (limit {limit})")]
    TooManyInProgress {
        /// The configured limit.
        limit: usize,
    },
    /// A chunk disagrees with earlier chunks of the same message (chunk count, code class,
    /// header) or has `chunkId` outside `1..=chunkCount`; the message is discarded.
    #[error("multipart message {request_id}: {what}")]
    Inconsistent {
        /// Request id of the message.
        request_id: u32,
        /// What disagreed.
        what: &'static str,
    },
    /// The shared [`ReassemblyBudget`] (all connections together) has no room for this
    /// chunk; the message is discarded, and its later chunks are dropped without another
    /// error until it would have expired.
    #[error("multipart message {request_id} refused: the reassembly budget of {budget} bytes for all connections is spent")]
    OverBudget {
        /// Request id of the message.
        request_id: u32,
        /// The budget's limit.
        budget: usize,
    },
    /// The reassembled body did not decode.
    #[error("reassembled message did not decode: {0}")]
    Decode(#[from] DecodeError),
}

/// The code classes messages are keyed by, besides the request id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum CodeClass {
    Request,
    Response,
    Bind,
    Unbind,
    Auth,
}

impl CodeClass {
    fn of(code: MessageCode) -> Option<Self> {
        match code.kind() {
            CodeKind::Request(_) => Some(CodeClass::Request),
            CodeKind::Response(_) => Some(CodeClass::Response),
            CodeKind::Bind => Some(CodeClass::Bind),
            CodeKind::Unbind => Some(CodeClass::Unbind),
            CodeKind::Auth => Some(CodeClass::Auth),
            CodeKind::Unsupported => None,
        }
    }
}

type Key = (u32, CodeClass);

/// One message in progress.
#[derive(Debug)]
struct Entry {
    header: Header,
    code: MessageCode,
    chunk_count: u16,
    entity: Option<ChunkEntity>,
    /// Received data slices by chunk id.
    parts: BTreeMap<u16, Bytes>,
    /// Body bytes so far: entity prefix (once) + data of every part.
    size: usize,
    expires: Instant,
}

/// Length of the canonical encoding of an entity prefix.
fn prefix_len(entity: &ChunkEntity) -> usize {
    1 + entity.entity_name.encoded_len()
}

/// Appends the canonical encoding of an entity prefix (type byte + string).
fn put_prefix(buf: &mut BytesMut, entity: &ChunkEntity) {
    buf.put_u8(entity.entity_type.as_u8());
    let name = entity.entity_name.as_bytes();
    if name.len() < 128 {
        buf.put_u8(name.len() as u8);
    } else {
        // `WireString` lengths on the wire are < 2^31 (the flag takes bit 31); a longer name
        // cannot have been received.
        buf.put_u32(name.len() as u32 | 0x8000_0000);
    }
    buf.extend_from_slice(name);
}

/// Reassembles multipart messages of one connection, keyed by (request id, code class).
///
/// # Decisions
///
/// * **Keying.** Messages are keyed by (request id, code class): requests, responses,
///   BIND, UNBIND and AUTH are separate classes, so a request and the response with the
///   same id never mix (the SDK keys by request id only, sdk-quirks.md Q12). One
///   `Reassembler` serves one connection.
/// * **Consistency.** Every chunk of a message must carry the same header (version,
///   endpoint id, session id), the same code byte and the same chunkCount, and
///   `1 ≤ chunkId ≤ chunkCount`. A request chunk must carry an entity prefix and other
///   chunks must not. Anything else is [`ReassemblyError::Inconsistent`] and the message is
///   discarded.
/// * **Entity prefix.** The SDK takes the prefix of chunk 1 and ignores the others
///   (Q13). This crate *rejects* a message whose chunks carry different prefixes
///   (`Inconsistent`): the reference SDK always repeats the same bytes, so a difference
///   means the chunks do not belong together. The prefix is re-encoded canonically at the
///   front of the reassembled body.
/// * **Size guard.** [`ReassemblyLimits::max_message_size`] bounds the reassembled *body*
///   (entity prefix plus every chunk's data), computed from the data actually received:
///   a message is rejected as soon as the accumulated data exceeds the limit. The chunkSize
///   field is the sender's configured maximum, not a size, and is ignored (the SDK's
///   `chunkCount × chunkSize > max` guard, Q9, rejects messages that would fit). Only the
///   final chunk may be empty (the SDK's exact-multiple quirk, Q8); an empty chunk before
///   the last is `Inconsistent`. Hence every message of chunkCount `n` holds at least
///   `n − 1` bytes, and a chunkCount above `max_message_size + 1` is rejected up front as
///   [`ReassemblyError::TooLarge`].
/// * **Memory.** Nothing is allocated in proportion to chunkCount: received chunks are kept
///   in a `BTreeMap` (one node per chunk actually received, each holding at least one data
///   byte except the last). The data shares the received buffers (no copy) until the
///   message completes; then it is copied once into a buffer of exactly the body's size.
///   (Shared buffers stay alive while a chunk is held: [`Reassembler::buffered_bytes`]
///   counts body bytes, not the websocket buffers they point into.)
/// * **Single-chunk messages** (chunkCount 1) are decoded at once and never occupy an
///   in-progress slot.
/// * **Expiry.** An incomplete message expires at (time of its first chunk) + `expiry`,
///   not refreshed by later chunks (as the SDK). It is gone at exactly that instant.
/// * **Shared budget.** With [`Reassembler::with_budget`], the body bytes of messages in
///   progress are also reserved in a [`ReassemblyBudget`] shared with other connections; a
///   chunk that does not fit is [`ReassemblyError::OverBudget`] and its message discarded.
///   The bytes go back when a message completes, is refused or expires, and on
///   [`clear`](Reassembler::clear) or drop. The later chunks of a message refused this way
///   (or for its size) are dropped without another error until it would have expired (at
///   most [`MAX_REFUSED_REMEMBERED`] such messages are remembered), so one refused message
///   gets one error, not one per chunk.
#[derive(Debug)]
pub struct Reassembler {
    limits: ReassemblyLimits,
    entries: HashMap<Key, Entry>,
    budget: Option<ReassemblyBudget>,
    /// Messages refused for their size or the budget, until their expiry.
    refused: VecDeque<(Key, Instant)>,
    /// Chunks dropped because their message had been refused.
    dropped_chunks: u64,
}

/// Most refused messages whose later chunks are dropped silently (see [`Reassembler`]).
pub const MAX_REFUSED_REMEMBERED: usize = 16;

impl Default for Reassembler {
    fn default() -> Self {
        Self::new(ReassemblyLimits::default())
    }
}

impl Reassembler {
    /// A reassembler with these limits.
    pub fn new(limits: ReassemblyLimits) -> Self {
        Self {
            limits,
            entries: HashMap::new(),
            budget: None,
            refused: VecDeque::new(),
            dropped_chunks: 0,
        }
    }

    /// A reassembler with these limits whose messages in progress also count against
    /// `budget` (shared with other connections).
    pub fn with_budget(limits: ReassemblyLimits, budget: ReassemblyBudget) -> Self {
        let mut r = Self::new(limits);
        r.budget = Some(budget);
        r
    }

    /// The shared budget, if any.
    pub fn budget(&self) -> Option<&ReassemblyBudget> {
        self.budget.as_ref()
    }

    /// Chunks dropped silently because their message had already been refused.
    pub fn dropped_chunks(&self) -> u64 {
        self.dropped_chunks
    }

    /// Gives `n` bytes back to the shared budget.
    fn release(&self, n: usize) {
        if let Some(b) = &self.budget {
            b.release(n);
        }
    }

    /// Forgets the message under `key`, giving its bytes back; returns it.
    fn discard(&mut self, key: &Key) -> Option<Entry> {
        let entry = self.entries.remove(key)?;
        self.release(entry.size);
        Some(entry)
    }

    /// Remembers that the message under `key` was refused at `now`.
    fn remember_refused(&mut self, key: Key, now: Instant) {
        if self.refused.len() == MAX_REFUSED_REMEMBERED {
            self.refused.pop_front();
        }
        self.refused.push_back((key, now + self.limits.expiry));
    }

    /// The limits in force.
    pub fn limits(&self) -> ReassemblyLimits {
        self.limits
    }

    /// Adds a chunk received at `now`. Returns the complete message once every chunk is in.
    /// A duplicate chunk replaces the earlier copy. Expired messages are dropped first.
    ///
    /// On error the chunk is dropped, and, except for
    /// [`ReassemblyError::TooManyInProgress`] (which concerns a message not yet started),
    /// so is everything held for its message.
    pub fn push(
        &mut self,
        now: Instant,
        chunk: Chunk,
    ) -> Result<Option<Decoded<Message>>, ReassemblyError> {
        match self.push_assembled(now, chunk)? {
            Some(a) => Ok(Some(a.decode()?)),
            None => Ok(None),
        }
    }

    /// [`push`](Self::push), returning the complete body undecoded (for a caller that
    /// chooses its decode by what the message is).
    pub(crate) fn push_assembled(
        &mut self,
        now: Instant,
        chunk: Chunk,
    ) -> Result<Option<Assembled>, ReassemblyError> {
        self.expire(now);
        let request_id = chunk.header.request_id;
        let inconsistent = |what| ReassemblyError::Inconsistent { request_id, what };
        let class = CodeClass::of(chunk.code).ok_or_else(|| {
            ReassemblyError::Decode(DecodeError::new(
                1,
                DecodeErrorKind::UnsupportedMessageCode(chunk.code.0),
            ))
        })?;
        let key = (request_id, class);
        if self.refused.iter().any(|(k, _)| *k == key) {
            self.dropped_chunks += 1;
            return Ok(None);
        }
        match self.check_chunk(&chunk, class) {
            Ok(()) => {}
            Err(what) => {
                self.discard(&key);
                return Err(inconsistent(what));
            }
        }
        let limit = self.limits.max_message_size;
        let too_large = ReassemblyError::TooLarge { request_id, limit };
        if usize::from(chunk.chunk_count) - 1 > limit {
            self.discard(&key);
            self.remember_refused(key, now);
            return Err(too_large);
        }

        if chunk.chunk_count == 1 {
            // Complete on its own; if an entry exists under this key, the chunk counts
            // disagree.
            if self.discard(&key).is_some() {
                return Err(inconsistent("chunk count differs between chunks"));
            }
            let prefix = chunk.entity.as_ref().map_or(0, prefix_len);
            if prefix + chunk.data.len() > limit {
                return Err(too_large);
            }
            let mut parts = BTreeMap::new();
            parts.insert(1, chunk.data);
            return assemble(chunk.header, chunk.code, chunk.entity.as_ref(), &parts).map(Some);
        }

        let budget_limit = self.budget.as_ref().map_or(0, ReassemblyBudget::limit);
        let over_budget = ReassemblyError::OverBudget {
            request_id,
            budget: budget_limit,
        };
        let budget = self.budget.clone();
        let reserve = |n: usize| budget.as_ref().map_or(true, |b| b.try_reserve(n));
        let entry = match self.entries.get_mut(&key) {
            Some(entry) => {
                let what = if entry.chunk_count != chunk.chunk_count {
                    Some("chunk count differs between chunks")
                } else if entry.code != chunk.code {
                    Some("code differs between chunks")
                } else if entry.header != chunk.header {
                    Some("header differs between chunks")
                } else if entry.entity != chunk.entity {
                    Some("entity prefix differs between chunks")
                } else {
                    None
                };
                if let Some(what) = what {
                    self.discard(&key);
                    return Err(inconsistent(what));
                }
                let old = entry.parts.get(&chunk.chunk_id).map_or(0, Bytes::len);
                let size = entry.size - old + chunk.data.len();
                if size > limit {
                    self.discard(&key);
                    self.remember_refused(key, now);
                    return Err(too_large);
                }
                if size > entry.size && !reserve(size - entry.size) {
                    self.discard(&key);
                    self.remember_refused(key, now);
                    return Err(over_budget);
                }
                if size < entry.size {
                    let freed = entry.size - size;
                    if let Some(b) = &budget {
                        b.release(freed);
                    }
                }
                entry.size = size;
                entry.parts.insert(chunk.chunk_id, chunk.data);
                entry
            }
            None => {
                let size = chunk.entity.as_ref().map_or(0, prefix_len) + chunk.data.len();
                if size > limit {
                    return Err(too_large);
                }
                if self.entries.len() >= self.limits.max_in_progress {
                    return Err(ReassemblyError::TooManyInProgress {
                        limit: self.limits.max_in_progress,
                    });
                }
                if !reserve(size) {
                    self.remember_refused(key, now);
                    return Err(over_budget);
                }
                let mut parts = BTreeMap::new();
                parts.insert(chunk.chunk_id, chunk.data);
                self.entries.entry(key).or_insert(Entry {
                    header: chunk.header,
                    code: chunk.code,
                    chunk_count: chunk.chunk_count,
                    entity: chunk.entity,
                    parts,
                    size,
                    expires: now + self.limits.expiry,
                })
            }
        };
        if entry.parts.len() < usize::from(entry.chunk_count) {
            return Ok(None);
        }
        match self.discard(&key) {
            Some(e) => assemble(e.header, e.code, e.entity.as_ref(), &e.parts).map(Some),
            None => Ok(None), // unreachable: the entry was just updated
        }
    }

    /// Checks a chunk on its own; `Err` names what is wrong.
    fn check_chunk(&self, chunk: &Chunk, class: CodeClass) -> Result<(), &'static str> {
        if chunk.chunk_count == 0 {
            return Err("chunk count is 0");
        }
        if chunk.chunk_id == 0 || chunk.chunk_id > chunk.chunk_count {
            return Err("chunk id outside 1..=chunk count");
        }
        if (class == CodeClass::Request) != chunk.entity.is_some() {
            return Err("entity prefix present on a non-request or missing on a request");
        }
        if chunk.data.is_empty() && chunk.chunk_id != chunk.chunk_count {
            return Err("empty chunk before the last");
        }
        Ok(())
    }

    /// Drops every incomplete message whose expiry is at or before `now`; returns how many.
    pub fn expire(&mut self, now: Instant) -> usize {
        self.refused.retain(|(_, expires)| *expires > now);
        let before = self.entries.len();
        let mut freed = 0;
        self.entries.retain(|_, e| {
            let keep = e.expires > now;
            if !keep {
                freed += e.size;
            }
            keep
        });
        self.release(freed);
        before - self.entries.len()
    }

    /// The earliest expiry among messages in progress.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.entries.values().map(|e| e.expires).min()
    }

    /// Number of messages in progress.
    pub fn in_progress(&self) -> usize {
        self.entries.len()
    }

    /// Body bytes held for messages in progress (entity prefixes and chunk data).
    pub fn buffered_bytes(&self) -> usize {
        self.entries.values().map(|e| e.size).sum()
    }

    /// Drops every message in progress (e.g. when the connection closes).
    pub fn clear(&mut self) {
        self.release(self.buffered_bytes());
        self.entries.clear();
        self.refused.clear();
    }
}

impl Drop for Reassembler {
    /// Gives the bytes of messages still in progress back to the shared budget.
    fn drop(&mut self) {
        self.release(self.buffered_bytes());
    }
}

/// A complete multipart message, its body not decoded yet.
#[derive(Debug)]
pub(crate) struct Assembled {
    /// The header the chunks carried.
    pub header: Header,
    /// The code the chunks carried.
    pub code: MessageCode,
    /// The body: the entity prefix (requests) and every chunk's data, in order.
    pub body: Bytes,
}

impl Assembled {
    /// The owned decode of the body (error offsets relative to the body).
    pub fn decode(self) -> Result<Decoded<Message>, DecodeError> {
        Message::decode_body(self.header, self.code, self.body)
    }
}

/// Concatenates the prefix and the parts (in chunk id order) into one buffer of exact size.
fn assemble(
    header: Header,
    code: MessageCode,
    entity: Option<&ChunkEntity>,
    parts: &BTreeMap<u16, Bytes>,
) -> Result<Assembled, ReassemblyError> {
    let size = entity.map_or(0, prefix_len) + parts.values().map(Bytes::len).sum::<usize>();
    let mut body = BytesMut::with_capacity(size);
    if let Some(entity) = entity {
        put_prefix(&mut body, entity);
    }
    for part in parts.values() {
        body.extend_from_slice(part);
    }
    debug_assert_eq!(body.len(), size);
    Ok(Assembled {
        header,
        code,
        body: body.freeze(),
    })
}

#[cfg(test)]
mod tests {
    //! Paths that never reach the body decoder; complete messages are tested in
    //! `tests/multipart.rs`.
    use super::*;
    use crate::codec::EntityType;

    fn chunk(request_id: u32, code: u8, id: u16, count: u16, data: &'static [u8]) -> Chunk {
        let code = MessageCode(code);
        Chunk {
            header: Header::new(request_id, 5),
            code,
            chunk_id: id,
            chunk_count: count,
            chunk_size: 8192,
            entity: code.is_request().then(|| ChunkEntity {
                entity_type: EntityType::Thing,
                entity_name: "T".into(),
            }),
            data: Bytes::from_static(data),
        }
    }

    fn limits(max_message_size: usize, max_in_progress: usize) -> ReassemblyLimits {
        ReassemblyLimits {
            max_message_size,
            max_in_progress,
            expiry: Duration::from_secs(50),
        }
    }

    #[test]
    fn keyed_by_request_id_and_code_class() {
        let mut r = Reassembler::default();
        let now = Instant::now();
        for code in [0x01, 0x40, 0x0A, 0x0B, 0x14] {
            assert_eq!(r.push(now, chunk(1, code, 1, 2, b"ab")), Ok(None));
        }
        assert_eq!(r.in_progress(), 5);
        // Same class, same id: the same message (a duplicate here).
        assert_eq!(
            r.push(now, chunk(1, 0x02, 1, 2, b"ab")),
            Err(ReassemblyError::Inconsistent {
                request_id: 1,
                what: "code differs between chunks"
            })
        );
        assert_eq!(r.in_progress(), 4);
        assert_eq!(r.buffered_bytes(), 8);
        r.clear();
        assert_eq!(r.in_progress(), 0);
    }

    #[test]
    fn duplicate_replaces_and_recounts_size() {
        let mut r = Reassembler::new(limits(10, 4));
        let now = Instant::now();
        assert_eq!(r.push(now, chunk(1, 0x40, 1, 3, b"abcdef")), Ok(None));
        assert_eq!(r.push(now, chunk(1, 0x40, 1, 3, b"abc")), Ok(None));
        assert_eq!(r.buffered_bytes(), 3);
        assert_eq!(r.push(now, chunk(1, 0x40, 2, 3, b"defghij")), Ok(None));
        assert_eq!(r.buffered_bytes(), 10);
        assert_eq!(
            r.push(now, chunk(1, 0x40, 2, 3, b"defghijk")),
            Err(ReassemblyError::TooLarge {
                request_id: 1,
                limit: 10
            })
        );
        assert_eq!(r.in_progress(), 0);
        assert_eq!(r.buffered_bytes(), 0);
    }

    #[test]
    fn request_prefix_counts_towards_size() {
        // Prefix THING "T" = 3 bytes.
        let mut r = Reassembler::new(limits(5, 4));
        let now = Instant::now();
        assert_eq!(r.push(now, chunk(1, 0x02, 2, 2, b"ab")), Ok(None));
        assert_eq!(r.buffered_bytes(), 5);
        assert!(matches!(
            r.push(now, chunk(1, 0x02, 1, 2, b"c")),
            Err(ReassemblyError::TooLarge { .. })
        ));
    }

    #[test]
    fn per_chunk_validation() {
        let mut r = Reassembler::default();
        let now = Instant::now();
        let inconsistent = |res| matches!(res, Err(ReassemblyError::Inconsistent { .. }));
        assert!(inconsistent(r.push(now, chunk(1, 0x40, 0, 2, b"a"))));
        assert!(inconsistent(r.push(now, chunk(1, 0x40, 3, 2, b"a"))));
        assert!(inconsistent(r.push(now, chunk(1, 0x40, 1, 0, b"a"))));
        assert!(inconsistent(r.push(now, chunk(1, 0x40, 1, 2, b""))));
        let mut c = chunk(1, 0x40, 1, 2, b"a");
        c.entity = Some(ChunkEntity {
            entity_type: EntityType::Thing,
            entity_name: "T".into(),
        });
        assert!(inconsistent(r.push(now, c)));
        let mut c = chunk(1, 0x01, 1, 2, b"a");
        c.entity = None;
        assert!(inconsistent(r.push(now, c)));
        assert!(matches!(
            r.push(now, chunk(1, 0x1F, 1, 2, b"a")),
            Err(ReassemblyError::Decode(_))
        ));
        // An empty *final* chunk is fine.
        assert_eq!(r.push(now, chunk(1, 0x40, 2, 2, b"")), Ok(None));
        assert_eq!(r.in_progress(), 1);
    }

    #[test]
    fn chunk_count_that_cannot_fit_is_refused_up_front() {
        let mut r = Reassembler::new(limits(100, 4));
        let now = Instant::now();
        assert_eq!(r.push(now, chunk(1, 0x40, 1, 101, b"a")), Ok(None));
        assert_eq!(
            r.push(now, chunk(2, 0x40, 1, 102, b"a")),
            Err(ReassemblyError::TooLarge {
                request_id: 2,
                limit: 100
            })
        );
        assert_eq!(r.in_progress(), 1);
    }

    #[test]
    fn in_progress_limit_and_expiry() {
        let mut r = Reassembler::new(limits(1000, 2));
        let t0 = Instant::now();
        assert_eq!(r.push(t0, chunk(1, 0x40, 1, 2, b"a")), Ok(None));
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(r.push(t1, chunk(2, 0x40, 1, 2, b"a")), Ok(None));
        assert_eq!(
            r.push(t1, chunk(3, 0x40, 1, 2, b"a")),
            Err(ReassemblyError::TooManyInProgress { limit: 2 })
        );
        assert_eq!(r.in_progress(), 2);
        assert_eq!(r.next_expiry(), Some(t0 + Duration::from_secs(50)));
        // At exactly t0 + 50 s, message 1 is gone and message 3 finds a free slot.
        let t50 = t0 + Duration::from_secs(50);
        assert_eq!(r.push(t50, chunk(3, 0x40, 1, 2, b"a")), Ok(None));
        assert_eq!(r.in_progress(), 2);
        assert_eq!(r.next_expiry(), Some(t1 + Duration::from_secs(50)));
        assert_eq!(r.expire(t50 + Duration::from_secs(60)), 2);
        assert_eq!(r.next_expiry(), None);
    }

    #[test]
    fn the_shared_budget_bounds_all_reassemblers_and_is_given_back() {
        let budget = ReassemblyBudget::new(10);
        let mut a = Reassembler::with_budget(limits(1000, 8), budget.clone());
        let mut b = Reassembler::with_budget(limits(1000, 8), budget.clone());
        let now = Instant::now();
        assert_eq!(a.push(now, chunk(1, 0x40, 1, 3, b"abcd")), Ok(None));
        assert_eq!(b.push(now, chunk(1, 0x40, 1, 3, b"efgh")), Ok(None));
        assert_eq!(budget.used(), 8);
        // 3 more bytes for `b` do not fit: its message is discarded and its bytes returned.
        assert_eq!(
            b.push(now, chunk(1, 0x40, 2, 3, b"ijk")),
            Err(ReassemblyError::OverBudget {
                request_id: 1,
                budget: 10
            })
        );
        assert_eq!(b.in_progress(), 0);
        assert_eq!(budget.used(), 4);
        // The rest of the refused message is dropped without another error.
        assert_eq!(b.push(now, chunk(1, 0x40, 3, 3, b"l")), Ok(None));
        assert_eq!(b.in_progress(), 0);
        assert_eq!(b.dropped_chunks(), 1);
        // A new message of `b` fits again.
        assert_eq!(b.push(now, chunk(2, 0x40, 1, 2, b"xy")), Ok(None));
        assert_eq!(budget.used(), 6);
        // `a` completes: its bytes go back (the body does not decode, which is beside
        // the point here).
        let _ = a.push(now, chunk(1, 0x40, 2, 3, b"e"));
        let _ = a.push(now, chunk(1, 0x40, 3, 3, b"f"));
        assert_eq!(a.in_progress(), 0);
        assert_eq!(budget.used(), 2);
        // Expiry and drop give the rest back.
        assert_eq!(b.push(now, chunk(3, 0x40, 1, 2, b"zz")), Ok(None));
        assert_eq!(budget.used(), 4);
        assert_eq!(b.expire(now + Duration::from_secs(50)), 2);
        assert_eq!(budget.used(), 0);
        assert_eq!(a.push(now, chunk(4, 0x40, 1, 2, b"abc")), Ok(None));
        assert_eq!(budget.used(), 3);
        drop(a);
        assert_eq!(budget.used(), 0);
        // After its expiry a refused message's id may start over.
        let later = now + Duration::from_secs(51);
        assert_eq!(b.push(later, chunk(1, 0x40, 1, 3, b"abc")), Ok(None));
        assert_eq!(b.in_progress(), 1);
        b.clear();
        assert_eq!(budget.used(), 0);
    }
}
