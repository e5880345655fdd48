//! The HTTP layer against the real stack (tests/support/stack.rs): real notary-server behind
//! its own CA, repositories published by the real notary CLI, and Docker token auth with the
//! test token issuer.
//!
//! `notary` and `notary-server` are required: when missing these tests fail under `CI`
//! (scripts/test installs them) and are skipped with a notice otherwise.

#[path = "support/stack.rs"]
mod stack;

use std::path::Path;

use base64::Engine as _;
use notary_client::metadata::{Gun, KeyType, RoleName};
use notary_client::server::auth::Credentials;
use notary_client::server::{ChangeCategory, MetadataName, NotaryServer, RemoteStore, ServerError, limits};
use stack::{Stack, require_stack};

const PASSPHRASES: &[(&str, &str)] = &[
    ("NOTARY_ROOT_PASSPHRASE", "root-pass"),
    ("NOTARY_TARGETS_PASSPHRASE", "targets-pass"),
    ("NOTARY_SNAPSHOT_PASSPHRASE", "snapshot-pass"),
    ("NOTARY_DELEGATION_PASSPHRASE", "deleg-pass"),
];

fn gun(s: &str) -> Gun {
    Gun::new(s).unwrap()
}

/// A client trusting the stack's CA.
fn client(stack: &Stack) -> NotaryServer {
    NotaryServer::builder(stack.notary_url()).ca_file(stack.notary_ca()).build().unwrap()
}

/// Runs the notary CLI against the stack and asserts success.
fn notary(stack: &Stack, trust: &Path, args: &[&str]) {
    let out = stack.notary(trust).envs(PASSPHRASES.iter().copied()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "notary {args:?} failed:\n{}{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        stack.log_tails()
    );
}

fn current(role: RoleName) -> MetadataName {
    MetadataName::Current(role)
}

/// `signed.meta.<role>.hashes.sha256` of a timestamp/snapshot file, decoded.
fn listed_sha256(file: &[u8], role: &str) -> [u8; 32] {
    let v: serde_json::Value = serde_json::from_slice(file).unwrap();
    let b64 = v["signed"]["meta"][role]["hashes"]["sha256"].as_str().unwrap();
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap().try_into().unwrap()
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().try_into().unwrap()
}

#[tokio::test]
async fn missing_repository_is_not_found() {
    if !require_stack() {
        return;
    }
    let stack = Stack::up();
    let server = client(&stack);
    let g = gun("example.com/server-api/missing");
    let e = server.get_metadata(&g, &current(RoleName::root()), limits::MAX_DOWNLOAD).await.unwrap_err();
    assert!(matches!(e, ServerError::NotFound { .. }), "{e}");
    assert!(e.is_not_found() && e.falls_back_to_cache());
    let shown = e.to_string();
    assert!(shown.contains("example.com/server-api/missing") && shown.contains("root.json"), "{shown}");
    assert!(shown.contains(stack.notary_url()), "the URL is named: {shown}");
    // Through the trait object the update workflow uses.
    let store: &dyn RemoteStore = &server;
    let e = store.get_metadata(&g, &MetadataName::RootVersion(1), limits::MAX_DOWNLOAD).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

#[tokio::test]
async fn server_managed_keys() {
    if !require_stack() {
        return;
    }
    let stack = Stack::up();
    let server = client(&stack);
    let g = gun("example.com/server-api/keys");
    let key = server.get_key(&g, &RoleName::timestamp()).await.unwrap();
    assert_eq!(key.key_type(), KeyType::Ecdsa);
    // Without a published root every GET creates another key (trap T15).
    assert_ne!(server.get_key(&g, &RoleName::timestamp()).await.unwrap(), key);
    let snapshot = server.get_key(&g, &RoleName::snapshot()).await.unwrap();
    let rotated = server.rotate_key(&g, &RoleName::snapshot()).await.unwrap();
    assert_eq!(rotated.key_type(), KeyType::Ecdsa);
    assert_ne!(rotated.id(), snapshot.id());
    // Only timestamp and snapshot keys exist on the server.
    let e = server.get_key(&g, &RoleName::targets()).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

#[tokio::test]
async fn published_repository_files_by_name_hash_and_version() {
    if !require_stack() {
        return;
    }
    let stack = Stack::up();
    let trust = tempfile::tempdir().unwrap();
    let name = "example.com/server-api/app";
    notary(&stack, trust.path(), &["init", name, "-p"]);
    let server = client(&stack);
    let g = gun(name);

    let root = server.get_metadata(&g, &current(RoleName::root()), limits::MAX_DOWNLOAD).await.unwrap();
    let root_json: serde_json::Value = serde_json::from_slice(&root).unwrap();
    assert_eq!(root_json["signed"]["_type"], "Root");
    // The bytes are the ones the CLI cached (and uploaded).
    let cached = std::fs::read(trust.path().join("tuf").join(name).join("metadata/root.json")).unwrap();
    assert_eq!(root, cached);

    let timestamp = server.get_metadata(&g, &current(RoleName::timestamp()), limits::TIMESTAMP).await.unwrap();
    let snapshot_hash = listed_sha256(&timestamp, "snapshot");
    let by_hash = MetadataName::ByHash { role: RoleName::snapshot(), sha256: snapshot_hash };
    let snapshot = server.get_metadata(&g, &by_hash, limits::MAX_DOWNLOAD).await.unwrap();
    assert_eq!(sha256(&snapshot), snapshot_hash);
    let current_snapshot = server.get_metadata(&g, &current(RoleName::snapshot()), limits::MAX_DOWNLOAD).await.unwrap();
    assert_eq!(current_snapshot, snapshot);
    // targets by the hash the snapshot lists.
    let targets_hash = listed_sha256(&snapshot, "targets");
    let targets = server
        .get_metadata(
            &g,
            &MetadataName::ByHash { role: RoleName::targets(), sha256: targets_hash },
            limits::MAX_DOWNLOAD,
        )
        .await
        .unwrap();
    assert_eq!(sha256(&targets), targets_hash);
    let e = server
        .get_metadata(&g, &MetadataName::ByHash { role: RoleName::snapshot(), sha256: [0; 32] }, limits::MAX_DOWNLOAD)
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");

    // Root versions: v1 from init; a server-managed snapshot key rotation publishes v2.
    let v1 = server.get_metadata(&g, &MetadataName::RootVersion(1), limits::MAX_DOWNLOAD).await.unwrap();
    assert_eq!(v1, root);
    notary(&stack, trust.path(), &["key", "rotate", name, "snapshot", "-r"]);
    let v2 = server.get_metadata(&g, &MetadataName::RootVersion(2), limits::MAX_DOWNLOAD).await.unwrap();
    let v2_json: serde_json::Value = serde_json::from_slice(&v2).unwrap();
    assert_eq!(v2_json["signed"]["version"], 2);
    assert_eq!(server.get_metadata(&g, &current(RoleName::root()), limits::MAX_DOWNLOAD).await.unwrap(), v2);
    let e = server.get_metadata(&g, &MetadataName::RootVersion(3), limits::MAX_DOWNLOAD).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");

    // Size limits: announced (Content-Length) and streamed (chunked) bodies alike.
    for (role, limit) in
        [(RoleName::timestamp(), 100), (RoleName::root(), 1000), (RoleName::root(), v2.len() as u64 - 1)]
    {
        let e = server.get_metadata(&g, &current(role.clone()), limit).await.unwrap_err();
        assert!(matches!(e, ServerError::TooLarge { limit: l, .. } if l == limit), "{role}: {e}");
        assert!(!e.falls_back_to_cache());
    }
    assert_eq!(server.get_metadata(&g, &current(RoleName::root()), v2.len() as u64).await.unwrap(), v2);

    // The changefeed lists the repository's publications.
    let feed = server.changefeed(Some(&g), "0", 100).await.unwrap();
    assert!(feed.count >= 2, "{feed:?}");
    assert_eq!(feed.count as usize, feed.records.len());
    assert!(feed.records.iter().all(|c| c.gun == name && c.category == ChangeCategory::Update), "{feed:?}");
    let newest = server.changefeed(Some(&g), "-1", -1).await.unwrap();
    assert_eq!(newest.records.len(), 1);
    assert_eq!(newest.records.first(), feed.records.last());
    let all = server.changefeed(None, "0", 0).await.unwrap();
    assert!(all.records.iter().any(|c| c.gun == name), "{all:?}");
    let e = server.changefeed(Some(&gun("example.com/server-api/other")), "not-a-number", 10).await.unwrap_err();
    assert!(matches!(e, ServerError::Rejected { status: 400, .. }), "{e}");
}

#[tokio::test]
async fn token_auth_with_basic_credentials() {
    if !require_stack() {
        return;
    }
    let stack = Stack::up_with(&[("AUTH", "token"), ("TOKEN_BASIC", "user:pass")]);
    let g = gun("example.com/server-api/auth");

    let anonymous = client(&stack);
    let e = anonymous.get_metadata(&g, &current(RoleName::root()), limits::MAX_DOWNLOAD).await.unwrap_err();
    assert!(matches!(e, ServerError::Unauthorized { .. }), "{e}");
    let shown = e.to_string();
    assert!(shown.contains("repository:example.com/server-api/auth:pull"), "names the scope: {shown}");

    let wrong = NotaryServer::builder(stack.notary_url())
        .ca_file(stack.notary_ca())
        .credentials(Credentials::basic("user", "wrong-password"))
        .build()
        .unwrap();
    let e = wrong.get_key(&g, &RoleName::timestamp()).await.unwrap_err();
    assert!(e.is_unauthorized(), "{e}");
    assert!(!e.to_string().contains("wrong-password"), "{e}");

    let bogus = NotaryServer::builder(stack.notary_url())
        .ca_file(stack.notary_ca())
        .credentials(Credentials::Bearer("not-a-token".to_owned().into()))
        .build()
        .unwrap();
    let e = bogus.get_metadata(&g, &current(RoleName::root()), limits::MAX_DOWNLOAD).await.unwrap_err();
    assert!(e.is_unauthorized(), "{e}");
    assert!(!e.to_string().contains("not-a-token"), "{e}");

    let server = NotaryServer::builder(stack.notary_url())
        .ca_file(stack.notary_ca())
        .credentials(Credentials::basic("user", "pass"))
        .build()
        .unwrap();
    // Authenticated, the repository simply does not exist yet.
    let e = server.get_metadata(&g, &current(RoleName::root()), limits::MAX_DOWNLOAD).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
    let token_requests =
        || std::fs::read_to_string(stack.dir().join("log/token.log")).unwrap().matches("GET /token").count();
    // Keys need push,pull: a new scope, a new token.
    let before = token_requests();
    let key = server.get_key(&g, &RoleName::timestamp()).await.unwrap();
    assert_eq!(key.key_type(), KeyType::Ecdsa);
    assert_eq!(token_requests(), before + 1);
    // Same scopes again: cached tokens, no token request; clones share the cache.
    let clone = server.clone();
    assert_eq!(clone.get_key(&g, &RoleName::timestamp()).await.unwrap().key_type(), KeyType::Ecdsa);
    let e = clone.get_metadata(&g, &current(RoleName::timestamp()), limits::TIMESTAMP).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert_eq!(token_requests(), before + 1);
    // A new scope (`*`) is pre-authorised from the remembered challenge.
    server.rotate_key(&g, &RoleName::snapshot()).await.unwrap();
    assert_eq!(token_requests(), before + 2);
}

#[tokio::test]
async fn token_auth_anonymous() {
    if !require_stack() {
        return;
    }
    let stack = Stack::up_with(&[("AUTH", "token")]);
    let server = client(&stack);
    let g = gun("example.com/server-api/anon");
    assert_eq!(server.get_key(&g, &RoleName::timestamp()).await.unwrap().key_type(), KeyType::Ecdsa);
    let e = server.get_metadata(&g, &current(RoleName::root()), limits::MAX_DOWNLOAD).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
    // The whole-server changefeed asks for registry:catalog:*, which this issuer grants.
    let feed = server.changefeed(None, "0", 10).await.unwrap();
    assert_eq!(feed.count as usize, feed.records.len());
}

#[tokio::test]
async fn tls_verification() {
    if !require_stack() {
        return;
    }
    let stack = Stack::up();
    let g = gun("example.com/server-api/tls");
    let root = current(RoleName::root());

    // The system roots only, and a wrong CA: the server's certificate is not trusted.
    let wrong_ca = stack.dir().join("tls/token.crt");
    for builder in [
        NotaryServer::builder(stack.notary_url()),
        NotaryServer::builder(stack.notary_url()).ca_file(&wrong_ca),
        // Verification stays on for hosts other than the named one.
        NotaryServer::builder(stack.notary_url()).danger_accept_invalid_certs_for_host("localhost"),
    ] {
        let server = builder.retries(0).build().unwrap();
        let e = server.get_metadata(&g, &root, limits::MAX_DOWNLOAD).await.unwrap_err();
        assert!(matches!(e, ServerError::Network { .. }), "{e}");
        let shown = e.to_string();
        assert!(shown.contains("certificate") && shown.contains("TLS"), "{shown}");
        assert!(shown.contains(stack.notary_url()), "{shown}");
    }

    // Explicitly insecure for this host: connects without the CA.
    let insecure =
        NotaryServer::builder(stack.notary_url()).danger_accept_invalid_certs_for_host("127.0.0.1").build().unwrap();
    assert!(insecure.get_metadata(&g, &root, limits::MAX_DOWNLOAD).await.unwrap_err().is_not_found());

    // The CA as PEM bytes, and Docker's tls/<host:port>/ convention (CA + client pair).
    let ca = std::fs::read(stack.notary_ca()).unwrap();
    let server = NotaryServer::builder(stack.notary_url()).add_ca_pem(&ca).build().unwrap();
    assert!(server.get_metadata(&g, &root, limits::MAX_DOWNLOAD).await.unwrap_err().is_not_found());
    let config = tempfile::tempdir().unwrap();
    let certs = config.path().join("tls").join(stack.notary_host());
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(certs.join("ca.crt"), &ca).unwrap();
    std::fs::copy(stack.dir().join("tls/server.crt"), certs.join("client.cert")).unwrap();
    std::fs::copy(stack.dir().join("tls/server.key"), certs.join("client.key")).unwrap();
    let server = NotaryServer::builder(stack.notary_url()).docker_config_dir(config.path()).build().unwrap();
    assert!(server.get_metadata(&g, &root, limits::MAX_DOWNLOAD).await.unwrap_err().is_not_found());
    // A client certificate without its key is refused, as Docker does.
    std::fs::remove_file(certs.join("client.key")).unwrap();
    let e = NotaryServer::builder(stack.notary_url()).docker_certs_dir(&certs).build().unwrap_err();
    assert!(matches!(e, ServerError::Config { .. }) && e.to_string().contains("missing key"), "{e}");
}

#[tokio::test]
async fn unreachable_and_misconfigured() {
    // No stack needed: a closed loopback port, and configuration errors.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = NotaryServer::builder(&format!("https://127.0.0.1:{port}")).retries(1).build().unwrap();
    let e = server.get_key(&gun("example.com/x"), &RoleName::timestamp()).await.unwrap_err();
    assert!(matches!(e, ServerError::Network { .. }) && e.falls_back_to_cache(), "{e}");

    let e = NotaryServer::builder("http://notary.example.com").build().unwrap_err();
    assert!(matches!(e, ServerError::Config { .. }) && e.to_string().contains("https"), "{e}");
    let e = NotaryServer::builder("https://h").ca_file("/nonexistent/ca.pem").build().unwrap_err();
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    let e = NotaryServer::builder("https://h").add_ca_pem(b"junk").build().unwrap_err();
    assert!(e.to_string().contains("CERTIFICATE"), "{e}");
    let e = NotaryServer::builder("https://h").docker_certs_dir("/nonexistent/certs.d").build().unwrap_err();
    assert!(e.to_string().contains("/nonexistent/certs.d"), "{e}");
    // A missing Docker config tls/ directory is simply not used.
    assert!(NotaryServer::builder("https://h").docker_config_dir("/nonexistent/.docker").build().is_ok());
}

// ------------------------------------------------------------------ scripted loopback server

/// A plain-HTTP loopback server answering each connection with the next scripted response
/// (`Connection: close`), recording every request head (request line and headers).
struct Scripted {
    url: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Scripted {
    fn start(responses: Vec<String>) -> Scripted {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for response in responses {
                let Ok((mut stream, _)) = listener.accept() else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                seen.lock().unwrap().push(head);
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Scripted { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn response(status: &str, headers: &[&str], body: &str) -> String {
    let mut r = format!("HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for h in headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    r.push_str("\r\n");
    r.push_str(body);
    r
}

const KEY_BODY: &str = r#"{"keytype":"ecdsa","keyval":{"public":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyRQYcciQ8gIDuDr/cpl+D6Di3dajRkZJsJWAAsdTsFjDsMAynZAp6VJP69CULW6dmdf0E0vggABeYb8MWNEdVg==","private":null}}"#;

#[tokio::test]
async fn idempotent_requests_are_retried_on_transient_failures() {
    let g = gun("example.com/retry");
    let ts = current(RoleName::timestamp());
    let unavailable = || response("503 Service Unavailable", &[], "");
    let s = Scripted::start(vec![unavailable(), response("502 Bad Gateway", &[], ""), response("200 OK", &[], "{}")]);
    let server = NotaryServer::builder(&s.url).build().unwrap();
    assert_eq!(server.get_metadata(&g, &ts, limits::TIMESTAMP).await.unwrap(), b"{}");
    assert_eq!(s.requests().len(), 3);

    let s = Scripted::start(vec![unavailable(), unavailable(), unavailable()]);
    let server = NotaryServer::builder(&s.url).retries(1).build().unwrap();
    let e = server.get_metadata(&g, &ts, limits::TIMESTAMP).await.unwrap_err();
    assert!(matches!(e, ServerError::Unavailable { status: 503, .. }), "{e}");
    assert_eq!(s.requests().len(), 2);

    // Not idempotent: never repeated.
    let s = Scripted::start(vec![unavailable(), unavailable()]);
    let server = NotaryServer::builder(&s.url).build().unwrap();
    let e = server.rotate_key(&g, &RoleName::snapshot()).await.unwrap_err();
    assert!(matches!(e, ServerError::Unavailable { status: 503, .. }), "{e}");
    assert_eq!(s.requests().len(), 1);
    assert!(s.requests()[0].starts_with("POST /v2/example.com/retry/_trust/tuf/snapshot.key "));

    // 500 keeps the errcode; redirects are answers, not followed; nothing else is retried.
    let s = Scripted::start(vec![
        response("500 Internal Server Error", &[], r#"{"errors":[{"code":"NO_STORAGE","message":"x"}]}"#),
        response("302 Found", &["Location: https://elsewhere.example/"], ""),
    ]);
    let server = NotaryServer::builder(&s.url).build().unwrap();
    let e = server.get_metadata(&g, &ts, limits::TIMESTAMP).await.unwrap_err();
    assert!(matches!(e, ServerError::Unavailable { status: 500, .. }) && e.code() == Some("NO_STORAGE"), "{e}");
    let e = server.get_metadata(&g, &ts, limits::TIMESTAMP).await.unwrap_err();
    assert!(matches!(e, ServerError::Unavailable { status: 302, .. }), "{e}");
    assert_eq!(s.requests().len(), 2);
}

#[tokio::test]
async fn basic_challenges_and_unsafe_realms() {
    let g = gun("example.com/basic");
    let challenge = response("401 Unauthorized", &[r#"WWW-Authenticate: Basic realm="notary""#], "");
    let s =
        Scripted::start(vec![challenge.clone(), response("200 OK", &[], KEY_BODY), response("200 OK", &[], KEY_BODY)]);
    let server = NotaryServer::builder(&s.url).credentials(Credentials::basic("alice", "open sesame")).build().unwrap();
    server.get_key(&g, &RoleName::timestamp()).await.unwrap();
    server.get_key(&g, &RoleName::snapshot()).await.unwrap();
    let requests = s.requests();
    let basic = format!(
        "authorization: basic {}",
        base64::engine::general_purpose::STANDARD.encode("alice:open sesame").to_ascii_lowercase()
    );
    let has_basic = |r: &String| r.to_ascii_lowercase().contains(&basic);
    assert!(!has_basic(&requests[0]), "first attempt without credentials");
    assert!(has_basic(&requests[1]), "retry with Basic credentials: {}", requests[1]);
    assert!(has_basic(&requests[2]), "later requests pre-authorised: {}", requests[2]);

    // Refused Basic credentials: Unauthorized, no loop.
    let s = Scripted::start(vec![challenge.clone(), challenge.clone(), challenge.clone()]);
    let server = NotaryServer::builder(&s.url).credentials(Credentials::basic("alice", "wrong")).build().unwrap();
    let e = server.get_key(&g, &RoleName::timestamp()).await.unwrap_err();
    assert!(e.is_unauthorized() && !e.to_string().contains("wrong"), "{e}");
    assert_eq!(s.requests().len(), 2);

    // A Basic challenge without credentials.
    let s = Scripted::start(vec![challenge]);
    let e = NotaryServer::builder(&s.url).build().unwrap().get_key(&g, &RoleName::timestamp()).await.unwrap_err();
    assert!(e.is_unauthorized() && e.to_string().contains("Basic"), "{e}");

    // A token realm in plain http on another host: credentials are never sent there.
    let s = Scripted::start(vec![response(
        "401 Unauthorized",
        &[r#"WWW-Authenticate: Bearer realm="http://auth.example.com/token",service="notary""#],
        "",
    )]);
    let server = NotaryServer::builder(&s.url).credentials(Credentials::basic("alice", "pw")).build().unwrap();
    let e = server.get_key(&g, &RoleName::timestamp()).await.unwrap_err();
    assert!(e.is_unauthorized() && e.to_string().contains("not https"), "{e}");
    assert_eq!(s.requests().len(), 1);
}
