//! Our client against repositories made by the real notary CLI (Go 0.7) on a real
//! notary-server (issue 4): targets and delegations read back with notary's digests, server-
//! and client-held snapshot keys, targets and root key rotations followed from a cache, token
//! authentication, trust pinning, a cache byte-equal to the server's files that the notary CLI
//! itself can read, and the offline fallback to the verified cache.
//!
//! Every test starts its own stack (tests/support/stack.rs) and builds its scenario with the
//! CLI (tests/support/notary_cli.rs); our client always gets a fresh trust directory of its
//! own. When the notary CLI is missing the tests fail under `CI` and are skipped otherwise.

#[path = "support/stack.rs"]
mod stack;

#[path = "support/notary_cli.rs"]
mod notary_cli;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use notary_client::certs::TrustPinning;
use notary_client::metadata::{Gun, KeyId, RoleName};
use notary_client::repository::{Repository, UpdateError};
use notary_client::server::auth::Credentials;
use notary_client::server::{MetadataName, NotaryServer, limits};
use notary_client::trust_dir::TrustDir;
use notary_client::trusted::{TargetEntry, TrustedRepository};

use notary_cli::{ALL_PATHS, CliRepo, CliTarget, OUTSIDE_ALICE_PATHS};
use stack::Stack;

/// The token issuer's Basic credential in the token-auth tests.
const TOKEN_USER: &str = "interop-user";
const TOKEN_PASSWORD: &str = "interop-password";

// ------------------------------------------------------------------------------ helpers

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("server-interop.").tempdir().expect("create a temporary directory")
}

fn gun(s: &str) -> Gun {
    Gun::new(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn role(s: &str) -> RoleName {
    RoleName::new(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn key_id(s: &str) -> KeyId {
    KeyId::new(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// Our HTTP client for `stack`'s notary-server, trusting the stack's CA.
fn server_with(stack: &Stack, credentials: Credentials) -> NotaryServer {
    let ca = std::fs::read(stack.notary_ca()).expect("read the stack's CA");
    NotaryServer::builder(stack.notary_url())
        .add_ca_pem(&ca)
        .credentials(credentials)
        .build()
        .unwrap_or_else(|e| panic!("build a NotaryServer for {}: {e}", stack.notary_url()))
}

fn server(stack: &Stack) -> NotaryServer {
    server_with(stack, Credentials::Anonymous)
}

/// Our client for `gun` on `stack`, caching in `trust` (TOFU, anonymous).
fn client(stack: &Stack, gun_name: &str, trust: &Path) -> Repository {
    Repository::new(gun(gun_name), server(stack), TrustDir::new(trust))
}

/// `repo.update()`, failing the test with the error's description.
async fn update(repo: &Repository) -> TrustedRepository {
    repo.update().await.unwrap_or_else(|e| panic!("update of {} failed: {e}", repo.gun()))
}

/// What the server serves as `<role>.json` for `gun`, fetched with our HTTP client.
async fn served(stack: &Stack, gun_name: &str, role_name: &str) -> Vec<u8> {
    server(stack)
        .get_metadata(&gun(gun_name), &MetadataName::Current(role(role_name)), limits::MAX_DOWNLOAD)
        .await
        .unwrap_or_else(|e| panic!("GET {role_name}.json of {gun_name}: {e}"))
}

/// Our entries as `notary list` rows (sorted by name).
fn rows(entries: Vec<TargetEntry>) -> Vec<CliTarget> {
    let mut rows: Vec<CliTarget> = entries
        .into_iter()
        .map(|t| CliTarget {
            sha256_hex: hex::encode(t.meta.sha256().unwrap_or_else(|| panic!("{}: no sha256", t.name))),
            size: u64::try_from(t.meta.length).unwrap_or_else(|_| panic!("{}: negative length", t.name)),
            role: t.role.to_string(),
            name: t.name,
        })
        .collect();
    rows.sort();
    rows
}

/// `<trust>/tuf/<GUN>/metadata/<role>.json`, if present.
fn cached(trust: &Path, gun_name: &str, role_name: &str) -> Option<Vec<u8>> {
    std::fs::read(notary_cli::metadata_dir(trust, gun_name).join(format!("{role_name}.json"))).ok()
}

/// Every file below `dir` (recursively), as `/`-separated relative paths; empty if `dir`
/// does not exist.
fn files_below(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries {
            let path = entry.expect("list a directory").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("below dir");
                out.push(rel.to_str().expect("UTF-8 path").replace(std::path::MAIN_SEPARATOR, "/"));
            }
        }
    }
    out.sort();
    out
}

/// Every `root.json` anywhere below `trust`.
fn root_files(trust: &Path) -> Vec<PathBuf> {
    files_below(trust).into_iter().filter(|f| f.rsplit('/').next() == Some("root.json")).map(PathBuf::from).collect()
}

/// The key IDs our trusted root lists for base role `role_name`.
fn trusted_role_key_ids(trusted: &TrustedRepository, role_name: &str) -> Vec<String> {
    let root = trusted.root().signed();
    let keys = root.role(role_name).unwrap_or_else(|| panic!("trusted root has no {role_name} role"));
    let mut ids: Vec<String> = keys.key_ids().iter().map(|k| k.as_str().to_owned()).collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Deterministic filler bytes.
fn filler(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Asserts that our cache of `gun` holds exactly `roles` and each is byte-equal to the file
/// the server serves.
async fn assert_cache_is_served_bytes(stack: &Stack, trust: &Path, gun_name: &str, roles: &[&str]) {
    let expected: Vec<String> = sorted(roles.iter().map(|r| format!("{r}.json")).collect());
    let listed = files_below(&notary_cli::metadata_dir(trust, gun_name));
    assert_eq!(listed, expected, "files in our cache of {gun_name}");
    for r in roles {
        let ours = cached(trust, gun_name, r).unwrap_or_else(|| panic!("{r}.json not cached"));
        let theirs = served(stack, gun_name, r).await;
        assert!(
            ours == theirs,
            "cached {r}.json differs from the server's ({} vs {} bytes):\n--- cached\n{}\n--- served\n{}",
            ours.len(),
            theirs.len(),
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
    }
}

// ------------------------------------------------------------- the CLI scenarios themselves

/// The delegation scenario publishes what it reports (checked with the CLI and the server's
/// raw files only; independent of our client).
#[test]
fn cli_delegation_scenario_publishes_what_it_reports() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let s = notary_cli::delegation_scenario(&stack, "example.com/interop/cli-scenario");
    let repo = &s.repo;
    let of_role = |r: &str| -> Vec<CliTarget> {
        s.published.iter().filter(|t| t.role == r && t.name != OUTSIDE_ALICE_PATHS).cloned().collect()
    };
    assert_eq!(repo.list(Some("targets/releases")), of_role("targets/releases"));
    assert_eq!(repo.list(Some("targets/alice")), of_role("targets/alice"));
    let all: Vec<(String, String)> = repo.list(None).into_iter().map(|t| (t.name, t.role)).collect();
    let expected = [("latest", "targets"), ("v1", "targets"), ("v2", "targets/releases"), ("v3", "targets/alice")];
    assert_eq!(all, expected.map(|(n, r)| (n.to_owned(), r.to_owned())));
    assert_eq!(repo.lookup(OUTSIDE_ALICE_PATHS), None, "notary hides the target outside alice's paths");
    let v1 = repo.lookup("v1").expect("notary lookup v1");
    let targets_v1 = s.published.iter().find(|t| t.name == "v1" && t.role == "targets").unwrap();
    assert_eq!((v1.sha256_hex.as_str(), v1.size), (targets_v1.sha256_hex.as_str(), targets_v1.size));

    // targets/alice.json still signs the target its paths no longer allow.
    let alice_file = repo.server_json("targets/alice.json");
    assert!(alice_file["signed"]["targets"].get(OUTSIDE_ALICE_PATHS).is_some(), "{alice_file:#}");
    assert_eq!(notary_cli::signature_key_ids(&alice_file), std::slice::from_ref(&s.alice.tuf_id));

    // The CLI prints canonical IDs; targets.json holds the certificates' TUF IDs.
    let listed = repo.delegation_list();
    let summary: Vec<(&str, &[String], &[String], u32)> = listed
        .iter()
        .map(|d| (d.role.as_str(), d.paths.as_slice(), d.canonical_key_ids.as_slice(), d.threshold))
        .collect();
    assert_eq!(
        summary,
        [
            ("targets/alice", &["v".to_owned()][..], &[s.alice.canonical_id.clone()][..], 1),
            ("targets/releases", &["".to_owned()][..], &[s.releases.canonical_id.clone()][..], 1),
        ]
    );
    let targets = repo.server_json("targets.json");
    let keys = targets["signed"]["delegations"]["keys"].as_object().expect("delegations.keys");
    let ids: Vec<String> = sorted(keys.keys().cloned().collect());
    assert_eq!(ids, sorted(vec![s.alice.tuf_id.clone(), s.releases.tuf_id.clone()]));
    assert!(keys.values().all(|k| k["keytype"] == "ecdsa-x509"), "{keys:?}");
}

// --------------------------------------------------------------------- targets and snapshot

#[tokio::test]
async fn targets_published_by_the_cli_are_listed_with_the_same_digests() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let gun_name = "example.com/interop/targets";
    let repo = CliRepo::init(&stack, gun_name);
    let mut published = vec![
        repo.stage_target("v1", b"first release\n", None),
        repo.stage_target("latest", b"latest release\n", None),
        repo.stage_target("nested/path/1.0", b"a name with slashes\n", None),
        repo.stage_target("empty", b"", None),
        repo.stage_target("large", &filler(200 * 1024, 1), None),
    ];
    repo.publish();
    published.sort();
    assert_eq!(repo.list(None), published, "notary list");

    let trust = tempdir();
    let trusted = update(&client(&stack, gun_name, trust.path())).await;
    assert_eq!(rows(trusted.targets()), published);
    assert_eq!(rows(trusted.role_targets(&RoleName::targets())), published);
}

#[tokio::test]
async fn a_repository_with_a_server_managed_snapshot_verifies() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let gun_name = "example.com/interop/server-snapshot";
    let repo = CliRepo::init(&stack, gun_name);
    let published = repo.add_target("v1", b"server-signed snapshot\n", None);
    // The CLI holds no snapshot key: the server signs snapshot.json.
    let cli_roles: Vec<String> = repo.key_list().into_iter().map(|(r, _)| r).collect();
    assert_eq!(cli_roles, ["root", "targets"], "notary key list");
    let snapshot_keys = sorted(repo.root_role_key_ids("snapshot"));
    assert_eq!(sorted(notary_cli::signature_key_ids(&repo.server_json("snapshot.json"))), snapshot_keys);

    let trust = tempdir();
    let trusted = update(&client(&stack, gun_name, trust.path())).await;
    assert_eq!(trusted_role_key_ids(&trusted, "snapshot"), snapshot_keys);
    let signed_by: Vec<String> = trusted.snapshot().signatures().iter().map(|s| s.keyid.as_str().to_owned()).collect();
    assert_eq!(sorted(signed_by), snapshot_keys);
    assert_eq!(rows(trusted.targets()), [published]);
}

#[tokio::test]
async fn a_repository_with_a_client_held_snapshot_verifies() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let gun_name = "example.com/interop/client-snapshot";
    let repo = CliRepo::init_client_snapshot(&stack, gun_name);
    let published = repo.add_target("v1", b"client-signed snapshot\n", None);
    let cli_snapshot: Vec<String> =
        repo.key_list().into_iter().filter(|(r, _)| r == "snapshot").map(|(_, id)| id).collect();
    assert_eq!(cli_snapshot.len(), 1, "the CLI holds the snapshot key");
    assert_eq!(repo.root_role_key_ids("snapshot"), cli_snapshot);

    let trust = tempdir();
    let trusted = update(&client(&stack, gun_name, trust.path())).await;
    assert_eq!(trusted.root().signed().version.get(), 1);
    assert_eq!(trusted_role_key_ids(&trusted, "snapshot"), cli_snapshot);
    assert_eq!(rows(trusted.targets()), [published]);
}

// ---------------------------------------------------------------------------- delegations

/// A delegation as (role, parent, sorted key IDs, threshold, paths).
type DelegationRow = (String, String, Vec<String>, u32, Vec<String>);

/// One scenario, four behaviours: per-role listings equal `notary list --roles`, a target
/// outside a delegation's paths is not trusted, Docker's lookup order prefers
/// `targets/releases`, and `delegations()` reports both roles with their keys and paths.
#[tokio::test]
async fn delegations_published_by_the_cli_verify_per_role_with_paths_and_docker_lookup_order() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let gun_name = "example.com/interop/delegations";
    let s = notary_cli::delegation_scenario(&stack, gun_name);
    let trust = tempdir();
    let trusted = update(&client(&stack, gun_name, trust.path())).await;
    let releases = RoleName::releases();
    let alice = role("targets/alice");

    // Listings: the whole tree and each role, as notary lists them.
    assert_eq!(rows(trusted.targets()), s.repo.list(None), "targets() vs notary list");
    // `notary list --roles R` lists R's subtree; for these leaf roles that is R's own targets.
    for r in ["targets/releases", "targets/alice"] {
        assert_eq!(
            rows(trusted.role_targets(&role(r))),
            s.repo.list(Some(r)),
            "role_targets({r}) vs notary list --roles"
        );
    }
    let own: Vec<CliTarget> = s.repo.list(None).into_iter().filter(|t| t.role == "targets").collect();
    assert_eq!(rows(trusted.role_targets(&RoleName::targets())), own, "role_targets(targets)");

    // Path restriction: alice's file signs old/x, but alice may only sign names under "v".
    assert!(trusted.role_targets(&alice).iter().all(|t| t.name != OUTSIDE_ALICE_PATHS), "old/x listed for alice");
    assert!(trusted.targets().iter().all(|t| t.name != OUTSIDE_ALICE_PATHS), "old/x listed at all");
    assert_eq!(trusted.lookup(OUTSIDE_ALICE_PATHS, &[]), None);
    assert_eq!(trusted.lookup(OUTSIDE_ALICE_PATHS, std::slice::from_ref(&alice)), None);

    // Docker's order: targets/releases first, then targets. notary lookup walks the tree and
    // finds targets' v1 first.
    let docker_order = [releases.clone(), RoleName::targets()];
    let hit = trusted.lookup("v1", &docker_order).expect("v1 with Docker's role order");
    let expected = s.published.iter().find(|t| t.name == "v1" && t.role == "targets/releases").unwrap();
    assert_eq!(rows(vec![hit]), std::slice::from_ref(expected));
    let cli_v1 = s.repo.lookup("v1").expect("notary lookup v1");
    let tree_v1 = trusted.lookup("v1", &[]).expect("v1 in the whole tree");
    assert_eq!(tree_v1.role, RoleName::targets());
    assert_eq!(
        (hex::encode(tree_v1.meta.sha256().unwrap()), tree_v1.meta.length as u64),
        (cli_v1.sha256_hex, cli_v1.size)
    );
    let latest = trusted.lookup("latest", &docker_order).expect("latest falls back to targets");
    assert_eq!(latest.role, RoleName::targets());
    // As in Go, the `targets` subtree includes targets/alice (only the listed releases
    // subtree is skipped); Docker then refuses the hit because its role is neither listed one.
    let v3 = trusted.lookup("v3", &docker_order).expect("v3 in the targets subtree");
    assert_eq!(v3.role, alice);

    // Delegations: both roles, TUF IDs of the certificates, threshold 1, own paths.
    let mut delegations: Vec<DelegationRow> = trusted
        .delegations()
        .into_iter()
        .map(|d| {
            let ids = sorted(d.key_ids.iter().map(|k| k.as_str().to_owned()).collect());
            (d.role.to_string(), d.parent.to_string(), ids, d.threshold, d.paths)
        })
        .collect();
    delegations.sort();
    let expected: Vec<DelegationRow> = vec![
        ("targets/alice".into(), "targets".into(), vec![s.alice.tuf_id.clone()], 1, vec!["v".into()]),
        ("targets/releases".into(), "targets".into(), vec![s.releases.tuf_id.clone()], 1, vec!["".into()]),
    ];
    assert_eq!(delegations, expected, "delegations()");
    let cli_canonical: Vec<String> = s.repo.delegation_list().into_iter().flat_map(|d| d.canonical_key_ids).collect();
    assert_eq!(sorted(cli_canonical), sorted(vec![s.alice.canonical_id.clone(), s.releases.canonical_id.clone()]));
}

// --------------------------------------------------------------------------- key rotation

#[tokio::test]
async fn a_targets_key_rotation_by_the_cli_is_followed_from_the_cache() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let gun_name = "example.com/interop/rotate-targets";
    let repo = CliRepo::init(&stack, gun_name);
    let before = repo.add_target("before", b"signed by the first targets key\n", None);
    let trust = tempdir();
    let ours = client(&stack, gun_name, trust.path());
    let first = update(&ours).await;
    let old_keys = trusted_role_key_ids(&first, "targets");
    let old_root = first.root().signed().version.get();

    repo.rotate_targets_key();
    let after = repo.add_target("after", b"signed by the new targets key\n", None);
    let new_keys = sorted(repo.root_role_key_ids("targets"));
    assert_ne!(new_keys, old_keys, "the CLI did not rotate the targets key");
    assert_eq!(sorted(notary_cli::signature_key_ids(&repo.server_json("targets.json"))), new_keys);

    let second = update(&ours).await;
    assert!(!second.served_from_cache(), "the server was reachable");
    assert_eq!(second.root().signed().version.get(), old_root + 1, "root lists the new targets key");
    assert_eq!(trusted_role_key_ids(&second, "targets"), new_keys);
    let mut expected = vec![before, after];
    expected.sort();
    assert_eq!(rows(second.targets()), expected);
    assert_eq!(rows(second.targets()), repo.list(None));
    assert_eq!(cached(trust.path(), gun_name, "root"), Some(served(&stack, gun_name, "root").await));
    assert_eq!(cached(trust.path(), gun_name, "targets"), Some(served(&stack, gun_name, "targets").await));
}

#[tokio::test]
async fn a_root_rotation_by_the_cli_is_followed_from_a_cached_root_v1() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let gun_name = "example.com/interop/rotate-root";
    // Client-held snapshot: `notary init -p` publishes root version 1.
    let repo = CliRepo::init_client_snapshot(&stack, gun_name);
    repo.add_target("before", b"before the root rotation\n", None);
    let trust = tempdir();
    let ours = client(&stack, gun_name, trust.path());
    let first = update(&ours).await;
    assert_eq!(first.root().signed().version.get(), 1);
    let old_root_keys = trusted_role_key_ids(&first, "root");

    repo.rotate_root_key();
    repo.add_target("after", b"after the root rotation\n", None);
    let server_root = repo.server_json("root.json");
    assert_eq!(server_root["signed"]["version"], 2);
    let new_root_keys = sorted(repo.root_role_key_ids("root"));
    assert_ne!(new_root_keys, old_root_keys);
    let mut both = old_root_keys.clone();
    both.extend(new_root_keys.iter().cloned());
    assert_eq!(sorted(notary_cli::signature_key_ids(&server_root)), sorted(both), "root v2 is signed by both keys");

    let second = update(&ours).await;
    assert_eq!(second.root().signed().version.get(), 2);
    assert_eq!(trusted_role_key_ids(&second, "root"), new_root_keys);
    assert_eq!(rows(second.targets()), repo.list(None));
    let cached_root = cached(trust.path(), gun_name, "root").expect("root.json cached");
    assert!(cached_root == served(&stack, gun_name, "root").await, "cached root.json is not the server's root v2");
}

#[tokio::test]
async fn a_client_walks_every_root_version_when_the_cli_rotated_root_twice() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let gun_name = "example.com/interop/rotate-root-twice";
    // Server-managed snapshot: the first published root is version 2.
    let repo = CliRepo::init(&stack, gun_name);
    repo.add_target("before", b"before the root rotations\n", None);
    let trust = tempdir();
    let ours = client(&stack, gun_name, trust.path());
    let first = update(&ours).await;
    let cached_version = first.root().signed().version.get();
    assert_eq!(cached_version, 2);
    let cached_root_keys = trusted_role_key_ids(&first, "root");

    repo.rotate_root_key();
    repo.rotate_root_key();
    repo.add_target("after", b"after two root rotations\n", None);
    // The newest root is not signed by the cached root's key: only the chain through
    // 3.root.json connects them.
    let newest = repo.server_json("root.json");
    assert_eq!(newest["signed"]["version"], 4);
    let newest_signers = notary_cli::signature_key_ids(&newest);
    assert!(
        cached_root_keys.iter().all(|k| !newest_signers.contains(k)),
        "root v4 is signed by the v2 key too; the test would not need the chain walk"
    );
    assert_eq!(repo.server_json("3.root.json")["signed"]["version"], 3);

    let second = update(&ours).await;
    assert_eq!(second.root().signed().version.get(), 4);
    assert_eq!(trusted_role_key_ids(&second, "root"), sorted(repo.root_role_key_ids("root")));
    assert_eq!(rows(second.targets()), repo.list(None));
    let cached_root = cached(trust.path(), gun_name, "root").expect("root.json cached");
    assert!(cached_root == served(&stack, gun_name, "root").await, "cached root.json is not the server's root v4");
}

// ------------------------------------------------------------------------------ token auth

/// The Go CLI can publish to a token-auth stack (it sends `NOTARY_AUTH` for pushes) but not
/// read from it; our client reads with Basic credentials, and fails without or with wrong
/// ones, caching nothing.
#[tokio::test]
async fn token_auth_with_basic_credentials_verifies_and_anonymous_is_refused() {
    if !notary_cli::require_notary() {
        return;
    }
    let basic = format!("{TOKEN_USER}:{TOKEN_PASSWORD}");
    let stack = Stack::up_with(&[("AUTH", "token"), ("TOKEN_BASIC", &basic)]);
    let gun_name = "example.com/interop/token";
    let options = notary_cli::InitOptions {
        basic_auth: Some((TOKEN_USER.to_owned(), TOKEN_PASSWORD.to_owned())),
        ..Default::default()
    };
    let repo = CliRepo::init_with(&stack, gun_name, options);
    let mut published =
        vec![repo.stage_target("v1", b"behind token auth\n", None), repo.stage_target("v2", b"also\n", None)];
    repo.publish();
    published.sort();

    let trust = tempdir();
    let ours = Repository::new(
        gun(gun_name),
        server_with(&stack, Credentials::basic(TOKEN_USER, TOKEN_PASSWORD)),
        TrustDir::new(trust.path()),
    );
    let trusted = update(&ours).await;
    assert_eq!(rows(trusted.targets()), published);

    for (label, credentials) in
        [("anonymous", Credentials::Anonymous), ("wrong password", Credentials::basic(TOKEN_USER, "wrong"))]
    {
        let trust = tempdir();
        let ours = Repository::new(gun(gun_name), server_with(&stack, credentials), TrustDir::new(trust.path()));
        let Err(err) = ours.update().await else { panic!("{label}: update succeeded") };
        assert!(!err.to_string().is_empty(), "{label}: empty error message");
        assert_eq!(root_files(trust.path()), Vec::<PathBuf>::new(), "{label}: {err}: root.json cached");
    }
}

// ---------------------------------------------------------------------------- trust pinning

/// A fresh trust dir and an update of `gun` with `pinning`.
async fn update_pinned(
    stack: &Stack,
    gun_name: &str,
    pinning: TrustPinning,
) -> (tempfile::TempDir, Result<TrustedRepository, UpdateError>) {
    let trust = tempdir();
    let result = client(stack, gun_name, trust.path()).with_pinning(pinning).update().await;
    (trust, result)
}

fn pin_certs(entries: &[(&str, &str)]) -> TrustPinning {
    let mut certs: BTreeMap<String, Vec<KeyId>> = BTreeMap::new();
    for (gun_or_prefix, id) in entries {
        certs.entry((*gun_or_prefix).to_owned()).or_default().push(key_id(id));
    }
    TrustPinning { certs, ..Default::default() }
}

/// One repository, every pinning rule: roots whose certificate key ID is pinned (exactly, by
/// the longest matching `prefix*` wildcard, or not at all for this GUN under TOFU) are
/// accepted; a wrong pinned ID, an unrelated CA and `disable_tofu` without a pin are rejected
/// and leave no `root.json` in the trust dir.
#[tokio::test]
async fn trust_pinning_accepts_pinned_roots_and_rejects_others_without_caching_them() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let gun_name = "example.com/interop/pinned";
    let repo = CliRepo::init(&stack, gun_name);
    let published = repo.add_target("v1", b"pinned\n", None);
    // What pinning pins: the root certificate's `ecdsa-x509` key ID, listed by root.json.
    let root_ids = repo.root_role_key_ids("root");
    assert_eq!(root_ids.len(), 1, "one root certificate");
    let root_id = root_ids[0].as_str();
    let wrong = "a".repeat(64);
    // A CA that did not issue the root certificate (it issued the server's TLS certificate).
    let unrelated_ca = std::fs::read(stack.notary_ca()).expect("read the stack's CA");

    let accepted: Vec<(&str, TrustPinning)> = vec![
        ("exact GUN", pin_certs(&[(gun_name, root_id)])),
        ("exact GUN with disable_tofu", TrustPinning { disable_tofu: true, ..pin_certs(&[(gun_name, root_id)]) }),
        ("exact GUN among other IDs", pin_certs(&[(gun_name, &wrong), (gun_name, root_id)])),
        ("prefix wildcard", pin_certs(&[("example.com/interop/*", root_id)])),
        ("longest wildcard wins", pin_certs(&[("example.com/*", &wrong), ("example.com/interop/*", root_id)])),
        ("exact GUN beats a wildcard", pin_certs(&[("example.com/*", &wrong), (gun_name, root_id)])),
        ("a pin for another GUN leaves TOFU", pin_certs(&[("other.example.com/*", &wrong)])),
    ];
    for (label, pinning) in accepted {
        let (trust, result) = update_pinned(&stack, gun_name, pinning).await;
        let trusted = result.unwrap_or_else(|e| panic!("{label}: rejected: {e}"));
        assert_eq!(trusted_role_key_ids(&trusted, "root"), root_ids, "{label}");
        assert_eq!(rows(trusted.targets()), std::slice::from_ref(&published), "{label}");
        assert!(cached(trust.path(), gun_name, "root").is_some(), "{label}: root.json not cached");
    }

    let rejected: Vec<(&str, TrustPinning)> = vec![
        ("wrong key ID for the GUN", pin_certs(&[(gun_name, &wrong)])),
        ("wrong key ID for a matching wildcard", pin_certs(&[("example.com/interop/*", &wrong)])),
        (
            "longest wildcard pins a wrong key ID",
            pin_certs(&[("example.com/*", root_id), ("example.com/interop/*", &wrong)]),
        ),
        (
            "exact GUN pins a wrong key ID despite a right wildcard",
            pin_certs(&[("example.com/*", root_id), (gun_name, &wrong)]),
        ),
        (
            "unrelated CA",
            TrustPinning { ca: BTreeMap::from([("example.com/".to_owned(), unrelated_ca)]), ..Default::default() },
        ),
        ("disable_tofu without a pin", TrustPinning { disable_tofu: true, ..Default::default() }),
        (
            "disable_tofu with a pin for another GUN",
            TrustPinning { disable_tofu: true, ..pin_certs(&[("other.example.com", root_id)]) },
        ),
    ];
    for (label, pinning) in rejected {
        let (trust, result) = update_pinned(&stack, gun_name, pinning).await;
        let err = match result {
            Ok(_) => panic!("{label}: the root was accepted"),
            Err(e) => e,
        };
        assert!(err.to_string().contains("root"), "{label}: the error does not name root: {err}");
        assert_eq!(root_files(trust.path()), Vec::<PathBuf>::new(), "{label}: {err}: a root.json was cached");
    }
}

// -------------------------------------------------------------------------------- the cache

/// After an update our cache holds exactly the server's bytes, and the notary CLI reads it:
/// offline (nothing but our files) and online.
#[tokio::test]
async fn the_cache_holds_the_servers_bytes_and_the_notary_cli_reads_it() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let gun_name = "example.com/interop/cache";
    let repo = CliRepo::init(&stack, gun_name);
    repo.stage_delegation("targets/releases", ALL_PATHS);
    repo.stage_target("v1", b"in targets\n", None);
    repo.stage_target("v2", b"in releases\n", Some("targets/releases"));
    repo.publish();
    let cli_list = repo.list(None);
    let cli_releases = repo.list(Some("targets/releases"));

    let trust = tempdir();
    let trusted = update(&client(&stack, gun_name, trust.path())).await;
    assert_eq!(rows(trusted.targets()), cli_list);
    let roles = ["root", "timestamp", "snapshot", "targets", "targets/releases"];
    assert_cache_is_served_bytes(&stack, trust.path(), gun_name, &roles).await;

    // notary with an unreachable server: everything comes from our cache, re-verified by Go.
    let offline = |extra: &[&str]| {
        let out = notary_cli::offline_notary(&stack, trust.path())
            .args(["list", gun_name])
            .args(extra)
            .output()
            .expect("run notary");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "offline notary list {extra:?} on our cache failed ({}):\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        notary_cli::parse_list(&stdout).unwrap_or_else(|e| panic!("{e}:\n{stdout}"))
    };
    assert_eq!(offline(&[]), cli_list, "offline notary list on our cache");
    assert_eq!(offline(&["--roles", "targets/releases"]), cli_releases, "offline notary list --roles on our cache");

    // Online, notary starts from our cached root (TOFU) and agrees too.
    let out = stack.notary(trust.path()).args(["list", gun_name]).output().expect("run notary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "notary list on our trust dir failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(notary_cli::parse_list(&stdout).unwrap_or_else(|e| panic!("{e}:\n{stdout}")), cli_list);
}

#[tokio::test]
async fn an_unreachable_server_falls_back_to_the_verified_cache() {
    if !notary_cli::require_notary() {
        return;
    }
    let stack = Stack::up();
    let gun_name = "example.com/interop/offline";
    let repo = CliRepo::init(&stack, gun_name);
    let published = repo.add_target("v1", b"available offline\n", None);
    let trust = tempdir();
    let online = update(&client(&stack, gun_name, trust.path())).await;
    assert!(!online.served_from_cache(), "the first update came from the server");

    // The same trust dir, a server that refuses connections.
    let ca = std::fs::read(stack.notary_ca()).expect("read the stack's CA");
    // No retries: connection refused is not going to change, and the fallback is the subject.
    let unreachable = NotaryServer::builder("https://127.0.0.1:1").add_ca_pem(&ca).retries(0).build().expect("build");
    let offline = Repository::new(gun(gun_name), unreachable, TrustDir::new(trust.path()));
    let trusted = update(&offline).await;
    assert!(trusted.served_from_cache(), "an offline update must say it used the cache");
    assert_eq!(rows(trusted.targets()), [published]);
    assert_eq!(trusted.root().signed().version.get(), online.root().signed().version.get());
    assert_eq!(trusted.timestamp().signed().version.get(), online.timestamp().signed().version.get());

    // The cache is re-verified, not trusted blindly: a changed targets.json no longer
    // matches the snapshot.
    let targets_path = notary_cli::metadata_dir(trust.path(), gun_name).join("targets.json");
    let mut targets: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&targets_path).expect("read cached targets.json")).expect("JSON");
    targets["signed"]["targets"]["v1"]["length"] = serde_json::json!(999);
    std::fs::write(&targets_path, serde_json::to_vec(&targets).unwrap()).expect("write targets.json");
    let err = offline.update().await.expect_err("a tampered cache verified offline");
    assert!(err.to_string().contains("targets"), "the error does not name targets: {err}");
}
