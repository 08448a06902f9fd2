//! The log's contract, checked against both backends.

mod common;

use std::time::Duration;

use common::{event, open_sled};
use leadline_storage::{EventLog, ExpectedVersion, LogError, LogLimits, MemoryLog, StreamAppend};
use uuid::Uuid;

fn backends() -> Vec<(Box<dyn EventLog>, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let sled = open_sled(dir.path());
    vec![
        (Box::new(MemoryLog::default()), None),
        (Box::new(sled), Some(dir)),
    ]
}

#[test]
fn positions_are_gapless_and_streams_versioned() {
    for (log, _dir) in backends() {
        let a = log
            .append(
                "s-a",
                ExpectedVersion::NoStream,
                vec![event(1, b"a1"), event(2, b"a2")],
            )
            .expect("append a");
        assert_eq!(a.positions, vec![1, 2]);
        let b = log
            .append("s-b", ExpectedVersion::NoStream, vec![event(3, b"b1")])
            .expect("append b");
        assert_eq!(b.positions, vec![3]);
        let a2 = log
            .append("s-a", ExpectedVersion::Exact(2), vec![event(4, b"a3")])
            .expect("append a again");
        assert_eq!(a2.positions, vec![4]);
        assert_eq!(log.last_position(), 4);
        assert_eq!(log.stream_version("s-a").expect("version"), 3);
        assert_eq!(log.stream_version("s-b").expect("version"), 1);
        assert_eq!(log.stream_version("nope").expect("version"), 0);

        let all = log.read_all(0, 100).expect("read all");
        let positions: Vec<u64> = all.iter().map(|e| e.position).collect();
        assert_eq!(positions, vec![1, 2, 3, 4]);
        let stream = log.read_stream("s-a", 2, 10).expect("read stream");
        let versions: Vec<(u64, u64)> = stream
            .iter()
            .map(|e| (e.stream_version, e.position))
            .collect();
        assert_eq!(versions, vec![(2, 2), (3, 4)]);
        assert_eq!(stream[1].payload, b"a3");
        assert_eq!(stream[1].correlation_id, Some(Uuid::from_u128(4 ^ 0xC0)));
        assert_eq!(log.read_all(2, 1).expect("page")[0].position, 3);
        assert!(log.verify().expect("verify").ok);
    }
}

#[test]
fn version_conflicts_are_typed_and_write_nothing() {
    for (log, _dir) in backends() {
        log.append("s", ExpectedVersion::NoStream, vec![event(1, b"x")])
            .expect("first");
        let err = log
            .append("s", ExpectedVersion::NoStream, vec![event(2, b"y")])
            .expect_err("conflict");
        assert!(matches!(err, LogError::Conflict { actual: 1, .. }), "{err}");
        assert!(err.is_retryable());
        let err = log
            .append("s", ExpectedVersion::Exact(5), vec![event(3, b"y")])
            .expect_err("conflict");
        assert!(matches!(err, LogError::Conflict { actual: 1, .. }));
        assert_eq!(log.last_position(), 1);
    }
}

#[test]
fn multi_stream_appends_are_all_or_nothing() {
    for (log, _dir) in backends() {
        log.append("x", ExpectedVersion::NoStream, vec![event(1, b"x")])
            .expect("seed");
        let refused = log
            .submit(vec![
                StreamAppend {
                    stream: "y".into(),
                    expected: ExpectedVersion::NoStream,
                    events: vec![event(2, b"y")],
                },
                StreamAppend {
                    stream: "x".into(),
                    expected: ExpectedVersion::NoStream,
                    events: vec![event(3, b"x")],
                },
            ])
            .wait();
        assert!(matches!(refused, Err(LogError::Conflict { .. })));
        assert_eq!(log.stream_version("y").expect("y"), 0);
        assert_eq!(log.last_position(), 1);
        let ok = log
            .submit(vec![
                StreamAppend {
                    stream: "y".into(),
                    expected: ExpectedVersion::NoStream,
                    events: vec![event(2, b"y")],
                },
                StreamAppend {
                    stream: "x".into(),
                    expected: ExpectedVersion::Exact(1),
                    events: vec![event(3, b"x")],
                },
            ])
            .wait()
            .expect("both");
        assert_eq!(ok.positions, vec![2, 3]);
    }
}

#[test]
fn a_stream_without_events_is_a_version_check() {
    for (log, _dir) in backends() {
        log.append(
            "campaign",
            ExpectedVersion::NoStream,
            vec![event(1, b"created")],
        )
        .expect("seed");
        let check = |expected: u64, id: u128| {
            log.submit(vec![
                StreamAppend {
                    stream: "campaign".into(),
                    expected: ExpectedVersion::Exact(expected),
                    events: vec![],
                },
                StreamAppend {
                    stream: format!("lead-{id}"),
                    expected: ExpectedVersion::NoStream,
                    events: vec![event(id, b"dialed")],
                },
            ])
            .wait()
        };
        assert_eq!(check(1, 10).expect("current").positions, vec![2]);
        log.append(
            "campaign",
            ExpectedVersion::Exact(1),
            vec![event(3, b"paused")],
        )
        .expect("pause");
        assert!(matches!(check(1, 11), Err(LogError::Conflict { .. })));
        assert_eq!(log.stream_version("lead-11").expect("version"), 0);
        assert_eq!(log.stream_version("campaign").expect("version"), 2);
        let nothing = log
            .submit(vec![StreamAppend {
                stream: "campaign".into(),
                expected: ExpectedVersion::Exact(2),
                events: vec![],
            }])
            .wait();
        assert!(matches!(nothing, Err(LogError::InvalidAppend(_))));
        assert!(log.verify().expect("verify").ok);
    }
}

#[test]
fn resent_event_ids_return_the_original_positions() {
    for (log, _dir) in backends() {
        let first = log
            .append(
                "s",
                ExpectedVersion::Exact(0),
                vec![event(1, b"a"), event(2, b"b")],
            )
            .expect("first");
        // The same append again, though the stream has moved on: a retry.
        let again = log
            .append(
                "s",
                ExpectedVersion::Exact(0),
                vec![event(1, b"a"), event(2, b"b")],
            )
            .expect("retry");
        assert_eq!(again.positions, first.positions);
        assert!(again.deduplicated);
        assert_eq!(log.last_position(), 2);
        let partial = log
            .append(
                "s",
                ExpectedVersion::Any,
                vec![event(2, b"b"), event(3, b"c")],
            )
            .expect_err("partial");
        assert!(matches!(
            partial,
            LogError::PartialDuplicate { position: 2, .. }
        ));
        assert_eq!(log.last_position(), 2);
    }
}

#[test]
fn bad_appends_are_refused_before_anything_is_written() {
    let limits = LogLimits {
        events_per_append_max: 3,
        payload_bytes_max: 10,
        ..LogLimits::default()
    };
    let log = MemoryLog::new(limits, leadline_storage::system_clock());
    let too_many: Vec<_> = (1..=4).map(|i| event(i, b"x")).collect();
    let cases = vec![
        ("s".to_string(), too_many),
        ("s".to_string(), vec![event(10, &[0u8; 11])]),
        (String::new(), vec![event(11, b"x")]),
        ("s".to_string(), vec![event(12, b"x"), event(12, b"y")]),
        ("s".to_string(), vec![event(0, b"nil id")]),
        ("s".repeat(300), vec![event(13, b"x")]),
    ];
    for (stream, events) in cases {
        let err = log
            .append(&stream, ExpectedVersion::Any, events)
            .expect_err("refused");
        assert!(
            matches!(
                err,
                LogError::LimitExceeded { .. } | LogError::InvalidAppend(_)
            ),
            "{err}"
        );
    }
    assert_eq!(log.last_position(), 0);
}

#[test]
fn checkpoints_and_notifications() {
    for (log, _dir) in backends() {
        assert_eq!(log.checkpoint("proj").expect("read"), None);
        log.save_checkpoint("proj", 7).expect("save");
        assert_eq!(log.checkpoint("proj").expect("read"), Some(7));
        let mut rx = log.subscribe();
        assert_eq!(*rx.borrow_and_update(), 0);
        log.append("s", ExpectedVersion::Any, vec![event(1, b"x")])
            .expect("append");
        assert!(rx.has_changed().expect("open"));
        assert_eq!(*rx.borrow_and_update(), 1);
        assert_eq!(log.wait_for_position(1, Duration::from_millis(1)), 1);
        assert_eq!(log.wait_for_position(2, Duration::from_millis(10)), 1);
    }
}

#[test]
fn concurrent_appenders_are_group_committed_without_gaps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = std::sync::Arc::new(open_sled(dir.path()));
    let threads: Vec<_> = (0..8u128)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                let stream = format!("writer-{t}");
                for i in 0..50u128 {
                    log.append(
                        &stream,
                        ExpectedVersion::Exact(i as u64),
                        vec![event(t * 1000 + i + 1, b"payload")],
                    )
                    .expect("append");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_eq!(log.last_position(), 400);
    let report = log.verify().expect("verify");
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, 400);
}

#[test]
fn a_reopened_log_keeps_everything_and_continues_the_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let log = open_sled(dir.path());
        log.append(
            "s",
            ExpectedVersion::NoStream,
            vec![event(1, b"a"), event(2, b"b")],
        )
        .expect("append");
        log.save_checkpoint("p", 2).expect("checkpoint");
        log.close().expect("close");
    }
    let log = open_sled(dir.path());
    assert_eq!(log.last_position(), 2);
    assert_eq!(log.checkpoint("p").expect("checkpoint"), Some(2));
    assert_eq!(log.stream_version("s").expect("version"), 2);
    let again = log
        .append("s", ExpectedVersion::Exact(2), vec![event(1, b"a")])
        .expect("dedup after reopen");
    assert!(again.deduplicated);
    log.append("s", ExpectedVersion::Exact(2), vec![event(3, b"c")])
        .expect("continue");
    let report = log.verify().expect("verify");
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, 3);
}

#[test]
fn a_second_process_opening_the_same_directory_is_told_it_is_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _held = open_sled(dir.path());
    let err = leadline_storage::SledLog::open(dir.path(), Default::default())
        .err()
        .expect("refused");
    assert!(matches!(err, LogError::Locked { .. }), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn appends_can_be_awaited_on_a_reactor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = open_sled(dir.path());
    let outcome = log
        .submit(vec![StreamAppend {
            stream: "s".into(),
            expected: ExpectedVersion::NoStream,
            events: vec![event(1, b"x")],
        }])
        .await
        .expect("append");
    assert_eq!(outcome.positions, vec![1]);
}
