//! A campaign's forecast (`crate::forecast`): the dialer's engine on a
//! virtual clock over a copy of the read models. Nothing is written.

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use leadline_domain::{CallOutcome, CampaignId};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::forecast::{self, ForecastError, ForecastOptions};
use crate::limits::{FORECAST_BODY_BYTES_MAX, FORECAST_CALL_SECONDS_MAX};
use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::server::state::AppState;

use super::access::visible;
use super::{parse_id, read_body};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns/{id}/forecast", web::post().to(campaign));
}

/// What a forecast may be told; every field is optional, and so is the
/// body.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ForecastBody {
    /// Each call outcome's share of calls (`answered`, `no_answer`, `busy`,
    /// `failed`, `dropped`, `congestion`, `voicemail`), summing to 1; used
    /// when the campaign has too few ended calls of its own.
    #[schema(value_type = Option<BTreeMap<String, f64>>)]
    pub rates: Option<BTreeMap<String, f64>>,
    /// Every call's length, dial to result, in seconds; used when the
    /// campaign has too few ended calls of its own.
    #[schema(minimum = 1, maximum = 86400)]
    pub call_seconds: Option<u32>,
    /// The generator's seed: the same state and seed give the same
    /// forecast. 1 by default.
    pub seed: Option<u64>,
}

/// How far the rates may sum away from 1 (rounding in the client).
const RATES_SUM_TOLERANCE: f64 = 1e-6;

fn options(body: ForecastBody) -> Result<ForecastOptions, ApiError> {
    let rates = match body.rates {
        None => None,
        Some(given) => {
            let mut rates = BTreeMap::new();
            for (name, rate) in given {
                let outcome: CallOutcome = serde_json::from_value(serde_json::Value::String(
                    name.clone(),
                ))
                .map_err(|_| {
                    ApiError::unprocessable(format!(
                        "rates.{name}: not a call outcome; the outcomes are {}",
                        CallOutcome::ALL.map(|o| o.to_string()).join(", ")
                    ))
                })?;
                if !(rate.is_finite() && (0.0..=1.0).contains(&rate)) {
                    return Err(ApiError::unprocessable(format!(
                        "rates.{name}: {rate} is not a share between 0 and 1"
                    )));
                }
                rates.insert(outcome, rate);
            }
            let sum: f64 = rates.values().sum();
            if (sum - 1.0).abs() > RATES_SUM_TOLERANCE {
                return Err(ApiError::unprocessable(format!(
                    "rates: the shares sum to {sum}, not 1"
                )));
            }
            Some(rates)
        }
    };
    if let Some(seconds) = body.call_seconds {
        if !(1..=FORECAST_CALL_SECONDS_MAX).contains(&seconds) {
            return Err(ApiError::unprocessable(format!(
                "call_seconds: {seconds} is not between 1 and {FORECAST_CALL_SECONDS_MAX}"
            )));
        }
    }
    Ok(ForecastOptions {
        rates,
        call_seconds: body.call_seconds,
        seed: body.seed.unwrap_or(1),
    })
}

/// The campaign's future: the dialer's engine runs on a virtual clock over
/// a copy of the owner's read models (this campaign, started if a draft or
/// resumed if paused, and their other active campaigns), with outcomes
/// drawn at the campaign's own rates, else the body's, else defaults.
/// Nothing is written.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/forecast", tag = "campaigns",
    request_body(content = Option<ForecastBody>, description = "optional"),
    responses((status = 200, body = forecast::Forecast),
        (status = 404, description = "no such campaign"),
        (status = 409, description = "the campaign is over, or cannot start"),
        (status = 422, description = "invalid rates or call length")))]
pub async fn campaign(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    let body = read_body(&req, payload, FORECAST_BODY_BYTES_MAX).await?;
    let body: ForecastBody = if body.iter().all(u8::is_ascii_whitespace) {
        ForecastBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            if e.is_data() {
                ApiError::unprocessable(e.to_string())
            } else {
                ApiError::bad_request(format!("malformed JSON: {e}"))
            }
        })?
    };
    let options = options(body)?;
    {
        let model = state.projections.read();
        visible(&model, &principal, &id)?;
    }
    // Forecasts run a few at a time (each keeps a core busy); others wait.
    let _turn = state
        .forecasts
        .acquire()
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let now = state.now();
    let prepared = {
        let model = state.projections.read();
        forecast::prepare(&model, id, &options, &state.dialer, now)
    }
    .map_err(refusal)?;
    let started = std::time::Instant::now();
    let forecast = web::block(move || prepared.run())
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(refusal)?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Server-Timing",
            format!("forecast;dur={}", started.elapsed().as_millis()),
        ))
        .json(forecast))
}

fn refusal(error: ForecastError) -> ApiError {
    match error {
        ForecastError::NotFound(id) => ApiError::not_found(&format!("campaign {id}")),
        ForecastError::Ended(_) => ApiError::conflict(error.to_string()),
        ForecastError::Domain(e) => e.into(),
        ForecastError::Engine(e) => ApiError::internal(e),
    }
}
