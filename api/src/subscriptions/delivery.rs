//! One subscription's delivery task: follow the log from its checkpoint,
//! post batches in order, advance the checkpoint after each 2xx.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use leadline_domain::subscription::Subscription;
use leadline_domain::SubscriptionId;
use leadline_projections::ReadModel;
use leadline_storage::RecordedEvent;
use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use tokio::sync::watch;

use super::address::Target;
use super::signing::{signature, DELIVERY_HEADER, SIGNATURE_HEADER};
use super::{checkpoint_name, retry, Context};
use crate::limits::{
    SUBSCRIPTION_BATCH_BYTES_MAX, SUBSCRIPTION_BATCH_EVENTS_MAX, SUBSCRIPTION_SCAN_EVENTS_MAX,
    SUBSCRIPTION_SKIP_SAVE_POSITIONS_MIN, WEBHOOK_CONNECT_TIMEOUT_MS, WEBHOOK_ERROR_BYTES_MAX,
    WEBHOOK_REQUEST_TIMEOUT_MS, WEBHOOK_RESPONSE_BYTES_MAX,
};
use crate::server::auth::Principal;
use crate::server::routes::events::{event_view, select};

/// The next thing to do after the checkpoint.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing for this subscription up to `through`: move on.
    Skip { through: u64 },
    /// Post `body` (holding `count` events); acknowledged, it covers the
    /// log up to `through`.
    Post {
        delivery_id: String,
        body: Bytes,
        count: usize,
        through: u64,
    },
}

/// How big one batch may be.
#[derive(Clone, Copy, Debug)]
pub struct BatchLimits {
    pub events: usize,
    pub bytes: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits {
            events: SUBSCRIPTION_BATCH_EVENTS_MAX,
            bytes: SUBSCRIPTION_BATCH_BYTES_MAX,
        }
    }
}

/// Whose events a subscription receives: its owner's, as that owner would
/// read them; the admin's subscription, everything.
pub fn principal_of(subscription: &Subscription) -> Principal {
    match subscription.owner {
        Some(user) => Principal::User(user),
        None => Principal::Admin,
    }
}

/// The batch after `after` from `records` (read after `after`): the
/// events the subscription's owner may see, of its campaign and types, in
/// log order, up to the batch limits. A single event larger than the byte
/// limit is sent alone.
pub fn compose(
    model: &ReadModel,
    subscription: &Subscription,
    records: &[RecordedEvent],
    after: u64,
    limits: BatchLimits,
) -> Result<Next, String> {
    let principal = principal_of(subscription);
    let (visible, last) = select(
        model,
        records,
        &principal,
        subscription.campaign_id.as_ref(),
        after,
    );
    let head = format!("{{\"subscription_id\":\"{}\",\"events\":[", subscription.id);
    let tail = "]}";
    let mut body = head.into_bytes();
    let mut count = 0;
    let mut first = None;
    let mut through = last;
    for record in visible
        .into_iter()
        .filter(|r| subscription.wants(&r.event_type))
    {
        let view = event_view(record).map_err(|e| e.detail)?;
        let json = serde_json::to_vec(&view).map_err(|e| e.to_string())?;
        let full = count == limits.events
            || (count > 0 && body.len() + 1 + json.len() + tail.len() > limits.bytes);
        if full {
            // Covered up to the event before this one.
            through = record.position - 1;
            break;
        }
        if count > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&json);
        count += 1;
        first.get_or_insert(record.position);
    }
    let Some(first) = first else {
        return Ok(Next::Skip { through: last });
    };
    body.extend_from_slice(tail.as_bytes());
    Ok(Next::Post {
        delivery_id: format!("{}-{first}-{through}", subscription.id),
        body: Bytes::from(body),
        count,
        through,
    })
}

/// Text cut to `WEBHOOK_ERROR_BYTES_MAX` on a character boundary.
fn cut(text: &str) -> String {
    leadline_domain::text::truncate(text, WEBHOOK_ERROR_BYTES_MAX)
}

/// The client for one delivery: connecting only to the checked
/// addresses, never following a redirect or a proxy, within the timeouts.
fn client_for(target: &Target) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(WEBHOOK_CONNECT_TIMEOUT_MS))
        .timeout(Duration::from_millis(WEBHOOK_REQUEST_TIMEOUT_MS))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if target.host.parse::<std::net::IpAddr>().is_err() {
        builder = builder.resolve_to_addrs(&target.host, &target.addresses);
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Reads at most `WEBHOOK_RESPONSE_BYTES_MAX` of an answer's body.
async fn bounded_text(mut response: reqwest::Response) -> String {
    let mut read = Vec::new();
    while read.len() < WEBHOOK_RESPONSE_BYTES_MAX {
        match response.chunk().await {
            Ok(Some(chunk)) => read.extend_from_slice(&chunk),
            _ => break,
        }
    }
    read.truncate(WEBHOOK_RESPONSE_BYTES_MAX);
    String::from_utf8_lossy(&read).trim().to_owned()
}

/// Runs a log call on a blocking thread (sled is never called on the
/// reactor; `save_checkpoint` waits for an fsync).
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, leadline_storage::LogError> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(call).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// How far a task has gone, and how far its checkpoint says.
struct Progress {
    position: u64,
    saved: u64,
}

/// One subscription's task.
pub struct Task {
    context: Arc<Context>,
    id: SubscriptionId,
    stop: watch::Receiver<bool>,
}

impl Task {
    pub fn new(context: Arc<Context>, id: SubscriptionId, stop: watch::Receiver<bool>) -> Self {
        Task { context, id, stop }
    }

    fn live(&self) -> Option<(Subscription, u64)> {
        let model = self.context.projections.read();
        model
            .subscription(&self.id)
            .filter(|e| e.subscription.is_live())
            .map(|e| (e.subscription.clone(), e.created_position))
    }

    fn failed(&self, failures: &mut u32, error: String) -> Duration {
        *failures = failures.saturating_add(1);
        let count = *failures;
        self.context.deliveries.update(self.id, |s| {
            s.consecutive_failures = count;
            s.last_error = Some(cut(&error));
        });
        retry::jittered(count)
    }

    /// Sleeps, unless the server stops first; false when it does.
    async fn pause(&mut self, duration: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(duration) => true,
            _ = self.stop.wait_for(|stopped| *stopped) => false,
        }
    }

    /// Runs until the server stops or the subscription is deleted.
    pub async fn run(mut self) {
        let Some(start) = self.start().await else {
            return;
        };
        let mut progress = Progress {
            position: start,
            saved: start,
        };
        self.follow(&mut progress).await;
        // Progress over events not for it is saved now if it was not yet
        // (a deleted subscription needs none).
        if progress.position > progress.saved && self.live().is_some() {
            self.save(progress.position).await;
        }
    }

    /// Delivers until the server stops or the subscription is deleted.
    async fn follow(&mut self, progress: &mut Progress) {
        let mut folded = self.context.projections.subscribe();
        let mut failures = 0u32;
        loop {
            let position = progress.position;
            let waited = tokio::select! {
                reached = folded.wait_for(|p| *p > position) => reached.is_ok(),
                _ = self.stop.wait_for(|stopped| *stopped) => false,
            };
            if !waited {
                return;
            }
            let Some((subscription, _)) = self.live() else {
                return;
            };
            let log = self.context.log.clone();
            let read = blocking(move || log.read_all(position, SUBSCRIPTION_SCAN_EVENTS_MAX)).await;
            let next = match read {
                Ok(records) => compose(
                    &self.context.projections.read(),
                    &subscription,
                    &records,
                    position,
                    BatchLimits::default(),
                ),
                Err(e) => Err(format!("reading the log: {e}")),
            };
            if next.is_ok() && failures > 0 {
                // Reading failed before and works again.
                failures = 0;
                self.context.deliveries.update(self.id, |s| {
                    s.consecutive_failures = 0;
                    s.last_error = None;
                });
            }
            match next {
                Ok(Next::Skip { through }) => {
                    // Nothing to send: the checkpoint is saved only now
                    // and then (after a crash these events are read and
                    // skipped again, nothing more).
                    progress.position = through;
                    if through.saturating_sub(progress.saved)
                        >= SUBSCRIPTION_SKIP_SAVE_POSITIONS_MIN
                    {
                        self.save(through).await;
                        progress.saved = through;
                    } else {
                        self.context
                            .deliveries
                            .update(self.id, |s| s.last_delivered_position = through);
                    }
                }
                Ok(Next::Post {
                    delivery_id,
                    body,
                    count,
                    through,
                }) => {
                    if !self
                        .deliver(&subscription, &delivery_id, &body, &mut failures)
                        .await
                    {
                        return;
                    }
                    self.context
                        .deliveries
                        .update(self.id, |s| s.delivered_events += count as u64);
                    self.save(through).await;
                    progress.position = through;
                    progress.saved = through;
                }
                Err(error) => {
                    let wait = self.failed(&mut failures, error);
                    if !self.pause(wait).await {
                        return;
                    }
                }
            }
        }
    }

    /// The position to start from: the checkpoint, else the creation.
    async fn start(&mut self) -> Option<u64> {
        let mut failures = 0;
        loop {
            let (_, created) = self.live()?;
            let log = self.context.log.clone();
            let name = checkpoint_name(&self.id);
            match blocking(move || log.checkpoint(&name)).await {
                Ok(saved) => {
                    let position = saved.unwrap_or(created).max(created);
                    self.context.deliveries.update(self.id, |s| {
                        s.last_delivered_position = position;
                        s.consecutive_failures = 0;
                        s.last_error = None;
                    });
                    return Some(position);
                }
                Err(e) => {
                    let wait = self.failed(&mut failures, format!("reading the checkpoint: {e}"));
                    if !self.pause(wait).await {
                        return None;
                    }
                }
            }
        }
    }

    /// Stores the checkpoint (fsync, on a blocking thread). A failure is
    /// reported and the position kept in memory: the batch may be sent
    /// again after a restart, which at-least-once allows.
    async fn save(&self, position: u64) {
        let log = self.context.log.clone();
        let name = checkpoint_name(&self.id);
        let error = blocking(move || log.save_checkpoint(&name, position))
            .await
            .err()
            .map(|e| format!("saving the checkpoint: {e}"));
        self.context.deliveries.update(self.id, |s| {
            s.last_delivered_position = position;
            if let Some(error) = error {
                s.last_error = Some(cut(&error));
            }
        });
    }

    /// Posts one batch until a 2xx; false when the server stops first.
    async fn deliver(
        &mut self,
        subscription: &Subscription,
        delivery_id: &str,
        body: &Bytes,
        failures: &mut u32,
    ) -> bool {
        loop {
            let mut stop = self.stop.clone();
            let attempt = tokio::select! {
                result = self.attempt(subscription, delivery_id, body) => result,
                _ = stop.wait_for(|stopped| *stopped) => return false,
            };
            match attempt {
                Ok(()) => {
                    *failures = 0;
                    self.context.deliveries.update(self.id, |s| {
                        s.consecutive_failures = 0;
                        s.last_error = None;
                    });
                    return true;
                }
                Err(error) => {
                    let wait = self.failed(failures, error);
                    if !self.pause(wait).await {
                        return false;
                    }
                }
            }
        }
    }

    async fn attempt(
        &self,
        subscription: &Subscription,
        delivery_id: &str,
        body: &Bytes,
    ) -> Result<(), String> {
        let target = self
            .context
            .deliveries
            .policy
            .check(&subscription.url)
            .await
            .map_err(|e| e.to_string())?;
        let client = client_for(&target)?;
        let now = chrono::Utc::now().timestamp();
        let request = client
            .post(target.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(
                USER_AGENT,
                concat!("leadline-webhooks/", env!("CARGO_PKG_VERSION")),
            )
            .header(DELIVERY_HEADER, delivery_id)
            .header(
                SIGNATURE_HEADER,
                signature(subscription.secret.expose(), now, body),
            )
            .body(body.clone());
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                format!("the receiver did not answer within {WEBHOOK_REQUEST_TIMEOUT_MS} ms")
            } else if e.is_connect() {
                format!("cannot connect to the receiver: {e}")
            } else {
                format!("the delivery failed: {e}")
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = bounded_text(response).await;
        Err(format!("the receiver answered {status}: {text}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::{Cause, CommandRunner, Decision};
    use leadline_domain::subscription::{self as domain, NewSubscription, WebhookSecret};
    use leadline_domain::user::{self, UserCommand};
    use leadline_domain::{Actor, ContactId, PhoneNumber, UserId};
    use leadline_projections::Projections;
    use leadline_storage::{system_clock, EventLog, LogLimits, MemoryLog};
    use serde_json::Value;

    const ASHA: UserId = UserId::from_u128(1);
    const BEN: UserId = UserId::from_u128(2);

    struct World {
        log: Arc<dyn EventLog>,
        projections: Arc<Projections>,
        runner: Arc<CommandRunner>,
    }

    fn run(world: &World, decide: impl Fn(&ReadModel) -> Vec<leadline_domain::Event>) {
        world
            .runner
            .run_blocking(&Cause::new(Actor::System("test".into())), |model| {
                Ok::<_, String>(Decision::new(decide(model), ()))
            })
            .expect("written");
    }

    /// Asha and Ben, the subscriptions, then `contacts` contacts each.
    fn world(contacts: u32, subscriptions: &[(u128, Option<UserId>, &[&str])]) -> World {
        let log: Arc<dyn EventLog> = Arc::new(MemoryLog::new(LogLimits::default(), system_clock()));
        let projections = Projections::open(log.clone()).expect("projections");
        projections.follow().expect("follower");
        let runner = CommandRunner::new(log.clone(), projections.clone());
        let world = World {
            log,
            projections,
            runner,
        };
        let now = chrono::DateTime::UNIX_EPOCH;
        for (user, name) in [(ASHA, "Asha"), (BEN, "Ben")] {
            run(&world, |_| {
                user::create(None, user, name, None, name, now).expect("user")
            });
        }
        for (n, owner, events) in subscriptions {
            run(&world, |model| {
                let new = NewSubscription {
                    id: SubscriptionId::from_u128(*n),
                    owner: *owner,
                    url: "https://hooks.example.com/x".into(),
                    events: events.iter().map(|e| (*e).to_owned()).collect(),
                    campaign_id: None,
                    secret: WebhookSecret::new("whsec_test".into()),
                };
                let owned = model.live_subscriptions().count();
                domain::create(None, new, owned, now).expect("subscription")
            });
        }
        for i in 0..contacts {
            for (k, user) in [(0u32, ASHA), (1, BEN)] {
                run(&world, |model| {
                    let entry = model.user(&user).expect("user");
                    let phone = PhoneNumber::parse(&format!("+9198765{:05}", 2 * i + k), None)
                        .expect("phone");
                    let command = UserCommand::AddContact {
                        contact_id: ContactId::from_u128(u128::from(1000 + 2 * i + k)),
                        phone,
                        name: None,
                        timezone: None,
                    };
                    user::decide(&entry.user, command, now).expect("contact")
                });
            }
        }
        world
    }

    fn next(world: &World, id: u128, after: u64, limits: BatchLimits) -> Next {
        let records = world.log.read_all(after, 1_000).expect("read");
        let model = world.projections.read();
        let entry = model
            .subscription(&SubscriptionId::from_u128(id))
            .expect("subscription");
        compose(&model, &entry.subscription, &records, after, limits).expect("composed")
    }

    fn body_of(next: &Next) -> Value {
        match next {
            Next::Post { body, .. } => serde_json::from_slice(body).expect("JSON body"),
            Next::Skip { .. } => panic!("nothing to post"),
        }
    }

    #[test]
    fn a_batch_holds_the_owners_events_in_log_order_up_to_the_event_limit() {
        let world = world(30, &[(7, Some(ASHA), &["*"])]);
        let limits = BatchLimits {
            events: 10,
            bytes: 1 << 20,
        };
        let next = next(&world, 7, 0, limits);
        let body = body_of(&next);
        assert_eq!(
            body["subscription_id"],
            SubscriptionId::from_u128(7).to_string()
        );
        let events = body["events"].as_array().expect("events");
        assert_eq!(events.len(), 10);
        let positions: Vec<u64> = events
            .iter()
            .map(|e| e["position"].as_u64().expect("position"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        for event in events {
            assert!(event["id"].is_string(), "{event}");
            let stream = event["stream"].as_str().expect("stream");
            assert!(
                stream == format!("user-{ASHA}") || stream.starts_with("subscription-"),
                "{stream}"
            );
        }
        let Next::Post {
            through,
            delivery_id,
            count,
            ..
        } = next
        else {
            unreachable!()
        };
        assert_eq!(count, 10);
        // Covered up to just before the first event left for the next batch.
        let last = positions[9];
        assert!(through >= last && through < last + 2, "{through} {last}");
        assert_eq!(
            delivery_id,
            format!(
                "{}-{}-{through}",
                SubscriptionId::from_u128(7),
                positions[0]
            )
        );
    }

    #[test]
    fn a_batch_stops_before_the_byte_limit_but_always_holds_one_event() {
        let world = world(5, &[(7, Some(ASHA), &["ContactAdded"])]);
        let tiny = BatchLimits {
            events: 100,
            bytes: 10,
        };
        let body = body_of(&next(&world, 7, 0, tiny));
        assert_eq!(body["events"].as_array().map(Vec::len), Some(1));
        let one = serde_json::to_vec(&body).expect("json").len();
        let two = BatchLimits {
            events: 100,
            bytes: 2 * one + 10,
        };
        let body = body_of(&next(&world, 7, 0, two));
        let sent = body["events"].as_array().map_or(0, Vec::len);
        assert!((2..5).contains(&sent), "{sent}");
        assert!(serde_json::to_vec(&body).expect("json").len() <= two.bytes);
    }

    #[test]
    fn events_not_for_the_subscription_are_skipped_over() {
        let world = world(
            3,
            &[(7, Some(BEN), &["DncAdded"]), (8, None, &["ContactAdded"])],
        );
        let head = world.projections.position();
        assert_eq!(
            next(&world, 7, 0, BatchLimits::default()),
            Next::Skip { through: head }
        );
        // The admin's subscription sees every user's events of its type.
        let body = body_of(&next(&world, 8, 0, BatchLimits::default()));
        let events = body["events"].as_array().expect("events");
        assert_eq!(events.len(), 6);
        assert!(events.iter().all(|e| e["type"] == "ContactAdded"));
    }

    #[test]
    fn the_secret_never_appears_in_a_batch() {
        let world = world(1, &[(7, Some(ASHA), &["*"]), (8, Some(ASHA), &["*"])]);
        let Next::Post { body, .. } = next(&world, 7, 0, BatchLimits::default()) else {
            panic!("nothing to post");
        };
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("SubscriptionCreated"), "{text}");
        assert!(!text.contains("whsec_test"), "{text}");
        assert!(text.contains(WebhookSecret::REDACTED), "{text}");
    }
}
