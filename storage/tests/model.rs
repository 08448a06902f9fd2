//! Property test: random appends (with conflicts and re-sent event ids),
//! reads and reopenings give the same answers as a plain in-memory model.

mod common;

use std::collections::HashMap;

use common::open_sled;
use leadline_storage::{EventLog, ExpectedVersion, LogError, MemoryLog, NewEvent, StreamAppend};
use proptest::prelude::*;
use uuid::Uuid;

const STREAMS: [&str; 4] = ["campaign-1", "lead-1", "lead-10", "user-1"];

#[derive(Debug, Clone)]
enum Expect {
    Any,
    NoStream,
    Current,
    Stale,
}

#[derive(Debug, Clone)]
enum Op {
    Append(Vec<(usize, Expect, usize)>),
    /// Re-send an earlier append (same event ids) as a retry would.
    Resend(usize),
    ReadAll {
        after: u64,
        max: usize,
    },
    ReadStream {
        stream: usize,
        from: u64,
        max: usize,
    },
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    let expect = prop_oneof![
        Just(Expect::Any),
        Just(Expect::NoStream),
        Just(Expect::Current),
        Just(Expect::Stale)
    ];
    prop_oneof![
        6 => prop::collection::vec((0..STREAMS.len(), expect, 1..4usize), 1..3).prop_map(Op::Append),
        1 => (0..20usize).prop_map(Op::Resend),
        2 => (0..30u64, 1..10usize).prop_map(|(after, max)| Op::ReadAll { after, max }),
        2 => (0..STREAMS.len(), 0..6u64, 1..10usize)
            .prop_map(|(stream, from, max)| Op::ReadStream { stream, from, max }),
        1 => Just(Op::Reopen),
    ]
}

/// The model: a vector of (stream, version, id, payload) and nothing clever.
#[derive(Default)]
struct Model {
    events: Vec<(String, u64, Uuid, Vec<u8>)>,
}

impl Model {
    fn version(&self, stream: &str) -> u64 {
        self.events.iter().filter(|e| e.0 == stream).count() as u64
    }

    fn position_of(&self, id: Uuid) -> Option<u64> {
        self.events
            .iter()
            .position(|e| e.2 == id)
            .map(|i| i as u64 + 1)
    }

    /// Ok(positions, deduplicated) or Err(kind) where kind names the error.
    fn append(&mut self, appends: &[StreamAppend]) -> Result<(Vec<u64>, bool), &'static str> {
        let ids: Vec<Uuid> = appends
            .iter()
            .flat_map(|a| a.events.iter().map(|e| e.id))
            .collect();
        let found: Vec<Option<u64>> = ids.iter().map(|id| self.position_of(*id)).collect();
        if found.iter().all(Option::is_some) {
            return Ok((found.into_iter().flatten().collect(), true));
        }
        if found.iter().any(Option::is_some) {
            return Err("partial");
        }
        let mut versions: HashMap<&str, u64> = HashMap::new();
        for a in appends {
            let actual = *versions
                .entry(&a.stream)
                .or_insert_with(|| self.version(&a.stream));
            let ok = match a.expected {
                ExpectedVersion::Any => true,
                ExpectedVersion::NoStream => actual == 0,
                ExpectedVersion::Exact(v) => v == actual,
            };
            if !ok {
                return Err("conflict");
            }
            versions.insert(&a.stream, actual + a.events.len() as u64);
        }
        let mut positions = Vec::new();
        for a in appends {
            for e in &a.events {
                let version = self.version(&a.stream) + 1;
                self.events
                    .push((a.stream.clone(), version, e.id, e.payload.clone()));
                positions.push(self.events.len() as u64);
            }
        }
        Ok((positions, false))
    }
}

fn kind(err: &LogError) -> &'static str {
    match err {
        LogError::Conflict { .. } => "conflict",
        LogError::PartialDuplicate { .. } => "partial",
        _ => "other",
    }
}

fn run(ops: Vec<Op>, reopenable: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut log: Box<dyn EventLog> = if reopenable {
        Box::new(open_sled(dir.path()))
    } else {
        Box::new(MemoryLog::default())
    };
    let mut model = Model::default();
    let mut sent: Vec<Vec<StreamAppend>> = Vec::new();
    let mut next_id = 1u128;
    for op in ops {
        match op {
            Op::Append(parts) => {
                let appends: Vec<StreamAppend> = parts
                    .into_iter()
                    .map(|(s, expect, n)| {
                        let stream = STREAMS[s].to_string();
                        let current = model.version(&stream);
                        let expected = match expect {
                            Expect::Any => ExpectedVersion::Any,
                            Expect::NoStream => ExpectedVersion::NoStream,
                            Expect::Current => ExpectedVersion::Exact(current),
                            Expect::Stale => ExpectedVersion::Exact(current + 1),
                        };
                        let events = (0..n)
                            .map(|_| {
                                next_id += 1;
                                NewEvent {
                                    id: Uuid::from_u128(next_id),
                                    event_type: "E".into(),
                                    schema_version: 1,
                                    actor: "system:test".into(),
                                    correlation_id: None,
                                    causation_id: None,
                                    payload: next_id.to_be_bytes().to_vec(),
                                }
                            })
                            .collect();
                        StreamAppend {
                            stream,
                            expected,
                            events,
                        }
                    })
                    .collect();
                check_append(&mut *log, &mut model, &appends);
                sent.push(appends);
            }
            Op::Resend(i) => {
                if let Some(appends) = sent.get(i % sent.len().max(1)).cloned() {
                    check_append(&mut *log, &mut model, &appends);
                }
            }
            Op::ReadAll { after, max } => {
                let got: Vec<(String, u64, Uuid)> = log
                    .read_all(after, max)
                    .expect("read_all")
                    .into_iter()
                    .map(|e| (e.stream, e.stream_version, e.id))
                    .collect();
                let want: Vec<(String, u64, Uuid)> = model
                    .events
                    .iter()
                    .skip(after as usize)
                    .take(max)
                    .map(|e| (e.0.clone(), e.1, e.2))
                    .collect();
                assert_eq!(got, want);
            }
            Op::ReadStream { stream, from, max } => {
                let name = STREAMS[stream];
                let got: Vec<(u64, Vec<u8>)> = log
                    .read_stream(name, from, max)
                    .expect("read_stream")
                    .into_iter()
                    .map(|e| (e.stream_version, e.payload))
                    .collect();
                let want: Vec<(u64, Vec<u8>)> = model
                    .events
                    .iter()
                    .filter(|e| e.0 == name && e.1 >= from.max(1))
                    .take(max)
                    .map(|e| (e.1, e.3.clone()))
                    .collect();
                assert_eq!(got, want);
                assert_eq!(
                    log.stream_version(name).expect("version"),
                    model.version(name)
                );
            }
            Op::Reopen if reopenable => {
                drop(log);
                log = Box::new(open_sled(dir.path()));
            }
            Op::Reopen => {}
        }
        assert_eq!(log.last_position(), model.events.len() as u64);
    }
    let report = log.verify().expect("verify");
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, model.events.len() as u64);
}

fn check_append(log: &mut dyn EventLog, model: &mut Model, appends: &[StreamAppend]) {
    let got = log.submit(appends.to_vec()).wait();
    let want = model.append(appends);
    match (got, want) {
        (Ok(outcome), Ok((positions, dedup))) => {
            assert_eq!(outcome.positions, positions);
            assert_eq!(outcome.deduplicated, dedup);
        }
        (Err(e), Err(k)) => assert_eq!(kind(&e), k, "{e}"),
        (got, want) => panic!("log answered {got:?}, model {want:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
    #[test]
    fn memory_log_matches_the_model(ops in prop::collection::vec(op(), 1..60)) {
        run(ops, false);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn sled_log_matches_the_model(ops in prop::collection::vec(op(), 1..40)) {
        run(ops, true);
    }
}
