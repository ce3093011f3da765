//! What `eventflux!` expands to, for its three forms: tokens (`eventflux! { ... }`), a string
//! (`eventflux!(r#"..."#)`) and a file (`eventflux!(file = "apps/x.eventflux")`, relative to
//! the crate root and tracked by Cargo). The macro crate only forwards here.
//!
//! On errors the expansion is every error as a `compile_error!` (on the offending tokens in the
//! token form; with `file:line:col` in the text otherwise) plus a stub module with an empty
//! `App`, so that no cascade of follow-on errors appears.

use super::{emit_app, module_name};
use crate::diagnostic::CompileErrors;
use crate::span::Span as TextSpan;
use crate::tokens::TokenText;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

enum Form {
    Tokens(TokenText),
    Text {
        label: String,
        text: String,
        span: Span,
        track: Option<String>,
    },
}

/// Expands the input of `eventflux!`.
pub fn expand(input: TokenStream) -> TokenStream {
    let form = match read_form(input) {
        Ok(form) => form,
        Err(error) => return error,
    };
    let (label, text) = match &form {
        Form::Tokens(t) => ("eventflux! { .. }".to_string(), t.text.clone()),
        Form::Text { label, text, .. } => (label.clone(), text.clone()),
    };
    let track = match &form {
        Form::Text {
            track: Some(path), ..
        } => quote!(
            const _: &str = include_str!(#path);
        ),
        _ => quote!(),
    };
    let result = crate::check_app(&label, &text).and_then(|plan| {
        emit_app(&plan)
            .map(|items| (plan.config.name.clone(), items))
            .map_err(|errors| super::unsupported_errors(&label, &text, errors))
    });
    match result {
        Ok((name, items)) => {
            let module = super::names::ident(&module_name(&name));
            quote! {
                pub mod #module {
                    #![allow(clippy::all)]
                    #track
                    #items
                }
            }
        }
        Err(errors) => {
            let reports = report(&form, &errors);
            let module = super::names::ident(&module_name(&app_name(&text)));
            quote! {
                #(#reports)*
                pub mod #module {
                    #track
                    /// The app did not compile: see the errors above.
                    pub struct App;
                    impl App {
                        /// The app did not compile.
                        pub fn new() -> Self {
                            App
                        }
                    }
                }
            }
        }
    }
}

/// The `@app:name` of an app whose text may not parse (`EventFluxApp` when absent).
fn app_name(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    lower
        .find("@app:name")
        .and_then(|at| {
            let rest = &text[at + "@app:name".len()..];
            let open = rest.find(['"', '\''])?;
            let quote = rest[open..].chars().next()?;
            let body = &rest[open + 1..];
            body.find(quote).map(|end| body[..end].to_string())
        })
        .unwrap_or_else(|| "EventFluxApp".to_string())
}

fn report(form: &Form, errors: &CompileErrors) -> Vec<TokenStream> {
    match form {
        Form::Tokens(tokens) => errors
            .diagnostics
            .iter()
            .map(|d| {
                let TextSpan { start, end } = d.span;
                let span = tokens.span(start..end);
                let message = match &d.hint {
                    Some(hint) => format!("{}; {hint}", d.message),
                    None => d.message.clone(),
                };
                quote_spanned!(span=> compile_error!(#message);)
            })
            .collect(),
        Form::Text { span, .. } => errors
            .one_line_each()
            .into_iter()
            .map(|line| quote_spanned!(*span=> compile_error!(#line);))
            .collect(),
    }
}

fn error(span: Span, message: &str) -> TokenStream {
    quote_spanned!(span=> compile_error!(#message);)
}

fn read_form(input: TokenStream) -> Result<Form, TokenStream> {
    let trees: Vec<TokenTree> = input.clone().into_iter().collect();
    match trees.as_slice() {
        [TokenTree::Literal(lit)]
            if lit.to_string().ends_with('"') || lit.to_string().ends_with('#') =>
        {
            let text = string_value(lit).ok_or_else(|| {
                error(
                    lit.span(),
                    "eventflux!: expected an app as a string literal",
                )
            })?;
            Ok(Form::Text {
                label: "eventflux!(\"..\")".into(),
                text,
                span: lit.span(),
                track: None,
            })
        }
        [
            TokenTree::Ident(key),
            TokenTree::Punct(eq),
            TokenTree::Literal(lit),
        ] if key == "file" && eq.as_char() == '=' => {
            let relative = string_value(lit).ok_or_else(|| {
                error(
                    lit.span(),
                    "eventflux!: `file = ` takes a path as a string literal",
                )
            })?;
            let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
            let path = std::path::Path::new(&root).join(&relative);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                error(
                    lit.span(),
                    &format!("eventflux!: cannot read {}: {e}", path.display()),
                )
            })?;
            Ok(Form::Text {
                label: relative,
                text,
                span: lit.span(),
                track: Some(path.display().to_string()),
            })
        }
        _ => Ok(Form::Tokens(TokenText::new(input))),
    }
}

/// The value of a string literal token (plain or raw), or `None` for other literals.
fn string_value(lit: &proc_macro2::Literal) -> Option<String> {
    let tokens: TokenStream = TokenTree::Literal(lit.clone()).into();
    syn::parse2::<syn::LitStr>(tokens).ok().map(|s| s.value())
}
