//! [`DynAggregator`]: every built-in aggregator over [`Value`]s, for the interpreter.
//!
//! It wraps the typed aggregators, instantiated for the argument's type from the plan, so both
//! paths compute the same results, and its values have exactly the type
//! [`AggregatorKind::result_type`] gives: sum of int/long is a long, of float/double a double;
//! min/max (and their `Forever` variants) keep the argument's type; avg and stdDev are doubles;
//! count and distinctCount longs; and/or bools; unionSet a set.

use super::{
    Aggregator, And, Avg, Count, DistinctCount, Max, MaxForever, Min, MinForever, Or, StdDev,
    SumDouble, SumLong, UnionSet,
};
use crate::value::Value;
use eventflux_codegen::catalog::AggregatorKind;
use eventflux_codegen::plan::Type;
use serde::{Deserialize, Serialize};

/// One aggregator family instantiated for the argument's type: one of the four numeric types, or
/// any other type (compared through [`Value`]'s total order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PerType<I, L, F, D, V> {
    /// Over ints.
    Int(I),
    /// Over longs.
    Long(L),
    /// Over floats.
    Float(F),
    /// Over doubles (also used when the plan gives no argument type).
    Double(D),
    /// Over values of another type.
    Other(V),
}

impl<I, L, F, D, V> PerType<I, L, F, D, V>
where
    I: Aggregator<Input = Option<i32>, Output = Option<i32>> + Default,
    L: Aggregator<Input = Option<i64>, Output = Option<i64>> + Default,
    F: Aggregator<Input = Option<f32>, Output = Option<f32>> + Default,
    D: Aggregator<Input = Option<f64>, Output = Option<f64>> + Default,
    V: Aggregator<Input = Option<Value>, Output = Option<Value>> + Default,
{
    /// The family member for argument type `arg`.
    fn for_type(arg: Option<Type>) -> Self {
        match arg {
            Some(Type::Int) => PerType::Int(I::default()),
            Some(Type::Long) => PerType::Long(L::default()),
            Some(Type::Float) => PerType::Float(F::default()),
            Some(Type::Double) | None => PerType::Double(D::default()),
            Some(_) => PerType::Other(V::default()),
        }
    }

    fn add(&mut self, value: Value) {
        match self {
            PerType::Int(a) => a.add(int_of(&value)),
            PerType::Long(a) => a.add(value.as_i64()),
            PerType::Float(a) => a.add(float_of(&value)),
            PerType::Double(a) => a.add(value.as_f64()),
            PerType::Other(a) => a.add(non_null(value)),
        }
    }

    fn remove(&mut self, value: Value) {
        match self {
            PerType::Int(a) => a.remove(int_of(&value)),
            PerType::Long(a) => a.remove(value.as_i64()),
            PerType::Float(a) => a.remove(float_of(&value)),
            PerType::Double(a) => a.remove(value.as_f64()),
            PerType::Other(a) => a.remove(non_null(value)),
        }
    }

    fn reset(&mut self) {
        match self {
            PerType::Int(a) => a.reset(),
            PerType::Long(a) => a.reset(),
            PerType::Float(a) => a.reset(),
            PerType::Double(a) => a.reset(),
            PerType::Other(a) => a.reset(),
        }
    }

    fn value(&self) -> Value {
        match self {
            PerType::Int(a) => a.value().map_or(Value::Null, Value::Int),
            PerType::Long(a) => a.value().map_or(Value::Null, Value::Long),
            PerType::Float(a) => a.value().map_or(Value::Null, Value::Float),
            PerType::Double(a) => a.value().map_or(Value::Null, Value::Double),
            PerType::Other(a) => a.value().unwrap_or(Value::Null),
        }
    }
}

/// `min` for each argument type.
pub type MinByType = PerType<Min<i32>, Min<i64>, Min<f32>, Min<f64>, Min<Value>>;
/// `max` for each argument type.
pub type MaxByType = PerType<Max<i32>, Max<i64>, Max<f32>, Max<f64>, Max<Value>>;
/// `minForever` for each argument type.
pub type MinForeverByType =
    PerType<MinForever<i32>, MinForever<i64>, MinForever<f32>, MinForever<f64>, MinForever<Value>>;
/// `maxForever` for each argument type.
pub type MaxForeverByType =
    PerType<MaxForever<i32>, MaxForever<i64>, MaxForever<f32>, MaxForever<f64>, MaxForever<Value>>;

/// Any built-in aggregator, over [`Value`]s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DynAggregator {
    /// `sum` of ints or longs.
    SumLong(SumLong),
    /// `sum` of floats or doubles.
    SumDouble(SumDouble),
    /// `count()` or `count(x)`.
    Count(Count),
    /// `avg(x)`.
    Avg(Avg),
    /// `min(x)`.
    Min(MinByType),
    /// `max(x)`.
    Max(MaxByType),
    /// `minForever(x)`.
    MinForever(MinForeverByType),
    /// `maxForever(x)`.
    MaxForever(MaxForeverByType),
    /// `distinctCount(x)`.
    DistinctCount(DistinctCount<Value>),
    /// `stdDev(x)`.
    StdDev(StdDev),
    /// `and(x)`.
    And(And),
    /// `or(x)`.
    Or(Or),
    /// `unionSet(set)`.
    UnionSet(UnionSet),
}

impl DynAggregator {
    /// An empty aggregator `kind` over an argument of type `arg` (`None` for `count()`).
    pub fn new(kind: AggregatorKind, arg: Option<Type>) -> DynAggregator {
        match kind {
            AggregatorKind::Sum => match arg {
                Some(Type::Float | Type::Double) => DynAggregator::SumDouble(SumDouble::new()),
                _ => DynAggregator::SumLong(SumLong::new()),
            },
            AggregatorKind::Count => DynAggregator::Count(Count::new()),
            AggregatorKind::Avg => DynAggregator::Avg(Avg::new()),
            AggregatorKind::Min => DynAggregator::Min(PerType::for_type(arg)),
            AggregatorKind::Max => DynAggregator::Max(PerType::for_type(arg)),
            AggregatorKind::MinForever => DynAggregator::MinForever(PerType::for_type(arg)),
            AggregatorKind::MaxForever => DynAggregator::MaxForever(PerType::for_type(arg)),
            AggregatorKind::DistinctCount => DynAggregator::DistinctCount(DistinctCount::new()),
            AggregatorKind::StdDev => DynAggregator::StdDev(StdDev::new()),
            AggregatorKind::And => DynAggregator::And(And::new()),
            AggregatorKind::Or => DynAggregator::Or(Or::new()),
            AggregatorKind::UnionSet => DynAggregator::UnionSet(UnionSet::new()),
        }
    }
}

impl Aggregator for DynAggregator {
    type Input = Value;
    type Output = Value;

    fn add(&mut self, value: Value) {
        match self {
            DynAggregator::SumLong(a) => a.add(value.as_i64()),
            DynAggregator::SumDouble(a) => a.add(value.as_f64()),
            DynAggregator::Count(a) => a.add(()),
            DynAggregator::Avg(a) => a.add(value.as_f64()),
            DynAggregator::Min(a) => a.add(value),
            DynAggregator::Max(a) => a.add(value),
            DynAggregator::MinForever(a) => a.add(value),
            DynAggregator::MaxForever(a) => a.add(value),
            DynAggregator::DistinctCount(a) => a.add(non_null(value)),
            DynAggregator::StdDev(a) => a.add(value.as_f64()),
            DynAggregator::And(a) => a.add(value.as_bool()),
            DynAggregator::Or(a) => a.add(value.as_bool()),
            DynAggregator::UnionSet(a) => a.add(value),
        }
    }

    fn remove(&mut self, value: Value) {
        match self {
            DynAggregator::SumLong(a) => a.remove(value.as_i64()),
            DynAggregator::SumDouble(a) => a.remove(value.as_f64()),
            DynAggregator::Count(a) => a.remove(()),
            DynAggregator::Avg(a) => a.remove(value.as_f64()),
            DynAggregator::Min(a) => a.remove(value),
            DynAggregator::Max(a) => a.remove(value),
            DynAggregator::MinForever(a) => a.remove(value),
            DynAggregator::MaxForever(a) => a.remove(value),
            DynAggregator::DistinctCount(a) => a.remove(non_null(value)),
            DynAggregator::StdDev(a) => a.remove(value.as_f64()),
            DynAggregator::And(a) => a.remove(value.as_bool()),
            DynAggregator::Or(a) => a.remove(value.as_bool()),
            DynAggregator::UnionSet(a) => a.remove(value),
        }
    }

    fn reset(&mut self) {
        match self {
            DynAggregator::SumLong(a) => a.reset(),
            DynAggregator::SumDouble(a) => a.reset(),
            DynAggregator::Count(a) => a.reset(),
            DynAggregator::Avg(a) => a.reset(),
            DynAggregator::Min(a) => a.reset(),
            DynAggregator::Max(a) => a.reset(),
            DynAggregator::MinForever(a) => a.reset(),
            DynAggregator::MaxForever(a) => a.reset(),
            DynAggregator::DistinctCount(a) => a.reset(),
            DynAggregator::StdDev(a) => a.reset(),
            DynAggregator::And(a) => a.reset(),
            DynAggregator::Or(a) => a.reset(),
            DynAggregator::UnionSet(a) => a.reset(),
        }
    }

    fn value(&self) -> Value {
        match self {
            DynAggregator::SumLong(a) => a.value().map_or(Value::Null, Value::Long),
            DynAggregator::SumDouble(a) => a.value().map_or(Value::Null, Value::Double),
            DynAggregator::Count(a) => Value::Long(a.value()),
            DynAggregator::Avg(a) => a.value().map_or(Value::Null, Value::Double),
            DynAggregator::Min(a) => a.value(),
            DynAggregator::Max(a) => a.value(),
            DynAggregator::MinForever(a) => a.value(),
            DynAggregator::MaxForever(a) => a.value(),
            DynAggregator::DistinctCount(a) => Value::Long(a.value()),
            DynAggregator::StdDev(a) => a.value().map_or(Value::Null, Value::Double),
            DynAggregator::And(a) => Value::Bool(a.value()),
            DynAggregator::Or(a) => Value::Bool(a.value()),
            DynAggregator::UnionSet(a) => Value::Set(a.value()),
        }
    }
}

/// `value` as an int (numbers are converted; anything else is null).
fn int_of(value: &Value) -> Option<i32> {
    match value.to_numeric(Type::Int) {
        Value::Int(v) => Some(v),
        _ => None,
    }
}

/// `value` as a float (numbers are converted; anything else is null).
fn float_of(value: &Value) -> Option<f32> {
    match value.to_numeric(Type::Float) {
        Value::Float(v) => Some(v),
        _ => None,
    }
}

/// `value`, or `None` for null.
fn non_null(value: Value) -> Option<Value> {
    (!value.is_null()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::round_trip;
    use eventflux_codegen::catalog::{AGGREGATORS, AggregatorInput};
    use std::sync::Arc;

    const TYPES: [Type; 7] = [
        Type::Int,
        Type::Long,
        Type::Float,
        Type::Double,
        Type::String,
        Type::Bool,
        Type::Object,
    ];

    /// The argument types the catalog accepts for `input`.
    fn allowed(input: AggregatorInput) -> Vec<Option<Type>> {
        match input {
            AggregatorInput::OptionalAny => std::iter::once(None).chain(TYPES.map(Some)).collect(),
            AggregatorInput::Any => TYPES.map(Some).to_vec(),
            AggregatorInput::Numeric => TYPES
                .into_iter()
                .filter(|t| t.is_numeric())
                .map(Some)
                .collect(),
            AggregatorInput::Bool => vec![Some(Type::Bool)],
            AggregatorInput::Set => vec![Some(Type::Object)],
        }
    }

    /// A non-null value of type `ty` (a set for object), or null for no argument.
    fn sample(ty: Option<Type>) -> Value {
        match ty {
            None => Value::Null,
            Some(Type::Int) => Value::Int(3),
            Some(Type::Long) => Value::Long(3),
            Some(Type::Float) => Value::Float(2.5),
            Some(Type::Double) => Value::Double(2.5),
            Some(Type::String) => Value::from("s"),
            Some(Type::Bool) => Value::Bool(true),
            Some(Type::Object) => Value::Set(Arc::new(vec![Value::Int(1)])),
        }
    }

    #[test]
    fn result_types_match_the_catalog() {
        let mut checked = 0;
        for info in AGGREGATORS {
            for arg in allowed(info.input) {
                let mut agg = DynAggregator::new(info.kind, arg);
                agg.add(sample(arg));
                agg.add(sample(arg));
                let expected = info.kind.result_type(arg);
                assert_eq!(agg.value().ty(), Some(expected), "{}({arg:?})", info.name);
                let back = round_trip(&agg);
                assert_eq!(back, agg, "{}({arg:?})", info.name);
                assert_eq!(back.value().ty(), Some(expected), "{}({arg:?})", info.name);
                checked += 1;
            }
        }
        assert_eq!(checked, 8 + 7 * 4 + 7 + 1 + 1 + 1);
    }

    #[test]
    fn empty_values() {
        for info in AGGREGATORS {
            for arg in allowed(info.input) {
                let expected = match info.kind {
                    AggregatorKind::Count | AggregatorKind::DistinctCount => Value::Long(0),
                    AggregatorKind::And | AggregatorKind::Or => Value::Bool(false),
                    AggregatorKind::UnionSet => Value::Set(Arc::new(Vec::new())),
                    _ => Value::Null,
                };
                let mut agg = DynAggregator::new(info.kind, arg);
                assert_eq!(agg.value(), expected, "{}({arg:?})", info.name);
                agg.add(sample(arg));
                agg.remove(sample(arg));
                if !matches!(
                    info.kind,
                    AggregatorKind::MinForever | AggregatorKind::MaxForever
                ) {
                    assert_eq!(agg.value(), expected, "{}({arg:?})", info.name);
                }
            }
        }
    }

    #[test]
    fn any_input_is_safe() {
        let args = std::iter::once(None).chain(TYPES.map(Some));
        for info in AGGREGATORS {
            for arg in args.clone() {
                let mut agg = DynAggregator::new(info.kind, arg);
                for ty in args.clone() {
                    agg.add(sample(ty));
                    agg.remove(sample(ty));
                    agg.remove(sample(ty));
                    agg.value();
                }
                agg.reset();
                agg.value();
            }
        }
    }

    #[test]
    fn typed_results_and_nulls() {
        let mut min = DynAggregator::new(AggregatorKind::Min, Some(Type::Int));
        let mut sum = DynAggregator::new(AggregatorKind::Sum, Some(Type::Int));
        let mut avg = DynAggregator::new(AggregatorKind::Avg, Some(Type::Int));
        let mut count = DynAggregator::new(AggregatorKind::Count, Some(Type::Int));
        for v in [Value::Int(10), Value::Null, Value::Int(20)] {
            for agg in [&mut min, &mut sum, &mut avg, &mut count] {
                agg.add(v.clone());
            }
        }
        assert_eq!(min.value(), Value::Int(10));
        assert!(matches!(min.value(), Value::Int(10)));
        assert!(matches!(sum.value(), Value::Long(30)));
        assert!(matches!(avg.value(), Value::Double(15.0)));
        assert!(matches!(count.value(), Value::Long(3)));
        for agg in [&mut min, &mut sum, &mut avg, &mut count] {
            agg.reset();
        }
        assert!(min.value().is_null() && sum.value().is_null() && avg.value().is_null());
        assert!(matches!(count.value(), Value::Long(0)));
    }

    #[test]
    fn float_sum_and_avg_accumulate_in_double() {
        let mut sum = DynAggregator::new(AggregatorKind::Sum, Some(Type::Float));
        let mut avg = DynAggregator::new(AggregatorKind::Avg, Some(Type::Float));
        let mut max = DynAggregator::new(AggregatorKind::Max, Some(Type::Float));
        for f in [0.1f32, 0.2, 0.7] {
            for agg in [&mut sum, &mut avg, &mut max] {
                agg.add(Value::Float(f));
            }
        }
        assert!(matches!(sum.value(), Value::Double(v) if v == 0.9999999925494194));
        assert!(matches!(avg.value(), Value::Double(v) if v == 0.3333333308498065));
        assert!(matches!(max.value(), Value::Float(v) if v == 0.7));
    }

    #[test]
    fn distinct_count_counts_null_once() {
        let mut d = DynAggregator::new(AggregatorKind::DistinctCount, Some(Type::String));
        for v in [Value::from("a"), Value::Null, Value::from("a"), Value::Null] {
            d.add(v);
        }
        assert_eq!(d.value(), Value::Long(2));
        d.remove(Value::Null);
        assert_eq!(d.value(), Value::Long(2));
        d.remove(Value::Null);
        assert_eq!(d.value(), Value::Long(1));
    }

    #[test]
    fn forever_survives_reset_and_others_do_not() {
        let mut lo = DynAggregator::new(AggregatorKind::MinForever, Some(Type::Long));
        let mut std = DynAggregator::new(AggregatorKind::StdDev, Some(Type::Long));
        let mut all = DynAggregator::new(AggregatorKind::And, Some(Type::Bool));
        let mut union = DynAggregator::new(AggregatorKind::UnionSet, Some(Type::Object));
        lo.add(Value::Long(4));
        std.add(Value::Long(2));
        std.add(Value::Long(4));
        all.add(Value::Bool(true));
        union.add(sample(Some(Type::Object)));
        assert_eq!(std.value(), Value::Double(1.0));
        assert_eq!(all.value(), Value::Bool(true));
        assert_eq!(union.value(), sample(Some(Type::Object)));
        for agg in [&mut lo, &mut std, &mut all, &mut union] {
            agg.reset();
        }
        assert!(matches!(lo.value(), Value::Long(4)));
        assert!(std.value().is_null());
        assert_eq!(all.value(), Value::Bool(false));
        assert_eq!(union.value(), Value::Set(Arc::new(Vec::new())));
    }

    #[test]
    fn min_of_strings_keeps_strings() {
        let mut lo = DynAggregator::new(AggregatorKind::Min, Some(Type::String));
        lo.add(Value::from("pear"));
        lo.add(Value::from("apple"));
        lo.add(Value::Null);
        assert_eq!(lo.value(), Value::from("apple"));
        lo.remove(Value::from("apple"));
        assert_eq!(lo.value(), Value::from("pear"));
    }
}
