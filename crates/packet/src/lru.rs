//! A map that remembers use order: the state table of fragment sets and TCP
//! flows. Entries live in a slab linked in use order, so a lookup is one
//! hash and touching, evicting the least recently used entry and expiring
//! from the old end are O(1) without hashing.

use core::hash::Hash;
use std::collections::HashMap;

const NIL: u32 = u32::MAX;

#[derive(Debug)]
struct Slot<K, V> {
    entry: Option<(K, V)>,
    /// Towards the oldest entry.
    prev: u32,
    /// Towards the newest entry.
    next: u32,
}

#[derive(Debug)]
pub(crate) struct LruMap<K, V> {
    index: HashMap<K, u32>,
    slots: Vec<Slot<K, V>>,
    free: Vec<u32>,
    oldest: u32,
    newest: u32,
}

impl<K: Hash + Eq + Clone, V> LruMap<K, V> {
    pub(crate) fn new() -> Self {
        LruMap {
            index: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            oldest: NIL,
            newest: NIL,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// The slot of `key`, made the most recently used: one hash lookup,
    /// then [`Self::at_mut`] without another.
    pub(crate) fn find(&mut self, key: &K) -> Option<u32> {
        let i = *self.index.get(key)?;
        self.unlink(i);
        self.push_newest(i);
        Some(i)
    }

    /// The entry in slot `i` (from [`Self::find`] or [`Self::insert`], valid
    /// until that entry is removed).
    pub(crate) fn at_mut(&mut self, i: u32) -> Option<&mut V> {
        self.value_mut(i)
    }

    /// The entry for `key`, its use order unchanged.
    pub(crate) fn peek_mut(&mut self, key: &K) -> Option<&mut V> {
        let i = *self.index.get(key)?;
        self.value_mut(i)
    }

    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.index.contains_key(key)
    }

    /// Inserts `key` as the most recently used entry, replacing any
    /// previous value; returns its slot.
    pub(crate) fn insert(&mut self, key: K, value: V) -> u32 {
        if let Some(i) = self.index.get(&key).copied() {
            self.unlink(i);
            self.release(i);
        }
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot {
                    entry: None,
                    prev: NIL,
                    next: NIL,
                });
                (self.slots.len() - 1) as u32
            }
        };
        self.slots[i as usize].entry = Some((key.clone(), value));
        self.index.insert(key, i);
        self.push_newest(i);
        i
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.index.remove(key)?;
        self.unlink(i);
        self.release(i).map(|(_, v)| v)
    }

    /// The least recently used entry.
    pub(crate) fn oldest(&self) -> Option<(&K, &V)> {
        self.slots
            .get(self.oldest as usize)?
            .entry
            .as_ref()
            .map(|(k, v)| (k, v))
    }

    pub(crate) fn pop_oldest(&mut self) -> Option<(K, V)> {
        let i = self.oldest;
        let key = self.slots.get(i as usize)?.entry.as_ref()?.0.clone();
        self.index.remove(&key);
        self.unlink(i);
        self.release(i)
    }

    fn value_mut(&mut self, i: u32) -> Option<&mut V> {
        self.slots
            .get_mut(i as usize)?
            .entry
            .as_mut()
            .map(|(_, v)| v)
    }

    fn release(&mut self, i: u32) -> Option<(K, V)> {
        let e = self.slots.get_mut(i as usize)?.entry.take();
        self.free.push(i);
        e
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next) = match self.slots.get(i as usize) {
            Some(s) => (s.prev, s.next),
            None => return,
        };
        match self.slots.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => self.oldest = next,
        }
        match self.slots.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => self.newest = prev,
        }
        if let Some(s) = self.slots.get_mut(i as usize) {
            s.prev = NIL;
            s.next = NIL;
        }
    }

    fn push_newest(&mut self, i: u32) {
        let old_newest = self.newest;
        if let Some(s) = self.slots.get_mut(i as usize) {
            s.prev = old_newest;
            s.next = NIL;
        }
        match self.slots.get_mut(old_newest as usize) {
            Some(n) => n.next = i,
            None => self.oldest = i,
        }
        self.newest = i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_order() {
        let mut m = LruMap::new();
        for k in 0..4u32 {
            m.insert(k, k * 10);
        }
        let slot = m.find(&0).unwrap(); // 0 is now the newest
        assert_eq!(m.at_mut(slot), Some(&mut 0));
        assert_eq!(m.oldest(), Some((&1, &10)));
        assert_eq!(m.remove(&1), Some(10));
        assert_eq!(m.pop_oldest(), Some((2, 20)));
        m.insert(5, 50); // reuses a free slot
        assert_eq!(m.slots.len(), 4);
        assert_eq!(m.peek_mut(&3), Some(&mut 30));
        let mut order = Vec::new();
        while let Some((k, _)) = m.pop_oldest() {
            order.push(k);
        }
        assert_eq!(order, [3, 0, 5]);
        assert_eq!((m.len(), m.oldest()), (0, None));
        m.insert(7, 1);
        m.insert(7, 2);
        assert_eq!((m.len(), m.pop_oldest()), (1, Some((7, 2))));
    }
}
