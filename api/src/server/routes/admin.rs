//! Admin: verify the log and the read models, rebuild the read models.

use actix_web::{web, HttpResponse};
use leadline_domain::CampaignId;
use leadline_projections::RebuildReport;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::checks::{self, CheckError};
use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::server::state::AppState;

use super::parse_id;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/verify", web::get().to(verify))
        .route("/admin/rebuild", web::post().to(rebuild));
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// Check only this campaign's read models (the log is always checked whole).
    pub campaign_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct VerifyProblem {
    pub position: Option<u64>,
    pub kind: String,
    pub detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct VerifyView {
    pub ok: bool,
    /// Events checked.
    pub events: u64,
    pub last_position: u64,
    /// Chain hash of the last event: note it to prove later that nothing up to it changed.
    pub head_hash: String,
    pub problems: Vec<VerifyProblem>,
    pub problems_total: u64,
}

/// Report only: checks the log (positions, checksums, hash chain, indexes)
/// and that the live read models equal a fresh replay of the log, with
/// every counter equal to a recount and the leads by status summing to the
/// total; the same check as `leadline verify`. Changes nothing. An unknown
/// `campaign_id` is 404.
#[utoipa::path(get, path = "/api/v1/admin/verify", tag = "admin", params(VerifyQuery), responses((status = 200, body = VerifyView)))]
pub async fn verify(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<VerifyQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require_admin()?;
    let only: Option<CampaignId> = query
        .campaign_id
        .as_deref()
        .map(|c| parse_id("campaign_id", c))
        .transpose()?;
    let log = state.log.clone();
    let projections = state.projections.clone();
    let report = web::block(move || checks::verify(&*log, Some(&projections), only))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| match e {
            CheckError::NoSuchCampaign(id) => ApiError::not_found(&format!("campaign {id}")),
            CheckError::Log(e) => e.into(),
            CheckError::Fold(e) => e.into(),
        })?;
    let view = VerifyView {
        ok: report.ok,
        events: report.events,
        last_position: report.last_position,
        head_hash: report.head_hash,
        problems: report
            .problems
            .into_iter()
            .map(|p| VerifyProblem {
                position: p.position,
                kind: p.kind,
                detail: p.detail,
            })
            .collect(),
        problems_total: report.problems_total,
    };
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RebuildQuery {
    /// `read-model` (every read model folds together).
    pub projection: Option<String>,
}

/// Rebuilds the read models from the log; reads go on meanwhile.
#[utoipa::path(post, path = "/api/v1/admin/rebuild", tag = "admin", params(RebuildQuery), responses((status = 200, description = "the rebuild's report: events, position, elapsed_ms, events_per_s")))]
pub async fn rebuild(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<RebuildQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require_admin()?;
    if let Some(name) = &query.projection {
        if name != "read-model" {
            return Err(ApiError::unprocessable(format!(
                "no projection named `{name}`; there is `read-model`"
            )));
        }
    }
    let projections = state.projections.clone();
    let report: RebuildReport = web::block(move || projections.rebuild())
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    Ok(HttpResponse::Ok().json(report))
}
