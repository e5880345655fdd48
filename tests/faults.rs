//! Faults against the real stack: notary-server killed or restarted, 5xx answers and
//! connection resets while reading and publishing (through the man in the middle of
//! `support/mitm.rs`). Reads fall back to the verified cache where the Go client does; writes
//! fail with a typed error and leave keys, cache and server as they were; a publish whose
//! answer was lost is neither lost nor duplicated.

#[path = "support/mitm.rs"]
mod mitm;
#[path = "support/notary_cli.rs"]
mod notary_cli;
#[path = "support/publish.rs"]
mod publish;
#[path = "support/stack.rs"]
mod stack;

use std::time::Duration;

use notary_client::metadata::{FileMeta, RoleName};
use notary_client::repository::{Change, InitOptions, PublishError, Repository};
use notary_client::server::{NotaryServer, ServerError};
use notary_client::trusted::TrustError;

use mitm::{Answer, Mitm, Target};
use publish::{current_file, files_below, repository, repository_on, tempdir};
use stack::Stack;

const GUN: &str = "example.com/faults/app";

fn add(name: &str) -> Change {
    Change::add_target(RoleName::targets(), name, FileMeta::sha256_only([7; 32], 70))
}

/// A published repository (root, targets with `v1`) and its owner's trust dir.
async fn published(stack: &Stack) -> tempfile::TempDir {
    let trust = tempdir();
    let owner = repository(stack, GUN, trust.path());
    owner.init(&InitOptions::default()).await.expect("init");
    owner.publish(&[add("v1")]).await.expect("publish v1");
    trust
}

/// A published repository its owner has read once: its trust dir and the owner.
async fn owner_after_a_read(stack: &Stack) -> (tempfile::TempDir, Repository) {
    let trust = published(stack).await;
    let owner = repository(stack, GUN, trust.path());
    owner.update().await.expect("read");
    (trust, owner)
}

/// Our client for the man in the middle (quick retries and time limits).
fn via(stack: &Stack, mitm: &Mitm) -> NotaryServer {
    let ca = std::fs::read(stack.notary_ca()).expect("CA");
    NotaryServer::builder(mitm.url())
        .add_ca_pem(&ca)
        .retries(2)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("server client")
}

/// The requests for `file_prefix` (`timestamp`, `snapshot.`...) the man in the middle saw.
fn requests(mitm: &Mitm, file_prefix: &str) -> usize {
    mitm.seen().iter().filter(|s| s.path.rsplit('/').next().is_some_and(|f| f.starts_with(file_prefix))).count()
}

/// The target names of `targets` the honest server serves now.
async fn served_targets(stack: &Stack) -> Vec<u8> {
    current_file(stack, GUN, &RoleName::targets()).await.expect("targets.json")
}

// ------------------------------------------------------------------ notary-server down

#[tokio::test]
async fn reads_fall_back_to_the_verified_cache_when_notary_server_is_down() {
    let Some(stack) = publish::stack() else { return };
    let owner_trust = published(&stack).await;
    let reader = repository(&stack, GUN, owner_trust.path());
    reader.update().await.expect("read while the server is up");
    let before = files_below(owner_trust.path());
    stack.kill("server");
    let trusted = reader.update().await.expect("served from the verified cache");
    publish::assert_served_from_cache_as_unreachable(&trusted);
    assert!(trusted.targets().iter().any(|t| t.name == "v1"));
    assert_eq!(files_below(owner_trust.path()), before, "the cache is unchanged");
}

#[tokio::test]
async fn publish_while_notary_server_is_down_fails_and_changes_nothing() {
    let Some(stack) = publish::stack() else { return };
    let (trust, owner) = owner_after_a_read(&stack).await;
    let before = files_below(trust.path());
    stack.kill("server");
    let e = owner.publish(&[add("v2")]).await.expect_err("nothing to publish to");
    // The update falls back to the cache, and nothing is published on top of cached data.
    assert!(matches!(&e, PublishError::Offline { reason, .. } if reason.contains("cannot reach")), "{e:?}");
    assert!(e.to_string().contains(GUN), "the error names the repository: {e}");
    assert_eq!(files_below(trust.path()), before, "keys and cache are unchanged");
}

#[tokio::test]
async fn publish_after_notary_server_restarted_without_its_data_is_refused_and_changes_nothing() {
    let Some(stack) = publish::stack() else { return };
    let (trust, owner) = owner_after_a_read(&stack).await;
    let before = files_below(trust.path());
    // The stack's notary-server keeps its metadata in memory: a restart loses every
    // repository, as a server restored from an empty database would.
    stack.kill("server");
    stack.restart_notary_server();
    let e = owner.publish(&[add("v2")]).await.expect_err("the server has no trust data for the repository");
    assert!(matches!(&e, PublishError::Offline { reason, .. } if reason.contains("not found")), "{e:?}");
    assert_eq!(files_below(trust.path()), before, "keys and cache are unchanged");
    assert!(current_file(&stack, GUN, &RoleName::targets()).await.is_none(), "nothing was re-created on the server");
}

#[tokio::test]
async fn publishes_before_and_after_a_notary_server_restart_with_a_fresh_repository_both_land() {
    let Some(stack) = publish::stack() else { return };
    let trust = published(&stack).await;
    stack.kill("server");
    stack.restart_notary_server();
    // A new repository after the restart publishes as on a fresh server.
    let trust2 = tempdir();
    let owner2 = repository(&stack, "example.com/faults/after-restart", trust2.path());
    owner2.init(&InitOptions::default()).await.expect("init after the restart");
    owner2.publish(&[add("v1")]).await.expect("publish after the restart");
    assert!(owner2.update().await.expect("read").targets().iter().any(|t| t.name == "v1"));
    drop(trust);
}

// ------------------------------------------------------------------ 5xx and resets while reading

#[tokio::test]
async fn reads_retry_a_503_and_succeed() {
    let Some(stack) = publish::stack() else { return };
    let trust = published(&stack).await;
    let mitm = Mitm::start(stack.notary_url(), &stack.dir().join("tls"));
    let reader = repository_on(via(&stack, &mitm), GUN, trust.path());
    mitm.times(1, Target::Role("timestamp".into()), Answer::Status(503));
    let trusted = reader.update().await.expect("the retry succeeds");
    assert!(!trusted.served_from_cache());
    assert_eq!(requests(&mitm, "timestamp"), 2, "{:?}", mitm.seen());
}

#[tokio::test]
async fn reads_give_up_after_a_bounded_number_of_retries() {
    let Some(stack) = publish::stack() else { return };
    let (trust, owner) = owner_after_a_read(&stack).await;
    owner.publish(&[add("v2")]).await.expect("publish v2"); // a snapshot the cache does not have
    let mitm = Mitm::start(stack.notary_url(), &stack.dir().join("tls"));
    let reader = repository_on(via(&stack, &mitm), GUN, trust.path());
    mitm.always(Target::Role("snapshot".into()), Answer::Status(503));
    let e = reader.update().await.expect_err("the snapshot never comes");
    assert!(matches!(e.reason(), TrustError::Server(ServerError::Unavailable { status: 503, .. })), "{e:?}");
    // 1 + 2 retries, and the whole update is tried twice (Go retries once with a fresh root).
    assert_eq!(requests(&mitm, "snapshot"), 6, "{:?}", mitm.seen());
}

#[tokio::test]
async fn a_connection_reset_while_reading_is_retried() {
    let Some(stack) = publish::stack() else { return };
    let trust = published(&stack).await;
    let mitm = Mitm::start(stack.notary_url(), &stack.dir().join("tls"));
    let reader = repository_on(via(&stack, &mitm), GUN, trust.path());
    mitm.times(1, Target::Role("timestamp".into()), Answer::Reset);
    let trusted = reader.update().await.expect("the retry succeeds");
    assert!(!trusted.served_from_cache());
}

// ------------------------------------------------------------------ 5xx and resets while publishing

#[tokio::test]
async fn a_publish_answered_503_changes_nothing_and_the_next_one_lands() {
    let Some(stack) = publish::stack() else { return };
    let trust = published(&stack).await;
    let mitm = Mitm::start(stack.notary_url(), &stack.dir().join("tls"));
    let owner = repository_on(via(&stack, &mitm), GUN, trust.path());
    owner.update().await.expect("read");
    let before_server = served_targets(&stack).await;
    let before = files_below(trust.path());
    mitm.times(1, Target::Publish, Answer::Status(503));
    let e = owner.publish(&[add("v2")]).await.expect_err("the 503 is reported");
    assert!(matches!(e, PublishError::Server(ServerError::Unavailable { status: 503, .. })), "{e:?}");
    assert_eq!(served_targets(&stack).await, before_server, "the server is unchanged");
    assert_eq!(files_below(trust.path()), before, "keys and cache are unchanged");
    owner.publish(&[add("v2")]).await.expect("the next publish lands");
    let names: Vec<String> = owner.update().await.expect("read").targets().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["v1", "v2"]);
}

#[tokio::test]
async fn a_publish_whose_answer_was_lost_is_neither_lost_nor_duplicated() {
    let Some(stack) = publish::stack() else { return };
    let trust = published(&stack).await;
    let mitm = Mitm::start(stack.notary_url(), &stack.dir().join("tls"));
    let owner = repository_on(via(&stack, &mitm), GUN, trust.path());
    owner.update().await.expect("read");
    let version_before = targets_version(&served_targets(&stack).await);
    mitm.times(1, Target::Publish, Answer::ForwardThenReset);
    let e = owner.publish(&[add("v2")]).await.expect_err("the client never hears back");
    assert!(matches!(e, PublishError::Server(ServerError::Network { .. })), "{e:?}");
    // It landed on the server.
    assert_eq!(targets_version(&served_targets(&stack).await), version_before + 1);
    // The CI job runs the same change again: nothing new to sign, nothing uploaded twice.
    let again = owner.publish(&[add("v2")]).await.expect("the repeated publish");
    assert!(
        again.files.is_empty(),
        "uploaded again: {:?}",
        again.files.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>()
    );
    assert_eq!(targets_version(&served_targets(&stack).await), version_before + 1);
    let names: Vec<String> = owner.update().await.expect("read").targets().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["v1", "v2"]);
}

fn targets_version(bytes: &[u8]) -> u64 {
    publish::json(bytes)["signed"]["version"].as_u64().expect("version")
}

#[tokio::test]
async fn publishes_on_both_sides_of_a_server_restart_land() {
    let Some(stack) = publish::stack() else { return };
    let trust = published(&stack).await;
    let mitm = Mitm::start(stack.notary_url(), &stack.dir().join("tls"));
    let owner = repository_on(via(&stack, &mitm), GUN, trust.path());
    owner.publish(&[add("v2")]).await.expect("publish before the restart");
    // The server restarts (with its storage): every connection is reset while it is down.
    mitm.always(Target::Any, Answer::Reset);
    let e = owner.publish(&[add("down")]).await.expect_err("nothing answers while it is down");
    assert!(matches!(&e, PublishError::Offline { .. }), "{e:?}");
    mitm.honest();
    owner.publish(&[add("v3")]).await.expect("publish after the restart");
    let names: Vec<String> = owner.update().await.expect("read").targets().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["v1", "v2", "v3"], "nothing lost, nothing from the failed publish");
}
