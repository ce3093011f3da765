//! Helpers the runtime's integration tests share.

use eventflux_runtime::{App, Value};
use std::sync::{Arc, Mutex};

/// Every row of `stream`, as the app's subscribers get them.
pub fn collect(app: &mut App, stream: &str) -> Arc<Mutex<Vec<Vec<Value>>>> {
    let rows = Arc::new(Mutex::new(Vec::new()));
    let sink = rows.clone();
    app.subscribe(stream, move |out| {
        sink.lock().unwrap().push(out.values.to_vec())
    });
    rows
}
