//! Lead and campaign statuses, call outcomes, dispositions and the
//! categories projections group statuses into.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::StatusError;
use crate::ids::echo;
use crate::retry::RetryPolicy;

/// Where a lead stands. Text form (serde and `Display`) is snake_case, as
/// in the API: `new`, `queued`, `dialing`, `answered`, `no_answer`, `busy`,
/// `failed`, `dropped`, `congestion`, `voicemail`, `cancelled`, `skipped`,
/// `dnc`, `sale`, `not_interested`, `callback`.
///
/// The declaration order is the stored encoding: a new status goes last.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    /// Waiting to be dialed: never dialed, or recycled back to new.
    New,
    /// In the hopper: picked to be dialed as soon as a slot is free.
    Queued,
    /// A call is in flight (ringing or connected).
    Dialing,
    /// The last call was answered.
    Answered,
    /// The last call was not answered.
    NoAnswer,
    /// The last call got a busy signal.
    Busy,
    /// The last call failed (provider error, or reclaimed as stale).
    Failed,
    /// The last call connected and then dropped.
    Dropped,
    /// The last call hit network congestion.
    Congestion,
    /// Cancelled (campaign cancelled, contact deleted, or by hand).
    Cancelled,
    /// Never to be dialed: a duplicate number or on the do-not-call list at
    /// import.
    Skipped,
    /// Marked do-not-call: never dialed again.
    Dnc,
    /// Disposition: a sale.
    Sale,
    /// Disposition: not interested.
    NotInterested,
    /// Disposition: call back at an agreed time.
    Callback,
    /// The last call reached a machine (voicemail, answering machine or
    /// fax), not the person.
    Voicemail,
}

/// How projections and rules group lead statuses.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadCategory {
    /// Waiting for a dial that nothing but time stands in front of:
    /// `new`, and `callback` (due at its time).
    Pending,
    /// Being worked on by the dialer: `queued`, `dialing`.
    InProgress,
    /// A call outcome the campaign's retry policy will retry after its
    /// delay (and, for a lead, with attempts left in this round).
    Recyclable,
    /// Nothing more will happen on its own: `answered`, `cancelled`,
    /// `skipped`, `dnc`, `sale`, `not_interested`, and outcomes the retry
    /// policy does not retry (or whose attempts are used up).
    Final,
}

impl LeadStatus {
    /// Every status, in the order of the API's list.
    pub const ALL: [LeadStatus; 16] = [
        LeadStatus::New,
        LeadStatus::Queued,
        LeadStatus::Dialing,
        LeadStatus::Answered,
        LeadStatus::NoAnswer,
        LeadStatus::Busy,
        LeadStatus::Failed,
        LeadStatus::Dropped,
        LeadStatus::Congestion,
        LeadStatus::Voicemail,
        LeadStatus::Cancelled,
        LeadStatus::Skipped,
        LeadStatus::Dnc,
        LeadStatus::Sale,
        LeadStatus::NotInterested,
        LeadStatus::Callback,
    ];

    /// The snake_case name.
    pub const fn as_str(&self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Queued => "queued",
            LeadStatus::Dialing => "dialing",
            LeadStatus::Answered => "answered",
            LeadStatus::NoAnswer => "no_answer",
            LeadStatus::Busy => "busy",
            LeadStatus::Failed => "failed",
            LeadStatus::Dropped => "dropped",
            LeadStatus::Congestion => "congestion",
            LeadStatus::Voicemail => "voicemail",
            LeadStatus::Cancelled => "cancelled",
            LeadStatus::Skipped => "skipped",
            LeadStatus::Dnc => "dnc",
            LeadStatus::Sale => "sale",
            LeadStatus::NotInterested => "not_interested",
            LeadStatus::Callback => "callback",
        }
    }

    /// The outcome this status records, if it is a call outcome.
    pub const fn outcome(&self) -> Option<CallOutcome> {
        match self {
            LeadStatus::Answered => Some(CallOutcome::Answered),
            LeadStatus::NoAnswer => Some(CallOutcome::NoAnswer),
            LeadStatus::Busy => Some(CallOutcome::Busy),
            LeadStatus::Failed => Some(CallOutcome::Failed),
            LeadStatus::Dropped => Some(CallOutcome::Dropped),
            LeadStatus::Congestion => Some(CallOutcome::Congestion),
            LeadStatus::Voicemail => Some(CallOutcome::Voicemail),
            _ => None,
        }
    }

    /// The category under a campaign's retry policy, from the status alone.
    /// A recyclable outcome whose attempts are used up is final for that
    /// lead; [`crate::lead::Lead::category`] accounts for attempts.
    pub fn category(&self, policy: &RetryPolicy) -> LeadCategory {
        match self {
            LeadStatus::New | LeadStatus::Callback => LeadCategory::Pending,
            LeadStatus::Queued | LeadStatus::Dialing => LeadCategory::InProgress,
            status if policy.retries(*status) => LeadCategory::Recyclable,
            _ => LeadCategory::Final,
        }
    }

    /// Never dialed again, whatever the retry policy says: `skipped`, `dnc`.
    pub const fn is_barred(&self) -> bool {
        matches!(self, LeadStatus::Skipped | LeadStatus::Dnc)
    }

    /// Statuses a manual recycle may take leads out of. Not `queued` or
    /// `dialing` (being worked on), and never `skipped` or `dnc` (those
    /// numbers must not be dialed).
    pub const fn is_manually_recyclable(&self) -> bool {
        !matches!(
            self,
            LeadStatus::Queued | LeadStatus::Dialing | LeadStatus::Skipped | LeadStatus::Dnc
        )
    }
}

impl fmt::Display for LeadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LeadStatus {
    type Err = StatusError;

    fn from_str(input: &str) -> Result<Self, StatusError> {
        let text = input.trim();
        LeadStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| StatusError::UnknownLeadStatus { input: echo(input) })
    }
}

/// How a call ended, as recorded on the lead and in the call log. The
/// declaration order is the stored encoding: a new outcome goes last.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// Someone picked up.
    Answered,
    /// It rang out.
    NoAnswer,
    /// Busy signal.
    Busy,
    /// The provider could not place or complete the call.
    Failed,
    /// Connected, then cut off.
    Dropped,
    /// The network was congested.
    Congestion,
    /// A machine answered (voicemail, answering machine, fax): the call
    /// connected, but the person was not reached.
    Voicemail,
}

impl CallOutcome {
    /// Every outcome.
    pub const ALL: [CallOutcome; 7] = [
        CallOutcome::Answered,
        CallOutcome::NoAnswer,
        CallOutcome::Busy,
        CallOutcome::Failed,
        CallOutcome::Dropped,
        CallOutcome::Congestion,
        CallOutcome::Voicemail,
    ];

    /// The lead status this outcome leaves.
    pub const fn status(&self) -> LeadStatus {
        match self {
            CallOutcome::Answered => LeadStatus::Answered,
            CallOutcome::NoAnswer => LeadStatus::NoAnswer,
            CallOutcome::Busy => LeadStatus::Busy,
            CallOutcome::Failed => LeadStatus::Failed,
            CallOutcome::Dropped => LeadStatus::Dropped,
            CallOutcome::Congestion => LeadStatus::Congestion,
            CallOutcome::Voicemail => LeadStatus::Voicemail,
        }
    }

    /// The snake_case name.
    pub const fn as_str(&self) -> &'static str {
        self.status().as_str()
    }
}

impl fmt::Display for CallOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CallOutcome {
    type Err = StatusError;

    fn from_str(input: &str) -> Result<Self, StatusError> {
        let text = input.trim();
        CallOutcome::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == text)
            .ok_or_else(|| StatusError::UnknownOutcome { input: echo(input) })
    }
}

/// What a person decided about a lead after talking to it (`dnc` is
/// recorded with its own event, `LeadMarkedDnc`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// A sale.
    Sale,
    /// Not interested.
    NotInterested,
    /// Call back at an agreed time.
    Callback,
}

impl Disposition {
    /// The lead status this disposition leaves.
    pub const fn status(&self) -> LeadStatus {
        match self {
            Disposition::Sale => LeadStatus::Sale,
            Disposition::NotInterested => LeadStatus::NotInterested,
            Disposition::Callback => LeadStatus::Callback,
        }
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status().as_str())
    }
}

/// A campaign's life-cycle status. Text form is snake_case.
///
/// `scheduled` is never stored: a started campaign reads as `scheduled`
/// while before its start date or outside its calling window (see
/// [`crate::campaign::Campaign::status_at`]), and as `active` otherwise.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Created, not started; leads can be imported.
    Draft,
    /// Started, but before its start date or outside its window.
    Scheduled,
    /// Started: the dialer works on it.
    Active,
    /// Paused: no new dials; calls in flight finish.
    Paused,
    /// Nothing was left to call.
    Completed,
    /// Stopped for good by a person.
    Cancelled,
    /// Deleted from lists; its history stays readable.
    Archived,
}

impl CampaignStatus {
    /// Every status.
    pub const ALL: [CampaignStatus; 7] = [
        CampaignStatus::Draft,
        CampaignStatus::Scheduled,
        CampaignStatus::Active,
        CampaignStatus::Paused,
        CampaignStatus::Completed,
        CampaignStatus::Cancelled,
        CampaignStatus::Archived,
    ];

    /// The snake_case name.
    pub const fn as_str(&self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Scheduled => "scheduled",
            CampaignStatus::Active => "active",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Completed => "completed",
            CampaignStatus::Cancelled => "cancelled",
            CampaignStatus::Archived => "archived",
        }
    }

    /// Started and not ended: `scheduled`, `active` or `paused`.
    pub const fn is_running(&self) -> bool {
        matches!(
            self,
            CampaignStatus::Scheduled | CampaignStatus::Active | CampaignStatus::Paused
        )
    }

    /// Over: `completed`, `cancelled` or `archived`.
    pub const fn is_ended(&self) -> bool {
        matches!(
            self,
            CampaignStatus::Completed | CampaignStatus::Cancelled | CampaignStatus::Archived
        )
    }
}

impl fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CampaignStatus {
    type Err = StatusError;

    fn from_str(input: &str) -> Result<Self, StatusError> {
        let text = input.trim();
        CampaignStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| StatusError::UnknownCampaignStatus { input: echo(input) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_match_serde() {
        for status in LeadStatus::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
            assert_eq!(status.as_str().parse::<LeadStatus>(), Ok(status));
        }
        for status in CampaignStatus::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
            assert_eq!(status.as_str().parse::<CampaignStatus>(), Ok(status));
        }
        for outcome in CallOutcome::ALL {
            assert_eq!(outcome.as_str().parse::<CallOutcome>(), Ok(outcome));
            assert_eq!(outcome.status().outcome(), Some(outcome));
        }
        assert!("ringing".parse::<LeadStatus>().is_err());
        assert!("Active".parse::<CampaignStatus>().is_err());
    }

    #[test]
    fn categories_under_the_default_policy() {
        let policy = RetryPolicy::default();
        let category = |s: LeadStatus| s.category(&policy);
        assert_eq!(category(LeadStatus::New), LeadCategory::Pending);
        assert_eq!(category(LeadStatus::Callback), LeadCategory::Pending);
        assert_eq!(category(LeadStatus::Queued), LeadCategory::InProgress);
        assert_eq!(category(LeadStatus::Dialing), LeadCategory::InProgress);
        for s in [
            LeadStatus::NoAnswer,
            LeadStatus::Busy,
            LeadStatus::Failed,
            LeadStatus::Dropped,
            LeadStatus::Congestion,
        ] {
            assert_eq!(category(s), LeadCategory::Recyclable, "{s}");
        }
        for s in [
            LeadStatus::Answered,
            LeadStatus::Cancelled,
            LeadStatus::Skipped,
            LeadStatus::Dnc,
            LeadStatus::Sale,
            LeadStatus::NotInterested,
        ] {
            assert_eq!(category(s), LeadCategory::Final, "{s}");
        }
    }

    #[test]
    fn an_outcome_the_policy_does_not_retry_is_final() {
        let policy = RetryPolicy::default()
            .with_statuses(&[LeadStatus::NoAnswer])
            .unwrap();
        assert_eq!(LeadStatus::Busy.category(&policy), LeadCategory::Final);
        assert_eq!(
            LeadStatus::NoAnswer.category(&policy),
            LeadCategory::Recyclable
        );
    }
}
