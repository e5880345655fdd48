//! Initialising a repository (spec §6.1): keys, root certificate, root v1 and targets v1 (and
//! a snapshot v1 when the client holds the snapshot key), written to the cache; the first
//! [`Repository::publish`] then uploads root v1 + targets v2 as notary does.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::editor::ROOT_EXPIRY;
use super::{PublishError, Repository};
use crate::certs::{certificate_public_key, generate_root_certificate};
use crate::keys::Signer;
use crate::metadata::{
    Expires, FileMeta, KeyId, PublicKey, RoleKeys, RoleName, Root, Signed, Snapshot, Targets, Version,
};
use crate::server::{MetadataName, limits};

/// Who holds a base role's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyHolder {
    /// The notary server (Docker's choice for the snapshot key; always for timestamp).
    #[default]
    Server,
    /// This client's keyring.
    Local,
}

/// How [`Repository::init`] sets a repository up.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// The root key, by canonical ID (a key of the keyring's store or an added signer). When
    /// unset: the first stored key with role `root` (sorted by ID, as Docker picks), else a
    /// new P-256 key.
    pub root_key: Option<KeyId>,
    /// Who signs snapshots: the server (default, as Docker) or this client.
    pub snapshot: KeyHolder,
}

impl Repository {
    /// Creates the repository's keys and first metadata and caches them locally (nothing is
    /// uploaded: the next [`Repository::publish`] does). Refused when the server already has
    /// trust data for the GUN.
    ///
    /// ```no_run
    /// # async fn f(repo: notary_client::repository::Repository) -> Result<(), Box<dyn std::error::Error>> {
    /// use notary_client::repository::InitOptions;
    /// repo.init(&InitOptions::default()).await?;
    /// let published = repo.publish(&[]).await?; // root v1 + targets v2
    /// assert_eq!(published.files.len(), 2);
    /// # Ok(()) }
    /// ```
    pub async fn init(&self, options: &InitOptions) -> Result<(), PublishError> {
        self.refuse_existing().await?;
        // The server's keys first: if the server cannot be reached, no local key is created.
        // The timestamp key is fetched once: before a root exists, each request makes the
        // server create a new key (trap T15).
        let server_snapshot = match options.snapshot {
            KeyHolder::Server => Some(self.remote.get_key(&self.gun, &RoleName::snapshot()).await?),
            KeyHolder::Local => None,
        };
        let timestamp_public = self.remote.get_key(&self.gun, &RoleName::timestamp()).await?;

        let now = self.clock.now();
        let root_key = self.root_key(options)?;
        let cert = generate_root_certificate(self.gun.as_str(), &*root_key, now).await?;
        let root_public = certificate_public_key(&cert)?;
        let root_signer = self.keys.signer_for(&root_public).ok_or_else(|| PublishError::NoSigningKey {
            gun: self.gun.to_string(),
            role: "root".into(),
            key_ids: vec![root_public.id().to_string()],
        })?;
        let targets_key = self.keys.generate("targets", Some(&self.gun))?;
        let (snapshot_key, snapshot_public): (Option<Arc<dyn Signer>>, PublicKey) = match server_snapshot {
            Some(public) => (None, public),
            None => {
                let key = self.keys.generate("snapshot", Some(&self.gun))?;
                let public = key.public_key().clone();
                (Some(key), public)
            }
        };

        let base: [(&str, &PublicKey); 4] = [
            ("root", &root_public),
            ("targets", targets_key.public_key()),
            ("snapshot", &snapshot_public),
            ("timestamp", &timestamp_public),
        ];
        let root = Root {
            consistent_snapshot: false,
            expires: Expires::from_utc(now + ROOT_EXPIRY),
            keys: base.iter().map(|(_, k)| (k.id().clone(), (*k).clone())).collect(),
            roles: base.iter().map(|(r, k)| ((*r).to_owned(), RoleKeys::new(vec![k.id().clone()], 1))).collect(),
            version: Version::FIRST,
        };
        let root = Signed::sign(RoleName::root(), root, &[&*root_signer]).await?;
        let targets = Targets::new(Expires::from_utc(now + super::editor::TARGETS_EXPIRY), Version::FIRST);
        let targets = Signed::sign(RoleName::targets(), targets, &[&*targets_key as &dyn Signer]).await?;
        let root_bytes = root.to_file_bytes()?;
        let targets_bytes = targets.to_file_bytes()?;
        let snapshot_bytes = match &snapshot_key {
            Some(key) => {
                let meta = BTreeMap::from([
                    ("root".to_owned(), FileMeta::for_metadata_bytes(&root_bytes)),
                    ("targets".to_owned(), FileMeta::for_metadata_bytes(&targets_bytes)),
                ]);
                let body = Snapshot {
                    expires: Expires::from_utc(now + super::editor::SNAPSHOT_EXPIRY),
                    meta,
                    version: Version::FIRST,
                };
                Some(Signed::sign(RoleName::snapshot(), body, &[&**key]).await?.to_file_bytes()?)
            }
            None => None,
        };

        let cache = self.trust_dir.repository(&self.gun)?;
        // What a previous repository of this name left behind must not be mixed in.
        for role in [RoleName::timestamp(), RoleName::snapshot()] {
            cache.remove_metadata(&role)?;
        }
        cache.write_metadata(&RoleName::root(), &root_bytes)?;
        cache.write_metadata(&RoleName::targets(), &targets_bytes)?;
        if let Some(bytes) = &snapshot_bytes {
            cache.write_metadata(&RoleName::snapshot(), bytes)?;
        }
        Ok(())
    }

    async fn refuse_existing(&self) -> Result<(), PublishError> {
        let name = MetadataName::Current(RoleName::root());
        match self.remote.get_metadata(&self.gun, &name, limits::MAX_DOWNLOAD).await {
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.into()),
            Ok(bytes) => {
                let version = Signed::<Root>::parse(RoleName::root(), &bytes).map_or(0, |r| r.signed().version.get());
                Err(PublishError::AlreadyInitialized { gun: self.gun.to_string(), version })
            }
        }
    }

    /// The root key: as configured, else the first stored root key, else a new one.
    fn root_key(&self, options: &InitOptions) -> Result<Arc<dyn Signer>, PublishError> {
        let id = match &options.root_key {
            Some(id) => Some(id.clone()),
            None => self.keys.stored_keys_with_role("root")?.into_iter().next(),
        };
        let Some(id) = id else {
            // Root key files carry no `gun` header.
            return Ok(self.keys.generate("root", None)?);
        };
        if let Some(signer) = self.keys.signer_with_canonical_id(&id) {
            return Ok(signer);
        }
        let key = self.keys.load_stored(&id)?;
        self.keys.add_signer(key.clone());
        Ok(key)
    }
}
