//! build.rs generation: `compiled/averages.eventflux` is compiled to Rust by `build.rs`, and
//! `include_app!` brings it into the module `averages`.
//! Run with `cargo run -p eventflux-examples --example build_rs`.

mod averages {
    eventflux_runtime::include_app!("averages");
}

fn main() {
    let mut app = averages::App::new();
    app.on_averages(|row| {
        println!(
            "{} average {:.2} volume {}",
            row.sym.as_deref().unwrap_or("null"),
            row.ap.unwrap_or(f64::NAN),
            row.v.unwrap_or(0)
        );
    });
    let trades = [
        ("IBM", 75.0, 10),
        ("WSO2", 55.5, 20),
        ("IBM", 80.0, 5),
        ("IBM", 40.0, 7),
        ("WSO2", 60.5, 1),
    ];
    for (i, (sym, price, vol)) in trades.into_iter().enumerate() {
        let at = 1_000 * (i as i64 + 1);
        if let Err(e) = app.send_trades_at(at, averages::Trades::new(sym, price, vol)) {
            eprintln!("{e}");
        }
    }
}
