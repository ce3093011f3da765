//! Aggregators: values kept over the events of a window or group, updated as events arrive
//! (`add`), leave (`remove`) and at batch boundaries (`reset`).
//!
//! Each aggregator is written once over Rust types (the compiled path uses these directly);
//! [`DynAggregator`] wraps them over [`crate::value::Value`] for the interpreter.
//!
//! Behaviour follows Siddhi's attribute aggregators: `sum`, `avg`, `min`, `max`, `stdDev` and
//! the `*Forever` variants skip nulls and are null when nothing non-null is held; `count` counts
//! rows, nulls included; `distinctCount` counts null as one more distinct value; `and` and `or`
//! are false when empty.

mod avg;
mod count;
mod distinct_count;
mod dynamic;
mod forever;
mod key;
mod logical;
mod min_max;
mod std_dev;
mod sum;
mod union_set;

pub use avg::Avg;
pub use count::Count;
pub use distinct_count::DistinctCount;
pub use dynamic::{
    DynAggregator, MaxByType, MaxForeverByType, MinByType, MinForeverByType, PerType,
};
pub use forever::{MaxForever, MinForever};
pub use key::{Keyed, TotalF32, TotalF64};
pub use logical::{And, Or};
pub use min_max::{Max, Min};
pub use std_dev::StdDev;
pub use sum::{SumDouble, SumLong};
pub use union_set::UnionSet;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// An aggregate kept incrementally.
pub trait Aggregator: Clone + Send + Sync + Serialize + DeserializeOwned + 'static {
    /// What one event contributes (`Option` where nulls are skipped).
    type Input;
    /// The aggregate's value (`Option` where an empty aggregate is null).
    type Output;
    /// An event arrives.
    fn add(&mut self, value: Self::Input);
    /// An event leaves (it was added before).
    fn remove(&mut self, value: Self::Input);
    /// A batch ends: start again from empty.
    fn reset(&mut self);
    /// The current value.
    fn value(&self) -> Self::Output;
}

/// `aggregator` encoded and decoded again through the snapshot format.
#[cfg(test)]
pub(crate) fn round_trip<A: Aggregator>(aggregator: &A) -> A {
    let bytes = crate::state::encode(aggregator).expect("encodes");
    crate::state::decode(&bytes).expect("decodes")
}
