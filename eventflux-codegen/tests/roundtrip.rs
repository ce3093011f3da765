//! Print/parse round-trips and parser robustness.
//!
//! - Every conformance app that parses prints to text that parses back to an equal AST.
//! - Random ASTs (definitions of every kind, queries with filters, windows, joins, patterns and
//!   sequences, selectors, rate limits, every output kind, partitions, annotations, and
//!   expressions with every operator and literal) print to text that parses back to an equal AST.
//! - The parser never panics, on arbitrary text or on text made of EventFluxQL fragments.
//!
//! Spans always compare equal, so `==` on ASTs compares structure and values only.

use eventflux_codegen::ast::*;
use eventflux_codegen::parser::{first_separator, parse_expression};
use eventflux_codegen::printer::{print_app, print_expr};
use eventflux_codegen::span::Span;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use serde::Deserialize;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- the corpus

/// The only field of a conformance case this test reads.
#[derive(Deserialize)]
struct Case {
    app: String,
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

/// Parses `text`, prints it, parses the print and compares; `None` when `text` does not parse.
fn round_trip(name: &str, text: &str) -> Option<Result<(), String>> {
    let first = eventflux_codegen::parse(name, text).ok()?;
    let printed = print_app(&first);
    Some(match eventflux_codegen::parse("printed", &printed) {
        Err(e) => Err(format!(
            "{name}: the printed app does not parse:\n{printed}\n{}",
            e.one_line_each().join("\n")
        )),
        Ok(second) if second != first => Err(format!(
            "{name}: the printed app parses to a different AST:\n{printed}\nfirst:  {first:?}\nsecond: {second:?}"
        )),
        Ok(second) if print_app(&second) != printed => Err(format!(
            "{name}: printing is not idempotent:\n{printed}\nthen:\n{}",
            print_app(&second)
        )),
        Ok(_) => Ok(()),
    })
}

#[test]
fn conformance_apps_round_trip() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in [
        root.join("..")
            .join("shared")
            .join("conformance")
            .join("cases"),
        root.join("tests").join("conformance"),
    ] {
        yaml_files(&dir, &mut files);
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in &files {
        let name = path.display().to_string();
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let case: Case = match serde_saphyr::from_str(&text) {
            Ok(case) => case,
            Err(e) => {
                eprintln!("{name}: skipped, not a case: {e}");
                continue;
            }
        };
        match round_trip(&name, &case.app) {
            None => {}
            Some(Ok(())) => checked += 1,
            Some(Err(message)) => failures.push(message),
        }
    }
    eprintln!("{checked} of {} conformance apps round-trip", files.len());
    assert!(
        failures.is_empty(),
        "{} apps do not round-trip:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------- random ASTs

const SP: Span = Span { start: 0, end: 0 };

/// Plain names, unit words among them (they are names too).
const NAMES: &[&str] = &[
    "a", "b", "price", "symbol", "S", "T", "Out", "e1", "e2", "_x9", "sec", "Min", "hours",
];

/// Names that must be written in backquotes.
const QUOTED_NAMES: &[&str] = &[
    "from", "Select", "AND", "or", "window", "every", "in", "last", "not", "Events", "null",
    "true", "my name", "1st",
];

/// Annotation names and key parts (keywords are words there; upper-case ones need quotes).
const WORDS: &[&str] = &[
    "info", "name", "sink", "map", "type", "on", "error", "buffer", "size", "from", "Select",
    "Events", "sec", "async", "payload",
];

fn id(name: &str) -> Ident {
    Ident {
        name: name.to_string(),
        span: SP,
    }
}

fn ex(kind: ExprKind) -> Expr {
    Expr { kind, span: SP }
}

fn name() -> BoxedStrategy<Ident> {
    prop_oneof![4 => select(NAMES), 1 => select(QUOTED_NAMES)]
        .prop_map(id)
        .boxed()
}

fn word() -> BoxedStrategy<Ident> {
    select(WORDS).prop_map(id).boxed()
}

/// Text that some string quoting can hold.
fn text() -> BoxedStrategy<String> {
    "[a-zA-Z0-9 _.,;:'\"*/-]{0,8}"
        .prop_filter("no quoting holds it", |s| {
            !(s.contains('\'') && s.contains('"') && (s.contains("\"\"\"") || s.ends_with('"')))
        })
        .boxed()
}

fn f32_non_negative() -> BoxedStrategy<f32> {
    (prop::num::f32::POSITIVE
        | prop::num::f32::ZERO
        | prop::num::f32::NORMAL
        | prop::num::f32::SUBNORMAL)
        .prop_map(f32::abs)
        .boxed()
}

fn f64_non_negative() -> BoxedStrategy<f64> {
    (prop::num::f64::POSITIVE
        | prop::num::f64::ZERO
        | prop::num::f64::NORMAL
        | prop::num::f64::SUBNORMAL)
        .prop_map(f64::abs)
        .boxed()
}

/// A literal as an expression holds it: numbers are never negative (`-1` is a negation).
fn literal() -> BoxedStrategy<Literal> {
    prop_oneof![
        prop_oneof![0..100i32, 0..=i32::MAX].prop_map(Literal::Int),
        prop_oneof![0..100i64, 0..=i64::MAX].prop_map(Literal::Long),
        prop_oneof![Just(1.5f32), f32_non_negative()].prop_map(Literal::Float),
        prop_oneof![Just(0.1f64), f64_non_negative()].prop_map(Literal::Double),
        text().prop_map(Literal::String),
        any::<bool>().prop_map(Literal::Bool),
        Just(Literal::Null),
    ]
    .boxed()
}

/// A literal as an annotation value holds it: numbers may be negative.
fn annotation_value() -> BoxedStrategy<Literal> {
    let f32_any = prop::num::f32::POSITIVE
        | prop::num::f32::NEGATIVE
        | prop::num::f32::ZERO
        | prop::num::f32::NORMAL
        | prop::num::f32::SUBNORMAL;
    let f64_any = prop::num::f64::POSITIVE
        | prop::num::f64::NEGATIVE
        | prop::num::f64::ZERO
        | prop::num::f64::NORMAL
        | prop::num::f64::SUBNORMAL;
    prop_oneof![
        (i32::MIN + 1..=i32::MAX).prop_map(Literal::Int),
        (i64::MIN + 1..=i64::MAX).prop_map(Literal::Long),
        f32_any.prop_map(Literal::Float),
        f64_any.prop_map(Literal::Double),
        text().prop_map(Literal::String),
        any::<bool>().prop_map(Literal::Bool),
        Just(Literal::Null),
    ]
    .boxed()
}

fn unit() -> BoxedStrategy<TimeUnit> {
    select(TimeUnit::ALL.to_vec()).boxed()
}

fn time() -> BoxedStrategy<Expr> {
    vec((prop_oneof![0..1000i64, 0..=i64::MAX], unit()), 1..3)
        .prop_map(|mut parts| {
            // Units go from the largest to the smallest, each once.
            parts.sort_by_key(|(_, u)| std::cmp::Reverse(u.millis()));
            parts.dedup_by_key(|(_, u)| u.millis());
            ex(ExprKind::Time(parts))
        })
        .boxed()
}

fn attribute() -> BoxedStrategy<Expr> {
    let index = prop_oneof![
        (0..20u32).prop_map(EventIndex::At),
        (0..4u32).prop_map(EventIndex::FromLast),
    ];
    let qualifier =
        (name(), option::of(index), any::<bool>()).prop_map(|(name, index, inner)| Qualifier {
            name,
            index,
            inner: inner && index.is_none(),
        });
    (option::of(qualifier), name())
        .prop_map(|(qualifier, name)| ex(ExprKind::Attribute { qualifier, name }))
        .boxed()
}

fn call(args: BoxedStrategy<Expr>) -> BoxedStrategy<Call> {
    (option::of(name()), name(), vec(args, 0..3))
        .prop_map(|(namespace, name, args)| Call {
            namespace,
            name,
            args,
            span: SP,
        })
        .boxed()
}

fn binary_op() -> BoxedStrategy<BinaryOp> {
    select(vec![
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Mod,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::And,
        BinaryOp::Or,
    ])
    .boxed()
}

/// Expressions nested at most `depth` deep.
fn expr(depth: u32) -> BoxedStrategy<Expr> {
    let leaf = prop_oneof![
        literal().prop_map(|l| ex(ExprKind::Literal(l))),
        time(),
        attribute(),
    ];
    leaf.prop_recursive(depth, 32, 3, |inner| {
        prop_oneof![
            call(inner.clone()).prop_map(|c| ex(ExprKind::Call(c))),
            (
                prop_oneof![Just(UnaryOp::Not), Just(UnaryOp::Neg)],
                inner.clone()
            )
                .prop_map(|(op, e)| ex(ExprKind::Unary(op, Box::new(e)))),
            (binary_op(), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| ex(ExprKind::Binary(op, Box::new(a), Box::new(b)))),
            (binary_op(), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| ex(ExprKind::Binary(op, Box::new(a), Box::new(b)))),
            // `is null` follows a name, an attribute or a call.
            prop_oneof![
                attribute(),
                call(inner.clone()).prop_map(|c| ex(ExprKind::Call(c))),
            ]
            .prop_map(|e| ex(ExprKind::IsNull(Box::new(e)))),
            (inner, name()).prop_map(|(e, t)| ex(ExprKind::In(Box::new(e), t))),
        ]
    })
    .boxed()
}

/// A small expression, for the many places one goes.
fn small_expr() -> BoxedStrategy<Expr> {
    expr(2)
}

fn event_type() -> BoxedStrategy<EventType> {
    select(vec![EventType::Current, EventType::Expired, EventType::All]).boxed()
}

fn source_ref() -> BoxedStrategy<SourceRef> {
    (name(), 0..3u8)
        .prop_map(|(name, kind)| SourceRef {
            name,
            inner: kind == 1,
            fault: kind == 2,
        })
        .boxed()
}

/// A source with handlers and no alias.
fn basic_input() -> BoxedStrategy<SingleInput> {
    let handler = prop_oneof![
        small_expr().prop_map(Handler::Filter),
        call(small_expr()).prop_map(Handler::Window),
        call(small_expr()).prop_map(Handler::Function),
    ];
    (source_ref(), vec(handler, 0..3))
        .prop_map(|(source, handlers)| SingleInput {
            source,
            handlers,
            alias: None,
            span: SP,
        })
        .boxed()
}

fn aliased_input() -> BoxedStrategy<SingleInput> {
    (basic_input(), option::of(name()))
        .prop_map(|(mut input, alias)| {
            input.alias = alias;
            input
        })
        .boxed()
}

fn join() -> BoxedStrategy<QueryInput> {
    let side = || {
        (aliased_input(), any::<bool>()).prop_map(|(input, unidirectional)| JoinSide {
            input,
            unidirectional,
        })
    };
    let kind = select(vec![
        JoinKind::Join,
        JoinKind::Inner,
        JoinKind::LeftOuter,
        JoinKind::RightOuter,
        JoinKind::FullOuter,
    ]);
    (
        side(),
        kind,
        side(),
        option::of(small_expr()),
        option::of((small_expr(), option::of(small_expr()))),
        option::of(small_expr()),
    )
        .prop_map(|(left, kind, right, on, within, per)| {
            QueryInput::Join(Box::new(JoinInput {
                left,
                kind,
                right,
                on,
                within,
                per,
                span: SP,
            }))
        })
        .boxed()
}

fn quantifier() -> BoxedStrategy<Quantifier> {
    prop_oneof![
        (0..10u32).prop_map(|n| Quantifier::Count(Some(n), Some(n))),
        (0..10u32, 0..10u32).prop_map(|(n, m)| Quantifier::Count(Some(n), Some(m))),
        (0..10u32).prop_map(|n| Quantifier::Count(Some(n), None)),
        (0..10u32).prop_map(|m| Quantifier::Count(None, Some(m))),
        Just(Quantifier::OneOrMore),
        Just(Quantifier::ZeroOrMore),
        Just(Quantifier::ZeroOrOne),
    ]
    .boxed()
}

/// `e1=S[..]<n:m>` or `not S[..] for T`.
fn state_unit() -> BoxedStrategy<StateElement> {
    prop_oneof![
        (option::of(name()), basic_input(), option::of(quantifier())).prop_map(
            |(alias, input, quantifier)| StateElement::Stream {
                alias,
                input,
                quantifier,
                span: SP,
            }
        ),
        (basic_input(), option::of(time())).prop_map(|(input, waiting)| {
            StateElement::Absent {
                input,
                waiting,
                span: SP,
            }
        }),
    ]
    .boxed()
}

/// A unit, or two units joined by `and` / `or`.
fn state_atom_leaf() -> BoxedStrategy<StateElement> {
    prop_oneof![
        2 => state_unit(),
        1 => (
            state_unit(),
            prop_oneof![Just(LogicalOp::And), Just(LogicalOp::Or)],
            state_unit()
        )
            .prop_map(|(a, op, b)| StateElement::Logical(Box::new(a), op, Box::new(b))),
    ]
    .boxed()
}

/// An atom, possibly under `every`.
fn state_term(atom: BoxedStrategy<StateElement>) -> BoxedStrategy<StateElement> {
    prop_oneof![
        2 => atom.clone(),
        1 => atom.prop_map(|a| StateElement::Every(Box::new(a), SP)),
    ]
    .boxed()
}

/// A chain of terms joined by `->` / `,`, with groups inside; only the shapes the grammar has.
fn state_chain() -> BoxedStrategy<StateElement> {
    state_term(state_atom_leaf())
        .prop_recursive(3, 12, 3, |chain| {
            let atom = prop_oneof![
                2 => state_atom_leaf(),
                1 => chain.clone().prop_map(|c| StateElement::Group(Box::new(c), SP)),
            ]
            .boxed();
            let term = state_term(atom);
            let separator = prop_oneof![Just(StateSeparator::Arrow), Just(StateSeparator::Comma)];
            prop_oneof![
                1 => term.clone(),
                2 => (chain, separator, term)
                    .prop_map(|(a, s, b)| StateElement::Next(Box::new(a), s, Box::new(b))),
            ]
        })
        .boxed()
}

fn state_input() -> BoxedStrategy<QueryInput> {
    (state_chain(), option::of(time()))
        .prop_map(|(element, mut within)| {
            // A lone plain stream is an ordinary input, not a pattern.
            if within.is_none()
                && matches!(
                    element,
                    StateElement::Stream {
                        alias: None,
                        quantifier: None,
                        ..
                    }
                )
            {
                within = Some(ex(ExprKind::Time(vec![(1, TimeUnit::Second)])));
            }
            let kind = match first_separator(&element) {
                Some(StateSeparator::Comma) => StateKind::Sequence,
                _ => StateKind::Pattern,
            };
            QueryInput::State(StateInput {
                kind,
                element,
                within,
                span: SP,
            })
        })
        .boxed()
}

fn query_input() -> BoxedStrategy<QueryInput> {
    prop_oneof![
        basic_input().prop_map(QueryInput::Single),
        join(),
        state_input(),
    ]
    .boxed()
}

fn selector() -> BoxedStrategy<Selector> {
    let item = (expr(3), option::of(name())).prop_map(|(expr, alias)| SelectItem { expr, alias });
    let list = prop_oneof![
        1 => Just(SelectList::Star(SP)),
        3 => vec(item, 1..4).prop_map(SelectList::Items),
    ];
    let order = (
        small_expr(),
        option::of(prop_oneof![Just(SortOrder::Asc), Just(SortOrder::Desc)]),
    )
        .prop_map(|(expr, order)| OrderItem { expr, order });
    (
        option::of(list),
        vec(small_expr(), 0..3),
        option::of(expr(3)),
        vec(order, 0..3),
        option::of(small_expr()),
        option::of(small_expr()),
    )
        .prop_map(
            |(select, group_by, having, order_by, limit, offset)| Selector {
                select,
                group_by,
                having,
                order_by,
                limit,
                offset,
            },
        )
        .boxed()
}

fn output_rate() -> BoxedStrategy<OutputRate> {
    let mode = option::of(select(vec![RateMode::All, RateMode::First, RateMode::Last]));
    let count = prop_oneof![
        (0..=i32::MAX).prop_map(Literal::Int),
        (0..=i64::MAX).prop_map(Literal::Long),
    ]
    .prop_map(|l| ex(ExprKind::Literal(l)));
    prop_oneof![
        (mode.clone(), count).prop_map(|(mode, count)| OutputRate::Events {
            mode,
            count,
            span: SP,
        }),
        (mode, time()).prop_map(|(mode, period)| OutputRate::Time {
            mode,
            period,
            span: SP,
        }),
        time().prop_map(|period| OutputRate::Snapshot { period, span: SP }),
    ]
    .boxed()
}

fn query_output() -> BoxedStrategy<QueryOutput> {
    let set = vec(
        (attribute(), small_expr()).prop_map(|(target, value)| SetAssignment { target, value }),
        0..3,
    );
    prop_oneof![
        (option::of(event_type()), source_ref()).prop_map(|(events, target)| {
            QueryOutput::Insert {
                events,
                target,
                span: SP,
            }
        }),
        (name(), option::of(event_type()), small_expr()).prop_map(|(target, events, on)| {
            QueryOutput::Delete {
                target,
                events,
                on,
                span: SP,
            }
        }),
        (name(), option::of(event_type()), set.clone(), small_expr()).prop_map(
            |(target, events, set, on)| QueryOutput::Update {
                target,
                events,
                set,
                on,
                span: SP,
            }
        ),
        (name(), option::of(event_type()), set, small_expr()).prop_map(
            |(target, events, set, on)| QueryOutput::UpdateOrInsert {
                target,
                events,
                set,
                on,
                span: SP,
            }
        ),
        option::of(event_type()).prop_map(|events| QueryOutput::Return { events, span: SP }),
    ]
    .boxed()
}

/// An annotation with a namespace from `namespace`; nested ones may have any namespace.
fn annotation(namespace: BoxedStrategy<Option<Ident>>) -> BoxedStrategy<Annotation> {
    let element = (
        option::of(vec(select(WORDS), 1..3).prop_map(|parts| parts.join("."))),
        annotation_value(),
    )
        .prop_map(|(key, value)| AnnotationElement {
            key,
            value,
            span: SP,
        });
    let leaf = (option::of(word()), word(), vec(element.clone(), 0..3)).prop_map(
        |(namespace, name, elements)| Annotation {
            namespace,
            name,
            elements,
            nested: vec![],
            span: SP,
        },
    );
    let inner_element = element.clone();
    let nested = leaf.prop_recursive(2, 6, 2, move |inner| {
        (
            option::of(word()),
            word(),
            vec(inner_element.clone(), 0..2),
            vec(inner, 0..2),
        )
            .prop_map(|(namespace, name, elements, nested)| Annotation {
                namespace,
                name,
                elements,
                nested,
                span: SP,
            })
    });
    (namespace, word(), vec(element, 0..3), vec(nested, 0..2))
        .prop_map(|(namespace, name, elements, nested)| Annotation {
            namespace,
            name,
            elements,
            nested,
            span: SP,
        })
        .boxed()
}

/// Annotations of an element: any namespace but `app` (those move to the app).
fn element_annotations() -> BoxedStrategy<Vec<Annotation>> {
    vec(
        annotation(option::of(select(vec!["sink", "Map", "from"]).prop_map(id)).boxed()),
        0..2,
    )
    .boxed()
}

fn app_annotation() -> BoxedStrategy<Annotation> {
    annotation(
        select(vec!["app", "App"])
            .prop_map(|ns| Some(id(ns)))
            .boxed(),
    )
}

fn attr_type() -> BoxedStrategy<AttrType> {
    select(vec![
        AttrType::Int,
        AttrType::Long,
        AttrType::Float,
        AttrType::Double,
        AttrType::String,
        AttrType::Bool,
        AttrType::Object,
    ])
    .boxed()
}

fn attributes() -> BoxedStrategy<Vec<AttributeDef>> {
    vec(
        (name(), attr_type()).prop_map(|(name, ty)| AttributeDef {
            name,
            ty,
            ty_span: SP,
        }),
        1..4,
    )
    .boxed()
}

fn definition_kind() -> BoxedStrategy<DefinitionKind> {
    let trigger_at = prop_oneof![
        Just(TriggerAt::Start),
        time().prop_map(TriggerAt::Every),
        "[0-9*/ ?]{1,12}".prop_map(|cron| TriggerAt::Cron(cron, SP)),
    ];
    let periods = prop_oneof![
        (unit(), unit()).prop_map(|(a, b)| AggregationPeriods::Range(a, b, SP)),
        vec(unit().prop_map(|u| (u, SP)), 1..4).prop_map(AggregationPeriods::List),
    ];
    let body = prop_oneof![
        "[a-z0-9 ;+=()'\n]{0,20}",
        "[a-z0-9 ;+=()]{0,10}".prop_map(|b| format!(" if (x) {{ {b} }} else {{}}\n")),
    ];
    prop_oneof![
        (name(), attributes())
            .prop_map(|(name, attributes)| DefinitionKind::Stream { name, attributes }),
        (name(), attributes())
            .prop_map(|(name, attributes)| DefinitionKind::Table { name, attributes }),
        (
            name(),
            attributes(),
            call(small_expr()),
            option::of(event_type())
        )
            .prop_map(
                |(name, attributes, window, output)| DefinitionKind::Window {
                    name,
                    attributes,
                    window,
                    output,
                }
            ),
        (name(), trigger_at).prop_map(|(name, at)| DefinitionKind::Trigger { name, at }),
        (
            name(),
            basic_input(),
            selector(),
            option::of(small_expr()),
            periods
        )
            .prop_map(|(name, input, selector, aggregate_by, every)| {
                DefinitionKind::Aggregation {
                    name,
                    input,
                    selector,
                    aggregate_by,
                    every,
                }
            }),
        (name(), name(), attr_type(), body).prop_map(|(name, language, return_type, body)| {
            DefinitionKind::Function {
                name,
                language,
                return_type,
                body,
            }
        }),
    ]
    .boxed()
}

fn definition() -> BoxedStrategy<Element> {
    (element_annotations(), definition_kind())
        .prop_map(|(annotations, kind)| {
            Element::Definition(Definition {
                annotations,
                kind,
                span: SP,
            })
        })
        .boxed()
}

fn query() -> BoxedStrategy<Query> {
    (
        element_annotations(),
        query_input(),
        selector(),
        option::of(output_rate()),
        query_output(),
    )
        .prop_map(
            |(annotations, input, selector, output_rate, output)| Query {
                annotations,
                input,
                selector,
                output_rate,
                output,
                span: SP,
            },
        )
        .boxed()
}

fn partition() -> BoxedStrategy<Partition> {
    let key = prop_oneof![
        (small_expr(), name()).prop_map(|(expr, stream)| PartitionKey::Value { expr, stream }),
        (vec((small_expr(), text()), 1..3), name()).prop_map(|(ranges, stream)| {
            PartitionKey::Range {
                ranges: ranges.into_iter().map(|(e, l)| (e, l, SP)).collect(),
                stream,
            }
        }),
    ];
    (element_annotations(), vec(key, 1..3), vec(query(), 1..3))
        .prop_map(|(annotations, keys, queries)| Partition {
            annotations,
            keys,
            queries,
            span: SP,
        })
        .boxed()
}

fn app() -> BoxedStrategy<App> {
    let later = prop_oneof![
        3 => query().prop_map(Element::Query),
        1 => partition().prop_map(Element::Partition),
    ];
    (
        vec(app_annotation(), 0..3),
        vec(definition(), 0..4),
        vec(later, 0..4),
    )
        .prop_map(|(annotations, mut elements, later)| {
            // Definitions come first; app annotations need an element to be written before.
            elements.extend(later);
            App {
                annotations: if elements.is_empty() {
                    vec![]
                } else {
                    annotations
                },
                elements,
            }
        })
        .boxed()
}

// ---------------------------------------------------------------- text for the robustness tests

const FRAGMENTS: &[&str] = &[
    "define",
    "stream",
    "table",
    "window",
    "trigger",
    "aggregation",
    "aggregate",
    "function",
    "from",
    "select",
    "as",
    "insert",
    "into",
    "delete",
    "update",
    "set",
    "on",
    "return",
    "events",
    "current",
    "expired",
    "all",
    "group",
    "by",
    "having",
    "order",
    "asc",
    "desc",
    "limit",
    "offset",
    "output",
    "first",
    "last",
    "every",
    "snapshot",
    "join",
    "inner",
    "left",
    "right",
    "full",
    "outer",
    "unidirectional",
    "within",
    "per",
    "not",
    "and",
    "or",
    "is",
    "null",
    "in",
    "true",
    "false",
    "partition",
    "with",
    "of",
    "begin",
    "end",
    "at",
    "for",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    ".",
    "...",
    ":",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "->",
    "#",
    "!",
    "@",
    "?",
    "S",
    "T",
    "a",
    "price",
    "e1",
    "int",
    "string",
    "sec",
    "min",
    "year",
    "1",
    "0",
    "2L",
    "1.5f",
    "2.5",
    "1e3",
    "3d",
    "1e39f",
    "1e999",
    "99999999999",
    "99999999999999999999L",
    "'s'",
    "\"t\"",
    "'",
    "\"",
    "\"\"\"",
    "`a b`",
    "`",
    "{",
    "}",
    "{ return 1; }",
    "/*",
    "*/",
    "--",
    "\n",
    "${X}",
    "${",
    "length(5)",
    "#window.length(5)",
    "@app:name('x')",
    "@info(name = 'q')",
    "define stream S (a int);",
    "from S select a insert into T;",
    "e1=S",
    "<2:3>",
    "<:>",
    "last-1",
    "-1",
];

fn fragments() -> BoxedStrategy<String> {
    (vec(select(FRAGMENTS), 0..40), any::<bool>())
        .prop_map(|(parts, spaced)| parts.join(if spaced { " " } else { "" }))
        .boxed()
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_apps_round_trip(app in app()) {
        let printed = print_app(&app);
        match eventflux_codegen::parse("generated", &printed) {
            Err(e) => prop_assert!(
                false,
                "the printed app does not parse:\n{}\n{}",
                printed,
                e.one_line_each().join("\n")
            ),
            Ok(parsed) => prop_assert_eq!(parsed, app, "printed:\n{}", printed),
        }
    }

    #[test]
    fn random_expressions_round_trip(e in expr(6)) {
        let printed = print_expr(&e);
        match parse_expression(&printed) {
            Err(d) => prop_assert!(false, "{} does not parse: {:?}", printed, d),
            Ok(parsed) => prop_assert_eq!(parsed, e, "printed: {}", printed),
        }
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in any::<String>()) {
        let _ = eventflux_codegen::parse("arbitrary", &text);
        let _ = eventflux_codegen::check_app("arbitrary", &text);
        let _ = parse_expression(&text);
    }

    #[test]
    fn checking_generated_apps_never_panics(app in app()) {
        let printed = print_app(&app);
        if let Ok(plan) = eventflux_codegen::check_app("generated", &printed) {
            let _ = eventflux_codegen::explain::explain(&plan);
        }
    }

    #[test]
    fn parsing_fragments_never_panics_and_what_parses_round_trips(text in fragments()) {
        let _ = parse_expression(&text);
        let _ = eventflux_codegen::check_app("fragments", &text);
        if let Some(result) = round_trip("fragments", &text) {
            prop_assert!(result.is_ok(), "{}", result.unwrap_err());
        }
    }
}
