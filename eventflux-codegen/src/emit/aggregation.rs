//! An incremental aggregation (`define aggregation`) as Rust: the runtime's `Buckets` over
//! the group key's tuple and a bucket of (aggregator states, latest input event), an `App`
//! method taking its stream's events, and a function making a bucket's row (`AGG_TIMESTAMP`
//! then the select outputs) for joins to read.

use super::Unsupported;
use super::expr::{self, Cx, Statics, convert, key_type, key_value};
use super::names::{
    aggregation_add, aggregation_field, aggregation_row, field, fields, ident, type_name,
};
use super::query::aggregate;
use crate::plan::{AggregationInfo, HandlerPlan, Plan, StreamKind, Type};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// An aggregation ready to be put into the app.
pub struct AggregationCode {
    /// The stream it reads.
    pub source: String,
    /// The `App` field holding its buckets, with the field's type and initializer.
    pub field: Ident,
    pub ty: TokenStream,
    pub init: TokenStream,
    /// Module-level items (the bucket type and the row function).
    pub items: TokenStream,
    /// The `App` method taking chunks of its stream (`(start, now, chunk)`).
    pub add: Ident,
    /// `App` methods.
    pub methods: TokenStream,
}

/// Emits aggregation `index` of `plan`.
pub fn emit(
    plan: &Plan,
    index: usize,
    a: &AggregationInfo,
    statics: &mut Statics,
) -> Result<AggregationCode, Unsupported> {
    let unsupported = |what: &str| Unsupported::new(what, a.span);
    let defined = plan
        .stream(&a.input.name)
        .is_some_and(|s| matches!(s.kind, StreamKind::Defined | StreamKind::Inferred));
    if !defined {
        return Err(unsupported(
            "an aggregation over anything but a defined stream",
        ));
    }
    let input = &a.input.schema;
    let event = type_name(&a.input.name);
    let row = type_name(&a.name);
    let cx = Cx::event(input, None, a.span);
    let mut filters = Vec::new();
    for h in &a.input.handlers {
        match h {
            HandlerPlan::Filter(c) => filters.push(expr::condition(c, &cx, statics)?),
            HandlerPlan::Window(_) | HandlerPlan::Function(_) => {
                return Err(unsupported(
                    "an aggregation input with a window or stream function",
                ));
            }
        }
    }
    let aggregates = a
        .select
        .aggregates
        .iter()
        .enumerate()
        .map(|(i, call)| aggregate(i, call, &cx, statics))
        .collect::<Result<Vec<_>, _>>()?;
    let agg_types: Vec<&TokenStream> = aggregates.iter().map(|a| &a.ty).collect();
    let agg_inits: Vec<&TokenStream> = aggregates.iter().map(|a| &a.init).collect();
    let agg_inputs: Vec<&TokenStream> = aggregates.iter().map(|a| &a.input).collect();
    let agg_values = aggregates.iter().enumerate().map(|(i, a)| {
        let name = super::names::private("a", i);
        let value = &a.value;
        quote!(let #name = #value;)
    });
    let indexes: Vec<syn::Index> = (0..aggregates.len()).map(syn::Index::from).collect();
    let key_types: Vec<TokenStream> = a.select.group_by.iter().map(|k| key_type(k.ty)).collect();
    let key_values = a
        .select
        .group_by
        .iter()
        .map(|k| Ok(key_value(expr::emit(k, &cx, statics)?, k.ty)))
        .collect::<Result<Vec<_>, Unsupported>>()?;
    let project_cx = Cx {
        aggregates: true,
        ..cx.clone()
    };
    // The row: `AGG_TIMESTAMP` then the select outputs.
    let outputs = fields(&a.schema)
        .into_iter()
        .zip(&a.schema.attributes)
        .skip(1);
    if a.select.items.len() != a.schema.attributes.len().saturating_sub(1) {
        return Err(unsupported(
            "an aggregation whose rows differ from its selection",
        ));
    }
    let stamp =
        field(&a.schema, 0).ok_or_else(|| unsupported("an aggregation without AGG_TIMESTAMP"))?;
    let fields = a
        .select
        .items
        .iter()
        .zip(outputs)
        .map(|((_, e), (name, f))| {
            let v = convert(expr::emit(e, &project_cx, statics)?, e.ty, f.ty);
            Ok(quote!(#name: #v))
        })
        .collect::<Result<Vec<_>, Unsupported>>()?;
    let time_field = a.timestamp.and_then(|p| field(input, p));
    let time = match a.timestamp.and_then(|p| input.attributes.get(p)) {
        Some(attr) if matches!(attr.ty, Type::Int | Type::Long | Type::Float | Type::Double) => {
            let f = &time_field;
            quote!(e.#f.map_or(ev.timestamp, |t| t as i64))
        }
        Some(attr) if attr.ty == Type::String => {
            let f = &time_field;
            quote! {
                e.#f
                    .as_deref()
                    .and_then(__ef::incremental::timestamp_text)
                    .unwrap_or(ev.timestamp)
            }
        }
        _ => quote!(ev.timestamp),
    };
    // Siddhi's purge of old buckets (on unless `@purge(enable='false')`).
    let purge = match &a.purge {
        Some(p) => {
            let interval = p.interval_ms;
            let retention = p.retention.iter().map(|(u, ms)| {
                let u = ident(&format!("{u:?}"));
                let ms = match ms {
                    Some(ms) => quote!(Some(#ms)),
                    None => quote!(None),
                };
                quote!((__ef::plan::TimeUnit::#u, #ms))
            });
            quote!(.with_purge(#interval, vec![#(#retention),*]))
        }
        None => quote!(),
    };
    let key_ty = quote!((#(#key_types,)*));
    let bucket = quote::format_ident!("__Bucket{}", index);
    let (field, add, row_fn) = (
        aggregation_field(index),
        aggregation_add(index),
        aggregation_row(index),
    );
    let durations = a.durations.iter().map(|u| {
        let u = ident(&format!("{u:?}"));
        quote!(__ef::plan::TimeUnit::#u)
    });
    Ok(AggregationCode {
        source: a.input.name.clone(),
        field: field.clone(),
        ty: quote!(__ef::incremental::Buckets<#key_ty, #bucket>),
        init: quote!(__ef::incremental::Buckets::new(vec![#(#durations),*]) #purge),
        items: quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            pub type #bucket = ((#(#agg_types,)*), __ef::incremental::Latest<#event>);

            #[doc(hidden)]
            #[allow(unused, non_snake_case, clippy::all)]
            fn #row_fn(start: i64, bucket: &#bucket) -> #row {
                let (s, e) = (&bucket.0, &bucket.1.event);
                let __ts = start;
                #(#agg_values)*
                #row { #stamp: Some(start), #(#fields,)* }
            }
        },
        add: add.clone(),
        methods: quote! {
            fn #add(&mut self, _start: usize, now: i64, chunk: &mut __ef::Chunk<#event>) {
                for ev in chunk.iter() {
                    let e = &ev.data;
                    let __ts = ev.timestamp;
                    if !(true #(&& #filters)*) {
                        continue;
                    }
                    let time: i64 = #time;
                    let key: #key_ty = (#(#key_values,)*);
                    self.#field.add(
                        time,
                        &key,
                        || ((#(#agg_inits,)*), __ef::incremental::Latest::new(time, ev.data.clone())),
                        |bucket| {
                            #(__ef::Aggregator::add(&mut bucket.0.#indexes, #agg_inputs);)*
                            bucket.1.offer(time, || ev.data.clone());
                        },
                    );
                }
            }
        },
    })
}
