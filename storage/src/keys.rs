//! Key layout of the one sled tree that holds the log.
//!
//! Keys are big-endian integers and length-prefixed strings (never bincode),
//! so that byte order is numeric order and a stream's prefix never matches
//! another stream whose name merely starts the same way.
//!
//! | prefix | key                                   | value              |
//! |--------|---------------------------------------|--------------------|
//! | `E`    | position of its first record, u64     | a chunk of records (see `chunk`) |
//! | `S`    | name len u16, name, version u64       | position u64       |
//! | `I`    | event id (16 bytes)                   | position u64       |
//! | `C`    | checkpoint name                       | position u64       |
//! | `M`    | `head`                                | position u64 + chain hash of that event |

use uuid::Uuid;

pub const EVENT: u8 = b'E';
pub const STREAM: u8 = b'S';
pub const ID: u8 = b'I';
pub const CHECKPOINT: u8 = b'C';
pub const META_HEAD: &[u8] = b"Mhead";

pub fn event_key(position: u64) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[0] = EVENT;
    key[1..].copy_from_slice(&position.to_be_bytes());
    key
}

/// The position in an event key, or `None` when the key is not one.
pub fn position_of_event_key(key: &[u8]) -> Option<u64> {
    match key {
        [EVENT, rest @ ..] => decode_u64(rest),
        _ => None,
    }
}

/// The prefix shared by every index entry of one stream.
pub fn stream_prefix(stream: &str) -> Vec<u8> {
    let name = stream.as_bytes();
    let len = u16::try_from(name.len()).unwrap_or(u16::MAX);
    let mut key = Vec::with_capacity(3 + name.len() + 8);
    key.push(STREAM);
    key.extend_from_slice(&len.to_be_bytes());
    key.extend_from_slice(&name[..usize::from(len)]);
    key
}

pub fn stream_key(stream: &str, version: u64) -> Vec<u8> {
    let mut key = stream_prefix(stream);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// Splits a stream index key into (stream, version).
pub fn parse_stream_key(key: &[u8]) -> Option<(&str, u64)> {
    let [STREAM, l0, l1, rest @ ..] = key else {
        return None;
    };
    let len = usize::from(u16::from_be_bytes([*l0, *l1]));
    if rest.len() != len + 8 {
        return None;
    }
    let name = std::str::from_utf8(&rest[..len]).ok()?;
    Some((name, decode_u64(&rest[len..])?))
}

pub fn id_key(id: &Uuid) -> [u8; 17] {
    let mut key = [0u8; 17];
    key[0] = ID;
    key[1..].copy_from_slice(id.as_bytes());
    key
}

pub fn parse_id_key(key: &[u8]) -> Option<Uuid> {
    match key {
        [ID, rest @ ..] => Uuid::from_slice(rest).ok(),
        _ => None,
    }
}

pub fn checkpoint_key(name: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + name.len());
    key.push(CHECKPOINT);
    key.extend_from_slice(name.as_bytes());
    key
}

/// Decodes a big-endian u64 stored as exactly 8 bytes.
pub fn decode_u64(bytes: &[u8]) -> Option<u64> {
    let array: [u8; 8] = bytes.try_into().ok()?;
    Some(u64::from_be_bytes(array))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_keys_of_prefix_names_do_not_collide() {
        let a = stream_prefix("lead-1");
        let b = stream_key("lead-10", 1);
        assert!(!b.starts_with(&a));
        assert_eq!(parse_stream_key(&b), Some(("lead-10", 1)));
    }

    #[test]
    fn event_keys_sort_by_position() {
        assert!(event_key(255) < event_key(256));
        assert_eq!(position_of_event_key(&event_key(42)), Some(42));
        assert_eq!(position_of_event_key(b"X"), None);
    }
}
