//! Partitions as Rust: one instance of the partition's query states per key, in the runtime's
//! `Partitioned` map. The `App` keeps one state per partitioned query as the *active* slot: to
//! run a key's queries, the key's instance is swapped into those slots, the query methods run
//! as for any query, and the instance is swapped back out. Deliveries that reach another key of
//! the same partition while one is active (a query feeding its own partition) put the active
//! key back first and restore it afterwards.
//!
//! A partitioned stream's events are keyed by its value expression (one key) or its ranges
//! (one key per label whose condition holds); a stream the partition reads without a key goes
//! to every existing instance. Inner streams (`#Name`) stay within the active instance.

use super::Unsupported;
use super::expr::{self, Cx, Statics, key_type, key_value};
use super::names::{inner_deliver, inner_struct, type_name};
use super::query::QueryCode;
use crate::plan::{
    PartitionKeyKind, PartitionPlan, Plan, StreamKind, Type, TypedExpr, Value as Constant,
};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// How a partition's keys are typed.
enum KeyKind {
    /// Every key is a value expression of this type.
    Typed(Type),
    /// Values (any type) and range labels: keys are values.
    Value,
}

/// One partition's generated parts, for the `App`.
pub struct PartitionCode {
    /// The instance struct and its impl.
    pub items: TokenStream,
    /// `App` fields (`name: Type,`) and their initializers (`name: init,`).
    pub fields: TokenStream,
    pub inits: TokenStream,
    /// `App` methods.
    pub methods: TokenStream,
    /// The streams it reads, each with the `App` method taking their chunks.
    pub sources: Vec<(String, Ident)>,
    /// The streams it takes one event at a time (those every member reading them takes so),
    /// each with the `App` method taking `(now, event)`.
    pub ones: Vec<(String, Ident)>,
    /// The `__Timer` variants of its timers (`Pn(Key, usize)`, `PurgeN`).
    pub timer_variants: TokenStream,
    /// The same variants in `__TimerAt<'a>`, which borrows the key (`Pn(&'a Key, usize)`).
    pub timer_at_variants: TokenStream,
    /// Match arms turning its `__TimerAt` variants into `__Timer` ones (copying the key).
    pub timer_owned_arms: TokenStream,
    /// Statements offering each of its timers (due time and `__TimerAt`) to `earliest`, an
    /// `__ef::Earliest`.
    pub timers: TokenStream,
    /// Match arms firing its timers (`due`, `horizon` in scope).
    pub fire_arms: TokenStream,
    /// `App` statements run when the clock is anchored at `origin`.
    pub anchor: TokenStream,
    /// An expression giving its state as bytes (`Result<Vec<u8>, StateError>`).
    pub snapshot: TokenStream,
    /// Statements restoring its state from `bytes`.
    pub restore: TokenStream,
}

fn key_kind(p: &PartitionPlan) -> KeyKind {
    let mut types = p.keys.iter().map(|k| match &k.kind {
        PartitionKeyKind::Value(e) => Some(e.ty),
        PartitionKeyKind::Range(_) => None,
    });
    match types.next() {
        Some(Some(first)) if types.all(|t| t == Some(first)) => KeyKind::Typed(first),
        _ => KeyKind::Value,
    }
}

/// The statements giving `chunk` (a `&mut Chunk` of `source`'s events, at `now`) to each of
/// `runs` in order; all but the last get a copy.
pub fn run_all(runs: &[&Ident]) -> TokenStream {
    let calls = runs.iter().enumerate().map(|(k, run)| {
        if k + 1 == runs.len() {
            quote!(self.#run(0, now, chunk);)
        } else {
            quote!(self.#run(0, now, &mut chunk.clone());)
        }
    });
    if runs.is_empty() {
        quote!(let _ = (now, chunk);)
    } else {
        quote!(#(#calls)*)
    }
}

/// The runs of the queries of partition `p` (or of no partition) reading `source`.
pub fn consumers<'a>(queries: &'a [QueryCode], p: Option<usize>, source: &str) -> Vec<&'a Ident> {
    queries
        .iter()
        .filter(|q| q.partition == p)
        .flat_map(|q| q.sources.iter())
        .filter(|(name, _)| name == source)
        .map(|(_, run)| run)
        .collect()
}

/// Emits partition `index`.
pub fn emit(
    plan: &Plan,
    index: usize,
    p: &PartitionPlan,
    queries: &[QueryCode],
    statics: &mut Statics,
) -> Result<PartitionCode, Unsupported> {
    let span = plan
        .queries
        .iter()
        .find(|q| q.partition == Some(index))
        .map(|q| q.span)
        .unwrap_or_default();
    let unsupported = |what: &str| Unsupported::new(what, span);
    let members: Vec<&QueryCode> = queries
        .iter()
        .filter(|q| q.partition == Some(index))
        .collect();
    let kind = key_kind(p);
    let key_ty = match kind {
        KeyKind::Typed(t) => key_type(t),
        KeyKind::Value => quote!(__ef::Value),
    };
    let instance = format_ident!("__Part{}", index);
    let map = format_ident!("__part{}", index);
    let active = format_ident!("__p{}_active", index);
    let enter = format_ident!("__p{}_enter", index);
    let leave = format_ident!("__p{}_leave", index);
    let swap = format_ident!("__p{}_swap", index);
    let q_fields: Vec<&Ident> = members.iter().map(|q| &q.field).collect();
    let q_types: Vec<&Ident> = members.iter().map(|q| &q.ty).collect();
    let q_on_time: Vec<Ident> = members
        .iter()
        .map(|q| format_ident!("{}_on_time", q.field))
        .collect();
    let member_index: Vec<usize> = (0..members.len()).collect();
    let timer = format_ident!("P{}", index);
    let purge = format_ident!("Purge{}", index);

    // The streams the partition reads from outside (not inner streams).
    let mut streams: Vec<String> = Vec::new();
    for q in &members {
        for (name, _) in &q.sources {
            if !name.starts_with('#') && !streams.contains(name) {
                streams.push(name.clone());
            }
        }
    }
    let mut methods = Vec::new();
    let mut sources = Vec::new();
    let mut ones = Vec::new();
    let ticks = crate::check::trigger_schema();
    for (k, stream) in streams.iter().enumerate() {
        // A trigger's ticks come on its stream, `(triggered_time long)`.
        let schema = match plan.stream(stream) {
            Some(s) => &s.schema,
            None if plan.triggers.iter().any(|t| t.name == *stream) => &ticks,
            None => return Err(unsupported("a partitioned stream the app does not define")),
        };
        let st = type_name(stream);
        let cx = Cx::event(schema, None, span);
        let as_key = |e: &TypedExpr, statics: &mut Statics| -> Result<TokenStream, Unsupported> {
            let v = expr::emit(e, &cx, statics)?;
            Ok(match kind {
                KeyKind::Typed(t) => key_value(v, t),
                // Keys of several types are their text, as in Siddhi.
                KeyKind::Value => quote!(__ef::partition::text_key(__ef::to_value(#v))),
            })
        };
        let keyed = p.keys.iter().any(|key| key.stream == *stream);
        let keys = match p.keys.iter().find(|key| key.stream == *stream) {
            None => quote!(let keys = self.#map.keys();),
            Some(key) => match &key.kind {
                PartitionKeyKind::Value(e) => {
                    // An event whose key is null belongs to no instance (Siddhi drops it).
                    let v = as_key(e, statics)?;
                    let present = match kind {
                        KeyKind::Typed(_) => quote!(Option::is_some),
                        KeyKind::Value => quote!(|k: &__ef::Value| !k.is_null()),
                    };
                    quote!(let keys = Some(#v).filter(#present).into_iter();)
                }
                PartitionKeyKind::Range(ranges) => {
                    let pushes = ranges
                        .iter()
                        .map(|(c, label)| {
                            let c = expr::condition(c, &cx, statics)?;
                            let label = TypedExpr {
                                kind: crate::plan::ExprNode::Const(Constant::String(label.clone())),
                                ty: Type::String,
                            };
                            let label = as_key(&label, statics)?;
                            Ok(quote!(if #c { keys.push(#label); }))
                        })
                        .collect::<Result<Vec<_>, Unsupported>>()?;
                    quote! {
                        let mut keys: Vec<#key_ty> = Vec::new();
                        #(#pushes)*
                    }
                }
            },
        };
        let runs = run_all(&consumers(queries, Some(index), stream));
        let readers: Vec<&&QueryCode> = members
            .iter()
            .filter(|q| q.sources.iter().any(|(name, _)| name == stream))
            .collect();
        let member_ones: Vec<&Ident> = readers
            .iter()
            .filter_map(|q| q.ones.iter().find(|(name, _)| name == stream))
            .map(|(_, one)| one)
            .collect();
        if member_ones.len() == readers.len() {
            let one = format_ident!("__p{}_one{}", index, k);
            methods.push(quote! {
                #[inline]
                fn #one(&mut self, now: i64, ev: __ef::Event<#st>) {
                    let keys = {
                        let e = &ev.data;
                        let __ts = ev.timestamp;
                        #keys
                        keys
                    };
                    for key in keys {
                        let entered = self.#enter(&key, Some(ev.timestamp));
                        #(self.#member_ones(now, ev.clone());)*
                        self.#leave(entered);
                    }
                }
            });
            ones.push((stream.clone(), one));
        }
        let method = format_ident!("__p{}_in{}", index, k);
        let run_method = format_ident!("__p{}_run{}", index, k);
        // As Siddhi's partition receiver: an unkeyed stream's chunk goes whole to every
        // instance; a keyed stream's consecutive events of one key go as one chunk.
        let body = if keyed {
            quote! {
                let events = ::std::mem::take(chunk);
                let mut run: __ef::Chunk<#st> = Vec::new();
                let mut run_key: Option<#key_ty> = None;
                for ev in &events {
                    let keys = {
                        let e = &ev.data;
                        let __ts = ev.timestamp;
                        #keys
                        keys
                    };
                    // An event in two ranges of one label goes through that instance twice.
                    let mut fresh = true;
                    for key in keys {
                        if run_key.as_ref() != Some(&key) || !fresh {
                            if let Some(done) = run_key.take() {
                                self.#run_method(now, &done, &mut run);
                            }
                            run_key = Some(key);
                        }
                        fresh = false;
                        run.push(ev.clone());
                    }
                }
                if let Some(done) = run_key {
                    self.#run_method(now, &done, &mut run);
                }
                *chunk = events;
            }
        } else {
            quote! {
                let events = ::std::mem::take(chunk);
                for key in self.#map.keys() {
                    let mut run = events.clone();
                    self.#run_method(now, &key, &mut run);
                }
                *chunk = events;
            }
        };
        methods.push(quote! {
            fn #method(&mut self, _start: usize, now: i64, chunk: &mut __ef::Chunk<#st>) {
                #body
            }

            /// Runs `run` (events of one key) through `key`'s instance, then empties it.
            fn #run_method(&mut self, now: i64, key: &#key_ty, run: &mut __ef::Chunk<#st>) {
                let seen = run.first().map(|ev| ev.timestamp);
                let entered = self.#enter(key, seen);
                let chunk = &mut *run;
                #runs
                self.#leave(entered);
                run.clear();
            }
        });
        sources.push((stream.clone(), method));
    }

    // Inner streams: delivered within the active instance.
    for s in plan
        .streams
        .iter()
        .filter(|s| s.kind == StreamKind::Inner { partition: index })
    {
        let method = inner_deliver(index, &s.name);
        let st = inner_struct(index, &s.name);
        let label = format!("#{}", s.name);
        let runs = run_all(&consumers(queries, Some(index), &label));
        methods.push(quote! {
            fn #method(&mut self, chunk: &mut __ef::Chunk<#st>) {
                if chunk.is_empty() {
                    return;
                }
                if self.__depth >= __ef::MAX_DELIVERY_DEPTH {
                    __ef::report_cycle(#label);
                    return;
                }
                self.__depth += 1;
                if let Some(place) = self.#active {
                    self.#map.touch_at(place, self.__clock);
                }
                let now = self.__clock;
                #runs
                self.__depth -= 1;
            }
        });
    }

    // Exchanges the App's query states with `instance`'s (entering or leaving a key).
    let exchange = quote!(#(::std::mem::swap(&mut self.#q_fields, &mut instance.#q_fields);)*);
    methods.push(quote! {
        /// Makes `key`'s instance the active one (creating it for an event seen at `seen`);
        /// returns where it is held and the place of the instance that was active before.
        fn #enter(
            &mut self,
            key: &#key_ty,
            seen: Option<i64>,
        ) -> (Option<__ef::partition::Place>, Option<__ef::partition::Place>) {
            let previous = self.#active.take();
            if let Some(previous) = previous {
                self.#swap(previous);
            }
            let place = match seen {
                Some(seen) => {
                    let origin = self.__origin;
                    let seen = seen.max(self.__clock);
                    let made = self.#map.enter(key, seen, || {
                        Ok::<_, ::std::convert::Infallible>(#instance::new(origin))
                    });
                    let (place, instance) = match made {
                        Ok(made) => made,
                        Err(never) => match never {},
                    };
                    #exchange
                    Some(place)
                }
                None => {
                    let place = self.#map.place(key);
                    if let Some(place) = place {
                        self.#swap(place);
                    }
                    place
                }
            };
            self.#active = place;
            (place, previous)
        }

        /// Puts the instance `#enter` made active back (recording whether it has pending
        /// timers) and makes the one active before it active again.
        fn #leave(
            &mut self,
            (place, previous): (Option<__ef::partition::Place>, Option<__ef::partition::Place>),
        ) {
            self.#active = None;
            if let Some(place) = place {
                let timed = match self.#map.at_mut(place) {
                    Some(instance) => {
                        #exchange
                        instance.next_due().is_some()
                    }
                    None => false,
                };
                self.#map.set_timed_at(place, timed);
            }
            if let Some(previous) = previous {
                self.#swap(previous);
                self.#active = Some(previous);
            }
        }

        fn #swap(&mut self, place: __ef::partition::Place) {
            if let Some(instance) = self.#map.at_mut(place) {
                #exchange
            }
        }
    });

    let purge_config = match &p.purge {
        Some(c) => {
            let (interval, idle) = (c.interval_ms, c.idle_period_ms);
            quote!(Some(__ef::partition::Purge { interval: #interval, idle: #idle }))
        }
        None => quote!(None),
    };
    let part_count = members.len();
    let items = quote! {
        #[doc(hidden)]
        #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
        pub struct #instance {
            #(#q_fields: Box<#q_types>,)*
        }

        #[allow(unused, non_snake_case, non_camel_case_types, clippy::all)]
        impl #instance {
            fn new(origin: i64) -> Self {
                let mut instance = #instance { #(#q_fields: Box::new(#q_types::new()),)* };
                #(instance.#q_fields.anchor(origin);)*
                instance
            }
            fn next_due(&self) -> Option<i64> {
                [#(self.#q_fields.next_due()),*].into_iter().flatten().min()
            }
            fn snapshot(&self) -> Result<Vec<Vec<u8>>, __ef::StateError> {
                Ok(vec![#(self.#q_fields.snapshot()?),*])
            }
            fn restore(&mut self, parts: Vec<Vec<u8>>) -> Result<(), __ef::StateError> {
                if parts.len() != #part_count {
                    return Err(__ef::StateError::Mismatch(
                        "a partition instance of the snapshot differs from the app's".into(),
                    ));
                }
                let mut parts = parts.into_iter();
                #(self.#q_fields.restore(&parts.next().unwrap_or_default())?;)*
                Ok(())
            }
        }
    };
    Ok(PartitionCode {
        items,
        fields: quote! {
            #map: __ef::partition::Partitioned<#key_ty, #instance>,
            #active: Option<__ef::partition::Place>,
        },
        inits: quote! {
            #map: __ef::partition::Partitioned::new(#purge_config),
            #active: None,
        },
        methods: quote!(#(#methods)*),
        sources,
        ones,
        timer_variants: quote!(#timer(#key_ty, usize), #purge,),
        timer_at_variants: quote!(#timer(&'a #key_ty, usize), #purge,),
        timer_owned_arms: quote! {
            __TimerAt::#timer(key, i) => __Timer::#timer(key.clone(), i),
            __TimerAt::#purge => __Timer::#purge,
        },
        timers: quote! {
            for (key, instance) in self.#map.timed() {
                #(earliest.offer_grouped(
                    instance.#q_fields.next_due(),
                    __TimerAt::#timer(key, #member_index),
                    Some(__ef::partition_timer_group(#index, #member_index)),
                );)*
            }
            earliest.offer(self.#map.next_due(), __TimerAt::#purge);
        },
        fire_arms: quote! {
            __Timer::#purge => {
                self.#map.on_time(due);
                self.#map.skip_idle(horizon);
                return;
            }
            __Timer::#timer(key, i) => {
                if self.#map.get_mut(&key).is_none() {
                    return;
                }
                let entered = self.#enter(&key, None);
                match i {
                    #(#member_index => {
                        self.#q_on_time(due);
                        self.#q_fields.skip_idle(horizon);
                    })*
                    _ => {}
                }
                self.#leave(entered);
                return;
            }
        },
        anchor: quote!(self.#map.anchor(origin);),
        snapshot: quote! {
            __ef::state::encode(
                &self
                    .#map
                    .iter()
                    .map(|(key, slot)| Ok((key.clone(), slot.last_seen, slot.instance.snapshot()?)))
                    .collect::<Result<Vec<_>, __ef::StateError>>()?,
            )?
        },
        restore: quote! {
            let saved: Vec<(#key_ty, i64, Vec<Vec<u8>>)> = __ef::state::decode(&bytes)?;
            let mut slots = Vec::new();
            for (key, last_seen, parts) in saved {
                let mut instance = #instance::new(self.__origin);
                instance.restore(parts)?;
                slots.push((key, __ef::partition::Slot { instance, last_seen }));
            }
            self.#map.replace(slots);
            self.#active = None;
        },
    })
}
