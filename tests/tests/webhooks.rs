//! Black-box tests of real provider round trips: `leadline serve
//! --provider twilio|vapi|bolna` places calls on a mock provider API
//! (wiremock, in this process), and authenticated callbacks to
//! `/api/v1/webhooks/{provider}` end them.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::Server;
use leadline::dialer::providers::{twilio, vapi, Secret};
use reqwest::StatusCode;
use serde_json::{json, Value};
use wiremock::matchers::{basic_auth, bearer_token, method, path};
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

common::http::api_client!();

impl Api {
    /// A GET that must succeed: its JSON body.
    fn get_ok(&self, key: &str, path: &str) -> Value {
        let (status, body) = self.get(key, path);
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
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
        self.call(
            self.client
                .post(format!("{}/api/v1/webhooks/twilio", self.base))
                .header("X-Twilio-Signature", signature.unwrap_or(&signed))
                .form(&pairs),
        )
    }

    fn position(&self) -> u64 {
        self.get_ok(ADMIN_KEY, "/healthz")["position"]
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
    let api = Api::new(&server);

    // Given a campaign of two leads on Twilio, started.
    let (status, user) = api.post(ADMIN_KEY, "/api/v1/users", json!({"name": "Asha"}));
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let key = user["api_key"].as_str().expect("key").to_owned();
    let (status, campaign) = api.post(
        &key,
        "/api/v1/campaigns",
        // Dialed on the real clock at any hour: jurisdiction rules off.
        json!({"name": "Renewals", "detect_voicemail": true, "retry": {"max_attempts": 1},
            "jurisdiction_rules": false,
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
        sids = api.get_ok(&key, &calls_path)["calls"]
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
    let leads = api.get_ok(&key, &format!("/api/v1/campaigns/{campaign}/leads"));
    let mut statuses: Vec<&str> = leads["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .filter_map(|l| l["status"].as_str())
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["answered", "voicemail"], "{leads}");
    let stats = api.get_ok(&key, &format!("/api/v1/campaigns/{campaign}/stats"));
    assert_eq!(stats["answered"], 1, "{stats}");
    assert_eq!(stats["called"], 2, "{stats}");
    assert_eq!(stats["by_status"]["voicemail"], 1, "{stats}");
    assert_eq!(stats["in_flight"], 0, "{stats}");
    let calls = api.get_ok(&key, &calls_path);
    let mut call_statuses: Vec<&str> = calls["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .inspect(|c| assert_eq!(c["duration_secs"], 12, "{c}"))
        .filter_map(|c| c["status"].as_str())
        .collect();
    call_statuses.sort_unstable();
    assert_eq!(call_statuses, ["answered", "voicemail"], "{calls}");
    let events = api.get_ok(ADMIN_KEY, "/api/v1/events?limit=1000");
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
        api.get_ok(&key, &format!("/api/v1/campaigns/{campaign}"))["status"] == "completed"
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
    let (status, _) = api.call(
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
    let (status, _) = api.call(
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

/// A JSON provider API that accepts every call: `extra` with
/// `id_field` set to `{prefix}{n}`.
struct AcceptJsonCalls {
    next: AtomicUsize,
    id_field: &'static str,
    prefix: &'static str,
    extra: Value,
}

impl Respond for AcceptJsonCalls {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let mut body = self.extra.clone();
        body[self.id_field] = json!(format!("{}{n}", self.prefix));
        ResponseTemplate::new(201).set_body_json(body)
    }
}

impl Api {
    /// A user with a campaign of two leads on `provider`, started: the
    /// user's key and the campaign's id.
    fn started_campaign(&self, provider: Value) -> (String, String) {
        let (status, user) = self.post(ADMIN_KEY, "/api/v1/users", json!({"name": "Asha"}));
        assert_eq!(status, StatusCode::CREATED, "{user}");
        let key = user["api_key"].as_str().expect("key").to_owned();
        let (status, campaign) = self.post(
            &key,
            "/api/v1/campaigns",
            // Dialed on the real clock at any hour: jurisdiction rules off.
            json!({"name": "EMI reminder", "provider": provider, "jurisdiction_rules": false}),
        );
        assert_eq!(status, StatusCode::CREATED, "{campaign}");
        let campaign = campaign["id"].as_str().expect("id").to_owned();
        let (status, imported) = self.post(
            &key,
            &format!("/api/v1/campaigns/{campaign}/leads"),
            json!({"leads": [
                {"phone": "+14155550100", "name": "Ravi", "fields": {"loan_id": "LN-1"}},
                {"phone": "+14155550107"},
            ]}),
        );
        assert_eq!(status, StatusCode::OK, "{imported}");
        let (status, started) = self.post(
            &key,
            &format!("/api/v1/campaigns/{campaign}/start"),
            json!({}),
        );
        assert_eq!(status, StatusCode::OK, "{started}");
        (key, campaign)
    }

    /// Our call ids by the provider's, once every call has one: sorted by
    /// the provider's id.
    fn placed_calls(&self, key: &str, campaign: &str, count: usize) -> Vec<(String, String)> {
        let path = format!("/api/v1/calls?campaign_id={campaign}");
        let mut calls = Vec::new();
        eventually("every call to carry the provider's id", || {
            calls = self.get_ok(key, &path)["calls"]
                .as_array()
                .map(|calls| {
                    calls
                        .iter()
                        .filter_map(|c| {
                            let theirs = c["provider_call_id"].as_str()?;
                            let ours = c["id"].as_str()?;
                            Some((theirs.to_owned(), ours.to_owned()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            calls.len() == count
        });
        calls.sort();
        calls
    }

    /// The calls' statuses, sorted.
    fn call_statuses(&self, key: &str, campaign: &str) -> Vec<String> {
        let calls = self.get_ok(key, &format!("/api/v1/calls?campaign_id={campaign}"));
        let mut statuses: Vec<String> = calls["calls"]
            .as_array()
            .expect("calls")
            .iter()
            .filter_map(|c| c["status"].as_str().map(str::to_owned))
            .collect();
        statuses.sort();
        statuses
    }

    /// A JSON callback to `path_and_query`, with `headers`, exactly as
    /// `body` (the bytes a signature covers).
    fn raw_callback(
        &self,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}{path_and_query}", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.call(request)
    }
}

/// The JSON bodies a mock provider API received, in order.
fn received_bodies(
    runtime: &tokio::runtime::Runtime,
    server: &MockServer,
    count: usize,
) -> Vec<Value> {
    eventually("the provider to receive every call", || {
        runtime
            .block_on(server.received_requests())
            .is_some_and(|requests| requests.len() == count)
    });
    runtime
        .block_on(server.received_requests())
        .expect("recorded")
        .iter()
        .map(|request| serde_json::from_slice(&request.body).expect("JSON body"))
        .collect()
}

const VAPI_KEY: &str = "vapi-private-key-for-tests";
const VAPI_SECRET: &str = "vapi-hmac-secret-for-tests";

/// A Vapi server message about `call_id`, as Vapi posts it.
fn vapi_message(kind: &str, call_id: &str, ours: &str, ended_reason: Option<&str>) -> String {
    let mut message = json!({
        "timestamp": 1_767_225_612_500_u64,
        "type": kind,
        "call": {
            "id": call_id,
            "type": "outboundPhoneCall",
            "assistantId": "asst-emi",
            "phoneNumberId": "pn-emi",
            "assistantOverrides": {"metadata": {"leadline_call_id": ours}},
        },
        "startedAt": "2026-01-01T00:00:00.000Z",
        "endedAt": "2026-01-01T00:00:12.000Z",
    });
    if kind == "status-update" {
        message["status"] = json!("in-progress");
    }
    if let Some(reason) = ended_reason {
        message["endedReason"] = json!(reason);
        message["artifact"] = json!({"transcript": "AI: Hello.\nUser: Hi.", "messages": []});
        message["analysis"] = json!({"summary": "The customer will pay."});
    }
    json!({ "message": message }).to_string()
}

fn vapi_signed(body: &str) -> String {
    vapi::signature(&Secret::new(VAPI_SECRET), body.as_bytes())
}

#[test]
fn vapi_calls_are_placed_and_ended_by_signed_reports() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let vapi_api = runtime.block_on(MockServer::start());
    runtime.block_on(
        Mock::given(method("POST"))
            .and(path("/call"))
            .and(bearer_token(VAPI_KEY))
            .respond_with(AcceptJsonCalls {
                next: AtomicUsize::new(1),
                id_field: "id",
                prefix: "vapi-call-",
                extra: json!({"type": "outboundPhoneCall", "status": "queued"}),
            })
            .mount(&vapi_api),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let vapi_base = vapi_api.uri();
    let server = Server::start_with(
        dir.path(),
        ADMIN_KEY,
        &["--provider", "vapi"],
        &[
            ("VAPI_API_KEY", VAPI_KEY),
            ("VAPI_WEBHOOK_SECRET", VAPI_SECRET),
            ("VAPI_PHONE_NUMBER_ID", "pn-server-default"),
            ("LEADLINE_VAPI_API_BASE", &vapi_base),
        ],
    );
    let api = Api::new(&server);

    // Given a campaign on a Vapi assistant and phone number, started.
    let (key, campaign) =
        api.started_campaign(json!({"agent_id": "asst-emi", "phone_number_id": "pn-emi"}));

    // Then Vapi is asked for both calls, as the campaign says.
    let bodies = received_bodies(&runtime, &vapi_api, 2);
    let mut dialed: Vec<&str> = bodies
        .iter()
        .map(|body| {
            assert_eq!(body["assistantId"], "asst-emi", "{body}");
            assert_eq!(body["phoneNumberId"], "pn-emi", "{body}");
            // The lead's name and columns are the assistant's variables.
            let variables = &body["assistantOverrides"]["variableValues"];
            if body["customer"]["number"] == "+14155550100" {
                assert_eq!(
                    variables,
                    &json!({"name": "Ravi", "loan_id": "LN-1"}),
                    "{body}"
                );
            } else {
                assert!(variables.is_null(), "{body}");
            }
            assert!(
                body["assistantOverrides"]["metadata"]["leadline_call_id"].is_string(),
                "{body}"
            );
            body["customer"]["number"].as_str().unwrap_or_default()
        })
        .collect();
    dialed.sort_unstable();
    assert_eq!(dialed, ["+14155550100", "+14155550107"]);
    let calls = api.placed_calls(&key, &campaign, 2);

    // A status update records nothing.
    let update = vapi_message("status-update", &calls[0].0, &calls[0].1, None);
    let (status, answer) = api.raw_callback(
        "/api/v1/webhooks/vapi",
        &[("x-vapi-signature", &vapi_signed(&update))],
        &update,
    );
    assert_eq!(
        (status, &answer["recorded"]),
        (StatusCode::OK, &json!(false)),
        "{answer}"
    );

    // When Vapi reports one call ended by the customer, the other reaching
    // voicemail.
    let ended = vapi_message(
        "end-of-call-report",
        &calls[0].0,
        &calls[0].1,
        Some("customer-ended-call"),
    );
    let machine = vapi_message(
        "end-of-call-report",
        &calls[1].0,
        &calls[1].1,
        Some("voicemail"),
    );
    for report in [&ended, &machine] {
        let (status, answer) = api.raw_callback(
            "/api/v1/webhooks/vapi",
            &[("x-vapi-signature", &vapi_signed(report))],
            report,
        );
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["recorded"], true, "{answer}");
    }

    // Then the calls are answered and voicemail, and the lead says so.
    assert_eq!(
        api.call_statuses(&key, &campaign),
        ["answered", "voicemail"]
    );
    let stats = api.get_ok(&key, &format!("/api/v1/campaigns/{campaign}/stats"));
    assert_eq!(stats["by_status"]["voicemail"], 1, "{stats}");
    assert_eq!(stats["answered"], 1, "{stats}");

    // A repeat, and a late status update, change nothing.
    let position = api.position();
    for message in [&ended, &update] {
        let (status, answer) = api.raw_callback(
            "/api/v1/webhooks/vapi",
            &[("x-vapi-signature", &vapi_signed(message))],
            message,
        );
        assert_eq!(
            (status, &answer["recorded"]),
            (StatusCode::OK, &json!(false)),
            "{answer}"
        );
    }

    // A forged or unsigned report is refused (problem+json), and records nothing.
    let forged = vapi_message(
        "end-of-call-report",
        &calls[0].0,
        &calls[0].1,
        Some("voicemail"),
    );
    let (status, problem) = api.raw_callback(
        "/api/v1/webhooks/vapi",
        &[("x-vapi-signature", &vapi_signed(&ended))],
        &forged,
    );
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("x-vapi-signature")),
        "{problem}"
    );
    let (status, _) = api.raw_callback("/api/v1/webhooks/vapi", &[], &forged);
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Signed junk is a bad request; a signed report without a call, unprocessable.
    let junk = "not json";
    let (status, _) = api.raw_callback(
        "/api/v1/webhooks/vapi",
        &[("x-vapi-signature", &vapi_signed(junk))],
        junk,
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let no_call =
        json!({"message": {"type": "end-of-call-report", "endedReason": "voicemail"}}).to_string();
    let (status, _) = api.raw_callback(
        "/api/v1/webhooks/vapi",
        &[("x-vapi-signature", &vapi_signed(&no_call))],
        &no_call,
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.position(), position);
    assert!(server.terminate().success());
}

const BOLNA_KEY: &str = "bn-bolna-api-key-for-tests";
const BOLNA_TOKEN: &str = "bolna-webhook-token-for-tests";

/// A Bolna execution about `execution_id`, as Bolna posts it.
fn bolna_execution(execution_id: &str, ours: &str, status: &str) -> String {
    json!({
        "id": execution_id,
        "agent_id": "123e4567-e89b-12d3-a456-426655440000",
        "conversation_duration": 11.5,
        "total_cost": 2.52,
        "status": status,
        "error_message": null,
        "answered_by_voice_mail": false,
        "transcript": "assistant: Namaste, this is a reminder about your EMI.",
        "telephony_data": {
            "duration": "12",
            "to_number": "+14155550100",
            "from_number": "+15005550006",
            "provider": "plivo",
            "hangup_by": "Callee",
            "hangup_reason": "Call recipient hungup",
            "hangup_provider_code": 4000,
        },
        "context_details": {
            "recipient_data": {"leadline_call_id": ours},
            "recipient_phone_number": "+14155550100",
        },
    })
    .to_string()
}

#[test]
fn bolna_calls_are_placed_and_ended_by_executions_with_the_token() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let bolna_api = runtime.block_on(MockServer::start());
    runtime.block_on(
        Mock::given(method("POST"))
            .and(path("/call"))
            .and(bearer_token(BOLNA_KEY))
            .respond_with(AcceptJsonCalls {
                next: AtomicUsize::new(1),
                id_field: "execution_id",
                prefix: "exec-",
                extra: json!({"message": "done", "status": "queued"}),
            })
            .mount(&bolna_api),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let bolna_base = bolna_api.uri();
    let server = Server::start_with(
        dir.path(),
        ADMIN_KEY,
        &["--provider", "bolna"],
        &[
            ("BOLNA_API_KEY", BOLNA_KEY),
            ("LEADLINE_WEBHOOK_TOKEN", BOLNA_TOKEN),
            ("LEADLINE_BOLNA_API_BASE", &bolna_base),
        ],
    );
    let api = Api::new(&server);
    let webhook = format!("/api/v1/webhooks/bolna?token={BOLNA_TOKEN}");

    // Given a campaign on a Bolna agent, started.
    let (key, campaign) = api.started_campaign(json!({
        "agent_id": "123e4567-e89b-12d3-a456-426655440000",
        "caller_id": "+15005550006",
    }));

    // Then Bolna is asked for both calls, as the campaign says.
    let bodies = received_bodies(&runtime, &bolna_api, 2);
    let mut dialed: Vec<&str> = bodies
        .iter()
        .map(|body| {
            assert_eq!(body["agent_id"], "123e4567-e89b-12d3-a456-426655440000");
            assert_eq!(body["from_phone_number"], "+15005550006", "{body}");
            assert!(body["user_data"]["leadline_call_id"].is_string(), "{body}");
            if body["recipient_phone_number"] == "+14155550100" {
                assert_eq!(body["user_data"]["name"], "Ravi", "{body}");
                assert_eq!(body["user_data"]["loan_id"], "LN-1", "{body}");
            }
            body["recipient_phone_number"].as_str().unwrap_or_default()
        })
        .collect();
    dialed.sort_unstable();
    assert_eq!(dialed, ["+14155550100", "+14155550107"]);
    let calls = api.placed_calls(&key, &campaign, 2);

    // Progress records nothing.
    let ringing = bolna_execution(&calls[0].0, &calls[0].1, "ringing");
    let (status, answer) = api.raw_callback(&webhook, &[], &ringing);
    assert_eq!(
        (status, &answer["recorded"]),
        (StatusCode::OK, &json!(false)),
        "{answer}"
    );

    // When Bolna reports one call completed, the other unanswered.
    let completed = bolna_execution(&calls[0].0, &calls[0].1, "completed");
    let unanswered = bolna_execution(&calls[1].0, &calls[1].1, "no-answer");
    for execution in [&completed, &unanswered] {
        let (status, answer) = api.raw_callback(&webhook, &[], execution);
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["recorded"], true, "{answer}");
    }
    assert_eq!(
        api.call_statuses(&key, &campaign),
        ["answered", "no_answer"]
    );

    // A repeat, and a late "ringing", change nothing.
    let position = api.position();
    for execution in [&completed, &ringing] {
        let (status, answer) = api.raw_callback(&webhook, &[], execution);
        assert_eq!(
            (status, &answer["recorded"]),
            (StatusCode::OK, &json!(false)),
            "{answer}"
        );
    }

    // A wrong or missing token is refused (problem+json).
    let failed = bolna_execution(&calls[0].0, &calls[0].1, "failed");
    let (status, problem) = api.raw_callback(
        "/api/v1/webhooks/bolna?token=not-the-token-at-all",
        &[],
        &failed,
    );
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    let (status, _) = api.raw_callback("/api/v1/webhooks/bolna", &[], &failed);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Junk with the token is a bad request; an unknown status, unprocessable.
    let (status, _) = api.raw_callback(&webhook, &[], "not json");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let exploded = bolna_execution(&calls[0].0, &calls[0].1, "exploded");
    let (status, _) = api.raw_callback(&webhook, &[], &exploded);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.position(), position);
    assert!(server.terminate().success());
}

#[test]
fn bolna_and_vapi_settings_are_listed_and_required() {
    let help = common::leadline()
        .args(["serve", "--help"])
        .output()
        .expect("run leadline serve --help");
    let help = String::from_utf8_lossy(&help.stdout);
    for expected in [
        "bolna",
        "vapi",
        "BOLNA_API_KEY",
        "VAPI_API_KEY",
        "VAPI_WEBHOOK_SECRET",
        "VAPI_PHONE_NUMBER_ID",
        "LEADLINE_WEBHOOK_TOKEN",
    ] {
        assert!(help.contains(expected), "{expected} not in:\n{help}");
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = common::leadline();
    for name in common::PROVIDER_ENV {
        command.env_remove(name);
    }
    let output = command
        .env("VAPI_API_KEY", VAPI_KEY)
        .arg("serve")
        .arg("--data")
        .arg(dir.path())
        .args(["--bind", "127.0.0.1:0", "--admin-key", ADMIN_KEY])
        .args(["--provider", "vapi"])
        .output()
        .expect("run leadline serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("VAPI_WEBHOOK_SECRET"), "{stderr}");
    assert!(!stderr.contains(VAPI_KEY), "{stderr}");
}
