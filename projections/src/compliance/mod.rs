//! The compliance report: every dial of one campaign in a time range,
//! judged against every calling rule that applied to it when it was
//! placed, by a checker that folds its own state from the log and never
//! asks the domain's eligibility, the hopper or the read models.
//!
//! The report proves itself: the log is verified first (checksums, hash
//! chain, indexes), and only events through the position verified are
//! judged, so the report names that position and the chain hash there.
//! Anyone holding the same log can recompute both, and a later change to
//! anything up to that position changes the hash.
//!
//! - [`checker`]: the checker, event by event;
//! - [`table`]: the jurisdiction table it judges by, built in or read
//!   from a rules file;
//! - [`audit`]: a whole report over a log.

pub mod checker;
pub mod table;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use leadline_domain::{CampaignId, Event};
use leadline_storage::{EventLog, LogError, VerifyReport};
use serde::{Deserialize, Serialize};

pub use checker::{Checker, CheckerCounts, Judgement, Unplaced};
pub use table::{RuleRow, RulesFileError, RulesTable};

use crate::codec;

/// Violations listed per rule in a report (all are counted).
pub const COMPLIANCE_VIOLATIONS_LISTED_MAX: usize = 1_000;
/// Dials the checker could not place (unknown lead or number) listed in
/// a report (all are counted).
pub const COMPLIANCE_PROBLEMS_LISTED_MAX: usize = 100;
/// Events read from the log per page while a report is made.
pub const COMPLIANCE_READ_PAGE_EVENTS: usize = 4_096;

/// The rules a report judges each call by, in the order it lists them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Rule {
    /// The campaign's hours in its zone, and its start date.
    CampaignWindow,
    /// The owner's contact-policy holidays, by the lead's local date.
    Holiday,
    /// The jurisdiction's hours in the lead's zones.
    JurisdictionHours,
    /// The campaign's local hours in the lead's zones.
    LocalHours,
    /// The owner's do-not-call list, and the lead's own opt-out.
    Dnc,
    /// The campaign's attempts per round (a recycle starts a round).
    MaxAttempts,
    /// The owner's caps per number, over all their campaigns.
    ContactCap,
    /// The jurisdiction's cap per number, over all the owner's campaigns.
    JurisdictionCap,
    /// The jurisdiction's hold after a dropped (abandoned) call.
    AbandonedHold,
    /// Reg F: 7 dials per lead in 7 days, none for 7 days after an answer.
    DebtCollection,
    /// Calls in flight per user (and across all users, when known).
    CallsInFlight,
}

impl Rule {
    /// Every rule, in the report's order.
    pub const ALL: [Rule; 11] = [
        Rule::CampaignWindow,
        Rule::Holiday,
        Rule::JurisdictionHours,
        Rule::LocalHours,
        Rule::Dnc,
        Rule::MaxAttempts,
        Rule::ContactCap,
        Rule::JurisdictionCap,
        Rule::AbandonedHold,
        Rule::DebtCollection,
        Rule::CallsInFlight,
    ];

    /// The rule's name, as the API names it.
    pub const fn name(self) -> &'static str {
        match self {
            Rule::CampaignWindow => "campaign_window",
            Rule::Holiday => "holiday",
            Rule::JurisdictionHours => "jurisdiction_hours",
            Rule::LocalHours => "local_hours",
            Rule::Dnc => "dnc",
            Rule::MaxAttempts => "max_attempts",
            Rule::ContactCap => "contact_cap",
            Rule::JurisdictionCap => "jurisdiction_cap",
            Rule::AbandonedHold => "abandoned_hold",
            Rule::DebtCollection => "debt_collection",
            Rule::CallsInFlight => "calls_in_flight",
        }
    }
}

/// One call that broke a rule.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Violation {
    /// The log position of its `LeadDialed`.
    pub position: u64,
    pub lead_id: String,
    /// The number dialed (E.164).
    pub phone: String,
    /// When it was dialed.
    pub at: DateTime<Utc>,
    /// What was broken, for a person: local time and zone, and the rule.
    pub detail: String,
}

/// One rule's findings.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RuleReport {
    /// The rule's name.
    pub rule: String,
    /// Calls the rule applied to.
    pub calls_checked: u64,
    /// Calls that broke it, listed or not.
    pub violations_total: u64,
    /// The first of them, in log order, up to
    /// [`COMPLIANCE_VIOLATIONS_LISTED_MAX`].
    pub violations: Vec<Violation>,
}

/// A campaign's compliance over a time range.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ComplianceReport {
    /// The log verified, and no call broke any rule.
    pub ok: bool,
    pub campaign_id: String,
    /// Dials at or after this instant were judged (`null`: from the start).
    pub from: Option<DateTime<Utc>>,
    /// Dials before this instant were judged (`null`: to the end).
    pub to: Option<DateTime<Utc>>,
    /// The last log position verified and judged.
    pub checked_through_position: u64,
    /// The log's chain hash at that position.
    pub log_hash: String,
    /// Whether the log verified clean up to that position.
    pub log_verified: bool,
    /// Problems the log's verification found, and events that would not
    /// decode.
    pub log_problems: u64,
    /// `built-in`, or `file blake3:<hex>` of the rules file used.
    pub rules_table: String,
    /// Calls in flight across all users the report checked against
    /// (`null`: not checked, the limit being a dialer setting).
    pub system_concurrent_calls: Option<u32>,
    /// The most calls in flight across all users at a dial of the
    /// campaign, that dial included.
    pub system_in_flight_max: u32,
    /// Dials of the campaign in the range.
    pub calls: u64,
    /// Violations over every rule (a call can break several).
    pub violations_total: u64,
    /// Dials the checker could not place (a lead never imported, a number
    /// not the lead's), counted and listed; any makes `ok` false.
    pub unplaced_dials: u64,
    pub unplaced: Vec<String>,
    /// Every rule, in a fixed order, with the calls it applied to.
    pub rules: Vec<RuleReport>,
}

/// What to audit.
#[derive(Clone, Debug)]
pub struct AuditRequest {
    pub campaign: CampaignId,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub table: RulesTable,
    /// The system's limit on calls in flight, when known.
    pub system_limit: Option<u32>,
}

/// Why no report could be made.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("reading the log: {0}")]
    Log(#[from] LogError),
    #[error("campaign {0} is not in the log")]
    UnknownCampaign(CampaignId),
}

/// A report being made, event by event.
pub struct Audit {
    campaign: CampaignId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    checker: Checker,
    system_limit: Option<u32>,
    rules: Vec<RuleReport>,
    calls: u64,
    unplaced_dials: u64,
    unplaced: Vec<String>,
    undecodable: u64,
    system_in_flight_max: u32,
}

impl Audit {
    pub fn new(request: AuditRequest) -> Audit {
        Audit {
            campaign: request.campaign,
            from: request.from,
            to: request.to,
            checker: Checker::new(request.table, request.system_limit),
            system_limit: request.system_limit,
            rules: Rule::ALL
                .iter()
                .map(|rule| RuleReport {
                    rule: rule.name().to_owned(),
                    calls_checked: 0,
                    violations_total: 0,
                    violations: Vec::new(),
                })
                .collect(),
            calls: 0,
            unplaced_dials: 0,
            unplaced: Vec::new(),
            undecodable: 0,
            system_in_flight_max: 0,
        }
    }

    fn audited(&self, event: &Event) -> bool {
        match event {
            Event::LeadDialed(d) => {
                d.campaign_id == self.campaign
                    && self.from.is_none_or(|from| d.at >= from)
                    && self.to.is_none_or(|to| d.at < to)
            }
            _ => false,
        }
    }

    /// Folds one event; judges it when it is a dial of the audited
    /// campaign in the range.
    pub fn observe(&mut self, position: u64, event: &Event) {
        if !self.audited(event) {
            self.checker.fold(position, event);
            return;
        }
        let Event::LeadDialed(dialed) = event else {
            return;
        };
        self.calls += 1;
        let verdict = self.checker.judge(dialed);
        self.system_in_flight_max = self
            .system_in_flight_max
            .max(self.checker.system_in_flight_max);
        self.checker.fold(position, event);
        let judgement = match verdict {
            Ok(judgement) => judgement,
            Err(Unplaced(detail)) => {
                self.unplaced_dials += 1;
                if self.unplaced.len() < COMPLIANCE_PROBLEMS_LISTED_MAX {
                    self.unplaced.push(format!("position {position}: {detail}"));
                }
                return;
            }
        };
        for (rule, breach) in judgement.checked {
            let Some(report) = Rule::ALL
                .iter()
                .position(|r| *r == rule)
                .and_then(|i| self.rules.get_mut(i))
            else {
                continue;
            };
            report.calls_checked += 1;
            if let Some(detail) = breach {
                report.violations_total += 1;
                if report.violations.len() < COMPLIANCE_VIOLATIONS_LISTED_MAX {
                    report.violations.push(Violation {
                        position,
                        lead_id: dialed.lead_id.to_string(),
                        phone: dialed.phone.to_string(),
                        at: dialed.at,
                        detail,
                    });
                }
            }
        }
    }

    /// Counts an event of the log that would not decode.
    pub fn undecodable(&mut self) {
        self.undecodable += 1;
    }

    /// Whether the audited campaign was created in the events seen.
    pub fn knows_campaign(&self) -> bool {
        self.checker.knows_campaign(&self.campaign)
    }

    /// The report, given the log's verification.
    pub fn finish(self, verified: &VerifyReport) -> ComplianceReport {
        let violations_total = self.rules.iter().map(|r| r.violations_total).sum();
        let log_problems = verified.problems_total + self.undecodable;
        let log_verified = verified.ok && log_problems == 0;
        ComplianceReport {
            ok: log_verified && violations_total == 0 && self.unplaced_dials == 0,
            campaign_id: self.campaign.to_string(),
            from: self.from,
            to: self.to,
            checked_through_position: verified.last_position,
            log_hash: verified.head_hash.clone(),
            log_verified,
            log_problems,
            rules_table: self.checker.table().origin.clone(),
            system_concurrent_calls: self.system_limit,
            system_in_flight_max: self.system_in_flight_max,
            calls: self.calls,
            violations_total,
            unplaced_dials: self.unplaced_dials,
            unplaced: self.unplaced,
            rules: self.rules,
        }
    }
}

/// Verifies `log`, then judges the campaign's dials in the range over the
/// events through the position verified, read a page at a time.
pub fn audit(log: &dyn EventLog, request: AuditRequest) -> Result<ComplianceReport, AuditError> {
    let verified = log.verify()?;
    let campaign = request.campaign;
    let mut audit = Audit::new(request);
    let mut after = 0;
    while after < verified.last_position {
        let page = log.read_all(after, COMPLIANCE_READ_PAGE_EVENTS)?;
        let Some(last) = page.last().map(|r| r.position) else {
            break;
        };
        for recorded in page.iter().filter(|r| r.position <= verified.last_position) {
            match codec::decode_recorded(recorded) {
                Ok(event) => audit.observe(recorded.position, &event),
                Err(_) => audit.undecodable(),
            }
        }
        if last <= after {
            break;
        }
        after = last;
    }
    if !audit.knows_campaign() {
        return Err(AuditError::UnknownCampaign(campaign));
    }
    Ok(audit.finish(&verified))
}
