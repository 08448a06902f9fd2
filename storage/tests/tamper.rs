//! Changing stored bytes behind the log's back is found by `verify`, which
//! names each altered position and keeps going after the first problem.

mod common;

use common::{event, open_sled};
use leadline_storage::{
    chunk, keys, EventLog, ExpectedVersion, MemoryLog, ProblemKind, SledLog, VerifyReport,
};

const EVENTS: u64 = 6;

fn fill(log: &dyn EventLog) {
    for i in 1..=EVENTS {
        let stream = format!("lead-{}", i % 2);
        log.append(
            &stream,
            ExpectedVersion::Any,
            vec![event(i as u128, b"payload-bytes")],
        )
        .expect("append");
    }
    assert!(log.verify().expect("verify").ok);
}

/// Runs `change` on the raw sled tree of a closed log, then verifies.
fn tamper_sled(change: impl FnOnce(&sled::Tree)) -> VerifyReport {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let log = open_sled(dir.path());
        fill(&log);
        log.close().expect("close");
    }
    {
        let (db, tree) = SledLog::open_raw(dir.path()).expect("raw open");
        change(&tree);
        db.flush().expect("flush");
    }
    open_sled(dir.path()).verify().expect("verify runs")
}

/// The record at `position`; `fill` appends one event per commit, so each
/// record is alone in the chunk keyed by its position.
fn stored(tree: &sled::Tree, position: u64) -> Vec<u8> {
    let value = tree
        .get(keys::event_key(position))
        .expect("get")
        .expect("present");
    let (at, record) = chunk::records(position, &value)
        .next()
        .expect("one record")
        .expect("framing");
    assert_eq!(at, position);
    record.to_vec()
}

/// Stores `record` back as the only record of its chunk.
fn put(tree: &sled::Tree, position: u64, record: &[u8]) {
    let mut writer = chunk::ChunkWriter::new();
    writer.push(position, record);
    let (first, value) = writer.finish().remove(0);
    tree.insert(keys::event_key(first), value).expect("insert");
}

/// Alters the payload and recomputes the checksum, as a careful forger would.
fn forge(mut bytes: Vec<u8>) -> Vec<u8> {
    let body = bytes.len() - 4;
    bytes[body - 1] ^= 0x01;
    let crc = crc32c::crc32c(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_be_bytes());
    bytes
}

fn has(report: &VerifyReport, position: u64, kind: ProblemKind) -> bool {
    report
        .problems
        .iter()
        .any(|p| p.position == Some(position) && p.kind == kind)
}

#[test]
fn a_flipped_byte_is_named_by_its_checksum() {
    let report = tamper_sled(|tree| {
        let mut bytes = stored(tree, 3);
        bytes[130] ^= 0xFF;
        put(tree, 3, &bytes);
    });
    assert!(!report.ok);
    assert!(has(&report, 3, ProblemKind::Checksum), "{report:#?}");
}

#[test]
fn a_forged_event_breaks_the_hash_chain_at_its_position() {
    let report = tamper_sled(|tree| {
        put(tree, 2, &forge(stored(tree, 2)));
    });
    assert!(has(&report, 2, ProblemKind::HashChain), "{report:#?}");
    assert_eq!(report.problems_total, 1, "{report:#?}");
}

#[test]
fn a_forged_last_event_disagrees_with_the_stored_head() {
    let report = tamper_sled(|tree| {
        put(tree, EVENTS, &forge(stored(tree, EVENTS)));
    });
    assert!(has(&report, EVENTS, ProblemKind::Head), "{report:#?}");
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let report = tamper_sled(|tree| {
        let mut bytes = stored(tree, 2);
        bytes[120] ^= 0x10;
        put(tree, 2, &bytes);
        tree.remove(keys::event_key(4)).expect("remove");
        tree.remove(keys::stream_key("lead-1", 3))
            .expect("remove index");
        tree.insert(keys::stream_key("ghost", 1), &1u64.to_be_bytes())
            .expect("insert stray index");
    });
    assert!(has(&report, 2, ProblemKind::Checksum), "{report:#?}");
    assert!(has(&report, 4, ProblemKind::PositionGap), "{report:#?}");
    assert!(has(&report, 5, ProblemKind::StreamIndex), "{report:#?}");
    assert!(
        has(&report, 1, ProblemKind::StreamIndex),
        "stray entry: {report:#?}"
    );
    assert!(report.problems_total >= 4);
}

#[test]
fn a_chunk_with_broken_framing_is_reported() {
    let report = tamper_sled(|tree| {
        let mut value = tree
            .get(keys::event_key(3))
            .expect("get")
            .expect("present")
            .to_vec();
        value.truncate(value.len() - 7);
        tree.insert(keys::event_key(3), value).expect("insert");
    });
    assert!(has(&report, 3, ProblemKind::Undecodable), "{report:#?}");
    assert!(!report.ok);
}

#[test]
fn the_memory_log_verifies_the_same_way() {
    let log = MemoryLog::default();
    fill(&log);
    let bytes = log.read_all(2, 1).expect("read");
    assert_eq!(bytes.len(), 1);
    let mut raw = Vec::new();
    log.scan(2, 3, &mut |v| {
        raw = v.bytes().to_vec();
        std::ops::ControlFlow::Break(())
    })
    .expect("scan");
    assert!(log.tamper(3, forge(raw)));
    let report = log.verify().expect("verify");
    assert!(has(&report, 3, ProblemKind::HashChain), "{report:#?}");
}
