//! Records encoded by format 1 must keep decoding in every later version.
//!
//! `tests/golden/records-v1.bin` was written by this version (u32 length +
//! record bytes, repeated). A change to the record format that cannot read
//! it fails here; add an upcast instead. Regenerate only when adding a new
//! fixture next to it: `LEADLINE_WRITE_GOLDEN=1 cargo test -p leadline-storage --test golden`.

use std::path::PathBuf;
use std::sync::Arc;

use leadline_storage::record::{chain_hash, GENESIS_HASH};
use leadline_storage::{EventLog, ExpectedVersion, LogLimits, MemoryLog, NewEvent, RecordView};
use uuid::Uuid;

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/records-v1.bin")
}

fn expected_events() -> Vec<(String, NewEvent)> {
    (1..=5u128)
        .map(|i| {
            let stream = if i % 2 == 0 { "campaign-7" } else { "lead-42" };
            (
                stream.to_string(),
                NewEvent {
                    id: Uuid::from_u128(0x1000 + i),
                    event_type: format!("Golden{i}"),
                    schema_version: i as u16,
                    actor: if i == 3 {
                        "provider:twilio".into()
                    } else {
                        "user:u_1".into()
                    },
                    correlation_id: Some(Uuid::from_u128(0x2000 + i)),
                    causation_id: (i > 1).then(|| Uuid::from_u128(0x1000 + i - 1)),
                    payload: (0..(i * 7) as u8).collect(),
                },
            )
        })
        .collect()
}

const RECORDED_AT_US: i64 = 1_763_700_000_000_000;

fn write_fixture() {
    let log = MemoryLog::new(LogLimits::default(), Arc::new(|| RECORDED_AT_US));
    for (stream, event) in expected_events() {
        log.append(&stream, ExpectedVersion::Any, vec![event])
            .expect("append");
    }
    let mut out = Vec::new();
    log.scan(0, u64::MAX, &mut |view| {
        out.extend_from_slice(&(view.bytes().len() as u32).to_be_bytes());
        out.extend_from_slice(view.bytes());
        std::ops::ControlFlow::Continue(())
    })
    .expect("scan");
    std::fs::write(fixture_path(), out).expect("write fixture");
}

#[test]
fn format_1_records_still_decode() {
    if std::env::var_os("LEADLINE_WRITE_GOLDEN").is_some() {
        write_fixture();
    }
    let bytes = std::fs::read(fixture_path()).expect("fixture present");
    let mut rest = bytes.as_slice();
    let mut prev = GENESIS_HASH;
    let mut versions = std::collections::HashMap::new();
    for (i, (stream, event)) in expected_events().into_iter().enumerate() {
        let len = u32::from_be_bytes(rest[..4].try_into().expect("len")) as usize;
        let record = &rest[4..4 + len];
        rest = &rest[4 + len..];
        let view = RecordView::parse(record).expect("record decodes");
        let version = versions.entry(stream.clone()).or_insert(0u64);
        *version += 1;
        assert_eq!(view.position(), i as u64 + 1);
        assert_eq!(view.stream(), stream);
        assert_eq!(view.stream_version(), *version);
        assert_eq!(view.recorded_at_us(), RECORDED_AT_US);
        assert_eq!(view.id(), event.id);
        assert_eq!(view.event_type(), event.event_type);
        assert_eq!(view.schema_version(), event.schema_version);
        assert_eq!(view.actor(), event.actor);
        assert_eq!(view.correlation_id(), event.correlation_id);
        assert_eq!(view.causation_id(), event.causation_id);
        assert_eq!(view.payload(), event.payload.as_slice());
        assert_eq!(view.prev_hash(), prev);
        prev = chain_hash(record);
    }
    assert!(rest.is_empty(), "trailing bytes in the fixture");
}
