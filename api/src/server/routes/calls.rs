//! The call log.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use leadline_domain::{CallId, CampaignId, LeadId};
use leadline_projections::CallRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::server::state::AppState;

use super::access::{visible, visible_lead};
use super::parse_id;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/calls", web::get().to(list))
        .route("/calls/{id}", web::get().to(get));
}

#[derive(Serialize, ToSchema)]
pub struct CallView {
    pub id: String,
    pub lead_id: String,
    pub campaign_id: String,
    pub phone: String,
    /// `dialing`, `answered`, `no_answer`, `busy`, `failed`, `dropped`, `congestion`,
    /// `voicemail`.
    pub status: String,
    pub attempt: u32,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub provider_call_id: Option<String>,
    pub provider_status: Option<String>,
    pub error: Option<String>,
    pub duration_secs: Option<u32>,
}

fn call_view(call: &CallRecord) -> CallView {
    let status = serde_json::to_value(call.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    CallView {
        id: call.id.to_string(),
        lead_id: call.lead_id.to_string(),
        campaign_id: call.campaign_id.to_string(),
        phone: call.phone.to_string(),
        status,
        attempt: call.attempt,
        started_at: call.started_at,
        ended_at: call.ended_at,
        provider_call_id: call.provider_call_id.clone(),
        provider_status: call.provider_status.clone(),
        error: call.error.clone(),
        duration_secs: call.duration_secs,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CallQuery {
    pub campaign_id: Option<String>,
    pub lead_id: Option<String>,
    /// At most this many.
    pub limit: Option<usize>,
    /// Where the previous page ended (`next_cursor`).
    pub cursor: Option<String>,
    /// `asc` (dial order, the default) or `desc` (newest first).
    pub order: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CallPage {
    pub calls: Vec<CallView>,
    pub next_cursor: Option<String>,
    pub position: u64,
}

/// Calls in dial order (or newest first), for a campaign, a lead, or all of the caller's campaigns.
#[utoipa::path(get, path = "/api/v1/calls", tag = "calls", params(CallQuery), responses((status = 200, body = CallPage)))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<CallQuery>,
) -> Result<HttpResponse, ApiError> {
    let (start, limit) = super::page_bounds(query.limit, query.cursor.as_deref())?;
    let model = state.projections.read();
    let newest_first = match query.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "order must be `asc` or `desc`, not `{}`",
                leadline_domain::text::echo(other)
            )))
        }
    };
    let mut ids: Vec<CallId> = match (&query.lead_id, &query.campaign_id) {
        (Some(lead), _) => {
            let lead_id: LeadId = parse_id("lead_id", lead)?;
            let lead = visible_lead(&model, &principal, &lead_id)?;
            if let Some(campaign) = &query.campaign_id {
                let campaign: CampaignId = parse_id("campaign_id", campaign)?;
                if campaign != lead.campaign_id {
                    return Ok(HttpResponse::Ok().json(CallPage {
                        calls: Vec::new(),
                        next_cursor: None,
                        position: model.position(),
                    }));
                }
            }
            lead.calls.clone()
        }
        (None, Some(campaign)) => {
            let campaign_id: CampaignId = parse_id("campaign_id", campaign)?;
            visible(&model, &principal, &campaign_id)?.calls.clone()
        }
        (None, None) => {
            let mut entries: Vec<_> = model
                .campaigns()
                .filter(|c| principal.owns(&c.campaign.owner))
                .collect();
            entries.sort_by_key(|c| (c.campaign.created_at, c.campaign.id));
            entries
                .iter()
                .flat_map(|c| c.calls.iter().copied())
                .collect()
        }
    };
    if newest_first {
        ids.reverse();
    }
    let calls: Vec<CallView> = ids
        .iter()
        .skip(start)
        .take(limit)
        .filter_map(|id| model.call(id))
        .map(call_view)
        .collect();
    let next_cursor = (start + limit < ids.len()).then(|| (start + limit).to_string());
    Ok(HttpResponse::Ok().json(CallPage {
        calls,
        next_cursor,
        position: model.position(),
    }))
}

#[utoipa::path(get, path = "/api/v1/calls/{id}", tag = "calls", responses((status = 200, body = CallView)))]
pub async fn get(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: CallId = parse_id("call id", &path)?;
    let model = state.projections.read();
    let call = model
        .call(&id)
        .filter(|c| principal.owns(&c.user_id))
        .ok_or_else(|| ApiError::not_found(&format!("call {id}")))?;
    Ok(HttpResponse::Ok().json(call_view(call)))
}
