//! The retry policy: which call outcomes are retried, after how long, and
//! how many times.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::error::SettingsError;
use crate::status::LeadStatus;

/// Default wait before a retry: 4 hours.
pub const RETRY_DELAY_MINUTES_DEFAULT: u32 = 240;
/// Default dials per lead before it is left alone.
pub const MAX_ATTEMPTS_DEFAULT: u32 = 3;
/// Default wait before retrying a dropped call: the person was just on the
/// line, so calling back soon is what they expect.
pub const DROPPED_RETRY_DELAY_MINUTES_DEFAULT: u32 = 5;
/// Longest retry delay accepted: 30 days.
pub const RETRY_DELAY_MINUTES_MAX: u32 = 30 * 24 * 60;
/// Most attempts per lead accepted (per round; a recycle starts a new one).
pub const MAX_ATTEMPTS_MAX: u32 = 100;
/// Highest `attempts_per_day_max` accepted.
pub const ATTEMPTS_PER_DAY_MAX_LIMIT: u32 = 48;

/// Outcomes a retry policy may retry. `answered` is not among them: an
/// answered lead is done unless a person recycles it.
pub const RETRYABLE_STATUSES: [LeadStatus; 5] = [
    LeadStatus::NoAnswer,
    LeadStatus::Busy,
    LeadStatus::Failed,
    LeadStatus::Dropped,
    LeadStatus::Congestion,
];

/// When and how often a lead whose call did not get through is dialed
/// again.
///
/// - A lead whose last outcome is in `statuses` is retried once `delay`
///   has passed since that outcome (`dropped_delay` for `dropped`).
/// - At most `max_attempts` dials per round; a round starts at import and
///   again at each recycle.
/// - At most `attempts_per_day_max` dials of the lead in any 24 hours,
///   when set.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RetryPolicy {
    delay_minutes: u32,
    max_attempts: u32,
    statuses: Vec<LeadStatus>,
    dropped_delay_minutes: u32,
    attempts_per_day_max: Option<u32>,
}

impl Default for RetryPolicy {
    /// 4 hours, 3 attempts, all of `RETRYABLE_STATUSES`, dropped after 5
    /// minutes, no daily cap.
    fn default() -> Self {
        RetryPolicy {
            delay_minutes: RETRY_DELAY_MINUTES_DEFAULT,
            max_attempts: MAX_ATTEMPTS_DEFAULT,
            statuses: RETRYABLE_STATUSES.to_vec(),
            dropped_delay_minutes: DROPPED_RETRY_DELAY_MINUTES_DEFAULT,
            attempts_per_day_max: None,
        }
    }
}

impl RetryPolicy {
    /// A policy with the given delay, attempts and retried outcomes, the
    /// default dropped delay and no daily cap.
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

    /// Sets the delay before a dropped call is retried.
    pub fn with_dropped_delay_minutes(mut self, minutes: u32) -> Result<Self, SettingsError> {
        check_delay("dropped-call retry delay", minutes)?;
        self.dropped_delay_minutes = minutes;
        Ok(self)
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

    /// Checks a policy that did not come through the constructors (e.g.
    /// deserialized from a request body).
    pub fn validate(&self) -> Result<(), SettingsError> {
        RetryPolicy::new(self.delay_minutes, self.max_attempts, &self.statuses)?
            .with_dropped_delay_minutes(self.dropped_delay_minutes)?
            .with_attempts_per_day_max(self.attempts_per_day_max)
            .map(|_| ())
    }

    /// Minutes to wait before a retry.
    pub fn delay_minutes(&self) -> u32 {
        self.delay_minutes
    }

    /// Minutes to wait before retrying a dropped call.
    pub fn dropped_delay_minutes(&self) -> u32 {
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
            self.dropped_delay_minutes
        } else {
            self.delay_minutes
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

#[cfg(test)]
mod tests {
    use super::*;

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
