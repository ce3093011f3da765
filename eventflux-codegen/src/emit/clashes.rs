//! The safety net under [`super::names`]: two EventFluxQL names whose structs would still get
//! one Rust name (a name spelled like another's escaped form, or a stream named like a fault
//! stream's struct) are refused with the place of the name, rather than emitted as code that
//! does not compile.

use super::Unsupported;
use super::names::{inner_struct, type_bare};
use crate::plan::{Plan, StreamKind};
use crate::span::Span;
use std::collections::HashMap;

/// One generated struct: what it is for, its Rust name and where it is defined.
struct Named {
    what: String,
    rust: String,
    span: Span,
}

/// Every clash among the struct names the app's generated code would use.
pub fn check(plan: &Plan) -> Vec<Unsupported> {
    let mut named: Vec<Named> = Vec::new();
    for s in &plan.streams {
        let (what, rust) = match s.kind {
            StreamKind::Inner { partition } => (
                format!("inner stream `#{}`", s.name),
                inner_struct(partition, &s.name).to_string(),
            ),
            _ => (format!("stream `{}`", s.name), type_bare(&s.name)),
        };
        named.push(Named {
            what,
            rust,
            span: s.span,
        });
    }
    let others = plan
        .tables
        .iter()
        .map(|t| ("table", &t.name, t.span))
        .chain(plan.windows.iter().map(|w| ("window", &w.name, w.span)))
        .chain(
            plan.aggregations
                .iter()
                .map(|a| ("aggregation", &a.name, a.span)),
        )
        .chain(plan.triggers.iter().map(|t| ("trigger", &t.name, t.span)))
        .chain(
            plan.queries
                .iter()
                .filter(|q| matches!(q.output, crate::plan::OutputPlan::Return { .. }))
                .map(|q| ("`return` query", &q.name, q.span)),
        );
    for (kind, name, span) in others {
        named.push(Named {
            what: format!("{kind} `{name}`"),
            rust: type_bare(name),
            span,
        });
    }
    let mut errors = Vec::new();
    let mut types: HashMap<&str, &str> = HashMap::new();
    for n in &named {
        if let Some(other) = types.insert(&n.rust, &n.what) {
            errors.push(Unsupported::new(
                format!(
                    "the {} next to the {other} (both become the Rust type `{}`)",
                    n.what, n.rust
                ),
                n.span,
            ));
        }
    }
    errors
}
