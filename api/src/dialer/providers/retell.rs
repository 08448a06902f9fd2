//! Retell: `create-phone-call` and the `call_ended` webhook.
//!
//! A call is `POST {api}/v2/create-phone-call`, JSON, Bearer API key:
//! `from_number` the campaign's caller id, `to_number` the lead,
//! `override_agent_id` the campaign's agent (when set), `metadata`
//! with our call and lead ids, which Retell echoes in its webhooks, and
//! `retell_llm_dynamic_variables`, the lead's `name` and own columns for
//! the agent's prompt. The answer's `call_id` is the provider's call id.
//!
//! Webhooks are JSON `{"event", "call": {...}}`, signed: `x-retell-signature`
//! is `v={unix ms},d={hex HMAC-SHA256(API key, body + unix ms)}`; a
//! signature more than five minutes from now is refused (a replay).
//! `call_started` and `call_analyzed` record nothing; `call_ended` maps
//! `call.disconnection_reason`:
//!
//! | disconnection_reason | recorded as |
//! |---|---|
//! | user_hangup, agent_hangup, call_transfer, inactivity, max_duration_reached | answered (the lead was on the call) |
//! | voicemail_reached, machine_detected | voicemail (a machine answered, not the lead) |
//! | dial_no_answer | no_answer |
//! | dial_busy, user_declined | busy |
//! | dial_failed, invalid_destination, telephony_*, sip_routing_error, marked_as_spam, scam_detected, concurrency_limit_reached, no_valid_payment, error_*, any other | failed, with the reason as the error |

use chrono::{DateTime, Utc};
use leadline_domain::lead::ReportedCallState;
use leadline_domain::{CallId, CallOutcome};

use super::{
    constant_time_eq, echo, hmac_sha256_hex, send_json, Callback, CallbackError, PlaceError,
    ProviderAdapter, ProviderName, Secret,
};
use crate::dialer::placer::OutboundCall;

/// Retell's API origin.
pub const API_BASE: &str = "https://api.retellai.com";
pub use crate::limits::{RETELL_REQUESTS_PER_MIN_MAX, SIGNATURE_AGE_MAX_MS};

/// The Retell adapter.
#[derive(Debug)]
pub struct Retell {
    pub api_base: String,
    pub api_key: Secret,
}

impl ProviderAdapter for Retell {
    fn name(&self) -> ProviderName {
        ProviderName::Retell
    }

    fn requests_per_min_max(&self) -> u32 {
        RETELL_REQUESTS_PER_MIN_MAX
    }

    fn place(
        &self,
        client: &reqwest::blocking::Client,
        call: &OutboundCall,
    ) -> Result<String, PlaceError> {
        let caller_id = call.caller_id.as_deref().ok_or_else(|| {
            PlaceError("the campaign's provider settings need `caller_id` (the from_number)".into())
        })?;
        let mut body = serde_json::json!({
            "from_number": caller_id,
            "to_number": call.phone.to_string(),
            "metadata": {
                "leadline_call_id": call.call_id.to_string(),
                "leadline_lead_id": call.lead_id.to_string(),
            },
        });
        if let Some(agent_id) = &call.agent_id {
            body["override_agent_id"] = serde_json::Value::String(agent_id.clone());
        }
        if !call.variables.is_empty() {
            // The agent's `{{name}}`, … in its prompt.
            body["retell_llm_dynamic_variables"] = serde_json::json!(call.variables);
        }
        let request = client
            .post(format!("{}/v2/create-phone-call", self.api_base))
            .bearer_auth(self.api_key.expose())
            .json(&body);
        let answer = send_json(
            ProviderName::Retell,
            request,
            error_message,
            &[&self.api_key],
        )?;
        match answer.get("call_id").and_then(|id| id.as_str()) {
            Some(id) if !id.is_empty() => Ok(id.to_owned()),
            _ => Err(PlaceError("Retell's answer has no `call_id`".into())),
        }
    }
}

/// Retell's error bodies carry `message` (or `error_message`, `error`).
fn error_message(body: &serde_json::Value) -> Option<String> {
    ["message", "error_message", "error"]
        .iter()
        .find_map(|key| body.get(key).and_then(|m| m.as_str()))
        .map(str::to_owned)
}

/// The hex digest Retell signs `body` with at `timestamp_ms`.
fn digest(api_key: &Secret, body: &[u8], timestamp_ms: i64) -> String {
    hmac_sha256_hex(api_key, &[body, timestamp_ms.to_string().as_bytes()])
}

/// The `x-retell-signature` for `body` at `timestamp_ms`.
pub fn signature(api_key: &Secret, body: &[u8], timestamp_ms: i64) -> String {
    format!("v={timestamp_ms},d={}", digest(api_key, body, timestamp_ms))
}

/// Checks `x-retell-signature`: well-formed, fresh, and matching the body.
pub fn verify_signature(
    api_key: &Secret,
    body: &[u8],
    given: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), CallbackError> {
    let unauthenticated = |why: &str| CallbackError::Unauthenticated(why.to_owned());
    let given = given.ok_or_else(|| unauthenticated("the x-retell-signature header is missing"))?;
    let (stamp, given_digest) = given
        .trim()
        .strip_prefix("v=")
        .and_then(|rest| rest.split_once(",d="))
        .ok_or_else(|| unauthenticated("x-retell-signature is not `v=<ms>,d=<hex>`"))?;
    let timestamp_ms: i64 = stamp
        .parse()
        .map_err(|_| unauthenticated("x-retell-signature has no valid timestamp"))?;
    let age_ms = now.timestamp_millis().saturating_sub(timestamp_ms);
    if age_ms.unsigned_abs() > SIGNATURE_AGE_MAX_MS.unsigned_abs() {
        return Err(unauthenticated(
            "x-retell-signature is more than 5 minutes from now (stale or replayed)",
        ));
    }
    let expected = digest(api_key, body, timestamp_ms);
    if constant_time_eq(
        expected.as_bytes(),
        given_digest.to_ascii_lowercase().as_bytes(),
    ) {
        Ok(())
    } else {
        Err(unauthenticated(
            "x-retell-signature does not match this request",
        ))
    }
}

/// What a `call_ended` call's disconnection reason means.
pub fn outcome_of(reason: &str) -> CallOutcome {
    match reason {
        "user_hangup"
        | "agent_hangup"
        | "call_transfer"
        | "inactivity"
        | "max_duration_reached" => CallOutcome::Answered,
        "voicemail_reached" | "machine_detected" => CallOutcome::Voicemail,
        "dial_no_answer" => CallOutcome::NoAnswer,
        "dial_busy" | "user_declined" => CallOutcome::Busy,
        _ => CallOutcome::Failed,
    }
}

/// A webhook body.
pub fn parse_callback(body: &[u8]) -> Result<Callback, CallbackError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| CallbackError::Malformed(format!("malformed JSON: {e}")))?;
    let text = |v: &serde_json::Value, key: &str| {
        v.get(key)
            .and_then(|t| t.as_str())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let event =
        text(&value, "event").ok_or_else(|| CallbackError::Invalid("`event` is missing".into()))?;
    let call = value
        .get("call")
        .filter(|c| c.is_object())
        .ok_or_else(|| CallbackError::Invalid("`call` is missing".into()))?;
    let call_id = text(call, "call_id")
        .ok_or_else(|| CallbackError::Invalid("`call.call_id` is missing".into()))?;
    let ours = call
        .get("metadata")
        .and_then(|m| text(m, "leadline_call_id"))
        .and_then(|id| id.parse::<CallId>().ok());
    let (state, provider_status, error) = if event == "call_ended" {
        let reason = text(call, "disconnection_reason").unwrap_or_else(|| "unknown".into());
        let outcome = outcome_of(&reason);
        let error = (outcome == CallOutcome::Failed).then(|| reason.clone());
        (ReportedCallState::Ended(outcome), reason, error)
    } else {
        // call_started, call_analyzed and any later event kinds carry no
        // end; recording nothing keeps them harmless in any order.
        (ReportedCallState::InProgress, echo(&event), None)
    };
    Ok(Callback {
        provider_call_id: call_id,
        call_id: ours,
        state,
        provider_status,
        duration_secs: duration_secs(call),
        error,
    })
}

/// `duration_ms`, else end minus start (both unix ms).
fn duration_secs(call: &serde_json::Value) -> Option<u32> {
    let ms = call
        .get("duration_ms")
        .and_then(|d| d.as_u64())
        .or_else(|| {
            let start = call.get("start_timestamp")?.as_u64()?;
            let end = call.get("end_timestamp")?.as_u64()?;
            end.checked_sub(start)
        })?;
    u32::try_from(ms.div_ceil(1000)).ok()
}
