//! The snapshot and timestamp roles (spec §1.5–1.6): maps of role name → [`FileMeta`].

use std::collections::BTreeMap;

use serde::Deserialize;

use super::role_name::{ROOT, SNAPSHOT, TARGETS, TIMESTAMP};
use super::{Expires, FileMeta, MetadataError, RoleBody, RoleName, Version};
use crate::canonical_json::{CanonicalJsonError, CanonicalWriter};

/// The body of `snapshot.json`: hashes of root, targets and every delegation file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Snapshot {
    /// Expiry.
    pub expires: Expires,
    /// File metadata by role name (`root`, `targets`, `targets/releases`, ...).
    pub meta: BTreeMap<String, FileMeta>,
    /// Version.
    pub version: Version,
}

/// The body of `timestamp.json`: the hashes of the current snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Timestamp {
    /// Expiry.
    pub expires: Expires,
    /// File metadata; only `snapshot` is meaningful.
    pub meta: BTreeMap<String, FileMeta>,
    /// Version.
    pub version: Version,
}

impl Timestamp {
    /// The snapshot's file metadata (present in every valid timestamp).
    pub fn snapshot_meta(&self) -> Option<&FileMeta> {
        self.meta.get(SNAPSHOT)
    }
}

fn write_meta_body(
    w: &mut CanonicalWriter,
    type_name: &str,
    expires: &Expires,
    meta: &BTreeMap<String, FileMeta>,
    version: Version,
) -> Result<(), CanonicalJsonError> {
    w.begin_object();
    w.key("_type")?;
    w.string(type_name)?;
    w.key("expires")?;
    expires.write_canonical(w)?;
    w.key("meta")?;
    w.begin_object();
    for (name, m) in meta {
        w.key(name)?;
        m.write_canonical(w)?;
    }
    w.end_object();
    w.key("version")?;
    w.u64(version.get());
    w.end_object();
    Ok(())
}

/// notary's rule for snapshot and timestamp entries: `sha256` required, and every known hash
/// has its exact length (checked at parse time).
fn require_sha256(file: &RoleName, meta: &BTreeMap<String, FileMeta>, entry: &str) -> Result<(), MetadataError> {
    match meta.get(entry) {
        Some(m) if m.sha256().is_some() => Ok(()),
        _ => Err(MetadataError::invalid(file, format!("missing {entry} sha256 checksum information"))),
    }
}

fn validate_entries(file: &RoleName, meta: &BTreeMap<String, FileMeta>) -> Result<(), MetadataError> {
    meta.iter().try_for_each(|(name, m)| m.validate(file, name))
}

fn require_role(file: &RoleName, role: &str, type_name: &str) -> Result<(), MetadataError> {
    if file.as_str() == role {
        Ok(())
    } else {
        Err(MetadataError::invalid(file, format!("a {type_name} file can only be {role}")))
    }
}

impl RoleBody for Snapshot {
    const TYPE: &'static str = "Snapshot";

    fn expires(&self) -> &Expires {
        &self.expires
    }
    fn version(&self) -> Version {
        self.version
    }
    fn write_canonical(&self, w: &mut CanonicalWriter) -> Result<(), CanonicalJsonError> {
        write_meta_body(w, Self::TYPE, &self.expires, &self.meta, self.version)
    }
    fn canonical_is_stable(&self) -> bool {
        self.meta.values().all(FileMeta::canonical_is_stable)
    }
    fn validate(&self, file: &RoleName) -> Result<(), MetadataError> {
        require_role(file, SNAPSHOT, Self::TYPE)?;
        validate_entries(file, &self.meta)?;
        require_sha256(file, &self.meta, ROOT)?;
        require_sha256(file, &self.meta, TARGETS)
    }
}

impl RoleBody for Timestamp {
    const TYPE: &'static str = "Timestamp";

    fn expires(&self) -> &Expires {
        &self.expires
    }
    fn version(&self) -> Version {
        self.version
    }
    fn write_canonical(&self, w: &mut CanonicalWriter) -> Result<(), CanonicalJsonError> {
        write_meta_body(w, Self::TYPE, &self.expires, &self.meta, self.version)
    }
    fn canonical_is_stable(&self) -> bool {
        self.meta.values().all(FileMeta::canonical_is_stable)
    }
    fn validate(&self, file: &RoleName) -> Result<(), MetadataError> {
        require_role(file, TIMESTAMP, Self::TYPE)?;
        validate_entries(file, &self.meta)?;
        require_sha256(file, &self.meta, SNAPSHOT)
    }
}
