//! Provider status callbacks: `POST /api/v1/webhooks/{provider}`.
//!
//! No API key: each provider authenticates as it specifies (Twilio,
//! Retell and Vapi sign, Exotel and Bolna carry a secret token in the
//! URL); see `dialer::providers`. A callback names the call by the
//! provider's id; the lead aggregate decides on it like on any command, so
//! the same callback twice, or a "ringing" after the end, records nothing
//! and is still answered 200 (providers retry anything else). The event
//! it records frees the call's slot, and the dialer, which wakes on every
//! new event, dials the next lead at once.

use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use leadline_domain::dialing::{record_signal, ProviderSignal};
use leadline_domain::text::echo;
use leadline_domain::{Actor, CallId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::dialer::providers::{
    signature_header, Callback, CallbackError, ProviderName, WebhookRequest,
};
use crate::server::commands::execute;
use crate::server::error::ApiError;
use crate::server::limits::{UNKNOWN_CALL_WAIT_MS, WEBHOOK_BODY_BYTES_MAX};
use crate::server::state::AppState;
use crate::write::Cause;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhooks/{provider}", web::post().to(receive));
}

#[derive(Serialize, ToSchema)]
pub struct WebhookAnswer {
    /// Our id of the call.
    pub call_id: String,
    /// Whether this callback recorded anything (false for progress
    /// reports and repeats).
    pub recorded: bool,
    /// The log position that reflects it.
    pub position: u64,
}

/// A provider's status callback. Authenticated as the provider specifies:
/// Twilio `X-Twilio-Signature`, Retell `x-retell-signature` (recent only),
/// Vapi `x-vapi-signature` (HMAC-SHA256 of the body, from an HMAC
/// credential keyed with `VAPI_WEBHOOK_SECRET`), Exotel and Bolna
/// `?token=`. Idempotent: a repeat changes nothing and is 200; progress
/// reports (Bolna's non-final statuses, Vapi's messages other than
/// `end-of-call-report`) record nothing.
#[utoipa::path(post, path = "/api/v1/webhooks/{provider}", tag = "webhooks", security(()),
    params(("provider" = String, Path, description = "exotel, twilio, retell, bolna or vapi")),
    request_body(content = String, description = "The provider's callback as it sends it: form-encoded (Twilio, Exotel) or JSON (Retell, Bolna's execution, Vapi's server message, Exotel)",
        content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = WebhookAnswer),
        (status = 400, description = "not a body the provider sends"),
        (status = 401, description = "wrong, missing or stale signature or token"),
        (status = 404, description = "unknown provider or call, or a provider this server does not use"),
        (status = 413, description = "body over the limit"),
        (status = 422, description = "a required field is missing or unknown")))]
pub async fn receive(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let provider: ProviderName = path
        .parse()
        .map_err(|_| ApiError::not_found(&format!("webhook `{}`", echo(&path))))?;
    let body = super::read_body(&req, payload, WEBHOOK_BODY_BYTES_MAX).await?;
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let signature = signature_header(provider)
        .and_then(|name| req.headers().get(name))
        .and_then(|v| v.to_str().ok());
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path(), |pq| pq.as_str());
    let request = WebhookRequest {
        path_and_query,
        query: req.query_string(),
        content_type: &content_type,
        signature,
        body: &body,
        now: state.now(),
    };
    let callback = state
        .webhooks
        .callback(provider, &request)
        .map_err(callback_error)?;
    let call_id = find_call(&state, &callback).await?;
    let actor =
        Actor::provider(provider.as_str()).map_err(|e| ApiError::internal(e.to_string()))?;
    let now = state.now();
    let done = execute(&state, &Cause::new(actor), |model| {
        let missing = || ApiError::not_found(&format!("call {call_id}"));
        let call = model.call(&call_id).ok_or_else(missing)?;
        let lead = model.lead(&call.lead_id).ok_or_else(missing)?;
        let campaign = model.campaign(&lead.lead.campaign_id).ok_or_else(missing)?;
        let signal = ProviderSignal::Report(callback.report());
        let events = record_signal(&lead.lead, &campaign.campaign, call_id, signal, now)?;
        let recorded = !events.is_empty();
        Ok((events, recorded))
    })
    .await?;
    Ok(HttpResponse::Ok().json(WebhookAnswer {
        call_id: call_id.to_string(),
        recorded: done.value,
        position: done.position,
    }))
}

fn callback_error(error: CallbackError) -> ApiError {
    match error {
        CallbackError::Unauthenticated(detail) => ApiError::unauthorized(detail),
        CallbackError::Malformed(detail) => ApiError::bad_request(detail),
        CallbackError::Invalid(detail) => ApiError::unprocessable(detail),
        CallbackError::NotConfigured(detail) => {
            ApiError::new(actix_web::http::StatusCode::NOT_FOUND, "Not found", detail)
        }
    }
}

/// The call a callback is about: by the provider's id, else by our id when
/// the provider echoed it. A call not known yet is waited for a little,
/// since the provider may call back before its acceptance is recorded.
async fn find_call(state: &AppState, callback: &Callback) -> Result<CallId, ApiError> {
    let deadline = Instant::now() + Duration::from_millis(UNKNOWN_CALL_WAIT_MS);
    loop {
        let position = {
            let model = state.projections.read();
            if let Some(call) = model.call_by_provider_id(&callback.provider_call_id) {
                return Ok(call.id);
            }
            if let Some(id) = callback.call_id.filter(|id| model.call(id).is_some()) {
                return Ok(id);
            }
            model.position()
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ApiError::not_found(&format!(
                "a call with provider id `{}`",
                echo(&callback.provider_call_id)
            )));
        }
        let mut reached = state.projections.subscribe();
        let moved = tokio::time::timeout(left, reached.wait_for(|p| *p > position)).await;
        if matches!(moved, Ok(Err(_))) {
            return Err(ApiError::unavailable("the read models stopped"));
        }
    }
}
