//! Fixed windows over packet time, and bounded per-key tables.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use ghostguard_packet::{Span, Timestamp};

/// A count of events in a tumbling window that starts at the first event.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counter {
    start: Timestamp,
    count: u32,
}

impl Counter {
    /// The count in the window that is current at `now` (0 once it expired).
    pub(crate) fn count(&self, now: Timestamp, len: Span) -> u32 {
        if self.count == 0 || now.since(self.start) > len || now < self.start {
            0
        } else {
            self.count
        }
    }

    /// Counts one event at `now`; returns the count in the current window.
    pub(crate) fn hit(&mut self, now: Timestamp, len: Span) -> u32 {
        if self.count == 0 || now.since(self.start) > len || now < self.start {
            self.start = now;
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.count
    }
}

/// Distinct 64-bit keys in a tumbling window.
///
/// DoS: at most `CAP` keys are kept; past that the set only counts up to
/// `CAP` (enough: thresholds are far below it).
#[derive(Clone, Debug, Default)]
pub(crate) struct Distinct {
    start: Timestamp,
    keys: Vec<u64>,
}

impl Distinct {
    pub(crate) const CAP: usize = 64;

    /// Adds `key` at `now`; returns the number of distinct keys in the window.
    pub(crate) fn insert(&mut self, now: Timestamp, len: Span, key: u64) -> usize {
        if self.keys.is_empty() || now.since(self.start) > len || now < self.start {
            self.start = now;
            self.keys.clear();
        }
        if self.keys.len() < Self::CAP && !self.keys.contains(&key) {
            self.keys.push(key);
        }
        self.keys.len()
    }
}

/// A bounded map from a key (usually a source address) to detector state.
///
/// DoS: holds at most `cap` entries. When full, the half least recently
/// touched is dropped in one pass (amortised O(1) per insert), so a flood of
/// spoofed sources costs the attacker its own old state, never unbounded
/// memory. Evicted entries are counted.
#[derive(Debug)]
pub(crate) struct Table<K: Hash + Eq, V> {
    map: HashMap<K, (u64, V), foldhash::fast::RandomState>,
    cap: usize,
    tick: u64,
    pub(crate) evictions: u64,
    /// Entries pruning spares while at most half the table is spared.
    keep: fn(&V) -> bool,
}

impl<K: Hash + Eq + Clone, V: Default> Table<K, V> {
    pub(crate) fn new(cap: usize) -> Self {
        Table {
            map: HashMap::default(),
            cap: cap.max(2),
            tick: 0,
            evictions: 0,
            keep: |_| false,
        }
    }

    /// A table whose pruning spares entries `keep` selects (e.g. sources
    /// already found malicious, so a flood of spoofed sources cannot push a
    /// real attacker out). DoS: when more than half the table is spared, the
    /// oldest are dropped regardless, so the bound still holds.
    pub(crate) fn with_keep(cap: usize, keep: fn(&V) -> bool) -> Self {
        Table {
            keep,
            ..Table::new(cap)
        }
    }

    fn prune(&mut self) {
        let mut ticks: Vec<u64> = self.map.values().map(|(t, _)| *t).collect();
        let mid = ticks.len() / 2;
        let (_, cut, _) = ticks.select_nth_unstable(mid);
        let cut = *cut;
        let before = self.map.len();
        let keep = self.keep;
        let spared = self
            .map
            .values()
            .filter(|(t, v)| *t <= cut && keep(v))
            .count();
        if spared <= before / 2 {
            self.map.retain(|_, (t, v)| *t > cut || keep(v));
        }
        if self.map.len() >= self.cap {
            self.map.retain(|_, (t, _)| *t > cut);
        }
        self.evictions += (before - self.map.len()) as u64;
    }

    /// The entry for `key`, created empty when missing.
    pub(crate) fn entry(&mut self, key: &K) -> &mut V {
        self.tick += 1;
        if self.map.len() >= self.cap && !self.map.contains_key(key) {
            self.prune();
        }
        let tick = self.tick;
        let slot = self
            .map
            .entry(key.clone())
            .or_insert_with(|| (tick, V::default()));
        slot.0 = tick;
        &mut slot.1
    }

    pub(crate) fn get(&mut self, key: &K) -> Option<&mut V> {
        self.tick += 1;
        let tick = self.tick;
        self.map.get_mut(key).map(|slot| {
            slot.0 = tick;
            &mut slot.1
        })
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        self.map.remove(key).map(|(_, v)| v)
    }

    pub(crate) fn peek(&self, key: &K) -> Option<&V> {
        self.map.get(key).map(|(_, v)| v)
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter().map(|(k, (_, v))| (k, v))
    }

    /// Moves every entry of `other` into this table: `combine` folds an
    /// entry into the one already here under the same key; new keys are
    /// inserted (under the same bound). Evictions add up.
    pub(crate) fn absorb(&mut self, other: Table<K, V>, mut combine: impl FnMut(&mut V, V)) {
        self.evictions += other.evictions;
        let mut theirs: Vec<(u64, K, V)> =
            other.map.into_iter().map(|(k, (t, v))| (t, k, v)).collect();
        // Least recently used first, so the bound keeps the recent ones.
        theirs.sort_unstable_by_key(|(t, _, _)| *t);
        for (_, k, v) in theirs {
            match self.map.get_mut(&k) {
                Some((_, mine)) => combine(mine, v),
                None => *self.entry(&k) = v,
            }
        }
    }
}

/// A keyed 64-bit hash for distinct counting (random per process: the
/// attacker cannot aim collisions at it).
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyHasher(foldhash::fast::RandomState);

impl KeyHasher {
    pub(crate) fn hash<T: Hash + ?Sized>(&self, v: &T) -> u64 {
        self.0.hash_one(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_resets_after_window() {
        let mut c = Counter::default();
        let t0 = Timestamp::from_parts(100, 0);
        assert_eq!(c.hit(t0, Span::from_secs(10)), 1);
        assert_eq!(c.hit(t0.add(Span::from_secs(5)), Span::from_secs(10)), 2);
        assert_eq!(c.hit(t0.add(Span::from_secs(11)), Span::from_secs(10)), 1);
    }

    #[test]
    fn distinct_is_bounded() {
        let mut d = Distinct::default();
        let t = Timestamp::from_parts(1, 0);
        for k in 0..1000 {
            d.insert(t, Span::from_secs(1), k);
        }
        assert_eq!(d.insert(t, Span::from_secs(1), 5), Distinct::CAP);
        assert_eq!(
            d.insert(t.add(Span::from_secs(2)), Span::from_secs(1), 5),
            1
        );
    }

    #[test]
    fn pruning_spares_kept_entries_within_the_bound() {
        let mut t: Table<u32, u32> = Table::with_keep(100, |v| *v >= 1_000);
        *t.entry(&1) = 1_000; // an attacker found early
        for k in 2..10_000 {
            *t.entry(&k) += 1; // a flood of one-packet sources
        }
        assert!(t.len() <= 100);
        assert_eq!(t.peek(&1), Some(&1_000), "the attacker's entry survives");
        // When everything asks to be kept, the bound still wins.
        let mut all: Table<u32, u32> = Table::with_keep(10, |_| true);
        for k in 0..1_000 {
            *all.entry(&k) += 1;
        }
        assert!(all.len() <= 10);
    }

    #[test]
    fn table_is_bounded_and_keeps_recent_entries() {
        let mut t: Table<u32, u32> = Table::new(100);
        for k in 0..10_000 {
            *t.entry(&k) += 1;
            // Key 7 stays hot.
            *t.entry(&7) += 1;
        }
        assert!(t.len() <= 100);
        assert!(t.evictions >= 9_900 - 100);
        assert!(t.peek(&9_999).is_some());
        assert_eq!(t.peek(&7), Some(&10_001));
        assert!(t.peek(&0).is_none());
    }
}
