//! Why a lead is not called, and how a campaign's leads stand: the
//! domain's explanation (`leadline_domain::eligibility::explain`), the
//! same decisions the dialer takes.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use leadline_domain::eligibility::explain::{explain, Standing};
use leadline_domain::eligibility::Rule;
use leadline_domain::{CampaignId, LeadId};
use leadline_projections::Projections;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::limits::ELIGIBILITY_CHUNK_LEADS;
use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::server::state::AppState;

use super::access::{visible, visible_lead};
use super::parse_id;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/leads/{id}/eligibility", web::get().to(lead))
        .route("/campaigns/{id}/eligibility", web::get().to(campaign));
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EligibilityQuery {
    /// The instant asked about (RFC 3339 with an offset); now by default.
    pub at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReasonView {
    /// The rule's name: `campaign_status`, `start_date`, `campaign_window`,
    /// `holiday`, `jurisdiction_hours`, `local_hours`, `dnc`,
    /// `max_attempts`, `retry_delay`, `callback_time`, `daily_cap`,
    /// `contact_cap`, `jurisdiction_cap`, `abandoned_hold`,
    /// `debt_collection`.
    pub rule: String,
    /// What holds, for a person.
    pub detail: String,
    /// When the rule stops holding, when waiting will do.
    pub until: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct LeadEligibilityView {
    pub lead_id: String,
    /// The instant answered about.
    pub at: DateTime<Utc>,
    pub eligible: bool,
    /// `eligible`, `in_flight`, `finished` or `held`.
    pub standing: String,
    /// When it may be dialed (`at` when eligible), when known.
    pub eligible_at: Option<DateTime<Utc>>,
    /// Every rule holding it back, in the rules' order.
    pub reasons: Vec<ReasonView>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct CampaignEligibilityView {
    pub campaign_id: String,
    pub at: DateTime<Utc>,
    pub total: u64,
    pub eligible_now: u64,
    pub in_flight: u64,
    pub finished: u64,
    /// Leads held back, each under the first rule that holds it, in the
    /// rules' order; only rules that hold some lead are listed.
    pub held: BTreeMap<String, u64>,
    /// When the next held lead becomes dialable, when known.
    pub next_eligible_at: Option<DateTime<Utc>>,
}

fn standing_name(standing: Standing) -> &'static str {
    match standing {
        Standing::Eligible => "eligible",
        Standing::InFlight => "in_flight",
        Standing::Finished => "finished",
        Standing::Held => "held",
    }
}

fn instant(state: &AppState, query: &EligibilityQuery) -> Result<DateTime<Utc>, ApiError> {
    match query.at.as_deref() {
        None => Ok(state.now()),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| ApiError::bad_request(format!("at must be RFC 3339 with an offset: {e}"))),
    }
}

/// Whether a lead may be dialed now (or at `at`) and, if not, every rule
/// that holds it back, with when each stops holding.
#[utoipa::path(get, path = "/api/v1/leads/{id}/eligibility", tag = "leads",
    params(EligibilityQuery), responses((status = 200, body = LeadEligibilityView)))]
pub async fn lead(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<EligibilityQuery>,
) -> Result<HttpResponse, ApiError> {
    let id: LeadId = parse_id("lead id", &path)?;
    let at = instant(&state, &query)?;
    let model = state.projections.read();
    let lead = visible_lead(&model, &principal, &id)?;
    let campaign = &model
        .campaign(&lead.campaign_id)
        .ok_or_else(|| ApiError::not_found("the lead's campaign"))?
        .campaign;
    let why = explain(lead, campaign, &model.owner(&campaign.owner), at);
    Ok(HttpResponse::Ok().json(LeadEligibilityView {
        lead_id: lead.id.to_string(),
        at,
        eligible: why.standing == Standing::Eligible,
        standing: standing_name(why.standing).to_owned(),
        eligible_at: why.eligible_at,
        reasons: why
            .reasons
            .into_iter()
            .map(|hold| ReasonView {
                rule: hold.rule.name().to_owned(),
                detail: hold.detail,
                until: hold.until,
            })
            .collect(),
    }))
}

/// How a campaign's leads stand now: dialable, in flight, finished, or
/// held back, each held lead counted once under the first rule that
/// holds it. The counts sum to the total. A large campaign is read in
/// chunks, each as it stands when read.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/eligibility", tag = "campaigns",
    responses((status = 200, body = CampaignEligibilityView)))]
pub async fn campaign(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    let at = state.now();
    // Counting reads every lead of the campaign: off the reactor.
    let projections = state.projections.clone();
    let view = web::block(move || campaign_counts(&projections, &principal, &id, at))
        .await
        .map_err(|e| ApiError::internal(format!("counting a campaign's eligibility: {e}")))??;
    Ok(HttpResponse::Ok().json(view))
}

/// A campaign's leads at `at`, counted as `GET /campaigns/{id}/eligibility`
/// answers: dialable, in flight, finished, or held back under the first
/// rule that holds each. The read models are read a chunk of leads at a
/// time ([`ELIGIBILITY_CHUNK_LEADS`]), so that a large campaign does not
/// hold back the log's followers while it is counted.
pub fn campaign_counts(
    projections: &Projections,
    principal: &Principal,
    id: &CampaignId,
    at: DateTime<Utc>,
) -> Result<CampaignEligibilityView, ApiError> {
    let leads: Vec<LeadId> = {
        let model = projections.read();
        visible(&model, principal, id)?.leads.clone()
    };
    let mut view = CampaignEligibilityView {
        campaign_id: id.to_string(),
        at,
        total: 0,
        eligible_now: 0,
        in_flight: 0,
        finished: 0,
        held: BTreeMap::new(),
        next_eligible_at: None,
    };
    let mut held: BTreeMap<Rule, u64> = BTreeMap::new();
    for chunk in leads.chunks(ELIGIBILITY_CHUNK_LEADS) {
        let model = projections.read();
        let entry = visible(&model, principal, id)?;
        let owner = model.owner(&entry.campaign.owner);
        for lead in chunk.iter().filter_map(|id| model.lead(id)) {
            let why = explain(&lead.lead, &entry.campaign, &owner, at);
            view.total += 1;
            match why.standing {
                Standing::Eligible => view.eligible_now += 1,
                Standing::InFlight => view.in_flight += 1,
                Standing::Finished => view.finished += 1,
                Standing::Held => {
                    // A held lead always names a rule; should it not, it
                    // is counted under the campaign's window, which it
                    // then cannot share with its numbers' hours.
                    let rule = why.first_rule().unwrap_or(Rule::CampaignWindow);
                    *held.entry(rule).or_default() += 1;
                    if let Some(next) = why.eligible_at {
                        view.next_eligible_at = Some(
                            view.next_eligible_at
                                .map_or(next, |t: DateTime<Utc>| t.min(next)),
                        );
                    }
                }
            }
        }
    }
    view.held = held
        .into_iter()
        .map(|(rule, n)| (rule.name().to_owned(), n))
        .collect();
    Ok(view)
}
