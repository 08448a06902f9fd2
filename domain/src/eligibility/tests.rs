use super::*;
use crate::campaign::CampaignSettings;
use crate::events::{Event, LeadDialed};
use crate::lead::LeadCommand;
use crate::policy::Owner;
use crate::retry::RetryPolicy;
use crate::status::CallOutcome;
use crate::testkit::*;
use crate::time::{DailyHours, TimeOfDay};
use proptest::prelude::*;

fn hours(start: &str, end: &str) -> DailyHours {
    DailyHours::new(start.parse().unwrap(), end.parse().unwrap())
}

#[test]
fn a_new_lead_of_an_active_campaign_is_eligible() {
    let (campaign, lead) = active_with_one_lead();
    assert_eq!(
        eligibility(&lead, &campaign, &Owner::detached(), t0()),
        Eligibility::Eligible
    );
    assert_eq!(
        lead.next_eligible_at(&campaign, &Owner::detached(), t0()),
        Some(t0())
    );
}

#[test]
fn the_start_date_holds_leads_back() {
    let mut settings = settings();
    settings.timezone = "Asia/Kolkata".parse().unwrap();
    settings.start_date = crate::time::parse_date("2026-11-23").ok();
    let (campaign, lead) = active_with_one_lead_settings(settings);
    assert_eq!(
        eligibility(&lead, &campaign, &Owner::detached(), t0()),
        Eligibility::NotBefore(at("2026-11-22T18:30:00Z"))
    );
}

#[test]
fn the_campaign_window_holds_leads_back() {
    let mut settings = settings();
    settings.timezone = "Asia/Kolkata".parse().unwrap();
    settings.hours = hours("09:00", "15:00");
    let (campaign, lead) = active_with_one_lead_settings(settings);
    // t0 is 15:30 in Kolkata.
    assert_eq!(
        eligibility(&lead, &campaign, &Owner::detached(), t0()),
        Eligibility::NotBefore(at("2026-11-21T03:30:00Z"))
    );
}

#[test]
fn local_hours_use_the_leads_zone_or_its_numbers() {
    let mut settings = settings();
    settings.local_hours = Some(hours("09:00", "21:00"));
    let (campaign, lead) = active_with_one_lead_settings(settings);
    // An Indian number: 22:30 IST is 17:00 UTC, closed until 09:00 IST.
    let night = at("2026-11-20T17:00:00Z");
    assert_eq!(
        eligibility(&lead, &campaign, &Owner::detached(), night),
        Eligibility::NotBefore(at("2026-11-21T03:30:00Z"))
    );
    // The same number with its own zone set to New York: 12:00 EST.
    let mut new_yorker = lead.clone();
    new_yorker.timezone = "America/New_York".parse().ok();
    assert_eq!(
        eligibility(&new_yorker, &campaign, &Owner::detached(), night),
        Eligibility::Eligible
    );
    // A number whose zone is unknown (+1) is not held back.
    let mut unknown = imported_lead("+12015550123", None, 0, 5);
    unknown.campaign_id = campaign.id;
    assert_eq!(
        eligibility(&unknown, &campaign, &Owner::detached(), night),
        Eligibility::Eligible
    );
}

#[test]
fn windows_that_never_overlap_are_never() {
    let mut settings = settings();
    settings.timezone = "Asia/Kolkata".parse().unwrap();
    settings.hours = hours("10:00", "11:00");
    settings.local_hours = Some(hours("10:00", "11:00"));
    let (campaign, mut lead) = active_with_one_lead_settings(settings);
    lead.timezone = "America/New_York".parse().ok();
    assert_eq!(
        eligibility(&lead, &campaign, &Owner::detached(), t0()),
        Eligibility::Never(NeverReason::NoCommonCallingHours)
    );
}

#[test]
fn retries_wait_their_delay_and_dropped_calls_wait_less() {
    let (campaign, lead) = active_with_one_lead();
    let busy = called(&lead, &campaign, call_id(1), CallOutcome::Busy, t0());
    let ended_at = t0() + minutes(1);
    assert_eq!(
        eligibility(&busy, &campaign, &Owner::detached(), ended_at),
        Eligibility::NotBefore(ended_at + minutes(240))
    );
    assert_eq!(
        eligibility(
            &busy,
            &campaign,
            &Owner::detached(),
            ended_at + minutes(240)
        ),
        Eligibility::Eligible
    );
    let dropped = called(&lead, &campaign, call_id(1), CallOutcome::Dropped, t0());
    assert_eq!(
        eligibility(&dropped, &campaign, &Owner::detached(), ended_at),
        Eligibility::NotBefore(ended_at + minutes(5))
    );
}

#[test]
fn outcomes_not_retried_and_exhausted_rounds_are_never() {
    let mut settings = settings();
    settings.retry = RetryPolicy::new(60, 2, &[LeadStatus::NoAnswer]).unwrap();
    let (campaign, lead) = active_with_one_lead_settings(settings);
    let busy = called(&lead, &campaign, call_id(1), CallOutcome::Busy, t0());
    assert_eq!(
        eligibility(&busy, &campaign, &Owner::detached(), t0() + minutes(1000)),
        Eligibility::Never(NeverReason::NotRetried(LeadStatus::Busy))
    );
    let once = called(&lead, &campaign, call_id(1), CallOutcome::NoAnswer, t0());
    let twice = called(
        &once,
        &campaign,
        call_id(2),
        CallOutcome::NoAnswer,
        t0() + minutes(61),
    );
    assert_eq!(
        eligibility(&twice, &campaign, &Owner::detached(), t0() + minutes(1000)),
        Eligibility::Never(NeverReason::AttemptsExhausted {
            attempts: 2,
            max: 2
        })
    );
    let answered = called(&lead, &campaign, call_id(1), CallOutcome::Answered, t0());
    assert_eq!(
        eligibility(
            &answered,
            &campaign,
            &Owner::detached(),
            t0() + minutes(1000)
        ),
        Eligibility::Never(NeverReason::Final(LeadStatus::Answered))
    );
    let dialing = dialed(&lead, &campaign, call_id(1), t0());
    assert_eq!(
        eligibility(&dialing, &campaign, &Owner::detached(), t0()),
        Eligibility::Never(NeverReason::CallInFlight)
    );
}

#[test]
fn the_daily_cap_counts_dials_in_the_last_24_hours() {
    let mut settings = settings();
    settings.retry = RetryPolicy::new(60, 10, &[LeadStatus::NoAnswer])
        .and_then(|p| p.with_attempts_per_day_max(Some(2)))
        .unwrap();
    let (campaign, lead) = active_with_one_lead_settings(settings);
    let first = called(&lead, &campaign, call_id(1), CallOutcome::NoAnswer, t0());
    let second = called(
        &first,
        &campaign,
        call_id(2),
        CallOutcome::NoAnswer,
        t0() + minutes(61),
    );
    assert_eq!(second.dials_in_day_before(t0() + minutes(200)), 2);
    assert_eq!(
        eligibility(&second, &campaign, &Owner::detached(), t0() + minutes(200)),
        Eligibility::NotBefore(t0() + minutes(24 * 60))
    );
}

#[test]
fn never_reasons_read_well() {
    let reason = NeverReason::AttemptsExhausted {
        attempts: 3,
        max: 3,
    };
    assert_eq!(
        reason.to_string(),
        "it was dialed 3 times, the maximum is 3"
    );
    let reason = NeverReason::CampaignNotActive(crate::status::CampaignStatus::Paused);
    assert_eq!(reason.to_string(), "its campaign is paused, not active");
}

/// A lead of an all-day campaign with `attempts` dials, the last ending
/// with `outcome` at `ended_at`, built from events.
fn lead_after(
    policy: RetryPolicy,
    outcome: CallOutcome,
    attempts: u32,
    ended_at: DateTime<Utc>,
) -> (crate::campaign::Campaign, crate::lead::Lead) {
    let mut settings: CampaignSettings = settings();
    settings.retry = policy;
    let (campaign, mut lead) = active_with_one_lead_settings(settings);
    for n in 1..=attempts {
        let dialed_at = ended_at - Duration::minutes(i64::from(attempts - n) * 100_000 + 1);
        lead = then_lead(
            &lead,
            &[Event::LeadDialed(LeadDialed {
                campaign_id: campaign.id,
                lead_id: lead.id,
                call_id: call_id(u128::from(n)),
                attempt: n,
                phone: lead.phone.clone(),
                at: dialed_at,
            })],
        );
        let end = if n == attempts {
            ended_at
        } else {
            dialed_at + minutes(1)
        };
        lead = run(
            &lead,
            &campaign,
            LeadCommand::RecordCallReport {
                call_id: call_id(u128::from(n)),
                report: ended(outcome),
            },
            end,
        );
    }
    (campaign, lead)
}

#[test]
fn a_dropped_lead_of_a_campaign_without_retry_delay_is_eligible_at_once() {
    // Given a campaign that retries at once and leaves the dropped delay
    // unset, and a lead whose first call dropped
    let policy = RetryPolicy::new(0, 3, &crate::retry::RETRYABLE_STATUSES).unwrap();
    let ended_at = t0();
    let (campaign, dropped) = lead_after(policy.clone(), CallOutcome::Dropped, 1, ended_at);
    let (_, busy) = lead_after(policy, CallOutcome::Busy, 1, ended_at);

    // When eligibility is asked the moment the call ended
    // Then the dropped lead is as eligible as a busy one, not 5 minutes out
    assert_eq!(
        eligibility(&busy, &campaign, &Owner::detached(), ended_at),
        Eligibility::Eligible
    );
    assert_eq!(
        eligibility(&dropped, &campaign, &Owner::detached(), ended_at),
        Eligibility::Eligible
    );
}

#[test]
fn a_voicemail_is_retried_by_default_and_does_not_count_as_answered() {
    // Given the default retry policy (4 hours, 3 attempts), and a lead
    // whose first call a machine answered
    let ended_at = t0();
    let (campaign, lead) = lead_after(RetryPolicy::default(), CallOutcome::Voicemail, 1, ended_at);

    // Then it is voicemail, recyclable, not answered, and due again once
    // the retry delay has passed
    assert_eq!(lead.status, LeadStatus::Voicemail);
    assert_eq!(lead.answered_count, 0);
    assert_eq!(
        lead.category(&campaign),
        crate::status::LeadCategory::Recyclable
    );
    assert_eq!(
        eligibility(&lead, &campaign, &Owner::detached(), ended_at),
        Eligibility::NotBefore(ended_at + minutes(240))
    );

    // And a campaign that does not retry voicemail leaves it final
    let policy = RetryPolicy::new(240, 3, &[LeadStatus::NoAnswer]).unwrap();
    let (campaign, lead) = lead_after(policy, CallOutcome::Voicemail, 1, ended_at);
    assert_eq!(
        eligibility(
            &lead,
            &campaign,
            &Owner::detached(),
            ended_at + minutes(600)
        ),
        Eligibility::Never(NeverReason::NotRetried(LeadStatus::Voicemail))
    );
}

fn retryable() -> impl Strategy<Value = CallOutcome> {
    prop_oneof![
        Just(CallOutcome::NoAnswer),
        Just(CallOutcome::Busy),
        Just(CallOutcome::Failed),
        Just(CallOutcome::Dropped),
        Just(CallOutcome::Congestion),
        Just(CallOutcome::Voicemail),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Never eligible inside the retry delay, nor once the round's attempts
    /// are used; eligible otherwise in an all-day campaign.
    #[test]
    fn never_eligible_inside_the_delay_or_past_max_attempts(
        delay in 0_u32..2_000,
        dropped_delay in proptest::option::of(0_u32..60),
        max_attempts in 1_u32..6,
        attempts in 1_u32..7,
        outcome in retryable(),
        since_end_secs in 0_i64..200_000,
    ) {
        let policy = RetryPolicy::new(delay, max_attempts, &crate::retry::RETRYABLE_STATUSES)
            .and_then(|p| match dropped_delay {
                Some(minutes) => p.with_dropped_delay_minutes(minutes),
                None => Ok(p),
            })
            .unwrap();
        let ended_at = t0();
        let (campaign, lead) = lead_after(policy.clone(), outcome, attempts, ended_at);
        let now = ended_at + Duration::seconds(since_end_secs);
        let delay = policy.delay_after(outcome.status());
        let result = eligibility(&lead, &campaign, &Owner::detached(), now);
        if attempts >= max_attempts {
            prop_assert_eq!(result, Eligibility::Never(NeverReason::AttemptsExhausted { attempts, max: max_attempts }));
        } else if now < ended_at + delay {
            prop_assert_eq!(result, Eligibility::NotBefore(ended_at + delay));
        } else {
            prop_assert_eq!(result, Eligibility::Eligible);
        }
    }

    /// Whatever the windows, an eligible answer is inside both, and a
    /// "not before" instant is eligible when it comes.
    #[test]
    fn not_before_is_eligible_when_it_comes(
        start in 0_u32..24, end in 0_u32..24, local_start in 0_u32..24, local_end in 0_u32..24,
        offset_minutes in 0_i64..(3 * 24 * 60),
        zone in prop_oneof![Just("America/New_York"), Just("Asia/Kolkata")],
    ) {
        let mut settings = settings();
        settings.timezone = zone.parse().unwrap();
        settings.hours = DailyHours::new(TimeOfDay::hm(start, 0).unwrap(), TimeOfDay::hm(end, 0).unwrap());
        settings.local_hours = Some(DailyHours::new(TimeOfDay::hm(local_start, 0).unwrap(), TimeOfDay::hm(local_end, 30).unwrap()));
        let (campaign, lead) = active_with_one_lead_settings(settings);
        let now = t0() + Duration::minutes(offset_minutes);
        let local = campaign.settings.local_hours.zip(lead.phone.single_zone()).map(|(h, z)| h.in_zone(z));
        prop_assert!(local.is_some());
        match eligibility(&lead, &campaign, &Owner::detached(), now) {
            Eligibility::Eligible => {
                prop_assert!(campaign.calling_window().is_open(now));
                prop_assert!(local.is_some_and(|w| w.is_open(now)));
            }
            Eligibility::NotBefore(then) => {
                prop_assert!(then > now);
                prop_assert_eq!(eligibility(&lead, &campaign, &Owner::detached(), then), Eligibility::Eligible);
            }
            Eligibility::Never(reason) => prop_assert_eq!(reason, NeverReason::NoCommonCallingHours),
        }
    }
}

#[test]
fn ready_at_ignores_campaign_status_and_windows() {
    let (mut campaign, lead) = active_with_one_lead();
    assert_eq!(ready_at(&lead, &campaign), Ok(None));
    let busy = called(&lead, &campaign, call_id(1), CallOutcome::Busy, t0());
    let ended_at = t0() + minutes(1);
    campaign.status = crate::status::CampaignStatus::Paused;
    assert_eq!(
        ready_at(&busy, &campaign),
        Ok(Some(ended_at + minutes(240)))
    );
    assert!(matches!(
        eligibility(&busy, &campaign, &Owner::detached(), ended_at),
        Eligibility::Never(NeverReason::CampaignNotActive(_))
    ));
    // Outside the campaign's window the lead is still ready; the hopper
    // applies windows when it is read.
    campaign.settings.hours = hours("09:00", "10:00");
    assert_eq!(ready_at(&lead, &campaign), Ok(None));
    campaign.status = crate::status::CampaignStatus::Active;
    campaign.settings.hours = DailyHours::default();
    let answered = called(&lead, &campaign, call_id(1), CallOutcome::Answered, t0());
    assert_eq!(
        ready_at(&answered, &campaign),
        Err(NeverReason::Final(crate::status::LeadStatus::Answered))
    );
}

#[test]
fn ready_at_waits_for_the_start_date() {
    let mut settings = settings();
    settings.timezone = "Asia/Kolkata".parse().unwrap();
    settings.start_date = crate::time::parse_date("2026-11-23").ok();
    let (campaign, lead) = active_with_one_lead_settings(settings);
    assert_eq!(
        ready_at(&lead, &campaign),
        Ok(Some(at("2026-11-22T18:30:00Z")))
    );
}
