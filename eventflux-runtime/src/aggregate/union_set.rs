//! `unionSet(set)`: the union of the sets held, as a set (sorted, without duplicates).
//!
//! Each element is counted once per set that holds it, so it leaves the union when the last set
//! holding it leaves. With no set held the union is the empty set (Siddhi returns an empty set
//! too). A null or non-set argument contributes nothing (Siddhi fails on one).

use super::Aggregator;
use super::key::Multiset;
use crate::value::Value;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// `unionSet`: the union of the sets held.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnionSet {
    held: Multiset<Value>,
}

impl UnionSet {
    /// An empty union.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Aggregator for UnionSet {
    type Input = Value;
    type Output = Arc<Vec<Value>>;

    fn add(&mut self, value: Value) {
        if let Value::Set(items) = value {
            for item in items.iter() {
                self.held.add(item.clone());
            }
        }
    }

    fn remove(&mut self, value: Value) {
        if let Value::Set(items) = value {
            for item in items.iter() {
                self.held.remove(item);
            }
        }
    }

    fn reset(&mut self) {
        self.held.clear();
    }

    fn value(&self) -> Arc<Vec<Value>> {
        Arc::new(self.held.keys().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::round_trip;

    fn set(items: &[&str]) -> Value {
        Value::Set(Arc::new(items.iter().map(|s| Value::from(*s)).collect()))
    }

    fn items(u: &UnionSet) -> Value {
        Value::Set(u.value())
    }

    #[test]
    fn union_of_held_sets() {
        let mut u = UnionSet::new();
        assert_eq!(items(&u), set(&[]));
        u.add(set(&["b", "a"]));
        u.add(set(&["c", "b"]));
        assert_eq!(items(&u), set(&["a", "b", "c"]));
        u.remove(set(&["b", "a"]));
        assert_eq!(items(&u), set(&["b", "c"]));
        u.remove(set(&["c", "b"]));
        assert_eq!(items(&u), set(&[]));
    }

    #[test]
    fn an_element_stays_while_a_set_holds_it() {
        let mut u = UnionSet::new();
        u.add(set(&["a"]));
        u.remove(set(&["a"]));
        u.add(set(&["b"]));
        u.remove(set(&["b"]));
        u.add(set(&["b"]));
        u.remove(set(&["b"]));
        u.add(set(&["c"]));
        assert_eq!(items(&u), set(&["c"]));
    }

    #[test]
    fn nulls_and_non_sets_are_skipped_and_reset_empties() {
        let mut u = UnionSet::new();
        u.add(Value::Null);
        u.add(Value::Int(3));
        assert_eq!(items(&u), set(&[]));
        u.add(set(&["x"]));
        u.remove(Value::Null);
        assert_eq!(items(&u), set(&["x"]));
        u.reset();
        assert_eq!(items(&u), set(&[]));
    }

    #[test]
    fn survives_a_snapshot() {
        let mut u = UnionSet::new();
        u.add(set(&["a", "b"]));
        u.add(set(&["a"]));
        let mut back = round_trip(&u);
        assert_eq!(back, u);
        back.remove(set(&["a", "b"]));
        assert_eq!(items(&back), set(&["a"]));
    }
}
