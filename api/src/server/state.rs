//! What every handler shares.

use std::sync::Arc;

use leadline_projections::Projections;
use leadline_storage::EventLog;

use super::auth::Principal;
use super::metrics::Metrics;
use crate::dialer::providers::WebhookSecrets;
use crate::subscriptions::Deliveries;
use crate::write::CommandRunner;

/// The time source for decisions: the wall clock in `serve`.
pub type Clock = Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>;

pub struct AppState {
    pub clock: Clock,
    pub log: Arc<dyn EventLog>,
    pub projections: Arc<Projections>,
    /// The one write path, shared with the dialer.
    pub commands: Arc<CommandRunner>,
    pub admin_digest: String,
    pub metrics: Arc<Metrics>,
    /// Open Server-Sent Events streams, in all and per key.
    pub live_feeds: Arc<LiveFeeds>,
    /// How provider callbacks are authenticated: only the configured
    /// provider's secrets are set.
    pub webhooks: WebhookSecrets,
    /// Webhooks out: the URL policy and each subscription's delivery
    /// status.
    pub deliveries: Arc<Deliveries>,
    /// The dialer's limits, for forecasts.
    pub dialer: crate::dialer::DialerConfig,
    /// Forecasts running; more wait their turn.
    pub forecasts: Arc<tokio::sync::Semaphore>,
    /// Compliance reports being made: at most
    /// `COMPLIANCE_REPORTS_CONCURRENT_MAX` at once, the rest wait.
    pub compliance_reports: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Now, for decisions; the domain itself never reads the clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.clock)()
    }
}

/// The open live feeds, in all and per API key; a feed holds its place
/// until its [`FeedSlot`] is dropped.
#[derive(Default)]
pub struct LiveFeeds {
    open: parking_lot::Mutex<(usize, std::collections::HashMap<Principal, usize>)>,
}

impl LiveFeeds {
    /// A place for one more feed of `principal`, or why there is none.
    pub fn open(self: &Arc<Self>, principal: Principal) -> Result<FeedSlot, String> {
        use crate::limits::{SSE_STREAMS_MAX, SSE_STREAMS_PER_KEY_MAX};
        let mut open = self.open.lock();
        let (total, per_key) = &mut *open;
        let mine = per_key.get(&principal).copied().unwrap_or(0);
        if *total >= SSE_STREAMS_MAX {
            return Err(format!("{SSE_STREAMS_MAX} live feeds are open; try later"));
        }
        if mine >= SSE_STREAMS_PER_KEY_MAX {
            return Err(format!(
                "this key has {SSE_STREAMS_PER_KEY_MAX} live feeds open, the most one key may; close one or try later"
            ));
        }
        *total += 1;
        per_key.insert(principal, mine + 1);
        Ok(FeedSlot {
            feeds: self.clone(),
            principal,
        })
    }
}

/// One open feed's place; given back when dropped.
pub struct FeedSlot {
    feeds: Arc<LiveFeeds>,
    principal: Principal,
}

impl Drop for FeedSlot {
    fn drop(&mut self) {
        let mut open = self.feeds.open.lock();
        let (total, per_key) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(mine) = per_key.get_mut(&self.principal) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                per_key.remove(&self.principal);
            }
        }
    }
}
