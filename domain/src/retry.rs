//! The retry policy: which call outcomes are retried, after how long, and
//! how many times.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::error::SettingsError;
use crate::status::LeadStatus;

/// Default wait before a retry: 4 hours.
pub const RETRY_DELAY_MINUTES_DEFAULT: u32 = 240;
/// Default dials per lead before it is left alone.
pub const MAX_ATTEMPTS_DEFAULT: u32 = 3;
/// Default wait before retrying a dropped call: the person was just on the
/// line, so calling back soon is what they expect. A campaign whose retry
/// delay is shorter uses that instead (see
/// [`RetryPolicy::dropped_delay_minutes`]).
pub const DROPPED_RETRY_DELAY_MINUTES_DEFAULT: u32 = 5;
/// Longest retry delay accepted: 30 days.
pub const RETRY_DELAY_MINUTES_MAX: u32 = 30 * 24 * 60;
/// Most attempts per lead accepted (per round; a recycle starts a new one).
pub const MAX_ATTEMPTS_MAX: u32 = 100;
/// Highest `attempts_per_day_max` accepted.
pub const ATTEMPTS_PER_DAY_MAX_LIMIT: u32 = 48;

/// Outcomes a retry policy may retry. `answered` is not among them: an
/// answered lead is done unless a person recycles it.
pub const RETRYABLE_STATUSES: [LeadStatus; 6] = [
    LeadStatus::NoAnswer,
    LeadStatus::Busy,
    LeadStatus::Failed,
    LeadStatus::Dropped,
    LeadStatus::Congestion,
    LeadStatus::Voicemail,
];

/// When and how often a lead whose call did not get through is dialed
/// again.
///
/// - A lead whose last outcome is in `statuses` is retried once `delay`
///   has passed since that outcome (`dropped_delay` for `dropped`; when
///   not set, 5 minutes or `delay`, whichever is shorter).
/// - At most `max_attempts` dials per round; a round starts at import and
///   again at each recycle.
/// - At most `attempts_per_day_max` dials of the lead in any 24 hours,
///   when set.
/// - A status may have its own delay (`delay_minutes_by_status`, e.g. busy
///   after 15 minutes, no answer after 4 hours), which overrides
///   `delay_minutes` for it; `dropped` keeps its own dropped delay.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RetryPolicy {
    delay_minutes: u32,
    max_attempts: u32,
    statuses: Vec<LeadStatus>,
    /// `None` until set: the default then follows `delay_minutes`, so that
    /// a dropped call never waits longer than any other retry.
    #[serde(default)]
    dropped_delay_minutes: Option<u32>,
    attempts_per_day_max: Option<u32>,
    /// A delay per retried status, overriding `delay_minutes`.
    #[serde(default)]
    delay_minutes_by_status: BTreeMap<LeadStatus, u32>,
}

impl Default for RetryPolicy {
    /// 4 hours, 3 attempts, all of `RETRYABLE_STATUSES`, dropped delay not
    /// set (so 5 minutes), no daily cap.
    fn default() -> Self {
        RetryPolicy {
            delay_minutes: RETRY_DELAY_MINUTES_DEFAULT,
            max_attempts: MAX_ATTEMPTS_DEFAULT,
            statuses: RETRYABLE_STATUSES.to_vec(),
            dropped_delay_minutes: None,
            attempts_per_day_max: None,
            delay_minutes_by_status: BTreeMap::new(),
        }
    }
}

impl RetryPolicy {
    /// A policy with the given delay, attempts and retried outcomes, the
    /// dropped delay not set and no daily cap.
    pub fn new(
        delay_minutes: u32,
        max_attempts: u32,
        statuses: &[LeadStatus],
    ) -> Result<Self, SettingsError> {
        RetryPolicy::default()
            .with_delay_minutes(delay_minutes)?
            .with_max_attempts(max_attempts)?
            .with_statuses(statuses)
    }

    /// Sets the retry delay.
    pub fn with_delay_minutes(mut self, minutes: u32) -> Result<Self, SettingsError> {
        check_delay("retry delay", minutes)?;
        self.delay_minutes = minutes;
        Ok(self)
    }

    /// Sets the dials per round.
    pub fn with_max_attempts(mut self, attempts: u32) -> Result<Self, SettingsError> {
        if !(1..=MAX_ATTEMPTS_MAX).contains(&attempts) {
            return Err(SettingsError::MaxAttemptsOutOfRange {
                value: attempts,
                max: MAX_ATTEMPTS_MAX,
            });
        }
        self.max_attempts = attempts;
        Ok(self)
    }

    /// Sets the retried outcomes (an empty list turns retries off).
    pub fn with_statuses(mut self, statuses: &[LeadStatus]) -> Result<Self, SettingsError> {
        if let Some(status) = statuses.iter().find(|s| !RETRYABLE_STATUSES.contains(s)) {
            return Err(SettingsError::StatusNotRetryable { status: *status });
        }
        let mut statuses = statuses.to_vec();
        statuses.sort();
        statuses.dedup();
        self.statuses = statuses;
        Ok(self)
    }

    /// Sets the delay before a dropped call is retried. It is used as
    /// given, even when longer than the retry delay.
    pub fn with_dropped_delay_minutes(mut self, minutes: u32) -> Result<Self, SettingsError> {
        check_delay("dropped-call retry delay", minutes)?;
        self.dropped_delay_minutes = Some(minutes);
        Ok(self)
    }

    /// Unsets the dropped-call delay, back to the default rule (see
    /// [`RetryPolicy::dropped_delay_minutes`]).
    pub fn without_dropped_delay_minutes(mut self) -> Self {
        self.dropped_delay_minutes = None;
        self
    }

    /// Sets (or clears) the cap on dials of one lead in any 24 hours.
    pub fn with_attempts_per_day_max(mut self, cap: Option<u32>) -> Result<Self, SettingsError> {
        if let Some(value) = cap {
            if !(1..=ATTEMPTS_PER_DAY_MAX_LIMIT).contains(&value) {
                return Err(SettingsError::AttemptsPerDayOutOfRange {
                    value,
                    max: ATTEMPTS_PER_DAY_MAX_LIMIT,
                });
            }
        }
        self.attempts_per_day_max = cap;
        Ok(self)
    }

    /// Sets the delay of each status given, replacing any set before. A
    /// status must be one a policy may retry, and not `dropped`, which has
    /// its own delay ([`RetryPolicy::with_dropped_delay_minutes`]).
    pub fn with_delay_minutes_by_status(
        mut self,
        delays: BTreeMap<LeadStatus, u32>,
    ) -> Result<Self, SettingsError> {
        for (status, minutes) in &delays {
            if !RETRYABLE_STATUSES.contains(status) || *status == LeadStatus::Dropped {
                return Err(SettingsError::StatusDelayNotAllowed { status: *status });
            }
            check_delay("retry delay of a status", *minutes)?;
        }
        self.delay_minutes_by_status = delays;
        Ok(self)
    }

    /// Checks a policy that did not come through the constructors (e.g.
    /// deserialized from a request body).
    pub fn validate(&self) -> Result<(), SettingsError> {
        let policy = RetryPolicy::new(self.delay_minutes, self.max_attempts, &self.statuses)?;
        let policy = match self.dropped_delay_minutes {
            Some(minutes) => policy.with_dropped_delay_minutes(minutes)?,
            None => policy,
        };
        policy
            .with_attempts_per_day_max(self.attempts_per_day_max)?
            .with_delay_minutes_by_status(self.delay_minutes_by_status.clone())
            .map(|_| ())
    }

    /// The delays set per status.
    pub fn delay_minutes_by_status(&self) -> &BTreeMap<LeadStatus, u32> {
        &self.delay_minutes_by_status
    }

    /// Minutes to wait before a retry.
    pub fn delay_minutes(&self) -> u32 {
        self.delay_minutes
    }

    /// Minutes to wait before retrying a dropped call: as set, or when not
    /// set, [`DROPPED_RETRY_DELAY_MINUTES_DEFAULT`] or the retry delay,
    /// whichever is shorter.
    pub fn dropped_delay_minutes(&self) -> u32 {
        self.dropped_delay_minutes
            .unwrap_or_else(|| DROPPED_RETRY_DELAY_MINUTES_DEFAULT.min(self.delay_minutes))
    }

    /// The dropped-call delay as set, `None` when it follows the default
    /// rule.
    pub fn dropped_delay_minutes_set(&self) -> Option<u32> {
        self.dropped_delay_minutes
    }

    /// Dials per round.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Retried outcomes, sorted.
    pub fn statuses(&self) -> &[LeadStatus] {
        &self.statuses
    }

    /// Cap on dials of one lead in any 24 hours.
    pub fn attempts_per_day_max(&self) -> Option<u32> {
        self.attempts_per_day_max
    }

    /// Whether a lead left in `status` is retried.
    pub fn retries(&self, status: LeadStatus) -> bool {
        self.statuses.contains(&status)
    }

    /// How long to wait after an outcome leaving `status` before retrying.
    pub fn delay_after(&self, status: LeadStatus) -> Duration {
        let minutes = if status == LeadStatus::Dropped {
            self.dropped_delay_minutes()
        } else {
            self.delay_minutes_by_status
                .get(&status)
                .copied()
                .unwrap_or(self.delay_minutes)
        };
        Duration::minutes(i64::from(minutes))
    }
}

fn check_delay(what: &'static str, minutes: u32) -> Result<(), SettingsError> {
    if minutes > RETRY_DELAY_MINUTES_MAX {
        return Err(SettingsError::DelayTooLong {
            what,
            minutes,
            max: RETRY_DELAY_MINUTES_MAX,
        });
    }
    Ok(())
}

/// [`RetryPolicy`] as version 1 of the campaign events stored it, when the
/// dropped-call delay was always a number; read only to upcast old events.
#[derive(Deserialize)]
pub(crate) struct RetryPolicyV1 {
    delay_minutes: u32,
    max_attempts: u32,
    statuses: Vec<LeadStatus>,
    dropped_delay_minutes: u32,
    attempts_per_day_max: Option<u32>,
}

impl From<RetryPolicyV1> for RetryPolicy {
    /// Version 1 stored the default, 5, for every campaign that never chose
    /// a dropped delay, and a 5 chosen by hand looks the same; it is read as
    /// not set, which changes nothing unless the retry delay is under 5
    /// minutes, the very case where 5 was the wrong wait. Any other value
    /// was chosen, and is kept as set.
    fn from(v1: RetryPolicyV1) -> Self {
        RetryPolicy {
            delay_minutes: v1.delay_minutes,
            max_attempts: v1.max_attempts,
            statuses: v1.statuses,
            dropped_delay_minutes: Some(v1.dropped_delay_minutes)
                .filter(|&minutes| minutes != DROPPED_RETRY_DELAY_MINUTES_DEFAULT),
            attempts_per_day_max: v1.attempts_per_day_max,
            delay_minutes_by_status: BTreeMap::new(),
        }
    }
}

/// [`RetryPolicy`] as versions 2 and 3 of the campaign events stored it,
/// before delays per status; read only to upcast old events.
#[derive(Deserialize)]
pub(crate) struct RetryPolicyV3 {
    delay_minutes: u32,
    max_attempts: u32,
    statuses: Vec<LeadStatus>,
    dropped_delay_minutes: Option<u32>,
    attempts_per_day_max: Option<u32>,
}

impl From<RetryPolicyV1> for RetryPolicyV3 {
    fn from(v1: RetryPolicyV1) -> Self {
        let policy = RetryPolicy::from(v1);
        RetryPolicyV3 {
            delay_minutes: policy.delay_minutes,
            max_attempts: policy.max_attempts,
            statuses: policy.statuses,
            dropped_delay_minutes: policy.dropped_delay_minutes,
            attempts_per_day_max: policy.attempts_per_day_max,
        }
    }
}

impl From<RetryPolicyV3> for RetryPolicy {
    fn from(v3: RetryPolicyV3) -> Self {
        RetryPolicy {
            delay_minutes: v3.delay_minutes,
            max_attempts: v3.max_attempts,
            statuses: v3.statuses,
            dropped_delay_minutes: v3.dropped_delay_minutes,
            attempts_per_day_max: v3.attempts_per_day_max,
            delay_minutes_by_status: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_with_its_own_delay_waits_that_long_and_the_others_the_default() {
        // given busy after 15 minutes and no answer after 4 hours
        let delays = BTreeMap::from([(LeadStatus::Busy, 15), (LeadStatus::NoAnswer, 240)]);
        let policy = RetryPolicy::new(60, 3, &RETRYABLE_STATUSES)
            .and_then(|p| p.with_delay_minutes_by_status(delays))
            .unwrap();
        // then each status waits its own delay, the others the policy's
        assert_eq!(policy.delay_after(LeadStatus::Busy), Duration::minutes(15));
        assert_eq!(policy.delay_after(LeadStatus::NoAnswer), Duration::hours(4));
        assert_eq!(policy.delay_after(LeadStatus::Failed), Duration::hours(1));
        // and the dropped delay stays its own
        assert_eq!(
            policy.delay_after(LeadStatus::Dropped),
            Duration::minutes(5)
        );
    }

    #[test]
    fn a_delay_for_dropped_or_a_final_status_is_refused() {
        for status in [LeadStatus::Dropped, LeadStatus::Answered, LeadStatus::New] {
            let delays = BTreeMap::from([(status, 15)]);
            assert_eq!(
                RetryPolicy::default().with_delay_minutes_by_status(delays),
                Err(SettingsError::StatusDelayNotAllowed { status })
            );
        }
        let too_long = BTreeMap::from([(LeadStatus::Busy, RETRY_DELAY_MINUTES_MAX + 1)]);
        assert!(RetryPolicy::default()
            .with_delay_minutes_by_status(too_long)
            .is_err());
    }

    #[test]
    fn defaults_match_the_product() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_minutes(), 240);
        assert_eq!(policy.max_attempts(), 3);
        assert_eq!(policy.dropped_delay_minutes(), 5);
        assert_eq!(policy.statuses(), &RETRYABLE_STATUSES);
        assert_eq!(policy.delay_after(LeadStatus::Busy), Duration::hours(4));
        assert_eq!(
            policy.delay_after(LeadStatus::Dropped),
            Duration::minutes(5)
        );
    }

    #[test]
    fn bad_settings_are_typed_errors() {
        assert!(matches!(
            RetryPolicy::new(240, 0, &RETRYABLE_STATUSES),
            Err(SettingsError::MaxAttemptsOutOfRange { .. })
        ));
        assert!(matches!(
            RetryPolicy::new(240, 101, &RETRYABLE_STATUSES),
            Err(SettingsError::MaxAttemptsOutOfRange { .. })
        ));
        assert!(matches!(
            RetryPolicy::new(RETRY_DELAY_MINUTES_MAX + 1, 3, &[]),
            Err(SettingsError::DelayTooLong { .. })
        ));
        assert!(matches!(
            RetryPolicy::new(240, 3, &[LeadStatus::Answered]),
            Err(SettingsError::StatusNotRetryable {
                status: LeadStatus::Answered
            })
        ));
        assert!(matches!(
            RetryPolicy::default().with_attempts_per_day_max(Some(0)),
            Err(SettingsError::AttemptsPerDayOutOfRange { .. })
        ));
        assert!(RetryPolicy::default()
            .with_dropped_delay_minutes(RETRY_DELAY_MINUTES_MAX + 1)
            .is_err());
    }

    #[test]
    fn a_deserialized_policy_is_validated() {
        let json = r#"{"delay_minutes":10,"max_attempts":0,"statuses":["busy"],
            "dropped_delay_minutes":5,"attempts_per_day_max":null}"#;
        let policy: RetryPolicy = serde_json::from_str(json).unwrap();
        assert!(matches!(
            policy.validate(),
            Err(SettingsError::MaxAttemptsOutOfRange { value: 0, .. })
        ));
        assert_eq!(RetryPolicy::default().validate(), Ok(()));
    }

    #[test]
    fn an_unset_dropped_delay_is_never_longer_than_the_retry_delay() {
        for (retry_delay, expected_dropped) in [(0, 0), (1, 1), (4, 4), (5, 5), (6, 5), (240, 5)] {
            // Given a campaign that only chose its retry delay
            let policy = RetryPolicy::new(retry_delay, 3, &RETRYABLE_STATUSES).unwrap();

            // When a call is dropped, or rings out
            let dropped = policy.delay_after(LeadStatus::Dropped);
            let busy = policy.delay_after(LeadStatus::Busy);

            // Then the dropped call waits 5 minutes or the retry delay,
            // whichever is shorter
            assert_eq!(policy.dropped_delay_minutes(), expected_dropped);
            assert_eq!(policy.dropped_delay_minutes_set(), None);
            assert_eq!(dropped, Duration::minutes(i64::from(expected_dropped)));
            assert!(dropped <= busy, "retry delay {retry_delay}");
        }
    }

    #[test]
    fn a_dropped_delay_set_explicitly_is_used_as_given() {
        for (retry_delay, chosen) in [(0, 5), (0, 30), (2, 5), (240, 1), (240, 5), (240, 600)] {
            // Given a campaign that chose both delays
            let policy = RetryPolicy::new(retry_delay, 3, &RETRYABLE_STATUSES)
                .and_then(|p| p.with_dropped_delay_minutes(chosen))
                .unwrap();

            // When a call is dropped
            let dropped = policy.delay_after(LeadStatus::Dropped);

            // Then it waits what was chosen, even past the retry delay
            assert_eq!(dropped, Duration::minutes(i64::from(chosen)));
            assert_eq!(policy.dropped_delay_minutes(), chosen);
            assert_eq!(policy.dropped_delay_minutes_set(), Some(chosen));
            assert_eq!(
                policy.delay_after(LeadStatus::NoAnswer),
                Duration::minutes(i64::from(retry_delay))
            );
        }
    }

    #[test]
    fn an_unset_dropped_delay_follows_later_changes_of_the_retry_delay() {
        // Given the default policy
        let policy = RetryPolicy::default();
        assert_eq!(policy.dropped_delay_minutes(), 5);

        // When the retry delay is lowered, and later raised again
        let lowered = policy.with_delay_minutes(2).unwrap();
        let raised = lowered.clone().with_delay_minutes(60).unwrap();

        // Then the dropped delay follows it down, and back up to 5
        assert_eq!(lowered.dropped_delay_minutes(), 2);
        assert_eq!(raised.dropped_delay_minutes(), 5);
    }

    #[test]
    fn a_set_dropped_delay_can_be_unset() {
        // Given a policy with a 30-minute dropped delay and no retry delay
        let policy = RetryPolicy::new(0, 3, &RETRYABLE_STATUSES)
            .and_then(|p| p.with_dropped_delay_minutes(30))
            .unwrap();

        // When it is unset
        let unset = policy.without_dropped_delay_minutes();

        // Then the default rule applies again
        assert_eq!(unset.dropped_delay_minutes_set(), None);
        assert_eq!(unset.delay_after(LeadStatus::Dropped), Duration::zero());
    }

    #[test]
    fn json_without_a_dropped_delay_reads_as_unset() {
        let base = r#""delay_minutes":0,"max_attempts":3,"statuses":["dropped"],
            "attempts_per_day_max":null"#;
        for (json, expected_set) in [
            (format!("{{{base}}}"), None),
            (format!(r#"{{{base},"dropped_delay_minutes":null}}"#), None),
            (format!(r#"{{{base},"dropped_delay_minutes":5}}"#), Some(5)),
        ] {
            let policy: RetryPolicy = serde_json::from_str(&json).unwrap();
            assert_eq!(policy.validate(), Ok(()));
            assert_eq!(policy.dropped_delay_minutes_set(), expected_set, "{json}");
        }
        let json = serde_json::to_value(RetryPolicy::default()).unwrap();
        assert!(json["dropped_delay_minutes"].is_null(), "{json}");
        let too_long = format!(
            r#"{{{base},"dropped_delay_minutes":{}}}"#,
            RETRY_DELAY_MINUTES_MAX + 1
        );
        let policy: RetryPolicy = serde_json::from_str(&too_long).unwrap();
        assert!(matches!(
            policy.validate(),
            Err(SettingsError::DelayTooLong { .. })
        ));
    }

    #[test]
    fn statuses_are_sorted_and_deduplicated() {
        let policy = RetryPolicy::new(
            10,
            2,
            &[LeadStatus::Busy, LeadStatus::NoAnswer, LeadStatus::Busy],
        )
        .unwrap();
        assert_eq!(policy.statuses(), &[LeadStatus::NoAnswer, LeadStatus::Busy]);
        assert!(!policy.retries(LeadStatus::Failed));
    }
}
