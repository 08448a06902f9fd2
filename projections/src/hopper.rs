//! The hopper: a campaign's dialable leads, in dial order.
//!
//! Each lead that can still be dialed is indexed by the instant it is
//! *ready* (`leadline_domain::ready_at`: status, retry delay, callback
//! time, start date, daily cap, debt-collection limits — and, over its
//! numbers, the earliest instant one of them is free of its caps; not
//! windows, not the campaign's status) and by its *local key*: the local
//! windows of each of its numbers (the campaign's local hours, its
//! jurisdiction's hours, its owner's holidays, each in the lead's zones),
//! shared by every lead with the same windows.
//! Leads whose ready instant has come sit in a per-key set ordered by
//! `DialOrder` (dropped retries, priority, named, FIFO); the others wait in
//! a set ordered by ready instant and move over as the fold reaches their
//! instant ([`Hopper::promote`], with each event's own time), so the
//! hopper is a fold of the log like every other read model.
//!
//! "The next N eligible now" ([`Hopper::next_eligible`], a pure view that
//! changes nothing) is then: nothing if the campaign is not
//! active or its window is closed; otherwise a merge, in dial order, of the
//! ready sets of the keys that are open (one of the numbers' windows all
//! open) — O(k log n) for k keys, not a scan — plus the few leads that
//! became ready since the last event folded. For a lead with one number
//! this is exactly `leadline_domain::eligibility` (checked by a property
//! test); a lead with several numbers may be listed when one number is
//! free of caps and another is inside its hours, so the dialer asks the
//! domain about each lead it takes.

use std::collections::BTreeSet;

use crate::hash::HashMap;

use chrono::{DateTime, Utc};
use leadline_domain::campaign::Campaign;
use leadline_domain::eligibility::number_rules;
use leadline_domain::lead::{DialOrder, Lead};
use leadline_domain::policy::Owner;
use leadline_domain::status::CampaignStatus;
use leadline_domain::time::LocalWindow;
use leadline_domain::LeadId;

/// The local windows of each number of a lead; empty when one of its
/// numbers has none (always open).
pub type LocalKey = Vec<Vec<LocalWindow>>;

/// A lead's place in the hopper, before its local key is interned.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Placement {
    pub order: DialOrder,
    /// When it is ready; `None`: ready at any time.
    pub ready_at: Option<DateTime<Utc>>,
    pub local: LocalKey,
}

impl Placement {
    /// The lead's placement, or `None` when waiting will never make it
    /// dialable (final, in flight, attempts used up, every number on the
    /// do-not-call list …).
    pub fn of(lead: &Lead, campaign: &Campaign, owner: &Owner<'_>) -> Option<Placement> {
        let ready_at = leadline_domain::ready_at(lead, campaign).ok()?;
        let numbers = number_rules(lead, campaign, owner);
        // The lead is ready when one of its numbers is free of its caps.
        let free_at = numbers.iter().map(|n| n.free_at).min()?;
        let ready_at = ready_at.max(free_at);
        let local = if numbers.iter().any(|n| n.windows.is_empty()) {
            Vec::new()
        } else {
            numbers.into_iter().map(|n| n.windows).collect()
        };
        Some(Placement {
            order: lead.dial_order(),
            ready_at,
            local,
        })
    }
}

/// Where one lead sits in the hopper.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Entry {
    pub order: DialOrder,
    /// When it is ready; `None`: ready at any time.
    pub ready_at: Option<DateTime<Utc>>,
    /// Its interned local key; `None`: always open.
    pub local: Option<u32>,
}

/// One lead as the hopper lists it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct HopperLead {
    pub lead_id: LeadId,
    pub order: DialOrder,
    /// When it can be dialed as far as the lead itself goes (`None`: now).
    pub ready_at: Option<DateTime<Utc>>,
}

/// A campaign's hopper.
#[derive(Clone, Default, Debug)]
pub struct Hopper {
    entries: HashMap<LeadId, Entry>,
    /// The local keys in use, interned: leads share a handful of them.
    keys: Vec<LocalKey>,
    key_ids: HashMap<LocalKey, u32>,
    /// Leads ready by `promoted_to`, per local key, in dial order.
    ready: HashMap<Option<u32>, BTreeSet<(DialOrder, LeadId)>>,
    /// Leads ready only after `promoted_to`, by ready instant.
    waiting: BTreeSet<(DateTime<Utc>, LeadId)>,
    promoted_to: Option<DateTime<Utc>>,
}

/// Two hoppers are equal when they hold the same leads with the same
/// entries and local windows; how far each was promoted, and in which
/// order keys were interned, does not matter.
impl PartialEq for Hopper {
    fn eq(&self, other: &Self) -> bool {
        self.entries.len() == other.entries.len()
            && self.entries.iter().all(|(id, entry)| {
                other.entries.get(id).is_some_and(|theirs| {
                    entry.order == theirs.order
                        && entry.ready_at == theirs.ready_at
                        && self.key(entry.local) == other.key(theirs.local)
                })
            })
    }
}

impl Hopper {
    /// Leads in the hopper.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entry(&self, lead_id: &LeadId) -> Option<&Entry> {
        self.entries.get(lead_id)
    }

    /// The local windows of an interned key.
    pub fn key(&self, id: Option<u32>) -> Option<&LocalKey> {
        id.and_then(|id| self.keys.get(id as usize))
    }

    /// Places (or, with `None`, removes) a lead.
    pub fn place(&mut self, lead_id: LeadId, placement: Option<Placement>) {
        let current = self.entries.get(&lead_id).and_then(|entry| entry.local);
        let entry = placement.map(|placement| {
            // Most events leave a lead's windows as they were: its key is
            // reused without hashing it again.
            let unchanged = self.key(current) == Some(&placement.local);
            let local = if placement.local.is_empty() {
                None
            } else if unchanged {
                current
            } else {
                Some(self.intern(placement.local))
            };
            Entry {
                order: placement.order,
                ready_at: placement.ready_at,
                local,
            }
        });
        self.set(lead_id, entry);
    }

    fn intern(&mut self, key: LocalKey) -> u32 {
        if let Some(id) = self.key_ids.get(&key) {
            return *id;
        }
        let id = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.keys.push(key.clone());
        self.key_ids.insert(key, id);
        id
    }

    /// Sets (or, with `None`, removes) a lead's entry.
    fn set(&mut self, lead_id: LeadId, entry: Option<Entry>) {
        let old = match entry {
            Some(entry) => self.entries.insert(lead_id, entry),
            None => self.entries.remove(&lead_id),
        };
        if old == entry {
            return;
        }
        if let Some(old) = old {
            self.unindex(lead_id, &old);
        }
        if let Some(new) = entry {
            self.index(lead_id, &new);
        }
    }

    fn is_ready(&self, entry: &Entry) -> bool {
        match (entry.ready_at, self.promoted_to) {
            (None, _) => true,
            (Some(at), Some(promoted)) => at <= promoted,
            (Some(_), None) => false,
        }
    }

    fn index(&mut self, lead_id: LeadId, entry: &Entry) {
        if self.is_ready(entry) {
            self.ready
                .entry(entry.local)
                .or_default()
                .insert((entry.order, lead_id));
        } else if let Some(at) = entry.ready_at {
            self.waiting.insert((at, lead_id));
        }
    }

    fn unindex(&mut self, lead_id: LeadId, entry: &Entry) {
        if let Some(set) = self.ready.get_mut(&entry.local) {
            if set.remove(&(entry.order, lead_id)) {
                if set.is_empty() {
                    self.ready.remove(&entry.local);
                }
                return;
            }
        }
        if let Some(at) = entry.ready_at {
            self.waiting.remove(&(at, lead_id));
        }
    }

    /// Moves every lead ready by `at` into the ready sets. Amortised
    /// O(log n) per lead that becomes ready. Called by the fold with each
    /// event's own time, so how far a hopper is promoted is itself a fold
    /// of the log; reads at a later `now` find the few leads that became
    /// ready since in the waiting set.
    pub(crate) fn promote(&mut self, at: DateTime<Utc>) {
        if self.promoted_to.is_some_and(|p| p >= at) {
            return;
        }
        self.promoted_to = Some(at);
        while let Some(&(ready, lead_id)) = self.waiting.first() {
            if ready > at {
                break;
            }
            self.waiting.pop_first();
            if let Some(entry) = self.entries.get(&lead_id).copied() {
                self.ready
                    .entry(entry.local)
                    .or_default()
                    .insert((entry.order, lead_id));
            }
        }
    }

    /// Whether a lead is ready at `now` (for a `now` before the hopper's
    /// promotion, which an as-of read may ask about).
    fn due(&self, lead_id: &LeadId, now: DateTime<Utc>) -> bool {
        self.entries
            .get(lead_id)
            .is_some_and(|e| e.ready_at.is_none_or(|at| at <= now))
    }

    /// The next `n` leads eligible at `now`, in dial order: a pure view of
    /// the hopper at that instant, which changes nothing.
    pub fn next_eligible(
        &self,
        campaign: &Campaign,
        now: DateTime<Utc>,
        n: usize,
    ) -> Vec<HopperLead> {
        if n == 0 || !campaign_open(campaign, now) {
            return Vec::new();
        }
        let sets: Vec<&BTreeSet<(DialOrder, LeadId)>> = self
            .ready
            .iter()
            .filter(|(key, _)| self.local_open(**key, now))
            .map(|(_, set)| set)
            .collect();
        let mut eligible = merge(&sets, n, |id| self.due(id, now));
        // Leads whose ready instant came after the last promotion: all of
        // them, since any may come first in dial order.
        let mut late: Vec<(DialOrder, LeadId)> = self
            .waiting
            .range(..=(now, LeadId::from_u128(u128::MAX)))
            .filter_map(|(_, id)| self.entries.get(id).map(|e| (e, *id)))
            .filter(|(e, _)| self.local_open(e.local, now))
            .map(|(e, id)| (e.order, id))
            .collect();
        if !late.is_empty() {
            eligible.append(&mut late);
            eligible.sort();
            eligible.truncate(n);
        }
        eligible
            .into_iter()
            .map(|(order, lead_id)| HopperLead {
                lead_id,
                order,
                ready_at: self.entries.get(&lead_id).and_then(|e| e.ready_at),
            })
            .collect()
    }

    /// Up to `n` leads for a listing, without changing the hopper: the
    /// leads eligible at `now` in dial order; then those ready but held by
    /// a window (the campaign's, or their numbers' hours), in dial order;
    /// then those not ready yet, by the instant they are.
    pub fn listing(&self, campaign: &Campaign, now: DateTime<Utc>, n: usize) -> Vec<HopperLead> {
        let mut out = self.next_eligible(campaign, now, n);
        let mut listed: std::collections::HashSet<LeadId> = out.iter().map(|l| l.lead_id).collect();
        let sets: Vec<&BTreeSet<(DialOrder, LeadId)>> = self.ready.values().collect();
        let held = merge(&sets, n.saturating_sub(out.len()), |id| {
            !listed.contains(id) && self.due(id, now)
        });
        let waiting = self.waiting.iter().map(|(_, id)| *id);
        for lead_id in held.into_iter().map(|(_, id)| id).chain(waiting) {
            if out.len() >= n {
                break;
            }
            if !listed.insert(lead_id) {
                continue;
            }
            if let Some(e) = self.entries.get(&lead_id) {
                out.push(HopperLead {
                    lead_id,
                    order: e.order,
                    ready_at: e.ready_at,
                });
            }
        }
        out
    }

    /// The earliest instant after `now` at which a lead of the hopper is
    /// both ready and inside its numbers' windows (the campaign's own
    /// window aside), for the dialer's timer: a lead that becomes ready at
    /// night waits for the morning, and the dialer with it.
    pub fn next_dialable_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Ready leads outside their windows: when the windows open.
        let mut best = self
            .ready
            .iter()
            .filter(|(key, set)| !set.is_empty() && !self.local_open(**key, now))
            .filter_map(|(key, _)| self.opening(*key, now))
            .filter(|at| *at > now)
            .min();
        // Waiting leads in ready order, until one is ready after the best
        // instant found. A key's opening found for one lead holds for the
        // next ones until it passes: leads of one jurisdiction that become
        // ready overnight are looked up once.
        let mut openings: Vec<(Option<u32>, DateTime<Utc>)> = Vec::new();
        for (ready, lead_id) in &self.waiting {
            if best.is_some_and(|best| *ready >= best) {
                break;
            }
            let Some(entry) = self.entries.get(lead_id) else {
                continue;
            };
            let from = (*ready).max(now);
            let known = openings
                .iter()
                .find(|(key, at)| *key == entry.local && *at >= from)
                .map(|(_, at)| *at);
            let at = match known {
                Some(at) => at,
                None => {
                    let Some(at) = self.opening(entry.local, from) else {
                        continue;
                    };
                    openings.retain(|(key, _)| *key != entry.local);
                    openings.push((entry.local, at));
                    at
                }
            };
            if at > now {
                best = Some(best.map_or(at, |best: DateTime<Utc>| best.min(at)));
            }
        }
        best
    }

    /// The first instant at or after `from` at which the windows of a
    /// local key are open: all the windows of one of its numbers.
    fn opening(&self, key: Option<u32>, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.key(key) {
            None => Some(from),
            Some(numbers) => numbers
                .iter()
                .filter_map(|windows| leadline_domain::time::first_opening_of_all(windows, from))
                .min(),
        }
    }

    /// Whether the windows of a local key are open at `now`: all the
    /// windows of one of its numbers.
    fn local_open(&self, key: Option<u32>, now: DateTime<Utc>) -> bool {
        match self.key(key) {
            None => true,
            Some(numbers) => numbers
                .iter()
                .any(|windows| windows.iter().all(|window| window.is_open(now))),
        }
    }

    /// Every lead in the hopper with its entry (for checks and exports).
    pub fn entries(&self) -> impl Iterator<Item = (&LeadId, &Entry)> {
        self.entries.iter()
    }
}

fn campaign_open(campaign: &Campaign, now: DateTime<Utc>) -> bool {
    campaign.status == CampaignStatus::Active && campaign.calling_window().is_open(now)
}

/// The first `n` items of several sorted sets that pass `keep`, in order.
fn merge(
    sets: &[&BTreeSet<(DialOrder, LeadId)>],
    n: usize,
    keep: impl Fn(&LeadId) -> bool,
) -> Vec<(DialOrder, LeadId)> {
    let mut iters: Vec<_> = sets
        .iter()
        .map(|s| s.iter().filter(|(_, id)| keep(id)).peekable())
        .collect();
    let mut out = Vec::with_capacity(n.min(1024));
    while out.len() < n {
        let best = iters
            .iter_mut()
            .enumerate()
            .filter_map(|(i, it)| it.peek().map(|item| (**item, i)))
            .min();
        let Some((item, i)) = best else { break };
        iters[i].next();
        out.push(item);
    }
    out
}
