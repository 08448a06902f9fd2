//! Deciding an append, shared by every log backend: validation against the
//! limits, idempotency by event id, optimistic concurrency per stream,
//! position assignment and the hash chain. Backends only store what this
//! decides, so the sled log and the in-memory log cannot disagree.

use crate::hash::{HashMap, HashSet};

use uuid::Uuid;

use crate::record::{self, ChainHash, Envelope, RecordView};
use crate::{AppendOutcome, ExpectedVersion, LogError, LogLimits, StreamAppend};

/// Lookups the planner needs from the stored log.
pub(crate) trait Index {
    /// Where an event id is stored, if it is.
    fn position_of_id(&self, id: &Uuid) -> Result<Option<u64>, LogError>;
    /// The current version of a stream (0 when it has no event).
    fn stream_head(&mut self, stream: &str) -> Result<u64, LogError>;
}

/// The end of the log: where the next event goes and what it links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tail {
    pub next_position: u64,
    pub prev_hash: ChainHash,
    pub last_recorded_us: i64,
}

impl Tail {
    pub fn empty() -> Self {
        Tail {
            next_position: 1,
            prev_hash: record::GENESIS_HASH,
            last_recorded_us: i64::MIN,
        }
    }

    /// The tail after the given last stored record.
    pub fn after(last: &RecordView<'_>) -> Self {
        Tail {
            next_position: last.position() + 1,
            prev_hash: last.chain_hash(),
            last_recorded_us: last.recorded_at_us(),
        }
    }

    pub fn last_position(&self) -> u64 {
        self.next_position - 1
    }
}

/// One event ready to be stored.
pub(crate) struct PlannedEvent {
    pub position: u64,
    pub stream: String,
    pub stream_version: u64,
    pub id: Uuid,
    pub bytes: Vec<u8>,
}

/// The events of one group commit, planned in order.
pub(crate) struct Group {
    pub events: Vec<PlannedEvent>,
    /// Stream versions after this group, for the backend's head cache.
    pub heads: HashMap<String, u64>,
    ids: HashMap<Uuid, u64>,
    pub tail: Tail,
}

impl Group {
    pub fn new(tail: Tail) -> Self {
        Group {
            events: Vec::new(),
            heads: HashMap::default(),
            ids: HashMap::default(),
            tail,
        }
    }

    /// Decides one append: either all its events are planned, or none are.
    pub fn plan(
        &mut self,
        index: &mut impl Index,
        appends: &[StreamAppend],
        now_us: i64,
    ) -> Result<AppendOutcome, LogError> {
        if let Some(original) = self.already_stored(index, appends)? {
            return Ok(original);
        }
        self.check_versions(index, appends)?;
        let mut positions = Vec::with_capacity(appends.iter().map(|a| a.events.len()).sum());
        for append in appends {
            let mut version = self.head(index, &append.stream)?;
            for event in &append.events {
                version += 1;
                let position = self.tail.next_position;
                let recorded_at_us = now_us.max(self.tail.last_recorded_us);
                let bytes = record::encode(&Envelope {
                    position,
                    stream: &append.stream,
                    stream_version: version,
                    recorded_at_us,
                    prev_hash: &self.tail.prev_hash,
                    event,
                });
                // Check the record right before it goes to disk.
                let view = RecordView::parse(&bytes).map_err(|e| LogError::Corrupt {
                    position,
                    detail: format!("freshly encoded record does not parse: {e}"),
                })?;
                assert_eq!(view.position(), position, "record position");
                self.tail = Tail {
                    next_position: position + 1,
                    prev_hash: view.chain_hash(),
                    last_recorded_us: recorded_at_us,
                };
                self.ids.insert(event.id, position);
                positions.push(position);
                self.events.push(PlannedEvent {
                    position,
                    stream: append.stream.clone(),
                    stream_version: version,
                    id: event.id,
                    bytes,
                });
            }
            self.heads.insert(append.stream.clone(), version);
        }
        Ok(AppendOutcome {
            positions,
            deduplicated: false,
        })
    }

    /// A re-sent append whose events are all stored already answers with the
    /// original positions; one that is only partly stored is refused.
    fn already_stored(
        &self,
        index: &mut impl Index,
        appends: &[StreamAppend],
    ) -> Result<Option<AppendOutcome>, LogError> {
        let mut positions = Vec::new();
        let mut missing = false;
        for event in appends.iter().flat_map(|a| &a.events) {
            let found = match self.ids.get(&event.id) {
                Some(position) => Some(*position),
                None => index.position_of_id(&event.id)?,
            };
            match found {
                Some(position) => positions.push((event.id, position)),
                None => missing = true,
            }
        }
        match (positions.first(), missing) {
            (None, _) => Ok(None),
            (Some(&(id, position)), true) => Err(LogError::PartialDuplicate { id, position }),
            (Some(_), false) => Ok(Some(AppendOutcome {
                positions: positions.into_iter().map(|(_, p)| p).collect(),
                deduplicated: true,
            })),
        }
    }

    fn check_versions(
        &mut self,
        index: &mut impl Index,
        appends: &[StreamAppend],
    ) -> Result<(), LogError> {
        let mut after_append: HashMap<&str, u64> = HashMap::default();
        for append in appends {
            let actual = match after_append.get(append.stream.as_str()) {
                Some(version) => *version,
                None => self.head(index, &append.stream)?,
            };
            let ok = match append.expected {
                ExpectedVersion::Any => true,
                ExpectedVersion::NoStream => actual == 0,
                ExpectedVersion::Exact(version) => actual == version,
            };
            if !ok {
                return Err(LogError::Conflict {
                    stream: append.stream.clone(),
                    expected: append.expected,
                    actual,
                });
            }
            after_append.insert(&append.stream, actual + append.events.len() as u64);
        }
        Ok(())
    }

    fn head(&self, index: &mut impl Index, stream: &str) -> Result<u64, LogError> {
        match self.heads.get(stream) {
            Some(version) => Ok(*version),
            None => index.stream_head(stream),
        }
    }
}

/// Checks an append against the limits before it is queued, so that bad
/// input is refused at once and never reaches the writer.
pub(crate) fn validate(appends: &[StreamAppend], limits: &LogLimits) -> Result<(), LogError> {
    if appends.is_empty() {
        return Err(LogError::InvalidAppend("it names no stream".into()));
    }
    over(
        "streams in one append",
        appends.len(),
        limits.streams_per_append_max,
    )?;
    let events: usize = appends.iter().map(|a| a.events.len()).sum();
    if events == 0 {
        return Err(LogError::InvalidAppend(
            "it carries no events (a stream without events only checks a version, next to others that have some)".into(),
        ));
    }
    over("events in one append", events, limits.events_per_append_max)?;
    let mut ids = HashSet::with_capacity_and_hasher(events, Default::default());
    let mut bytes = 0usize;
    for append in appends {
        if append.stream.is_empty() {
            return Err(LogError::InvalidAppend("a stream name is empty".into()));
        }
        over(
            "stream name bytes",
            append.stream.len(),
            limits.stream_name_bytes_max,
        )?;
        for event in &append.events {
            if event.id.is_nil() {
                return Err(LogError::InvalidAppend("an event id is nil".into()));
            }
            if !ids.insert(event.id) {
                return Err(LogError::InvalidAppend(format!(
                    "event id {} appears twice in one append",
                    event.id
                )));
            }
            if event.event_type.is_empty() || event.actor.is_empty() {
                return Err(LogError::InvalidAppend(format!(
                    "event {} needs a type and an actor",
                    event.id
                )));
            }
            over(
                "event type bytes",
                event.event_type.len(),
                limits.event_type_bytes_max,
            )?;
            over("actor bytes", event.actor.len(), limits.actor_bytes_max)?;
            over(
                "payload bytes",
                event.payload.len(),
                limits.payload_bytes_max,
            )?;
            bytes += event.payload.len();
        }
    }
    over(
        "payload bytes in one append",
        bytes,
        limits.append_bytes_max,
    )
}

fn over(what: &'static str, actual: usize, max: usize) -> Result<(), LogError> {
    if actual > max {
        return Err(LogError::LimitExceeded { what, actual, max });
    }
    Ok(())
}
