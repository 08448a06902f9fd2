//! A campaign's timeline against a real server: a simulator campaign's
//! dials and outcomes summed over every bucket size equal its call log,
//! and bad requests are problem+json.

mod common;

use common::Server;
use reqwest::StatusCode;
use serde_json::{json, Value};

const ADMIN_KEY: &str = "admin-key-for-the-timeline-tests";

common::http::api_client!();

const OUTCOMES: [&str; 7] = [
    "answered",
    "no_answer",
    "busy",
    "failed",
    "dropped",
    "congestion",
    "voicemail",
];

impl Api {
    fn user(&self, name: &str) -> String {
        let (status, body) = self.post(ADMIN_KEY, "/api/v1/users", json!({"name": name}));
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["api_key"].as_str().expect("api key").to_owned()
    }
}

fn sum(timeline: &Value, field: &str) -> u64 {
    timeline["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| b[field].as_u64().expect("a count"))
        .sum()
}

#[test]
fn a_campaigns_timeline_sums_to_its_calls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_with(dir.path(), ADMIN_KEY, &["--sim-call-ms", "150"], &[]);
    let api = Api::new(&server);
    let key = api.user("Asha");
    let other = api.user("Ben");
    let (status, created) = api.post(
        &key,
        "/api/v1/campaigns",
        json!({"name": "Timeline", "default_region": "IN", "timezone": "Asia/Kolkata",
               "jurisdiction_rules": false}),
    );
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let campaign = created["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/campaigns/{campaign}/timeline");

    // Before any call: an empty timeline in the campaign's zone.
    let (status, empty) = api.get(&key, &path);
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty["timezone"], "Asia/Kolkata");
    assert_eq!(empty["bucket"], "hour");
    assert_eq!(empty["buckets"], json!([]));

    // The last digit picks the simulated outcome: every kind once, and
    // two answered.
    let leads: Vec<Value> = (0..7)
        .map(|i| json!({"phone": format!("987654321{i}")}))
        .collect();
    let (status, report) = api.post(
        &key,
        &format!("/api/v1/campaigns/{campaign}/leads"),
        json!({ "leads": leads }),
    );
    assert_eq!(status, StatusCode::OK, "{report}");
    let (status, started) = api.post(
        &key,
        &format!("/api/v1/campaigns/{campaign}/start"),
        json!({}),
    );
    assert_eq!(status, StatusCode::OK, "{started}");

    // Every lead's first call ends (retries wait for minutes).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let calls = loop {
        let (_, calls) = api.get(&key, &format!("/api/v1/calls?campaign_id={campaign}"));
        let list = calls["calls"].as_array().cloned().unwrap_or_default();
        if list.len() >= 7 && list.iter().all(|c| c["status"] != "dialing") {
            break list;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the calls did not end: {calls}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let count = |status: &str| calls.iter().filter(|c| c["status"] == status).count() as u64;
    assert_eq!(count("answered"), 2);

    for bucket in ["minute", "hour", "day"] {
        let (status, line) = api.get(&key, &format!("{path}?bucket={bucket}"));
        assert_eq!(status, StatusCode::OK, "{line}");
        assert_eq!(line["bucket"], bucket);
        assert_eq!(line["timezone"], "Asia/Kolkata");
        assert_eq!(sum(&line, "dials"), calls.len() as u64, "{bucket}: {line}");
        for outcome in OUTCOMES {
            assert_eq!(
                sum(&line, outcome),
                count(outcome),
                "{bucket} {outcome}: {line}"
            );
        }
        assert_eq!(sum(&line, "ended"), calls.len() as u64, "{line}");
        let buckets = line["buckets"].as_array().expect("buckets");
        assert!(!buckets.is_empty());
        assert!(
            buckets
                .iter()
                .any(|b| b["in_flight_max"].as_u64() > Some(0)),
            "{line}"
        );
        for b in buckets {
            let ended = b["ended"].as_f64().expect("ended");
            if ended > 0.0 {
                let rate = b["answer_rate"].as_f64().expect("a rate");
                assert!((rate - b["answered"].as_f64().expect("n") / ended).abs() < 1e-9);
            } else {
                assert!(b["answer_rate"].is_null(), "{b}");
            }
        }
        if bucket == "hour" {
            // Kolkata's hours start at half past in UTC.
            let start = buckets[0]["start"].as_str().expect("start");
            assert!(start.ends_with(":30:00Z"), "{start}");
        }
    }

    // An explicit range: the buckets between, empty ones included.
    let (status, line) = api.get(
        &key,
        &format!("{path}?bucket=minute&from=2020-01-01T00:00:00Z&to=2020-01-01T00:10:00%2B00:00"),
    );
    assert_eq!(status, StatusCode::OK, "{line}");
    assert_eq!(line["buckets"].as_array().map(Vec::len), Some(10));
    assert_eq!(sum(&line, "dials"), 0);

    // Bad requests name what is wrong.
    for (query, names) in [
        ("bucket=week", "bucket"),
        ("from=yesterday", "from"),
        ("to=2020-01-01", "to"),
        (
            "bucket=minute&from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z",
            "TIMELINE_BUCKETS_MAX",
        ),
        ("from=2020-01-02T00:00:00Z&to=2020-01-01T00:00:00Z", "to"),
        ("color=blue", "color"),
    ] {
        let (status, problem) = api.get(&key, &format!("{path}?{query}"));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap_or("").contains(names),
            "{query}: {problem}"
        );
    }

    // Another user's campaign, or none, is not found.
    let (status, _) = api.get(&other, &path);
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.get(&key, "/api/v1/campaigns/cmp_nope/timeline");
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The route is documented.
    let (_, document) = api.get(ADMIN_KEY, "/openapi.json");
    assert!(
        document["paths"]["/api/v1/campaigns/{id}/timeline"]["get"].is_object(),
        "documented"
    );
}
