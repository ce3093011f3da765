//! The benchmark workloads, run side by side in every mode available, in one run:
//! `interpreted` (the app text loaded at run time) and `hand-written` (plain Rust with the same
//! meaning: the yardstick). Every mode must produce the same number of output events with the
//! same checksum, or the run fails. Each mode runs in a child process of its own, so that its
//! peak memory is its own.
//!
//! `cargo run --release -p eventflux-tests --bin workloads -- [--events N] [--only W1,W3]
//! [--json] [--latency]`; `--latency` measures each send's duration (one event per send) for W1
//! and W5 in the engine modes and reports p50, p99 and p99.9.

use eventflux_runtime::{App, Value};
use std::collections::{HashMap, VecDeque};
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Deterministic input: symbol index, price in 0..100, volume, and for W4 which stream.
#[derive(Clone, Copy)]
struct Trade {
    sym: usize,
    price: f64,
    vol: i64,
}

fn trades(n: usize, symbols: usize) -> Vec<Trade> {
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    (0..n)
        .map(|_| Trade {
            sym: next() as usize % symbols,
            price: (next() % 10_000) as f64 / 100.0,
            vol: 1 + (next() % 1000) as i64,
        })
        .collect()
}

/// An order-sensitive checksum of output rows (FNV-1a over each value's bits).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Checksum {
    hash: u64,
    rows: u64,
}

impl Checksum {
    fn new() -> Self {
        Checksum {
            hash: 0xcbf2_9ce4_8422_2325,
            rows: 0,
        }
    }
    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.hash = (self.hash ^ *b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn text(&mut self, s: &str) {
        self.bytes(s.as_bytes());
        self.bytes(&[0]);
    }
    fn f64(&mut self, v: f64) {
        self.bytes(&v.to_bits().to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.bytes(&v.to_le_bytes());
    }
    fn end_row(&mut self) {
        self.rows += 1;
        self.bytes(&[0xff]);
    }
    fn value(&mut self, v: &Value) {
        match v {
            Value::String(s) => self.text(s),
            Value::Double(x) => self.f64(*x),
            Value::Float(x) => self.f64(*x as f64),
            Value::Long(x) => self.i64(*x),
            Value::Int(x) => self.i64(*x as i64),
            Value::Bool(b) => self.i64(*b as i64),
            Value::Null => self.bytes(&[0xfe]),
            Value::Set(_) => self.text(&v.to_text()),
        }
    }
}

/// One workload: its query, how many symbols, and its hand-written twin.
struct Workload {
    id: &'static str,
    query: &'static str,
    symbols: usize,
    two_streams: bool,
    hand: fn(&[Trade], &[String], &mut Checksum),
}

const S: &str = "define stream S (sym string, price double, vol long);\n";
const T: &str = "define stream T (sym string, qty long);\n";

fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            id: "W1",
            query: "from S[price > 50.0] select sym, price * vol as notional insert into Out;",
            symbols: 100,
            two_streams: false,
            hand: hand_w1,
        },
        Workload {
            id: "W2",
            query: "from S#window.length(100) select sym, avg(price) as ap insert into Out;",
            symbols: 100,
            two_streams: false,
            hand: hand_w2,
        },
        Workload {
            id: "W3",
            query: "from S#window.time(1 sec) select sym, sum(vol) as v group by sym insert into Out;",
            symbols: 100,
            two_streams: false,
            hand: hand_w3,
        },
        Workload {
            id: "W4",
            query: "from S#window.length(100) join T#window.length(100) on S.sym == T.sym \
                    select S.sym, S.price, T.qty insert into Out;",
            symbols: 1000,
            two_streams: true,
            hand: hand_w4,
        },
        Workload {
            id: "W5-100",
            query: "from every e1=S[price > 90.0] -> e2=S[sym == e1.sym and price < 10.0] within 1 sec \
                    select e1.sym, e2.price insert into Out;",
            symbols: 100,
            two_streams: false,
            hand: hand_w5,
        },
        Workload {
            id: "W5-10000",
            query: "from every e1=S[price > 90.0] -> e2=S[sym == e1.sym and price < 10.0] within 1 sec \
                    select e1.sym, e2.price insert into Out;",
            symbols: 10_000,
            two_streams: false,
            hand: hand_w5,
        },
        Workload {
            id: "W6",
            query: "partition with (sym of S) begin from S#window.length(10) \
                    select sym, max(price) as m insert into Out; end;",
            symbols: 1000,
            two_streams: false,
            hand: hand_w6,
        },
    ]
}

/// W1: `from S[price > 50.0] select sym, price * vol as notional`.
fn hand_w1(data: &[Trade], names: &[String], c: &mut Checksum) {
    for t in data {
        if t.price > 50.0 {
            c.text(&names[t.sym]);
            c.f64(t.price * t.vol as f64);
            c.end_row();
        }
    }
}

/// W2: `from S#window.length(100) select sym, avg(price) as ap` (one row per event: the
/// oldest price leaves, then the new one enters).
fn hand_w2(data: &[Trade], names: &[String], c: &mut Checksum) {
    let mut window: VecDeque<f64> = VecDeque::with_capacity(100);
    let (mut sum, mut count) = (0.0f64, 0i64);
    for t in data {
        if window.len() == 100
            && let Some(old) = window.pop_front()
        {
            sum -= old;
            count -= 1;
        }
        window.push_back(t.price);
        sum += t.price;
        count += 1;
        c.text(&names[t.sym]);
        c.f64(sum / count as f64);
        c.end_row();
    }
}

/// W3: `from S#window.time(1 sec) select sym, sum(vol) as v group by sym`, events 1 ms apart
/// (an event expires exactly 1000 ms after it came, before an event at that time).
fn hand_w3(data: &[Trade], names: &[String], c: &mut Checksum) {
    let mut window: VecDeque<(i64, usize, i64)> = VecDeque::new();
    let mut sums: HashMap<usize, i64> = HashMap::new();
    for (i, t) in data.iter().enumerate() {
        let now = i as i64;
        while let Some(&(at, sym, vol)) = window.front() {
            if at + 1000 > now {
                break;
            }
            window.pop_front();
            *sums.entry(sym).or_default() -= vol;
        }
        window.push_back((now, t.sym, t.vol));
        let sum = sums.entry(t.sym).or_default();
        *sum += t.vol;
        c.text(&names[t.sym]);
        c.i64(*sum);
        c.end_row();
    }
}

/// W4: length(100) windows on S (even events) and T (odd events) joined on the symbol; each
/// arrival pairs with the other window's events of its symbol, oldest first.
fn hand_w4(data: &[Trade], names: &[String], c: &mut Checksum) {
    let mut s_window: VecDeque<(usize, f64)> = VecDeque::with_capacity(100);
    let mut t_window: VecDeque<(usize, i64)> = VecDeque::with_capacity(100);
    for (i, t) in data.iter().enumerate() {
        if i % 2 == 0 {
            if s_window.len() == 100 {
                s_window.pop_front();
            }
            s_window.push_back((t.sym, t.price));
            for &(sym, qty) in &t_window {
                if sym == t.sym {
                    c.text(&names[t.sym]);
                    c.f64(t.price);
                    c.i64(qty);
                    c.end_row();
                }
            }
        } else {
            if t_window.len() == 100 {
                t_window.pop_front();
            }
            t_window.push_back((t.sym, t.vol));
            for &(sym, price) in &s_window {
                if sym == t.sym {
                    c.text(&names[t.sym]);
                    c.f64(price);
                    c.i64(t.vol);
                    c.end_row();
                }
            }
        }
    }
}

/// W5: `every e1=S[price > 90.0] -> e2=S[sym == e1.sym and price < 10.0] within 1 sec`.
fn hand_w5(data: &[Trade], names: &[String], c: &mut Checksum) {
    let mut waiting: HashMap<usize, VecDeque<i64>> = HashMap::new();
    for (i, t) in data.iter().enumerate() {
        let now = i as i64;
        if t.price < 10.0
            && let Some(starts) = waiting.get_mut(&t.sym)
        {
            for start in starts.drain(..) {
                if now - start <= 1000 {
                    c.text(&names[t.sym]);
                    c.f64(t.price);
                    c.end_row();
                }
            }
        }
        if t.price > 90.0 {
            let starts = waiting.entry(t.sym).or_default();
            while starts.front().is_some_and(|s| now - s > 1000) {
                starts.pop_front();
            }
            starts.push_back(now);
        }
    }
}

/// W6: per symbol, a length(10) window and the max price in it.
fn hand_w6(data: &[Trade], names: &[String], c: &mut Checksum) {
    let mut windows: HashMap<usize, VecDeque<f64>> = HashMap::new();
    for t in data {
        let w = windows.entry(t.sym).or_default();
        if w.len() == 10 {
            w.pop_front();
        }
        w.push_back(t.price);
        let max = w.iter().copied().fold(f64::MIN, f64::max);
        c.text(&names[t.sym]);
        c.f64(max);
        c.end_row();
    }
}

/// Runs `w` interpreted; with `latency`, records each send's duration.
fn interpreted(
    w: &Workload,
    data: &[Trade],
    names: &[Value],
    latency: Option<&mut Vec<u64>>,
) -> Result<Checksum, String> {
    let text = format!("{S}{}{}", if w.two_streams { T } else { "" }, w.query);
    let mut app = App::from_text(w.id, &text).map_err(|e| e.to_string())?;
    app.set_playback(true);
    let sum = Arc::new(Mutex::new(Checksum::new()));
    let sink = sum.clone();
    app.subscribe("Out", move |out| {
        if let Ok(mut c) = sink.lock() {
            for v in out.values {
                c.value(v);
            }
            c.end_row();
        }
    });
    let s = app.input("S").map_err(|e| e.to_string())?;
    let t = if w.two_streams {
        Some(app.input("T").map_err(|e| e.to_string())?)
    } else {
        None
    };
    let mut latency = latency;
    for (i, e) in data.iter().enumerate() {
        let started = latency.is_some().then(Instant::now);
        let sent = match &t {
            Some(t) if i % 2 == 1 => app.send_to(
                t,
                Some(i as i64),
                vec![names[e.sym].clone(), Value::Long(e.vol)],
            ),
            _ => app.send_to(
                &s,
                Some(i as i64),
                vec![
                    names[e.sym].clone(),
                    Value::Double(e.price),
                    Value::Long(e.vol),
                ],
            ),
        };
        sent.map_err(|e| e.to_string())?;
        if let (Some(l), Some(started)) = (latency.as_deref_mut(), started) {
            l.push(started.elapsed().as_nanos() as u64);
        }
    }
    let c = *sum.lock().map_err(|e| e.to_string())?;
    Ok(c)
}

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
    let mut lat = Vec::new();
    let started = Instant::now();
    let c = match mode {
        "interpreted" => interpreted(w, &data, &values, with_latency.then_some(&mut lat))?,
        "hand-written" => {
            let mut c = Checksum::new();
            (w.hand)(&data, &names, &mut c);
            c
        }
        other => return Err(format!("unknown mode {other}")),
    };
    let seconds = started.elapsed().as_secs_f64();
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
        for mode in ["hand-written", "interpreted"] {
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
        if let [hand, interp] = results.as_slice() {
            if (hand.outputs, hand.checksum) != (interp.outputs, interp.checksum) {
                eprintln!(
                    "{}: the modes disagree: hand-written {} outputs {:016x}, interpreted {} outputs {:016x}",
                    w.id, hand.outputs, hand.checksum, interp.outputs, interp.checksum
                );
                ok = false;
            } else if !json {
                let ratio = hand.seconds / interp.seconds;
                let memory = interp.peak_rss_bytes as f64 / hand.peak_rss_bytes.max(1) as f64;
                println!(
                    "{:<9} interpreted/hand-written: throughput {ratio:.3}, peak memory {memory:.2}x",
                    w.id
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
