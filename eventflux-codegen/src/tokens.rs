//! The token form of an app (`eventflux! { ... }`) turned back into EventFluxQL text, with a map
//! from byte ranges of that text to the tokens they came from.
//!
//! Stable Rust cannot point a compile error inside a string literal, but it can point at a token:
//! the macro parses and checks the text, then maps each error's byte range to the first token it
//! covers, so `rustc`'s error lands on the user's tokens. Rust's tokenizer shapes this form:
//! comments are Rust comments (`//`), strings take double quotes, brackets balance.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use std::ops::Range;

/// App text rebuilt from tokens, with where each piece came from.
pub struct TokenText {
    /// The EventFluxQL text.
    pub text: String,
    /// Each token's byte range in `text` and its span, in order.
    pieces: Vec<(Range<usize>, Span)>,
    /// Whether the next piece must be separated from the previous one by a space.
    space: bool,
}

impl TokenText {
    /// Rebuilds the text of `tokens`.
    pub fn new(tokens: TokenStream) -> Self {
        let mut t = TokenText {
            text: String::new(),
            pieces: Vec::new(),
            space: false,
        };
        t.walk(tokens);
        t
    }

    fn push(&mut self, text: &str, span: Span, space_after: bool) {
        if self.space && !text.is_empty() {
            self.text.push(' ');
        }
        let start = self.text.len();
        self.text.push_str(text);
        if !text.is_empty() {
            self.pieces.push((start..self.text.len(), span));
        }
        self.space = space_after;
    }

    fn walk(&mut self, tokens: TokenStream) {
        for tt in tokens {
            match tt {
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::None => ("", ""),
                    };
                    self.push(open, g.span_open(), false);
                    self.walk(g.stream());
                    self.space = false;
                    self.push(close, g.span_close(), true);
                }
                TokenTree::Ident(i) => {
                    let name = i.to_string();
                    let name = name.strip_prefix("r#").unwrap_or(&name).to_string();
                    self.push(&name, i.span(), true);
                }
                TokenTree::Punct(p) => {
                    let joint = p.spacing() == proc_macro2::Spacing::Joint || p.as_char() == '$';
                    self.push(&p.as_char().to_string(), p.span(), !joint);
                    if joint {
                        self.space = false;
                    }
                }
                TokenTree::Literal(l) => self.push(&l.to_string(), l.span(), true),
            }
        }
    }

    /// The positions (in token order) of the first and last tokens overlapping `range`; an
    /// empty range (an error at the end of the text) maps to the last token.
    pub fn token_positions(&self, range: Range<usize>) -> Option<(usize, usize)> {
        if self.pieces.is_empty() {
            return None;
        }
        if range.start >= self.text.len() {
            let last = self.pieces.len() - 1;
            return Some((last, last));
        }
        let overlaps =
            |r: &Range<usize>| r.start < range.end.max(range.start + 1) && range.start < r.end;
        let first = self.pieces.iter().position(|(r, _)| overlaps(r))?;
        let last = self
            .pieces
            .iter()
            .rposition(|(r, _)| overlaps(r))
            .unwrap_or(first);
        Some((first, last))
    }

    /// The span to report an error at byte range `range` on: its first token's (or the call
    /// site when there are no tokens).
    pub fn span(&self, range: Range<usize>) -> Span {
        self.token_positions(range)
            .and_then(|(first, _)| self.pieces.get(first))
            .map_or_else(Span::call_site, |(_, span)| *span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(src: &str) -> TokenText {
        TokenText::new(src.parse().expect("valid tokens"))
    }

    #[test]
    fn operators_made_of_joint_punctuation_stay_together() {
        let t =
            text("from S[price >= 1.5 and a != b] -> e2=T select sym, 100L as n insert into Out;");
        assert_eq!(
            t.text,
            "from S [price >= 1.5 and a != b] -> e2 = T select sym , 100L as n insert into Out ;"
        );
        assert!(crate::parser::parse_app(&t.text).is_ok(), "{}", t.text);
    }

    #[test]
    fn a_whole_app_in_token_form_checks() {
        let t = text(
            r#"@app:name("Trading")
               define stream Trades (sym string, price double, vol long);
               from Trades[price > 50.0]#window.length(100)
               select sym, avg(price) as ap group by sym insert into Averages;"#,
        );
        let plan = crate::check_app("tokens", &t.text).expect("the app checks");
        assert_eq!(plan.config.name, "Trading");
    }

    #[test]
    fn error_ranges_map_back_to_their_tokens() {
        let t = text(
            "define stream S (price double); from S[pricee > 1.0] select price insert into O;",
        );
        let err = crate::check_app("tokens", &t.text).unwrap_err();
        let d = &err.diagnostics[0];
        let (first, last) = t.token_positions(d.span.start..d.span.end).expect("mapped");
        assert_eq!((first, last), (first, first), "one token");
        assert_eq!(&t.text[t.pieces[first].0.clone()], "pricee");
        assert_eq!(
            t.token_positions(t.text.len()..t.text.len()),
            Some((t.pieces.len() - 1, t.pieces.len() - 1))
        );
    }
}
