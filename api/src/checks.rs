//! The one check of the log and the read models, behind both
//! `GET /api/v1/admin/verify` and `leadline verify`. Report only: nothing
//! is changed, whatever is found.

use std::ops::ControlFlow;

use leadline_domain::CampaignId;
use leadline_projections::runner::fold_all;
use leadline_projections::{codec, CodecError, Counters, ProjectionError, Projections, ReadModel};
use leadline_storage::{EventLog, LogError, Problem};
use serde::Serialize;
use serde_json::Value;

/// What was checked and every problem found.
#[derive(Serialize)]
pub struct Report {
    pub ok: bool,
    /// Events checked in the log.
    pub events: u64,
    pub last_position: u64,
    /// Chain hash of the last event: an auditor who notes it can later
    /// prove that nothing up to that position changed.
    pub head_hash: String,
    /// Campaigns whose read models were checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaigns_checked: Option<usize>,
    pub problems: Vec<Finding>,
    /// Every problem found, listed or not.
    pub problems_total: u64,
}

#[derive(Serialize)]
pub struct Finding {
    pub position: Option<u64>,
    pub kind: String,
    pub detail: String,
}

/// Why the check could not be made at all.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("there is no campaign {0} in the log")]
    NoSuchCampaign(CampaignId),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("folding the log: {0}")]
    Fold(ProjectionError),
}

impl Report {
    fn add(&mut self, position: Option<u64>, kind: &str, detail: String) {
        self.problems_total += 1;
        self.problems.push(Finding {
            position,
            kind: kind.to_owned(),
            detail,
        });
    }
}

/// Checks the log (positions, checksums, hash chain, indexes), then the
/// read models: a fresh fold of the log must equal `live` (when a server
/// holds live read models), every campaign's counters must equal a recount
/// of its leads and its breakdown by status must sum to its total, and no
/// event may have been folded into a state it did not fit. `live` is read
/// once the replay is done, and the replay caught up to it.
pub fn verify(
    log: &dyn EventLog,
    live: Option<&Projections>,
    only: Option<CampaignId>,
) -> Result<Report, CheckError> {
    let checked = log.verify()?;
    let mut report = Report {
        ok: false,
        events: checked.events,
        last_position: checked.last_position,
        head_hash: checked.head_hash,
        campaigns_checked: None,
        problems: checked.problems.into_iter().map(finding).collect(),
        problems_total: checked.problems_total,
    };
    let fresh = match fold_all(log) {
        Ok(model) => Some(model),
        Err(ProjectionError::Codec(CodecError::Decode {
            position, detail, ..
        })) => {
            report.add(
                Some(position),
                "undecodable_event",
                format!("the read models cannot be checked: the event does not decode: {detail}"),
            );
            None
        }
        Err(ProjectionError::Log(LogError::Corrupt { position, detail })) => {
            report.add(
                Some(position),
                "read_model",
                format!("the read models cannot be checked past this position: {detail}"),
            );
            None
        }
        Err(e) => return Err(CheckError::Fold(e)),
    };
    if let Some(mut fresh) = fresh {
        match live {
            Some(live) => {
                let live = live.read();
                catch_up(log, &mut fresh, live.position())?;
                check_models(&live, Some(&fresh), only, &mut report)?;
            }
            None => check_models(&fresh, None, only, &mut report)?,
        }
    }
    report.ok = report.problems_total == 0;
    Ok(report)
}

fn finding(problem: Problem) -> Finding {
    Finding {
        position: problem.position,
        kind: kind_name(&problem.kind),
        detail: problem.detail,
    }
}

/// The log's problem kinds as the API names them (`hash_chain`, …).
fn kind_name(kind: &impl Serialize) -> String {
    match serde_json::to_value(kind) {
        Ok(Value::String(name)) => name,
        _ => "log".to_owned(),
    }
}

/// The live model may have moved on while the replay ran: replay the rest
/// so both reflect the same position.
fn catch_up(log: &dyn EventLog, fresh: &mut ReadModel, position: u64) -> Result<(), CheckError> {
    if fresh.position() >= position {
        return Ok(());
    }
    let mut rest = Vec::new();
    log.scan(fresh.position(), position, &mut |view| {
        rest.push((view.position(), view.stream_version(), codec::decode(&view)));
        ControlFlow::Continue(())
    })?;
    for (position, version, event) in rest {
        let event = event.map_err(|e| CheckError::Fold(ProjectionError::Codec(e)))?;
        fresh.apply(position, version, &event);
    }
    Ok(())
}

fn check_models(
    live: &ReadModel,
    fresh: Option<&ReadModel>,
    only: Option<CampaignId>,
    report: &mut Report,
) -> Result<(), CheckError> {
    let mut campaigns: Vec<CampaignId> = match only {
        Some(id)
            if live.campaign(&id).is_none() && fresh.is_none_or(|f| f.campaign(&id).is_none()) =>
        {
            return Err(CheckError::NoSuchCampaign(id))
        }
        Some(id) => vec![id],
        None => live.campaigns().map(|c| c.campaign.id).collect(),
    };
    campaigns.sort();
    for id in &campaigns {
        let Some(entry) = live.campaign(id) else {
            report.add(
                None,
                "read_model",
                format!("campaign {id} is missing from the live read model"),
            );
            continue;
        };
        if let Some(fresh) = fresh {
            match fresh.campaign(id) {
                None => report.add(
                    None,
                    "read_model",
                    format!("campaign {id} is missing from a fresh replay of the log"),
                ),
                Some(replayed) if replayed != entry => report.add(
                    None,
                    "read_model",
                    format!(
                        "campaign {id}: the live read model differs from a fresh replay of the log"
                    ),
                ),
                Some(_) => {}
            }
            for lead_id in &entry.leads {
                if live.lead(lead_id) != fresh.lead(lead_id) {
                    report.add(
                        None,
                        "read_model",
                        format!("lead {lead_id}: the live view differs from a fresh replay"),
                    );
                }
            }
        }
        let counters = &entry.counters;
        match live.recount(id) {
            Some(recount) if recount == *counters => {}
            Some(recount) => report.add(
                None,
                "counters",
                format!(
                    "campaign {id}: the counters kept while folding differ from a recount of its \
                     leads: {}",
                    differences(counters, &recount)
                ),
            ),
            None => report.add(
                None,
                "counters",
                format!("campaign {id}: one of its leads is missing from the lead views"),
            ),
        }
        let by_status: u64 = counters.by_status().values().sum();
        if by_status != counters.total {
            report.add(
                None,
                "by_status",
                format!(
                    "campaign {id}: the leads by status sum to {by_status}, not to the total {}",
                    counters.total
                ),
            );
        }
    }
    report.campaigns_checked = Some(campaigns.len());
    if let Some(fresh) = fresh {
        if only.is_none() && live != fresh {
            report.add(
                None,
                "read_model",
                "the live read models differ from a fresh replay of the log".into(),
            );
        }
    }
    // Anomalies are found while folding the whole log, not per campaign.
    let (anomalies, anomalies_total) = live.anomalies();
    for anomaly in anomalies {
        report.add(Some(anomaly.position), "anomaly", anomaly.detail.clone());
    }
    report.problems_total += anomalies_total.saturating_sub(anomalies.len() as u64);
    Ok(())
}

fn differences(kept: &Counters, recount: &Counters) -> String {
    let named = [
        ("total", kept.total, recount.total),
        ("pending", kept.pending, recount.pending),
        ("in_flight", kept.in_flight, recount.in_flight),
        ("called", kept.called, recount.called),
        ("answered", kept.answered, recount.answered),
        ("failed", kept.failed, recount.failed),
        ("cancelled", kept.cancelled, recount.cancelled),
        ("skipped", kept.skipped, recount.skipped),
        ("dnc", kept.dnc, recount.dnc),
        ("dials", kept.dials, recount.dials),
    ];
    let mut found: Vec<String> = named
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(name, a, b)| format!("{name} {a} (recount {b})"))
        .collect();
    let recounted = recount.by_status();
    for (status, count) in kept.by_status() {
        let again = recounted.get(&status).copied().unwrap_or(0);
        if again != count {
            found.push(format!("{status} {count} (recount {again})"));
        }
    }
    if found.is_empty() {
        "the breakdown by status and category differs".to_owned()
    } else {
        found.join(", ")
    }
}
