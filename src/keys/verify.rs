//! Verifying one signature. The algorithm is chosen by the **trusted key's type**; the
//! signature's `method` must merely agree with it (spec §3.4, trap T4).

use ring::signature::{self, UnparsedPublicKey};

use super::ecdsa_sig::raw_to_der;
use super::{PublicKeyInfo, SignatureMethod};
use crate::metadata::{KeyType, PublicKey};

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The `method` is not one notary verifies.
    #[error("unknown signature method {0:?}")]
    UnknownMethod(String),
    /// The method does not fit the trusted key's type (e.g. `eddsa` on an ECDSA key).
    #[error("method {method} cannot be used with a {key_type} key")]
    MethodKeyMismatch {
        /// The signature's method.
        method: String,
        /// The trusted key's type.
        key_type: KeyType,
    },
    /// The signature has the wrong length for the key (a DER ECDSA signature, say).
    #[error("signature is {actual} bytes, expected {expected}")]
    BadLength {
        /// Expected length.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
    /// The key material cannot be parsed.
    #[error("malformed public key: {0}")]
    MalformedKey(String),
    /// The key is of a kind this implementation cannot verify (e.g. P-521).
    #[error("unsupported public key: {0}")]
    UnsupportedKey(String),
    /// The signature is cryptographically invalid.
    #[error("signature is invalid")]
    Invalid,
}

/// Verifies `sig` over `message` with the trusted `key`, for the signature's `method`.
///
/// ECDSA signatures must be raw `r‖s` of exactly twice the curve size (DER is rejected),
/// hashed with SHA-256 whatever the curve; RSA keys must have at least 2048 bits; ed25519
/// keys exactly 32 bytes.
pub fn verify_signature(key: &PublicKey, method: &str, message: &[u8], sig: &[u8]) -> Result<(), SignatureError> {
    let m = SignatureMethod::parse(method).ok_or_else(|| SignatureError::UnknownMethod(method.to_owned()))?;
    let mismatch = || SignatureError::MethodKeyMismatch { method: m.as_str().to_owned(), key_type: key.key_type() };
    match (m, key.key_type().bare()) {
        (SignatureMethod::Ecdsa, KeyType::Ecdsa) => match key_info(key)? {
            PublicKeyInfo::EcP256(point) => {
                check_len(sig, 64)?;
                ring_verify(&signature::ECDSA_P256_SHA256_FIXED, &point, message, sig)
            }
            PublicKeyInfo::EcP384(point) => {
                check_len(sig, 96)?;
                let der = raw_to_der(sig).ok_or(SignatureError::Invalid)?;
                ring_verify(&signature::ECDSA_P384_SHA256_ASN1, &point, message, &der)
            }
            PublicKeyInfo::Rsa(_) => Err(mismatch()),
        },
        (SignatureMethod::RsaPss | SignatureMethod::RsaPkcs1v15, KeyType::Rsa) => match key_info(key)? {
            PublicKeyInfo::Rsa(pkcs1) => {
                let alg: &dyn signature::VerificationAlgorithm = if m == SignatureMethod::RsaPss {
                    &signature::RSA_PSS_2048_8192_SHA256
                } else {
                    &signature::RSA_PKCS1_2048_8192_SHA256
                };
                if sig.len() < 256 {
                    return Err(SignatureError::BadLength { expected: 256, actual: sig.len() });
                }
                ring_verify(alg, &pkcs1, message, sig)
            }
            _ => Err(mismatch()),
        },
        (SignatureMethod::Eddsa, KeyType::Ed25519) => {
            if key.public().len() != 32 {
                return Err(SignatureError::MalformedKey(format!(
                    "ed25519 key is {} bytes, expected 32",
                    key.public().len()
                )));
            }
            check_len(sig, 64)?;
            ring_verify(&signature::ED25519, key.public(), message, sig)
        }
        _ => Err(mismatch()),
    }
}

fn check_len(sig: &[u8], expected: usize) -> Result<(), SignatureError> {
    if sig.len() == expected { Ok(()) } else { Err(SignatureError::BadLength { expected, actual: sig.len() }) }
}

fn key_info(key: &PublicKey) -> Result<PublicKeyInfo, SignatureError> {
    if key.key_type().is_certificate() {
        let spki = crate::certs::leaf_spki(key.public()).map_err(|e| SignatureError::MalformedKey(e.to_string()))?;
        PublicKeyInfo::from_spki_der(&spki)
    } else {
        PublicKeyInfo::from_spki_der(key.public())
    }
}

fn ring_verify(
    alg: &'static dyn signature::VerificationAlgorithm,
    public: &[u8],
    message: &[u8],
    sig: &[u8],
) -> Result<(), SignatureError> {
    UnparsedPublicKey::new(alg, public).verify(message, sig).map_err(|_| SignatureError::Invalid)
}
