//! Leads: import (CSV or JSON), list, read, history, disposition.

use std::collections::BTreeMap;
use std::io::Read;

use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use leadline_domain::lead::LEAD_PHONES_MAX;
use leadline_domain::lead::{self, DispositionRequest, LeadCommand};
use leadline_domain::plans::{self, LeadInput, PreparedRow};
use leadline_domain::{CampaignId, LeadId, LeadStatus, Region, StreamName};
use leadline_projections::history::{lead_as_of, stream_history, HistoryEntry};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::server::auth::Principal;
use crate::server::commands::execute;
use crate::server::error::ApiError;
use crate::server::limits::{
    CSV_BODY_BYTES_MAX, CSV_CHUNKS_QUEUED_MAX, IMPORT_BATCH_ROWS_MAX, INVALID_ROWS_LISTED_MAX,
    JSON_BODY_BYTES_MAX, UPLOAD_ROWS_MAX,
};
use crate::server::state::AppState;

use super::access::{visible, visible_lead};
use super::lead_view::{lead_view, LeadView};
use super::{cause, parse_id};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns/{id}/leads", web::post().to(import))
        .route("/campaigns/{id}/leads", web::get().to(list))
        .route("/leads/{id}", web::get().to(get))
        .route("/leads/{id}/history", web::get().to(history))
        .route("/leads/{id}/disposition", web::post().to(disposition));
}

#[derive(Serialize, ToSchema, Clone)]
pub struct InvalidRowView {
    /// Row number, from 1 after the header.
    pub row: usize,
    pub phone: String,
    pub error: String,
}

#[derive(Serialize, ToSchema, Default)]
pub struct ImportReport {
    pub imported: usize,
    pub duplicates: usize,
    pub dnc: usize,
    /// Invalid rows, the first ones listed.
    pub invalid: Vec<InvalidRowView>,
    /// Every invalid row, listed or not.
    pub invalid_total: usize,
    pub rows: usize,
    pub position: u64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadBody {
    pub phone: String,
    pub name: Option<String>,
    pub priority: Option<i32>,
    /// IANA zone of the lead.
    pub timezone: Option<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Other numbers of the same person, at most 4; each attempt dials the
    /// next dialable number in turn.
    #[serde(default)]
    #[schema(max_items = 4)]
    pub alt_phones: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadsBody {
    pub leads: Vec<LeadBody>,
}

/// Imports leads from CSV (`text/csv`: header with `phone`, optional
/// `phone2`…`phone5`, `name`, `priority`, `timezone`, other columns kept as
/// fields) or JSON.
/// The whole upload is read and checked before anything is written, then
/// written in batches; duplicates, do-not-call numbers and invalid rows are
/// reported, not fatal.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/leads", tag = "leads",
    request_body(content((LeadsBody = "application/json"), (String = "text/csv")),
        description = "JSON, or CSV with a header row naming `phone` (and optionally name, priority, timezone, your own columns)"),
    responses((status = 200, body = ImportReport), (status = 400, description = "malformed CSV or JSON"),
        (status = 413, description = "too many rows or bytes"), (status = 415, description = "neither CSV nor JSON")))]
pub async fn import(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    {
        let model = state.projections.read();
        visible(&model, &principal, &id)?;
    }
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let rows = if content_type.starts_with("text/csv") {
        super::check_declared_length(&req, CSV_BODY_BYTES_MAX)?;
        read_csv(payload).await?
    } else if content_type.starts_with("application/json") {
        read_json(&req, payload).await?
    } else {
        return Err(ApiError::unsupported_media(
            "send leads as text/csv or application/json",
        ));
    };
    let mut report = ImportReport {
        rows: rows.len(),
        ..ImportReport::default()
    };
    let region = {
        let model = state.projections.read();
        visible(&model, &principal, &id)?
            .campaign
            .settings
            .default_region
    };
    let now = state.now();
    let cause = cause(&principal);
    let mut position = state.projections.position();
    // Batches are checked one ahead of the one being written, so checking
    // (on the blocking pool) and writing (the log's writer) overlap, and
    // only two batches of checked rows are held at a time.
    let mut batches = rows.into_iter().peekable();
    let mut first_row = 1;
    let mut take_batch = |batches: &mut std::iter::Peekable<std::vec::IntoIter<LeadInput>>| {
        let batch: Vec<LeadInput> = batches.by_ref().take(IMPORT_BATCH_ROWS_MAX).collect();
        let first = first_row;
        first_row += batch.len();
        (!batch.is_empty()).then(|| web::block(move || prepare_parallel(region, batch, first)))
    };
    let mut next = take_batch(&mut batches);
    while let Some(checking) = next {
        let prepared = checking
            .await
            .map_err(|e| ApiError::internal(format!("checking the rows failed: {e}")))?;
        next = take_batch(&mut batches);
        let done = execute(&state, &cause, |model| {
            let entry = visible(model, &principal, &id)?;
            let owner = model.user(&entry.campaign.owner);
            Ok(plans::import_prepared(
                &entry.campaign,
                &entry.phones,
                |p| owner.is_some_and(|u| u.user.is_dnc(p)),
                &prepared,
                || LeadId::from_uuid(uuid::Uuid::now_v7()),
                now,
            )?)
        })
        .await?;
        let summary = done.value;
        report.imported += summary.imported;
        report.duplicates += summary.duplicates;
        report.dnc += summary.dnc;
        report.invalid_total += summary.invalid.len();
        for invalid in summary.invalid {
            if report.invalid.len() < INVALID_ROWS_LISTED_MAX {
                report.invalid.push(InvalidRowView {
                    row: invalid.row,
                    phone: invalid.phone,
                    error: invalid.error,
                });
            }
        }
        position = done.position;
    }
    report.position = position;
    Ok(HttpResponse::Ok().json(report))
}

/// Checks every row on its own (numbers, names, zones, fields), on as many
/// threads as there are cores: the costly part of a large import, done
/// before and outside any lock.
fn prepare_parallel(
    region: Option<Region>,
    rows: Vec<LeadInput>,
    first: usize,
) -> Vec<PreparedRow> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .max(1);
    let per_thread = rows.len().div_ceil(threads).max(1);
    let mut chunks: Vec<(usize, Vec<LeadInput>)> = Vec::new();
    let mut rows = rows.into_iter();
    let mut first_row = first;
    loop {
        let chunk: Vec<LeadInput> = rows.by_ref().take(per_thread).collect();
        if chunk.is_empty() {
            break;
        }
        let len = chunk.len();
        chunks.push((first_row, chunk));
        first_row += len;
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|(first, chunk)| scope.spawn(move || plans::prepare_rows(region, chunk, first)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

async fn read_json(req: &HttpRequest, payload: web::Payload) -> Result<Vec<LeadInput>, ApiError> {
    let body = super::read_body(req, payload, JSON_BODY_BYTES_MAX).await?;
    let parsed: LeadsBody = serde_json::from_slice(&body).map_err(|e| {
        if e.is_data() {
            ApiError::unprocessable(e.to_string())
        } else {
            ApiError::bad_request(format!("malformed JSON: {e}"))
        }
    })?;
    if parsed.leads.len() > UPLOAD_ROWS_MAX {
        return Err(ApiError::too_large(format!(
            "{} leads; the limit is {UPLOAD_ROWS_MAX} per upload",
            parsed.leads.len()
        )));
    }
    Ok(parsed
        .leads
        .into_iter()
        .map(|l| LeadInput {
            phone: l.phone,
            name: l.name,
            priority: l.priority.map(|p| p.to_string()),
            timezone: l.timezone,
            fields: l.fields,
            contact_id: None,
            alt_phones: l.alt_phones,
        })
        .collect())
}

/// A `Read` over body chunks arriving through a channel: the CSV parser
/// runs on a blocking thread while the body streams in.
struct ChunkReader {
    chunks: tokio::sync::mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

async fn read_csv(mut payload: web::Payload) -> Result<Vec<LeadInput>, ApiError> {
    let (sender, chunks) = tokio::sync::mpsc::channel::<Bytes>(CSV_CHUNKS_QUEUED_MAX);
    let parser = tokio::task::spawn_blocking(move || {
        parse_csv(ChunkReader {
            chunks,
            current: Bytes::new(),
        })
    });
    let mut received = 0usize;
    let mut too_large = false;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
        received += chunk.len();
        if received > CSV_BODY_BYTES_MAX {
            too_large = true;
            break;
        }
        if sender.send(chunk).await.is_err() {
            // The parser stopped early (an error): its answer says why.
            break;
        }
    }
    drop(sender);
    let parsed = parser
        .await
        .map_err(|e| ApiError::internal(format!("the CSV parser failed: {e}")))?;
    if too_large {
        return Err(ApiError::too_large(format!(
            "the CSV is over the limit of {CSV_BODY_BYTES_MAX} bytes"
        )));
    }
    parsed
}

fn parse_csv(reader: impl Read) -> Result<Vec<LeadInput>, ApiError> {
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| ApiError::bad_request(format!("the CSV header cannot be read: {e}")))?
        .clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let column = |name: &str| names.iter().position(|h| h == name);
    let phone = column("phone").ok_or_else(|| {
        ApiError::bad_request(
            "the CSV header must have a `phone` column (and may have name, priority, timezone)",
        )
    })?;
    let (name, priority, timezone) = (column("name"), column("priority"), column("timezone"));
    // One slot per column `phone2`…`phone5`, empty when the column is
    // absent, so that an error names the column it is in.
    let slots: Vec<Option<usize>> = (2..=LEAD_PHONES_MAX)
        .map(|n| column(&format!("phone{n}")))
        .collect();
    let others: Vec<usize> = slots.iter().flatten().copied().collect();
    let mut rows = Vec::new();
    for (index, record) in csv.records().enumerate() {
        let record =
            record.map_err(|e| ApiError::bad_request(format!("CSV row {}: {e}", index + 1)))?;
        if rows.len() >= UPLOAD_ROWS_MAX {
            return Err(ApiError::too_large(format!(
                "more than {UPLOAD_ROWS_MAX} rows in one upload"
            )));
        }
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let mut fields = BTreeMap::new();
        for (i, value) in record.iter().enumerate() {
            if Some(i) != Some(phone)
                && Some(i) != name
                && Some(i) != priority
                && Some(i) != timezone
                && !others.contains(&i)
                && !value.is_empty()
            {
                if let Some(header) = headers.get(i) {
                    fields.insert(header.to_owned(), value.to_owned());
                }
            }
        }
        rows.push(LeadInput {
            phone: record.get(phone).unwrap_or_default().to_owned(),
            name: cell(name),
            priority: cell(priority),
            timezone: cell(timezone),
            fields,
            contact_id: None,
            alt_phones: slots
                .iter()
                .map(|slot| cell(*slot).unwrap_or_default())
                .collect(),
        });
    }
    Ok(rows)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LeadListQuery {
    /// Only leads with this status.
    pub status: Option<String>,
    /// At most this many.
    pub limit: Option<usize>,
    /// Where the previous page ended (`next_cursor`).
    pub cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LeadPage {
    pub leads: Vec<LeadView>,
    /// Pass as `cursor` for the next page; null at the end.
    pub next_cursor: Option<String>,
    pub position: u64,
}

/// A campaign's leads in import order, a page at a time.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/leads", tag = "leads", params(LeadListQuery),
    responses((status = 200, body = LeadPage)))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<LeadListQuery>,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    let status = query
        .status
        .as_deref()
        .map(|s| {
            s.parse::<LeadStatus>()
                .map_err(|e| ApiError::bad_request(e.to_string()))
        })
        .transpose()?;
    let (start, limit) = super::page_bounds(query.limit, query.cursor.as_deref())?;
    let now = state.now();
    let model = state.projections.read();
    let entry = visible(&model, &principal, &id)?;
    let mut leads = Vec::new();
    let mut next_cursor = None;
    for (index, lead_id) in entry.leads.iter().enumerate().skip(start) {
        let Some(lead) = model.lead(lead_id) else {
            continue;
        };
        if status.is_some_and(|s| lead.lead.status != s) {
            continue;
        }
        if leads.len() == limit {
            next_cursor = Some(index.to_string());
            break;
        }
        leads.push(lead_view(&lead.lead, &model, now));
    }
    Ok(HttpResponse::Ok().json(LeadPage {
        leads,
        next_cursor,
        position: model.position(),
    }))
}

#[utoipa::path(get, path = "/api/v1/leads/{id}", tag = "leads", responses((status = 200, body = LeadView)))]
pub async fn get(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: LeadId = parse_id("lead id", &path)?;
    let model = state.projections.read();
    let lead = visible_lead(&model, &principal, &id)?;
    Ok(HttpResponse::Ok().json(lead_view(lead, &model, state.now())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// The lead as it was at this time (RFC 3339).
    pub as_of: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryView {
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<HistoryEntry>,
    /// With `as_of`: the lead as it was then (null: not imported yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

/// Every event of the lead, in order, with position, time, actor and data.
/// With `as_of`, only events until then, and the lead's state at that time.
#[utoipa::path(get, path = "/api/v1/leads/{id}/history", tag = "leads", params(HistoryQuery),
    responses((status = 200, body = HistoryView)))]
pub async fn history(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let id: LeadId = parse_id("lead id", &path)?;
    let as_of = query
        .as_of
        .as_deref()
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    ApiError::bad_request(format!("as_of must be RFC 3339 with an offset: {e}"))
                })
        })
        .transpose()?;
    {
        let model = state.projections.read();
        visible_lead(&model, &principal, &id)?;
    }
    let log = state.log.clone();
    let now = state.now();
    let (events, past) = web::block(move || {
        let events = stream_history(&*log, StreamName::Lead(id), 1, usize::MAX)?;
        let past = match as_of {
            Some(at) => lead_as_of(&*log, id, at)?,
            None => None,
        };
        Ok::<_, leadline_projections::ProjectionError>((events, past))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    let events = match as_of {
        Some(at) => events.into_iter().filter(|e| e.data.at() <= at).collect(),
        None => events,
    };
    let lead = match (as_of, past) {
        (Some(_), Some(lead)) => {
            let model = state.projections.read();
            Some(serde_json::to_value(lead_view(&lead, &model, now)).unwrap_or_default())
        }
        (Some(_), None) => Some(serde_json::Value::Null),
        _ => None,
    };
    Ok(HttpResponse::Ok().json(HistoryView {
        events,
        lead,
        as_of,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispositionBody {
    /// `sale`, `not_interested`, `callback` or `dnc`.
    pub status: String,
    /// For `callback`: when to call back (RFC 3339, in the future).
    pub callback_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

/// Records what came of an answered call.
#[utoipa::path(post, path = "/api/v1/leads/{id}/disposition", tag = "leads", request_body = DispositionBody,
    responses((status = 200, body = LeadView), (status = 409, description = "not allowed in the lead's status")))]
pub async fn disposition(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<DispositionBody>,
) -> Result<HttpResponse, ApiError> {
    let id: LeadId = parse_id("lead id", &path)?;
    let status = body
        .status
        .parse::<LeadStatus>()
        .map_err(|e| ApiError::unprocessable(format!("status: {e}")))?;
    let now = state.now();
    execute(&state, &cause(&principal), |model| {
        let lead = visible_lead(model, &principal, &id)?;
        let campaign = model
            .campaign(&lead.campaign_id)
            .ok_or_else(|| ApiError::not_found("the lead's campaign"))?;
        if status == LeadStatus::Dnc {
            // The person asked not to be called again: the number goes on
            // the owner's list, so no campaign of theirs dials it again.
            let owner = &super::users::user_of(model, &campaign.campaign.owner)?.user;
            let leads = super::users::leads_with_number(model, &owner.id, lead.last_dialed_phone());
            let events = plans::dnc_disposition(owner, lead, &campaign.campaign, &leads, now)?;
            return Ok((events, ()));
        }
        let command = {
            LeadCommand::Dispose {
                disposition: DispositionRequest::from_status(status, body.callback_at)?,
                note: body.note.clone(),
            }
        };
        Ok((lead::decide(lead, &campaign.campaign, command, now)?, ()))
    })
    .await?;
    let model = state.projections.read();
    let lead = visible_lead(&model, &principal, &id)?;
    Ok(HttpResponse::Ok().json(lead_view(lead, &model, state.now())))
}
