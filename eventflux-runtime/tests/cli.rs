//! The `eventflux` binary end to end: exit codes and output of `check` and `explain`.

use std::process::Command;

fn eventflux(args: &[&str]) -> (i32, String, String) {
    eventflux_with_input(args, "")
}

fn eventflux_with_input(args: &[&str], input: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventflux"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("input written");
    let out = child.wait_with_output().expect("the binary finishes");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write_app(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eventflux-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn example() -> String {
    format!(
        "{}/../examples/apps/trading.eventflux",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn check_accepts_a_valid_app() {
    let (code, stdout, _) = eventflux(&["check", &example()]);
    assert_eq!(code, 0);
    assert!(stdout.contains("trading.eventflux: ok"), "{stdout}");
}

#[test]
fn check_reports_every_error_and_fails() {
    let bad = write_app(
        "bad.eventflux",
        "define stream S (a int);\nfrom S[b > 1] select a insert into O;\nfrom T select a insert into P;\n",
    );
    let good = write_app(
        "good.eventflux",
        "define stream S (a int);\nfrom S select a insert into O;\n",
    );
    let (code, stdout, stderr) =
        eventflux(&["check", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stdout.contains("good.eventflux: ok"), "{stdout}");
    assert!(
        stderr.contains("unknown attribute 'b' in stream 'S'"),
        "{stderr}"
    );
    assert!(stderr.contains("bad.eventflux:2:8"), "{stderr}");
    assert!(stderr.contains("stream 'T' is not defined"), "{stderr}");
    assert!(stderr.contains("2 errors in"), "{stderr}");
}

#[test]
fn check_reports_an_unreadable_file() {
    let (code, _, stderr) = eventflux(&["check", "/nonexistent/app.eventflux"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("cannot read /nonexistent/app.eventflux"),
        "{stderr}"
    );
}

#[test]
fn explain_prints_the_typed_plan() {
    let (code, stdout, _) = eventflux(&["explain", &example()]);
    assert_eq!(code, 0);
    assert!(stdout.contains("app Trading"), "{stdout}");
    assert!(
        stdout.contains("stream Averages (sym string, avgPrice double, volume long)"),
        "{stdout}"
    );
    assert!(stdout.contains("window length(100)"), "{stdout}");
    assert!(stdout.contains("within 60000 ms"), "{stdout}");
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["check", "explain", "run", "test"] {
        let (code, stdout, _) = eventflux(&[sub, "--help"]);
        assert_eq!(code, 0);
        assert!(stdout.contains("Usage: eventflux"), "{stdout}");
    }
}

#[test]
fn run_reads_json_lines_and_writes_output_events_skipping_bad_lines() {
    let app = write_app(
        "run.eventflux",
        "define stream S (sym string, v int);\nfrom S#window.length(2) select sym, sum(v) as total insert into Out;\n",
    );
    let input = "{\"stream\": \"S\", \"t\": 1000, \"data\": [\"a\", 1]}\n\
                 this is not json\n\
                 {\"stream\": \"S\", \"t\": 1100, \"data\": [\"b\", \"x\"]}\n\
                 {\"stream\": \"S\", \"t\": 1200, \"data\": [\"b\", 2]}\n";
    let (code, stdout, stderr) =
        eventflux_with_input(&["run", app.to_str().unwrap(), "--playback"], input);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        vec![
            r#"{"data":["a",1],"stream":"Out","t":1000}"#,
            r#"{"data":["b",3],"stream":"Out","t":1200}"#
        ]
    );
    assert!(stderr.contains("line 2: skipped"), "{stderr}");
    assert!(
        stderr.contains("line 3: skipped: stream 'S', attribute 'v' (int)"),
        "{stderr}"
    );
}

#[test]
fn test_runs_cases_and_reports_each_with_a_closing_line() {
    let dir = std::env::temp_dir().join(format!("eventflux-cases-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("good.yaml"),
        "name: doubles\napp: |\n  define stream S (v int);\n  from S select v * 2 as d insert into O;\ninput:\n  - {t: 1, stream: S, data: [2]}\nexpect:\n  O:\n    - [4]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("bad.yaml"),
        "name: wrong expectation\napp: |\n  define stream S (v int);\n  from S select v * 2 as d insert into O;\ninput:\n  - {t: 1, stream: S, data: [2]}\nexpect:\n  O:\n    - [5]\n",
    )
    .unwrap();
    let (code, stdout, _) = eventflux(&["test", dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stdout.contains("PASS doubles"), "{stdout}");
    assert!(
        stdout.contains("FAIL wrong expectation: stream O row 1: expected [5], got [4]"),
        "{stdout}"
    );
    assert!(stdout.contains("expected: [[5]]"), "{stdout}");
    assert!(stdout.contains("actual:   [[4]]"), "{stdout}");
    assert!(
        stdout.trim_end().ends_with("1 passed, 1 failed"),
        "{stdout}"
    );
}
