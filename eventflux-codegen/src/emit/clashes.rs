//! Names that would make the generated Rust invalid: EventFluxQL allows names (backticks,
//! letters of any script, case-only differences) that map onto the same Rust identifier, onto
//! a primitive type, onto a name generated code uses itself, or onto method names of another
//! stream. Such an app is refused with the place of the name, rather than emitted as code
//! that does not compile.

use super::Unsupported;
use super::names::{SHADOWING, ident, inner_struct, stream_rust_name};
use crate::plan::{Plan, Schema, StreamKind};
use crate::span::Span;
use heck::ToSnakeCase;
use std::collections::HashMap;

/// Rust names a generated struct cannot take.
const TYPE_NAMES: &[&str] = &[
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32",
    "f64", "bool", "char", "str", "Self",
];

/// Attribute names that cannot be parameters of a struct's `new`.
const FIELD_NAMES: &[&str] = &["None", "Some", "Ok", "Err"];

/// One generated struct: what it is for, its Rust name, its fields and its methods' base.
struct Named<'a> {
    what: String,
    rust: String,
    schema: &'a Schema,
    span: Span,
    /// Whether the `App` gets `send_*` methods for it (streams), `on_*` ones (streams and
    /// `return` queries), or neither.
    sends: bool,
    callbacks: bool,
    /// Whether its Rust name is generated (an inner stream's), so never a reserved one.
    generated: bool,
}

fn valid(name: &str) -> bool {
    syn::parse_str::<syn::Ident>(name).is_ok()
}

/// Every clash among the names the app's generated code would use.
pub fn check(plan: &Plan) -> Vec<Unsupported> {
    let mut named: Vec<Named> = Vec::new();
    for s in &plan.streams {
        let (sends, callbacks) = match s.kind {
            StreamKind::Defined | StreamKind::Inferred | StreamKind::Fault { .. } => (true, true),
            StreamKind::Inner { .. } => (false, false),
        };
        let (what, rust, generated) = match s.kind {
            StreamKind::Inner { partition } => (
                format!("inner stream `#{}`", s.name),
                inner_struct(partition, &s.name).to_string(),
                true,
            ),
            _ => (
                format!("stream `{}`", s.name),
                stream_rust_name(&s.name),
                false,
            ),
        };
        named.push(Named {
            what,
            rust,
            generated,
            schema: &s.schema,
            span: s.span,
            sends,
            callbacks,
        });
    }
    for t in &plan.tables {
        named.push(Named {
            what: format!("table `{}`", t.name),
            rust: t.name.clone(),
            schema: &t.schema,
            span: t.span,
            sends: false,
            callbacks: false,
            generated: false,
        });
    }
    for w in &plan.windows {
        named.push(Named {
            what: format!("window `{}`", w.name),
            rust: w.name.clone(),
            schema: &w.schema,
            span: w.span,
            sends: false,
            callbacks: false,
            generated: false,
        });
    }
    for a in &plan.aggregations {
        named.push(Named {
            what: format!("aggregation `{}`", a.name),
            rust: a.name.clone(),
            schema: &a.schema,
            span: a.span,
            sends: false,
            callbacks: false,
            generated: false,
        });
    }
    let trigger_schema = Schema {
        attributes: vec![crate::plan::Attribute {
            name: "triggered_time".into(),
            ty: crate::plan::Type::Long,
        }],
    };
    for t in &plan.triggers {
        named.push(Named {
            what: format!("trigger `{}`", t.name),
            rust: t.name.clone(),
            schema: &trigger_schema,
            span: t.span,
            sends: true,
            callbacks: true,
            generated: false,
        });
    }
    let returns: Vec<(String, Schema, Span)> = plan
        .queries
        .iter()
        .filter(|q| matches!(q.output, crate::plan::OutputPlan::Return { .. }))
        .map(|q| (q.name.clone(), q.select.output_schema(), q.span))
        .collect();
    for (name, schema, span) in &returns {
        named.push(Named {
            what: format!("`return` query `{name}`"),
            rust: name.clone(),
            schema,
            span: *span,
            sends: false,
            callbacks: true,
            generated: false,
        });
    }
    let mut errors = Vec::new();
    let mut types: HashMap<String, &str> = HashMap::new();
    let mut methods: HashMap<String, String> = HashMap::new();
    for n in &named {
        let mut refuse = |why: String| errors.push(Unsupported::new(why, n.span));
        let rust = ident(&n.rust).to_string();
        let bare = rust.trim_start_matches("r#");
        if !valid(&rust) {
            refuse(format!("the {} (its name is no Rust identifier)", n.what));
        }
        let reserved =
            TYPE_NAMES.contains(&bare) || SHADOWING.contains(&bare) || bare.starts_with("__");
        if reserved && !n.generated {
            refuse(format!(
                "the {} (generated Rust code uses the name `{bare}` itself)",
                n.what
            ));
        }
        if let Some(other) = types.insert(bare.to_string(), &n.what) {
            refuse(format!(
                "the {} next to the {other} (both become the Rust type `{bare}`)",
                n.what
            ));
        }
        let snake = n.rust.to_snake_case();
        let mut own = Vec::new();
        if n.sends {
            for suffix in ["", "_at", "_all"] {
                own.push(format!("send_{snake}{suffix}"));
            }
        }
        if n.callbacks {
            own.push(format!("on_{snake}"));
            own.push(format!("on_{snake}_event"));
        }
        for m in own {
            if let Some(other) = methods.insert(m.clone(), n.what.clone()) {
                refuse(format!(
                    "the {} next to the {other} (both need the method `{m}`)",
                    n.what
                ));
            }
        }
        let mut fields: HashMap<String, &str> = HashMap::new();
        for a in &n.schema.attributes {
            let f = ident(&a.name).to_string();
            let bare = f.trim_start_matches("r#").to_string();
            if FIELD_NAMES.contains(&bare.as_str()) || bare.starts_with("__") {
                refuse(format!(
                    "the attribute `{}` of the {} (generated Rust code uses that name itself)",
                    a.name, n.what
                ));
            }
            if !valid(&f) {
                refuse(format!(
                    "the attribute `{}` of the {} (its name is no Rust identifier)",
                    a.name, n.what
                ));
            }
            if let Some(other) = fields.insert(bare.clone(), &a.name) {
                refuse(format!(
                    "the attributes `{other}` and `{}` of the {} (both become the Rust field `{bare}`)",
                    a.name, n.what
                ));
            }
        }
    }
    errors
}
