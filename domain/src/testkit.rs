//! Fixtures for the given / when / then tests: fixed ids, instants, and
//! states built by folding events, never by hand.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};

use crate::campaign::{self, Campaign, CampaignCommand, CampaignSettings};
use crate::events::{CallEnded, Event, LeadImported};
use crate::ids::{CallId, CampaignId, LeadId, UserId};
use crate::lead::{self, CallReport, Lead, LeadCommand, ReportedCallState};
use crate::phone::PhoneNumber;
use crate::plans::{self, LeadInput};
use crate::status::CallOutcome;

pub const CAMPAIGN: CampaignId = CampaignId::from_u128(0xc0);
pub const OWNER: UserId = UserId::from_u128(0x10);

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// A Friday at 10:00 UTC (15:30 in Kolkata).
pub fn t0() -> DateTime<Utc> {
    at("2026-11-20T10:00:00Z")
}

pub fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

pub fn lead_id(n: u128) -> LeadId {
    LeadId::from_u128(0x1ead_0000 + n)
}

pub fn call_id(n: u128) -> CallId {
    CallId::from_u128(0xca11_0000 + n)
}

pub fn phone(text: &str) -> PhoneNumber {
    PhoneNumber::parse(text, None).unwrap_or_else(|e| panic!("fixture phone {text}: {e}"))
}

/// A campaign of Indian numbers with the jurisdiction rules off, so that
/// tests of other rules may dial at any hour; the tests of jurisdictions
/// turn them on.
pub fn settings() -> CampaignSettings {
    let mut settings = CampaignSettings::new("EMI Reminder").unwrap_or_else(|e| panic!("{e}"));
    settings.default_region = "IN".parse().ok();
    settings.jurisdiction_rules = false;
    settings
}

/// Folds events into a campaign, panicking on a missing state.
pub fn campaign_from(events: &[Event]) -> Campaign {
    campaign::replay(events).unwrap_or_else(|| panic!("no campaign in {events:?}"))
}

/// Applies more events to a campaign.
pub fn then_campaign(campaign: &Campaign, events: &[Event]) -> Campaign {
    events
        .iter()
        .fold(Some(campaign.clone()), campaign::evolve)
        .unwrap_or_else(|| panic!("campaign vanished"))
}

/// Applies more events to a lead.
pub fn then_lead(lead: &Lead, events: &[Event]) -> Lead {
    events
        .iter()
        .fold(Some(lead.clone()), lead::evolve)
        .unwrap_or_else(|| panic!("lead vanished"))
}

/// A draft campaign with `settings`.
pub fn draft_with(settings: CampaignSettings) -> Campaign {
    let events = campaign::create(None, CAMPAIGN, OWNER, settings, t0() - minutes(60))
        .unwrap_or_else(|e| panic!("{e}"));
    campaign_from(&events)
}

/// A draft campaign with the default settings.
pub fn draft() -> Campaign {
    draft_with(settings())
}

/// A campaign with `n` imported leads (numbers +9198765432xx).
pub fn with_leads(campaign: &Campaign, n: usize) -> (Campaign, Vec<Lead>) {
    let rows = (0..n)
        .map(|i| LeadInput {
            phone: format!("+91987654{:04}", 3200 + i),
            ..LeadInput::default()
        })
        .collect();
    let mut next = 0;
    let (events, summary) = plans::import_leads(
        campaign,
        &HashMap::new(),
        |_| false,
        rows,
        || {
            next += 1;
            lead_id(next)
        },
        t0() - minutes(30),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.imported, n);
    let campaign = then_campaign(campaign, &events);
    let leads = leads_from(&events);
    (campaign, leads)
}

/// Every lead the events create, folded.
pub fn leads_from(events: &[Event]) -> Vec<Lead> {
    let mut leads: BTreeMap<LeadId, Option<Lead>> = BTreeMap::new();
    for event in events {
        if let Some(id) = event.lead_id() {
            let state = leads.remove(&id).flatten();
            leads.insert(id, lead::evolve(state, event));
        }
    }
    let mut leads: Vec<Lead> = leads.into_values().flatten().collect();
    leads.sort_by_key(|lead| lead.sequence);
    leads
}

/// An active campaign with one lead, not yet queued.
pub fn active_with_one_lead() -> (Campaign, Lead) {
    active_with_one_lead_settings(settings())
}

/// The same with given settings.
pub fn active_with_one_lead_settings(settings: CampaignSettings) -> (Campaign, Lead) {
    let (campaign, leads) = with_leads(&draft_with(settings), 1);
    let started = campaign::decide(&campaign, CampaignCommand::Start, t0() - minutes(20))
        .unwrap_or_else(|e| panic!("{e}"));
    let campaign = then_campaign(&campaign, &started);
    let lead = leads
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no lead"));
    (campaign, lead)
}

/// A lead imported directly, for tests that need a specific number.
pub fn imported_lead(number: &str, name: Option<&str>, priority: i32, sequence: u64) -> Lead {
    let event = Event::LeadImported(LeadImported {
        campaign_id: CAMPAIGN,
        lead_id: lead_id(u128::from(sequence) + 1000),
        sequence,
        phone: phone(number),
        name: name.map(str::to_owned),
        priority,
        timezone: None,
        contact_id: None,
        fields: Default::default(),
        at: t0() - minutes(30),
        alt_phones: Vec::new(),
    });
    lead::evolve(None, &event).unwrap_or_else(|| panic!("no lead"))
}

/// Runs a command that must succeed and applies its events.
pub fn run(lead: &Lead, campaign: &Campaign, command: LeadCommand, now: DateTime<Utc>) -> Lead {
    let events = lead::decide(lead, campaign, command, now).unwrap_or_else(|e| panic!("{e}"));
    then_lead(lead, &events)
}

/// Queues and dials a lead with call `call`.
pub fn dialed(lead: &Lead, campaign: &Campaign, call: CallId, now: DateTime<Utc>) -> Lead {
    let queued = run(lead, campaign, LeadCommand::Queue, now);
    let phone = queued.phone.clone();
    run(
        &queued,
        campaign,
        LeadCommand::Dial {
            call_id: call,
            phone,
        },
        now,
    )
}

pub fn ended(outcome: CallOutcome) -> CallReport {
    CallReport {
        state: ReportedCallState::Ended(outcome),
        provider_status: outcome.as_str().to_owned(),
        duration_secs: Some(12),
        error: None,
        provider_call_id: Some("prov-1".to_owned()),
    }
}

/// Queues, dials and ends a call with `outcome`.
pub fn called(
    lead: &Lead,
    campaign: &Campaign,
    call: CallId,
    outcome: CallOutcome,
    now: DateTime<Utc>,
) -> Lead {
    let dialing = dialed(lead, campaign, call, now);
    run(
        &dialing,
        campaign,
        LeadCommand::RecordCallReport {
            call_id: call,
            report: ended(outcome),
        },
        now + minutes(1),
    )
}

/// The call-ended payload a test expects.
pub fn call_ended(lead: &Lead, call: CallId, now: DateTime<Utc>) -> CallEnded {
    CallEnded {
        campaign_id: lead.campaign_id,
        lead_id: lead.id,
        call_id: call,
        provider_status: String::new(),
        duration_secs: None,
        error: None,
        provider_call_id: None,
        at: now,
    }
}
