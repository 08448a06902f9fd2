//! Bolna: `POST /call` and the execution webhook.
//!
//! A call is `POST {api}/call`, JSON, Bearer API key: `agent_id` the
//! campaign's agent, `recipient_phone_number` the lead (E.164),
//! `from_phone_number` the campaign's caller id when set (else Bolna uses
//! the account's default number), and `user_data`: the agent's prompt
//! variables, which are the lead's `name` and own columns plus our call and
//! lead ids (Bolna echoes them back in `context_details.recipient_data`). The answer (`{"message": "done",
//! "status": "queued", "execution_id"}`) names the execution, the
//! provider's call id. Error bodies are `{"message", "error"}`, or
//! FastAPI's `{"detail"}`. Bolna allows 500 requests a minute on `/call`
//! per organization ([`BOLNA_REQUESTS_PER_MIN_MAX`], from Bolna's "Rate
//! limiting" page, bolna.ai/docs/api-reference/rate-limiting).
//!
//! Bolna POSTs the whole execution, JSON in the shape of its Get Execution
//! API (`id`, `status`, `answered_by_voice_mail`, `conversation_duration`,
//! `error_message`, `telephony_data`, `context_details`, ...), to the
//! agent's webhook URL at every status change, so the same execution
//! arrives several times. Bolna does not sign it: set the agent's webhook
//! URL ("Push all execution data to webhook") to
//! `{public URL}/api/v1/webhooks/bolna?token={LEADLINE_WEBHOOK_TOKEN}`; the
//! token is compared in constant time, as for Exotel. `status` maps:
//!
//! | status | recorded as |
//! |---|---|
//! | scheduled, queued, rescheduled, initiated, ringing, in-progress | nothing |
//! | call-disconnected | nothing: post-call processing still runs, `completed` follows |
//! | completed, `answered_by_voice_mail` true | voicemail (a machine answered, not the lead) |
//! | completed, `conversation_duration` 0 | no_answer: Bolna derives `completed` from the telephony lifecycle, so a call the callee rejected can arrive completed; its docs say to check the conversation's length |
//! | completed | answered |
//! | busy | busy |
//! | no-answer | no_answer |
//! | canceled | no_answer (as for Twilio and Exotel: never reached the lead) |
//! | failed, error, stopped, balance-low | failed, with `error_message` (else the hangup reason, else the status) as the error |
//! | any other | refused (422) |

use leadline_domain::lead::ReportedCallState;
use leadline_domain::{CallId, CallOutcome};
use serde_json::Value;

use super::{
    echo, parse_secs, send_json, Callback, CallbackError, PlaceError, ProviderAdapter,
    ProviderName, Secret,
};
use crate::dialer::placer::OutboundCall;

/// Bolna's API origin.
pub const API_BASE: &str = "https://api.bolna.ai";
pub use crate::limits::BOLNA_REQUESTS_PER_MIN_MAX;

/// The Bolna adapter.
#[derive(Debug)]
pub struct Bolna {
    pub api_base: String,
    pub api_key: Secret,
}

impl ProviderAdapter for Bolna {
    fn name(&self) -> ProviderName {
        ProviderName::Bolna
    }

    fn requests_per_min_max(&self) -> u32 {
        BOLNA_REQUESTS_PER_MIN_MAX
    }

    fn place(
        &self,
        client: &reqwest::blocking::Client,
        call: &OutboundCall,
    ) -> Result<String, PlaceError> {
        let agent_id = call.agent_id.as_deref().ok_or_else(|| {
            PlaceError("the campaign's provider settings need `agent_id` (the Bolna agent)".into())
        })?;
        // `user_data` is what the agent's prompt reads (`{name}`, …): the
        // lead's variables, and our ids, which Bolna echoes back.
        let mut user_data: serde_json::Map<String, Value> = call
            .variables
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.clone())))
            .collect();
        user_data.insert(
            "leadline_call_id".into(),
            Value::String(call.call_id.to_string()),
        );
        user_data.insert(
            "leadline_lead_id".into(),
            Value::String(call.lead_id.to_string()),
        );
        let mut body = serde_json::json!({
            "agent_id": agent_id,
            "recipient_phone_number": call.phone.to_string(),
            "user_data": user_data,
        });
        if let Some(caller_id) = &call.caller_id {
            body["from_phone_number"] = Value::String(caller_id.clone());
        }
        let request = client
            .post(format!("{}/call", self.api_base))
            .bearer_auth(self.api_key.expose())
            .json(&body);
        let answer = send_json(
            ProviderName::Bolna,
            request,
            error_message,
            &[&self.api_key],
        )?;
        match answer.get("execution_id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => Ok(id.to_owned()),
            _ => Err(PlaceError("Bolna's answer has no `execution_id`".into())),
        }
    }
}

/// Bolna's error bodies: `message` (with a numeric `error`), FastAPI's
/// `detail` (a text, or a list of `{"msg"}`), or `error` as text.
fn error_message(body: &Value) -> Option<String> {
    if let Some(message) = body.get("message").and_then(Value::as_str) {
        return Some(message.to_owned());
    }
    match body.get("detail") {
        Some(Value::String(detail)) => return Some(detail.clone()),
        Some(Value::Array(items)) => {
            let messages: Vec<&str> = items
                .iter()
                .filter_map(|item| item.get("msg").and_then(Value::as_str))
                .collect();
            if !messages.is_empty() {
                return Some(messages.join("; "));
            }
        }
        _ => {}
    }
    body.get("error").and_then(Value::as_str).map(str::to_owned)
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

/// What a final status means; `None` for one that is not final.
fn outcome_of(status: &str, execution: &Value) -> Result<Option<CallOutcome>, CallbackError> {
    Ok(Some(match status {
        "scheduled" | "queued" | "rescheduled" | "initiated" | "ringing" | "in-progress"
        | "call-disconnected" => return Ok(None),
        "completed" => {
            let voicemail = execution.get("answered_by_voice_mail") == Some(&Value::Bool(true));
            let talked = conversation_secs(execution) != Some(0.0);
            match (voicemail, talked) {
                (true, _) => CallOutcome::Voicemail,
                (false, false) => CallOutcome::NoAnswer,
                (false, true) => CallOutcome::Answered,
            }
        }
        "busy" => CallOutcome::Busy,
        "no-answer" | "canceled" => CallOutcome::NoAnswer,
        "failed" | "error" | "stopped" | "balance-low" => CallOutcome::Failed,
        other => {
            return Err(CallbackError::Invalid(format!(
                "unknown status `{}`",
                echo(other)
            )))
        }
    }))
}

/// An execution as Bolna posts it.
pub fn parse_callback(body: &[u8]) -> Result<Callback, CallbackError> {
    let execution: Value = serde_json::from_slice(body)
        .map_err(|e| CallbackError::Malformed(format!("malformed JSON: {e}")))?;
    if !execution.is_object() {
        return Err(CallbackError::Malformed("expected a JSON object".into()));
    }
    let execution_id = ["id", "execution_id"]
        .iter()
        .find_map(|key| match execution.get(key) {
            Some(Value::String(id)) if !id.trim().is_empty() => Some(id.trim().to_owned()),
            Some(Value::Number(id)) => Some(id.to_string()),
            _ => None,
        })
        .ok_or_else(|| CallbackError::Invalid("the execution's `id` is missing".into()))?;
    let status = text(&execution, "status")
        .ok_or_else(|| CallbackError::Invalid("`status` is missing".into()))?;
    let outcome = outcome_of(&status, &execution)?;
    let error = (outcome == Some(CallOutcome::Failed)).then(|| {
        text(&execution, "error_message")
            .or_else(|| {
                execution
                    .get("telephony_data")
                    .and_then(|t| text(t, "hangup_reason"))
            })
            .unwrap_or_else(|| format!("Bolna reported the call {status}"))
    });
    let ours = execution
        .pointer("/context_details/recipient_data")
        .and_then(|data| text(data, "leadline_call_id"))
        .and_then(|id| id.parse::<CallId>().ok());
    let duration_secs = conversation_secs(&execution)
        .map(|secs| secs.round() as u32)
        .or_else(|| telephony_secs(&execution));
    Ok(Callback {
        provider_call_id: execution_id,
        call_id: ours,
        state: outcome.map_or(ReportedCallState::InProgress, ReportedCallState::Ended),
        provider_status: echo(&status),
        duration_secs,
        error,
    })
}

/// `conversation_duration`: seconds of conversation, a number.
fn conversation_secs(execution: &Value) -> Option<f64> {
    execution
        .get("conversation_duration")
        .and_then(Value::as_f64)
        .filter(|secs| secs.is_finite() && *secs >= 0.0 && *secs <= f64::from(u32::MAX))
}

/// `telephony_data.duration`: seconds of the call, as digits.
fn telephony_secs(execution: &Value) -> Option<u32> {
    let duration = execution.pointer("/telephony_data/duration")?;
    let text = match duration {
        Value::String(text) => text.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    parse_secs(Some(&text))
}
