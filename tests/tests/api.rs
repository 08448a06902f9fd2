//! Black-box tests of the HTTP API: a real `leadline serve` on 127.0.0.1
//! with a temporary data directory, spoken to over HTTP as a user would.

mod common;

use common::Server;
use reqwest::StatusCode;
use serde_json::{json, Value};

const ADMIN_KEY: &str = "admin-key-for-the-api-tests";

common::http::api_client!();

impl Api {
    fn user(&self, name: &str) -> String {
        let (status, body) = self.post(ADMIN_KEY, "/api/v1/users", json!({"name": name}));
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["api_key"].as_str().expect("api key").to_owned()
    }

    /// Creates a campaign. These tests dial on the real clock at any hour,
    /// so a campaign turns the jurisdiction rules off unless its body says
    /// otherwise; the rules themselves are tested in the domain, the
    /// dialer's scenarios and the simulation, on a virtual clock.
    fn campaign(&self, key: &str, mut body: Value) -> String {
        if let Some(fields) = body.as_object_mut() {
            fields
                .entry("jurisdiction_rules")
                .or_insert(Value::Bool(false));
        }
        let (status, created) = self.post(key, "/api/v1/campaigns", body);
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created["id"].as_str().expect("id").to_owned()
    }

    fn position(&self) -> u64 {
        let (_, health) = self.get(ADMIN_KEY, "/healthz");
        health["position"].as_u64().expect("position")
    }
}

fn start() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), ADMIN_KEY);
    (dir, server)
}

const INDIAN_FORMS: &str = "phone,name,priority,timezone,loan_id\n\
9876543210,Ravi,2,,LN-1\n\
09876543210,Ravi again,,,LN-2\n\
919876543210,Ravi thrice,,,LN-3\n\
+91 98765 43210,Ravi four,,,LN-4\n\
98765abc,Bad,,,LN-5\n\
12,Too short,,,LN-6\n\
9876543211,Asha,1,Asia/Kolkata,LN-7\n";

#[test]
fn auth_and_tenancy() {
    let (_dir, server) = start();
    let api = Api::new(&server);
    let asha = api.user("Asha");
    let ben = api.user("Ben");
    let campaign = api.campaign(
        &asha,
        json!({"name": "EMI Reminder", "default_region": "IN"}),
    );
    let (status, _) = api.csv(
        &asha,
        &format!("/api/v1/campaigns/{campaign}/leads"),
        INDIAN_FORMS,
    );
    assert_eq!(status, StatusCode::OK);
    let (_, page) = api.get(&asha, &format!("/api/v1/campaigns/{campaign}/leads"));
    let lead = page["leads"][0]["id"].as_str().expect("lead").to_owned();

    let (status, _) = api.call(api.client.get(format!("{}/api/v1/campaigns", api.base)));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api.get("not-a-key", "/api/v1/campaigns");
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    for path in [
        format!("/api/v1/campaigns/{campaign}"),
        format!("/api/v1/campaigns/{campaign}/stats"),
        format!("/api/v1/campaigns/{campaign}/leads"),
        format!("/api/v1/campaigns/{campaign}/hopper"),
        format!("/api/v1/leads/{lead}"),
        format!("/api/v1/leads/{lead}/history"),
        format!("/api/v1/calls?campaign_id={campaign}"),
    ] {
        let (status, _) = api.get(&ben, &path);
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{path} must be hidden from another user"
        );
        let (status, _) = api.get(&asha, &path);
        assert_eq!(status, StatusCode::OK, "{path} for its owner");
        let (status, _) = api.get(ADMIN_KEY, &path);
        assert_eq!(status, StatusCode::OK, "{path} for the admin");
    }
    let (status, _) = api.post(
        &ben,
        &format!("/api/v1/campaigns/{campaign}/start"),
        json!({}),
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = api.get(&ben, "/api/v1/campaigns");
    assert_eq!(list["campaigns"].as_array().map(Vec::len), Some(0));
    let (_, events) = api.get(&ben, "/api/v1/events?after=0");
    let streams: Vec<&str> = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["stream"].as_str())
        .collect();
    assert!(
        streams.iter().all(|s| s.starts_with("user-")),
        "another user's events leaked: {streams:?}"
    );
    let (status, _) = api.post(&asha, "/api/v1/users", json!({"name": "Mallory"}));
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, me) = api.get(&asha, "/api/v1/users/me");
    assert_eq!(me["name"], "Asha");
    assert!(me.get("api_key").is_none(), "keys are shown once only");
}

#[test]
fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let (_dir, server) = start();
    let api = Api::new(&server);
    let key = api.user("Asha");
    let campaign = api.campaign(&key, json!({"name": "Errors", "default_region": "IN"}));
    let leads = format!("/api/v1/campaigns/{campaign}/leads");
    let before = api.position();
    let cases: Vec<(&str, StatusCode, (StatusCode, Value))> = vec![
        (
            "malformed JSON",
            StatusCode::BAD_REQUEST,
            api.raw(
                &key,
                "/api/v1/campaigns",
                "application/json",
                b"{\"name\":".to_vec(),
            ),
        ),
        (
            "wrong type",
            StatusCode::UNPROCESSABLE_ENTITY,
            api.post(&key, "/api/v1/campaigns", json!({"name": 7})),
        ),
        (
            "unknown field",
            StatusCode::UNPROCESSABLE_ENTITY,
            api.post(
                &key,
                "/api/v1/campaigns",
                json!({"name": "x", "frist_call_time": "09:00"}),
            ),
        ),
        (
            "unknown zone",
            StatusCode::UNPROCESSABLE_ENTITY,
            api.post(
                &key,
                "/api/v1/campaigns",
                json!({"name": "x", "timezone": "Mars/Olympus"}),
            ),
        ),
        (
            "25:00",
            StatusCode::UNPROCESSABLE_ENTITY,
            api.post(
                &key,
                "/api/v1/campaigns",
                json!({"name": "x", "first_call_time": "25:00"}),
            ),
        ),
        (
            "empty name",
            StatusCode::UNPROCESSABLE_ENTITY,
            api.post(&key, "/api/v1/campaigns", json!({"name": ""})),
        ),
        (
            "bad retry status",
            StatusCode::UNPROCESSABLE_ENTITY,
            api.post(
                &key,
                "/api/v1/campaigns",
                json!({"name": "x", "retry": {"statuses": ["answered"]}}),
            ),
        ),
        (
            "wrong content type",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            api.raw(&key, "/api/v1/campaigns", "text/plain", b"name=x".to_vec()),
        ),
        (
            "huge body",
            StatusCode::PAYLOAD_TOO_LARGE,
            api.raw(
                &key,
                "/api/v1/campaigns",
                "application/json",
                vec![b' '; 17 * 1024 * 1024],
            ),
        ),
        (
            "CSV without phone",
            StatusCode::BAD_REQUEST,
            api.csv(&key, &leads, "name\nRavi\n"),
        ),
        (
            "ragged CSV",
            StatusCode::BAD_REQUEST,
            api.csv(&key, &leads, "phone,name\n9876543210,a\n9876543212,b,c\n"),
        ),
        (
            "leads as text",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            api.raw(&key, &leads, "text/plain", b"phone\n1".to_vec()),
        ),
        (
            "junk campaign id",
            StatusCode::NOT_FOUND,
            api.get(&key, "/api/v1/campaigns/c_not-an-id"),
        ),
        (
            "junk lead id",
            StatusCode::NOT_FOUND,
            api.get(&key, "/api/v1/leads/%00%FF"),
        ),
        (
            "unknown route",
            StatusCode::NOT_FOUND,
            api.get(&key, "/api/v1/nothing-here"),
        ),
        (
            "bad status filter",
            StatusCode::BAD_REQUEST,
            api.get(&key, "/api/v1/campaigns?status=sleeping"),
        ),
        (
            "bad cursor",
            StatusCode::BAD_REQUEST,
            api.get(&key, &format!("{leads}?cursor=abc")),
        ),
        (
            "start without leads",
            StatusCode::CONFLICT,
            api.post(
                &key,
                &format!("/api/v1/campaigns/{campaign}/start"),
                json!({}),
            ),
        ),
        (
            "recycle to answered",
            StatusCode::UNPROCESSABLE_ENTITY,
            api.post(
                &key,
                &format!("/api/v1/campaigns/{campaign}/recycle"),
                json!({"statuses": ["no_answer"], "target_status": "answered"}),
            ),
        ),
    ];
    for (name, want, (status, body)) in cases {
        assert_eq!(status, want, "{name}: {body}");
        assert!(
            !body["detail"].as_str().unwrap_or("").is_empty(),
            "{name}: a detail the user can act on"
        );
    }
    assert_eq!(api.position(), before, "refused requests wrote nothing");
}

#[test]
fn indian_number_forms_import_as_one_lead_and_the_stats_add_up() {
    let (_dir, server) = start();
    let api = Api::new(&server);
    let key = api.user("Asha");
    let campaign = api.campaign(
        &key,
        json!({"name": "EMI Reminder", "timezone": "Asia/Kolkata", "default_region": "IN"}),
    );
    let (status, report) = api.csv(
        &key,
        &format!("/api/v1/campaigns/{campaign}/leads"),
        INDIAN_FORMS,
    );
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 2, "{report}");
    assert_eq!(report["duplicates"], 3, "{report}");
    let invalid = report["invalid"].as_array().expect("invalid rows");
    let rows: Vec<u64> = invalid.iter().filter_map(|r| r["row"].as_u64()).collect();
    assert_eq!(
        rows,
        vec![5, 6],
        "rows are numbered from 1 after the header: {report}"
    );
    assert!(invalid
        .iter()
        .all(|r| !r["error"].as_str().unwrap_or("").is_empty()));

    let (_, page) = api.get(
        &key,
        &format!("/api/v1/campaigns/{campaign}/leads?status=new"),
    );
    let phones: Vec<&str> = page["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .filter_map(|l| l["phone"].as_str())
        .collect();
    assert_eq!(phones, vec!["+919876543210", "+919876543211"]);
    let ravi = &page["leads"][0];
    assert_eq!(ravi["fields"]["loan_id"], "LN-1");
    assert_eq!(ravi["dial_attempts"], 0);

    let (_, stats) = api.get(&key, &format!("/api/v1/campaigns/{campaign}/stats"));
    assert_eq!(stats["total"], 5);
    assert_eq!(stats["skipped"], 3);
    let sum: u64 = stats["by_status"]
        .as_object()
        .expect("by_status")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(sum, 5, "by_status sums to total: {stats}");
    assert_eq!(stats["progress"], "0/5 (0 failed)");

    // JSON import, and a second upload of a known number is a duplicate.
    let (status, report) = api.post(&key, &format!("/api/v1/campaigns/{campaign}/leads"),
        json!({"leads": [{"phone": "+91 98765 43211"}, {"phone": "9876543219", "name": "Neha", "fields": {"city": "Pune"}}]}));
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["imported"].as_u64(), report["duplicates"].as_u64()),
        (Some(1), Some(1))
    );

    let (status, started) = api.post(
        &key,
        &format!("/api/v1/campaigns/{campaign}/start"),
        json!({}),
    );
    assert_eq!(status, StatusCode::OK, "{started}");
    assert!(
        started["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("Started"),
        "{started}"
    );
    let (status, again) = api.post(
        &key,
        &format!("/api/v1/campaigns/{campaign}/start"),
        json!({}),
    );
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    // The dialer runs in the server: the highest priority is called first.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let first_call = loop {
        let (_, calls) = api.get(&key, &format!("/api/v1/calls?campaign_id={campaign}"));
        if let Some(call) = calls["calls"].as_array().and_then(|c| c.first()).cloned() {
            break call;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no call within 10 s of the start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(
        first_call["phone"], "+919876543210",
        "priority first: {first_call}"
    );
    let (status, paused) = api.post(
        &key,
        &format!("/api/v1/campaigns/{campaign}/pause"),
        json!({}),
    );
    assert_eq!(
        (status, paused["status"].as_str()),
        (StatusCode::OK, Some("paused")),
        "{paused}"
    );
    let (status, resumed) = api.post(
        &key,
        &format!("/api/v1/campaigns/{campaign}/resume"),
        json!({}),
    );
    assert_eq!(status, StatusCode::OK, "{resumed}");
    assert!(
        resumed["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("Resumed: "),
        "{resumed}"
    );
    let (_, list) = api.get(&key, "/api/v1/campaigns?status=active");
    assert_eq!(list["campaigns"].as_array().map(Vec::len), Some(1));
    let (status, patched) = api.patch(
        &key,
        &format!("/api/v1/campaigns/{campaign}"),
        json!({"first_call_time": "09:00", "last_call_time": "18:00"}),
    );
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["first_call_time"], "09:00");
}

#[test]
fn history_verify_rebuild_and_restart_keep_every_read_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), ADMIN_KEY);
    let api = Api::new(&server);
    let key = api.user("Asha");
    let contact = {
        let (status, contact) = api.post(
            &key,
            "/api/v1/contacts",
            json!({"phone": "+14155550123", "name": "Sam"}),
        );
        assert_eq!(status, StatusCode::CREATED, "{contact}");
        contact["id"].as_str().expect("contact id").to_owned()
    };
    let campaign = api.campaign(
        &key,
        json!({"name": "Follow-ups", "default_region": "IN", "contact_ids": [contact]}),
    );
    api.csv(
        &key,
        &format!("/api/v1/campaigns/{campaign}/leads"),
        INDIAN_FORMS,
    );
    api.post(
        &key,
        &format!("/api/v1/campaigns/{campaign}/start"),
        json!({}),
    );
    let (status, _) = api.post(
        &key,
        "/api/v1/dnc",
        json!({"phone": "9876543211", "default_region": "IN"}),
    );
    assert_eq!(status, StatusCode::CREATED);
    let (_, page) = api.get(&key, &format!("/api/v1/campaigns/{campaign}/leads"));
    let lead = page["leads"][1]["id"].as_str().expect("lead").to_owned();

    let (_, history) = api.get(&key, &format!("/api/v1/leads/{lead}/history"));
    let types: Vec<&str> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(types.first(), Some(&"LeadImported"), "{history}");
    assert!(history["events"][0]["actor"]
        .as_str()
        .unwrap_or("")
        .starts_with("user:u_"));
    let (_, before_import) = api.get(
        &key,
        &format!("/api/v1/leads/{lead}/history?as_of=2000-01-01T00:00:00Z"),
    );
    assert_eq!(before_import["lead"], Value::Null);

    let (_, verified) = api.get(ADMIN_KEY, "/api/v1/admin/verify");
    assert_eq!(verified["ok"], true, "{verified}");

    // The dialer works in the server: wait until its calls ended and
    // nothing more happens (the next retry is hours away), so that every
    // read can be compared.
    settle(&api, &key, &campaign);
    let reads = |api: &Api| -> Vec<Value> {
        [
            "/api/v1/campaigns".to_string(),
            format!("/api/v1/campaigns/{campaign}"),
            format!("/api/v1/campaigns/{campaign}/stats"),
            format!("/api/v1/campaigns/{campaign}/hopper"),
            format!("/api/v1/campaigns/{campaign}/leads"),
            format!("/api/v1/leads/{lead}"),
            format!("/api/v1/leads/{lead}/history"),
            format!("/api/v1/calls?campaign_id={campaign}"),
            "/api/v1/contacts".to_string(),
            "/api/v1/dnc".to_string(),
            "/api/v1/users/me".to_string(),
            "/api/v1/events?after=0".to_string(),
        ]
        .iter()
        .map(|path| {
            let (status, body) = api.get(&key, path);
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            body
        })
        .collect()
    };
    let first = reads(&api);
    let (status, rebuilt) = api.call(
        api.client
            .post(format!("{}/api/v1/admin/rebuild", api.base))
            .bearer_auth(ADMIN_KEY),
    );
    assert_eq!(status, StatusCode::OK, "{rebuilt}");
    assert!(rebuilt["events_per_s"].as_f64().unwrap_or(0.0) > 0.0);
    assert_eq!(
        reads(&api),
        first,
        "a rebuild gives exactly the same answers"
    );

    let exit = server.terminate();
    assert_eq!(exit.code(), Some(0), "SIGTERM stops the server cleanly");
    let server = Server::start(dir.path(), ADMIN_KEY);
    let api = Api::new(&server);
    assert_eq!(reads(&api), first, "a restart keeps everything");
    let (_, verified) = api.get(ADMIN_KEY, "/api/v1/admin/verify");
    assert_eq!(verified["ok"], true, "{verified}");
}

/// Waits until the campaign has no call in flight and the log has not moved
/// for a second.
fn settle(api: &Api, key: &str, campaign: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut last = (u64::MAX, std::time::Instant::now());
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never settled"
        );
        let position = api.position();
        let (_, stats) = api.get(key, &format!("/api/v1/campaigns/{campaign}/stats"));
        if position != last.0 {
            last = (position, std::time::Instant::now());
        } else if stats["in_flight"] == 0 && last.1.elapsed() > std::time::Duration::from_secs(1) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn operations_endpoints_answer() {
    let (_dir, server) = start();
    let api = Api::new(&server);
    let (status, health) = api.call(api.client.get(format!("{}/healthz", api.base)));
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let metrics = api
        .client
        .get(format!("{}/metrics", api.base))
        .send()
        .expect("metrics")
        .text()
        .expect("text");
    assert!(metrics.contains("leadline_log_position"), "{metrics}");
    let (status, openapi) = api.call(api.client.get(format!("{}/openapi.json", api.base)));
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/campaigns",
        "/api/v1/campaigns/{id}/leads",
        "/api/v1/events/stream",
        "/api/v1/admin/verify",
    ] {
        assert!(openapi["paths"].get(path).is_some(), "{path} is documented");
    }
    let docs = api
        .client
        .get(format!("{}/docs/", api.base))
        .send()
        .expect("docs");
    assert_eq!(docs.status(), StatusCode::OK);
    let page = api.client.get(&api.base).send().expect("index");
    assert_eq!(page.status(), StatusCode::OK);
}

#[test]
fn the_live_feed_streams_events_as_they_happen() {
    use std::io::Read;
    let (_dir, server) = start();
    let api = Api::new(&server);
    let key = api.user("Asha");
    let mut feed = api
        .client
        .get(format!("{}/api/v1/events/stream", api.base))
        .bearer_auth(&key)
        .send()
        .expect("open the feed");
    assert_eq!(feed.status(), StatusCode::OK);
    assert!(feed
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream")));
    // An event after the feed opened arrives on it.
    let campaign = api.campaign(&key, json!({"name": "Live"}));
    let mut seen = String::new();
    let mut buffer = [0u8; 4096];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains("event: CampaignCreated") && std::time::Instant::now() < deadline {
        let n = feed.read(&mut buffer).expect("read the feed");
        if n == 0 {
            break;
        }
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    assert!(seen.contains("event: CampaignCreated"), "{seen}");
    assert!(seen.contains(&campaign), "{seen}");
    assert!(
        seen.contains("id: "),
        "each event carries its position as its id: {seen}"
    );
}

#[test]
fn the_dashboard_and_what_it_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_with(dir.path(), ADMIN_KEY, &["--sim-call-ms", "200"], &[]);
    let api = Api::new(&server);

    // The page and its files are embedded, cacheable by tag, and locked to
    // this origin.
    let page = api.client.get(&api.base).send().expect("index");
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    let html = page.text().expect("html");
    assert!(html.contains("/assets/app.js"), "{html}");
    let script = api
        .client
        .get(format!("{}/assets/app.js", api.base))
        .send()
        .expect("app.js");
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.headers()["content-type"]
        .to_str()
        .is_ok_and(|t| t.starts_with("text/javascript")));
    let tag = script.headers()["etag"].clone();
    let again = api
        .client
        .get(format!("{}/assets/app.js", api.base))
        .header("if-none-match", tag)
        .send()
        .expect("app.js again");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let template = api
        .client
        .get(format!("{}/assets/templates/leads-advanced.csv", api.base))
        .send()
        .expect("template");
    assert!(template.headers()["content-disposition"]
        .to_str()
        .is_ok_and(|d| d.contains("attachment")));
    assert!(template
        .text()
        .expect("csv")
        .starts_with("phone,name,priority,timezone"));
    // Both templates import as they are, every row valid.
    let key = api.user("Templates");
    for (template, rows) in [("leads-basic.csv", 2), ("leads-advanced.csv", 3)] {
        let text = api
            .client
            .get(format!("{}/assets/templates/{template}", api.base))
            .send()
            .and_then(|r| r.text())
            .expect("template");
        let campaign = api.campaign(&key, json!({"name": template, "default_region": "IN"}));
        let (status, report) = api.csv(&key, &format!("/api/v1/campaigns/{campaign}/leads"), &text);
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(
            (
                report["imported"].as_u64(),
                report["invalid_total"].as_u64()
            ),
            (Some(rows), Some(0)),
            "{template}: {report}"
        );
    }
    for missing in [
        "/assets/nope.js",
        "/assets/../Cargo.toml",
        "/assets/leads-basic.csv",
    ] {
        let (status, _) = api.call(api.client.get(format!("{}{missing}", api.base)));
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    }

    // The live feed and the paged log filter by campaign.
    let key = api.user("Asha");
    let other = api.user("Ben");
    let first = api.campaign(&key, json!({"name": "First", "default_region": "IN"}));
    let second = api.campaign(&key, json!({"name": "Second", "default_region": "IN"}));
    let theirs = api.campaign(&other, json!({"name": "Theirs"}));
    let (status, _) = api.csv(
        &key,
        &format!("/api/v1/campaigns/{first}/leads"),
        "phone\n9876543210\n9876543211\n9876543210\n",
    );
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api.csv(
        &key,
        &format!("/api/v1/campaigns/{second}/leads"),
        "phone\n9876543212\n",
    );
    assert_eq!(status, StatusCode::OK);
    let (status, page) = api.get(&key, &format!("/api/v1/events?campaign_id={first}"));
    assert_eq!(status, StatusCode::OK);
    let events = page["events"].as_array().expect("events");
    let imported = events
        .iter()
        .filter(|e| e["type"] == "LeadImported")
        .count();
    assert_eq!(
        imported, 3,
        "the duplicate is imported, then skipped: {page}"
    );
    for event in events {
        let data = event["data"].as_object().and_then(|d| d.values().next());
        assert!(
            event["stream"] == format!("campaign-{first}")
                || data.is_some_and(|d| d["campaign_id"] == first.as_str()),
            "{event}"
        );
    }
    let (status, _) = api.get(&key, &format!("/api/v1/events?campaign_id={theirs}"));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.get(&key, "/api/v1/events/stream?campaign_id=nonsense");
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The breakdown says which statuses a recycle may take.
    let (_, stats) = api.get(&key, &format!("/api/v1/campaigns/{first}/stats"));
    let rows = stats["breakdown"].as_array().expect("breakdown");
    let recyclable = |status: &str| {
        rows.iter()
            .find(|r| r["status"] == status)
            .map(|r| r["manually_recyclable"].clone())
    };
    assert_eq!(recyclable("new"), Some(json!(true)), "{stats}");
    assert_eq!(recyclable("skipped"), Some(json!(false)), "{stats}");

    // The call log reads newest first on request.
    let (status, _) = api.post(&key, &format!("/api/v1/campaigns/{first}/start"), json!({}));
    assert_eq!(status, StatusCode::OK);
    settle(&api, &key, &first);
    let ids = |order: &str| -> Vec<Value> {
        let (status, page) = api.get(
            &key,
            &format!("/api/v1/calls?campaign_id={first}&order={order}"),
        );
        assert_eq!(status, StatusCode::OK, "{page}");
        page["calls"]
            .as_array()
            .expect("calls")
            .iter()
            .map(|c| c["id"].clone())
            .collect()
    };
    let oldest_first = ids("asc");
    let mut newest_first = ids("desc");
    assert_eq!(oldest_first.len(), 2);
    newest_first.reverse();
    assert_eq!(newest_first, oldest_first);
    let (status, _) = api.get(
        &key,
        &format!("/api/v1/calls?campaign_id={first}&order=sideways"),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[test]
fn a_patch_keeps_absent_settings_and_clears_null_ones() {
    let (_dir, server) = start();
    let api = Api::new(&server);
    let key = api.user("Asha");
    let id = api.campaign(
        &key,
        json!({"name": "Settings", "start_date": "2030-01-01", "default_region": "IN",
               "local_hours": {"start": "09:00", "end": "21:00"},
               "attempts_per_day_max": 2, "dial_delay_ms": 500}),
    );
    let path = format!("/api/v1/campaigns/{id}");
    // Absent fields stay as they were.
    let (status, kept) = api.patch(&key, &path, json!({"name": "Renamed"}));
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["name"], "Renamed");
    assert_eq!(kept["local_hours"]["start"], "09:00");
    assert_eq!(kept["retry"]["attempts_per_day_max"], 2);
    assert_eq!(kept["dial_delay_ms"], 500);
    assert_eq!(kept["start_date"], "2030-01-01");
    // `null` clears each optional setting.
    let (status, cleared) = api.patch(
        &key,
        &path,
        json!({"local_hours": null, "attempts_per_day_max": null, "dial_delay_ms": null,
               "start_date": null, "default_region": null}),
    );
    assert_eq!(status, StatusCode::OK, "{cleared}");
    for field in [
        "local_hours",
        "dial_delay_ms",
        "start_date",
        "default_region",
    ] {
        assert!(cleared[field].is_null(), "{field}: {cleared}");
    }
    assert!(
        cleared["retry"]["attempts_per_day_max"].is_null(),
        "{cleared}"
    );
    // A bad value is refused and changes nothing.
    let (status, _) = api.patch(
        &key,
        &path,
        json!({"name": "Nope", "local_hours": {"start": "25:00", "end": "21:00"}}),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, after) = api.get(&key, &path);
    assert_eq!(after["name"], "Renamed");
    assert!(after["local_hours"].is_null());
}

/// Integrators push leads one request per CRM worker, while the dialer
/// runs: every valid request is answered 200, none is refused because the
/// others ran at the same time.
#[test]
fn concurrent_imports_into_a_dialing_campaign_are_all_accepted() {
    const CLIENTS: usize = 50;
    const LEADS_EACH: usize = 100;
    let (_dir, server) = start();
    let api = Api::new(&server);
    let key = api.user("Asha");
    let campaign = api.campaign(
        &key,
        json!({"name": "CRM push", "timezone": "UTC", "default_region": "US",
               "first_call_time": "00:00", "last_call_time": "23:59"}),
    );
    let path = format!("/api/v1/campaigns/{campaign}/leads");
    let first: Vec<Value> = (0..200)
        .map(|i| json!({"phone": format!("+1415300{i:04}")}))
        .collect();
    let (status, report) = api.post(&key, &path, json!({ "leads": first }));
    assert_eq!(
        (status, report["imported"].as_u64()),
        (StatusCode::OK, Some(200)),
        "{report}"
    );
    let (status, started) = api.post(
        &key,
        &format!("/api/v1/campaigns/{campaign}/start"),
        json!({}),
    );
    assert_eq!(status, StatusCode::OK, "{started}");

    let barrier = std::sync::Barrier::new(CLIENTS);
    let answers: Vec<(StatusCode, Value)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (api, key, path, barrier) = (&api, &key, &path, &barrier);
                scope.spawn(move || {
                    let leads: Vec<Value> = (0..LEADS_EACH)
                        .map(|i| json!({"phone": format!("+1415{}{i:04}", 400 + client)}))
                        .collect();
                    barrier.wait();
                    api.post(key, path, json!({ "leads": leads }))
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("client thread"))
            .collect()
    });
    for (status, report) in &answers {
        assert_eq!(*status, StatusCode::OK, "{report}");
        assert_eq!(report["imported"], LEADS_EACH as u64, "{report}");
    }
    let (_, stats) = api.get(&key, &format!("/api/v1/campaigns/{campaign}/stats"));
    assert_eq!(
        stats["total"],
        (200 + CLIENTS * LEADS_EACH) as u64,
        "{stats}"
    );
    assert!(
        stats["dials"].as_u64().unwrap_or(0) > 0,
        "the campaign was dialing meanwhile: {stats}"
    );
}

/// A dropped call is retried after the campaign's own delay when that is
/// shorter than the default; a delay set by hand is kept, and `null` goes
/// back to the default.
#[test]
fn the_dropped_call_delay_follows_the_retry_delay_unless_set() {
    let (_dir, server) = start();
    let api = Api::new(&server);
    let key = api.user("Asha");
    let id = api.campaign(
        &key,
        json!({"name": "Quick retries", "retry": {"delay_minutes": 2}}),
    );
    let path = format!("/api/v1/campaigns/{id}");
    let (_, created) = api.get(&key, &path);
    assert_eq!(created["retry"]["dropped_delay_minutes"], 2, "{created}");
    let (status, set) = api.patch(&key, &path, json!({"retry": {"dropped_delay_minutes": 30}}));
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["retry"]["dropped_delay_minutes"], 30, "{set}");
    assert_eq!(set["retry"]["delay_minutes"], 2, "{set}");
    let (status, unset) = api.patch(
        &key,
        &path,
        json!({"retry": {"dropped_delay_minutes": null}}),
    );
    assert_eq!(status, StatusCode::OK, "{unset}");
    assert_eq!(unset["retry"]["dropped_delay_minutes"], 2, "{unset}");
}

#[test]
fn a_method_a_route_does_not_have_is_405_with_allow() {
    let (_dir, server) = start();
    let api = Api::new(&server);
    let key = api.user("Asha");
    let campaign = api.campaign(&key, json!({"name": "Renewals"}));
    let position = api.position();
    for (method, path, allow) in [
        ("PUT", "/api/v1/users/me".to_owned(), "GET, PATCH"),
        ("TRACE", "/api/v1/users/me".to_owned(), "GET, PATCH"),
        ("DELETE", "/api/v1/users".to_owned(), "GET, POST"),
        (
            "PUT",
            format!("/api/v1/campaigns/{campaign}"),
            "GET, PATCH, DELETE",
        ),
        ("POST", "/healthz".to_owned(), "GET"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = api
            .client
            .request(method.clone(), api.url(&path))
            .bearer_auth(&key)
            .send()
            .expect("request");
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert_eq!(header("allow"), allow, "{method} {path}");
        assert_eq!(header("content-type"), "application/problem+json");
        let body: Value = response.json().expect("problem");
        assert_eq!(body["status"], 405, "{body}");
    }
    // A path that is no route stays 404, and nothing was written.
    let (status, _) = api.call(api.client.put(api.url("/api/v1/nothing")).bearer_auth(&key));
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(api.position(), position);
}

#[test]
fn values_outside_their_documented_range_are_refused() {
    let (_dir, server) = start();
    let api = Api::new(&server);
    let key = api.user("Asha");
    let campaign = api.campaign(&key, json!({"name": "Renewals", "default_region": "IN"}));

    // A log position past int64 is a 400, the largest one is fine.
    let (status, problem) = api.get(&key, "/api/v1/events?after=9223372036854775808");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("9223372036854775807")),
        "{problem}"
    );
    let (status, page) = api.get(&key, "/api/v1/events?after=9223372036854775807");
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["events"], json!([]));

    // A priority that is not a 32-bit whole number refuses its row.
    let (status, report) = api.csv(
        &key,
        &format!("/api/v1/campaigns/{campaign}/leads"),
        "phone,name,priority\n9876543210,Ravi,7\n9876543211,Asha,NaN\n9876543212,Ben,99999999999999999999\n",
    );
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 1, "{report}");
    let invalid = report["invalid"].as_array().expect("invalid rows");
    let rows: Vec<u64> = invalid.iter().filter_map(|r| r["row"].as_u64()).collect();
    assert_eq!(rows, [2, 3], "{report}");
    assert!(
        invalid.iter().all(|r| r["error"]
            .as_str()
            .is_some_and(|e| e.contains("priority must be a whole number"))),
        "{report}"
    );
}

#[test]
fn a_body_declared_over_the_limit_is_refused_before_it_is_read() {
    use std::io::{Read, Write};
    let (_dir, server) = start();
    let api = Api::new(&server);
    let key = api.user("Asha");
    let campaign = api.campaign(&key, json!({"name": "Renewals"}));
    let address = server.url.trim_start_matches("http://").to_owned();
    for (path, content_type, declared) in [
        (
            format!("/api/v1/campaigns/{campaign}/leads"),
            "text/csv",
            300 * 1024 * 1024,
        ),
        (
            format!("/api/v1/campaigns/{campaign}/leads"),
            "application/json",
            20 * 1024 * 1024,
        ),
        (
            "/api/v1/webhooks/twilio".to_owned(),
            "application/x-www-form-urlencoded",
            10 * 1024 * 1024,
        ),
    ] {
        // Headers only: the body never comes.
        let mut stream = std::net::TcpStream::connect(&address).expect("connect");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .expect("timeout");
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: {content_type}\r\nContent-Length: {declared}\r\n\r\nphone\n"
        )
        .expect("send headers");
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream
                .read(&mut buffer)
                .unwrap_or_else(|e| panic!("{path}: no answer before the body was sent: {e}"));
            assert!(n > 0, "{path}: closed without an answer");
            answer.extend_from_slice(&buffer[..n]);
        }
        let head = String::from_utf8_lossy(&answer);
        assert!(head.starts_with("HTTP/1.1 413"), "{path}: {head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/problem+json"),
            "{path}: {head}"
        );
    }
}

#[test]
fn one_key_cannot_take_every_live_feed() {
    let (_dir, server) = start();
    let api = Api::new(&server);
    let asha = api.user("Asha");
    let ben = api.user("Ben");
    let open = |key: &str| {
        api.client
            .get(api.url("/api/v1/events/stream"))
            .bearer_auth(key)
            .send()
            .expect("feed")
    };
    // A key holds up to its share of feeds (16) ...
    let mut feeds: Vec<_> = (0..16).map(|_| open(&asha)).collect();
    assert!(feeds.iter().all(|f| f.status() == StatusCode::OK));
    // ... one more is refused with Retry-After, while another key is not.
    let refused = open(&asha);
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.headers().contains_key("retry-after"));
    let problem: Value = refused.json().expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("this key")),
        "{problem}"
    );
    let other = open(&ben);
    assert_eq!(other.status(), StatusCode::OK);
    // Closing a feed gives its place back (noticed within two 5 s
    // heartbeats).
    drop(feeds.pop());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(25);
    loop {
        let again = open(&asha);
        if again.status() == StatusCode::OK {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a closed feed's place never came back"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn users_me_answers_what_its_schema_requires_for_the_admin_and_a_user() {
    let (_dir, server) = start();
    let api = Api::new(&server);
    let asha = api.user("Asha");
    let (_, document) = api.get(ADMIN_KEY, "/openapi.json");
    let schema = &document["components"]["schemas"]["MeView"];
    let required: Vec<&str> = schema["required"]
        .as_array()
        .expect("required fields")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(required.contains(&"admin"), "{schema}");
    for (key, admin) in [(ADMIN_KEY, true), (asha.as_str(), false)] {
        let (status, me) = api.get(key, "/api/v1/users/me");
        assert_eq!(status, StatusCode::OK, "{me}");
        for field in &required {
            assert!(!me[field].is_null(), "{field} missing from {me}");
        }
        assert_eq!(me["admin"], admin, "{me}");
    }
}

/// The served document passes `openapi-spec-validator` (PyPI). `.ci/run`
/// installs it and sets `LEADLINE_OPENAPI_VALIDATOR=required`; elsewhere a
/// machine without it says so and passes.
#[test]
fn the_served_openapi_document_validates() {
    let required = std::env::var("LEADLINE_OPENAPI_VALIDATOR").is_ok_and(|v| v == "required");
    let available = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            !required,
            "python3 with openapi-spec-validator is required (pip install openapi-spec-validator)"
        );
        eprintln!("skipped: python3 -m openapi_spec_validator is not installed");
        return;
    }
    let (dir, server) = start();
    let api = Api::new(&server);
    let (status, document) = api.get(ADMIN_KEY, "/openapi.json");
    assert_eq!(status, StatusCode::OK);
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, document.to_string()).expect("write the document");
    let output = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("run the validator");
    assert!(
        output.status.success(),
        "openapi-spec-validator refused the document:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_body_that_trickles_in_is_cut_off() {
    use std::io::{Read, Write};
    let (_dir, server) = start();
    let api = Api::new(&server);
    let key = api.user("Asha");
    let campaign = api.campaign(&key, json!({"name": "Renewals"}));
    let address = server.url.trim_start_matches("http://").to_owned();
    let position = api.position();
    // One byte a second of a declared 100,000: a CSV upload and a JSON
    // command, at once.
    let slow = [
        (
            format!("/api/v1/campaigns/{campaign}/leads"),
            "text/csv",
            key.clone(),
        ),
        (
            "/api/v1/users".to_owned(),
            "application/json",
            ADMIN_KEY.to_owned(),
        ),
    ];
    let clients: Vec<_> = slow
        .into_iter()
        .map(|(path, content_type, key)| {
            let address = address.clone();
            std::thread::spawn(move || {
                let started = std::time::Instant::now();
                let mut stream = std::net::TcpStream::connect(&address).expect("connect");
                stream
                    .set_read_timeout(Some(std::time::Duration::from_millis(900)))
                    .expect("timeout");
                write!(
                    stream,
                    "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
                     Content-Type: {content_type}\r\nContent-Length: 100000\r\n\r\n"
                )
                .expect("send headers");
                let mut answer = Vec::new();
                let mut buffer = [0u8; 4096];
                while started.elapsed() < std::time::Duration::from_secs(40) {
                    // The server may close its side once it has answered.
                    let _ = stream.write_all(b"x");
                    match stream.read(&mut buffer) {
                        Ok(0) => break,
                        Ok(n) => {
                            answer.extend_from_slice(&buffer[..n]);
                            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                                break;
                            }
                        }
                        Err(_) => {} // nothing yet: send the next byte
                    }
                }
                (
                    path,
                    started.elapsed(),
                    String::from_utf8_lossy(&answer).into_owned(),
                )
            })
        })
        .collect();
    for client in clients {
        let (path, took, answer) = client.join().expect("client");
        assert!(
            answer.starts_with("HTTP/1.1 4"),
            "{path}: no 4xx after {took:?}: {answer:?}"
        );
        assert!(
            took < std::time::Duration::from_secs(20),
            "{path}: cut off only after {took:?}"
        );
    }
    assert_eq!(api.position(), position, "nothing was written");
}

#[test]
fn a_compliance_report_is_its_campaigns_owners_and_names_a_bad_time() {
    let (dir, server) = start();
    let api = Api::new(&server);
    let asha = api.user("Asha");
    let ben = api.user("Ben");
    let campaign = api.campaign(
        &asha,
        json!({"name": "EMI Reminder", "default_region": "IN"}),
    );
    let (status, _) = api.csv(
        &asha,
        &format!("/api/v1/campaigns/{campaign}/leads"),
        INDIAN_FORMS,
    );
    assert_eq!(status, StatusCode::OK);
    let path = format!("/api/v1/campaigns/{campaign}/compliance");

    // The owner and the admin read it: every rule, nothing dialed yet.
    let position = api.position();
    for key in [asha.as_str(), ADMIN_KEY] {
        let (status, report) = api.get(key, &path);
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["checked_through_position"], position, "{report}");
        assert!(
            report["log_hash"].as_str().is_some_and(|h| !h.is_empty()),
            "{report}"
        );
        let rules: Vec<&str> = report["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|r| r["rule"].as_str())
            .collect();
        assert_eq!(rules.len(), 11, "{report}");
        assert!(rules.contains(&"local_hours") && rules.contains(&"dnc"));
    }

    // Another user's campaign is not found, by GET or POST.
    let (status, _) = api.get(&ben, &path);
    assert_eq!(status, StatusCode::NOT_FOUND);
    let rules = json!({"rules": [{"id": "IN", "country": "IN", "weekday_hours": "10:00-18:00",
        "zones": ["Asia/Kolkata"], "source": "a stricter reading"}]});
    let (status, _) = api.post(&ben, &path, rules.clone());
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bad times are 400, naming the parameter.
    let (status, problem) = api.get(&asha, &format!("{path}?from=yesterday"));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("from")),
        "{problem}"
    );
    let (status, problem) = api.get(&asha, &format!("{path}?to=2026-13-01T00:00:00Z"));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("to")),
        "{problem}"
    );
    let (status, problem) = api.get(
        &asha,
        &format!("{path}?from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z"),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");

    // Another table by POST; a malformed one is refused naming its field.
    let (status, report) = api.post(&asha, &path, rules);
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(
        report["rules_table"]
            .as_str()
            .is_some_and(|t| t.starts_with("file blake3:")),
        "{report}"
    );
    let (status, problem) = api.post(
        &asha,
        &path,
        json!({"rules": [{"id": "IN", "country": "IN", "weekday_hours": "10:00-18:00",
            "zones": ["Asia/Kolkata"], "source": "s", "cap_per_day": 2}]}),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("rules[0] (IN)") && d.contains("cap_per_day")),
        "{problem}"
    );

    // The CLI asks the server that holds the log: GET, and POST with --rules.
    let rules_file = dir.path().join("rules.json");
    std::fs::write(
        &rules_file,
        r#"{"rules": [{"id": "IN", "country": "IN", "weekday_hours": "10:00-18:00",
            "zones": ["Asia/Kolkata"], "source": "a stricter reading"}]}"#,
    )
    .expect("rules file");
    let empty = tempfile::tempdir().expect("tempdir");
    for extra in [vec![], vec!["--rules", rules_file.to_str().expect("path")]] {
        let output = common::leadline()
            .args(["audit", "compliance", "--campaign", &campaign, "--json"])
            .args(["--url", &api.base, "--key", &asha, "--data"])
            .arg(empty.path())
            .args(&extra)
            .output()
            .expect("run leadline");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        let report: Value = serde_json::from_slice(&output.stdout).expect("json report");
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["campaign_id"], campaign.as_str());
        let table = report["rules_table"].as_str().unwrap_or_default();
        assert_eq!(
            table.starts_with("file blake3:"),
            !extra.is_empty(),
            "{report}"
        );
    }
    let output = common::leadline()
        .args(["audit", "compliance", "--campaign", &campaign])
        .args(["--url", &api.base, "--key", &ben, "--data"])
        .arg(empty.path())
        .output()
        .expect("run leadline");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("HTTP 404"));
}
