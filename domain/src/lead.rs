//! The lead aggregate: one person in one campaign, reachable on up to five
//! numbers (the main one first), and its calls.
//!
//! Each attempt dials the lead's next number in turn, skipping numbers
//! that cannot be dialed at that moment (`crate::eligibility` decides
//! which); attempts and the attempt maximum count per lead.
//!
//! A call is an attempt of a lead: `LeadDialed` opens it (call id, attempt
//! number), one call-ended event (or `CallReclaimed`) closes it. A lead has
//! at most one call in flight.
//!
//! ```text
//! new ──queue──▶ queued ──dial──▶ dialing ──result──▶ answered | no_answer | busy
//!  ▲               │                                  | failed | dropped | congestion
//!  │            unqueue (pause)                            │
//!  │               ▼                                       │ retry policy: queue again
//!  └──────── (status it was queued from) ◀─────────────────┘ after the delay
//! any non-final, not in flight ──cancel──▶ cancelled
//! any but queued/dialing/skipped/dnc ──recycle──▶ new (fresh round of attempts)
//! answered ──disposition──▶ sale | not_interested | callback (dialed again at its time)
//! any ──dnc──▶ dnc (never dialed again)
//! ```
//!
//! Provider callbacks are idempotent and order-safe: a result for a call
//! that already ended, or a "ringing" after the end, records nothing. The
//! first result of a call wins.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::campaign::Campaign;
use crate::eligibility::{eligibility, Eligibility};
use crate::error::DomainError;
use crate::events::{
    CallEnded, CallPlaced, CallReclaimed, Event, LeadCancelled, LeadDialed, LeadDispositioned,
    LeadMarkedDnc, LeadQueued, LeadRecycled, LeadUnqueued,
};
use crate::ids::{CallId, CampaignId, ContactId, LeadId};
use crate::phone::PhoneNumber;
use crate::policy::Owner;
use crate::status::{CallOutcome, Disposition, LeadCategory, LeadStatus};
use crate::text;
use crate::time::Zone;

/// How many recent dial times a lead remembers, for the daily cap and the
/// debt-collection cap. Above the largest cap allowed, so every cap is
/// always checkable.
const RECENT_DIALS_KEPT: usize = 64;
/// Numbers one lead may carry: the main one and four others.
pub const LEAD_PHONES_MAX: usize = 5;

/// A call that has been dialed and has not ended.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CallInFlight {
    /// The call.
    pub call_id: CallId,
    /// Which dial of the lead it is.
    pub attempt: u32,
    /// When it was dialed.
    pub dialed_at: DateTime<Utc>,
    /// The provider's id, once the provider accepted it.
    pub provider_call_id: Option<String>,
}

/// A lead as its events left it; also the lead view the API shows.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Lead {
    /// Its id.
    pub id: LeadId,
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// Its main number.
    pub phone: PhoneNumber,
    /// Its other numbers, in the order given.
    pub alt_phones: Vec<PhoneNumber>,
    /// Which of [`Lead::phones`] its last call dialed.
    pub last_phone_index: Option<u8>,
    /// The person's name.
    pub name: Option<String>,
    /// Higher is dialed first.
    pub priority: i32,
    /// Its own zone, when given at import.
    pub timezone: Option<Zone>,
    /// The saved contact it came from.
    pub contact_id: Option<ContactId>,
    /// Extra columns of the upload.
    pub fields: LeadFields,
    /// Position in the campaign's import order.
    pub sequence: u64,
    /// Its status.
    pub status: LeadStatus,
    /// The status it was in when queued (restored by an unqueue; the
    /// retry rules of a queued lead are those of this status).
    pub queued_from: Option<LeadStatus>,
    /// Dials so far (reset by a recycle that resets dial counts).
    pub dial_attempts: u32,
    /// Dials in the current round (since import or the last recycle);
    /// what `max_attempts` is checked against.
    pub round_attempts: u32,
    /// Calls answered.
    pub answered_count: u32,
    /// When a call to it was last answered.
    pub last_answered_at: Option<DateTime<Utc>>,
    /// When it was last dialed.
    pub last_dial_attempt: Option<DateTime<Utc>>,
    /// How its last call ended.
    pub dial_result: Option<CallOutcome>,
    /// When its last call ended.
    pub last_result_at: Option<DateTime<Utc>>,
    /// When its status last changed.
    pub last_status_change: DateTime<Utc>,
    /// For a callback: when to call back.
    pub callback_at: Option<DateTime<Utc>>,
    /// The call in flight, if any.
    pub in_flight: Option<CallInFlight>,
    /// Every call ever dialed, oldest first (bounded by the attempts the
    /// retry policy and recycles allow).
    pub calls: Vec<CallId>,
    /// Recent dial times, oldest first, for `attempts_per_day_max`.
    pub recent_dials: Vec<DateTime<Utc>>,
    /// When it was imported.
    pub imported_at: DateTime<Utc>,
}

/// A lead's extra columns, sorted by name. A boxed slice rather than a map:
/// most leads carry a handful of fields, and a map's node allocation would
/// dominate the memory of a million-lead campaign.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct LeadFields(Box<[(Box<str>, Box<str>)]>);

impl LeadFields {
    /// The value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(key, _)| (**key).cmp(name))
            .ok()
            .map(|i| &*self.0[i].1)
    }

    /// Every field, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&BTreeMap<String, String>> for LeadFields {
    fn from(fields: &BTreeMap<String, String>) -> Self {
        // A BTreeMap iterates in key order, which `get` relies on.
        LeadFields(
            fields
                .iter()
                .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
                .collect(),
        )
    }
}

impl serde::Serialize for LeadFields {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// Sort key for the hopper: smaller dials first. Dropped-call retries come
/// first; then higher `priority`; then leads with a name (named contacts)
/// before anonymous ones; then first in, first out by import sequence.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct DialOrder {
    tier: u8,
    priority: std::cmp::Reverse<i32>,
    unnamed: bool,
    sequence: u64,
}

impl Lead {
    /// Every number, the main one first.
    pub fn phones(&self) -> impl Iterator<Item = &PhoneNumber> + Clone {
        std::iter::once(&self.phone).chain(self.alt_phones.iter())
    }

    /// Every number with its index, in the order its next attempt tries
    /// them: from the one after the number last dialed, round.
    pub fn phones_in_turn(&self) -> impl Iterator<Item = (usize, &PhoneNumber)> {
        let count = 1 + self.alt_phones.len();
        let first = self
            .last_phone_index
            .map_or(0, |last| (usize::from(last) + 1) % count);
        let phones: Vec<&PhoneNumber> = self.phones().collect();
        (0..count).filter_map(move |offset| {
            let index = (first + offset) % count;
            phones.get(index).map(|phone| (index, *phone))
        })
    }

    /// Whether `phone` is one of its numbers.
    pub fn has_phone(&self, phone: &PhoneNumber) -> bool {
        self.phones().any(|own| own == phone)
    }

    /// The status whose rules apply: for a queued lead, the one it was
    /// queued from.
    pub fn effective_status(&self) -> LeadStatus {
        match (self.status, self.queued_from) {
            (LeadStatus::Queued, Some(from)) => from,
            (status, _) => status,
        }
    }

    /// Its category under its campaign's retry policy, attempts counted:
    /// a retried outcome with no attempts left in the round is final.
    pub fn category(&self, campaign: &Campaign) -> LeadCategory {
        let policy = &campaign.settings.retry;
        match self.status.category(policy) {
            LeadCategory::Recyclable if self.round_attempts >= policy.max_attempts() => {
                LeadCategory::Final
            }
            category => category,
        }
    }

    /// Its place in the hopper.
    pub fn dial_order(&self) -> DialOrder {
        let dropped_retry = self.effective_status() == LeadStatus::Dropped;
        DialOrder {
            tier: u8::from(!dropped_retry),
            priority: std::cmp::Reverse(self.priority),
            unnamed: self.name.is_none() && self.contact_id.is_none(),
            sequence: self.sequence,
        }
    }

    /// When it can next be dialed, as things stand at `now`: `now` if now,
    /// `None` if waiting will not do.
    pub fn next_eligible_at(
        &self,
        campaign: &Campaign,
        owner: &Owner<'_>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        match eligibility(self, campaign, owner, now) {
            Eligibility::Eligible => Some(now),
            Eligibility::NotBefore(at) => Some(at),
            Eligibility::Never(_) => None,
        }
    }

    /// Dials in the 24 hours before `now`.
    pub fn dials_in_day_before(&self, now: DateTime<Utc>) -> usize {
        let since = now - Duration::hours(24);
        self.recent_dials.iter().filter(|at| **at > since).count()
    }

    fn cancelled_or_barred(&self) -> Result<(), DomainError> {
        match self.status {
            LeadStatus::Dnc => Err(DomainError::LeadIsDnc(self.id)),
            LeadStatus::Skipped => Err(DomainError::LeadIsSkipped(self.id)),
            LeadStatus::Cancelled => Err(DomainError::LeadIsCancelled(self.id)),
            _ => Ok(()),
        }
    }

    fn not_in_flight(&self) -> Result<(), DomainError> {
        match &self.in_flight {
            Some(call) => Err(DomainError::CallInFlight {
                lead: self.id,
                call: call.call_id,
            }),
            None => Ok(()),
        }
    }

    fn not_final(&self, campaign: &Campaign) -> Result<(), DomainError> {
        if self.category(campaign) == LeadCategory::Final {
            return Err(DomainError::LeadIsFinal {
                id: self.id,
                status: self.status,
            });
        }
        Ok(())
    }
}

/// What the provider reported about a call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReportedCallState {
    /// Ringing: not an end, records nothing.
    Ringing,
    /// Connected, still going: not an end, records nothing.
    InProgress,
    /// Ended.
    Ended(CallOutcome),
}

/// A provider callback about one call.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CallReport {
    /// What happened.
    pub state: ReportedCallState,
    /// The provider's own status text. Cut to 512 bytes.
    pub provider_status: String,
    /// Call length in seconds, if given.
    pub duration_secs: Option<u32>,
    /// The provider's error text, if any. Cut to 512 bytes.
    pub error: Option<String>,
    /// The provider's id for the call, if given. Cut to 512 bytes.
    pub provider_call_id: Option<String>,
}

/// The disposition a person asks for (`dnc` included).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DispositionRequest {
    /// A sale.
    Sale,
    /// Not interested.
    NotInterested,
    /// Call back at `at`.
    Callback {
        /// When.
        at: DateTime<Utc>,
    },
    /// Never call again.
    Dnc,
}

impl DispositionRequest {
    /// From the API's `status` (`sale`, `not_interested`, `callback`,
    /// `dnc`) and `callback_at`.
    pub fn from_status(
        status: LeadStatus,
        callback_at: Option<DateTime<Utc>>,
    ) -> Result<Self, DomainError> {
        match (status, callback_at) {
            (LeadStatus::Sale, _) => Ok(DispositionRequest::Sale),
            (LeadStatus::NotInterested, _) => Ok(DispositionRequest::NotInterested),
            (LeadStatus::Dnc, _) => Ok(DispositionRequest::Dnc),
            (LeadStatus::Callback, Some(at)) => Ok(DispositionRequest::Callback { at }),
            (LeadStatus::Callback, None) => Err(DomainError::CallbackNeedsTime),
            (other, _) => Err(DomainError::NotADisposition(other)),
        }
    }
}

/// What can be asked of a lead.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum LeadCommand {
    /// Put it in the hopper. It must be eligible now.
    Queue,
    /// Take it out of the hopper undialed, back to the status it was
    /// queued from.
    Unqueue {
        /// Why, e.g. "campaign paused".
        reason: String,
    },
    /// Start a call to one of its numbers. It must be queued and eligible
    /// now.
    Dial {
        /// A new call id.
        call_id: CallId,
        /// The number to dial: one of the lead's.
        phone: PhoneNumber,
    },
    /// The provider accepted the call.
    RecordCallPlaced {
        /// The call.
        call_id: CallId,
        /// The provider's id for it. Cut to 512 bytes.
        provider_call_id: String,
    },
    /// A provider callback.
    RecordCallReport {
        /// The call.
        call_id: CallId,
        /// What the provider said.
        report: CallReport,
    },
    /// Give up on a call that never reported back.
    Reclaim {
        /// The call.
        call_id: CallId,
        /// How long after its dial a call counts as stale.
        stale_after: Duration,
        /// Why, e.g. "stale".
        reason: String,
    },
    /// Never dial it in this campaign.
    Cancel {
        /// Why.
        reason: String,
    },
    /// Back to `new` with a fresh round of attempts.
    Recycle {
        /// Also set its dial count back to 0.
        reset_dial_count: bool,
        /// Why.
        reason: String,
    },
    /// Record a disposition.
    Dispose {
        /// Which.
        disposition: DispositionRequest,
        /// A note.
        note: Option<String>,
    },
    /// Mark it do-not-call (e.g. its number was added to the list).
    MarkDnc {
        /// Why.
        reason: String,
    },
}

/// Decides what a command on a lead records, under its campaign's rules,
/// for an owner whose cross-campaign facts are not at hand
/// ([`Owner::detached`]). Queueing and dialing need them: the dialer and
/// the plans that queue decide those with [`decide_with`].
pub fn decide(
    lead: &Lead,
    campaign: &Campaign,
    command: LeadCommand,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    decide_with(lead, campaign, &Owner::detached(), command, now)
}

/// Decides what a command on a lead records, under its campaign's rules
/// and its owner's (contact policy, do-not-call list, dials of each number
/// across campaigns).
pub fn decide_with(
    lead: &Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
    command: LeadCommand,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    if lead.campaign_id != campaign.id {
        return Err(DomainError::LeadOfOtherCampaign {
            lead: lead.id,
            actual: lead.campaign_id,
            expected: campaign.id,
        });
    }
    let ids = (lead.campaign_id, lead.id);
    match command {
        LeadCommand::Queue => queue(lead, campaign, owner, now),
        LeadCommand::Unqueue { reason } => {
            let reason = required_reason(&reason)?;
            match (lead.status, lead.queued_from) {
                (LeadStatus::Queued, from) => Ok(vec![Event::LeadUnqueued(LeadUnqueued {
                    campaign_id: ids.0,
                    lead_id: ids.1,
                    restored: from.unwrap_or(LeadStatus::New),
                    reason,
                    at: now,
                })]),
                (status, _) => Err(DomainError::LeadNotQueued {
                    id: lead.id,
                    status,
                }),
            }
        }
        LeadCommand::Dial { call_id, phone } => dial(lead, campaign, owner, call_id, phone, now),
        LeadCommand::RecordCallPlaced {
            call_id,
            provider_call_id,
        } => record_placed(lead, call_id, &provider_call_id, now),
        LeadCommand::RecordCallReport { call_id, report } => {
            record_report(lead, call_id, report, now)
        }
        LeadCommand::Reclaim {
            call_id,
            stale_after,
            reason,
        } => reclaim(lead, call_id, stale_after, &reason, now),
        LeadCommand::Cancel { reason } => {
            let reason = required_reason(&reason)?;
            lead.not_in_flight()?;
            lead.cancelled_or_barred()?;
            lead.not_final(campaign)?;
            Ok(vec![Event::LeadCancelled(LeadCancelled {
                campaign_id: ids.0,
                lead_id: ids.1,
                from: lead.status,
                reason,
                at: now,
            })])
        }
        LeadCommand::Recycle {
            reset_dial_count,
            reason,
        } => {
            let reason = required_reason(&reason)?;
            campaign.ensure_open()?;
            lead.not_in_flight()?;
            if !lead.status.is_manually_recyclable() {
                return Err(DomainError::StatusNotRecyclable(lead.status));
            }
            Ok(vec![Event::LeadRecycled(LeadRecycled {
                campaign_id: ids.0,
                lead_id: ids.1,
                from: lead.status,
                to: LeadStatus::New,
                reset_dial_count,
                reason,
                at: now,
            })])
        }
        LeadCommand::Dispose { disposition, note } => dispose(lead, disposition, note, now),
        LeadCommand::MarkDnc { reason } => mark_dnc(lead, &reason, now),
    }
}

fn required_reason(reason: &str) -> Result<String, DomainError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(crate::error::SettingsError::Empty { field: "reason" }.into());
    }
    text::check_len("reason", reason, text::REASON_BYTES_MAX)?;
    Ok(reason.to_owned())
}

/// The error for a lead that may not be dialed now, or `Ok` when it may.
pub(crate) fn not_eligible(lead: &Lead, eligibility: Eligibility) -> Result<(), DomainError> {
    match eligibility {
        Eligibility::Eligible => Ok(()),
        Eligibility::NotBefore(until) => {
            Err(DomainError::LeadNotYetEligible { id: lead.id, until })
        }
        Eligibility::Never(reason) => Err(DomainError::LeadNotEligible {
            id: lead.id,
            reason,
        }),
    }
}

fn queue(
    lead: &Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    lead.not_in_flight()?;
    lead.cancelled_or_barred()?;
    if lead.status == LeadStatus::Queued {
        return Err(DomainError::LeadAlreadyQueued(lead.id));
    }
    lead.not_final(campaign)?;
    not_eligible(lead, eligibility(lead, campaign, owner, now))?;
    Ok(vec![Event::LeadQueued(LeadQueued {
        campaign_id: lead.campaign_id,
        lead_id: lead.id,
        from: lead.status,
        at: now,
    })])
}

fn dial(
    lead: &Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
    call_id: CallId,
    phone: PhoneNumber,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    lead.not_in_flight()?;
    lead.cancelled_or_barred()?;
    lead.not_final(campaign)?;
    if lead.status != LeadStatus::Queued {
        return Err(DomainError::LeadNotQueued {
            id: lead.id,
            status: lead.status,
        });
    }
    if lead.calls.contains(&call_id) {
        return Err(DomainError::DuplicateCallId(call_id));
    }
    if !lead.has_phone(&phone) {
        return Err(DomainError::NotTheLeadsNumber { id: lead.id, phone });
    }
    not_eligible(lead, eligibility(lead, campaign, owner, now))?;
    if !crate::eligibility::number_dialable(lead, campaign, owner, &phone, now) {
        return Err(DomainError::NumberNotDialable { id: lead.id, phone });
    }
    Ok(vec![Event::LeadDialed(LeadDialed {
        campaign_id: lead.campaign_id,
        lead_id: lead.id,
        call_id,
        attempt: lead.dial_attempts + 1,
        phone,
        at: now,
    })])
}

/// Whether `call_id` is the call in flight (`Some(true)`), a call that
/// already ended (`Some(false)`), or not a call of this lead (`None`).
fn call_is_in_flight(lead: &Lead, call_id: CallId) -> Option<bool> {
    if lead
        .in_flight
        .as_ref()
        .is_some_and(|call| call.call_id == call_id)
    {
        Some(true)
    } else if lead.calls.contains(&call_id) {
        Some(false)
    } else {
        None
    }
}

fn unknown_call(lead: &Lead, call_id: CallId) -> DomainError {
    DomainError::UnknownCall {
        lead: lead.id,
        call: call_id,
    }
}

fn record_placed(
    lead: &Lead,
    call_id: CallId,
    provider_call_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    let provider_call_id = text::truncate(provider_call_id.trim(), text::PROVIDER_TEXT_BYTES_MAX);
    match call_is_in_flight(lead, call_id) {
        None => Err(unknown_call(lead, call_id)),
        // A call that ended already carries the provider's id on its result
        // if the provider gave one; an acceptance arriving late adds nothing.
        Some(false) => Ok(Vec::new()),
        Some(true) => {
            let known = lead
                .in_flight
                .as_ref()
                .and_then(|call| call.provider_call_id.as_deref());
            if known == Some(provider_call_id.as_str()) || provider_call_id.is_empty() {
                return Ok(Vec::new());
            }
            Ok(vec![Event::CallPlaced(CallPlaced {
                campaign_id: lead.campaign_id,
                lead_id: lead.id,
                call_id,
                provider_call_id,
                at: now,
            })])
        }
    }
}

fn record_report(
    lead: &Lead,
    call_id: CallId,
    report: CallReport,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    let in_flight = call_is_in_flight(lead, call_id).ok_or_else(|| unknown_call(lead, call_id))?;
    let ReportedCallState::Ended(outcome) = report.state else {
        // Progress reports carry nothing the log needs, and one arriving
        // after the end must not reopen the call.
        return Ok(Vec::new());
    };
    if !in_flight {
        return Ok(Vec::new());
    }
    let cut = |text: &str| text::truncate(text.trim(), text::PROVIDER_TEXT_BYTES_MAX);
    let provider_call_id = report.provider_call_id.as_deref().map(cut).or_else(|| {
        lead.in_flight
            .as_ref()
            .and_then(|call| call.provider_call_id.clone())
    });
    Ok(vec![Event::call_ended(
        outcome,
        CallEnded {
            campaign_id: lead.campaign_id,
            lead_id: lead.id,
            call_id,
            provider_status: cut(&report.provider_status),
            duration_secs: report.duration_secs,
            error: report.error.as_deref().map(cut),
            provider_call_id,
            at: now,
        },
    )])
}

fn reclaim(
    lead: &Lead,
    call_id: CallId,
    stale_after: Duration,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    let reason = required_reason(reason)?;
    let Some(call) = &lead.in_flight else {
        if lead.calls.contains(&call_id) {
            return Ok(Vec::new());
        }
        return Err(DomainError::NoCallInFlight(lead.id));
    };
    match call_is_in_flight(lead, call_id) {
        None => return Err(unknown_call(lead, call_id)),
        Some(false) => return Ok(Vec::new()),
        Some(true) => {}
    }
    let stale_at = call.dialed_at + stale_after;
    if now < stale_at {
        return Err(DomainError::CallNotStale {
            call: call_id,
            stale_at,
        });
    }
    Ok(vec![Event::CallReclaimed(CallReclaimed {
        campaign_id: lead.campaign_id,
        lead_id: lead.id,
        call_id,
        dialed_at: call.dialed_at,
        reason,
        at: now,
    })])
}

fn dispose(
    lead: &Lead,
    disposition: DispositionRequest,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    let (disposition, callback_at) = match disposition {
        DispositionRequest::Dnc => return mark_dnc(lead, "disposition", now),
        DispositionRequest::Sale => (Disposition::Sale, None),
        DispositionRequest::NotInterested => (Disposition::NotInterested, None),
        DispositionRequest::Callback { at } => {
            if at <= now {
                return Err(DomainError::CallbackNotInFuture(at));
            }
            (Disposition::Callback, Some(at))
        }
    };
    let note = text::optional("note", note.as_deref(), text::NOTE_BYTES_MAX)?;
    lead.not_in_flight()?;
    lead.cancelled_or_barred()?;
    if lead.answered_count == 0 {
        return Err(DomainError::LeadNotAnswered(lead.id));
    }
    Ok(vec![Event::LeadDispositioned(LeadDispositioned {
        campaign_id: lead.campaign_id,
        lead_id: lead.id,
        disposition,
        callback_at,
        note,
        at: now,
    })])
}

fn mark_dnc(lead: &Lead, reason: &str, now: DateTime<Utc>) -> Result<Vec<Event>, DomainError> {
    let reason = required_reason(reason)?;
    if lead.status == LeadStatus::Dnc {
        return Ok(Vec::new());
    }
    Ok(vec![Event::LeadMarkedDnc(LeadMarkedDnc {
        campaign_id: lead.campaign_id,
        lead_id: lead.id,
        reason,
        at: now,
    })])
}

/// Applies one event. Events of other leads and of other aggregates leave
/// the state as it is.
pub fn evolve(state: Option<Lead>, event: &Event) -> Option<Lead> {
    if let Event::LeadImported(imported) = event {
        return match state {
            Some(existing) => Some(existing),
            None => Some(Lead {
                id: imported.lead_id,
                campaign_id: imported.campaign_id,
                phone: imported.phone.clone(),
                alt_phones: imported.alt_phones.clone(),
                last_phone_index: None,
                name: imported.name.clone(),
                priority: imported.priority,
                timezone: imported.timezone,
                contact_id: imported.contact_id,
                fields: LeadFields::from(&imported.fields),
                sequence: imported.sequence,
                status: LeadStatus::New,
                queued_from: None,
                dial_attempts: 0,
                round_attempts: 0,
                answered_count: 0,
                last_answered_at: None,
                last_dial_attempt: None,
                dial_result: None,
                last_result_at: None,
                last_status_change: imported.at,
                callback_at: None,
                in_flight: None,
                calls: Vec::new(),
                recent_dials: Vec::new(),
                imported_at: imported.at,
            }),
        };
    }
    let mut lead = state?;
    evolve_in_place(&mut lead, event);
    Some(lead)
}

/// [`evolve`] for a lead that exists, changing it in place (no copy): what
/// a projection folding millions of events wants. An import of an existing
/// lead, or another lead's event, changes nothing.
pub fn evolve_in_place(lead: &mut Lead, event: &Event) {
    if matches!(event, Event::LeadImported(_)) || event.lead_id() != Some(lead.id) {
        return;
    }
    apply(lead, event);
}

fn set_status(lead: &mut Lead, status: LeadStatus, at: DateTime<Utc>) {
    if lead.status != status {
        lead.status = status;
        lead.last_status_change = at;
    }
    if status != LeadStatus::Queued {
        lead.queued_from = None;
    }
}

fn apply(lead: &mut Lead, event: &Event) {
    match event {
        Event::LeadSkipped(e) => set_status(lead, LeadStatus::Skipped, e.at),
        Event::LeadQueued(e) => {
            lead.queued_from = Some(e.from);
            set_status(lead, LeadStatus::Queued, e.at);
        }
        Event::LeadUnqueued(e) => set_status(lead, e.restored, e.at),
        Event::LeadDialed(e) => {
            lead.dial_attempts = e.attempt;
            lead.round_attempts += 1;
            lead.last_dial_attempt = Some(e.at);
            lead.callback_at = None;
            lead.in_flight = Some(CallInFlight {
                call_id: e.call_id,
                attempt: e.attempt,
                dialed_at: e.at,
                provider_call_id: None,
            });
            lead.calls.push(e.call_id);
            let index = lead.phones().position(|phone| *phone == e.phone);
            lead.last_phone_index = index.and_then(|index| u8::try_from(index).ok());
            lead.recent_dials.push(e.at);
            if lead.recent_dials.len() > RECENT_DIALS_KEPT {
                lead.recent_dials.remove(0);
            }
            set_status(lead, LeadStatus::Dialing, e.at);
        }
        Event::CallPlaced(e) => {
            if let Some(call) = lead.in_flight.as_mut().filter(|c| c.call_id == e.call_id) {
                call.provider_call_id = Some(e.provider_call_id.clone());
            }
        }
        Event::CallReclaimed(e) => end_call(lead, e.call_id, CallOutcome::Failed, e.at),
        Event::LeadCancelled(e) => set_status(lead, LeadStatus::Cancelled, e.at),
        Event::LeadRecycled(e) => {
            lead.round_attempts = 0;
            if e.reset_dial_count {
                lead.dial_attempts = 0;
            }
            lead.callback_at = None;
            set_status(lead, e.to, e.at);
        }
        Event::LeadDispositioned(e) => {
            lead.callback_at = e.callback_at;
            set_status(lead, e.disposition.status(), e.at);
        }
        Event::LeadMarkedDnc(e) => set_status(lead, LeadStatus::Dnc, e.at),
        other => {
            if let Some((outcome, ended)) = other.as_call_ended() {
                end_call(lead, ended.call_id, outcome, ended.at);
            }
        }
    }
}

fn end_call(lead: &mut Lead, call_id: CallId, outcome: CallOutcome, at: DateTime<Utc>) {
    if lead.in_flight.as_ref().map(|call| call.call_id) != Some(call_id) {
        return;
    }
    lead.in_flight = None;
    lead.dial_result = Some(outcome);
    lead.last_result_at = Some(at);
    if outcome == CallOutcome::Answered {
        lead.answered_count += 1;
        lead.last_answered_at = Some(at);
    }
    // A lead marked do-not-call while its call was ringing stays
    // do-not-call; only a lead still dialing takes the outcome's status.
    if lead.status == LeadStatus::Dialing {
        set_status(lead, outcome.status(), at);
    }
}

/// Folds a lead stream from its start.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Lead> {
    events.into_iter().fold(None, evolve)
}

#[cfg(test)]
mod tests;
