//! The targets role and delegated targets roles (`targets.json`, `targets/<name>.json`,
//! spec §1.4, trap T13).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::root::write_keys;
use super::{Expires, FileMeta, KeyId, MetadataError, PublicKey, RoleBody, RoleKeys, RoleName, TrustedKeys, Version};
use crate::canonical_json::{CanonicalJsonError, CanonicalWriter};

/// A delegation entry in a parent's `delegations.roles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegatedRole {
    /// The delegated role's name (a direct child of the file's role).
    pub name: RoleName,
    /// Key IDs and threshold. `keyids` may be `null` after all keys were removed.
    pub keys: RoleKeys,
    /// Target name prefixes this role may sign (`""` = everything). Empty = none; written
    /// only when non-empty, as Go does.
    pub paths: Vec<String>,
}

impl DelegatedRole {
    /// Whether `target` lies within this role's own `paths` (plain string prefix, no globs).
    pub fn allows(&self, target: &str) -> bool {
        self.paths.iter().any(|p| target.starts_with(p.as_str()))
    }

    /// notary's `RestrictDelegationPathPrefixes`: those of `child_paths` that lie within one
    /// of `parent_paths`.
    pub fn restrict_paths(parent_paths: &[String], child_paths: &[String]) -> Vec<String> {
        child_paths.iter().filter(|c| parent_paths.iter().any(|p| c.starts_with(p.as_str()))).cloned().collect()
    }

    fn write_canonical(&self, w: &mut CanonicalWriter) -> Result<(), CanonicalJsonError> {
        w.begin_object();
        self.keys.write_members(w)?;
        w.key("name")?;
        w.string(self.name.as_str())?;
        if !self.paths.is_empty() {
            w.key("paths")?;
            w.begin_array();
            for p in &self.paths {
                w.element();
                w.string(p)?;
            }
            w.end_array();
        }
        w.key("threshold")?;
        w.u64(u64::from(self.keys.threshold));
        w.end_object();
        Ok(())
    }
}

#[derive(Deserialize)]
struct WireDelegatedRole {
    #[serde(default)]
    keyids: Option<Vec<KeyId>>,
    name: RoleName,
    #[serde(default)]
    paths: Option<Vec<String>>,
    threshold: u32,
}

impl<'de> Deserialize<'de> for DelegatedRole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = WireDelegatedRole::deserialize(d)?;
        Ok(DelegatedRole {
            name: w.name,
            keys: RoleKeys { keyids: w.keyids, threshold: w.threshold },
            paths: w.paths.unwrap_or_default(),
        })
    }
}

/// `delegations`: keys and ordered roles. Both are `null` when the member was absent from the
/// input (Go's zero value) and `{}`/`[]` in everything notary creates.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Delegations {
    /// Delegation keys by TUF key ID.
    #[serde(default)]
    pub keys: Option<BTreeMap<KeyId, PublicKey>>,
    /// Delegated roles in order (order matters: it is the search order).
    #[serde(default)]
    pub roles: Option<Vec<DelegatedRole>>,
}

impl Delegations {
    /// Empty delegations as notary writes them: `{"keys":{},"roles":[]}`.
    pub fn empty() -> Self {
        Delegations { keys: Some(BTreeMap::new()), roles: Some(Vec::new()) }
    }

    /// The delegated roles (none for `null`).
    pub fn roles(&self) -> &[DelegatedRole] {
        self.roles.as_deref().unwrap_or(&[])
    }

    /// A delegated role by name.
    pub fn role(&self, name: &RoleName) -> Option<&DelegatedRole> {
        self.roles().iter().find(|r| &r.name == name)
    }

    /// The key with this ID, if listed.
    pub fn key(&self, id: &KeyId) -> Option<&PublicKey> {
        self.keys.as_ref().and_then(|k| k.get(id))
    }

    /// The keys of a delegated role that are present in `keys`, by ID.
    pub fn role_keys(&self, role: &DelegatedRole) -> BTreeMap<KeyId, PublicKey> {
        role.keys.key_ids().iter().filter_map(|id| self.key(id).map(|k| (id.clone(), k.clone()))).collect()
    }

    /// The keys and threshold a delegated role's file must be verified with.
    pub fn trusted_keys(&self, role: &DelegatedRole) -> TrustedKeys {
        TrustedKeys { keys: self.role_keys(role), threshold: role.keys.threshold }
    }

    fn write_canonical(&self, w: &mut CanonicalWriter) -> Result<(), CanonicalJsonError> {
        w.begin_object();
        w.key("keys")?;
        match &self.keys {
            Some(k) => write_keys(w, k)?,
            None => w.null(),
        }
        w.key("roles")?;
        match &self.roles {
            Some(roles) => {
                w.begin_array();
                for r in roles {
                    w.element();
                    r.write_canonical(w)?;
                }
                w.end_array();
            }
            None => w.null(),
        }
        w.end_object();
        Ok(())
    }
}

/// The body of `targets.json` or of a delegated role's file (both have `_type` `Targets`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Targets {
    /// Delegations to child roles.
    #[serde(default)]
    pub delegations: Delegations,
    /// Expiry.
    pub expires: Expires,
    /// Targets by name.
    pub targets: BTreeMap<String, FileMeta>,
    /// Version.
    pub version: Version,
}

impl Targets {
    /// An empty targets body.
    pub fn new(expires: Expires, version: Version) -> Self {
        Targets { delegations: Delegations::empty(), expires, targets: BTreeMap::new(), version }
    }
}

impl RoleBody for Targets {
    const TYPE: &'static str = "Targets";

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
        w.key("delegations")?;
        self.delegations.write_canonical(w)?;
        w.key("expires")?;
        self.expires.write_canonical(w)?;
        w.key("targets")?;
        w.begin_object();
        for (name, meta) in &self.targets {
            w.key(name)?;
            meta.write_canonical(w)?;
        }
        w.end_object();
        w.key("version")?;
        w.u64(self.version.get());
        w.end_object();
        Ok(())
    }

    fn canonical_is_stable(&self) -> bool {
        self.targets.values().all(FileMeta::canonical_is_stable)
    }

    fn validate(&self, file: &RoleName) -> Result<(), MetadataError> {
        if !file.is_targets_like() {
            return Err(MetadataError::invalid(file, "a Targets file can only be targets or a delegation"));
        }
        self.targets.iter().try_for_each(|(name, meta)| meta.validate(file, name))?;
        let no_keys = BTreeMap::new();
        let keys = self.delegations.keys.as_ref().unwrap_or(&no_keys);
        for role in self.delegations.roles() {
            if !role.name.is_direct_child_of(file) {
                return Err(MetadataError::invalid(
                    file,
                    format!("delegation role {} invalid: not a direct child of {file}", role.name),
                ));
            }
            role.keys.validate(file, role.name.as_str(), keys)?;
        }
        Ok(())
    }
}
