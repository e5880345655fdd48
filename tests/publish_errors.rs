//! Publishing when things go wrong (issue 5): the real notary-server behind a wrapper that
//! injects publish failures, wrong passphrases, repositories that do or do not exist. Each
//! failure is a typed error, nothing already stored (keys, cache) is lost, and nothing is
//! uploaded that should not be.

#[path = "support/stack.rs"]
mod stack;

#[path = "support/notary_cli.rs"]
mod notary_cli;

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use notary_client::metadata::{FileMeta, Gun, PublicKey, RoleName};
use notary_client::passphrase::FixedPassphrase;
use notary_client::repository::{Change, InitOptions, Keyring, PublishError, Repository};
use notary_client::server::{Errcode, MetadataName, NotaryServer, RemoteStore, ServerError, limits};
use notary_client::trust_dir::TrustDir;

use stack::Stack;

const PASSPHRASE: &str = "publish-errors-pass";

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("publish-errors.").tempdir().expect("create a temporary directory")
}

fn gun(s: &str) -> Gun {
    Gun::new(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn server(stack: &Stack) -> NotaryServer {
    let ca = std::fs::read(stack.notary_ca()).expect("read the stack's CA");
    NotaryServer::builder(stack.notary_url()).add_ca_pem(&ca).build().expect("build a NotaryServer")
}

fn keyring(trust: &Path, passphrase: &str) -> Keyring {
    Keyring::from_store(TrustDir::new(trust).keys(), FixedPassphrase::new(passphrase))
}

fn repository(remote: impl RemoteStore + 'static, name: &str, trust: &Path) -> Repository {
    Repository::new(gun(name), remote, TrustDir::new(trust)).with_keys(keyring(trust, PASSPHRASE))
}

fn add(name: &str, byte: u8) -> Change {
    Change::add_target(RoleName::targets(), name, FileMeta::sha256_only([byte; 32], 10))
}

/// What a publish failure is made of.
#[derive(Clone, Copy)]
enum Failure {
    /// `400 VERSION`: someone else published first.
    VersionConflict,
    /// `503`.
    Unavailable,
}

/// The real server, except that publishing fails as configured (counting the attempts).
struct FailingPublish {
    inner: NotaryServer,
    failure: Failure,
    publishes: AtomicU32,
}

#[async_trait::async_trait]
impl RemoteStore for FailingPublish {
    async fn get_metadata(&self, gun: &Gun, name: &MetadataName, limit: u64) -> Result<Vec<u8>, ServerError> {
        self.inner.get_metadata(gun, name, limit).await
    }

    async fn publish(&self, gun: &Gun, _files: &[(RoleName, Vec<u8>)]) -> Result<(), ServerError> {
        self.publishes.fetch_add(1, Ordering::SeqCst);
        let resource = format!("{gun}: POST tuf/");
        Err(match self.failure {
            Failure::VersionConflict => ServerError::Rejected {
                resource,
                status: 400,
                errcode: Box::new(Errcode { code: Some("VERSION".into()), ..Errcode::default() }),
            },
            Failure::Unavailable => ServerError::Unavailable { resource, status: 503, code: None },
        })
    }

    async fn get_key(&self, gun: &Gun, role: &RoleName) -> Result<PublicKey, ServerError> {
        self.inner.get_key(gun, role).await
    }
}

/// A remote that only reads.
struct ReadOnly(NotaryServer);

#[async_trait::async_trait]
impl RemoteStore for ReadOnly {
    async fn get_metadata(&self, gun: &Gun, name: &MetadataName, limit: u64) -> Result<Vec<u8>, ServerError> {
        self.0.get_metadata(gun, name, limit).await
    }
}

/// A published repository `name` (root v1, targets v2 with target `v1`) with its keys in `trust`.
async fn published(stack: &Stack, name: &str, trust: &Path) -> Repository {
    let repo = repository(server(stack), name, trust);
    repo.init(&InitOptions::default()).await.expect("init");
    repo.publish(&[add("v1", 1)]).await.expect("first publish");
    repo
}

async fn served_targets(stack: &Stack, name: &str) -> Vec<u8> {
    server(stack)
        .get_metadata(&gun(name), &MetadataName::Current(RoleName::targets()), limits::MAX_DOWNLOAD)
        .await
        .expect("GET targets.json")
}

/// Every file below `dir` with its bytes (sorted).
fn snapshot_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("list a directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push((path.display().to_string(), std::fs::read(&path).expect("read")));
            }
        }
    }
    out.sort();
    out
}

// ------------------------------------------------------------------------------ tests

#[tokio::test(flavor = "current_thread")]
async fn version_conflicts_are_retried_until_the_attempts_run_out() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/errors/conflict";
    published(&stack, name, trust.path()).await;
    let remote = std::sync::Arc::new(FailingPublish {
        inner: server(&stack),
        failure: Failure::VersionConflict,
        publishes: AtomicU32::new(0),
    });
    let repo = repository(SharedRemote(remote.clone()), name, trust.path()).with_max_attempts(3);
    match repo.publish(&[add("v2", 2)]).await {
        Err(PublishError::Conflict { attempts: 3, .. }) => {}
        other => panic!("expected a conflict after 3 attempts, got {other:?}"),
    }
    assert_eq!(remote.publishes.load(Ordering::SeqCst), 3, "one POST per attempt");
}

/// An `Arc`'d remote, so the test can inspect it while the repository owns it.
struct SharedRemote(std::sync::Arc<FailingPublish>);

#[async_trait::async_trait]
impl RemoteStore for SharedRemote {
    async fn get_metadata(&self, gun: &Gun, name: &MetadataName, limit: u64) -> Result<Vec<u8>, ServerError> {
        self.0.get_metadata(gun, name, limit).await
    }

    async fn publish(&self, gun: &Gun, files: &[(RoleName, Vec<u8>)]) -> Result<(), ServerError> {
        self.0.publish(gun, files).await
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_server_failure_while_publishing_is_reported_and_nothing_stored_is_lost() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/errors/unavailable";
    published(&stack, name, trust.path()).await;
    let before_server = served_targets(&stack, name).await;
    // The cache as the next update leaves it, and the keys.
    repository(server(&stack), name, trust.path()).update().await.expect("update");
    let before = snapshot_of(trust.path());
    let failing = FailingPublish { inner: server(&stack), failure: Failure::Unavailable, publishes: AtomicU32::new(0) };
    let repo = repository(failing, name, trust.path());
    match repo.publish(&[add("v2", 2)]).await {
        Err(PublishError::Server(ServerError::Unavailable { status: 503, .. })) => {}
        other => panic!("expected the 503 to be reported, got {other:?}"),
    }
    assert_eq!(snapshot_of(trust.path()), before, "keys and cache are untouched");
    assert_eq!(served_targets(&stack, name).await, before_server);
}

#[tokio::test(flavor = "current_thread")]
async fn a_wrong_passphrase_is_a_typed_error_and_nothing_is_uploaded() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/errors/passphrase";
    published(&stack, name, trust.path()).await;
    let before_server = served_targets(&stack, name).await;
    let repo = Repository::new(gun(name), server(&stack), TrustDir::new(trust.path()))
        .with_keys(keyring(trust.path(), "not-the-passphrase"));
    let err = repo.publish(&[add("v2", 2)]).await.expect_err("a wrong passphrase cannot sign");
    assert!(matches!(err, PublishError::Signing(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("could not be unlocked"), "{text}");
    assert!(!text.contains("not-the-passphrase"), "the passphrase is never printed: {text}");
    assert_eq!(served_targets(&stack, name).await, before_server);
}

#[tokio::test(flavor = "current_thread")]
async fn init_is_refused_when_the_server_has_the_repository() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let name = "example.com/errors/exists";
    published(&stack, name, tempdir().path()).await;
    let other = tempdir();
    let repo = repository(server(&stack), name, other.path());
    match repo.init(&InitOptions::default()).await {
        Err(PublishError::AlreadyInitialized { version: 1, .. }) => {}
        other => panic!("expected AlreadyInitialized, got {other:?}"),
    }
    assert!(!other.path().join("private").exists(), "no key was created");
}

#[tokio::test(flavor = "current_thread")]
async fn publishing_a_repository_nobody_initialised_is_refused() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let repo = repository(server(&stack), "example.com/errors/none", trust.path());
    match repo.publish(&[add("v1", 1)]).await {
        Err(PublishError::NotInitialized { .. }) => {}
        other => panic!("expected NotInitialized, got {other:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn publishing_to_a_read_only_remote_is_refused() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/errors/read-only";
    published(&stack, name, trust.path()).await;
    let repo = repository(ReadOnly(server(&stack)), name, trust.path());
    match repo.publish(&[add("v2", 2)]).await {
        Err(PublishError::Server(ServerError::ReadOnly { .. })) => {}
        other => panic!("expected ReadOnly, got {other:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn changes_already_in_effect_upload_nothing() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/errors/no-op";
    let repo = published(&stack, name, trust.path()).await;
    let before = served_targets(&stack, name).await;
    let again = repo.publish(&[add("v1", 1)]).await.expect("publish");
    assert!(again.files.is_empty(), "nothing to upload");
    assert_eq!(again.attempts, 1);
    assert_eq!(served_targets(&stack, name).await, before);
}

#[tokio::test(flavor = "current_thread")]
async fn a_delegation_added_again_after_deletion_continues_its_numbering() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let trust = tempdir();
    let name = "example.com/errors/renumber";
    let repo = published(&stack, name, trust.path()).await;
    let key = std::sync::Arc::new(notary_client::keys::SoftwareKey::generate_p256().unwrap());
    repo.keys().add_signer(key.clone());
    let public = notary_client::keys::Signer::public_key(&*key).clone();
    let releases = RoleName::releases();
    let delegate = Change::add_delegation(releases.clone(), vec![public], vec![String::new()]);
    let sign = |byte| Change::add_target(releases.clone(), format!("t{byte}"), FileMeta::sha256_only([byte; 32], 1));
    repo.publish(&[delegate.clone(), sign(1)]).await.expect("delegate and sign");
    repo.publish(&[sign(2)]).await.expect("sign again"); // targets/releases v2
    repo.publish(&[Change::DeleteDelegation { role: releases.clone() }]).await.expect("delete");
    let published = repo.publish(&[delegate, sign(3)]).await.expect("delegate again and sign");
    let file: serde_json::Value = serde_json::from_slice(published.file(&releases).expect("uploaded")).unwrap();
    assert_eq!(file["signed"]["version"], 3, "numbered after the server's v2");
    let trusted = repo.update().await.expect("update");
    let names: Vec<String> = trusted.role_targets(&releases).into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["t3"], "the old content is gone");
}
