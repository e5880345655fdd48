//! The signed envelope `{"signed":…,"signatures":[…]}`: parsing with the bytes kept, Go's
//! exact file serialisation, and signing (spec §1.1, §2.1–2.3, traps T1–T3).

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Expires, KeyId, MetadataError, RoleName, Version};
use crate::canonical_json::{CanonicalJsonError, CanonicalWriter, Value, go_html_escape, go_string, to_canonical};
use crate::keys::{SignError, Signer};

/// A role body: root, targets (and delegations), snapshot or timestamp.
pub trait RoleBody: Sized + Clone + DeserializeOwned {
    /// The `_type` value (`Root`, `Targets`, `Snapshot`, `Timestamp`).
    const TYPE: &'static str;

    /// Expiry.
    fn expires(&self) -> &Expires;

    /// Version.
    fn version(&self) -> Version;

    /// Writes the canonical body exactly as notary's `MarshalCanonical` of the Go struct.
    fn write_canonical(&self, w: &mut CanonicalWriter) -> Result<(), CanonicalJsonError>;

    /// notary's structural checks for a file of role `file`.
    fn validate(&self, file: &RoleName) -> Result<(), MetadataError>;

    /// The canonical body bytes (what gets signed).
    fn canonical_bytes(&self) -> Result<Vec<u8>, CanonicalJsonError> {
        let mut w = CanonicalWriter::with_capacity(1024);
        self.write_canonical(&mut w)?;
        Ok(w.into_bytes())
    }
}

/// One signature of an envelope.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    /// TUF ID of the signing key.
    pub keyid: KeyId,
    /// Method, lower-cased on parse as Go does (`ecdsa`, `rsapss`, `eddsa`, ...).
    pub method: String,
    /// The signature bytes (raw; base64 on the wire).
    pub sig: Vec<u8>,
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signature")
            .field("keyid", &self.keyid)
            .field("method", &self.method)
            .field("sig_len", &self.sig.len())
            .finish()
    }
}

#[derive(Deserialize)]
struct WireSignature {
    keyid: KeyId,
    method: String,
    #[serde(deserialize_with = "super::common::deserialize_base64")]
    sig: Vec<u8>,
}

#[derive(Deserialize)]
struct WireEnvelope<T> {
    signed: T,
    signatures: Vec<WireSignature>,
}

/// A parsed or freshly signed metadata file of role body `T`.
///
/// Keeps the bytes it was parsed from ([`Signed::raw_bytes`]) — those are what gets cached,
/// hashed against snapshot/timestamp entries and, for others' roles, re-uploaded — and the
/// canonical message signatures are checked against (the canonical form of the *parsed*
/// `signed` value, as Go's verifier computes it).
#[derive(Debug, Clone)]
pub struct Signed<T> {
    role: RoleName,
    signed: T,
    signatures: Vec<Signature>,
    message: Vec<u8>,
    raw: Option<Vec<u8>>,
}

impl<T: RoleBody> Signed<T> {
    /// Parses a metadata file of role `role`: strict JSON (duplicate keys rejected anywhere),
    /// `_type` checked, fields typed, notary's structural rules applied.
    ///
    /// Signatures are **not** checked here; see [`Signed::verify`].
    pub fn parse(role: RoleName, bytes: &[u8]) -> Result<Self, MetadataError> {
        let parse_err = |path: String, message: String| MetadataError::Parse {
            role: role.to_string(),
            path: super::error::clip_to(&path, 4 * super::error::ECHO_LIMIT),
            message: super::error::clip_to(&message, 4 * super::error::ECHO_LIMIT),
        };
        let value = parse_value(bytes).map_err(|(path, message)| parse_err(path, message))?;
        let signed_value = match &value {
            Value::Object(m) => m.get("signed"),
            _ => None,
        }
        .ok_or_else(|| parse_err(".".into(), "expected an object with a `signed` member".into()))?;
        super::field_folding::check_envelope::<T>(&value).map_err(|(path, name)| {
            parse_err(
                path,
                format!("member {name:?} would be read as a field of that name by Go's case-insensitive decoder"),
            )
        })?;
        match signed_value {
            Value::Object(m) => match m.get("_type") {
                Some(Value::String(t)) if t == T::TYPE => {}
                Some(Value::String(t)) => {
                    return Err(MetadataError::WrongType {
                        role: role.to_string(),
                        expected: T::TYPE,
                        found: t.clone(),
                    });
                }
                Some(_) => {
                    return Err(parse_err("signed._type".into(), format!("must be a string, expected {:?}", T::TYPE)));
                }
                None => return Err(parse_err("signed._type".into(), format!("missing; expected {:?}", T::TYPE))),
            },
            _ => return Err(parse_err("signed".into(), "expected an object".into())),
        }

        // Typed parse before the canonical check, so that a bad known field is reported with
        // its path (`signed.version`) rather than as a path-less canonical error.
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let wire: WireEnvelope<T> = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            parse_err(path, e.into_inner().to_string())
        })?;
        let message =
            to_canonical(signed_value).map_err(|source| MetadataError::Canonical { role: role.to_string(), source })?;
        wire.signed.validate(&role)?;
        let signatures = wire
            .signatures
            .into_iter()
            .map(|s| Signature { keyid: s.keyid, method: s.method.to_lowercase(), sig: s.sig })
            .collect();
        Ok(Signed { role, signed: wire.signed, signatures, message, raw: Some(bytes.to_vec()) })
    }

    /// Signs `body` as role `role` with every signer (at least one).
    ///
    /// The body is validated first; each signer signs the canonical body bytes.
    pub async fn sign(role: RoleName, body: T, signers: &[&dyn Signer]) -> Result<Self, SigningError> {
        body.validate(&role)?;
        let message = verifier_message(&role, &body)?;
        let mut signed = Signed { role, signed: body, signatures: Vec::new(), message, raw: None };
        signed.add_signatures(signers).await?;
        Ok(signed)
    }

    /// Adds (or replaces) the signatures of `signers` over the current body, keeping the
    /// signatures of other keys, as Go does when it re-signs. Lets several holders of a
    /// threshold role each add their signature to the same version.
    pub async fn add_signatures(&mut self, signers: &[&dyn Signer]) -> Result<(), SigningError> {
        if signers.is_empty() {
            return Err(SigningError::NoSigners { role: self.role.to_string() });
        }
        for signer in signers {
            let sig = signer.sign(&self.message).await?;
            let keyid = signer.public_key().id().clone();
            self.signatures.retain(|s| s.keyid != keyid);
            self.signatures.push(Signature { keyid, method: signer.method().as_str().to_owned(), sig });
        }
        self.raw = None;
        Ok(())
    }

    /// The role this file belongs to.
    pub fn role(&self) -> &RoleName {
        &self.role
    }

    /// The body.
    pub fn signed(&self) -> &T {
        &self.signed
    }

    /// The signatures, in file order.
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// The canonical bytes signatures are verified against.
    pub fn message(&self) -> &[u8] {
        &self.message
    }

    /// The bytes this value was parsed from (`None` for metadata signed here and not yet
    /// serialised).
    pub fn raw_bytes(&self) -> Option<&[u8]> {
        self.raw.as_deref()
    }

    /// The file exactly as notary writes it for this body and these signatures:
    /// `{"signed":` + HTML-escaped canonical body + `,"signatures":[…]}` with no whitespace and
    /// no trailing newline. For a parsed Go-written file this equals the input bytes; it is
    /// also what the server hashes when it re-serialises a role (spec §2.5).
    pub fn to_file_bytes(&self) -> Result<Vec<u8>, MetadataError> {
        let body = self
            .signed
            .canonical_bytes()
            .map_err(|source| MetadataError::Canonical { role: self.role.to_string(), source })?;
        Ok(envelope_bytes(&body, &self.signatures))
    }

    /// The bytes to upload or cache: the received bytes if parsed, else [`Signed::to_file_bytes`].
    pub fn file_bytes(&self) -> Result<Vec<u8>, MetadataError> {
        match &self.raw {
            Some(raw) => Ok(raw.clone()),
            None => self.to_file_bytes(),
        }
    }
}

/// The bytes every verifier checks signatures against: the canonical form of the *parsed*
/// body (Go's verifier re-canonicalises the generic value, spec §2.1). Equal to
/// [`RoleBody::canonical_bytes`] unless a `custom` value is not itself canonical (trap T9), in
/// which case signing these bytes — unlike Go's signer — still yields a verifiable file.
fn verifier_message<T: RoleBody>(role: &RoleName, body: &T) -> Result<Vec<u8>, MetadataError> {
    let err = |source| MetadataError::Canonical { role: role.to_string(), source };
    let canonical = body.canonical_bytes().map_err(err)?;
    to_canonical(&Value::parse(&canonical).map_err(err)?).map_err(err)
}

/// Strict generic parse of a whole file. Syntax errors are located by line and column (path
/// `.`); data errors such as duplicate keys also get the JSON path of the enclosing object.
fn parse_value(bytes: &[u8]) -> Result<Value, (String, String)> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: Value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = if e.inner().is_data() { e.path().to_string() } else { ".".to_owned() };
        (path, format!("invalid JSON: {}", e.into_inner()))
    })?;
    de.end().map_err(|e| (".".to_owned(), format!("invalid JSON: {e}")))?;
    Ok(value)
}

fn envelope_bytes(canonical_body: &[u8], signatures: &[Signature]) -> Vec<u8> {
    let mut out = Vec::with_capacity(canonical_body.len() + 64 + signatures.len() * 200);
    out.extend_from_slice(b"{\"signed\":");
    out.extend_from_slice(&go_html_escape(canonical_body));
    out.extend_from_slice(b",\"signatures\":[");
    for (i, s) in signatures.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"keyid\":");
        go_string(&mut out, s.keyid.as_str());
        out.extend_from_slice(b",\"method\":");
        go_string(&mut out, &s.method);
        out.extend_from_slice(b",\"sig\":");
        go_string(&mut out, &super::common::base64_encode(&s.sig));
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    out
}

/// Signing metadata failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// The body is not valid metadata.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// A signer failed.
    #[error(transparent)]
    Signer(#[from] SignError),
    /// No signer was given.
    #[error("no signing key given for {role}")]
    NoSigners {
        /// The role.
        role: String,
    },
}
