//! The dialer's decisions, one lead at a time.
//!
//! The dialer picks which leads get the free slots (`allocation`, the
//! hopper); for each lead it picked, and for each word a provider sends
//! back about a call, the decision of what that means is made here:
//!
//! - a picked lead is queued (if it is not already) and dialed in one
//!   decision, so the hopper never holds a lead the dialer forgot;
//! - the number dialed is the lead's next number in turn that may be
//!   dialed now (`crate::eligibility::number_to_dial`);
//! - a picked lead all of whose numbers are on its owner's do-not-call
//!   list is marked do-not-call instead, and no call starts: the list is
//!   checked again at dial time, whatever the hopper said when the lead
//!   was picked;
//! - a call the provider refused is a failed call, carrying the provider's
//!   message;
//! - only the first word on a call's end counts: a second end, or an
//!   acceptance after the end, records nothing.

use chrono::{DateTime, Utc};

use crate::campaign::Campaign;
use crate::eligibility::number_to_dial;
use crate::error::DomainError;
use crate::events::Event;
use crate::ids::CallId;
use crate::lead::{self, CallReport, Lead, LeadCommand, ReportedCallState};
use crate::policy::Owner;
use crate::status::{CallOutcome, LeadStatus};

/// The reason recorded when the do-not-call list stops a dial.
pub const DNC_AT_DIAL_REASON: &str = "on the do-not-call list at dial time";
/// The provider status recorded for a call the provider refused.
pub const REFUSED_PROVIDER_STATUS: &str = "refused";

/// What a provider said about a call.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ProviderSignal {
    /// It accepted the call, under its own id.
    Placed { provider_call_id: String },
    /// It refused to place the call.
    Refused { error: String },
    /// The call ended (or made progress).
    Report(CallReport),
}

/// Dials `lead` now with `call_id`: queue-then-dial its next dialable
/// number, or do-not-call when every number is on `owner`'s list.
pub fn dial_now(
    lead: &Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
    call_id: CallId,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    if lead.phones().all(|phone| owner.is_dnc(phone)) {
        let reason = DNC_AT_DIAL_REASON.to_owned();
        return lead::decide_with(lead, campaign, owner, LeadCommand::MarkDnc { reason }, now);
    }
    let phone = match number_to_dial(lead, campaign, owner, now) {
        Ok(phone) => phone,
        Err(verdict) => {
            lead::not_eligible(lead, verdict)?;
            return Err(DomainError::LeadNotYetEligible {
                id: lead.id,
                until: now,
            });
        }
    };
    let mut events = Vec::new();
    let mut current = lead.clone();
    if current.status != LeadStatus::Queued {
        let queued = lead::decide_with(&current, campaign, owner, LeadCommand::Queue, now)?;
        for event in &queued {
            lead::evolve_in_place(&mut current, event);
        }
        events.extend(queued);
    }
    events.extend(lead::decide_with(
        &current,
        campaign,
        owner,
        LeadCommand::Dial { call_id, phone },
        now,
    )?);
    Ok(events)
}

/// Records what a provider said about `call_id` at `at`.
pub fn record_signal(
    lead: &Lead,
    campaign: &Campaign,
    call_id: CallId,
    signal: ProviderSignal,
    at: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    let command = match signal {
        ProviderSignal::Placed { provider_call_id } => LeadCommand::RecordCallPlaced {
            call_id,
            provider_call_id,
        },
        ProviderSignal::Refused { error } => LeadCommand::RecordCallReport {
            call_id,
            report: refused(error),
        },
        ProviderSignal::Report(report) => LeadCommand::RecordCallReport { call_id, report },
    };
    lead::decide(lead, campaign, command, at)
}

/// A refusal as a call report: the call failed, with the provider's
/// message.
fn refused(error: String) -> CallReport {
    CallReport {
        state: ReportedCallState::Ended(CallOutcome::Failed),
        provider_status: REFUSED_PROVIDER_STATUS.to_owned(),
        duration_secs: None,
        error: Some(error),
        provider_call_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{CallEnded, LeadDialed, LeadMarkedDnc, LeadQueued};
    use crate::testkit::*;

    #[test]
    fn a_picked_lead_is_queued_and_dialed_in_one_decision() {
        // given an active campaign with a new lead
        let (campaign, lead) = active_with_one_lead();
        // when the dialer dials it
        let events = dial_now(&lead, &campaign, &Owner::detached(), call_id(1), t0()).unwrap();
        // then it is queued, then dialed as attempt 1
        assert_eq!(
            events,
            vec![
                Event::LeadQueued(LeadQueued {
                    campaign_id: campaign.id,
                    lead_id: lead.id,
                    from: LeadStatus::New,
                    at: t0(),
                }),
                Event::LeadDialed(LeadDialed {
                    campaign_id: campaign.id,
                    lead_id: lead.id,
                    call_id: call_id(1),
                    attempt: 1,
                    phone: lead.phone.clone(),
                    at: t0(),
                }),
            ]
        );
    }

    #[test]
    fn a_queued_lead_is_only_dialed() {
        let (campaign, lead) = active_with_one_lead();
        let queued = run(&lead, &campaign, LeadCommand::Queue, t0());
        let events = dial_now(&queued, &campaign, &Owner::detached(), call_id(1), t0()).unwrap();
        assert!(matches!(events.as_slice(), [Event::LeadDialed(_)]));
    }

    #[test]
    fn a_number_on_the_dnc_list_at_dial_time_is_marked_and_not_dialed() {
        // given a lead picked from the hopper whose number was added to
        // the do-not-call list since
        let (campaign, lead) = active_with_one_lead();
        let queued = run(&lead, &campaign, LeadCommand::Queue, t0());
        // when the dialer dials it
        let policy = crate::policy::ContactPolicy::default();
        let dnc = std::collections::BTreeSet::from([lead.phone.clone()]);
        let owner = Owner {
            policy: &policy,
            dnc: &dnc,
            numbers: &crate::policy::NoHistory,
        };
        let events = dial_now(&queued, &campaign, &owner, call_id(1), t0()).unwrap();
        // then it is marked do-not-call, and no call starts
        assert_eq!(
            events,
            vec![Event::LeadMarkedDnc(LeadMarkedDnc {
                campaign_id: campaign.id,
                lead_id: lead.id,
                reason: DNC_AT_DIAL_REASON.into(),
                at: t0(),
            })]
        );
    }

    #[test]
    fn a_lead_that_is_not_eligible_is_not_dialed() {
        // given a lead whose call is still in flight
        let (campaign, lead) = active_with_one_lead();
        let dialing = dialed(&lead, &campaign, call_id(1), t0());
        // when the dialer would dial it again, then the domain refuses
        assert!(dial_now(&dialing, &campaign, &Owner::detached(), call_id(2), t0()).is_err());
    }

    #[test]
    fn a_refused_call_is_a_failed_call_with_the_providers_message() {
        let (campaign, lead) = active_with_one_lead();
        let dialing = dialed(&lead, &campaign, call_id(1), t0());
        let refusal = ProviderSignal::Refused {
            error: "invalid number".into(),
        };
        let events = record_signal(&dialing, &campaign, call_id(1), refusal, t0()).unwrap();
        assert_eq!(
            events,
            vec![Event::CallFailed(CallEnded {
                provider_status: REFUSED_PROVIDER_STATUS.into(),
                error: Some("invalid number".into()),
                ..call_ended(&dialing, call_id(1), t0())
            })]
        );
        assert_eq!(then_lead(&dialing, &events).status, LeadStatus::Failed);
    }

    #[test]
    fn only_the_first_word_on_a_calls_end_counts() {
        // given a call that ended answered
        let (campaign, lead) = active_with_one_lead();
        let dialing = dialed(&lead, &campaign, call_id(1), t0());
        let first = ProviderSignal::Report(ended(CallOutcome::Answered));
        let events = record_signal(&dialing, &campaign, call_id(1), first, t0()).unwrap();
        let ended_lead = then_lead(&dialing, &events);
        // when a second end (busy) and a late acceptance arrive
        let second = ProviderSignal::Report(ended(CallOutcome::Busy));
        let late = ProviderSignal::Placed {
            provider_call_id: "prov-2".into(),
        };
        // then neither records anything
        for signal in [second, late] {
            let events = record_signal(&ended_lead, &campaign, call_id(1), signal, t0()).unwrap();
            assert!(events.is_empty());
        }
        assert_eq!(ended_lead.status, LeadStatus::Answered);
    }

    #[test]
    fn a_word_on_a_call_the_lead_never_had_is_refused() {
        let (campaign, lead) = active_with_one_lead();
        let signal = ProviderSignal::Report(ended(CallOutcome::Answered));
        assert!(record_signal(&lead, &campaign, call_id(9), signal, t0()).is_err());
    }
}
