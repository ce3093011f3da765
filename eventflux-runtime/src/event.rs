//! Events as they move through a pipeline: a timestamp, a kind, and the data (a generated
//! struct on the compiled path, a [`crate::interpreter::expr::Row`] in the interpreter). Events
//! move in chunks.

use serde::{Deserialize, Serialize};

/// What an event means to the operator that receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// An arrival.
    Current,
    /// A departure from a window.
    Expired,
    /// A batch boundary: aggregates start again.
    Reset,
}

/// One event: its time in milliseconds, its kind and its data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event<E> {
    /// Event time (for an expired event, the time it expired).
    pub timestamp: i64,
    /// Arrival, departure or batch boundary.
    pub kind: EventKind,
    /// The attributes.
    pub data: E,
}

impl<E> Event<E> {
    /// An arriving event.
    pub fn current(timestamp: i64, data: E) -> Self {
        Event {
            timestamp,
            kind: EventKind::Current,
            data,
        }
    }

    /// The same data as an expired event at `timestamp`.
    pub fn expired(timestamp: i64, data: E) -> Self {
        Event {
            timestamp,
            kind: EventKind::Expired,
            data,
        }
    }

    /// Makes this event the expired event of its data at `timestamp` (a window's departing
    /// event, in place).
    pub fn expire_at(&mut self, timestamp: i64) {
        self.timestamp = timestamp;
        self.kind = EventKind::Expired;
    }

    /// A batch boundary at `timestamp` (the data is not read).
    pub fn reset(timestamp: i64, data: E) -> Self {
        Event {
            timestamp,
            kind: EventKind::Reset,
            data,
        }
    }
}

/// `time + delay` as a timer's due time: `None` when it would reach the end of time
/// (`i64::MAX`), so that a timer re-armed there stops instead of firing forever. Event times are
/// the user's and may be anywhere.
pub fn due_after(time: i64, delay: i64) -> Option<i64> {
    time.checked_add(delay).filter(|t| *t < i64::MAX)
}

/// The first of the times `next`, `next + period`, `next + 2 period`, ... after `horizon`, or
/// `None` past the end of time. Idle periodic timers jump there in one step.
pub fn first_due_after(next: i64, period: i64, horizon: i64) -> Option<i64> {
    if next > horizon {
        return Some(next);
    }
    let period = period.max(1);
    let periods = (horizon - next) / period + 1;
    periods.checked_mul(period).and_then(|d| due_after(next, d))
}

/// The events processed together: one input line, one batch, one timer firing.
pub type Chunk<E> = Vec<Event<E>>;
