//! Rust names for EventFluxQL names: struct and field identifiers (raw where a name is a Rust
//! keyword), method names in snake case, and the module name of an app.
//!
//! EventFluxQL allows names that map onto one Rust identifier, onto a primitive type or onto a
//! name generated code uses itself; such names get another Rust name instead: a struct named
//! like a Rust type or a generated item takes a `_` suffix (`i64_`, `Vec_`) or a `u` prefix
//! (`u__ef`), a character Rust rejects in a struct name becomes its code point (`a$b` is
//! `a_24_b`), an attribute takes a `_` suffix until its field name is unique in its struct,
//! and a stream whose methods another stream took first gets them numbered (`send_foo_2`).

use crate::plan::Schema;
use heck::ToSnakeCase;
use proc_macro2::{Ident, Span};
use std::collections::HashSet;

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

/// Rust names a generated struct cannot take.
pub const TYPE_NAMES: &[&str] = &[
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32",
    "f64", "bool", "char", "str", "Self",
];

/// Attribute names that cannot be parameters of a struct's `new` (they are patterns).
const FIELD_NAMES: &[&str] = &["None", "Some", "Ok", "Err"];

/// Names that cannot even be raw identifiers.
const RESERVED: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Whether `c` may continue a Rust identifier (letters and digits of any script that Rust
/// accepts; `²` and the like are not).
fn identifier_char(c: char) -> bool {
    c == '_'
        || c.is_ascii_alphanumeric()
        || (c.is_alphanumeric() && syn::parse_str::<syn::Ident>(&format!("a{c}")).is_ok())
}

/// Whether `c` may start a Rust identifier (`_` and letters that Rust accepts there; a combining
/// mark is a letter but may not start one).
fn identifier_start(c: char) -> bool {
    c == '_'
        || c.is_ascii_alphabetic()
        || (c.is_alphabetic() && syn::parse_str::<syn::Ident>(&c.to_string()).is_ok())
}

/// An identifier for `name` as written (raw when it is a keyword; `name_` when it cannot be).
pub fn ident(name: &str) -> Ident {
    let clean: String = name
        .chars()
        .map(|c| if identifier_char(c) { c } else { '_' })
        .collect();
    let clean = if !clean.starts_with(identifier_start) {
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

/// An identifier spelled `bare` (raw when it is a keyword).
fn spelled(bare: &str) -> Ident {
    if RUST_KEYWORDS.contains(&bare) {
        Ident::new_raw(bare, Span::call_site())
    } else {
        Ident::new(bare, Span::call_site())
    }
}

/// The name (without `r#`) of the struct of the stream, table, window, aggregation, trigger or
/// `return` query `name`: the name itself where Rust takes it, `XFault` for the fault stream
/// `!X`, the name without `#` for an inner stream; distinct names give distinct structs except
/// for a name spelled like another one's escaped form.
pub fn type_bare(name: &str) -> String {
    if let Some(of) = name.strip_prefix('!') {
        return format!("{}Fault", type_bare(of));
    }
    let name = name.trim_start_matches('#');
    let mut bare = String::new();
    for c in name.chars() {
        if identifier_char(c) {
            bare.push(c);
        } else {
            bare.push_str(&format!("_{:x}_", c as u32));
        }
    }
    if !bare.starts_with(identifier_start) {
        bare.insert(0, '_');
    }
    if RESERVED.contains(&bare.as_str())
        || TYPE_NAMES.contains(&bare.as_str())
        || SHADOWING.contains(&bare.as_str())
    {
        bare.push('_');
    }
    if bare.starts_with("__") {
        bare.insert(0, 'u');
    }
    bare
}

/// The identifier of the struct of `name` (see [`type_bare`]).
pub fn type_name(name: &str) -> Ident {
    spelled(&type_bare(name))
}

/// The field identifiers of a struct with `schema`'s attributes, in order: each attribute's
/// identifier, with a `_` suffix where it is a pattern (`None`) and a `u` prefix where it
/// starts like a generated name (`__`), then suffixed with `_` until no earlier attribute has
/// it.
pub fn fields(schema: &Schema) -> Vec<Ident> {
    let mut taken: HashSet<String> = HashSet::new();
    schema
        .attributes
        .iter()
        .map(|a| {
            let mut bare = ident(&a.name)
                .to_string()
                .trim_start_matches("r#")
                .to_string();
            if FIELD_NAMES.contains(&bare.as_str()) {
                bare.push('_');
            }
            if bare.starts_with("__") {
                bare.insert(0, 'u');
            }
            while !taken.insert(bare.clone()) {
                bare.push('_');
            }
            spelled(&bare)
        })
        .collect()
}

/// The field identifier of attribute `position` of `schema` (see [`fields`]).
pub fn field(schema: &Schema, position: usize) -> Option<Ident> {
    fields(schema).into_iter().nth(position)
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
    ident(&format!("__deliver_{}", type_bare(stream)))
}

/// The `App` method that delivers one event of `stream` to its readers (straight to each
/// reader's one-event method when every reader has one, as a chunk of one otherwise).
pub fn deliver_one(stream: &str) -> Ident {
    ident(&format!("__deliver1_{}", type_bare(stream)))
}

/// The `App` method that delivers one event of `stream` when a stream callback must see it or
/// a cycle must be caught (kept out of the usual one-event path).
pub fn deliver_one_observed(stream: &str) -> Ident {
    ident(&format!("__observe1_{}", type_bare(stream)))
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
    ident(&format!("__p{partition}_inner_{}", type_bare(name)))
}

/// The `App` field holding the callbacks of `return` query `index`.
pub fn return_callbacks(index: usize) -> Ident {
    Ident::new(&format!("__on_return{index}"), Span::call_site())
}

/// The base of the public methods of an app's streams and `return` queries (`send_<base>`,
/// `send_<base>_at`, `send_<base>_all`, `on_<base>`, `on_<base>_event`): the name in snake
/// case, numbered (`foo_2`) where a stream or query before it took one of those methods.
#[derive(Default)]
pub struct MethodBases {
    taken: HashSet<String>,
    streams: Vec<(String, String)>,
    returns: Vec<(String, String)>,
}

impl MethodBases {
    /// Gives stream (or trigger) `name` its base: it has sends and callbacks.
    pub fn add_stream(&mut self, name: &str) {
        let base = self.take(name, true);
        self.streams.push((name.to_string(), base));
    }

    /// Gives `return` query `name` its base: it has callbacks only.
    pub fn add_return(&mut self, name: &str) {
        let base = self.take(name, false);
        self.returns.push((name.to_string(), base));
    }

    /// The methods of base `base`.
    fn methods(base: &str, sends: bool) -> Vec<String> {
        let mut own = Vec::new();
        if sends {
            for suffix in ["", "_at", "_all"] {
                own.push(format!("send_{base}{suffix}"));
            }
        }
        own.push(format!("on_{base}"));
        own.push(format!("on_{base}_event"));
        own
    }

    fn take(&mut self, name: &str, sends: bool) -> String {
        let snake = match name.strip_prefix('!') {
            Some(of) => format!("{of}Fault"),
            None => name.to_string(),
        }
        .to_snake_case();
        let mut base = snake.clone();
        let mut n = 1;
        while Self::methods(&base, sends)
            .iter()
            .any(|m| self.taken.contains(m))
        {
            n += 1;
            base = format!("{snake}_{n}");
        }
        self.taken.extend(Self::methods(&base, sends));
        base
    }

    /// The base of stream (or trigger) `name`.
    pub fn stream<'a>(&'a self, name: &'a str) -> &'a str {
        Self::find(&self.streams, name)
    }

    /// The base of `return` query `name`.
    pub fn return_query<'a>(&'a self, name: &'a str) -> &'a str {
        Self::find(&self.returns, name)
    }

    fn find<'a>(bases: &'a [(String, String)], name: &'a str) -> &'a str {
        bases
            .iter()
            .find(|(n, _)| n == name)
            .map_or(name, |(_, base)| base.as_str())
    }
}

/// The name of the struct of inner stream `#name` of partition `partition`: private to the
/// generated code (inner streams have no callbacks or sends), and distinct from a stream of the
/// same name outside the partition or in another partition.
pub fn inner_struct(partition: usize, name: &str) -> Ident {
    ident(&format!("__Inner{partition}_{}", type_bare(name)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Type;

    #[test]
    fn struct_names_that_rust_rejects_get_another_name() {
        assert_eq!(type_bare("Trades"), "Trades");
        assert_eq!(type_bare("i64"), "i64_");
        assert_eq!(type_bare("Vec"), "Vec_");
        assert_eq!(type_bare("self"), "self_");
        assert_eq!(type_bare("__ef"), "u__ef");
        assert_eq!(type_bare("my stream"), "my_20_stream");
        assert_eq!(type_bare("my_stream"), "my_stream");
        assert_eq!(type_bare("1x"), "_1x");
        assert_eq!(type_bare("!S"), "SFault");
        assert_eq!(type_bare("#inner"), "inner");
        assert_eq!(type_name("type").to_string(), "r#type");
    }

    #[test]
    fn every_name_gets_a_valid_identifier() {
        let names = [
            "", "_", "__", "\u{345}x", "9", "é", "x\u{345}", "ß", "日本", "a b", "😀", "r#x", "$",
            "Self", "crate", "super", "type", "#", "!", "!!x",
        ];
        for name in names {
            let ty = type_name(name).to_string();
            assert!(
                syn::parse_str::<syn::Ident>(&ty).is_ok(),
                "{name:?} -> {ty}"
            );
            let schema =
                Schema::new([(name.to_string(), Type::Int), (name.to_string(), Type::Int)]);
            let fields = fields(&schema);
            assert_ne!(fields[0], fields[1], "{name:?}");
            for f in fields {
                assert!(
                    syn::parse_str::<syn::Ident>(&f.to_string()).is_ok(),
                    "{name:?} -> {f}"
                );
            }
        }
    }

    #[test]
    fn fields_are_unique_within_their_struct() {
        let schema = Schema::new(
            ["self", "self_", "None", "__ts", "type"]
                .iter()
                .map(|n| (n.to_string(), Type::Int)),
        );
        let names: Vec<String> = fields(&schema).iter().map(|f| f.to_string()).collect();
        assert_eq!(names, ["self_", "self__", "None_", "u__ts", "r#type"]);
        assert_eq!(
            field(&schema, 1).map(|f| f.to_string()),
            Some("self__".into())
        );
    }

    #[test]
    fn methods_taken_by_an_earlier_stream_are_numbered() {
        let mut bases = MethodBases::default();
        for name in ["foo", "Foo", "FooAt", "foo_bar", "FooBar", "!S"] {
            bases.add_stream(name);
        }
        bases.add_return("foo");
        assert_eq!(bases.stream("foo"), "foo");
        assert_eq!(bases.stream("Foo"), "foo_2");
        assert_eq!(bases.stream("FooAt"), "foo_at_2");
        assert_eq!(bases.stream("foo_bar"), "foo_bar");
        assert_eq!(bases.stream("FooBar"), "foo_bar_2");
        assert_eq!(bases.stream("!S"), "s_fault");
        assert_eq!(bases.return_query("foo"), "foo_3");
    }
}
