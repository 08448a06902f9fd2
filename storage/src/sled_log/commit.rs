//! Group commit. One writer thread takes every command that is waiting,
//! plans the appends among them and applies the group to sled as one atomic
//! batch; one syncer thread makes applied groups durable and only then
//! publishes the new durable position and answers their callers. The two
//! overlap, so a slow sync lets more appends queue up and share the next
//! one instead of each paying for its own.
//!
//! Why a sync is sled's flush followed by our own fdatasync, and why
//! readers can trust the durable position, is argued in the crate docs
//! (Durability); the pieces of that argument live next to the code below.

use crate::hash::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::tree::LogTree;
use super::Shared;
use crate::chunk::ChunkWriter;
use crate::keys;
use crate::planner::{Group, Tail};
use crate::record::HASH_LEN;
use crate::{block_on, AppendOutcome, AppendTicket, Clock, LogError, StreamAppend};

/// Stream heads the writer keeps in memory; past this the cache is
/// cleared and refilled from the stream index on demand.
const STREAM_HEADS_CACHED_MAX: usize = 1_000_000;

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

impl Command {
    fn event_count(&self) -> usize {
        match self {
            Command::Append { appends, .. } => appends.iter().map(|a| a.events.len()).sum(),
            _ => 1,
        }
    }
}

/// The log's end of the writer thread. Commands go through a bounded queue
/// so that a writer that cannot keep up turns appends away as `Busy`
/// instead of letting memory grow.
pub(super) struct Queue {
    sender: Mutex<Option<SyncSender<Command>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    capacity: usize,
}

impl Queue {
    /// Queues an append (already validated); the ticket resolves once it is
    /// durable or refused.
    pub fn append(&self, appends: Vec<StreamAppend>) -> AppendTicket {
        let (reply, ticket) = AppendTicket::channel();
        match self.send(Command::Append { appends, reply }) {
            Ok(()) => ticket,
            Err(e) => AppendTicket::ready(Err(e)),
        }
    }

    /// Stores a checkpoint with the next group and waits until it is durable.
    pub fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), LogError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Checkpoint {
            name: name.to_owned(),
            position,
            reply,
        })?;
        block_on(answer).unwrap_or(Err(LogError::Closed))
    }

    /// Waits until everything queued before it is durable.
    pub fn flush(&self) -> Result<(), LogError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Flush { reply })?;
        block_on(answer).unwrap_or(Err(LogError::Closed))
    }

    /// Closes the queue and waits for the writer to commit what it holds
    /// and stop. Later commands fail with [`LogError::Closed`].
    pub fn close(&self) -> Result<(), LogError> {
        let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(sender);
        let handle = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
            handle
                .join()
                .map_err(|_| LogError::Poisoned("the log writer thread panicked".into()))?;
        }
        Ok(())
    }

    fn send(&self, command: Command) -> Result<(), LogError> {
        let guard = self.sender.lock().unwrap_or_else(|e| e.into_inner());
        let Some(sender) = guard.as_ref() else {
            return Err(LogError::Closed);
        };
        sender.try_send(command).map_err(|e| match e {
            TrySendError::Full(_) => LogError::Busy {
                queued: self.capacity,
            },
            TrySendError::Disconnected(_) => LogError::Closed,
        })
    }
}

/// The single writer: plans each group and applies it to sled, then hands
/// it to the syncer. Owns the tail and the stream-head cache, which run
/// ahead of what is durable by the groups the syncer has not finished.
pub(super) struct Writer {
    tree: LogTree,
    heads: HashMap<String, u64>,
    tail: Tail,
    shared: Arc<Shared>,
    clock: Clock,
    group_events_max: usize,
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

impl Writer {
    pub fn new(tree: LogTree, tail: Tail, shared: Arc<Shared>, clock: Clock) -> Self {
        Writer {
            tree,
            heads: HashMap::default(),
            tail,
            group_events_max: shared.limits.group_events_max,
            shared,
            clock,
        }
    }

    /// Starts the writer thread (which starts the syncer) and returns the
    /// queue that feeds it.
    pub fn start(self, syncer: Syncer) -> std::io::Result<Queue> {
        let capacity = self.shared.limits.queued_appends_max;
        let (sender, receiver) = mpsc::sync_channel(capacity);
        let writer = std::thread::Builder::new()
            .name("leadline-log-writer".into())
            .spawn(move || self.run(receiver, syncer))?;
        Ok(Queue {
            sender: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(writer)),
            capacity,
        })
    }

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

/// Makes applied groups durable (flush, fdatasync), then acknowledges them,
/// strictly in order. While it syncs, the writer applies the next groups; a
/// sync covers everything applied before it, so several groups that queued
/// up share one sync.
pub(super) struct Syncer {
    db: sled::Db,
    data_file: File,
    data_path: PathBuf,
    blobs_dir: PathBuf,
    blobs_seen: Option<std::time::SystemTime>,
    shared: Arc<Shared>,
}

impl Syncer {
    /// Opens sled's data file in `dir` for syncing, after syncing what
    /// recovery left there.
    pub fn open(db: sled::Db, dir: &Path, shared: Arc<Shared>) -> Result<Self, LogError> {
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
        Ok(Syncer {
            db,
            data_file,
            data_path,
            blobs_dir: dir.join("blobs"),
            blobs_seen: None,
            shared,
        })
    }

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

fn sync(file: &File, path: &Path) -> Result<(), LogError> {
    file.sync_data().map_err(|source| LogError::Io {
        path: path.to_path_buf(),
        source,
    })
}
