//! Criterion benches of the benchmark workloads (W1-W6), each hand-written, compiled (where the
//! compiled path supports the workload) and interpreted, for
//! profiling and regressions: `cargo bench -p eventflux-tests --bench workloads`. The
//! `workloads` binary is the one to read ratios and memory from; this one gives criterion's
//! statistics and its comparison with the previous run.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eventflux_runtime::Value;
use eventflux_tests::workloads::{Str, interpreted, trades, workloads};
use std::hint::black_box;

const EVENTS: usize = 10_000;

fn benches(c: &mut Criterion) {
    for w in workloads() {
        let data = trades(EVENTS, w.symbols);
        let names: Vec<String> = (0..w.symbols).map(|i| format!("S{i}")).collect();
        let values: Vec<Value> = names.iter().map(|n| Value::from(n.as_str())).collect();
        let shared: Vec<Str> = names.iter().map(|n| Str::from(n.as_str())).collect();
        let mut group = c.benchmark_group(w.id);
        group.throughput(Throughput::Elements(EVENTS as u64));
        group.bench_function("hand-written", |b| {
            b.iter(|| black_box((w.hand)(black_box(&data), &shared, None)))
        });
        if let Ok(run) = w.compiled {
            group.bench_function("compiled", |b| {
                b.iter(|| black_box(run(black_box(&data), &shared, None)))
            });
        }
        group.bench_function("interpreted", |b| {
            b.iter(|| black_box(interpreted(&w, black_box(&data), &values, None)))
        });
        group.finish();
    }
}

criterion_group!(workload_benches, benches);
criterion_main!(workload_benches);
