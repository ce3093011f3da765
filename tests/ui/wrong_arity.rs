eventflux_runtime::eventflux! {
    @app:name("Trading")
    define stream Trades (sym string, price double, vol long);
    from Trades #window.length(10)
    select sym, avg(price, vol) as ap
    insert into Out;
}

fn main() {
    let _ = trading::App::new();
}
