//! The Go client's update workflow (spec §6.8, `client/tufclient.go`): what "read and verify
//! like notary" means against a server.
//!
//! Two builders: the *old* one holds the cached files (expiry ignored) and only provides
//! rollback baselines; the *new* one holds what will be trusted. Root comes from the cache
//! (trusted as pinned) or, on first use, from the server under the trust pinning rules. Then
//! timestamp (always downloaded; on "server unavailable" the cached one, fully re-verified),
//! snapshot and the targets tree (cached copy if it matches the parent's hashes, else
//! `<role>.<sha256>.json`). On any failure the root is updated once — by the checksum the
//! last snapshot listed, walking `<N>.root.json` when the new root is not signed by the
//! trusted one's keys — and the walk is retried once.
//!
//! The cache holds the raw downloaded bytes, and a file is written only after it verified.

use super::builder::{LoadRules, RepoBuilder, TargetsWalk};
use super::{MetadataSource, TrustError, TrustedRepository, UpdateWarning};
use crate::certs::TrustPinning;
use crate::clock::Clock;
use crate::metadata::{Gun, RoleName, Root, Signed};
use crate::server::{MetadataName, RemoteStore, limits};
use crate::trust_dir::RepositoryDir;

/// Pure TOFU: a cached root is itself the pin, so it is loaded without pinning rules.
static TOFU: TrustPinning = TrustPinning {
    certs: std::collections::BTreeMap::new(),
    ca: std::collections::BTreeMap::new(),
    disable_tofu: false,
};

/// One run of the update workflow for a GUN.
///
/// ```no_run
/// # async fn f(server: notary_client::server::NotaryServer) -> Result<(), Box<dyn std::error::Error>> {
/// use notary_client::certs::TrustPinning;
/// use notary_client::clock::SystemClock;
/// use notary_client::metadata::Gun;
/// use notary_client::trust_dir::TrustDir;
/// use notary_client::trusted::Update;
///
/// let gun = Gun::new("registry.example.com/team/app")?;
/// let cache = TrustDir::new("/home/me/.docker/trust").repository(&gun)?;
/// let update = Update { gun: &gun, remote: &server, cache: &cache, pinning: &TrustPinning::default(), clock: &SystemClock };
/// let trusted = update.run().await?;
/// println!("{} targets", trusted.targets().len());
/// # Ok(()) }
/// ```
#[derive(Clone, Copy)]
pub struct Update<'a> {
    /// The repository.
    pub gun: &'a Gun,
    /// Where trust data is downloaded from.
    pub remote: &'a dyn RemoteStore,
    /// The cache (`<trust>/tuf/<GUN>/metadata`): read as the trusted baseline, written with
    /// verified files only.
    pub cache: &'a RepositoryDir,
    /// Trust pinning for a root seen for the first time (TOFU by default).
    pub pinning: &'a TrustPinning,
    /// The time expiry is checked against.
    pub clock: &'a dyn Clock,
}

impl<'a> Update<'a> {
    /// Runs the update and returns the verified repository.
    pub async fn run(&self) -> Result<TrustedRepository, TrustError> {
        let mut client = self.bootstrap().await?;
        if let Err(first) = client.update_once().await {
            // Go resets and retries once with a fresh root, whatever the first error was.
            client.warnings.retain(|w| !matches!(w, UpdateWarning::ServedFromCache { .. }));
            client.warnings.push(UpdateWarning::Retried { reason: first.to_string() });
            client.new = client.new.bootstrap_new(client.new_pinning);
            client.update_root().await?;
            client.update_once().await?;
        }
        let warnings = std::mem::take(&mut client.warnings);
        Ok(client.new.finish()?.with_warnings(warnings))
    }

    /// Step 1 (Go's `bootstrapClient`): the cached root is the pin; without one, the server's
    /// root is validated under the trust pinning rules and cached.
    async fn bootstrap(&self) -> Result<Client<'a>, TrustError> {
        let gun = self.gun.as_str();
        let mut client = Client {
            update: *self,
            old: RepoBuilder::new(gun, &TOFU, self.clock),
            new: RepoBuilder::new(gun, self.pinning, self.clock),
            new_pinning: self.pinning,
            warnings: Vec::new(),
        };
        let root = RoleName::root();
        let mut min_version = 1;
        // The cached root is the pin: one that exists but cannot be read is an error, never a
        // reason to trust whatever root the server sends.
        if let Some(cached) = self.cache.source().read(&root)? {
            // A cached root that cannot even be loaded as a baseline is fatal: it is the pin.
            client.old.load_root(&cached, LoadRules::baseline(), false)?;
            let mut from_cache = RepoBuilder::new(gun, &TOFU, self.clock);
            if from_cache.load_root(&cached, LoadRules::current(1), false).is_ok() {
                client.new = from_cache;
                client.new_pinning = &TOFU;
            } else {
                // Expired: download a new root, which the cached one must vouch for.
                min_version = client.old.loaded_version(&root).unwrap_or(1);
                client.new = client.old.bootstrap_new(self.pinning);
            }
        }
        if !client.new.is_loaded(&root) {
            let raw = match client.fetch(&MetadataName::Current(root.clone()), limits::MAX_DOWNLOAD).await {
                Err(TrustError::Server(e)) if e.is_not_found() => {
                    return Err(TrustError::RepositoryNotFound { gun: gun.to_owned() });
                }
                other => other?,
            };
            client.new.load_root(&raw, LoadRules::current(min_version), false)?;
            client.write_cache(&root, &raw);
        }
        Ok(client)
    }
}

/// The state of one update: the two builders and what was worked around.
struct Client<'a> {
    update: Update<'a>,
    old: RepoBuilder<'a>,
    new: RepoBuilder<'a>,
    /// The pinning the new builder's roots are held to (TOFU once a cached root is trusted).
    new_pinning: &'a TrustPinning,
    warnings: Vec<UpdateWarning>,
}

impl Client<'_> {
    /// Steps 2–4.
    async fn update_once(&mut self) -> Result<(), TrustError> {
        self.download_timestamp().await?;
        self.load_cache_then_remote(&RoleName::snapshot()).await?;
        self.download_targets().await
    }

    /// Step 2: always the server's timestamp; the cached one only if the server cannot
    /// provide one (and then fully verified, expiry included).
    async fn download_timestamp(&mut self) -> Result<(), TrustError> {
        let role = RoleName::timestamp();
        let cached = self.read_cache(&role, limits::TIMESTAMP);
        match self.load_remote(&role, MetadataName::Current(role.clone()), limits::TIMESTAMP, cached.as_deref()).await {
            Err(TrustError::Server(reason)) if reason.falls_back_to_cache() => {
                let Some(cached) = cached else { return Err(TrustError::Server(reason)) };
                self.new.load_timestamp(&cached, LoadRules::current(1))?;
                self.warnings.push(UpdateWarning::ServedFromCache { role, reason });
                Ok(())
            }
            other => other,
        }
    }

    /// Step 4: the targets tree, depth-first pre-order, skipping roles the snapshot does not
    /// list and delegations that are expired or below threshold.
    async fn download_targets(&mut self) -> Result<(), TrustError> {
        let mut walk = TargetsWalk::new();
        while let Some(role) = walk.next(&self.new)? {
            let outcome = self.load_cache_then_remote(&role).await;
            walk.loaded(&self.new, &role, outcome)?;
        }
        Ok(())
    }

    /// Step 5 (Go's `updateRoot`): a new root by the checksum the last snapshot listed (the
    /// cached one if it has it), else `root.json`; if the trusted root's keys do not sign it,
    /// walk `<N>.root.json` from the cached version to the newest, each validated against its
    /// predecessor.
    async fn update_root(&mut self) -> Result<(), TrustError> {
        let role = RoleName::root();
        let current_version = self.old.loaded_version(&role).unwrap_or(1);
        let cached = self.read_cache(&role, limits::MAX_DOWNLOAD);
        let meta = self.new.expected_meta(&role).cloned();
        if meta.is_some()
            && let Some(cached) = &cached
            && self.new.load_root(cached, LoadRules::current(1), false).is_ok()
        {
            return Ok(());
        }
        let (name, limit) = remote_name(&role, meta.as_ref());
        let raw = self.fetch(&name, limit).await?;
        match self.new.load_root(&raw, LoadRules::current(current_version), false) {
            Ok(()) => {
                self.write_cache(&role, &raw);
                return Ok(());
            }
            Err(e) if e.is_root_rotation_failure() => {}
            Err(e) => return Err(e),
        }
        let cached = cached.ok_or_else(|| TrustError::Missing { role: "root".into() })?;
        self.new.load_root_for_update(&cached, current_version, false)?;
        let newest = Signed::<Root>::parse(role.clone(), &raw)?.signed().version.get();
        for version in current_version.saturating_add(1)..newest {
            let intermediate = self.fetch(&MetadataName::RootVersion(version), limits::MAX_DOWNLOAD).await?;
            self.new.load_root_for_update(&intermediate, version, false)?;
        }
        self.new.load_root_for_update(&raw, newest, true)?;
        self.write_cache(&role, &raw);
        Ok(())
    }

    /// Go's `tryLoadCacheThenRemote`: the cached copy if it verifies against the parent's
    /// hashes, else `<role>.<sha256>.json` (or `<role>.json` without a known checksum).
    async fn load_cache_then_remote(&mut self, role: &RoleName) -> Result<(), TrustError> {
        let (name, limit) = remote_name(role, self.new.expected_meta(role));
        // Read beyond the listed length: a longer cached file cannot be current, but it is
        // still the rollback baseline (Go reads it capped and then has none).
        let cached = self.read_cache(role, limits::MAX_DOWNLOAD);
        if let Some(cached) = &cached
            && self.new.load(role, cached, LoadRules::current(1)).is_ok()
        {
            return Ok(());
        }
        self.load_remote(role, name, limit, cached.as_deref()).await
    }

    /// Go's `tryLoadRemote`: download, verify with the cached version as the rollback floor,
    /// then cache.
    async fn load_remote(
        &mut self,
        role: &RoleName,
        name: MetadataName,
        limit: u64,
        cached: Option<&[u8]>,
    ) -> Result<(), TrustError> {
        let raw = self.fetch(&name, limit).await?;
        let min_version = self.baseline_version(role, cached);
        self.new.load(role, &raw, LoadRules::current(min_version))?;
        self.write_cache(role, &raw);
        Ok(())
    }

    /// The version of the cached copy, if it loads into the old builder (expiry ignored);
    /// else 1.
    fn baseline_version(&mut self, role: &RoleName, cached: Option<&[u8]>) -> u64 {
        // A delegation's cached copy loads only under its cached parent. Go has the parent in
        // its old builder only when the parent itself was downloaded again, so a server could
        // roll a delegation back while its parent stays the same (the snapshot key suffices:
        // notary's snapshot lists no versions). The cached parents are loaded here first.
        if !self.old.is_loaded(role)
            && let Some(parent) = role.parent()
            && !self.old.is_loaded(&parent)
        {
            let parent_cached = self.read_cache(&parent, limits::MAX_DOWNLOAD);
            self.baseline_version(&parent, parent_cached.as_deref());
        }
        if !self.old.is_loaded(role)
            && let Some(cached) = cached
        {
            // A cached copy that does not verify against the cached parents is no baseline.
            let _ = self.old.load(role, cached, LoadRules::baseline());
        }
        self.old.loaded_version(role).unwrap_or(1)
    }

    async fn fetch(&self, name: &MetadataName, limit: u64) -> Result<Vec<u8>, TrustError> {
        Ok(self.update.remote.get_metadata(self.update.gun, name, limit).await?)
    }

    fn read_cache(&mut self, role: &RoleName, limit: u64) -> Option<Vec<u8>> {
        match self.update.cache.source().read(role) {
            Ok(Some(bytes)) if bytes.len() as u64 <= limit => Some(bytes),
            Ok(Some(bytes)) => {
                let reason = format!("{} bytes, more than the {limit}-byte limit", bytes.len());
                self.warnings.push(UpdateWarning::CacheNotRead { role: role.clone(), reason });
                None
            }
            Ok(None) => None,
            Err(e) => {
                self.warnings.push(UpdateWarning::CacheNotRead { role: role.clone(), reason: e.to_string() });
                None
            }
        }
    }

    /// Caches a verified file; failing to cache does not fail the update (as Go).
    fn write_cache(&mut self, role: &RoleName, bytes: &[u8]) {
        if let Err(reason) = self.update.cache.write_metadata(role, bytes) {
            self.warnings.push(UpdateWarning::CacheNotWritten { role: role.clone(), reason });
        }
    }
}

/// What to download for `role`: `<role>.<sha256>.json` limited to the listed length when the
/// parent lists the file, else `<role>.json` up to the general limit.
fn remote_name(role: &RoleName, meta: Option<&crate::metadata::FileMeta>) -> (MetadataName, u64) {
    let Some(meta) = meta else { return (MetadataName::Current(role.clone()), limits::MAX_DOWNLOAD) };
    let limit = u64::try_from(meta.length).unwrap_or(0);
    match meta.sha256().and_then(|h| <[u8; 32]>::try_from(h).ok()) {
        Some(sha256) => (MetadataName::ByHash { role: role.clone(), sha256 }, limit),
        None => (MetadataName::Current(role.clone()), limit),
    }
}
