//! Time zones, times of day and calling windows.
//!
//! A window is a span of wall-clock time repeated every day in one zone,
//! e.g. 09:00–18:00 in Asia/Kolkata. It is evaluated on the local wall
//! clock, so it follows daylight-saving changes: 09:00 in New York is 13:00
//! UTC in summer and 14:00 UTC in winter.
//!
//! Rules, all on local wall-clock time `t`:
//! - `start < end`: open when `start <= t < end` (the end is exclusive: no
//!   call starts at 18:00 in a 09:00–18:00 window).
//! - `start > end`: the window crosses midnight; open when `t >= start` or
//!   `t < end` (22:00–06:00).
//! - `start == end`: open all day.
//! - On a spring-forward day a start inside the skipped hour opens the
//!   window at the first wall-clock instant after the gap (02:30 → 03:00 in
//!   New York). On a fall-back day the repeated hour is open both times it
//!   occurs if its wall-clock time is inside the window.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::TimeError;
use crate::ids::echo;

/// An IANA time zone (`Asia/Kolkata`, `America/New_York`, `UTC`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(Tz);

impl Zone {
    /// UTC, the default zone of a campaign.
    pub const UTC: Zone = Zone(Tz::UTC);

    /// Wraps a zone from `chrono_tz`.
    pub const fn from_tz(tz: Tz) -> Self {
        Zone(tz)
    }

    /// The `chrono_tz` zone inside.
    pub const fn tz(&self) -> Tz {
        self.0
    }

    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Local wall-clock time of `instant` in this zone.
    pub fn local_time(&self, instant: DateTime<Utc>) -> NaiveTime {
        instant.with_timezone(&self.0).time()
    }

    /// The first instant of local `date` at wall-clock `time`. When that
    /// wall-clock time is skipped by a daylight-saving change, the first
    /// instant after the gap; when it occurs twice, the earlier.
    pub fn first_instant(&self, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
        self.instants(date, time).into_iter().flatten().next()
    }

    /// Every instant at which the local wall clock shows `time` on `date`,
    /// or, for a skipped time, the instant the gap ends. At most two.
    pub(crate) fn instants(&self, date: NaiveDate, time: NaiveTime) -> [Option<DateTime<Utc>>; 2] {
        let local = date.and_time(time);
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(at) => [Some(at.with_timezone(&Utc)), None],
            LocalResult::Ambiguous(early, late) => [
                Some(early.with_timezone(&Utc)),
                Some(late.with_timezone(&Utc)),
            ],
            LocalResult::None => [self.end_of_gap(local), None],
        }
    }

    /// The instants in `[from, from + days)` at which the zone's UTC offset
    /// changes (daylight-saving transitions), to the second.
    pub(crate) fn offset_changes(&self, from: DateTime<Utc>, days: i64) -> Vec<DateTime<Utc>> {
        use chrono::Offset;
        const DAY_SECS: i64 = 24 * 60 * 60;
        let offset_at = |secs: i64| {
            DateTime::from_timestamp(secs, 0)
                .map(|t| self.0.offset_from_utc_datetime(&t.naive_utc()).fix())
        };
        let start = from.timestamp();
        let mut changes = Vec::new();
        for day in 0..days {
            let mut low = start + day * DAY_SECS;
            let mut high = low + DAY_SECS;
            let before = offset_at(low);
            if before == offset_at(high) {
                continue;
            }
            // Zones change offset at most once within a day and on whole
            // seconds, so bisecting the day finds the exact instant.
            while high - low > 1 {
                let middle = low + (high - low) / 2;
                if offset_at(middle) == before {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            changes.extend(DateTime::from_timestamp(high, 0));
        }
        changes
    }

    /// Gaps are whole minutes long and at most a day (Samoa skipped a whole
    /// day in 2011), so the first valid minute after `local` ends the gap.
    fn end_of_gap(&self, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
        const GAP_MINUTES_MAX: i64 = 26 * 60;
        let start = local.with_second(0)?.with_nanosecond(0)?;
        (1..=GAP_MINUTES_MAX).find_map(|minutes| {
            let candidate = start + Duration::minutes(minutes);
            match self.0.from_local_datetime(&candidate) {
                LocalResult::Single(at) => Some(at.with_timezone(&Utc)),
                LocalResult::Ambiguous(early, _) => Some(early.with_timezone(&Utc)),
                LocalResult::None => None,
            }
        })
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::UTC
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Zone {
    type Err = TimeError;

    fn from_str(input: &str) -> Result<Self, TimeError> {
        input
            .trim()
            .parse::<Tz>()
            .map(Zone)
            .map_err(|_| TimeError::UnknownZone { input: echo(input) })
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A wall-clock time of day, written `HH:MM` (or `HH:MM:SS`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(NaiveTime);

impl TimeOfDay {
    /// 00:00.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(NaiveTime::MIN);

    /// A time from hours and minutes; `None` when out of range.
    pub fn hm(hour: u32, minute: u32) -> Option<Self> {
        NaiveTime::from_hms_opt(hour, minute, 0).map(TimeOfDay)
    }

    /// The `chrono` time inside.
    pub const fn time(&self) -> NaiveTime {
        self.0
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.second() == 0 {
            write!(f, "{}", self.0.format("%H:%M"))
        } else {
            write!(f, "{}", self.0.format("%H:%M:%S"))
        }
    }
}

impl fmt::Debug for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for TimeOfDay {
    type Err = TimeError;

    fn from_str(input: &str) -> Result<Self, TimeError> {
        let text = input.trim();
        // Exactly `HH:MM` or `HH:MM:SS`, two digits each, so `9:5` or
        // `09:00 PM` is refused instead of being guessed at.
        let well_formed = matches!(text.len(), 5 | 8)
            && text.bytes().enumerate().all(|(i, b)| {
                if i % 3 == 2 {
                    b == b':'
                } else {
                    b.is_ascii_digit()
                }
            });
        let bad = || TimeError::BadTimeOfDay { input: echo(input) };
        if !well_formed {
            return Err(bad());
        }
        let format = if text.len() == 5 { "%H:%M" } else { "%H:%M:%S" };
        NaiveTime::parse_from_str(text, format)
            .map(TimeOfDay)
            .map_err(|_| bad())
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses a calendar date written `YYYY-MM-DD` (a campaign's start date).
pub fn parse_date(input: &str) -> Result<NaiveDate, TimeError> {
    NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d")
        .map_err(|_| TimeError::BadDate { input: echo(input) })
}

/// The daily wall-clock part of a window, without its zone: first and last
/// call time (end exclusive; `start == end` means all day).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct DailyHours {
    /// First call time: calls may start at this time.
    pub start: TimeOfDay,
    /// Last call time: no call starts at or after it.
    pub end: TimeOfDay,
}

impl DailyHours {
    /// Open around the clock.
    pub const ALL_DAY: DailyHours = DailyHours {
        start: TimeOfDay::MIDNIGHT,
        end: TimeOfDay::MIDNIGHT,
    };

    /// Hours from `start` to `end`; `end < start` crosses midnight.
    pub fn new(start: TimeOfDay, end: TimeOfDay) -> Self {
        DailyHours { start, end }
    }

    /// Whether this is open around the clock.
    pub fn is_all_day(&self) -> bool {
        self.start == self.end
    }

    /// Whether this crosses midnight (e.g. 22:00–06:00).
    pub fn crosses_midnight(&self) -> bool {
        self.start > self.end
    }

    /// Whether wall-clock time `t` is inside.
    pub fn contains(&self, t: NaiveTime) -> bool {
        let (start, end) = (self.start.0, self.end.0);
        if start == end {
            true
        } else if start < end {
            start <= t && t < end
        } else {
            t >= start || t < end
        }
    }

    /// These hours in a zone.
    pub fn in_zone(self, zone: Zone) -> CallingWindow {
        CallingWindow { zone, hours: self }
    }
}

impl Default for DailyHours {
    fn default() -> Self {
        DailyHours::ALL_DAY
    }
}

/// How far ahead [`CallingWindow::next_open`] looks.
const SEARCH_DAYS: i64 = 8;

/// Daily hours in a zone: when calls may start.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct CallingWindow {
    /// The zone whose wall clock the hours are read on.
    pub zone: Zone,
    /// The daily hours.
    pub hours: DailyHours,
}

impl CallingWindow {
    /// A window from its zone and hours.
    pub fn new(zone: Zone, hours: DailyHours) -> Self {
        CallingWindow { zone, hours }
    }

    /// Whether a call may start at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.hours.contains(self.zone.local_time(now))
    }

    /// The earliest instant at or after `now` at which the window is open:
    /// `now` itself when open. `None` only if the window does not open in
    /// the next week, which only a window lying wholly inside a
    /// daylight-saving gap every day could do; callers treat that as closed.
    pub fn next_open(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(now) {
            return Some(now);
        }
        let today = now.with_timezone(&self.zone.tz()).date_naive();
        // Yesterday's date is included because a window opening late on the
        // previous local date can still lie ahead when `now` sits in the
        // repeated hour of a fall-back night.
        // A window opens either when the wall clock reaches its start, or
        // when a daylight-saving change moves the wall clock into it (a
        // fall-back to 01:00 inside 00:30–01:30); both kinds are candidates.
        let starts = (-1..=7)
            .filter_map(|days| today.checked_add_signed(Duration::days(days)))
            .flat_map(|date| self.zone.instants(date, self.hours.start.0))
            .flatten();
        let changes = self.zone.offset_changes(now, SEARCH_DAYS);
        starts
            .chain(changes)
            .filter(|candidate| *candidate > now && self.is_open(*candidate))
            .min()
    }
}

/// Hours that differ between weekdays (Monday to Friday) and weekends,
/// in a zone: e.g. Canada's 09:00–21:30 on weekdays, 10:00–18:00 on
/// weekends. Each day's hours are read on that local date.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct WeekWindow {
    /// The zone.
    pub zone: Zone,
    /// Monday to Friday.
    pub weekday: DailyHours,
    /// Saturday and Sunday.
    pub weekend: DailyHours,
}

impl WeekWindow {
    fn hours_on(&self, date: NaiveDate) -> DailyHours {
        use chrono::Datelike;
        match date.weekday() {
            chrono::Weekday::Sat | chrono::Weekday::Sun => self.weekend,
            _ => self.weekday,
        }
    }

    /// Whether a call may start at `now`. Hours crossing midnight are read
    /// on the date they start.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&self.zone.tz());
        let (date, time) = (local.date_naive(), local.time());
        let today = self.hours_on(date);
        if today.is_all_day() {
            return true;
        }
        if today.crosses_midnight() {
            if time >= today.start.time() {
                return true;
            }
        } else if today.contains(time) {
            return true;
        }
        // Early morning: yesterday's hours may cross midnight.
        let yesterday = date.pred_opt().map(|d| self.hours_on(d)).unwrap_or(today);
        yesterday.crosses_midnight() && time < yesterday.end.time()
    }

    /// The earliest instant at or after `now` at which it is open.
    pub fn next_open(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(now) {
            return Some(now);
        }
        let today = now.with_timezone(&self.zone.tz()).date_naive();
        let dates = (-1..=8).filter_map(|days| today.checked_add_signed(Duration::days(days)));
        let starts = dates
            .clone()
            .flat_map(|date| {
                let start = self.hours_on(date).start.time();
                let midnight = NaiveTime::MIN;
                [
                    self.zone.instants(date, start),
                    self.zone.instants(date, midnight),
                ]
            })
            .flatten()
            .flatten();
        let changes = self.zone.offset_changes(now, SEARCH_DAYS);
        starts
            .chain(changes)
            .filter(|candidate| *candidate > now && self.is_open(*candidate))
            .min()
    }
}

/// Local dates on which no call starts, in a zone (holidays).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ClosedDates {
    /// The zone whose local date is read.
    pub zone: Zone,
    /// The dates, sorted.
    pub dates: Vec<NaiveDate>,
}

/// How many consecutive closed dates are skipped at most.
const CLOSED_DATES_RUN_MAX: i64 = 400;

impl ClosedDates {
    /// Whether `now` falls on an open date.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        let date = now.with_timezone(&self.zone.tz()).date_naive();
        self.dates.binary_search(&date).is_err()
    }

    /// The earliest instant at or after `now` on an open date: the start of
    /// the first open date.
    pub fn next_open(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(now) {
            return Some(now);
        }
        let today = now.with_timezone(&self.zone.tz()).date_naive();
        (1..=CLOSED_DATES_RUN_MAX)
            .filter_map(|days| today.checked_add_signed(Duration::days(days)))
            .find(|date| self.dates.binary_search(date).is_err())
            .and_then(|date| self.zone.first_instant(date, NaiveTime::MIN))
    }
}

/// One local condition on when a call may start: daily hours, weekday and
/// weekend hours, or closed dates, each in a zone.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum LocalWindow {
    /// The same hours every day.
    Daily(CallingWindow),
    /// Weekday and weekend hours.
    Week(WeekWindow),
    /// Closed on some dates.
    Closed(ClosedDates),
}

impl LocalWindow {
    /// Whether a call may start at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        match self {
            LocalWindow::Daily(window) => window.is_open(now),
            LocalWindow::Week(window) => window.is_open(now),
            LocalWindow::Closed(dates) => dates.is_open(now),
        }
    }

    /// The earliest instant at or after `now` at which it is open.
    pub fn next_open(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            LocalWindow::Daily(window) => window.next_open(now),
            LocalWindow::Week(window) => window.next_open(now),
            LocalWindow::Closed(dates) => dates.next_open(now),
        }
    }
}

/// How many times the windows are walked before giving up: each pass
/// moves to the next opening of at least one of them.
const OPENING_ROUNDS_MAX: usize = 64;

/// The earliest instant at or after `from` at which every window is open;
/// `None` when they never are together within the search.
pub fn first_opening_of_all(windows: &[LocalWindow], from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut at = from;
    for _ in 0..OPENING_ROUNDS_MAX {
        let mut moved = false;
        for window in windows {
            let next = window.next_open(at)?;
            if next > at {
                at = next;
                moved = true;
            }
        }
        if !moved {
            return Some(at);
        }
    }
    None
}

#[cfg(test)]
mod tests;
