//! The engine loop: one [`Engine::step`] reads the read models, asks the
//! domain, commits through the one write path, and places calls.

use leadline_projections::hash::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use leadline_domain::dialing::{record_signal, ProviderSignal};
use leadline_domain::lead::{self, CallReport, Lead, LeadCommand, ReportedCallState};
use leadline_domain::{plans, CampaignId, CampaignStatus, Event, LeadId, UserId};
use leadline_projections::ReadModel;

use super::ledger::Ledger;
use super::placer::{CallPlacer, ProviderEvent};
use super::plan::{outbound_call, plan_dials, DialPlan, PlanInput};
use super::simulator::Simulator;
use super::{DialerConfig, DialerError, Step};
use crate::write::{CommandRunner, Decision, Done, RunError};

/// The dialer's state between steps, over the live system's write path
/// (the default) or any other [`Ledger`].
pub struct Engine<L: Ledger = Arc<CommandRunner>> {
    ledger: L,
    config: DialerConfig,
    placer: Box<dyn CallPlacer>,
    last_served: Option<UserId>,
    last_dial: HashMap<CampaignId, DateTime<Utc>>,
}

impl Engine<Arc<CommandRunner>> {
    /// A dialer on the simulator.
    pub fn simulated(commands: Arc<CommandRunner>, config: DialerConfig) -> Self {
        let placer = Box::new(Simulator::new(config.sim_call_ms));
        Self::new(commands, config, placer)
    }
}

impl<L: Ledger> Engine<L> {
    /// A dialer that reads and writes through `ledger`, placing calls
    /// through `placer`. Calls in flight when it starts (before a restart)
    /// are awaited, not placed again: the provider reports them, or they
    /// are reclaimed when stale.
    pub fn new(ledger: L, config: DialerConfig, mut placer: Box<dyn CallPlacer>) -> Self {
        {
            let model = ledger.model();
            for call in model.in_flight_calls() {
                if let Some(outbound) =
                    outbound_call(&model, call.id, call.lead_id, call.started_at)
                {
                    placer.resume(outbound);
                }
            }
        }
        Engine {
            ledger,
            config,
            placer,
            last_served: None,
            last_dial: HashMap::default(),
        }
    }

    /// What it reads and writes through.
    pub fn ledger(&self) -> &L {
        &self.ledger
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

    /// Runs one decision on the write path. A round that other processes
    /// kept beating is counted, not an error: the next step decides again.
    fn commit<T>(
        &self,
        step: &mut Step,
        decide: impl FnMut(&ReadModel) -> Result<Decision<T>, Infallible>,
    ) -> Result<Option<Done<T>>, DialerError> {
        match self.ledger.commit(decide) {
            Ok(done) => Ok(Some(done)),
            Err(RunError::Contended) => {
                step.conflicts += 1;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Records what the provider said: acceptances, refusals and ends.
    fn record_provider_events(
        &mut self,
        now: DateTime<Utc>,
        step: &mut Step,
    ) -> Result<(), DialerError> {
        let polled = self.placer.poll(now);
        if polled.is_empty() {
            return Ok(());
        }
        let committed = self.commit(step, |model| {
            let events = signal_events(model, &polled, now);
            let ended = events
                .iter()
                .filter(|e| e.as_call_ended().is_some())
                .count();
            Ok(Decision::new(events, ended))
        });
        match committed {
            Ok(Some(done)) => {
                step.reported += done.value;
                Ok(())
            }
            Ok(None) => {
                self.placer.put_back(polled);
                Ok(())
            }
            Err(e) => {
                self.placer.put_back(polled);
                Err(e)
            }
        }
    }

    fn reclaim_stale(&mut self, now: DateTime<Utc>, step: &mut Step) -> Result<(), DialerError> {
        let stale_after =
            Duration::milliseconds(i64::try_from(self.config.stale_call_ms).unwrap_or(i64::MAX));
        let done = self.commit(step, |model| {
            let mut events = Vec::new();
            for call in model.in_flight_calls() {
                if call.started_at + stale_after > now {
                    break;
                }
                let Some((lead, campaign)) = lead_and_campaign(model, &call.lead_id) else {
                    continue;
                };
                let command = LeadCommand::Reclaim {
                    call_id: call.id,
                    stale_after,
                    reason: "stale".into(),
                };
                if let Ok(new) = lead::decide(lead, campaign, command, now) {
                    events.extend(new);
                }
            }
            Ok(Decision::new(events, ()))
        })?;
        if let Some(done) = done {
            step.reclaimed += done.appended;
        }
        Ok(())
    }

    fn dial(&mut self, now: DateTime<Utc>, step: &mut Step) -> Result<(), DialerError> {
        let input = PlanInput {
            system_concurrent_calls: self.config.system_concurrent_calls,
            dials_per_step_max: self.config.dials_per_step_max,
            last_served: self.last_served,
            last_dial: &self.last_dial,
        };
        let done = self.commit(step, |model| {
            Ok(match plan_dials(model, &input, now) {
                Some(mut plan) => Decision {
                    events: std::mem::take(&mut plan.events),
                    checks: plan.checks.clone(),
                    value: Some(plan),
                },
                None => Decision::new(Vec::new(), None),
            })
        })?;
        let Some(Done {
            value: Some(plan), ..
        }) = done
        else {
            return Ok(());
        };
        self.last_served = plan.last_served;
        for (_, _, campaign) in &plan.dials {
            self.last_dial.insert(*campaign, now);
        }
        step.dialed += plan.dials.len();
        self.place_calls(&plan, now);
        Ok(())
    }

    /// Hands the dialed calls to the provider, now that they are durable.
    fn place_calls(&mut self, plan: &DialPlan, now: DateTime<Utc>) {
        let calls: Vec<_> = {
            let model = self.ledger.model();
            plan.dials
                .iter()
                .filter_map(|(call_id, lead_id, _)| outbound_call(&model, *call_id, *lead_id, now))
                .collect()
        };
        for call in calls {
            self.placer.start(call, now);
        }
    }

    /// Completes active campaigns with nothing left to call, in campaign
    /// order so that the same inputs give the same log.
    fn complete_finished(
        &mut self,
        now: DateTime<Utc>,
        step: &mut Step,
    ) -> Result<(), DialerError> {
        let mut candidates: Vec<CampaignId> = {
            let model = self.ledger.model();
            model
                .campaigns()
                .filter(|c| finished_cheaply(c))
                .map(|c| c.campaign.id)
                .collect()
        };
        candidates.sort();
        for campaign_id in candidates {
            let done = self.commit(step, |model| {
                let events = model
                    .campaign(&campaign_id)
                    .filter(|c| finished_cheaply(c))
                    .and_then(|c| {
                        let leads: Vec<Lead> = c
                            .leads
                            .iter()
                            .filter_map(|id| model.lead(id).map(|e| e.lead.clone()))
                            .collect();
                        plans::complete(&c.campaign, &leads, now).ok()
                    })
                    .unwrap_or_default();
                Ok(Decision::new(events, ()))
            })?;
            if done.is_some_and(|d| d.appended > 0) {
                step.completed += 1;
            }
        }
        Ok(())
    }

    /// The next instant something is due, capped by the idle wake.
    fn next_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let model = self.ledger.model();
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
            candidates.extend(entry.hopper.next_dialable_after(now));
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

/// Active, nothing in flight, nothing in the hopper: worth asking the
/// domain whether it is complete.
fn finished_cheaply(c: &leadline_projections::CampaignEntry) -> bool {
    c.campaign.status == CampaignStatus::Active
        && c.counters.in_flight == 0
        && c.hopper.is_empty()
        && c.counters.total > 0
}

fn lead_and_campaign<'m>(
    model: &'m ReadModel,
    lead_id: &LeadId,
) -> Option<(&'m Lead, &'m leadline_domain::campaign::Campaign)> {
    let lead = &model.lead(lead_id)?.lead;
    let campaign = &model.campaign(&lead.campaign_id)?.campaign;
    Some((lead, campaign))
}

/// The events for what providers said, in order. A lead that hears twice
/// in one batch is decided on the state its first event left.
fn signal_events(model: &ReadModel, polled: &[ProviderEvent], now: DateTime<Utc>) -> Vec<Event> {
    let mut events = Vec::new();
    let mut current: HashMap<LeadId, Lead> = HashMap::default();
    for provider_event in polled {
        let (call_id, lead_id, signal, at) = signal_of(provider_event.clone(), now);
        let Some((lead, campaign)) = lead_and_campaign(model, &lead_id) else {
            continue;
        };
        let lead = current.entry(lead_id).or_insert_with(|| lead.clone());
        // A word the domain refuses (a call this lead never had) records
        // nothing; a repeated end records nothing by the domain's rule.
        if let Ok(new) = record_signal(lead, campaign, call_id, signal, at) {
            for event in &new {
                lead::evolve_in_place(lead, event);
            }
            events.extend(new);
        }
    }
    events
}

/// A provider event as the domain's signal, at the time it happened (never
/// later than `now`).
fn signal_of(
    event: ProviderEvent,
    now: DateTime<Utc>,
) -> (
    leadline_domain::CallId,
    LeadId,
    ProviderSignal,
    DateTime<Utc>,
) {
    match event {
        ProviderEvent::Placed {
            call_id,
            lead_id,
            provider_call_id,
        } => (
            call_id,
            lead_id,
            ProviderSignal::Placed { provider_call_id },
            now,
        ),
        ProviderEvent::Refused {
            call_id,
            lead_id,
            error,
        } => (call_id, lead_id, ProviderSignal::Refused { error }, now),
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
            call_id,
            lead_id,
            ProviderSignal::Report(CallReport {
                state: ReportedCallState::Ended(outcome),
                provider_status,
                duration_secs,
                error,
                provider_call_id,
            }),
            at.min(now),
        ),
    }
}
