//! `sum(x)`: a long for int and long arguments, a double for float and double ones.
//!
//! As in Siddhi, nulls are skipped and the sum is null while no non-null value is held; a long sum
//! wraps on overflow like Java's `long`; a float is widened to double before it is added, so the
//! sum is accumulated in double.

use super::Aggregator;
use serde::{Deserialize, Serialize};

/// `sum` of int or long values (ints widened by the caller), wrapping at 64 bits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SumLong {
    sum: i64,
    held: i64,
}

impl SumLong {
    /// An empty sum.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Aggregator for SumLong {
    type Input = Option<i64>;
    type Output = Option<i64>;

    fn add(&mut self, value: Option<i64>) {
        if let Some(v) = value {
            self.sum = self.sum.wrapping_add(v);
            self.held = self.held.wrapping_add(1);
        }
    }

    fn remove(&mut self, value: Option<i64>) {
        if let Some(v) = value {
            self.sum = self.sum.wrapping_sub(v);
            self.held = self.held.wrapping_sub(1);
        }
    }

    fn reset(&mut self) {
        *self = Self::default();
    }

    fn value(&self) -> Option<i64> {
        (self.held != 0).then_some(self.sum)
    }
}

/// `sum` of float or double values (floats widened to double by the caller), in double.
///
/// As in Siddhi, the running total is not cleared when the last value leaves; only
/// [`Aggregator::reset`] clears it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SumDouble {
    sum: f64,
    held: i64,
}

impl SumDouble {
    /// An empty sum.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many non-null values are held.
    pub fn held(&self) -> i64 {
        self.held
    }
}

impl Aggregator for SumDouble {
    type Input = Option<f64>;
    type Output = Option<f64>;

    fn add(&mut self, value: Option<f64>) {
        if let Some(v) = value {
            self.sum += v;
            self.held = self.held.wrapping_add(1);
        }
    }

    fn remove(&mut self, value: Option<f64>) {
        if let Some(v) = value {
            self.sum -= v;
            self.held = self.held.wrapping_sub(1);
        }
    }

    fn reset(&mut self) {
        *self = Self::default();
    }

    fn value(&self) -> Option<f64> {
        (self.held != 0).then_some(self.sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::round_trip;

    #[test]
    fn long_sum_skips_nulls_and_is_null_when_empty() {
        let mut s = SumLong::new();
        assert_eq!(s.value(), None);
        s.add(Some(10));
        s.add(None);
        s.add(Some(20));
        assert_eq!(s.value(), Some(30));
        s.remove(Some(10));
        assert_eq!(s.value(), Some(20));
        s.remove(None);
        assert_eq!(s.value(), Some(20));
        s.remove(Some(20));
        assert_eq!(s.value(), None);
        s.add(None);
        assert_eq!(s.value(), None);
        s.add(Some(-4));
        s.add(Some(0));
        assert_eq!(s.value(), Some(-4));
        s.reset();
        assert_eq!(s.value(), None);
        s.add(Some(0));
        assert_eq!(s.value(), Some(0));
    }

    #[test]
    fn long_sum_wraps_like_java() {
        let mut s = SumLong::new();
        s.add(Some(i64::MAX));
        s.add(Some(1));
        assert_eq!(s.value(), Some(i64::MIN));
        s.remove(Some(i64::MAX));
        assert_eq!(s.value(), Some(1));
        s.add(Some(i64::MIN));
        assert_eq!(s.value(), Some(i64::MIN + 1));
        s.remove(Some(1));
        s.add(Some(-1));
        assert_eq!(s.value(), Some(i64::MAX));
    }

    #[test]
    fn double_sum_of_widened_floats() {
        let mut s = SumDouble::new();
        assert_eq!(s.value(), None);
        for f in [0.1f32, 0.2, 0.7] {
            s.add(Some(f as f64));
        }
        assert_eq!(s.value(), Some(0.9999999925494194));
        s.add(None);
        s.remove(Some(0.1f32 as f64));
        s.remove(Some(0.2f32 as f64));
        s.remove(Some(0.7f32 as f64));
        assert_eq!(s.value(), None);
        s.reset();
        s.add(Some(10.5));
        s.add(Some(20.25));
        assert_eq!(s.value(), Some(30.75));
        s.reset();
        assert_eq!(s.value(), None);
    }

    #[test]
    fn sums_survive_a_snapshot() {
        let mut s = SumLong::new();
        s.add(Some(5));
        s.add(Some(7));
        let mut back = round_trip(&s);
        assert_eq!(back, s);
        back.remove(Some(5));
        assert_eq!(back.value(), Some(7));

        let mut d = SumDouble::new();
        d.add(Some(1.5));
        let mut back = round_trip(&d);
        assert_eq!(back, d);
        back.remove(Some(1.5));
        assert_eq!(back.value(), None);
    }
}
