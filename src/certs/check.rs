//! notary's certificate sanity checks (`tuf/utils/x509.go ValidateCertificate`), shared by root
//! leaf and intermediate certificates, pinned CA certificates and delegation keys (spec §3.6).

use crate::oid::RSA_ENCRYPTION;
use chrono::{DateTime, Duration, Utc};
use der::asn1::{ObjectIdentifier, UintRef};
use der::{Decode, Sequence};

use super::CertificateError;
use super::parsed::ParsedCert;
use crate::metadata::PublicKey;

/// Smallest RSA modulus notary accepts (`notary.MinRSABitSize`).
pub const MIN_RSA_BITS: usize = 2048;

/// The signature algorithms Go maps to `SHA1WithRSA`, `DSAWithSHA1` and `ECDSAWithSHA1`.
const SHA1_SIGNATURES: [ObjectIdentifier; 4] = [
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5"), // sha1WithRSAEncryption
    ObjectIdentifier::new_unwrap("1.3.14.3.2.29"),        // sha1WithRSA (ISO/OIW)
    ObjectIdentifier::new_unwrap("1.2.840.10040.4.3"),    // dsa-with-sha1
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.1"),    // ecdsa-with-SHA1
];

#[derive(Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// Go's `ValidateCertificate(c, checkExpiry)`, with `expiry_at` = the current time when the
/// validity window is to be checked:
/// * notBefore must not be after notAfter;
/// * not signed with a SHA-1 algorithm;
/// * RSA keys have at least [`MIN_RSA_BITS`] bits;
/// * with `expiry_at`: not expired (`now > notAfter`) and notBefore at most one day ahead.
pub(crate) fn check_parsed(c: &ParsedCert, expiry_at: Option<DateTime<Utc>>) -> Result<(), CertificateError> {
    let (not_before, not_after) = (c.not_before(), c.not_after());
    if not_before > not_after {
        return Err(CertificateError::Invalid(format!("{}: validity window is invalid", c.describe())));
    }
    if SHA1_SIGNATURES.contains(&c.signature_algorithm()) {
        return Err(CertificateError::Invalid(format!("{} uses invalid SHA1 signature algorithm", c.describe())));
    }
    if c.public_key_algorithm() == RSA_ENCRYPTION {
        let bits = c
            .cert
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .as_bytes()
            .and_then(|k| RsaPublicKey::from_der(k).ok())
            .map(|k| bit_len(k.modulus.as_bytes()))
            .ok_or_else(|| CertificateError::Invalid(format!("{}: unable to parse RSA public key", c.describe())))?;
        if bits < MIN_RSA_BITS {
            return Err(CertificateError::Invalid(format!(
                "{}: RSA bit length {bits} is too short (minimum {MIN_RSA_BITS})",
                c.describe()
            )));
        }
    }
    if let Some(now) = expiry_at {
        // Go: `now.AddDate(0, 0, 1).Before(NotBefore) || now.After(NotAfter)`.
        if now + Duration::days(1) < not_before || now > not_after {
            return Err(CertificateError::Invalid(format!(
                "{} is expired or not yet valid (valid {} to {}, now {})",
                c.describe(),
                not_before.to_rfc3339(),
                not_after.to_rfc3339(),
                now.to_rfc3339()
            )));
        }
    }
    Ok(())
}

fn bit_len(unsigned_be: &[u8]) -> usize {
    let mut bytes = unsigned_be;
    while let [0, rest @ ..] = bytes {
        bytes = rest;
    }
    match bytes.first() {
        None => 0,
        Some(&top) => bytes.len() * 8 - top.leading_zeros() as usize,
    }
}

/// Checks one DER certificate as notary's `ValidateCertificate` does (see module docs); pass
/// `expiry_at: Some(now)` to also check the validity window (with notary's one-day leeway on
/// notBefore), `None` to skip it.
pub fn check_certificate_der(der: &[u8], expiry_at: Option<DateTime<Utc>>) -> Result<(), CertificateError> {
    check_parsed(&ParsedCert::from_der(der.to_vec())?, expiry_at)
}

/// The check notary applies to every key of a delegation when the role is resolved
/// (`tuf/tuf.go GetDelegationRole`): if the key's material contains a certificate (the first
/// header-less `CERTIFICATE` PEM block that parses), it must pass the certificate checks
/// **without** the expiry check (the role's own expiry governs). Keys without a certificate
/// pass.
pub fn check_delegation_key(key: &PublicKey) -> Result<(), CertificateError> {
    match super::pem_chain::first_certificate(key.public()) {
        Some(cert) => check_parsed(&cert, None),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length_ignores_sign_padding() {
        assert_eq!(bit_len(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_len(&[0x01, 0xff]), 9);
        assert_eq!(bit_len(&[]), 0);
    }
}
