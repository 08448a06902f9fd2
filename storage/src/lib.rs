//! Leadline's event log.
//!
//! Everything in Leadline is derived from this log: an append-only sequence
//! of events, each in a stream (a campaign, a user, …), each with a global
//! position that grows by exactly one per event in commit order.
//!
//! # Contract
//!
//! * [`EventLog::submit`] appends to one or more streams, all or nothing,
//!   with optimistic concurrency per stream ([`ExpectedVersion`]). A version
//!   mismatch is a [`LogError::Conflict`] the caller can retry.
//! * Appending an event whose id is already in the log writes nothing and
//!   answers with the original positions, so a retry after a lost answer is
//!   safe.
//! * An acknowledged append is durable: its bytes have been written and the
//!   file fsynced. Reads and notifications never show an event before that.
//! * Every record carries a CRC-32C checked on write and on read, and the
//!   BLAKE3 hash of its predecessor, so [`EventLog::verify`] can prove the
//!   log was neither corrupted nor altered.
//!
//! # Durability (sled 0.34.7)
//!
//! sled's `flush` ends in `sync_file_range`, which does not flush the
//! disk's write cache and does not persist file metadata (sled issue
//! #1452). The sled backend therefore `fdatasync`s sled's data file itself
//! after each flush, before acknowledging anything. One sync per event would
//! cap the log at the disk's sync rate, so appends are group-committed
//! (`sled_log/commit.rs`):
//!
//! 1. a single writer thread takes every append that is waiting, decides
//!    them (limits, idempotency, versions, positions, hash chain) and applies
//!    them to sled as one atomic batch;
//! 2. a syncer thread flushes sled and fdatasyncs, then publishes the new
//!    durable position and acknowledges the group. While it syncs, the
//!    writer already applies the next group, and groups that queued up
//!    meanwhile share the next sync.
//!
//! Readers never see past the durable position, so nothing is visible
//! before it is synced. sled is never called on an async reactor thread:
//! appends hand their work to the writer and await an [`AppendTicket`].
//!
//! A group's records are packed into chunks of up to [`chunk::CHUNK_BYTES_MAX`] (16 KiB):
//! sled's costs are per entry, so this makes replay about twice as fast as
//! iterating one sled value per event. Event ids should be time-ordered
//! (UUIDv7) so that the id index grows at its end instead of rewriting
//! nodes all over the tree.
//!
//! sled writes values too large for a segment to separate "blob" files that
//! it never syncs. The segment size is set so that no node can reach that
//! threshold within [`LogLimits`]; the writer still syncs any blob file that
//! appears, as a guard.
//!
//! `watch_prefix` is not used: it fires before data is durable. New-event
//! notifications come from the writer after the sync ([`EventLog::subscribe`]).
//!
//! # Backends
//!
//! [`SledLog`] is the embedded, durable log. [`MemoryLog`] keeps the same
//! records in memory for fast tests and simulation. Both share the planner
//! that decides appends and the verifier, so they behave the same.

pub mod chunk;
mod error;
pub(crate) mod hash;
pub mod keys;
mod limits;
mod memory;
mod planner;
pub mod record;
mod scan;
mod sled_log;
mod verify;

use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{oneshot, watch};

pub use error::LogError;
pub use limits::LogLimits;
pub use memory::MemoryLog;
pub use record::{ChainHash, DecodeError, NewEvent, RecordView, RecordedEvent};
pub use sled_log::{SledLog, SledOptions};
pub use verify::{Problem, ProblemKind, VerifyReport};

/// What the caller believes a stream's version to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// No check.
    Any,
    /// The stream must have no event yet.
    NoStream,
    /// The stream's last event must have exactly this version.
    Exact(u64),
}

impl std::fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any version"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::Exact(v) => write!(f, "version {v}"),
        }
    }
}

/// Events for one stream, part of an append. An entry without events only
/// checks the stream's version: the append then commits only if that
/// stream has not moved either (e.g. dials of leads, on condition that their
/// campaign was not paused meanwhile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamAppend {
    pub stream: String,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
}

/// The answer to a successful append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The position of each event, in the order given.
    pub positions: Vec<u64>,
    /// True when every event was already in the log: nothing was written
    /// and `positions` are the original ones.
    pub deduplicated: bool,
}

impl AppendOutcome {
    pub fn last_position(&self) -> u64 {
        self.positions.iter().copied().max().unwrap_or(0)
    }
}

/// A pending append: `.await` it in async code, or [`AppendTicket::wait`]
/// on a plain thread.
pub struct AppendTicket(oneshot::Receiver<Result<AppendOutcome, LogError>>);

impl AppendTicket {
    pub(crate) fn channel() -> (oneshot::Sender<Result<AppendOutcome, LogError>>, Self) {
        let (tx, rx) = oneshot::channel();
        (tx, AppendTicket(rx))
    }

    pub(crate) fn ready(result: Result<AppendOutcome, LogError>) -> Self {
        let (tx, ticket) = Self::channel();
        let _ = tx.send(result);
        ticket
    }

    /// Blocks the current thread until the append is durable or refused.
    /// Must not be called on an async reactor thread (use `.await` there).
    pub fn wait(self) -> Result<AppendOutcome, LogError> {
        block_on(self.0).unwrap_or(Err(LogError::Closed))
    }
}

impl Future for AppendTicket {
    type Output = Result<AppendOutcome, LogError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|answer| answer.unwrap_or(Err(LogError::Closed)))
    }
}

/// The time source for recorded times, in microseconds since the epoch.
/// The real clock in production; a virtual one in simulation.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| chrono::Utc::now().timestamp_micros())
}

/// The event log as the rest of Leadline sees it. Implemented by the
/// embedded sled log and the in-memory log; a distributed backend would
/// implement the same trait.
pub trait EventLog: Send + Sync {
    /// Queues an append to one or more streams; the ticket resolves once it
    /// is durable (or refused). All or nothing.
    fn submit(&self, appends: Vec<StreamAppend>) -> AppendTicket;

    /// Appends to one stream and blocks until durable. Not for async code.
    fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, LogError> {
        self.submit(vec![StreamAppend {
            stream: stream.to_owned(),
            expected,
            events,
        }])
        .wait()
    }

    /// Up to `max` durable events after position `after`, in log order.
    /// Built on [`EventLog::scan`], so every backend pages the same way.
    fn read_all(&self, after: u64, max: usize) -> Result<Vec<RecordedEvent>, LogError> {
        let max = self.limits().read_page(max);
        // `max` is often a caller's "everything"; the page limit alone is
        // too large to reserve up front.
        let mut events = Vec::with_capacity(max.min(4096));
        self.scan(after, u64::MAX, &mut |view| {
            events.push(view.to_owned_event());
            if events.len() >= max {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        Ok(events)
    }

    /// Visits durable events after `after` in log order without copying
    /// them, until the visitor breaks or `up_to` is passed. Returns the
    /// position of the last event visited (or `after`).
    fn scan(
        &self,
        after: u64,
        up_to: u64,
        visit: &mut dyn FnMut(RecordView<'_>) -> ControlFlow<()>,
    ) -> Result<u64, LogError>;

    /// Up to `max` events of one stream from `from_version` (versions start at 1).
    fn read_stream(
        &self,
        stream: &str,
        from_version: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, LogError>;

    /// The stream's current version: the version of its last durable event, 0 if none.
    fn stream_version(&self, stream: &str) -> Result<u64, LogError>;

    /// The position of the last durable event (0 for an empty log).
    fn last_position(&self) -> u64;

    /// A receiver of the last durable position, updated after each sync.
    fn subscribe(&self) -> watch::Receiver<u64>;

    /// Blocks until the durable position reaches `position` or the timeout
    /// passes; returns the durable position.
    fn wait_for_position(&self, position: u64, timeout: Duration) -> u64;

    /// A named checkpoint (a projection's last applied position).
    fn checkpoint(&self, name: &str) -> Result<Option<u64>, LogError>;

    /// Stores a checkpoint durably.
    fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), LogError>;

    /// Walks the whole log and its indexes and reports every problem found.
    fn verify(&self) -> Result<VerifyReport, LogError>;

    /// Makes everything acknowledged so far durable (it already is) and
    /// waits for the writer to drain.
    fn flush(&self) -> Result<(), LogError>;

    /// The limits this log enforces.
    fn limits(&self) -> &LogLimits;
}

/// The durable position, published to waiting threads and async subscribers.
pub(crate) struct Durable {
    position: AtomicU64,
    sender: watch::Sender<u64>,
    lock: Mutex<()>,
    changed: Condvar,
}

impl Durable {
    pub fn new(position: u64) -> Self {
        Durable {
            position: AtomicU64::new(position),
            sender: watch::Sender::new(position),
            lock: Mutex::new(()),
            changed: Condvar::new(),
        }
    }

    pub fn get(&self) -> u64 {
        self.position.load(Ordering::Acquire)
    }

    /// Called only after the events up to `position` are on stable storage.
    pub fn advance(&self, position: u64) {
        let guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.position.store(position, Ordering::Release);
        drop(guard);
        self.changed.notify_all();
        self.sender.send_replace(position);
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.sender.subscribe()
    }

    pub fn wait_for(&self, position: u64, timeout: Duration) -> u64 {
        let guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |_| self.get() < position)
            .unwrap_or_else(|e| e.into_inner());
        drop(guard);
        self.get()
    }
}

/// Runs a future to completion on the current thread (for the blocking
/// helpers; safe on any thread, unlike a runtime's `block_on`).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl std::task::Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let mut future = std::pin::pin!(future);
    let waker = Arc::new(ThreadWaker(std::thread::current())).into();
    let mut context = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}
