//! The log as it lies in its sled tree (key layout in `keys`, chunks in
//! `chunk`): records, the stream and id indexes, checkpoints and the stored
//! head, read back for the log's readers, the planner and the verifier.
//!
//! The tree holds groups the syncer has not made durable yet, so reads of
//! events and streams take the durable position from the caller and never
//! go past it.

use crate::hash::HashMap;
use std::ops::ControlFlow;

use uuid::Uuid;

use crate::chunk;
use crate::keys;
use crate::planner::{Index, Tail};
use crate::record::{ChainHash, RecordView};
use crate::scan::{parse_at, visit_records};
use crate::verify::{EventVisitor, RawLog, StreamEntryVisitor};
use crate::{LogError, RecordedEvent};

/// The sled tree holding the log; other trees may hold projection state.
pub(super) const LOG_TREE: &str = "log";

/// The sled tree that holds the log.
#[derive(Clone)]
pub(super) struct LogTree(sled::Tree);

impl LogTree {
    pub fn open(db: &sled::Db) -> Result<LogTree, LogError> {
        Ok(LogTree(db.open_tree(LOG_TREE)?))
    }

    /// Applies one group commit's writes atomically.
    pub fn apply(&self, batch: sled::Batch) -> Result<(), LogError> {
        Ok(self.0.apply_batch(batch)?)
    }

    /// Where the next event goes, from the last stored record.
    pub fn tail(&self) -> Result<Tail, LogError> {
        let last = self
            .0
            .range(keys::event_key(0)..=keys::event_key(u64::MAX))
            .next_back()
            .transpose()?;
        let Some((key, value)) = last else {
            return Ok(Tail::empty());
        };
        let first = keys::position_of_event_key(&key).unwrap_or(0);
        let mut tail = None;
        for record in chunk::records(first, &value) {
            let (position, bytes) = record.map_err(framing)?;
            tail = Some(Tail::after(&parse_at(position, bytes)?));
        }
        tail.ok_or(LogError::Corrupt {
            position: first,
            detail: "the last chunk holds no record".into(),
        })
    }

    /// Visits the records after `after` up to `last` (at most the durable
    /// position) until the visitor breaks; returns the last position visited.
    pub fn scan(
        &self,
        after: u64,
        last: u64,
        visit: &mut dyn FnMut(RecordView<'_>) -> ControlFlow<()>,
    ) -> Result<u64, LogError> {
        if after >= last {
            return Ok(after);
        }
        let mut visited = after;
        let start = self.chunk_start(after + 1)?;
        for entry in self.0.range(keys::event_key(start)..=keys::event_key(last)) {
            let (key, value) = entry?;
            let first = keys::position_of_event_key(&key).unwrap_or(visited + 1);
            let records = chunk::records(first, &value).map(|r| r.map_err(framing));
            if visit_records(records, after, last, &mut visited, visit)?.is_break() {
                break;
            }
        }
        Ok(visited)
    }

    /// Up to `max` events of `stream` from `from_version`, none past `durable`.
    pub fn read_stream(
        &self,
        stream: &str,
        from_version: u64,
        max: usize,
        durable: u64,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        let start = keys::stream_key(stream, from_version.max(1));
        let end = keys::stream_key(stream, u64::MAX);
        let mut events = Vec::new();
        for entry in self.0.range(start..=end).take(max) {
            let (_, value) = entry?;
            let position = keys::decode_u64(&value).ok_or_else(|| LogError::Corrupt {
                position: 0,
                detail: format!("malformed stream index entry for `{stream}`"),
            })?;
            if position > durable {
                break;
            }
            events.push(self.event_at(position)?);
        }
        Ok(events)
    }

    /// The version of the stream's last event at or before `durable`.
    pub fn stream_version(&self, stream: &str, durable: u64) -> Result<u64, LogError> {
        for entry in self.0.scan_prefix(keys::stream_prefix(stream)).rev() {
            let (key, value) = entry?;
            let position = keys::decode_u64(&value).unwrap_or(u64::MAX);
            if position <= durable {
                return Ok(keys::parse_stream_key(&key).map_or(0, |(_, v)| v));
            }
        }
        Ok(0)
    }

    pub fn checkpoint(&self, name: &str) -> Result<Option<u64>, LogError> {
        Ok(self
            .0
            .get(keys::checkpoint_key(name))?
            .and_then(|v| keys::decode_u64(&v)))
    }

    /// The planner's view of the stored log, with the writer's cache of
    /// stream heads in front of the stream index.
    pub fn index<'a>(&'a self, heads: &'a HashMap<String, u64>) -> TreeIndex<'a> {
        TreeIndex { tree: self, heads }
    }

    fn event_at(&self, position: u64) -> Result<RecordedEvent, LogError> {
        let bytes = self
            .record_bytes(position)?
            .ok_or_else(|| LogError::Corrupt {
                position,
                detail: "the stream index points to a missing event".into(),
            })?;
        parse_at(position, &bytes).map(|view| view.to_owned_event())
    }

    /// The key position of the chunk holding `position` (or `position`
    /// itself when no chunk starts at or before it).
    fn chunk_start(&self, position: u64) -> Result<u64, LogError> {
        let found = self
            .0
            .range(keys::event_key(0)..=keys::event_key(position))
            .next_back()
            .transpose()?;
        Ok(found
            .and_then(|(key, _)| keys::position_of_event_key(&key))
            .unwrap_or(position))
    }

    /// The stored bytes of the record at `position`, if there is one.
    fn record_bytes(&self, position: u64) -> Result<Option<Vec<u8>>, LogError> {
        let start = self.chunk_start(position)?;
        let Some(chunk) = self.0.get(keys::event_key(start))? else {
            return Ok(None);
        };
        for record in chunk::records(start, &chunk) {
            let (at, bytes) = record.map_err(framing)?;
            if at == position {
                return Ok(Some(bytes.to_vec()));
            }
        }
        Ok(None)
    }
}

fn framing(e: chunk::FramingError) -> LogError {
    LogError::Corrupt {
        position: e.position,
        detail: e.detail,
    }
}

/// The planner's view of the stored log.
pub(super) struct TreeIndex<'a> {
    tree: &'a LogTree,
    heads: &'a HashMap<String, u64>,
}

impl Index for TreeIndex<'_> {
    fn position_of_id(&self, id: &Uuid) -> Result<Option<u64>, LogError> {
        Ok(self
            .tree
            .0
            .get(keys::id_key(id))?
            .and_then(|v| keys::decode_u64(&v)))
    }

    fn stream_head(&mut self, stream: &str) -> Result<u64, LogError> {
        if let Some(version) = self.heads.get(stream) {
            return Ok(*version);
        }
        // Most uncached streams are new (a lead just imported): one point
        // lookup of version 1 says so, far cheaper than a reverse scan.
        if !self.tree.0.contains_key(keys::stream_key(stream, 1))? {
            return Ok(0);
        }
        let last = self
            .tree
            .0
            .scan_prefix(keys::stream_prefix(stream))
            .next_back()
            .transpose()?;
        Ok(last
            .and_then(|(key, _)| keys::parse_stream_key(&key).map(|(_, v)| v))
            .unwrap_or(0))
    }
}

/// The verifier's view of the stored log.
impl RawLog for LogTree {
    fn for_each_event(&self, up_to: u64, visit: &mut EventVisitor<'_>) -> Result<(), LogError> {
        for entry in self.0.range(keys::event_key(0)..=keys::event_key(up_to)) {
            let (key, value) = entry?;
            let Some(first) = keys::position_of_event_key(&key) else {
                continue;
            };
            for record in chunk::records(first, &value) {
                match record {
                    Ok((position, _)) if position > up_to => return Ok(()),
                    Ok((position, bytes)) => visit(position, Ok(bytes)),
                    Err(e) => visit(e.position, Err(e.detail)),
                }
            }
        }
        Ok(())
    }

    fn event_bytes(&self, position: u64) -> Result<Option<Vec<u8>>, LogError> {
        match self.record_bytes(position) {
            // Broken framing is reported by the walk itself; here it only
            // means the record cannot be found.
            Err(LogError::Corrupt { .. }) => Ok(None),
            other => other,
        }
    }

    fn stream_entry(&self, stream: &str, version: u64) -> Result<Option<u64>, LogError> {
        Ok(self
            .0
            .get(keys::stream_key(stream, version))?
            .and_then(|v| keys::decode_u64(&v)))
    }

    fn id_entry(&self, id: &Uuid) -> Result<Option<u64>, LogError> {
        Ok(self
            .0
            .get(keys::id_key(id))?
            .and_then(|v| keys::decode_u64(&v)))
    }

    fn for_each_stream_entry(&self, visit: &mut StreamEntryVisitor<'_>) -> Result<(), LogError> {
        for entry in self.0.scan_prefix([keys::STREAM]) {
            let (key, value) = entry?;
            visit(keys::parse_stream_key(&key), keys::decode_u64(&value));
        }
        Ok(())
    }

    fn for_each_id_entry(
        &self,
        visit: &mut dyn FnMut(Option<Uuid>, Option<u64>),
    ) -> Result<(), LogError> {
        for entry in self.0.scan_prefix([keys::ID]) {
            let (key, value) = entry?;
            visit(keys::parse_id_key(&key), keys::decode_u64(&value));
        }
        Ok(())
    }

    fn head(&self) -> Result<Option<(u64, ChainHash)>, LogError> {
        Ok(self.0.get(keys::META_HEAD)?.and_then(|v| {
            let position = keys::decode_u64(v.get(..8)?)?;
            let hash: ChainHash = v.get(8..)?.try_into().ok()?;
            Some((position, hash))
        }))
    }
}
