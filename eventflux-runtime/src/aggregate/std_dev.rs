//! `stdDev(x)`: the population standard deviation of the non-null values held, as a double.
//!
//! Computed exactly as Siddhi's `StdDevAttributeAggregatorExecutor` does, so that results agree
//! to the last bit: a running sum, mean and sum of squared deviations (Welford's update, run
//! backwards when a value leaves). No value held gives null, one gives `0.0`; when the last value
//! leaves everything is cleared.

use super::Aggregator;
use serde::{Deserialize, Serialize};

/// `stdDev` of numeric values, widened to double.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StdDev {
    sum: f64,
    mean: f64,
    squares: f64,
    held: i64,
}

impl StdDev {
    /// An empty aggregate (null).
    pub fn new() -> Self {
        Self::default()
    }
}

impl Aggregator for StdDev {
    type Input = Option<f64>;
    type Output = Option<f64>;

    fn add(&mut self, value: Option<f64>) {
        let Some(v) = value else { return };
        self.held = self.held.wrapping_add(1);
        if self.held == 1 {
            self.sum = v;
            self.mean = v;
            self.squares = 0.0;
        } else {
            let old_mean = self.mean;
            self.sum += v;
            self.mean = self.sum / self.held as f64;
            self.squares += (v - old_mean) * (v - self.mean);
        }
    }

    fn remove(&mut self, value: Option<f64>) {
        let Some(v) = value else { return };
        self.held = self.held.wrapping_sub(1);
        if self.held == 0 {
            *self = Self::default();
        } else {
            let old_mean = self.mean;
            self.sum -= v;
            self.mean = self.sum / self.held as f64;
            self.squares -= (v - old_mean) * (v - self.mean);
        }
    }

    fn reset(&mut self) {
        *self = Self::default();
    }

    fn value(&self) -> Option<f64> {
        match self.held {
            0 => None,
            1 => Some(0.0),
            n => Some((self.squares / n as f64).sqrt()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::round_trip;

    #[test]
    fn running_population_deviation() {
        let mut s = StdDev::new();
        assert_eq!(s.value(), None);
        let mut seen = Vec::new();
        for v in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            s.add(Some(v));
            seen.push(s.value().unwrap_or(f64::NAN));
        }
        let expect = [
            0.0,
            1.0,
            0.9428090415820634,
            0.8660254037844386,
            0.9797958971132713,
            1.0,
            1.3997084244475304,
            2.0,
        ];
        assert_eq!(seen, expect);
    }

    #[test]
    fn removal_runs_the_update_backwards() {
        let mut s = StdDev::new();
        for v in [1.0, 2.0, 3.0, 4.0] {
            s.add(Some(v));
        }
        assert_eq!(s.value(), Some(1.25f64.sqrt()));
        s.remove(Some(1.0));
        assert_eq!(s.value(), Some((2.0f64 / 3.0).sqrt()));
        s.remove(Some(2.0));
        assert_eq!(s.value(), Some(0.5));
        s.remove(Some(3.0));
        assert_eq!(s.value(), Some(0.0));
        s.remove(Some(4.0));
        assert_eq!(s.value(), None);
        assert_eq!(s, StdDev::new());
    }

    #[test]
    fn nulls_are_skipped_and_reset_clears() {
        let mut s = StdDev::new();
        s.add(None);
        assert_eq!(s.value(), None);
        s.add(Some(3.0));
        s.add(None);
        assert_eq!(s.value(), Some(0.0));
        s.add(Some(5.0));
        s.remove(None);
        assert_eq!(s.value(), Some(1.0));
        s.reset();
        assert_eq!(s.value(), None);
        s.add(Some(10.0));
        s.add(Some(14.0));
        assert_eq!(s.value(), Some(2.0));
    }

    #[test]
    fn survives_a_snapshot() {
        let mut s = StdDev::new();
        s.add(Some(2.0));
        s.add(Some(4.0));
        s.add(Some(9.0));
        let mut back = round_trip(&s);
        assert_eq!(back, s);
        back.remove(Some(2.0));
        assert_eq!(back.value(), Some(2.5));
    }
}
