//! Interpreter throughput on the basic workloads: filter + projection, a sliding length window
//! average, and a time window sum grouped by 100 symbols (event time, 1 ms apart).
//! Run with `cargo bench -p eventflux-runtime --bench interpreter`.

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
    let mut group = c.benchmark_group("interpreter");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut app = App::from_text("bench", app_text).expect("valid app");
            app.set_playback(true);
            let mut outputs = 0usize;
            let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let sink = counter.clone();
            app.subscribe("Out", move |_| {
                sink.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            });
            let input = app.input("S").expect("stream S");
            for (i, (sym, price, vol)) in data.iter().enumerate() {
                app.send_to(
                    &input,
                    Some(i as i64),
                    vec![
                        names[*sym].clone(),
                        Value::Double(*price),
                        Value::Long(*vol),
                    ],
                )
                .expect("valid event");
            }
            outputs += counter.load(std::sync::atomic::Ordering::Relaxed);
            black_box(outputs)
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let stream = "define stream S (sym string, price double, vol long);\n";
    run(
        c,
        "filter_projection",
        &format!(
            "{stream}from S[price > 50.0] select sym, price * vol as notional insert into Out;"
        ),
        100,
    );
    run(
        c,
        "length_window_avg",
        &format!("{stream}from S#window.length(100) select sym, avg(price) as ap insert into Out;"),
        100,
    );
    run(
        c,
        "time_window_sum_group_by",
        &format!(
            "{stream}from S#window.time(1 sec) select sym, sum(vol) as v group by sym insert into Out;"
        ),
        100,
    );
}

criterion_group!(interpreter, benches);
criterion_main!(interpreter);
