//! A [`Signer`] whose private key stays in the key store until the first signature.

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{KeyStore, TrustDirError};
use crate::keys::{SignError, SignatureMethod, Signer, SoftwareKey};
use crate::metadata::{KeyId, KeyType, PublicKey};
use crate::passphrase::PassphraseRetriever;

/// Signs with a key from a [`KeyStore`], decrypting it on first use (so listing roles or
/// building metadata never asks for a passphrase) and keeping the unlocked key for later
/// signatures; our copies of the key material are zeroized on drop. Made by
/// [`KeyStore::signer`].
///
/// The first signature decrypts on the calling thread: a small file read, 2048 PBKDF2 rounds
/// and, with an interactive retriever, a prompt. To keep that off an async executor or to fail
/// early on a wrong passphrase, call [`StoreSigner::unlock`] first (e.g. in `spawn_blocking`).
pub struct StoreSigner {
    store: KeyStore,
    public: PublicKey,
    canonical: KeyId,
    retriever: Arc<dyn PassphraseRetriever>,
    unlocked: Mutex<Option<Arc<SoftwareKey>>>,
}

impl StoreSigner {
    pub(super) fn new(
        store: KeyStore,
        public: PublicKey,
        canonical: KeyId,
        retriever: Arc<dyn PassphraseRetriever>,
    ) -> Self {
        StoreSigner { store, public, canonical, retriever, unlocked: Mutex::new(None) }
    }

    /// Decrypts the key now (if not yet done), e.g. to fail early on a wrong passphrase.
    pub fn unlock(&self) -> Result<Arc<SoftwareKey>, TrustDirError> {
        let mut slot = self.unlocked.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(key) = slot.as_ref() {
            return Ok(Arc::clone(key));
        }
        let mut key = self.store.load(&self.canonical, &*self.retriever)?;
        if matches!(self.public.key_type(), KeyType::EcdsaX509 | KeyType::RsaX509) {
            key = key
                .with_certificate(self.public.public().to_vec())
                .map_err(|e| TrustDirError::unusable(&self.canonical, e))?;
        }
        let key = Arc::new(key);
        *slot = Some(Arc::clone(&key));
        Ok(key)
    }

    /// The canonical ID (the key file name).
    pub fn canonical_id(&self) -> &KeyId {
        &self.canonical
    }
}

#[async_trait]
impl Signer for StoreSigner {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn method(&self) -> SignatureMethod {
        match self.public.key_type() {
            KeyType::Rsa | KeyType::RsaX509 => SignatureMethod::RsaPss,
            KeyType::Ed25519 => SignatureMethod::Eddsa,
            _ => SignatureMethod::Ecdsa,
        }
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let key = self
            .unlock()
            .map_err(|e| SignError::Unlock { key_id: self.public.id().to_string(), source: Box::new(e) })?;
        key.sign(message).await
    }
}

impl fmt::Debug for StoreSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unlocked = self.unlocked.lock().map(|s| s.is_some()).unwrap_or(false);
        f.debug_struct("StoreSigner")
            .field("key_id", &self.public.id().as_str())
            .field("canonical_id", &self.canonical.as_str())
            .field("unlocked", &unlocked)
            .finish_non_exhaustive()
    }
}
