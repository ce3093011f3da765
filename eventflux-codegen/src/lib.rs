//! The EventFluxQL compiler.
//!
//! Text goes in; a checked, typed [`plan::Plan`] comes out, or every error found, each with its
//! place in the text. The stages, each in its own module:
//!
//! 1. [`substitute`]: `${VAR}` substitution from the environment;
//! 2. [`lexer`]: tokens (logos);
//! 3. [`parser`]: the LALRPOP grammar, producing the [`ast`] (every node carries its span);
//! 4. [`check`]: name resolution and typing against the [`catalog`] of built-in functions,
//!    aggregators and windows, producing the [`plan`];
//! 5. [`explain`]: the plan printed for people. [`printer`] prints the AST back to EventFluxQL.
//!
//! With the `emit` feature, `tokens` rebuilds app text from the tokens of `eventflux! { ... }`
//! and maps error ranges back to the user's tokens.
//!
//! The plan is the one contract between this front-end and both back-ends (the interpreter in
//! `eventflux-runtime` and the Rust emitter behind the `emit` feature).

#![warn(missing_docs)]

pub mod ast;
pub mod catalog;
pub mod check;
pub mod diagnostic;
#[cfg(feature = "emit")]
pub mod emit;
pub mod explain;
pub mod lexer;
pub mod parser;
pub mod plan;
pub mod printer;
pub mod span;
pub mod substitute;
#[cfg(feature = "emit")]
pub mod tokens;

pub use diagnostic::{CompileErrors, Diagnostic};

/// Parses `src` into an AST, substituting `${VAR}` from the process environment.
pub fn parse(file_name: &str, src: &str) -> Result<ast::App, CompileErrors> {
    front_end(file_name, src, |_| Ok(())).map(|(app, ())| app)
}

/// Parses and checks `src` (substituting `${VAR}` from the process environment): the plan, or
/// every error found.
pub fn check_app(file_name: &str, src: &str) -> Result<plan::Plan, CompileErrors> {
    front_end(file_name, src, check::check).map(|(_, plan)| plan)
}

fn front_end<T>(
    file_name: &str,
    src: &str,
    then: impl FnOnce(&ast::App) -> Result<T, Vec<Diagnostic>>,
) -> Result<(ast::App, T), CompileErrors> {
    let errors = |diagnostics| CompileErrors {
        file_name: file_name.to_string(),
        text: src.to_string(),
        diagnostics,
    };
    let (text, map) = substitute::substitute(src, |v| std::env::var(v).ok()).map_err(errors)?;
    let remap = |ds: Vec<Diagnostic>| {
        errors(
            ds.into_iter()
                .map(|mut d| {
                    d.span = map.to_original(d.span);
                    for (span, _) in &mut d.notes {
                        *span = map.to_original(*span);
                    }
                    d
                })
                .collect(),
        )
    };
    let app = parser::parse_app(&text).map_err(remap)?;
    let result = then(&app).map_err(remap)?;
    Ok((app, result))
}
