//! A corpus of malformed metadata: each case must produce one specific, typed error that names
//! the file and (for parse errors) the JSON path of the field, and nothing may panic.
//!
//! The corpus is generated from real notary 0.7 files (`fixtures/notary-cli/.../metadata`: root,
//! targets, targets/releases, snapshot, timestamp) by mutating their JSON; hand-written hostile
//! files live in `fixtures/malformed/` (listed in its README and in [`hand_written_files`]).
//!
//! The typed parse runs first, so a bad `version`, `length` or `expires` is reported at its
//! field. What the typed parse accepts but has no canonical form (a control character in a
//! target name, a delegation path or custom data; a fraction in an unknown member) then fails
//! the canonical-JSON check, whose errors (`Canonical`) carry no path.
//!
//! Where this client refuses what Go's `encoding/json` accepts (duplicate member names, member
//! names Go would match case-insensitively, lone surrogate escapes, base64 with line breaks, a
//! `null` delegations object), the case says so. These divergences are deliberate: this client
//! fails closed, because a file that Go and this client read differently (a parser
//! differential) could show each a different content under the same signatures.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use notary_client::canonical_json::CanonicalJsonError;
use notary_client::metadata::{
    MetadataError, RoleBody, RoleName, Root, Signed, Snapshot, Targets, Timestamp, VerifyError,
};
use serde_json::{Value as Json, json};

// ---------------------------------------------------------------------------------------------
// Base files
// ---------------------------------------------------------------------------------------------

const META_DIR: &str = "fixtures/notary-cli/trust/tuf/localhost:5000/fixtures/app/metadata";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Root,
    Targets,
    Snapshot,
    Timestamp,
}

impl Kind {
    fn type_name(self) -> &'static str {
        match self {
            Kind::Root => "Root",
            Kind::Targets => "Targets",
            Kind::Snapshot => "Snapshot",
            Kind::Timestamp => "Timestamp",
        }
    }
}

/// A valid file the corpus is derived from.
#[derive(Clone, Copy, Debug)]
struct Base {
    file: &'static str,
    role: &'static str,
    kind: Kind,
}

const ROOT: Base = Base { file: "root.json", role: "root", kind: Kind::Root };
const TARGETS: Base = Base { file: "targets.json", role: "targets", kind: Kind::Targets };
const RELEASES: Base = Base { file: "targets/releases.json", role: "targets/releases", kind: Kind::Targets };
const SNAPSHOT: Base = Base { file: "snapshot.json", role: "snapshot", kind: Kind::Snapshot };
const TIMESTAMP: Base = Base { file: "timestamp.json", role: "timestamp", kind: Kind::Timestamp };
const ALL: [Base; 5] = [ROOT, TARGETS, RELEASES, SNAPSHOT, TIMESTAMP];

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_base(base: Base) -> Vec<u8> {
    let path = crate_dir().join(META_DIR).join(base.file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn base_json(base: Base) -> Json {
    serde_json::from_slice(&read_base(base)).unwrap_or_else(|e| panic!("{}: {e}", base.file))
}

/// The first member name of the object at `segs` (e.g. the first key ID of `signed.keys`).
fn first_key(base: Base, segs: &[&str]) -> String {
    let mut v = &base_json(base);
    for s in segs {
        v = &v[*s];
    }
    v.as_object()
        .and_then(|m| m.keys().next().cloned())
        .unwrap_or_else(|| panic!("{}: {segs:?} is not a non-empty object", base.file))
}

// ---------------------------------------------------------------------------------------------
// JSON mutation with raw-text escapes (for what serde_json::Value cannot express: duplicate
// keys, `1e400`, `1.0`, hostile escapes, deep nesting)
// ---------------------------------------------------------------------------------------------

struct Doc {
    json: Json,
    /// `(placeholder JSON text, replacement text)`, applied to the serialised document.
    subst: Vec<(String, String)>,
}

impl Doc {
    fn of(base: Base) -> Self {
        Doc { json: base_json(base), subst: Vec::new() }
    }

    fn at(&mut self, segs: &[&str]) -> &mut Json {
        let mut v = &mut self.json;
        for s in segs {
            v = match v {
                Json::Object(m) => m.get_mut(*s),
                Json::Array(a) => s.parse::<usize>().ok().and_then(move |i| a.get_mut(i)),
                _ => None,
            }
            .unwrap_or_else(|| panic!("mutation path {segs:?} does not exist (at {s:?})"));
        }
        v
    }

    fn obj(&mut self, segs: &[&str]) -> &mut serde_json::Map<String, Json> {
        self.at(segs).as_object_mut().unwrap_or_else(|| panic!("{segs:?} is not an object"))
    }

    /// Sets member `key` of the object at `segs`.
    fn set(mut self, segs: &[&str], key: &str, value: Json) -> Self {
        self.obj(segs).insert(key.to_owned(), value);
        self
    }

    /// Removes member `key` (which must exist) of the object at `segs`.
    fn remove(mut self, segs: &[&str], key: &str) -> Self {
        assert!(self.obj(segs).remove(key).is_some(), "{segs:?} has no member {key:?}");
        self
    }

    /// Sets member `key` of the object at `segs` to raw JSON text.
    fn set_raw(mut self, segs: &[&str], key: &str, raw: &str) -> Self {
        let placeholder = format!("@@RAW{}@@", self.subst.len());
        self.subst.push((format!("\"{placeholder}\""), raw.to_owned()));
        self.obj(segs).insert(key.to_owned(), Json::String(placeholder));
        self
    }

    /// Renames member `from` of the object at `segs` to the raw JSON text `to` (a quoted key
    /// with hostile escapes, say).
    fn rename_raw(mut self, segs: &[&str], from: &str, to_raw: &str) -> Self {
        let placeholder = format!("@@KEY{}@@", self.subst.len());
        self.subst.push((format!("\"{placeholder}\""), to_raw.to_owned()));
        let obj = self.obj(segs);
        let v = obj.remove(from).unwrap_or_else(|| panic!("{segs:?} has no member {from:?}"));
        obj.insert(placeholder, v);
        self
    }

    /// Adds a second member named `key` (with raw JSON value) to the object at `segs`.
    fn dup(mut self, segs: &[&str], key: &str, raw_value: &str) -> Self {
        let placeholder = format!("@@DUP{}@@", self.subst.len());
        self.subst.push((format!("\"{placeholder}\""), serde_json::to_string(key).unwrap()));
        self = self.set_raw(segs, &placeholder, raw_value);
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let mut s = serde_json::to_string(&self.json).unwrap();
        for (placeholder, raw) in &self.subst {
            assert_eq!(s.matches(placeholder.as_str()).count(), 1, "placeholder {placeholder} must occur once");
            s = s.replacen(placeholder.as_str(), raw, 1);
        }
        s.into_bytes()
    }
}

// ---------------------------------------------------------------------------------------------
// Cases and expectations
// ---------------------------------------------------------------------------------------------

/// What a successful parse produced.
struct Parsed {
    file_bytes: Vec<u8>,
    message: Vec<u8>,
}

type Check = Box<dyn Fn(&Parsed) -> Result<(), String> + Send>;

enum Expect {
    /// `MetadataError::Parse` at exactly this path, with a message containing `msg`.
    Parse { path: String, msg: String },
    /// `MetadataError::WrongType`.
    WrongType { expected: &'static str, found: String },
    /// `MetadataError::Invalid` with a message containing this.
    Invalid(String),
    /// `MetadataError::Canonical` with exactly this source.
    Canonical(CanonicalJsonError),
    /// Parses; the check inspects the re-serialisation / signed message.
    Accepted(Check),
}

fn parse_err(path: &str, msg: &str) -> Expect {
    Expect::Parse { path: path.to_owned(), msg: msg.to_owned() }
}

fn invalid(msg: impl Into<String>) -> Expect {
    Expect::Invalid(msg.into())
}

fn wrong_type(expected: &'static str, found: &str) -> Expect {
    Expect::WrongType { expected, found: found.to_owned() }
}

fn canonical(e: CanonicalJsonError) -> Expect {
    Expect::Canonical(e)
}

/// Accepted, and the re-serialisation is exactly `bytes` (unknown data dropped, as Go does).
fn reserialises_to(bytes: Vec<u8>) -> Expect {
    Expect::Accepted(Box::new(move |p| {
        if p.file_bytes == bytes {
            Ok(())
        } else {
            Err(format!(
                "re-serialisation differs from the expected bytes: {}",
                first_difference(&p.file_bytes, &bytes)
            ))
        }
    }))
}

/// Accepted, re-serialisation contains all of `needles` and none of `absent`.
fn file_contains(needles: &[&str], absent: &[&str]) -> Expect {
    let needles: Vec<String> = needles.iter().map(|s| s.to_string()).collect();
    let absent: Vec<String> = absent.iter().map(|s| s.to_string()).collect();
    Expect::Accepted(Box::new(move |p| {
        let text = String::from_utf8_lossy(&p.file_bytes);
        for n in &needles {
            if !text.contains(n.as_str()) {
                return Err(format!("re-serialisation lacks {n:?}"));
            }
        }
        for a in &absent {
            if text.contains(a.as_str()) {
                return Err(format!("re-serialisation still contains {a:?}"));
            }
        }
        Ok(())
    }))
}

/// Accepted, the signed message (canonical form of the parsed `signed`) contains `needle` and the
/// re-serialisation is exactly `bytes`.
fn message_contains_and_reserialises_to(needle: &str, bytes: Vec<u8>) -> Expect {
    let needle = needle.to_owned();
    let same = reserialises_to(bytes);
    Expect::Accepted(Box::new(move |p| {
        if !String::from_utf8_lossy(&p.message).contains(needle.as_str()) {
            return Err(format!("signed message lacks {needle:?}"));
        }
        match &same {
            Expect::Accepted(check) => check(p),
            _ => unreachable!(),
        }
    }))
}

struct Case {
    name: String,
    kind: Kind,
    role: String,
    bytes: Vec<u8>,
    expect: Expect,
}

impl Case {
    fn new(base: Base, name: impl Into<String>, bytes: Vec<u8>, expect: Expect) -> Self {
        Case { name: name.into(), kind: base.kind, role: base.role.to_owned(), bytes, expect }
    }

    /// Parse as another role/body type than the base's.
    fn parsed_as(mut self, kind: Kind, role: &str) -> Self {
        self.kind = kind;
        self.role = role.to_owned();
        self
    }

    fn label(&self) -> String {
        format!("[{}.json as {}] {}", self.role, self.kind.type_name(), self.name)
    }
}

fn parse_typed<T: RoleBody>(role: RoleName, bytes: &[u8]) -> Result<Parsed, MetadataError> {
    let signed = Signed::<T>::parse(role, bytes)?;
    let file_bytes = signed.to_file_bytes()?;
    Ok(Parsed { file_bytes, message: signed.message().to_vec() })
}

fn parse_as(kind: Kind, role: &str, bytes: &[u8]) -> Result<Parsed, MetadataError> {
    let role = RoleName::new(role).expect("test role names are valid");
    match kind {
        Kind::Root => parse_typed::<Root>(role, bytes),
        Kind::Targets => parse_typed::<Targets>(role, bytes),
        Kind::Snapshot => parse_typed::<Snapshot>(role, bytes),
        Kind::Timestamp => parse_typed::<Timestamp>(role, bytes),
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

/// Checks one outcome against one expectation.
fn check(expect: &Expect, role: &str, outcome: &Result<Parsed, MetadataError>) -> Result<(), String> {
    let file = format!("{role}.json");
    let err = match outcome {
        Ok(parsed) => {
            return match expect {
                Expect::Accepted(check) => check(parsed),
                _ => Err("parsed successfully, expected an error".into()),
            };
        }
        Err(e) => e,
    };
    let shown = err.to_string();
    if !shown.contains(&file) {
        return Err(format!("error does not name {file}: {}", clip(&shown)));
    }
    let ok = match (expect, err) {
        (Expect::Parse { path, msg }, MetadataError::Parse { role: r, path: p, message }) => {
            let path = echoed(path, 400);
            r == role && *p == path && message.contains(msg.as_str()) && shown.contains(&format!("at `{path}`"))
        }
        (Expect::WrongType { expected, found }, MetadataError::WrongType { role: r, expected: e, found: f }) => {
            r == role && e == expected && f == found
        }
        (Expect::Invalid(msg), MetadataError::Invalid { role: r, message }) => r == role && message.contains(msg),
        (Expect::Canonical(want), MetadataError::Canonical { role: r, source }) => r == role && source == want,
        _ => false,
    };
    if ok { Ok(()) } else { Err(format!("got {}, expected {}", clip(&format!("{err:?}")), describe(expect))) }
}

/// `s` as an error echoes it: input is cut to its first 100 characters (a JSON path, which
/// holds member names, to 400) followed by `…(N bytes in all)`, so a hostile 50 MB string never
/// becomes a 50 MB error message.
fn echoed(s: &str, limit: usize) -> String {
    match s.char_indices().nth(limit) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…({} bytes in all)", &s[..i], s.len()),
    }
}

/// Errors may echo hostile input (a 50 MB string); keep failure reports readable.
fn clip(s: &str) -> String {
    if s.len() <= 400 {
        return s.to_owned();
    }
    let mut end = 400;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

fn describe(e: &Expect) -> String {
    match e {
        Expect::Parse { path, msg } => format!("Parse at `{path}` containing {msg:?}"),
        Expect::WrongType { expected, found } => format!("WrongType expected {expected} found {found:?}"),
        Expect::Invalid(m) => format!("Invalid containing {m:?}"),
        Expect::Canonical(c) => format!("Canonical {c:?}"),
        Expect::Accepted(_) => "acceptance".into(),
    }
}

fn outcome(case: &Case) -> Result<Result<Parsed, MetadataError>, String> {
    catch_unwind(AssertUnwindSafe(|| parse_as(case.kind, &case.role, &case.bytes)))
        .map_err(|p| format!("PANICKED: {}", panic_message(&p)))
}

/// Runs all cases and reports every failing one.
fn run(cases: Vec<Case>) {
    assert!(!cases.is_empty());
    let total = cases.len();
    let mut failures = Vec::new();
    for case in &cases {
        let result = outcome(case).and_then(|o| check(&case.expect, &case.role, &o));
        if let Err(e) = result {
            failures.push(format!("{}: {e}", case.label()));
        }
    }
    assert!(failures.is_empty(), "{} of {total} cases failed:\n{}", failures.len(), failures.join("\n"));
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    let i = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let ctx = |s: &[u8]| String::from_utf8_lossy(&s[i.saturating_sub(30)..(i + 30).min(s.len())]).into_owned();
    format!("lengths {} vs {}, first difference at byte {i}: {:?} vs {:?}", a.len(), b.len(), ctx(a), ctx(b))
}

// ---------------------------------------------------------------------------------------------
// Sanity: the bases parse, re-serialise byte-exactly, and survive the mutation machinery
// ---------------------------------------------------------------------------------------------

#[test]
fn bases_parse_and_round_trip_through_the_mutation_machinery() {
    run(bases_parse_and_round_trip_through_the_mutation_machinery_cases());
}

fn bases_parse_and_round_trip_through_the_mutation_machinery_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for base in ALL {
        let original = read_base(base);
        cases.push(Case::new(base, "original", original.clone(), reserialises_to(original.clone())));
        cases.push(Case::new(base, "via serde_json::Value", Doc::of(base).bytes(), reserialises_to(original)));
    }
    cases
}

#[test]
fn unknown_fields_keep_signatures_semantics_of_go() {
    // Unknown members outside `signed` change nothing; inside `signed` they are part of the
    // signed message (Go verifies the re-canonicalised parsed value), so the old signature fails.
    let root = Signed::<Root>::parse(RoleName::root(), &read_base(ROOT)).unwrap();
    let trusted = |role: &str| root.signed().trusted_keys(role);
    for (base, role) in [(TARGETS, "targets"), (SNAPSHOT, "snapshot"), (TIMESTAMP, "timestamp")] {
        let rn = RoleName::new(base.role).unwrap();
        let outside =
            Doc::of(base).set(&[], "extra", json!({"x": [1, 2]})).set(&["signatures", "0"], "extra", json!(1));
        let inside = Doc::of(base).set(&["signed"], "extra", json!("x"));
        let verify = |bytes: &[u8]| -> Result<(), VerifyError> {
            match base.kind {
                Kind::Targets => Signed::<Targets>::parse(rn.clone(), bytes).unwrap().verify(&trusted(role)).map(drop),
                Kind::Snapshot => {
                    Signed::<Snapshot>::parse(rn.clone(), bytes).unwrap().verify(&trusted(role)).map(drop)
                }
                _ => Signed::<Timestamp>::parse(rn.clone(), bytes).unwrap().verify(&trusted(role)).map(drop),
            }
        };
        verify(&read_base(base)).unwrap_or_else(|e| panic!("{}: base must verify: {e}", base.file));
        verify(&outside.bytes()).unwrap_or_else(|e| panic!("{}: extra members outside `signed`: {e}", base.file));
        match verify(&inside.bytes()) {
            Err(VerifyError::ThresholdNotMet { valid: 0, .. }) => {}
            other => panic!("{}: an unknown member inside `signed` must break the signature, got {other:?}", base.file),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Syntax: truncation, empty, not an object, trailing data
// ---------------------------------------------------------------------------------------------

#[test]
fn every_truncation_of_every_base_is_a_parse_error_at_the_root() {
    run(every_truncation_of_every_base_is_a_parse_error_at_the_root_cases());
}

fn every_truncation_of_every_base_is_a_parse_error_at_the_root_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for base in ALL {
        let bytes = read_base(base);
        for cut in 0..bytes.len() {
            let msg = if cut == 0 { "EOF while parsing a value" } else { "EOF while parsing" };
            cases.push(Case::new(
                base,
                format!("truncated to {cut} bytes"),
                bytes[..cut].to_vec(),
                parse_err(".", msg),
            ));
        }
    }
    cases
}

#[test]
fn not_a_metadata_object() {
    run(not_a_metadata_object_cases());
}

fn not_a_metadata_object_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for base in ALL {
        let mut push = |name: &str, bytes: &[u8], e: Expect| cases.push(Case::new(base, name, bytes.to_vec(), e));
        push("empty file", b"", parse_err(".", "EOF while parsing a value"));
        push("whitespace only", b" \n\t ", parse_err(".", "EOF while parsing a value"));
        for (name, text) in
            [("null", "null"), ("array", "[]"), ("string", "\"signed\""), ("number", "42"), ("{}", "{}")]
        {
            push(name, text.as_bytes(), parse_err(".", "expected an object with a `signed` member"));
        }
        push("not JSON", b"signed: {}", parse_err(".", "expected value"));
        push(
            "UTF-8 BOM before the object",
            &[b"\xEF\xBB\xBF".as_slice(), &read_base(base)].concat(),
            parse_err(".", "expected value"),
        );
        push("trailing garbage", &[read_base(base).as_slice(), b"x"].concat(), parse_err(".", "trailing characters"));
        push("two objects", &[read_base(base).as_slice(), b"{}"].concat(), parse_err(".", "trailing characters"));
        push(
            "NUL after the object",
            &[read_base(base).as_slice(), b"\0"].concat(),
            parse_err(".", "trailing characters"),
        );
        push(
            "invalid UTF-8 in a string",
            &read_base(base).replacen(b"\"_type\"", b"\"_typ\xff\""),
            parse_err(".", "invalid unicode"),
        );
        // Trailing whitespace is accepted by Go's json.Unmarshal too; the re-serialisation drops it.
        push("trailing newline", &[read_base(base).as_slice(), b"\n"].concat(), reserialises_to(read_base(base)));
    }
    cases
}

trait ReplaceBytes {
    fn replacen(&self, from: &[u8], to: &[u8]) -> Vec<u8>;
}

impl ReplaceBytes for Vec<u8> {
    fn replacen(&self, from: &[u8], to: &[u8]) -> Vec<u8> {
        let i = self.windows(from.len()).position(|w| w == from).expect("pattern present");
        [&self[..i], to, &self[i + from.len()..]].concat()
    }
}

// ---------------------------------------------------------------------------------------------
// The envelope
// ---------------------------------------------------------------------------------------------

#[test]
fn envelope_shape() {
    run(envelope_shape_cases());
}

fn envelope_shape_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for base in ALL {
        let d = || Doc::of(base);
        let mut push = |name: &str, doc: Doc, e: Expect| cases.push(Case::new(base, name, doc.bytes(), e));
        push(
            "`signed` missing",
            d().remove(&[], "signed"),
            parse_err(".", "expected an object with a `signed` member"),
        );
        for (name, v) in
            [("null", json!(null)), ("a string", json!("x")), ("an array", json!([])), ("a number", json!(1))]
        {
            push(&format!("`signed` is {name}"), d().set(&[], "signed", v), parse_err("signed", "expected an object"));
        }
        push("`signatures` missing", d().remove(&[], "signatures"), parse_err(".", "missing field `signatures`"));
        push(
            "`signatures` null",
            d().set(&[], "signatures", json!(null)),
            parse_err("signatures", "invalid type: null"),
        );
        push(
            "`signatures` an object",
            d().set(&[], "signatures", json!({})),
            parse_err("signatures", "invalid type: map"),
        );
        push(
            "signature not an object",
            d().set(&[], "signatures", json!(["x"])),
            parse_err("signatures[0]", "invalid type"),
        );
        for field in ["keyid", "method", "sig"] {
            push(
                &format!("signature without {field}"),
                d().remove(&["signatures", "0"], field),
                parse_err("signatures[0]", &format!("missing field `{field}`")),
            );
        }
        push(
            "sig not base64",
            d().set(&["signatures", "0"], "sig", json!("!!!!")),
            parse_err("signatures[0].sig", "invalid base64"),
        );
        push(
            "sig without padding",
            d().set(&["signatures", "0"], "sig", json!("YQ")),
            parse_err("signatures[0].sig", "invalid base64"),
        );
        // Go's base64 decoder skips \r and \n; this client does not (fail-closed divergence).
        push(
            "sig with embedded newline",
            d().set(&["signatures", "0"], "sig", json!("YW\nJj")),
            parse_err("signatures[0].sig", "invalid base64"),
        );
        push(
            "sig a number",
            d().set(&["signatures", "0"], "sig", json!(5)),
            parse_err("signatures[0].sig", "invalid type"),
        );
        push(
            "keyid not hex",
            d().set(&["signatures", "0"], "keyid", json!("xyz")),
            parse_err("signatures[0].keyid", "invalid key ID"),
        );
        push(
            "keyid upper-case hex",
            d().set(&["signatures", "0"], "keyid", json!("A".repeat(64))),
            parse_err("signatures[0].keyid", "invalid key ID"),
        );
        push(
            "method a number",
            d().set(&["signatures", "0"], "method", json!(1)),
            parse_err("signatures[0].method", "invalid type"),
        );
        // Accepted shapes: no signatures at all (verification fails later), upper-case method
        // (lower-cased on parse, as Go's Signature.UnmarshalJSON does).
        push(
            "empty signatures",
            d().set(&[], "signatures", json!([])),
            file_contains(&[",\"signatures\":[]}"], &["\"sig\""]),
        );
        push(
            "method upper-case",
            d().set(&["signatures", "0"], "method", json!("ECDSA")),
            reserialises_to(read_base(base)),
        );
    }
    cases
}

// ---------------------------------------------------------------------------------------------
// `_type`
// ---------------------------------------------------------------------------------------------

#[test]
fn wrong_type_is_reported() {
    run(wrong_type_cases());
}

fn wrong_type_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for base in ALL {
        for other in [Kind::Root, Kind::Targets, Kind::Snapshot, Kind::Timestamp] {
            if other != base.kind {
                let role = match other {
                    Kind::Root => "root",
                    Kind::Targets => "targets",
                    Kind::Snapshot => "snapshot",
                    Kind::Timestamp => "timestamp",
                };
                cases.push(
                    Case::new(
                        base,
                        format!("{} file parsed as {other:?}", base.kind.type_name()),
                        read_base(base),
                        wrong_type(other.type_name(), base.kind.type_name()),
                    )
                    .parsed_as(other, role),
                );
            }
        }
        let t = base.kind.type_name();
        for found in [t.to_lowercase(), t.to_uppercase(), format!("{t} "), String::new()] {
            let doc = Doc::of(base).set(&["signed"], "_type", json!(found));
            cases.push(Case::new(base, format!("_type {found:?}"), doc.bytes(), wrong_type(t, &found)));
        }
        let doc = Doc::of(base).remove(&["signed"], "_type");
        cases.push(Case::new(base, "_type missing", doc.bytes(), parse_err("signed._type", "missing")));
        for v in [json!(null), json!(1), json!([t]), json!({"_type": t})] {
            let doc = Doc::of(base).set(&["signed"], "_type", v.clone());
            cases.push(Case::new(
                base,
                format!("_type {v}"),
                doc.bytes(),
                parse_err("signed._type", "must be a string"),
            ));
        }
    }
    // A Targets body is only valid for `targets` and delegations.
    for role in ["root", "snapshot", "timestamp"] {
        cases.push(
            Case::new(
                TARGETS,
                format!("targets.json parsed as Targets of role {role}"),
                read_base(TARGETS),
                invalid("a Targets file can only be targets or a delegation"),
            )
            .parsed_as(Kind::Targets, role),
        );
    }
    // Root, Snapshot and Timestamp bodies are only valid for their own role.
    for (base, role) in [(ROOT, "targets"), (ROOT, "targets/releases"), (SNAPSHOT, "timestamp"), (TIMESTAMP, "root")] {
        let t = base.kind.type_name();
        cases.push(
            Case::new(
                base,
                format!("{} parsed as {t} of role {role}", base.file),
                read_base(base),
                invalid(format!("a {t} file can only be {}", base.role)),
            )
            .parsed_as(base.kind, role),
        );
    }
    cases
}

// ---------------------------------------------------------------------------------------------
// Missing and optional fields
// ---------------------------------------------------------------------------------------------

#[test]
fn missing_required_fields() {
    run(missing_required_fields_cases());
}

fn missing_required_fields_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let body_fields: &[(Base, &[&str])] = &[
        (ROOT, &["expires", "keys", "roles", "version"]),
        (TARGETS, &["expires", "targets", "version"]),
        (RELEASES, &["expires", "targets", "version"]),
        (SNAPSHOT, &["expires", "meta", "version"]),
        (TIMESTAMP, &["expires", "meta", "version"]),
    ];
    for (base, fields) in body_fields {
        for field in *fields {
            let doc = Doc::of(*base).remove(&["signed"], field);
            cases.push(Case::new(
                *base,
                format!("signed.{field} missing"),
                doc.bytes(),
                parse_err("signed", &format!("missing field `{field}`")),
            ));
        }
    }
    // FileMeta members.
    let file_metas: &[(Base, &[&str], &str)] = &[
        (TARGETS, &["signed", "targets", "hello"], "signed.targets.hello"),
        (RELEASES, &["signed", "targets", "v1.0"], "signed.targets.v1.0"),
        (SNAPSHOT, &["signed", "meta", "targets/releases"], "signed.meta.targets/releases"),
        (TIMESTAMP, &["signed", "meta", "snapshot"], "signed.meta.snapshot"),
    ];
    for (base, segs, path) in file_metas {
        for field in ["length", "hashes"] {
            let doc = Doc::of(*base).remove(segs, field);
            cases.push(Case::new(
                *base,
                format!("{path}.{field} missing"),
                doc.bytes(),
                parse_err(path, &format!("missing field `{field}`")),
            ));
        }
    }
    // Key objects.
    let root_key = first_key(ROOT, &["signed", "keys"]);
    let deleg_key = first_key(TARGETS, &["signed", "delegations", "keys"]);
    for (base, segs, path) in [
        (ROOT, vec!["signed", "keys", root_key.as_str()], format!("signed.keys.{root_key}")),
        (
            TARGETS,
            vec!["signed", "delegations", "keys", deleg_key.as_str()],
            format!("signed.delegations.keys.{deleg_key}"),
        ),
    ] {
        for field in ["keytype", "keyval"] {
            let doc = Doc::of(base).remove(&segs, field);
            cases.push(Case::new(
                base,
                format!("key {field} missing"),
                doc.bytes(),
                parse_err(&path, &format!("missing field `{field}`")),
            ));
        }
        let mut keyval = segs.clone();
        keyval.push("keyval");
        let doc = Doc::of(base).remove(&keyval, "public");
        cases.push(Case::new(
            base,
            "keyval.public missing",
            doc.bytes(),
            parse_err(&format!("{path}.keyval"), "missing field `public`"),
        ));
    }
    // Role entries.
    let doc = Doc::of(ROOT).remove(&["signed", "roles", "snapshot"], "threshold");
    cases.push(Case::new(
        ROOT,
        "roles.snapshot.threshold missing",
        doc.bytes(),
        parse_err("signed.roles.snapshot", "missing field `threshold`"),
    ));
    for field in ["name", "threshold"] {
        let doc = Doc::of(TARGETS).remove(&["signed", "delegations", "roles", "1"], field);
        cases.push(Case::new(
            TARGETS,
            format!("delegation role {field} missing"),
            doc.bytes(),
            parse_err("signed.delegations.roles[1]", &format!("missing field `{field}`")),
        ));
    }
    // Root must list all four base roles.
    for role in ["root", "targets", "snapshot", "timestamp"] {
        let doc = Doc::of(ROOT).remove(&["signed", "roles"], role);
        cases.push(Case::new(
            ROOT,
            format!("roles.{role} missing"),
            doc.bytes(),
            invalid(format!("missing {role} role specification")),
        ));
    }
    cases
}

#[test]
fn optional_fields_take_go_zero_values() {
    run(optional_fields_take_go_zero_values_cases());
}

fn optional_fields_take_go_zero_values_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    // No `delegations`: Go's zero value, written as nil map / nil slice.
    for base in [TARGETS, RELEASES] {
        let doc = Doc::of(base).remove(&["signed"], "delegations");
        cases.push(Case::new(
            base,
            "delegations missing",
            doc.bytes(),
            file_contains(&["\"delegations\":{\"keys\":null,\"roles\":null}"], &[]),
        ));
        let doc = Doc::of(base).set(&["signed", "delegations"], "keys", json!(null)).set(
            &["signed", "delegations"],
            "roles",
            json!(null),
        );
        cases.push(Case::new(
            base,
            "delegations keys/roles null",
            doc.bytes(),
            file_contains(&["\"delegations\":{\"keys\":null,\"roles\":null}"], &[]),
        ));
    }
    // consistent_snapshot defaults to false (which is what notary writes): same bytes.
    let doc = Doc::of(ROOT).remove(&["signed"], "consistent_snapshot");
    cases.push(Case::new(ROOT, "consistent_snapshot missing", doc.bytes(), reserialises_to(read_base(ROOT))));
    // `private` absent: re-emitted as null (same bytes).
    let k = first_key(ROOT, &["signed", "keys"]);
    let doc = Doc::of(ROOT).remove(&["signed", "keys", &k, "keyval"], "private");
    cases.push(Case::new(ROOT, "keyval.private missing", doc.bytes(), reserialises_to(read_base(ROOT))));
    // keyids absent / null: `null` (Go's nil slice), never `[]`.
    let doc = Doc::of(ROOT).remove(&["signed", "roles", "targets"], "keyids");
    cases.push(Case::new(
        ROOT,
        "roles.targets.keyids missing",
        doc.bytes(),
        file_contains(&["\"targets\":{\"keyids\":null,\"threshold\":1}"], &[]),
    ));
    let doc = Doc::of(TARGETS).set(&["signed", "delegations", "roles", "0"], "keyids", json!(null));
    cases.push(Case::new(
        TARGETS,
        "delegation keyids null",
        doc.bytes(),
        file_contains(&["{\"keyids\":null,\"name\":\"targets/releases\""], &[]),
    ));
    // paths absent / null / empty: omitted.
    for (name, v) in [("null", Some(json!(null))), ("[]", Some(json!([]))), ("missing", None)] {
        let doc = match v {
            Some(v) => Doc::of(TARGETS).set(&["signed", "delegations", "roles", "0"], "paths", v),
            None => Doc::of(TARGETS).remove(&["signed", "delegations", "roles", "0"], "paths"),
        };
        cases.push(Case::new(
            TARGETS,
            format!("delegation paths {name}"),
            doc.bytes(),
            file_contains(&["\"name\":\"targets/releases\",\"threshold\":1}"], &[]),
        ));
    }
    // custom: null is treated as absent.
    let doc = Doc::of(TARGETS).set(&["signed", "targets", "hello"], "custom", json!(null));
    cases.push(Case::new(TARGETS, "custom null", doc.bytes(), file_contains(&["\"hello\":{\"hashes\""], &["\"b\":1"])));
    cases
}

// ---------------------------------------------------------------------------------------------
// Unknown members: accepted and dropped on re-serialisation, like Go
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_fields_are_accepted_and_dropped() {
    run(unknown_fields_are_accepted_and_dropped_cases());
}

fn unknown_fields_are_accepted_and_dropped_cases() -> Vec<Case> {
    let hostile = json!({"nested": [1, {"a": null}], "s": "<&>\u{2028}", "n": 1000, "b": true});
    let mut cases = Vec::new();
    for base in ALL {
        let original = read_base(base);
        let mut push = |name: &str, doc: Doc, e: Expect| cases.push(Case::new(base, name, doc.bytes(), e));
        push(
            "unknown envelope member",
            Doc::of(base).set(&[], "extra", hostile.clone()),
            reserialises_to(original.clone()),
        );
        push(
            "unknown signature member",
            Doc::of(base).set(&["signatures", "0"], "extra", hostile.clone()),
            reserialises_to(original.clone()),
        );
        push(
            "unknown signed member",
            Doc::of(base).set(&["signed"], "extra_field", hostile.clone()),
            message_contains_and_reserialises_to("\"extra_field\":{\"b\":true,\"n\":1000", original.clone()),
        );
        // Numbers in unknown members only need a canonical form (Go's verifier re-marshals them).
        push(
            "unknown signed member 1e3",
            Doc::of(base).set_raw(&["signed"], "extra_field", "1e3"),
            message_contains_and_reserialises_to("\"extra_field\":1000", original.clone()),
        );
        push(
            "unknown signed member -0",
            Doc::of(base).set_raw(&["signed"], "extra_field", "-0"),
            message_contains_and_reserialises_to("\"extra_field\":0", original.clone()),
        );
        push(
            "unknown signed member 1.5",
            Doc::of(base).set_raw(&["signed"], "extra_field", "1.5"),
            canonical(CanonicalJsonError::NonIntegral("1.5".into())),
        );
        push(
            "unknown signed member 2^53+1",
            Doc::of(base).set_raw(&["signed"], "extra_field", "9007199254740993"),
            canonical(CanonicalJsonError::OutOfRange("9007199254740993".into())),
        );
        push(
            "unknown signed member 2^53",
            Doc::of(base).set_raw(&["signed"], "extra_field", "9007199254740992"),
            message_contains_and_reserialises_to("\"extra_field\":9007199254740992", original.clone()),
        );
        // Outside `signed` nothing is canonicalised: any number is fine.
        push(
            "unknown envelope member 1.5",
            Doc::of(base).set_raw(&[], "extra", "1.5"),
            reserialises_to(original.clone()),
        );
    }
    // Decimals are read correctly rounded, as Go's strconv.ParseFloat reads them, so they
    // canonicalise exactly as Go's verifier does (a naive parser gets all four wrong).
    let original = read_base(TIMESTAMP);
    let float_cases = [
        // (decimal, Go's canonical outcome)
        ("4503599627370496.4999999999999999", Ok("4503599627370496")),
        ("9007199254740991.4999999999999999999", Ok("9007199254740991")),
        ("4503599627370495.5", Err("4503599627370495.5")),
        ("1.00000000000000011102230246251565404236316680908203125", Ok("1")),
    ];
    for (text, go) in float_cases {
        let expect = match go {
            Ok(n) => message_contains_and_reserialises_to(&format!("\"extra_field\":{n},"), original.clone()),
            Err(n) => canonical(CanonicalJsonError::NonIntegral(n.into())),
        };
        let doc = Doc::of(TIMESTAMP).set_raw(&["signed"], "extra_field", text);
        cases.push(Case::new(TIMESTAMP, format!("unknown signed member {text}"), doc.bytes(), expect));
    }

    // Unknown members at every level of each role body.
    let rk = first_key(ROOT, &["signed", "keys"]);
    let dk = first_key(TARGETS, &["signed", "delegations", "keys"]);
    let levels: Vec<(Base, Vec<&str>)> = vec![
        (ROOT, vec!["signed", "keys", &rk]),
        (ROOT, vec!["signed", "keys", &rk, "keyval"]),
        (ROOT, vec!["signed", "roles", "root"]),
        (TARGETS, vec!["signed", "delegations"]),
        (TARGETS, vec!["signed", "delegations", "keys", &dk]),
        (TARGETS, vec!["signed", "delegations", "keys", &dk, "keyval"]),
        (TARGETS, vec!["signed", "delegations", "roles", "1"]),
        (TARGETS, vec!["signed", "targets", "empty"]),
        (RELEASES, vec!["signed", "targets", "releases/known"]),
        (SNAPSHOT, vec!["signed", "meta", "root"]),
        (TIMESTAMP, vec!["signed", "meta", "snapshot"]),
    ];
    for (base, segs) in levels {
        let doc = Doc::of(base).set(&segs, "zz_unknown", hostile.clone());
        cases.push(Case::new(
            base,
            format!("unknown member in {}", segs.join(".")),
            doc.bytes(),
            message_contains_and_reserialises_to("\"zz_unknown\":", read_base(base)),
        ));
    }
    // path_hash_prefixes is not supported by notary at all: dropped on re-serialisation.
    let doc = Doc::of(TARGETS).set(&["signed", "delegations", "roles", "0"], "path_hash_prefixes", json!(["ab"]));
    cases.push(Case::new(TARGETS, "path_hash_prefixes", doc.bytes(), reserialises_to(read_base(TARGETS))));
    // Map entries (not struct fields) are data and are preserved.
    let doc = Doc::of(ROOT).set(&["signed", "roles"], "mirror", json!({"keyids": [], "threshold": 1}));
    cases.push(Case::new(
        ROOT,
        "extra roles entry",
        doc.bytes(),
        file_contains(&["\"mirror\":{\"keyids\":[],\"threshold\":1},\"root\":"], &[]),
    ));
    let doc = Doc::of(TARGETS).set(&["signed", "targets", "hello", "hashes"], "md5", json!("AAAA"));
    cases.push(Case::new(TARGETS, "unknown hash algorithm", doc.bytes(), file_contains(&["\"md5\":\"AAAA\""], &[])));
    cases
}

// ---------------------------------------------------------------------------------------------
// Go's case-insensitive field matching (parser differential): rejected
// ---------------------------------------------------------------------------------------------

#[test]
fn members_go_would_fold_onto_a_field_are_rejected() {
    run(members_go_would_fold_onto_a_field_are_rejected_cases());
}

fn members_go_would_fold_onto_a_field_are_rejected_cases() -> Vec<Case> {
    // Go accepts these members; this client rejects them (fail closed).
    let msg = "Go's case-insensitive decoder";
    // "Version" would set the version in Go; "\u{17f}igned" (long s) *is* `signed` for Go and,
    // coming last, replaces it: a split view between Go and exact-matching clients.
    let forged = json!({"_type": "Timestamp", "expires": "2099-01-01T00:00:00Z", "meta": {}, "version": 99});
    vec![
        Case::new(
            TIMESTAMP,
            "case-variant field Version",
            Doc::of(TIMESTAMP).set(&["signed"], "Version", json!(9)).bytes(),
            parse_err("signed.Version", msg),
        ),
        Case::new(
            TIMESTAMP,
            "envelope member \u{17f}igned",
            Doc::of(TIMESTAMP).set(&[], "\u{17f}igned", forged).bytes(),
            parse_err("\u{17f}igned", msg),
        ),
        Case::new(
            TARGETS,
            "delegation member \u{212a}eyids",
            Doc::of(TARGETS).set(&["signed", "delegations", "roles", "0"], "\u{212a}eyids", json!([])).bytes(),
            parse_err("signed.delegations.roles[0].\u{212a}eyids", msg),
        ),
        Case::new(
            TARGETS,
            "target file meta member LENGTH",
            Doc::of(TARGETS).set(&["signed", "targets", "hello"], "LENGTH", json!(1)).bytes(),
            parse_err("signed.targets.hello.LENGTH", msg),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Duplicate keys: rejected everywhere (parser-differential defence)
// ---------------------------------------------------------------------------------------------

#[test]
fn duplicate_keys_are_rejected_everywhere() {
    run(duplicate_keys_are_rejected_everywhere_cases());
}

/// Go's decoder accepts duplicate members (the last one wins; other parsers keep the first);
/// this client rejects them (fail closed), naming the object that holds them.
fn duplicate_keys_are_rejected_everywhere_cases() -> Vec<Case> {
    let rk = first_key(ROOT, &["signed", "keys"]);
    let dk = first_key(TARGETS, &["signed", "delegations", "keys"]);
    let table: Vec<(Base, Vec<&str>, &str, &str, String)> = vec![
        (TIMESTAMP, vec![], "signed", "{}", ".".into()),
        (TIMESTAMP, vec![], "signatures", "[]", ".".into()),
        (TIMESTAMP, vec!["signed"], "version", "8", "signed".into()),
        (TIMESTAMP, vec!["signed"], "_type", "\"Timestamp\"", "signed".into()),
        (SNAPSHOT, vec!["signed"], "expires", "\"2030-01-01T00:00:00Z\"", "signed".into()),
        (SNAPSHOT, vec!["signed", "meta"], "root", "{}", "signed.meta".into()),
        (TARGETS, vec!["signed", "targets"], "hello", "{}", "signed.targets".into()),
        (TARGETS, vec!["signed", "targets", "hello", "custom"], "b", "2", "signed.targets.hello.custom".into()),
        (
            TARGETS,
            vec!["signed", "targets", "hello", "custom", "a"],
            "nested",
            "false",
            "signed.targets.hello.custom.a".into(),
        ),
        (
            RELEASES,
            vec!["signed", "targets", "v1.0", "hashes"],
            "sha256",
            "\"AAAA\"",
            "signed.targets.v1.0.hashes".into(),
        ),
        (RELEASES, vec!["signed", "targets", "v1.0"], "length", "12", "signed.targets.v1.0".into()),
        (ROOT, vec!["signed", "keys"], &rk, "{}", "signed.keys".into()),
        (ROOT, vec!["signed", "keys", &rk, "keyval"], "public", "\"AAAA\"", format!("signed.keys.{rk}.keyval")),
        (ROOT, vec!["signed", "roles"], "root", "{}", "signed.roles".into()),
        (ROOT, vec!["signed", "roles", "root"], "threshold", "1", "signed.roles.root".into()),
        (TARGETS, vec!["signed", "delegations"], "roles", "[]", "signed.delegations".into()),
        (
            TARGETS,
            vec!["signed", "delegations", "keys", &dk],
            "keytype",
            "\"ecdsa\"",
            format!("signed.delegations.keys.{dk}"),
        ),
        (
            TARGETS,
            vec!["signed", "delegations", "roles", "0"],
            "name",
            "\"targets/x\"",
            "signed.delegations.roles[0]".into(),
        ),
        (TIMESTAMP, vec!["signatures", "0"], "sig", "\"AAAA\"", "signatures[0]".into()),
    ];
    let mut cases = Vec::new();
    for (base, segs, key, value, object_path) in table {
        let doc = Doc::of(base).dup(&segs, key, value);
        let msg = format!("duplicate key `{key}`");
        cases.push(Case::new(
            base,
            format!("duplicate {key:?} in {}", segs.join(".")),
            doc.bytes(),
            parse_err(&object_path, &msg),
        ));
    }
    cases
}

// ---------------------------------------------------------------------------------------------
// Versions and lengths
// ---------------------------------------------------------------------------------------------

#[test]
fn versions() {
    run(versions_cases());
}

fn versions_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for base in ALL {
        let mut push = |raw: &str, e: Expect| {
            let doc = Doc::of(base).set_raw(&["signed"], "version", raw);
            cases.push(Case::new(base, format!("version {raw}"), doc.bytes(), e));
        };
        let v = "signed.version";
        push("0", parse_err(v, "version 0 is outside 1..=2147483647"));
        push("-1", parse_err(v, "version -1 is outside 1..=2147483647"));
        // serde_json reads `-0` as a float; Go reads it as the integer 0, which is out of range.
        // Both refuse it.
        push("-0", parse_err(v, "floating point `-0.0`"));
        push("2147483648", parse_err(v, "version 2147483648 is outside 1..=2147483647"));
        push("4294967297", parse_err(v, "version 4294967297 is outside"));
        push("1e400", parse_err(".", "number out of range"));
        push("1.5", parse_err(v, "floating point `1.5`"));
        push("9007199254740993", parse_err(v, "version 9007199254740993 is outside"));
        push("18446744073709551616", parse_err(v, "expected an integer"));
        // Go rejects these too ("cannot unmarshal number 1.0 into ... int").
        push("1.0", parse_err(v, "floating point `1.0`"));
        push("1e0", parse_err(v, "floating point `1.0`"));
        push("\"1\"", parse_err(v, "invalid type: string \"1\""));
        push("true", parse_err(v, "invalid type: boolean"));
        push("null", parse_err(v, "invalid type: null"));
        push("2147483647", file_contains(&["\"version\":2147483647}"], &[]));
    }
    cases
}

#[test]
fn lengths() {
    run(lengths_cases());
}

fn lengths_cases() -> Vec<Case> {
    let places: &[(Base, &[&str], &str)] = &[
        (TARGETS, &["signed", "targets", "hello"], "signed.targets.hello.length"),
        (RELEASES, &["signed", "targets", "releases/known"], "signed.targets.releases/known.length"),
        (SNAPSHOT, &["signed", "meta", "root"], "signed.meta.root.length"),
        (TIMESTAMP, &["signed", "meta", "snapshot"], "signed.meta.snapshot.length"),
    ];
    let mut cases = Vec::new();
    for (base, segs, path) in places {
        let mut push = |raw: &str, e: Expect| {
            let doc = Doc::of(*base).set_raw(segs, "length", raw);
            cases.push(Case::new(*base, format!("{path} = {raw}"), doc.bytes(), e));
        };
        push("-1", parse_err(path, "length -1 is outside 0..=2^53"));
        push("-9223372036854775809", parse_err(path, "expected an integer length"));
        push("1e400", parse_err(".", "number out of range"));
        push("9007199254740993", parse_err(path, "length 9007199254740993 is outside 0..=2^53"));
        push("1.5", parse_err(path, "floating point `1.5`"));
        // Go rejects these too ("cannot unmarshal ... into ... int64").
        push("19.0", parse_err(path, "floating point `19.0`"));
        push("\"19\"", parse_err(path, "invalid type: string \"19\""));
        push("0", file_contains(&["\"length\":0}"], &[]));
        push("9007199254740992", file_contains(&["\"length\":9007199254740992}"], &[]));
    }
    cases
}

// ---------------------------------------------------------------------------------------------
// Hashes, base64, keys
// ---------------------------------------------------------------------------------------------

fn b64(n: usize) -> String {
    notary_client::metadata::base64_encode(&vec![0xA5; n])
}

#[test]
fn hashes_and_base64() {
    run(hashes_and_base64_cases());
}

fn hashes_and_base64_cases() -> Vec<Case> {
    let places: &[(Base, &[&str], &str)] = &[
        (TARGETS, &["signed", "targets", "hello", "hashes"], "signed.targets.hello"),
        (RELEASES, &["signed", "targets", "v2.0", "hashes"], "signed.targets.v2.0"),
        (SNAPSHOT, &["signed", "meta", "root", "hashes"], "signed.meta.root"),
        (TIMESTAMP, &["signed", "meta", "snapshot", "hashes"], "signed.meta.snapshot"),
    ];
    let mut cases = Vec::new();
    for (base, segs, path) in places {
        let mut push = |name: String, doc: Doc, e: Expect| cases.push(Case::new(*base, name, doc.bytes(), e));
        for (alg, n, want) in [
            ("sha256", 31, 32),
            ("sha256", 33, 32),
            ("sha256", 0, 32),
            ("sha512", 63, 64),
            ("sha512", 65, 64),
            ("sha512", 32, 64),
        ] {
            push(
                format!("{alg} of {n} bytes"),
                Doc::of(*base).set(segs, alg, json!(b64(n))),
                parse_err(path, &format!("hashes.{alg} is {n} bytes, expected {want}")),
            );
        }
        let h = format!("{path}.hashes.sha256");
        push(
            "sha256 not base64".into(),
            Doc::of(*base).set(segs, "sha256", json!("!!")),
            parse_err(&h, "invalid base64"),
        );
        push(
            "sha256 hex instead of base64".into(),
            Doc::of(*base).set(segs, "sha256", json!("ab".repeat(32))),
            parse_err(path, "hashes.sha256 is 48 bytes"),
        );
        push(
            "sha256 unpadded".into(),
            Doc::of(*base).set(segs, "sha256", json!(b64(32).trim_end_matches('='))),
            parse_err(&h, "invalid base64"),
        );
        push(
            "sha256 url-safe alphabet".into(),
            Doc::of(*base).set(segs, "sha256", json!(b64(32).replace('+', "-").replace('/', "_") + "_-_-")),
            parse_err(&h, "invalid base64"),
        );
        push("sha256 a number".into(), Doc::of(*base).set(segs, "sha256", json!(1)), parse_err(&h, "invalid type"));
        push(
            "sha256 null".into(),
            Doc::of(*base).set(segs, "sha256", json!(null)),
            parse_err(&h, "invalid type: null"),
        );
        let parent: Vec<&str> = segs[..segs.len() - 1].to_vec();
        push(
            "hashes an array".into(),
            Doc::of(*base).set(&parent, "hashes", json!([])),
            parse_err(&format!("{path}.hashes"), "invalid type: sequence"),
        );
    }
    // Unknown algorithms are preserved whatever their length.
    let doc = Doc::of(RELEASES).set(&["signed", "targets", "v2.0", "hashes"], "blake3", json!(b64(3)));
    cases.push(Case::new(
        RELEASES,
        "unknown algorithm of 3 bytes",
        doc.bytes(),
        file_contains(&["\"blake3\":\"paWl\""], &[]),
    ));
    cases
}

#[test]
fn keys() {
    run(keys_cases());
}

fn keys_cases() -> Vec<Case> {
    let rk = first_key(ROOT, &["signed", "keys"]);
    let dk = first_key(TARGETS, &["signed", "delegations", "keys"]);
    let mut cases = Vec::new();
    for (base, parent, path) in [
        (ROOT, vec!["signed", "keys"], "signed.keys".to_owned()),
        (TARGETS, vec!["signed", "delegations", "keys"], "signed.delegations.keys".to_owned()),
    ] {
        let id = if base.kind == Kind::Root { rk.as_str() } else { dk.as_str() };
        let mut key = parent.clone();
        key.push(id);
        let mut keyval = key.clone();
        keyval.push("keyval");
        let kp = format!("{path}.{id}");
        let mut push = |name: &str, doc: Doc, e: Expect| cases.push(Case::new(base, name, doc.bytes(), e));
        for kt in ["dsa", "ECDSA", "ecdsa-X509", "", "ed448"] {
            push(
                &format!("keytype {kt:?}"),
                Doc::of(base).set(&key, "keytype", json!(kt)),
                parse_err(&kp, &format!("unknown key type {kt:?}")),
            );
        }
        push(
            "keytype a number",
            Doc::of(base).set(&key, "keytype", json!(1)),
            parse_err(&format!("{kp}.keytype"), "invalid type"),
        );
        push(
            "keyval a string",
            Doc::of(base).set(&key, "keyval", json!("x")),
            parse_err(&format!("{kp}.keyval"), "invalid type"),
        );
        push(
            "public not base64",
            Doc::of(base).set(&keyval, "public", json!("%%%")),
            parse_err(&format!("{kp}.keyval.public"), "invalid base64"),
        );
        push(
            "public null",
            Doc::of(base).set(&keyval, "public", json!(null)),
            parse_err(&format!("{kp}.keyval.public"), "invalid type: null"),
        );
        for bad in [
            "xyz",
            &"A".repeat(64),
            &"a".repeat(63),
            &"a".repeat(65),
            &format!("{}g", "a".repeat(63)),
            "../../../etc/passwd",
        ] {
            let doc = Doc::of(base).rename_raw(&parent, id, &serde_json::to_string(bad).unwrap());
            push(&format!("key ID {bad:?}"), doc, parse_err(&format!("{path}.{bad}"), "invalid key ID"));
        }
        // Go keeps `private` (typedPublicKey) and re-emits it; it must be base64 or null.
        push(
            "private set",
            Doc::of(base).set(&keyval, "private", json!("AAAA")),
            file_contains(&["\"private\":\"AAAA\""], &[]),
        );
        push(
            "private a number",
            Doc::of(base).set(&keyval, "private", json!(5)),
            parse_err(&format!("{kp}.keyval.private"), "invalid type"),
        );
    }
    // Key IDs in role lists.
    let doc = Doc::of(ROOT).set(&["signed", "roles", "root"], "keyids", json!(["xyz"]));
    cases.push(Case::new(
        ROOT,
        "roles.root.keyids[0] not hex",
        doc.bytes(),
        parse_err("signed.roles.root.keyids[0]", "invalid key ID"),
    ));
    let doc =
        Doc::of(TARGETS).set(&["signed", "delegations", "roles", "1"], "keyids", json!([dk.clone(), "A".repeat(64)]));
    cases.push(Case::new(
        TARGETS,
        "delegation keyids[1] upper-case",
        doc.bytes(),
        parse_err("signed.delegations.roles[1].keyids[1]", "invalid key ID"),
    ));
    let doc = Doc::of(ROOT).set(&["signed", "roles", "root"], "keyids", json!("x"));
    cases.push(Case::new(
        ROOT,
        "roles.root.keyids a string",
        doc.bytes(),
        parse_err("signed.roles.root.keyids", "invalid type"),
    ));
    cases
}

// ---------------------------------------------------------------------------------------------
// Roles, thresholds and delegations
// ---------------------------------------------------------------------------------------------

#[test]
fn thresholds_and_role_keys() {
    run(thresholds_and_role_keys_cases());
}

fn thresholds_and_role_keys_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for role in ["root", "targets", "snapshot", "timestamp"] {
        let doc = Doc::of(ROOT).set(&["signed", "roles", role], "threshold", json!(0));
        cases.push(Case::new(
            ROOT,
            format!("roles.{role}.threshold 0"),
            doc.bytes(),
            invalid(format!("invalid threshold 0 for {role}")),
        ));
        let missing = "0".repeat(64);
        let doc = Doc::of(ROOT).set(&["signed", "roles", role], "keyids", json!([missing]));
        cases.push(Case::new(
            ROOT,
            format!("roles.{role} lists an unknown key"),
            doc.bytes(),
            invalid(format!("key ID {missing} listed for {role} without a corresponding key")),
        ));
    }
    let doc = Doc::of(ROOT).set(&["signed", "roles", "root"], "threshold", json!(-1));
    cases.push(Case::new(
        ROOT,
        "roles.root.threshold -1",
        doc.bytes(),
        parse_err("signed.roles.root.threshold", "invalid value: integer `-1`"),
    ));
    let doc = Doc::of(ROOT).set(&["signed", "roles", "root"], "threshold", json!(4294967296u64));
    cases.push(Case::new(
        ROOT,
        "roles.root.threshold 2^32",
        doc.bytes(),
        parse_err("signed.roles.root.threshold", "invalid value: integer `4294967296`"),
    ));
    let doc = Doc::of(ROOT).set(&["signed", "roles", "root"], "threshold", json!("1"));
    cases.push(Case::new(
        ROOT,
        "roles.root.threshold a string",
        doc.bytes(),
        parse_err("signed.roles.root.threshold", "invalid type: string"),
    ));
    // Extra roles entries are validated too only for the four base roles; an extra entry with
    // threshold 0 is preserved, as Go does.
    let doc = Doc::of(ROOT).set(&["signed", "roles"], "mirror", json!({"keyids": null, "threshold": 0}));
    cases.push(Case::new(
        ROOT,
        "extra role with threshold 0",
        doc.bytes(),
        file_contains(&["\"mirror\":{\"keyids\":null,\"threshold\":0}"], &[]),
    ));

    let r = ["signed", "delegations", "roles", "0"];
    let doc = Doc::of(TARGETS).set(&r, "threshold", json!(0));
    cases.push(Case::new(
        TARGETS,
        "delegation threshold 0",
        doc.bytes(),
        invalid("invalid threshold 0 for targets/releases"),
    ));
    let missing = "f".repeat(64);
    let doc = Doc::of(TARGETS).set(&r, "keyids", json!([missing]));
    cases.push(Case::new(
        TARGETS,
        "delegation lists an unknown key",
        doc.bytes(),
        invalid(format!("key ID {missing} listed for targets/releases without a corresponding key")),
    ));
    let doc = Doc::of(TARGETS).set(&["signed", "delegations"], "keys", json!({}));
    cases.push(Case::new(
        TARGETS,
        "delegation keys emptied",
        doc.bytes(),
        invalid("listed for targets/releases without a corresponding key"),
    ));
    let doc = Doc::of(TARGETS).set(&r, "threshold", json!(-1));
    cases.push(Case::new(
        TARGETS,
        "delegation threshold -1",
        doc.bytes(),
        parse_err("signed.delegations.roles[0].threshold", "invalid value: integer `-1`"),
    ));
    cases
}

#[test]
fn delegation_names_and_structure() {
    run(delegation_names_and_structure_cases());
}

fn delegation_names_and_structure_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let r = ["signed", "delegations", "roles", "0"];
    let long = format!("targets/{}", "a".repeat(248));
    for bad in [
        "targets/../x",
        "targets/./x",
        "targets/Releases",
        "Targets/releases",
        "targets/",
        "targets//x",
        "targets/x/",
        "targets/a b",
        "targets/caf\u{e9}",
        "targets/x\u{0}",
        "releases",
        "/targets/x",
        "",
        long.as_str(),
    ] {
        let doc = Doc::of(TARGETS).set(&r, "name", json!(bad));
        cases.push(Case::new(
            TARGETS,
            format!("delegation name {bad:?}"),
            doc.bytes(),
            parse_err("signed.delegations.roles[0].name", &format!("invalid role name {:?}", echoed(bad, 100))),
        ));
    }
    let doc = Doc::of(TARGETS).set(&r, "name", json!(7));
    cases.push(Case::new(
        TARGETS,
        "delegation name a number",
        doc.bytes(),
        parse_err("signed.delegations.roles[0].name", "invalid type"),
    ));
    // Only direct children may be delegated to.
    for (base, name) in [
        (TARGETS, "targets/releases/deep"),
        (TARGETS, "targets"),
        (TARGETS, "root"),
        (RELEASES, "targets/qa"),
        (RELEASES, "targets/releases"),
        (RELEASES, "targets/releasesx/y"),
    ] {
        let doc = if base.role == "targets" {
            Doc::of(base).set(&r, "name", json!(name))
        } else {
            Doc::of(base).set(
                &["signed", "delegations"],
                "roles",
                json!([{"keyids": [], "name": name, "threshold": 1}]),
            )
        };
        cases.push(Case::new(
            base,
            format!("delegation to {name}"),
            doc.bytes(),
            invalid(format!("delegation role {name} invalid: not a direct child of {}", base.role)),
        ));
    }
    // targets.json parsed as a delegation's file: its roles are not children of that role.
    cases.push(
        Case::new(
            TARGETS,
            "targets.json as targets/qa",
            read_base(TARGETS),
            invalid("delegation role targets/releases invalid: not a direct child of targets/qa"),
        )
        .parsed_as(Kind::Targets, "targets/qa"),
    );
    // Positive control: a direct child with no keys is structurally valid.
    let doc = Doc::of(RELEASES).set(
        &["signed", "delegations"],
        "roles",
        json!([{"keyids": [], "name": "targets/releases/x", "threshold": 1}]),
    );
    cases.push(Case::new(
        RELEASES,
        "direct child without keys",
        doc.bytes(),
        file_contains(&["\"roles\":[{\"keyids\":[],\"name\":\"targets/releases/x\",\"threshold\":1}]"], &[]),
    ));
    for (field, v, path, msg) in [
        ("roles", json!({}), "signed.delegations.roles", "invalid type: map"),
        ("keys", json!([]), "signed.delegations.keys", "invalid type: sequence"),
    ] {
        let doc = Doc::of(TARGETS).set(&["signed", "delegations"], field, v);
        cases.push(Case::new(TARGETS, format!("delegations.{field} wrong type"), doc.bytes(), parse_err(path, msg)));
    }
    let doc = Doc::of(TARGETS).set(&r, "paths", json!("qa/"));
    cases.push(Case::new(
        TARGETS,
        "paths a string",
        doc.bytes(),
        parse_err("signed.delegations.roles[0].paths", "invalid type: string"),
    ));
    let doc = Doc::of(TARGETS).set(&r, "paths", json!([1]));
    cases.push(Case::new(
        TARGETS,
        "paths [1]",
        doc.bytes(),
        parse_err("signed.delegations.roles[0].paths[0]", "invalid type: integer"),
    ));
    // Go's zero value for a null struct is accepted by Go; this client rejects it (fail-closed).
    let doc = Doc::of(TARGETS).set(&["signed"], "delegations", json!(null));
    cases.push(Case::new(
        TARGETS,
        "delegations null",
        doc.bytes(),
        parse_err("signed.delegations", "invalid type: null"),
    ));
    let doc = Doc::of(TARGETS).set(&["signed"], "targets", json!(null));
    cases.push(Case::new(TARGETS, "targets null", doc.bytes(), parse_err("signed.targets", "invalid type: null")));
    cases
}

// ---------------------------------------------------------------------------------------------
// Snapshot and timestamp requirements
// ---------------------------------------------------------------------------------------------

#[test]
fn snapshot_and_timestamp_required_entries() {
    run(snapshot_and_timestamp_required_entries_cases());
}

fn snapshot_and_timestamp_required_entries_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for entry in ["root", "targets"] {
        let doc = Doc::of(SNAPSHOT).remove(&["signed", "meta"], entry);
        cases.push(Case::new(
            SNAPSHOT,
            format!("meta.{entry} missing"),
            doc.bytes(),
            invalid(format!("missing {entry} sha256 checksum information")),
        ));
        let doc = Doc::of(SNAPSHOT).remove(&["signed", "meta", entry, "hashes"], "sha256");
        cases.push(Case::new(
            SNAPSHOT,
            format!("meta.{entry} without sha256"),
            doc.bytes(),
            invalid(format!("missing {entry} sha256 checksum information")),
        ));
    }
    let doc = Doc::of(SNAPSHOT).set(&["signed"], "meta", json!({}));
    cases.push(Case::new(SNAPSHOT, "meta empty", doc.bytes(), invalid("missing root sha256 checksum information")));
    // A delegation entry without sha256 is fine (Go only requires root and targets).
    let doc = Doc::of(SNAPSHOT).remove(&["signed", "meta", "targets/qa", "hashes"], "sha256");
    cases.push(Case::new(
        SNAPSHOT,
        "targets/qa without sha256",
        doc.bytes(),
        file_contains(&["\"targets/qa\":{\"hashes\":{\"sha512\""], &[]),
    ));

    let doc = Doc::of(TIMESTAMP).remove(&["signed", "meta"], "snapshot");
    cases.push(Case::new(
        TIMESTAMP,
        "meta.snapshot missing",
        doc.bytes(),
        invalid("missing snapshot sha256 checksum information"),
    ));
    let doc = Doc::of(TIMESTAMP).remove(&["signed", "meta", "snapshot", "hashes"], "sha256");
    cases.push(Case::new(
        TIMESTAMP,
        "meta.snapshot without sha256",
        doc.bytes(),
        invalid("missing snapshot sha256 checksum information"),
    ));
    let doc = Doc::of(TIMESTAMP).rename_raw(&["signed", "meta"], "snapshot", "\"Snapshot\"");
    cases.push(Case::new(
        TIMESTAMP,
        "meta.Snapshot (wrong case)",
        doc.bytes(),
        invalid("missing snapshot sha256 checksum information"),
    ));
    let doc = Doc::of(TIMESTAMP).set(&["signed"], "meta", json!(null));
    cases.push(Case::new(TIMESTAMP, "meta null", doc.bytes(), parse_err("signed.meta", "invalid type: null")));
    cases
}

// ---------------------------------------------------------------------------------------------
// Strings: control characters, escapes, expiry
// ---------------------------------------------------------------------------------------------

#[test]
fn control_characters_have_no_canonical_form() {
    run(control_characters_have_no_canonical_form_cases());
}

fn control_characters_have_no_canonical_form_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let cc = |c: u32| canonical(CanonicalJsonError::ControlCharacter(c));
    for (esc, code) in [("\\u0001", 1), ("\\u0000", 0), ("\\u001f", 0x1f), ("\\t", 9), ("\\n", 10), ("\\r", 13)] {
        let s = format!("\"x{esc}y\"");
        let doc = Doc::of(TARGETS).rename_raw(&["signed", "targets"], "empty", &s);
        cases.push(Case::new(TARGETS, format!("target name with {esc}"), doc.bytes(), cc(code)));
        let doc = Doc::of(RELEASES).set_raw(&["signed", "targets", "v1.0", "custom"], "by", &s);
        cases.push(Case::new(RELEASES, format!("custom value with {esc}"), doc.bytes(), cc(code)));
        let doc = Doc::of(TIMESTAMP).set_raw(&["signed"], "extra", &s);
        cases.push(Case::new(TIMESTAMP, format!("unknown member with {esc}"), doc.bytes(), cc(code)));
        let doc = Doc::of(ROOT).rename_raw(&["signed"], "consistent_snapshot", &s);
        cases.push(Case::new(ROOT, format!("member name with {esc}"), doc.bytes(), cc(code)));
    }
    let doc = Doc::of(TARGETS).set(&["signed", "delegations", "roles", "1"], "paths", json!(["qa/\u{1}"]));
    cases.push(Case::new(TARGETS, "delegation path with U+0001", doc.bytes(), cc(1)));
    let doc = Doc::of(TIMESTAMP).set_raw(&["signed"], "expires", "\"2030-01-01T00:00:00Z\\u0001\"");
    cases.push(Case::new(
        TIMESTAMP,
        "expires with \\u0001",
        doc.bytes(),
        parse_err("signed.expires", "invalid RFC 3339 time"),
    ));
    // Raw (unescaped) control bytes are not JSON at all.
    let bytes = read_base(TARGETS).replacen(b"\"empty\"", b"\"emp\x01ty\"");
    cases.push(Case::new(
        TARGETS,
        "raw U+0001 byte in a string",
        bytes,
        parse_err(".", "control character (\\u0000-\\u001F) found while parsing a string"),
    ));
    // DEL and C1 controls are not control characters for Go; they are written raw.
    for c in ['\u{7f}', '\u{85}', '\u{2028}'] {
        let doc = Doc::of(TIMESTAMP).set(&["signed"], "extra", json!(format!("x{c}")));
        cases.push(Case::new(
            TIMESTAMP,
            format!("unknown member with U+{:04X}", c as u32),
            doc.bytes(),
            message_contains_and_reserialises_to(&format!("\"extra\":\"x{c}\""), read_base(TIMESTAMP)),
        ));
    }
    // Escapes Go's decoder replaces by U+FFFD are rejected here (fail-closed divergence).
    for s in ["\"\\ud800\"", "\"\\udc00x\"", "\"\\ud800\\u0041\""] {
        let doc = Doc::of(TIMESTAMP).set_raw(&["signed"], "extra", s);
        cases.push(Case::new(TIMESTAMP, format!("lone surrogate {s}"), doc.bytes(), parse_err(".", "invalid JSON")));
    }
    cases
}

#[test]
fn expiry_strings() {
    run(expiry_strings_cases());
}

fn expiry_strings_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for bad in [
        "",
        "tomorrow",
        "2030-01-01",
        "2030-01-01T00:00:00",
        "2030-13-01T00:00:00Z",
        "2030-01-01T00:00:00+0100",
        "+2030-01-01T00:00:00Z",
        "2030-01-01T24:00:00Z",
    ] {
        let doc = Doc::of(SNAPSHOT).set(&["signed"], "expires", json!(bad));
        cases.push(Case::new(
            SNAPSHOT,
            format!("expires {bad:?}"),
            doc.bytes(),
            parse_err("signed.expires", "invalid RFC 3339 time"),
        ));
    }
    for v in [json!(1), json!(null), json!({})] {
        let doc = Doc::of(SNAPSHOT).set(&["signed"], "expires", v.clone());
        cases.push(Case::new(
            SNAPSHOT,
            format!("expires {v}"),
            doc.bytes(),
            parse_err("signed.expires", "invalid type"),
        ));
    }
    // Offsets and fractions are accepted and re-emitted the way Go formats them.
    for (input, output) in [
        ("2030-01-01T00:00:00+00:00", "2030-01-01T00:00:00Z"),
        ("2030-01-01T00:00:00.500-05:00", "2030-01-01T00:00:00.5-05:00"),
        ("2030-01-01T00:00:00.000000000Z", "2030-01-01T00:00:00Z"),
    ] {
        let doc = Doc::of(SNAPSHOT).set(&["signed"], "expires", json!(input));
        cases.push(Case::new(
            SNAPSHOT,
            format!("expires {input:?}"),
            doc.bytes(),
            file_contains(&[&format!("\"expires\":\"{output}\"")], &[]),
        ));
    }
    // Go's time.Parse(RFC3339) rejects these although chrono accepts them (and would rewrite the
    // leap second as :59).
    for input in ["2030-01-01t00:00:00z", "2030-01-01T00:00:00z", "2030-01-01 00:00:00Z", "2030-06-30T23:59:60Z"] {
        let doc = Doc::of(SNAPSHOT).set(&["signed"], "expires", json!(input));
        cases.push(Case::new(
            SNAPSHOT,
            format!("expires {input:?}"),
            doc.bytes(),
            parse_err("signed.expires", "invalid RFC 3339 time"),
        ));
    }
    cases
}

// ---------------------------------------------------------------------------------------------
// Resource exhaustion: deep nesting, huge strings
// ---------------------------------------------------------------------------------------------

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let objects = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let unclosed = "[".repeat(100_000);
    let mut cases = Vec::new();
    for (name, raw) in [("arrays", &arrays), ("objects", &objects), ("unclosed arrays", &unclosed)] {
        for base in ALL {
            let doc = Doc::of(base).set_raw(&["signed"], "extra", raw);
            cases.push(Case::new(
                base,
                format!("10,000 nested {name} in signed"),
                doc.bytes(),
                parse_err(".", "recursion limit exceeded"),
            ));
            let doc = Doc::of(base).set_raw(&[], "extra", raw);
            cases.push(Case::new(
                base,
                format!("10,000 nested {name} in the envelope"),
                doc.bytes(),
                parse_err(".", "recursion limit exceeded"),
            ));
        }
        let doc = Doc::of(RELEASES).set_raw(&["signed", "targets", "v1.0"], "custom", raw);
        cases.push(Case::new(
            RELEASES,
            format!("10,000 nested {name} in custom"),
            doc.bytes(),
            parse_err(".", "recursion limit exceeded"),
        ));
    }
    // Moderate nesting inside the limit is fine, and kept in the signed message.
    let doc = Doc::of(TIMESTAMP).set_raw(&["signed"], "extra", &format!("{}{}", "[".repeat(100), "]".repeat(100)));
    cases.push(Case::new(
        TIMESTAMP,
        "100 nested arrays",
        doc.bytes(),
        message_contains_and_reserialises_to(&"[".repeat(100), read_base(TIMESTAMP)),
    ));
    // Run on a thread with a deliberately small stack: parsing must not recurse unboundedly.
    let handle = std::thread::Builder::new().stack_size(512 * 1024).spawn(move || run(cases)).unwrap();
    if let Err(p) = handle.join() {
        std::panic::resume_unwind(p);
    }
}

#[test]
fn fifty_megabyte_strings_do_not_panic() {
    run(fifty_megabyte_strings_do_not_panic_cases());
}

fn fifty_megabyte_strings_do_not_panic_cases() -> Vec<Case> {
    let big = "A".repeat(50 << 20);
    let mut cases = Vec::new();
    let doc = Doc::of(TIMESTAMP).set(&["signed"], "extra", json!(big));
    cases.push(Case::new(TIMESTAMP, "50 MB unknown member", doc.bytes(), reserialises_to(read_base(TIMESTAMP))));
    let doc = Doc::of(TIMESTAMP).set(&[], "extra", json!(big));
    cases.push(Case::new(
        TIMESTAMP,
        "50 MB unknown envelope member",
        doc.bytes(),
        reserialises_to(read_base(TIMESTAMP)),
    ));
    let doc = Doc::of(RELEASES).rename_raw(&["signed", "targets"], "v2.0", &format!("\"{big}\""));
    let want = big.len();
    cases.push(Case::new(
        RELEASES,
        "50 MB target name",
        doc.bytes(),
        Expect::Accepted(Box::new(
            move |p| if p.file_bytes.len() > want { Ok(()) } else { Err("target name lost".into()) },
        )),
    ));
    let doc = Doc::of(TIMESTAMP).set(&["signatures", "0"], "sig", json!(big));
    cases.push(Case::new(TIMESTAMP, "50 MB signature", doc.bytes(), Expect::Accepted(Box::new(|_| Ok(())))));
    let doc = Doc::of(TIMESTAMP).set(&["signed"], "extra", json!(format!("{big}\u{1}")));
    cases.push(Case::new(
        TIMESTAMP,
        "50 MB string ending in U+0001",
        doc.bytes(),
        canonical(CanonicalJsonError::ControlCharacter(1)),
    ));
    let doc = Doc::of(TIMESTAMP).set(&["signed"], "expires", json!(big));
    cases.push(Case::new(
        TIMESTAMP,
        "50 MB expires",
        doc.bytes(),
        parse_err("signed.expires", "invalid RFC 3339 time"),
    ));
    cases
}

// ---------------------------------------------------------------------------------------------
// Hand-written hostile files (fixtures/malformed/)
// ---------------------------------------------------------------------------------------------

/// Every file in `fixtures/malformed/` with the body type and role it is parsed as and the
/// expected outcome. Keep in sync with `fixtures/malformed/README.md` (checked below).
fn hand_written_files() -> Vec<(&'static str, Base, Expect)> {
    vec![
        ("truncated.json", TARGETS, parse_err(".", "EOF while parsing a string")),
        ("empty.json", TARGETS, parse_err(".", "EOF while parsing a value")),
        ("not-an-object.json", ROOT, parse_err(".", "expected an object with a `signed` member")),
        ("signed-not-an-object.json", TIMESTAMP, parse_err("signed", "expected an object")),
        ("lowercase-type.json", ROOT, wrong_type("Root", "root")),
        ("duplicate-key-nested.json", RELEASES, parse_err("signed.targets.v2.0.hashes", "duplicate key `sha256`")),
        ("duplicate-signed.json", TIMESTAMP, parse_err(".", "duplicate key `signed`")),
        (
            "version-too-large.json",
            SNAPSHOT,
            parse_err("signed.version", "version 2147483648 is outside 1..=2147483647"),
        ),
        ("negative-length.json", TARGETS, parse_err("signed.targets.empty.length", "length -1 is outside 0..=2^53")),
        (
            "sha256-31-bytes.json",
            TIMESTAMP,
            parse_err("signed.meta.snapshot", "hashes.sha256 is 31 bytes, expected 32"),
        ),
        ("bad-base64-sig.json", TIMESTAMP, parse_err("signatures[0].sig", "invalid base64")),
        (
            "unknown-keytype.json",
            ROOT,
            parse_err(
                "signed.keys.184e26d1f06c232bd1458ce1ea9556a5537789a4c381b13cda3fd56e35307f14",
                "unknown key type \"dsa\"",
            ),
        ),
        (
            "delegation-dotdot.json",
            TARGETS,
            parse_err("signed.delegations.roles[0].name", "invalid role name \"targets/../root\""),
        ),
        (
            "delegation-grandchild.json",
            TARGETS,
            invalid("delegation role targets/releases/deep invalid: not a direct child of targets"),
        ),
        ("threshold-zero.json", ROOT, invalid("invalid threshold 0 for snapshot")),
        ("snapshot-missing-root.json", SNAPSHOT, invalid("missing root sha256 checksum information")),
        ("timestamp-missing-snapshot.json", TIMESTAMP, invalid("missing snapshot sha256 checksum information")),
        ("control-char-escape.json", TARGETS, canonical(CanonicalJsonError::ControlCharacter(1))),
        (
            "raw-control-byte.json",
            TIMESTAMP,
            parse_err(".", "control character (\\u0000-\\u001F) found while parsing a string"),
        ),
        ("deep-nesting.json", TIMESTAMP, parse_err(".", "recursion limit exceeded")),
        ("lone-surrogate.json", TIMESTAMP, parse_err(".", "invalid JSON")),
        ("version-float.json", TIMESTAMP, parse_err("signed.version", "floating point `1.5`")),
        ("unknown-fields.json", TIMESTAMP, reserialises_to(read_base(TIMESTAMP))),
    ]
}

fn malformed_dir() -> PathBuf {
    crate_dir().join("fixtures").join("malformed")
}

fn hand_written_cases() -> Vec<Case> {
    hand_written_files()
        .into_iter()
        .map(|(file, base, expect)| {
            let path = malformed_dir().join(file);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            Case::new(base, format!("fixtures/malformed/{file}"), bytes, expect)
        })
        .collect()
}

#[test]
fn hand_written_hostile_files() {
    let listed: Vec<&str> = hand_written_files().iter().map(|(f, ..)| *f).collect();
    let readme = std::fs::read_to_string(malformed_dir().join("README.md")).expect("fixtures/malformed/README.md");
    let mut on_disk: Vec<String> = std::fs::read_dir(malformed_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    on_disk.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(on_disk, sorted, "fixtures/malformed/ and hand_written_files() must list the same files");
    for f in &listed {
        assert!(readme.contains(&format!("`{f}`")), "README.md does not describe {f}");
    }
    run(hand_written_cases());
}
