//! Publishing against the real notary-server, checked by the real notary CLI in both
//! directions (issue 5): repositories initialised and signed here are listed, looked up and
//! delegation-listed by `notary` exactly as we signed them; a repository made by `notary` gets
//! targets signed here and the CLI publishes on top afterwards; rotations done here are followed
//! by the CLI; every uploaded file is re-downloaded and compared byte for byte with what was sent.
//!
//! Every test starts its own stack. When the notary CLI is missing the tests fail under `CI`
//! and are skipped otherwise.

#[path = "support/notary_cli.rs"]
mod notary_cli;
#[path = "support/publish.rs"]
mod publish;
#[path = "support/stack.rs"]
mod stack;

use std::path::Path;
use std::sync::Arc;

use notary_client::key_file::{KeyFile, decode_public_key, encode_public_key};
use notary_client::keys::{Signer, SoftwareKey};
use notary_client::metadata::{FileMeta, RoleName};
use notary_client::repository::{Change, InitOptions, KeyHolder, PublishError, Published, Repository, TargetRoles};
use notary_client::trust_dir::TrustDir;

use notary_cli::{CliRepo, CliTarget};
use publish::{
    PASSPHRASE, assert_current_as_sent, current_file, holding, json, new_key, repository, role, roles, sorted, tempdir,
    uploaded_version,
};
use stack::Stack;

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

/// The change adding [`target`] `name` with `content` to `role`, and its `notary list` row.
fn add_target(role: &RoleName, name: &str, content: &[u8]) -> (Change, CliTarget) {
    let (meta, row) = target(name, content, role.as_str());
    (Change::add_target(role.clone(), name, meta), row)
}

/// `changes` published to `repo`; every uploaded file is what the server now serves, byte for
/// byte (the current file for each role; for a client-signed snapshot, the one the timestamp
/// points to).
async fn publish(stack: &Stack, repo: &Repository, changes: &[Change]) -> Published {
    let published = repo.publish(changes).await.unwrap_or_else(|e| panic!("publish to {} failed: {e}", repo.gun()));
    assert_current_as_sent(stack, repo.gun().as_str(), &published).await;
    published
}

/// The key of `role` rotated here (the new key held by `holder`), checked as [`publish`] checks.
async fn rotate(stack: &Stack, repo: &Repository, role: &RoleName, holder: KeyHolder) -> Published {
    let rotated =
        repo.rotate_key(role, holder).await.unwrap_or_else(|e| panic!("rotate the {role} key of {}: {e}", repo.gun()));
    assert_current_as_sent(stack, repo.gun().as_str(), &rotated).await;
    rotated
}

/// Our repository `gun_name` on `stack` with a new trust dir (its key store as keyring),
/// initialised with `options`: (trust dir, repository).
async fn initialised(stack: &Stack, gun_name: &str, options: InitOptions) -> (tempfile::TempDir, Repository) {
    let trust = tempdir();
    let repo = repository(stack, gun_name, trust.path());
    repo.init(&options).await.expect("init");
    (trust, repo)
}

/// Options initialising a repository with a client-held snapshot key.
fn client_snapshot() -> InitOptions {
    InitOptions { snapshot: KeyHolder::Local, ..InitOptions::default() }
}

/// [`initialised`] with `options`, then target `tag` with `content` published into `targets`:
/// (trust dir, repository, the target's `notary list` row, what the publish uploaded).
async fn first_publish(
    stack: &Stack,
    gun_name: &str,
    options: InitOptions,
    tag: &str,
    content: &[u8],
) -> (tempfile::TempDir, Repository, CliTarget, Published) {
    let (trust, repo) = initialised(stack, gun_name, options).await;
    let (change, row) = add_target(&RoleName::targets(), tag, content);
    let published = publish(stack, &repo, &[change]).await;
    (trust, repo, row, published)
}

/// Before a rotation: our repository with target `v1` published into `targets`, and a notary
/// CLI with a trust dir of its own that lists it (so trusts and caches the current root).
struct ListedByACli<'s> {
    repo: Repository,
    row: CliTarget,
    cli: CliRepo<'s>,
    _trust: tempfile::TempDir,
}

/// [`ListedByACli`] for `gun_name`, `v1` having content `content`.
async fn listed_by_a_cli<'s>(stack: &'s Stack, gun_name: &str, content: &[u8]) -> ListedByACli<'s> {
    let (trust, repo, row, _) = first_publish(stack, gun_name, InitOptions::default(), "v1", content).await;
    let cli = CliRepo::attach(stack, gun_name);
    assert_eq!(cli.list(None), vec![row.clone()]);
    ListedByACli { repo, row, cli, _trust: trust }
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

/// A notary CLI with a fresh trust dir and `repo` itself (updated) both list exactly `rows`.
async fn assert_listed_by_both(stack: &Stack, repo: &Repository, rows: &[CliTarget]) {
    assert_eq!(CliRepo::attach(stack, repo.gun().as_str()).list(None), rows);
    assert_eq!(our_rows(repo).await, rows);
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

/// A repository made by the notary CLI ([`cli_repo_delegating_releases_to`] `key`) and our CI
/// job holding only `key`, with a trust dir of its own.
struct CliMade<'s> {
    cli: CliRepo<'s>,
    key: Arc<SoftwareKey>,
    repo: Repository,
    _trust: tempfile::TempDir,
}

fn cli_made<'s>(stack: &'s Stack, gun_name: &str) -> CliMade<'s> {
    let key = new_key();
    let cli = cli_repo_delegating_releases_to(stack, gun_name, &key);
    let trust = tempdir();
    let repo = holding(stack, gun_name, trust.path(), &[&key]);
    CliMade { cli, key, repo, _trust: trust }
}

/// A new key in memory (as a pipeline holding it in a KMS would), added to `repo`'s keyring,
/// and the change delegating `targets/releases` (all paths) to it.
fn new_releases_key(repo: &Repository) -> (Arc<SoftwareKey>, Change) {
    let key = new_key();
    repo.keys().add_signer(key.clone());
    let delegate = Change::add_delegation(RoleName::releases(), vec![key.public_key().clone()], vec![String::new()]);
    (key, delegate)
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

/// The notary CLI in our trust dir `trust` (with our key files) adds target `tag` with
/// `content` to `targets` of `gun_name` and publishes; returns the target's `notary list` row.
#[track_caller]
fn the_cli_publishes_in_our_trust_dir(
    stack: &Stack,
    trust: &Path,
    gun_name: &str,
    tag: &str,
    content: &[u8],
) -> CliTarget {
    let file = trust.join("cli-target");
    std::fs::write(&file, content).expect("write the target file");
    notary_in_our_trust_dir(stack, trust, &["add", gun_name, tag, file.to_str().expect("UTF-8 path")]);
    notary_in_our_trust_dir(stack, trust, &["publish", gun_name]);
    target(tag, content, "targets").1
}

// ------------------------------------------------------------------------------ tests

#[tokio::test(flavor = "current_thread")]
async fn first_publish_uploads_root_v1_and_targets_v2_which_the_cli_lists() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/first";
    let (_trust, _repo, row, published) =
        first_publish(&stack, name, InitOptions::default(), "v1", b"first target\n").await;

    assert_eq!(roles(&published), ["root", "targets"]);
    assert_eq!(uploaded_version(&published, &RoleName::root()), 1);
    assert_eq!(uploaded_version(&published, &RoleName::targets()), 2);

    let cli = CliRepo::attach(&stack, name);
    assert_eq!(cli.list(None), vec![row.clone()]);
    let found = cli.lookup("v1").expect("notary lookup finds v1");
    assert_eq!((found.sha256_hex, found.size), (row.sha256_hex, row.size));
}

#[tokio::test(flavor = "current_thread")]
async fn a_target_with_custom_data_signed_here_verifies_in_the_cli() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/custom";
    let (_trust, repo) = initialised(&stack, name, InitOptions::default()).await;
    let value = notary_client::canonical_json::Value::parse(br#"{"z":1,"a":{"build":"ci-42","ok":true}}"#).unwrap();
    let (mut meta, row) = target("v1", b"with custom data\n", "targets");
    meta.custom = Some(notary_client::metadata::Custom::canonical(&value).expect("canonical custom data"));
    publish(&stack, &repo, &[Change::add_target(RoleName::targets(), "v1", meta.clone())]).await;
    // Go verifies the signature over the canonical form of the parsed body, custom included (T9).
    assert_eq!(CliRepo::attach(&stack, name).list(None), vec![row]);
    let trusted = repo.update().await.expect("update");
    assert_eq!(trusted.lookup("v1", &[RoleName::targets()]).expect("v1").meta, meta);
}

#[tokio::test(flavor = "current_thread")]
async fn a_repository_with_a_client_held_snapshot_publishes_its_snapshot() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/client-snapshot";
    let (_trust, repo, row, published) =
        first_publish(&stack, name, client_snapshot(), "v1", b"client snapshot\n").await;
    assert_eq!(roles(&published), ["root", "targets", "snapshot"]);
    assert_eq!(CliRepo::attach(&stack, name).list(None), vec![row.clone()]);

    // A second publish re-signs targets and the snapshot only.
    let (add_v2, row2) = add_target(&RoleName::targets(), "v2", b"second\n");
    let again = publish(&stack, &repo, &[add_v2]).await;
    assert_eq!(roles(&again), ["targets", "snapshot"]);
    assert_eq!(CliRepo::attach(&stack, name).list(None), sorted(vec![row2, row]));
}

#[tokio::test(flavor = "current_thread")]
async fn releases_delegation_made_here_is_listed_by_the_cli() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/releases";
    let (_trust, repo) = initialised(&stack, name, InitOptions::default()).await;
    let (ci_key, delegate) = new_releases_key(&repo);
    publish(&stack, &repo, &[delegate]).await;

    // The pipeline, with only the delegation key, signs a tag.
    let ci_trust = tempdir();
    let ci = holding(&stack, name, ci_trust.path(), &[&ci_key]);
    let digest = [0x5a; 32];
    let signed =
        publish(&stack, &ci, &[Change::add_target(TargetRoles::Signable, "1.0", FileMeta::sha256_only(digest, 528))])
            .await;
    assert_eq!(roles(&signed), ["targets/releases"]);

    let cli = CliRepo::attach(&stack, name);
    let row =
        CliTarget { name: "1.0".into(), sha256_hex: hex::encode(digest), size: 528, role: "targets/releases".into() };
    assert_eq!(cli.list(None), vec![row]);
    let delegations = cli.delegation_list();
    assert_eq!(delegations.len(), 1, "{delegations:?}");
    assert_eq!(delegations[0].role, "targets/releases");
    assert_eq!(delegations[0].paths, vec![String::new()]);
    assert_eq!(delegations[0].canonical_key_ids, vec![ci_key.public_key().id().to_string()]);
    assert_eq!(delegations[0].threshold, 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_cli_made_repository_gets_a_tag_signed_here_into_releases_and_the_cli_publishes_after() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/cli-made";
    let made = cli_made(&stack, name);
    let (sign_1_0, signed_here) = add_target(&RoleName::releases(), "1.0", b"release 1.0\n");
    let published = publish(&stack, &made.repo, &[sign_1_0]).await;
    assert_eq!(roles(&published), ["targets/releases"]);
    assert_eq!(uploaded_version(&published, &RoleName::releases()), 1);
    assert_eq!(made.cli.list(None), vec![signed_here.clone()]);

    // The CLI publishes on top (into targets), leaving our file alone.
    let by_cli = made.cli.add_target("other", b"signed by the CLI\n", None);
    assert_listed_by_both(&stack, &made.repo, &sorted(vec![signed_here.clone(), by_cli.clone()])).await;
    assert_eq!(made.cli.server_json("targets/releases.json")["signed"]["version"], 1);

    // A second signature here builds on our first: version 2, both tags.
    let (sign_1_1, second) = add_target(&RoleName::releases(), "1.1", b"release 1.1\n");
    let again = publish(&stack, &made.repo, &[sign_1_1]).await;
    assert_eq!(roles(&again), ["targets/releases"]);
    assert_eq!(uploaded_version(&again, &RoleName::releases()), 2);
    let everything = sorted(vec![signed_here, by_cli, second]);
    assert_eq!(made.cli.list(None), everything);
    assert_listed_by_both(&stack, &made.repo, &everything).await;
}

#[tokio::test(flavor = "current_thread")]
async fn docker_role_choice_in_a_cli_made_repository_signs_only_the_delegation_whose_key_we_hold() {
    let Some(stack) = publish::stack() else { return };
    let made = cli_made(&stack, "example.com/publish/cli-made-signable");
    // Another direct child of targets, whose key only the CLI holds.
    made.cli.add_delegation("targets/alice", notary_cli::ALL_PATHS);

    let digest = [0x42; 32];
    let sign = Change::add_target(TargetRoles::Signable, "2.0", FileMeta::sha256_only(digest, 1234));
    let published = publish(&stack, &made.repo, &[sign]).await;
    assert_eq!(roles(&published), ["targets/releases"]);
    assert_eq!(uploaded_version(&published, &RoleName::releases()), 1);

    let row =
        CliTarget { name: "2.0".into(), sha256_hex: hex::encode(digest), size: 1234, role: "targets/releases".into() };
    assert_eq!(made.cli.list(None), vec![row.clone()]);
    assert_listed_by_both(&stack, &made.repo, &[row]).await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_cli_signs_releases_with_its_own_key_on_top_of_a_version_signed_here() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/cli-after-us";
    let made = cli_made(&stack, name);
    // The CLI gets a key of its own for targets/releases (threshold stays 1).
    let cli_key = made.cli.add_delegation("targets/releases", notary_cli::ALL_PATHS);
    let listed = made.cli.delegation_list();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        listed[0].canonical_key_ids,
        sorted(vec![made.key.bare_public_key().id().to_string(), cli_key.canonical_id.clone()])
    );

    let (sign_1_0, ours) = add_target(&RoleName::releases(), "1.0", b"ours\n");
    let published = publish(&stack, &made.repo, &[sign_1_0]).await;
    assert_eq!(uploaded_version(&published, &RoleName::releases()), 1);

    let theirs = made.cli.add_target("1.1", b"the CLI's\n", Some("targets/releases"));
    let releases = made.cli.server_json("targets/releases.json");
    assert_eq!(releases["signed"]["version"], 2, "the CLI re-signs our version 1");
    assert_eq!(notary_cli::signature_key_ids(&releases), vec![cli_key.tuf_id.clone()]);
    assert_listed_by_both(&stack, &made.repo, &sorted(vec![ours.clone(), theirs.clone()])).await;

    // And we build on the CLI's version 2.
    let (sign_1_2, third) = add_target(&RoleName::releases(), "1.2", b"ours again\n");
    let again = publish(&stack, &made.repo, &[sign_1_2]).await;
    assert_eq!(uploaded_version(&again, &RoleName::releases()), 3);
    let all = sorted(vec![ours, theirs, third]);
    assert_eq!(made.cli.list(None), all);
    assert_eq!(CliRepo::attach(&stack, name).list(None), all);
}

#[tokio::test(flavor = "current_thread")]
async fn a_path_restricted_x509_delegation_made_here_signs_only_under_its_paths() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/team";
    let (_trust, repo) = initialised(&stack, name, InitOptions::default()).await;
    let cli = CliRepo::attach(&stack, name);
    let team_key = x509_signer(&cli, "targets/team");
    repo.keys().add_signer(team_key.clone());
    let team = role("targets/team");

    let delegate = Change::add_delegation(team.clone(), vec![team_key.public_key().clone()], vec!["team/".into()]);
    let delegated = publish(&stack, &repo, &[delegate]).await;
    assert_eq!(roles(&delegated), ["root", "targets"]);

    let (meta, row) = target("team/app", b"team app\n", "targets/team");
    let signed = publish(&stack, &repo, &[Change::add_target(team.clone(), "team/app", meta.clone())]).await;
    assert_eq!(roles(&signed), ["targets/team"]);

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
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/rotate-targets";
    let (trust, repo, row, _) =
        first_publish(&stack, name, InitOptions::default(), "v1", b"before the rotation\n").await;
    let cli = CliRepo::attach(&stack, name);
    let root_version = cli.root_version();
    let old_ids = cli.root_role_key_ids("targets");

    let rotated = rotate(&stack, &repo, &RoleName::targets(), KeyHolder::Local).await;
    assert_eq!(roles(&rotated), ["root", "targets"]);

    assert_eq!(cli.root_version(), root_version + 1);
    let new_ids = cli.root_role_key_ids("targets");
    assert_eq!(new_ids.len(), 1);
    assert_ne!(new_ids, old_ids);
    assert_eq!(notary_cli::signature_key_ids(&cli.server_json("targets.json")), new_ids);
    // The replaced private key is deleted, as notary does.
    let old_id = notary_client::metadata::KeyId::new(old_ids[0].clone()).unwrap();
    assert!(TrustDir::new(trust.path()).keys().find(&old_id).is_err(), "the old targets key is still stored");

    assert_listed_by_both(&stack, &repo, &[row]).await;
}

#[tokio::test(flavor = "current_thread")]
async fn snapshot_key_handed_to_the_server_here_stops_snapshot_uploads_and_the_cli_lists() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/rotate-snapshot";
    let (_trust, repo, first_row, first) =
        first_publish(&stack, name, client_snapshot(), "v1", b"client snapshot first\n").await;
    assert_eq!(roles(&first), ["root", "targets", "snapshot"]);
    let cli = CliRepo::attach(&stack, name);
    let old_ids = cli.root_role_key_ids("snapshot");

    let rotated = rotate(&stack, &repo, &RoleName::snapshot(), KeyHolder::Server).await;
    assert_eq!(roles(&rotated), ["root"]);
    let new_ids = cli.root_role_key_ids("snapshot");
    assert_ne!(new_ids, old_ids);
    assert_eq!(notary_cli::signature_key_ids(&cli.server_json("snapshot.json")), new_ids);

    let (add_v2, second_row) = add_target(&RoleName::targets(), "v2", b"server snapshot after\n");
    let second = publish(&stack, &repo, &[add_v2]).await;
    assert_eq!(roles(&second), ["targets"]);
    assert_listed_by_both(&stack, &repo, &sorted(vec![first_row, second_row])).await;
}

#[tokio::test(flavor = "current_thread")]
async fn root_key_rotated_here_is_signed_by_both_keys_and_followed_by_a_cli_with_the_old_root_cached() {
    let Some(stack) = publish::stack() else { return };
    // A reader that trusts (and caches) the old root.
    let ListedByACli { repo, row, cli, _trust } =
        listed_by_a_cli(&stack, "example.com/publish/rotate-root", b"under the old root\n").await;
    let old_version = cli.root_version();
    let old_ids = cli.root_role_key_ids("root");
    assert_eq!(old_ids.len(), 1);

    let rotated = rotate(&stack, &repo, &RoleName::root(), KeyHolder::Local).await;
    assert_eq!(roles(&rotated), ["root"]);
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
    assert_listed_by_both(&stack, &repo, &[row]).await;
}

#[tokio::test(flavor = "current_thread")]
async fn timestamp_key_rotated_on_the_server_from_here_is_followed_by_the_cli() {
    let Some(stack) = publish::stack() else { return };
    let ListedByACli { repo, row, cli, _trust } =
        listed_by_a_cli(&stack, "example.com/publish/rotate-timestamp", b"timestamp rotation\n").await;
    let old_version = cli.root_version();
    let old_ids = cli.root_role_key_ids("timestamp");

    let rotated = rotate(&stack, &repo, &RoleName::timestamp(), KeyHolder::Server).await;
    assert_eq!(roles(&rotated), ["root"]);
    assert_eq!(cli.root_version(), old_version + 1);
    let new_ids = cli.root_role_key_ids("timestamp");
    assert_ne!(new_ids, old_ids);
    assert_eq!(notary_cli::signature_key_ids(&cli.server_json("timestamp.json")), new_ids);

    assert_eq!(cli.list(None), vec![row.clone()]);
    assert_listed_by_both(&stack, &repo, &[row]).await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_target_removed_here_is_no_longer_listed_by_the_cli() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/remove-target";
    let (_trust, repo) = initialised(&stack, name, InitOptions::default()).await;
    let (add_v1, r1) = add_target(&RoleName::targets(), "v1", b"to be removed\n");
    let (add_v2, r2) = add_target(&RoleName::targets(), "v2", b"to stay\n");
    publish(&stack, &repo, &[add_v1, add_v2]).await;
    assert_eq!(CliRepo::attach(&stack, name).list(None), sorted(vec![r1, r2.clone()]));

    let removed = publish(&stack, &repo, &[Change::remove_target(RoleName::targets(), "v1")]).await;
    assert_eq!(roles(&removed), ["targets"]);
    let cli = CliRepo::attach(&stack, name);
    assert_eq!(cli.list(None), vec![r2.clone()]);
    assert_eq!(cli.lookup("v1"), None);
    assert_eq!(our_rows(&repo).await, vec![r2]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_delegation_deleted_here_disappears_with_its_targets_from_the_cli() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/delete-delegation";
    let (_trust, repo) = initialised(&stack, name, InitOptions::default()).await;
    let (_ci_key, delegate) = new_releases_key(&repo);
    let (release, release_row) = add_target(&RoleName::releases(), "1.0", b"signed by releases\n");
    let (base, base_row) = add_target(&RoleName::targets(), "base", b"signed by targets\n");
    let first = publish(&stack, &repo, &[delegate, release, base]).await;
    assert_eq!(roles(&first), ["root", "targets", "targets/releases"]);
    let before = CliRepo::attach(&stack, name);
    assert_eq!(before.list(None), sorted(vec![release_row, base_row.clone()]));
    assert_eq!(before.delegation_list().len(), 1);

    let deleted = publish(&stack, &repo, &[Change::DeleteDelegation { role: RoleName::releases() }]).await;
    assert_eq!(roles(&deleted), ["targets"]);
    let targets = json(deleted.file(&RoleName::targets()).unwrap());
    assert_eq!(targets["signed"]["delegations"], serde_json::json!({"keys": {}, "roles": []}));

    let cli = CliRepo::attach(&stack, name);
    assert_eq!(cli.delegation_list(), vec![]);
    assert_eq!(cli.list(None), vec![base_row.clone()]);
    assert_eq!(our_rows(&repo).await, vec![base_row]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_delegation_key_removed_here_by_canonical_id_is_no_longer_listed_by_the_cli() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/remove-delegation-key";
    let (_trust, repo) = initialised(&stack, name, InitOptions::default()).await;
    let cli = CliRepo::attach(&stack, name);
    let kept = new_key();
    repo.keys().add_signer(kept.clone());
    // A certificate key: its canonical ID (the bare key's) differs from its TUF ID.
    let removed = x509_signer(&cli, "targets/releases");
    let removed_canonical = removed.bare_public_key().id().clone();
    assert_ne!(&removed_canonical, removed.public_key().id());
    let both_keys = vec![kept.public_key().clone(), removed.public_key().clone()];
    let (sign, row) = add_target(&RoleName::releases(), "1.0", b"signed by the kept key\n");
    publish(&stack, &repo, &[Change::add_delegation(RoleName::releases(), both_keys, vec![String::new()]), sign]).await;
    let listed = cli.delegation_list();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        listed[0].canonical_key_ids,
        sorted(vec![kept.public_key().id().to_string(), removed_canonical.to_string()])
    );

    let remove_key =
        Change::RemoveDelegationKeys { role: RoleName::releases(), key_ids: vec![removed_canonical.clone()] };
    let published = publish(&stack, &repo, &[remove_key]).await;
    assert_eq!(roles(&published), ["targets"]);
    let targets = json(published.file(&RoleName::targets()).unwrap());
    let delegations = &targets["signed"]["delegations"];
    let listed_keys: Vec<&String> = delegations["keys"].as_object().expect("delegations.keys").keys().collect();
    assert_eq!(listed_keys, vec![kept.public_key().id().as_str()], "the unused key is pruned");
    assert_eq!(delegations["roles"][0]["keyids"], serde_json::json!([kept.public_key().id().as_str()]));

    let listed = CliRepo::attach(&stack, name).delegation_list();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].canonical_key_ids, vec![kept.public_key().id().to_string()]);
    assert_listed_by_both(&stack, &repo, &[row]).await;
}

#[tokio::test(flavor = "current_thread")]
async fn witnessing_releases_here_bumps_its_version_with_unchanged_targets() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/witness";
    let (_trust, repo) = initialised(&stack, name, InitOptions::default()).await;
    let (_ci_key, delegate) = new_releases_key(&repo);
    let (sign, row) = add_target(&RoleName::releases(), "1.0", b"witnessed\n");
    let first = publish(&stack, &repo, &[delegate, sign]).await;
    let before = json(first.file(&RoleName::releases()).unwrap());

    let witnessed = repo.witness(&[RoleName::releases()]).await.expect("witness targets/releases");
    assert_eq!(roles(&witnessed), ["targets/releases"]);
    assert_current_as_sent(&stack, name, &witnessed).await;
    let after = json(witnessed.file(&RoleName::releases()).unwrap());
    assert_eq!(after["signed"]["version"].as_u64(), Some(before["signed"]["version"].as_u64().unwrap() + 1));
    assert_eq!(after["signed"]["targets"], before["signed"]["targets"]);
    assert_eq!(after["signed"]["delegations"], before["signed"]["delegations"]);

    assert_listed_by_both(&stack, &repo, &[row]).await;
}

#[tokio::test(flavor = "current_thread")]
async fn deleted_trust_data_is_gone_from_server_and_cache_and_the_gun_can_be_initialised_again() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/delete";
    let (trust, repo, old_row, _) =
        first_publish(&stack, name, InitOptions::default(), "old", b"before deletion\n").await;
    assert_eq!(CliRepo::attach(&stack, name).list(None), vec![old_row]);
    let cache = trust.path().join("tuf").join("example.com").join("publish").join("delete");
    assert!(cache.is_dir(), "{} was not created", cache.display());

    repo.delete_trust_data(true).await.expect("delete trust data");
    let root = current_file(&stack, name, &RoleName::root()).await;
    assert!(root.is_none(), "root.json after deletion: {:?}", root.map(|b| b.len()));
    assert!(!cache.exists(), "{} still exists", cache.display());

    repo.init(&InitOptions::default()).await.expect("init again");
    let (add_new, new_row) = add_target(&RoleName::targets(), "new", b"after deletion\n");
    let again = publish(&stack, &repo, &[add_new]).await;
    assert_eq!(roles(&again), ["root", "targets"]);
    assert_eq!(uploaded_version(&again, &RoleName::root()), 1);
    assert_listed_by_both(&stack, &repo, &[new_row]).await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_cli_publishes_with_the_keys_our_trust_dir_holds() {
    the_cli_publishes_from_our_trust_dir("example.com/publish/our-trust-dir", KeyHolder::Server).await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_cli_publishes_with_the_client_held_snapshot_key_of_our_trust_dir() {
    the_cli_publishes_from_our_trust_dir("example.com/publish/our-trust-dir-snapshot", KeyHolder::Local).await;
}

/// Our init + publish with trust dir T, then the notary CLI on T adds and publishes a target
/// with our key files; both sides list both targets.
async fn the_cli_publishes_from_our_trust_dir(name: &str, snapshot: KeyHolder) {
    let Some(stack) = publish::stack() else { return };
    let options = InitOptions { snapshot, ..InitOptions::default() };
    let (trust, repo, ours, _) = first_publish(&stack, name, options, "ours", b"published by us\n").await;
    let content = b"published by the CLI from our trust dir\n";
    let theirs = the_cli_publishes_in_our_trust_dir(&stack, trust.path(), name, "theirs", content);

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
    let Some(stack) = publish::stack() else { return };
    let ListedByACli { repo, row, cli, _trust } =
        listed_by_a_cli(&stack, "example.com/publish/rotate-root-twice", b"under root one\n").await;
    let ids1 = cli.root_role_key_ids("root");

    let second = rotate(&stack, &repo, &RoleName::root(), KeyHolder::Local).await;
    let third = rotate(&stack, &repo, &RoleName::root(), KeyHolder::Local).await;
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
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/publish/our-trust-dir-rotated";
    let (trust, repo, ours, _) =
        first_publish(&stack, name, InitOptions::default(), "ours", b"before the rotation\n").await;
    rotate(&stack, &repo, &RoleName::targets(), KeyHolder::Local).await;

    // The CLI finds the new targets key among our key files (the old one is gone).
    let theirs =
        the_cli_publishes_in_our_trust_dir(&stack, trust.path(), name, "theirs", b"the CLI with our rotated key\n");
    let both = sorted(vec![ours, theirs]);
    let cli = CliRepo::attach(&stack, name);
    assert_eq!(cli.list(None), both);
    assert_eq!(notary_cli::signature_key_ids(&cli.server_json("targets.json")), cli.root_role_key_ids("targets"));
    assert_eq!(our_rows(&repo).await, both);
}
