//! A campaign's forecast against what the dialer then does: the forecast
//! runs the engine on a copy of the read models; the campaign then runs
//! for real on the log, with the simulator drawing outcomes at the same
//! rates from another seed, and the two must agree within 10%. Then the
//! endpoint, black-box against a real server.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use leadline::dialer::simulator::{CallMix, Simulator};
use leadline::dialer::{DialerConfig, Engine};
use leadline::forecast::{forecast, Forecast, ForecastOptions, MixSource};
use leadline::write::record::{self, Cause};
use leadline::write::{expected_version, CommandRunner};
use leadline_domain::campaign::{self, CampaignSettings};
use leadline_domain::plans::{self, LeadInput};
use leadline_domain::{
    user, Actor, CallOutcome, CampaignId, CampaignStatus, Event, LeadId, RetryPolicy, UserId,
};
use leadline_projections::{Projections, ReadModel};
use leadline_storage::{EventLog, LogLimits, MemoryLog};

struct World {
    log: Arc<dyn EventLog>,
    projections: Arc<Projections>,
    now: DateTime<Utc>,
}

impl World {
    fn new() -> World {
        let log: Arc<dyn EventLog> = Arc::new(MemoryLog::new(
            LogLimits::default(),
            leadline_storage::system_clock(),
        ));
        let projections = Projections::open(log.clone()).expect("projections");
        projections.follow().expect("follow");
        World {
            log,
            projections,
            // 09:00 in Kolkata, a Monday.
            now: DateTime::parse_from_rfc3339("2026-11-23T03:30:00Z")
                .expect("time")
                .with_timezone(&Utc),
        }
    }

    fn command(&self, decide: impl FnOnce(&ReadModel) -> Vec<Event>) {
        let appends = {
            let model = self.projections.read();
            let events = decide(&model);
            record::appends(&events, &Cause::new(Actor::System("test".into())), |s| {
                expected_version(&model, s)
            })
            .expect("encode")
        };
        let position = self
            .log
            .submit(appends)
            .wait()
            .expect("append")
            .last_position();
        assert!(self
            .projections
            .wait_for(position, std::time::Duration::from_secs(10)));
    }

    /// A user, and a draft campaign of `leads` numbers (`prefix` and a
    /// count) called 09:00–18:00 Kolkata time, three attempts an hour apart,
    /// under the jurisdiction rules.
    fn draft(&self, leads: u32, limit: u32, prefix: &str) -> CampaignId {
        let phones: Vec<String> = (0..leads)
            .map(|i| format!("{prefix}{:07}", 7_000_000 + i))
            .collect();
        self.draft_with(&phones, limit, |_| {})
    }

    /// [`World::draft`] of these numbers, its settings adjusted.
    fn draft_with(
        &self,
        phones: &[String],
        limit: u32,
        adjust: impl FnOnce(&mut CampaignSettings),
    ) -> CampaignId {
        let now = self.now;
        let user_id = UserId::from_u128(1);
        self.command(|_| {
            user::create(None, user_id, "user", Some(limit), "key-1", now).expect("user")
        });
        let campaign_id = CampaignId::from_u128(7);
        let mut settings = CampaignSettings::new("forecast").expect("settings");
        settings.default_region = "IN".parse().ok();
        settings.timezone = "Asia/Kolkata".parse().expect("zone");
        settings.hours = leadline_domain::DailyHours::new(
            leadline_domain::TimeOfDay::hm(9, 0).expect("time"),
            leadline_domain::TimeOfDay::hm(18, 0).expect("time"),
        );
        settings.retry = RetryPolicy::default()
            .with_max_attempts(3)
            .and_then(|p| p.with_delay_minutes(60))
            .expect("policy");
        adjust(&mut settings);
        self.command(|_| {
            campaign::create(None, campaign_id, user_id, settings, now).expect("campaign")
        });
        let mut n = 0u128;
        for chunk in phones.chunks(5000) {
            let rows: Vec<LeadInput> = chunk
                .iter()
                .map(|phone| LeadInput::with_phone(phone.clone()))
                .collect();
            self.command(|model| {
                let entry = model.campaign(&campaign_id).expect("campaign");
                plans::import_leads(
                    &entry.campaign,
                    &entry.phones,
                    |_| false,
                    rows,
                    || {
                        n += 1;
                        LeadId::from_u128(n)
                    },
                    now,
                )
                .expect("import")
                .0
            });
        }
        campaign_id
    }

    fn start(&self, id: CampaignId) {
        let now = self.now;
        self.command(|m| {
            let entry = m.campaign(&id).expect("campaign");
            let leads: Vec<_> = entry
                .leads
                .iter()
                .filter_map(|l| m.lead(l).map(|e| e.lead.clone()))
                .collect();
            plans::start(
                &entry.campaign,
                &m.owner(&entry.campaign.owner),
                &leads,
                now,
            )
            .expect("start")
        });
    }
}

fn mix() -> CallMix {
    CallMix {
        rates: BTreeMap::from([
            (CallOutcome::Answered, 0.4),
            (CallOutcome::NoAnswer, 0.3),
            (CallOutcome::Busy, 0.2),
            (CallOutcome::Failed, 0.1),
        ]),
        lengths_ms: CallOutcome::ALL.iter().map(|o| (*o, 60_000)).collect(),
    }
}

fn options(seed: u64) -> ForecastOptions {
    ForecastOptions {
        rates: Some(mix().rates),
        call_seconds: Some(60),
        seed,
    }
}

fn config() -> DialerConfig {
    DialerConfig {
        system_concurrent_calls: 1000,
        ..DialerConfig::default()
    }
}

fn within(what: &str, forecast: f64, actual: f64, tolerance: f64) {
    let off = (forecast - actual).abs() / actual;
    assert!(
        off <= tolerance,
        "{what}: forecast {forecast}, actual {actual} ({:.1}% off)",
        off * 100.0
    );
}

#[test]
fn a_forecast_agrees_with_the_campaign_run_at_its_rates() {
    let world = World::new();
    let campaign = world.draft(3_000, 10, "+91981");
    let started = std::time::Instant::now();
    let predicted: Forecast = {
        let model = world.projections.read();
        forecast(&model, campaign, &options(1), &config(), world.now).expect("forecast")
    };
    eprintln!(
        "forecast of 3,000 leads in {} ms: {} dials, finish {:?}",
        started.elapsed().as_millis(),
        predicted.dials,
        predicted.finish_at
    );
    assert_eq!(predicted.rates_from, MixSource::Request);
    // 09:00 in Kolkata, inside the window: it dials at once.
    assert_eq!(predicted.first_dial_at, Some(world.now));
    assert_eq!(predicted.leads, 3_000);
    assert!(predicted.by_day.len() >= 2, "{:?}", predicted.by_day);
    assert_eq!(
        predicted.by_day.iter().map(|d| d.dials).sum::<u64>(),
        predicted.dials
    );
    assert!(predicted.peak_in_flight <= 10 && predicted.peak_in_flight > 0);
    // Every lead is answered or used its three attempts.
    let unreached: u64 = predicted.never_reached.values().sum();
    assert_eq!(
        predicted.never_reached.keys().collect::<Vec<_>>(),
        vec!["max_attempts"],
        "{:?}",
        predicted.never_reached
    );
    within(
        "leads never answered",
        unreached as f64,
        3000.0 * 0.6f64.powi(3),
        0.15,
    );
    // The forecast wrote nothing.
    assert_eq!(
        world
            .projections
            .read()
            .campaign(&campaign)
            .expect("c")
            .campaign
            .status,
        CampaignStatus::Draft
    );

    // The same state and seed give the same forecast.
    let again = {
        let model = world.projections.read();
        forecast(&model, campaign, &options(1), &config(), world.now).expect("forecast")
    };
    assert_eq!(again, predicted);

    // Now for real: the log, the read models, outcomes from another seed.
    world.start(campaign);
    let commands = CommandRunner::new(world.log.clone(), world.projections.clone());
    let mut engine = Engine::new(commands, config(), Box::new(Simulator::drawn(mix(), 2)));
    let mut now = world.now;
    let horizon = now + Duration::days(10);
    let finished = loop {
        let step = engine.step(now).expect("step");
        if world
            .projections
            .read()
            .campaign(&campaign)
            .expect("c")
            .campaign
            .status
            == CampaignStatus::Completed
        {
            break now;
        }
        if step.dialed == 0 && step.conflicts == 0 {
            now = step.next_wake.expect("wake").max(now);
        }
        assert!(now < horizon, "the campaign did not finish");
    };
    let dials = world
        .projections
        .read()
        .campaign(&campaign)
        .expect("c")
        .calls
        .len();
    let finish = predicted.finish_at.expect("the forecast finishes");
    eprintln!(
        "forecast: {} dials, finish {finish}; actual: {dials} dials, finish {finished}",
        predicted.dials
    );
    within("dials", predicted.dials as f64, dials as f64, 0.10);
    within(
        "time to finish",
        (finish - world.now).num_seconds() as f64,
        (finished - world.now).num_seconds() as f64,
        0.10,
    );
}

#[test]
fn a_campaign_stopped_by_its_window_and_a_florida_cap_says_why_and_when_it_resumes() {
    let mut world = World::new();
    // 09:00 in Miami; the campaign calls 08:00–10:00 there, its window
    // closes in an hour, and its leads do not answer (last digit 1).
    world.now = DateTime::parse_from_rfc3339("2026-11-23T14:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let phones: Vec<String> = (0..5).map(|i| format!("+1305555{i:03}1")).collect();
    let campaign = world.draft_with(&phones, 5, |s| {
        s.timezone = "America/New_York".parse().expect("zone");
        s.hours = leadline_domain::DailyHours::new(
            leadline_domain::TimeOfDay::hm(8, 0).expect("time"),
            leadline_domain::TimeOfDay::hm(10, 0).expect("time"),
        );
        s.retry = RetryPolicy::default()
            .with_max_attempts(5)
            .and_then(|p| p.with_delay_minutes(20))
            .expect("policy");
    });
    world.start(campaign);
    let commands = CommandRunner::new(world.log.clone(), world.projections.clone());
    let mut engine = Engine::new(commands, config(), Box::new(Simulator::new(30_000)));
    // The dialer runs until the window has closed.
    let closed = world.now + Duration::hours(1);
    let mut now = world.now;
    while now < closed {
        let step = engine.step(now).expect("step");
        if step.dialed == 0 && step.conflicts == 0 {
            now = step.next_wake.expect("wake").max(now);
        }
    }
    engine.step(closed).expect("step");
    // Each number was dialed three times (09:00, 09:20:30, 09:41), Florida's
    // cap in 24 h; the fourth would come after the window closed.
    let calls = world
        .projections
        .read()
        .campaign(&campaign)
        .expect("c")
        .calls
        .len();
    assert_eq!(calls, 15);

    // Then the eligibility counts say nothing is dialable, all held by the
    // window first,
    let counts = leadline::server::routes::eligibility::campaign_counts(
        &world.projections,
        &leadline::server::auth::Principal::Admin,
        &campaign,
        closed,
    )
    .expect("counts");
    assert_eq!(counts.eligible_now, 0);
    assert_eq!(
        counts.held,
        BTreeMap::from([("campaign_window".to_owned(), 5)])
    );
    // and each lead names every rule holding it: the window, the retry
    // delay after its third call, and the cap, which lifts an hour after
    // the window opens: 24 h after its first dial.
    let tomorrow_eight = DateTime::parse_from_rfc3339("2026-11-24T13:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let first_dial_lifts = world.now + Duration::hours(24);
    {
        let model = world.projections.read();
        let entry = model.campaign(&campaign).expect("c");
        let owner = model.owner(&entry.campaign.owner);
        for id in &entry.leads {
            let lead = &model.lead(id).expect("lead").lead;
            let why = leadline_domain::eligibility::explain::explain(
                lead,
                &entry.campaign,
                &owner,
                closed,
            );
            let rules: Vec<_> = why
                .reasons
                .iter()
                .map(|r| (r.rule.name(), r.until))
                .collect();
            assert_eq!(
                rules,
                vec![
                    ("campaign_window", Some(tomorrow_eight)),
                    ("retry_delay", Some(closed + Duration::seconds(90))),
                    ("jurisdiction_cap", Some(first_dial_lifts)),
                ],
                "{why:#?}"
            );
            assert!(
                why.reasons[2].detail.ends_with(
                    "3 dials in the last 24 h over all your campaigns; Florida allows 3"
                ),
                "{why:#?}"
            );
            assert_eq!(why.eligible_at, Some(first_dial_lifts));
        }
    }
    // And the forecast says the dialer resumes when the cap lifts.
    let predicted = {
        let model = world.projections.read();
        forecast(&model, campaign, &options(1), &config(), closed).expect("forecast")
    };
    assert_eq!(
        predicted.first_dial_at,
        Some(first_dial_lifts),
        "{predicted:?}"
    );
    assert_eq!(counts.next_eligible_at, Some(first_dial_lifts));
}

#[test]
fn a_campaign_that_cannot_finish_says_why() {
    let world = World::new();
    // New York numbers called 09:00–18:00 Kolkata time: 22:30–07:30 in
    // New York, never inside the TCPA's 08:00–21:00.
    let campaign = world.draft(20, 5, "+1212");
    let predicted = {
        let model = world.projections.read();
        let mut options = options(1);
        options.call_seconds = None;
        forecast(&model, campaign, &options, &config(), world.now).expect("forecast")
    };
    assert_eq!(predicted.finish_at, None);
    assert!(
        predicted
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("does not finish")
                && r.contains("20 leads are held back (jurisdiction_hours: 20)")
                // New York's clocks go forward on 14 March: 08:00 there is
                // then 17:30 in Kolkata, inside the campaign's hours.
                && r.ends_with("the first becomes dialable at 2027-03-14T12:00:00+00:00")),
        "{predicted:?}"
    );
    assert_eq!(predicted.dials, 0);
    assert_eq!(predicted.first_dial_at, None);
    assert_eq!(predicted.call_seconds_from, MixSource::Defaults);
    assert_eq!(
        predicted.never_reached,
        BTreeMap::from([("jurisdiction_hours".to_owned(), 20)])
    );
}

mod endpoint {
    use reqwest::StatusCode;
    use serde_json::{json, Value};

    use super::common;

    const ADMIN_KEY: &str = "admin-key-for-the-forecast-tests";

    common::http::api_client!();

    impl Api {
        fn user(&self, name: &str) -> String {
            let (status, body) = self.post(ADMIN_KEY, "/api/v1/users", json!({"name": name}));
            assert_eq!(status, StatusCode::CREATED, "{body}");
            body["api_key"].as_str().expect("api key").to_owned()
        }

        fn forecast(&self, key: &str, id: &str, body: &str) -> (StatusCode, Value) {
            self.raw(
                key,
                &format!("/api/v1/campaigns/{id}/forecast"),
                "application/json",
                body.as_bytes().to_vec(),
            )
        }
    }

    #[test]
    fn a_draft_is_forecast_without_being_started_and_bad_input_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = common::Server::start(dir.path(), ADMIN_KEY);
        let api = Api::new(&server);
        let key = api.user("Asha");
        let (status, campaign) = api.post(
            &key,
            "/api/v1/campaigns",
            json!({"name": "Renewals", "timezone": "Asia/Kolkata", "default_region": "IN"}),
        );
        assert_eq!(status, StatusCode::CREATED, "{campaign}");
        let id = campaign["id"].as_str().expect("id").to_owned();
        let csv: String = std::iter::once("phone".to_owned())
            .chain((0..40).map(|i| format!("+9198765{:05}", 43_000 + i)))
            .collect::<Vec<_>>()
            .join("\n");
        let (status, report) = api.csv(&key, &format!("/api/v1/campaigns/{id}/leads"), &csv);
        assert_eq!(status, StatusCode::OK, "{report}");

        // Given rates and a call length, the draft's future.
        let (status, forecast) = api.forecast(
            &key,
            &id,
            r#"{"rates": {"answered": 0.5, "no_answer": 0.3, "busy": 0.2}, "call_seconds": 45, "seed": 7}"#,
        );
        assert_eq!(status, StatusCode::OK, "{forecast}");
        assert_eq!(forecast["leads"], 40, "{forecast}");
        assert_eq!(forecast["rates_from"], "request");
        assert_eq!(forecast["call_seconds_from"], "request");
        assert_eq!(forecast["seed"], 7);
        assert!(forecast["finish_at"].is_string(), "{forecast}");
        let dials = forecast["dials"].as_u64().expect("dials");
        assert!(dials >= 40, "{forecast}");
        let by_day: u64 = forecast["by_day"]
            .as_array()
            .expect("by_day")
            .iter()
            .map(|d| d["dials"].as_u64().expect("dials"))
            .sum();
        assert_eq!(by_day, dials);
        assert!(forecast["peak_in_flight"].as_u64().expect("peak") >= 1);

        // Nothing was written: the campaign is still a draft.
        let (_, after) = api.get(&key, &format!("/api/v1/campaigns/{id}"));
        assert_eq!(after["status"], "draft", "{after}");

        // No body: the defaults.
        let (status, forecast) = api.forecast(&key, &id, "");
        assert_eq!(status, StatusCode::OK, "{forecast}");
        assert_eq!(forecast["rates_from"], "defaults");

        for (body, expected, says) in [
            (
                r#"{"rates": {"answered": 0.5, "no_answer": 0.4}}"#,
                422,
                "sum to",
            ),
            (r#"{"rates": {"answerd": 1.0}}"#, 422, "rates.answerd"),
            (
                r#"{"rates": {"answered": 1.5, "busy": -0.5}}"#,
                422,
                "between 0 and 1",
            ),
            (r#"{"call_seconds": 0}"#, 422, "call_seconds"),
            (r#"{"speed": 2}"#, 422, "speed"),
            (r#"{"rates": "#, 400, "malformed"),
        ] {
            let (status, problem) = api.forecast(&key, &id, body);
            assert_eq!(status.as_u16(), expected, "{body}: {problem}");
            assert!(
                problem["detail"].as_str().is_some_and(|d| d.contains(says)),
                "{body}: {problem}"
            );
        }

        // Another user's campaign does not exist for them.
        let other = api.user("Ravi");
        let (status, _) = api.forecast(&other, &id, "");
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A cancelled campaign has no future.
        let (status, _) = api.post(&key, &format!("/api/v1/campaigns/{id}/cancel"), json!({}));
        assert!(status.is_success());
        let (status, problem) = api.forecast(&key, &id, "");
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    }
}
