//! `leadline verify`: checks the log and the read models folded from it.
//! Report only: nothing is changed, whatever is found.

use std::process::ExitCode;
use std::time::Duration;

use leadline_domain::CampaignId;
use leadline_projections::runner::fold_all;
use leadline_projections::{CodecError, Counters, ProjectionError, ReadModel};
use leadline_storage::{EventLog, LogError, SledLog};
use serde::Serialize;
use serde_json::Value;

use super::output::{Failure, Out, Outcome};
use super::remote::{text_of, Remote};
use super::source::{self, Source};
use super::VerifyArgs;

/// A server verifies the whole log in one request.
const REQUEST_TIMEOUT_S: u64 = 30 * 60;

/// What was checked and every problem found.
#[derive(Serialize)]
struct Report {
    ok: bool,
    /// Events checked in the log.
    events: u64,
    last_position: u64,
    /// Chain hash of the last event: an auditor who notes it can later
    /// prove that nothing up to that position changed.
    head_hash: String,
    /// Campaigns whose read models were checked (offline only).
    #[serde(skip_serializing_if = "Option::is_none")]
    campaigns_checked: Option<usize>,
    problems: Vec<Finding>,
    /// Every problem found, listed or not.
    problems_total: u64,
}

#[derive(Serialize)]
struct Finding {
    position: Option<u64>,
    kind: String,
    detail: String,
}

impl Report {
    fn add(&mut self, position: Option<u64>, kind: &str, detail: String) {
        self.problems_total += 1;
        self.problems.push(Finding {
            position,
            kind: kind.to_owned(),
            detail,
        });
    }
}

pub fn run(args: VerifyArgs) -> Outcome {
    let only: Option<CampaignId> = args
        .campaign
        .as_deref()
        .map(|c| c.trim().parse().map_err(|e| format!("--campaign: {e}")))
        .transpose()?;
    let timeout = Duration::from_secs(REQUEST_TIMEOUT_S);
    let report = match source::open(&args.data, &args.server, timeout)? {
        Source::Local(log) => {
            let report = local(&log, only);
            let closed = source::close(log);
            let report = report?;
            closed?;
            report
        }
        Source::Server(remote) => remote_report(&remote, only)?,
    };
    let mut out = Out::new();
    if args.json {
        out.json_line(&report)?;
    } else {
        print_report(&mut out, &report)?;
    }
    out.flush()?;
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn local(log: &SledLog, only: Option<CampaignId>) -> Result<Report, Failure> {
    let checked = log
        .verify()
        .map_err(|e| format!("cannot walk the log in {}: {e}", log.path().display()))?;
    let mut report = Report {
        ok: false,
        events: checked.events,
        last_position: checked.last_position,
        head_hash: checked.head_hash,
        campaigns_checked: None,
        problems: Vec::new(),
        problems_total: checked.problems_total,
    };
    for problem in checked.problems {
        report.problems.push(Finding {
            position: problem.position,
            kind: kind_name(&problem.kind),
            detail: problem.detail,
        });
    }
    match fold_all(log) {
        Ok(model) => check_model(&model, only, &mut report)?,
        Err(ProjectionError::Codec(CodecError::Decode {
            position, detail, ..
        })) => report.add(
            Some(position),
            "undecodable_event",
            format!("the read models cannot be checked: the event does not decode: {detail}"),
        ),
        Err(ProjectionError::Log(LogError::Corrupt { position, detail })) => report.add(
            Some(position),
            "read_model",
            format!("the read models cannot be checked past this position: {detail}"),
        ),
        Err(e) => return Err(format!("folding the log: {e}").into()),
    }
    report.ok = report.problems_total == 0;
    Ok(report)
}

/// The log's problem kinds as the API names them (`hash_chain`, …).
fn kind_name(kind: &impl Serialize) -> String {
    match serde_json::to_value(kind) {
        Ok(Value::String(name)) => name,
        _ => "log".to_owned(),
    }
}

/// Every counter equals a recount from the leads, the status breakdown
/// sums to the total, and no event was folded into a state it did not fit.
fn check_model(
    model: &ReadModel,
    only: Option<CampaignId>,
    report: &mut Report,
) -> Result<(), Failure> {
    let mut campaigns: Vec<CampaignId> = match only {
        Some(id) if model.campaign(&id).is_none() => {
            return Err(format!("there is no campaign {id} in the log").into())
        }
        Some(id) => vec![id],
        None => model.campaigns().map(|c| c.campaign.id).collect(),
    };
    campaigns.sort();
    for id in &campaigns {
        let Some(entry) = model.campaign(id) else {
            continue;
        };
        let counters = &entry.counters;
        match model.recount(id) {
            Some(recount) if recount == *counters => {}
            Some(recount) => report.add(
                None,
                "counters",
                format!(
                    "campaign {id}: the counters kept while folding differ from a recount of its \
                     leads: {}",
                    differences(counters, &recount)
                ),
            ),
            None => report.add(
                None,
                "counters",
                format!("campaign {id}: one of its leads is missing from the lead views"),
            ),
        }
        let by_status: u64 = counters.by_status().values().sum();
        if by_status != counters.total {
            report.add(
                None,
                "by_status",
                format!(
                    "campaign {id}: the leads by status sum to {by_status}, not to the total {}",
                    counters.total
                ),
            );
        }
    }
    report.campaigns_checked = Some(campaigns.len());
    // Anomalies are found while folding the whole log, not per campaign.
    let (anomalies, anomalies_total) = model.anomalies();
    for anomaly in anomalies {
        report.add(Some(anomaly.position), "anomaly", anomaly.detail.clone());
    }
    report.problems_total += anomalies_total.saturating_sub(anomalies.len() as u64);
    Ok(())
}

fn differences(kept: &Counters, recount: &Counters) -> String {
    let named = [
        ("total", kept.total, recount.total),
        ("pending", kept.pending, recount.pending),
        ("in_flight", kept.in_flight, recount.in_flight),
        ("called", kept.called, recount.called),
        ("answered", kept.answered, recount.answered),
        ("failed", kept.failed, recount.failed),
        ("cancelled", kept.cancelled, recount.cancelled),
        ("skipped", kept.skipped, recount.skipped),
        ("dnc", kept.dnc, recount.dnc),
        ("dials", kept.dials, recount.dials),
    ];
    let mut found: Vec<String> = named
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(name, a, b)| format!("{name} {a} (recount {b})"))
        .collect();
    let recounted = recount.by_status();
    for (status, count) in kept.by_status() {
        let again = recounted.get(&status).copied().unwrap_or(0);
        if again != count {
            found.push(format!("{status} {count} (recount {again})"));
        }
    }
    if found.is_empty() {
        "the breakdown by status and category differs".to_owned()
    } else {
        found.join(", ")
    }
}

fn remote_report(remote: &Remote, only: Option<CampaignId>) -> Result<Report, Failure> {
    let query: Vec<(&str, String)> = only
        .map(|id| vec![("campaign_id", id.to_string())])
        .unwrap_or_default();
    let answer = remote.get("/api/v1/admin/verify", &query)?;
    let problems: Vec<Finding> = answer
        .get("problems")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| match p {
            Value::String(detail) => Finding {
                position: None,
                kind: "problem".to_owned(),
                detail: detail.clone(),
            },
            _ => Finding {
                position: p.get("position").and_then(Value::as_u64),
                kind: text_of(p, "kind"),
                detail: text_of(p, "detail"),
            },
        })
        .collect();
    let number = |name: &str| answer.get(name).and_then(Value::as_u64);
    let ok = answer
        .get("ok")
        .and_then(Value::as_bool)
        .unwrap_or(problems.is_empty());
    Ok(Report {
        ok,
        events: number("events").unwrap_or(0),
        last_position: number("last_position").unwrap_or(0),
        head_hash: text_of(&answer, "head_hash"),
        campaigns_checked: None,
        problems_total: number("problems_total").unwrap_or(problems.len() as u64),
        problems,
    })
}

fn print_report(out: &mut Out, report: &Report) -> Result<(), Failure> {
    out.line(format_args!(
        "log: {} events checked up to position {}",
        report.events, report.last_position
    ))?;
    if !report.head_hash.is_empty() {
        out.line(format_args!("head hash: {}", report.head_hash))?;
    }
    if let Some(campaigns) = report.campaigns_checked {
        let plural = if campaigns == 1 { "" } else { "s" };
        out.line(format_args!(
            "read models: {campaigns} campaign{plural} checked"
        ))?;
    }
    if report.ok {
        return out.line(format_args!("ok: no problems found"));
    }
    let listed = report.problems.len() as u64;
    let total = report.problems_total;
    let noun = if total == 1 { "problem" } else { "problems" };
    if total > listed {
        out.line(format_args!(
            "{total} {noun} found (the first {listed} listed):"
        ))?;
    } else {
        out.line(format_args!("{total} {noun} found:"))?;
    }
    for problem in &report.problems {
        match problem.position {
            Some(position) => out.line(format_args!(
                "  position {position}: {}: {}",
                problem.kind, problem.detail
            ))?,
            None => out.line(format_args!("  {}: {}", problem.kind, problem.detail))?,
        }
    }
    Ok(())
}
