//! The embedded, durable log on sled, with a single writer thread doing
//! group commit. See the crate docs for the durability reasoning.

mod tree;

use crate::hash::HashMap;
use std::fs::{File, OpenOptions};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use crate::chunk::ChunkWriter;
use crate::keys;
use crate::planner::{self, Group, Tail};
use crate::record::{RecordView, HASH_LEN};
use crate::verify;
use crate::{
    block_on, system_clock, AppendOutcome, AppendTicket, Clock, Durable, EventLog, LogError,
    LogLimits, RecordedEvent, StreamAppend, VerifyReport,
};
use tree::LogTree;

/// sled's segment size. It sets sled's blob threshold (a quarter of it):
/// nodes larger than that go to separate files sled never syncs. At 8 MiB
/// the threshold is 2 MiB, above any leaf node of 17 maximal events.
const SEGMENT_SIZE_BYTES: usize = 8 * 1024 * 1024;
/// Stream heads the writer keeps in memory; past this the cache is
/// cleared and refilled from the stream index on demand.
const STREAM_HEADS_CACHED_MAX: usize = 1_000_000;

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

type AppendReply = oneshot::Sender<Result<AppendOutcome, LogError>>;
type UnitReply = oneshot::Sender<Result<(), LogError>>;

enum Command {
    Append {
        appends: Vec<StreamAppend>,
        reply: AppendReply,
    },
    Checkpoint {
        name: String,
        position: u64,
        reply: UnitReply,
    },
    Flush {
        reply: UnitReply,
    },
}

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
    sender: Mutex<Option<SyncSender<Command>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
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
        let data_path = dir.join("db");
        let data_file = OpenOptions::new()
            .write(true)
            .open(&data_path)
            .map_err(|source| LogError::Io {
                path: data_path.clone(),
                source,
            })?;
        // What recovery found may sit only in the page cache (after a
        // process crash); make it durable before reporting it as such.
        db.flush()?;
        sync(&data_file, &data_path)?;

        let shared = Arc::new(Shared {
            db: db.clone(),
            tree: tree.clone(),
            durable: Durable::new(tail.last_position()),
            limits: options.limits.clone(),
            poisoned: Mutex::new(None),
        });
        let (sender, receiver) = mpsc::sync_channel(options.limits.queued_appends_max);
        let syncer = Syncer {
            db,
            data_file,
            data_path,
            blobs_dir: dir.join("blobs"),
            blobs_seen: None,
            shared: shared.clone(),
        };
        let writer = Writer {
            tree,
            heads: HashMap::default(),
            tail,
            shared: shared.clone(),
            clock: options.clock,
            group_events_max: options.limits.group_events_max,
        };
        let handle = std::thread::Builder::new()
            .name("leadline-log-writer".into())
            .spawn(move || writer.run(receiver, syncer))
            .map_err(|source| LogError::Io {
                path: dir.clone(),
                source,
            })?;
        Ok(SledLog {
            shared,
            sender: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(handle)),
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
        let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(sender);
        let handle = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
            handle
                .join()
                .map_err(|_| LogError::Poisoned("the log writer thread panicked".into()))?;
        }
        self.shared.db.flush()?;
        Ok(())
    }

    fn send(&self, command: Command) -> Result<(), LogError> {
        let guard = self.sender.lock().unwrap_or_else(|e| e.into_inner());
        let Some(sender) = guard.as_ref() else {
            return Err(LogError::Closed);
        };
        sender.try_send(command).map_err(|e| match e {
            TrySendError::Full(_) => LogError::Busy {
                queued: self.shared.limits.queued_appends_max,
            },
            TrySendError::Disconnected(_) => LogError::Closed,
        })
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
        let (reply, ticket) = AppendTicket::channel();
        match self.send(Command::Append { appends, reply }) {
            Ok(()) => ticket,
            Err(e) => AppendTicket::ready(Err(e)),
        }
    }

    fn read_all(&self, after: u64, max: usize) -> Result<Vec<RecordedEvent>, LogError> {
        let max = max.min(self.shared.limits.read_events_max);
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
        let max = max.min(self.shared.limits.read_events_max);
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
        let (reply, answer) = oneshot::channel();
        self.send(Command::Checkpoint {
            name: name.to_owned(),
            position,
            reply,
        })?;
        block_on(answer).unwrap_or(Err(LogError::Closed))
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
        let (reply, answer) = oneshot::channel();
        self.send(Command::Flush { reply })?;
        block_on(answer).unwrap_or(Err(LogError::Closed))
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

fn sync(file: &File, path: &Path) -> Result<(), LogError> {
    file.sync_data().map_err(|source| LogError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The single writer: plans each group and applies it to sled, then hands
/// it to the syncer. Owns the tail and the stream-head cache, which run
/// ahead of what is durable by the groups the syncer has not finished.
struct Writer {
    tree: LogTree,
    heads: HashMap<String, u64>,
    tail: Tail,
    shared: Arc<Shared>,
    clock: Clock,
    group_events_max: usize,
}

/// Makes applied groups durable (flush, fdatasync), then acknowledges them,
/// strictly in order. While it syncs, the writer applies the next groups; a
/// sync covers everything applied before it, so several groups that queued
/// up share one sync.
struct Syncer {
    db: sled::Db,
    data_file: File,
    data_path: PathBuf,
    blobs_dir: PathBuf,
    blobs_seen: Option<std::time::SystemTime>,
    shared: Arc<Shared>,
}

/// Groups applied to sled and waiting for the syncer; bounded so that a
/// slow disk pushes back on the writer (and appends then group up more).
const GROUPS_IN_FLIGHT_MAX: usize = 4;

/// What one group commit owes its callers once it is durable.
#[derive(Default)]
struct Pending {
    /// True when the group wrote something that needs a sync.
    wrote: bool,
    /// The last position applied when the group was handed over.
    last_position: u64,
    appends: Vec<(AppendReply, Result<AppendOutcome, LogError>)>,
    units: Vec<UnitReply>,
}

impl Command {
    fn event_count(&self) -> usize {
        match self {
            Command::Append { appends, .. } => appends.iter().map(|a| a.events.len()).sum(),
            _ => 1,
        }
    }
}

impl Writer {
    fn run(mut self, receiver: Receiver<Command>, syncer: Syncer) {
        let (to_syncer, synced) = mpsc::sync_channel(GROUPS_IN_FLIGHT_MAX);
        let syncer = std::thread::Builder::new()
            .name("leadline-log-syncer".into())
            .spawn(move || syncer.run(synced));
        let syncer = match syncer {
            Ok(handle) => handle,
            Err(e) => {
                let reason = format!("cannot start the log syncer thread: {e}");
                self.shared.poison(&reason);
                while let Ok(command) = receiver.recv() {
                    refuse(command, LogError::Poisoned(reason.clone()));
                }
                return;
            }
        };
        while let Ok(first) = receiver.recv() {
            let mut events = first.event_count();
            let mut commands = vec![first];
            while events < self.group_events_max {
                match receiver.try_recv() {
                    Ok(command) => {
                        events += command.event_count();
                        commands.push(command);
                    }
                    Err(_) => break,
                }
            }
            let pending = self.apply_group(commands);
            if to_syncer.send(pending).is_err() {
                break;
            }
        }
        // Every sender is gone: the log is closing. The syncer finishes what
        // was handed to it, then stops.
        drop(to_syncer);
        let _ = syncer.join();
    }

    /// Plans the group and applies it to sled as one atomic batch.
    fn apply_group(&mut self, commands: Vec<Command>) -> Pending {
        let mut pending = Pending::default();
        if let Some(reason) = self.shared.poisoned() {
            for command in commands {
                refuse(command, LogError::Poisoned(reason.clone()));
            }
            return pending;
        }
        let now_us = (self.clock)();
        let mut group = Group::new(self.tail.clone());
        let mut checkpoints = Vec::new();
        for command in commands {
            match command {
                Command::Append { appends, reply } => {
                    let mut index = self.tree.index(&self.heads);
                    let result = group.plan(&mut index, &appends, now_us);
                    pending.appends.push((reply, result));
                }
                Command::Checkpoint {
                    name,
                    position,
                    reply,
                } => {
                    checkpoints.push((name, position));
                    pending.units.push(reply);
                }
                Command::Flush { reply } => pending.units.push(reply),
            }
        }
        pending.wrote = !group.events.is_empty() || !checkpoints.is_empty();
        if pending.wrote {
            if let Err(e) = self.apply(&group, &checkpoints) {
                let reason = e.to_string();
                self.shared.poison(&reason);
                fail(pending, &reason);
                return Pending::default();
            }
        }
        if self.heads.len() + group.heads.len() > STREAM_HEADS_CACHED_MAX {
            self.heads.clear();
        }
        self.heads.extend(group.heads);
        self.tail = group.tail;
        pending.last_position = self.tail.last_position();
        pending
    }

    fn apply(&self, group: &Group, checkpoints: &[(String, u64)]) -> Result<(), LogError> {
        let mut batch = sled::Batch::default();
        let mut chunks = ChunkWriter::new();
        for event in &group.events {
            let position = event.position.to_be_bytes();
            chunks.push(event.position, &event.bytes);
            batch.insert(
                keys::stream_key(&event.stream, event.stream_version),
                &position,
            );
            batch.insert(&keys::id_key(&event.id), &position);
        }
        for (first, chunk) in chunks.finish() {
            batch.insert(&keys::event_key(first), chunk);
        }
        if !group.events.is_empty() {
            let mut head = Vec::with_capacity(8 + HASH_LEN);
            head.extend_from_slice(&group.tail.last_position().to_be_bytes());
            head.extend_from_slice(&group.tail.prev_hash);
            batch.insert(keys::META_HEAD, head);
        }
        for (name, position) in checkpoints {
            batch.insert(keys::checkpoint_key(name), &position.to_be_bytes());
        }
        self.tree.apply(batch)
    }
}

impl Syncer {
    fn run(mut self, synced: Receiver<Pending>) {
        while let Ok(first) = synced.recv() {
            let mut groups = vec![first];
            while let Ok(next) = synced.try_recv() {
                groups.push(next);
            }
            let result = match self.shared.poisoned() {
                Some(reason) => Err(reason),
                None if groups.iter().any(|g| g.wrote) => self.sync().map_err(|e| e.to_string()),
                None => Ok(()),
            };
            match result {
                Ok(()) => {
                    let last = groups.iter().map(|g| g.last_position).max().unwrap_or(0);
                    if last > self.shared.durable.get() {
                        self.shared.durable.advance(last);
                    }
                    groups.into_iter().for_each(acknowledge);
                }
                Err(reason) => {
                    self.shared.poison(&reason);
                    for group in groups {
                        fail(group, &reason);
                    }
                }
            }
        }
        // Closing: everything acknowledged is already synced; this leaves
        // sled's own state tidy too.
        let _ = self.db.flush();
        let _ = self.data_file.sync_data();
    }

    /// Flushes sled's buffers, then fdatasyncs its data file (sled's flush
    /// alone stops at `sync_file_range`).
    fn sync(&mut self) -> Result<(), LogError> {
        self.db.flush()?;
        sync(&self.data_file, &self.data_path)?;
        self.sync_new_blobs()
    }

    /// sled never syncs its blob files; the limits keep it from writing any,
    /// and should one appear anyway it is synced before acknowledging. One
    /// `stat` per sync: the directory is listed only when it changed.
    fn sync_new_blobs(&mut self) -> Result<(), LogError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LogError::Io { path, source }
        };
        let Ok(modified) = std::fs::metadata(&self.blobs_dir).and_then(|m| m.modified()) else {
            return Ok(());
        };
        if self.blobs_seen == Some(modified) {
            return Ok(());
        }
        let entries = std::fs::read_dir(&self.blobs_dir).map_err(io(&self.blobs_dir))?;
        for entry in entries {
            let path = entry.map_err(io(&self.blobs_dir))?.path();
            File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(io(&path))?;
        }
        File::open(&self.blobs_dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.blobs_dir))?;
        self.blobs_seen = Some(modified);
        Ok(())
    }
}

fn acknowledge(pending: Pending) {
    for (reply, result) in pending.appends {
        let _ = reply.send(result);
    }
    for reply in pending.units {
        let _ = reply.send(Ok(()));
    }
}

/// Answers a group whose write or sync failed: appends that would have
/// succeeded get the failure; refusals (conflicts, …) keep their own error.
fn fail(pending: Pending, reason: &str) {
    for (reply, result) in pending.appends {
        let answer = match result {
            Ok(_) => Err(LogError::Poisoned(reason.to_owned())),
            refused => refused,
        };
        let _ = reply.send(answer);
    }
    for reply in pending.units {
        let _ = reply.send(Err(LogError::Poisoned(reason.to_owned())));
    }
}

fn refuse(command: Command, error: LogError) {
    match command {
        Command::Append { reply, .. } => {
            let _ = reply.send(Err(error));
        }
        Command::Checkpoint { reply, .. } | Command::Flush { reply } => {
            let _ = reply.send(Err(error));
        }
    }
}
