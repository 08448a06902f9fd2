//! Limits on free text, and the checks that enforce them. Every text field
//! that comes from outside has a byte limit, so an event's payload size is
//! bounded.

use std::collections::BTreeMap;

use crate::error::SettingsError;

/// Campaign, lead, contact and user names.
pub const NAME_BYTES_MAX: usize = 200;
/// Reasons given for pauses, cancels, recycles, do-not-call entries.
pub const REASON_BYTES_MAX: usize = 500;
/// Notes on dispositions.
pub const NOTE_BYTES_MAX: usize = 2_000;
/// Keys of a lead's extra fields and of free-form provider settings.
pub const FIELD_KEY_BYTES_MAX: usize = 64;
/// Values of a lead's extra fields and of provider settings.
pub const FIELD_VALUE_BYTES_MAX: usize = 1_000;
/// Extra fields per lead, and free-form provider settings per campaign.
pub const FIELDS_MAX: usize = 50;
/// Provider status, error and call id texts. These come from provider
/// callbacks, which cannot be refused usefully, so they are cut to this
/// length instead of rejected.
pub const PROVIDER_TEXT_BYTES_MAX: usize = 512;
/// An API key digest.
pub const DIGEST_BYTES_MAX: usize = 256;

/// Refuses text longer than `max_bytes`.
pub(crate) fn check_len(
    field: &'static str,
    text: &str,
    max_bytes: usize,
) -> Result<(), SettingsError> {
    if text.len() > max_bytes {
        return Err(SettingsError::TextTooLong { field, max_bytes });
    }
    Ok(())
}

/// A required name: trimmed, not empty, not too long.
pub(crate) fn required_name(field: &'static str, text: &str) -> Result<String, SettingsError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(SettingsError::Empty { field });
    }
    check_len(field, trimmed, NAME_BYTES_MAX)?;
    Ok(trimmed.to_owned())
}

/// An optional text: trimmed; blank becomes `None`.
pub(crate) fn optional(
    field: &'static str,
    text: Option<&str>,
    max_bytes: usize,
) -> Result<Option<String>, SettingsError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(trimmed) => {
            check_len(field, trimmed, max_bytes)?;
            Ok(Some(trimmed.to_owned()))
        }
    }
}

/// Free-form key/value fields: bounded in number and size.
pub(crate) fn check_fields(
    field: &'static str,
    fields: &BTreeMap<String, String>,
) -> Result<(), SettingsError> {
    if fields.len() > FIELDS_MAX {
        return Err(SettingsError::TooMany {
            field,
            max: FIELDS_MAX,
        });
    }
    for (key, value) in fields {
        check_len("field name", key, FIELD_KEY_BYTES_MAX)?;
        check_len("field value", value, FIELD_VALUE_BYTES_MAX)?;
    }
    Ok(())
}

/// Longest part of a rejected input quoted back in an error, so that a
/// megabyte of junk does not become a megabyte of error message.
pub const ECHO_BYTES_MAX: usize = 64;

/// Cuts text to at most `max_bytes`, on a character boundary. The one way
/// text is shortened, here and in the server, so every cut is bounded in
/// bytes (what payload and log limits count) and never splits a character.
pub fn truncate(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// Rejected input as quoted in an error message.
pub fn echo(input: &str) -> String {
    truncate(input, ECHO_BYTES_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_characters() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
        assert_eq!(truncate("", 0), "");
        assert_eq!(truncate("é", 0), "");
        let long = "é".repeat(ECHO_BYTES_MAX);
        assert!(echo(&long).len() <= ECHO_BYTES_MAX);
        assert_eq!(echo(&long).chars().count(), ECHO_BYTES_MAX / 2);
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(required_name("name", "  EMI  ").unwrap(), "EMI");
        assert!(required_name("name", "   ").is_err());
        assert!(required_name("name", &"x".repeat(NAME_BYTES_MAX + 1)).is_err());
        assert_eq!(optional("note", Some("  "), 10).unwrap(), None);
        assert!(optional("note", Some("0123456789x"), 10).is_err());
    }
}
