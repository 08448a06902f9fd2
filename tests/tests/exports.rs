//! Results out, black-box: a real `leadline serve` on 127.0.0.1, its
//! `leads.csv` and `calls.csv` read as a spreadsheet user's download would
//! be, and compared with what the JSON API says of the same leads and calls.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::Server;
use reqwest::StatusCode;
use serde_json::{json, Value};

const ADMIN_KEY: &str = "admin-key-for-the-export-tests";

common::http::api_client!();

/// A downloaded CSV file: its header row and its rows, by column name.
struct CsvFile {
    header: Vec<String>,
    rows: Vec<HashMap<String, String>>,
    raw: String,
}

impl Api {
    fn user(&self, name: &str) -> String {
        let (status, body) = self.post(ADMIN_KEY, "/api/v1/users", json!({"name": name}));
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["api_key"].as_str().expect("api key").to_owned()
    }

    /// A campaign that dials at any hour (the jurisdiction rules are the
    /// domain's tests' business, not the export's).
    fn campaign(&self, key: &str, name: &str) -> String {
        let body = json!({"name": name, "default_region": "IN", "jurisdiction_rules": false});
        let (status, created) = self.post(key, "/api/v1/campaigns", body);
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created["id"].as_str().expect("id").to_owned()
    }

    fn import(&self, key: &str, campaign: &str, csv: &str) {
        let (status, report) = self.csv(key, &format!("/api/v1/campaigns/{campaign}/leads"), csv);
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["invalid_total"], 0, "{report}");
    }

    /// Every item of a paged list.
    fn all(&self, key: &str, path: &str, items: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let separator = if path.contains('?') { '&' } else { '?' };
            let mut url = format!("{path}{separator}limit=1000");
            if let Some(cursor) = &cursor {
                url.push_str(&format!("&cursor={cursor}"));
            }
            let (status, page) = self.get(key, &url);
            assert_eq!(status, StatusCode::OK, "{page}");
            all.extend(page[items].as_array().expect("items").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return all,
            }
        }
    }

    /// Downloads a CSV file, checks its headers, and parses it with the
    /// `csv` crate.
    fn download(&self, key: &str, path: &str, filename: &str) -> CsvFile {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .expect("download");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("content-type"), "text/csv; charset=utf-8", "{path}");
        assert_eq!(
            header("content-disposition"),
            format!("attachment; filename=\"{filename}\""),
            "{path}"
        );
        let raw = response.text().expect("body");
        let mut reader = csv::Reader::from_reader(raw.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .expect("a header row")
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader
            .records()
            .map(|record| {
                let record = record.expect("a well-formed row");
                assert_eq!(record.len(), header.len(), "every row has every column");
                header
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_owned))
                    .collect()
            })
            .collect();
        CsvFile { header, rows, raw }
    }
}

/// Waits until the campaign has no call in flight and the log has not moved
/// for a second.
fn settle(api: &Api, key: &str, campaign: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = (u64::MAX, Instant::now());
    loop {
        assert!(Instant::now() < deadline, "the server never settled");
        let (_, health) = api.get(ADMIN_KEY, "/healthz");
        let position = health["position"].as_u64().expect("position");
        let (_, stats) = api.get(key, &format!("/api/v1/campaigns/{campaign}/stats"));
        if position != last.0 {
            last = (position, Instant::now());
        } else if stats["in_flight"] == 0 && last.1.elapsed() > Duration::from_secs(1) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn instant(text: &str) -> Option<DateTime<Utc>> {
    (!text.is_empty()).then(|| {
        DateTime::parse_from_rfc3339(text)
            .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
            .with_timezone(&Utc)
    })
}

fn json_instant(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().and_then(instant)
}

/// Ten people, one per last digit (so the simulator gives every outcome),
/// a second number for one, a field a spreadsheet would run as a formula,
/// and a field named like one of the file's own columns.
const LEADS: &str = "phone,phone2,name,priority,loan_id,note,status\n\
9876500000,9876511116,Asha,2,LN-0,=HYPERLINK(\"x\"),vip\n\
9876500001,,Ben,,LN-1,+1 call back,\n\
9876500002,,\"Chen, Li\",,LN-2,-3,\n\
9876500003,,Dev,,LN-3,@SUM(A1),\n\
9876500004,,Esha,,LN-4,\"two\nlines\",\n\
9876500005,,Farah,,LN-5,,\n\
9876500006,,,,LN-6,,\n\
9876500007,,Gita,,LN-7,,\n\
9876500008,,Hari,,LN-8,,\n\
9876500009,,Ira,,LN-9,,\n";

const LEAD_COLUMNS: [&str; 15] = [
    "lead_id",
    "phone",
    "phone2",
    "phone3",
    "phone4",
    "phone5",
    "name",
    "status",
    "attempts",
    "answered",
    "last_dial_at",
    "last_result",
    "next_eligible_at",
    "priority",
    "timezone",
];

const CALL_COLUMNS: [&str; 12] = [
    "call_id",
    "lead_id",
    "campaign_id",
    "phone",
    "attempt",
    "status",
    "started_at",
    "ended_at",
    "duration_secs",
    "provider_call_id",
    "provider_status",
    "error",
];

#[test]
fn leads_and_calls_come_out_as_csv_matching_the_api() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_with(dir.path(), ADMIN_KEY, &["--sim-call-ms", "50"], &[]);
    let api = Api::new(&server);
    let asha = api.user("Asha");
    let ben = api.user("Ben");
    let campaign = api.campaign(&asha, "EMI Reminder: November (2026)");
    api.import(&asha, &campaign, LEADS);
    let (status, started) = api.post(
        &asha,
        &format!("/api/v1/campaigns/{campaign}/start"),
        json!({}),
    );
    assert_eq!(status, StatusCode::OK, "{started}");
    settle(&api, &asha, &campaign);

    // The leads file: the fixed columns, then the fields sorted by key,
    // the one named like a column prefixed.
    let file = api.download(
        &asha,
        &format!("/api/v1/campaigns/{campaign}/leads.csv"),
        "emi-reminder-november-2026-leads.csv",
    );
    let mut expected: Vec<String> = LEAD_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    expected.extend(["loan_id", "note", "field_status"].map(str::to_owned));
    assert_eq!(file.header, expected);
    assert!(
        file.raw.starts_with("lead_id,phone,") && file.raw.ends_with("\r\n"),
        "a header row, and CRLF line ends"
    );
    let leads = api.all(
        &asha,
        &format!("/api/v1/campaigns/{campaign}/leads"),
        "leads",
    );
    assert_eq!(leads.len(), 10);
    assert_eq!(file.rows.len(), leads.len(), "every lead, once");
    for (row, lead) in file.rows.iter().zip(&leads) {
        assert_eq!(row["lead_id"], text(&lead["id"]), "in import order");
        assert_eq!(row["phone"], text(&lead["phone"]));
        assert_eq!(row["phone2"], text(&lead["phones"][1]));
        assert_eq!(row["phone3"], "");
        assert_eq!(row["name"], text(&lead["name"]));
        assert_eq!(row["status"], text(&lead["status"]));
        assert_eq!(row["attempts"], text(&lead["dial_attempts"]));
        assert_eq!(row["answered"], text(&lead["answered_count"]));
        assert_eq!(
            instant(&row["last_dial_at"]),
            json_instant(&lead["last_dial_attempt"])
        );
        assert_eq!(row["last_result"], text(&lead["dial_result"]));
        assert_eq!(
            instant(&row["next_eligible_at"]),
            json_instant(&lead["next_eligible_at"]),
            "{row:?} against {lead}"
        );
        assert_eq!(row["priority"], text(&lead["priority"]));
        assert_eq!(row["timezone"], text(&lead["timezone"]));
        assert_eq!(row["loan_id"], text(&lead["fields"]["loan_id"]));
        assert_eq!(row["field_status"], text(&lead["fields"]["status"]));
    }
    let dialed = file.rows.iter().filter(|r| r["attempts"] != "0").count();
    assert!(dialed > 0, "the campaign dialed: {:?}", file.rows);
    assert_eq!(file.rows[0]["phone"], "+919876500000");
    assert_eq!(file.rows[0]["phone2"], "+919876511116", "alt numbers");
    assert_eq!(file.rows[0]["field_status"], "vip");
    let notes: Vec<&str> = file.rows.iter().map(|r| r["note"].as_str()).collect();
    assert_eq!(
        &notes[..6],
        [
            "'=HYPERLINK(\"x\")",
            "'+1 call back",
            "-3",
            "'@SUM(A1)",
            "two\nlines",
            ""
        ],
        "formulas escaped, plain numbers and the rest kept"
    );
    assert_eq!(file.rows[2]["name"], "Chen, Li");

    // The call log of the campaign, in dial order.
    let file = api.download(
        &asha,
        &format!("/api/v1/calls.csv?campaign_id={campaign}"),
        "emi-reminder-november-2026-calls.csv",
    );
    assert_eq!(file.header, CALL_COLUMNS);
    let calls = api.all(
        &asha,
        &format!("/api/v1/calls?campaign_id={campaign}"),
        "calls",
    );
    assert!(!calls.is_empty());
    assert_eq!(file.rows.len(), calls.len());
    for (row, call) in file.rows.iter().zip(&calls) {
        assert_eq!(row["call_id"], text(&call["id"]));
        assert_eq!(row["lead_id"], text(&call["lead_id"]));
        assert_eq!(row["campaign_id"], campaign);
        assert_eq!(row["phone"], text(&call["phone"]));
        assert_eq!(row["attempt"], text(&call["attempt"]));
        assert_eq!(row["status"], text(&call["status"]));
        assert_eq!(
            instant(&row["started_at"]),
            json_instant(&call["started_at"])
        );
        assert_eq!(instant(&row["ended_at"]), json_instant(&call["ended_at"]));
        assert_eq!(row["duration_secs"], text(&call["duration_secs"]));
        assert_eq!(row["provider_call_id"], text(&call["provider_call_id"]));
        assert_eq!(row["provider_status"], text(&call["provider_status"]));
        assert_eq!(row["error"], text(&call["error"]));
    }

    // Without a campaign: every campaign of the caller; the admin's: all.
    let second = api.campaign(&asha, "Second");
    api.import(&asha, &second, "phone\n9876522220\n");
    let everyone = api.campaign(&ben, "Ben's own");
    api.import(&ben, &everyone, "phone\n9876533330\n");
    let mine = api.download(&asha, "/api/v1/calls.csv", "calls.csv");
    assert_eq!(mine.rows.len(), calls.len());
    let all = api.download(ADMIN_KEY, "/api/v1/calls.csv", "calls.csv");
    assert_eq!(all.rows.len(), calls.len());
    let none = api.download(&ben, "/api/v1/calls.csv", "calls.csv");
    assert_eq!(
        (none.header.len(), none.rows.len()),
        (CALL_COLUMNS.len(), 0)
    );
    let admin = api.download(
        ADMIN_KEY,
        &format!("/api/v1/campaigns/{campaign}/leads.csv"),
        "emi-reminder-november-2026-leads.csv",
    );
    assert_eq!(admin.rows.len(), 10);
    let plain = api.download(
        &asha,
        &format!("/api/v1/campaigns/{second}/leads.csv"),
        "second-leads.csv",
    );
    assert_eq!(plain.header, LEAD_COLUMNS, "no fields, no field columns");
    assert_eq!(plain.rows.len(), 1);

    // Another user's campaign, an unknown one, junk: problem+json.
    for path in [
        format!("/api/v1/campaigns/{campaign}/leads.csv"),
        format!("/api/v1/calls.csv?campaign_id={campaign}"),
        format!("/api/v1/campaigns/{}/leads.csv", uuid::Uuid::nil()),
        "/api/v1/campaigns/not-an-id/leads.csv".to_owned(),
        "/api/v1/calls.csv?campaign_id=not-an-id".to_owned(),
    ] {
        let (status, problem) = api.get(&ben, &path);
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {problem}");
    }
    let (status, _) = api.get(&asha, "/api/v1/calls.csv?campaign=x");
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown parameter");
    let (status, _) = api.call(api.client.get(api.url("/api/v1/calls.csv")));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[test]
fn a_campaign_larger_than_a_chunk_comes_out_whole_and_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), ADMIN_KEY);
    let api = Api::new(&server);
    let key = api.user("Big");
    let campaign = api.campaign(&key, "Big");
    let rows = 5_321;
    let mut csv = String::from("phone,name,region\n");
    for i in 0..rows {
        let region = if i % 1000 == 7 { ",north" } else { "," };
        csv.push_str(&format!("98{i:08},Customer {i}{region}\n"));
    }
    api.import(&key, &campaign, &csv);
    let file = api.download(
        &key,
        &format!("/api/v1/campaigns/{campaign}/leads.csv"),
        "big-leads.csv",
    );
    assert_eq!(file.header.last().map(String::as_str), Some("region"));
    let leads = api.all(
        &key,
        &format!("/api/v1/campaigns/{campaign}/leads"),
        "leads",
    );
    assert_eq!(leads.len(), rows);
    let file_ids: Vec<&str> = file.rows.iter().map(|r| r["lead_id"].as_str()).collect();
    let api_ids: Vec<&str> = leads.iter().filter_map(|l| l["id"].as_str()).collect();
    assert_eq!(file_ids, api_ids);
    let north = file.rows.iter().filter(|r| r["region"] == "north").count();
    assert_eq!(north, 6);
}
