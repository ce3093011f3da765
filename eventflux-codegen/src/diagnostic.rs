//! Compile errors: each with a span, a message and an optional hint, rendered like rustc's.

use crate::span::{Span, line_col};
use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term;

/// One error found in the query text.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// What is wrong, naming the offending identifier exactly as written.
    pub message: String,
    /// Where.
    pub span: Span,
    /// How to fix it, when the compiler can tell (`did you mean 'price'?`).
    pub hint: Option<String>,
    /// Other places that explain the error (`first defined here`).
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            span,
            hint: None,
            notes: Vec::new(),
        }
    }

    /// The same error with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The same error with a secondary label.
    pub fn with_note(mut self, span: Span, note: impl Into<String>) -> Self {
        self.notes.push((span, note.into()));
        self
    }

    /// One line: `line:col: message (hint)`.
    pub fn one_line(&self, src: &str) -> String {
        let (line, col) = line_col(src, self.span.start);
        match &self.hint {
            Some(hint) => format!("{line}:{col}: {}; {hint}", self.message),
            None => format!("{line}:{col}: {}", self.message),
        }
    }

    /// The rustc-style rendering: `error: message`, `--> file:line:col`, the source line with
    /// carets under the span, and the hint.
    pub fn render(&self, file_name: &str, src: &str) -> String {
        let file = SimpleFile::new(file_name, src);
        let clamp = |span: Span| {
            let start = floor_char_boundary(src, span.start.min(src.len()));
            let end = floor_char_boundary(src, span.end.min(src.len())).max(start);
            start..end
        };
        let mut labels = vec![Label::primary((), clamp(self.span))];
        for (span, note) in &self.notes {
            labels.push(Label::secondary((), clamp(*span)).with_message(note.clone()));
        }
        let mut report = Report::error()
            .with_message(self.message.clone())
            .with_labels(labels);
        if let Some(hint) = &self.hint {
            report = report.with_notes(vec![format!("help: {hint}")]);
        }
        let mut out = Vec::new();
        let config = term::Config::default();
        let mut writer = term::termcolor::NoColor::new(&mut out);
        if term::emit_to_write_style(&mut writer, &config, &file, &report).is_err() {
            return format!("{file_name}:{}", self.one_line(src));
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every error found in one app, with the text they point into.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}", self.render())]
pub struct CompileErrors {
    /// The file name used in messages.
    pub file_name: String,
    /// The app text as given (before `${VAR}` substitution).
    pub text: String,
    /// The errors, in the order of the text.
    pub diagnostics: Vec<Diagnostic>,
}

impl CompileErrors {
    /// All errors rendered rustc-style, one after the other.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            out.push_str(&d.render(&self.file_name, &self.text));
        }
        let n = self.diagnostics.len();
        out.push_str(&format!(
            "{} error{} in {}\n",
            n,
            if n == 1 { "" } else { "s" },
            self.file_name
        ));
        out
    }

    /// Each error on one line: `file:line:col: message`.
    pub fn one_line_each(&self) -> Vec<String> {
        self.diagnostics
            .iter()
            .map(|d| format!("{}:{}", self.file_name, d.one_line(&self.text)))
            .collect()
    }
}
