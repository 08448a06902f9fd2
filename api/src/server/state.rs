//! What every handler shares.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use leadline_projections::Projections;
use leadline_storage::EventLog;

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
    /// Open Server-Sent Events streams.
    pub sse_streams: AtomicUsize,
    /// How provider callbacks are authenticated: only the configured
    /// provider's secrets are set.
    pub webhooks: WebhookSecrets,
    /// Webhooks out: the URL policy and each subscription's delivery
    /// status.
    pub deliveries: Arc<Deliveries>,
}

impl AppState {
    /// Now, for decisions; the domain itself never reads the clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.clock)()
    }
}
