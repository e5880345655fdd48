//! `WWW-Authenticate` challenge parsing (`server::auth::challenge::{parse, parse_all}`), which
//! is public. Never panics; schemes and parameter names come out lower-case and non-empty, and
//! `parse_all` over the lines of the input equals the concatenation of `parse` per line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use notary_client::server::auth::challenge::{parse, parse_all};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let challenges = parse(&text);
    for c in &challenges {
        assert!(!c.scheme.is_empty(), "empty scheme in {text:?}");
        assert_eq!(c.scheme, c.scheme.to_ascii_lowercase());
        for (name, value) in &c.params {
            assert!(!name.is_empty(), "empty parameter name in {text:?}");
            assert_eq!(c.param(name), Some(value.as_str()));
            assert_eq!(c.param(&name.to_ascii_uppercase()), Some(value.as_str()));
        }
        let _ = (c.is_bearer(), c.is_basic(), c.realm(), c.service(), c.scope(), c.error());
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let all = parse_all(lines.iter().copied());
    let per_line: Vec<_> = lines.iter().flat_map(|l| parse(l)).collect();
    assert_eq!(all, per_line);
});
