//! Software keys on ring: P-256 (the only type notary and docker generate), Ed25519 and RSA.

use std::fmt;

use async_trait::async_trait;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use zeroize::Zeroizing;

use super::{SignError, SignatureMethod, Signer, p256_spki_from_point};
use crate::metadata::{KeyType, PublicKey};

enum Inner {
    EcdsaP256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// A private key held in memory, signing with ring.
///
/// The standard PKCS#8 encoding it was created from is kept in a zeroizing buffer so it can be
/// written to a key file; `Debug` shows only the key type and ID.
pub struct SoftwareKey {
    inner: Inner,
    pkcs8: Zeroizing<Vec<u8>>,
    /// The metadata key (a certificate key once [`SoftwareKey::with_certificate`] was used).
    public: PublicKey,
    /// The bare key, whose ID names the private key file.
    bare: PublicKey,
    rng: SystemRandom,
}

impl SoftwareKey {
    /// Generates a new ECDSA P-256 key, as `notary key generate` and
    /// `docker trust key generate` do.
    pub fn generate_p256() -> Result<Self, SignError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| backend("new", "P-256 key generation failed"))?;
        Self::from_p256_pkcs8(pkcs8.as_ref())
    }

    /// Loads a P-256 key from standard (RFC 5208/5915) PKCS#8 DER.
    pub fn from_p256_pkcs8(pkcs8: &[u8]) -> Result<Self, SignError> {
        let rng = SystemRandom::new();
        let kp = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|e| backend("pkcs8", &format!("not a P-256 PKCS#8 key: {e}")))?;
        let public = PublicKey::new(KeyType::Ecdsa, p256_spki_from_point(kp.public_key().as_ref()));
        Ok(SoftwareKey {
            inner: Inner::EcdsaP256(kp),
            pkcs8: Zeroizing::new(pkcs8.to_vec()),
            bare: public.clone(),
            public,
            rng,
        })
    }

    /// Loads an Ed25519 key from PKCS#8 DER (RFC 8410 v1 or v2).
    pub fn from_ed25519_pkcs8(pkcs8: &[u8]) -> Result<Self, SignError> {
        let kp = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
            .map_err(|e| backend("pkcs8", &format!("not an Ed25519 PKCS#8 key: {e}")))?;
        let public = PublicKey::new(KeyType::Ed25519, kp.public_key().as_ref().to_vec());
        Ok(SoftwareKey {
            inner: Inner::Ed25519(kp),
            pkcs8: Zeroizing::new(pkcs8.to_vec()),
            bare: public.clone(),
            public,
            rng: SystemRandom::new(),
        })
    }

    /// Generates an Ed25519 key.
    pub fn generate_ed25519() -> Result<Self, SignError> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| backend("new", "Ed25519 key generation failed"))?;
        Self::from_ed25519_pkcs8(pkcs8.as_ref())
    }

    /// Loads an RSA key (≥ 2048 bits) from standard PKCS#8 DER; it signs with `rsapss`.
    pub fn from_rsa_pkcs8(pkcs8: &[u8]) -> Result<Self, SignError> {
        let kp = RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| backend("pkcs8", &format!("not an RSA PKCS#8 key: {e}")))?;
        let spki = rsa_spki(kp.public().as_ref())?;
        let public = PublicKey::new(KeyType::Rsa, spki);
        Ok(SoftwareKey {
            inner: Inner::Rsa(kp),
            pkcs8: Zeroizing::new(pkcs8.to_vec()),
            bare: public.clone(),
            public,
            rng: SystemRandom::new(),
        })
    }

    /// Uses `certificate_pem` (a PEM chain whose leaf certifies this key) as the metadata key,
    /// as root keys are listed (`ecdsa-x509`/`rsa-x509`); [`crate::certs`] builds such
    /// certificates. Fails if the leaf's public key is not this key, or for Ed25519 keys (notary
    /// has no Ed25519 certificate keys).
    pub fn with_certificate(mut self, certificate_pem: Vec<u8>) -> Result<Self, SignError> {
        let t = match self.bare.key_type() {
            KeyType::Rsa => KeyType::RsaX509,
            KeyType::Ecdsa => KeyType::EcdsaX509,
            other => return Err(unsupported(&self.bare, &format!("a {other} key cannot be a certificate key"))),
        };
        let leaf = crate::certs::leaf_spki(&certificate_pem)
            .map_err(|e| unsupported(&self.bare, &format!("certificate: {e}")))?;
        if leaf != self.bare.public() {
            return Err(unsupported(&self.bare, "the certificate certifies a different public key"));
        }
        self.public = PublicKey::new(t, certificate_pem);
        Ok(self)
    }

    /// The bare (non-certificate) public key: its ID is the canonical key ID, the name of
    /// the private key file.
    pub fn bare_public_key(&self) -> PublicKey {
        self.bare.clone()
    }

    /// The standard PKCS#8 DER of the private key (zeroized when dropped).
    pub fn pkcs8_der(&self) -> &Zeroizing<Vec<u8>> {
        &self.pkcs8
    }
}

fn unsupported(key: &PublicKey, reason: &str) -> SignError {
    SignError::Unsupported { key_id: key.id().to_string(), reason: reason.to_owned() }
}

fn backend(key_id: &str, reason: &str) -> SignError {
    SignError::Backend { key_id: key_id.to_owned(), reason: reason.to_owned() }
}

/// DER SPKI for a PKCS#1 RSAPublicKey (rsaEncryption with NULL parameters).
fn rsa_spki(pkcs1: &[u8]) -> Result<Vec<u8>, SignError> {
    use der::Encode;
    let encode_err = |e: der::Error| backend("rsa", &format!("cannot encode RSA public key: {e}"));
    let spki = spki::SubjectPublicKeyInfoOwned {
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: crate::oid::RSA_ENCRYPTION,
            parameters: Some(der::asn1::Any::null()),
        },
        subject_public_key: der::asn1::BitString::from_bytes(pkcs1).map_err(encode_err)?,
    };
    spki.to_der().map_err(encode_err)
}

#[async_trait]
impl Signer for SoftwareKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn method(&self) -> SignatureMethod {
        match self.inner {
            Inner::EcdsaP256(_) => SignatureMethod::Ecdsa,
            Inner::Ed25519(_) => SignatureMethod::Eddsa,
            Inner::Rsa(_) => SignatureMethod::RsaPss,
        }
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let fail = |what: &str| backend(self.public.id().as_str(), what);
        match &self.inner {
            Inner::EcdsaP256(kp) => {
                kp.sign(&self.rng, message).map(|s| s.as_ref().to_vec()).map_err(|_| fail("ECDSA signing failed"))
            }
            Inner::Ed25519(kp) => Ok(kp.sign(message).as_ref().to_vec()),
            Inner::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public().modulus_len()];
                kp.sign(&signature::RSA_PSS_SHA256, &self.rng, message, &mut sig)
                    .map_err(|_| fail("RSA-PSS signing failed"))?;
                Ok(sig)
            }
        }
    }
}

impl fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareKey")
            .field("method", &self.method())
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}
