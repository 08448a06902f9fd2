//! The adapters against local mock servers (wiremock), the callbacks'
//! signatures and tokens, and their parsing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use leadline_domain::lead::ReportedCallState;
use leadline_domain::{CallId, CallOutcome, LeadId, PhoneNumber};
use serde_json::json;
use wiremock::matchers::{basic_auth, bearer_token, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::exotel::{self, Exotel};
use super::retell::{self, Retell};
use super::twilio::{self, Twilio};
use super::*;
use crate::dialer::placer::{CallPlacer, ProviderEvent};

const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
const TWILIO_TOKEN: &str = "twilio-auth-token-0123456789";
const EXOTEL_KEY: &str = "exotel-api-key-0123";
const EXOTEL_TOKEN: &str = "exotel-api-token-4567";
const WEBHOOK_TOKEN: &str = "webhook-token-abcdefghij";
const RETELL_KEY: &str = "key_retell0123456789";

pub(super) fn call() -> OutboundCall {
    OutboundCall {
        call_id: CallId::from_uuid(uuid::Uuid::from_u128(7)),
        lead_id: LeadId::from_uuid(uuid::Uuid::from_u128(8)),
        phone: PhoneNumber::parse("+15005550006", None).expect("phone"),
        agent_id: Some("agent-42".into()),
        caller_id: Some("+15005550001".into()),
        next_action: Some("https://example.test/twiml".into()),
        extra: BTreeMap::new(),
        detect_voicemail: false,
        variables: BTreeMap::from([
            ("name".to_owned(), "Ravi".to_owned()),
            ("loan_id".to_owned(), "LN-1".to_owned()),
        ]),
        dialed_at: Utc::now(),
    }
}

fn twilio(base: &str) -> Twilio {
    Twilio {
        api_base: base.to_owned(),
        account_sid: TWILIO_SID.into(),
        auth_token: Secret::new(TWILIO_TOKEN),
        public_url: "https://dialer.example.test".into(),
    }
}

fn exotel(base: &str) -> Exotel {
    Exotel {
        api_base: base.to_owned(),
        account_sid: "leadline1".into(),
        api_key: Secret::new(EXOTEL_KEY),
        api_token: Secret::new(EXOTEL_TOKEN),
        public_url: "https://dialer.example.test".into(),
        webhook_token: Secret::new(WEBHOOK_TOKEN),
    }
}

fn retell(base: &str) -> Retell {
    Retell {
        api_base: base.to_owned(),
        api_key: Secret::new(RETELL_KEY),
    }
}

/// Places `call` through `adapter` on a blocking thread, as the placer's
/// workers do (the blocking client must not run on the async runtime).
pub(super) async fn place(
    adapter: Arc<dyn ProviderAdapter>,
    call: OutboundCall,
) -> Result<String, PlaceError> {
    tokio::task::spawn_blocking(move || {
        let client = http_client().expect("client");
        adapter.place(&client, &call)
    })
    .await
    .expect("the blocking task")
}

/// The one request the mock server saw, as form pairs.
async fn form_of(server: &MockServer) -> (wiremock::Request, Vec<(String, String)>) {
    let requests = server.received_requests().await.expect("recording");
    assert_eq!(requests.len(), 1, "one request per call");
    let request = requests[0].clone();
    let form = serde_urlencoded::from_bytes(&request.body).expect("form body");
    (request, form)
}

fn value<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn assert_no_credentials(text: &str) {
    for secret in [
        TWILIO_TOKEN,
        EXOTEL_KEY,
        EXOTEL_TOKEN,
        WEBHOOK_TOKEN,
        RETELL_KEY,
    ] {
        assert!(!text.contains(secret), "a credential leaked: {text}");
    }
}

#[tokio::test]
async fn twilio_places_a_call_and_returns_its_sid() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/2010-04-01/Accounts/{TWILIO_SID}/Calls.json"
        )))
        .and(basic_auth(TWILIO_SID, TWILIO_TOKEN))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "sid": "CA11111111111111111111111111111111",
            "status": "queued",
            "to": "+15005550006",
            "from": "+15005550001",
        })))
        .expect(1)
        .mount(&server)
        .await;

    let placed = place(Arc::new(twilio(&server.uri())), call()).await;

    assert_eq!(placed, Ok("CA11111111111111111111111111111111".into()));
    let (request, form) = form_of(&server).await;
    assert!(request.headers.get("content-type").is_some_and(|v| v
        .as_bytes()
        .starts_with(b"application/x-www-form-urlencoded")));
    assert_eq!(value(&form, "To"), ["+15005550006"]);
    assert_eq!(value(&form, "From"), ["+15005550001"]);
    assert_eq!(value(&form, "Url"), ["https://example.test/twiml"]);
    assert_eq!(
        value(&form, "StatusCallback"),
        ["https://dialer.example.test/api/v1/webhooks/twilio"]
    );
    assert_eq!(
        value(&form, "StatusCallbackEvent"),
        ["initiated", "ringing", "answered", "completed"]
    );
    assert!(
        value(&form, "MachineDetection").is_empty(),
        "no machine detection unless the campaign asks"
    );
}

#[tokio::test]
async fn twilio_asks_for_machine_detection_when_the_campaign_detects_voicemail() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"sid": "CA2", "status": "queued"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let placed = place(
        Arc::new(twilio(&server.uri())),
        OutboundCall {
            detect_voicemail: true,
            ..call()
        },
    )
    .await;

    assert_eq!(placed, Ok("CA2".into()));
    let (_, form) = form_of(&server).await;
    assert_eq!(value(&form, "MachineDetection"), ["Enable"]);
}

#[tokio::test]
async fn twilio_refusal_carries_its_message_and_no_credential() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 21211,
            "message": "The 'To' number +15005550001 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        })))
        .mount(&server)
        .await;

    let refused = place(Arc::new(twilio(&server.uri())), call())
        .await
        .expect_err("refused");

    assert!(
        refused.0.contains("is not a valid phone number"),
        "{refused}"
    );
    assert!(
        refused.0.contains("21211") && refused.0.contains("400"),
        "{refused}"
    );
    assert_no_credentials(&refused.0);
}

#[tokio::test]
async fn twilio_needs_a_twiml_url() {
    let mut call = call();
    call.next_action = Some("emi".into());
    call.agent_id = None;
    let refused = place(Arc::new(twilio("http://127.0.0.1:9")), call)
        .await
        .expect_err("refused");
    assert!(refused.0.contains("next_action"), "{refused}");
}

#[tokio::test]
async fn exotel_connects_the_lead_to_the_flow() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/Accounts/leadline1/Calls/connect.json"))
        .and(basic_auth(EXOTEL_KEY, EXOTEL_TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "Call": {
                "Sid": "b6cfaf0a5c1b4c8e9c4b8e1f2a3d4e5f",
                "Status": "in-progress",
                "From": "+15005550006",
            }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let placed = place(Arc::new(exotel(&server.uri())), call()).await;

    assert_eq!(placed, Ok("b6cfaf0a5c1b4c8e9c4b8e1f2a3d4e5f".into()));
    let (_, form) = form_of(&server).await;
    assert_eq!(value(&form, "From"), ["+15005550006"]);
    assert_eq!(value(&form, "CallerId"), ["+15005550001"]);
    assert_eq!(
        value(&form, "Url"),
        ["http://my.exotel.com/leadline1/exoml/start_voice/agent-42"]
    );
    assert_eq!(value(&form, "CallType"), ["trans"]);
    assert_eq!(value(&form, "CustomField"), [call().call_id.to_string()]);
    assert_eq!(
        value(&form, "StatusCallback"),
        [format!(
            "https://dialer.example.test/api/v1/webhooks/exotel?token={WEBHOOK_TOKEN}"
        )]
    );
}

#[tokio::test]
async fn exotel_refusal_carries_its_message_and_no_credential() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "RestException": {
                "Status": 403,
                // A provider echoing a credential must not leak it.
                "Message": format!("Not allowed to call this number (token {EXOTEL_TOKEN})"),
            }
        })))
        .mount(&server)
        .await;

    let refused = place(Arc::new(exotel(&server.uri())), call())
        .await
        .expect_err("refused");

    assert!(
        refused.0.contains("Not allowed to call this number"),
        "{refused}"
    );
    assert!(refused.0.contains("403"), "{refused}");
    assert_no_credentials(&refused.0);
}

#[tokio::test]
async fn retell_creates_a_phone_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/create-phone-call"))
        .and(bearer_token(RETELL_KEY))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "call_id": "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6",
            "call_type": "phone_call",
            "call_status": "registered",
            "agent_id": "agent-42",
        })))
        .expect(1)
        .mount(&server)
        .await;

    let placed = place(Arc::new(retell(&server.uri())), call()).await;

    assert_eq!(placed, Ok("Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6".into()));
    let requests = server.received_requests().await.expect("recording");
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).expect("JSON");
    assert_eq!(body["from_number"], "+15005550001");
    assert_eq!(body["to_number"], "+15005550006");
    assert_eq!(body["override_agent_id"], "agent-42");
    assert_eq!(
        body["metadata"]["leadline_call_id"],
        call().call_id.to_string()
    );
    assert_eq!(
        body["retell_llm_dynamic_variables"],
        json!({"name": "Ravi", "loan_id": "LN-1"})
    );
}

#[tokio::test]
async fn retell_refusal_carries_its_message_and_no_credential() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "status": "error",
            "message": "from_number is not a number you own",
        })))
        .mount(&server)
        .await;

    let refused = place(Arc::new(retell(&server.uri())), call())
        .await
        .expect_err("refused");

    assert!(
        refused.0.contains("from_number is not a number you own"),
        "{refused}"
    );
    assert_no_credentials(&refused.0);
}

#[tokio::test]
async fn an_unreachable_provider_is_a_refusal_without_credentials() {
    // Port 9 (discard) on loopback: nothing listens there.
    let refused = place(Arc::new(retell("http://127.0.0.1:9")), call())
        .await
        .expect_err("refused");
    assert!(refused.0.contains("cannot reach retell"), "{refused}");
    assert_no_credentials(&refused.0);
}

#[tokio::test]
async fn the_placer_reports_placed_and_refused_through_poll() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"call_id": "r-1"})))
        .mount(&server)
        .await;
    let adapter: Arc<dyn ProviderAdapter> = Arc::new(retell(&server.uri()));
    let events = tokio::task::spawn_blocking(move || {
        let mut placer = HttpPlacer::start(adapter).expect("placer");
        let mut without_caller = call();
        without_caller.call_id = CallId::from_uuid(uuid::Uuid::from_u128(9));
        without_caller.caller_id = None;
        placer.start(call(), Utc::now());
        placer.start(without_caller, Utc::now());
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut events = Vec::new();
        while events.len() < 2 && Instant::now() < deadline {
            events.extend(placer.poll(Utc::now()));
            std::thread::sleep(Duration::from_millis(10));
        }
        events
    })
    .await
    .expect("the blocking task");

    assert!(events.contains(&ProviderEvent::Placed {
        call_id: call().call_id,
        lead_id: call().lead_id,
        provider_call_id: "r-1".into(),
    }));
    assert!(events.iter().any(|e| matches!(e,
        ProviderEvent::Refused { error, .. } if error.contains("caller_id"))));
}

// Twilio's signature, with the example from Twilio's request validation
// documentation.
#[test]
fn twilio_signature_matches_the_documented_example() {
    let params: Vec<(String, String)> = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    let token = Secret::new("12345");

    assert_eq!(
        twilio::signature(&token, url, &params).as_deref(),
        Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    );
    assert_eq!(
        twilio::verify_signature(&token, url, &params, Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=")),
        Ok(())
    );
}

#[test]
fn twilio_forged_or_missing_signatures_are_refused() {
    let params = vec![
        ("CallSid".to_owned(), "CA1".to_owned()),
        ("CallStatus".to_owned(), "completed".to_owned()),
    ];
    let url = "https://dialer.example.test/api/v1/webhooks/twilio";
    let token = Secret::new(TWILIO_TOKEN);
    let good = twilio::signature(&token, url, &params).expect("signature");
    let mut forged = good.clone().into_bytes();
    forged[3] = if forged[3] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).expect("ascii");

    assert_eq!(
        twilio::verify_signature(&token, url, &params, Some(&good)),
        Ok(())
    );
    for given in [Some(forged.as_str()), None] {
        assert!(matches!(
            twilio::verify_signature(&token, url, &params, given),
            Err(CallbackError::Unauthenticated(_))
        ));
    }
    // The same signature for another status is a forgery too.
    let mut changed = params.clone();
    changed[1].1 = "busy".into();
    assert!(twilio::verify_signature(&token, url, &changed, Some(&good)).is_err());
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).expect("time")
}

#[test]
fn retell_signatures_valid_forged_and_stale() {
    let key = Secret::new(RETELL_KEY);
    let body = br#"{"event":"call_ended","call":{"call_id":"r-1"}}"#;
    let signed_at = 1_767_225_600_000;
    let good = retell::signature(&key, body, signed_at);

    assert_eq!(
        retell::verify_signature(&key, body, Some(&good), at(signed_at + 1_000)),
        Ok(())
    );
    let other_key = retell::signature(&Secret::new("key_other"), body, signed_at);
    let tampered = br#"{"event":"call_ended","call":{"call_id":"r-2"}}"#;
    for (given, body) in [
        (Some(other_key.as_str()), &body[..]),
        (Some(good.as_str()), &tampered[..]),
        (Some("v=1767225600000"), &body[..]),
        (None, &body[..]),
    ] {
        assert!(
            matches!(
                retell::verify_signature(&key, body, given, at(signed_at)),
                Err(CallbackError::Unauthenticated(_))
            ),
            "{given:?}"
        );
    }
    let stale = retell::verify_signature(&key, body, Some(&good), at(signed_at + 5 * 60_000 + 1));
    assert!(matches!(stale, Err(CallbackError::Unauthenticated(why)) if why.contains("5 minutes")));
}

#[test]
fn exotel_token_right_and_wrong() {
    let token = Secret::new(WEBHOOK_TOKEN);
    assert_eq!(
        exotel::verify_token(&token, &format!("token={WEBHOOK_TOKEN}")),
        Ok(())
    );
    for query in ["token=webhook-token-abcdefghiX", "token=", "", "other=1"] {
        assert!(
            matches!(
                exotel::verify_token(&token, query),
                Err(CallbackError::Unauthenticated(_))
            ),
            "{query}"
        );
    }
}

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn twilio_statuses_map_to_outcomes() {
    let cases = [
        ("queued", ReportedCallState::Ringing),
        ("initiated", ReportedCallState::Ringing),
        ("ringing", ReportedCallState::Ringing),
        ("in-progress", ReportedCallState::InProgress),
        ("completed", ReportedCallState::Ended(CallOutcome::Answered)),
        ("busy", ReportedCallState::Ended(CallOutcome::Busy)),
        ("no-answer", ReportedCallState::Ended(CallOutcome::NoAnswer)),
        ("canceled", ReportedCallState::Ended(CallOutcome::NoAnswer)),
        ("failed", ReportedCallState::Ended(CallOutcome::Failed)),
    ];
    for (status, state) in cases {
        let callback = twilio::parse_callback(&fields(&[
            ("CallSid", "CA1"),
            ("CallStatus", status),
            ("CallDuration", "17"),
        ]))
        .expect(status);
        assert_eq!(callback.state, state, "{status}");
        assert_eq!(callback.provider_call_id, "CA1");
        assert_eq!(callback.duration_secs, Some(17));
    }
    for (answered_by, outcome) in [
        ("machine_start", CallOutcome::Voicemail),
        ("machine_end_beep", CallOutcome::Voicemail),
        ("machine_end_silence", CallOutcome::Voicemail),
        ("machine_end_other", CallOutcome::Voicemail),
        ("fax", CallOutcome::Voicemail),
        ("human", CallOutcome::Answered),
        ("unknown", CallOutcome::Answered),
    ] {
        let callback = twilio::parse_callback(&fields(&[
            ("CallSid", "CA1"),
            ("CallStatus", "completed"),
            ("AnsweredBy", answered_by),
        ]))
        .expect(answered_by);
        assert_eq!(
            callback.state,
            ReportedCallState::Ended(outcome),
            "{answered_by}"
        );
    }
    let busy = twilio::parse_callback(&fields(&[
        ("CallSid", "CA1"),
        ("CallStatus", "busy"),
        ("AnsweredBy", "machine_start"),
    ]))
    .expect("busy");
    assert_eq!(busy.state, ReportedCallState::Ended(CallOutcome::Busy));
    assert!(matches!(
        twilio::parse_callback(&fields(&[("CallSid", "CA1"), ("CallStatus", "exploded")])),
        Err(CallbackError::Invalid(_))
    ));
    assert!(matches!(
        twilio::parse_callback(&fields(&[("CallStatus", "completed")])),
        Err(CallbackError::Invalid(_))
    ));
}

#[test]
fn exotel_statuses_map_to_outcomes() {
    let ours = call().call_id.to_string();
    let callback = exotel::parse_callback(&fields(&[
        ("CallSid", "ex-1"),
        ("Status", "completed"),
        ("ConversationDuration", "42"),
        ("CustomField", &ours),
    ]))
    .expect("completed");
    assert_eq!(
        callback.state,
        ReportedCallState::Ended(CallOutcome::Answered)
    );
    assert_eq!(callback.duration_secs, Some(42));
    assert_eq!(callback.call_id, Some(call().call_id));
    for (status, outcome) in [
        ("busy", CallOutcome::Busy),
        ("no-answer", CallOutcome::NoAnswer),
        ("failed", CallOutcome::Failed),
        ("canceled", CallOutcome::NoAnswer),
    ] {
        let callback = exotel::parse_callback(&fields(&[
            ("CallSid", "ex-1"),
            ("Status", status),
            ("DialCallDuration", "0"),
        ]))
        .expect(status);
        assert_eq!(
            callback.state,
            ReportedCallState::Ended(outcome),
            "{status}"
        );
    }
    assert!(matches!(
        exotel::parse_callback(&fields(&[("CallSid", "ex-1")])),
        Err(CallbackError::Invalid(_))
    ));
}

#[test]
fn retell_disconnection_reasons_map_to_outcomes() {
    let cases = [
        ("user_hangup", CallOutcome::Answered),
        ("agent_hangup", CallOutcome::Answered),
        ("dial_no_answer", CallOutcome::NoAnswer),
        ("voicemail_reached", CallOutcome::Voicemail),
        ("machine_detected", CallOutcome::Voicemail),
        ("dial_busy", CallOutcome::Busy),
        ("dial_failed", CallOutcome::Failed),
        ("error_llm_websocket_open", CallOutcome::Failed),
        ("something_new", CallOutcome::Failed),
    ];
    for (reason, outcome) in cases {
        let body = json!({
            "event": "call_ended",
            "call": {
                "call_id": "r-1",
                "disconnection_reason": reason,
                "start_timestamp": 1_767_225_600_000_u64,
                "end_timestamp": 1_767_225_612_500_u64,
                "metadata": {"leadline_call_id": call().call_id.to_string()},
            }
        });
        let callback = retell::parse_callback(body.to_string().as_bytes()).expect(reason);
        assert_eq!(
            callback.state,
            ReportedCallState::Ended(outcome),
            "{reason}"
        );
        assert_eq!(callback.duration_secs, Some(13));
        assert_eq!(callback.call_id, Some(call().call_id));
        assert_eq!(callback.error.is_some(), outcome == CallOutcome::Failed);
    }
    let started = json!({"event": "call_started", "call": {"call_id": "r-1"}});
    assert_eq!(
        retell::parse_callback(started.to_string().as_bytes())
            .expect("started")
            .state,
        ReportedCallState::InProgress
    );
    assert!(matches!(
        retell::parse_callback(b"not json"),
        Err(CallbackError::Malformed(_))
    ));
    assert!(matches!(
        retell::parse_callback(br#"{"event":"call_ended","call":{}}"#),
        Err(CallbackError::Invalid(_))
    ));
}

fn twilio_request<'a>(
    signature: Option<&'a str>,
    content_type: &'a str,
    body: &'a [u8],
) -> WebhookRequest<'a> {
    WebhookRequest {
        path_and_query: "/api/v1/webhooks/twilio",
        query: "",
        content_type,
        signature,
        body,
        now: Utc::now(),
    }
}

#[test]
fn webhook_secrets_check_the_configured_provider_only() {
    let secrets = WebhookSecrets {
        twilio: Some(TwilioWebhook {
            auth_token: Secret::new(TWILIO_TOKEN),
            public_url: "https://dialer.example.test/".into(),
        }),
        ..WebhookSecrets::default()
    };
    let body = b"CallSid=CA1&CallStatus=completed&CallDuration=9";
    let params: Vec<(String, String)> = serde_urlencoded::from_bytes(body).expect("form");
    let signature = twilio::signature(
        &Secret::new(TWILIO_TOKEN),
        "https://dialer.example.test/api/v1/webhooks/twilio",
        &params,
    )
    .expect("signature");
    let signature = signature.as_str();
    let request = |signature, content_type| twilio_request(signature, content_type, body);

    let callback = secrets
        .callback(
            ProviderName::Twilio,
            &request(Some(signature), "application/x-www-form-urlencoded"),
        )
        .expect("authentic");
    assert_eq!(
        callback.state,
        ReportedCallState::Ended(CallOutcome::Answered)
    );
    assert!(matches!(
        secrets.callback(
            ProviderName::Twilio,
            &request(Some("AAAA"), "application/x-www-form-urlencoded")
        ),
        Err(CallbackError::Unauthenticated(_))
    ));
    assert!(matches!(
        secrets.callback(
            ProviderName::Twilio,
            &request(Some(signature), "application/json")
        ),
        Err(CallbackError::Malformed(_))
    ));
    assert!(matches!(
        secrets.callback(ProviderName::Retell, &request(None, "application/json")),
        Err(CallbackError::NotConfigured(_))
    ));
}

#[test]
fn missing_environment_variables_are_all_named() {
    let Err(error) = from_env(ProviderName::Exotel, &|name| {
        (name == "EXOTEL_API_KEY").then(|| "k".to_owned())
    }) else {
        panic!("configured without credentials");
    };
    for name in [
        "EXOTEL_API_TOKEN",
        "EXOTEL_ACCOUNT_SID",
        "LEADLINE_PUBLIC_URL",
        "LEADLINE_WEBHOOK_TOKEN",
    ] {
        assert!(error.contains(name), "{error}");
    }
    assert!(!error.contains("EXOTEL_API_KEY,"), "{error}");

    let env = |name: &str| match name {
        "TWILIO_ACCOUNT_SID" => Some(TWILIO_SID.to_owned()),
        "TWILIO_AUTH_TOKEN" => Some(TWILIO_TOKEN.to_owned()),
        "LEADLINE_PUBLIC_URL" => Some("https://dialer.example.test/".to_owned()),
        _ => None,
    };
    let setup = from_env(ProviderName::Twilio, &env).expect("configured");
    assert_eq!(setup.adapter.name(), ProviderName::Twilio);
    let shown = format!("{:?}", setup.webhooks);
    assert!(!shown.contains(TWILIO_TOKEN), "{shown}");
}

#[test]
fn the_token_bucket_paces_at_the_rate() {
    let start = Instant::now();
    let mut bucket = TokenBucket::per_minute(exotel::EXOTEL_REQUESTS_PER_MIN_MAX, start);
    // A burst of RATE_BURST_SECS seconds' worth, then one every 0.3 s.
    let burst = (0..100).take_while(|_| bucket.take(start).is_ok()).count();
    assert_eq!(burst, 20);
    let wait = bucket.take(start).expect_err("empty");
    assert!(
        wait > Duration::from_millis(250) && wait <= Duration::from_millis(300),
        "{wait:?}"
    );
    assert!(bucket.take(start + Duration::from_millis(300)).is_ok());
    assert!(bucket.take(start + Duration::from_millis(300)).is_err());
}
