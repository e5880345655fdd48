//! An in-memory notary server for the update workflow tests.
//!
//! * [`Author`] holds every key of a repository (root with a self-signed certificate for the
//!   GUN, targets, snapshot, timestamp, and the `targets/releases` delegation key) and
//!   publishes successive states the way a notary server ends up serving them: each change
//!   re-signs the changed role (version + 1), then snapshot and timestamp.
//! * [`MemoryRemote`] serves what was published as a [`RemoteStore`]: `<role>.json` (current),
//!   `<role>.<sha256 hex>.json` (every version ever published) and `<N>.root.json`, honouring
//!   the size limit the client passes. Switches make it misbehave (offline, 404, tampered
//!   bytes, an older version), and every request is logged with its limit.
//!
//! Include with `#[path = "support/fake_remote.rs"] mod fake_remote;`.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use notary_client::certs::generate_root_certificate;
use notary_client::keys::{Signer, SoftwareKey};
use notary_client::metadata::{
    DelegatedRole, Expires, FileMeta, Gun, KeyId, PublicKey, RoleBody, RoleKeys, RoleName, Root, Signed, Snapshot,
    Targets, Timestamp, Version,
};
use notary_client::server::{MetadataName, RemoteStore, ServerError};

/// `targets/releases`.
pub const RELEASES: &str = "targets/releases";

/// The hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(FileMeta::for_metadata_bytes(bytes).sha256().expect("sha256"))
}

/// The consistent name a client fetches a role's file by: `<role>.<sha256 hex>.json`.
pub fn by_hash_name(role: &str, bytes: &[u8]) -> String {
    format!("{role}.{}.json", sha256_hex(bytes))
}

fn new_key() -> SoftwareKey {
    SoftwareKey::generate_p256().expect("P-256 key generation")
}

fn signers<'k>(keys: &[&'k SoftwareKey]) -> Vec<&'k dyn Signer> {
    keys.iter().map(|k| *k as &dyn Signer).collect()
}

fn next(v: Version) -> Version {
    v.next().expect("version in range")
}

/// One request the client made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The file name (`timestamp.json`, `snapshot.<hex>.json`, `2.root.json`, ...).
    pub name: String,
    /// The size limit the client passed.
    pub limit: u64,
}

/// What the server holds, and how it misbehaves.
#[derive(Default)]
struct State {
    /// `<role>.json` → current bytes.
    current: BTreeMap<String, Vec<u8>>,
    /// Role → version → bytes, every version ever published.
    versions: BTreeMap<String, BTreeMap<u64, Vec<u8>>>,
    /// `<role>.<sha256 hex>.json` → bytes, every version ever published.
    by_hash: BTreeMap<String, Vec<u8>>,
    offline: bool,
    not_found: BTreeSet<String>,
    overrides: BTreeMap<String, Vec<u8>>,
    /// Role → the version `<role>.json` serves instead of the current one.
    rollback: BTreeMap<String, u64>,
    log: Vec<Request>,
}

impl State {
    fn publish(&mut self, role: &str, version: u64, bytes: Vec<u8>) {
        self.by_hash.insert(by_hash_name(role, &bytes), bytes.clone());
        self.versions.entry(role.to_owned()).or_default().insert(version, bytes.clone());
        self.current.insert(format!("{role}.json"), bytes);
    }

    /// What an honest server answers for `name`.
    fn resolve(&self, name: &str) -> Option<Vec<u8>> {
        if let Some(bytes) = self.current.get(name).or_else(|| self.by_hash.get(name)) {
            return Some(bytes.clone());
        }
        let version = name.strip_suffix(".root.json")?.parse::<u64>().ok()?;
        self.versions.get("root")?.get(&version).cloned()
    }

    /// What this server answers for `name`, switches applied.
    fn answer(&self, name: &str) -> Option<Vec<u8>> {
        if let Some(bytes) = self.overrides.get(name) {
            return Some(bytes.clone());
        }
        if let Some(role) = name.strip_suffix(".json")
            && let Some(version) = self.rollback.get(role)
        {
            return self.versions.get(role).and_then(|v| v.get(version)).cloned();
        }
        self.resolve(name)
    }
}

/// The in-memory server. Cheap to clone: clones share the published files and switches.
#[derive(Clone, Default)]
pub struct MemoryRemote {
    state: Arc<Mutex<State>>,
}

impl MemoryRemote {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("remote state")
    }

    /// Every call fails with [`ServerError::Network`] (`true`), or the server is back (`false`).
    pub fn set_offline(&self, offline: bool) {
        self.state().offline = offline;
    }

    /// Answers 404 ([`ServerError::NotFound`]) for the file `name` (e.g. `2.root.json`).
    pub fn serve_not_found(&self, name: &str) {
        self.state().not_found.insert(name.to_owned());
    }

    /// Serves `bytes` for the file `name`.
    pub fn serve_bytes(&self, name: &str, bytes: Vec<u8>) {
        self.state().overrides.insert(name.to_owned(), bytes);
    }

    /// Serves the file `name` with one character of its last signature changed: still valid
    /// JSON of the same length, but its hashes no longer match. Returns the tampered bytes.
    pub fn tamper(&self, name: &str) -> Vec<u8> {
        let mut state = self.state();
        let mut bytes = state.resolve(name).unwrap_or_else(|| panic!("{name} was never published"));
        let marker = b"\"sig\":\"";
        let at = bytes.windows(marker.len()).rposition(|w| w == marker).expect("a signature") + marker.len();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        state.overrides.insert(name.to_owned(), bytes.clone());
        bytes
    }

    /// `<role>.json` serves the published `version` of `role` instead of the current one.
    pub fn serve_version(&self, role: &str, version: u64) {
        let mut state = self.state();
        assert!(
            state.versions.get(role).is_some_and(|v| v.contains_key(&version)),
            "{role} version {version} was never published"
        );
        state.rollback.insert(role.to_owned(), version);
    }

    /// Turns every switch off (online, nothing overridden).
    pub fn behave(&self) {
        let mut state = self.state();
        state.offline = false;
        state.not_found.clear();
        state.overrides.clear();
        state.rollback.clear();
    }

    /// Every request made so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state().log.clone()
    }

    /// The names of every request made so far, in order.
    pub fn requested(&self) -> Vec<String> {
        self.state().log.iter().map(|r| r.name.clone()).collect()
    }

    /// The limit the client passed for `name` (first request of that name).
    pub fn limit_of(&self, name: &str) -> Option<u64> {
        self.state().log.iter().find(|r| r.name == name).map(|r| r.limit)
    }

    /// Forgets the requests made so far.
    pub fn clear_log(&self) {
        self.state().log.clear();
    }

    /// What an honest server answers for `name` (switches ignored).
    pub fn published(&self, name: &str) -> Option<Vec<u8>> {
        self.state().resolve(name)
    }
}

#[async_trait::async_trait]
impl RemoteStore for MemoryRemote {
    async fn get_metadata(&self, gun: &Gun, name: &MetadataName, limit: u64) -> Result<Vec<u8>, ServerError> {
        let file = name.file_name();
        let resource = format!("{gun}: {file}");
        let mut state = self.state();
        state.log.push(Request { name: file.clone(), limit });
        if state.offline {
            return Err(ServerError::Network { resource, reason: "connection refused (test: offline)".into() });
        }
        if state.not_found.contains(&file) {
            return Err(ServerError::NotFound { resource });
        }
        let bytes = state.answer(&file).ok_or(ServerError::NotFound { resource: resource.clone() })?;
        if bytes.len() as u64 > limit {
            return Err(ServerError::TooLarge { resource, limit });
        }
        Ok(bytes)
    }
}

/// The author of one repository: all its keys and the current bodies, publishing into a
/// [`MemoryRemote`].
///
/// The initial state is root v1, `targets` v1 delegating everything under the configured
/// paths to `targets/releases` (threshold 1), `targets/releases` v1 (empty), snapshot v1 and
/// timestamp v1. Default expiries are notary's: root 10 years, targets, delegations and
/// snapshot 3 years, timestamp 14 days, from [`Author::now`].
pub struct Author {
    gun: String,
    now: DateTime<Utc>,
    /// The current root role keys (certificate keys).
    root_keys: Vec<SoftwareKey>,
    targets_key: SoftwareKey,
    snapshot_key: SoftwareKey,
    timestamp_key: SoftwareKey,
    releases_key: SoftwareKey,
    root: Root,
    targets: Targets,
    releases: Targets,
    snapshot: Option<Snapshot>,
    timestamp: Option<Timestamp>,
    remote: MemoryRemote,
}

impl Author {
    /// A repository for `gun` whose `targets/releases` may sign every name.
    pub async fn new(gun: &str) -> Author {
        Author::with_release_paths(gun, &[""]).await
    }

    /// A repository for `gun` whose `targets/releases` may sign names starting with `paths`.
    pub async fn with_release_paths(gun: &str, paths: &[&str]) -> Author {
        let now = Utc::now();
        let root_key = Self::root_key(gun, now).await;
        let (targets_key, snapshot_key, timestamp_key, releases_key) = (new_key(), new_key(), new_key(), new_key());
        let mut root = Root {
            consistent_snapshot: false,
            expires: Expires::from_utc(now + Duration::days(3650)),
            keys: BTreeMap::new(),
            roles: BTreeMap::new(),
            version: Version::FIRST,
        };
        for (role, key) in
            [("root", &root_key), ("targets", &targets_key), ("snapshot", &snapshot_key), ("timestamp", &timestamp_key)]
        {
            set_role_key(&mut root, role, key);
        }
        let mut targets = Targets::new(Expires::from_utc(now + Duration::days(3 * 365)), Version::FIRST);
        targets.delegations.keys =
            Some([(releases_key.public_key().id().clone(), releases_key.public_key().clone())].into());
        targets.delegations.roles = Some(vec![DelegatedRole {
            name: RoleName::releases(),
            keys: RoleKeys::new(vec![releases_key.public_key().id().clone()], 1),
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }]);
        let releases = Targets::new(Expires::from_utc(now + Duration::days(3 * 365)), Version::FIRST);
        let mut author = Author {
            gun: gun.to_owned(),
            now,
            root_keys: vec![root_key],
            targets_key,
            snapshot_key,
            timestamp_key,
            releases_key,
            root,
            targets,
            releases,
            snapshot: None,
            timestamp: None,
            remote: MemoryRemote::default(),
        };
        author.publish_root(&[]).await;
        author.publish_targets("targets", None).await;
        author.publish_targets(RELEASES, None).await;
        author.publish_snapshot(None).await;
        author.publish_timestamp(None).await;
        author
    }

    async fn root_key(gun: &str, now: DateTime<Utc>) -> SoftwareKey {
        let key = new_key();
        let cert = generate_root_certificate(gun, &key, now).await.expect("root certificate");
        key.with_certificate(cert).expect("certificate of this key")
    }

    /// The server this author publishes to (a shared handle).
    pub fn remote(&self) -> MemoryRemote {
        self.remote.clone()
    }

    /// The GUN.
    pub fn gun(&self) -> Gun {
        Gun::new(self.gun.clone()).expect("GUN")
    }

    /// The time expiries are computed from (when the author was created).
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The TUF key IDs of the current root certificate keys (what trust pinning lists).
    pub fn root_key_ids(&self) -> Vec<KeyId> {
        self.root_keys.iter().map(|k| k.public_key().id().clone()).collect()
    }

    /// The current bytes of `role` (`root`, `targets`, `targets/releases`, `snapshot`, `timestamp`).
    pub fn current(&self, role: &str) -> Vec<u8> {
        self.remote.published(&format!("{role}.json")).unwrap_or_else(|| panic!("{role} never published"))
    }

    /// The bytes of version `version` of `role`.
    pub fn bytes_of(&self, role: &str, version: u64) -> Vec<u8> {
        let state = self.remote.state();
        state.versions.get(role).and_then(|v| v.get(&version)).cloned().unwrap_or_else(|| {
            panic!("{role} version {version} never published");
        })
    }

    /// The current version of `role`.
    pub fn version(&self, role: &str) -> u64 {
        let state = self.remote.state();
        *state.versions.get(role).and_then(|v| v.keys().next_back()).unwrap_or_else(|| panic!("{role} never published"))
    }

    /// `<role>.<sha256 hex>.json` of the current version of `role`.
    pub fn current_by_hash_name(&self, role: &str) -> String {
        by_hash_name(role, &self.current(role))
    }

    // ---- publishing steps ----

    /// Signs and publishes the root body with the current root keys plus `extra` (old root
    /// keys during a rotation). The version is bumped unless this is the first root.
    async fn publish_root(&mut self, extra: &[&SoftwareKey]) {
        if self.remote.state().versions.contains_key("root") {
            self.root.version = next(self.root.version);
        }
        let mut keys: Vec<&SoftwareKey> = self.root_keys.iter().collect();
        keys.extend_from_slice(extra);
        let signed = Signed::sign(RoleName::root(), self.root.clone(), &signers(&keys)).await.expect("sign root");
        self.store("root", signed);
    }

    /// Signs and publishes `targets` or `targets/releases` (version + 1 unless first), with the
    /// role's key or `key`.
    async fn publish_targets(&mut self, role: &str, key: Option<&SoftwareKey>) {
        let first = !self.remote.state().versions.contains_key(role);
        let (body, own_key) = match role {
            "targets" => (&mut self.targets, &self.targets_key),
            RELEASES => (&mut self.releases, &self.releases_key),
            other => panic!("unknown targets role {other}"),
        };
        if !first {
            body.version = next(body.version);
        }
        let key = key.unwrap_or(own_key);
        let name = RoleName::new(role).expect("role");
        let signed = Signed::sign(name, body.clone(), &signers(&[key])).await.expect("sign targets");
        self.store(role, signed);
    }

    /// Signs and publishes a snapshot listing the current root, targets and releases, or
    /// `listed` (role → bytes) where given; version + 1 unless first.
    async fn publish_snapshot(&mut self, listed: Option<(&str, Vec<u8>)>) {
        self.publish_snapshot_with(listed, None).await;
    }

    async fn publish_snapshot_with(&mut self, listed: Option<(&str, Vec<u8>)>, expires: Option<Expires>) {
        let mut meta = BTreeMap::new();
        for role in ["root", "targets", RELEASES] {
            meta.insert(role.to_owned(), FileMeta::for_metadata_bytes(&self.current(role)));
        }
        if let Some((role, bytes)) = listed {
            meta.insert(role.to_owned(), FileMeta::for_metadata_bytes(&bytes));
        }
        let body = match self.snapshot.take() {
            Some(old) => Snapshot { expires: expires.unwrap_or(old.expires), meta, version: next(old.version) },
            None => Snapshot {
                expires: expires.unwrap_or_else(|| Expires::from_utc(self.now + Duration::days(3 * 365))),
                meta,
                version: Version::FIRST,
            },
        };
        self.snapshot = Some(body.clone());
        let signed =
            Signed::sign(RoleName::snapshot(), body, &signers(&[&self.snapshot_key])).await.expect("sign snapshot");
        self.store("snapshot", signed);
    }

    /// Signs and publishes a timestamp listing the current snapshot, or `snapshot` bytes where
    /// given; version + 1 unless first.
    async fn publish_timestamp(&mut self, snapshot: Option<Vec<u8>>) {
        self.publish_timestamp_with(snapshot, None).await;
    }

    async fn publish_timestamp_with(&mut self, snapshot: Option<Vec<u8>>, expires: Option<Expires>) {
        let snapshot = snapshot.unwrap_or_else(|| self.current("snapshot"));
        let meta = [("snapshot".to_owned(), FileMeta::for_metadata_bytes(&snapshot))].into();
        let body = match self.timestamp.take() {
            Some(old) => Timestamp { expires: expires.unwrap_or(old.expires), meta, version: next(old.version) },
            None => Timestamp {
                expires: expires.unwrap_or_else(|| Expires::from_utc(self.now + Duration::days(14))),
                meta,
                version: Version::FIRST,
            },
        };
        self.timestamp = Some(body.clone());
        let signed =
            Signed::sign(RoleName::timestamp(), body, &signers(&[&self.timestamp_key])).await.expect("sign timestamp");
        self.store("timestamp", signed);
    }

    fn store<T: RoleBody>(&mut self, role: &str, signed: Signed<T>) {
        let bytes = signed.to_file_bytes().expect("file bytes");
        self.remote.state().publish(role, signed.signed().version().get(), bytes);
    }

    /// Re-signs snapshot and timestamp after a change (what the server does on publish).
    async fn cascade(&mut self) {
        self.publish_snapshot(None).await;
        self.publish_timestamp(None).await;
    }

    // ---- what tests do ----

    /// Adds (or replaces) target `name` with the hashes of `content` in `targets` or
    /// `targets/releases`, re-signs that role (version + 1), then snapshot and timestamp.
    pub async fn add_target(&mut self, role: &str, name: &str, content: &[u8]) {
        let body = match role {
            "targets" => &mut self.targets,
            RELEASES => &mut self.releases,
            other => panic!("unknown targets role {other}"),
        };
        body.targets.insert(name.to_owned(), FileMeta::for_metadata_bytes(content));
        self.publish_targets(role, None).await;
        self.cascade().await;
    }

    /// Re-signs root (version + 1) with the same keys and expiry, then snapshot and timestamp.
    pub async fn resign_root(&mut self) {
        self.publish_root(&[]).await;
        self.cascade().await;
    }

    /// Re-signs the timestamp (version + 1), as the server does when it expires.
    pub async fn resign_timestamp(&mut self) {
        self.publish_timestamp(None).await;
    }

    /// Re-signs the snapshot (version + 1), then the timestamp.
    pub async fn resign_snapshot(&mut self) {
        self.cascade().await;
    }

    /// Re-signs `role` (version + 1) with `expires`, then whatever lists it (snapshot, timestamp).
    /// Later re-signs of the role keep this expiry.
    pub async fn resign_with_expiry(&mut self, role: &str, expires: Expires) {
        match role {
            "root" => {
                self.root.expires = expires;
                self.publish_root(&[]).await;
                self.cascade().await;
            }
            "targets" | RELEASES => {
                match role {
                    "targets" => self.targets.expires = expires,
                    _ => self.releases.expires = expires,
                }
                self.publish_targets(role, None).await;
                self.cascade().await;
            }
            "snapshot" => {
                self.publish_snapshot_with(None, Some(expires)).await;
                self.publish_timestamp(None).await;
            }
            "timestamp" => self.publish_timestamp_with(None, Some(expires)).await,
            other => panic!("unknown role {other}"),
        }
    }

    /// Re-signs `role` so that it expired a day before [`Author::now`].
    pub async fn expire(&mut self, role: &str) {
        self.resign_with_expiry(role, Expires::from_utc(self.now - Duration::days(1))).await;
    }

    /// Replaces the root key (new key, new certificate): root version + 1 signed by the old
    /// and the new key, as notary publishes a rotation; then snapshot and timestamp.
    pub async fn rotate_root_key(&mut self) {
        let old = self.swap_root_key().await;
        self.publish_root(&[&old]).await;
        self.cascade().await;
    }

    /// [`Author::rotate_root_key`] twice: root v+1 signed by keys 1 and 2, v+2 by keys 2 and 3,
    /// so the newest root carries no signature of the original key.
    pub async fn rotate_root_key_twice(&mut self) {
        self.rotate_root_key().await;
        self.rotate_root_key().await;
    }

    /// Replaces the root key, but signs root version + 1 with the new key only (not a valid
    /// rotation: nothing the client trusts vouches for it); then snapshot and timestamp.
    pub async fn rotate_root_key_new_signature_only(&mut self) {
        self.swap_root_key().await;
        self.publish_root(&[]).await;
        self.cascade().await;
    }

    async fn swap_root_key(&mut self) -> SoftwareKey {
        let new = Self::root_key(&self.gun, self.now).await;
        let old = std::mem::replace(&mut self.root_keys, vec![new]).pop().expect("a root key");
        self.root.keys.remove(old.public_key().id());
        let current = &self.root_keys[0];
        set_role_key(&mut self.root, "root", current);
        old
    }

    /// Replaces the targets key: root version + 1 (same root key) listing the new key, targets
    /// version + 1 signed by it, then snapshot and timestamp.
    pub async fn rotate_targets_key(&mut self) {
        let new = new_key();
        self.root.keys.remove(self.targets_key.public_key().id());
        set_role_key(&mut self.root, "targets", &new);
        self.targets_key = new;
        self.publish_root(&[]).await;
        self.publish_targets("targets", None).await;
        self.cascade().await;
    }

    /// Replaces the timestamp key: root version + 1 listing it, then snapshot and a timestamp
    /// signed by the new key.
    pub async fn rotate_timestamp_key(&mut self) {
        let new = new_key();
        self.root.keys.remove(self.timestamp_key.public_key().id());
        set_role_key(&mut self.root, "timestamp", &new);
        self.timestamp_key = new;
        self.publish_root(&[]).await;
        self.cascade().await;
    }

    /// Publishes `targets` version + 1 signed by a key root does not list (its hash is
    /// correctly listed by the new snapshot and timestamp).
    pub async fn sign_targets_with_unknown_key(&mut self) {
        let stranger = new_key();
        self.publish_targets("targets", Some(&stranger)).await;
        self.cascade().await;
    }

    /// Publishes `targets/releases` version + 1 signed by a key `targets` does not list: the
    /// delegation is below its threshold.
    pub async fn sign_releases_with_unknown_key(&mut self) {
        let stranger = new_key();
        self.publish_targets(RELEASES, Some(&stranger)).await;
        self.cascade().await;
    }

    /// A snapshot (version + 1, validly signed) that lists the published `version` of `role`
    /// instead of the current one, then a timestamp: a rollback of `role` by whoever holds
    /// the snapshot key.
    pub async fn list_old_version_in_snapshot(&mut self, role: &str, version: u64) {
        let old = self.bytes_of(role, version);
        self.publish_snapshot(Some((role, old))).await;
        self.publish_timestamp(None).await;
    }

    /// A timestamp (version + 1, validly signed) that lists the published `version` of the
    /// snapshot: a snapshot rollback by whoever holds the timestamp key.
    pub async fn list_old_snapshot_in_timestamp(&mut self, version: u64) {
        let old = self.bytes_of("snapshot", version);
        self.publish_timestamp(Some(old)).await;
    }
}

/// Makes `key` the only key of base role `role` in `root`, adding it to `keys`.
fn set_role_key(root: &mut Root, role: &str, key: &SoftwareKey) {
    let public: &PublicKey = key.public_key();
    root.keys.insert(public.id().clone(), public.clone());
    root.roles.insert(role.to_owned(), RoleKeys::new(vec![public.id().clone()], 1));
}
