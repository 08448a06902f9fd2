//! Phone numbers: parsed once with the `phonenumber` crate (libphonenumber's
//! metadata), then carried as valid E.164 text. Holding a [`PhoneNumber`]
//! means it is valid; nothing re-checks it.

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;
use phonenumber::country::{Id as CountryId, Source as CountrySource};
use phonenumber::metadata::DATABASE;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::PhoneError;
use crate::ids::echo;
use crate::time::Zone;

/// Longest raw input looked at; longer text is refused before parsing so
/// that a pasted paragraph costs nothing.
pub const PHONE_INPUT_CHARS_MAX: usize = 64;

/// E.164 allows at most 15 digits after the `+`.
const E164_DIGITS_MAX: usize = 15;
/// The shortest numbers in service (e.g. Saint Helena, +290 plus 4 digits).
const E164_DIGITS_MIN: usize = 7;
/// Fewer digits than this cannot be a phone number anywhere.
const INPUT_DIGITS_MIN: usize = 3;
/// More digits than this cannot be a phone number, even with an
/// international prefix (`00` or `011`) in front.
const INPUT_DIGITS_MAX: usize = 18;

/// A country or territory as its ISO 3166-1 alpha-2 code (`IN`, `US`), used
/// to read numbers written without a country code.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region(CountryId);

impl Region {
    /// The ISO 3166-1 alpha-2 code (`IN`).
    pub fn code(&self) -> &str {
        self.0.as_ref()
    }

    /// The region of an ISO code as libphonenumber's metadata writes it,
    /// without the checks of parsing user input.
    pub(crate) fn from_code(code: &str) -> Option<Region> {
        CountryId::from_str(code).ok().map(Region)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_ref())
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Region {
    type Err = PhoneError;

    fn from_str(input: &str) -> Result<Self, PhoneError> {
        let unknown = || PhoneError::UnknownRegion { input: echo(input) };
        let upper = input.trim().to_ascii_uppercase();
        if upper.len() != 2 {
            return Err(unknown());
        }
        let id = CountryId::from_str(&upper).map_err(|_| unknown())?;
        // The parser looks the region's metadata up and assumes it exists,
        // so a region without metadata is refused here, once.
        if DATABASE.by_id(id.as_ref()).is_none() {
            return Err(unknown());
        }
        Ok(Region(id))
    }
}

impl Serialize for Region {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_ref())
    }
}

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A valid phone number in E.164 form (`+919876543210`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses what a person typed or a CSV held. Numbers without a country
    /// code are read as numbers of `default_region`; spaces, dashes, dots
    /// and parentheses are ignored. For region `IN`, `9876543210`,
    /// `09876543210`, `919876543210` and `+91 98765 43210` all give
    /// `+919876543210`. Leading digits equal to the region's country code
    /// are taken as that code only when the whole is not a valid national
    /// number, as libphonenumber does: `9195130056` gives `+919195130056`.
    pub fn parse(input: &str, default_region: Option<Region>) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        let has_plus = screen(trimmed)?;
        let parsed = phonenumber::parse(default_region.map(|region| region.0), trimmed)
            .map_err(|error| parse_error(error, has_plus, default_region, trimmed))?;
        let parsed = match default_region {
            Some(region) if parsed.code().source() == CountrySource::Number => {
                whole_national_number(region, trimmed).unwrap_or(parsed)
            }
            _ => parsed,
        };
        if !parsed.is_valid() {
            return Err(invalid_reason(&parsed, trimmed));
        }
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        if !has_e164_shape(&e164) {
            return Err(PhoneError::Invalid {
                input: echo(trimmed),
            });
        }
        Ok(PhoneNumber(e164))
    }

    /// The E.164 text, `+` included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last digit, which the simulator uses to pick an outcome.
    pub fn last_digit(&self) -> u8 {
        self.0.bytes().last().map_or(0, |b| b.saturating_sub(b'0'))
    }

    /// The number's time zone when its country code belongs to a country
    /// with a single time zone (see [`SINGLE_ZONE_CALLING_CODES`]); `None`
    /// when the country spans several zones (e.g. +1, +7, +55, +61) or is
    /// not in the table.
    pub fn single_zone(&self) -> Option<Zone> {
        let digits = self.0.get(1..)?;
        (1..=3).find_map(|len| {
            let code = digits.get(..len)?;
            SINGLE_ZONE_CALLING_CODES
                .iter()
                .find(|(calling_code, _)| *calling_code == code)
                .map(|(_, tz)| Zone::from_tz(*tz))
        })
    }
}

/// The number read without taking its leading digits as the country code,
/// when that reading is valid.
///
/// `phonenumber` strips the default region's country code from any number
/// written without `+` that begins with it (its length check finds no
/// lengths on the region's general descriptor, so every length looks
/// impossible), which turns valid national numbers such as the Indian
/// mobile 91951 30056 into short or invalid ones. libphonenumber strips the
/// code only when the whole is not a valid national number and the rest
/// is; the library already read the rest, so only the whole is checked
/// here. When neither reading is valid, the error is about the library's
/// reading, as before.
///
/// Called for every such number in an import, so the whole is first tested
/// against the region's descriptors, which skip regexes of the wrong
/// length, and parsed again only when it passes (each regex use locks the
/// library's shared regex cache).
fn whole_national_number(region: Region, input: &str) -> Option<phonenumber::PhoneNumber> {
    let meta = DATABASE.by_id(region.0.as_ref())?;
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    if !could_be_national_number(meta, &digits) {
        return None;
    }
    let e164 = format!("+{}{digits}", meta.country_code());
    // The parse could still strip a trunk prefix off the front, and then it
    // would be some other number than the whole.
    phonenumber::parse(None, e164)
        .ok()
        .filter(|whole| whole.is_valid() && whole.national().to_string() == digits)
}

/// Whether `digits` match one of the region's number types, as the
/// library's validity check asks (a type's lengths, then its pattern).
fn could_be_national_number(meta: &phonenumber::Metadata, digits: &str) -> bool {
    let descriptors = meta.descriptors();
    let by_type = [
        descriptors.mobile(),
        descriptors.fixed_line(),
        descriptors.toll_free(),
        descriptors.premium_rate(),
        descriptors.shared_cost(),
        descriptors.personal_number(),
        descriptors.voip(),
        descriptors.pager(),
        descriptors.uan(),
        descriptors.voicemail(),
    ];
    by_type
        .into_iter()
        .flatten()
        .any(|descriptor| descriptor.is_match(digits))
        && descriptors.general().is_match(digits)
}

/// Cheap checks before the library sees the text: characters a phone
/// number may hold, and a digit count that could be a number at all.
/// Returns whether the number starts with `+`.
fn screen(input: &str) -> Result<bool, PhoneError> {
    if input.is_empty() {
        return Err(PhoneError::Empty);
    }
    if input.chars().count() > PHONE_INPUT_CHARS_MAX {
        return Err(PhoneError::TooLong { input: echo(input) });
    }
    let has_plus = input.starts_with('+');
    let body = if has_plus { &input[1..] } else { input };
    if let Some(character) = body
        .chars()
        .find(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')')))
    {
        return Err(PhoneError::InvalidCharacter {
            character,
            input: echo(input),
        });
    }
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    if digits < INPUT_DIGITS_MIN {
        return Err(PhoneError::TooShort { input: echo(input) });
    }
    if digits > INPUT_DIGITS_MAX {
        return Err(PhoneError::TooLong { input: echo(input) });
    }
    Ok(has_plus)
}

fn parse_error(
    error: phonenumber::ParseError,
    has_plus: bool,
    default_region: Option<Region>,
    input: &str,
) -> PhoneError {
    use phonenumber::ParseError as E;
    let input = echo(input);
    match error {
        E::InvalidCountryCode if !has_plus && default_region.is_none() => {
            PhoneError::MissingCountryCode { input }
        }
        E::InvalidCountryCode => PhoneError::UnknownCountryCode { input },
        E::TooShortAfterIdd | E::TooShortNsn => PhoneError::TooShort { input },
        E::TooLong => PhoneError::TooLong { input },
        E::NoNumber | E::MalformedInteger(_) => PhoneError::NotANumber { input },
    }
}

/// Says why a number that parsed is still not valid: too short or too long
/// for its country, or a length that exists but a range that is not in
/// service.
fn invalid_reason(parsed: &phonenumber::PhoneNumber, input: &str) -> PhoneError {
    let input = echo(input);
    // A number that matches no region of its calling code (e.g. +1 with an
    // unassigned area code) has no metadata of its own; the lengths of all
    // regions sharing the code still tell short from long.
    let metas = match parsed.metadata(&DATABASE) {
        Some(meta) => vec![meta],
        None => DATABASE.by_code(&parsed.code().value()).unwrap_or_default(),
    };
    if metas.is_empty() {
        return PhoneError::UnknownCountryCode { input };
    }
    let national = parsed.national();
    let national_len = national.value().to_string().len() + usize::from(national.zeros());
    // The general descriptor's lengths are often left empty in the
    // metadata; the per-type descriptors carry them.
    let lengths: Vec<u16> = metas
        .iter()
        .flat_map(|meta| {
            let descriptors = meta.descriptors();
            [
                Some(descriptors.general()),
                descriptors.fixed_line(),
                descriptors.mobile(),
                descriptors.toll_free(),
                descriptors.premium_rate(),
                descriptors.shared_cost(),
                descriptors.personal_number(),
                descriptors.voip(),
                descriptors.uan(),
            ]
        })
        .flatten()
        .flat_map(|descriptor| descriptor.possible_length().iter().copied())
        .collect();
    let shortest = lengths.iter().copied().min().map(usize::from);
    let longest = lengths.iter().copied().max().map(usize::from);
    match (shortest, longest) {
        (Some(min), _) if national_len < min => PhoneError::TooShort { input },
        (_, Some(max)) if national_len > max => PhoneError::TooLong { input },
        _ => PhoneError::Invalid { input },
    }
}

fn has_e164_shape(text: &str) -> bool {
    let Some(digits) = text.strip_prefix('+') else {
        return false;
    };
    (E164_DIGITS_MIN..=E164_DIGITS_MAX).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Text without a default region: the number must carry its country code.
impl FromStr for PhoneNumber {
    type Err = PhoneError;

    fn from_str(input: &str) -> Result<Self, PhoneError> {
        PhoneNumber::parse(input, None)
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Human-readable input (JSON, usually from outside) is parsed in full.
/// Compact input (bincode, from the event log this crate wrote) is only
/// checked for the E.164 shape: a rebuild decodes millions of events per
/// second, and the full parse already ran when the event was decided.
impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let human = deserializer.is_human_readable();
        let text = String::deserialize(deserializer)?;
        if human {
            return PhoneNumber::parse(&text, None).map_err(serde::de::Error::custom);
        }
        if has_e164_shape(&text) {
            Ok(PhoneNumber(text))
        } else {
            Err(serde::de::Error::custom(PhoneError::Invalid {
                input: echo(&text),
            }))
        }
    }
}

/// Country calling codes that belong to one country (or countries sharing
/// one zone) observing a single time zone, with that zone. Used to apply a
/// lead's local calling hours when the lead has no `timezone` of its own.
///
/// Left out on purpose, because they span several zones: +1 (US, Canada and
/// the rest of NANP), +7 (Russia, Kazakhstan), +34 (Spain: Canary Islands),
/// +351 (Portugal: Azores), +52 (Mexico), +55 (Brazil), +56 (Chile: Easter
/// Island), +61 (Australia), +62 (Indonesia), +64 (New Zealand: Chatham),
/// +380 and others not listed. E.164 calling codes are prefix-free, so
/// matching the first 1–3 digits against this table is exact.
pub const SINGLE_ZONE_CALLING_CODES: &[(&str, Tz)] = &[
    ("20", chrono_tz::Africa::Cairo),
    ("27", chrono_tz::Africa::Johannesburg),
    ("30", chrono_tz::Europe::Athens),
    ("31", chrono_tz::Europe::Amsterdam),
    ("32", chrono_tz::Europe::Brussels),
    ("33", chrono_tz::Europe::Paris),
    ("36", chrono_tz::Europe::Budapest),
    ("39", chrono_tz::Europe::Rome),
    ("40", chrono_tz::Europe::Bucharest),
    ("41", chrono_tz::Europe::Zurich),
    ("43", chrono_tz::Europe::Vienna),
    ("44", chrono_tz::Europe::London),
    ("45", chrono_tz::Europe::Copenhagen),
    ("46", chrono_tz::Europe::Stockholm),
    ("47", chrono_tz::Europe::Oslo),
    ("48", chrono_tz::Europe::Warsaw),
    ("49", chrono_tz::Europe::Berlin),
    ("54", chrono_tz::America::Argentina::Buenos_Aires),
    ("60", chrono_tz::Asia::Kuala_Lumpur),
    ("63", chrono_tz::Asia::Manila),
    ("65", chrono_tz::Asia::Singapore),
    ("66", chrono_tz::Asia::Bangkok),
    ("81", chrono_tz::Asia::Tokyo),
    ("82", chrono_tz::Asia::Seoul),
    ("84", chrono_tz::Asia::Ho_Chi_Minh),
    ("86", chrono_tz::Asia::Shanghai),
    ("90", chrono_tz::Europe::Istanbul),
    ("91", chrono_tz::Asia::Kolkata),
    ("92", chrono_tz::Asia::Karachi),
    ("94", chrono_tz::Asia::Colombo),
    ("212", chrono_tz::Africa::Casablanca),
    ("233", chrono_tz::Africa::Accra),
    ("234", chrono_tz::Africa::Lagos),
    ("251", chrono_tz::Africa::Addis_Ababa),
    ("254", chrono_tz::Africa::Nairobi),
    ("255", chrono_tz::Africa::Dar_es_Salaam),
    ("256", chrono_tz::Africa::Kampala),
    ("353", chrono_tz::Europe::Dublin),
    ("420", chrono_tz::Europe::Prague),
    ("852", chrono_tz::Asia::Hong_Kong),
    ("880", chrono_tz::Asia::Dhaka),
    ("886", chrono_tz::Asia::Taipei),
    ("960", chrono_tz::Indian::Maldives),
    ("965", chrono_tz::Asia::Kuwait),
    ("966", chrono_tz::Asia::Riyadh),
    ("968", chrono_tz::Asia::Muscat),
    ("971", chrono_tz::Asia::Dubai),
    ("972", chrono_tz::Asia::Jerusalem),
    ("973", chrono_tz::Asia::Bahrain),
    ("974", chrono_tz::Asia::Qatar),
    ("975", chrono_tz::Asia::Thimphu),
    ("977", chrono_tz::Asia::Kathmandu),
];

#[cfg(test)]
mod tests;
