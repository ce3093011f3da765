//! Partitions: one instance of a partition's queries per key, written once and generic over the
//! key and the instance (the compiled path's generated query states, or the interpreter's).
//!
//! Keys that go quiet do not hold memory forever: an instance that holds nothing after an event
//! can be dropped at once ([`Partitioned::drop_if`]), losing nothing, and with `@purge` an
//! instance idle for longer than the idle period is dropped at the next purge time.

use serde::{Deserialize, Serialize};
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

/// The hasher of the key table: an instance is looked up twice per event (entering and
/// leaving it), where SipHash or an ordered map's comparisons would cost more than the lookup.
type KeyHasher = foldhash::fast::RandomState;

/// `@purge(interval = ..., idle.period = ...)`, in ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purge {
    /// How often idle keys are looked for.
    pub interval: i64,
    /// How long a key may stay idle before its instance is dropped.
    pub idle: i64,
}

/// One key's instance and when it last saw an event.
#[derive(Clone, Debug)]
pub struct Slot<I> {
    /// The instance.
    pub instance: I,
    /// When the key last saw an event (ms).
    pub last_seen: i64,
}

/// A key's slot in the table, with whether the key is in the timed set (so that an event
/// leaving an untimed instance untimed touches no ordered set).
#[derive(Clone, Debug)]
struct Held<I> {
    slot: Slot<I>,
    timed: bool,
}

/// The instances of a partition, by key.
#[derive(Clone, Debug)]
pub struct Partitioned<K, I> {
    /// The keys' slots, found by hash.
    slots: HashMap<K, Held<I>, KeyHasher>,
    /// The keys in order: every visit of all keys (delivery without a key, snapshots) follows
    /// it, so that it does not depend on the hasher's seed.
    order: BTreeSet<K>,
    /// The keys whose instances have pending timers (so timer lookups need not visit the rest).
    timed: BTreeSet<K>,
    purge: Option<Purge>,
    next_purge: Option<i64>,
}

impl<K: Ord + Hash + Clone, I> Partitioned<K, I> {
    /// An empty partition, purging idle keys when `purge` is given.
    pub fn new(purge: Option<Purge>) -> Self {
        Partitioned {
            slots: HashMap::default(),
            order: BTreeSet::new(),
            timed: BTreeSet::new(),
            purge,
            next_purge: None,
        }
    }

    /// Anchors the purge schedule at the app's start.
    pub fn anchor(&mut self, origin: i64) {
        self.next_purge = self
            .purge
            .and_then(|p| crate::event::due_after(origin, p.interval.max(1)));
    }

    /// The instance of `key`, created by `make` if the key is new, marked as seen at `now`.
    pub fn get_or_insert_with<E>(
        &mut self,
        key: &K,
        now: i64,
        make: impl FnOnce() -> Result<I, E>,
    ) -> Result<&mut I, E> {
        let held = match self.slots.entry(key.clone()) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                let held = v.insert(Held {
                    slot: Slot {
                        instance: make()?,
                        last_seen: now,
                    },
                    timed: false,
                });
                self.order.insert(key.clone());
                held
            }
        };
        held.slot.last_seen = held.slot.last_seen.max(now);
        Ok(&mut held.slot.instance)
    }

    /// Marks `key` as seen at `now`.
    pub fn touch(&mut self, key: &K, now: i64) {
        self.touched(key, now);
    }

    /// The instance of `key`, if it exists, marked as seen at `now`.
    pub fn touched(&mut self, key: &K, now: i64) -> Option<&mut I> {
        let held = self.slots.get_mut(key)?;
        held.slot.last_seen = held.slot.last_seen.max(now);
        Some(&mut held.slot.instance)
    }

    /// After `key`'s instance took events: drops it if `droppable` and `empty` says it holds
    /// nothing, else records whether `timed` says it has pending timers (one lookup for both).
    pub fn settle(
        &mut self,
        key: &K,
        droppable: bool,
        empty: impl FnOnce(&I) -> bool,
        timed: impl FnOnce(&I) -> bool,
    ) {
        let Some(held) = self.slots.get_mut(key) else {
            self.timed.remove(key);
            return;
        };
        if droppable && empty(&held.slot.instance) {
            self.forget(key);
            return;
        }
        let now_timed = timed(&held.slot.instance);
        mark_timed(&mut self.timed, held, key, now_timed);
    }

    /// Drops `key` and its instance.
    fn forget(&mut self, key: &K) {
        self.slots.remove(key);
        self.order.remove(key);
        self.timed.remove(key);
    }

    /// The instance of `key`, if it exists.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut I> {
        self.slots.get_mut(key).map(|h| &mut h.slot.instance)
    }

    /// Drops `key`'s instance if `empty` says it holds nothing.
    pub fn drop_if(&mut self, key: &K, empty: impl FnOnce(&I) -> bool) {
        if self.slots.get(key).is_some_and(|h| empty(&h.slot.instance)) {
            self.forget(key);
        }
    }

    /// Records whether `key`'s instance has pending timers (call after it changed).
    pub fn set_timed(&mut self, key: &K, timed: bool) {
        match self.slots.get_mut(key) {
            Some(held) => mark_timed(&mut self.timed, held, key, timed),
            None => {
                self.timed.remove(key);
            }
        }
    }

    /// The instances with pending timers.
    pub fn timed(&self) -> impl Iterator<Item = (&K, &I)> {
        self.timed
            .iter()
            .filter_map(|k| self.slots.get(k).map(|h| (k, &h.slot.instance)))
    }

    /// The keys held, in order.
    pub fn keys(&self) -> Vec<K> {
        self.order.iter().cloned().collect()
    }

    /// How many keys hold an instance.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no key holds an instance.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Every key's slot, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &Slot<I>)> {
        self.order
            .iter()
            .filter_map(|k| self.slots.get_key_value(k).map(|(k, h)| (k, &h.slot)))
    }

    /// Every key's instance, to change it, in key order.
    pub fn instances_mut(&mut self) -> impl Iterator<Item = (&K, &mut I)> {
        let mut slots: Vec<(&K, &mut Held<I>)> = self.slots.iter_mut().collect();
        slots.sort_by(|a, b| a.0.cmp(b.0));
        slots.into_iter().map(|(k, h)| (k, &mut h.slot.instance))
    }

    /// When the next purge is due.
    pub fn next_due(&self) -> Option<i64> {
        self.next_purge
    }

    /// Purges at `now` (when due): drops the instances idle for longer than the idle period.
    pub fn on_time(&mut self, now: i64) {
        let (Some(purge), Some(due)) = (self.purge, self.next_purge) else {
            return;
        };
        if due > now {
            return;
        }
        self.slots
            .retain(|_, h| now - h.slot.last_seen < purge.idle);
        let slots = &self.slots;
        self.order.retain(|k| slots.contains_key(k));
        self.timed.retain(|k| slots.contains_key(k));
        self.next_purge = crate::event::due_after(due, purge.interval.max(1));
    }

    /// With no key held, moves the next purge past `horizon` in one step.
    pub fn skip_idle(&mut self, horizon: i64) {
        if let (true, Some(purge), Some(next)) =
            (self.slots.is_empty(), self.purge, self.next_purge)
        {
            self.next_purge = crate::event::first_due_after(next, purge.interval.max(1), horizon);
        }
    }

    /// Replaces every instance (restoring a snapshot).
    pub fn replace(&mut self, slots: impl IntoIterator<Item = (K, Slot<I>)>) {
        self.slots = slots
            .into_iter()
            .map(|(k, slot)| (k, Held { slot, timed: true }))
            .collect();
        self.order = self.slots.keys().cloned().collect();
        self.timed = self.order.clone();
    }
}

/// Records in `held` and in the ordered `set` of timed keys whether `key` has pending timers,
/// touching the set only when that changes.
fn mark_timed<K: Ord + Clone, I>(set: &mut BTreeSet<K>, held: &mut Held<I>, key: &K, timed: bool) {
    if held.timed != timed {
        held.timed = timed;
        if timed {
            set.insert(key.clone());
        } else {
            set.remove(key);
        }
    }
}

/// A partition key of a partition whose keys have several types: its text, as Siddhi keys its
/// instances (an int 100 and a string "100" are one key; null stays null, belonging to none).
pub fn text_key(key: crate::value::Value) -> crate::value::Value {
    match key {
        crate::value::Value::Null => crate::value::Value::Null,
        crate::value::Value::String(_) => key,
        other => crate::value::Value::String(std::sync::Arc::from(other.to_text())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_keys_are_purged_and_empty_ones_dropped() {
        let mut p: Partitioned<&str, Vec<i32>> = Partitioned::new(Some(Purge {
            interval: 1_000,
            idle: 2_000,
        }));
        p.anchor(0);
        p.get_or_insert_with(&"a", 100, || Ok::<_, ()>(vec![1]))
            .unwrap();
        p.get_or_insert_with(&"b", 2_500, || Ok::<_, ()>(vec![]))
            .unwrap();
        p.drop_if(&"b", |i| i.is_empty());
        assert_eq!(p.keys(), vec!["a"]);
        assert_eq!(p.next_due(), Some(1_000));
        p.on_time(1_000);
        assert_eq!(p.len(), 1);
        p.on_time(3_000);
        assert!(p.is_empty());
        assert_eq!(p.next_due(), Some(3_000));
    }

    #[test]
    fn settling_tracks_timed_instances_and_drops_empty_ones() {
        let mut p: Partitioned<&str, Vec<i32>> = Partitioned::new(None);
        p.get_or_insert_with(&"a", 0, || Ok::<_, ()>(vec![1]))
            .unwrap();
        p.get_or_insert_with(&"b", 0, || Ok::<_, ()>(vec![]))
            .unwrap();
        p.settle(&"a", true, |i| i.is_empty(), |_| true);
        assert_eq!(p.timed().map(|(k, _)| *k).collect::<Vec<_>>(), vec!["a"]);
        p.settle(&"a", true, |i| i.is_empty(), |_| false);
        assert_eq!(p.timed().count(), 0);
        // An empty instance stays while it may not be dropped, and goes when it may.
        p.settle(&"b", false, |i| i.is_empty(), |_| true);
        assert_eq!(p.keys(), vec!["a", "b"]);
        p.settle(&"b", true, |i| i.is_empty(), |_| true);
        assert_eq!(p.keys(), vec!["a"]);
        assert_eq!(p.timed().count(), 0);
        assert_eq!(p.touched(&"a", 5).map(|i| i.len()), Some(1));
        assert!(p.touched(&"b", 5).is_none());
    }
}
