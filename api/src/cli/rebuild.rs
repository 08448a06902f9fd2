//! `leadline rebuild`: folds the read models from the log and reports the
//! speed.

use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use leadline_projections::runner::checkpoint_name;
use leadline_projections::{codec, ReadModel, RebuildReport};
use leadline_storage::{EventLog, SledLog};
use serde_json::Value;

use super::output::{Failure, Out, Outcome};
use super::remote::Remote;
use super::source::{self, Source};
use super::RebuildArgs;

/// The projections that can be rebuilt. Every read model folds together
/// from one pass over the log (so they cannot disagree), hence one name.
pub const PROJECTIONS: [&str; 1] = ["read-model"];
/// A server's rebuild folds the whole log; at millions of events per
/// second this leaves room for logs far larger than memory allows.
const REQUEST_TIMEOUT_S: u64 = 30 * 60;
/// Events folded between progress updates: often enough for the eye,
/// rare enough to cost nothing next to folding.
const PROGRESS_EVERY_EVENTS: u64 = 4096;

pub fn run(args: RebuildArgs) -> Outcome {
    if let Some(name) = &args.projection {
        if !PROJECTIONS.contains(&name.as_str()) {
            return Err(format!(
                "there is no projection named `{name}`; the projections are: {} \
                 (every read model folds together)",
                PROJECTIONS.join(", ")
            )
            .into());
        }
    }
    let timeout = Duration::from_secs(REQUEST_TIMEOUT_S);
    let report = match source::open(&args.data, &args.server, timeout)? {
        Source::Local(log) => {
            let report = fold(&log);
            let closed = source::close(log);
            let report = report?;
            closed?;
            serde_json::to_value(&report).unwrap_or(Value::Null)
        }
        Source::Server(remote) => remote_rebuild(&remote, args.projection.as_deref())?,
    };
    let mut out = Out::new();
    if args.json {
        out.json_line(&report)?;
    } else {
        print_report(&mut out, &report)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Folds every event into a fresh model, as `Projections::rebuild` does,
/// but event by event here so that the bar shows real progress; then
/// records the position reached under the read model's checkpoint.
fn fold(log: &SledLog) -> Result<RebuildReport, Failure> {
    let last = log.last_position();
    let bar = fold_bar(last);
    let started = Instant::now();
    let mut model = ReadModel::default();
    let mut undecodable = None;
    let mut since_update = 0u64;
    let scanned = log.scan(0, last, &mut |view| match codec::decode(&view) {
        Ok(event) => {
            model.apply(view.position(), view.stream_version(), &event);
            since_update += 1;
            if since_update == PROGRESS_EVERY_EVENTS {
                bar.set_position(view.position());
                since_update = 0;
            }
            ControlFlow::Continue(())
        }
        Err(e) => {
            undecodable = Some(e);
            ControlFlow::Break(())
        }
    });
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    scanned.map_err(|e| format!("reading the log: {e}"))?;
    if let Some(e) = undecodable {
        return Err(format!("{e}; run `leadline verify` for a full report").into());
    }
    log.save_checkpoint(&checkpoint_name(), model.position())
        .map_err(|e| format!("recording the read model's checkpoint: {e}"))?;
    let seconds = elapsed.as_secs_f64();
    Ok(RebuildReport {
        events: model.events(),
        position: model.position(),
        elapsed_ms: seconds * 1000.0,
        events_per_s: model.events() as f64 / seconds.max(1e-9),
    })
}

/// A bar over log positions on stderr; indicatif hides it when stderr is
/// not a terminal.
fn fold_bar(last_position: u64) -> ProgressBar {
    let bar = ProgressBar::new(last_position);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} folding [{bar:40}] {human_pos}/{human_len} events ({per_sec}, {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn remote_rebuild(remote: &Remote, projection: Option<&str>) -> Result<Value, Failure> {
    let query: Vec<(&str, String)> = projection
        .map(|p| vec![("projection", p.to_owned())])
        .unwrap_or_default();
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!("the server at {} is rebuilding", remote.url()));
    spinner.enable_steady_tick(Duration::from_millis(100));
    let answer = remote.post("/api/v1/admin/rebuild", &query);
    spinner.finish_and_clear();
    answer
}

fn print_report(out: &mut Out, report: &Value) -> Result<(), Failure> {
    let number = |name: &str| report.get(name).and_then(Value::as_f64);
    let (Some(events), Some(position), Some(elapsed_ms), Some(per_s)) = (
        number("events"),
        number("position"),
        number("elapsed_ms"),
        number("events_per_s"),
    ) else {
        return out.line(format_args!("rebuilt: {report}"));
    };
    let noun = if events == 1.0 { "event" } else { "events" };
    out.line(format_args!(
        "rebuilt read-model: {events} {noun} up to position {position} in {elapsed_ms:.1} ms \
         ({per_s:.0} events/s)"
    ))
}
