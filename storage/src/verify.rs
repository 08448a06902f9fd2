//! `verify`: walks the whole log and its indexes and reports every problem
//! it finds. It never stops at the first and never changes anything.

use crate::hash::HashMap;

use serde::Serialize;
use uuid::Uuid;

use crate::record::{self, ChainHash, DecodeError, RecordView, GENESIS_HASH};
use crate::LogError;

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// True when no problem was found.
    pub ok: bool,
    /// Events examined.
    pub events: u64,
    /// The last durable position when the walk started; events after it
    /// (appended during the walk) are left for the next run.
    pub last_position: u64,
    /// Chain hash of the last event: an auditor who notes it can later prove
    /// that nothing up to that position changed.
    pub head_hash: String,
    /// Problems found, in log order, up to the listing limit.
    pub problems: Vec<Problem>,
    /// All problems found, listed or not.
    pub problems_total: u64,
}

/// One inconsistency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The position concerned, where there is one.
    pub position: Option<u64>,
    pub kind: ProblemKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Positions are missing.
    PositionGap,
    /// A record's bytes do not match its checksum.
    Checksum,
    /// A record cannot be decoded (format, lengths, text).
    Undecodable,
    /// A record is stored under a position other than its own.
    PositionMismatch,
    /// A record does not hash to the link stored in its successor.
    HashChain,
    /// A stream's versions are not 1, 2, 3, …
    StreamVersionGap,
    /// The stream index disagrees with the log.
    StreamIndex,
    /// The event-id index disagrees with the log.
    IdIndex,
    /// The stored head (last position and hash) disagrees with the log.
    Head,
}

/// Visits one stream index entry: (stream, version) from the key and the
/// position from the value, each `None` when malformed.
pub(crate) type StreamEntryVisitor<'v> = dyn FnMut(Option<(&str, u64)>, Option<u64>) + 'v;

/// Visits one stored record: its position and bytes, or a framing problem
/// found at that position.
pub(crate) type EventVisitor<'v> = dyn FnMut(u64, Result<&[u8], String>) + 'v;

/// Raw access to a backend's stored records and indexes.
pub(crate) trait RawLog {
    fn for_each_event(&self, up_to: u64, visit: &mut EventVisitor<'_>) -> Result<(), LogError>;
    fn event_bytes(&self, position: u64) -> Result<Option<Vec<u8>>, LogError>;
    fn stream_entry(&self, stream: &str, version: u64) -> Result<Option<u64>, LogError>;
    fn id_entry(&self, id: &Uuid) -> Result<Option<u64>, LogError>;
    fn for_each_stream_entry(&self, visit: &mut StreamEntryVisitor<'_>) -> Result<(), LogError>;
    fn for_each_id_entry(
        &self,
        visit: &mut dyn FnMut(Option<Uuid>, Option<u64>),
    ) -> Result<(), LogError>;
    fn head(&self) -> Result<Option<(u64, ChainHash)>, LogError>;
}

struct Collector {
    problems: Vec<Problem>,
    total: u64,
    listed_max: usize,
}

impl Collector {
    fn add(&mut self, position: Option<u64>, kind: ProblemKind, detail: String) {
        self.total += 1;
        if self.problems.len() < self.listed_max {
            self.problems.push(Problem {
                position,
                kind,
                detail,
            });
        }
    }
}

/// Checks events up to `up_to` and every index entry pointing at them.
pub(crate) fn verify(
    raw: &impl RawLog,
    up_to: u64,
    listed_max: usize,
) -> Result<VerifyReport, LogError> {
    let mut found = Collector {
        problems: Vec::new(),
        total: 0,
        listed_max,
    };
    let walk = walk_events(raw, up_to, &mut found)?;
    check_head(raw, up_to, walk.head_hash, &mut found)?;
    check_stream_index(raw, up_to, walk.readable, &mut found)?;
    check_id_index(raw, up_to, walk.readable, &mut found)?;
    Ok(VerifyReport {
        ok: found.total == 0,
        events: walk.events,
        last_position: up_to,
        head_hash: walk.head_hash.map(|h| record::hex(&h)).unwrap_or_default(),
        problems: found.problems,
        problems_total: found.total,
    })
}

struct Walk {
    events: u64,
    readable: u64,
    head_hash: Option<ChainHash>,
}

fn walk_events(raw: &impl RawLog, up_to: u64, found: &mut Collector) -> Result<Walk, LogError> {
    let mut expected = 1u64;
    let mut prev = Some(GENESIS_HASH);
    let mut versions: HashMap<String, u64> = HashMap::default();
    let mut walk = Walk {
        events: 0,
        readable: 0,
        head_hash: None,
    };
    let mut lookup_error = None;
    raw.for_each_event(up_to, &mut |position, stored| {
        walk.events += 1;
        if position != expected {
            found.add(
                Some(expected),
                ProblemKind::PositionGap,
                format!("positions {expected} to {} are missing", position - 1),
            );
            prev = None;
        }
        expected = position + 1;
        let bytes = match stored {
            Ok(bytes) => bytes,
            Err(detail) => {
                found.add(Some(position), ProblemKind::Undecodable, detail);
                prev = None;
                return;
            }
        };
        let view = match RecordView::parse(bytes) {
            Ok(view) => view,
            Err(e) => {
                let kind = match e {
                    DecodeError::Checksum { .. } => ProblemKind::Checksum,
                    _ => ProblemKind::Undecodable,
                };
                found.add(Some(position), kind, e.to_string());
                prev = None;
                return;
            }
        };
        walk.readable += 1;
        check_record(&view, position, prev, &mut versions, found);
        prev = Some(view.chain_hash());
        if let Err(e) = check_entries(raw, &view, position, found) {
            lookup_error.get_or_insert(e);
        }
    })?;
    if let Some(e) = lookup_error {
        return Err(e);
    }
    if expected <= up_to {
        found.add(
            Some(expected),
            ProblemKind::PositionGap,
            format!("positions {expected} to {up_to} are missing"),
        );
        prev = None;
    }
    walk.head_hash = prev;
    Ok(walk)
}

fn check_record(
    view: &RecordView<'_>,
    position: u64,
    prev: Option<ChainHash>,
    versions: &mut HashMap<String, u64>,
    found: &mut Collector,
) {
    if view.position() != position {
        found.add(
            Some(position),
            ProblemKind::PositionMismatch,
            format!(
                "the record says position {} but is stored at {position}",
                view.position()
            ),
        );
    }
    if let Some(prev) = prev {
        if view.prev_hash() != prev {
            found.add(
                Some(position - 1),
                ProblemKind::HashChain,
                format!(
                    "the event at position {} does not hash to the link stored in the event at {position}: one of them was altered",
                    position - 1
                ),
            );
        }
    }
    let last = match versions.get_mut(view.stream()) {
        Some(last) => last,
        None => versions.entry(view.stream().to_owned()).or_insert(0),
    };
    if view.stream_version() != *last + 1 {
        found.add(
            Some(position),
            ProblemKind::StreamVersionGap,
            format!(
                "stream `{}` goes from version {} to {}",
                view.stream(),
                last,
                view.stream_version()
            ),
        );
    }
    *last = view.stream_version();
}

fn check_entries(
    raw: &impl RawLog,
    view: &RecordView<'_>,
    position: u64,
    found: &mut Collector,
) -> Result<(), LogError> {
    let stream_entry = raw.stream_entry(view.stream(), view.stream_version())?;
    if stream_entry != Some(position) {
        found.add(
            Some(position),
            ProblemKind::StreamIndex,
            format!(
                "the stream index entry for `{}` version {} points to {:?}, not {position}",
                view.stream(),
                view.stream_version(),
                stream_entry
            ),
        );
    }
    let id_entry = raw.id_entry(&view.id())?;
    if id_entry != Some(position) {
        found.add(
            Some(position),
            ProblemKind::IdIndex,
            format!(
                "the id index entry for event {} points to {:?}, not {position}",
                view.id(),
                id_entry
            ),
        );
    }
    Ok(())
}

fn check_head(
    raw: &impl RawLog,
    up_to: u64,
    last_hash: Option<ChainHash>,
    found: &mut Collector,
) -> Result<(), LogError> {
    match raw.head()? {
        None if up_to > 0 => found.add(
            None,
            ProblemKind::Head,
            "the stored head (last position and hash) is missing".into(),
        ),
        Some((position, _)) if position < up_to => found.add(
            Some(position),
            ProblemKind::Head,
            format!("the stored head says position {position} but the log goes to {up_to}"),
        ),
        Some((position, hash)) if position == up_to && last_hash.is_some_and(|h| h != hash) => {
            found.add(
                Some(position),
                ProblemKind::Head,
                format!("the last event (position {position}) does not hash to the stored head hash: it was altered"),
            )
        }
        _ => {}
    }
    Ok(())
}

/// Every event was checked against its index entry; an index with more
/// entries than readable events also has entries that point nowhere, and a
/// second walk names them.
fn check_stream_index(
    raw: &impl RawLog,
    up_to: u64,
    readable: u64,
    found: &mut Collector,
) -> Result<(), LogError> {
    let mut count = 0u64;
    raw.for_each_stream_entry(&mut |key, position| match (key, position) {
        (Some(_), Some(p)) if p <= up_to => count += 1,
        (Some(_), Some(_)) => {}
        _ => found.add(
            position,
            ProblemKind::StreamIndex,
            "a stream index entry is malformed".into(),
        ),
    })?;
    if count <= readable {
        return Ok(());
    }
    let mut result = Ok(());
    raw.for_each_stream_entry(&mut |key, position| {
        let (Some((stream, version)), Some(position)) = (key, position) else {
            return;
        };
        if position > up_to {
            return;
        }
        match event_matches(raw, position, |v| {
            v.stream() == stream && v.stream_version() == version
        }) {
            Ok(true) => {}
            Ok(false) => found.add(
                Some(position),
                ProblemKind::StreamIndex,
                format!("the stream index entry for `{stream}` version {version} points to position {position}, which holds another event or none"),
            ),
            Err(e) => result = Err(e),
        }
    })?;
    result
}

fn check_id_index(
    raw: &impl RawLog,
    up_to: u64,
    readable: u64,
    found: &mut Collector,
) -> Result<(), LogError> {
    let mut count = 0u64;
    raw.for_each_id_entry(&mut |id, position| match (id, position) {
        (Some(_), Some(p)) if p <= up_to => count += 1,
        (Some(_), Some(_)) => {}
        _ => found.add(
            position,
            ProblemKind::IdIndex,
            "an id index entry is malformed".into(),
        ),
    })?;
    if count <= readable {
        return Ok(());
    }
    let mut result = Ok(());
    raw.for_each_id_entry(&mut |id, position| {
        let (Some(id), Some(position)) = (id, position) else {
            return;
        };
        if position > up_to {
            return;
        }
        match event_matches(raw, position, |v| v.id() == id) {
            Ok(true) => {}
            Ok(false) => found.add(
                Some(position),
                ProblemKind::IdIndex,
                format!("the id index entry for event {id} points to position {position}, which holds another event or none"),
            ),
            Err(e) => result = Err(e),
        }
    })?;
    result
}

fn event_matches(
    raw: &impl RawLog,
    position: u64,
    check: impl Fn(&RecordView<'_>) -> bool,
) -> Result<bool, LogError> {
    Ok(raw
        .event_bytes(position)?
        .is_some_and(|bytes| RecordView::parse(&bytes).is_ok_and(|v| check(&v))))
}
