//! Every conformance app either passes the front-end (parse and check) or, for
//! `expect_error` cases, is rejected with a message that contains the expected text and names
//! the line and column.

use eventflux_tests::{case_folders, load_cases};

#[test]
fn every_case_checks_or_fails_as_expected() {
    let cases = load_cases(&case_folders()).expect("cases load");
    assert!(!cases.is_empty(), "no conformance cases found");
    let mut failures = Vec::new();
    for loaded in &cases {
        let case = &loaded.case;
        let file = loaded.path.display().to_string();
        let result = eventflux_codegen::check_app(&file, &case.app);
        match (&case.expect_error, result) {
            (None, Ok(_)) => {}
            (None, Err(e)) => failures.push(format!(
                "{}: unexpected errors:\n{}",
                case.name,
                e.one_line_each().join("\n")
            )),
            (Some(text), Ok(_)) => failures.push(format!(
                "{}: accepted, but must be rejected with '{text}'",
                case.name
            )),
            (Some(text), Err(e)) => {
                let lines = e.one_line_each();
                let needle = text.to_lowercase();
                let located = lines.iter().any(|l| {
                    let rest = l.strip_prefix(&format!("{file}:")).unwrap_or(l);
                    let mut parts = rest.splitn(3, ':');
                    let line_ok = parts.next().is_some_and(|p| p.parse::<usize>().is_ok());
                    let col_ok = parts.next().is_some_and(|p| p.parse::<usize>().is_ok());
                    line_ok && col_ok && rest.to_lowercase().contains(&needle)
                });
                if !located {
                    failures.push(format!(
                        "{}: expected an error containing '{text}' with line and column, got:\n{}",
                        case.name,
                        lines.join("\n")
                    ));
                }
            }
        }
    }
    println!("{} cases checked, {} failed", cases.len(), failures.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
