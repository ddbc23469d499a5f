//! The durable offline store's log format (sans-IO): what the runtime appends to its file
//! and how it reads the file back, detecting a torn or corrupt tail.
//!
//! A log is [`LOG_MAGIC`] followed by records. Each record is
//!
//! ```text
//! u32 BE  length of the payload (kind byte onwards)
//! u32 BE  CRC-32 (IEEE) of the payload
//! u8      kind: 0x01 = Stored, 0x02 = Done
//! u64 BE  sequence number
//! ...     Stored only: the thing name (u16 BE length + UTF-8 bytes), then the stored
//!         request encoded as a complete message with request id 0 and session id 0
//! ```
//!
//! A `Stored` record adds a message; a `Done` record says the message with that sequence
//! number has left the store (answered, or dropped as the oldest: the runtime counts that).
//! Reading stops at the first record that is incomplete (a torn write: the process died
//! mid-append), has a length over the limit or a wrong checksum, or does not parse: what
//! precedes it is kept, the rest is reported as [`TailError`] and is to be cut off.

use bytes::{BufMut, Bytes, BytesMut};

/// The eight bytes every log file starts with (name and format version 1).
pub const LOG_MAGIC: &[u8; 8] = b"AOSTORE1";

/// Bytes before a record's payload: length and checksum.
pub const RECORD_HEADER_LEN: usize = 8;

const KIND_STORED: u8 = 0x01;
const KIND_DONE: u8 = 0x02;

/// One record of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogRecord {
    /// A message entered the store.
    Stored {
        /// Store-wide sequence number (increasing).
        seq: u64,
        /// The thing the message addresses (replayed after this thing is bound again).
        thing: String,
        /// The request encoded as a complete message (request id and session id 0).
        message: Bytes,
    },
    /// The message with this sequence number left the store.
    Done {
        /// Its sequence number.
        seq: u64,
    },
}

impl LogRecord {
    /// Encoded size of this record, header included.
    pub fn encoded_len(&self) -> usize {
        RECORD_HEADER_LEN + self.payload_len()
    }

    fn payload_len(&self) -> usize {
        match self {
            LogRecord::Stored { thing, message, .. } => 1 + 8 + 2 + thing.len() + message.len(),
            LogRecord::Done { .. } => 1 + 8,
        }
    }

    /// Appends the record (header, then payload) to `buf`. A thing name longer than
    /// 65535 bytes is truncated at a character boundary (no thing name is that long: the
    /// wire's own strings cap it long before).
    pub fn encode_into(&self, buf: &mut BytesMut) {
        let mut payload = BytesMut::with_capacity(self.payload_len());
        match self {
            LogRecord::Stored {
                seq,
                thing,
                message,
            } => {
                let mut end = thing.len().min(usize::from(u16::MAX));
                while !thing.is_char_boundary(end) {
                    end -= 1;
                }
                payload.put_u8(KIND_STORED);
                payload.put_u64(*seq);
                payload.put_u16(end as u16);
                payload.put_slice(&thing.as_bytes()[..end]);
                payload.put_slice(message);
            }
            LogRecord::Done { seq } => {
                payload.put_u8(KIND_DONE);
                payload.put_u64(*seq);
            }
        }
        buf.reserve(RECORD_HEADER_LEN + payload.len());
        buf.put_u32(payload.len() as u32);
        buf.put_u32(crc32(&payload));
        buf.put_slice(&payload);
    }

    /// The record encoded on its own.
    pub fn encode(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.encode_into(&mut buf);
        buf.freeze()
    }
}

/// Why reading stopped before the end of the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TailError {
    /// The file does not start with [`LOG_MAGIC`] (not a store, or another version).
    #[error("not an offline store log (bad magic)")]
    BadMagic,
    /// The last record is incomplete: the process stopped in the middle of an append.
    #[error("torn record at offset {offset}: {have} of {need} bytes")]
    Torn {
        /// Offset of the record.
        offset: usize,
        /// Bytes present.
        have: usize,
        /// Bytes the record needs.
        need: usize,
    },
    /// A record's length is over the limit the reader was given.
    #[error("record at offset {offset} claims {len} bytes, over the limit of {max}")]
    TooLong {
        /// Offset of the record.
        offset: usize,
        /// The claimed payload length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A record's checksum does not match its payload.
    #[error("checksum mismatch in the record at offset {offset}")]
    Checksum {
        /// Offset of the record.
        offset: usize,
    },
    /// A record's payload does not parse (unknown kind, bad thing name).
    #[error("malformed record at offset {offset}")]
    Malformed {
        /// Offset of the record.
        offset: usize,
    },
}

/// What reading a log gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// The intact records, in order.
    pub records: Vec<LogRecord>,
    /// Length of the intact prefix (magic included): the file is to be truncated to it
    /// when `tail` is `Some`.
    pub valid_len: usize,
    /// Why reading stopped early, if it did.
    pub tail: Option<TailError>,
}

/// Reads a whole log. `max_payload` bounds the length a record may claim (a corrupt
/// length must not make the reader trust gigabytes). Never panics; an empty input is an
/// empty log whose magic is still to be written (`valid_len` 0).
pub fn scan(input: &[u8], max_payload: usize) -> Scan {
    let mut records = Vec::new();
    if input.is_empty() {
        return Scan {
            records,
            valid_len: 0,
            tail: None,
        };
    }
    if input.len() < LOG_MAGIC.len() || &input[..LOG_MAGIC.len()] != LOG_MAGIC {
        // A magic cut short by a crash while creating the file is a torn header.
        let tail = if input.len() < LOG_MAGIC.len() && LOG_MAGIC.starts_with(input) {
            TailError::Torn {
                offset: 0,
                have: input.len(),
                need: LOG_MAGIC.len(),
            }
        } else {
            TailError::BadMagic
        };
        return Scan {
            records,
            valid_len: 0,
            tail: Some(tail),
        };
    }
    let mut at = LOG_MAGIC.len();
    let tail = loop {
        let rest = &input[at..];
        if rest.is_empty() {
            break None;
        }
        if rest.len() < RECORD_HEADER_LEN {
            break Some(TailError::Torn {
                offset: at,
                have: rest.len(),
                need: RECORD_HEADER_LEN,
            });
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let sum = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if len > max_payload {
            break Some(TailError::TooLong {
                offset: at,
                len,
                max: max_payload,
            });
        }
        let need = RECORD_HEADER_LEN + len;
        if rest.len() < need {
            break Some(TailError::Torn {
                offset: at,
                have: rest.len(),
                need,
            });
        }
        let payload = &rest[RECORD_HEADER_LEN..need];
        if crc32(payload) != sum {
            break Some(TailError::Checksum { offset: at });
        }
        match parse_payload(payload) {
            Some(record) => records.push(record),
            None => break Some(TailError::Malformed { offset: at }),
        }
        at += need;
    };
    Scan {
        records,
        valid_len: at,
        tail,
    }
}

fn parse_payload(p: &[u8]) -> Option<LogRecord> {
    let (&kind, rest) = p.split_first()?;
    let seq = u64::from_be_bytes(rest.get(..8)?.try_into().ok()?);
    let rest = &rest[8..];
    match kind {
        KIND_DONE if rest.is_empty() => Some(LogRecord::Done { seq }),
        KIND_STORED => {
            let n = usize::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?));
            let thing = std::str::from_utf8(rest.get(2..2 + n)?).ok()?.to_owned();
            let message = Bytes::copy_from_slice(&rest[2 + n..]);
            Some(LogRecord::Stored {
                seq,
                thing,
                message,
            })
        }
        _ => None,
    }
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// CRC-32 (IEEE 802.3, the zlib/PNG one) of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c = CRC_TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    c ^ 0xFFFF_FFFF
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn log(records: &[LogRecord]) -> Vec<u8> {
        let mut buf = BytesMut::new();
        buf.put_slice(LOG_MAGIC);
        for r in records {
            r.encode_into(&mut buf);
        }
        buf.to_vec()
    }

    fn stored(seq: u64) -> LogRecord {
        LogRecord::Stored {
            seq,
            thing: format!("Pump{}", seq % 3),
            message: Bytes::from(vec![seq as u8; 20 + seq as usize]),
        }
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn records_round_trip() {
        let records = vec![stored(1), stored(2), LogRecord::Done { seq: 1 }, stored(3)];
        let bytes = log(&records);
        let s = scan(&bytes, 1 << 20);
        assert_eq!(s.tail, None);
        assert_eq!(s.records, records);
        assert_eq!(s.valid_len, bytes.len());
        assert_eq!(
            records.iter().map(LogRecord::encoded_len).sum::<usize>() + 8,
            bytes.len()
        );
    }

    #[test]
    fn every_cut_of_the_last_record_is_a_torn_tail_keeping_the_rest() {
        let records = vec![stored(1), stored(2)];
        let bytes = log(&records);
        let first_end = 8 + records[0].encoded_len();
        for cut in first_end + 1..bytes.len() {
            let s = scan(&bytes[..cut], 1 << 20);
            assert_eq!(s.records, records[..1], "cut at {cut}");
            assert_eq!(s.valid_len, first_end);
            assert!(matches!(s.tail, Some(TailError::Torn { offset, .. }) if offset == first_end));
        }
    }

    #[test]
    fn a_flipped_byte_is_a_checksum_error_and_nothing_after_it_is_trusted() {
        let records = vec![stored(1), stored(2), stored(3)];
        let mut bytes = log(&records);
        let second = 8 + records[0].encoded_len();
        bytes[second + RECORD_HEADER_LEN + 3] ^= 0x40;
        let s = scan(&bytes, 1 << 20);
        assert_eq!(s.records, records[..1]);
        assert_eq!(s.valid_len, second);
        assert_eq!(s.tail, Some(TailError::Checksum { offset: second }));
    }

    #[test]
    fn a_huge_length_is_refused_before_reading() {
        let mut bytes = log(&[stored(1)]);
        bytes.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]);
        let s = scan(&bytes, 4096);
        assert_eq!(s.records.len(), 1);
        assert!(matches!(s.tail, Some(TailError::TooLong { max: 4096, .. })));
    }

    #[test]
    fn bad_magic_torn_magic_and_empty_file() {
        assert_eq!(scan(b"", 10).tail, None);
        assert_eq!(scan(b"NOTASTORE", 10).tail, Some(TailError::BadMagic));
        assert!(matches!(
            scan(b"AOST", 10).tail,
            Some(TailError::Torn { offset: 0, .. })
        ));
    }

    #[test]
    fn a_valid_checksum_over_an_unknown_kind_is_malformed() {
        let payload = [0x07u8, 0, 0, 0, 0, 0, 0, 0, 1];
        let mut bytes = LOG_MAGIC.to_vec();
        bytes.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&crc32(&payload).to_be_bytes());
        bytes.extend_from_slice(&payload);
        assert_eq!(
            scan(&bytes, 100).tail,
            Some(TailError::Malformed { offset: 8 })
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut x = 0x1234_5678u32;
        for n in 0..2000usize {
            let mut bytes = LOG_MAGIC.to_vec();
            for _ in 0..(n % 97) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                bytes.push(x as u8);
            }
            let s = scan(&bytes, 64);
            assert!(s.valid_len <= bytes.len());
        }
    }
}
