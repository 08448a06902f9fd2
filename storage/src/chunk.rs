//! Chunks: how the sled log stores records.
//!
//! One group commit's records are stored as one or more chunks, each a
//! single sled value of at most [`CHUNK_BYTES_MAX`] keyed by the position of
//! its first record. sled's per-entry costs (node copies on insert, one
//! allocation per value when a node is paged in, space amplification)
//! dominate small values, so packing a commit's records together makes
//! appends, replay and disk use all cheaper; records keep their own
//! checksums and hash chain, so a chunk adds no trust of its own.
//!
//! ```text
//! chunk  = format u8 (= 1), then records
//! record = length u32 (big-endian), then the record's bytes (see `record`)
//! ```
//!
//! Record `i` of the chunk keyed `p` has position `p + i`.

/// The first byte of every chunk written by this version.
pub const CHUNK_FORMAT_V1: u8 = 1;
/// Records are added to a chunk while it stays under this many bytes; a
/// single larger record gets a chunk of its own. With sled's 8 MiB segments
/// a leaf of 17 chunks stays under sled's blob threshold.
pub const CHUNK_BYTES_MAX: usize = 16 * 1024;

/// Builds chunks from records in position order.
pub struct ChunkWriter {
    chunks: Vec<(u64, Vec<u8>)>,
}

impl ChunkWriter {
    pub fn new() -> Self {
        ChunkWriter { chunks: Vec::new() }
    }

    /// Adds the record at `position`; positions must follow each other.
    pub fn push(&mut self, position: u64, record: &[u8]) {
        let fits = self
            .chunks
            .last()
            .is_some_and(|(_, chunk)| chunk.len() + 4 + record.len() <= CHUNK_BYTES_MAX);
        if !fits {
            let mut chunk = Vec::with_capacity(CHUNK_BYTES_MAX.min(1 + 4 + record.len()).max(4096));
            chunk.push(CHUNK_FORMAT_V1);
            self.chunks.push((position, chunk));
        }
        if let Some((_, chunk)) = self.chunks.last_mut() {
            let len = u32::try_from(record.len()).unwrap_or(u32::MAX);
            chunk.extend_from_slice(&len.to_be_bytes());
            chunk.extend_from_slice(record);
        }
    }

    /// The chunks, each with the position of its first record.
    pub fn finish(self) -> Vec<(u64, Vec<u8>)> {
        self.chunks
    }
}

impl Default for ChunkWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// The records of one chunk with their positions. A framing error is
/// yielded once as `Err` and ends the iteration.
pub struct ChunkRecords<'a> {
    rest: &'a [u8],
    next_position: u64,
    failed: bool,
}

/// Iterates the records of the chunk stored under `first_position`.
pub fn records(first_position: u64, chunk: &[u8]) -> ChunkRecords<'_> {
    match chunk.split_first() {
        Some((&CHUNK_FORMAT_V1, rest)) => ChunkRecords {
            rest,
            next_position: first_position,
            failed: false,
        },
        _ => ChunkRecords {
            rest: &[],
            next_position: first_position,
            failed: true,
        },
    }
}

/// A chunk whose framing is broken, at the position where it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramingError {
    pub position: u64,
    pub detail: String,
}

impl<'a> Iterator for ChunkRecords<'a> {
    type Item = Result<(u64, &'a [u8]), FramingError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            self.failed = false;
            self.rest = &[];
            return Some(Err(FramingError {
                position: self.next_position,
                detail: "the chunk has an unknown format byte".into(),
            }));
        }
        if self.rest.is_empty() {
            return None;
        }
        let position = self.next_position;
        let Some((len, body)) = self.rest.split_first_chunk::<4>() else {
            self.rest = &[];
            return Some(Err(FramingError {
                position,
                detail: "the chunk ends inside a record length".into(),
            }));
        };
        let len = u32::from_be_bytes(*len) as usize;
        if body.len() < len {
            self.rest = &[];
            return Some(Err(FramingError {
                position,
                detail: format!("a record of {len} bytes overruns its chunk"),
            }));
        }
        let (record, rest) = body.split_at(len);
        self.rest = rest;
        self.next_position += 1;
        Some(Ok((position, record)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_with_their_positions_across_chunks() {
        let mut writer = ChunkWriter::new();
        let big = vec![7u8; CHUNK_BYTES_MAX / 2];
        for p in 10..14 {
            writer.push(p, &big);
        }
        let chunks = writer.finish();
        assert_eq!(
            chunks.len(),
            4,
            "half-chunk records do not pair up (framing bytes)"
        );
        let mut positions = Vec::new();
        for (first, chunk) in &chunks {
            for item in records(*first, chunk) {
                let (position, record) = item.expect("framing");
                assert_eq!(record.len(), big.len());
                positions.push(position);
            }
        }
        assert_eq!(positions, vec![10, 11, 12, 13]);
    }

    #[test]
    fn small_records_share_a_chunk() {
        let mut writer = ChunkWriter::new();
        for p in 1..=100 {
            writer.push(p, b"record");
        }
        let chunks = writer.finish();
        assert_eq!(chunks.len(), 1);
        assert_eq!(records(1, &chunks[0].1).count(), 100);
    }

    #[test]
    fn broken_framing_is_reported_once() {
        let mut writer = ChunkWriter::new();
        writer.push(5, b"abc");
        let (_, mut chunk) = writer.finish().remove(0);
        chunk.truncate(chunk.len() - 1);
        let items: Vec<_> = records(5, &chunk).collect();
        assert_eq!(items.len(), 1);
        assert!(items[0].is_err());
        assert!(records(5, &[9, 0]).next().is_some_and(|r| r.is_err()));
    }
}
