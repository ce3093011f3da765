//! The embedding API end to end: build, send, subscribe, errors, clock, snapshot and restore.

mod common;

use common::collect;
use eventflux_runtime::{App, SendError, Value};
use std::sync::Arc;

const APP: &str = "
define stream Trades (sym string, price double, vol long);
@info(name = 'totals')
from Trades[price > 0.0]#window.time(1 sec)
select sym, sum(vol) as total
group by sym
insert into Totals;
";

fn trade(sym: &str, price: f64, vol: i64) -> Vec<Value> {
    vec![Value::from(sym), Value::Double(price), Value::Long(vol)]
}

#[test]
fn events_flow_to_subscribers() {
    let mut app = App::from_text("app", APP).unwrap();
    app.set_playback(true);
    let rows = collect(&mut app, "Totals");
    app.send("Trades", Some(1000), trade("IBM", 10.0, 5))
        .unwrap();
    app.send("Trades", Some(1500), trade("IBM", 11.0, 7))
        .unwrap();
    app.send("Trades", Some(1600), trade("X", -1.0, 7)).unwrap();
    app.advance_to(2100);
    let rows = rows.lock().unwrap();
    assert_eq!(
        *rows,
        vec![
            vec![Value::from("IBM"), Value::Long(5)],
            vec![Value::from("IBM"), Value::Long(12)],
        ]
    );
}

#[test]
fn bad_events_are_refused_with_the_stream_attribute_and_value_and_the_app_goes_on() {
    let mut app = App::from_text("app", APP).unwrap();
    app.set_playback(true);
    let rows = collect(&mut app, "Totals");
    assert_eq!(
        app.send("Trades", Some(1000), vec![Value::from("IBM")]),
        Err(SendError::Arity {
            stream: "Trades".into(),
            expected: 3,
            found: 1
        })
    );
    let err = app
        .send(
            "Trades",
            Some(1000),
            vec![Value::from("IBM"), Value::from("ten"), Value::Long(1)],
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "stream 'Trades', attribute 'price' (double): found ten (string)"
    );
    let err = app
        .send_json(
            "Trades",
            Some(1000),
            &[
                serde_json::json!("IBM"),
                serde_json::json!(1.5),
                serde_json::json!("x"),
            ],
        )
        .unwrap_err();
    assert!(err.to_string().contains("attribute 'vol' (long)"), "{err}");
    assert!(matches!(
        app.send("Nope", None, vec![]),
        Err(SendError::UnknownStream(_))
    ));
    app.send("Trades", Some(1000), trade("IBM", 10.0, 5))
        .unwrap();
    assert_eq!(
        app.send("Trades", Some(900), trade("IBM", 10.0, 5)),
        Err(SendError::OutOfOrder {
            stream: "Trades".into(),
            timestamp: 900,
            clock: 1000
        })
    );
    assert_eq!(rows.lock().unwrap().len(), 1);
}

#[test]
fn a_snapshot_restored_into_a_new_app_goes_on_exactly() {
    let feed = |app: &mut App, from: usize, to: usize| {
        for i in from..to {
            let sym = if i % 2 == 0 { "A" } else { "B" };
            app.send(
                "Trades",
                Some(1000 + 300 * i as i64),
                trade(sym, 1.0, i as i64),
            )
            .unwrap();
        }
    };
    let mut whole = App::from_text("app", APP).unwrap();
    whole.set_playback(true);
    let expected = collect(&mut whole, "Totals");
    feed(&mut whole, 0, 10);

    let mut first = App::from_text("app", APP).unwrap();
    first.set_playback(true);
    let got = collect(&mut first, "Totals");
    feed(&mut first, 0, 5);
    let bytes = first.snapshot().unwrap();
    let mut second = App::from_text("app", APP).unwrap();
    second.set_playback(true);
    let sink = got.clone();
    second.subscribe("Totals", move |out| {
        sink.lock().unwrap().push(out.values.to_vec())
    });
    second.restore(&bytes).unwrap();
    feed(&mut second, 5, 10);
    assert_eq!(*got.lock().unwrap(), *expected.lock().unwrap());

    let other = App::from_text(
        "app",
        "define stream S (a int); from S select a insert into O;",
    )
    .unwrap();
    let mut other = other;
    assert!(other.restore(&bytes).is_err());
}

#[test]
fn input_handles_and_the_wall_clock() {
    let mut app = App::from_text(
        "app",
        "define stream S (v int); from S#window.time(50 millisec) select count() as n insert all events into O;",
    )
    .unwrap();
    let rows = collect(&mut app, "O");
    let input = app.input("S").unwrap();
    assert_eq!(input.stream(), "S");
    app.send_to(&input, None, vec![Value::Int(1)]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(120));
    app.tick();
    let rows = rows.lock().unwrap();
    assert_eq!(*rows, vec![vec![Value::Long(1)], vec![Value::Long(0)]]);
}

#[test]
fn shared_rows_are_sent_checked_and_converted() {
    let mut app = App::from_text(
        "app",
        "@app:playback define stream S (sym string, vol long); from S select sym, vol * 2 as d insert into O;",
    )
    .unwrap();
    let rows = collect(&mut app, "O");
    let input = app.input("S").unwrap();
    // A row of the stream's types goes as it is.
    let row: Arc<[Value]> = Arc::from([Value::from("a"), Value::Long(1)]);
    app.send_row(&input, Some(10), row).unwrap();
    // An int for a long attribute is widened, in place or in a copy when the row is shared.
    app.send_row(
        &input,
        Some(20),
        Arc::from([Value::from("b"), Value::Int(2)]),
    )
    .unwrap();
    let shared: Arc<[Value]> = Arc::from([Value::from("c"), Value::Int(3)]);
    app.send_row(&input, Some(30), shared.clone()).unwrap();
    assert_eq!(shared[1], Value::Int(3), "the caller's row is not changed");
    // A wrong row names the stream and the attribute, and nothing is sent.
    let err = app
        .send_row(
            &input,
            Some(40),
            Arc::from([Value::from("d"), Value::from("x")]),
        )
        .unwrap_err();
    assert!(matches!(err, SendError::Type { .. }), "{err}");
    assert!(err.to_string().contains("vol"), "{err}");
    let err = app
        .send_row(&input, Some(50), Arc::from([Value::from("e")]))
        .unwrap_err();
    assert!(matches!(err, SendError::Arity { .. }), "{err}");
    assert_eq!(
        *rows.lock().unwrap(),
        vec![
            vec![Value::from("a"), Value::Long(2)],
            vec![Value::from("b"), Value::Long(4)],
            vec![Value::from("c"), Value::Long(6)],
        ]
    );
}

#[test]
fn build_errors_are_reported_with_their_place() {
    let err = App::from_text(
        "app.eventflux",
        "define stream S (a int);\nfrom S[b > 1] select a insert into O;",
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("app.eventflux:2:8"), "{err}");
}

#[test]
fn periodic_timers_start_at_the_app_start_on_the_wall_clock() {
    let mut app = App::from_text(
        "app",
        "define trigger T at every 40 millisec; from T select triggered_time as t insert into O;",
    )
    .unwrap();
    let rows = collect(&mut app, "O");
    std::thread::sleep(std::time::Duration::from_millis(100));
    app.tick();
    let n = rows.lock().unwrap().len();
    assert!(
        (1..=3).contains(&n),
        "{n} trigger events after about 100 ms"
    );
}

#[test]
fn cron_triggers_fire_on_their_schedule_in_playback() {
    let mut app = App::from_text(
        "app",
        "define trigger T at '*/1 * * * * ?'; from T select triggered_time as t insert into O;",
    )
    .unwrap();
    app.set_playback(true);
    let rows = collect(&mut app, "O");
    app.advance_to(3500);
    assert_eq!(
        *rows.lock().unwrap(),
        vec![
            vec![Value::Long(1000)],
            vec![Value::Long(2000)],
            vec![Value::Long(3000)]
        ]
    );
}

#[test]
fn partition_keys_are_dropped_when_they_hold_nothing_or_go_idle() {
    let text = "define stream S (k string, v int);
        partition with (k of S) begin from S[v > 0] select k, v insert into O; end;
        @purge(enable = 'true', interval = '1 sec', idle.period = '2 sec')
        partition with (k of S) begin from S#window.length(5) select k, sum(v) as t insert into P; end;";
    let mut app = App::from_text("app", text).unwrap();
    app.set_playback(true);
    let out = collect(&mut app, "P");
    for (i, key) in ["a", "b", "c"].iter().enumerate() {
        app.send(
            "S",
            Some(i as i64 * 100),
            vec![Value::from(*key), Value::Int(1)],
        )
        .unwrap();
    }
    assert_eq!(app.partition_key_counts(), vec![0, 3]);
    app.advance_to(10_000);
    assert_eq!(app.partition_key_counts(), vec![0, 0]);
    app.send("S", Some(10_000), vec![Value::from("a"), Value::Int(5)])
        .unwrap();
    // The purged key 'a' starts again from an empty window.
    assert_eq!(
        out.lock().unwrap().last().unwrap(),
        &vec![Value::from("a"), Value::Long(5)]
    );
    assert_eq!(app.partition_key_counts(), vec![0, 1]);
}

#[test]
fn a_cycle_of_queries_is_reported_instead_of_overflowing() {
    let mut app = App::from_text(
        "app",
        "define stream A (v int); define stream B (v int);
         from A select v + 1 as v insert into B;
         from B select v as v insert into A;",
    )
    .unwrap();
    app.set_playback(true);
    let rows = collect(&mut app, "B");
    app.send("A", Some(1), vec![Value::Int(0)]).unwrap();
    let n = rows.lock().unwrap().len();
    assert!(
        n > 10 && n <= eventflux_runtime::interpreter::MAX_DELIVERY_DEPTH,
        "{n}"
    );
    app.send("A", Some(2), vec![Value::Int(0)]).unwrap();
}

#[test]
fn pattern_metrics_count_live_partial_matches() {
    let mut app = App::from_text(
        "app",
        "define stream S (sym string, p double);
         @info(name = 'p') from every e1=S[p > 90.0] -> e2=S[sym == e1.sym and p < 10.0]
         select e1.sym as sym insert into O;",
    )
    .unwrap();
    app.set_playback(true);
    for i in 0..5 {
        app.send(
            "S",
            Some(i),
            vec![Value::from(format!("s{i}").as_str()), Value::Double(95.0)],
        )
        .unwrap();
    }
    assert_eq!(app.pattern_metrics(), vec![("p".to_string(), 6, 0)]);
    app.send("S", Some(9), vec![Value::from("s1"), Value::Double(5.0)])
        .unwrap();
    assert_eq!(app.pattern_metrics(), vec![("p".to_string(), 5, 0)]);
}

#[test]
fn a_cycle_of_inner_streams_is_reported_instead_of_overflowing() {
    let mut app = App::from_text(
        "app",
        "define stream S (k string, v int);
         partition with (k of S) begin
           from S select k, v insert into #A;
           from #A select k, v + 1 as v insert into #B;
           from #B select k, v insert into #A;
         end;",
    )
    .unwrap();
    app.set_playback(true);
    app.send("S", Some(1), vec![Value::from("x"), Value::Int(0)])
        .unwrap();
    app.send("S", Some(2), vec![Value::from("y"), Value::Int(0)])
        .unwrap();
}

#[test]
fn a_runner_fires_timers_on_the_wall_clock_by_itself() {
    let mut app = App::from_text(
        "app",
        "define stream S (v int); from S#window.time(60 millisec) select count() as n insert all events into O;",
    )
    .unwrap();
    let rows = collect(&mut app, "O");
    let runner = eventflux_runtime::Runner::start(app);
    runner.send("S", None, vec![Value::Int(1)]).unwrap();
    assert!(matches!(
        runner.send("S", None, vec![Value::from("x")]),
        Err(eventflux_runtime::RunError::Send(SendError::Type { .. }))
    ));
    std::thread::sleep(std::time::Duration::from_millis(250));
    assert_eq!(
        *rows.lock().unwrap(),
        vec![vec![Value::Long(1)], vec![Value::Long(0)]]
    );
    assert!(runner.snapshot().unwrap().is_ok());
    let app = runner.stop().unwrap();
    assert!(!app.is_playback());
}
