//! Canonical JSON exactly as docker/go `MarshalCanonical` writes it, and the Go encodings that
//! surround it in Notary's metadata files.
//!
//! Two encodings of the same role body exist (spec §2, traps T2/T3):
//!
//! * the **canonical** form, which is what gets signed: objects sorted bytewise by key, no
//!   whitespace, strings escape only `"` and `\`, integers only;
//! * the **file** form, which is what gets uploaded, cached and hashed: the canonical body
//!   embedded in the envelope with Go's HTML escaping (`<`, `>`, `&`, U+2028, U+2029).
//!
//! [`Value`] is a strict generic JSON value (duplicate keys are rejected) whose canonical
//! encoding is what Go's verifier re-marshals before checking a signature.
//!
//! ```
//! use notary_client::canonical_json::{Value, to_canonical};
//! let v: Value = Value::parse(br#"{"b":1,"a":"x<y"}"#).unwrap();
//! assert_eq!(to_canonical(&v).unwrap(), br#"{"a":"x<y","b":1}"#);
//! ```

mod error;
mod escape;
mod value;
mod writer;

pub use error::CanonicalJsonError;
pub use escape::{compact_html_escaped, go_html_escape, go_string};
pub use value::{Number, Value};
pub use writer::CanonicalWriter;

/// Canonical bytes of a generic value (what Go's verifier signs over, spec §2.1).
pub fn to_canonical(value: &Value) -> Result<Vec<u8>, CanonicalJsonError> {
    let mut w = CanonicalWriter::new();
    value.write_canonical(&mut w)?;
    Ok(w.into_bytes())
}
