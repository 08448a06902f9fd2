//! Realistic campaign histories for the benchmarks: a user, a campaign,
//! and per lead its import, queueing, dials, provider acceptances and
//! outcomes (by the simulator's last-digit rule), with retries and
//! recycles — about five events per lead.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use leadline::write::record::{self, Cause};
use leadline_domain::campaign::CampaignSettings;
use leadline_domain::events::{
    CallEnded, CallPlaced, CampaignCreated, CampaignTransition, LeadDialed, LeadImported,
    LeadQueued, LeadRecycled, UserCreated,
};
use leadline_domain::{
    Actor, CallId, CallOutcome, CampaignId, Event, LeadId, LeadStatus, PhoneNumber, UserId,
};
use leadline_storage::{EventLog, ExpectedVersion, StreamAppend};

pub fn start_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_763_700_000, 0).unwrap_or_default()
}

/// The user, the campaign and its start.
pub fn setup(user: UserId, campaign: CampaignId, name: &str) -> Result<Vec<Event>, String> {
    let at = start_time();
    let mut settings = CampaignSettings::new(name).map_err(|e| e.to_string())?;
    settings.default_region = "IN".parse().ok();
    Ok(vec![
        Event::UserCreated(UserCreated {
            user_id: user,
            name: "bench".into(),
            concurrent_calls_limit: 10,
            api_key_digest: format!("digest-{user}"),
            at,
        }),
        Event::CampaignCreated(CampaignCreated {
            campaign_id: campaign,
            owner: user,
            settings,
            at,
        }),
        Event::CampaignStarted(CampaignTransition {
            campaign_id: campaign,
            reason: None,
            at,
        }),
    ])
}

pub fn lead_id(campaign: CampaignId, i: u64) -> LeadId {
    LeadId::from_u128((campaign.as_uuid().as_u128() << 64) | u128::from(i))
}

/// A lead's history. With `only_imported`, just its import.
pub fn lead_events(
    campaign: CampaignId,
    i: u64,
    only_imported: bool,
) -> Result<Vec<Event>, String> {
    let lead_id = lead_id(campaign, i);
    let at = start_time() + Duration::seconds(i as i64);
    let phone = PhoneNumber::parse(&format!("+9198{:08}", i % 100_000_000), None)
        .map_err(|e| e.to_string())?;
    let mut events = vec![Event::LeadImported(LeadImported {
        campaign_id: campaign,
        lead_id,
        sequence: i,
        phone: phone.clone(),
        name: Some(format!("Customer {i}")),
        priority: 0,
        timezone: None,
        contact_id: None,
        fields: BTreeMap::from([
            ("loan_id".to_string(), format!("LN-{i:010}")),
            ("emi".to_string(), "12450.00".to_string()),
        ]),
        at,
        alt_phones: Vec::new(),
    })];
    if only_imported {
        return Ok(events);
    }
    let outcome = match i % 10 {
        1 => CallOutcome::NoAnswer,
        2 => CallOutcome::Busy,
        3 => CallOutcome::Failed,
        4 => CallOutcome::Dropped,
        5 => CallOutcome::Congestion,
        _ => CallOutcome::Answered,
    };
    dial(
        &mut events,
        campaign,
        lead_id,
        &phone,
        i,
        1,
        LeadStatus::New,
        outcome,
        at,
    );
    if outcome != CallOutcome::Answered {
        let later = at + Duration::hours(4);
        match i % 3 {
            0 => dial(
                &mut events,
                campaign,
                lead_id,
                &phone,
                i,
                2,
                outcome.status(),
                CallOutcome::Answered,
                later,
            ),
            1 => events.push(Event::LeadRecycled(LeadRecycled {
                campaign_id: campaign,
                lead_id,
                from: outcome.status(),
                to: LeadStatus::New,
                reset_dial_count: false,
                reason: "recycled by operator".into(),
                at: later,
            })),
            _ => {}
        }
    }
    Ok(events)
}

#[allow(clippy::too_many_arguments)]
fn dial(
    events: &mut Vec<Event>,
    campaign_id: CampaignId,
    lead_id: LeadId,
    phone: &PhoneNumber,
    i: u64,
    attempt: u32,
    from: LeadStatus,
    outcome: CallOutcome,
    at: DateTime<Utc>,
) {
    let call_id = CallId::from_u128(
        (u128::from(i) << 8) | u128::from(attempt) | (campaign_id.as_uuid().as_u128() << 72),
    );
    events.push(Event::LeadQueued(LeadQueued {
        campaign_id,
        lead_id,
        from,
        at,
    }));
    events.push(Event::LeadDialed(LeadDialed {
        campaign_id,
        lead_id,
        call_id,
        attempt,
        phone: phone.clone(),
        at,
    }));
    events.push(Event::CallPlaced(CallPlaced {
        campaign_id,
        lead_id,
        call_id,
        provider_call_id: format!("sim-{call_id}"),
        at,
    }));
    events.push(Event::call_ended(
        outcome,
        CallEnded {
            campaign_id,
            lead_id,
            call_id,
            provider_status: "completed".into(),
            duration_secs: Some(31),
            error: (outcome == CallOutcome::Failed).then(|| "provider error".to_string()),
            provider_call_id: None,
            at: at + Duration::seconds(31),
        },
    ));
}

/// Appends a campaign of `leads` leads with its full history; returns the
/// number of events.
pub fn append_campaign(
    log: &dyn EventLog,
    user: UserId,
    campaign: CampaignId,
    leads: u64,
    only_imported: bool,
) -> Result<u64, String> {
    let cause = Cause::new(Actor::System("bench".into()));
    let mut total = 0u64;
    let setup = setup(user, campaign, "EMI Reminder")?;
    total += append(log, &setup, &cause)?;
    let per_append = 1_000u64;
    let mut first = 0;
    while first < leads {
        let last = (first + per_append).min(leads);
        let mut events = Vec::new();
        for i in first..last {
            events.extend(lead_events(campaign, i, only_imported)?);
        }
        total += append(log, &events, &cause)?;
        first = last;
    }
    Ok(total)
}

fn append(log: &dyn EventLog, events: &[Event], cause: &Cause) -> Result<u64, String> {
    let appends: Vec<StreamAppend> =
        record::appends(events, cause, |_| ExpectedVersion::Any).map_err(|e| e.to_string())?;
    log.submit(appends).wait().map_err(|e| e.to_string())?;
    Ok(events.len() as u64)
}
