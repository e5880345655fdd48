//! The verified state of one repository and the walk that builds it (spec §6.8 steps 1–4).

use std::collections::BTreeSet;

use super::{MetadataSource, TrustError};
use crate::certs::{TrustPinning, check_delegation_key, validate_root};
use crate::clock::Clock;
use crate::metadata::{
    FileMeta, RoleBody, RoleName, Root, Signed, Snapshot, Targets, Timestamp, TrustedKeys, VerifyError,
};

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
/// carries on; other failures abort the walk).
#[derive(Debug, Clone)]
pub struct SkippedRole {
    /// The role.
    pub role: RoleName,
    /// Why.
    pub reason: VerifyError,
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
}

impl TrustedRepository {
    /// Verifies the trust data of `gun` from `source`, trusting its `root.json` subject to
    /// notary's root validation and `pinning` (TOFU by default, as Docker).
    pub fn verify(
        source: &dyn MetadataSource,
        gun: &str,
        pinning: &TrustPinning,
        clock: &dyn Clock,
    ) -> Result<Self, TrustError> {
        let root_bytes = read_required(source, &RoleName::root())?;
        let root = Signed::<Root>::parse(RoleName::root(), &root_bytes)?;
        validate_root(&root, gun, None, pinning, clock, true)?;
        Self::verify_with_root(source, gun, root, clock)
    }

    /// Verifies everything below a root that passed `validate_root` (steps 2–4 of spec §6.8).
    fn verify_with_root(
        source: &dyn MetadataSource,
        gun: &str,
        root: Signed<Root>,
        clock: &dyn Clock,
    ) -> Result<Self, TrustError> {
        let base_keys = |role: &str| root.signed().trusted_keys(role);

        let timestamp: Signed<Timestamp> = load(source, RoleName::timestamp(), &base_keys("timestamp"), clock)?;
        let snapshot_meta = timestamp
            .signed()
            .snapshot_meta()
            .ok_or_else(|| TrustError::NotListed { role: "snapshot".into(), listed_by: "timestamp" })?;
        let snapshot_bytes = read_required(source, &RoleName::snapshot())?;
        check_hash("snapshot", "timestamp", snapshot_meta, &snapshot_bytes)?;
        let snapshot: Signed<Snapshot> =
            parse_and_verify(RoleName::snapshot(), &snapshot_bytes, &base_keys("snapshot"), clock)?;

        // The root we trust must be the one the snapshot lists.
        let root_meta = listed(&snapshot, "root")?;
        check_hash("root", "snapshot", root_meta, &root.file_bytes()?)?;

        let targets_meta = listed(&snapshot, "targets")?;
        let targets_bytes = read_required(source, &RoleName::targets())?;
        check_hash("targets", "snapshot", targets_meta, &targets_bytes)?;
        let top: Signed<Targets> = parse_and_verify(RoleName::targets(), &targets_bytes, &base_keys("targets"), clock)?;

        let mut repo = TrustedRepository {
            gun: gun.to_owned(),
            root,
            timestamp,
            snapshot,
            targets: Vec::new(),
            skipped: Vec::new(),
        };
        let mut visited = BTreeSet::new();
        repo.walk(source, TrustedTargets { metadata: top, paths: vec![String::new()] }, clock, &mut visited)?;
        Ok(repo)
    }

    /// Depth-first pre-order walk of the delegation tree (notary's order).
    fn walk(
        &mut self,
        source: &dyn MetadataSource,
        node: TrustedTargets,
        clock: &dyn Clock,
        visited: &mut BTreeSet<RoleName>,
    ) -> Result<(), TrustError> {
        visited.insert(node.role().clone());
        let delegations = node.metadata.signed().delegations.clone();
        let parent_paths = node.paths.clone();
        self.targets.push(node);
        for child in delegations.roles() {
            if visited.contains(&child.name) {
                continue;
            }
            let Some(meta) = self.snapshot.signed().meta.get(child.name.as_str()).cloned() else { continue };
            let bytes = read_required(source, &child.name)?;
            check_hash(child.name.as_str(), "snapshot", &meta, &bytes)?;
            let trusted = delegations.trusted_keys(child);
            for (id, key) in &trusted.keys {
                check_delegation_key(key).map_err(|reason| TrustError::DelegationKey {
                    role: child.name.to_string(),
                    key_id: id.to_string(),
                    reason,
                })?;
            }
            let parsed = Signed::<Targets>::parse(child.name.clone(), &bytes)?;
            let checked = parsed.verify(&trusted).and_then(|_| parsed.check_expiry(clock));
            match checked {
                Ok(()) => {}
                Err(reason @ (VerifyError::Expired { .. } | VerifyError::ThresholdNotMet { .. })) => {
                    self.skipped.push(SkippedRole { role: child.name.clone(), reason });
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            let paths = crate::metadata::DelegatedRole::restrict_paths(&parent_paths, &child.paths);
            self.walk(source, TrustedTargets { metadata: parsed, paths }, clock, visited)?;
        }
        Ok(())
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
    /// Every verified targets role in walk order (`targets` first).
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

fn listed<'a>(snapshot: &'a Signed<Snapshot>, role: &'static str) -> Result<&'a FileMeta, TrustError> {
    snapshot.signed().meta.get(role).ok_or_else(|| TrustError::NotListed { role: role.into(), listed_by: "snapshot" })
}

fn check_hash(role: &str, listed_by: &'static str, meta: &FileMeta, bytes: &[u8]) -> Result<(), TrustError> {
    meta.check(bytes).map_err(|mismatch| TrustError::Hash { role: role.to_owned(), listed_by, mismatch })
}

fn parse_and_verify<T: RoleBody>(
    role: RoleName,
    bytes: &[u8],
    keys: &TrustedKeys,
    clock: &dyn Clock,
) -> Result<Signed<T>, TrustError> {
    let parsed = Signed::<T>::parse(role, bytes)?;
    parsed.verify(keys)?;
    parsed.check_expiry(clock)?;
    Ok(parsed)
}

fn load<T: RoleBody>(
    source: &dyn MetadataSource,
    role: RoleName,
    keys: &TrustedKeys,
    clock: &dyn Clock,
) -> Result<Signed<T>, TrustError> {
    let bytes = read_required(source, &role)?;
    parse_and_verify(role, &bytes, keys, clock)
}
