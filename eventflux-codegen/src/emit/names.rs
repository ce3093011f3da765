//! Rust names for EventFluxQL names: struct and field identifiers (raw where a name is a Rust
//! keyword), method names in snake case, and the module name of an app.

use heck::ToSnakeCase;
use proc_macro2::{Ident, Span};

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
    "abstract", "become", "box", "do", "final", "gen", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// Rust names generated code uses unqualified: a stream named so would shadow them.
pub const SHADOWING: &[&str] = &[
    "App",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "Default",
    "Into",
    "IntoIterator",
    "FnMut",
    "Fn",
    "Send",
    "Sync",
    "Clone",
    "Iterator",
];

/// Names that cannot even be raw identifiers.
const RESERVED: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Whether `c` may continue a Rust identifier (letters and digits of any script that Rust
/// accepts; `²` and the like are not).
fn identifier_char(c: char) -> bool {
    c == '_'
        || c.is_ascii_alphanumeric()
        || (c.is_alphanumeric() && syn::parse_str::<syn::Ident>(&format!("a{c}")).is_ok())
}

/// An identifier for `name` as written (raw when it is a keyword; `name_` when it cannot be).
pub fn ident(name: &str) -> Ident {
    let clean: String = name
        .chars()
        .map(|c| if identifier_char(c) { c } else { '_' })
        .collect();
    let starts = |c: char| {
        c == '_'
            || c.is_ascii_alphabetic()
            || (c.is_alphabetic() && syn::parse_str::<syn::Ident>(&c.to_string()).is_ok())
    };
    let clean = if !clean.starts_with(starts) {
        format!("_{clean}")
    } else {
        clean
    };
    if RESERVED.contains(&clean.as_str()) {
        Ident::new(&format!("{clean}_"), Span::call_site())
    } else if RUST_KEYWORDS.contains(&clean.as_str()) {
        Ident::new_raw(&clean, Span::call_site())
    } else {
        Ident::new(&clean, Span::call_site())
    }
}

/// `prefix_name_in_snake_case` as an identifier (method names).
pub fn method(prefix: &str, name: &str) -> Ident {
    ident(&format!("{prefix}_{}", name.to_snake_case()))
}

/// A generated private identifier: `__prefix` followed by an index.
pub fn private(prefix: &str, index: usize) -> Ident {
    Ident::new(&format!("__{prefix}{index}"), Span::call_site())
}

/// The module name for an app called `name` (`@app:name`), in snake case.
pub fn module_name(name: &str) -> String {
    let snake = name.to_snake_case();
    ident(if snake.is_empty() { "app" } else { &snake }).to_string()
}

/// The `App` method that delivers a chunk of `stream`'s events to its readers.
pub fn deliver(stream: &str) -> Ident {
    ident(&format!("__deliver_{}", stream.to_snake_case()))
}

/// The `App` method that delivers one event of `stream` to its readers (straight to each
/// reader's one-event method when every reader has one, as a chunk of one otherwise).
pub fn deliver_one(stream: &str) -> Ident {
    ident(&format!("__deliver1_{}", stream.to_snake_case()))
}

/// The `App` method that delivers one event of `stream` when a stream callback must see it or
/// a cycle must be caught (kept out of the usual one-event path).
pub fn deliver_one_observed(stream: &str) -> Ident {
    ident(&format!("__observe1_{}", stream.to_snake_case()))
}

/// The `App` method that takes rows inserted into named window `index`.
pub fn window_insert(index: usize) -> Ident {
    Ident::new(&format!("__window{index}_insert"), Span::call_site())
}

/// The `App` method that sends what named window `index` emits to its readers.
pub fn window_emit(index: usize) -> Ident {
    Ident::new(&format!("__window{index}_emit"), Span::call_site())
}

/// The `App` method that delivers rows of inner stream `#name` within partition `partition`'s
/// active instance.
pub fn inner_deliver(partition: usize, name: &str) -> Ident {
    ident(&format!("__p{partition}_inner_{}", name.to_snake_case()))
}

/// The `App` field holding the callbacks of `return` query `index`.
pub fn return_callbacks(index: usize) -> Ident {
    Ident::new(&format!("__on_return{index}"), Span::call_site())
}

/// The name a stream's struct and methods are made from: the stream's own name (without the
/// `#` of an inner stream), or `XFault` for the fault stream `!X`.
pub fn stream_rust_name(name: &str) -> String {
    match name.strip_prefix('!') {
        Some(of) => format!("{of}Fault"),
        None => name.trim_start_matches('#').to_string(),
    }
}

/// The name of the struct of inner stream `#name` of partition `partition`: private to the
/// generated code (inner streams have no callbacks or sends), and distinct from a stream of the
/// same name outside the partition or in another partition.
pub fn inner_struct(partition: usize, name: &str) -> Ident {
    ident(&format!("__Inner{partition}_{name}"))
}

/// The `App` field holding the buckets of incremental aggregation `index`.
pub fn aggregation_field(index: usize) -> Ident {
    Ident::new(&format!("__agg{index}"), Span::call_site())
}

/// The `App` method taking the events of aggregation `index`'s stream.
pub fn aggregation_add(index: usize) -> Ident {
    Ident::new(&format!("__agg{index}_add"), Span::call_site())
}

/// The function making a row of aggregation `index` from one of its buckets.
pub fn aggregation_row(index: usize) -> Ident {
    Ident::new(&format!("__agg{index}_row"), Span::call_site())
}
