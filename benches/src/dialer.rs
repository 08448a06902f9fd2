//! The dialer suite: how fast a freed slot is used again, and the highest
//! sustained dial rate, on the simulator with the durable log and the real
//! clock — the dialer thread `serve` runs. The forecast suite: a forecast
//! of a 58,466-lead campaign, next to the same campaign run by the engine
//! on an in-memory log with the virtual clock.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use leadline::dialer::simulator::Simulator;
use leadline::dialer::{spawn, DialerConfig};
use leadline::write::record::{self, Cause};
use leadline::write::CommandRunner;
use leadline_domain::campaign::{self, CampaignSettings};
use leadline_domain::plans::{self, LeadInput};
use leadline_domain::policy::Owner;
use leadline_domain::{user, Actor, CampaignId, Event, LeadId, UserId};
use leadline_projections::Projections;
use leadline_storage::{EventLog, ExpectedVersion, SledLog, SledOptions};

use crate::report::{quantile, target_dir, Figure, Report};

pub fn run(quick: bool) -> Result<Report, String> {
    let bench_dir = target_dir().join("bench");
    std::fs::create_dir_all(&bench_dir).map_err(|e| e.to_string())?;
    let scratch = tempfile::tempdir_in(&bench_dir).map_err(|e| e.to_string())?;
    let (refills, leads_for_rate, rate_window) = if quick {
        (200, 6_000, Duration::from_secs(2))
    } else {
        (1_000, 20_000, Duration::from_secs(6))
    };
    eprintln!("measuring slot refill over {refills} calls …");
    let mut latencies = slot_refill(&scratch.path().join("refill"), refills)?;
    eprintln!("measuring the sustained dial rate …");
    let rate = dial_rate(&scratch.path().join("rate"), leads_for_rate, rate_window)?;
    Ok(Report {
        suite: "dialer".into(),
        figures: vec![
            Figure::new("slot_refill_p50_ms", quantile(&mut latencies, 0.50), "ms"),
            Figure::new("slot_refill_p99_ms", quantile(&mut latencies, 0.99), "ms"),
            Figure::new("slot_refill_samples", latencies.len() as f64, "calls"),
            // With 1,000 slots and 1 s calls no dialer can exceed 1,000
            // dials/s: the figure says how close it keeps every slot busy.
            Figure::new("dials_per_s_max", rate, "dials/s").against(&Figure::new(
                "dials_per_s_ceiling",
                1_000.0,
                "dials/s",
            )),
        ],
    })
}

/// The forecast suite: a forecast of the 58,466-lead field campaign,
/// against its target, and its dial rate next to the engine's on a log.
pub fn run_forecast(quick: bool) -> Result<Report, String> {
    eprintln!("forecasting a {FIELD_CAMPAIGN_LEADS}-lead campaign …");
    let forecast = forecast_against_the_log(quick)?;
    Ok(Report {
        suite: "forecast".into(),
        figures: vec![
            Figure::new("forecast_58466_ms", forecast.forecast_ms, "ms").against(&Figure::new(
                "forecast_target_ms",
                FORECAST_TARGET_MS,
                "ms",
            )),
            Figure::new("forecast_dials", forecast.dials as f64, "dials"),
            Figure::new("forecast_finish_days", forecast.finish_days, "days"),
            Figure::new(
                "forecast_dials_per_s",
                forecast.dials as f64 / (forecast.forecast_ms / 1000.0),
                "dials/s",
            )
            .against(&Figure::new(
                "engine_on_log_dials_per_s",
                forecast.log_dials_per_s,
                "dials/s",
            )),
        ],
    })
}

/// The field campaign the forecast must answer for within
/// [`FORECAST_TARGET_MS`].
const FIELD_CAMPAIGN_LEADS: usize = 58_466;
const FORECAST_TARGET_MS: f64 = 2_000.0;

struct ForecastFigures {
    forecast_ms: f64,
    dials: u64,
    finish_days: f64,
    log_dials_per_s: f64,
}

/// A draft of 58,466 Indian numbers (user limit 10, three attempts, the
/// jurisdiction rules on), forecast with the default mix; then the same
/// campaign started and run by the engine on an in-memory log (the full
/// write path: encode, append, fold) on the virtual clock for the
/// forecast's first virtual day or, quick, its first hour: the dial rate
/// the forecast's copy saves over.
fn forecast_against_the_log(quick: bool) -> Result<ForecastFigures, String> {
    use leadline::forecast::{forecast, ForecastOptions};
    use leadline_storage::{LogLimits, MemoryLog};

    let log: Arc<dyn EventLog> = Arc::new(MemoryLog::new(
        LogLimits::default(),
        leadline_storage::system_clock(),
    ));
    let cause = Cause::new(Actor::System("bench".into()));
    // 09:00 in Kolkata.
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T03:30:00Z")
        .map_err(|e| e.to_string())?
        .with_timezone(&Utc);
    let user_id = UserId::from_u128(1);
    let campaign_id = CampaignId::from_u128(2);
    let mut events =
        user::create(None, user_id, "bench", Some(10), "digest", now).map_err(|e| e.to_string())?;
    let mut settings = CampaignSettings::new("field").map_err(|e| e.to_string())?;
    settings.default_region = "IN".parse().ok();
    settings.timezone = "Asia/Kolkata".parse().map_err(|e| format!("{e:?}"))?;
    let created =
        campaign::create(None, campaign_id, user_id, settings, now).map_err(|e| e.to_string())?;
    let mut state = campaign::replay(&created).ok_or("the campaign did not fold")?;
    events.extend(created);
    let (imported, _) = import(
        &mut state,
        FIELD_CAMPAIGN_LEADS,
        |i| format!("98{:08}", 10_000_000 + i),
        now,
    )?;
    events.extend(imported);
    for chunk in events.chunks(10_000) {
        let appends =
            record::appends(chunk, &cause, |_| ExpectedVersion::Any).map_err(|e| e.to_string())?;
        log.submit(appends).wait().map_err(|e| e.to_string())?;
    }
    let projections = Projections::open(log.clone()).map_err(|e| e.to_string())?;
    projections.follow().map_err(|e| e.to_string())?;
    let config = DialerConfig::default();
    let options = ForecastOptions {
        seed: 1,
        ..ForecastOptions::default()
    };
    let started = Instant::now();
    let predicted = forecast(&projections.read(), campaign_id, &options, &config, now)
        .map_err(|e| e.to_string())?;
    let forecast_ms = started.elapsed().as_secs_f64() * 1000.0;
    let finish_days = predicted
        .finish_at
        .map_or(f64::NAN, |at| (at - now).num_seconds() as f64 / 86_400.0);

    // The same campaign for real, on the log.
    let commands = CommandRunner::new(log.clone(), projections.clone());
    let model = projections.read();
    let leads: Vec<_> = model
        .campaign(&campaign_id)
        .ok_or("no campaign")?
        .leads
        .iter()
        .filter_map(|id| model.lead(id).map(|e| e.lead.clone()))
        .collect();
    let start = plans::start(&state, &Owner::detached(), &leads, now).map_err(|e| e.to_string())?;
    drop(model);
    let appends =
        record::appends(&start, &cause, |_| ExpectedVersion::Any).map_err(|e| e.to_string())?;
    let position = log
        .submit(appends)
        .wait()
        .map_err(|e| e.to_string())?
        .last_position();
    projections.wait_for(position, Duration::from_secs(30));
    let mut engine = leadline::dialer::Engine::new(
        commands,
        config,
        Box::new(Simulator::drawn(leadline::forecast::default_mix(), 2)),
    );
    let until = now + chrono::Duration::hours(if quick { 1 } else { 24 });
    let mut at = now;
    let started = Instant::now();
    while at < until {
        let step = engine.step(at).map_err(|e| e.to_string())?;
        if step.dialed == 0 && step.conflicts == 0 {
            at = step.next_wake.unwrap_or(until).max(at);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let dials = projections
        .read()
        .campaign(&campaign_id)
        .map_or(0, |c| c.counters.dials);
    projections.stop();
    Ok(ForecastFigures {
        forecast_ms,
        dials: predicted.dials,
        finish_days,
        log_dials_per_s: dials as f64 / elapsed,
    })
}

struct Running {
    log: Arc<dyn EventLog>,
    projections: Arc<Projections>,
    stop: Arc<AtomicBool>,
    dialer: Option<std::thread::JoinHandle<()>>,
    campaign: CampaignId,
}

impl Running {
    fn dials(&self) -> u64 {
        self.projections
            .read()
            .campaign(&self.campaign)
            .map_or(0, |c| c.counters.dials)
    }

    fn finish(mut self) -> Arc<dyn EventLog> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(dialer) = self.dialer.take() {
            let _ = dialer.join();
        }
        self.projections.stop();
        self.log.clone()
    }
}

/// A log with one user (limit `limit`), one started campaign of `leads`
/// answered numbers, and the dialer running on it.
fn start(
    dir: &std::path::Path,
    limit: u32,
    leads: usize,
    config: DialerConfig,
) -> Result<Running, String> {
    let log: Arc<dyn EventLog> =
        Arc::new(SledLog::open(dir, SledOptions::default()).map_err(|e| e.to_string())?);
    let cause = Cause::new(Actor::System("bench".into()));
    let append = |events: Vec<Event>| -> Result<(), String> {
        let appends = record::appends(&events, &cause, |_| ExpectedVersion::Any)
            .map_err(|e| e.to_string())?;
        log.submit(appends)
            .wait()
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let now = Utc::now();
    let user_id = UserId::from_u128(1);
    let campaign_id = CampaignId::from_u128(2);
    append(
        user::create(None, user_id, "bench", Some(limit), "digest", now)
            .map_err(|e| e.to_string())?,
    )?;
    let mut settings = CampaignSettings::new("bench").map_err(|e| e.to_string())?;
    settings.default_region = "IN".parse().ok();
    // Measured at any hour of the day: India's calling hours are not the
    // subject of this benchmark.
    settings.jurisdiction_rules = false;
    let created =
        campaign::create(None, campaign_id, user_id, settings, now).map_err(|e| e.to_string())?;
    let mut state = campaign::replay(&created).ok_or("the campaign did not fold")?;
    append(created)?;
    // Last digits 0 and 6–9 are answered on the simulator: no retries.
    let (events, all_leads) = import(
        &mut state,
        leads,
        |i| format!("9{:08}{}", i, [0, 6, 7, 8, 9][i % 5]),
        now,
    )?;
    for chunk in events.chunks(5_000) {
        append(chunk.to_vec())?;
    }
    append(plans::start(&state, &Owner::detached(), &all_leads, now).map_err(|e| e.to_string())?)?;
    let projections = Projections::open(log.clone()).map_err(|e| e.to_string())?;
    projections.follow().map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let placer = Box::new(Simulator::new(config.sim_call_ms));
    let dialer = spawn(
        CommandRunner::new(log.clone(), projections.clone()),
        config,
        placer,
        stop.clone(),
    )
    .map_err(|e| e.to_string())?;
    Ok(Running {
        log,
        projections,
        stop,
        dialer: Some(dialer),
        campaign: campaign_id,
    })
}

/// One slot, short calls: each call's end is followed by the next dial.
/// The latency is read from the log's recorded times.
fn slot_refill(dir: &std::path::Path, calls: usize) -> Result<Vec<f64>, String> {
    let config = DialerConfig {
        sim_call_ms: 5,
        ..DialerConfig::default()
    };
    let running = start(dir, 1, calls + 1, config)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while running.dials() < calls as u64 + 1 {
        if Instant::now() > deadline {
            return Err(format!("only {} dials in two minutes", running.dials()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = running.finish();
    let mut latencies = Vec::new();
    let mut last_end: Option<i64> = None;
    log.scan(0, u64::MAX, &mut |view| {
        match view.event_type() {
            "CallAnswered" | "CallNoAnswer" | "CallBusy" | "CallFailed" | "CallDropped"
            | "CallCongestion" | "CallVoicemail" => {
                last_end = Some(view.recorded_at_us());
            }
            "LeadDialed" => {
                if let Some(end) = last_end.take() {
                    latencies.push((view.recorded_at_us() - end) as f64 / 1000.0);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    })
    .map_err(|e| e.to_string())?;
    if latencies.len() < calls / 2 {
        return Err(format!("only {} refills were observed", latencies.len()));
    }
    Ok(latencies)
}

/// System and user limits of 1,000, simulator calls of 1 s: the dial rate
/// once the dialer is saturated.
fn dial_rate(dir: &std::path::Path, leads: usize, window: Duration) -> Result<f64, String> {
    let config = DialerConfig {
        system_concurrent_calls: 1_000,
        sim_call_ms: 1_000,
        ..DialerConfig::default()
    };
    let running = start(dir, 1_000, leads, config)?;
    // Let it fill the first 1,000 slots, then measure the steady state.
    std::thread::sleep(Duration::from_secs(2));
    let (before, started) = (running.dials(), Instant::now());
    std::thread::sleep(window);
    let (after, elapsed) = (running.dials(), started.elapsed());
    running.finish();
    if after as usize >= leads {
        return Err(format!("the list ran out ({leads} leads): raise it"));
    }
    Ok((after - before) as f64 / elapsed.as_secs_f64())
}

/// The import events of `leads` leads numbered by `phone`, in batches as
/// an upload makes them, folded into `state`; and the leads.
fn import(
    state: &mut leadline_domain::campaign::Campaign,
    leads: usize,
    phone: impl Fn(usize) -> String,
    now: chrono::DateTime<Utc>,
) -> Result<(Vec<Event>, Vec<leadline_domain::lead::Lead>), String> {
    let mut next = 0u128;
    let mut events = Vec::new();
    let mut imported_leads = Vec::new();
    for chunk in (0..leads).collect::<Vec<_>>().chunks(5_000) {
        let rows = chunk
            .iter()
            .map(|i| LeadInput::with_phone(phone(*i)))
            .collect();
        let (batch, _) = plans::import_leads(
            state,
            &std::collections::HashMap::new(),
            |_| false,
            rows,
            || {
                next += 1;
                LeadId::from_u128(next)
            },
            now,
        )
        .map_err(|e| e.to_string())?;
        for event in &batch {
            *state =
                campaign::evolve(Some(state.clone()), event).ok_or("the campaign did not fold")?;
            if let Some(lead) = leadline_domain::lead::evolve(None, event) {
                imported_leads.push(lead);
            }
        }
        events.extend(batch);
    }
    Ok((events, imported_leads))
}
