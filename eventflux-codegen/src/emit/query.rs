//! One query as Rust: its select clause as a `SelectLogic` implementation, a struct holding its
//! windows, selector and rate limiter, and the `App` methods that run it (input stages, timers)
//! and send its rows on.

use super::Unsupported;
use super::expr::{self, Cx, Statics, convert, key_type, key_value, rust_type};
use super::names::{ident, private};
use crate::catalog::{AggregatorKind, WindowKind};
use crate::plan::{
    AggregateCall, EventType, HandlerPlan, InputPlan, InsertTarget, OutputPlan, Plan, QueryPlan,
    RateMode, RatePlan, Schema, SortOrder, SourceKind, Type, WindowPlan,
};
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
    /// `App` methods: `__qN_run(start, now, chunk)`, `__qN_on_time(now)`.
    pub methods: TokenStream,
    /// The stream it reads.
    pub source: String,

    /// Whether it has a rate limiter (anchored at the app's start).
    pub rated: bool,
}

struct Aggregate {
    ty: TokenStream,
    init: TokenStream,
    input: TokenStream,
    value: TokenStream,
}

fn aggregate(
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

struct Window {
    ty: TokenStream,
    init: TokenStream,
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
            let f = ident(&a.name);
            key_value(quote!(e.#f.clone()), a.ty)
        })
        .collect();
    let key = quote!((#(#types,)*));
    (
        key.clone(),
        quote!((|e: &#event| -> #key { (#(#values,)*) }) as fn(&#event) -> #key),
    )
}

fn window(
    w: &WindowPlan,
    schema: &Schema,
    event: &TokenStream,
    q: &QueryPlan,
) -> Result<Window, Unsupported> {
    let unsupported = |what: &str| Unsupported::new(what, q.span);
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
        let f = ident(&a.name);
        let value = convert(quote!(e.#f.clone()), a.ty, Type::Long);
        Ok(quote!((|e: &#event| -> i64 { #value.unwrap_or(0) }) as fn(&#event) -> i64))
    };
    Ok(match w.kind {
        WindowKind::Length => {
            let n = w.count(0);
            Window {
                ty: quote!(__ef::window::LengthWindow<#event>),
                init: quote!(__ef::window::LengthWindow::new(#n)),
            }
        }
        WindowKind::LengthBatch => {
            let (n, current) = (w.count(0), w.flag(1).unwrap_or(false));
            Window {
                ty: quote!(__ef::window::LengthBatchWindow<#event>),
                init: quote!(__ef::window::LengthBatchWindow::new(#n, #current)),
            }
        }
        WindowKind::Time => {
            let period = d(0);
            Window {
                ty: quote!(__ef::window::TimeWindow<#event>),
                init: quote!(__ef::window::TimeWindow::new(#period)),
            }
        }
        WindowKind::TimeBatch => {
            let period = d(0);
            let (start, current) = w.time_batch_start();
            let start = opt(start);
            Window {
                ty: quote!(__ef::window::TimeBatchWindow<#event>),
                init: quote!(__ef::window::TimeBatchWindow::new(#period, #start, #current)),
            }
        }
        WindowKind::TimeLength => {
            let (period, n) = (d(0), w.count(1));
            Window {
                ty: quote!(__ef::window::TimeLengthWindow<#event>),
                init: quote!(__ef::window::TimeLengthWindow::new(#period, #n)),
            }
        }
        WindowKind::Delay => {
            let delay = d(0);
            Window {
                ty: quote!(__ef::window::DelayWindow<#event>),
                init: quote!(__ef::window::DelayWindow::new(#delay)),
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
            }
        }
        WindowKind::ExternalTime => {
            let (time, period) = (attr_time(0)?, d(1));
            Window {
                ty: quote!(__ef::window::ExternalTimeWindow<#event, fn(&#event) -> i64>),
                init: quote!(__ef::window::ExternalTimeWindow::new(#time, #period)),
            }
        }
        WindowKind::ExternalTimeBatch => {
            let (time, period) = (attr_time(0)?, d(1));
            let (start, timeout) = (opt(w.timestamp(2)), opt(w.duration(3)));
            let replace = match (w.flag(4), w.attribute(0)) {
                (Some(true), Some(p)) => {
                    let a = &schema.attributes[p];
                    let f = ident(&a.name);
                    let value = convert(quote!(Some(t)), Type::Long, a.ty);
                    quote!(Some(::std::sync::Arc::new(|e: &mut #event, t: i64| { e.#f = #value; })))
                }
                _ => quote!(None),
            };
            Window {
                ty: quote!(__ef::window::ExternalTimeBatchWindow<#event, fn(&#event) -> i64>),
                init: quote!(__ef::window::ExternalTimeBatchWindow::new(
                    #time, #period, #start, #timeout, #replace
                )),
            }
        }
        WindowKind::Sort => {
            let (length, keys) = w.sort_keys();
            let steps = keys.iter().map(|(p, desc)| {
                let f = ident(&schema.attributes[*p].name);
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
            }
        }
        WindowKind::Frequent => {
            let n = w.count(0);
            let (key, f) = key_fn(schema, &w.attributes(1), event);
            Window {
                ty: quote!(__ef::window::FrequentWindow<#event, #key, fn(&#event) -> #key>),
                init: quote!(__ef::window::FrequentWindow::new(#n, #f)),
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
            }
        }
        WindowKind::Session => {
            let gap = d(0);
            match w.attribute(1) {
                Some(p) => {
                    let a = &schema.attributes[p];
                    let (kt, f) = (key_type(a.ty), ident(&a.name));
                    let value = key_value(quote!(e.#f.clone()), a.ty);
                    let latency = d(2);
                    Window {
                        ty: quote!(__ef::window::SessionWindow<#event, #kt, fn(&#event) -> #kt>),
                        init: quote!(__ef::window::SessionWindow::new(
                            #gap,
                            (|e: &#event| -> #kt { #value }) as fn(&#event) -> #kt,
                            #latency
                        )),
                    }
                }
                None => Window {
                    ty: quote!(__ef::window::SessionWindow<#event, (), fn(&#event)>),
                    init: quote!(__ef::window::SessionWindow::<#event, (), fn(&#event)>::unkeyed(#gap)),
                },
            }
        }
        WindowKind::Expression | WindowKind::ExpressionBatch => {
            return Err(unsupported("expression windows"));
        }
        WindowKind::Cron => return Err(unsupported("cron windows")),
    })
}

/// Emits query `index` of `plan`.
pub fn emit(
    plan: &Plan,
    index: usize,
    q: &QueryPlan,
    statics: &mut Statics,
) -> Result<QueryCode, Unsupported> {
    let unsupported = |what: &str| Unsupported::new(what, q.span);
    if q.partition.is_some() {
        return Err(unsupported("partitions"));
    }
    let source = match &q.input {
        InputPlan::Single(s) => s,
        InputPlan::Join(_) => return Err(unsupported("joins")),
        InputPlan::State(_) => return Err(unsupported("patterns and sequences")),
    };
    match source.kind {
        SourceKind::Stream => {}
        SourceKind::Window => return Err(unsupported("named windows")),
        SourceKind::Table => return Err(unsupported("tables")),
        SourceKind::Trigger => return Err(unsupported("triggers")),
        SourceKind::FaultStream => return Err(unsupported("fault streams")),
        SourceKind::InnerStream => return Err(unsupported("partitions")),
        SourceKind::Aggregation => return Err(unsupported("incremental aggregations")),
    }
    let (target, events) = match &q.output {
        OutputPlan::Insert {
            target: InsertTarget::Stream(s),
            events,
        } => (s.clone(), *events),
        OutputPlan::Insert {
            target: InsertTarget::Window(_),
            ..
        } => return Err(unsupported("named windows")),
        OutputPlan::Return { .. } => return Err(unsupported("return queries")),
        _ => return Err(unsupported("tables")),
    };
    let target_schema = &plan
        .stream(&target)
        .ok_or_else(|| unsupported("an output stream the plan does not define"))?
        .schema;
    let input = &source.schema;
    let event = {
        let i = ident(&source.name);
        quote!(#i)
    };
    let out = ident(&target);
    let select = &q.select;
    let base = Cx {
        input: Some(input),
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
        ..key_cx
    };
    let project_cx = Cx {
        timestamp: quote!(__ts),
        ..project_cx
    };
    let fields = select
        .items
        .iter()
        .zip(&target_schema.attributes)
        .map(|((_, e), a)| {
            let f = ident(&a.name);
            let v = convert(expr::emit(e, &project_cx, statics)?, e.ty, a.ty);
            Ok(quote!(#f: #v))
        })
        .collect::<Result<Vec<_>, Unsupported>>()?;

    let having_cx = Cx {
        input: None,
        output: Some(target_schema),
        aggregates: false,
        timestamp: quote!(0i64),
        span: q.span,
    };
    let having = match &select.having {
        Some(h) => {
            let c = expr::condition(h, &having_cx, statics)?;
            quote!(fn having(&self, row: &#out, _: &()) -> bool { let __ts = 0i64; #c })
        }
        None => quote!(),
    };
    let order = if select.order_by.is_empty() {
        quote!()
    } else {
        let steps = select.order_by.iter().map(|(p, o)| {
            let f = ident(&target_schema.attributes[*p].name);
            let ord = quote!(__ef::ops::order(&a.#f, &b.#f));
            let ord = if *o == SortOrder::Desc {
                quote!(#ord.reverse())
            } else {
                ord
            };
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
    let field = private("q", index);
    let run = quote::format_ident!("__q{}_run", index);
    let on_time = quote::format_ident!("__q{}_on_time", index);
    let select_fn = quote::format_ident!("__q{}_select", index);
    let deliver = super::names::deliver(&target);

    // Input stages.
    let mut stage_code = Vec::new();
    let mut window_fields = Vec::new();
    let mut window_types = Vec::new();
    let mut window_inits = Vec::new();
    let mut window_stages = Vec::new();
    let filter_cx = Cx {
        input: Some(input),
        output: None,
        aggregates: false,
        timestamp: quote!(__ts),
        span: q.span,
    };
    for (i, h) in source.handlers.iter().enumerate() {
        match h {
            HandlerPlan::Filter(c) => {
                let c = expr::condition(c, &filter_cx, statics)?;
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
                let Window { ty, init } = window(w, input, &event, q)?;
                let f = private("w", i);
                stage_code.push(quote! {
                    if start <= #i && !chunk.is_empty() {
                        chunk.retain(|ev| ev.kind == __ef::EventKind::Current);
                        let input = ::std::mem::take(chunk);
                        __ef::Window::process(&mut self.#field.#f, now, input, chunk);
                    }
                });
                window_stages.push((i, f.clone()));
                window_fields.push(f);
                window_types.push(ty);
                window_inits.push(init);
            }
            HandlerPlan::Function(_) => return Err(unsupported("stream functions (#log)")),
        }
    }

    let windowed = source.window().is_some();
    let key_ty = quote!((#(#key_types,)*));
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
                    let last_only = aggregating || grouped || !windowed;
                    quote!(__ef::rate::Limit::Snapshot { period: #period_ms, last_only: #last_only })
                }
            };
            (
                quote!(rate: __ef::rate::RateLimiter<#key_ty, #out>,),
                quote!(rate: __ef::rate::RateLimiter::new(#limit, #grouped),),
                true,
            )
        }
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
            self.#field.rate.process(::std::mem::take(&mut selected), &mut limited);
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
                self.#deliver(&mut rows);
            }
        }
    } else {
        quote!()
    };
    let window_on_time = window_stages.iter().map(|(i, f)| {
        let next = i + 1;
        quote! {
            if __ef::Window::next_due(&self.#field.#f).is_some_and(|due| due <= now) {
                let mut out = Vec::new();
                __ef::Window::on_time(&mut self.#field.#f, now, &mut out);
                self.#run(#next, now, &mut out);
            }
        }
    });
    let window_count = window_fields.len();
    let current_on = events != EventType::Expired;
    let expired_on = events != EventType::Current;
    let query_name = &q.name;

    let items = quote! {
        #[doc(hidden)]
        #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
        pub struct #logic;

        #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
        impl __ef::SelectLogic for #logic {
            type In = #event;
            type Key = #key_ty;
            type State = (#(#agg_types,)*);
            type Out = #out;
            type Env = ();

            fn aggregating(&self) -> bool { #aggregating }
            fn grouped(&self) -> bool { #grouped }
            fn key(&self, e: &#event, _: &()) -> Self::Key {
                let __ts = 0i64;
                (#(#key_values,)*)
            }
            fn new_state(&self) -> Self::State { (#(#agg_inits,)*) }
            fn update(&self, s: &mut Self::State, ev: &__ef::Event<#event>, _: &()) {
                let e = &ev.data;
                let __ts = ev.timestamp;
                match ev.kind {
                    __ef::EventKind::Current => { #(__ef::Aggregator::add(&mut s.#indexes, #agg_inputs);)* }
                    __ef::EventKind::Expired => { #(__ef::Aggregator::remove(&mut s.#indexes, #agg_inputs);)* }
                    __ef::EventKind::Reset => { #(__ef::Aggregator::reset(&mut s.#indexes);)* }
                }
            }
            fn reset(&self, s: &mut Self::State) { #(__ef::Aggregator::reset(&mut s.#indexes);)* }
            fn project(&self, ev: &__ef::Event<#event>, s: &Self::State, _: &()) -> #out {
                let e = &ev.data;
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
            #(#window_fields: #window_types,)*
            selector: __ef::Selector<#logic>,
            selected: Vec<__ef::Selected<#key_ty, #out>>,
            rows: __ef::Chunk<#out>,
            #rate_field
        }

        #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
        impl #state {
            fn new() -> Self {
                #state {
                    #(#window_fields: #window_inits,)*
                    selector: __ef::Selector::new(#logic, #current_on, #expired_on),
                    selected: Vec::new(),
                    rows: Vec::new(),
                    #rate_init
                }
            }
            fn next_due(&self) -> Option<i64> {
                let dues: [Option<i64>; #window_count] = [#(__ef::Window::next_due(&self.#window_fields)),*];
                dues
                    .into_iter()
                    .flatten()
                    .min()
                    #rate_due
            }
            fn skip_idle(&mut self, horizon: i64) {
                #(__ef::Window::skip_idle(&mut self.#window_fields, horizon);)*
                #rate_skip
            }
            fn snapshot(&self) -> Result<Vec<u8>, __ef::StateError> {
                let windows: Vec<Vec<u8>> = vec![#(__ef::Window::snapshot(&self.#window_fields)?),*];
                __ef::state::encode(&(windows, self.selector.snapshot()?, #rate_snapshot))
            }
            fn restore(&mut self, bytes: &[u8]) -> Result<(), __ef::StateError> {
                let mismatch = || __ef::StateError::Mismatch(
                    ::std::format!("query '{}' does not match the snapshot", #query_name));
                let (windows, selector, rate): (Vec<Vec<u8>>, Vec<u8>, Option<Vec<u8>>) =
                    __ef::state::decode(bytes)?;
                let mut windows = windows.into_iter();
                #(__ef::Window::restore(&mut self.#window_fields, &windows.next().ok_or_else(mismatch)?)?;)*
                self.selector.restore(&selector)?;
                #rate_restore
                Ok(())
            }
        }
    };
    let methods = quote! {
        fn #run(&mut self, start: usize, now: i64, chunk: &mut __ef::Chunk<#event>) {
            #(#stage_code)*
            self.#select_fn(chunk);
        }

        fn #select_fn(&mut self, chunk: &__ef::Chunk<#event>) {
            if chunk.is_empty() {
                return;
            }
            let mut selected = ::std::mem::take(&mut self.#field.selected);
            selected.clear();
            self.#field.selector.process(chunk, &(), &mut selected);
            #rate_apply
            if selected.is_empty() {
                self.#field.selected = selected;
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
            self.#deliver(&mut rows);
            rows.clear();
            self.#field.rows = rows;
        }

        fn #on_time(&mut self, now: i64) {
            #(#window_on_time)*
            #rate_on_time
        }
    };
    Ok(QueryCode {
        items,
        field,
        ty: state,
        methods,
        source: source.name.clone(),
        rated,
    })
}
