//! Vapi: `POST /call` and the `end-of-call-report` server message.
//!
//! A call is `POST {api}/call`, JSON, Bearer private API key:
//! `assistantId` the campaign's `agent_id`, `phoneNumberId` the campaign's
//! `phone_number_id` (a free-form provider setting, kept in `extra`), else
//! `VAPI_PHONE_NUMBER_ID` (the Vapi phone number calls come from, so the
//! campaign's `caller_id` and `next_action` are not used),
//! `customer.number` the lead (E.164), and
//! `assistantOverrides.variableValues` the lead's `name` and own columns
//! (the assistant's prompt variables), and
//! `assistantOverrides.metadata` with our call and lead ids: Vapi's
//! create-call has no metadata of its own, and the overrides come back in
//! every server message's `call.assistantOverrides`. The answer's `id` is
//! the provider's call id. Error bodies are NestJS's `{"message": text or
//! [texts], "error", "statusCode"}`. Vapi documents no request rate, only
//! concurrency (10 calls at once by default; over it a call is refused,
//! recorded as failed with Vapi's message): [`VAPI_REQUESTS_PER_MIN_MAX`]
//! is a conservative pace.
//!
//! Server messages are JSON `{"message": {"type", "call": {"id", ...},
//! ...}}`, sent to the assistant's server URL. Vapi authenticates them
//! with a custom credential (docs.vapi.ai/server-url/server-authentication;
//! `HmacAuthenticationPlan` in Vapi's server SDK). Create an HMAC one:
//! algorithm SHA256, signature header `x-vapi-signature`, hex encoding, no
//! prefix, no timestamp (payload format `{body}`), secret key
//! `VAPI_WEBHOOK_SECRET`; attach it (`credentialId`) to the assistant's
//! server URL `{public URL}/api/v1/webhooks/vapi`, and keep its
//! `serverMessages` to `end-of-call-report` (and `status-update` if
//! wanted: messages that wait for an answer, such as `tool-calls`, do not
//! belong here). `x-vapi-signature` is then hex(HMAC-SHA256(secret, raw
//! body)), compared in constant time; a `sha256=` prefix is accepted. No
//! timestamp is signed, so nothing refuses a replay by age: a replayed
//! report repeats one already recorded and records nothing.
//!
//! Only `end-of-call-report` ends a call; `status-update`, `transcript`,
//! `conversation-update`, `hang` and every other type record nothing. Its
//! `endedReason` (docs.vapi.ai/calls/call-ended-reason) maps:
//!
//! | endedReason | recorded as |
//! |---|---|
//! | assistant-ended-call, assistant-ended-call-after-message-spoken, assistant-ended-call-with-hangup-task, assistant-said-end-call-phrase, assistant-forwarded-call, customer-ended-call, customer-ended-call-before-warm-transfer, customer-ended-call-after-warm-transfer-attempt, customer-ended-call-during-transfer, exceeded-max-duration, silence-timed-out, call.in-progress.twilio-completed-call, call.in-progress.sip-completed-call, vonage-completed, call.ending.hook-executed-say, call.ending.hook-executed-transfer, call.forwarding.operator-busy | answered (the lead was on the call) |
//! | voicemail | voicemail (a machine answered, not the lead) |
//! | customer-did-not-answer, call.in-progress.error-providerfault-outbound-sip-408-request-timeout, call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable | no_answer (Vapi: "phone rang but no answer") |
//! | customer-busy | busy |
//! | call.start.error-*, pipeline-error-*, call.in-progress.error-* (other), twilio-failed-to-connect-call, twilio-reported-customer-misdialed, vonage-rejected, vonage-failed-to-connect-call, vonage-disconnected, phone-call-provider-closed-websocket, assistant-not-found, assistant-join-timed-out, worker-shutdown, manually-canceled, any other | failed, with the reason as the error |

use chrono::DateTime;
use leadline_domain::lead::ReportedCallState;
use leadline_domain::{CallId, CallOutcome};
use serde_json::Value;

use super::{
    constant_time_eq, echo, hmac_sha256_hex, send_json, truncate, Callback, CallbackError,
    PlaceError, ProviderAdapter, ProviderName, Secret, PROVIDER_MESSAGE_BYTES_MAX,
};
use crate::dialer::placer::OutboundCall;

/// Vapi's API origin.
pub const API_BASE: &str = "https://api.vapi.ai";
pub use crate::limits::VAPI_REQUESTS_PER_MIN_MAX;
/// The header the HMAC credential signs in.
pub const SIGNATURE_HEADER: &str = "x-vapi-signature";
/// The campaign's provider setting (one of its `extra`) naming the phone
/// number.
pub const PHONE_NUMBER_ID_SETTING: &str = "phone_number_id";

/// The Vapi adapter.
#[derive(Debug)]
pub struct Vapi {
    pub api_base: String,
    pub api_key: Secret,
    /// `VAPI_PHONE_NUMBER_ID`: for campaigns that name none.
    pub phone_number_id: Option<String>,
}

impl ProviderAdapter for Vapi {
    fn name(&self) -> ProviderName {
        ProviderName::Vapi
    }

    fn requests_per_min_max(&self) -> u32 {
        VAPI_REQUESTS_PER_MIN_MAX
    }

    fn place(
        &self,
        client: &reqwest::blocking::Client,
        call: &OutboundCall,
    ) -> Result<String, PlaceError> {
        let assistant_id = call.agent_id.as_deref().ok_or_else(|| {
            PlaceError(
                "the campaign's provider settings need `agent_id` (the Vapi assistant id)".into(),
            )
        })?;
        let phone_number_id = call
            .extra
            .get(PHONE_NUMBER_ID_SETTING)
            .map(|id| id.trim())
            .filter(|id| !id.is_empty())
            .or(self.phone_number_id.as_deref())
            .ok_or_else(|| {
                PlaceError(
                    "the campaign's provider settings need `phone_number_id` (the Vapi phone number id), or the server VAPI_PHONE_NUMBER_ID"
                        .into(),
                )
            })?;
        let mut body = serde_json::json!({
            "assistantId": assistant_id,
            "phoneNumberId": phone_number_id,
            "customer": {"number": call.phone.to_string()},
            "assistantOverrides": {
                "metadata": {
                    "leadline_call_id": call.call_id.to_string(),
                    "leadline_lead_id": call.lead_id.to_string(),
                },
            },
        });
        if !call.variables.is_empty() {
            // The assistant's `{{name}}`, … in its prompt.
            body["assistantOverrides"]["variableValues"] = serde_json::json!(call.variables);
        }
        let request = client
            .post(format!("{}/call", self.api_base))
            .bearer_auth(self.api_key.expose())
            .json(&body);
        let answer = send_json(ProviderName::Vapi, request, error_message, &[&self.api_key])?;
        match answer.get("id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => Ok(id.to_owned()),
            _ => Err(PlaceError("Vapi's answer has no call `id`".into())),
        }
    }
}

/// Vapi's error bodies: `message` as text or a list of texts (validation),
/// else `error`.
fn error_message(body: &Value) -> Option<String> {
    match body.get("message") {
        Some(Value::String(message)) => Some(message.clone()),
        Some(Value::Array(items)) => {
            let messages: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            (!messages.is_empty()).then(|| messages.join("; "))
        }
        _ => body.get("error").and_then(Value::as_str).map(str::to_owned),
    }
}

/// The `x-vapi-signature` for `body`.
pub fn signature(secret: &Secret, body: &[u8]) -> String {
    hmac_sha256_hex(secret, &[body])
}

/// Checks `x-vapi-signature`: the hex HMAC-SHA256 of the body.
pub fn verify_signature(
    secret: &Secret,
    body: &[u8],
    given: Option<&str>,
) -> Result<(), CallbackError> {
    let unauthenticated = |why: &str| CallbackError::Unauthenticated(why.to_owned());
    let given = given.ok_or_else(|| unauthenticated("the x-vapi-signature header is missing"))?;
    let given = given.trim();
    let given = given.strip_prefix("sha256=").unwrap_or(given);
    let expected = signature(secret, body);
    if constant_time_eq(expected.as_bytes(), given.to_ascii_lowercase().as_bytes()) {
        Ok(())
    } else {
        Err(unauthenticated(
            "x-vapi-signature does not match this request",
        ))
    }
}

/// What an `end-of-call-report`'s ended reason means.
pub fn outcome_of(reason: &str) -> CallOutcome {
    match reason {
        "assistant-ended-call"
        | "assistant-ended-call-after-message-spoken"
        | "assistant-ended-call-with-hangup-task"
        | "assistant-said-end-call-phrase"
        | "assistant-forwarded-call"
        | "customer-ended-call"
        | "customer-ended-call-before-warm-transfer"
        | "customer-ended-call-after-warm-transfer-attempt"
        | "customer-ended-call-during-transfer"
        | "exceeded-max-duration"
        | "silence-timed-out"
        | "call.in-progress.twilio-completed-call"
        | "call.in-progress.sip-completed-call"
        | "vonage-completed"
        | "call.ending.hook-executed-say"
        | "call.ending.hook-executed-transfer"
        | "call.forwarding.operator-busy" => CallOutcome::Answered,
        "voicemail" => CallOutcome::Voicemail,
        "customer-did-not-answer"
        | "call.in-progress.error-providerfault-outbound-sip-408-request-timeout"
        | "call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable" => {
            CallOutcome::NoAnswer
        }
        "customer-busy" => CallOutcome::Busy,
        _ => CallOutcome::Failed,
    }
}

/// A text field, trimmed, if not empty.
fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// A server message's body.
pub fn parse_callback(body: &[u8]) -> Result<Callback, CallbackError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| CallbackError::Malformed(format!("malformed JSON: {e}")))?;
    let message = value
        .get("message")
        .filter(|m| m.is_object())
        .ok_or_else(|| CallbackError::Invalid("`message` is missing".into()))?;
    let kind = text(message, "type")
        .ok_or_else(|| CallbackError::Invalid("`message.type` is missing".into()))?;
    let call = message
        .get("call")
        .filter(|c| c.is_object())
        .ok_or_else(|| CallbackError::Invalid("`message.call` is missing".into()))?;
    let call_id = text(call, "id")
        .ok_or_else(|| CallbackError::Invalid("`message.call.id` is missing".into()))?;
    let ours = [
        "/call/assistantOverrides/metadata",
        "/assistant/metadata",
        "/call/metadata",
    ]
    .iter()
    .find_map(|pointer| {
        message
            .pointer(pointer)
            .and_then(|metadata| text(metadata, "leadline_call_id"))
    })
    .and_then(|id| id.parse::<CallId>().ok());
    let (state, provider_status, error) = if kind == "end-of-call-report" {
        let reason = text(message, "endedReason")
            .or_else(|| text(call, "endedReason"))
            .unwrap_or_else(|| "unknown".into());
        // Vapi's reasons run longer than an echo (up to ~100 bytes).
        let reason = truncate(&reason, PROVIDER_MESSAGE_BYTES_MAX);
        let outcome = outcome_of(&reason);
        let error = (outcome == CallOutcome::Failed).then(|| reason.clone());
        (ReportedCallState::Ended(outcome), reason, error)
    } else {
        // status-update, transcript, conversation-update and the rest
        // carry no end; recording nothing keeps them harmless in any order.
        (ReportedCallState::InProgress, echo(&kind), None)
    };
    Ok(Callback {
        provider_call_id: call_id,
        call_id: ours,
        state,
        provider_status,
        duration_secs: duration_secs(message, call),
        error,
    })
}

/// `durationSeconds`, else `endedAt` minus `startedAt` (ISO 8601), of the
/// message, else of its call.
fn duration_secs(message: &Value, call: &Value) -> Option<u32> {
    if let Some(secs) = message.get("durationSeconds").and_then(Value::as_f64) {
        return (secs.is_finite() && secs >= 0.0 && secs <= f64::from(u32::MAX))
            .then(|| secs.round() as u32);
    }
    [message, call].iter().find_map(|v| {
        let start = DateTime::parse_from_rfc3339(&text(v, "startedAt")?).ok()?;
        let end = DateTime::parse_from_rfc3339(&text(v, "endedAt")?).ok()?;
        let ms = u64::try_from((end - start).num_milliseconds()).ok()?;
        u32::try_from(ms.div_ceil(1000)).ok()
    })
}
