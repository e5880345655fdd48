//! notary's repository builder (`tuf/builder.go`): trust data is loaded one role at a time,
//! and each file is checked against what is already trusted — its hash against the parent's
//! meta, its signatures against the parent's keys, its version against a minimum, its expiry
//! against the clock. Both the offline directory verification and the update workflow drive
//! one of these.

use std::collections::BTreeMap;

use super::TrustError;
use super::repository::{SkippedRole, TrustedRepository, TrustedTargets};
use crate::certs::{RootValidation, TrustPinning, check_delegation_key, validate_root_with};
use crate::clock::Clock;
use crate::metadata::{FileMeta, RoleBody, RoleName, Root, Signed, Snapshot, Targets, Timestamp, TrustedKeys};

/// How a file is checked besides signatures and hashes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoadRules {
    /// Lowest acceptable version (the cached version, or 1).
    pub min_version: u64,
    /// Accept expired metadata (the cached baseline, intermediate roots).
    pub allow_expired: bool,
    /// A rollback baseline (cached data, used only for its version): as in Go's old builder,
    /// only root must be loaded first, and a hash is checked only if its parent is loaded.
    pub baseline: bool,
}

impl LoadRules {
    /// Current data: version ≥ `min_version`, not expired.
    pub fn current(min_version: u64) -> Self {
        LoadRules { min_version, allow_expired: false, baseline: false }
    }

    /// A rollback baseline: any version, expiry ignored.
    pub fn baseline() -> Self {
        LoadRules { min_version: 1, allow_expired: true, baseline: true }
    }
}

/// The trust data loaded so far for one GUN.
pub(crate) struct RepoBuilder<'a> {
    gun: &'a str,
    pinning: &'a TrustPinning,
    clock: &'a dyn Clock,
    /// The root a new root must be signed by (cached root, or the predecessor in a chain).
    prev_root: Option<Signed<Root>>,
    /// The checksum the root must have, learnt from a snapshot of a previous attempt.
    bootstrapped_root_checksum: Option<FileMeta>,
    /// `meta.root` of the last snapshot whose signatures verified (even if it then failed).
    next_root_checksum: Option<FileMeta>,
    root: Option<Signed<Root>>,
    timestamp: Option<Signed<Timestamp>>,
    snapshot: Option<Signed<Snapshot>>,
    /// Verified targets roles in load order (the walk's pre-order).
    targets: Vec<TrustedTargets>,
    /// Delegations whose last load failed on expiry or threshold, with the parsed file.
    invalid: BTreeMap<RoleName, SkippedRole>,
}

impl<'a> RepoBuilder<'a> {
    pub fn new(gun: &'a str, pinning: &'a TrustPinning, clock: &'a dyn Clock) -> Self {
        RepoBuilder {
            gun,
            pinning,
            clock,
            prev_root: None,
            bootstrapped_root_checksum: None,
            next_root_checksum: None,
            root: None,
            timestamp: None,
            snapshot: None,
            targets: Vec::new(),
            invalid: BTreeMap::new(),
        }
    }

    /// A fresh builder that must validate a new root against this builder's root, and
    /// against the checksum the last verified snapshot listed for root (Go's
    /// `BootstrapNewBuilder`; with `pinning`, `BootstrapNewBuilderWithNewTrustpin`).
    pub fn bootstrap_new(&self, pinning: &'a TrustPinning) -> Self {
        let mut next = RepoBuilder::new(self.gun, pinning, self.clock);
        next.prev_root = self.root.clone();
        next.bootstrapped_root_checksum = self.next_root_checksum.clone();
        next
    }

    pub fn is_loaded(&self, role: &RoleName) -> bool {
        self.loaded_version(role).is_some()
    }

    /// The version of a loaded role.
    pub fn loaded_version(&self, role: &RoleName) -> Option<u64> {
        match role.as_str() {
            crate::metadata::ROOT => self.root.as_ref().map(|r| r.signed().version.get()),
            crate::metadata::TIMESTAMP => self.timestamp.as_ref().map(|r| r.signed().version.get()),
            crate::metadata::SNAPSHOT => self.snapshot.as_ref().map(|r| r.signed().version.get()),
            _ => self.loaded_targets(role).map(|t| t.metadata.signed().version.get()),
        }
    }

    fn loaded_targets(&self, role: &RoleName) -> Option<&TrustedTargets> {
        self.targets.iter().find(|t| t.role() == role)
    }

    /// The hashes and length a role's file must have, if a trusted parent lists them
    /// (Go's `GetConsistentInfo`): timestamp for snapshot, snapshot for everything else;
    /// for root, the bootstrapped checksum first. An entry with neither hashes nor a length
    /// counts as absent (Go's `ChecksumKnown`).
    pub fn expected_meta(&self, role: &RoleName) -> Option<&FileMeta> {
        self.listed_meta(role).filter(|m| m.sha256().is_some() || m.sha512().is_some() || m.length != 0)
    }

    fn listed_meta(&self, role: &RoleName) -> Option<&FileMeta> {
        match role.as_str() {
            crate::metadata::TIMESTAMP => None,
            crate::metadata::SNAPSHOT => self.timestamp.as_ref().and_then(|t| t.signed().snapshot_meta()),
            crate::metadata::ROOT if self.bootstrapped_root_checksum.is_some() => {
                self.bootstrapped_root_checksum.as_ref()
            }
            _ => self.snapshot.as_ref().and_then(|s| s.signed().meta.get(role.as_str())),
        }
    }

    /// Loads any role's file.
    pub fn load(&mut self, role: &RoleName, bytes: &[u8], rules: LoadRules) -> Result<(), TrustError> {
        match role.as_str() {
            crate::metadata::ROOT => self.load_root(bytes, rules, false),
            crate::metadata::TIMESTAMP => self.load_timestamp(bytes, rules),
            crate::metadata::SNAPSHOT => self.load_snapshot(bytes, rules),
            _ => self.load_targets(role, bytes, rules),
        }
    }

    /// Loads `root.json`: the bootstrapped checksum (unless `skip_checksum`), then notary's
    /// root validation against the previous root and trust pinning, version and expiry.
    pub fn load_root(&mut self, bytes: &[u8], rules: LoadRules, skip_checksum: bool) -> Result<(), TrustError> {
        let role = RoleName::root();
        let mut version = None;
        let result = (|| {
            if !skip_checksum && let Some(meta) = &self.bootstrapped_root_checksum {
                check_hash(&role, "snapshot", meta, bytes)?;
            }
            let root = Signed::<Root>::parse(role.clone(), bytes)?;
            version = Some(root.signed().version.get());
            validate_root_with(
                &root,
                &RootValidation {
                    gun: self.gun,
                    previous: self.prev_root.as_ref(),
                    pinning: self.pinning,
                    clock: self.clock,
                    min_version: rules.min_version,
                    enforce_expiry: !rules.allow_expired,
                },
            )?;
            Ok(root)
        })();
        let root = result.map_err(|e| rejected(&role, version, rules, e))?;
        self.root = Some(root);
        Ok(())
    }

    /// One step of a root rotation chain walk (Go's `LoadRootForUpdate`): an intermediate
    /// root (`is_final == false`) may be expired, has no known checksum, and becomes the
    /// previous root of the next step; the final root is checked fully.
    pub fn load_root_for_update(&mut self, bytes: &[u8], min_version: u64, is_final: bool) -> Result<(), TrustError> {
        let rules = LoadRules { min_version, allow_expired: !is_final, baseline: false };
        self.load_root(bytes, rules, !is_final)?;
        if !is_final {
            self.prev_root = self.root.clone();
        }
        Ok(())
    }

    /// Loads `timestamp.json`, verified with root's timestamp keys.
    pub fn load_timestamp(&mut self, bytes: &[u8], rules: LoadRules) -> Result<(), TrustError> {
        let role = RoleName::timestamp();
        let keys = self.base_keys(&role, &RoleName::root(), rules)?;
        let timestamp = parse_and_verify::<Timestamp>(&role, bytes, &keys, rules, self.clock, None)?;
        if timestamp.signed().snapshot_meta().is_none() {
            let e = TrustError::NotListed { role: "snapshot".into(), listed_by: "timestamp" };
            return Err(rejected(&role, Some(timestamp.signed().version.get()), rules, e));
        }
        self.timestamp = Some(timestamp);
        Ok(())
    }

    /// Loads `snapshot.json`: hash from timestamp, root's snapshot keys, and the trusted root's
    /// bytes must match the snapshot's `meta.root`.
    pub fn load_snapshot(&mut self, bytes: &[u8], rules: LoadRules) -> Result<(), TrustError> {
        let role = RoleName::snapshot();
        let keys = self.base_keys(&role, &RoleName::timestamp(), rules)?;
        let meta = self.expected_meta(&role).cloned();
        let listed = meta.as_ref().map(|m| (m, "timestamp"));
        let snapshot = parse_and_verify::<Snapshot>(&role, bytes, &keys, rules, self.clock, listed)?;
        let version = Some(snapshot.signed().version.get());
        let root_meta = snapshot.signed().meta.get(crate::metadata::ROOT).cloned().ok_or_else(|| {
            rejected(&role, version, rules, TrustError::NotListed { role: "root".into(), listed_by: "snapshot" })
        })?;
        // Known from here on even if the root does not match: the next attempt fetches that root.
        self.next_root_checksum = Some(root_meta.clone());
        if let Some(root) = &self.root {
            let root_bytes = root.file_bytes()?;
            check_hash(&RoleName::root(), "snapshot", &root_meta, &root_bytes)?;
        }
        self.snapshot = Some(snapshot);
        Ok(())
    }

    /// Loads `targets.json` or a delegation: hash from snapshot, keys and threshold from root
    /// (`targets`) or from the delegating role, whose delegation keys must pass the
    /// certificate checks. A delegation that verifies but is expired or below threshold is
    /// remembered as invalid (with its parsed body) for witnessing.
    pub fn load_targets(&mut self, role: &RoleName, bytes: &[u8], rules: LoadRules) -> Result<(), TrustError> {
        if self.is_loaded(role) {
            // Go's builder refuses a second load: a role listed twice aborts the update.
            return Err(TrustError::AlreadyLoaded { role: role.to_string() });
        }
        let meta = self.expected_meta(role).cloned();
        if meta.is_none() && !(rules.baseline && self.snapshot.is_none()) {
            let e = TrustError::NotListed { role: role.to_string(), listed_by: "snapshot" };
            return Err(rejected(role, None, rules, e));
        }
        let (keys, paths) = self.delegation_of(role, rules)?;
        let mut version = None;
        let parsed = (|| {
            if let Some(meta) = &meta {
                check_hash(role, "snapshot", meta, bytes)?;
            }
            let parsed = Signed::<Targets>::parse(role.clone(), bytes)?;
            version = Some(parsed.signed().version.get());
            check_version(role, parsed.signed(), rules.min_version)?;
            Ok(parsed)
        })()
        .map_err(|e| rejected(role, version, rules, e))?;
        let checked = parsed
            .verify(&keys)
            .map(|_| ())
            .and_then(|()| if rules.allow_expired { Ok(()) } else { parsed.check_expiry(self.clock) });
        if let Err(reason) = checked {
            let error = rejected(role, version, rules, reason.clone().into());
            if role.is_delegation() && error.is_skippable_for_delegation() {
                self.invalid.insert(role.clone(), SkippedRole { role: role.clone(), reason, metadata: parsed });
            }
            return Err(error);
        }
        self.invalid.remove(role);
        self.targets.push(TrustedTargets { metadata: parsed, paths });
        Ok(())
    }

    /// The delegated roles of a loaded targets role, in order, that may be walked next.
    pub fn children(&self, role: &RoleName) -> Vec<RoleName> {
        self.loaded_targets(role)
            .map(|t| t.metadata.signed().delegations.roles().iter().map(|d| d.name.clone()).collect())
            .unwrap_or_default()
    }

    /// The trusted repository. Requires root, timestamp, snapshot and targets.
    pub fn finish(self) -> Result<TrustedRepository, TrustError> {
        let missing = |role: &str| TrustError::Missing { role: role.to_owned() };
        let root = self.root.ok_or_else(|| missing("root"))?;
        let timestamp = self.timestamp.ok_or_else(|| missing("timestamp"))?;
        let snapshot = self.snapshot.ok_or_else(|| missing("snapshot"))?;
        if !self.targets.iter().any(|t| t.role() == &RoleName::targets()) {
            return Err(missing("targets"));
        }
        Ok(TrustedRepository::from_parts(
            self.gun.to_owned(),
            root,
            timestamp,
            snapshot,
            breadth_first(self.targets),
            self.invalid.into_values().collect(),
        ))
    }

    /// Keys of a base role from the trusted root; `needs` must be loaded first (only root for
    /// a baseline).
    fn base_keys(&self, role: &RoleName, needs: &RoleName, rules: LoadRules) -> Result<TrustedKeys, TrustError> {
        let prerequisite = || TrustError::Prerequisite { role: role.to_string(), needs: needs.to_string() };
        let root = self.root.as_ref().ok_or_else(prerequisite)?;
        if !rules.baseline && !self.is_loaded(needs) {
            return Err(prerequisite());
        }
        Ok(root.signed().trusted_keys(role.as_str()))
    }

    /// Keys/threshold and effective paths of a targets role (Go's `GetDelegationRole`).
    fn delegation_of(&self, role: &RoleName, rules: LoadRules) -> Result<(TrustedKeys, Vec<String>), TrustError> {
        let Some(parent_name) = role.parent() else {
            let keys = self.base_keys(role, &RoleName::snapshot(), rules)?;
            return Ok((keys, vec![String::new()]));
        };
        let prerequisite = || TrustError::Prerequisite { role: role.to_string(), needs: parent_name.to_string() };
        let parent = self.loaded_targets(&parent_name).ok_or_else(prerequisite)?;
        let delegations = &parent.metadata.signed().delegations;
        let child = delegations
            .role(role)
            .ok_or_else(|| TrustError::NotListed { role: role.to_string(), listed_by: "its parent's delegations" })?;
        let keys = delegations.trusted_keys(child);
        for (id, key) in &keys.keys {
            check_delegation_key(key).map_err(|reason| TrustError::DelegationKey {
                role: role.to_string(),
                key_id: id.to_string(),
                reason,
            })?;
        }
        let paths = crate::metadata::DelegatedRole::restrict_paths(&parent.paths, &child.paths);
        Ok((keys, paths))
    }
}

/// The roles in the order readers walk them (Go's `WalkTargets`: breadth-first from `targets`,
/// children in delegation order), which decides which role's entry wins for a name.
fn breadth_first(mut loaded: Vec<TrustedTargets>) -> Vec<TrustedTargets> {
    let mut order = Vec::with_capacity(loaded.len());
    let mut queue = std::collections::VecDeque::from([RoleName::targets()]);
    while let Some(name) = queue.pop_front() {
        let Some(at) = loaded.iter().position(|t| t.role() == &name) else { continue };
        let role = loaded.swap_remove(at);
        queue.extend(role.metadata.signed().delegations.roles().iter().map(|d| d.name.clone()));
        order.push(role);
    }
    order
}

/// The targets tree in download order (Go's `downloadTargets`): depth-first pre-order from
/// `targets`, skipping delegations the snapshot does not list and delegations that are expired
/// or below threshold; any other failure aborts. Drivers fetch each role's bytes themselves.
pub(crate) struct TargetsWalk {
    queue: std::collections::VecDeque<RoleName>,
}

impl TargetsWalk {
    pub fn new() -> Self {
        TargetsWalk { queue: std::collections::VecDeque::from([RoleName::targets()]) }
    }

    /// The next role to load.
    pub fn next(&mut self, builder: &RepoBuilder<'_>) -> Result<Option<RoleName>, TrustError> {
        while let Some(role) = self.queue.pop_front() {
            if builder.expected_meta(&role).is_some() {
                return Ok(Some(role));
            }
            if !role.is_delegation() {
                return Err(TrustError::NotListed { role: role.to_string(), listed_by: "snapshot" });
            }
        }
        Ok(None)
    }

    /// Records the outcome of loading `role`: its children are walked next, a skippable
    /// delegation failure is passed over, anything else is the walk's error.
    pub fn loaded(
        &mut self,
        builder: &RepoBuilder<'_>,
        role: &RoleName,
        outcome: Result<(), TrustError>,
    ) -> Result<(), TrustError> {
        match outcome {
            Ok(()) => {
                for child in builder.children(role).into_iter().rev() {
                    self.queue.push_front(child);
                }
                Ok(())
            }
            Err(e) if role.is_delegation() && e.is_skippable_for_delegation() => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn rejected(role: &RoleName, version: Option<u64>, rules: LoadRules, source: TrustError) -> TrustError {
    TrustError::Rejected { role: role.to_string(), version, min_version: rules.min_version, source: Box::new(source) }
}

fn check_hash(role: &RoleName, listed_by: &'static str, meta: &FileMeta, bytes: &[u8]) -> Result<(), TrustError> {
    meta.check(bytes).map_err(|mismatch| TrustError::Hash { role: role.to_string(), listed_by, mismatch })
}

fn check_version<T: RoleBody>(role: &RoleName, body: &T, min_version: u64) -> Result<(), TrustError> {
    let version = body.version().get();
    if version < min_version {
        return Err(TrustError::Rollback { role: role.to_string(), version, min_version });
    }
    Ok(())
}

/// Hash (when the parent lists one), parse, signatures, version, expiry — Go's order for the
/// base roles (`bytesToSignedAndValidateSigs`, then `VerifyVersion`, then `VerifyExpiry`).
fn parse_and_verify<T: RoleBody>(
    role: &RoleName,
    bytes: &[u8],
    keys: &TrustedKeys,
    rules: LoadRules,
    clock: &dyn Clock,
    listed: Option<(&FileMeta, &'static str)>,
) -> Result<Signed<T>, TrustError> {
    let mut version = None;
    let result = (|| {
        if let Some((meta, listed_by)) = listed {
            check_hash(role, listed_by, meta, bytes)?;
        }
        let parsed = Signed::<T>::parse(role.clone(), bytes)?;
        version = Some(parsed.signed().version().get());
        parsed.verify(keys)?;
        check_version(role, parsed.signed(), rules.min_version)?;
        if !rules.allow_expired {
            parsed.check_expiry(clock)?;
        }
        Ok(parsed)
    })();
    result.map_err(|e| rejected(role, version, rules, e))
}
