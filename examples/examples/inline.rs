//! The inline form: an app written in Rust source with `eventflux!`, compiled with the crate.
//! Run with `cargo run -p eventflux-examples --example inline`.

eventflux_runtime::eventflux! {
    @app:name("Trading")
    @app:playback
    define stream Trades (sym string, price double, vol long);

    from Trades[price > 50.0]#window.length(3)
    select sym, avg(price) as ap, sum(vol) as v
    group by sym
    insert into Averages;
}

fn main() {
    let mut app = trading::App::new();
    app.on_averages(|row: &trading::Averages| {
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
    for (t, (sym, price, vol)) in trades.into_iter().enumerate() {
        let event = trading::Trades::new(sym, price, vol);
        if let Err(e) = app.send_trades_at(1_000 * (t as i64 + 1), event) {
            eprintln!("{e}");
        }
    }
}
