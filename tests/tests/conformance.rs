//! The conformance harness: every case of `tests/conformance/`, `../shared/conformance/cases/`
//! and `EVENTFLUX_CONFORMANCE_EXTRA` runs through the interpreter, and every case that passes
//! also runs with a snapshot/restore into a fresh app half-way through its input. One line per
//! case, then `interpreted: N passed, N failed`.
//!
//! Cases listed in `tests/conformance/known_failures.txt` are expected to fail (each with its
//! reason): any other failure fails the test, and so does a listed case that passes, so the list
//! only ever shrinks.

use eventflux_runtime::conformance::{run_case, run_case_with_restart};
use eventflux_tests::{case_folders, known_failures, load_cases};

#[test]
fn conformance_cases_through_the_interpreter() {
    let cases = load_cases(&case_folders()).expect("cases load");
    assert!(!cases.is_empty(), "no conformance cases found");
    let known = known_failures();
    let (mut passed, mut failed) = (0, 0);
    let mut problems = Vec::new();
    for loaded in &cases {
        let case = &loaded.case;
        let mut result = run_case(case);
        if result.is_ok() && case.expect_error.is_none() && case.input.len() > 1 {
            let split = case.input.len() / 2;
            result = run_case_with_restart(case, Some(split))
                .map_err(|e| format!("after a snapshot/restore at input line {split}: {e}"));
        }
        match (&result, known.get(&case.name)) {
            (Ok(()), None) => {
                passed += 1;
                println!("PASS interpreted {} ({})", case.name, loaded.path.display());
            }
            (Ok(()), Some(_)) => {
                passed += 1;
                println!("PASS interpreted {} ({})", case.name, loaded.path.display());
                problems.push(format!(
                    "{}: passes now; remove it from tests/conformance/known_failures.txt",
                    case.name
                ));
            }
            (Err(e), reason) => {
                failed += 1;
                println!(
                    "FAIL interpreted {} ({}): {e}",
                    case.name,
                    loaded.path.display()
                );
                if reason.is_none() {
                    problems.push(format!("{}: {e}", case.name));
                }
            }
        }
    }
    let listed_missing: Vec<&String> = known
        .keys()
        .filter(|name| !cases.iter().any(|c| &c.case.name == *name))
        .collect();
    for name in listed_missing {
        problems.push(format!(
            "{name}: listed in known_failures.txt but no such case exists"
        ));
    }
    println!("known failures listed: {}", known.len());
    println!("interpreted: {passed} passed, {failed} failed");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
