//! Shared helpers of the publish tests against a running [`Stack`]: our server client, GUNs,
//! and the byte-for-byte check of every publish against what notary-server serves.
//!
//! Include it next to the stack from a test file (it refers to `crate::stack::Stack`):
//!
//! ```ignore
//! #[path = "support/stack.rs"]
//! mod stack;
//! #[path = "support/publish.rs"]
//! mod publish;
//! ```
#![allow(dead_code)]

use notary_client::metadata::{Gun, RoleName};
use notary_client::repository::Published;
use notary_client::server::{MetadataName, NotaryServer, limits};

use crate::stack::Stack;

/// A parsed GUN (panics on an invalid one).
pub fn gun(s: &str) -> Gun {
    Gun::new(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// Our client for the stack's notary-server, trusting the stack's CA.
pub fn server(stack: &Stack) -> NotaryServer {
    let ca = std::fs::read(stack.notary_ca()).expect("read the stack's CA");
    NotaryServer::builder(stack.notary_url()).add_ca_pem(&ca).build().expect("build a NotaryServer")
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().try_into().expect("32 bytes")
}

/// The roles of a publish, in upload order.
pub fn roles(published: &Published) -> Vec<&str> {
    published.files.iter().map(|(r, _)| r.as_str()).collect()
}

/// `signed.version` of the file uploaded for `role`.
pub fn uploaded_version(published: &Published, role: &RoleName) -> u64 {
    let bytes = published.file(role).unwrap_or_else(|| panic!("{role} was not uploaded: {:?}", roles(published)));
    let v: serde_json::Value = serde_json::from_slice(bytes).expect("uploaded files are JSON");
    v["signed"]["version"].as_u64().expect("signed.version")
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

/// [`assert_stored_as_sent`], and every uploaded file is also the role's current file (no
/// publish since).
pub async fn assert_served_as_sent(stack: &Stack, gun_name: &str, published: &Published) {
    assert_stored_as_sent(stack, gun_name, published).await;
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

/// The server's current `<role>.json`, or `None` when it has none.
pub async fn current_file(stack: &Stack, gun_name: &str, role: &RoleName) -> Option<Vec<u8>> {
    match server(stack).get_metadata(&gun(gun_name), &MetadataName::Current(role.clone()), limits::MAX_DOWNLOAD).await {
        Ok(bytes) => Some(bytes),
        Err(e) if e.is_not_found() => None,
        Err(e) => panic!("GET {role}.json of {gun_name}: {e}"),
    }
}
