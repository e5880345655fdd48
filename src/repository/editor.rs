//! The editable copy of a repository's metadata (notary's `tuf.Repo`): staged changes are
//! applied to it, then every changed role is signed with version + 1 and fresh expiry, and the
//! files to upload come out byte-exact (spec §6.2–6.5).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Months, Utc};

use super::{Change, Keyring, PublishError, TargetRoles};
use crate::keys::Signer;
use crate::metadata::{
    DelegatedRole, Expires, FileMeta, Gun, KeyId, PublicKey, RoleKeys, RoleName, Root, Signed, Snapshot, Targets,
    TrustedKeys, Version,
};
use crate::trusted::TrustedRepository;

/// Default expiries (spec §1.7; a year is 365 days of 24 h, as `notary.Year`).
pub(crate) const ROOT_EXPIRY: Duration = Duration::days(10 * 365);
pub(crate) const TARGETS_EXPIRY: Duration = Duration::days(3 * 365);
pub(crate) const SNAPSHOT_EXPIRY: Duration = Duration::days(3 * 365);

/// How strictly role thresholds apply when signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Thresholds {
    /// Every signed role must meet its threshold (a publish).
    Required,
    /// One signature is enough (a draft others will co-sign).
    Partial,
}

/// One targets or delegation role being edited.
#[derive(Debug, Clone)]
struct RoleState {
    body: Targets,
    /// The verified file it came from (`None` for a role file created here).
    file: Option<Signed<Targets>>,
    /// The version the next signature builds on (0 for a new file).
    base: u64,
    dirty: bool,
    /// A file signed elsewhere (a co-signed draft), uploaded as it is.
    provided: bool,
}

/// A repository's metadata being edited.
#[derive(Debug)]
pub(crate) struct Editor {
    gun: Gun,
    now: DateTime<Utc>,
    /// Root as loaded (its keys also sign a root whose root role changed).
    root: Signed<Root>,
    /// Root as edited (changed when it differs from `root`).
    root_body: Root,
    /// The repository is not on the server yet: root goes up as it is and targets is re-signed.
    initial: bool,
    roles: BTreeMap<RoleName, RoleState>,
    /// Delegations skipped by the update (expired or below threshold), kept for witnessing.
    skipped: BTreeMap<RoleName, Signed<Targets>>,
    snapshot: Option<Signed<Snapshot>>,
    deleted: BTreeSet<RoleName>,
}

/// The files of one publish, in upload order (root, targets roles shallow first, snapshot).
pub(crate) type Files = Vec<(RoleName, Vec<u8>)>;

impl Editor {
    /// The server's verified state.
    pub(crate) fn from_trusted(gun: &Gun, trusted: &TrustedRepository, now: DateTime<Utc>) -> Self {
        let roles =
            trusted.targets_roles().iter().map(|t| (t.role().clone(), RoleState::loaded(t.metadata.clone()))).collect();
        let skipped = trusted.skipped().iter().map(|s| (s.role.clone(), s.metadata.clone())).collect();
        Editor {
            gun: gun.clone(),
            now,
            root: trusted.root().clone(),
            root_body: trusted.root().signed().clone(),
            initial: false,
            roles,
            skipped,
            snapshot: Some(trusted.snapshot().clone()),
            deleted: BTreeSet::new(),
        }
    }

    /// A repository initialised here and not yet published (spec §6.3 step 1).
    pub(crate) fn unpublished(
        gun: &Gun,
        root: Signed<Root>,
        targets: Signed<Targets>,
        snapshot: Option<Signed<Snapshot>>,
        now: DateTime<Utc>,
    ) -> Self {
        Editor {
            gun: gun.clone(),
            now,
            root_body: root.signed().clone(),
            root,
            initial: true,
            roles: [(RoleName::targets(), RoleState::loaded(targets))].into(),
            skipped: BTreeMap::new(),
            snapshot,
            deleted: BTreeSet::new(),
        }
    }

    pub(crate) fn root(&self) -> &Root {
        &self.root_body
    }

    /// Applies one staged change.
    pub(crate) fn apply(&mut self, change: &Change, keyring: &Keyring) -> Result<(), PublishError> {
        match change {
            Change::AddTarget { roles, name, meta } => {
                for role in self.resolve(roles, name, keyring)? {
                    self.require_key(&role, keyring)?;
                    self.check_path(&role, name)?;
                    let state = self.state_mut(&role)?;
                    if state.body.targets.get(name) != Some(meta) {
                        state.body.targets.insert(name.clone(), meta.clone());
                        state.dirty = true;
                    }
                }
            }
            Change::RemoveTarget { roles, name } => {
                for role in self.resolve(roles, name, keyring)? {
                    self.require_key(&role, keyring)?;
                    let state = self.state_mut(&role)?;
                    if state.body.targets.remove(name).is_some() {
                        state.dirty = true;
                    }
                }
            }
            Change::AddDelegation { role, keys, paths, threshold } => {
                self.add_delegation(role, keys, paths, *threshold, keyring)?
            }
            Change::RemoveDelegationKeys { role, key_ids } => self.edit_delegation(role, keyring, |entry, keys| {
                let remove: BTreeSet<&KeyId> = key_ids.iter().collect();
                let kept: Vec<KeyId> = entry
                    .keys
                    .key_ids()
                    .iter()
                    .filter(|id| {
                        let canonical = keys.get(*id).and_then(|k| k.canonical_id().ok());
                        !remove.contains(id) && canonical.is_none_or(|c| !remove.contains(&c))
                    })
                    .cloned()
                    .collect();
                // Go's subtraction leaves a nil slice, written as `null`.
                entry.keys.keyids = if kept.is_empty() { None } else { Some(kept) };
            })?,
            Change::RemoveDelegationPaths { role, paths } => {
                self.edit_delegation(role, keyring, |entry, _| entry.paths.retain(|p| !paths.contains(p)))?
            }
            Change::ClearDelegationPaths { role } => {
                self.edit_delegation(role, keyring, |entry, _| entry.paths.clear())?
            }
            Change::DeleteDelegation { role } => self.delete_delegation(role, keyring)?,
            Change::Witness { role } => self.witness(role, keyring)?,
            Change::ReplaceRoleKeys { role, keys } => self.replace_role_keys(role, keys)?,
        }
        Ok(())
    }

    /// The roles a target change goes to.
    fn resolve(&self, roles: &TargetRoles, name: &str, keyring: &Keyring) -> Result<Vec<RoleName>, PublishError> {
        match roles {
            TargetRoles::Role(role) => Ok(vec![role.clone()]),
            TargetRoles::Signable => self.signable_roles(name, keyring),
        }
    }

    /// Docker's `GetSignableRoles` (spec §6.2).
    pub(crate) fn signable_roles(&self, name: &str, keyring: &Keyring) -> Result<Vec<RoleName>, PublishError> {
        let targets = RoleName::targets();
        let Some(state) = self.roles.get(&targets) else { return Err(self.not_delegated(&targets)) };
        let delegations = &state.body.delegations;
        if delegations.roles().is_empty() {
            return Ok(vec![targets]);
        }
        let chosen: Vec<RoleName> = delegations
            .roles()
            .iter()
            .filter(|r| r.name.is_direct_child_of(&targets) && r.allows(name))
            .filter(|r| delegations.role_keys(r).values().any(|k| keyring.holds(k)))
            .map(|r| r.name.clone())
            .collect();
        if chosen.is_empty() {
            let children = delegations.roles().iter().filter(|r| r.name.is_direct_child_of(&targets));
            let reasons = children
                .clone()
                .map(|r| match r.allows(name) {
                    false => format!("{} allows only the paths {:?}", r.name, r.paths),
                    true => format!("{} is signed by keys the keyring does not hold", r.name),
                })
                .collect();
            return Err(PublishError::NoSignableRole {
                gun: self.gun.to_string(),
                name: crate::metadata::clip(name),
                roles: children.map(|r| r.name.to_string()).collect(),
                reasons,
            });
        }
        Ok(chosen)
    }

    fn not_delegated(&self, role: &RoleName) -> PublishError {
        PublishError::NotDelegated { gun: self.gun.to_string(), role: role.to_string() }
    }

    /// The delegation entry of `role` in its parent's file.
    fn entry(&self, role: &RoleName) -> Result<(&DelegatedRole, &Targets), PublishError> {
        let parent = role.parent().ok_or_else(|| self.not_delegated(role))?;
        let parent_body = &self.roles.get(&parent).ok_or_else(|| self.not_delegated(role))?.body;
        let entry = parent_body.delegations.role(role).ok_or_else(|| self.not_delegated(role))?;
        Ok((entry, parent_body))
    }

    /// The keys and threshold `role`'s file is verified with.
    pub(crate) fn role_keys(&self, role: &RoleName) -> Result<TrustedKeys, PublishError> {
        if !role.is_delegation() {
            return Ok(self.root_body.trusted_keys(role.as_str()));
        }
        let (entry, parent) = self.entry(role)?;
        Ok(parent.delegations.trusted_keys(entry))
    }

    /// Paths `role` may sign after every ancestor's restriction.
    fn effective_paths(&self, role: &RoleName) -> Result<Vec<String>, PublishError> {
        if role == &RoleName::targets() {
            return Ok(vec![String::new()]);
        }
        let parent = role.parent().ok_or_else(|| self.not_delegated(role))?;
        let parent_paths = self.effective_paths(&parent)?;
        let (entry, _) = self.entry(role)?;
        Ok(DelegatedRole::restrict_paths(&parent_paths, &entry.paths))
    }

    fn check_path(&self, role: &RoleName, name: &str) -> Result<(), PublishError> {
        let paths = self.effective_paths(role)?;
        if paths.iter().any(|p| name.starts_with(p.as_str())) {
            Ok(())
        } else {
            Err(PublishError::PathNotAllowed { role: role.to_string(), name: crate::metadata::clip(name), paths })
        }
    }

    /// The keyring's signers for `role`: at least its threshold of them, or (drafting) one.
    pub(crate) fn signers(
        &self,
        role: &RoleName,
        keyring: &Keyring,
        thresholds: Thresholds,
    ) -> Result<Vec<Arc<dyn Signer>>, PublishError> {
        let trusted = self.role_keys(role)?;
        let signers = keyring.signers_for(trusted.keys.values());
        check_threshold(&self.gun, role, &trusted, signers.len(), thresholds)?;
        Ok(signers)
    }

    /// Fails unless the keyring holds a key of `role`.
    fn require_key(&self, role: &RoleName, keyring: &Keyring) -> Result<(), PublishError> {
        self.signers(role, keyring, Thresholds::Partial).map(drop)
    }

    /// The state of a targets role, creating an empty file for a delegation that has none yet
    /// (numbered after a skipped copy, if any).
    fn state_mut(&mut self, role: &RoleName) -> Result<&mut RoleState, PublishError> {
        if !self.roles.contains_key(role) {
            if role == &RoleName::targets() || !role.is_delegation() {
                return Err(self.not_delegated(role));
            }
            if let Some(skipped) = self.skipped.get(role) {
                // Starting an empty file would drop every target the role still signs.
                return Err(PublishError::InvalidChange {
                    role: role.to_string(),
                    reason: format!(
                        "its file (version {}) did not verify when read (expired or below threshold); witness it \
                         first, which re-signs its last copy, then change it",
                        skipped.signed().version
                    ),
                });
            }
            self.entry(role)?;
            let body = Targets::new(Expires::from_utc(self.now), Version::FIRST);
            self.roles.insert(role.clone(), RoleState { body, file: None, base: 0, dirty: false, provided: false });
        }
        self.roles
            .get_mut(role)
            .ok_or_else(|| PublishError::NotDelegated { gun: self.gun.to_string(), role: role.to_string() })
    }

    fn add_delegation(
        &mut self,
        role: &RoleName,
        keys: &[PublicKey],
        paths: &[String],
        threshold: Option<u32>,
        keyring: &Keyring,
    ) -> Result<(), PublishError> {
        let invalid = |reason: String| PublishError::InvalidChange { role: role.to_string(), reason };
        if !role.is_delegation() {
            return Err(invalid("only delegations (targets/…) can be added".into()));
        }
        let parent = role.parent().ok_or_else(|| self.not_delegated(role))?;
        self.require_key(&parent, keyring)?;
        let parent_paths = self.effective_paths(&parent)?;
        if let Some(outside) = paths.iter().find(|p| !parent_paths.iter().any(|pp| p.starts_with(pp.as_str()))) {
            return Err(PublishError::PathNotAllowed {
                role: parent.to_string(),
                name: crate::metadata::clip(outside),
                paths: parent_paths,
            });
        }
        for key in keys {
            crate::certs::check_delegation_key(key).map_err(|e| invalid(format!("key {}: {e}", key.id())))?;
        }
        if threshold == Some(0) {
            return Err(invalid("threshold must be at least 1".into()));
        }
        let state = self.state_mut(&parent)?;
        let delegations = &mut state.body.delegations;
        let listed = delegations.keys.get_or_insert_with(BTreeMap::new);
        for key in keys {
            listed.insert(key.id().clone(), key.clone());
        }
        let roles = delegations.roles.get_or_insert_with(Vec::new);
        let entry = match roles.iter_mut().position(|r| &r.name == role) {
            Some(i) => &mut roles[i],
            None => {
                if keys.is_empty() {
                    return Err(invalid("a new delegation needs at least one key".into()));
                }
                roles.push(DelegatedRole {
                    name: role.clone(),
                    keys: RoleKeys { keyids: Some(Vec::new()), threshold: 1 },
                    paths: Vec::new(),
                });
                roles.last_mut().ok_or_else(|| invalid("internal: role not added".into()))?
            }
        };
        let ids = entry.keys.keyids.get_or_insert_with(Vec::new);
        for key in keys {
            if !ids.contains(key.id()) {
                ids.push(key.id().clone());
            }
        }
        for p in paths {
            if !entry.paths.contains(p) {
                entry.paths.push(p.clone());
            }
        }
        if let Some(t) = threshold {
            entry.keys.threshold = t;
        }
        if entry.keys.threshold as usize > entry.keys.key_ids().len() {
            return Err(invalid(format!(
                "threshold {} is more than its {} keys",
                entry.keys.threshold,
                entry.keys.key_ids().len()
            )));
        }
        // As notary's delegationUpdateVisitor, which ends every delegation edit with
        // RemoveUnusedKeys.
        prune_keys(&mut state.body);
        state.dirty = true;
        Ok(())
    }

    /// Edits `role`'s entry in its parent with `edit(entry, parent keys)`, then drops keys no
    /// role uses any more.
    fn edit_delegation(
        &mut self,
        role: &RoleName,
        keyring: &Keyring,
        edit: impl FnOnce(&mut DelegatedRole, &BTreeMap<KeyId, PublicKey>),
    ) -> Result<(), PublishError> {
        let parent = role.parent().ok_or_else(|| self.not_delegated(role))?;
        self.entry(role)?;
        self.require_key(&parent, keyring)?;
        let state = self.state_mut(&parent)?;
        let delegations = &mut state.body.delegations;
        let keys = delegations.keys.clone().unwrap_or_default();
        if let Some(entry) = delegations.roles.as_mut().and_then(|r| r.iter_mut().find(|r| &r.name == role)) {
            let before = entry.clone();
            edit(entry, &keys);
            if *entry != before {
                state.dirty = true;
            }
        }
        prune_keys(&mut state.body);
        Ok(())
    }

    fn delete_delegation(&mut self, role: &RoleName, keyring: &Keyring) -> Result<(), PublishError> {
        let parent = role.parent().ok_or_else(|| self.not_delegated(role))?;
        if self.roles.contains_key(&parent) && self.entry(role).is_err() {
            return Ok(()); // already gone
        }
        self.require_key(&parent, keyring)?;
        let state = self.state_mut(&parent)?;
        if let Some(roles) = state.body.delegations.roles.as_mut() {
            roles.retain(|r| &r.name != role);
        }
        prune_keys(&mut state.body);
        state.dirty = true;
        let gone: Vec<RoleName> = self
            .roles
            .keys()
            .chain(self.skipped.keys())
            .filter(|r| *r == role || r.as_str().starts_with(&format!("{role}/")))
            .cloned()
            .collect();
        for r in gone {
            self.roles.remove(&r);
            self.skipped.remove(&r);
            self.deleted.insert(r);
        }
        self.deleted.insert(role.clone());
        Ok(())
    }

    fn witness(&mut self, role: &RoleName, keyring: &Keyring) -> Result<(), PublishError> {
        if !role.is_targets_like() {
            return Err(PublishError::InvalidChange {
                role: role.to_string(),
                reason: "only targets and delegations can be witnessed".into(),
            });
        }
        if !self.roles.contains_key(role) {
            // The last downloaded copy, re-signed by the keys that now vouch for it (Go's
            // witness); a role without any file is not known.
            let skipped = self.skipped.remove(role).ok_or_else(|| PublishError::InvalidChange {
                role: role.to_string(),
                reason: "the role has no file to witness".into(),
            })?;
            self.roles.insert(role.clone(), RoleState::loaded(skipped));
        }
        self.require_key(role, keyring)?;
        self.state_mut(role)?.dirty = true;
        Ok(())
    }

    fn replace_role_keys(&mut self, role: &RoleName, keys: &[PublicKey]) -> Result<(), PublishError> {
        let invalid = |reason: &str| PublishError::InvalidChange { role: role.to_string(), reason: reason.to_owned() };
        if role.is_delegation() || keys.is_empty() {
            return Err(invalid("a base role needs at least one new key (delegations change with AddDelegation)"));
        }
        let body = &mut self.root_body;
        let entry = body.roles.get_mut(role.as_str()).ok_or_else(|| invalid("not a role of root"))?;
        if (entry.threshold as usize) > keys.len() {
            return Err(invalid("fewer new keys than the role's threshold"));
        }
        let replaced = entry.key_ids().to_vec();
        entry.keyids = Some(keys.iter().map(|k| k.id().clone()).collect());
        for key in keys {
            body.keys.insert(key.id().clone(), key.clone());
        }
        // Go's RemoveBaseKeys: replaced keys no other role lists leave `keys`, except root
        // certificates, which notary keeps.
        if role != &RoleName::root() {
            let in_use: BTreeSet<KeyId> = body.roles.values().flat_map(|r| r.key_ids().iter().cloned()).collect();
            for id in replaced.iter().filter(|id| !in_use.contains(*id)) {
                body.keys.remove(id);
            }
        }
        if role == &RoleName::targets() {
            self.state_mut(role)?.dirty = true;
        }
        Ok(())
    }

    /// Checks a draft file signed elsewhere against the current state: it must be the next
    /// version of its role and carry at least `needed` valid signatures of the role's keys
    /// (the role's threshold to publish it, one to co-sign it).
    pub(crate) fn check_draft(&self, file: &Signed<Targets>, thresholds: Thresholds) -> Result<(), PublishError> {
        let role = file.role();
        let stale = |reason: String| PublishError::StaleDraft { gun: self.gun.to_string(), reason };
        let mut keys = self.role_keys(role)?;
        if thresholds == Thresholds::Partial {
            keys.threshold = 1;
        }
        file.verify(&keys).map_err(|e| stale(format!("{role}: {e}")))?;
        let current = match (self.roles.get(role), self.skipped.get(role)) {
            (Some(state), _) => state.base,
            (None, Some(skipped)) => skipped.signed().version.get(),
            (None, None) => 0,
        };
        let version = file.signed().version.get();
        if version != current + 1 {
            return Err(stale(format!("{role} is version {version}, the server holds version {current}")));
        }
        Ok(())
    }

    /// Replaces a targets role with a co-signed draft file ([`Editor::check_draft`] with the
    /// full threshold). It is uploaded as Go re-serialises it, so a draft reformatted on its
    /// way (pretty-printed, reordered) still goes up in notary's exact form.
    pub(crate) fn put_signed(&mut self, file: Signed<Targets>) -> Result<(), PublishError> {
        let role = file.role().clone();
        let exact = Signed::<Targets>::parse(role.clone(), &file.to_file_bytes()?)?;
        self.check_draft(&exact, Thresholds::Required)?;
        let mut state = RoleState::loaded(exact);
        state.provided = true;
        self.roles.insert(role, state);
        Ok(())
    }

    /// Roles whose file is created here (no downloaded copy): their numbering may have to
    /// start above a version the server still holds from before a deletion.
    pub(crate) fn new_role_files(&self) -> Vec<RoleName> {
        self.roles.iter().filter(|(_, s)| s.file.is_none() && s.dirty && s.base == 0).map(|(r, _)| r.clone()).collect()
    }

    /// Numbers `role`'s next file after `version`.
    pub(crate) fn raise_base(&mut self, role: &RoleName, version: u64) {
        if let Some(s) = self.roles.get_mut(role) {
            s.base = s.base.max(version);
        }
    }

    /// Whether there is anything to upload.
    pub(crate) fn has_changes(&self) -> bool {
        self.initial
            || self.root_changed()
            || self.root_near_expiry()
            || self.roles.values().any(|s| s.dirty || s.provided)
    }

    fn root_changed(&self) -> bool {
        self.root_body != *self.root.signed()
    }

    fn root_near_expiry(&self) -> bool {
        let six_months = self.now.checked_add_months(Months::new(6)).unwrap_or(self.now);
        self.root_body.expires.to_utc() < six_months
    }

    /// Signs every changed role (version + 1, fresh expiry) and returns the files to upload:
    /// root if changed, near expiry or never published; each changed targets role (and
    /// `targets` on a first publish); the snapshot when the keyring holds a snapshot key.
    /// A draft ([`Thresholds::Partial`]) holds the changed targets roles only: root changes are
    /// refused, and root and snapshot are left to the publish of the draft.
    pub(crate) async fn sign(self, keyring: &Keyring, thresholds: Thresholds) -> Result<Files, PublishError> {
        let mut files = Vec::new();
        let drafting = thresholds == Thresholds::Partial;
        if drafting && self.root_changed() {
            return Err(PublishError::InvalidChange {
                role: RoleName::root().to_string(),
                reason: "root changes cannot go into a draft; publish them directly".into(),
            });
        }
        let root_bytes = if drafting { None } else { self.sign_root(keyring).await? };
        if let Some(bytes) = &root_bytes {
            files.push((RoleName::root(), bytes.clone()));
        }
        let mut order: Vec<(&RoleName, &RoleState)> = self.roles.iter().collect();
        order.sort_by_key(|(r, _)| r.as_str().split('/').count()); // stable: by name within a depth
        let mut signed_roles: BTreeMap<RoleName, Vec<u8>> = BTreeMap::new();
        for (role, state) in order {
            let bytes = if state.provided {
                state.file.as_ref().map(|f| f.file_bytes().map(|b| b.into_owned())).transpose()?
            } else if state.dirty || (self.initial && role == &RoleName::targets()) {
                Some(self.sign_targets(role, state, keyring, thresholds).await?)
            } else {
                None
            };
            if let Some(bytes) = bytes {
                files.push((role.clone(), bytes.clone()));
                signed_roles.insert(role.clone(), bytes);
            }
        }
        if !drafting && let Some(snapshot) = self.sign_snapshot(keyring, root_bytes.as_deref(), &signed_roles).await? {
            files.push((RoleName::snapshot(), snapshot));
        }
        Ok(files)
    }

    async fn sign_targets(
        &self,
        role: &RoleName,
        state: &RoleState,
        keyring: &Keyring,
        thresholds: Thresholds,
    ) -> Result<Vec<u8>, PublishError> {
        let signers = self.signers(role, keyring, thresholds)?;
        let mut body = state.body.clone();
        body.version = next_version(role, state.base)?;
        body.expires = Expires::from_utc(self.now + TARGETS_EXPIRY);
        Ok(Signed::sign(role.clone(), body, &refs(&signers)).await?.to_file_bytes()?)
    }

    /// Root, if it goes up: re-signed when changed or near expiry, as it is on a first publish.
    async fn sign_root(&self, keyring: &Keyring) -> Result<Option<Vec<u8>>, PublishError> {
        if !(self.root_changed() || self.root_near_expiry()) {
            // Go uploads its re-serialisation of the cached root (identical for files it wrote).
            return Ok(if self.initial { Some(self.root.to_file_bytes()?) } else { None });
        }
        let root = RoleName::root();
        let mut body = self.root_body.clone();
        let old = self.root.signed();
        body.version = next_version(&root, old.version.get())?;
        body.expires = Expires::from_utc(self.now + ROOT_EXPIRY);
        let new_keys = body.trusted_keys(root.as_str());
        let old_keys = old.trusted_keys(root.as_str());
        let mut signers = keyring.signers_for(new_keys.keys.values());
        check_threshold(&self.gun, &root, &new_keys, signers.len(), Thresholds::Required)?;
        if old_keys.keys != new_keys.keys {
            let old_signers = keyring.signers_for(old_keys.keys.values());
            check_threshold(&self.gun, &root, &old_keys, old_signers.len(), Thresholds::Required)?;
            signers.extend(old_signers);
        }
        let signed = Signed::sign(root, body, &refs(&signers)).await?;
        Ok(Some(signed.to_file_bytes()?))
    }

    /// The snapshot, when the keyring holds one of its keys: entries for root and every loaded
    /// targets role refreshed (hashes of the files as Go re-serialises them), deleted roles
    /// dropped, version + 1.
    async fn sign_snapshot(
        &self,
        keyring: &Keyring,
        root_bytes: Option<&[u8]>,
        signed_roles: &BTreeMap<RoleName, Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, PublishError> {
        let role = RoleName::snapshot();
        if !self.root_body.role_keys(role.as_str()).values().any(|k| keyring.holds(k)) {
            return Ok(None); // the server signs it
        }
        let signers = self.signers(&role, keyring, Thresholds::Required)?;
        let (mut body, base) = match &self.snapshot {
            Some(s) => (s.signed().clone(), s.signed().version.get()),
            None => {
                (Snapshot { expires: Expires::from_utc(self.now), meta: BTreeMap::new(), version: Version::FIRST }, 0)
            }
        };
        // The server and Go clients hash Go's re-serialisation of each role (spec §2.5); the
        // files written here are exactly that.
        let root_file = match root_bytes {
            Some(b) => b.to_vec(),
            None => self.root.to_file_bytes()?,
        };
        body.meta.insert(RoleName::root().to_string(), FileMeta::for_metadata_bytes(&root_file));
        for (role, state) in &self.roles {
            let bytes = match (signed_roles.get(role), &state.file) {
                (Some(b), _) => b.clone(),
                (None, Some(file)) => file.to_file_bytes()?,
                (None, None) => continue,
            };
            body.meta.insert(role.to_string(), FileMeta::for_metadata_bytes(&bytes));
        }
        for gone in &self.deleted {
            body.meta.remove(gone.as_str());
        }
        body.version = next_version(&role, base)?;
        body.expires = Expires::from_utc(self.now + SNAPSHOT_EXPIRY);
        let signed = Signed::sign(role, body, &refs(&signers)).await?;
        Ok(Some(signed.to_file_bytes()?))
    }
}

impl RoleState {
    fn loaded(file: Signed<Targets>) -> Self {
        RoleState {
            body: file.signed().clone(),
            base: file.signed().version.get(),
            file: Some(file),
            dirty: false,
            provided: false,
        }
    }
}

/// Drops delegation keys no role of the file lists.
fn prune_keys(body: &mut Targets) {
    let used: BTreeSet<KeyId> =
        body.delegations.roles().iter().flat_map(|r| r.keys.key_ids().iter().cloned()).collect();
    if let Some(keys) = body.delegations.keys.as_mut() {
        keys.retain(|id, _| used.contains(id));
    }
}

fn next_version(role: &RoleName, base: u64) -> Result<Version, PublishError> {
    let invalid = |reason: String| PublishError::InvalidChange { role: role.to_string(), reason };
    let next = base.checked_add(1).ok_or_else(|| invalid(format!("version {base} cannot be raised")))?;
    Version::new(next).map_err(|e| invalid(e.to_string()))
}

fn check_threshold(
    gun: &Gun,
    role: &RoleName,
    trusted: &TrustedKeys,
    available: usize,
    thresholds: Thresholds,
) -> Result<(), PublishError> {
    let needed = match thresholds {
        Thresholds::Required => trusted.threshold as usize,
        Thresholds::Partial => 1,
    };
    if available >= needed.max(1) {
        return Ok(());
    }
    if available == 0 {
        return Err(PublishError::NoSigningKey {
            gun: gun.to_string(),
            role: role.to_string(),
            key_ids: trusted.keys.keys().map(|id| id.to_string()).collect(),
        });
    }
    Err(PublishError::BelowThreshold { role: role.to_string(), threshold: trusted.threshold, available })
}

pub(crate) fn refs(signers: &[Arc<dyn Signer>]) -> Vec<&dyn Signer> {
    signers.iter().map(|s| &**s as &dyn Signer).collect()
}

#[cfg(test)]
#[path = "editor_tests.rs"]
mod tests;
