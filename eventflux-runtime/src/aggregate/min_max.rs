//! `min(x)` and `max(x)`: the smallest and largest non-null value held, of the argument's type;
//! null when none is held.
//!
//! The values held are kept as a multiset, so any one of them can leave, in any order (sliding,
//! sort, unique and frequent windows alike). Floats are ordered by their total order
//! ([`super::TotalF64`], [`super::TotalF32`]).

use super::Aggregator;
use super::key::{Keyed, Multiset};
use serde::{Deserialize, Serialize};

/// `min`: the smallest value held.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Min<T: Keyed> {
    held: Multiset<T::Key>,
}

/// `max`: the largest value held.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Max<T: Keyed> {
    held: Multiset<T::Key>,
}

macro_rules! extreme {
    ($name:ident, $pick:ident) => {
        impl<T: Keyed> $name<T> {
            /// An aggregate holding nothing (null).
            pub fn new() -> Self {
                $name {
                    held: Multiset::default(),
                }
            }
        }

        impl<T: Keyed> Default for $name<T> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<T: Keyed> Aggregator for $name<T> {
            type Input = Option<T>;
            type Output = Option<T>;

            fn add(&mut self, value: Option<T>) {
                if let Some(v) = value {
                    self.held.add(v.to_key());
                }
            }

            fn remove(&mut self, value: Option<T>) {
                if let Some(v) = value {
                    self.held.remove(&v.to_key());
                }
            }

            fn reset(&mut self) {
                self.held.clear();
            }

            fn value(&self) -> Option<T> {
                self.held.$pick().map(T::from_key)
            }
        }
    };
}

extreme!(Min, first);
extreme!(Max, last);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::round_trip;
    use crate::value::Value;

    #[test]
    fn sliding_min_and_max() {
        let (mut lo, mut hi) = (Min::<f64>::new(), Max::<f64>::new());
        let mut seen = Vec::new();
        let input = [5.0, 3.0, 8.0, 9.0, 4.0];
        for (i, v) in input.iter().enumerate() {
            if i >= 2 {
                lo.remove(Some(input[i - 2]));
                hi.remove(Some(input[i - 2]));
            }
            lo.add(Some(*v));
            hi.add(Some(*v));
            seen.push((lo.value(), hi.value()));
        }
        let expect = [(5.0, 5.0), (3.0, 5.0), (3.0, 8.0), (8.0, 9.0), (4.0, 9.0)];
        let expect: Vec<_> = expect.iter().map(|(a, b)| (Some(*a), Some(*b))).collect();
        assert_eq!(seen, expect);
    }

    #[test]
    fn duplicates_and_out_of_order_removal() {
        let mut lo = Min::<i32>::new();
        let mut hi = Max::<i32>::new();
        for v in [5, 1, 5, 9] {
            lo.add(Some(v));
            hi.add(Some(v));
        }
        assert_eq!((lo.value(), hi.value()), (Some(1), Some(9)));
        lo.remove(Some(1));
        hi.remove(Some(9));
        assert_eq!((lo.value(), hi.value()), (Some(5), Some(5)));
        lo.remove(Some(5));
        hi.remove(Some(5));
        assert_eq!((lo.value(), hi.value()), (Some(5), Some(5)));
        lo.remove(Some(9));
        hi.remove(Some(1));
        assert_eq!((lo.value(), hi.value()), (Some(5), Some(5)));
        lo.remove(Some(5));
        hi.remove(Some(5));
        assert_eq!((lo.value(), hi.value()), (None, None));
    }

    #[test]
    fn nulls_are_skipped_and_empty_is_null() {
        let mut lo = Min::<i64>::new();
        assert_eq!(lo.value(), None);
        lo.add(None);
        assert_eq!(lo.value(), None);
        lo.add(Some(-3));
        lo.add(None);
        assert_eq!(lo.value(), Some(-3));
        lo.remove(None);
        assert_eq!(lo.value(), Some(-3));
        lo.reset();
        assert_eq!(lo.value(), None);
        lo.add(Some(7));
        assert_eq!(lo.value(), Some(7));
    }

    #[test]
    fn floats_use_the_total_order() {
        let mut lo = Min::<f32>::new();
        let mut hi = Max::<f32>::new();
        for v in [0.0f32, -0.0, 2.5] {
            lo.add(Some(v));
            hi.add(Some(v));
        }
        assert_eq!(lo.value().map(f32::to_bits), Some((-0.0f32).to_bits()));
        assert_eq!(hi.value(), Some(2.5));
    }

    #[test]
    fn values_and_strings() {
        let mut lo = Min::<Value>::new();
        lo.add(Some(Value::from("b")));
        lo.add(Some(Value::from("a")));
        assert_eq!(lo.value(), Some(Value::from("a")));
        let mut hi = Max::<std::sync::Arc<str>>::new();
        hi.add(Some("b".into()));
        hi.add(Some("a".into()));
        assert_eq!(hi.value().as_deref(), Some("b"));
    }

    #[test]
    fn survive_a_snapshot() {
        let mut lo = Min::<f64>::new();
        lo.add(Some(2.0));
        lo.add(Some(1.0));
        let mut back = round_trip(&lo);
        assert_eq!(back, lo);
        back.remove(Some(1.0));
        assert_eq!(back.value(), Some(2.0));

        let mut hi = Max::<i64>::new();
        hi.add(Some(2));
        hi.add(Some(2));
        let mut back = round_trip(&hi);
        back.remove(Some(2));
        assert_eq!(back.value(), Some(2));
    }
}
