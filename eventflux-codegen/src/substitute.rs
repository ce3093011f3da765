//! `${VAR}` substitution from the environment, with a map back to the original offsets so that
//! errors point at the text the user wrote.

use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// Where substituted text came from: one entry per `${VAR}` replaced.
#[derive(Clone, Debug, Default)]
pub struct SpanMap {
    /// (start in the new text, end in the new text, the `${VAR}` span in the original).
    replaced: Vec<(usize, usize, Span)>,
}

impl SpanMap {
    /// The original span of `span` in the substituted text.
    pub fn to_original(&self, span: Span) -> Span {
        Span::new(self.offset(span.start, false), self.offset(span.end, true))
    }

    fn offset(&self, pos: usize, is_end: bool) -> usize {
        let mut shift: isize = 0;
        for &(start, end, original) in &self.replaced {
            if pos < start || (is_end && pos == start) {
                break;
            }
            if pos < end || (is_end && pos == end) {
                return if is_end { original.end } else { original.start };
            }
            shift = original.end as isize - end as isize;
        }
        (pos as isize + shift).max(0) as usize
    }
}

/// Replaces each `${NAME}` in `src` with `lookup(NAME)`. An unset variable is an error at its
/// place; every one is reported.
pub fn substitute(
    src: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(String, SpanMap), Vec<Diagnostic>> {
    if !src.contains("${") {
        return Ok((src.to_string(), SpanMap::default()));
    }
    let mut out = String::with_capacity(src.len());
    let mut map = SpanMap::default();
    let mut errors = Vec::new();
    let mut rest = 0;
    while let Some(found) = src[rest..].find("${") {
        let start = rest + found;
        out.push_str(&src[rest..start]);
        let Some(close) = src[start..].find('}') else {
            errors.push(Diagnostic::new(
                Span::new(start, src.len()),
                "unterminated variable reference: '${' without '}'",
            ));
            rest = src.len();
            break;
        };
        let end = start + close + 1;
        let name = &src[start + 2..end - 1];
        match lookup(name) {
            Some(value) => {
                let new_start = out.len();
                out.push_str(&value);
                map.replaced
                    .push((new_start, out.len(), Span::new(start, end)));
            }
            None => errors.push(
                Diagnostic::new(
                    Span::new(start, end),
                    format!("environment variable '{name}' is not set"),
                )
                .with_hint(format!("set {name} before compiling this app")),
            ),
        }
        rest = end;
    }
    out.push_str(&src[rest..]);
    if errors.is_empty() {
        Ok((out, map))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "LEN" => Some("10".into()),
            "NAME" => Some("LongerName".into()),
            _ => None,
        }
    }

    #[test]
    fn substitutes_and_maps_back() {
        let (out, map) = substitute("ab ${LEN} cd ${NAME} ef", env).unwrap();
        assert_eq!(out, "ab 10 cd LongerName ef");
        let ef = out.find("ef").unwrap();
        let orig = map.to_original(Span::new(ef, ef + 2));
        assert_eq!((orig.start, orig.end), (21, 23));
        let name = out.find("Longer").unwrap();
        let orig = map.to_original(Span::new(name, name + 10));
        assert_eq!((orig.start, orig.end), (13, 20));
    }

    #[test]
    fn unset_variables_are_all_reported() {
        let errs = substitute("${A} and ${B}", env).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs[1].message.contains("'B'"));
    }
}
