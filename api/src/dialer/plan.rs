//! Planning one round of dials on the read models: who gets the free
//! slots, and the domain's decision for each lead picked.
//!
//! Free slots per user (their limit minus calls in flight) and for the
//! system are dealt round-robin across users with eligible leads
//! (`leadline_domain::allocation`); each user's next leads come from the
//! hoppers of their active campaigns in dial order, checked against the
//! domain's eligibility; each picked lead is then dialed, or barred by the
//! do-not-call list, by `leadline_domain::dialing::dial_now`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use leadline_domain::allocation::{allocate, free_slots, UserDemand};
use leadline_domain::dialing::dial_now;
use leadline_domain::eligibility::choose_number;
use leadline_domain::lead::DialOrder;
use leadline_domain::{
    CallId, CampaignId, CampaignStatus, Event, LeadId, PhoneNumber, StreamName, UserId,
};
use leadline_projections::hash::{HashMap, HashSet};
use leadline_projections::ReadModel;

use super::placer::OutboundCall;

/// Leads read from a hopper beyond those wanted, in case some turn out not
/// to be dialable.
const HOPPER_LOOKAHEAD: usize = 16;

/// What the planner needs besides the read models.
pub struct PlanInput<'a> {
    pub system_concurrent_calls: u32,
    pub dials_per_step_max: usize,
    /// The user served last, where round-robin goes on from.
    pub last_served: Option<UserId>,
    /// When each paced campaign last dialed.
    pub last_dial: &'a HashMap<CampaignId, DateTime<Utc>>,
}

/// A round of dials.
#[derive(Default)]
pub struct DialPlan {
    pub events: Vec<Event>,
    /// The calls to place once the events are durable.
    pub dials: Vec<(CallId, LeadId, CampaignId)>,
    /// The campaigns whose leads it dials, and their owners: checked at
    /// append time, so a pause, an opt-out or a new contact policy
    /// acknowledged before the append makes the round decide again.
    pub checks: Vec<StreamName>,
    pub last_served: Option<UserId>,
}

/// A lead a user could dial now, in dial order, and the number it would
/// dial.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    order: DialOrder,
    lead_id: LeadId,
    phone: PhoneNumber,
}

/// The dials of a round at `now`, or `None` when there is nothing to dial.
pub fn plan_dials(
    model: &ReadModel,
    input: &PlanInput<'_>,
    now: DateTime<Utc>,
) -> Option<DialPlan> {
    let system_free = free_slots(input.system_concurrent_calls, model.system_in_flight());
    if system_free == 0 {
        return None;
    }
    // A number is called once at a time: not while a call to it is in
    // flight, and not twice in one round (another campaign of its owner may
    // hold a lead with it; the second dial would also be decided on a
    // history that does not count the first, and could pass a cap).
    let mut busy: HashSet<(UserId, PhoneNumber)> = model
        .in_flight_calls()
        .map(|call| (call.user_id, call.phone.clone()))
        .collect();
    let demand_leads = demand(model, input, &busy, now);
    if demand_leads.is_empty() {
        return None;
    }
    let lead_lists: Vec<(UserId, u32, Vec<LeadId>)> = demand_leads
        .iter()
        .map(|(user, (free, leads))| (*user, *free, leads.iter().map(|c| c.lead_id).collect()))
        .collect();
    let demands: Vec<UserDemand<'_>> = lead_lists
        .iter()
        .map(|(user, free, leads)| UserDemand {
            user_id: *user,
            free_slots: *free,
            leads,
        })
        .collect();
    let slots = system_free.min(u32::try_from(input.dials_per_step_max).unwrap_or(u32::MAX));
    let allocation = allocate(slots, &demands, input.last_served);
    let mut plan = DialPlan {
        last_served: allocation.last_served,
        ..DialPlan::default()
    };
    let mut seen = HashSet::default();
    let mut campaigns = HashSet::default();
    for dial in allocation.dials {
        if !seen.insert(dial.lead_id) {
            continue;
        }
        let Some(entry) = model.lead(&dial.lead_id) else {
            continue;
        };
        let Some(campaign) = model.campaign(&entry.lead.campaign_id) else {
            continue;
        };
        let owner = model.owner(&campaign.campaign.owner);
        let call_id = CallId::from_uuid(uuid::Uuid::now_v7());
        let Ok(events) = dial_now(&entry.lead, &campaign.campaign, &owner, call_id, now) else {
            continue;
        };
        let dialed = events.iter().find_map(|event| match event {
            Event::LeadDialed(dialed) => Some(dialed.phone.clone()),
            _ => None,
        });
        if let Some(phone) = dialed {
            if !busy.insert((campaign.campaign.owner, phone)) {
                continue;
            }
        }
        if campaigns.insert(campaign.campaign.id) {
            plan.checks.push(StreamName::Campaign(campaign.campaign.id));
            let owner = StreamName::User(campaign.campaign.owner);
            if !plan.checks.contains(&owner) {
                plan.checks.push(owner);
            }
        }
        if events.iter().any(|e| matches!(e, Event::LeadDialed(_))) {
            plan.dials
                .push((call_id, dial.lead_id, campaign.campaign.id));
        }
        plan.events.extend(events);
    }
    (!plan.events.is_empty()).then_some(plan)
}

/// Each user with free slots and eligible leads: the slots, and the best
/// leads first, at most that many.
fn demand(
    model: &ReadModel,
    input: &PlanInput<'_>,
    busy: &HashSet<(UserId, PhoneNumber)>,
    now: DateTime<Utc>,
) -> BTreeMap<UserId, (u32, Vec<Candidate>)> {
    let mut demand_leads = BTreeMap::new();
    for user in model.users() {
        let free = free_slots(user.user.concurrent_calls_limit, user.in_flight);
        if free == 0 {
            continue;
        }
        let mut candidates = Vec::new();
        let owner = user.owner();
        for entry in model.campaigns_of(&user.user.id, Some(CampaignStatus::Active), now) {
            let campaign = &entry.campaign;
            let delay = campaign.settings.dial_delay_ms;
            if let (Some(delay), Some(last)) = (delay, input.last_dial.get(&campaign.id)) {
                if *last + Duration::milliseconds(i64::from(delay)) > now {
                    continue;
                }
            }
            // Paced campaigns dial one lead per delay.
            let wanted = if delay.is_some() { 1 } else { free as usize };
            // The domain is asked about leads in dial order until the
            // campaign has as many as wanted (a lead further on could only
            // come after them): the hopper is read for as many as wanted,
            // then, when some of them cannot be dialed (a lead with several
            // numbers may be listed while none of them can, and the
            // domain's eligibility has the last word), for a few more.
            let mut found = 0;
            let mut read = 0;
            let mut numbers = HashSet::default();
            for n in [wanted, wanted.saturating_add(HOPPER_LOOKAHEAD)] {
                let items = entry.hopper.next_eligible(campaign, now, n);
                let exhausted = items.len() < n;
                for item in items.into_iter().skip(read) {
                    read += 1;
                    if found == wanted {
                        break;
                    }
                    let Some(lead) = model.lead(&item.lead_id) else {
                        continue;
                    };
                    let Some(phone) = choose_number(&lead.lead, campaign, &owner, now) else {
                        continue;
                    };
                    if busy.contains(&(user.user.id, phone.clone()))
                        || !numbers.insert(phone.clone())
                    {
                        continue;
                    }
                    found += 1;
                    candidates.push(Candidate {
                        order: item.order,
                        lead_id: item.lead_id,
                        phone,
                    });
                }
                if found == wanted || exhausted {
                    break;
                }
            }
        }
        if candidates.is_empty() {
            continue;
        }
        candidates.sort();
        // One lead per number: the first in dial order.
        let mut numbers = HashSet::default();
        candidates.retain(|candidate| numbers.insert(candidate.phone.clone()));
        candidates.truncate(free as usize);
        demand_leads.insert(user.user.id, (free, candidates));
    }
    demand_leads
}

/// A dialed call as the provider needs it: the number its dial chose and
/// the campaign's provider settings.
pub fn outbound_call(
    model: &ReadModel,
    call_id: CallId,
    lead_id: LeadId,
    dialed_at: DateTime<Utc>,
) -> Option<OutboundCall> {
    let lead = &model.lead(&lead_id)?.lead;
    let settings = &model.campaign(&lead.campaign_id)?.campaign.settings;
    let provider = &settings.provider;
    // The number the dial chose, which need not be the lead's main one.
    let phone = model.call(&call_id)?.phone.clone();
    Some(OutboundCall {
        call_id,
        lead_id,
        phone,
        agent_id: provider.agent_id.clone(),
        caller_id: provider.caller_id.clone(),
        next_action: provider.next_action.clone(),
        extra: provider.extra.clone(),
        detect_voicemail: settings.detect_voicemail,
        variables: variables(lead),
        dialed_at,
    })
}

/// The lead's prompt variables: its own columns, and `name` when it has one.
fn variables(lead: &leadline_domain::lead::Lead) -> std::collections::BTreeMap<String, String> {
    let mut variables: std::collections::BTreeMap<String, String> = lead
        .fields
        .iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    if let Some(name) = &lead.name {
        variables.insert("name".to_owned(), name.clone());
    }
    variables
}
