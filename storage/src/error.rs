//! The log's one error type. Messages say what happened and what to do.

use std::path::PathBuf;

use uuid::Uuid;

use crate::ExpectedVersion;

/// Everything that can go wrong when appending to or reading the log.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Optimistic concurrency: the stream moved since the caller read it.
    #[error("stream `{stream}` is at version {actual}, but the append expected {expected}; re-read the stream and retry")]
    Conflict {
        stream: String,
        expected: ExpectedVersion,
        actual: u64,
    },
    /// Some, but not all, of the events of an append are already in the log.
    /// A retry re-sends the whole append, so this is a caller bug.
    #[error("event {id} is already in the log at position {position}, but other events of this append are not; an event id belongs to exactly one append")]
    PartialDuplicate { id: Uuid, position: u64 },
    /// An append or a field is over one of the log's limits.
    #[error("{what} is {actual}, over the limit of {max}")]
    LimitExceeded {
        what: &'static str,
        actual: usize,
        max: usize,
    },
    /// The append itself is malformed (empty, empty stream name, …).
    #[error("invalid append: {0}")]
    InvalidAppend(String),
    /// The writer's queue is full; retry shortly.
    #[error("the log is busy ({queued} appends queued); retry shortly")]
    Busy { queued: usize },
    /// The log was closed.
    #[error("the log is closed")]
    Closed,
    /// A write failed earlier; the log refuses further appends until it is
    /// reopened, because what is on disk after a failed sync is unknown.
    #[error("the log failed a write and refuses appends until it is reopened: {0}")]
    Poisoned(String),
    /// A stored event failed its checks on read.
    #[error(
        "corrupt event at position {position}: {detail}; run `leadline verify` for a full report"
    )]
    Corrupt { position: u64, detail: String },
    /// The data directory is held by another process.
    #[error("the data directory {path} is in use by another process (is a `leadline serve` running on it?)")]
    Locked { path: PathBuf },
    #[error("storage engine error: {0}")]
    Sled(#[from] sled::Error),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl LogError {
    /// True when the same call may succeed if simply tried again
    /// (after re-reading the stream, for a conflict).
    pub fn is_retryable(&self) -> bool {
        matches!(self, LogError::Conflict { .. } | LogError::Busy { .. })
    }
}
