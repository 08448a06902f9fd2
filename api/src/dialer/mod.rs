//! The dialer: the one place that decides dials.
//!
//! Each [`Engine::step`] at an instant `now`:
//! 1. records the results of calls that ended (the simulator's, due by now);
//! 2. reclaims calls that never reported back within the stale timeout
//!    (recorded as failed, reason "stale"), freeing their slots;
//! 3. dials: free slots per user (their limit minus calls in flight) and for
//!    the system are dealt round-robin across users with eligible leads
//!    (`leadline_domain::allocation`); each user's next leads come from the
//!    hoppers of their active campaigns in dial order; windows, local
//!    hours, start dates, retry delays and daily caps are the domain's
//!    eligibility; the do-not-call list is checked again right before the
//!    dial. The dial events of one round are appended at once, on condition
//!    that none of the campaigns changed meanwhile (a pause acknowledged
//!    before the append makes it fail, and no call starts);
//! 4. completes active campaigns with nothing left to call.
//!
//! It returns the next instant anything is due (a result, a stale deadline,
//! a lead becoming ready, a window opening, a pacing delay). `serve` runs
//! steps on a thread with the real clock, waking at once on any new event
//! in the log (a call ending frees a slot), else at that instant; tests run
//! them with a virtual clock.

pub mod placer;
pub mod providers;
pub mod simulator;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use leadline_domain::allocation::{allocate, free_slots, UserDemand};
use leadline_domain::lead::{self, CallReport, DialOrder, Lead, LeadCommand, ReportedCallState};
use leadline_domain::{
    eligibility, plans, Actor, CallId, CampaignId, CampaignStatus, Event, LeadId, LeadStatus,
    StreamName, UserId,
};
use leadline_projections::{codec, Cause, Projections, ReadModel};
use leadline_storage::{EventLog, ExpectedVersion, LogError, StreamAppend};

use self::placer::{CallPlacer, OutboundCall, ProviderEvent};
use self::simulator::Simulator;

/// How the dialer runs.
#[derive(Clone, Debug)]
pub struct DialerConfig {
    /// Calls in flight at once across all users.
    pub system_concurrent_calls: u32,
    /// A call without a result after this long is reclaimed as failed.
    pub stale_call_ms: u64,
    /// The simulator's call length, dial to result.
    pub sim_call_ms: u64,
    /// Dials decided in one step (the rest wait for the next step).
    pub dials_per_step_max: usize,
    /// The longest the dialer sleeps without a known reason to wake.
    pub idle_wake_ms: u64,
}

impl Default for DialerConfig {
    fn default() -> Self {
        DialerConfig {
            system_concurrent_calls: leadline_domain::allocation::SYSTEM_CONCURRENT_CALLS_DEFAULT,
            stale_call_ms: 30 * 60 * 1000,
            sim_call_ms: 2000,
            dials_per_step_max: 1000,
            idle_wake_ms: 30_000,
        }
    }
}

/// What one step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub dialed: usize,
    pub reported: usize,
    pub reclaimed: usize,
    pub completed: usize,
    /// Appends refused because a stream moved meanwhile; the next step
    /// decides again.
    pub conflicts: usize,
    /// The next instant something is due.
    pub next_wake: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DialerError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("encoding events: {0}")]
    Codec(#[from] leadline_projections::CodecError),
    #[error("the read models did not reach position {0} in time")]
    NotVisible(u64),
}

/// How long a step waits for its own events to show in the read models.
const VISIBLE_WAIT_MS: u64 = 10_000;

/// The dialer's state between steps.
pub struct Engine {
    log: Arc<dyn EventLog>,
    projections: Arc<Projections>,
    config: DialerConfig,
    placer: Box<dyn CallPlacer>,
    last_served: Option<UserId>,
    last_dial: HashMap<CampaignId, DateTime<Utc>>,
}

impl Engine {
    /// A dialer over the log and its read models, placing calls through
    /// `placer`. Calls in flight when it starts (before a restart) are
    /// awaited, not placed again: the provider reports them, or they are
    /// reclaimed when stale.
    pub fn new(
        log: Arc<dyn EventLog>,
        projections: Arc<Projections>,
        config: DialerConfig,
        mut placer: Box<dyn CallPlacer>,
    ) -> Self {
        {
            let model = projections.read();
            for call in model.in_flight_calls() {
                if let Some(outbound) =
                    outbound_call(&model, call.id, call.lead_id, call.started_at)
                {
                    placer.resume(outbound);
                }
            }
        }
        Engine {
            log,
            projections,
            config,
            placer,
            last_served: None,
            last_dial: HashMap::new(),
        }
    }

    /// A dialer on the simulator.
    pub fn simulated(
        log: Arc<dyn EventLog>,
        projections: Arc<Projections>,
        config: DialerConfig,
    ) -> Self {
        let placer = Box::new(Simulator::new(config.sim_call_ms));
        Self::new(log, projections, config, placer)
    }

    /// One round of the dialer at `now`.
    pub fn step(&mut self, now: DateTime<Utc>) -> Result<Step, DialerError> {
        let mut step = Step::default();
        self.record_provider_events(now, &mut step)?;
        self.reclaim_stale(now, &mut step)?;
        self.dial(now, &mut step)?;
        // Acceptances of the calls just placed.
        self.record_provider_events(now, &mut step)?;
        self.complete_finished(now, &mut step)?;
        step.next_wake = self.next_wake(now);
        Ok(step)
    }

    /// Appends and waits until the read models show it. A conflict is
    /// counted, not an error: the next step decides again.
    fn commit(&self, appends: Vec<StreamAppend>, step: &mut Step) -> Result<bool, DialerError> {
        match self.log.submit(appends).wait() {
            Ok(outcome) => {
                let position = outcome.last_position();
                if !self
                    .projections
                    .wait_for(position, StdDuration::from_millis(VISIBLE_WAIT_MS))
                {
                    return Err(DialerError::NotVisible(position));
                }
                Ok(true)
            }
            Err(LogError::Conflict { .. }) => {
                step.conflicts += 1;
                let latest = self.log.last_position();
                self.projections
                    .wait_for(latest, StdDuration::from_millis(VISIBLE_WAIT_MS));
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn cause(&self) -> Cause {
        Cause::new(Actor::System("dialer".into()))
    }

    /// Appends per-lead events, each lead checked against the version seen.
    fn commit_lead_events(
        &self,
        model_versions: &HashMap<LeadId, u64>,
        events: &[Event],
        extra_checks: Vec<StreamAppend>,
        step: &mut Step,
    ) -> Result<bool, DialerError> {
        if events.is_empty() {
            return Ok(true);
        }
        let mut appends = extra_checks;
        appends.extend(codec::appends(
            events,
            &self.cause(),
            |stream| match stream {
                StreamName::Lead(id) => {
                    ExpectedVersion::Exact(model_versions.get(id).copied().unwrap_or(0))
                }
                _ => ExpectedVersion::Any,
            },
        )?);
        self.commit(appends, step)
    }

    /// Records what the provider said: acceptances, refusals (failed calls
    /// carrying the provider's message) and ends.
    fn record_provider_events(
        &mut self,
        now: DateTime<Utc>,
        step: &mut Step,
    ) -> Result<(), DialerError> {
        let polled = self.placer.poll(now);
        if polled.is_empty() {
            return Ok(());
        }
        let (events, versions, ended) = {
            let model = self.projections.read();
            let mut events = Vec::new();
            let mut versions = HashMap::new();
            let mut ended = 0;
            for provider_event in &polled {
                let (lead_id, command, at) = match provider_event.clone() {
                    ProviderEvent::Placed {
                        call_id,
                        lead_id,
                        provider_call_id,
                    } => (
                        lead_id,
                        LeadCommand::RecordCallPlaced {
                            call_id,
                            provider_call_id,
                        },
                        now,
                    ),
                    ProviderEvent::Refused {
                        call_id,
                        lead_id,
                        error,
                    } => (
                        lead_id,
                        LeadCommand::RecordCallReport {
                            call_id,
                            report: CallReport {
                                state: ReportedCallState::Ended(
                                    leadline_domain::CallOutcome::Failed,
                                ),
                                provider_status: "refused".into(),
                                duration_secs: None,
                                error: Some(error),
                                provider_call_id: None,
                            },
                        },
                        now,
                    ),
                    ProviderEvent::Ended {
                        call_id,
                        lead_id,
                        outcome,
                        provider_status,
                        provider_call_id,
                        duration_secs,
                        error,
                        at,
                    } => (
                        lead_id,
                        LeadCommand::RecordCallReport {
                            call_id,
                            report: CallReport {
                                state: ReportedCallState::Ended(outcome),
                                provider_status,
                                duration_secs,
                                error,
                                provider_call_id,
                            },
                        },
                        at.min(now),
                    ),
                };
                let Some(entry) = model.lead(&lead_id) else {
                    continue;
                };
                let Some(campaign) = model.campaign(&entry.lead.campaign_id) else {
                    continue;
                };
                // Only the first word on a call counts: an end for a call
                // already ended (reclaimed, or reported twice) is refused
                // by the domain, and nothing is recorded.
                let lead = events
                    .iter()
                    .filter(|e: &&Event| e.lead_id() == Some(lead_id))
                    .try_fold(entry.lead.clone(), |lead, e| lead::evolve(Some(lead), e));
                let Some(lead) = lead else { continue };
                if let Ok(new) = lead::decide(&lead, &campaign.campaign, command, at) {
                    ended += new.iter().filter(|e| e.as_call_ended().is_some()).count();
                    versions.entry(lead_id).or_insert(entry.version);
                    events.extend(new);
                }
            }
            (events, versions, ended)
        };
        if self.commit_lead_events(&versions, &events, Vec::new(), step)? {
            step.reported += ended;
        } else {
            self.placer.put_back(polled);
        }
        Ok(())
    }

    fn reclaim_stale(&mut self, now: DateTime<Utc>, step: &mut Step) -> Result<(), DialerError> {
        let stale_after =
            Duration::milliseconds(i64::try_from(self.config.stale_call_ms).unwrap_or(i64::MAX));
        let (events, versions) = {
            let model = self.projections.read();
            let mut events = Vec::new();
            let mut versions = HashMap::new();
            for call in model.in_flight_calls() {
                if call.started_at + stale_after > now {
                    break;
                }
                let Some(entry) = model.lead(&call.lead_id) else {
                    continue;
                };
                let Some(campaign) = model.campaign(&entry.lead.campaign_id) else {
                    continue;
                };
                let command = LeadCommand::Reclaim {
                    call_id: call.id,
                    stale_after,
                    reason: "stale".into(),
                };
                if let Ok(new) = lead::decide(&entry.lead, &campaign.campaign, command, now) {
                    versions.insert(call.lead_id, entry.version);
                    events.extend(new);
                }
            }
            (events, versions)
        };
        let count = events.len();
        if self.commit_lead_events(&versions, &events, Vec::new(), step)? {
            step.reclaimed += count;
        }
        Ok(())
    }

    fn dial(&mut self, now: DateTime<Utc>, step: &mut Step) -> Result<(), DialerError> {
        // Hoppers move forward in time: leads whose retry delay passed
        // become ready.
        {
            let mut model = self.projections.write();
            let active: Vec<CampaignId> = model
                .campaigns()
                .filter(|c| c.campaign.status == CampaignStatus::Active)
                .map(|c| c.campaign.id)
                .collect();
            for id in active {
                if let Some(entry) = model.campaign_mut(&id) {
                    let entry = &mut *entry;
                    entry.hopper.promote(now);
                }
            }
        }
        let plan = {
            let model = self.projections.read();
            self.plan_dials(&model, now)
        };
        let Some(plan) = plan else { return Ok(()) };
        let dialed: Vec<(CallId, LeadId, leadline_domain::PhoneNumber, CampaignId)> =
            plan.dials.clone();
        let checks = plan
            .campaign_versions
            .iter()
            .map(|(id, version)| StreamAppend {
                stream: StreamName::Campaign(*id).to_string(),
                expected: ExpectedVersion::Exact(*version),
                events: Vec::new(),
            })
            .collect();
        if !self.commit_lead_events(&plan.lead_versions, &plan.events, checks, step)? {
            return Ok(());
        }
        self.last_served = plan.last_served;
        for (_, _, _, campaign) in &dialed {
            self.last_dial.insert(*campaign, now);
        }
        step.dialed += dialed.len();
        self.place_calls(&dialed, now);
        Ok(())
    }

    /// Hands the dialed calls to the provider.
    fn place_calls(
        &mut self,
        dialed: &[(CallId, LeadId, leadline_domain::PhoneNumber, CampaignId)],
        now: DateTime<Utc>,
    ) {
        let calls: Vec<OutboundCall> = {
            let model = self.projections.read();
            dialed
                .iter()
                .filter_map(|(call_id, lead_id, _, _)| {
                    outbound_call(&model, *call_id, *lead_id, now)
                })
                .collect()
        };
        for call in calls {
            self.placer.start(call, now);
        }
    }

    /// The dials of this step, or `None` when there is nothing to dial.
    fn plan_dials(&self, model: &ReadModel, now: DateTime<Utc>) -> Option<DialPlan> {
        let system_free = free_slots(
            self.config.system_concurrent_calls,
            model.system_in_flight(),
        );
        if system_free == 0 {
            return None;
        }
        // Each user's eligible leads, best first, at most their free slots.
        let mut demand_leads: BTreeMap<UserId, (u32, Vec<Candidate>)> = BTreeMap::new();
        for user in model.users() {
            let free = free_slots(user.user.concurrent_calls_limit, user.in_flight);
            if free == 0 {
                continue;
            }
            let mut candidates = Vec::new();
            for entry in model.campaigns_of(&user.user.id, Some(CampaignStatus::Active), now) {
                let campaign = &entry.campaign;
                if let (Some(delay), Some(last)) = (
                    campaign.settings.dial_delay_ms,
                    self.last_dial.get(&campaign.id),
                ) {
                    if *last + Duration::milliseconds(i64::from(delay)) > now {
                        continue;
                    }
                }
                // Paced campaigns dial one lead per delay.
                let wanted = if campaign.settings.dial_delay_ms.is_some() {
                    1
                } else {
                    free as usize
                };
                for item in entry.hopper.listing(campaign, now, wanted) {
                    let Some(lead) = model.lead(&item.lead_id) else {
                        continue;
                    };
                    if !eligibility(&lead.lead, campaign, now).is_eligible() {
                        break;
                    }
                    candidates.push(Candidate {
                        order: item.order,
                        lead_id: item.lead_id,
                    });
                }
            }
            if candidates.is_empty() {
                continue;
            }
            candidates.sort();
            candidates.truncate(free as usize);
            demand_leads.insert(user.user.id, (free, candidates));
        }
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
        let slots =
            system_free.min(u32::try_from(self.config.dials_per_step_max).unwrap_or(u32::MAX));
        let allocation = allocate(slots, &demands, self.last_served);
        let mut plan = DialPlan {
            last_served: allocation.last_served,
            ..DialPlan::default()
        };
        let mut seen = HashSet::new();
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
            let owner = model.user(&campaign.campaign.owner);
            plan.campaign_versions
                .insert(campaign.campaign.id, campaign.version);
            plan.lead_versions.insert(dial.lead_id, entry.version);
            // The do-not-call list, checked again right before the dial.
            if owner.is_some_and(|u| u.user.is_dnc(&entry.lead.phone)) {
                if let Ok(events) = lead::decide(
                    &entry.lead,
                    &campaign.campaign,
                    LeadCommand::MarkDnc {
                        reason: "on the do-not-call list at dial time".into(),
                    },
                    now,
                ) {
                    plan.events.extend(events);
                }
                continue;
            }
            let call_id = CallId::from_uuid(uuid::Uuid::now_v7());
            match dial_events(&entry.lead, &campaign.campaign, call_id, now) {
                Some(events) => {
                    plan.events.extend(events);
                    plan.dials.push((
                        call_id,
                        dial.lead_id,
                        entry.lead.phone.clone(),
                        campaign.campaign.id,
                    ));
                }
                None => continue,
            }
        }
        (!plan.events.is_empty()).then_some(plan)
    }

    fn complete_finished(
        &mut self,
        now: DateTime<Utc>,
        step: &mut Step,
    ) -> Result<(), DialerError> {
        let decisions: Vec<(Vec<Event>, CampaignId, u64)> = {
            let model = self.projections.read();
            model
                .campaigns()
                .filter(|c| c.campaign.status == CampaignStatus::Active)
                // Cheap first: nothing in flight and nothing left in the hopper.
                .filter(|c| {
                    c.counters.in_flight == 0 && c.hopper.is_empty() && c.counters.total > 0
                })
                .filter_map(|c| {
                    let leads: Vec<Lead> = c
                        .leads
                        .iter()
                        .filter_map(|id| model.lead(id).map(|e| e.lead.clone()))
                        .collect();
                    plans::complete(&c.campaign, &leads, now)
                        .ok()
                        .map(|events| (events, c.campaign.id, c.version))
                })
                .collect::<Vec<_>>()
        };
        // In campaign order, so that the same inputs give the same log.
        let mut decisions = decisions;
        decisions.sort_by_key(|(_, id, _)| *id);
        for (events, campaign_id, version) in decisions {
            let appends = codec::appends(&events, &self.cause(), |stream| match stream {
                StreamName::Campaign(id) if *id == campaign_id => ExpectedVersion::Exact(version),
                _ => ExpectedVersion::Any,
            })?;
            if self.commit(appends, step)? {
                step.completed += 1;
            }
        }
        Ok(())
    }

    /// The next instant something is due, capped by the idle wake.
    fn next_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let model = self.projections.read();
        let stale_after =
            Duration::milliseconds(i64::try_from(self.config.stale_call_ms).unwrap_or(i64::MAX));
        let mut candidates: Vec<DateTime<Utc>> = Vec::new();
        candidates.extend(self.placer.next_due());
        candidates.extend(
            model
                .in_flight_calls()
                .next()
                .map(|c| c.started_at + stale_after),
        );
        for entry in model
            .campaigns()
            .filter(|c| c.campaign.status == CampaignStatus::Active && !c.hopper.is_empty())
        {
            let campaign = &entry.campaign;
            candidates.extend(entry.hopper.next_ready_after(now));
            if !campaign.calling_window().is_open(now) {
                candidates.extend(campaign.calling_window().next_open(now));
            }
            if let (Some(delay), Some(last)) = (
                campaign.settings.dial_delay_ms,
                self.last_dial.get(&campaign.id),
            ) {
                candidates.push(*last + Duration::milliseconds(i64::from(delay)));
            }
        }
        let idle = now
            + Duration::milliseconds(i64::try_from(self.config.idle_wake_ms).unwrap_or(i64::MAX));
        candidates
            .into_iter()
            .filter(|at| *at > now)
            .min()
            .map(|at| at.min(idle))
            .or(Some(idle))
    }
}

/// A dialed call as the provider needs it: the number and the campaign's
/// provider settings.
fn outbound_call(
    model: &ReadModel,
    call_id: CallId,
    lead_id: LeadId,
    dialed_at: DateTime<Utc>,
) -> Option<OutboundCall> {
    let lead = &model.lead(&lead_id)?.lead;
    let provider = &model
        .campaign(&lead.campaign_id)?
        .campaign
        .settings
        .provider;
    Some(OutboundCall {
        call_id,
        lead_id,
        phone: lead.phone.clone(),
        agent_id: provider.agent_id.clone(),
        caller_id: provider.caller_id.clone(),
        next_action: provider.next_action.clone(),
        extra: provider.extra.clone(),
        dialed_at,
    })
}

/// The events that dial one lead: queue it if it is not queued, then dial.
fn dial_events(
    lead: &Lead,
    campaign: &leadline_domain::campaign::Campaign,
    call_id: CallId,
    now: DateTime<Utc>,
) -> Option<Vec<Event>> {
    let mut events = Vec::new();
    let mut current = lead.clone();
    if current.status != LeadStatus::Queued {
        let queued = lead::decide(&current, campaign, LeadCommand::Queue, now).ok()?;
        for event in &queued {
            current = lead::evolve(Some(current), event)?;
        }
        events.extend(queued);
    }
    events.extend(lead::decide(&current, campaign, LeadCommand::Dial { call_id }, now).ok()?);
    Some(events)
}

/// A lead a user could dial now, in dial order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    order: DialOrder,
    lead_id: LeadId,
}

#[derive(Default)]
struct DialPlan {
    events: Vec<Event>,
    dials: Vec<(CallId, LeadId, leadline_domain::PhoneNumber, CampaignId)>,
    lead_versions: HashMap<LeadId, u64>,
    campaign_versions: HashMap<CampaignId, u64>,
    last_served: Option<UserId>,
}

/// Runs the dialer on its own thread with the real clock until `stop`,
/// placing calls through `placer`.
pub fn spawn(
    log: Arc<dyn EventLog>,
    projections: Arc<Projections>,
    config: DialerConfig,
    placer: Box<dyn CallPlacer>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("leadline-dialer".into())
        .spawn(move || {
            let mut engine = Engine::new(log, projections.clone(), config, placer);
            while !stop.load(Ordering::Relaxed) {
                let now = Utc::now();
                let position = projections.position();
                let step = match engine.step(now) {
                    Ok(step) => step,
                    Err(e) => {
                        eprintln!("dialer: {e}; retrying in a second");
                        std::thread::sleep(StdDuration::from_secs(1));
                        continue;
                    }
                };
                if step.dialed > 0 || step.conflicts > 0 {
                    continue;
                }
                // Wake at once on any new event (a call ended, a resume, an
                // import), else when something is due; check for stop often.
                let until = step.next_wake.unwrap_or(now + Duration::seconds(1));
                let wait = (until - Utc::now())
                    .to_std()
                    .unwrap_or(StdDuration::ZERO)
                    .min(StdDuration::from_millis(250));
                projections.wait_for(position + 1, wait);
            }
        })
}
