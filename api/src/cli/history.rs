//! `leadline history`: a lead's events, or the lead as it was at a time.

use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use leadline_domain::lead::Lead;
use leadline_domain::{LeadId, StreamName};
use leadline_projections::history::{campaign_as_of, lead_as_of, stream_history};
use leadline_storage::{EventLog, SledLog};
use serde_json::{json, Value};

use super::output::{compact_json, Failure, Out, Outcome};
use super::remote::{text_of, Remote};
use super::source::{self, Source};
use super::HistoryArgs;

/// One request to the server; a lead's history is small.
const REQUEST_TIMEOUT_S: u64 = 120;

pub fn run(args: HistoryArgs) -> Outcome {
    let lead: LeadId = args.lead.trim().parse().map_err(|e| format!("{e}"))?;
    let as_of = args.as_of.as_deref().map(parse_time).transpose()?;
    let timeout = Duration::from_secs(REQUEST_TIMEOUT_S);
    let mut out = Out::new();
    match source::open(&args.data, &args.server, timeout)? {
        Source::Local(log) => {
            let shown = match as_of {
                Some(at) => local_state(&log, lead, at, args.json, &mut out),
                None => local_events(&log, lead, args.json, &mut out),
            };
            let closed = source::close(log);
            shown?;
            closed?;
        }
        Source::Server(remote) => match as_of {
            Some(at) => remote_state(&remote, lead, at, args.json, &mut out)?,
            None => remote_events(&remote, lead, args.json, &mut out)?,
        },
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn parse_time(text: &str) -> Result<DateTime<Utc>, Failure> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!(
                "--as-of `{text}` is not an RFC 3339 time with an offset \
                 (like 2026-11-21T09:30:00+05:30 or 2026-11-21T04:00:00Z): {e}"
            )
            .into()
        })
}

fn no_such_lead(lead: LeadId, log: &SledLog) -> Failure {
    format!(
        "there is no lead {lead} in the log in {}",
        log.path().display()
    )
    .into()
}

fn not_yet(lead: LeadId, at: DateTime<Utc>) -> Failure {
    format!(
        "lead {lead} did not exist yet at {}",
        at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    )
    .into()
}

/// Prints the lead's events page by page, as they are read.
fn local_events(log: &SledLog, lead: LeadId, json: bool, out: &mut Out) -> Result<(), Failure> {
    let page_max = log.limits().read_events_max;
    let mut from = 1;
    loop {
        let page = stream_history(log, StreamName::Lead(lead), from, page_max)
            .map_err(|e| format!("reading the history of {lead}: {e}"))?;
        let Some(last) = page.last().map(|e| e.stream_version) else {
            if from == 1 {
                return Err(no_such_lead(lead, log));
            }
            return Ok(());
        };
        for entry in &page {
            if json {
                out.json_line(entry)?;
            } else {
                let data = serde_json::to_value(&entry.data).unwrap_or(Value::Null);
                out.line(format_args!(
                    "{}  {}  {}  {}  {}",
                    entry.position,
                    entry.at.to_rfc3339_opts(SecondsFormat::Micros, true),
                    entry.event_type,
                    entry.actor,
                    compact_json(untagged(&data, &entry.event_type)),
                ))?;
            }
        }
        from = last + 1;
    }
}

/// An event serialised externally tagged (`{"LeadImported": {...}}`)
/// without its tag, which the line already shows as the type.
fn untagged<'v>(data: &'v Value, event_type: &str) -> &'v Value {
    match data.as_object() {
        Some(map) if map.len() == 1 => map.get(event_type).unwrap_or(data),
        _ => data,
    }
}

fn local_state(
    log: &SledLog,
    lead: LeadId,
    at: DateTime<Utc>,
    json: bool,
    out: &mut Out,
) -> Result<(), Failure> {
    let state =
        lead_as_of(log, lead, at).map_err(|e| format!("reading the history of {lead}: {e}"))?;
    let Some(state) = state else {
        let exists = log
            .stream_version(&StreamName::Lead(lead).to_string())
            .map_err(|e| format!("reading the history of {lead}: {e}"))?
            > 0;
        return Err(if exists {
            not_yet(lead, at)
        } else {
            no_such_lead(lead, log)
        });
    };
    // When it would next be eligible depends on its campaign's settings
    // as they were then too.
    let campaign = campaign_as_of(log, state.campaign_id, at)
        .map_err(|e| format!("reading the history of {}: {e}", state.campaign_id))?;
    // Caps across campaigns and the owner's lists are not folded here: the
    // lead's own rules and its jurisdiction's hours are.
    let next_eligible_at = campaign
        .and_then(|c| state.next_eligible_at(&c, &leadline_domain::policy::Owner::detached(), at));
    let view = lead_json(&state, next_eligible_at);
    if json {
        out.json_line(&view)
    } else {
        out.json_pretty(&view)
    }
}

/// The lead as the API shows it (`GET /api/v1/leads/{id}`): the domain's
/// `Lead` is not itself serialisable.
fn lead_json(lead: &Lead, next_eligible_at: Option<DateTime<Utc>>) -> Value {
    json!({
        "id": lead.id.to_string(),
        "campaign_id": lead.campaign_id.to_string(),
        "phone": lead.phone.to_string(),
        "name": lead.name,
        "priority": lead.priority,
        "timezone": lead.timezone.map(|z| z.to_string()),
        "status": lead.status.to_string(),
        "dial_attempts": lead.dial_attempts,
        "answered_count": lead.answered_count,
        "last_dial_attempt": lead.last_dial_attempt,
        "dial_result": lead.dial_result.map(|r| r.to_string()),
        "last_status_change": lead.last_status_change,
        "next_eligible_at": next_eligible_at,
        "callback_at": lead.callback_at,
        "calls": lead.calls.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        "fields": lead.fields,
        "imported_at": lead.imported_at,
    })
}

fn history_path(lead: LeadId) -> String {
    format!("/api/v1/leads/{lead}/history")
}

fn remote_events(remote: &Remote, lead: LeadId, json: bool, out: &mut Out) -> Result<(), Failure> {
    let answer = remote.get(&history_path(lead), &[])?;
    let events = answer
        .get("events")
        .and_then(Value::as_array)
        .ok_or_else(|| unexpected(remote, "an `events` list"))?;
    for event in events {
        if json {
            out.json_line(event)?;
        } else {
            let event_type = text_of(event, "type");
            let data = event.get("data").unwrap_or(&Value::Null);
            out.line(format_args!(
                "{}  {}  {}  {}  {}",
                text_of(event, "position"),
                text_of(event, "at"),
                event_type,
                text_of(event, "actor"),
                compact_json(untagged(data, &event_type)),
            ))?;
        }
    }
    Ok(())
}

fn remote_state(
    remote: &Remote,
    lead: LeadId,
    at: DateTime<Utc>,
    json: bool,
    out: &mut Out,
) -> Result<(), Failure> {
    let time = at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let answer = remote.get(&history_path(lead), &[("as_of", time)])?;
    // `{"lead": {...}, "events": [...]}`, or the lead itself.
    let state = match answer.get("lead") {
        Some(state) => state,
        None if answer.get("id").is_some() => &answer,
        None => return Err(unexpected(remote, "the lead as it was")),
    };
    if state.is_null() {
        return Err(not_yet(lead, at));
    }
    if json {
        out.json_line(state)
    } else {
        out.json_pretty(state)
    }
}

fn unexpected(remote: &Remote, wanted: &str) -> Failure {
    format!(
        "the server at {} answered without {wanted}; is it a Leadline server of this version?",
        remote.url()
    )
    .into()
}
