//! A lead as the API shows it, and when it can next be dialed. Used by the
//! lead routes and by the campaign hopper, apart from both so that neither
//! route module depends on the other.

use chrono::{DateTime, Utc};
use leadline_domain::lead::Lead;
use leadline_projections::ReadModel;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct LeadView {
    pub id: String,
    pub campaign_id: String,
    /// The main number.
    pub phone: String,
    /// Every number, the main one first; each attempt dials the next
    /// dialable one in turn.
    pub phones: Vec<String>,
    pub name: Option<String>,
    pub priority: i32,
    pub timezone: Option<String>,
    pub status: String,
    pub dial_attempts: u32,
    pub answered_count: u32,
    pub last_dial_attempt: Option<DateTime<Utc>>,
    /// How the last call ended.
    pub dial_result: Option<String>,
    pub last_status_change: DateTime<Utc>,
    /// When it can next be dialed (null: not by waiting).
    pub next_eligible_at: Option<DateTime<Utc>>,
    pub callback_at: Option<DateTime<Utc>>,
    pub calls: Vec<String>,
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
    pub imported_at: DateTime<Utc>,
}

/// When the lead can be dialed: for a lead eligible now, the instant it
/// became ready (its import, retry delay or callback time), so that the
/// answer does not change from one read to the next; otherwise the next
/// instant it will be; `None` when waiting will not do.
pub fn eligible_at(
    lead: &Lead,
    campaign: &leadline_domain::campaign::Campaign,
    owner: &leadline_domain::policy::Owner<'_>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match leadline_domain::eligibility(lead, campaign, owner, now) {
        leadline_domain::Eligibility::Eligible => Some(
            leadline_domain::ready_at(lead, campaign)
                .ok()
                .flatten()
                .unwrap_or(lead.imported_at)
                .min(now),
        ),
        leadline_domain::Eligibility::NotBefore(at) => Some(at),
        leadline_domain::Eligibility::Never(_) => None,
    }
}

pub fn lead_view(lead: &Lead, model: &ReadModel, now: DateTime<Utc>) -> LeadView {
    let next_eligible_at = model
        .campaign(&lead.campaign_id)
        .and_then(|c| eligible_at(lead, &c.campaign, &model.owner(&c.campaign.owner), now));
    LeadView {
        id: lead.id.to_string(),
        campaign_id: lead.campaign_id.to_string(),
        phone: lead.phone.to_string(),
        phones: lead.phones().map(|p| p.to_string()).collect(),
        name: lead.name.clone(),
        priority: lead.priority,
        timezone: lead.timezone.map(|z| z.to_string()),
        status: lead.status.to_string(),
        dial_attempts: lead.dial_attempts,
        answered_count: lead.answered_count,
        last_dial_attempt: lead.last_dial_attempt,
        dial_result: lead.dial_result.map(|r| r.to_string()),
        last_status_change: lead.last_status_change,
        next_eligible_at,
        callback_at: lead.callback_at,
        calls: lead.calls.iter().map(|c| c.to_string()).collect(),
        fields: serde_json::to_value(&lead.fields).unwrap_or_default(),
        imported_at: lead.imported_at,
    }
}
