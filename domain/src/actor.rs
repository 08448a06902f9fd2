//! Who caused an event. Stored in the log's envelope, not in the payload;
//! its text form (`user:u_…`, `provider:twilio`, `system:dialer`, `admin`)
//! is what the log keeps and the history shows.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ActorError;
use crate::ids::{echo, UserId};

/// Longest provider or system name accepted.
pub const ACTOR_NAME_BYTES_MAX: usize = 64;

/// Who caused an event.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Actor {
    /// A user acting through the API with their key.
    User(UserId),
    /// A telephony provider's callback (`twilio`, `exotel`, `simulator`…).
    Provider(String),
    /// Leadline itself (`dialer`, `reclaimer`, `import`…).
    System(String),
    /// Someone holding the admin key.
    Admin,
}

impl Actor {
    /// A provider actor; the name must be 1–64 bytes of `[a-z0-9_-]`.
    pub fn provider(name: &str) -> Result<Actor, ActorError> {
        check_name(name).map(|()| Actor::Provider(name.to_owned()))
    }

    /// A system actor; the name must be 1–64 bytes of `[a-z0-9_-]`.
    pub fn system(name: &str) -> Result<Actor, ActorError> {
        check_name(name).map(|()| Actor::System(name.to_owned()))
    }
}

fn check_name(name: &str) -> Result<(), ActorError> {
    let ok = !name.is_empty()
        && name.len() <= ACTOR_NAME_BYTES_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ActorError::BadName { input: echo(name) })
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::Provider(name) => write!(f, "provider:{name}"),
            Actor::System(name) => write!(f, "system:{name}"),
            Actor::Admin => f.write_str("admin"),
        }
    }
}

impl FromStr for Actor {
    type Err = ActorError;

    fn from_str(input: &str) -> Result<Self, ActorError> {
        if input == "admin" {
            return Ok(Actor::Admin);
        }
        let malformed = || ActorError::Malformed { input: echo(input) };
        let (kind, rest) = input.split_once(':').ok_or_else(malformed)?;
        match kind {
            "user" => rest.parse().map(Actor::User).map_err(|_| malformed()),
            "provider" => Actor::provider(rest),
            "system" => Actor::system(rest),
            _ => Err(malformed()),
        }
    }
}

impl Serialize for Actor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips() {
        let user = UserId::from_u128(5);
        for actor in [
            Actor::User(user),
            Actor::provider("twilio").unwrap(),
            Actor::system("dialer").unwrap(),
            Actor::Admin,
        ] {
            let text = actor.to_string();
            assert_eq!(text.parse::<Actor>(), Ok(actor.clone()));
        }
        assert_eq!(Actor::Admin.to_string(), "admin");
        assert_eq!(
            Actor::system("dialer").unwrap().to_string(),
            "system:dialer"
        );
        assert_eq!(Actor::User(user).to_string(), format!("user:{user}"));
    }

    #[test]
    fn junk_is_refused() {
        for junk in [
            "",
            "root",
            "user:",
            "user:bob",
            "provider:",
            "provider:Twi lio",
            "system:DIALER",
            "admin:x",
        ] {
            assert!(junk.parse::<Actor>().is_err(), "{junk}");
        }
        assert!(Actor::provider(&"x".repeat(65)).is_err());
    }
}
