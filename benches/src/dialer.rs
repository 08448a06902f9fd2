//! The dialer suite: how fast a freed slot is used again, and the highest
//! sustained dial rate, on the simulator with the durable log and the real
//! clock — the dialer thread `serve` runs.

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
    let mut next = 0u128;
    let mut all_leads = Vec::new();
    for chunk in (0..leads).collect::<Vec<_>>().chunks(5_000) {
        // Last digits 0 and 6–9 are answered on the simulator: no retries.
        let rows = chunk
            .iter()
            .map(|i| LeadInput {
                phone: format!("9{:08}{}", i, [0, 6, 7, 8, 9][i % 5]),
                name: None,
                priority: None,
                timezone: None,
                fields: Default::default(),
                contact_id: None,
                alt_phones: Vec::new(),
            })
            .collect();
        let (events, _) = plans::import_leads(
            &state,
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
        for event in &events {
            state = campaign::evolve(Some(state), event).ok_or("the campaign did not fold")?;
            if let Some(lead) = leadline_domain::lead::evolve(None, event) {
                all_leads.push(lead);
            }
        }
        append(events)?;
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
