//! The checker: its own state, folded from the log event by event, and
//! its own reading of the rule table, the campaign's settings and the
//! user's contact policy. It never asks the domain whether a lead was
//! eligible: every window and every rolling count is recomputed from the
//! instants in the events, with `chrono-tz`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Timelike, Utc};
use chrono_tz::Tz;
use leadline_domain::campaign::CampaignSettings;
use leadline_domain::events::LeadDialed;
use leadline_domain::jurisdiction::NumberPlace;
use leadline_domain::policy::{ContactPolicy, NumberCap};
use leadline_domain::{
    CallId, CampaignId, DailyHours, Disposition, Event, LeadId, PhoneNumber, UserId,
};

use super::table::RulesTable;
use super::Rule;

/// Reg F (12 CFR § 1006.14(b)(2)): dials to one lead in any 7 days, and
/// the quiet period after an answered call.
pub const DEBT_COLLECTION_CALLS_MAX: usize = 7;
/// Reg F's period, in days.
pub const DEBT_COLLECTION_DAYS: i64 = 7;

struct CampaignFacts {
    owner: UserId,
    settings: CampaignSettings,
}

struct LeadFacts {
    campaign: CampaignId,
    phones: Vec<PhoneNumber>,
    timezone: Option<Tz>,
    /// Every dial of the lead.
    dials: Vec<DateTime<Utc>>,
    /// Dials since import or the last recycle: what `max_attempts` counts.
    round_dials: u32,
    /// Whether the lead waits on a callback (a disposition), which is
    /// dialed whatever its attempts.
    callback: bool,
    answered_at: Option<DateTime<Utc>>,
    /// The position of the `LeadMarkedDnc` that opted it out.
    marked_dnc_at: Option<u64>,
}

/// A dial the checker cannot place: of a lead it never saw imported, of a
/// campaign other than the lead's, on a number not the lead's.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Unplaced(pub String);

/// What the checker found of one dial: every rule that applied to it,
/// each with why it was broken (`None`: kept).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Judgement {
    pub checked: Vec<(Rule, Option<String>)>,
}

impl Judgement {
    fn check(&mut self, rule: Rule, breach: Option<String>) {
        self.checked.push((rule, breach));
    }

    /// The rules broken, with why.
    pub fn breaches(&self) -> impl Iterator<Item = (Rule, &str)> {
        self.checked
            .iter()
            .filter_map(|(rule, breach)| breach.as_deref().map(|d| (*rule, d)))
    }
}

/// Counts of what the checker saw, over every campaign.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CheckerCounts {
    /// Dials judged.
    pub dials: u64,
    /// Dials to a number some row of the table covered, rules on.
    pub dials_under_jurisdiction: u64,
    /// Dials to a number under a jurisdiction's cap.
    pub capped_numbers_dialed: u64,
    /// Dials that brought a cap (jurisdiction, policy or Reg F) to its
    /// maximum: the caps were reached, not only present.
    pub caps_filled: u64,
}

/// The checker's state, as of the last event it folded.
pub struct Checker {
    table: RulesTable,
    /// Calls in flight at once across all users; `None`: not checked.
    system_limit: Option<u32>,
    campaigns: HashMap<CampaignId, CampaignFacts>,
    leads: HashMap<LeadId, LeadFacts>,
    /// call → (user, number) of every call dialed.
    calls: HashMap<CallId, (UserId, PhoneNumber)>,
    /// Calls in flight, by user.
    in_flight: HashMap<CallId, UserId>,
    in_flight_per_user: HashMap<UserId, u32>,
    user_limits: HashMap<UserId, u32>,
    /// (user, number) → the position of the `DncAdded` that listed it.
    dnc: HashMap<(UserId, PhoneNumber), u64>,
    policies: HashMap<UserId, ContactPolicy>,
    /// (user, number) → every dial of it, over all the user's campaigns.
    number_dials: HashMap<(UserId, PhoneNumber), Vec<DateTime<Utc>>>,
    /// (user, number) → the latest dropped (abandoned) call to it.
    dropped: HashMap<(UserId, PhoneNumber), DateTime<Utc>>,
    counts: CheckerCounts,
    /// The most calls in flight across all users at a dial, that dial
    /// included.
    pub system_in_flight_max: u32,
}

impl Default for Checker {
    fn default() -> Self {
        Checker::new(RulesTable::built_in(), None)
    }
}

/// Whether wall-clock `t` is within the campaign's `hours` (end
/// exclusive; equal: all day; `end < start`: across midnight).
fn within(hours: DailyHours, at: DateTime<Utc>, tz: Tz) -> bool {
    let t = at.with_timezone(&tz).time();
    let (start, end) = (hours.start.time(), hours.end.time());
    if start == end {
        true
    } else if start < end {
        start <= t && t < end
    } else {
        t >= start || t < end
    }
}

fn hours_text(hours: DailyHours) -> String {
    format!("{}–{}", hours.start, hours.end)
}

/// `Mon 2026-11-23 22:14 EST (America/New_York)`.
fn local(at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    let seconds = if local.second() == 0 { "" } else { ":%S" };
    format!(
        "{} ({})",
        local.format(&format!("%a %Y-%m-%d %H:%M{seconds} %Z")),
        tz.name()
    )
}

/// Dials in `(at - window, at]`.
fn in_window(dials: &[DateTime<Utc>], at: DateTime<Utc>, window: Duration) -> usize {
    dials
        .iter()
        .filter(|d| **d > at - window && **d <= at)
        .count()
}

impl Checker {
    /// A checker judging by `table`, and by the system's limit on calls in
    /// flight when it is known (a dialer setting, not in the log).
    pub fn new(table: RulesTable, system_limit: Option<u32>) -> Checker {
        Checker {
            table,
            system_limit,
            campaigns: HashMap::new(),
            leads: HashMap::new(),
            calls: HashMap::new(),
            in_flight: HashMap::new(),
            in_flight_per_user: HashMap::new(),
            user_limits: HashMap::new(),
            dnc: HashMap::new(),
            policies: HashMap::new(),
            number_dials: HashMap::new(),
            dropped: HashMap::new(),
            counts: CheckerCounts::default(),
            system_in_flight_max: 0,
        }
    }

    /// The table judged by.
    pub fn table(&self) -> &RulesTable {
        &self.table
    }

    /// What the checker saw so far.
    pub fn counts(&self) -> CheckerCounts {
        self.counts
    }

    /// Whether `campaign` was created in the events folded so far.
    pub fn knows_campaign(&self, campaign: &CampaignId) -> bool {
        self.campaigns.contains_key(campaign)
    }

    /// Judges `event` (at log `position`) against the state before it,
    /// then folds it in. Only a `LeadDialed` is judged.
    pub fn observe(&mut self, position: u64, event: &Event) -> Option<Result<Judgement, Unplaced>> {
        let verdict = match event {
            Event::LeadDialed(dialed) => Some(self.judge(dialed)),
            _ => None,
        };
        self.fold(position, event);
        verdict
    }

    /// Folds `event` (at log `position`) into the state without judging.
    pub fn fold(&mut self, position: u64, event: &Event) {
        match event {
            Event::CampaignCreated(e) => {
                self.campaigns.insert(
                    e.campaign_id,
                    CampaignFacts {
                        owner: e.owner,
                        settings: e.settings.clone(),
                    },
                );
            }
            Event::CampaignUpdated(e) => {
                if let Some(c) = self.campaigns.get_mut(&e.campaign_id) {
                    c.settings = e.settings.clone();
                }
            }
            Event::UserCreated(e) => {
                self.user_limits.insert(e.user_id, e.concurrent_calls_limit);
            }
            Event::UserLimitChanged(e) => {
                self.user_limits.insert(e.user_id, e.concurrent_calls_limit);
            }
            Event::LeadImported(e) => {
                let mut phones = vec![e.phone.clone()];
                phones.extend(e.alt_phones.iter().cloned());
                self.leads.insert(
                    e.lead_id,
                    LeadFacts {
                        campaign: e.campaign_id,
                        phones,
                        timezone: e.timezone.map(|z| z.tz()),
                        dials: Vec::new(),
                        round_dials: 0,
                        callback: false,
                        answered_at: None,
                        marked_dnc_at: None,
                    },
                );
            }
            Event::LeadDialed(e) => {
                let owner = self.campaigns.get(&e.campaign_id).map(|c| c.owner);
                if let Some(owner) = owner {
                    self.calls.insert(e.call_id, (owner, e.phone.clone()));
                    self.number_dials
                        .entry((owner, e.phone.clone()))
                        .or_default()
                        .push(e.at);
                    if self.in_flight.insert(e.call_id, owner).is_none() {
                        *self.in_flight_per_user.entry(owner).or_default() += 1;
                    }
                }
                if let Some(lead) = self.leads.get_mut(&e.lead_id) {
                    lead.dials.push(e.at);
                    lead.round_dials += 1;
                    lead.callback = false;
                }
            }
            Event::CallReclaimed(e) => self.call_ended(e.call_id),
            Event::LeadRecycled(e) => {
                if let Some(lead) = self.leads.get_mut(&e.lead_id) {
                    lead.round_dials = 0;
                    lead.callback = false;
                }
            }
            Event::LeadDispositioned(e) => {
                if let Some(lead) = self.leads.get_mut(&e.lead_id) {
                    lead.callback = e.disposition == Disposition::Callback;
                }
            }
            Event::LeadMarkedDnc(e) => {
                if let Some(lead) = self.leads.get_mut(&e.lead_id) {
                    lead.marked_dnc_at.get_or_insert(position);
                }
            }
            Event::DncAdded(e) => {
                self.dnc
                    .entry((e.user_id, e.phone.clone()))
                    .or_insert(position);
            }
            Event::DncRemoved(e) => {
                self.dnc.remove(&(e.user_id, e.phone.clone()));
            }
            Event::ContactPolicySet(e) => {
                self.policies.insert(e.user_id, e.policy.clone());
            }
            other => {
                if let Some((outcome, ended)) = other.as_call_ended() {
                    self.call_ended(ended.call_id);
                    if outcome == leadline_domain::CallOutcome::Answered {
                        if let Some(lead) = self.leads.get_mut(&ended.lead_id) {
                            lead.answered_at =
                                Some(lead.answered_at.map_or(ended.at, |a| a.max(ended.at)));
                        }
                    }
                    if outcome == leadline_domain::CallOutcome::Dropped {
                        if let Some(key) = self.calls.get(&ended.call_id).cloned() {
                            let at = self.dropped.entry(key).or_insert(ended.at);
                            *at = (*at).max(ended.at);
                        }
                    }
                }
            }
        }
    }

    fn call_ended(&mut self, call: CallId) {
        if let Some(user) = self.in_flight.remove(&call) {
            if let Some(n) = self.in_flight_per_user.get_mut(&user) {
                *n = n.saturating_sub(1);
            }
        }
    }

    /// Judges one dial against every rule that applies to it.
    pub fn judge(&mut self, dialed: &LeadDialed) -> Result<Judgement, Unplaced> {
        let at = dialed.at;
        let phone = &dialed.phone;
        let Some(lead) = self.leads.get(&dialed.lead_id) else {
            return Err(Unplaced(format!(
                "lead {} was dialed but never imported",
                dialed.lead_id
            )));
        };
        if lead.campaign != dialed.campaign_id {
            return Err(Unplaced(format!(
                "lead {} was dialed by campaign {} but imported into {}",
                dialed.lead_id, dialed.campaign_id, lead.campaign
            )));
        }
        let Some(campaign) = self.campaigns.get(&dialed.campaign_id) else {
            return Err(Unplaced(format!(
                "campaign {} dialed but was never created",
                dialed.campaign_id
            )));
        };
        if !lead.phones.contains(phone) {
            return Err(Unplaced(format!(
                "lead {} was dialed on {phone}, which is not one of its numbers",
                dialed.lead_id
            )));
        }
        let user = campaign.owner;
        let settings = &campaign.settings;
        self.counts.dials += 1;
        let mut verdict = Judgement::default();

        // The campaign's window and start date, in the campaign's zone.
        let campaign_tz = settings.timezone.tz();
        let mut window = None;
        if !within(settings.hours, at, campaign_tz) {
            window = Some(format!(
                "dialed {}; campaign hours {}",
                local(at, campaign_tz),
                hours_text(settings.hours)
            ));
        }
        if let Some(start) = settings.start_date {
            let date = at.with_timezone(&campaign_tz).date_naive();
            if date < start && window.is_none() {
                window = Some(format!(
                    "dialed {}; the campaign starts on {start}",
                    local(at, campaign_tz)
                ));
            }
        }
        verdict.check(Rule::CampaignWindow, window);

        let place = NumberPlace::of(phone);
        let own_zones: Vec<Tz> = match lead.timezone {
            Some(tz) => vec![tz],
            None => place.zones.iter().map(|z| z.tz()).collect(),
        };

        // The campaign's local hours in the lead's zone(s).
        if let Some(hours) = settings.local_hours {
            let breach = own_zones
                .iter()
                .find(|tz| !within(hours, at, **tz))
                .map(|tz| {
                    format!(
                        "dialed {}; local hours {}",
                        local(at, *tz),
                        hours_text(hours)
                    )
                });
            verdict.check(Rule::LocalHours, breach);
        }

        // The jurisdiction table.
        let rows: Vec<_> = if settings.jurisdiction_rules {
            self.table
                .rows
                .iter()
                .filter(|row| row.covers(&place))
                .collect()
        } else {
            Vec::new()
        };
        if !rows.is_empty() {
            self.counts.dials_under_jurisdiction += 1;
            let mut breach = None;
            for row in &rows {
                let zones: &[Tz] = if own_zones.is_empty() {
                    &row.zones
                } else {
                    &own_zones
                };
                for tz in zones {
                    let (hours, weekend) = row.hours_at(at, *tz);
                    if breach.is_none() && !hours.open_at(at, *tz) {
                        breach = Some(format!(
                            "dialed {}; {} hours {hours}{}",
                            local(at, *tz),
                            row.name,
                            if weekend { " at weekends" } else { "" }
                        ));
                    }
                }
            }
            verdict.check(Rule::JurisdictionHours, breach);
        }

        // The owner's holidays, by the lead's local date.
        let country = place.country.map(|r| r.code().to_owned());
        let policy = self.policies.get(&user);
        if let (Some(policy), Some(country)) = (policy, &country) {
            let holidays: Vec<_> = policy
                .holidays
                .iter()
                .filter(|h| h.regions.iter().any(|r| r.code() == country))
                .collect();
            if !holidays.is_empty() {
                let zones: Vec<Tz> = if own_zones.is_empty() {
                    vec![campaign_tz]
                } else {
                    own_zones.clone()
                };
                let breach = holidays.iter().find_map(|holiday| {
                    zones
                        .iter()
                        .find(|tz| at.with_timezone(*tz).date_naive() == holiday.date)
                        .map(|tz| {
                            format!(
                                "dialed {}; {} is a holiday for {country} numbers",
                                local(at, *tz),
                                holiday.date
                            )
                        })
                });
                verdict.check(Rule::Holiday, breach);
            }
        }

        // Opt-outs: the owner's list, and the lead's own.
        let dnc = if let Some(marked) = lead.marked_dnc_at {
            Some(format!(
                "dialed {}; the lead opted out (marked do-not-call) at position {marked}",
                local(at, campaign_tz)
            ))
        } else {
            self.dnc.get(&(user, phone.clone())).map(|listed| {
                format!(
                    "dialed {}; the number is on the owner's do-not-call list since position {listed}",
                    local(at, campaign_tz)
                )
            })
        };
        verdict.check(Rule::Dnc, dnc);

        // Attempts in the round (since import or the last recycle); a
        // callback is dialed whatever the attempts.
        if !lead.callback {
            let max = settings.retry.max_attempts();
            let breach = (lead.round_dials >= max).then(|| {
                format!(
                    "attempt {} of this round; the campaign allows {max} per round",
                    lead.round_dials + 1
                )
            });
            verdict.check(Rule::MaxAttempts, breach);
        }

        // The owner's caps per number, over all their campaigns.
        let dials_of_number = self
            .number_dials
            .get(&(user, phone.clone()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let cap_reached = |cap: NumberCap, counts: &mut CheckerCounts| {
            let dials = in_window(dials_of_number, at, cap.window());
            counts.caps_filled += u64::from(dials + 1 == cap.calls_max as usize);
            (dials >= cap.calls_max as usize).then_some(dials)
        };
        if let Some(policy) = policy.filter(|p| !p.per_number.is_empty()) {
            let breach = policy.per_number.iter().find_map(|cap| {
                cap_reached(*cap, &mut self.counts).map(|dials| {
                    format!(
                        "{} dial of the number in {} h over the owner's campaigns; the owner's cap is {}",
                        ordinal(dials + 1),
                        cap.window_hours,
                        cap.calls_max
                    )
                })
            });
            verdict.check(Rule::ContactCap, breach);
        }

        // The jurisdictions' caps and holds.
        let capped: Vec<_> = rows.iter().filter_map(|r| r.cap.map(|c| (r, c))).collect();
        if !capped.is_empty() {
            self.counts.capped_numbers_dialed += 1;
            let breach = capped.iter().find_map(|(row, cap)| {
                cap_reached(*cap, &mut self.counts).map(|dials| {
                    format!(
                        "{} dial of the number in {} h over the owner's campaigns; {} allows {}",
                        ordinal(dials + 1),
                        cap.window_hours,
                        row.name,
                        cap.calls_max
                    )
                })
            });
            verdict.check(Rule::JurisdictionCap, breach);
        }
        let held: Vec<_> = rows
            .iter()
            .filter_map(|r| r.abandoned_hold_hours.map(|h| (r, h)))
            .collect();
        if !held.is_empty() {
            let dropped = self.dropped.get(&(user, phone.clone()));
            let breach = held.iter().find_map(|(row, hold)| {
                let dropped = dropped?;
                (at < *dropped + Duration::hours(i64::from(*hold))).then(|| {
                    let tz = own_zones.first().copied().unwrap_or(campaign_tz);
                    format!(
                        "dialed {}; a call to the number dropped at {}, and {} holds it {hold} h",
                        local(at, tz),
                        local(*dropped, tz),
                        row.name
                    )
                })
            });
            verdict.check(Rule::AbandonedHold, breach);
        }

        // Reg F.
        if settings.debt_collection {
            let period = Duration::days(DEBT_COLLECTION_DAYS);
            let dials = in_window(&lead.dials, at, period);
            self.counts.caps_filled += u64::from(dials + 1 == DEBT_COLLECTION_CALLS_MAX);
            let breach = if dials >= DEBT_COLLECTION_CALLS_MAX {
                Some(format!(
                    "{} dial of the lead in 7 days; Reg F allows {DEBT_COLLECTION_CALLS_MAX}",
                    ordinal(dials + 1)
                ))
            } else {
                lead.answered_at
                    .filter(|answered| at < *answered + period)
                    .map(|answered| {
                        format!(
                            "dialed {}; a call to the lead was answered at {}, and Reg F allows none for 7 days after",
                            local(at, campaign_tz),
                            local(answered, campaign_tz)
                        )
                    })
            };
            verdict.check(Rule::DebtCollection, breach);
        }

        // Calls in flight at the dial, this one included.
        let mine = self.in_flight_per_user.get(&user).copied().unwrap_or(0) + 1;
        let all = u32::try_from(self.in_flight.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        self.system_in_flight_max = self.system_in_flight_max.max(all);
        let user_limit = self.user_limits.get(&user).copied();
        let mut breach = None;
        if let Some(limit) = user_limit.filter(|limit| mine > *limit) {
            breach = Some(format!(
                "{mine} calls of the owner in flight with this one; the owner's limit is {limit}"
            ));
        }
        if let Some(limit) = self.system_limit.filter(|limit| all > *limit) {
            breach.get_or_insert(format!(
                "{all} calls in flight across all users with this one; the system's limit is {limit}"
            ));
        }
        if user_limit.is_some() || self.system_limit.is_some() {
            verdict.check(Rule::CallsInFlight, breach);
        }
        Ok(verdict)
    }
}

/// `1st`, `2nd`, `3rd`, `4th`, … `11th`, `21st`.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
