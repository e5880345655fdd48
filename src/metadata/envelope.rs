//! The signed envelope `{"signed":…,"signatures":[…]}`: parsing with the bytes kept, Go's
//! exact file serialisation, and signing (spec §1.1, §2.1–2.3, traps T1–T3).

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Expires, KeyId, MetadataError, RoleName, Version};
use crate::canonical_json::{CanonicalJsonError, CanonicalWriter, Value, go_html_escape, go_string, to_canonical};
use crate::keys::{SignError, Signer, verify_signature};

mod sealed {
    /// Only this crate's four role bodies are metadata: the parse fast path trusts their
    /// `canonical_is_stable`.
    pub trait Sealed {}
    impl Sealed for crate::metadata::Root {}
    impl Sealed for crate::metadata::Targets {}
    impl Sealed for crate::metadata::Snapshot {}
    impl Sealed for crate::metadata::Timestamp {}
}

/// A role body: root, targets (and delegations), snapshot or timestamp. Sealed.
pub trait RoleBody: sealed::Sealed + Sized + Clone + DeserializeOwned {
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

    /// Whether [`RoleBody::canonical_bytes`] is already the canonical form of the generic JSON
    /// value it encodes, so that Go's verifier (parse generically, re-marshal canonically)
    /// computes the same bytes. Not so with raw `custom` JSON (written in its own key order) or
    /// a length beyond ±2^53. The default, `false`, always takes the generic round trip.
    fn canonical_is_stable(&self) -> bool {
        false
    }

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
#[derive(Clone)]
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
        // One plain typed parse serves both paths; `serde_path_to_error` re-runs only to name the
        // failing field.
        let typed = serde_json::from_slice::<WireEnvelope<T>>(bytes).map(|wire| {
            let signatures: Vec<Signature> = wire
                .signatures
                .into_iter()
                .map(|s| Signature { keyid: s.keyid, method: s.method.to_lowercase(), sig: s.sig })
                .collect();
            (wire.signed, signatures)
        });
        // Fast path, taken by every file notary writes: the file is byte-for-byte what this
        // crate writes for its typed parse. It then has no duplicate keys, unknown or
        // case-folded members, trailing data or non-canonical numbers, and its `_type` is
        // `T::TYPE`: every check of the general path below passes, and for a stable body the
        // message it would compute is the typed canonical body.
        let typed = match typed {
            Ok((signed, signatures)) => match canonical_file_message(&signed, &signatures, bytes) {
                Some(message) => {
                    signed.validate(&role)?;
                    return Ok(Signed { role, signed, signatures, message, raw: Some(bytes.to_vec()) });
                }
                None => Ok((signed, signatures)),
            },
            Err(e) => Err(e),
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
        let (signed, signatures) = match typed {
            Ok(t) => t,
            Err(plain) => {
                // Same deserializer, so this fails too (trailing data was rejected above).
                let mut de = serde_json::Deserializer::from_slice(bytes);
                return Err(match serde_path_to_error::deserialize::<_, WireEnvelope<T>>(&mut de) {
                    Err(e) => parse_err(e.path().to_string(), e.into_inner().to_string()),
                    Ok(_) => parse_err(".".into(), plain.to_string()),
                });
            }
        };
        let message = to_canonical(signed_value).map_err(|source| MetadataError::canonical(&role, source))?;
        drop(value);
        signed.validate(&role)?;
        Ok(Signed { role, signed, signatures, message, raw: Some(bytes.to_vec()) })
    }

    /// Signs `body` as role `role` with every signer (at least one).
    ///
    /// The body is validated first; each signer signs the message verifiers will check.
    pub async fn sign(role: RoleName, body: T, signers: &[&dyn Signer]) -> Result<Self, SigningError> {
        body.validate(&role)?;
        // `add_signatures` derives the message; with no signatures yet there is nothing to keep.
        let mut signed = Signed { role, signed: body, signatures: Vec::new(), message: Vec::new(), raw: None };
        signed.add_signatures(signers).await?;
        Ok(signed)
    }

    /// Adds (or replaces) the signatures of `signers` over the current body, as Go re-signs:
    /// the new signatures come first, followed by the existing signatures of other keys that
    /// are still over the same message. Lets several holders of a threshold role each add their
    /// signature to the same version.
    ///
    /// Each new signature is checked against the signer's own public key before it is
    /// accepted, so a backend returning, say, a DER ECDSA signature fails here rather than
    /// producing a file that readers reject.
    pub async fn add_signatures(&mut self, signers: &[&dyn Signer]) -> Result<(), SigningError> {
        if signers.is_empty() {
            return Err(SigningError::NoSigners { role: self.role.to_string() });
        }
        // What verifiers will check once the body is re-serialised (a parsed file may have
        // carried members the typed body drops): other signatures survive only if unchanged.
        let message = verifier_message(&self.role, &self.signed)?;
        let kept: Vec<Signature> =
            if message == self.message { std::mem::take(&mut self.signatures) } else { Vec::new() };
        self.message = message;
        let mut fresh = Vec::with_capacity(signers.len() + kept.len());
        for signer in signers {
            let key = signer.public_key();
            let sig = signer.sign(&self.message).await?;
            let method = signer.method().as_str();
            verify_signature(key, method, &self.message, &sig)
                .map_err(|reason| SigningError::BadSignature { key_id: key.id().to_string(), reason })?;
            fresh.retain(|s: &Signature| &s.keyid != key.id());
            fresh.push(Signature { keyid: key.id().clone(), method: method.to_owned(), sig });
        }
        let kept: Vec<Signature> =
            kept.into_iter().filter(|old| fresh.iter().all(|new: &Signature| new.keyid != old.keyid)).collect();
        fresh.extend(kept);
        self.signatures = fresh;
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
        let body = self.signed.canonical_bytes().map_err(|source| MetadataError::canonical(&self.role, source))?;
        Ok(envelope_bytes(&body, &self.signatures))
    }

    /// The bytes to upload or cache: the received bytes if parsed, else [`Signed::to_file_bytes`].
    pub fn file_bytes(&self) -> Result<std::borrow::Cow<'_, [u8]>, MetadataError> {
        match &self.raw {
            Some(raw) => Ok(std::borrow::Cow::Borrowed(raw)),
            None => self.to_file_bytes().map(std::borrow::Cow::Owned),
        }
    }
}

/// The bytes every verifier checks signatures against: the canonical form of the *parsed*
/// body (Go's verifier re-canonicalises the generic value, spec §2.1). Equal to
/// [`RoleBody::canonical_bytes`] unless a `custom` value is not itself canonical (trap T9), in
/// which case signing these bytes — unlike Go's signer — still yields a verifiable file.
fn verifier_message<T: RoleBody>(role: &RoleName, body: &T) -> Result<Vec<u8>, MetadataError> {
    let err = |source| MetadataError::canonical(role, source);
    let canonical = body.canonical_bytes().map_err(err)?;
    if body.canonical_is_stable() {
        return Ok(canonical);
    }
    to_canonical(&Value::parse(&canonical).map_err(err)?).map_err(err)
}

/// The verifier message of a parsed file if the file is exactly `envelope_bytes` of its typed
/// parse and the body is stable (the typed canonical bytes are then what Go's verifier
/// computes from the generic value); `None` sends the caller down the general path.
fn canonical_file_message<T: RoleBody>(body: &T, signatures: &[Signature], bytes: &[u8]) -> Option<Vec<u8>> {
    if !body.canonical_is_stable() {
        return None;
    }
    let canonical = body.canonical_bytes().ok()?;
    (envelope_bytes(&canonical, signatures) == bytes).then_some(canonical)
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

impl<T: RoleBody + std::fmt::Debug> std::fmt::Debug for Signed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bodies and byte buffers can be megabytes: show what identifies the file.
        f.debug_struct("Signed")
            .field("role", &self.role)
            .field("version", &self.signed.version())
            .field("expires", &self.signed.expires().to_go_string())
            .field("signatures", &self.signatures)
            .field("raw_len", &self.raw.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
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
    /// A signer produced a signature that does not verify with its own public key.
    #[error("the signature made with key {key_id} does not verify: {reason}")]
    BadSignature {
        /// The key's TUF ID.
        key_id: String,
        /// Why it does not verify.
        reason: crate::keys::SignatureError,
    },
    /// No signer was given.
    #[error("no signing key given for {role}")]
    NoSigners {
        /// The role.
        role: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{Targets, Timestamp};

    /// What Go's verifier signs over: the canonical form of the generic `signed` value.
    fn generic_message(bytes: &[u8]) -> Vec<u8> {
        match Value::parse(bytes).unwrap() {
            Value::Object(m) => to_canonical(&m["signed"]).unwrap(),
            _ => unreachable!(),
        }
    }

    const SIG: &str = r#""signatures":[{"keyid":"1192c9d6a8e45e4fa80fd3eb7fff45778ccad29c84f4ce7afcf45f62210a4955","method":"ecdsa","sig":"AAAA"}]"#;

    fn targets_file(targets: &str) -> Vec<u8> {
        format!(
            r#"{{"signed":{{"_type":"Targets","delegations":{{"keys":{{}},"roles":[]}},"expires":"2030-01-01T00:00:00Z","targets":{targets},"version":1}},{SIG}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn the_message_is_always_the_generic_canonical_form() {
        let h = r#""hashes":{"sha256":"lbmRtDEnrK4xv9M42C+vTVUR5Vu8qq373Q+Lnfe9hXk="},"length":3"#;
        for file in [
            // canonical (fast path), with HTML-escaped characters in a name
            targets_file(&format!(r#"{{"a\u003cb":{{{h}}}}}"#)),
            // custom data in non-canonical key order (general path)
            targets_file(&format!(r#"{{"a":{{"custom":{{"z":1,"a":2}},{h}}}}}"#)),
            // an unknown member inside `signed` (general path)
            targets_file(&format!(r#"{{"a":{{{h},"x":1}}}}"#)),
            // members out of order and an unescaped `<` (general path)
            targets_file(&format!(r#"{{"b<":{{{h}}},"a":{{{h}}}}}"#)),
        ] {
            let parsed = Signed::<Targets>::parse(RoleName::releases(), &file).unwrap();
            assert_eq!(parsed.message(), generic_message(&file), "{}", String::from_utf8_lossy(&file));
        }
    }

    #[test]
    fn duplicate_keys_outside_the_typed_model_are_still_rejected() {
        let ts = r#"{"signed":{"_type":"Timestamp","expires":"2030-01-01T00:00:00Z","meta":{"snapshot":{"hashes":{"sha256":"lbmRtDEnrK4xv9M42C+vTVUR5Vu8qq373Q+Lnfe9hXk="},"length":488}},"version":1},"#;
        for file in [
            format!(r#"{ts}{SIG},"x":1,"x":2}}"#),
            format!(r#"{ts}{}}}"#, SIG.replace(r#""sig":"AAAA""#, r#""sig":"AAAA","y":1,"y":2"#)),
            format!(r#"{ts}{SIG}}} "#).replace("\"length\":488", "\"length\":488,\"length\":488"),
        ] {
            assert!(Signed::<Timestamp>::parse(RoleName::timestamp(), file.as_bytes()).is_err(), "{file}");
        }
        let ok = format!(r#"{ts}{SIG}}}"#);
        let parsed = Signed::<Timestamp>::parse(RoleName::timestamp(), ok.as_bytes()).unwrap();
        assert_eq!(parsed.to_file_bytes().unwrap(), ok.as_bytes());
    }

    #[test]
    fn typed_errors_keep_their_field_path() {
        let file = targets_file(r#"{"a":{"hashes":{"sha256":"!!"},"length":3}}"#);
        let err = Signed::<Targets>::parse(RoleName::releases(), &file).unwrap_err().to_string();
        assert!(err.contains("signed.targets.a.hashes.sha256"), "{err}");
    }
}
