//! Windows: the events a query currently holds, and what enters and leaves them.
//!
//! Every window implements [`Window`] once, generic over the event data `E` and over how it reads
//! the attributes it needs ([`Accessor`]): the compiled path instantiates it with generated
//! structs and field-reading closures, the interpreter with rows and position-reading closures.
//!
//! Contract (the shared conformance semantics):
//! - [`Window::process`] receives a chunk of current events that arrived at `now` and appends
//!   what the window emits: expired events (timestamped with the time they expired), `Reset`
//!   events at batch boundaries, and current events.
//! - [`Window::on_time`] fires the timers due at or before `now`. The app calls it once per due
//!   time, in order, before it processes an event with a later timestamp; [`Window::next_due`]
//!   says when the next one is.
//! - [`Window::contents`] lists the events held (joins and `output snapshot` read it).
//! - State is serde data: [`Window::snapshot`] and [`Window::restore`] round-trip it exactly;
//!   [`Window::fresh`] makes an empty copy (a partition key's own window).

mod batch;
mod cron;
mod delay;
mod expression;
mod expression_batch;
mod external_time;
mod external_time_batch;
mod first_unique;
mod frequent;
mod length;
mod length_batch;
mod lossy_frequent;
mod session;
mod sort;
mod time;
mod time_batch;
mod time_length;
mod timed_queue;
mod unique;

#[cfg(test)]
mod testing;

pub use batch::BatchWindow;
pub use cron::{CronError, CronWindow};
pub use delay::DelayWindow;
pub use expression::ExpressionWindow;
pub use expression_batch::ExpressionBatchWindow;
pub use external_time::ExternalTimeWindow;
pub use external_time_batch::{BatchTimeSetter, ExternalTimeBatchWindow};
pub use first_unique::FirstUniqueWindow;
pub use frequent::FrequentWindow;
pub use length::LengthWindow;
pub use length_batch::LengthBatchWindow;
pub use lossy_frequent::LossyFrequentWindow;
pub use session::SessionWindow;
pub use sort::SortWindow;
pub use time::TimeWindow;
pub use time_batch::TimeBatchWindow;
pub use time_length::TimeLengthWindow;
pub use unique::UniqueWindow;

use crate::event::{Chunk, Event};
use crate::state::StateError;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What event data must be to flow through operators.
pub trait Data:
    Clone + std::fmt::Debug + Send + Sync + Serialize + DeserializeOwned + 'static
{
}

impl<T: Clone + std::fmt::Debug + Send + Sync + Serialize + DeserializeOwned + 'static> Data for T {}

/// Reads one value out of event data (an attribute, a key, a timestamp).
pub trait Accessor<E, T>: Clone + Send + Sync + 'static {
    /// The value in `e`.
    fn get(&self, e: &E) -> T;
}

impl<E, T, F: Fn(&E) -> T + Clone + Send + Sync + 'static> Accessor<E, T> for F {
    fn get(&self, e: &E) -> T {
        self(e)
    }
}

/// A window over events of data `E`.
pub trait Window<E: Data>: Send {
    /// Takes the current events that arrived at `now`; appends what the window emits to `out`.
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>);
    /// As [`Window::process`], taking the events out of `input` and leaving it empty with its
    /// capacity, so that a caller processing one chunk after another reuses its buffers.
    fn process_from(&mut self, now: i64, input: &mut Chunk<E>, out: &mut Chunk<E>) {
        self.process(now, std::mem::take(input), out)
    }
    /// As [`Window::process`] for a chunk of one event, lending each event the window emits to
    /// `emit` in order instead of appending it to a chunk. `Length` and `Time` windows do it
    /// without a chunk and lend the event they hold (no clone of the event); by default it goes
    /// through [`Window::process`].
    fn process_each<F: FnMut(&Event<E>)>(&mut self, now: i64, event: Event<E>, emit: F)
    where
        Self: Sized,
    {
        let mut out = Vec::new();
        self.process(now, vec![event], &mut out);
        out.iter().for_each(emit);
    }
    /// Fires the timers due at or before `now`, appending what the window emits to `out`
    /// (windows without timers keep this default).
    fn on_time(&mut self, now: i64, out: &mut Chunk<E>) {
        let _ = (now, out);
    }
    /// When the window next needs [`Window::on_time`] (`None`: it has no timers).
    fn next_due(&self) -> Option<i64> {
        None
    }
    /// Moves an idle periodic timer past `horizon` in one step, when firing it in between would
    /// emit nothing (the app calls this after firing, with the earlier of the target time and
    /// the next other timer).
    fn skip_idle(&mut self, horizon: i64) {
        let _ = horizon;
    }
    /// The events held, oldest first.
    fn contents(&self) -> Vec<&Event<E>>;
    /// Whether the window holds no event (what [`Window::contents`] tells, without a list).
    fn holds_nothing(&self) -> bool {
        self.contents().is_empty()
    }
    /// Whether a join finds matches in [`Window::contents`] rather than among the events the
    /// window has emitted and not expired: true for windows that hold events they have not
    /// emitted, drop events without expiring them, or keep them in an order of their own (as
    /// Siddhi's `find` reads such a window's own holder).
    fn found_in_contents(&self) -> bool {
        false
    }
    /// The window's state as bytes.
    fn snapshot(&self) -> Result<Vec<u8>, StateError>;
    /// Replaces the window's state with a snapshot's.
    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError>;
    /// An empty window with the same settings.
    fn fresh(&self) -> Box<dyn Window<E>>;
}

/// A boxed window is a window (the interpreter holds its windows boxed, generic operators take
/// any [`Window`]); every method forwards to the boxed one.
impl<E: Data> Window<E> for Box<dyn Window<E>> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        (**self).process(now, input, out)
    }
    fn process_from(&mut self, now: i64, input: &mut Chunk<E>, out: &mut Chunk<E>) {
        (**self).process_from(now, input, out)
    }
    fn on_time(&mut self, now: i64, out: &mut Chunk<E>) {
        (**self).on_time(now, out)
    }
    fn next_due(&self) -> Option<i64> {
        (**self).next_due()
    }
    fn skip_idle(&mut self, horizon: i64) {
        (**self).skip_idle(horizon)
    }
    fn contents(&self) -> Vec<&Event<E>> {
        (**self).contents()
    }
    fn holds_nothing(&self) -> bool {
        (**self).holds_nothing()
    }
    fn found_in_contents(&self) -> bool {
        (**self).found_in_contents()
    }
    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        (**self).snapshot()
    }
    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        (**self).restore(bytes)
    }
    fn fresh(&self) -> Box<dyn Window<E>> {
        (**self).fresh()
    }
}

/// The condition of an `expression` or `expressionBatch` window, evaluated over the events the
/// window holds. Aggregates in the condition (`count()`, `sum(v)`, ...) live in [`Self::State`]:
/// the window adds each event it takes in and removes each event it lets go, and resets the state
/// (to its default) where Siddhi resets the condition's aggregates.
pub trait WindowCondition<E>: Send + Sync + 'static {
    /// The condition's aggregate state.
    type State: Data + Default;
    /// Takes `event` into the aggregates.
    fn add(&self, state: &mut Self::State, event: &Event<E>);
    /// Takes `event` out of the aggregates.
    fn remove(&self, state: &mut Self::State, event: &Event<E>);
    /// Whether the condition holds, `newest` being the event that arrived last (`last`).
    fn holds(&self, state: &Self::State, newest: &Event<E>) -> bool;
    /// Whether the condition holds with `first` the oldest event held and `newest` the latest;
    /// conditions that read `first.x` override this. By default [`WindowCondition::holds`].
    fn holds_between(&self, state: &Self::State, first: &Event<E>, newest: &Event<E>) -> bool {
        let _ = first;
        self.holds(state, newest)
    }
}
