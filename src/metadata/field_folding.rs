//! Defence against Go's case-insensitive field matching (a parser differential).
//!
//! Go's `encoding/json` fills a struct field from any member whose name equals the field name
//! under Unicode case folding (`"Version"`, `"VERSION"`, `"ſigned"` with U+017F, `"Keyids"`
//! with U+212A), the last match winning. A file holding both `"signed"` and `"ſigned"` would
//! show Go clients one body and exact-matching clients another, under the same hashes. Such
//! files are rejected: no member of a struct-shaped object may fold to one of that struct's
//! field names unless it is exactly that name. Maps (target names, key IDs, role names) are
//! exact in Go and are not affected.

use super::RoleBody;
use crate::canonical_json::Value;

enum Shape {
    Struct(&'static [(&'static str, Shape)]),
    Map(&'static Shape),
    Array(&'static Shape),
    Opaque,
}

use Shape::{Array, Map, Opaque, Struct};

const KEY: Shape = Struct(&[("keytype", Opaque), ("keyval", Struct(&[("private", Opaque), ("public", Opaque)]))]);
const ROLE_KEYS: Shape = Struct(&[("keyids", Opaque), ("threshold", Opaque)]);
const FILE_META: Shape = Struct(&[("custom", Opaque), ("hashes", Opaque), ("length", Opaque)]);
const DELEGATED_ROLE: Shape = Struct(&[("keyids", Opaque), ("name", Opaque), ("paths", Opaque), ("threshold", Opaque)]);
const DELEGATIONS: Shape = Struct(&[("keys", Map(&KEY)), ("roles", Array(&DELEGATED_ROLE))]);
const SIGNATURE: Shape = Struct(&[("keyid", Opaque), ("method", Opaque), ("sig", Opaque)]);

const ROOT: Shape = Struct(&[
    ("_type", Opaque),
    ("consistent_snapshot", Opaque),
    ("expires", Opaque),
    ("keys", Map(&KEY)),
    ("roles", Map(&ROLE_KEYS)),
    ("version", Opaque),
]);
const TARGETS: Shape = Struct(&[
    ("_type", Opaque),
    ("delegations", DELEGATIONS),
    ("expires", Opaque),
    ("targets", Map(&FILE_META)),
    ("version", Opaque),
]);
const META: Shape = Struct(&[("_type", Opaque), ("expires", Opaque), ("meta", Map(&FILE_META)), ("version", Opaque)]);

fn body_shape(type_name: &str) -> &'static Shape {
    match type_name {
        "Root" => &ROOT,
        "Targets" => &TARGETS,
        _ => &META,
    }
}

/// Go's folding of a member name onto an ASCII field name: ASCII case-insensitive, plus the
/// two non-ASCII letters whose simple case folding is ASCII (U+017F → `s`, U+212A → `k`).
fn go_folds_to(member: &str, field: &str) -> bool {
    let mut m = member.chars().map(|c| match c {
        '\u{17F}' => 's',
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    });
    let mut f = field.chars();
    loop {
        match (m.next(), f.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// Checks a whole envelope value; returns the JSON path and name of an offending member.
pub(crate) fn check_envelope<T: RoleBody>(envelope: &Value) -> Result<(), (String, String)> {
    let shape = Struct(&[("signatures", Array(&SIGNATURE)), ("signed", Opaque)]);
    check(envelope, &shape, String::new())?;
    if let Value::Object(m) = envelope
        && let Some(signed) = m.get("signed")
    {
        check(signed, body_shape(T::TYPE), "signed".to_owned())?;
    }
    Ok(())
}

fn check(value: &Value, shape: &Shape, path: String) -> Result<(), (String, String)> {
    let join = |k: &str| if path.is_empty() { k.to_owned() } else { format!("{path}.{k}") };
    match (shape, value) {
        (Struct(fields), Value::Object(members)) => {
            for (name, member) in members {
                match fields.iter().find(|(f, _)| *f == name.as_str()) {
                    Some((_, inner)) => check(member, inner, join(name))?,
                    None => {
                        if fields.iter().any(|(f, _)| go_folds_to(name, f)) {
                            return Err((join(name), name.clone()));
                        }
                    }
                }
            }
            Ok(())
        }
        (Map(inner), Value::Object(members)) => members.iter().try_for_each(|(k, v)| check(v, inner, join(k))),
        (Array(inner), Value::Array(items)) => {
            items.iter().enumerate().try_for_each(|(i, v)| check(v, inner, format!("{path}[{i}]")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_matches_gos_equal_fold_for_ascii_field_names() {
        assert!(go_folds_to("Version", "version"));
        assert!(go_folds_to("\u{17F}igned", "signed"));
        assert!(go_folds_to("\u{212A}eyids", "keyids"));
        assert!(!go_folds_to("versions", "version"));
        assert!(!go_folds_to("v\u{e9}rsion", "version"));
    }
}
