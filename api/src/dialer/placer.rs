//! How the dialer hands calls to a telephony provider, and hears back.
//!
//! The engine starts a call with [`CallPlacer::start`] once its dial event is
//! durable, and collects what the provider said with [`CallPlacer::poll`]:
//! the call was accepted (the provider's id), refused (its error, recorded
//! as a failed call; the campaign goes on), or ended. The simulator answers
//! everything itself on the engine's clock; HTTP providers place calls on
//! their own threads and report ends through webhooks.

use chrono::{DateTime, Utc};
use leadline_domain::{CallId, CallOutcome, LeadId, PhoneNumber};

/// A call to place.
#[derive(Clone, Debug)]
pub struct OutboundCall {
    pub call_id: CallId,
    pub lead_id: LeadId,
    pub phone: PhoneNumber,
    /// The campaign's provider settings.
    pub agent_id: Option<String>,
    pub caller_id: Option<String>,
    pub next_action: Option<String>,
    pub extra: std::collections::BTreeMap<String, String>,
    /// Ask the provider to detect answering machines (the campaign's
    /// `detect_voicemail`).
    pub detect_voicemail: bool,
    /// What a voice agent may use in its prompt: the lead's `name` and its
    /// own columns (`fields`), by name. Voice-agent platforms receive them
    /// as their prompt variables.
    pub variables: std::collections::BTreeMap<String, String>,
    pub dialed_at: DateTime<Utc>,
}

/// What a provider said about a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderEvent {
    /// The provider accepted the call.
    Placed {
        call_id: CallId,
        lead_id: LeadId,
        provider_call_id: String,
    },
    /// The provider refused it; the call is recorded as failed with this
    /// message.
    Refused {
        call_id: CallId,
        lead_id: LeadId,
        error: String,
    },
    /// The call ended.
    Ended {
        call_id: CallId,
        lead_id: LeadId,
        outcome: CallOutcome,
        provider_status: String,
        provider_call_id: Option<String>,
        duration_secs: Option<u32>,
        error: Option<String>,
        at: DateTime<Utc>,
    },
}

pub trait CallPlacer: Send {
    /// Starts placing a call whose dial is durable.
    fn start(&mut self, call: OutboundCall, now: DateTime<Utc>);
    /// Everything the provider said by `now`, oldest first.
    fn poll(&mut self, now: DateTime<Utc>) -> Vec<ProviderEvent>;
    /// Gives back events whose recording failed, to be polled again.
    fn put_back(&mut self, events: Vec<ProviderEvent>);
    /// The next instant `poll` will have something, if known.
    fn next_due(&self) -> Option<DateTime<Utc>>;
    /// Resumes a call that was in flight before a restart: awaited, not
    /// placed again.
    fn resume(&mut self, call: OutboundCall);
}
