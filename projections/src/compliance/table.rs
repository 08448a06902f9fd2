//! The jurisdiction table the compliance checker judges by: the built-in
//! one (`leadline_domain::jurisdiction::RULES`) as owned rows, or one read
//! from a rules file, validated and bounded.
//!
//! A rules file is JSON: `{"rules": [row, …]}`, each row
//!
//! ```json
//! {"id": "US-FL", "name": "Florida", "country": "US", "subdivision": "FL",
//!  "weekday_hours": "08:00-20:00", "weekend_hours": "08:00-20:00",
//!  "cap": {"calls_max": 2, "window_hours": 24}, "abandoned_hold_hours": 72,
//!  "zones": ["America/New_York", "America/Chicago"], "source": "Fla. Stat. § 501.616(6)"}
//! ```
//!
//! `name` defaults to the id, `subdivision` to none (the whole country),
//! `weekend_hours` to the weekday hours; `cap` and `abandoned_hold_hours`
//! are optional. Hours are lead-local, start included and end excluded;
//! `24:00` ends at midnight. Any other field is an error naming it.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use leadline_domain::jurisdiction::{Applies, NumberPlace, Span, RULES};
use leadline_domain::policy::{NumberCap, CAP_CALLS_MAX_LIMIT, CAP_WINDOW_HOURS_MAX};
use serde::Deserialize;

/// Bytes of a rules file.
pub const RULES_FILE_BYTES_MAX: usize = 256 * 1024;
/// Rows of a rules file.
pub const RULES_FILE_ROWS_MAX: usize = 500;
/// Bytes of a row's id.
pub const RULE_ID_BYTES_MAX: usize = 32;
/// Bytes of a row's name.
pub const RULE_NAME_BYTES_MAX: usize = 200;
/// Bytes of a row's source.
pub const RULE_SOURCE_BYTES_MAX: usize = 2_000;
/// Zones of one row.
pub const RULE_ZONES_MAX: usize = 32;
/// The longest abandoned-call hold of a row: 31 days.
pub const RULE_HOLD_HOURS_MAX: u32 = 31 * 24;

const SECONDS_PER_DAY: u32 = 24 * 60 * 60;

/// Lead-local hours of a day, in seconds since midnight: start included,
/// end excluded (at most 86 400, the next midnight).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Hours {
    pub start_s: u32,
    pub end_s: u32,
}

impl Hours {
    fn of_span(((h1, m1), (h2, m2)): Span) -> Hours {
        Hours {
            start_s: h1 * 3600 + m1 * 60,
            end_s: h2 * 3600 + m2 * 60,
        }
    }

    /// Whether local time `t` (seconds since midnight) is inside.
    pub fn contains(&self, seconds: u32) -> bool {
        self.start_s <= seconds && seconds < self.end_s
    }

    /// Whether `at` is inside, read in zone `tz`.
    pub fn open_at(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        self.contains(at.with_timezone(&tz).num_seconds_from_midnight())
    }
}

impl std::fmt::Display for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hm = |s: u32| format!("{:02}:{:02}", s / 3600, (s % 3600) / 60);
        write!(f, "{}–{}", hm(self.start_s), hm(self.end_s))
    }
}

/// One row of a table.
#[derive(Clone, PartialEq, Debug)]
pub struct RuleRow {
    /// A short id: `US`, `US-FL`.
    pub id: String,
    /// The jurisdiction's name as a person reads it.
    pub name: String,
    /// ISO 3166-1 alpha-2 country of the numbers it covers.
    pub country: String,
    /// State or province postal code; `None`: the whole country.
    pub subdivision: Option<String>,
    /// Lead-local hours Monday to Friday.
    pub weekday_hours: Hours,
    /// Lead-local hours on Saturday and Sunday.
    pub weekend_hours: Hours,
    /// At most so many calls to one number in a rolling window, over all
    /// of a user's campaigns.
    pub cap: Option<NumberCap>,
    /// A number whose call dropped is not redialled for so many hours.
    pub abandoned_hold_hours: Option<u32>,
    /// The jurisdiction's zones, used when a number's own is not known.
    pub zones: Vec<Tz>,
    /// Where the rule comes from.
    pub source: String,
}

impl RuleRow {
    /// Whether the row covers a number at `place`.
    pub fn covers(&self, place: &NumberPlace) -> bool {
        let country = place.country.map(|r| r.code().to_owned());
        country.as_deref() == Some(self.country.as_str())
            && self
                .subdivision
                .as_deref()
                .is_none_or(|s| place.subdivision == Some(s))
    }

    /// The hours of `at`'s local day in `tz`, and whether it is a weekend.
    pub fn hours_at(&self, at: DateTime<Utc>, tz: Tz) -> (Hours, bool) {
        let weekend = matches!(at.with_timezone(&tz).weekday(), Weekday::Sat | Weekday::Sun);
        if weekend {
            (self.weekend_hours, true)
        } else {
            (self.weekday_hours, false)
        }
    }
}

/// A jurisdiction table and where it comes from.
#[derive(Clone, PartialEq, Debug)]
pub struct RulesTable {
    pub rows: Vec<RuleRow>,
    /// `built-in`, or `file blake3:<hex>` of the file's bytes.
    pub origin: String,
}

impl Default for RulesTable {
    fn default() -> Self {
        RulesTable::built_in()
    }
}

/// Why a rules file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesFileError {
    #[error("the rules file is {bytes} bytes; the limit is {max} (rules_file_bytes_max)")]
    TooLarge { bytes: usize, max: usize },
    #[error("the rules file is not JSON of the form {{\"rules\": [...]}}: {0}")]
    Shape(String),
    #[error("the rules file has {rows} rows; the limit is {max} (rules_file_rows_max)")]
    TooManyRows { rows: usize, max: usize },
    #[error("the rules file has no rows")]
    Empty,
    #[error("rules[{index}]{id}: {detail}")]
    Row {
        index: usize,
        /// ` (US-FL)` when the row's id is known, else empty.
        id: String,
        detail: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    rules: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowShape {
    id: String,
    #[serde(default)]
    name: Option<String>,
    country: String,
    #[serde(default)]
    subdivision: Option<String>,
    weekday_hours: String,
    #[serde(default)]
    weekend_hours: Option<String>,
    #[serde(default)]
    cap: Option<CapShape>,
    #[serde(default)]
    abandoned_hold_hours: Option<u32>,
    zones: Vec<String>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CapShape {
    calls_max: u32,
    window_hours: u32,
}

impl RulesTable {
    /// The built-in table, `leadline_domain::jurisdiction::RULES`.
    pub fn built_in() -> RulesTable {
        let rows = RULES
            .iter()
            .map(|rule| {
                let (country, subdivision) = match rule.applies {
                    Applies::Country(c) => (c.to_owned(), None),
                    Applies::Subdivision(c, s) => (c.to_owned(), Some(s.to_owned())),
                };
                RuleRow {
                    id: rule.id.to_owned(),
                    name: rule.name.to_owned(),
                    country,
                    subdivision,
                    weekday_hours: Hours::of_span(rule.weekday_hours),
                    weekend_hours: Hours::of_span(rule.weekend_hours),
                    cap: rule.cap,
                    abandoned_hold_hours: rule.abandoned_hold_hours,
                    zones: rule.zones.to_vec(),
                    source: rule.source.to_owned(),
                }
            })
            .collect();
        RulesTable {
            rows,
            origin: "built-in".to_owned(),
        }
    }

    /// Reads a rules file, refusing anything malformed, unknown or out of
    /// bounds with a message naming the row and the field.
    pub fn from_json(bytes: &[u8]) -> Result<RulesTable, RulesFileError> {
        if bytes.len() > RULES_FILE_BYTES_MAX {
            return Err(RulesFileError::TooLarge {
                bytes: bytes.len(),
                max: RULES_FILE_BYTES_MAX,
            });
        }
        let shape: FileShape =
            serde_json::from_slice(bytes).map_err(|e| RulesFileError::Shape(e.to_string()))?;
        Self::from_rows(
            shape.rules,
            format!("file blake3:{}", blake3::hash(bytes).to_hex()),
        )
    }

    /// A table from the rows of a rules file already parsed as JSON
    /// values (the `rules` array), under `origin`.
    pub fn from_rows(
        rows: Vec<serde_json::Value>,
        origin: String,
    ) -> Result<RulesTable, RulesFileError> {
        if rows.len() > RULES_FILE_ROWS_MAX {
            return Err(RulesFileError::TooManyRows {
                rows: rows.len(),
                max: RULES_FILE_ROWS_MAX,
            });
        }
        if rows.is_empty() {
            return Err(RulesFileError::Empty);
        }
        let mut ids = BTreeSet::new();
        let mut table = Vec::with_capacity(rows.len());
        for (index, value) in rows.into_iter().enumerate() {
            let id = value
                .get("id")
                .and_then(|v| v.as_str())
                .filter(|id| id.len() <= RULE_ID_BYTES_MAX)
                .map(|id| format!(" ({id})"))
                .unwrap_or_default();
            let fail = |detail: String| RulesFileError::Row {
                index,
                id: id.clone(),
                detail,
            };
            let shape: RowShape = serde_json::from_value(value).map_err(|e| fail(e.to_string()))?;
            let row = row_of(shape).map_err(fail)?;
            if !ids.insert(row.id.clone()) {
                return Err(fail(format!("id `{}` is used by an earlier row", row.id)));
            }
            table.push(row);
        }
        Ok(RulesTable {
            rows: table,
            origin,
        })
    }
}

fn text(field: &str, value: String, max: usize) -> Result<String, String> {
    let value = value.trim().to_owned();
    if value.is_empty() {
        return Err(format!("{field} is empty"));
    }
    if value.len() > max {
        return Err(format!(
            "{field} is {} bytes; the limit is {max}",
            value.len()
        ));
    }
    Ok(value)
}

fn code(
    field: &str,
    value: String,
    lengths: std::ops::RangeInclusive<usize>,
) -> Result<String, String> {
    let value = value.trim().to_owned();
    let fits = lengths.contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if fits {
        Ok(value)
    } else {
        Err(format!(
            "{field} `{}` must be {}–{} capital letters or digits",
            leadline_domain::text::echo(&value),
            lengths.start(),
            lengths.end()
        ))
    }
}

/// `HH:MM-HH:MM` (or with an en dash), start before end, `24:00` the
/// latest end.
fn hours(field: &str, value: &str) -> Result<Hours, String> {
    let bad = || {
        format!(
            "{field} `{}` must be HH:MM-HH:MM with the start before the end (24:00 at the latest)",
            leadline_domain::text::echo(value)
        )
    };
    let (start, end) = value
        .split_once('-')
        .or_else(|| value.split_once('–'))
        .ok_or_else(bad)?;
    let seconds = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 3600 + m * 60)
    };
    let (start_s, end_s) = (
        seconds(start).ok_or_else(bad)?,
        seconds(end).ok_or_else(bad)?,
    );
    if start_s >= end_s || end_s > SECONDS_PER_DAY {
        return Err(bad());
    }
    Ok(Hours { start_s, end_s })
}

fn row_of(shape: RowShape) -> Result<RuleRow, String> {
    let id = text("id", shape.id, RULE_ID_BYTES_MAX)?;
    let name = match shape.name {
        Some(name) => text("name", name, RULE_NAME_BYTES_MAX)?,
        None => id.clone(),
    };
    let country = code("country", shape.country, 2..=2)?;
    let subdivision = shape
        .subdivision
        .map(|s| code("subdivision", s, 1..=3))
        .transpose()?;
    let weekday_hours = hours("weekday_hours", &shape.weekday_hours)?;
    let weekend_hours = match shape.weekend_hours {
        Some(h) => hours("weekend_hours", &h)?,
        None => weekday_hours,
    };
    let cap = match shape.cap {
        None => None,
        Some(cap) => {
            if !(1..=CAP_CALLS_MAX_LIMIT).contains(&cap.calls_max) {
                return Err(format!(
                    "cap.calls_max {} must be from 1 to {CAP_CALLS_MAX_LIMIT}",
                    cap.calls_max
                ));
            }
            if !(1..=CAP_WINDOW_HOURS_MAX).contains(&cap.window_hours) {
                return Err(format!(
                    "cap.window_hours {} must be from 1 to {CAP_WINDOW_HOURS_MAX}",
                    cap.window_hours
                ));
            }
            Some(NumberCap {
                calls_max: cap.calls_max,
                window_hours: cap.window_hours,
            })
        }
    };
    if let Some(hold) = shape.abandoned_hold_hours {
        if !(1..=RULE_HOLD_HOURS_MAX).contains(&hold) {
            return Err(format!(
                "abandoned_hold_hours {hold} must be from 1 to {RULE_HOLD_HOURS_MAX}"
            ));
        }
    }
    if shape.zones.is_empty() {
        return Err("zones is empty: name the jurisdiction's time zones".to_owned());
    }
    if shape.zones.len() > RULE_ZONES_MAX {
        return Err(format!(
            "zones lists {}; the limit is {RULE_ZONES_MAX}",
            shape.zones.len()
        ));
    }
    let zones = shape
        .zones
        .iter()
        .map(|name| {
            name.trim().parse::<Tz>().map_err(|_| {
                format!(
                    "zones: `{}` is not an IANA time zone (like America/New_York)",
                    leadline_domain::text::echo(name)
                )
            })
        })
        .collect::<Result<Vec<Tz>, String>>()?;
    let source = text("source", shape.source, RULE_SOURCE_BYTES_MAX)?;
    Ok(RuleRow {
        id,
        name,
        country,
        subdivision,
        weekday_hours,
        weekend_hours,
        cap,
        abandoned_hold_hours: shape.abandoned_hold_hours,
        zones,
        source,
    })
}
