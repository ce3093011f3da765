//! Partitions: one instance of a partition's queries per key, written once and generic over the
//! key and the instance (the compiled path's generated query states, or the interpreter's).
//!
//! Keys that go quiet do not hold memory forever: an instance that holds nothing after an event
//! can be dropped at once ([`Partitioned::settle`]), losing nothing, and with `@purge` an
//! instance idle for longer than the idle period is dropped at the next purge time.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

/// The hasher of the key table: an instance is looked up once per event (entering it; leaving
/// it goes by its [`Place`]), where SipHash or an ordered map's comparisons would cost more.
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

/// Where a key's instance is held: found by one hash lookup on entering the key, it reaches the
/// instance again without hashing. A place outlives its key's instance safely: once the key is
/// dropped, the place finds nothing (even if its room holds another key's instance by then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    room: usize,
    generation: u32,
}

/// A key's slot, with whether the key is in the timed set (so that an event leaving an untimed
/// instance untimed touches no ordered set).
#[derive(Clone, Debug)]
struct Held<K, I> {
    key: K,
    slot: Slot<I>,
    timed: bool,
}

/// A room for one key's instance; its generation grows each time an instance leaves it.
#[derive(Clone, Debug)]
struct Room<K, I> {
    generation: u32,
    held: Option<Held<K, I>>,
}

/// The instances of a partition, by key.
#[derive(Clone, Debug)]
pub struct Partitioned<K, I> {
    /// Each key's room, found by hash.
    rooms_by_key: HashMap<K, usize, KeyHasher>,
    rooms: Vec<Room<K, I>>,
    /// Empty rooms, reused before new ones are added.
    free: Vec<usize>,
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
            rooms_by_key: HashMap::default(),
            rooms: Vec::new(),
            free: Vec::new(),
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

    fn held(&self, key: &K) -> Option<&Held<K, I>> {
        let room = *self.rooms_by_key.get(key)?;
        self.rooms.get(room)?.held.as_ref()
    }

    fn held_mut(&mut self, key: &K) -> Option<&mut Held<K, I>> {
        let room = *self.rooms_by_key.get(key)?;
        self.rooms.get_mut(room)?.held.as_mut()
    }

    fn held_at(&mut self, place: Place) -> Option<&mut Held<K, I>> {
        held_in(&mut self.rooms, place)
    }

    /// Moves `held` into an empty room (a new one when none is free) and files its key (in the
    /// timed set too when `held` is timed); returns the room.
    fn admit(&mut self, held: Held<K, I>) -> usize {
        let key = held.key.clone();
        if held.timed {
            self.timed.insert(key.clone());
        }
        let room = self.accommodate(held);
        self.rooms_by_key.insert(key.clone(), room);
        self.order.insert(key);
        room
    }

    /// Moves `held` into an empty room (a new one when none is free); returns the room.
    fn accommodate(&mut self, held: Held<K, I>) -> usize {
        match self.free.pop() {
            Some(room) => {
                if let Some(r) = self.rooms.get_mut(room) {
                    r.held = Some(held);
                }
                room
            }
            None => {
                self.rooms.push(Room {
                    generation: 0,
                    held: Some(held),
                });
                self.rooms.len() - 1
            }
        }
    }

    /// The instance of `key`, created by `make` if the key is new, marked as seen at `now`,
    /// with its place.
    pub fn enter<E>(
        &mut self,
        key: &K,
        now: i64,
        make: impl FnOnce() -> Result<I, E>,
    ) -> Result<(Place, &mut I), E> {
        let room = match self.rooms_by_key.get(key) {
            Some(room) => *room,
            None => self.admit(Held {
                key: key.clone(),
                slot: Slot {
                    instance: make()?,
                    last_seen: now,
                },
                timed: false,
            }),
        };
        let r = &mut self.rooms[room];
        let place = Place {
            room,
            generation: r.generation,
        };
        match r.held.as_mut() {
            Some(held) => {
                held.slot.last_seen = held.slot.last_seen.max(now);
                Ok((place, &mut held.slot.instance))
            }
            None => unreachable!("a key's room holds its instance"),
        }
    }

    /// Where `key`'s instance is held, if it exists.
    pub fn place(&self, key: &K) -> Option<Place> {
        let room = *self.rooms_by_key.get(key)?;
        let r = self.rooms.get(room)?;
        r.held.as_ref().map(|_| Place {
            room,
            generation: r.generation,
        })
    }

    /// The instance at `place`, if its key still holds one.
    pub fn at_mut(&mut self, place: Place) -> Option<&mut I> {
        self.held_at(place).map(|h| &mut h.slot.instance)
    }

    /// Marks the key at `place` as seen at `now`.
    pub fn touch_at(&mut self, place: Place, now: i64) {
        if let Some(held) = self.held_at(place) {
            held.slot.last_seen = held.slot.last_seen.max(now);
        }
    }

    /// After the instance at `place` took events: drops it if `droppable` and `empty` says it
    /// holds nothing, else records whether `timed` says it has pending timers.
    pub fn settle(
        &mut self,
        place: Place,
        droppable: bool,
        empty: impl FnOnce(&I) -> bool,
        timed: impl FnOnce(&I) -> bool,
    ) {
        let Some(held) = self.held_at(place) else {
            return;
        };
        if droppable && empty(&held.slot.instance) {
            let key = held.key.clone();
            self.forget(&key);
            return;
        }
        let now_timed = timed(&held.slot.instance);
        self.set_timed_at(place, now_timed);
    }

    /// Drops `key` and its instance.
    fn forget(&mut self, key: &K) {
        if let Some(room) = self.rooms_by_key.remove(key)
            && let Some(r) = self.rooms.get_mut(room)
        {
            r.held = None;
            r.generation = r.generation.wrapping_add(1);
            self.free.push(room);
        }
        self.order.remove(key);
        self.timed.remove(key);
    }

    /// The instance of `key`, if it exists.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut I> {
        self.held_mut(key).map(|h| &mut h.slot.instance)
    }

    /// Records whether the instance at `place` has pending timers (call after it changed).
    pub fn set_timed_at(&mut self, place: Place, timed: bool) {
        if let Some(held) = held_in(&mut self.rooms, place)
            && held.timed != timed
        {
            held.timed = timed;
            if timed {
                self.timed.insert(held.key.clone());
            } else {
                self.timed.remove(&held.key);
            }
        }
    }

    /// The instances with pending timers.
    pub fn timed(&self) -> impl Iterator<Item = (&K, &I)> {
        self.timed
            .iter()
            .filter_map(|k| self.held(k).map(|h| (k, &h.slot.instance)))
    }

    /// The keys held, in order.
    pub fn keys(&self) -> Vec<K> {
        self.order.iter().cloned().collect()
    }

    /// How many keys hold an instance.
    pub fn len(&self) -> usize {
        self.rooms_by_key.len()
    }

    /// Whether no key holds an instance.
    pub fn is_empty(&self) -> bool {
        self.rooms_by_key.is_empty()
    }

    /// Every key's slot, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &Slot<I>)> {
        self.order
            .iter()
            .filter_map(|k| self.held(k).map(|h| (&h.key, &h.slot)))
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
        let idle: Vec<K> = self
            .rooms
            .iter()
            .filter_map(|r| r.held.as_ref())
            .filter(|h| now - h.slot.last_seen >= purge.idle)
            .map(|h| h.key.clone())
            .collect();
        for key in &idle {
            self.forget(key);
        }
        self.next_purge = crate::event::due_after(due, purge.interval.max(1));
    }

    /// With no key held, moves the next purge past `horizon` in one step.
    pub fn skip_idle(&mut self, horizon: i64) {
        if let (true, Some(purge), Some(next)) = (self.is_empty(), self.purge, self.next_purge) {
            self.next_purge = crate::event::first_due_after(next, purge.interval.max(1), horizon);
        }
    }

    /// Replaces every instance (restoring a snapshot).
    pub fn replace(&mut self, slots: impl IntoIterator<Item = (K, Slot<I>)>) {
        self.rooms_by_key.clear();
        self.rooms.clear();
        self.free.clear();
        self.order.clear();
        self.timed.clear();
        for (key, slot) in slots {
            self.forget(&key);
            self.admit(Held {
                key,
                slot,
                timed: true,
            });
        }
    }
}

/// The key's slot held at `place` among `rooms`, if its key still holds one.
fn held_in<K, I>(rooms: &mut [Room<K, I>], place: Place) -> Option<&mut Held<K, I>> {
    let room = rooms.get_mut(place.room)?;
    if room.generation == place.generation {
        room.held.as_mut()
    } else {
        None
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

    fn enter(p: &mut Partitioned<&'static str, Vec<i32>>, key: &'static str, now: i64) -> Place {
        let made = p.enter(&key, now, || Ok::<_, ()>(vec![]));
        made.map(|(place, _)| place)
            .unwrap_or_else(|()| unreachable!())
    }

    #[test]
    fn idle_keys_are_purged_and_empty_ones_dropped() {
        let mut p = Partitioned::new(Some(Purge {
            interval: 1_000,
            idle: 2_000,
        }));
        p.anchor(0);
        let a = enter(&mut p, "a", 100);
        p.at_mut(a).into_iter().for_each(|i| i.push(1));
        let b = enter(&mut p, "b", 2_500);
        p.settle(b, true, |i| i.is_empty(), |_| false);
        assert_eq!(p.keys(), vec!["a"]);
        assert_eq!(p.next_due(), Some(1_000));
        p.on_time(1_000);
        assert_eq!(p.len(), 1);
        p.on_time(3_000);
        assert!(p.is_empty());
        assert_eq!(p.next_due(), Some(3_000));
        assert!(p.at_mut(a).is_none());
    }

    #[test]
    fn settling_tracks_timed_instances_and_drops_empty_ones() {
        let mut p = Partitioned::new(None);
        let a = enter(&mut p, "a", 0);
        p.at_mut(a).into_iter().for_each(|i| i.push(1));
        let b = enter(&mut p, "b", 0);
        p.settle(a, true, |i| i.is_empty(), |_| true);
        assert_eq!(p.timed().map(|(k, _)| *k).collect::<Vec<_>>(), vec!["a"]);
        p.settle(a, true, |i| i.is_empty(), |_| false);
        assert_eq!(p.timed().count(), 0);
        // An empty instance stays while it may not be dropped, and goes when it may.
        p.settle(b, false, |i| i.is_empty(), |_| true);
        assert_eq!(p.keys(), vec!["a", "b"]);
        p.settle(b, true, |i| i.is_empty(), |_| true);
        assert_eq!(p.keys(), vec!["a"]);
        assert_eq!(p.timed().count(), 0);
        assert_eq!(p.at_mut(a).map(|i| i.len()), Some(1));
        assert!(p.at_mut(b).is_none());
    }

    #[test]
    fn a_place_outliving_its_key_finds_nothing_in_its_reused_room() {
        let mut p = Partitioned::new(None);
        let a = enter(&mut p, "a", 0);
        p.settle(a, true, |i| i.is_empty(), |_| false);
        let b = enter(&mut p, "b", 0);
        assert!(p.at_mut(a).is_none());
        assert!(p.at_mut(b).is_some());
        assert_eq!(p.place(&"b"), Some(b));
        assert_eq!(p.place(&"a"), None);
    }
}
