//! The EventFluxQL lexer (logos), and the token stream the LALRPOP grammar reads.
//!
//! Keywords are case-insensitive, as in SiddhiQL. Time unit words (`sec`, `min`, ...) are tokens
//! of their own so that `2 min` is a time value while `min(price)` stays a function call: the
//! grammar accepts a unit word wherever it accepts a name. Identifiers may be written in
//! backquotes to use a keyword as a name. Strings take single, double or triple double quotes,
//! so the same text works inside `eventflux!{}` where Rust forbids single-quoted strings.

use crate::ast::TimeUnit;
use logos::Logos;

/// What went wrong while reading a token.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum LexErrorKind {
    /// A character that starts no token.
    #[default]
    UnexpectedCharacter,
    /// A string with no closing quote.
    UnterminatedString,
    /// A single- or double-quoted string that spans lines (only `"""` strings may).
    StringSpansLines,
    /// A `/*` comment with no `*/`.
    UnterminatedComment,
    /// A function body `{` with no matching `}`.
    UnterminatedBody,
    /// An integer that does not fit its type.
    IntegerOutOfRange(String),
    /// A number that does not parse.
    BadNumber(String),
}

impl std::fmt::Display for LexErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LexErrorKind::UnexpectedCharacter => f.write_str("unexpected character"),
            LexErrorKind::UnterminatedString => f.write_str("unterminated string literal"),
            LexErrorKind::StringSpansLines => f.write_str(
                "a quoted string cannot span lines (use a triple-quoted \"\"\"string\"\"\" for that)",
            ),
            LexErrorKind::UnterminatedComment => f.write_str("unterminated /* comment"),
            LexErrorKind::UnterminatedBody => {
                f.write_str("unterminated function body: missing '}'")
            }
            LexErrorKind::IntegerOutOfRange(text) => write!(
                f,
                "integer literal {text} is out of range for int (add 'L' for a long)"
            ),
            LexErrorKind::BadNumber(text) => write!(f, "invalid number {text}"),
        }
    }
}

fn quoted(lex: &mut logos::Lexer<'_, Token>, quote: &str) -> Result<String, LexErrorKind> {
    let rest = lex.remainder();
    match rest.find(quote) {
        Some(end) => {
            let text = rest[..end].to_string();
            lex.bump(end + quote.len());
            if quote.len() == 1 && text.contains(['\n', '\r']) {
                return Err(LexErrorKind::StringSpansLines);
            }
            Ok(text)
        }
        None => {
            lex.bump(rest.len());
            Err(LexErrorKind::UnterminatedString)
        }
    }
}

fn block_comment(lex: &mut logos::Lexer<'_, Token>) -> logos::FilterResult<(), LexErrorKind> {
    let rest = lex.remainder();
    match rest.find("*/") {
        Some(end) => {
            lex.bump(end + 2);
            logos::FilterResult::Skip
        }
        None => {
            lex.bump(rest.len());
            logos::FilterResult::Error(LexErrorKind::UnterminatedComment)
        }
    }
}

fn body(lex: &mut logos::Lexer<'_, Token>) -> Result<String, LexErrorKind> {
    let rest = lex.remainder();
    let mut depth = 1usize;
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    let text = rest[..i].to_string();
                    lex.bump(i + 1);
                    return Ok(text);
                }
            }
            _ => {}
        }
    }
    lex.bump(rest.len());
    Err(LexErrorKind::UnterminatedBody)
}

fn int(lex: &mut logos::Lexer<'_, Token>) -> Result<i32, LexErrorKind> {
    lex.slice()
        .parse()
        .map_err(|_| LexErrorKind::IntegerOutOfRange(lex.slice().to_string()))
}

fn long(lex: &mut logos::Lexer<'_, Token>) -> Result<i64, LexErrorKind> {
    let s = lex.slice();
    s[..s.len() - 1]
        .parse()
        .map_err(|_| LexErrorKind::BadNumber(format!("{s} (out of range for long)")))
}

fn float(lex: &mut logos::Lexer<'_, Token>) -> Result<f32, LexErrorKind> {
    let s = lex.slice();
    match s[..s.len() - 1].parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(LexErrorKind::BadNumber(format!(
            "{s} (out of range for float)"
        ))),
        Err(_) => Err(LexErrorKind::BadNumber(s.to_string())),
    }
}

fn double(lex: &mut logos::Lexer<'_, Token>) -> Result<f64, LexErrorKind> {
    let s = lex.slice().trim_end_matches(['d', 'D']);
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(LexErrorKind::BadNumber(format!(
            "{} (out of range for double)",
            lex.slice()
        ))),
        Err(_) => Err(LexErrorKind::BadNumber(lex.slice().to_string())),
    }
}

fn unit(lex: &mut logos::Lexer<'_, Token>) -> Option<UnitWord> {
    Some(UnitWord {
        unit: TimeUnit::from_word(lex.slice())?,
        text: lex.slice().to_string(),
    })
}

/// A time unit word with its spelling as written (it may also be used as a name).
#[derive(Clone, Debug, PartialEq)]
pub struct UnitWord {
    /// The unit.
    pub unit: TimeUnit,
    /// The word as written.
    pub text: String,
}

/// One EventFluxQL token.
#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(error = LexErrorKind)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip(r"--[^\n]*", allow_greedy = true))]
pub enum Token {
    /// A name.
    #[regex(r"[a-zA-Z_][a-zA-Z0-9_]*", |lex| lex.slice().to_string())]
    #[regex(r"`[^`]+`", |lex| { let s = lex.slice(); s[1..s.len() - 1].to_string() })]
    Ident(String),
    /// A time unit word (also usable as a name).
    #[token("millisec", unit, ignore(case))]
    #[token("millisecond", unit, ignore(case))]
    #[token("milliseconds", unit, ignore(case))]
    #[token("millis", unit, ignore(case))]
    #[token("sec", unit, ignore(case))]
    #[token("second", unit, ignore(case))]
    #[token("seconds", unit, ignore(case))]
    #[token("min", unit, ignore(case))]
    #[token("minute", unit, ignore(case))]
    #[token("minutes", unit, ignore(case))]
    #[token("hour", unit, ignore(case))]
    #[token("hours", unit, ignore(case))]
    #[token("day", unit, ignore(case))]
    #[token("days", unit, ignore(case))]
    #[token("week", unit, ignore(case))]
    #[token("weeks", unit, ignore(case))]
    #[token("month", unit, ignore(case))]
    #[token("months", unit, ignore(case))]
    #[token("year", unit, ignore(case))]
    #[token("years", unit, ignore(case))]
    Unit(UnitWord),
    /// An int literal.
    #[regex(r"[0-9]+", int)]
    Int(i32),
    /// A long literal (`10L`).
    #[regex(r"[0-9]+[lL]", long)]
    Long(i64),
    /// `2147483648`: an int literal only after a minus (`-2147483648`, Java's
    /// `Integer.MIN_VALUE`, which Siddhi parses sign and digits together).
    #[token("2147483648")]
    IntMinMagnitude,
    /// `9223372036854775808L`: a long literal only after a minus (`Long.MIN_VALUE`).
    #[token("9223372036854775808L")]
    #[token("9223372036854775808l")]
    LongMinMagnitude,
    /// A float literal (`1.5f`).
    #[regex(r"([0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?)[fF]", float)]
    #[regex(r"\.[0-9]+([eE][+-]?[0-9]+)?[fF]", float)]
    Float(f32),
    /// A double literal (`1.5`, `1e3`, `2d`).
    #[regex(r"[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?[dD]?", double)]
    #[regex(r"\.[0-9]+([eE][+-]?[0-9]+)?[dD]?", double)]
    #[regex(r"[0-9]+[eE][+-]?[0-9]+[dD]?", double)]
    #[regex(r"[0-9]+[dD]", double)]
    // Siddhi's `DIGIT+ ('.' DIGIT*)?`: a trailing dot before an exponent or a suffix.
    #[regex(r"[0-9]+\.[eE][+-]?[0-9]+[dD]?", double)]
    #[regex(r"[0-9]+\.[dD]", double)]
    Double(f64),
    /// A string literal, without its quotes.
    #[token("'", |lex| quoted(lex, "'"))]
    #[token("\"", |lex| quoted(lex, "\""))]
    #[token("\"\"\"", |lex| quoted(lex, "\"\"\""))]
    Str(String),
    /// A script function body between braces, without them.
    #[token("{", body)]
    Body(String),
    /// `/* ... */` (skipped).
    #[token("/*", block_comment)]
    Comment,

    /// `define`.
    #[token("define", ignore(case))]
    Define,
    /// `stream`.
    #[token("stream", ignore(case))]
    Stream,
    /// `table`.
    #[token("table", ignore(case))]
    Table,
    /// `window`.
    #[token("window", ignore(case))]
    Window,
    /// `trigger`.
    #[token("trigger", ignore(case))]
    Trigger,
    /// `aggregation`.
    #[token("aggregation", ignore(case))]
    Aggregation,
    /// `aggregate`.
    #[token("aggregate", ignore(case))]
    Aggregate,
    /// `function`.
    #[token("function", ignore(case))]
    Function,
    /// `from`.
    #[token("from", ignore(case))]
    From,
    /// `select`.
    #[token("select", ignore(case))]
    Select,
    /// `as`.
    #[token("as", ignore(case))]
    As,
    /// `insert`.
    #[token("insert", ignore(case))]
    Insert,
    /// `into`.
    #[token("into", ignore(case))]
    Into,
    /// `delete`.
    #[token("delete", ignore(case))]
    Delete,
    /// `update`.
    #[token("update", ignore(case))]
    Update,
    /// `set`.
    #[token("set", ignore(case))]
    Set,
    /// `on`.
    #[token("on", ignore(case))]
    On,
    /// `return`.
    #[token("return", ignore(case))]
    Return,
    /// `events`.
    #[token("events", ignore(case))]
    Events,
    /// `current`.
    #[token("current", ignore(case))]
    Current,
    /// `expired`.
    #[token("expired", ignore(case))]
    Expired,
    /// `all`.
    #[token("all", ignore(case))]
    All,
    /// `group`.
    #[token("group", ignore(case))]
    Group,
    /// `by`.
    #[token("by", ignore(case))]
    By,
    /// `having`.
    #[token("having", ignore(case))]
    Having,
    /// `order`.
    #[token("order", ignore(case))]
    Order,
    /// `asc`.
    #[token("asc", ignore(case))]
    Asc,
    /// `desc`.
    #[token("desc", ignore(case))]
    Desc,
    /// `limit`.
    #[token("limit", ignore(case))]
    Limit,
    /// `offset`.
    #[token("offset", ignore(case))]
    Offset,
    /// `output`.
    #[token("output", ignore(case))]
    Output,
    /// `first`.
    #[token("first", ignore(case))]
    First,
    /// `last`.
    #[token("last", ignore(case))]
    Last,
    /// `every`.
    #[token("every", ignore(case))]
    Every,
    /// `snapshot`.
    #[token("snapshot", ignore(case))]
    Snapshot,
    /// `join`.
    #[token("join", ignore(case))]
    Join,
    /// `inner`.
    #[token("inner", ignore(case))]
    Inner,
    /// `left`.
    #[token("left", ignore(case))]
    Left,
    /// `right`.
    #[token("right", ignore(case))]
    Right,
    /// `full`.
    #[token("full", ignore(case))]
    Full,
    /// `outer`.
    #[token("outer", ignore(case))]
    Outer,
    /// `unidirectional`.
    #[token("unidirectional", ignore(case))]
    Unidirectional,
    /// `within`.
    #[token("within", ignore(case))]
    Within,
    /// `per`.
    #[token("per", ignore(case))]
    Per,
    /// `not`.
    #[token("not", ignore(case))]
    Not,
    /// `and`.
    #[token("and", ignore(case))]
    And,
    /// `or`.
    #[token("or", ignore(case))]
    Or,
    /// `is`.
    #[token("is", ignore(case))]
    Is,
    /// `null`.
    #[token("null", ignore(case))]
    Null,
    /// `in`.
    #[token("in", ignore(case))]
    In,
    /// `true`.
    #[token("true", ignore(case))]
    True,
    /// `false`.
    #[token("false", ignore(case))]
    False,
    /// `partition`.
    #[token("partition", ignore(case))]
    Partition,
    /// `with`.
    #[token("with", ignore(case))]
    With,
    /// `of`.
    #[token("of", ignore(case))]
    Of,
    /// `begin`.
    #[token("begin", ignore(case))]
    Begin,
    /// `end`.
    #[token("end", ignore(case))]
    End,
    /// `at`.
    #[token("at", ignore(case))]
    At,
    /// `for`.
    #[token("for", ignore(case))]
    For,

    /// `(`.
    #[token("(")]
    LParen,
    /// `)`.
    #[token(")")]
    RParen,
    /// `[`.
    #[token("[")]
    LBracket,
    /// `]`.
    #[token("]")]
    RBracket,
    /// `,`.
    #[token(",")]
    Comma,
    /// `;`.
    #[token(";")]
    Semi,
    /// `.`.
    #[token(".")]
    Dot,
    /// `...`.
    #[token("...")]
    Ellipsis,
    /// `:`.
    #[token(":")]
    Colon,
    /// `=`.
    #[token("=")]
    Assign,
    /// `==`.
    #[token("==")]
    EqEq,
    /// `!=`.
    #[token("!=")]
    NotEq,
    /// `<`.
    #[token("<")]
    Lt,
    /// `<=`.
    #[token("<=")]
    Le,
    /// `>`.
    #[token(">")]
    Gt,
    /// `>=`.
    #[token(">=")]
    Ge,
    /// `+`.
    #[token("+")]
    Plus,
    /// `-`.
    #[token("-")]
    Minus,
    /// `*`.
    #[token("*")]
    Star,
    /// `/`.
    #[token("/")]
    Slash,
    /// `%`.
    #[token("%")]
    Percent,
    /// `->`.
    #[token("->")]
    Arrow,
    /// `#`.
    #[token("#")]
    Hash,
    /// `!`.
    #[token("!")]
    Bang,
    /// `@`.
    #[token("@")]
    At_,
    /// `?`.
    #[token("?")]
    Question,
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Token::Ident(name) => write!(f, "identifier '{name}'"),
            Token::Unit(u) => write!(f, "'{}'", u.text),
            Token::Int(v) => write!(f, "'{v}'"),
            Token::Long(v) => write!(f, "'{v}L'"),
            Token::IntMinMagnitude => {
                f.write_str("'2147483648' (out of range for int; only -2147483648 is one)")
            }
            Token::LongMinMagnitude => f.write_str(
                "'9223372036854775808L' (out of range for long; only -9223372036854775808L is one)",
            ),
            Token::Float(v) => write!(f, "'{v}f'"),
            Token::Double(v) => write!(f, "'{v:?}'"),
            Token::Str(s) => write!(f, "string '{s}'"),
            Token::Body(_) => f.write_str("'{'"),
            other => {
                let debug = format!("{other:?}");
                write!(f, "'{}'", token_text(&debug))
            }
        }
    }
}

/// The text of a fixed token, from its variant name (used in messages).
fn token_text(variant: &str) -> String {
    let symbol = match variant {
        "LParen" => "(",
        "RParen" => ")",
        "LBracket" => "[",
        "RBracket" => "]",
        "Comma" => ",",
        "Semi" => ";",
        "Dot" => ".",
        "Ellipsis" => "...",
        "Colon" => ":",
        "Assign" => "=",
        "EqEq" => "==",
        "NotEq" => "!=",
        "Lt" => "<",
        "Le" => "<=",
        "Gt" => ">",
        "Ge" => ">=",
        "Plus" => "+",
        "Minus" => "-",
        "Star" => "*",
        "Slash" => "/",
        "Percent" => "%",
        "Arrow" => "->",
        "Hash" => "#",
        "Bang" => "!",
        "At_" => "@",
        "Question" => "?",
        "Comment" => "/*",
        keyword => return keyword.to_ascii_lowercase(),
    };
    symbol.to_string()
}

/// A lexing error at a byte range.
#[derive(Clone, Debug, PartialEq)]
pub struct LexError {
    /// What went wrong.
    pub kind: LexErrorKind,
    /// Start byte.
    pub start: usize,
    /// End byte.
    pub end: usize,
}

/// The token stream in the shape LALRPOP's external-lexer interface wants.
pub struct Lexer<'s> {
    inner: logos::Lexer<'s, Token>,
}

impl<'s> Lexer<'s> {
    /// A lexer over `src`.
    pub fn new(src: &'s str) -> Self {
        Lexer {
            inner: Token::lexer(src),
        }
    }
}

impl Iterator for Lexer<'_> {
    type Item = Result<(usize, Token, usize), LexError>;

    fn next(&mut self) -> Option<Self::Item> {
        let token = self.inner.next()?;
        let span = self.inner.span();
        Some(match token {
            Ok(token) => Ok((span.start, token, span.end)),
            Err(kind) => Err(LexError {
                kind,
                start: span.start,
                end: span.end,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Vec<Token> {
        Lexer::new(src).map(|t| t.unwrap().1).collect()
    }

    #[test]
    fn keywords_are_case_insensitive_and_units_are_tokens() {
        assert_eq!(
            tokens("FROM S select min(x) 2 MIN"),
            vec![
                Token::From,
                Token::Ident("S".into()),
                Token::Select,
                Token::Unit(UnitWord {
                    unit: TimeUnit::Minute,
                    text: "min".into()
                }),
                Token::LParen,
                Token::Ident("x".into()),
                Token::RParen,
                Token::Int(2),
                Token::Unit(UnitWord {
                    unit: TimeUnit::Minute,
                    text: "MIN".into()
                }),
            ]
        );
    }

    #[test]
    fn numbers_strings_comments() {
        assert_eq!(
            tokens("1 2L 1.5f 2.5 1e3 'a' \"b\" -- c\n/* d */ \"\"\"e'\"f\"\"\""),
            vec![
                Token::Int(1),
                Token::Long(2),
                Token::Float(1.5),
                Token::Double(2.5),
                Token::Double(1000.0),
                Token::Str("a".into()),
                Token::Str("b".into()),
                Token::Str("e'\"f".into()),
            ]
        );
    }

    #[test]
    fn errors_carry_spans() {
        let errs: Vec<_> = Lexer::new("a 'oops").filter_map(|t| t.err()).collect();
        assert_eq!(errs[0].kind, LexErrorKind::UnterminatedString);
        assert_eq!(errs[0].start, 2);
        let errs: Vec<_> = Lexer::new("99999999999").filter_map(|t| t.err()).collect();
        assert!(matches!(errs[0].kind, LexErrorKind::IntegerOutOfRange(_)));
        let errs: Vec<_> = Lexer::new("1e39f 1e999").filter_map(|t| t.err()).collect();
        assert_eq!(errs.len(), 2);
    }
}
