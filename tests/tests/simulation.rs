//! Deterministic simulation of the whole engine: the real domain, log,
//! read models and dialer, a virtual clock, a seeded provider that loses,
//! repeats and reorders callbacks and refuses calls, random operator
//! actions at random times, and crashes with restarts — every invariant
//! checked after every step.
//!
//! The calling rules are in play: leads in several jurisdictions (New
//! York, Florida, Oklahoma, Maryland, Toronto, India, the UK) with up to
//! five numbers each, from a small space of numbers that the campaigns of
//! one user share; campaigns with and without jurisdiction rules, some
//! debt-collection, some with retry delays per status; users' contact
//! policies (caps per number, holidays on the days the run crosses),
//! changed now and then; opt-outs (numbers added to and removed from the
//! do-not-call list, `dnc` dispositions). Every dial is judged by
//! `rules::RulesJudge`, the compliance checker of `leadline-projections`
//! (the one behind the compliance report), which folds its own state from
//! the log and reads the jurisdiction table and the policy itself, apart
//! from the domain's eligibility.
//!
//! `LEADLINE_SIM_SEED=N` runs one seed, `LEADLINE_SIM_SEEDS=A..B` a range
//! (`cargo test -p leadline-tests --test simulation`); without either, the
//! CI set runs. A failure names the seed, the invariant and the last events.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use leadline::dialer::placer::{CallPlacer, OutboundCall, ProviderEvent};
use leadline::dialer::{DialerConfig, Engine};
use leadline::write::record::{self, Cause};
use leadline::write::CommandRunner;
use leadline_domain::campaign::{self, CampaignSettings};
use leadline_domain::lead::{DispositionRequest, LeadCommand};
use leadline_domain::plans::{self, LeadInput, RecycleRequest};
use leadline_domain::policy::{ContactPolicy, Holiday, NumberCap};
use leadline_domain::{
    eligibility, user, Actor, CallId, CallOutcome, CampaignId, CampaignStatus, Event, LeadId,
    LeadStatus, PhoneNumber, Region, StreamName, UserId,
};
use leadline_projections::runner::fold_all;
use leadline_projections::{codec, Projections, ReadModel};
use leadline_storage::{EventLog, ExpectedVersion, LogLimits, MemoryLog};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[path = "simulation/rules.rs"]
mod rules;

/// Seeds run in CI (about a minute in all on two cores).
const CI_SEEDS: std::ops::Range<u64> = 0..24;
/// Steps per run.
const STEPS_PER_RUN: usize = 3_000;
/// The share of idle steps after which hours pass at once.
const QUIET_SPELLS: f64 = 0.012;
/// Campaigns of a run, at most (users create more as they go).
const CAMPAIGNS_MAX: usize = 6;
/// Dials a run makes at the least: the rules must not stop the dialing.
/// Strict contact policies (one call per number in 6 hours) and imports
/// that skip many rows as duplicates make some runs dial little: over
/// seeds 0..1000 the fewest was 38.
const DIALS_MIN: u64 = 25;

/// Numbers of the run: a small space, so that several campaigns of one
/// user share numbers and caps across campaigns bite.
const NUMBERS: u32 = 180;
/// Days the run's holidays fall in, from its first day.
const HOLIDAY_DAYS: i64 = 10;

/// Number `n` of the run's space, by jurisdiction: New York (United
/// States only), Florida (Miami, and the panhandle across two zones),
/// Oklahoma, Maryland, Toronto, India (twice as many) and the UK.
fn number(n: u32) -> String {
    let line = 1000 + n;
    match n % 9 {
        0 => format!("+1 212 555 {line:04}"),
        1 => format!("+1 305 555 {line:04}"),
        2 => format!("+1 850 555 {line:04}"),
        3 => format!("+1 405 555 {line:04}"),
        4 => format!("+1 410 555 {line:04}"),
        5 => format!("+1 416 555 {line:04}"),
        6 | 7 => format!("98765{n:05}"),
        _ => format!("+44 7911 {:06}", 100_000 + n),
    }
}

/// A provider that misbehaves the way real ones do, from a seed.
struct FaultyProvider {
    rng: StdRng,
    queue: BinaryHeap<Reverse<(DateTime<Utc>, u64, Pending)>>,
    sequence: u64,
}

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Pending(ProviderEventKey);

/// `ProviderEvent` has no ordering; this wraps it by a sequence number.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ProviderEventKey(u64);

impl FaultyProvider {
    fn new(seed: u64) -> (Self, HashMap<u64, ProviderEvent>) {
        (
            FaultyProvider {
                rng: StdRng::seed_from_u64(seed ^ 0x5EED),
                queue: BinaryHeap::new(),
                sequence: 0,
            },
            HashMap::new(),
        )
    }
}

/// The number the provider was asked to call, by call.
type Placed = Arc<Mutex<HashMap<CallId, PhoneNumber>>>;

struct SimPlacer {
    provider: FaultyProvider,
    events: HashMap<u64, ProviderEvent>,
    placed: Placed,
}

impl SimPlacer {
    fn push(&mut self, at: DateTime<Utc>, event: ProviderEvent) {
        self.provider.sequence += 1;
        let key = self.provider.sequence;
        self.events.insert(key, event);
        self.provider
            .queue
            .push(Reverse((at, key, Pending(ProviderEventKey(key)))));
    }
}

fn outcome(rng: &mut StdRng) -> CallOutcome {
    match rng.gen_range(0..11) {
        0..=4 => CallOutcome::Answered,
        5 => CallOutcome::NoAnswer,
        6 => CallOutcome::Busy,
        7 => CallOutcome::Failed,
        8 => CallOutcome::Dropped,
        9 => CallOutcome::Congestion,
        _ => CallOutcome::Voicemail,
    }
}

impl CallPlacer for SimPlacer {
    fn start(&mut self, call: OutboundCall, now: DateTime<Utc>) {
        self.placed
            .lock()
            .expect("placed")
            .insert(call.call_id, call.phone.clone());
        let rng = &mut self.provider.rng;
        if rng.gen_bool(0.05) {
            let event = ProviderEvent::Refused {
                call_id: call.call_id,
                lead_id: call.lead_id,
                error: "simulated refusal".into(),
            };
            let at = now + Duration::milliseconds(rng.gen_range(0..2000));
            self.push(at, event);
            return;
        }
        let placed_at = now + Duration::milliseconds(rng.gen_range(0..3000));
        let ended_at = placed_at + Duration::seconds(rng.gen_range(5..600));
        let first = outcome(&mut self.provider.rng);
        let lost = self.provider.rng.gen_bool(0.05);
        let repeated = self.provider.rng.gen_bool(0.08);
        let late_other = self.provider.rng.gen_bool(0.05);
        self.push(
            placed_at,
            ProviderEvent::Placed {
                call_id: call.call_id,
                lead_id: call.lead_id,
                provider_call_id: format!("p-{}", call.call_id),
            },
        );
        if lost {
            return;
        }
        let ended = |outcome: CallOutcome, at: DateTime<Utc>| ProviderEvent::Ended {
            call_id: call.call_id,
            lead_id: call.lead_id,
            outcome,
            provider_status: outcome.to_string(),
            provider_call_id: None,
            duration_secs: Some(30),
            error: None,
            at,
        };
        self.push(ended_at, ended(first, ended_at));
        if repeated {
            self.push(ended_at + Duration::seconds(1), ended(first, ended_at));
        }
        if late_other {
            // Out of order: another status for the same call, after its end.
            self.push(
                ended_at + Duration::seconds(5),
                ended(CallOutcome::NoAnswer, ended_at + Duration::seconds(5)),
            );
        }
    }

    fn poll(&mut self, now: DateTime<Utc>) -> Vec<ProviderEvent> {
        let mut due = Vec::new();
        while self
            .provider
            .queue
            .peek()
            .is_some_and(|Reverse((at, _, _))| *at <= now)
        {
            if let Some(Reverse((_, key, _))) = self.provider.queue.pop() {
                if let Some(event) = self.events.remove(&key) {
                    due.push(event);
                }
            }
        }
        due
    }

    fn put_back(&mut self, events: Vec<ProviderEvent>) {
        let at = DateTime::<Utc>::MIN_UTC;
        for event in events {
            self.push(at, event);
        }
    }

    fn next_due(&self) -> Option<DateTime<Utc>> {
        self.provider.queue.peek().map(|Reverse((at, _, _))| *at)
    }

    fn resume(&mut self, _call: OutboundCall) {
        // After a crash the provider's callbacks in memory are lost too:
        // those calls must be reclaimed when stale.
    }
}

struct Sim {
    seed: u64,
    rng: StdRng,
    log: Arc<dyn EventLog>,
    projections: Arc<Projections>,
    engine: Engine,
    config: DialerConfig,
    now: DateTime<Utc>,
    /// When the run starts.
    start: DateTime<Utc>,
    users: Vec<UserId>,
    campaigns: Vec<CampaignId>,
    /// Saved contacts imported into campaigns, deleted at random.
    contacts: Vec<(UserId, leadline_domain::ContactId)>,
    /// Leads in the first campaign (100,000 for the large-list run).
    first_list: usize,
    /// Steps of the run.
    steps: usize,
    next_id: u128,
    /// Folded event by event to check each dial against the state before it.
    shadow: ReadModel,
    /// The calling rules' own judge, folded from the same events.
    judge: rules::RulesJudge,
    /// What the provider was asked to call.
    placed: Placed,
}

fn placer(seed: u64, placed: Placed) -> Box<dyn CallPlacer> {
    let (provider, events) = FaultyProvider::new(seed);
    Box::new(SimPlacer {
        provider,
        events,
        placed,
    })
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let mut rng = StdRng::seed_from_u64(seed);
        let config = DialerConfig {
            system_concurrent_calls: rng.gen_range(3..12),
            stale_call_ms: 15 * 60 * 1000,
            ..DialerConfig::default()
        };
        let log: Arc<dyn EventLog> = Arc::new(MemoryLog::new(
            LogLimits::default(),
            leadline_storage::system_clock(),
        ));
        let projections = Projections::open(log.clone()).expect("projections");
        projections.follow().expect("follow");
        let placed = Placed::default();
        let engine = Engine::new(
            CommandRunner::new(log.clone(), projections.clone()),
            config.clone(),
            placer(seed, placed.clone()),
        );
        let now = DateTime::parse_from_rfc3339("2026-03-07T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        Sim {
            seed,
            rng,
            log,
            projections,
            engine,
            config,
            now,
            start: now,
            users: Vec::new(),
            campaigns: Vec::new(),
            contacts: Vec::new(),
            first_list: 0,
            steps: STEPS_PER_RUN,
            next_id: 1,
            shadow: ReadModel::default(),
            judge: rules::RulesJudge::default(),
            placed,
        }
    }

    fn fail(&self, invariant: &str) -> ! {
        let last = self.log.last_position();
        let tail: Vec<String> = self
            .log
            .read_all(last.saturating_sub(20), 20)
            .unwrap_or_default()
            .iter()
            .map(|e| {
                format!(
                    "  {} {} {} {}",
                    e.position,
                    e.recorded_at(),
                    e.stream,
                    e.event_type
                )
            })
            .collect();
        panic!("seed {}: invariant broken: {invariant}\nlast events:\n{}\nreproduce: LEADLINE_SIM_SEED={} cargo test -p leadline-tests --test simulation", self.seed, tail.join("\n"), self.seed);
    }

    fn id(&mut self) -> u128 {
        self.next_id += 1;
        self.next_id
    }

    fn command(&self, decide: impl FnOnce(&ReadModel) -> Option<Vec<Event>>) {
        let appends = {
            let model = self.projections.read();
            let Some(events) = decide(&model) else { return };
            if events.is_empty() {
                return;
            }
            record::appends(
                &events,
                &Cause::new(Actor::System("operator".into())),
                |s| {
                    let v = match s {
                        StreamName::User(id) => model.user(id).map(|e| e.version),
                        StreamName::Campaign(id) => model.campaign(id).map(|e| e.version),
                        StreamName::Lead(id) => model.lead(id).map(|e| e.version),
                        StreamName::Subscription(id) => model.subscription(id).map(|e| e.version),
                    };
                    ExpectedVersion::Exact(v.unwrap_or(0))
                },
            )
            .expect("encode")
        };
        // A conflict with the dialer is fine: the operator simply lost the race.
        match self.log.submit(appends).wait() {
            Ok(outcome) => {
                assert!(self
                    .projections
                    .wait_for(outcome.last_position(), std::time::Duration::from_secs(10)));
            }
            Err(e) if std::env::var_os("LEADLINE_SIM_STATS").is_some() => {
                eprintln!("operator refused: {e}")
            }
            Err(_) => {}
        }
    }

    /// A number of the run's space, parsed.
    fn phone(&mut self) -> Option<PhoneNumber> {
        let n = self.rng.gen_range(0..NUMBERS);
        PhoneNumber::parse(&number(n), "IN".parse().ok()).ok()
    }

    /// A random contact policy: caps per number and holidays on days the
    /// run crosses.
    fn policy(&mut self) -> ContactPolicy {
        let caps = [(3, 24), (7, 168), (2, 12), (5, 48), (1, 6), (4, 72)];
        let per_number = (0..self.rng.gen_range(0..3))
            .map(|_| {
                let (calls_max, window_hours) = caps[self.rng.gen_range(0..caps.len())];
                NumberCap {
                    calls_max,
                    window_hours,
                }
            })
            .collect();
        let first_day = self.start.date_naive();
        let holidays = (0..self.rng.gen_range(0..3))
            .map(|_| {
                let date = first_day + Duration::days(self.rng.gen_range(0..HOLIDAY_DAYS));
                let mut regions: Vec<Region> = ["US", "IN", "GB", "CA"]
                    .into_iter()
                    .filter(|_| self.rng.gen_bool(0.4))
                    .filter_map(|code| code.parse().ok())
                    .collect();
                if regions.is_empty() {
                    regions.extend("IN".parse::<Region>().ok());
                }
                Holiday { date, regions }
            })
            .collect();
        ContactPolicy {
            per_number,
            holidays,
        }
    }

    fn set_policy(&mut self, user: UserId) {
        let policy = self.policy();
        let now = self.now;
        self.command(|m| {
            user::decide(
                &m.user(&user)?.user,
                user::UserCommand::SetContactPolicy { policy },
                now,
            )
            .ok()
        });
    }

    /// The leads with `phone` among their numbers in every campaign of
    /// `user`.
    fn leads_with(
        model: &ReadModel,
        user: &UserId,
        phone: &PhoneNumber,
    ) -> Vec<leadline_domain::lead::Lead> {
        let Some(entry) = model.user(user) else {
            return Vec::new();
        };
        entry
            .campaigns
            .iter()
            .filter_map(|c| model.campaign(c))
            .filter_map(|c| c.phones.get(phone))
            .filter_map(|l| model.lead(l).map(|e| e.lead.clone()))
            .collect()
    }

    /// A retry policy; debt-collection campaigns get more attempts, so
    /// that Reg F's cap is reached.
    fn retry(&mut self, debt_collection: bool) -> leadline_domain::RetryPolicy {
        let attempts = if debt_collection {
            self.rng.gen_range(3..12)
        } else {
            self.rng.gen_range(1..4)
        };
        let mut policy = leadline_domain::RetryPolicy::default()
            .with_delay_minutes(self.rng.gen_range(5..120))
            .and_then(|p| p.with_max_attempts(attempts))
            .expect("policy");
        if self.rng.gen_bool(0.3) {
            let delays = BTreeMap::from([
                (LeadStatus::Busy, self.rng.gen_range(1..30)),
                (LeadStatus::NoAnswer, self.rng.gen_range(30..600)),
                (LeadStatus::Voicemail, self.rng.gen_range(60..1440)),
            ]);
            policy = policy
                .with_delay_minutes_by_status(delays)
                .expect("delays by status");
        }
        policy
    }

    fn leads(model: &ReadModel, id: &CampaignId) -> Vec<leadline_domain::lead::Lead> {
        model
            .campaign(id)
            .map(|c| {
                c.leads
                    .iter()
                    .filter_map(|l| model.lead(l).map(|e| e.lead.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn setup(&mut self) {
        let users = self.rng.gen_range(1..4);
        for _ in 0..users {
            let id = UserId::from_u128(self.id());
            let limit = self.rng.gen_range(1..5);
            let now = self.now;
            self.command(|_| {
                user::create(None, id, "user", Some(limit), &format!("k{id}"), now).ok()
            });
            self.users.push(id);
            if self.rng.gen_bool(0.7) {
                self.set_policy(id);
            }
        }
        let campaigns = self.rng.gen_range(2..6);
        for _ in 0..campaigns {
            self.create_campaign();
        }
    }

    /// A new campaign of a random user, with leads, started.
    fn create_campaign(&mut self) {
        {
            let owner = self.users[self.rng.gen_range(0..self.users.len())];
            let id = CampaignId::from_u128(self.id());
            let mut settings = CampaignSettings::new("sim").expect("settings");
            settings.default_region = "IN".parse().ok();
            // Zones on both sides of midnight and one with a DST change
            // during the run (New York, 8 March 2026).
            let zones = [
                "Asia/Kolkata",
                "America/New_York",
                "UTC",
                "Pacific/Auckland",
            ];
            settings.timezone = zones[self.rng.gen_range(0..zones.len())]
                .parse()
                .expect("zone");
            let (start, end) = [
                ("09:00", "18:00"),
                ("22:00", "02:00"),
                ("00:00", "00:00"),
                ("06:30", "21:15"),
            ][self.rng.gen_range(0..4)];
            settings.hours = leadline_domain::DailyHours::new(
                start.parse().expect("t"),
                end.parse().expect("t"),
            );
            if self.rng.gen_bool(0.3) {
                settings.local_hours = Some(leadline_domain::DailyHours::new(
                    "08:00".parse().expect("t"),
                    "21:00".parse().expect("t"),
                ));
            }
            settings.jurisdiction_rules = self.rng.gen_bool(0.8);
            settings.debt_collection = self.rng.gen_bool(0.25);
            settings.retry = self.retry(settings.debt_collection);
            let now = self.now;
            self.command(|_| campaign::create(None, id, owner, settings, now).ok());
            self.campaigns.push(id);
            if self.campaigns.len() == 1 && self.first_list > 0 {
                self.import_many(id, self.first_list);
            }
            self.import(id);
            self.import_contact(owner, id);
            let now = self.now;
            self.command(|m| {
                plans::start(
                    &m.campaign(&id)?.campaign,
                    &m.owner(&m.campaign(&id)?.campaign.owner),
                    &Self::leads(m, &id),
                    now,
                )
                .ok()
            });
        }
    }

    fn import(&mut self, campaign: CampaignId) {
        let count = self.rng.gen_range(1..40);
        let rows: Vec<LeadInput> = (0..count)
            .map(|_| {
                // A small number space: duplicates happen, within a
                // campaign and across the user's campaigns.
                let n: u32 = self.rng.gen_range(0..NUMBERS);
                // Mostly no zone of its own: the number's zones apply.
                let zone = [
                    "",
                    "",
                    "",
                    "Asia/Kolkata",
                    "Europe/London",
                    "America/New_York",
                    "America/Chicago",
                ][self.rng.gen_range(0..7)];
                let alt_phones = match self.rng.gen_range(0..10) {
                    0..=4 => 0,
                    n => n - 4,
                }
                .min(4);
                LeadInput {
                    phone: number(n),
                    name: self.rng.gen_bool(0.5).then(|| format!("Lead {n}")),
                    priority: Some(self.rng.gen_range(-1..3).to_string()),
                    timezone: (!zone.is_empty()).then(|| zone.to_string()),
                    fields: BTreeMap::new(),
                    contact_id: None,
                    alt_phones: (0..alt_phones)
                        .map(|_| number(self.rng.gen_range(0..NUMBERS)))
                        .collect(),
                }
            })
            .collect();
        let ids: Vec<LeadId> = (0..count).map(|_| LeadId::from_u128(self.id())).collect();
        let now = self.now;
        self.command(|m| {
            let entry = m.campaign(&campaign)?;
            let owner = m.user(&entry.campaign.owner)?;
            let mut ids = ids.into_iter();
            plans::import_leads(
                &entry.campaign,
                &entry.phones,
                |p| owner.user.is_dnc(p),
                rows,
                || ids.next().unwrap_or(LeadId::from_u128(0)),
                now,
            )
            .ok()
            .map(|(events, _)| events)
        });
    }

    /// A list of `count` distinct numbers, imported in batches.
    fn import_many(&mut self, campaign: CampaignId, count: usize) {
        for start in (0..count).step_by(10_000) {
            let rows: Vec<LeadInput> = (start..(start + 10_000).min(count))
                .map(|i| LeadInput {
                    phone: format!("98{:08}", i),
                    name: None,
                    priority: None,
                    timezone: None,
                    fields: BTreeMap::new(),
                    contact_id: None,
                    alt_phones: Vec::new(),
                })
                .collect();
            let ids: Vec<LeadId> = rows.iter().map(|_| LeadId::from_u128(self.id())).collect();
            let now = self.now;
            self.command(|m| {
                let entry = m.campaign(&campaign)?;
                let mut ids = ids.into_iter();
                match plans::import_leads(
                    &entry.campaign,
                    &entry.phones,
                    |_| false,
                    rows,
                    || ids.next().unwrap_or(LeadId::from_u128(0)),
                    now,
                ) {
                    Ok((e, _)) => Some(e),
                    Err(e) => panic!("{e}"),
                }
            });
        }
    }

    /// A saved contact of `user`, imported into `campaign`.
    fn import_contact(&mut self, user: UserId, campaign: CampaignId) {
        let contact_id = leadline_domain::ContactId::from_u128(self.id());
        let n: u32 = self.rng.gen_range(0..400);
        let Ok(phone) = PhoneNumber::parse(&format!("98760{:05}", n), "IN".parse().ok()) else {
            return;
        };
        let now = self.now;
        self.command(|m| {
            let entry = m.user(&user)?;
            user::decide(
                &entry.user,
                user::UserCommand::AddContact {
                    contact_id,
                    phone,
                    name: Some("Contact".into()),
                    timezone: None,
                },
                now,
            )
            .ok()
        });
        let lead_id = LeadId::from_u128(self.id());
        self.command(|m| {
            let rows = plans::contacts_as_rows(&m.user(&user)?.user, &[contact_id]).ok()?;
            let entry = m.campaign(&campaign)?;
            plans::import_leads(
                &entry.campaign,
                &entry.phones,
                |_| false,
                rows,
                || lead_id,
                now,
            )
            .ok()
            .map(|(e, _)| e)
        });
        self.contacts.push((user, contact_id));
    }

    /// A random operator action.
    fn operate(&mut self) {
        let campaign = self.campaigns[self.rng.gen_range(0..self.campaigns.len())];
        let now = self.now;
        match self.rng.gen_range(0..15) {
            0 => self.import(campaign),
            1 => self.command(|m| {
                plans::pause(
                    &m.campaign(&campaign)?.campaign,
                    &Self::leads(m, &campaign),
                    None,
                    now,
                )
                .ok()
            }),
            2 | 3 => self.command(|m| {
                plans::resume(
                    &m.campaign(&campaign)?.campaign,
                    &m.owner(&m.campaign(&campaign)?.campaign.owner),
                    &Self::leads(m, &campaign),
                    now,
                )
                .ok()
            }),
            4 if self.rng.gen_bool(0.1) => self.command(|m| {
                plans::cancel(
                    &m.campaign(&campaign)?.campaign,
                    &Self::leads(m, &campaign),
                    None,
                    now,
                )
                .ok()
            }),
            5 => {
                let request = RecycleRequest {
                    statuses: vec![LeadStatus::NoAnswer, LeadStatus::Busy, LeadStatus::Failed],
                    target: LeadStatus::New,
                    reset_dial_count: self.rng.gen_bool(0.5),
                    reason: "sim".into(),
                };
                self.command(|m| {
                    plans::recycle(
                        &m.campaign(&campaign)?.campaign,
                        &Self::leads(m, &campaign),
                        &request,
                        now,
                    )
                    .ok()
                    .map(|(e, _)| e)
                });
                self.command(|m| {
                    plans::start(
                        &m.campaign(&campaign)?.campaign,
                        &m.owner(&m.campaign(&campaign)?.campaign.owner),
                        &Self::leads(m, &campaign),
                        now,
                    )
                    .ok()
                });
            }
            6 => {
                // An opt-out: the number leaves every campaign of the user.
                let user = self.users[self.rng.gen_range(0..self.users.len())];
                let Some(phone) = self.phone() else { return };
                self.command(|m| {
                    let leads = Self::leads_with(m, &user, &phone);
                    plans::add_dnc(&m.user(&user)?.user, &phone, None, &leads, now).ok()
                });
            }
            10 => {
                // A person answered and asked not to be called again.
                let pick = self.rng.gen_range(0..1000usize);
                self.command(|m| {
                    let entry = m.campaign(&campaign)?;
                    let answered: Vec<_> = entry
                        .leads
                        .iter()
                        .filter_map(|l| m.lead(l))
                        .filter(|l| l.lead.status == LeadStatus::Answered)
                        .collect();
                    let lead = &answered.get(pick % answered.len().max(1))?.lead;
                    let number = lead
                        .last_phone_index
                        .and_then(|i| lead.phones().nth(usize::from(i)))
                        .unwrap_or(&lead.phone);
                    let owner = entry.campaign.owner;
                    let leads = Self::leads_with(m, &owner, number);
                    plans::dnc_disposition(
                        &m.user(&owner)?.user,
                        lead,
                        &entry.campaign,
                        &leads,
                        now,
                    )
                    .ok()
                });
            }
            11 => {
                let user = self.users[self.rng.gen_range(0..self.users.len())];
                self.set_policy(user);
            }
            13 if self.campaigns.len() < CAMPAIGNS_MAX && self.rng.gen_bool(0.2) => {
                self.create_campaign()
            }
            12 if self.rng.gen_bool(0.3) => {
                // A number comes off the do-not-call list.
                let user = self.users[self.rng.gen_range(0..self.users.len())];
                let pick = self.rng.gen_range(0..1000usize);
                self.command(|m| {
                    let entry = m.user(&user)?;
                    let phone = entry
                        .user
                        .dnc
                        .iter()
                        .nth(pick % entry.user.dnc.len().max(1))?;
                    user::decide(
                        &entry.user,
                        user::UserCommand::RemoveDnc {
                            phone: phone.clone(),
                        },
                        now,
                    )
                    .ok()
                });
            }
            7 => {
                let pick = self.rng.gen_range(0..1000usize);
                self.command(|m| {
                    let entry = m.campaign(&campaign)?;
                    let answered: Vec<_> = entry
                        .leads
                        .iter()
                        .filter_map(|l| m.lead(l))
                        .filter(|l| l.lead.status == LeadStatus::Answered)
                        .collect();
                    let lead = answered.get(pick % answered.len().max(1))?;
                    let disposition = DispositionRequest::from_status(
                        LeadStatus::Callback,
                        Some(now + Duration::hours(1)),
                    )
                    .ok()?;
                    leadline_domain::lead::decide(
                        &lead.lead,
                        &entry.campaign,
                        LeadCommand::Dispose {
                            disposition,
                            note: None,
                        },
                        now,
                    )
                    .ok()
                });
            }
            9 if !self.contacts.is_empty() => {
                let (user, contact) = self
                    .contacts
                    .remove(self.rng.gen_range(0..self.contacts.len()));
                self.command(|m| {
                    let entry = m.user(&user)?;
                    let leads: Vec<_> = entry
                        .campaigns
                        .iter()
                        .filter_map(|c| m.campaign(c))
                        .flat_map(|c| {
                            c.leads
                                .iter()
                                .filter_map(|l| m.lead(l))
                                .filter(|l| l.lead.contact_id == Some(contact))
                                .map(|l| (l.lead.clone(), c.campaign.clone()))
                                .collect::<Vec<_>>()
                        })
                        .collect();
                    let pairs: Vec<_> = leads.iter().map(|(l, c)| (l, c)).collect();
                    plans::delete_contact(&entry.user, contact, &pairs, now).ok()
                });
            }
            8 => {
                let mut settings = match self.projections.read().campaign(&campaign) {
                    Some(c) => c.campaign.settings.clone(),
                    None => return,
                };
                settings.retry = self.retry(settings.debt_collection);
                if self.rng.gen_bool(0.2) {
                    settings.jurisdiction_rules = !settings.jurisdiction_rules;
                }
                self.command(|m| {
                    campaign::decide(
                        &m.campaign(&campaign)?.campaign,
                        campaign::CampaignCommand::Update {
                            settings: Box::new(settings),
                        },
                        now,
                    )
                    .ok()
                });
            }
            _ => {}
        }
    }

    fn crash(&mut self) {
        self.projections.stop();
        self.projections = Projections::open(self.log.clone()).expect("projections");
        self.projections.follow().expect("follow");
        self.engine = Engine::new(
            CommandRunner::new(self.log.clone(), self.projections.clone()),
            self.config.clone(),
            placer(
                self.seed.wrapping_add(self.now.timestamp() as u64),
                self.placed.clone(),
            ),
        );
    }

    /// Folds new events into the shadow model, checking every dial against
    /// the state just before it.
    fn check_new_events(&mut self) {
        let mut records = Vec::new();
        self.log
            .scan(self.shadow.position(), u64::MAX, &mut |view| {
                records.push((
                    view.position(),
                    view.stream_version(),
                    codec::decode(&view).expect("decode"),
                ));
                std::ops::ControlFlow::Continue(())
            })
            .expect("scan");
        for (position, version, event) in records {
            if let Event::LeadDialed(dialed) = &event {
                let lead = self.shadow.lead(&dialed.lead_id).map(|e| e.lead.clone());
                let campaign = self
                    .shadow
                    .campaign(&dialed.campaign_id)
                    .map(|c| c.campaign.clone());
                let (Some(lead), Some(campaign)) = (lead, campaign) else {
                    self.fail("a dial of an unknown lead")
                };
                let verdict = eligibility(
                    &lead,
                    &campaign,
                    &self.shadow.owner(&campaign.owner),
                    dialed.at,
                );
                if !verdict.is_eligible() {
                    self.fail(&format!("lead {} was dialed at {} while not eligible: {:?} (window, local hours, start date, retry delay, attempts, status)", lead.id, dialed.at, verdict));
                }
                let listed = self
                    .shadow
                    .user(&campaign.owner)
                    .map(|u| u.user.is_dnc(&dialed.phone))
                    .unwrap_or(false);
                if listed {
                    self.fail(&format!(
                        "lead {} was dialed on {}, on the do-not-call list",
                        lead.id, dialed.phone
                    ));
                }
                let asked = self
                    .placed
                    .lock()
                    .expect("placed")
                    .get(&dialed.call_id)
                    .cloned();
                if let Some(asked) = asked.filter(|asked| *asked != dialed.phone) {
                    self.fail(&format!(
                        "position {position}: lead {} was dialed on {} but the provider was asked to call {asked}",
                        lead.id, dialed.phone
                    ));
                }
            }
            if let Err(breach) = self.judge.observe(position, &event) {
                let Event::LeadDialed(dialed) = &event else {
                    unreachable!("only dials are judged")
                };
                self.fail(&format!(
                    "position {position}: lead {} of campaign {} dialed on {} at {}: rule \"{}\": {}",
                    dialed.lead_id, dialed.campaign_id, dialed.phone, dialed.at, breach.rule, breach.detail
                ));
            }
            self.shadow.apply(position, version, &event);
        }
    }

    /// Limits after every step; counters against a recount when `recount`
    /// (every tenth step: a recount walks every lead).
    fn check_limits(&self, recount: bool) {
        let model = self.projections.read();
        let mut per_user: HashMap<UserId, u32> = HashMap::new();
        let mut leads = std::collections::HashSet::new();
        for call in model.in_flight_calls() {
            *per_user.entry(call.user_id).or_default() += 1;
            if !leads.insert(call.lead_id) {
                self.fail(&format!("lead {} has two calls in flight", call.lead_id));
            }
        }
        for (user, n) in &per_user {
            let limit = model
                .user(user)
                .map_or(0, |u| u.user.concurrent_calls_limit);
            if *n > limit {
                self.fail(&format!(
                    "user {user} has {n} calls in flight, limit {limit}"
                ));
            }
        }
        let total: u32 = per_user.values().sum();
        if total > self.config.system_concurrent_calls {
            self.fail(&format!(
                "{total} calls in flight, system limit {}",
                self.config.system_concurrent_calls
            ));
        }
        for entry in model.campaigns().filter(|_| recount) {
            if model.recount(&entry.campaign.id).as_ref() != Some(&entry.counters) {
                self.fail("counters differ from a recount");
            }
            if entry.counters.by_status().values().sum::<u64>() != entry.counters.total {
                self.fail("by_status does not sum to total");
            }
        }
    }

    fn check_replay(&self) {
        let live = self.projections.read().clone();
        let fresh = fold_all(&*self.log).expect("replay");
        if fresh.position() == live.position() && fresh != live {
            self.fail("the read models differ from a fresh replay of the log");
        }
    }

    fn run(&mut self) {
        self.setup();
        for step_number in 0..self.steps {
            let step = self.engine.step(self.now).expect("step");
            self.check_new_events();
            self.check_limits(step_number % 10 == 0);
            if step_number % 50 == 49 {
                self.check_replay();
            }
            match self.rng.gen_range(0..100) {
                0..=9 => self.operate(),
                10 => self.crash(),
                _ => {}
            }
            if step.dialed > 0 || step.conflicts > 0 {
                continue;
            }
            // Now and then a quiet spell: hours pass at once, so that the
            // run crosses days, calling windows, holidays and the windows
            // of caps and holds.
            if self.rng.gen_bool(QUIET_SPELLS) {
                self.now += Duration::minutes(self.rng.gen_range(30..480));
                continue;
            }
            let jump = Duration::seconds(self.rng.gen_range(1..900));
            self.now = match step.next_wake {
                Some(at) if at > self.now => at.min(self.now + jump),
                _ => self.now + jump,
            };
        }
        // Wind down: no new dials, time passes: every call must end.
        for campaign in self.campaigns.clone() {
            let now = self.now;
            self.command(|m| {
                plans::pause(
                    &m.campaign(&campaign)?.campaign,
                    &Self::leads(m, &campaign),
                    None,
                    now,
                )
                .ok()
            });
        }
        for _ in 0..200 {
            let step = self.engine.step(self.now).expect("step");
            self.check_new_events();
            self.check_limits(false);
            if self.projections.read().system_in_flight() == 0 {
                break;
            }
            self.now = step
                .next_wake
                .filter(|at| *at > self.now)
                .unwrap_or(self.now + Duration::minutes(1));
        }
        if self.projections.read().system_in_flight() != 0 {
            self.fail("calls still in flight after the stale timeout: a slot stayed taken");
        }
        self.check_replay();
        let report = self.log.verify().expect("verify");
        if !report.ok {
            self.fail(&format!("the log does not verify: {:?}", report.problems));
        }
        let paused = self
            .projections
            .read()
            .campaigns()
            .filter(|c| c.campaign.status == CampaignStatus::Active)
            .count();
        assert_eq!(paused, 0);
        let dials: u64 = self
            .projections
            .read()
            .campaigns()
            .map(|c| c.counters.dials)
            .sum();
        if dials != self.judge.dials {
            self.fail(&format!(
                "the counters say {dials} dials, the log has {}",
                self.judge.dials
            ));
        }
        if std::env::var_os("LEADLINE_SIM_STATS").is_some() {
            let model = self.projections.read();
            let leads: u64 = model.campaigns().map(|c| c.counters.total).sum();
            eprintln!(
                "seed {}: {} events, {leads} leads, {dials} dials ({} under a jurisdiction, {} of capped numbers, {} filling a cap), {:.1} days",
                self.seed,
                self.log.last_position(),
                self.judge.dials_under_jurisdiction,
                self.judge.capped_numbers_dialed,
                self.judge.caps_filled,
                (self.now - self.start).num_minutes() as f64 / 1440.0
            );
        }
        if self.first_list == 0 && dials < DIALS_MIN {
            self.fail(&format!(
                "only {dials} dials in the run, at least {DIALS_MIN} expected"
            ));
        }
    }
}

fn seeds() -> Vec<u64> {
    if let Ok(seed) = std::env::var("LEADLINE_SIM_SEED") {
        return vec![seed.parse().expect("LEADLINE_SIM_SEED is a number")];
    }
    if let Ok(range) = std::env::var("LEADLINE_SIM_SEEDS") {
        let (a, b) = range.split_once("..").expect("LEADLINE_SIM_SEEDS is A..B");
        return (a.parse().expect("A")..b.parse().expect("B")).collect();
    }
    CI_SEEDS.collect()
}

/// The run as a sequence of (stream, type), ids of calls and events aside
/// (those are random by design; every decision is the seed's).
fn shape(sim: &Sim) -> Vec<(String, String)> {
    sim.log
        .read_all(0, usize::MAX)
        .expect("read")
        .into_iter()
        .map(|e| (e.stream, e.event_type))
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let mut first = Sim::new(11);
    first.run();
    let mut second = Sim::new(11);
    second.run();
    assert_eq!(shape(&first), shape(&second));
}

#[test]
fn a_100k_lead_list_keeps_every_invariant() {
    let mut sim = Sim::new(99);
    sim.first_list = 100_000;
    sim.steps = 300;
    sim.run();
    let total: u64 = sim
        .projections
        .read()
        .campaigns()
        .map(|c| c.counters.total)
        .max()
        .unwrap_or(0);
    assert!(total >= 100_000, "{total}");
}

#[test]
fn the_engine_keeps_every_invariant_under_faults() {
    for seed in seeds() {
        Sim::new(seed).run();
    }
}
