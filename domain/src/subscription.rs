//! Webhook subscriptions (the stream `subscription-sub_…`): a user asks
//! for its events to be posted to a URL of its own, signed with a secret.
//!
//! The domain checks what it can know without IO: the URL's length and
//! characters, the event type names, the number of subscriptions per
//! owner. Whether the URL may be reached (scheme, address) is checked by
//! the caller, which also makes the id and the secret.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{DomainError, SettingsError};
use crate::events::{Event, SubscriptionCreated, SubscriptionDeleted};
use crate::ids::{CampaignId, SubscriptionId, UserId};
use crate::text::echo;

/// Live subscriptions of one owner (a user, or the admin).
pub const SUBSCRIPTIONS_PER_OWNER_MAX: usize = 20;
/// Bytes of a webhook URL.
pub const WEBHOOK_URL_BYTES_MAX: usize = 2_048;
/// Bytes of a signing secret.
pub const WEBHOOK_SECRET_BYTES_MAX: usize = 256;
/// The event type selection that means every type.
pub const ALL_EVENT_TYPES: &str = "*";

/// A signing secret. It is stored in the log, to sign deliveries, but its
/// JSON form (and its `Debug`) is [`WebhookSecret::REDACTED`]: every view
/// of an event as JSON — the log API, the live feed, exports, histories —
/// hides it. Only the log's compact encoding holds the value.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// What every human-readable form shows instead of the secret.
    pub const REDACTED: &'static str = "[redacted]";

    /// Wraps a secret the caller generated.
    pub fn new(secret: String) -> Self {
        WebhookSecret(secret)
    }

    /// The secret itself: for signing, and for the one answer that shows
    /// it (the creation).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookSecret({})", Self::REDACTED)
    }
}

impl Serialize for WebhookSecret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(Self::REDACTED)
        } else {
            serializer.serialize_str(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for WebhookSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(WebhookSecret)
    }
}

/// A subscription as its events left it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Subscription {
    /// Its id.
    pub id: SubscriptionId,
    /// The user whose events it receives; `None`: the admin's (every event).
    pub owner: Option<UserId>,
    /// Where deliveries go.
    pub url: String,
    /// Event type names, or `["*"]`.
    pub events: Vec<String>,
    /// Only this campaign's events, when set.
    pub campaign_id: Option<CampaignId>,
    /// The signing secret.
    pub secret: WebhookSecret,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was deleted, if it was.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Subscription {
    /// Whether an event of this type is delivered to it.
    pub fn wants(&self, event_type: &str) -> bool {
        self.events
            .iter()
            .any(|name| name == ALL_EVENT_TYPES || name == event_type)
    }

    /// Whether it still receives deliveries.
    pub fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }
}

/// What a new subscription is asked for; the caller made the id and the
/// secret and checked that the URL may be reached and the campaign is the
/// owner's.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NewSubscription {
    /// A fresh id.
    pub id: SubscriptionId,
    /// Whose events.
    pub owner: Option<UserId>,
    /// Where to post.
    pub url: String,
    /// Event type names, or `["*"]`.
    pub events: Vec<String>,
    /// Only this campaign's events.
    pub campaign_id: Option<CampaignId>,
    /// The signing secret.
    pub secret: WebhookSecret,
}

fn check_url(url: &str) -> Result<String, DomainError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(SettingsError::Empty {
            field: "webhook URL",
        }
        .into());
    }
    crate::text::check_len("webhook URL", url, WEBHOOK_URL_BYTES_MAX)?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(DomainError::BadWebhookUrl {
            input: echo(url),
            reason: "holds spaces or control characters",
        });
    }
    Ok(url.to_owned())
}

/// The event type selection, checked and normalized: known names only, in
/// the order given, each once; `*` anywhere means every type (`["*"]`).
pub fn check_event_types(names: &[String]) -> Result<Vec<String>, DomainError> {
    if names.is_empty() {
        return Err(SettingsError::Empty {
            field: "event types",
        }
        .into());
    }
    let mut selected: Vec<String> = Vec::new();
    let mut all = false;
    for name in names {
        let name = name.trim();
        if name == ALL_EVENT_TYPES {
            all = true;
        } else if !Event::TYPE_NAMES.contains(&name) {
            return Err(DomainError::UnknownEventType { input: echo(name) });
        } else if !selected.iter().any(|s| s == name) {
            selected.push(name.to_owned());
        }
    }
    if all {
        return Ok(vec![ALL_EVENT_TYPES.to_owned()]);
    }
    Ok(selected)
}

/// Creates a subscription. `existing` is the state of the stream with this
/// id; `owned` the owner's live subscriptions.
pub fn create(
    existing: Option<&Subscription>,
    new: NewSubscription,
    owned: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    if existing.is_some() {
        return Err(DomainError::SubscriptionExists(new.id));
    }
    let url = check_url(&new.url)?;
    let events = check_event_types(&new.events)?;
    if new.secret.expose().is_empty() {
        return Err(SettingsError::Empty {
            field: "webhook secret",
        }
        .into());
    }
    crate::text::check_len(
        "webhook secret",
        new.secret.expose(),
        WEBHOOK_SECRET_BYTES_MAX,
    )?;
    if owned >= SUBSCRIPTIONS_PER_OWNER_MAX {
        return Err(SettingsError::TooMany {
            field: "webhook subscriptions",
            max: SUBSCRIPTIONS_PER_OWNER_MAX,
        }
        .into());
    }
    Ok(vec![Event::SubscriptionCreated(SubscriptionCreated {
        subscription_id: new.id,
        owner: new.owner,
        url,
        events,
        campaign_id: new.campaign_id,
        secret: new.secret,
        at: now,
    })])
}

/// Deletes a subscription; a deleted one is not found.
pub fn delete(subscription: &Subscription, now: DateTime<Utc>) -> Result<Vec<Event>, DomainError> {
    if !subscription.is_live() {
        return Err(DomainError::SubscriptionNotFound(subscription.id));
    }
    Ok(vec![Event::SubscriptionDeleted(SubscriptionDeleted {
        subscription_id: subscription.id,
        at: now,
    })])
}

/// Applies one event. Events of other subscriptions and of other
/// aggregates leave the state as it is.
pub fn evolve(state: Option<Subscription>, event: &Event) -> Option<Subscription> {
    match event {
        Event::SubscriptionCreated(e) => Some(state.unwrap_or_else(|| Subscription {
            id: e.subscription_id,
            owner: e.owner,
            url: e.url.clone(),
            events: e.events.clone(),
            campaign_id: e.campaign_id,
            secret: e.secret.clone(),
            created_at: e.at,
            deleted_at: None,
        })),
        Event::SubscriptionDeleted(e) => state.map(|mut s| {
            if s.id == e.subscription_id && s.deleted_at.is_none() {
                s.deleted_at = Some(e.at);
            }
            s
        }),
        _ => state,
    }
}

/// Folds a subscription stream from its start.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Subscription> {
    events.into_iter().fold(None, evolve)
}

#[cfg(test)]
mod tests;
