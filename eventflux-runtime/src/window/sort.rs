//! `sort(n, attr [, 'asc'|'desc'], ...)`: the `n` events that sort first. Each arrival is emitted
//! at once, then, when the window holds more than `n` events, the one that sorts last expires
//! (carrying the arrival's time) and is emitted after the arrival. Among equal events the later
//! arrival sorts last, so it may be the arrival itself that expires.
//!
//! As in Siddhi, the events are held in arrival order until the window first overflows, and in
//! sort order from then on ([`Window::contents`] shows that order).

use super::{Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// The sort window; `C` compares two events' data.
pub struct SortWindow<E, C> {
    length: usize,
    compare: C,
    state: State<E>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct State<E> {
    /// Whether `held` is in sort order (it is once the window has overflowed).
    sorted: bool,
    held: Vec<Event<E>>,
}

impl<E, C> SortWindow<E, C>
where
    C: Fn(&E, &E) -> Ordering + Clone + Send + Sync + 'static,
{
    /// A window of the `length` events that sort first by `compare`.
    pub fn new(length: usize, compare: C) -> Self {
        SortWindow {
            length,
            compare,
            state: State {
                sorted: false,
                held: Vec::new(),
            },
        }
    }
}

impl<E: Data, C> Window<E> for SortWindow<E, C>
where
    C: Fn(&E, &E) -> Ordering + Clone + Send + Sync + 'static,
{
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        let compare = &self.compare;
        for event in input {
            let held = &mut self.state.held;
            if self.state.sorted {
                let at =
                    held.partition_point(|e| compare(&e.data, &event.data) != Ordering::Greater);
                held.insert(at, event.clone());
            } else {
                held.push(event.clone());
            }
            out.push(event);
            if held.len() > self.length {
                if !self.state.sorted {
                    held.sort_by(|a, b| compare(&a.data, &b.data));
                    self.state.sorted = true;
                }
                if let Some(last) = held.pop() {
                    out.push(Event::expired(now, last.data));
                }
            }
        }
    }

    fn found_in_contents(&self) -> bool {
        true
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
        Box::new(SortWindow::new(self.length, self.compare.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{Step, at, check_round_trip, cur, drive, exp};

    type Row = (char, i32);

    fn by_price(a: &Row, b: &Row) -> Ordering {
        a.1.cmp(&b.1)
    }

    fn steps() -> Vec<Step<Row>> {
        vec![
            at(1000, ('a', 10)),
            at(1100, ('b', 30)),
            at(1200, ('c', 20)),
            at(1300, ('d', 5)),
            at(1400, ('e', 20)),
            at(1500, ('f', 1)),
        ]
    }

    #[test]
    fn emits_the_arrival_before_the_evicted_event() {
        let mut w = SortWindow::new(2, by_price);
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                cur(1000, ('a', 10)),
                cur(1100, ('b', 30)),
                cur(1200, ('c', 20)),
                exp(1200, ('b', 30)),
                cur(1300, ('d', 5)),
                exp(1300, ('c', 20)),
                cur(1400, ('e', 20)),
                exp(1400, ('e', 20)),
                cur(1500, ('f', 1)),
                exp(1500, ('a', 10)),
            ]
        );
        assert_eq!(
            w.contents(),
            vec![&cur(1500, ('f', 1)), &cur(1300, ('d', 5))]
        );
    }

    #[test]
    fn descending_ties_evict_the_later_arrival() {
        let mut w = SortWindow::new(2, |a: &Row, b: &Row| b.1.cmp(&a.1));
        let out = drive(
            &mut w,
            &[
                at(1, ('a', 5)),
                at(2, ('b', 5)),
                at(3, ('c', 5)),
                at(4, ('d', 9)),
            ],
        );
        assert_eq!(
            out,
            vec![
                cur(1, ('a', 5)),
                cur(2, ('b', 5)),
                cur(3, ('c', 5)),
                exp(3, ('c', 5)),
                cur(4, ('d', 9)),
                exp(4, ('b', 5)),
            ]
        );
    }

    #[test]
    fn holds_arrival_order_until_it_overflows() {
        let mut w = SortWindow::new(3, by_price);
        drive(&mut w, &[at(1, ('a', 3)), at(2, ('b', 1)), at(3, ('c', 2))]);
        let order: Vec<char> = w.contents().iter().map(|e| e.data.0).collect();
        assert_eq!(order, vec!['a', 'b', 'c']);
    }

    #[test]
    fn zero_length_expires_every_arrival() {
        let mut w = SortWindow::new(0, by_price);
        let out = drive(&mut w, &[at(1, ('a', 3))]);
        assert_eq!(out, vec![cur(1, ('a', 3)), exp(1, ('a', 3))]);
    }

    #[test]
    fn snapshot_round_trip() {
        let w = SortWindow::new(2, by_price);
        for split in 0..=steps().len() {
            check_round_trip(&w, &steps(), split);
        }
    }
}
