//! From the log's records back to domain events: the read side of the
//! record format (the write side, `leadline::write::record`, encodes).
//!
//! The log stores each event's payload alone (bincode), with its type name
//! and schema version in the envelope; [`decode`] reads it back through the
//! domain's `EventSeed`, where old schema versions are upcast.

use bincode::Options;
use leadline_domain::events::EventSeed;
use leadline_domain::Event;
use leadline_storage::{RecordView, RecordedEvent};

/// Payloads larger than this are refused when decoding, whatever a
/// (corrupted) length prefix claims.
pub const PAYLOAD_DECODE_BYTES_MAX: u64 = 1024 * 1024;

/// Why an event could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("the event at position {position} ({event_type} v{schema_version}) does not decode: {detail}")]
    Decode {
        position: u64,
        event_type: String,
        schema_version: u16,
        detail: String,
    },
    #[error("{event_type} does not encode: {detail}")]
    Encode { event_type: String, detail: String },
}

fn options() -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .allow_trailing_bytes()
        .with_limit(PAYLOAD_DECODE_BYTES_MAX)
}

/// The domain event stored in a record.
pub fn decode(view: &RecordView<'_>) -> Result<Event, CodecError> {
    decode_payload(
        view.position(),
        view.event_type(),
        view.schema_version(),
        view.payload(),
    )
}

/// The domain event of a record read as an owned [`RecordedEvent`].
pub fn decode_recorded(recorded: &RecordedEvent) -> Result<Event, CodecError> {
    decode_payload(
        recorded.position,
        &recorded.event_type,
        recorded.schema_version,
        &recorded.payload,
    )
}

fn decode_payload(
    position: u64,
    event_type: &str,
    schema_version: u16,
    payload: &[u8],
) -> Result<Event, CodecError> {
    let seed = EventSeed {
        type_name: event_type,
        schema_version,
    };
    options()
        .deserialize_seed(seed, payload)
        .map_err(|e| CodecError::Decode {
            position,
            event_type: event_type.into(),
            schema_version,
            detail: e.to_string(),
        })
}
