//! What every handler shares.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use leadline_projections::Projections;
use leadline_storage::EventLog;

use super::error::ApiError;
use super::limits::VISIBLE_WAIT_MS;
use super::metrics::Metrics;
use crate::dialer::providers::WebhookSecrets;

/// The time source for decisions: the wall clock in `serve`.
pub type Clock = Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>;

pub struct AppState {
    pub clock: Clock,
    pub log: Arc<dyn EventLog>,
    pub projections: Arc<Projections>,
    pub admin_digest: String,
    pub metrics: Arc<Metrics>,
    /// Open Server-Sent Events streams.
    pub sse_streams: AtomicUsize,
    /// How provider callbacks are authenticated: only the configured
    /// provider's secrets are set.
    pub webhooks: WebhookSecrets,
}

impl AppState {
    /// Now, for decisions; the domain itself never reads the clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.clock)()
    }

    /// Waits until the read models reflect `position`: after a write, so
    /// that the caller's next read sees it.
    pub async fn wait_visible(&self, position: u64) -> Result<(), ApiError> {
        let mut reached = self.projections.subscribe();
        let wait = async { reached.wait_for(|p| *p >= position).await.map(|_| ()) };
        let waited = tokio::time::timeout(Duration::from_millis(VISIBLE_WAIT_MS), wait).await;
        match waited {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(ApiError::unavailable("the read models stopped")),
            Err(_) => Err(ApiError::unavailable(match self.projections.failure() {
                Some(failure) => format!("the read models stopped folding the log: {failure}"),
                None => format!(
                    "the write is durable at position {position} but the read models have not caught up yet"
                ),
            })),
        }
    }
}
