//! Property tests for canonical JSON and Go's escaping rules (spec §2, traps T2/T3), and for the
//! sign → file → parse → verify fixed point of targets metadata (spec §2.5).
//!
//! Strings come from adversarial strategies: `<`, `>`, `&`, `"`, `\`, `/`, U+2028/U+2029,
//! U+FFFD, U+FEFF, DEL and C1 controls, astral characters, C0 control characters (where allowed)
//! and strings hundreds of kilobytes long. Every property also checks an independent
//! reference: a small re-implementation of the Go rule, or serde_json as a second decoder.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use notary_client::canonical_json::{CanonicalJsonError, Number, Value, go_html_escape, go_string, to_canonical};
use notary_client::keys::{Signer, SoftwareKey, verify_signature};
use notary_client::metadata::{
    Custom, DelegatedRole, Delegations, Expires, FileMeta, MAX_VERSION, RoleBody, RoleKeys, RoleName, Signed, Targets,
    TrustedKeys, Version,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

const TWO_POW_53: i64 = 1 << 53;

/// `cases` cases; failures are reported, not persisted (no regression files in the tree).
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Characters that break naive escapers or are treated specially by Go.
fn tricky_char() -> impl Strategy<Value = char> {
    prop::sample::select(vec![
        '<',
        '>',
        '&',
        '"',
        '\\',
        '/',
        '\'',
        'u',
        '0',
        ' ',
        '\u{7f}',
        '\u{80}',
        '\u{85}',
        '\u{a0}',
        'é',
        'ü',
        '\u{2028}',
        '\u{2029}',
        '\u{fffd}',
        '\u{feff}',
        '\u{e000}',
        '\u{ffff}',
        '\u{10000}',
        '\u{1f600}',
        '\u{10ffff}',
    ])
}

/// Any character except the C0 controls U+0000..U+001F.
fn non_control_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => tricky_char(),
        3 => any::<char>().prop_filter("no C0 controls", |c| u32::from(*c) >= 0x20),
        2 => (0x20u8..0x7f).prop_map(char::from),
        1 => (0x1_0000u32..0x11_0000).prop_filter_map("astral", char::from_u32),
    ]
}

fn control_char() -> impl Strategy<Value = char> {
    (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap())
}

/// Strings without control characters: mostly short, sometimes very long (up to ~240 KB).
fn clean_string() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(non_control_char(), 0..24).prop_map(String::from_iter),
        1 => (prop::collection::vec(non_control_char(), 1..4), 1usize..20_000)
            .prop_map(|(chars, n)| String::from_iter(chars).repeat(n)),
    ]
}

/// Any string, control characters included.
fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(prop_oneof![3 => non_control_char(), 1 => control_char()], 0..24)
            .prop_map(String::from_iter),
        1 => (prop::collection::vec(prop_oneof![non_control_char(), control_char()], 1..4), 1usize..20_000)
            .prop_map(|(chars, n)| String::from_iter(chars).repeat(n)),
    ]
}

/// A string that contains at least one control character.
fn string_with_control() -> impl Strategy<Value = String> {
    (clean_string(), control_char(), any_string()).prop_map(|(a, c, b)| format!("{a}{c}{b}"))
}

fn safe_integer() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => -TWO_POW_53..=TWO_POW_53,
        2 => -1000i64..1000,
        1 => prop::sample::select(vec![0, 1, -1, TWO_POW_53, -TWO_POW_53, TWO_POW_53 - 1, i64::from(i32::MAX)]),
    ]
}

fn integer_value(i: i64) -> Value {
    // As `Value::parse` represents it: non-negative literals are `Unsigned`.
    if i >= 0 { Value::Number(Number::Unsigned(i as u64)) } else { Value::Number(Number::Signed(i)) }
}

fn leaf(strings: BoxedStrategy<String>) -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        safe_integer().prop_map(integer_value),
        strings.prop_map(Value::String),
    ]
}

/// Generic JSON values (integers within ±2^53, strings and keys from `strings`).
fn value_with(strings: BoxedStrategy<String>) -> impl Strategy<Value = Value> {
    leaf(strings.clone()).prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(strings.clone(), inner, 0..6).prop_map(Value::Object),
        ]
    })
}

fn value() -> impl Strategy<Value = Value> {
    value_with(clean_string().boxed())
}

// ---------------------------------------------------------------------------------------------
// Independent references
// ---------------------------------------------------------------------------------------------

/// docker/go canonical encoding of a value, written from the spec (§2.2) independently of the
/// crate's writer: sorted keys (a BTreeMap iterates bytewise), no whitespace, only `"` and `\`
/// escaped.
fn reference_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(Number::Unsigned(u)) => write!(out, "{u}").unwrap(),
        Value::Number(Number::Signed(i)) => write!(out, "{i}").unwrap(),
        Value::Number(Number::Float(f)) => write!(out, "{}", *f as i64).unwrap(),
        Value::String(s) => reference_canonical_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                reference_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                reference_canonical_string(k, out);
                out.push(':');
                reference_canonical(item, out);
            }
            out.push('}');
        }
    }
}

fn reference_canonical_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Go 1.19 `encoding/json` string encoding with HTML escaping (`encodeState.string`).
fn reference_go_string(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '<' | '>' | '&' => write!(o, "\\u00{:02x}", u32::from(c)).unwrap(),
            c if u32::from(c) < 0x20 => write!(o, "\\u00{:02x}", u32::from(c)).unwrap(),
            '\u{2028}' | '\u{2029}' => write!(o, "\\u{:04x}", u32::from(c)).unwrap(),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Go's `json.HTMLEscape` over compact JSON.
fn reference_html_escape(s: &str) -> String {
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// The value as serde_json sees it (numbers as i64), for comparison with serde_json's decoding.
fn to_serde(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::Value::from(n.canonical_integer().unwrap()),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(items) => serde_json::Value::Array(items.iter().map(to_serde).collect()),
        Value::Object(m) => serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect()),
    }
}

fn all_strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| all_strings(i, out)),
        Value::Object(m) => {
            for (k, item) in m {
                out.push(k);
                all_strings(item, out);
            }
        }
        _ => {}
    }
}

/// Deserializes any JSON and fails unless every object's keys are strictly increasing bytewise
/// in document order.
struct SortedKeys;

impl<'de> Deserialize<'de> for SortedKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SortedKeysVisitor)
    }
}

struct SortedKeysVisitor;

impl<'de> Visitor<'de> for SortedKeysVisitor {
    type Value = SortedKeys;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<SortedKeys, E> {
        Ok(SortedKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<SortedKeys, E> {
        Ok(SortedKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<SortedKeys, E> {
        Ok(SortedKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<SortedKeys, E> {
        Ok(SortedKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<SortedKeys, E> {
        Ok(SortedKeys)
    }
    fn visit_unit<E>(self) -> Result<SortedKeys, E> {
        Ok(SortedKeys)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SortedKeys, A::Error> {
        while seq.next_element::<SortedKeys>()?.is_some() {}
        Ok(SortedKeys)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SortedKeys, A::Error> {
        let mut previous: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            if let Some(p) = &previous
                && p.as_bytes() >= key.as_bytes()
            {
                return Err(serde::de::Error::custom(format_args!("key {key:?} after {p:?}")));
            }
            map.next_value::<SortedKeys>()?;
            previous = Some(key);
        }
        Ok(SortedKeys)
    }
}

/// Walks JSON text, calling `f(byte, in_string)` for every byte; escapes are reported whole via
/// `esc(escape_bytes)`.
fn scan_json(bytes: &[u8], mut outside: impl FnMut(u8), mut esc: impl FnMut(&[u8])) {
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if b == b'\\' {
                let len = if bytes[i + 1] == b'u' { 6 } else { 2 };
                esc(&bytes[i..i + len]);
                i += len;
                continue;
            }
            if b == b'"' {
                in_string = false;
            }
        } else {
            outside(b);
            if b == b'"' {
                in_string = true;
            }
        }
        i += 1;
    }
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}

const HTML_SPECIALS: [&str; 5] = ["<", ">", "&", "\u{2028}", "\u{2029}"];

// ---------------------------------------------------------------------------------------------
// 1. Canonical encoding of generic values
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn canonical_encoding_round_trips_sorted_compact_and_minimally_escaped(v in value()) {
        let out = to_canonical(&v).expect("values without control characters have a canonical form");

        // Re-parses to an equal value.
        prop_assert_eq!(Value::parse(&out).expect("canonical output is valid JSON"), v.clone());
        // Equal to an independent encoder written from the spec.
        let mut reference = String::new();
        reference_canonical(&v, &mut reference);
        prop_assert!(out == reference.as_bytes(), "differs from the reference encoder");
        // serde_json decodes the same strings and numbers.
        let decoded: serde_json::Value = serde_json::from_slice(&out).expect("serde_json reads canonical output");
        prop_assert_eq!(decoded, to_serde(&v));
        // Object keys come out sorted bytewise, in document order.
        serde_json::from_slice::<SortedKeys>(&out).map_err(|e| TestCaseError::fail(format!("unsorted: {e}")))?;
        // No whitespace outside strings; inside strings only \" and \\ escapes.
        let mut bad_escape = None;
        let mut whitespace = false;
        scan_json(
            &out,
            |b| whitespace |= matches!(b, b' ' | b'\t' | b'\n' | b'\r'),
            |e| if e != b"\\\"" && e != b"\\\\" && bad_escape.is_none() { bad_escape = Some(e.to_vec()) },
        );
        prop_assert!(!whitespace, "whitespace outside strings");
        prop_assert!(bad_escape.is_none(), "escape {:?}", bad_escape.map(|e| String::from_utf8_lossy(&e).into_owned()));
        // <, >, &, U+2028, U+2029 are written raw: every occurrence in the data is in the output.
        let mut strings = Vec::new();
        all_strings(&v, &mut strings);
        for special in HTML_SPECIALS {
            let in_data: usize = strings.iter().map(|s| s.matches(special).count()).sum();
            prop_assert_eq!(count(&out, special.as_bytes()), in_data, "raw {:?}", special);
        }
    }

    #[test]
    fn canonical_encoding_is_deterministic_and_stable(v in value()) {
        let once = to_canonical(&v).unwrap();
        let twice = to_canonical(&Value::parse(&once).unwrap()).unwrap();
        prop_assert!(once == twice, "canonical form is not a fixed point");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Control characters are refused
// ---------------------------------------------------------------------------------------------

fn first_control(s: &str) -> u32 {
    s.chars().map(u32::from).find(|c| *c < 0x20).expect("has a control character")
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn control_characters_are_rejected_in_values_keys_and_nested(s in string_with_control(), other in value()) {
        let want = CanonicalJsonError::ControlCharacter(first_control(&s));
        prop_assert_eq!(to_canonical(&Value::String(s.clone())), Err(want.clone()));
        let as_key = Value::Object(BTreeMap::from([(s.clone(), Value::Null)]));
        prop_assert_eq!(to_canonical(&as_key), Err(want.clone()));
        let nested = Value::Array(vec![other.clone(), Value::Object(BTreeMap::from([("k".into(), Value::Array(vec![Value::String(s.clone())]))]))]);
        prop_assert_eq!(to_canonical(&nested), Err(want.clone()));
        // The JSON text with the escaped control character parses, but has no canonical form.
        let text = serde_json::to_vec(&serde_json::json!({ "a": s })).unwrap();
        let parsed = Value::parse(&text).expect("escaped control characters are valid JSON");
        prop_assert_eq!(to_canonical(&parsed), Err(want));
    }
}

// ---------------------------------------------------------------------------------------------
// 3. go_html_escape
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn html_escape_removes_the_five_characters_and_keeps_the_value(v in value()) {
        let canonical = to_canonical(&v).unwrap();
        let escaped = go_html_escape(&canonical);
        for special in HTML_SPECIALS {
            prop_assert_eq!(count(&escaped, special.as_bytes()), 0, "{:?} left in output", special);
        }
        let a: serde_json::Value = serde_json::from_slice(&canonical).unwrap();
        let b: serde_json::Value = serde_json::from_slice(&escaped).expect("escaped output is valid JSON");
        prop_assert_eq!(a, b);
        prop_assert_eq!(Value::parse(&escaped).unwrap(), v);
        let reference = reference_html_escape(std::str::from_utf8(&canonical).unwrap());
        prop_assert!(escaped == reference.as_bytes(), "differs from json.HTMLEscape");
        prop_assert!(go_html_escape(&escaped) == escaped, "not idempotent");
    }

    #[test]
    fn html_escape_of_arbitrary_text_matches_go(s in any_string()) {
        let escaped = go_html_escape(s.as_bytes());
        prop_assert!(escaped == reference_html_escape(&s).as_bytes());
        for special in HTML_SPECIALS {
            prop_assert_eq!(count(&escaped, special.as_bytes()), 0);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 4. go_string: Go 1.19 encoding/json string encoding
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn go_string_matches_go_and_round_trips(s in any_string()) {
        let mut out = Vec::new();
        go_string(&mut out, &s);
        prop_assert!(out == reference_go_string(&s).as_bytes(), "differs from Go 1.19 encodeState.string");
        let back: String = serde_json::from_slice(&out).expect("go_string output is a JSON string");
        prop_assert_eq!(&back, &s);
        prop_assert!(out.iter().all(|b| *b >= 0x20), "raw control byte in output");
        for special in HTML_SPECIALS {
            prop_assert_eq!(count(&out[1..out.len() - 1], special.as_bytes()), 0, "{:?} unescaped", special);
        }
        let mut bad = None;
        scan_json(&out, |_| {}, |e| {
            let ok = matches!(e, b"\\\"" | b"\\\\" | b"\\n" | b"\\r" | b"\\t" | b"\\u2028" | b"\\u2029")
                || (e.len() == 6 && e.starts_with(b"\\u00") && {
                    let hex = std::str::from_utf8(&e[4..]).unwrap();
                    let code = u8::from_str_radix(hex, 16).unwrap();
                    hex == hex.to_lowercase() && (code < 0x20 || matches!(code, b'<' | b'>' | b'&')) && !matches!(code, b'\n' | b'\r' | b'\t')
                });
            if !ok && bad.is_none() {
                bad = Some(String::from_utf8_lossy(e).into_owned());
            }
        });
        prop_assert!(bad.is_none(), "unexpected escape {:?}", bad);
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Targets metadata: sign → file → parse → verify → identical file
// ---------------------------------------------------------------------------------------------

/// Custom data Go can verify: canonical and free of `<`, `>`, `&`, U+2028, U+2029. A top-level
/// `null` is left out here: it is refused as custom data (see
/// `custom_data_that_is_json_null_is_refused`).
fn custom_data() -> impl Strategy<Value = Option<Custom>> {
    let strings = clean_string().prop_map(|s| s.replace(['<', '>', '&', '\u{2028}', '\u{2029}'], "_")).boxed();
    prop::option::of(
        value_with(strings)
            .prop_filter("custom data `null` is refused", |v| *v != Value::Null)
            .prop_map(|v| Custom::canonical(&v).expect("html-free data")),
    )
}

fn file_meta() -> impl Strategy<Value = FileMeta> {
    (
        0i64..=TWO_POW_53,
        prop::array::uniform32(any::<u8>()),
        prop::option::of(prop::collection::vec(any::<u8>(), 64)),
        custom_data(),
    )
        .prop_map(|(length, sha256, sha512, custom)| {
            let mut meta = FileMeta::sha256_only(sha256, length);
            if let Some(d) = sha512 {
                meta.hashes.insert("sha512".into(), d);
            }
            meta.custom = custom;
            meta
        })
}

/// An RFC 3339 instant with a random offset and fraction, as Go writes them.
fn expires() -> impl Strategy<Value = Expires> {
    (0i64..253_402_214_400, 0u32..1_000_000_000, -1439i32..=1439, any::<bool>()).prop_map(
        |(secs, nanos, offset_min, frac)| {
            let offset = chrono::FixedOffset::east_opt(offset_min * 60).unwrap();
            let t =
                chrono::DateTime::from_timestamp(secs, if frac { nanos } else { 0 }).unwrap().with_timezone(&offset);
            let text = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, offset_min == 0);
            Expires::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
        },
    )
}

fn delegations() -> impl Strategy<Value = Vec<(String, Vec<String>)>> {
    prop::collection::vec(("[-a-z0-9_]{1,16}", prop::collection::vec(clean_string(), 0..3)), 0..3)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().unwrap()
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn signed_targets_are_a_fixed_point_and_verify(
        targets in prop::collection::btree_map(clean_string(), file_meta(), 0..6),
        version in 1u64..=MAX_VERSION,
        expires in expires(),
        delegated in delegations(),
    ) {
        let key = SoftwareKey::generate_p256().unwrap();
        let deleg_key = SoftwareKey::generate_p256().unwrap();
        let mut body = Targets::new(expires, Version::new(version).unwrap());
        body.targets = targets.clone();
        if !delegated.is_empty() {
            let id = deleg_key.public_key().id().clone();
            let mut d = Delegations::empty();
            d.keys = Some(BTreeMap::from([(id.clone(), deleg_key.public_key().clone())]));
            let mut seen = std::collections::BTreeSet::new();
            d.roles = Some(
                delegated
                    .iter()
                    .filter(|(name, _)| seen.insert(name.clone()))
                    .map(|(name, paths)| DelegatedRole {
                        name: RoleName::new(format!("targets/{name}")).unwrap(),
                        keys: RoleKeys::new(vec![id.clone()], 1),
                        paths: paths.clone(),
                    })
                    .collect(),
            );
            body.delegations = d;
        }
        let canonical = body.canonical_bytes().unwrap();

        let signed = runtime().block_on(Signed::sign(RoleName::targets(), body.clone(), &[&key])).unwrap();
        prop_assert!(signed.message() == canonical.as_slice(), "signed message is not the canonical body");
        let file = signed.to_file_bytes().unwrap();

        // The file is the envelope around the HTML-escaped canonical body, with no raw <>&.
        let prefix = [b"{\"signed\":".as_slice(), &go_html_escape(&canonical), b",\"signatures\":[{\"keyid\":\""].concat();
        prop_assert!(file.starts_with(&prefix), "file is not {{\"signed\":ESC(canonical),\"signatures\":[…");
        for special in HTML_SPECIALS {
            prop_assert_eq!(count(&file, special.as_bytes()), 0, "raw {:?} in the file", special);
        }
        prop_assert!(!file.ends_with(b"\n"));

        // Parse → verify → re-serialise: identical bytes.
        let parsed = Signed::<Targets>::parse(RoleName::targets(), &file).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.signed(), &body);
        prop_assert!(parsed.message() == canonical.as_slice(), "verifier message differs from the signed bytes");
        let trusted = TrustedKeys { keys: BTreeMap::from([(key.public_key().id().clone(), key.public_key().clone())]), threshold: 1 };
        let valid = parsed.verify(&trusted).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(valid.contains(key.public_key().id()));
        prop_assert!(parsed.to_file_bytes().unwrap() == file, "parse → re-serialise is not a fixed point");
        prop_assert!(parsed.raw_bytes() == Some(file.as_slice()));

        // The signature is over the canonical bytes, raw r‖s.
        let sig = &parsed.signatures()[0];
        prop_assert_eq!(sig.sig.len(), 64);
        prop_assert!(verify_signature(key.public_key(), &sig.method, &canonical, &sig.sig).is_ok());

        // Keys are sorted in the message, and an independent decoder sees the same target names.
        serde_json::from_slice::<SortedKeys>(parsed.message()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded: serde_json::Value = serde_json::from_slice(&file).unwrap();
        let names: Vec<&String> = decoded["signed"]["targets"].as_object().unwrap().keys().collect();
        prop_assert_eq!(names, targets.keys().collect::<Vec<_>>());
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Numbers
// ---------------------------------------------------------------------------------------------

fn canonical_of_text(text: &str) -> Result<String, CanonicalJsonError> {
    let v = Value::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
    to_canonical(&v).map(|b| String::from_utf8(b).unwrap())
}

/// `digits` with a decimal point moved `k` places left and an exponent `e{k}` compensating.
fn shifted(i: i64, k: usize) -> String {
    let digits = i.unsigned_abs().to_string();
    let digits = format!("{}{digits}", "0".repeat((k + 1).saturating_sub(digits.len())));
    let (a, b) = digits.split_at(digits.len() - k);
    format!("{}{a}.{b}e{k}", if i < 0 { "-" } else { "" })
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn safe_integers_canonicalise_as_themselves(i in safe_integer()) {
        prop_assert_eq!(canonical_of_text(&i.to_string()), Ok(i.to_string()));
        prop_assert_eq!(integer_value(i), Value::parse(i.to_string().as_bytes()).unwrap());
        let n = if i >= 0 { Number::Unsigned(i as u64) } else { Number::Signed(i) };
        prop_assert_eq!(n.canonical_integer(), Ok(i));
    }

    #[test]
    fn integral_floats_print_as_integers(i in safe_integer(), k in 1usize..4) {
        let want = i.to_string();
        let mut texts = vec![format!("{i}e0"), format!("{i}E+0"), shifted(i, k)];
        // Decimal literals are read correctly rounded, so a zero fraction never changes the value.
        texts.extend([format!("{i}.0"), format!("{i}.000")]);
        if i % 1000 == 0 && i != 0 {
            texts.push(format!("{}e3", i / 1000));
        }
        for text in texts {
            prop_assert_eq!(canonical_of_text(&text), Ok(want.clone()), "{}", text);
        }
    }

    #[test]
    fn non_integral_floats_are_errors(
        // Fractions representable at the magnitude: halves..eighths up to 2^49, 0.1/0.0001 up to 2^36.
        (i, frac) in prop_oneof![
            (-(1i64 << 49)..(1i64 << 49), prop::sample::select(vec!["5", "25", "125", "75", "375"])),
            (-(1i64 << 36)..(1i64 << 36), prop::sample::select(vec!["1", "0001", "3333"])),
        ],
    ) {
        let text = format!("{i}.{frac}");
        prop_assert!(matches!(canonical_of_text(&text), Err(CanonicalJsonError::NonIntegral(_))), "{}", text);
        let small = format!("{}e-{}", frac.trim_start_matches('0'), frac.len());
        prop_assert!(matches!(canonical_of_text(&small), Err(CanonicalJsonError::NonIntegral(_))), "{}", small);
    }

    #[test]
    fn integers_beyond_two_pow_53_are_errors(u in (TWO_POW_53 as u64 + 1)..=u64::MAX, neg in any::<bool>()) {
        let text = if neg && u <= i64::MAX as u64 { format!("-{u}") } else { u.to_string() };
        prop_assert_eq!(canonical_of_text(&text), Err(CanonicalJsonError::OutOfRange(text.clone())));
    }

    #[test]
    fn any_f64_follows_the_go_rule(f in any::<f64>()) {
        let got = to_canonical(&Value::Number(Number::Float(f)));
        if f.is_finite() && f.fract() == 0.0 && f.abs() <= TWO_POW_53 as f64 {
            prop_assert_eq!(got, Ok(format!("{}", f as i64).into_bytes()));
        } else if f.is_finite() && f.fract() == 0.0 {
            prop_assert!(matches!(got, Err(CanonicalJsonError::OutOfRange(_))), "{:?}", got);
        } else {
            prop_assert!(matches!(got, Err(CanonicalJsonError::NonIntegral(_))), "{:?}", got);
        }
    }
}

#[test]
fn number_edge_cases() {
    for (text, want) in [
        ("1.0", "1"),
        ("1e3", "1000"),
        ("1E3", "1000"),
        ("-2E0", "-2"),
        ("-0", "0"),
        ("-0.0", "0"),
        ("0e10", "0"),
        ("12.5e1", "125"),
        ("9007199254740992", "9007199254740992"),
        ("-9007199254740992", "-9007199254740992"),
        ("9007199254740992.0", "9007199254740992"),
        ("9.007199254740992e15", "9007199254740992"),
    ] {
        assert_eq!(canonical_of_text(text).as_deref(), Ok(want), "{text}");
    }
    for text in ["0.5", "-0.5", "1e-1", "1.0000001", "1234567.5"] {
        assert!(matches!(canonical_of_text(text), Err(CanonicalJsonError::NonIntegral(_))), "{text}");
    }
    for text in ["9007199254740993", "-9007199254740993", "18446744073709551615", "1e16", "1e300", "-1e300"] {
        assert!(matches!(canonical_of_text(text), Err(CanonicalJsonError::OutOfRange(_))), "{text}");
    }
    // Beyond f64: not JSON this crate (or Go) can represent.
    assert!(Value::parse(b"1e400").is_err());
    // A version or length field written by Go is always an integer literal; `Version` caps at
    // 2^31-1 and lengths at 2^53.
    assert_eq!(Version::new(MAX_VERSION).unwrap().get(), MAX_VERSION);
    assert!(Version::new(MAX_VERSION + 1).is_err());
}

/// `RoleBody` is used through its trait method above; make sure the helper is exercised for all
/// body kinds so that a change in member order shows up here too.
#[test]
fn empty_targets_body_is_go_exact() {
    let body = Targets::new(Expires::parse("2030-01-02T03:04:05Z").unwrap(), Version::FIRST);
    assert_eq!(
        body.canonical_bytes().unwrap(),
        br#"{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-02T03:04:05Z","targets":{},"version":1}"#
    );
}

// ---------------------------------------------------------------------------------------------
// Decimal literals are read as Go reads them; custom data `null` is refused
// ---------------------------------------------------------------------------------------------

/// A decimal literal as Go's `strconv.ParseFloat` (correctly rounded, like Rust's `str::parse`)
/// reads it, then canonicalised by Go's rule.
fn go_canonical_of_text(text: &str) -> Result<String, &'static str> {
    let f: f64 = text.parse().unwrap();
    if f.fract() != 0.0 {
        Err("non-integral")
    } else if f.abs() > TWO_POW_53 as f64 {
        Err("out of range")
    } else {
        Ok(format!("{}", f as i64))
    }
}

fn decimal_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        safe_integer().prop_map(|i| format!("{i}.0")),
        (safe_integer(), "[0-9]{1,20}").prop_map(|(i, f)| format!("{i}.{f}")),
        ("[1-9][0-9]{0,24}", "[0-9]{1,24}", -30i32..30).prop_map(|(a, b, e)| format!("{a}.{b}e{e}")),
    ]
}

proptest! {
    #![proptest_config(config(1024))]

    /// Decimal literals are read correctly rounded, as Go's `strconv.ParseFloat` reads them, so
    /// their canonical form is Go's: `7211424717807631.0` is `7211424717807631` (not
    /// `7211424717807630`), and `4503599627370495.5` is refused as non-integral (not rounded to
    /// `4503599627370495`).
    #[test]
    fn float_literals_canonicalise_like_go(text in decimal_literal()) {
        let ours = canonical_of_text(&text);
        match go_canonical_of_text(&text) {
            Ok(go) => prop_assert_eq!(ours, Ok(go), "{}", text),
            Err("non-integral") => prop_assert!(matches!(ours, Err(CanonicalJsonError::NonIntegral(_))), "{}: {:?}", text, ours),
            Err(_) => prop_assert!(matches!(ours, Err(CanonicalJsonError::OutOfRange(_))), "{}: {:?}", text, ours),
        }
    }
}

/// `"custom":null` reads back (in Go and in this crate) as "no custom data", so a file carrying
/// it would not be a fixed point of parse → re-serialise, and the server's snapshot hash of the
/// role would not match the uploaded bytes (spec §2.5). Custom data that is JSON `null` is
/// therefore refused when it is built; custom data that merely contains `null`, and no custom
/// data at all, sign to files that are fixed points.
#[test]
fn custom_data_that_is_json_null_is_refused() {
    assert!(Custom::canonical(&Value::Null).is_err());
    assert!(Custom::from_json(b"null").is_err());
    assert!(Custom::from_json(b" null ").is_err());
    let key = SoftwareKey::generate_p256().unwrap();
    for custom in [None, Some(Custom::from_json(b"{\"a\":null}").unwrap()), Some(Custom::from_json(b"[null]").unwrap())]
    {
        let mut body = Targets::new(Expires::parse("2030-01-02T03:04:05Z").unwrap(), Version::FIRST);
        let mut meta = FileMeta::sha256_only([7; 32], 1);
        meta.custom = custom;
        body.targets.insert("t".into(), meta);
        let signed = runtime().block_on(Signed::sign(RoleName::targets(), body, &[&key])).unwrap();
        let file = signed.to_file_bytes().unwrap();
        let reparsed = Signed::<Targets>::parse(RoleName::targets(), &file).unwrap().to_file_bytes().unwrap();
        assert_eq!(String::from_utf8(reparsed).unwrap(), String::from_utf8(file).unwrap());
    }
}
