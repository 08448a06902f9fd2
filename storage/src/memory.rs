//! The same log kept in memory: same planner, same records, same verifier,
//! no disk. For fast tests and deterministic simulation.

use crate::hash::HashMap;
use std::ops::ControlFlow;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;

use crate::planner::{self, Group, Index, Tail};
use crate::record::{ChainHash, RecordView};
use crate::scan::{parse_at, visit_records};
use crate::verify::{self, EventVisitor, RawLog, StreamEntryVisitor};
use crate::{
    system_clock, AppendTicket, Clock, Durable, EventLog, LogError, LogLimits, RecordedEvent,
    StreamAppend, VerifyReport,
};

#[derive(Default)]
struct State {
    /// Encoded records; position p is at index p - 1.
    records: Vec<Vec<u8>>,
    ids: HashMap<Uuid, u64>,
    streams: HashMap<String, Vec<u64>>,
    checkpoints: HashMap<String, u64>,
    tail: Option<Tail>,
}

/// An in-memory event log with the same behaviour as the sled log.
pub struct MemoryLog {
    state: Mutex<State>,
    durable: Durable,
    limits: LogLimits,
    clock: Clock,
}

impl Default for MemoryLog {
    fn default() -> Self {
        Self::new(LogLimits::default(), system_clock())
    }
}

impl MemoryLog {
    pub fn new(limits: LogLimits, clock: Clock) -> Self {
        MemoryLog {
            state: Mutex::new(State::default()),
            durable: Durable::new(0),
            limits,
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces a stored record's bytes behind the log's back (for tests of
    /// `verify`). Returns false when there is no such position.
    pub fn tamper(&self, position: u64, bytes: Vec<u8>) -> bool {
        let mut state = self.lock();
        match position
            .checked_sub(1)
            .and_then(|i| state.records.get_mut(i as usize))
        {
            Some(record) => {
                *record = bytes;
                true
            }
            None => false,
        }
    }
}

impl Index for State {
    fn position_of_id(&self, id: &Uuid) -> Result<Option<u64>, LogError> {
        Ok(self.ids.get(id).copied())
    }

    fn stream_head(&mut self, stream: &str) -> Result<u64, LogError> {
        Ok(self.streams.get(stream).map_or(0, |p| p.len() as u64))
    }
}

impl EventLog for MemoryLog {
    fn submit(&self, appends: Vec<StreamAppend>) -> AppendTicket {
        if let Err(e) = planner::validate(&appends, &self.limits) {
            return AppendTicket::ready(Err(e));
        }
        let mut state = self.lock();
        let mut group = Group::new(state.tail.clone().unwrap_or_else(Tail::empty));
        let result = group.plan(&mut *state, &appends, (self.clock)());
        for event in group.events {
            state.ids.insert(event.id, event.position);
            state
                .streams
                .entry(event.stream)
                .or_default()
                .push(event.position);
            state.records.push(event.bytes);
        }
        let last = group.tail.last_position();
        state.tail = Some(group.tail);
        drop(state);
        if last > self.durable.get() {
            self.durable.advance(last);
        }
        AppendTicket::ready(result)
    }

    fn scan(
        &self,
        after: u64,
        up_to: u64,
        visit: &mut dyn FnMut(RecordView<'_>) -> ControlFlow<()>,
    ) -> Result<u64, LogError> {
        let state = self.lock();
        let last = up_to.min(state.records.len() as u64);
        let mut visited = after;
        let records = (after.saturating_add(1)..=last)
            .map(|position| Ok((position, state.records[(position - 1) as usize].as_slice())));
        // One run holds every record, so whether it broke changes nothing.
        let _ = visit_records(records, after, last, &mut visited, visit)?;
        Ok(visited)
    }

    fn read_stream(
        &self,
        stream: &str,
        from_version: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        let state = self.lock();
        let Some(positions) = state.streams.get(stream) else {
            return Ok(Vec::new());
        };
        let skip = from_version.max(1) - 1;
        positions
            .iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(self.limits.read_page(max))
            .map(|&position| {
                parse_at(position, &state.records[(position - 1) as usize])
                    .map(|v| v.to_owned_event())
            })
            .collect()
    }

    fn stream_version(&self, stream: &str) -> Result<u64, LogError> {
        self.lock().stream_head(stream)
    }

    fn last_position(&self) -> u64 {
        self.durable.get()
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.durable.subscribe()
    }

    fn wait_for_position(&self, position: u64, timeout: Duration) -> u64 {
        self.durable.wait_for(position, timeout)
    }

    fn checkpoint(&self, name: &str) -> Result<Option<u64>, LogError> {
        Ok(self.lock().checkpoints.get(name).copied())
    }

    fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), LogError> {
        self.lock().checkpoints.insert(name.to_owned(), position);
        Ok(())
    }

    fn verify(&self) -> Result<VerifyReport, LogError> {
        let state = self.lock();
        let up_to = state.records.len() as u64;
        verify::verify(&*state, up_to, self.limits.verify_problems_listed_max)
    }

    fn flush(&self) -> Result<(), LogError> {
        Ok(())
    }

    fn limits(&self) -> &LogLimits {
        &self.limits
    }
}

impl RawLog for State {
    fn for_each_event(&self, up_to: u64, visit: &mut EventVisitor<'_>) -> Result<(), LogError> {
        for (i, bytes) in self.records.iter().enumerate().take(up_to as usize) {
            visit(i as u64 + 1, Ok(bytes));
        }
        Ok(())
    }

    fn event_bytes(&self, position: u64) -> Result<Option<Vec<u8>>, LogError> {
        Ok(position
            .checked_sub(1)
            .and_then(|i| self.records.get(i as usize))
            .cloned())
    }

    fn stream_entry(&self, stream: &str, version: u64) -> Result<Option<u64>, LogError> {
        Ok(version.checked_sub(1).and_then(|i| {
            self.streams
                .get(stream)
                .and_then(|p| p.get(i as usize))
                .copied()
        }))
    }

    fn id_entry(&self, id: &Uuid) -> Result<Option<u64>, LogError> {
        Ok(self.ids.get(id).copied())
    }

    fn for_each_stream_entry(&self, visit: &mut StreamEntryVisitor<'_>) -> Result<(), LogError> {
        for (stream, positions) in &self.streams {
            for (i, position) in positions.iter().enumerate() {
                visit(Some((stream, i as u64 + 1)), Some(*position));
            }
        }
        Ok(())
    }

    fn for_each_id_entry(
        &self,
        visit: &mut dyn FnMut(Option<Uuid>, Option<u64>),
    ) -> Result<(), LogError> {
        for (id, position) in &self.ids {
            visit(Some(*id), Some(*position));
        }
        Ok(())
    }

    fn head(&self) -> Result<Option<(u64, ChainHash)>, LogError> {
        Ok(self
            .tail
            .as_ref()
            .filter(|t| t.last_position() > 0)
            .map(|t| (t.last_position(), t.prev_hash)))
    }
}
