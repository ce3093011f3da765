//! Scopes, name resolution and expression typing, with SiddhiQL's promotion rules.

use super::{Checker, suggest};
use crate::ast::{self, BinaryOp, ExprKind, Literal, UnaryOp};
use crate::catalog::{self, AggregatorInput, ScalarFunction};
use crate::diagnostic::Diagnostic;
use crate::plan::*;
use crate::span::Span;

/// One input visible in a scope: a stream, a join side or a pattern event slot.
#[derive(Clone, Debug)]
pub(crate) struct ScopeInput {
    /// The name attributes may be qualified with (alias, or the id).
    pub reference: String,
    /// The id hidden by an alias (qualifying with it is an error).
    pub hidden: Option<String>,
    /// Whether the reference was written `#Name`.
    pub inner: bool,
    /// Its schema.
    pub schema: Schema,
    /// Whether it is a pattern event slot (may be indexed and tested with `is null`).
    pub slot: bool,
}

/// Where aggregate calls may appear and where they are collected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Aggregates {
    /// Not allowed here (filters, conditions, keys).
    Forbidden(&'static str),
    /// Allowed and collected (select, window conditions).
    Collected,
}

/// Everything an expression can see.
pub(crate) struct Scope {
    /// The inputs, by index.
    pub inputs: Vec<ScopeInput>,
    /// For a window expression: the input whose attributes unqualified names mean first.
    pub current: Option<usize>,
    /// For a pattern element's condition, its slot: unqualified names mean its own event only,
    /// and slots after it are not known yet (as Siddhi parses the elements in order).
    pub element: Option<usize>,
    /// The query's output row (having, order by, update and delete): unqualified names mean it.
    pub output: Option<Schema>,
    /// The table whose row is matched (`in`, `delete`, `update`): qualified by its id.
    pub table: Option<(String, Schema)>,
    /// Whether and where aggregates are collected.
    pub aggregates: Aggregates,
    /// The aggregate calls collected.
    pub collected: Vec<AggregateCall>,
    /// What the expression is (for messages: "filter", "having", ...).
    pub clause: &'static str,
}

impl Scope {
    /// A scope over `inputs` for `clause`, where aggregates are not allowed.
    pub fn new(inputs: Vec<ScopeInput>, clause: &'static str) -> Self {
        Scope {
            inputs,
            current: None,
            element: None,
            output: None,
            table: None,
            aggregates: Aggregates::Forbidden(clause),
            collected: Vec::new(),
            clause,
        }
    }

    /// A scope over one source called `name`.
    pub fn single(name: &str, schema: Schema, clause: &'static str) -> Self {
        Scope::new(
            vec![ScopeInput {
                reference: name.to_string(),
                hidden: None,
                inner: false,
                schema,
                slot: false,
            }],
            clause,
        )
    }
}

fn numeric_rank(t: Type) -> u8 {
    match t {
        Type::Int => 1,
        Type::Long => 2,
        Type::Float => 3,
        Type::Double => 4,
        _ => 0,
    }
}

/// The type two numeric operands are widened to.
pub(crate) fn promote(a: Type, b: Type) -> Type {
    if numeric_rank(a) >= numeric_rank(b) {
        a
    } else {
        b
    }
}

fn is_null_literal(e: &TypedExpr) -> bool {
    matches!(e.kind, ExprNode::Const(Value::Null))
}

impl Checker {
    /// Types `e` in `scope`; `None` when an error was reported.
    pub(crate) fn expr(&mut self, e: &ast::Expr, scope: &mut Scope) -> Option<TypedExpr> {
        match &e.kind {
            ExprKind::Literal(l) => Some(literal(l)),
            ExprKind::Time(_) => match e.time_millis() {
                Some(ms) => Some(TypedExpr::constant(Value::Long(ms), Type::Long)),
                None => {
                    self.err(e.span, "time value is too large");
                    None
                }
            },
            ExprKind::Attribute { qualifier, name } => {
                self.attribute(qualifier.as_ref(), name, e.span, scope)
            }
            ExprKind::Call(call) => self.call(call, scope),
            ExprKind::Unary(UnaryOp::Not, inner) => {
                let inner = self.expr(inner, scope)?;
                if inner.ty != Type::Bool && !is_null_literal(&inner) {
                    self.err(
                        e.span,
                        format!("'not' needs a bool operand, found {}", inner.ty),
                    );
                    return None;
                }
                Some(TypedExpr {
                    kind: ExprNode::Not(Box::new(inner)),
                    ty: Type::Bool,
                })
            }
            ExprKind::Unary(UnaryOp::Neg, inner) => {
                let inner = self.expr(inner, scope)?;
                if !inner.ty.is_numeric() {
                    self.err(
                        e.span,
                        format!("'-' needs a numeric operand, found {}", inner.ty),
                    );
                    return None;
                }
                let ty = inner.ty;
                Some(TypedExpr {
                    kind: ExprNode::Neg(Box::new(inner)),
                    ty,
                })
            }
            ExprKind::Binary(op, a, b) => {
                let lhs = self.expr(a, scope);
                let rhs = self.expr(b, scope);
                self.binary(*op, lhs?, rhs?, e.span, [a.span, b.span])
            }
            ExprKind::IsNull(inner) => {
                if let ExprKind::Attribute {
                    qualifier: None,
                    name,
                } = &inner.kind
                    && let Some(slot) = scope
                        .inputs
                        .iter()
                        .position(|i| i.slot && i.reference == name.name)
                {
                    return Some(TypedExpr {
                        kind: ExprNode::EventIsNull { slot, index: None },
                        ty: Type::Bool,
                    });
                }
                if let ExprKind::EventRef { name, index } = &inner.kind {
                    let Some(slot) = scope
                        .inputs
                        .iter()
                        .position(|i| i.slot && i.reference == name.name)
                    else {
                        self.err(
                            name.span,
                            format!("unknown event reference '{}'", name.name),
                        );
                        return None;
                    };
                    return Some(TypedExpr {
                        kind: ExprNode::EventIsNull {
                            slot,
                            index: Some(*index),
                        },
                        ty: Type::Bool,
                    });
                }
                let inner = self.expr(inner, scope)?;
                Some(TypedExpr {
                    kind: ExprNode::IsNull(Box::new(inner)),
                    ty: Type::Bool,
                })
            }
            ExprKind::EventRef { name, .. } => {
                self.err(
                    e.span,
                    format!(
                        "the event reference '{}' with an index needs an attribute ({}[0].attribute) or 'is null'",
                        name.name, name.name
                    ),
                );
                None
            }
            ExprKind::In(cond, table) => {
                let Some(info) = self.plan.table(&table.name).cloned() else {
                    self.undefined("table", table);
                    return None;
                };
                let saved = scope
                    .table
                    .replace((info.name.clone(), info.schema.clone()));
                let condition = self.condition(cond, scope, "'in' condition");
                scope.table = saved;
                Some(TypedExpr {
                    kind: ExprNode::InTable {
                        table: info.name,
                        condition: Box::new(condition?),
                    },
                    ty: Type::Bool,
                })
            }
        }
    }

    /// Types `e` and requires it to be bool.
    pub(crate) fn condition(
        &mut self,
        e: &ast::Expr,
        scope: &mut Scope,
        what: &str,
    ) -> Option<TypedExpr> {
        let typed = self.expr(e, scope)?;
        if typed.ty != Type::Bool && !is_null_literal(&typed) {
            self.err(
                e.span,
                format!("{what} must be a bool expression, found {}", typed.ty),
            );
            return None;
        }
        Some(typed)
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        lhs: TypedExpr,
        rhs: TypedExpr,
        span: Span,
        operand_spans: [Span; 2],
    ) -> Option<TypedExpr> {
        let (lt, rt) = (lhs.ty, rhs.ty);
        let (ln, rn) = (is_null_literal(&lhs), is_null_literal(&rhs));
        match op {
            BinaryOp::And | BinaryOp::Or => {
                for ((t, null), at) in [(lt, ln), (rt, rn)].into_iter().zip(operand_spans) {
                    if t != Type::Bool && !null {
                        self.err(
                            at,
                            format!(
                                "'{}' needs bool operands, found {} and {}",
                                op.symbol(),
                                lt,
                                rt
                            ),
                        );
                        return None;
                    }
                }
                let (a, b) = (Box::new(lhs), Box::new(rhs));
                Some(TypedExpr {
                    kind: if op == BinaryOp::And {
                        ExprNode::And(a, b)
                    } else {
                        ExprNode::Or(a, b)
                    },
                    ty: Type::Bool,
                })
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                let operand = match (ln, rn) {
                    (true, true) => Type::Int,
                    (true, false) if rt.is_numeric() => rt,
                    (false, true) if lt.is_numeric() => lt,
                    _ if lt.is_numeric() && rt.is_numeric() => promote(lt, rt),
                    _ => {
                        self.err(
                            span,
                            format!("'{}' cannot be applied to {} and {}", op.symbol(), lt, rt),
                        );
                        return None;
                    }
                };
                Some(TypedExpr {
                    kind: ExprNode::Arith {
                        op,
                        operand,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    ty: operand,
                })
            }
            BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::Eq
            | BinaryOp::Ne => {
                let equality = matches!(op, BinaryOp::Eq | BinaryOp::Ne);
                let operand = if ln || rn {
                    Type::Object
                } else if lt.is_numeric() && rt.is_numeric() {
                    promote(lt, rt)
                } else if lt == rt && equality && lt != Type::Object {
                    // Strings and bools compare for equality only (as in Siddhi).
                    lt
                } else if equality && (lt == Type::Object || rt == Type::Object) {
                    // Siddhi's `ExpressionParser#parseEqualCompare`: "OBJECT cannot be used in
                    // equal comparisons".
                    self.error(
                        Diagnostic::new(
                            span,
                            format!("an object cannot be compared using '{}'", op.symbol()),
                        )
                        .with_hint("cast it to the type it holds first, e.g. cast(o, 'double')"),
                    );
                    return None;
                } else {
                    self.err(
                        span,
                        format!("cannot compare {} with {} using '{}'", lt, rt, op.symbol()),
                    );
                    return None;
                };
                Some(TypedExpr {
                    kind: ExprNode::Compare {
                        op,
                        operand,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    ty: Type::Bool,
                })
            }
        }
    }

    fn attribute(
        &mut self,
        qualifier: Option<&ast::Qualifier>,
        name: &ast::Ident,
        span: Span,
        scope: &Scope,
    ) -> Option<TypedExpr> {
        let attr = |r: AttrRef, ty: Type| {
            Some(TypedExpr {
                kind: ExprNode::Attr(r),
                ty,
            })
        };
        let Some(q) = qualifier else {
            if let Some(output) = &scope.output {
                if let Some(pos) = output.position(&name.name) {
                    return attr(AttrRef::Output { position: pos }, output.attributes[pos].ty);
                }
                if scope.inputs.is_empty() {
                    let mut d = Diagnostic::new(
                        span,
                        format!(
                            "'{}' is not an attribute of the query output; {} may refer only to attributes of the select clause",
                            name.name, scope.clause
                        ),
                    );
                    if let Some(s) = suggest(&name.name, output.names()) {
                        d = d.with_hint(format!("did you mean '{s}'?"));
                    }
                    self.error(d);
                    return None;
                }
            }
            if let Some(slot) = scope.element {
                let input = &scope.inputs[slot];
                return match input.schema.position(&name.name) {
                    Some(pos) => attr(
                        AttrRef::Input {
                            input: slot,
                            index: None,
                            position: pos,
                        },
                        input.schema.attributes[pos].ty,
                    ),
                    None => {
                        let (reference, schema) = (input.reference.clone(), input.schema.clone());
                        self.unknown_attribute_in(name, span, "event", &reference, &schema);
                        None
                    }
                };
            }
            if let Some(current) = scope.current
                && let Some(pos) = scope.inputs[current].schema.position(&name.name)
            {
                return attr(
                    AttrRef::Input {
                        input: current,
                        index: None,
                        position: pos,
                    },
                    scope.inputs[current].schema.attributes[pos].ty,
                );
            }
            let found: Vec<(usize, usize)> = scope
                .inputs
                .iter()
                .enumerate()
                .filter_map(|(i, input)| input.schema.position(&name.name).map(|p| (i, p)))
                .collect();
            return match found.as_slice() {
                [(input, position)] => attr(
                    AttrRef::Input {
                        input: *input,
                        index: None,
                        position: *position,
                    },
                    scope.inputs[*input].schema.attributes[*position].ty,
                ),
                [] => {
                    self.unknown_attribute(name, span, scope);
                    None
                }
                several => {
                    let refs: Vec<String> = several
                        .iter()
                        .map(|(i, _)| format!("'{}.{}'", scope.inputs[*i].reference, name.name))
                        .collect();
                    self.error(
                        Diagnostic::new(span, format!("attribute '{}' is ambiguous", name.name))
                            .with_hint(format!("qualify it: {}", refs.join(" or "))),
                    );
                    None
                }
            };
        };
        if let Some((table, schema)) = &scope.table
            && *table == q.name.name
            && !q.inner
        {
            return match schema.position(&name.name) {
                Some(pos) => attr(AttrRef::Table { position: pos }, schema.attributes[pos].ty),
                None => {
                    self.unknown_attribute_in(name, span, "table", table, schema);
                    None
                }
            };
        }
        if let Some(i) = scope
            .inputs
            .iter()
            .position(|input| input.reference == q.name.name && input.inner == q.inner)
        {
            if scope.element.is_some_and(|slot| i > slot) {
                self.err(
                    q.name.span,
                    format!(
                        "'{}' is not known yet here: a pattern element's condition may refer only to its own event and to events before it",
                        q.name.name
                    ),
                );
                return None;
            }
            let input = &scope.inputs[i];
            if q.index.is_some() && !input.slot {
                self.err(
                    q.name.span,
                    format!(
                        "'{}' is not a pattern event: only pattern events can be indexed",
                        q.name.name
                    ),
                );
                return None;
            }
            return match input.schema.position(&name.name) {
                Some(pos) => attr(
                    AttrRef::Input {
                        input: i,
                        index: q.index,
                        position: pos,
                    },
                    input.schema.attributes[pos].ty,
                ),
                None => {
                    let (reference, schema) = (input.reference.clone(), input.schema.clone());
                    let what = if input.slot { "event" } else { "stream" };
                    self.unknown_attribute_in(name, span, what, &reference, &schema);
                    None
                }
            };
        }
        if let Some(input) = scope
            .inputs
            .iter()
            .find(|input| input.hidden.as_deref() == Some(q.name.name.as_str()))
        {
            self.error(
                Diagnostic::new(
                    q.name.span,
                    format!(
                        "'{}' has the alias '{}' in this query and must be referred to by it",
                        q.name.name, input.reference
                    ),
                )
                .with_hint(format!("write '{}.{}'", input.reference, name.name)),
            );
            return None;
        }
        let mut names: Vec<&str> = scope.inputs.iter().map(|i| i.reference.as_str()).collect();
        if let Some((t, _)) = &scope.table {
            names.push(t);
        }
        let mut d = Diagnostic::new(
            q.name.span,
            format!(
                "unknown stream or event reference '{}{}'",
                if q.inner { "#" } else { "" },
                q.name.name
            ),
        );
        if let Some(s) = suggest(&q.name.name, names) {
            d = d.with_hint(format!("did you mean '{s}'?"));
        }
        self.error(d);
        None
    }

    fn unknown_attribute(&mut self, name: &ast::Ident, span: Span, scope: &Scope) {
        if let [input] = scope.inputs.as_slice() {
            let what = if input.slot { "event" } else { "stream" };
            let (reference, schema) = (input.reference.clone(), input.schema.clone());
            self.unknown_attribute_in(name, span, what, &reference, &schema);
            return;
        }
        let all: Vec<&str> = scope.inputs.iter().flat_map(|i| i.schema.names()).collect();
        let sources: Vec<String> = scope
            .inputs
            .iter()
            .map(|i| format!("'{}'", i.reference))
            .collect();
        let mut d = Diagnostic::new(
            span,
            format!(
                "unknown attribute '{}' in {}",
                name.name,
                if sources.is_empty() {
                    "this expression".to_string()
                } else {
                    sources.join(", ")
                }
            ),
        );
        if let Some(s) = suggest(&name.name, all) {
            d = d.with_hint(format!("did you mean '{s}'?"));
        }
        self.error(d);
    }

    pub(crate) fn unknown_attribute_in(
        &mut self,
        name: &ast::Ident,
        span: Span,
        what: &str,
        owner: &str,
        schema: &Schema,
    ) {
        let mut d = Diagnostic::new(
            span,
            format!("unknown attribute '{}' in {what} '{owner}'", name.name),
        );
        if let Some(s) = suggest(&name.name, schema.names()) {
            d = d.with_hint(format!("did you mean '{s}'?"));
        }
        self.error(d);
    }

    fn call(&mut self, call: &ast::Call, scope: &mut Scope) -> Option<TypedExpr> {
        let name = &call.name.name;
        if call.namespace.is_none()
            && let Some(info) = catalog::aggregator(name)
        {
            return self.aggregate(info, call, scope);
        }
        if call.namespace.is_none()
            && let Some(f) = self.plan.functions.iter().find(|f| f.name == *name)
        {
            let (fname, ty) = (f.name.clone(), f.return_type);
            let args = self.args(&call.args, scope)?;
            return Some(TypedExpr {
                kind: ExprNode::Call {
                    function: Function::Script(fname),
                    args,
                },
                ty,
            });
        }
        // eventTimestamp(first) / eventTimestamp(last) in an expression window's condition.
        if call.namespace.is_none()
            && name == "eventTimestamp"
            && scope.clause == "window condition"
            && let [arg] = call.args.as_slice()
            && let ExprKind::Attribute {
                qualifier: None,
                name: reference,
            } = &arg.kind
            && let Some(input) = scope
                .inputs
                .iter()
                .position(|i| i.reference == reference.name)
        {
            return Some(TypedExpr {
                kind: ExprNode::InputTimestamp(input),
                ty: Type::Long,
            });
        }
        // eventTimestamp(x) elsewhere: Siddhi takes an event there (a join side or a pattern
        // event), which this engine does not give yet; a value is refused as in Siddhi.
        if call.namespace.is_none()
            && name == "eventTimestamp"
            && let [arg] = call.args.as_slice()
        {
            let event = match &arg.kind {
                ExprKind::Attribute {
                    qualifier: None,
                    name: reference,
                } => scope.inputs.iter().any(|i| i.reference == reference.name),
                _ => false,
            };
            let message = if event {
                "eventTimestamp() of a join side or a pattern event is not supported; eventTimestamp() without an argument gives the current event's"
            } else {
                "eventTimestamp() takes an event (a join side or a pattern event), not a value; without an argument it gives the current event's"
            };
            self.err(arg.span, message);
            return None;
        }
        let ns = call.namespace.as_ref().map(|n| n.name.as_str());
        let full = match ns {
            Some(ns) => format!("{ns}:{name}"),
            None => name.clone(),
        };
        let Some(info) = catalog::function(ns, name) else {
            let scripts: Vec<String> = self.plan.functions.iter().map(|f| f.name.clone()).collect();
            let candidates: Vec<String> = catalog::all_call_names().chain(scripts).collect();
            let mut d = Diagnostic::new(call.span, format!("unknown function '{full}'"));
            if let Some(s) = suggest(&full, candidates.iter().map(String::as_str)) {
                d = d.with_hint(format!("did you mean '{s}'?"));
            }
            self.error(d);
            return None;
        };
        let n = call.args.len();
        if n < info.min_args || info.max_args.is_some_and(|m| n > m) {
            let expected = match info.max_args {
                Some(m) if m == info.min_args => format!("{m}"),
                Some(m) => format!("{} to {m}", info.min_args),
                None => format!("at least {}", info.min_args),
            };
            self.error(
                Diagnostic::new(
                    call.span,
                    format!(
                        "function '{full}' takes {expected} argument{}, found {n}",
                        if expected.ends_with(" 1") || expected == "1" {
                            ""
                        } else {
                            "s"
                        }
                    ),
                )
                .with_hint(format!("usage: {}", info.signature)),
            );
            return None;
        }
        let args = self.args(&call.args, scope)?;
        let ty = self.function_type(info.function, &full, &args, call)?;
        Some(TypedExpr {
            kind: ExprNode::Call {
                function: Function::Builtin(info.function),
                args,
            },
            ty,
        })
    }

    fn args(&mut self, args: &[ast::Expr], scope: &mut Scope) -> Option<Vec<TypedExpr>> {
        let typed: Vec<Option<TypedExpr>> = args.iter().map(|a| self.expr(a, scope)).collect();
        typed.into_iter().collect()
    }

    fn aggregate(
        &mut self,
        info: &catalog::AggregatorInfo,
        call: &ast::Call,
        scope: &mut Scope,
    ) -> Option<TypedExpr> {
        if let Aggregates::Forbidden(clause) = scope.aggregates {
            self.err(
                call.span,
                format!(
                    "aggregate function '{}' cannot be used in a {clause}",
                    info.name
                ),
            );
            return None;
        }
        let allowed = match info.input {
            AggregatorInput::OptionalAny => 0..=1,
            _ => 1..=1,
        };
        if !allowed.contains(&call.args.len()) {
            self.err(
                call.span,
                format!(
                    "aggregate function '{}' takes {} argument{}, found {}",
                    info.name,
                    if *allowed.start() == 0 { "0 or 1" } else { "1" },
                    if *allowed.start() == 0 { "s" } else { "" },
                    call.args.len()
                ),
            );
            return None;
        }
        scope.aggregates = Aggregates::Forbidden("aggregate function argument");
        let args = self.args(&call.args, scope);
        scope.aggregates = Aggregates::Collected;
        let args = args?;
        let arg_ty = args.first().map(|a| a.ty);
        let ok = match (info.input, arg_ty) {
            (AggregatorInput::OptionalAny | AggregatorInput::Any, _) => true,
            (AggregatorInput::Numeric, Some(t)) => t.is_numeric(),
            (AggregatorInput::Bool, Some(t)) => t == Type::Bool,
            (AggregatorInput::Set, Some(t)) => t == Type::Object,
            (_, None) => false,
        };
        if !ok {
            let wanted = match info.input {
                AggregatorInput::Numeric => "a numeric",
                AggregatorInput::Bool => "a bool",
                _ => "an object (set)",
            };
            self.err(
                call.span,
                format!(
                    "aggregate function '{}' needs {wanted} argument, found {}",
                    info.name,
                    arg_ty.map_or("nothing".to_string(), |t| t.to_string())
                ),
            );
            return None;
        }
        let ty = info.kind.result_type(arg_ty);
        scope.collected.push(AggregateCall {
            kind: info.kind,
            args,
            ty,
        });
        Some(TypedExpr {
            kind: ExprNode::Aggregate(scope.collected.len() - 1),
            ty,
        })
    }

    fn function_type(
        &mut self,
        f: ScalarFunction,
        full: &str,
        args: &[TypedExpr],
        call: &ast::Call,
    ) -> Option<Type> {
        use ScalarFunction as F;
        let arg_span = |i: usize| call.args.get(i).map_or(call.span, |a| a.span);
        let types: Vec<Type> = args.iter().map(|a| a.ty).collect();
        let expect = |this: &mut Checker, i: usize, ok: bool, wanted: &str| -> bool {
            if !ok {
                this.err(
                    arg_span(i),
                    format!(
                        "function '{full}' needs {wanted} as argument {}, found {}",
                        i + 1,
                        types[i]
                    ),
                );
            }
            ok
        };
        let numeric = |i: usize| types[i].is_numeric() || is_null_literal(&args[i]);
        let string = |i: usize| types[i] == Type::String || is_null_literal(&args[i]);
        match f {
            F::Cast | F::Convert => {
                let Some(Value::String(name)) = args[1].const_value() else {
                    self.err(
                        arg_span(1),
                        format!("function '{full}' needs the target type as a string constant, such as 'int'"),
                    );
                    return None;
                };
                // Siddhi's cast and convert take exactly these six names (in any case).
                const TARGETS: [&str; 6] = ["int", "long", "float", "double", "bool", "string"];
                let known = TARGETS.iter().any(|t| t.eq_ignore_ascii_case(&name));
                match ast::AttrType::from_keyword(&name) {
                    // Siddhi converts an object to a string only.
                    Some(t)
                        if known
                            && f == F::Convert
                            && types[0] == Type::Object
                            && t != Type::String =>
                    {
                        self.err(
                            arg_span(1),
                            format!("function '{full}' converts an object only to 'string', not to '{name}'; use cast(x, '{name}')"),
                        );
                        None
                    }
                    Some(t) if known => Some(t),
                    _ => {
                        self.err(
                            arg_span(1),
                            format!(
                                "function '{full}': unknown type '{name}'; expected one of {}",
                                TARGETS.join(", ")
                            ),
                        );
                        None
                    }
                }
            }
            F::Coalesce => self.same_type(full, args, call, 0),
            F::Default => {
                // The default value is a constant (as in Siddhi).
                if args.get(1).is_some_and(|a| a.const_value().is_none()) {
                    self.err(
                        arg_span(1),
                        format!("function '{full}': the default value must be a constant"),
                    );
                    return None;
                }
                self.same_type(full, args, call, 0)
            }
            F::IfThenElse => {
                if !expect(self, 0, types[0] == Type::Bool, "a bool") {
                    return None;
                }
                self.same_type(full, &args[1..], call, 1)
            }
            F::Maximum | F::Minimum => {
                // Every argument has one numeric type (as in Siddhi); a null literal fits any.
                let mut ty: Option<Type> = None;
                for i in 0..args.len() {
                    if !expect(self, i, numeric(i), "a number") {
                        return None;
                    }
                    if is_null_literal(&args[i]) {
                        continue;
                    }
                    match ty {
                        Some(t) if t != types[i] => {
                            self.err(
                                arg_span(i),
                                format!(
                                    "function '{full}': every argument must have the same type, found {t} and {}",
                                    types[i]
                                ),
                            );
                            return None;
                        }
                        _ => ty = Some(types[i]),
                    }
                }
                Some(ty.unwrap_or(Type::Double))
            }
            F::InstanceOfBoolean
            | F::InstanceOfDouble
            | F::InstanceOfFloat
            | F::InstanceOfInteger
            | F::InstanceOfLong
            | F::InstanceOfString => Some(Type::Bool),
            F::EventTimestamp => Some(Type::Long),
            F::CurrentTimeMillis => {
                self.plan.reads_app_clock = true;
                Some(Type::Long)
            }
            F::Uuid => Some(Type::String),
            F::CreateSet => expect(
                self,
                0,
                types[0] != Type::Object,
                "a string, number or bool",
            )
            .then_some(Type::Object),
            F::SizeOfSet => expect(self, 0, types[0] == Type::Object, "a set").then_some(Type::Int),
            F::Abs => expect(self, 0, numeric(0), "a number").then_some(types[0]),
            F::Round => expect(self, 0, numeric(0), "a number").then_some(match types[0] {
                Type::Float | Type::Int => Type::Int,
                _ => Type::Long,
            }),
            F::Ceil | F::Floor | F::Sqrt | F::Ln | F::Log10 | F::Exp | F::Sin | F::Cos | F::Tan => {
                expect(self, 0, numeric(0), "a number").then_some(Type::Double)
            }
            F::Power => (expect(self, 0, numeric(0), "a number")
                && expect(self, 1, numeric(1), "a number"))
            .then_some(Type::Double),
            F::Concat => (0..args.len())
                .all(|i| expect(self, i, string(i), "a string"))
                .then_some(Type::String),
            F::Length => expect(self, 0, string(0), "a string").then_some(Type::Int),
            F::Upper | F::Lower | F::Trim | F::Reverse => {
                expect(self, 0, string(0), "a string").then_some(Type::String)
            }
            F::Substr => {
                // str:substr(s, begin[, length]) or str:substr(s, regex[, group]).
                let regex = types.get(1) == Some(&Type::String) && args.len() <= 3;
                let first_int = if regex { 2 } else { 1 };
                let ints = (first_int..args.len()).all(|i| {
                    expect(
                        self,
                        i,
                        matches!(types[i], Type::Int | Type::Long),
                        "an int",
                    )
                });
                (expect(self, 0, string(0), "a string") && ints).then_some(Type::String)
            }
            F::Contains | F::EqualsIgnoreCase => (expect(self, 0, string(0), "a string")
                && expect(self, 1, string(1), "a string"))
            .then_some(Type::Bool),
            F::ReplaceAll => (0..3)
                .all(|i| expect(self, i, string(i), "a string"))
                .then_some(Type::String),
        }
    }

    /// The common type of `args` (nulls aside), or an error naming the function and types.
    fn same_type(
        &mut self,
        full: &str,
        args: &[TypedExpr],
        call: &ast::Call,
        first_arg: usize,
    ) -> Option<Type> {
        let typed: Vec<Type> = args
            .iter()
            .filter(|a| !is_null_literal(a))
            .map(|a| a.ty)
            .collect();
        let Some(first) = typed.first().copied() else {
            return Some(Type::Object);
        };
        if let Some(other) = typed.iter().find(|t| **t != first) {
            let span = call.args[first_arg..].first().map_or(call.span, |a| {
                a.span.to(call.args.last().map_or(a.span, |l| l.span))
            });
            self.err(
                span,
                format!("function '{full}' needs arguments of one type, found {first} and {other}"),
            );
            return None;
        }
        Some(first)
    }

    /// A constant argument's value (time values in ms), or `None` when not constant.
    pub(crate) fn constant(&mut self, e: &ast::Expr) -> Option<TypedExpr> {
        let mut scope = Scope::new(Vec::new(), "constant");
        let errors = self.errors.len();
        let typed = self.expr(e, &mut scope);
        self.errors.truncate(errors);
        typed.filter(|t| t.const_value().is_some())
    }
}

fn literal(l: &Literal) -> TypedExpr {
    match l {
        Literal::Int(v) => TypedExpr::constant(Value::Int(*v), Type::Int),
        Literal::Long(v) => TypedExpr::constant(Value::Long(*v), Type::Long),
        Literal::Float(v) => TypedExpr::constant(Value::Float(*v), Type::Float),
        Literal::Double(v) => TypedExpr::constant(Value::Double(*v), Type::Double),
        Literal::String(s) => TypedExpr::constant(Value::String(s.clone()), Type::String),
        Literal::Bool(b) => TypedExpr::constant(Value::Bool(*b), Type::Bool),
        Literal::Null => TypedExpr::constant(Value::Null, Type::Object),
    }
}
