//! `avg(x)`: the mean of the non-null values held, as a double; null when none is held.
//!
//! As in Siddhi, values are summed in double (ints, longs and floats widened by the caller) and
//! divided by how many are held; the running total is not cleared when the last value leaves,
//! only by [`Aggregator::reset`].

use super::{Aggregator, SumDouble};
use serde::{Deserialize, Serialize};

/// `avg` of numeric values, widened to double: their sum divided by how many are held.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Avg {
    sum: SumDouble,
}

impl Avg {
    /// An empty average.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Aggregator for Avg {
    type Input = Option<f64>;
    type Output = Option<f64>;

    fn add(&mut self, value: Option<f64>) {
        self.sum.add(value);
    }

    fn remove(&mut self, value: Option<f64>) {
        self.sum.remove(value);
    }

    fn reset(&mut self) {
        self.sum.reset();
    }

    fn value(&self) -> Option<f64> {
        self.sum.value().map(|total| total / self.sum.held() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::round_trip;

    #[test]
    fn mean_of_non_null_values() {
        let mut a = Avg::new();
        assert_eq!(a.value(), None);
        a.add(Some(10.0));
        assert_eq!(a.value(), Some(10.0));
        a.add(None);
        assert_eq!(a.value(), Some(10.0));
        a.add(Some(20.0));
        assert_eq!(a.value(), Some(15.0));
        a.remove(Some(10.0));
        assert_eq!(a.value(), Some(20.0));
        a.remove(None);
        a.remove(Some(20.0));
        assert_eq!(a.value(), None);
        a.add(Some(1.0));
        a.add(Some(2.0));
        a.reset();
        assert_eq!(a.value(), None);
        a.add(Some(3.0));
        assert_eq!(a.value(), Some(3.0));
    }

    #[test]
    fn widened_floats_and_ints() {
        let mut a = Avg::new();
        for f in [0.1f32, 0.2, 0.7] {
            a.add(Some(f as f64));
        }
        assert_eq!(a.value(), Some(0.3333333308498065));
        let mut a = Avg::new();
        for (i, f) in [(1, 10.5f32), (2, 20.25), (3, 0.25)] {
            a.add(Some(f as f64));
            a.add(Some(i as f64));
        }
        assert_eq!(a.value(), Some(37.0 / 6.0));
    }

    #[test]
    fn survives_a_snapshot() {
        let mut a = Avg::new();
        a.add(Some(1.0));
        a.add(Some(4.0));
        let mut back = round_trip(&a);
        assert_eq!(back, a);
        back.remove(Some(1.0));
        assert_eq!(back.value(), Some(4.0));
    }
}
