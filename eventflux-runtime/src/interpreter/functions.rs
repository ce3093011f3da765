//! The built-in scalar functions of the catalog, as closures over compiled arguments.

use super::expr::{CompileError, Ctx, Eval};
use crate::value::Value;
use eventflux_codegen::catalog::ScalarFunction;
use eventflux_codegen::plan::{ExprNode, Type, TypedExpr};
use std::sync::Arc;

/// The target type named by a `cast`/`convert` call's second argument.
fn target_type(call: &TypedExpr) -> Type {
    call.ty
}

/// `value` converted to `ty` as `convert` does: strings parse (null when they do not, except
/// that a bool is `true` only for the text "true"), numbers truncate toward zero, bools become
/// 1/0, and a number is `true` only when it is 1.
pub fn convert(value: &Value, ty: Type) -> Value {
    use Value as V;
    match (ty, value) {
        (_, V::Null) => V::Null,
        (Type::String, v) => V::String(Arc::from(v.to_text().as_str())),
        (Type::Bool, V::Bool(b)) => V::Bool(*b),
        (Type::Bool, V::String(s)) => V::Bool(s.eq_ignore_ascii_case("true")),
        (Type::Bool, v) => v.as_f64().map_or(V::Null, |n| V::Bool(n == 1.0)),
        (Type::Int | Type::Long | Type::Float | Type::Double, V::Bool(b)) => {
            V::Int(*b as i32).to_numeric(ty)
        }
        (Type::Int, V::String(s)) => s.parse::<i32>().map_or(V::Null, V::Int),
        (Type::Long, V::String(s)) => s.parse::<i64>().map_or(V::Null, V::Long),
        (Type::Float, V::String(s)) => java_double(s).map_or(V::Null, |d| V::Float(d as f32)),
        (Type::Double, V::String(s)) => java_double(s).map_or(V::Null, V::Double),
        (Type::Int | Type::Long | Type::Float | Type::Double, v) => v.to_numeric(ty),
        (Type::Object, v) => v.clone(),
    }
}

/// A string parsed as Java's `Double.parseDouble` does: surrounding whitespace ignored, an
/// optional `d`/`f` suffix, `Infinity` and `NaN` spelled as Java spells them.
fn java_double(s: &str) -> Option<f64> {
    let t = s.trim();
    let t = t
        .strip_suffix(['d', 'D', 'f', 'F'])
        .filter(|rest| !rest.is_empty() && !rest.ends_with(['d', 'D', 'f', 'F']))
        .unwrap_or(t);
    let unsigned = t.trim_start_matches(['+', '-']);
    if unsigned.starts_with(['i', 'I', 'n', 'N']) {
        return match unsigned {
            "Infinity" | "NaN" => t.parse::<f64>().ok(),
            _ => None,
        };
    }
    t.parse::<f64>().ok()
}

/// `value` as type `ty` without conversion (`cast`): a value of that type as it is, a number
/// re-typed, and any other value unchanged (Siddhi's cast only relabels).
pub fn cast(value: &Value, ty: Type) -> Value {
    match (ty, value) {
        (Type::Object, v) => v.clone(),
        (t, v) if v.ty() == Some(t) => v.clone(),
        (t, v) if t.is_numeric() && v.ty().is_some_and(|vt| vt.is_numeric()) => v.to_numeric(t),
        // As Siddhi's cast, which only relabels: a value of another kind passes unchanged.
        (_, v) => v.clone(),
    }
}

fn f64_fn(args: Vec<Eval>, f: fn(f64) -> f64) -> Eval {
    let a = args[0].clone();
    Arc::new(move |c: &Ctx| a(c).as_f64().map_or(Value::Null, |x| Value::Double(f(x))))
}

/// An optional count or index argument's value: 0 when absent, null or negative.
fn count_arg(arg: &Option<Eval>, c: &Ctx) -> usize {
    arg.as_ref().and_then(|a| a(c).as_i64()).unwrap_or(0).max(0) as usize
}

fn text(v: &Value) -> Option<Arc<str>> {
    match v {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// Compiles a call of built-in `f` over compiled `args`; `call` is the typed call (its type is
/// the result type).
pub fn compile_call(
    f: ScalarFunction,
    args: Vec<Eval>,
    call: &TypedExpr,
) -> Result<Eval, CompileError> {
    use ScalarFunction as F;
    let ty = call.ty;
    let arg = |i: usize| args.get(i).cloned();
    let Some(first) = arg(0).or_else(|| Some(Arc::new(|_: &Ctx| Value::Null) as Eval)) else {
        return Err(CompileError::Unsupported("missing argument".into()));
    };
    Ok(match f {
        F::Cast => {
            let target = target_type(call);
            Arc::new(move |c: &Ctx| cast(&first(c), target))
        }
        F::Convert => {
            let target = target_type(call);
            Arc::new(move |c: &Ctx| convert(&first(c), target))
        }
        F::Coalesce => Arc::new(move |c: &Ctx| {
            args.iter()
                .map(|a| a(c))
                .find(|v| !v.is_null())
                .unwrap_or(Value::Null)
        }),
        F::Default => {
            let fallback = arg(1).unwrap_or_else(|| first.clone());
            Arc::new(move |c: &Ctx| match first(c) {
                Value::Null => fallback(c),
                v => v,
            })
        }
        F::IfThenElse => {
            let (then, otherwise) = (arg(1), arg(2));
            let (Some(then), Some(otherwise)) = (then, otherwise) else {
                return Err(CompileError::Unsupported(
                    "ifThenElse needs 3 arguments".into(),
                ));
            };
            Arc::new(move |c: &Ctx| {
                if super::expr::truthy(&first(c)) {
                    then(c)
                } else {
                    otherwise(c)
                }
            })
        }
        F::InstanceOfBoolean => instance_of(first, Type::Bool),
        F::InstanceOfDouble => instance_of(first, Type::Double),
        F::InstanceOfFloat => instance_of(first, Type::Float),
        F::InstanceOfInteger => instance_of(first, Type::Int),
        F::InstanceOfLong => instance_of(first, Type::Long),
        F::InstanceOfString => instance_of(first, Type::String),
        F::Maximum | F::Minimum => {
            let want_max = f == F::Maximum;
            Arc::new(move |c: &Ctx| {
                let mut best: Option<Value> = None;
                for a in &args {
                    let v = a(c).to_numeric(ty);
                    if v.is_null() {
                        continue;
                    }
                    best = Some(match best {
                        None => v,
                        Some(b) => {
                            let better = if want_max { v > b } else { v < b };
                            if better { v } else { b }
                        }
                    });
                }
                best.unwrap_or(Value::Null)
            })
        }
        F::EventTimestamp => Arc::new(|c: &Ctx| Value::Long(c.timestamp)),
        F::CurrentTimeMillis => {
            Arc::new(|_: &Ctx| Value::Long(crate::clock::current_time_millis()))
        }
        F::Uuid => {
            Arc::new(|_: &Ctx| Value::String(Arc::from(uuid::Uuid::new_v4().to_string().as_str())))
        }
        F::CreateSet => Arc::new(move |c: &Ctx| Value::Set(Arc::new(vec![first(c)]))),
        // A null set has size 0 (as in Siddhi).
        F::SizeOfSet => Arc::new(move |c: &Ctx| match first(c) {
            Value::Set(items) => Value::Int(items.len() as i32),
            Value::Null => Value::Int(0),
            _ => Value::Null,
        }),
        F::Abs => Arc::new(move |c: &Ctx| match first(c) {
            Value::Int(v) => Value::Int(v.wrapping_abs()),
            Value::Long(v) => Value::Long(v.wrapping_abs()),
            Value::Float(v) => Value::Float(v.abs()),
            Value::Double(v) => Value::Double(v.abs()),
            _ => Value::Null,
        }),
        F::Round => Arc::new(move |c: &Ctx| match first(c) {
            Value::Int(v) => Value::Int(v),
            Value::Long(v) => Value::Long(v),
            Value::Float(v) => Value::Int((v as f64 + 0.5).floor() as i32),
            Value::Double(v) => Value::Long((v + 0.5).floor() as i64),
            _ => Value::Null,
        }),
        F::Ceil => f64_fn(args, f64::ceil),
        F::Floor => f64_fn(args, f64::floor),
        F::Sqrt => f64_fn(args, f64::sqrt),
        F::Ln => f64_fn(args, f64::ln),
        F::Log10 => f64_fn(args, f64::log10),
        F::Exp => f64_fn(args, f64::exp),
        F::Sin => f64_fn(args, f64::sin),
        F::Cos => f64_fn(args, f64::cos),
        F::Tan => f64_fn(args, f64::tan),
        F::Power => {
            let b = arg(1).unwrap_or_else(|| first.clone());
            Arc::new(move |c: &Ctx| match (first(c).as_f64(), b(c).as_f64()) {
                (Some(x), Some(y)) => Value::Double(x.powf(y)),
                _ => Value::Null,
            })
        }
        // Null arguments are skipped (as siddhi-execution-string does).
        F::Concat => Arc::new(move |c: &Ctx| {
            let mut out = String::new();
            for a in &args {
                match a(c) {
                    Value::Null => {}
                    v => out.push_str(&v.to_text()),
                }
            }
            Value::String(Arc::from(out.as_str()))
        }),
        F::Length => Arc::new(move |c: &Ctx| {
            text(&first(c)).map_or(Value::Null, |s| Value::Int(s.chars().count() as i32))
        }),
        F::Upper => string_fn(first, |s| s.to_uppercase()),
        F::Lower => string_fn(first, |s| s.to_lowercase()),
        F::Trim => string_fn(first, |s| s.trim().to_string()),
        F::Reverse => string_fn(first, |s| s.chars().rev().collect()),
        F::Substr if call_arg_type(call, 1) == Some(Type::String) => {
            // str:substr(s, regex[, group]): the first match's group (0: the whole match), ""
            // when nothing matches.
            let (pattern, group) = (arg(1), arg(2));
            let fixed = constant_regex(call, 1);
            Arc::new(move |c: &Ctx| {
                let Some(s) = text(&first(c)) else {
                    return Value::Null;
                };
                let Some(p) = pattern.as_ref().and_then(|p| text(&p(c))) else {
                    return Value::Null;
                };
                let Some(re) = fixed.clone().or_else(|| regex::Regex::new(&p).ok()) else {
                    return Value::Null;
                };
                let n = count_arg(&group, c);
                let found = re
                    .captures(&s)
                    .and_then(|caps| caps.get(n).map(|m| m.as_str().to_string()))
                    .unwrap_or_default();
                Value::String(Arc::from(found.as_str()))
            })
        }
        F::Substr => {
            let (start, len) = (arg(1), arg(2));
            Arc::new(move |c: &Ctx| {
                let Some(s) = text(&first(c)) else {
                    return Value::Null;
                };
                let from = count_arg(&start, c);
                let chars = s.chars().skip(from);
                let out: String = match len.as_ref().and_then(|a| a(c).as_i64()) {
                    Some(n) => chars.take(n.max(0) as usize).collect(),
                    None => chars.collect(),
                };
                Value::String(Arc::from(out.as_str()))
            })
        }
        F::Contains => {
            let part = arg(1).unwrap_or_else(|| first.clone());
            Arc::new(move |c: &Ctx| match (text(&first(c)), text(&part(c))) {
                (Some(s), Some(p)) => Value::Bool(s.contains(&*p)),
                _ => Value::Null,
            })
        }
        F::EqualsIgnoreCase => {
            let other = arg(1).unwrap_or_else(|| first.clone());
            Arc::new(move |c: &Ctx| match (text(&first(c)), text(&other(c))) {
                (Some(a), Some(b)) => Value::Bool(a.to_lowercase() == b.to_lowercase()),
                _ => Value::Null,
            })
        }
        F::ReplaceAll => {
            let (Some(pattern), Some(replacement)) = (arg(1), arg(2)) else {
                return Err(CompileError::Unsupported(
                    "str:replaceAll needs 3 arguments".into(),
                ));
            };
            let fixed = constant_regex(call, 1);
            Arc::new(move |c: &Ctx| {
                let (Some(s), Some(p), Some(r)) =
                    (text(&first(c)), text(&pattern(c)), text(&replacement(c)))
                else {
                    return Value::Null;
                };
                let re = match &fixed {
                    Some(re) => Some(re.clone()),
                    None => regex::Regex::new(&p).ok(),
                };
                match re {
                    Some(re) => Value::String(Arc::from(re.replace_all(&s, &*r).as_ref())),
                    None => Value::Null,
                }
            })
        }
    })
}

/// The type of argument `i` of a typed call.
fn call_arg_type(call: &TypedExpr, i: usize) -> Option<Type> {
    match &call.kind {
        ExprNode::Call { args, .. } => args.get(i).map(|a| a.ty),
        _ => None,
    }
}

/// Argument `i` of a typed call compiled as a regex, when it is a constant string.
fn constant_regex(call: &TypedExpr, i: usize) -> Option<regex::Regex> {
    match &call.kind {
        ExprNode::Call { args, .. } => {
            args.get(i)
                .and_then(|a| a.const_value())
                .and_then(|v| match v {
                    eventflux_codegen::plan::Value::String(s) => regex::Regex::new(&s).ok(),
                    _ => None,
                })
        }
        _ => None,
    }
}

fn instance_of(a: Eval, ty: Type) -> Eval {
    Arc::new(move |c: &Ctx| Value::Bool(a(c).ty() == Some(ty)))
}

fn string_fn(a: Eval, f: fn(&str) -> String) -> Eval {
    Arc::new(move |c: &Ctx| {
        text(&a(c)).map_or(Value::Null, |s| Value::String(Arc::from(f(&s).as_str())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convert_follows_siddhi() {
        assert_eq!(convert(&Value::Double(45.9), Type::Int), Value::Int(45));
        assert_eq!(
            convert(&Value::Double(100.0), Type::String),
            Value::from("100.0")
        );
        assert!(convert(&Value::from("abc"), Type::Int).is_null());
        assert_eq!(convert(&Value::from("true"), Type::Bool), Value::Bool(true));
        assert_eq!(convert(&Value::from("42"), Type::Bool), Value::Bool(false));
        assert_eq!(convert(&Value::Int(2), Type::Bool), Value::Bool(false));
        assert_eq!(convert(&Value::Bool(true), Type::Int), Value::Int(1));
    }
}
