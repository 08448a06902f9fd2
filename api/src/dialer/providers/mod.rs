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
//! | `LEADLINE_WEBHOOK_TOKEN` | exotel | secret put in the callback URL (`?token=`), 16+ characters |
//! | `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN` | twilio | Basic auth; the token also checks `X-Twilio-Signature` |
//! | `RETELL_API_KEY` | retell | Bearer auth; also the key of `x-retell-signature` |
//! | `LEADLINE_PUBLIC_URL` | exotel, twilio | how providers reach this server, e.g. `https://dialer.example.com`; callbacks go to `{it}/api/v1/webhooks/{provider}` |
//! | `LEADLINE_EXOTEL_API_BASE`, `LEADLINE_TWILIO_API_BASE`, `LEADLINE_RETELL_API_BASE` | each | replaces the provider's API origin (tests, proxies) |
//!
//! Retell calls back to the webhook URL set on the agent in Retell's
//! dashboard: set it to `{public URL}/api/v1/webhooks/retell`.
//!
//! Credentials are held as [`Secret`]s: their `Debug` hides them, and every
//! message that leaves an adapter has them cut out ([`Secret::redact`]), so
//! neither logs nor a failed call's error can carry them.

pub mod exotel;
pub mod retell;
pub mod twilio;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use leadline_domain::lead::{CallReport, ReportedCallState};
use leadline_domain::CallId;

use super::placer::{CallPlacer, OutboundCall, ProviderEvent};

/// Worker threads placing calls: enough to keep a provider busy at its
/// rate limit while a few requests wait on the network.
pub const PLACER_WORKERS: usize = 8;
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
}

impl ProviderName {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderName::Exotel => "exotel",
            ProviderName::Twilio => "twilio",
            ProviderName::Retell => "retell",
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

/// Compares in time independent of where the texts differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A token bucket: `capacity` requests at once, refilled at a steady rate.
#[derive(Debug)]
pub struct TokenBucket {
    capacity: f64,
    tokens: f64,
    per_sec: f64,
    last: Instant,
}

impl TokenBucket {
    /// A bucket for `requests_per_min` (at least one), full at `now`.
    pub fn per_minute(requests_per_min: u32, now: Instant) -> Self {
        let per_min = f64::from(requests_per_min.max(1));
        let per_sec = per_min / 60.0;
        let capacity = (per_sec * f64::from(RATE_BURST_SECS)).max(1.0);
        TokenBucket {
            capacity,
            tokens: capacity,
            per_sec,
            last: now,
        }
    }

    /// Takes a token at `now`, or says how long until there is one.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec))
        }
    }
}

/// The [`CallPlacer`] for HTTP providers.
pub struct HttpPlacer {
    queue: SyncSender<OutboundCall>,
    results: Receiver<ProviderEvent>,
    /// Events given back, or refusals decided here; polled first.
    pending: Vec<ProviderEvent>,
}

impl HttpPlacer {
    /// Starts [`PLACER_WORKERS`] threads placing calls through `adapter`.
    /// Call it outside any async context (it builds a blocking client).
    pub fn start(adapter: Arc<dyn ProviderAdapter>) -> Result<Self, String> {
        let client = http_client()?;
        let (queue, jobs) = mpsc::sync_channel::<OutboundCall>(PLACER_QUEUE_CALLS_MAX);
        let (report, results) = mpsc::channel();
        let jobs = Arc::new(Mutex::new(jobs));
        let bucket = Arc::new(Mutex::new(TokenBucket::per_minute(
            adapter.requests_per_min_max(),
            Instant::now(),
        )));
        for index in 0..PLACER_WORKERS {
            let worker = Worker {
                adapter: adapter.clone(),
                client: client.clone(),
                jobs: jobs.clone(),
                bucket: bucket.clone(),
                report: report.clone(),
            };
            std::thread::Builder::new()
                .name(format!("leadline-{}-{index}", adapter.name()))
                .spawn(move || worker.run())
                .map_err(|e| format!("cannot start a {} worker: {e}", adapter.name()))?;
        }
        Ok(HttpPlacer {
            queue,
            results,
            pending: Vec::new(),
        })
    }
}

/// One placing thread. It stops when the placer is dropped (the queue
/// closes) or the engine stops listening.
struct Worker {
    adapter: Arc<dyn ProviderAdapter>,
    client: reqwest::blocking::Client,
    jobs: Arc<Mutex<Receiver<OutboundCall>>>,
    bucket: Arc<Mutex<TokenBucket>>,
    report: mpsc::Sender<ProviderEvent>,
}

impl Worker {
    fn run(self) {
        loop {
            let next = match self.jobs.lock() {
                Ok(jobs) => jobs.recv(),
                Err(_) => return,
            };
            let Ok(call) = next else { return };
            self.wait_for_token();
            let event = match self.adapter.place(&self.client, &call) {
                Ok(provider_call_id) => ProviderEvent::Placed {
                    call_id: call.call_id,
                    lead_id: call.lead_id,
                    provider_call_id,
                },
                Err(error) => ProviderEvent::Refused {
                    call_id: call.call_id,
                    lead_id: call.lead_id,
                    error: error.0,
                },
            };
            if self.report.send(event).is_err() {
                return;
            }
        }
    }

    /// Sleeps until the rate limit allows a request; the lock is held only
    /// to take or count, never while sleeping.
    fn wait_for_token(&self) {
        loop {
            let wait = match self.bucket.lock() {
                Ok(mut bucket) => bucket.take(Instant::now()),
                Err(_) => return,
            };
            match wait {
                Ok(()) => return,
                Err(wait) => std::thread::sleep(wait),
            }
        }
    }
}

impl CallPlacer for HttpPlacer {
    fn start(&mut self, call: OutboundCall, _now: DateTime<Utc>) {
        match self.queue.try_send(call) {
            Ok(()) => {}
            Err(TrySendError::Full(call)) => self.pending.push(ProviderEvent::Refused {
                call_id: call.call_id,
                lead_id: call.lead_id,
                error: format!(
                    "not placed: {PLACER_QUEUE_CALLS_MAX} calls are already waiting for the provider"
                ),
            }),
            Err(TrySendError::Disconnected(call)) => self.pending.push(ProviderEvent::Refused {
                call_id: call.call_id,
                lead_id: call.lead_id,
                error: "not placed: the provider's workers stopped".into(),
            }),
        }
    }

    fn poll(&mut self, _now: DateTime<Utc>) -> Vec<ProviderEvent> {
        let mut events = std::mem::take(&mut self.pending);
        events.extend(self.results.try_iter());
        events
    }

    fn put_back(&mut self, events: Vec<ProviderEvent>) {
        self.pending.extend(events);
    }

    /// Results arrive from the workers at any time; the engine's own wake
    /// (at most a quarter second) picks them up.
    fn next_due(&self) -> Option<DateTime<Utc>> {
        None
    }

    /// A call placed before a restart reports through the webhook, or is
    /// reclaimed when stale: nothing to do.
    fn resume(&mut self, _call: OutboundCall) {}
}

/// A provider's word on a call, authenticated and parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callback {
    /// The provider's id for the call.
    pub provider_call_id: String,
    /// Our id for the call, when the provider echoes it back (Retell's
    /// metadata, Exotel's CustomField): found even if the acceptance was
    /// not recorded yet.
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
        ProviderName::Exotel => None,
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

/// Configuration read from the environment.
pub struct ProviderSetup {
    pub adapter: Arc<dyn ProviderAdapter>,
    pub webhooks: WebhookSecrets,
}

/// Reads `provider`'s settings through `env` (a lookup, so tests need not
/// touch the process environment). Every missing variable is named in the
/// one error.
pub fn from_env(
    provider: ProviderName,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ProviderSetup, String> {
    let mut missing = Vec::new();
    let mut required = |name: &'static str| {
        let value = env(name).filter(|v| !v.trim().is_empty());
        if value.is_none() {
            missing.push(name);
        }
        value.unwrap_or_default()
    };
    let setup = match provider {
        ProviderName::Exotel => {
            let api_key = Secret::new(required("EXOTEL_API_KEY"));
            let api_token = Secret::new(required("EXOTEL_API_TOKEN"));
            let account_sid = required("EXOTEL_ACCOUNT_SID");
            let public_url = required("LEADLINE_PUBLIC_URL");
            let token = Secret::new(required("LEADLINE_WEBHOOK_TOKEN"));
            let subdomain = env("EXOTEL_SUBDOMAIN").unwrap_or_else(|| "api.exotel.com".into());
            let api_base = env("LEADLINE_EXOTEL_API_BASE")
                .unwrap_or_else(|| format!("https://{}", subdomain.trim_matches('/')));
            if !missing.is_empty() {
                return Err(missing_error(provider, &missing));
            }
            if token.expose().len() < exotel::WEBHOOK_TOKEN_BYTES_MIN {
                return Err(format!(
                    "LEADLINE_WEBHOOK_TOKEN must be at least {} characters",
                    exotel::WEBHOOK_TOKEN_BYTES_MIN
                ));
            }
            ProviderSetup {
                adapter: Arc::new(exotel::Exotel {
                    api_base: checked_url("LEADLINE_EXOTEL_API_BASE", &api_base)?,
                    account_sid,
                    api_key,
                    api_token,
                    public_url: checked_url("LEADLINE_PUBLIC_URL", &public_url)?,
                    webhook_token: token.clone(),
                }),
                webhooks: WebhookSecrets {
                    exotel_token: Some(token),
                    ..WebhookSecrets::default()
                },
            }
        }
        ProviderName::Twilio => {
            let account_sid = required("TWILIO_ACCOUNT_SID");
            let auth_token = Secret::new(required("TWILIO_AUTH_TOKEN"));
            let public_url = required("LEADLINE_PUBLIC_URL");
            let api_base =
                env("LEADLINE_TWILIO_API_BASE").unwrap_or_else(|| twilio::API_BASE.into());
            if !missing.is_empty() {
                return Err(missing_error(provider, &missing));
            }
            let public_url = checked_url("LEADLINE_PUBLIC_URL", &public_url)?;
            ProviderSetup {
                adapter: Arc::new(twilio::Twilio {
                    api_base: checked_url("LEADLINE_TWILIO_API_BASE", &api_base)?,
                    account_sid,
                    auth_token: auth_token.clone(),
                    public_url: public_url.clone(),
                }),
                webhooks: WebhookSecrets {
                    twilio: Some(TwilioWebhook {
                        auth_token,
                        public_url,
                    }),
                    ..WebhookSecrets::default()
                },
            }
        }
        ProviderName::Retell => {
            let api_key = Secret::new(required("RETELL_API_KEY"));
            let api_base =
                env("LEADLINE_RETELL_API_BASE").unwrap_or_else(|| retell::API_BASE.into());
            if !missing.is_empty() {
                return Err(missing_error(provider, &missing));
            }
            ProviderSetup {
                adapter: Arc::new(retell::Retell {
                    api_base: checked_url("LEADLINE_RETELL_API_BASE", &api_base)?,
                    api_key: api_key.clone(),
                }),
                webhooks: WebhookSecrets {
                    retell_api_key: Some(api_key),
                    ..WebhookSecrets::default()
                },
            }
        }
    };
    Ok(setup)
}

fn missing_error(provider: ProviderName, missing: &[&str]) -> String {
    format!(
        "--provider {provider} needs these environment variables: {}",
        missing.join(", ")
    )
}

/// An http(s) origin or base URL, without a trailing slash.
fn checked_url(variable: &str, url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url.to_owned())
    } else {
        Err(format!(
            "{variable} must start with https:// or http:// (got `{}`)",
            echo(url)
        ))
    }
}
