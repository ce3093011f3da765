//! Generates the LALRPOP parser into `OUT_DIR`.
fn main() {
    println!("cargo:rerun-if-changed=src/grammar.lalrpop");
    lalrpop::process_src().expect("the EventFluxQL grammar must generate");
}
