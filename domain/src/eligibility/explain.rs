//! Why a lead is not called: every rule that holds it back at an
//! instant, each with a sentence and the instant it stops holding. Built
//! on the very decisions the dialer uses ([`super::eligibility`],
//! [`super::ready_at`]'s parts, [`super::number_rules`]), not on a second
//! copy of the rules.

use chrono::{DateTime, Utc};

use super::{
    daily_cap_lifts_at, debt_collection_lifts_at, eligibility, number_rules, Eligibility,
    NeverReason, Rule,
};
use crate::campaign::Campaign;
use crate::lead::Lead;
use crate::policy::Owner;
use crate::status::{CampaignStatus, LeadCategory, LeadStatus};
use crate::time::{LocalWindow, Zone};

/// One rule holding a lead back.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Hold {
    /// The rule.
    pub rule: Rule,
    /// What holds, for a person.
    pub detail: String,
    /// When it stops holding, when waiting will do.
    pub until: Option<DateTime<Utc>>,
}

/// Where a lead stands at an instant.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Standing {
    /// It may be dialed now.
    Eligible,
    /// A call to it is in flight.
    InFlight,
    /// Its status is final: nothing is left to do for it.
    Finished,
    /// Rules hold it back.
    Held,
}

/// A lead's eligibility, explained.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Explanation {
    /// Where it stands.
    pub standing: Standing,
    /// When it may be dialed (`at` itself when eligible), when known.
    pub eligible_at: Option<DateTime<Utc>>,
    /// Every rule holding it back, in the rules' order.
    pub reasons: Vec<Hold>,
}

impl Explanation {
    /// The first rule holding it back, in the rules' order.
    pub fn first_rule(&self) -> Option<Rule> {
        self.reasons.first().map(|hold| hold.rule)
    }
}

/// Why `lead` may or may not be dialed at `at`.
pub fn explain(
    lead: &Lead,
    campaign: &Campaign,
    owner: &Owner<'_>,
    at: DateTime<Utc>,
) -> Explanation {
    let verdict = eligibility(lead, campaign, owner, at);
    let eligible_at = match verdict {
        Eligibility::Eligible => Some(at),
        Eligibility::NotBefore(until) => Some(until),
        Eligibility::Never(_) => None,
    };
    let done = |standing| Explanation {
        standing,
        eligible_at,
        reasons: Vec::new(),
    };
    if verdict.is_eligible() {
        return done(Standing::Eligible);
    }
    if lead.in_flight.is_some() || lead.status == LeadStatus::Dialing {
        return done(Standing::InFlight);
    }
    let policy = &campaign.settings.retry;
    let status = lead.effective_status();
    if status.category(policy) == LeadCategory::Final {
        return done(Standing::Finished);
    }
    let zone = campaign.settings.timezone.tz();
    let when = |t: DateTime<Utc>| {
        t.with_timezone(&zone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    };
    let mut reasons = Vec::new();
    let mut hold = |rule: Rule, detail: String, until: Option<DateTime<Utc>>| {
        reasons.push(Hold {
            rule,
            detail,
            until,
        });
    };
    if campaign.status != CampaignStatus::Active {
        hold(
            Rule::CampaignStatus,
            format!("the campaign is {}, not active", campaign.status),
            None,
        );
    }
    if let Some(start) = campaign.starts_at().filter(|start| *start > at) {
        hold(
            Rule::StartDate,
            format!("the campaign starts on {}", when(start)),
            Some(start),
        );
    }
    let window = campaign.calling_window();
    if !window.is_open(at) {
        let opens = window.next_open(at);
        hold(
            Rule::CampaignWindow,
            format!(
                "the campaign calls {}–{} {}",
                window.hours.start, window.hours.end, window.zone
            ),
            opens,
        );
    }
    if matches!(status, s if policy.retries(s)) && lead.round_attempts >= policy.max_attempts() {
        hold(
            Rule::MaxAttempts,
            format!(
                "dialed {} times this round, the maximum is {} (a recycle starts a new round)",
                lead.round_attempts,
                policy.max_attempts()
            ),
            None,
        );
    } else if policy.retries(status) {
        let since = lead.last_result_at.unwrap_or(lead.last_status_change);
        let delay = policy.delay_after(status);
        let ready = since + delay;
        if ready > at {
            hold(
                Rule::RetryDelay,
                format!(
                    "last call ended {} ({status}); retry delay {} min",
                    when(since),
                    delay.num_minutes()
                ),
                Some(ready),
            );
        }
    }
    if status == LeadStatus::Callback {
        if let Some(callback) = lead.callback_at.filter(|t| *t > at) {
            hold(
                Rule::CallbackTime,
                format!("to be called back at {}", when(callback)),
                Some(callback),
            );
        }
    }
    if let Some(lifts) = daily_cap_lifts_at(lead, campaign).filter(|t| *t > at) {
        hold(
            Rule::DailyCap,
            format!(
                "{} dials in the last 24 h, the campaign's cap per day",
                lead.dials_in_day_before(at)
            ),
            Some(lifts),
        );
    }
    if let Some(lifts) = debt_collection_lifts_at(lead, campaign).filter(|t| *t > at) {
        hold(
            Rule::DebtCollection,
            "debt collection: at most 7 calls in 7 days, none within 7 days after an answered call"
                .to_owned(),
            Some(lifts),
        );
    }
    // The numbers: held only when none of them may be dialed.
    let never_together = matches!(
        verdict,
        Eligibility::Never(NeverReason::NoCommonCallingHours)
    );
    let campaign_window = window;
    let numbers = number_rules(lead, campaign, owner);
    let dialable = numbers
        .iter()
        .any(|n| n.is_open(at) && n.free_at.is_none_or(|free| free <= at));
    if !dialable {
        for phone in lead.phones().filter(|phone| owner.is_dnc(phone)) {
            hold(
                Rule::Dnc,
                format!("{phone} is on the do-not-call list"),
                None,
            );
        }
        for number in &numbers {
            let phone = number.phone;
            // Each rule once per number, with every window of it that is
            // closed: it stops holding when the last of them opens.
            let mut closed: Vec<(Rule, Vec<ZonedHours>, Option<DateTime<Utc>>)> = Vec::new();
            for (window, rule) in number.windows.iter().zip(&number.window_rules) {
                if window.is_open(at) {
                    continue;
                }
                let text = window_text(window, at);
                let opens = window.next_open(at);
                match closed.iter_mut().find(|(r, _, _)| r == rule) {
                    Some((_, texts, until)) => {
                        if !texts.contains(&text) {
                            texts.push(text);
                        }
                        *until = match (*until, opens) {
                            (Some(a), Some(b)) => Some(a.max(b)),
                            _ => None,
                        };
                    }
                    None => closed.push((*rule, vec![text], opens)),
                }
            }
            for (rule, texts, until) in closed {
                let what = match rule {
                    Rule::Holiday => "a holiday of the contact policy",
                    Rule::LocalHours => "outside the campaign's local hours",
                    _ => "outside its jurisdiction's hours",
                };
                let mut detail = format!("{phone}: {what}, {}", windows_text(&texts, at));
                if never_together {
                    detail.push_str(&format!(
                        "; the campaign's window ({}–{} {}) never falls inside them, so this \
                         number is never dialed",
                        campaign_window.hours.start,
                        campaign_window.hours.end,
                        campaign_window.zone
                    ));
                }
                hold(rule, detail, until);
            }
            for (rule, until) in number.holds.iter().filter(|(_, until)| *until > at) {
                let what = hold_text(*rule, *until, phone, owner, at);
                hold(*rule, format!("{phone}: {what}"), Some(*until));
            }
        }
    }
    reasons.sort_by_key(|hold| hold.rule);
    Explanation {
        standing: Standing::Held,
        eligible_at,
        reasons,
    }
}

/// What a cap or hold on a number says: the dials counted and the cap,
/// or the dropped call.
fn hold_text(
    rule: Rule,
    until: DateTime<Utc>,
    phone: &crate::phone::PhoneNumber,
    owner: &Owner<'_>,
    at: DateTime<Utc>,
) -> String {
    let history = owner.numbers.history(phone);
    // The cap that lifts at `until`: the one holding the number.
    let counted = |caps: &[crate::policy::NumberCap], whose: &str| {
        let history = history?;
        let cap = caps
            .iter()
            .copied()
            .find(|cap| history.cap_lifts_at(*cap) == Some(until))?;
        Some(format!(
            "{} dials in the last {} h over all your campaigns; {whose} allows {}",
            history.dials_in_window(cap, at),
            cap.window_hours,
            cap.calls_max
        ))
    };
    let place = || crate::jurisdiction::NumberPlace::of(phone);
    match rule {
        Rule::ContactCap => counted(&owner.policy.per_number, "the contact policy")
            .unwrap_or_else(|| "a cap per number of the contact policy is reached".to_owned()),
        Rule::JurisdictionCap => place()
            .rules()
            .find_map(|row| counted(row.cap.as_slice(), row.name))
            .unwrap_or_else(|| "its jurisdiction's cap per number is reached".to_owned()),
        _ => {
            let hours = place()
                .rules()
                .find_map(|row| row.abandoned_hold_hours)
                .unwrap_or(72);
            format!("a call to it dropped; not redialled for {hours} h")
        }
    }
}

/// Hours (or a date) as a person reads them, and the zone they are in.
type ZonedHours = (String, Zone);

/// A number's window as a person reads it, and the zone it is read in.
fn window_text(window: &LocalWindow, at: DateTime<Utc>) -> ZonedHours {
    match window {
        LocalWindow::Daily(daily) => (
            format!("{}–{}", daily.hours.start, daily.hours.end),
            daily.zone,
        ),
        LocalWindow::Week(week) => (
            format!(
                "weekdays {}–{}, weekends {}–{}",
                week.weekday.start, week.weekday.end, week.weekend.start, week.weekend.end
            ),
            week.zone,
        ),
        LocalWindow::Closed(closed) => (
            format!("{}", at.with_timezone(&closed.zone.tz()).format("%Y-%m-%d")),
            closed.zone,
        ),
    }
}

/// Windows of one rule, zone by zone, with the local time in each:
/// `08:00–21:00 and 08:00–20:00 America/New_York (there it is Sun 22:59 EST)`.
fn windows_text(windows: &[ZonedHours], at: DateTime<Utc>) -> String {
    let mut zones: Vec<Zone> = Vec::new();
    for (_, zone) in windows {
        if !zones.contains(zone) {
            zones.push(*zone);
        }
    }
    zones
        .iter()
        .map(|zone| {
            let hours: Vec<&str> = windows
                .iter()
                .filter(|(_, z)| z == zone)
                .map(|(text, _)| text.as_str())
                .collect();
            format!(
                "{} {zone} (there it is {})",
                hours.join(" and "),
                at.with_timezone(&zone.tz()).format("%a %H:%M %Z")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::lead::LeadCommand;
    use crate::phone::PhoneNumber;
    use crate::policy::{ContactPolicy, NumberHistory};
    use crate::testkit::*;
    use crate::time::DailyHours;

    fn florida_lead(
        settings_of: impl FnOnce(&mut crate::campaign::CampaignSettings),
    ) -> (Campaign, Lead) {
        let mut settings = settings();
        settings.jurisdiction_rules = true;
        settings_of(&mut settings);
        let (campaign, _) = active_with_one_lead_settings(settings);
        let mut lead = imported_lead("+13055550101", None, 0, 1);
        lead.campaign_id = campaign.id;
        (campaign, lead)
    }

    #[test]
    fn a_florida_number_before_eight_is_held_by_its_jurisdictions_hours_until_eight() {
        // given a Florida lead at 07:00 in Miami
        let (campaign, lead) = florida_lead(|_| {});
        let seven = at("2026-11-23T12:00:00Z");
        // when it is explained
        let why = explain(&lead, &campaign, &Owner::detached(), seven);
        // then the jurisdiction's hours hold it until 08:00 Miami time
        assert_eq!(why.standing, Standing::Held);
        assert_eq!(why.first_rule(), Some(Rule::JurisdictionHours));
        assert_eq!(why.eligible_at, Some(at("2026-11-23T13:00:00Z")));
        assert!(why
            .reasons
            .iter()
            .all(|hold| hold.until == Some(at("2026-11-23T13:00:00Z"))));
        assert!(why.reasons[0].detail.contains("+13055550101"), "{why:?}");
        // and at 08:00 it is eligible, with no reason
        let eight = explain(
            &lead,
            &campaign,
            &Owner::detached(),
            at("2026-11-23T13:00:00Z"),
        );
        assert_eq!(eight.standing, Standing::Eligible);
        assert!(eight.reasons.is_empty());
    }

    #[test]
    fn a_number_held_by_its_hours_says_which_hours_and_the_time_there() {
        // given a Florida lead at 07:00 in Miami
        let (campaign, lead) = florida_lead(|_| {});
        // when it is explained
        let why = explain(
            &lead,
            &campaign,
            &Owner::detached(),
            at("2026-11-23T12:00:00Z"),
        );
        // then each hold names the hours and the local time
        let florida = why
            .reasons
            .iter()
            .find(|hold| hold.detail.contains("08:00–20:00"))
            .unwrap_or_else(|| panic!("{why:#?}"));
        assert!(
            florida.detail.ends_with(
                "outside its jurisdiction's hours, 08:00–21:00 and 08:00–20:00 \
                 America/New_York (there it is Mon 07:00 EST)"
            ),
            "{why:#?}"
        );
        assert!(!florida.detail.contains("never"), "{why:#?}");
    }

    #[test]
    fn a_number_whose_hours_never_meet_the_campaigns_window_says_it_is_never_dialed() {
        // given a campaign calling 09:00–10:20 in Kolkata (22:30–23:50 in
        // Miami) and a Florida lead
        let (campaign, lead) = florida_lead(|s| {
            s.timezone = "Asia/Kolkata".parse().unwrap();
            s.hours = DailyHours::new("09:00".parse().unwrap(), "10:20".parse().unwrap());
        });
        // when it is explained inside the campaign's window
        let why = explain(
            &lead,
            &campaign,
            &Owner::detached(),
            at("2026-11-30T03:50:00Z"),
        );
        // then it is never dialable, and its jurisdiction's hours say why
        assert_eq!(why.eligible_at, None, "{why:#?}");
        assert_eq!(why.first_rule(), Some(Rule::JurisdictionHours));
        assert!(
            why.reasons[0].detail.contains(
                "the campaign's window (09:00–10:20 Asia/Kolkata) never falls inside them"
            ),
            "{why:#?}"
        );
    }

    #[test]
    fn every_rule_that_holds_is_listed_in_the_rules_order() {
        // given a busy lead of a campaign calling 14:00–15:00 UTC with a
        // 12-hour retry delay, whose Florida number had three calls from
        // 14:00 UTC (09:00 in Miami)
        let (campaign, lead) = florida_lead(|s| {
            s.hours = DailyHours::new("14:00".parse().unwrap(), "15:00".parse().unwrap());
            s.retry = s.retry.clone().with_delay_minutes(720).unwrap();
        });
        let busy = called(
            &lead,
            &campaign,
            call_id(1),
            crate::status::CallOutcome::Busy,
            at("2026-11-23T14:00:00Z"),
        );
        let mut history = NumberHistory::default();
        for minutes_in in [0, 10, 20] {
            history.record_dial(at("2026-11-23T14:00:00Z") + minutes(minutes_in));
        }
        let numbers =
            BTreeMap::from([(PhoneNumber::parse("+13055550101", None).unwrap(), history)]);
        let policy = ContactPolicy::default();
        let dnc = std::collections::BTreeSet::new();
        let owner = Owner {
            policy: &policy,
            dnc: &dnc,
            numbers: &numbers,
        };
        // when it is explained at 01:30 UTC (20:30 in Miami)
        let why = explain(&busy, &campaign, &owner, at("2026-11-24T01:30:00Z"));
        // then the window, the jurisdiction's hours, the retry delay and
        // the cap all hold it, in that order, each with its own end
        let rules: Vec<(Rule, Option<DateTime<Utc>>)> =
            why.reasons.iter().map(|h| (h.rule, h.until)).collect();
        assert_eq!(
            rules,
            vec![
                (Rule::CampaignWindow, Some(at("2026-11-24T14:00:00Z"))),
                (Rule::JurisdictionHours, Some(at("2026-11-24T13:00:00Z"))),
                (Rule::RetryDelay, Some(at("2026-11-24T02:01:00Z"))),
                (Rule::JurisdictionCap, Some(at("2026-11-24T14:00:00Z"))),
            ],
            "{why:#?}"
        );
        assert!(
            why.reasons[2].detail.contains("retry delay 720 min"),
            "{why:#?}"
        );
        assert_eq!(
            why.reasons[3].detail,
            "+13055550101: 3 dials in the last 24 h over all your campaigns; Florida allows 3"
        );
        // and it may be dialed when all of them have lifted
        assert_eq!(why.eligible_at, Some(at("2026-11-24T14:00:00Z")));
    }

    #[test]
    fn finished_and_in_flight_leads_have_no_reasons() {
        let (campaign, lead) = active_with_one_lead();
        let dialing = dialed(&lead, &campaign, call_id(1), t0());
        let in_flight = explain(&dialing, &campaign, &Owner::detached(), t0());
        assert_eq!(in_flight.standing, Standing::InFlight);
        assert!(in_flight.reasons.is_empty());
        let cancelled = run(
            &lead,
            &campaign,
            LeadCommand::Cancel {
                reason: "test".into(),
            },
            t0(),
        );
        let finished = explain(&cancelled, &campaign, &Owner::detached(), t0());
        assert_eq!(finished.standing, Standing::Finished);
        assert_eq!(finished.eligible_at, None);
    }

    #[test]
    fn a_lead_that_used_its_attempts_is_held_by_max_attempts() {
        let mut settings = settings();
        settings.retry = settings.retry.clone().with_max_attempts(1).unwrap();
        let (campaign, lead) = active_with_one_lead_settings(settings);
        let no_answer = called(
            &lead,
            &campaign,
            call_id(1),
            crate::status::CallOutcome::NoAnswer,
            t0(),
        );
        let why = explain(
            &no_answer,
            &campaign,
            &Owner::detached(),
            t0() + minutes(600),
        );
        assert_eq!(why.standing, Standing::Held);
        assert_eq!(why.first_rule(), Some(Rule::MaxAttempts));
        assert_eq!(why.reasons[0].until, None);
    }
}
