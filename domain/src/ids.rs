//! Identifiers: compact `Copy` newtypes around a UUID, shown as opaque
//! prefixed strings (`c_…`, `l_…`, `call_…`, `u_…`, `ct_…`,
//! `sub_…`).
//!
//! The prefix makes an id pasted into the wrong place fail loudly (a lead id
//! is never accepted as a campaign id). The domain never generates ids: the
//! caller passes them in with each command, which keeps every decision
//! deterministic and replayable.
//!
//! Serde: human-readable formats (JSON) get the prefixed string; compact
//! formats (bincode, in the log) get the 16 raw bytes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::error::IdError;

pub(crate) use crate::text::echo;

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// The prefix of this id's text form, underscore included.
            pub const PREFIX: &'static str = $prefix;

            /// Wraps a UUID the caller generated.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// Handy for tests and fixtures: `from_u128(1)`.
            pub const fn from_u128(value: u128) -> Self {
                Self(Uuid::from_u128(value))
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", Self::PREFIX, self.0.simple())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(input: &str) -> Result<Self, IdError> {
                parse_prefixed(input, Self::PREFIX, $kind).map(Self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if serializer.is_human_readable() {
                    serializer.collect_str(self)
                } else {
                    self.0.serialize(serializer)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                if deserializer.is_human_readable() {
                    let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
                    text.parse().map_err(serde::de::Error::custom)
                } else {
                    Uuid::deserialize(deserializer).map(Self)
                }
            }
        }
    };
}

fn parse_prefixed(input: &str, prefix: &'static str, kind: &'static str) -> Result<Uuid, IdError> {
    let malformed = || IdError::Malformed {
        kind,
        prefix,
        input: echo(input),
    };
    let hex = input.strip_prefix(prefix).ok_or_else(malformed)?;
    // Only the canonical form is accepted, so every id has exactly one
    // spelling and string comparison of ids is id comparison.
    if hex.len() != 32
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(malformed());
    }
    Uuid::try_parse(hex).map_err(|_| malformed())
}

define_id!(
    /// A campaign: `c_<32 hex>`.
    CampaignId, "c_", "campaign"
);
define_id!(
    /// A lead (one phone number in one campaign): `l_<32 hex>`.
    LeadId, "l_", "lead"
);
define_id!(
    /// One dial attempt of a lead: `call_<32 hex>`.
    CallId, "call_", "call"
);
define_id!(
    /// A user (an API key holder who owns campaigns): `u_<32 hex>`.
    UserId, "u_", "user"
);
define_id!(
    /// A saved contact of a user: `ct_<32 hex>`.
    ContactId, "ct_", "contact"
);
define_id!(
    /// A webhook subscription: `sub_<32 hex>`.
    SubscriptionId, "sub_", "subscription"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        let id = CampaignId::from_u128(0xabc);
        let text = id.to_string();
        assert_eq!(text, "c_00000000000000000000000000000abc");
        assert_eq!(text.parse::<CampaignId>(), Ok(id));
        let call = CallId::from_u128(7);
        assert_eq!(call.to_string().parse::<CallId>(), Ok(call));
    }

    #[test]
    fn junk_is_a_typed_error() {
        for junk in [
            "",
            "c_",
            "l_00000000000000000000000000000abc",
            "c_00000000000000000000000000000ABC",
            "c_0000000000000000000000000000abc",
            "c_00000000-0000-0000-0000-000000000abc",
            "c_zz000000000000000000000000000abc",
            "00000000000000000000000000000abc",
        ] {
            let err = junk.parse::<CampaignId>().unwrap_err();
            assert!(err.to_string().contains("campaign id"), "{err}");
        }
    }

    #[test]
    fn long_junk_is_not_echoed_in_full() {
        let junk = "x".repeat(10_000);
        let err = junk.parse::<LeadId>().unwrap_err();
        assert!(err.to_string().len() < 200);
    }

    #[test]
    fn json_uses_text_and_bincode_uses_bytes() {
        let id = UserId::from_u128(42);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);
        let bytes = bincode::serialize(&id).unwrap();
        assert!(bytes.len() <= 24, "{} bytes", bytes.len());
        assert_eq!(bincode::deserialize::<UserId>(&bytes).unwrap(), id);
        assert!(serde_json::from_str::<UserId>("\"c_00000000000000000000000000000abc\"").is_err());
    }
}
