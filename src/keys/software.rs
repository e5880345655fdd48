//! Software keys on ring: P-256 (the only type notary and docker generate), Ed25519 and RSA.

use std::fmt;

use async_trait::async_trait;
use ring::rand::SystemRandom;
use ring::signature;

use super::private::KeyPairRef;
use super::{PrivateKey, SignError, SignatureMethod, Signer};
use crate::metadata::{KeyType, PublicKey};

/// A private key held in memory, signing with ring.
///
/// Built from a [`PrivateKey`] (whose buffers are zeroized on drop) so it can be written back to
/// a key file; `Debug` shows only the key type and ID. The ring key pair it signs with keeps its
/// own copy of the private key, which ring does not promise to wipe on drop.
pub struct SoftwareKey {
    private: PrivateKey,
    pair: KeyPairRef,
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
        Self::from_private_key(PrivateKey::generate_p256().map_err(|e| backend("new", &e.to_string()))?)
    }

    /// Generates an Ed25519 key.
    pub fn generate_ed25519() -> Result<Self, SignError> {
        Self::from_private_key(PrivateKey::generate_ed25519().map_err(|e| backend("new", &e.to_string()))?)
    }

    /// Loads a key from unencrypted PKCS#8 DER: standard encodings and notary's variants
    /// (see [`PrivateKey::from_pkcs8_der`]). RSA keys sign with `rsapss`.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, SignError> {
        Self::from_private_key(PrivateKey::from_pkcs8_der(der).map_err(|e| backend("pkcs8", &e.to_string()))?)
    }

    /// Wraps decoded key material for signing.
    pub fn from_private_key(private: PrivateKey) -> Result<Self, SignError> {
        let bare = private.public_key();
        let pair = private
            .key_pair()
            .map_err(|e| SignError::Unsupported { key_id: bare.id().to_string(), reason: e.to_string() })?;
        Ok(SoftwareKey { private, pair, public: bare.clone(), bare, rng: SystemRandom::new() })
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

    /// The key material, for writing it to a key file.
    pub fn private_key(&self) -> &PrivateKey {
        &self.private
    }
}

fn unsupported(key: &PublicKey, reason: &str) -> SignError {
    SignError::Unsupported { key_id: key.id().to_string(), reason: reason.to_owned() }
}

fn backend(key_id: &str, reason: &str) -> SignError {
    SignError::Backend { key_id: key_id.to_owned(), reason: reason.to_owned() }
}

#[async_trait]
impl Signer for SoftwareKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn method(&self) -> SignatureMethod {
        match self.pair {
            KeyPairRef::EcdsaP256(_) => SignatureMethod::Ecdsa,
            KeyPairRef::Ed25519(_) => SignatureMethod::Eddsa,
            KeyPairRef::Rsa(_) => SignatureMethod::RsaPss,
        }
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let fail = |what: &str| backend(self.public.id().as_str(), what);
        match &self.pair {
            KeyPairRef::EcdsaP256(kp) => {
                kp.sign(&self.rng, message).map(|s| s.as_ref().to_vec()).map_err(|_| fail("ECDSA signing failed"))
            }
            KeyPairRef::Ed25519(kp) => Ok(kp.sign(message).as_ref().to_vec()),
            KeyPairRef::Rsa(kp) => {
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
