//! `timeLength(T, n)`: the events of the last `T` ms, at most `n` of them. An event expires at
//! its arrival + `T` (carrying that time), or earlier when `n` newer events push it out (then it
//! carries the time of the arrival that pushed it out, and is emitted just before that arrival).

use super::timed_queue::TimedQueue;
use super::{Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};

/// The sliding time-and-length window.
#[derive(Clone, Debug)]
pub struct TimeLengthWindow<E> {
    length: usize,
    queue: TimedQueue<E>,
}

impl<E> TimeLengthWindow<E> {
    /// A window of the last `period` ms, holding at most `length` events.
    pub fn new(period: i64, length: usize) -> Self {
        TimeLengthWindow {
            length,
            queue: TimedQueue::new(period),
        }
    }
}

impl<E: Data> TimeLengthWindow<E> {
    fn expire(&mut self, now: i64, out: &mut Chunk<E>) {
        while let Some((due, old)) = self.queue.pop_due(now) {
            out.push(Event::expired(due, old.data));
        }
    }
}

impl<E: Data> Window<E> for TimeLengthWindow<E> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        for event in input {
            self.expire(now, out);
            let held = self.queue.held_mut();
            if held.len() >= self.length
                && let Some(old) = held.pop_front()
            {
                out.push(Event::expired(now, old.data));
            }
            if self.length > 0 {
                held.push_back(event.clone());
            }
            out.push(event);
        }
    }

    fn on_time(&mut self, now: i64, out: &mut Chunk<E>) {
        self.expire(now, out);
    }

    fn next_due(&self) -> Option<i64> {
        self.queue.next_due()
    }

    fn contents(&self) -> Vec<&Event<E>> {
        self.queue.held().iter().collect()
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(self.queue.held())
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        *self.queue.held_mut() = state::decode(bytes)?;
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Window<E>> {
        Box::new(TimeLengthWindow::new(self.queue.period(), self.length))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{advance, at, check_round_trip, cur, drive, exp};

    fn steps() -> Vec<crate::window::testing::Step<i32>> {
        vec![
            at(1000, 1),
            at(1500, 2),
            at(2000, 4),
            at(3600, 8),
            at(6000, 16),
            advance(9000),
        ]
    }

    #[test]
    fn expires_by_length_then_by_time() {
        let mut w = TimeLengthWindow::new(2000, 2);
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                cur(1000, 1),
                cur(1500, 2),
                exp(2000, 1),
                cur(2000, 4),
                exp(3500, 2),
                cur(3600, 8),
                exp(4000, 4),
                exp(5600, 8),
                cur(6000, 16),
                exp(8000, 16),
            ]
        );
        assert_eq!(w.next_due(), None);
    }

    #[test]
    fn zero_length_holds_nothing() {
        let mut w = TimeLengthWindow::new(1000, 0);
        let out = drive(&mut w, &[at(1, 'a'), at(2, 'b')]);
        assert_eq!(out, vec![cur(1, 'a'), cur(2, 'b')]);
        assert!(w.contents().is_empty());
    }

    #[test]
    fn several_events_in_one_chunk() {
        let mut w = TimeLengthWindow::new(1000, 2);
        let mut out = Vec::new();
        w.process(5, vec![cur(5, 'a'), cur(5, 'b'), cur(5, 'c')], &mut out);
        assert_eq!(
            out,
            vec![cur(5, 'a'), cur(5, 'b'), exp(5, 'a'), cur(5, 'c')]
        );
    }

    #[test]
    fn snapshot_round_trip() {
        let w = TimeLengthWindow::new(2000, 2);
        for split in 0..=steps().len() {
            check_round_trip(&w, &steps(), split);
        }
    }
}
