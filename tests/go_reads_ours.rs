//! Interop, our bytes → Go: a repository written entirely by this crate (root certificate,
//! root, targets, a delegation, snapshot, timestamp) is verified and listed by the real
//! `notary` CLI from its cache (the server is unreachable, so Go verifies our files offline).

use std::path::Path;
use std::process::Command;

use notary_client::canonical_json::Value;
use notary_client::metadata::{Custom, FileMeta};

#[path = "support/repo_builder.rs"]
mod repo_builder;
use repo_builder::{RepoFiles, build_repo, write_trust_dir};

const GUN: &str = "localhost:5000/ours/app";

fn notary_available() -> bool {
    let ok = Command::new("notary").arg("version").output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "the notary CLI must be installed in CI (scripts/test does it)");
        eprintln!("skipped: the notary CLI is not installed (run scripts/test)");
    }
    ok
}

async fn build() -> RepoFiles {
    let mut with_custom = FileMeta::for_metadata_bytes(b"payload");
    with_custom.custom = Some(Custom::canonical(&Value::parse(br#"{"b":1,"a":[true]}"#).unwrap()).unwrap());
    build_repo(
        GUN,
        vec![("latest".into(), FileMeta::sha256_only([0xab; 32], 1234)), ("café-ü".into(), with_custom)],
        vec![
            ("v1.0".into(), FileMeta::sha256_only([0x11; 32], 528)),
            ("a<b&c>d".into(), FileMeta::sha256_only([0x22; 32], 7)),
        ],
    )
    .await
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
    let repo = build().await;
    let dir = tempfile::tempdir().unwrap();
    write_trust_dir(&repo, GUN, dir.path());
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
    let mut repo = build().await;
    let rel = repo.get_mut("targets/releases").unwrap();
    let text = String::from_utf8(rel.clone()).unwrap().replace("\"length\":528", "\"length\":529");
    *rel = text.into_bytes();
    let dir = tempfile::tempdir().unwrap();
    write_trust_dir(&repo, GUN, dir.path());
    let out = notary_offline(dir.path(), &["list", GUN, "-r", "targets/releases"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("v1.0"), "Go must not list a target from a tampered delegation:\n{stdout}");
}
