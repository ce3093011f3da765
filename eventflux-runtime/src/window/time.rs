//! `time(T)`: the events of the last `T` ms. An event that arrived at `t` expires at `t + T`
//! (an event exactly `T` old has expired), carrying that time.

use super::timed_queue::TimedQueue;
use super::{Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};

/// The sliding time window.
#[derive(Clone, Debug)]
pub struct TimeWindow<E> {
    queue: TimedQueue<E>,
}

impl<E> TimeWindow<E> {
    /// A window of the last `period` ms.
    pub fn new(period: i64) -> Self {
        TimeWindow {
            queue: TimedQueue::new(period),
        }
    }
}

impl<E: Data> TimeWindow<E> {
    fn expire(&mut self, now: i64, out: &mut Chunk<E>) {
        while let Some((due, old)) = self.queue.pop_due(now) {
            out.push(Event::expired(due, old.data));
        }
    }
}

impl<E: Data> Window<E> for TimeWindow<E> {
    fn process(&mut self, now: i64, mut input: Chunk<E>, out: &mut Chunk<E>) {
        self.process_from(now, &mut input, out)
    }

    fn process_from(&mut self, now: i64, input: &mut Chunk<E>, out: &mut Chunk<E>) {
        self.expire(now, out);
        for event in input.drain(..) {
            self.queue.held_mut().push_back(event.clone());
            out.push(event);
        }
    }

    #[inline]
    fn process_each<F: FnMut(&Event<E>)>(&mut self, now: i64, event: Event<E>, mut emit: F) {
        while let Some((due, mut old)) = self.queue.pop_due(now) {
            old.expire_at(due);
            emit(&old);
        }
        let held = self.queue.held_mut();
        held.push_back(event);
        if let Some(held) = held.back() {
            emit(held);
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

    fn holds_nothing(&self) -> bool {
        self.queue.held().is_empty()
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(self.queue.held())
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        *self.queue.held_mut() = state::decode(bytes)?;
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Window<E>> {
        Box::new(TimeWindow::new(self.queue.period()))
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
    fn one_event_at_a_time_emits_what_a_chunk_of_one_does() {
        let (mut a, mut b) = (TimeWindow::new(1000), TimeWindow::new(1000));
        for (t, v) in [(0, 1), (400, 2), (1000, 3), (1400, 4), (3000, 5)] {
            let mut chunk = Vec::new();
            a.process(t, vec![Event::current(t, v)], &mut chunk);
            let mut each = Vec::new();
            b.process_each(t, Event::current(t, v), |e| each.push(e.clone()));
            assert_eq!(chunk, each);
        }
        assert_eq!(a.contents(), b.contents());
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
