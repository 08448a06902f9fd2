//! Errors. Values that parse themselves have their own error enums; the
//! decisions of the aggregates return [`DomainError`]. Every message says
//! what was wrong and, where it helps, what to do instead. Rejected input is
//! echoed back cut to 64 characters.

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::eligibility::NeverReason;
use crate::ids::{CallId, CampaignId, ContactId, LeadId, SubscriptionId, UserId};
use crate::phone::PhoneNumber;
use crate::status::{CampaignStatus, LeadStatus};

/// An id that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    /// Not the prefix plus 32 lower-case hex digits.
    #[error(
        "`{input}` is not a {kind} id: expected `{prefix}` followed by 32 lower-case hex digits"
    )]
    Malformed {
        /// What kind of id was expected.
        kind: &'static str,
        /// The expected prefix.
        prefix: &'static str,
        /// The rejected input.
        input: String,
    },
}

/// A phone number that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    /// Nothing was given.
    #[error("the phone number is empty")]
    Empty,
    /// A letter or symbol that no phone number holds.
    #[error("`{input}` is not a phone number: `{character}` is not allowed (use digits, an optional leading +, spaces, dashes, dots or parentheses)")]
    InvalidCharacter {
        /// The first offending character.
        character: char,
        /// The rejected input.
        input: String,
    },
    /// Too few digits.
    #[error("`{input}` is too short to be a phone number")]
    TooShort {
        /// The rejected input.
        input: String,
    },
    /// Too many digits.
    #[error("`{input}` is too long to be a phone number")]
    TooLong {
        /// The rejected input.
        input: String,
    },
    /// No country code and no default region to read it with.
    #[error("`{input}` has no country code: write it as +<country code><number>, or set the campaign's default region")]
    MissingCountryCode {
        /// The rejected input.
        input: String,
    },
    /// A country code that does not exist.
    #[error("`{input}` starts with a country code that does not exist")]
    UnknownCountryCode {
        /// The rejected input.
        input: String,
    },
    /// No digits that could be a number.
    #[error("`{input}` is not a phone number")]
    NotANumber {
        /// The rejected input.
        input: String,
    },
    /// A plausible length, but not a number in service in its country.
    #[error("`{input}` is not a valid phone number for its country")]
    Invalid {
        /// The rejected input.
        input: String,
    },
    /// A region that is not an ISO 3166-1 alpha-2 code the phone metadata
    /// knows.
    #[error("`{input}` is not a known region: use a two-letter country code such as IN or US")]
    UnknownRegion {
        /// The rejected input.
        input: String,
    },
}

/// A time zone, time of day or date that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimeError {
    /// Not an IANA zone name.
    #[error("`{input}` is not a known time zone: use an IANA name such as Asia/Kolkata or America/New_York")]
    UnknownZone {
        /// The rejected input.
        input: String,
    },
    /// Not `HH:MM` or `HH:MM:SS` on a 24-hour clock.
    #[error("`{input}` is not a time of day: use HH:MM on a 24-hour clock, e.g. 09:00 or 18:30")]
    BadTimeOfDay {
        /// The rejected input.
        input: String,
    },
    /// Not `YYYY-MM-DD`.
    #[error("`{input}` is not a date: use YYYY-MM-DD, e.g. 2026-11-21")]
    BadDate {
        /// The rejected input.
        input: String,
    },
}

/// A status or outcome name that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StatusError {
    /// Not a lead status.
    #[error("`{input}` is not a lead status (new, queued, dialing, answered, no_answer, busy, failed, dropped, congestion, cancelled, skipped, dnc, sale, not_interested, callback)")]
    UnknownLeadStatus {
        /// The rejected input.
        input: String,
    },
    /// Not a call outcome.
    #[error(
        "`{input}` is not a call outcome (answered, no_answer, busy, failed, dropped, congestion)"
    )]
    UnknownOutcome {
        /// The rejected input.
        input: String,
    },
    /// Not a campaign status.
    #[error("`{input}` is not a campaign status (draft, scheduled, active, paused, completed, cancelled, archived)")]
    UnknownCampaignStatus {
        /// The rejected input.
        input: String,
    },
}

/// An actor that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ActorError {
    /// Not `user:<id>`, `provider:<name>`, `system:<name>` or `admin`.
    #[error("`{input}` is not an actor: expected user:<user id>, provider:<name>, system:<name> or admin")]
    Malformed {
        /// The rejected input.
        input: String,
    },
    /// A provider or system name outside `[a-z0-9_-]{1,64}`.
    #[error(
        "`{input}` is not a valid actor name: use 1 to 64 lower-case letters, digits, `_` or `-`"
    )]
    BadName {
        /// The rejected input.
        input: String,
    },
}

/// A setting out of its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SettingsError {
    /// A delay per status for a status that has none (`dropped`, or one
    /// that is never retried).
    #[error("retry.delay_minutes_by_status cannot set `{status}`: only retried statuses other than dropped (which has dropped_delay_minutes) have their own delay")]
    StatusDelayNotAllowed {
        /// The status.
        status: crate::status::LeadStatus,
    },
    /// `max_attempts` outside 1..=max.
    #[error("max attempts must be between 1 and {max}, not {value}")]
    MaxAttemptsOutOfRange {
        /// The value given.
        value: u32,
        /// The largest allowed.
        max: u32,
    },
    /// A retry status that is not a retryable call outcome.
    #[error("`{status}` cannot be retried automatically: only no_answer, busy, failed, dropped and congestion can")]
    StatusNotRetryable {
        /// The status given.
        status: LeadStatus,
    },
    /// A delay longer than allowed.
    #[error("the {what} must be at most {max} minutes, not {minutes}")]
    DelayTooLong {
        /// Which delay.
        what: &'static str,
        /// The value given.
        minutes: u32,
        /// The largest allowed.
        max: u32,
    },
    /// `attempts_per_day_max` outside 1..=max.
    #[error("attempts per day must be between 1 and {max}, not {value}")]
    AttemptsPerDayOutOfRange {
        /// The value given.
        value: u32,
        /// The largest allowed.
        max: u32,
    },
    /// An empty or blank name.
    #[error("the {field} must not be empty")]
    Empty {
        /// Which field.
        field: &'static str,
    },
    /// Text longer than allowed.
    #[error("the {field} must be at most {max_bytes} bytes long")]
    TextTooLong {
        /// Which field.
        field: &'static str,
        /// The longest allowed, in bytes.
        max_bytes: usize,
    },
    /// Too many free-form fields.
    #[error("at most {max} {field} are allowed")]
    TooMany {
        /// Which collection.
        field: &'static str,
        /// The most allowed.
        max: usize,
    },
    /// A cap of a contact policy out of range.
    #[error("a cap per number must allow 1 to {calls_max_limit} calls in 1 to {window_hours_max} hours, not {calls_max} in {window_hours}")]
    CapOutOfRange {
        /// Calls given.
        calls_max: u32,
        /// Hours given.
        window_hours: u32,
        /// The most calls allowed.
        calls_max_limit: u32,
        /// The longest window allowed.
        window_hours_max: u32,
    },
    /// A concurrent calls limit outside 1..=max.
    #[error("the concurrent calls limit must be between 1 and {max}, not {value}")]
    ConcurrentCallsOutOfRange {
        /// The value given.
        value: u32,
        /// The largest allowed.
        max: u32,
    },
    /// A pacing delay longer than allowed.
    #[error("the delay between dials must be at most {max_ms} ms, not {value_ms}")]
    PacingTooLong {
        /// The value given.
        value_ms: u32,
        /// The largest allowed.
        max_ms: u32,
    },
}

/// A command that the current state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// A setting or text field is out of range.
    #[error(transparent)]
    Settings(#[from] SettingsError),

    // --- campaigns ---
    /// A dial of a number that is not the lead's.
    #[error("{phone} is not a number of lead {id}")]
    NotTheLeadsNumber {
        /// The lead.
        id: LeadId,
        /// The number.
        phone: crate::phone::PhoneNumber,
    },
    /// A dial of a number that may not be dialed now (do-not-call, capped,
    /// outside its hours).
    #[error("{phone} of lead {id} may not be dialed now")]
    NumberNotDialable {
        /// The lead.
        id: LeadId,
        /// The number.
        phone: crate::phone::PhoneNumber,
    },
    /// No such campaign.
    #[error("campaign {0} does not exist")]
    CampaignNotFound(CampaignId),
    /// A campaign with this id exists already.
    #[error("campaign {0} already exists")]
    CampaignExists(CampaignId),
    /// Start on a campaign that is active, scheduled or paused.
    #[error("campaign {id} is already running ({status}); pause or resume it instead")]
    CampaignAlreadyRunning {
        /// The campaign.
        id: CampaignId,
        /// Its status.
        status: CampaignStatus,
    },
    /// Start on a campaign without leads.
    #[error("campaign {0} has no leads: import leads before starting it")]
    CampaignHasNoLeads(CampaignId),
    /// Start on a campaign whose leads are all done or barred.
    #[error("campaign {id} has {total} leads but none can be called (all are final, skipped or do-not-call): import or recycle leads first")]
    CampaignHasNoCallableLeads {
        /// The campaign.
        id: CampaignId,
        /// Its leads.
        total: usize,
    },
    /// A command that a cancelled campaign does not take.
    #[error("campaign {0} is cancelled; create a new campaign instead")]
    CampaignCancelled(CampaignId),
    /// A command that an archived campaign does not take.
    #[error("campaign {0} is archived; its history is read-only")]
    CampaignArchived(CampaignId),
    /// A command that a completed campaign does not take.
    #[error("campaign {0} is completed; recycle leads and start it again to call more")]
    CampaignCompleted(CampaignId),
    /// Pause (or complete) on a campaign that is not active.
    #[error("campaign {id} is {status}, not active")]
    CampaignNotActive {
        /// The campaign.
        id: CampaignId,
        /// Its status.
        status: CampaignStatus,
    },
    /// Resume on a campaign that is not paused.
    #[error("campaign {id} is {status}, not paused; only a paused campaign can be resumed")]
    CampaignNotPaused {
        /// The campaign.
        id: CampaignId,
        /// Its status.
        status: CampaignStatus,
    },
    /// Archive on a campaign that is still running.
    #[error("campaign {id} is {status}; cancel it before archiving it")]
    CampaignStillRunning {
        /// The campaign.
        id: CampaignId,
        /// Its status.
        status: CampaignStatus,
    },
    /// Complete on a campaign that still has leads to call.
    #[error("campaign {id} still has {remaining} leads to call")]
    CampaignHasWork {
        /// The campaign.
        id: CampaignId,
        /// Leads still pending, in progress or to be retried.
        remaining: usize,
    },
    /// A lead handed in with a campaign it does not belong to.
    #[error("lead {lead} belongs to campaign {actual}, not {expected}")]
    LeadOfOtherCampaign {
        /// The lead.
        lead: LeadId,
        /// Its campaign.
        actual: CampaignId,
        /// The campaign it was handed in with.
        expected: CampaignId,
    },
    /// More rows in one import than allowed.
    #[error("{rows} rows is more than {max} in one import; split the file")]
    TooManyRows {
        /// Rows given.
        rows: usize,
        /// Most allowed.
        max: usize,
    },

    // --- leads ---
    /// No such lead.
    #[error("lead {0} does not exist")]
    LeadNotFound(LeadId),
    /// Queue on a lead that is in the hopper already.
    #[error("lead {0} is already queued")]
    LeadAlreadyQueued(LeadId),
    /// Dial or unqueue on a lead that is not queued.
    #[error("lead {id} is {status}, not queued: only a queued lead can be dialed")]
    LeadNotQueued {
        /// The lead.
        id: LeadId,
        /// Its status.
        status: LeadStatus,
    },
    /// A lead on the do-not-call list.
    #[error("lead {0} is do-not-call and is never dialed again")]
    LeadIsDnc(LeadId),
    /// A skipped lead (duplicate or do-not-call at import).
    #[error("lead {0} was skipped at import and is never dialed")]
    LeadIsSkipped(LeadId),
    /// A cancelled lead.
    #[error("lead {0} is cancelled; recycle it to call it again")]
    LeadIsCancelled(LeadId),
    /// A lead in a final status.
    #[error("lead {id} is {status}, which is final; recycle it to call it again")]
    LeadIsFinal {
        /// The lead.
        id: LeadId,
        /// Its status.
        status: LeadStatus,
    },
    /// A command that needs no call in flight.
    #[error("lead {lead} has call {call} in flight; wait for its result")]
    CallInFlight {
        /// The lead.
        lead: LeadId,
        /// The call in flight.
        call: CallId,
    },
    /// A result for a call this lead never made.
    #[error("call {call} is not a call of lead {lead}")]
    UnknownCall {
        /// The lead.
        lead: LeadId,
        /// The call.
        call: CallId,
    },
    /// A dial reusing a call id.
    #[error("call id {0} was used already; every dial needs a new call id")]
    DuplicateCallId(CallId),
    /// A lead that waiting will make eligible, but not yet.
    #[error("lead {id} cannot be called before {until}")]
    LeadNotYetEligible {
        /// The lead.
        id: LeadId,
        /// When it becomes eligible, as things stand.
        until: DateTime<Utc>,
    },
    /// A lead that waiting will not make eligible.
    #[error("lead {id} cannot be called: {reason}")]
    LeadNotEligible {
        /// The lead.
        id: LeadId,
        /// Why.
        reason: NeverReason,
    },
    /// Reclaim of a call that has not timed out.
    #[error("call {call} is not stale until {stale_at}")]
    CallNotStale {
        /// The call.
        call: CallId,
        /// When it can be reclaimed.
        stale_at: DateTime<Utc>,
    },
    /// Reclaim when no call is in flight.
    #[error("lead {0} has no call in flight")]
    NoCallInFlight(LeadId),
    /// Recycle from a status that may not be recycled.
    #[error("leads in status {0} cannot be recycled (queued and dialing leads are being worked on; skipped and dnc numbers are never dialed)")]
    StatusNotRecyclable(LeadStatus),
    /// Recycle to anything but `new`.
    #[error("leads can only be recycled to new, not {0}")]
    BadRecycleTarget(LeadStatus),
    /// Recycle with no statuses.
    #[error("choose at least one status to recycle")]
    NothingToRecycle,
    /// A lead not in one of the statuses a recycle asked for.
    #[error("lead {id} is {status}, not one of the statuses being recycled")]
    LeadStatusNotSelected {
        /// The lead.
        id: LeadId,
        /// Its status.
        status: LeadStatus,
    },
    /// Sale, not-interested or callback on a lead nobody talked to.
    #[error(
        "lead {0} has not answered a call yet; a disposition records the result of a conversation"
    )]
    LeadNotAnswered(LeadId),
    /// A status that is not a disposition.
    #[error("{0} is not a disposition: use sale, not_interested, callback or dnc")]
    NotADisposition(LeadStatus),
    /// A callback without its time.
    #[error("a callback needs callback_at, the time to call back")]
    CallbackNeedsTime,
    /// A callback time not after now.
    #[error("the callback time {0} is not in the future")]
    CallbackNotInFuture(DateTime<Utc>),

    // --- users, contacts, do-not-call ---
    /// No such user.
    #[error("user {0} does not exist")]
    UserNotFound(UserId),
    /// A user with this id exists already.
    #[error("user {0} already exists")]
    UserExists(UserId),
    /// No such contact.
    #[error("contact {0} does not exist")]
    ContactNotFound(ContactId),
    /// A contact with this id exists already.
    #[error("contact {0} already exists")]
    ContactExists(ContactId),
    /// A contact with this phone number exists already.
    #[error("{phone} is already saved as contact {existing}")]
    ContactPhoneExists {
        /// The number.
        phone: PhoneNumber,
        /// The contact holding it.
        existing: ContactId,
    },
    /// Remove of a number not on the do-not-call list.
    #[error("{0} is not on the do-not-call list")]
    NotOnDncList(PhoneNumber),

    // --- webhook subscriptions ---
    /// No such subscription (or deleted).
    #[error("subscription {0} does not exist")]
    SubscriptionNotFound(SubscriptionId),
    /// A subscription with this id exists already.
    #[error("subscription {0} already exists")]
    SubscriptionExists(SubscriptionId),
    /// An event type name that no event has.
    #[error("`{input}` is not an event type: use \"*\" for every type, or any of {names}", names = crate::Event::TYPE_NAMES.join(", "))]
    UnknownEventType {
        /// The rejected input.
        input: String,
    },
    /// A webhook URL the domain refuses (blank parts, spaces, control
    /// characters); whether it may be reached is the caller's check.
    #[error("the webhook URL `{input}` {reason}")]
    BadWebhookUrl {
        /// The rejected input.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}
