//! Text to [`ast::App`]: `${VAR}` substitution, lexing, the LALRPOP parser, and syntax errors.

use crate::ast::{self, App, Element, Expr, ExprKind, StateElement, StateSeparator};
use crate::diagnostic::Diagnostic;
use crate::lexer::{LexError, Lexer, Token};
use crate::span::Span;
use lalrpop_util::ParseError;

#[allow(
    clippy::all,
    missing_docs,
    unused,
    unused_qualifications,
    unused_parens
)]
mod generated {
    lalrpop_util::lalrpop_mod!(pub grammar);
}

/// An error raised inside the grammar: a lexing error or a check done by a grammar action.
#[derive(Clone, Debug)]
pub enum GrammarError {
    /// The lexer could not read a token.
    Lex(LexError),
    /// A grammar action rejected what it read.
    Custom {
        /// The message (starts with "syntax error").
        message: String,
        /// Where.
        span: Span,
    },
}

/// A [`ParseError`] carrying a custom message at `l..r` (used by fallible grammar actions).
pub fn custom(l: usize, r: usize, message: String) -> ParseError<usize, Token, GrammarError> {
    ParseError::User {
        error: GrammarError::Custom {
            message,
            span: Span::new(l, r),
        },
    }
}

/// A binary expression spanning both operands.
pub fn binary(op: ast::BinaryOp, a: Expr, b: Expr) -> Expr {
    let span = a.span.to(b.span);
    Expr {
        kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
        span,
    }
}

/// The first `->` or `,` in a state element tree (decides pattern or sequence).
pub fn first_separator(element: &StateElement) -> Option<StateSeparator> {
    match element {
        StateElement::Next(a, sep, _) => first_separator(a).or(Some(*sep)),
        StateElement::Every(inner, _) | StateElement::Group(inner, _) => first_separator(inner),
        StateElement::Logical(a, _, b) => first_separator(a).or_else(|| first_separator(b)),
        StateElement::Stream { .. } | StateElement::Absent { .. } => None,
    }
}

/// Builds the app from its elements: moves `@app:...` annotations to the app, and rejects a
/// definition written after a query or partition (as SiddhiQL does).
pub fn assemble_app(
    mut elements: Vec<Element>,
) -> Result<App, ParseError<usize, Token, GrammarError>> {
    let mut annotations = Vec::new();
    let mut seen_query = false;
    for element in &mut elements {
        let list = match element {
            Element::Definition(d) => {
                if seen_query {
                    return Err(custom(
                        d.span.start,
                        d.span.end,
                        "syntax error: definitions must come before queries and partitions".into(),
                    ));
                }
                &mut d.annotations
            }
            Element::Query(q) => {
                seen_query = true;
                &mut q.annotations
            }
            Element::Partition(p) => {
                seen_query = true;
                &mut p.annotations
            }
        };
        let (app, own): (Vec<_>, Vec<_>) = std::mem::take(list).into_iter().partition(|a| {
            a.namespace
                .as_ref()
                .is_some_and(|ns| ns.name.eq_ignore_ascii_case("app"))
        });
        *list = own;
        annotations.extend(app);
    }
    Ok(App {
        annotations,
        elements,
    })
}

/// Parses `src` (already substituted) into an AST, or returns every lexing error, or the
/// first syntax error.
pub fn parse_app(src: &str) -> Result<App, Vec<Diagnostic>> {
    let lex_errors: Vec<Diagnostic> = Lexer::new(src)
        .filter_map(|t| t.err())
        .map(|e| lex_diagnostic(&e))
        .collect();
    if !lex_errors.is_empty() {
        return Err(lex_errors);
    }
    let tokens = Lexer::new(src).map(|t| t.map_err(GrammarError::Lex));
    generated::grammar::AppParser::new()
        .parse(src, tokens)
        .map_err(|e| vec![syntax_diagnostic(src, e)])
}

/// Parses one expression (the text of an `expression` window argument).
pub fn parse_expression(src: &str) -> Result<Expr, Vec<Diagnostic>> {
    let lex_errors: Vec<Diagnostic> = Lexer::new(src)
        .filter_map(|t| t.err())
        .map(|e| lex_diagnostic(&e))
        .collect();
    if !lex_errors.is_empty() {
        return Err(lex_errors);
    }
    let tokens = Lexer::new(src).map(|t| t.map_err(GrammarError::Lex));
    generated::grammar::ExpressionParser::new()
        .parse(src, tokens)
        .map_err(|e| vec![syntax_diagnostic(src, e)])
}

fn lex_diagnostic(e: &LexError) -> Diagnostic {
    Diagnostic::new(
        Span::new(e.start, e.end),
        format!("syntax error: {}", e.kind),
    )
}

fn syntax_diagnostic(src: &str, e: ParseError<usize, Token, GrammarError>) -> Diagnostic {
    match e {
        ParseError::InvalidToken { location } => Diagnostic::new(
            Span::new(location, location + 1),
            "syntax error: invalid token",
        ),
        ParseError::UnrecognizedEof { location, expected } => {
            let at = location.min(src.len());
            Diagnostic::new(
                Span::new(at, at),
                format!(
                    "syntax error: unexpected end of input, expected {}",
                    describe_expected(&expected)
                ),
            )
        }
        ParseError::UnrecognizedToken {
            token: (l, token, r),
            expected,
        } => {
            let d = Diagnostic::new(
                Span::new(l, r),
                format!(
                    "syntax error: unexpected {token}, expected {}",
                    describe_expected(&expected)
                ),
            );
            if expected.iter().any(|e| e == "\";\"") {
                d.with_hint("is a ';' missing before it?")
            } else {
                d
            }
        }
        ParseError::ExtraToken {
            token: (l, token, r),
        } => Diagnostic::new(Span::new(l, r), format!("syntax error: unexpected {token}")),
        ParseError::User {
            error: GrammarError::Lex(e),
        } => lex_diagnostic(&e),
        ParseError::User {
            error: GrammarError::Custom { message, span },
        } => Diagnostic::new(span, message),
    }
}

/// Names the expected tokens. Where a name is expected, the keywords (many of which may also
/// be names, as in SiddhiQL) are summed up by "a name".
fn describe_expected(expected: &[String]) -> String {
    let wants_name = expected.iter().any(|e| e == "\"ident\"");
    let names: Vec<String> = expected
        .iter()
        .filter(|e| {
            let e = e.trim_matches('"');
            let literal = matches!(
                e,
                "ident"
                    | "int"
                    | "long"
                    | "float"
                    | "double"
                    | "int_min"
                    | "long_min"
                    | "str"
                    | "body"
            );
            !(wants_name && !literal && e.chars().all(|c| c.is_ascii_alphabetic()))
        })
        .map(|e| {
            let e = e.trim_matches('"');
            match e {
                "ident" => "a name".to_string(),
                "unit" => "a time unit".to_string(),
                "int" | "long" | "float" | "double" | "int_min" | "long_min" => {
                    "a number".to_string()
                }
                "str" => "a string".to_string(),
                "body" => "'{'".to_string(),
                other => format!("'{other}'"),
            }
        })
        .fold(Vec::new(), |mut acc, n| {
            if !acc.contains(&n) {
                acc.push(n);
            }
            acc
        });
    match names.len() {
        0 => "nothing more".to_string(),
        1 => names[0].clone(),
        n if n <= 8 => format!("one of {}", names.join(", ")),
        _ => format!("one of {}, ...", names[..8].join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keywords the grammar also accepts as names (its `SoftKeyword` rule), as SiddhiQL does.
    const SOFT_KEYWORDS: &[&str] = &[
        "set",
        "current",
        "expired",
        "events",
        "asc",
        "desc",
        "offset",
        "first",
        "last",
        "snapshot",
        "per",
        "aggregate",
        "function",
        "trigger",
        "return",
        "of",
        "at",
        "begin",
        "end",
        "order",
        "limit",
        "window",
        "table",
        "stream",
        "aggregation",
        "define",
        "update",
        "delete",
        "full",
        "inner",
        "outer",
        "left",
        "right",
        "all",
        "group",
        "by",
        "having",
        "within",
        "output",
        "partition",
        "with",
        "for",
        "into",
        "join",
        "unidirectional",
        "insert",
        "from",
        "select",
    ];

    #[test]
    fn every_soft_keyword_names_a_stream_and_an_attribute_as_written() {
        for kw in SOFT_KEYWORDS {
            let written = format!("{}{}", kw[..1].to_uppercase(), &kw[1..]);
            let src = format!(
                "define stream {written} ({kw} int);\n\
                 from {written}[{kw} > 1] select {kw} as {kw} insert into Out;"
            );
            let app = parse_app(&src).unwrap_or_else(|e| panic!("{kw}: {e:?}"));
            let dump = format!("{app:?}");
            assert!(dump.contains(&format!("\"{written}\"")), "{kw}: {dump}");
        }
    }

    #[test]
    fn where_a_name_is_expected_the_error_does_not_list_keywords() {
        let src = "define stream S (a int);\nfrom S select a as 5 insert into O;";
        let errors = parse_app(src).expect_err("`as 5` is not a name");
        assert_eq!(
            errors[0].message,
            "syntax error: unexpected '5', expected a name"
        );
    }
}
