//! Window calls: the window's catalog entry, and its arguments matched against one of the
//! entry's signatures.

use super::expr::{Aggregates, Scope};
use super::{Checker, suggest};
use crate::ast::{self, ExprKind};
use crate::catalog::{self, ParamKind, WindowKind};
use crate::diagnostic::Diagnostic;
use crate::plan::*;

impl Checker {
    /// Validates the window `call` over a source called `source` with `schema`.
    pub(crate) fn window(
        &mut self,
        call: &ast::Call,
        source: &str,
        schema: &Schema,
    ) -> Option<WindowPlan> {
        let name = &call.name.name;
        let info = match (&call.namespace, catalog::window(name)) {
            (None, Some(info)) => info,
            (ns, _) => {
                let full = match ns {
                    Some(ns) => format!("{}:{name}", ns.name),
                    None => name.clone(),
                };
                let mut d = Diagnostic::new(call.name.span, format!("unknown window '{full}'"));
                if let Some(s) = suggest(&full, catalog::WINDOWS.iter().map(|w| w.name)) {
                    d = d.with_hint(format!("did you mean '{s}'?"));
                }
                self.error(d);
                return None;
            }
        };
        let mut failure = None;
        for signature in info.signatures {
            if call.args.len() < signature.len()
                || (call.args.len() > signature.len() && info.repeated.is_none())
            {
                continue;
            }
            let mut args = Vec::new();
            let mut ok = true;
            for (i, arg) in call.args.iter().enumerate() {
                let kind = signature
                    .get(i)
                    .map(|p| p.kind)
                    .or(info.repeated.map(|p| p.kind))
                    .unwrap_or(ParamKind::Attribute);
                let sort_order = info.kind == WindowKind::Sort
                    && i > signature.len()
                    && matches!(args.last(), Some(WindowArg::Attribute { .. }));
                let matched = if sort_order {
                    self.window_arg(ParamKind::Text, arg, source, schema)
                        .filter(|a| {
                            matches!(a, WindowArg::Value(Value::String(s))
                                if s.eq_ignore_ascii_case("asc") || s.eq_ignore_ascii_case("desc"))
                        })
                        .or_else(|| self.window_arg(kind, arg, source, schema))
                } else {
                    self.window_arg(kind, arg, source, schema)
                };
                match matched {
                    Some(a) => args.push(a),
                    None => {
                        ok = false;
                        failure.get_or_insert((i, kind));
                        break;
                    }
                }
            }
            if ok {
                if let (WindowKind::Cron, Some(WindowArg::Value(Value::String(expr)))) =
                    (info.kind, args.first())
                    && let Err(e) = super::definitions::validate_cron(expr)
                {
                    self.err(
                        call.args[0].span,
                        format!("invalid cron expression '{expr}': {e}"),
                    );
                    return None;
                }
                // Siddhi's session window refuses an allowed latency beyond its gap.
                if info.kind == WindowKind::Session
                    && let [WindowArg::Duration(gap), _, WindowArg::Duration(latency)] =
                        args.as_slice()
                    && latency > gap
                {
                    self.err(
                        call.args[2].span,
                        format!(
                            "window 'session': the allowed latency ({latency} ms) is greater than the session gap ({gap} ms)"
                        ),
                    );
                    return None;
                }
                // `frequent`/`lossyFrequent` without key attributes key on every attribute.
                let keyed = matches!(info.kind, WindowKind::Frequent | WindowKind::LossyFrequent);
                if keyed
                    && !args
                        .iter()
                        .any(|a| matches!(a, WindowArg::Attribute { .. }))
                {
                    args.extend(
                        schema
                            .attributes
                            .iter()
                            .enumerate()
                            .map(|(position, a)| WindowArg::Attribute { position, ty: a.ty }),
                    );
                }
                return Some(WindowPlan {
                    kind: info.kind,
                    args,
                });
            }
        }
        let usage: Vec<String> = info
            .signatures
            .iter()
            .map(|sig| {
                let mut params: Vec<String> = sig
                    .iter()
                    .map(|p| format!("{}: {}", p.name, p.kind.describe()))
                    .collect();
                if let Some(r) = info.repeated {
                    params.push(format!("{}...", r.name));
                }
                format!("{}({})", info.name, params.join(", "))
            })
            .collect();
        let (span, message) = match failure {
            Some((i, kind)) => (
                call.args[i].span,
                format!(
                    "window '{}' needs {} as argument {}",
                    info.name,
                    kind.describe(),
                    i + 1
                ),
            ),
            None => (
                call.span,
                format!(
                    "window '{}' does not take {} argument{}",
                    info.name,
                    call.args.len(),
                    if call.args.len() == 1 { "" } else { "s" }
                ),
            ),
        };
        self.error(
            Diagnostic::new(span, message).with_hint(format!("usage: {}", usage.join(" or "))),
        );
        None
    }

    fn window_arg(
        &mut self,
        kind: ParamKind,
        arg: &ast::Expr,
        source: &str,
        schema: &Schema,
    ) -> Option<WindowArg> {
        match kind {
            ParamKind::TimestampOrLongAttribute => {
                if matches!(arg.kind, ExprKind::Attribute { .. }) {
                    self.window_arg(ParamKind::LongAttribute, arg, source, schema)
                } else {
                    self.window_arg(ParamKind::Timestamp, arg, source, schema)
                }
            }
            ParamKind::Attribute | ParamKind::LongAttribute | ParamKind::StringAttribute => {
                if !matches!(arg.kind, ExprKind::Attribute { .. }) {
                    return None;
                }
                let mut scope = Scope::single(source, schema.clone(), "window argument");
                let errors = self.errors.len();
                let typed = self.expr(arg, &mut scope);
                match typed {
                    Some(TypedExpr {
                        kind: ExprNode::Attr(AttrRef::Input { position, .. }),
                        ty,
                    }) if kind == ParamKind::Attribute
                        || (kind == ParamKind::LongAttribute && ty == Type::Long)
                        || (kind == ParamKind::StringAttribute && ty == Type::String) =>
                    {
                        Some(WindowArg::Attribute { position, ty })
                    }
                    Some(_) => None,
                    None => {
                        self.errors.truncate(errors);
                        None
                    }
                }
            }
            ParamKind::Condition => {
                let Some(Value::String(text)) = self.constant(arg).and_then(|c| c.const_value())
                else {
                    return None;
                };
                let offset = arg.span.start + 1;
                let parsed = match crate::parser::parse_expression(&text) {
                    Ok(e) => e,
                    Err(errors) => {
                        for mut d in errors {
                            d.span = d.span.shifted(offset);
                            self.error(d);
                        }
                        return Some(WindowArg::Value(Value::Null));
                    }
                };
                let shifted = shift_expr(parsed, offset);
                // The newest event (unqualified, or `last.x`) is input 0, the oldest held
                // (`first.x`) input 1.
                let mut scope = Scope::single(source, schema.clone(), "window condition");
                for reference in ["first", "last"] {
                    scope.inputs.push(super::expr::ScopeInput {
                        reference: reference.to_string(),
                        hidden: None,
                        inner: false,
                        schema: schema.clone(),
                        slot: false,
                    });
                }
                scope.current = Some(0);
                scope.aggregates = Aggregates::Collected;
                match self.condition(&shifted, &mut scope, "the window condition") {
                    Some(mut expr) => Some(WindowArg::Condition {
                        expr: {
                            expr.retarget_input(2, 0);
                            expr
                        },
                        text,
                        aggregates: scope.collected,
                    }),
                    None => Some(WindowArg::Value(Value::Null)),
                }
            }
            _ => {
                let value = self.constant(arg)?;
                let is_time = matches!(arg.kind, ExprKind::Time(_));
                match (kind, value.const_value()?) {
                    (ParamKind::Count, Value::Int(n)) if n > 0 => {
                        Some(WindowArg::Value(Value::Int(n)))
                    }
                    (ParamKind::Count, Value::Long(n)) if n > 0 && n <= i32::MAX as i64 => {
                        Some(WindowArg::Value(Value::Int(n as i32)))
                    }
                    (ParamKind::Length, Value::Int(n)) if n >= 0 => {
                        Some(WindowArg::Value(Value::Int(n)))
                    }
                    (ParamKind::Length, Value::Long(n)) if (0..=i32::MAX as i64).contains(&n) => {
                        Some(WindowArg::Value(Value::Int(n as i32)))
                    }
                    (ParamKind::Duration, Value::Long(ms)) if ms > 0 => {
                        Some(WindowArg::Duration(ms))
                    }
                    (ParamKind::Duration, Value::Int(ms)) if ms > 0 => {
                        Some(WindowArg::Duration(ms as i64))
                    }
                    (ParamKind::Timestamp, Value::Int(t)) if !is_time => {
                        Some(WindowArg::Value(Value::Long(t as i64)))
                    }
                    (ParamKind::Timestamp, Value::Long(t)) if !is_time => {
                        Some(WindowArg::Value(Value::Long(t)))
                    }
                    (ParamKind::Flag, Value::Bool(b)) => Some(WindowArg::Value(Value::Bool(b))),
                    (ParamKind::Number, Value::Int(v)) => {
                        Some(WindowArg::Value(Value::Double(v as f64)))
                    }
                    (ParamKind::Number, Value::Long(v)) => {
                        Some(WindowArg::Value(Value::Double(v as f64)))
                    }
                    (ParamKind::Number, Value::Float(v)) => {
                        Some(WindowArg::Value(Value::Double(v as f64)))
                    }
                    (ParamKind::Number, Value::Double(v)) => {
                        Some(WindowArg::Value(Value::Double(v)))
                    }
                    (ParamKind::Text, Value::String(s)) => Some(WindowArg::Value(Value::String(s))),
                    _ => None,
                }
            }
        }
    }
}

/// Moves every span in `e` right by `offset` (for expressions parsed out of a string literal).
fn shift_expr(mut e: ast::Expr, offset: usize) -> ast::Expr {
    e.span = e.span.shifted(offset);
    e.kind = match e.kind {
        ExprKind::Attribute {
            qualifier,
            mut name,
        } => {
            name.span = name.span.shifted(offset);
            ExprKind::Attribute {
                qualifier: qualifier.map(|mut q| {
                    q.name.span = q.name.span.shifted(offset);
                    q
                }),
                name,
            }
        }
        ExprKind::Call(mut call) => {
            call.span = call.span.shifted(offset);
            call.name.span = call.name.span.shifted(offset);
            call.args = call
                .args
                .into_iter()
                .map(|a| shift_expr(a, offset))
                .collect();
            ExprKind::Call(call)
        }
        ExprKind::Unary(op, inner) => ExprKind::Unary(op, Box::new(shift_expr(*inner, offset))),
        ExprKind::Binary(op, a, b) => ExprKind::Binary(
            op,
            Box::new(shift_expr(*a, offset)),
            Box::new(shift_expr(*b, offset)),
        ),
        ExprKind::IsNull(inner) => ExprKind::IsNull(Box::new(shift_expr(*inner, offset))),
        ExprKind::In(inner, mut table) => {
            table.span = table.span.shifted(offset);
            ExprKind::In(Box::new(shift_expr(*inner, offset)), table)
        }
        other => other,
    };
    e
}
