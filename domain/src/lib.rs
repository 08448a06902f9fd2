//! Leadline's domain: campaigns, leads, calls and every rule they follow.
//!
//! Pure code: no IO, no async, no storage, no wall clock. Time is always an
//! argument (`now: DateTime<Utc>`), and ids are always passed in, so every
//! decision is deterministic and can be tested at any instant (a test in
//! `tests/no_io_deps.rs` keeps sled, tokio and actix out of the
//! dependencies).
//!
//! # Map
//! - Values that validate themselves: [`ids`] (`CampaignId`, `LeadId`,
//!   `CallId`, `UserId`, `ContactId`), [`phone`] (`PhoneNumber`, `Region`),
//!   [`time`] (`Zone`, `TimeOfDay`, `DailyHours`, `CallingWindow`),
//!   [`retry`] (`RetryPolicy`), [`actor`] (`Actor`), [`status`].
//! - Aggregates, as `decide(&state, command, now) -> Result<Vec<Event>,
//!   DomainError>` and `evolve(state, &event) -> state`: [`campaign`],
//!   [`lead`], [`user`], [`subscription`]. Creation is a separate `create` function.
//! - Commands over many streams at once (start, pause, resume, cancel,
//!   complete, recycle, import, delete contact, add to do-not-call):
//!   [`plans`].
//! - Policies the dialer and projections call: [`eligibility`](mod@eligibility) (may a lead
//!   be dialed now, and if not when), [`time::CallingWindow`] (is it open,
//!   when does it next open), [`lead::Lead::dial_order`] (hopper order),
//!   [`allocation`] (which leads to dial now within the limits).
//! - [`events`]: every event, its stream and its encoding.
//!
//! # Streams
//! `campaign-{campaign_id}`, `lead-{lead_id}`, `user-{user_id}`,
//! `subscription-{subscription_id}`; see
//! [`events::StreamName`] and [`Event::stream`].
//!
//! # Events
//! Campaign stream:
//! - `CampaignCreated`: a campaign was created, as a draft, with its owner
//!   and settings.
//! - `CampaignUpdated`: its settings were replaced.
//! - `LeadsImported`: a batch of leads was imported (counts; the leads are
//!   in their own streams).
//! - `CampaignStarted`: it was started (draft or completed → active).
//! - `CampaignPaused`: it was paused; no new dials.
//! - `CampaignResumed`: a paused campaign is active again.
//! - `CampaignCancelled`: it was stopped for good.
//! - `CampaignCompleted`: nothing was left to call.
//! - `CampaignArchived`: it was deleted from lists; history stays.
//!
//! Lead stream:
//! - `LeadImported`: a lead (number, name, priority, zone, fields) was
//!   added to a campaign.
//! - `LeadSkipped`: it will never be dialed: duplicate number or
//!   do-not-call at import.
//! - `LeadQueued`: it entered the hopper, eligible and waiting for a slot.
//! - `LeadUnqueued`: it left the hopper undialed (pause), back to its
//!   previous status.
//! - `LeadDialed`: a call started (call id, attempt number, number).
//! - `CallPlaced`: the provider accepted the call and gave its id.
//! - `CallAnswered`: the call was answered.
//! - `CallNoAnswer`: the call was not answered.
//! - `CallBusy`: the call got a busy signal.
//! - `CallFailed`: the call failed (provider error text kept).
//! - `CallDropped`: the call connected and dropped.
//! - `CallCongestion`: the call hit network congestion.
//! - `CallVoicemail`: a machine answered the call (voicemail), not the person.
//! - `CallReclaimed`: a call that never reported back was given up on
//!   after its timeout; the lead is `failed` (reason `stale`).
//! - `LeadCancelled`: it will not be dialed (campaign cancelled, contact
//!   deleted…).
//! - `LeadRecycled`: a person sent it back to `new` with a fresh round of
//!   attempts, optionally resetting its dial count.
//! - `LeadDispositioned`: a person recorded sale, not interested, or a
//!   callback time.
//! - `LeadMarkedDnc`: it is do-not-call and never dialed again.
//!
//! User stream:
//! - `UserCreated`: a user was created with a concurrent calls limit.
//! - `UserLimitChanged`: the limit changed.
//! - `ContactAdded`: a contact was saved.
//! - `ContactDeleted`: a contact was deleted.
//! - `DncAdded`: a number was added to the do-not-call list.
//! - `DncRemoved`: a number was removed from it.
//!
//! Subscription stream (`subscription-sub_…`):
//! - `SubscriptionCreated`: a webhook subscription (owner, URL, event
//!   types, optional campaign, signing secret) was created.
//! - `SubscriptionDeleted`: it was deleted; nothing more is delivered.
//!
//! # Lead statuses and categories
//! | status | meaning | category |
//! |---|---|---|
//! | `new` | never dialed (or recycled) | pending |
//! | `callback` | call back at the agreed time | pending |
//! | `queued` | in the hopper | in progress |
//! | `dialing` | call in flight | in progress |
//! | `no_answer`, `busy`, `failed`, `dropped`, `congestion` | last call's outcome | recyclable when the retry policy retries it and the round has attempts left; final otherwise |
//! | `answered` | last call answered | final |
//! | `sale`, `not_interested` | disposition | final |
//! | `cancelled` | will not be dialed | final |
//! | `skipped` | duplicate or do-not-call at import; never dialed | final |
//! | `dnc` | do-not-call; never dialed again | final |
//!
//! "Pending" means never dialed or waiting only for its time; "in flight"
//! in the API's stats is `dialing`. A final lead can still be recycled by
//! a person (except `skipped` and `dnc`).
//!
//! # Campaign statuses
//! `draft`, `scheduled`, `active`, `paused`, `completed`, `cancelled`,
//! `archived`; `scheduled` is derived ([`campaign::Campaign::status_at`]).

pub mod actor;
pub mod allocation;
pub mod campaign;
pub mod dialing;
pub mod eligibility;
pub mod error;
pub mod events;
pub mod ids;
pub mod jurisdiction;
pub mod lead;
pub mod nanp;
pub mod phone;
pub mod plans;
pub mod policy;
pub mod retry;
pub mod status;
pub mod subscription;
pub mod text;
pub mod time;
pub mod user;

#[cfg(test)]
mod testkit;

pub use actor::Actor;
pub use eligibility::{eligibility, ready_at, Eligibility, NeverReason};
pub use error::{DomainError, IdError, PhoneError, SettingsError, StatusError, TimeError};
pub use events::{Event, StreamName};
pub use ids::{CallId, CampaignId, ContactId, LeadId, SubscriptionId, UserId};
pub use phone::{PhoneNumber, Region};
pub use retry::RetryPolicy;
pub use status::{CallOutcome, CampaignStatus, Disposition, LeadCategory, LeadStatus};
pub use time::{CallingWindow, DailyHours, TimeOfDay, Zone};
