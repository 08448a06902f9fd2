//! `leadline verify`: checks the log and the read models folded from it,
//! offline with [`checks::verify`] or by asking the server, which runs the
//! same check. Report only: nothing is changed, whatever is found.

use std::process::ExitCode;
use std::time::Duration;

use leadline_domain::CampaignId;
use leadline_storage::SledLog;
use serde_json::Value;

use super::output::{Failure, Out, Outcome};
use super::remote::{text_of, Remote};
use super::source::{self, Source};
use super::VerifyArgs;
use crate::checks::{self, CheckError, Finding, Report};

/// A server verifies the whole log in one request.
const REQUEST_TIMEOUT_S: u64 = 30 * 60;

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
    checks::verify(log, None, only).map_err(|e| match e {
        CheckError::Log(e) => {
            format!("cannot walk the log in {}: {e}", log.path().display()).into()
        }
        other => other.to_string().into(),
    })
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
