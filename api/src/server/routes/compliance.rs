//! A campaign's compliance report: every dial in a time range judged
//! against every calling rule in force when it was placed, by the
//! independent checker of `leadline_projections::compliance`, over the
//! log as verified (its position and chain hash are in the report).
//!
//! A report reads and verifies the whole log, off the reactor
//! (`web::block`); at most `COMPLIANCE_REPORTS_CONCURRENT_MAX` are made
//! at once, and the others wait their turn rather than being refused.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use leadline_domain::CampaignId;
use leadline_projections::compliance::{
    self, AuditError, AuditRequest, ComplianceReport, RuleReport, RulesFileError, RulesTable,
    Violation,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::limits::{COMPLIANCE_BODY_BYTES_MAX, CONCURRENT_CALLS_LIMIT_MAX};
use crate::server::auth::Principal;
use crate::server::error::ApiError;
use crate::server::state::AppState;

use super::access::visible;
use super::parse_id;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns/{id}/compliance", web::get().to(report))
        .route(
            "/campaigns/{id}/compliance",
            web::post().to(report_with_rules),
        );
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ComplianceQuery {
    /// Judge dials at or after this instant (RFC 3339 with an offset);
    /// from the first by default.
    pub from: Option<String>,
    /// Judge dials before this instant (RFC 3339 with an offset); to the
    /// last by default.
    pub to: Option<String>,
    /// Also check calls in flight across all users against this limit
    /// (the dialer's setting, which the log does not hold); not checked
    /// by default.
    #[param(minimum = 1)]
    pub system_concurrent_calls: Option<u32>,
}

/// One call that broke a rule.
#[derive(Serialize, ToSchema)]
pub struct ViolationView {
    /// The log position of the call's `LeadDialed`.
    pub position: u64,
    pub lead_id: String,
    /// The number dialed (E.164).
    pub phone: String,
    /// When it was dialed.
    pub at: DateTime<Utc>,
    /// What was broken, for a person, with the local time and zone.
    pub detail: String,
}

/// One rule's findings.
#[derive(Serialize, ToSchema)]
pub struct RuleReportView {
    /// `campaign_window`, `holiday`, `jurisdiction_hours`, `local_hours`,
    /// `dnc`, `max_attempts`, `contact_cap`, `jurisdiction_cap`,
    /// `abandoned_hold`, `debt_collection`, `calls_in_flight`.
    pub rule: String,
    /// Calls the rule applied to.
    pub calls_checked: u64,
    /// Calls that broke it, listed or not.
    pub violations_total: u64,
    /// The first of them in log order (at most
    /// `compliance_violations_listed_max`).
    pub violations: Vec<ViolationView>,
}

/// A campaign's compliance over a time range, checked against the log as
/// verified through `checked_through_position`.
#[derive(Serialize, ToSchema)]
pub struct ComplianceView {
    /// The log verified, and no call broke any rule.
    pub ok: bool,
    pub campaign_id: String,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// The last log position verified and judged.
    pub checked_through_position: u64,
    /// The log's chain hash at that position: anyone with the log can
    /// recompute it, and any change up to there changes it.
    pub log_hash: String,
    /// Whether the log verified clean up to that position.
    pub log_verified: bool,
    /// Problems the verification found, and events that would not decode.
    pub log_problems: u64,
    /// `built-in`, or `file blake3:<hex>` of the rules file posted.
    pub rules_table: String,
    /// The limit on calls in flight across all users checked against
    /// (`null`: not checked).
    pub system_concurrent_calls: Option<u32>,
    /// The most calls in flight across all users at a dial of the
    /// campaign, that dial included.
    pub system_in_flight_max: u32,
    /// Dials of the campaign in the range.
    pub calls: u64,
    /// Violations over every rule (a call can break several).
    pub violations_total: u64,
    /// Dials of a lead never imported or on a number not the lead's.
    pub unplaced_dials: u64,
    pub unplaced: Vec<String>,
    /// Every rule, always all of them, in this order.
    pub rules: Vec<RuleReportView>,
}

impl From<Violation> for ViolationView {
    fn from(v: Violation) -> Self {
        ViolationView {
            position: v.position,
            lead_id: v.lead_id,
            phone: v.phone,
            at: v.at,
            detail: v.detail,
        }
    }
}

impl From<RuleReport> for RuleReportView {
    fn from(r: RuleReport) -> Self {
        RuleReportView {
            rule: r.rule,
            calls_checked: r.calls_checked,
            violations_total: r.violations_total,
            violations: r.violations.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<ComplianceReport> for ComplianceView {
    fn from(r: ComplianceReport) -> Self {
        ComplianceView {
            ok: r.ok,
            campaign_id: r.campaign_id,
            from: r.from,
            to: r.to,
            checked_through_position: r.checked_through_position,
            log_hash: r.log_hash,
            log_verified: r.log_verified,
            log_problems: r.log_problems,
            rules_table: r.rules_table,
            system_concurrent_calls: r.system_concurrent_calls,
            system_in_flight_max: r.system_in_flight_max,
            calls: r.calls,
            violations_total: r.violations_total,
            unplaced_dials: r.unplaced_dials,
            unplaced: r.unplaced,
            rules: r.rules.into_iter().map(Into::into).collect(),
        }
    }
}

/// A rules file: `{"rules": [row, …]}`, each row as the README's
/// "Compliance report" describes (`id`, `name`, `country`, `subdivision`,
/// `weekday_hours`, `weekend_hours`, `cap`, `abandoned_hold_hours`,
/// `zones`, `source`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RulesFileBody {
    /// The jurisdiction table's rows.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<serde_json::Value>,
}

fn instant(name: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|text| {
            DateTime::parse_from_rfc3339(text.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    ApiError::bad_request(format!(
                        "{name} must be a time in RFC 3339 with an offset, like 2026-11-23T09:00:00Z ({e})"
                    ))
                })
        })
        .transpose()
}

/// Checks the request and makes the report under `table`.
async fn make(
    state: web::Data<AppState>,
    principal: Principal,
    path: &str,
    query: &ComplianceQuery,
    table: RulesTable,
) -> Result<HttpResponse, ApiError> {
    let id: CampaignId = parse_id("campaign id", path)?;
    {
        let model = state.projections.read();
        visible(&model, &principal, &id)?;
    }
    let from = instant("from", query.from.as_deref())?;
    let to = instant("to", query.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(ApiError::bad_request(format!(
                "from ({from}) is after to ({to})"
            )));
        }
    }
    let system_limit = query.system_concurrent_calls;
    if system_limit.is_some_and(|n| !(1..=CONCURRENT_CALLS_LIMIT_MAX).contains(&n)) {
        return Err(ApiError::bad_request(format!(
            "system_concurrent_calls must be from 1 to {CONCURRENT_CALLS_LIMIT_MAX}"
        )));
    }
    // Waits for a turn: a valid request is never refused for being one
    // too many.
    let _turn = state
        .compliance_reports
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::internal(format!("the compliance queue is closed: {e}")))?;
    let log = state.log.clone();
    let request = AuditRequest {
        campaign: id,
        from,
        to,
        table,
        system_limit,
    };
    let report = web::block(move || compliance::audit(&*log, request))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| match e {
            AuditError::UnknownCampaign(id) => ApiError::not_found(&format!("campaign {id}")),
            AuditError::Log(e) => e.into(),
        })?;
    Ok(HttpResponse::Ok().json(ComplianceView::from(report)))
}

/// A campaign's compliance report under the built-in jurisdiction table:
/// every dial in `[from, to)` judged against every rule that applied to
/// it when it was placed, over the log verified through
/// `checked_through_position` (hash `log_hash`).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/compliance", tag = "campaigns",
    params(ComplianceQuery), responses((status = 200, body = ComplianceView)))]
pub async fn report(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<ComplianceQuery>,
) -> Result<HttpResponse, ApiError> {
    make(state, principal, &path, &query, RulesTable::built_in()).await
}

/// The same report judged under another jurisdiction table: the body is
/// a rules file, which replaces the built-in table for this report.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/compliance", tag = "campaigns",
    params(ComplianceQuery), request_body = RulesFileBody,
    responses((status = 200, body = ComplianceView)))]
pub async fn report_with_rules(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<ComplianceQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !json {
        return Err(ApiError::unsupported_media(
            "send the rules file with Content-Type: application/json",
        ));
    }
    let body = super::read_body(&req, payload, COMPLIANCE_BODY_BYTES_MAX).await?;
    let table = RulesTable::from_json(&body).map_err(|e| match e {
        RulesFileError::TooLarge { .. } => ApiError::too_large(e.to_string()),
        RulesFileError::Shape(_) => ApiError::bad_request(e.to_string()),
        other => ApiError::unprocessable(other.to_string()),
    })?;
    make(state, principal, &path, &query, table).await
}
