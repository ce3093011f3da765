eventflux_runtime::eventflux! {
    @app:name("Trading")
    define stream Trades (sym string, price double, vol long);
    from Trades[sym > 50.0]
    select sym, price
    insert into Out;
}

fn main() {
    let _ = trading::App::new();
}
