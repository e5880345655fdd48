use async_trait::async_trait;

use super::SignatureMethod;
use crate::metadata::PublicKey;

/// Something that signs metadata with one key: a software key, a KMS or an HSM.
///
/// Object-safe and async, so remote signers plug in the same way as local keys
/// (`Arc<dyn Signer>`). The signature must be in Notary's wire form for [`Signer::method`]
/// (for ECDSA: raw `r‖s`, 64 bytes for P-256 — convert DER from other backends).
#[async_trait]
pub trait Signer: Send + Sync {
    /// The public key listed in metadata for this signer. For root keys this is the
    /// `ecdsa-x509`/`rsa-x509` certificate key; the signature's `keyid` is its TUF ID.
    fn public_key(&self) -> &PublicKey;

    /// The signature method this signer produces.
    fn method(&self) -> SignatureMethod;

    /// Signs `message` (the canonical role body).
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// A signer failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The crypto backend refused or failed.
    #[error("signing with key {key_id} failed: {reason}")]
    Backend {
        /// The key's TUF ID.
        key_id: String,
        /// What the backend said.
        reason: String,
    },
    /// The key could not be unlocked: no passphrase, a wrong one, an unreadable key file…
    /// `source` keeps the typed cause (for store-backed signers a
    /// [`crate::trust_dir::TrustDirError`]; downcast to tell "set VAR" from "wrong passphrase").
    #[error("key {key_id} could not be unlocked: {source}")]
    Unlock {
        /// The key's TUF ID.
        key_id: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The key cannot be used for this operation.
    #[error("key {key_id} cannot sign: {reason}")]
    Unsupported {
        /// The key's TUF ID.
        key_id: String,
        /// Why not.
        reason: String,
    },
}
