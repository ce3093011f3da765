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
//! The plan is the one contract between this front-end and both back-ends (the interpreter in
//! `eventflux-runtime` and the Rust emitter behind the `emit` feature).

#![warn(missing_docs)]

pub mod ast;
pub mod diagnostic;
pub mod lexer;
pub mod parser;
pub mod span;
pub mod substitute;

pub use diagnostic::{CompileErrors, Diagnostic};

/// Parses `src` into an AST, substituting `${VAR}` from the process environment.
pub fn parse(file_name: &str, src: &str) -> Result<ast::App, CompileErrors> {
    let errors = |diagnostics| CompileErrors {
        file_name: file_name.to_string(),
        text: src.to_string(),
        diagnostics,
    };
    let (text, map) = substitute::substitute(src, |v| std::env::var(v).ok()).map_err(errors)?;
    parser::parse_app(&text).map_err(|ds| {
        errors(
            ds.into_iter()
                .map(|mut d| {
                    d.span = map.to_original(d.span);
                    d
                })
                .collect(),
        )
    })
}
