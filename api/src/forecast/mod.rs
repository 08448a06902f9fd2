//! A campaign's future before it runs: the dialer's own engine, on a
//! virtual clock, over a private copy of the read models.
//!
//! The copy holds the campaign's owner, the campaign, their other active
//! campaigns (which share the owner's calls in flight and the caps on each
//! number) and the owner's calls in flight. A draft is started and a paused
//! campaign resumed in the copy, by the same domain plans as for real. The
//! engine ([`crate::dialer::Engine`]) then steps from now to each instant
//! something is due, with the simulator drawing each call's outcome and
//! length from a mix ([`CallMix`]) with a seeded generator: the same state
//! and seed give the same forecast.
//!
//! The mix comes from the campaign's own ended calls when it has at least
//! [`FORECAST_HISTORY_CALLS_MIN`]; else from the request; else from
//! [`default_mix`]. Nothing is written to the log.

mod sandbox;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use leadline_domain::eligibility::explain::{explain, Standing};
use leadline_domain::lead::Lead;
use leadline_domain::{plans, CallOutcome, CampaignId, CampaignStatus, DomainError};
use leadline_projections::{CallStatus, ReadModel};
use serde::Serialize;

pub use self::sandbox::Sandbox;
use crate::dialer::simulator::{CallMix, Simulator};
use crate::dialer::{DialerConfig, Engine, Ledger};
use crate::limits::{
    FORECAST_DIALER_STEPS_MAX, FORECAST_HISTORY_CALLS_MIN, FORECAST_HORIZON_DAYS,
    FORECAST_IDLE_WAKE_MS,
};
use crate::write::Decision;

/// Where a forecast's call mix came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MixSource {
    /// The campaign's own ended calls.
    History,
    /// The request.
    Request,
    /// The documented defaults.
    Defaults,
}

/// What a forecast may be told.
#[derive(Clone, Debug, Default)]
pub struct ForecastOptions {
    /// Each outcome's share of calls, summing to 1.
    pub rates: Option<BTreeMap<CallOutcome, f64>>,
    /// Every call's length, dial to result.
    pub call_seconds: Option<u32>,
    pub seed: u64,
}

/// One day of the forecast, in the campaign's zone.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ForecastDay {
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub dials: u64,
    pub answered: u64,
}

/// A campaign's forecast.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Forecast {
    #[schema(value_type = String)]
    pub campaign_id: CampaignId,
    /// The instant the forecast starts from.
    pub from: DateTime<Utc>,
    /// When the campaign completes, or `None` when it does not within the
    /// horizon (`reason` says why).
    pub finish_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The forecast's first dial: when a campaign held back now resumes
    /// (`null` when it dials nothing).
    pub first_dial_at: Option<DateTime<Utc>>,
    /// Dials placed from `from` on.
    pub dials: u64,
    /// Of them, answered.
    pub answered: u64,
    /// The most calls of the campaign in flight at once.
    pub peak_in_flight: u64,
    pub by_day: Vec<ForecastDay>,
    /// Leads never answered, by what stops them at the end: the first rule
    /// holding them back (API rule names), `final:<status>` for leads in
    /// a final status, `unfinished` for leads still being called when the
    /// horizon ends.
    pub never_reached: BTreeMap<String, u64>,
    /// The campaign's leads.
    pub leads: u64,
    /// The outcome rates used, and where they came from.
    #[schema(value_type = BTreeMap<String, f64>)]
    pub rates: BTreeMap<CallOutcome, f64>,
    pub rates_from: MixSource,
    /// Each outcome's length used, dial to result, in seconds.
    #[schema(value_type = BTreeMap<String, f64>)]
    pub call_seconds: BTreeMap<CallOutcome, f64>,
    pub call_seconds_from: MixSource,
    pub seed: u64,
    pub horizon_days: i64,
}

/// Why there is no forecast.
#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    #[error("campaign {0} not found")]
    NotFound(CampaignId),
    #[error("the campaign is {0}: it has nothing left to dial")]
    Ended(CampaignStatus),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("the dialer failed in the forecast: {0}")]
    Engine(String),
}

/// The outcome rates and call lengths a forecast uses when neither the
/// campaign's history nor the request gives them.
pub fn default_mix() -> CallMix {
    let seconds = |s: u64| s * 1000;
    CallMix {
        rates: BTreeMap::from([
            (CallOutcome::Answered, 0.35),
            (CallOutcome::NoAnswer, 0.30),
            (CallOutcome::Busy, 0.10),
            (CallOutcome::Failed, 0.05),
            (CallOutcome::Dropped, 0.02),
            (CallOutcome::Congestion, 0.03),
            (CallOutcome::Voicemail, 0.15),
        ]),
        lengths_ms: BTreeMap::from([
            (CallOutcome::Answered, seconds(90)),
            (CallOutcome::NoAnswer, seconds(30)),
            (CallOutcome::Busy, seconds(10)),
            (CallOutcome::Failed, seconds(5)),
            (CallOutcome::Dropped, seconds(20)),
            (CallOutcome::Congestion, seconds(5)),
            (CallOutcome::Voicemail, seconds(40)),
        ]),
    }
}

fn outcome_of(status: CallStatus) -> Option<CallOutcome> {
    Some(match status {
        CallStatus::Dialing => return None,
        CallStatus::Answered => CallOutcome::Answered,
        CallStatus::NoAnswer => CallOutcome::NoAnswer,
        CallStatus::Busy => CallOutcome::Busy,
        CallStatus::Failed => CallOutcome::Failed,
        CallStatus::Dropped => CallOutcome::Dropped,
        CallStatus::Congestion => CallOutcome::Congestion,
        CallStatus::Voicemail => CallOutcome::Voicemail,
    })
}

/// The mix of the campaign's ended calls (rates, and each outcome's mean
/// length), when it has enough of them.
fn history_mix(model: &ReadModel, campaign: &CampaignId) -> Option<CallMix> {
    let entry = model.campaign(campaign)?;
    let mut counts: BTreeMap<CallOutcome, (u64, i64)> = BTreeMap::new();
    let mut ended = 0u64;
    for call in entry.calls.iter().filter_map(|id| model.call(id)) {
        let (Some(outcome), Some(end)) = (outcome_of(call.status), call.ended_at) else {
            continue;
        };
        let slot = counts.entry(outcome).or_default();
        slot.0 += 1;
        slot.1 += (end - call.started_at).num_milliseconds().max(0);
        ended += 1;
    }
    if ended < FORECAST_HISTORY_CALLS_MIN {
        return None;
    }
    let defaults = default_mix();
    let mut mix = CallMix {
        rates: BTreeMap::new(),
        lengths_ms: defaults.lengths_ms,
    };
    for (outcome, (n, total_ms)) in counts {
        mix.rates.insert(outcome, n as f64 / ended as f64);
        mix.lengths_ms.insert(
            outcome,
            u64::try_from(total_ms / i64::try_from(n).unwrap_or(i64::MAX)).unwrap_or(0),
        );
    }
    Some(mix)
}

/// The mix to use and where its rates and lengths came from.
fn choose_mix(
    model: &ReadModel,
    campaign: &CampaignId,
    options: &ForecastOptions,
) -> (CallMix, MixSource, MixSource) {
    if let Some(mix) = history_mix(model, campaign) {
        return (mix, MixSource::History, MixSource::History);
    }
    let mut mix = default_mix();
    let mut rates_from = MixSource::Defaults;
    let mut lengths_from = MixSource::Defaults;
    if let Some(rates) = &options.rates {
        mix.rates = rates
            .iter()
            .filter(|(_, r)| **r > 0.0)
            .map(|(o, r)| (*o, *r))
            .collect();
        rates_from = MixSource::Request;
    }
    if let Some(seconds) = options.call_seconds {
        for length in mix.lengths_ms.values_mut() {
            *length = u64::from(seconds) * 1000;
        }
        lengths_from = MixSource::Request;
    }
    (mix, rates_from, lengths_from)
}

/// Forecasts `campaign` from `now`, on a copy of `model`; `dialer` gives
/// the system's limits.
pub fn forecast(
    model: &ReadModel,
    campaign_id: CampaignId,
    options: &ForecastOptions,
    dialer: &DialerConfig,
    now: DateTime<Utc>,
) -> Result<Forecast, ForecastError> {
    prepare(model, campaign_id, options, dialer, now)?.run()
}

/// A forecast ready to run: the copy of the read models it runs on, and
/// its mix. Preparing reads the live read models; running does not.
pub struct Prepared {
    copy: ReadModel,
    campaign_id: CampaignId,
    status: CampaignStatus,
    mix: CallMix,
    rates_from: MixSource,
    call_seconds_from: MixSource,
    seed: u64,
    dialer: DialerConfig,
    now: DateTime<Utc>,
}

/// Copies what a forecast of `campaign_id` needs out of `model`.
pub fn prepare(
    model: &ReadModel,
    campaign_id: CampaignId,
    options: &ForecastOptions,
    dialer: &DialerConfig,
    now: DateTime<Utc>,
) -> Result<Prepared, ForecastError> {
    let entry = model
        .campaign(&campaign_id)
        .ok_or(ForecastError::NotFound(campaign_id))?;
    let status = entry.campaign.status;
    if matches!(
        status,
        CampaignStatus::Completed | CampaignStatus::Cancelled | CampaignStatus::Archived
    ) {
        return Err(ForecastError::Ended(status));
    }
    let owner = entry.campaign.owner;
    let (mix, rates_from, call_seconds_from) = choose_mix(model, &campaign_id, options);
    let mut copied: Vec<CampaignId> = model
        .campaigns_of(&owner, None, now)
        .into_iter()
        .filter(|c| c.campaign.status == CampaignStatus::Active)
        .map(|c| c.campaign.id)
        .collect();
    copied.push(campaign_id);
    Ok(Prepared {
        copy: model.copy_for(&owner, &copied),
        campaign_id,
        status,
        mix,
        rates_from,
        call_seconds_from,
        seed: options.seed,
        dialer: dialer.clone(),
        now,
    })
}

impl Prepared {
    /// Runs the dialer on the copy until the campaign completes or the
    /// horizon.
    pub fn run(self) -> Result<Forecast, ForecastError> {
        let Prepared {
            copy,
            campaign_id,
            status,
            mix,
            rates_from,
            call_seconds_from,
            seed,
            dialer,
            now,
        } = self;
        let (owner, zone) = match copy.campaign(&campaign_id) {
            Some(entry) => (entry.campaign.owner, entry.campaign.settings.timezone),
            None => return Err(ForecastError::NotFound(campaign_id)),
        };
        let sandbox = Sandbox::new(copy);

        // A draft starts and a paused campaign resumes, as they would for real.
        if matches!(status, CampaignStatus::Draft | CampaignStatus::Paused) {
            let mut refused = None;
            sandbox
                .commit(|model| {
                    let events = (|| {
                        let entry = model
                            .campaign(&campaign_id)
                            .ok_or(DomainError::CampaignNotFound(campaign_id))?;
                        let leads: Vec<Lead> = entry
                            .leads
                            .iter()
                            .filter_map(|id| model.lead(id).map(|l| l.lead.clone()))
                            .collect();
                        let owner = model.owner(&entry.campaign.owner);
                        if status == CampaignStatus::Draft {
                            plans::start(&entry.campaign, &owner, &leads, now)
                        } else {
                            plans::resume(&entry.campaign, &owner, &leads, now)
                        }
                    })();
                    Ok(Decision::new(
                        events.unwrap_or_else(|e| {
                            refused = Some(e);
                            Vec::new()
                        }),
                        (),
                    ))
                })
                .map_err(|e| ForecastError::Engine(e.to_string()))?;
            if let Some(e) = refused {
                return Err(e.into());
            }
        }

        let config = DialerConfig {
            idle_wake_ms: FORECAST_IDLE_WAKE_MS,
            ..dialer.clone()
        };
        let mut engine = Engine::new(
            sandbox,
            config,
            Box::new(Simulator::drawn(mix.clone(), seed)),
        );
        let horizon = now + Duration::days(FORECAST_HORIZON_DAYS);
        let mut at = now;
        let mut peak_in_flight = 0u64;
        let mut finish_at = None;
        let mut steps = 0usize;
        let reason = loop {
            let step = engine
                .step(at)
                .map_err(|e| ForecastError::Engine(e.to_string()))?;
            steps += 1;
            {
                let model = engine.ledger().model();
                let Some(entry) = model.campaign(&campaign_id) else {
                    return Err(ForecastError::NotFound(campaign_id));
                };
                peak_in_flight = peak_in_flight.max(entry.counters.in_flight);
                if entry.campaign.status != CampaignStatus::Active {
                    finish_at = Some(at);
                    break None;
                }
            }
            if steps >= FORECAST_DIALER_STEPS_MAX {
                break Some(format!(
                    "the forecast stopped after {FORECAST_DIALER_STEPS_MAX} rounds of the dialer, \
                 at {at}, before the campaign finished"
                ));
            }
            // More may be dialed at the same instant once the round's calls
            // are placed; otherwise the clock moves to the next thing due.
            if step.dialed == 0 && step.conflicts == 0 {
                at = step.next_wake.unwrap_or(horizon).max(at);
            }
            if at > horizon {
                break Some(format!(
                "the campaign does not finish within {FORECAST_HORIZON_DAYS} days under its rules"
            ));
            }
        };
        let model = engine.ledger().model();
        let end = finish_at.unwrap_or(horizon);
        let entry = model
            .campaign(&campaign_id)
            .ok_or(ForecastError::NotFound(campaign_id))?;
        let mut days: BTreeMap<NaiveDate, ForecastDay> = BTreeMap::new();
        let (mut dials, mut answered) = (0, 0);
        let mut first_dial_at = None;
        // The copy holds only calls in flight and the forecast's own.
        for call in entry.calls.iter().filter_map(|id| model.call(id)) {
            if call.started_at < now {
                continue;
            }
            let date = call.started_at.with_timezone(&zone.tz()).date_naive();
            let day = days.entry(date).or_insert(ForecastDay {
                date,
                dials: 0,
                answered: 0,
            });
            day.dials += 1;
            dials += 1;
            first_dial_at = Some(
                first_dial_at.map_or(call.started_at, |t: DateTime<Utc>| t.min(call.started_at)),
            );
            if call.status == CallStatus::Answered {
                day.answered += 1;
                answered += 1;
            }
        }
        let owner = model.owner(&owner);
        // What stops each lead, as if the campaign still ran: once complete,
        // the campaign's own status would hold them all.
        let mut running = entry.campaign.clone();
        running.status = CampaignStatus::Active;
        let mut never_reached: BTreeMap<String, u64> = BTreeMap::new();
        let mut stuck: BTreeMap<String, u64> = BTreeMap::new();
        let mut stuck_until: Option<DateTime<Utc>> = None;
        for lead in entry.leads.iter().filter_map(|id| model.lead(id)) {
            if lead.lead.answered_count > 0 {
                continue;
            }
            let why = explain(&lead.lead, &running, &owner, end);
            let key = match why.standing {
                Standing::Held => why
                    .first_rule()
                    .map_or("campaign_window", |rule| rule.name())
                    .to_owned(),
                Standing::Finished => format!("final:{}", lead.lead.status.as_str()),
                Standing::Eligible | Standing::InFlight => "unfinished".to_owned(),
            };
            // A lead still held when the forecast ends keeps the campaign
            // from completing (used attempts do not: such a lead is done).
            if why.standing == Standing::Held
                && why.first_rule() != Some(leadline_domain::eligibility::Rule::MaxAttempts)
            {
                *stuck.entry(key.clone()).or_default() += 1;
                if let Some(at) = why.eligible_at {
                    stuck_until = Some(stuck_until.map_or(at, |t: DateTime<Utc>| t.min(at)));
                }
            }
            *never_reached.entry(key).or_default() += 1;
        }
        let reason = match reason {
            Some(reason) if !stuck.is_empty() => {
                let held: u64 = stuck.values().sum();
                let rules: Vec<String> = stuck
                    .iter()
                    .map(|(rule, n)| format!("{rule}: {n}"))
                    .collect();
                let then = match stuck_until {
                    Some(at) => format!("the first becomes dialable at {}", at.to_rfc3339()),
                    None => "none of them ever becomes dialable".to_owned(),
                };
                let leads = if held == 1 { "lead is" } else { "leads are" };
                Some(format!(
                    "{reason}: {held} {leads} held back ({}); {then}",
                    rules.join(", ")
                ))
            }
            reason => reason,
        };
        Ok(Forecast {
            campaign_id,
            from: now,
            finish_at,
            reason,
            first_dial_at,
            dials,
            answered,
            peak_in_flight,
            by_day: days.into_values().collect(),
            never_reached,
            leads: entry.leads.len() as u64,
            rates: mix.rates.clone(),
            rates_from,
            call_seconds: mix
                .lengths_ms
                .iter()
                .filter(|(outcome, _)| mix.rates.contains_key(outcome))
                .map(|(outcome, ms)| (*outcome, *ms as f64 / 1000.0))
                .collect(),
            call_seconds_from,
            seed,
            horizon_days: FORECAST_HORIZON_DAYS,
        })
    }
}
