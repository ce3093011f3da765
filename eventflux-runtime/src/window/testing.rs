//! Test helpers: drive a window the way the app does and check snapshot round trips.

use super::{Data, Window};
use crate::event::Event;

/// One input line.
pub(crate) enum Step<E> {
    /// A chunk of events arriving at a time (each event carries that time).
    Events(i64, Vec<E>),
    /// The clock moves with no event.
    Advance(i64),
}

/// A chunk of one event.
pub(crate) fn at<E>(t: i64, data: E) -> Step<E> {
    Step::Events(t, vec![data])
}

/// Moves the clock.
pub(crate) fn advance<E>(t: i64) -> Step<E> {
    Step::Advance(t)
}

/// Feeds `steps` to `w` as the app does: timers due at or before a step's time fire first, one
/// due time at a time, then the step's events are processed. Returns everything emitted.
pub(crate) fn drive<E: Data>(w: &mut dyn Window<E>, steps: &[Step<E>]) -> Vec<Event<E>> {
    let mut out = Vec::new();
    for step in steps {
        let now = match step {
            Step::Events(t, _) | Step::Advance(t) => *t,
        };
        let mut firings = 0;
        while let Some(due) = w.next_due().filter(|due| *due <= now) {
            w.on_time(due, &mut out);
            firings += 1;
            assert!(firings < 10_000, "timer does not advance");
        }
        if let Step::Events(t, data) = step {
            let chunk = data.iter().map(|d| Event::current(*t, d.clone())).collect();
            w.process(*t, chunk, &mut out);
        }
    }
    out
}

/// Runs `steps` on a fresh copy of `w` uninterrupted, and again with a snapshot taken after
/// `split` steps and restored into another fresh copy: output, contents and next due time must
/// agree.
pub(crate) fn check_round_trip<E: Data + PartialEq>(
    w: &dyn Window<E>,
    steps: &[Step<E>],
    split: usize,
) {
    let mut whole = w.fresh();
    let expected = drive(whole.as_mut(), steps);

    let mut first = w.fresh();
    let mut out = drive(first.as_mut(), &steps[..split]);
    let bytes = first.snapshot().expect("snapshot");
    let mut second = w.fresh();
    second.restore(&bytes).expect("restore");
    out.extend(drive(second.as_mut(), &steps[split..]));

    assert_eq!(out, expected);
    let held: Vec<Event<E>> = second.contents().into_iter().cloned().collect();
    let held_whole: Vec<Event<E>> = whole.contents().into_iter().cloned().collect();
    assert_eq!(held, held_whole);
    assert_eq!(second.next_due(), whole.next_due());
}

/// A current event.
pub(crate) fn cur<E>(t: i64, data: E) -> Event<E> {
    Event::current(t, data)
}

/// An expired event.
pub(crate) fn exp<E>(t: i64, data: E) -> Event<E> {
    Event::expired(t, data)
}

/// A reset event.
pub(crate) fn rst<E>(t: i64, data: E) -> Event<E> {
    Event::reset(t, data)
}

/// A condition `count() <= n`.
pub(crate) struct CountAtMost(pub(crate) usize);

impl<E> super::WindowCondition<E> for CountAtMost {
    type State = usize;

    fn add(&self, state: &mut usize, _event: &Event<E>) {
        *state += 1;
    }

    fn remove(&self, state: &mut usize, _event: &Event<E>) {
        *state = state.saturating_sub(1);
    }

    fn holds(&self, state: &usize, _newest: &Event<E>) -> bool {
        *state <= self.0
    }
}

/// A condition `sum(v) <= n` over events `(id, v)`.
pub(crate) struct SumAtMost(pub(crate) i64);

impl super::WindowCondition<(char, i64)> for SumAtMost {
    type State = i64;

    fn add(&self, state: &mut i64, event: &Event<(char, i64)>) {
        *state += event.data.1;
    }

    fn remove(&self, state: &mut i64, event: &Event<(char, i64)>) {
        *state -= event.data.1;
    }

    fn holds(&self, state: &i64, _newest: &Event<(char, i64)>) -> bool {
        *state <= self.0
    }
}

/// A condition `eventTimestamp(last) - eventTimestamp(first) < n`.
pub(crate) struct SpanBelow(pub(crate) i64);

impl<E> super::WindowCondition<E> for SpanBelow {
    type State = ();

    fn add(&self, _state: &mut (), _event: &Event<E>) {}

    fn remove(&self, _state: &mut (), _event: &Event<E>) {}

    fn holds(&self, _state: &(), _newest: &Event<E>) -> bool {
        true
    }

    fn holds_between(&self, _state: &(), first: &Event<E>, newest: &Event<E>) -> bool {
        newest.timestamp - first.timestamp < self.0
    }
}
