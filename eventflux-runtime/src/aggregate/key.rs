//! What aggregators order and count values by: most types are their own key; floats are keyed by
//! their IEEE total order, so that they can sit in ordered maps.

use crate::value::Value;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A value an aggregator can keep in an ordered map, through its totally ordered [`Keyed::Key`].
pub trait Keyed: Clone + Debug + Send + Sync + Serialize + DeserializeOwned + 'static {
    /// The totally ordered form of the value.
    type Key: Ord + Clone + Debug + Send + Sync + Serialize + DeserializeOwned + 'static;
    /// The key of this value.
    fn to_key(&self) -> Self::Key;
    /// The value a key stands for.
    fn from_key(key: &Self::Key) -> Self;
}

macro_rules! keyed_as_itself {
    ($($t:ty),*) => {$(
        impl Keyed for $t {
            type Key = $t;
            fn to_key(&self) -> $t {
                self.clone()
            }
            fn from_key(key: &$t) -> $t {
                key.clone()
            }
        }
    )*};
}

keyed_as_itself!(bool, i32, i64, String, Arc<str>, Value);

macro_rules! total_float {
    ($name:ident, $float:ty, $what:literal) => {
        #[doc = concat!("A ", $what, " ordered by [`", stringify!($float), "::total_cmp`]: ")]
        #[doc = "`-0.0` sorts before `0.0`, NaN after infinity, and two values are equal only when"]
        #[doc = "their bits are."]
        #[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $float);

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other) == Ordering::Equal
            }
        }

        impl Eq for $name {}

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> Ordering {
                self.0.total_cmp(&other.0)
            }
        }

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.0.to_bits().hash(state);
            }
        }

        impl Keyed for $float {
            type Key = $name;
            fn to_key(&self) -> $name {
                $name(*self)
            }
            fn from_key(key: &$name) -> $float {
                key.0
            }
        }
    };
}

total_float!(TotalF64, f64, "double");
total_float!(TotalF32, f32, "float");

/// Keys with how many times each is held (a multiset), for aggregators that must forget a value
/// when one of its occurrences leaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(serialize = "K: Serialize", deserialize = "K: Deserialize<'de> + Ord"))]
pub(crate) struct Multiset<K> {
    counts: BTreeMap<K, u64>,
}

impl<K> Default for Multiset<K> {
    fn default() -> Self {
        Multiset {
            counts: BTreeMap::new(),
        }
    }
}

impl<K: Ord> Multiset<K> {
    /// One more occurrence of `key`.
    pub(crate) fn add(&mut self, key: K) {
        let count = self.counts.entry(key).or_insert(0);
        *count = count.saturating_add(1);
    }

    /// One occurrence of `key` fewer; nothing happens when `key` is not held.
    pub(crate) fn remove(&mut self, key: &K) {
        if let Some(count) = self.counts.get_mut(key) {
            if *count > 1 {
                *count -= 1;
            } else {
                self.counts.remove(key);
            }
        }
    }

    /// Forgets every key.
    pub(crate) fn clear(&mut self) {
        self.counts.clear();
    }

    /// The smallest key held.
    pub(crate) fn first(&self) -> Option<&K> {
        self.counts.keys().next()
    }

    /// The largest key held.
    pub(crate) fn last(&self) -> Option<&K> {
        self.counts.keys().next_back()
    }

    /// How many distinct keys are held.
    pub(crate) fn distinct(&self) -> usize {
        self.counts.len()
    }

    /// The distinct keys held, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.counts.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_keys_follow_the_total_order() {
        assert!(TotalF64(-0.0) < TotalF64(0.0));
        assert!(TotalF64(f64::INFINITY) < TotalF64(f64::NAN));
        assert_eq!(TotalF64(f64::NAN), TotalF64(f64::NAN));
        assert_ne!(TotalF32(-0.0), TotalF32(0.0));
        assert_eq!(f32::from_key(&1.5f32.to_key()), 1.5);
    }

    #[test]
    fn multiset_counts_occurrences() {
        let mut set = Multiset::default();
        set.add(3);
        set.add(1);
        set.add(3);
        assert_eq!(
            (set.first(), set.last(), set.distinct()),
            (Some(&1), Some(&3), 2)
        );
        set.remove(&3);
        assert_eq!(set.last(), Some(&3));
        set.remove(&3);
        set.remove(&7);
        assert_eq!((set.last(), set.distinct()), (Some(&1), 1));
        set.clear();
        assert_eq!(set.first(), None);
    }
}
