//! A user's contact policy, which applies across all of their campaigns,
//! and what the rules need to know about one number: its recent dials
//! across those campaigns.
//!
//! - **Caps per number** (`per_number`): at most `calls_max` dials of one
//!   number in any `window_hours`, counted over rolling windows from the
//!   real dials in the log, over every campaign of the user. A number held
//!   back by a cap is free again at the exact instant the oldest counted
//!   dial leaves the window.
//! - **Holidays**: dates on which no call is placed to a number of one of
//!   the listed regions, read in the lead's local time.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::SettingsError;
use crate::phone::{PhoneNumber, Region};

/// Caps in one contact policy.
pub const CONTACT_CAPS_MAX: usize = 8;
/// The largest `calls_max` of a cap.
pub const CAP_CALLS_MAX_LIMIT: u32 = 100;
/// The longest window of a cap: 31 days.
pub const CAP_WINDOW_HOURS_MAX: u32 = 31 * 24;
/// Holidays in one contact policy.
pub const HOLIDAYS_MAX: usize = 400;
/// Regions of one holiday.
pub const HOLIDAY_REGIONS_MAX: usize = 64;
/// Dials of one number remembered: above the largest cap, so every cap
/// (and the jurisdictions' caps) is always checkable.
pub const NUMBER_DIALS_KEPT: usize = 128;

/// At most `calls_max` dials of one number in any `window_hours`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct NumberCap {
    /// Dials allowed in the window.
    pub calls_max: u32,
    /// The rolling window, in hours.
    pub window_hours: u32,
}

impl NumberCap {
    /// The window as a duration.
    pub fn window(&self) -> Duration {
        Duration::hours(i64::from(self.window_hours))
    }
}

/// A date on which numbers of `regions` are not called.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Holiday {
    /// The date, in the lead's local time.
    pub date: NaiveDate,
    /// ISO 3166-1 alpha-2 regions it covers (`GB`, not `UK`).
    pub regions: Vec<Region>,
}

/// A user's rules over all of their campaigns. The default has none.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct ContactPolicy {
    /// Caps per number over rolling windows.
    pub per_number: Vec<NumberCap>,
    /// Holidays.
    pub holidays: Vec<Holiday>,
}

impl ContactPolicy {
    /// No caps, no holidays.
    pub const NONE: ContactPolicy = ContactPolicy {
        per_number: Vec::new(),
        holidays: Vec::new(),
    };

    /// Checks counts and ranges; sorts holidays by date.
    pub fn validated(mut self) -> Result<Self, SettingsError> {
        if self.per_number.len() > CONTACT_CAPS_MAX {
            return Err(SettingsError::TooMany {
                field: "caps per number",
                max: CONTACT_CAPS_MAX,
            });
        }
        for cap in &self.per_number {
            if !(1..=CAP_CALLS_MAX_LIMIT).contains(&cap.calls_max)
                || !(1..=CAP_WINDOW_HOURS_MAX).contains(&cap.window_hours)
            {
                return Err(SettingsError::CapOutOfRange {
                    calls_max: cap.calls_max,
                    window_hours: cap.window_hours,
                    calls_max_limit: CAP_CALLS_MAX_LIMIT,
                    window_hours_max: CAP_WINDOW_HOURS_MAX,
                });
            }
        }
        if self.holidays.len() > HOLIDAYS_MAX {
            return Err(SettingsError::TooMany {
                field: "holidays",
                max: HOLIDAYS_MAX,
            });
        }
        for holiday in &mut self.holidays {
            if holiday.regions.is_empty() {
                return Err(SettingsError::Empty {
                    field: "holiday regions",
                });
            }
            if holiday.regions.len() > HOLIDAY_REGIONS_MAX {
                return Err(SettingsError::TooMany {
                    field: "regions of a holiday",
                    max: HOLIDAY_REGIONS_MAX,
                });
            }
            holiday.regions.sort_by_key(|r| r.to_string());
            holiday.regions.dedup();
        }
        self.holidays.sort_by_key(|h| h.date);
        Ok(self)
    }

    /// The holiday dates of numbers of `region`, sorted.
    pub fn holidays_of(&self, region: Region) -> Vec<NaiveDate> {
        let dates: BTreeSet<NaiveDate> = self
            .holidays
            .iter()
            .filter(|holiday| holiday.regions.contains(&region))
            .map(|holiday| holiday.date)
            .collect();
        dates.into_iter().collect()
    }
}

/// One number's recent dials and abandoned calls, over every campaign of
/// one user: folded from the log (`LeadDialed` and `CallDropped`).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct NumberHistory {
    /// The most recent dials, oldest first.
    dials: Vec<DateTime<Utc>>,
    /// When a call to the number last dropped (was abandoned).
    last_abandoned_at: Option<DateTime<Utc>>,
}

impl NumberHistory {
    /// Records a dial.
    pub fn record_dial(&mut self, at: DateTime<Utc>) {
        self.dials.push(at);
        if self.dials.len() > NUMBER_DIALS_KEPT {
            self.dials.remove(0);
        }
    }

    /// Records that a call to the number dropped.
    pub fn record_abandoned(&mut self, at: DateTime<Utc>) {
        self.last_abandoned_at = Some(self.last_abandoned_at.map_or(at, |t| t.max(at)));
    }

    /// The dials remembered, oldest first.
    pub fn dials(&self) -> &[DateTime<Utc>] {
        &self.dials
    }

    /// When a call to the number last dropped.
    pub fn last_abandoned_at(&self) -> Option<DateTime<Utc>> {
        self.last_abandoned_at
    }

    /// Dials in `(at - window, at]`.
    pub fn dials_in_window(&self, cap: NumberCap, at: DateTime<Utc>) -> usize {
        let since = at - cap.window();
        self.dials
            .iter()
            .filter(|dial| **dial > since && **dial <= at)
            .count()
    }

    /// When `cap` stops holding the number back: the instant the oldest of
    /// the last `calls_max` dials leaves the window. `None` when fewer
    /// dials were ever made.
    pub fn cap_lifts_at(&self, cap: NumberCap) -> Option<DateTime<Utc>> {
        let calls_max = usize::try_from(cap.calls_max).ok()?;
        let index = self.dials.len().checked_sub(calls_max)?;
        self.dials.get(index).map(|oldest| *oldest + cap.window())
    }
}

/// Where a rule finds a number's history.
pub trait NumberLookup {
    /// The number's history, if it was ever dialed.
    fn history(&self, phone: &PhoneNumber) -> Option<&NumberHistory>;
}

impl<S: std::hash::BuildHasher> NumberLookup
    for std::collections::HashMap<PhoneNumber, NumberHistory, S>
{
    fn history(&self, phone: &PhoneNumber) -> Option<&NumberHistory> {
        self.get(phone)
    }
}

impl NumberLookup for std::collections::BTreeMap<PhoneNumber, NumberHistory> {
    fn history(&self, phone: &PhoneNumber) -> Option<&NumberHistory> {
        self.get(phone)
    }
}

/// No history of any number.
pub struct NoHistory;

impl NumberLookup for NoHistory {
    fn history(&self, _: &PhoneNumber) -> Option<&NumberHistory> {
        None
    }
}

static NO_DNC: BTreeSet<PhoneNumber> = BTreeSet::new();
static NO_POLICY: ContactPolicy = ContactPolicy::NONE;

/// What the rules know of a campaign's owner: their contact policy, their
/// do-not-call list and their numbers' histories across campaigns.
#[derive(Clone, Copy)]
pub struct Owner<'a> {
    /// Their contact policy.
    pub policy: &'a ContactPolicy,
    /// Their do-not-call list.
    pub dnc: &'a BTreeSet<PhoneNumber>,
    /// Their numbers' dial histories.
    pub numbers: &'a dyn NumberLookup,
}

impl Owner<'static> {
    /// An owner with no policy, an empty do-not-call list and no dials:
    /// what a lead's own rules see when nothing across campaigns is known.
    pub fn detached() -> Self {
        Owner {
            policy: &NO_POLICY,
            dnc: &NO_DNC,
            numbers: &NoHistory,
        }
    }
}

impl Owner<'_> {
    /// Whether `phone` is on the do-not-call list.
    pub fn is_dnc(&self, phone: &PhoneNumber) -> bool {
        self.dnc.contains(phone)
    }
}

impl std::fmt::Debug for Owner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Owner")
            .field("policy", self.policy)
            .field("dnc", &self.dnc.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{minutes, t0};

    fn cap(calls_max: u32, window_hours: u32) -> NumberCap {
        NumberCap {
            calls_max,
            window_hours,
        }
    }

    #[test]
    fn a_cap_lifts_when_the_oldest_counted_dial_leaves_the_window() {
        // given three dials an hour apart
        let mut history = NumberHistory::default();
        for hour in 0..3 {
            history.record_dial(t0() + minutes(60 * hour));
        }
        // when the cap is 3 in 24 h
        let three_a_day = cap(3, 24);
        // then it lifts 24 h after the first dial, to the second
        assert_eq!(
            history.cap_lifts_at(three_a_day),
            Some(t0() + minutes(24 * 60))
        );
        assert_eq!(history.dials_in_window(three_a_day, t0() + minutes(120)), 3);
        assert_eq!(
            history.dials_in_window(three_a_day, t0() + minutes(24 * 60)),
            2
        );
        // and a cap of 4 does not hold at all
        assert_eq!(history.cap_lifts_at(cap(4, 24)), None);
    }

    #[test]
    fn a_policy_out_of_range_is_refused() {
        for bad in [cap(0, 24), cap(101, 24), cap(3, 0), cap(3, 24 * 31 + 1)] {
            let policy = ContactPolicy {
                per_number: vec![bad],
                holidays: Vec::new(),
            };
            assert!(policy.validated().is_err(), "{bad:?}");
        }
        let no_regions = ContactPolicy {
            per_number: Vec::new(),
            holidays: vec![Holiday {
                date: NaiveDate::from_ymd_opt(2026, 12, 25).unwrap_or_default(),
                regions: Vec::new(),
            }],
        };
        assert!(no_regions.validated().is_err());
    }

    #[test]
    fn holidays_are_found_by_region() {
        let christmas = NaiveDate::from_ymd_opt(2026, 12, 25).unwrap_or_default();
        let diwali = NaiveDate::from_ymd_opt(2026, 11, 8).unwrap_or_default();
        let region = |code: &str| code.parse::<Region>().expect("region");
        let policy = ContactPolicy {
            per_number: Vec::new(),
            holidays: vec![
                Holiday {
                    date: christmas,
                    regions: vec![region("US"), region("IN")],
                },
                Holiday {
                    date: diwali,
                    regions: vec![region("IN")],
                },
            ],
        }
        .validated()
        .expect("valid");
        assert_eq!(policy.holidays_of(region("IN")), vec![diwali, christmas]);
        assert_eq!(policy.holidays_of(region("US")), vec![christmas]);
        assert!(policy.holidays_of(region("GB")).is_empty());
    }
}
