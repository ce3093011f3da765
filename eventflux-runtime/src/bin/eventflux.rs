//! The `eventflux` command-line tool: check, explain (and, as the runtime grows, run and test)
//! EventFlux apps.

use clap::{Parser, Subcommand};
use eventflux_runtime::conformance;
use eventflux_runtime::{App, Runner, Value};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// EventFlux: a complex event processing engine whose queries compile to Rust.
#[derive(Parser)]
#[command(name = "eventflux", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check apps: exit 0 when every app is valid, otherwise print every error and exit 1.
    Check {
        /// The `.eventflux` files to check.
        #[arg(required = true)]
        apps: Vec<PathBuf>,
    },
    /// Print the checked plan of an app: streams, tables, windows, queries with typed expressions.
    Explain {
        /// The `.eventflux` file to explain.
        app: PathBuf,
    },
    /// Run an app: events in as JSON lines ({"stream": "S", "t": 1000, "data": [...]}), output
    /// events out as JSON lines on stdout, logs on stderr.
    Run {
        /// The `.eventflux` file to run.
        app: PathBuf,
        /// Where events come from: a file, or `-` for standard input.
        #[arg(long, default_value = "-")]
        input: String,
        /// Event time: the clock follows the events' `t` (otherwise the wall clock).
        #[arg(long)]
        playback: bool,
    },
    /// Run conformance cases (YAML files, or folders searched recursively) and report each.
    Test {
        /// Case files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("error: cannot read {}: {e}", path.display()))
}

/// One line of `run` input.
#[derive(serde::Deserialize)]
struct InputEvent {
    stream: Option<String>,
    t: Option<i64>,
    #[serde(default)]
    data: Vec<serde_json::Value>,
    #[serde(default)]
    advance: bool,
}

fn run(path: &Path, input: &str, playback: bool) -> ExitCode {
    let mut app = match App::from_file(path) {
        Ok(app) => app,
        Err(e) => {
            eprint!("{e}");
            if !e.to_string().ends_with('\n') {
                eprintln!();
            }
            return ExitCode::FAILURE;
        }
    };
    if playback {
        app.set_playback(true);
    }
    let outputs: Vec<String> = app
        .plan()
        .queries
        .iter()
        .filter_map(|q| match &q.output {
            eventflux_codegen::plan::OutputPlan::Insert {
                target: eventflux_codegen::plan::InsertTarget::Stream(s),
                ..
            } => Some(s.clone()),
            eventflux_codegen::plan::OutputPlan::Return { .. } => Some(q.name.clone()),
            _ => None,
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for stream in outputs {
        app.subscribe(&stream, |out| {
            let line = serde_json::json!({
                "stream": out.stream,
                "t": out.timestamp,
                "data": out.values.iter().map(Value::to_json).collect::<Vec<_>>(),
            });
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{line}");
        });
    }
    let reader: Box<dyn BufRead + Send> = if input == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        match std::fs::File::open(input) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                eprintln!("error: cannot read {input}: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let mut target = if app.is_playback() {
        Target::Direct(Box::new(app))
    } else {
        Target::Running(Runner::start(app))
    };
    for (index, line) in reader.lines().enumerate() {
        let number = index + 1;
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                eprintln!("error: cannot read input: {e}");
                return ExitCode::FAILURE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let event: InputEvent = match serde_json::from_str(&line) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("line {number}: skipped: not an event: {e}");
                continue;
            }
        };
        if event.advance {
            match (&mut target, event.t) {
                (Target::Direct(app), Some(t)) => app.advance_to(t),
                (Target::Direct(_), None) => {
                    eprintln!("line {number}: skipped: 'advance' needs 't'")
                }
                (Target::Running(_), _) => eprintln!(
                    "line {number}: skipped: 'advance' moves event time; run with --playback"
                ),
            }
            continue;
        }
        let Some(stream) = event.stream else {
            eprintln!("line {number}: skipped: missing \"stream\"");
            continue;
        };
        let sent = match &mut target {
            Target::Direct(app) => app
                .send_json(&stream, event.t, &event.data)
                .map_err(|e| e.to_string()),
            Target::Running(runner) => runner
                .send_json(&stream, event.t, event.data)
                .map_err(|e| e.to_string()),
        };
        if let Err(e) = sent {
            eprintln!("line {number}: skipped: {e}");
        }
    }
    if let Target::Running(runner) = target {
        let _ = runner.stop();
    }
    ExitCode::SUCCESS
}

/// Where `run` sends events: straight to the app (playback: the input drives the clock), or
/// to the app running on the wall clock in its own thread.
enum Target {
    Direct(Box<App>),
    Running(Runner),
}

fn test(paths: &[PathBuf]) -> ExitCode {
    let (mut passed, mut failed) = (0, 0);
    for path in paths {
        let files = conformance::case_files(path);
        if files.is_empty() {
            eprintln!("error: no cases in {}", path.display());
            failed += 1;
        }
        for file in files {
            let result = conformance::load_case(&file).and_then(|loaded| {
                conformance::run_case(&loaded.case)
                    .map(|()| loaded.case.name.clone())
                    .map_err(|e| format!("{}: {e}", loaded.case.name))
            });
            match result {
                Ok(name) => {
                    passed += 1;
                    println!("PASS {name}");
                }
                Err(e) => {
                    failed += 1;
                    println!("FAIL {e}");
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            app,
            input,
            playback,
        } => run(&app, &input, playback),
        Command::Test { paths } => test(&paths),
        Command::Check { apps } => {
            let mut failed = false;
            for path in &apps {
                let text = match read(path) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("{e}");
                        failed = true;
                        continue;
                    }
                };
                match eventflux_codegen::check_app(&path.display().to_string(), &text) {
                    Ok(_) => println!("{}: ok", path.display()),
                    Err(errors) => {
                        eprint!("{errors}");
                        failed = true;
                    }
                }
            }
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Explain { app } => {
            let text = match read(&app) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            match eventflux_codegen::check_app(&app.display().to_string(), &text) {
                Ok(plan) => {
                    print!("{}", eventflux_codegen::explain::explain(&plan));
                    ExitCode::SUCCESS
                }
                Err(errors) => {
                    eprint!("{errors}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
