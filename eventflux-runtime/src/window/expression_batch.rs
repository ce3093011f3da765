//! `expressionBatch(condition[, include.triggering.event[, stream.current.event]])`: batches
//! closed when a condition over the batch stops holding, as Siddhi's
//! `ExpressionBatchWindowProcessor`. Like Siddhi it emits no `Reset`: an emitted batch leaves by
//! expiring when the next one is emitted.
//!
//! Each arrival joins the condition's aggregates; while the condition holds it joins the batch.
//! When it fails, the aggregates restart from the arrival alone, the previously emitted batch
//! expires (carrying the arrival time), and:
//! - the batch being filled is emitted (its events now carrying the arrival time) and becomes
//!   the batch to expire next; the arrival starts the next batch, or, with
//!   `include.triggering.event`, is emitted with the batch and expires with it (the aggregates
//!   still count it, as in Siddhi);
//! - when no batch was being filled, the arrival is emitted as expired and then as current.
//!
//! With `stream.current.event`, arrivals are emitted at once and the batch only expires when the
//! condition fails: the arrival then follows the expired batch and starts the next one (with
//! `include.triggering.event` it comes first and expires with the batch).
//!
//! The condition sees the batch's oldest event as `first` and the arrival as `last`.

use super::{Data, Window, WindowCondition};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The expression batch window.
pub struct ExpressionBatchWindow<E, C: WindowCondition<E>> {
    condition: Arc<C>,
    include_triggering: bool,
    stream_current: bool,
    state: State<E, C::State>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct State<E, S> {
    /// The batch being filled, not yet emitted.
    pending: Vec<Event<E>>,
    /// Events emitted and not yet expired.
    emitted: Vec<Event<E>>,
    aggregates: S,
}

impl<E, C: WindowCondition<E>> ExpressionBatchWindow<E, C> {
    /// Batches closed when `condition` fails; `include_triggering` puts the failing arrival in the
    /// closed batch; `stream_current` emits arrivals at once.
    pub fn new(condition: C, include_triggering: bool, stream_current: bool) -> Self {
        Self::shared(Arc::new(condition), include_triggering, stream_current)
    }

    /// The same, sharing `condition` with other windows.
    pub fn shared(condition: Arc<C>, include_triggering: bool, stream_current: bool) -> Self {
        ExpressionBatchWindow {
            condition,
            include_triggering,
            stream_current,
            state: State {
                pending: Vec::new(),
                emitted: Vec::new(),
                aggregates: C::State::default(),
            },
        }
    }
}

impl<E: Data, C: WindowCondition<E>> ExpressionBatchWindow<E, C> {
    /// Adds `event` to the aggregates; whether the condition still holds.
    fn admit(&mut self, event: &Event<E>) -> bool {
        let condition = &*self.condition;
        let state = &mut self.state;
        condition.add(&mut state.aggregates, event);
        let batch = if self.stream_current {
            &state.emitted
        } else {
            &state.pending
        };
        let first = batch.first().unwrap_or(event);
        if condition.holds_between(&state.aggregates, first, event) {
            return true;
        }
        state.aggregates = C::State::default();
        condition.add(&mut state.aggregates, event);
        false
    }

    fn expire_emitted(&mut self, now: i64, out: &mut Chunk<E>) {
        for e in self.state.emitted.drain(..) {
            out.push(Event::expired(now, e.data));
        }
    }

    fn take(&mut self, now: i64, event: Event<E>, out: &mut Chunk<E>) {
        if self.admit(&event) {
            self.state.pending.push(event);
            return;
        }
        self.expire_emitted(now, out);
        if self.state.pending.is_empty() {
            out.push(Event::expired(now, event.data.clone()));
            out.push(Event::current(now, event.data));
            return;
        }
        let mut batch = std::mem::take(&mut self.state.pending);
        for e in &mut batch {
            e.timestamp = now;
        }
        out.extend(batch.iter().cloned());
        self.state.emitted = batch;
        if self.include_triggering {
            out.push(event.clone());
            self.state.emitted.push(event);
        } else {
            self.state.pending.push(event);
        }
    }

    fn take_streaming(&mut self, now: i64, event: Event<E>, out: &mut Chunk<E>) {
        if self.admit(&event) {
            out.push(event.clone());
            self.state.emitted.push(event);
            return;
        }
        if self.state.emitted.is_empty() {
            out.push(Event::expired(now, event.data.clone()));
            out.push(Event::current(now, event.data));
        } else if self.include_triggering {
            out.push(event.clone());
            self.expire_emitted(now, out);
            out.push(Event::expired(now, event.data));
        } else {
            self.expire_emitted(now, out);
            out.push(event.clone());
            self.state.emitted.push(event);
        }
    }
}

impl<E: Data, C: WindowCondition<E>> Window<E> for ExpressionBatchWindow<E, C> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        for event in input {
            if self.stream_current {
                self.take_streaming(now, event, out);
            } else {
                self.take(now, event, out);
            }
        }
    }

    fn contents(&self) -> Vec<&Event<E>> {
        if self.stream_current {
            self.state.emitted.iter().collect()
        } else {
            self.state.pending.iter().collect()
        }
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&self.state)
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.state = state::decode(bytes)?;
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Window<E>> {
        Box::new(ExpressionBatchWindow::shared(
            self.condition.clone(),
            self.include_triggering,
            self.stream_current,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{
        CountAtMost, Step, SumAtMost, at, check_round_trip, cur, drive, exp,
    };

    fn steps() -> Vec<Step<i32>> {
        (0..5).map(|i| at(1000 + 100 * i64::from(i), i)).collect()
    }

    #[test]
    fn emits_a_batch_when_the_next_event_breaks_the_condition() {
        let mut w = ExpressionBatchWindow::new(CountAtMost(2), false, false);
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                cur(1200, 0),
                cur(1200, 1),
                exp(1400, 0),
                exp(1400, 1),
                cur(1400, 2),
                cur(1400, 3),
            ]
        );
        assert_eq!(w.contents(), vec![&cur(1400, 4)]);
    }

    #[test]
    fn the_triggering_event_can_close_the_batch() {
        let mut w = ExpressionBatchWindow::new(CountAtMost(2), true, false);
        let out = drive(&mut w, &steps());
        // The aggregates keep counting the included event: the second batch closes one early.
        assert_eq!(
            out,
            vec![
                cur(1200, 0),
                cur(1200, 1),
                cur(1200, 2),
                exp(1400, 0),
                exp(1400, 1),
                exp(1400, 2),
                cur(1400, 3),
                cur(1400, 4),
            ]
        );
    }

    #[test]
    fn an_arrival_alone_breaking_the_condition_passes_through() {
        let mut w = ExpressionBatchWindow::new(SumAtMost(10), false, false);
        let out = drive(
            &mut w,
            &[at(1, ('a', 20)), at(2, ('b', 1)), at(3, ('c', 3))],
        );
        // As in Siddhi the aggregates keep 'a' after it passed through, so 'b' fails as well.
        assert_eq!(
            out,
            vec![
                exp(1, ('a', 20)),
                cur(1, ('a', 20)),
                exp(2, ('b', 1)),
                cur(2, ('b', 1)),
            ]
        );
        assert_eq!(w.contents(), vec![&cur(3, ('c', 3))]);
    }

    #[test]
    fn streaming_emits_arrivals_and_expires_in_batches() {
        let mut w = ExpressionBatchWindow::new(CountAtMost(2), false, true);
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                cur(1000, 0),
                cur(1100, 1),
                exp(1200, 0),
                exp(1200, 1),
                cur(1200, 2),
                cur(1300, 3),
                exp(1400, 2),
                exp(1400, 3),
                cur(1400, 4),
            ]
        );
        assert_eq!(w.contents(), vec![&cur(1400, 4)]);
    }

    #[test]
    fn streaming_with_the_triggering_event() {
        let mut w = ExpressionBatchWindow::new(CountAtMost(2), true, true);
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                cur(1000, 0),
                cur(1100, 1),
                cur(1200, 2),
                exp(1200, 0),
                exp(1200, 1),
                exp(1200, 2),
                cur(1300, 3),
                cur(1400, 4),
                exp(1400, 3),
                exp(1400, 4),
            ]
        );
    }

    #[test]
    fn snapshot_round_trip() {
        for (include, stream) in [(false, false), (true, false), (false, true), (true, true)] {
            let w = ExpressionBatchWindow::new(CountAtMost(2), include, stream);
            for split in 0..=steps().len() {
                check_round_trip(&w, &steps(), split);
            }
        }
    }
}
