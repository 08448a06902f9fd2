//! Appends to the log from many threads until killed, printing one line
//! `<position> <event id>` per acknowledged event, flushed at once, so the
//! parent knows exactly which appends were acknowledged before the kill.

use std::io::Write;
use std::sync::Arc;

use leadline_storage::{EventLog, ExpectedVersion, NewEvent, SledLog, SledOptions};
use uuid::Uuid;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(threads)) = (args.next(), args.next()) else {
        eprintln!("usage: log-crash-child DIR THREADS");
        return std::process::ExitCode::FAILURE;
    };
    let Ok(threads) = threads.parse::<usize>() else {
        eprintln!("THREADS must be a number");
        return std::process::ExitCode::FAILURE;
    };
    let log = match SledLog::open(&dir, SledOptions::default()) {
        Ok(log) => Arc::new(log),
        Err(e) => {
            eprintln!("open: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let run = Uuid::new_v4();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || append_forever(&*log, &format!("crash-{run}-{t}")))
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    std::process::ExitCode::SUCCESS
}

fn append_forever(log: &dyn EventLog, stream: &str) {
    let stdout = std::io::stdout();
    for version in 0u64.. {
        let id = Uuid::new_v4();
        let event = NewEvent {
            id,
            event_type: "CrashTest".into(),
            schema_version: 1,
            actor: "system:crash-test".into(),
            correlation_id: None,
            causation_id: None,
            payload: vec![0xAB; 200],
        };
        match log.append(stream, ExpectedVersion::Exact(version), vec![event]) {
            Ok(outcome) => {
                let mut out = stdout.lock();
                let _ = writeln!(out, "{} {id}", outcome.last_position());
                let _ = out.flush();
            }
            Err(e) => {
                eprintln!("append failed: {e}");
                return;
            }
        }
    }
}
