//! `count()` and `count(x)`: the number of rows held, as a long. Every row counts, also one whose
//! argument is null (Siddhi's count never looks at its argument).

use super::Aggregator;
use serde::{Deserialize, Serialize};

/// `count`: how many rows are held.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    count: i64,
}

impl Count {
    /// A count of nothing (0).
    pub fn new() -> Self {
        Self::default()
    }
}

impl Aggregator for Count {
    type Input = ();
    type Output = i64;

    fn add(&mut self, _value: ()) {
        self.count = self.count.wrapping_add(1);
    }

    fn remove(&mut self, _value: ()) {
        self.count = self.count.wrapping_sub(1);
    }

    fn reset(&mut self) {
        self.count = 0;
    }

    fn value(&self) -> i64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::round_trip;

    #[test]
    fn counts_rows() {
        let mut c = Count::new();
        assert_eq!(c.value(), 0);
        c.add(());
        c.add(());
        c.add(());
        assert_eq!(c.value(), 3);
        c.remove(());
        assert_eq!(c.value(), 2);
        c.remove(());
        c.remove(());
        assert_eq!(c.value(), 0);
        c.add(());
        c.reset();
        assert_eq!(c.value(), 0);
        c.add(());
        assert_eq!(c.value(), 1);
    }

    #[test]
    fn survives_a_snapshot() {
        let mut c = Count::new();
        c.add(());
        c.add(());
        let mut back = round_trip(&c);
        assert_eq!(back, c);
        back.remove(());
        assert_eq!(back.value(), 1);
    }
}
