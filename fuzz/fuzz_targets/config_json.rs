//! config.json: never panics, and where serde_json can judge the input
//! (valid UTF-8, no lone surrogates, shallow, one key naming the field) it
//! agrees on `currentContext`. serde_json is an independent JSON parser;
//! the Go-only behaviours (invalid UTF-8, duplicates, deep nesting, trailing
//! data) are covered by unit tests checked against the Docker CLI.
#![no_main]

use dctx_core::config_file::parse;
use dctx_core::gojson::field_matches;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let got = parse(data);
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let matching: Vec<&Value> = map
        .iter()
        .filter(|(k, _)| field_matches(k, "currentContext"))
        .map(|(_, v)| v)
        .collect();
    if matching.len() > 1 {
        return;
    }
    let expected = match matching.first() {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    assert_eq!(
        got.current_context,
        expected,
        "input {:?}",
        String::from_utf8_lossy(data)
    );
    // Go reports a type error for a non-string, non-null value only; other
    // fields may bring warnings of their own (config_schema's unit tests).
    let type_error = matches!(matching.first(), Some(v) if !v.is_string() && !v.is_null());
    if type_error || map.len() == matching.len() {
        assert_eq!(
            got.warning.is_some(),
            type_error,
            "warning {:?}",
            got.warning
        );
    }
});
