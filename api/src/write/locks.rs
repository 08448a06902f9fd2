//! Per-stream locks: the in-process queue in front of optimistic
//! concurrency.
//!
//! A command holds the lock of every stream it writes or checks from its
//! decision until its events are visible in the read models. Two commands
//! of this process on one stream therefore run one after the other, each
//! deciding on the other's result, and an append's version check can only
//! fail because of a writer in another process.
//!
//! The locks are `tokio` mutexes because their futures need no runtime:
//! HTTP handlers await them on the reactor, and the dialer's thread drives
//! the same future with a plain `block_on`. Keys are taken in sorted order
//! (no deadlock between two multi-stream commands), and a key's entry is
//! dropped from the table when its last holder or waiter lets go, so the
//! table holds only streams in use.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{Mutex as StreamMutex, OwnedMutexGuard};

/// The lock table.
#[derive(Default)]
pub struct StreamLocks {
    table: Mutex<HashMap<String, Arc<StreamMutex<()>>>>,
}

/// The locks of a set of streams, held until dropped.
pub struct Held<'a> {
    locks: &'a StreamLocks,
    guards: Vec<(String, OwnedMutexGuard<()>)>,
}

impl StreamLocks {
    /// Locks every stream of `keys`, in order, waiting for holders.
    pub async fn lock(&self, keys: &BTreeSet<String>) -> Held<'_> {
        let mut held = Held {
            locks: self,
            guards: Vec::with_capacity(keys.len()),
        };
        for key in keys {
            let mutex = self.table.lock().entry(key.clone()).or_default().clone();
            let guard = mutex.lock_owned().await;
            held.guards.push((key.clone(), guard));
        }
        held
    }

    /// Streams locked or waited for right now.
    pub fn in_use(&self) -> usize {
        self.table.lock().len()
    }
}

impl Held<'_> {
    /// Whether every stream of `keys` is held.
    pub fn covers(&self, keys: &BTreeSet<String>) -> bool {
        keys.iter()
            .all(|key| self.guards.iter().any(|(held, _)| held == key))
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut table = self.locks.table.lock();
        for (key, guard) in self.guards.drain(..) {
            drop(guard);
            // Only the table's own reference left: nobody holds or awaits
            // this stream, so its entry can go. Waiters clone under the
            // table's lock, which is held here, so none can appear now.
            if table.get(&key).is_some_and(|m| Arc::strong_count(m) == 1) {
                table.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn keys(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn holders_of_one_stream_take_turns_and_the_table_empties() {
        let locks = Arc::new(StreamLocks::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (locks, inside, most) = (locks.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    // Overlapping sets in different orders: sorted taking
                    // means no deadlock.
                    let set = if i % 2 == 0 {
                        keys(&["campaign-a", "lead-b"])
                    } else {
                        keys(&["lead-b", "campaign-a", "lead-c"])
                    };
                    for _ in 0..50 {
                        let held = futures_executor::block_on(locks.lock(&set));
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                        drop(held);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("no panic");
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
        assert_eq!(locks.in_use(), 0);
    }

    #[test]
    fn disjoint_streams_do_not_wait_for_each_other() {
        let locks = StreamLocks::default();
        let a = futures_executor::block_on(locks.lock(&keys(&["lead-a"])));
        let b = futures_executor::block_on(locks.lock(&keys(&["lead-b"])));
        assert!(a.covers(&keys(&["lead-a"])));
        assert!(!a.covers(&keys(&["lead-a", "lead-b"])));
        drop((a, b));
        assert_eq!(locks.in_use(), 0);
    }
}
