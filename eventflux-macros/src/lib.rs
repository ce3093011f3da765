//! The `eventflux!` procedural macro: a thin shell over `eventflux_codegen::emit::expand`, where
//! all compilation lives. Use it through `eventflux_runtime::eventflux!`.

use proc_macro::TokenStream;

/// Compiles an EventFluxQL app into a Rust module with typed structs and an `App`.
///
/// Three forms: `eventflux! { define stream S (...); ... }` (errors point at the tokens),
/// `eventflux!(r#"..."#)` and `eventflux!(file = "apps/x.eventflux")` (relative to the crate
/// root; edits rebuild).
#[proc_macro]
pub fn eventflux(input: TokenStream) -> TokenStream {
    eventflux_codegen::emit::expand(input.into()).into()
}
