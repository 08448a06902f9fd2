use super::*;
use proptest::prelude::*;

fn zone(name: &str) -> Zone {
    name.parse().unwrap()
}

fn t(text: &str) -> TimeOfDay {
    text.parse().unwrap()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn window(zone_name: &str, start: &str, end: &str) -> CallingWindow {
    DailyHours::new(t(start), t(end)).in_zone(zone(zone_name))
}

#[test]
fn times_of_day_parse_strictly() {
    assert_eq!(t("09:00").to_string(), "09:00");
    assert_eq!(t("23:59:30").to_string(), "23:59:30");
    for junk in [
        "9:00", "09:0", "24:00", "12:60", "09:00 PM", "", "0900", "ab:cd", "09-00",
    ] {
        let err = junk.parse::<TimeOfDay>().unwrap_err();
        assert!(err.to_string().contains("HH:MM"), "{junk}: {err}");
    }
}

#[test]
fn zones_and_dates_parse() {
    assert_eq!(zone("Asia/Kolkata").name(), "Asia/Kolkata");
    assert_eq!(Zone::default(), Zone::UTC);
    let err = "Mars/Olympus".parse::<Zone>().unwrap_err();
    assert!(err.to_string().contains("IANA"), "{err}");
    assert_eq!(parse_date("2026-11-21").unwrap().to_string(), "2026-11-21");
    assert!(parse_date("21/11/2026").is_err());
    assert!(parse_date("2026-02-30").is_err());
}

#[test]
fn serde_uses_text() {
    let w = window("Asia/Kolkata", "09:00", "18:00");
    let json = serde_json::to_string(&w).unwrap();
    assert_eq!(
        json,
        r#"{"zone":"Asia/Kolkata","hours":{"start":"09:00","end":"18:00"}}"#
    );
    assert_eq!(serde_json::from_str::<CallingWindow>(&json).unwrap(), w);
    let bytes = bincode::serialize(&w).unwrap();
    assert_eq!(bincode::deserialize::<CallingWindow>(&bytes).unwrap(), w);
    assert!(serde_json::from_str::<Zone>("\"Nowhere/Else\"").is_err());
}

#[test]
fn a_day_window_in_kolkata() {
    let w = window("Asia/Kolkata", "09:00", "18:00");
    // 09:00 IST is 03:30 UTC; 18:00 IST is 12:30 UTC.
    assert!(!w.is_open(utc("2026-11-21T03:29:59Z")));
    assert!(w.is_open(utc("2026-11-21T03:30:00Z")));
    assert!(w.is_open(utc("2026-11-21T12:29:59Z")));
    assert!(
        !w.is_open(utc("2026-11-21T12:30:00Z")),
        "the end is exclusive"
    );
    assert_eq!(
        w.next_open(utc("2026-11-21T13:00:00Z")),
        Some(utc("2026-11-22T03:30:00Z"))
    );
    let inside = utc("2026-11-21T05:00:00Z");
    assert_eq!(w.next_open(inside), Some(inside));
}

#[test]
fn a_window_across_midnight() {
    let w = window("Asia/Kolkata", "22:00", "06:00");
    assert!(w.hours.crosses_midnight());
    assert!(w.is_open(utc("2026-11-21T17:00:00Z")), "22:30 IST");
    assert!(w.is_open(utc("2026-11-21T20:00:00Z")), "01:30 IST");
    assert!(!w.is_open(utc("2026-11-21T00:30:00Z")), "06:00 IST");
    assert!(!w.is_open(utc("2026-11-21T10:00:00Z")), "15:30 IST");
    assert_eq!(
        w.next_open(utc("2026-11-21T10:00:00Z")),
        Some(utc("2026-11-21T16:30:00Z"))
    );
}

#[test]
fn all_day_is_always_open() {
    let w = DailyHours::ALL_DAY.in_zone(Zone::UTC);
    assert!(w.hours.is_all_day());
    let now = utc("2026-03-08T07:00:00Z");
    assert!(w.is_open(now));
    assert_eq!(w.next_open(now), Some(now));
}

#[test]
fn new_york_follows_daylight_saving() {
    let w = window("America/New_York", "09:00", "18:00");
    // Winter: EST, UTC-5. Summer: EDT, UTC-4.
    assert!(w.is_open(utc("2026-01-15T14:00:00Z")));
    assert!(!w.is_open(utc("2026-01-15T13:30:00Z")));
    assert!(w.is_open(utc("2026-07-15T13:00:00Z")));
    assert_eq!(
        w.next_open(utc("2026-03-07T23:00:00Z")),
        Some(utc("2026-03-08T13:00:00Z")),
        "Saturday evening EST to Sunday 09:00 EDT"
    );
}

#[test]
fn a_start_inside_the_spring_forward_gap_opens_when_the_gap_ends() {
    // 2026-03-08 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    let w = window("America/New_York", "02:30", "04:00");
    assert_eq!(
        w.next_open(utc("2026-03-08T05:00:00Z")),
        Some(utc("2026-03-08T07:00:00Z"))
    );
}

#[test]
fn the_repeated_fall_back_hour_opens_twice() {
    // 2026-11-01 02:00 EDT falls back to 01:00 EST (06:00 UTC).
    let w = window("America/New_York", "00:30", "01:30");
    assert!(w.is_open(utc("2026-11-01T05:00:00Z")), "01:00 EDT");
    assert!(!w.is_open(utc("2026-11-01T05:40:00Z")), "01:40 EDT");
    assert_eq!(
        w.next_open(utc("2026-11-01T05:40:00Z")),
        Some(utc("2026-11-01T06:00:00Z")),
        "the clock moves back into the window at 01:00 EST"
    );
    let w = window("America/New_York", "01:15", "01:45");
    assert_eq!(
        w.next_open(utc("2026-11-01T05:50:00Z")),
        Some(utc("2026-11-01T06:15:00Z")),
        "01:15 EST, the second 01:15 of the night"
    );
}

#[test]
fn first_instant_of_a_skipped_midnight() {
    // Some zones skip midnight itself (e.g. America/Santiago in September).
    let santiago = zone("America/Santiago");
    let date = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
    let first = santiago.first_instant(date, NaiveTime::MIN).unwrap();
    assert_eq!(
        santiago.tz().from_utc_datetime(&first.naive_utc()).time(),
        NaiveTime::from_hms_opt(1, 0, 0).unwrap()
    );
}

/// Instants around the 2025–2027 daylight-saving changes in New York, and
/// anywhere in those years.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let transitions = [
        "2025-03-09T07:00:00Z",
        "2025-11-02T06:00:00Z",
        "2026-03-08T07:00:00Z",
        "2026-11-01T06:00:00Z",
        "2027-03-14T07:00:00Z",
    ]
    .map(utc);
    let near = (0..transitions.len(), -3 * 86_400_i64..3 * 86_400)
        .prop_map(move |(i, offset)| transitions[i] + Duration::seconds(offset));
    let anywhere = (1_735_689_600_i64..1_798_761_600)
        .prop_map(|secs| DateTime::from_timestamp(secs, 0).unwrap_or_default());
    prop_oneof![near, anywhere]
}

fn hours() -> impl Strategy<Value = DailyHours> {
    let time = (
        0_u32..24,
        prop_oneof![Just(0_u32), Just(15), Just(30), Just(45), 0_u32..60],
    )
        .prop_map(|(h, m)| TimeOfDay::hm(h, m).unwrap_or(TimeOfDay::MIDNIGHT));
    (time.clone(), time).prop_map(|(start, end)| DailyHours::new(start, end))
}

fn zones() -> impl Strategy<Value = Zone> {
    prop_oneof![
        Just(zone("America/New_York")),
        Just(zone("Asia/Kolkata")),
        Just(zone("Europe/London")),
        Just(Zone::UTC),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// `next_open` is open, not before `now`, and nothing between `now`
    /// and it is open (checked minute by minute).
    #[test]
    fn next_open_is_the_first_open_instant(hours in hours(), zone in zones(), now in instant()) {
        let w = hours.in_zone(zone);
        let next = w.next_open(now);
        prop_assert!(next.is_some(), "{w:?} never opens after {now}");
        let next = next.unwrap_or(now);
        prop_assert!(next >= now);
        prop_assert!(w.is_open(next), "{w:?}: {next} is not open");
        prop_assert!(next - now <= Duration::hours(26), "{w:?}: {now} → {next}");
        let mut probe = now;
        while probe < next {
            prop_assert!(!w.is_open(probe), "{w:?}: {probe} is open, before {next}");
            probe += Duration::minutes(1);
        }
    }

    /// Open exactly when the local wall clock is inside the hours, with
    /// midnight-crossing hours open on both sides of midnight.
    #[test]
    fn open_means_inside_on_the_local_clock(hours in hours(), zone in zones(), now in instant()) {
        let local = now.with_timezone(&zone.tz()).time();
        let (start, end) = (hours.start.time(), hours.end.time());
        let expected = if start == end {
            true
        } else if start < end {
            start <= local && local < end
        } else {
            local >= start || local < end
        };
        prop_assert_eq!(hours.in_zone(zone).is_open(now), expected);
    }
}
