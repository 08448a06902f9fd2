//! The hash maps of the log's in-memory indexes.

/// Maps and sets keyed by stream names, ids and phone numbers use foldhash:
/// several times faster than SipHash on these keys, and seeded per process
/// so that crafted keys cannot force collisions.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
