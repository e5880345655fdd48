//! Staged changes: what a publish applies on top of the server's current trust data.
//!
//! Changes are kept in memory and re-applied to freshly downloaded metadata on every publish
//! attempt, so a publish that lost a race with another signer (`400 VERSION`) is simply
//! retried on the newer state. They are not written in notary's changelist format: a CI job
//! stages and publishes in one process, and a changelist on disk would be one more piece of
//! state that outlives a failed job and gets published by the next, unrelated one.

use crate::metadata::{FileMeta, KeyId, PublicKey, RoleName};

/// Which role(s) a target change goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetRoles {
    /// This role (`targets` or a delegation).
    Role(RoleName),
    /// Docker's choice (`GetSignableRoles`, spec §6.2): `targets` when the repository has no
    /// delegations, otherwise every direct child of `targets` whose paths allow the name and
    /// whose keys the keyring holds.
    Signable,
}

impl From<RoleName> for TargetRoles {
    fn from(role: RoleName) -> Self {
        TargetRoles::Role(role)
    }
}

/// One staged change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// Adds (or replaces) target `name` with `meta`. Docker: name = tag, `meta` = the
    /// manifest's sha256 and size ([`FileMeta::sha256_only`]). Signing a digest needs no
    /// content (`notary addhash`).
    AddTarget {
        /// Where.
        roles: TargetRoles,
        /// Target name.
        name: String,
        /// Hashes, length, optional `custom`.
        meta: FileMeta,
    },
    /// Removes target `name` (no change where it is absent).
    RemoveTarget {
        /// Where.
        roles: TargetRoles,
        /// Target name.
        name: String,
    },
    /// Creates delegation `role` or adds keys and paths to it (notary's
    /// `AddDelegationRoleAndKeys` + `AddDelegationPaths`). The parent's file is re-signed, so
    /// a key of the parent is needed. `threshold` applies to a new role (default 1) or replaces
    /// an existing role's.
    AddDelegation {
        /// The delegated role (`targets/releases`, …).
        role: RoleName,
        /// Public keys (bare keys or certificates) to list for it.
        keys: Vec<PublicKey>,
        /// Target name prefixes to allow (`""` = all); must lie within the parent's paths.
        paths: Vec<String>,
        /// Signatures required.
        threshold: Option<u32>,
    },
    /// Removes keys from a delegation, by TUF or canonical key ID; keys no role uses any more
    /// are dropped from the parent's key list.
    RemoveDelegationKeys {
        /// The delegated role.
        role: RoleName,
        /// Key IDs (TUF or canonical).
        key_ids: Vec<KeyId>,
    },
    /// Removes path prefixes from a delegation.
    RemoveDelegationPaths {
        /// The delegated role.
        role: RoleName,
        /// Prefixes to remove.
        paths: Vec<String>,
    },
    /// Removes every path of a delegation (it may then sign nothing).
    ClearDelegationPaths {
        /// The delegated role.
        role: RoleName,
    },
    /// Removes a delegation from its parent (its file stays on the server, unreachable).
    DeleteDelegation {
        /// The delegated role.
        role: RoleName,
    },
    /// Re-signs a role without changing its content: new version and expiry (notary's
    /// `witness`). A delegation skipped because it expired or lost signatures is restored
    /// from its last downloaded copy, provided its keys now sign it.
    Witness {
        /// The role (`targets` or a delegation).
        role: RoleName,
    },
    /// Replaces the keys of a base role in root (key rotation, spec §6.5). Root is re-signed
    /// by the new root keys and, when the root role's keys change, also by the old ones.
    ReplaceRoleKeys {
        /// `root`, `targets`, `snapshot` or `timestamp`.
        role: RoleName,
        /// The new keys (the role's threshold stays).
        keys: Vec<PublicKey>,
    },
}

impl Change {
    /// [`Change::AddTarget`] into `roles`.
    ///
    /// ```
    /// use notary_client::metadata::{FileMeta, RoleName};
    /// use notary_client::repository::{Change, TargetRoles};
    /// let c = Change::add_target(RoleName::releases(), "v1.0", FileMeta::sha256_only([7; 32], 528));
    /// assert!(matches!(c, Change::AddTarget { roles: TargetRoles::Role(_), .. }));
    /// ```
    pub fn add_target(roles: impl Into<TargetRoles>, name: impl Into<String>, meta: FileMeta) -> Self {
        Change::AddTarget { roles: roles.into(), name: name.into(), meta }
    }

    /// [`Change::RemoveTarget`] from `roles`.
    pub fn remove_target(roles: impl Into<TargetRoles>, name: impl Into<String>) -> Self {
        Change::RemoveTarget { roles: roles.into(), name: name.into() }
    }

    /// [`Change::AddDelegation`] with threshold 1 for a new role.
    pub fn add_delegation(role: RoleName, keys: Vec<PublicKey>, paths: Vec<String>) -> Self {
        Change::AddDelegation { role, keys, paths, threshold: None }
    }
}
