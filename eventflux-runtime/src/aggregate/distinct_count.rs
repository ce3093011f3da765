//! `distinctCount(x)`: how many distinct values are held, as a long.
//!
//! As in Siddhi (whose map accepts a null key), null counts as one more distinct value. A value
//! leaves the count when its last occurrence leaves.

use super::Aggregator;
use super::key::{Keyed, Multiset};
use serde::{Deserialize, Serialize};

/// `distinctCount`: the number of distinct values (null included) held.
///
/// For [`crate::value::Value`] pass null as `None`, not as `Some(Value::Null)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct DistinctCount<T: Keyed> {
    held: Multiset<Option<T::Key>>,
}

impl<T: Keyed> DistinctCount<T> {
    /// A count of nothing (0).
    pub fn new() -> Self {
        DistinctCount {
            held: Multiset::default(),
        }
    }
}

impl<T: Keyed> Default for DistinctCount<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Keyed> Aggregator for DistinctCount<T> {
    type Input = Option<T>;
    type Output = i64;

    fn add(&mut self, value: Option<T>) {
        self.held.add(value.as_ref().map(T::to_key));
    }

    fn remove(&mut self, value: Option<T>) {
        self.held.remove(&value.as_ref().map(T::to_key));
    }

    fn reset(&mut self) {
        self.held.clear();
    }

    fn value(&self) -> i64 {
        i64::try_from(self.held.distinct()).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::round_trip;
    use std::sync::Arc;

    #[test]
    fn sliding_distinct_pages() {
        let mut d = DistinctCount::<Arc<str>>::new();
        let input = ["P1", "P1", "P2", "P3", "P1", "P3"];
        let mut seen = Vec::new();
        for (i, page) in input.iter().enumerate() {
            if i >= 3 {
                d.remove(Some(Arc::from(input[i - 3])));
            }
            d.add(Some(Arc::from(*page)));
            seen.push(d.value());
        }
        assert_eq!(seen, [1, 1, 2, 3, 3, 2]);
    }

    #[test]
    fn null_is_a_distinct_value() {
        let mut d = DistinctCount::<i32>::new();
        assert_eq!(d.value(), 0);
        d.add(None);
        assert_eq!(d.value(), 1);
        d.add(Some(1));
        d.add(None);
        assert_eq!(d.value(), 2);
        d.remove(None);
        assert_eq!(d.value(), 2);
        d.remove(None);
        assert_eq!(d.value(), 1);
        d.remove(Some(5));
        assert_eq!(d.value(), 1);
        d.reset();
        assert_eq!(d.value(), 0);
    }

    #[test]
    fn doubles_are_distinct_by_bits() {
        let mut d = DistinctCount::<f64>::new();
        for v in [1.0, 1.0, 0.0, -0.0, f64::NAN, f64::NAN] {
            d.add(Some(v));
        }
        assert_eq!(d.value(), 4);
    }

    #[test]
    fn survives_a_snapshot() {
        let mut d = DistinctCount::<String>::new();
        d.add(Some("a".into()));
        d.add(Some("a".into()));
        d.add(Some("b".into()));
        let mut back = round_trip(&d);
        assert_eq!(back, d);
        back.remove(Some("a".into()));
        assert_eq!(back.value(), 2);
        back.remove(Some("a".into()));
        assert_eq!(back.value(), 1);
    }
}
