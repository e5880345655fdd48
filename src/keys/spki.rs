//! SubjectPublicKeyInfo parsing: which algorithm and curve a DER public key holds.

use crate::oid::{ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP256R1, SECP384R1};
use der::Decode;
use der::asn1::ObjectIdentifier;
use spki::SubjectPublicKeyInfoRef;

use super::SignatureError;

/// The DER SubjectPublicKeyInfo prefix of an uncompressed P-256 point (26 bytes).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The DER SPKI (91 bytes) of an uncompressed P-256 point (65 bytes), as Go's
/// `x509.MarshalPKIXPublicKey` writes it.
pub fn p256_spki_from_point(point: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(P256_SPKI_PREFIX.len() + point.len());
    out.extend_from_slice(&P256_SPKI_PREFIX);
    out.extend_from_slice(point);
    out
}

/// The DER SPKI (rsaEncryption with NULL parameters) of a PKCS#1 `RSAPublicKey`, as Go's
/// `x509.MarshalPKIXPublicKey` writes it.
pub(crate) fn rsa_spki(pkcs1: &[u8]) -> Vec<u8> {
    use super::asn1::{Tag, oid, tlv};
    let algorithm = tlv(Tag::SEQUENCE, &[&oid(&RSA_ENCRYPTION), &tlv(Tag::NULL, &[])]);
    tlv(Tag::SEQUENCE, &[&algorithm, &tlv(Tag::BIT_STRING, &[&[0], pkcs1])]).to_vec()
}

/// What a DER SubjectPublicKeyInfo holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKeyInfo {
    /// ECDSA P-256 with its uncompressed point.
    EcP256(Vec<u8>),
    /// ECDSA P-384 with its uncompressed point.
    EcP384(Vec<u8>),
    /// RSA with its PKCS#1 `RSAPublicKey` DER.
    Rsa(Vec<u8>),
}

impl PublicKeyInfo {
    /// Parses DER SPKI bytes.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, SignatureError> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| SignatureError::MalformedKey(format!("not a DER SubjectPublicKeyInfo: {e}")))?;
        let key = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| SignatureError::MalformedKey("public key bit string has unused bits".into()))?
            .to_vec();
        if spki.algorithm.oid == ID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .ok_or_else(|| SignatureError::MalformedKey("EC key without a named curve".into()))?;
            match curve {
                SECP256R1 => Ok(PublicKeyInfo::EcP256(key)),
                SECP384R1 => Ok(PublicKeyInfo::EcP384(key)),
                other => Err(SignatureError::UnsupportedKey(format!("EC curve {other} is not supported"))),
            }
        } else if spki.algorithm.oid == RSA_ENCRYPTION {
            Ok(PublicKeyInfo::Rsa(key))
        } else {
            Err(SignatureError::UnsupportedKey(format!("public key algorithm {}", spki.algorithm.oid)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p256_prefix_round_trips() {
        let mut point = vec![4u8];
        point.extend_from_slice(&[1u8; 64]);
        let spki = p256_spki_from_point(&point);
        assert_eq!(spki.len(), 91);
        assert_eq!(PublicKeyInfo::from_spki_der(&spki).unwrap(), PublicKeyInfo::EcP256(point));
    }
}
