//! Domain events into the log's records: the write side of the format
//! whose read side is `leadline_projections::codec::decode`.
//!
//! The log stores each event's payload alone (bincode, fixed-width
//! integers), with its type name and schema version in the envelope, and
//! the actor, correlation and causation ids for the audit trail.

use leadline_domain::{Actor, Event, StreamName};
use leadline_projections::CodecError;
use leadline_storage::{ExpectedVersion, NewEvent, StreamAppend};
use uuid::Uuid;

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
    let mut seen = std::collections::HashSet::new();
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
