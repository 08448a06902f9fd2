//! The stored form of one event: the envelope and its payload.
//!
//! Layout of format 1 (all integers big-endian):
//!
//! ```text
//!   0  format          u8   = 1 (a future codec gets a new number)
//!   1  schema_version  u16  the payload's own version, for upcasting
//!   3  position        u64  global, gapless, from 1
//!  11  stream_version  u64  per stream, gapless, from 1
//!  19  recorded_at_us  i64  microseconds since the Unix epoch, UTC
//!  27  event id        16   unique in the log
//!  43  correlation id  16   nil = none
//!  59  causation id    16   nil = none
//!  75  prev_hash       32   chain hash of the event at position - 1 (zeros for 1)
//! 107  stream len      u16
//! 109  type len        u16
//! 111  actor len       u16
//! 113  payload len     u32
//! 117  stream, type, actor (UTF-8), payload (bincode, opaque here)
//! end-4 checksum       u32  CRC-32C of every byte before it
//! ```
//!
//! The chain hash of an event is BLAKE3 over all its stored bytes, so each
//! record commits to its predecessor: altering any event breaks the link
//! stored in the next one, which `verify` reports.

use serde::Serialize;
use uuid::Uuid;

/// The first byte of every record written by this version.
pub const FORMAT_V1: u8 = 1;
/// BLAKE3 output length.
pub const HASH_LEN: usize = 32;
/// The chain hash of an event.
pub type ChainHash = [u8; HASH_LEN];
/// The `prev_hash` of the event at position 1.
pub const GENESIS_HASH: ChainHash = [0; HASH_LEN];

const HEADER_LEN: usize = 117;
const CHECKSUM_LEN: usize = 4;

/// An event as a caller hands it to the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Unique per event; appending an id that is already in the log returns
    /// its original position instead of writing it again.
    pub id: Uuid,
    pub event_type: String,
    pub schema_version: u16,
    /// Who caused it, e.g. `user:u_42`, `provider:twilio`, `system:dialer`.
    pub actor: String,
    /// The command or webhook this event belongs to.
    pub correlation_id: Option<Uuid>,
    /// The message (event or command) that directly caused this one.
    pub causation_id: Option<Uuid>,
    pub payload: Vec<u8>,
}

/// An event as the log holds it: the envelope and the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedEvent {
    pub position: u64,
    pub stream: String,
    pub stream_version: u64,
    pub id: Uuid,
    pub event_type: String,
    pub schema_version: u16,
    pub recorded_at_us: i64,
    pub actor: String,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    #[serde(skip)]
    pub payload: Vec<u8>,
    #[serde(skip)]
    pub prev_hash: ChainHash,
}

impl RecordedEvent {
    /// The recorded time as a UTC timestamp.
    pub fn recorded_at(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_micros(self.recorded_at_us).unwrap_or_default()
    }
}

/// Why a stored record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("record is {0} bytes, shorter than any valid record")]
    TooShort(usize),
    #[error("unknown record format {0}")]
    UnknownFormat(u8),
    #[error("checksum mismatch: stored {stored:08x}, computed {computed:08x}")]
    Checksum { stored: u32, computed: u32 },
    #[error("field lengths add up to {declared} bytes but the record holds {actual}")]
    Length { declared: usize, actual: usize },
    #[error("the {0} is not valid UTF-8")]
    Utf8(&'static str),
}

/// The envelope fields of a record about to be written.
pub(crate) struct Envelope<'a> {
    pub position: u64,
    pub stream: &'a str,
    pub stream_version: u64,
    pub recorded_at_us: i64,
    pub prev_hash: &'a ChainHash,
    pub event: &'a NewEvent,
}

/// Encodes one record. Lengths have been checked against the limits already.
pub(crate) fn encode(envelope: &Envelope<'_>) -> Vec<u8> {
    let event = envelope.event;
    let var_len = envelope.stream.len() + event.event_type.len() + event.actor.len();
    let mut out = Vec::with_capacity(HEADER_LEN + var_len + event.payload.len() + CHECKSUM_LEN);
    out.push(FORMAT_V1);
    out.extend_from_slice(&event.schema_version.to_be_bytes());
    out.extend_from_slice(&envelope.position.to_be_bytes());
    out.extend_from_slice(&envelope.stream_version.to_be_bytes());
    out.extend_from_slice(&envelope.recorded_at_us.to_be_bytes());
    out.extend_from_slice(event.id.as_bytes());
    out.extend_from_slice(event.correlation_id.unwrap_or_default().as_bytes());
    out.extend_from_slice(event.causation_id.unwrap_or_default().as_bytes());
    out.extend_from_slice(envelope.prev_hash);
    out.extend_from_slice(&len_u16(envelope.stream.len()).to_be_bytes());
    out.extend_from_slice(&len_u16(event.event_type.len()).to_be_bytes());
    out.extend_from_slice(&len_u16(event.actor.len()).to_be_bytes());
    out.extend_from_slice(&len_u32(event.payload.len()).to_be_bytes());
    debug_assert_eq!(out.len(), HEADER_LEN);
    out.extend_from_slice(envelope.stream.as_bytes());
    out.extend_from_slice(event.event_type.as_bytes());
    out.extend_from_slice(event.actor.as_bytes());
    out.extend_from_slice(&event.payload);
    let checksum = crc32c::crc32c(&out);
    out.extend_from_slice(&checksum.to_be_bytes());
    out
}

fn len_u16(len: usize) -> u16 {
    // Limits keep these far below u16::MAX; saturate rather than wrap.
    u16::try_from(len).unwrap_or(u16::MAX)
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// A decoded, checksum-verified view into a stored record. Borrowing, so
/// replaying the log allocates nothing per event.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    bytes: &'a [u8],
    stream: &'a str,
    event_type: &'a str,
    actor: &'a str,
    payload: &'a [u8],
}

impl<'a> RecordView<'a> {
    /// Checks the format byte, the lengths and the checksum, then exposes
    /// the fields.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
            return Err(DecodeError::TooShort(bytes.len()));
        }
        if bytes[0] != FORMAT_V1 {
            return Err(DecodeError::UnknownFormat(bytes[0]));
        }
        let body_len = bytes.len() - CHECKSUM_LEN;
        let stored = u32::from_be_bytes(array(&bytes[body_len..]));
        let computed = crc32c::crc32c(&bytes[..body_len]);
        if stored != computed {
            return Err(DecodeError::Checksum { stored, computed });
        }
        let stream_len = usize::from(u16::from_be_bytes(array(&bytes[107..109])));
        let type_len = usize::from(u16::from_be_bytes(array(&bytes[109..111])));
        let actor_len = usize::from(u16::from_be_bytes(array(&bytes[111..113])));
        let payload_len = u32::from_be_bytes(array(&bytes[113..117])) as usize;
        let declared = HEADER_LEN + stream_len + type_len + actor_len + payload_len;
        if declared != body_len {
            return Err(DecodeError::Length {
                declared,
                actual: body_len,
            });
        }
        let (stream, rest) = bytes[HEADER_LEN..body_len].split_at(stream_len);
        let (event_type, rest) = rest.split_at(type_len);
        let (actor, payload) = rest.split_at(actor_len);
        Ok(RecordView {
            bytes,
            stream: std::str::from_utf8(stream).map_err(|_| DecodeError::Utf8("stream name"))?,
            event_type: std::str::from_utf8(event_type)
                .map_err(|_| DecodeError::Utf8("event type"))?,
            actor: std::str::from_utf8(actor).map_err(|_| DecodeError::Utf8("actor"))?,
            payload,
        })
    }

    pub fn schema_version(&self) -> u16 {
        u16::from_be_bytes(array(&self.bytes[1..3]))
    }
    pub fn position(&self) -> u64 {
        u64::from_be_bytes(array(&self.bytes[3..11]))
    }
    pub fn stream_version(&self) -> u64 {
        u64::from_be_bytes(array(&self.bytes[11..19]))
    }
    pub fn recorded_at_us(&self) -> i64 {
        i64::from_be_bytes(array(&self.bytes[19..27]))
    }
    pub fn id(&self) -> Uuid {
        Uuid::from_bytes(array(&self.bytes[27..43]))
    }
    pub fn correlation_id(&self) -> Option<Uuid> {
        non_nil(Uuid::from_bytes(array(&self.bytes[43..59])))
    }
    pub fn causation_id(&self) -> Option<Uuid> {
        non_nil(Uuid::from_bytes(array(&self.bytes[59..75])))
    }
    pub fn prev_hash(&self) -> ChainHash {
        array(&self.bytes[75..107])
    }
    pub fn stream(&self) -> &'a str {
        self.stream
    }
    pub fn event_type(&self) -> &'a str {
        self.event_type
    }
    pub fn actor(&self) -> &'a str {
        self.actor
    }
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
    /// The stored bytes, exactly.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// This event's chain hash: what the next event stores as `prev_hash`.
    pub fn chain_hash(&self) -> ChainHash {
        chain_hash(self.bytes)
    }

    pub fn to_owned_event(&self) -> RecordedEvent {
        RecordedEvent {
            position: self.position(),
            stream: self.stream.to_owned(),
            stream_version: self.stream_version(),
            id: self.id(),
            event_type: self.event_type.to_owned(),
            schema_version: self.schema_version(),
            recorded_at_us: self.recorded_at_us(),
            actor: self.actor.to_owned(),
            correlation_id: self.correlation_id(),
            causation_id: self.causation_id(),
            payload: self.payload.to_vec(),
            prev_hash: self.prev_hash(),
        }
    }
}

/// BLAKE3 of a record's stored bytes.
pub fn chain_hash(record: &[u8]) -> ChainHash {
    *blake3::hash(record).as_bytes()
}

/// Lower-case hex of a hash, for reports.
pub fn hex(hash: &ChainHash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

fn non_nil(id: Uuid) -> Option<Uuid> {
    (!id.is_nil()).then_some(id)
}

/// Copies a slice whose length the caller has already fixed.
fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[..N]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NewEvent {
        NewEvent {
            id: Uuid::from_u128(7),
            event_type: "LeadImported".into(),
            schema_version: 3,
            actor: "user:u_1".into(),
            correlation_id: Some(Uuid::from_u128(8)),
            causation_id: None,
            payload: vec![1, 2, 3],
        }
    }

    #[test]
    fn encode_then_parse_gives_every_field_back() {
        let event = sample();
        let prev = [9u8; 32];
        let bytes = encode(&Envelope {
            position: 5,
            stream: "campaign-1",
            stream_version: 2,
            recorded_at_us: 1_700_000_000_000_000,
            prev_hash: &prev,
            event: &event,
        });
        let view = RecordView::parse(&bytes).expect("valid record");
        assert_eq!(view.position(), 5);
        assert_eq!(view.stream(), "campaign-1");
        assert_eq!(view.stream_version(), 2);
        assert_eq!(view.recorded_at_us(), 1_700_000_000_000_000);
        assert_eq!(view.id(), event.id);
        assert_eq!(view.event_type(), "LeadImported");
        assert_eq!(view.schema_version(), 3);
        assert_eq!(view.actor(), "user:u_1");
        assert_eq!(view.correlation_id(), event.correlation_id);
        assert_eq!(view.causation_id(), None);
        assert_eq!(view.payload(), &[1, 2, 3]);
        assert_eq!(view.prev_hash(), prev);
    }

    #[test]
    fn any_flipped_byte_is_detected() {
        let event = sample();
        let bytes = encode(&Envelope {
            position: 1,
            stream: "s",
            stream_version: 1,
            recorded_at_us: 0,
            prev_hash: &GENESIS_HASH,
            event: &event,
        });
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(
                RecordView::parse(&bad).is_err(),
                "flip at byte {i} went unnoticed"
            );
        }
        assert!(matches!(
            RecordView::parse(&bytes[..10]),
            Err(DecodeError::TooShort(10))
        ));
    }
}
