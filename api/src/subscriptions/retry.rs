//! When a failed delivery is tried again: exponential backoff with jitter,
//! from `WEBHOOK_RETRY_DELAY_MS_MIN` doubling up to
//! `WEBHOOK_RETRY_DELAY_MS_MAX`, forever (a receiver down for an hour gets
//! everything when it comes back, at most that cap later).

use std::time::Duration;

use crate::limits::{WEBHOOK_RETRY_DELAY_MS_MAX, WEBHOOK_RETRY_DELAY_MS_MIN};

/// The ceiling of the wait after `failures` consecutive failures (1 for
/// the first): the minimum, doubled per failure, capped.
pub fn ceiling_ms(failures: u32) -> u64 {
    let doublings = failures.saturating_sub(1).min(32);
    WEBHOOK_RETRY_DELAY_MS_MIN
        .saturating_mul(1u64 << doublings)
        .min(WEBHOOK_RETRY_DELAY_MS_MAX)
}

/// The wait after `failures` consecutive failures, with "equal jitter":
/// between half the ceiling and the ceiling, never under the minimum.
/// `unit` is a uniform draw from [0, 1).
pub fn delay(failures: u32, unit: f64) -> Duration {
    let ceiling = ceiling_ms(failures);
    let half = ceiling / 2;
    let jitter = (half as f64 * unit.clamp(0.0, 1.0)) as u64;
    let ms = (half + jitter).clamp(WEBHOOK_RETRY_DELAY_MS_MIN, WEBHOOK_RETRY_DELAY_MS_MAX);
    Duration::from_millis(ms)
}

/// The wait after `failures` consecutive failures, with a random jitter.
pub fn jittered(failures: u32) -> Duration {
    delay(failures, rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_from_the_minimum_to_the_cap() {
        assert_eq!(ceiling_ms(1), WEBHOOK_RETRY_DELAY_MS_MIN);
        assert_eq!(ceiling_ms(2), 2 * WEBHOOK_RETRY_DELAY_MS_MIN);
        assert_eq!(ceiling_ms(3), 4 * WEBHOOK_RETRY_DELAY_MS_MIN);
        assert_eq!(ceiling_ms(0), WEBHOOK_RETRY_DELAY_MS_MIN);
        assert_eq!(ceiling_ms(30), WEBHOOK_RETRY_DELAY_MS_MAX);
        assert_eq!(ceiling_ms(u32::MAX), WEBHOOK_RETRY_DELAY_MS_MAX);
    }

    #[test]
    fn every_delay_is_within_bounds_and_never_shrinks_in_its_ceiling() {
        for failures in 0..200 {
            for unit in [0.0, 0.25, 0.5, 0.999_999, 1.0, -3.0, 7.0, f64::NAN] {
                let ms = delay(failures, unit).as_millis() as u64;
                assert!(ms >= WEBHOOK_RETRY_DELAY_MS_MIN, "{failures} {unit}: {ms}");
                assert!(ms <= WEBHOOK_RETRY_DELAY_MS_MAX, "{failures} {unit}: {ms}");
                assert!(ms <= ceiling_ms(failures), "{failures} {unit}: {ms}");
                assert!(ms >= ceiling_ms(failures) / 2, "{failures} {unit}: {ms}");
            }
        }
        for _ in 0..1000 {
            let ms = jittered(40).as_millis() as u64;
            assert!((WEBHOOK_RETRY_DELAY_MS_MAX / 2..=WEBHOOK_RETRY_DELAY_MS_MAX).contains(&ms));
        }
    }
}
