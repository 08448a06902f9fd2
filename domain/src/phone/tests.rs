use super::*;
use proptest::prelude::*;

fn region(code: &str) -> Option<Region> {
    Some(code.parse().unwrap())
}

#[derive(Debug)]
enum Expect {
    Ok(&'static str),
    Empty,
    Character,
    Short,
    Long,
    NoCountryCode,
    Invalid,
    NotNumber,
}

#[test]
fn the_phone_table() {
    use Expect::*;
    let table: &[(&str, Option<&str>, Expect)] = &[
        // The four Indian forms.
        ("9876543210", Some("IN"), Ok("+919876543210")),
        ("09876543210", Some("IN"), Ok("+919876543210")),
        ("919876543210", Some("IN"), Ok("+919876543210")),
        ("+91 98765 43210", Some("IN"), Ok("+919876543210")),
        // With a plus, the region does not matter.
        ("+91 98765 43210", None, Ok("+919876543210")),
        ("+91 98765 43210", Some("US"), Ok("+919876543210")),
        // US forms.
        ("(201) 555-0123", Some("US"), Ok("+12015550123")),
        ("201-555-0123", Some("US"), Ok("+12015550123")),
        ("201.555.0123", Some("US"), Ok("+12015550123")),
        ("1 201 555 0123", Some("US"), Ok("+12015550123")),
        ("+1 201-555-0123", None, Ok("+12015550123")),
        // Spaces and dashes.
        ("  98765-43210  ", Some("IN"), Ok("+919876543210")),
        ("+44 20 7946 0958", None, Ok("+442079460958")),
        // Too short.
        ("98765", Some("IN"), Short),
        ("12", Some("IN"), Short),
        ("+91 98", None, Short),
        // Too long.
        ("98765432109876", Some("IN"), Long),
        ("+91 98765 43210 98765 4321", None, Long),
        (
            "1234567890123456789012345678901234567890123456789012345678901234567890",
            Some("IN"),
            Long,
        ),
        // Letters and symbols.
        ("98765abcde", Some("IN"), Character),
        ("call me", Some("IN"), Character),
        ("+91 98765#43210", None, Character),
        ("9876543210;DROP", Some("IN"), Character),
        // Empty.
        ("", Some("IN"), Empty),
        ("   ", Some("IN"), Empty),
        // No country code and no region.
        ("9876543210", None, NoCountryCode),
        // Right length, not a number in service.
        ("+1 201 055 0123", None, Invalid),
        ("0000000000", Some("IN"), NotNumber),
        ("+", None, Short),
        ("-- ()", Some("IN"), Short),
    ];
    check_table(table);
}

/// Checks every row and reports all the rows that fail, not just the first.
fn check_table(table: &[(&str, Option<&str>, Expect)]) {
    use Expect::*;
    let mut failures = Vec::new();
    for (input, region_code, expected) in table {
        let result = PhoneNumber::parse(input, region_code.and_then(region));
        let matches = match (&result, expected) {
            (Result::Ok(phone), Expect::Ok(e164)) => phone.as_str() == *e164,
            (Err(PhoneError::Empty), Empty) => true,
            (Err(PhoneError::InvalidCharacter { .. }), Character) => true,
            (Err(PhoneError::TooShort { .. }), Short) => true,
            (Err(PhoneError::TooLong { .. }), Long) => true,
            (Err(PhoneError::MissingCountryCode { .. }), NoCountryCode) => true,
            (Err(PhoneError::Invalid { .. }), Invalid) => true,
            (Err(PhoneError::NotANumber { .. }), NotNumber) => true,
            _ => false,
        };
        if !matches {
            failures.push(format!(
                "{input:?} in {region_code:?}: got {result:?}, expected {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Numbers written without `+` that begin with the default region's
/// country code. libphonenumber reads them as a national number first and
/// strips the leading country code only when the whole is not a valid
/// national number and what follows the code is; the expected answers here
/// are what it gives.
#[test]
fn national_numbers_that_begin_with_the_country_code() {
    use Expect::*;
    let table: &[(&str, Option<&str>, Expect)] = &[
        // IN: bare 10-digit mobiles beginning 91 and 90 are valid as they
        // stand, so the 91 stays part of the number.
        ("9195130056", Some("IN"), Ok("+919195130056")),
        ("9106492059", Some("IN"), Ok("+919106492059")),
        ("91951 30056", Some("IN"), Ok("+919195130056")),
        ("9012345678", Some("IN"), Ok("+919012345678")),
        ("9000000001", Some("IN"), Ok("+919000000001")),
        // The same numbers with the country code: 12 digits are not a
        // national number, so the 91 in front is the country code.
        ("+91 91951 30056", Some("IN"), Ok("+919195130056")),
        ("+919106492059", Some("IN"), Ok("+919106492059")),
        ("919195130056", Some("IN"), Ok("+919195130056")),
        ("91 9106492059", Some("IN"), Ok("+919106492059")),
        ("919012345678", Some("IN"), Ok("+919012345678")),
        // The trunk prefix 0, alone or after the country code.
        ("09195130056", Some("IN"), Ok("+919195130056")),
        ("09106492059", Some("IN"), Ok("+919106492059")),
        ("91 0 9195130056", Some("IN"), Ok("+919195130056")),
        // India's international prefix 00.
        ("0091 91951 30056", Some("IN"), Ok("+919195130056")),
        ("00919106492059", Some("IN"), Ok("+919106492059")),
        // With a plus the region plays no part.
        ("+91 91951 30056", Some("US"), Ok("+919195130056")),
        ("+919106492059", None, Ok("+919106492059")),
        // Still refused: too short either way, and too long either way.
        ("919513", Some("IN"), Short),
        ("91951300", Some("IN"), Short),
        ("91 91951 30056 12345 6", Some("IN"), Long),
        // US: 10 digits, with the trunk/country code 1, with +1, and the
        // international prefix 011 in front of another country's number.
        ("2025550123", Some("US"), Ok("+12025550123")),
        ("12025550123", Some("US"), Ok("+12025550123")),
        ("1 (202) 555-0123", Some("US"), Ok("+12025550123")),
        ("+1 202 555 0123", Some("US"), Ok("+12025550123")),
        ("+12025550123", Some("IN"), Ok("+12025550123")),
        ("011 91 9195130056", Some("US"), Ok("+919195130056")),
        ("011 91 9106492059", Some("US"), Ok("+919106492059")),
        ("011 1 202 555 0123", Some("US"), Ok("+12025550123")),
        // US numbers that must stay invalid: 9 digits, 10 digits that only
        // make 9 once the leading 1 is taken as the country code, and 12.
        // libphonenumber calls the 9-digit ones too short; here they match
        // no NANP region, so the lengths of all +1 regions are pooled, and
        // Canada's 7-digit numbers make 9 digits "not valid" instead.
        ("202555012", Some("US"), Invalid),
        ("1202555012", Some("US"), Invalid),
        ("202555012345", Some("US"), Long),
        ("1 202 555 0123 4", Some("US"), Long),
        // An area code cannot start with 0 or 1.
        ("1025550123", Some("US"), Invalid),
    ];
    check_table(table);
}

#[test]
fn errors_say_what_to_do() {
    let err = PhoneNumber::parse("9876543210", None).unwrap_err();
    assert!(err.to_string().contains("default region"), "{err}");
    let err = PhoneNumber::parse("98765abcde", region("IN")).unwrap_err();
    assert!(err.to_string().contains("`a`"), "{err}");
}

#[test]
fn regions_parse_and_refuse_junk() {
    assert_eq!("in".parse::<Region>().unwrap().to_string(), "IN");
    assert_eq!(" US ".parse::<Region>().unwrap().to_string(), "US");
    for junk in ["", "I", "IND", "XX", "India", "1N"] {
        assert!(junk.parse::<Region>().is_err(), "{junk}");
    }
}

#[test]
fn single_zone_inference() {
    let india = PhoneNumber::parse("+919876543210", None).unwrap();
    assert_eq!(india.single_zone().map(|z| z.name()), Some("Asia/Kolkata"));
    let uk = PhoneNumber::parse("+442079460958", None).unwrap();
    assert_eq!(uk.single_zone().map(|z| z.name()), Some("Europe/London"));
    let us = PhoneNumber::parse("+12015550123", None).unwrap();
    assert_eq!(us.single_zone(), None, "NANP spans many zones");
    let uae = PhoneNumber::parse("+971501234567", None).unwrap();
    assert_eq!(uae.single_zone().map(|z| z.name()), Some("Asia/Dubai"));
}

#[test]
fn last_digit() {
    let phone = PhoneNumber::parse("+919876543214", None).unwrap();
    assert_eq!(phone.last_digit(), 4);
}

#[test]
fn serde_parses_json_and_trusts_the_log_shape() {
    let phone = PhoneNumber::parse("+919876543210", None).unwrap();
    let json = serde_json::to_string(&phone).unwrap();
    assert_eq!(json, "\"+919876543210\"");
    assert_eq!(serde_json::from_str::<PhoneNumber>(&json).unwrap(), phone);
    assert!(serde_json::from_str::<PhoneNumber>("\"+91123\"").is_err());
    let bytes = bincode::serialize(&phone).unwrap();
    assert_eq!(bincode::deserialize::<PhoneNumber>(&bytes).unwrap(), phone);
    let junk = bincode::serialize("91 98765").unwrap();
    assert!(bincode::deserialize::<PhoneNumber>(&junk).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever a CSV cell holds, parsing gives a number or an error,
    /// never a panic; and a number it gives is E.164 that parses to itself.
    #[test]
    fn parsing_never_panics(input in "[0-9 +()\\-.#a-z]{0,24}", with_region in any::<bool>()) {
        let default_region = if with_region { region("IN") } else { None };
        if let Result::Ok(phone) = PhoneNumber::parse(&input, default_region) {
            prop_assert!(phone.as_str().starts_with('+'));
            prop_assert_eq!(PhoneNumber::parse(phone.as_str(), None).ok(), Some(phone.clone()));
        }
    }

    /// Every 10-digit number after a 9, so mobiles beginning 90 and 91
    /// (which look like they carry the country code) are drawn too.
    #[test]
    fn indian_mobiles_normalise_the_same_in_every_form(rest in 0_u64..1_000_000_000) {
        let national = format!("9{rest:09}");
        let expected = PhoneNumber::parse(&format!("+91{national}"), None);
        prop_assume!(expected.is_ok());
        for form in [national.clone(), format!("0{national}"), format!("91{national}"),
                     format!("0091{national}"),
                     format!("+91 {} {}", &national[..5], &national[5..])] {
            prop_assert_eq!(PhoneNumber::parse(&form, region("IN")).ok(), expected.clone().ok());
        }
    }
}
