//! `time(T)`: the events of the last `T` ms. An event that arrived at `t` expires at `t + T`
//! (an event exactly `T` old has expired), carrying that time.

use super::{Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The sliding time window.
#[derive(Clone, Debug)]
pub struct TimeWindow<E> {
    period: i64,
    held: VecDeque<Event<E>>,
}

impl<E> TimeWindow<E> {
    /// A window of the last `period` ms.
    pub fn new(period: i64) -> Self {
        TimeWindow {
            period,
            held: VecDeque::new(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct State<E> {
    held: VecDeque<Event<E>>,
}

impl<E: Data> TimeWindow<E> {
    fn expire(&mut self, now: i64, out: &mut Chunk<E>) {
        while let Some(first) = self.held.front() {
            let due = first.timestamp.saturating_add(self.period);
            if due > now {
                break;
            }
            if let Some(old) = self.held.pop_front() {
                out.push(Event::expired(due, old.data));
            }
        }
    }
}

impl<E: Data> Window<E> for TimeWindow<E> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        self.expire(now, out);
        for event in input {
            self.held.push_back(event.clone());
            out.push(event);
        }
    }

    fn on_time(&mut self, now: i64, out: &mut Chunk<E>) {
        self.expire(now, out);
    }

    fn next_due(&self) -> Option<i64> {
        self.held
            .front()
            .map(|e| e.timestamp.saturating_add(self.period))
    }

    fn contents(&self) -> Vec<&Event<E>> {
        self.held.iter().collect()
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&State {
            held: self.held.clone(),
        })
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let s: State<E> = state::decode(bytes)?;
        self.held = s.held;
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Window<E>> {
        Box::new(TimeWindow::new(self.period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    #[test]
    fn expires_at_arrival_plus_period() {
        let mut w = TimeWindow::new(1000);
        let mut out = Vec::new();
        w.process(1000, vec![Event::current(1000, 1)], &mut out);
        w.process(1400, vec![Event::current(1400, 2)], &mut out);
        assert_eq!(w.next_due(), Some(2000));
        out.clear();
        w.on_time(2000, &mut out);
        assert_eq!(out, vec![Event::expired(2000, 1)]);
        assert_eq!(out[0].kind, EventKind::Expired);
        assert_eq!(w.next_due(), Some(2400));
    }

    #[test]
    fn snapshots_restore_mid_stream_at_every_point() {
        use crate::window::testing::{advance, at, check_round_trip};
        let w = TimeWindow::new(1000);
        let steps = vec![
            at(0, 1),
            at(400, 2),
            at(900, 3),
            advance(1500),
            at(1700, 4),
            advance(3000),
            at(3100, 5),
        ];
        for split in 0..=steps.len() {
            check_round_trip(&w, &steps, split);
        }
    }
}
