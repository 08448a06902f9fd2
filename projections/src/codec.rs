//! Between domain events and the log's records.
//!
//! The log stores each event's payload alone (bincode), with its type name
//! and schema version in the envelope; [`decode`] reads it back through the
//! domain's `EventSeed`, where old schema versions are upcast.

use bincode::Options;
use leadline_domain::events::EventSeed;
use leadline_domain::{Actor, Event, StreamName};
use leadline_storage::{ExpectedVersion, NewEvent, RecordView, RecordedEvent, StreamAppend};
use uuid::Uuid;

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

/// Who and what caused the events of one command: stored in each event's
/// envelope for the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    pub actor: Actor,
    /// The command, request or webhook the events belong to.
    pub correlation_id: Uuid,
    /// The message that directly caused them, when it is another event.
    pub causation_id: Option<Uuid>,
}

impl Cause {
    /// A cause with a fresh correlation id.
    pub fn new(actor: Actor) -> Self {
        Cause {
            actor,
            correlation_id: Uuid::now_v7(),
            causation_id: None,
        }
    }
}

fn options() -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .allow_trailing_bytes()
        .with_limit(PAYLOAD_DECODE_BYTES_MAX)
}

/// One event as the log takes it, with a fresh time-ordered id.
pub fn encode(event: &Event, cause: &Cause) -> Result<NewEvent, CodecError> {
    let payload = bincode::serialize(&event.payload()).map_err(|e| CodecError::Encode {
        event_type: event.type_name().into(),
        detail: e.to_string(),
    })?;
    Ok(NewEvent {
        id: Uuid::now_v7(),
        event_type: event.type_name().into(),
        schema_version: event.schema_version(),
        actor: cause.actor.to_string(),
        correlation_id: Some(cause.correlation_id),
        causation_id: cause.causation_id,
        payload,
    })
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

/// The appends for a command's events, in their order: each run of
/// consecutive events of one stream becomes one [`StreamAppend`], the first
/// run of a stream checked against `expected`, later runs of the same
/// stream following on. The log commits them all or none.
pub fn appends(
    events: &[Event],
    cause: &Cause,
    mut expected: impl FnMut(&StreamName) -> ExpectedVersion,
) -> Result<Vec<StreamAppend>, CodecError> {
    let mut appends: Vec<(StreamName, StreamAppend)> = Vec::new();
    let mut seen = crate::hash::HashSet::default();
    for event in events {
        let stream = event.stream();
        let record = encode(event, cause)?;
        match appends.last_mut() {
            Some((last, append)) if *last == stream => append.events.push(record),
            _ => {
                let expected = if seen.insert(stream) {
                    expected(&stream)
                } else {
                    ExpectedVersion::Any
                };
                appends.push((
                    stream,
                    StreamAppend {
                        stream: stream.to_string(),
                        expected,
                        events: vec![record],
                    },
                ));
            }
        }
    }
    Ok(appends.into_iter().map(|(_, append)| append).collect())
}
