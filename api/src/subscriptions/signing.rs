//! The signature on every delivery, and the secrets it is keyed with.
//!
//! `Leadline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
//! `"<t>.<body>"`, keyed with the subscription secret's UTF-8 bytes: a
//! receiver recomputes it over the raw body it got, compares in constant
//! time, and may refuse an old `t` to stop replays.

use rand::RngCore;

use crate::limits::WEBHOOK_SECRET_RANDOM_BYTES;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Leadline-Signature";
/// The header carrying the delivery's id (stable across retries).
pub const DELIVERY_HEADER: &str = "Leadline-Delivery";

/// A fresh secret: `whsec_` and hex digits from the OS's randomness.
pub fn new_secret() -> String {
    let mut bytes = [0u8; WEBHOOK_SECRET_RANDOM_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("whsec_{hex}")
}

/// The hex HMAC-SHA256 of `"<t>.<body>"` keyed with `secret`.
pub fn digest(secret: &str, unix_seconds: i64, body: &[u8]) -> String {
    crate::signing::hmac_sha256_hex(
        secret.as_bytes(),
        &[unix_seconds.to_string().as_bytes(), b".", body],
    )
}

/// The `Leadline-Signature` value for `body` sent at `unix_seconds`.
pub fn signature(secret: &str, unix_seconds: i64, body: &[u8]) -> String {
    format!("t={unix_seconds},v1={}", digest(secret, unix_seconds, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_t_and_a_hex_hmac_of_t_dot_body() {
        let header = signature("whsec_test", 1_700_000_000, br#"{"events":[]}"#);
        let (t, v1) = header.split_once(",v1=").expect("t=…,v1=…");
        assert_eq!(t, "t=1700000000");
        assert_eq!(v1.len(), 64);
        assert!(v1
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        // Computed independently with Python:
        // hmac.new(b"whsec_test", b'1700000000.{"events":[]}', hashlib.sha256).hexdigest()
        assert_eq!(
            v1,
            "4f6f9b7a41398ad124e52a1320534f978e522923f3f2b2724e31d7a9dbf78a7f"
        );
    }

    #[test]
    fn the_signature_depends_on_secret_time_and_body() {
        let base = signature("a", 1, b"x");
        assert_ne!(base, signature("b", 1, b"x"));
        assert_ne!(base, signature("a", 2, b"x"));
        assert_ne!(base, signature("a", 1, b"y"));
        assert_eq!(base, signature("a", 1, b"x"));
    }

    #[test]
    fn secrets_are_fresh_and_long() {
        let one = new_secret();
        assert!(one.starts_with("whsec_"));
        assert_eq!(one.len(), "whsec_".len() + 2 * WEBHOOK_SECRET_RANDOM_BYTES);
        assert_ne!(one, new_secret());
    }
}
