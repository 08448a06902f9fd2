//! Events: the facts Leadline records, in the past tense.
//!
//! Every event belongs to one stream: `campaign-{campaign_id}`,
//! `lead-{lead_id}` or `user-{user_id}` ([`StreamName`]). Payloads carry
//! the ids and the instant (`at`) they need to be folded without their
//! envelope; who caused an event (the [`crate::Actor`]), correlation and
//! causation live in the log's envelope.
//!
//! Encoding rules, because the log encodes payloads with bincode 1.x, which
//! is not self-describing: no `untagged`, no `flatten`, no
//! `skip_serializing_if`; new fields go into a new schema version with an
//! upcast in [`EventSeed`]. Instants are written as RFC 3339 text in
//! human-readable formats (JSON) and as (seconds, nanoseconds) in compact
//! ones, so a rebuild never parses dates.
//!
//! Two ways to encode:
//! - `Event` itself (serde, externally tagged): the variant name and the
//!   payload, for JSON export. In bincode its tag is the variant's index:
//!   never reorder variants, only append.
//! - [`Event::payload`] plus [`Event::type_name`] and
//!   [`Event::schema_version`]: the payload alone, decoded back with
//!   [`EventSeed`]. This is what the log stores; it does not depend on
//!   variant order.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::de::{DeserializeSeed, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use crate::campaign::CampaignSettings;
use crate::ids::{CallId, CampaignId, ContactId, LeadId, SubscriptionId, UserId};
use crate::phone::PhoneNumber;
use crate::status::{CallOutcome, Disposition, LeadStatus};
use crate::subscription::WebhookSecret;
use crate::time::Zone;

/// The schema version of every event type whose payload never changed.
pub const SCHEMA_VERSION_CURRENT: u16 = 1;
/// The schema version of `CampaignCreated` and `CampaignUpdated`, which
/// carry [`crate::campaign::CampaignSettings`]: 2 since the retry policy's
/// dropped-call delay may be left unset, 3 since `detect_voicemail`, 4
/// since delays per status, `jurisdiction_rules` and `debt_collection`.
/// Older versions are upcast.
pub const SCHEMA_VERSION_CAMPAIGN_SETTINGS: u16 = 4;

/// The schema version of `LeadImported`: 2 since a lead may carry other
/// numbers (`alt_phones`). Version 1 is upcast with none.
pub const SCHEMA_VERSION_LEAD_IMPORTED: u16 = 2;

/// The stream an event belongs to: one per aggregate instance.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum StreamName {
    /// `campaign-c_…`: the campaign's life cycle, settings and import
    /// summaries.
    Campaign(CampaignId),
    /// `lead-l_…`: one lead, its calls and their results.
    Lead(LeadId),
    /// `user-u_…`: a user, their contacts and do-not-call list.
    User(UserId),
    /// `subscription-sub_…`: a webhook subscription, created and deleted.
    Subscription(SubscriptionId),
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamName::Campaign(id) => write!(f, "campaign-{id}"),
            StreamName::Lead(id) => write!(f, "lead-{id}"),
            StreamName::User(id) => write!(f, "user-{id}"),
            StreamName::Subscription(id) => write!(f, "subscription-{id}"),
        }
    }
}

impl FromStr for StreamName {
    type Err = crate::error::IdError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if let Some(id) = input.strip_prefix("campaign-") {
            return id.parse().map(StreamName::Campaign);
        }
        if let Some(id) = input.strip_prefix("lead-") {
            return id.parse().map(StreamName::Lead);
        }
        if let Some(id) = input.strip_prefix("subscription-") {
            return id.parse().map(StreamName::Subscription);
        }
        match input.strip_prefix("user-") {
            Some(id) => id.parse().map(StreamName::User),
            None => Err(crate::error::IdError::Malformed {
                kind: "stream",
                prefix: "campaign-|lead-|user-|subscription-",
                input: crate::ids::echo(input),
            }),
        }
    }
}

/// Serde for instants in events: RFC 3339 text for people, (seconds,
/// nanoseconds) for the log.
pub mod instant {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes an instant.
    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        } else {
            (at.timestamp(), at.timestamp_subsec_nanos()).serialize(serializer)
        }
    }

    /// Reads an instant.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        if deserializer.is_human_readable() {
            DateTime::<chrono::FixedOffset>::deserialize(deserializer)
                .map(|at| at.with_timezone(&Utc))
        } else {
            let (secs, nanos) = <(i64, u32)>::deserialize(deserializer)?;
            DateTime::from_timestamp(secs, nanos)
                .ok_or_else(|| serde::de::Error::custom("instant out of range"))
        }
    }

    /// The same for `Option<DateTime<Utc>>`.
    pub mod option {
        use super::*;

        #[derive(Serialize, Deserialize)]
        struct Wrapped(#[serde(with = "super")] DateTime<Utc>);

        /// Writes an optional instant.
        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            at.map(Wrapped).serialize(serializer)
        }

        /// Reads an optional instant.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<Wrapped>::deserialize(deserializer).map(|at| at.map(|Wrapped(at)| at))
        }
    }
}

/// A campaign was created, as a draft.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct CampaignCreated {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The user who owns it.
    pub owner: UserId,
    /// Its settings.
    pub settings: CampaignSettings,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A campaign's settings were replaced.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct CampaignUpdated {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The new settings, in full.
    pub settings: CampaignSettings,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A batch of leads was imported into a campaign (the leads themselves are
/// `LeadImported` events in their own streams, appended together with
/// this). Appending it with the campaign's expected version serializes
/// imports, so two concurrent uploads cannot both import one number.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LeadsImported {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Leads imported to be called.
    pub imported: u32,
    /// Rows whose number was already in the campaign (imported as skipped).
    pub duplicates: u32,
    /// Rows whose number is on the do-not-call list (imported as skipped).
    pub dnc: u32,
    /// Rows refused (no lead created).
    pub invalid: u32,
    /// The import sequence number of the first lead of this batch; the
    /// batch used `first_sequence .. first_sequence + imported + duplicates
    /// + dnc`.
    pub first_sequence: u64,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A campaign's life-cycle step: started, paused, resumed, cancelled,
/// completed or archived (the event type says which).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CampaignTransition {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Why, when a person gave a reason.
    pub reason: Option<String>,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A lead was added to a campaign.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LeadImported {
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The lead.
    pub lead_id: LeadId,
    /// Position in the campaign's import order (first in, first out).
    pub sequence: u64,
    /// Its number.
    pub phone: PhoneNumber,
    /// The person's name, when known.
    pub name: Option<String>,
    /// Priority: higher is dialed first. 0 by default.
    pub priority: i32,
    /// The lead's own time zone, when given.
    pub timezone: Option<Zone>,
    /// The saved contact it came from, if any.
    pub contact_id: Option<ContactId>,
    /// Extra columns of the upload, kept as they were.
    pub fields: BTreeMap<String, String>,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
    /// Its other numbers, in the order given (at most 4).
    pub alt_phones: Vec<PhoneNumber>,
}

/// Why a lead is never dialed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The number is already in the campaign, as lead `of`.
    Duplicate {
        /// The lead that holds the number.
        of: LeadId,
    },
    /// The number is on the owner's do-not-call list.
    Dnc,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Duplicate { of } => write!(f, "duplicate of {of}"),
            SkipReason::Dnc => f.write_str("dnc"),
        }
    }
}

/// A lead was skipped: never to be dialed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LeadSkipped {
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The lead.
    pub lead_id: LeadId,
    /// Why.
    pub reason: SkipReason,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A lead entered the hopper: eligible, waiting for a free slot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LeadQueued {
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The lead.
    pub lead_id: LeadId,
    /// The status it was queued from (restored if it is unqueued).
    pub from: LeadStatus,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A queued lead left the hopper undialed (campaign paused), back to the
/// status it was queued from.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LeadUnqueued {
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The lead.
    pub lead_id: LeadId,
    /// The status it is back in.
    pub restored: LeadStatus,
    /// Why, e.g. "campaign paused".
    pub reason: String,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A call to a lead was started.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LeadDialed {
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The lead.
    pub lead_id: LeadId,
    /// The call.
    pub call_id: CallId,
    /// Which dial of the lead this is, from 1 (reset by a recycle that
    /// resets dial counts).
    pub attempt: u32,
    /// The number dialed.
    pub phone: PhoneNumber,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// The provider accepted a call and gave it its own id.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CallPlaced {
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The lead.
    pub lead_id: LeadId,
    /// The call.
    pub call_id: CallId,
    /// The provider's id for the call.
    pub provider_call_id: String,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A call ended; the event type says how (`CallAnswered`, `CallNoAnswer`,
/// `CallBusy`, `CallFailed`, `CallDropped`, `CallCongestion`,
/// `CallVoicemail`).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CallEnded {
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The lead.
    pub lead_id: LeadId,
    /// The call.
    pub call_id: CallId,
    /// The provider's own status text (e.g. `completed`, `no-answer`).
    pub provider_status: String,
    /// How long the call lasted, in seconds, when the provider said.
    pub duration_secs: Option<u32>,
    /// The provider's error text, for failures.
    pub error: Option<String>,
    /// The provider's id for the call, when known.
    pub provider_call_id: Option<String>,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A call that never reported back was given up on after its timeout; the
/// lead is `failed` and retried like any failure.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CallReclaimed {
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The lead.
    pub lead_id: LeadId,
    /// The call.
    pub call_id: CallId,
    /// When it was dialed.
    #[serde(with = "instant")]
    pub dialed_at: DateTime<Utc>,
    /// Why, e.g. "stale".
    pub reason: String,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A lead was cancelled: it will not be dialed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LeadCancelled {
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The lead.
    pub lead_id: LeadId,
    /// The status it was in.
    pub from: LeadStatus,
    /// Why, e.g. "campaign cancelled", "contact deleted".
    pub reason: String,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A lead was recycled by a person: back to `to` with a fresh round of
/// attempts.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LeadRecycled {
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The lead.
    pub lead_id: LeadId,
    /// The status it was in.
    pub from: LeadStatus,
    /// The status it is in now (`new`).
    pub to: LeadStatus,
    /// Whether its dial count went back to 0.
    pub reset_dial_count: bool,
    /// Why.
    pub reason: String,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A person recorded the result of a conversation.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LeadDispositioned {
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The lead.
    pub lead_id: LeadId,
    /// The result.
    pub disposition: Disposition,
    /// For a callback: when to call back.
    #[serde(with = "instant::option")]
    pub callback_at: Option<DateTime<Utc>>,
    /// A free-text note.
    pub note: Option<String>,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A lead was marked do-not-call: never dialed again.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LeadMarkedDnc {
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The lead.
    pub lead_id: LeadId,
    /// Why, e.g. "disposition" or "number added to the do-not-call list".
    pub reason: String,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A user was created.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct UserCreated {
    /// The user.
    pub user_id: UserId,
    /// Their name.
    pub name: String,
    /// Calls they may have in flight at once.
    pub concurrent_calls_limit: u32,
    /// A digest of their API key, computed and checked by the API layer;
    /// opaque here.
    pub api_key_digest: String,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A user's concurrent calls limit changed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct UserLimitChanged {
    /// The user.
    pub user_id: UserId,
    /// The new limit.
    pub concurrent_calls_limit: u32,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A user saved a contact.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ContactAdded {
    /// The user.
    pub user_id: UserId,
    /// The contact.
    pub contact_id: ContactId,
    /// Its number.
    pub phone: PhoneNumber,
    /// Its name.
    pub name: Option<String>,
    /// Its time zone, when known.
    pub timezone: Option<Zone>,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A user deleted a contact.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ContactDeleted {
    /// The user.
    pub user_id: UserId,
    /// The contact.
    pub contact_id: ContactId,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A number was added to a user's do-not-call list.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct DncAdded {
    /// The user.
    pub user_id: UserId,
    /// The number.
    pub phone: PhoneNumber,
    /// Why, when given.
    pub reason: Option<String>,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A user's contact policy was replaced.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ContactPolicySet {
    /// The user.
    pub user_id: UserId,
    /// The new policy, in full.
    pub policy: crate::policy::ContactPolicy,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A number was removed from a user's do-not-call list.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct DncRemoved {
    /// The user.
    pub user_id: UserId,
    /// The number.
    pub phone: PhoneNumber,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A webhook subscription was created: events of its owner, from here on,
/// are posted to `url`, signed with `secret`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct SubscriptionCreated {
    /// The subscription.
    pub subscription_id: SubscriptionId,
    /// The user whose events it receives; `None`: the admin's, which
    /// receives every event.
    pub owner: Option<UserId>,
    /// Where deliveries are posted.
    pub url: String,
    /// The event types delivered, or `["*"]` for every type.
    pub events: Vec<String>,
    /// Only the events of this campaign and of its leads, when set.
    pub campaign_id: Option<CampaignId>,
    /// The signing key. Kept in the log to sign deliveries; shown as
    /// `[redacted]` in every JSON view of the event.
    pub secret: WebhookSecret,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// A webhook subscription was deleted: nothing more is delivered to it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct SubscriptionDeleted {
    /// The subscription.
    pub subscription_id: SubscriptionId,
    /// When.
    #[serde(with = "instant")]
    pub at: DateTime<Utc>,
}

/// What every payload can say about itself.
trait Payload {
    fn stream(&self) -> StreamName;
    fn at(&self) -> DateTime<Utc>;
}

macro_rules! payload_in {
    ($stream:ident($field:ident): $($payload:ty),* $(,)?) => {
        $(impl Payload for $payload {
            fn stream(&self) -> StreamName {
                StreamName::$stream(self.$field)
            }
            fn at(&self) -> DateTime<Utc> {
                self.at
            }
        })*
    };
}

payload_in!(Campaign(campaign_id): CampaignCreated, CampaignUpdated, LeadsImported, CampaignTransition);
payload_in!(Lead(lead_id): LeadImported, LeadSkipped, LeadQueued, LeadUnqueued, LeadDialed,
    CallPlaced, CallEnded, CallReclaimed, LeadCancelled, LeadRecycled, LeadDispositioned,
    LeadMarkedDnc);
payload_in!(User(user_id): UserCreated, UserLimitChanged, ContactAdded, ContactDeleted,
    DncAdded, DncRemoved, ContactPolicySet);
payload_in!(Subscription(subscription_id): SubscriptionCreated, SubscriptionDeleted);

macro_rules! events {
    (@version) => { SCHEMA_VERSION_CURRENT };
    (@version $version:expr) => { $version };
    ($($(#[$doc:meta])* $variant:ident($payload:ty) $(= $version:expr)?),* $(,)?) => {
        /// Every fact Leadline records. See the crate documentation for
        /// one line on each.
        #[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
        pub enum Event {
            $($(#[$doc])* $variant($payload),)*
        }

        impl Event {
            /// Every event type name, in variant order.
            pub const TYPE_NAMES: &'static [&'static str] = &[$(stringify!($variant)),*];

            /// The event type, exactly as the API shows it (`LeadDialed`).
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Event::$variant(_) => stringify!($variant),)*
                }
            }

            /// The stream the event belongs to.
            pub fn stream(&self) -> StreamName {
                match self {
                    $(Event::$variant(payload) => payload.stream(),)*
                }
            }

            /// When it happened (the `now` of the decision).
            pub fn at(&self) -> DateTime<Utc> {
                match self {
                    $(Event::$variant(payload) => payload.at(),)*
                }
            }

            /// The schema version its payload is written in.
            pub fn schema_version(&self) -> u16 {
                match self {
                    $(Event::$variant(_) => events!(@version $($version)?),)*
                }
            }
        }

        impl Serialize for EventPayload<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self.0 {
                    $(Event::$variant(payload) => payload.serialize(serializer),)*
                }
            }
        }

        impl<'de> DeserializeSeed<'de> for EventSeed<'_> {
            type Value = Event;

            fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Event, D::Error> {
                match self.type_name {
                    $(stringify!($variant) if self.schema_version == events!(@version $($version)?) => {
                        <$payload>::deserialize(deserializer).map(Event::$variant)
                    })*
                    _ => upcast(self, deserializer),
                }
            }
        }
    };
}

events! {
    /// A campaign was created (draft).
    CampaignCreated(CampaignCreated) = SCHEMA_VERSION_CAMPAIGN_SETTINGS,
    /// A campaign's settings were replaced.
    CampaignUpdated(CampaignUpdated) = SCHEMA_VERSION_CAMPAIGN_SETTINGS,
    /// A batch of leads was imported (summary on the campaign stream).
    LeadsImported(LeadsImported),
    /// A campaign was started.
    CampaignStarted(CampaignTransition),
    /// A campaign was paused.
    CampaignPaused(CampaignTransition),
    /// A paused campaign was resumed.
    CampaignResumed(CampaignTransition),
    /// A campaign was cancelled.
    CampaignCancelled(CampaignTransition),
    /// A campaign had nothing left to call.
    CampaignCompleted(CampaignTransition),
    /// A campaign was archived (deleted from lists, history kept).
    CampaignArchived(CampaignTransition),
    /// A lead was added to a campaign.
    LeadImported(LeadImported) = SCHEMA_VERSION_LEAD_IMPORTED,
    /// A lead was skipped at import (duplicate or do-not-call).
    LeadSkipped(LeadSkipped),
    /// A lead entered the hopper.
    LeadQueued(LeadQueued),
    /// A queued lead went back to its previous status (pause).
    LeadUnqueued(LeadUnqueued),
    /// A call to a lead started.
    LeadDialed(LeadDialed),
    /// The provider accepted a call.
    CallPlaced(CallPlaced),
    /// A call was answered.
    CallAnswered(CallEnded),
    /// A call was not answered.
    CallNoAnswer(CallEnded),
    /// A call got a busy signal.
    CallBusy(CallEnded),
    /// A call failed.
    CallFailed(CallEnded),
    /// A call connected and dropped.
    CallDropped(CallEnded),
    /// A call hit congestion.
    CallCongestion(CallEnded),
    /// A call reached a machine (voicemail), not the person.
    CallVoicemail(CallEnded),
    /// A call that never reported back was reclaimed as failed.
    CallReclaimed(CallReclaimed),
    /// A lead was cancelled.
    LeadCancelled(LeadCancelled),
    /// A lead was recycled.
    LeadRecycled(LeadRecycled),
    /// A lead got a disposition (sale, not interested, callback).
    LeadDispositioned(LeadDispositioned),
    /// A lead was marked do-not-call.
    LeadMarkedDnc(LeadMarkedDnc),
    /// A user was created.
    UserCreated(UserCreated),
    /// A user's concurrent calls limit changed.
    UserLimitChanged(UserLimitChanged),
    /// A user saved a contact.
    ContactAdded(ContactAdded),
    /// A user deleted a contact.
    ContactDeleted(ContactDeleted),
    /// A number was added to a do-not-call list.
    DncAdded(DncAdded),
    /// A number was removed from a do-not-call list.
    DncRemoved(DncRemoved),
    /// A webhook subscription was created.
    SubscriptionCreated(SubscriptionCreated),
    /// A webhook subscription was deleted.
    SubscriptionDeleted(SubscriptionDeleted),
    /// A user's contact policy was replaced.
    ContactPolicySet(ContactPolicySet),
}

impl Event {
    /// The payload alone, to encode without the variant tag.
    pub fn payload(&self) -> EventPayload<'_> {
        EventPayload(self)
    }

    /// The event for a call that ended with `outcome`.
    pub fn call_ended(outcome: CallOutcome, ended: CallEnded) -> Event {
        match outcome {
            CallOutcome::Answered => Event::CallAnswered(ended),
            CallOutcome::NoAnswer => Event::CallNoAnswer(ended),
            CallOutcome::Busy => Event::CallBusy(ended),
            CallOutcome::Failed => Event::CallFailed(ended),
            CallOutcome::Dropped => Event::CallDropped(ended),
            CallOutcome::Congestion => Event::CallCongestion(ended),
            CallOutcome::Voicemail => Event::CallVoicemail(ended),
        }
    }

    /// For a call-ended event: how it ended, and the details.
    pub fn as_call_ended(&self) -> Option<(CallOutcome, &CallEnded)> {
        match self {
            Event::CallAnswered(ended) => Some((CallOutcome::Answered, ended)),
            Event::CallNoAnswer(ended) => Some((CallOutcome::NoAnswer, ended)),
            Event::CallBusy(ended) => Some((CallOutcome::Busy, ended)),
            Event::CallFailed(ended) => Some((CallOutcome::Failed, ended)),
            Event::CallDropped(ended) => Some((CallOutcome::Dropped, ended)),
            Event::CallCongestion(ended) => Some((CallOutcome::Congestion, ended)),
            Event::CallVoicemail(ended) => Some((CallOutcome::Voicemail, ended)),
            _ => None,
        }
    }

    /// The campaign the event is about, when it is about one (campaign and
    /// lead events).
    pub fn campaign_id(&self) -> Option<CampaignId> {
        match self {
            Event::CampaignCreated(e) => Some(e.campaign_id),
            Event::CampaignUpdated(e) => Some(e.campaign_id),
            Event::LeadsImported(e) => Some(e.campaign_id),
            Event::CampaignStarted(e)
            | Event::CampaignPaused(e)
            | Event::CampaignResumed(e)
            | Event::CampaignCancelled(e)
            | Event::CampaignCompleted(e)
            | Event::CampaignArchived(e) => Some(e.campaign_id),
            Event::LeadImported(e) => Some(e.campaign_id),
            Event::LeadSkipped(e) => Some(e.campaign_id),
            Event::LeadQueued(e) => Some(e.campaign_id),
            Event::LeadUnqueued(e) => Some(e.campaign_id),
            Event::LeadDialed(e) => Some(e.campaign_id),
            Event::CallPlaced(e) => Some(e.campaign_id),
            Event::CallAnswered(e)
            | Event::CallNoAnswer(e)
            | Event::CallBusy(e)
            | Event::CallFailed(e)
            | Event::CallDropped(e)
            | Event::CallCongestion(e)
            | Event::CallVoicemail(e) => Some(e.campaign_id),
            Event::CallReclaimed(e) => Some(e.campaign_id),
            Event::LeadCancelled(e) => Some(e.campaign_id),
            Event::LeadRecycled(e) => Some(e.campaign_id),
            Event::LeadDispositioned(e) => Some(e.campaign_id),
            Event::LeadMarkedDnc(e) => Some(e.campaign_id),
            Event::UserCreated(_)
            | Event::UserLimitChanged(_)
            | Event::ContactAdded(_)
            | Event::ContactDeleted(_)
            | Event::DncAdded(_)
            | Event::DncRemoved(_)
            | Event::SubscriptionCreated(_)
            | Event::SubscriptionDeleted(_)
            | Event::ContactPolicySet(_) => None,
        }
    }

    /// The lead the event is about, for lead events.
    pub fn lead_id(&self) -> Option<LeadId> {
        match self.stream() {
            StreamName::Lead(id) => Some(id),
            _ => None,
        }
    }
}

/// An event's payload without its variant tag; see [`Event::payload`].
pub struct EventPayload<'a>(&'a Event);

/// Decodes a payload written through [`Event::payload`], given the type
/// name and schema version stored next to it. Older schema versions are
/// upcast to today's payloads.
///
/// With bincode 1.x, `bincode::serialize(&event.payload())` is read back by
/// `bincode::DefaultOptions::new().with_fixint_encoding()
/// .allow_trailing_bytes().deserialize_seed(EventSeed { .. }, bytes)`.
#[derive(Clone, Copy, Debug)]
pub struct EventSeed<'a> {
    /// The stored event type name.
    pub type_name: &'a str,
    /// The stored schema version.
    pub schema_version: u16,
}

/// Decodes a payload of an older schema version into today's event, or
/// says why it cannot.
fn upcast<'de, D: Deserializer<'de>>(
    seed: EventSeed<'_>,
    deserializer: D,
) -> Result<Event, D::Error> {
    match (seed.type_name, seed.schema_version) {
        ("CampaignCreated", 1) => v1::CampaignCreated::deserialize(deserializer)
            .map(|old| Event::CampaignCreated(old.into())),
        ("CampaignUpdated", 1) => v1::CampaignUpdated::deserialize(deserializer)
            .map(|old| Event::CampaignUpdated(old.into())),
        ("CampaignCreated", 2) => v2::CampaignCreated::deserialize(deserializer)
            .map(|old| Event::CampaignCreated(old.into())),
        ("CampaignUpdated", 2) => v2::CampaignUpdated::deserialize(deserializer)
            .map(|old| Event::CampaignUpdated(old.into())),
        ("LeadImported", 1) => {
            v1::LeadImported::deserialize(deserializer).map(|old| Event::LeadImported(old.into()))
        }
        ("CampaignCreated", 3) => v3::CampaignCreated::deserialize(deserializer)
            .map(|old| Event::CampaignCreated(old.into())),
        ("CampaignUpdated", 3) => v3::CampaignUpdated::deserialize(deserializer)
            .map(|old| Event::CampaignUpdated(old.into())),
        (name, version) if Event::TYPE_NAMES.contains(&name) => Err(serde::de::Error::custom(
            format_args!("{name} has no schema version {version}"),
        )),
        (other, _) => Err(serde::de::Error::custom(format_args!(
            "unknown event type `{other}`"
        ))),
    }
}

/// Payloads as schema version 1 wrote them, where they differ from today's.
/// Field order is the encoding: these never change.
mod v1 {
    use std::collections::BTreeMap;

    use chrono::{DateTime, NaiveDate, Utc};
    use serde::Deserialize;

    use super::instant;
    use crate::campaign::{CampaignSettings, ProviderSettings};
    use crate::ids::{CampaignId, ContactId, LeadId, UserId};
    use crate::phone::{PhoneNumber, Region};
    use crate::retry::RetryPolicyV1;
    use crate::time::{DailyHours, Zone};

    /// Settings whose retry policy's dropped delay was always a number.
    #[derive(Deserialize)]
    pub(super) struct Settings {
        name: String,
        timezone: Zone,
        hours: DailyHours,
        start_date: Option<NaiveDate>,
        default_region: Option<Region>,
        retry: RetryPolicyV1,
        local_hours: Option<DailyHours>,
        dial_delay_ms: Option<u32>,
        provider: ProviderSettings,
    }

    impl From<Settings> for CampaignSettings {
        fn from(v1: Settings) -> Self {
            super::v2::Settings {
                name: v1.name,
                timezone: v1.timezone,
                hours: v1.hours,
                start_date: v1.start_date,
                default_region: v1.default_region,
                retry: v1.retry.into(),
                local_hours: v1.local_hours,
                dial_delay_ms: v1.dial_delay_ms,
                provider: v1.provider,
            }
            .into()
        }
    }

    #[derive(Deserialize)]
    pub(super) struct CampaignCreated {
        campaign_id: CampaignId,
        owner: UserId,
        settings: Settings,
        #[serde(with = "instant")]
        at: DateTime<Utc>,
    }

    impl From<CampaignCreated> for super::CampaignCreated {
        fn from(v1: CampaignCreated) -> Self {
            super::CampaignCreated {
                campaign_id: v1.campaign_id,
                owner: v1.owner,
                settings: v1.settings.into(),
                at: v1.at,
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) struct CampaignUpdated {
        campaign_id: CampaignId,
        settings: Settings,
        #[serde(with = "instant")]
        at: DateTime<Utc>,
    }

    /// A lead with one number.
    #[derive(Deserialize)]
    pub(super) struct LeadImported {
        campaign_id: CampaignId,
        lead_id: LeadId,
        sequence: u64,
        phone: PhoneNumber,
        name: Option<String>,
        priority: i32,
        timezone: Option<Zone>,
        contact_id: Option<ContactId>,
        fields: BTreeMap<String, String>,
        #[serde(with = "instant")]
        at: DateTime<Utc>,
    }

    impl From<LeadImported> for super::LeadImported {
        fn from(v1: LeadImported) -> Self {
            super::LeadImported {
                campaign_id: v1.campaign_id,
                lead_id: v1.lead_id,
                sequence: v1.sequence,
                phone: v1.phone,
                name: v1.name,
                priority: v1.priority,
                timezone: v1.timezone,
                contact_id: v1.contact_id,
                fields: v1.fields,
                at: v1.at,
                alt_phones: Vec::new(),
            }
        }
    }

    impl From<CampaignUpdated> for super::CampaignUpdated {
        fn from(v1: CampaignUpdated) -> Self {
            super::CampaignUpdated {
                campaign_id: v1.campaign_id,
                settings: v1.settings.into(),
                at: v1.at,
            }
        }
    }
}

/// Payloads as schema version 2 wrote them: settings without
/// `detect_voicemail`, which reads as off. Field order is the encoding:
/// these never change.
mod v2 {
    use chrono::{DateTime, NaiveDate, Utc};
    use serde::Deserialize;

    use super::instant;
    use crate::campaign::{CampaignSettings, ProviderSettings};
    use crate::ids::{CampaignId, UserId};
    use crate::phone::Region;
    use crate::retry::RetryPolicyV3;
    use crate::time::{DailyHours, Zone};

    #[derive(Deserialize)]
    pub(super) struct Settings {
        pub(super) name: String,
        pub(super) timezone: Zone,
        pub(super) hours: DailyHours,
        pub(super) start_date: Option<NaiveDate>,
        pub(super) default_region: Option<Region>,
        pub(super) retry: RetryPolicyV3,
        pub(super) local_hours: Option<DailyHours>,
        pub(super) dial_delay_ms: Option<u32>,
        pub(super) provider: ProviderSettings,
    }

    impl From<Settings> for CampaignSettings {
        fn from(v2: Settings) -> Self {
            super::v3::Settings {
                name: v2.name,
                timezone: v2.timezone,
                hours: v2.hours,
                start_date: v2.start_date,
                default_region: v2.default_region,
                retry: v2.retry,
                local_hours: v2.local_hours,
                dial_delay_ms: v2.dial_delay_ms,
                provider: v2.provider,
                detect_voicemail: false,
            }
            .into()
        }
    }

    #[derive(Deserialize)]
    pub(super) struct CampaignCreated {
        campaign_id: CampaignId,
        owner: UserId,
        settings: Settings,
        #[serde(with = "instant")]
        at: DateTime<Utc>,
    }

    impl From<CampaignCreated> for super::CampaignCreated {
        fn from(v2: CampaignCreated) -> Self {
            super::CampaignCreated {
                campaign_id: v2.campaign_id,
                owner: v2.owner,
                settings: v2.settings.into(),
                at: v2.at,
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) struct CampaignUpdated {
        campaign_id: CampaignId,
        settings: Settings,
        #[serde(with = "instant")]
        at: DateTime<Utc>,
    }

    impl From<CampaignUpdated> for super::CampaignUpdated {
        fn from(v2: CampaignUpdated) -> Self {
            super::CampaignUpdated {
                campaign_id: v2.campaign_id,
                settings: v2.settings.into(),
                at: v2.at,
            }
        }
    }
}

/// Payloads as schema version 3 wrote them: settings without delays per
/// status, `jurisdiction_rules` (read as on: the legal default) and
/// `debt_collection` (read as off). Field order is the encoding: these
/// never change.
mod v3 {
    use chrono::{DateTime, NaiveDate, Utc};
    use serde::Deserialize;

    use super::instant;
    use crate::campaign::{CampaignSettings, ProviderSettings};
    use crate::ids::{CampaignId, UserId};
    use crate::phone::Region;
    use crate::retry::RetryPolicyV3;
    use crate::time::{DailyHours, Zone};

    #[derive(Deserialize)]
    pub(super) struct Settings {
        pub(super) name: String,
        pub(super) timezone: Zone,
        pub(super) hours: DailyHours,
        pub(super) start_date: Option<NaiveDate>,
        pub(super) default_region: Option<Region>,
        pub(super) retry: RetryPolicyV3,
        pub(super) local_hours: Option<DailyHours>,
        pub(super) dial_delay_ms: Option<u32>,
        pub(super) provider: ProviderSettings,
        pub(super) detect_voicemail: bool,
    }

    impl From<Settings> for CampaignSettings {
        fn from(v3: Settings) -> Self {
            CampaignSettings {
                name: v3.name,
                timezone: v3.timezone,
                hours: v3.hours,
                start_date: v3.start_date,
                default_region: v3.default_region,
                retry: v3.retry.into(),
                local_hours: v3.local_hours,
                dial_delay_ms: v3.dial_delay_ms,
                provider: v3.provider,
                detect_voicemail: v3.detect_voicemail,
                jurisdiction_rules: true,
                debt_collection: false,
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) struct CampaignCreated {
        campaign_id: CampaignId,
        owner: UserId,
        settings: Settings,
        #[serde(with = "instant")]
        at: DateTime<Utc>,
    }

    impl From<CampaignCreated> for super::CampaignCreated {
        fn from(v3: CampaignCreated) -> Self {
            super::CampaignCreated {
                campaign_id: v3.campaign_id,
                owner: v3.owner,
                settings: v3.settings.into(),
                at: v3.at,
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) struct CampaignUpdated {
        campaign_id: CampaignId,
        settings: Settings,
        #[serde(with = "instant")]
        at: DateTime<Utc>,
    }

    impl From<CampaignUpdated> for super::CampaignUpdated {
        fn from(v3: CampaignUpdated) -> Self {
            super::CampaignUpdated {
                campaign_id: v3.campaign_id,
                settings: v3.settings.into(),
                at: v3.at,
            }
        }
    }
}

#[cfg(test)]
mod tests;
