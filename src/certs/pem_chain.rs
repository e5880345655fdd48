//! PEM certificate chains as stored in `ecdsa-x509`/`rsa-x509` keys, and Go's exact PEM
//! encoding of them (spec §3.1, trap T6).

use crate::oid::{ID_EC_PUBLIC_KEY, RSA_ENCRYPTION};
use base64::Engine;
use der::Encode;
use x509_cert::Certificate;

use super::parsed::ParsedCert;
use crate::metadata::{KeyType, PublicKey};

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
    /// A certificate cannot be made for this key (only ECDSA P-256 signers are supported).
    #[error("unsupported key for a certificate: {0}")]
    UnsupportedKey(String),
    /// The signer failed, or returned a signature that does not verify.
    #[error("signing the certificate failed: {0}")]
    Signing(String),
}

/// Parses a PEM bundle that must contain only `CERTIFICATE` blocks (at least one).
pub fn parse_pem_chain(pem_bytes: &[u8]) -> Result<Vec<Certificate>, CertificateError> {
    Ok(parse_bundle(pem_bytes)?.into_iter().map(|p| p.cert).collect())
}

/// DER SubjectPublicKeyInfo of the first (leaf) certificate of a PEM chain.
pub fn leaf_spki(pem_bytes: &[u8]) -> Result<Vec<u8>, CertificateError> {
    let chain = parse_pem_chain(pem_bytes)?;
    let leaf = chain.first().ok_or_else(|| CertificateError::Malformed("empty chain".into()))?;
    leaf.tbs_certificate.subject_public_key_info.to_der().map_err(|e| CertificateError::Malformed(format!("SPKI: {e}")))
}

/// One `CERTIFICATE` PEM block exactly as Go's `pem.EncodeToMemory` writes it: no headers,
/// standard base64 wrapped at 64 columns, LF line ends, and a trailing newline after the
/// `END` line. Notary rebuilds certificate keys this way before hashing them into key IDs, so
/// certificate keys must be written in this form.
///
/// ```
/// let pem = notary_client::certs::encode_certificate_pem(&[0u8; 60]);
/// let text = String::from_utf8(pem).unwrap();
/// assert!(text.starts_with("-----BEGIN CERTIFICATE-----\nAAAA"));
/// assert!(text.ends_with("AA\n-----END CERTIFICATE-----\n"));
/// ```
pub fn encode_certificate_pem(der: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = Vec::with_capacity(b64.len() + b64.len() / 64 + 64);
    out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.extend_from_slice(b"-----END CERTIFICATE-----\n");
    out
}

/// Go's `utils.LoadCertBundleFromPEM`: every PEM block must be a parseable `CERTIFICATE`
/// (headers are tolerated), at least one.
pub(crate) fn parse_bundle(pem_bytes: &[u8]) -> Result<Vec<ParsedCert>, CertificateError> {
    let blocks = pem::parse_many(pem_bytes).map_err(|e| CertificateError::Malformed(format!("PEM: {e}")))?;
    if blocks.is_empty() {
        return Err(CertificateError::Malformed("no valid certificates found".into()));
    }
    blocks
        .into_iter()
        .map(|b| {
            if b.tag() != "CERTIFICATE" {
                return Err(CertificateError::Malformed(format!("invalid pem block type: {}", b.tag())));
            }
            ParsedCert::from_der(b.into_contents())
        })
        .collect()
}

/// Go's `utils.LoadCertFromPEM`: the first `CERTIFICATE` block without headers that parses;
/// other blocks are skipped. `None` when there is none (e.g. a bare DER key).
pub(crate) fn first_certificate(bytes: &[u8]) -> Option<ParsedCert> {
    let blocks = pem::parse_many(bytes).ok()?;
    blocks
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE" && b.headers().iter().next().is_none())
        .find_map(|b| ParsedCert::from_der(b.into_contents()).ok())
}

/// Go's `utils.CertChainToPEM`: the certificates' original DER, each as a Go PEM block.
pub(crate) fn encode_chain<'a>(chain: impl IntoIterator<Item = &'a ParsedCert>) -> Vec<u8> {
    chain.into_iter().flat_map(|c| encode_certificate_pem(&c.der)).collect()
}

/// Go's `utils.CertBundleToKey`: the key over leaf + intermediates re-encoded as Go PEM, typed
/// by the leaf's public key algorithm (`rsa-x509` or `ecdsa-x509`); `None` for other keys.
pub(crate) fn bundle_key(leaf: &ParsedCert, intermediates: &[ParsedCert]) -> Option<PublicKey> {
    let key_type = match leaf.public_key_algorithm() {
        RSA_ENCRYPTION => KeyType::RsaX509,
        ID_EC_PUBLIC_KEY => KeyType::EcdsaX509,
        _ => return None,
    };
    Some(PublicKey::new(key_type, encode_chain(std::iter::once(leaf).chain(intermediates))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_pem_wraps_at_64_columns_with_lf() {
        let pem = encode_certificate_pem(&[0xffu8; 60]);
        let text = String::from_utf8(pem).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2].len(), 80 - 64); // 60 bytes -> 80 base64 chars
        assert_eq!(lines[3], "-----END CERTIFICATE-----");
        assert!(text.ends_with("-----\n") && !text.contains('\r'));
    }
}
