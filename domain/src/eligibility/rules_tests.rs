//! The calling rules, one by one: the jurisdiction table at its
//! boundaries in the lead's local time, daylight-saving changes, area
//! codes spanning two zones, caps across campaigns, the abandoned-call
//! hold, the contact policy, holidays, Reg F, delays per outcome, several
//! numbers per lead, opt-outs and imports with other numbers.
//!
//! Instants are written in UTC with the lead's local time beside them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::*;
use crate::campaign::{Campaign, CampaignSettings};
use crate::dialing::{dial_now, DNC_AT_DIAL_REASON};
use crate::error::DomainError;
use crate::events::{DncAdded, Event, LeadImported, LeadMarkedDnc, SkipReason};
use crate::ids::{CallId, LeadId};
use crate::lead::{self, LeadCommand};
use crate::phone::{PhoneNumber, Region};
use crate::plans::{self, LeadInput};
use crate::policy::{ContactPolicy, Holiday, NumberCap, NumberHistory, Owner};
use crate::retry::{RetryPolicy, RETRYABLE_STATUSES};
use crate::status::{CallOutcome, LeadStatus};
use crate::testkit::*;

// --- helpers ---

const FLORIDA: &str = "+13055550100";
const PANHANDLE: &str = "+18505550100";
const NEW_YORK: &str = "+12125550100";
const OKLAHOMA: &str = "+14055550100";
const MARYLAND: &str = "+14105550100";
const TORONTO: &str = "+14165550100";
const INDIA: &str = "+919876543210";
const INDIA_2: &str = "+919876543211";
const INDIA_3: &str = "+919876543212";
const UK: &str = "+447911123456";

/// What an owner knows across campaigns, owned, so that tests can lend it
/// as an [`Owner`].
#[derive(Default)]
struct Facts {
    policy: ContactPolicy,
    dnc: BTreeSet<PhoneNumber>,
    numbers: BTreeMap<PhoneNumber, NumberHistory>,
}

impl Facts {
    fn owner(&self) -> Owner<'_> {
        Owner {
            policy: &self.policy,
            dnc: &self.dnc,
            numbers: &self.numbers,
        }
    }

    fn dialed(mut self, number: &str, instants: &[DateTime<Utc>]) -> Self {
        let history = self.numbers.entry(phone(number)).or_default();
        for instant in instants {
            history.record_dial(*instant);
        }
        self
    }

    fn abandoned(mut self, number: &str, instant: DateTime<Utc>) -> Self {
        self.numbers
            .entry(phone(number))
            .or_default()
            .record_abandoned(instant);
        self
    }

    fn listed(mut self, numbers: &[&str]) -> Self {
        self.dnc.extend(numbers.iter().map(|n| phone(n)));
        self
    }
}

/// The fixture settings with the jurisdiction rules on.
fn rules_on() -> CampaignSettings {
    let mut settings = settings();
    settings.jurisdiction_rules = true;
    settings
}

/// An active campaign with `settings` (its window open all day, in UTC).
fn active(settings: CampaignSettings) -> Campaign {
    active_with_one_lead_settings(settings).0
}

/// A new lead of `campaign` with these numbers, the main one first, and
/// its own zone when given.
fn lead_of(campaign: &Campaign, numbers: &[&str], timezone: Option<&str>) -> Lead {
    let (main, others) = numbers
        .split_first()
        .unwrap_or_else(|| panic!("a lead needs a number"));
    let event = Event::LeadImported(LeadImported {
        campaign_id: campaign.id,
        lead_id: lead_id(900),
        sequence: 900,
        phone: phone(main),
        name: None,
        priority: 0,
        timezone: timezone.map(|zone| zone.parse().unwrap_or_else(|e| panic!("{e}"))),
        contact_id: None,
        fields: Default::default(),
        at: at("2026-01-01T00:00:00Z"),
        alt_phones: others.iter().map(|n| phone(n)).collect(),
    });
    lead::evolve(None, &event).unwrap_or_else(|| panic!("no lead"))
}

/// Eligibility of a new lead with `number` under the jurisdiction rules,
/// nothing known across campaigns.
fn under_rules(number: &str, now: &str) -> Eligibility {
    let campaign = active(rules_on());
    eligibility(
        &lead_of(&campaign, &[number], None),
        &campaign,
        &Owner::detached(),
        at(now),
    )
}

fn not_before(instant: &str) -> Eligibility {
    Eligibility::NotBefore(at(instant))
}

fn seconds(n: i64) -> Duration {
    Duration::seconds(n)
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn region(code: &str) -> Region {
    code.parse().unwrap_or_else(|e| panic!("{e}"))
}

fn retry(delay_minutes: u32, max_attempts: u32) -> RetryPolicy {
    RetryPolicy::new(delay_minutes, max_attempts, &RETRYABLE_STATUSES)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Dials the lead's next number with `dial_now`, then ends the call with
/// `outcome` a minute later: the number dialed and the lead after.
fn dial_in_turn(
    lead: &Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
    call: CallId,
    outcome: CallOutcome,
    now: DateTime<Utc>,
) -> (PhoneNumber, Lead) {
    let events = dial_now(lead, campaign, owner, call, now).unwrap_or_else(|e| panic!("{e}"));
    let number = events
        .iter()
        .find_map(|event| match event {
            Event::LeadDialed(dialed) => Some(dialed.phone.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no dial in {events:?}"));
    let dialing = then_lead(lead, &events);
    let ended_lead = run(
        &dialing,
        campaign,
        LeadCommand::RecordCallReport {
            call_id: call,
            report: ended(outcome),
        },
        now + minutes(1),
    );
    (number, ended_lead)
}

// --- 1. the jurisdiction table, row by row ---

#[test]
fn florida_calls_from_8_to_8_local() {
    // given a Florida number (Eastern, EST in late November)
    // when and then: 07:59 is closed until 08:00 sharp, 19:59 is open,
    // 20:00 is closed until 08:00 the next day
    assert_eq!(
        under_rules(FLORIDA, "2026-11-20T12:59:00Z"),
        not_before("2026-11-20T13:00:00Z")
    );
    assert_eq!(
        under_rules(FLORIDA, "2026-11-20T13:00:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(FLORIDA, "2026-11-21T00:59:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(FLORIDA, "2026-11-21T01:00:00Z"),
        not_before("2026-11-21T13:00:00Z")
    );
}

#[test]
fn new_york_calls_from_8_to_9_local() {
    // given a New York number: the federal hours only
    // then 07:59 waits for 08:00, 20:59 is open, 21:00 waits for the morning
    assert_eq!(
        under_rules(NEW_YORK, "2026-11-20T12:59:00Z"),
        not_before("2026-11-20T13:00:00Z")
    );
    assert_eq!(
        under_rules(NEW_YORK, "2026-11-20T13:00:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(NEW_YORK, "2026-11-21T01:00:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(NEW_YORK, "2026-11-21T01:59:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(NEW_YORK, "2026-11-21T02:00:00Z"),
        not_before("2026-11-21T13:00:00Z")
    );
}

#[test]
fn oklahoma_calls_from_8_to_8_central() {
    // given an Oklahoma number (Central, CST)
    assert_eq!(
        under_rules(OKLAHOMA, "2026-11-20T13:59:00Z"),
        not_before("2026-11-20T14:00:00Z")
    );
    assert_eq!(
        under_rules(OKLAHOMA, "2026-11-20T14:00:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(OKLAHOMA, "2026-11-21T01:59:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(OKLAHOMA, "2026-11-21T02:00:00Z"),
        not_before("2026-11-21T14:00:00Z")
    );
}

#[test]
fn maryland_calls_from_8_to_8_eastern() {
    // given a Maryland number (Eastern)
    assert_eq!(
        under_rules(MARYLAND, "2026-11-20T12:59:00Z"),
        not_before("2026-11-20T13:00:00Z")
    );
    assert_eq!(
        under_rules(MARYLAND, "2026-11-20T13:00:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(MARYLAND, "2026-11-21T00:59:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(MARYLAND, "2026-11-21T01:00:00Z"),
        not_before("2026-11-21T13:00:00Z")
    );
}

#[test]
fn canada_calls_9_to_9_30_on_weekdays() {
    // given a Toronto number on Friday 2026-11-20 (EST)
    // then 08:59 waits for 09:00, 21:29 is open
    assert_eq!(
        under_rules(TORONTO, "2026-11-20T13:59:00Z"),
        not_before("2026-11-20T14:00:00Z")
    );
    assert_eq!(
        under_rules(TORONTO, "2026-11-20T14:00:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(TORONTO, "2026-11-21T02:29:00Z"),
        Eligibility::Eligible
    );
    // and 21:30 on Friday waits for Saturday's 10:00, not 09:00
    assert_eq!(
        under_rules(TORONTO, "2026-11-21T02:30:00Z"),
        not_before("2026-11-21T15:00:00Z")
    );
}

#[test]
fn canada_calls_10_to_6_on_weekends() {
    // given a Toronto number on Saturday 2026-11-21
    // then 09:59 waits for 10:00, 17:59 is open, 18:00 waits for Sunday 10:00
    assert_eq!(
        under_rules(TORONTO, "2026-11-21T14:59:00Z"),
        not_before("2026-11-21T15:00:00Z")
    );
    assert_eq!(
        under_rules(TORONTO, "2026-11-21T15:00:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(TORONTO, "2026-11-21T22:59:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(TORONTO, "2026-11-21T23:00:00Z"),
        not_before("2026-11-22T15:00:00Z")
    );
    // and Sunday 18:00 waits for Monday's 09:00
    assert_eq!(
        under_rules(TORONTO, "2026-11-22T23:00:00Z"),
        not_before("2026-11-23T14:00:00Z")
    );
}

#[test]
fn india_calls_from_9_to_9_ist() {
    // given an Indian number (IST, UTC+05:30)
    assert_eq!(
        under_rules(INDIA, "2026-11-20T03:29:00Z"),
        not_before("2026-11-20T03:30:00Z")
    );
    assert_eq!(
        under_rules(INDIA, "2026-11-20T03:30:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(INDIA, "2026-11-20T15:29:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(INDIA, "2026-11-20T15:30:00Z"),
        not_before("2026-11-21T03:30:00Z")
    );
}

#[test]
fn the_uk_calls_from_8_to_9_london_time() {
    // given a UK mobile in November (GMT)
    assert_eq!(
        under_rules(UK, "2026-11-20T07:59:00Z"),
        not_before("2026-11-20T08:00:00Z")
    );
    assert_eq!(
        under_rules(UK, "2026-11-20T08:00:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(UK, "2026-11-20T20:59:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(UK, "2026-11-20T21:00:00Z"),
        not_before("2026-11-21T08:00:00Z")
    );
    // and in summer (BST) the same wall clock is an hour earlier in UTC
    assert_eq!(
        under_rules(UK, "2026-07-01T06:59:00Z"),
        not_before("2026-07-01T07:00:00Z")
    );
    assert_eq!(
        under_rules(UK, "2026-07-01T20:00:00Z"),
        not_before("2026-07-02T07:00:00Z")
    );
}

#[test]
fn with_the_rules_off_no_jurisdiction_hours_apply() {
    // given the fixture settings (jurisdiction rules off)
    let campaign = active(settings());
    for number in [FLORIDA, NEW_YORK, TORONTO, INDIA, UK] {
        let lead = lead_of(&campaign, &[number], None);
        // when dialed in the middle of its night, then it is eligible
        let night = at("2026-11-20T07:00:00Z");
        assert_eq!(
            eligibility(&lead, &campaign, &Owner::detached(), night),
            Eligibility::Eligible,
            "{number}"
        );
    }
}

// --- 2. daylight saving ---

#[test]
fn eight_in_new_york_moves_in_utc_when_spring_forward() {
    // given a New York number around 2026-03-08 (EST → EDT at 02:00)
    // then Saturday's 08:00 EST is 13:00 UTC
    assert_eq!(
        under_rules(NEW_YORK, "2026-03-07T12:00:00Z"),
        not_before("2026-03-07T13:00:00Z")
    );
    // and from Saturday night (21:00 EST), Sunday's 08:00 EDT is 12:00 UTC
    assert_eq!(
        under_rules(NEW_YORK, "2026-03-08T02:00:00Z"),
        not_before("2026-03-08T12:00:00Z")
    );
    assert_eq!(
        under_rules(NEW_YORK, "2026-03-08T11:59:00Z"),
        not_before("2026-03-08T12:00:00Z")
    );
    assert_eq!(
        under_rules(NEW_YORK, "2026-03-08T12:00:00Z"),
        Eligibility::Eligible
    );
    // and Sunday closes at 21:00 EDT, 01:00 UTC
    assert_eq!(
        under_rules(NEW_YORK, "2026-03-09T00:59:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(NEW_YORK, "2026-03-09T01:00:00Z"),
        not_before("2026-03-09T12:00:00Z")
    );
}

#[test]
fn eight_in_new_york_moves_in_utc_when_falling_back() {
    // given a New York number around 2026-11-01 (EDT → EST at 02:00)
    // then Saturday's 08:00 EDT is 12:00 UTC
    assert_eq!(
        under_rules(NEW_YORK, "2026-10-31T11:59:00Z"),
        not_before("2026-10-31T12:00:00Z")
    );
    // and from Saturday 21:00 EDT, Sunday's 08:00 EST is 13:00 UTC
    assert_eq!(
        under_rules(NEW_YORK, "2026-11-01T01:00:00Z"),
        not_before("2026-11-01T13:00:00Z")
    );
    assert_eq!(
        under_rules(NEW_YORK, "2026-11-01T12:00:00Z"),
        not_before("2026-11-01T13:00:00Z")
    );
    assert_eq!(
        under_rules(NEW_YORK, "2026-11-01T13:00:00Z"),
        Eligibility::Eligible
    );
    // and Sunday closes at 21:00 EST, 02:00 UTC
    assert_eq!(
        under_rules(NEW_YORK, "2026-11-02T01:59:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(NEW_YORK, "2026-11-02T02:00:00Z"),
        not_before("2026-11-02T13:00:00Z")
    );
}

#[test]
fn canadian_weekend_hours_follow_the_clock_change() {
    // given a Toronto number on the Saturdays before each change
    // then Saturday 18:00 EST waits for Sunday 10:00 EDT (14:00 UTC)
    assert_eq!(
        under_rules(TORONTO, "2026-03-07T23:00:00Z"),
        not_before("2026-03-08T14:00:00Z")
    );
    // and Saturday 18:00 EDT waits for Sunday 10:00 EST (15:00 UTC)
    assert_eq!(
        under_rules(TORONTO, "2026-10-31T22:00:00Z"),
        not_before("2026-11-01T15:00:00Z")
    );
    assert_eq!(
        under_rules(TORONTO, "2026-11-01T22:59:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(TORONTO, "2026-11-01T23:00:00Z"),
        not_before("2026-11-02T14:00:00Z")
    );
}

// --- 3. an area code spanning two zones ---

#[test]
fn the_florida_panhandle_is_called_only_when_legal_in_both_zones() {
    // given an 850 number: Central and Eastern
    // then 08:00 Eastern (07:00 Central) is too early: it opens at 08:00
    // Central, 09:00 Eastern
    assert_eq!(
        under_rules(PANHANDLE, "2026-11-20T13:00:00Z"),
        not_before("2026-11-20T14:00:00Z")
    );
    assert_eq!(
        under_rules(PANHANDLE, "2026-11-20T13:59:00Z"),
        not_before("2026-11-20T14:00:00Z")
    );
    assert_eq!(
        under_rules(PANHANDLE, "2026-11-20T14:00:00Z"),
        Eligibility::Eligible
    );
    // and it closes at 20:00 Eastern, 19:00 Central
    assert_eq!(
        under_rules(PANHANDLE, "2026-11-21T00:59:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        under_rules(PANHANDLE, "2026-11-21T01:00:00Z"),
        not_before("2026-11-21T14:00:00Z")
    );
}

// --- 4. the lead's own zone ---

#[test]
fn the_leads_timezone_overrides_its_numbers_zone() {
    // given the jurisdiction rules on
    let campaign = active(rules_on());
    let check = |number: &str, zone: Option<&str>, now: &str| {
        let lead = lead_of(&campaign, &[number], zone);
        eligibility(&lead, &campaign, &Owner::detached(), at(now))
    };
    // when a Florida number's lead lives in Los Angeles
    // then 08:00 Eastern is 05:00 there: closed until 08:00 Pacific
    assert_eq!(
        check(FLORIDA, None, "2026-11-20T13:00:00Z"),
        Eligibility::Eligible
    );
    assert_eq!(
        check(FLORIDA, Some("America/Los_Angeles"), "2026-11-20T13:00:00Z"),
        not_before("2026-11-20T16:00:00Z")
    );
    // and a panhandle lead known to be on Eastern time opens at 08:00
    // Eastern, not 08:00 Central
    assert_eq!(
        check(PANHANDLE, Some("America/New_York"), "2026-11-20T13:00:00Z"),
        Eligibility::Eligible
    );
    // and an Indian number of a lead in London keeps India's hours, read
    // in London: 08:59 London waits for 09:00 London
    assert_eq!(
        check(INDIA, Some("Europe/London"), "2026-11-20T08:59:00Z"),
        not_before("2026-11-20T09:00:00Z")
    );
}

// --- 5. three calls in 24 hours ---

#[test]
fn the_fourth_call_in_24_hours_to_a_florida_number_waits() {
    // given a Florida number the owner dialed three times, from other
    // campaigns (this lead was never dialed)
    let campaign = active(rules_on());
    let lead = lead_of(&campaign, &[FLORIDA], None);
    assert!(lead.recent_dials.is_empty());
    let first = at("2026-11-20T15:00:00Z");
    let facts =
        Facts::default().dialed(FLORIDA, &[first, first + minutes(60), first + minutes(120)]);
    // when it would be dialed again at 13:00 local
    let now = at("2026-11-20T18:00:00Z");
    // then it waits until exactly 24 hours after the first dial
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), now),
        Eligibility::NotBefore(first + days(1))
    );
    assert_eq!(
        eligibility(
            &lead,
            &campaign,
            &facts.owner(),
            first + days(1) - seconds(1)
        ),
        Eligibility::NotBefore(first + days(1))
    );
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), first + days(1)),
        Eligibility::Eligible
    );
}

#[test]
fn oklahoma_and_maryland_cap_too_but_new_york_does_not() {
    // given each number dialed three times by the owner
    let campaign = active(rules_on());
    let first = at("2026-11-20T15:00:00Z");
    let dials = [first, first + minutes(60), first + minutes(120)];
    let now = at("2026-11-20T18:00:00Z");
    for (number, expected) in [
        (OKLAHOMA, Eligibility::NotBefore(first + days(1))),
        (MARYLAND, Eligibility::NotBefore(first + days(1))),
        (NEW_YORK, Eligibility::Eligible),
        (TORONTO, Eligibility::Eligible),
    ] {
        let facts = Facts::default().dialed(number, &dials);
        let lead = lead_of(&campaign, &[number], None);
        // then only the states with a cap hold it
        assert_eq!(
            eligibility(&lead, &campaign, &facts.owner(), now),
            expected,
            "{number}"
        );
    }
}

#[test]
fn with_the_rules_off_florida_is_not_capped() {
    // given a Florida number dialed three times, and the rules off
    let campaign = active(settings());
    let first = at("2026-11-20T15:00:00Z");
    let facts =
        Facts::default().dialed(FLORIDA, &[first, first + minutes(60), first + minutes(120)]);
    let lead = lead_of(&campaign, &[FLORIDA], None);
    // then it may be dialed a fourth time
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), at("2026-11-20T18:00:00Z")),
        Eligibility::Eligible
    );
}

// --- 6. the UK abandoned-call hold ---

#[test]
fn a_uk_number_whose_call_dropped_waits_72_hours() {
    // given a UK number whose call dropped at noon on Friday
    let campaign = active(rules_on());
    let lead = lead_of(&campaign, &[UK], None);
    let dropped = at("2026-11-20T12:00:00Z");
    let facts = Facts::default().abandoned(UK, dropped);
    // when it would be dialed an hour later
    // then it waits until exactly 72 hours after the drop
    let free = at("2026-11-23T12:00:00Z");
    for now in [dropped + minutes(60), free - seconds(1)] {
        assert_eq!(
            eligibility(&lead, &campaign, &facts.owner(), now),
            Eligibility::NotBefore(free)
        );
    }
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), free),
        Eligibility::Eligible
    );
}

#[test]
fn the_abandoned_hold_outlasts_the_leads_own_dropped_retry() {
    // given a UK lead whose call dropped (retried after 5 minutes) and
    // the owner's record of the drop
    let campaign = active(rules_on());
    let lead = lead_of(&campaign, &[UK], None);
    let dropped_lead = called(&lead, &campaign, call_id(1), CallOutcome::Dropped, t0());
    let dropped_at = t0() + minutes(1);
    assert_eq!(dropped_lead.status, LeadStatus::Dropped);
    let facts = Facts::default()
        .dialed(UK, &[t0()])
        .abandoned(UK, dropped_at);
    // when the retry delay has passed
    let now = dropped_at + minutes(10);
    // then the 72-hour hold wins
    assert_eq!(
        eligibility(&dropped_lead, &campaign, &facts.owner(), now),
        Eligibility::NotBefore(dropped_at + Duration::hours(72))
    );
}

#[test]
fn no_abandoned_hold_outside_the_uk_or_with_the_rules_off() {
    let dropped = at("2026-11-20T12:00:00Z");
    let now = at("2026-11-20T18:00:00Z");
    // given a New York number whose call dropped, rules on
    let campaign = active(rules_on());
    let facts = Facts::default().abandoned(NEW_YORK, dropped);
    let lead = lead_of(&campaign, &[NEW_YORK], None);
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), now),
        Eligibility::Eligible
    );
    // given a UK number whose call dropped, rules off
    let campaign = active(settings());
    let facts = Facts::default().abandoned(UK, dropped);
    let lead = lead_of(&campaign, &[UK], None);
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), now),
        Eligibility::Eligible
    );
}

// --- 7. the contact policy's caps ---

fn two_caps() -> ContactPolicy {
    ContactPolicy {
        per_number: vec![
            NumberCap {
                calls_max: 3,
                window_hours: 24,
            },
            NumberCap {
                calls_max: 7,
                window_hours: 168,
            },
        ],
        holidays: Vec::new(),
    }
    .validated()
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_strictest_cap_of_the_policy_wins() {
    // given 3 a day and 7 a week, and a number dialed on each of the last
    // five days and three times in the last three hours
    let (campaign, lead) = active_with_one_lead();
    let number = lead.phone.to_string();
    let dials = [
        t0() - days(6),
        t0() - days(5),
        t0() - days(4),
        t0() - days(3),
        t0() - days(2),
        t0() - minutes(180),
        t0() - minutes(120),
        t0() - minutes(60),
    ];
    let facts = Facts {
        policy: two_caps(),
        ..Facts::default()
    }
    .dialed(&number, &dials);
    // when it would be dialed now
    // then the daily cap lifts in 21 hours but the weekly one only when
    // the dial of 5 days ago leaves the week
    let free = t0() - days(5) + days(7);
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), t0()),
        Eligibility::NotBefore(free)
    );
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), free - seconds(1)),
        Eligibility::NotBefore(free)
    );
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), free),
        Eligibility::Eligible
    );
}

#[test]
fn the_daily_cap_wins_when_the_week_is_quiet() {
    // given only three dials in the last three hours
    let (campaign, lead) = active_with_one_lead();
    let number = lead.phone.to_string();
    let oldest = t0() - minutes(180);
    let facts = Facts {
        policy: two_caps(),
        ..Facts::default()
    }
    .dialed(&number, &[oldest, t0() - minutes(120), t0() - minutes(60)]);
    // then it is free the instant the oldest leaves the 24 hours
    let free = oldest + days(1);
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), t0()),
        Eligibility::NotBefore(free)
    );
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), free),
        Eligibility::Eligible
    );
    // and two dials do not hold it at all
    let facts = Facts {
        policy: two_caps(),
        ..Facts::default()
    }
    .dialed(&number, &[t0() - minutes(120), t0() - minutes(60)]);
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), t0()),
        Eligibility::Eligible
    );
}

// --- 8. holidays ---

fn holiday(date: &str, regions: &[&str]) -> ContactPolicy {
    ContactPolicy {
        per_number: Vec::new(),
        holidays: vec![Holiday {
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap_or_else(|e| panic!("{e}")),
            regions: regions.iter().map(|code| region(code)).collect(),
        }],
    }
    .validated()
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_us_holiday_holds_a_us_number_for_its_whole_local_date() {
    // given Christmas for US numbers, and the jurisdiction rules off
    let campaign = active(settings());
    let facts = Facts {
        policy: holiday("2026-12-25", &["US"]),
        ..Facts::default()
    };
    let lead = lead_of(&campaign, &[NEW_YORK], None);
    let check = |now: &str| eligibility(&lead, &campaign, &facts.owner(), at(now));
    // then 23:59 on the 24th in New York is open
    assert_eq!(check("2026-12-25T04:59:00Z"), Eligibility::Eligible);
    // and from local midnight it waits for local midnight of the 26th
    assert_eq!(
        check("2026-12-25T05:00:00Z"),
        not_before("2026-12-26T05:00:00Z")
    );
    assert_eq!(
        check("2026-12-26T04:59:00Z"),
        not_before("2026-12-26T05:00:00Z")
    );
    assert_eq!(check("2026-12-26T05:00:00Z"), Eligibility::Eligible);
}

#[test]
fn after_a_holiday_the_hours_still_apply() {
    // given Christmas for US numbers, and the jurisdiction rules on
    let campaign = active(rules_on());
    let facts = Facts {
        policy: holiday("2026-12-25", &["US"]),
        ..Facts::default()
    };
    let lead = lead_of(&campaign, &[NEW_YORK], None);
    // when it would be dialed at noon on Christmas
    // then it waits for 08:00 on the 26th, not midnight
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), at("2026-12-25T17:00:00Z")),
        not_before("2026-12-26T13:00:00Z")
    );
}

#[test]
fn a_us_holiday_does_not_hold_an_indian_number() {
    let campaign = active(rules_on());
    let facts = Facts {
        policy: holiday("2026-12-25", &["US"]),
        ..Facts::default()
    };
    let lead = lead_of(&campaign, &[INDIA], None);
    // 11:30 IST on Christmas
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), at("2026-12-25T06:00:00Z")),
        Eligibility::Eligible
    );
}

#[test]
fn an_indian_holiday_uses_indian_dates() {
    // given Christmas for Indian numbers, and the jurisdiction rules off
    let campaign = active(settings());
    let facts = Facts {
        policy: holiday("2026-12-25", &["IN"]),
        ..Facts::default()
    };
    let lead = lead_of(&campaign, &[INDIA], None);
    let check = |now: &str| eligibility(&lead, &campaign, &facts.owner(), at(now));
    // then 23:59 IST on the 24th is open; 00:00 IST on the 25th (still the
    // 24th in UTC) waits for 00:00 IST on the 26th (still the 25th in UTC)
    assert_eq!(check("2026-12-24T18:29:00Z"), Eligibility::Eligible);
    assert_eq!(
        check("2026-12-24T18:30:00Z"),
        not_before("2026-12-25T18:30:00Z")
    );
    assert_eq!(
        check("2026-12-25T18:29:00Z"),
        not_before("2026-12-25T18:30:00Z")
    );
    assert_eq!(check("2026-12-25T18:30:00Z"), Eligibility::Eligible);
    // and a New York number is not held by it
    let new_yorker = lead_of(&campaign, &[NEW_YORK], None);
    assert_eq!(
        eligibility(
            &new_yorker,
            &campaign,
            &facts.owner(),
            at("2026-12-25T12:00:00Z")
        ),
        Eligibility::Eligible
    );
}

// --- 9. Reg F ---

fn debt_collection(on: bool) -> Campaign {
    let mut settings = settings();
    settings.debt_collection = on;
    settings.retry = retry(0, 20);
    active(settings)
}

/// A lead called once at `t0`, then seven times an hour apart from `t0 +
/// 8 days`, each ending with no answer.
fn called_eight_times(campaign: &Campaign) -> (Lead, DateTime<Utc>) {
    let mut lead = lead_of(campaign, &[INDIA], None);
    lead = called(&lead, campaign, call_id(1), CallOutcome::NoAnswer, t0());
    let week_later = t0() + days(8);
    for n in 0..7 {
        let now = week_later + minutes(60 * n);
        lead = called(
            &lead,
            campaign,
            call_id(10 + n as u128),
            CallOutcome::NoAnswer,
            now,
        );
    }
    (lead, week_later)
}

#[test]
fn reg_f_holds_the_eighth_call_in_seven_days() {
    // given a debt-collection campaign and a lead dialed 7 times in the
    // last 7 hours (and once more, long before)
    let campaign = debt_collection(true);
    let (lead, first_of_seven) = called_eight_times(&campaign);
    assert_eq!(lead.round_attempts, 8);
    // when it would be dialed an 8th time
    let now = first_of_seven + minutes(7 * 60);
    // then it waits until the oldest of the last 7 is 7 days old
    let free = first_of_seven + days(7);
    assert_eq!(
        eligibility(&lead, &campaign, &Owner::detached(), now),
        Eligibility::NotBefore(free)
    );
    assert_eq!(
        eligibility(&lead, &campaign, &Owner::detached(), free - seconds(1)),
        Eligibility::NotBefore(free)
    );
    assert_eq!(
        eligibility(&lead, &campaign, &Owner::detached(), free),
        Eligibility::Eligible
    );
    assert_eq!(ready_at(&lead, &campaign), Ok(Some(free)));
}

#[test]
fn reg_f_leaves_a_week_of_quiet_after_an_answered_call() {
    // given a debt-collection campaign and a lead answered, then put on a
    // callback in two hours
    let campaign = debt_collection(true);
    let lead = lead_of(&campaign, &[INDIA], None);
    let answered = called(&lead, &campaign, call_id(1), CallOutcome::Answered, t0());
    let answered_at = t0() + minutes(1);
    let callback = run(
        &answered,
        &campaign,
        LeadCommand::Dispose {
            disposition: lead::DispositionRequest::Callback {
                at: t0() + minutes(120),
            },
            note: None,
        },
        t0() + minutes(5),
    );
    assert_eq!(callback.status, LeadStatus::Callback);
    // when the callback time comes
    // then it waits until 7 days after the answered call
    let free = answered_at + days(7);
    assert_eq!(
        eligibility(
            &callback,
            &campaign,
            &Owner::detached(),
            t0() + minutes(120)
        ),
        Eligibility::NotBefore(free)
    );
    assert_eq!(
        eligibility(&callback, &campaign, &Owner::detached(), free),
        Eligibility::Eligible
    );
}

#[test]
fn without_debt_collection_neither_reg_f_limit_applies() {
    // given the same histories in an ordinary campaign
    let campaign = debt_collection(false);
    let (lead, first_of_seven) = called_eight_times(&campaign);
    // then the 8th call goes at once
    assert_eq!(
        eligibility(
            &lead,
            &campaign,
            &Owner::detached(),
            first_of_seven + minutes(7 * 60)
        ),
        Eligibility::Eligible
    );
    // and the callback after an answered call goes at its time
    let fresh = lead_of(&campaign, &[INDIA_2], None);
    let answered = called(&fresh, &campaign, call_id(1), CallOutcome::Answered, t0());
    let callback = run(
        &answered,
        &campaign,
        LeadCommand::Dispose {
            disposition: lead::DispositionRequest::Callback {
                at: t0() + minutes(120),
            },
            note: None,
        },
        t0() + minutes(5),
    );
    assert_eq!(
        eligibility(
            &callback,
            &campaign,
            &Owner::detached(),
            t0() + minutes(120)
        ),
        Eligibility::Eligible
    );
}

// --- 10. delays per outcome ---

#[test]
fn each_outcome_waits_its_own_delay() {
    // given busy after 15 minutes, no answer after 240, the rest after 60
    let mut settings = settings();
    settings.retry = retry(60, 5)
        .with_delay_minutes_by_status(BTreeMap::from([
            (LeadStatus::Busy, 15),
            (LeadStatus::NoAnswer, 240),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
    let (campaign, lead) = active_with_one_lead_settings(settings);
    for (outcome, delay) in [
        (CallOutcome::Busy, 15),
        (CallOutcome::NoAnswer, 240),
        (CallOutcome::Failed, 60),
        (CallOutcome::Congestion, 60),
        (CallOutcome::Voicemail, 60),
        // dropped keeps its own delay: 5 minutes, the default
        (CallOutcome::Dropped, 5),
    ] {
        // when a call ends with the outcome
        let after = called(&lead, &campaign, call_id(1), outcome, t0());
        let ended_at = t0() + minutes(1);
        // then the lead waits exactly its delay
        let free = ended_at + minutes(delay);
        assert_eq!(
            eligibility(&after, &campaign, &Owner::detached(), free - seconds(1)),
            Eligibility::NotBefore(free),
            "{outcome:?}"
        );
        assert_eq!(
            eligibility(&after, &campaign, &Owner::detached(), free),
            Eligibility::Eligible,
            "{outcome:?}"
        );
    }
}

#[test]
fn dropped_has_its_own_delay_setting_not_a_delay_per_status() {
    // given a policy with a delay per status
    let by_status =
        retry(60, 5).with_delay_minutes_by_status(BTreeMap::from([(LeadStatus::Busy, 15)]));
    // then dropped may not be given one there
    assert!(retry(60, 5)
        .with_delay_minutes_by_status(BTreeMap::from([(LeadStatus::Dropped, 15)]))
        .is_err());
    // and its own setting is used instead
    let mut settings = settings();
    settings.retry = by_status
        .and_then(|policy| policy.with_dropped_delay_minutes(30))
        .unwrap_or_else(|e| panic!("{e}"));
    let (campaign, lead) = active_with_one_lead_settings(settings);
    let after = called(&lead, &campaign, call_id(1), CallOutcome::Dropped, t0());
    assert_eq!(
        eligibility(&after, &campaign, &Owner::detached(), t0() + minutes(2)),
        Eligibility::NotBefore(t0() + minutes(31))
    );
}

#[test]
fn a_retry_that_comes_due_after_hours_waits_for_the_morning() {
    // given a Florida lead whose call went unanswered at 19:29 local, retried
    // after an hour
    let mut settings = rules_on();
    settings.retry = retry(60, 5);
    let campaign = active(settings);
    let lead = lead_of(&campaign, &[FLORIDA], None);
    let after = called(
        &lead,
        &campaign,
        call_id(1),
        CallOutcome::NoAnswer,
        at("2026-11-21T00:29:00Z"),
    );
    // when the delay ends at 20:30 local, after Florida's 20:00
    // then it waits for 08:00 the next day: the strictest rule wins
    assert_eq!(
        eligibility(
            &after,
            &campaign,
            &Owner::detached(),
            at("2026-11-21T00:31:00Z")
        ),
        not_before("2026-11-21T13:00:00Z")
    );
}

// --- 11. several numbers per lead ---

fn three_numbers(max_attempts: u32) -> (Campaign, Lead) {
    let mut settings = settings();
    settings.retry = retry(0, max_attempts);
    let campaign = active(settings);
    let lead = lead_of(&campaign, &[INDIA, INDIA_2, INDIA_3], None);
    (campaign, lead)
}

#[test]
fn a_leads_numbers_are_dialed_in_turn() {
    // given a lead with a main and two other numbers, retried at once
    let (campaign, mut lead) = three_numbers(10);
    let facts = Facts::default();
    let mut dialed_numbers = Vec::new();
    // when it is dialed four times, each call unanswered
    for n in 0..4 {
        let now = t0() + minutes(10 * n);
        assert_eq!(
            choose_number(&lead, &campaign, &facts.owner(), now),
            lead.phones_in_turn().next().map(|(_, p)| p.clone())
        );
        let (number, after) = dial_in_turn(
            &lead,
            &campaign,
            &facts.owner(),
            call_id(n as u128 + 1),
            CallOutcome::NoAnswer,
            now,
        );
        dialed_numbers.push(number.to_string());
        lead = after;
    }
    // then it goes main, second, third, main again
    assert_eq!(dialed_numbers, [INDIA, INDIA_2, INDIA_3, INDIA]);
    assert_eq!(lead.last_phone_index, Some(0));
}

#[test]
fn a_number_on_the_dnc_list_is_skipped() {
    // given the second number on the owner's do-not-call list
    let (campaign, mut lead) = three_numbers(10);
    let facts = Facts::default().listed(&[INDIA_2]);
    let mut dialed_numbers = Vec::new();
    // when it is dialed three times
    for n in 0..3 {
        let (number, after) = dial_in_turn(
            &lead,
            &campaign,
            &facts.owner(),
            call_id(n as u128 + 1),
            CallOutcome::NoAnswer,
            t0() + minutes(10 * n),
        );
        dialed_numbers.push(number.to_string());
        lead = after;
    }
    // then the listed number is never dialed
    assert_eq!(dialed_numbers, [INDIA, INDIA_3, INDIA]);
    // and asking for it by name is refused
    let queued = run(&lead, &campaign, LeadCommand::Queue, t0() + minutes(40));
    let dial = LeadCommand::Dial {
        call_id: call_id(9),
        phone: phone(INDIA_2),
    };
    assert!(matches!(
        lead::decide_with(&queued, &campaign, &facts.owner(), dial, t0() + minutes(40)),
        Err(DomainError::NumberNotDialable { .. })
    ));
}

#[test]
fn a_number_outside_its_hours_is_skipped_while_another_is_open() {
    // given an Indian main number and a UK other number, rules on
    let mut settings = rules_on();
    settings.retry = retry(0, 10);
    let campaign = active(settings);
    let lead = lead_of(&campaign, &[INDIA, UK], None);
    let owner = Owner::detached();
    // when it is 02:00 in India and 20:30 in London
    let now = at("2026-11-20T20:30:00Z");
    // then the UK number is dialed
    assert_eq!(
        choose_number(&lead, &campaign, &owner, now),
        Some(phone(UK))
    );
    let (number, after) = dial_in_turn(
        &lead,
        &campaign,
        &owner,
        call_id(1),
        CallOutcome::NoAnswer,
        now,
    );
    assert_eq!(number, phone(UK));
    // and on the next attempt, India's turn, India is still closed: the UK
    // number again
    let later = now + minutes(20);
    assert_eq!(after.phones_in_turn().next().map(|(i, _)| i), Some(0));
    assert_eq!(
        choose_number(&after, &campaign, &owner, later),
        Some(phone(UK))
    );
    // and once London closes too, it waits for India's 09:00
    assert_eq!(
        eligibility(&after, &campaign, &owner, at("2026-11-20T21:00:00Z")),
        not_before("2026-11-21T03:30:00Z")
    );
    assert_eq!(
        choose_number(&after, &campaign, &owner, at("2026-11-21T03:30:00Z")),
        Some(phone(INDIA))
    );
}

#[test]
fn a_capped_number_is_skipped() {
    // given a Florida main number dialed three times today by the owner,
    // and a New York other number
    let mut settings = rules_on();
    settings.retry = retry(0, 10);
    let campaign = active(settings);
    let lead = lead_of(&campaign, &[FLORIDA, NEW_YORK], None);
    let first = at("2026-11-20T15:00:00Z");
    let facts =
        Facts::default().dialed(FLORIDA, &[first, first + minutes(60), first + minutes(120)]);
    let now = at("2026-11-20T18:00:00Z");
    // then the New York number is dialed
    assert_eq!(
        choose_number(&lead, &campaign, &facts.owner(), now),
        Some(phone(NEW_YORK))
    );
    assert!(!number_dialable(
        &lead,
        &campaign,
        &facts.owner(),
        &phone(FLORIDA),
        now
    ));
    let (number, _) = dial_in_turn(
        &lead,
        &campaign,
        &facts.owner(),
        call_id(1),
        CallOutcome::NoAnswer,
        now,
    );
    assert_eq!(number, phone(NEW_YORK));
    // and the Florida number may not be dialed by name
    let queued = lead::decide_with(&lead, &campaign, &facts.owner(), LeadCommand::Queue, now)
        .map(|events| then_lead(&lead, &events))
        .unwrap_or_else(|e| panic!("{e}"));
    let dial = LeadCommand::Dial {
        call_id: call_id(2),
        phone: phone(FLORIDA),
    };
    assert!(matches!(
        lead::decide_with(&queued, &campaign, &facts.owner(), dial, now),
        Err(DomainError::NumberNotDialable { .. })
    ));
}

#[test]
fn attempts_count_per_lead_not_per_number() {
    // given 3 attempts per lead, and a lead with three numbers
    let (campaign, mut lead) = three_numbers(3);
    let owner = Owner::detached();
    // when each number is dialed once, unanswered
    for n in 0..3 {
        let now = t0() + minutes(10 * n);
        lead = dial_in_turn(
            &lead,
            &campaign,
            &owner,
            call_id(n as u128 + 1),
            CallOutcome::NoAnswer,
            now,
        )
        .1;
    }
    // then the lead is done
    assert_eq!(
        eligibility(&lead, &campaign, &owner, t0() + minutes(60)),
        Eligibility::Never(NeverReason::AttemptsExhausted {
            attempts: 3,
            max: 3
        })
    );
}

#[test]
fn an_answered_call_on_any_number_finishes_the_lead() {
    // given a lead with three numbers whose main number did not answer
    let (campaign, lead) = three_numbers(10);
    let owner = Owner::detached();
    let (_, lead) = dial_in_turn(
        &lead,
        &campaign,
        &owner,
        call_id(1),
        CallOutcome::NoAnswer,
        t0(),
    );
    // when its second number answers
    let (number, lead) = dial_in_turn(
        &lead,
        &campaign,
        &owner,
        call_id(2),
        CallOutcome::Answered,
        t0() + minutes(10),
    );
    assert_eq!(number, phone(INDIA_2));
    // then the lead is answered, and the third number is never dialed
    assert_eq!(lead.status, LeadStatus::Answered);
    assert_eq!(
        eligibility(&lead, &campaign, &owner, t0() + minutes(20)),
        Eligibility::Never(NeverReason::Final(LeadStatus::Answered))
    );
    assert_eq!(
        choose_number(&lead, &campaign, &owner, t0() + minutes(20)),
        None
    );
}

#[test]
fn a_lead_all_of_whose_numbers_are_listed_is_marked_at_dial_time() {
    // given every number of a lead on the owner's do-not-call list
    let (campaign, lead) = three_numbers(10);
    let facts = Facts::default().listed(&[INDIA, INDIA_2, INDIA_3]);
    assert_eq!(
        eligibility(&lead, &campaign, &facts.owner(), t0()),
        Eligibility::Never(NeverReason::AllNumbersOnDnc)
    );
    // when the dialer dials it
    let events = dial_now(&lead, &campaign, &facts.owner(), call_id(1), t0())
        .unwrap_or_else(|e| panic!("{e}"));
    // then it is marked do-not-call and no call starts
    assert_eq!(
        events,
        vec![Event::LeadMarkedDnc(LeadMarkedDnc {
            campaign_id: campaign.id,
            lead_id: lead.id,
            reason: DNC_AT_DIAL_REASON.into(),
            at: t0(),
        })]
    );
    // and with one number left it is dialed on that one
    let facts = Facts::default().listed(&[INDIA, INDIA_3]);
    let (number, _) = dial_in_turn(
        &lead,
        &campaign,
        &facts.owner(),
        call_id(1),
        CallOutcome::NoAnswer,
        t0(),
    );
    assert_eq!(number, phone(INDIA_2));
}

// --- 12. opt-out ---

fn user() -> crate::user::User {
    let events = crate::user::create(None, OWNER, "Priya", None, "d", t0() - minutes(600))
        .unwrap_or_else(|e| panic!("{e}"));
    crate::user::replay(&events).unwrap_or_else(|| panic!("no user"))
}

fn then_user(user: &crate::user::User, events: &[Event]) -> crate::user::User {
    events
        .iter()
        .fold(Some(user.clone()), crate::user::evolve)
        .unwrap_or_else(|| panic!("user vanished"))
}

fn dnc_added(events: &[Event]) -> Vec<PhoneNumber> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::DncAdded(DncAdded { phone, .. }) => Some(phone.clone()),
            _ => None,
        })
        .collect()
}

fn marked(events: &[Event]) -> Vec<LeadId> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::LeadMarkedDnc(e) => Some(e.lead_id),
            _ => None,
        })
        .collect()
}

#[test]
fn listing_the_only_number_of_a_lead_marks_it() {
    // given a lead with one number
    let (_, lead) = active_with_one_lead();
    // when its number is added to the list
    let events = plans::add_dnc(
        &user(),
        &lead.phone,
        None,
        std::slice::from_ref(&lead),
        t0(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // then it is listed and the lead marked
    assert_eq!(dnc_added(&events), std::slice::from_ref(&lead.phone));
    assert_eq!(marked(&events), [lead.id]);
    assert_eq!(then_lead(&lead, &events).status, LeadStatus::Dnc);
}

#[test]
fn listing_one_of_several_numbers_leaves_the_lead_but_never_dials_it() {
    // given a lead with two numbers
    let (campaign, lead) = three_numbers(10);
    let lead = Lead {
        alt_phones: vec![phone(INDIA_2)],
        ..lead
    };
    let user = user();
    // when its main number is added to the list
    let events = plans::add_dnc(
        &user,
        &phone(INDIA),
        None,
        std::slice::from_ref(&lead),
        t0(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // then the lead is not marked
    assert_eq!(dnc_added(&events), [phone(INDIA)]);
    assert!(marked(&events).is_empty());
    let lead = then_lead(&lead, &events);
    assert_eq!(lead.status, LeadStatus::New);
    // and every later attempt dials the other number
    let user = then_user(&user, &events);
    let facts = Facts {
        dnc: user.dnc.clone(),
        ..Facts::default()
    };
    let mut current = lead.clone();
    for n in 0..3 {
        let (number, after) = dial_in_turn(
            &current,
            &campaign,
            &facts.owner(),
            call_id(n as u128 + 1),
            CallOutcome::NoAnswer,
            t0() + minutes(10 * n),
        );
        assert_eq!(number, phone(INDIA_2));
        current = after;
    }
    // and listing the other number too marks it
    let events = plans::add_dnc(
        &user,
        &phone(INDIA_2),
        None,
        std::slice::from_ref(&lead),
        t0(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(marked(&events), [lead.id]);
}

#[test]
fn a_dnc_disposition_lists_the_number_last_dialed_and_marks_the_lead() {
    // given a lead whose main number did not answer and whose second
    // number answered
    let (campaign, lead) = three_numbers(10);
    let owner = Owner::detached();
    let (_, lead) = dial_in_turn(
        &lead,
        &campaign,
        &owner,
        call_id(1),
        CallOutcome::NoAnswer,
        t0(),
    );
    let (_, lead) = dial_in_turn(
        &lead,
        &campaign,
        &owner,
        call_id(2),
        CallOutcome::Answered,
        t0() + minutes(10),
    );
    // when the person asks not to be called again
    let now = t0() + minutes(20);
    let events =
        plans::dnc_disposition(&user(), &lead, &campaign, std::slice::from_ref(&lead), now)
            .unwrap_or_else(|e| panic!("{e}"));
    // then the second number is listed, not the main one, and the lead is
    // marked
    assert_eq!(dnc_added(&events), [phone(INDIA_2)]);
    assert_eq!(marked(&events), [lead.id]);
    assert_eq!(then_lead(&lead, &events).status, LeadStatus::Dnc);
}

// --- 13. import with other numbers ---

fn row(main: &str, others: &[&str]) -> LeadInput {
    LeadInput {
        phone: main.to_owned(),
        alt_phones: others.iter().map(|n| (*n).to_owned()).collect(),
        ..LeadInput::default()
    }
}

#[test]
fn import_checks_other_numbers() {
    // given a campaign already holding +919876500001
    let campaign = draft();
    let existing = HashMap::from([(phone("+919876500001"), lead_id(1))]);
    let rows = vec![
        // 1: another number already in the campaign
        row("+919876500010", &["+919876500001"]),
        // 2: new
        row("+919876500020", &["+919876500021"]),
        // 3: another number shared with row 2
        row("+919876500030", &["+919876500021"]),
        // 4: five other numbers
        row(
            "+919876500040",
            &[
                "+919876500041",
                "+919876500042",
                "+919876500043",
                "+919876500044",
                "+919876500045",
            ],
        ),
        // 5: a second other number that is not a number
        row("+919876500050", &["+919876500051", "not a number"]),
        // 6: the main number repeated, one number written twice, an empty
        row(
            "+919876500060",
            &["+919876500060", "9876500061", "+91 98765 00061", " "],
        ),
        // 7: another number that is row 2's main number
        row("+919876500070", &["+919876500020"]),
    ];
    let mut next = 100;
    // when it is imported
    let (events, summary) = plans::import_leads(
        &campaign,
        &existing,
        |_| false,
        rows,
        || {
            next += 1;
            lead_id(next)
        },
        t0(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // then rows 2 and 6 are imported, rows 1, 3 and 7 are duplicates
    assert_eq!(summary.imported, 2);
    assert_eq!(summary.duplicates, 3);
    let skipped: Vec<(LeadId, SkipReason)> = events
        .iter()
        .filter_map(|event| match event {
            Event::LeadSkipped(e) => Some((e.lead_id, e.reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        skipped,
        [
            (lead_id(101), SkipReason::Duplicate { of: lead_id(1) }),
            (lead_id(103), SkipReason::Duplicate { of: lead_id(102) }),
            (lead_id(105), SkipReason::Duplicate { of: lead_id(102) }),
        ]
    );
    // and rows 4 and 5 are invalid, saying why
    let invalid: Vec<(usize, &str, &str)> = summary
        .invalid
        .iter()
        .map(|row| (row.row, row.phone.as_str(), row.error.as_str()))
        .collect();
    assert_eq!(invalid.len(), 2, "{invalid:?}");
    assert_eq!(
        invalid[0],
        (
            4,
            "+919876500040",
            "a lead has at most 4 other numbers, not 5"
        )
    );
    assert_eq!((invalid[1].0, invalid[1].1), (5, "+919876500050"));
    assert!(
        invalid[1].2.starts_with("phone3 `not a number`"),
        "{}",
        invalid[1].2
    );
    // and row 6 keeps one other number
    let leads = leads_from(&events);
    let row_6 = leads
        .iter()
        .find(|lead| lead.id == lead_id(104))
        .unwrap_or_else(|| panic!("no row 6"));
    assert_eq!(row_6.phone, phone("+919876500060"));
    assert_eq!(row_6.alt_phones, [phone("+919876500061")]);
}

#[test]
fn four_other_numbers_are_accepted() {
    let campaign = draft();
    let rows = vec![row(
        "+919876500040",
        &[
            "+919876500041",
            "+919876500042",
            "+919876500043",
            "+919876500044",
        ],
    )];
    let (events, summary) = plans::import_leads(
        &campaign,
        &HashMap::new(),
        |_| false,
        rows,
        || lead_id(1),
        t0(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.imported, 1);
    assert_eq!(leads_from(&events)[0].phones().count(), 5);
}

#[test]
fn an_invalid_second_number_names_phone2() {
    let campaign = draft();
    let (_, summary) = plans::import_leads(
        &campaign,
        &HashMap::new(),
        |_| false,
        vec![row("+919876500040", &["12"])],
        || lead_id(1),
        t0(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.invalid.len(), 1);
    assert!(
        summary.invalid[0].error.starts_with("phone2 `12`"),
        "{}",
        summary.invalid[0].error
    );
}

#[test]
fn an_invalid_other_number_is_named_by_its_place_even_after_an_empty_one() {
    // given a row whose second number is left empty, whose third is fine
    // and whose fourth is not a number
    let campaign = draft();
    let rows = vec![row("+919876500040", &["", "+919876500041", "bad"])];
    // when it is imported
    let (_, summary) = plans::import_leads(
        &campaign,
        &HashMap::new(),
        |_| false,
        rows,
        || lead_id(1),
        t0(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // then the error names phone4, where the bad number was written
    assert_eq!(summary.invalid.len(), 1);
    assert!(
        summary.invalid[0].error.starts_with("phone4 `bad`"),
        "{}",
        summary.invalid[0].error
    );
}
