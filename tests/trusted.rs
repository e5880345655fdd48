//! The verification walk (spec §6.8 steps 1–4) over the real notary CLI fixtures: what a reader
//! trusts, and each way trust data fails.

mod support;

use std::path::{Path, PathBuf};

use notary_client::certs::TrustPinning;
use notary_client::clock::FixedClock;
use notary_client::metadata::{KeyId, RoleName, VerifyError};
use notary_client::trusted::{DirectorySource, TrustError, TrustedRepository};

const APP: &str = "localhost:5000/fixtures/app";
const CLIENT_SNAP: &str = "localhost:5000/fixtures/client-snap";
/// One hour after the fixtures were generated (fixtures/notary-cli/manifest.json).
const FIXTURE_TIME: &str = "2026-11-26T16:53:50Z";
/// Fifteen days after generation: the 14-day timestamp has expired.
const AFTER_TIMESTAMP_EXPIRY: &str = "2026-12-11T15:53:50Z";

fn fixture_dir(gun: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/notary-cli/trust/tuf").join(gun).join("metadata")
}

fn clock(at: &str) -> FixedClock {
    FixedClock::parse(at).unwrap()
}

fn verify_app(dir: &Path, at: &str) -> Result<TrustedRepository, TrustError> {
    TrustedRepository::verify(&DirectorySource::new(dir), APP, &TrustPinning::default(), &clock(at))
}

/// Rows of `notary list` output: (name, sha256 hex, length, role).
fn cli_rows(file: &str) -> Vec<(String, String, i64, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/notary-cli/cli").join(file);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(2)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_owned(), f[1].to_owned(), f[2].parse().unwrap(), f[3].to_owned())
        })
        .collect()
}

fn rows(entries: Vec<notary_client::trusted::TargetEntry>) -> Vec<(String, String, i64, String)> {
    let mut v: Vec<_> = entries
        .into_iter()
        .map(|t| (t.name, hex::encode(t.meta.sha256().unwrap()), t.meta.length, t.role.to_string()))
        .collect();
    v.sort();
    v
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

fn tampered_copy(role_file: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture_dir(APP), dir.path());
    let path = dir.path().join(role_file);
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit must change {role_file}");
    std::fs::write(path, edited).unwrap();
    dir
}

#[test]
fn lists_exactly_what_the_notary_cli_lists() {
    let repo = verify_app(&fixture_dir(APP), FIXTURE_TIME).unwrap();
    assert_eq!(rows(repo.targets()), cli_rows("localhost_5000_fixtures_app/list.txt"));
    assert!(repo.skipped().is_empty());
}

#[test]
fn lists_one_delegation_like_notary_list_r() {
    let repo = verify_app(&fixture_dir(APP), FIXTURE_TIME).unwrap();
    assert_eq!(
        rows(repo.role_targets(&RoleName::releases())),
        cli_rows("localhost_5000_fixtures_app/list-targets_releases.txt")
    );
}

#[test]
fn delegation_paths_are_restricted_by_the_parent() {
    let repo = verify_app(&fixture_dir(APP), FIXTURE_TIME).unwrap();
    let qa = repo.role(&RoleName::new("targets/qa").unwrap()).unwrap();
    assert_eq!(qa.paths, vec!["qa/".to_owned()]);
    assert!(qa.allows("qa/build-1") && !qa.allows("v1.0"));
}

#[test]
fn lookup_follows_dockers_role_order() {
    let repo = verify_app(&fixture_dir(APP), FIXTURE_TIME).unwrap();
    let docker_order = [RoleName::releases(), RoleName::targets()];
    let shared = repo.lookup("shared", &docker_order).unwrap();
    assert_eq!(shared.role, RoleName::releases());
    assert_eq!(
        hex::encode(shared.meta.sha256().unwrap()),
        cli_rows("localhost_5000_fixtures_app/list-targets_releases.txt")[2].1
    );
    assert_eq!(repo.lookup("hello", &docker_order).unwrap().role, RoleName::targets());
    assert_eq!(repo.lookup("shared", &[]).unwrap().role, RoleName::targets());
    assert!(repo.lookup("nope", &docker_order).is_none());
}

#[test]
fn lookup_skips_the_other_listed_roles_subtrees_like_go() {
    // `qa/shared` is signed by targets/releases and targets/qa. Walking `targets` while
    // `targets/releases` is also listed skips the releases subtree, so qa answers first.
    let repo = verify_app(&fixture_dir(APP), FIXTURE_TIME).unwrap();
    let qa = RoleName::new("targets/qa").unwrap();
    assert_eq!(repo.lookup("qa/shared", &[RoleName::targets(), RoleName::releases()]).unwrap().role, qa);
    assert_eq!(
        repo.lookup("qa/shared", &[RoleName::releases(), RoleName::targets()]).unwrap().role,
        RoleName::releases()
    );
}

#[test]
fn notary_0_1_and_0_3_repositories_verify_through_the_walk() {
    let Some(compat) = support::go_compat_dir() else { return };
    let at = clock("2026-01-01T00:00:00Z");
    let r01 = compat.join("notary0.1/tuf/docker.com/notary0.1/samplerepo/metadata");
    let repo = TrustedRepository::verify(
        &DirectorySource::new(r01),
        "docker.com/notary0.1/samplerepo",
        &TrustPinning::default(),
        &at,
    )
    .unwrap();
    assert_eq!(repo.targets().iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["LICENSE"]);
    let r03 = compat.join("notary0.3/tuf/docker.com/notary0.3/tst/metadata");
    let repo = TrustedRepository::verify(
        &DirectorySource::new(&r03),
        "docker.com/notary0.3/tst",
        &TrustPinning::default(),
        &at,
    )
    .unwrap();
    // targets/releases is signed with an rsa-x509 key and rsapss.
    assert_eq!(repo.lookup("hello", &[RoleName::releases()]).unwrap().role, RoleName::releases());
    assert_eq!(repo.targets().len(), 3);
    // Its root certificate expired on 2026-07-25: the real clock rejects the repository.
    let now = TrustedRepository::verify(
        &DirectorySource::new(&r03),
        "docker.com/notary0.3/tst",
        &TrustPinning::default(),
        &notary_client::clock::SystemClock,
    );
    assert!(matches!(now.as_ref().map_err(TrustError::reason), Err(TrustError::Root(_))), "{now:?}");
}

#[test]
fn a_root_other_than_the_one_the_snapshot_lists_is_rejected() {
    // The client-snap repository's root is valid on its own but is not the app's snapshot's.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture_dir(APP), dir.path());
    std::fs::copy(fixture_dir(CLIENT_SNAP).join("root.json"), dir.path().join("root.json")).unwrap();
    let err = TrustedRepository::verify(
        &DirectorySource::new(dir.path()),
        CLIENT_SNAP,
        &TrustPinning::default(),
        &clock(FIXTURE_TIME),
    )
    .unwrap_err();
    assert!(matches!(err.reason(), TrustError::Verify(_) | TrustError::Hash { .. }), "{err}");
}

#[test]
fn client_held_snapshot_repository_verifies() {
    let repo = TrustedRepository::verify(
        &DirectorySource::new(fixture_dir(CLIENT_SNAP)),
        CLIENT_SNAP,
        &TrustPinning::default(),
        &clock(FIXTURE_TIME),
    )
    .unwrap();
    assert_eq!(rows(repo.targets()), cli_rows("localhost_5000_fixtures_client-snap/list.txt"));
}

#[test]
fn expired_timestamp_is_rejected_naming_the_role() {
    let result = verify_app(&fixture_dir(APP), AFTER_TIMESTAMP_EXPIRY);
    match result.as_ref().map_err(TrustError::reason) {
        Err(TrustError::Verify(VerifyError::Expired { role, .. })) => assert_eq!(role, "timestamp"),
        other => panic!("expected an expired timestamp, got {other:?}"),
    }
}

#[test]
fn wrong_gun_is_rejected_by_root_validation() {
    let err = TrustedRepository::verify(
        &DirectorySource::new(fixture_dir(APP)),
        "localhost:5000/fixtures/other",
        &TrustPinning::default(),
        &clock(FIXTURE_TIME),
    )
    .unwrap_err();
    assert!(matches!(err.reason(), TrustError::Root(_)), "{err}");
}

#[test]
fn pinning_a_different_root_key_is_rejected() {
    let mut pinning = TrustPinning::default();
    pinning.certs.insert(APP.to_owned(), vec![KeyId::new("ab".repeat(32)).unwrap()]);
    let err = TrustedRepository::verify(&DirectorySource::new(fixture_dir(APP)), APP, &pinning, &clock(FIXTURE_TIME))
        .unwrap_err();
    assert!(matches!(err.reason(), TrustError::Root(_)), "{err}");
}

#[test]
fn tampered_delegation_fails_its_snapshot_hash() {
    let dir = tampered_copy("targets/releases.json", |t| t.replacen("\"length\":12", "\"length\":13", 1));
    let result = verify_app(dir.path(), FIXTURE_TIME);
    match result.as_ref().map_err(TrustError::reason) {
        Err(TrustError::Hash { role, listed_by, .. }) => {
            assert_eq!((role.as_str(), *listed_by), ("targets/releases", "snapshot"))
        }
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
}

#[test]
fn whitespace_added_to_targets_changes_its_checksum() {
    let dir = tampered_copy("targets.json", |t| t.replacen("{\"signed\":", "{ \"signed\":", 1));
    let result = verify_app(dir.path(), FIXTURE_TIME);
    assert!(matches!(result.as_ref().map_err(TrustError::reason), Err(TrustError::Hash { .. })), "{result:?}");
}

#[test]
fn missing_delegation_file_listed_in_snapshot_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture_dir(APP), dir.path());
    std::fs::remove_file(dir.path().join("targets/qa.json")).unwrap();
    match verify_app(dir.path(), FIXTURE_TIME) {
        Err(TrustError::Missing { role }) => assert_eq!(role, "targets/qa"),
        other => panic!("expected a missing file, got {other:?}"),
    }
}

#[test]
fn missing_root_says_the_repository_has_no_trust_data() {
    let dir = tempfile::tempdir().unwrap();
    let err = verify_app(dir.path(), FIXTURE_TIME).unwrap_err();
    assert!(err.to_string().contains("no trust data"), "{err}");
}
