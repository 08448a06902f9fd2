//! The checker, given / when / then: events as the log would hold them,
//! and the rules each dial broke.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use leadline_domain::campaign::CampaignSettings;
use leadline_domain::events::{
    CallEnded, CampaignCreated, CampaignUpdated, ContactPolicySet, DncAdded, LeadDialed,
    LeadImported, LeadRecycled, UserCreated, UserLimitChanged,
};
use leadline_domain::policy::{ContactPolicy, NumberCap};
use leadline_domain::{
    CallId, CampaignId, Event, LeadId, LeadStatus, PhoneNumber, RetryPolicy, UserId,
};
use leadline_storage::VerifyReport;

use super::*;

const NEW_YORK: &str = "+12125550100";
const FLORIDA: &str = "+13055550100";

/// Monday 2026-11-23 at `hh:mm` in New York (EST, UTC−5).
fn ny(hh: u32, mm: u32) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-11-23T{hh:02}:{mm:02}:00-05:00"))
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn phone(number: &str) -> PhoneNumber {
    PhoneNumber::parse(number, None).unwrap_or_else(|e| panic!("{number}: {e}"))
}

/// A log being written: events with their positions.
struct Given {
    events: Vec<Event>,
    next_call: u128,
}

impl Given {
    fn new() -> Given {
        Given {
            events: Vec::new(),
            next_call: 1,
        }
    }

    fn add(&mut self, event: Event) -> u64 {
        self.events.push(event);
        self.events.len() as u64
    }

    fn user(&mut self, id: u128, limit: u32) -> UserId {
        let user_id = UserId::from_u128(id);
        self.add(Event::UserCreated(UserCreated {
            user_id,
            name: "owner".into(),
            concurrent_calls_limit: limit,
            api_key_digest: String::new(),
            at: ny(0, 0),
        }));
        user_id
    }

    fn campaign(
        &mut self,
        id: u128,
        owner: UserId,
        adjust: impl FnOnce(&mut CampaignSettings),
    ) -> CampaignId {
        let campaign_id = CampaignId::from_u128(id);
        let mut settings = CampaignSettings::new("campaign").unwrap_or_else(|e| panic!("{e}"));
        adjust(&mut settings);
        self.add(Event::CampaignCreated(CampaignCreated {
            campaign_id,
            owner,
            settings,
            at: ny(0, 0),
        }));
        campaign_id
    }

    fn lead(&mut self, id: u128, campaign: CampaignId, number: &str) -> LeadId {
        let lead_id = LeadId::from_u128(id);
        self.add(Event::LeadImported(LeadImported {
            campaign_id: campaign,
            lead_id,
            sequence: id as u64,
            phone: phone(number),
            name: None,
            priority: 0,
            timezone: None,
            contact_id: None,
            fields: BTreeMap::new(),
            at: ny(0, 0),
            alt_phones: Vec::new(),
        }));
        lead_id
    }

    fn dial(
        &mut self,
        campaign: CampaignId,
        lead: LeadId,
        number: &str,
        at: DateTime<Utc>,
    ) -> (u64, CallId) {
        let call_id = CallId::from_u128(self.next_call);
        self.next_call += 1;
        let position = self.add(Event::LeadDialed(LeadDialed {
            campaign_id: campaign,
            lead_id: lead,
            call_id,
            attempt: 1,
            phone: phone(number),
            at,
        }));
        (position, call_id)
    }

    fn ended(
        &mut self,
        campaign: CampaignId,
        lead: LeadId,
        call_id: CallId,
        answered: bool,
        at: DateTime<Utc>,
    ) {
        let ended = CallEnded {
            campaign_id: campaign,
            lead_id: lead,
            call_id,
            provider_status: "completed".into(),
            duration_secs: None,
            error: None,
            provider_call_id: None,
            at,
        };
        self.add(if answered {
            Event::CallAnswered(ended)
        } else {
            Event::CallNoAnswer(ended)
        });
    }

    /// Dials and ends the call a minute later, unanswered.
    fn call(&mut self, campaign: CampaignId, lead: LeadId, number: &str, at: DateTime<Utc>) -> u64 {
        let (position, call) = self.dial(campaign, lead, number, at);
        self.ended(campaign, lead, call, false, at + Duration::minutes(1));
        position
    }

    fn report(&self, campaign: CampaignId, table: RulesTable) -> ComplianceReport {
        let mut audit = Audit::new(AuditRequest {
            campaign,
            from: None,
            to: None,
            table,
            system_limit: None,
        });
        for (i, event) in self.events.iter().enumerate() {
            audit.observe(i as u64 + 1, event);
        }
        audit.finish(&VerifyReport {
            ok: true,
            events: self.events.len() as u64,
            last_position: self.events.len() as u64,
            head_hash: "hash".into(),
            problems: Vec::new(),
            problems_total: 0,
        })
    }
}

fn rule<'r>(report: &'r ComplianceReport, name: &str) -> &'r RuleReport {
    report
        .rules
        .iter()
        .find(|r| r.rule == name)
        .unwrap_or_else(|| panic!("no rule {name} in {report:?}"))
}

/// Positions of the calls that broke `name`.
fn broken(report: &ComplianceReport, name: &str) -> Vec<u64> {
    rule(report, name)
        .violations
        .iter()
        .map(|v| v.position)
        .collect()
}

#[test]
fn a_dial_at_21_30_local_for_a_us_number_breaks_jurisdiction_hours() {
    // given a campaign with the jurisdiction rules on, and a New York lead
    let mut given = Given::new();
    let user = given.user(1, 10);
    let campaign = given.campaign(2, user, |_| {});
    let lead = given.lead(3, campaign, NEW_YORK);
    // when it is dialed at 20:59 and at 21:30 New York time
    let legal = given.call(campaign, lead, NEW_YORK, ny(20, 59));
    let late = given.call(campaign, lead, NEW_YORK, ny(21, 30));
    // then only the second breaks the TCPA's hours, said in local time
    let report = given.report(campaign, RulesTable::built_in());
    assert_eq!(broken(&report, "jurisdiction_hours"), vec![late]);
    assert_ne!(late, legal);
    let detail = &rule(&report, "jurisdiction_hours").violations[0].detail;
    assert!(
        detail.contains("21:30 EST (America/New_York)") && detail.contains("08:00–21:00"),
        "{detail}"
    );
    assert_eq!(rule(&report, "jurisdiction_hours").calls_checked, 2);
    assert!(!report.ok);
    assert_eq!(report.calls, 2);
    assert_eq!(report.checked_through_position, given.events.len() as u64);
}

#[test]
fn rules_that_do_not_apply_check_nothing_and_every_rule_is_listed() {
    // given a campaign with the jurisdiction rules off
    let mut given = Given::new();
    let user = given.user(1, 10);
    let campaign = given.campaign(2, user, |s| s.jurisdiction_rules = false);
    let lead = given.lead(3, campaign, FLORIDA);
    // when its Florida lead is dialed at 23:00
    given.call(campaign, lead, FLORIDA, ny(23, 0));
    // then no jurisdiction rule checked it, and the report is clean
    let report = given.report(campaign, RulesTable::built_in());
    assert!(report.ok, "{report:?}");
    let names: Vec<&str> = report.rules.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(names, Rule::ALL.map(Rule::name).to_vec());
    assert_eq!(rule(&report, "jurisdiction_hours").calls_checked, 0);
    assert_eq!(rule(&report, "jurisdiction_cap").calls_checked, 0);
    assert_eq!(rule(&report, "local_hours").calls_checked, 0);
    assert_eq!(rule(&report, "campaign_window").calls_checked, 1);
    assert_eq!(rule(&report, "dnc").calls_checked, 1);
}

#[test]
fn a_fourth_call_to_a_florida_number_in_24_hours_across_two_campaigns_breaks_the_cap() {
    // given two campaigns of one owner calling the same Florida number
    let mut given = Given::new();
    let user = given.user(1, 10);
    let first = given.campaign(2, user, |_| {});
    let second = given.campaign(3, user, |_| {});
    let a = given.lead(4, first, FLORIDA);
    let b = given.lead(5, second, FLORIDA);
    // when the first dials it twice and the second twice, within hours
    given.call(first, a, FLORIDA, ny(9, 0));
    given.call(second, b, FLORIDA, ny(10, 0));
    given.call(first, a, FLORIDA, ny(11, 0));
    let fourth = given.call(second, b, FLORIDA, ny(12, 0));
    // then the fourth breaks Florida's cap, in the second campaign's report
    let report = given.report(second, RulesTable::built_in());
    assert_eq!(broken(&report, "jurisdiction_cap"), vec![fourth]);
    let detail = &rule(&report, "jurisdiction_cap").violations[0].detail;
    assert!(
        detail.contains("4th") && detail.contains("Florida"),
        "{detail}"
    );
    // and the first campaign's own calls broke nothing
    assert!(given.report(first, RulesTable::built_in()).ok);
}

#[test]
fn a_dial_after_the_number_is_listed_do_not_call_breaks_dnc_and_one_before_does_not() {
    // given a lead dialed once
    let mut given = Given::new();
    let user = given.user(1, 10);
    let campaign = given.campaign(2, user, |_| {});
    let lead = given.lead(3, campaign, NEW_YORK);
    let before = given.call(campaign, lead, NEW_YORK, ny(10, 0));
    // when its number is listed, then it is dialed again
    given.add(Event::DncAdded(DncAdded {
        user_id: user,
        phone: phone(NEW_YORK),
        reason: None,
        at: ny(10, 30),
    }));
    let after = given.call(campaign, lead, NEW_YORK, ny(11, 0));
    // then only the dial after the listing breaks dnc
    let report = given.report(campaign, RulesTable::built_in());
    assert_eq!(broken(&report, "dnc"), vec![after]);
    assert_ne!(before, after);
    assert_eq!(rule(&report, "dnc").calls_checked, 2);
}

#[test]
fn reg_f_allows_seven_dials_a_week_and_none_for_a_week_after_an_answer() {
    // given a debt-collection campaign
    let mut given = Given::new();
    let user = given.user(1, 10);
    let campaign = given.campaign(2, user, |s| {
        s.debt_collection = true;
        s.retry = RetryPolicy::default()
            .with_max_attempts(20)
            .unwrap_or_default();
    });
    let lead = given.lead(3, campaign, NEW_YORK);
    let other = given.lead(4, campaign, "+12125550199");
    // when one lead is dialed 8 times in 8 hours
    let dials: Vec<u64> = (0..8)
        .map(|i| given.call(campaign, lead, NEW_YORK, ny(9 + i, 0)))
        .collect();
    // and another is answered, then dialed two days later
    let (_, call) = given.dial(campaign, other, "+12125550199", ny(9, 30));
    given.ended(campaign, other, call, true, ny(9, 31));
    let too_soon = given.call(
        campaign,
        other,
        "+12125550199",
        ny(9, 30) + Duration::days(2),
    );
    // then the 8th dial and the dial after the answer break Reg F
    let report = given.report(campaign, RulesTable::built_in());
    assert_eq!(broken(&report, "debt_collection"), vec![dials[7], too_soon]);
}

#[test]
fn attempts_count_per_round_and_a_recycle_starts_a_new_round() {
    // given a campaign allowing 2 attempts
    let mut given = Given::new();
    let user = given.user(1, 10);
    let campaign = given.campaign(2, user, |s| {
        s.retry = RetryPolicy::default()
            .with_max_attempts(2)
            .unwrap_or_default();
    });
    let lead = given.lead(3, campaign, NEW_YORK);
    // when it is dialed twice, recycled, dialed twice more, then again
    given.call(campaign, lead, NEW_YORK, ny(9, 0));
    given.call(campaign, lead, NEW_YORK, ny(10, 0));
    given.add(Event::LeadRecycled(LeadRecycled {
        campaign_id: campaign,
        lead_id: lead,
        from: LeadStatus::NoAnswer,
        to: LeadStatus::New,
        reset_dial_count: false,
        reason: "again".into(),
        at: ny(10, 30),
    }));
    given.call(campaign, lead, NEW_YORK, ny(11, 0));
    given.call(campaign, lead, NEW_YORK, ny(12, 0));
    let fifth = given.call(campaign, lead, NEW_YORK, ny(13, 0));
    // then only the third dial of the second round breaks max_attempts
    let report = given.report(campaign, RulesTable::built_in());
    assert_eq!(broken(&report, "max_attempts"), vec![fifth]);
}

#[test]
fn calls_in_flight_over_the_users_limit_are_named() {
    // given a user allowed 2 calls at once
    let mut given = Given::new();
    let user = given.user(1, 2);
    let campaign = given.campaign(2, user, |_| {});
    let leads: Vec<(LeadId, String)> = (0..4)
        .map(|i| {
            let number = format!("+1212555010{i}");
            (given.lead(10 + i, campaign, &number), number)
        })
        .collect();
    // when three calls ring at once, then one ends and another starts
    let (_, first) = given.dial(campaign, leads[0].0, &leads[0].1, ny(10, 0));
    given.dial(campaign, leads[1].0, &leads[1].1, ny(10, 0));
    let (third, _) = given.dial(campaign, leads[2].0, &leads[2].1, ny(10, 0));
    given.ended(campaign, leads[0].0, first, false, ny(10, 1));
    given.add(Event::UserLimitChanged(UserLimitChanged {
        user_id: user,
        concurrent_calls_limit: 3,
        at: ny(10, 1),
    }));
    let (fourth, _) = given.dial(campaign, leads[3].0, &leads[3].1, ny(10, 2));
    // then the third broke the limit of 2; the fourth is the third in
    // flight under the new limit of 3
    let report = given.report(campaign, RulesTable::built_in());
    assert_eq!(broken(&report, "calls_in_flight"), vec![third]);
    assert_ne!(third, fourth);
    assert_eq!(report.system_in_flight_max, 3);
}

#[test]
fn a_rules_file_lowering_floridas_cap_flags_calls_the_built_in_table_allowed() {
    // given three calls a day to a Florida number
    let mut given = Given::new();
    let user = given.user(1, 10);
    let campaign = given.campaign(2, user, |_| {});
    let lead = given.lead(3, campaign, FLORIDA);
    given.call(campaign, lead, FLORIDA, ny(9, 0));
    given.call(campaign, lead, FLORIDA, ny(10, 0));
    let third = given.call(campaign, lead, FLORIDA, ny(11, 0));
    assert!(given.report(campaign, RulesTable::built_in()).ok);
    // when Florida's cap is 2 a day in a rules file
    let file = br#"{"rules": [{"id": "US-FL", "country": "US", "subdivision": "FL",
        "weekday_hours": "08:00-20:00", "weekend_hours": "08:00-20:00",
        "cap": {"calls_max": 2, "window_hours": 24},
        "zones": ["America/New_York"], "source": "a stricter reading"}]}"#;
    let table = RulesTable::from_json(file).unwrap_or_else(|e| panic!("{e}"));
    // then the third call breaks it, and the report names the file
    let report = given.report(campaign, table);
    assert_eq!(broken(&report, "jurisdiction_cap"), vec![third]);
    assert!(
        report.rules_table.starts_with("file blake3:"),
        "{}",
        report.rules_table
    );
}

#[test]
fn local_hours_and_the_campaign_window_are_read_in_their_zones() {
    // given a campaign open 09:00–17:00 in Kolkata with local hours 09:00–20:00
    let mut given = Given::new();
    let user = given.user(1, 10);
    let campaign = given.campaign(2, user, |s| {
        s.jurisdiction_rules = false;
        s.timezone = "Asia/Kolkata".parse().unwrap_or(s.timezone);
        s.hours = leadline_domain::DailyHours::new(
            "09:00".parse().unwrap_or(s.hours.start),
            "17:00".parse().unwrap_or(s.hours.end),
        );
        s.local_hours = Some(leadline_domain::DailyHours::new(
            "09:00".parse().unwrap_or(s.hours.start),
            "20:00".parse().unwrap_or(s.hours.end),
        ));
    });
    let lead = given.lead(3, campaign, NEW_YORK);
    // when the New York lead is dialed at 08:00 New York (18:30 Kolkata)
    let early = given.call(campaign, lead, NEW_YORK, ny(8, 0));
    // then both rules are broken, each told in its own zone
    let report = given.report(campaign, RulesTable::built_in());
    assert_eq!(broken(&report, "local_hours"), vec![early]);
    assert_eq!(broken(&report, "campaign_window"), vec![early]);
    let local = &rule(&report, "local_hours").violations[0].detail;
    assert!(
        local.contains("08:00 EST (America/New_York); local hours 09:00–20:00"),
        "{local}"
    );
    let window = &rule(&report, "campaign_window").violations[0].detail;
    assert!(window.contains("Asia/Kolkata"), "{window}");
}

#[test]
fn the_owners_caps_and_settings_are_those_in_force_at_each_dial() {
    // given a cap of 1 call per number a day
    let mut given = Given::new();
    let user = given.user(1, 10);
    let campaign = given.campaign(2, user, |_| {});
    let lead = given.lead(3, campaign, NEW_YORK);
    given.add(Event::ContactPolicySet(ContactPolicySet {
        user_id: user,
        policy: ContactPolicy {
            per_number: vec![NumberCap {
                calls_max: 1,
                window_hours: 24,
            }],
            holidays: Vec::new(),
        },
        at: ny(0, 0),
    }));
    given.call(campaign, lead, NEW_YORK, ny(9, 0));
    let second = given.call(campaign, lead, NEW_YORK, ny(10, 0));
    // when the campaign turns its jurisdiction rules off, and dials late
    let mut settings = CampaignSettings::new("campaign").unwrap_or_else(|e| panic!("{e}"));
    settings.jurisdiction_rules = false;
    given.add(Event::CampaignUpdated(CampaignUpdated {
        campaign_id: campaign,
        settings,
        at: ny(11, 0),
    }));
    let late = given.call(campaign, lead, NEW_YORK, ny(22, 0));
    // then the cap is broken twice, the hours never
    let report = given.report(campaign, RulesTable::built_in());
    assert_eq!(broken(&report, "contact_cap"), vec![second, late]);
    assert!(broken(&report, "jurisdiction_hours").is_empty());
    assert_eq!(rule(&report, "jurisdiction_hours").calls_checked, 2);
}

#[test]
fn a_rules_file_is_refused_with_the_row_and_field_named() {
    let refused = |json: &str| match RulesTable::from_json(json.as_bytes()) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => e.to_string(),
    };
    let row = |extra: &str| {
        format!(
            r#"{{"rules": [{{"id": "US", "country": "US", "weekday_hours": "08:00-21:00",
            "zones": ["America/New_York"], "source": "TCPA"{extra}}}]}}"#
        )
    };
    assert!(RulesTable::from_json(row("").as_bytes()).is_ok());
    let unknown = refused(&row(r#", "capp": 3"#));
    assert!(
        unknown.contains("rules[0] (US)") && unknown.contains("capp"),
        "{unknown}"
    );
    let zone = refused(&row("").replace("America/New_York", "America/Gotham"));
    assert!(zone.contains("America/Gotham"), "{zone}");
    let hours = refused(&row("").replace("08:00-21:00", "21:00-08:00"));
    assert!(hours.contains("weekday_hours"), "{hours}");
    let shape = refused(r#"{"rows": []}"#);
    assert!(shape.contains("rows"), "{shape}");
    let big = vec![b' '; table::RULES_FILE_BYTES_MAX + 1];
    assert!(matches!(
        RulesTable::from_json(&big),
        Err(RulesFileError::TooLarge { .. })
    ));
    let twice = format!(
        r#"{{"rules": [{0}, {0}]}}"#,
        r#"{"id": "X", "country": "US", "weekday_hours": "08:00-21:00", "zones": ["UTC"], "source": "s"}"#
    );
    assert!(refused(&twice).contains("rules[1] (X)"));
}

#[test]
fn the_built_in_table_is_the_domains() {
    let table = RulesTable::built_in();
    assert_eq!(table.rows.len(), leadline_domain::jurisdiction::RULES.len());
    let canada = table
        .rows
        .iter()
        .find(|r| r.id == "CA")
        .map(|r| r.weekday_hours.to_string());
    assert_eq!(canada.as_deref(), Some("09:00–21:30"));
    assert_eq!(table.origin, "built-in");
}

#[test]
fn a_uk_number_redialled_within_72_hours_of_a_dropped_call_breaks_the_hold() {
    // given a UK lead whose call dropped on Monday at 10:00 London time
    const UK: &str = "+447911123456";
    let london = |day: i64, hh: u32| {
        DateTime::parse_from_rfc3339(&format!("2026-11-23T{hh:02}:00:00Z"))
            .map(|t| t.with_timezone(&Utc) + Duration::days(day))
            .unwrap_or_default()
    };
    let mut given = Given::new();
    let user = given.user(1, 10);
    let campaign = given.campaign(2, user, |s| {
        s.retry = RetryPolicy::default()
            .with_max_attempts(5)
            .unwrap_or_default();
    });
    let lead = given.lead(3, campaign, UK);
    let (_, call) = given.dial(campaign, lead, UK, london(0, 10));
    given.add(Event::CallDropped(CallEnded {
        campaign_id: campaign,
        lead_id: lead,
        call_id: call,
        provider_status: "dropped".into(),
        duration_secs: Some(3),
        error: None,
        provider_call_id: None,
        at: london(0, 10),
    }));
    // when it is dialed again on Wednesday, then on Thursday after 10:00
    let wednesday = given.call(campaign, lead, UK, london(2, 10));
    given.call(campaign, lead, UK, london(3, 11));
    // then only Wednesday's dial breaks the hold
    let report = given.report(campaign, RulesTable::built_in());
    assert_eq!(broken(&report, "abandoned_hold"), vec![wednesday]);
    assert_eq!(rule(&report, "abandoned_hold").calls_checked, 3);
}

#[test]
fn only_dials_in_the_range_are_judged_but_all_earlier_ones_count() {
    // given three dials of a Florida number, an hour apart, then a fourth
    let mut given = Given::new();
    let user = given.user(1, 10);
    let campaign = given.campaign(2, user, |_| {});
    let lead = given.lead(3, campaign, FLORIDA);
    for hh in [9, 10, 11] {
        given.call(campaign, lead, FLORIDA, ny(hh, 0));
    }
    let fourth = given.call(campaign, lead, FLORIDA, ny(12, 0));
    // when the report covers 11:30 to 13:00 only
    let mut audit = Audit::new(AuditRequest {
        campaign,
        from: Some(ny(11, 30)),
        to: Some(ny(13, 0)),
        table: RulesTable::built_in(),
        system_limit: None,
    });
    for (i, event) in given.events.iter().enumerate() {
        audit.observe(i as u64 + 1, event);
    }
    let report = audit.finish(&VerifyReport {
        ok: true,
        events: 0,
        last_position: given.events.len() as u64,
        head_hash: "hash".into(),
        problems: Vec::new(),
        problems_total: 0,
    });
    // then one call is judged, and the cap counts the three before it
    assert_eq!(report.calls, 1);
    assert_eq!(broken(&report, "jurisdiction_cap"), vec![fourth]);
}

#[test]
fn a_log_that_does_not_verify_is_never_ok() {
    // given a clean campaign
    let mut given = Given::new();
    let user = given.user(1, 10);
    let campaign = given.campaign(2, user, |_| {});
    let lead = given.lead(3, campaign, NEW_YORK);
    given.call(campaign, lead, NEW_YORK, ny(10, 0));
    let mut audit = Audit::new(AuditRequest {
        campaign,
        from: None,
        to: None,
        table: RulesTable::built_in(),
        system_limit: None,
    });
    for (i, event) in given.events.iter().enumerate() {
        audit.observe(i as u64 + 1, event);
    }
    // when the log's verification found a problem
    let report = audit.finish(&VerifyReport {
        ok: false,
        events: 0,
        last_position: given.events.len() as u64,
        head_hash: "hash".into(),
        problems: Vec::new(),
        problems_total: 1,
    });
    // then the report says so and is not ok, though no rule was broken
    assert_eq!(report.violations_total, 0);
    assert!(!report.log_verified && !report.ok);
    assert_eq!(report.log_problems, 1);
}
