//! `and(x)` and `or(x)`: whether every / some bool held is true.
//!
//! As in Siddhi's `AndAttributeAggregatorExecutor` and `OrAttributeAggregatorExecutor`, both are
//! false when nothing is held (`and` needs at least one true and no false). Siddhi fails on a
//! null argument; here nulls are skipped.

use super::Aggregator;
use serde::{Deserialize, Serialize};

/// `and`: true when at least one true and no false value is held.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct And {
    trues: i64,
    falses: i64,
}

impl And {
    /// An empty aggregate (false).
    pub fn new() -> Self {
        Self::default()
    }

    fn tally(&mut self, value: Option<bool>, step: i64) {
        match value {
            Some(true) => self.trues = self.trues.wrapping_add(step),
            Some(false) => self.falses = self.falses.wrapping_add(step),
            None => {}
        }
    }
}

impl Aggregator for And {
    type Input = Option<bool>;
    type Output = bool;

    fn add(&mut self, value: Option<bool>) {
        self.tally(value, 1);
    }

    fn remove(&mut self, value: Option<bool>) {
        self.tally(value, -1);
    }

    fn reset(&mut self) {
        *self = Self::default();
    }

    fn value(&self) -> bool {
        self.trues > 0 && self.falses == 0
    }
}

/// `or`: true when a true value is held.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Or {
    trues: i64,
}

impl Or {
    /// An empty aggregate (false).
    pub fn new() -> Self {
        Self::default()
    }
}

impl Aggregator for Or {
    type Input = Option<bool>;
    type Output = bool;

    fn add(&mut self, value: Option<bool>) {
        if value == Some(true) {
            self.trues = self.trues.wrapping_add(1);
        }
    }

    fn remove(&mut self, value: Option<bool>) {
        if value == Some(true) {
            self.trues = self.trues.wrapping_sub(1);
        }
    }

    fn reset(&mut self) {
        self.trues = 0;
    }

    fn value(&self) -> bool {
        self.trues > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::round_trip;

    #[test]
    fn batches_of_three() {
        let input = [true, true, true, false, true, false, false, false, false];
        let mut seen = Vec::new();
        let (mut all, mut any) = (And::new(), Or::new());
        for batch in input.chunks(3) {
            all.reset();
            any.reset();
            for v in batch {
                all.add(Some(*v));
                any.add(Some(*v));
            }
            seen.push((all.value(), any.value()));
        }
        assert_eq!(seen, [(true, true), (false, true), (false, false)]);
    }

    #[test]
    fn empty_is_false_and_nulls_are_skipped() {
        let (mut all, mut any) = (And::new(), Or::new());
        assert_eq!((all.value(), any.value()), (false, false));
        all.add(None);
        any.add(None);
        assert_eq!((all.value(), any.value()), (false, false));
        all.add(Some(true));
        any.add(Some(true));
        all.add(None);
        any.add(None);
        assert_eq!((all.value(), any.value()), (true, true));
        all.add(Some(false));
        any.add(Some(false));
        assert_eq!((all.value(), any.value()), (false, true));
        all.remove(Some(false));
        any.remove(Some(true));
        assert_eq!((all.value(), any.value()), (true, false));
        all.remove(Some(true));
        assert!(!all.value());
    }

    #[test]
    fn survive_a_snapshot() {
        let mut all = And::new();
        all.add(Some(true));
        all.add(Some(false));
        let mut back = round_trip(&all);
        assert_eq!(back, all);
        back.remove(Some(false));
        assert!(back.value());

        let mut any = Or::new();
        any.add(Some(true));
        let mut back = round_trip(&any);
        assert!(back.value());
        back.remove(Some(true));
        assert!(!back.value());
    }
}
