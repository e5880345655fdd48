//! PEM certificate chains as stored in `ecdsa-x509`/`rsa-x509` keys.

use der::{Decode, Encode};
use x509_cert::Certificate;

/// A certificate key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Not a PEM bundle of `CERTIFICATE` blocks, or a block that is not a DER certificate.
    #[error("malformed certificate: {0}")]
    Malformed(String),
    /// A certificate that fails notary's checks (expiry, CN, CA flag, algorithm...).
    #[error("invalid certificate: {0}")]
    Invalid(String),
}

/// Parses a PEM bundle that must contain only `CERTIFICATE` blocks (at least one).
pub fn parse_pem_chain(pem_bytes: &[u8]) -> Result<Vec<Certificate>, CertificateError> {
    let blocks = pem::parse_many(pem_bytes).map_err(|e| CertificateError::Malformed(format!("PEM: {e}")))?;
    if blocks.is_empty() {
        return Err(CertificateError::Malformed("no PEM certificate block".into()));
    }
    blocks
        .iter()
        .map(|b| {
            if b.tag() != "CERTIFICATE" {
                return Err(CertificateError::Malformed(format!("unexpected PEM block {:?}", b.tag())));
            }
            Certificate::from_der(b.contents()).map_err(|e| CertificateError::Malformed(format!("DER: {e}")))
        })
        .collect()
}

/// DER SubjectPublicKeyInfo of the first (leaf) certificate of a PEM chain.
pub fn leaf_spki(pem_bytes: &[u8]) -> Result<Vec<u8>, CertificateError> {
    let chain = parse_pem_chain(pem_bytes)?;
    let leaf = chain.first().ok_or_else(|| CertificateError::Malformed("empty chain".into()))?;
    leaf.tbs_certificate.subject_public_key_info.to_der().map_err(|e| CertificateError::Malformed(format!("SPKI: {e}")))
}
