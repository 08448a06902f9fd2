//! The embedded, durable log on sled, with a single writer thread doing
//! group commit. See the crate docs for the durability reasoning.

use crate::hash::HashMap;
use std::fs::{File, OpenOptions};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use crate::chunk::{self, ChunkWriter};
use crate::keys;
use crate::planner::{self, Group, Index, Tail};
use crate::record::{ChainHash, RecordView, HASH_LEN};
use crate::verify::{self, EventVisitor, RawLog, StreamEntryVisitor};
use crate::{
    block_on, system_clock, AppendOutcome, AppendTicket, Clock, Durable, EventLog, LogError,
    LogLimits, RecordedEvent, StreamAppend, VerifyReport,
};

/// sled's segment size. It sets sled's blob threshold (a quarter of it):
/// nodes larger than that go to separate files sled never syncs. At 8 MiB
/// the threshold is 2 MiB, above any leaf node of 17 maximal events.
const SEGMENT_SIZE_BYTES: usize = 8 * 1024 * 1024;
/// The sled tree holding the log; other trees may hold projection state.
const LOG_TREE: &str = "log";
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
    tree: sled::Tree,
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
        let tree = db.open_tree(LOG_TREE)?;
        let tail = read_tail(&tree)?;
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
        let tree = db.open_tree(LOG_TREE)?;
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

    fn event_at(&self, position: u64) -> Result<RecordedEvent, LogError> {
        let bytes =
            record_bytes(&self.shared.tree, position)?.ok_or_else(|| LogError::Corrupt {
                position,
                detail: "the stream index points to a missing event".into(),
            })?;
        parse(position, &bytes).map(|view| view.to_owned_event())
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
        if after >= last {
            return Ok(after);
        }
        let mut visited = after;
        let start = chunk_start(&self.shared.tree, after + 1)?;
        for entry in self
            .shared
            .tree
            .range(keys::event_key(start)..=keys::event_key(last))
        {
            let (key, value) = entry?;
            let first = keys::position_of_event_key(&key).unwrap_or(visited + 1);
            for record in chunk::records(first, &value) {
                let (position, bytes) = record.map_err(framing)?;
                if position <= after {
                    continue;
                }
                if position > last {
                    return Ok(visited);
                }
                let view = parse(position, bytes)?;
                visited = position;
                if visit(view).is_break() {
                    return Ok(visited);
                }
            }
        }
        Ok(visited)
    }

    fn read_stream(
        &self,
        stream: &str,
        from_version: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        let max = max.min(self.shared.limits.read_events_max);
        let durable = self.shared.durable.get();
        let start = keys::stream_key(stream, from_version.max(1));
        let end = keys::stream_key(stream, u64::MAX);
        let mut events = Vec::new();
        for entry in self.shared.tree.range(start..=end).take(max) {
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

    fn stream_version(&self, stream: &str) -> Result<u64, LogError> {
        let durable = self.shared.durable.get();
        for entry in self
            .shared
            .tree
            .scan_prefix(keys::stream_prefix(stream))
            .rev()
        {
            let (key, value) = entry?;
            let position = keys::decode_u64(&value).unwrap_or(u64::MAX);
            if position <= durable {
                return Ok(keys::parse_stream_key(&key).map_or(0, |(_, v)| v));
            }
        }
        Ok(0)
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
        Ok(self
            .shared
            .tree
            .get(keys::checkpoint_key(name))?
            .and_then(|v| keys::decode_u64(&v)))
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
            &TreeRaw(&self.shared.tree),
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

fn parse(position: u64, bytes: &[u8]) -> Result<RecordView<'_>, LogError> {
    RecordView::parse(bytes).map_err(|e| LogError::Corrupt {
        position,
        detail: e.to_string(),
    })
}

fn read_tail(tree: &sled::Tree) -> Result<Tail, LogError> {
    let last = tree
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
        tail = Some(Tail::after(&parse(position, bytes)?));
    }
    tail.ok_or(LogError::Corrupt {
        position: first,
        detail: "the last chunk holds no record".into(),
    })
}

/// The key position of the chunk holding `position` (or `position` itself
/// when no chunk starts at or before it).
fn chunk_start(tree: &sled::Tree, position: u64) -> Result<u64, LogError> {
    let found = tree
        .range(keys::event_key(0)..=keys::event_key(position))
        .next_back()
        .transpose()?;
    Ok(found
        .and_then(|(key, _)| keys::position_of_event_key(&key))
        .unwrap_or(position))
}

/// The stored bytes of the record at `position`, if there is one.
fn record_bytes(tree: &sled::Tree, position: u64) -> Result<Option<Vec<u8>>, LogError> {
    let start = chunk_start(tree, position)?;
    let Some(chunk) = tree.get(keys::event_key(start))? else {
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

fn framing(e: chunk::FramingError) -> LogError {
    LogError::Corrupt {
        position: e.position,
        detail: e.detail,
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
    tree: sled::Tree,
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
                    let mut index = TreeIndex {
                        tree: &self.tree,
                        heads: &self.heads,
                    };
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
        Ok(self.tree.apply_batch(batch)?)
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

/// The planner's view of the stored log.
struct TreeIndex<'a> {
    tree: &'a sled::Tree,
    heads: &'a HashMap<String, u64>,
}

impl Index for TreeIndex<'_> {
    fn position_of_id(&self, id: &Uuid) -> Result<Option<u64>, LogError> {
        Ok(self
            .tree
            .get(keys::id_key(id))?
            .and_then(|v| keys::decode_u64(&v)))
    }

    fn stream_head(&mut self, stream: &str) -> Result<u64, LogError> {
        if let Some(version) = self.heads.get(stream) {
            return Ok(*version);
        }
        // Most uncached streams are new (a lead just imported): one point
        // lookup of version 1 says so, far cheaper than a reverse scan.
        if !self.tree.contains_key(keys::stream_key(stream, 1))? {
            return Ok(0);
        }
        let last = self
            .tree
            .scan_prefix(keys::stream_prefix(stream))
            .next_back()
            .transpose()?;
        Ok(last
            .and_then(|(key, _)| keys::parse_stream_key(&key).map(|(_, v)| v))
            .unwrap_or(0))
    }
}

/// The verifier's view of the stored log.
struct TreeRaw<'a>(&'a sled::Tree);

impl RawLog for TreeRaw<'_> {
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
        match record_bytes(self.0, position) {
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
