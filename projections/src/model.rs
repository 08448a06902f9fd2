//! The read model: every projection, folded together from the log, so that
//! one event changes the lead view, the call log, the counters and the
//! hopper at once — they cannot disagree.

use crate::hash::HashMap;

use chrono::{DateTime, Utc};
use leadline_domain::campaign::{self, Campaign};
use leadline_domain::lead::{self, Lead};
use leadline_domain::policy::{NumberHistory, Owner};
use leadline_domain::subscription::{self, Subscription};
use leadline_domain::user::{self, User};
use leadline_domain::{
    CallId, CallOutcome, CampaignId, CampaignStatus, Event, LeadId, PhoneNumber, StreamName,
    SubscriptionId, UserId,
};
use serde::Serialize;

use crate::hopper::{Hopper, Placement};
use crate::stats::{Contribution, Counters};
use crate::timeline::Timeline;

/// A lead and the version of its stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadEntry {
    pub lead: Lead,
    /// The lead stream's version: what a command on this lead expects.
    pub version: u64,
}

/// A campaign, its stream version, and its per-campaign projections.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignEntry {
    pub campaign: Campaign,
    pub version: u64,
    /// Its leads, in import order.
    pub leads: Vec<LeadId>,
    /// The first lead imported with each number, its other numbers
    /// included (duplicate detection, and the leads a number's dials or
    /// opt-out change).
    pub phones: HashMap<PhoneNumber, LeadId>,
    /// Its calls, in dial order.
    pub calls: Vec<CallId>,
    /// Its leads per jurisdiction row (`US`, `US-FL` …) their numbers are
    /// under, counted at import.
    pub jurisdictions: std::collections::BTreeMap<&'static str, u64>,
    pub counters: Counters,
    pub hopper: Hopper,
    /// Its dials, outcomes and calls in flight per minute.
    pub timeline: Timeline,
}

/// A user, their stream version, their campaigns and calls in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserEntry {
    pub user: User,
    pub version: u64,
    /// Their campaigns, oldest first.
    pub campaigns: Vec<CampaignId>,
    /// Their calls in flight now.
    pub in_flight: u32,
    /// Each number they dialed: its dials and abandoned calls over all
    /// their campaigns, for caps across campaigns.
    pub numbers: HashMap<PhoneNumber, NumberHistory>,
}

impl UserEntry {
    /// What the calling rules know of this user.
    pub fn owner(&self) -> Owner<'_> {
        Owner {
            policy: &self.user.contact_policy,
            dnc: &self.user.dnc,
            numbers: &self.numbers,
        }
    }
}

/// A webhook subscription, its stream version, and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionEntry {
    pub subscription: Subscription,
    pub version: u64,
    /// The log position of its creation: deliveries start after it.
    pub created_position: u64,
}

/// Where a call stands in the call log.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    /// Dialed, no result yet.
    Dialing,
    Answered,
    NoAnswer,
    Busy,
    Failed,
    Dropped,
    Congestion,
    Voicemail,
}

impl From<CallOutcome> for CallStatus {
    fn from(outcome: CallOutcome) -> Self {
        match outcome {
            CallOutcome::Answered => CallStatus::Answered,
            CallOutcome::NoAnswer => CallStatus::NoAnswer,
            CallOutcome::Busy => CallStatus::Busy,
            CallOutcome::Failed => CallStatus::Failed,
            CallOutcome::Dropped => CallStatus::Dropped,
            CallOutcome::Congestion => CallStatus::Congestion,
            CallOutcome::Voicemail => CallStatus::Voicemail,
        }
    }
}

/// One call attempt of a lead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    pub id: CallId,
    pub lead_id: LeadId,
    pub campaign_id: CampaignId,
    pub user_id: UserId,
    /// The number dialed: one of the lead's.
    pub phone: PhoneNumber,
    /// Which dial of the lead it was.
    pub attempt: u32,
    pub status: CallStatus,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub provider_call_id: Option<String>,
    pub provider_status: Option<String>,
    pub error: Option<String>,
    pub duration_secs: Option<u32>,
}

/// An event that does not fit the state it is folded into (a lead event
/// for an unknown campaign, …). The log only holds events the domain
/// accepted, so any of these points at a bug; `verify` lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    pub position: u64,
    pub detail: String,
}

/// Values stored densely in insertion order, found by id.
#[derive(Clone, Debug)]
struct Slab<K, V> {
    values: Vec<V>,
    index: HashMap<K, u32>,
}

impl<K, V> Default for Slab<K, V> {
    fn default() -> Self {
        Slab {
            values: Vec::new(),
            index: HashMap::default(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Copy, V> Slab<K, V> {
    fn get(&self, key: &K) -> Option<&V> {
        self.index.get(key).map(|&i| &self.values[i as usize])
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.index.get(key).map(|&i| &mut self.values[i as usize])
    }

    /// Inserts or replaces.
    fn insert(&mut self, key: K, value: V) {
        match self.index.get(&key) {
            Some(&i) => self.values[i as usize] = value,
            None => {
                // Four billion leads or calls in one process is far beyond
                // what memory allows; the index type follows from that.
                let i = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
                self.index.insert(key, i);
                self.values.push(value);
            }
        }
    }
}

/// Equal when they hold the same values under the same keys.
impl<K: std::hash::Hash + Eq + Copy, V: PartialEq> PartialEq for Slab<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.index.len() == other.index.len()
            && self
                .index
                .iter()
                .all(|(k, &i)| other.get(k) == Some(&self.values[i as usize]))
    }
}

/// Anomalies kept for reporting; more are counted, not kept.
pub const ANOMALIES_KEPT_MAX: usize = 100;

/// Every read model, folded from the log up to `position`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadModel {
    position: u64,
    events: u64,
    users: HashMap<UserId, UserEntry>,
    api_keys: HashMap<String, UserId>,
    campaigns: HashMap<CampaignId, CampaignEntry>,
    /// Leads and calls are stored densely, found through small indexes: a
    /// map of large entries would carry up to twice their size in unused
    /// capacity, which dominates a million-lead campaign.
    leads: Slab<LeadId, LeadEntry>,
    calls: Slab<CallId, CallRecord>,
    /// The provider's id of each call it accepted: webhooks name calls
    /// by it.
    provider_calls: HashMap<String, CallId>,
    system_in_flight: u32,
    /// Calls without an end, by the time they were dialed: the dialer
    /// reclaims the oldest once they are stale.
    in_flight_calls: std::collections::BTreeSet<(DateTime<Utc>, CallId)>,
    /// Webhook subscriptions, deleted ones included (marked so).
    subscriptions: std::collections::BTreeMap<SubscriptionId, SubscriptionEntry>,
    anomalies: Vec<Anomaly>,
    anomalies_total: u64,
}

impl ReadModel {
    /// The last log position folded in: a read reflects every event up to it.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Events folded in.
    pub fn events(&self) -> u64 {
        self.events
    }

    pub fn user(&self, id: &UserId) -> Option<&UserEntry> {
        self.users.get(id)
    }

    pub fn users(&self) -> impl Iterator<Item = &UserEntry> {
        self.users.values()
    }

    /// The user whose API key has this digest.
    pub fn user_by_key_digest(&self, digest: &str) -> Option<&UserEntry> {
        self.api_keys.get(digest).and_then(|id| self.users.get(id))
    }

    pub fn campaign(&self, id: &CampaignId) -> Option<&CampaignEntry> {
        self.campaigns.get(id)
    }

    pub fn campaigns(&self) -> impl Iterator<Item = &CampaignEntry> {
        self.campaigns.values()
    }

    /// A user's campaigns, oldest first, optionally only those with
    /// `status` at `now` (`scheduled` is derived from the time).
    pub fn campaigns_of(
        &self,
        user: &UserId,
        status: Option<CampaignStatus>,
        now: DateTime<Utc>,
    ) -> Vec<&CampaignEntry> {
        let Some(entry) = self.users.get(user) else {
            return Vec::new();
        };
        entry
            .campaigns
            .iter()
            .filter_map(|id| self.campaigns.get(id))
            .filter(|c| status.is_none_or(|s| c.campaign.status_at(now) == s))
            .collect()
    }

    /// What the calling rules know of `user` (no policy, no list, no
    /// dials when the user is unknown).
    pub fn owner(&self, user: &UserId) -> Owner<'_> {
        match self.users.get(user) {
            Some(entry) => entry.owner(),
            None => Owner::detached(),
        }
    }

    pub fn lead(&self, id: &LeadId) -> Option<&LeadEntry> {
        self.leads.get(id)
    }

    pub fn call(&self, id: &CallId) -> Option<&CallRecord> {
        self.calls.get(id)
    }

    /// The call a provider knows by `provider_call_id`.
    pub fn call_by_provider_id(&self, provider_call_id: &str) -> Option<&CallRecord> {
        self.provider_calls
            .get(provider_call_id)
            .and_then(|id| self.calls.get(id))
    }

    /// Calls in flight for the whole system.
    pub fn system_in_flight(&self) -> u32 {
        self.system_in_flight
    }

    /// Calls without an end, oldest dial first.
    pub fn in_flight_calls(&self) -> impl Iterator<Item = &CallRecord> {
        self.in_flight_calls
            .iter()
            .filter_map(|(_, id)| self.calls.get(id))
    }

    /// A subscription, deleted or not.
    pub fn subscription(&self, id: &SubscriptionId) -> Option<&SubscriptionEntry> {
        self.subscriptions.get(id)
    }

    /// Live subscriptions (not deleted), oldest id first.
    pub fn live_subscriptions(&self) -> impl Iterator<Item = &SubscriptionEntry> {
        self.subscriptions
            .values()
            .filter(|e| e.subscription.is_live())
    }

    /// A copy of what the dialing of `user`'s campaigns depends on: the
    /// user, the campaigns in `campaigns` that are theirs, each campaign
    /// with one of their calls in flight, those campaigns' leads, and those
    /// calls. Other users, past calls and subscriptions are left out, so
    /// the system's calls in flight are the user's. A forecast runs the
    /// dialer on it.
    pub fn copy_for(&self, user: &UserId, campaigns: &[CampaignId]) -> ReadModel {
        let mut copy = ReadModel {
            position: self.position,
            ..ReadModel::default()
        };
        let Some(entry) = self.users.get(user) else {
            return copy;
        };
        copy.users.insert(*user, entry.clone());
        let in_flight: Vec<(&(DateTime<Utc>, CallId), &CallRecord)> = self
            .in_flight_calls
            .iter()
            .filter_map(|key| Some((key, self.calls.get(&key.1)?)))
            .filter(|(_, call)| call.user_id == *user)
            .collect();
        let wanted = campaigns
            .iter()
            .chain(in_flight.iter().map(|(_, call)| &call.campaign_id));
        for id in wanted {
            let Some(campaign) = self.campaigns.get(id) else {
                continue;
            };
            if campaign.campaign.owner != *user || copy.campaigns.contains_key(id) {
                continue;
            }
            for lead in &campaign.leads {
                if let Some(lead_entry) = self.leads.get(lead) {
                    copy.leads.insert(*lead, lead_entry.clone());
                }
            }
            copy.campaigns.insert(*id, campaign.clone());
        }
        for (key, call) in in_flight {
            copy.calls.insert(call.id, call.clone());
            copy.in_flight_calls.insert(*key);
            if let Some(provider_id) = &call.provider_call_id {
                copy.provider_calls.insert(provider_id.clone(), call.id);
            }
        }
        copy.system_in_flight = u32::try_from(copy.in_flight_calls.len()).unwrap_or(u32::MAX);
        copy
    }

    pub fn anomalies(&self) -> (&[Anomaly], u64) {
        (&self.anomalies, self.anomalies_total)
    }

    /// Folds one event in. `position` and `stream_version` come from its
    /// envelope.
    pub fn apply(&mut self, position: u64, stream_version: u64, event: &Event) {
        match event.stream() {
            StreamName::User(id) => self.apply_user(position, id, stream_version, event),
            StreamName::Campaign(id) => self.apply_campaign(position, id, stream_version, event),
            StreamName::Lead(id) => self.apply_lead(position, id, stream_version, event),
            StreamName::Subscription(id) => {
                self.apply_subscription(position, id, stream_version, event)
            }
        }
        self.position = position;
        self.events += 1;
    }

    fn anomaly(&mut self, position: u64, detail: String) {
        self.anomalies_total += 1;
        if self.anomalies.len() < ANOMALIES_KEPT_MAX {
            self.anomalies.push(Anomaly { position, detail });
        }
    }

    fn apply_subscription(
        &mut self,
        position: u64,
        id: SubscriptionId,
        version: u64,
        event: &Event,
    ) {
        let old = self.subscriptions.remove(&id);
        let created_position = old.as_ref().map_or(position, |e| e.created_position);
        match subscription::evolve(old.map(|e| e.subscription), event) {
            Some(subscription) => {
                self.subscriptions.insert(
                    id,
                    SubscriptionEntry {
                        subscription,
                        version,
                        created_position,
                    },
                );
            }
            None => self.anomaly(
                position,
                format!("{} for unknown subscription {id}", event.type_name()),
            ),
        }
    }

    fn apply_user(&mut self, position: u64, id: UserId, version: u64, event: &Event) {
        let mut old = self.users.remove(&id);
        let numbers = old
            .as_mut()
            .map(|e| std::mem::take(&mut e.numbers))
            .unwrap_or_default();
        let (campaigns, in_flight) = old
            .as_ref()
            .map(|e| (e.campaigns.clone(), e.in_flight))
            .unwrap_or_default();
        match user::evolve(old.map(|e| e.user), event) {
            Some(user) => {
                if let Event::UserCreated(created) = event {
                    self.api_keys
                        .insert(created.api_key_digest.clone(), created.user_id);
                }
                self.users.insert(
                    id,
                    UserEntry {
                        user,
                        version,
                        campaigns,
                        in_flight,
                        numbers,
                    },
                );
                match event {
                    Event::DncAdded(e) => self.replace_number(id, &e.phone, None),
                    Event::DncRemoved(e) => self.replace_number(id, &e.phone, None),
                    Event::ContactPolicySet(_) => self.replace_all_of(id),
                    _ => {}
                }
            }
            None => self.anomaly(
                position,
                format!("{} for unknown user {id}", event.type_name()),
            ),
        }
    }

    fn apply_campaign(&mut self, position: u64, id: CampaignId, version: u64, event: &Event) {
        let old = self.campaigns.remove(&id);
        let settings_before = old.as_ref().map(|e| e.campaign.settings.clone());
        let Some(campaign) = campaign::evolve(old.as_ref().map(|e| e.campaign.clone()), event)
        else {
            self.anomaly(
                position,
                format!("{} for unknown campaign {id}", event.type_name()),
            );
            if let Some(old) = old {
                self.campaigns.insert(id, old);
            }
            return;
        };
        let mut entry = match old {
            Some(mut entry) => {
                entry.campaign = campaign;
                entry
            }
            None => {
                if let Some(owner) = self.users.get_mut(&campaign.owner) {
                    owner.campaigns.push(id);
                } else {
                    self.anomaly(position, format!("campaign {id} of unknown user"));
                }
                CampaignEntry {
                    campaign,
                    version,
                    leads: Vec::new(),
                    phones: HashMap::default(),
                    calls: Vec::new(),
                    jurisdictions: std::collections::BTreeMap::new(),
                    counters: Counters::default(),
                    hopper: Hopper::default(),
                    timeline: Timeline::default(),
                }
            }
        };
        entry.version = version;
        if settings_before.is_some_and(|s| s != entry.campaign.settings) {
            self.reindex(&mut entry);
        }
        self.campaigns.insert(id, entry);
    }

    /// New settings (retry policy, local hours …) can change every lead's
    /// category and hopper entry: recount them all.
    fn reindex(&self, entry: &mut CampaignEntry) {
        let dials = entry.counters.dials;
        entry.counters = Counters::default();
        entry.counters.dials = dials;
        entry.hopper = Hopper::default();
        let owner = self.owner(&entry.campaign.owner);
        for id in &entry.leads {
            if let Some(lead) = self.leads.get(id) {
                let lead = &lead.lead;
                entry
                    .counters
                    .shift(None, Some(Contribution::of(lead, &entry.campaign)));
                entry
                    .hopper
                    .place(*id, Placement::of(lead, &entry.campaign, &owner));
            }
        }
    }

    /// Places again, in every campaign of `user`, the lead that has
    /// `phone` among its numbers (but `except`): a dial, a dropped call or
    /// an opt-out of a number changes when it may be dialed everywhere.
    fn replace_number(&mut self, user: UserId, phone: &PhoneNumber, except: Option<LeadId>) {
        self.replace(user, |entry| {
            entry
                .phones
                .get(phone)
                .copied()
                .filter(|id| Some(*id) != except)
                .into_iter()
                .collect()
        });
    }

    /// Places again every lead of `user` (its contact policy changed).
    fn replace_all_of(&mut self, user: UserId) {
        self.replace(user, |entry| entry.leads.clone());
    }

    /// Places again, in each campaign of `user`, the leads `which` picks.
    fn replace(&mut self, user: UserId, which: impl Fn(&CampaignEntry) -> Vec<LeadId>) {
        let Some(user) = self.users.get(&user) else {
            return;
        };
        let owner = user.owner();
        for campaign_id in &user.campaigns {
            let Some(entry) = self.campaigns.get_mut(campaign_id) else {
                continue;
            };
            for lead_id in which(entry) {
                if let Some(lead) = self.leads.get(&lead_id) {
                    entry
                        .hopper
                        .place(lead_id, Placement::of(&lead.lead, &entry.campaign, &owner));
                }
            }
        }
    }

    /// The number whose history an event changes, with the change made:
    /// a dial of it, or a call to it that dropped.
    fn record_number(&mut self, owner: UserId, event: &Event) -> Option<PhoneNumber> {
        let (phone, dropped_at, dialed_at) = match event {
            Event::LeadDialed(dialed) => (dialed.phone.clone(), None, Some(dialed.at)),
            Event::CallDropped(ended) => {
                let phone = self.calls.get(&ended.call_id)?.phone.clone();
                (phone, Some(ended.at), None)
            }
            _ => return None,
        };
        let history = self
            .users
            .get_mut(&owner)?
            .numbers
            .entry(phone.clone())
            .or_default();
        if let Some(at) = dialed_at {
            history.record_dial(at);
        }
        if let Some(at) = dropped_at {
            history.record_abandoned(at);
        }
        Some(phone)
    }

    fn apply_lead(&mut self, position: u64, id: LeadId, version: u64, event: &Event) {
        let Some(campaign_id) = event.campaign_id() else {
            self.anomaly(
                position,
                format!("{} without a campaign", event.type_name()),
            );
            return;
        };
        let Some(entry) = self.campaigns.get_mut(&campaign_id) else {
            self.anomaly(
                position,
                format!(
                    "{} for lead {id} of unknown campaign {campaign_id}",
                    event.type_name()
                ),
            );
            return;
        };
        let owner = entry.campaign.owner;
        let number = self.record_number(owner, event);
        let Some(entry) = self.campaigns.get_mut(&campaign_id) else {
            return;
        };
        let owner_view = match self.users.get(&owner) {
            Some(user) => user.owner(),
            None => Owner::detached(),
        };
        let (before, was_in_flight, after, in_flight) = match self.leads.get_mut(&id) {
            Some(existing) => {
                let before = Contribution::of(&existing.lead, &entry.campaign);
                let was_in_flight = existing.lead.in_flight.is_some();
                lead::evolve_in_place(&mut existing.lead, event);
                existing.version = version;
                let lead = &existing.lead;
                entry
                    .hopper
                    .place(id, Placement::of(lead, &entry.campaign, &owner_view));
                entry.hopper.promote(event.at());
                (
                    Some(before),
                    was_in_flight,
                    Contribution::of(lead, &entry.campaign),
                    lead.in_flight.is_some(),
                )
            }
            None => {
                let Some(lead) = lead::evolve(None, event) else {
                    self.anomaly(
                        position,
                        format!("{} for unknown lead {id}", event.type_name()),
                    );
                    return;
                };
                entry
                    .hopper
                    .place(id, Placement::of(&lead, &entry.campaign, &owner_view));
                entry.hopper.promote(event.at());
                entry.leads.push(id);
                let mut rows: Vec<&'static str> = Vec::new();
                for phone in lead.phones() {
                    entry.phones.entry(phone.clone()).or_insert(id);
                    let place = leadline_domain::jurisdiction::NumberPlace::of(phone);
                    rows.extend(place.rules().map(|rule| rule.id));
                }
                rows.sort_unstable();
                rows.dedup();
                for row in rows {
                    *entry.jurisdictions.entry(row).or_default() += 1;
                }
                let after = Contribution::of(&lead, &entry.campaign);
                let in_flight = lead.in_flight.is_some();
                self.leads.insert(id, LeadEntry { lead, version });
                (None, false, after, in_flight)
            }
        };
        entry.counters.shift(before, Some(after));
        if in_flight != was_in_flight {
            let user = self.users.get_mut(&owner);
            if in_flight {
                self.system_in_flight += 1;
                if let Some(user) = user {
                    user.in_flight += 1;
                }
            } else {
                self.system_in_flight = self.system_in_flight.saturating_sub(1);
                if let Some(user) = user {
                    user.in_flight = user.in_flight.saturating_sub(1);
                }
            }
        }
        self.fold_call(event, owner);
        if let Some(phone) = number {
            self.replace_number(owner, &phone, Some(id));
        }
    }

    /// The call log, from the same events as the lead.
    fn fold_call(&mut self, event: &Event, owner: UserId) {
        match event {
            Event::LeadDialed(dialed) => {
                self.in_flight_calls.insert((dialed.at, dialed.call_id));
                self.calls.insert(
                    dialed.call_id,
                    CallRecord {
                        id: dialed.call_id,
                        lead_id: dialed.lead_id,
                        campaign_id: dialed.campaign_id,
                        user_id: owner,
                        phone: dialed.phone.clone(),
                        attempt: dialed.attempt,
                        status: CallStatus::Dialing,
                        started_at: dialed.at,
                        ended_at: None,
                        provider_call_id: None,
                        provider_status: None,
                        error: None,
                        duration_secs: None,
                    },
                );
                if let Some(campaign) = self.campaigns.get_mut(&dialed.campaign_id) {
                    campaign.calls.push(dialed.call_id);
                    campaign.counters.dials += 1;
                    campaign.timeline.dialed(dialed.at);
                }
            }
            Event::CallPlaced(placed) => {
                if let Some(call) = self.calls.get_mut(&placed.call_id) {
                    call.provider_call_id = Some(placed.provider_call_id.clone());
                    self.provider_calls
                        .insert(placed.provider_call_id.clone(), placed.call_id);
                }
            }
            Event::CallReclaimed(reclaimed) => {
                if let Some(call) = self.calls.get_mut(&reclaimed.call_id) {
                    if self.in_flight_calls.remove(&(call.started_at, call.id)) {
                        if let Some(campaign) = self.campaigns.get_mut(&call.campaign_id) {
                            campaign.timeline.ended(reclaimed.at, None);
                        }
                    }
                    call.status = CallStatus::Failed;
                    call.ended_at = Some(reclaimed.at);
                    call.error = Some(reclaimed.reason.clone());
                }
            }
            _ => {
                if let Some((outcome, ended)) = event.as_call_ended() {
                    if let Some(call) = self.calls.get_mut(&ended.call_id) {
                        if self.in_flight_calls.remove(&(call.started_at, call.id)) {
                            if let Some(campaign) = self.campaigns.get_mut(&call.campaign_id) {
                                campaign.timeline.ended(ended.at, Some(outcome));
                            }
                        }
                        call.status = outcome.into();
                        call.ended_at = Some(ended.at);
                        call.provider_status = Some(ended.provider_status.clone());
                        call.error = ended.error.clone();
                        call.duration_secs = ended.duration_secs;
                        if let Some(provider_call_id) = &ended.provider_call_id {
                            call.provider_call_id = Some(provider_call_id.clone());
                            self.provider_calls
                                .insert(provider_call_id.clone(), ended.call_id);
                        }
                    }
                }
            }
        }
    }

    /// Recounts every counter from the leads, for checks: must always
    /// equal the counters kept incrementally.
    pub fn recount(&self, campaign: &CampaignId) -> Option<Counters> {
        let entry = self.campaigns.get(campaign)?;
        let mut counters = Counters::default();
        counters.dials = entry.counters.dials;
        for id in &entry.leads {
            let lead = &self.leads.get(id)?.lead;
            counters.shift(None, Some(Contribution::of(lead, &entry.campaign)));
        }
        Some(counters)
    }
}
