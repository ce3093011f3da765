//! Compiles every app in `compiled/` to Rust (into OUT_DIR); `include_app!` brings one in.

fn main() {
    if let Err(e) = eventflux_codegen::emit::Builder::new()
        .input("compiled")
        .compile()
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
