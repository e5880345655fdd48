//! [`Keyring`]: the private keys a repository workflow may sign with — a trust directory's key
//! store (decrypted on first use) and any in-memory or remote [`Signer`]s.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

use crate::keys::{SignError, SignatureMethod, Signer, SoftwareKey};
use crate::metadata::{Gun, KeyId, PublicKey};
use crate::passphrase::PassphraseRetriever;
use crate::trust_dir::{KeyStore, StoreSigner, TrustDirError};

/// The private keys a workflow may sign with.
///
/// A metadata key is matched to a signer by its TUF ID or, for root certificate keys, by its
/// canonical ID (the bare key inside the certificate, the name of the key file). Keys from the
/// store are decrypted on their first signature and kept unlocked for the keyring's lifetime
/// (passphrases are asked once). Cheap to clone; clones share keys.
///
/// ```
/// use std::sync::Arc;
/// use notary_client::keys::SoftwareKey;
/// use notary_client::passphrase::FixedPassphrase;
/// use notary_client::repository::Keyring;
/// use notary_client::trust_dir::TrustDir;
///
/// let dir = tempfile::tempdir().unwrap();
/// let ci_key = Arc::new(SoftwareKey::generate_p256().unwrap());
/// let keyring = Keyring::from_store(TrustDir::new(dir.path()).keys(), FixedPassphrase::new("pw"))
///     .with_signer(ci_key.clone());
/// assert!(keyring.holds(notary_client::keys::Signer::public_key(&*ci_key)));
/// ```
#[derive(Clone, Default)]
pub struct Keyring {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    store: Option<(KeyStore, Arc<dyn PassphraseRetriever>)>,
    signers: Mutex<Vec<Arc<dyn Signer>>>,
    /// The store's answer per metadata key ID, misses included (so a key is unlocked once and
    /// the store is searched once per key).
    looked_up: Mutex<BTreeMap<KeyId, Option<Arc<StoreSigner>>>>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signers: Vec<String> = lock(&self.inner.signers).iter().map(|s| s.public_key().id().to_string()).collect();
        f.debug_struct("Keyring")
            .field("store", &self.inner.store.as_ref().map(|(s, _)| s.dir().to_path_buf()))
            .field("signers", &signers)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Keyring {
    /// A keyring with no keys (add signers with [`Keyring::with_signer`]). Keys created by
    /// workflows (init, rotation) then live in memory only.
    pub fn new() -> Self {
        Keyring::default()
    }

    /// The keys of `store` (e.g. `TrustDir::keys()`), unlocked with `retriever`'s passphrases.
    /// Keys created by workflows are stored there, encrypted with the passphrase `retriever`
    /// gives for the new key's role.
    pub fn from_store(store: KeyStore, retriever: impl PassphraseRetriever + 'static) -> Self {
        Keyring { inner: Arc::new(Inner { store: Some((store, Arc::new(retriever))), ..Inner::default() }) }
    }

    /// Adds a signer (a software key, a KMS or HSM signer) and returns the keyring.
    pub fn with_signer(self, signer: Arc<dyn Signer>) -> Self {
        self.add_signer(signer);
        self
    }

    /// Adds a signer to this keyring and its clones.
    pub fn add_signer(&self, signer: Arc<dyn Signer>) {
        lock(&self.inner.signers).push(signer);
    }

    /// Whether a private key for the metadata key `key` is available.
    pub fn holds(&self, key: &PublicKey) -> bool {
        self.signer_for(key).is_some()
    }

    /// A signer for the metadata key `key`, if a private key for it is available.
    pub fn signer_for(&self, key: &PublicKey) -> Option<Arc<dyn Signer>> {
        let canonical = key.canonical_id().ok();
        for signer in lock(&self.inner.signers).iter() {
            let own = signer.public_key();
            if own.id() == key.id() {
                return Some(Arc::clone(signer));
            }
            if canonical.is_some() && own.canonical_id().ok() == canonical {
                // The same key pair listed as a certificate key (or vice versa): sign under the
                // metadata key's ID.
                return Some(Arc::new(Relabeled { inner: Arc::clone(signer), public: key.clone() }));
            }
        }
        let (store, retriever) = self.inner.store.as_ref()?;
        let found = lock(&self.inner.looked_up)
            .entry(key.id().clone())
            .or_insert_with(|| store.signer(key, Arc::clone(retriever)).ok().map(Arc::new))
            .clone();
        found.map(|signer| signer as Arc<dyn Signer>)
    }

    /// An added signer whose bare key has canonical ID `id`.
    pub(crate) fn signer_with_canonical_id(&self, id: &KeyId) -> Option<Arc<dyn Signer>> {
        lock(&self.inner.signers).iter().find(|s| s.public_key().canonical_id().ok().as_ref() == Some(id)).cloned()
    }

    /// Signers for those of `keys` whose private keys are available.
    pub fn signers_for<'a>(&self, keys: impl IntoIterator<Item = &'a PublicKey>) -> Vec<Arc<dyn Signer>> {
        keys.into_iter().filter_map(|k| self.signer_for(k)).collect()
    }

    /// Canonical IDs of the store's keys whose `role` header is `role`, sorted (Docker picks
    /// the first root key this way).
    pub fn stored_keys_with_role(&self, role: &str) -> Result<Vec<KeyId>, TrustDirError> {
        let Some((store, _)) = &self.inner.store else { return Ok(Vec::new()) };
        let mut ids: Vec<KeyId> =
            store.list()?.keys.into_iter().filter(|k| k.role.as_deref() == Some(role)).map(|k| k.id).collect();
        ids.sort();
        Ok(ids)
    }

    /// A signer for the stored key with canonical ID `id` (its bare public key is read when
    /// the key is unlocked).
    pub(crate) fn load_stored(&self, id: &KeyId) -> Result<Arc<SoftwareKey>, TrustDirError> {
        let Some((store, retriever)) = &self.inner.store else {
            let dir = std::path::PathBuf::from("(this keyring has no key store and no signer with that ID)");
            return Err(TrustDirError::KeyNotFound { key_id: id.to_string(), dir });
        };
        Ok(Arc::new(store.load(id, &**retriever)?))
    }

    /// Creates a P-256 key for `role` (stored with `gun` when the keyring has a store, else
    /// held in memory) and adds it to the keyring.
    pub(crate) fn generate(&self, role: &str, gun: Option<&Gun>) -> Result<Arc<SoftwareKey>, TrustDirError> {
        let key = match &self.inner.store {
            Some((store, retriever)) => store.generate(role, gun, &**retriever)?,
            None => SoftwareKey::generate_p256().map_err(|e| TrustDirError::unusable("(new)", e))?,
        };
        let key = Arc::new(key);
        self.add_signer(key.clone());
        Ok(key)
    }

    /// Removes the stored private key with canonical ID `id` and forgets its signers (after a
    /// rotation replaced it, as notary does for non-root keys).
    pub(crate) fn remove(&self, id: &KeyId) -> Result<(), TrustDirError> {
        lock(&self.inner.signers).retain(|s| s.public_key().canonical_id().ok().as_ref() != Some(id));
        lock(&self.inner.looked_up).retain(|_, s| s.as_ref().is_none_or(|s| s.canonical_id() != id));
        match &self.inner.store {
            Some((store, _)) => match store.remove(id) {
                Err(TrustDirError::KeyNotFound { .. }) | Ok(()) => Ok(()),
                Err(e) => Err(e),
            },
            None => Ok(()),
        }
    }
}

/// A signer presented under another metadata key of the same key pair (a bare key listed as
/// its root certificate key): the signature is the same, only the `keyid` differs.
struct Relabeled {
    inner: Arc<dyn Signer>,
    public: PublicKey,
}

#[async_trait]
impl Signer for Relabeled {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn method(&self) -> SignatureMethod {
        self.inner.method()
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.inner.sign(message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passphrase::FixedPassphrase;
    use crate::trust_dir::TrustDir;

    #[tokio::test]
    async fn a_bare_signer_signs_for_its_certificate_key() {
        let key = Arc::new(SoftwareKey::generate_p256().unwrap());
        let pem = crate::certs::generate_root_certificate("example.com/app", &*key, chrono::Utc::now()).await.unwrap();
        let cert_key = crate::certs::certificate_public_key(&pem).unwrap();
        let keyring = Keyring::new().with_signer(key.clone());
        let signer = keyring.signer_for(&cert_key).expect("matched by canonical ID");
        assert_eq!(signer.public_key().id(), cert_key.id());
        let sig = signer.sign(b"m").await.unwrap();
        crate::keys::verify_signature(&cert_key, signer.method().as_str(), b"m", &sig).unwrap();
    }

    #[test]
    fn stored_keys_are_found_by_canonical_id_and_unlocked_once() {
        let dir = tempfile::tempdir().unwrap();
        let trust = TrustDir::new(dir.path());
        let pass = FixedPassphrase::new("pw");
        let public = trust.keys().generate("targets", None, &pass).unwrap().bare_public_key();
        let keyring = Keyring::from_store(trust.keys(), pass);
        let a = keyring.signer_for(&public).unwrap();
        let b = keyring.signer_for(&public).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        assert_eq!(keyring.stored_keys_with_role("targets").unwrap(), vec![public.id().clone()]);
        assert!(keyring.stored_keys_with_role("root").unwrap().is_empty());
    }

    #[test]
    fn an_unknown_key_is_not_held() {
        let other = SoftwareKey::generate_p256().unwrap().bare_public_key();
        assert!(!Keyring::new().holds(&other));
    }

    #[test]
    fn debug_lists_key_ids_only() {
        let key = Arc::new(SoftwareKey::generate_p256().unwrap());
        let id = key.bare_public_key().id().to_string();
        let shown = format!("{:?}", Keyring::new().with_signer(key));
        assert!(shown.contains(&id), "{shown}");
    }
}
