//! `frequent(n[, attr, ...])`: the events of the (approximately) `n` most frequent keys, by the
//! Misra-Gries counting Siddhi's `FrequentWindowProcessor` uses. The window holds the latest event
//! of each counted key.
//!
//! - An event of a counted key raises its count, replaces the key's held event (the old one
//!   leaves without expiring) and is emitted.
//! - An event of a new key, while fewer than `n` keys are counted, is counted (1) and emitted.
//! - Otherwise every counted key's count drops by one; keys reaching 0 are evicted, their held
//!   (latest) event expiring, in the order the keys were first counted. If that freed a place
//!   the new key is counted and its event emitted (after the expirations); if not, the event is
//!   dropped.

use super::{Accessor, Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// The frequent window.
pub struct FrequentWindow<E, K, A> {
    count: usize,
    key: A,
    state: State<E, K>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(
    serialize = "E: Serialize, K: Serialize",
    deserialize = "E: Deserialize<'de>, K: Deserialize<'de> + Eq + Hash"
))]
struct State<E, K> {
    next_seq: u64,
    /// Key to its slot's sequence number.
    index: HashMap<K, u64>,
    /// Slots in the order their keys were first counted.
    slots: BTreeMap<u64, Slot<E, K>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Slot<E, K> {
    key: K,
    count: u64,
    event: Event<E>,
}

impl<E, K, A> FrequentWindow<E, K, A> {
    /// A window over the `count` most frequent keys `key` reads.
    pub fn new(count: usize, key: A) -> Self {
        FrequentWindow {
            count,
            key,
            state: State {
                next_seq: 0,
                index: HashMap::new(),
                slots: BTreeMap::new(),
            },
        }
    }
}

impl<E: Data, K: Data + Eq + Hash, A: Accessor<E, K>> FrequentWindow<E, K, A> {
    /// Lowers every count by one, evicting the keys that reach 0.
    fn decrement(&mut self, now: i64, out: &mut Chunk<E>) {
        let mut evicted = Vec::new();
        for (seq, slot) in self.state.slots.iter_mut() {
            slot.count = slot.count.saturating_sub(1);
            if slot.count == 0 {
                evicted.push(*seq);
            }
        }
        for seq in evicted {
            if let Some(slot) = self.state.slots.remove(&seq) {
                self.state.index.remove(&slot.key);
                out.push(Event::expired(now, slot.event.data));
            }
        }
    }
}

impl<E: Data, K: Data + Eq + Hash, A: Accessor<E, K>> Window<E> for FrequentWindow<E, K, A> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        for event in input {
            let key = self.key.get(&event.data);
            if let Some(seq) = self.state.index.get(&key) {
                if let Some(slot) = self.state.slots.get_mut(seq) {
                    slot.count = slot.count.saturating_add(1);
                    slot.event = event.clone();
                }
                out.push(event);
                continue;
            }
            if self.state.index.len() >= self.count {
                self.decrement(now, out);
                if self.state.index.len() >= self.count {
                    continue;
                }
            }
            let seq = self.state.next_seq;
            self.state.next_seq += 1;
            self.state.index.insert(key.clone(), seq);
            self.state.slots.insert(
                seq,
                Slot {
                    key,
                    count: 1,
                    event: event.clone(),
                },
            );
            out.push(event);
        }
    }

    fn found_in_contents(&self) -> bool {
        true
    }

    fn contents(&self) -> Vec<&Event<E>> {
        self.state.slots.values().map(|s| &s.event).collect()
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&self.state)
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.state = state::decode(bytes)?;
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Window<E>> {
        Box::new(FrequentWindow::new(self.count, self.key.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{Step, at, check_round_trip, cur, drive, exp};

    type Row = (char, i32);
    type Acc = fn(&Row) -> char;

    fn window(count: usize) -> FrequentWindow<Row, char, Acc> {
        FrequentWindow::new(count, |r: &Row| r.0)
    }

    fn steps() -> Vec<Step<Row>> {
        vec![
            at(1000, ('A', 10)),
            at(1100, ('A', 20)),
            at(1200, ('B', 30)),
            at(1300, ('B', 40)),
            at(1400, ('C', 50)),
        ]
    }

    #[test]
    fn evicts_the_latest_event_of_the_evicted_key() {
        let mut w = window(1);
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                cur(1000, ('A', 10)),
                cur(1100, ('A', 20)),
                exp(1300, ('A', 20)),
                cur(1300, ('B', 40)),
                exp(1400, ('B', 40)),
                cur(1400, ('C', 50)),
            ]
        );
        assert_eq!(w.contents(), vec![&cur(1400, ('C', 50))]);
    }

    #[test]
    fn evictions_follow_the_order_keys_were_counted() {
        let mut w = window(2);
        let out = drive(
            &mut w,
            &[
                at(1, ('X', 1)),
                at(2, ('Y', 2)),
                at(3, ('Z', 3)),
                at(4, ('W', 4)),
            ],
        );
        assert_eq!(
            out,
            vec![
                cur(1, ('X', 1)),
                cur(2, ('Y', 2)),
                exp(3, ('X', 1)),
                exp(3, ('Y', 2)),
                cur(3, ('Z', 3)),
                cur(4, ('W', 4)),
            ]
        );
    }

    #[test]
    fn zero_keeps_nothing() {
        let mut w = window(0);
        let out = drive(&mut w, &[at(1, ('X', 1))]);
        assert!(out.is_empty());
    }

    #[test]
    fn snapshot_round_trip() {
        let w = window(1);
        for split in 0..=steps().len() {
            check_round_trip(&w, &steps(), split);
        }
    }
}
