//! The Rust emitter: a checked [`Plan`] becomes Rust source that instantiates the runtime's
//! generic operators with generated structs and inlined expressions.
//!
//! What one app becomes (see `tests/snapshots` for a whole example):
//! - one struct per stream, its attributes `Option<T>` fields (`None` is null);
//! - per query, a [`SelectLogic`](../../eventflux_runtime/select/trait.SelectLogic.html)
//!   implementation whose expressions are plain Rust over those structs, and a struct holding
//!   the query's windows, selector and rate limiter (concrete types, no `dyn`);
//! - an `App` with typed `send_*` methods and `on_*` callbacks, the clock and timers, and
//!   snapshot/restore, delivering events depth first as the interpreter does; it also
//!   implements `eventflux_runtime::Engine`, so tools can drive it through values.
//!
//! Generated code names the runtime only through `::eventflux_runtime::__private`.
//!
//! Entry points: [`emit_app`] (tokens, for the macro), [`emit_source`] (formatted source, for
//! build.rs) and [`Builder`] (every `.eventflux` file of a folder into `OUT_DIR`).

mod aggregation;
mod app;
mod builder;
mod clashes;
mod expand;
mod expr;
mod names;
mod partition;
mod query;
mod table;

pub use builder::{BuildError, Builder, compile_text, unsupported_errors};
pub use expand::expand;
pub use names::module_name;

use crate::plan::Plan;
use crate::span::Span;
use proc_macro2::TokenStream;

/// A part of a valid app that the compiled path cannot emit yet: what it is and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Unsupported {
    /// What is missing, e.g. "joins".
    pub feature: String,
    /// Where it is used (the query or definition).
    pub span: Span,
}

impl Unsupported {
    fn new(feature: impl Into<String>, span: Span) -> Self {
        Unsupported {
            feature: feature.into(),
            span,
        }
    }
}

/// The items of a compiled app (no enclosing module): structs, queries and `App`.
pub fn emit_app(plan: &Plan) -> Result<TokenStream, Vec<Unsupported>> {
    app::emit(plan)
}

/// The items of a compiled app as formatted Rust source.
pub fn emit_source(plan: &Plan) -> Result<String, Vec<Unsupported>> {
    emit_app(plan).map(|tokens| format_tokens(&tokens))
}

/// Rust tokens as formatted source (as they are when they do not parse as a file).
pub fn format_tokens(tokens: &TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}
