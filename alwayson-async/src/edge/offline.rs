//! The edge's offline store: pushes and events kept while they cannot be sent, replayed
//! once their thing is bound again (decisions in [`alwayson_proto::edge::offline`] and
//! [`alwayson_proto::edge::Replay`]; this file adds the durable log on disk).
//!
//! # API (also for the duty cycle and the EMS gateway)
//! * [`OfflineStore::memory`] or [`OfflineStore::durable`] (a directory holding
//!   `offline.log`), with [`OfflineLimits`] (bytes, messages, [`FullPolicy`]) and, for the
//!   durable one, a [`FsyncPolicy`].
//! * [`OfflineStore::store`] a request; [`OfflineStore::pump`] through an
//!   [`EdgeSession`] after each input; [`OfflineStore::handle_event`] with each session
//!   event (it takes the answers to replayed messages); [`OfflineStore::sync`] at the end
//!   of a batch; [`OfflineStore::stats`].
//!
//! # Durability
//! Every decision is appended to the log before it counts: `Stored` when a message enters,
//! `Done` when it is answered or dropped as the oldest. After `kill -9` the log is read
//! back: a torn or corrupt tail is cut off and reported ([`OfflineStore::recovered_tail`]),
//! never a panic. With [`FsyncPolicy::Never`] or [`FsyncPolicy::Batch`], a machine crash
//! (not a process kill: the OS keeps written data) can lose the records since the last
//! sync. The log is rewritten with only the held messages once it grows past twice the
//! byte limit (bounded on disk: at most about 2 × `max_bytes` plus per-record overhead).
//!
//! # Duplicates
//! At least once: a message answered by the platform whose `Done` record did not reach the
//! disk before the process died, or whose answer was lost with the connection, is sent
//! again.

use alwayson_proto::edge::offline_log::{scan, LogRecord, TailError, LOG_MAGIC};
use alwayson_proto::edge::{
    EdgeEvent, EdgeSession, OfflineQueue, OfflineStats, Replay, ReplayOutcome, StoreError,
};
use alwayson_proto::{Request, StatusCode};
use bytes::BytesMut;
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use alwayson_proto::edge::{FullPolicy, OfflineLimits};

/// When the durable log is flushed to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FsyncPolicy {
    /// After every record (slowest, nothing lost even on a power cut).
    Always,
    /// On [`OfflineStore::sync`], which the edge driver calls after each batch of work.
    #[default]
    Batch,
    /// Never (the OS writes back; a process kill loses nothing, a machine crash may).
    Never,
}

/// Why a store could not be opened or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OfflineError {
    /// The message was not stored (full, too large, not encodable).
    #[error(transparent)]
    Refused(#[from] StoreError),
    /// The store's directory or file could not be used.
    #[error("offline store {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The log does not start like a store log (another file, another version): left alone.
    #[error("offline store {path}: not a store log ({tail})")]
    NotALog {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        tail: TailError,
    },
}

/// A stored message the platform refused or that could not be sent: it left the store
/// (not retried for ever) and is reported to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refusal {
    /// Its sequence number in the store.
    pub seq: u64,
    /// The platform's status, when it answered.
    pub status: Option<StatusCode>,
    /// Why, as text.
    pub reason: String,
}

/// The log file in a durable store's directory.
pub const LOG_FILE: &str = "offline.log";

#[derive(Debug)]
struct Log {
    path: PathBuf,
    file: File,
    len: u64,
    fsync: FsyncPolicy,
    dirty: bool,
}

/// The offline store: an [`OfflineQueue`] replayed through a [`Replay`], in memory or with
/// a durable log. See the module documentation.
#[derive(Debug)]
pub struct OfflineStore {
    replay: Replay,
    log: Option<Log>,
    recovered_tail: Option<TailError>,
    write_errors: u64,
    refused: VecDeque<Refusal>,
}

impl OfflineStore {
    /// An in-memory store (lost with the process).
    pub fn memory(limits: OfflineLimits) -> Self {
        OfflineStore {
            replay: Replay::new(OfflineQueue::new(limits)),
            log: None,
            recovered_tail: None,
            write_errors: 0,
            refused: VecDeque::new(),
        }
    }

    /// A durable store in `dir` (created if missing): reads `offline.log` back (cutting a
    /// torn or corrupt tail off, see [`OfflineStore::recovered_tail`]) and appends to it.
    pub fn durable(
        dir: impl AsRef<Path>,
        limits: OfflineLimits,
        fsync: FsyncPolicy,
    ) -> Result<Self, OfflineError> {
        let dir = dir.as_ref();
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| OfflineError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(LOG_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io(&path))?;
        // A record holds at most one message: a length past the byte limit is corrupt.
        let s = scan(&bytes, limits.max_bytes.saturating_add(1024));
        if let Some(TailError::BadMagic) = s.tail {
            return Err(OfflineError::NotALog {
                path,
                tail: TailError::BadMagic,
            });
        }
        if let Some(tail) = &s.tail {
            tracing::warn!(path = %path.display(), %tail, cut = bytes.len() - s.valid_len,
                "offline store: cutting off a damaged tail");
        }
        let queue = OfflineQueue::restore(limits, s.records);
        let mut store = OfflineStore {
            replay: Replay::new(queue),
            log: None,
            recovered_tail: s.tail,
            write_errors: 0,
            refused: VecDeque::new(),
        };
        // Start from a clean, compact file (also removes the damaged tail).
        store.log = Some(Log {
            path,
            file,
            len: 0,
            fsync,
            dirty: false,
        });
        store.compact()?;
        Ok(store)
    }

    /// What was cut off the log's tail when it was opened, if anything.
    pub fn recovered_tail(&self) -> Option<&TailError> {
        self.recovered_tail.as_ref()
    }

    /// Figures: queued, bytes held, stored, replayed, done, dropped, refused.
    pub fn stats(&self) -> OfflineStats {
        self.replay.queue().stats()
    }

    /// Appends that failed (each logged; the store then keeps working in memory).
    pub fn write_errors(&self) -> u64 {
        self.write_errors
    }

    /// Size of the log on disk (0 in memory).
    pub fn log_len(&self) -> u64 {
        self.log.as_ref().map_or(0, |l| l.len)
    }

    /// Whether a request for `thing` must go through the store now (not authenticated,
    /// thing not bound, or older messages for it still held).
    pub fn should_store(&self, session: &EdgeSession, thing: &str) -> bool {
        self.replay.should_store(session, thing)
    }

    /// Stores a request. Messages dropped to make room are logged (warn) and counted. With
    /// a durable store the request is in the log (synced per the [`FsyncPolicy`]) when
    /// this returns `Ok`; a failed write is an error and the message is not kept.
    pub fn store(&mut self, request: &Request) -> Result<u64, OfflineError> {
        let stored = self.replay.store(request)?;
        for d in &stored.dropped {
            tracing::warn!(seq = d.seq, thing = %d.thing, "offline store full: oldest message dropped");
        }
        let mut records = vec![stored.record];
        records.extend(
            stored
                .dropped
                .iter()
                .map(|d| LogRecord::Done { seq: d.seq }),
        );
        if let Err(e) = self.append(&records) {
            // Not kept durably: take it back out so memory and disk agree.
            self.replay.take_back(stored.seq);
            return Err(e);
        }
        Ok(stored.seq)
    }

    /// Sends every stored message whose thing is bound on `session`'s connection.
    pub fn pump(&mut self, now: Instant, session: &mut EdgeSession) -> usize {
        let n = self.replay.pump(now, session);
        self.record_outcomes();
        n
    }

    /// Feeds a session event; `true` when it answered a replayed message (the caller
    /// should not treat it as its own).
    pub fn handle_event(&mut self, event: &EdgeEvent) -> bool {
        let taken = self.replay.handle_event(event);
        self.record_outcomes();
        taken
    }

    fn record_outcomes(&mut self) {
        let mut done = Vec::new();
        while let Some(outcome) = self.replay.poll_outcome() {
            match outcome {
                ReplayOutcome::Delivered { record, .. } => done.push(record),
                ReplayOutcome::Refused {
                    seq,
                    status,
                    record,
                } => {
                    tracing::warn!(seq, ?status, "stored message refused by the platform");
                    self.refused.push_back(Refusal {
                        seq,
                        status: Some(status),
                        reason: format!("refused by the platform: {status:?}"),
                    });
                    done.push(record);
                }
                ReplayOutcome::Unsendable { seq, error, record } => {
                    tracing::warn!(seq, %error, "stored message cannot be sent");
                    self.refused.push_back(Refusal {
                        seq,
                        status: None,
                        reason: error.to_string(),
                    });
                    done.push(record);
                }
                other => tracing::debug!(?other, "replay outcome"),
            }
        }
        if !done.is_empty() {
            let _ = self.append(&done);
        }
    }

    /// The next stored message that left the store unsuccessfully (refused or unsendable).
    pub fn poll_refused(&mut self) -> Option<Refusal> {
        self.refused.pop_front()
    }

    /// Flushes the log to the disk under [`FsyncPolicy::Batch`] (no-op otherwise).
    pub fn sync(&mut self) {
        if let Some(log) = &mut self.log {
            if log.fsync == FsyncPolicy::Batch && log.dirty {
                if let Err(e) = log.file.sync_data() {
                    tracing::warn!(path = %log.path.display(), error = %e, "offline store: fsync failed");
                    self.write_errors += 1;
                }
                log.dirty = false;
            }
        }
    }

    fn append(&mut self, records: &[LogRecord]) -> Result<(), OfflineError> {
        let Some(log) = &mut self.log else {
            return Ok(());
        };
        let mut buf = BytesMut::new();
        for r in records {
            r.encode_into(&mut buf);
        }
        let res = log.file.write_all(&buf).and_then(|()| {
            if log.fsync == FsyncPolicy::Always {
                log.file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(source) = res {
            self.write_errors += 1;
            tracing::warn!(path = %log.path.display(), error = %source, "offline store: append failed");
            return Err(OfflineError::Io {
                path: log.path.clone(),
                source,
            });
        }
        log.len += buf.len() as u64;
        log.dirty = true;
        let limit = (self.replay.queue().limits().max_bytes as u64)
            .saturating_mul(2)
            .max(64 << 10);
        if log.len > limit {
            self.compact()?;
        }
        Ok(())
    }

    /// Rewrites the log with only the held messages (temporary file, fsync, rename).
    fn compact(&mut self) -> Result<(), OfflineError> {
        let Some(log) = &mut self.log else {
            return Ok(());
        };
        let tmp = log.path.with_extension("log.tmp");
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| OfflineError::Io { path, source }
        };
        let mut buf = BytesMut::new();
        buf.extend_from_slice(LOG_MAGIC);
        for r in self.replay.queue().live_records() {
            r.encode_into(&mut buf);
        }
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(&buf).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &log.path).map_err(io(&log.path))?;
        if let Some(dir) = log.path.parent() {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        let file = OpenOptions::new()
            .append(true)
            .open(&log.path)
            .map_err(io(&log.path))?;
        log.file = file;
        log.len = buf.len() as u64;
        log.dirty = false;
        Ok(())
    }
}
