//! `leadline audit compliance`: a campaign's compliance report, made from
//! the data directory with the checker of
//! `leadline_projections::compliance`, or asked of the server that holds
//! it (which runs the same checker).

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use leadline_domain::CampaignId;
use leadline_projections::compliance::{self, AuditRequest, ComplianceReport, RulesTable};
use leadline_storage::SledLog;

use super::output::{Failure, Out, Outcome};
use super::remote::Remote;
use super::source::{self, Source};
use super::ComplianceArgs;
use crate::limits::{CONCURRENT_CALLS_LIMIT_MAX, RULES_FILE_BYTES_MAX};

/// A report reads and verifies the whole log in one request.
const REQUEST_TIMEOUT_S: u64 = 30 * 60;

/// The exit code when the report is not clean: a violation, a dial the
/// checker could not place, or a log that did not verify.
pub const EXIT_NOT_COMPLIANT: u8 = 3;

pub fn run(args: ComplianceArgs) -> Outcome {
    let campaign: CampaignId = args
        .campaign
        .trim()
        .parse()
        .map_err(|e| format!("--campaign: {e}"))?;
    let from = args
        .from
        .as_deref()
        .map(|t| parse_time("--from", t))
        .transpose()?;
    let to = args
        .to
        .as_deref()
        .map(|t| parse_time("--to", t))
        .transpose()?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(format!("--from ({from}) is after --to ({to})").into());
        }
    }
    if let Some(limit) = args.system_concurrent_calls {
        if !(1..=CONCURRENT_CALLS_LIMIT_MAX).contains(&limit) {
            return Err(format!(
                "--system-concurrent-calls must be from 1 to {CONCURRENT_CALLS_LIMIT_MAX}"
            )
            .into());
        }
    }
    let rules = args.rules.as_deref().map(read_rules).transpose()?;
    let timeout = Duration::from_secs(REQUEST_TIMEOUT_S);
    let report = match source::open(&args.data, &args.server, timeout)? {
        Source::Local(log) => {
            let table = match &rules {
                Some(bytes) => RulesTable::from_json(bytes)
                    .map_err(|e| format!("--rules {}: {e}", shown(&args.rules)))?,
                None => RulesTable::built_in(),
            };
            let request = AuditRequest {
                campaign,
                from,
                to,
                table,
                system_limit: args.system_concurrent_calls,
            };
            let report = local(&log, request);
            let closed = source::close(log);
            let report = report?;
            closed?;
            report
        }
        Source::Server(remote) => remote_report(&remote, &args, campaign, from, to, rules)?,
    };
    let mut out = Out::new();
    if args.json {
        out.json_pretty(&report)?;
    } else {
        print_report(&mut out, &report)?;
    }
    out.flush()?;
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_COMPLIANT)
    })
}

fn shown(path: &Option<std::path::PathBuf>) -> String {
    path.as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

fn parse_time(flag: &str, text: &str) -> Result<DateTime<Utc>, Failure> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!(
                "{flag} `{text}` is not an RFC 3339 time with an offset \
                 (like 2026-11-23T09:00:00-05:00 or 2026-11-23T14:00:00Z): {e}"
            )
            .into()
        })
}

/// The rules file's bytes, refused past [`RULES_FILE_BYTES_MAX`].
fn read_rules(path: &Path) -> Result<Vec<u8>, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| format!("--rules {}: cannot open it: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(RULES_FILE_BYTES_MAX as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("--rules {}: cannot read it: {e}", path.display()))?;
    if bytes.len() > RULES_FILE_BYTES_MAX {
        return Err(format!(
            "--rules {}: the file is over {RULES_FILE_BYTES_MAX} bytes (rules_file_bytes_max)",
            path.display()
        )
        .into());
    }
    Ok(bytes)
}

fn local(log: &SledLog, request: AuditRequest) -> Result<ComplianceReport, Failure> {
    compliance::audit(log, request).map_err(|e| match e {
        compliance::AuditError::UnknownCampaign(id) => format!(
            "there is no campaign {id} in the log in {}",
            log.path().display()
        )
        .into(),
        other => format!("cannot read the log in {}: {other}", log.path().display()).into(),
    })
}

fn remote_report(
    remote: &Remote,
    args: &ComplianceArgs,
    campaign: CampaignId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    rules: Option<Vec<u8>>,
) -> Result<ComplianceReport, Failure> {
    let mut query: Vec<(&str, String)> = Vec::new();
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    if let Some(from) = from {
        query.push(("from", time(from)));
    }
    if let Some(to) = to {
        query.push(("to", time(to)));
    }
    if let Some(limit) = args.system_concurrent_calls {
        query.push(("system_concurrent_calls", limit.to_string()));
    }
    let path = format!("/api/v1/campaigns/{campaign}/compliance");
    let answer = match rules {
        None => remote.get(&path, &query)?,
        Some(bytes) => remote.send(
            remote
                .request(reqwest::Method::POST, &path)
                .query(&query)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes),
        )?,
    };
    serde_json::from_value(answer).map_err(|e| {
        format!(
            "the server at {} answered with something other than a compliance report: {e}",
            remote.url()
        )
        .into()
    })
}

fn print_report(out: &mut Out, report: &ComplianceReport) -> Result<(), Failure> {
    let time = |t: Option<DateTime<Utc>>, none: &str| {
        t.map_or(none.to_owned(), |t| {
            t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        })
    };
    out.line(format_args!(
        "campaign {}: {} calls from {} to {}, rules table {}",
        report.campaign_id,
        report.calls,
        time(report.from, "the first"),
        time(report.to, "the last"),
        report.rules_table
    ))?;
    for rule in &report.rules {
        out.line(format_args!(
            "{}: {} calls checked, {} violations",
            rule.rule, rule.calls_checked, rule.violations_total
        ))?;
        for v in &rule.violations {
            out.line(format_args!(
                "  position {}: lead {} {} at {}: {}",
                v.position,
                v.lead_id,
                v.phone,
                v.at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                v.detail
            ))?;
        }
        let listed = rule.violations.len() as u64;
        if rule.violations_total > listed {
            out.line(format_args!(
                "  … and {} more",
                rule.violations_total - listed
            ))?;
        }
    }
    if report.unplaced_dials > 0 {
        out.line(format_args!(
            "{} dials the checker could not place:",
            report.unplaced_dials
        ))?;
        for problem in &report.unplaced {
            out.line(format_args!("  {problem}"))?;
        }
    }
    if let Some(limit) = report.system_concurrent_calls {
        out.line(format_args!(
            "calls in flight across all users: at most {} at a dial, limit {limit}",
            report.system_in_flight_max
        ))?;
    }
    out.line(format_args!(
        "checked through log position {}, log hash {}",
        report.checked_through_position, report.log_hash
    ))?;
    if !report.log_verified {
        out.line(format_args!(
            "the log did NOT verify: {} problems (run `leadline verify`)",
            report.log_problems
        ))?;
    }
    if report.ok {
        out.line(format_args!("ok: no violations"))
    } else {
        out.line(format_args!(
            "not compliant: {} violations",
            report.violations_total
        ))
    }
}
