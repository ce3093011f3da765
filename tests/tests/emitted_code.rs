//! What the compiler emits for one small app, formatted, so that reviewers see every change to
//! the generated code (`cargo insta review` after a change).

const APP: &str = r#"
@app:name('Trading')
define stream Trades (sym string, price double, vol long);

@info(name = 'averages')
from Trades[price > 50.0]#window.length(100)
select sym, avg(price) as ap
group by sym
insert into Averages;
"#;

#[test]
fn generated_code_of_a_small_app() {
    let plan = eventflux_codegen::check_app("trading.eventflux", APP).expect("the app checks");
    let source = eventflux_codegen::emit::emit_source(&plan).expect("the app compiles");
    insta::assert_snapshot!(source);
}
