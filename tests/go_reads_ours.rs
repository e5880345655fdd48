//! Interop, our bytes → Go: a repository written entirely by this crate (root certificate,
//! root, targets, a delegation, snapshot, timestamp) is verified and listed by the real
//! `notary` CLI from its cache (the server is unreachable, so Go verifies our files offline).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use chrono::{Duration, Utc};
use notary_client::certs::generate_root_certificate;
use notary_client::keys::{Signer, SoftwareKey};
use notary_client::metadata::{
    Custom, DelegatedRole, Expires, FileMeta, KeyId, PublicKey, RoleKeys, RoleName, Root, Signed, Snapshot, Targets,
    Timestamp, Version,
};

const GUN: &str = "localhost:5000/ours/app";

fn notary_available() -> bool {
    let ok = Command::new("notary").arg("version").output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "the notary CLI must be installed in CI (scripts/test does it)");
        eprintln!("skipped: the notary CLI is not installed (run scripts/test)");
    }
    ok
}

struct Repo {
    files: BTreeMap<String, Vec<u8>>,
}

fn keys_of(signers: &[&SoftwareKey]) -> BTreeMap<KeyId, PublicKey> {
    signers.iter().map(|s| (s.public_key().id().clone(), s.public_key().clone())).collect()
}

async fn build_repo() -> Repo {
    let now = Utc::now();
    let in_years = |y: i64| Expires::from_utc(now + Duration::days(365 * y));
    let root_key = SoftwareKey::generate_p256().unwrap();
    let cert = generate_root_certificate(GUN, &root_key, now).await.unwrap();
    let root_key = root_key.with_certificate(cert);
    let (targets_key, snapshot_key, timestamp_key, releases_key) = (
        SoftwareKey::generate_p256().unwrap(),
        SoftwareKey::generate_p256().unwrap(),
        SoftwareKey::generate_p256().unwrap(),
        SoftwareKey::generate_p256().unwrap(),
    );

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
    let root = Signed::sign(RoleName::root(), root, &[&root_key]).await.unwrap();

    let mut top = Targets::new(in_years(3), Version::new(2).unwrap());
    top.targets.insert("latest".into(), FileMeta::sha256_only([0xab; 32], 1234));
    let mut with_custom = FileMeta::for_metadata_bytes(b"payload");
    with_custom.custom = Some(
        Custom::canonical(&notary_client::canonical_json::Value::parse(br#"{"b":1,"a":[true]}"#).unwrap()).unwrap(),
    );
    top.targets.insert("café-ü".into(), with_custom);
    top.delegations.keys = Some(keys_of(&[&releases_key]));
    top.delegations.roles =
        Some(vec![DelegatedRole { name: RoleName::releases(), keys: role(&releases_key), paths: vec![String::new()] }]);
    let top = Signed::sign(RoleName::targets(), top, &[&targets_key]).await.unwrap();

    let mut rel = Targets::new(in_years(3), Version::FIRST);
    rel.targets.insert("v1.0".into(), FileMeta::sha256_only([0x11; 32], 528));
    rel.targets.insert("a<b&c>d".into(), FileMeta::sha256_only([0x22; 32], 7));
    let rel = Signed::sign(RoleName::releases(), rel, &[&releases_key]).await.unwrap();

    let mut files = BTreeMap::new();
    files.insert("root".to_owned(), root.to_file_bytes().unwrap());
    files.insert("targets".to_owned(), top.to_file_bytes().unwrap());
    files.insert("targets/releases".to_owned(), rel.to_file_bytes().unwrap());
    let snapshot = Snapshot {
        expires: in_years(3),
        meta: files.iter().map(|(k, v)| (k.clone(), FileMeta::for_metadata_bytes(v))).collect(),
        version: Version::FIRST,
    };
    let snapshot = Signed::sign(RoleName::snapshot(), snapshot, &[&snapshot_key]).await.unwrap();
    files.insert("snapshot".to_owned(), snapshot.to_file_bytes().unwrap());
    let timestamp = Timestamp {
        expires: Expires::from_utc(now + Duration::days(14)),
        meta: [("snapshot".to_owned(), FileMeta::for_metadata_bytes(&files["snapshot"]))].into(),
        version: Version::FIRST,
    };
    let timestamp = Signed::sign(RoleName::timestamp(), timestamp, &[&timestamp_key]).await.unwrap();
    files.insert("timestamp".to_owned(), timestamp.to_file_bytes().unwrap());
    Repo { files }
}

fn write_trust_dir(repo: &Repo, trust: &Path) {
    let meta = trust.join("tuf").join(GUN).join("metadata");
    for (role, bytes) in &repo.files {
        let path = meta.join(format!("{role}.json"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

fn notary_offline(trust: &Path, args: &[&str]) -> std::process::Output {
    Command::new("notary")
        .arg("-d")
        .arg(trust)
        .args(["-s", "https://127.0.0.1:9"]) // nothing listens: Go verifies its cache offline
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn notary_cli_lists_a_repository_written_here() {
    if !notary_available() {
        return;
    }
    let repo = build_repo().await;
    let dir = tempfile::tempdir().unwrap();
    write_trust_dir(&repo, dir.path());
    let out = notary_offline(dir.path(), &["list", GUN]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "notary list failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<Vec<&str>> = stdout.lines().skip(2).map(|l| l.split_whitespace().collect()).collect();
    let expect = [
        ["a<b&c>d", &"22".repeat(32), "7", "targets/releases"],
        ["café-ü", "239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5", "7", "targets"],
        ["latest", &"ab".repeat(32), "1234", "targets"],
        ["v1.0", &"11".repeat(32), "528", "targets/releases"],
    ];
    assert_eq!(rows.len(), expect.len(), "{stdout}");
    for (row, want) in rows.iter().zip(expect.iter()) {
        assert_eq!(row.as_slice(), want.as_slice(), "{stdout}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn notary_cli_rejects_our_repository_when_a_delegation_is_tampered() {
    if !notary_available() {
        return;
    }
    let mut repo = build_repo().await;
    let rel = repo.files.get_mut("targets/releases").unwrap();
    let text = String::from_utf8(rel.clone()).unwrap().replace("\"length\":528", "\"length\":529");
    *rel = text.into_bytes();
    let dir = tempfile::tempdir().unwrap();
    write_trust_dir(&repo, dir.path());
    let out = notary_offline(dir.path(), &["list", GUN, "-r", "targets/releases"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("v1.0"), "Go must not list a target from a tampered delegation:\n{stdout}");
}
