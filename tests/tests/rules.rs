//! Black-box tests of the calling rules' API: a real `leadline serve` on
//! 127.0.0.1. When calls are placed is tested on a virtual clock (the
//! domain's tests, the dialer's scenarios, the simulation); here, what a
//! user sets and reads: jurisdiction rules in force, contact policies,
//! several numbers per lead, opt-outs.

mod common;

use common::Server;
use reqwest::StatusCode;
use serde_json::{json, Value};

const ADMIN_KEY: &str = "admin-key-for-the-rules-tests";

common::http::api_client!();

impl Api {
    fn user(&self, name: &str) -> (String, String) {
        let (status, body) = self.post(ADMIN_KEY, "/api/v1/users", json!({"name": name}));
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            body["id"].as_str().expect("id").to_owned(),
            body["api_key"].as_str().expect("api key").to_owned(),
        )
    }
}

fn start() -> (tempfile::TempDir, Server, Api) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), ADMIN_KEY);
    let api = Api::new(&server);
    (dir, server, api)
}

#[test]
fn a_campaign_lists_the_rules_in_force_for_its_leads_numbers() {
    let (_dir, _server, api) = start();
    let (_, key) = api.user("Asha");
    // Given a campaign with the defaults: jurisdiction rules on
    let (status, campaign) = api.post(
        &key,
        "/api/v1/campaigns",
        json!({"name": "Mixed", "retry": {"delay_minutes_by_status": {"busy": 15, "no_answer": 240}}}),
    );
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    assert_eq!(campaign["jurisdiction_rules"], true, "{campaign}");
    assert_eq!(campaign["debt_collection"], false, "{campaign}");
    assert_eq!(
        campaign["retry"]["delay_minutes_by_status"],
        json!({"busy": 15, "no_answer": 240})
    );
    assert_eq!(campaign["rules"], json!([]), "no leads, no rules yet");
    let id = campaign["id"].as_str().expect("id").to_owned();

    // When leads of Florida, New York, India and the UK arrive, one with
    // a second number
    let csv = "phone,phone2,name\n\
        +13055550100,,Miami\n\
        +12125550100,+447911123456,New York and London\n\
        +919876543210,,Pune\n";
    let (status, report) = api.raw(
        &key,
        &format!("/api/v1/campaigns/{id}/leads"),
        "text/csv",
        csv.as_bytes().to_vec(),
    );
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 3, "{report}");

    // Then the campaign lists each jurisdiction with its hours, caps and
    // holds, and how many leads it covers
    let (_, campaign) = api.get(&key, &format!("/api/v1/campaigns/{id}"));
    let rules = campaign["rules"].as_array().expect("rules");
    let find = |id: &str| -> Value {
        rules
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} in {rules:?}"))
    };
    assert_eq!(find("US")["hours"], "08:00–21:00");
    assert_eq!(find("US")["leads"], 2);
    assert_eq!(find("US-FL")["hours"], "08:00–20:00");
    assert_eq!(find("US-FL")["cap"], "3 calls in 24 h");
    assert_eq!(find("IN")["hours"], "09:00–21:00");
    assert_eq!(find("GB")["abandoned_hold_hours"], 72);
    assert!(find("GB")["source"]
        .as_str()
        .unwrap_or("")
        .contains("Ofcom"));
    assert!(rules.iter().all(|r| r["id"] != "CA"));

    // and turning the rules off (and debt collection on) shows that
    let (status, patched) = api.patch(
        &key,
        &format!("/api/v1/campaigns/{id}"),
        json!({"jurisdiction_rules": false, "debt_collection": true}),
    );
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["jurisdiction_rules"], false);
    let ids: Vec<&str> = patched["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["REG-F"], "{patched}");

    // The lead with two numbers lists both, the main one first
    let (_, leads) = api.get(&key, &format!("/api/v1/campaigns/{id}/leads"));
    let two = leads["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .find(|l| l["phone"] == "+12125550100")
        .cloned()
        .expect("the New York lead");
    let (_, lead) = api.get(
        &key,
        &format!("/api/v1/leads/{}", two["id"].as_str().expect("id")),
    );
    assert_eq!(
        lead["phones"],
        json!(["+12125550100", "+447911123456"]),
        "{lead}"
    );
}

#[test]
fn a_number_on_another_lead_makes_a_duplicate_and_bad_numbers_are_named() {
    let (_dir, _server, api) = start();
    let (_, key) = api.user("Asha");
    let (_, campaign) = api.post(
        &key,
        "/api/v1/campaigns",
        json!({"name": "Dups", "default_region": "IN"}),
    );
    let id = campaign["id"].as_str().expect("id").to_owned();
    let (status, report) = api.post(
        &key,
        &format!("/api/v1/campaigns/{id}/leads"),
        json!({"leads": [
            {"phone": "9876500001", "alt_phones": ["9876500002"]},
            {"phone": "9876500003", "alt_phones": ["9876500002"]},
            {"phone": "9876500004", "alt_phones": ["", "12"]},
            {"phone": "9876500005", "alt_phones": ["9876500006", "9876500007", "9876500008", "9876500009", "9876500010"]},
            {"phone": "9876500011", "alt_phones": ["9876500011", "+91 98765 00012"]}
        ]}),
    );
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 2, "{report}");
    assert_eq!(report["duplicates"], 1, "{report}");
    let invalid = report["invalid"].as_array().expect("invalid");
    assert_eq!(invalid.len(), 2, "{report}");
    assert!(
        invalid[0]["error"]
            .as_str()
            .unwrap_or("")
            .contains("phone3"),
        "{report}"
    );
    assert!(
        invalid[1]["error"]
            .as_str()
            .unwrap_or("")
            .contains("at most 4"),
        "{report}"
    );
    let (status, refused) = api.post(
        &key,
        &format!("/api/v1/campaigns/{id}/leads"),
        json!({"leads": [{"phone": "9876500020", "alt_phones": "9876500021"}]}),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
}

#[test]
fn a_contact_policy_is_the_users_own_and_is_checked() {
    let (_dir, _server, api) = start();
    let (asha_id, asha) = api.user("Asha");
    let (ben_id, ben) = api.user("Ben");
    // The default has no caps and no holidays
    let (status, policy) = api.get(&asha, "/api/v1/users/me/contact-policy");
    assert_eq!(status, StatusCode::OK, "{policy}");
    assert_eq!(
        policy,
        json!({"user_id": asha_id, "per_number": [], "holidays": []})
    );

    // A policy is set, and read back, by `me` or by id
    let body = json!({
        "per_number": [{"calls_max": 3, "window_hours": 24}, {"calls_max": 7, "window_hours": 168}],
        "holidays": [{"date": "2026-12-25", "regions": ["US", "IN"]}]
    });
    let (status, set) = api.put(&asha, "/api/v1/users/me/contact-policy", body.clone());
    assert_eq!(status, StatusCode::OK, "{set}");
    let (_, read) = api.get(&asha, &format!("/api/v1/users/{asha_id}/contact-policy"));
    assert_eq!(read, set);
    assert_eq!(read["per_number"], body["per_number"]);
    // Holidays come back by date, their regions sorted.
    assert_eq!(
        read["holidays"],
        json!([{"date": "2026-12-25", "regions": ["IN", "US"]}])
    );

    // Another user's is not found; the admin reads and sets anyone's
    let (status, _) = api.get(&ben, &format!("/api/v1/users/{asha_id}/contact-policy"));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.put(
        &ben,
        &format!("/api/v1/users/{asha_id}/contact-policy"),
        json!({}),
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, by_admin) = api.put(
        ADMIN_KEY,
        &format!("/api/v1/users/{ben_id}/contact-policy"),
        json!({"per_number": [{"calls_max": 1, "window_hours": 1}]}),
    );
    assert_eq!(status, StatusCode::OK, "{by_admin}");
    let (status, _) = api.get(ADMIN_KEY, "/api/v1/users/me/contact-policy");
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Bad input is a 422 that names the problem and changes nothing
    for (bad, needle) in [
        (
            json!({"holidays": [{"date": "2026-12-25", "regions": ["UK"]}]}),
            "GB, not UK",
        ),
        (
            json!({"holidays": [{"date": "25/12/2026", "regions": ["US"]}]}),
            "date",
        ),
        (
            json!({"holidays": [{"date": "2026-12-25", "regions": []}]}),
            "regions",
        ),
        (
            json!({"per_number": [{"calls_max": 0, "window_hours": 24}]}),
            "cap",
        ),
        (
            json!({"per_number": [{"calls_max": 3, "window_hours": 10000}]}),
            "cap",
        ),
    ] {
        let (status, problem) = api.put(&asha, "/api/v1/users/me/contact-policy", bad.clone());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap_or("").contains(needle),
            "{bad}: {problem}"
        );
    }
    let (status, unknown) = api.put(
        &asha,
        "/api/v1/users/me/contact-policy",
        json!({"caps": []}),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{unknown}");
    let (_, after) = api.get(&asha, "/api/v1/users/me/contact-policy");
    assert_eq!(after, set, "nothing changed");
}

#[test]
fn a_dnc_disposition_stops_the_number_in_every_campaign_of_the_user() {
    let (_dir, _server, api) = start();
    let (_, key) = api.user("Asha");
    // Two campaigns hold the same number; the first calls it (answered on
    // the simulator: last digit 0). They dial at any hour: rules off.
    let mut ids = Vec::new();
    for name in ["First", "Second"] {
        let (_, campaign) = api.post(
            &key,
            "/api/v1/campaigns",
            json!({"name": name, "jurisdiction_rules": false, "retry": {"max_attempts": 1}}),
        );
        let id = campaign["id"].as_str().expect("id").to_owned();
        let (status, report) = api.post(
            &key,
            &format!("/api/v1/campaigns/{id}/leads"),
            json!({"leads": [{"phone": "+919876500010"}]}),
        );
        assert_eq!(status, StatusCode::OK, "{report}");
        ids.push(id);
    }
    let (status, started) = api.post(
        &key,
        &format!("/api/v1/campaigns/{}/start", ids[0]),
        json!({}),
    );
    assert_eq!(status, StatusCode::OK, "{started}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let lead = loop {
        let (_, leads) = api.get(&key, &format!("/api/v1/campaigns/{}/leads", ids[0]));
        let lead = leads["leads"][0].clone();
        if lead["status"] == "answered" {
            break lead;
        }
        assert!(std::time::Instant::now() < deadline, "not answered: {lead}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    // When the person asks not to be called again
    let (status, disposed) = api.post(
        &key,
        &format!(
            "/api/v1/leads/{}/disposition",
            lead["id"].as_str().expect("id")
        ),
        json!({"status": "dnc"}),
    );
    assert_eq!(status, StatusCode::OK, "{disposed}");
    assert_eq!(disposed["status"], "dnc");
    // Then the number is on the user's list, and the other campaign's lead
    // with it is marked too, before that campaign ever starts
    let (_, list) = api.get(&key, "/api/v1/dnc");
    assert!(list.to_string().contains("+919876500010"), "{list}");
    let (_, leads) = api.get(&key, &format!("/api/v1/campaigns/{}/leads", ids[1]));
    assert_eq!(leads["leads"][0]["status"], "dnc", "{leads}");
    let (status, refused) = api.post(
        &key,
        &format!("/api/v1/campaigns/{}/start", ids[1]),
        json!({}),
    );
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "nothing left to call: {refused}"
    );
}

#[test]
fn eligibility_names_every_rule_that_holds_a_lead_and_the_counts_sum_to_the_total() {
    let (_dir, _server, api) = start();
    let (_, key) = api.user("Asha");
    // Given a draft campaign of Indian numbers, jurisdiction rules on
    let (_, campaign) = api.post(
        &key,
        "/api/v1/campaigns",
        json!({"name": "Why not", "default_region": "IN"}),
    );
    let id = campaign["id"].as_str().expect("id").to_owned();
    let (status, report) = api.post(
        &key,
        &format!("/api/v1/campaigns/{id}/leads"),
        json!({"leads": [{"phone": "9876500001"}, {"phone": "9876500002"}, {"phone": "9876500003"}]}),
    );
    assert_eq!(status, StatusCode::OK, "{report}");
    let (_, leads) = api.get(&key, &format!("/api/v1/campaigns/{id}/leads"));
    let lead = leads["leads"][0]["id"].as_str().expect("lead").to_owned();

    // When a lead is asked about at 02:00 IST
    let (status, why) = api.get(
        &key,
        &format!("/api/v1/leads/{lead}/eligibility?at=2026-12-01T02:00:00%2B05:30"),
    );
    assert_eq!(status, StatusCode::OK, "{why}");
    // Then the campaign's status and India's hours hold it, in the rules'
    // order, India's until 09:00 IST
    assert_eq!(why["eligible"], false, "{why}");
    let rules: Vec<&str> = why["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|r| r["rule"].as_str())
        .collect();
    assert_eq!(
        rules,
        vec!["campaign_status", "jurisdiction_hours"],
        "{why}"
    );
    assert_eq!(why["reasons"][1]["until"], "2026-12-01T03:30:00Z", "{why}");
    assert!(why["reasons"][1]["detail"]
        .as_str()
        .unwrap_or("")
        .contains("+919876500001"));

    // The campaign's counts sum to its total
    let (status, counts) = api.get(&key, &format!("/api/v1/campaigns/{id}/eligibility"));
    assert_eq!(status, StatusCode::OK, "{counts}");
    let held: u64 = counts["held"]
        .as_object()
        .expect("held")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    let sum = counts["eligible_now"].as_u64().unwrap_or(0)
        + counts["in_flight"].as_u64().unwrap_or(0)
        + counts["finished"].as_u64().unwrap_or(0)
        + held;
    assert_eq!(counts["total"], 3, "{counts}");
    assert_eq!(sum, 3, "{counts}");
    assert_eq!(
        counts["held"]["campaign_status"], 3,
        "a draft holds every lead: {counts}"
    );

    // A bad instant is a 400 that names the parameter
    let (status, problem) = api.get(
        &key,
        &format!("/api/v1/leads/{lead}/eligibility?at=tomorrow"),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or("")
        .contains("at must be RFC 3339"));
}
