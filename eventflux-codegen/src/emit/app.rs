//! The app as Rust: stream structs, the queries, and `App` (typed input and output, the clock
//! and timers, depth-first delivery, snapshots, and the `Engine` view through values).

use super::Unsupported;
use super::aggregation::{self, AggregationCode};
use super::expr::{Statics, rust_type, type_tokens};
use super::names::{
    MethodBases, deliver, deliver_one_observed, fields, method, type_bare, type_name, window_emit,
    window_insert,
};
use super::partition::{self, PartitionCode};
use super::query::{self, QueryCode};
use crate::plan::{
    Attribute, EventType, NamedWindowInfo, Plan, Schema, StreamKind, TriggerSchedule, Type,
};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// A stream the compiled app has a struct, callbacks and input methods for: a defined or
/// inferred stream, or a trigger (`triggered_time long`).
struct Stream {
    name: String,
    /// Its struct.
    ty: Ident,
    schema: Schema,
    /// The fault stream its processing errors go to, if any (`!X`).
    fault: Option<String>,
}

impl Stream {
    fn new(name: &str, schema: &Schema) -> Self {
        Stream {
            name: name.to_string(),
            ty: type_name(name),
            schema: schema.clone(),
            fault: None,
        }
    }
}

/// The `App` field holding the chunk buffer of stream `name`.
fn in_buffer(name: &str) -> Ident {
    quote::format_ident!("__in_{}", type_bare(name))
}

/// The `App` field holding the callbacks of stream `name`.
fn callbacks(name: &str) -> Ident {
    quote::format_ident!("__on_{}", type_bare(name))
}

fn stream_struct(s: &Stream) -> TokenStream {
    let name = &s.ty;
    let stream = &s.name;
    let fields = fields(&s.schema);
    let types: Vec<_> = s
        .schema
        .attributes
        .iter()
        .map(|a| rust_type(a.ty))
        .collect();
    let names: Vec<&str> = s
        .schema
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    let type_values: Vec<_> = s
        .schema
        .attributes
        .iter()
        .map(|a| type_tokens(a.ty))
        .collect();
    let count = fields.len();
    let indexes: Vec<usize> = (0..count).collect();
    let locals: Vec<Ident> = (0..count).map(|i| super::names::private("d", i)).collect();
    let doc = format!(
        "An event of stream `{stream}` {}. `None` is null.",
        s.schema
    );
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, Default, __ef::serde::Serialize, __ef::serde::Deserialize)]
        #[serde(crate = "::eventflux_runtime::__private::serde")]
        #[allow(non_snake_case, non_camel_case_types, dead_code)]
        pub struct #name {
            #(#[doc = #names] pub #fields: Option<#types>,)*
        }

        #[allow(non_snake_case, non_camel_case_types, dead_code, clippy::all)]
        impl #name {
            /// The stream's name.
            pub const STREAM: &'static str = #stream;

            /// An event with every attribute set.
            pub fn new(#(#fields: impl Into<#types>),*) -> Self {
                #name { #(#fields: Some(#fields.into()),)* }
            }

            /// Drops the event attribute by attribute, so that a hot path that discards it
            /// keeps its attributes in registers (the struct's drop glue takes its address).
            #[doc(hidden)]
            #[inline(always)]
            pub fn __discard(self) {
                let #name { #(#fields: #locals,)* } = self;
            }

            /// The attribute names and types.
            pub fn schema() -> Vec<(String, __ef::plan::Type)> {
                vec![#((::std::string::String::from(#names), #type_values)),*]
            }

            /// The event from values (as the interpreter takes them); errors name the stream,
            /// the attribute and the value.
            pub fn from_values(values: &[__ef::Value]) -> Result<Self, __ef::SendError> {
                if values.len() != #count {
                    return Err(__ef::SendError::Arity {
                        stream: #stream.into(),
                        expected: #count,
                        found: values.len(),
                    });
                }
                Ok(#name {
                    #(#fields: __ef::field_from(#stream, #names, &values[#indexes])?,)*
                })
            }

            /// The attribute values, in order.
            pub fn to_values(&self) -> Vec<__ef::Value> {
                vec![#(__ef::Field::to_value(&self.#fields)),*]
            }
        }
    }
}

/// The statements giving `chunk` (a `&mut Chunk` of `source`'s events, at `now`) to its
/// readers: the partitions reading it, then the queries outside partitions, in order.
fn consume(
    aggregations: &[AggregationCode],
    queries: &[QueryCode],
    partitions: &[PartitionCode],
    source: &str,
) -> TokenStream {
    // Aggregations first (as the interpreter does), then partitions and queries.
    let mut runs: Vec<&Ident> = aggregations
        .iter()
        .filter(|a| a.source == source)
        .map(|a| &a.add)
        .collect();
    for (sources, _) in readers(queries, partitions) {
        runs.extend(
            sources
                .iter()
                .filter(|(name, _)| name == source)
                .map(|(_, run)| run),
        );
    }
    partition::run_all(&runs)
}

/// The readers of streams outside aggregations, in definition order (a partition where its
/// first query is), as in the interpreter: each one's (source, run) and (source, one-event
/// method) lists.
#[allow(clippy::type_complexity)]
fn readers<'a>(
    queries: &'a [QueryCode],
    partitions: &'a [PartitionCode],
) -> Vec<(&'a [(String, Ident)], &'a [(String, Ident)])> {
    let mut placed: Vec<(usize, &[(String, Ident)], &[(String, Ident)])> = Vec::new();
    for (i, q) in queries.iter().enumerate() {
        if q.partition.is_none() {
            placed.push((i, &q.sources, &q.ones));
        }
    }
    for (index, p) in partitions.iter().enumerate() {
        let at = queries
            .iter()
            .position(|q| q.partition == Some(index))
            .unwrap_or(usize::MAX);
        placed.push((at, &p.sources, &p.ones));
    }
    placed.sort_by_key(|(at, _, _)| *at);
    placed.into_iter().map(|(_, s, o)| (s, o)).collect()
}

/// A stream's one-event delivery: the body of its method (taking `ev`) and the method it hands
/// the event to when a stream callback or a cycle needs it (empty if none).
struct DeliverOne {
    body: TokenStream,
    observed: TokenStream,
}

/// A stream's one-event delivery (`ev`): straight to the callbacks and to each reader's
/// one-event method when every reader has one (and errors go to the log, not a fault stream),
/// as a chunk of one through the stream's buffer otherwise.
fn deliver_one(
    aggregations: &[AggregationCode],
    queries: &[QueryCode],
    partitions: &[PartitionCode],
    s: &Stream,
) -> DeliverOne {
    let buffer = in_buffer(&s.name);
    let deliver_fn = deliver(&s.name);
    // The readers in the order `consume` gives chunks to them: definition order.
    let reading = |sources: &[(String, Ident)]| sources.iter().any(|(name, _)| *name == s.name);
    let one_of = |ones: &'_ [(String, Ident)]| {
        ones.iter()
            .find(|(name, _)| *name == s.name)
            .map(|(_, one)| one.clone())
    };
    let mut count = 0;
    let mut ones: Vec<Ident> = Vec::new();
    for (sources, reader_ones) in readers(queries, partitions) {
        if reading(sources) {
            count += 1;
            ones.extend(one_of(reader_ones));
        }
    }
    let direct = s.fault.is_none()
        && ones.len() == count
        && !aggregations.iter().any(|a| a.source == s.name);
    if !direct {
        return DeliverOne {
            body: quote! {
                let mut chunk = ::std::mem::take(&mut self.#buffer);
                chunk.clear();
                chunk.push(ev);
                self.#deliver_fn(&mut chunk);
                chunk.clear();
                self.#buffer = chunk;
            },
            observed: quote!(),
        };
    }
    let stream = &s.name;
    let cb = callbacks(&s.name);
    if ones.is_empty() {
        // Only callbacks see the event: they cannot send to the app, so nothing can raise an
        // error or close a cycle here.
        return DeliverOne {
            body: quote! {
                for callback in self.#cb.iter_mut() {
                    callback(&ev);
                }
            },
            observed: quote!(),
        };
    }
    let calls = ones.iter().enumerate().map(|(k, one)| {
        if k + 1 == ones.len() {
            quote!(self.#one(now, ev);)
        } else {
            quote!(self.#one(now, ev.clone());)
        }
    });
    let calls: Vec<TokenStream> = calls.collect();
    let observed = deliver_one_observed(&s.name);
    let name = &s.ty;
    // The readers run one level deeper; their errors are logged together.
    let run = quote! {
        self.__depth += 1;
        let raised = self.__errors.len();
        let now = self.__clock;
        #(#calls)*
        if self.__errors.len() > raised {
            let message = self.__errors.drain(raised..).collect::<Vec<_>>().join("; ");
            __ef::report_error(#stream, &message);
        }
        self.__depth -= 1;
    };
    // The usual path neither returns early nor lends the event to callbacks, so the event
    // stays in registers; a cycle or a stream callback takes the observed path.
    DeliverOne {
        body: quote! {
            if self.__depth >= __ef::MAX_DELIVERY_DEPTH || !self.#cb.is_empty() {
                self.#observed(ev);
                return;
            }
            #run
        },
        observed: quote! {
            #[inline(never)]
            fn #observed(&mut self, ev: __ef::Event<#name>) {
                if self.__depth >= __ef::MAX_DELIVERY_DEPTH {
                    self.__errors.push(__ef::cycle_message(#stream));
                    return;
                }
                for callback in self.#cb.iter_mut() {
                    callback(&ev);
                }
                #run
            }
        },
    }
}

/// A named window of the app: its field, type and initializer, items, and the `App` methods
/// taking inserted rows and sending what it emits to its readers.
struct NamedWindowCode {
    field: Ident,
    ty: TokenStream,
    init: TokenStream,
    items: TokenStream,
    methods: TokenStream,
}

fn named_window(
    index: usize,
    w: &NamedWindowInfo,
    queries: &[QueryCode],
    partitions: &[PartitionCode],
    statics: &mut Statics,
) -> Result<NamedWindowCode, Unsupported> {
    let name = type_name(&w.name);
    let event = quote!(#name);
    let condition = quote::format_ident!("__WindowCond{}", index);
    let query::Window { ty, init, items } =
        query::window(&w.window, &w.schema, &event, &condition, w.span, statics)?;
    let field = quote::format_ident!("__window{}", index);
    let (insert, emit) = (window_insert(index), window_emit(index));
    let current_on = w.output != EventType::Expired;
    let expired_on = w.output != EventType::Current;
    let consume = consume(&[], queries, partitions, &w.name);
    let window_name = &w.name;
    let methods = quote! {
        fn #insert(&mut self, rows: &mut __ef::Chunk<#name>) {
            if self.__depth >= __ef::MAX_DELIVERY_DEPTH {
                self.__errors.push(__ef::cycle_message(#window_name));
                return;
            }
            let now = self.__clock;
            let input: __ef::Chunk<#name> = rows
                .drain(..)
                .map(|e| __ef::Event::current(e.timestamp, e.data))
                .collect();
            let mut out = Vec::new();
            __ef::Window::process(&mut self.#field, now, input, &mut out);
            self.#emit(out);
        }

        fn #emit(&mut self, out: __ef::Chunk<#name>) {
            let mut chunk: __ef::Chunk<#name> = out
                .into_iter()
                // A window publishes only the kinds its output asks for, never its resets (as
                // Siddhi's window publisher): readers see expired events, not resets.
                .filter(|e| match e.kind {
                    __ef::EventKind::Current => #current_on,
                    __ef::EventKind::Expired => #expired_on,
                    __ef::EventKind::Reset => false,
                })
                .collect();
            if chunk.is_empty() {
                return;
            }
            let now = self.__clock;
            let chunk = &mut chunk;
            self.__depth += 1;
            #consume
            self.__depth -= 1;
        }
    };
    Ok(NamedWindowCode {
        field,
        ty,
        init,
        items,
        methods,
    })
}

/// Emits the whole app, or every part of it the compiled path cannot emit yet.
pub fn emit(plan: &Plan) -> Result<TokenStream, Vec<Unsupported>> {
    let mut errors = Vec::new();
    let tables = super::table::tables(plan);
    for t in &tables {
        if let Err(e) = t.check() {
            errors.push(e);
        }
    }
    errors.extend(super::clashes::check(plan));
    // `currentTimeMillis()` gives the time being processed to, in playback.
    let (playback_time_at_ts, playback_time_at_time) = if plan.reads_app_clock {
        (
            quote!(let _time = self.__playback.then(|| __ef::PlaybackTime::enter(ts));),
            quote! {
                let _time = self
                    .__playback
                    .then(|| __ef::PlaybackTime::enter(time.max(self.__clock)));
            },
        )
    } else {
        (quote!(), quote!())
    };
    let streams: Vec<Stream> = plan
        .streams
        .iter()
        .filter(|s| {
            matches!(
                s.kind,
                StreamKind::Defined | StreamKind::Inferred | StreamKind::Fault { .. }
            )
        })
        .map(|s| {
            let mut stream = Stream::new(&s.name, &s.schema);
            let fault = format!("!{}", s.name);
            if plan.streams.iter().any(|f| f.name == fault) {
                stream.fault = Some(fault);
            }
            stream
        })
        .chain(plan.triggers.iter().map(|t| {
            let schema = Schema {
                attributes: vec![Attribute {
                    name: "triggered_time".into(),
                    ty: Type::Long,
                }],
            };
            Stream::new(&t.name, &schema)
        }))
        .collect();
    let mut bases = MethodBases::default();
    for s in &streams {
        bases.add_stream(&s.name);
    }
    for q in &plan.queries {
        if matches!(q.output, crate::plan::OutputPlan::Return { .. }) {
            bases.add_return(&q.name);
        }
    }
    let mut statics = Statics::default();
    let mut aggregations: Vec<AggregationCode> = Vec::new();
    for (i, a) in plan.aggregations.iter().enumerate() {
        match aggregation::emit(plan, i, a, &mut statics) {
            Ok(code) => aggregations.push(code),
            Err(e) => errors.push(e),
        }
    }
    let mut queries: Vec<QueryCode> = Vec::new();
    for (i, q) in plan.queries.iter().enumerate() {
        match query::emit(plan, i, q, &tables, &mut statics) {
            Ok(code) => queries.push(code),
            Err(e) => errors.push(e),
        }
    }
    let mut partitions = Vec::new();
    for (i, p) in plan.partitions.iter().enumerate() {
        match partition::emit(plan, i, p, &queries, &mut statics) {
            Ok(code) => partitions.push(code),
            Err(e) => errors.push(e),
        }
    }
    let mut windows = Vec::new();
    for (i, w) in plan.windows.iter().enumerate() {
        match named_window(i, w, &queries, &partitions, &mut statics) {
            Ok(code) => windows.push(code),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let table_rows: Vec<Stream> = tables
        .iter()
        .map(|t| Stream::new(&t.info.name, &t.info.schema))
        .collect();
    let window_rows: Vec<Stream> = plan
        .windows
        .iter()
        .map(|w| Stream::new(&w.name, &w.schema))
        .collect();
    let inner_rows: Vec<Stream> = plan
        .streams
        .iter()
        .filter_map(|s| match s.kind {
            StreamKind::Inner { partition } => Some(Stream {
                ty: super::names::inner_struct(partition, &s.name),
                ..Stream::new(&s.name, &s.schema)
            }),
            _ => None,
        })
        .collect();
    let aggregation_rows: Vec<Stream> = plan
        .aggregations
        .iter()
        .map(|a| Stream::new(&a.name, &a.schema))
        .collect();
    let structs = streams
        .iter()
        .chain(&aggregation_rows)
        .chain(&table_rows)
        .chain(&window_rows)
        .chain(&inner_rows)
        .map(stream_struct);
    let partition_items = partitions.iter().map(|p| &p.items);
    let partition_fields = partitions.iter().map(|p| &p.fields);
    let partition_inits = partitions.iter().map(|p| &p.inits);
    let partition_methods = partitions.iter().map(|p| &p.methods);
    let partition_variants = partitions.iter().map(|p| &p.timer_variants);
    let partition_at_variants = partitions.iter().map(|p| &p.timer_at_variants);
    let partition_owned_arms = partitions.iter().map(|p| &p.timer_owned_arms);
    let partition_timers = partitions.iter().map(|p| &p.timers);
    let partition_fire = partitions.iter().map(|p| &p.fire_arms);
    let partition_anchors = partitions.iter().map(|p| &p.anchor);
    let partition_snapshots = partitions.iter().map(|p| &p.snapshot);
    let partition_restores = partitions.iter().map(|p| &p.restore);
    let partition_count = partitions.len();
    let window_fields: Vec<&Ident> = windows.iter().map(|w| &w.field).collect();
    let window_types = windows.iter().map(|w| &w.ty);
    let window_inits = windows.iter().map(|w| &w.init);
    let window_items = windows.iter().map(|w| &w.items);
    let window_methods = windows.iter().map(|w| &w.methods);
    let window_emits: Vec<Ident> = (0..windows.len()).map(window_emit).collect();
    let window_count = windows.len();
    let agg_fields: Vec<&Ident> = aggregations.iter().map(|a| &a.field).collect();
    let agg_types = aggregations.iter().map(|a| &a.ty);
    let agg_inits = aggregations.iter().map(|a| &a.init);
    let agg_items = aggregations.iter().map(|a| &a.items);
    let agg_methods = aggregations.iter().map(|a| &a.methods);
    let agg_count = aggregations.len();
    let table_items = tables.iter().map(|t| t.items());
    let table_fields: Vec<&Ident> = tables.iter().map(|t| &t.field).collect();
    let table_types = tables.iter().map(|t| t.ty());
    let table_inits = tables.iter().map(|t| t.init());
    let table_count = tables.len();
    let store_parts: Vec<_> = tables
        .iter()
        .filter_map(|t| t.store_parts(&plan.config.name))
        .collect();
    let store_fields = store_parts.iter().map(|(field, _, _)| field);
    let store_opens = store_parts.iter().map(|(_, open, _)| open);
    let store_methods = store_parts.iter().map(|(_, _, method)| method);
    let store_inits = tables
        .iter()
        .filter_map(|t| t.store.as_ref().map(|(field, _)| quote!(#field: None,)));
    let store_writes: Vec<&Ident> = tables
        .iter()
        .filter_map(|t| t.store.as_ref().map(|(_, write)| write))
        .collect();
    let restore_writes = store_writes.iter().map(|write| {
        quote! {
            // The store gets the snapshot's rows; if it fails they wait for the next write.
            if let Err(e) = self.#write() {
                ::std::eprintln!("error: restoring a snapshot: {e}");
            }
        }
    });
    // An app with stored tables is opened (its stores can fail); others are also made by `new`.
    let constructors = if store_writes.is_empty() {
        quote! {
            /// A new app; its clock follows event time when the app says `@app:playback`.
            pub fn new() -> Self {
                App::__build()
            }

            /// The same as [`App::new`]: the app has no tables in an external store.
            pub fn open_with(stores: &__ef::store::StoreRegistry) -> Result<Self, __ef::store::StoreError> {
                let _ = stores;
                Ok(App::__build())
            }
        }
    } else {
        quote! {
            /// A new app with its `@store` tables opened in the built-in store types and loaded
            /// from them; its clock follows event time when the app says `@app:playback`.
            pub fn open() -> Result<Self, __ef::store::StoreError> {
                App::open_with(&__ef::store::StoreRegistry::default())
            }

            /// A new app with its `@store` tables opened in `stores` and loaded from them.
            pub fn open_with(stores: &__ef::store::StoreRegistry) -> Result<Self, __ef::store::StoreError> {
                let mut app = App::__build();
                #(#store_opens)*
                Ok(app)
            }
        }
    };
    let default_impl = if store_writes.is_empty() {
        quote! {
            impl Default for App {
                fn default() -> Self {
                    App::new()
                }
            }
        }
    } else {
        quote!()
    };
    let query_items = queries.iter().map(|q| &q.items);
    let query_methods = queries.iter().map(|q| &q.methods);
    let q_fields: Vec<_> = queries.iter().map(|q| &q.field).collect();
    // A partitioned query's state is boxed: entering a key's instance swaps pointers.
    let q_types: Vec<TokenStream> = queries
        .iter()
        .map(|q| {
            let ty = &q.ty;
            match q.partition {
                Some(_) => quote!(Box<#ty>),
                None => quote!(#ty),
            }
        })
        .collect();
    let q_inits: Vec<TokenStream> = queries
        .iter()
        .map(|q| {
            let ty = &q.ty;
            match q.partition {
                Some(_) => quote!(Box::new(#ty::new())),
                None => quote!(#ty::new()),
            }
        })
        .collect();
    let unpartitioned: Vec<&QueryCode> = queries.iter().filter(|q| q.partition.is_none()).collect();
    let free_fields: Vec<&Ident> = unpartitioned.iter().map(|q| &q.field).collect();
    let trigger_count = plan.triggers.len();
    let window_base = trigger_count + plan.windows.len();
    let window_index: Vec<usize> = (trigger_count..window_base).collect();
    let timer_index: Vec<usize> = (window_base..window_base + unpartitioned.len()).collect();
    let trigger_index: Vec<usize> = (0..trigger_count).collect();
    let trigger_next: Vec<Ident> = (0..trigger_count)
        .map(|i| quote::format_ident!("__trigger{}", i))
        .collect();
    let trigger_cron: Vec<Ident> = (0..trigger_count)
        .map(|i| quote::format_ident!("__trigger{}_cron", i))
        .collect();
    let trigger_cron_init = plan.triggers.iter().map(|t| match &t.schedule {
        TriggerSchedule::Cron(expr) => quote!(__ef::CronSchedule::parse(#expr).ok()),
        _ => quote!(None),
    });
    let next_after = |t: &TriggerSchedule, cron: &Ident, from: TokenStream| match t {
        TriggerSchedule::Start => quote!(None),
        TriggerSchedule::Every(p) => {
            let p = (*p).max(1);
            quote!(__ef::due_after(#from, #p))
        }
        TriggerSchedule::Cron(_) => quote!(self.#cron.as_ref().and_then(|c| c.next_after(#from))),
    };
    let trigger_anchor: Vec<TokenStream> = plan
        .triggers
        .iter()
        .zip(&trigger_cron)
        .map(|(t, cron)| match &t.schedule {
            TriggerSchedule::Start => quote!(Some(origin)),
            other => next_after(other, cron, quote!(origin)),
        })
        .collect();
    let trigger_fire: Vec<TokenStream> = plan
        .triggers
        .iter()
        .zip(trigger_cron.iter().zip(&trigger_next))
        .map(|(t, (cron, field))| {
            let next = next_after(&t.schedule, cron, quote!(due));
            let name = type_name(&t.name);
            let deliver_fn = deliver(&t.name);
            quote! {
                self.#field = #next;
                let mut chunk = vec![__ef::Event::current(due, #name { triggered_time: Some(due) })];
                self.#deliver_fn(&mut chunk);
            }
        })
        .collect();
    let on_time: Vec<_> = unpartitioned
        .iter()
        .map(|q| quote::format_ident!("{}_on_time", q.field))
        .collect();
    let statics_items = &statics.items;
    let app_fingerprint = plan.fingerprint();
    let playback = plan.config.playback.is_some();

    let mut cb_fields = Vec::new();
    let mut cb_names = Vec::new();
    let mut stream_methods = Vec::new();
    let mut schema_arms = Vec::new();
    let mut subscribe_arms = Vec::new();
    let mut send_arms = Vec::new();
    for s in &streams {
        let name = &s.ty;
        let stream = &s.name;
        let cb = callbacks(&s.name);
        let deliver_fn = deliver(&s.name);
        let send = method("send", bases.stream(&s.name));
        let send_at = quote::format_ident!("{}_at", send);
        let send_all = quote::format_ident!("{}_all", send);
        let on = method("on", bases.stream(&s.name));
        let on_event = quote::format_ident!("{}_event", on);
        let internal_send = quote::format_ident!("__send_{}", send);
        let consume = consume(&aggregations, &queries, &partitions, &s.name);
        let deliver_one_fn = super::names::deliver_one(&s.name);
        let DeliverOne {
            body: deliver_one_body,
            observed: deliver_one_observed,
        } = deliver_one(&aggregations, &queries, &partitions, s);
        let buffer = in_buffer(&s.name);
        let (keep, report) = match &s.fault {
            Some(fault) => {
                let fault_ty = type_name(fault);
                let fault_deliver = deliver(fault);
                let fields = fields(&s.schema);
                let error_ty = plan
                    .stream(&format!("!{}", s.name))
                    .and_then(|f| f.schema.attributes.iter().find(|a| a.name == "_error"))
                    .map_or(Type::String, |a| a.ty);
                let error = match error_ty {
                    Type::Object => quote!(__ef::Value::from(message.as_str())),
                    _ => quote!(__ef::Str::from(message.as_str())),
                };
                (
                    quote!(let original = chunk.clone();),
                    quote! {
                        let mut faults: __ef::Chunk<#fault_ty> = original
                            .into_iter()
                            .map(|e| __ef::Event::current(e.timestamp, #fault_ty {
                                #(#fields: e.data.#fields,)*
                                _error: Some(#error),
                            }))
                            .collect();
                        self.#fault_deliver(&mut faults);
                    },
                )
            }
            None => (quote!(), quote!(__ef::report_error(#stream, &message);)),
        };
        cb_fields.push(quote!(#cb: Vec<__ef::Callback<#name>>, #buffer: __ef::Chunk<#name>,));
        cb_names.push(cb.clone());
        cb_names.push(buffer.clone());
        let send_doc = format!(
            "Sends an event to `{stream}`, stamped with the clock (playback) or the wall clock."
        );
        let send_at_doc = format!(
            "Sends an event to `{stream}` at `timestamp` (ms); in playback the clock moves there, and an event older than the clock is refused."
        );
        let send_all_doc =
            format!("Sends events to `{stream}` one after another, as `{send}` would.");
        let on_doc = format!("Calls `callback` with every event of `{stream}`.");
        let on_event_doc = format!(
            "Calls `callback` with every event of `{stream}`, with its timestamp and kind."
        );
        stream_methods.push(quote! {
            #[doc = #send_doc]
            #[inline]
            pub fn #send(&mut self, row: #name) {
                let _ = self.#internal_send(None, row);
            }

            #[doc = #send_at_doc]
            #[inline]
            pub fn #send_at(&mut self, timestamp: i64, row: #name) -> Result<(), __ef::SendError> {
                self.#internal_send(Some(timestamp), row)
            }

            #[doc = #send_all_doc]
            pub fn #send_all(&mut self, rows: impl IntoIterator<Item = #name>) {
                for row in rows {
                    let _ = self.#internal_send(None, row);
                }
            }

            #[doc = #on_doc]
            pub fn #on(&mut self, mut callback: impl FnMut(&#name) + Send + 'static) {
                self.#cb.push(Box::new(move |e: &__ef::Event<#name>| callback(&e.data)));
            }

            #[doc = #on_event_doc]
            pub fn #on_event(&mut self, callback: impl FnMut(&__ef::Event<#name>) + Send + 'static) {
                self.#cb.push(Box::new(callback));
            }

            #[inline]
            fn #internal_send(&mut self, timestamp: Option<i64>, row: #name) -> Result<(), __ef::SendError> {
                let ts = __ef::stamp(#stream, self.__playback, self.__clock, timestamp)?;
                #playback_time_at_ts
                self.advance_to(ts);
                self.#deliver_one_fn(__ef::Event::current(ts, row));
                Ok(())
            }

            #[inline]
            fn #deliver_one_fn(&mut self, ev: __ef::Event<#name>) {
                #deliver_one_body
            }

            #deliver_one_observed

            fn #deliver_fn(&mut self, chunk: &mut __ef::Chunk<#name>) {
                if chunk.is_empty() {
                    return;
                }
                if self.__depth >= __ef::MAX_DELIVERY_DEPTH {
                    self.__errors.push(__ef::cycle_message(#stream));
                    return;
                }
                self.__depth += 1;
                let raised = self.__errors.len();
                #keep
                for callback in self.#cb.iter_mut() {
                    for e in chunk.iter() {
                        callback(e);
                    }
                }
                let now = self.__clock;
                #consume
                if self.__errors.len() > raised {
                    let message = self.__errors.drain(raised..).collect::<Vec<_>>().join("; ");
                    #report
                }
                self.__depth -= 1;
            }
        });
        schema_arms.push(quote!(#stream => Some(#name::schema()),));
        subscribe_arms.push(quote! {
            #stream => self.#cb.push(Box::new(move |e: &__ef::Event<#name>| {
                let values = e.data.to_values();
                callback(&__ef::Output {
                    stream: #stream,
                    timestamp: e.timestamp,
                    kind: e.kind,
                    values: &values,
                });
            })),
        });
        send_arms.push(quote! {
            #stream => {
                let row = #name::from_values(&values)?;
                self.#internal_send(timestamp, row)
            }
        });
    }
    let mut return_rows = Vec::new();
    for (i, q) in plan.queries.iter().enumerate() {
        if !matches!(q.output, crate::plan::OutputPlan::Return { .. }) {
            continue;
        }
        let name = type_name(&q.name);
        let query = &q.name;
        let cb = super::names::return_callbacks(i);
        let on = method("on", bases.return_query(&q.name));
        let on_event = quote::format_ident!("{}_event", on);
        let on_doc = format!("Calls `callback` with every row query `{query}` returns.");
        let on_event_doc = format!(
            "Calls `callback` with every row query `{query}` returns, with its timestamp and kind."
        );
        cb_fields.push(quote!(#cb: Vec<__ef::Callback<#name>>,));
        cb_names.push(cb.clone());
        stream_methods.push(quote! {
            #[doc = #on_doc]
            pub fn #on(&mut self, mut callback: impl FnMut(&#name) + Send + 'static) {
                self.#cb.push(Box::new(move |e: &__ef::Event<#name>| callback(&e.data)));
            }

            #[doc = #on_event_doc]
            pub fn #on_event(&mut self, callback: impl FnMut(&__ef::Event<#name>) + Send + 'static) {
                self.#cb.push(Box::new(callback));
            }
        });
        subscribe_arms.push(quote! {
            #query => self.#cb.push(Box::new(move |e: &__ef::Event<#name>| {
                let values = e.data.to_values();
                callback(&__ef::Output {
                    stream: #query,
                    timestamp: e.timestamp,
                    kind: e.kind,
                    values: &values,
                });
            })),
        });
        let schema = q.select.output_schema();
        return_rows.push(Stream::new(&q.name, &schema));
    }
    let return_structs = return_rows.iter().map(stream_struct);
    let cb_inits = cb_names.iter().map(|name| quote!(#name: Vec::new(),));

    Ok(quote! {
        use ::eventflux_runtime::__private as __ef;
        #(#statics_items)*
        #(#structs)*
        #(#return_structs)*
        #(#table_items)*
        #(#agg_items)*
        #(#window_items)*
        #(#partition_items)*
        #(#query_items)*

        /// The compiled app: send events with the `send_*` methods, receive them with the `on_*`
        /// callbacks.
        #[allow(non_snake_case, dead_code, clippy::all)]
        pub struct App {
            __clock: i64,
            __playback: bool,
            __depth: usize,
            __origin: i64,
            __errors: Vec<String>,
            #(#trigger_next: Option<i64>, #trigger_cron: Option<__ef::CronSchedule>,)*
            #(#table_fields: #table_types,)*
            #(#store_fields)*
            #(#agg_fields: #agg_types,)*
            #(#window_fields: #window_types,)*
            #(#partition_fields)*
            #(#q_fields: #q_types,)*
            #(#cb_fields)*
        }

        #default_impl

        #[allow(non_snake_case, unused, clippy::all)]
        impl App {
            /// Identifies the app's snapshots.
            pub const FINGERPRINT: u64 = #app_fingerprint;

            #constructors

            /// Writes every stored table's changes that a failing store has not taken yet;
            /// returns the first error (the changes of a store that fails again keep waiting).
            pub fn flush_stores(&mut self) -> Result<(), __ef::store::StoreError> {
                let mut first = None;
                #(
                    if let Err(e) = self.#store_writes() {
                        first.get_or_insert(e);
                    }
                )*
                first.map_or(Ok(()), Err)
            }

            #(#store_methods)*

            fn __build() -> Self {
                let mut app = App {
                    __clock: 0,
                    __playback: #playback,
                    __depth: 0,
                    __origin: 0,
                    __errors: Vec::new(),
                    #(#trigger_next: None, #trigger_cron: #trigger_cron_init,)*
                    #(#table_fields: #table_inits,)*
                    #(#store_inits)*
                    #(#agg_fields: #agg_inits,)*
                    #(#window_fields: #window_inits,)*
                    #(#q_fields: #q_inits,)*
                    #(#partition_inits)*
                    #(#cb_inits)*
                };
                let origin = if app.__playback { 0 } else { __ef::now_ms() };
                app.__anchor(origin);
                app
            }

            fn __anchor(&mut self, origin: i64) {
                self.__clock = origin;
                self.__origin = origin;
                #(self.#q_fields.anchor(origin);)*
                #(#partition_anchors)*
                #(self.#trigger_next = #trigger_anchor;)*
            }

            /// The clock, in ms.
            pub fn clock(&self) -> i64 {
                self.__clock
            }

            /// Whether the clock follows event time.
            pub fn is_playback(&self) -> bool {
                self.__playback
            }

            /// Makes the clock follow event time from 0 (or the wall clock from now, when
            /// `false`). Call it before sending events: it restarts the clock and the periodic
            /// timers.
            pub fn set_playback(&mut self, playback: bool) {
                if self.__playback != playback {
                    self.__playback = playback;
                    self.__anchor(if playback { 0 } else { __ef::now_ms() });
                }
            }

            /// Moves the clock to `time`, firing every timer due on the way, in order.
            #[inline]
            pub fn advance_to(&mut self, time: i64) {
                #playback_time_at_time
                __ef::advance_to(self, time)
            }

            /// Advances the clock to the wall-clock time (outside playback).
            pub fn tick(&mut self) {
                if !self.__playback {
                    self.advance_to(__ef::now_ms());
                }
            }

            /// When the next timer is due, if any.
            pub fn next_due(&self) -> Option<i64> {
                __ef::Timers::next_timer(self).map(|(due, _, _)| due)
            }

            /// The app's state (every window, aggregate and rate limiter, and the clock) as
            /// bytes.
            pub fn snapshot(&self) -> Result<Vec<u8>, __ef::StateError> {
                let queries: Vec<Vec<u8>> = vec![#(self.#free_fields.snapshot()?),*];
                let partitions: Vec<Vec<u8>> = vec![#(#partition_snapshots),*];
                let triggers: Vec<Option<i64>> = vec![#(self.#trigger_next),*];
                let tables: Vec<Vec<u8>> = vec![#(self.#table_fields.snapshot()?),*];
                let windows: Vec<Vec<u8>> = vec![#(__ef::Window::snapshot(&self.#window_fields)?),*];
                let aggregations: Vec<Vec<u8>> = vec![#(self.#agg_fields.snapshot()?),*];
                __ef::state::encode(&(Self::FINGERPRINT, self.__clock, queries, triggers, (tables, windows, partitions, aggregations)))
            }

            /// Replaces the app's state with a snapshot taken by this same app.
            pub fn restore(&mut self, bytes: &[u8]) -> Result<(), __ef::StateError> {
                let (fingerprint, clock, queries, triggers, (tables, windows, partitions, aggregations)): (
                    u64,
                    i64,
                    Vec<Vec<u8>>,
                    Vec<Option<i64>>,
                    (Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<Vec<u8>>),
                ) = __ef::state::decode(bytes)?;
                if fingerprint != Self::FINGERPRINT {
                    return Err(__ef::StateError::Mismatch(
                        "the snapshot was taken by a different app".into(),
                    ));
                }
                let mut queries = queries.into_iter();
                #(
                    let bytes = queries.next().ok_or_else(|| {
                        __ef::StateError::Mismatch("the snapshot has fewer queries than the app".into())
                    })?;
                    self.#free_fields.restore(&bytes)?;
                )*
                if triggers.len() != #trigger_count {
                    return Err(__ef::StateError::Mismatch("the snapshot's triggers differ from the app's".into()));
                }
                let mut triggers = triggers.into_iter();
                #(self.#trigger_next = triggers.next().flatten();)*
                if tables.len() != #table_count {
                    return Err(__ef::StateError::Mismatch("the snapshot's tables differ from the app's".into()));
                }
                let mut tables = tables.into_iter();
                #(self.#table_fields.restore(&tables.next().unwrap_or_default())?;)*
                #(#restore_writes)*
                if windows.len() != #window_count {
                    return Err(__ef::StateError::Mismatch("the snapshot's windows differ from the app's".into()));
                }
                let mut windows = windows.into_iter();
                #(__ef::Window::restore(&mut self.#window_fields, &windows.next().unwrap_or_default())?;)*
                if aggregations.len() != #agg_count {
                    return Err(__ef::StateError::Mismatch("the snapshot's aggregations differ from the app's".into()));
                }
                let mut aggregations = aggregations.into_iter();
                #(self.#agg_fields.restore(&aggregations.next().unwrap_or_default())?;)*
                if partitions.len() != #partition_count {
                    return Err(__ef::StateError::Mismatch("the snapshot's partitions differ from the app's".into()));
                }
                let mut partitions = partitions.into_iter();
                #(
                    let bytes = partitions.next().unwrap_or_default();
                    #partition_restores
                )*
                self.__clock = clock;
                Ok(())
            }

            #(#stream_methods)*
            #(#agg_methods)*
            #(#window_methods)*
            #(#partition_methods)*
            #(#query_methods)*
        }

        #[doc(hidden)]
        #[derive(Clone, Debug)]
        #[allow(non_camel_case_types, dead_code)]
        pub enum __Timer {
            Fixed(usize),
            #(#partition_variants)*
        }

        /// A timer while timers are compared: partition keys borrowed, copied only for the
        /// one that fires.
        #[doc(hidden)]
        #[derive(Clone, Debug)]
        #[allow(non_camel_case_types, dead_code)]
        pub enum __TimerAt<'a> {
            Fixed(usize),
            #(#partition_at_variants)*
            #[doc(hidden)]
            __Unused(::std::marker::PhantomData<&'a ()>),
        }

        #[allow(clippy::all)]
        impl __TimerAt<'_> {
            fn owned(self) -> __Timer {
                match self {
                    __TimerAt::Fixed(i) => __Timer::Fixed(i),
                    #(#partition_owned_arms)*
                    __TimerAt::__Unused(_) => __Timer::Fixed(usize::MAX),
                }
            }
        }

        #[allow(clippy::all)]
        impl __ef::Timers for App {
            type Timer = __Timer;
            fn next_timer(&self) -> Option<(i64, __Timer, Option<i64>)> {
                // Straight-line offers: this runs on every event sent.
                let mut earliest = __ef::Earliest::default();
                #(earliest.offer(self.#trigger_next, __TimerAt::Fixed(#trigger_index));)*
                #(earliest.offer(__ef::Window::next_due(&self.#window_fields), __TimerAt::Fixed(#window_index));)*
                #(earliest.offer(self.#free_fields.next_due(), __TimerAt::Fixed(#timer_index));)*
                #(#partition_timers)*
                earliest.finish().map(|(due, timer, next)| (due, timer.owned(), next))
            }
            fn fire(&mut self, timer: __Timer, due: i64, horizon: i64) {
                let timer = match timer {
                    __Timer::Fixed(i) => i,
                    #(#partition_fire)*
                };
                match timer {
                    #(#trigger_index => {
                        #trigger_fire
                    })*
                    #(#window_index => {
                        let mut out = Vec::new();
                        __ef::Window::on_time(&mut self.#window_fields, due, &mut out);
                        self.#window_emits(out);
                        __ef::Window::skip_idle(&mut self.#window_fields, horizon);
                    })*
                    #(#timer_index => {
                        self.#on_time(due);
                        self.#free_fields.skip_idle(horizon);
                    })*
                    _ => {}
                }
            }
            fn clock_mut(&mut self) -> &mut i64 {
                &mut self.__clock
            }
        }

        #[allow(clippy::all)]
        impl __ef::Engine for App {
            fn schema(&self, name: &str) -> Option<Vec<(String, __ef::plan::Type)>> {
                match name {
                    #(#schema_arms)*
                    _ => None,
                }
            }
            fn set_playback(&mut self, playback: bool) {
                App::set_playback(self, playback)
            }
            fn clock(&self) -> i64 {
                self.__clock
            }
            fn subscribe_values(
                &mut self,
                stream: &str,
                mut callback: Box<dyn FnMut(&__ef::Output) + Send>,
            ) {
                match stream {
                    #(#subscribe_arms)*
                    _ => {}
                }
            }
            fn send_values(
                &mut self,
                stream: &str,
                timestamp: Option<i64>,
                values: Vec<__ef::Value>,
            ) -> Result<(), __ef::SendError> {
                match stream {
                    #(#send_arms)*
                    _ => Err(__ef::SendError::UnknownStream(stream.to_string())),
                }
            }
            fn advance(&mut self, time: i64) {
                self.advance_to(time)
            }
            fn snapshot_state(&self) -> Result<Vec<u8>, __ef::StateError> {
                self.snapshot()
            }
            fn restore_state(&mut self, bytes: &[u8]) -> Result<(), __ef::StateError> {
                self.restore(bytes)
            }
        }
    })
}
