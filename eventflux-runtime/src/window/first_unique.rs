//! `firstUnique(attr, ...)`: the first event of each key. An arrival with a new key is emitted
//! and held for good; later arrivals with a key already seen are dropped. Nothing expires.

use super::{Accessor, Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::hash::Hash;

/// The first-unique window.
pub struct FirstUniqueWindow<E, K, A> {
    key: A,
    state: State<E, K>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(
    serialize = "E: Serialize, K: Serialize",
    deserialize = "E: Deserialize<'de>, K: Deserialize<'de> + Eq + Hash"
))]
struct State<E, K> {
    seen: HashSet<K>,
    held: Vec<Event<E>>,
}

impl<E, K, A> FirstUniqueWindow<E, K, A> {
    /// A window of the first event of each key `key` reads.
    pub fn new(key: A) -> Self {
        FirstUniqueWindow {
            key,
            state: State {
                seen: HashSet::new(),
                held: Vec::new(),
            },
        }
    }
}

impl<E: Data, K: Data + Eq + Hash, A: Accessor<E, K>> Window<E> for FirstUniqueWindow<E, K, A> {
    fn process(&mut self, _now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        for event in input {
            if self.state.seen.insert(self.key.get(&event.data)) {
                self.state.held.push(event.clone());
                out.push(event);
            }
        }
    }

    fn contents(&self) -> Vec<&Event<E>> {
        self.state.held.iter().collect()
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&self.state)
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.state = state::decode(bytes)?;
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Window<E>> {
        Box::new(FirstUniqueWindow::new(self.key.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{Step, at, check_round_trip, cur, drive};

    type Row = (char, i32);
    type Acc = fn(&Row) -> char;

    fn window() -> FirstUniqueWindow<Row, char, Acc> {
        FirstUniqueWindow::new(|r: &Row| r.0)
    }

    fn steps() -> Vec<Step<Row>> {
        vec![
            at(1000, ('A', 10)),
            at(1100, ('B', 20)),
            at(1200, ('A', 30)),
            at(1300, ('C', 40)),
            at(1400, ('B', 50)),
        ]
    }

    #[test]
    fn passes_only_the_first_event_of_each_key() {
        let mut w = window();
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                cur(1000, ('A', 10)),
                cur(1100, ('B', 20)),
                cur(1300, ('C', 40))
            ]
        );
        assert_eq!(w.contents().len(), 3);
    }

    #[test]
    fn snapshot_round_trip() {
        let w = window();
        for split in 0..=steps().len() {
            check_round_trip(&w, &steps(), split);
        }
    }
}
