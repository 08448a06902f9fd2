//! Admin: verify the log and the read models, rebuild the read models.

use actix_web::{web, HttpResponse};
use leadline_domain::CampaignId;
use leadline_projections::runner::fold_all;
use leadline_projections::RebuildReport;
use leadline_storage::Problem;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

fn problem(p: Problem) -> VerifyProblem {
    VerifyProblem {
        position: p.position,
        kind: serde_json::to_value(p.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{:?}", p.kind)),
        detail: p.detail,
    }
}

/// Report only: checks the log (positions, checksums, hash chain, indexes)
/// and that the live read models equal a fresh replay of the log, with
/// every counter equal to a recount. Changes nothing.
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
    let view = web::block(move || -> Result<VerifyView, ApiError> {
        let report = log.verify()?;
        let mut problems: Vec<VerifyProblem> = report.problems.into_iter().map(problem).collect();
        let mut total = report.problems_total;
        let mut fresh = fold_all(&*log)?;
        let live = projections.read();
        // The live model may have moved on while the replay ran: replay the
        // rest so both reflect the same position.
        if fresh.position() < live.position() {
            let mut rest = Vec::new();
            log.scan(fresh.position(), live.position(), &mut |view| {
                rest.push((
                    view.position(),
                    view.stream_version(),
                    leadline_projections::codec::decode(&view),
                ));
                std::ops::ControlFlow::Continue(())
            })?;
            for (position, version, event) in rest {
                let event = event.map_err(|e| ApiError::internal(e.to_string()))?;
                fresh.apply(position, version, &event);
            }
        }
        let mut add = |position: Option<u64>, kind: &str, detail: String| {
            total += 1;
            problems.push(VerifyProblem {
                position,
                kind: kind.into(),
                detail,
            });
        };
        let campaigns: Vec<CampaignId> = match only {
            Some(id) => vec![id],
            None => live.campaigns().map(|c| c.campaign.id).collect(),
        };
        for id in campaigns {
            let (Some(l), Some(f)) = (live.campaign(&id), fresh.campaign(&id)) else {
                add(
                    None,
                    "read_model",
                    format!("campaign {id} is missing from the live read model or the replay"),
                );
                continue;
            };
            if l != f {
                add(
                    None,
                    "read_model",
                    format!(
                        "campaign {id}: the live read model differs from a fresh replay of the log"
                    ),
                );
            }
            if live.recount(&id).as_ref() != Some(&l.counters) {
                add(
                    None,
                    "counters",
                    format!("campaign {id}: the counters differ from a recount of its leads"),
                );
            }
            for lead_id in &l.leads {
                if live.lead(lead_id) != fresh.lead(lead_id) {
                    add(
                        None,
                        "read_model",
                        format!("lead {lead_id}: the live view differs from a fresh replay"),
                    );
                }
            }
        }
        if only.is_none() && *live != fresh {
            add(
                None,
                "read_model",
                "the live read models differ from a fresh replay of the log".into(),
            );
        }
        let (anomalies, anomalies_total) = live.anomalies();
        for anomaly in anomalies {
            add(Some(anomaly.position), "anomaly", anomaly.detail.clone());
        }
        total += anomalies_total.saturating_sub(anomalies.len() as u64);
        Ok(VerifyView {
            ok: total == 0,
            events: report.events,
            last_position: report.last_position,
            head_hash: report.head_hash,
            problems,
            problems_total: total,
        })
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
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
