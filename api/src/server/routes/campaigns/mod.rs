//! Campaigns: create, list, read, change, archive, start, pause, resume,
//! cancel, stats, hopper, recycle.
//!
//! The handlers are here; the request bodies and their reading into the
//! domain's settings are in [`body`], the response views in [`view`].

mod body;
mod view;

pub use body::{CampaignBody, HoursBody, Nullable, ProviderBody, RecycleBody, RetryBody};
pub use view::{
    campaign_view, category_name, stats_view, BreakdownView, CampaignList, CampaignView,
    HopperLeadView, HopperView, ProviderView, RecycleResult, RetryView, StatsResponse, StatsView,
};

use actix_web::{web, HttpResponse};
use leadline_domain::campaign::{self, CampaignCommand, CampaignSettings};
use leadline_domain::plans::{self, RecycleRequest};
use leadline_domain::{CampaignId, CampaignStatus, LeadStatus, UserId};
use leadline_projections::{CampaignEntry, ReadModel};
use serde::Deserialize;

use crate::server::auth::Principal;
use crate::server::commands::{execute, Done};
use crate::server::error::ApiError;
use crate::server::limits::{CONTACT_IDS_MAX, HOPPER_LIST_MAX, PAGE_ITEMS_DEFAULT};
use crate::server::state::AppState;

use super::access::visible;
use super::lead_view::eligible_at;
use super::{cause, parse_id, ListQuery};
use body::{apply_body, unprocessable};

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
            campaign::decide(
                &entry.campaign,
                CampaignCommand::Update {
                    settings: Box::new(settings),
                },
                now,
            )?,
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
        let owner = model.owner(&entry.campaign.owner);
        let events = match which {
            Transition::Start => plans::start(&entry.campaign, &owner, &leads, now)?,
            Transition::Pause => plans::pause(&entry.campaign, &leads, None, now)?,
            Transition::Resume => plans::resume(&entry.campaign, &owner, &leads, now)?,
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
            let owner = model.owner(&entry.campaign.owner);
            let eligible_now =
                leadline_domain::eligibility(lead, &entry.campaign, &owner, now).is_eligible();
            let eligible_at = eligible_at(lead, &entry.campaign, &owner, now)
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
