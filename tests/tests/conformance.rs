//! The conformance harness: every case of `tests/conformance/`, `../shared/conformance/cases/`
//! and `EVENTFLUX_CONFORMANCE_EXTRA` runs through the interpreter and through its compiled app
//! (built by this crate's build script). Both must match the expected output and each other;
//! every case that passes also runs with a snapshot/restore into a fresh app half-way through
//! its input. One line per case and path, then `compiled: N passed, N failed` and
//! `interpreted: N passed, N failed`.
//!
//! Cases listed in `tests/conformance/known_failures.txt` (interpreter) and
//! `tests/conformance/known_failures_compiled.txt` (compiled path) are expected to fail, each
//! with its reason: any other failure fails the test, and so does a listed case that passes,
//! so the lists only ever shrink.

use compiled::{Compiled, lookup};
use eventflux_runtime::conformance::{Case, Collected, run_case, run_input, same_output};
use eventflux_runtime::{App, Engine};
use eventflux_tests::{case_folders, known_failures_in, load_cases};
use std::collections::BTreeMap;

/// Every conformance case compiled to Rust by the build script, with how to make its app.
mod compiled {
    use eventflux_runtime::Engine;

    /// A conformance case through the compiled path.
    pub enum Compiled {
        /// Its app compiled: this opens a fresh instance.
        App(fn() -> Result<Box<dyn Engine>, String>),
        /// The compiler rejected the app (each error on one line).
        Rejected(&'static str),
        /// The app uses what the compiled path cannot emit yet (each use, located); no case
        /// of these folders does now, but extra folders may hold one.
        #[allow(dead_code)]
        Unsupported(&'static str),
    }

    /// The compiled form of the case in file `path`.
    pub fn lookup(path: &std::path::Path) -> Option<&'static Compiled> {
        let key = path.display().to_string();
        CASES.iter().find(|(p, _)| *p == key).map(|(_, c)| c)
    }

    include!(concat!(env!("OUT_DIR"), "/compiled_cases.rs"));
}

/// Whether the compiled rows match the interpreter's: row by row for the streams the case lists
/// rows for, in number for those it only counts (their values need not be deterministic).
fn differs_from(case: &Case, reference: &Collected, rows: &Collected) -> Result<(), String> {
    let listed: Collected = reference
        .iter()
        .filter(|(stream, _)| case.expect.contains_key(*stream))
        .map(|(s, r)| (s.clone(), r.clone()))
        .collect();
    same_output(&listed, rows)?;
    for stream in case.expect_count.keys() {
        let (a, b) = (
            reference.get(stream).map_or(0, Vec::len),
            rows.get(stream).map_or(0, Vec::len),
        );
        if a != b {
            return Err(format!(
                "stream {stream}: {a} rows interpreted, {b} compiled"
            ));
        }
    }
    Ok(())
}

fn run_compiled(
    case: &Case,
    compiled: Option<&Compiled>,
    reference: Option<&Collected>,
) -> Result<(), String> {
    let Some(compiled) = compiled else {
        return Err("the build script did not compile this case (rebuild the tests crate)".into());
    };
    match (compiled, &case.expect_error) {
        (Compiled::Unsupported(what), _) => Err(format!("not compiled yet: {what}")),
        (Compiled::Rejected(errors), Some(expected)) => {
            if errors.to_lowercase().contains(&expected.to_lowercase()) {
                Ok(())
            } else {
                Err(format!(
                    "expected an error containing '{expected}', got: {errors}"
                ))
            }
        }
        (Compiled::Rejected(errors), None) => {
            Err(format!("the compiler rejects the app: {errors}"))
        }
        (Compiled::App(_), Some(expected)) => Err(format!(
            "the app compiled, but must be rejected with '{expected}'"
        )),
        (Compiled::App(make), None) => {
            let rows = run_input(case, None, &make)?;
            if let Some(reference) = reference {
                differs_from(case, reference, &rows)
                    .map_err(|e| format!("differs from the interpreter: {e}"))?;
            }
            if case.input.len() > 1 {
                let split = case.input.len() / 2;
                run_input(case, Some(split), &make)
                    .map_err(|e| format!("after a snapshot/restore at input line {split}: {e}"))?;
            }
            Ok(())
        }
    }
}

/// Runs a case through the interpreter (and again with a snapshot/restore half-way); returns
/// its rows for the differential check, when it ran events.
fn run_interpreted(case: &Case) -> Result<Option<Collected>, String> {
    if case.expect_error.is_some() {
        return run_case(case).map(|()| None);
    }
    let make = || -> Result<Box<dyn Engine>, String> {
        App::from_text("app", &case.app)
            .map(|a| Box::new(a) as Box<dyn Engine>)
            .map_err(|e| format!("the app does not run: {e}"))
    };
    let rows = run_input(case, None, &make)?;
    if case.input.len() > 1 {
        let split = case.input.len() / 2;
        run_input(case, Some(split), &make)
            .map_err(|e| format!("after a snapshot/restore at input line {split}: {e}"))?;
    }
    Ok(Some(rows))
}

/// Tallies one path's results against its known failures.
struct Tally {
    path: &'static str,
    known: BTreeMap<String, String>,
    passed: usize,
    failed: usize,
    problems: Vec<String>,
}

impl Tally {
    fn new(path: &'static str, list: &str) -> Self {
        Tally {
            path,
            known: known_failures_in(list),
            passed: 0,
            failed: 0,
            problems: Vec::new(),
        }
    }

    fn record(&mut self, name: &str, file: &str, result: Result<(), String>) {
        let path = self.path;
        match (result, self.known.get(name)) {
            (Ok(()), listed) => {
                self.passed += 1;
                println!("PASS {path} {name} ({file})");
                if listed.is_some() {
                    self.problems.push(format!(
                        "{path} {name}: passes now; remove it from its known failures list"
                    ));
                }
            }
            (Err(e), listed) => {
                self.failed += 1;
                println!("FAIL {path} {name} ({file}): {e}");
                if listed.is_none() {
                    self.problems.push(format!("{path} {name}: {e}"));
                }
            }
        }
    }

    fn check_listed(&mut self, names: &[&str]) {
        for name in self.known.keys() {
            if !names.contains(&name.as_str()) {
                self.problems.push(format!(
                    "{} {name}: listed as a known failure but no such case exists",
                    self.path
                ));
            }
        }
    }
}

#[test]
fn conformance_cases_through_both_paths() {
    let cases = load_cases(&case_folders()).expect("cases load");
    assert!(!cases.is_empty(), "no conformance cases found");
    let mut compiled = Tally::new("compiled", "known_failures_compiled.txt");
    let mut interpreted = Tally::new("interpreted", "known_failures.txt");
    for loaded in &cases {
        let case = &loaded.case;
        let file = loaded.path.display().to_string();
        let reference = run_interpreted(case);
        let rows = reference.as_ref().ok().and_then(Option::as_ref);
        compiled.record(
            &case.name,
            &file,
            run_compiled(case, lookup(&loaded.path), rows),
        );
        interpreted.record(&case.name, &file, reference.map(|_| ()));
    }
    let names: Vec<&str> = cases.iter().map(|c| c.case.name.as_str()).collect();
    compiled.check_listed(&names);
    interpreted.check_listed(&names);
    println!(
        "known failures listed: compiled {}, interpreted {}",
        compiled.known.len(),
        interpreted.known.len()
    );
    println!(
        "compiled: {} passed, {} failed",
        compiled.passed, compiled.failed
    );
    println!(
        "interpreted: {} passed, {} failed",
        interpreted.passed, interpreted.failed
    );
    let problems: Vec<String> = compiled
        .problems
        .into_iter()
        .chain(interpreted.problems)
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
