//! Exotel: connecting a number to a call flow, and its status callback.
//!
//! A call is `POST {api}/v1/Accounts/{sid}/Calls/connect.json` (the
//! `.json` form of `/Calls/connect`, so the answer is JSON), form-encoded,
//! Basic auth `API key:API token`: `From` the lead (Exotel calls it first),
//! `CallerId` the campaign's ExoPhone, `Url` the flow
//! (`http://my.exotel.com/{sid}/exoml/start_voice/{app id}`, the app id
//! being the campaign's `agent_id`, else its `next_action`; a full URL is
//! used as given), `CallType=trans`, `CustomField` our call id (echoed
//! back), and `StatusCallback` `{LEADLINE_PUBLIC_URL}/api/v1/webhooks/exotel?token={LEADLINE_WEBHOOK_TOKEN}`
//! for the terminal event. The answer's `Call.Sid` is the provider's id.
//!
//! Exotel does not sign callbacks: the secret token in the callback URL
//! authenticates them, compared in constant time. Callbacks carry
//! `CallSid`, `Status` and the duration (`ConversationDuration`,
//! `DialCallDuration` or `Duration`), form-encoded or JSON:
//!
//! | Status | recorded as |
//! |---|---|
//! | completed | answered |
//! | busy | busy |
//! | no-answer | no_answer |
//! | failed | failed |
//! | canceled | no_answer (as for Twilio: never reached the lead) |
//! | queued, ringing, in-progress, or EventType `answered` | nothing |

use std::collections::BTreeMap;

use leadline_domain::lead::ReportedCallState;
use leadline_domain::{CallId, CallOutcome};

use super::{
    echo, parse_secs, send_json, Callback, CallbackError, PlaceError, ProviderAdapter,
    ProviderName, Secret,
};
use crate::dialer::placer::OutboundCall;

/// Exotel's callbacks carry the secret in their URL's `token`.
pub use super::verify_token;

pub use crate::limits::{EXOTEL_REQUESTS_PER_MIN_MAX, WEBHOOK_TOKEN_BYTES_MIN};

/// The Exotel adapter.
#[derive(Debug)]
pub struct Exotel {
    /// `https://{EXOTEL_SUBDOMAIN}` unless overridden.
    pub api_base: String,
    pub account_sid: String,
    pub api_key: Secret,
    pub api_token: Secret,
    pub public_url: String,
    pub webhook_token: Secret,
}

impl Exotel {
    /// The status callback URL, carrying the secret token.
    fn callback_url(&self) -> String {
        let query = serde_urlencoded::to_string([("token", self.webhook_token.expose())])
            .unwrap_or_default();
        format!("{}/api/v1/webhooks/exotel?{query}", self.public_url)
    }

    /// The flow a call is connected to.
    fn flow_url(&self, app: &str) -> String {
        if app.starts_with("https://") || app.starts_with("http://") {
            app.to_owned()
        } else {
            format!(
                "http://my.exotel.com/{}/exoml/start_voice/{app}",
                self.account_sid
            )
        }
    }
}

impl ProviderAdapter for Exotel {
    fn name(&self) -> ProviderName {
        ProviderName::Exotel
    }

    fn requests_per_min_max(&self) -> u32 {
        EXOTEL_REQUESTS_PER_MIN_MAX
    }

    fn place(
        &self,
        client: &reqwest::blocking::Client,
        call: &OutboundCall,
    ) -> Result<String, PlaceError> {
        let caller_id = call.caller_id.as_deref().ok_or_else(|| {
            PlaceError("the campaign's provider settings need `caller_id` (the ExoPhone)".into())
        })?;
        let app = call
            .agent_id
            .as_deref()
            .or(call.next_action.as_deref())
            .ok_or_else(|| {
                PlaceError(
                    "the campaign's provider settings need `agent_id` (the Exotel flow's app id)"
                        .into(),
                )
            })?;
        let form: [(&str, String); 7] = [
            ("From", call.phone.to_string()),
            ("CallerId", caller_id.to_owned()),
            ("Url", self.flow_url(app)),
            ("CallType", "trans".to_owned()),
            ("CustomField", call.call_id.to_string()),
            ("StatusCallback", self.callback_url()),
            ("StatusCallbackEvents[0]", "terminal".to_owned()),
        ];
        let url = format!(
            "{}/v1/Accounts/{}/Calls/connect.json",
            self.api_base, self.account_sid
        );
        let request = client
            .post(url)
            .basic_auth(self.api_key.expose(), Some(self.api_token.expose()))
            .form(&form);
        let answer = send_json(
            ProviderName::Exotel,
            request,
            error_message,
            &[&self.api_key, &self.api_token, &self.webhook_token],
        )?;
        match answer.pointer("/Call/Sid").and_then(|sid| sid.as_str()) {
            Some(sid) if !sid.is_empty() => Ok(sid.to_owned()),
            _ => Err(PlaceError("Exotel's answer has no `Call.Sid`".into())),
        }
    }
}

/// Exotel's error body: `{"RestException": {"Status", "Message"}}`.
fn error_message(body: &serde_json::Value) -> Option<String> {
    body.pointer("/RestException/Message")
        .and_then(|m| m.as_str())
        .map(str::to_owned)
}

/// A status callback's fields.
pub fn parse_callback(fields: &BTreeMap<String, String>) -> Result<Callback, CallbackError> {
    let field = |name: &str| fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let call_sid =
        field("CallSid").ok_or_else(|| CallbackError::Invalid("CallSid is missing".into()))?;
    let status =
        field("Status").ok_or_else(|| CallbackError::Invalid("Status is missing".into()))?;
    let state = if field("EventType") == Some("answered") {
        ReportedCallState::InProgress
    } else {
        match status {
            "queued" | "ringing" => ReportedCallState::Ringing,
            "in-progress" => ReportedCallState::InProgress,
            "completed" => ReportedCallState::Ended(CallOutcome::Answered),
            "busy" => ReportedCallState::Ended(CallOutcome::Busy),
            "no-answer" | "canceled" => ReportedCallState::Ended(CallOutcome::NoAnswer),
            "failed" => ReportedCallState::Ended(CallOutcome::Failed),
            other => {
                return Err(CallbackError::Invalid(format!(
                    "unknown Status `{}`",
                    echo(other)
                )))
            }
        }
    };
    let duration_secs = ["ConversationDuration", "DialCallDuration", "Duration"]
        .iter()
        .find_map(|name| parse_secs(fields.get(*name)));
    Ok(Callback {
        provider_call_id: call_sid.to_owned(),
        call_id: field("CustomField").and_then(|id| id.parse::<CallId>().ok()),
        state,
        provider_status: status.to_owned(),
        duration_secs,
        error: (status == "failed").then(|| "Exotel could not complete the call".to_owned()),
    })
}
