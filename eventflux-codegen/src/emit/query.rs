//! One query as Rust: its select clause as a `SelectLogic` implementation, a struct holding its
//! windows, selector and rate limiter, and the `App` methods that run it (input stages, timers)
//! and send its rows on.

use super::Unsupported;
use super::expr::{self, Cx, Inputs, SlotAccess, Statics, convert, key_type, key_value, rust_type};
use super::names::{self, field, fields, private, type_name};
use super::table::TableCode;
use crate::catalog::{AggregatorKind, WindowKind};
use crate::plan::{
    AggregateCall, EventSlot, EventType, HandlerPlan, InputPlan, InsertTarget, JoinKind, JoinPlan,
    LogicalOp, OutputPlan, Plan, QueryPlan, RateMode, RatePlan, Schema, SnapshotKind, SortOrder,
    SourceKind, SourcePlan, StateKind, StateNode, StatePlan, StreamFunctionPlan, StreamKind, Type,
    TypedExpr, Value as Constant, WindowArg, WindowPlan,
};
use crate::span::Span;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// A query ready to be put into the app.
pub struct QueryCode {
    /// Items at module level (logic, state struct).
    pub items: TokenStream,
    /// The `App` field holding its state.
    pub field: Ident,
    /// The field's type.
    pub ty: Ident,
    /// `App` methods: one per stream read (`(start, now, chunk)`), `__qN_on_time(now)`.
    pub methods: TokenStream,
    /// The streams it reads, each with the `App` method that takes its chunks.
    pub sources: Vec<(String, Ident)>,
    /// The partition it belongs to, if any.
    pub partition: Option<usize>,
    /// The streams it takes one event at a time, each with the `App` method taking
    /// `(now, event)` (a single stream's filters and at most one length or time window; a
    /// pattern's streams). A partition's member runs them on the key's active instance.
    pub ones: Vec<(String, Ident)>,
}

/// One aggregator of a selection: its state's type and initial value, the input it adds
/// (over the event `e`) and its value (over the states `s`).
pub struct Aggregate {
    pub ty: TokenStream,
    pub init: TokenStream,
    pub input: TokenStream,
    pub value: TokenStream,
}

/// The aggregator of call `index` of a selection.
pub fn aggregate(
    index: usize,
    call: &AggregateCall,
    cx: &Cx,
    statics: &mut Statics,
) -> Result<Aggregate, Unsupported> {
    let i = syn::Index::from(index);
    let arg_ty = call.args.first().map_or(Type::Object, |a| a.ty);
    let arg = match call.args.first() {
        Some(a) => expr::emit(a, cx, statics)?,
        None => quote!(()),
    };
    let t = rust_type(arg_ty);
    let numeric = |to: Type| convert(arg.clone(), arg_ty, to);
    Ok(match call.kind {
        AggregatorKind::Count => Aggregate {
            ty: quote!(__ef::aggregate::Count),
            init: quote!(__ef::aggregate::Count::new()),
            input: quote!(()),
            value: quote!(Some(__ef::Aggregator::value(&s.#i))),
        },
        AggregatorKind::Sum if matches!(arg_ty, Type::Float | Type::Double) => Aggregate {
            ty: quote!(__ef::aggregate::SumDouble),
            init: quote!(__ef::aggregate::SumDouble::new()),
            input: numeric(Type::Double),
            value: quote!(__ef::Aggregator::value(&s.#i)),
        },
        AggregatorKind::Sum => Aggregate {
            ty: quote!(__ef::aggregate::SumLong),
            init: quote!(__ef::aggregate::SumLong::new()),
            input: numeric(Type::Long),
            value: quote!(__ef::Aggregator::value(&s.#i)),
        },
        AggregatorKind::Avg => Aggregate {
            ty: quote!(__ef::aggregate::Avg),
            init: quote!(__ef::aggregate::Avg::new()),
            input: numeric(Type::Double),
            value: quote!(__ef::Aggregator::value(&s.#i)),
        },
        AggregatorKind::StdDev => Aggregate {
            ty: quote!(__ef::aggregate::StdDev),
            init: quote!(__ef::aggregate::StdDev::new()),
            input: numeric(Type::Double),
            value: quote!(__ef::Aggregator::value(&s.#i)),
        },
        AggregatorKind::Min
        | AggregatorKind::Max
        | AggregatorKind::MinForever
        | AggregatorKind::MaxForever => {
            let name = match call.kind {
                AggregatorKind::Min => quote!(Min),
                AggregatorKind::Max => quote!(Max),
                AggregatorKind::MinForever => quote!(MinForever),
                _ => quote!(MaxForever),
            };
            Aggregate {
                ty: quote!(__ef::aggregate::#name<#t>),
                init: quote!(__ef::aggregate::#name::<#t>::new()),
                input: arg,
                value: quote!(__ef::Aggregator::value(&s.#i)),
            }
        }
        AggregatorKind::DistinctCount => Aggregate {
            ty: quote!(__ef::aggregate::DistinctCount<#t>),
            init: quote!(__ef::aggregate::DistinctCount::<#t>::new()),
            input: arg,
            value: quote!(Some(__ef::Aggregator::value(&s.#i))),
        },
        AggregatorKind::And | AggregatorKind::Or => {
            let name = if call.kind == AggregatorKind::And {
                quote!(And)
            } else {
                quote!(Or)
            };
            Aggregate {
                ty: quote!(__ef::aggregate::#name),
                init: quote!(__ef::aggregate::#name::new()),
                input: convert(arg, arg_ty, Type::Bool),
                value: quote!(Some(__ef::Aggregator::value(&s.#i))),
            }
        }
        AggregatorKind::UnionSet => Aggregate {
            ty: quote!(__ef::aggregate::UnionSet),
            init: quote!(__ef::aggregate::UnionSet::new()),
            input: quote!(__ef::to_value(#arg)),
            value: quote!(Some(__ef::Value::Set(__ef::Aggregator::value(&s.#i)))),
        },
    })
}

pub struct Window {
    /// The window's type.
    pub ty: TokenStream,
    /// An empty window.
    pub init: TokenStream,
    /// Module-level items the window needs (an expression window's condition).
    pub items: TokenStream,
}

/// An `expression`/`expressionBatch` window's condition as a `WindowCondition` named `name`:
/// its aggregates over the window's events (created on first use) and the condition over
/// their values and the newest event.
fn window_condition(
    w: &WindowPlan,
    schema: &Schema,
    event: &TokenStream,
    name: &Ident,
    span: Span,
    statics: &mut Statics,
) -> Result<TokenStream, Unsupported> {
    let Some(WindowArg::Condition {
        expr: condition,
        aggregates,
        ..
    }) = w.args.first()
    else {
        return Err(Unsupported::new(
            "an expression window without its condition",
            span,
        ));
    };
    let cx = Cx::event(schema, None, span);
    let aggregates = aggregates
        .iter()
        .enumerate()
        .map(|(i, a)| aggregate(i, a, &cx, statics))
        .collect::<Result<Vec<_>, _>>()?;
    let types: Vec<&TokenStream> = aggregates.iter().map(|a| &a.ty).collect();
    let inits: Vec<&TokenStream> = aggregates.iter().map(|a| &a.init).collect();
    let inputs: Vec<&TokenStream> = aggregates.iter().map(|a| &a.input).collect();
    let indexes: Vec<syn::Index> = (0..aggregates.len()).map(syn::Index::from).collect();
    let values: Vec<TokenStream> = aggregates
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let v = private("a", i);
            let value = &a.value;
            quote!(let #v = #value;)
        })
        .collect();
    let holds_cx = Cx {
        input: Some(Inputs::Window(schema)),
        aggregates: true,
        ..cx
    };
    let holds = expr::condition(condition, &holds_cx, statics)?;
    Ok(quote! {
        #[doc(hidden)]
        #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
        pub struct #name;

        #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
        impl __ef::window::WindowCondition<#event> for #name {
            type State = Option<(#(#types,)*)>;
            fn add(&self, state: &mut Self::State, ev: &__ef::Event<#event>) {
                let s = state.get_or_insert_with(|| (#(#inits,)*));
                let e = &ev.data;
                let __ts = ev.timestamp;
                #(__ef::Aggregator::add(&mut s.#indexes, #inputs);)*
            }
            fn remove(&self, state: &mut Self::State, ev: &__ef::Event<#event>) {
                let s = state.get_or_insert_with(|| (#(#inits,)*));
                let e = &ev.data;
                let __ts = ev.timestamp;
                #(__ef::Aggregator::remove(&mut s.#indexes, #inputs);)*
            }
            fn holds(&self, state: &Self::State, newest: &__ef::Event<#event>) -> bool {
                self.holds_between(state, newest, newest)
            }
            fn holds_between(
                &self,
                state: &Self::State,
                first: &__ef::Event<#event>,
                newest: &__ef::Event<#event>,
            ) -> bool {
                let fresh;
                let s = match state {
                    Some(s) => s,
                    None => {
                        fresh = (#(#inits,)*);
                        &fresh
                    }
                };
                let e = &newest.data;
                let __first_ts = first.timestamp;
                let first = &first.data;
                let __ts = newest.timestamp;
                #(#values)*
                #holds
            }
        }
    })
}

fn key_fn(schema: &Schema, positions: &[usize], event: &TokenStream) -> (TokenStream, TokenStream) {
    let types: Vec<TokenStream> = positions
        .iter()
        .map(|p| key_type(schema.attributes[*p].ty))
        .collect();
    let values: Vec<TokenStream> = positions
        .iter()
        .map(|p| {
            let a = &schema.attributes[*p];
            let f = field(schema, *p);
            key_value(quote!(e.#f.clone()), a.ty)
        })
        .collect();
    let key = quote!((#(#types,)*));
    (
        key.clone(),
        quote!((|e: &#event| -> #key { (#(#values,)*) }) as fn(&#event) -> #key),
    )
}

pub fn window(
    w: &WindowPlan,
    schema: &Schema,
    event: &TokenStream,
    name: &Ident,
    span: Span,
    statics: &mut Statics,
) -> Result<Window, Unsupported> {
    let unsupported = |what: &str| Unsupported::new(what, span);
    let d = |i: usize| w.duration(i).unwrap_or(0);
    let opt = |v: Option<i64>| match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    };
    let attr_time = |i: usize| -> Result<TokenStream, Unsupported> {
        let p = w
            .attribute(i)
            .ok_or_else(|| unsupported("a window without its timestamp attribute"))?;
        let a = &schema.attributes[p];
        let f = field(schema, p);
        let value = convert(quote!(e.#f.clone()), a.ty, Type::Long);
        Ok(quote!((|e: &#event| -> i64 { #value.unwrap_or(0) }) as fn(&#event) -> i64))
    };
    Ok(match w.kind {
        WindowKind::Length => {
            let n = w.count(0);
            Window {
                ty: quote!(__ef::window::LengthWindow<#event>),
                init: quote!(__ef::window::LengthWindow::new(#n)),
                items: quote!(),
            }
        }
        WindowKind::LengthBatch => {
            let (n, current) = (w.count(0), w.flag(1).unwrap_or(false));
            Window {
                ty: quote!(__ef::window::LengthBatchWindow<#event>),
                init: quote!(__ef::window::LengthBatchWindow::new(#n, #current)),
                items: quote!(),
            }
        }
        WindowKind::Time => {
            let period = d(0);
            Window {
                ty: quote!(__ef::window::TimeWindow<#event>),
                init: quote!(__ef::window::TimeWindow::new(#period)),
                items: quote!(),
            }
        }
        WindowKind::TimeBatch => {
            let period = d(0);
            let (start, current) = w.time_batch_start();
            let start = opt(start);
            Window {
                ty: quote!(__ef::window::TimeBatchWindow<#event>),
                init: quote!(__ef::window::TimeBatchWindow::new(#period, #start, #current)),
                items: quote!(),
            }
        }
        WindowKind::TimeLength => {
            let (period, n) = (d(0), w.count(1));
            Window {
                ty: quote!(__ef::window::TimeLengthWindow<#event>),
                init: quote!(__ef::window::TimeLengthWindow::new(#period, #n)),
                items: quote!(),
            }
        }
        WindowKind::Delay => {
            let delay = d(0);
            Window {
                ty: quote!(__ef::window::DelayWindow<#event>),
                init: quote!(__ef::window::DelayWindow::new(#delay)),
                items: quote!(),
            }
        }
        WindowKind::Batch => {
            let n = w.count(0);
            let length = if n > 0 {
                quote!(Some(#n))
            } else {
                quote!(None)
            };
            Window {
                ty: quote!(__ef::window::BatchWindow<#event>),
                init: quote!(__ef::window::BatchWindow::new(#length)),
                items: quote!(),
            }
        }
        WindowKind::ExternalTime => {
            let (time, period) = (attr_time(0)?, d(1));
            Window {
                ty: quote!(__ef::window::ExternalTimeWindow<#event, fn(&#event) -> i64>),
                init: quote!(__ef::window::ExternalTimeWindow::new(#time, #period)),
                items: quote!(),
            }
        }
        WindowKind::ExternalTimeBatch => {
            let (time, period) = (attr_time(0)?, d(1));
            let (start, timeout) = (opt(w.timestamp(2)), opt(w.duration(3)));
            let replace = match (w.flag(4), w.attribute(0)) {
                (Some(true), Some(p)) => {
                    let a = &schema.attributes[p];
                    let f = field(schema, p);
                    let value = convert(quote!(Some(t)), Type::Long, a.ty);
                    quote!(Some(::std::sync::Arc::new(|e: &mut #event, t: i64| { e.#f = #value; })))
                }
                _ => quote!(None),
            };
            // `start.time` as an attribute is read from the first event.
            let start_attribute = match w.attribute(2) {
                Some(_) => {
                    let at = attr_time(2)?;
                    quote!(.with_start_attribute(#at))
                }
                None => quote!(),
            };
            Window {
                ty: quote!(__ef::window::ExternalTimeBatchWindow<#event, fn(&#event) -> i64>),
                init: quote!(__ef::window::ExternalTimeBatchWindow::new(
                    #time, #period, #start, #timeout, #replace
                )#start_attribute),
                items: quote!(),
            }
        }
        WindowKind::Sort => {
            let (length, keys) = w.sort_keys();
            let steps = keys.iter().map(|(p, desc)| {
                let f = field(schema, *p);
                let ord = quote!(__ef::ops::order(&x.#f, &y.#f));
                let ord = if *desc { quote!(#ord.reverse()) } else { ord };
                quote! {
                    let ord = #ord;
                    if ord != ::std::cmp::Ordering::Equal {
                        return ord;
                    }
                }
            });
            Window {
                ty: quote!(__ef::window::SortWindow<#event, fn(&#event, &#event) -> ::std::cmp::Ordering>),
                init: quote!(__ef::window::SortWindow::new(
                    #length,
                    (|x: &#event, y: &#event| -> ::std::cmp::Ordering {
                        #(#steps)*
                        ::std::cmp::Ordering::Equal
                    }) as fn(&#event, &#event) -> ::std::cmp::Ordering
                )),
                items: quote!(),
            }
        }
        WindowKind::Unique | WindowKind::FirstUnique => {
            let (key, f) = key_fn(schema, &w.attributes(0), event);
            let name = if w.kind == WindowKind::Unique {
                quote!(UniqueWindow)
            } else {
                quote!(FirstUniqueWindow)
            };
            Window {
                ty: quote!(__ef::window::#name<#event, #key, fn(&#event) -> #key>),
                init: quote!(__ef::window::#name::new(#f)),
                items: quote!(),
            }
        }
        WindowKind::Frequent => {
            let n = w.count(0);
            let (key, f) = key_fn(schema, &w.attributes(1), event);
            Window {
                ty: quote!(__ef::window::FrequentWindow<#event, #key, fn(&#event) -> #key>),
                init: quote!(__ef::window::FrequentWindow::new(#n, #f)),
                items: quote!(),
            }
        }
        WindowKind::LossyFrequent => {
            let support = w.number(0).unwrap_or(0.0);
            let error = w.number(1);
            let from = if error.is_some() { 2 } else { 1 };
            let error = match error {
                Some(e) => quote!(Some(#e)),
                None => quote!(None),
            };
            let (key, f) = key_fn(schema, &w.attributes(from), event);
            Window {
                ty: quote!(__ef::window::LossyFrequentWindow<#event, #key, fn(&#event) -> #key>),
                init: quote!(__ef::window::LossyFrequentWindow::new(#support, #error, #f)),
                items: quote!(),
            }
        }
        WindowKind::Session => {
            let gap = d(0);
            match w.attribute(1) {
                Some(p) => {
                    let a = &schema.attributes[p];
                    let (kt, f) = (key_type(a.ty), field(schema, p));
                    let value = key_value(quote!(e.#f.clone()), a.ty);
                    let latency = d(2);
                    Window {
                        ty: quote!(__ef::window::SessionWindow<#event, #kt, fn(&#event) -> #kt>),
                        init: quote!(__ef::window::SessionWindow::new(
                            #gap,
                            (|e: &#event| -> #kt { #value }) as fn(&#event) -> #kt,
                            #latency
                        )),
                        items: quote!(),
                    }
                }
                None => Window {
                    ty: quote!(__ef::window::SessionWindow<#event, (), fn(&#event)>),
                    init: quote!(__ef::window::SessionWindow::<#event, (), fn(&#event)>::unkeyed(#gap)),
                    items: quote!(),
                },
            }
        }
        WindowKind::Expression => {
            let items = window_condition(w, schema, event, name, span, statics)?;
            return Ok(Window {
                ty: quote!(__ef::window::ExpressionWindow<#event, #name>),
                init: quote!(__ef::window::ExpressionWindow::new(#name)),
                items,
            });
        }
        WindowKind::ExpressionBatch => {
            let items = window_condition(w, schema, event, name, span, statics)?;
            let (include, stream_current) =
                (w.flag(1).unwrap_or(false), w.flag(2).unwrap_or(false));
            return Ok(Window {
                ty: quote!(__ef::window::ExpressionBatchWindow<#event, #name>),
                init: quote!(__ef::window::ExpressionBatchWindow::new(#name, #include, #stream_current)),
                items,
            });
        }
        WindowKind::Cron => {
            let expression = match w.args.first() {
                Some(WindowArg::Value(Constant::String(s))) => s.clone(),
                _ => return Err(unsupported("a cron window without its expression")),
            };
            Window {
                ty: quote!(__ef::window::CronWindow<#event>),
                init: quote!(__ef::window::CronWindow::checked(#expression)),
                items: quote!(),
            }
        }
    })
}

/// What a query's input contributes to the query: the type its selector reads, how
/// expressions read it, and the state, methods and timers that feed the selector.
struct InputCode {
    /// The selector's input type (`SelectLogic::In`).
    in_ty: TokenStream,
    /// Module-level items (a pattern's event enum).
    items: TokenStream,
    /// Fields of the query's state struct (`name: Type,`) and their initializers (`name: init,`).
    fields: Vec<TokenStream>,
    inits: Vec<TokenStream>,
    /// Expressions over the state struct (`self`) giving each part's snapshot bytes.
    snapshots: Vec<TokenStream>,
    /// Statements restoring each part from `parts.next()` (the state struct is `self`).
    restores: Vec<TokenStream>,
    /// `Option<i64>` expressions over the state struct: when each part's timer is due.
    dues: Vec<TokenStream>,
    /// Statements over the state struct moving idle timers past `horizon`.
    skip_idle: TokenStream,
    /// `App` methods: one per source stream, plus helpers.
    methods: TokenStream,
    /// Statements of the query's `on_time(now)` run before its rate limiter's.
    on_time: TokenStream,
    /// Statements of the state struct's `anchor(origin)` (the state is `self`).
    anchor: TokenStream,
    /// The streams read, each with the `App` method taking `(start, now, chunk)`.
    sources: Vec<(String, Ident)>,
    /// Whether the input holds a window (for `output snapshot`).
    windowed: bool,
    /// The streams taken one event at a time, with the `App` method taking `(now, event)`.
    ones: Vec<(String, Ident)>,
    /// For a single stream with filters only and a plain select (the caller emits its one-event
    /// method, building the row straight from the event): the filters, each returning early.
    filters_only: Option<Vec<TokenStream>>,
}

/// The names of a query's generated items and `App` methods.
struct Names {
    field: Ident,
    select_fn: Ident,
    /// The method taking the selector's rows (`Vec<Selected>`) on to the query's output.
    emit_fn: Ident,
}

/// Whether a window processes one event without a chunk (`Window::process_each`).
fn per_event_window(kind: WindowKind) -> bool {
    matches!(kind, WindowKind::Length | WindowKind::Time)
}

/// A single stream source: its filters and windows run as stages; the selector reads the
/// stream's struct.
fn single_input(
    source: &SourcePlan,
    q: &QueryPlan,
    index: usize,
    names: &Names,
    tables: &[TableCode],
    plain_select: bool,
    statics: &mut Statics,
) -> Result<InputCode, Unsupported> {
    let input = &source.schema;
    let source_ty = source_struct(source, q);
    // A stream function adding attributes (`#pol2Cart`) gives the query a struct of its own:
    // the source's attributes and the added ones, computed as each event enters (they depend
    // on the event's attributes only, so computing them before the filters ahead of the
    // function changes no result).
    let adding = source.handlers.iter().find_map(|h| match h {
        HandlerPlan::Function(StreamFunctionPlan::Pol2Cart { theta, rho, z }) => {
            Some((theta, rho, z.as_ref()))
        }
        _ => None,
    });
    let event = match adding {
        None => quote!(#source_ty),
        Some(_) => {
            let i = quote::format_ident!("__Q{}In", index);
            quote!(#i)
        }
    };
    let Names {
        field,
        select_fn,
        emit_fn,
    } = names;
    let run = quote::format_ident!("__q{}_run", index);
    let one = quote::format_ident!("__q{}_one", index);
    // The per-event path: filters before and after at most one per-event window.
    let mut one_ok = true;
    let mut one_window: Option<Ident> = None;
    let mut one_pre = Vec::new();
    let mut one_post = Vec::new();
    let filter_cx = Cx::event(input, Some(tables), q.span);
    let mut stage_code = Vec::new();
    let mut window_fields = Vec::new();
    let mut window_types = Vec::new();
    let mut window_inits = Vec::new();
    let mut window_stages = Vec::new();
    let mut items = Vec::new();
    for (i, h) in source.handlers.iter().enumerate() {
        match h {
            HandlerPlan::Filter(c) => {
                let c = expr::condition(c, &filter_cx, statics)?;
                // Before the window the filter owns the event (and drops it when it fails);
                // after it, the window lends the event it holds.
                let discard = one_window.is_none().then(|| quote!(ev.data.__discard();));
                let check = quote! {
                    if ev.kind != __ef::EventKind::Reset && {
                        let e = &ev.data;
                        let __ts = ev.timestamp;
                        !(#c)
                    } {
                        #discard
                        return;
                    }
                };
                if one_window.is_none() {
                    one_pre.push(check);
                } else {
                    one_post.push(check);
                }
                stage_code.push(quote! {
                    if start <= #i && !chunk.is_empty() {
                        chunk.retain(|ev| {
                            ev.kind == __ef::EventKind::Reset || {
                                let e = &ev.data;
                                let __ts = ev.timestamp;
                                #c
                            }
                        });
                    }
                });
            }
            HandlerPlan::Window(w) => {
                let name = quote::format_ident!("__Cond{}_{}", index, i);
                let Window {
                    ty,
                    init,
                    items: window_items,
                } = window(w, input, &event, &name, q.span, statics)?;
                items.push(window_items);
                let f = private("w", i);
                // The window takes the events out of the chunk, which becomes the query's spare
                // buffer; the spare one receives what the window emits (no allocation per chunk).
                stage_code.push(quote! {
                    if start <= #i && !chunk.is_empty() {
                        if chunk.iter().any(|ev| ev.kind != __ef::EventKind::Current) {
                            chunk.retain(|ev| ev.kind == __ef::EventKind::Current);
                        }
                        let mut input = ::std::mem::replace(chunk, ::std::mem::take(&mut self.#field.__spare));
                        chunk.clear();
                        __ef::Window::process_from(&mut self.#field.#f, now, &mut input, chunk);
                        input.clear();
                        self.#field.__spare = input;
                    }
                });
                if one_window.is_some() || !per_event_window(w.kind) {
                    one_ok = false;
                }
                one_window = Some(f.clone());
                window_stages.push((i, f.clone()));
                window_fields.push(f);
                window_types.push(ty);
                window_inits.push(init);
            }
            HandlerPlan::Function(StreamFunctionPlan::Log { args }) => {
                one_ok = false;
                let log = log_call(&q.name, args, &filter_cx, statics)?;
                stage_code.push(quote! {
                    if start <= #i {
                        for ev in chunk.iter() {
                            let e = &ev.data;
                            let __ts = ev.timestamp;
                            #log;
                        }
                    }
                });
            }
            // Computed as the event enters (see `adding`).
            HandlerPlan::Function(StreamFunctionPlan::Pol2Cart { .. }) => {}
        }
    }
    let window_on_time = window_stages.iter().map(|(i, f)| {
        let next = i + 1;
        quote! {
            if __ef::Window::next_due(&self.#field.#f).is_some_and(|due| due <= now) {
                let mut out = ::std::mem::take(&mut self.#field.__timed);
                out.clear();
                __ef::Window::on_time(&mut self.#field.#f, now, &mut out);
                self.#run(#next, now, &mut out);
                out.clear();
                self.#field.__timed = out;
            }
        }
    });
    let mut fields: Vec<TokenStream> = window_fields
        .iter()
        .zip(&window_types)
        .map(|(f, t)| quote!(#f: #t,))
        .collect();
    let mut inits: Vec<TokenStream> = window_fields
        .iter()
        .zip(&window_inits)
        .map(|(f, i)| quote!(#f: #i,))
        .collect();
    if !window_fields.is_empty() {
        // Buffers the window stages and timers reuse from one chunk to the next.
        fields.push(quote!(__spare: __ef::Chunk<#event>, __timed: __ef::Chunk<#event>,));
        inits.push(quote!(__spare: Vec::new(), __timed: Vec::new(),));
    }
    let filters_only = (one_ok && one_window.is_none() && plain_select && adding.is_none())
        .then(|| one_pre.clone());
    let one_method = match (&one_window, one_ok) {
        (_, false) => quote!(),
        (None, true) if filters_only.is_some() => quote!(),
        (None, true) => quote! {
            #[inline]
            fn #one(&mut self, now: i64, ev: __ef::Event<#event>) {
                #(#one_pre)*
                let mut selected = ::std::mem::take(&mut self.#field.selected);
                selected.clear();
                self.#field.selector.step(&ev, &(), &mut selected, 0);
                self.#field.selector.finish(&mut selected, 0);
                self.#emit_fn(selected);
            }
        },
        (Some(w), true) => quote! {
            #[inline]
            fn #one(&mut self, now: i64, ev: __ef::Event<#event>) {
                #(#one_pre)*
                if ev.kind != __ef::EventKind::Current {
                    ev.data.__discard();
                    return;
                }
                let mut selected = ::std::mem::take(&mut self.#field.selected);
                selected.clear();
                let q = &mut self.#field;
                let selector = &mut q.selector;
                __ef::Window::process_each(&mut q.#w, now, ev, |ev| {
                    #(#one_post)*
                    selector.step(ev, &(), &mut selected, 0);
                });
                self.#field.selector.finish(&mut selected, 0);
                self.#emit_fn(selected);
            }
        },
    };
    // The methods the source's deliveries call: the query's own, or ones that first give each
    // event its added attributes.
    let (source_run, source_one, entry_methods) = match adding {
        None => (run.clone(), one.clone(), quote!()),
        Some((theta, rho, z)) => {
            let entry = AddedAttributes {
                index,
                field,
                run: &run,
                one: one_ok.then_some(&one),
                source_ty: &source_ty,
                event: &event,
                tables,
                span: q.span,
            }
            .pol2cart(source, theta, rho, z, statics)?;
            items.push(entry.item);
            fields.push(quote!(__entry: __ef::Chunk<#event>,));
            inits.push(quote!(__entry: Vec::new(),));
            (entry.run, entry.one, entry.methods)
        }
    };
    Ok(InputCode {
        in_ty: event.clone(),
        items: quote!(#(#items)*),
        fields,
        inits,
        snapshots: window_fields
            .iter()
            .map(|f| quote!(__ef::Window::snapshot(&self.#f)?))
            .collect(),
        restores: window_fields
            .iter()
            .map(|f| quote!(__ef::Window::restore(&mut self.#f, &parts.next().ok_or_else(mismatch)?)?;))
            .collect(),
        dues: window_fields
            .iter()
            .map(|f| quote!(__ef::Window::next_due(&self.#f)))
            .collect(),
        skip_idle: quote!(#(__ef::Window::skip_idle(&mut self.#window_fields, horizon);)*),
        methods: quote! {
            fn #run(&mut self, start: usize, now: i64, chunk: &mut __ef::Chunk<#event>) {
                #(#stage_code)*
                self.#select_fn(chunk);
            }
            #one_method
            #entry_methods
        },
        on_time: quote!(#(#window_on_time)*),
        anchor: quote!(),
        sources: vec![(source_key(source), source_run)],
        windowed: source.window().is_some(),
        ones: if one_ok {
            vec![(source_key(source), source_one)]
        } else {
            Vec::new()
        },
        filters_only,
    })
}

/// What a query whose source's events gain attributes builds its entry from: the query's
/// index and field, its run and one-event methods (taking its own struct; no one-event method
/// when the query has no one-event path), the source's struct and the query's, the app's
/// tables and where the query is.
struct AddedAttributes<'a> {
    index: usize,
    field: &'a Ident,
    run: &'a Ident,
    one: Option<&'a Ident>,
    source_ty: &'a Ident,
    event: &'a TokenStream,
    tables: &'a [TableCode<'a>],
    span: Span,
}

/// What gives a source's events the attributes a stream function adds: the query's struct
/// (`item`), the `App` methods taking the source's chunks and single events (`run`, `one`) and
/// their code (`methods`).
struct Entry {
    item: TokenStream,
    methods: TokenStream,
    run: Ident,
    one: Ident,
}

impl AddedAttributes<'_> {
    /// `#pol2Cart(theta, rho [, z])`: the query's struct holds the source's attributes and `x`,
    /// `y` (and `z`); each event entering gets them from the runtime's
    /// `stream_function::pol2cart`, as the interpreter's events do.
    fn pol2cart(
        &self,
        source: &SourcePlan,
        theta: &TypedExpr,
        rho: &TypedExpr,
        z: Option<&TypedExpr>,
        statics: &mut Statics,
    ) -> Result<Entry, Unsupported> {
        let AddedAttributes {
            index,
            field,
            run,
            one,
            source_ty,
            event,
            tables,
            span,
        } = self;
        let added = if z.is_some() { 3 } else { 2 };
        let all = &source.schema.attributes;
        let kept = all.len().saturating_sub(added);
        let base = Schema {
            attributes: all[..kept].to_vec(),
        };
        let cx = Cx::event(&base, Some(tables), *span);
        let theta = expr::emit(theta, &cx, statics)?;
        let rho = expr::emit(rho, &cx, statics)?;
        let (z, z_field) = match z {
            Some(z) => {
                let z = expr::emit(z, &cx, statics)?;
                (quote!(let z = #z;), quote!(z,))
            }
            None => (quote!(), quote!()),
        };
        let fields: Vec<Ident> = fields(&source.schema);
        let types: Vec<TokenStream> = all.iter().map(|a| rust_type(a.ty)).collect();
        let kept_fields = &fields[..kept];
        let locals: Vec<Ident> = (0..fields.len()).map(|i| private("d", i)).collect();
        let run_entry = quote::format_ident!("__q{}_run_entry", index);
        let one_entry = quote::format_ident!("__q{}_one_entry", index);
        let convert = quote::format_ident!("__q{}_entering", index);
        let item = quote! {
            #[doc(hidden)]
            #[derive(Debug, Clone, PartialEq, Default, __ef::serde::Serialize, __ef::serde::Deserialize)]
            #[serde(crate = "::eventflux_runtime::__private::serde")]
            #[allow(non_snake_case, non_camel_case_types, dead_code)]
            pub struct #event {
                #(pub #fields: Option<#types>,)*
            }

            #[allow(non_snake_case, non_camel_case_types, dead_code, clippy::all)]
            impl #event {
                #[inline(always)]
                fn __discard(self) {
                    let #event { #(#fields: #locals,)* } = self;
                }

                fn to_values(&self) -> Vec<__ef::Value> {
                    vec![#(__ef::Field::to_value(&self.#fields)),*]
                }
            }
        };
        // The one-event entry exists when the query has a one-event method to hand to.
        let one_method = match one {
            Some(one) => quote! {
                #[inline]
                fn #one_entry(&mut self, now: i64, ev: __ef::Event<#source_ty>) {
                    let data = self.#convert(ev.timestamp, ev.data);
                    self.#one(now, __ef::Event { timestamp: ev.timestamp, kind: ev.kind, data });
                }
            },
            None => quote!(),
        };
        let methods = quote! {
            fn #run_entry(&mut self, start: usize, now: i64, chunk: &mut __ef::Chunk<#source_ty>) {
                let mut input = ::std::mem::take(&mut self.#field.__entry);
                input.clear();
                for ev in chunk.drain(..) {
                    let data = self.#convert(ev.timestamp, ev.data);
                    input.push(__ef::Event { timestamp: ev.timestamp, kind: ev.kind, data });
                }
                self.#run(start, now, &mut input);
                input.clear();
                self.#field.__entry = input;
            }

            #one_method

            #[inline(always)]
            fn #convert(&self, __ts: i64, data: #source_ty) -> #event {
                let e = &data;
                let (x, y) = __ef::stream_function::pol2cart(#theta, #rho);
                #z
                #event {
                    #z_field
                    x,
                    y,
                    #(#kept_fields: data.#kept_fields,)*
                }
            }
        };
        Ok(Entry {
            item,
            methods,
            run: run_entry,
            one: one_entry,
        })
    }
}

/// The struct of a query's source events: the stream's, the fault stream's (`XFault`) or the
/// inner stream's of the query's partition.
fn source_struct(source: &SourcePlan, q: &QueryPlan) -> Ident {
    match (source.kind, q.partition) {
        (SourceKind::InnerStream, Some(p)) => super::names::inner_struct(p, &source.name),
        _ => type_name(&source_key(source)),
    }
}

/// The name a query's source is delivered under: the stream's name, `#name` for an inner
/// stream.
pub fn source_key(source: &SourcePlan) -> String {
    match source.kind {
        SourceKind::InnerStream => format!("#{}", source.name),
        SourceKind::FaultStream => format!("!{}", source.name),
        _ => source.name.clone(),
    }
}

/// Whether `stream` is a stream the compiled app has a struct and delivery for (a defined or
/// inferred stream, or a trigger).
fn plain_stream(plan: &Plan, stream: &str) -> bool {
    plan.stream(stream)
        .is_some_and(|s| matches!(s.kind, StreamKind::Defined | StreamKind::Inferred))
        || plan.triggers.iter().any(|t| t.name == stream)
}

/// The pattern's event enum: one variant per stream it reads (`S0`, `S1`, ...), and a method
/// per variant (`s0()`, ...) giving that stream's struct.
struct PatternEvents {
    name: Ident,
    /// The streams read, by the key they are delivered under (`#name` for an inner stream).
    streams: Vec<String>,
    /// Each stream's struct.
    structs: Vec<Ident>,
    /// The stream index of each slot.
    slot_stream: Vec<usize>,
}

impl PatternEvents {
    fn variant(k: usize) -> Ident {
        quote::format_ident!("S{}", k)
    }
    fn accessor(k: usize) -> Ident {
        quote::format_ident!("s{}", k)
    }
}

/// The first `candidate.attr == earlier.attr` equality in a step's filters on attributes of one
/// hashable type: (candidate position, earlier slot, earlier position).
fn step_equality(
    slot: usize,
    filters: &[TypedExpr],
    slots: &[EventSlot],
) -> Option<(usize, usize, usize)> {
    let mut equalities = Vec::new();
    for f in filters {
        f.slot_equalities(slot, &mut equalities);
    }
    let ty = |s: usize, p: usize| slots.get(s)?.schema.attributes.get(p).map(|a| a.ty);
    equalities.into_iter().find(|(own, earlier, position)| {
        let (a, b) = (ty(slot, *own), ty(*earlier, *position));
        a == b && matches!(a, Some(Type::Int | Type::Long | Type::Bool | Type::String))
    })
}

/// Builds the token form of a pattern's steps, keys and `every` ranges.
struct StepsBuilder<'a> {
    plan: &'a StatePlan,
    events: &'a PatternEvents,
    access: &'a [SlotAccess<'a>],
    span: Span,
    steps: Vec<TokenStream>,
    keys: Vec<TokenStream>,
    every: Vec<TokenStream>,
}

impl StepsBuilder<'_> {
    /// The context of a condition on slot `slot`'s candidate event.
    fn condition_cx(&self, slot: usize) -> Cx<'_> {
        Cx {
            input: Some(Inputs::Slots {
                slots: self.access,
                candidate: Some(slot),
            }),
            table: None,
            tables: None,
            output: None,
            aggregates: false,
            timestamp: quote!(0i64),
            span: self.span,
        }
    }

    fn unit(
        &mut self,
        slot: usize,
        filters: &[TypedExpr],
        statics: &mut Statics,
    ) -> Result<TokenStream, Unsupported> {
        let ev = &self.events.name;
        let stream = self.events.slot_stream[slot];
        let cx = self.condition_cx(slot);
        let conditions = filters
            .iter()
            .map(|f| expr::condition(f, &cx, statics))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(quote! {
            __ef::pattern::Unit {
                stream: #stream,
                slot: #slot,
                predicate: ::std::sync::Arc::new(|slots: &[__ef::pattern::Slot<#ev>], cand: &#ev| -> bool {
                    true #(&& #conditions)*
                }),
            }
        })
    }

    fn key(
        &self,
        slot: usize,
        filters: &[TypedExpr],
        statics: &mut Statics,
    ) -> Result<TokenStream, Unsupported> {
        let Some((own, earlier, position)) = step_equality(slot, filters, &self.plan.slots) else {
            return Ok(quote!(None));
        };
        let ev = &self.events.name;
        let mut conjuncts = Vec::new();
        for f in filters {
            f.candidate_conjuncts(slot, &mut conjuncts);
        }
        let guard = if conjuncts.is_empty() {
            quote!(None)
        } else {
            let cx = self.condition_cx(slot);
            let conditions = conjuncts
                .into_iter()
                .map(|f| expr::condition(f, &cx, statics))
                .collect::<Result<Vec<_>, _>>()?;
            quote! {
                Some(::std::sync::Arc::new(|cand: &#ev| -> bool { true #(&& #conditions)* }))
            }
        };
        let own_f = field(&self.plan.slots[slot].schema, own);
        let own_a = PatternEvents::accessor(self.events.slot_stream[slot]);
        let earlier_f = field(&self.plan.slots[earlier].schema, position);
        let earlier_a = PatternEvents::accessor(self.events.slot_stream[earlier]);
        Ok(quote! {
            Some(__ef::pattern::StepKey {
                event: ::std::sync::Arc::new(|cand: &#ev| {
                    __ef::ops::hash_key(&cand.#own_a().and_then(|v| v.#own_f.as_ref()))
                }),
                partial: ::std::sync::Arc::new(|slots: &[__ef::pattern::Slot<#ev>]| {
                    __ef::ops::hash_key(
                        &slots
                            .get(#earlier)
                            .and_then(|events| events.first())
                            .and_then(|x| x.#earlier_a())
                            .and_then(|v| v.#earlier_f.as_ref()),
                    )
                }),
                guard: #guard,
            })
        })
    }

    fn part(
        &mut self,
        node: &StateNode,
        statics: &mut Statics,
    ) -> Result<TokenStream, Unsupported> {
        match node {
            StateNode::Stream { slot, filters, .. } => {
                let unit = self.unit(*slot, filters, statics)?;
                Ok(quote!(__ef::pattern::Part::Present(#unit)))
            }
            StateNode::Absent {
                slot,
                filters,
                waiting_ms,
            } => {
                let unit = self.unit(*slot, filters, statics)?;
                let waiting = match waiting_ms {
                    Some(w) => quote!(Some(#w)),
                    None => quote!(None),
                };
                Ok(quote!(__ef::pattern::Part::Absent(#unit, #waiting)))
            }
            _ => Err(Unsupported::new(
                "'and'/'or' over anything but two stream elements",
                self.span,
            )),
        }
    }

    fn linearize(&mut self, node: &StateNode, statics: &mut Statics) -> Result<(), Unsupported> {
        match node {
            StateNode::Next(a, b) => {
                self.linearize(a, statics)?;
                self.linearize(b, statics)
            }
            StateNode::Every(inner) => {
                let start = self.steps.len();
                self.linearize(inner, statics)?;
                let end = self.steps.len();
                self.every
                    .push(quote!(__ef::pattern::EveryRange { start: #start, end: #end }));
                Ok(())
            }
            StateNode::Stream {
                slot,
                filters,
                min,
                max,
            } => {
                let unit = self.unit(*slot, filters, statics)?;
                let max = match max {
                    Some(m) => quote!(Some(#m)),
                    None => quote!(None),
                };
                self.steps.push(quote!(__ef::pattern::Step::Stream {
                    unit: #unit,
                    min: #min,
                    max: #max,
                }));
                let key = self.key(*slot, filters, statics)?;
                self.keys.push(key);
                Ok(())
            }
            StateNode::Absent {
                slot,
                filters,
                waiting_ms,
            } => {
                let unit = self.unit(*slot, filters, statics)?;
                let waiting = match waiting_ms {
                    Some(w) => quote!(Some(#w)),
                    None => quote!(None),
                };
                self.steps.push(quote!(__ef::pattern::Step::Absent {
                    unit: #unit,
                    waiting: #waiting,
                }));
                self.keys.push(quote!(None));
                Ok(())
            }
            StateNode::Logical(op, a, b) => {
                let (a, b) = (self.part(a, statics)?, self.part(b, statics)?);
                self.steps.push(match op {
                    LogicalOp::And => quote!(__ef::pattern::Step::And(#a, #b)),
                    LogicalOp::Or => quote!(__ef::pattern::Step::Or(#a, #b)),
                });
                self.keys.push(quote!(None));
                Ok(())
            }
        }
    }
}

/// The event enum of pattern query `index` and how its slots read it.
fn pattern_events(
    plan: &Plan,
    index: usize,
    sp: &StatePlan,
    q: &QueryPlan,
) -> Result<PatternEvents, Unsupported> {
    let mut streams: Vec<String> = Vec::new();
    let mut structs: Vec<Ident> = Vec::new();
    let mut slot_stream = Vec::new();
    for slot in &sp.slots {
        let (key, st) = match (slot.inner, q.partition) {
            (true, Some(p)) => (
                format!("#{}", slot.stream),
                super::names::inner_struct(p, &slot.stream),
            ),
            (false, _) if plain_stream(plan, &slot.stream) => {
                (slot.stream.clone(), type_name(&slot.stream))
            }
            _ => {
                return Err(Unsupported::new(
                    "patterns over anything but streams (tables, named windows, triggers or fault streams)",
                    q.span,
                ));
            }
        };
        let k = match streams.iter().position(|s| *s == key) {
            Some(k) => k,
            None => {
                streams.push(key);
                structs.push(st);
                streams.len() - 1
            }
        };
        slot_stream.push(k);
    }
    Ok(PatternEvents {
        name: private("Ev", index),
        streams,
        structs,
        slot_stream,
    })
}

/// A pattern or sequence: its elements run the runtime's state machine over an enum of the
/// streams it reads; the selector reads the matched events of each slot.
fn pattern_input(
    sp: &StatePlan,
    events: &PatternEvents,
    access: &[SlotAccess],
    q: &QueryPlan,
    index: usize,
    names: &Names,
    statics: &mut Statics,
) -> Result<InputCode, Unsupported> {
    let mut b = StepsBuilder {
        plan: sp,
        events,
        access,
        span: q.span,
        steps: Vec::new(),
        keys: Vec::new(),
        every: Vec::new(),
    };
    b.linearize(&sp.root, statics)?;
    let (steps, keys, every) = (&b.steps, &b.keys, &b.every);
    let ev = &events.name;
    let Names {
        field, select_fn, ..
    } = names;
    let variants: Vec<Ident> = (0..events.streams.len())
        .map(PatternEvents::variant)
        .collect();
    let accessors: Vec<Ident> = (0..events.streams.len())
        .map(PatternEvents::accessor)
        .collect();
    let structs = &events.structs;
    let sequence = sp.kind == StateKind::Sequence;
    let within = match sp.within_ms {
        Some(w) => quote!(Some(#w)),
        None => quote!(None),
    };
    let slot_count = sp.slots.len();
    let matched = quote::format_ident!("__q{}_matched", index);
    let mut methods = Vec::new();
    let mut sources = Vec::new();
    let mut ones = Vec::new();
    for (k, stream) in events.streams.iter().enumerate() {
        let method = quote::format_ident!("__q{}_in{}", index, k);
        let (variant, st) = (&variants[k], &structs[k]);
        methods.push(quote! {
            fn #method(&mut self, _start: usize, _now: i64, chunk: &mut __ef::Chunk<#st>) {
                let mut matches = Vec::new();
                for e in chunk.iter_mut() {
                    if e.kind == __ef::EventKind::Current {
                        let event = #ev::#variant(::std::mem::take(&mut e.data));
                        self.#field.machine.process(#k, e.timestamp, &event, &mut matches);
                    }
                }
                self.#matched(matches);
            }
        });
        let one = quote::format_ident!("__q{}_one{}", index, k);
        methods.push(quote! {
            fn #one(&mut self, _now: i64, ev: __ef::Event<#st>) {
                if ev.kind != __ef::EventKind::Current {
                    return;
                }
                let mut matches = Vec::new();
                let event = #ev::#variant(ev.data);
                self.#field.machine.process(#k, ev.timestamp, &event, &mut matches);
                self.#matched(matches);
            }
        });
        ones.push((stream.clone(), one));
        sources.push((stream.clone(), method));
    }
    methods.push(quote! {
        fn #matched(&mut self, matches: Vec<__ef::pattern::Match<#ev>>) {
            if matches.is_empty() {
                return;
            }
            let chunk: __ef::Chunk<Vec<__ef::pattern::Slot<#ev>>> = matches
                .into_iter()
                .map(|(t, slots)| __ef::Event::current(t, slots))
                .collect();
            self.#select_fn(&chunk);
        }
    });
    let items = quote! {
        #[doc(hidden)]
        #[derive(Debug, Clone, PartialEq, __ef::serde::Serialize, __ef::serde::Deserialize)]
        #[serde(crate = "::eventflux_runtime::__private::serde")]
        #[allow(non_snake_case, non_camel_case_types, dead_code)]
        pub enum #ev {
            #(#variants(#structs),)*
        }

        #[allow(non_snake_case, non_camel_case_types, dead_code, unreachable_patterns, clippy::all)]
        impl #ev {
            #(
                fn #accessors(&self) -> Option<&#structs> {
                    match self {
                        #ev::#variants(v) => Some(v),
                        _ => None,
                    }
                }
            )*
        }
    };
    Ok(InputCode {
        in_ty: quote!(Vec<__ef::pattern::Slot<#ev>>),
        items,
        fields: vec![quote!(machine: __ef::pattern::StateMachine<#ev>,)],
        inits: vec![quote! {
            machine: __ef::pattern::StateMachine::new(
                vec![#(#steps),*],
                vec![#(#keys),*],
                vec![#(#every),*],
                #sequence,
                #within,
                #slot_count,
            ),
        }],
        snapshots: vec![quote!(self.machine.snapshot()?)],
        restores: vec![quote!(self.machine.restore(&parts.next().ok_or_else(mismatch)?)?;)],
        dues: vec![quote!(self.machine.next_due())],
        skip_idle: quote!(),
        methods: quote!(#(#methods)*),
        on_time: quote! {
            if self.#field.machine.next_due().is_some_and(|due| due <= now) {
                let mut matches = Vec::new();
                self.#field.machine.on_time(now, &mut matches);
                self.#matched(matches);
            }
        },
        anchor: quote!(self.machine.start(origin);),
        sources,
        windowed: false,
        ones,
        filters_only: None,
    })
}

/// One side of a compiled join.
struct JoinSide {
    /// Whether it is a stored side (a table or an aggregation): looked up per arrival, never
    /// arriving itself.
    stored: bool,
    /// Items it needs (an expression window's condition, a table side's `Held`).
    items: TokenStream,
    /// A stream side's `WindowSide` type and initializer.
    ty: TokenStream,
    init: TokenStream,
    /// A stream side's filters (over `e`).
    filters: Vec<TokenStream>,
    /// Whether it holds a window.
    windowed: bool,
    /// Whether arrivals other than current events are dropped before its window.
    current_only: bool,
    /// The expression giving what the side holds, as `&dyn Held<Other, Own>`.
    held: TokenStream,
}

/// The `#log(args)` call of query `query` for one event (`ev`, its data bound as `e`).
fn log_call(
    query: &str,
    args: &[TypedExpr],
    cx: &Cx,
    statics: &mut Statics,
) -> Result<TokenStream, Unsupported> {
    let args = args
        .iter()
        .map(|a| {
            let v = expr::emit(a, cx, statics)?;
            Ok(quote!(__ef::to_value(#v)))
        })
        .collect::<Result<Vec<_>, Unsupported>>()?;
    Ok(quote!(__ef::log_event(#query, &[#(#args),*], ev.kind, ev.timestamp, &e.to_values())))
}

/// A join of two sources: a stream side (its filters and an optional window) is the runtime's
/// `WindowSide` over the stream's struct, hash-indexed by the condition's equalities; a table
/// side is looked up by key where the condition allows. The selector reads `Pair<Left, Right>`.
fn join_input(
    plan: &Plan,
    join: &JoinPlan,
    q: &QueryPlan,
    index: usize,
    names: &Names,
    tables: &[TableCode],
    statics: &mut Statics,
) -> Result<InputCode, Unsupported> {
    let unsupported = |what: &str| Unsupported::new(what, q.span);
    for side in [&join.left, &join.right] {
        match side.source.kind {
            SourceKind::Stream | SourceKind::Trigger if plain_stream(plan, &side.source.name) => {}
            SourceKind::Table | SourceKind::Window | SourceKind::InnerStream => {}
            SourceKind::Stream | SourceKind::Trigger => {
                return Err(unsupported("a join side the app does not define"));
            }
            SourceKind::FaultStream => return Err(unsupported("fault streams")),
            SourceKind::Aggregation => {}
        }
    }
    let Names { field, emit_fn, .. } = names;
    let (ls, rs) = (&join.left.source, &join.right.source);
    let (lt, rt) = (source_struct(ls, q), source_struct(rs, q));
    let pair_cx = Cx {
        input: Some(Inputs::Pair(&ls.schema, &rs.schema)),
        table: None,
        tables: None,
        output: None,
        aggregates: false,
        timestamp: quote!(0i64),
        span: q.span,
    };
    let table_of = |s: &SourcePlan| -> Result<Option<&TableCode>, Unsupported> {
        if s.kind != SourceKind::Table {
            return Ok(None);
        }
        tables
            .iter()
            .find(|t| t.info.name == s.name)
            .map(Some)
            .ok_or_else(|| unsupported("a join with a table the app does not define"))
    };
    let (left_table, right_table) = (table_of(ls)?, table_of(rs)?);
    let aggregation_of = |s: &SourcePlan| -> Result<Option<usize>, Unsupported> {
        if s.kind != SourceKind::Aggregation {
            return Ok(None);
        }
        plan.aggregations
            .iter()
            .position(|a| a.name == s.name)
            .map(Some)
            .ok_or_else(|| unsupported("a join with an aggregation the app does not define"))
    };
    let (left_aggregation, right_aggregation) = (aggregation_of(ls)?, aggregation_of(rs)?);
    let stored = |s: &SourcePlan| matches!(s.kind, SourceKind::Table | SourceKind::Aggregation);

    // Hash keys from the condition's equalities (between two stream sides).
    let mut equalities = Vec::new();
    if let Some(on) = &join.on
        && !stored(ls)
        && !stored(rs)
    {
        on.side_equalities(&mut equalities);
        equalities
            .retain(|(_, _, t)| matches!(t, Type::Int | Type::Long | Type::Bool | Type::String));
    }
    let key_types: Vec<TokenStream> = equalities.iter().map(|(_, _, t)| key_type(*t)).collect();
    let key_ty = quote!((#(#key_types,)*));
    let mut left_key = Vec::new();
    let mut right_key = Vec::new();
    for (l, r, t) in &equalities {
        let lv = convert(expr::emit(l, &pair_cx, statics)?, l.ty, *t);
        let rv = convert(expr::emit(r, &pair_cx, statics)?, r.ty, *t);
        left_key.push(key_value(lv, *t));
        right_key.push(key_value(rv, *t));
    }
    let keyed = !equalities.is_empty();
    let left_of = quote! {
        ::std::sync::Arc::new(|x: &#lt| -> #key_ty {
            let l: Option<&#lt> = Some(x);
            let r: Option<&#rt> = None;
            (#(#left_key,)*)
        }) as __ef::join::KeyOf<#lt, #key_ty>
    };
    let right_of = quote! {
        ::std::sync::Arc::new(|x: &#rt| -> #key_ty {
            let l: Option<&#lt> = None;
            let r: Option<&#rt> = Some(x);
            (#(#right_key,)*)
        }) as __ef::join::KeyOf<#rt, #key_ty>
    };
    let (left_keys, right_keys) = if keyed {
        (
            quote!(Some((#left_of, #right_of))),
            quote!(Some((#right_of, #left_of))),
        )
    } else {
        (quote!(None), quote!(None))
    };
    let on = match &join.on {
        Some(c) => {
            let c = expr::condition(c, &pair_cx, statics)?;
            quote! {
                Some(::std::sync::Arc::new(|x: &#lt, y: &#rt| -> bool {
                    let l = Some(x);
                    let r = Some(y);
                    #c
                }) as __ef::join::Condition<#lt, #rt>)
            }
        }
        None => quote!(None),
    };

    let side = |s: &SourcePlan,
                input: usize,
                table: Option<&'_ TableCode<'_>>,
                aggregation: Option<usize>,
                keys: &TokenStream,
                statics: &mut Statics|
     -> Result<JoinSide, Unsupported> {
        let (own, other) = if input == 0 { (&lt, &rt) } else { (&rt, &lt) };
        let prefix = if input == 0 { "l" } else { "r" };
        let bind_arriving = if input == 0 {
            quote!(let l: Option<&#lt> = None; let r: Option<&#rt> = Some(arriving);)
        } else {
            quote!(let l: Option<&#lt> = Some(arriving); let r: Option<&#rt> = None;)
        };
        if let Some(a) = aggregation {
            // The buckets `within` and `per` select for the arriving event.
            let held = quote::format_ident!("__Held{}_{}", index, prefix);
            let per = match &join.per {
                Some(p) => expr::emit(p, &pair_cx, statics)?,
                None => return Err(unsupported("a join with an aggregation without 'per'")),
            };
            // Each bound as `Option<Bound>`: milliseconds, or a date as text.
            let bound = |e: Option<&TypedExpr>, statics: &mut Statics| match e {
                Some(e) if matches!(e.ty, Type::Int | Type::Long) => {
                    let v = convert(expr::emit(e, &pair_cx, statics)?, e.ty, Type::Long);
                    Ok(quote!(#v.map(__ef::incremental::Bound::Millis)))
                }
                Some(e) if e.ty == Type::String => {
                    let v = expr::emit(e, &pair_cx, statics)?;
                    Ok(quote!(#v.as_deref().map(__ef::incremental::Bound::Text)))
                }
                _ => Ok::<_, Unsupported>(quote!(None::<__ef::incremental::Bound>)),
            };
            let from = bound(join.within.as_ref().map(|(s, _)| s), statics)?;
            let to = bound(join.within.as_ref().and_then(|(_, e)| e.as_ref()), statics)?;
            let (field, row) = (
                super::names::aggregation_field(a),
                super::names::aggregation_row(a),
            );
            let bucket = quote::format_ident!("__Bucket{}", a);
            let info = &plan.aggregations[a];
            let key_types = info.select.group_by.iter().map(|k| key_type(k.ty));
            return Ok(JoinSide {
                stored: true,
                items: quote! {
                    #[doc(hidden)]
                    #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
                    pub struct #held<'a>(&'a __ef::incremental::Buckets<(#(#key_types,)*), #bucket>);

                    #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
                    impl __ef::join::Held<#other, #own> for #held<'_> {
                        fn for_each_candidate(&self, arriving: &#other, f: &mut dyn FnMut(&#own)) {
                            #bind_arriving
                            let __ts = 0i64;
                            let per: Option<__ef::Str> = #per;
                            let Some(per) = per.as_deref().and_then(__ef::incremental::granularity) else {
                                return;
                            };
                            let (from, to) = __ef::incremental::within_range(#from, #to);
                            for (start, bucket) in self.0.range(per, from, to) {
                                f(&#row(start, bucket));
                            }
                        }
                    }
                },
                ty: quote!(),
                init: quote!(),
                filters: Vec::new(),
                windowed: false,
                current_only: false,
                held: quote!(&#held(&self.#field)),
            });
        }
        if let Some(t) = table {
            let mut eqs = Vec::new();
            if let Some(on) = &join.on {
                on.side_attribute_equalities(input, &mut eqs);
            }
            let lookup = t.lookup(&eqs, &pair_cx, statics)?;
            let held = quote::format_ident!("__Held{}_{}", index, prefix);
            let bind = bind_arriving;
            let (row, key, tf) = (&t.row, &t.key, &t.field);
            return Ok(JoinSide {
                stored: true,
                items: quote! {
                    #[doc(hidden)]
                    #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
                    pub struct #held<'a>(&'a __ef::table::Table<#row, #key>);

                    #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
                    impl __ef::join::Held<#other, #own> for #held<'_> {
                        fn for_each_candidate(&self, arriving: &#other, f: &mut dyn FnMut(&#own)) {
                            #bind
                            let __ts = 0i64;
                            let lookup = #lookup;
                            self.0.for_each_candidate(&lookup, |row| {
                                f(row);
                                false
                            });
                        }
                    }
                },
                ty: quote!(),
                init: quote!(),
                filters: Vec::new(),
                windowed: false,
                current_only: false,
                held: quote!(&#held(&self.#tf)),
            });
        }
        let cx = Cx::event(&s.schema, Some(tables), q.span);
        let event = quote!(#own);
        let mut filters = Vec::new();
        let mut window_code = None;
        for (i, h) in s.handlers.iter().enumerate() {
            match h {
                HandlerPlan::Filter(c) => filters.push(expr::condition(c, &cx, statics)?),
                HandlerPlan::Window(w) => {
                    let name = quote::format_ident!("__Cond{}_{}{}", index, prefix, i);
                    window_code = Some(window(w, &s.schema, &event, &name, q.span, statics)?);
                }
                // A `#log` before the side's window logs each event that passed the filters
                // before it: a step of the filter chain that always holds.
                HandlerPlan::Function(StreamFunctionPlan::Log { args })
                    if window_code.is_none() =>
                {
                    let log = log_call(&q.name, args, &cx, statics)?;
                    filters.push(quote!({
                        #log;
                        true
                    }));
                }
                HandlerPlan::Function(_) => {
                    return Err(unsupported("this stream function on a join side"));
                }
            }
        }
        let mirror = s.kind == SourceKind::Window;
        let window_code_present = window_code.is_some();
        let windowed = window_code_present || mirror;
        let (wty, winit, items) = match window_code {
            Some(Window { ty, init, items }) => (ty, quote!(Some(#init)), items),
            None => (
                quote!(__ef::window::LengthWindow<#own>),
                quote!(None),
                quote!(),
            ),
        };
        let name = if input == 0 {
            quote::format_ident!("left")
        } else {
            quote::format_ident!("right")
        };
        Ok(JoinSide {
            stored: false,
            items,
            ty: quote!(__ef::join::WindowSide<#own, #key_ty, #other, #wty>),
            init: if mirror {
                quote!(__ef::join::WindowSide::mirror(#keys))
            } else {
                quote!(__ef::join::WindowSide::new(#winit, #keys))
            },
            current_only: !mirror && window_code_present,
            filters,
            windowed,
            held: quote!(&self.#field.#name),
        })
    };
    let left = side(ls, 0, left_table, left_aggregation, &left_keys, statics)?;
    let right = side(rs, 1, right_table, right_aggregation, &right_keys, statics)?;
    let preserve_left = matches!(join.kind, JoinKind::LeftOuter | JoinKind::FullOuter);
    let preserve_right = matches!(join.kind, JoinKind::RightOuter | JoinKind::FullOuter);
    // A self-join of one named window: only the left side triggers, after the right side has
    // taken the window's events (Siddhi keeps one window and finds in it as updated).
    let shared_window =
        ls.kind == SourceKind::Window && rs.kind == SourceKind::Window && ls.name == rs.name;
    let left_triggers = !join.right.unidirectional && !left.stored;
    let right_triggers = !join.left.unidirectional && !right.stored && !shared_window;
    let (left_windowless, right_windowless) = (!left.windowed, !right.windowed);
    let windowless_expire = q.output.events() != EventType::Current;

    let pairs_ty = quote!(__ef::join::Joined<#lt, #rt>);
    // The pairs are selected group by group (see `Joined`), then emitted together.
    let select_pairs = quote! {
        if !pairs.is_empty() {
            let mut selected = ::std::mem::take(&mut self.#field.selected);
            selected.clear();
            self.#field.selector.process_groups(&pairs.pairs, &pairs.ends, &(), &mut selected);
            self.#emit_fn(selected);
        }
    };
    let arrive = |s: &JoinSide, name: &Ident, other: &JoinSide, join_fn: &Ident, ty: &Ident| {
        let filters = &s.filters;
        let current_only = if s.current_only {
            quote!(input.retain(|ev| ev.kind == __ef::EventKind::Current);)
        } else {
            quote!()
        };
        let held = &other.held;
        quote! {
            {
                let mut input: __ef::Chunk<#ty> = chunk
                    .iter()
                    .filter(|ev| {
                        ev.kind == __ef::EventKind::Reset || {
                            let e = &ev.data;
                            let __ts = ev.timestamp;
                            true #(&& #filters)*
                        }
                    })
                    .cloned()
                    .collect();
                #current_only
                let emitted = self.#field.#name.arrive(now, input);
                self.#field.spec.#join_fn(&emitted, #held, &mut pairs);
            }
        }
    };
    let (left_name, right_name) = (quote::format_ident!("left"), quote::format_ident!("right"));
    let (join_left, join_right) = (
        quote::format_ident!("join_left"),
        quote::format_ident!("join_right"),
    );
    let mut methods = Vec::new();
    let mut sources = Vec::new();
    let mut streams: Vec<String> = Vec::new();
    for (s, side) in [(ls, &left), (rs, &right)] {
        let key = source_key(s);
        if !side.stored && !streams.contains(&key) {
            streams.push(key);
        }
    }
    for (k, key) in streams.into_iter().enumerate() {
        let method = quote::format_ident!("__q{}_in{}", index, k);
        // The chunk's type: the side's struct (an inner stream's is generated).
        let st = if source_key(ls) == key { &lt } else { &rt };
        let mut body = Vec::new();
        if source_key(ls) == key && !left.stored {
            body.push(arrive(&left, &left_name, &right, &join_left, &lt));
        }
        if source_key(rs) == key && !right.stored {
            body.push(arrive(&right, &right_name, &left, &join_right, &rt));
        }
        if shared_window {
            body.reverse();
        }
        methods.push(quote! {
            fn #method(&mut self, _start: usize, now: i64, chunk: &mut __ef::Chunk<#st>) {
                let mut pairs: #pairs_ty = ::std::default::Default::default();
                #(#body)*
                #select_pairs
            }
        });
        sources.push((key, method));
    }
    let mut fields = vec![quote!(spec: __ef::join::JoinSpec<#lt, #rt>,)];
    let mut inits = vec![quote! {
        spec: __ef::join::JoinSpec {
            preserve: __ef::join::Preserve { left: #preserve_left, right: #preserve_right },
            left_triggers: #left_triggers,
            right_triggers: #right_triggers,
            on: #on,
            left_windowless: #left_windowless,
            right_windowless: #right_windowless,
            windowless_expire: #windowless_expire,
        },
    }];
    let mut snapshots = Vec::new();
    let mut restores = Vec::new();
    let mut dues = Vec::new();
    let mut skips = Vec::new();
    let mut on_time = Vec::new();
    for (side, name, other, join_fn) in [
        (&left, &left_name, &right, &join_left),
        (&right, &right_name, &left, &join_right),
    ] {
        if side.stored {
            continue;
        }
        let (ty, init, held) = (&side.ty, &side.init, &other.held);
        fields.push(quote!(#name: #ty,));
        inits.push(quote!(#name: #init,));
        snapshots.push(quote!(self.#name.snapshot()?));
        restores.push(quote!(self.#name.restore(&parts.next().ok_or_else(mismatch)?)?;));
        dues.push(quote!(self.#name.next_due()));
        skips.push(quote!(self.#name.skip_idle(horizon);));
        on_time.push(quote! {
            if self.#field.#name.next_due().is_some_and(|due| due <= now) {
                let emitted = self.#field.#name.on_time(now);
                self.#field.spec.#join_fn(&emitted, #held, &mut pairs);
            }
        });
    }
    let (litems, ritems) = (&left.items, &right.items);
    Ok(InputCode {
        in_ty: quote!(__ef::join::Pair<#lt, #rt>),
        items: quote!(#litems #ritems),
        fields,
        inits,
        snapshots,
        restores,
        dues,
        skip_idle: quote!(#(#skips)*),
        methods: quote!(#(#methods)*),
        on_time: quote! {
            let mut pairs: #pairs_ty = ::std::default::Default::default();
            #(#on_time)*
            #select_pairs
        },
        anchor: quote!(),
        sources,
        windowed: true,
        ones: Vec::new(),
        filters_only: None,
    })
}

/// Where a query's rows go: the output row's struct and schema, and the `App` code taking a
/// chunk of them (`rows: &mut Chunk<Out>`).
struct Sink {
    out: Ident,
    schema: Schema,
    events: EventType,
    /// Items (a row struct for table changes).
    items: TokenStream,
    /// The statement taking `rows`.
    take: TokenStream,
    /// The statement taking one row `ev` (an `Event<Out>`), when it has one of its own (a
    /// stream's one-event delivery); otherwise one row goes through `rows`.
    take_one: Option<TokenStream>,
    /// `App` methods it needs.
    methods: TokenStream,
}

/// A struct for the output row of a query that changes a table (its select items).
fn row_struct(name: &Ident, schema: &Schema) -> TokenStream {
    let fields: Vec<Ident> = fields(schema);
    let types: Vec<TokenStream> = schema.attributes.iter().map(|a| rust_type(a.ty)).collect();
    quote! {
        #[doc(hidden)]
        #[derive(Debug, Clone, PartialEq, Default, __ef::serde::Serialize, __ef::serde::Deserialize)]
        #[serde(crate = "::eventflux_runtime::__private::serde")]
        #[allow(non_snake_case, non_camel_case_types, dead_code)]
        pub struct #name {
            #(pub #fields: Option<#types>,)*
        }
    }
}

fn sink(
    plan: &Plan,
    index: usize,
    q: &QueryPlan,
    tables: &[TableCode],
    statics: &mut Statics,
) -> Result<Sink, Unsupported> {
    let unsupported = |what: &str| Unsupported::new(what, q.span);
    let method = quote::format_ident!("__q{}_sink", index);
    let find = |name: &str| {
        tables
            .iter()
            .find(|t| t.info.name == name)
            .ok_or_else(|| unsupported("a table the app does not define"))
    };
    match &q.output {
        OutputPlan::Insert {
            target: InsertTarget::Stream(name),
            events,
        } => {
            let schema = plan
                .stream(name)
                .ok_or_else(|| unsupported("an output stream the plan does not define"))?
                .schema
                .clone();
            let deliver = super::names::deliver(name);
            let deliver_one = super::names::deliver_one(name);
            Ok(Sink {
                out: type_name(name),
                schema,
                events: *events,
                items: quote!(),
                take: quote!(self.#deliver(&mut rows);),
                take_one: Some(quote!(self.#deliver_one(ev);)),
                methods: quote!(),
            })
        }
        OutputPlan::Insert {
            target: InsertTarget::Table(name),
            events,
        } => {
            let t = find(name)?;
            let (tf, row) = (&t.field, &t.row);
            let write_through = t.write_through();
            let insert = if t.info.primary_key.is_empty() {
                quote!(let _ = self.#tf.try_insert(e.data);)
            } else {
                let message = t.duplicate_message();
                quote! {
                    if let Err(row) = self.#tf.try_insert(e.data) {
                        __ef::report_duplicate_key(&#message);
                    }
                }
            };
            Ok(Sink {
                out: t.row.clone(),
                schema: t.info.schema.clone(),
                events: *events,
                items: quote!(),
                take: quote!(self.#method(&mut rows);),
                take_one: None,
                methods: quote! {
                    fn #method(&mut self, rows: &mut __ef::Chunk<#row>) {
                        for e in rows.drain(..) {
                            #insert
                        }
                        #write_through
                    }
                },
            })
        }
        OutputPlan::Insert {
            target: InsertTarget::Window(name),
            events,
        } => {
            let (i, w) = plan
                .windows
                .iter()
                .enumerate()
                .find(|(_, w)| w.name == *name)
                .ok_or_else(|| unsupported("a named window the app does not define"))?;
            let insert = super::names::window_insert(i);
            Ok(Sink {
                out: type_name(name),
                schema: w.schema.clone(),
                events: *events,
                items: quote!(),
                take: quote!(self.#insert(&mut rows);),
                take_one: None,
                methods: quote!(),
            })
        }
        OutputPlan::Insert {
            target: InsertTarget::InnerStream(name),
            events,
        } => {
            let p = q
                .partition
                .ok_or_else(|| unsupported("an inner stream outside a partition"))?;
            let schema = plan
                .streams
                .iter()
                .find(|s| s.name == *name && s.kind == StreamKind::Inner { partition: p })
                .ok_or_else(|| unsupported("an inner stream the partition does not define"))?
                .schema
                .clone();
            let inner = super::names::inner_deliver(p, name);
            Ok(Sink {
                out: super::names::inner_struct(p, name),
                schema,
                events: *events,
                items: quote!(),
                take: quote!(self.#inner(&mut rows);),
                take_one: None,
                methods: quote!(),
            })
        }
        OutputPlan::Return { events } => {
            let taken = plan.stream(&q.name).is_some()
                || plan.table(&q.name).is_some()
                || plan.windows.iter().any(|w| w.name == q.name)
                || plan.triggers.iter().any(|t| t.name == q.name);
            if taken {
                return Err(unsupported(
                    "a `return` query named like a stream, table, window or trigger (its rows get a struct of that name)",
                ));
            }
            let schema = q.select.output_schema();
            let out = type_name(&q.name);
            let callbacks = super::names::return_callbacks(index);
            Ok(Sink {
                out: out.clone(),
                schema,
                events: *events,
                items: quote!(),
                take: quote! {
                    for callback in self.#callbacks.iter_mut() {
                        for e in rows.iter() {
                            callback(e);
                        }
                    }
                },
                take_one: Some(quote! {
                    for callback in self.#callbacks.iter_mut() {
                        callback(&ev);
                    }
                }),
                methods: quote!(),
            })
        }
        OutputPlan::Delete { table, events, on }
        | OutputPlan::Update {
            table, events, on, ..
        }
        | OutputPlan::UpdateOrInsert {
            table, events, on, ..
        } => {
            let t = find(table)?;
            let out = private("Row", index);
            let schema = q.select.output_schema();
            let row_cx = Cx {
                input: None,
                table: None,
                tables: None,
                output: Some(&schema),
                aggregates: false,
                timestamp: quote!(__ts),
                span: q.span,
            };
            let table_cx = Cx {
                table: Some(&t.info.schema),
                ..row_cx.clone()
            };
            let mut equalities = Vec::new();
            on.table_row_equalities(&mut equalities);
            let lookup = t.lookup(&equalities, &row_cx, statics)?;
            let holds = expr::condition(on, &table_cx, statics)?;
            let (tf, trow) = (&t.field, &t.row);
            let write_through = t.write_through();
            let change = match &q.output {
                OutputPlan::Delete { .. } => quote! {
                    self.#tf.delete(&lookup, |trow: &#trow| #holds);
                },
                OutputPlan::Update { set, .. } | OutputPlan::UpdateOrInsert { set, .. } => {
                    let assignments = set
                        .iter()
                        .map(|(p, e)| {
                            let a = t.info.schema.attributes.get(*p).ok_or_else(|| {
                                unsupported("an update of an attribute the table does not have")
                            })?;
                            let f = field(&t.info.schema, *p);
                            let v = convert(expr::emit(e, &table_cx, statics)?, e.ty, a.ty);
                            // In place: the value reads the row as the assignments before left it.
                            Ok(quote! {
                                let value = {
                                    let trow = &new;
                                    #v
                                };
                                new.#f = value;
                            })
                        })
                        .collect::<Result<Vec<_>, Unsupported>>()?;
                    let upsert = if matches!(q.output, OutputPlan::UpdateOrInsert { .. }) {
                        if schema.attributes.len() != t.info.schema.attributes.len() {
                            return Err(unsupported(
                                "update or insert whose selection differs from the table's attributes",
                            ));
                        }
                        let (table_fields, row_fields) = (fields(&t.info.schema), fields(&schema));
                        let fields = t
                            .info
                            .schema
                            .attributes
                            .iter()
                            .zip(&schema.attributes)
                            .zip(table_fields.iter().zip(&row_fields))
                            .map(|((ta, ra), (tf, rf))| {
                                let v = convert(quote!(row.#rf.clone()), ra.ty, ta.ty);
                                quote!(#tf: #v)
                            });
                        quote! {
                            if !matched {
                                let _ = self.#tf.try_insert(#trow { #(#fields,)* });
                            }
                        }
                    } else {
                        quote!()
                    };
                    quote! {
                        let mut matched = false;
                        self.#tf.update(
                            &lookup,
                            |trow: &#trow| {
                                let m = #holds;
                                matched |= m;
                                m
                            },
                            |trow: &#trow| {
                                let mut new = trow.clone();
                                #(#assignments)*
                                new
                            },
                        );
                        #upsert
                    }
                }
                _ => quote!(),
            };
            Ok(Sink {
                items: row_struct(&out, &schema),
                out: out.clone(),
                schema,
                events: *events,
                take: quote!(self.#method(&mut rows);),
                take_one: None,
                methods: quote! {
                    fn #method(&mut self, rows: &mut __ef::Chunk<#out>) {
                        for e in rows.iter() {
                            let row = &e.data;
                            let __ts = e.timestamp;
                            let lookup = #lookup;
                            #change
                        }
                        #write_through
                    }
                },
            })
        }
    }
}

/// Emits query `index` of `plan`.
pub fn emit(
    plan: &Plan,
    index: usize,
    q: &QueryPlan,
    tables: &[TableCode],
    statics: &mut Statics,
) -> Result<QueryCode, Unsupported> {
    let unsupported = |what: &str| Unsupported::new(what, q.span);
    let names = Names {
        field: private("q", index),
        select_fn: quote::format_ident!("__q{}_select", index),
        emit_fn: quote::format_ident!("__q{}_emit", index),
    };
    let sink = sink(plan, index, q, tables, statics)?;
    let (out, target_schema, events) = (&sink.out, &sink.schema, sink.events);
    let pattern = match &q.input {
        InputPlan::State(sp) => Some((sp, pattern_events(plan, index, sp, q)?)),
        _ => None,
    };
    // Without aggregates, grouping, having, ordering, paging or rate limiting, an event's row
    // depends on the event alone.
    let plain_select = q.select.aggregates.is_empty()
        && q.select.group_by.is_empty()
        && q.select.having.is_none()
        && q.select.order_by.is_empty()
        && q.select.limit.is_none()
        && q.select.offset.is_none()
        && q.rate.is_none();
    let access: Vec<SlotAccess> = match &pattern {
        Some((sp, events)) => sp
            .slots
            .iter()
            .zip(&events.slot_stream)
            .map(|(slot, k)| SlotAccess {
                schema: &slot.schema,
                accessor: PatternEvents::accessor(*k),
            })
            .collect(),
        None => Vec::new(),
    };
    let (input, inputs) = match (&q.input, &pattern) {
        (InputPlan::Single(source), _) => {
            match source.kind {
                SourceKind::Stream | SourceKind::Trigger | SourceKind::Window => {}
                SourceKind::Table => return Err(unsupported("tables")),
                SourceKind::InnerStream | SourceKind::FaultStream => {}
                SourceKind::Aggregation => return Err(unsupported("incremental aggregations")),
            }
            (
                single_input(source, q, index, &names, tables, plain_select, statics)?,
                Inputs::Single(&source.schema),
            )
        }
        (InputPlan::State(sp), Some((_, events))) => (
            pattern_input(sp, events, &access, q, index, &names, statics)?,
            Inputs::Slots {
                slots: &access,
                candidate: None,
            },
        ),
        (InputPlan::State(_), None) => return Err(unsupported("patterns and sequences")),
        (InputPlan::Join(join), _) => (
            join_input(plan, join, q, index, &names, tables, statics)?,
            Inputs::Pair(&join.left.source.schema, &join.right.source.schema),
        ),
    };
    let in_ty = &input.in_ty;
    let select = &q.select;
    let base = Cx {
        input: Some(inputs),
        table: None,
        tables: None,
        output: None,
        aggregates: false,
        timestamp: quote!(__ts),
        span: q.span,
    };

    let aggregates = select
        .aggregates
        .iter()
        .enumerate()
        .map(|(i, a)| aggregate(i, a, &base, statics))
        .collect::<Result<Vec<_>, _>>()?;
    let agg_types: Vec<&TokenStream> = aggregates.iter().map(|a| &a.ty).collect();
    let agg_inits: Vec<&TokenStream> = aggregates.iter().map(|a| &a.init).collect();
    let agg_inputs: Vec<&TokenStream> = aggregates.iter().map(|a| &a.input).collect();
    let indexes: Vec<syn::Index> = (0..aggregates.len()).map(syn::Index::from).collect();
    let agg_values: Vec<TokenStream> = aggregates
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let name = private("a", i);
            let value = &a.value;
            quote!(let #name = #value;)
        })
        .collect();

    let key_cx = Cx {
        timestamp: quote!(0i64),
        ..base
    };
    let key_types: Vec<TokenStream> = select.group_by.iter().map(|k| key_type(k.ty)).collect();
    let key_values = select
        .group_by
        .iter()
        .map(|k| Ok(key_value(expr::emit(k, &key_cx, statics)?, k.ty)))
        .collect::<Result<Vec<_>, Unsupported>>()?;

    if select.items.len() != target_schema.attributes.len() {
        return Err(unsupported(
            "an output whose attributes differ from its stream's",
        ));
    }
    let project_cx = Cx {
        aggregates: true,
        timestamp: quote!(__ts),
        ..key_cx
    };
    let parts = select
        .items
        .iter()
        .zip(target_schema.attributes.iter().zip(fields(target_schema)))
        .map(|((_, e), (a, f))| {
            let v = convert(expr::emit(e, &project_cx, statics)?, e.ty, a.ty);
            Ok((f, v))
        })
        .collect::<Result<Vec<_>, Unsupported>>()?;
    let fields: Vec<TokenStream> = parts.iter().map(|(f, v)| quote!(#f: #v)).collect();

    let bind_event = expr::bind_inputs(Some(inputs), quote!(ev.data));
    // Over the output row first; joins and patterns may also read their inputs.
    let having_cx = Cx {
        output: Some(target_schema),
        aggregates: false,
        ..project_cx.clone()
    };
    let having = match &select.having {
        Some(h) => {
            let c = expr::condition(h, &having_cx, statics)?;
            quote! {
                fn having(&self, ev: &__ef::Event<#in_ty>, row: &#out, _: &()) -> bool {
                    #bind_event
                    let __ts = ev.timestamp;
                    #c
                }
            }
        }
        None => quote!(),
    };
    let order = if select.order_by.is_empty() {
        quote!()
    } else {
        let steps = select.order_by.iter().map(|(p, o)| {
            let f = field(target_schema, *p);
            let descending = *o == SortOrder::Desc;
            let ord = quote!(__ef::ops::order_by(&a.#f, &b.#f, #descending));
            quote! {
                let ord = #ord;
                if ord != ::std::cmp::Ordering::Equal {
                    return ord;
                }
            }
        });
        quote! {
            fn ordered(&self) -> bool { true }
            fn compare(&self, a: &#out, b: &#out) -> ::std::cmp::Ordering {
                #(#steps)*
                ::std::cmp::Ordering::Equal
            }
        }
    };
    let limit = select
        .limit
        .map(|l| quote!(fn limit(&self) -> Option<u64> { Some(#l) }));
    let offset = select
        .offset
        .map(|o| quote!(fn offset(&self) -> Option<u64> { Some(#o) }));
    let aggregating = !select.aggregates.is_empty();
    let grouped = !select.group_by.is_empty();

    let logic = private("Logic", index);
    let state = private("Query", index);
    let Names {
        field,
        select_fn,
        emit_fn,
    } = &names;
    let on_time = quote::format_ident!("__q{}_on_time", index);
    let take = &sink.take;

    let windowed = input.windowed;
    let key_ty = quote!((#(#key_types,)*));
    // A snapshot with some aggregate outputs: how a row takes the latest aggregate values.
    let outputs_ty = private("Outputs", index);
    let aggregate_outputs = select.aggregate_outputs();
    let (outputs_item, with_outputs) = match &q.rate {
        Some(RatePlan::Snapshot { .. })
            if SnapshotKind::of(windowed, &aggregate_outputs) == SnapshotKind::SomeAggregates =>
        {
            let (aggregated, plain): (Vec<_>, Vec<_>) = names::fields(target_schema)
                .into_iter()
                .zip(&aggregate_outputs)
                .partition(|(_, aggregate)| **aggregate);
            let aggregated: Vec<Ident> = aggregated.into_iter().map(|(f, _)| f).collect();
            let plain: Vec<Ident> = plain.into_iter().map(|(f, _)| f).collect();
            (
                quote! {
                    #[doc(hidden)]
                    #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
                    pub struct #outputs_ty;

                    #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
                    impl __ef::rate::AggregateOutputs<#out> for #outputs_ty {
                        fn with_aggregates_of(&self, row: &#out, from: &#out) -> #out {
                            let mut row = row.clone();
                            #(row.#aggregated = from.#aggregated.clone();)*
                            row
                        }
                        fn same_plain_outputs(&self, a: &#out, b: &#out) -> bool {
                            true #(&& a.#plain == b.#plain)*
                        }
                    }
                },
                quote!(.with_aggregate_outputs(::std::sync::Arc::new(#outputs_ty))),
            )
        }
        _ => (quote!(), quote!()),
    };
    let unbatched = if matches!(q.rate, Some(RatePlan::Snapshot { .. })) {
        quote!(.unbatched())
    } else {
        quote!()
    };
    let (rate_field, rate_init, rated) = match &q.rate {
        None => (quote!(), quote!(), false),
        Some(r) => {
            let mode = |m: RateMode| match m {
                RateMode::All => quote!(__ef::rate::Mode::All),
                RateMode::First => quote!(__ef::rate::Mode::First),
                RateMode::Last => quote!(__ef::rate::Mode::Last),
            };
            let limit = match r {
                RatePlan::Events { mode: m, count } => {
                    let m = mode(*m);
                    quote!(__ef::rate::Limit::Events(#m, #count))
                }
                RatePlan::Time { mode: m, period_ms } => {
                    let m = mode(*m);
                    quote!(__ef::rate::Limit::Time(#m, #period_ms))
                }
                RatePlan::Snapshot { period_ms } => {
                    let kind = match SnapshotKind::of(windowed, &aggregate_outputs) {
                        SnapshotKind::Last => quote!(Last),
                        SnapshotKind::Window => quote!(Window),
                        SnapshotKind::AllAggregates => quote!(AllAggregates),
                        SnapshotKind::SomeAggregates => quote!(SomeAggregates),
                    };
                    quote!(__ef::rate::Limit::Snapshot {
                        period: #period_ms,
                        kind: __ef::rate::SnapshotKind::#kind,
                    })
                }
            };
            (
                quote!(rate: __ef::rate::RateLimiter<#key_ty, #out>,),
                quote!(rate: __ef::rate::RateLimiter::new(#limit, #grouped) #with_outputs,),
                true,
            )
        }
    };
    let rate_anchor = if rated {
        quote!(self.rate.anchor(origin);)
    } else {
        quote!()
    };
    let rate_due = if rated {
        quote!(.into_iter().chain(self.rate.next_due()).min())
    } else {
        quote!()
    };
    let rate_skip = if rated {
        quote!(self.rate.skip_idle(horizon);)
    } else {
        quote!()
    };
    let rate_snapshot = if rated {
        quote!(Some(self.rate.snapshot()?))
    } else {
        quote!(None::<Vec<u8>>)
    };
    let rate_restore = if rated {
        quote!(match rate {
            Some(bytes) => self.rate.restore(&bytes)?,
            None => return Err(mismatch()),
        })
    } else {
        quote!(let _ = rate;)
    };
    let rate_apply = if rated {
        quote! {
            let mut limited = Vec::new();
            let now = self.__clock;
            self.#field.rate.process(::std::mem::take(&mut selected), now, &mut limited);
            let mut selected = limited;
        }
    } else {
        quote!()
    };
    let rate_on_time = if rated {
        quote! {
            if self.#field.rate.next_due().is_some_and(|due| due <= now) {
                let mut out = Vec::new();
                self.#field.rate.on_time(now, &mut out);
                let mut rows: __ef::Chunk<#out> = out
                    .into_iter()
                    .map(|s| __ef::Event::current(s.event.timestamp, s.event.data))
                    .collect();
                #take
            }
        }
    } else {
        quote!()
    };
    let current_on = events != EventType::Expired;
    let expired_on = events != EventType::Current;
    let query_name = &q.name;
    let bind_key = expr::bind_inputs(Some(inputs), quote!(*__in));
    let InputCode {
        items: input_items,
        fields: input_fields,
        inits: input_inits,
        snapshots,
        restores,
        dues,
        skip_idle,
        methods: input_methods,
        on_time: input_on_time,
        anchor,
        sources,
        mut ones,
        filters_only,
        ..
    } = input;
    let due_count = dues.len();

    let take_one = match &sink.take_one {
        Some(t) => t.clone(),
        None => quote! {
            let mut rows = ::std::mem::take(&mut self.#field.rows);
            rows.clear();
            rows.push(ev);
            #take
            rows.clear();
            self.#field.rows = rows;
        },
    };
    // A plain select over a single stream's filters: the event's row straight from the event,
    // moving the attributes it copies unchanged and reads once.
    let fused = match (&q.input, filters_only) {
        (InputPlan::Single(source), Some(filters)) => {
            let one = quote::format_ident!("__q{}_one", index);
            let mut reads = vec![0usize; source.schema.attributes.len()];
            for (_, e) in &select.items {
                e.count_attribute_reads(0, &mut reads);
            }
            let mut locals = Vec::new();
            let mut inits = Vec::new();
            for (k, (((_, e), a), (f, v))) in select
                .items
                .iter()
                .zip(&target_schema.attributes)
                .zip(&parts)
                .enumerate()
            {
                let moved = match &e.kind {
                    crate::plan::ExprNode::Attr(crate::plan::AttrRef::Input {
                        input: 0,
                        index: None,
                        position,
                    }) if e.ty == a.ty && reads.get(*position) == Some(&1) => {
                        names::field(&source.schema, *position)
                    }
                    _ => None,
                };
                match moved {
                    Some(src) => inits.push(quote!(#f: e.#src)),
                    None => {
                        let local = private("v", k);
                        locals.push(quote!(let #local = #v;));
                        inits.push(quote!(#f: #local));
                    }
                }
            }
            ones = vec![(source_key(source), one.clone())];
            quote! {
                #[inline(always)]
                fn #one(&mut self, now: i64, ev: __ef::Event<#in_ty>) {
                    #(#filters)*
                    let enabled = match ev.kind {
                        __ef::EventKind::Current => #current_on,
                        __ef::EventKind::Expired => #expired_on,
                        __ef::EventKind::Reset => false,
                    };
                    if !enabled {
                        ev.data.__discard();
                        return;
                    }
                    let __ts = ev.timestamp;
                    let e = ev.data;
                    #(#locals)*
                    let ev = __ef::Event::current(__ts, #out { #(#inits,)* });
                    #take_one
                }
            }
        }
        _ => quote!(),
    };
    let sink_items = &sink.items;
    let sink_methods = &sink.methods;
    let items = quote! {
        #input_items
        #sink_items
        #outputs_item

        #[doc(hidden)]
        #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
        pub struct #logic;

        #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
        impl __ef::SelectLogic for #logic {
            type In = #in_ty;
            type Key = #key_ty;
            type State = (#(#agg_types,)*);
            type Out = #out;
            type Env = ();

            fn aggregating(&self) -> bool { #aggregating }
            fn grouped(&self) -> bool { #grouped }
            fn key(&self, __in: &#in_ty, _: &()) -> Self::Key {
                #bind_key
                let __ts = 0i64;
                (#(#key_values,)*)
            }
            fn new_state(&self) -> Self::State { (#(#agg_inits,)*) }
            fn update(&self, s: &mut Self::State, ev: &__ef::Event<#in_ty>, _: &()) {
                #bind_event
                let __ts = ev.timestamp;
                match ev.kind {
                    __ef::EventKind::Current => { #(__ef::Aggregator::add(&mut s.#indexes, #agg_inputs);)* }
                    __ef::EventKind::Expired => { #(__ef::Aggregator::remove(&mut s.#indexes, #agg_inputs);)* }
                    __ef::EventKind::Reset => { #(__ef::Aggregator::reset(&mut s.#indexes);)* }
                }
            }
            fn reset(&self, s: &mut Self::State) { #(__ef::Aggregator::reset(&mut s.#indexes);)* }
            fn project(&self, ev: &__ef::Event<#in_ty>, s: &Self::State, _: &()) -> #out {
                #bind_event
                let __ts = ev.timestamp;
                #(#agg_values)*
                #out { #(#fields,)* }
            }
            #having
            #order
            #limit
            #offset
        }


        #[doc(hidden)]
        #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
        pub struct #state {
            #(#input_fields)*
            selector: __ef::Selector<#logic>,
            selected: Vec<__ef::Selected<#key_ty, #out>>,
            rows: __ef::Chunk<#out>,
            #rate_field
        }

        #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
        impl #state {
            fn new() -> Self {
                #state {
                    #(#input_inits)*
                    selector: __ef::Selector::new(#logic, #current_on, #expired_on) #unbatched,
                    selected: Vec::new(),
                    rows: Vec::new(),
                    #rate_init
                }
            }
            fn next_due(&self) -> Option<i64> {
                let dues: [Option<i64>; #due_count] = [#(#dues),*];
                dues
                    .into_iter()
                    .flatten()
                    .min()
                    #rate_due
            }
            fn skip_idle(&mut self, horizon: i64) {
                #skip_idle
                #rate_skip
            }
            fn anchor(&mut self, origin: i64) {
                #rate_anchor
                #anchor
            }
            fn snapshot(&self) -> Result<Vec<u8>, __ef::StateError> {
                let parts: Vec<Vec<u8>> = vec![#(#snapshots),*];
                __ef::state::encode(&(parts, self.selector.snapshot()?, #rate_snapshot))
            }
            fn restore(&mut self, bytes: &[u8]) -> Result<(), __ef::StateError> {
                let mismatch = || __ef::StateError::Mismatch(
                    ::std::format!("query '{}' does not match the snapshot", #query_name));
                let (parts, selector, rate): (Vec<Vec<u8>>, Vec<u8>, Option<Vec<u8>>) =
                    __ef::state::decode(bytes)?;
                let mut parts = parts.into_iter();
                #(#restores)*
                self.selector.restore(&selector)?;
                #rate_restore
                Ok(())
            }
        }
    };
    let methods = quote! {
        #input_methods
        #fused
        #sink_methods

        fn #select_fn(&mut self, chunk: &__ef::Chunk<#in_ty>) {
            if chunk.is_empty() {
                return;
            }
            let mut selected = ::std::mem::take(&mut self.#field.selected);
            selected.clear();
            self.#field.selector.process(chunk, &(), &mut selected);
            self.#emit_fn(selected);
        }

        fn #emit_fn(&mut self, mut selected: Vec<__ef::Selected<#key_ty, #out>>) {
            #rate_apply
            if selected.is_empty() {
                self.#field.selected = selected;
                return;
            }
            if selected.len() == 1
                && let Some(row) = selected.pop()
            {
                self.#field.selected = selected;
                let ev = __ef::Event::current(row.event.timestamp, row.event.data);
                #take_one
                return;
            }
            let mut rows = ::std::mem::take(&mut self.#field.rows);
            rows.clear();
            rows.extend(
                selected
                    .drain(..)
                    .map(|s| __ef::Event::current(s.event.timestamp, s.event.data)),
            );
            self.#field.selected = selected;
            #take
            rows.clear();
            self.#field.rows = rows;
        }

        fn #on_time(&mut self, now: i64) {
            #input_on_time
            #rate_on_time
        }
    };
    Ok(QueryCode {
        items,
        field: field.clone(),
        ty: state,
        methods,
        sources,
        partition: q.partition,
        ones,
    })
}
