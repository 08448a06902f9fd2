//! A campaign's activity over time: dials, outcomes, the answer rate and
//! the most calls in flight, per minute, hour or day
//! (`leadline_projections::timeline`, folded with the call log).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use leadline_domain::{CallOutcome, CampaignId};
use leadline_projections::timeline::{self, minute_of, minute_start, BucketSize};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::limits::TIMELINE_BUCKETS_MAX;
use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::server::state::AppState;

use super::access::visible;
use super::parse_id;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns/{id}/timeline", web::get().to(campaign));
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    /// `minute`, `hour` or `day` (default `hour`). Hours start on the hour
    /// of the campaign's zone, days at its midnight.
    pub bucket: Option<String>,
    /// The first instant wanted (RFC 3339 with an offset), rounded down to
    /// its bucket. Default: the campaign's first activity, or as many
    /// buckets before `to` as one answer holds, whichever is later.
    pub from: Option<String>,
    /// The end of the range (RFC 3339 with an offset, exclusive, rounded
    /// up to a bucket's edge). Default: the end of the campaign's last
    /// active minute.
    pub to: Option<String>,
}

/// One bucket of a timeline. Every call outcome is listed, zeros included.
#[derive(Serialize, ToSchema, Debug)]
pub struct TimelineBucketView {
    /// The bucket's first instant.
    pub start: DateTime<Utc>,
    /// Calls dialed in the bucket.
    pub dials: u32,
    /// Calls that ended in the bucket, answered.
    pub answered: u32,
    pub no_answer: u32,
    pub busy: u32,
    /// Calls that failed, those reclaimed as stale included.
    pub failed: u32,
    pub dropped: u32,
    pub congestion: u32,
    pub voicemail: u32,
    /// Calls reclaimed as stale (also counted in `failed`).
    pub reclaimed: u32,
    /// Calls that ended in the bucket, whatever the outcome.
    pub ended: u32,
    /// `answered / ended`; null when no call ended.
    pub answer_rate: Option<f64>,
    /// The most calls in flight at any moment of the bucket, those
    /// carried in at its start included.
    pub in_flight_max: u32,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct TimelineView {
    /// `minute`, `hour` or `day`.
    pub bucket: String,
    /// The campaign's zone, which hours and days follow (IANA name).
    pub timezone: String,
    /// Every bucket of the range in order, empty ones included.
    pub buckets: Vec<TimelineBucketView>,
}

fn instant(name: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    text.map(|text| {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                ApiError::bad_request(format!("{name} must be RFC 3339 with an offset: {e}"))
            })
    })
    .transpose()
}

/// A campaign's dials, outcomes, answer rate and calls in flight per
/// bucket. Limits: at most `timeline_buckets_max` buckets; a range with
/// `from` that holds more is refused, a default range keeps the latest.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/timeline", tag = "campaigns",
    params(TimelineQuery),
    responses((status = 200, body = TimelineView)))]
pub async fn campaign(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", &path)?;
    let size = match query.bucket.as_deref() {
        None => BucketSize::Hour,
        Some(text) => BucketSize::parse(text).ok_or_else(|| {
            ApiError::bad_request("bucket must be `minute`, `hour` or `day`".to_owned())
        })?,
    };
    let from = instant("from", query.from.as_deref())?;
    let to = instant("to", query.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            return Err(ApiError::bad_request(
                "to must not be before from".to_owned(),
            ));
        }
    }
    let model = state.projections.read();
    let entry = visible(&model, &principal, &id)?;
    let zone = entry.campaign.settings.timezone;
    let line = &entry.timeline;
    let span = line
        .span()
        .and_then(|(first, last)| Some((minute_start(first)?, minute_start(last + 1)?)));
    let edges = match from {
        Some(from) => {
            let to = to.or(span.map(|(_, end)| end)).unwrap_or(from).max(from);
            timeline::edges(size, zone, from, to, TIMELINE_BUCKETS_MAX).map_err(|_| {
                ApiError::bad_request(format!(
                    "from … to holds more than TIMELINE_BUCKETS_MAX ({TIMELINE_BUCKETS_MAX}) \
                     buckets of a {}: narrow the range or choose a larger bucket",
                    size.name()
                ))
            })?
        }
        None => {
            let to = to.or(span.map(|(_, end)| end));
            match (to, span) {
                (Some(to), Some((first, _))) => {
                    let buckets = i32::try_from(TIMELINE_BUCKETS_MAX).unwrap_or(i32::MAX);
                    let earliest = to
                        .checked_sub_signed(size.nominal() * buckets)
                        .unwrap_or(first);
                    let from = first.max(earliest).min(to);
                    // A few buckets of slack for days of 23 hours; the
                    // latest are kept.
                    let mut edges = timeline::edges(size, zone, from, to, TIMELINE_BUCKETS_MAX + 4)
                        .unwrap_or_default();
                    let over = edges.len().saturating_sub(TIMELINE_BUCKETS_MAX + 1);
                    edges.drain(..over);
                    edges
                }
                _ => Vec::new(),
            }
        }
    };
    let minutes: Vec<i64> = edges.iter().map(|t| minute_of(*t)).collect();
    let sums = line.aggregate(&minutes);
    let buckets = edges
        .iter()
        .zip(sums.iter())
        .map(|(start, b)| TimelineBucketView {
            start: *start,
            dials: b.dials,
            answered: b.outcome(CallOutcome::Answered),
            no_answer: b.outcome(CallOutcome::NoAnswer),
            busy: b.outcome(CallOutcome::Busy),
            failed: b.outcome(CallOutcome::Failed),
            dropped: b.outcome(CallOutcome::Dropped),
            congestion: b.outcome(CallOutcome::Congestion),
            voicemail: b.outcome(CallOutcome::Voicemail),
            reclaimed: b.reclaimed,
            ended: b.ended(),
            answer_rate: b.answer_rate(),
            in_flight_max: b.in_flight_max,
        })
        .collect();
    Ok(HttpResponse::Ok().json(TimelineView {
        bucket: size.name().to_owned(),
        timezone: zone.name().to_owned(),
        buckets,
    }))
}
