//! Health and metrics.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::server::metrics::{Sample, SubscriptionSample};
use crate::server::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    /// The last durable log position.
    pub position: u64,
    /// The position the read models reflect.
    pub read_model_position: u64,
}

#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let health = Health {
        status: if state.projections.failure().is_some() {
            "degraded"
        } else {
            "ok"
        },
        position: state.log.last_position(),
        read_model_position: state.projections.position(),
    };
    if health.status == "ok" {
        HttpResponse::Ok().json(health)
    } else {
        HttpResponse::ServiceUnavailable().json(health)
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let sample = {
        let model = state.projections.read();
        Sample {
            log_position: state.log.last_position(),
            read_model_position: model.position(),
            calls_in_flight: model.system_in_flight(),
            hoppers: model
                .campaigns()
                .filter(|c| c.campaign.status == leadline_domain::CampaignStatus::Active)
                .map(|c| (c.campaign.id.to_string(), c.hopper.len()))
                .collect(),
            subscriptions: model
                .live_subscriptions()
                .map(|entry| {
                    let standing = state.deliveries.standing(&model, entry);
                    SubscriptionSample {
                        id: entry.subscription.id.to_string(),
                        last_delivered_position: standing.last_delivered_position,
                        lag: standing.lag,
                        consecutive_failures: standing.consecutive_failures,
                    }
                })
                .collect(),
        }
    };
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.render(&sample))
}
