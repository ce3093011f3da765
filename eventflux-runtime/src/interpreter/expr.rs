//! Typed plan expressions compiled once into closures. Evaluating an expression calls a tree
//! of closures built when the app is loaded; nothing walks the plan per event.

use super::functions;
use super::table::TableSet;
use crate::value::Value;
use eventflux_codegen::plan::{AttrRef, EventIndex, ExprNode, Function, Type, TypedExpr};
use std::sync::Arc;

/// A row of the interpreter: the attribute values of one event, shared between the operators
/// that hold it.
pub type Row = Arc<[Value]>;

/// The values of a query's `group by` attributes: one or two held inline, so that grouping
/// by one attribute allocates nothing per event.
pub type GroupKey = smallvec::SmallVec<[Value; 2]>;

/// Everything an expression can read while it is evaluated.
pub struct Ctx<'a> {
    /// The events of each input: one for a single source, the two sides of a join (empty for a
    /// missing side), the events held by each slot of a pattern.
    pub inputs: &'a [&'a [Row]],
    /// The query's output row (having, order by, table updates).
    pub output: Option<&'a Row>,
    /// The table row being matched (`in`, delete, update).
    pub table_row: Option<&'a Row>,
    /// The values of the enclosing select's aggregate calls.
    pub aggregates: &'a [Value],
    /// The event's timestamp.
    pub timestamp: i64,
    /// Each input's event timestamp where it differs from `timestamp` (an expression window's
    /// `first` and `last`); empty elsewhere.
    pub input_timestamps: &'a [i64],
    /// The app's tables (for `in`).
    pub tables: &'a TableSet,
    /// In a pattern condition: the slot being matched and the candidate event, which unindexed
    /// references to that slot read.
    pub candidate: Option<(usize, &'a Row)>,
}

impl<'a> Ctx<'a> {
    /// A context over one input row.
    pub fn single(inputs: &'a [&'a [Row]], timestamp: i64, tables: &'a TableSet) -> Self {
        Ctx {
            inputs,
            output: None,
            table_row: None,
            aggregates: &[],
            timestamp,
            input_timestamps: &[],
            tables,
            candidate: None,
        }
    }
}

/// A compiled expression.
pub type Eval = Arc<dyn Fn(&Ctx) -> Value + Send + Sync>;

/// A compiled condition (null counts as false).
pub type Pred = Arc<dyn Fn(&Ctx) -> bool + Send + Sync>;

/// Why an expression cannot be compiled by the interpreter.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The app uses something the interpreter does not run.
    #[error("{0}")]
    Unsupported(String),
}

fn pick(rows: &[Row], index: Option<EventIndex>) -> Option<&Row> {
    match index {
        None | Some(EventIndex::At(0)) => rows.first(),
        Some(EventIndex::At(n)) => rows.get(n as usize),
        Some(EventIndex::FromLast(n)) => rows
            .len()
            .checked_sub(1 + n as usize)
            .and_then(|i| rows.get(i)),
    }
}

/// Compiles `e`.
pub fn compile(e: &TypedExpr) -> Result<Eval, CompileError> {
    Ok(match &e.kind {
        ExprNode::Const(v) => {
            let v = super::const_value(v);
            Arc::new(move |_| v.clone())
        }
        ExprNode::Attr(AttrRef::Input {
            input,
            index,
            position,
        }) => {
            let (input, index, position) = (*input, *index, *position);
            Arc::new(move |c: &Ctx| {
                input_value(c, input, index, position)
                    .cloned()
                    .unwrap_or(Value::Null)
            })
        }
        ExprNode::Attr(AttrRef::Output { position }) => {
            let position = *position;
            Arc::new(move |c: &Ctx| {
                c.output
                    .and_then(|row| row.get(position))
                    .cloned()
                    .unwrap_or(Value::Null)
            })
        }
        ExprNode::Attr(AttrRef::Table { position }) => {
            let position = *position;
            Arc::new(move |c: &Ctx| {
                c.table_row
                    .and_then(|row| row.get(position))
                    .cloned()
                    .unwrap_or(Value::Null)
            })
        }
        ExprNode::Neg(inner) => {
            let inner = compile(inner)?;
            Arc::new(move |c: &Ctx| match inner(c) {
                Value::Int(v) => Value::Int(v.wrapping_neg()),
                Value::Long(v) => Value::Long(v.wrapping_neg()),
                Value::Float(v) => Value::Float(-v),
                Value::Double(v) => Value::Double(-v),
                _ => Value::Null,
            })
        }
        ExprNode::Arith {
            op,
            operand,
            lhs,
            rhs,
        } => {
            let (op, operand, a, b) = (*op, *operand, compile(lhs)?, compile(rhs)?);
            Arc::new(move |c: &Ctx| Value::arith(op, operand, &a(c), &b(c)))
        }
        ExprNode::Compare {
            op,
            operand,
            lhs,
            rhs,
        } => {
            let (op, operand, a, b) = (*op, *operand, compile(lhs)?, compile(rhs)?);
            Arc::new(move |c: &Ctx| Value::Bool(Value::compare(op, operand, &a(c), &b(c))))
        }
        ExprNode::And(a, b) => {
            let (a, b) = (compile(a)?, compile(b)?);
            Arc::new(move |c: &Ctx| Value::Bool(truthy(&a(c)) && truthy(&b(c))))
        }
        ExprNode::Or(a, b) => {
            let (a, b) = (compile(a)?, compile(b)?);
            Arc::new(move |c: &Ctx| Value::Bool(truthy(&a(c)) || truthy(&b(c))))
        }
        ExprNode::Not(a) => {
            let a = compile(a)?;
            Arc::new(move |c: &Ctx| Value::Bool(!truthy(&a(c))))
        }
        ExprNode::IsNull(a) => {
            let a = compile(a)?;
            Arc::new(move |c: &Ctx| Value::Bool(a(c).is_null()))
        }
        ExprNode::InputTimestamp(input) => {
            let input = *input;
            Arc::new(move |c: &Ctx| {
                Value::Long(
                    c.input_timestamps
                        .get(input)
                        .copied()
                        .unwrap_or(c.timestamp),
                )
            })
        }
        ExprNode::EventIsNull { slot, index } => {
            let (slot, index) = (*slot, *index);
            Arc::new(move |c: &Ctx| {
                Value::Bool(match index {
                    None => c.inputs.get(slot).is_none_or(|rows| rows.is_empty()),
                    Some(_) => c
                        .inputs
                        .get(slot)
                        .and_then(|rows| pick(rows, index))
                        .is_none(),
                })
            })
        }
        ExprNode::InTable { table, condition } => {
            let table = table.clone();
            let condition = super::table::TableCondition::new(condition)?;
            Arc::new(move |c: &Ctx| {
                Value::Bool(c.tables.get(&table).is_some_and(|t| condition.any(t, c)))
            })
        }
        ExprNode::Call { function, args } => {
            let args: Vec<Eval> = args.iter().map(compile).collect::<Result<_, _>>()?;
            match function {
                // A function returning bool never gives null: Siddhi wraps such a call in a
                // `BoolConditionExpressionExecutor`, which turns null into false.
                Function::Builtin(f) if e.ty == Type::Bool => {
                    let call = functions::compile_call(*f, args, e)?;
                    Arc::new(move |c: &Ctx| match call(c) {
                        Value::Null => Value::Bool(false),
                        v => v,
                    })
                }
                Function::Builtin(f) => functions::compile_call(*f, args, e)?,
                Function::Script(name) => {
                    return Err(CompileError::Unsupported(format!(
                        "script function '{name}' cannot run: the interpreter has no script engine"
                    )));
                }
            }
        }
        ExprNode::Aggregate(i) => {
            let i = *i;
            Arc::new(move |c: &Ctx| c.aggregates.get(i).cloned().unwrap_or(Value::Null))
        }
    })
}

/// The value of attribute `position` of input `input` (the event at `index` of a pattern slot),
/// borrowed; `None` when the input has no such event.
fn input_value<'a>(
    c: &'a Ctx,
    input: usize,
    index: Option<EventIndex>,
    position: usize,
) -> Option<&'a Value> {
    let row = match c.candidate {
        Some((slot, row)) if slot == input && index.is_none() => Some(row),
        _ => c.inputs.get(input).and_then(|rows| pick(rows, index)),
    };
    row.and_then(|row| row.get(position))
}

/// Compiles a condition into a predicate (null is false).
pub fn compile_predicate(e: &TypedExpr) -> Result<Pred, CompileError> {
    if let Some(pred) = attribute_against_constant(e) {
        return Ok(pred);
    }
    let eval = compile(e)?;
    Ok(Arc::new(move |c: &Ctx| truthy(&eval(c))))
}

/// `attribute <op> constant` (the commonest filter) as one predicate that reads the attribute
/// in place and compares it with the constant converted once; the same result as the general
/// path.
fn attribute_against_constant(e: &TypedExpr) -> Option<Pred> {
    let ExprNode::Compare {
        op,
        operand,
        lhs,
        rhs,
    } = &e.kind
    else {
        return None;
    };
    let (
        ExprNode::Attr(AttrRef::Input {
            input,
            index,
            position,
        }),
        ExprNode::Const(k),
    ) = (&lhs.kind, &rhs.kind)
    else {
        return None;
    };
    let (op, operand, input, index, position) = (*op, *operand, *input, *index, *position);
    let k = super::const_value(k).to_numeric(operand);
    // A double attribute against a double constant (the usual numeric filter) compares the
    // two doubles directly; any other value takes the general comparison.
    if let (Type::Double, Value::Double(kd)) = (operand, &k) {
        let kd = *kd;
        return Some(Arc::new(move |c: &Ctx| {
            match input_value(c, input, index, position).unwrap_or(&Value::Null) {
                Value::Double(v) => Value::holds(op, v.partial_cmp(&kd)),
                v => Value::compare(op, operand, v, &k),
            }
        }));
    }
    Some(Arc::new(move |c: &Ctx| {
        let v = input_value(c, input, index, position).unwrap_or(&Value::Null);
        Value::compare(op, operand, v, &k)
    }))
}

/// Whether a value counts as true (only `true` does).
pub fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}
