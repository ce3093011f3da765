//! The benchmark workloads, run side by side in every mode available, in one run:
//! `compiled` (the app compiled to Rust by `eventflux!`), `interpreted` (the app text loaded at
//! run time) and `hand-written` (plain Rust with the same meaning: the yardstick). Every mode must produce the same number of output events with the
//! same checksum, or the run fails. Each mode runs in a child process of its own, so that its
//! peak memory is its own.
//!
//! `cargo run --release -p eventflux-tests --bin workloads -- [--events N] [--only W1,W3]
//! [--json] [--latency]`; `--latency` measures each send's duration (one event per send) for W1
//! and W5 in the engine modes and reports p50, p99 and p99.9.

use eventflux_runtime::Value;
use eventflux_tests::workloads::{Str, interpreted, trades, workloads};
use std::process::{Command, ExitCode};

fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// One measurement, as the child process reports it.
#[derive(Clone, Debug)]
struct Measure {
    workload: String,
    mode: String,
    events: usize,
    seconds: f64,
    outputs: u64,
    checksum: u64,
    peak_rss_bytes: u64,
    latency: Option<(u64, u64, u64)>,
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The child: runs one workload in one mode and prints one JSON line.
fn child(id: &str, mode: &str, events: usize, with_latency: bool) -> Result<(), String> {
    let all = workloads();
    let w = all
        .iter()
        .find(|w| w.id == id)
        .ok_or_else(|| format!("no workload {id}"))?;
    let data = trades(events, w.symbols);
    let names: Vec<String> = (0..w.symbols).map(|i| format!("S{i}")).collect();
    let values: Vec<Value> = names.iter().map(|n| Value::from(n.as_str())).collect();
    let shared: Vec<Str> = names.iter().map(|n| Str::from(n.as_str())).collect();
    let mut lat = Vec::new();
    let run = match mode {
        "interpreted" => interpreted(w, &data, &values, with_latency.then_some(&mut lat))?,
        "compiled" => match w.compiled {
            Ok(run) => run(&data, &shared, with_latency.then_some(&mut lat)),
            Err(missing) => {
                return Err(format!(
                    "not compiled yet: the compiled path lacks {missing}"
                ));
            }
        },
        "hand-written" => (w.hand)(&data, &shared, with_latency.then_some(&mut lat)),
        other => return Err(format!("unknown mode {other}")),
    };
    let (c, seconds) = (run.checksum, run.seconds);
    lat.sort_unstable();
    let latency = (with_latency && !lat.is_empty()).then(|| {
        (
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            percentile(&lat, 0.999),
        )
    });
    let mut line = serde_json::json!({
        "workload": id,
        "mode": mode,
        "events": events,
        "seconds": seconds,
        "events_per_sec": events as f64 / seconds,
        "outputs": c.rows,
        "checksum": format!("{:016x}", c.hash),
        "peak_rss_bytes": peak_rss_bytes(),
    });
    if let Some((p50, p99, p999)) = latency {
        line["latency_ns"] = serde_json::json!({"p50": p50, "p99": p99, "p99.9": p999});
    }
    println!("{line}");
    Ok(())
}

fn parse(line: &str) -> Option<Measure> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    Some(Measure {
        workload: v["workload"].as_str()?.to_string(),
        mode: v["mode"].as_str()?.to_string(),
        events: v["events"].as_u64()? as usize,
        seconds: v["seconds"].as_f64()?,
        outputs: v["outputs"].as_u64()?,
        checksum: u64::from_str_radix(v["checksum"].as_str()?, 16).ok()?,
        peak_rss_bytes: v["peak_rss_bytes"].as_u64()?,
        latency: v
            .get("latency_ns")
            .and_then(|l| Some((l["p50"].as_u64()?, l["p99"].as_u64()?, l["p99.9"].as_u64()?))),
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let events: usize = value("--events")
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);
    let latency = args.iter().any(|a| a == "--latency");
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let (Some(id), Some(mode)) = (args.get(i + 1), args.get(i + 2)) else {
            eprintln!("--child needs a workload and a mode");
            return ExitCode::FAILURE;
        };
        return match child(id, mode, events, latency) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{id} {mode}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let json = args.iter().any(|a| a == "--json");
    let only: Option<Vec<String>> =
        value("--only").map(|s| s.split(',').map(str::to_string).collect());
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("cannot find this program: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut ok = true;
    for w in workloads() {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|x| w.id.starts_with(x.as_str())))
        {
            continue;
        }
        if latency && !(w.id == "W1" || w.id.starts_with("W5")) {
            continue;
        }
        let mut results = Vec::new();
        for mode in ["hand-written", "compiled", "interpreted"] {
            if mode == "compiled"
                && let Err(missing) = w.compiled
            {
                println!(
                    "{:<9} compiled      not compiled yet (the compiled path lacks {missing})",
                    w.id
                );
                continue;
            }
            let mut cmd = Command::new(&exe);
            cmd.args(["--child", w.id, mode, "--events", &events.to_string()]);
            if latency {
                cmd.arg("--latency");
            }
            let out = match cmd.output() {
                Ok(out) => out,
                Err(e) => {
                    eprintln!("{} {mode}: cannot run: {e}", w.id);
                    ok = false;
                    continue;
                }
            };
            let text = String::from_utf8_lossy(&out.stdout);
            match text.lines().find_map(parse) {
                Some(m) => {
                    if json {
                        println!("{}", text.trim());
                    }
                    results.push(m);
                }
                None => {
                    eprintln!(
                        "{} {mode}: {}",
                        w.id,
                        String::from_utf8_lossy(&out.stderr).trim()
                    );
                    ok = false;
                }
            }
        }
        if !json {
            for m in &results {
                let rate = m.events as f64 / m.seconds;
                let lat = m.latency.map_or(String::new(), |(p50, p99, p999)| {
                    format!("  latency p50 {p50} ns, p99 {p99} ns, p99.9 {p999} ns")
                });
                println!(
                    "{:<9} {:<13} {:>12.0} events/s  {:>9} outputs  checksum {:016x}  peak {:>6.1} MiB{lat}",
                    m.workload,
                    m.mode,
                    rate,
                    m.outputs,
                    m.checksum,
                    m.peak_rss_bytes as f64 / (1024.0 * 1024.0),
                );
            }
        }
        let Some((hand, engines)) = results.split_first() else {
            continue;
        };
        for m in engines {
            if (hand.outputs, hand.checksum) != (m.outputs, m.checksum) {
                eprintln!(
                    "{}: the modes disagree: hand-written {} outputs {:016x}, {} {} outputs {:016x}",
                    w.id, hand.outputs, hand.checksum, m.mode, m.outputs, m.checksum
                );
                ok = false;
            } else if !json {
                let ratio = hand.seconds / m.seconds;
                let memory = m.peak_rss_bytes as f64 / hand.peak_rss_bytes.max(1) as f64;
                println!(
                    "{:<9} {}/hand-written: throughput {ratio:.3}, peak memory {memory:.2}x",
                    w.id, m.mode
                );
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
