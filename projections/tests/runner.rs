//! The runner follows the log, lets a writer wait for its own write, and
//! rebuilds; history and past states are read from the log.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use leadline::write::record::{self, Cause};
use leadline_domain::campaign::{self, CampaignSettings};
use leadline_domain::plans::{self, LeadInput};
use leadline_domain::{user, Actor, CampaignId, Event, LeadId, LeadStatus, StreamName, UserId};
use leadline_projections::history::{campaign_as_of, lead_as_of, stream_history};
use leadline_projections::Projections;
use leadline_storage::{EventLog, ExpectedVersion, MemoryLog, SledLog, SledOptions};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

fn append(log: &dyn EventLog, events: &[Event]) -> u64 {
    let cause = Cause::new(Actor::User(UserId::from_u128(1)));
    let appends = record::appends(events, &cause, |_| ExpectedVersion::Any).expect("encode");
    log.submit(appends).wait().expect("append").last_position()
}

/// A user, a campaign with two leads (one a duplicate), started.
fn seed(log: &dyn EventLog) -> (CampaignId, LeadId) {
    let user_id = UserId::from_u128(1);
    let campaign_id = CampaignId::from_u128(2);
    let t = at("2026-11-21T05:00:00Z");
    append(
        log,
        &user::create(None, user_id, "asha", None, "digest", t).expect("user"),
    );
    let mut settings = CampaignSettings::new("EMI").expect("settings");
    settings.default_region = "IN".parse().ok();
    let created = campaign::create(None, campaign_id, user_id, settings, t).expect("campaign");
    append(log, &created);
    let campaign = campaign::replay(&created).expect("campaign state");
    let rows = ["9876543210", "+91 98765 43210"]
        .iter()
        .map(|p| LeadInput {
            phone: (*p).into(),
            name: None,
            priority: None,
            timezone: None,
            fields: Default::default(),
            contact_id: None,
            alt_phones: Vec::new(),
        })
        .collect();
    let mut next = (10..).map(LeadId::from_u128);
    let (events, summary) = plans::import_leads(
        &campaign,
        &std::collections::HashMap::new(),
        |_| false,
        rows,
        || next.next().unwrap_or(LeadId::from_u128(0)),
        at("2026-11-21T06:00:00Z"),
    )
    .expect("import");
    assert_eq!((summary.imported, summary.duplicates), (1, 1));
    append(log, &events);
    (campaign_id, LeadId::from_u128(10))
}

#[test]
fn the_follower_folds_new_events_and_writers_can_wait_for_theirs() {
    let log: Arc<dyn EventLog> = Arc::new(MemoryLog::default());
    let projections = Projections::open(log.clone()).expect("open");
    let follower = projections.follow().expect("thread");
    let (campaign_id, _) = seed(&*log);
    let position = log.last_position();
    assert!(projections.wait_for(position, Duration::from_secs(5)));
    {
        let model = projections.read();
        assert_eq!(model.position(), position);
        let entry = model.campaign(&campaign_id).expect("campaign folded");
        assert_eq!(entry.counters.total, 2);
        assert_eq!(entry.counters.skipped, 1);
        assert_eq!(entry.counters.pending, 1);
    }
    assert!(!projections.wait_for(position + 1, Duration::from_millis(20)));
    let report = projections.rebuild().expect("rebuild");
    assert_eq!(report.position, position);
    assert_eq!(report.events, position);
    assert!(report.events_per_s > 0.0);
    projections.stop();
    follower.join().expect("follower stops");
}

#[test]
fn a_reopened_sled_log_rebuilds_the_same_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = {
        let log: Arc<dyn EventLog> =
            Arc::new(SledLog::open(dir.path(), SledOptions::default()).expect("open"));
        seed(&*log);
        let projections = Projections::open(log).expect("projections");
        let model = projections.read().clone();
        model
    };
    let log: Arc<dyn EventLog> =
        Arc::new(SledLog::open(dir.path(), SledOptions::default()).expect("reopen"));
    let projections = Projections::open(log.clone()).expect("projections");
    assert_eq!(*projections.read(), before);
    let checkpoint = log
        .checkpoint(&leadline_projections::runner::checkpoint_name())
        .expect("checkpoint");
    assert_eq!(checkpoint, Some(before.position()));
}

#[test]
fn history_lists_a_leads_events_and_past_states_fold_up_to_a_time() {
    let log = MemoryLog::default();
    let (campaign_id, lead_id) = seed(&log);
    let history = stream_history(&log, StreamName::Lead(lead_id), 1, 100).expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].event_type, "LeadImported");
    assert_eq!(history[0].actor, "user:u_00000000000000000000000000000001");
    assert!(history[0].correlation_id.is_some());
    assert!(lead_as_of(&log, lead_id, at("2026-11-21T05:30:00Z"))
        .expect("as of")
        .is_none());
    let lead = lead_as_of(&log, lead_id, at("2026-11-21T06:30:00Z"))
        .expect("as of")
        .expect("imported by then");
    assert_eq!(lead.status, LeadStatus::New);
    assert_eq!(lead.phone.as_str(), "+919876543210");
    let campaign = campaign_as_of(&log, campaign_id, at("2026-11-21T05:30:00Z"))
        .expect("as of")
        .expect("created by then");
    assert_eq!(campaign.settings.name, "EMI");
}
