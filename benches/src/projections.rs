//! The projections suite: rebuild speed against a raw sled scan, a
//! 58,466-lead campaign's rebuild, the hopper's next pick in a 1M-lead
//! campaign against a scan, and memory per million leads.

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use bincode::Options;
use leadline_domain::events::EventSeed;
use leadline_domain::{eligibility, CampaignId, UserId};
use leadline_projections::model::CampaignEntry;
use leadline_projections::runner::fold_all;
use leadline_projections::ReadModel;
use leadline_storage::{EventLog, SledLog, SledOptions};

use crate::history::{self, start_time};
use crate::report::{target_dir, Figure, Report};

/// The field's "80K" list.
const FIELD_CAMPAIGN_LEADS: u64 = 58_466;

pub fn run(quick: bool) -> Result<Report, String> {
    let (big_leads, hopper_leads) = if quick {
        (40_000, 200_000)
    } else {
        (200_000, 1_000_000)
    };
    let bench_dir = target_dir().join("bench");
    std::fs::create_dir_all(&bench_dir).map_err(|e| e.to_string())?;
    let scratch = tempfile::tempdir_in(&bench_dir).map_err(|e| e.to_string())?;
    let mut figures = Vec::new();

    eprintln!("building a log of {big_leads} leads' histories …");
    figures.extend(rebuild(scratch.path(), big_leads)?);
    eprintln!("building a {FIELD_CAMPAIGN_LEADS}-lead campaign …");
    figures.push(rebuild_field_campaign(scratch.path())?);
    eprintln!("loading {hopper_leads} leads in memory …");
    figures.extend(hopper_and_memory(hopper_leads)?);
    Ok(Report {
        suite: "projections".into(),
        figures,
    })
}

fn open(dir: &Path) -> Result<SledLog, String> {
    SledLog::open(dir, SledOptions::default()).map_err(|e| e.to_string())
}

/// Rebuild of every projection from a reopened log, next to iterating a
/// plain sled tree of the same payloads and decoding them the same way.
fn rebuild(scratch: &Path, leads: u64) -> Result<Vec<Figure>, String> {
    let log_dir = scratch.join("rebuild-log");
    let raw_dir = scratch.join("rebuild-raw");
    let events = {
        let log = open(&log_dir)?;
        let campaigns = 4u64;
        let mut events = 0;
        for c in 0..campaigns {
            events += history::append_campaign(
                &log,
                UserId::from_u128(u128::from(c) + 1),
                CampaignId::from_u128(u128::from(c) + 100),
                leads / campaigns,
                false,
            )?;
        }
        // The baseline tree: the same payloads, with the type name and
        // schema version needed to decode them.
        let raw = sled::Config::new()
            .path(&raw_dir)
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(|e| e.to_string())?;
        log.scan(0, u64::MAX, &mut |view| {
            let mut value = Vec::with_capacity(3 + view.event_type().len() + view.payload().len());
            value.push(view.event_type().len() as u8);
            value.extend_from_slice(view.event_type().as_bytes());
            value.extend_from_slice(&view.schema_version().to_be_bytes());
            value.extend_from_slice(view.payload());
            match raw.insert(view.position().to_be_bytes(), value) {
                Ok(_) => ControlFlow::Continue(()),
                Err(_) => ControlFlow::Break(()),
            }
        })
        .map_err(|e| e.to_string())?;
        raw.flush().map_err(|e| e.to_string())?;
        log.close().map_err(|e| e.to_string())?;
        events
    };

    let log = open(&log_dir)?;
    let start = Instant::now();
    let model = fold_all(&log).map_err(|e| e.to_string())?;
    let rebuild_rate = model.events() as f64 / start.elapsed().as_secs_f64();
    if model.events() != events {
        return Err(format!("rebuilt {} of {events} events", model.events()));
    }
    drop(model);
    log.close().map_err(|e| e.to_string())?;
    drop(log);

    let raw = sled::Config::new()
        .path(&raw_dir)
        .mode(sled::Mode::HighThroughput)
        .open()
        .map_err(|e| e.to_string())?;
    let options = bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .allow_trailing_bytes();
    let start = Instant::now();
    let mut decoded = 0u64;
    for entry in raw.iter() {
        let (_, value) = entry.map_err(|e| e.to_string())?;
        let type_len = usize::from(value[0]);
        let type_name = std::str::from_utf8(&value[1..1 + type_len]).map_err(|e| e.to_string())?;
        let version = u16::from_be_bytes([value[1 + type_len], value[2 + type_len]]);
        let seed = EventSeed {
            type_name,
            schema_version: version,
        };
        let event = options
            .deserialize_seed(seed, &value[3 + type_len..])
            .map_err(|e| e.to_string())?;
        decoded += u64::from(event.campaign_id().is_some());
    }
    let raw_rate = events as f64 / start.elapsed().as_secs_f64();
    if decoded == 0 {
        return Err("the baseline decoded nothing".into());
    }
    let baseline = Figure::new("sled_scan_decode_raw", raw_rate, "events/s");
    Ok(vec![
        baseline.clone(),
        Figure::new("rebuild", rebuild_rate, "events/s").against(&baseline),
        Figure::new("rebuild_events", events as f64, "events"),
    ])
}

fn rebuild_field_campaign(scratch: &Path) -> Result<Figure, String> {
    let dir = scratch.join("field-campaign");
    let events = {
        let log = open(&dir)?;
        let events = history::append_campaign(
            &log,
            UserId::from_u128(1),
            CampaignId::from_u128(2),
            FIELD_CAMPAIGN_LEADS,
            false,
        )?;
        log.close().map_err(|e| e.to_string())?;
        events
    };
    let log = open(&dir)?;
    let start = Instant::now();
    let model = fold_all(&log).map_err(|e| e.to_string())?;
    let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
    let counters = &model
        .campaign(&CampaignId::from_u128(2))
        .ok_or("the campaign is missing")?
        .counters;
    if counters.total != FIELD_CAMPAIGN_LEADS || model.events() != events {
        return Err(format!(
            "rebuilt {} leads and {} events, expected {FIELD_CAMPAIGN_LEADS} and {events}",
            counters.total,
            model.events()
        ));
    }
    eprintln!(
        "  {FIELD_CAMPAIGN_LEADS} leads, {events} events ({:.1} per lead), progress {}",
        events as f64 / FIELD_CAMPAIGN_LEADS as f64,
        counters.progress()
    );
    Ok(Figure::new("rebuild_58k_campaign_ms", elapsed_ms, "ms"))
}

fn rss_bytes() -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or("no VmRSS in /proc/self/status")?;
    Ok(kb * 1024)
}

/// Loads `leads` leads with their call histories straight into a read
/// model (import, dials, outcomes, retries, recycles): resident
/// memory per million leads, and the hopper's next pick against a scan.
fn hopper_and_memory(leads: u64) -> Result<Vec<Figure>, String> {
    let user = UserId::from_u128(7);
    let campaign_id = CampaignId::from_u128(8);
    let before = rss_bytes()?;
    let heap_before = crate::alloc::live_bytes();
    let mut model = ReadModel::default();
    let mut position = 0u64;
    for event in history::setup(user, campaign_id, "Big list")? {
        position += 1;
        model.apply(position, 1, &event);
    }
    for i in 0..leads {
        for event in history::lead_events(campaign_id, i, false)? {
            position += 1;
            model.apply(position, 1, &event);
        }
    }
    let after = rss_bytes()?;
    let per_1m = |bytes: usize| bytes as f64 / (1024.0 * 1024.0) * (1_000_000.0 / leads as f64);
    let rss_mb_per_1m = per_1m(after.saturating_sub(before) as usize);
    let heap_mb_per_1m = per_1m(crate::alloc::live_bytes().saturating_sub(heap_before));

    let now = start_time() + chrono::Duration::days(1);
    // A copy of the folded hopper, so that taking leads out as they are
    // dialed leaves the read model as folded.
    let (campaign, mut hopper) = {
        let CampaignEntry {
            campaign, hopper, ..
        } = model
            .campaign(&campaign_id)
            .ok_or("the campaign is missing")?;
        (campaign.clone(), hopper.clone())
    };
    let picks = 10_000usize;
    let mut elapsed = std::time::Duration::ZERO;
    for _ in 0..picks {
        let start = Instant::now();
        let next = hopper.next_eligible(&campaign, now, 1);
        elapsed += start.elapsed();
        let Some(lead) = next.first() else {
            return Err("the hopper ran dry".into());
        };
        // Dialing takes the lead out of the hopper.
        hopper.place(lead.lead_id, None);
    }
    let next_us = elapsed.as_secs_f64() * 1e6 / picks as f64;

    // Baseline: find the next lead by checking every lead's eligibility.
    let entry = model
        .campaign(&campaign_id)
        .ok_or("the campaign is missing")?;
    let owner = model.owner(&entry.campaign.owner);
    let scans = 3;
    let start = Instant::now();
    for _ in 0..scans {
        let best = entry
            .leads
            .iter()
            .filter_map(|id| model.lead(id))
            .filter(|l| eligibility(&l.lead, &entry.campaign, &owner, now).is_eligible())
            .map(|l| (l.lead.dial_order(), l.lead.id))
            .min();
        if best.is_none() {
            return Err("the scan found nothing".into());
        }
    }
    let scan_us = start.elapsed().as_secs_f64() * 1e6 / f64::from(scans);
    let scan = Figure::new("hopper_scan_us", scan_us, "us");
    Ok(vec![
        Figure::new("hopper_next_us", next_us, "us").against(&scan),
        Figure::new("hopper_leads", leads as f64, "leads"),
        Figure::new("rss_mb_per_1m_leads", rss_mb_per_1m, "MiB"),
        Figure::new("heap_mb_per_1m_leads", heap_mb_per_1m, "MiB"),
    ])
}
