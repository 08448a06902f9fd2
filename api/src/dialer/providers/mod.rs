//! Real telephony providers: placing calls over HTTP, and hearing back
//! through their status callbacks (webhooks).
//!
//! [`HttpPlacer`] is the [`CallPlacer`] for every HTTP provider: the engine
//! hands it calls whose dial is durable; a small pool of worker threads
//! places them through a [`ProviderAdapter`] (one request per call, paced
//! by a token bucket at the provider's documented request rate) and sends
//! back `Placed` with the provider's call id, or `Refused` with the
//! provider's own message (recorded as a failed call; the campaign goes
//! on). The end of a call arrives later through
//! `POST /api/v1/webhooks/{provider}`, which authenticates and parses it
//! with the pure functions here ([`WebhookSecrets::callback`]); a call
//! that never reports back is reclaimed by the engine when stale.
//!
//! # Configuration (environment)
//!
//! | variable | provider | meaning |
//! |---|---|---|
//! | `EXOTEL_API_KEY`, `EXOTEL_API_TOKEN` | exotel | Basic auth for the API |
//! | `EXOTEL_ACCOUNT_SID` | exotel | the account (`/v1/Accounts/{sid}`) |
//! | `EXOTEL_SUBDOMAIN` | exotel | API host, default `api.exotel.com` (Mumbai: `api.in.exotel.com`) |
//! | `LEADLINE_WEBHOOK_TOKEN` | exotel, bolna | secret put in the callback URL (`?token=`), 16+ characters |
//! | `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN` | twilio | Basic auth; the token also checks `X-Twilio-Signature` |
//! | `RETELL_API_KEY` | retell | Bearer auth; also the key of `x-retell-signature` |
//! | `BOLNA_API_KEY` | bolna | Bearer auth |
//! | `VAPI_API_KEY` | vapi | Bearer auth (the private key) |
//! | `VAPI_WEBHOOK_SECRET` | vapi | key of the HMAC credential that signs `x-vapi-signature`, 16+ characters |
//! | `VAPI_PHONE_NUMBER_ID` | vapi | the Vapi phone number calls come from, unless the campaign's provider settings name a `phone_number_id` |
//! | `LEADLINE_PUBLIC_URL` | exotel, twilio | how providers reach this server, e.g. `https://dialer.example.com`; callbacks go to `{it}/api/v1/webhooks/{provider}` |
//! | `LEADLINE_EXOTEL_API_BASE`, `LEADLINE_TWILIO_API_BASE`, `LEADLINE_RETELL_API_BASE`, `LEADLINE_BOLNA_API_BASE`, `LEADLINE_VAPI_API_BASE` | each | replaces the provider's API origin (tests, proxies) |
//!
//! Retell, Bolna and Vapi call back to the webhook URL set on the agent
//! (Retell, Bolna) or assistant (Vapi) in their dashboards: set it to
//! `{public URL}/api/v1/webhooks/retell`,
//! `{public URL}/api/v1/webhooks/bolna?token={LEADLINE_WEBHOOK_TOKEN}` and
//! `{public URL}/api/v1/webhooks/vapi` (with the HMAC credential described
//! in `vapi`).
//!
//! Credentials are held as [`Secret`]s: their `Debug` hides them, and every
//! message that leaves an adapter has them cut out ([`Secret::redact`]), so
//! neither logs nor a failed call's error can carry them.
//!
//! This module holds what every adapter shares: [`ProviderName`], the
//! [`ProviderAdapter`] trait, [`Secret`] and the HTTP helpers. The worker
//! pool is in `pool`, callback authentication and parsing in `webhooks`,
//! reading the settings in `config`; their items are re-exported here.

pub mod bolna;
pub mod exotel;
pub mod retell;
pub mod twilio;
pub mod vapi;

mod config;
mod pool;
mod webhooks;

#[cfg(test)]
mod bolna_vapi_tests;
#[cfg(test)]
mod tests;

pub use config::{from_env, ProviderSetup};
pub use pool::{HttpPlacer, TokenBucket, PLACER_WORKERS};
pub(crate) use webhooks::{constant_time_eq, hmac_sha256_hex, parse_secs};
pub use webhooks::{
    signature_header, verify_token, Callback, CallbackError, TwilioWebhook, WebhookRequest,
    WebhookSecrets,
};

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::placer::OutboundCall;

pub use crate::limits::{
    PLACER_QUEUE_CALLS_MAX, PROVIDER_CONNECT_TIMEOUT_MS, PROVIDER_MESSAGE_BYTES_MAX,
    PROVIDER_REQUEST_TIMEOUT_MS, RATE_BURST_SECS,
};

/// A credential: never printed, and cut out of any text shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the secret replaced.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_owned();
        }
        text.replace(&self.0, "[redacted]")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The HTTP providers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProviderName {
    Exotel,
    Twilio,
    Retell,
    Bolna,
    Vapi,
}

impl ProviderName {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderName::Exotel => "exotel",
            ProviderName::Twilio => "twilio",
            ProviderName::Retell => "retell",
            ProviderName::Bolna => "bolna",
            ProviderName::Vapi => "vapi",
        }
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "exotel" => Ok(ProviderName::Exotel),
            "twilio" => Ok(ProviderName::Twilio),
            "retell" => Ok(ProviderName::Retell),
            "bolna" => Ok(ProviderName::Bolna),
            "vapi" => Ok(ProviderName::Vapi),
            _ => Err(format!("no provider named `{}`", echo(text))),
        }
    }
}

/// A provider refused a call, or could not be reached; the message is the
/// provider's own where it gave one, without credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceError(pub String);

impl fmt::Display for PlaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One provider's API: places a call and returns the provider's call id.
/// Blocking; runs on the placer's worker threads.
pub trait ProviderAdapter: Send + Sync {
    fn name(&self) -> ProviderName;
    /// The provider's request rate limit.
    fn requests_per_min_max(&self) -> u32;
    fn place(
        &self,
        client: &reqwest::blocking::Client,
        call: &OutboundCall,
    ) -> Result<String, PlaceError>;
}

/// The HTTP client every adapter uses, with explicit timeouts. Builds a
/// runtime of its own: call it outside any async context.
pub fn http_client() -> Result<reqwest::blocking::Client, String> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_millis(PROVIDER_REQUEST_TIMEOUT_MS))
        .connect_timeout(Duration::from_millis(PROVIDER_CONNECT_TIMEOUT_MS))
        .user_agent(concat!("leadline/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Sends a request and returns the JSON body of a success; a failure
/// becomes the provider's message (`message_of` picks it out of an error
/// body), with `secrets` cut out.
pub(crate) fn send_json(
    provider: ProviderName,
    request: reqwest::blocking::RequestBuilder,
    message_of: fn(&serde_json::Value) -> Option<String>,
    secrets: &[&Secret],
) -> Result<serde_json::Value, PlaceError> {
    let redact = |text: String| {
        let cut = secrets
            .iter()
            .fold(text, |text, secret| secret.redact(&text));
        PlaceError(truncate(&cut, PROVIDER_MESSAGE_BYTES_MAX))
    };
    let response = request
        .send()
        .map_err(|e| redact(format!("cannot reach {provider}: {}", error_chain(e))))?;
    let status = response.status();
    let body = response
        .text()
        .map_err(|e| redact(format!("reading {provider}'s answer: {}", error_chain(e))))?;
    let json: Option<serde_json::Value> = serde_json::from_str(&body).ok();
    if !status.is_success() {
        let message = json
            .as_ref()
            .and_then(message_of)
            .unwrap_or_else(|| truncate(body.trim(), 200));
        return Err(redact(format!(
            "{provider} refused the call (HTTP {}): {message}",
            status.as_u16()
        )));
    }
    json.ok_or_else(|| {
        redact(format!(
            "{provider} answered HTTP {} without JSON: {}",
            status.as_u16(),
            truncate(body.trim(), 200)
        ))
    })
}

/// An error and its causes, without the request URL (which can hold an
/// account id).
fn error_chain(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// At most `max_bytes` of `text`, cut at a character boundary.
pub(crate) use leadline_domain::text::{echo, truncate};
