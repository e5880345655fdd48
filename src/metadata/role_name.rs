//! Role names: the four base roles and delegations (spec §1.4, trap T13).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::MetadataError;

/// A validated role name: `root`, `targets`, `snapshot`, `timestamp`, or a delegation
/// `targets/<name>[/<name>...]` made of `[-a-z0-9_]` segments, shorter than 256 bytes.
///
/// Validation happens before a name can reach a file path, so a `RoleName` never contains
/// `..`, `.`, an empty segment, a leading or trailing `/`, or upper-case letters.
///
/// ```
/// use notary_client::metadata::RoleName;
/// let r = RoleName::new("targets/releases").unwrap();
/// assert!(r.is_delegation());
/// assert_eq!(r.parent().unwrap().as_str(), "targets");
/// assert!(RoleName::new("targets/../root").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoleName(String);

/// Name of the root role.
pub const ROOT: &str = "root";
/// Name of the top-level targets role.
pub const TARGETS: &str = "targets";
/// Name of the snapshot role.
pub const SNAPSHOT: &str = "snapshot";
/// Name of the timestamp role.
pub const TIMESTAMP: &str = "timestamp";

/// Docker's release delegation, read by `docker pull` and `docker trust inspect`.
pub const RELEASES: &str = "targets/releases";

impl RoleName {
    /// Validates a role name.
    pub fn new(name: impl Into<String>) -> Result<Self, MetadataError> {
        let name = name.into();
        if is_base_role(&name) || is_delegation(&name) {
            Ok(RoleName(name))
        } else {
            Err(MetadataError::InvalidRoleName { name: super::error::clip(&name) })
        }
    }

    /// The `root` role.
    pub fn root() -> Self {
        RoleName(ROOT.to_owned())
    }
    /// The `targets` role.
    pub fn targets() -> Self {
        RoleName(TARGETS.to_owned())
    }
    /// The `snapshot` role.
    pub fn snapshot() -> Self {
        RoleName(SNAPSHOT.to_owned())
    }
    /// The `timestamp` role.
    pub fn timestamp() -> Self {
        RoleName(TIMESTAMP.to_owned())
    }
    /// Docker's `targets/releases` role.
    pub fn releases() -> Self {
        RoleName(RELEASES.to_owned())
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a delegated targets role (`targets/...`).
    pub fn is_delegation(&self) -> bool {
        self.0.starts_with("targets/")
    }

    /// Whether this role's metadata is a targets file (`targets` or a delegation).
    pub fn is_targets_like(&self) -> bool {
        self.0 == TARGETS || self.is_delegation()
    }

    /// The delegating role (`targets/a/b` → `targets/a`, `targets/a` → `targets`); `None` for
    /// base roles.
    pub fn parent(&self) -> Option<RoleName> {
        if !self.is_delegation() {
            return None;
        }
        self.0.rfind('/').map(|i| RoleName(self.0[..i].to_owned()))
    }

    /// Whether `self` is a direct child of `parent` (the only delegations notary accepts).
    pub fn is_direct_child_of(&self, parent: &RoleName) -> bool {
        self.parent().as_ref() == Some(parent)
    }
}

fn is_base_role(name: &str) -> bool {
    matches!(name, ROOT | TARGETS | SNAPSHOT | TIMESTAMP)
}

/// notary's `IsDelegation`: `targets/` prefix, `^[-a-z0-9_/]+$`, < 256 bytes, path-clean.
fn is_delegation(name: &str) -> bool {
    name.len() < 256
        && name.starts_with("targets/")
        && name.bytes().all(|b| matches!(b, b'-' | b'_' | b'/' | b'a'..=b'z' | b'0'..=b'9'))
        && name.split('/').all(|seg| !seg.is_empty())
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl AsRef<str> for RoleName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for RoleName {
    type Err = MetadataError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RoleName::new(s)
    }
}

impl<'de> Deserialize<'de> for RoleName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RoleName::new(s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for RoleName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_roles_are_valid() {
        for r in ["root", "targets", "snapshot", "timestamp"] {
            assert!(RoleName::new(r).is_ok(), "{r}");
        }
    }

    #[test]
    fn delegations_follow_notary_is_delegation() {
        assert!(RoleName::new("targets/releases").is_ok());
        assert!(RoleName::new("targets/a-b_c/d0").is_ok());
        for bad in [
            "targets/",
            "targets//a",
            "targets/a/",
            "targets/Releases",
            "targets/a.b",
            "targets/..",
            "targets/../x",
            "/targets/a",
            "target/a",
            "root/a",
            "targets/a b",
            "targets/é",
            "",
        ] {
            assert!(RoleName::new(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn delegation_names_must_be_shorter_than_256_bytes() {
        let ok = format!("targets/{}", "a".repeat(255 - 8));
        assert_eq!(ok.len(), 255);
        assert!(RoleName::new(ok).is_ok());
        assert!(RoleName::new(format!("targets/{}", "a".repeat(256 - 8))).is_err());
    }

    #[test]
    fn parent_and_direct_child() {
        let r = RoleName::new("targets/a/b").unwrap();
        assert_eq!(r.parent().unwrap().as_str(), "targets/a");
        assert!(r.is_direct_child_of(&RoleName::new("targets/a").unwrap()));
        assert!(!r.is_direct_child_of(&RoleName::targets()));
        assert_eq!(RoleName::targets().parent(), None);
    }
}
