//! A campaign's counters, kept up to date event by event.
//!
//! Every counter is a sum over the campaign's leads of what each lead
//! contributes in its current state ([`Contribution`]), except `dials`,
//! which counts `LeadDialed` events. Folding an event subtracts the lead's
//! contribution before and adds the one after, so the counters always equal
//! a recount from the leads, and a rebuild gives the same numbers.
//!
//! # The counters
//!
//! A lead's *effective status* is its status, except for a `queued` lead,
//! whose effective status is the one it was queued from.
//!
//! A lead with a call in flight counts in `in_flight` only, whatever its
//! status (a lead marked do-not-call while its call rings keeps the call
//! until it ends: providers cannot stop it). Every other lead counts by its
//! status:
//!
//! | counter | leads counted |
//! |---|---|
//! | `total` | every lead of the campaign, skipped ones included |
//! | `in_flight` | a call is in flight (dialed, no result yet) |
//! | `pending` | effective status `new`: never dialed in this round |
//! | `called` | effective status `answered`, `no_answer`, `busy`, `failed`, `dropped`, `congestion`, `sale`, `not_interested` or `callback`: the last call ended |
//! | `answered` | effective status `answered`, `sale`, `not_interested` or `callback`: the last call was answered |
//! | `failed` | effective status `failed`: the last call failed (provider error, or reclaimed as stale) |
//! | `cancelled` | status `cancelled` |
//! | `skipped` | status `skipped`: duplicate or do-not-call at import |
//! | `dnc` | status `dnc`: marked do-not-call after import |
//! | `dials` | `LeadDialed` events: every call attempt ever made |
//!
//! `pending + in_flight + called + cancelled + skipped + dnc = total`, and
//! `by_status` (by actual status, so `queued` shows as such) sums to
//! `total`. The progress text is `"{called}/{total} ({failed} failed)"`.
//!
//! The breakdown counts leads by (status, category) with the categories of
//! `leadline_domain::status::LeadCategory`: a retried outcome whose round
//! has no attempts left counts as final, not recyclable.

use std::collections::BTreeMap;

use leadline_domain::campaign::Campaign;
use leadline_domain::lead::Lead;
use leadline_domain::{LeadCategory, LeadStatus};
use serde::Serialize;

const STATUSES: usize = LeadStatus::ALL.len();
const CATEGORIES: [LeadCategory; 4] = [
    LeadCategory::Pending,
    LeadCategory::InProgress,
    LeadCategory::Recyclable,
    LeadCategory::Final,
];

/// What one lead adds to its campaign's counters.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Contribution {
    status: LeadStatus,
    category: LeadCategory,
    effective: LeadStatus,
    in_flight: bool,
}

impl Contribution {
    pub fn of(lead: &Lead, campaign: &Campaign) -> Self {
        Contribution {
            status: lead.status,
            category: lead.category(campaign),
            effective: lead.effective_status(),
            in_flight: lead.in_flight.is_some(),
        }
    }
}

fn is_called(status: LeadStatus) -> bool {
    matches!(
        status,
        LeadStatus::Answered
            | LeadStatus::NoAnswer
            | LeadStatus::Busy
            | LeadStatus::Failed
            | LeadStatus::Dropped
            | LeadStatus::Congestion
            | LeadStatus::Voicemail
            | LeadStatus::Sale
            | LeadStatus::NotInterested
            | LeadStatus::Callback
    )
}

fn is_answered(status: LeadStatus) -> bool {
    matches!(
        status,
        LeadStatus::Answered | LeadStatus::Sale | LeadStatus::NotInterested | LeadStatus::Callback
    )
}

fn category_index(category: LeadCategory) -> usize {
    match category {
        LeadCategory::Pending => 0,
        LeadCategory::InProgress => 1,
        LeadCategory::Recyclable => 2,
        LeadCategory::Final => 3,
    }
}

/// A campaign's counters. See the module docs for what each counts.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct Counters {
    pub total: u64,
    pub pending: u64,
    pub in_flight: u64,
    pub called: u64,
    pub answered: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub skipped: u64,
    pub dnc: u64,
    pub dials: u64,
    /// Leads by (status, category).
    breakdown: [[u64; 4]; STATUSES],
}

impl Counters {
    /// Moves one lead from its contribution `before` to `after` (`None`:
    /// not a lead of the campaign).
    pub fn shift(&mut self, before: Option<Contribution>, after: Option<Contribution>) {
        if before == after {
            return;
        }
        if let Some(c) = before {
            self.count(c, false);
        }
        if let Some(c) = after {
            self.count(c, true);
        }
    }

    fn count(&mut self, c: Contribution, add: bool) {
        let bump = |counter: &mut u64, applies: bool| {
            if applies {
                *counter = if add {
                    *counter + 1
                } else {
                    // A lead is only ever removed with the contribution it
                    // was added with; saturate rather than wrap if not.
                    counter.saturating_sub(1)
                };
            }
        };
        bump(&mut self.total, true);
        bump(&mut self.in_flight, c.in_flight);
        let settled = !c.in_flight;
        bump(&mut self.pending, settled && c.effective == LeadStatus::New);
        bump(&mut self.called, settled && is_called(c.effective));
        bump(&mut self.answered, settled && is_answered(c.effective));
        bump(
            &mut self.failed,
            settled && c.effective == LeadStatus::Failed,
        );
        bump(
            &mut self.cancelled,
            settled && c.status == LeadStatus::Cancelled,
        );
        bump(
            &mut self.skipped,
            settled && c.status == LeadStatus::Skipped,
        );
        bump(&mut self.dnc, settled && c.status == LeadStatus::Dnc);
        let cell = &mut self.breakdown[c.status as usize][category_index(c.category)];
        bump(cell, true);
    }

    /// Leads by status, every status listed (zeros included), summing to
    /// `total`.
    pub fn by_status(&self) -> BTreeMap<LeadStatus, u64> {
        LeadStatus::ALL
            .iter()
            .map(|s| (*s, self.breakdown[*s as usize].iter().sum()))
            .collect()
    }

    /// Leads by status and category, non-zero cells only.
    pub fn breakdown(&self) -> Vec<BreakdownRow> {
        let mut rows = Vec::new();
        for status in LeadStatus::ALL {
            for category in CATEGORIES {
                let count = self.breakdown[status as usize][category_index(category)];
                if count > 0 {
                    rows.push(BreakdownRow {
                        status,
                        category,
                        count,
                    });
                }
            }
        }
        rows
    }

    /// `"45/100 (5 failed)"`.
    pub fn progress(&self) -> String {
        format!("{}/{} ({} failed)", self.called, self.total, self.failed)
    }
}

/// One cell of the status breakdown.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct BreakdownRow {
    pub status: LeadStatus,
    pub category: LeadCategory,
    pub count: u64,
}
