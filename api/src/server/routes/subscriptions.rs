//! Webhooks out: a user's subscriptions to its own events, posted signed
//! to its own URL (delivered by [`crate::subscriptions`]).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use leadline_domain::subscription::{self, NewSubscription, WebhookSecret};
use leadline_domain::{CampaignId, StreamName, SubscriptionId};
use leadline_projections::{ReadModel, SubscriptionEntry};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::server::auth::Principal;
use crate::server::commands::{execute, execute_decision};
use crate::server::error::{json_config, ApiError};
use crate::server::limits::SUBSCRIPTION_BODY_BYTES_MAX;
use crate::server::routes::access::visible;
use crate::server::state::AppState;
use crate::subscriptions::signing::new_secret;
use crate::write::Decision;

use super::{cause, parse_id};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/subscriptions")
            .app_data(json_config(SUBSCRIPTION_BODY_BYTES_MAX))
            .route(web::post().to(create))
            .route(web::get().to(list)),
    )
    .route("/subscriptions/{id}", web::get().to(get))
    .route("/subscriptions/{id}", web::delete().to(delete));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscriptionBody {
    /// Where deliveries are posted: `https`, a public address.
    pub url: String,
    /// Event type names (`CallAnswered`, …), or `["*"]` for every type
    /// (the default).
    pub events: Option<Vec<String>>,
    /// Only the events of this campaign and of its leads.
    pub campaign_id: Option<String>,
}

/// A subscription and where its deliveries stand.
#[derive(Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub campaign_id: Option<String>,
    /// The user whose events it receives; null for the admin's (every
    /// event).
    pub owner: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The signing secret: in the answer to the creation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Every event up to this log position that is for this subscription
    /// was acknowledged by the receiver (the rest were skipped over).
    pub last_delivered_position: u64,
    /// Log positions between `last_delivered_position` and the head of
    /// the log this server has folded (events of other users and types
    /// included): 0 when it is caught up.
    pub lag: u64,
    /// Failed tries of the batch in flight since the last success.
    pub consecutive_failures: u32,
    /// Why the last try failed, while failures continue.
    pub last_error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SubscriptionList {
    pub subscriptions: Vec<SubscriptionView>,
}

fn view(state: &AppState, model: &ReadModel, entry: &SubscriptionEntry) -> SubscriptionView {
    let s = &entry.subscription;
    let standing = state.deliveries.standing(model, entry);
    SubscriptionView {
        id: s.id.to_string(),
        url: s.url.clone(),
        events: s.events.clone(),
        campaign_id: s.campaign_id.map(|c| c.to_string()),
        owner: s.owner.map(|u| u.to_string()),
        created_at: s.created_at,
        secret: None,
        last_delivered_position: standing.last_delivered_position,
        lag: standing.lag,
        consecutive_failures: standing.consecutive_failures,
        last_error: standing.last_error,
    }
}

/// A live subscription the caller may see (the admin: any; a user: its
/// own; another user's is "not found").
fn find<'m>(
    model: &'m ReadModel,
    principal: &Principal,
    id: &SubscriptionId,
) -> Result<&'m SubscriptionEntry, ApiError> {
    model
        .subscription(id)
        .filter(|e| e.subscription.is_live() && sees(principal, e))
        .ok_or_else(|| ApiError::not_found(&format!("subscription {id}")))
}

/// Whether the caller may see a subscription: the admin any, a user its own.
fn sees(principal: &Principal, entry: &SubscriptionEntry) -> bool {
    match principal {
        Principal::Admin => true,
        Principal::User(user) => entry.subscription.owner == Some(*user),
    }
}

/// Whose events a new subscription of the caller receives: a user's own,
/// or (the admin's) every event.
fn owner_of(principal: &Principal) -> Option<leadline_domain::UserId> {
    match principal {
        Principal::Admin => None,
        Principal::User(user) => Some(*user),
    }
}

/// Subscribes a URL to the caller's events. The answer holds the signing
/// secret, shown this once.
#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "subscriptions", request_body = NewSubscriptionBody,
    responses((status = 201, body = SubscriptionView), (status = 422, description = "unknown event type, refused URL or address")))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<NewSubscriptionBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let events = subscription::check_event_types(
        &body
            .events
            .unwrap_or_else(|| vec![subscription::ALL_EVENT_TYPES.to_owned()]),
    )?;
    let campaign_id: Option<CampaignId> = body
        .campaign_id
        .as_deref()
        .map(|raw| parse_id("campaign_id", raw))
        .transpose()?;
    if let Some(campaign) = &campaign_id {
        visible(&state.projections.read(), &principal, campaign)?;
    }
    let target = state
        .deliveries
        .policy
        .check(&body.url)
        .await
        .map_err(|refused| ApiError::unprocessable(refused.0))?;
    let id = SubscriptionId::from_uuid(uuid::Uuid::now_v7());
    let secret = new_secret();
    let owner = owner_of(&principal);
    let now = state.now();
    execute_decision(&state, &cause(&principal), |model| {
        if let Some(campaign) = &campaign_id {
            visible(model, &principal, campaign)?;
        }
        let owned = model
            .live_subscriptions()
            .filter(|e| e.subscription.owner == owner)
            .count();
        let new = NewSubscription {
            id,
            owner,
            url: target.url.to_string(),
            events: events.clone(),
            campaign_id,
            secret: WebhookSecret::new(secret.clone()),
        };
        let existing = model.subscription(&id).map(|e| &e.subscription);
        let events = subscription::create(existing, new, owned, now)?;
        // The owner's stream is checked so that two creations at once
        // cannot both pass the limit.
        let checks = owner.map(StreamName::User).into_iter().collect();
        Ok(Decision {
            events,
            checks,
            value: (),
        })
    })
    .await?;
    let model = state.projections.read();
    let entry = model
        .subscription(&id)
        .ok_or_else(|| ApiError::internal("the new subscription did not fold"))?;
    let mut created = view(&state, &model, entry);
    created.secret = Some(secret);
    Ok(HttpResponse::Created().json(created))
}

/// The caller's subscriptions (the admin: everyone's).
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "subscriptions", responses((status = 200, body = SubscriptionList)))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let model = state.projections.read();
    let subscriptions = model
        .live_subscriptions()
        .filter(|e| sees(&principal, e))
        .map(|e| view(&state, &model, e))
        .collect();
    Ok(HttpResponse::Ok().json(SubscriptionList { subscriptions }))
}

#[utoipa::path(get, path = "/api/v1/subscriptions/{id}", tag = "subscriptions", responses((status = 200, body = SubscriptionView), (status = 404, description = "no such subscription, or another user's")))]
pub async fn get(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: SubscriptionId = parse_id("subscription id", &path)?;
    let model = state.projections.read();
    let entry = find(&model, &principal, &id)?;
    Ok(HttpResponse::Ok().json(view(&state, &model, entry)))
}

/// Deletes a subscription: nothing more is delivered to it. The answer
/// is the subscription as it stood.
#[utoipa::path(delete, path = "/api/v1/subscriptions/{id}", tag = "subscriptions", responses((status = 200, body = SubscriptionView), (status = 404, description = "no such subscription, or another user's")))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: SubscriptionId = parse_id("subscription id", &path)?;
    let now = state.now();
    let done = execute(&state, &cause(&principal), |model| {
        let entry = find(model, &principal, &id)?;
        let before = view(&state, model, entry);
        Ok((subscription::delete(&entry.subscription, now)?, before))
    })
    .await?;
    Ok(HttpResponse::Ok().json(done.value))
}
