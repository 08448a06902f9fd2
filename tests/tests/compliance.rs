//! The compliance report catches a dialer that skips the local-hours
//! check. The real engine, write path and sled log on a virtual clock:
//! one campaign is dialed by the real dialer at legal hours, and its
//! report is clean; another campaign's dials are decided the way a dialer
//! without the local-hours check would decide them (the domain asked
//! about a copy of the campaign with no local hours and no jurisdiction
//! rules) at 20:30 in New York, outside the campaign's 09:00–20:00, and
//! appended through the real write path. The report, from the library and
//! from `leadline audit compliance` on the data directory, names exactly
//! those calls under `local_hours`.

mod common;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use common::leadline;
use leadline::dialer::{DialerConfig, Engine};
use leadline::write::{Cause, CommandRunner, Decision};
use leadline_domain::campaign::{self, CampaignSettings};
use leadline_domain::plans::{self, LeadInput};
use leadline_domain::{
    dialing, user, Actor, CallId, CampaignId, DailyHours, DomainError, Event, LeadId, UserId,
};
use leadline_projections::compliance::{self, AuditRequest, ComplianceReport, RulesTable};
use leadline_projections::{codec, Projections, ReadModel};
use leadline_storage::{EventLog, SledLog, SledOptions};
use serde_json::Value;

const USER: UserId = UserId::from_u128(1);
const LEGAL: CampaignId = CampaignId::from_u128(2);
const SKIPPING: CampaignId = CampaignId::from_u128(3);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

/// New York numbers the simulator answers (last digits 0, 6, 7, 8, 9).
fn numbers(base: u32, count: usize) -> Vec<String> {
    [0, 6, 7, 8, 9]
        .iter()
        .take(count)
        .map(|last| format!("+1212555{base:03}{last}"))
        .collect()
}

struct World {
    log: Arc<SledLog>,
    projections: Arc<Projections>,
    follower: Option<std::thread::JoinHandle<()>>,
    runner: Arc<CommandRunner>,
    engine: Option<Engine>,
    now: DateTime<Utc>,
}

impl World {
    fn open(dir: &Path, now: DateTime<Utc>) -> World {
        let log = Arc::new(SledLog::open(dir, SledOptions::default()).expect("open log"));
        let shared: Arc<dyn EventLog> = log.clone();
        let projections = Projections::open(shared.clone()).expect("projections");
        let follower = projections.follow().expect("follow");
        let runner = CommandRunner::new(shared, projections.clone());
        let engine = Engine::simulated(
            runner.clone(),
            DialerConfig {
                sim_call_ms: 2000,
                ..DialerConfig::default()
            },
        );
        World {
            log,
            projections,
            follower: Some(follower),
            runner,
            engine: Some(engine),
            now,
        }
    }

    /// One command through the real write path.
    fn command(&self, decide: impl Fn(&ReadModel) -> Result<Vec<Event>, DomainError>) -> u64 {
        let cause = Cause::new(Actor::System("test".into()));
        self.runner
            .run_blocking(&cause, |model| decide(model).map(|e| Decision::new(e, ())))
            .expect("command")
            .position
    }

    /// A campaign open all day in UTC with local hours 09:00–20:00 and the
    /// jurisdiction rules on, its leads imported, started.
    fn campaign(&self, id: CampaignId, phones: &[String], first_lead: u128) {
        let now = self.now;
        let mut settings = CampaignSettings::new("campaign").expect("settings");
        settings.local_hours = Some(DailyHours::new(
            "09:00".parse().expect("time"),
            "20:00".parse().expect("time"),
        ));
        self.command(|_| campaign::create(None, id, USER, settings.clone(), now));
        let rows: Vec<LeadInput> = phones
            .iter()
            .map(|phone| LeadInput::with_phone(phone.clone()))
            .collect();
        self.command(|model| {
            let entry = model.campaign(&id).expect("campaign");
            let mut next = first_lead;
            plans::import_leads(
                &entry.campaign,
                &entry.phones,
                |_| false,
                rows.clone(),
                || {
                    next += 1;
                    LeadId::from_u128(next)
                },
                now,
            )
            .map(|(events, _)| events)
        });
        self.command(|model| {
            let entry = model.campaign(&id).expect("campaign");
            let leads: Vec<_> = entry
                .leads
                .iter()
                .filter_map(|l| model.lead(l).map(|e| e.lead.clone()))
                .collect();
            plans::start(
                &entry.campaign,
                &model.owner(&entry.campaign.owner),
                &leads,
                now,
            )
        });
    }

    fn leads(&self, id: CampaignId) -> Vec<LeadId> {
        self.projections
            .read()
            .campaign(&id)
            .expect("campaign")
            .leads
            .clone()
    }

    /// The real dialer, step by step on the virtual clock, until `until`.
    fn run(&mut self, until: DateTime<Utc>) {
        while self.now < until {
            let step = self
                .engine
                .as_mut()
                .expect("engine")
                .step(self.now)
                .expect("step");
            if step.dialed > 0 || step.reported > 0 {
                continue;
            }
            self.now = match step.next_wake {
                Some(wake) if wake > self.now => wake.min(until),
                _ => self.now + Duration::seconds(1),
            };
        }
    }

    /// Dials every lead of `campaign` now the way a dialer without the
    /// local-hours check would: the domain decides on a copy of the
    /// campaign whose local hours (and jurisdiction rules) are gone; the
    /// events go through the real write path. The positions of the dials.
    fn dial_skipping_local_hours(&self, campaign: CampaignId) -> Vec<u64> {
        let now = self.now;
        let mut dialed = Vec::new();
        for (i, lead) in self.leads(campaign).into_iter().enumerate() {
            let call_id = CallId::from_u128(0xbad_0000 + i as u128);
            self.command(|model| {
                let entry = model.campaign(&campaign).expect("campaign");
                let mut careless = entry.campaign.clone();
                careless.settings.local_hours = None;
                careless.settings.jurisdiction_rules = false;
                let lead = &model.lead(&lead).expect("lead").lead;
                dialing::dial_now(
                    lead,
                    &careless,
                    &model.owner(&entry.campaign.owner),
                    call_id,
                    now,
                )
            });
            dialed.push(call_id);
        }
        self.positions_of(&dialed)
    }

    /// The log positions of the `LeadDialed` of `calls`.
    fn positions_of(&self, calls: &[CallId]) -> Vec<u64> {
        self.log
            .read_all(0, 100_000)
            .expect("read")
            .iter()
            .filter_map(|r| match codec::decode_recorded(r).expect("decode") {
                Event::LeadDialed(d) if calls.contains(&d.call_id) => Some(r.position),
                _ => None,
            })
            .collect()
    }

    fn report(&self, campaign: CampaignId, table: RulesTable) -> ComplianceReport {
        compliance::audit(
            &*self.log,
            AuditRequest {
                campaign,
                from: None,
                to: None,
                table,
                system_limit: None,
            },
        )
        .expect("report")
    }

    /// Stops the dialer and the follower and closes the log, so that the
    /// CLI can open the directory.
    fn close(mut self) {
        self.engine.take();
        self.projections.stop();
        if let Some(follower) = self.follower.take() {
            follower.join().expect("follower");
        }
        self.log.close().expect("close");
    }
}

fn rule<'r>(report: &'r Value, name: &str) -> &'r Value {
    report["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["rule"] == name)
        .unwrap_or_else(|| panic!("no rule {name} in {report}"))
}

fn audit_cli(dir: &Path, campaign: CampaignId, extra: &[&str]) -> (Option<i32>, String, String) {
    let output = leadline()
        .args([
            "audit",
            "compliance",
            "--campaign",
            &campaign.to_string(),
            "--data",
        ])
        .arg(dir)
        .args(extra)
        .output()
        .expect("run leadline");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_dialer_skipping_the_local_hours_check_is_named_call_by_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Monday 10:00 in New York.
    let mut world = World::open(dir.path(), at("2026-11-23T15:00:00Z"));
    world.command(|_| user::create(None, USER, "asha", Some(10), "digest", world.now));

    // The real dialer at legal hours: a clean report.
    world.campaign(LEGAL, &numbers(100, 5), 100);
    world.run(at("2026-11-23T16:00:00Z"));
    let legal = world.report(LEGAL, RulesTable::built_in());
    assert_eq!(legal.calls, 5, "{legal:?}");
    assert!(legal.ok, "{legal:?}");
    assert_eq!(
        legal
            .rules
            .iter()
            .find(|r| r.rule == "local_hours")
            .map(|r| r.calls_checked),
        Some(5)
    );

    // 20:30 in New York: the real dialer places nothing for a new campaign…
    world.now = at("2026-11-24T01:30:00Z");
    world.campaign(SKIPPING, &numbers(200, 3), 200);
    let step = world
        .engine
        .as_mut()
        .expect("engine")
        .step(world.now)
        .expect("step");
    assert_eq!(step.dialed, 0, "the real dialer keeps local hours");
    // …but one that skips the local-hours check dials all three.
    let skipped = world.dial_skipping_local_hours(SKIPPING);
    assert_eq!(skipped.len(), 3);

    let report = world.report(SKIPPING, RulesTable::built_in());
    assert!(!report.ok);
    assert_eq!(report.calls, 3);
    let local = report
        .rules
        .iter()
        .find(|r| r.rule == "local_hours")
        .expect("local_hours");
    let positions: Vec<u64> = local.violations.iter().map(|v| v.position).collect();
    assert_eq!(positions, skipped, "{report:?}");
    let model = world.projections.read();
    for violation in &local.violations {
        let lead: LeadId = violation.lead_id.parse().expect("lead id");
        let lead = &model.lead(&lead).expect("lead").lead;
        assert_eq!(lead.campaign_id, SKIPPING);
        assert_eq!(violation.phone, lead.phone.to_string());
        assert!(
            violation.detail.contains("20:30 EST (America/New_York)")
                && violation.detail.contains("09:00–20:00"),
            "{}",
            violation.detail
        );
    }
    drop(model);
    // Nothing else was broken: 20:30 is inside the TCPA's 08:00–21:00.
    for other in report.rules.iter().filter(|r| r.rule != "local_hours") {
        assert_eq!(other.violations_total, 0, "{other:?}");
    }
    assert_eq!(report.violations_total, 3);
    let (through, hash) = (report.checked_through_position, report.log_hash.clone());
    // The legal campaign is still clean, whatever the other did.
    assert!(world.report(LEGAL, RulesTable::built_in()).ok);
    world.close();

    // The CLI on the data directory: the same calls, the same position
    // and hash, exit code 3; the legal campaign exits 0.
    let (code, stdout, stderr) = audit_cli(dir.path(), SKIPPING, &["--json"]);
    assert_eq!(code, Some(3), "{stderr}");
    let json: Value = serde_json::from_str(&stdout).expect("json report");
    let cli_positions: Vec<u64> = rule(&json, "local_hours")["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter_map(|v| v["position"].as_u64())
        .collect();
    assert_eq!(cli_positions, skipped);
    assert_eq!(json["checked_through_position"], through);
    assert_eq!(json["log_hash"], hash.as_str());
    let (code, stdout, stderr) = audit_cli(dir.path(), LEGAL, &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("local_hours: 5 calls checked, 0 violations"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("log hash {hash}")), "{stdout}");

    // A rules file where US hours end at 20:00 flags the same calls under
    // jurisdiction_hours too; the text names each.
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"{"rules": [{"id": "US", "name": "United States, stricter", "country": "US",
            "weekday_hours": "08:00-20:00", "weekend_hours": "09:00-17:00",
            "zones": ["America/New_York", "America/Los_Angeles"], "source": "an audit's reading"}]}"#,
    )
    .expect("write rules");
    let rules_arg = rules.to_str().expect("path");
    let (code, stdout, stderr) = audit_cli(dir.path(), SKIPPING, &["--rules", rules_arg, "--json"]);
    assert_eq!(code, Some(3), "{stderr}");
    let json: Value = serde_json::from_str(&stdout).expect("json report");
    assert_eq!(
        rule(&json, "jurisdiction_hours")["violations_total"],
        3,
        "{json}"
    );
    assert!(json["rules_table"]
        .as_str()
        .is_some_and(|t| t.starts_with("file blake3:")));
    let (code, _, stderr) = audit_cli(dir.path(), LEGAL, &["--rules", rules_arg]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, _) = audit_cli(dir.path(), SKIPPING, &["--rules", rules_arg]);
    assert_eq!(code, Some(3));
    assert!(
        stdout.contains("jurisdiction_hours: 3 calls checked, 3 violations"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("position {}", skipped[0])),
        "{stdout}"
    );

    // A malformed rules file is an error naming the row and the field.
    std::fs::write(&rules, r#"{"rules": [{"id": "US", "country": "US", "weekday_hours": "8-20", "zones": ["UTC"], "source": "s"}]}"#)
        .expect("write rules");
    let (code, _, stderr) = audit_cli(dir.path(), LEGAL, &["--rules", rules_arg]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("rules[0] (US)") && stderr.contains("weekday_hours"),
        "{stderr}"
    );
    // A bad time names its flag.
    let (code, _, stderr) = audit_cli(dir.path(), LEGAL, &["--from", "monday"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("--from"), "{stderr}");
}
