//! The log itself: paged reads and a live feed (Server-Sent Events).

use std::str::FromStr;
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use leadline_domain::{CampaignId, StreamName};
use leadline_projections::{codec, ReadModel};
use leadline_storage::RecordedEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::server::limits::{
    EVENTS_PAGE_MAX, LOG_POSITION_MAX, SSE_FRAMES_QUEUED_MAX, SSE_HEARTBEAT_MS,
};
use crate::server::routes::access::visible;
use crate::server::routes::parse_id;
use crate::server::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/events", web::get().to(list))
        .route("/events/stream", web::get().to(stream));
}

/// One event as the API shows it: here, on the live feed and in webhook
/// deliveries. Signing secrets in payloads show as `[redacted]`.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// The event's id: unique, the same on every read and delivery.
    pub id: String,
    pub position: u64,
    pub stream: String,
    pub stream_version: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the log recorded it.
    pub at: DateTime<Utc>,
    pub actor: String,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// Whether an event of `stream` belongs to `campaign` (the campaign's own
/// stream or one of its leads').
fn of_campaign(model: &ReadModel, campaign: &CampaignId, stream: &str) -> bool {
    match StreamName::from_str(stream) {
        Ok(StreamName::Campaign(id)) => id == *campaign,
        Ok(StreamName::Lead(id)) => model
            .lead(&id)
            .is_some_and(|l| l.lead.campaign_id == *campaign),
        _ => false,
    }
}

/// Whether `principal` may see an event of `stream`.
fn may_see(model: &ReadModel, principal: &Principal, stream: &str) -> bool {
    let Principal::User(user) = principal else {
        return true;
    };
    match StreamName::from_str(stream) {
        Ok(StreamName::User(id)) => id == *user,
        Ok(StreamName::Subscription(id)) => model
            .subscription(&id)
            .is_some_and(|s| s.subscription.owner == Some(*user)),
        Ok(StreamName::Campaign(id)) => model
            .campaign(&id)
            .is_some_and(|c| c.campaign.owner == *user),
        Ok(StreamName::Lead(id)) => model
            .lead(&id)
            .and_then(|l| model.campaign(&l.lead.campaign_id))
            .is_some_and(|c| c.campaign.owner == *user),
        Err(_) => false,
    }
}

pub fn event_view(recorded: &RecordedEvent) -> Result<EventView, ApiError> {
    let data = codec::decode_recorded(recorded).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(EventView {
        id: recorded.id.to_string(),
        position: recorded.position,
        stream: recorded.stream.clone(),
        stream_version: recorded.stream_version,
        event_type: recorded.event_type.clone(),
        at: recorded.recorded_at(),
        actor: recorded.actor.clone(),
        correlation_id: recorded.correlation_id.map(|u| u.to_string()),
        causation_id: recorded.causation_id.map(|u| u.to_string()),
        data: serde_json::to_value(&data).unwrap_or_default(),
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Events after this position (default 0: from the start; at most
    /// 9223372036854775807).
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    pub after: Option<u64>,
    /// At most this many.
    pub limit: Option<usize>,
    /// Only the events of this campaign and of its leads.
    pub campaign_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub events: Vec<EventView>,
    /// The last position read: pass it as `after` for the next page.
    pub last_position: u64,
}

/// The events of `records` (read after `after`) that `principal` may see,
/// of `campaign` when given, and the last position this covers.
///
/// Ownership is read from the read models, so only events they already
/// reflect are served; the rest come with the next page. This is the one
/// scoping of events for a caller: the log API, the live feed and webhook
/// deliveries all use it.
pub(crate) fn select<'r>(
    model: &ReadModel,
    records: &'r [RecordedEvent],
    principal: &Principal,
    campaign: Option<&CampaignId>,
    after: u64,
) -> (Vec<&'r RecordedEvent>, u64) {
    let folded = model.position();
    let records: Vec<&RecordedEvent> = records.iter().filter(|r| r.position <= folded).collect();
    let last = records.last().map_or(after, |r| r.position);
    let visible = records
        .into_iter()
        .filter(|r| may_see(model, principal, &r.stream))
        .filter(|r| campaign.is_none_or(|c| of_campaign(model, c, &r.stream)))
        .collect();
    (visible, last)
}

/// Reads the next visible events after `after`, scanning at most one page.
async fn page(
    state: &AppState,
    principal: Principal,
    campaign: Option<CampaignId>,
    after: u64,
    limit: usize,
) -> Result<(Vec<EventView>, u64), ApiError> {
    let log = state.log.clone();
    let records = web::block(move || log.read_all(after, limit))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    let (visible, last) = select(
        &state.projections.read(),
        &records,
        &principal,
        campaign.as_ref(),
        after,
    );
    let events = visible
        .into_iter()
        .map(event_view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((events, last))
}

/// The `campaign_id` filter, if given: a campaign the caller may see.
fn campaign_filter(
    state: &AppState,
    principal: &Principal,
    query: &EventQuery,
) -> Result<Option<CampaignId>, ApiError> {
    let Some(raw) = &query.campaign_id else {
        return Ok(None);
    };
    let id: CampaignId = parse_id("campaign_id", raw)?;
    let model = state.projections.read();
    visible(&model, principal, &id)?;
    Ok(Some(id))
}

/// The log in order (admin: everything; a user: its own streams).
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventQuery), responses((status = 200, body = EventPage)))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query
        .limit
        .unwrap_or(EVENTS_PAGE_MAX)
        .clamp(1, EVENTS_PAGE_MAX);
    let campaign = campaign_filter(&state, &principal, &query)?;
    let after = checked_position("after", query.after)?;
    let (events, last_position) =
        page(&state, principal, campaign, after.unwrap_or(0), limit).await?;
    Ok(HttpResponse::Ok().json(EventPage {
        events,
        last_position,
    }))
}

/// A position a client named, refused past [`LOG_POSITION_MAX`].
fn checked_position(what: &str, position: Option<u64>) -> Result<Option<u64>, ApiError> {
    match position {
        Some(p) if p > LOG_POSITION_MAX => Err(ApiError::bad_request(format!(
            "{what} must be a log position from 0 to {LOG_POSITION_MAX}, not {p}"
        ))),
        _ => Ok(position),
    }
}

/// New events as Server-Sent Events (`id` = position, `event` = type,
/// `data` = the event as JSON), from `?after=` or `Last-Event-ID`, live.
#[utoipa::path(get, path = "/api/v1/events/stream", tag = "events", params(EventQuery),
    responses((status = 200, description = "text/event-stream"), (status = 503, description = "too many live feeds open, in all or for this key")))]
pub async fn stream(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let resume = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let campaign = campaign_filter(&state, &principal, &query)?;
    let mut after = checked_position("after", query.after)?
        .or(checked_position("Last-Event-ID", resume)?)
        .unwrap_or_else(|| state.projections.position());
    let slot = state
        .live_feeds
        .open(principal)
        .map_err(ApiError::unavailable)?;
    let (sender, mut frames) = tokio::sync::mpsc::channel::<Bytes>(SSE_FRAMES_QUEUED_MAX);
    let feed_state = state.clone();
    tokio::spawn(async move {
        let _slot = slot;
        let mut reached = feed_state.projections.subscribe();
        if sender
            .send(Bytes::from_static(b": leadline live feed\n\n"))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let wait = async { reached.wait_for(|p| *p > after).await.map(|_| ()) };
            let waited = tokio::time::timeout(Duration::from_millis(SSE_HEARTBEAT_MS), wait).await;
            match waited {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return,
                Err(_) => {
                    if sender
                        .send(Bytes::from_static(b": heartbeat\n\n"))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    continue;
                }
            }
            let Ok((events, last)) =
                page(&feed_state, principal, campaign, after, EVENTS_PAGE_MAX).await
            else {
                return;
            };
            for event in events {
                let data = serde_json::to_string(&event).unwrap_or_default();
                let frame = format!(
                    "id: {}\nevent: {}\ndata: {data}\n\n",
                    event.position, event.event_type
                );
                if sender.send(Bytes::from(frame)).await.is_err() {
                    return;
                }
            }
            after = last;
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| {
        frames
            .poll_recv(cx)
            .map(|frame| frame.map(Ok::<Bytes, actix_web::Error>))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
