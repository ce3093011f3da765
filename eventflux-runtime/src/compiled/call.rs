//! Built-in scalar functions called from generated code. Each function is implemented once, in
//! the interpreter's function library over [`Value`]s; a [`BuiltinCall`] is one call site
//! compiled against that library when the app starts, so both paths compute exactly the same
//! thing. Generated code converts the typed arguments to values and the result back.

use crate::interpreter::expr::{Ctx, Eval, compile};
use crate::interpreter::table::TableSet;
use crate::value::Value;
use eventflux_codegen::catalog::ScalarFunction;
use eventflux_codegen::plan::{ExprNode, Function, Type, TypedExpr, Value as Constant};

/// One argument of a call site: computed per event (of the given type), or a constant written
/// in the query (some functions prepare constant arguments once, as a regex).
#[derive(Clone, Debug)]
pub enum CallArg {
    /// An argument computed per event; its value is passed to [`BuiltinCall::call`] in order.
    Computed(Type),
    /// A constant of the given type.
    Constant(Constant, Type),
}

/// One call of a built-in function, ready to evaluate.
pub struct BuiltinCall {
    eval: Option<Eval>,
    tables: TableSet,
}

impl BuiltinCall {
    /// The call of `function` returning `ty` with `args`. A call the library cannot build
    /// (the checker rules these out) evaluates to null.
    pub fn new(function: ScalarFunction, ty: Type, args: Vec<CallArg>) -> Self {
        let mut computed = 0;
        let args = args
            .into_iter()
            .map(|a| match a {
                CallArg::Computed(ty) => {
                    computed += 1;
                    TypedExpr {
                        kind: ExprNode::Aggregate(computed - 1),
                        ty,
                    }
                }
                CallArg::Constant(v, ty) => TypedExpr::constant(v, ty),
            })
            .collect();
        let call = TypedExpr {
            kind: ExprNode::Call {
                function: Function::Builtin(function),
                args,
            },
            ty,
        };
        BuiltinCall {
            eval: compile(&call).ok(),
            tables: TableSet::default(),
        }
    }

    /// The result for the computed arguments `args` of an event at `timestamp`.
    pub fn call(&self, timestamp: i64, args: &[Value]) -> Value {
        let Some(eval) = &self.eval else {
            return Value::Null;
        };
        let c = Ctx {
            aggregates: args,
            ..Ctx::single(&[], timestamp, &self.tables)
        };
        eval(&c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_the_interpreters_function_library() {
        let concat = BuiltinCall::new(
            ScalarFunction::Concat,
            Type::String,
            vec![
                CallArg::Computed(Type::String),
                CallArg::Constant(Constant::String("-x".into()), Type::String),
            ],
        );
        assert_eq!(
            concat.call(0, &[Value::from("a")]).to_text(),
            "a-x".to_string()
        );
    }
}
