//! A strict generic JSON value: duplicate object keys are rejected (parser-differential
//! defence), numbers keep whether they were written as integers.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{CanonicalJsonError, CanonicalWriter};

/// Largest integer magnitude that survives Go's float64 round trip exactly.
pub(crate) const MAX_SAFE_INTEGER: u64 = 1 << 53;

/// A JSON number as written in the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A non-negative integer literal.
    Unsigned(u64),
    /// A negative integer literal.
    Signed(i64),
    /// A literal with a fraction or exponent.
    Float(f64),
}

impl Number {
    /// The value Go's canonical encoder prints for this number after its float64 round trip
    /// (`strconv.AppendInt(int64(f))`), or why there is none.
    pub fn canonical_integer(&self) -> Result<i64, CanonicalJsonError> {
        let (f, exact) = match *self {
            Number::Unsigned(u) => (u as f64, u <= MAX_SAFE_INTEGER),
            Number::Signed(i) => (i as f64, i.unsigned_abs() <= MAX_SAFE_INTEGER),
            Number::Float(f) => (f, f.abs() <= MAX_SAFE_INTEGER as f64),
        };
        let text = || match *self {
            Number::Unsigned(u) => u.to_string(),
            Number::Signed(i) => i.to_string(),
            Number::Float(f) => f.to_string(),
        };
        if !f.is_finite() || f.floor() != f {
            return Err(CanonicalJsonError::NonIntegral(text()));
        }
        if !exact {
            return Err(CanonicalJsonError::OutOfRange(text()));
        }
        Ok(f as i64)
    }
}

/// A generic JSON value with sorted objects and no duplicate keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object; keys iterate in bytewise (canonical) order.
    Object(BTreeMap<String, Value>),
}

impl Value {
    /// Parses one JSON value, rejecting duplicate object keys anywhere and trailing data.
    pub fn parse(bytes: &[u8]) -> Result<Value, CanonicalJsonError> {
        serde_json::from_slice(bytes).map_err(|e| CanonicalJsonError::Syntax(e.to_string()))
    }

    /// Writes the canonical encoding of this value.
    pub fn write_canonical(&self, w: &mut CanonicalWriter) -> Result<(), CanonicalJsonError> {
        match self {
            Value::Null => w.null(),
            Value::Bool(b) => w.bool(*b),
            Value::Number(n) => w.i64(n.canonical_integer()?),
            Value::String(s) => w.string(s)?,
            Value::Array(items) => {
                w.begin_array();
                for item in items {
                    w.element();
                    item.write_canonical(w)?;
                }
                w.end_array();
            }
            Value::Object(members) => {
                w.begin_object();
                for (k, v) in members {
                    w.key(k)?;
                    v.write_canonical(w)?;
                }
                w.end_object();
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(Number::Unsigned(n)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(if n >= 0 { Number::Unsigned(n as u64) } else { Number::Signed(n) }))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(Number::Float(n)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            let value = map.next_value()?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical_json::to_canonical;

    #[test]
    fn duplicate_keys_are_rejected_at_any_depth() {
        let err = Value::parse(br#"{"a":{"k":1,"k":2}}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate key `k`"), "{err}");
    }

    #[test]
    fn keys_sort_bytewise_with_underscore_before_lowercase() {
        let v = Value::parse(br#"{"version":1,"_type":"Root","Z":0,"\u00e9":2}"#).unwrap();
        assert_eq!(to_canonical(&v).unwrap(), "{\"Z\":0,\"_type\":\"Root\",\"version\":1,\"é\":2}".as_bytes());
    }

    #[test]
    fn integral_floats_print_as_integers_like_go() {
        let v = Value::parse(br#"[1.0,1e3,-2E0]"#).unwrap();
        assert_eq!(to_canonical(&v).unwrap(), b"[1,1000,-2]");
    }

    #[test]
    fn non_integral_numbers_have_no_canonical_form() {
        let v = Value::parse(b"[1.5]").unwrap();
        assert!(matches!(to_canonical(&v), Err(CanonicalJsonError::NonIntegral(_))));
    }

    #[test]
    fn integers_beyond_two_pow_53_are_rejected() {
        let v = Value::parse(b"[9007199254740993]").unwrap();
        assert!(matches!(to_canonical(&v), Err(CanonicalJsonError::OutOfRange(_))));
        let ok = Value::parse(b"[9007199254740992]").unwrap();
        assert_eq!(to_canonical(&ok).unwrap(), b"[9007199254740992]");
    }

    #[test]
    fn trailing_data_is_rejected() {
        assert!(Value::parse(b"{} x").is_err());
    }
}
