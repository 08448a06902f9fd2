//! The dialer's stories from the field, on the simulator with a virtual
//! clock: the real engine, log and read models, days of calls in seconds.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use leadline::dialer::{DialerConfig, Engine};
use leadline::write::record::{self, Cause};
use leadline::write::{expected_version, CommandRunner};
use leadline_domain::campaign::{self, CampaignSettings};
use leadline_domain::plans::{self, LeadInput};
use leadline_domain::{user, Actor, CampaignId, Event, LeadId, UserId};
use leadline_projections::{Projections, ReadModel};
use leadline_storage::{EventLog, LogLimits, MemoryLog};

struct World {
    log: Arc<dyn EventLog>,
    projections: Arc<Projections>,
    engine: Engine,
    now: DateTime<Utc>,
}

fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T04:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

impl World {
    fn new(config: DialerConfig) -> World {
        let log: Arc<dyn EventLog> = Arc::new(MemoryLog::new(
            LogLimits::default(),
            leadline_storage::system_clock(),
        ));
        let projections = Projections::open(log.clone()).expect("projections");
        projections.follow().expect("follow");
        let engine =
            Engine::simulated(CommandRunner::new(log.clone(), projections.clone()), config);
        World {
            log,
            projections,
            engine,
            now: start_time(),
        }
    }

    /// Decides on the read models and appends, as the API does.
    fn command(&self, decide: impl FnOnce(&ReadModel) -> Vec<Event>) {
        let appends = {
            let model = self.projections.read();
            let events = decide(&model);
            record::appends(&events, &Cause::new(Actor::System("test".into())), |s| {
                expected_version(&model, s)
            })
            .expect("encode")
        };
        let position = self
            .log
            .submit(appends)
            .wait()
            .expect("append")
            .last_position();
        assert!(self
            .projections
            .wait_for(position, std::time::Duration::from_secs(10)));
    }

    fn user(&self, id: u128, limit: u32) -> UserId {
        let user_id = UserId::from_u128(id);
        let now = self.now;
        self.command(|_| {
            user::create(
                None,
                user_id,
                "user",
                Some(limit),
                &format!("key-{id}"),
                now,
            )
            .expect("user")
        });
        user_id
    }

    fn campaign(
        &self,
        id: u128,
        owner: UserId,
        phones: &[String],
        max_attempts: u32,
    ) -> CampaignId {
        self.campaign_with(id, owner, phones, max_attempts, |_| {})
    }

    fn campaign_with(
        &self,
        id: u128,
        owner: UserId,
        phones: &[String],
        max_attempts: u32,
        adjust: impl FnOnce(&mut CampaignSettings),
    ) -> CampaignId {
        let campaign_id = CampaignId::from_u128(id);
        let now = self.now;
        let mut settings = CampaignSettings::new("campaign").expect("settings");
        settings.default_region = "IN".parse().ok();
        settings.retry = leadline_domain::RetryPolicy::default()
            .with_max_attempts(max_attempts)
            .expect("policy");
        // These scenarios test the campaign's own window, retries and
        // limits at any hour: the jurisdiction rules are off unless a
        // scenario turns them on.
        settings.jurisdiction_rules = false;
        adjust(&mut settings);
        self.command(|_| {
            campaign::create(None, campaign_id, owner, settings, now).expect("campaign")
        });
        let rows: Vec<LeadInput> = phones
            .iter()
            .map(|p| {
                // `main|other|…`: a lead with several numbers.
                let mut numbers = p.split('|');
                let phone = numbers.next().unwrap_or_default();
                let mut row = lead_row(phone, None);
                row.alt_phones = numbers.map(str::to_owned).collect();
                row
            })
            .collect();
        self.import(campaign_id, rows);
        campaign_id
    }

    /// Imports leads into a campaign, 5,000 to an append.
    fn import(&self, campaign_id: CampaignId, mut rows: Vec<LeadInput>) {
        let now = self.now;
        let mut chunk_index = 0u128;
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(5000));
            let chunk = std::mem::replace(&mut rows, rest);
            let mut n = 0u128;
            self.command(|model| {
                let entry = model.campaign(&campaign_id).expect("campaign");
                plans::import_leads(
                    &entry.campaign,
                    &entry.phones,
                    |_| false,
                    chunk,
                    || {
                        n += 1;
                        LeadId::from_u128(
                            (campaign_id.as_uuid().as_u128() << 64) | (chunk_index << 32) | n,
                        )
                    },
                    now,
                )
                .expect("import")
                .0
            });
            chunk_index += 1;
        }
    }

    fn leads(model: &ReadModel, id: &CampaignId) -> Vec<leadline_domain::lead::Lead> {
        let entry = model.campaign(id).expect("campaign");
        entry
            .leads
            .iter()
            .filter_map(|l| model.lead(l).map(|e| e.lead.clone()))
            .collect()
    }

    fn start(&self, id: CampaignId) {
        let now = self.now;
        self.command(|m| {
            plans::start(
                &m.campaign(&id).expect("c").campaign,
                &m.owner(&m.campaign(&id).expect("c").campaign.owner),
                &Self::leads(m, &id),
                now,
            )
            .expect("start")
        });
    }

    fn pause(&self, id: CampaignId) {
        let now = self.now;
        self.command(|m| {
            plans::pause(
                &m.campaign(&id).expect("c").campaign,
                &Self::leads(m, &id),
                None,
                now,
            )
            .expect("pause")
        });
    }

    fn resume(&self, id: CampaignId) {
        let now = self.now;
        self.command(|m| {
            plans::resume(
                &m.campaign(&id).expect("c").campaign,
                &m.owner(&m.campaign(&id).expect("c").campaign.owner),
                &Self::leads(m, &id),
                now,
            )
            .expect("resume")
        });
    }

    /// Drops the dialer and the read models, as a crash would, and starts
    /// them again from the log.
    fn restart(&mut self, config: DialerConfig) {
        self.projections.stop();
        self.projections = Projections::open(self.log.clone()).expect("projections");
        self.projections.follow().expect("follow");
        self.engine = Engine::simulated(
            CommandRunner::new(self.log.clone(), self.projections.clone()),
            config,
        );
    }

    /// Every call of a campaign, in dial order.
    fn calls(&self, campaign: &CampaignId) -> Vec<leadline_projections::CallRecord> {
        let model = self.projections.read();
        model
            .campaign(campaign)
            .expect("campaign")
            .calls
            .iter()
            .filter_map(|id| model.call(id).cloned())
            .collect()
    }

    /// One dialer step at the current virtual time.
    fn step(&mut self) -> leadline::dialer::Step {
        self.engine.step(self.now).expect("step")
    }

    /// Runs steps, moving the clock to each next wake, until `until` or
    /// until `stop` says so.
    fn run(&mut self, until: DateTime<Utc>, mut stop: impl FnMut(&World) -> bool) {
        while self.now <= until {
            let step = self.step();
            self.check_limits();
            if stop(self) {
                return;
            }
            if step.dialed > 0 || step.conflicts > 0 || step.reported > 0 {
                continue;
            }
            match step.next_wake {
                Some(at) if at > self.now => self.now = at.min(until + Duration::milliseconds(1)),
                _ => self.now += Duration::seconds(1),
            }
        }
    }

    /// Calls in flight never exceed a user's limit or the system's.
    fn check_limits(&self) {
        let model = self.projections.read();
        let mut per_user: HashMap<UserId, u32> = HashMap::new();
        for call in model.in_flight_calls() {
            *per_user.entry(call.user_id).or_default() += 1;
        }
        for (user, n) in &per_user {
            let limit = model.user(user).expect("user").user.concurrent_calls_limit;
            assert!(
                *n <= limit,
                "user {user} has {n} calls in flight, limit {limit}"
            );
        }
    }

    fn dials_of(&self, lead: &LeadId) -> usize {
        self.projections
            .read()
            .lead(lead)
            .map_or(0, |l| l.lead.calls.len())
    }
}

/// An import row: a number and, when given, the lead's time zone.
fn lead_row(phone: &str, timezone: Option<&str>) -> LeadInput {
    LeadInput {
        phone: phone.to_owned(),
        name: None,
        priority: None,
        timezone: timezone.map(str::to_owned),
        fields: BTreeMap::new(),
        contact_id: None,
        alt_phones: Vec::new(),
    }
}

fn answered_numbers(count: usize, base: u64) -> Vec<String> {
    // Last digits 0, 6, 7, 8, 9 are answered on the simulator.
    (0..count as u64)
        .map(|i| {
            let last = [0, 6, 7, 8, 9][(i % 5) as usize];
            format!("9{:08}{last}", base + i)
        })
        .collect()
}

#[test]
fn pause_while_the_first_five_ring_stops_every_new_dial() {
    let mut world = World::new(DialerConfig {
        sim_call_ms: 3000,
        ..DialerConfig::default()
    });
    let user = world.user(1, 5);
    let campaign = world.campaign(2, user, &answered_numbers(30, 1000), 3);
    world.start(campaign);
    let step = world.step();
    assert_eq!(step.dialed, 5, "five calls start at once");
    // Pause while they ring.
    world.now += Duration::seconds(1);
    world.pause(campaign);
    world.run(start_time() + Duration::hours(1), |_| false);
    let model = world.projections.read();
    let entry = model.campaign(&campaign).expect("campaign");
    assert_eq!(
        entry.counters.dials, 5,
        "exactly 5 calls, no new dial after the pause"
    );
    assert_eq!(entry.counters.in_flight, 0, "the 5 calls finished");
    assert_eq!(entry.counters.answered, 5, "their results were recorded");
    assert_eq!(entry.counters.pending, 25, "25 never dialed");
    assert_eq!(
        entry.campaign.status,
        leadline_domain::CampaignStatus::Paused
    );
}

#[test]
fn resume_dials_each_remaining_lead_exactly_once() {
    let mut world = World::new(DialerConfig {
        sim_call_ms: 2000,
        ..DialerConfig::default()
    });
    let user = world.user(1, 10);
    let phones = answered_numbers(2081, 5000);
    let campaign = world.campaign(2, user, &phones, 3);
    world.start(campaign);
    world.run(start_time() + Duration::hours(2), |w| {
        w.projections
            .read()
            .campaign(&campaign)
            .is_some_and(|c| c.counters.called >= 171)
    });
    world.pause(campaign);
    world.run(world.now + Duration::minutes(5), |_| false);
    let called_before: Vec<LeadId> = {
        let model = world.projections.read();
        let entry = model.campaign(&campaign).expect("campaign");
        assert!(entry.counters.called >= 171);
        assert_eq!(entry.counters.in_flight, 0);
        entry
            .leads
            .iter()
            .copied()
            .filter(|l| model.lead(l).is_some_and(|e| !e.lead.calls.is_empty()))
            .collect()
    };
    world.resume(campaign);
    world.run(world.now + Duration::days(1), |w| {
        w.projections
            .read()
            .campaign(&campaign)
            .is_some_and(|c| c.campaign.status == leadline_domain::CampaignStatus::Completed)
    });
    let model = world.projections.read();
    let entry = model.campaign(&campaign).expect("campaign");
    assert_eq!(
        entry.campaign.status,
        leadline_domain::CampaignStatus::Completed,
        "it completes by itself"
    );
    assert_eq!(entry.counters.dials, 2081, "every lead dialed once in all");
    drop(model);
    for lead in &called_before {
        assert_eq!(
            world.dials_of(lead),
            1,
            "a lead called before the pause is not called again"
        );
    }
    let model = world.projections.read();
    let after = entry_leads(&model, &campaign)
        .into_iter()
        .filter(|l| !called_before.contains(l))
        .count();
    assert_eq!(after, 2081 - called_before.len());
    for lead in entry_leads(&model, &campaign) {
        assert_eq!(model.lead(&lead).expect("lead").lead.calls.len(), 1);
    }
}

fn entry_leads(model: &ReadModel, campaign: &CampaignId) -> Vec<LeadId> {
    model.campaign(campaign).expect("campaign").leads.clone()
}

#[test]
fn two_users_share_the_system_limit_and_progress_together() {
    let mut world = World::new(DialerConfig {
        sim_call_ms: 1500,
        system_concurrent_calls: 4,
        ..DialerConfig::default()
    });
    let asha = world.user(1, 2);
    let ben = world.user(2, 3);
    let a = world.campaign(10, asha, &answered_numbers(40, 1000), 3);
    let b = world.campaign(20, ben, &answered_numbers(40, 9000), 3);
    world.start(a);
    world.start(b);
    world.run(start_time() + Duration::hours(1), |w| {
        let m = w.projections.read();
        [a, b].iter().all(|c| {
            m.campaign(c)
                .is_some_and(|e| e.campaign.status == leadline_domain::CampaignStatus::Completed)
        })
    });
    // From the call log's times: at no moment more than the limits.
    let model = world.projections.read();
    let calls: Vec<_> = [a, b]
        .iter()
        .flat_map(|c| model.campaign(c).expect("campaign").calls.clone())
        .filter_map(|id| model.call(&id).cloned())
        .collect();
    assert_eq!(calls.len(), 80);
    let mut moments: Vec<DateTime<Utc>> = calls.iter().map(|c| c.started_at).collect();
    moments.sort();
    for moment in moments {
        let live = |user: UserId| {
            calls
                .iter()
                .filter(|c| {
                    c.user_id == user
                        && c.started_at <= moment
                        && c.ended_at.is_some_and(|e| e > moment)
                })
                .count()
        };
        let (x, y) = (live(asha), live(ben));
        assert!(
            x <= 2 && y <= 3 && x + y <= 4,
            "at {moment}: {x} + {y} calls"
        );
    }
    // Both progress interleaved: each user's share of the first 20 dials.
    let mut first: Vec<_> = calls.iter().map(|c| (c.started_at, c.user_id)).collect();
    first.sort();
    let asha_early = first.iter().take(20).filter(|(_, u)| *u == asha).count();
    assert!(
        (5..=15).contains(&asha_early),
        "interleaved: {asha_early} of the first 20 dials are Asha's"
    );
}

#[test]
fn a_call_that_never_reports_back_is_reclaimed_and_its_slot_freed() {
    // The simulator reports after a day; the stale timeout is 10 minutes.
    let mut world = World::new(DialerConfig {
        sim_call_ms: 86_400_000,
        stale_call_ms: 600_000,
        ..DialerConfig::default()
    });
    let user = world.user(1, 1);
    let campaign = world.campaign(2, user, &answered_numbers(2, 100), 3);
    world.start(campaign);
    assert_eq!(world.step().dialed, 1);
    world.run(start_time() + Duration::minutes(25), |_| false);
    let model = world.projections.read();
    let entry = model.campaign(&campaign).expect("campaign");
    assert_eq!(
        entry.counters.dials, 2,
        "the slot was freed and the next lead dialed"
    );
    let first = model.call(&entry.calls[0]).expect("call");
    assert_eq!(first.error.as_deref(), Some("stale"));
    assert!(first.ended_at.is_some());
}

fn completed(world: &World, campaign: &CampaignId) -> bool {
    world
        .projections
        .read()
        .campaign(campaign)
        .is_some_and(|c| c.campaign.status == leadline_domain::CampaignStatus::Completed)
}

#[test]
fn a_window_across_midnight_is_respected_to_the_minute() {
    let mut world = World::new(DialerConfig {
        sim_call_ms: 60_000,
        ..DialerConfig::default()
    });
    let user = world.user(1, 2);
    let kolkata: chrono_tz::Tz = "Asia/Kolkata".parse().expect("zone");
    let campaign = world.campaign_with(2, user, &answered_numbers(200, 100), 3, |s| {
        s.timezone = "Asia/Kolkata".parse().expect("zone");
        s.hours = leadline_domain::DailyHours::new(
            "22:00".parse().expect("time"),
            "02:00".parse().expect("time"),
        );
    });
    // 09:30 in Kolkata: the window is closed.
    world.start(campaign);
    assert_eq!(world.step().dialed, 0, "no dial outside the window");
    world.run(start_time() + Duration::days(3), |w| {
        completed(w, &campaign)
    });
    let calls = world.calls(&campaign);
    assert_eq!(calls.len(), 200);
    for call in &calls {
        let local = call.started_at.with_timezone(&kolkata).time();
        let inside = local >= chrono::NaiveTime::from_hms_opt(22, 0, 0).expect("time")
            || local < chrono::NaiveTime::from_hms_opt(2, 0, 0).expect("time");
        assert!(inside, "a call started at {local} in Kolkata");
    }
    // Two nights were needed: 200 one-minute calls, two at a time, four hours a night.
    let first = calls
        .first()
        .expect("calls")
        .started_at
        .with_timezone(&kolkata);
    assert_eq!(
        first.time(),
        chrono::NaiveTime::from_hms_opt(22, 0, 0).expect("time"),
        "dialing starts the moment the window opens"
    );
}

#[test]
fn a_future_start_date_waits() {
    let mut world = World::new(DialerConfig::default());
    let user = world.user(1, 2);
    let campaign = world.campaign_with(2, user, &answered_numbers(3, 100), 3, |s| {
        s.timezone = "Asia/Kolkata".parse().expect("zone");
        s.start_date = leadline_domain::time::parse_date("2026-11-25").ok();
    });
    world.start(campaign);
    world.run(start_time() + Duration::days(4), |w| {
        completed(w, &campaign)
    });
    let opens = DateTime::parse_from_rfc3339("2026-11-24T18:30:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let calls = world.calls(&campaign);
    assert_eq!(calls.len(), 3);
    assert!(
        calls.iter().all(|c| c.started_at >= opens),
        "no dial before the start date"
    );
    assert_eq!(
        calls[0].started_at, opens,
        "dialing starts when the date comes"
    );
}

#[test]
fn a_contact_deleted_while_queued_is_never_dialed() {
    let mut world = World::new(DialerConfig::default());
    let user_id = world.user(1, 2);
    let contact_id = leadline_domain::ContactId::from_u128(7);
    let now = world.now;
    world.command(|m| {
        let user = &m.user(&user_id).expect("user").user;
        let phone = leadline_domain::PhoneNumber::parse("+919876543210", None).expect("phone");
        user::decide(
            user,
            user::UserCommand::AddContact {
                contact_id,
                phone,
                name: Some("Sam".into()),
                timezone: None,
            },
            now,
        )
        .expect("contact")
    });
    let campaign = world.campaign(2, user_id, &[], 3);
    world.command(|m| {
        let user = &m.user(&user_id).expect("user").user;
        let entry = m.campaign(&campaign).expect("campaign");
        let rows = plans::contacts_as_rows(user, &[contact_id]).expect("rows");
        plans::import_leads(
            &entry.campaign,
            &entry.phones,
            |_| false,
            rows,
            || LeadId::from_u128(99),
            now,
        )
        .expect("import")
        .0
    });
    world.start(campaign);
    world.command(|m| {
        let user = &m.user(&user_id).expect("user").user;
        let entry = m.campaign(&campaign).expect("campaign");
        let leads = World::leads(m, &campaign);
        let pairs: Vec<_> = leads.iter().map(|l| (l, &entry.campaign)).collect();
        plans::delete_contact(user, contact_id, &pairs, now).expect("delete")
    });
    world.run(start_time() + Duration::hours(1), |_| false);
    let model = world.projections.read();
    let entry = model.campaign(&campaign).expect("campaign");
    assert_eq!(
        entry.counters.dials, 0,
        "the deleted contact's lead was not dialed"
    );
    assert_eq!(entry.counters.cancelled, 1);
    assert!(entry.hopper.is_empty(), "it left the hopper");
}

#[test]
fn a_restart_mid_campaign_dials_nobody_twice_and_keeps_the_limits() {
    let config = DialerConfig {
        sim_call_ms: 30_000,
        ..DialerConfig::default()
    };
    let mut world = World::new(config.clone());
    let user = world.user(1, 4);
    let campaign = world.campaign(2, user, &answered_numbers(60, 100), 3);
    world.start(campaign);
    world.run(start_time() + Duration::minutes(3), |_| false);
    let in_flight = world
        .projections
        .read()
        .campaign(&campaign)
        .expect("campaign")
        .counters
        .in_flight;
    assert!(in_flight > 0, "calls are ringing when the process dies");
    world.restart(config);
    world.run(start_time() + Duration::hours(2), |w| {
        completed(w, &campaign)
    });
    assert!(completed(&world, &campaign));
    let calls = world.calls(&campaign);
    assert_eq!(
        calls.len(),
        60,
        "every lead dialed exactly once across the restart"
    );
    assert!(
        calls.iter().all(|c| c.ended_at.is_some()),
        "every call ended"
    );
    let mut leads: Vec<LeadId> = calls.iter().map(|c| c.lead_id).collect();
    leads.sort();
    leads.dedup();
    assert_eq!(leads.len(), 60);
}

#[test]
fn a_dropped_call_is_retried_as_soon_as_the_campaign_retries_anything() {
    // Given a campaign that retries at once, leaves the dropped-call delay
    // unset, and whose numbers all drop (last digit 4 on the simulator)
    let mut world = World::new(DialerConfig {
        sim_call_ms: 10_000,
        ..DialerConfig::default()
    });
    let user = world.user(1, 2);
    let dropped: Vec<String> = (0..3_u64).map(|i| format!("9{:08}4", 100 + i)).collect();
    let campaign = world.campaign_with(2, user, &dropped, 3, |s| {
        s.retry = s.retry.clone().with_delay_minutes(0).expect("policy");
    });

    // When it runs
    world.start(campaign);
    world.run(start_time() + Duration::hours(1), |w| {
        completed(w, &campaign)
    });

    // Then every lead used its three attempts, each redial came without
    // the 5-minute wait, and the campaign was done in well under the two
    // waits that wait would have cost each lead
    assert!(completed(&world, &campaign), "it completes by itself");
    let calls = world.calls(&campaign);
    assert_eq!(calls.len(), 9, "three dials of each of the three leads");
    assert!(calls
        .iter()
        .all(|c| c.status == leadline_projections::CallStatus::Dropped));
    for lead in calls.iter().map(|c| c.lead_id) {
        let mut dials: Vec<_> = calls.iter().filter(|c| c.lead_id == lead).collect();
        dials.sort_by_key(|c| c.attempt);
        for pair in dials.windows(2) {
            let ended = pair[0].ended_at.expect("the dropped call ended");
            let wait = pair[1].started_at - ended;
            assert!(
                wait < Duration::minutes(1),
                "attempt {} of {lead} came {wait} after the drop",
                pair[1].attempt
            );
        }
    }
    let last_end = calls.iter().filter_map(|c| c.ended_at).max();
    assert!(
        last_end.is_some_and(|end| end < start_time() + Duration::minutes(5)),
        "the last call ended at {last_end:?}"
    );
}

#[test]
fn two_campaigns_calling_the_same_florida_numbers_share_three_calls_a_day() {
    // Given one user with two campaigns calling the same three Florida
    // numbers, every call ringing out (last digit 1 is no answer on the
    // simulator), retries every 5 minutes, the jurisdiction rules on, and
    // the clock at 09:00 in Miami
    let mut world = World::new(DialerConfig {
        sim_call_ms: 20_000,
        ..DialerConfig::default()
    });
    let user = world.user(1, 6);
    world.now = DateTime::parse_from_rfc3339("2026-11-23T14:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let numbers: Vec<String> = (0..3).map(|i| format!("+1305555{:03}1", i)).collect();
    let rules = |s: &mut CampaignSettings| {
        s.jurisdiction_rules = true;
        s.retry = s
            .retry
            .clone()
            .with_delay_minutes(5)
            .and_then(|p| p.with_max_attempts(20))
            .expect("policy");
    };
    let first = world.campaign_with(2, user, &numbers, 20, rules);
    let second = world.campaign_with(3, user, &numbers, 20, rules);
    let begin = world.now;

    // When both run for two days
    world.start(first);
    world.start(second);
    world.run(begin + Duration::hours(48), |_| false);

    // Then no number got a fourth call within any 24 hours, counted over
    // both campaigns; every call was placed 08:00–20:00 in Miami; and the
    // fourth call of each number came as soon as the window allowed: 24
    // hours after its first
    let mut calls = world.calls(&first);
    calls.extend(world.calls(&second));
    let miami: chrono_tz::Tz = "America/New_York".parse().expect("zone");
    for number in &numbers {
        let mut dials: Vec<DateTime<Utc>> = calls
            .iter()
            .filter(|c| c.phone.as_str() == number)
            .map(|c| c.started_at)
            .collect();
        dials.sort();
        assert!(
            dials.len() >= 4,
            "{number} was dialed {} times",
            dials.len()
        );
        for (i, at) in dials.iter().enumerate() {
            let in_day = dials[..=i]
                .iter()
                .filter(|d| **d > *at - Duration::hours(24))
                .count();
            assert!(
                in_day <= 3,
                "{number}: call {} at {at} is the {in_day}th in 24 h",
                i + 1
            );
            let local = at.with_timezone(&miami).time();
            assert!(
                local >= chrono::NaiveTime::from_hms_opt(8, 0, 0).expect("time")
                    && local < chrono::NaiveTime::from_hms_opt(20, 0, 0).expect("time"),
                "{number} called at {local} in Miami"
            );
        }
        let wait = dials[3] - dials[0];
        assert!(
            wait >= Duration::hours(24) && wait <= Duration::hours(24) + Duration::seconds(1),
            "{number}: the fourth call came {wait} after the first"
        );
        // Both campaigns dialed it: the cap is the user's, not a campaign's.
        let campaigns: std::collections::HashSet<_> = calls
            .iter()
            .filter(|c| c.phone.as_str() == number)
            .map(|c| c.campaign_id)
            .collect();
        assert_eq!(campaigns.len(), 2, "{number}");
    }
}

/// Tried as a user would: a campaign of US, Florida, Indian and UK
/// numbers, some leads with several numbers, under a contact policy with
/// a cap and a UK holiday, run on the simulator for two days. Every call
/// is checked against the rules by hand, and the run is printed
/// (`cargo test -p leadline-tests --test dialer a_mixed_campaign -- --nocapture`).
#[test]
fn a_mixed_campaign_over_two_days_respects_every_rule() {
    use leadline_domain::jurisdiction::NumberPlace;
    use leadline_domain::policy::{ContactPolicy, Holiday, NumberCap};
    use leadline_domain::user::UserCommand;

    let mut world = World::new(DialerConfig {
        sim_call_ms: 30_000,
        ..DialerConfig::default()
    });
    let user = world.user(1, 4);
    let begin = DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    world.now = begin;
    let holiday = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
    world.command(|model| {
        let entry = model.user(&user).expect("user");
        let policy = ContactPolicy {
            per_number: vec![NumberCap {
                calls_max: 4,
                window_hours: 24,
            }],
            holidays: vec![Holiday {
                date: holiday,
                regions: vec!["GB".parse().expect("region")],
            }],
        };
        user::decide(&entry.user, UserCommand::SetContactPolicy { policy }, begin).expect("policy")
    });
    // Simulator outcomes by last digit: 1 no answer, 2 busy, 4 dropped,
    // 0 answered.
    let leads: Vec<String> = [
        "+12125550101",                // New York, no answer
        "+12125550112",                // New York, busy
        "+13055550101",                // Miami, no answer: 3 a day
        "+18505550111",                // Florida panhandle, two zones
        "+919876500011",               // India, no answer
        "+919876500024",               // India, dropped
        "+447911123451",               // UK, no answer; holiday on day 2
        "+447911123454",               // UK, dropped: 72 h hold
        "+919876500031|+447911123460", // India, then the UK number answers
        "+13055550121|+12125550130",   // Miami, then New York answers
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let campaign = world.campaign_with(2, user, &leads, 12, |s| {
        s.jurisdiction_rules = true;
        s.retry = s
            .retry
            .clone()
            .with_delay_minutes(30)
            .and_then(|p| p.with_dropped_delay_minutes(10))
            .expect("policy");
    });
    world.start(campaign);
    world.run(begin + Duration::hours(48), |_| false);

    let calls = world.calls(&campaign);
    let model = world.projections.read();
    let hm = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).expect("time");
    println!("{} calls in 48 h from {begin}", calls.len());
    for call in &calls {
        let place = NumberPlace::of(&call.phone);
        // Every call inside the hours of each rule of its number, in every
        // zone of the number.
        for rule in place.rules() {
            let (weekday, weekend) = rule.hours();
            for zone in &place.zones {
                let local = call.started_at.with_timezone(&zone.tz());
                let hours = match chrono::Datelike::weekday(&local) {
                    chrono::Weekday::Sat | chrono::Weekday::Sun => weekend,
                    _ => weekday,
                };
                assert!(
                    hours.contains(local.time()),
                    "{} called at {} in {zone}, outside {} ({})",
                    call.phone,
                    local.time(),
                    rule.hours_text(),
                    rule.name
                );
            }
        }
        // No UK call on the UK holiday, in London's date.
        if place.country.is_some_and(|c| c.code() == "GB") {
            let london = call.started_at.with_timezone(&chrono_tz::Europe::London);
            assert_ne!(
                london.date_naive(),
                holiday,
                "{} called on the holiday",
                call.phone
            );
        }
        let zone = place
            .zones
            .first()
            .map(|z| z.tz())
            .unwrap_or(chrono_tz::UTC);
        println!(
            "  {} {:<15} {} local {}  {:?}",
            call.started_at.format("%a %H:%M:%SZ"),
            call.phone,
            zone.name(),
            call.started_at.with_timezone(&zone).format("%a %H:%M"),
            call.status
        );
    }
    let by_number = |phone: &str| -> Vec<DateTime<Utc>> {
        calls
            .iter()
            .filter(|c| c.phone.as_str() == phone)
            .map(|c| c.started_at)
            .collect()
    };
    for number in leads.iter().flat_map(|l| l.split('|')) {
        let dials = by_number(number);
        for (i, at) in dials.iter().enumerate() {
            let in_day = dials[..=i]
                .iter()
                .filter(|d| **d > *at - Duration::hours(24))
                .count();
            let cap = if number.starts_with("+1305") || number.starts_with("+1850") {
                3
            } else {
                4
            };
            assert!(in_day <= cap, "{number}: {in_day} calls in 24 h, cap {cap}");
        }
    }
    // The dropped UK number is not redialled for 72 h: once in two days.
    assert_eq!(
        by_number("+447911123454").len(),
        1,
        "the abandoned UK number"
    );
    // The panhandle spans Central and Eastern time: 08:00 Central to
    // 20:00 Eastern only.
    for at in by_number("+18505550111") {
        let eastern = at.with_timezone(&chrono_tz::America::New_York).time();
        let central = at.with_timezone(&chrono_tz::America::Chicago).time();
        assert!(
            central >= hm(8, 0) && eastern < hm(20, 0),
            "850 called at {eastern} Eastern"
        );
    }
    // Multi-number leads move to their other number and are answered there.
    for (main, answered_on) in [
        ("+919876500031", "+447911123460"),
        ("+13055550121", "+12125550130"),
    ] {
        let lead = model
            .campaign(&campaign)
            .and_then(|c| {
                c.phones
                    .get(&leadline_domain::PhoneNumber::parse(main, None).expect("phone"))
            })
            .and_then(|id| model.lead(id))
            .expect("lead");
        assert_eq!(
            lead.lead.status,
            leadline_domain::LeadStatus::Answered,
            "{main}"
        );
        assert_eq!(
            lead.lead.last_dialed_phone().as_str(),
            answered_on,
            "{main}"
        );
    }
    // Each lead: its calls, and how it stands at the end.
    println!("leads after 48 h:");
    let entry = model.campaign(&campaign).expect("campaign");
    for id in &entry.leads {
        let Some(lead) = model.lead(id) else { continue };
        let lead = &lead.lead;
        let numbers: Vec<&str> = lead.phones().map(|p| p.as_str()).collect();
        println!(
            "  {:<30} {:>2} calls, {:<10} next {:?}",
            numbers.join("|"),
            lead.calls.len(),
            lead.status.to_string(),
            lead.next_eligible_at(&entry.campaign, &model.owner(&user), world.now)
        );
    }
    assert!(
        calls.len() >= 20,
        "the campaign dialed: {} calls",
        calls.len()
    );
}

#[test]
fn one_number_in_two_campaigns_is_dialed_once_per_round_under_a_cap() {
    // Given a user whose policy allows one call to a number in 6 hours,
    // with two slots and two campaigns that both hold one number
    let mut world = World::new(DialerConfig::default());
    let user = world.user(1, 2);
    let now = world.now;
    world.command(|m| {
        let policy = leadline_domain::policy::ContactPolicy {
            per_number: vec![leadline_domain::policy::NumberCap {
                calls_max: 1,
                window_hours: 6,
            }],
            holidays: Vec::new(),
        };
        user::decide(
            &m.user(&user).expect("user").user,
            user::UserCommand::SetContactPolicy { policy },
            now,
        )
        .expect("policy")
    });
    let shared = vec!["9876500001".to_owned()];
    let first = world.campaign(2, user, &shared, 1);
    let second = world.campaign(3, user, &shared, 1);
    world.start(first);
    world.start(second);

    // When the dialer takes one step, with a slot for each campaign
    world.step();

    // Then the number was dialed once, not once per campaign
    let dials = world.calls(&first).len() + world.calls(&second).len();
    assert_eq!(dials, 1, "one dial of the shared number within its cap");
}

/// The groups of the large campaign below: where each number is, and
/// where its leads stand at 08:00 UTC on Monday 2026-11-23.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Group {
    /// +91, open from 03:30 UTC (09:00 IST): dialed from the start.
    India,
    /// +1 (New York) with the time zone Asia/Kolkata: as India.
    UsInKolkata,
    /// +91 that never answers, with a second number put on the
    /// do-not-call list.
    IndiaAltOnDnc,
    /// +91 whose only number is put on the do-not-call list.
    IndiaOnDnc,
    /// +1 (Toronto) with the time zone Europe/Athens: open from 07:00 UTC.
    CanadaInAthens,
    /// +44: open from 08:00 UTC.
    Uk,
    /// +1 (Chicago) with the time zone Europe/London: open from 08:00 UTC.
    UsInLondon,
    /// +1 in the West of the US (California, Washington, Hawaii, Alaska):
    /// Sunday evening there at 04:00 UTC, open until 05:00 UTC (07:00 in
    /// Hawaii), closed at 08:00 UTC.
    UsWest,
    /// +1 across the rest of the US (Florida among them) and Canada:
    /// closed from before 04:00 UTC until 12:00 UTC at the earliest.
    NorthAmerica,
}

/// Where a lead stands at an instant, as the eligibility counts file it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Stand {
    Eligible,
    InFlight,
    Finished,
    Held(leadline_domain::eligibility::Rule),
}

fn stand_of(why: &leadline_domain::eligibility::explain::Explanation) -> Stand {
    use leadline_domain::eligibility::explain::Standing;
    match why.standing {
        Standing::Eligible => Stand::Eligible,
        Standing::InFlight => Stand::InFlight,
        Standing::Finished => Stand::Finished,
        Standing::Held => Stand::Held(why.first_rule().expect("a held lead names a rule")),
    }
}

/// The numbers of the large campaign: 58,466 leads, each with its group.
/// Every number is different (the dialer calls a number once per round,
/// so shared numbers would make "eligible" and "dialed" differ); the last
/// digit, which decides the simulated outcome, runs through 0–9 in every
/// group.
fn large_campaign_rows() -> (Vec<LeadInput>, HashMap<String, Group>) {
    const TOTAL: u64 = 58_466;
    let mut rows = Vec::new();
    let mut groups = HashMap::new();
    let mut add = |group: Group, phone: String, alt: Option<String>, zone: Option<&str>| {
        let mut row = lead_row(&phone, zone);
        row.alt_phones.extend(alt);
        groups.insert(phone, group);
        rows.push(row);
    };
    let india = |i: u64| format!("+91{}", 9_800_000_000 + i);
    let nanp = |area: &str, i: u64| format!("+1{area}{}", 2_000_000 + i);
    for i in 0..3_000 {
        add(Group::India, india(i), None, None);
    }
    for i in 0..500 {
        add(
            Group::UsInKolkata,
            nanp("212", i),
            None,
            Some("Asia/Kolkata"),
        );
    }
    for i in 0..40 {
        // Ends in 1: never answers.
        let main = format!("+91{}", 9_810_000_001 + 10 * i);
        add(Group::IndiaAltOnDnc, main, Some(india(10_000 + i)), None);
    }
    for i in 0..60 {
        add(Group::IndiaOnDnc, india(20_000 + i), None, None);
    }
    for i in 0..600 {
        add(
            Group::CanadaInAthens,
            nanp("416", i),
            None,
            Some("Europe/Athens"),
        );
    }
    for i in 0..500 {
        add(
            Group::Uk,
            format!("+44{}", 7_400_000_000u64 + i),
            None,
            None,
        );
    }
    for i in 0..150 {
        add(
            Group::UsInLondon,
            nanp("312", i),
            None,
            Some("Europe/London"),
        );
    }
    // The rest: the US (Florida among them) and Canada, by area code.
    let west = ["415", "310", "206", "808", "907"];
    for i in 0..15_000 {
        let area = west[((i / 10) as usize) % west.len()];
        add(Group::UsWest, nanp(area, 100_000 + i), None, None);
    }
    let areas = [
        "646", "512", "617", "404", // US
        "305", "407", "813", "904", "954", // Florida
        "416", "604", "514", "403", "902", "709", // Canada
    ];
    let rest = TOTAL - (3_000 + 500 + 40 + 60 + 600 + 500 + 150 + 15_000);
    for i in 0..rest {
        let area = areas[((i / 10) as usize) % areas.len()];
        add(Group::NorthAmerica, nanp(area, 200_000 + i), None, None);
    }
    assert_eq!(rows.len() as u64, TOTAL);
    (rows, groups)
}

fn at_utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

/// What the eligibility counts say at `now`, checked against the domain's
/// explanation of every lead: the same numbers, summing to the total.
/// Returns the counts and each lead's standing.
fn counts_and_standings(
    world: &World,
    campaign: CampaignId,
) -> (
    leadline::server::routes::eligibility::CampaignEligibilityView,
    HashMap<LeadId, Stand>,
) {
    let started = std::time::Instant::now();
    let counts = leadline::server::routes::eligibility::campaign_counts(
        &world.projections,
        &leadline::server::auth::Principal::Admin,
        &campaign,
        world.now,
    )
    .expect("counts");
    println!(
        "eligibility of {} leads at {} counted in {:?} (debug build)",
        counts.total,
        world.now,
        started.elapsed()
    );
    let model = world.projections.read();
    let entry = model.campaign(&campaign).expect("campaign");
    let owner = model.owner(&entry.campaign.owner);
    let standings: HashMap<LeadId, Stand> = entry
        .leads
        .iter()
        .filter_map(|id| model.lead(id))
        .map(|lead| {
            let why = leadline_domain::eligibility::explain::explain(
                &lead.lead,
                &entry.campaign,
                &owner,
                world.now,
            );
            (lead.lead.id, stand_of(&why))
        })
        .collect();
    let tally = |stand: Stand| standings.values().filter(|s| **s == stand).count() as u64;
    let held_sum: u64 = counts.held.values().sum();
    assert_eq!(
        counts.eligible_now + counts.in_flight + counts.finished + held_sum,
        counts.total,
        "{counts:?}"
    );
    assert_eq!(counts.total, standings.len() as u64);
    assert_eq!(counts.eligible_now, tally(Stand::Eligible));
    assert_eq!(counts.in_flight, tally(Stand::InFlight));
    assert_eq!(counts.finished, tally(Stand::Finished));
    for (rule, n) in &counts.held {
        let rule: leadline_domain::eligibility::Rule = leadline_domain::eligibility::Rule::ALL
            .into_iter()
            .find(|r| r.name() == rule)
            .expect("a known rule");
        assert_eq!(*n, tally(Stand::Held(rule)), "{rule:?}");
    }
    (counts, standings)
}

/// The leads the dialer's next step dials at the world's instant (calls
/// that were not in flight before it).
fn dialed_by_next_step(world: &mut World) -> (usize, std::collections::HashSet<LeadId>) {
    let before: std::collections::HashSet<leadline_domain::CallId> = world
        .projections
        .read()
        .in_flight_calls()
        .map(|c| c.id)
        .collect();
    let step = world.step();
    let model = world.projections.read();
    let dialed = model
        .in_flight_calls()
        .filter(|c| !before.contains(&c.id))
        .map(|c| c.lead_id)
        .collect();
    (step.dialed, dialed)
}

fn free_slots(world: &World, user: UserId, system_limit: u32) -> u64 {
    let model = world.projections.read();
    let entry = model.user(&user).expect("user");
    let user_free = entry
        .user
        .concurrent_calls_limit
        .saturating_sub(entry.in_flight);
    u64::from(user_free.min(system_limit.saturating_sub(model.system_in_flight())))
}

#[test]
fn on_a_58466_lead_campaign_the_eligibility_counts_are_what_the_dialer_dials() {
    use leadline_domain::eligibility::Rule;
    use leadline_domain::lead::{self, DispositionRequest, LeadCommand};

    const SYSTEM_LIMIT: u32 = 1_000;
    // Given a user who may have 1,000 calls in flight (the most a user
    // may), one-minute calls, and no cap on dials per step
    let mut world = World::new(DialerConfig {
        system_concurrent_calls: SYSTEM_LIMIT,
        sim_call_ms: 60_000,
        dials_per_step_max: 100_000,
        ..DialerConfig::default()
    });
    world.now = at_utc("2026-11-23T04:00:00Z");
    let user = world.user(1, 1_000);
    // and a contact policy of at most two calls per number in 24 hours
    let now = world.now;
    world.command(|m| {
        let policy = leadline_domain::policy::ContactPolicy {
            per_number: vec![leadline_domain::policy::NumberCap {
                calls_max: 2,
                window_hours: 24,
            }],
            holidays: Vec::new(),
        };
        user::decide(
            &m.user(&user).expect("user").user,
            user::UserCommand::SetContactPolicy { policy },
            now,
        )
        .expect("policy")
    });
    // and a campaign with the jurisdiction rules on, retries an hour
    // apart (half an hour after a dropped call), of 58,466 leads in India,
    // the US (Florida too), Canada and the UK, some with their own zone
    let campaign = world.campaign_with(2, user, &[], 3, |s| {
        s.jurisdiction_rules = true;
        s.default_region = None;
        s.retry = s
            .retry
            .clone()
            .with_delay_minutes(60)
            .and_then(|r| r.with_dropped_delay_minutes(30))
            .expect("retry");
    });
    let (rows, groups) = large_campaign_rows();
    let started = std::time::Instant::now();
    world.import(campaign, rows);
    println!("58,466 leads imported in {:?}", started.elapsed());
    let group_of: HashMap<LeadId, Group> = {
        let model = world.projections.read();
        World::leads(&model, &campaign)
            .iter()
            .map(|l| (l.id, groups[&l.phone.to_string()]))
            .collect()
    };
    assert_eq!(group_of.len(), 58_466);
    // and 100 numbers on the owner's do-not-call list: 60 leads' only
    // number, and the second number of 40 others
    let listed: Vec<leadline_domain::lead::Lead> = {
        let model = world.projections.read();
        World::leads(&model, &campaign)
            .into_iter()
            .filter(|l| matches!(group_of[&l.id], Group::IndiaOnDnc | Group::IndiaAltOnDnc))
            .collect()
    };
    for lead in &listed {
        let phone = lead.phones().last().expect("a number").clone();
        world.command(|m| {
            let leads: Vec<_> = listed
                .iter()
                .filter_map(|l| m.lead(&l.id).map(|e| e.lead.clone()))
                .collect();
            plans::add_dnc(
                &m.user(&user).expect("user").user,
                &phone,
                Some("asked not to be called".into()),
                &leads,
                now,
            )
            .expect("dnc")
        });
    }

    // When it starts at 04:00 UTC (09:30 in India, Sunday evening in the
    // West of the US, night in the rest of the Americas and the UK)
    world.start(campaign);
    let (counts, standings) = counts_and_standings(&world, campaign);
    // then the leads of India and the West are dialable, the listed ones
    // finished, and all the others outside their jurisdiction's hours
    for (id, stand) in &standings {
        let expected = match group_of[id] {
            Group::India | Group::UsInKolkata | Group::IndiaAltOnDnc | Group::UsWest => {
                Stand::Eligible
            }
            Group::IndiaOnDnc => Stand::Finished,
            _ => Stand::Held(Rule::JurisdictionHours),
        };
        assert_eq!(*stand, expected, "{id} of {:?}", group_of[id]);
    }
    assert_eq!(counts.eligible_now, 3_000 + 500 + 40 + 15_000, "{counts:?}");
    assert_eq!(counts.finished, 60);
    assert_eq!(
        counts.held,
        BTreeMap::from([("jurisdiction_hours".to_owned(), 58_466 - 18_600)])
    );
    // and the dialer's first step fills every free slot with eligible leads
    let free = free_slots(&world, user, SYSTEM_LIMIT);
    assert_eq!(free, 1_000);
    let (dialed_count, dialed) = dialed_by_next_step(&mut world);
    assert_eq!(dialed_count as u64, counts.eligible_now.min(free));
    assert_eq!(dialed.len(), dialed_count);
    assert!(dialed.iter().all(|lead| standings[lead] == Stand::Eligible));

    // When the dialer runs until 07:30 UTC, 200 answered Indian leads ask
    // to be called back (100 at 08:00, 100 at 09:30), and it runs on
    world.run(
        at_utc("2026-11-23T07:30:00Z") - Duration::milliseconds(1),
        |_| false,
    );
    world.now = at_utc("2026-11-23T07:30:00Z");
    let eight = at_utc("2026-11-23T08:00:00Z");
    let half_past_nine = at_utc("2026-11-23T09:30:00Z");
    let callbacks: HashMap<LeadId, DateTime<Utc>> = {
        let model = world.projections.read();
        World::leads(&model, &campaign)
            .into_iter()
            .filter(|l| {
                group_of[&l.id] == Group::India
                    && l.status == leadline_domain::LeadStatus::Answered
                    && l.phone.to_string().ends_with('0')
            })
            .take(200)
            .enumerate()
            .map(|(i, l)| (l.id, if i < 100 { eight } else { half_past_nine }))
            .collect()
    };
    assert_eq!(callbacks.len(), 200);
    let now = world.now;
    world.command(|m| {
        let entry = m.campaign(&campaign).expect("campaign");
        callbacks
            .iter()
            .flat_map(|(id, at)| {
                let lead = &m.lead(id).expect("lead").lead;
                let command = LeadCommand::Dispose {
                    disposition: DispositionRequest::Callback { at: *at },
                    note: None,
                };
                lead::decide(lead, &entry.campaign, command, now).expect("callback")
            })
            .collect()
    });
    world.run(eight - Duration::milliseconds(1), |_| false);
    world.now = eight;

    // Then at 08:00 UTC every lead is where its group says
    let (counts, standings) = counts_and_standings(&world, campaign);
    let answered = |id: &LeadId| {
        let model = world.projections.read();
        let phone = model.lead(id).expect("lead").lead.phone.to_string();
        phone.ends_with(['0', '6', '7', '8', '9'])
    };
    for (id, stand) in &standings {
        let expected = match group_of[id] {
            Group::India | Group::UsInKolkata => match callbacks.get(id) {
                Some(at) if *at == eight => Stand::Eligible,
                Some(_) => Stand::Held(Rule::CallbackTime),
                // Called twice since 04:00: the cap of two in 24 h.
                None if !answered(id) => Stand::Held(Rule::ContactCap),
                None => Stand::Finished,
            },
            // Its only other number is capped.
            Group::IndiaAltOnDnc => Stand::Held(Rule::Dnc),
            Group::IndiaOnDnc => Stand::Finished,
            // First called at 07:00, again an hour (or half an hour)
            // after each call.
            Group::CanadaInAthens if !answered(id) => Stand::Held(Rule::RetryDelay),
            Group::CanadaInAthens => Stand::Finished,
            Group::Uk | Group::UsInLondon => Stand::Eligible,
            // Called on Sunday evening; midnight there now.
            Group::UsWest if answered(id) => Stand::Finished,
            Group::UsWest | Group::NorthAmerica => Stand::Held(Rule::JurisdictionHours),
        };
        assert_eq!(*stand, expected, "{id} of {:?}", group_of[id]);
    }
    assert_eq!(counts.eligible_now, 500 + 150 + 100, "{counts:?}");
    assert_eq!(counts.in_flight, 0);
    assert_eq!(counts.finished, 1_500 - 200 + 250 + 60 + 300 + 7_500);
    assert_eq!(
        counts.held,
        BTreeMap::from([
            ("jurisdiction_hours".to_owned(), 38_616 + 7_500),
            ("dnc".to_owned(), 40),
            ("retry_delay".to_owned(), 300),
            ("callback_time".to_owned(), 100),
            ("contact_cap".to_owned(), 1_500 + 250),
        ])
    );
    assert_eq!(
        counts.next_eligible_at,
        Some(at_utc("2026-11-23T08:01:00Z"))
    );
    // and the dialer's next step dials exactly the eligible leads: there
    // are slots for all of them
    let free = free_slots(&world, user, SYSTEM_LIMIT);
    assert!(
        counts.eligible_now <= free,
        "{} > {free}",
        counts.eligible_now
    );
    let (dialed_count, dialed) = dialed_by_next_step(&mut world);
    assert_eq!(dialed_count as u64, counts.eligible_now);
    let eligible: std::collections::HashSet<LeadId> = standings
        .iter()
        .filter(|(_, s)| **s == Stand::Eligible)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(dialed, eligible);
}
