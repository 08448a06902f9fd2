//! Request bodies of the campaign routes, and how they are read into the
//! domain's settings. Kept apart from the handlers so that the wire format
//! of a campaign (absent, `null` or given fields; defaults) and its
//! validation read in one place.

use std::collections::BTreeMap;

use leadline_domain::campaign::CampaignSettings;
use leadline_domain::{DailyHours, LeadStatus, Region, RetryPolicy, TimeOfDay, Zone};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::server::error::ApiError;

/// A field that may be absent (keep the value), `null` (clear it) or given.
pub type Nullable<T> = Option<Option<T>>;

/// Reads a present field, `null` included, as `Some(..)`; `#[serde(default)]`
/// makes an absent one `None`.
fn nullable<'de, D, T>(deserializer: D) -> Result<Nullable<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Calling hours of a day, `HH:MM`.
#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct HoursBody {
    pub start: String,
    pub end: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RetryBody {
    /// Minutes between a retried outcome and the next dial.
    pub delay_minutes: Option<u32>,
    /// Minutes before a dropped call is retried (`null`: the default, 5
    /// minutes or `delay_minutes` when that is shorter).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub dropped_delay_minutes: Nullable<u32>,
    /// Dials per lead and round.
    pub max_attempts: Option<u32>,
    /// Outcomes that are retried (default no_answer, busy, failed, dropped,
    /// congestion, voicemail).
    pub statuses: Option<Vec<String>>,
    /// Dials per number per 24 hours (`null`: no cap).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub attempts_per_day_max: Nullable<u32>,
    /// A delay per retried status, in minutes, overriding `delay_minutes`
    /// for it (e.g. `{"busy": 15, "no_answer": 240}`); `dropped` has
    /// `dropped_delay_minutes`. Replaces the delays set before.
    pub delay_minutes_by_status: Option<BTreeMap<String, u32>>,
}

/// Provider settings; any other key is kept as free-form text.
#[derive(Deserialize, ToSchema, Default)]
pub struct ProviderBody {
    pub agent_id: Option<String>,
    pub caller_id: Option<String>,
    pub next_action: Option<String>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A campaign's settings. On create only `name` is required; on update every
/// field is optional and replaces the current value.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CampaignBody {
    pub name: Option<String>,
    /// IANA zone of the calling window (default UTC).
    pub timezone: Option<String>,
    /// First call time, `HH:MM` (default all day).
    pub first_call_time: Option<String>,
    /// Last call time, `HH:MM`; before the first call time it crosses midnight.
    pub last_call_time: Option<String>,
    /// A future date makes the campaign wait (`YYYY-MM-DD`, campaign zone;
    /// `null` or `""`: none).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub start_date: Nullable<String>,
    /// Region for numbers without a country code (`IN`, `US`, …; `null` or
    /// `""`: none).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub default_region: Nullable<String>,
    pub retry: Option<RetryBody>,
    pub provider: Option<ProviderBody>,
    /// Saved contacts to import as leads at creation.
    pub contact_ids: Option<Vec<String>>,
    /// Legal calling hours in each lead's own zone (`null`: off).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<HoursBody>)]
    pub local_hours: Nullable<HoursBody>,
    /// Dials per number per 24 hours, also accepted inside `retry` (`null`: no cap).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub attempts_per_day_max: Nullable<u32>,
    /// Delay between two dials of the campaign, in milliseconds (`null`: none).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub dial_delay_ms: Nullable<u32>,
    /// Ask the provider to detect answering machines, so that a call a
    /// machine answers ends as `voicemail` (default false; voice-agent
    /// platforms report voicemail either way).
    pub detect_voicemail: Option<bool>,
    /// Apply the built-in rules of each lead's jurisdiction (hours, caps,
    /// the abandoned-call hold) on top of the campaign's own (default
    /// true; off only when set to false).
    pub jurisdiction_rules: Option<bool>,
    /// Debt collection (Reg F): at most 7 calls per lead in any 7 days,
    /// none within 7 days after an answered call (default false).
    pub debt_collection: Option<bool>,
    /// The owner, when the admin creates a campaign for a user.
    pub owner: Option<String>,
}

pub(super) fn unprocessable(field: &str, error: impl std::fmt::Display) -> ApiError {
    ApiError::unprocessable(format!("{field}: {error}"))
}

/// Applies the body's fields onto `settings`.
pub(super) fn apply_body(
    settings: &mut CampaignSettings,
    body: &CampaignBody,
) -> Result<(), ApiError> {
    if let Some(name) = &body.name {
        settings.name = name.clone();
    }
    if let Some(zone) = &body.timezone {
        settings.timezone = zone
            .parse::<Zone>()
            .map_err(|e| unprocessable("timezone", e))?;
    }
    let time = |field: &str, value: &Option<String>| -> Result<Option<TimeOfDay>, ApiError> {
        value
            .as_deref()
            .map(|v| v.parse::<TimeOfDay>().map_err(|e| unprocessable(field, e)))
            .transpose()
    };
    let first = time("first_call_time", &body.first_call_time)?;
    let last = time("last_call_time", &body.last_call_time)?;
    if first.is_some() || last.is_some() {
        settings.hours = DailyHours::new(
            first.unwrap_or(settings.hours.start),
            last.unwrap_or(settings.hours.end),
        );
    }
    if let Some(date) = &body.start_date {
        let date = date.as_deref().unwrap_or_default();
        settings.start_date = if date.is_empty() {
            None
        } else {
            Some(
                leadline_domain::time::parse_date(date)
                    .map_err(|e| unprocessable("start_date", e))?,
            )
        };
    }
    if let Some(region) = &body.default_region {
        let region = region.as_deref().unwrap_or_default();
        settings.default_region = if region.is_empty() {
            None
        } else {
            Some(
                region
                    .parse::<Region>()
                    .map_err(|e| unprocessable("default_region", e))?,
            )
        };
    }
    if let Some(retry) = &body.retry {
        settings.retry = apply_retry(settings.retry.clone(), retry)?;
    }
    if let Some(cap) = body.attempts_per_day_max {
        settings.retry = settings
            .retry
            .clone()
            .with_attempts_per_day_max(cap)
            .map_err(|e| unprocessable("attempts_per_day_max", e))?;
    }
    match &body.local_hours {
        None => {}
        Some(None) => settings.local_hours = None,
        Some(Some(hours)) => {
            let start = hours
                .start
                .parse::<TimeOfDay>()
                .map_err(|e| unprocessable("local_hours.start", e))?;
            let end = hours
                .end
                .parse::<TimeOfDay>()
                .map_err(|e| unprocessable("local_hours.end", e))?;
            settings.local_hours = Some(DailyHours::new(start, end));
        }
    }
    if let Some(delay) = body.dial_delay_ms {
        settings.dial_delay_ms = delay;
    }
    if let Some(detect) = body.detect_voicemail {
        settings.detect_voicemail = detect;
    }
    if let Some(on) = body.jurisdiction_rules {
        settings.jurisdiction_rules = on;
    }
    if let Some(on) = body.debt_collection {
        settings.debt_collection = on;
    }
    if let Some(provider) = &body.provider {
        if provider.agent_id.is_some() {
            settings.provider.agent_id = provider.agent_id.clone();
        }
        if provider.caller_id.is_some() {
            settings.provider.caller_id = provider.caller_id.clone();
        }
        if provider.next_action.is_some() {
            settings.provider.next_action = provider.next_action.clone();
        }
        for (key, value) in &provider.extra {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            settings.provider.extra.insert(key.clone(), text);
        }
    }
    settings
        .validate()
        .map_err(|e| ApiError::unprocessable(e.to_string()))
}

fn apply_retry(mut policy: RetryPolicy, body: &RetryBody) -> Result<RetryPolicy, ApiError> {
    if let Some(minutes) = body.delay_minutes {
        policy = policy
            .with_delay_minutes(minutes)
            .map_err(|e| unprocessable("retry.delay_minutes", e))?;
    }
    match body.dropped_delay_minutes {
        Some(Some(minutes)) => {
            policy = policy
                .with_dropped_delay_minutes(minutes)
                .map_err(|e| unprocessable("retry.dropped_delay_minutes", e))?;
        }
        Some(None) => policy = policy.without_dropped_delay_minutes(),
        None => {}
    }
    if let Some(max) = body.max_attempts {
        policy = policy
            .with_max_attempts(max)
            .map_err(|e| unprocessable("retry.max_attempts", e))?;
    }
    if let Some(statuses) = &body.statuses {
        let parsed = statuses
            .iter()
            .map(|s| {
                s.parse::<LeadStatus>()
                    .map_err(|e| unprocessable("retry.statuses", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        policy = policy
            .with_statuses(&parsed)
            .map_err(|e| unprocessable("retry.statuses", e))?;
    }
    if let Some(cap) = body.attempts_per_day_max {
        policy = policy
            .with_attempts_per_day_max(cap)
            .map_err(|e| unprocessable("retry.attempts_per_day_max", e))?;
    }
    if let Some(delays) = &body.delay_minutes_by_status {
        let parsed = delays
            .iter()
            .map(|(status, minutes)| {
                status
                    .parse::<LeadStatus>()
                    .map(|status| (status, *minutes))
                    .map_err(|e| unprocessable("retry.delay_minutes_by_status", e))
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        policy = policy
            .with_delay_minutes_by_status(parsed)
            .map_err(|e| unprocessable("retry.delay_minutes_by_status", e))?;
    }
    Ok(policy)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecycleBody {
    /// Statuses to recycle, e.g. `["no_answer", "busy"]`.
    pub statuses: Vec<String>,
    /// The status they go back to (`new`).
    #[serde(default = "default_target")]
    pub target_status: String,
    /// Also reset their dial counts.
    #[serde(default)]
    pub reset_dial_count: bool,
    /// Why, for the audit trail.
    pub reason: Option<String>,
}

fn default_target() -> String {
    "new".into()
}
