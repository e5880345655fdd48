//! Key rotation (spec §6.5) and deletion of trust data (§6.7).

use super::{Change, KeyHolder, PublishError, Published, Repository};
use crate::certs::{certificate_public_key, generate_root_certificate};
use crate::keys::Signer;
use crate::metadata::{PublicKey, RoleName, Root, Signed};

impl Repository {
    /// Replaces the key of base role `role` and publishes the new root (and the role's file
    /// re-signed by the new key where this client signs it):
    /// * `root` (local): a new P-256 key and root certificate; root is signed by the old and
    ///   the new root keys;
    /// * `targets` (local): a new key; targets re-signed;
    /// * `snapshot`: a new local key, or handed to the server ([`KeyHolder::Server`]);
    /// * `timestamp` (server only).
    ///
    /// Replaced targets and snapshot private keys are deleted from the keyring's store once the
    /// rotation is published, as notary does; root keys are kept.
    pub async fn rotate_key(&self, role: &RoleName, holder: KeyHolder) -> Result<Published, PublishError> {
        let invalid = |reason: &str| PublishError::InvalidChange { role: role.to_string(), reason: reason.to_owned() };
        match (role.as_str(), holder) {
            ("root" | "targets", KeyHolder::Local) | ("snapshot", _) | ("timestamp", KeyHolder::Server) => {}
            ("root" | "targets", KeyHolder::Server) => return Err(invalid("this key is always held by the client")),
            ("timestamp", KeyHolder::Local) => return Err(invalid("the timestamp key is always held by the server")),
            _ => return Err(invalid("only root, targets, snapshot and timestamp keys rotate")),
        }
        // Read (and verified) before a key is made or the server re-keys, so that a repository
        // that cannot be published to fails here without side effects.
        let before = self.editor().await?;
        let old: Vec<PublicKey> = before.root().role_keys(role.as_str()).into_values().collect();
        let new_key = self.new_role_key(role, holder).await?;
        let published = self.publish(&[Change::ReplaceRoleKeys { role: role.clone(), keys: vec![new_key] }]).await?;
        // Private keys of replaced targets/snapshot keys that the published root no longer
        // lists at all (notary's RemoveBaseKeys); root keys are kept.
        if role.as_str() != "root"
            && let Some(bytes) = published.file(&RoleName::root())
        {
            let root = Signed::<Root>::parse(RoleName::root(), bytes)?;
            for key in old.iter().filter(|k| !root.signed().keys.contains_key(k.id())) {
                if let Ok(id) = key.canonical_id() {
                    self.keys.remove(&id)?;
                }
            }
        }
        Ok(published)
    }

    async fn new_role_key(&self, role: &RoleName, holder: KeyHolder) -> Result<PublicKey, PublishError> {
        if holder == KeyHolder::Server {
            return Ok(self.remote.rotate_key(&self.gun, role).await?);
        }
        if role.as_str() == "root" {
            let key = self.keys.generate("root", None)?;
            let cert = generate_root_certificate(self.gun.as_str(), &*key, self.clock.now()).await?;
            return Ok(certificate_public_key(&cert)?);
        }
        Ok(self.keys.generate(role.as_str(), Some(&self.gun))?.public_key().clone())
    }

    /// Deletes the repository's cached trust data (`<trust>/tuf/<GUN>`) and, with `remote`,
    /// all of its trust data on the server (token scope `*`). Private keys stay.
    pub async fn delete_trust_data(&self, remote: bool) -> Result<(), PublishError> {
        self.trust_dir.repository(&self.gun)?.remove_all()?;
        if remote {
            self.remote.delete(&self.gun).await?;
        }
        Ok(())
    }

    /// Re-signs `roles` without changing their content (notary's `witness`, spec §6.6).
    pub async fn witness(&self, roles: &[RoleName]) -> Result<Published, PublishError> {
        let changes: Vec<Change> = roles.iter().map(|r| Change::Witness { role: r.clone() }).collect();
        self.publish(&changes).await
    }
}
