//! Black-box test of a real provider round trip: `leadline serve
//! --provider twilio` places calls on a mock Twilio API (wiremock, in this
//! process), and signed status callbacks to `/api/v1/webhooks/twilio` end
//! them.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::Server;
use leadline::dialer::providers::{twilio, Secret};
use reqwest::blocking::Client;
use reqwest::StatusCode;
use serde_json::{json, Value};
use wiremock::matchers::{basic_auth, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ADMIN_KEY: &str = "admin-key-for-the-webhook-tests";
const ACCOUNT_SID: &str = "AC00000000000000000000000000000001";
const AUTH_TOKEN: &str = "twilio-auth-token-for-tests";
/// What the server is told Twilio reaches it at; Twilio signs this URL.
const PUBLIC_URL: &str = "https://dialer.example.test";
const CALLBACK_URL: &str = "https://dialer.example.test/api/v1/webhooks/twilio";

/// Twilio's Calls API: accepts every call with a fresh sid.
struct AcceptCalls(AtomicUsize);

impl Respond for AcceptCalls {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(201).set_body_json(json!({
            "sid": format!("CA{n:032}"),
            "status": "queued",
        }))
    }
}

struct Api {
    client: Client,
    base: String,
}

impl Api {
    fn send(&self, request: reqwest::blocking::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().expect("request");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body: Value = response.json().unwrap_or(Value::Null);
        if !status.is_success() {
            assert_eq!(content_type, "application/problem+json", "{status}: {body}");
            assert_eq!(body["status"], status.as_u16(), "{body}");
        }
        (status, body)
    }

    fn get(&self, key: &str, path: &str) -> Value {
        let (status, body) = self.send(
            self.client
                .get(format!("{}{path}", self.base))
                .bearer_auth(key),
        );
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }

    fn post(&self, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            self.client
                .post(format!("{}{path}", self.base))
                .bearer_auth(key)
                .json(&body),
        )
    }

    /// A Twilio status callback, signed with `signature` (computed when
    /// `None`).
    fn callback(&self, params: &[(&str, &str)], signature: Option<&str>) -> (StatusCode, Value) {
        let pairs: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let signed =
            twilio::signature(&Secret::new(AUTH_TOKEN), CALLBACK_URL, &pairs).expect("signature");
        self.send(
            self.client
                .post(format!("{}/api/v1/webhooks/twilio", self.base))
                .header("X-Twilio-Signature", signature.unwrap_or(&signed))
                .form(&pairs),
        )
    }

    fn position(&self) -> u64 {
        self.get(ADMIN_KEY, "/healthz")["position"]
            .as_u64()
            .expect("position")
    }
}

/// Polls `check` until it holds or 20 seconds pass.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn twilio_calls_are_placed_and_ended_by_signed_callbacks() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let twilio_api = runtime.block_on(MockServer::start());
    runtime.block_on(
        Mock::given(method("POST"))
            .and(path(format!(
                "/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
            )))
            .and(basic_auth(ACCOUNT_SID, AUTH_TOKEN))
            .respond_with(AcceptCalls(AtomicUsize::new(1)))
            .mount(&twilio_api),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let twilio_base = twilio_api.uri();
    let server = Server::start_with(
        dir.path(),
        ADMIN_KEY,
        &["--provider", "twilio"],
        &[
            ("TWILIO_ACCOUNT_SID", ACCOUNT_SID),
            ("TWILIO_AUTH_TOKEN", AUTH_TOKEN),
            ("LEADLINE_PUBLIC_URL", PUBLIC_URL),
            ("LEADLINE_TWILIO_API_BASE", &twilio_base),
        ],
    );
    let api = Api {
        client: Client::new(),
        base: server.url.clone(),
    };

    // Given a campaign of two leads on Twilio, started.
    let (status, user) = api.post(ADMIN_KEY, "/api/v1/users", json!({"name": "Asha"}));
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let key = user["api_key"].as_str().expect("key").to_owned();
    let (status, campaign) = api.post(
        &key,
        "/api/v1/campaigns",
        json!({"name": "Renewals", "detect_voicemail": true, "retry": {"max_attempts": 1},
            "provider": {"caller_id": "+15005550006", "next_action": "https://example.test/twiml"}}),
    );
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    assert_eq!(campaign["detect_voicemail"], true, "{campaign}");
    let campaign = campaign["id"].as_str().expect("id").to_owned();
    let (status, imported) = api.post(
        &key,
        &format!("/api/v1/campaigns/{campaign}/leads"),
        json!({"leads": [{"phone": "+14155550100"}, {"phone": "+14155550107"}]}),
    );
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(imported["imported"], 2);
    let (status, started) = api.post(
        &key,
        &format!("/api/v1/campaigns/{campaign}/start"),
        json!({}),
    );
    assert_eq!(status, StatusCode::OK, "{started}");

    // Then Twilio is asked for both calls, as the campaign says.
    eventually("Twilio to receive two calls", || {
        runtime
            .block_on(twilio_api.received_requests())
            .is_some_and(|requests| requests.len() == 2)
    });
    let requests = runtime
        .block_on(twilio_api.received_requests())
        .expect("recorded");
    let mut dialed: Vec<String> = requests
        .iter()
        .map(|request| {
            let form: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&request.body).expect("form");
            let field = |name: &str| {
                form.iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            assert_eq!(field("From"), "+15005550006");
            assert_eq!(field("Url"), "https://example.test/twiml");
            assert_eq!(field("StatusCallback"), CALLBACK_URL);
            assert_eq!(field("MachineDetection"), "Enable");
            field("To")
        })
        .collect();
    dialed.sort();
    assert_eq!(dialed, ["+14155550100", "+14155550107"]);

    // And the call log learns Twilio's ids.
    let calls_path = format!("/api/v1/calls?campaign_id={campaign}");
    let mut sids = Vec::new();
    eventually("both calls to carry Twilio's sid", || {
        sids = api.get(&key, &calls_path)["calls"]
            .as_array()
            .map(|calls| {
                calls
                    .iter()
                    .filter_map(|c| c["provider_call_id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        sids.len() == 2
    });

    // When Twilio reports both calls completed: a person answered the
    // first, a machine the second.
    for (sid, answered_by) in sids.iter().zip(["human", "machine_end_beep"]) {
        let (status, answer) = api.callback(
            &[
                ("AccountSid", ACCOUNT_SID),
                ("CallSid", sid),
                ("CallStatus", "completed"),
                ("CallDuration", "12"),
                ("AnsweredBy", answered_by),
                ("To", "+14155550100"),
            ],
            None,
        );
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["recorded"], true, "{answer}");
    }

    // Then one lead is answered and one reached voicemail, everywhere.
    let leads = api.get(&key, &format!("/api/v1/campaigns/{campaign}/leads"));
    let mut statuses: Vec<&str> = leads["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .filter_map(|l| l["status"].as_str())
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["answered", "voicemail"], "{leads}");
    let stats = api.get(&key, &format!("/api/v1/campaigns/{campaign}/stats"));
    assert_eq!(stats["answered"], 1, "{stats}");
    assert_eq!(stats["called"], 2, "{stats}");
    assert_eq!(stats["by_status"]["voicemail"], 1, "{stats}");
    assert_eq!(stats["in_flight"], 0, "{stats}");
    let calls = api.get(&key, &calls_path);
    let mut call_statuses: Vec<&str> = calls["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .inspect(|c| assert_eq!(c["duration_secs"], 12, "{c}"))
        .filter_map(|c| c["status"].as_str())
        .collect();
    call_statuses.sort_unstable();
    assert_eq!(call_statuses, ["answered", "voicemail"], "{calls}");
    let events = api.get(ADMIN_KEY, "/api/v1/events?limit=1000");
    let ended: Vec<&str> = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .filter(|t| *t == "CallAnswered" || *t == "CallVoicemail")
        .collect();
    assert_eq!(ended.len(), 2, "{ended:?}");
    assert!(ended.contains(&"CallVoicemail"), "{ended:?}");

    // With nothing left to call (one attempt per lead), the campaign
    // completes by itself.
    eventually("the campaign to complete", || {
        api.get(&key, &format!("/api/v1/campaigns/{campaign}"))["status"] == "completed"
    });

    // A repeat, and a late "ringing", change nothing.
    let position = api.position();
    let completed = [
        ("CallSid", sids[0].as_str()),
        ("CallStatus", "completed"),
        ("CallDuration", "12"),
    ];
    let (status, answer) = api.callback(&completed, None);
    assert_eq!(
        (status, &answer["recorded"]),
        (StatusCode::OK, &json!(false)),
        "{answer}"
    );
    let (status, answer) = api.callback(
        &[("CallSid", sids[1].as_str()), ("CallStatus", "ringing")],
        None,
    );
    assert_eq!(
        (status, &answer["recorded"]),
        (StatusCode::OK, &json!(false)),
        "{answer}"
    );
    assert_eq!(api.position(), position);

    // A forged callback is refused, and records nothing.
    let (status, _) = api.callback(&completed, Some("bm90IGEgc2lnbmF0dXJlIGF0IGFsbA=="));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api.send(
        api.client
            .post(format!("{}/api/v1/webhooks/twilio", api.base))
            .form(&completed),
    );
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // An unknown call is 404 (Twilio may retry), and junk is refused.
    let (status, _) = api.callback(
        &[("CallSid", "CA-unknown"), ("CallStatus", "completed")],
        None,
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.callback(
        &[("CallSid", sids[0].as_str()), ("CallStatus", "exploded")],
        None,
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A provider this server does not use.
    let (status, _) = api.send(
        api.client
            .post(format!("{}/api/v1/webhooks/retell", api.base))
            .json(&json!({"event": "call_ended", "call": {"call_id": "r-1"}})),
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(api.position(), position);
    assert!(server.terminate().success());
}

#[test]
fn a_provider_without_its_settings_does_not_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = common::leadline()
        .env_remove("TWILIO_ACCOUNT_SID")
        .env_remove("TWILIO_AUTH_TOKEN")
        .env_remove("LEADLINE_PUBLIC_URL")
        .env("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
        .arg("serve")
        .arg("--data")
        .arg(dir.path())
        .args(["--bind", "127.0.0.1:0", "--admin-key", ADMIN_KEY])
        .args(["--provider", "twilio"])
        .output()
        .expect("run leadline serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("TWILIO_ACCOUNT_SID") && stderr.contains("LEADLINE_PUBLIC_URL"),
        "{stderr}"
    );
    assert!(!stderr.contains(AUTH_TOKEN), "{stderr}");
}
