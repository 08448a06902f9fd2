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
        assert!(
            matches,
            "{input:?} in {region_code:?}: got {result:?}, expected {expected:?}"
        );
    }
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

    #[test]
    fn indian_mobiles_normalise_the_same_in_every_form(rest in 600_000_000_u64..1_000_000_000) {
        let national = format!("9{}", rest % 1_000_000_000).chars().take(10).collect::<String>();
        let expected = PhoneNumber::parse(&format!("+91{national}"), None);
        prop_assume!(expected.is_ok());
        for form in [national.clone(), format!("0{national}"), format!("91{national}"),
                     format!("+91 {} {}", &national[..5], &national[5..])] {
            prop_assert_eq!(PhoneNumber::parse(&form, region("IN")).ok(), expected.clone().ok());
        }
    }
}
