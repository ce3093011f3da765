//! The Rust types that hold attribute values in generated structs, and their conversions to and
//! from [`Value`] at the typed/untyped boundary (the CLI, the conformance harness, JSON input).
//!
//! Every attribute of a generated struct is an `Option<T>` (`None` is null), with `T` one of:
//! `int` `i32`, `long` `i64`, `float` `f32`, `double` `f64`, `bool` `bool`, `string`
//! [`crate::compiled::Str`] (`Arc<str>`: cloning never copies text), `object` [`Value`].

use crate::value::Value;
use crate::window::Data;
use eventflux_codegen::plan::Type;
use std::sync::Arc;

/// The Rust type of one attribute type.
pub trait Field: Data + PartialEq {
    /// The EventFluxQL type it holds.
    const TYPE: Type;
    /// The value when it is exactly of this type (`None` for null).
    fn exact(value: &Value) -> Option<Self>;
    /// The value as the interpreter holds it.
    fn to_value(value: &Option<Self>) -> Value;
    /// The value as this type, accepting what the interpreter accepts for an attribute of this
    /// type ([`Value::as_attribute`]: a narrower number widens); `Err` names what was found.
    fn from_value(value: &Value) -> Result<Option<Self>, String> {
        value.as_attribute(Self::TYPE).map(|v| Self::exact(&v))
    }
}

macro_rules! field {
    ($t:ty, $ty:ident, $variant:ident) => {
        impl Field for $t {
            const TYPE: Type = Type::$ty;
            fn exact(value: &Value) -> Option<Self> {
                match value {
                    Value::$variant(v) => Some(v.clone()),
                    _ => None,
                }
            }
            fn to_value(value: &Option<Self>) -> Value {
                value.clone().map_or(Value::Null, Value::$variant)
            }
        }
    };
}

field!(i32, Int, Int);
field!(i64, Long, Long);
field!(f32, Float, Float);
field!(f64, Double, Double);
field!(bool, Bool, Bool);
field!(Arc<str>, String, String);

impl Field for Value {
    const TYPE: Type = Type::Object;
    fn exact(value: &Value) -> Option<Self> {
        (!value.is_null()).then(|| value.clone())
    }
    fn to_value(value: &Option<Self>) -> Value {
        value.clone().unwrap_or(Value::Null)
    }
}

/// A value of one type as another, as the typed plan widens operands: numbers convert (and
/// `cast` narrows them), anything becomes an `object`, and what cannot convert is null.
pub trait Convert<T> {
    /// The converted value.
    fn convert(self) -> Option<T>;
}

macro_rules! numeric_convert {
    ($($from:ty => $($to:ty),*);*) => {$($(
        impl Convert<$to> for Option<$from> {
            #[inline]
            fn convert(self) -> Option<$to> {
                self.map(|v| v as $to)
            }
        }
    )*)*};
}

numeric_convert!(
    i32 => i32, i64, f32, f64;
    i64 => i32, i64, f32, f64;
    f32 => i32, i64, f32, f64;
    f64 => i32, i64, f32, f64
);

impl Convert<bool> for Option<bool> {
    #[inline]
    fn convert(self) -> Option<bool> {
        self
    }
}

impl Convert<Arc<str>> for Option<Arc<str>> {
    #[inline]
    fn convert(self) -> Option<Arc<str>> {
        self
    }
}

macro_rules! from_object {
    ($($to:ty),*) => {$(
        impl Convert<$to> for Option<Value> {
            fn convert(self) -> Option<$to> {
                self.and_then(|v| from_value::<$to>(v))
            }
        }
    )*};
}

from_object!(i32, i64, f32, f64, bool, Arc<str>);

impl<T: Field> Convert<Value> for Option<T> {
    #[inline]
    fn convert(self) -> Option<Value> {
        Some(T::to_value(&self)).filter(|v| !v.is_null())
    }
}

/// A [`Value`] (the result of a built-in function) as the typed attribute `T`: null when it is
/// of another type.
pub fn from_value<T: Field>(value: Value) -> Option<T> {
    T::from_value(&value).ok().flatten()
}

/// A typed value as a [`Value`].
pub fn to_value<T: Field>(value: Option<T>) -> Value {
    T::to_value(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrower_numbers_widen_and_other_types_are_refused() {
        assert_eq!(f64::from_value(&Value::Int(3)), Ok(Some(3.0)));
        assert_eq!(i64::from_value(&Value::Null), Ok(None));
        assert!(i32::from_value(&Value::Long(3)).is_err());
        assert!(f32::from_value(&Value::Long(3)).is_err());
        assert_eq!(<Option<i32> as Convert<f64>>::convert(Some(2)), Some(2.0));
        assert_eq!(
            <Option<i64> as Convert<Value>>::convert(None),
            None::<Value>
        );
    }
}
