//! Campaigns: create, list, read, change, archive, start, pause, resume,
//! cancel, stats, hopper, recycle.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use leadline_domain::campaign::{self, Campaign, CampaignCommand, CampaignSettings};
use leadline_domain::plans::{self, RecycleRequest};
use leadline_domain::{
    CampaignId, CampaignStatus, DailyHours, LeadStatus, Region, RetryPolicy, TimeOfDay, UserId,
    Zone,
};
use leadline_projections::{CampaignEntry, Counters, ReadModel};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::server::auth::Principal;
use crate::server::commands::{execute, Done};
use crate::server::error::ApiError;
use crate::server::limits::{CONTACT_IDS_MAX, HOPPER_LIST_MAX, PAGE_ITEMS_DEFAULT};
use crate::server::state::AppState;

use super::{cause, parse_id, ListQuery};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns", web::post().to(create))
        .route("/campaigns", web::get().to(list))
        .route("/campaigns/{id}", web::get().to(get))
        .route("/campaigns/{id}", web::patch().to(update))
        .route("/campaigns/{id}", web::delete().to(archive))
        .route("/campaigns/{id}/start", web::post().to(start))
        .route("/campaigns/{id}/pause", web::post().to(pause))
        .route("/campaigns/{id}/resume", web::post().to(resume))
        .route("/campaigns/{id}/cancel", web::post().to(cancel))
        .route("/campaigns/{id}/stats", web::get().to(stats))
        .route("/campaigns/{id}/hopper", web::get().to(hopper))
        .route("/campaigns/{id}/recycle", web::post().to(recycle));
}

/// A field that may be absent (keep the value), `null` (clear it) or given.
pub type Nullable<T> = Option<Option<T>>;

/// Reads a present field, `null` included, as `Some(..)`; `#[serde(default)]`
/// makes an absent one `None`.
fn nullable<'de, D, T>(deserializer: D) -> Result<Nullable<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Calling hours of a day, `HH:MM`.
#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct HoursBody {
    pub start: String,
    pub end: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RetryBody {
    /// Minutes between a retried outcome and the next dial.
    pub delay_minutes: Option<u32>,
    /// Minutes before a dropped call is retried.
    pub dropped_delay_minutes: Option<u32>,
    /// Dials per lead and round.
    pub max_attempts: Option<u32>,
    /// Outcomes that are retried (default no_answer, busy, failed, dropped, congestion).
    pub statuses: Option<Vec<String>>,
    /// Dials per number per 24 hours (`null`: no cap).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub attempts_per_day_max: Nullable<u32>,
}

/// Provider settings; any other key is kept as free-form text.
#[derive(Deserialize, ToSchema, Default)]
pub struct ProviderBody {
    pub agent_id: Option<String>,
    pub caller_id: Option<String>,
    pub next_action: Option<String>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A campaign's settings. On create only `name` is required; on update every
/// field is optional and replaces the current value.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CampaignBody {
    pub name: Option<String>,
    /// IANA zone of the calling window (default UTC).
    pub timezone: Option<String>,
    /// First call time, `HH:MM` (default all day).
    pub first_call_time: Option<String>,
    /// Last call time, `HH:MM`; before the first call time it crosses midnight.
    pub last_call_time: Option<String>,
    /// A future date makes the campaign wait (`YYYY-MM-DD`, campaign zone;
    /// `null` or `""`: none).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub start_date: Nullable<String>,
    /// Region for numbers without a country code (`IN`, `US`, …; `null` or
    /// `""`: none).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub default_region: Nullable<String>,
    pub retry: Option<RetryBody>,
    pub provider: Option<ProviderBody>,
    /// Saved contacts to import as leads at creation.
    pub contact_ids: Option<Vec<String>>,
    /// Legal calling hours in each lead's own zone (`null`: off).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<HoursBody>)]
    pub local_hours: Nullable<HoursBody>,
    /// Dials per number per 24 hours, also accepted inside `retry` (`null`: no cap).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub attempts_per_day_max: Nullable<u32>,
    /// Delay between two dials of the campaign, in milliseconds (`null`: none).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub dial_delay_ms: Nullable<u32>,
    /// The owner, when the admin creates a campaign for a user.
    pub owner: Option<String>,
}

fn unprocessable(field: &str, error: impl std::fmt::Display) -> ApiError {
    ApiError::unprocessable(format!("{field}: {error}"))
}

/// Applies the body's fields onto `settings`.
fn apply_body(settings: &mut CampaignSettings, body: &CampaignBody) -> Result<(), ApiError> {
    if let Some(name) = &body.name {
        settings.name = name.clone();
    }
    if let Some(zone) = &body.timezone {
        settings.timezone = zone
            .parse::<Zone>()
            .map_err(|e| unprocessable("timezone", e))?;
    }
    let time = |field: &str, value: &Option<String>| -> Result<Option<TimeOfDay>, ApiError> {
        value
            .as_deref()
            .map(|v| v.parse::<TimeOfDay>().map_err(|e| unprocessable(field, e)))
            .transpose()
    };
    let first = time("first_call_time", &body.first_call_time)?;
    let last = time("last_call_time", &body.last_call_time)?;
    if first.is_some() || last.is_some() {
        settings.hours = DailyHours::new(
            first.unwrap_or(settings.hours.start),
            last.unwrap_or(settings.hours.end),
        );
    }
    if let Some(date) = &body.start_date {
        let date = date.as_deref().unwrap_or_default();
        settings.start_date = if date.is_empty() {
            None
        } else {
            Some(
                leadline_domain::time::parse_date(date)
                    .map_err(|e| unprocessable("start_date", e))?,
            )
        };
    }
    if let Some(region) = &body.default_region {
        let region = region.as_deref().unwrap_or_default();
        settings.default_region = if region.is_empty() {
            None
        } else {
            Some(
                region
                    .parse::<Region>()
                    .map_err(|e| unprocessable("default_region", e))?,
            )
        };
    }
    if let Some(retry) = &body.retry {
        settings.retry = apply_retry(settings.retry.clone(), retry)?;
    }
    if let Some(cap) = body.attempts_per_day_max {
        settings.retry = settings
            .retry
            .clone()
            .with_attempts_per_day_max(cap)
            .map_err(|e| unprocessable("attempts_per_day_max", e))?;
    }
    match &body.local_hours {
        None => {}
        Some(None) => settings.local_hours = None,
        Some(Some(hours)) => {
            let start = hours
                .start
                .parse::<TimeOfDay>()
                .map_err(|e| unprocessable("local_hours.start", e))?;
            let end = hours
                .end
                .parse::<TimeOfDay>()
                .map_err(|e| unprocessable("local_hours.end", e))?;
            settings.local_hours = Some(DailyHours::new(start, end));
        }
    }
    if let Some(delay) = body.dial_delay_ms {
        settings.dial_delay_ms = delay;
    }
    if let Some(provider) = &body.provider {
        if provider.agent_id.is_some() {
            settings.provider.agent_id = provider.agent_id.clone();
        }
        if provider.caller_id.is_some() {
            settings.provider.caller_id = provider.caller_id.clone();
        }
        if provider.next_action.is_some() {
            settings.provider.next_action = provider.next_action.clone();
        }
        for (key, value) in &provider.extra {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            settings.provider.extra.insert(key.clone(), text);
        }
    }
    settings
        .validate()
        .map_err(|e| ApiError::unprocessable(e.to_string()))
}

fn apply_retry(mut policy: RetryPolicy, body: &RetryBody) -> Result<RetryPolicy, ApiError> {
    if let Some(minutes) = body.delay_minutes {
        policy = policy
            .with_delay_minutes(minutes)
            .map_err(|e| unprocessable("retry.delay_minutes", e))?;
    }
    if let Some(minutes) = body.dropped_delay_minutes {
        policy = policy
            .with_dropped_delay_minutes(minutes)
            .map_err(|e| unprocessable("retry.dropped_delay_minutes", e))?;
    }
    if let Some(max) = body.max_attempts {
        policy = policy
            .with_max_attempts(max)
            .map_err(|e| unprocessable("retry.max_attempts", e))?;
    }
    if let Some(statuses) = &body.statuses {
        let parsed = statuses
            .iter()
            .map(|s| {
                s.parse::<LeadStatus>()
                    .map_err(|e| unprocessable("retry.statuses", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        policy = policy
            .with_statuses(&parsed)
            .map_err(|e| unprocessable("retry.statuses", e))?;
    }
    if let Some(cap) = body.attempts_per_day_max {
        policy = policy
            .with_attempts_per_day_max(cap)
            .map_err(|e| unprocessable("retry.attempts_per_day_max", e))?;
    }
    Ok(policy)
}

#[derive(Serialize, ToSchema)]
pub struct RetryView {
    pub delay_minutes: u32,
    pub dropped_delay_minutes: u32,
    pub max_attempts: u32,
    pub statuses: Vec<String>,
    pub attempts_per_day_max: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct ProviderView {
    pub agent_id: Option<String>,
    pub caller_id: Option<String>,
    pub next_action: Option<String>,
    pub extra: BTreeMap<String, String>,
}

/// The counters of a campaign; see the projections crate for each definition.
#[derive(Serialize, ToSchema)]
pub struct StatsView {
    pub total: u64,
    pub pending: u64,
    pub in_flight: u64,
    pub called: u64,
    pub answered: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub skipped: u64,
    pub dnc: u64,
    pub dials: u64,
    /// `called/total (failed failed)`.
    pub progress: String,
    /// Every status with its count (zeros included); sums to `total`.
    pub by_status: BTreeMap<String, u64>,
    /// Leads by status and category (`pending`, `in_progress`, `recyclable`, `final`).
    pub breakdown: Vec<BreakdownView>,
    /// Leads in the hopper (dialable now or later).
    pub hopper: usize,
}

#[derive(Serialize, ToSchema)]
pub struct BreakdownView {
    pub status: String,
    pub category: String,
    pub count: u64,
    /// Share of `total`, 0 to 1.
    pub share: f64,
    /// Whether a manual recycle may take leads out of this status (not
    /// `queued`, `dialing`, `skipped` or `dnc`).
    pub manually_recyclable: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    pub owner: String,
    /// `draft`, `scheduled`, `active`, `paused`, `completed`, `cancelled`, `archived`.
    pub status: String,
    pub timezone: String,
    pub first_call_time: String,
    pub last_call_time: String,
    pub start_date: Option<String>,
    pub default_region: Option<String>,
    pub retry: RetryView,
    pub local_hours: Option<HoursBody>,
    pub dial_delay_ms: Option<u32>,
    pub provider: ProviderView,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub stats: StatsView,
    /// The log position this view reflects.
    pub position: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

pub fn stats_view(counters: &Counters, hopper: usize) -> StatsView {
    let total = counters.total;
    StatsView {
        total,
        pending: counters.pending,
        in_flight: counters.in_flight,
        called: counters.called,
        answered: counters.answered,
        failed: counters.failed,
        cancelled: counters.cancelled,
        skipped: counters.skipped,
        dnc: counters.dnc,
        dials: counters.dials,
        progress: counters.progress(),
        by_status: counters
            .by_status()
            .into_iter()
            .map(|(s, n)| (s.to_string(), n))
            .collect(),
        breakdown: counters
            .breakdown()
            .into_iter()
            .map(|row| BreakdownView {
                status: row.status.to_string(),
                manually_recyclable: row.status.is_manually_recyclable(),
                category: category_name(row.category).into(),
                count: row.count,
                share: if total == 0 {
                    0.0
                } else {
                    row.count as f64 / total as f64
                },
            })
            .collect(),
        hopper,
    }
}

pub fn category_name(category: leadline_domain::LeadCategory) -> &'static str {
    use leadline_domain::LeadCategory as C;
    match category {
        C::Pending => "pending",
        C::InProgress => "in_progress",
        C::Recyclable => "recyclable",
        C::Final => "final",
    }
}

pub fn campaign_view(entry: &CampaignEntry, position: u64, now: DateTime<Utc>) -> CampaignView {
    let c: &Campaign = &entry.campaign;
    let s = &c.settings;
    CampaignView {
        id: c.id.to_string(),
        name: s.name.clone(),
        owner: c.owner.to_string(),
        status: c.status_at(now).to_string(),
        timezone: s.timezone.to_string(),
        first_call_time: s.hours.start.to_string(),
        last_call_time: s.hours.end.to_string(),
        start_date: s.start_date.map(|d| d.to_string()),
        default_region: s.default_region.map(|r| r.to_string()),
        retry: RetryView {
            delay_minutes: s.retry.delay_minutes(),
            dropped_delay_minutes: s.retry.dropped_delay_minutes(),
            max_attempts: s.retry.max_attempts(),
            statuses: s.retry.statuses().iter().map(|s| s.to_string()).collect(),
            attempts_per_day_max: s.retry.attempts_per_day_max(),
        },
        local_hours: s.local_hours.map(|h| HoursBody {
            start: h.start.to_string(),
            end: h.end.to_string(),
        }),
        dial_delay_ms: s.dial_delay_ms,
        provider: ProviderView {
            agent_id: s.provider.agent_id.clone(),
            caller_id: s.provider.caller_id.clone(),
            next_action: s.provider.next_action.clone(),
            extra: s.provider.extra.clone(),
        },
        created_at: c.created_at,
        started_at: c.started_at,
        ended_at: c.ended_at,
        stats: stats_view(&entry.counters, entry.hopper.len()),
        position,
        message: None,
    }
}

/// The campaign, if the caller may see it (another user's is "not found").
pub fn visible<'m>(
    model: &'m ReadModel,
    principal: &Principal,
    id: &CampaignId,
) -> Result<&'m CampaignEntry, ApiError> {
    model
        .campaign(id)
        .filter(|e| principal.owns(&e.campaign.owner))
        .ok_or_else(|| ApiError::not_found(&format!("campaign {id}")))
}

fn leads_of(model: &ReadModel, entry: &CampaignEntry) -> Vec<leadline_domain::lead::Lead> {
    entry
        .leads
        .iter()
        .filter_map(|id| model.lead(id).map(|e| e.lead.clone()))
        .collect()
}

async fn respond(
    state: &AppState,
    id: CampaignId,
    status: actix_web::http::StatusCode,
    message: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let model = state.projections.read();
    let entry = model
        .campaign(&id)
        .ok_or_else(|| ApiError::not_found(&format!("campaign {id}")))?;
    let mut view = campaign_view(entry, model.position(), state.now());
    view.message = message;
    Ok(HttpResponse::build(status).json(view))
}

/// Creates a campaign (draft); with `contact_ids`, imports those contacts.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignBody,
    responses((status = 201, body = CampaignView), (status = 422, description = "invalid settings")))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<CampaignBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let owner = match (principal, &body.owner) {
        (Principal::User(id), None) => id,
        (Principal::User(id), Some(owner)) if owner == &id.to_string() => id,
        (Principal::User(_), Some(_)) => {
            return Err(ApiError::forbidden(
                "only the admin creates campaigns for other users",
            ))
        }
        (Principal::Admin, Some(owner)) => parse_id::<UserId>("owner", owner)?,
        (Principal::Admin, None) => {
            return Err(ApiError::unprocessable(
                "the admin must name the campaign's `owner`",
            ))
        }
    };
    let name = body
        .name
        .clone()
        .ok_or_else(|| ApiError::unprocessable("name is required"))?;
    let mut settings = CampaignSettings::new(&name).map_err(|e| unprocessable("name", e))?;
    apply_body(&mut settings, &body)?;
    let contact_ids = body
        .contact_ids
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|id| parse_id("contact_ids", id))
        .collect::<Result<Vec<_>, _>>()?;
    if contact_ids.len() > CONTACT_IDS_MAX {
        return Err(ApiError::too_large(format!(
            "{} contact ids; the limit is {CONTACT_IDS_MAX}",
            contact_ids.len()
        )));
    }
    let id = CampaignId::from_uuid(uuid::Uuid::now_v7());
    let now = state.now();
    let cause = cause(&principal);
    execute(&state, &cause, |model| {
        let user = model
            .user(&owner)
            .ok_or_else(|| ApiError::not_found(&format!("user {owner}")))?;
        let mut events = campaign::create(None, id, owner, settings.clone(), now)?;
        if !contact_ids.is_empty() {
            let created = campaign::replay(&events)
                .ok_or_else(|| ApiError::internal("the new campaign did not fold"))?;
            let rows = plans::contacts_as_rows(&user.user, &contact_ids)?;
            let (imported, _) = plans::import_leads(
                &created,
                &std::collections::HashMap::new(),
                |p| user.user.is_dnc(p),
                rows,
                || leadline_domain::LeadId::from_uuid(uuid::Uuid::now_v7()),
                now,
            )?;
            events.extend(imported);
        }
        Ok((events, ()))
    })
    .await?;
    respond(&state, id, actix_web::http::StatusCode::CREATED, None).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CampaignListQuery {
    /// Only campaigns with this status.
    pub status: Option<String>,
    /// The owner (admin only).
    pub owner: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignList {
    pub campaigns: Vec<CampaignView>,
}

/// The caller's campaigns (the admin: everyone's, or one owner's), oldest first.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(CampaignListQuery),
    responses((status = 200, body = CampaignList)))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<CampaignListQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(|s| {
            s.parse::<CampaignStatus>()
                .map_err(|e| ApiError::bad_request(e.to_string()))
        })
        .transpose()?;
    let now = state.now();
    let model = state.projections.read();
    let owners: Vec<UserId> = match (principal, &query.owner) {
        (Principal::User(id), _) => vec![id],
        (Principal::Admin, Some(owner)) => vec![parse_id("owner", owner)?],
        (Principal::Admin, None) => {
            let mut ids: Vec<UserId> = model.users().map(|u| u.user.id).collect();
            ids.sort();
            ids
        }
    };
    let campaigns = owners
        .iter()
        .flat_map(|owner| model.campaigns_of(owner, status, now))
        .map(|entry| campaign_view(entry, model.position(), now))
        .collect();
    Ok(HttpResponse::Ok().json(CampaignList { campaigns }))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    responses((status = 200, body = CampaignView), (status = 404, description = "no such campaign")))]
pub async fn get(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    let model = state.projections.read();
    let entry = visible(&model, &principal, &id)?;
    Ok(HttpResponse::Ok().json(campaign_view(entry, model.position(), state.now())))
}

#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "campaigns", request_body = CampaignBody,
    responses((status = 200, body = CampaignView)))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<CampaignBody>,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    if body.contact_ids.is_some() || body.owner.is_some() {
        return Err(ApiError::unprocessable(
            "contact_ids and owner are set at creation; import leads to add contacts",
        ));
    }
    let now = state.now();
    execute(&state, &cause(&principal), |model| {
        let entry = visible(model, &principal, &id)?;
        let mut settings = entry.campaign.settings.clone();
        apply_body(&mut settings, &body)?;
        Ok((
            campaign::decide(&entry.campaign, CampaignCommand::Update { settings }, now)?,
            (),
        ))
    })
    .await?;
    respond(&state, id, actix_web::http::StatusCode::OK, None).await
}

/// Archives the campaign: it leaves lists, its history stays readable.
#[utoipa::path(delete, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    responses((status = 200, body = CampaignView)))]
pub async fn archive(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    let now = state.now();
    execute(&state, &cause(&principal), |model| {
        let entry = visible(model, &principal, &id)?;
        Ok((
            campaign::decide(&entry.campaign, CampaignCommand::Archive, now)?,
            (),
        ))
    })
    .await?;
    respond(
        &state,
        id,
        actix_web::http::StatusCode::OK,
        Some("Archived: its history stays readable".into()),
    )
    .await
}

#[derive(Clone, Copy)]
enum Transition {
    Start,
    Pause,
    Resume,
    Cancel,
}

async fn transition(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    which: Transition,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    let now = state.now();
    let Done { value: message, .. } = execute(&state, &cause(&principal), |model| {
        let entry = visible(model, &principal, &id)?;
        let leads = leads_of(model, entry);
        let events = match which {
            Transition::Start => plans::start(&entry.campaign, &leads, now)?,
            Transition::Pause => plans::pause(&entry.campaign, &leads, None, now)?,
            Transition::Resume => plans::resume(&entry.campaign, &leads, now)?,
            Transition::Cancel => plans::cancel(&entry.campaign, &leads, None, now)?,
        };
        let in_flight = entry.counters.in_flight;
        let count = |name: &str| events.iter().filter(|e| e.type_name() == name).count();
        let message = match which {
            Transition::Start => format!(
                "Started: {} leads pending",
                plans::remaining_work(&entry.campaign, &leads)
            ),
            Transition::Pause => format!(
                "Paused: {} leads back to pending, {in_flight} calls in flight will finish",
                count("LeadUnqueued")
            ),
            Transition::Resume => format!(
                "Resumed: {} leads pending",
                plans::remaining_work(&entry.campaign, &leads)
            ),
            Transition::Cancel => format!(
                "Cancelled: {} leads cancelled, {in_flight} calls in flight will finish",
                count("LeadCancelled")
            ),
        };
        Ok((events, message))
    })
    .await?;
    respond(&state, id, actix_web::http::StatusCode::OK, Some(message)).await
}

/// Starts a draft (or restarts a completed) campaign. 409 when it is running or has no leads.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/start", tag = "campaigns",
    responses((status = 200, body = CampaignView), (status = 409, description = "already running, no leads, cancelled or archived")))]
pub async fn start(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    transition(state, principal, path, Transition::Start).await
}

/// Pauses: queued leads go back to pending; calls in flight finish.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/pause", tag = "campaigns", responses((status = 200, body = CampaignView)))]
pub async fn pause(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    transition(state, principal, path, Transition::Pause).await
}

/// Resumes a paused campaign where it stopped.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/resume", tag = "campaigns", responses((status = 200, body = CampaignView)))]
pub async fn resume(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    transition(state, principal, path, Transition::Resume).await
}

/// Stops the campaign for good: pending leads are cancelled; calls in flight finish.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/cancel", tag = "campaigns", responses((status = 200, body = CampaignView)))]
pub async fn cancel(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    transition(state, principal, path, Transition::Cancel).await
}

#[derive(Serialize, ToSchema)]
pub struct StatsResponse {
    #[serde(flatten)]
    pub stats: StatsView,
    pub position: u64,
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/stats", tag = "campaigns", responses((status = 200, body = StatsResponse)))]
pub async fn stats(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    let model = state.projections.read();
    let entry = visible(&model, &principal, &id)?;
    Ok(HttpResponse::Ok().json(StatsResponse {
        stats: stats_view(&entry.counters, entry.hopper.len()),
        position: model.position(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct HopperLeadView {
    pub lead_id: String,
    pub phone: String,
    pub priority: i32,
    pub name: Option<String>,
    /// When it can be dialed: for a lead eligible now, when it became ready.
    pub eligible_at: DateTime<Utc>,
    /// Whether it can be dialed now (window, local hours and campaign status included).
    pub eligible_now: bool,
}

#[derive(Serialize, ToSchema)]
pub struct HopperView {
    pub leads: Vec<HopperLeadView>,
    /// Leads in the hopper in all.
    pub total: usize,
    pub position: u64,
}

/// The hopper in dial order: leads eligible now first, then by the time they become eligible.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/hopper", tag = "campaigns", params(ListQuery),
    responses((status = 200, body = HopperView)))]
pub async fn hopper(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    let limit = query
        .limit
        .unwrap_or(PAGE_ITEMS_DEFAULT)
        .min(HOPPER_LIST_MAX);
    let now = state.now();
    let model = state.projections.read();
    let entry = visible(&model, &principal, &id)?;
    let listing = entry.hopper.listing(&entry.campaign, now, limit);
    let leads = listing
        .into_iter()
        .filter_map(|item| {
            let lead = &model.lead(&item.lead_id)?.lead;
            let eligible_now =
                leadline_domain::eligibility(lead, &entry.campaign, now).is_eligible();
            let eligible_at = super::leads::eligible_at(lead, &entry.campaign, now)
                .or(item.ready_at)
                .unwrap_or(lead.imported_at);
            Some(HopperLeadView {
                lead_id: item.lead_id.to_string(),
                phone: lead.phone.to_string(),
                priority: lead.priority,
                name: lead.name.clone(),
                eligible_at,
                eligible_now,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(HopperView {
        leads,
        total: entry.hopper.len(),
        position: model.position(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecycleBody {
    /// Statuses to recycle, e.g. `["no_answer", "busy"]`.
    pub statuses: Vec<String>,
    /// The status they go back to (`new`).
    #[serde(default = "default_target")]
    pub target_status: String,
    /// Also reset their dial counts.
    #[serde(default)]
    pub reset_dial_count: bool,
    /// Why, for the audit trail.
    pub reason: Option<String>,
}

fn default_target() -> String {
    "new".into()
}

#[derive(Serialize, ToSchema)]
pub struct RecycleResult {
    pub recycled: usize,
    pub position: u64,
}

/// Sends leads in the chosen statuses back to a target status; each gets a `LeadRecycled` event.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/recycle", tag = "campaigns", request_body = RecycleBody,
    responses((status = 200, body = RecycleResult)))]
pub async fn recycle(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<RecycleBody>,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    let statuses = body
        .statuses
        .iter()
        .map(|s| {
            s.parse::<LeadStatus>()
                .map_err(|e| unprocessable("statuses", e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let target = body
        .target_status
        .parse::<LeadStatus>()
        .map_err(|e| unprocessable("target_status", e))?;
    let request = RecycleRequest {
        statuses,
        target,
        reset_dial_count: body.reset_dial_count,
        reason: body
            .reason
            .clone()
            .unwrap_or_else(|| "recycled by operator".into()),
    };
    let now = state.now();
    let done = execute(&state, &cause(&principal), |model| {
        let entry = visible(model, &principal, &id)?;
        let leads = leads_of(model, entry);
        Ok(plans::recycle(&entry.campaign, &leads, &request, now)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RecycleResult {
        recycled: done.value,
        position: done.position,
    }))
}
