//! Eligibility: may a lead be dialed at an instant, and if not, when.
//!
//! A lead is eligible at `now` when all of these hold:
//! - its campaign is active (`Never` otherwise: only a resume or restart
//!   changes that);
//! - its status (for a queued lead, the status it was queued from) is
//!   `new`; or `callback` and the callback time has come; or an outcome
//!   the retry policy retries, with attempts left in the round and the
//!   retry delay passed since the outcome (the status's own delay when it
//!   has one, the dropped delay for `dropped`);
//! - the campaign's start date has come;
//! - fewer than `attempts_per_day_max` dials in the 24 hours before;
//! - for a debt-collection campaign (Reg F), fewer than 7 dials in the 7
//!   days before, and no answered call in the 7 days before;
//! - the campaign's calling window is open;
//! - and one of its numbers may be dialed: a number not on the owner's
//!   do-not-call list, whose own rules are open (the campaign's local
//!   hours in the lead's zone, its jurisdiction's hours, the owner's
//!   holidays) and whose caps are not reached (the owner's caps per
//!   number, its jurisdiction's cap, the abandoned-call hold), counted over
//!   every campaign of the owner.
//!
//! The strictest of all rules wins, since every one must be open.
//! [`Eligibility::NotBefore`] gives the earliest instant at which all the
//! time-based conditions hold together, as things stand;
//! [`Eligibility::Never`] means waiting alone will not make it eligible.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use crate::campaign::Campaign;
use crate::jurisdiction::NumberPlace;
use crate::lead::Lead;
use crate::phone::PhoneNumber;
use crate::policy::Owner;
use crate::status::{CampaignStatus, LeadStatus};
use crate::time::{ClosedDates, LocalWindow, WeekWindow, Zone};

/// Dials allowed to one lead in any 7 days by a debt-collection campaign.
pub const DEBT_COLLECTION_CALLS_MAX: usize = 7;
/// The window of the debt-collection cap, and the quiet period after an
/// answered call: 7 days.
pub const DEBT_COLLECTION_DAYS: i64 = 7;

/// Whether a lead may be dialed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Eligibility {
    /// Now.
    Eligible,
    /// Not before this instant (and then, if nothing else happens).
    NotBefore(DateTime<Utc>),
    /// Not by waiting: only a new event (resume, recycle…) can change it.
    Never(NeverReason),
}

impl Eligibility {
    /// Whether it is [`Eligibility::Eligible`].
    pub fn is_eligible(&self) -> bool {
        matches!(self, Eligibility::Eligible)
    }
}

/// Why waiting will not make a lead eligible.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NeverReason {
    /// The campaign is not active.
    CampaignNotActive(CampaignStatus),
    /// The lead has a call in flight.
    CallInFlight,
    /// The lead's status is final or barred (answered, cancelled, skipped,
    /// dnc, sale, not_interested).
    Final(LeadStatus),
    /// The outcome is not one the retry policy retries.
    NotRetried(LeadStatus),
    /// Every attempt of the round is used.
    AttemptsExhausted {
        /// Dials in the round.
        attempts: u32,
        /// The policy's maximum.
        max: u32,
    },
    /// Every number of the lead is on the do-not-call list.
    AllNumbersOnDnc,
    /// The campaign window and the hours that apply to the lead's numbers
    /// never overlap.
    NoCommonCallingHours,
}

impl fmt::Display for NeverReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NeverReason::CampaignNotActive(status) => {
                write!(f, "its campaign is {status}, not active")
            }
            NeverReason::CallInFlight => f.write_str("it has a call in flight"),
            NeverReason::Final(status) => write!(f, "it is {status}, which is final"),
            NeverReason::NotRetried(status) => {
                write!(f, "the retry policy does not retry {status}")
            }
            NeverReason::AttemptsExhausted { attempts, max } => {
                write!(f, "it was dialed {attempts} times, the maximum is {max}")
            }
            NeverReason::AllNumbersOnDnc => {
                f.write_str("every one of its numbers is on the do-not-call list")
            }
            NeverReason::NoCommonCallingHours => f.write_str(
                "the campaign's calling window and the hours that apply to its numbers never overlap",
            ),
        }
    }
}

/// The rules of one of a lead's numbers, as things stand.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NumberRules<'a> {
    /// Its index in [`Lead::phones`].
    pub index: usize,
    /// The number.
    pub phone: &'a PhoneNumber,
    /// When a call to it may start, besides the campaign's window: the
    /// campaign's local hours in the lead's zone, its jurisdiction's hours,
    /// the owner's holidays.
    pub windows: Vec<LocalWindow>,
    /// The rule each of `windows` comes from, in the same order.
    pub window_rules: Vec<Rule>,
    /// When its caps stop holding it back (the owner's caps per number,
    /// its jurisdiction's cap, the abandoned-call hold); `None`: not held.
    pub free_at: Option<DateTime<Utc>>,
    /// Each cap or hold with the instant it lifts (past ones included).
    pub holds: Vec<(Rule, DateTime<Utc>)>,
}

/// The calling rules by the names the API gives them, in the order a
/// campaign's held leads are counted under (the first that holds one).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Rule {
    /// The campaign is not active.
    CampaignStatus,
    /// The campaign's start date has not come.
    StartDate,
    /// The campaign's calling window is closed.
    CampaignWindow,
    /// A holiday of the owner's policy, in the lead's local date.
    Holiday,
    /// The hours of the number's jurisdiction.
    JurisdictionHours,
    /// The campaign's local hours in the lead's zone.
    LocalHours,
    /// The number is on the do-not-call list.
    Dnc,
    /// The attempts of the round are used.
    MaxAttempts,
    /// The retry delay after the last outcome.
    RetryDelay,
    /// A callback time in the future.
    CallbackTime,
    /// `attempts_per_day_max`.
    DailyCap,
    /// A cap per number of the owner's contact policy.
    ContactCap,
    /// The jurisdiction's cap per number.
    JurisdictionCap,
    /// The hold on a number whose call dropped.
    AbandonedHold,
    /// The debt-collection limits (Reg F).
    DebtCollection,
}

impl Rule {
    /// Every rule, in order.
    pub const ALL: [Rule; 15] = [
        Rule::CampaignStatus,
        Rule::StartDate,
        Rule::CampaignWindow,
        Rule::Holiday,
        Rule::JurisdictionHours,
        Rule::LocalHours,
        Rule::Dnc,
        Rule::MaxAttempts,
        Rule::RetryDelay,
        Rule::CallbackTime,
        Rule::DailyCap,
        Rule::ContactCap,
        Rule::JurisdictionCap,
        Rule::AbandonedHold,
        Rule::DebtCollection,
    ];

    /// The name the API uses.
    pub fn name(self) -> &'static str {
        match self {
            Rule::CampaignStatus => "campaign_status",
            Rule::StartDate => "start_date",
            Rule::CampaignWindow => "campaign_window",
            Rule::Holiday => "holiday",
            Rule::JurisdictionHours => "jurisdiction_hours",
            Rule::LocalHours => "local_hours",
            Rule::Dnc => "dnc",
            Rule::MaxAttempts => "max_attempts",
            Rule::RetryDelay => "retry_delay",
            Rule::CallbackTime => "callback_time",
            Rule::DailyCap => "daily_cap",
            Rule::ContactCap => "contact_cap",
            Rule::JurisdictionCap => "jurisdiction_cap",
            Rule::AbandonedHold => "abandoned_hold",
            Rule::DebtCollection => "debt_collection",
        }
    }
}

impl NumberRules<'_> {
    /// The earliest instant at or after `from` at which the number may be
    /// dialed within `campaign`'s window.
    pub fn first_opening(&self, campaign: &Campaign, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = self.free_at.map_or(from, |free| free.max(from));
        let mut windows = Vec::with_capacity(self.windows.len() + 1);
        windows.push(LocalWindow::Daily(campaign.calling_window()));
        windows.extend(self.windows.iter().cloned());
        crate::time::first_opening_of_all(&windows, from)
    }

    /// Whether its own windows are all open at `now` (caps aside).
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.windows.iter().all(|window| window.is_open(now))
    }
}

/// The rules of each of the lead's numbers that is not on the owner's
/// do-not-call list, in the order its next attempt tries them.
pub fn number_rules<'l>(
    lead: &'l Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
) -> Vec<NumberRules<'l>> {
    lead.phones_in_turn()
        .filter(|(_, phone)| !owner.is_dnc(phone))
        .map(|(index, phone)| rules_of_number(lead, campaign, owner, index, phone))
        .collect()
}

fn rules_of_number<'l>(
    lead: &Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
    index: usize,
    phone: &'l PhoneNumber,
) -> NumberRules<'l> {
    let place = NumberPlace::of(phone);
    let own_zones: Vec<Zone> = match lead.timezone {
        Some(zone) => vec![zone],
        None => place.zones.clone(),
    };
    let settings = &campaign.settings;
    let mut windows = Vec::new();
    let mut window_rules = Vec::new();
    if let Some(hours) = settings.local_hours {
        for zone in &own_zones {
            windows.push(LocalWindow::Daily(hours.in_zone(*zone)));
            window_rules.push(Rule::LocalHours);
        }
    }
    let history = owner.numbers.history(phone);
    let mut holds: Vec<(Rule, DateTime<Utc>)> = Vec::new();
    let mut hold = |rule: Rule, until: Option<DateTime<Utc>>| {
        if let Some(until) = until {
            holds.push((rule, until));
        }
    };
    if settings.jurisdiction_rules {
        for rule in place.rules() {
            let zones: Vec<Zone> = if own_zones.is_empty() {
                rule.zones.iter().map(|tz| Zone::from_tz(*tz)).collect()
            } else {
                own_zones.clone()
            };
            let (weekday, weekend) = rule.hours();
            for zone in zones {
                windows.push(if rule.has_weekend_hours() {
                    LocalWindow::Week(WeekWindow {
                        zone,
                        weekday,
                        weekend,
                    })
                } else {
                    LocalWindow::Daily(weekday.in_zone(zone))
                });
                window_rules.push(Rule::JurisdictionHours);
            }
            if let (Some(cap), Some(history)) = (rule.cap, history) {
                hold(Rule::JurisdictionCap, history.cap_lifts_at(cap));
            }
            if let (Some(hours), Some(history)) = (rule.abandoned_hold_hours, history) {
                hold(
                    Rule::AbandonedHold,
                    history
                        .last_abandoned_at()
                        .map(|at| at + Duration::hours(i64::from(hours))),
                );
            }
        }
    }
    if let Some(history) = history {
        for cap in &owner.policy.per_number {
            hold(Rule::ContactCap, history.cap_lifts_at(*cap));
        }
    }
    if let Some(region) = place.country {
        let dates = owner.policy.holidays_of(region);
        if !dates.is_empty() {
            let zones = if own_zones.is_empty() {
                vec![settings.timezone]
            } else {
                own_zones
            };
            for zone in zones {
                windows.push(LocalWindow::Closed(ClosedDates {
                    zone,
                    dates: dates.clone(),
                }));
                window_rules.push(Rule::Holiday);
            }
        }
    }
    dedup(&mut windows, &mut window_rules);
    NumberRules {
        index,
        phone,
        windows,
        window_rules,
        free_at: holds.iter().map(|(_, until)| *until).max(),
        holds,
    }
}

/// Removes repeated windows (and their rules), keeping the first of
/// each, in place.
fn dedup(windows: &mut Vec<LocalWindow>, rules: &mut Vec<Rule>) {
    let mut index = 0;
    while index < windows.len() {
        if windows[..index].contains(&windows[index]) {
            windows.remove(index);
            if index < rules.len() {
                rules.remove(index);
            }
        } else {
            index += 1;
        }
    }
}

/// Whether `lead` may be dialed at `now` under `campaign`'s rules and its
/// owner's.
pub fn eligibility(
    lead: &Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
    now: DateTime<Utc>,
) -> Eligibility {
    match decide_number(lead, campaign, owner, now) {
        Ok(_) => Eligibility::Eligible,
        Err(verdict) => verdict,
    }
}

/// The number the lead's next attempt dials at `now`: the first, in turn,
/// that may be dialed now. `None` when the lead is not eligible.
pub fn choose_number(
    lead: &Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
    now: DateTime<Utc>,
) -> Option<PhoneNumber> {
    number_to_dial(lead, campaign, owner, now).ok()
}

/// [`choose_number`], or the lead's eligibility when it may not be dialed
/// now, so that a caller learns why without deciding twice.
pub fn number_to_dial(
    lead: &Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
    now: DateTime<Utc>,
) -> Result<PhoneNumber, Eligibility> {
    decide_number(lead, campaign, owner, now).cloned()
}

/// The one decision behind [`eligibility`] and [`number_to_dial`]: the
/// lead's own readiness, then each number's first opening from then on.
/// The lead is eligible when one of its numbers opens now (the earliest
/// instant considered is never before now), and the first such number in
/// turn is the one dialed.
fn decide_number<'l>(
    lead: &'l Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
    now: DateTime<Utc>,
) -> Result<&'l PhoneNumber, Eligibility> {
    if campaign.status != CampaignStatus::Active {
        return Err(Eligibility::Never(NeverReason::CampaignNotActive(
            campaign.status,
        )));
    }
    let earliest = match ready_at(lead, campaign) {
        Ok(ready_at) => ready_at.map_or(now, |at| at.max(now)),
        Err(reason) => return Err(Eligibility::Never(reason)),
    };
    let numbers = number_rules(lead, campaign, owner);
    if numbers.is_empty() {
        return Err(Eligibility::Never(NeverReason::AllNumbersOnDnc));
    }
    let mut first: Option<DateTime<Utc>> = None;
    for number in &numbers {
        let Some(at) = number.first_opening(campaign, earliest) else {
            continue;
        };
        if at <= now {
            return Ok(number.phone);
        }
        first = Some(first.map_or(at, |f| f.min(at)));
    }
    Err(match first {
        Some(at) => Eligibility::NotBefore(at),
        None => Eligibility::Never(NeverReason::NoCommonCallingHours),
    })
}

/// Whether `phone`, one of the lead's numbers, may be dialed at `now` as
/// far as the number's own rules go (do-not-call, caps, hours).
pub fn number_dialable(
    lead: &Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
    phone: &PhoneNumber,
    now: DateTime<Utc>,
) -> bool {
    number_rules(lead, campaign, owner)
        .iter()
        .any(|number| number.phone == phone && number.first_opening(campaign, now) == Some(now))
}

/// When the lead itself is ready to be dialed, whatever its campaign's
/// status and calling windows and whatever its numbers' own rules: its
/// status and retry delay, its callback time, the campaign's start date,
/// the daily attempts cap and the debt-collection limits. `Ok(None)`
/// means at any time; `Err` says why waiting will never do.
///
/// The hopper indexes leads by this instant, and applies the campaign's
/// status and the (campaign-wide, per-zone) windows when it is read.
pub fn ready_at(lead: &Lead, campaign: &Campaign) -> Result<Option<DateTime<Utc>>, NeverReason> {
    let status_ready = status_ready_at(lead, campaign)?;
    Ok([
        status_ready,
        campaign.starts_at(),
        daily_cap_lifts_at(lead, campaign),
        debt_collection_lifts_at(lead, campaign),
    ]
    .into_iter()
    .flatten()
    .max())
}

/// From the status alone: when the lead is ready (`Ok(None)`: now), or
/// why it never is.
fn status_ready_at(lead: &Lead, campaign: &Campaign) -> Result<Option<DateTime<Utc>>, NeverReason> {
    if lead.in_flight.is_some() {
        return Err(NeverReason::CallInFlight);
    }
    let policy = &campaign.settings.retry;
    let status = lead.effective_status();
    match status {
        // A queued lead always knows the status it was queued from; should
        // it not, it is treated as never dialed.
        LeadStatus::New | LeadStatus::Queued => Ok(None),
        LeadStatus::Callback => Ok(lead.callback_at),
        LeadStatus::Dialing => Err(NeverReason::CallInFlight),
        LeadStatus::NoAnswer
        | LeadStatus::Busy
        | LeadStatus::Failed
        | LeadStatus::Dropped
        | LeadStatus::Congestion
        | LeadStatus::Voicemail => {
            if !policy.retries(status) {
                return Err(NeverReason::NotRetried(status));
            }
            if lead.round_attempts >= policy.max_attempts() {
                return Err(NeverReason::AttemptsExhausted {
                    attempts: lead.round_attempts,
                    max: policy.max_attempts(),
                });
            }
            let since = lead.last_result_at.unwrap_or(lead.last_status_change);
            Ok(Some(since + policy.delay_after(status)))
        }
        LeadStatus::Answered
        | LeadStatus::Cancelled
        | LeadStatus::Skipped
        | LeadStatus::Dnc
        | LeadStatus::Sale
        | LeadStatus::NotInterested => Err(NeverReason::Final(status)),
    }
}

/// When the debt-collection limits (Reg F) stop holding the lead back: 7
/// days after the oldest of its last 7 dials, and 7 days after its last
/// answered call.
pub(crate) fn debt_collection_lifts_at(lead: &Lead, campaign: &Campaign) -> Option<DateTime<Utc>> {
    if !campaign.settings.debt_collection {
        return None;
    }
    let period = Duration::days(DEBT_COLLECTION_DAYS);
    let cap = lead
        .recent_dials
        .len()
        .checked_sub(DEBT_COLLECTION_CALLS_MAX)
        .and_then(|index| lead.recent_dials.get(index))
        .map(|oldest| *oldest + period);
    let quiet = lead.last_answered_at.map(|answered| answered + period);
    cap.max(quiet)
}

/// When the `attempts_per_day_max` cap stops holding the lead back: 24
/// hours after the oldest of the last `cap` dials.
pub(crate) fn daily_cap_lifts_at(lead: &Lead, campaign: &Campaign) -> Option<DateTime<Utc>> {
    let cap = usize::try_from(campaign.settings.retry.attempts_per_day_max()?).ok()?;
    let index = lead.recent_dials.len().checked_sub(cap)?;
    lead.recent_dials
        .get(index)
        .map(|oldest| *oldest + Duration::hours(24))
}

pub mod explain;

#[cfg(test)]
mod rules_tests;

#[cfg(test)]
mod tests;
