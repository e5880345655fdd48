//! The verified state of one repository, and its verification from a directory.

use std::collections::BTreeSet;

use super::builder::{LoadRules, RepoBuilder, TargetsWalk};
use super::{MetadataSource, TrustError};
use crate::certs::TrustPinning;
use crate::clock::Clock;
use crate::metadata::{FileMeta, RoleName, Root, Signed, Snapshot, Targets, Timestamp, VerifyError};

/// A targets role that verified, with the paths it may sign after its ancestors' restrictions.
#[derive(Debug, Clone)]
pub struct TrustedTargets {
    /// The verified file.
    pub metadata: Signed<Targets>,
    /// Effective path prefixes (`[""]` for `targets`).
    pub paths: Vec<String>,
}

impl TrustedTargets {
    /// The role.
    pub fn role(&self) -> &RoleName {
        self.metadata.role()
    }

    /// Whether the role may sign `name` (string prefix of an effective path).
    pub fn allows(&self, name: &str) -> bool {
        self.paths.iter().any(|p| name.starts_with(p.as_str()))
    }
}

/// A delegation that was skipped because it is expired or below threshold (notary warns and
/// carries on; other failures abort the walk). The parsed file is kept, as notary keeps it
/// for witnessing (spec §6.6).
#[derive(Debug, Clone)]
pub struct SkippedRole {
    /// The role.
    pub role: RoleName,
    /// Why.
    pub reason: VerifyError,
    /// The file as parsed (its hash matched the snapshot; its signatures or expiry did not pass).
    pub metadata: Signed<Targets>,
}

/// One target as seen by readers: the first role in walk order that signs it wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetEntry {
    /// Target name (for Docker: the tag).
    pub name: String,
    /// Role that signs it.
    pub role: RoleName,
    /// Its hashes and length.
    pub meta: FileMeta,
}

/// Fully verified trust data of one GUN.
#[derive(Debug, Clone)]
pub struct TrustedRepository {
    gun: String,
    root: Signed<Root>,
    timestamp: Signed<Timestamp>,
    snapshot: Signed<Snapshot>,
    targets: Vec<TrustedTargets>,
    skipped: Vec<SkippedRole>,
    warnings: std::sync::Arc<[UpdateWarning]>,
}

/// Something the update worked around, as the Go client logs a warning and carries on.
#[derive(Debug)]
#[non_exhaustive]
pub enum UpdateWarning {
    /// The server could not provide a role (unreachable, unavailable, not found), so the
    /// cached copy was used after full re-verification (signatures, hashes, expiry).
    ServedFromCache {
        /// The role.
        role: RoleName,
        /// Why the server's copy could not be used.
        reason: crate::server::ServerError,
    },
    /// A verified file could not be written to the cache (the update itself succeeded).
    CacheNotWritten {
        /// The role.
        role: RoleName,
        /// Why.
        reason: crate::trust_dir::TrustDirError,
    },
    /// The first attempt failed; the root was updated and the walk retried (and succeeded).
    Retried {
        /// Why the first attempt failed.
        reason: String,
    },
    /// A cached file could not be read and was treated as absent.
    CacheNotRead {
        /// The role.
        role: RoleName,
        /// Why.
        reason: String,
    },
}

impl std::fmt::Display for UpdateWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpdateWarning::ServedFromCache { role, reason } => {
                write!(f, "{role}: using the verified cached copy, the server's is unavailable: {reason}")
            }
            UpdateWarning::CacheNotWritten { role, reason } => write!(f, "{role}: not cached: {reason}"),
            UpdateWarning::CacheNotRead { role, reason } => write!(f, "{role}: cached copy ignored: {reason}"),
            UpdateWarning::Retried { reason } => {
                write!(f, "first attempt failed, retried with an updated root: {reason}")
            }
        }
    }
}

/// A delegation as listed by its parent, after the parent verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationInfo {
    /// The delegated role.
    pub role: RoleName,
    /// The role that delegates (`targets` or a delegation).
    pub parent: RoleName,
    /// Key IDs (TUF IDs) allowed to sign it.
    pub key_ids: Vec<crate::metadata::KeyId>,
    /// Signatures required.
    pub threshold: u32,
    /// The role's own `paths` (before its ancestors' restrictions).
    pub paths: Vec<String>,
    /// Whether its file verified (false: absent from snapshot, expired or below threshold).
    pub verified: bool,
}

impl TrustedRepository {
    /// Verifies the trust data of `gun` from `source` (a directory such as a trust-dir cache
    /// or an audit copy), trusting its `root.json` subject to notary's root validation and
    /// `pinning` (TOFU by default, as Docker). Every file is checked as the update workflow
    /// checks it, with nothing to compare versions against.
    pub fn verify(
        source: &dyn MetadataSource,
        gun: &str,
        pinning: &TrustPinning,
        clock: &dyn Clock,
    ) -> Result<Self, TrustError> {
        let mut builder = RepoBuilder::new(gun, pinning, clock);
        let rules = LoadRules::current(1);
        builder.load_root(&read_required(source, &RoleName::root())?, rules, true)?;
        for role in [RoleName::timestamp(), RoleName::snapshot()] {
            builder.load(&role, &read_required(source, &role)?, rules)?;
        }
        let mut walk = TargetsWalk::new();
        while let Some(role) = walk.next(&builder)? {
            let outcome = builder.load(&role, &read_required(source, &role)?, rules);
            walk.loaded(&builder, &role, outcome)?;
        }
        builder.finish()
    }

    pub(crate) fn from_parts(
        gun: String,
        root: Signed<Root>,
        timestamp: Signed<Timestamp>,
        snapshot: Signed<Snapshot>,
        targets: Vec<TrustedTargets>,
        skipped: Vec<SkippedRole>,
    ) -> Self {
        TrustedRepository { gun, root, timestamp, snapshot, targets, skipped, warnings: Vec::new().into() }
    }

    pub(crate) fn with_warnings(mut self, warnings: Vec<UpdateWarning>) -> Self {
        self.warnings = warnings.into();
        self
    }

    /// What the update worked around (cached copies used, cache not writable).
    pub fn warnings(&self) -> &[UpdateWarning] {
        &self.warnings
    }

    /// Whether some role came from the cache because the server could not provide it
    /// (offline fallback): the data verified, but may not be the newest.
    pub fn served_from_cache(&self) -> bool {
        self.warnings.iter().any(|w| matches!(w, UpdateWarning::ServedFromCache { .. }))
    }

    /// Every delegation listed by a verified targets role, in walk order.
    pub fn delegations(&self) -> Vec<DelegationInfo> {
        self.targets
            .iter()
            .flat_map(|t| {
                t.metadata.signed().delegations.roles().iter().map(|d| DelegationInfo {
                    role: d.name.clone(),
                    parent: t.role().clone(),
                    key_ids: d.keys.key_ids().to_vec(),
                    threshold: d.keys.threshold,
                    paths: d.paths.clone(),
                    verified: self.role(&d.name).is_some(),
                })
            })
            .collect()
    }

    /// The GUN.
    pub fn gun(&self) -> &str {
        &self.gun
    }
    /// The trusted root.
    pub fn root(&self) -> &Signed<Root> {
        &self.root
    }
    /// The verified timestamp.
    pub fn timestamp(&self) -> &Signed<Timestamp> {
        &self.timestamp
    }
    /// The verified snapshot.
    pub fn snapshot(&self) -> &Signed<Snapshot> {
        &self.snapshot
    }
    /// Every verified targets role in walk order: breadth-first from `targets`, children in
    /// delegation order (notary's `WalkTargets`).
    pub fn targets_roles(&self) -> &[TrustedTargets] {
        &self.targets
    }
    /// Delegations skipped as expired or below threshold.
    pub fn skipped(&self) -> &[SkippedRole] {
        &self.skipped
    }

    /// A verified targets role by name.
    pub fn role(&self, role: &RoleName) -> Option<&TrustedTargets> {
        self.targets.iter().find(|t| t.role() == role)
    }

    /// Every target a reader sees: in walk order, a name is taken from the first role that
    /// signs it within its effective paths.
    pub fn targets(&self) -> Vec<TargetEntry> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for t in &self.targets {
            for entry in role_entries(t) {
                if seen.insert(entry.name.clone()) {
                    out.push(entry);
                }
            }
        }
        out
    }

    /// Every (role, target) pair in walk order, a name appearing once per role that signs it
    /// (notary's `GetAllTargetMetadataByName("")`; `docker trust inspect` builds on this).
    pub fn all_targets(&self) -> Vec<TargetEntry> {
        self.targets.iter().flat_map(role_entries).collect()
    }

    /// The targets one role signs (within its effective paths).
    pub fn role_targets(&self, role: &RoleName) -> Vec<TargetEntry> {
        self.role(role).map(|t| role_entries(t).collect()).unwrap_or_default()
    }

    /// Looks a target up in the subtrees of `roles`, in order (notary's `GetTargetByName`;
    /// Docker uses `[targets/releases, targets]`). While one listed role's subtree is walked, the
    /// subtrees of the other listed roles inside it are skipped, as Go does. Empty `roles` means
    /// the whole tree.
    pub fn lookup(&self, name: &str, roles: &[RoleName]) -> Option<TargetEntry> {
        if roles.is_empty() {
            return self.targets().into_iter().find(|t| t.name == name);
        }
        roles.iter().find_map(|subtree| {
            let skipped: Vec<&RoleName> = roles.iter().filter(|r| is_descendant(r, subtree)).collect();
            self.targets
                .iter()
                .filter(|t| t.role() == subtree || is_descendant(t.role(), subtree))
                .filter(|t| !skipped.iter().any(|s| t.role() == *s || is_descendant(t.role(), s)))
                .find_map(|t| role_entries(t).find(|e| e.name == name))
        })
    }
}

fn is_descendant(role: &RoleName, ancestor: &RoleName) -> bool {
    role.as_str().len() > ancestor.as_str().len()
        && role.as_str().starts_with(ancestor.as_str())
        && role.as_str().as_bytes()[ancestor.as_str().len()] == b'/'
}

fn role_entries(t: &TrustedTargets) -> impl Iterator<Item = TargetEntry> + '_ {
    t.metadata.signed().targets.iter().filter(|(name, _)| t.allows(name)).map(|(name, meta)| TargetEntry {
        name: name.clone(),
        role: t.role().clone(),
        meta: meta.clone(),
    })
}

fn read_required(source: &dyn MetadataSource, role: &RoleName) -> Result<Vec<u8>, TrustError> {
    source.read(role)?.ok_or_else(|| TrustError::Missing { role: role.to_string() })
}
