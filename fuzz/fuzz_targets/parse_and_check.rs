//! Feeds arbitrary bytes, as lossy UTF-8, to the parser and to the checker: neither may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = eventflux_codegen::parse("fuzz", &text);
    let _ = eventflux_codegen::check_app("fuzz", &text);
});
