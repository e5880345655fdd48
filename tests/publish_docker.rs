//! Docker's signing workflows done by us against the real notary-server: `docker trust signer
//! add` / `signer remove`, `sign` (Docker's role choice), `revoke`, `trust key generate`, and
//! threshold signing through drafts. Every publish is compared byte for byte with what the
//! server then serves, and the result is read back by the real notary CLI (with a fresh trust
//! directory) and, when the docker CLI is installed, by `docker trust inspect` (daemonless).
//!
//! Every test starts its own stack. When the notary CLI is missing the tests fail under `CI`
//! and are skipped otherwise; only the `docker trust inspect` comparison is skipped when docker
//! is missing.

#[path = "support/docker_cli.rs"]
mod docker_cli;
#[path = "support/notary_cli.rs"]
mod notary_cli;
#[path = "support/publish.rs"]
mod publish;
#[path = "support/stack.rs"]
mod stack;

use std::path::Path;
use std::sync::Arc;

use notary_client::docker::{
    self, DockerConfig, DockerTrust, ImageReference, TrustInspect, TrustServer, generate_signer_key, signed_digest,
};
use notary_client::keys::SoftwareKey;
use notary_client::metadata::{FileMeta, PublicKey, RoleName, Signed, Targets};
use notary_client::passphrase::FixedPassphrase;
use notary_client::repository::{Change, Draft, InitOptions, PublishError, Published, Repository};
use notary_client::trusted::TrustedRepository;

use docker_cli::{docker_config, docker_inspect, docker_installed};
use notary_cli::{CliDelegation, CliRepo, CliTarget};
use publish::{
    PASSPHRASE, assert_nothing_skipped, assert_served_as_sent, current_file, holding, manifest, new_key, public, role,
    roles, row, tempdir, uploaded_version,
};
use stack::Stack;

fn canonical(key: &PublicKey) -> String {
    key.canonical_id().expect("canonical key ID").to_string()
}

/// The GUN of image `name` on the stack's registry (`localhost:PORT/docker/NAME`), which
/// docker maps to itself.
fn image(stack: &Stack, name: &str) -> String {
    format!("{}/docker/{name}", stack.registry_host())
}

/// One party (an admin, a CI job): its own trust directory (cache) and in-memory keys.
struct Party {
    repo: Repository,
    _trust: tempfile::TempDir,
}

fn party(stack: &Stack, gun_name: &str, keys: &[&Arc<SoftwareKey>]) -> Party {
    let trust = tempdir();
    let repo = holding(stack, gun_name, trust.path(), keys);
    Party { repo, _trust: trust }
}

/// `docker trust sign` by `party` of `tag` ([`manifest`]), unchecked.
async fn try_sign(party: &Party, tag: &str) -> Result<Published, PublishError> {
    let (digest, size) = manifest(tag);
    docker::sign_tag(&party.repo, tag, digest, size).await
}

/// `docker trust sign` by `party` of `tag` ([`manifest`]), checked against the server.
async fn sign(stack: &Stack, party: &Party, tag: &str) -> Published {
    let published =
        try_sign(party, tag).await.unwrap_or_else(|e| panic!("sign_tag {tag} on {}: {e}", party.repo.gun()));
    assert_served_as_sent(stack, party.repo.gun().as_str(), &published).await;
    published
}

/// `docker trust signer add NAME` with `key` by `admin`, checked against the server.
async fn signer_add(stack: &Stack, admin: &Party, name: &str, key: &Arc<SoftwareKey>) -> Published {
    let published = docker::add_signer(&admin.repo, name, &[public(key)])
        .await
        .unwrap_or_else(|e| panic!("signer add {name} on {}: {e}", admin.repo.gun()));
    assert_served_as_sent(stack, admin.repo.gun().as_str(), &published).await;
    published
}

async fn update(party: &Party) -> TrustedRepository {
    party.repo.update().await.unwrap_or_else(|e| panic!("update of {}: {e}", party.repo.gun()))
}

/// (tag, role) of every target a reader sees, in walk order (first role wins).
fn seen(trusted: &TrustedRepository) -> Vec<(String, String)> {
    let mut v: Vec<_> = trusted.targets().into_iter().map(|t| (t.name, t.role.to_string())).collect();
    v.sort();
    v
}

/// Tags signed by `role_name` itself.
fn tags_of(trusted: &TrustedRepository, role_name: &str) -> Vec<String> {
    let mut tags: Vec<String> = trusted.role_targets(&role(role_name)).into_iter().map(|t| t.name).collect();
    tags.sort();
    tags
}

/// `notary delegation list` sorted by role.
fn delegation_list(cli: &CliRepo<'_>) -> Vec<CliDelegation> {
    let mut roles = cli.delegation_list();
    roles.sort_by(|a, b| a.role.cmp(&b.role));
    roles
}

fn delegation(role: &str, keys: &[&PublicKey]) -> CliDelegation {
    let mut canonical_key_ids: Vec<String> = keys.iter().map(|k| canonical(k)).collect();
    canonical_key_ids.sort();
    CliDelegation { role: role.to_owned(), paths: vec![String::new()], canonical_key_ids, threshold: 1 }
}

/// An image whose admin (root and targets keys in memory) ran `signer add alice`, and a CI
/// job holding only alice's key.
struct WithAlice {
    gun: String,
    admin: Party,
    alice: Arc<SoftwareKey>,
    alice_ci: Party,
}

async fn with_alice(stack: &Stack, name: &str) -> WithAlice {
    let gun = image(stack, name);
    let admin = party(stack, &gun, &[]);
    let alice = new_key();
    signer_add(stack, &admin, "alice", &alice).await;
    let alice_ci = party(stack, &gun, &[&alice]);
    WithAlice { gun, admin, alice, alice_ci }
}

/// A second signer, added by the admin with `signer add bob`: bob's key, a CI job (pipeline)
/// holding only that key, and what adding bob published.
struct Bob {
    key: Arc<SoftwareKey>,
    ci: Party,
    added: Published,
}

/// [`with_alice`] in which alice's CI job signed `1.0`, then the admin added [`Bob`] and bob's
/// CI job signed `2.0`: (image, bob, what bob's signing published).
async fn alice_then_bob(stack: &Stack, name: &str) -> (WithAlice, Bob, Published) {
    let s = with_alice(stack, name).await;
    sign(stack, &s.alice_ci, "1.0").await;
    let key = new_key();
    let added = signer_add(stack, &s.admin, "bob", &key).await;
    let bob = Bob { ci: party(stack, &s.gun, &[&key]), key, added };
    let signed = sign(stack, &bob.ci, "2.0").await;
    (s, bob, signed)
}

// ------------------------------------------------------------------- docker CLI helpers

/// Docker's settings for the stack: config dir `config`, `DOCKER_CONTENT_TRUST_SERVER` = the
/// stack's notary-server.
fn docker_trust(stack: &Stack, config: &Path) -> DockerTrust {
    let url = stack.notary_url().to_owned();
    let server = TrustServer::from_lookup(move |var| (var == "DOCKER_CONTENT_TRUST_SERVER").then(|| url.clone()));
    DockerTrust::new(config, DockerConfig::empty(), server).with_passphrases(FixedPassphrase::new(PASSPHRASE))
}

/// `docker trust inspect NAME` equals our [`TrustInspect`] of the same repository (read through
/// Docker's conventions with a fresh trust dir); returns docker's JSON.
async fn docker_inspect_agrees(stack: &Stack, name: &str) -> serde_json::Value {
    let theirs_config = docker_config(stack);
    let theirs = docker_inspect(stack, theirs_config.path(), name);
    let ours_config = docker_config(stack);
    let reference = ImageReference::parse(name).expect("reference");
    let trusted = docker_trust(stack, ours_config.path())
        .repository(&reference)
        .expect("repository")
        .update()
        .await
        .expect("update through DockerTrust");
    let ours = serde_json::to_value([TrustInspect::new(&trusted, name, None)]).expect("serialise");
    assert_eq!(ours, theirs, "ours:\n{ours:#}\ndocker:\n{theirs:#}");
    theirs
}

// ------------------------------------------------------------------------------ tests

#[tokio::test(flavor = "current_thread")]
async fn add_signer_on_a_new_repository_initialises_it_and_publishes_both_delegations() {
    let Some(stack) = publish::stack() else { return };
    let name = image(&stack, "signer-add");
    let admin = party(&stack, &name, &[]);
    let alice = new_key();
    assert_eq!(current_file(&stack, &name, &RoleName::root()).await, None, "the repository must not exist yet");

    let published = docker::add_signer(&admin.repo, "alice", &[public(&alice)]).await.expect("signer add alice");
    // First publish of a new repository: root v1 and targets v2, no snapshot (the server's).
    assert_eq!(roles(&published), ["root", "targets"]);
    assert_eq!(uploaded_version(&published, &RoleName::root()), 1);
    assert_eq!(uploaded_version(&published, &RoleName::targets()), 2);
    assert_served_as_sent(&stack, &name, &published).await;

    let trusted = update(&admin).await;
    assert_nothing_skipped(&trusted);
    let snapshot_keys = trusted.root().signed().trusted_keys("snapshot");
    assert!(!snapshot_keys.keys.is_empty());
    assert!(
        snapshot_keys.keys.values().all(|k| !admin.repo.keys().holds(k)),
        "the snapshot key must be the server's (Docker initialises with a server-managed snapshot)"
    );
    // Docker's order: targets/NAME first, then targets/releases; both alice's key, paths [""].
    let targets = &trusted.role(&RoleName::targets()).expect("targets").metadata;
    let listed: Vec<(String, Vec<String>, Vec<String>, u32)> = targets
        .signed()
        .delegations
        .roles()
        .iter()
        .map(|r| {
            let ids = r.keys.key_ids().iter().map(ToString::to_string).collect();
            (r.name.to_string(), ids, r.paths.clone(), r.keys.threshold)
        })
        .collect();
    let alice_id = public(&alice).id().to_string();
    assert_eq!(
        listed,
        [
            ("targets/alice".to_owned(), vec![alice_id.clone()], vec![String::new()], 1),
            ("targets/releases".to_owned(), vec![alice_id], vec![String::new()], 1),
        ]
    );

    let cli = CliRepo::attach(&stack, &name);
    let alice_public = public(&alice);
    assert_eq!(
        delegation_list(&cli),
        [delegation("targets/alice", &[&alice_public]), delegation("targets/releases", &[&alice_public])]
    );
    assert_eq!(cli.list(None), Vec::<CliTarget>::new());
}

#[tokio::test(flavor = "current_thread")]
async fn sign_tag_signs_into_every_signer_role_the_key_holds_and_docker_reads_it() {
    let Some(stack) = publish::stack() else { return };
    let s = with_alice(&stack, "sign").await;

    let published = sign(&stack, &s.alice_ci, "1.0").await;
    assert_eq!(roles(&published), ["targets/alice", "targets/releases"]);
    assert_eq!(uploaded_version(&published, &role("targets/alice")), 1);
    assert_eq!(uploaded_version(&published, &RoleName::releases()), 1);

    let trusted = update(&s.alice_ci).await;
    assert_nothing_skipped(&trusted);
    assert_eq!(tags_of(&trusted, "targets/alice"), ["1.0"]);
    assert_eq!(tags_of(&trusted, "targets/releases"), ["1.0"]);
    // `docker pull` resolved tags in targets/releases, then targets.
    let (digest, _) = manifest("1.0");
    let pulled = signed_digest(&trusted, "1.0").expect("1.0 is released");
    assert_eq!((pulled.digest, pulled.role), (format!("sha256:{}", hex::encode(digest)), RoleName::releases()));

    // notary's breadth-first walk visits the delegations in targets.json's order, and Docker
    // (like us) lists targets/alice before targets/releases: `notary list` names alice.
    let cli = CliRepo::attach(&stack, &s.gun);
    assert_eq!(seen(&trusted), [("1.0".to_owned(), "targets/alice".to_owned())]);
    assert_eq!(cli.list(None), [row("1.0", "targets/alice")]);
    assert_eq!(cli.list(Some("targets/releases")), [row("1.0", "targets/releases")]);

    if docker_installed("the docker trust inspect comparison") {
        let docker = docker_inspect_agrees(&stack, &s.gun).await;
        let alice_key = canonical(&public(&s.alice));
        assert_eq!(docker[0]["Signers"], serde_json::json!([{ "Name": "alice", "Keys": [{ "ID": alice_key }] }]));
        assert_eq!(
            docker[0]["SignedTags"],
            serde_json::json!([{ "SignedTag": "1.0", "Digest": hex::encode(digest), "Signers": ["alice"] }])
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_second_signer_signs_into_releases_and_its_own_role_only() {
    let Some(stack) = publish::stack() else { return };
    let (s, bob, published) = alice_then_bob(&stack, "second-signer").await;
    assert_eq!(roles(&bob.added), ["targets"]);
    assert_eq!(roles(&published), ["targets/bob", "targets/releases"]);

    let trusted = update(&bob.ci).await;
    assert_nothing_skipped(&trusted);
    assert_eq!(tags_of(&trusted, "targets/alice"), ["1.0"]);
    assert_eq!(tags_of(&trusted, "targets/bob"), ["2.0"]);
    assert_eq!(tags_of(&trusted, "targets/releases"), ["1.0", "2.0"]);

    let cli = CliRepo::attach(&stack, &s.gun);
    // Walk order: targets/alice, targets/releases, targets/bob.
    assert_eq!(cli.list(None), [row("1.0", "targets/alice"), row("2.0", "targets/releases")]);
    let (alice_public, bob_public) = (public(&s.alice), public(&bob.key));
    assert_eq!(
        delegation_list(&cli),
        [
            delegation("targets/alice", &[&alice_public]),
            delegation("targets/bob", &[&bob_public]),
            delegation("targets/releases", &[&alice_public, &bob_public]),
        ]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn remove_signer_drops_its_keys_from_releases_and_deletes_its_role() {
    let Some(stack) = publish::stack() else { return };
    let (s, _bob, _) = alice_then_bob(&stack, "signer-remove").await;
    // alice signs last, so targets/releases.json carries her signature when bob goes.
    sign(&stack, &s.alice_ci, "3.0").await;

    let removed = docker::remove_signer(&s.admin.repo, "bob", false).await.expect("signer remove bob");
    assert_eq!(roles(&removed), ["targets"]);
    assert_served_as_sent(&stack, &s.gun, &removed).await;

    let trusted = update(&s.admin).await;
    assert_nothing_skipped(&trusted);
    let delegations = &trusted.role(&RoleName::targets()).expect("targets").metadata.signed().delegations;
    let names: Vec<&str> = delegations.roles().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["targets/alice", "targets/releases"]);
    let keys: Vec<String> = delegations.keys.iter().flatten().map(|(id, _)| id.to_string()).collect();
    assert_eq!(keys, [public(&s.alice).id().to_string()], "bob's key is no longer listed");
    assert_eq!(
        seen(&trusted),
        [
            ("1.0".to_owned(), "targets/alice".to_owned()),
            ("2.0".to_owned(), "targets/releases".to_owned()),
            ("3.0".to_owned(), "targets/alice".to_owned()),
        ]
    );

    let cli = CliRepo::attach(&stack, &s.gun);
    let alice_public = public(&s.alice);
    assert_eq!(
        delegation_list(&cli),
        [delegation("targets/alice", &[&alice_public]), delegation("targets/releases", &[&alice_public])]
    );
    assert_eq!(
        cli.list(None),
        [row("1.0", "targets/alice"), row("2.0", "targets/releases"), row("3.0", "targets/alice")]
    );
}

/// docker/cli `isLastSignerForReleases`: a signer whose signature is the only one on the
/// current `targets/releases.json` "signed the last released version"; removing it makes the
/// image unpullable, so Docker asks for confirmation (`--force` skips it).
#[tokio::test(flavor = "current_thread")]
async fn remove_signer_refuses_a_signer_whose_signature_alone_holds_releases() {
    let Some(stack) = publish::stack() else { return };
    let (s, _bob, _) = alice_then_bob(&stack, "signer-remove-last-signature").await;
    // targets/releases.json is now signed by bob alone (alice's key is still listed).
    let targets_before = current_file(&stack, &s.gun, &RoleName::targets()).await;

    match docker::remove_signer(&s.admin.repo, "bob", false).await {
        Err(PublishError::InvalidChange { role, .. }) => {
            assert_eq!(role, "targets/bob");
            assert_eq!(current_file(&stack, &s.gun, &RoleName::targets()).await, targets_before, "nothing published");
        }
        Err(other) => panic!("expected a refusal (InvalidChange for targets/bob), got {other:?}"),
        Ok(published) => {
            assert_served_as_sent(&stack, &s.gun, &published).await;
            let trusted = update(&s.admin).await;
            let skipped: Vec<String> = trusted.skipped().iter().map(|r| format!("{}: {}", r.role, r.reason)).collect();
            let cli = CliRepo::attach(&stack, &s.gun);
            let listed = cli.output(&["list", &s.gun], None);
            panic!(
                "remove_signer(bob, force = false) published although bob's signature is the only one on \
                 targets/releases.json; releases no longer verifies.\nour update skipped: {skipped:?}\nnotary list:\n\
                 --- stdout\n{}--- stderr\n{}",
                String::from_utf8_lossy(&listed.stdout),
                String::from_utf8_lossy(&listed.stderr)
            );
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn remove_signer_refuses_the_last_releases_key_unless_forced() {
    let Some(stack) = publish::stack() else { return };
    let s = with_alice(&stack, "signer-remove-last").await;
    sign(&stack, &s.alice_ci, "1.0").await;
    let targets_before = current_file(&stack, &s.gun, &RoleName::targets()).await;

    match docker::remove_signer(&s.admin.repo, "alice", false).await {
        Err(PublishError::InvalidChange { role, reason }) => {
            assert_eq!(role, "targets/alice", "{reason}");
        }
        other => panic!("expected InvalidChange for targets/alice, got {other:?}"),
    }
    assert_eq!(current_file(&stack, &s.gun, &RoleName::targets()).await, targets_before, "nothing published");

    let forced = docker::remove_signer(&s.admin.repo, "alice", true).await.expect("signer remove --force alice");
    assert_eq!(roles(&forced), ["targets"]);
    assert_served_as_sent(&stack, &s.gun, &forced).await;

    let cli = CliRepo::attach(&stack, &s.gun);
    // targets/releases stays, without keys; targets/alice is gone.
    assert_eq!(
        delegation_list(&cli),
        [CliDelegation {
            role: "targets/releases".into(),
            paths: vec![String::new()],
            canonical_key_ids: vec![],
            threshold: 1
        }]
    );
    // As Docker warns, the image is then unpullable: targets/releases.json (signed by alice)
    // has no trusted key left, so notary and we skip it, and no tag is signed any more.
    let trusted = update(&s.admin).await;
    let skipped: Vec<&str> = trusted.skipped().iter().map(|r| r.role.as_str()).collect();
    assert_eq!(skipped, ["targets/releases"]);
    assert_eq!(seen(&trusted), Vec::<(String, String)>::new());
    let out = cli.output(&["list", &s.gun], None);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "notary list failed:\n{stdout}{stderr}");
    assert!(stdout.contains("No targets present in this repository."), "{stdout}");
    assert!(
        stderr.contains("valid signatures did not meet threshold for targets/releases"),
        "notary should skip targets/releases for want of keys:\n{stderr}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn revoke_tag_removes_the_tag_from_every_signable_role() {
    let Some(stack) = publish::stack() else { return };
    let s = with_alice(&stack, "revoke").await;
    sign(&stack, &s.alice_ci, "1.0").await;
    sign(&stack, &s.alice_ci, "2.0").await;
    let cli = CliRepo::attach(&stack, &s.gun);
    assert!(cli.lookup("1.0").is_some());

    let revoked = docker::revoke_tag(&s.alice_ci.repo, "1.0").await.expect("revoke 1.0");
    assert_eq!(roles(&revoked), ["targets/alice", "targets/releases"]);
    assert_served_as_sent(&stack, &s.gun, &revoked).await;

    let trusted = update(&s.alice_ci).await;
    assert_nothing_skipped(&trusted);
    assert_eq!(tags_of(&trusted, "targets/alice"), ["2.0"]);
    assert_eq!(tags_of(&trusted, "targets/releases"), ["2.0"]);
    assert_eq!(signed_digest(&trusted, "1.0"), None);

    let cli = CliRepo::attach(&stack, &s.gun);
    assert_eq!(cli.list(None), [row("2.0", "targets/alice")]);
    assert_eq!(cli.list(Some("targets/releases")), [row("2.0", "targets/releases")]);
    assert_eq!(cli.lookup("1.0"), None);
}

#[tokio::test(flavor = "current_thread")]
async fn revoking_a_tag_that_is_not_signed_is_an_error() {
    let Some(stack) = publish::stack() else { return };
    let s = with_alice(&stack, "revoke-unsigned").await;
    sign(&stack, &s.alice_ci, "1.0").await;
    match docker::revoke_tag(&s.alice_ci.repo, "9.9").await {
        Err(PublishError::NotSigned { name, .. }) => assert_eq!(name, "9.9"),
        other => panic!("expected NotSigned, got {other:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn sign_tag_without_a_signer_key_finds_no_signable_role() {
    let Some(stack) = publish::stack() else { return };
    let s = with_alice(&stack, "no-signable-role").await;
    let stranger = party(&stack, &s.gun, &[&new_key()]);
    match try_sign(&stranger, "1.0").await {
        Err(PublishError::NoSignableRole { gun, name, roles, .. }) => {
            assert_eq!((gun.as_str(), name.as_str()), (s.gun.as_str(), "1.0"));
            assert_eq!(roles, ["targets/alice", "targets/releases"]);
        }
        other => panic!("expected NoSignableRole, got {other:?}"),
    }
    assert_eq!(current_file(&stack, &s.gun, &RoleName::releases()).await, None, "nothing published");
    assert_eq!(CliRepo::attach(&stack, &s.gun).list(None), Vec::<CliTarget>::new());
}

#[tokio::test(flavor = "current_thread")]
async fn sign_tag_without_delegations_needs_the_targets_key() {
    let Some(stack) = publish::stack() else { return };
    let name = image(&stack, "no-targets-key");
    let admin = party(&stack, &name, &[]);
    admin.repo.init(&InitOptions::default()).await.expect("init");
    let first = admin.repo.publish(&[]).await.expect("first publish");
    assert_served_as_sent(&stack, &name, &first).await;
    let targets_key = update(&admin).await.root().signed().trusted_keys("targets");
    let targets_before = current_file(&stack, &name, &RoleName::targets()).await;

    let stranger = party(&stack, &name, &[&new_key()]);
    match try_sign(&stranger, "1.0").await {
        Err(PublishError::NoSigningKey { role, key_ids, .. }) => {
            assert_eq!(role, "targets");
            let expected: Vec<String> = targets_key.keys.keys().map(ToString::to_string).collect();
            assert_eq!(key_ids, expected);
        }
        other => panic!("expected NoSigningKey for targets, got {other:?}"),
    }
    assert_eq!(current_file(&stack, &name, &RoleName::targets()).await, targets_before, "nothing published");
    assert_eq!(CliRepo::attach(&stack, &name).list(None), Vec::<CliTarget>::new());
}

#[tokio::test(flavor = "current_thread")]
async fn a_docker_generated_signer_key_signs_through_docker_trust() {
    let Some(stack) = publish::stack() else { return };
    let name = image(&stack, "key-generate");
    let reference = ImageReference::parse(&format!("{name}:1.0")).expect("reference");
    assert_eq!(reference.gun().as_str(), name);
    let config = docker_config(&stack);
    let trust = docker_trust(&stack, config.path());

    // docker trust key generate ci --dir PUB
    let pub_dir = tempdir();
    let (key_id, pub_path) =
        generate_signer_key(&trust.trust_dir(), "ci", pub_dir.path(), &FixedPassphrase::new(PASSPHRASE))
            .expect("generate the signer key");
    assert_eq!(pub_path, pub_dir.path().join("ci.pub"));
    let pem = std::fs::read(&pub_path).expect("read ci.pub");
    assert!(String::from_utf8_lossy(&pem).contains("role: ci"), "{}", String::from_utf8_lossy(&pem));
    let ci_public = notary_client::key_file::decode_public_key(&pem).expect("ci.pub is a public key PEM");
    assert_eq!(ci_public.id(), &key_id);
    let key_file = config.path().join("trust").join("private").join(format!("{key_id}.key"));
    assert!(key_file.is_file(), "{} missing", key_file.display());

    // The admin (elsewhere) adds the signer with the public key file's key.
    let admin = party(&stack, &name, &[]);
    let added = docker::add_signer(&admin.repo, "ci", std::slice::from_ref(&ci_public)).await.expect("signer add");
    assert_served_as_sent(&stack, &name, &added).await;

    // The CI job signs with Docker's trust dir as its keyring.
    let ci = trust.repository(&reference).expect("DockerTrust::repository");
    let (digest, size) = manifest("1.0");
    let published = docker::sign_tag(&ci, "1.0", digest, size).await.expect("sign 1.0");
    assert_eq!(roles(&published), ["targets/ci", "targets/releases"]);
    assert_served_as_sent(&stack, &name, &published).await;
    for (role, bytes) in &published.files {
        let file = Signed::<Targets>::parse(role.clone(), bytes).expect("parse");
        let signers: Vec<&str> = file.signatures().iter().map(|s| s.keyid.as_str()).collect();
        assert_eq!(signers, [key_id.as_str()], "{role}");
    }

    let cli = CliRepo::attach(&stack, &name);
    assert_eq!(cli.list(None), [row("1.0", "targets/ci")]);
    assert_eq!(
        delegation_list(&cli),
        [delegation("targets/ci", &[&ci_public]), delegation("targets/releases", &[&ci_public])]
    );
    if docker_installed("the docker trust inspect comparison") {
        let docker = docker_inspect_agrees(&stack, &name).await;
        assert_eq!(docker[0]["Signers"], serde_json::json!([{ "Name": "ci", "Keys": [{ "ID": key_id.as_str() }] }]));
    }
}

/// An image whose `targets/releases` needs 2 of the keys `k1`, `k2`.
struct Threshold2 {
    gun: String,
    k1: Arc<SoftwareKey>,
    k2: Arc<SoftwareKey>,
}

async fn threshold_2(stack: &Stack, name: &str) -> Threshold2 {
    let gun = image(stack, name);
    let admin = party(stack, &gun, &[]);
    admin.repo.init(&InitOptions::default()).await.expect("init");
    let (k1, k2) = (new_key(), new_key());
    let published = admin
        .repo
        .publish(&[Change::AddDelegation {
            role: RoleName::releases(),
            keys: vec![public(&k1), public(&k2)],
            paths: vec![String::new()],
            threshold: Some(2),
        }])
        .await
        .expect("add targets/releases with threshold 2");
    assert_eq!(roles(&published), ["root", "targets"]);
    assert_served_as_sent(stack, &gun, &published).await;
    Threshold2 { gun, k1, k2 }
}

fn release(tag: &str) -> Change {
    let (digest, size) = manifest(tag);
    Change::add_target(RoleName::releases(), tag, FileMeta::sha256_only(digest, size))
}

fn signature_ids(bytes: &[u8]) -> Vec<String> {
    let file = Signed::<Targets>::parse(RoleName::releases(), bytes).expect("parse targets/releases");
    let mut ids: Vec<String> = file.signatures().iter().map(|s| s.keyid.to_string()).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "current_thread")]
async fn threshold_two_is_published_through_a_cosigned_draft() {
    let Some(stack) = publish::stack() else { return };
    let t = threshold_2(&stack, "threshold").await;
    let first = party(&stack, &t.gun, &[&t.k1]);

    match first.repo.publish(&[release("1.0")]).await {
        Err(PublishError::BelowThreshold { role, threshold, available }) => {
            assert_eq!((role.as_str(), threshold, available), ("targets/releases", 2, 1));
        }
        other => panic!("expected BelowThreshold, got {other:?}"),
    }
    assert_eq!(current_file(&stack, &t.gun, &RoleName::releases()).await, None, "nothing published");

    let draft = first.repo.prepare(&[release("1.0")]).await.expect("prepare");
    let drafted: Vec<&str> = draft.files().iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(drafted, ["targets/releases"]);
    assert_eq!(signature_ids(&draft.files()[0].1), [public(&t.k1).id().to_string()]);

    // The second key holder: another machine, its own trust dir, only k2.
    let second = party(&stack, &t.gun, &[&t.k2]);
    let received = Draft::from_files(draft.files().to_vec());
    let cosigned = second.repo.cosign(&received).await.expect("cosign");
    let published = second.repo.publish_draft(&cosigned).await.expect("publish the draft");
    assert_eq!(roles(&published), ["targets/releases"]);
    assert_served_as_sent(&stack, &t.gun, &published).await;
    let mut both = vec![public(&t.k1).id().to_string(), public(&t.k2).id().to_string()];
    both.sort();
    assert_eq!(signature_ids(published.file(&RoleName::releases()).expect("releases uploaded")), both);

    let reader = party(&stack, &t.gun, &[]);
    let trusted = update(&reader).await;
    assert_nothing_skipped(&trusted);
    assert_eq!(seen(&trusted), [("1.0".to_owned(), "targets/releases".to_owned())]);
    // notary verifies targets/releases against threshold 2.
    let cli = CliRepo::attach(&stack, &t.gun);
    assert_eq!(cli.list(None), [row("1.0", "targets/releases")]);
    assert_eq!(delegation_list(&cli)[0].threshold, 2);
}

#[tokio::test(flavor = "current_thread")]
async fn a_draft_made_stale_by_another_publish_is_refused() {
    let Some(stack) = publish::stack() else { return };
    let t = threshold_2(&stack, "stale-draft").await;
    let first = party(&stack, &t.gun, &[&t.k1]);
    let second = party(&stack, &t.gun, &[&t.k2]);
    // Two drafts prepared from the same state; the first to be published makes the other stale.
    let draft_a = first.repo.prepare(&[release("1.0")]).await.expect("prepare 1.0");
    let draft_b = first.repo.prepare(&[release("2.0")]).await.expect("prepare 2.0");

    let cosigned_a = second.repo.cosign(&Draft::from_files(draft_a.files().to_vec())).await.expect("cosign 1.0");
    let published = second.repo.publish_draft(&cosigned_a).await.expect("publish 1.0");
    assert_served_as_sent(&stack, &t.gun, &published).await;

    let stale = match second.repo.cosign(&Draft::from_files(draft_b.files().to_vec())).await {
        Ok(cosigned_b) => second.repo.publish_draft(&cosigned_b).await,
        Err(e) => Err(e),
    };
    match stale {
        Err(PublishError::StaleDraft { gun, reason }) => assert_eq!(gun, t.gun, "{reason}"),
        other => panic!("expected StaleDraft, got {other:?}"),
    }
    assert_eq!(
        current_file(&stack, &t.gun, &RoleName::releases()).await.as_deref(),
        published.file(&RoleName::releases()),
        "the stale draft was not published"
    );
    let cli = CliRepo::attach(&stack, &t.gun);
    assert_eq!(cli.list(None), [row("1.0", "targets/releases")]);
}
