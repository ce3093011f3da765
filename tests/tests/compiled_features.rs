//! A compiled app that uses patterns, joins, tables, partitions, named windows and triggers
//! together, driven end to end through its typed API, with a snapshot taken half-way restored
//! into a new instance.

use std::sync::{Arc, Mutex};

eventflux_runtime::eventflux! {
    @app:name("Desk")
    @app:playback
    define stream Trades (sym string, price double, qty long);
    define stream Limits (sym string, max long);
    @PrimaryKey("sym")
    define table Ceilings (sym string, max long);
    define window Recent (sym string, price double) length(2) output all events;
    define trigger Tick at every 1 sec;

    from Limits
    update or insert into Ceilings
    on Ceilings.sym == sym;

    from Trades join Ceilings on Trades.sym == Ceilings.sym and Trades.qty > Ceilings.max
    select Trades.sym as sym, Trades.qty as qty, Ceilings.max as max
    insert into Breaches;

    from every e1=Trades[price > 100.0] -> e2=Trades[sym == e1.sym and price < e1.price * 0.9]
        within 5 sec
    select e1.sym as sym, e1.price as high, e2.price as low
    insert into Drops;

    partition with (sym of Trades)
    begin
        from Trades #window.length(2)
        select sym, sum(qty) as volume
        insert into #Volumes;

        from #Volumes[volume > 10]
        select sym, volume
        insert into Heavy;
    end;

    from Trades
    select sym, price
    insert into Recent;

    from Recent
    select sym, count() as held
    insert all events into Held;

    from Tick
    select triggered_time as at
    insert into Ticks;
}

type Rows<T> = Arc<Mutex<Vec<T>>>;

fn rows<T>() -> (Rows<T>, Rows<T>) {
    let rows = Arc::new(Mutex::new(Vec::new()));
    (rows.clone(), rows)
}

fn taken<T: Clone>(rows: &Rows<T>) -> Vec<T> {
    rows.lock().expect("not poisoned").clone()
}

struct Seen {
    breaches: Rows<desk::Breaches>,
    drops: Rows<desk::Drops>,
    heavy: Rows<desk::Heavy>,
    held: Rows<desk::Held>,
    ticks: Rows<desk::Ticks>,
}

fn watch(app: &mut desk::App) -> Seen {
    let (breaches, sink) = rows();
    app.on_breaches(move |r| sink.lock().expect("not poisoned").push(r.clone()));
    let (drops, sink) = rows();
    app.on_drops(move |r| sink.lock().expect("not poisoned").push(r.clone()));
    let (heavy, sink) = rows();
    app.on_heavy(move |r| sink.lock().expect("not poisoned").push(r.clone()));
    let (held, sink) = rows();
    app.on_held(move |r| sink.lock().expect("not poisoned").push(r.clone()));
    let (ticks, sink) = rows();
    app.on_ticks(move |r| sink.lock().expect("not poisoned").push(r.clone()));
    Seen {
        breaches,
        drops,
        heavy,
        held,
        ticks,
    }
}

fn first_half(app: &mut desk::App) {
    app.send_limits_at(0, desk::Limits::new("IBM", 5))
        .expect("in order");
    app.send_trades_at(100, desk::Trades::new("IBM", 120.0, 4))
        .expect("in order");
    app.send_trades_at(200, desk::Trades::new("MSFT", 50.0, 9))
        .expect("in order");
}

fn second_half(app: &mut desk::App) {
    app.send_trades_at(1_500, desk::Trades::new("IBM", 100.0, 8))
        .expect("in order");
    app.send_limits_at(1_600, desk::Limits::new("IBM", 10))
        .expect("in order");
    app.send_trades_at(2_100, desk::Trades::new("IBM", 99.0, 9))
        .expect("in order");
}

#[test]
fn every_feature_runs_compiled_and_survives_a_snapshot() {
    let mut app = desk::App::new();
    let seen = watch(&mut app);
    first_half(&mut app);
    let snapshot = app.snapshot().expect("snapshot");
    second_half(&mut app);

    let breaches = taken(&seen.breaches);
    assert_eq!(
        breaches.len(),
        1,
        "only the 8 > 5 trade breaches: {breaches:?}"
    );
    assert_eq!(breaches[0].qty, Some(8));
    assert_eq!(breaches[0].max, Some(5));

    let drops = taken(&seen.drops);
    assert_eq!(drops.len(), 1, "{drops:?}");
    assert_eq!((drops[0].high, drops[0].low), (Some(120.0), Some(100.0)));

    let heavy = taken(&seen.heavy);
    assert_eq!(
        heavy
            .iter()
            .map(|h| (h.sym.as_deref().map(str::to_owned), h.volume))
            .collect::<Vec<_>>(),
        vec![
            (Some("IBM".to_owned()), Some(12)),
            (Some("IBM".to_owned()), Some(17)),
        ],
        "the length window is per symbol"
    );

    let held = taken(&seen.held);
    assert_eq!(
        held.iter().map(|h| h.held).collect::<Vec<_>>(),
        vec![Some(1), Some(2), Some(2), Some(2)],
        "the named window holds two events; once full, each arrival's chunk (one expiry, one \
         arrival) gives one row without group by"
    );

    let ticks = taken(&seen.ticks);
    assert_eq!(
        ticks.iter().map(|t| t.at).collect::<Vec<_>>(),
        vec![Some(1_000), Some(2_000)]
    );

    let mut restored = desk::App::new();
    let again = watch(&mut restored);
    restored.restore(&snapshot).expect("restores");
    second_half(&mut restored);
    assert_eq!(
        taken(&again.breaches),
        breaches,
        "the table came back with the snapshot"
    );
    assert_eq!(
        taken(&again.drops),
        drops,
        "the partial match came back with the snapshot"
    );
    assert_eq!(
        taken(&again.heavy),
        heavy,
        "the partition's instances came back with the snapshot"
    );
    assert_eq!(
        taken(&again.ticks),
        ticks,
        "the trigger's schedule came back"
    );
}

eventflux_runtime::eventflux! {
    @app:name("Probe")
    @app:playback
    define stream Pings (host string, ms double);

    @info(name = "Slow")
    from Pings[ms > 100.0] #log("INFO", "slow ping")
    select host, ms * 2.0 as doubled
    return;
}

#[test]
fn a_return_query_hands_its_rows_to_callbacks_named_after_it() {
    use eventflux_runtime::Engine;
    let mut app = probe::App::new();
    let (slow, sink) = rows();
    app.on_slow(move |r| sink.lock().expect("not poisoned").push(r.clone()));
    let (values, sink) = rows();
    app.subscribe_values(
        "Slow",
        Box::new(move |out| {
            sink.lock()
                .expect("not poisoned")
                .push((out.stream.to_string(), out.values.to_vec()))
        }),
    );
    app.send_pings_at(1, probe::Pings::new("a", 50.0))
        .expect("in order");
    app.send_pings_at(2, probe::Pings::new("b", 150.0))
        .expect("in order");
    let slow = taken(&slow);
    assert_eq!(slow.len(), 1);
    assert_eq!(slow[0].host.as_deref(), Some("b"));
    assert_eq!(slow[0].doubled, Some(300.0));
    let values = taken(&values);
    assert_eq!(
        values,
        vec![(
            "Slow".to_string(),
            vec![
                eventflux_runtime::Value::from("b"),
                eventflux_runtime::Value::Double(300.0)
            ]
        )]
    );
}

eventflux_runtime::eventflux! {
    @app:name("Volumes")
    @app:playback
    define stream Trades (sym string, qty long);
    define stream Ask (sym string, per string);
    define aggregation Traded
        from Trades
        select sym, sum(qty) as total, count() as n
        group by sym
        aggregate every sec ... min;
    from Ask join Traded on Traded.sym == Ask.sym
        within 0L, 1000000L
        per Ask.per
    select AGG_TIMESTAMP as bucket, Traded.total as total, Traded.n as n
    insert into Answers;
}

#[test]
fn an_incremental_aggregation_runs_compiled_and_survives_a_snapshot() {
    let mut app = volumes::App::new();
    for (t, sym, qty) in [(1_000, "a", 5), (1_400, "b", 1), (2_100, "a", 7)] {
        app.send_trades_at(t, volumes::Trades::new(sym, qty))
            .expect("in order");
    }
    let snapshot = app.snapshot().expect("snapshots");
    let mut resumed = volumes::App::new();
    resumed.restore(&snapshot).expect("restores");
    for app in [&mut app, &mut resumed] {
        let (answers, sink) = rows();
        app.on_answers(move |r| sink.lock().expect("not poisoned").push(r.clone()));
        app.send_trades_at(61_000, volumes::Trades::new("a", 100))
            .expect("in order");
        app.send_ask_at(70_000, volumes::Ask::new("a", "seconds"))
            .expect("in order");
        app.send_ask_at(70_000, volumes::Ask::new("a", "minutes"))
            .expect("in order");
        let got: Vec<(Option<i64>, Option<i64>, Option<i64>)> = taken(&answers)
            .iter()
            .map(|r| (r.bucket, r.total, r.n))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(1_000), Some(5), Some(1)),
                (Some(2_000), Some(7), Some(1)),
                (Some(61_000), Some(100), Some(1)),
                (Some(0), Some(12), Some(2)),
                (Some(60_000), Some(100), Some(1)),
            ]
        );
    }
}
