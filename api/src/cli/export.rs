//! `leadline export`: the log as JSON lines, in log order.

use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use leadline_domain::Event;
use leadline_projections::codec;
use leadline_storage::{EventLog, RecordView, SledLog};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::output::{Failure, Out, Outcome};
use super::remote::Remote;
use super::source::{self, Source};
use super::ExportArgs;

/// Events per page asked of a server: its `/api/v1/events` maximum.
const PAGE_EVENTS_MAX: usize = crate::limits::EVENTS_PAGE_MAX;
/// One page from the server.
const REQUEST_TIMEOUT_S: u64 = 120;

/// One exported event: the envelope and the decoded event, as the
/// server's `/api/v1/events` shows it, so both exports read the same.
#[derive(Serialize)]
struct ExportedEvent<'a> {
    id: Uuid,
    position: u64,
    stream: &'a str,
    stream_version: u64,
    #[serde(rename = "type")]
    event_type: &'a str,
    /// When the log recorded it.
    at: DateTime<Utc>,
    actor: &'a str,
    correlation_id: Option<Uuid>,
    causation_id: Option<Uuid>,
    data: &'a Event,
}

pub fn run(args: ExportArgs) -> Outcome {
    let timeout = Duration::from_secs(REQUEST_TIMEOUT_S);
    let mut out = Out::new();
    match source::open(&args.data, &args.server, timeout)? {
        Source::Local(log) => {
            let exported = local(&log, args.after, &mut out);
            let closed = source::close(log);
            exported?;
            closed?;
        }
        Source::Server(remote) => paged(&remote, args.after, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Streams the log straight from storage to stdout: one event decoded
/// and written at a time, so memory stays flat whatever the log's size.
fn local(log: &SledLog, after: u64, out: &mut Out) -> Result<(), Failure> {
    let mut stopped = None;
    let scanned = log.scan(after, u64::MAX, &mut |view| match write_event(&view, out) {
        Ok(()) => ControlFlow::Continue(()),
        Err(failure) => {
            stopped = Some(failure);
            ControlFlow::Break(())
        }
    });
    if let Some(failure) = stopped {
        return Err(failure);
    }
    scanned
        .map(|_| ())
        .map_err(|e| format!("reading the log: {e}").into())
}

fn write_event(view: &RecordView<'_>, out: &mut Out) -> Result<(), Failure> {
    let event =
        codec::decode(view).map_err(|e| format!("{e}; run `leadline verify` for a full report"))?;
    let at = DateTime::from_timestamp_micros(view.recorded_at_us()).ok_or_else(|| {
        format!(
            "the event at position {} has a recorded time out of range; run `leadline verify`",
            view.position()
        )
    })?;
    out.json_line(&ExportedEvent {
        id: view.id(),
        position: view.position(),
        stream: view.stream(),
        stream_version: view.stream_version(),
        event_type: view.event_type(),
        at,
        actor: view.actor(),
        correlation_id: view.correlation_id(),
        causation_id: view.causation_id(),
        data: &event,
    })
}

/// Pages through the server's `/api/v1/events` until it has nothing after
/// the last position read. A page can be empty yet move the position on
/// (events of other users' streams are not shown to a user's key).
fn paged(remote: &Remote, mut after: u64, out: &mut Out) -> Result<(), Failure> {
    loop {
        let page = remote.get(
            "/api/v1/events",
            &[
                ("after", after.to_string()),
                ("limit", PAGE_EVENTS_MAX.to_string()),
            ],
        )?;
        let events = page
            .get("events")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                format!(
                    "the server at {} answered without an `events` list; is it a Leadline \
                     server of this version?",
                    remote.url()
                )
            })?;
        for event in events {
            out.json_line(event)?;
        }
        let last_listed = events
            .iter()
            .filter_map(|e| e.get("position").and_then(Value::as_u64))
            .max();
        let last = page
            .get("last_position")
            .and_then(Value::as_u64)
            .or(last_listed)
            .unwrap_or(after);
        if last <= after {
            return Ok(());
        }
        after = last;
    }
}
