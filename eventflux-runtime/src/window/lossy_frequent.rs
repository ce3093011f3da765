//! `lossyFrequent(support[, error][, attr, ...])`: the events of keys whose frequency passes the
//! support threshold, by the lossy counting Siddhi's `LossyFrequentWindowProcessor` uses (the
//! error bound defaults to a tenth of the support). The window holds the latest event of each
//! counted key.
//!
//! With `N` events seen so far, buckets of width `w = ceil(1 / error)` and the current bucket
//! `b = ceil(N / w)`: an event's key is counted (a new key starting at count 1 with bucket
//! `b - 1`), the event replaces the key's held event, and it is emitted when the key's count is
//! at least `(support - error) * N`. Every `w` events, keys with `count + bucket <= b` are pruned:
//! their held event expires (after the arrival, in the order the keys were first counted).

use super::{Accessor, Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// The lossy frequent window.
pub struct LossyFrequentWindow<E, K, A> {
    support: f64,
    error: f64,
    width: f64,
    key: A,
    state: State<E, K>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(
    serialize = "E: Serialize, K: Serialize",
    deserialize = "E: Deserialize<'de>, K: Deserialize<'de> + Eq + Hash"
))]
struct State<E, K> {
    total: u64,
    bucket: f64,
    next_seq: u64,
    /// Key to its slot's sequence number.
    index: HashMap<K, u64>,
    /// Slots in the order their keys were first counted.
    slots: BTreeMap<u64, Slot<E, K>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Slot<E, K> {
    key: K,
    count: i64,
    bucket: i64,
    event: Event<E>,
}

impl<E, K, A> LossyFrequentWindow<E, K, A> {
    /// A window over the keys `key` reads whose frequency passes `support`, counted with the
    /// error bound `error` (by default `support / 10`).
    pub fn new(support: f64, error: Option<f64>, key: A) -> Self {
        let error = error.unwrap_or(support / 10.0);
        LossyFrequentWindow {
            support,
            error,
            width: (1.0 / error).ceil(),
            key,
            state: State {
                total: 0,
                bucket: 1.0,
                next_seq: 0,
                index: HashMap::new(),
                slots: BTreeMap::new(),
            },
        }
    }
}

impl<E: Data, K: Data + Eq + Hash, A: Accessor<E, K>> LossyFrequentWindow<E, K, A> {
    /// Drops the keys whose count cannot be frequent any more.
    fn prune(&mut self, now: i64, out: &mut Chunk<E>) {
        let bucket = self.state.bucket;
        let pruned: Vec<u64> = self
            .state
            .slots
            .iter()
            .filter(|(_, s)| (s.count.saturating_add(s.bucket) as f64) <= bucket)
            .map(|(seq, _)| *seq)
            .collect();
        for seq in pruned {
            if let Some(slot) = self.state.slots.remove(&seq) {
                self.state.index.remove(&slot.key);
                out.push(Event::expired(now, slot.event.data));
            }
        }
    }
}

impl<E: Data, K: Data + Eq + Hash, A: Accessor<E, K>> Window<E> for LossyFrequentWindow<E, K, A> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        for event in input {
            self.state.total = self.state.total.saturating_add(1);
            let total = self.state.total as f64;
            if self.state.total != 1 {
                self.state.bucket = (total / self.width).ceil();
            }
            let key = self.key.get(&event.data);
            let count = match self.state.index.get(&key) {
                Some(seq) => match self.state.slots.get_mut(seq) {
                    Some(slot) => {
                        slot.count = slot.count.saturating_add(1);
                        slot.event = event.clone();
                        slot.count
                    }
                    None => 0,
                },
                None => {
                    let seq = self.state.next_seq;
                    self.state.next_seq += 1;
                    self.state.index.insert(key.clone(), seq);
                    self.state.slots.insert(
                        seq,
                        Slot {
                            key,
                            count: 1,
                            // As Java's `(int) bucket - 1`.
                            bucket: (self.state.bucket as i32 as i64) - 1,
                            event: event.clone(),
                        },
                    );
                    1
                }
            };
            if count as f64 >= (self.support - self.error) * total {
                out.push(event);
            }
            if total % self.width == 0.0 {
                self.prune(now, out);
            }
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
        Box::new(LossyFrequentWindow::new(
            self.support,
            Some(self.error),
            self.key.clone(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{Step, at, check_round_trip, cur, drive, exp};

    type Row = (char, i32);
    type Acc = fn(&Row) -> char;

    fn window(support: f64, error: Option<f64>) -> LossyFrequentWindow<Row, char, Acc> {
        LossyFrequentWindow::new(support, error, |r: &Row| r.0)
    }

    fn steps() -> Vec<Step<Row>> {
        vec![
            at(1000, ('A', 1)),
            at(1100, ('A', 2)),
            at(1200, ('B', 3)),
            at(1300, ('A', 4)),
            at(1400, ('C', 5)),
            at(1500, ('B', 6)),
        ]
    }

    #[test]
    fn passes_only_frequent_keys() {
        let mut w = window(0.5, Some(0.1));
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                cur(1000, ('A', 1)),
                cur(1100, ('A', 2)),
                cur(1300, ('A', 4))
            ]
        );
        let held: Vec<Row> = w.contents().iter().map(|e| e.data).collect();
        assert_eq!(held, vec![('A', 4), ('B', 6), ('C', 5)]);
    }

    #[test]
    fn prunes_rare_keys_every_bucket() {
        // error 0.5: buckets of 2 events; support 0.6 passes keys with count >= 0.1 * N.
        let mut w = window(0.6, Some(0.5));
        let out = drive(
            &mut w,
            &[
                at(1, ('A', 1)),
                at(2, ('B', 2)),
                at(3, ('A', 3)),
                at(4, ('A', 4)),
            ],
        );
        assert_eq!(
            out,
            vec![
                cur(1, ('A', 1)),
                cur(2, ('B', 2)),
                exp(2, ('A', 1)),
                exp(2, ('B', 2)),
                cur(3, ('A', 3)),
                cur(4, ('A', 4)),
            ]
        );
    }

    #[test]
    fn error_defaults_to_a_tenth_of_the_support() {
        let w = window(0.5, None);
        assert!((w.error - 0.05).abs() < 1e-12);
        assert_eq!(w.width, 20.0);
    }

    #[test]
    fn snapshot_round_trip() {
        let w = window(0.5, Some(0.1));
        for split in 0..=steps().len() {
            check_round_trip(&w, &steps(), split);
        }
    }
}
