//! Notary's self-signed root certificate (`cryptoservice/certificate.go`,
//! `tuf/utils/x509.go NewCertificate`, `client/client.go rootCertKey`; spec §3.5), built field
//! by field so that it is structurally identical to the one Go's `x509.CreateCertificate`
//! produces from notary's template.

use crate::oid::{ECDSA_WITH_SHA256, ID_AT_COMMON_NAME};
use chrono::{DateTime, Datelike, Duration, Utc};
use der::asn1::{Any, BitString, GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Decode, Encode, Tag};
use ring::rand::{SecureRandom, SystemRandom};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use super::parsed::{ID_CE_BASIC_CONSTRAINTS, ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE};
use super::pem_chain::{bundle_key, encode_certificate_pem, parse_bundle};
use super::{CertificateError, leaf_spki};
use crate::keys::{PublicKeyInfo, SignatureMethod, Signer, raw_to_der, verify_signature};
use crate::metadata::{KeyType, PublicKey};

/// Validity of a generated root certificate: `notary.Year * 10`, i.e. 10 × 365 days of 24 h
/// (leap days are not counted, so notAfter falls a few calendar days before the 10th
/// anniversary).
pub const ROOT_CERTIFICATE_VALIDITY: Duration = Duration::days(10 * 365);

/// keyUsage BIT STRING: digitalSignature (bit 0) + keyEncipherment (bit 2) → `03 02 05 a0`.
const KEY_USAGE_DER: [u8; 4] = [0x03, 0x02, 0x05, 0xa0];
/// extKeyUsage SEQUENCE { id-kp-codeSigning }.
const EXT_KEY_USAGE_DER: [u8; 12] = [0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
/// basicConstraints SEQUENCE {} (cA FALSE is the DEFAULT, hence omitted).
const BASIC_CONSTRAINTS_DER: [u8; 2] = [0x30, 0x00];

/// Generates notary's root certificate for `gun`, self-signed by `signer`, and returns its PEM
/// text in Go's encoding (what goes, base64-encoded, into the `ecdsa-x509` key's `public`).
///
/// Exactly as notary 0.7 (spec §3.5): X.509 v3; random serial below 2^128; subject = issuer =
/// a single `CN=<gun>` (PrintableString when every character allows it, else UTF8String, as
/// Go chooses); notBefore = `not_before`, notAfter = `not_before` +
/// [`ROOT_CERTIFICATE_VALIDITY`] (both truncated to whole seconds; UTCTime through 2049,
/// GeneralizedTime after); extensions keyUsage (critical: digitalSignature, keyEncipherment),
/// extKeyUsage (codeSigning), basicConstraints (critical, CA=false), in that order, no key
/// identifiers; signature ecdsa-with-SHA256.
///
/// Only ECDSA P-256 signers are supported (the only root keys notary and docker generate):
/// the signer's key may be the bare `ecdsa` key or an existing `ecdsa-x509` certificate key of
/// the same key pair. The certificate's signature is verified before it is returned.
pub async fn generate_root_certificate(
    gun: &str,
    signer: &dyn Signer,
    not_before: DateTime<Utc>,
) -> Result<Vec<u8>, CertificateError> {
    let spki_der = signer_spki(signer.public_key())?;
    match PublicKeyInfo::from_spki_der(&spki_der) {
        Ok(PublicKeyInfo::EcP256(_)) => {}
        Ok(_) => return Err(unsupported("only ECDSA P-256 keys can have a notary root certificate")),
        Err(e) => return Err(unsupported(&e.to_string())),
    }
    if signer.method() != SignatureMethod::Ecdsa {
        return Err(unsupported(&format!("signer produces {} signatures, expected ecdsa", signer.method())));
    }
    let not_before_secs = not_before.timestamp();
    let not_after_secs = not_before_secs
        .checked_add(ROOT_CERTIFICATE_VALIDITY.num_seconds())
        .ok_or_else(|| unsupported("notAfter out of range"))?;
    let name = common_name(gun)?;
    let algorithm = AlgorithmIdentifierOwned { oid: ECDSA_WITH_SHA256, parameters: None };
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: random_serial()?,
        signature: algorithm.clone(),
        issuer: name.clone(),
        validity: Validity { not_before: asn1_time(not_before_secs)?, not_after: asn1_time(not_after_secs)? },
        subject: name,
        subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&spki_der)
            .map_err(|e| unsupported(&format!("SPKI: {e}")))?,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(vec![
            extension(ID_CE_KEY_USAGE, true, &KEY_USAGE_DER)?,
            extension(ID_CE_EXT_KEY_USAGE, false, &EXT_KEY_USAGE_DER)?,
            extension(ID_CE_BASIC_CONSTRAINTS, true, &BASIC_CONSTRAINTS_DER)?,
        ]),
    };
    let tbs_der = tbs.to_der().map_err(|e| encoding(&e))?;
    let raw_sig = signer.sign(&tbs_der).await.map_err(|e| CertificateError::Signing(e.to_string()))?;
    verify_signature(signer.public_key(), SignatureMethod::Ecdsa.as_str(), &tbs_der, &raw_sig).map_err(|e| {
        CertificateError::Signing(format!("the signer's signature does not verify with its public key: {e}"))
    })?;
    let sig_der = raw_to_der(&raw_sig)
        .ok_or_else(|| CertificateError::Signing(format!("not a raw r||s signature ({} bytes)", raw_sig.len())))?;
    let cert = Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(&sig_der).map_err(|e| encoding(&e))?,
    };
    Ok(encode_certificate_pem(&cert.to_der().map_err(|e| encoding(&e))?))
}

/// The certificate key for a PEM chain (leaf first), as Go's `CertBundleToKey`: the chain is
/// re-encoded in Go's PEM form and typed by the leaf's key: `ecdsa-x509` or `rsa-x509`.
///
/// Use it to list a root certificate in metadata; its [`PublicKey::canonical_id`] is the bare
/// key's ID.
pub fn certificate_public_key(pem_chain: &[u8]) -> Result<PublicKey, CertificateError> {
    let chain = parse_bundle(pem_chain)?;
    let (leaf, intermediates) = chain.split_first().ok_or_else(|| CertificateError::Malformed("empty chain".into()))?;
    bundle_key(leaf, intermediates)
        .ok_or_else(|| unsupported("the leaf certificate holds neither an ECDSA nor an RSA key"))
}

fn signer_spki(key: &PublicKey) -> Result<Vec<u8>, CertificateError> {
    match key.key_type() {
        KeyType::Ecdsa => Ok(key.public().to_vec()),
        KeyType::EcdsaX509 => leaf_spki(key.public()),
        other => Err(unsupported(&format!("{other} keys cannot have a notary root certificate"))),
    }
}

/// Sixteen random bytes as a non-negative INTEGER: uniform below 2^128, like Go's
/// `rand.Int(rand.Reader, 1<<128)`.
fn random_serial() -> Result<SerialNumber, CertificateError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| CertificateError::Signing("no randomness for the serial".into()))?;
    SerialNumber::new(&bytes).map_err(|e| encoding(&e))
}

/// `CN=<gun>`, encoded as Go's `asn1.Marshal` encodes an untagged string: PrintableString when
/// every character is in its set (without `*` and `&`), UTF8String otherwise.
fn common_name(gun: &str) -> Result<Name, CertificateError> {
    let tag = if gun.bytes().all(is_printable) { Tag::PrintableString } else { Tag::Utf8String };
    let value = Any::new(tag, gun.as_bytes()).map_err(|e| encoding(&e))?;
    let rdn =
        SetOfVec::try_from(vec![AttributeTypeAndValue { oid: ID_AT_COMMON_NAME, value }]).map_err(|e| encoding(&e))?;
    Ok(RdnSequence(vec![RelativeDistinguishedName(rdn)]))
}

fn is_printable(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b' ' | b'\'' | b'(' | b')' | b'+' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?')
}

/// Go's `asn1` time encoding: UTCTime for 1950–2049, GeneralizedTime otherwise, in seconds.
fn asn1_time(unix_secs: i64) -> Result<Time, CertificateError> {
    let out_of_range = || unsupported("certificate validity outside 1970-9999");
    let secs = u64::try_from(unix_secs).map_err(|_| out_of_range())?;
    let year = DateTime::from_timestamp(unix_secs, 0).ok_or_else(out_of_range)?.year();
    let d = std::time::Duration::from_secs(secs);
    if year <= i32::from(UtcTime::MAX_YEAR) {
        Ok(Time::UtcTime(UtcTime::from_unix_duration(d).map_err(|_| out_of_range())?))
    } else {
        Ok(Time::GeneralTime(GeneralizedTime::from_unix_duration(d).map_err(|_| out_of_range())?))
    }
}

fn extension(oid: ObjectIdentifier, critical: bool, value: &[u8]) -> Result<Extension, CertificateError> {
    Ok(Extension { extn_id: oid, critical, extn_value: OctetString::new(value).map_err(|e| encoding(&e))? })
}

fn unsupported(why: &str) -> CertificateError {
    CertificateError::UnsupportedKey(why.to_owned())
}

fn encoding(e: &der::Error) -> CertificateError {
    CertificateError::Malformed(format!("encoding the certificate: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cn_string_type_follows_go() {
        let der_of = |gun: &str| common_name(gun).unwrap().to_der().unwrap();
        // PrintableString (0x13) for the usual GUN characters...
        assert!(der_of("docker.io/library/alpine:5000").windows(2).any(|w| w == [0x13, 29]));
        // ...UTF8String (0x0c) as soon as one character is outside the set (`_`, `*`, `&`).
        assert!(der_of("docker.io/my_repo").windows(2).any(|w| w == [0x0c, 17]));
        assert!(der_of("docker.io/*").windows(2).any(|w| w == [0x0c, 11]));
    }

    #[test]
    fn validity_switches_to_generalized_time_in_2050() {
        let t2049 = DateTime::parse_from_rfc3339("2049-12-31T23:59:59Z").unwrap().timestamp();
        assert!(matches!(asn1_time(t2049).unwrap(), Time::UtcTime(_)));
        assert!(matches!(asn1_time(t2049 + 1).unwrap(), Time::GeneralTime(_)));
    }
}
