//! A campaign's activity in time: per minute, its dials, its calls ended
//! by outcome, and the most calls it had in flight.
//!
//! Folded in `ReadModel::apply` with the call log, from the same events:
//!
//! - a dial counts in the minute of its `LeadDialed.at`;
//! - a call's end counts once, under its outcome, in the minute of the
//!   end's `at` (the first end of a call in flight; the domain records no
//!   other). A call reclaimed as stale counts as `failed`, as the call log
//!   shows it, and also under `reclaimed`;
//! - `in_flight_max` is the most calls of the campaign in flight at any
//!   moment of the minute: the count carried in at the minute's start, and
//!   each value it takes as calls start and end in it.
//!
//! Only minutes with activity are stored, as compact counters (`u32`),
//! so a campaign costs about 50 bytes per active minute. Hours and days
//! are sums of minutes made on read ([`Timeline::aggregate`]), over
//! bucket edges from [`edges`]: an hour starts on the hour of the
//! campaign's zone (its offset at that instant), a day at the zone's
//! midnight (so a day of a daylight-saving change has 23 or 25 hours).
//! An empty minute inside a range carries the calls in flight of the
//! minute before it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use leadline_domain::time::Zone;
use leadline_domain::CallOutcome;

/// The counters of one bucket.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Bucket {
    /// Calls dialed.
    pub dials: u32,
    /// Calls ended, by outcome, in the order of `CallOutcome::ALL`.
    pub outcomes: [u32; CallOutcome::ALL.len()],
    /// Calls reclaimed as stale (also counted as `failed`).
    pub reclaimed: u32,
    /// The most calls in flight at any moment of the bucket.
    pub in_flight_max: u32,
}

impl Bucket {
    /// Calls ended under `outcome`.
    pub fn outcome(&self, outcome: CallOutcome) -> u32 {
        self.outcomes[outcome_index(outcome)]
    }

    /// Calls ended, whatever the outcome.
    pub fn ended(&self) -> u32 {
        self.outcomes.iter().fold(0u32, |a, n| a.saturating_add(*n))
    }

    /// `answered / ended`, or `None` when no call ended.
    pub fn answer_rate(&self) -> Option<f64> {
        let ended = self.ended();
        (ended > 0).then(|| f64::from(self.outcome(CallOutcome::Answered)) / f64::from(ended))
    }

    /// Adds `other`'s counts; the larger `in_flight_max` stays.
    fn add(&mut self, other: &Bucket) {
        self.dials = self.dials.saturating_add(other.dials);
        for (a, b) in self.outcomes.iter_mut().zip(other.outcomes.iter()) {
            *a = a.saturating_add(*b);
        }
        self.reclaimed = self.reclaimed.saturating_add(other.reclaimed);
        self.in_flight_max = self.in_flight_max.max(other.in_flight_max);
    }
}

fn outcome_index(outcome: CallOutcome) -> usize {
    match outcome {
        CallOutcome::Answered => 0,
        CallOutcome::NoAnswer => 1,
        CallOutcome::Busy => 2,
        CallOutcome::Failed => 3,
        CallOutcome::Dropped => 4,
        CallOutcome::Congestion => 5,
        CallOutcome::Voicemail => 6,
    }
}

/// Minutes since the Unix epoch, rounded down.
pub fn minute_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(60)
}

/// The first instant of a minute index.
pub fn minute_start(minute: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(minute.checked_mul(60)?, 0)
}

/// One campaign's timeline.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct Timeline {
    /// Active minutes, by minute index.
    minutes: BTreeMap<i64, Bucket>,
    /// The campaign's calls in flight now (dialed, not ended).
    in_flight: u32,
}

impl Timeline {
    /// The minute's bucket, made with the calls in flight carried in.
    fn minute(&mut self, at: DateTime<Utc>) -> &mut Bucket {
        let carried = self.in_flight;
        self.minutes.entry(minute_of(at)).or_insert(Bucket {
            in_flight_max: carried,
            ..Bucket::default()
        })
    }

    /// A call dialed at `at`.
    pub fn dialed(&mut self, at: DateTime<Utc>) {
        let in_flight = self.in_flight.saturating_add(1);
        let bucket = self.minute(at);
        bucket.dials = bucket.dials.saturating_add(1);
        bucket.in_flight_max = bucket.in_flight_max.max(in_flight);
        self.in_flight = in_flight;
    }

    /// A call in flight ended at `at` with `outcome`, or was reclaimed
    /// (`None`: counted as failed and reclaimed).
    pub fn ended(&mut self, at: DateTime<Utc>, outcome: Option<CallOutcome>) {
        let bucket = self.minute(at);
        let i = outcome_index(outcome.unwrap_or(CallOutcome::Failed));
        bucket.outcomes[i] = bucket.outcomes[i].saturating_add(1);
        if outcome.is_none() {
            bucket.reclaimed = bucket.reclaimed.saturating_add(1);
        }
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// The campaign's calls in flight now.
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// Active minutes in order, by minute index.
    pub fn minutes(&self) -> impl Iterator<Item = (i64, &Bucket)> {
        self.minutes.iter().map(|(m, b)| (*m, b))
    }

    /// The first and last active minutes, if any.
    pub fn span(&self) -> Option<(i64, i64)> {
        let first = self.minutes.keys().next()?;
        let last = self.minutes.keys().next_back()?;
        Some((*first, *last))
    }

    /// The sums of minutes between consecutive `edges` (minute indices,
    /// increasing): one bucket fewer than edges. A bucket's
    /// `in_flight_max` includes the calls in flight carried into it and
    /// through its empty minutes.
    pub fn aggregate(&self, edges: &[i64]) -> Vec<Bucket> {
        let (Some(first), Some(_)) = (edges.first(), edges.last()) else {
            return Vec::new();
        };
        // Calls in flight carried into the first edge.
        let mut running: i64 = self
            .minutes
            .range(..*first)
            .map(|(_, b)| i64::from(b.dials) - i64::from(b.ended()))
            .sum::<i64>()
            .max(0);
        let carried = |running: i64| u32::try_from(running.max(0)).unwrap_or(u32::MAX);
        edges
            .windows(2)
            .map(|pair| {
                let mut bucket = Bucket {
                    in_flight_max: carried(running),
                    ..Bucket::default()
                };
                if pair[0] < pair[1] {
                    for (_, minute) in self.minutes.range(pair[0]..pair[1]) {
                        bucket.add(minute);
                        running += i64::from(minute.dials) - i64::from(minute.ended());
                        bucket.in_flight_max = bucket.in_flight_max.max(carried(running));
                    }
                }
                bucket
            })
            .collect()
    }
}

/// The size of a bucket asked for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BucketSize {
    Minute,
    Hour,
    Day,
}

impl BucketSize {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "minute" => Some(BucketSize::Minute),
            "hour" => Some(BucketSize::Hour),
            "day" => Some(BucketSize::Day),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BucketSize::Minute => "minute",
            BucketSize::Hour => "hour",
            BucketSize::Day => "day",
        }
    }

    /// Its usual length (a day of a daylight-saving change differs).
    pub fn nominal(self) -> Duration {
        match self {
            BucketSize::Minute => Duration::minutes(1),
            BucketSize::Hour => Duration::hours(1),
            BucketSize::Day => Duration::days(1),
        }
    }

    /// The start of the bucket holding `at`, in `zone`.
    fn start(self, zone: Zone, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let minute = minute_start(minute_of(at))?;
        match self {
            BucketSize::Minute => Some(minute),
            BucketSize::Hour => {
                let local = minute.with_timezone(&zone.tz());
                Some(minute - Duration::minutes(i64::from(local.minute())))
            }
            BucketSize::Day => {
                let date = at.with_timezone(&zone.tz()).date_naive();
                zone.first_instant(date, NaiveTime::MIN)
                    .filter(|start| *start <= at)
                    .or_else(|| {
                        // Midnight skipped and the gap after `at`: the
                        // earliest instant of the date.
                        zone.tz()
                            .from_local_datetime(&date.and_time(NaiveTime::MIN))
                            .earliest()
                            .map(|t| t.with_timezone(&Utc))
                    })
            }
        }
    }

    /// The start of the bucket after the one starting at `start`.
    fn next(self, zone: Zone, start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let nominal = start.checked_add_signed(self.nominal())?;
        let next = match self {
            BucketSize::Minute => Some(nominal),
            BucketSize::Hour => self.start(zone, nominal),
            BucketSize::Day => {
                let date = start.with_timezone(&zone.tz()).date_naive().succ_opt()?;
                zone.first_instant(date, NaiveTime::MIN)
            }
        };
        // Always forward, even across odd offset changes.
        Some(next.filter(|n| *n > start).unwrap_or(nominal))
    }
}

/// Too many buckets in a range.
#[derive(Debug, PartialEq, Eq)]
pub struct TooManyBuckets;

/// The edges of the buckets of `size` covering `[from, to)` in `zone`:
/// the first is the start of the bucket holding `from`, the last the
/// first edge at or after `to`. Empty when `to <= from`. More than
/// `max` buckets is refused without making them.
pub fn edges(
    size: BucketSize,
    zone: Zone,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    max: usize,
) -> Result<Vec<DateTime<Utc>>, TooManyBuckets> {
    let mut out = Vec::new();
    if to <= from {
        return Ok(out);
    }
    let Some(mut at) = size.start(zone, from) else {
        return Ok(out);
    };
    out.push(at);
    while at < to {
        if out.len() > max {
            return Err(TooManyBuckets);
        }
        match size.next(zone, at) {
            Some(next) => at = next,
            None => break,
        }
        out.push(at);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn minutes_count_dials_ends_and_the_most_in_flight() {
        let mut line = Timeline::default();
        line.dialed(t("2026-03-01T10:00:05Z"));
        line.dialed(t("2026-03-01T10:00:10Z"));
        line.ended(t("2026-03-01T10:00:20Z"), Some(CallOutcome::Answered));
        line.ended(t("2026-03-01T10:02:00Z"), None);
        let minutes: Vec<_> = line.minutes().map(|(m, b)| (m, *b)).collect();
        assert_eq!(minutes.len(), 2);
        assert_eq!(minutes[0].1.dials, 2);
        assert_eq!(minutes[0].1.in_flight_max, 2);
        assert_eq!(minutes[0].1.outcome(CallOutcome::Answered), 1);
        assert_eq!(minutes[1].1.outcome(CallOutcome::Failed), 1);
        assert_eq!(minutes[1].1.reclaimed, 1);
        assert_eq!(minutes[1].1.in_flight_max, 1, "carried in");
        assert_eq!(line.in_flight(), 0);

        let first = minute_of(t("2026-03-01T10:00:00Z"));
        let sums = line.aggregate(&[first, first + 1, first + 2, first + 3]);
        assert_eq!(
            sums[1].in_flight_max, 1,
            "an empty minute carries its calls"
        );
        assert_eq!(sums[1].dials, 0);
        assert_eq!(sums[2].ended(), 1);
        assert_eq!(sums[0].answer_rate(), Some(1.0));
        assert_eq!(sums[1].answer_rate(), None);
    }

    #[test]
    fn hours_and_days_follow_the_zone() {
        let kolkata = Zone::from_tz(chrono_tz::Asia::Kolkata);
        let hours = edges(
            BucketSize::Hour,
            kolkata,
            t("2026-03-01T10:10:00Z"),
            t("2026-03-01T11:00:00Z"),
            10,
        );
        assert_eq!(
            hours,
            Ok(vec![
                t("2026-03-01T09:30:00Z"),
                t("2026-03-01T10:30:00Z"),
                t("2026-03-01T11:30:00Z")
            ])
        );
        let new_york = Zone::from_tz(chrono_tz::America::New_York);
        let days = edges(
            BucketSize::Day,
            new_york,
            t("2026-03-08T12:00:00Z"),
            t("2026-03-09T12:00:00Z"),
            10,
        );
        assert_eq!(
            days,
            Ok(vec![
                t("2026-03-08T05:00:00Z"),
                t("2026-03-09T04:00:00Z"),
                t("2026-03-10T04:00:00Z")
            ]),
            "the day of the change has 23 hours"
        );
        assert_eq!(
            edges(
                BucketSize::Minute,
                Zone::UTC,
                t("2026-03-01T00:00:00Z"),
                t("2026-03-02T00:00:00Z"),
                100
            ),
            Err(TooManyBuckets)
        );
    }
}
