//! meta.json: never panics, and dctx's Go-semantics JSON reader accepts
//! exactly the documents serde_json accepts, wherever serde_json's own
//! limits (UTF-8 only, no lone surrogates, 128 levels) do not apply.
#![no_main]

use dctx_core::context_meta::parse;
use dctx_core::gojson::Cursor;
use libfuzzer_sys::fuzz_target;

fn serde_judges(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let lower = text.to_ascii_lowercase();
    let lone_surrogate_possible = [
        "\\ud8", "\\ud9", "\\uda", "\\udb", "\\udc", "\\udd", "\\ude", "\\udf",
    ]
    .iter()
    .any(|p| lower.contains(p));
    let brackets = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    !lone_surrogate_possible && brackets < 100
}

fuzz_target!(|data: &[u8]| {
    let parsed = parse(data);
    let mut cursor = Cursor::new(data);
    let go_ok = cursor.skip_value().is_ok() && cursor.expect_end().is_ok();
    if parsed.is_ok() {
        assert!(go_ok, "parse accepted what the syntax check refuses");
    }
    if serde_judges(data) {
        let serde_ok = serde_json::from_slice::<serde::de::IgnoredAny>(data).is_ok();
        assert_eq!(
            go_ok,
            serde_ok,
            "syntax verdicts differ on {:?}",
            String::from_utf8_lossy(data)
        );
    }
});
