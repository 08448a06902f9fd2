//! Read models folded from the event log.
//!
//! Every read model here is derived from the log alone and can be thrown
//! away and rebuilt; a rebuild gives exactly what incremental folding gave
//! (a property test checks it over random event sequences, batch sizes and
//! restarts). One [`model::ReadModel`] holds them all and folds each event
//! once, so the lead view, the call log, the counters and the hopper change
//! together:
//!
//! - users (with API key digests, contacts, do-not-call list, calls in
//!   flight), campaigns per user;
//! - lead views (the domain's `Lead`: status, dial attempts, answered
//!   count, last dial, result, last status change …) with stream versions;
//! - the call log: one [`model::CallRecord`] per call attempt;
//! - per campaign: [`stats::Counters`] (defined precisely there), the status
//!   breakdown by category, and the [`hopper::Hopper`];
//! - calls in flight per user and for the whole system;
//! - per campaign: its [`timeline::Timeline`], dials, outcomes and calls in
//!   flight per minute.
//!
//! [`compliance`] is apart from the read models: an independent checker
//! of the calling rules over the log, for the compliance report.
//!
//! [`runner::Projections`] keeps the model up to date and rebuilds it;
//! [`history`] reads a stream's events and past states from the log.

pub mod codec;
pub mod compliance;
pub mod hash;
pub mod history;
pub mod hopper;
pub mod model;
pub mod runner;
pub mod stats;
pub mod timeline;

pub use codec::CodecError;
pub use model::{
    CallRecord, CallStatus, CampaignEntry, LeadEntry, ReadModel, SubscriptionEntry, UserEntry,
};
pub use runner::{ProjectionError, Projections, RebuildReport, READ_MODEL_VERSION};
pub use stats::Counters;
