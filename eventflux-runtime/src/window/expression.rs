//! `expression(condition)`: a sliding window that keeps events while a condition over them holds,
//! as Siddhi's `ExpressionWindowProcessor`. Each arrival joins the window; if the condition then
//! fails, the oldest events expire one by one (carrying the arrival time; the arrival itself last
//! of all) until it holds again. The expired events are emitted before the arrival.
//!
//! The condition sees the window's oldest event as `first` and the arrival as `last`, also while
//! events expire (when the window has emptied, `first` is the event that just expired).

use super::{Data, Window, WindowCondition};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;

/// The sliding expression window.
pub struct ExpressionWindow<E, C: WindowCondition<E>> {
    condition: Arc<C>,
    state: State<E, C::State>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct State<E, S> {
    held: VecDeque<Event<E>>,
    aggregates: S,
}

impl<E, C: WindowCondition<E>> ExpressionWindow<E, C> {
    /// A window of the latest events over which `condition` holds.
    pub fn new(condition: C) -> Self {
        Self::shared(Arc::new(condition))
    }

    /// The same, sharing `condition` with other windows.
    pub fn shared(condition: Arc<C>) -> Self {
        ExpressionWindow {
            condition,
            state: State {
                held: VecDeque::new(),
                aggregates: C::State::default(),
            },
        }
    }
}

impl<E: Data, C: WindowCondition<E>> Window<E> for ExpressionWindow<E, C> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        let condition = &*self.condition;
        let state = &mut self.state;
        for event in input {
            condition.add(&mut state.aggregates, &event);
            state.held.push_back(event.clone());
            let first = state.held.front().unwrap_or(&event);
            if !condition.holds_between(&state.aggregates, first, &event) {
                while let Some(old) = state.held.pop_front() {
                    condition.remove(&mut state.aggregates, &old);
                    let first = state.held.front().unwrap_or(&old);
                    let holds = condition.holds_between(&state.aggregates, first, &event);
                    out.push(Event::expired(now, old.data));
                    if holds {
                        break;
                    }
                }
            }
            out.push(event);
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
        Box::new(ExpressionWindow::shared(self.condition.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{
        CountAtMost, SpanBelow, Step, SumAtMost, at, check_round_trip, cur, drive, exp,
    };

    fn steps() -> Vec<Step<(char, i64)>> {
        vec![
            at(1000, ('a', 4)),
            at(1100, ('b', 5)),
            at(1200, ('c', 3)),
            at(1300, ('d', 9)),
            at(1400, ('e', 20)),
            at(1500, ('f', 1)),
        ]
    }

    #[test]
    fn expires_the_oldest_until_the_sum_fits() {
        let mut w = ExpressionWindow::new(SumAtMost(10));
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                cur(1000, ('a', 4)),
                cur(1100, ('b', 5)),
                exp(1200, ('a', 4)),
                cur(1200, ('c', 3)),
                exp(1300, ('b', 5)),
                exp(1300, ('c', 3)),
                cur(1300, ('d', 9)),
                // 20 alone breaks the condition: everything expires, the arrival too
                exp(1400, ('d', 9)),
                exp(1400, ('e', 20)),
                cur(1400, ('e', 20)),
                cur(1500, ('f', 1)),
            ]
        );
        assert_eq!(w.contents(), vec![&cur(1500, ('f', 1))]);
    }

    #[test]
    fn count_condition_slides_like_a_length_window() {
        let mut w = ExpressionWindow::new(CountAtMost(2));
        let out = drive(&mut w, &[at(1, 'a'), at(2, 'b'), at(3, 'c')]);
        assert_eq!(
            out,
            vec![cur(1, 'a'), cur(2, 'b'), exp(3, 'a'), cur(3, 'c')]
        );
    }

    #[test]
    fn the_condition_sees_the_first_event() {
        let mut w = ExpressionWindow::new(SpanBelow(1000));
        let out = drive(
            &mut w,
            &[at(0, 'a'), at(600, 'b'), at(1000, 'c'), at(2100, 'd')],
        );
        assert_eq!(
            out,
            vec![
                cur(0, 'a'),
                cur(600, 'b'),
                exp(1000, 'a'),
                cur(1000, 'c'),
                exp(2100, 'b'),
                exp(2100, 'c'),
                cur(2100, 'd'),
            ]
        );
    }

    #[test]
    fn snapshot_round_trip() {
        let w = ExpressionWindow::new(SumAtMost(10));
        for split in 0..=steps().len() {
            check_round_trip(&w, &steps(), split);
        }
    }
}
