//! Keeps the read model up to date with the log.
//!
//! The read model lives in memory and is rebuilt from the log on start:
//! replay runs at millions of events per second (see the benchmarks), so
//! an always-fresh fold beats the risk of a stale persisted snapshot; a
//! change to the folding code therefore takes effect at the next start.
//! The position reached is recorded as a checkpoint named after
//! [`READ_MODEL_VERSION`] after opening and after each rebuild, so an
//! operator can see which version of the model folded how far.
//!
//! Events are decoded outside any lock, then folded in under the write lock
//! in batches of at most [`APPLY_BATCH_EVENTS_MAX`], so a reader never sees
//! half an event (or half a batch) and never waits long. Readers do not
//! block each other or the log's writer.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use leadline_domain::Event;
use leadline_storage::{EventLog, LogError};
use parking_lot::{Condvar, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use serde::Serialize;

use crate::codec::{self, CodecError};
use crate::model::ReadModel;

/// Bump when the read model's folding changes meaningfully.
pub const READ_MODEL_VERSION: u32 = 1;
/// The checkpoint name the read model records its position under.
pub fn checkpoint_name() -> String {
    format!("read-model@v{READ_MODEL_VERSION}")
}
/// Events folded per write-lock hold.
pub const APPLY_BATCH_EVENTS_MAX: usize = 4096;
/// How long the follower waits for new events before checking for stop.
const FOLLOW_WAIT_MS: u64 = 200;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// What a rebuild did.
#[derive(Clone, Debug, Serialize)]
pub struct RebuildReport {
    pub events: u64,
    pub position: u64,
    pub elapsed_ms: f64,
    pub events_per_s: f64,
}

/// The read model, kept up to date with a log.
pub struct Projections {
    log: Arc<dyn EventLog>,
    model: RwLock<ReadModel>,
    /// Serialises catch-ups and rebuilds (the model's only writers besides
    /// the dialer's hopper promotions).
    folding: Mutex<()>,
    reached: Mutex<u64>,
    reached_changed: Condvar,
    /// The same position for async waiters (HTTP handlers, live feeds).
    reached_watch: tokio::sync::watch::Sender<u64>,
    stop: AtomicBool,
    failure: Mutex<Option<String>>,
}

impl Projections {
    /// Folds the whole log, then returns the projections (not yet following).
    pub fn open(log: Arc<dyn EventLog>) -> Result<Arc<Self>, ProjectionError> {
        let projections = Arc::new(Projections {
            log,
            model: RwLock::new(ReadModel::default()),
            folding: Mutex::new(()),
            reached: Mutex::new(0),
            reached_changed: Condvar::new(),
            reached_watch: tokio::sync::watch::Sender::new(0),
            stop: AtomicBool::new(false),
            failure: Mutex::new(None),
        });
        let position = projections.catch_up()?;
        projections
            .log
            .save_checkpoint(&checkpoint_name(), position)?;
        Ok(projections)
    }

    /// Starts a thread that folds new events as soon as they are durable.
    pub fn follow(self: &Arc<Self>) -> std::io::Result<std::thread::JoinHandle<()>> {
        let projections = self.clone();
        std::thread::Builder::new()
            .name("leadline-projections".into())
            .spawn(move || projections.follow_loop())
    }

    fn follow_loop(&self) {
        while !self.stop.load(Ordering::Relaxed) {
            let position = self.position();
            let durable = self
                .log
                .wait_for_position(position + 1, Duration::from_millis(FOLLOW_WAIT_MS));
            if durable <= position {
                continue;
            }
            if let Err(e) = self.catch_up() {
                // A record that does not decode stops folding: serving
                // reads that silently skip an event would be worse.
                *self.failure.lock() = Some(e.to_string());
                return;
            }
        }
    }

    /// Stops the follower thread (it exits within its wait interval).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Why the follower stopped folding, if it did.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().clone()
    }

    /// Reads the model; the guard is a consistent state at
    /// [`ReadModel::position`].
    pub fn read(&self) -> RwLockReadGuard<'_, ReadModel> {
        self.model.read()
    }

    /// Writes the model: only for moving hoppers forward in time.
    pub fn write(&self) -> RwLockWriteGuard<'_, ReadModel> {
        self.model.write()
    }

    pub fn position(&self) -> u64 {
        *self.reached.lock()
    }

    /// Waits until the model reflects `position` (a client's own write).
    /// Returns whether it does.
    pub fn wait_for(&self, position: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut reached = self.reached.lock();
        while *reached < position {
            if self
                .reached_changed
                .wait_until(&mut reached, deadline)
                .timed_out()
            {
                return *reached >= position;
            }
        }
        true
    }

    /// Folds every durable event not folded yet; returns the new position.
    pub fn catch_up(&self) -> Result<u64, ProjectionError> {
        let _folding = self.folding.lock();
        loop {
            let from = self.model.read().position();
            let batch = decode_batch(&*self.log, from, APPLY_BATCH_EVENTS_MAX)?;
            let Some(last) = batch.last().map(|e| e.0) else {
                return Ok(from);
            };
            {
                let mut model = self.model.write();
                for (position, version, event) in &batch {
                    model.apply(*position, *version, event);
                }
            }
            self.publish(last);
        }
    }

    /// Folds the whole log into a fresh model, then swaps it in. Reads go
    /// on against the old model meanwhile.
    pub fn rebuild(&self) -> Result<RebuildReport, ProjectionError> {
        let _folding = self.folding.lock();
        let start = Instant::now();
        let fresh = fold_all(&*self.log)?;
        let report = RebuildReport {
            events: fresh.events(),
            position: fresh.position(),
            elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
            events_per_s: fresh.events() as f64 / start.elapsed().as_secs_f64().max(1e-9),
        };
        let position = fresh.position();
        *self.model.write() = fresh;
        self.publish(position);
        self.log.save_checkpoint(&checkpoint_name(), position)?;
        Ok(report)
    }

    fn publish(&self, position: u64) {
        let mut reached = self.reached.lock();
        if position > *reached {
            *reached = position;
            self.reached_changed.notify_all();
            self.reached_watch.send_replace(position);
        }
    }

    /// The position the model reflects, for async waiters: it changes
    /// after the events up to it are folded in.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.reached_watch.subscribe()
    }

    /// The log the model folds.
    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }
}

/// Decodes up to `max` events after `after`.
fn decode_batch(
    log: &dyn EventLog,
    after: u64,
    max: usize,
) -> Result<Vec<(u64, u64, Event)>, ProjectionError> {
    let mut batch = Vec::with_capacity(max.min(1024));
    let mut failed = None;
    log.scan(after, u64::MAX, &mut |view| match codec::decode(&view) {
        Ok(event) => {
            batch.push((view.position(), view.stream_version(), event));
            if batch.len() >= max {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
        Err(e) => {
            failed = Some(e);
            ControlFlow::Break(())
        }
    })?;
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(batch),
    }
}

/// Folds every durable event of `log` into a fresh model.
pub fn fold_all(log: &dyn EventLog) -> Result<ReadModel, ProjectionError> {
    let mut model = ReadModel::default();
    let mut failed = None;
    log.scan(0, u64::MAX, &mut |view| match codec::decode(&view) {
        Ok(event) => {
            model.apply(view.position(), view.stream_version(), &event);
            ControlFlow::Continue(())
        }
        Err(e) => {
            failed = Some(e);
            ControlFlow::Break(())
        }
    })?;
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(model),
    }
}
