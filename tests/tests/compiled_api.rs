//! The API of a compiled app, end to end: typed sends and callbacks, nulls, batches, playback
//! errors, snapshot and restore into a new instance, names that are Rust keywords, names Rust
//! cannot take as they are, and the names the compiled path refuses.

use std::sync::{Arc, Mutex};

eventflux_runtime::eventflux! {
    @app:name("Shop")
    @app:playback
    define stream Orders (item string, type string, qty int, price double);

    from Orders[qty > 0] #window.length(2)
    select item, type, sum(qty) as total, avg(price) as mean
    group by item
    insert into Totals;

    from Totals[total >= 5]
    select item, total
    insert into Big;
}

fn collect(app: &mut shop::App) -> Arc<Mutex<Vec<shop::Totals>>> {
    let rows = Arc::new(Mutex::new(Vec::new()));
    let sink = rows.clone();
    app.on_totals(move |row| sink.lock().expect("not poisoned").push(row.clone()));
    rows
}

#[test]
fn typed_events_flow_through_chained_queries() {
    let mut app = shop::App::new();
    let totals = collect(&mut app);
    let big = Arc::new(Mutex::new(Vec::new()));
    let sink = big.clone();
    app.on_big_event(move |e| {
        sink.lock()
            .expect("not poisoned")
            .push((e.timestamp, e.data.clone()))
    });
    app.send_orders_at(10, shop::Orders::new("tea", "leaf", 2, 3.5))
        .expect("in order");
    app.send_orders_at(20, shop::Orders::new("tea", "leaf", 4, 4.5))
        .expect("in order");
    let totals = totals.lock().expect("not poisoned").clone();
    assert_eq!(totals.len(), 2);
    assert_eq!(totals[1].total, Some(6));
    assert_eq!(totals[1].mean, Some(4.0));
    assert_eq!(totals[1].r#type.as_deref(), Some("leaf"));
    let big = big.lock().expect("not poisoned").clone();
    assert_eq!(big.len(), 1);
    assert_eq!(big[0].0, 20);
    assert_eq!(big[0].1.total, Some(6));
}

#[test]
fn nulls_batches_and_out_of_order_events() {
    let mut app = shop::App::new();
    let totals = collect(&mut app);
    let with_null_price = shop::Orders {
        price: None,
        ..shop::Orders::new("jam", "jar", 1, 0.0)
    };
    app.send_orders_all([with_null_price, shop::Orders::new("jam", "jar", 0, 1.0)]);
    let rows = totals.lock().expect("not poisoned").clone();
    assert_eq!(rows.len(), 1, "the second order fails the filter");
    assert_eq!(rows[0].mean, None, "avg of nothing but nulls is null");
    app.send_orders_at(100, shop::Orders::new("jam", "jar", 1, 2.0))
        .expect("in order");
    let late = app.send_orders_at(50, shop::Orders::new("jam", "jar", 1, 2.0));
    assert!(
        late.is_err_and(|e| e.to_string().contains("before the clock")),
        "an event older than the clock is refused"
    );
}

#[test]
fn a_snapshot_restores_into_a_new_instance() {
    let mut first = shop::App::new();
    first
        .send_orders_at(10, shop::Orders::new("tea", "leaf", 2, 3.0))
        .expect("in order");
    let bytes = first.snapshot().expect("snapshot");
    let mut second = shop::App::new();
    second.restore(&bytes).expect("restore");
    assert_eq!(second.clock(), 10);
    let totals = collect(&mut second);
    second
        .send_orders_at(20, shop::Orders::new("tea", "leaf", 4, 5.0))
        .expect("in order");
    let rows = totals.lock().expect("not poisoned").clone();
    assert_eq!(rows[0].total, Some(6), "the window and sums came back");
    assert!(second.restore(b"not a snapshot").is_err());
}

#[test]
fn the_value_view_matches_the_typed_one() {
    use eventflux_runtime::{Engine, Value};
    let mut app = shop::App::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    app.subscribe_values(
        "Totals",
        Box::new(move |out| sink.lock().expect("not poisoned").push(out.values.to_vec())),
    );
    app.send_values(
        "Orders",
        Some(5),
        vec![
            Value::from("tea"),
            Value::from("leaf"),
            Value::Int(1),
            Value::Int(2),
        ],
    )
    .expect("an int widens to double");
    let wrong = app.send_values("Orders", Some(6), vec![Value::from("tea")]);
    assert!(wrong.is_err_and(|e| e.to_string().contains("takes 4 value(s)")));
    let wrong = app.send_values(
        "Orders",
        Some(6),
        vec![Value::Int(1), Value::Null, Value::Null, Value::Null],
    );
    assert!(wrong.is_err_and(|e| e.to_string().contains("'item'")));
    let rows = seen.lock().expect("not poisoned").clone();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][2], Value::Long(1));
}

eventflux_runtime::eventflux!(
    r#"
    @app:name("Odd names")
    @app:playback
    define stream foo (v int);
    define stream Foo (v int);
    define stream FooAt (v int);
    define stream i64 (None int, self int, self_ int);
    define stream `my stream` (v int);
    from foo select v insert into Result;
    from Foo select v * 10 as v insert into Result;
    from FooAt select v * 100 as v insert into Result;
    from i64 select None + self + self_ as v insert into Result;
    from `my stream` select v insert into Result;
    "#
);

#[test]
fn names_rust_cannot_take_as_they_are_get_other_rust_names() {
    let mut app = odd_names::App::new();
    let rows = Arc::new(Mutex::new(Vec::new()));
    let sink = rows.clone();
    app.on_result(move |row: &odd_names::Result_| {
        sink.lock().expect("not poisoned").push(row.v);
    });
    app.send_foo_at(1, odd_names::foo::new(1))
        .expect("in order");
    app.send_foo_2_at(2, odd_names::Foo::new(2))
        .expect("in order");
    app.send_foo_at_2_at(3, odd_names::FooAt::new(3))
        .expect("in order");
    let row = odd_names::i64_ {
        None_: Some(1),
        self_: Some(2),
        self__: Some(3),
    };
    app.send_i64_at(4, row).expect("in order");
    app.send_my_stream_at(5, odd_names::my_20_stream::new(5))
        .expect("in order");
    let rows = rows.lock().expect("not poisoned").clone();
    assert_eq!(rows, [Some(1), Some(20), Some(300), Some(6), Some(5)]);
}

#[test]
fn names_that_would_still_share_a_struct_are_refused_with_their_place() {
    let text = "define stream `my stream` (a int);\ndefine stream my_20_stream (a int);\nfrom my_20_stream select a insert into Out;";
    let plan = eventflux_codegen::check_app("app", text).expect("a valid app");
    let missing = eventflux_codegen::emit::emit_app(&plan).expect_err("refused");
    assert!(
        missing[0].feature.contains("`my_20_stream`"),
        "{}",
        missing[0].feature
    );
    let second_line = text.find('\n').expect("two lines");
    assert!(missing[0].span.start > second_line);
}
