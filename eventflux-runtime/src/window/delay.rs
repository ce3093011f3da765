//! `delay(T)`: holds each event for `T` ms, then releases it as a current event carrying its
//! release time (arrival + `T`). Nothing is emitted on arrival and nothing ever expires; the
//! window's contents are the events still held.

use super::timed_queue::TimedQueue;
use super::{Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};

/// The delay window.
#[derive(Clone, Debug)]
pub struct DelayWindow<E> {
    queue: TimedQueue<E>,
}

impl<E> DelayWindow<E> {
    /// A window releasing events `delay` ms after they arrive.
    pub fn new(delay: i64) -> Self {
        DelayWindow {
            queue: TimedQueue::new(delay),
        }
    }
}

impl<E: Data> DelayWindow<E> {
    fn release(&mut self, now: i64, out: &mut Chunk<E>) {
        while let Some((due, event)) = self.queue.pop_due(now) {
            out.push(Event::current(due, event.data));
        }
    }
}

impl<E: Data> Window<E> for DelayWindow<E> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        self.release(now, out);
        self.queue.held_mut().extend(input);
    }

    fn on_time(&mut self, now: i64, out: &mut Chunk<E>) {
        self.release(now, out);
    }

    fn next_due(&self) -> Option<i64> {
        self.queue.next_due()
    }

    fn found_in_contents(&self) -> bool {
        true
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
        Box::new(DelayWindow::new(self.queue.period()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{Step, advance, at, check_round_trip, cur, drive};

    fn steps() -> Vec<Step<char>> {
        vec![
            at(1000, 'a'),
            at(1500, 'b'),
            advance(2000),
            at(2700, 'c'),
            advance(3000),
        ]
    }

    #[test]
    fn releases_each_event_after_the_delay() {
        let mut w = DelayWindow::new(1000);
        let out = drive(&mut w, &steps());
        assert_eq!(out, vec![cur(2000, 'a'), cur(2500, 'b')]);
        assert_eq!(w.contents(), vec![&cur(2700, 'c')]);
        assert_eq!(w.next_due(), Some(3700));
    }

    #[test]
    fn an_arrival_releases_what_is_due_first() {
        let mut w = DelayWindow::new(1000);
        let mut out = Vec::new();
        w.process(1000, vec![cur(1000, 'a')], &mut out);
        w.process(2000, vec![cur(2000, 'b')], &mut out);
        assert_eq!(out, vec![cur(2000, 'a')]);
    }

    #[test]
    fn snapshot_round_trip() {
        let w = DelayWindow::new(1000);
        for split in 0..=steps().len() {
            check_round_trip(&w, &steps(), split);
        }
    }
}
