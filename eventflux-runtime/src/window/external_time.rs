//! `externalTime(ts, T)`: a sliding window over the last `T` ms of a long timestamp attribute.
//! Only arrivals move this window's time: when an event with timestamp attribute `ts` arrives,
//! every held event whose own attribute is `<= ts - T` expires first (carrying `ts`, the window's
//! time at which it expired), then the arrival is emitted. The app clock plays no part and there
//! are no timers. As in Siddhi, the arrival's own `ts` is the window's time even when it is
//! smaller than an earlier one, and expiry stops at the first held event that is still in time.

use super::{Accessor, Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::marker::PhantomData;

/// The sliding external-time window.
pub struct ExternalTimeWindow<E, A> {
    timestamp: A,
    period: i64,
    held: VecDeque<Stamped<E>>,
    _data: PhantomData<fn(&E)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Stamped<E> {
    ts: i64,
    event: Event<E>,
}

impl<E, A> ExternalTimeWindow<E, A> {
    /// A window of the last `period` ms by the attribute `timestamp` reads.
    pub fn new(timestamp: A, period: i64) -> Self {
        ExternalTimeWindow {
            timestamp,
            period,
            held: VecDeque::new(),
            _data: PhantomData,
        }
    }
}

impl<E: Data, A: Accessor<E, i64>> Window<E> for ExternalTimeWindow<E, A> {
    fn process(&mut self, _now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        for event in input {
            let ts = self.timestamp.get(&event.data);
            while let Some(first) = self.held.front() {
                if first.ts.saturating_add(self.period) > ts {
                    break;
                }
                if let Some(old) = self.held.pop_front() {
                    out.push(Event::expired(ts, old.event.data));
                }
            }
            self.held.push_back(Stamped {
                ts,
                event: event.clone(),
            });
            out.push(event);
        }
    }

    fn contents(&self) -> Vec<&Event<E>> {
        self.held.iter().map(|s| &s.event).collect()
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&self.held)
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.held = state::decode(bytes)?;
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Window<E>> {
        Box::new(ExternalTimeWindow::new(self.timestamp.clone(), self.period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{Step, advance, at, check_round_trip, cur, drive, exp};

    type Row = (i64, i32);

    fn window() -> ExternalTimeWindow<Row, fn(&Row) -> i64> {
        ExternalTimeWindow::new(|r: &Row| r.0, 1000)
    }

    fn steps() -> Vec<Step<Row>> {
        vec![
            at(1000, (10000, 1)),
            at(1100, (10500, 2)),
            at(1200, (11000, 4)),
            advance(60000),
            at(60000, (11400, 8)),
            at(60100, (13000, 16)),
        ]
    }

    #[test]
    fn slides_on_the_attribute_not_on_the_clock() {
        let mut w = window();
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                cur(1000, (10000, 1)),
                cur(1100, (10500, 2)),
                exp(11000, (10000, 1)),
                cur(1200, (11000, 4)),
                cur(60000, (11400, 8)),
                exp(13000, (10500, 2)),
                exp(13000, (11000, 4)),
                exp(13000, (11400, 8)),
                cur(60100, (13000, 16)),
            ]
        );
        assert_eq!(w.next_due(), None);
    }

    #[test]
    fn an_older_timestamp_expires_nothing() {
        let mut w = window();
        let out = drive(
            &mut w,
            &[at(1, (5000, 1)), at(2, (3000, 2)), at(3, (6500, 3))],
        );
        assert_eq!(
            out,
            vec![
                cur(1, (5000, 1)),
                cur(2, (3000, 2)),
                exp(6500, (5000, 1)),
                exp(6500, (3000, 2)),
                cur(3, (6500, 3)),
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
