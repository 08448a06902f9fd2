//! Twilio: the Calls API and its status callbacks.
//!
//! A call is `POST {api}/2010-04-01/Accounts/{AccountSid}/Calls.json`,
//! form-encoded, Basic auth `AccountSid:AuthToken`: `To` the lead, `From`
//! the campaign's caller id, `Url` the TwiML Twilio runs once connected
//! (the campaign's `next_action`, else its `agent_id`), and status
//! callbacks to `{LEADLINE_PUBLIC_URL}/api/v1/webhooks/twilio` for
//! initiated, ringing, answered and completed. The answer's `sid` is the
//! provider's call id. A campaign with `detect_voicemail` also sends
//! `MachineDetection=Enable` (synchronous answering-machine detection):
//! Twilio then adds `AnsweredBy` to the callbacks.
//!
//! Callbacks are form-encoded and signed: `X-Twilio-Signature` is
//! base64(HMAC-SHA1(auth token, full URL + each POST parameter's name and
//! value, sorted by name)). `CallStatus` maps to outcomes:
//!
//! | CallStatus | recorded as |
//! |---|---|
//! | queued, initiated, ringing | nothing (ringing) |
//! | in-progress | nothing (connected) |
//! | completed | answered (Twilio says completed only for a call that connected); voicemail when `AnsweredBy` is `machine_start`, `machine_end_beep`, `machine_end_silence`, `machine_end_other` or `fax` |
//! | busy | busy |
//! | no-answer | no_answer |
//! | failed | failed |
//! | canceled | no_answer: cancelled while queued or ringing, so the lead was not reached, and the retry policy treats it like a call that rang out |

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use leadline_domain::lead::ReportedCallState;
use leadline_domain::CallOutcome;
use sha1::Sha1;

use super::{
    constant_time_eq, echo, parse_secs, send_json, Callback, CallbackError, PlaceError,
    ProviderAdapter, ProviderName, Secret,
};
use crate::dialer::placer::OutboundCall;

/// Twilio's API origin.
pub const API_BASE: &str = "https://api.twilio.com";
pub use crate::limits::TWILIO_REQUESTS_PER_MIN_MAX;
/// The status changes Twilio reports.
const STATUS_CALLBACK_EVENTS: [&str; 4] = ["initiated", "ringing", "answered", "completed"];

/// The Twilio adapter.
#[derive(Debug)]
pub struct Twilio {
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: Secret,
    /// Where Twilio reaches this server.
    pub public_url: String,
}

impl Twilio {
    pub fn callback_url(&self) -> String {
        format!("{}/api/v1/webhooks/twilio", self.public_url)
    }
}

impl ProviderAdapter for Twilio {
    fn name(&self) -> ProviderName {
        ProviderName::Twilio
    }

    fn requests_per_min_max(&self) -> u32 {
        TWILIO_REQUESTS_PER_MIN_MAX
    }

    fn place(
        &self,
        client: &reqwest::blocking::Client,
        call: &OutboundCall,
    ) -> Result<String, PlaceError> {
        let caller_id = call.caller_id.as_deref().ok_or_else(|| {
            PlaceError("the campaign's provider settings need `caller_id` (the From number)".into())
        })?;
        let twiml = call
            .next_action
            .as_deref()
            .or(call.agent_id.as_deref())
            .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
            .ok_or_else(|| {
                PlaceError(
                    "the campaign's provider settings need `next_action`: the TwiML URL Twilio runs once connected"
                        .into(),
                )
            })?;
        let mut form: Vec<(&str, String)> = vec![
            ("To", call.phone.to_string()),
            ("From", caller_id.to_owned()),
            ("Url", twiml.to_owned()),
            ("StatusCallback", self.callback_url()),
            ("StatusCallbackMethod", "POST".to_owned()),
        ];
        form.extend(
            STATUS_CALLBACK_EVENTS
                .iter()
                .map(|event| ("StatusCallbackEvent", (*event).to_owned())),
        );
        if call.detect_voicemail {
            form.push(("MachineDetection", "Enable".to_owned()));
        }
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Calls.json",
            self.api_base, self.account_sid
        );
        let request = client
            .post(url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .form(&form);
        let answer = send_json(
            ProviderName::Twilio,
            request,
            error_message,
            &[&self.auth_token],
        )?;
        match answer.get("sid").and_then(|sid| sid.as_str()) {
            Some(sid) if !sid.is_empty() => Ok(sid.to_owned()),
            _ => Err(PlaceError("Twilio's answer has no call `sid`".into())),
        }
    }
}

/// Twilio's error body: `{"code", "message", "more_info", "status"}`.
fn error_message(body: &serde_json::Value) -> Option<String> {
    let message = body.get("message")?.as_str()?;
    Some(match body.get("code").and_then(|c| c.as_i64()) {
        Some(code) => format!("{message} (code {code})"),
        None => message.to_owned(),
    })
}

/// The signature Twilio sends for a POST to `url` with `params`.
pub fn signature(auth_token: &Secret, url: &str, params: &[(String, String)]) -> Option<String> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(auth_token.expose().as_bytes()).ok()?;
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    Some(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// Checks `X-Twilio-Signature` against the URL Twilio called and the
/// parameters it posted.
pub fn verify_signature(
    auth_token: &Secret,
    url: &str,
    params: &[(String, String)],
    given: Option<&str>,
) -> Result<(), CallbackError> {
    let given = given.ok_or_else(|| {
        CallbackError::Unauthenticated("the X-Twilio-Signature header is missing".into())
    })?;
    let expected = signature(auth_token, url, params).ok_or_else(|| {
        CallbackError::Unauthenticated("the Twilio auth token cannot key a signature".into())
    })?;
    if constant_time_eq(expected.as_bytes(), given.trim().as_bytes()) {
        Ok(())
    } else {
        Err(CallbackError::Unauthenticated(
            "X-Twilio-Signature does not match this request".into(),
        ))
    }
}

/// Whether Twilio's `AnsweredBy` says a machine answered (`human` and
/// `unknown` do not).
pub fn is_machine(answered_by: &str) -> bool {
    answered_by.starts_with("machine_") || answered_by == "fax"
}

/// A status callback's fields as Twilio posts them.
pub fn parse_callback(fields: &BTreeMap<String, String>) -> Result<Callback, CallbackError> {
    let field = |name: &str| fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let call_sid =
        field("CallSid").ok_or_else(|| CallbackError::Invalid("CallSid is missing".into()))?;
    let status = field("CallStatus")
        .ok_or_else(|| CallbackError::Invalid("CallStatus is missing".into()))?;
    let state = match status {
        "queued" | "initiated" | "ringing" => ReportedCallState::Ringing,
        "in-progress" => ReportedCallState::InProgress,
        "completed" if field("AnsweredBy").is_some_and(is_machine) => {
            ReportedCallState::Ended(CallOutcome::Voicemail)
        }
        "completed" => ReportedCallState::Ended(CallOutcome::Answered),
        "busy" => ReportedCallState::Ended(CallOutcome::Busy),
        "no-answer" | "canceled" => ReportedCallState::Ended(CallOutcome::NoAnswer),
        "failed" => ReportedCallState::Ended(CallOutcome::Failed),
        other => {
            return Err(CallbackError::Invalid(format!(
                "unknown CallStatus `{}`",
                echo(other)
            )))
        }
    };
    let error = match (field("ErrorMessage"), field("ErrorCode")) {
        (Some(message), _) => Some(message.to_owned()),
        (None, Some(code)) => Some(format!("Twilio error {code}")),
        (None, None) if status == "failed" => Some("Twilio could not place the call".into()),
        (None, None) => None,
    };
    Ok(Callback {
        provider_call_id: call_sid.to_owned(),
        call_id: None,
        state,
        provider_status: status.to_owned(),
        duration_secs: parse_secs(fields.get("CallDuration")),
        error,
    })
}
