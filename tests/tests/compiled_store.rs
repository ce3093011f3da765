//! A compiled app with a table in an external store (`@store`): opened in a registry, rows loaded
//! at start and every change written through, the same rows as the interpreter writes, and the
//! built-in Redis store against a real server.

use eventflux_runtime::store::{MemoryStore, StoreRegistry, TableStore};
use eventflux_runtime::{App, Value};
use std::sync::{Arc, Mutex};

/// The app (also run by the interpreter's store tests).
const SHOP: &str = include_str!("../stores/shop.eventflux");

eventflux_runtime::eventflux!(file = "stores/shop.eventflux");

fn registry(store: &MemoryStore) -> StoreRegistry {
    let mut registry = StoreRegistry::empty();
    let store = store.clone();
    registry.register("shared", move |_| {
        Ok(Box::new(store.clone()) as Box<dyn TableStore>)
    });
    registry
}

fn changes(app: &mut shop::App) {
    app.send_adds(shop::Adds::new("IBM", 10.0));
    app.send_adds(shop::Adds::new("WSO2", 20.0));
    app.send_adds(shop::Adds::new("ORCL", 30.0));
    app.send_drops(shop::Drops::new("WSO2"));
    app.send_reprices(shop::Reprices::new("ORCL", 31.5));
}

fn row(sym: &str, price: f64) -> Vec<Value> {
    vec![Value::from(sym), Value::Double(price)]
}

#[test]
fn a_compiled_app_writes_its_table_through_and_loads_it_when_opened() {
    let store = MemoryStore::new();
    let mut app = shop::App::open_with(&registry(&store)).expect("the store opens");
    changes(&mut app);
    assert_eq!(
        store.rows(),
        vec![(0, row("IBM", 10.0)), (2, row("ORCL", 31.5))]
    );
    drop(app);

    let mut app = shop::App::open_with(&registry(&store)).expect("the store opens");
    let found = Arc::new(Mutex::new(Vec::new()));
    let sink = found.clone();
    app.on_found(move |f| sink.lock().expect("not poisoned").push(f.clone()));
    for sym in ["IBM", "WSO2", "ORCL"] {
        app.send_probe(shop::Probe::new(sym));
    }
    assert_eq!(
        *found.lock().expect("not poisoned"),
        vec![
            shop::Found::new("IBM", 10.0),
            shop::Found::new("ORCL", 31.5)
        ]
    );
    app.send_adds(shop::Adds::new("MSFT", 40.0));
    assert_eq!(store.rows().last(), Some(&(3, row("MSFT", 40.0))));
}

#[test]
fn the_compiled_app_and_the_interpreter_store_the_same_rows() {
    let compiled = MemoryStore::new();
    let mut app = shop::App::open_with(&registry(&compiled)).expect("the store opens");
    changes(&mut app);
    let interpreted = MemoryStore::new();
    let mut app =
        App::from_text_with_stores("shop", SHOP, &registry(&interpreted)).expect("the store opens");
    for (stream, values) in [
        ("Adds", row("IBM", 10.0)),
        ("Adds", row("WSO2", 20.0)),
        ("Adds", row("ORCL", 30.0)),
        ("Drops", vec![Value::from("WSO2")]),
        ("Reprices", row("ORCL", 31.5)),
    ] {
        app.send(stream, None, values).expect("a valid event");
    }
    assert_eq!(compiled.rows(), interpreted.rows());
}

#[test]
fn a_restored_snapshot_replaces_the_stored_rows_of_a_compiled_app() {
    let store = MemoryStore::new();
    let mut app = shop::App::open_with(&registry(&store)).expect("the store opens");
    app.send_adds(shop::Adds::new("IBM", 10.0));
    let snapshot = app.snapshot().expect("a snapshot");
    app.send_drops(shop::Drops::new("IBM"));
    assert!(store.rows().is_empty());
    app.restore(&snapshot).expect("the same app");
    assert_eq!(store.rows(), vec![(0, row("IBM", 10.0))]);
}

#[test]
fn an_unknown_store_type_fails_to_open_the_compiled_app() {
    let error = match shop::App::open_with(&StoreRegistry::empty()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("an unknown store type opened"),
    };
    assert_eq!(
        error,
        "table 'Prices': no store type 'shared' is known (known types: none)"
    );
}

mod redis_shop_app {
    eventflux_runtime::eventflux!(
        r#"
    @app:name('RedisShop')
    define stream Adds (sym string, price double);
    define stream Drops (sym string);
    define stream Probe (sym string);
    @store(type = 'redis', url = 'redis://127.0.0.1:6379/')
    @PrimaryKey('sym')
    define table Prices (sym string, price double);
    from Adds insert into Prices;
    from Drops delete Prices on Prices.sym == sym;
    from Probe join Prices on Probe.sym == Prices.sym
    select Prices.sym, Prices.price
    insert into Found;
    "#
    );
}
use redis_shop_app::redis_shop;

/// The built-in Redis store, with a key of this run's own; `None` (and a note) without a server
/// outside CI.
fn redis_registry() -> Option<StoreRegistry> {
    let reachable = std::net::TcpStream::connect_timeout(
        &"127.0.0.1:6379".parse().expect("a socket address"),
        std::time::Duration::from_millis(500),
    )
    .is_ok();
    if !reachable && std::env::var_os("CI").is_none() {
        eprintln!("skipped: no Redis server on 127.0.0.1:6379 (CI requires one)");
        return None;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let key = format!("eventflux-test:{}:{nanos}:compiled", std::process::id());
    let mut registry = StoreRegistry::empty();
    registry.register("redis", move |config| {
        let mut config = config.clone();
        config.options.insert("key".into(), key.clone());
        let store = eventflux_runtime::store::redis::RedisStore::open(&config)?;
        Ok(Box::new(store) as Box<dyn TableStore>)
    });
    Some(registry)
}

#[test]
fn a_compiled_app_keeps_its_table_in_redis_across_restarts() {
    let Some(registry) = redis_registry() else {
        return;
    };
    let mut app = redis_shop::App::open_with(&registry).unwrap_or_else(|e| panic!("{e}"));
    app.send_adds(redis_shop::Adds::new("IBM", 10.0));
    app.send_adds(redis_shop::Adds::new("WSO2", 20.0));
    app.send_drops(redis_shop::Drops::new("WSO2"));
    app.flush_stores().expect("the server takes the changes");
    drop(app);

    let mut app = redis_shop::App::open_with(&registry).unwrap_or_else(|e| panic!("{e}"));
    let found = Arc::new(Mutex::new(Vec::new()));
    let sink = found.clone();
    app.on_found(move |f| sink.lock().expect("not poisoned").push(f.clone()));
    app.send_probe(redis_shop::Probe::new("IBM"));
    app.send_probe(redis_shop::Probe::new("WSO2"));
    assert_eq!(
        *found.lock().expect("not poisoned"),
        vec![redis_shop::Found::new("IBM", 10.0)]
    );
    // Clean up: the hash goes with its last row.
    app.send_drops(redis_shop::Drops::new("IBM"));
    app.flush_stores().expect("the server takes the changes");
}
