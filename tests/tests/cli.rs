//! The admin and auditor CLI against a real data directory: a small
//! history is written with the domain's events, the log is closed, and the
//! `leadline` binary reads it (history, export, verify, rebuild), is told
//! clearly when a server holds the directory, and names what it cannot
//! reach when importing.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};

use chrono::{DateTime, Duration, Utc};
use common::leadline;
use leadline::write::record::{self, Cause};
use leadline_domain::campaign::{self, CampaignSettings};
use leadline_domain::events::{CallEnded, CallPlaced, CampaignTransition, LeadDialed, LeadQueued};
use leadline_domain::plans::{self, LeadInput};
use leadline_domain::{
    user, Actor, CallId, CallOutcome, CampaignId, Event, LeadId, LeadStatus, PhoneNumber, UserId,
};
use leadline_storage::{chunk, keys, EventLog, ExpectedVersion, SledLog, SledOptions};
use serde_json::Value;
use tempfile::TempDir;

const CAMPAIGN: CampaignId = CampaignId::from_u128(2);
/// The lead that is dialed and answered.
const LEAD: LeadId = LeadId::from_u128(10);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

/// A closed data directory holding a user, a campaign, its start, an
/// import of `3 + extra_leads` rows (one a duplicate), and one dial of
/// [`LEAD`] that was answered. Returns the directory and the log's last
/// position.
fn seeded(extra_leads: usize) -> (TempDir, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = SledLog::open(dir.path(), SledOptions::default()).expect("open log");
    let user_id = UserId::from_u128(1);
    let cause = Cause::new(Actor::User(user_id));
    let append = |events: &[Event]| {
        let appends = record::appends(events, &cause, |_| ExpectedVersion::Any).expect("encode");
        log.submit(appends).wait().expect("append");
    };

    let created_at = at("2026-11-21T05:00:00Z");
    append(&user::create(None, user_id, "asha", None, "digest", created_at).expect("user"));
    let mut settings = CampaignSettings::new("EMI Reminder").expect("settings");
    settings.default_region = "IN".parse().ok();
    let created =
        campaign::create(None, CAMPAIGN, user_id, settings, created_at).expect("campaign");
    append(&created);
    let campaign = campaign::replay(&created).expect("campaign state");

    let mut phones = vec![
        "9876543210".to_owned(),
        "+91 98765 43210".to_owned(),
        "9876543217".to_owned(),
    ];
    phones.extend((0..extra_leads).map(|i| format!("+9199{i:08}")));
    let rows = phones
        .into_iter()
        .map(|phone| LeadInput {
            phone,
            name: Some("Customer".into()),
            priority: None,
            timezone: None,
            fields: Default::default(),
            contact_id: None,
            alt_phones: Vec::new(),
        })
        .collect();
    let mut next = (10..).map(LeadId::from_u128);
    let (imported, summary) = plans::import_leads(
        &campaign,
        &HashMap::new(),
        |_| false,
        rows,
        || next.next().unwrap_or(LeadId::from_u128(0)),
        at("2026-11-21T06:00:00Z"),
    )
    .expect("import");
    assert_eq!(summary.duplicates, 1);
    append(&imported);

    let dialed_at = at("2026-11-21T07:00:00Z");
    append(&[Event::CampaignStarted(CampaignTransition {
        campaign_id: CAMPAIGN,
        reason: None,
        at: dialed_at,
    })]);
    append(&dial_answered(dialed_at));

    let last = log.last_position();
    log.close().expect("close");
    (dir, last)
}

fn dial_answered(at: DateTime<Utc>) -> Vec<Event> {
    let call_id = CallId::from_u128(100);
    let phone = PhoneNumber::parse("+919876543210", None).expect("phone");
    vec![
        Event::LeadQueued(LeadQueued {
            campaign_id: CAMPAIGN,
            lead_id: LEAD,
            from: LeadStatus::New,
            at,
        }),
        Event::LeadDialed(LeadDialed {
            campaign_id: CAMPAIGN,
            lead_id: LEAD,
            call_id,
            attempt: 1,
            phone,
            at,
        }),
        Event::CallPlaced(CallPlaced {
            campaign_id: CAMPAIGN,
            lead_id: LEAD,
            call_id,
            provider_call_id: "sim-1".into(),
            at,
        }),
        Event::call_ended(
            CallOutcome::Answered,
            CallEnded {
                campaign_id: CAMPAIGN,
                lead_id: LEAD,
                call_id,
                provider_status: "completed".into(),
                duration_secs: Some(31),
                error: None,
                provider_call_id: None,
                at: at + Duration::seconds(31),
            },
        ),
    ]
}

/// What a run of the binary printed.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `leadline ARGS --data DIR`.
fn run(dir: &Path, args: &[&str]) -> Run {
    leadline()
        .args(args)
        .arg("--data")
        .arg(dir)
        .output()
        .expect("run leadline")
        .into()
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

#[test]
fn history_lists_every_event_of_the_lead_as_text() {
    let (dir, _) = seeded(0);
    let out = run(dir.path(), &["history", &LEAD.to_string()]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let types = [
        "LeadImported",
        "LeadQueued",
        "LeadDialed",
        "CallPlaced",
        "CallAnswered",
    ];
    assert_eq!(lines.len(), types.len(), "{out:?}");
    for (line, event_type) in lines.iter().zip(types) {
        let fields: Vec<&str> = line.split("  ").collect();
        assert!(fields[0].parse::<u64>().is_ok(), "position first: {line}");
        assert!(
            DateTime::parse_from_rfc3339(fields[1]).is_ok(),
            "recorded time: {line}"
        );
        assert_eq!(fields[2], event_type, "{line}");
        assert_eq!(fields[3], "user:u_00000000000000000000000000000001");
        let data: Value = serde_json::from_str(fields[4]).expect("data is JSON");
        assert_eq!(data["lead_id"], LEAD.to_string(), "{line}");
    }
}

#[test]
fn history_as_json_lines_carries_the_envelope_and_the_event() {
    let (dir, _) = seeded(0);
    let out = run(dir.path(), &["history", &LEAD.to_string(), "--json"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let events = json_lines(&out.stdout);
    assert_eq!(events.len(), 5, "{out:?}");
    let mut position = 0;
    for (version, event) in events.iter().enumerate() {
        assert_eq!(event["stream_version"], version as u64 + 1);
        let p = event["position"].as_u64().expect("position");
        assert!(p > position, "in log order");
        position = p;
        let event_type = event["type"].as_str().expect("type");
        assert!(event["data"][event_type].is_object(), "{event}");
        assert!(event["at"].is_string() && event["actor"].is_string());
    }
}

#[test]
fn history_as_of_shows_the_lead_as_it_was() {
    let (dir, _) = seeded(0);
    let lead = LEAD.to_string();

    let before = run(
        dir.path(),
        &["history", &lead, "--as-of", "2026-11-21T05:30:00Z"],
    );
    assert_eq!(before.code, Some(1), "{before:?}");
    assert!(before.stderr.contains("did not exist yet"), "{before:?}");

    let imported = run(
        dir.path(),
        &["history", &lead, "--as-of", "2026-11-21T11:30:00+05:00"],
    );
    assert_eq!(imported.code, Some(0), "{imported:?}");
    let state: Value = serde_json::from_str(&imported.stdout).expect("JSON state");
    assert_eq!(state["id"], lead);
    assert_eq!(state["campaign_id"], CAMPAIGN.to_string());
    assert_eq!(state["phone"], "+919876543210");
    assert_eq!(state["status"], "new");
    assert_eq!(state["dial_attempts"], 0);
    assert!(state["last_dial_attempt"].is_null());

    let answered = run(
        dir.path(),
        &[
            "history",
            &lead,
            "--as-of",
            "2026-11-21T08:00:00Z",
            "--json",
        ],
    );
    assert_eq!(answered.code, Some(0), "{answered:?}");
    let state: Value = serde_json::from_str(answered.stdout.trim()).expect("JSON state");
    assert_eq!(state["status"], "answered");
    assert_eq!(state["dial_attempts"], 1);
    assert_eq!(state["answered_count"], 1);
    assert_eq!(state["dial_result"], "answered");
    for field in [
        "name",
        "last_dial_attempt",
        "last_status_change",
        "callback_at",
    ] {
        assert!(state.get(field).is_some(), "{field} in {state}");
    }
}

#[test]
fn history_refuses_junk_with_a_clear_message() {
    let (dir, _) = seeded(0);
    let junk = run(dir.path(), &["history", "lead-42"]);
    assert_eq!(junk.code, Some(1), "{junk:?}");
    assert!(junk.stderr.contains("is not a lead id"), "{junk:?}");

    let unknown = run(
        dir.path(),
        &["history", &LeadId::from_u128(999).to_string()],
    );
    assert_eq!(unknown.code, Some(1), "{unknown:?}");
    assert!(unknown.stderr.contains("there is no lead"), "{unknown:?}");

    let bad_time = run(
        dir.path(),
        &["history", &LEAD.to_string(), "--as-of", "yesterday"],
    );
    assert_eq!(bad_time.code, Some(1), "{bad_time:?}");
    assert!(bad_time.stderr.contains("RFC 3339"), "{bad_time:?}");
}

#[test]
fn export_writes_every_event_in_log_order_and_starts_after_a_position() {
    let (dir, last) = seeded(0);
    let out = run(dir.path(), &["export"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let events = json_lines(&out.stdout);
    assert_eq!(events.len() as u64, last, "{out:?}");
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["position"], i as u64 + 1);
        for field in [
            "stream",
            "stream_version",
            "type",
            "at",
            "actor",
            "correlation_id",
            "causation_id",
            "data",
        ] {
            assert!(event.get(field).is_some(), "{field} in {event}");
        }
        let event_type = event["type"].as_str().expect("type");
        assert!(event["data"][event_type].is_object(), "{event}");
    }
    assert_eq!(events[0]["type"], "UserCreated");
    assert_eq!(
        events[0]["stream"],
        "user-u_00000000000000000000000000000001"
    );

    let after = (last - 2).to_string();
    let tail = run(dir.path(), &["export", "--after", &after]);
    assert_eq!(tail.code, Some(0), "{tail:?}");
    let positions: Vec<u64> = json_lines(&tail.stdout)
        .iter()
        .filter_map(|e| e["position"].as_u64())
        .collect();
    assert_eq!(positions, vec![last - 1, last]);

    let none = run(dir.path(), &["export", "--after", &last.to_string()]);
    assert_eq!(none.code, Some(0), "{none:?}");
    assert!(none.stdout.is_empty(), "{none:?}");
}

#[test]
fn export_into_a_closed_pipe_ends_quietly() {
    // Enough events to fill the pipe, so the export meets the closed end.
    let (dir, _) = seeded(2_000);
    let mut child = leadline()
        .arg("export")
        .arg("--data")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("first line");
    assert!(first.contains("\"position\":1"), "{first}");
    // The reader is dropped here: the pipe closes like `| head -n 1`.
    let out: Run = child.wait_with_output().expect("wait").into();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
}

#[test]
fn verify_is_clean_on_an_untouched_log() {
    let (dir, last) = seeded(0);
    let out = run(dir.path(), &["verify"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .contains(&format!("{last} events checked up to position {last}")),
        "{out:?}"
    );
    assert!(out.stdout.contains("head hash: "), "{out:?}");
    assert!(out.stdout.contains("1 campaign checked"), "{out:?}");
    assert!(out.stdout.contains("no problems found"), "{out:?}");

    let json = run(
        dir.path(),
        &["verify", "--campaign", &CAMPAIGN.to_string(), "--json"],
    );
    assert_eq!(json.code, Some(0), "{json:?}");
    let report: Value = serde_json::from_str(json.stdout.trim()).expect("JSON report");
    assert_eq!(report["ok"], true);
    assert_eq!(report["events"], last);
    assert_eq!(report["problems"], Value::Array(Vec::new()));

    let unknown = run(
        dir.path(),
        &[
            "verify",
            "--campaign",
            &CampaignId::from_u128(9).to_string(),
        ],
    );
    assert_eq!(unknown.code, Some(1), "{unknown:?}");
    assert!(
        unknown.stderr.contains("there is no campaign"),
        "{unknown:?}"
    );
}

/// Flips the last payload byte of the record at `position` in a closed log.
fn flip_a_payload_byte(dir: &Path, position: u64) {
    let (db, tree) = SledLog::open_raw(dir).expect("raw open");
    let (key, value) = tree
        .range(keys::event_key(1)..=keys::event_key(position))
        .next_back()
        .expect("a chunk holds the position")
        .expect("read chunk");
    let first = keys::position_of_event_key(&key).expect("an event key");
    let mut writer = chunk::ChunkWriter::new();
    for item in chunk::records(first, &value) {
        let (at, record) = item.expect("framing");
        let mut record = record.to_vec();
        if at == position {
            // Records end with the payload, then a 4-byte checksum.
            let last_payload_byte = record.len() - 5;
            record[last_payload_byte] ^= 0x01;
        }
        writer.push(at, &record);
    }
    for (first, chunk) in writer.finish() {
        tree.insert(keys::event_key(first), chunk)
            .expect("store chunk");
    }
    db.flush().expect("flush");
}

#[test]
fn verify_names_the_position_of_a_tampered_record_and_exits_1() {
    let (dir, _) = seeded(0);
    flip_a_payload_byte(dir.path(), 3);
    let out = run(dir.path(), &["verify"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains("position 3: checksum"), "{out:?}");
    assert!(!out.stdout.contains("no problems found"), "{out:?}");

    let json = run(dir.path(), &["verify", "--json"]);
    assert_eq!(json.code, Some(1), "{json:?}");
    let report: Value = serde_json::from_str(json.stdout.trim()).expect("JSON report");
    assert_eq!(report["ok"], false);
    let problems = report["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p["position"] == 3 && p["kind"] == "checksum"),
        "{report}"
    );
}

#[test]
fn rebuild_folds_the_log_and_reports_the_speed() {
    let (dir, last) = seeded(0);
    let out = run(dir.path(), &["rebuild"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .contains(&format!("{last} events up to position {last}")),
        "{out:?}"
    );
    assert!(out.stdout.contains("events/s"), "{out:?}");

    let json = run(
        dir.path(),
        &["rebuild", "--projection", "read-model", "--json"],
    );
    assert_eq!(json.code, Some(0), "{json:?}");
    let report: Value = serde_json::from_str(json.stdout.trim()).expect("JSON report");
    assert_eq!(report["events"], last);
    assert_eq!(report["position"], last);
    assert!(report["events_per_s"].as_f64().is_some_and(|r| r > 0.0));

    // Rebuilding records a checkpoint and nothing else: still clean.
    let verify = run(dir.path(), &["verify"]);
    assert_eq!(verify.code, Some(0), "{verify:?}");
}

#[test]
fn rebuild_refuses_an_unknown_projection_and_lists_the_known_ones() {
    let (dir, _) = seeded(0);
    let out = run(dir.path(), &["rebuild", "--projection", "nope"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("`nope`"), "{out:?}");
    assert!(out.stderr.contains("read-model"), "{out:?}");
}

#[test]
fn a_directory_held_by_a_server_is_named_as_such_without_a_key() {
    let (dir, _) = seeded(0);
    let held = SledLog::open(dir.path(), SledOptions::default()).expect("hold the directory");
    let lead = LEAD.to_string();
    let commands: [&[&str]; 4] = [&["history", &lead], &["verify"], &["rebuild"], &["export"]];
    for args in commands {
        let out = run(dir.path(), args);
        assert_eq!(out.code, Some(1), "{args:?}: {out:?}");
        assert!(out.stderr.contains("held by a server"), "{args:?}: {out:?}");
        assert!(out.stderr.contains("--key"), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    }
    // Dropping the log releases sled's lock on the directory.
    drop(held);
    let freed = run(dir.path(), &["verify"]);
    assert_eq!(freed.code, Some(0), "{freed:?}");
}

#[test]
fn a_missing_data_directory_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nowhere");
    let out = run(&missing, &["export"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("there is no Leadline log in"),
        "{out:?}"
    );
    assert!(out.stderr.contains("nowhere"), "{out:?}");
    assert!(!missing.exists(), "nothing is created");
}

/// An address nothing listens on: port 1 (tcpmux) is never served on a
/// build machine, and unlike a port picked free and released, no other
/// test's server can take it meanwhile.
const UNREACHABLE_URL: &str = "http://127.0.0.1:1";

#[test]
fn import_names_what_it_cannot_reach_or_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("leads.csv");
    std::fs::write(&csv, "phone,name\n9876543210,Asha\n").expect("write csv");
    let campaign = CAMPAIGN.to_string();
    let import = |args: &[&str]| -> Run {
        leadline()
            .arg("import")
            .args(args)
            .output()
            .expect("run leadline")
            .into()
    };

    let url = UNREACHABLE_URL;
    let csv_path = csv.to_str().expect("utf-8 path");
    let unreachable = import(&[
        "--campaign",
        &campaign,
        csv_path,
        "--url",
        url,
        "--key",
        "k",
    ]);
    assert_eq!(unreachable.code, Some(1), "{unreachable:?}");
    assert!(
        unreachable
            .stderr
            .contains(&format!("cannot connect to the server at {url}")),
        "{unreachable:?}"
    );

    let missing = dir.path().join("missing.csv");
    let missing_path = missing.to_str().expect("utf-8 path");
    let no_file = import(&["--campaign", &campaign, missing_path, "--key", "k"]);
    assert_eq!(no_file.code, Some(1), "{no_file:?}");
    assert!(
        no_file
            .stderr
            .contains(&format!("cannot open {missing_path}")),
        "{no_file:?}"
    );

    let no_key = import(&["--campaign", &campaign, csv_path, "--url", url]);
    assert_eq!(no_key.code, Some(1), "{no_key:?}");
    assert!(no_key.stderr.contains("--key"), "{no_key:?}");

    let bad_campaign = import(&["--campaign", "emi", csv_path, "--key", "k"]);
    assert_eq!(bad_campaign.code, Some(1), "{bad_campaign:?}");
    assert!(
        bad_campaign.stderr.contains("is not a campaign id"),
        "{bad_campaign:?}"
    );

    let bad_url = import(&[
        "--campaign",
        &campaign,
        csv_path,
        "--url",
        "localhost",
        "--key",
        "k",
    ]);
    assert_eq!(bad_url.code, Some(1), "{bad_url:?}");
    assert!(bad_url.stderr.contains("--url"), "{bad_url:?}");
}

#[test]
fn every_subcommand_explains_itself() {
    for command in ["import", "history", "rebuild", "verify", "export"] {
        let out: Run = leadline()
            .args([command, "--help"])
            .output()
            .expect("run leadline")
            .into();
        assert_eq!(out.code, Some(0), "{command}: {out:?}");
        assert!(out.stdout.contains("Usage: leadline"), "{command}: {out:?}");
    }
}

#[test]
fn with_a_key_the_commands_ask_the_server_holding_the_directory() {
    let (dir, last) = seeded(0);
    let admin_key = "admin-key-for-the-cli-tests-0123456789";
    let server = common::Server::start(dir.path(), admin_key);
    let remote = |args: &[&str]| -> Run {
        let mut command = leadline();
        command.args(args);
        if args[0] != "import" {
            command.arg("--data").arg(dir.path());
        }
        command
            .args(["--url", &server.url])
            .env("LEADLINE_API_KEY", admin_key)
            .output()
            .expect("run leadline")
            .into()
    };

    let verify = remote(&["verify"]);
    assert_eq!(verify.code, Some(0), "{verify:?}");
    assert!(verify.stdout.contains("no problems found"), "{verify:?}");
    assert!(
        verify.stderr.contains("held by a running server"),
        "{verify:?}"
    );

    let history = remote(&["history", &LEAD.to_string()]);
    assert_eq!(history.code, Some(0), "{history:?}");
    assert_eq!(history.stdout.lines().count(), 5, "{history:?}");
    assert!(history.stdout.contains("CallAnswered"), "{history:?}");

    let state = remote(&[
        "history",
        &LEAD.to_string(),
        "--as-of",
        "2026-11-21T08:00:00Z",
        "--json",
    ]);
    assert_eq!(state.code, Some(0), "{state:?}");
    let state: Value = serde_json::from_str(state.stdout.trim()).expect("JSON state");
    assert_eq!(state["status"], "answered");

    let export = remote(&["export"]);
    assert_eq!(export.code, Some(0), "{export:?}");
    // The server's dialer may have added events (it dials the campaign's
    // remaining lead): the export holds at least the seeded ones, in order.
    let exported = json_lines(&export.stdout);
    assert!(exported.len() as u64 >= last, "{export:?}");
    for (i, line) in exported.iter().enumerate() {
        assert_eq!(line["position"], i as u64 + 1, "{export:?}");
    }

    let rebuild = remote(&["rebuild"]);
    assert_eq!(rebuild.code, Some(0), "{rebuild:?}");
    assert!(rebuild.stdout.contains("events/s"), "{rebuild:?}");

    let csv = dir.path().join("more-leads.csv");
    std::fs::write(
        &csv,
        "phone,name\n9876543219,Ravi\n9876543210,Asha again\nabc,Junk\n",
    )
    .expect("write csv");
    let import = remote(&[
        "import",
        "--campaign",
        &CAMPAIGN.to_string(),
        csv.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(import.code, Some(0), "{import:?}");
    let report: Vec<&str> = import.stdout.lines().collect();
    assert_eq!(
        report[..4],
        ["imported 1", "duplicates 1", "do-not-call 0", "invalid 1"]
    );
    assert!(report[4].starts_with("  row 3: \"abc\": "), "{import:?}");
}
