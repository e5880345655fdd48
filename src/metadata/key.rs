//! Public keys as they appear in metadata, and their IDs (spec §3.1–3.3, trap T5).

use std::fmt;

use ring::digest;
use serde::{Deserialize, Deserializer};

use super::common::{base64_encode, deserialize_base64};
use crate::canonical_json::{CanonicalJsonError, CanonicalWriter};

/// The `keytype` of a metadata key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `ecdsa`: DER SubjectPublicKeyInfo.
    Ecdsa,
    /// `ecdsa-x509`: PEM certificate chain whose leaf holds an ECDSA key.
    EcdsaX509,
    /// `rsa`: DER SubjectPublicKeyInfo.
    Rsa,
    /// `rsa-x509`: PEM certificate chain whose leaf holds an RSA key.
    RsaX509,
    /// `ed25519`: the raw 32-byte key.
    Ed25519,
}

impl KeyType {
    /// The `keytype` string.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Ecdsa => "ecdsa",
            KeyType::EcdsaX509 => "ecdsa-x509",
            KeyType::Rsa => "rsa",
            KeyType::RsaX509 => "rsa-x509",
            KeyType::Ed25519 => "ed25519",
        }
    }

    /// Parses a `keytype` string (exact, lower case as notary writes it).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ecdsa" => KeyType::Ecdsa,
            "ecdsa-x509" => KeyType::EcdsaX509,
            "rsa" => KeyType::Rsa,
            "rsa-x509" => KeyType::RsaX509,
            "ed25519" => KeyType::Ed25519,
            _ => return None,
        })
    }

    /// Whether `public` holds a PEM certificate chain.
    pub fn is_certificate(self) -> bool {
        matches!(self, KeyType::EcdsaX509 | KeyType::RsaX509)
    }

    /// The key type of the bare key behind a certificate type (`ecdsa-x509` → `ecdsa`).
    pub fn bare(self) -> KeyType {
        match self {
            KeyType::EcdsaX509 => KeyType::Ecdsa,
            KeyType::RsaX509 => KeyType::Rsa,
            other => other,
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A key ID: 64 lower-case hex digits (SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// Validates a key ID string.
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidKeyId> {
        let s = s.into();
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(KeyId(s))
        } else {
            Err(InvalidKeyId(super::error::clip(&s)))
        }
    }

    /// The ID of a SHA-256 digest.
    pub fn from_digest(d: &[u8]) -> Self {
        KeyId(hex::encode(d))
    }

    /// The hex string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl AsRef<str> for KeyId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A string that is not 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid key ID {0:?}: expected 64 lower-case hex digits")]
pub struct InvalidKeyId(pub String);

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        KeyId::new(s).map_err(serde::de::Error::custom)
    }
}

/// A public key as written in metadata: `{"keytype":T,"keyval":{"private":null,"public":B64}}`.
///
/// Its [`KeyId`] is computed once, from content (never trusted from the file).
///
/// ```
/// use notary_client::metadata::{KeyType, PublicKey};
/// let k = PublicKey::new(KeyType::Ed25519, vec![7; 32]);
/// assert_eq!(k.id().as_str().len(), 64);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key_type: KeyType,
    public: Vec<u8>,
    /// `keyval.private` as received: Go's `typedPublicKey` keeps it and re-emits it, so a
    /// byte-exact re-serialisation must too. Never part of the key ID; `None` for keys made here.
    private: Option<Vec<u8>>,
    id: KeyId,
}

impl PublicKey {
    /// A key of `key_type` with the given `public` bytes (DER SPKI, PEM chain, or raw ed25519).
    pub fn new(key_type: KeyType, public: Vec<u8>) -> Self {
        let id = compute_key_id(key_type, &public);
        PublicKey { key_type, public, private: None, id }
    }

    /// The key type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The `public` bytes.
    pub fn public(&self) -> &[u8] {
        &self.public
    }

    /// Whether the key object carried a non-null `keyval.private`.
    pub(crate) fn has_private(&self) -> bool {
        self.private.is_some()
    }

    /// The TUF key ID used in metadata and signatures (spec §3.2).
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The canonical key ID (spec §3.3): for certificate keys, the ID of the bare leaf public
    /// key; otherwise the TUF ID. Private key files are named by it.
    pub fn canonical_id(&self) -> Result<KeyId, crate::certs::CertificateError> {
        if self.key_type.is_certificate() {
            let spki = crate::certs::leaf_spki(&self.public)?;
            Ok(compute_key_id(self.key_type.bare(), &spki))
        } else {
            Ok(self.id.clone())
        }
    }

    pub(crate) fn write_canonical(&self, w: &mut CanonicalWriter) -> Result<(), CanonicalJsonError> {
        write_key_object(w, self.key_type, &self.public, self.private.as_deref())
    }
}

fn write_key_object(
    w: &mut CanonicalWriter,
    t: KeyType,
    public: &[u8],
    private: Option<&[u8]>,
) -> Result<(), CanonicalJsonError> {
    w.begin_object();
    w.key("keytype")?;
    w.string(t.as_str())?;
    w.key("keyval")?;
    w.begin_object();
    w.key("private")?;
    match private {
        Some(p) => w.string(&base64_encode(p))?,
        None => w.null(),
    }
    w.key("public")?;
    w.string(&base64_encode(public))?;
    w.end_object();
    w.end_object();
    Ok(())
}

fn compute_key_id(t: KeyType, public: &[u8]) -> KeyId {
    let mut w = CanonicalWriter::with_capacity(public.len() * 4 / 3 + 64);
    // Key type names and base64 contain no characters the canonical writer refuses.
    let _ = write_key_object(&mut w, t, public, None);
    KeyId::from_digest(digest::digest(&digest::SHA256, &w.into_bytes()).as_ref())
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey").field("key_type", &self.key_type).field("id", &self.id).finish()
    }
}

#[derive(Deserialize)]
struct WireKey {
    keytype: String,
    keyval: WireKeyVal,
}

#[derive(Deserialize)]
struct WireKeyVal {
    #[serde(deserialize_with = "deserialize_base64")]
    public: Vec<u8>,
    // Go's `[]byte`: base64 or null; kept and re-emitted by Go (`typedPublicKey`).
    #[serde(default, deserialize_with = "deserialize_optional_base64")]
    private: Option<Vec<u8>>,
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = WireKey::deserialize(d)?;
        let t = KeyType::parse(&w.keytype).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "unknown key type {:?} (expected ecdsa, ecdsa-x509, rsa, rsa-x509 or ed25519)",
                super::error::clip(&w.keytype)
            ))
        })?;
        let mut key = PublicKey::new(t, w.keyval.public);
        key.private = w.keyval.private;
        Ok(key)
    }
}

fn deserialize_optional_base64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    struct Wrapped(Vec<u8>);
    impl<'de> Deserialize<'de> for Wrapped {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            deserialize_base64(d).map(Wrapped)
        }
    }
    Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_hashes_the_canonical_object_with_private_null() {
        let k = PublicKey::new(KeyType::Ecdsa, b"abc".to_vec());
        let expected =
            digest::digest(&digest::SHA256, br#"{"keytype":"ecdsa","keyval":{"private":null,"public":"YWJj"}}"#);
        assert_eq!(k.id().as_str(), hex::encode(expected.as_ref()));
    }

    #[test]
    fn key_ids_must_be_lower_case_hex() {
        assert!(KeyId::new("A".repeat(64)).is_err());
        assert!(KeyId::new("a".repeat(63)).is_err());
        assert!(KeyId::new("../".repeat(21) + "a").is_err());
        assert!(KeyId::new("0".repeat(64)).is_ok());
    }
}
