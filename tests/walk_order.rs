//! Which role a reader's name resolves to in a nested delegation tree (notary's `WalkTargets`
//! is breadth-first), and a role listed twice (notary's builder refuses a second load).

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use notary_client::certs::{TrustPinning, generate_root_certificate};
use notary_client::clock::SystemClock;
use notary_client::keys::{Signer, SoftwareKey};
use notary_client::metadata::{
    DelegatedRole, Expires, FileMeta, RoleKeys, RoleName, Root, Signed, Snapshot, Targets, Timestamp, Version,
};
use notary_client::trusted::{DirectorySource, TrustError, TrustedRepository};

const GUN: &str = "example.com/walk/order";

fn role(name: &str) -> RoleName {
    RoleName::new(name).unwrap()
}

/// One targets role: its name, its delegated children and its own targets (name, digest byte).
type RoleSpec<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, u8)]);

/// A repository where every targets role is signed by one delegation key.
async fn write_repo(dir: &std::path::Path, tree: &[RoleSpec<'_>]) {
    let now = Utc::now();
    let later = Expires::from_utc(now + Duration::days(365));
    let root_key = SoftwareKey::generate_p256().unwrap();
    let cert = generate_root_certificate(GUN, &root_key, now).await.unwrap();
    let root_key = root_key.with_certificate(cert).unwrap();
    let key = SoftwareKey::generate_p256().unwrap();
    let id = key.public_key().id().clone();
    let one = |k: &SoftwareKey| RoleKeys::new(vec![k.public_key().id().clone()], 1);
    let root = Root {
        consistent_snapshot: false,
        expires: later,
        keys: BTreeMap::from([
            (root_key.public_key().id().clone(), root_key.public_key().clone()),
            (id.clone(), key.public_key().clone()),
        ]),
        roles: [("root", one(&root_key)), ("targets", one(&key)), ("snapshot", one(&key)), ("timestamp", one(&key))]
            .map(|(n, r)| (n.to_owned(), r))
            .into(),
        version: Version::FIRST,
    };
    let root = Signed::sign(RoleName::root(), root, &[&root_key]).await.unwrap();
    let mut bytes = BTreeMap::from([("root".to_owned(), root.to_file_bytes().unwrap())]);
    for (name, children, own) in tree {
        let mut body = Targets::new(later, Version::FIRST);
        for (target, byte) in *own {
            body.targets.insert((*target).to_owned(), FileMeta::sha256_only([*byte; 32], 1));
        }
        body.delegations.keys = Some(BTreeMap::from([(id.clone(), key.public_key().clone())]));
        body.delegations.roles = Some(
            children
                .iter()
                .map(|c| DelegatedRole { name: role(c), keys: one(&key), paths: vec![String::new()] })
                .collect(),
        );
        let signed = Signed::sign(role(name), body, &[&key]).await.unwrap();
        bytes.insert((*name).to_owned(), signed.to_file_bytes().unwrap());
    }
    let snapshot = Snapshot {
        expires: later,
        meta: bytes.iter().map(|(n, b)| (n.clone(), FileMeta::for_metadata_bytes(b))).collect(),
        version: Version::FIRST,
    };
    let snapshot = Signed::sign(RoleName::snapshot(), snapshot, &[&key]).await.unwrap().to_file_bytes().unwrap();
    let timestamp = Timestamp {
        expires: later,
        meta: [("snapshot".to_owned(), FileMeta::for_metadata_bytes(&snapshot))].into(),
        version: Version::FIRST,
    };
    bytes.insert("snapshot".to_owned(), snapshot);
    bytes.insert(
        "timestamp".to_owned(),
        Signed::sign(RoleName::timestamp(), timestamp, &[&key]).await.unwrap().to_file_bytes().unwrap(),
    );
    for (name, b) in bytes {
        let path = dir.join(format!("{name}.json"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b).unwrap();
    }
}

fn verify(dir: &std::path::Path) -> Result<TrustedRepository, TrustError> {
    TrustedRepository::verify(&DirectorySource::new(dir), GUN, &TrustPinning::default(), &SystemClock)
}

#[tokio::test]
async fn a_name_resolves_breadth_first_so_a_sibling_beats_a_grandchild() {
    let dir = tempfile::tempdir().unwrap();
    // targets → [a, b], a → [a/x]; "t" is signed by a/x and by b.
    write_repo(
        dir.path(),
        &[
            ("targets", &["targets/a", "targets/b"], &[]),
            ("targets/a", &["targets/a/x"], &[]),
            ("targets/a/x", &[], &[("t", 1)]),
            ("targets/b", &[], &[("t", 2)]),
        ],
    )
    .await;
    let repo = verify(dir.path()).unwrap();
    let walk: Vec<&str> = repo.targets_roles().iter().map(|t| t.role().as_str()).collect();
    assert_eq!(walk, ["targets", "targets/a", "targets/b", "targets/a/x"]);
    assert_eq!(repo.lookup("t", &[]).unwrap().role, role("targets/b"));
    assert_eq!(repo.targets()[0].role, role("targets/b"));
    assert_eq!(repo.lookup("t", &[role("targets/a")]).unwrap().role, role("targets/a/x"));
}

#[tokio::test]
async fn a_role_listed_twice_aborts_verification() {
    let dir = tempfile::tempdir().unwrap();
    write_repo(dir.path(), &[("targets", &["targets/a", "targets/a"], &[]), ("targets/a", &[], &[("t", 1)])]).await;
    let err = verify(dir.path()).unwrap_err();
    assert!(matches!(err.reason(), TrustError::AlreadyLoaded { role } if role == "targets/a"), "{err}");
}
