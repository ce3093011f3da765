//! Property: whatever events arrive, the interpreter never panics. Every conformance app that
//! builds is fed random events: values of the right type, nulls, extreme numbers, empty and odd
//! strings, wrong types and arities (which must be refused, not crash), and clock advances.

use eventflux_runtime::{App, Value};
use eventflux_tests::{case_folders, load_cases};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// One random input step, interpreted against the app's streams.
#[derive(Clone, Debug)]
enum Step {
    /// An event for stream `stream % n`, its values from `seeds`.
    Event {
        stream: usize,
        gap: i64,
        seeds: Vec<u64>,
    },
    /// The clock moves.
    Advance(i64),
    /// The clock jumps to near the end of time (timestamps are the user's).
    Jump(i64),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            8 => (any::<usize>(), 0i64..3_000, prop::collection::vec(any::<u64>(), 0..8))
                .prop_map(|(stream, gap, seeds)| Step::Event { stream, gap, seeds }),
            1 => (0i64..100_000).prop_map(Step::Advance),
            1 => (0i64..5_000).prop_map(Step::Jump),
        ],
        0..30,
    )
}

/// A value for an attribute of type `ty` from a random seed: mostly well-typed, sometimes null
/// or an extreme, rarely of the wrong type.
fn value(ty: eventflux_codegen::plan::Type, seed: u64) -> Value {
    use eventflux_codegen::plan::Type;
    match seed % 16 {
        0 => return Value::Null,
        1 => return Value::String("".into()),
        _ => {}
    }
    let n = (seed >> 8) as i64;
    match ty {
        Type::Int => Value::Int(match seed % 5 {
            2 => i32::MAX,
            3 => i32::MIN,
            _ => (n % 200 - 100) as i32,
        }),
        Type::Long => Value::Long(match seed % 5 {
            2 => i64::MAX,
            3 => i64::MIN,
            _ => n % 2_000 - 1_000,
        }),
        Type::Float => Value::Float(match seed % 6 {
            2 => f32::MAX,
            3 => -0.0,
            _ => (n % 2_000) as f32 / 7.0,
        }),
        Type::Double => Value::Double(match seed % 6 {
            2 => f64::MAX,
            3 => f64::MIN_POSITIVE,
            _ => (n % 2_000) as f64 / 3.0 - 300.0,
        }),
        Type::String => {
            Value::from(["IBM", "WSO2", "a", "\u{1F600}", "x y", "10"][(n as usize) % 6])
        }
        Type::Bool => Value::Bool(n % 2 == 0),
        Type::Object => Value::Long(n),
    }
}

#[test]
fn random_events_never_crash_any_conformance_app() {
    let cases = load_cases(&case_folders()).expect("cases load");
    let apps: Vec<String> = cases
        .iter()
        .filter(|c| c.case.expect_error.is_none())
        .map(|c| c.case.app.clone())
        .collect();
    assert!(!apps.is_empty());
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    let (mut apps_run, events) = (0usize, std::cell::Cell::new(0usize));
    for app_text in &apps {
        let Ok(probe) = App::from_text("probe", app_text) else {
            continue;
        };
        let streams: Vec<(String, Vec<eventflux_codegen::plan::Type>)> = probe
            .plan()
            .streams
            .iter()
            .filter_map(|s| {
                probe
                    .stream_schema(&s.name)
                    .map(|schema| (s.name.clone(), schema.iter().map(|(_, t)| *t).collect()))
            })
            .collect();
        if streams.is_empty() {
            continue;
        }
        apps_run += 1;
        let plan = probe.plan().clone();
        // Apps with work every period (periodic triggers, snapshot output, repeating absence)
        // are asked to emit once per period: a jump to the end of time is ~10^15 periods of
        // output, which the app spreads over later moves of the clock rather than hanging.
        // Every other app must take such a jump in stride, idle timers skipping ahead.
        let periodic_work = probe
            .plan()
            .triggers
            .iter()
            .any(|t| !matches!(t.schedule, eventflux_codegen::plan::TriggerSchedule::Start))
            || probe.plan().queries.iter().any(|q| {
                matches!(
                    q.rate,
                    Some(eventflux_codegen::plan::RatePlan::Snapshot { .. })
                )
            })
            || {
                // A repeating absence (`every not X for T`, also inside an `every (...)`).
                let text = app_text.to_lowercase();
                text.contains("every") && text.contains("not ") && text.contains(" for ")
            }
            // A cron window flushes at every firing.
            || app_text.contains("window.cron(")
            // A partition instance's batch window is not skipped ahead when idle yet: each
            // period fires up to the engine's cap of timer firings per move of the clock.
            || (app_text.contains("partition with") && app_text.contains("Batch("))
            // Two idle batch windows bound each other's skip ahead (each may not pass the
            // other's next timer), so a jump to the end of time fires one period per timer up
            // to the engine's cap of timer firings per move of the clock.
            || app_text.to_lowercase().matches("batch(").count() >= 2;
        if std::env::var("EVENTFLUX_FUZZ_TRACE").is_ok() {
            eprintln!("FUZZ APP {apps_run}:\n{app_text}");
        }
        let mut runner = TestRunner::new(Config {
            cases,
            ..Config::default()
        });
        runner
            .run(&steps(), |steps| {
                let mut app = App::from_plan(plan.clone()).expect("built before");
                app.set_playback(true);
                let mut t = 0i64;
                for step in &steps {
                    match step {
                        Step::Advance(gap) => {
                            t = t.saturating_add(*gap);
                            app.advance_to(t);
                        }
                        Step::Jump(before_end) => {
                            if !periodic_work {
                                t = t.max(i64::MAX - before_end);
                                app.advance_to(t);
                            }
                        }
                        Step::Event { stream, gap, seeds } => {
                            t = t.saturating_add(*gap);
                            let (name, types) = &streams[stream % streams.len()];
                            let mut values: Vec<Value> = types
                                .iter()
                                .zip(seeds.iter().chain(std::iter::repeat(&7)))
                                .map(|(ty, seed)| value(*ty, *seed))
                                .collect();
                            if seeds.len() == 1 {
                                values.pop();
                            }
                            events.set(events.get() + 1);
                            let _ = app.send(name, Some(t), values);
                        }
                    }
                }
                let bytes = app.snapshot().expect("a snapshot can always be taken");
                let mut again = App::from_text("fuzz", app_text).expect("built before");
                again
                    .restore(&bytes)
                    .expect("a snapshot restores into the same app");
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{e}\napp:\n{app_text}"));
    }
    println!("{apps_run} apps, {} random events", events.get());
    assert!(apps_run > 100, "only {apps_run} apps ran");
    assert!(
        events.get() > apps_run * cases as usize,
        "only {} events",
        events.get()
    );
}
