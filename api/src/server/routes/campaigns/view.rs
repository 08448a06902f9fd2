//! Response views of the campaign routes, and how they are built from the
//! read model. Kept apart from the handlers: these are the shapes the API
//! answers with (and documents), shared by every campaign route.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use leadline_domain::campaign::Campaign;
use leadline_projections::{CampaignEntry, Counters};
use serde::Serialize;
use utoipa::ToSchema;

use super::body::HoursBody;

#[derive(Serialize, ToSchema)]
pub struct RetryView {
    pub delay_minutes: u32,
    pub dropped_delay_minutes: u32,
    pub max_attempts: u32,
    pub statuses: Vec<String>,
    pub attempts_per_day_max: Option<u32>,
    /// Delays per status, in minutes, where set.
    pub delay_minutes_by_status: BTreeMap<String, u32>,
}

/// A rule in force for a campaign's leads.
#[derive(Serialize, ToSchema)]
pub struct RuleView {
    /// `US`, `US-FL`, `CA`, `IN`, `GB` for the jurisdictions, `REG-F` for
    /// debt collection.
    pub id: String,
    pub name: String,
    /// Lead-local hours, e.g. `08:00–20:00`.
    pub hours: Option<String>,
    /// A cap per number, e.g. `3 calls in 24 h`, counted over all of the
    /// owner's campaigns.
    pub cap: Option<String>,
    /// Hours a number whose call dropped is not redialled.
    pub abandoned_hold_hours: Option<u32>,
    pub source: String,
    /// The campaign's leads with a number it covers.
    pub leads: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ProviderView {
    pub agent_id: Option<String>,
    pub caller_id: Option<String>,
    pub next_action: Option<String>,
    pub extra: BTreeMap<String, String>,
}

/// The counters of a campaign; see the projections crate for each definition.
#[derive(Serialize, ToSchema)]
pub struct StatsView {
    pub total: u64,
    pub pending: u64,
    pub in_flight: u64,
    pub called: u64,
    pub answered: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub skipped: u64,
    pub dnc: u64,
    pub dials: u64,
    /// `called/total (failed failed)`.
    pub progress: String,
    /// Every status with its count (zeros included); sums to `total`.
    pub by_status: BTreeMap<String, u64>,
    /// Leads by status and category (`pending`, `in_progress`, `recyclable`, `final`).
    pub breakdown: Vec<BreakdownView>,
    /// Leads in the hopper (dialable now or later).
    pub hopper: usize,
}

#[derive(Serialize, ToSchema)]
pub struct BreakdownView {
    pub status: String,
    pub category: String,
    pub count: u64,
    /// Share of `total`, 0 to 1.
    pub share: f64,
    /// Whether a manual recycle may take leads out of this status (not
    /// `queued`, `dialing`, `skipped` or `dnc`).
    pub manually_recyclable: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    pub owner: String,
    /// `draft`, `scheduled`, `active`, `paused`, `completed`, `cancelled`, `archived`.
    pub status: String,
    pub timezone: String,
    pub first_call_time: String,
    pub last_call_time: String,
    pub start_date: Option<String>,
    pub default_region: Option<String>,
    pub retry: RetryView,
    pub local_hours: Option<HoursBody>,
    pub dial_delay_ms: Option<u32>,
    /// Whether the provider is asked to detect answering machines.
    pub detect_voicemail: bool,
    /// Whether the built-in jurisdiction rules apply.
    pub jurisdiction_rules: bool,
    /// Whether the debt-collection limits (Reg F) apply.
    pub debt_collection: bool,
    /// The rules in force for this campaign's leads: the jurisdictions of
    /// their numbers (when `jurisdiction_rules`), and Reg F (when
    /// `debt_collection`).
    pub rules: Vec<RuleView>,
    pub provider: ProviderView,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub stats: StatsView,
    /// The log position this view reflects.
    pub position: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

pub fn stats_view(counters: &Counters, hopper: usize) -> StatsView {
    let total = counters.total;
    StatsView {
        total,
        pending: counters.pending,
        in_flight: counters.in_flight,
        called: counters.called,
        answered: counters.answered,
        failed: counters.failed,
        cancelled: counters.cancelled,
        skipped: counters.skipped,
        dnc: counters.dnc,
        dials: counters.dials,
        progress: counters.progress(),
        by_status: counters
            .by_status()
            .into_iter()
            .map(|(s, n)| (s.to_string(), n))
            .collect(),
        breakdown: counters
            .breakdown()
            .into_iter()
            .map(|row| BreakdownView {
                status: row.status.to_string(),
                manually_recyclable: row.status.is_manually_recyclable(),
                category: category_name(row.category).into(),
                count: row.count,
                share: if total == 0 {
                    0.0
                } else {
                    row.count as f64 / total as f64
                },
            })
            .collect(),
        hopper,
    }
}

pub fn category_name(category: leadline_domain::LeadCategory) -> &'static str {
    use leadline_domain::LeadCategory as C;
    match category {
        C::Pending => "pending",
        C::InProgress => "in_progress",
        C::Recyclable => "recyclable",
        C::Final => "final",
    }
}

pub fn campaign_view(entry: &CampaignEntry, position: u64, now: DateTime<Utc>) -> CampaignView {
    let c: &Campaign = &entry.campaign;
    let s = &c.settings;
    CampaignView {
        id: c.id.to_string(),
        name: s.name.clone(),
        owner: c.owner.to_string(),
        status: c.status_at(now).to_string(),
        timezone: s.timezone.to_string(),
        first_call_time: s.hours.start.to_string(),
        last_call_time: s.hours.end.to_string(),
        start_date: s.start_date.map(|d| d.to_string()),
        default_region: s.default_region.map(|r| r.to_string()),
        retry: RetryView {
            delay_minutes: s.retry.delay_minutes(),
            dropped_delay_minutes: s.retry.dropped_delay_minutes(),
            max_attempts: s.retry.max_attempts(),
            statuses: s.retry.statuses().iter().map(|s| s.to_string()).collect(),
            attempts_per_day_max: s.retry.attempts_per_day_max(),
            delay_minutes_by_status: s
                .retry
                .delay_minutes_by_status()
                .iter()
                .map(|(status, minutes)| (status.to_string(), *minutes))
                .collect(),
        },
        local_hours: s.local_hours.map(|h| HoursBody {
            start: h.start.to_string(),
            end: h.end.to_string(),
        }),
        dial_delay_ms: s.dial_delay_ms,
        detect_voicemail: s.detect_voicemail,
        jurisdiction_rules: s.jurisdiction_rules,
        debt_collection: s.debt_collection,
        rules: rules_view(entry),
        provider: ProviderView {
            agent_id: s.provider.agent_id.clone(),
            caller_id: s.provider.caller_id.clone(),
            next_action: s.provider.next_action.clone(),
            extra: s.provider.extra.clone(),
        },
        created_at: c.created_at,
        started_at: c.started_at,
        ended_at: c.ended_at,
        stats: stats_view(&entry.counters, entry.hopper.len()),
        position,
        message: None,
    }
}

/// The rules in force for a campaign's leads.
fn rules_view(entry: &CampaignEntry) -> Vec<RuleView> {
    let settings = &entry.campaign.settings;
    let mut rules = Vec::new();
    if settings.jurisdiction_rules {
        for rule in leadline_domain::jurisdiction::RULES {
            let Some(leads) = entry.jurisdictions.get(rule.id) else {
                continue;
            };
            rules.push(RuleView {
                id: rule.id.to_owned(),
                name: rule.name.to_owned(),
                hours: Some(rule.hours_text()),
                cap: rule
                    .cap
                    .map(|cap| format!("{} calls in {} h", cap.calls_max, cap.window_hours)),
                abandoned_hold_hours: rule.abandoned_hold_hours,
                source: rule.source.to_owned(),
                leads: *leads,
            });
        }
    }
    if settings.debt_collection {
        rules.push(RuleView {
            id: "REG-F".to_owned(),
            name: "Debt collection (Reg F)".to_owned(),
            hours: None,
            cap: Some(format!(
                "{} calls per lead in {} days; none within {} days after an answered call",
                leadline_domain::eligibility::DEBT_COLLECTION_CALLS_MAX,
                leadline_domain::eligibility::DEBT_COLLECTION_DAYS,
                leadline_domain::eligibility::DEBT_COLLECTION_DAYS
            )),
            abandoned_hold_hours: None,
            source: "12 CFR § 1006.14(b)(2): presumed harassment above 7 calls in 7 days, or within 7 days after a telephone conversation".to_owned(),
            leads: entry.leads.len() as u64,
        });
    }
    rules
}

#[derive(Serialize, ToSchema)]
pub struct CampaignList {
    pub campaigns: Vec<CampaignView>,
}

#[derive(Serialize, ToSchema)]
pub struct StatsResponse {
    #[serde(flatten)]
    pub stats: StatsView,
    pub position: u64,
}

#[derive(Serialize, ToSchema)]
pub struct HopperLeadView {
    pub lead_id: String,
    pub phone: String,
    pub priority: i32,
    pub name: Option<String>,
    /// When it can be dialed: for a lead eligible now, when it became ready.
    pub eligible_at: DateTime<Utc>,
    /// Whether it can be dialed now (window, local hours and campaign status included).
    pub eligible_now: bool,
}

#[derive(Serialize, ToSchema)]
pub struct HopperView {
    pub leads: Vec<HopperLeadView>,
    /// Leads in the hopper in all.
    pub total: usize,
    pub position: u64,
}

#[derive(Serialize, ToSchema)]
pub struct RecycleResult {
    pub recycled: usize,
    pub position: u64,
}
