//! Publishing when things go wrong (issue 5): the real notary-server behind a wrapper that
//! injects publish failures, wrong passphrases, repositories that do or do not exist. Each
//! failure is a typed error, nothing already stored (keys, cache) is lost, and nothing is
//! uploaded that should not be.

#[path = "support/notary_cli.rs"]
mod notary_cli;
#[path = "support/publish.rs"]
mod publish;
#[path = "support/stack.rs"]
mod stack;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use notary_client::metadata::{FileMeta, Gun, PublicKey, RoleName};
use notary_client::repository::{Change, InitOptions, PublishError, Repository};
use notary_client::server::{Errcode, MetadataName, NotaryServer, RemoteStore, ServerError};
use notary_client::trust_dir::TrustDir;

use publish::{
    SharedRemote, current_file, gun, new_key, public, repository, repository_on, server, stored_keys, tempdir,
};
use stack::Stack;

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

/// A published repository `name` (root v1, targets v2 with target `v1`) with its keys in a
/// new trust dir: (trust dir, repository).
async fn published(stack: &Stack, name: &str) -> (tempfile::TempDir, Repository) {
    let trust = tempdir();
    let repo = repository(stack, name, trust.path());
    repo.init(&InitOptions::default()).await.expect("init");
    repo.publish(&[add("v1", 1)]).await.expect("first publish");
    (trust, repo)
}

/// The server's current `targets.json` of `name`.
async fn served_targets(stack: &Stack, name: &str) -> Vec<u8> {
    current_file(stack, name, &RoleName::targets()).await.expect("GET targets.json")
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
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/errors/conflict";
    let (trust, _) = published(&stack, name).await;
    let remote = Arc::new(FailingPublish {
        inner: server(&stack),
        failure: Failure::VersionConflict,
        publishes: AtomicU32::new(0),
    });
    let repo = repository_on(SharedRemote(remote.clone()), name, trust.path()).with_max_attempts(3);
    match repo.publish(&[add("v2", 2)]).await {
        Err(PublishError::Conflict { attempts: 3, .. }) => {}
        other => panic!("expected a conflict after 3 attempts, got {other:?}"),
    }
    assert_eq!(remote.publishes.load(Ordering::SeqCst), 3, "one POST per attempt");
}

#[tokio::test(flavor = "current_thread")]
async fn a_server_failure_while_publishing_is_reported_and_nothing_stored_is_lost() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/errors/unavailable";
    let (trust, _) = published(&stack, name).await;
    let before_server = served_targets(&stack, name).await;
    // The cache as the next update leaves it, and the keys.
    repository(&stack, name, trust.path()).update().await.expect("update");
    let before = snapshot_of(trust.path());
    let failing = FailingPublish { inner: server(&stack), failure: Failure::Unavailable, publishes: AtomicU32::new(0) };
    let repo = repository_on(failing, name, trust.path());
    match repo.publish(&[add("v2", 2)]).await {
        Err(PublishError::Server(ServerError::Unavailable { status: 503, .. })) => {}
        other => panic!("expected the 503 to be reported, got {other:?}"),
    }
    assert_eq!(snapshot_of(trust.path()), before, "keys and cache are untouched");
    assert_eq!(served_targets(&stack, name).await, before_server);
}

#[tokio::test(flavor = "current_thread")]
async fn a_wrong_passphrase_is_a_typed_error_and_nothing_is_uploaded() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/errors/passphrase";
    let (trust, _) = published(&stack, name).await;
    let before_server = served_targets(&stack, name).await;
    let repo = Repository::new(gun(name), server(&stack), TrustDir::new(trust.path()))
        .with_keys(stored_keys(trust.path(), "not-the-passphrase"));
    let err = repo.publish(&[add("v2", 2)]).await.expect_err("a wrong passphrase cannot sign");
    assert!(matches!(err, PublishError::Signing(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("could not be unlocked"), "{text}");
    assert!(!text.contains("not-the-passphrase"), "the passphrase is never printed: {text}");
    assert_eq!(served_targets(&stack, name).await, before_server);
}

#[tokio::test(flavor = "current_thread")]
async fn init_is_refused_when_the_server_has_the_repository() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/errors/exists";
    published(&stack, name).await;
    let other = tempdir();
    let repo = repository(&stack, name, other.path());
    match repo.init(&InitOptions::default()).await {
        Err(PublishError::AlreadyInitialized { version: 1, .. }) => {}
        other => panic!("expected AlreadyInitialized, got {other:?}"),
    }
    assert!(!other.path().join("private").exists(), "no key was created");
}

#[tokio::test(flavor = "current_thread")]
async fn publishing_a_repository_nobody_initialised_is_refused() {
    let Some(stack) = publish::stack() else { return };
    let trust = tempdir();
    let repo = repository(&stack, "example.com/errors/none", trust.path());
    match repo.publish(&[add("v1", 1)]).await {
        Err(PublishError::NotInitialized { .. }) => {}
        other => panic!("expected NotInitialized, got {other:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn publishing_to_a_read_only_remote_is_refused() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/errors/read-only";
    let (trust, _) = published(&stack, name).await;
    let repo = repository_on(ReadOnly(server(&stack)), name, trust.path());
    match repo.publish(&[add("v2", 2)]).await {
        Err(PublishError::Server(ServerError::ReadOnly { .. })) => {}
        other => panic!("expected ReadOnly, got {other:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn changes_already_in_effect_upload_nothing() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/errors/no-op";
    let (_trust, repo) = published(&stack, name).await;
    let before = served_targets(&stack, name).await;
    let again = repo.publish(&[add("v1", 1)]).await.expect("publish");
    assert!(again.files.is_empty(), "nothing to upload");
    assert_eq!(again.attempts, 1);
    assert_eq!(served_targets(&stack, name).await, before);
}

/// `targets/releases` delegated to `key` with two versions published (t1, t2), then deleted:
/// the server keeps `targets/releases.json` v2, which the trust data no longer reaches.
async fn deleted_releases(repo: &Repository, key: &Arc<notary_client::keys::SoftwareKey>) {
    repo.keys().add_signer(key.clone());
    repo.publish(&[delegate_releases(key), sign_release(1)]).await.expect("delegate and sign");
    repo.publish(&[sign_release(2)]).await.expect("sign again"); // targets/releases v2
    repo.publish(&[Change::DeleteDelegation { role: RoleName::releases() }]).await.expect("delete");
}

fn delegate_releases(key: &Arc<notary_client::keys::SoftwareKey>) -> Change {
    Change::add_delegation(RoleName::releases(), vec![public(key)], vec![String::new()])
}

fn sign_release(byte: u8) -> Change {
    Change::add_target(RoleName::releases(), format!("t{byte}"), FileMeta::sha256_only([byte; 32], 1))
}

#[tokio::test(flavor = "current_thread")]
async fn a_delegation_added_again_with_a_new_key_continues_its_numbering() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/errors/renumber";
    let (_trust, repo) = published(&stack, name).await;
    deleted_releases(&repo, &new_key()).await;
    let key = new_key();
    repo.keys().add_signer(key.clone());
    let published = repo.publish(&[delegate_releases(&key), sign_release(3)]).await.expect("delegate again and sign");
    let releases = RoleName::releases();
    let file: serde_json::Value = serde_json::from_slice(published.file(&releases).expect("uploaded")).unwrap();
    assert_eq!(file["signed"]["version"], 3, "numbered after the server's v2");
    let trusted = repo.update().await.expect("update");
    let names: Vec<String> = trusted.role_targets(&releases).into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["t3"], "the old content is gone");
}

#[tokio::test(flavor = "current_thread")]
async fn a_file_the_current_keys_sign_is_never_replaced_by_an_empty_one() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/errors/same-key";
    let (_trust, repo) = published(&stack, name).await;
    let key = new_key();
    deleted_releases(&repo, &key).await;
    let before = publish::current_file(&stack, name, &RoleName::releases()).await;
    // Delegated again to the same key: the leftover v2 verifies with it, so it may be live
    // data a lagging read missed. Refused rather than overwritten.
    let err = repo.publish(&[delegate_releases(&key), sign_release(3)]).await.expect_err("refused");
    assert!(
        matches!(err, PublishError::InvalidChange { .. }) && err.to_string().contains("refusing to replace"),
        "{err}"
    );
    assert_eq!(publish::current_file(&stack, name, &RoleName::releases()).await, before);
}

#[tokio::test(flavor = "current_thread")]
async fn publishing_with_token_auth_needs_credentials_with_push_access() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up_with(&[("AUTH", "token"), ("TOKEN_BASIC", "ci:ci-pass")]);
    let name = "example.com/errors/token";
    let trust = publish::tempdir();
    let ca = std::fs::read(stack.notary_ca()).expect("read the stack's CA");
    let with = |credentials| {
        let server = NotaryServer::builder(stack.notary_url()).add_ca_pem(&ca).credentials(credentials).build();
        publish::repository_on(server.expect("server"), name, trust.path())
    };
    let authorised = with(notary_client::server::auth::Credentials::basic("ci", "ci-pass"));
    authorised.init(&InitOptions::default()).await.expect("init with credentials");
    let published = authorised.publish(&[add("v1", 1)]).await.expect("publish with credentials");
    assert_eq!(publish::roles(&published), ["root", "targets"]);

    let anonymous = with(notary_client::server::auth::Credentials::Anonymous);
    let err = anonymous.publish(&[add("v2", 2)]).await.expect_err("anonymous cannot even read");
    assert!(matches!(err, PublishError::Update { .. }) && err.to_string().contains("not authorized"), "{err}");
    let trusted = authorised.update().await.expect("update with credentials");
    let names: Vec<String> = trusted.targets().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["v1"], "nothing was published anonymously");
    let served = trusted.role(&RoleName::targets()).expect("targets").metadata.raw_bytes().map(<[u8]>::to_vec);
    assert_eq!(served.as_deref(), published.file(&RoleName::targets()), "served as sent");
}

#[tokio::test(flavor = "current_thread")]
async fn init_against_an_unreachable_server_creates_no_key() {
    let trust = publish::tempdir();
    let server = NotaryServer::builder("https://127.0.0.1:1").retries(0).build().expect("server");
    let repo = publish::repository_on(server, "example.com/errors/unreachable", trust.path());
    match repo.init(&InitOptions::default()).await {
        Err(PublishError::Server(ServerError::Network { .. })) => {}
        other => panic!("expected a network error, got {other:?}"),
    }
    assert!(!trust.path().join("private").exists(), "no key was created");
    assert!(!trust.path().join("tuf").exists(), "nothing was cached");
}

/// The real server, except that `timestamp.json` is unavailable (503).
struct NoTimestamp(NotaryServer);

#[async_trait::async_trait]
impl RemoteStore for NoTimestamp {
    async fn get_metadata(&self, gun: &Gun, name: &MetadataName, limit: u64) -> Result<Vec<u8>, ServerError> {
        if *name == MetadataName::Current(RoleName::timestamp()) {
            return Err(ServerError::Unavailable { resource: format!("{gun}: {name}"), status: 503, code: None });
        }
        self.0.get_metadata(gun, name, limit).await
    }

    async fn publish(&self, gun: &Gun, files: &[(RoleName, Vec<u8>)]) -> Result<(), ServerError> {
        self.0.publish(gun, files).await
    }
}

#[tokio::test(flavor = "current_thread")]
async fn publishing_on_top_of_cached_data_is_refused() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/errors/offline";
    let (trust, repo) = published(&stack, name).await;
    repo.update().await.expect("cache the current state");
    let before = served_targets(&stack, name).await;
    let offline = publish::repository_on(NoTimestamp(server(&stack)), name, trust.path());
    match offline.publish(&[add("v2", 2)]).await {
        Err(PublishError::Offline { reason, .. }) => assert!(reason.contains("503"), "{reason}"),
        other => panic!("expected Offline, got {other:?}"),
    }
    assert_eq!(served_targets(&stack, name).await, before, "nothing was published");
}
