//! `length(n)`: the last `n` events. When full, an arrival first expires the oldest event.
//! `length(0)` holds nothing: each arrival comes out current, then expired at once, then a
//! `Reset` (as Siddhi's window does).

use super::{Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use std::collections::VecDeque;

/// The sliding length window.
#[derive(Clone, Debug)]
pub struct LengthWindow<E> {
    length: usize,
    held: VecDeque<Event<E>>,
}

impl<E> LengthWindow<E> {
    /// A window of the last `length` events.
    pub fn new(length: usize) -> Self {
        LengthWindow {
            length,
            held: VecDeque::with_capacity(length),
        }
    }
}

/// What a window holding nothing (`length(0)`, `lengthBatch(0)`) emits for an arrival: the
/// event, its expired copy at `now`, then a `Reset`.
pub(super) fn pass_through<E: Clone>(now: i64, event: Event<E>, mut emit: impl FnMut(Event<E>)) {
    let expired = Event::expired(now, event.data.clone());
    let reset = Event::reset(now, event.data.clone());
    emit(event);
    emit(expired);
    emit(reset);
}

impl<E: Data> Window<E> for LengthWindow<E> {
    fn process(&mut self, now: i64, mut input: Chunk<E>, out: &mut Chunk<E>) {
        self.process_from(now, &mut input, out)
    }

    fn process_from(&mut self, now: i64, input: &mut Chunk<E>, out: &mut Chunk<E>) {
        for event in input.drain(..) {
            if self.length == 0 {
                pass_through(now, event, |e| out.push(e));
                continue;
            }
            if self.held.len() >= self.length
                && let Some(old) = self.held.pop_front()
            {
                out.push(Event::expired(now, old.data));
            }
            if self.length > 0 {
                self.held.push_back(event.clone());
            }
            out.push(event);
        }
    }

    #[inline]
    fn process_each<F: FnMut(&Event<E>)>(&mut self, now: i64, event: Event<E>, mut emit: F) {
        if self.length == 0 {
            return pass_through(now, event, |e| emit(&e));
        }
        if self.held.len() >= self.length
            && let Some(mut old) = self.held.pop_front()
        {
            old.expire_at(now);
            emit(&old);
        }
        self.held.push_back(event);
        if let Some(held) = self.held.back() {
            emit(held);
        }
    }

    fn contents(&self) -> Vec<&Event<E>> {
        self.held.iter().collect()
    }

    fn holds_nothing(&self) -> bool {
        self.held.is_empty()
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&self.held)
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.held = state::decode(bytes)?;
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Window<E>> {
        Box::new(LengthWindow::new(self.length))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    #[test]
    fn expires_the_oldest_before_the_arrival() {
        let mut w = LengthWindow::new(2);
        let mut out = Vec::new();
        for (t, v) in [(1, 'a'), (2, 'b'), (3, 'c')] {
            w.process(t, vec![Event::current(t, v)], &mut out);
        }
        let seen: Vec<(EventKind, char)> = out.iter().map(|e| (e.kind, e.data)).collect();
        assert_eq!(
            seen,
            vec![
                (EventKind::Current, 'a'),
                (EventKind::Current, 'b'),
                (EventKind::Expired, 'a'),
                (EventKind::Current, 'c')
            ]
        );
        let bytes = w.snapshot().unwrap();
        let mut restored: LengthWindow<char> = LengthWindow::new(2);
        restored.restore(&bytes).unwrap();
        assert_eq!(restored.contents().len(), 2);
    }

    #[test]
    fn one_event_at_a_time_emits_what_a_chunk_of_one_does() {
        let (mut a, mut b) = (LengthWindow::new(2), LengthWindow::new(2));
        for (t, v) in [(1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')] {
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
        use crate::window::testing::{at, check_round_trip};
        let w = LengthWindow::new(3);
        let steps = vec![
            at(1, 'a'),
            at(2, 'b'),
            at(3, 'c'),
            at(4, 'd'),
            at(5, 'e'),
            at(6, 'f'),
        ];
        for split in 0..=steps.len() {
            check_round_trip(&w, &steps, split);
        }
    }
}
