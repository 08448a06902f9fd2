//! Eligibility: may a lead be dialed at an instant, and if not, when.
//!
//! A lead is eligible at `now` when all of these hold:
//! - its campaign is active (`Never` otherwise: only a resume or restart
//!   changes that);
//! - its status (for a queued lead, the status it was queued from) is
//!   `new`; or `callback` and the callback time has come; or an outcome
//!   the retry policy retries, with attempts left in the round and the
//!   retry delay passed since the outcome (the shorter dropped delay for
//!   `dropped`);
//! - the campaign's start date has come;
//! - fewer than `attempts_per_day_max` dials in the 24 hours before;
//! - the campaign's calling window is open, and the lead's local calling
//!   hours (when the campaign sets them and the lead's zone is known).
//!
//! [`Eligibility::NotBefore`] gives the earliest instant at which all the
//! time-based conditions hold together, as things stand;
//! [`Eligibility::Never`] means waiting alone will not make it eligible.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use crate::campaign::Campaign;
use crate::lead::Lead;
use crate::status::{CampaignStatus, LeadStatus};
use crate::time::CallingWindow;

/// How many times the campaign and local windows are intersected before
/// giving up: each round moves at least to the next opening of one of
/// them, so a few weeks of openings are tried.
const WINDOW_ROUNDS_MAX: usize = 64;

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
    /// The campaign window and the lead's local hours never overlap.
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
            NeverReason::NoCommonCallingHours => f.write_str(
                "the campaign's calling window and the lead's local calling hours never overlap",
            ),
        }
    }
}

/// Whether `lead` may be dialed at `now` under `campaign`'s rules.
pub fn eligibility(lead: &Lead, campaign: &Campaign, now: DateTime<Utc>) -> Eligibility {
    if campaign.status != CampaignStatus::Active {
        return Eligibility::Never(NeverReason::CampaignNotActive(campaign.status));
    }
    let earliest = match ready_at(lead, campaign) {
        Ok(ready_at) => ready_at.map_or(now, |at| at.max(now)),
        Err(reason) => return Eligibility::Never(reason),
    };
    match first_common_opening(
        campaign.calling_window(),
        lead.local_window(campaign),
        earliest,
    ) {
        Some(at) if at <= now => Eligibility::Eligible,
        Some(at) => Eligibility::NotBefore(at),
        None => Eligibility::Never(NeverReason::NoCommonCallingHours),
    }
}

/// When the lead itself is ready to be dialed, whatever its campaign's
/// status and calling windows: its status and retry delay, its callback
/// time, the campaign's start date and the daily attempts cap. `Ok(None)`
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

/// When the `attempts_per_day_max` cap stops holding the lead back: 24
/// hours after the oldest of the last `cap` dials.
fn daily_cap_lifts_at(lead: &Lead, campaign: &Campaign) -> Option<DateTime<Utc>> {
    let cap = usize::try_from(campaign.settings.retry.attempts_per_day_max()?).ok()?;
    let index = lead.recent_dials.len().checked_sub(cap)?;
    lead.recent_dials
        .get(index)
        .map(|oldest| *oldest + Duration::hours(24))
}

/// The earliest instant at or after `from` at which the campaign window
/// and, if any, the lead's local window are both open.
pub fn first_common_opening(
    campaign: CallingWindow,
    local: Option<CallingWindow>,
    from: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut at = from;
    for _ in 0..WINDOW_ROUNDS_MAX {
        at = campaign.next_open(at)?;
        let Some(local) = local else {
            return Some(at);
        };
        if local.is_open(at) {
            return Some(at);
        }
        at = local.next_open(at)?;
        if campaign.is_open(at) {
            return Some(at);
        }
    }
    None
}

#[cfg(test)]
mod tests;
