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

use notary_client::key_file::{KeyFile, decode_public_key, encode_public_key};
use notary_client::keys::{Signer, SoftwareKey};
use notary_client::metadata::{FileMeta, Gun, RoleName};
use notary_client::passphrase::FixedPassphrase;
use notary_client::repository::{
    Change, InitOptions, KeyHolder, Keyring, PublishError, Published, Repository, TargetRoles,
};
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
    let published =
        publish(&repo, &[Change::add_delegation(RoleName::releases(), vec![ci_public.clone()], vec![String::new()])])
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
    let row =
        CliTarget { name: "1.0".into(), sha256_hex: hex::encode(digest), size: 528, role: "targets/releases".into() };
    assert_eq!(cli.list(None), vec![row]);
    let delegations = cli.delegation_list();
    assert_eq!(delegations.len(), 1, "{delegations:?}");
    assert_eq!(delegations[0].role, "targets/releases");
    assert_eq!(delegations[0].paths, vec![String::new()]);
    assert_eq!(delegations[0].canonical_key_ids, vec![ci_public.id().to_string()]);
    assert_eq!(delegations[0].threshold, 1);
}

// ------------------------------------------------------------------------------ helpers 2

/// The roles of a publish, in upload order.
fn roles_of(published: &Published) -> Vec<&str> {
    published.files.iter().map(|(r, _)| r.as_str()).collect()
}

/// `signed.version` of the file uploaded for `role`.
fn uploaded_version(published: &Published, role: &RoleName) -> u64 {
    let bytes = published.file(role).unwrap_or_else(|| panic!("{role} was not uploaded"));
    json(bytes)["signed"]["version"].as_u64().expect("signed.version")
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("metadata is JSON")
}

/// What a reader of ours sees, as `notary list` rows (sorted).
async fn our_rows(repo: &Repository) -> Vec<CliTarget> {
    let trusted = repo.update().await.unwrap_or_else(|e| panic!("update of {} failed: {e}", repo.gun()));
    let mut rows: Vec<CliTarget> = trusted
        .targets()
        .into_iter()
        .map(|t| CliTarget {
            name: t.name.clone(),
            sha256_hex: hex::encode(t.meta.sha256().expect("a sha256")),
            size: t.meta.length as u64,
            role: t.role.to_string(),
        })
        .collect();
    rows.sort();
    rows
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

fn role(name: &str) -> RoleName {
    RoleName::new(name).unwrap_or_else(|e| panic!("{name:?}: {e}"))
}

/// A repository of `gun_name` with a fresh trust dir of its own and `key` as its only key
/// (a CI job holding one delegation key).
fn key_holder(stack: &Stack, gun_name: &str, trust: &Path, key: Arc<SoftwareKey>) -> Repository {
    Repository::new(gun(gun_name), server(stack), TrustDir::new(trust)).with_keys(Keyring::new().with_signer(key))
}

/// A repository made by the notary CLI (server-held snapshot) in which the CLI delegated
/// `targets/releases` (all paths) to the public key of `key`, which only we hold; published.
fn cli_repo_delegating_releases_to<'s>(stack: &'s Stack, gun_name: &str, key: &SoftwareKey) -> CliRepo<'s> {
    let cli = CliRepo::init(stack, gun_name);
    let pem = encode_public_key(&key.bare_public_key(), "releases");
    let id = cli.stage_delegation_public_key("targets/releases", &pem, notary_cli::ALL_PATHS);
    assert_eq!(id, key.bare_public_key().id().to_string(), "notary printed another canonical ID for our key");
    cli.publish();
    cli
}

/// An openssl P-256 key with a self-signed certificate (made through `cli`), as a signer
/// whose metadata key is the `ecdsa-x509` certificate key.
fn x509_signer(cli: &CliRepo<'_>, role_name: &str) -> Arc<SoftwareKey> {
    let (key_pem, cert_pem) = cli.openssl_key_pair(role_name);
    let private = KeyFile::parse(&key_pem).and_then(|f| f.decrypt(None)).expect("read openssl's PKCS#8 key");
    let signer = SoftwareKey::from_private_key(private)
        .and_then(|k| k.with_certificate(cert_pem.clone()))
        .expect("a signer for the certificate key");
    let cert_key = decode_public_key(&cert_pem).expect("decode the certificate PEM");
    assert_eq!(signer.public_key(), &cert_key);
    assert_eq!(cert_key.id().as_str(), notary_cli::x509_tuf_key_id("ecdsa-x509", &cert_pem));
    Arc::new(signer)
}

/// `notary ARGS` against `stack` with trust dir `trust` and every passphrase variable set to
/// [`PASSPHRASE`] (the passphrase of our key files); fails the test unless it exits 0.
#[track_caller]
fn notary_in_our_trust_dir(stack: &Stack, trust: &Path, args: &[&str]) -> String {
    let mut cmd = stack.notary(trust);
    for var in [
        "NOTARY_ROOT_PASSPHRASE",
        "NOTARY_TARGETS_PASSPHRASE",
        "NOTARY_SNAPSHOT_PASSPHRASE",
        "NOTARY_DELEGATION_PASSPHRASE",
    ] {
        cmd.env(var, PASSPHRASE);
    }
    let out = cmd.args(args).output().unwrap_or_else(|e| panic!("cannot run notary {args:?}: {e}"));
    assert!(
        out.status.success(),
        "notary {} (trust dir {}) failed ({}):\n--- stdout\n{}--- stderr\n{}{}",
        args.join(" "),
        trust.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        stack.log_tails()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ------------------------------------------------------------------------------ tests 2

#[tokio::test(flavor = "current_thread")]
async fn a_cli_made_repository_gets_a_tag_signed_here_into_releases_and_the_cli_publishes_after() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let name = "example.com/publish/cli-made";
    let key = Arc::new(SoftwareKey::generate_p256().unwrap());
    let cli = cli_repo_delegating_releases_to(&stack, name, &key);

    let trust = tempdir();
    let repo = key_holder(&stack, name, trust.path(), key.clone());
    let (meta, signed_here) = target("1.0", b"release 1.0\n", "targets/releases");
    let published = publish(&repo, &[Change::add_target(RoleName::releases(), "1.0", meta)]).await;
    assert_eq!(roles_of(&published), ["targets/releases"]);
    assert_eq!(uploaded_version(&published, &RoleName::releases()), 1);
    assert_served_as_sent(&stack, name, &published).await;
    assert_eq!(cli.list(None), vec![signed_here.clone()]);

    // The CLI publishes on top (into targets), leaving our file alone.
    let by_cli = cli.add_target("other", b"signed by the CLI\n", None);
    let everything = sorted(vec![signed_here.clone(), by_cli.clone()]);
    assert_eq!(CliRepo::attach(&stack, name).list(None), everything);
    assert_eq!(our_rows(&repo).await, everything);
    assert_eq!(cli.server_json("targets/releases.json")["signed"]["version"], 1);

    // A second signature here builds on our first: version 2, both tags.
    let (meta, second) = target("1.1", b"release 1.1\n", "targets/releases");
    let again = publish(&repo, &[Change::add_target(RoleName::releases(), "1.1", meta)]).await;
    assert_eq!(roles_of(&again), ["targets/releases"]);
    assert_eq!(uploaded_version(&again, &RoleName::releases()), 2);
    assert_served_as_sent(&stack, name, &again).await;
    let everything = sorted(vec![signed_here, by_cli, second]);
    assert_eq!(cli.list(None), everything);
    assert_eq!(CliRepo::attach(&stack, name).list(None), everything);
    assert_eq!(our_rows(&repo).await, everything);
}

#[tokio::test(flavor = "current_thread")]
async fn docker_role_choice_in_a_cli_made_repository_signs_only_the_delegation_whose_key_we_hold() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let name = "example.com/publish/cli-made-signable";
    let key = Arc::new(SoftwareKey::generate_p256().unwrap());
    let cli = cli_repo_delegating_releases_to(&stack, name, &key);
    // Another direct child of targets, whose key only the CLI holds.
    cli.add_delegation("targets/alice", notary_cli::ALL_PATHS);

    let trust = tempdir();
    let repo = key_holder(&stack, name, trust.path(), key.clone());
    let digest = [0x42; 32];
    let published =
        publish(&repo, &[Change::add_target(TargetRoles::Signable, "2.0", FileMeta::sha256_only(digest, 1234))]).await;
    assert_eq!(roles_of(&published), ["targets/releases"]);
    assert_eq!(uploaded_version(&published, &RoleName::releases()), 1);
    assert_served_as_sent(&stack, name, &published).await;

    let row =
        CliTarget { name: "2.0".into(), sha256_hex: hex::encode(digest), size: 1234, role: "targets/releases".into() };
    assert_eq!(cli.list(None), vec![row.clone()]);
    assert_eq!(CliRepo::attach(&stack, name).list(None), vec![row.clone()]);
    assert_eq!(our_rows(&repo).await, vec![row]);
}

#[tokio::test(flavor = "current_thread")]
async fn the_cli_signs_releases_with_its_own_key_on_top_of_a_version_signed_here() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let name = "example.com/publish/cli-after-us";
    let key = Arc::new(SoftwareKey::generate_p256().unwrap());
    let cli = cli_repo_delegating_releases_to(&stack, name, &key);
    // The CLI gets a key of its own for targets/releases (threshold stays 1).
    let cli_key = cli.add_delegation("targets/releases", notary_cli::ALL_PATHS);
    let listed = cli.delegation_list();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        listed[0].canonical_key_ids,
        sorted(vec![key.bare_public_key().id().to_string(), cli_key.canonical_id.clone()])
    );

    let trust = tempdir();
    let repo = key_holder(&stack, name, trust.path(), key.clone());
    let (meta, ours) = target("1.0", b"ours\n", "targets/releases");
    let published = publish(&repo, &[Change::add_target(RoleName::releases(), "1.0", meta)]).await;
    assert_eq!(uploaded_version(&published, &RoleName::releases()), 1);
    assert_served_as_sent(&stack, name, &published).await;

    let theirs = cli.add_target("1.1", b"the CLI's\n", Some("targets/releases"));
    let releases = cli.server_json("targets/releases.json");
    assert_eq!(releases["signed"]["version"], 2, "the CLI re-signs our version 1");
    assert_eq!(notary_cli::signature_key_ids(&releases), vec![cli_key.tuf_id.clone()]);
    let both = sorted(vec![ours.clone(), theirs.clone()]);
    assert_eq!(CliRepo::attach(&stack, name).list(None), both);
    assert_eq!(our_rows(&repo).await, both);

    // And we build on the CLI's version 2.
    let (meta, third) = target("1.2", b"ours again\n", "targets/releases");
    let again = publish(&repo, &[Change::add_target(RoleName::releases(), "1.2", meta)]).await;
    assert_eq!(uploaded_version(&again, &RoleName::releases()), 3);
    assert_served_as_sent(&stack, name, &again).await;
    let all = sorted(vec![ours, theirs, third]);
    assert_eq!(cli.list(None), all);
    assert_eq!(CliRepo::attach(&stack, name).list(None), all);
}

#[tokio::test(flavor = "current_thread")]
async fn a_path_restricted_x509_delegation_made_here_signs_only_under_its_paths() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/team";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    let cli = CliRepo::attach(&stack, name);
    let team_key = x509_signer(&cli, "targets/team");
    repo.keys().add_signer(team_key.clone());
    let team = role("targets/team");

    let delegated = publish(
        &repo,
        &[Change::add_delegation(team.clone(), vec![team_key.public_key().clone()], vec!["team/".into()])],
    )
    .await;
    assert_eq!(roles_of(&delegated), ["root", "targets"]);
    assert_served_as_sent(&stack, name, &delegated).await;

    let (meta, row) = target("team/app", b"team app\n", "targets/team");
    let signed = publish(&repo, &[Change::add_target(team.clone(), "team/app", meta.clone())]).await;
    assert_eq!(roles_of(&signed), ["targets/team"]);
    assert_served_as_sent(&stack, name, &signed).await;

    let refused = repo.publish(&[Change::add_target(team.clone(), "other", meta)]).await;
    assert!(
        matches!(
            &refused,
            Err(PublishError::PathNotAllowed { role, name, paths })
                if role == "targets/team" && name == "other" && paths == &["team/".to_owned()]
        ),
        "{refused:?}"
    );

    let listed = cli.delegation_list();
    assert_eq!(
        listed,
        vec![notary_cli::CliDelegation {
            role: "targets/team".into(),
            paths: vec!["team/".into()],
            canonical_key_ids: vec![team_key.bare_public_key().id().to_string()],
            threshold: 1,
        }]
    );
    assert_eq!(cli.list(None), vec![row]);
}

#[tokio::test(flavor = "current_thread")]
async fn targets_key_rotated_here_is_followed_by_the_cli() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/rotate-targets";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    let (meta, row) = target("v1", b"before the rotation\n", "targets");
    let first = publish(&repo, &[Change::add_target(RoleName::targets(), "v1", meta)]).await;
    assert_served_as_sent(&stack, name, &first).await;
    let cli = CliRepo::attach(&stack, name);
    let root_version = cli.root_version();
    let old_ids = cli.root_role_key_ids("targets");

    let rotated = repo.rotate_key(&RoleName::targets(), KeyHolder::Local).await.expect("rotate the targets key");
    assert_eq!(roles_of(&rotated), ["root", "targets"]);
    assert_served_as_sent(&stack, name, &rotated).await;

    assert_eq!(cli.root_version(), root_version + 1);
    let new_ids = cli.root_role_key_ids("targets");
    assert_eq!(new_ids.len(), 1);
    assert_ne!(new_ids, old_ids);
    assert_eq!(notary_cli::signature_key_ids(&cli.server_json("targets.json")), new_ids);
    // The replaced private key is deleted, as notary does.
    let old_id = notary_client::metadata::KeyId::new(old_ids[0].clone()).unwrap();
    assert!(TrustDir::new(trust.path()).keys().find(&old_id).is_err(), "the old targets key is still stored");

    assert_eq!(CliRepo::attach(&stack, name).list(None), vec![row.clone()]);
    assert_eq!(our_rows(&repo).await, vec![row]);
}

#[tokio::test(flavor = "current_thread")]
async fn snapshot_key_handed_to_the_server_here_stops_snapshot_uploads_and_the_cli_lists() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/rotate-snapshot";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions { snapshot: KeyHolder::Local, ..InitOptions::default() }).await.expect("init");
    let (meta, first_row) = target("v1", b"client snapshot first\n", "targets");
    let first = publish(&repo, &[Change::add_target(RoleName::targets(), "v1", meta)]).await;
    assert_eq!(roles_of(&first), ["root", "targets", "snapshot"]);
    assert_served_as_sent(&stack, name, &first).await;
    let cli = CliRepo::attach(&stack, name);
    let old_ids = cli.root_role_key_ids("snapshot");

    let rotated = repo.rotate_key(&RoleName::snapshot(), KeyHolder::Server).await.expect("hand the snapshot key over");
    assert_eq!(roles_of(&rotated), ["root"]);
    assert_served_as_sent(&stack, name, &rotated).await;
    let new_ids = cli.root_role_key_ids("snapshot");
    assert_ne!(new_ids, old_ids);
    assert_eq!(notary_cli::signature_key_ids(&cli.server_json("snapshot.json")), new_ids);

    let (meta, second_row) = target("v2", b"server snapshot after\n", "targets");
    let second = publish(&repo, &[Change::add_target(RoleName::targets(), "v2", meta)]).await;
    assert_eq!(roles_of(&second), ["targets"]);
    assert_served_as_sent(&stack, name, &second).await;
    let both = sorted(vec![first_row, second_row]);
    assert_eq!(CliRepo::attach(&stack, name).list(None), both);
    assert_eq!(our_rows(&repo).await, both);
}

#[tokio::test(flavor = "current_thread")]
async fn root_key_rotated_here_is_signed_by_both_keys_and_followed_by_a_cli_with_the_old_root_cached() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/rotate-root";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    let (meta, row) = target("v1", b"under the old root\n", "targets");
    let first = publish(&repo, &[Change::add_target(RoleName::targets(), "v1", meta)]).await;
    assert_served_as_sent(&stack, name, &first).await;

    // A reader that trusts (and caches) the old root.
    let cli = CliRepo::attach(&stack, name);
    assert_eq!(cli.list(None), vec![row.clone()]);
    let old_version = cli.root_version();
    let old_ids = cli.root_role_key_ids("root");
    assert_eq!(old_ids.len(), 1);

    let rotated = repo.rotate_key(&RoleName::root(), KeyHolder::Local).await.expect("rotate the root key");
    assert_eq!(roles_of(&rotated), ["root"]);
    assert_served_as_sent(&stack, name, &rotated).await;
    let root = json(rotated.file(&RoleName::root()).unwrap());
    assert_eq!(root["signed"]["version"].as_u64(), Some(old_version + 1));
    let new_ids = notary_cli::key_ids_of_role(&root, "root");
    assert_eq!(new_ids.len(), 1);
    assert_ne!(new_ids, old_ids);
    assert_eq!(
        sorted(notary_cli::signature_key_ids(&root)),
        sorted(vec![old_ids[0].clone(), new_ids[0].clone()]),
        "the new root is signed by the old and the new root key"
    );

    // The same CLI trust dir follows the rotation from its cached root.
    assert_eq!(cli.list(None), vec![row.clone()]);
    let cached = std::fs::read(cli.cli_metadata_dir().join("root.json")).expect("the CLI cached root.json");
    assert!(cached == rotated.file(&RoleName::root()).unwrap(), "the CLI did not cache the rotated root");
    assert_eq!(CliRepo::attach(&stack, name).list(None), vec![row.clone()]);
    assert_eq!(our_rows(&repo).await, vec![row]);
}

#[tokio::test(flavor = "current_thread")]
async fn timestamp_key_rotated_on_the_server_from_here_is_followed_by_the_cli() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/rotate-timestamp";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    let (meta, row) = target("v1", b"timestamp rotation\n", "targets");
    let first = publish(&repo, &[Change::add_target(RoleName::targets(), "v1", meta)]).await;
    assert_served_as_sent(&stack, name, &first).await;
    let cli = CliRepo::attach(&stack, name);
    assert_eq!(cli.list(None), vec![row.clone()]);
    let old_version = cli.root_version();
    let old_ids = cli.root_role_key_ids("timestamp");

    let rotated = repo.rotate_key(&RoleName::timestamp(), KeyHolder::Server).await.expect("rotate the timestamp key");
    assert_eq!(roles_of(&rotated), ["root"]);
    assert_served_as_sent(&stack, name, &rotated).await;
    assert_eq!(cli.root_version(), old_version + 1);
    let new_ids = cli.root_role_key_ids("timestamp");
    assert_ne!(new_ids, old_ids);
    assert_eq!(notary_cli::signature_key_ids(&cli.server_json("timestamp.json")), new_ids);

    assert_eq!(cli.list(None), vec![row.clone()]);
    assert_eq!(CliRepo::attach(&stack, name).list(None), vec![row.clone()]);
    assert_eq!(our_rows(&repo).await, vec![row]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_target_removed_here_is_no_longer_listed_by_the_cli() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/remove-target";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    let (m1, r1) = target("v1", b"to be removed\n", "targets");
    let (m2, r2) = target("v2", b"to stay\n", "targets");
    let first = publish(
        &repo,
        &[Change::add_target(RoleName::targets(), "v1", m1), Change::add_target(RoleName::targets(), "v2", m2)],
    )
    .await;
    assert_served_as_sent(&stack, name, &first).await;
    assert_eq!(CliRepo::attach(&stack, name).list(None), sorted(vec![r1, r2.clone()]));

    let removed = publish(&repo, &[Change::remove_target(RoleName::targets(), "v1")]).await;
    assert_eq!(roles_of(&removed), ["targets"]);
    assert_served_as_sent(&stack, name, &removed).await;
    let cli = CliRepo::attach(&stack, name);
    assert_eq!(cli.list(None), vec![r2.clone()]);
    assert_eq!(cli.lookup("v1"), None);
    assert_eq!(our_rows(&repo).await, vec![r2]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_delegation_deleted_here_disappears_with_its_targets_from_the_cli() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/delete-delegation";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    let ci_key = Arc::new(SoftwareKey::generate_p256().unwrap());
    repo.keys().add_signer(ci_key.clone());
    let (release_meta, release_row) = target("1.0", b"signed by releases\n", "targets/releases");
    let (base_meta, base_row) = target("base", b"signed by targets\n", "targets");
    let first = publish(
        &repo,
        &[
            Change::add_delegation(RoleName::releases(), vec![ci_key.public_key().clone()], vec![String::new()]),
            Change::add_target(RoleName::releases(), "1.0", release_meta),
            Change::add_target(RoleName::targets(), "base", base_meta),
        ],
    )
    .await;
    assert_eq!(roles_of(&first), ["root", "targets", "targets/releases"]);
    assert_served_as_sent(&stack, name, &first).await;
    let before = CliRepo::attach(&stack, name);
    assert_eq!(before.list(None), sorted(vec![release_row, base_row.clone()]));
    assert_eq!(before.delegation_list().len(), 1);

    let deleted = publish(&repo, &[Change::DeleteDelegation { role: RoleName::releases() }]).await;
    assert_eq!(roles_of(&deleted), ["targets"]);
    assert_served_as_sent(&stack, name, &deleted).await;
    let targets = json(deleted.file(&RoleName::targets()).unwrap());
    assert_eq!(targets["signed"]["delegations"], serde_json::json!({"keys": {}, "roles": []}));

    let cli = CliRepo::attach(&stack, name);
    assert_eq!(cli.delegation_list(), vec![]);
    assert_eq!(cli.list(None), vec![base_row.clone()]);
    assert_eq!(our_rows(&repo).await, vec![base_row]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_delegation_key_removed_here_by_canonical_id_is_no_longer_listed_by_the_cli() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/remove-delegation-key";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    let cli = CliRepo::attach(&stack, name);
    let kept = Arc::new(SoftwareKey::generate_p256().unwrap());
    repo.keys().add_signer(kept.clone());
    // A certificate key: its canonical ID (the bare key's) differs from its TUF ID.
    let removed = x509_signer(&cli, "targets/releases");
    let removed_canonical = removed.bare_public_key().id().clone();
    assert_ne!(&removed_canonical, removed.public_key().id());
    let (meta, row) = target("1.0", b"signed by the kept key\n", "targets/releases");
    let first = publish(
        &repo,
        &[
            Change::add_delegation(
                RoleName::releases(),
                vec![kept.public_key().clone(), removed.public_key().clone()],
                vec![String::new()],
            ),
            Change::add_target(RoleName::releases(), "1.0", meta),
        ],
    )
    .await;
    assert_served_as_sent(&stack, name, &first).await;
    let listed = cli.delegation_list();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        listed[0].canonical_key_ids,
        sorted(vec![kept.public_key().id().to_string(), removed_canonical.to_string()])
    );

    let published = publish(
        &repo,
        &[Change::RemoveDelegationKeys { role: RoleName::releases(), key_ids: vec![removed_canonical.clone()] }],
    )
    .await;
    assert_eq!(roles_of(&published), ["targets"]);
    assert_served_as_sent(&stack, name, &published).await;
    let targets = json(published.file(&RoleName::targets()).unwrap());
    let delegations = &targets["signed"]["delegations"];
    let listed_keys: Vec<&String> = delegations["keys"].as_object().expect("delegations.keys").keys().collect();
    assert_eq!(listed_keys, vec![kept.public_key().id().as_str()], "the unused key is pruned");
    assert_eq!(delegations["roles"][0]["keyids"], serde_json::json!([kept.public_key().id().as_str()]));

    let listed = CliRepo::attach(&stack, name).delegation_list();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].canonical_key_ids, vec![kept.public_key().id().to_string()]);
    assert_eq!(CliRepo::attach(&stack, name).list(None), vec![row.clone()]);
    assert_eq!(our_rows(&repo).await, vec![row]);
}

#[tokio::test(flavor = "current_thread")]
async fn witnessing_releases_here_bumps_its_version_with_unchanged_targets() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/witness";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    let ci_key = Arc::new(SoftwareKey::generate_p256().unwrap());
    repo.keys().add_signer(ci_key.clone());
    let (meta, row) = target("1.0", b"witnessed\n", "targets/releases");
    let first = publish(
        &repo,
        &[
            Change::add_delegation(RoleName::releases(), vec![ci_key.public_key().clone()], vec![String::new()]),
            Change::add_target(RoleName::releases(), "1.0", meta),
        ],
    )
    .await;
    assert_served_as_sent(&stack, name, &first).await;
    let before = json(first.file(&RoleName::releases()).unwrap());

    let witnessed = repo.witness(&[RoleName::releases()]).await.expect("witness targets/releases");
    assert_eq!(roles_of(&witnessed), ["targets/releases"]);
    assert_served_as_sent(&stack, name, &witnessed).await;
    let after = json(witnessed.file(&RoleName::releases()).unwrap());
    assert_eq!(after["signed"]["version"].as_u64(), Some(before["signed"]["version"].as_u64().unwrap() + 1));
    assert_eq!(after["signed"]["targets"], before["signed"]["targets"]);
    assert_eq!(after["signed"]["delegations"], before["signed"]["delegations"]);

    assert_eq!(CliRepo::attach(&stack, name).list(None), vec![row.clone()]);
    assert_eq!(our_rows(&repo).await, vec![row]);
}

#[tokio::test(flavor = "current_thread")]
async fn deleted_trust_data_is_gone_from_server_and_cache_and_the_gun_can_be_initialised_again() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/delete";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    let (meta, old_row) = target("old", b"before deletion\n", "targets");
    let first = publish(&repo, &[Change::add_target(RoleName::targets(), "old", meta)]).await;
    assert_served_as_sent(&stack, name, &first).await;
    assert_eq!(CliRepo::attach(&stack, name).list(None), vec![old_row]);
    let cache = trust.path().join("tuf").join("example.com").join("publish").join("delete");
    assert!(cache.is_dir(), "{} was not created", cache.display());

    repo.delete_trust_data(true).await.expect("delete trust data");
    let root =
        server(&stack).get_metadata(&gun(name), &MetadataName::Current(RoleName::root()), limits::MAX_DOWNLOAD).await;
    assert!(matches!(&root, Err(e) if e.is_not_found()), "root.json after deletion: {:?}", root.map(|b| b.len()));
    assert!(!cache.exists(), "{} still exists", cache.display());

    repo.init(&InitOptions::default()).await.expect("init again");
    let (meta, new_row) = target("new", b"after deletion\n", "targets");
    let again = publish(&repo, &[Change::add_target(RoleName::targets(), "new", meta)]).await;
    assert_eq!(roles_of(&again), ["root", "targets"]);
    assert_eq!(uploaded_version(&again, &RoleName::root()), 1);
    assert_served_as_sent(&stack, name, &again).await;
    assert_eq!(CliRepo::attach(&stack, name).list(None), vec![new_row.clone()]);
    assert_eq!(our_rows(&repo).await, vec![new_row]);
}

#[tokio::test(flavor = "current_thread")]
async fn the_cli_publishes_with_the_keys_our_trust_dir_holds() {
    if !notary_cli::require_notary() {
        return;
    }
    the_cli_publishes_from_our_trust_dir("example.com/publish/our-trust-dir", KeyHolder::Server).await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_cli_publishes_with_the_client_held_snapshot_key_of_our_trust_dir() {
    if !notary_cli::require_notary() {
        return;
    }
    the_cli_publishes_from_our_trust_dir("example.com/publish/our-trust-dir-snapshot", KeyHolder::Local).await;
}

/// Our init + publish with trust dir T, then the notary CLI on T adds and publishes a target
/// with our key files; both sides list both targets.
async fn the_cli_publishes_from_our_trust_dir(name: &str, snapshot: KeyHolder) {
    let stack = Stack::up();
    let trust = tempdir();
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions { snapshot, ..InitOptions::default() }).await.expect("init");
    let (meta, ours) = target("ours", b"published by us\n", "targets");
    let first = publish(&repo, &[Change::add_target(RoleName::targets(), "ours", meta)]).await;
    assert_served_as_sent(&stack, name, &first).await;

    let content = b"published by the CLI from our trust dir\n";
    let file = trust.path().join("cli-target");
    std::fs::write(&file, content).expect("write the target file");
    notary_in_our_trust_dir(&stack, trust.path(), &["add", name, "theirs", file.to_str().expect("UTF-8 path")]);
    notary_in_our_trust_dir(&stack, trust.path(), &["publish", name]);
    let (_, theirs) = target("theirs", content, "targets");

    let both = sorted(vec![ours, theirs]);
    assert_eq!(our_rows(&repo).await, both);
    let listed = notary_in_our_trust_dir(&stack, trust.path(), &["list", name]);
    assert_eq!(notary_cli::parse_list(&listed).unwrap_or_else(|e| panic!("{e}:\n{listed}")), both);
    assert_eq!(CliRepo::attach(&stack, name).list(None), both);
    let server_targets = CliRepo::attach(&stack, name).server_json("targets.json");
    assert_eq!(server_targets["signed"]["version"], 3, "the CLI signed targets after our version 2");
}

#[tokio::test(flavor = "current_thread")]
async fn two_root_rotations_here_are_walked_by_a_cli_that_cached_the_first_root() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/rotate-root-twice";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    let (meta, row) = target("v1", b"under root one\n", "targets");
    let first = publish(&repo, &[Change::add_target(RoleName::targets(), "v1", meta)]).await;
    assert_served_as_sent(&stack, name, &first).await;
    let cli = CliRepo::attach(&stack, name);
    assert_eq!(cli.list(None), vec![row.clone()]);
    let ids1 = cli.root_role_key_ids("root");

    let second = repo.rotate_key(&RoleName::root(), KeyHolder::Local).await.expect("first root rotation");
    assert_served_as_sent(&stack, name, &second).await;
    let third = repo.rotate_key(&RoleName::root(), KeyHolder::Local).await.expect("second root rotation");
    assert_served_as_sent(&stack, name, &third).await;
    let root2 = json(second.file(&RoleName::root()).unwrap());
    let root3 = json(third.file(&RoleName::root()).unwrap());
    let (ids2, ids3) = (notary_cli::key_ids_of_role(&root2, "root"), notary_cli::key_ids_of_role(&root3, "root"));
    assert_eq!((root2["signed"]["version"].as_u64(), root3["signed"]["version"].as_u64()), (Some(2), Some(3)));
    assert_eq!(sorted(notary_cli::signature_key_ids(&root3)), sorted(vec![ids2[0].clone(), ids3[0].clone()]));
    assert!(!notary_cli::signature_key_ids(&root3).contains(&ids1[0]), "root v3 is not signed by root key one");
    assert!(cli.server_file("2.root.json") == second.file(&RoleName::root()).unwrap());

    // Root v3 is not signed by the cached root's key: Go walks 2.root.json to reach it.
    assert_eq!(cli.list(None), vec![row.clone()]);
    let cached = std::fs::read(cli.cli_metadata_dir().join("root.json")).expect("the CLI cached root.json");
    assert!(cached == third.file(&RoleName::root()).unwrap(), "the CLI did not cache root v3");
    assert_eq!(our_rows(&repo).await, vec![row]);
}

#[tokio::test(flavor = "current_thread")]
async fn the_cli_publishes_with_our_trust_dir_after_a_targets_rotation_here() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/publish/our-trust-dir-rotated";
    let repo = repository(&stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    let (meta, ours) = target("ours", b"before the rotation\n", "targets");
    let first = publish(&repo, &[Change::add_target(RoleName::targets(), "ours", meta)]).await;
    assert_served_as_sent(&stack, name, &first).await;
    let rotated = repo.rotate_key(&RoleName::targets(), KeyHolder::Local).await.expect("rotate the targets key");
    assert_served_as_sent(&stack, name, &rotated).await;

    // The CLI finds the new targets key among our key files (the old one is gone).
    let content = b"the CLI with our rotated key\n";
    let file = trust.path().join("cli-target");
    std::fs::write(&file, content).expect("write the target file");
    notary_in_our_trust_dir(&stack, trust.path(), &["add", name, "theirs", file.to_str().expect("UTF-8 path")]);
    notary_in_our_trust_dir(&stack, trust.path(), &["publish", name]);
    let (_, theirs) = target("theirs", content, "targets");
    let both = sorted(vec![ours, theirs]);
    let cli = CliRepo::attach(&stack, name);
    assert_eq!(cli.list(None), both);
    assert_eq!(notary_cli::signature_key_ids(&cli.server_json("targets.json")), cli.root_role_key_ids("targets"));
    assert_eq!(our_rows(&repo).await, both);
}
