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

    /// A batch boundary at `timestamp` (the data is not read).
    pub fn reset(timestamp: i64, data: E) -> Self {
        Event {
            timestamp,
            kind: EventKind::Reset,
            data,
        }
    }
}

/// The events processed together: one input line, one batch, one timer firing.
pub type Chunk<E> = Vec<Event<E>>;
