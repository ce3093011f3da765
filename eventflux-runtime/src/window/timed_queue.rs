//! The held events of the windows whose events fall due a fixed time after they arrived
//! (`time`, `timeLength`, `delay`): a FIFO in arrival order, so the oldest is always due first.

use crate::event::Event;
use std::collections::VecDeque;

/// Events in arrival order, each due `period` ms after its own timestamp.
#[derive(Clone, Debug)]
pub(crate) struct TimedQueue<E> {
    period: i64,
    held: VecDeque<Event<E>>,
}

impl<E> TimedQueue<E> {
    /// An empty queue whose events fall due `period` ms after arriving.
    pub(crate) fn new(period: i64) -> Self {
        TimedQueue {
            period,
            held: VecDeque::new(),
        }
    }

    /// The period events are held for.
    pub(crate) fn period(&self) -> i64 {
        self.period
    }

    /// When the oldest event falls due, if any is held.
    pub(crate) fn next_due(&self) -> Option<i64> {
        self.held
            .front()
            .map(|e| e.timestamp.saturating_add(self.period))
    }

    /// Removes the oldest event if it is due at `now`, with the time it fell due.
    pub(crate) fn pop_due(&mut self, now: i64) -> Option<(i64, Event<E>)> {
        let due = self.next_due().filter(|due| *due <= now)?;
        self.held.pop_front().map(|event| (due, event))
    }

    /// The held events, oldest first (what snapshots store).
    pub(crate) fn held(&self) -> &VecDeque<Event<E>> {
        &self.held
    }

    /// The held events, to add, evict or replace them.
    pub(crate) fn held_mut(&mut self) -> &mut VecDeque<Event<E>> {
        &mut self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_only_events_due_by_now_with_their_due_time() {
        let mut q = TimedQueue::new(1000);
        q.held_mut().push_back(Event::current(100, 'a'));
        q.held_mut().push_back(Event::current(300, 'b'));
        assert_eq!(q.next_due(), Some(1100));
        assert!(q.pop_due(1099).is_none());
        let (due, event) = q.pop_due(1200).expect("a is due");
        assert_eq!((due, event.data), (1100, 'a'));
        assert!(q.pop_due(1200).is_none());
        assert_eq!(q.next_due(), Some(1300));
    }

    #[test]
    fn due_time_saturates_at_the_end_of_time() {
        let mut q = TimedQueue::new(1000);
        q.held_mut().push_back(Event::current(i64::MAX - 10, 'a'));
        assert_eq!(q.next_due(), Some(i64::MAX));
        assert!(q.pop_due(i64::MAX).is_some());
    }
}
