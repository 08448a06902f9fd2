//! Every event as any version wrote it must keep decoding in every later
//! version: a log is never rewritten.
//!
//! Each fixture under `tests/golden/` holds events encoded as the log
//! stores payloads (type name length u8, type name, schema version u16,
//! payload length u32, payload — all big-endian), and is never rewritten
//! once committed:
//! - `events-v1.bin`: one event of each type the first version had, in its
//!   schema versions (campaign settings v1);
//! - `events-v2.bin`: one event of each type the second version had
//!   (campaign settings v3, `CallVoicemail`, the subscription events);
//! - `events-v3.bin`: one event of each type today, in today's schema
//!   versions (campaign settings v4 with delays per status, jurisdiction
//!   rules and debt collection; `LeadImported` v2 with other numbers;
//!   `ContactPolicySet`).
//!
//! A change to an event that cannot read an old fixture fails here: add a
//! new schema version and an upcast in the domain's `EventSeed` instead.
//! When an event type or schema version is added, add a new fixture
//! (`events-v3.bin`, …) holding every type, and write it once with
//! `LEADLINE_WRITE_GOLDEN=1 cargo test -p leadline-projections --test golden_events`,
//! which writes only the newest fixture, and only when it is missing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bincode::Options;
use chrono::{DateTime, Utc};
use leadline_domain::campaign::CampaignSettings;
use leadline_domain::events::*;
use leadline_domain::subscription::WebhookSecret;
use leadline_domain::{
    CallId, CampaignId, ContactId, Disposition, Event, LeadId, LeadStatus, PhoneNumber,
    SubscriptionId, UserId,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}"))
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_763_700_000 + seconds, 0).unwrap_or_default()
}

/// What `events-v1.bin` decodes to today: its settings read with voicemail
/// detection off, which version 1 did not have.
fn events_v1() -> Vec<Event> {
    let user_id = UserId::from_u128(1);
    let campaign_id = CampaignId::from_u128(2);
    let lead_id = LeadId::from_u128(3);
    let call_id = CallId::from_u128(4);
    let contact_id = ContactId::from_u128(5);
    let phone = PhoneNumber::parse("+919876543210", None).expect("phone");
    let mut settings = CampaignSettings::new("EMI Reminder").expect("settings");
    settings.timezone = "Asia/Kolkata".parse().expect("zone");
    settings.default_region = "IN".parse().ok();
    settings.provider.agent_id = Some("agent-1".into());
    settings
        .provider
        .extra
        .insert("voice".into(), "hi-IN".into());
    // The default retry statuses when version 1 was written.
    settings.retry = settings
        .retry
        .with_statuses(&[
            LeadStatus::NoAnswer,
            LeadStatus::Busy,
            LeadStatus::Failed,
            LeadStatus::Dropped,
            LeadStatus::Congestion,
        ])
        .expect("statuses");
    let transition = |n| CampaignTransition {
        campaign_id,
        reason: Some(format!("reason {n}")),
        at: at(n),
    };
    let ended = |n| CallEnded {
        campaign_id,
        lead_id,
        call_id,
        provider_status: "completed".into(),
        duration_secs: Some(n as u32),
        error: Some("none".into()),
        provider_call_id: Some("CA123".into()),
        at: at(n),
    };
    vec![
        Event::UserCreated(UserCreated {
            user_id,
            name: "Asha".into(),
            concurrent_calls_limit: 2,
            api_key_digest: "digest".into(),
            at: at(1),
        }),
        Event::UserLimitChanged(UserLimitChanged {
            user_id,
            concurrent_calls_limit: 3,
            at: at(2),
        }),
        Event::ContactAdded(ContactAdded {
            user_id,
            contact_id,
            phone: phone.clone(),
            name: Some("Sam".into()),
            timezone: Some("Europe/London".parse().expect("zone")),
            at: at(3),
        }),
        Event::ContactDeleted(ContactDeleted {
            user_id,
            contact_id,
            at: at(4),
        }),
        Event::DncAdded(DncAdded {
            user_id,
            phone: phone.clone(),
            reason: Some("asked".into()),
            at: at(5),
        }),
        Event::DncRemoved(DncRemoved {
            user_id,
            phone: phone.clone(),
            at: at(6),
        }),
        Event::CampaignCreated(CampaignCreated {
            campaign_id,
            owner: user_id,
            settings: settings.clone(),
            at: at(7),
        }),
        Event::CampaignUpdated(CampaignUpdated {
            campaign_id,
            settings,
            at: at(8),
        }),
        Event::LeadsImported(LeadsImported {
            campaign_id,
            imported: 1,
            duplicates: 2,
            dnc: 3,
            invalid: 4,
            first_sequence: 5,
            at: at(9),
        }),
        Event::CampaignStarted(transition(10)),
        Event::CampaignPaused(transition(11)),
        Event::CampaignResumed(transition(12)),
        Event::CampaignCancelled(transition(13)),
        Event::CampaignCompleted(transition(14)),
        Event::CampaignArchived(transition(15)),
        Event::LeadImported(LeadImported {
            campaign_id,
            lead_id,
            sequence: 7,
            phone: phone.clone(),
            name: Some("Ravi".into()),
            priority: -2,
            timezone: Some("Asia/Kolkata".parse().expect("zone")),
            contact_id: Some(contact_id),
            fields: BTreeMap::from([("loan_id".to_string(), "LN-1".to_string())]),
            at: at(16),
            alt_phones: Vec::new(),
        }),
        Event::LeadSkipped(LeadSkipped {
            campaign_id,
            lead_id,
            reason: SkipReason::Duplicate {
                of: LeadId::from_u128(9),
            },
            at: at(17),
        }),
        Event::LeadQueued(LeadQueued {
            campaign_id,
            lead_id,
            from: LeadStatus::NoAnswer,
            at: at(18),
        }),
        Event::LeadUnqueued(LeadUnqueued {
            campaign_id,
            lead_id,
            restored: LeadStatus::NoAnswer,
            reason: "paused".into(),
            at: at(19),
        }),
        Event::LeadDialed(LeadDialed {
            campaign_id,
            lead_id,
            call_id,
            attempt: 2,
            phone: phone.clone(),
            at: at(20),
        }),
        Event::CallPlaced(CallPlaced {
            campaign_id,
            lead_id,
            call_id,
            provider_call_id: "CA123".into(),
            at: at(21),
        }),
        Event::CallAnswered(ended(22)),
        Event::CallNoAnswer(ended(23)),
        Event::CallBusy(ended(24)),
        Event::CallFailed(ended(25)),
        Event::CallDropped(ended(26)),
        Event::CallCongestion(ended(27)),
        Event::CallReclaimed(CallReclaimed {
            campaign_id,
            lead_id,
            call_id,
            dialed_at: at(20),
            reason: "stale".into(),
            at: at(28),
        }),
        Event::LeadCancelled(LeadCancelled {
            campaign_id,
            lead_id,
            from: LeadStatus::New,
            reason: "campaign cancelled".into(),
            at: at(29),
        }),
        Event::LeadRecycled(LeadRecycled {
            campaign_id,
            lead_id,
            from: LeadStatus::Busy,
            to: LeadStatus::New,
            reset_dial_count: true,
            reason: "recycled".into(),
            at: at(30),
        }),
        Event::LeadDispositioned(LeadDispositioned {
            campaign_id,
            lead_id,
            disposition: Disposition::Callback,
            callback_at: Some(at(3600)),
            note: Some("call after lunch".into()),
            at: at(31),
        }),
        Event::LeadMarkedDnc(LeadMarkedDnc {
            campaign_id,
            lead_id,
            reason: "asked".into(),
            at: at(32),
        }),
    ]
}

/// Every type as today writes it: `events-v2.bin`.
fn events_v2() -> Vec<Event> {
    let mut events = events_v1();
    for event in &mut events {
        match event {
            Event::CampaignCreated(CampaignCreated { settings, .. })
            | Event::CampaignUpdated(CampaignUpdated { settings, .. }) => {
                settings.detect_voicemail = true;
                settings.retry = settings
                    .retry
                    .clone()
                    .with_statuses(&leadline_domain::retry::RETRYABLE_STATUSES)
                    .expect("statuses");
            }
            _ => {}
        }
    }
    let voicemail = events
        .iter()
        .find_map(|event| match event {
            Event::CallCongestion(ended) => Some(CallEnded {
                provider_status: "voicemail_reached".into(),
                at: at(33),
                ..ended.clone()
            }),
            _ => None,
        })
        .expect("a call-ended event");
    events.push(Event::CallVoicemail(voicemail));
    events.push(Event::LeadRecycled(LeadRecycled {
        campaign_id: CampaignId::from_u128(2),
        lead_id: LeadId::from_u128(3),
        from: LeadStatus::Voicemail,
        to: LeadStatus::New,
        reset_dial_count: false,
        reason: "voicemail recycled".into(),
        at: at(34),
    }));
    events.push(Event::SubscriptionCreated(SubscriptionCreated {
        subscription_id: SubscriptionId::from_u128(6),
        owner: Some(UserId::from_u128(1)),
        url: "https://hooks.example.com/leadline".into(),
        events: vec!["CallAnswered".into(), "LeadDialed".into()],
        campaign_id: Some(CampaignId::from_u128(2)),
        secret: WebhookSecret::new("whsec_golden".into()),
        at: at(35),
    }));
    events.push(Event::SubscriptionDeleted(SubscriptionDeleted {
        subscription_id: SubscriptionId::from_u128(6),
        at: at(36),
    }));
    events
}

/// Every type as this version writes it.
fn events_v3() -> Vec<Event> {
    let mut events = events_v2();
    for event in &mut events {
        match event {
            Event::CampaignCreated(CampaignCreated { settings, .. })
            | Event::CampaignUpdated(CampaignUpdated { settings, .. }) => {
                settings.jurisdiction_rules = false;
                settings.debt_collection = true;
                settings.retry = settings
                    .retry
                    .clone()
                    .with_delay_minutes_by_status(BTreeMap::from([
                        (LeadStatus::Busy, 15),
                        (LeadStatus::NoAnswer, 240),
                    ]))
                    .expect("delays");
            }
            Event::LeadImported(imported) => {
                imported.alt_phones = vec![
                    PhoneNumber::parse("+13055550123", None).expect("phone"),
                    PhoneNumber::parse("+447911123456", None).expect("phone"),
                ];
            }
            _ => {}
        }
    }
    events.push(Event::ContactPolicySet(ContactPolicySet {
        user_id: UserId::from_u128(1),
        policy: leadline_domain::policy::ContactPolicy {
            per_number: vec![
                leadline_domain::policy::NumberCap {
                    calls_max: 3,
                    window_hours: 24,
                },
                leadline_domain::policy::NumberCap {
                    calls_max: 7,
                    window_hours: 168,
                },
            ],
            holidays: vec![leadline_domain::policy::Holiday {
                date: chrono::NaiveDate::from_ymd_opt(2026, 12, 25).expect("date"),
                regions: vec!["US".parse().expect("region"), "IN".parse().expect("region")],
            }],
        },
        at: at(37),
    }));
    events
}

fn encode(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    for event in events {
        let name = event.type_name().as_bytes();
        let payload = bincode::serialize(&event.payload()).expect("encode");
        out.push(name.len() as u8);
        out.extend_from_slice(name);
        out.extend_from_slice(&event.schema_version().to_be_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        out.extend_from_slice(&payload);
    }
    out
}

fn decode(mut bytes: &[u8]) -> Vec<Event> {
    let options = bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .allow_trailing_bytes();
    let mut events = Vec::new();
    while let Some((&len, rest)) = bytes.split_first() {
        let (name, rest) = rest.split_at(usize::from(len));
        let type_name = std::str::from_utf8(name).expect("type name");
        let schema_version = u16::from_be_bytes([rest[0], rest[1]]);
        let payload_len = u32::from_be_bytes([rest[2], rest[3], rest[4], rest[5]]) as usize;
        let (payload, rest) = rest[6..].split_at(payload_len);
        let seed = EventSeed {
            type_name,
            schema_version,
        };
        let event = options
            .deserialize_seed(seed, payload)
            .unwrap_or_else(|e| panic!("{type_name} v{schema_version} no longer decodes: {e}"));
        events.push(event);
        bytes = rest;
    }
    events
}

/// The fixtures, oldest first, with what each must decode to today.
fn fixtures() -> Vec<(&'static str, Vec<Event>)> {
    vec![
        ("events-v1.bin", events_v1()),
        ("events-v2.bin", events_v2()),
        ("events-v3.bin", events_v3()),
    ]
}

/// With `LEADLINE_WRITE_GOLDEN` set, writes the newest fixture if it is
/// missing (once, before any test reads it).
fn write_newest_if_asked(fixtures: &[(&'static str, Vec<Event>)]) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("LEADLINE_WRITE_GOLDEN").is_none() {
            return;
        }
        if let Some((name, events)) = fixtures.last() {
            if !fixture(name).exists() {
                std::fs::write(fixture(name), encode(events)).expect("write fixture");
            }
        }
    });
}

#[test]
fn every_event_any_version_wrote_still_decodes() {
    let fixtures = fixtures();
    write_newest_if_asked(&fixtures);
    for (name, expected) in &fixtures {
        let stored = std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            &decode(&stored),
            expected,
            "{name} decodes to the same events"
        );
    }
}

#[test]
fn the_newest_fixture_holds_every_type_in_todays_schema() {
    let fixtures = fixtures();
    write_newest_if_asked(&fixtures);
    let (name, expected) = fixtures.last().expect("a fixture");
    let stored = std::fs::read(fixture(name)).expect("fixture");
    assert_eq!(
        stored,
        encode(expected),
        "{name} is what this version writes: a schema change needs a new fixture"
    );
    let mut covered: Vec<&str> = expected.iter().map(Event::type_name).collect();
    covered.sort_unstable();
    covered.dedup();
    let mut all: Vec<&str> = Event::TYPE_NAMES.to_vec();
    all.sort_unstable();
    assert_eq!(covered, all, "{name} holds every event type");
}

#[test]
fn the_first_fixture_holds_the_first_schema_versions() {
    let stored = std::fs::read(fixture("events-v1.bin")).expect("fixture");
    let mut bytes = stored.as_slice();
    while let Some((&len, rest)) = bytes.split_first() {
        let (name, rest) = rest.split_at(usize::from(len));
        let version = u16::from_be_bytes([rest[0], rest[1]]);
        let payload_len = u32::from_be_bytes([rest[2], rest[3], rest[4], rest[5]]) as usize;
        assert_eq!(
            version,
            1,
            "{} in events-v1.bin",
            String::from_utf8_lossy(name)
        );
        bytes = &rest[6 + payload_len..];
    }
}
