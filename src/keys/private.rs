//! Private key material in the forms notary keeps in memory (`tuf/data/keys.go`): SEC1
//! `ECPrivateKey` DER for ECDSA, PKCS#1 DER for RSA and the 96-byte `pub‖seed‖pub` blob for
//! Ed25519 (spec §3.1). Every buffer is zeroized when dropped; `Debug` shows no secret.

use std::fmt;

use der::asn1::{BitStringRef, ContextSpecific, ObjectIdentifier, OctetStringRef, UintRef};
use der::{Decode, Reader, SliceReader, TagNumber};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::asn1::{ED25519_GNUPG, ED25519_RFC8410, Tag, oid, tlv};
use super::p256_spki_from_point;
use crate::metadata::{KeyType, PublicKey};
use crate::oid::{ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP256R1, SECP384R1};

/// `secp521r1`, named only to say it is unsupported.
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// A private key that cannot be used: what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidPrivateKey {
    /// The DER structure is not a key of the claimed kind.
    #[error("malformed private key: {0}")]
    Malformed(String),
    /// A well-formed key notary-client cannot sign with.
    #[error("unsupported private key: {0}")]
    Unsupported(String),
}

fn malformed(what: impl fmt::Display) -> InvalidPrivateKey {
    InvalidPrivateKey::Malformed(what.to_string())
}

/// The derive checks at compile time that every field not marked public (`skip`) zeroizes.
#[derive(ZeroizeOnDrop)]
enum Material {
    /// P-256: the 32-byte scalar and the 65-byte uncompressed point.
    EcdsaP256 {
        scalar: Zeroizing<[u8; 32]>,
        #[zeroize(skip)]
        point: [u8; 65],
    },
    /// RSA: PKCS#1 `RSAPrivateKey` DER and the PKCS#1 `RSAPublicKey` ring derived from it.
    Rsa {
        pkcs1: Zeroizing<Vec<u8>>,
        #[zeroize(skip)]
        rsa_public: Vec<u8>,
    },
    /// Ed25519: the 32-byte seed and public key.
    Ed25519 {
        seed: Zeroizing<[u8; 32]>,
        #[zeroize(skip)]
        public: [u8; 32],
    },
}

/// A private key's material, independent of how it is stored.
///
/// Key files ([`crate::key_file`]) decode into it and encode from it; [`super::SoftwareKey`]
/// signs with it.
///
/// ```
/// use notary_client::keys::PrivateKey;
/// let key = PrivateKey::generate_p256().unwrap();
/// let again = PrivateKey::from_sec1_der(&key.to_go_der()).unwrap();
/// assert_eq!(key.public_key(), again.public_key());
/// assert!(!format!("{key:?}").contains(&hex::encode(&key.to_go_der()[7..39])));
/// ```
///
/// Its buffers are zeroized on drop ([`ZeroizeOnDrop`]); the encodings it returns are
/// [`Zeroizing`] too. ring's key pairs built from it ([`super::SoftwareKey`]) keep their own
/// copy, which ring does not zeroize.
#[derive(ZeroizeOnDrop)]
pub struct PrivateKey {
    material: Material,
}

impl PrivateKey {
    /// Generates an ECDSA P-256 key, the only type notary and docker generate.
    pub fn generate_p256() -> Result<Self, InvalidPrivateKey> {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|_| InvalidPrivateKey::Unsupported("P-256 key generation failed".into()))?;
        Self::from_pkcs8_der(pkcs8.as_ref())
    }

    /// Generates an Ed25519 key.
    pub fn generate_ed25519() -> Result<Self, InvalidPrivateKey> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| InvalidPrivateKey::Unsupported("Ed25519 key generation failed".into()))?;
        Self::from_pkcs8_der(pkcs8.as_ref())
    }

    /// Decodes an unencrypted PKCS#8 `PrivateKeyInfo`: the standard encodings (RFC 5208/5958,
    /// RFC 8410 Ed25519) and notary's variants (ECDSA with version 1, RSA without the NULL
    /// parameter, Ed25519 under the GnuPG OID with the 96-byte blob; spec §4.3).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, InvalidPrivateKey> {
        let info = super::asn1::PrivateKeyInfo::decode(der).map_err(malformed)?;
        match info.algorithm {
            ID_EC_PUBLIC_KEY => Self::from_sec1(info.private_key, info.curve),
            RSA_ENCRYPTION => Self::from_pkcs1_der(info.private_key),
            ED25519_GNUPG => Self::from_ed25519_blob(info.private_key),
            ED25519_RFC8410 => {
                // CurvePrivateKey ::= OCTET STRING, nested in the PKCS#8 OCTET STRING.
                let seed = OctetStringRef::from_der(info.private_key).map_err(malformed)?;
                Self::from_ed25519_seed(seed.as_bytes(), info.public_key)
            }
            other => Err(InvalidPrivateKey::Unsupported(format!("private key algorithm OID {other}"))),
        }
    }

    /// Decodes a SEC1 `ECPrivateKey` (`EC PRIVATE KEY` files, notary's in-memory ECDSA form).
    pub fn from_sec1_der(der: &[u8]) -> Result<Self, InvalidPrivateKey> {
        Self::from_sec1(der, None)
    }

    fn from_sec1(der: &[u8], curve_from_algorithm: Option<ObjectIdentifier>) -> Result<Self, InvalidPrivateKey> {
        let mut reader = SliceReader::new(der).map_err(malformed)?;
        let (scalar, curve, point) = reader
            .sequence(|r| {
                let _version = UintRef::decode(r)?;
                let scalar = OctetStringRef::decode(r)?.as_bytes();
                let curve = ContextSpecific::<ObjectIdentifier>::decode_explicit(r, TagNumber::N0)?.map(|c| c.value);
                let point = ContextSpecific::<BitStringRef<'_>>::decode_explicit(r, TagNumber::N1)?
                    .and_then(|p| p.value.as_bytes());
                Ok((scalar, curve, point))
            })
            .map_err(|e| malformed(format!("EC private key: {e}")))?;
        reader.finish(()).map_err(malformed)?;
        let curve = curve.or(curve_from_algorithm).ok_or_else(|| malformed("EC private key names no curve"))?;
        match curve {
            SECP256R1 => {}
            SECP384R1 | SECP521R1 => {
                return Err(InvalidPrivateKey::Unsupported(format!(
                    "EC curve {curve}: notary signs ECDSA with SHA-256, which ring offers only for P-256"
                )));
            }
            other => return Err(InvalidPrivateKey::Unsupported(format!("EC curve {other}"))),
        }
        let point = point.ok_or_else(|| {
            InvalidPrivateKey::Unsupported("EC private key without its public key (notary always writes it)".into())
        })?;
        let mut padded = Zeroizing::new([0u8; 32]);
        // Some encoders keep leading zero bytes; Go reads them as the same integer.
        let first_significant = scalar.iter().position(|b| *b != 0).unwrap_or(scalar.len());
        let scalar = if scalar.len() > 32 { &scalar[first_significant.min(scalar.len() - 32)..] } else { scalar };
        if scalar.len() > 32 {
            return Err(malformed("P-256 private scalar longer than 32 bytes"));
        }
        padded[32 - scalar.len()..].copy_from_slice(scalar);
        let point: [u8; 65] = point.try_into().map_err(|_| malformed("P-256 public key is not 65 bytes"))?;
        let key = PrivateKey { material: Material::EcdsaP256 { scalar: padded, point } };
        key.check_pair()?;
        Ok(key)
    }

    /// Decodes a PKCS#1 `RSAPrivateKey` (`RSA PRIVATE KEY` files, notary's in-memory RSA form).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, InvalidPrivateKey> {
        let pair =
            RsaKeyPair::from_der(der).map_err(|e| InvalidPrivateKey::Unsupported(format!("RSA key rejected: {e}")))?;
        let rsa_public = pair.public().as_ref().to_vec();
        Ok(PrivateKey { material: Material::Rsa { pkcs1: Zeroizing::new(der.to_vec()), rsa_public } })
    }

    /// Decodes notary's 96-byte Ed25519 blob `pub(32)‖seed(32)‖pub(32)` (`ED25519 PRIVATE KEY`
    /// files and notary's PKCS#8 body).
    pub fn from_ed25519_blob(blob: &[u8]) -> Result<Self, InvalidPrivateKey> {
        if blob.len() != 96 {
            return Err(malformed(format!("Ed25519 private key is {} bytes, notary's form has 96", blob.len())));
        }
        Self::from_ed25519_seed(&blob[32..64], Some(&blob[..32]))
    }

    fn from_ed25519_seed(seed: &[u8], public: Option<&[u8]>) -> Result<Self, InvalidPrivateKey> {
        let seed: [u8; 32] = seed.try_into().map_err(|_| malformed("Ed25519 seed is not 32 bytes"))?;
        let seed = Zeroizing::new(seed);
        let derived = Ed25519KeyPair::from_seed_unchecked(seed.as_ref()).map_err(malformed)?;
        let mut public_key = [0u8; 32];
        public_key.copy_from_slice(derived.public_key().as_ref());
        if public.is_some_and(|p| p != public_key) {
            return Err(malformed("Ed25519 public key does not belong to the seed"));
        }
        Ok(PrivateKey { material: Material::Ed25519 { seed, public: public_key } })
    }

    /// Checks that ring accepts the key pair (consistent public part, sane RSA parameters).
    fn check_pair(&self) -> Result<(), InvalidPrivateKey> {
        self.key_pair().map(|_| ())
    }

    pub(crate) fn key_pair(&self) -> Result<KeyPairRef, InvalidPrivateKey> {
        let rng = SystemRandom::new();
        Ok(match &self.material {
            Material::EcdsaP256 { scalar, point } => KeyPairRef::EcdsaP256(
                EcdsaKeyPair::from_private_key_and_public_key(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    scalar.as_ref(),
                    point,
                    &rng,
                )
                .map_err(|e| malformed(format!("P-256 key pair rejected: {e}")))?,
            ),
            Material::Rsa { pkcs1, .. } => KeyPairRef::Rsa(
                RsaKeyPair::from_der(pkcs1)
                    .map_err(|e| InvalidPrivateKey::Unsupported(format!("RSA key rejected: {e}")))?,
            ),
            Material::Ed25519 { seed, public } => {
                KeyPairRef::Ed25519(Ed25519KeyPair::from_seed_and_public_key(seed.as_ref(), public).map_err(malformed)?)
            }
        })
    }

    /// The key type of the bare public key (`ecdsa`, `rsa` or `ed25519`).
    pub fn key_type(&self) -> KeyType {
        match self.material {
            Material::EcdsaP256 { .. } => KeyType::Ecdsa,
            Material::Rsa { .. } => KeyType::Rsa,
            Material::Ed25519 { .. } => KeyType::Ed25519,
        }
    }

    /// The bare public key; its ID is the key's canonical ID (the key file name).
    pub fn public_key(&self) -> PublicKey {
        match &self.material {
            Material::EcdsaP256 { point, .. } => PublicKey::new(KeyType::Ecdsa, p256_spki_from_point(point)),
            Material::Ed25519 { public, .. } => PublicKey::new(KeyType::Ed25519, public.to_vec()),
            Material::Rsa { rsa_public, .. } => PublicKey::new(KeyType::Rsa, super::spki::rsa_spki(rsa_public)),
        }
    }

    /// Notary's in-memory form (`data.PrivateKey.Private()`): SEC1 DER with the named curve
    /// and public key (Go's `MarshalECPrivateKey`), PKCS#1 DER, or the 96-byte Ed25519 blob.
    pub fn to_go_der(&self) -> Zeroizing<Vec<u8>> {
        match &self.material {
            Material::EcdsaP256 { scalar, point } => {
                let mut bit_string = Vec::with_capacity(66);
                bit_string.push(0);
                bit_string.extend_from_slice(point);
                tlv(
                    Tag::SEQUENCE,
                    &[
                        &tlv(Tag::INTEGER, &[&[1]]),
                        &tlv(Tag::OCTET_STRING, &[scalar.as_ref()]),
                        &tlv(Tag::context(0), &[&oid(&SECP256R1)]),
                        &tlv(Tag::context(1), &[&tlv(Tag::BIT_STRING, &[&bit_string])]),
                    ],
                )
            }
            Material::Rsa { pkcs1, .. } => pkcs1.clone(),
            Material::Ed25519 { seed, public } => {
                let mut blob = Zeroizing::new(Vec::with_capacity(96));
                blob.extend_from_slice(public);
                blob.extend_from_slice(seed.as_ref());
                blob.extend_from_slice(public);
                blob
            }
        }
    }

    /// Notary's unencrypted PKCS#8 encoding (`ConvertTUFKeyToPKCS8`, spec §4.3).
    pub fn to_notary_pkcs8(&self) -> Zeroizing<Vec<u8>> {
        let body = self.to_go_der();
        // Notary's `PrivateKeyAlgorithm` is a SEQUENCE OF OID: EC lists the curve as a second OID.
        let (version, algorithm) = match &self.material {
            Material::EcdsaP256 { .. } => (1, tlv(Tag::SEQUENCE, &[&oid(&ID_EC_PUBLIC_KEY), &oid(&SECP256R1)])),
            Material::Rsa { .. } => (0, tlv(Tag::SEQUENCE, &[&oid(&RSA_ENCRYPTION)])),
            Material::Ed25519 { .. } => (0, tlv(Tag::SEQUENCE, &[&oid(&ED25519_GNUPG)])),
        };
        tlv(Tag::SEQUENCE, &[&tlv(Tag::INTEGER, &[&[version]]), &algorithm, &tlv(Tag::OCTET_STRING, &[&body])])
    }
}

/// A ring key pair built from [`PrivateKey`].
pub(crate) enum KeyPairRef {
    EcdsaP256(EcdsaKeyPair),
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("key_type", &self.key_type())
            .field("id", &self.public_key().id().as_str())
            .finish_non_exhaustive()
    }
}
