eventflux_runtime::eventflux!(
    r#"
    @app:name('Trading')
    define stream Trades (sym string, price double, vol long);
    from Trades select sym, volume insert into Out;
    "#
);

fn main() {
    let _ = trading::App::new();
}
