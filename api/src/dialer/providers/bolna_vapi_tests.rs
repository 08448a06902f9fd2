//! The Bolna and Vapi adapters against local mock servers (wiremock), with
//! payloads in the shapes of their API references and SDK types; their
//! callbacks' authentication and parsing.

use std::sync::Arc;

use chrono::Utc;
use leadline_domain::lead::ReportedCallState;
use leadline_domain::CallOutcome;
use serde_json::{json, Value};
use wiremock::matchers::{bearer_token, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::bolna::{self, Bolna};
use super::tests::{call, place};
use super::vapi::{self, Vapi};
use super::*;

const BOLNA_KEY: &str = "bn-3f2a9c0d1e8b4c7aa5d6e7f8091a2b3c";
const VAPI_KEY: &str = "vapi-private-5c1e0f2a-8b7d-4e3f-9a1b";
const VAPI_SECRET: &str = "vapi-hmac-secret-0123456789";
const WEBHOOK_TOKEN: &str = "webhook-token-abcdefghij";
const EXECUTION_ID: &str = "b7140255-af33-4608-8e97-04dd944b8e48";
const VAPI_CALL_ID: &str = "6a1f2c4e-9b0d-4f7a-8c3e-5d2b1a0f9e87";

fn bolna(base: &str) -> Bolna {
    Bolna {
        api_base: base.to_owned(),
        api_key: Secret::new(BOLNA_KEY),
    }
}

fn vapi(base: &str) -> Vapi {
    Vapi {
        api_base: base.to_owned(),
        api_key: Secret::new(VAPI_KEY),
        phone_number_id: None,
    }
}

/// The campaign's call, with the Vapi phone number in its settings.
fn vapi_call() -> OutboundCall {
    let mut call = call();
    call.extra
        .insert("phone_number_id".into(), "pn-campaign-0001".into());
    call
}

fn assert_no_credentials(text: &str) {
    for secret in [BOLNA_KEY, VAPI_KEY, VAPI_SECRET, WEBHOOK_TOKEN] {
        assert!(!text.contains(secret), "a credential leaked: {text}");
    }
}

/// The JSON body of the one request the mock server saw.
async fn body_of(server: &MockServer) -> Value {
    let requests = server.received_requests().await.expect("recording");
    assert_eq!(requests.len(), 1, "one request per call");
    serde_json::from_slice(&requests[0].body).expect("JSON body")
}

#[tokio::test]
async fn bolna_places_a_call_with_our_ids_in_user_data() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/call"))
        .and(bearer_token(BOLNA_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "message": "done",
            "status": "queued",
            "execution_id": EXECUTION_ID,
        })))
        .expect(1)
        .mount(&server)
        .await;

    let placed = place(Arc::new(bolna(&server.uri())), call()).await;

    assert_eq!(placed, Ok(EXECUTION_ID.into()));
    let body = body_of(&server).await;
    assert_eq!(body["agent_id"], "agent-42");
    assert_eq!(body["recipient_phone_number"], "+15005550006");
    assert_eq!(body["from_phone_number"], "+15005550001");
    assert_eq!(
        body["user_data"]["leadline_call_id"],
        call().call_id.to_string()
    );
    assert_eq!(
        body["user_data"]["leadline_lead_id"],
        call().lead_id.to_string()
    );
    // The lead's own variables, for the agent's prompt.
    assert_eq!(body["user_data"]["name"], "Ravi");
    assert_eq!(body["user_data"]["loan_id"], "LN-1");
}

#[tokio::test]
async fn bolna_without_a_caller_id_uses_the_account_number() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "message": "done", "status": "queued", "execution_id": EXECUTION_ID,
        })))
        .mount(&server)
        .await;
    let mut without_caller = call();
    without_caller.caller_id = None;

    let placed = place(Arc::new(bolna(&server.uri())), without_caller).await;

    assert_eq!(placed, Ok(EXECUTION_ID.into()));
    assert!(body_of(&server).await.get("from_phone_number").is_none());
}

#[tokio::test]
async fn bolna_refusal_carries_its_message_and_no_credential() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": 400,
            // A provider echoing a credential must not leak it.
            "message": format!("Insufficient wallet balance for key {BOLNA_KEY}"),
        })))
        .mount(&server)
        .await;

    let refused = place(Arc::new(bolna(&server.uri())), call())
        .await
        .expect_err("refused");

    assert!(
        refused.0.contains("Insufficient wallet balance"),
        "{refused}"
    );
    assert!(
        refused.0.contains("bolna") && refused.0.contains("400"),
        "{refused}"
    );
    assert_no_credentials(&refused.0);
}

#[tokio::test]
async fn bolna_validation_errors_are_recorded() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "detail": [{
                "loc": ["body", "recipient_phone_number"],
                "msg": "recipient_phone_number is not in E.164 format",
                "type": "value_error",
            }]
        })))
        .mount(&server)
        .await;

    let refused = place(Arc::new(bolna(&server.uri())), call())
        .await
        .expect_err("refused");

    assert!(refused.0.contains("not in E.164 format"), "{refused}");
}

#[tokio::test]
async fn bolna_needs_an_agent() {
    let mut without_agent = call();
    without_agent.agent_id = None;
    let refused = place(Arc::new(bolna("http://127.0.0.1:9")), without_agent)
        .await
        .expect_err("refused");
    assert!(refused.0.contains("agent_id"), "{refused}");
}

/// An execution as Bolna posts it (Get Execution's shape), at `status`.
fn execution(status: &str) -> Value {
    json!({
        "id": EXECUTION_ID,
        "agent_id": "123e4567-e89b-12d3-a456-426655440000",
        "batch_id": null,
        "conversation_duration": 41.6,
        "total_cost": 4.2,
        "status": status,
        "error_message": null,
        "answered_by_voice_mail": false,
        "transcript": "assistant: Hello, this is a reminder about your EMI.\nuser: Yes, I will pay today.",
        "created_at": "2026-01-01T00:00:00.000000",
        "updated_at": "2026-01-01T00:00:45.000000",
        "cost_breakdown": {"llm": 0.2, "network": 1.2, "platform": 2.0, "synthesizer": 0.6, "transcriber": 0.2},
        "extracted_data": null,
        "telephony_data": {
            "duration": "42",
            "to_number": "+15005550006",
            "from_number": "+15005550001",
            "recording_url": "https://bolna-call-recordings.s3.amazonaws.com/plivo/recording.mp3",
            "hosted_telephony": true,
            "provider_call_id": "0999335f-162b-4c32-bcad-56e944645a8f",
            "call_type": "outbound",
            "provider": "plivo",
            "hangup_by": "Callee",
            "hangup_reason": "Call recipient hungup",
            "hangup_provider_code": 4000,
        },
        "transfer_call_data": null,
        "context_details": {
            "recipient_data": {
                "leadline_call_id": call().call_id.to_string(),
                "leadline_lead_id": call().lead_id.to_string(),
            },
            "recipient_phone_number": "+15005550006",
        },
        "batch_run_details": null,
    })
}

fn parse_bolna(body: &Value) -> Result<Callback, CallbackError> {
    bolna::parse_callback(body.to_string().as_bytes())
}

#[test]
fn bolna_statuses_map_to_outcomes() {
    let cases = [
        ("queued", ReportedCallState::InProgress),
        ("initiated", ReportedCallState::InProgress),
        ("ringing", ReportedCallState::InProgress),
        ("in-progress", ReportedCallState::InProgress),
        ("call-disconnected", ReportedCallState::InProgress),
        ("completed", ReportedCallState::Ended(CallOutcome::Answered)),
        ("busy", ReportedCallState::Ended(CallOutcome::Busy)),
        ("no-answer", ReportedCallState::Ended(CallOutcome::NoAnswer)),
        ("canceled", ReportedCallState::Ended(CallOutcome::NoAnswer)),
        ("failed", ReportedCallState::Ended(CallOutcome::Failed)),
        ("error", ReportedCallState::Ended(CallOutcome::Failed)),
        ("stopped", ReportedCallState::Ended(CallOutcome::Failed)),
        ("balance-low", ReportedCallState::Ended(CallOutcome::Failed)),
    ];
    for (status, state) in cases {
        let callback = parse_bolna(&execution(status)).expect(status);
        assert_eq!(callback.state, state, "{status}");
        assert_eq!(callback.provider_call_id, EXECUTION_ID);
        assert_eq!(callback.call_id, Some(call().call_id));
        assert_eq!(callback.provider_status, status);
        assert_eq!(
            callback.error.is_some(),
            state == ReportedCallState::Ended(CallOutcome::Failed),
            "{status}"
        );
    }
    let completed = parse_bolna(&execution("completed")).expect("completed");
    assert_eq!(completed.duration_secs, Some(42));
}

#[test]
fn bolna_voicemail_and_silent_completions_are_not_answers() {
    let mut voicemail = execution("completed");
    voicemail["answered_by_voice_mail"] = json!(true);
    assert_eq!(
        parse_bolna(&voicemail).expect("voicemail").state,
        ReportedCallState::Ended(CallOutcome::Voicemail)
    );

    // Bolna: a call the callee rejected can still arrive `completed`.
    let mut rejected = execution("completed");
    rejected["conversation_duration"] = json!(0);
    rejected["telephony_data"]["duration"] = json!("0");
    let callback = parse_bolna(&rejected).expect("rejected");
    assert_eq!(
        callback.state,
        ReportedCallState::Ended(CallOutcome::NoAnswer)
    );
    assert_eq!(callback.duration_secs, Some(0));
}

#[test]
fn bolna_failures_carry_bolna_s_reason() {
    let mut failed = execution("failed");
    failed["error_message"] = json!("Telephony provider rejected the number");
    assert_eq!(
        parse_bolna(&failed).expect("failed").error.as_deref(),
        Some("Telephony provider rejected the number")
    );
    let stopped = parse_bolna(&execution("stopped")).expect("stopped");
    assert_eq!(stopped.error.as_deref(), Some("Call recipient hungup"));
}

#[test]
fn bolna_malformed_or_incomplete_executions_are_refused() {
    assert!(matches!(
        bolna::parse_callback(b"status=completed"),
        Err(CallbackError::Malformed(why)) if why.contains("JSON")
    ));
    assert!(matches!(
        bolna::parse_callback(b"[1, 2]"),
        Err(CallbackError::Malformed(_))
    ));
    let mut without_id = execution("completed");
    without_id.as_object_mut().expect("object").remove("id");
    assert!(matches!(
        parse_bolna(&without_id),
        Err(CallbackError::Invalid(why)) if why.contains("id")
    ));
    let mut without_status = execution("completed");
    without_status["status"] = Value::Null;
    assert!(matches!(
        parse_bolna(&without_status),
        Err(CallbackError::Invalid(why)) if why.contains("status")
    ));
    assert!(matches!(
        parse_bolna(&execution("exploded")),
        Err(CallbackError::Invalid(why)) if why.contains("exploded")
    ));
}

fn webhook<'a>(query: &'a str, signature: Option<&'a str>, body: &'a [u8]) -> WebhookRequest<'a> {
    WebhookRequest {
        path_and_query: "/api/v1/webhooks/any",
        query,
        content_type: "application/json",
        signature,
        body,
        now: Utc::now(),
    }
}

#[test]
fn bolna_callbacks_need_the_token() {
    let secrets = WebhookSecrets {
        bolna_token: Some(Secret::new(WEBHOOK_TOKEN)),
        ..WebhookSecrets::default()
    };
    let body = execution("completed").to_string();
    let right = format!("token={WEBHOOK_TOKEN}");

    let callback = secrets
        .callback(ProviderName::Bolna, &webhook(&right, None, body.as_bytes()))
        .expect("authentic");
    assert_eq!(
        callback.state,
        ReportedCallState::Ended(CallOutcome::Answered)
    );
    for query in ["token=webhook-token-abcdefghiX", "token=", "", "other=1"] {
        assert!(
            matches!(
                secrets.callback(ProviderName::Bolna, &webhook(query, None, body.as_bytes())),
                Err(CallbackError::Unauthenticated(_))
            ),
            "{query}"
        );
    }
    // Authenticated first: junk with a wrong token says nothing about it.
    assert!(matches!(
        secrets.callback(ProviderName::Bolna, &webhook("token=x", None, b"junk")),
        Err(CallbackError::Unauthenticated(_))
    ));
    assert!(matches!(
        secrets.callback(ProviderName::Bolna, &webhook(&right, None, b"junk")),
        Err(CallbackError::Malformed(_))
    ));
    assert!(matches!(
        secrets.callback(ProviderName::Vapi, &webhook(&right, None, body.as_bytes())),
        Err(CallbackError::NotConfigured(_))
    ));
}

#[tokio::test]
async fn vapi_creates_a_call_for_the_assistant() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/call"))
        .and(bearer_token(VAPI_KEY))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": VAPI_CALL_ID,
            "orgId": "2f4c8a1e-0000-4000-8000-000000000001",
            "type": "outboundPhoneCall",
            "status": "queued",
            "assistantId": "agent-42",
            "phoneNumberId": "pn-campaign-0001",
            "customer": {"number": "+15005550006"},
            "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
        })))
        .expect(1)
        .mount(&server)
        .await;

    let placed = place(Arc::new(vapi(&server.uri())), vapi_call()).await;

    assert_eq!(placed, Ok(VAPI_CALL_ID.into()));
    let body = body_of(&server).await;
    assert_eq!(body["assistantId"], "agent-42");
    assert_eq!(body["phoneNumberId"], "pn-campaign-0001");
    assert_eq!(body["customer"]["number"], "+15005550006");
    assert_eq!(
        body["assistantOverrides"]["metadata"]["leadline_call_id"],
        call().call_id.to_string()
    );
    assert_eq!(
        body["assistantOverrides"]["metadata"]["leadline_lead_id"],
        call().lead_id.to_string()
    );
    assert_eq!(
        body["assistantOverrides"]["variableValues"],
        json!({"name": "Ravi", "loan_id": "LN-1"})
    );
}

#[tokio::test]
async fn vapi_phone_number_comes_from_the_campaign_else_the_server() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": VAPI_CALL_ID})))
        .mount(&server)
        .await;
    let mut with_default = vapi(&server.uri());
    with_default.phone_number_id = Some("pn-server-default".into());

    let placed = place(Arc::new(with_default), call()).await;

    assert_eq!(placed, Ok(VAPI_CALL_ID.into()));
    assert_eq!(body_of(&server).await["phoneNumberId"], "pn-server-default");

    let refused = place(Arc::new(vapi("http://127.0.0.1:9")), call())
        .await
        .expect_err("no phone number");
    assert!(
        refused.0.contains("phone_number_id") && refused.0.contains("VAPI_PHONE_NUMBER_ID"),
        "{refused}"
    );
    let mut without_agent = vapi_call();
    without_agent.agent_id = None;
    let refused = place(Arc::new(vapi("http://127.0.0.1:9")), without_agent)
        .await
        .expect_err("no assistant");
    assert!(refused.0.contains("agent_id"), "{refused}");
}

#[tokio::test]
async fn vapi_refusal_carries_its_message_and_no_credential() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "message": [
                "customer.number must be a valid phone number in the E.164 format.",
                format!("token {VAPI_KEY} is not allowed to use phoneNumberId"),
            ],
            "error": "Bad Request",
            "statusCode": 400,
        })))
        .mount(&server)
        .await;

    let refused = place(Arc::new(vapi(&server.uri())), vapi_call())
        .await
        .expect_err("refused");

    assert!(
        refused.0.contains("must be a valid phone number"),
        "{refused}"
    );
    assert!(
        refused.0.contains("vapi") && refused.0.contains("400"),
        "{refused}"
    );
    assert_no_credentials(&refused.0);
}

#[tokio::test]
async fn vapi_over_its_concurrency_is_a_refusal_with_its_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"error": "Over Concurrency Limit"})),
        )
        .mount(&server)
        .await;

    let refused = place(Arc::new(vapi(&server.uri())), vapi_call())
        .await
        .expect_err("refused");

    assert!(refused.0.contains("Over Concurrency Limit"), "{refused}");
}

#[test]
fn the_rate_limits_are_the_named_constants() {
    assert_eq!(
        bolna("http://x").requests_per_min_max(),
        crate::limits::BOLNA_REQUESTS_PER_MIN_MAX
    );
    assert_eq!(bolna::BOLNA_REQUESTS_PER_MIN_MAX, 500);
    assert_eq!(
        vapi("http://x").requests_per_min_max(),
        crate::limits::VAPI_REQUESTS_PER_MIN_MAX
    );
    assert_eq!(vapi::VAPI_REQUESTS_PER_MIN_MAX, 60);
    assert_eq!(bolna("http://x").name(), ProviderName::Bolna);
    assert_eq!(vapi("http://x").name(), ProviderName::Vapi);
    for name in [ProviderName::Bolna, ProviderName::Vapi] {
        assert_eq!(name.as_str().parse::<ProviderName>(), Ok(name));
    }
}

/// A Vapi server message of `kind` for our call.
fn server_message(kind: &str, ended_reason: Option<&str>) -> Value {
    let mut message = json!({
        "timestamp": 1_767_225_612_500_u64,
        "type": kind,
        "call": {
            "id": VAPI_CALL_ID,
            "orgId": "2f4c8a1e-0000-4000-8000-000000000001",
            "type": "outboundPhoneCall",
            "status": "ended",
            "assistantId": "agent-42",
            "phoneNumberId": "pn-campaign-0001",
            "customer": {"number": "+15005550006"},
            "assistantOverrides": {
                "metadata": {
                    "leadline_call_id": call().call_id.to_string(),
                    "leadline_lead_id": call().lead_id.to_string(),
                }
            },
        },
        "customer": {"number": "+15005550006"},
        "phoneNumber": {"id": "pn-campaign-0001", "number": "+15005550001"},
    });
    if kind == "end-of-call-report" {
        message["startedAt"] = json!("2026-01-01T00:00:00.000Z");
        message["endedAt"] = json!("2026-01-01T00:00:12.500Z");
        message["cost"] = json!(0.0734);
        message["artifact"] = json!({
            "transcript": "AI: Hello, this is a reminder about your EMI.\nUser: I will pay today.",
            "messages": [],
            "recordingUrl": "https://storage.vapi.ai/recording.wav",
        });
        message["analysis"] =
            json!({"summary": "The customer will pay today.", "successEvaluation": "true"});
    }
    if let Some(reason) = ended_reason {
        message["endedReason"] = json!(reason);
    }
    json!({ "message": message })
}

fn parse_vapi(body: &Value) -> Result<Callback, CallbackError> {
    vapi::parse_callback(body.to_string().as_bytes())
}

#[test]
fn vapi_ended_reasons_map_to_outcomes() {
    let cases = [
        ("customer-ended-call", CallOutcome::Answered),
        ("assistant-ended-call", CallOutcome::Answered),
        ("assistant-said-end-call-phrase", CallOutcome::Answered),
        ("assistant-forwarded-call", CallOutcome::Answered),
        ("exceeded-max-duration", CallOutcome::Answered),
        ("silence-timed-out", CallOutcome::Answered),
        ("customer-did-not-answer", CallOutcome::NoAnswer),
        ("voicemail", CallOutcome::Voicemail),
        (
            "call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable",
            CallOutcome::NoAnswer,
        ),
        ("customer-busy", CallOutcome::Busy),
        ("twilio-failed-to-connect-call", CallOutcome::Failed),
        ("twilio-reported-customer-misdialed", CallOutcome::Failed),
        ("vonage-rejected", CallOutcome::Failed),
        ("pipeline-error-openai-llm-failed", CallOutcome::Failed),
        (
            "call.start.error-subscription-concurrency-limit-reached",
            CallOutcome::Failed,
        ),
        ("phone-call-provider-closed-websocket", CallOutcome::Failed),
        ("manually-canceled", CallOutcome::Failed),
        ("something-new", CallOutcome::Failed),
    ];
    for (reason, outcome) in cases {
        let callback =
            parse_vapi(&server_message("end-of-call-report", Some(reason))).expect(reason);
        assert_eq!(
            callback.state,
            ReportedCallState::Ended(outcome),
            "{reason}"
        );
        assert_eq!(callback.provider_call_id, VAPI_CALL_ID);
        assert_eq!(callback.call_id, Some(call().call_id));
        assert_eq!(callback.provider_status, reason);
        assert_eq!(callback.duration_secs, Some(13));
        assert_eq!(
            callback.error.as_deref(),
            (outcome == CallOutcome::Failed).then_some(reason),
            "{reason}"
        );
    }
    let without_reason = parse_vapi(&server_message("end-of-call-report", None)).expect("report");
    assert_eq!(
        without_reason.state,
        ReportedCallState::Ended(CallOutcome::Failed)
    );
}

#[test]
fn vapi_other_messages_record_nothing() {
    for kind in [
        "status-update",
        "transcript",
        "conversation-update",
        "speech-update",
        "hang",
        "user-interrupted",
    ] {
        let callback = parse_vapi(&server_message(kind, Some("customer-ended-call"))).expect(kind);
        assert_eq!(callback.state, ReportedCallState::InProgress, "{kind}");
        assert_eq!(callback.provider_call_id, VAPI_CALL_ID);
        assert_eq!(callback.error, None);
    }
}

#[test]
fn vapi_malformed_or_incomplete_messages_are_refused() {
    assert!(matches!(
        vapi::parse_callback(b"{not json"),
        Err(CallbackError::Malformed(why)) if why.contains("JSON")
    ));
    assert!(matches!(
        parse_vapi(&json!({"type": "end-of-call-report"})),
        Err(CallbackError::Invalid(why)) if why.contains("message")
    ));
    let mut without_type = server_message("end-of-call-report", Some("voicemail"));
    without_type["message"]["type"] = Value::Null;
    assert!(matches!(
        parse_vapi(&without_type),
        Err(CallbackError::Invalid(why)) if why.contains("type")
    ));
    let mut without_call_id = server_message("end-of-call-report", Some("voicemail"));
    without_call_id["message"]["call"]["id"] = json!("");
    assert!(matches!(
        parse_vapi(&without_call_id),
        Err(CallbackError::Invalid(why)) if why.contains("call.id")
    ));
}

#[test]
fn vapi_signatures_valid_forged_and_missing() {
    let secret = Secret::new(VAPI_SECRET);
    let body = server_message("end-of-call-report", Some("customer-ended-call")).to_string();
    let body = body.as_bytes();
    let good = vapi::signature(&secret, body);

    assert_eq!(good.len(), 64, "hex SHA-256");
    assert_eq!(vapi::verify_signature(&secret, body, Some(&good)), Ok(()));
    let prefixed = format!("sha256={}", good.to_ascii_uppercase());
    assert_eq!(
        vapi::verify_signature(&secret, body, Some(&prefixed)),
        Ok(())
    );
    let other_key = vapi::signature(&Secret::new("another-secret-0123456789"), body);
    let tampered = String::from_utf8_lossy(body).replace("customer-ended-call", "voicemail");
    for (given, body) in [
        (Some(other_key.as_str()), body),
        (Some(good.as_str()), tampered.as_bytes()),
        (Some(""), body),
        (None, body),
    ] {
        assert!(
            matches!(
                vapi::verify_signature(&secret, body, given),
                Err(CallbackError::Unauthenticated(_))
            ),
            "{given:?}"
        );
    }
}

#[test]
fn vapi_callbacks_need_the_signature() {
    let secrets = WebhookSecrets {
        vapi_secret: Some(Secret::new(VAPI_SECRET)),
        ..WebhookSecrets::default()
    };
    let body = server_message("end-of-call-report", Some("voicemail")).to_string();
    let signature = vapi::signature(&Secret::new(VAPI_SECRET), body.as_bytes());

    let callback = secrets
        .callback(
            ProviderName::Vapi,
            &webhook("", Some(&signature), body.as_bytes()),
        )
        .expect("authentic");
    assert_eq!(
        callback.state,
        ReportedCallState::Ended(CallOutcome::Voicemail)
    );
    for given in [None, Some("deadbeef")] {
        assert!(matches!(
            secrets.callback(ProviderName::Vapi, &webhook("", given, body.as_bytes())),
            Err(CallbackError::Unauthenticated(_))
        ));
    }
    assert_eq!(
        signature_header(ProviderName::Vapi),
        Some("x-vapi-signature")
    );
    assert_eq!(signature_header(ProviderName::Bolna), None);
    assert!(matches!(
        secrets.callback(ProviderName::Bolna, &webhook("", None, body.as_bytes())),
        Err(CallbackError::NotConfigured(_))
    ));
}

#[test]
fn bolna_and_vapi_settings_are_read_and_checked() {
    let Err(error) = from_env(ProviderName::Bolna, &|_| None) else {
        panic!("configured without credentials");
    };
    assert!(
        error.contains("BOLNA_API_KEY") && error.contains("LEADLINE_WEBHOOK_TOKEN"),
        "{error}"
    );
    let Err(error) = from_env(ProviderName::Vapi, &|_| None) else {
        panic!("configured without credentials");
    };
    assert!(
        error.contains("VAPI_API_KEY") && error.contains("VAPI_WEBHOOK_SECRET"),
        "{error}"
    );
    assert!(!error.contains("VAPI_PHONE_NUMBER_ID"), "optional: {error}");

    let short = |name: &str| match name {
        "BOLNA_API_KEY" => Some(BOLNA_KEY.to_owned()),
        "VAPI_API_KEY" => Some(VAPI_KEY.to_owned()),
        "LEADLINE_WEBHOOK_TOKEN" | "VAPI_WEBHOOK_SECRET" => Some("short".to_owned()),
        _ => None,
    };
    for (provider, variable) in [
        (ProviderName::Bolna, "LEADLINE_WEBHOOK_TOKEN"),
        (ProviderName::Vapi, "VAPI_WEBHOOK_SECRET"),
    ] {
        let Err(error) = from_env(provider, &short) else {
            panic!("{provider} configured with a short secret");
        };
        assert!(error.contains(variable) && error.contains("16"), "{error}");
    }

    let env = |name: &str| match name {
        "BOLNA_API_KEY" => Some(BOLNA_KEY.to_owned()),
        "VAPI_API_KEY" => Some(VAPI_KEY.to_owned()),
        "LEADLINE_WEBHOOK_TOKEN" => Some(WEBHOOK_TOKEN.to_owned()),
        "VAPI_WEBHOOK_SECRET" => Some(VAPI_SECRET.to_owned()),
        "LEADLINE_VAPI_API_BASE" => Some("not a url".to_owned()),
        _ => None,
    };
    let setup = from_env(ProviderName::Bolna, &env).expect("bolna");
    assert_eq!(setup.adapter.name(), ProviderName::Bolna);
    assert!(setup.webhooks.bolna_token.is_some());
    assert_no_credentials(&format!("{:?}", setup.webhooks));
    let Err(error) = from_env(ProviderName::Vapi, &env) else {
        panic!("configured with a bad API base");
    };
    assert!(error.contains("LEADLINE_VAPI_API_BASE"), "{error}");
    let env = |name: &str| match name {
        "LEADLINE_VAPI_API_BASE" => None,
        _ => env(name),
    };
    let setup = from_env(ProviderName::Vapi, &env).expect("vapi");
    assert_eq!(setup.adapter.name(), ProviderName::Vapi);
    assert!(setup.webhooks.vapi_secret.is_some());
    assert_no_credentials(&format!("{:?}", setup.webhooks));
}
