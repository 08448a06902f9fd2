//! The hash maps of the read models.

/// Maps and sets keyed by stream names, ids and phone numbers use foldhash:
/// several times faster than SipHash on these keys, and seeded per process
/// so that crafted keys cannot force collisions.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
