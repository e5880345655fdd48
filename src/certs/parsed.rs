//! One certificate with the facts notary's checks read from it, extracted the way Go's
//! `x509.ParseCertificate` exposes them (`IsCA`, `Subject.CommonName`, `MaxPathLen`...).

use crate::oid::ID_AT_COMMON_NAME;
use chrono::{DateTime, Utc};
use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode, Encode, Sequence, Tag, Tagged};
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::time::Time;

use super::CertificateError;

pub(crate) const ID_CE_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
pub(crate) const ID_CE_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
pub(crate) const ID_CE_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");

/// Extensions Go's parser understands; any other extension marked critical makes Go's chain
/// verification fail (`UnhandledCriticalExtension`).
const HANDLED_EXTENSIONS: [ObjectIdentifier; 10] = [
    ObjectIdentifier::new_unwrap("2.5.29.14"), // subjectKeyIdentifier
    ID_CE_KEY_USAGE,
    ObjectIdentifier::new_unwrap("2.5.29.17"), // subjectAltName
    ID_CE_BASIC_CONSTRAINTS,
    ObjectIdentifier::new_unwrap("2.5.29.30"), // nameConstraints
    ObjectIdentifier::new_unwrap("2.5.29.31"), // cRLDistributionPoints
    ObjectIdentifier::new_unwrap("2.5.29.32"), // certificatePolicies
    ObjectIdentifier::new_unwrap("2.5.29.35"), // authorityKeyIdentifier
    ID_CE_EXT_KEY_USAGE,
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1"), // authorityInfoAccess
];

/// The three top-level members of a certificate, undecoded (to recover the signed TBS bytes).
#[derive(Sequence)]
struct RawCertificate<'a> {
    tbs: AnyRef<'a>,
    algorithm: AnyRef<'a>,
    signature: AnyRef<'a>,
}

/// A parsed certificate together with its original DER (Go's `cert.Raw`).
#[derive(Debug, Clone)]
pub(crate) struct ParsedCert {
    /// The DER bytes exactly as they were in the PEM block.
    pub(crate) der: Vec<u8>,
    /// The decoded certificate.
    pub(crate) cert: Certificate,
    /// The DER of the TBSCertificate (what the issuer signed).
    pub(crate) tbs_der: Vec<u8>,
    /// Go's `Subject.CommonName`: the last CN attribute of a string type, or empty.
    pub(crate) common_name: String,
    /// Go's `BasicConstraintsValid` (the extension is present).
    pub(crate) basic_constraints_valid: bool,
    /// Go's `IsCA`.
    pub(crate) is_ca: bool,
    /// Go's `MaxPathLen` when set (`None` for Go's -1, "unlimited").
    pub(crate) max_path_len: Option<u8>,
    /// Key usage bits when the extension is present (Go's `KeyUsage`, 0 when absent).
    pub(crate) key_usage: Option<KeyUsage>,
    /// Extended key usage OIDs (Go's `ExtKeyUsage` ∪ `UnknownExtKeyUsage`).
    pub(crate) ext_key_usage: Vec<ObjectIdentifier>,
    /// Some critical extension is not one Go understands.
    pub(crate) unhandled_critical: bool,
}

impl ParsedCert {
    /// Parses DER, failing like Go's parser does on malformed known extensions.
    pub(crate) fn from_der(der: Vec<u8>) -> Result<Self, CertificateError> {
        let malformed = |what: &str, e: der::Error| CertificateError::Malformed(format!("{what}: {e}"));
        let cert = Certificate::from_der(&der).map_err(|e| malformed("DER", e))?;
        let raw = RawCertificate::from_der(&der).map_err(|e| malformed("DER", e))?;
        let tbs_der = raw.tbs.to_der().map_err(|e| malformed("TBSCertificate", e))?;
        let mut parsed = ParsedCert {
            common_name: common_name(&cert)?,
            der,
            cert,
            tbs_der,
            basic_constraints_valid: false,
            is_ca: false,
            max_path_len: None,
            key_usage: None,
            ext_key_usage: Vec::new(),
            unhandled_critical: false,
        };
        let extensions = parsed.cert.tbs_certificate.extensions.clone().unwrap_or_default();
        for ext in &extensions {
            let value = ext.extn_value.as_bytes();
            if ext.extn_id == ID_CE_BASIC_CONSTRAINTS {
                let bc = BasicConstraints::from_der(value).map_err(|e| malformed("basicConstraints", e))?;
                parsed.basic_constraints_valid = true;
                parsed.is_ca = bc.ca;
                parsed.max_path_len = bc.path_len_constraint;
            } else if ext.extn_id == ID_CE_KEY_USAGE {
                parsed.key_usage = Some(KeyUsage::from_der(value).map_err(|e| malformed("keyUsage", e))?);
            } else if ext.extn_id == ID_CE_EXT_KEY_USAGE {
                parsed.ext_key_usage = ExtendedKeyUsage::from_der(value).map_err(|e| malformed("extKeyUsage", e))?.0;
            } else if ext.critical && !HANDLED_EXTENSIONS.contains(&ext.extn_id) {
                parsed.unhandled_critical = true;
            }
        }
        Ok(parsed)
    }

    /// notBefore.
    pub(crate) fn not_before(&self) -> DateTime<Utc> {
        to_chrono(self.cert.tbs_certificate.validity.not_before)
    }

    /// notAfter.
    pub(crate) fn not_after(&self) -> DateTime<Utc> {
        to_chrono(self.cert.tbs_certificate.validity.not_after)
    }

    /// The outer signature algorithm OID (Go's `SignatureAlgorithm`).
    pub(crate) fn signature_algorithm(&self) -> ObjectIdentifier {
        self.cert.signature_algorithm.oid
    }

    /// The DER SubjectPublicKeyInfo.
    pub(crate) fn spki_der(&self) -> Result<Vec<u8>, CertificateError> {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| CertificateError::Malformed(format!("SPKI: {e}")))
    }

    /// The public key algorithm OID.
    pub(crate) fn public_key_algorithm(&self) -> ObjectIdentifier {
        self.cert.tbs_certificate.subject_public_key_info.algorithm.oid
    }

    /// The DER of the subject name (Go's `RawSubject`).
    pub(crate) fn subject_der(&self) -> Vec<u8> {
        self.cert.tbs_certificate.subject.to_der().unwrap_or_default()
    }

    /// The DER of the issuer name (Go's `RawIssuer`).
    pub(crate) fn issuer_der(&self) -> Vec<u8> {
        self.cert.tbs_certificate.issuer.to_der().unwrap_or_default()
    }

    /// Whether the key usage (if present) allows signing certificates (Go's
    /// `KeyUsage == 0 || KeyUsage&KeyUsageCertSign != 0`).
    pub(crate) fn may_sign_certificates(&self) -> bool {
        match &self.key_usage {
            None => true,
            Some(ku) => ku.0.is_empty() || ku.0.contains(KeyUsages::KeyCertSign),
        }
    }

    /// Short human description for error messages.
    pub(crate) fn describe(&self) -> String {
        format!("certificate with CN {:?}", self.common_name)
    }
}

fn to_chrono(t: Time) -> DateTime<Utc> {
    let d = t.to_unix_duration();
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Go's `pkix.Name.CommonName`: every CN attribute in the subject overwrites the previous one;
/// values that are not strings are ignored.
fn common_name(cert: &Certificate) -> Result<String, CertificateError> {
    let mut cn = String::new();
    for rdn in cert.tbs_certificate.subject.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid != ID_AT_COMMON_NAME {
                continue;
            }
            if let Some(s) = attribute_string(atv.value.tag(), atv.value.value())? {
                cn = s;
            }
        }
    }
    Ok(cn)
}

/// Decodes an attribute value of one of the string types Go's ASN.1 parser accepts.
fn attribute_string(tag: Tag, bytes: &[u8]) -> Result<Option<String>, CertificateError> {
    let bad = |t: &str| CertificateError::Malformed(format!("subject CN is not a valid {t}"));
    Ok(Some(match tag {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::NumericString => {
            String::from_utf8(bytes.to_vec()).map_err(|_| bad("string"))?
        }
        // Go keeps T61String bytes as they are.
        Tag::TeletexString => String::from_utf8_lossy(bytes).into_owned(),
        Tag::BmpString => {
            if !bytes.len().is_multiple_of(2) {
                return Err(bad("BMPString"));
            }
            let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            String::from_utf16(&units).map_err(|_| bad("BMPString"))?
        }
        _ => return Ok(None),
    }))
}
