//! Provider callbacks: [`WebhookSecrets`] authenticates a callback the way
//! its provider signs it and hands it to the adapter's parser, giving a
//! [`Callback`]; plus the body readers and checks the adapters share. Pure
//! functions, apart from the pool and the configuration, so the webhook
//! route and the tests use them without starting anything.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use leadline_domain::lead::{CallReport, ReportedCallState};
use leadline_domain::CallId;

use super::{bolna, exotel, retell, twilio, vapi, ProviderName, Secret};

pub(crate) use crate::signing::constant_time_eq;

/// The lower-case hex HMAC-SHA256 of `parts`, one after the other, keyed
/// with `key`'s UTF-8 bytes (Retell, Vapi).
pub(crate) fn hmac_sha256_hex(key: &Secret, parts: &[&[u8]]) -> String {
    crate::signing::hmac_sha256_hex(key.expose().as_bytes(), parts)
}

/// Checks the `token` of a callback URL's query (Exotel, Bolna: providers
/// that do not sign, called back at a URL carrying the secret).
pub fn verify_token(expected: &Secret, query: &str) -> Result<(), CallbackError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let given = pairs
        .iter()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.as_str())
        .ok_or_else(|| CallbackError::Unauthenticated("the callback URL has no `token`".into()))?;
    if constant_time_eq(expected.expose().as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(CallbackError::Unauthenticated(
            "the callback URL's `token` is wrong".into(),
        ))
    }
}

/// A provider's word on a call, authenticated and parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callback {
    /// The provider's id for the call.
    pub provider_call_id: String,
    /// Our id for the call, when the provider echoes it back (Retell's
    /// metadata, Exotel's CustomField, Bolna's user data, Vapi's assistant
    /// metadata): found even if the acceptance was not recorded yet.
    pub call_id: Option<CallId>,
    pub state: ReportedCallState,
    /// The provider's own status text.
    pub provider_status: String,
    pub duration_secs: Option<u32>,
    pub error: Option<String>,
}

impl Callback {
    /// The report the lead aggregate decides on.
    pub fn report(&self) -> CallReport {
        CallReport {
            state: self.state,
            provider_status: self.provider_status.clone(),
            duration_secs: self.duration_secs,
            error: self.error.clone(),
            provider_call_id: Some(self.provider_call_id.clone()),
        }
    }
}

/// Why a callback is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// Wrong, missing or stale signature or token (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// Not a body of the kind the provider sends (400).
    #[error("{0}")]
    Malformed(String),
    /// Well-formed but missing what a callback must carry (422).
    #[error("{0}")]
    Invalid(String),
    /// This server is not configured for the provider (404).
    #[error("{0}")]
    NotConfigured(String),
}

/// A webhook request, as the route received it.
pub struct WebhookRequest<'a> {
    /// Path and query as received, e.g. `/api/v1/webhooks/exotel?token=…`.
    pub path_and_query: &'a str,
    /// The query string alone (without `?`).
    pub query: &'a str,
    /// The `Content-Type` header, lower case.
    pub content_type: &'a str,
    /// The provider's signature header ([`signature_header`]), if sent.
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
    pub now: DateTime<Utc>,
}

/// The header a provider signs its callbacks in.
pub fn signature_header(provider: ProviderName) -> Option<&'static str> {
    match provider {
        ProviderName::Twilio => Some("x-twilio-signature"),
        ProviderName::Retell => Some("x-retell-signature"),
        ProviderName::Vapi => Some(vapi::SIGNATURE_HEADER),
        ProviderName::Exotel | ProviderName::Bolna => None,
    }
}

/// Twilio's webhook settings.
#[derive(Clone, Debug)]
pub struct TwilioWebhook {
    pub auth_token: Secret,
    /// `LEADLINE_PUBLIC_URL`: Twilio signs the URL it called, which is
    /// this origin plus the path, not what a proxy forwards.
    pub public_url: String,
}

/// What the webhook route needs to authenticate callbacks: only the
/// configured provider's are accepted.
#[derive(Clone, Debug, Default)]
pub struct WebhookSecrets {
    pub exotel_token: Option<Secret>,
    pub twilio: Option<TwilioWebhook>,
    pub retell_api_key: Option<Secret>,
    /// `LEADLINE_WEBHOOK_TOKEN`, in Bolna's callback URL.
    pub bolna_token: Option<Secret>,
    /// `VAPI_WEBHOOK_SECRET`, the key of `x-vapi-signature`.
    pub vapi_secret: Option<Secret>,
}

impl WebhookSecrets {
    /// Authenticates a callback as `provider` specifies, then parses it.
    pub fn callback(
        &self,
        provider: ProviderName,
        request: &WebhookRequest<'_>,
    ) -> Result<Callback, CallbackError> {
        let not_configured = || {
            CallbackError::NotConfigured(format!(
                "this server does not use {provider}; start it with --provider {provider}"
            ))
        };
        match provider {
            ProviderName::Exotel => {
                let token = self.exotel_token.as_ref().ok_or_else(not_configured)?;
                exotel::verify_token(token, request.query)?;
                exotel::parse_callback(&form_or_json_fields(request)?)
            }
            ProviderName::Twilio => {
                let twilio = self.twilio.as_ref().ok_or_else(not_configured)?;
                let params = form_params(request)?;
                let url = format!(
                    "{}{}",
                    twilio.public_url.trim_end_matches('/'),
                    request.path_and_query
                );
                twilio::verify_signature(&twilio.auth_token, &url, &params, request.signature)?;
                twilio::parse_callback(&params.into_iter().collect())
            }
            ProviderName::Retell => {
                let key = self.retell_api_key.as_ref().ok_or_else(not_configured)?;
                retell::verify_signature(key, request.body, request.signature, request.now)?;
                retell::parse_callback(request.body)
            }
            ProviderName::Bolna => {
                let token = self.bolna_token.as_ref().ok_or_else(not_configured)?;
                verify_token(token, request.query)?;
                bolna::parse_callback(request.body)
            }
            ProviderName::Vapi => {
                let secret = self.vapi_secret.as_ref().ok_or_else(not_configured)?;
                vapi::verify_signature(secret, request.body, request.signature)?;
                vapi::parse_callback(request.body)
            }
        }
    }
}

/// The pairs of a form-encoded body, in order.
fn form_params(request: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, CallbackError> {
    if !request
        .content_type
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(CallbackError::Malformed(
            "expected an application/x-www-form-urlencoded body".into(),
        ));
    }
    serde_urlencoded::from_bytes(request.body)
        .map_err(|e| CallbackError::Malformed(format!("malformed form body: {e}")))
}

/// The top-level fields of a form-encoded or JSON body, as text.
fn form_or_json_fields(
    request: &WebhookRequest<'_>,
) -> Result<BTreeMap<String, String>, CallbackError> {
    if request.content_type.starts_with("application/json") {
        let value: serde_json::Value = serde_json::from_slice(request.body)
            .map_err(|e| CallbackError::Malformed(format!("malformed JSON: {e}")))?;
        let serde_json::Value::Object(object) = value else {
            return Err(CallbackError::Malformed("expected a JSON object".into()));
        };
        Ok(object
            .into_iter()
            .filter_map(|(key, value)| match value {
                serde_json::Value::String(text) => Some((key, text)),
                serde_json::Value::Number(n) => Some((key, n.to_string())),
                _ => None,
            })
            .collect())
    } else {
        Ok(form_params(request)?.into_iter().collect())
    }
}

/// A duration in whole seconds from a provider's text ("12", "12.0").
pub(crate) fn parse_secs(text: Option<&String>) -> Option<u32> {
    let text = text?.trim();
    if let Ok(secs) = text.parse::<u32>() {
        return Some(secs);
    }
    let secs = text.parse::<f64>().ok()?;
    (secs.is_finite() && secs >= 0.0 && secs <= f64::from(u32::MAX)).then(|| secs.round() as u32)
}
