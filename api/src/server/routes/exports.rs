//! Results out: a campaign's leads and the call log as CSV files, streamed.
//!
//! A file is produced a chunk at a time ([`EXPORT_CHUNK_LEADS`] leads or
//! [`EXPORT_CHUNK_CALLS`] calls), each chunk read under its own short read
//! lock of the read models on a blocking thread, encoded by the `csv` crate
//! (RFC 4180 quoting, CRLF line ends) and sent before the next is made. The
//! rows are those present when the request came (leads imported or calls
//! dialed during the download are left for the next one), the lead and
//! call states those of the moment each chunk is read. A client that goes
//! away drops the stream, and nothing more is produced.

use std::borrow::Cow;
use std::collections::BTreeSet;

use actix_web::{web, HttpResponse};
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use leadline_domain::lead::{Lead, LEAD_PHONES_MAX};
use leadline_domain::CampaignId;
use leadline_projections::{CallRecord, CallStatus, Projections};
use serde::Deserialize;

use crate::limits::{EXPORT_CHUNK_CALLS, EXPORT_CHUNK_LEADS, EXPORT_FILENAME_SLUG_BYTES_MAX};
use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::server::state::AppState;

use super::access::visible;
use super::lead_view::eligible_at;
use super::parse_id;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns/{id}/leads.csv", web::get().to(leads_csv))
        .route("/calls.csv", web::get().to(calls_csv));
}

/// The leads file's columns before the lead fields.
const LEAD_COLUMNS: [&str; 15] = [
    "lead_id",
    "phone",
    "phone2",
    "phone3",
    "phone4",
    "phone5",
    "name",
    "status",
    "attempts",
    "answered",
    "last_dial_at",
    "last_result",
    "next_eligible_at",
    "priority",
    "timezone",
];

/// The call log's columns.
const CALL_COLUMNS: [&str; 12] = [
    "call_id",
    "lead_id",
    "campaign_id",
    "phone",
    "attempt",
    "status",
    "started_at",
    "ended_at",
    "duration_secs",
    "provider_call_id",
    "provider_status",
    "error",
];

// `phone`, then `phone2`…`phone5`: one column per number a lead may have.
const _: () = assert!(LEAD_PHONES_MAX == 5);

/// A cell as it is written: one that a spreadsheet would read as a formula
/// (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a
/// leading `'`, unless the whole cell is a plain number: digits with an
/// optional leading sign and at most one decimal point (`+14155552671`,
/// `-3`, `-0.5`). Exponents are not plain numbers: `+1e5` is escaped
/// (`1e5` starts with a digit and is left as it is).
pub fn escape_cell(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') if !is_plain_number(cell) => {
            Cow::Owned(format!("'{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

/// Digits with an optional leading sign and at most one decimal point,
/// and at least one digit.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let mut digits = 0;
    let mut points = 0;
    for byte in unsigned.bytes() {
        match byte {
            b'0'..=b'9' => digits += 1,
            b'.' => points += 1,
            _ => return false,
        }
    }
    digits > 0 && points <= 1
}

/// A file name from a campaign's name: lowercase ASCII letters and digits,
/// runs of anything else as one `-`; `campaign` when nothing is left.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if slug.len() >= EXPORT_FILENAME_SLUG_BYTES_MAX {
                break;
            }
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "campaign".to_owned()
    } else {
        slug.to_owned()
    }
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn call_status(status: CallStatus) -> &'static str {
    match status {
        CallStatus::Dialing => "dialing",
        CallStatus::Answered => "answered",
        CallStatus::NoAnswer => "no_answer",
        CallStatus::Busy => "busy",
        CallStatus::Failed => "failed",
        CallStatus::Dropped => "dropped",
        CallStatus::Congestion => "congestion",
        CallStatus::Voicemail => "voicemail",
    }
}

/// Rows encoded into one buffer, a cell at a time.
struct Encoder {
    writer: csv::Writer<Vec<u8>>,
    /// The first error of the row being written.
    failed: Option<csv::Error>,
}

impl Encoder {
    fn new() -> Self {
        Encoder {
            writer: Self::writer(),
            failed: None,
        }
    }

    fn writer() -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new())
    }

    fn cell(&mut self, value: &str) {
        if let Err(e) = self.writer.write_field(escape_cell(value).as_bytes()) {
            self.failed.get_or_insert(e);
        }
    }

    fn opt(&mut self, value: Option<impl ToString>) {
        match value {
            Some(value) => self.cell(&value.to_string()),
            None => self.cell(""),
        }
    }

    /// Ends the row.
    fn end(&mut self) -> Result<(), ApiError> {
        let ended = self.writer.write_record(std::iter::empty::<&[u8]>());
        match self.failed.take().map_or(ended, Err) {
            Ok(()) => Ok(()),
            Err(e) => Err(ApiError::internal(format!("encoding the CSV: {e}"))),
        }
    }

    /// What was encoded since the last take.
    fn take(&mut self) -> Result<Bytes, ApiError> {
        let writer = std::mem::replace(&mut self.writer, Self::writer());
        let bytes = writer
            .into_inner()
            .map_err(|e| ApiError::internal(format!("encoding the CSV: {}", e.error())))?;
        Ok(Bytes::from(bytes))
    }
}

/// One step of a file: the next chunk, or `None` at its end.
trait Producer: Send + 'static {
    fn next_chunk(&mut self) -> Result<Option<Bytes>, ApiError>;
}

/// The response: `producer`'s chunks, each made on a blocking thread when
/// the connection takes the previous one.
fn streamed(producer: impl Producer, filename: &str) -> HttpResponse {
    let body = futures_util::stream::unfold(Some(producer), |producer| async move {
        let mut producer = producer?;
        let made = web::block(move || {
            let chunk = producer.next_chunk();
            (producer, chunk)
        })
        .await;
        match made {
            Ok((producer, Ok(Some(chunk)))) => Some((Ok(chunk), Some(producer))),
            Ok((_, Ok(None))) => None,
            Ok((_, Err(e))) => Some((Err(actix_web::Error::from(e)), None)),
            Err(e) => Some((
                Err(actix_web::Error::from(ApiError::internal(e.to_string()))),
                None,
            )),
        }
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}

/// The leads file of one campaign.
struct LeadsFile {
    projections: std::sync::Arc<Projections>,
    principal: Principal,
    campaign: CampaignId,
    now: DateTime<Utc>,
    /// The leads present when the request came: the first `end` of the
    /// campaign's (import order only appends).
    end: usize,
    next: usize,
    /// The field keys, sorted, once the first pass has read them.
    keys: Option<Vec<String>>,
    encoder: Encoder,
}

impl LeadsFile {
    /// Every field key of the campaign's leads, sorted: a first pass, a
    /// chunk of leads per read lock.
    fn field_keys(&self) -> Result<Vec<String>, ApiError> {
        let mut keys: BTreeSet<String> = BTreeSet::new();
        let mut start = 0;
        while start < self.end {
            let stop = (start + EXPORT_CHUNK_LEADS).min(self.end);
            let model = self.projections.read();
            let entry = visible(&model, &self.principal, &self.campaign)?;
            for id in entry.leads.get(start..stop).unwrap_or_default() {
                let Some(lead) = model.lead(id) else { continue };
                for (key, _) in lead.lead.fields.iter() {
                    if !keys.contains(key) {
                        keys.insert(key.to_owned());
                    }
                }
            }
            start = stop;
        }
        Ok(keys.into_iter().collect())
    }

    fn header(&mut self, keys: &[String]) -> Result<(), ApiError> {
        let mut taken: BTreeSet<String> = LEAD_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
        taken.extend(keys.iter().cloned());
        for column in LEAD_COLUMNS {
            self.encoder.cell(column);
        }
        for key in keys {
            let name = if LEAD_COLUMNS.contains(&key.as_str()) {
                // A field named like a fixed column: `field_<key>`, with
                // more `field_` until the name is free.
                let mut name = format!("field_{key}");
                while taken.contains(&name) {
                    name.insert_str(0, "field_");
                }
                taken.insert(name.clone());
                name
            } else {
                key.clone()
            };
            self.encoder.cell(&name);
        }
        self.encoder.end()
    }

    fn row(encoder: &mut Encoder, lead: &Lead, keys: &[String], eligible: Option<DateTime<Utc>>) {
        encoder.cell(&lead.id.to_string());
        encoder.cell(lead.phone.as_str());
        for n in 0..LEAD_PHONES_MAX - 1 {
            encoder.opt(lead.alt_phones.get(n).map(|p| p.as_str()));
        }
        encoder.opt(lead.name.as_deref());
        encoder.cell(&lead.status.to_string());
        encoder.cell(&lead.dial_attempts.to_string());
        encoder.cell(&lead.answered_count.to_string());
        encoder.opt(lead.last_dial_attempt.map(time));
        encoder.opt(lead.dial_result);
        encoder.opt(eligible.map(time));
        encoder.cell(&lead.priority.to_string());
        encoder.opt(lead.timezone);
        for key in keys {
            encoder.opt(lead.fields.get(key));
        }
    }
}

impl Producer for LeadsFile {
    fn next_chunk(&mut self) -> Result<Option<Bytes>, ApiError> {
        let keys = match self.keys.take() {
            Some(keys) => keys,
            None => {
                let keys = self.field_keys()?;
                self.header(&keys)?;
                keys
            }
        };
        if self.next >= self.end {
            let rest = self.encoder.take()?;
            self.keys = Some(keys);
            // The header of an empty campaign is sent once, then the end.
            return Ok((!rest.is_empty()).then_some(rest));
        }
        let stop = (self.next + EXPORT_CHUNK_LEADS).min(self.end);
        {
            let model = self.projections.read();
            let entry = visible(&model, &self.principal, &self.campaign)?;
            let owner = model.owner(&entry.campaign.owner);
            for id in entry.leads.get(self.next..stop).unwrap_or_default() {
                let Some(lead) = model.lead(id) else { continue };
                let eligible = eligible_at(&lead.lead, &entry.campaign, &owner, self.now);
                Self::row(&mut self.encoder, &lead.lead, &keys, eligible);
                self.encoder.end()?;
            }
        }
        self.next = stop;
        self.keys = Some(keys);
        self.encoder.take().map(Some)
    }
}

/// `GET /campaigns/{id}/leads.csv`.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/leads.csv", tag = "leads",
    params(("id" = String, Path, description = "The campaign")),
    responses((status = 200, description = "Every lead of the campaign in import order, as CSV (RFC 4180, UTF-8, CRLF, a header row), streamed: `lead_id`, `phone`, `phone2`…`phone5`, `name`, `status`, `attempts`, `answered`, `last_dial_at`, `last_result`, `next_eligible_at`, `priority`, `timezone`, then one column per field key of the campaign's leads, sorted (`field_<key>` when a key is the name of a column before). A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, unless it is a plain number (digits, an optional sign, at most one decimal point).",
        content_type = "text/csv", body = String)))]
pub async fn leads_csv(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    let now = state.now();
    let (end, name) = {
        let model = state.projections.read();
        let entry = visible(&model, &principal, &id)?;
        (entry.leads.len(), entry.campaign.settings.name.clone())
    };
    let file = LeadsFile {
        projections: state.projections.clone(),
        principal,
        campaign: id,
        now,
        end,
        next: 0,
        keys: None,
        encoder: Encoder::new(),
    };
    Ok(streamed(file, &format!("{}-leads.csv", slug(&name))))
}

/// The calls of some campaigns, campaign after campaign, each in dial order.
struct CallsFile {
    projections: std::sync::Arc<Projections>,
    principal: Principal,
    /// Each campaign with the number of its calls when the request came.
    campaigns: Vec<(CampaignId, usize)>,
    /// Where the next chunk starts: a campaign and a call of it.
    at: (usize, usize),
    header_sent: bool,
    encoder: Encoder,
}

impl CallsFile {
    fn row(encoder: &mut Encoder, call: &CallRecord) {
        encoder.cell(&call.id.to_string());
        encoder.cell(&call.lead_id.to_string());
        encoder.cell(&call.campaign_id.to_string());
        encoder.cell(call.phone.as_str());
        encoder.cell(&call.attempt.to_string());
        encoder.cell(call_status(call.status));
        encoder.cell(&time(call.started_at));
        encoder.opt(call.ended_at.map(time));
        encoder.opt(call.duration_secs);
        encoder.opt(call.provider_call_id.as_deref());
        encoder.opt(call.provider_status.as_deref());
        encoder.opt(call.error.as_deref());
    }
}

impl Producer for CallsFile {
    fn next_chunk(&mut self) -> Result<Option<Bytes>, ApiError> {
        if !self.header_sent {
            self.header_sent = true;
            for column in CALL_COLUMNS {
                self.encoder.cell(column);
            }
            self.encoder.end()?;
        }
        let mut rows = 0;
        {
            let model = self.projections.read();
            while rows < EXPORT_CHUNK_CALLS {
                let (campaign, start) = self.at;
                let Some((id, end)) = self.campaigns.get(campaign) else {
                    break;
                };
                let stop = (start + EXPORT_CHUNK_CALLS - rows).min(*end);
                let entry = visible(&model, &self.principal, id)?;
                for call in entry.calls.get(start..stop).unwrap_or_default() {
                    if let Some(call) = model.call(call) {
                        Self::row(&mut self.encoder, call);
                        self.encoder.end()?;
                    }
                }
                rows += stop - start;
                self.at = if stop >= *end {
                    (campaign + 1, 0)
                } else {
                    (campaign, stop)
                };
            }
        }
        let chunk = self.encoder.take()?;
        Ok((!chunk.is_empty()).then_some(chunk))
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CallsCsvQuery {
    /// Only this campaign's calls; without it, those of every campaign of
    /// the caller (the admin: of every campaign).
    pub campaign_id: Option<String>,
}

/// `GET /calls.csv`.
#[utoipa::path(get, path = "/api/v1/calls.csv", tag = "calls", params(CallsCsvQuery),
    responses((status = 200, description = "The call log as CSV (RFC 4180, UTF-8, CRLF, a header row), streamed: `call_id`, `lead_id`, `campaign_id`, `phone`, `attempt`, `status`, `started_at`, `ended_at`, `duration_secs`, `provider_call_id`, `provider_status`, `error`; campaign after campaign (oldest first), each in dial order. Cells are escaped as in the leads file.",
        content_type = "text/csv", body = String),
        (status = 404, description = "no such campaign, or another user's")))]
pub async fn calls_csv(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<CallsCsvQuery>,
) -> Result<HttpResponse, ApiError> {
    let (campaigns, filename) = {
        let model = state.projections.read();
        match &query.campaign_id {
            Some(raw) => {
                let id: CampaignId = parse_id("campaign id", raw)?;
                let entry = visible(&model, &principal, &id)?;
                (
                    vec![(id, entry.calls.len())],
                    format!("{}-calls.csv", slug(&entry.campaign.settings.name)),
                )
            }
            None => {
                let mut entries: Vec<_> = model
                    .campaigns()
                    .filter(|c| principal.owns(&c.campaign.owner))
                    .collect();
                entries.sort_by_key(|c| (c.campaign.created_at, c.campaign.id));
                (
                    entries
                        .iter()
                        .map(|c| (c.campaign.id, c.calls.len()))
                        .collect(),
                    "calls.csv".to_owned(),
                )
            }
        }
    };
    let file = CallsFile {
        projections: state.projections.clone(),
        principal,
        campaigns,
        at: (0, 0),
        header_sent: false,
        encoder: Encoder::new(),
    };
    Ok(streamed(file, &filename))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_escaped_and_a_plain_number_is_not() {
        for (cell, written) in [
            ("=1+1", "'=1+1"),
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+14155552671", "+14155552671"),
            ("-3", "-3"),
            ("+3.25", "+3.25"),
            ("-.5", "-.5"),
            ("-3x", "'-3x"),
            ("-", "'-"),
            ("+", "'+"),
            ("-1.2.3", "'-1.2.3"),
            ("+1e5", "'+1e5"),
            ("1e5", "1e5"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("\t3", "'\t3"),
            ("", ""),
            ("Asha", "Asha"),
            ("a=b", "a=b"),
            ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z"),
        ] {
            assert_eq!(escape_cell(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn the_csv_crate_quotes_what_rfc_4180_asks_and_ends_lines_with_crlf() {
        let mut encoder = Encoder::new();
        for cell in ["a,b", "say \"hi\"", "two\nlines", "=1", "plain"] {
            encoder.cell(cell);
        }
        assert!(encoder.end().is_ok());
        let bytes = encoder.take().unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",'=1,plain\r\n"
        );
    }

    #[test]
    fn a_file_name_is_a_slug_of_the_campaign_name() {
        assert_eq!(slug("EMI Reminder (Nov)"), "emi-reminder-nov");
        assert_eq!(slug("  ***  "), "campaign");
        assert_eq!(slug("Ünïcode ✓ 2026"), "n-code-2026");
        assert!(slug(&"x".repeat(500)).len() <= EXPORT_FILENAME_SLUG_BYTES_MAX);
    }

    #[test]
    fn call_statuses_are_named_as_in_the_json_api() {
        for status in [
            CallStatus::Dialing,
            CallStatus::Answered,
            CallStatus::NoAnswer,
            CallStatus::Busy,
            CallStatus::Failed,
            CallStatus::Dropped,
            CallStatus::Congestion,
            CallStatus::Voicemail,
        ] {
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(serde_json::Value::from(call_status(status)))
            );
        }
    }
}
