//! A compromised notary-server, as notary's own swizzler tests model it: it serves whatever it
//! likes and signs with every key the server holds — the timestamp key and (Docker's default)
//! the snapshot key, through notary-signer ([`crate::signer_rpc`]) — but holds no key of the
//! repository's owner. Scenarios that need a file an owner's key signed (an old expired
//! targets file, a root rotation) get it from the owner's keys explicitly ([`owner_key`]).
//!
//! Include next to `stack.rs`, `signer_rpc.rs` and `mitm.rs`.
#![allow(dead_code)]

use std::path::Path;

use notary_client::keys::{Signer, SoftwareKey};
use notary_client::metadata::{FileMeta, Gun, RoleBody, RoleName, Root, Signed, Snapshot, Timestamp, Version};
use notary_client::passphrase::FixedPassphrase;
use notary_client::server::{MetadataName, NotaryServer, limits};
use notary_client::trust_dir::TrustDir;

use crate::mitm::Mitm;
use crate::signer_rpc::{RemoteKey, SignerRpc};
use crate::stack::Stack;

/// The server's view of one repository, and its keys.
pub struct Compromised {
    gun: Gun,
    /// The real notary-server, directly (what the honest server serves).
    server: NotaryServer,
    pub timestamp_key: RemoteKey,
    pub snapshot_key: RemoteKey,
}

impl Compromised {
    /// The server of `gun` on `stack` (initialised, with a server-managed snapshot key).
    pub async fn new(stack: &Stack, gun: &str) -> Compromised {
        let gun = Gun::new(gun).expect("GUN");
        let ca = std::fs::read(stack.notary_ca()).expect("CA");
        let server = NotaryServer::builder(stack.notary_url()).add_ca_pem(&ca).build().expect("server client");
        let rpc = SignerRpc::new(stack.var("SIGNER_PORT").expect("SIGNER_PORT"), &stack.dir().join("tls"));
        let root = Signed::<Root>::parse(RoleName::root(), &current(&server, &gun, "root").await).expect("root.json");
        let key_of = |role: &str| {
            let keys = root.signed().role_keys(role);
            assert_eq!(keys.len(), 1, "{role} has one key");
            keys.into_values().next().expect("one key")
        };
        Compromised {
            timestamp_key: rpc.signer(key_of("timestamp")),
            snapshot_key: rpc.signer(key_of("snapshot")),
            gun,
            server,
        }
    }

    /// What the honest server serves as `<role>.json` now.
    pub async fn current(&self, role: &str) -> Vec<u8> {
        current(&self.server, &self.gun, role).await
    }

    /// The body of the honest server's current file of `role`.
    pub async fn body<T: RoleBody>(&self, role: &str) -> T {
        let name = RoleName::new(role).expect("role name");
        Signed::<T>::parse(name, &self.current(role).await).expect("served metadata parses").signed().clone()
    }

    /// `body` signed with the server's timestamp key, as file bytes.
    pub async fn sign_timestamp(&self, body: Timestamp) -> Vec<u8> {
        sign(RoleName::timestamp(), body, &[&self.timestamp_key]).await
    }

    /// `body` signed with the server's snapshot key, as file bytes.
    pub async fn sign_snapshot(&self, body: Snapshot) -> Vec<u8> {
        sign(RoleName::snapshot(), body, &[&self.snapshot_key]).await
    }

    /// A new timestamp (the current one, version + 1) listing `snapshot`, edited by `edit`.
    pub async fn timestamp_for(&self, snapshot: &[u8], edit: impl FnOnce(&mut Timestamp)) -> Vec<u8> {
        let mut body: Timestamp = self.body("timestamp").await;
        body.version = next(body.version);
        body.meta.insert("snapshot".into(), FileMeta::for_metadata_bytes(snapshot));
        edit(&mut body);
        self.sign_timestamp(body).await
    }

    /// A new snapshot (the current one, version + 1) listing `files` (role, bytes), edited by
    /// `edit`.
    pub async fn snapshot_for(&self, files: &[(&str, &[u8])], edit: impl FnOnce(&mut Snapshot)) -> Vec<u8> {
        let mut body: Snapshot = self.body("snapshot").await;
        body.version = next(body.version);
        for (role, bytes) in files {
            body.meta.insert((*role).to_owned(), FileMeta::for_metadata_bytes(bytes));
        }
        edit(&mut body);
        self.sign_snapshot(body).await
    }

    /// Makes `mitm` serve `files` (role, bytes) under a new snapshot and timestamp that list
    /// them, both signed with the server's keys: the files reach the client's checks of their
    /// own content, past the hash chain. Returns (snapshot, timestamp).
    pub async fn reseal(&self, mitm: &Mitm, files: &[(&str, &[u8])]) -> (Vec<u8>, Vec<u8>) {
        let snapshot = self.snapshot_for(files, |_| {}).await;
        let timestamp = self.timestamp_for(&snapshot, |_| {}).await;
        for (role, bytes) in files {
            mitm.serve_role(role, bytes.to_vec());
        }
        mitm.serve_role("snapshot", snapshot.clone());
        mitm.serve_role("timestamp", timestamp.clone());
        (snapshot, timestamp)
    }
}

/// `body` signed by `signers`, as file bytes.
pub async fn sign<T: RoleBody>(role: RoleName, body: T, signers: &[&dyn Signer]) -> Vec<u8> {
    Signed::sign(role, body, signers).await.expect("sign").to_file_bytes().expect("file bytes")
}

/// `v + 1`.
pub fn next(v: Version) -> Version {
    v.next().expect("version in range")
}

/// The owner's stored key of `role` in trust dir `trust` (key files locked with
/// `passphrase`). A root key comes with the certificate root.json lists for it.
pub fn owner_key(trust: &Path, role: &str, passphrase: &str, root: Option<&Root>) -> SoftwareKey {
    let store = TrustDir::new(trust).keys();
    let listing = store.list().expect("list the owner's keys");
    let info = listing
        .keys
        .iter()
        .find(|k| k.role.as_deref() == Some(role))
        .unwrap_or_else(|| panic!("the owner holds no {role} key"));
    let key = store.load(&info.id, &FixedPassphrase::new(passphrase)).expect("unlock the owner's key");
    match root {
        None => key,
        Some(root) => {
            let listed = root.role_keys("root").into_values().next().expect("root lists a root key");
            assert!(listed.key_type().is_certificate(), "root lists its key as a certificate");
            key.with_certificate(listed.public().to_vec()).expect("the certificate of this key")
        }
    }
}

async fn current(server: &NotaryServer, gun: &Gun, role: &str) -> Vec<u8> {
    let name = MetadataName::Current(RoleName::new(role).expect("role name"));
    server.get_metadata(gun, &name, limits::MAX_DOWNLOAD).await.unwrap_or_else(|e| panic!("GET {role}.json: {e}"))
}
