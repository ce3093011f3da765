//! Operators of typed expressions, with SiddhiQL's null rules, called by generated code (all
//! inline): arithmetic on `Option`s of the promoted type (null in, null out; ints wrap; division
//! or modulo by zero is null), comparisons (false when a side is null, except `!=`, which is
//! true when exactly one side is), and conditions (only `true` holds).

use std::cmp::Ordering;

/// A number arithmetic runs in.
pub trait Number: Copy {
    /// `a + b`.
    fn add(self, other: Self) -> Option<Self>;
    /// `a - b`.
    fn sub(self, other: Self) -> Option<Self>;
    /// `a * b`.
    fn mul(self, other: Self) -> Option<Self>;
    /// `a / b` (null for a zero divisor).
    fn div(self, other: Self) -> Option<Self>;
    /// `a % b` (null for a zero divisor).
    fn rem(self, other: Self) -> Option<Self>;
    /// `-a`.
    fn neg(self) -> Self;
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl Number for $t {
            #[inline]
            fn add(self, other: Self) -> Option<Self> { Some(self.wrapping_add(other)) }
            #[inline]
            fn sub(self, other: Self) -> Option<Self> { Some(self.wrapping_sub(other)) }
            #[inline]
            fn mul(self, other: Self) -> Option<Self> { Some(self.wrapping_mul(other)) }
            #[inline]
            fn div(self, other: Self) -> Option<Self> {
                (other != 0).then(|| self.wrapping_div(other))
            }
            #[inline]
            fn rem(self, other: Self) -> Option<Self> {
                (other != 0).then(|| self.wrapping_rem(other))
            }
            #[inline]
            fn neg(self) -> Self { self.wrapping_neg() }
        }
    )*};
}

macro_rules! float {
    ($($t:ty),*) => {$(
        impl Number for $t {
            #[inline]
            fn add(self, other: Self) -> Option<Self> { Some(self + other) }
            #[inline]
            fn sub(self, other: Self) -> Option<Self> { Some(self - other) }
            #[inline]
            fn mul(self, other: Self) -> Option<Self> { Some(self * other) }
            #[inline]
            fn div(self, other: Self) -> Option<Self> { (other != 0.0).then(|| self / other) }
            #[inline]
            fn rem(self, other: Self) -> Option<Self> { (other != 0.0).then(|| self % other) }
            #[inline]
            fn neg(self) -> Self { -self }
        }
    )*};
}

integer!(i32, i64);
float!(f32, f64);

/// `a + b`.
#[inline]
pub fn add<T: Number>(a: Option<T>, b: Option<T>) -> Option<T> {
    a.zip(b).and_then(|(a, b)| a.add(b))
}

/// `a - b`.
#[inline]
pub fn sub<T: Number>(a: Option<T>, b: Option<T>) -> Option<T> {
    a.zip(b).and_then(|(a, b)| a.sub(b))
}

/// `a * b`.
#[inline]
pub fn mul<T: Number>(a: Option<T>, b: Option<T>) -> Option<T> {
    a.zip(b).and_then(|(a, b)| a.mul(b))
}

/// `a / b`.
#[inline]
pub fn div<T: Number>(a: Option<T>, b: Option<T>) -> Option<T> {
    a.zip(b).and_then(|(a, b)| a.div(b))
}

/// `a % b`.
#[inline]
pub fn rem<T: Number>(a: Option<T>, b: Option<T>) -> Option<T> {
    a.zip(b).and_then(|(a, b)| a.rem(b))
}

/// `-a`.
#[inline]
pub fn neg<T: Number>(a: Option<T>) -> Option<T> {
    a.map(Number::neg)
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
}

/// `a op b`, with SiddhiQL's null rules (NaN compares unequal to everything).
#[inline]
pub fn compare<T: PartialOrd>(op: Cmp, a: &Option<T>, b: &Option<T>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => match a.partial_cmp(b) {
            None => op == Cmp::Ne,
            Some(ord) => match op {
                Cmp::Lt => ord == Ordering::Less,
                Cmp::Le => ord != Ordering::Greater,
                Cmp::Gt => ord == Ordering::Greater,
                Cmp::Ge => ord != Ordering::Less,
                Cmp::Eq => ord == Ordering::Equal,
                Cmp::Ne => ord != Ordering::Equal,
            },
        },
        // With a null operand only `!=` holds (also null != null, as in Siddhi).
        _ => op == Cmp::Ne,
    }
}

/// Whether a condition holds: only `true` does (null does not).
#[inline]
pub fn holds(value: Option<bool>) -> bool {
    value == Some(true)
}

/// Two optional values in the order sort windows use (the interpreter's total order of values:
/// null first).
pub fn order<T: super::Field>(a: &Option<T>, b: &Option<T>) -> Ordering {
    T::to_value(a).total_cmp(&T::to_value(b))
}

/// Two optional values as `order by` compares them: nulls last in either direction (see
/// [`crate::select::order_by`]).
pub fn order_by<T: super::Field>(a: &Option<T>, b: &Option<T>, descending: bool) -> Ordering {
    crate::select::order_by(a.is_none(), b.is_none(), order(a, b), descending)
}

/// A value's hash, as pattern step keys index partial matches by it (both sides of an
/// equality hash values of one type, so equal values hash alike). Fast, and seeded once per
/// process so that crafted keys cannot be made to collide.
#[inline]
pub fn hash_key<T: std::hash::Hash>(value: &T) -> u64 {
    use std::hash::BuildHasher;
    static SEED: std::sync::LazyLock<foldhash::fast::RandomState> =
        std::sync::LazyLock::new(foldhash::fast::RandomState::default);
    SEED.hash_one(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_rules() {
        assert_eq!(add(Some(1), None), None);
        assert_eq!(div(Some(1), Some(0)), None);
        assert_eq!(add(Some(i32::MAX), Some(1)), Some(i32::MIN));
        assert!(!compare(Cmp::Eq, &None::<i32>, &None));
        assert!(compare(Cmp::Ne, &Some(1), &None));
        assert!(compare(Cmp::Ne, &None::<i32>, &None));
        assert!(compare(Cmp::Ne, &Some(f64::NAN), &Some(f64::NAN)));
        assert!(compare(Cmp::Lt, &Some(1.0), &Some(2.0)));
        assert!(!holds(None));
    }
}
