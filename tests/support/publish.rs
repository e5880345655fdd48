//! Shared helpers of the publish tests against a running [`Stack`]: the stack of a test,
//! temporary directories, keys, our server client and repositories, made-up manifests, and
//! the byte-for-byte checks of every publish against what notary-server serves.
//!
//! Include it next to the stack and the notary CLI helpers from a test file (it refers to
//! `crate::stack::Stack` and `crate::notary_cli`):
//!
//! ```ignore
//! #[path = "support/notary_cli.rs"]
//! mod notary_cli;
//! #[path = "support/publish.rs"]
//! mod publish;
//! #[path = "support/stack.rs"]
//! mod stack;
//!
//! let Some(stack) = publish::stack() else { return };
//! ```
//!
//! Each test crate uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use notary_client::keys::{Signer, SoftwareKey};
use notary_client::metadata::{Gun, PublicKey, RoleName};
use notary_client::passphrase::FixedPassphrase;
use notary_client::repository::{Keyring, Published, Repository};
use notary_client::server::{MetadataName, NotaryServer, RemoteStore, ServerError, limits};
use notary_client::trust_dir::TrustDir;
use notary_client::trusted::{TrustedRepository, UpdateWarning};

use crate::notary_cli::{self, CliTarget};
use crate::stack::Stack;

/// The passphrase of every key file the tests' trust directories hold.
pub const PASSPHRASE: &str = "publish-tests-pass";

/// A stack for one test, or `None` (skip the test) when the notary CLI is missing outside CI
/// ([`notary_cli::require_notary`]).
pub fn stack() -> Option<Stack> {
    notary_cli::require_notary().then(Stack::up)
}

/// A new temporary directory, named after the test crate.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(concat!(env!("CARGO_CRATE_NAME"), "."))
        .tempdir()
        .expect("create a temporary directory")
}

/// A parsed GUN (panics on an invalid one).
pub fn gun(s: &str) -> Gun {
    Gun::new(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// A parsed role name (panics on an invalid one).
pub fn role(name: &str) -> RoleName {
    RoleName::new(name).unwrap_or_else(|e| panic!("{name:?}: {e}"))
}

/// Our client for the stack's notary-server, trusting the stack's CA.
pub fn server(stack: &Stack) -> NotaryServer {
    let ca = std::fs::read(stack.notary_ca()).expect("read the stack's CA");
    NotaryServer::builder(stack.notary_url()).add_ca_pem(&ca).build().expect("build a NotaryServer")
}

/// A new in-memory ECDSA P-256 key.
pub fn new_key() -> Arc<SoftwareKey> {
    Arc::new(SoftwareKey::generate_p256().expect("generate a P-256 key"))
}

/// The public key of `key`.
pub fn public(key: &Arc<SoftwareKey>) -> PublicKey {
    key.public_key().clone()
}

/// The key files of trust dir `trust`, unlocked with `passphrase`, as a keyring.
pub fn stored_keys(trust: &Path, passphrase: &str) -> Keyring {
    Keyring::from_store(TrustDir::new(trust).keys(), FixedPassphrase::new(passphrase))
}

/// Repository `gun_name` on `remote` with trust dir `trust` and its key store (unlocked with
/// [`PASSPHRASE`]) as keyring.
pub fn repository_on(remote: impl RemoteStore + 'static, gun_name: &str, trust: &Path) -> Repository {
    Repository::new(gun(gun_name), remote, TrustDir::new(trust)).with_keys(stored_keys(trust, PASSPHRASE))
}

/// [`repository_on`] the stack's notary-server.
pub fn repository(stack: &Stack, gun_name: &str, trust: &Path) -> Repository {
    repository_on(server(stack), gun_name, trust)
}

/// Repository `gun_name` on the stack's notary-server with trust dir `trust` and only `keys`
/// (in memory) to sign with: an admin whose new keys stay in memory, a CI job holding its
/// signer key, or a reader (no keys).
pub fn holding(stack: &Stack, gun_name: &str, trust: &Path, keys: &[&Arc<SoftwareKey>]) -> Repository {
    let keyring = keys.iter().fold(Keyring::new(), |ring, k| ring.with_signer((*k).clone()));
    Repository::new(gun(gun_name), server(stack), TrustDir::new(trust)).with_keys(keyring)
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().try_into().expect("32 bytes")
}

/// A made-up manifest for `tag`: its SHA-256 and size.
pub fn manifest(tag: &str) -> ([u8; 32], i64) {
    let body = format!("{{\"schemaVersion\":2,\"tag\":\"{tag}\"}}");
    (sha256(body.as_bytes()), 500 + body.len() as i64)
}

/// The `notary list` row of `tag` signed as [`manifest`] by `role`.
pub fn row(tag: &str, role: &str) -> CliTarget {
    let (digest, size) = manifest(tag);
    CliTarget { name: tag.to_owned(), sha256_hex: hex::encode(digest), size: size as u64, role: role.to_owned() }
}

/// `v`, sorted.
pub fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// `bytes` parsed as JSON.
pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("metadata is JSON")
}

/// The roles of a publish, in upload order.
pub fn roles(published: &Published) -> Vec<&str> {
    published.files.iter().map(|(r, _)| r.as_str()).collect()
}

/// `signed.version` of the file uploaded for `role`.
pub fn uploaded_version(published: &Published, role: &RoleName) -> u64 {
    let bytes = published.file(role).unwrap_or_else(|| panic!("{role} was not uploaded: {:?}", roles(published)));
    json(bytes)["signed"]["version"].as_u64().expect("signed.version")
}

/// Fails unless the repository verified without skipping any delegation.
pub fn assert_nothing_skipped(trusted: &TrustedRepository) {
    let skipped: Vec<String> = trusted.skipped().iter().map(|s| format!("{}: {}", s.role, s.reason)).collect();
    assert!(skipped.is_empty(), "roles skipped by our update: {skipped:?}");
}

/// Fails unless the update fell back to the verified cache because the server could not be
/// reached.
pub fn assert_served_from_cache_as_unreachable(trusted: &TrustedRepository) {
    let unreachable =
        |w: &UpdateWarning| matches!(w, UpdateWarning::ServedFromCache { reason: ServerError::Network { .. }, .. });
    assert!(trusted.warnings().iter().any(unreachable), "{:?}", trusted.warnings());
}

/// Every uploaded file is stored exactly as sent: the server serves `<role>.<sha256>.json`
/// of the sent bytes, and those are the sent bytes. Holds however many publishes came after
/// (for concurrent publishers, where the current file may already be a newer one).
pub async fn assert_stored_as_sent(stack: &Stack, gun_name: &str, published: &Published) {
    let server = server(stack);
    for (role, sent) in &published.files {
        let name = MetadataName::ByHash { role: role.clone(), sha256: sha256(sent) };
        let served = server
            .get_metadata(&gun(gun_name), &name, limits::MAX_DOWNLOAD)
            .await
            .unwrap_or_else(|e| panic!("GET {} of {gun_name}: {e}", name.file_name()));
        assert!(served == *sent, "{} served by the server differs from what was uploaded", name.file_name());
    }
}

/// Every uploaded file is the role's current file, byte for byte (no publish since; for a
/// client-signed snapshot, the one the timestamp points to).
pub async fn assert_current_as_sent(stack: &Stack, gun_name: &str, published: &Published) {
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

/// [`assert_stored_as_sent`] and [`assert_current_as_sent`].
pub async fn assert_served_as_sent(stack: &Stack, gun_name: &str, published: &Published) {
    assert_stored_as_sent(stack, gun_name, published).await;
    assert_current_as_sent(stack, gun_name, published).await;
}

/// The server's current `<role>.json`, or `None` when it has none.
pub async fn current_file(stack: &Stack, gun_name: &str, role: &RoleName) -> Option<Vec<u8>> {
    match server(stack).get_metadata(&gun(gun_name), &MetadataName::Current(role.clone()), limits::MAX_DOWNLOAD).await {
        Ok(bytes) => Some(bytes),
        Err(e) if e.is_not_found() => None,
        Err(e) => panic!("GET {role}.json of {gun_name}: {e}"),
    }
}

/// A shared [`RemoteStore`]: the repository owns one handle, the test keeps another to read
/// what happened.
pub struct SharedRemote<R>(pub Arc<R>);

#[async_trait::async_trait]
impl<R: RemoteStore> RemoteStore for SharedRemote<R> {
    async fn get_metadata(&self, gun: &Gun, name: &MetadataName, limit: u64) -> Result<Vec<u8>, ServerError> {
        self.0.get_metadata(gun, name, limit).await
    }

    async fn publish(&self, gun: &Gun, files: &[(RoleName, Vec<u8>)]) -> Result<(), ServerError> {
        self.0.publish(gun, files).await
    }

    async fn get_key(&self, gun: &Gun, role: &RoleName) -> Result<PublicKey, ServerError> {
        self.0.get_key(gun, role).await
    }
}

/// Every file below `root` (relative path → bytes): a trust directory's keys and cache, to
/// compare before and after.
pub fn files_below(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.insert(path.strip_prefix(root).expect("below the root").to_path_buf(), bytes);
            }
        }
    }
    out
}
