//! Talking to a running `leadline serve`: JSON answers, problem+json
//! errors turned into messages a user can act on.

use std::io::Read;
use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::StatusCode;
use serde_json::Value;

use super::output::Failure;
use crate::limits::{ANSWER_BYTES_MAX, QUOTED_BYTES_MAX};

/// How long to wait for the server to accept a connection.
const CONNECT_TIMEOUT_S: u64 = 10;

/// A running server, with the key to ask it.
pub struct Remote {
    client: Client,
    base: String,
    key: String,
    timeout: Duration,
}

impl Remote {
    /// `timeout` bounds a whole request, upload and answer included.
    pub fn new(url: &str, key: &str, timeout: Duration) -> Result<Remote, Failure> {
        let parsed = reqwest::Url::parse(url).map_err(|e| {
            format!("--url `{url}` is not a URL ({e}); give it like http://127.0.0.1:8080")
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("--url `{url}` must start with http:// or https://").into());
        }
        let client = Client::builder()
            .connect_timeout(Duration::from_secs(CONNECT_TIMEOUT_S))
            .timeout(timeout)
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {}", chain(&e)))?;
        Ok(Remote {
            client,
            base: url.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
            timeout,
        })
    }

    /// The server's base URL, for messages.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// A request to `path` (from `/api/v1/…`) with the key.
    pub fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
    }

    pub fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, Failure> {
        self.send(self.request(reqwest::Method::GET, path).query(query))
    }

    pub fn post(&self, path: &str, query: &[(&str, String)]) -> Result<Value, Failure> {
        self.send(self.request(reqwest::Method::POST, path).query(query))
    }

    /// Sends the request; a 2xx answer's JSON, or the server's problem as
    /// a message.
    pub fn send(&self, request: RequestBuilder) -> Result<Value, Failure> {
        let response = request.send().map_err(|e| self.request_failed(&e))?;
        let status = response.status();
        let body = self.read_body(response)?;
        if !status.is_success() {
            return Err(problem(status, &body).into());
        }
        serde_json::from_slice(&body).map_err(|e| {
            format!(
                "the server at {} answered {status} with something other than JSON ({e}): {}",
                self.base,
                quote(&body)
            )
            .into()
        })
    }

    fn read_body(&self, response: Response) -> Result<Vec<u8>, Failure> {
        let mut body = Vec::new();
        response
            .take(ANSWER_BYTES_MAX + 1)
            .read_to_end(&mut body)
            .map_err(|e| format!("reading the answer from {}: {e}", self.base))?;
        if body.len() as u64 > ANSWER_BYTES_MAX {
            return Err(format!(
                "the answer from {} is over {} MiB; is --url pointing at a Leadline server?",
                self.base,
                ANSWER_BYTES_MAX / (1024 * 1024)
            )
            .into());
        }
        Ok(body)
    }

    fn request_failed(&self, error: &reqwest::Error) -> Failure {
        let message = if error.is_connect() {
            format!(
                "cannot connect to the server at {} ({}); is `leadline serve` running there? \
                 Set --url or LEADLINE_URL to its address",
                self.base,
                chain(error)
            )
        } else if error.is_timeout() {
            format!(
                "the server at {} did not answer within {} s",
                self.base,
                self.timeout.as_secs()
            )
        } else {
            format!("the request to {} failed: {}", self.base, chain(error))
        };
        Failure::Message(message)
    }
}

/// A 4xx/5xx answer as a message: the problem's title and detail, and
/// what to do about the usual ones.
fn problem(status: StatusCode, body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|p| p.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let title = field("title")
        .or_else(|| status.canonical_reason().map(str::to_owned))
        .unwrap_or_else(|| "error".to_owned());
    let detail = field("detail").unwrap_or_else(|| quote(body));
    let hint = match status {
        StatusCode::UNAUTHORIZED => "; check --key or LEADLINE_API_KEY",
        StatusCode::FORBIDDEN if !detail.contains("admin key") => "; this needs the admin key",
        _ => "",
    };
    if detail.is_empty() {
        format!("{title} (HTTP {}){hint}", status.as_u16())
    } else {
        format!("{title} (HTTP {}): {detail}{hint}", status.as_u16())
    }
}

fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let cut = leadline_domain::text::truncate(text, QUOTED_BYTES_MAX);
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// An error and its causes: reqwest's own message alone ("error sending
/// request") does not say what went wrong.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A string field of a JSON object, or a number shown as text.
pub fn text_of(value: &Value, name: &str) -> String {
    match value.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}
