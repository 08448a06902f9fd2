//! The storage suite: durable appends at several concurrencies, replay, and
//! bytes on disk, each next to a raw sled or raw disk baseline.

use std::io::Write;
use std::ops::ControlFlow;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use leadline_storage::{EventLog, ExpectedVersion, NewEvent, SledLog, SledOptions, StreamAppend};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::report::{quantile, target_dir, Figure, Report};

/// A payload shaped like a lead event, about 200 bytes in bincode.
#[derive(Serialize, Deserialize)]
struct BenchPayload {
    campaign: [u8; 16],
    lead: [u8; 16],
    phone: String,
    name: String,
    attempt: u32,
    status: String,
    fields: Vec<(String, String)>,
}

fn payload(i: u64) -> Vec<u8> {
    let p = BenchPayload {
        campaign: [7; 16],
        lead: Uuid::from_u128(u128::from(i)).into_bytes(),
        phone: format!("+9198{:08}", i % 100_000_000),
        name: format!("Customer number {i}"),
        attempt: (i % 3) as u32,
        status: "no_answer".into(),
        fields: vec![
            ("loan_id".into(), format!("LN-{i:010}")),
            ("emi_amount".into(), "12450.00".into()),
            ("due_date".into(), "2026-12-05".into()),
            ("branch".into(), "Bengaluru South".into()),
        ],
    };
    bincode::serialize(&p).unwrap_or_default()
}

fn decode(bytes: &[u8]) -> Result<BenchPayload, String> {
    bincode::deserialize(bytes).map_err(|e| format!("payload does not decode: {e}"))
}

fn new_event(i: u64) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        event_type: "LeadDialed".into(),
        schema_version: 1,
        actor: "system:bench".into(),
        correlation_id: Some(Uuid::now_v7()),
        causation_id: None,
        payload: payload(i),
    }
}

struct Params {
    append_duration: Duration,
    syncs: u32,
    raw_inserts: u64,
    replay_events: u64,
}

pub fn run(quick: bool) -> Result<Report, String> {
    let params = if quick {
        Params {
            append_duration: Duration::from_millis(1500),
            syncs: 500,
            raw_inserts: 200_000,
            replay_events: 200_000,
        }
    } else {
        Params {
            append_duration: Duration::from_secs(5),
            syncs: 3000,
            raw_inserts: 1_000_000,
            replay_events: 1_000_000,
        }
    };
    let bench_dir = target_dir().join("bench");
    std::fs::create_dir_all(&bench_dir).map_err(|e| e.to_string())?;
    let scratch = tempfile::tempdir_in(&bench_dir).map_err(|e| e.to_string())?;
    let mut figures = Vec::new();

    eprintln!("measuring fdatasync_raw …");
    let fsync = fdatasync_raw(&scratch.path().join("fsync"), params.syncs)?;
    eprintln!("measuring sled_insert_raw …");
    let sled_raw = sled_insert_raw(&scratch.path().join("sled-raw"), params.raw_inserts)?;
    figures.push(fsync.clone());
    figures.push(sled_raw.clone());
    for writers in [1usize, 8, 64] {
        eprintln!("measuring append_durable_{writers} …");
        let dir = scratch.path().join(format!("append-{writers}"));
        let run = append_durable(&dir, writers, params.append_duration)?;
        let name = format!("append_durable_{writers}");
        figures.push(Figure::new(&name, run.events_per_s, "events/s").against(&sled_raw));
        figures.push(
            Figure::new(&format!("{name}_p50_ms"), run.p50_ms, "ms").against(&fsync_ms(&fsync)),
        );
        figures.push(
            Figure::new(&format!("{name}_p99_ms"), run.p99_ms, "ms").against(&fsync_ms(&fsync)),
        );
    }
    eprintln!("building a {}-event log for replay …", params.replay_events);
    let replay = replay(scratch.path(), params.replay_events)?;
    figures.extend(replay);
    Ok(Report {
        suite: "storage".into(),
        figures,
    })
}

/// One sync's duration on this disk, as the baseline for latencies.
fn fsync_ms(fsync: &Figure) -> Figure {
    Figure::new("fdatasync_raw_ms", 1000.0 / fsync.value.max(1e-9), "ms")
}

/// Writes a small block into a preallocated file and syncs it, again and
/// again: the disk's sync rate for the kind of write the log makes (sled
/// writes into segments it has already allocated).
fn fdatasync_raw(path: &Path, syncs: u32) -> Result<Figure, String> {
    let block = [0x5Au8; 512];
    let mut file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    for _ in 0..syncs {
        file.write_all(&block).map_err(|e| e.to_string())?;
    }
    file.sync_all().map_err(|e| e.to_string())?;
    let start = Instant::now();
    for i in 0..syncs {
        file.write_all_at(&block, u64::from(i) * block.len() as u64)
            .map_err(|e| e.to_string())?;
        file.sync_data().map_err(|e| e.to_string())?;
    }
    let rate = f64::from(syncs) / start.elapsed().as_secs_f64();
    Ok(Figure::new("fdatasync_raw", rate, "syncs/s"))
}

/// Plain sled inserts of the same payloads, one thread, no flush.
fn sled_insert_raw(path: &Path, count: u64) -> Result<Figure, String> {
    let db = sled::Config::new()
        .path(path)
        .cache_capacity(256 * 1024 * 1024)
        .mode(sled::Mode::HighThroughput)
        .open()
        .map_err(|e| e.to_string())?;
    let payloads: Vec<Vec<u8>> = (0..count).map(payload).collect();
    let start = Instant::now();
    for (i, bytes) in payloads.iter().enumerate() {
        db.insert((i as u64).to_be_bytes(), bytes.as_slice())
            .map_err(|e| e.to_string())?;
    }
    let rate = count as f64 / start.elapsed().as_secs_f64();
    Ok(Figure::new("sled_insert_raw", rate, "events/s"))
}

/// Enough pre-made events for one writer alone for the longest run.
const EVENTS_PER_WRITER_MAX: u64 = 20_000;

struct AppendRun {
    events_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// `writers` appenders, each an async task on a two-thread runtime (as in
/// the server), append one event at a time to their own stream, each
/// awaiting its acknowledgement (durable) before the next.
fn append_durable(dir: &Path, writers: usize, duration: Duration) -> Result<AppendRun, String> {
    let log = Arc::new(SledLog::open(dir, SledOptions::default()).map_err(|e| e.to_string())?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    // Events are made before the clock starts: this measures the log, not
    // the making of payloads.
    let pools: Vec<Vec<NewEvent>> = (0..writers)
        .map(|_| (0..EVENTS_PER_WRITER_MAX).map(new_event).collect())
        .collect();
    let start = Instant::now();
    let tasks: Vec<_> = pools
        .into_iter()
        .enumerate()
        .map(|(w, mut pool)| {
            let log = log.clone();
            let stop = stop.clone();
            runtime.spawn(async move {
                let stream = format!("lead-{w}");
                let mut latencies = Vec::new();
                let mut version = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let Some(event) = pool.pop() else { break };
                    let t = Instant::now();
                    log.submit(vec![StreamAppend {
                        stream: stream.clone(),
                        expected: ExpectedVersion::Exact(version),
                        events: vec![event],
                    }])
                    .await
                    .map_err(|e| e.to_string())?;
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                    version += 1;
                }
                Ok::<Vec<f64>, String>(latencies)
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for task in tasks {
        let done = runtime.block_on(task).map_err(|e| e.to_string())?;
        latencies.extend(done?);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let events = latencies.len() as f64;
    drop(runtime);
    log.close().map_err(|e| e.to_string())?;
    Ok(AppendRun {
        events_per_s: events / elapsed,
        p50_ms: quantile(&mut latencies, 0.50),
        p99_ms: quantile(&mut latencies, 0.99),
    })
}

/// Replays a freshly reopened log (read, checksum, decode) against iterating
/// a plain sled tree of the same payloads and decoding them.
fn replay(scratch: &Path, events: u64) -> Result<Vec<Figure>, String> {
    let log_dir = scratch.join("replay-log");
    let raw_dir = scratch.join("replay-raw");
    let batch = 5_000u64;
    let mut payload_bytes = 0u64;
    {
        let log = SledLog::open(&log_dir, SledOptions::default()).map_err(|e| e.to_string())?;
        let raw = sled::Config::new()
            .path(&raw_dir)
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(|e| e.to_string())?;
        for chunk in 0..events.div_ceil(batch) {
            let first = chunk * batch;
            let last = (first + batch).min(events);
            // About five events per lead stream, as in a real campaign.
            let appends: Vec<StreamAppend> = (first..last)
                .collect::<Vec<u64>>()
                .chunks(5)
                .map(|ids| StreamAppend {
                    stream: format!("lead-{}", ids[0] / 5),
                    expected: ExpectedVersion::NoStream,
                    events: ids.iter().map(|&i| new_event(i)).collect(),
                })
                .collect();
            for a in &appends {
                for e in &a.events {
                    payload_bytes += e.payload.len() as u64;
                }
            }
            for (i, event) in appends.iter().flat_map(|a| &a.events).enumerate() {
                raw.insert((first + i as u64).to_be_bytes(), event.payload.as_slice())
                    .map_err(|e| e.to_string())?;
            }
            log.submit(appends).wait().map_err(|e| e.to_string())?;
        }
        raw.flush().map_err(|e| e.to_string())?;
        log.close().map_err(|e| e.to_string())?;
    }

    let log = SledLog::open(&log_dir, SledOptions::default()).map_err(|e| e.to_string())?;
    let logical = logical_bytes(&log)? as f64 / events as f64;
    drop(log);
    let log = SledLog::open(&log_dir, SledOptions::default()).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut decoded = 0u64;
    let mut failure = None;
    log.scan(0, u64::MAX, &mut |view| match decode(view.payload()) {
        Ok(p) => {
            decoded += u64::from(p.attempt > 9);
            ControlFlow::Continue(())
        }
        Err(e) => {
            failure = Some(e);
            ControlFlow::Break(())
        }
    })
    .map_err(|e| e.to_string())?;
    let log_rate = events as f64 / start.elapsed().as_secs_f64();
    if let Some(e) = failure {
        return Err(e);
    }
    log.close().map_err(|e| e.to_string())?;
    drop(log);

    let raw = sled::Config::new()
        .path(&raw_dir)
        .mode(sled::Mode::HighThroughput)
        .open()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    for entry in raw.iter() {
        let (_, value) = entry.map_err(|e| e.to_string())?;
        decoded += u64::from(decode(&value)?.attempt > 9);
    }
    let raw_rate = events as f64 / start.elapsed().as_secs_f64();
    drop(raw);
    assert_eq!(decoded, 0, "attempts are below 3");

    let disk = dir_bytes(&log_dir)? as f64 / events as f64;
    let raw_disk = dir_bytes(&raw_dir)? as f64 / events as f64;
    let per_payload = payload_bytes as f64 / events as f64;
    let baseline = Figure::new("sled_scan_decode_raw", raw_rate, "events/s");
    Ok(vec![
        baseline.clone(),
        Figure::new("replay", log_rate, "events/s").against(&baseline),
        Figure::new("disk_bytes_per_event", disk, "bytes").against(&Figure::new(
            "payload_bytes_per_event",
            per_payload,
            "bytes",
        )),
        Figure::new("log_logical_bytes_per_event", logical, "bytes").against(&Figure::new(
            "payload_bytes_per_event",
            per_payload,
            "bytes",
        )),
        Figure::new("sled_raw_disk_bytes_per_event", raw_disk, "bytes").against(&Figure::new(
            "payload_bytes_per_event",
            per_payload,
            "bytes",
        )),
    ])
}

/// What the log hands sled per event: the record with its framing, plus
/// the stream-index and id-index entries (keys and values).
fn logical_bytes(log: &SledLog) -> Result<u64, String> {
    let mut total = 0u64;
    log.scan(0, u64::MAX, &mut |view| {
        let record = view.bytes().len() + 4;
        let stream_entry = 1 + 2 + view.stream().len() + 8 + 8;
        let id_entry = 17 + 8;
        total += (record + stream_entry + id_entry) as u64;
        ControlFlow::Continue(())
    })
    .map_err(|e| e.to_string())?;
    Ok(total)
}

fn dir_bytes(dir: &Path) -> Result<u64, String> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let meta = entry.metadata().map_err(|e| e.to_string())?;
        total += if meta.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
