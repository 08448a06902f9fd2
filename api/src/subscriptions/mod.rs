//! Webhooks out: signed deliveries of a user's events to its own systems.
//!
//! A subscription is an event in the log (`SubscriptionCreated`,
//! `SubscriptionDeleted`; decided by `leadline_domain::subscription`),
//! folded into the read model. This module delivers:
//!
//! - [`spawn`] starts a supervisor task on the server's runtime. It wakes
//!   whenever the read models fold new events, starts one delivery task
//!   per live subscription and stops the task of a deleted one.
//! - Each task ([`delivery`]) follows the log from the subscription's own
//!   durable checkpoint (`subscription-sub_…`; from its creation when it
//!   has none). It reads the next events, keeps those its owner may see
//!   (the scoping of `GET /api/v1/events`: `server::routes::events::select`)
//!   of the chosen types and campaign, and posts them as one batch
//!   (bounded in events and bytes), in log order, signed
//!   ([`signing`]). Only after a 2xx does the checkpoint advance, to the
//!   last log position the batch covered (events filtered out are skipped
//!   over). A failure is retried with the same body and delivery id after
//!   a jittered exponential backoff ([`retry`]), indefinitely: at least
//!   once, in order, one batch in flight per subscription.
//! - Every delivery checks the URL again ([`address`]): the host is
//!   resolved, every address checked, and the request connects to exactly
//!   those addresses; redirects are not followed.
//!
//! What the tasks know — last delivered position, consecutive failures,
//! last error — is kept in [`Deliveries`] for the API and `/metrics`. The
//! log and its checkpoints are only touched from blocking threads.

pub mod address;
pub mod delivery;
pub mod retry;
pub mod signing;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use leadline_domain::SubscriptionId;
use leadline_projections::{Projections, ReadModel, SubscriptionEntry};
use leadline_storage::EventLog;
use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use self::address::WebhookPolicy;
use crate::limits::WEBHOOK_STOP_WAIT_MS;

/// Where one subscription's deliveries stand, as its task last saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryStatus {
    /// The log position up to which everything for it was acknowledged
    /// (or skipped as not for it).
    pub last_delivered_position: u64,
    /// Failed tries of the batch in flight since the last success.
    pub consecutive_failures: u32,
    /// Why the last try failed, while failures continue.
    pub last_error: Option<String>,
    /// Events acknowledged by the receiver since this process started.
    pub delivered_events: u64,
}

/// The delivery statuses of every running subscription, and the policy
/// for webhook URLs.
#[derive(Default)]
pub struct Deliveries {
    pub policy: WebhookPolicy,
    statuses: Mutex<HashMap<SubscriptionId, DeliveryStatus>>,
}

impl Deliveries {
    pub fn new(policy: WebhookPolicy) -> Self {
        Deliveries {
            policy,
            statuses: Mutex::new(HashMap::new()),
        }
    }

    /// The status of a subscription whose task has started.
    pub fn status(&self, id: &SubscriptionId) -> Option<DeliveryStatus> {
        self.statuses.lock().get(id).cloned()
    }

    /// Every running subscription's status.
    pub fn all(&self) -> Vec<(SubscriptionId, DeliveryStatus)> {
        let statuses = self.statuses.lock();
        let mut all: Vec<_> = statuses.iter().map(|(id, s)| (*id, s.clone())).collect();
        all.sort_by_key(|(id, _)| *id);
        all
    }

    /// Where a subscription stands, against the read models' head: its
    /// task's status, or (before its task has started) its creation.
    pub fn standing(&self, model: &ReadModel, entry: &SubscriptionEntry) -> Standing {
        let status = self.status(&entry.subscription.id).unwrap_or_default();
        let delivered = status.last_delivered_position.max(entry.created_position);
        Standing {
            last_delivered_position: delivered,
            lag: model.position().saturating_sub(delivered),
            consecutive_failures: status.consecutive_failures,
            last_error: status.last_error,
        }
    }

    fn update(&self, id: SubscriptionId, change: impl FnOnce(&mut DeliveryStatus)) {
        change(self.statuses.lock().entry(id).or_default());
    }

    fn forget(&self, id: &SubscriptionId) {
        self.statuses.lock().remove(id);
    }
}

/// Where a subscription stands, as the API and `/metrics` show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub last_delivered_position: u64,
    /// Log positions between the last delivered one and the head the read
    /// models have folded (events not for the subscription included).
    pub lag: u64,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
}

/// The name of a subscription's durable checkpoint in the log.
pub fn checkpoint_name(id: &SubscriptionId) -> String {
    format!("subscription-{id}")
}

/// What every delivery task shares.
pub struct Context {
    pub log: Arc<dyn EventLog>,
    pub projections: Arc<Projections>,
    pub deliveries: Arc<Deliveries>,
}

/// Starts the supervisor on the current runtime; it returns once `stop`
/// turns true and its tasks have stopped (or `WEBHOOK_STOP_WAIT_MS`
/// passed, after which they are aborted: an unacknowledged batch is sent
/// again after the next start).
pub fn spawn(context: Arc<Context>, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(supervise(context, stop))
}

async fn supervise(context: Arc<Context>, mut stop: watch::Receiver<bool>) {
    let mut folded = context.projections.subscribe();
    let mut running: HashMap<SubscriptionId, JoinHandle<()>> = HashMap::new();
    loop {
        let live: Vec<SubscriptionId> = context
            .projections
            .read()
            .live_subscriptions()
            .map(|e| e.subscription.id)
            .collect();
        running.retain(|id, task| {
            if live.contains(id) {
                return true;
            }
            task.abort();
            context.deliveries.forget(id);
            false
        });
        for id in live {
            let finished = running.get(&id).is_some_and(JoinHandle::is_finished);
            if finished || !running.contains_key(&id) {
                let task = delivery::Task::new(context.clone(), id, stop.clone());
                running.insert(id, tokio::spawn(task.run()));
            }
        }
        tokio::select! {
            changed = folded.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            _ = stop.wait_for(|stopped| *stopped) => break,
        }
    }
    let aborts: Vec<_> = running.values().map(JoinHandle::abort_handle).collect();
    let all = futures_util::future::join_all(running.into_values());
    if tokio::time::timeout(Duration::from_millis(WEBHOOK_STOP_WAIT_MS), all)
        .await
        .is_err()
    {
        for abort in aborts {
            abort.abort();
        }
    }
}
