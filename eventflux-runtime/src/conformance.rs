//! Conformance cases (the format of `shared/conformance/FORMAT.md`): loading them and running
//! one through the interpreter in playback, comparing its output with the expected rows.
//! `eventflux test` and the workspace's conformance harness both use this.

use crate::engine::Engine;
use crate::interpreter::App;
use crate::value::Value;
use eventflux_codegen::plan::Type;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One input line: an event, or a clock advance.
#[derive(Clone, Debug, Deserialize)]
pub struct InputLine {
    /// Event time in ms.
    pub t: Option<i64>,
    /// The stream the event goes to.
    pub stream: Option<String>,
    /// The event's values.
    pub data: Option<Vec<serde_json::Value>>,
    /// Whether this line only moves the clock.
    #[serde(default)]
    pub advance: bool,
}

/// One conformance case.
#[derive(Clone, Debug, Deserialize)]
pub struct Case {
    /// The case's name.
    pub name: String,
    /// Free-form tags (any YAML scalar).
    #[serde(default)]
    pub tags: Vec<serde_json::Value>,
    /// The whole app.
    pub app: String,
    /// The input, in order.
    #[serde(default)]
    pub input: Vec<InputLine>,
    /// Expected rows per output stream.
    #[serde(default)]
    pub expect: BTreeMap<String, Vec<Vec<serde_json::Value>>>,
    /// Expected row counts per output stream.
    #[serde(default)]
    pub expect_count: BTreeMap<String, usize>,
    /// Text the rejection message must contain, for invalid apps.
    pub expect_error: Option<String>,
    /// Whether rows must come in the listed order (default true).
    #[serde(default = "default_true")]
    pub ordered: bool,
}

fn default_true() -> bool {
    true
}

/// A case with the file it came from.
#[derive(Clone, Debug)]
pub struct LoadedCase {
    /// The file.
    pub path: PathBuf,
    /// The case.
    pub case: Case,
}

/// Every `.yaml`/`.yml` file at or below `path`, sorted.
pub fn case_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Loads one case file.
pub fn load_case(path: &Path) -> Result<LoadedCase, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let case: Case =
        serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(LoadedCase {
        path: path.to_path_buf(),
        case,
    })
}

/// Runs a case through the interpreter: `Ok` when it behaves as expected, otherwise the first
/// difference with the expected and actual rows.
pub fn run_case(case: &Case) -> Result<(), String> {
    run_case_with_restart(case, None)
}

/// Like [`run_case`], but when `split` is given, after that many input lines the app's state is
/// snapshotted and restored into a new app, which takes the rest of the input: the output must
/// be the same as without the restart.
pub fn run_case_with_restart(case: &Case, split: Option<usize>) -> Result<(), String> {
    let built = App::from_text("app", &case.app);
    if let Some(expected) = &case.expect_error {
        return match built {
            Ok(_) => Err(format!(
                "the app was accepted, but must be rejected with '{expected}'"
            )),
            Err(e) => {
                let text = e.to_string();
                let located = match &e {
                    crate::interpreter::BuildError::Invalid(errors) => errors
                        .one_line_each()
                        .iter()
                        .any(|l| l.to_lowercase().contains(&expected.to_lowercase())),
                    _ => false,
                };
                if located {
                    Ok(())
                } else {
                    Err(format!(
                        "expected an error containing '{expected}' with line and column, got: {text}"
                    ))
                }
            }
        };
    }
    let app = built.map_err(|e| format!("the app does not run: {e}"))?;
    let first = std::cell::Cell::new(Some(app));
    let make = || -> Result<Box<dyn Engine>, String> {
        match first.take() {
            Some(app) => Ok(Box::new(app)),
            None => App::from_text("app", &case.app)
                .map(|a| Box::new(a) as Box<dyn Engine>)
                .map_err(|e| e.to_string()),
        }
    };
    run_input(case, split, &make).map(|_| ())
}

/// The rows each checked stream produced, in order.
pub type Collected = BTreeMap<String, Vec<Vec<Value>>>;

/// Runs a case's input through apps made by `make` (the first for the whole run; with `split`,
/// a second one restored from the first one's snapshot takes the input from that line on) and
/// checks the output against the case. Returns the rows of each checked stream.
pub fn run_input(
    case: &Case,
    split: Option<usize>,
    make: &dyn Fn() -> Result<Box<dyn Engine>, String>,
) -> Result<Collected, String> {
    let mut app = make()?;
    let collected: Arc<Mutex<Collected>> = Arc::default();
    let mut types: BTreeMap<String, Vec<Type>> = BTreeMap::new();
    for stream in case.expect.keys().chain(case.expect_count.keys()) {
        let Some(schema) = app.schema(stream) else {
            return Err(format!(
                "expected stream '{stream}' is not a stream of the app"
            ));
        };
        types.insert(stream.clone(), schema.iter().map(|(_, t)| *t).collect());
    }
    let subscribe = |app: &mut Box<dyn Engine>| {
        app.set_playback(true);
        for stream in types.keys() {
            let sink = collected.clone();
            let name = stream.clone();
            app.subscribe_values(
                stream,
                Box::new(move |out| {
                    if let Ok(mut rows) = sink.lock() {
                        rows.entry(name.clone())
                            .or_default()
                            .push(out.values.to_vec());
                    }
                }),
            );
        }
    };
    subscribe(&mut app);
    for (i, line) in case.input.iter().enumerate() {
        if split == Some(i) {
            let bytes = app
                .snapshot_state()
                .map_err(|e| format!("snapshot after line {i}: {e}"))?;
            app = make()?;
            subscribe(&mut app);
            app.restore_state(&bytes)
                .map_err(|e| format!("restore after line {i}: {e}"))?;
        }
        if line.advance {
            let to = line.t.unwrap_or(app.clock());
            app.advance(to);
            continue;
        }
        let (Some(stream), Some(data)) = (&line.stream, &line.data) else {
            return Err(format!(
                "input line {} has neither an event nor 'advance'",
                i + 1
            ));
        };
        app.send_json_values(stream, line.t, data)
            .map_err(|e| format!("input line {}: {e}", i + 1))?;
    }
    let actual = collected.lock().map(|m| m.clone()).unwrap_or_default();
    for (stream, expected) in &case.expect {
        let got = actual.get(stream).cloned().unwrap_or_default();
        compare(stream, expected, &got, &types[stream], case.ordered)?;
    }
    for (stream, count) in &case.expect_count {
        let got = actual.get(stream).map_or(0, |r| r.len());
        if got != *count {
            return Err(format!("stream {stream}: expected {count} rows, got {got}"));
        }
    }
    Ok(actual)
}

/// Whether two runs produced the same rows (numbers within the case tolerance), for the
/// differential check of the compiled path against the interpreter.
pub fn same_output(a: &Collected, b: &Collected) -> Result<(), String> {
    for (stream, rows_a) in a {
        let rows_b = b.get(stream).cloned().unwrap_or_default();
        let expected: Vec<Vec<serde_json::Value>> = rows_a
            .iter()
            .map(|r| r.iter().map(Value::to_json).collect())
            .collect();
        let types: Vec<Type> = rows_a
            .first()
            .map(|r| r.iter().map(|v| v.ty().unwrap_or(Type::Object)).collect())
            .unwrap_or_default();
        compare(stream, &expected, &rows_b, &types, true)?;
    }
    Ok(())
}

fn matches(expected: &serde_json::Value, actual: &Value, ty: Type) -> bool {
    use serde_json::Value as J;
    match (expected, actual) {
        (J::Null, Value::Null) => true,
        (J::Bool(a), Value::Bool(b)) => a == b,
        (J::String(a), Value::String(b)) => a.as_str() == &**b,
        // Integers compare exactly (a long near 2^63 is not a double).
        (J::Number(n), Value::Int(_) | Value::Long(_)) if n.is_i64() || n.is_u64() => {
            n.as_i64() == actual.as_i64()
        }
        (J::Number(n), v) => match (n.as_f64(), v.as_f64()) {
            (Some(a), Some(b)) => {
                let tolerance = if ty == Type::Float || matches!(v, Value::Float(_)) {
                    1e-6
                } else {
                    1e-9
                };
                a == b || (a - b).abs() <= tolerance * a.abs().max(b.abs())
            }
            _ => false,
        },
        _ => false,
    }
}

fn row_matches(expected: &[serde_json::Value], actual: &[Value], types: &[Type]) -> bool {
    expected.len() == actual.len()
        && expected
            .iter()
            .zip(actual)
            .enumerate()
            .all(|(i, (e, a))| matches(e, a, types.get(i).copied().unwrap_or(Type::Object)))
}

fn show_expected(rows: &[Vec<serde_json::Value>]) -> String {
    rows.iter()
        .map(|r| serde_json::Value::Array(r.clone()).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn show_actual(rows: &[Vec<Value>]) -> String {
    rows.iter()
        .map(|r| serde_json::Value::Array(r.iter().map(Value::to_json).collect()).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn compare(
    stream: &str,
    expected: &[Vec<serde_json::Value>],
    actual: &[Vec<Value>],
    types: &[Type],
    ordered: bool,
) -> Result<(), String> {
    let detail = || {
        format!(
            "\n    expected: [{}]\n    actual:   [{}]",
            show_expected(expected),
            show_actual(actual)
        )
    };
    if ordered {
        for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
            if !row_matches(e, a, types) {
                return Err(format!(
                    "stream {stream} row {}: expected {}, got {}{}",
                    i + 1,
                    serde_json::Value::Array(e.clone()),
                    serde_json::Value::Array(a.iter().map(Value::to_json).collect()),
                    detail()
                ));
            }
        }
        if expected.len() != actual.len() {
            return Err(format!(
                "stream {stream}: expected {} rows, got {}{}",
                expected.len(),
                actual.len(),
                detail()
            ));
        }
        return Ok(());
    }
    let mut unmatched: Vec<&Vec<Value>> = actual.iter().collect();
    for e in expected {
        match unmatched.iter().position(|a| row_matches(e, a, types)) {
            Some(i) => {
                unmatched.remove(i);
            }
            None => {
                return Err(format!(
                    "stream {stream}: expected row {} is missing{}",
                    serde_json::Value::Array(e.clone()),
                    detail()
                ));
            }
        }
    }
    if let Some(extra) = unmatched.first() {
        return Err(format!(
            "stream {stream}: unexpected row {}{}",
            serde_json::Value::Array(extra.iter().map(Value::to_json).collect()),
            detail()
        ));
    }
    Ok(())
}
