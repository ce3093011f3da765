//! Tables in external stores (`@store`) through the interpreter: rows loaded at start, every
//! change written through, failures reported and retried, snapshots written back; a store type
//! registered by the user, and the built-in Redis store against a real server.

mod common;

use common::collect;
use eventflux_runtime::store::{
    BackendError, MemoryStore, StoreChange, StoreConfig, StoreError, StoreRegistry, TableStore,
};
use eventflux_runtime::table::Change;
use eventflux_runtime::{App, BuildError, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A memory store that a test can look inside and make fail.
#[derive(Clone, Default)]
struct Shared {
    store: MemoryStore,
    failing: Arc<AtomicBool>,
    configs: Arc<Mutex<Vec<StoreConfig>>>,
}

impl TableStore for Shared {
    fn load(&mut self) -> Result<Vec<(u64, Vec<Value>)>, BackendError> {
        self.store.load()
    }

    fn apply(&mut self, changes: &[StoreChange]) -> Result<(), BackendError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err("the store is down".into());
        }
        self.store.apply(changes)
    }
}

fn registry(shared: &Shared) -> StoreRegistry {
    let mut registry = StoreRegistry::empty();
    let shared = shared.clone();
    registry.register("shared", move |config| {
        shared.configs.lock().unwrap().push(config.clone());
        Ok(Box::new(shared.clone()) as Box<dyn TableStore>)
    });
    registry
}

/// The app (the compiled path's store tests compile the same file).
const APP: &str = include_str!("../../tests/stores/shop.eventflux");

fn row(sym: &str, price: f64) -> Vec<Value> {
    vec![Value::from(sym), Value::Double(price)]
}

fn stored(shared: &Shared) -> Vec<(u64, Vec<Value>)> {
    shared.store.rows()
}

#[test]
fn every_change_is_written_through_and_loaded_by_the_next_app() {
    let shared = Shared::default();
    let mut app = App::from_text_with_stores("shop", APP, &registry(&shared)).unwrap();
    {
        let configs = shared.configs.lock().unwrap();
        assert_eq!(configs.len(), 1);
        assert_eq!(configs[0].app, "Shop");
        assert_eq!(configs[0].table, "Prices");
        assert_eq!(configs[0].option("REGION"), Some("eu"));
        assert_eq!(configs[0].kind(), "shared");
    }
    app.send("Adds", None, row("IBM", 10.0)).unwrap();
    app.send("Adds", None, row("WSO2", 20.0)).unwrap();
    app.send("Adds", None, row("ORCL", 30.0)).unwrap();
    app.send("Drops", None, vec![Value::from("WSO2")]).unwrap();
    app.send("Reprices", None, row("ORCL", 31.5)).unwrap();
    assert_eq!(
        stored(&shared),
        vec![(0, row("IBM", 10.0)), (2, row("ORCL", 31.5))]
    );
    drop(app);

    // A new app starts from the stored rows, and new rows get ids after them.
    let mut app = App::from_text_with_stores("shop", APP, &registry(&shared)).unwrap();
    let found = collect(&mut app, "Found");
    for sym in ["IBM", "WSO2", "ORCL"] {
        app.send("Probe", None, vec![Value::from(sym)]).unwrap();
    }
    assert_eq!(
        *found.lock().unwrap(),
        vec![row("IBM", 10.0), row("ORCL", 31.5)]
    );
    app.send("Adds", None, row("MSFT", 40.0)).unwrap();
    assert_eq!(stored(&shared).last(), Some(&(3, row("MSFT", 40.0))));
}

#[test]
fn a_failing_store_keeps_its_changes_and_gets_them_with_the_next_write() {
    let shared = Shared::default();
    let text = APP.replace(
        "define stream Adds",
        "@OnError(action = 'STREAM')\ndefine stream Adds",
    ) + "from !Adds select sym, _error insert into Failed;";
    let mut app = App::from_text_with_stores("shop", &text, &registry(&shared)).unwrap();
    let failed = collect(&mut app, "Failed");
    shared.failing.store(true, Ordering::SeqCst);
    app.send("Adds", None, row("IBM", 10.0)).unwrap();
    app.send("Adds", None, row("WSO2", 20.0)).unwrap();
    {
        let failed = failed.lock().unwrap();
        assert_eq!(failed.len(), 2, "{failed:?}");
        let message = failed[1][1].to_text();
        assert!(
            message.contains("table 'Prices' (store 'shared'): the store is down")
                && message.contains("2 changes wait to be written"),
            "{message}"
        );
    }
    assert!(stored(&shared).is_empty());
    // The app went on with the rows in memory.
    let found = collect(&mut app, "Found");
    app.send("Probe", None, vec![Value::from("IBM")]).unwrap();
    assert_eq!(*found.lock().unwrap(), vec![row("IBM", 10.0)]);
    assert!(matches!(
        app.flush_stores(),
        Err(StoreError::Backend { ref table, .. }) if table == "Prices"
    ));
    shared.failing.store(false, Ordering::SeqCst);
    app.flush_stores().unwrap();
    assert_eq!(
        stored(&shared),
        vec![(0, row("IBM", 10.0)), (1, row("WSO2", 20.0))]
    );
}

#[test]
fn a_restored_snapshot_replaces_the_stored_rows() {
    let shared = Shared::default();
    let mut app = App::from_text_with_stores("shop", APP, &registry(&shared)).unwrap();
    app.send("Adds", None, row("IBM", 10.0)).unwrap();
    let snapshot = app.snapshot().unwrap();
    app.send("Drops", None, vec![Value::from("IBM")]).unwrap();
    app.send("Adds", None, row("WSO2", 20.0)).unwrap();
    assert_eq!(stored(&shared), vec![(1, row("WSO2", 20.0))]);
    app.restore(&snapshot).unwrap();
    assert_eq!(stored(&shared), vec![(0, row("IBM", 10.0))]);
}

#[test]
fn an_unknown_store_type_is_refused_when_the_app_is_built() {
    let text = APP.replace("type = 'shared'", "type = 'mongo'");
    let error = match App::from_text_with_stores("shop", &text, &registry(&Shared::default())) {
        Err(e) => e,
        Ok(_) => panic!("an unknown store type was accepted"),
    };
    assert!(matches!(error, BuildError::Store(_)));
    assert_eq!(
        error.to_string(),
        "table 'Prices': no store type 'mongo' is known (known types: shared)"
    );
}

#[test]
fn a_stored_row_that_does_not_fit_the_table_is_refused_with_its_id() {
    let shared = Shared::default();
    let mut store = shared.store.clone();
    store
        .apply(&[Change::Put(7, vec![Value::from("IBM"), Value::from("ten")])])
        .unwrap();
    let error = match App::from_text_with_stores("shop", APP, &registry(&shared)) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a malformed stored row was accepted"),
    };
    assert!(
        error.starts_with("table 'Prices' (store 'shared'): stored row 7, attribute 'price'"),
        "{error}"
    );
}

/// The Redis server of the tests: required when `CI` is set, otherwise the test says it skips.
fn redis_url() -> Option<String> {
    let url = std::env::var("EVENTFLUX_TEST_REDIS")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_string());
    let reachable = std::net::TcpStream::connect_timeout(
        &"127.0.0.1:6379".parse().expect("a socket address"),
        std::time::Duration::from_millis(500),
    )
    .is_ok();
    if reachable || std::env::var_os("CI").is_some() {
        Some(url)
    } else {
        eprintln!("skipped: no Redis server on 127.0.0.1:6379 (CI requires one)");
        None
    }
}

#[test]
fn redis_keeps_a_table_across_app_restarts() {
    let Some(url) = redis_url() else {
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let key = format!("eventflux-test:{}:{nanos}:prices", std::process::id());
    let text = APP.replace(
        "type = 'shared', region = 'eu'",
        &format!("type = 'redis', url = '{url}', key = '{key}'"),
    );
    let mut app = App::from_text("shop", &text).unwrap_or_else(|e| panic!("{e}"));
    app.send("Adds", None, row("IBM", 10.0)).unwrap();
    app.send("Adds", None, row("WSO2", 20.0)).unwrap();
    app.send("Adds", None, row("ORCL", 30.0)).unwrap();
    app.send("Drops", None, vec![Value::from("WSO2")]).unwrap();
    app.send("Reprices", None, row("ORCL", 31.5)).unwrap();
    app.flush_stores().unwrap();
    drop(app);

    let mut app = App::from_text("shop", &text).unwrap_or_else(|e| panic!("{e}"));
    let found = collect(&mut app, "Found");
    for sym in ["IBM", "WSO2", "ORCL"] {
        app.send("Probe", None, vec![Value::from(sym)]).unwrap();
    }
    assert_eq!(
        *found.lock().unwrap(),
        vec![row("IBM", 10.0), row("ORCL", 31.5)]
    );
    // Clean up: the hash goes with its last row.
    for sym in ["IBM", "ORCL"] {
        app.send("Drops", None, vec![Value::from(sym)]).unwrap();
    }
    app.flush_stores().unwrap();
    drop(app);
    let mut app = App::from_text("shop", &text).unwrap_or_else(|e| panic!("{e}"));
    let found = collect(&mut app, "Found");
    for sym in ["IBM", "ORCL"] {
        app.send("Probe", None, vec![Value::from(sym)]).unwrap();
    }
    assert!(found.lock().unwrap().is_empty());
}

#[test]
fn an_unreachable_redis_server_is_a_build_error_naming_the_table() {
    let text = APP.replace(
        "type = 'shared', region = 'eu'",
        "type = 'redis', url = 'redis://127.0.0.1:1/', timeout.ms = '500'",
    );
    let error = match App::from_text("shop", &text) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("an unreachable server was accepted"),
    };
    assert!(
        error.starts_with("table 'Prices' (store 'redis'): cannot connect to redis://127.0.0.1:1/"),
        "{error}"
    );
}
