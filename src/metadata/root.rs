//! The root role (`root.json`, spec §1.3).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::role_name::{ROOT, SNAPSHOT, TARGETS, TIMESTAMP};
use super::{Expires, KeyId, MetadataError, PublicKey, RoleBody, RoleName, TrustedKeys, Version};
use crate::canonical_json::{CanonicalJsonError, CanonicalWriter};

/// The keys and threshold of a role, as listed in root (and, with a name, in delegations).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RoleKeys {
    /// Key IDs (TUF IDs). `None` is written as `null`, as Go does for a role without keys.
    #[serde(default)]
    pub keyids: Option<Vec<KeyId>>,
    /// Number of distinct valid signatures required (≥ 1 to be valid).
    pub threshold: u32,
}

impl RoleKeys {
    /// A role with `keyids` and `threshold`.
    pub fn new(keyids: Vec<KeyId>, threshold: u32) -> Self {
        RoleKeys { keyids: Some(keyids), threshold }
    }

    /// The key IDs (empty for `null`).
    pub fn key_ids(&self) -> &[KeyId] {
        self.keyids.as_deref().unwrap_or(&[])
    }

    pub(crate) fn write_members(&self, w: &mut CanonicalWriter) -> Result<(), CanonicalJsonError> {
        w.key("keyids")?;
        write_key_ids(w, self.keyids.as_deref())
    }

    pub(crate) fn validate(
        &self,
        file: &RoleName,
        name: &str,
        keys: &BTreeMap<KeyId, PublicKey>,
    ) -> Result<(), MetadataError> {
        if self.threshold < 1 {
            return Err(MetadataError::invalid(file, format!("invalid threshold {} for {name}", self.threshold)));
        }
        if let Some(missing) = self.key_ids().iter().find(|id| !keys.contains_key(*id)) {
            return Err(MetadataError::invalid(
                file,
                format!("key ID {missing} listed for {name} without a corresponding key"),
            ));
        }
        Ok(())
    }
}

pub(crate) fn write_key_ids(w: &mut CanonicalWriter, ids: Option<&[KeyId]>) -> Result<(), CanonicalJsonError> {
    match ids {
        None => w.null(),
        Some(ids) => {
            w.begin_array();
            for id in ids {
                w.element();
                w.string(id.as_str())?;
            }
            w.end_array();
        }
    }
    Ok(())
}

pub(crate) fn write_keys(w: &mut CanonicalWriter, keys: &BTreeMap<KeyId, PublicKey>) -> Result<(), CanonicalJsonError> {
    w.begin_object();
    for (id, key) in keys {
        w.key(id.as_str())?;
        key.write_canonical(w)?;
    }
    w.end_object();
    Ok(())
}

/// The body of `root.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Root {
    /// Always `false` in notary (clients fetch by hash anyway).
    #[serde(default)]
    pub consistent_snapshot: bool,
    /// Expiry.
    pub expires: Expires,
    /// Every key of every base role, by TUF key ID.
    pub keys: BTreeMap<KeyId, PublicKey>,
    /// `root`, `targets`, `snapshot`, `timestamp` (required) and any extra entries (preserved).
    pub roles: BTreeMap<String, RoleKeys>,
    /// Version.
    pub version: Version,
}

impl Root {
    /// The keys and threshold of a base role, if listed.
    pub fn role(&self, name: &str) -> Option<&RoleKeys> {
        self.roles.get(name)
    }

    /// The public keys of a base role that are present in `keys`, by ID.
    pub fn role_keys(&self, name: &str) -> BTreeMap<KeyId, PublicKey> {
        self.role(name)
            .map(|r| r.key_ids().iter().filter_map(|id| self.keys.get(id).map(|k| (id.clone(), k.clone()))).collect())
            .unwrap_or_default()
    }

    /// The keys and threshold a base role's file must be verified with. A role root does not
    /// list gets threshold 0, which no verification accepts.
    pub fn trusted_keys(&self, name: &str) -> TrustedKeys {
        TrustedKeys { keys: self.role_keys(name), threshold: self.role(name).map_or(0, |r| r.threshold) }
    }
}

impl RoleBody for Root {
    const TYPE: &'static str = "Root";

    fn canonical_is_stable(&self) -> bool {
        true
    }

    fn expires(&self) -> &Expires {
        &self.expires
    }
    fn version(&self) -> Version {
        self.version
    }

    fn write_canonical(&self, w: &mut CanonicalWriter) -> Result<(), CanonicalJsonError> {
        w.begin_object();
        w.key("_type")?;
        w.string(Self::TYPE)?;
        w.key("consistent_snapshot")?;
        w.bool(self.consistent_snapshot);
        w.key("expires")?;
        self.expires.write_canonical(w)?;
        w.key("keys")?;
        write_keys(w, &self.keys)?;
        w.key("roles")?;
        w.begin_object();
        for (name, role) in &self.roles {
            w.key(name)?;
            w.begin_object();
            role.write_members(w)?;
            w.key("threshold")?;
            w.u64(u64::from(role.threshold));
            w.end_object();
        }
        w.end_object();
        w.key("version")?;
        w.u64(self.version.get());
        w.end_object();
        Ok(())
    }

    fn validate(&self, file: &RoleName) -> Result<(), MetadataError> {
        if file.as_str() != ROOT {
            return Err(MetadataError::invalid(file, "a Root file can only be root"));
        }
        for base in [ROOT, TARGETS, SNAPSHOT, TIMESTAMP] {
            let role = self
                .roles
                .get(base)
                .ok_or_else(|| MetadataError::invalid(file, format!("missing {base} role specification")))?;
            role.validate(file, base, &self.keys)?;
        }
        Ok(())
    }
}
