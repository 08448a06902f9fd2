//! A lead's history, and a lead's or campaign's state as of a past time:
//! read from the log itself, for auditors.

use chrono::{DateTime, Utc};
use leadline_domain::campaign::{self, Campaign};
use leadline_domain::lead::{self, Lead};
use leadline_domain::{CampaignId, Event, LeadId, StreamName};
use leadline_storage::{EventLog, RecordedEvent};
use serde::Serialize;
use uuid::Uuid;

use crate::codec;
use crate::runner::ProjectionError;

/// One event of a stream, with its envelope.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryEntry {
    pub position: u64,
    pub stream_version: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the log recorded it.
    pub at: DateTime<Utc>,
    pub actor: String,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    /// The event itself.
    pub data: Event,
}

/// Up to `max` events of a stream from `from_version`, decoded.
pub fn stream_history(
    log: &dyn EventLog,
    stream: StreamName,
    from_version: u64,
    max: usize,
) -> Result<Vec<HistoryEntry>, ProjectionError> {
    log.read_stream(&stream.to_string(), from_version, max)?
        .into_iter()
        .map(entry)
        .collect()
}

fn entry(recorded: RecordedEvent) -> Result<HistoryEntry, ProjectionError> {
    let view_event = decode_owned(&recorded)?;
    Ok(HistoryEntry {
        position: recorded.position,
        stream_version: recorded.stream_version,
        at: recorded.recorded_at(),
        actor: recorded.actor,
        correlation_id: recorded.correlation_id,
        causation_id: recorded.causation_id,
        event_type: recorded.event_type,
        data: view_event,
    })
}

fn decode_owned(recorded: &RecordedEvent) -> Result<Event, ProjectionError> {
    Ok(codec::decode_recorded(recorded)?)
}

/// Every event of a stream that happened at or before `as_of`.
fn events_until(
    log: &dyn EventLog,
    stream: StreamName,
    as_of: DateTime<Utc>,
) -> Result<Vec<Event>, ProjectionError> {
    let mut events = Vec::new();
    let mut from = 1;
    loop {
        let page = log.read_stream(&stream.to_string(), from, log.limits().read_events_max)?;
        let Some(last) = page.last().map(|e| e.stream_version) else {
            return Ok(events);
        };
        for recorded in &page {
            let event = decode_owned(recorded)?;
            if event.at() > as_of {
                return Ok(events);
            }
            events.push(event);
        }
        from = last + 1;
    }
}

/// The lead as it was at `as_of` (`None`: it did not exist yet).
pub fn lead_as_of(
    log: &dyn EventLog,
    id: LeadId,
    as_of: DateTime<Utc>,
) -> Result<Option<Lead>, ProjectionError> {
    Ok(lead::replay(&events_until(
        log,
        StreamName::Lead(id),
        as_of,
    )?))
}

/// The campaign as it was at `as_of` (`None`: it did not exist yet).
pub fn campaign_as_of(
    log: &dyn EventLog,
    id: CampaignId,
    as_of: DateTime<Utc>,
) -> Result<Option<Campaign>, ProjectionError> {
    Ok(campaign::replay(&events_until(
        log,
        StreamName::Campaign(id),
        as_of,
    )?))
}
