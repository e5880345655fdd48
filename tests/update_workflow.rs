//! The update workflow (spec §6.8) against an in-memory notary server: what is fetched, what
//! is trusted, what is cached, and how each attack or outage is refused or worked around.
//!
//! Every test builds its own repository with [`fake_remote::Author`] and a fresh trust
//! directory; the client's clock is fixed at the author's "now" unless a test moves it.

#[path = "support/fake_remote.rs"]
mod fake_remote;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use fake_remote::{Author, MemoryRemote, RELEASES, by_hash_name};
use notary_client::certs::{RootValidationError, TrustPinning};
use notary_client::clock::FixedClock;
use notary_client::metadata::{Expires, FileMeta, Gun, KeyId, RoleName, VerifyError};
use notary_client::repository::Repository;
use notary_client::server::{ServerError, limits};
use notary_client::trust_dir::TrustDir;
use notary_client::trusted::{TrustError, TrustedRepository, Update, UpdateWarning};

const GUN: &str = "registry.example.com/team/app";

/// Cached files by role (`root`, `targets/releases`, ...).
type Files = BTreeMap<String, Vec<u8>>;

/// A client: a trust directory, trust pinning and a clock.
struct Client {
    trust: tempfile::TempDir,
    gun: Gun,
    pinning: TrustPinning,
    clock: FixedClock,
}

impl Client {
    fn new(author: &Author) -> Client {
        Client {
            trust: tempfile::tempdir().unwrap(),
            gun: author.gun(),
            pinning: TrustPinning::default(),
            clock: FixedClock(author.now()),
        }
    }

    fn at(&mut self, now: DateTime<Utc>) {
        self.clock = FixedClock(now);
    }

    async fn update(&self, remote: &MemoryRemote) -> Result<TrustedRepository, TrustError> {
        let cache = TrustDir::new(self.trust.path()).repository(&self.gun).unwrap();
        Update { gun: &self.gun, remote, cache: &cache, pinning: &self.pinning, clock: &self.clock }.run().await
    }

    fn metadata_dir(&self) -> PathBuf {
        TrustDir::new(self.trust.path()).repository(&self.gun).unwrap().metadata_dir().to_path_buf()
    }

    /// Every cached metadata file.
    fn cache(&self) -> Files {
        let dir = self.metadata_dir();
        let mut files = Files::new();
        for path in files_below(&dir) {
            let rel = path.strip_prefix(&dir).unwrap().to_str().unwrap();
            let role = rel.strip_suffix(".json").unwrap_or_else(|| panic!("stray file {rel} in the cache"));
            files.insert(role.to_owned(), std::fs::read(&path).unwrap());
        }
        files
    }

    fn cached(&self, role: &str) -> Option<Vec<u8>> {
        self.cache().remove(role)
    }
}

/// Every regular file below `dir` (none if it does not exist).
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_below(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// What the author currently publishes for every role the cache holds after a full update.
fn published(author: &Author) -> Files {
    ["root", "targets", RELEASES, "snapshot", "timestamp"]
        .into_iter()
        .map(|role| (role.to_owned(), author.current(role)))
        .collect()
}

/// The cache invariant: every cached file is either unchanged or byte-equal to one of
/// `verified` (files the client could fully verify); nothing disappeared.
fn assert_only_verified_changes(before: &Files, after: &Files, verified: &[(&str, Vec<u8>)]) {
    for role in before.keys() {
        assert!(after.contains_key(role), "{role}.json disappeared from the cache");
    }
    for (role, bytes) in after {
        if before.get(role) == Some(bytes) {
            continue;
        }
        assert!(
            verified.iter().any(|(r, v)| r == role && v == bytes),
            "{role}.json changed in the cache to bytes that are not a verified file"
        );
    }
}

fn names<'a>(entries: impl IntoIterator<Item = &'a notary_client::trusted::TargetEntry>) -> Vec<&'a str> {
    entries.into_iter().map(|t| t.name.as_str()).collect()
}

/// An author with a target in `targets` and one in `targets/releases`.
async fn populated() -> Author {
    let mut author = Author::new(GUN).await;
    author.add_target("targets", "latest", b"manifest latest").await;
    author.add_target(RELEASES, "1.0", b"manifest 1.0").await;
    author
}

/// A populated repository and a client that has updated from it once.
async fn updated_client() -> (Author, Client) {
    let author = populated().await;
    let client = Client::new(&author);
    client.update(&author.remote()).await.expect("first update");
    author.remote().clear_log();
    (author, client)
}

// ---- first use and caching ----

#[tokio::test]
async fn first_update_trusts_the_servers_root_and_caches_exactly_what_was_served() {
    let author = populated().await;
    let trust = tempfile::tempdir().unwrap();
    let repo = Repository::new(author.gun(), author.remote(), TrustDir::new(trust.path()))
        .with_clock(FixedClock(author.now()));
    let trusted = repo.update().await.unwrap();

    assert_eq!(trusted.root().signed().version.get(), 1);
    assert_eq!(names(&trusted.targets()), ["latest", "1.0"]);
    assert_eq!(names(&trusted.role_targets(&RoleName::releases())), ["1.0"]);
    assert_eq!(names(&trusted.role_targets(&RoleName::targets())), ["latest"]);
    let hit = trusted.lookup("1.0", &[RoleName::releases(), RoleName::targets()]).unwrap();
    assert_eq!(hit.role, RoleName::releases());
    assert_eq!(hit.meta, FileMeta::for_metadata_bytes(b"manifest 1.0"));
    let delegations = trusted.delegations();
    assert_eq!(delegations.len(), 1);
    assert_eq!(delegations[0].role, RoleName::releases());
    assert_eq!(delegations[0].parent, RoleName::targets());
    assert_eq!(delegations[0].paths, [""]);
    assert!(delegations[0].verified);
    assert!(trusted.skipped().is_empty());
    assert!(!trusted.served_from_cache());
    assert!(trusted.warnings().is_empty(), "{:?}", trusted.warnings());

    let client = Client { trust, gun: author.gun(), pinning: TrustPinning::default(), clock: FixedClock(author.now()) };
    assert_eq!(client.cache(), published(&author), "the cache holds the served bytes, byte for byte");
}

#[tokio::test]
async fn snapshot_and_targets_are_fetched_by_hash_and_timestamp_by_name() {
    let author = populated().await;
    let client = Client::new(&author);
    client.update(&author.remote()).await.unwrap();
    assert_eq!(
        author.remote().requested(),
        [
            "root.json".to_owned(),
            "timestamp.json".to_owned(),
            author.current_by_hash_name("snapshot"),
            author.current_by_hash_name("targets"),
            author.current_by_hash_name(RELEASES),
        ]
    );
}

#[tokio::test]
async fn second_update_with_unchanged_data_reuses_the_cache() {
    let (author, client) = updated_client().await;
    let before = client.cache();
    let trusted = client.update(&author.remote()).await.unwrap();
    assert_eq!(author.remote().requested(), ["timestamp.json"], "only the timestamp is downloaded");
    assert_eq!(names(&trusted.targets()), ["latest", "1.0"]);
    assert!(!trusted.served_from_cache());
    assert_eq!(client.cache(), before);
}

#[tokio::test]
async fn update_after_a_publish_downloads_only_the_changed_files() {
    let (mut author, client) = updated_client().await;
    author.add_target(RELEASES, "2.0", b"manifest 2.0").await;
    let trusted = client.update(&author.remote()).await.unwrap();
    assert_eq!(
        author.remote().requested(),
        ["timestamp.json".to_owned(), author.current_by_hash_name("snapshot"), author.current_by_hash_name(RELEASES)]
    );
    assert_eq!(names(&trusted.role_targets(&RoleName::releases())), ["1.0", "2.0"]);
    assert_eq!(client.cache(), published(&author));
}

// ---- rollback ----

#[tokio::test]
async fn timestamp_rollback_is_refused_naming_role_and_versions_and_the_cache_is_unchanged() {
    let (mut author, client) = updated_client().await;
    author.resign_timestamp().await;
    client.update(&author.remote()).await.unwrap();
    let cached_version = author.version("timestamp");
    let before = client.cache();

    author.remote().serve_version("timestamp", cached_version - 1);
    let err = client.update(&author.remote()).await.unwrap_err();
    match err.reason() {
        TrustError::Rollback { role, version, min_version } => {
            assert_eq!((role.as_str(), *version, *min_version), ("timestamp", cached_version - 1, cached_version));
        }
        other => panic!("expected a rollback, got {other:?}"),
    }
    assert!(
        matches!(&err, TrustError::Rejected { role, version: Some(v), min_version, .. }
            if role == "timestamp" && *v == cached_version - 1 && *min_version == cached_version),
        "{err:?}"
    );
    let shown = err.to_string();
    for needle in ["timestamp", &format!("version {}", cached_version - 1), &cached_version.to_string(), "rollback"] {
        assert!(shown.contains(needle), "{shown:?} does not mention {needle:?}");
    }
    assert_eq!(client.cache(), before);
}

#[tokio::test]
async fn snapshot_rollback_listed_by_a_new_timestamp_is_refused() {
    let (mut author, client) = updated_client().await;
    let cached_version = author.version("snapshot");
    let before = client.cache();
    author.list_old_snapshot_in_timestamp(cached_version - 1).await;

    let err = client.update(&author.remote()).await.unwrap_err();
    match err.reason() {
        TrustError::Rollback { role, version, min_version } => {
            assert_eq!((role.as_str(), *version, *min_version), ("snapshot", cached_version - 1, cached_version));
        }
        other => panic!("expected a snapshot rollback, got {other:?}"),
    }
    // The new timestamp verified (and may be cached); the old snapshot must not be.
    assert_only_verified_changes(&before, &client.cache(), &[("timestamp", author.current("timestamp"))]);
}

#[tokio::test]
async fn targets_rollback_listed_by_a_new_snapshot_is_refused() {
    let (mut author, client) = updated_client().await;
    // Same name, same-length content: the old version is exactly as long as the cached one
    // (see `targets_rollback_to_a_shorter_file_is_refused` for the other case).
    author.add_target("targets", "latest", b"manifest LATEST").await;
    client.update(&author.remote()).await.unwrap();
    let cached_version = author.version("targets");
    let before = client.cache();
    author.list_old_version_in_snapshot("targets", cached_version - 1).await;

    let err = client.update(&author.remote()).await.unwrap_err();
    match err.reason() {
        TrustError::Rollback { role, version, min_version } => {
            assert_eq!((role.as_str(), *version, *min_version), ("targets", cached_version - 1, cached_version));
        }
        other => panic!("expected a targets rollback, got {other:?}"),
    }
    assert_only_verified_changes(
        &before,
        &client.cache(),
        &[("timestamp", author.current("timestamp")), ("snapshot", author.current("snapshot"))],
    );
}

/// Stricter than Go: Go reads the cached file capped at the *new* parent's `length`
/// (`cache.GetSized(role, consistentInfo.Length())` in `tryLoadCacheThenRemote`), so a cached
/// `targets` longer than the rolled-back version is not read, there is no baseline and Go
/// accepts the older version. The cache is read up to the 100 MiB cap here, so it is refused.
#[tokio::test]
async fn targets_rollback_to_a_shorter_file_is_refused() {
    let (mut author, client) = updated_client().await;
    author.add_target("targets", "next", b"manifest next").await;
    client.update(&author.remote()).await.unwrap();
    let cached_version = author.version("targets");
    assert!(author.bytes_of("targets", cached_version - 1).len() < author.current("targets").len());
    author.list_old_version_in_snapshot("targets", cached_version - 1).await;

    let result = client.update(&author.remote()).await;
    assert!(
        matches!(result.as_ref().map_err(TrustError::reason), Err(TrustError::Rollback { role, .. }) if role == "targets"),
        "expected a targets rollback, got {:?}",
        result.map(|r| r.role(&RoleName::targets()).map(|t| t.metadata.signed().version.get()))
    );
}

/// After the first refusal the verified new snapshot is cached, so the next update takes
/// snapshot from the cache and never loads it into the *old* (baseline) builder. The cached
/// `targets` must still be a baseline: Go's old builder needs only root for
/// timestamp/snapshot/targets (`tuf/builder.go loadOptions`: `checkPrereqsLoaded([root])`) and
/// skips the checksum when the parent is not loaded (`getChecksumsFor` returns nil).
#[tokio::test]
async fn targets_rollback_is_still_refused_on_the_next_update() {
    let (mut author, client) = updated_client().await;
    author.add_target("targets", "latest", b"manifest LATEST").await;
    client.update(&author.remote()).await.unwrap();
    let cached_version = author.version("targets");
    let cached_targets = client.cached("targets").unwrap();
    author.list_old_version_in_snapshot("targets", cached_version - 1).await;

    assert!(client.update(&author.remote()).await.is_err(), "first attempt refuses the rollback");
    let second = client.update(&author.remote()).await;
    assert!(
        matches!(second.as_ref().map_err(TrustError::reason), Err(TrustError::Rollback { role, .. }) if role == "targets"),
        "second attempt must refuse the rollback too, got {:?}",
        second.map(|r| r.role(&RoleName::targets()).map(|t| t.metadata.signed().version.get()))
    );
    assert_eq!(client.cached("targets").unwrap(), cached_targets, "the cached targets must not be rolled back");
}

/// Without a cached timestamp the cached snapshot is still the baseline (loaded with root
/// alone, its checksum unchecked, as Go's old builder does), so an older snapshot is refused.
#[tokio::test]
async fn snapshot_rollback_is_refused_even_without_a_cached_timestamp() {
    let (mut author, client) = updated_client().await;
    let cached_version = author.version("snapshot");
    std::fs::remove_file(client.metadata_dir().join("timestamp.json")).unwrap();
    author.list_old_snapshot_in_timestamp(cached_version - 1).await;

    let result = client.update(&author.remote()).await;
    assert!(
        matches!(result.as_ref().map_err(TrustError::reason), Err(TrustError::Rollback { role, .. }) if role == "snapshot"),
        "expected a snapshot rollback, got {:?}",
        result.map(|r| r.snapshot().signed().version.get())
    );
}

#[tokio::test]
async fn delegation_rollback_is_refused_when_its_parent_changed() {
    let (mut author, client) = updated_client().await;
    author.add_target(RELEASES, "1.0", b"manifest 1.1").await;
    client.update(&author.remote()).await.unwrap();
    let cached_version = author.version(RELEASES);
    let before = client.cache();
    // targets changes too, so the client downloads it and can use its cached copy as the
    // parent of the cached delegation (Go needs that as well).
    author.add_target("targets", "latest", b"manifest LATEST").await;
    author.list_old_version_in_snapshot(RELEASES, cached_version - 1).await;

    let err = client.update(&author.remote()).await.unwrap_err();
    match err.reason() {
        TrustError::Rollback { role, version, min_version } => {
            assert_eq!((role.as_str(), *version, *min_version), (RELEASES, cached_version - 1, cached_version));
        }
        other => panic!("expected a delegation rollback, got {other:?}"),
    }
    assert_eq!(client.cached(RELEASES).unwrap(), before[RELEASES]);
}

#[tokio::test]
async fn root_rollback_listed_by_a_new_snapshot_is_refused() {
    let (mut author, client) = updated_client().await;
    author.resign_root().await;
    client.update(&author.remote()).await.unwrap();
    assert_eq!(client.cached("root").unwrap(), author.bytes_of("root", 2));
    author.list_old_version_in_snapshot("root", 1).await;

    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(
        matches!(err.reason(), TrustError::Root(RootValidationError::VersionTooLow { version: 1, min_version: 2 })),
        "{err:?}"
    );
    assert_eq!(client.cached("root").unwrap(), author.bytes_of("root", 2));
}

// ---- tampering and bad signatures ----

#[tokio::test]
async fn tampered_snapshot_fails_the_timestamp_hash_and_is_not_cached() {
    let (mut author, client) = updated_client().await;
    author.add_target("targets", "next", b"manifest next").await;
    let before = client.cache();
    author.remote().tamper(&author.current_by_hash_name("snapshot"));

    let err = client.update(&author.remote()).await.unwrap_err();
    match err.reason() {
        TrustError::Hash { role, listed_by, .. } => assert_eq!((role.as_str(), *listed_by), ("snapshot", "timestamp")),
        other => panic!("expected a snapshot hash mismatch, got {other:?}"),
    }
    assert!(err.to_string().contains("snapshot"), "{err}");
    // Only the new timestamp fully verified.
    assert_only_verified_changes(&before, &client.cache(), &[("timestamp", author.current("timestamp"))]);
    assert_eq!(client.cached("snapshot").unwrap(), before["snapshot"]);
}

#[tokio::test]
async fn tampered_targets_fails_the_snapshot_hash() {
    let (mut author, client) = updated_client().await;
    author.add_target("targets", "next", b"manifest next").await;
    let before = client.cache();
    author.remote().tamper(&author.current_by_hash_name("targets"));

    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(
        matches!(err.reason(), TrustError::Hash { role, listed_by: "snapshot", .. } if role == "targets"),
        "{err:?}"
    );
    assert_only_verified_changes(
        &before,
        &client.cache(),
        &[("timestamp", author.current("timestamp")), ("snapshot", author.current("snapshot"))],
    );
    assert_eq!(client.cached("targets").unwrap(), before["targets"]);
}

#[tokio::test]
async fn targets_signed_by_an_unknown_key_is_rejected_and_not_cached() {
    let (mut author, client) = updated_client().await;
    let before = client.cache();
    author.sign_targets_with_unknown_key().await;

    let err = client.update(&author.remote()).await.unwrap_err();
    match err.reason() {
        TrustError::Verify(VerifyError::ThresholdNotMet { role, valid: 0, .. }) => assert_eq!(role, "targets"),
        other => panic!("expected a threshold failure on targets, got {other:?}"),
    }
    assert_only_verified_changes(
        &before,
        &client.cache(),
        &[("timestamp", author.current("timestamp")), ("snapshot", author.current("snapshot"))],
    );
    assert_eq!(client.cached("targets").unwrap(), before["targets"], "no unverified targets in the cache");
}

#[tokio::test]
async fn targets_signed_by_an_unknown_key_is_not_cached_on_first_use_either() {
    let mut author = populated().await;
    author.sign_targets_with_unknown_key().await;
    let client = Client::new(&author);
    assert!(client.update(&author.remote()).await.is_err());
    assert!(client.cached("targets").is_none());
    assert!(client.cached(RELEASES).is_none());
}

// ---- expiry ----

#[tokio::test]
async fn expired_timestamp_is_rejected_naming_timestamp() {
    let author = populated().await;
    let mut client = Client::new(&author);
    client.at(author.now() + Duration::days(15));
    let err = client.update(&author.remote()).await.unwrap_err();
    match err.reason() {
        TrustError::Verify(VerifyError::Expired { role, .. }) => assert_eq!(role, "timestamp"),
        other => panic!("expected an expired timestamp, got {other:?}"),
    }
    assert!(matches!(&err, TrustError::Rejected { role, .. } if role == "timestamp"), "{err:?}");
    assert!(client.cached("timestamp").is_none(), "an expired timestamp is not cached");
}

#[tokio::test]
async fn timestamp_signed_with_an_expiry_in_the_past_is_rejected() {
    let mut author = populated().await;
    author.expire("timestamp").await;
    let client = Client::new(&author);
    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(matches!(err.reason(), TrustError::Verify(VerifyError::Expired { role, .. }) if role == "timestamp"));
}

#[tokio::test]
async fn expired_delegation_is_skipped_with_its_parsed_metadata() {
    let mut author = populated().await;
    author.expire(RELEASES).await;
    let client = Client::new(&author);
    let trusted = client.update(&author.remote()).await.unwrap();

    assert_eq!(names(&trusted.targets()), ["latest"]);
    assert!(trusted.role_targets(&RoleName::releases()).is_empty());
    let skipped = trusted.skipped();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].role, RoleName::releases());
    assert!(matches!(&skipped[0].reason, VerifyError::Expired { role, .. } if role == RELEASES));
    assert!(skipped[0].metadata.signed().targets.contains_key("1.0"), "the parsed file is kept");
    assert_eq!(skipped[0].metadata.signed().version.get(), author.version(RELEASES));
    let delegation = trusted.delegations().into_iter().find(|d| d.role == RoleName::releases()).unwrap();
    assert!(!delegation.verified);
    assert!(client.cached(RELEASES).is_none(), "an expired delegation is not cached");
}

#[tokio::test]
async fn delegation_below_threshold_is_skipped() {
    let mut author = populated().await;
    author.sign_releases_with_unknown_key().await;
    let client = Client::new(&author);
    let trusted = client.update(&author.remote()).await.unwrap();

    assert_eq!(names(&trusted.targets()), ["latest"]);
    let skipped = trusted.skipped();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].role, RoleName::releases());
    assert!(matches!(skipped[0].reason, VerifyError::ThresholdNotMet { valid: 0, threshold: 1, .. }));
    assert!(skipped[0].metadata.signed().targets.contains_key("1.0"));
    assert!(client.cached(RELEASES).is_none());
}

#[tokio::test]
async fn expired_top_level_targets_aborts_the_update() {
    let mut author = populated().await;
    author.expire("targets").await;
    let client = Client::new(&author);
    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(
        matches!(err.reason(), TrustError::Verify(VerifyError::Expired { role, .. }) if role == "targets"),
        "{err:?}"
    );
    assert!(client.cached("targets").is_none());
}

#[tokio::test]
async fn expired_snapshot_aborts_the_update() {
    let mut author = populated().await;
    author.expire("snapshot").await;
    let client = Client::new(&author);
    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(
        matches!(err.reason(), TrustError::Verify(VerifyError::Expired { role, .. }) if role == "snapshot"),
        "{err:?}"
    );
}

// ---- delegation paths ----

#[tokio::test]
async fn targets_outside_a_delegations_paths_are_not_listed_for_it() {
    let mut author = Author::with_release_paths(GUN, &["release/"]).await;
    author.add_target(RELEASES, "release/1.0", b"manifest 1.0").await;
    author.add_target(RELEASES, "other", b"manifest other").await;
    let client = Client::new(&author);
    let trusted = client.update(&author.remote()).await.unwrap();

    assert_eq!(names(&trusted.role_targets(&RoleName::releases())), ["release/1.0"]);
    assert_eq!(names(&trusted.targets()), ["release/1.0"]);
    assert!(trusted.lookup("other", &[RoleName::releases(), RoleName::targets()]).is_none());
    assert_eq!(trusted.role(&RoleName::releases()).unwrap().paths, ["release/"]);
    let delegation = &trusted.delegations()[0];
    assert_eq!(delegation.paths, ["release/"]);
}

// ---- root rotation ----

#[tokio::test]
async fn root_rotation_signed_by_old_and_new_keys_is_accepted_and_cached() {
    let (mut author, client) = updated_client().await;
    author.rotate_root_key().await;
    let trusted = client.update(&author.remote()).await.unwrap();

    assert_eq!(trusted.root().signed().version.get(), 2);
    assert_eq!(client.cached("root").unwrap(), author.current("root"));
    assert_eq!(client.cache(), published(&author));
    let requested = author.remote().requested();
    assert!(
        requested.contains(&author.current_by_hash_name("root")),
        "root fetched by the snapshot's hash: {requested:?}"
    );
    assert!(!requested.iter().any(|n| n.ends_with(".root.json")), "no chain walk needed: {requested:?}");
}

#[tokio::test]
async fn root_rotation_with_a_skipped_version_walks_the_intermediate_root() {
    let (mut author, client) = updated_client().await;
    author.rotate_root_key_twice().await;
    let trusted = client.update(&author.remote()).await.unwrap();

    assert_eq!(trusted.root().signed().version.get(), 3);
    assert_eq!(client.cached("root").unwrap(), author.current("root"));
    let requested = author.remote().requested();
    assert!(requested.contains(&"2.root.json".to_owned()), "2.root.json must be walked: {requested:?}");
    assert!(!requested.contains(&"3.root.json".to_owned()), "the newest root was already fetched: {requested:?}");
    assert_eq!(names(&trusted.targets()), ["latest", "1.0"]);
}

#[tokio::test]
async fn root_rotation_fails_when_the_intermediate_root_is_missing() {
    let (mut author, client) = updated_client().await;
    let cached_root = client.cached("root").unwrap();
    author.rotate_root_key_twice().await;
    author.remote().serve_not_found("2.root.json");

    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(matches!(err.reason(), TrustError::Server(ServerError::NotFound { .. })), "{err:?}");
    assert_eq!(client.cached("root").unwrap(), cached_root);
}

#[tokio::test]
async fn new_root_signed_only_by_a_key_the_client_does_not_trust_is_rejected() {
    let (mut author, client) = updated_client().await;
    let before = client.cache();
    author.rotate_root_key_new_signature_only().await;

    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(err.is_root_rotation_failure(), "{err:?}");
    assert!(matches!(err.reason(), TrustError::Root(RootValidationError::RotationFailed { previous_version: 1, .. })));
    assert_eq!(client.cached("root").unwrap(), before["root"], "the trusted root stays");
    assert_only_verified_changes(&before, &client.cache(), &[("timestamp", author.current("timestamp"))]);
    // And it stays refused.
    assert!(client.update(&author.remote()).await.is_err());
    assert_eq!(client.cached("root").unwrap(), before["root"]);
}

#[tokio::test]
async fn targets_key_rotation_is_picked_up_through_the_new_root() {
    let (mut author, client) = updated_client().await;
    author.rotate_targets_key().await;
    author.add_target("targets", "after-rotation", b"manifest after").await;
    let trusted = client.update(&author.remote()).await.unwrap();

    assert_eq!(trusted.root().signed().version.get(), 2);
    assert!(trusted.lookup("after-rotation", &[]).is_some());
    assert_eq!(client.cache(), published(&author));
}

#[tokio::test]
async fn timestamp_key_rotation_fetches_root_json_when_no_checksum_is_known() {
    let (mut author, client) = updated_client().await;
    author.rotate_timestamp_key().await;
    let trusted = client.update(&author.remote()).await.unwrap();

    assert_eq!(trusted.root().signed().version.get(), 2);
    assert_eq!(
        author.remote().requested()[..3],
        ["timestamp.json".to_owned(), "root.json".to_owned(), "timestamp.json".to_owned()],
        "timestamp fails with the old key, root.json is fetched, timestamp retried"
    );
    assert_eq!(client.cache(), published(&author));
}

#[tokio::test]
async fn expired_cached_root_is_replaced_by_a_root_it_vouches_for() {
    let mut author = populated().await;
    author.resign_with_expiry("root", Expires::from_utc(author.now() + Duration::days(1))).await;
    let mut client = Client::new(&author);
    client.update(&author.remote()).await.unwrap();
    author.resign_with_expiry("root", Expires::from_utc(author.now() + Duration::days(3650))).await;
    author.remote().clear_log();

    client.at(author.now() + Duration::days(2));
    let trusted = client.update(&author.remote()).await.unwrap();
    assert_eq!(trusted.root().signed().version.get(), author.version("root"));
    assert_eq!(author.remote().requested()[0], "root.json");
    assert_eq!(client.cached("root").unwrap(), author.current("root"));
}

// ---- offline and missing data ----

#[tokio::test]
async fn offline_update_after_a_good_one_is_served_from_the_verified_cache() {
    let (author, client) = updated_client().await;
    let before = client.cache();
    author.remote().set_offline(true);
    let trusted = client.update(&author.remote()).await.unwrap();

    assert!(trusted.served_from_cache());
    assert!(
        trusted.warnings().iter().any(|w| matches!(w, UpdateWarning::ServedFromCache { role, reason: ServerError::Network { .. } } if role == &RoleName::timestamp())),
        "{:?}",
        trusted.warnings()
    );
    assert_eq!(names(&trusted.targets()), ["latest", "1.0"]);
    assert_eq!(client.cache(), before);
}

#[tokio::test]
async fn missing_timestamp_on_the_server_falls_back_to_the_cache() {
    let (author, client) = updated_client().await;
    author.remote().serve_not_found("timestamp.json");
    let trusted = client.update(&author.remote()).await.unwrap();
    assert!(trusted.served_from_cache());
}

#[tokio::test]
async fn offline_update_with_an_expired_cached_timestamp_fails() {
    let (author, mut client) = updated_client().await;
    let before = client.cache();
    author.remote().set_offline(true);
    client.at(author.now() + Duration::days(15));
    // As Go: the expired cached timestamp fails the first attempt, and the root update that
    // follows cannot reach the server, so that is the error reported.
    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(matches!(err.reason(), TrustError::Server(ServerError::Network { .. })), "{err:?}");
    assert_eq!(client.cache(), before);
}

#[tokio::test]
async fn cached_timestamp_used_as_fallback_is_held_to_its_expiry() {
    let (author, mut client) = updated_client().await;
    author.remote().serve_not_found("timestamp.json");
    client.at(author.now() + Duration::days(15));
    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(
        matches!(err.reason(), TrustError::Verify(VerifyError::Expired { role, .. }) if role == "timestamp"),
        "{err:?}"
    );
}

#[tokio::test]
async fn offline_without_a_cache_fails_and_creates_no_files() {
    let author = populated().await;
    let client = Client::new(&author);
    author.remote().set_offline(true);
    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(matches!(err.reason(), TrustError::Server(ServerError::Network { .. })), "{err:?}");
    assert!(files_below(client.trust.path()).is_empty(), "{:?}", files_below(client.trust.path()));
}

#[tokio::test]
async fn repository_missing_on_the_server_is_reported_as_such() {
    let remote = MemoryRemote::default();
    let author = Author::new(GUN).await; // only for its GUN and clock
    let client = Client::new(&author);
    let err = client.update(&remote).await.unwrap_err();
    assert!(matches!(&err, TrustError::RepositoryNotFound { gun } if gun == GUN), "{err:?}");
    assert!(files_below(client.trust.path()).is_empty());
}

#[tokio::test]
async fn snapshot_missing_on_the_server_fails_without_falling_back() {
    let (mut author, client) = updated_client().await;
    author.add_target("targets", "next", b"manifest next").await;
    author.remote().serve_not_found(&author.current_by_hash_name("snapshot"));
    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(matches!(err.reason(), TrustError::Server(ServerError::NotFound { .. })), "{err:?}");
}

// ---- size limits ----

#[tokio::test]
async fn download_limits_follow_the_parent_meta() {
    let author = populated().await;
    let client = Client::new(&author);
    client.update(&author.remote()).await.unwrap();
    let remote = author.remote();
    let length = |role: &str| author.current(role).len() as u64;
    assert_eq!(remote.limit_of("root.json"), Some(limits::MAX_DOWNLOAD));
    assert_eq!(remote.limit_of("timestamp.json"), Some(limits::TIMESTAMP));
    assert_eq!(remote.limit_of(&author.current_by_hash_name("snapshot")), Some(length("snapshot")));
    assert_eq!(remote.limit_of(&author.current_by_hash_name("targets")), Some(length("targets")));
    assert_eq!(remote.limit_of(&author.current_by_hash_name(RELEASES)), Some(length(RELEASES)));
    // And those lengths are the ones the parents list.
    let trusted = client.update(&remote).await.unwrap();
    assert_eq!(trusted.timestamp().signed().snapshot_meta().unwrap().length as u64, length("snapshot"));
    assert_eq!(trusted.snapshot().signed().meta["targets"].length as u64, length("targets"));
}

#[tokio::test]
async fn timestamp_larger_than_one_mib_is_refused_without_falling_back_to_the_cache() {
    let (author, client) = updated_client().await;
    let before = client.cache();
    let mut huge = author.current("timestamp");
    huge.resize(limits::TIMESTAMP as usize + 1, b' ');
    author.remote().serve_bytes("timestamp.json", huge);

    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(
        matches!(err.reason(), TrustError::Server(ServerError::TooLarge { limit, .. }) if *limit == limits::TIMESTAMP),
        "{err:?}"
    );
    assert_eq!(client.cache(), before);
}

#[tokio::test]
async fn snapshot_longer_than_the_timestamp_lists_is_refused() {
    let (mut author, client) = updated_client().await;
    author.add_target("targets", "next", b"manifest next").await;
    let name = author.current_by_hash_name("snapshot");
    let mut longer = author.current("snapshot");
    longer.push(b' ');
    author.remote().serve_bytes(&name, longer);

    let err = client.update(&author.remote()).await.unwrap_err();
    let listed = author.current("snapshot").len() as u64;
    assert!(
        matches!(err.reason(), TrustError::Server(ServerError::TooLarge { limit, .. }) if *limit == listed),
        "{err:?}"
    );
}

// ---- trust pinning ----

#[tokio::test]
async fn pinning_a_wrong_certificate_rejects_the_first_root_and_caches_nothing() {
    let author = populated().await;
    let mut client = Client::new(&author);
    client.pinning.certs.insert(GUN.to_owned(), vec![KeyId::new("ab".repeat(32)).unwrap()]);
    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(matches!(err.reason(), TrustError::Root(RootValidationError::PinningMismatch { .. })), "{err:?}");
    assert!(client.cached("root").is_none());
}

#[tokio::test]
async fn pinning_the_right_certificate_accepts_the_root() {
    let author = populated().await;
    let mut client = Client::new(&author);
    client.pinning.certs.insert(GUN.to_owned(), author.root_key_ids());
    client.update(&author.remote()).await.unwrap();
    assert_eq!(client.cached("root").unwrap(), author.current("root"));
}

#[tokio::test]
async fn disabled_tofu_without_a_pin_rejects_the_first_root() {
    let author = populated().await;
    let mut client = Client::new(&author);
    client.pinning.disable_tofu = true;
    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(matches!(err.reason(), TrustError::Root(RootValidationError::PinningConfig { .. })), "{err:?}");
    assert!(files_below(client.trust.path()).is_empty());
}

#[tokio::test]
async fn a_cached_root_is_the_pin_so_pinning_is_not_applied_again() {
    let (author, mut client) = updated_client().await;
    client.pinning.certs.insert(GUN.to_owned(), vec![KeyId::new("ab".repeat(32)).unwrap()]);
    client.pinning.disable_tofu = true;
    client.update(&author.remote()).await.unwrap();
}

#[tokio::test]
async fn by_hash_names_match_the_remote() {
    // Guards the helper the other tests rely on.
    let author = Author::new(GUN).await;
    let snapshot = author.current("snapshot");
    assert_eq!(author.remote().published(&by_hash_name("snapshot", &snapshot)), Some(snapshot));
    assert_eq!(author.remote().published("1.root.json"), Some(author.current("root")));
}

#[tokio::test]
async fn an_unreadable_cached_root_fails_instead_of_trusting_the_servers_root() {
    let (author, client) = updated_client().await;
    // A symlink where the pinned root was: the cache refuses to follow it.
    let root = client.metadata_dir().join("root.json");
    let elsewhere = client.trust.path().join("elsewhere.json");
    std::fs::rename(&root, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &root).unwrap();
    let err = client.update(&author.remote()).await.unwrap_err();
    assert!(matches!(err.reason(), TrustError::Source(_)), "{err}");
    assert!(std::fs::symlink_metadata(&root).unwrap().file_type().is_symlink(), "the pin was replaced");
}

#[tokio::test]
async fn a_retry_that_succeeds_reports_the_first_failure_and_only_its_own_fallbacks() {
    let (mut author, client) = updated_client().await;
    // Root rotation: the cached root does not match the new snapshot's meta.root, so the first
    // attempt fails and the retry with the new root succeeds.
    author.rotate_root_key().await;
    let trusted = client.update(&author.remote()).await.unwrap();
    assert!(trusted.warnings().iter().any(|w| matches!(w, UpdateWarning::Retried { .. })), "{:?}", trusted.warnings());
    assert!(!trusted.served_from_cache());
}
