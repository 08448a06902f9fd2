//! The simulated provider: deterministic outcomes by the number's last
//! digit (like the test numbers real providers publish), each reported a
//! fixed time after the dial. Pending outcomes live here, keyed by virtual
//! or real time alike, so a test can run days of calls in milliseconds.
//!
//! A forecast uses it with outcomes drawn instead ([`Simulator::drawn`]):
//! at given rates, each outcome with its own length, from a seeded
//! generator, so the same seed gives the same calls.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use chrono::{DateTime, Duration, Utc};
use leadline_domain::{CallId, CallOutcome, LeadId, PhoneNumber};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::placer::{CallPlacer, OutboundCall, ProviderEvent};

/// The outcome the simulator gives a number (API.md's table).
pub fn outcome_for(phone: &PhoneNumber) -> CallOutcome {
    match phone.last_digit() {
        1 => CallOutcome::NoAnswer,
        2 => CallOutcome::Busy,
        3 => CallOutcome::Failed,
        4 => CallOutcome::Dropped,
        5 => CallOutcome::Congestion,
        _ => CallOutcome::Answered,
    }
}

/// A simulated call's result, due at a time.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Due {
    pub at: DateTime<Utc>,
    pub call_id: CallId,
    pub lead_id: LeadId,
    pub outcome: CallOutcome,
    pub dialed_at: DateTime<Utc>,
}

/// Outcomes at rates, each with its own length.
#[derive(Clone, Debug, PartialEq)]
pub struct CallMix {
    /// Each outcome's share of calls, summing to 1; an outcome left out
    /// never happens.
    pub rates: BTreeMap<CallOutcome, f64>,
    /// Each outcome's length, dial to result, in milliseconds.
    pub lengths_ms: BTreeMap<CallOutcome, u64>,
}

impl CallMix {
    /// The outcome a draw in `[0, 1)` falls on, in the outcomes' order.
    fn outcome(&self, draw: f64) -> CallOutcome {
        let mut below = 0.0;
        let mut last = CallOutcome::Answered;
        for (outcome, rate) in &self.rates {
            below += rate;
            last = *outcome;
            if draw < below {
                return *outcome;
            }
        }
        // Rounding left the sum a hair under 1.
        last
    }

    fn length(&self, outcome: CallOutcome) -> Duration {
        let ms = self.lengths_ms.get(&outcome).copied().unwrap_or(0);
        Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX))
    }
}

/// How the simulator decides a call's outcome and length.
enum Outcomes {
    /// By the number's last digit, every call the same length.
    ByLastDigit(Duration),
    /// Drawn from a mix by a seeded generator.
    Drawn { mix: CallMix, rng: Box<StdRng> },
}

/// Calls ringing on the simulator.
pub struct Simulator {
    outcomes: Outcomes,
    pending: BinaryHeap<Reverse<Due>>,
    /// Acceptances not yet polled (the simulator accepts every call).
    accepted: Vec<ProviderEvent>,
}

impl Simulator {
    pub fn new(call_ms: u64) -> Self {
        Self::with(Outcomes::ByLastDigit(Duration::milliseconds(
            i64::try_from(call_ms).unwrap_or(i64::MAX),
        )))
    }

    /// A simulator whose outcomes are drawn from `mix`, in the order calls
    /// are placed, by a generator seeded with `seed`.
    pub fn drawn(mix: CallMix, seed: u64) -> Self {
        Self::with(Outcomes::Drawn {
            mix,
            rng: Box::new(StdRng::seed_from_u64(seed)),
        })
    }

    fn with(outcomes: Outcomes) -> Self {
        Simulator {
            outcomes,
            pending: BinaryHeap::new(),
            accepted: Vec::new(),
        }
    }

    /// The simulator's id for a call.
    pub fn provider_call_id(call_id: &CallId) -> String {
        format!("sim-{call_id}")
    }

    /// Takes a call dialed at `dialed_at`; its result is due a call length later.
    pub fn place(
        &mut self,
        call_id: CallId,
        lead_id: LeadId,
        phone: &PhoneNumber,
        dialed_at: DateTime<Utc>,
    ) {
        let (outcome, length) = match &mut self.outcomes {
            Outcomes::ByLastDigit(length) => (outcome_for(phone), *length),
            Outcomes::Drawn { mix, rng } => {
                let outcome = mix.outcome(rng.gen::<f64>());
                (outcome, mix.length(outcome))
            }
        };
        self.pending.push(Reverse(Due {
            at: dialed_at + length,
            call_id,
            lead_id,
            outcome,
            dialed_at,
        }));
    }

    /// Every result due by `now`, oldest first.
    pub fn take_due(&mut self, now: DateTime<Utc>) -> Vec<Due> {
        let mut due = Vec::new();
        while self.pending.peek().is_some_and(|Reverse(d)| d.at <= now) {
            if let Some(Reverse(d)) = self.pending.pop() {
                due.push(d);
            }
        }
        due
    }

    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.pending.peek().map(|Reverse(d)| d.at)
    }
}

impl CallPlacer for Simulator {
    fn start(&mut self, call: OutboundCall, now: DateTime<Utc>) {
        self.accepted.push(ProviderEvent::Placed {
            call_id: call.call_id,
            lead_id: call.lead_id,
            provider_call_id: Self::provider_call_id(&call.call_id),
        });
        self.place(call.call_id, call.lead_id, &call.phone, now);
    }

    fn poll(&mut self, now: DateTime<Utc>) -> Vec<ProviderEvent> {
        let mut events = std::mem::take(&mut self.accepted);
        events.extend(
            self.take_due(now)
                .into_iter()
                .map(|due| ProviderEvent::Ended {
                    call_id: due.call_id,
                    lead_id: due.lead_id,
                    outcome: due.outcome,
                    provider_status: due.outcome.to_string(),
                    provider_call_id: Some(Self::provider_call_id(&due.call_id)),
                    duration_secs: Some(
                        u32::try_from((due.at - due.dialed_at).num_seconds()).unwrap_or(u32::MAX),
                    ),
                    error: (due.outcome == CallOutcome::Failed)
                        .then(|| "simulated provider error".to_string()),
                    at: due.at,
                }),
        );
        events
    }

    fn put_back(&mut self, events: Vec<ProviderEvent>) {
        for event in events {
            match event {
                ProviderEvent::Ended {
                    call_id,
                    lead_id,
                    outcome,
                    at,
                    duration_secs,
                    ..
                } => {
                    let length = Duration::seconds(i64::from(duration_secs.unwrap_or(0)));
                    self.pending.push(Reverse(Due {
                        at,
                        call_id,
                        lead_id,
                        outcome,
                        dialed_at: at - length,
                    }));
                }
                other => self.accepted.push(other),
            }
        }
    }

    fn next_due(&self) -> Option<DateTime<Utc>> {
        Simulator::next_due(self)
    }

    fn resume(&mut self, call: OutboundCall) {
        self.place(call.call_id, call.lead_id, &call.phone, call.dialed_at);
    }
}
