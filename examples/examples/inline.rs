//! The inline form: the app of `compiled/averages.eventflux`, written in Rust source with
//! `eventflux!` and compiled with the crate. Errors in the query are compile errors on its
//! tokens. Run with `cargo run -p eventflux-examples --example inline`.

eventflux_runtime::eventflux! {
    @app:name("Averages")
    @app:playback
    define stream Trades (sym string, price double, vol long);

    @info(name = "averages")
    from Trades[price > 50.0] #window.length(3)
    select sym, avg(price) as ap, sum(vol) as v
    group by sym
    insert into Averages;
}

fn main() {
    let mut app = averages::App::new();
    app.on_averages(|row: &averages::Averages| {
        println!(
            "{} average {:.2} volume {}",
            row.sym.as_deref().unwrap_or("null"),
            row.ap.unwrap_or(f64::NAN),
            row.v.unwrap_or(0)
        );
    });
    let trades = [
        averages::Trades::new("IBM", 75.0, 10),
        averages::Trades::new("WSO2", 55.5, 20),
        averages::Trades::new("IBM", 80.0, 5),
        averages::Trades::new("IBM", 40.0, 7),
        averages::Trades::new("WSO2", 60.5, 1),
    ];
    for (i, trade) in trades.into_iter().enumerate() {
        if let Err(e) = app.send_trades_at(1_000 * (i as i64 + 1), trade) {
            eprintln!("{e}");
        }
    }
}
