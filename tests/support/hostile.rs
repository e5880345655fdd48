//! One hostile-server scenario: a real stack, a repository its owner initialised and published
//! (Docker's layout: server-managed snapshot, `targets/releases` delegated to a CI key), a
//! man in the middle in front of notary-server ([`Mitm`]), the server's own keys
//! ([`Compromised`]), and a victim client that has already read the repository once through
//! the man in the middle while it was honest.
//!
//! After an attack, [`Scenario::assert_cache_holds_only_verified`] checks the victim's cache:
//! every file is unchanged or is what the honest server serves (which the client verified),
//! and no byte string the attacker served was stored.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use notary_client::clock::Clock;
use notary_client::keys::SoftwareKey;
use notary_client::metadata::{FileMeta, Gun, RoleBody, RoleName, Root, Signed, Snapshot, Targets, Timestamp};
use notary_client::repository::{Change, InitOptions, Repository, UpdateError};
use notary_client::server::NotaryServer;
use notary_client::trust_dir::TrustDir;
use notary_client::trusted::TrustedRepository;

use crate::compromised::{Compromised, owner_key};
use crate::mitm::Mitm;
use crate::publish::{self, PASSPHRASE, new_key, public};
use crate::stack::Stack;

/// A clock the test moves (freeze and expiry scenarios).
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().expect("clock") = now;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let now = self.now();
        self.set(now + by);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

/// How the owner sets the repository up.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Paths `targets/releases` may sign.
    pub release_paths: Vec<String>,
    /// Keys of `targets/releases` and its threshold.
    pub release_keys: usize,
    pub release_threshold: u32,
}

impl Default for Layout {
    fn default() -> Self {
        Layout { release_paths: vec![String::new()], release_keys: 1, release_threshold: 1 }
    }
}

pub struct Scenario {
    pub stack: Stack,
    pub gun: String,
    pub owner_trust: tempfile::TempDir,
    pub owner: Repository,
    /// The keys of `targets/releases` (the CI job's).
    pub release_keys: Vec<Arc<SoftwareKey>>,
    pub mitm: Mitm,
    pub server: Compromised,
    pub clock: TestClock,
    /// When the scenario started (the victim's clock until a test moves it).
    pub start: DateTime<Utc>,
    pub victim_trust: tempfile::TempDir,
    pub victim: Repository,
    /// The victim's cache after its honest first read.
    pub cached: BTreeMap<PathBuf, Vec<u8>>,
}

impl Scenario {
    /// The default layout, or `None` when the stack's tools are missing outside CI.
    pub async fn start() -> Option<Scenario> {
        Scenario::with(Layout::default()).await
    }

    /// A scenario with `layout`: root, targets (target `v1`), `targets/releases` (target
    /// `r1`), snapshot and timestamp on the real server, read once by the victim.
    pub async fn with(layout: Layout) -> Option<Scenario> {
        let stack = publish::stack()?;
        let gun = "localhost:5000/hostile/app".to_owned();
        let owner_trust = publish::tempdir();
        let owner = publish::repository(&stack, &gun, owner_trust.path());
        owner.init(&InitOptions::default()).await.expect("init");
        let release_keys: Vec<_> = (0..layout.release_keys).map(|_| new_key()).collect();
        let mut delegation = Change::add_delegation(
            RoleName::releases(),
            release_keys.iter().map(public).collect(),
            layout.release_paths.clone(),
        );
        if let Change::AddDelegation { threshold, .. } = &mut delegation {
            *threshold = Some(layout.release_threshold);
        }
        let release_name = layout.release_paths.first().cloned().unwrap_or_default() + "r1";
        let mut keyring = owner.keys().clone();
        for key in &release_keys {
            keyring = keyring.with_signer(key.clone());
        }
        let owner = owner.with_keys(keyring);
        owner
            .publish(&[
                delegation,
                Change::add_target(RoleName::targets(), "v1", FileMeta::sha256_only([1; 32], 101)),
                Change::add_target(RoleName::releases(), release_name, FileMeta::sha256_only([2; 32], 202)),
            ])
            .await
            .expect("the owner's first publish");

        let mitm = Mitm::start(stack.notary_url(), &stack.dir().join("tls"));
        let server = Compromised::new(&stack, &gun).await;
        let start = Utc::now();
        let clock = TestClock(Arc::new(Mutex::new(start)));
        let victim_trust = publish::tempdir();
        let victim = Repository::new(
            Gun::new(&gun).expect("GUN"),
            victim_server(&stack, &mitm),
            TrustDir::new(victim_trust.path()),
        )
        .with_clock(clock.clone());
        victim.update().await.expect("the victim's honest first read");
        let mut scenario = Scenario {
            stack,
            gun,
            owner_trust,
            owner,
            release_keys,
            mitm,
            server,
            clock,
            start,
            victim_trust,
            victim,
            cached: BTreeMap::new(),
        };
        scenario.cached = scenario.cache_files();
        Some(scenario)
    }

    /// The victim reads the repository again (through the man in the middle).
    pub async fn update(&self) -> Result<TrustedRepository, UpdateError> {
        self.victim.update().await
    }

    /// A victim that has never read the repository (trust on first use through the man in the
    /// middle), with its own empty trust directory.
    pub fn new_victim(&self) -> (tempfile::TempDir, Repository) {
        let trust = publish::tempdir();
        let repo = Repository::new(
            Gun::new(&self.gun).expect("GUN"),
            victim_server(&self.stack, &self.mitm),
            TrustDir::new(trust.path()),
        )
        .with_clock(self.clock.clone());
        (trust, repo)
    }

    /// The owner publishes target `name` into `targets`: a new targets, snapshot and timestamp
    /// the victim has not seen (the next update downloads them).
    pub async fn owner_publishes(&self, name: &str) {
        self.owner
            .publish(&[Change::add_target(RoleName::targets(), name, FileMeta::sha256_only([9; 32], 909))])
            .await
            .expect("the owner publishes again");
    }

    /// The owner's key of a base role (`root` comes with its certificate).
    pub async fn owner_key(&self, role: &str) -> SoftwareKey {
        let root: Root = self.server.body("root").await;
        owner_key(self.owner_trust.path(), role, PASSPHRASE, (role == "root").then_some(&root))
    }

    /// The victim's cached metadata: path (relative to the trust dir) → bytes.
    pub fn cache_files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        publish::files_below(self.victim_trust.path())
    }

    /// Every file of the victim's cache is as it was after the honest read, or verifies with
    /// the keys the cache itself trusts (a base role with the cached root's keys, a changed
    /// root with the previous root's keys too, a delegation with its cached parent's): the
    /// client stored nothing it had not verified. No file lies outside the repository's
    /// metadata directory.
    pub fn assert_cache_holds_only_verified(&self) {
        let metadata_dir = Path::new("tuf").join(&self.gun).join("metadata");
        let files = self.cache_files();
        let root_path = metadata_dir.join("root.json");
        let root_of = |bytes: &[u8]| Signed::<Root>::parse(RoleName::root(), bytes).expect("cached root parses");
        let old_root = root_of(&self.cached[&root_path]);
        let root = root_of(&files[&root_path]);
        for (path, bytes) in &files {
            let role_file =
                path.strip_prefix(&metadata_dir).unwrap_or_else(|_| panic!("{} is outside the cache", path.display()));
            if self.cached.get(path) == Some(bytes) {
                continue;
            }
            let name = role_file.with_extension("").to_string_lossy().into_owned();
            let role = RoleName::new(&name).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let verified = match name.as_str() {
                "root" => old_root
                    .verify(&old_root.signed().trusted_keys("root"))
                    .and_then(|_| root.verify(&root.signed().trusted_keys("root"))),
                "timestamp" => parse::<Timestamp>(role, bytes).verify(&root.signed().trusted_keys("timestamp")),
                "snapshot" => parse::<Snapshot>(role, bytes).verify(&root.signed().trusted_keys("snapshot")),
                "targets" => parse::<Targets>(role, bytes).verify(&root.signed().trusted_keys("targets")),
                _ => {
                    let parent = role.parent().expect("a delegation's parent");
                    let parent_path = metadata_dir.join(format!("{parent}.json"));
                    let parent = parse::<Targets>(parent.clone(), &files[&parent_path]);
                    let listed =
                        parent.signed().delegations.role(&role).unwrap_or_else(|| panic!("{name} is not delegated"));
                    parse::<Targets>(role.clone(), bytes).verify(&parent.signed().delegations.trusted_keys(listed))
                }
            };
            if let Err(e) = verified {
                panic!("{} changed to a file that does not verify: {e}", path.display());
            }
        }
    }
}

fn parse<T: RoleBody>(role: RoleName, bytes: &[u8]) -> Signed<T> {
    Signed::<T>::parse(role.clone(), bytes).unwrap_or_else(|e| panic!("cached {role}.json does not parse: {e}"))
}

fn victim_server(stack: &Stack, mitm: &Mitm) -> NotaryServer {
    let ca = std::fs::read(stack.notary_ca()).expect("CA");
    NotaryServer::builder(mitm.url())
        .add_ca_pem(&ca)
        .timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(2))
        .retries(1)
        .build()
        .expect("the victim's server client")
}
