//! `unique(attr, ...)`: the latest event of each key. An arrival whose key is already held first
//! expires the held event (carrying the arrival time), then is emitted and held in its place.
//! The window's contents are in arrival order.

use super::{Accessor, Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// The unique window.
pub struct UniqueWindow<E, K, A> {
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
    /// Key to the arrival number of its held event.
    index: HashMap<K, u64>,
    /// Held events by arrival number.
    held: BTreeMap<u64, Event<E>>,
}

impl<E, K, A> UniqueWindow<E, K, A> {
    /// A window of the latest event of each key `key` reads.
    pub fn new(key: A) -> Self {
        UniqueWindow {
            key,
            state: State {
                next_seq: 0,
                index: HashMap::new(),
                held: BTreeMap::new(),
            },
        }
    }
}

impl<E: Data, K: Data + Eq + Hash, A: Accessor<E, K>> Window<E> for UniqueWindow<E, K, A> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        for event in input {
            let key = self.key.get(&event.data);
            let seq = self.state.next_seq;
            self.state.next_seq += 1;
            if let Some(old_seq) = self.state.index.insert(key, seq)
                && let Some(old) = self.state.held.remove(&old_seq)
            {
                out.push(Event::expired(now, old.data));
            }
            self.state.held.insert(seq, event.clone());
            out.push(event);
        }
    }

    fn contents(&self) -> Vec<&Event<E>> {
        self.state.held.values().collect()
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&self.state)
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.state = state::decode(bytes)?;
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Window<E>> {
        Box::new(UniqueWindow::new(self.key.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{Step, at, check_round_trip, cur, drive, exp};

    type Row = (char, i32);
    type Acc = fn(&Row) -> char;

    fn window() -> UniqueWindow<Row, char, Acc> {
        UniqueWindow::new(|r: &Row| r.0)
    }

    fn steps() -> Vec<Step<Row>> {
        vec![
            at(1000, ('A', 10)),
            at(1100, ('B', 20)),
            at(1200, ('A', 30)),
            at(1300, ('A', 40)),
            Step::Events(1400, vec![('C', 50), ('C', 60)]),
        ]
    }

    #[test]
    fn replaces_the_held_event_of_a_key() {
        let mut w = window();
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                cur(1000, ('A', 10)),
                cur(1100, ('B', 20)),
                exp(1200, ('A', 10)),
                cur(1200, ('A', 30)),
                exp(1300, ('A', 30)),
                cur(1300, ('A', 40)),
                cur(1400, ('C', 50)),
                exp(1400, ('C', 50)),
                cur(1400, ('C', 60)),
            ]
        );
        assert_eq!(
            w.contents(),
            vec![
                &cur(1100, ('B', 20)),
                &cur(1300, ('A', 40)),
                &cur(1400, ('C', 60))
            ]
        );
    }

    #[test]
    fn snapshot_round_trip() {
        let w = window();
        for split in 0..=steps().len() {
            check_round_trip(&w, &steps(), split);
        }
    }
}
