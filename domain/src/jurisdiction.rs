//! Jurisdiction rules, built in: the hours, caps and holds the law of a
//! lead's number's jurisdiction puts on a calling campaign, in one table
//! ([`RULES`]), each row with its source.
//!
//! A number's jurisdiction comes from its country code, and for North
//! America (+1) from its area code through [`crate::nanp`]: a Florida
//! number is under both the United States row and the Florida row. The
//! rules apply on top of the campaign's own window and local hours; the
//! strictest of all wins, since a call needs every one of them open.
//!
//! Hours are read in the lead's local time: its `timezone` column when
//! given, else the zones of its number (its area code's for +1). An area
//! code spanning several zones allows only the hours legal in every one
//! of them; a number whose zone is unknown gets every zone of its
//! jurisdiction.

use chrono_tz::Tz;
use phonenumber::metadata::DATABASE;

use crate::phone::{PhoneNumber, Region};
use crate::policy::NumberCap;
use crate::time::{DailyHours, TimeOfDay, Zone};

/// Hours of a day as (hour, minute) pairs, start inclusive, end exclusive.
pub type Span = ((u32, u32), (u32, u32));

/// Where a rule applies.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Applies {
    /// Numbers of a country (ISO 3166-1 alpha-2).
    Country(&'static str),
    /// Numbers of a state or province: country and postal code.
    Subdivision(&'static str, &'static str),
}

/// One row of the table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct JurisdictionRule {
    /// A short id: `US`, `US-FL`, `CA`, `IN`, `GB`.
    pub id: &'static str,
    /// The jurisdiction's name as a person reads it.
    pub name: &'static str,
    /// Which numbers it covers.
    pub applies: Applies,
    /// Lead-local hours on weekdays (Monday to Friday).
    pub weekday_hours: Span,
    /// Lead-local hours on Saturday and Sunday.
    pub weekend_hours: Span,
    /// At most this many calls to one number in a rolling window, counted
    /// over all of the user's campaigns.
    pub cap: Option<NumberCap>,
    /// A number whose call dropped (was abandoned) is not redialled by the
    /// system for this many hours.
    pub abandoned_hold_hours: Option<u32>,
    /// The zones of the jurisdiction, used when a number's own zone is not
    /// known: the hours must then hold in every one of them.
    pub zones: &'static [Tz],
    /// Where the rule comes from.
    pub source: &'static str,
}

impl JurisdictionRule {
    /// Weekday and weekend hours.
    pub fn hours(&self) -> (DailyHours, DailyHours) {
        (to_hours(self.weekday_hours), to_hours(self.weekend_hours))
    }

    /// Whether weekday and weekend hours differ.
    pub fn has_weekend_hours(&self) -> bool {
        self.weekday_hours != self.weekend_hours
    }

    /// The hours as a person reads them: `08:00–21:00`, or
    /// `weekdays 09:00–21:30, weekends 10:00–18:00`.
    pub fn hours_text(&self) -> String {
        let (weekday, weekend) = self.hours();
        let span = |h: DailyHours| format!("{}–{}", h.start, h.end);
        if self.has_weekend_hours() {
            format!("weekdays {}, weekends {}", span(weekday), span(weekend))
        } else {
            span(weekday)
        }
    }
}

fn to_hours(((h1, m1), (h2, m2)): Span) -> DailyHours {
    let time = |h, m| TimeOfDay::hm(h, m).unwrap_or(TimeOfDay::MIDNIGHT);
    DailyHours::new(time(h1, m1), time(h2, m2))
}

const THREE_A_DAY: NumberCap = NumberCap {
    calls_max: 3,
    window_hours: 24,
};

const US_ZONES: &[Tz] = &[
    Tz::America__New_York,
    Tz::America__Chicago,
    Tz::America__Denver,
    Tz::America__Phoenix,
    Tz::America__Los_Angeles,
    Tz::America__Anchorage,
    Tz::Pacific__Honolulu,
];

/// The table. Rows apply together: a Florida number is under `US` and
/// `US-FL`.
pub const RULES: &[JurisdictionRule] = &[
    JurisdictionRule {
        id: "US",
        name: "United States (TCPA)",
        applies: Applies::Country("US"),
        weekday_hours: ((8, 0), (21, 0)),
        weekend_hours: ((8, 0), (21, 0)),
        cap: None,
        abandoned_hold_hours: None,
        zones: US_ZONES,
        source: "47 CFR § 64.1200(c)(1): no telephone solicitation before 8 a.m. or after 9 p.m. at the called party's location",
    },
    JurisdictionRule {
        id: "US-FL",
        name: "Florida",
        applies: Applies::Subdivision("US", "FL"),
        weekday_hours: ((8, 0), (20, 0)),
        weekend_hours: ((8, 0), (20, 0)),
        cap: Some(THREE_A_DAY),
        abandoned_hold_hours: None,
        zones: &[Tz::America__New_York, Tz::America__Chicago],
        source: "Florida Telephone Solicitation Act, Fla. Stat. § 501.616(6) (as amended 2021): 8 a.m.–8 p.m., at most 3 calls in 24 hours on the same subject",
    },
    JurisdictionRule {
        id: "US-OK",
        name: "Oklahoma",
        applies: Applies::Subdivision("US", "OK"),
        weekday_hours: ((8, 0), (20, 0)),
        weekend_hours: ((8, 0), (20, 0)),
        cap: Some(THREE_A_DAY),
        abandoned_hold_hours: None,
        zones: &[Tz::America__Chicago],
        source: "Oklahoma Telephone Solicitation Act of 2022, 15 O.S. § 775C.4: 8 a.m.–8 p.m., at most 3 calls in 24 hours on the same subject",
    },
    JurisdictionRule {
        id: "US-MD",
        name: "Maryland",
        applies: Applies::Subdivision("US", "MD"),
        weekday_hours: ((8, 0), (20, 0)),
        weekend_hours: ((8, 0), (20, 0)),
        cap: Some(THREE_A_DAY),
        abandoned_hold_hours: None,
        zones: &[Tz::America__New_York],
        source: "Maryland Stop the Spam Calls Act of 2023, Md. Code, Com. Law § 14-4502: 8 a.m.–8 p.m., at most 3 calls in 24 hours on the same subject",
    },
    JurisdictionRule {
        id: "CA",
        name: "Canada (CRTC)",
        applies: Applies::Country("CA"),
        weekday_hours: ((9, 0), (21, 30)),
        weekend_hours: ((10, 0), (18, 0)),
        cap: None,
        abandoned_hold_hours: None,
        zones: &[
            Tz::America__St_Johns,
            Tz::America__Halifax,
            Tz::America__Toronto,
            Tz::America__Winnipeg,
            Tz::America__Regina,
            Tz::America__Edmonton,
            Tz::America__Vancouver,
        ],
        source: "CRTC Unsolicited Telecommunications Rules, Part III (Telemarketing Rules): weekdays 9 a.m.–9:30 p.m., weekends 10 a.m.–6 p.m.",
    },
    JurisdictionRule {
        id: "IN",
        name: "India (TRAI)",
        applies: Applies::Country("IN"),
        weekday_hours: ((9, 0), (21, 0)),
        weekend_hours: ((9, 0), (21, 0)),
        cap: None,
        abandoned_hold_hours: None,
        zones: &[Tz::Asia__Kolkata],
        source: "TRAI Telecom Commercial Communications Customer Preference Regulations, 2018: promotional calls 9 a.m.–9 p.m.",
    },
    JurisdictionRule {
        id: "GB",
        name: "United Kingdom",
        applies: Applies::Country("GB"),
        weekday_hours: ((8, 0), (21, 0)),
        weekend_hours: ((8, 0), (21, 0)),
        cap: None,
        abandoned_hold_hours: Some(72),
        zones: &[Tz::Europe__London],
        source: "Ofcom, statement of policy on the persistent misuse of an electronic communications network or service (2016), §A1.93: an abandoned call is not repeated within 72 hours without a live operator; DMA Code: 8 a.m.–9 p.m.",
    },
];

/// Where a number is: its country, and for North America its state or
/// province and the zones of its area code.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NumberPlace {
    /// Its country, when known.
    pub country: Option<Region>,
    /// State or province postal code, for North American numbers.
    pub subdivision: Option<&'static str>,
    /// The zones the number may be in, when known.
    pub zones: Vec<Zone>,
}

impl NumberPlace {
    /// Where `phone` is.
    pub fn of(phone: &PhoneNumber) -> Self {
        let e164 = phone.as_str();
        if e164.starts_with("+1") {
            return match crate::nanp::area_code(e164) {
                Some(area) => NumberPlace {
                    country: Region::from_code(area.country),
                    subdivision: (!area.subdivision.is_empty()).then_some(area.subdivision),
                    zones: area.zones.iter().map(|tz| Zone::from_tz(*tz)).collect(),
                },
                None => NumberPlace {
                    country: None,
                    subdivision: None,
                    zones: Vec::new(),
                },
            };
        }
        NumberPlace {
            country: country_of_calling_code(e164),
            subdivision: None,
            zones: phone.single_zone().into_iter().collect(),
        }
    }

    fn is_in(&self, country: &str) -> bool {
        self.country.is_some_and(|region| region.code() == country)
    }

    /// The rules of the table that cover this place, country first.
    pub fn rules(&self) -> impl Iterator<Item = &'static JurisdictionRule> + '_ {
        RULES.iter().filter(move |rule| match rule.applies {
            Applies::Country(country) => self.is_in(country),
            Applies::Subdivision(country, subdivision) => {
                self.is_in(country) && self.subdivision == Some(subdivision)
            }
        })
    }
}

/// The main country of the calling code `e164` starts with (`+44` → GB),
/// from libphonenumber's metadata, looked up once per code. Calling codes
/// are prefix-free, so the first length that is a code is the code.
fn country_of_calling_code(e164: &str) -> Option<Region> {
    let digits = e164.strip_prefix('+')?;
    let table = CALLING_CODE_COUNTRIES.get_or_init(|| {
        (0..CALLING_CODES)
            .map(|code| {
                let countries = DATABASE.by_code(&u16::try_from(code).ok()?)?;
                let main = countries
                    .iter()
                    .find(|meta| meta.is_main_country_for_code())
                    .or_else(|| countries.first())?;
                Region::from_code(main.id())
            })
            .collect()
    });
    (1..=3).find_map(|len| {
        let code: usize = digits.get(..len)?.parse().ok()?;
        *table.get(code)?
    })
}

/// Calling codes have at most three digits.
const CALLING_CODES: usize = 1000;

/// The main country of each calling code, filled on first use.
static CALLING_CODE_COUNTRIES: std::sync::OnceLock<Vec<Option<Region>>> =
    std::sync::OnceLock::new();

#[cfg(test)]
mod tests {
    use super::*;

    fn place(number: &str) -> NumberPlace {
        NumberPlace::of(&PhoneNumber::parse(number, None).expect("valid number"))
    }

    fn ids(number: &str) -> Vec<&'static str> {
        place(number).rules().map(|rule| rule.id).collect()
    }

    #[test]
    fn a_number_finds_its_rows_by_country_and_area_code() {
        assert_eq!(ids("+13055550100"), vec!["US", "US-FL"]);
        assert_eq!(ids("+14055550100"), vec!["US", "US-OK"]);
        assert_eq!(ids("+14105550100"), vec!["US", "US-MD"]);
        assert_eq!(ids("+12125550100"), vec!["US"]);
        assert_eq!(ids("+14165550100"), vec!["CA"]);
        assert_eq!(ids("+919876543210"), vec!["IN"]);
        assert_eq!(ids("+447911123456"), vec!["GB"]);
        assert!(ids("+4915123456789").is_empty());
    }

    #[test]
    fn countries_come_from_the_calling_code() {
        let country = |n: &str| place(n).country.map(|r| r.code().to_owned());
        assert_eq!(country("+919876543210").as_deref(), Some("IN"));
        assert_eq!(country("+447911123456").as_deref(), Some("GB"));
        assert_eq!(country("+4915123456789").as_deref(), Some("DE"));
        assert_eq!(
            place("+919876543210").zones,
            vec![Zone::from_tz(Tz::Asia__Kolkata)]
        );
    }

    #[test]
    fn an_area_code_spanning_two_zones_lists_both() {
        let panhandle = place("+18505550100");
        assert_eq!(panhandle.subdivision, Some("FL"));
        assert!(panhandle.zones.len() >= 2, "{panhandle:?}");
    }

    #[test]
    fn every_row_has_a_source_and_zones() {
        for rule in RULES {
            assert!(
                !rule.source.is_empty() && !rule.zones.is_empty(),
                "{}",
                rule.id
            );
        }
        let canada = RULES.iter().find(|r| r.id == "CA").expect("row");
        assert_eq!(
            canada.hours_text(),
            "weekdays 09:00–21:30, weekends 10:00–18:00"
        );
    }
}
