//! Canonical JSON: strict parse, canonical encoding and Go's escaping, with round-trip checks.
//!
//! * `Value::parse` never panics; when it accepts the input, `compact_html_escaped` accepts it
//!   too and its output parses back to the same value;
//! * when the value has a canonical form `c`, `c` parses, re-encodes to exactly `c`, and
//!   `go_html_escape(c)` parses to the same value as `c`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use notary_client::canonical_json::{Value, compact_html_escaped, go_html_escape, go_string, to_canonical};

fuzz_target!(|data: &[u8]| {
    let compacted = compact_html_escaped(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let mut out = Vec::new();
        go_string(&mut out, s);
        let back: String = serde_json_parse_string(&out);
        assert_eq!(back, s, "go_string output does not decode to its input");
    }
    let Ok(value) = Value::parse(data) else { return };
    let compacted = compacted.expect("compact_html_escaped rejects JSON that Value::parse accepts");
    let from_compacted = Value::parse(&compacted).expect("compact_html_escaped output does not parse");
    assert_eq!(from_compacted, value, "compact_html_escaped changed the value");

    let Ok(canonical) = to_canonical(&value) else { return };
    let reparsed = Value::parse(&canonical).expect("canonical output does not parse");
    let again = to_canonical(&reparsed).expect("canonical output has no canonical form");
    assert_eq!(again, canonical, "canonical encoding is not a fixed point");
    let escaped = Value::parse(&go_html_escape(&canonical)).expect("HTML-escaped canonical output does not parse");
    assert_eq!(escaped, reparsed, "go_html_escape changed the value");
});

/// Decodes one JSON string literal with the crate's own strict parser.
fn serde_json_parse_string(literal: &[u8]) -> String {
    match Value::parse(literal) {
        Ok(Value::String(s)) => s,
        other => panic!("go_string wrote {:?}, parsed as {other:?}", String::from_utf8_lossy(literal)),
    }
}
