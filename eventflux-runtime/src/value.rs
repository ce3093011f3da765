//! Run-time values of the interpreter, with SiddhiQL's (Java's) arithmetic and comparison rules.
//!
//! The compiled path uses plain Rust types; this enum is what a row of the interpreter holds.
//! Strings are shared (`Arc<str>`): cloning a value never copies text.

use eventflux_codegen::plan::{BinaryOp, Type};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::sync::Arc;

/// One attribute value.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub enum Value {
    /// No value.
    #[default]
    Null,
    /// A bool.
    Bool(bool),
    /// A 32-bit int.
    Int(i32),
    /// A 64-bit long.
    Long(i64),
    /// A 32-bit float.
    Float(f32),
    /// A 64-bit double.
    Double(f64),
    /// A shared string.
    String(Arc<str>),
    /// A set of values (`createSet`, `unionSet`).
    Set(Arc<Vec<Value>>),
}

/// Why values do not make a row of attributes (see [`fit_row`]).
#[derive(Clone, Debug, PartialEq)]
pub enum RowMisfit {
    /// `found` values for `expected` attributes.
    Arity {
        /// The attributes.
        expected: usize,
        /// The values.
        found: usize,
    },
    /// The value at `index` does not fit its attribute's type.
    Type {
        /// The attribute's position.
        index: usize,
        /// What is wrong with the value.
        problem: String,
    },
}

/// Fits `values` to attributes `attributes` (names and types) in place: one value per
/// attribute, each of its type or widened to it as [`Value::as_attribute`] does.
pub fn fit_row(values: &mut [Value], attributes: &[(String, Type)]) -> Result<(), RowMisfit> {
    if values.len() != attributes.len() {
        return Err(RowMisfit::Arity {
            expected: attributes.len(),
            found: values.len(),
        });
    }
    for (index, (v, (_, ty))) in values.iter_mut().zip(attributes).enumerate() {
        if v.ty() == Some(*ty) {
            continue;
        }
        *v = v
            .as_attribute(*ty)
            .map_err(|problem| RowMisfit::Type { index, problem })?;
    }
    Ok(())
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        // Same-kind text and integers (group, partition and join keys) skip the general
        // comparison; the result is the one `total_cmp` gives.
        match (self, other) {
            (Value::String(a), Value::String(b)) => Arc::ptr_eq(a, b) || a == b,
            (Value::Long(a), Value::Long(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            _ => self.total_cmp(other) == Ordering::Equal,
        }
    }
}

impl Eq for Value {}

impl std::hash::Hash for Value {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            Value::Null => 0u8.hash(state),
            Value::Bool(b) => (1u8, b).hash(state),
            Value::Int(v) => (2u8, *v as i64).hash(state),
            Value::Long(v) => (2u8, *v).hash(state),
            Value::Float(_) | Value::Double(_) => {
                let f = self.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    (2u8, f as i64).hash(state)
                } else {
                    (3u8, f.to_bits()).hash(state)
                }
            }
            Value::String(s) => s.hash(state),
            Value::Set(s) => s.hash(state),
        }
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        self.total_cmp(other)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(Arc::from(s))
    }
}

impl Value {
    /// The type of this value (`None` for null).
    pub fn ty(&self) -> Option<Type> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => Type::Bool,
            Value::Int(_) => Type::Int,
            Value::Long(_) => Type::Long,
            Value::Float(_) => Type::Float,
            Value::Double(_) => Type::Double,
            Value::String(_) => Type::String,
            Value::Set(_) => Type::Object,
        })
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A total order used for sorting, grouping and set membership: null first, then by kind;
    /// numbers of different types compare by value.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Less,
            (_, Null) => Ordering::Greater,
            (Bool(a), Bool(b)) => a.cmp(b),
            (String(a), String(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (Long(a), Long(b)) => a.cmp(b),
            (Set(a), Set(b)) => a.cmp(b),
            (a, b) if a.is_number() && b.is_number() => match (a.as_i64(), b.as_i64()) {
                (Some(x), Some(y)) if !a.is_fractional() && !b.is_fractional() => x.cmp(&y),
                _ => a
                    .as_f64()
                    .unwrap_or(0.0)
                    .total_cmp(&b.as_f64().unwrap_or(0.0)),
            },
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int(_) | Value::Long(_) | Value::Float(_) | Value::Double(_) => 2,
            Value::String(_) => 3,
            Value::Set(_) => 4,
        }
    }

    fn is_number(&self) -> bool {
        matches!(
            self,
            Value::Int(_) | Value::Long(_) | Value::Float(_) | Value::Double(_)
        )
    }

    fn is_fractional(&self) -> bool {
        matches!(self, Value::Float(_) | Value::Double(_))
    }

    /// The value as a long, for int and long (floats are truncated toward zero).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v as i64),
            Value::Long(v) => Some(*v),
            Value::Float(v) => Some(*v as i64),
            Value::Double(v) => Some(*v as i64),
            _ => None,
        }
    }

    /// The value as a double, for any number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(v) => Some(*v as f64),
            Value::Long(v) => Some(*v as f64),
            Value::Float(v) => Some(*v as f64),
            Value::Double(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as a bool (`None` unless it is a bool).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value as an attribute of type `ty`: null and any value fit `object`, a number widens to
    /// a wider number type (int to long, float or double; long and float to double); otherwise
    /// `Err` says what was found instead.
    pub fn as_attribute(&self, ty: Type) -> Result<Value, String> {
        let fits = match (self, ty) {
            (Value::Null, _) | (_, Type::Object) => true,
            (v, t) if v.ty() == Some(t) => true,
            (Value::Int(_), Type::Long | Type::Float | Type::Double) => true,
            (Value::Long(_) | Value::Float(_), Type::Double) => true,
            _ => false,
        };
        if !fits {
            return Err(format!(
                "found {} ({})",
                self.to_text(),
                self.ty().map_or("null".into(), |t| t.to_string())
            ));
        }
        Ok(if ty.is_numeric() {
            self.to_numeric(ty)
        } else {
            self.clone()
        })
    }

    /// The value widened (or narrowed, for `cast`) to numeric type `ty`; non-numbers unchanged.
    pub fn to_numeric(&self, ty: Type) -> Value {
        match (ty, self) {
            (_, Value::Null) => Value::Null,
            // Java: a float or double saturates at the int limits, a long wraps.
            (Type::Int, Value::Float(f)) => Value::Int(*f as i32),
            (Type::Int, Value::Double(d)) => Value::Int(*d as i32),
            (Type::Int, v) if v.is_number() => Value::Int(v.as_i64().unwrap_or(0) as i32),
            (Type::Long, v) if v.is_number() => Value::Long(v.as_i64().unwrap_or(0)),
            (Type::Float, v) if v.is_number() => Value::Float(v.as_f64().unwrap_or(0.0) as f32),
            (Type::Double, Value::Float(f)) => Value::Double(*f as f64),
            (Type::Double, v) if v.is_number() => Value::Double(v.as_f64().unwrap_or(0.0)),
            (_, v) => v.clone(),
        }
    }

    /// `a op b` computed in `operand` (the promoted type): ints wrap, division or modulo by zero
    /// is null, null operands give null.
    pub fn arith(op: BinaryOp, operand: Type, a: &Value, b: &Value) -> Value {
        if a.is_null() || b.is_null() {
            return Value::Null;
        }
        match (a.to_numeric(operand), b.to_numeric(operand)) {
            (Value::Int(x), Value::Int(y)) => match op {
                BinaryOp::Add => Value::Int(x.wrapping_add(y)),
                BinaryOp::Sub => Value::Int(x.wrapping_sub(y)),
                BinaryOp::Mul => Value::Int(x.wrapping_mul(y)),
                BinaryOp::Div if y == 0 => Value::Null,
                BinaryOp::Div => Value::Int(x.wrapping_div(y)),
                BinaryOp::Mod if y == 0 => Value::Null,
                BinaryOp::Mod => Value::Int(x.wrapping_rem(y)),
                _ => Value::Null,
            },
            (Value::Long(x), Value::Long(y)) => match op {
                BinaryOp::Add => Value::Long(x.wrapping_add(y)),
                BinaryOp::Sub => Value::Long(x.wrapping_sub(y)),
                BinaryOp::Mul => Value::Long(x.wrapping_mul(y)),
                BinaryOp::Div if y == 0 => Value::Null,
                BinaryOp::Div => Value::Long(x.wrapping_div(y)),
                BinaryOp::Mod if y == 0 => Value::Null,
                BinaryOp::Mod => Value::Long(x.wrapping_rem(y)),
                _ => Value::Null,
            },
            (Value::Float(x), Value::Float(y)) => match op {
                BinaryOp::Add => Value::Float(x + y),
                BinaryOp::Sub => Value::Float(x - y),
                BinaryOp::Mul => Value::Float(x * y),
                BinaryOp::Div if y == 0.0 => Value::Null,
                BinaryOp::Div => Value::Float(x / y),
                BinaryOp::Mod if y == 0.0 => Value::Null,
                BinaryOp::Mod => Value::Float(x % y),
                _ => Value::Null,
            },
            (Value::Double(x), Value::Double(y)) => match op {
                BinaryOp::Add => Value::Double(x + y),
                BinaryOp::Sub => Value::Double(x - y),
                BinaryOp::Mul => Value::Double(x * y),
                BinaryOp::Div if y == 0.0 => Value::Null,
                BinaryOp::Div => Value::Double(x / y),
                BinaryOp::Mod if y == 0.0 => Value::Null,
                BinaryOp::Mod => Value::Double(x % y),
                _ => Value::Null,
            },
            _ => Value::Null,
        }
    }

    /// `a op b` for a comparison operator: false when either side is null, except `!=`, which
    /// is true.
    pub fn compare(op: BinaryOp, operand: Type, a: &Value, b: &Value) -> bool {
        // With a null operand only `!=` holds (also null != null, as in Siddhi).
        if a.is_null() || b.is_null() {
            return op == BinaryOp::Ne;
        }
        let ord = if operand.is_numeric() {
            let (x, y) = (a.to_numeric(operand), b.to_numeric(operand));
            match (&x, &y) {
                (Value::Float(p), Value::Float(q)) => p.partial_cmp(q),
                (Value::Double(p), Value::Double(q)) => p.partial_cmp(q),
                _ => Some(x.total_cmp(&y)),
            }
        } else {
            Some(a.total_cmp(b))
        };
        Self::holds(op, ord)
    }

    /// Whether comparison `op` holds for two non-null values ordered `ord` (`None`: unordered,
    /// a NaN, where only `!=` holds).
    #[inline]
    pub fn holds(op: BinaryOp, ord: Option<Ordering>) -> bool {
        let Some(ord) = ord else {
            return op == BinaryOp::Ne;
        };
        match op {
            BinaryOp::Lt => ord == Ordering::Less,
            BinaryOp::Le => ord != Ordering::Greater,
            BinaryOp::Gt => ord == Ordering::Greater,
            BinaryOp::Ge => ord != Ordering::Less,
            BinaryOp::Eq => ord == Ordering::Equal,
            BinaryOp::Ne => ord != Ordering::Equal,
            _ => false,
        }
    }

    /// The value as Java's `String.valueOf` prints it (`100.0` for a double).
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(v) => v.to_string(),
            Value::Long(v) => v.to_string(),
            Value::Float(v) => java_float(*v as f64, true),
            Value::Double(v) => java_float(*v, false),
            Value::String(s) => s.to_string(),
            Value::Set(items) => {
                let parts: Vec<String> = items.iter().map(Value::to_text).collect();
                format!("[{}]", parts.join(", "))
            }
        }
    }

    /// The value as JSON (null, bool, number or string; a set as an array).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(v) => (*v).into(),
            Value::Long(v) => (*v).into(),
            Value::Float(v) => serde_json::Number::from_f64(*v as f64)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Double(v) => serde_json::Number::from_f64(*v)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Set(items) => items.iter().map(Value::to_json).collect(),
        }
    }

    /// The JSON value `json` as a value of type `ty`, or a description of why it is not one.
    pub fn from_json(json: &serde_json::Value, ty: Type) -> Result<Value, String> {
        use serde_json::Value as J;
        let wrong = || format!("expected {ty}, found {json}");
        Ok(match (ty, json) {
            (_, J::Null) => Value::Null,
            (Type::Bool, J::Bool(b)) => Value::Bool(*b),
            (Type::Int, J::Number(n)) => Value::Int(
                n.as_i64()
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or_else(wrong)?,
            ),
            (Type::Long, J::Number(n)) => Value::Long(n.as_i64().ok_or_else(wrong)?),
            (Type::Float, J::Number(n)) => Value::Float(n.as_f64().ok_or_else(wrong)? as f32),
            (Type::Double, J::Number(n)) => Value::Double(n.as_f64().ok_or_else(wrong)?),
            (Type::String, J::String(s)) => Value::String(Arc::from(s.as_str())),
            (Type::Object, J::Bool(b)) => Value::Bool(*b),
            (Type::Object, J::String(s)) => Value::String(Arc::from(s.as_str())),
            (Type::Object, J::Number(n)) => match n.as_i64() {
                Some(v) => Value::Long(v),
                None => Value::Double(n.as_f64().ok_or_else(wrong)?),
            },
            _ => return Err(wrong()),
        })
    }
}

/// A double printed as Java prints it: `100.0`, `0.1`, `1.0E10`.
fn java_float(v: f64, single: bool) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let abs = v.abs();
    if abs != 0.0 && !(1e-3..1e7).contains(&abs) {
        let text = if single {
            format!("{:E}", v as f32)
        } else {
            format!("{v:E}")
        };
        let (mantissa, exp) = text.split_once('E').unwrap_or((&text, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        return format!("{mantissa}E{exp}");
    }
    let text = if single {
        format!("{:?}", v as f32)
    } else {
        format!("{v:?}")
    };
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_arithmetic() {
        let add = |a, b| Value::arith(BinaryOp::Add, Type::Int, &a, &b);
        assert_eq!(
            add(Value::Int(i32::MAX), Value::Int(1)),
            Value::Int(i32::MIN)
        );
        assert_eq!(
            Value::arith(BinaryOp::Div, Type::Int, &Value::Int(7), &Value::Int(-2)),
            Value::Int(-3)
        );
        assert!(Value::arith(BinaryOp::Div, Type::Int, &Value::Int(1), &Value::Int(0)).is_null());
        assert!(
            Value::arith(
                BinaryOp::Div,
                Type::Double,
                &Value::Double(1.0),
                &Value::Double(0.0)
            )
            .is_null()
        );
        assert!(Value::arith(BinaryOp::Add, Type::Int, &Value::Null, &Value::Int(1)).is_null());
        assert_eq!(
            Value::arith(BinaryOp::Mul, Type::Long, &Value::Int(3), &Value::Long(4)),
            Value::Long(12)
        );
    }

    #[test]
    fn comparisons_with_null_and_widening() {
        let f = Value::Float(55.6);
        assert!(!Value::compare(
            BinaryOp::Eq,
            Type::Double,
            &f,
            &Value::Double(55.6)
        ));
        assert!(Value::compare(
            BinaryOp::Eq,
            Type::Float,
            &f,
            &Value::Float(55.6)
        ));
        assert!(!Value::compare(
            BinaryOp::Gt,
            Type::Double,
            &Value::Null,
            &Value::Double(1.0)
        ));
        assert!(Value::compare(
            BinaryOp::Ne,
            Type::Double,
            &Value::Null,
            &Value::Double(1.0)
        ));
    }

    #[test]
    fn numbers_that_compare_equal_hash_equal() {
        use std::hash::{BuildHasher, RandomState};
        let h = RandomState::new();
        for (a, b) in [
            (Value::Int(1), Value::Long(1)),
            (Value::Long(3), Value::Double(3.0)),
            (Value::Float(2.5), Value::Double(2.5)),
        ] {
            assert_eq!(a, b);
            assert_eq!(h.hash_one(&a), h.hash_one(&b));
        }
    }

    #[test]
    fn java_text() {
        assert_eq!(Value::Double(100.0).to_text(), "100.0");
        assert_eq!(Value::Double(0.1).to_text(), "0.1");
        assert_eq!(Value::Double(1e10).to_text(), "1.0E10");
        assert_eq!(Value::Float(2.5).to_text(), "2.5");
    }
}
