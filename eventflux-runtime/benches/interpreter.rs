//! Interpreter throughput on the benchmark workloads: filter + projection, a sliding length
//! window average, a time window sum grouped by 100 symbols, a window join on the symbol (1,000
//! symbols) and the pattern `every e1 -> e2[same symbol]` with 100 and 10,000 symbols (event
//! time, 1 ms apart). Run with `cargo bench -p eventflux-runtime --bench interpreter`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eventflux_runtime::{App, Value};
use std::hint::black_box;

const EVENTS: usize = 10_000;

/// Deterministic trades: (symbol index, price in 0..100, volume).
fn trades(symbols: usize) -> Vec<(usize, f64, i64)> {
    let mut seed: u64 = 42;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    (0..EVENTS)
        .map(|_| {
            let sym = next() as usize % symbols;
            let price = (next() % 10_000) as f64 / 100.0;
            let vol = (next() % 1000) as i64;
            (sym, price, vol)
        })
        .collect()
}

fn run(c: &mut Criterion, name: &str, app_text: &str, symbols: usize) {
    let data = trades(symbols);
    let names: Vec<Value> = (0..symbols)
        .map(|i| Value::from(format!("S{i}").as_str()))
        .collect();
    let joins = app_text.contains("define stream T");
    let mut group = c.benchmark_group("interpreter");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut app = App::from_text("bench", app_text).expect("valid app");
            app.set_playback(true);
            let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let sink = counter.clone();
            app.subscribe("Out", move |_| {
                sink.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            });
            let s = app.input("S").expect("stream S");
            let t = joins.then(|| app.input("T").expect("stream T"));
            for (i, (sym, price, vol)) in data.iter().enumerate() {
                match &t {
                    Some(t) if i % 2 == 1 => app.send_to(
                        t,
                        Some(i as i64),
                        vec![names[*sym].clone(), Value::Long(*vol)],
                    ),
                    _ => app.send_to(
                        &s,
                        Some(i as i64),
                        vec![
                            names[*sym].clone(),
                            Value::Double(*price),
                            Value::Long(*vol),
                        ],
                    ),
                }
                .expect("valid event");
            }
            black_box(counter.load(std::sync::atomic::Ordering::Relaxed))
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let stream = "define stream S (sym string, price double, vol long);\n";
    let workloads = [
        (
            "filter_projection".to_string(),
            format!(
                "{stream}from S[price > 50.0] select sym, price * vol as notional insert into Out;"
            ),
            100,
        ),
        (
            "length_window_avg".to_string(),
            format!(
                "{stream}from S#window.length(100) select sym, avg(price) as ap insert into Out;"
            ),
            100,
        ),
        (
            "time_window_sum_group_by".to_string(),
            format!(
                "{stream}from S#window.time(1 sec) select sym, sum(vol) as v group by sym insert into Out;"
            ),
            100,
        ),
        (
            "window_join_1000_symbols".to_string(),
            format!(
                "{stream}define stream T (sym string, qty long);\n\
                 from S#window.length(100) join T#window.length(100) on S.sym == T.sym \
                 select S.sym, S.price, T.qty insert into Out;"
            ),
            1000,
        ),
    ];
    for (name, app, symbols) in &workloads {
        run(c, name, app, *symbols);
    }
    for symbols in [100, 10_000] {
        let app = format!(
            "{stream}from every e1=S[price > 90.0] -> e2=S[sym == e1.sym and price < 10.0] \
             within 1 sec select e1.sym, e2.price insert into Out;"
        );
        run(c, &format!("pattern_{symbols}_symbols"), &app, symbols);
    }
}

criterion_group!(interpreter, benches);
criterion_main!(interpreter);
