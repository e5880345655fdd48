//! Builds a complete repository offline with this crate — self-signed root certificate, root,
//! targets with a `targets/releases` delegation, snapshot and timestamp, every role with its own
//! fresh P-256 key — and lays it out as a notary trust-dir cache. Shared by the interop tests
//! and the Go comparison benchmark (`#[path]`-included there).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Duration, Utc};
use notary_client::certs::generate_root_certificate;
use notary_client::keys::{Signer, SoftwareKey};
use notary_client::metadata::{
    DelegatedRole, Expires, FileMeta, KeyId, PublicKey, RoleKeys, RoleName, Root, Signed, Snapshot, Targets, Timestamp,
    Version,
};

/// Metadata files by role name (`root`, `targets/releases`, ...).
pub type RepoFiles = BTreeMap<String, Vec<u8>>;

fn keys_of(signers: &[&SoftwareKey]) -> BTreeMap<KeyId, PublicKey> {
    signers.iter().map(|s| (s.public_key().id().clone(), s.public_key().clone())).collect()
}

fn new_key() -> SoftwareKey {
    SoftwareKey::generate_p256().expect("P-256 key generation")
}

/// A repository for `gun` with `top` in `targets` and `releases` in `targets/releases`.
pub async fn build_repo(gun: &str, top: Vec<(String, FileMeta)>, releases: Vec<(String, FileMeta)>) -> RepoFiles {
    let now = Utc::now();
    let in_years = |y: i64| Expires::from_utc(now + Duration::days(365 * y));
    let root_key = new_key();
    let cert = generate_root_certificate(gun, &root_key, now).await.expect("root certificate");
    let root_key = root_key.with_certificate(cert).expect("certificate of this key");
    let (targets_key, snapshot_key, timestamp_key, releases_key) = (new_key(), new_key(), new_key(), new_key());

    let role = |k: &SoftwareKey| RoleKeys::new(vec![k.public_key().id().clone()], 1);
    let root = Root {
        consistent_snapshot: false,
        expires: in_years(10),
        keys: keys_of(&[&root_key, &targets_key, &snapshot_key, &timestamp_key]),
        roles: [
            ("root".to_owned(), role(&root_key)),
            ("targets".to_owned(), role(&targets_key)),
            ("snapshot".to_owned(), role(&snapshot_key)),
            ("timestamp".to_owned(), role(&timestamp_key)),
        ]
        .into(),
        version: Version::FIRST,
    };
    let root = Signed::sign(RoleName::root(), root, &[&root_key]).await.expect("sign root");

    let mut body = Targets::new(in_years(3), Version::new(2).expect("version"));
    body.targets.extend(top);
    body.delegations.keys = Some(keys_of(&[&releases_key]));
    body.delegations.roles =
        Some(vec![DelegatedRole { name: RoleName::releases(), keys: role(&releases_key), paths: vec![String::new()] }]);
    let top = Signed::sign(RoleName::targets(), body, &[&targets_key]).await.expect("sign targets");

    let mut body = Targets::new(in_years(3), Version::FIRST);
    body.targets.extend(releases);
    let rel = Signed::sign(RoleName::releases(), body, &[&releases_key]).await.expect("sign releases");

    let mut files = RepoFiles::new();
    files.insert("root".to_owned(), root.to_file_bytes().expect("root bytes"));
    files.insert("targets".to_owned(), top.to_file_bytes().expect("targets bytes"));
    files.insert("targets/releases".to_owned(), rel.to_file_bytes().expect("releases bytes"));
    let snapshot = Snapshot {
        expires: in_years(3),
        meta: files.iter().map(|(k, v)| (k.clone(), FileMeta::for_metadata_bytes(v))).collect(),
        version: Version::FIRST,
    };
    let snapshot = Signed::sign(RoleName::snapshot(), snapshot, &[&snapshot_key]).await.expect("sign snapshot");
    files.insert("snapshot".to_owned(), snapshot.to_file_bytes().expect("snapshot bytes"));
    let timestamp = Timestamp {
        expires: Expires::from_utc(now + Duration::days(14)),
        meta: [("snapshot".to_owned(), FileMeta::for_metadata_bytes(&files["snapshot"]))].into(),
        version: Version::FIRST,
    };
    let timestamp = Signed::sign(RoleName::timestamp(), timestamp, &[&timestamp_key]).await.expect("sign timestamp");
    files.insert("timestamp".to_owned(), timestamp.to_file_bytes().expect("timestamp bytes"));
    files
}

/// Writes `files` as the cache of `gun` in the trust directory `trust`
/// (`<trust>/tuf/<gun>/metadata/<role>.json`) and returns the metadata directory.
pub fn write_trust_dir(files: &RepoFiles, gun: &str, trust: &Path) -> std::path::PathBuf {
    let meta = trust.join("tuf").join(gun).join("metadata");
    for (role, bytes) in files {
        let path = meta.join(format!("{role}.json"));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create metadata dir");
        std::fs::write(path, bytes).expect("write metadata");
    }
    meta
}
