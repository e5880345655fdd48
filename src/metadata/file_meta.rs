//! `FileMeta`: length, hashes and optional custom data of a target or metadata file (spec §1.4).

use std::collections::BTreeMap;

use ring::digest;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::common::{base64_encode, deserialize_base64, deserialize_length};
use crate::canonical_json::{CanonicalJsonError, CanonicalWriter, compact_html_escaped};

/// Hash algorithm name `sha256`.
pub const SHA256: &str = "sha256";
/// Hash algorithm name `sha512`.
pub const SHA512: &str = "sha512";

/// Length, digests and optional `custom` JSON of a file.
///
/// Hashes are kept for every algorithm name found (Go preserves unknown ones); `sha256` and
/// `sha512` must have their exact digest lengths.
///
/// ```
/// use notary_client::metadata::FileMeta;
/// let m = FileMeta::for_metadata_bytes(b"{}");
/// assert_eq!(m.length, 2);
/// assert!(m.check(b"{}").is_ok());
/// assert!(m.check(b"{ }").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// Byte length.
    pub length: i64,
    /// Digests by algorithm name (raw bytes; base64 on the wire).
    pub hashes: BTreeMap<String, Vec<u8>>,
    /// Custom data, if any.
    pub custom: Option<Custom>,
}

/// A target's `custom` JSON, kept as Go keeps a `json.RawMessage`: the received bytes,
/// compacted and HTML-escaped, in their original key order (trap T9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Custom(Vec<u8>);

impl Custom {
    /// Wraps JSON bytes (compacting and HTML-escaping them as Go would). For data we sign
    /// ourselves prefer [`Custom::canonical`], which Go's verifier can always check.
    pub fn from_json(bytes: &[u8]) -> Result<Self, CanonicalJsonError> {
        if crate::canonical_json::Value::parse(bytes)? == crate::canonical_json::Value::Null {
            return Err(CanonicalJsonError::Syntax(NULL_CUSTOM.into()));
        }
        Ok(Custom(compact_html_escaped(bytes)?))
    }

    /// Custom data in canonical form (sorted keys), the only form whose signatures Go can
    /// verify. Fails for data containing `<`, `>`, `&`, U+2028 or U+2029, which Go would sign in
    /// escaped form but verify unescaped.
    pub fn canonical(value: &crate::canonical_json::Value) -> Result<Self, CanonicalJsonError> {
        if *value == crate::canonical_json::Value::Null {
            return Err(CanonicalJsonError::Syntax(NULL_CUSTOM.into()));
        }
        let canonical = crate::canonical_json::to_canonical(value)?;
        let escaped = crate::canonical_json::go_html_escape(&canonical);
        if escaped != canonical {
            return Err(CanonicalJsonError::Syntax(
                "custom data containing <, >, &, U+2028 or U+2029 cannot be verified by notary".into(),
            ));
        }
        Ok(Custom(canonical))
    }

    /// The bytes as they are serialised.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// `"custom":null` is read back (by Go and by this crate) as "no custom data", so a file
/// carrying it would not be a fixed point of parse → re-serialise (spec §2.5).
const NULL_CUSTOM: &str = "custom data `null` reads back as absent; use `custom: None`";

impl FileMeta {
    /// FileMeta of a target with only a SHA-256 digest, as Docker writes it (spec §6.2).
    pub fn sha256_only(sha256: [u8; 32], length: i64) -> Self {
        let mut hashes = BTreeMap::new();
        hashes.insert(SHA256.to_owned(), sha256.to_vec());
        FileMeta { length, hashes, custom: None }
    }

    /// FileMeta of a whole file with `sha256` and `sha512`, as notary writes snapshot and
    /// timestamp entries and CLI targets.
    pub fn for_metadata_bytes(bytes: &[u8]) -> Self {
        let mut hashes = BTreeMap::new();
        hashes.insert(SHA256.to_owned(), digest::digest(&digest::SHA256, bytes).as_ref().to_vec());
        hashes.insert(SHA512.to_owned(), digest::digest(&digest::SHA512, bytes).as_ref().to_vec());
        FileMeta { length: bytes.len() as i64, hashes, custom: None }
    }

    /// Checks what parsing enforces, for bodies built in code: a length within `0..=2^53` and
    /// exact `sha256`/`sha512` digest lengths. `name` is the entry's name, for the error.
    pub(crate) fn validate(&self, file: &super::RoleName, name: &str) -> Result<(), super::MetadataError> {
        if !(0..=super::MAX_LENGTH).contains(&self.length) {
            return Err(super::MetadataError::invalid(
                file,
                format!("{name}: length {} is outside 0..=2^53", self.length),
            ));
        }
        for (alg, want) in [(SHA256, 32), (SHA512, 64)] {
            if let Some(d) = self.hashes.get(alg)
                && d.len() != want
            {
                return Err(super::MetadataError::invalid(
                    file,
                    format!("{name}: {alg} is {} bytes, expected {want}", d.len()),
                ));
            }
        }
        Ok(())
    }

    /// The SHA-256 digest, if present.
    pub fn sha256(&self) -> Option<&[u8]> {
        self.hashes.get(SHA256).map(Vec::as_slice)
    }

    /// The SHA-512 digest, if present.
    pub fn sha512(&self) -> Option<&[u8]> {
        self.hashes.get(SHA512).map(Vec::as_slice)
    }

    /// notary's `CheckHashes` plus the length: at least one of sha256/sha512 must be present,
    /// every present one must match, and the length must be equal.
    pub fn check(&self, bytes: &[u8]) -> Result<(), HashMismatch> {
        if bytes.len() as i64 != self.length {
            return Err(HashMismatch::Length { expected: self.length, actual: bytes.len() as u64 });
        }
        let mut checked = 0;
        for (alg, want, algo) in [(SHA256, self.sha256(), &digest::SHA256), (SHA512, self.sha512(), &digest::SHA512)] {
            if let Some(want) = want {
                let got = digest::digest(algo, bytes);
                if got.as_ref() != want {
                    return Err(HashMismatch::Digest {
                        algorithm: alg,
                        expected: hex::encode(want),
                        actual: hex::encode(got.as_ref()),
                    });
                }
                checked += 1;
            }
        }
        if checked == 0 {
            return Err(HashMismatch::NoSupportedHash);
        }
        Ok(())
    }

    /// No raw `custom` JSON and a length Go's float64 round trip keeps exact: the typed
    /// canonical form equals the generic one (see [`super::RoleBody::canonical_is_stable`]).
    pub(crate) fn canonical_is_stable(&self) -> bool {
        self.custom.is_none() && self.length.unsigned_abs() <= super::MAX_LENGTH.unsigned_abs()
    }

    pub(crate) fn write_canonical(&self, w: &mut CanonicalWriter) -> Result<(), CanonicalJsonError> {
        w.begin_object();
        if let Some(c) = &self.custom {
            w.key("custom")?;
            w.raw_compacted(&c.0);
        }
        w.key("hashes")?;
        w.begin_object();
        for (alg, d) in &self.hashes {
            w.key(alg)?;
            w.string(&base64_encode(d))?;
        }
        w.end_object();
        w.key("length")?;
        w.i64(self.length);
        w.end_object();
        Ok(())
    }
}

/// A file that does not match its `FileMeta`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashMismatch {
    /// Length differs.
    #[error("length is {actual} bytes, expected {expected}")]
    Length {
        /// Expected length.
        expected: i64,
        /// Actual length.
        actual: u64,
    },
    /// A digest differs.
    #[error("{algorithm} is {actual}, expected {expected}")]
    Digest {
        /// Algorithm name.
        algorithm: &'static str,
        /// Expected hex digest.
        expected: String,
        /// Actual hex digest.
        actual: String,
    },
    /// Neither sha256 nor sha512 is listed.
    #[error("no sha256 or sha512 hash to check against")]
    NoSupportedHash,
}

#[derive(Deserialize)]
struct WireFileMeta {
    #[serde(deserialize_with = "deserialize_length")]
    length: i64,
    hashes: BTreeMap<String, Base64Bytes>,
    #[serde(default)]
    custom: Option<Box<RawValue>>,
}

struct Base64Bytes(Vec<u8>);

impl<'de> Deserialize<'de> for Base64Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_base64(d).map(Base64Bytes)
    }
}

impl<'de> Deserialize<'de> for FileMeta {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let w = WireFileMeta::deserialize(d)?;
        let mut hashes = BTreeMap::new();
        for (alg, Base64Bytes(digest)) in w.hashes {
            let want = match alg.as_str() {
                SHA256 => Some(32),
                SHA512 => Some(64),
                _ => None,
            };
            if let Some(n) = want
                && digest.len() != n
            {
                return Err(D::Error::custom(format_args!("hashes.{alg} is {} bytes, expected {n}", digest.len())));
            }
            hashes.insert(alg, digest);
        }
        let custom = match w.custom {
            None => None,
            Some(raw) => Some(Custom(
                compact_html_escaped(raw.get().as_bytes())
                    .map_err(|e| D::Error::custom(format_args!("custom: {e}")))?,
            )),
        };
        Ok(FileMeta { length: w.length, hashes, custom })
    }
}
