//! Incremental folding equals a rebuild, and every invariant of the read
//! model holds after every event, over random but legal histories: a
//! driver makes real domain decisions (users, campaigns, imports, start,
//! pause, resume, cancel, dials, outcomes, reclaims, recycles,
//! dispositions, do-not-call, settings changes, time passing) from the read
//! model, as the API does, and appends them to an in-memory log.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use leadline::write::record::{self, Cause};
use leadline_domain::campaign::{self, CampaignSettings};
use leadline_domain::eligibility::choose_number;
use leadline_domain::lead::{self, CallReport, DispositionRequest, LeadCommand, ReportedCallState};
use leadline_domain::plans::{self, LeadInput, RecycleRequest};
use leadline_domain::{
    eligibility, user, Actor, CallId, CallOutcome, CampaignId, Event, LeadId, LeadStatus,
    PhoneNumber, RetryPolicy, StreamName, UserId,
};
use leadline_projections::hopper::Placement;
use leadline_projections::model::CallStatus;
use leadline_projections::runner::fold_all;
use leadline_projections::{codec, ReadModel};
use leadline_storage::{EventLog, ExpectedVersion, LogLimits, MemoryLog};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    NewUser,
    NewCampaign {
        user: usize,
        max_attempts: u32,
        local_hours: bool,
    },
    Import {
        campaign: usize,
        rows: Vec<(u8, bool, i8, bool)>,
    },
    Start(usize),
    Pause(usize),
    Resume(usize),
    Cancel(usize),
    Complete(usize),
    Dial {
        campaign: usize,
        n: u8,
    },
    Report {
        pick: usize,
        outcome: u8,
    },
    Reclaim {
        pick: usize,
    },
    Recycle {
        campaign: usize,
        reset: bool,
    },
    Dispose {
        pick: usize,
        kind: u8,
    },
    Dnc {
        user: usize,
        phone: u8,
    },
    Settings {
        campaign: usize,
        max_attempts: u32,
    },
    Advance {
        minutes: u32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let row = (0..48u8, any::<bool>(), -1..3i8, any::<bool>());
    prop_oneof![
        1 => Just(Op::NewUser),
        1 => (0..3usize, 1..4u32, any::<bool>())
            .prop_map(|(user, max_attempts, local_hours)| Op::NewCampaign { user, max_attempts, local_hours }),
        3 => (0..4usize, prop::collection::vec(row, 1..12))
            .prop_map(|(campaign, rows)| Op::Import { campaign, rows }),
        2 => (0..4usize).prop_map(Op::Start),
        1 => (0..4usize).prop_map(Op::Pause),
        1 => (0..4usize).prop_map(Op::Resume),
        1 => (0..4usize).prop_map(Op::Cancel),
        1 => (0..4usize).prop_map(Op::Complete),
        6 => (0..4usize, 1..4u8).prop_map(|(campaign, n)| Op::Dial { campaign, n }),
        6 => (any::<usize>(), 0..6u8).prop_map(|(pick, outcome)| Op::Report { pick, outcome }),
        1 => any::<usize>().prop_map(|pick| Op::Reclaim { pick }),
        1 => (0..4usize, any::<bool>()).prop_map(|(campaign, reset)| Op::Recycle { campaign, reset }),
        1 => (any::<usize>(), 0..4u8).prop_map(|(pick, kind)| Op::Dispose { pick, kind }),
        1 => (0..3usize, 0..48u8).prop_map(|(user, phone)| Op::Dnc { user, phone }),
        1 => (0..4usize, 1..5u32).prop_map(|(campaign, max_attempts)| Op::Settings { campaign, max_attempts }),
        3 => (1..600u32).prop_map(|minutes| Op::Advance { minutes }),
    ]
}

fn phone(i: u8) -> String {
    match i {
        45 => "12".into(),
        46 => "not a number".into(),
        47 => "+91 98765 43210".into(),
        // Some rows in the lead's own zone, some in others.
        _ if i % 3 == 0 => format!("+1 212 555 {:04}", 1000 + u32::from(i)),
        _ => format!("98765{:05}", 10_000 + u32::from(i)),
    }
}

struct Driver {
    log: Arc<MemoryLog>,
    clock: Arc<AtomicI64>,
    model: ReadModel,
    now: DateTime<Utc>,
    next_id: u128,
    users: Vec<UserId>,
    campaigns: Vec<CampaignId>,
}

impl Driver {
    fn new() -> Self {
        let now = DateTime::parse_from_rfc3339("2026-11-21T03:30:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let clock = Arc::new(AtomicI64::new(now.timestamp_micros()));
        let log_clock = clock.clone();
        Driver {
            log: Arc::new(MemoryLog::new(
                LogLimits::default(),
                Arc::new(move || log_clock.load(Ordering::Relaxed)),
            )),
            clock,
            model: ReadModel::default(),
            now,
            next_id: 1,
            users: Vec::new(),
            campaigns: Vec::new(),
        }
    }

    fn id(&mut self) -> u128 {
        self.next_id += 1;
        self.next_id
    }

    fn version(&self, stream: &StreamName) -> ExpectedVersion {
        let version = match stream {
            StreamName::User(id) => self.model.user(id).map(|e| e.version),
            StreamName::Campaign(id) => self.model.campaign(id).map(|e| e.version),
            StreamName::Lead(id) => self.model.lead(id).map(|e| e.version),
            StreamName::Subscription(id) => self.model.subscription(id).map(|e| e.version),
        };
        ExpectedVersion::Exact(version.unwrap_or(0))
    }

    /// Appends the events of one decision and folds them, checking every
    /// invariant after each event.
    fn commit(&mut self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let cause = Cause::new(Actor::System("test".into()));
        let appends = record::appends(&events, &cause, |s| self.version(s)).expect("encode");
        self.log.submit(appends).wait().expect("append");
        let new = self
            .log
            .read_all(self.model.position(), usize::MAX)
            .expect("read");
        for recorded in new {
            let mut event = None;
            self.log
                .scan(recorded.position - 1, recorded.position, &mut |view| {
                    event = Some(codec::decode(&view).expect("decode"));
                    std::ops::ControlFlow::Break(())
                })
                .expect("scan");
            let event = event.expect("event");
            self.model
                .apply(recorded.position, recorded.stream_version, &event);
            check_invariants(&self.model, self.now);
        }
    }

    fn campaign(&self, i: usize) -> Option<CampaignId> {
        (!self.campaigns.is_empty()).then(|| self.campaigns[i % self.campaigns.len()])
    }

    fn leads_of(&self, id: &CampaignId) -> Vec<leadline_domain::lead::Lead> {
        let Some(entry) = self.model.campaign(id) else {
            return Vec::new();
        };
        entry
            .leads
            .iter()
            .filter_map(|l| self.model.lead(l).map(|e| e.lead.clone()))
            .collect()
    }

    fn in_flight(&self) -> Vec<(LeadId, CallId)> {
        let mut calls: Vec<(LeadId, CallId)> = self
            .campaigns
            .iter()
            .filter_map(|c| self.model.campaign(c))
            .flat_map(|c| c.leads.iter())
            .filter_map(|l| self.model.lead(l))
            .filter_map(|e| e.lead.in_flight.as_ref().map(|f| (e.lead.id, f.call_id)))
            .collect();
        calls.sort();
        calls
    }

    fn run(&mut self, op: Op) {
        let now = self.now;
        let events: Result<Vec<Event>, _> = match op {
            Op::NewUser => {
                let id = UserId::from_u128(self.id());
                self.users.push(id);
                user::create(None, id, "user", Some(2), &format!("digest-{id}"), now)
            }
            Op::NewCampaign {
                user,
                max_attempts,
                local_hours,
            } => {
                if self.users.is_empty() {
                    return;
                }
                let owner = self.users[user % self.users.len()];
                let id = CampaignId::from_u128(self.id());
                let mut settings = CampaignSettings::new("campaign").expect("settings");
                settings.default_region = "IN".parse().ok();
                settings.timezone = "Asia/Kolkata".parse().expect("zone");
                settings.hours = leadline_domain::DailyHours::new(
                    "09:00".parse().expect("time"),
                    "21:00".parse().expect("time"),
                );
                settings.retry =
                    RetryPolicy::new(30, max_attempts, RetryPolicy::default().statuses())
                        .expect("policy");
                if local_hours {
                    settings.local_hours = Some(leadline_domain::DailyHours::new(
                        "08:00".parse().expect("time"),
                        "22:00".parse().expect("time"),
                    ));
                }
                self.campaigns.push(id);
                campaign::create(None, id, owner, settings, now)
            }
            Op::Import { campaign, rows } => {
                let Some(id) = self.campaign(campaign) else {
                    return;
                };
                let ids: Vec<LeadId> = (0..16).map(|_| LeadId::from_u128(self.id())).collect();
                let Some(entry) = self.model.campaign(&id) else {
                    return;
                };
                let owner = self
                    .model
                    .user(&entry.campaign.owner)
                    .map(|u| u.user.clone());
                let rows = rows
                    .into_iter()
                    .map(|(p, named, priority, tz)| LeadInput {
                        phone: phone(p),
                        name: named.then(|| format!("Person {p}")),
                        priority: Some(i32::from(priority).to_string()),
                        timezone: tz.then(|| "Europe/London".to_string()),
                        fields: BTreeMap::from([("loan".to_string(), format!("L{p}"))]),
                        contact_id: None,
                        alt_phones: Vec::new(),
                    })
                    .collect();
                let mut ids = ids.into_iter();
                plans::import_leads(
                    &entry.campaign,
                    &entry.phones,
                    |p: &PhoneNumber| owner.as_ref().is_some_and(|u| u.is_dnc(p)),
                    rows,
                    || ids.next().unwrap_or(LeadId::from_u128(u128::MAX)),
                    now,
                )
                .map(|(events, _)| events)
            }
            Op::Start(c) | Op::Pause(c) | Op::Resume(c) | Op::Cancel(c) | Op::Complete(c) => {
                let Some(id) = self.campaign(c) else { return };
                let Some(entry) = self.model.campaign(&id) else {
                    return;
                };
                let leads = self.leads_of(&id);
                let owner = self.model.owner(&entry.campaign.owner);
                match op {
                    Op::Start(_) => plans::start(&entry.campaign, &owner, &leads, now),
                    Op::Pause(_) => plans::pause(&entry.campaign, &leads, None, now),
                    Op::Resume(_) => plans::resume(&entry.campaign, &owner, &leads, now),
                    Op::Cancel(_) => plans::cancel(&entry.campaign, &leads, None, now),
                    _ => plans::complete(&entry.campaign, &leads, now),
                }
            }
            Op::Dial { campaign, n } => {
                let Some(id) = self.campaign(campaign) else {
                    return;
                };
                let picked = match self.model.campaign(&id) {
                    Some(entry) => entry
                        .hopper
                        .next_eligible(&entry.campaign, now, usize::from(n)),
                    None => return,
                };
                for candidate in picked {
                    let call_id = CallId::from_u128(self.id());
                    let Some(entry) = self.model.campaign(&id) else {
                        return;
                    };
                    let Some(lead) = self.model.lead(&candidate.lead_id) else {
                        continue;
                    };
                    let mut lead = lead.lead.clone();
                    let mut events = Vec::new();
                    let owner = self.model.owner(&entry.campaign.owner);
                    let Some(phone) = choose_number(&lead, &entry.campaign, &owner, now) else {
                        continue;
                    };
                    if lead.status != LeadStatus::Queued {
                        match lead::decide_with(
                            &lead,
                            &entry.campaign,
                            &owner,
                            LeadCommand::Queue,
                            now,
                        ) {
                            Ok(queued) => {
                                for e in &queued {
                                    lead = lead::evolve(Some(lead), e).expect("queued lead");
                                }
                                events.extend(queued);
                            }
                            Err(_) => continue,
                        }
                    }
                    if let Ok(dialed) = lead::decide_with(
                        &lead,
                        &entry.campaign,
                        &owner,
                        LeadCommand::Dial { call_id, phone },
                        now,
                    ) {
                        events.extend(dialed);
                        self.commit(events);
                    }
                }
                return;
            }
            Op::Report { pick, outcome } => {
                let calls = self.in_flight();
                if calls.is_empty() {
                    return;
                }
                let (lead_id, call_id) = calls[pick % calls.len()];
                let outcome = [
                    CallOutcome::Answered,
                    CallOutcome::NoAnswer,
                    CallOutcome::Busy,
                    CallOutcome::Failed,
                    CallOutcome::Dropped,
                    CallOutcome::Congestion,
                ][usize::from(outcome) % 6];
                let report = CallReport {
                    state: ReportedCallState::Ended(outcome),
                    provider_status: format!("{outcome:?}"),
                    duration_secs: Some(12),
                    error: (outcome == CallOutcome::Failed).then(|| "provider said no".into()),
                    provider_call_id: Some(format!("p-{call_id}")),
                };
                self.lead_command(lead_id, LeadCommand::RecordCallReport { call_id, report })
            }
            Op::Reclaim { pick } => {
                let calls = self.in_flight();
                if calls.is_empty() {
                    return;
                }
                let (lead_id, call_id) = calls[pick % calls.len()];
                self.lead_command(
                    lead_id,
                    LeadCommand::Reclaim {
                        call_id,
                        stale_after: Duration::zero(),
                        reason: "stale".into(),
                    },
                )
            }
            Op::Recycle { campaign, reset } => {
                let Some(id) = self.campaign(campaign) else {
                    return;
                };
                let Some(entry) = self.model.campaign(&id) else {
                    return;
                };
                let leads = self.leads_of(&id);
                let request = RecycleRequest {
                    statuses: vec![LeadStatus::NoAnswer, LeadStatus::Busy, LeadStatus::Failed],
                    target: LeadStatus::New,
                    reset_dial_count: reset,
                    reason: "test".into(),
                };
                plans::recycle(&entry.campaign, &leads, &request, now).map(|(events, _)| events)
            }
            Op::Dispose { pick, kind } => {
                let answered: Vec<LeadId> = self
                    .campaigns
                    .iter()
                    .filter_map(|c| self.model.campaign(c))
                    .flat_map(|c| c.leads.iter().copied())
                    .filter(|l| {
                        self.model
                            .lead(l)
                            .is_some_and(|e| e.lead.status == LeadStatus::Answered)
                    })
                    .collect();
                if answered.is_empty() {
                    return;
                }
                let status = [
                    LeadStatus::Sale,
                    LeadStatus::NotInterested,
                    LeadStatus::Callback,
                    LeadStatus::Dnc,
                ][usize::from(kind) % 4];
                let callback = (status == LeadStatus::Callback).then(|| now + Duration::hours(2));
                let Ok(disposition) = DispositionRequest::from_status(status, callback) else {
                    return;
                };
                self.lead_command(
                    answered[pick % answered.len()],
                    LeadCommand::Dispose {
                        disposition,
                        note: None,
                    },
                )
            }
            Op::Dnc { user, phone: p } => {
                if self.users.is_empty() {
                    return;
                }
                let id = self.users[user % self.users.len()];
                let Some(entry) = self.model.user(&id) else {
                    return;
                };
                let Ok(number) = PhoneNumber::parse(&phone(p), "IN".parse().ok()) else {
                    return;
                };
                let leads: Vec<_> = entry
                    .campaigns
                    .iter()
                    .filter_map(|c| self.model.campaign(c))
                    .filter_map(|c| c.phones.get(&number))
                    .filter_map(|l| self.model.lead(l).map(|e| e.lead.clone()))
                    .collect();
                plans::add_dnc(&entry.user, &number, None, &leads, now)
            }
            Op::Settings {
                campaign,
                max_attempts,
            } => {
                let Some(id) = self.campaign(campaign) else {
                    return;
                };
                let Some(entry) = self.model.campaign(&id) else {
                    return;
                };
                let mut settings = entry.campaign.settings.clone();
                settings.retry =
                    RetryPolicy::new(45, max_attempts, RetryPolicy::default().statuses())
                        .expect("policy");
                campaign::decide(
                    &entry.campaign,
                    campaign::CampaignCommand::Update {
                        settings: Box::new(settings),
                    },
                    now,
                )
            }
            Op::Advance { minutes } => {
                self.now += Duration::minutes(i64::from(minutes));
                self.clock
                    .store(self.now.timestamp_micros(), Ordering::Relaxed);
                return;
            }
        };
        if let Ok(events) = events {
            self.commit(events);
        }
    }

    fn lead_command(
        &self,
        lead_id: LeadId,
        command: LeadCommand,
    ) -> Result<Vec<Event>, leadline_domain::DomainError> {
        let Some(entry) = self.model.lead(&lead_id) else {
            return Ok(Vec::new());
        };
        let Some(campaign) = self.model.campaign(&entry.lead.campaign_id) else {
            return Ok(Vec::new());
        };
        lead::decide(&entry.lead, &campaign.campaign, command, self.now)
    }
}

/// Every invariant of the read model.
fn check_invariants(model: &ReadModel, now: DateTime<Utc>) {
    let mut system_in_flight = 0u32;
    let mut per_user: HashMap<UserId, u32> = HashMap::new();
    for entry in model.campaigns() {
        let counters = &entry.counters;
        assert_eq!(
            Some(counters),
            model.recount(&entry.campaign.id).as_ref(),
            "counters drifted from a recount"
        );
        assert_eq!(
            counters.by_status().values().sum::<u64>(),
            counters.total,
            "by_status must sum to total"
        );
        assert_eq!(
            counters.pending
                + counters.in_flight
                + counters.called
                + counters.cancelled
                + counters.skipped
                + counters.dnc,
            counters.total,
            "the counters must partition the leads"
        );
        let dialing_calls = entry
            .calls
            .iter()
            .filter(|c| {
                model
                    .call(c)
                    .is_some_and(|r| r.status == CallStatus::Dialing)
            })
            .count() as u64;
        assert_eq!(
            counters.in_flight, dialing_calls,
            "in_flight must equal calls without an end"
        );
        assert_eq!(counters.dials, entry.calls.len() as u64);
        check_timeline(model, entry);
        system_in_flight += counters.in_flight as u32;
        *per_user.entry(entry.campaign.owner).or_default() += counters.in_flight as u32;

        let mut hopper_should: Vec<LeadId> = Vec::new();
        let mut eligible_now: Vec<(leadline_domain::lead::DialOrder, LeadId)> = Vec::new();
        let mut soonest: Option<DateTime<Utc>> = None;
        for id in &entry.leads {
            let lead = &model.lead(id).expect("lead of campaign").lead;
            check_call_log(model, lead);
            let owner = model.owner(&entry.campaign.owner);
            if Placement::of(lead, &entry.campaign, &owner).is_some() {
                hopper_should.push(*id);
            }
            match eligibility(lead, &entry.campaign, &owner, now) {
                verdict if verdict.is_eligible() => eligible_now.push((lead.dial_order(), *id)),
                leadline_domain::eligibility::Eligibility::NotBefore(at) => {
                    soonest = Some(soonest.map_or(at, |s: DateTime<Utc>| s.min(at)));
                }
                _ => {}
            }
        }
        if let Some(soonest) = soonest {
            // As the dialer's timer: the hopper, and the campaign's window
            // when it is closed.
            let window = entry.campaign.calling_window();
            let wake = entry
                .hopper
                .next_dialable_after(now)
                .into_iter()
                .chain(
                    (!window.is_open(now))
                        .then(|| window.next_open(now))
                        .flatten(),
                )
                .min();
            assert!(
                wake.is_some_and(|wake| wake <= soonest),
                "the dialer's timer ({wake:?}) must not sleep past the first lead to become \
                 dialable ({soonest})"
            );
        }
        let mut in_hopper: Vec<LeadId> = entry.hopper.entries().map(|(id, _)| *id).collect();
        in_hopper.sort();
        hopper_should.sort();
        assert_eq!(in_hopper, hopper_should, "hopper membership");
        eligible_now.sort();
        let next: Vec<LeadId> = entry
            .hopper
            .next_eligible(&entry.campaign, now, usize::MAX)
            .iter()
            .map(|l| l.lead_id)
            .collect();
        let want: Vec<LeadId> = eligible_now.iter().map(|(_, id)| *id).collect();
        assert_eq!(
            next, want,
            "the hopper's next eligible leads must be the domain's, in dial order"
        );
        let listed: Vec<LeadId> = entry
            .hopper
            .listing(&entry.campaign, now, want.len())
            .iter()
            .map(|l| l.lead_id)
            .collect();
        assert_eq!(
            listed, want,
            "a listing starts with the eligible leads, in dial order"
        );
        let mut everything: Vec<LeadId> = entry
            .hopper
            .listing(&entry.campaign, now, usize::MAX)
            .iter()
            .map(|l| l.lead_id)
            .collect();
        everything.sort();
        assert_eq!(
            everything, in_hopper,
            "a full listing holds every lead of the hopper once, held ones too"
        );
    }
    assert_eq!(model.system_in_flight(), system_in_flight);
    assert_eq!(
        model.in_flight_calls().count() as u32,
        system_in_flight,
        "the in-flight index holds exactly the calls without an end"
    );
    assert!(model
        .in_flight_calls()
        .all(|c| c.status == CallStatus::Dialing));
    for user in model.users() {
        assert_eq!(
            user.in_flight,
            per_user.get(&user.user.id).copied().unwrap_or(0)
        );
    }
}

/// The timeline equals a recount from the call log: dials in the minute
/// of each call's start, ends by outcome in the minute of its end (a call
/// reclaimed as stale is failed, without a provider status).
fn check_timeline(model: &ReadModel, entry: &leadline_projections::CampaignEntry) {
    use leadline_projections::timeline::{minute_of, Bucket};
    let mut want: BTreeMap<i64, (u32, [u32; 7], u32)> = BTreeMap::new();
    let mut in_flight = 0u32;
    for id in &entry.calls {
        let call = model.call(id).expect("every dial has a call record");
        want.entry(minute_of(call.started_at)).or_default().0 += 1;
        let Some(ended) = call.ended_at else {
            in_flight += 1;
            continue;
        };
        let outcome = match call.status {
            CallStatus::Dialing => panic!("a call with an end is not dialing"),
            CallStatus::Answered => CallOutcome::Answered,
            CallStatus::NoAnswer => CallOutcome::NoAnswer,
            CallStatus::Busy => CallOutcome::Busy,
            CallStatus::Failed => CallOutcome::Failed,
            CallStatus::Dropped => CallOutcome::Dropped,
            CallStatus::Congestion => CallOutcome::Congestion,
            CallStatus::Voicemail => CallOutcome::Voicemail,
        };
        let i = CallOutcome::ALL
            .iter()
            .position(|o| *o == outcome)
            .expect("an outcome");
        let minute = want.entry(minute_of(ended)).or_default();
        minute.1[i] += 1;
        if call.status == CallStatus::Failed && call.provider_status.is_none() {
            minute.2 += 1;
        }
    }
    let got: BTreeMap<i64, (u32, [u32; 7], u32)> = entry
        .timeline
        .minutes()
        .map(|(m, b): (i64, &Bucket)| {
            let outcomes = CallOutcome::ALL.map(|o| b.outcome(o));
            (m, (b.dials, outcomes, b.reclaimed))
        })
        .collect();
    assert_eq!(
        got, want,
        "the timeline must equal a recount of the call log"
    );
    assert_eq!(entry.timeline.in_flight(), in_flight);
    for (_, bucket) in entry.timeline.minutes() {
        assert!(
            bucket.in_flight_max >= u32::from(bucket.dials > 0),
            "a minute with a dial had a call in flight"
        );
    }
}

/// The call log and the lead come from the same events, so they agree.
fn check_call_log(model: &ReadModel, lead: &leadline_domain::lead::Lead) {
    let mut seen = HashSet::new();
    for call_id in &lead.calls {
        let call = model.call(call_id).expect("every dial has a call record");
        assert_eq!(call.lead_id, lead.id);
        assert!(seen.insert(*call_id));
        let in_flight = lead
            .in_flight
            .as_ref()
            .is_some_and(|f| f.call_id == *call_id);
        assert_eq!(
            call.status == CallStatus::Dialing,
            in_flight,
            "a call is dialing exactly while the lead has it in flight"
        );
    }
    if let (Some(last), Some(result)) = (lead.calls.last(), lead.dial_result) {
        let call = model.call(last).expect("last call");
        if call.status != CallStatus::Dialing {
            assert_eq!(
                call.status,
                CallStatus::from(result),
                "the lead's result is its last call's status"
            );
        }
    }
    // Dialing means a call is in flight; a call may still be in flight
    // after the lead was marked do-not-call.
    if lead.status == LeadStatus::Dialing {
        assert!(lead.in_flight.is_some());
    }
    if lead.in_flight.is_some() {
        assert!(
            matches!(lead.status, LeadStatus::Dialing | LeadStatus::Dnc),
            "{:?}",
            lead.status
        );
    }
}

/// Two users with three campaigns (one with local calling hours), leads
/// imported and started, so that random operations have work to act on.
fn prologue(driver: &mut Driver) {
    driver.run(Op::NewUser);
    driver.run(Op::NewUser);
    driver.run(Op::NewCampaign {
        user: 0,
        max_attempts: 3,
        local_hours: false,
    });
    driver.run(Op::NewCampaign {
        user: 1,
        max_attempts: 2,
        local_hours: true,
    });
    driver.run(Op::NewCampaign {
        user: 0,
        max_attempts: 1,
        local_hours: false,
    });
    for campaign in 0..3usize {
        let rows = (0..10u8)
            .map(|i| {
                (
                    (campaign as u8) * 10 + i,
                    i % 2 == 0,
                    (i % 3) as i8 - 1,
                    i % 4 == 0,
                )
            })
            .collect();
        driver.run(Op::Import { campaign, rows });
        driver.run(Op::Start(campaign));
    }
}

fn run(ops: Vec<Op>, batch_sizes: Vec<usize>, restart_every: usize) {
    let mut driver = Driver::new();
    prologue(&mut driver);
    for op in ops {
        driver.run(op);
    }
    let rebuilt = fold_all(&*driver.log).expect("rebuild");
    assert_eq!(
        driver.model, rebuilt,
        "incremental fold must equal a rebuild"
    );
    let dials: u64 = driver.model.campaigns().map(|c| c.counters.dials).sum();
    if std::env::var_os("FOLD_STATS").is_some() {
        eprintln!("events {} dials {dials}", driver.log.last_position());
    }

    // Another follower folds the same log in random batch sizes,
    // restarting from nothing now and then.
    let mut follower = ReadModel::default();
    let mut batches = batch_sizes.into_iter().cycle();
    let mut step = 0;
    while follower.position() < driver.log.last_position() {
        let size = batches.next().unwrap_or(1).max(1);
        let mut events = Vec::new();
        driver
            .log
            .scan(
                follower.position(),
                follower.position() + size as u64,
                &mut |view| {
                    events.push((
                        view.position(),
                        view.stream_version(),
                        codec::decode(&view).expect("decode"),
                    ));
                    std::ops::ControlFlow::Continue(())
                },
            )
            .expect("scan");
        for (position, version, event) in &events {
            follower.apply(*position, *version, event);
        }
        step += 1;
        if restart_every > 0 && step % restart_every == 0 {
            let at = follower.position();
            follower = ReadModel::default();
            let mut replay = Vec::new();
            driver
                .log
                .scan(0, at, &mut |view| {
                    replay.push((
                        view.position(),
                        view.stream_version(),
                        codec::decode(&view).expect("decode"),
                    ));
                    std::ops::ControlFlow::Continue(())
                })
                .expect("scan");
            for (position, version, event) in &replay {
                follower.apply(*position, *version, event);
            }
        }
    }
    assert_eq!(
        follower, rebuilt,
        "batched folding with restarts must equal a rebuild"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn incremental_equals_rebuild_and_invariants_hold(
        ops in prop::collection::vec(op(), 1..120),
        batch_sizes in prop::collection::vec(1..50usize, 1..8),
        restart_every in 0..6usize,
    ) {
        run(ops, batch_sizes, restart_every);
    }
}

#[test]
fn a_long_history_folds_the_same_way() {
    // A fixed, busy history: enough dials, outcomes and recycles to reach
    // every status.
    let mut driver = Driver::new();
    driver.run(Op::NewUser);
    driver.run(Op::NewCampaign {
        user: 0,
        max_attempts: 3,
        local_hours: true,
    });
    assert_eq!(driver.campaigns.len(), 1);
    for chunk in 0..4u8 {
        let rows = (0..12u8)
            .map(|i| (chunk * 12 + i, i % 2 == 0, (i % 3) as i8, i % 4 == 0))
            .collect();
        driver.run(Op::Import { campaign: 0, rows });
    }
    driver.run(Op::Start(0));
    for round in 0..60usize {
        driver.run(Op::Dial { campaign: 0, n: 2 });
        driver.run(Op::Report {
            pick: round,
            outcome: (round % 6) as u8,
        });
        if round % 7 == 0 {
            driver.run(Op::Advance { minutes: 45 });
        }
        if round % 13 == 0 {
            driver.run(Op::Recycle {
                campaign: 0,
                reset: round % 2 == 0,
            });
        }
    }
    let statuses: HashSet<LeadStatus> = driver
        .model
        .campaign(&driver.campaigns[0])
        .expect("campaign")
        .counters
        .by_status()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, _)| s)
        .collect();
    assert!(
        statuses.len() >= 5,
        "the history reaches several statuses: {statuses:?}"
    );
    assert!(
        driver
            .model
            .campaign(&driver.campaigns[0])
            .expect("c")
            .counters
            .dials
            > 20
    );
    run_checks_against_rebuild(&driver);
}

fn run_checks_against_rebuild(driver: &Driver) {
    let rebuilt = fold_all(&*driver.log).expect("rebuild");
    assert_eq!(driver.model, rebuilt);
}
