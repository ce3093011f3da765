//! The `eventflux` binary end to end: exit codes and output of `check` and `explain`.

use std::process::Command;

fn eventflux(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_eventflux"))
        .args(args)
        .output()
        .expect("the binary runs");
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
    for sub in ["check", "explain"] {
        let (code, stdout, _) = eventflux(&[sub, "--help"]);
        assert_eq!(code, 0);
        assert!(stdout.contains("Usage: eventflux"), "{stdout}");
    }
}
