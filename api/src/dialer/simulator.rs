//! The simulated provider: deterministic outcomes by the number's last
//! digit (like the test numbers real providers publish), each reported a
//! fixed time after the dial. Pending outcomes live here, keyed by virtual
//! or real time alike, so a test can run days of calls in milliseconds.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Duration, Utc};
use leadline_domain::{CallId, CallOutcome, LeadId, PhoneNumber};

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
}

/// Calls ringing on the simulator.
pub struct Simulator {
    call_length: Duration,
    pending: BinaryHeap<Reverse<Due>>,
}

impl Simulator {
    pub fn new(call_ms: u64) -> Self {
        Simulator {
            call_length: Duration::milliseconds(i64::try_from(call_ms).unwrap_or(i64::MAX)),
            pending: BinaryHeap::new(),
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
        self.pending.push(Reverse(Due {
            at: dialed_at + self.call_length,
            call_id,
            lead_id,
            outcome: outcome_for(phone),
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

    /// Puts results back (their append must be retried).
    pub fn put_back(&mut self, due: Vec<Due>) {
        self.pending.extend(due.into_iter().map(Reverse));
    }

    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.pending.peek().map(|Reverse(d)| d.at)
    }

    pub fn ringing(&self) -> usize {
        self.pending.len()
    }
}
