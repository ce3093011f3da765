//! `minForever(x)` and `maxForever(x)`: the smallest and largest non-null value ever seen; null
//! until one is.
//!
//! As in Siddhi's `MinForeverAttributeAggregatorExecutor` and its max twin, neither a leaving
//! event nor a batch reset forgets anything: a leaving value is folded in like an arriving one
//! (it was seen on arrival, so nothing changes), and a reset keeps the value. Values are compared
//! with `<` and `>` as in Java (so a NaN never replaces a held value).

use super::Aggregator;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// `minForever`: the smallest value ever seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinForever<T> {
    seen: Option<T>,
}

/// `maxForever`: the largest value ever seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MaxForever<T> {
    seen: Option<T>,
}

macro_rules! forever {
    ($name:ident, $op:tt) => {
        impl<T> $name<T> {
            /// An aggregate that has seen nothing (null).
            pub fn new() -> Self {
                $name { seen: None }
            }

            fn fold(&mut self, value: Option<T>)
            where
                T: PartialOrd,
            {
                if let Some(v) = value {
                    let replace = match &self.seen {
                        None => true,
                        Some(held) => *held $op v,
                    };
                    if replace {
                        self.seen = Some(v);
                    }
                }
            }
        }

        impl<T> Default for $name<T> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<T> Aggregator for $name<T>
        where
            T: PartialOrd + Clone + Debug + Send + Sync + Serialize + DeserializeOwned + 'static,
        {
            type Input = Option<T>;
            type Output = Option<T>;

            fn add(&mut self, value: Option<T>) {
                self.fold(value);
            }

            fn remove(&mut self, value: Option<T>) {
                self.fold(value);
            }

            fn reset(&mut self) {}

            fn value(&self) -> Option<T> {
                self.seen.clone()
            }
        }
    };
}

forever!(MinForever, >);
forever!(MaxForever, <);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::round_trip;

    #[test]
    fn never_forgets() {
        let (mut lo, mut hi) = (MinForever::<f64>::new(), MaxForever::<f64>::new());
        assert_eq!((lo.value(), hi.value()), (None, None));
        let input = [5.0, 3.0, 8.0, 9.0, 4.0];
        let mut seen = Vec::new();
        for (i, v) in input.iter().enumerate() {
            if i >= 2 {
                lo.remove(Some(input[i - 2]));
                hi.remove(Some(input[i - 2]));
            }
            lo.add(Some(*v));
            hi.add(Some(*v));
            seen.push((lo.value(), hi.value()));
        }
        let expect = [(5.0, 5.0), (3.0, 5.0), (3.0, 8.0), (3.0, 9.0), (3.0, 9.0)];
        let expect: Vec<_> = expect.iter().map(|(a, b)| (Some(*a), Some(*b))).collect();
        assert_eq!(seen, expect);
    }

    #[test]
    fn survives_reset_and_skips_nulls() {
        let mut lo = MinForever::<i32>::new();
        let mut hi = MaxForever::<i32>::new();
        lo.add(None);
        hi.add(None);
        assert_eq!((lo.value(), hi.value()), (None, None));
        lo.add(Some(4));
        hi.add(Some(4));
        lo.reset();
        hi.reset();
        assert_eq!((lo.value(), hi.value()), (Some(4), Some(4)));
        lo.add(Some(6));
        hi.add(Some(2));
        lo.add(None);
        hi.remove(None);
        assert_eq!((lo.value(), hi.value()), (Some(4), Some(4)));
        lo.add(Some(-1));
        hi.add(Some(10));
        assert_eq!((lo.value(), hi.value()), (Some(-1), Some(10)));
    }

    #[test]
    fn nan_compares_like_java() {
        let mut lo = MinForever::<f64>::new();
        lo.add(Some(1.0));
        lo.add(Some(f64::NAN));
        assert_eq!(lo.value(), Some(1.0));
        let mut hi = MaxForever::<f32>::new();
        hi.add(Some(f32::NAN));
        hi.add(Some(1.0));
        assert!(hi.value().is_some_and(f32::is_nan));
    }

    #[test]
    fn survives_a_snapshot() {
        let mut hi = MaxForever::<i64>::new();
        hi.add(Some(3));
        let mut back = round_trip(&hi);
        assert_eq!(back, hi);
        back.add(Some(2));
        assert_eq!(back.value(), Some(3));
        let lo = MinForever::<f64>::new();
        assert_eq!(round_trip(&lo).value(), None);
    }
}
