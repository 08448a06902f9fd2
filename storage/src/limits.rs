//! The log's limits. Every one is enforced before anything is written.

/// Limits on what one append may carry and how much the writer batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLimits {
    /// Events in one append (all streams together).
    pub events_per_append_max: usize,
    /// Streams in one multi-stream append.
    pub streams_per_append_max: usize,
    /// Bytes of one event's payload.
    pub payload_bytes_max: usize,
    /// Bytes of all payloads of one append.
    pub append_bytes_max: usize,
    /// Bytes of a stream name.
    pub stream_name_bytes_max: usize,
    /// Bytes of an event type name.
    pub event_type_bytes_max: usize,
    /// Bytes of an actor.
    pub actor_bytes_max: usize,
    /// Bytes of a checkpoint name.
    pub checkpoint_name_bytes_max: usize,
    /// Events the writer puts into one group commit (one atomic batch, one sync).
    pub group_events_max: usize,
    /// Appends waiting for the writer; past this, appends fail with `Busy`.
    pub queued_appends_max: usize,
    /// Events returned by one paged read.
    pub read_events_max: usize,
    /// Problems listed by `verify` (all are counted).
    pub verify_problems_listed_max: usize,
}

impl LogLimits {
    /// How many events a paged read asked for `max` returns at most.
    pub(crate) fn read_page(&self, max: usize) -> usize {
        max.min(self.read_events_max)
    }
}

impl Default for LogLimits {
    fn default() -> Self {
        LogLimits {
            events_per_append_max: 65_536,
            streams_per_append_max: 65_536,
            // With sled's segment size set to 8 MiB (see `sled_log`), any
            // tree node made of 17 such events stays under sled's blob
            // threshold of 2 MiB, so every byte lives in the one file we sync.
            payload_bytes_max: 64 * 1024,
            append_bytes_max: 64 * 1024 * 1024,
            stream_name_bytes_max: 256,
            event_type_bytes_max: 128,
            actor_bytes_max: 256,
            checkpoint_name_bytes_max: 256,
            group_events_max: 65_536,
            queued_appends_max: 65_536,
            read_events_max: 100_000,
            verify_problems_listed_max: 1_000,
        }
    }
}
