//! The embedded, durable log on sled: opening and closing it, and the
//! [`EventLog`] calls, which read through the tree adapter (`tree`) and
//! write through the group commit (`commit`). See the crate docs for the
//! durability reasoning.

mod commit;
mod tree;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::planner;
use crate::record::RecordView;
use crate::verify;
use crate::{
    system_clock, AppendTicket, Clock, Durable, EventLog, LogError, LogLimits, RecordedEvent,
    StreamAppend, VerifyReport,
};
use commit::{Queue, Syncer, Writer};
use tree::LogTree;

/// sled's segment size. It sets sled's blob threshold (a quarter of it):
/// nodes larger than that go to separate files sled never syncs. At 8 MiB
/// the threshold is 2 MiB, above any leaf node of 17 maximal events.
const SEGMENT_SIZE_BYTES: usize = 8 * 1024 * 1024;

/// How to open a [`SledLog`].
#[derive(Clone)]
pub struct SledOptions {
    pub limits: LogLimits,
    /// sled's own background flush interval. Acknowledged appends never
    /// depend on it (each group commit flushes and syncs); it only bounds
    /// how long other sled writes (none today) stay in memory.
    pub flush_every_ms: u64,
    /// sled's page cache.
    pub cache_capacity_bytes: u64,
    /// Source of recorded times.
    pub clock: Clock,
}

impl Default for SledOptions {
    fn default() -> Self {
        SledOptions {
            limits: LogLimits::default(),
            flush_every_ms: 500,
            cache_capacity_bytes: 256 * 1024 * 1024,
            clock: system_clock(),
        }
    }
}

/// What the log's handle shares with its writer and syncer threads.
struct Shared {
    db: sled::Db,
    tree: LogTree,
    durable: Durable,
    limits: LogLimits,
    /// Set after a failed write or sync; nothing about the disk can be
    /// trusted then, so every later append is refused until reopening.
    poisoned: Mutex<Option<String>>,
}

impl Shared {
    fn poisoned(&self) -> Option<String> {
        self.poisoned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn poison(&self, reason: &str) {
        self.poisoned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(|| reason.to_owned());
    }
}

/// The event log on sled.
pub struct SledLog {
    shared: Arc<Shared>,
    queue: Queue,
    path: PathBuf,
}

impl SledLog {
    /// Opens (or creates) the log in `dir`. Fails with [`LogError::Locked`]
    /// when another process holds it.
    pub fn open(dir: impl AsRef<Path>, options: SledOptions) -> Result<SledLog, LogError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|source| LogError::Io {
            path: dir.clone(),
            source,
        })?;
        let config = sled::Config::new()
            .path(&dir)
            .segment_size(SEGMENT_SIZE_BYTES)
            .cache_capacity(options.cache_capacity_bytes)
            .flush_every_ms(Some(options.flush_every_ms))
            .mode(sled::Mode::HighThroughput);
        let db = open_locked(&dir, || config.open())?;
        let tree = LogTree::open(&db)?;
        let tail = tree.tail()?;
        let shared = Arc::new(Shared {
            db: db.clone(),
            tree: tree.clone(),
            durable: Durable::new(tail.last_position()),
            limits: options.limits.clone(),
            poisoned: Mutex::new(None),
        });
        let syncer = Syncer::open(db, &dir, shared.clone())?;
        let queue = Writer::new(tree, tail, shared.clone(), options.clock)
            .start(syncer)
            .map_err(|source| LogError::Io {
                path: dir.clone(),
                source,
            })?;
        Ok(SledLog {
            shared,
            queue,
            path: dir,
        })
    }

    /// Opens the sled tree under a closed log directly, bypassing every
    /// check of the log. For forensic tools and tamper tests only.
    pub fn open_raw(dir: impl AsRef<Path>) -> Result<(sled::Db, sled::Tree), LogError> {
        let config = sled::Config::new()
            .path(dir.as_ref())
            .segment_size(SEGMENT_SIZE_BYTES);
        let db = open_locked(dir.as_ref(), || config.open())?;
        let tree = db.open_tree(tree::LOG_TREE)?;
        Ok((db, tree))
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops the writer after it has committed everything queued, flushes
    /// and syncs. Appends after this fail with [`LogError::Closed`].
    pub fn close(&self) -> Result<(), LogError> {
        self.queue.close()?;
        self.shared.db.flush()?;
        Ok(())
    }
}

impl Drop for SledLog {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl EventLog for SledLog {
    fn submit(&self, appends: Vec<StreamAppend>) -> AppendTicket {
        if let Err(e) = planner::validate(&appends, &self.shared.limits) {
            return AppendTicket::ready(Err(e));
        }
        self.queue.append(appends)
    }

    fn scan(
        &self,
        after: u64,
        up_to: u64,
        visit: &mut dyn FnMut(RecordView<'_>) -> ControlFlow<()>,
    ) -> Result<u64, LogError> {
        let last = up_to.min(self.shared.durable.get());
        self.shared.tree.scan(after, last, visit)
    }

    fn read_stream(
        &self,
        stream: &str,
        from_version: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        let max = self.shared.limits.read_page(max);
        let durable = self.shared.durable.get();
        self.shared
            .tree
            .read_stream(stream, from_version, max, durable)
    }

    fn stream_version(&self, stream: &str) -> Result<u64, LogError> {
        let durable = self.shared.durable.get();
        self.shared.tree.stream_version(stream, durable)
    }

    fn last_position(&self) -> u64 {
        self.shared.durable.get()
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.durable.subscribe()
    }

    fn wait_for_position(&self, position: u64, timeout: Duration) -> u64 {
        self.shared.durable.wait_for(position, timeout)
    }

    fn checkpoint(&self, name: &str) -> Result<Option<u64>, LogError> {
        self.shared.tree.checkpoint(name)
    }

    fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), LogError> {
        let max = self.shared.limits.checkpoint_name_bytes_max;
        if name.is_empty() || name.len() > max {
            return Err(LogError::LimitExceeded {
                what: "checkpoint name bytes (1 at least)",
                actual: name.len(),
                max,
            });
        }
        self.queue.save_checkpoint(name, position)
    }

    fn verify(&self) -> Result<VerifyReport, LogError> {
        let up_to = self.shared.durable.get();
        verify::verify(
            &self.shared.tree,
            up_to,
            self.shared.limits.verify_problems_listed_max,
        )
    }

    fn flush(&self) -> Result<(), LogError> {
        self.queue.flush()
    }

    fn limits(&self) -> &LogLimits {
        &self.shared.limits
    }
}

/// How long an open waits for sled's file lock. Within one process, sled
/// releases the lock a moment after a log is dropped (its background
/// threads hold the file briefly), so an immediate reopen may find it still
/// held; another process holding it keeps it, and is reported.
const LOCK_WAIT_MS: u64 = 2_000;

fn open_locked(
    dir: &Path,
    open: impl Fn() -> sled::Result<sled::Db>,
) -> Result<sled::Db, LogError> {
    let deadline = std::time::Instant::now() + Duration::from_millis(LOCK_WAIT_MS);
    loop {
        match open() {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(io)) if io.to_string().contains("could not acquire lock") => {
                if std::time::Instant::now() >= deadline {
                    return Err(LogError::Locked {
                        path: dir.to_path_buf(),
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(other) => return Err(LogError::Sled(other)),
        }
    }
}
