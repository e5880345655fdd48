//! Many signers publishing to one repository at the same moment, as parallel CI jobs do: each
//! job has its own [`Repository`], trust directory (cache) and runtime, on its own OS thread;
//! the library retries after `400 VERSION` until every signature has landed. The result is
//! checked byte for byte against the server (every uploaded file, by its hash), by our own
//! update and by the real notary CLI with a fresh trust directory.
//!
//! The jobs run on OS threads with one current-thread tokio runtime each (8 CI jobs are 8
//! processes): the crate's tokio dev-dependency has no `rt-multi-thread`, so
//! `#[tokio::test(flavor = "multi_thread")]` is not available.
//!
//! Every test starts its own stack. When the notary CLI is missing the tests fail under `CI`
//! and are skipped otherwise.

#[path = "support/notary_cli.rs"]
mod notary_cli;
#[path = "support/publish.rs"]
mod publish;
#[path = "support/stack.rs"]
mod stack;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use notary_client::docker::sign_tag;
use notary_client::keys::SoftwareKey;
use notary_client::metadata::{Gun, PublicKey, RoleName, Signed, Targets};
use notary_client::repository::{Change, InitOptions, Keyring, Published, Repository};
use notary_client::server::{MetadataName, NotaryServer, RemoteStore, ServerError};
use notary_client::trust_dir::TrustDir;
use notary_client::trusted::TrustedRepository;

use notary_cli::{CliRepo, CliTarget};
use publish::{
    SharedRemote, assert_nothing_skipped, assert_served_as_sent, assert_stored_as_sent, gun, holding, manifest,
    new_key, public, role, roles, row, server, tempdir, uploaded_version,
};
use stack::Stack;

/// Attempts allowed per publish (the default is 20): generous, so that the test reports how
/// many were needed rather than fails on an unlucky streak.
const MAX_ATTEMPTS: u32 = 200;

/// A current-thread tokio runtime.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime")
}

/// The admin: initialises `gun_name` and publishes `delegations` (role, key), all paths.
async fn set_up(stack: &Stack, gun_name: &str, delegations: &[(RoleName, PublicKey)]) {
    let trust = tempdir();
    let admin = holding(stack, gun_name, trust.path(), &[]);
    admin.init(&InitOptions::default()).await.expect("init");
    let changes: Vec<Change> = delegations
        .iter()
        .map(|(role, key)| Change::add_delegation(role.clone(), vec![key.clone()], vec![String::new()]))
        .collect();
    let published = admin.publish(&changes).await.expect("publish the delegations");
    assert_eq!(roles(&published), ["root", "targets"]);
    assert_served_as_sent(stack, gun_name, &published).await;
}

/// Runs `job(0..n)` on `n` OS threads at once (released together by a barrier), each with its
/// own current-thread runtime, and returns their results in job order. A job's panic fails
/// the test with the job's message.
fn run_jobs<T, F, Fut>(n: usize, job: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> Fut + Sync,
    Fut: Future<Output = T>,
{
    let start = Barrier::new(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (job, start) = (&job, &start);
                scope.spawn(move || {
                    let runtime = runtime();
                    start.wait();
                    runtime.block_on(job(i))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

/// One CI job: its own repository, trust dir and keyring holding `key`; signs `tags` one
/// publish each (Docker's role choice) and returns what each publish uploaded.
async fn ci_job(stack: &Stack, gun_name: &str, key: &Arc<SoftwareKey>, tags: &[String]) -> Vec<(String, Published)> {
    let trust = tempdir();
    let repo = holding(stack, gun_name, trust.path(), &[key]).with_max_attempts(MAX_ATTEMPTS);
    let mut out = Vec::with_capacity(tags.len());
    for tag in tags {
        let (digest, size) = manifest(tag);
        let published =
            sign_tag(&repo, tag, digest, size).await.unwrap_or_else(|e| panic!("signing {tag} into {gun_name}: {e}"));
        out.push((tag.clone(), published));
    }
    out
}

/// The target names of the file uploaded for `role`.
fn target_names(published: &Published, role: &RoleName) -> Vec<String> {
    let bytes = published.file(role).expect("role uploaded");
    let file = Signed::<Targets>::parse(role.clone(), bytes).expect("parse the uploaded file");
    file.signed().targets.keys().cloned().collect()
}

async fn fresh_update(stack: &Stack, gun_name: &str) -> TrustedRepository {
    let trust = tempdir();
    let reader = holding(stack, gun_name, trust.path(), &[]);
    let trusted = reader.update().await.unwrap_or_else(|e| panic!("update of {gun_name}: {e}"));
    assert_nothing_skipped(&trusted);
    trusted
}

/// Checks the publishes of one role: each uploaded only `role`, each file is stored as sent,
/// their versions are exactly 1..=n (none lost, none duplicated), and the newest is the
/// current file. Returns (max attempts, total attempts).
async fn check_role_publishes(stack: &Stack, gun_name: &str, role: &RoleName, published: &[&Published]) -> (u32, u32) {
    let mut versions = Vec::with_capacity(published.len());
    for p in published {
        assert_eq!(roles(p), [role.as_str()]);
        assert_stored_as_sent(stack, gun_name, p).await;
        versions.push((uploaded_version(p, role), *p));
    }
    versions.sort_by_key(|(v, _)| *v);
    let numbers: Vec<u64> = versions.iter().map(|(v, _)| *v).collect();
    let expected: Vec<u64> = (1..=published.len() as u64).collect();
    assert_eq!(numbers, expected, "versions of {role} uploaded");
    // Each version builds on the previous one: no publish drops a target signed before it.
    for pair in versions.windows(2) {
        let (before, after) = (target_names(pair[0].1, role), target_names(pair[1].1, role));
        let dropped: Vec<&String> = before.iter().filter(|t| !after.contains(t)).collect();
        assert!(
            dropped.is_empty(),
            "{role} version {} (attempt {}) dropped {dropped:?} signed by version {}; it holds {after:?}",
            pair[1].0,
            pair[1].1.attempts,
            pair[0].0
        );
    }
    if let Some((_, newest)) = versions.last() {
        assert_served_as_sent(stack, gun_name, newest).await;
    }
    let attempts: Vec<u32> = published.iter().map(|p| p.attempts).collect();
    (attempts.iter().copied().max().unwrap_or(0), attempts.iter().sum())
}

// ------------------------------------------------------------------------------ tests

/// The acceptance test of the write issue: 8 CI jobs sign 25 tags each into
/// `targets/releases` at the same time.
#[test]
fn eight_jobs_signing_two_hundred_tags_concurrently_all_land() {
    jobs_signing_concurrently_all_land(8, 25);
}

/// The reliability issue's: 16 signers at once, each racing 15 others for every version.
#[test]
fn sixteen_jobs_signing_concurrently_all_land() {
    jobs_signing_concurrently_all_land(16, 8);
}

/// `jobs` CI jobs sign `tags_per_job` tags each into `targets/releases` at the same time:
/// every tag lands, in our update and in the Go CLI's list.
fn jobs_signing_concurrently_all_land(jobs: usize, tags_per_job: usize) {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/concurrency/releases";
    let key = new_key(); // held in memory by every job
    let setup = runtime();
    setup.block_on(set_up(&stack, name, &[(RoleName::releases(), public(&key))]));

    let tags: Vec<Vec<String>> =
        (0..jobs).map(|job| (0..tags_per_job).map(|t| format!("job{job}-tag{t:02}")).collect()).collect();
    let started = Instant::now();
    let results = run_jobs(jobs, |job| ci_job(&stack, name, &key, &tags[job]));
    let wall = started.elapsed();

    let published: Vec<&Published> = results.iter().flatten().map(|(_, p)| p).collect();
    assert_eq!(published.len(), jobs * tags_per_job);
    let (max_attempts, total_attempts) =
        setup.block_on(check_role_publishes(&stack, name, &RoleName::releases(), &published));
    eprintln!(
        "{} publishes by {jobs} jobs in {:.1?}: max {max_attempts} attempts for one publish, {total_attempts} in all \
         (limit {MAX_ATTEMPTS})",
        published.len(),
        wall,
    );
    assert!(wall < Duration::from_secs(600), "took {wall:?}");

    let mut all_tags: Vec<String> = tags.iter().flatten().cloned().collect();
    all_tags.sort();
    let trusted = setup.block_on(fresh_update(&stack, name));
    let ours: Vec<(String, [u8; 32], i64)> = trusted
        .role_targets(&RoleName::releases())
        .into_iter()
        .map(|t| {
            let digest: [u8; 32] = t.meta.sha256().and_then(|d| d.try_into().ok()).expect("sha256");
            (t.name, digest, t.meta.length)
        })
        .collect();
    let expected: Vec<(String, [u8; 32], i64)> = all_tags
        .iter()
        .map(|tag| {
            let (digest, size) = manifest(tag);
            (tag.clone(), digest, size)
        })
        .collect();
    let missing: Vec<&String> = all_tags.iter().filter(|t| !ours.iter().any(|(o, _, _)| o == *t)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} tags missing from our update's targets/releases: {missing:?}",
        missing.len(),
        all_tags.len()
    );
    assert_eq!(ours, expected);

    let listed = CliRepo::attach(&stack, name).list(None);
    let rows: Vec<CliTarget> = all_tags.iter().map(|t| row(t, "targets/releases")).collect();
    assert_eq!(listed.len(), jobs * tags_per_job);
    assert_eq!(listed, rows);
}

#[test]
fn concurrent_publishes_to_different_roles_both_land() {
    const TAGS: usize = 10;
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/concurrency/two-roles";
    let roles = [role("targets/a"), role("targets/b")];
    let keys = [new_key(), new_key()];
    let setup = runtime();
    let delegations: Vec<(RoleName, PublicKey)> = roles.iter().cloned().zip(keys.iter().map(public)).collect();
    setup.block_on(set_up(&stack, name, &delegations));

    let tags: Vec<Vec<String>> =
        ["a", "b"].iter().map(|r| (0..TAGS).map(|t| format!("{r}-tag{t:02}")).collect()).collect();
    let started = Instant::now();
    let results = run_jobs(2, |job| ci_job(&stack, name, &keys[job], &tags[job]));
    let wall = started.elapsed();

    let mut rows = Vec::new();
    for (job, role) in roles.iter().enumerate() {
        let published: Vec<&Published> = results[job].iter().map(|(_, p)| p).collect();
        let (max_attempts, total) = setup.block_on(check_role_publishes(&stack, name, role, &published));
        eprintln!("{role}: {TAGS} publishes, max {max_attempts} attempts, {total} in all ({wall:.1?} for both jobs)");
        rows.extend(tags[job].iter().map(|t| row(t, role.as_str())));
    }

    let trusted = setup.block_on(fresh_update(&stack, name));
    for (job, role) in roles.iter().enumerate() {
        let signed: Vec<String> = trusted.role_targets(role).into_iter().map(|t| t.name).collect();
        assert_eq!(signed, tags[job], "{role}");
    }
    rows.sort();
    assert_eq!(CliRepo::attach(&stack, name).list(None), rows);
}

/// The notary server, except that just before the first request for the current
/// `targets/releases.json` another signer publishes (it runs `other`'s publish to completion
/// first): a deterministic version of the race in which two signers publish the first file of
/// a role at nearly the same time.
struct OtherSignerFirst {
    inner: NotaryServer,
    other: Repository,
    tag: String,
    done: AtomicBool,
    published: Mutex<Option<Published>>,
}

#[async_trait::async_trait]
impl RemoteStore for OtherSignerFirst {
    async fn get_metadata(&self, gun: &Gun, name: &MetadataName, limit: u64) -> Result<Vec<u8>, ServerError> {
        if *name == MetadataName::Current(RoleName::releases()) && !self.done.swap(true, Ordering::SeqCst) {
            let (digest, size) = manifest(&self.tag);
            let published = sign_tag(&self.other, &self.tag, digest, size).await.expect("the other signer publishes");
            *self.published.lock().unwrap() = Some(published);
        }
        self.inner.get_metadata(gun, name, limit).await
    }

    async fn publish(&self, gun: &Gun, files: &[(RoleName, Vec<u8>)]) -> Result<(), ServerError> {
        self.inner.publish(gun, files).await
    }

    async fn get_key(&self, gun: &Gun, role: &RoleName) -> Result<PublicKey, ServerError> {
        self.inner.get_key(gun, role).await
    }
}

/// Two signers publish the first `targets/releases.json` at nearly the same time: the one
/// that read the repository before the other's file existed must not publish over it.
#[tokio::test(flavor = "current_thread")]
async fn a_signer_racing_the_first_file_of_a_role_keeps_the_other_signers_tags() {
    let Some(stack) = publish::stack() else { return };
    let name = "example.com/concurrency/first-file";
    let key = new_key();
    set_up(&stack, name, &[(RoleName::releases(), public(&key))]).await;

    let (trust_a, trust_b) = (tempdir(), tempdir());
    let other = holding(&stack, name, trust_a.path(), &[&key]);
    let remote = Arc::new(OtherSignerFirst {
        inner: server(&stack),
        other,
        tag: "first".into(),
        done: AtomicBool::new(false),
        published: Mutex::new(None),
    });
    let racer = Repository::new(gun(name), SharedRemote(remote.clone()), TrustDir::new(trust_b.path()))
        .with_keys(Keyring::new().with_signer(key.clone()));
    let (digest, size) = manifest("second");
    let second = sign_tag(&racer, "second", digest, size).await.expect("sign second");
    let first = remote.published.lock().unwrap().take().expect("the other signer published during our publish");

    for p in [&first, &second] {
        assert_eq!(roles(p), ["targets/releases"]);
        assert_stored_as_sent(&stack, name, p).await;
    }
    assert_eq!(uploaded_version(&first, &RoleName::releases()), 1);
    assert_eq!(
        target_names(&second, &RoleName::releases()),
        ["first", "second"],
        "version {} of targets/releases (attempt {}) was built without version 1, which signed `first`",
        uploaded_version(&second, &RoleName::releases()),
        second.attempts
    );
    assert_served_as_sent(&stack, name, &second).await;
    let trusted = fresh_update(&stack, name).await;
    let signed: Vec<String> = trusted.role_targets(&RoleName::releases()).into_iter().map(|t| t.name).collect();
    assert_eq!(signed, ["first", "second"]);
    assert_eq!(
        CliRepo::attach(&stack, name).list(None),
        [row("first", "targets/releases"), row("second", "targets/releases")]
    );
}
