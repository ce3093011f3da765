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
/// when one of its occurrences leaves. A few distinct keys (a small window's values) sit in a
/// sorted vector, found by binary search without a tree node each; many go to an ordered map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Serialize + Clone",
    deserialize = "K: Deserialize<'de> + Ord"
))]
#[serde(from = "Vec<(K, u64)>", into = "Vec<(K, u64)>")]
pub(crate) struct Multiset<K> {
    counts: Counts<K>,
}

/// A multiset's counts: sorted pairs while few, an ordered map once many.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Counts<K> {
    Few(Vec<(K, u64)>),
    Many(BTreeMap<K, u64>),
}

/// Distinct keys kept in the sorted vector before the multiset moves them to a map (and half
/// of it, to move back: a set hovering at the limit does not move every time).
const FEW: usize = 32;

impl<K> Default for Multiset<K> {
    fn default() -> Self {
        Multiset {
            counts: Counts::Few(Vec::new()),
        }
    }
}

impl<K: Ord> From<Vec<(K, u64)>> for Multiset<K> {
    fn from(pairs: Vec<(K, u64)>) -> Self {
        let mut set = Multiset::default();
        for (key, count) in pairs {
            if count > 0 {
                set.add_count(key, count);
            }
        }
        set
    }
}

impl<K: Clone> From<Multiset<K>> for Vec<(K, u64)> {
    fn from(set: Multiset<K>) -> Self {
        match set.counts {
            Counts::Few(pairs) => pairs,
            Counts::Many(map) => map.into_iter().collect(),
        }
    }
}

impl<K: Ord> Multiset<K> {
    /// One more occurrence of `key`.
    pub(crate) fn add(&mut self, key: K) {
        self.add_count(key, 1);
    }

    fn add_count(&mut self, key: K, n: u64) {
        match &mut self.counts {
            Counts::Few(pairs) => match pairs.binary_search_by(|(k, _)| k.cmp(&key)) {
                Ok(i) => pairs[i].1 = pairs[i].1.saturating_add(n),
                Err(i) if pairs.len() < FEW => pairs.insert(i, (key, n)),
                Err(_) => {
                    let mut map: BTreeMap<K, u64> = std::mem::take(pairs).into_iter().collect();
                    map.insert(key, n);
                    self.counts = Counts::Many(map);
                }
            },
            Counts::Many(map) => {
                let count = map.entry(key).or_insert(0);
                *count = count.saturating_add(n);
            }
        }
    }

    /// One occurrence of `key` fewer; nothing happens when `key` is not held.
    pub(crate) fn remove(&mut self, key: &K) {
        match &mut self.counts {
            Counts::Few(pairs) => {
                if let Ok(i) = pairs.binary_search_by(|(k, _)| k.cmp(key)) {
                    if pairs[i].1 > 1 {
                        pairs[i].1 -= 1;
                    } else {
                        pairs.remove(i);
                    }
                }
            }
            Counts::Many(map) => {
                if let Some(count) = map.get_mut(key) {
                    if *count > 1 {
                        *count -= 1;
                    } else {
                        map.remove(key);
                    }
                }
                if map.len() < FEW / 2 {
                    let pairs = std::mem::take(map).into_iter().collect();
                    self.counts = Counts::Few(pairs);
                }
            }
        }
    }

    /// Forgets every key.
    pub(crate) fn clear(&mut self) {
        self.counts = Counts::Few(Vec::new());
    }

    /// The smallest key held.
    pub(crate) fn first(&self) -> Option<&K> {
        match &self.counts {
            Counts::Few(pairs) => pairs.first().map(|(k, _)| k),
            Counts::Many(map) => map.keys().next(),
        }
    }

    /// The largest key held.
    pub(crate) fn last(&self) -> Option<&K> {
        match &self.counts {
            Counts::Few(pairs) => pairs.last().map(|(k, _)| k),
            Counts::Many(map) => map.keys().next_back(),
        }
    }

    /// How many distinct keys are held.
    pub(crate) fn distinct(&self) -> usize {
        match &self.counts {
            Counts::Few(pairs) => pairs.len(),
            Counts::Many(map) => map.len(),
        }
    }

    /// The distinct keys held, in order.
    pub(crate) fn keys(&self) -> Box<dyn Iterator<Item = &K> + '_> {
        match &self.counts {
            Counts::Few(pairs) => Box::new(pairs.iter().map(|(k, _)| k)),
            Counts::Many(map) => Box::new(map.keys()),
        }
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

    #[test]
    fn a_multiset_keeps_order_and_counts_as_it_grows_and_shrinks() {
        let mut set = Multiset::default();
        for i in (0..100).rev() {
            set.add(i);
            set.add(i);
        }
        assert_eq!(
            (set.first(), set.last(), set.distinct()),
            (Some(&0), Some(&99), 100)
        );
        for i in 0..95 {
            set.remove(&i);
            assert_eq!(set.first(), Some(&i));
            set.remove(&i);
        }
        assert_eq!(
            set.keys().copied().collect::<Vec<_>>(),
            vec![95, 96, 97, 98, 99]
        );
        let bytes = crate::state::encode(&set).expect("encodes");
        let back: Multiset<i32> = crate::state::decode(&bytes).expect("decodes");
        assert_eq!(back, set);
    }
}
