//! The registry client against a real `docker-registry` (the stack of `scripts/stack.sh`):
//! pushes, reads back, mounts, token authentication and error paths. Error paths a real
//! registry cannot be made to take (a lying `Docker-Content-Digest`, an oversized manifest,
//! plain HTTP where TLS is expected) use a tiny in-process HTTP fake.

#[path = "support/mitm.rs"]
mod mitm;
#[path = "support/stack.rs"]
mod stack;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use mitm::{Answer as MitmAnswer, Mitm, Target};
use notary_client::docker::ImageReference;
use notary_client::registry::{
    Blob, BlobOutcome, BlobSource, Digest, Image, Manifest, Operation, PUSH_ATTEMPTS, PushOptions, PushProgress,
    Registry, RegistryError,
};
use notary_client::server::auth::Credentials;
use serde_json::json;
use stack::{Stack, require_stack};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

// ---------------------------------------------------------------- images built here

fn memory_blob(bytes: &[u8], media_type: &str) -> Blob {
    Blob {
        digest: Digest::of(bytes),
        size: bytes.len() as u64,
        media_type: media_type.to_owned(),
        source: BlobSource::Memory(Arc::from(bytes)),
    }
}

fn descriptor(blob: &Blob) -> serde_json::Value {
    json!({"mediaType": blob.media_type, "digest": blob.digest.to_string(), "size": blob.size})
}

/// An OCI image manifest over `config` and `layer`.
fn manifest_of(config: Blob, layer: Blob) -> Manifest {
    let body = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(&config),
        "layers": [descriptor(&layer)],
    });
    Manifest::new(OCI_MANIFEST, serde_json::to_vec(&body).unwrap(), vec![config, layer])
}

/// A small image manifest whose blobs depend on `seed`.
fn small_manifest(seed: &str, arch: &str) -> Manifest {
    let config = format!(r#"{{"architecture":"{arch}","os":"linux","rootfs":{{"type":"layers"}},"seed":"{seed}"}}"#);
    let layer = format!("layer of {seed} for {arch}\n").repeat(500);
    manifest_of(memory_blob(config.as_bytes(), OCI_CONFIG), memory_blob(layer.as_bytes(), OCI_LAYER))
}

fn small_image(seed: &str) -> Image {
    Image::new(vec![small_manifest(seed, "amd64")]).unwrap()
}

/// An OCI index over `children` (one platform each).
fn index_of(children: &[&Manifest]) -> Manifest {
    let entries: Vec<_> = children
        .iter()
        .zip(["amd64", "arm64"])
        .map(|(m, arch)| {
            json!({"mediaType": m.media_type, "digest": m.digest.to_string(), "size": m.size(),
                   "platform": {"architecture": arch, "os": "linux"}})
        })
        .collect();
    let body = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
    Manifest::new(OCI_INDEX, serde_json::to_vec(&body).unwrap(), vec![])
}

/// Records blob outcomes and pushed manifests.
#[derive(Default)]
struct Recorder {
    outcomes: Mutex<Vec<(Digest, BlobOutcome)>>,
    last_bytes: Mutex<Vec<(Digest, u64)>>,
    manifests: Mutex<Vec<Digest>>,
}

impl PushProgress for Recorder {
    fn blob_bytes(&self, blob: &Blob, sent: u64) {
        self.last_bytes.lock().unwrap().push((blob.digest, sent));
    }
    fn blob_done(&self, blob: &Blob, outcome: BlobOutcome) {
        self.outcomes.lock().unwrap().push((blob.digest, outcome));
    }
    fn manifest_pushed(&self, manifest: &Manifest) {
        self.manifests.lock().unwrap().push(manifest.digest);
    }
}

fn options_with(recorder: &Arc<Recorder>, mount_from: &[&str]) -> PushOptions {
    PushOptions {
        progress: Some(recorder.clone() as Arc<dyn PushProgress>),
        mount_from: mount_from.iter().map(|s| s.to_string()).collect(),
    }
}

fn reference(host: &str, name: &str) -> ImageReference {
    ImageReference::parse(&format!("{host}/{name}")).expect("reference")
}

/// A stack of the test's own, or `None` (skip) when its programs are missing outside CI.
fn stack() -> Option<Stack> {
    require_stack().then(Stack::up)
}

/// A stack whose registry requires Docker tokens, issued for `user:pass` only.
fn token_stack() -> Option<Stack> {
    require_stack().then(|| Stack::up_with(&[("AUTH", "token"), ("TOKEN_BASIC", "user:pass")]))
}

/// A client of the stack's registry with the token stack's credentials.
fn logged_in(stack: &Stack) -> Registry {
    Registry::builder(stack.registry_host())
        .credentials(Credentials::basic("user", "pass"))
        .build()
        .expect("registry client")
}

fn registry(stack: &Stack) -> Registry {
    Registry::builder(stack.registry_host()).build().expect("registry client")
}

// ---------------------------------------------------------------- against the real registry

#[tokio::test]
async fn pushed_manifest_reads_back_byte_equal_with_the_same_digest() {
    let Some(stack) = stack() else { return };
    let registry = registry(&stack);
    let image = small_image("roundtrip");
    let tagged = reference(stack.registry_host(), "demo/app:1.0");

    let pushed = registry.push(&tagged, &image).await.expect("push");
    assert_eq!((pushed.digest, pushed.size), (image.top().digest, image.top().size()));
    assert_eq!(pushed.media_type, OCI_MANIFEST);

    let remote = registry.manifest(&tagged).await.expect("manifest");
    assert_eq!(&*remote.bytes, &*image.top().bytes);
    assert_eq!((remote.digest, remote.size), (pushed.digest, pushed.size));
    assert_eq!(remote.media_type, OCI_MANIFEST);
}

#[tokio::test]
async fn second_push_reports_every_blob_existed() {
    let Some(stack) = stack() else { return };
    let registry = registry(&stack);
    let image = small_image("again");
    let tagged = reference(stack.registry_host(), "demo/app:1.0");
    let first = Arc::new(Recorder::default());
    registry.push_with(&tagged, &image, &options_with(&first, &[])).await.expect("first push");
    assert!(first.outcomes.lock().unwrap().iter().all(|(_, o)| *o == BlobOutcome::Uploaded));

    let second = Arc::new(Recorder::default());
    registry.push_with(&tagged, &image, &options_with(&second, &[])).await.expect("second push");
    let outcomes = second.outcomes.lock().unwrap();
    assert_eq!(outcomes.len(), image.blobs().count());
    assert!(outcomes.iter().all(|(_, o)| *o == BlobOutcome::Existed), "{outcomes:?}");
    assert!(second.last_bytes.lock().unwrap().is_empty(), "nothing is uploaded again");
}

#[tokio::test]
async fn index_children_are_pushed_first_and_fetchable_by_digest() {
    let Some(stack) = stack() else { return };
    let registry = registry(&stack);
    let (amd64, arm64) = (small_manifest("multi", "amd64"), small_manifest("multi", "arm64"));
    let index = index_of(&[&amd64, &arm64]);
    let image = Image::new(vec![amd64.clone(), arm64.clone(), index.clone()]).unwrap();
    let tagged = reference(stack.registry_host(), "demo/multi:2.0");
    let recorder = Arc::new(Recorder::default());

    let pushed = registry.push_with(&tagged, &image, &options_with(&recorder, &[])).await.expect("push");
    assert_eq!(pushed.digest, index.digest);
    assert_eq!(*recorder.manifests.lock().unwrap(), vec![amd64.digest, arm64.digest, index.digest]);

    for child in [&amd64, &arm64] {
        let by_digest = reference(stack.registry_host(), &format!("demo/multi@{}", child.digest));
        let remote = registry.manifest(&by_digest).await.expect("child by digest");
        assert_eq!(&*remote.bytes, &*child.bytes);
    }
    let remote = registry.manifest(&tagged).await.expect("index by tag");
    assert_eq!((remote.digest, remote.media_type.as_str()), (index.digest, OCI_INDEX));
}

#[tokio::test]
async fn blobs_of_another_repository_are_mounted() {
    let Some(stack) = stack() else { return };
    let registry = registry(&stack);
    let image = small_image("shared");
    registry.push(&reference(stack.registry_host(), "demo/base:1.0"), &image).await.expect("push base");

    let recorder = Arc::new(Recorder::default());
    let app = reference(stack.registry_host(), "demo/app:1.0");
    registry.push_with(&app, &image, &options_with(&recorder, &["demo/base"])).await.expect("push app");
    let outcomes = recorder.outcomes.lock().unwrap().clone();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|(_, o)| *o == BlobOutcome::Mounted), "{outcomes:?}");
    assert_eq!(registry.manifest(&app).await.expect("manifest").digest, image.top().digest);
}

#[tokio::test]
async fn token_auth_push_with_basic_credentials_succeeds() {
    let Some(stack) = token_stack() else { return };
    let registry = logged_in(&stack);
    let image = small_image("token");
    let tagged = reference(stack.registry_host(), "demo/app:1.0");
    let pushed = registry.push(&tagged, &image).await.expect("push with credentials");
    assert_eq!(registry.manifest(&tagged).await.expect("manifest").digest, pushed.digest);
}

#[tokio::test]
async fn a_mount_the_push_token_does_not_cover_falls_back_to_uploading() {
    // oci-client asks for `repository:<target>:pull,push` only; the registry wants pull access
    // to the source repository too for a mount, refuses it, and the blobs are uploaded instead.
    let Some(stack) = token_stack() else { return };
    let registry = logged_in(&stack);
    let image = small_image("token-mount");
    registry.push(&reference(stack.registry_host(), "demo/base:1.0"), &image).await.expect("push base");

    let recorder = Arc::new(Recorder::default());
    let app = reference(stack.registry_host(), "demo/app:1.0");
    registry.push_with(&app, &image, &options_with(&recorder, &["demo/base"])).await.expect("push app");
    let outcomes = recorder.outcomes.lock().unwrap();
    assert!(outcomes.iter().all(|(_, o)| *o == BlobOutcome::Uploaded), "{outcomes:?}");
}

#[tokio::test]
async fn token_auth_anonymous_push_is_unauthorized() {
    let Some(stack) = token_stack() else { return };
    let registry = registry(&stack);
    let tagged = reference(stack.registry_host(), "demo/app:1.0");
    let e = registry.push(&tagged, &small_image("anonymous")).await.expect_err("anonymous push");
    assert!(matches!(e, RegistryError::Unauthorized { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains(&format!("docker login {}", stack.registry_host())), "{text}");
    assert!(!text.contains("pass"), "{text}");
}

#[tokio::test]
async fn manifest_of_a_missing_tag_is_not_found() {
    let Some(stack) = stack() else { return };
    let registry = registry(&stack);
    registry.push(&reference(stack.registry_host(), "demo/app:1.0"), &small_image("present")).await.expect("push");
    let e = registry.manifest(&reference(stack.registry_host(), "demo/app:missing")).await.expect_err("missing tag");
    assert!(matches!(e, RegistryError::NotFound { .. }), "{e:?}");
    assert_eq!(e.code(), Some("MANIFEST_UNKNOWN"), "{e}");
    assert_eq!(e.context().map(|c| c.operation), Some(Operation::GetManifest));
}

#[tokio::test]
async fn a_blob_shorter_than_its_size_fails_and_no_manifest_is_pushed() {
    let Some(stack) = stack() else { return };
    let registry = registry(&stack);
    let config = memory_blob(br#"{"architecture":"amd64","os":"linux"}"#, OCI_CONFIG);
    let mut layer = memory_blob(&[7u8; 1000], OCI_LAYER);
    layer.size = 5000; // the source ends 4000 bytes early
    let short_digest = layer.digest;
    let image = Image::new(vec![manifest_of(config, layer)]).unwrap();
    let tagged = reference(stack.registry_host(), "demo/app:1.0");

    let e = registry.push(&tagged, &image).await.expect_err("short blob");
    match &e {
        RegistryError::Blob { digest, source } => {
            assert_eq!(*digest, short_digest);
            assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof);
        }
        other => panic!("expected a Blob error, got {other:?}"),
    }
    let e = registry.manifest(&tagged).await.expect_err("no manifest was pushed");
    assert!(matches!(e, RegistryError::NotFound { .. }), "{e:?}");
}

#[tokio::test]
async fn docker_config_tls_ca_lets_the_client_verify_the_registry() {
    // notary-server is HTTPS with the stack's CA: not a registry, but any HTTP answer shows the
    // TLS handshake succeeded.
    let Some(stack) = stack() else { return };
    let host = stack.notary_host().to_owned();
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(config.path().join("tls").join(&host)).unwrap();
    std::fs::copy(stack.notary_ca(), config.path().join("tls").join(&host).join("ca.crt")).unwrap();
    let registry =
        Registry::builder(&format!("https://{host}")).docker_certs(config.path()).build().expect("registry client");
    let e = registry.manifest(&reference(&host, "demo/app:1.0")).await.expect_err("not a registry");
    assert!(!matches!(e, RegistryError::Network { .. }), "{e}");
}

#[tokio::test]
async fn an_unknown_ca_is_a_network_error_naming_the_docker_tls_directory() {
    let Some(stack) = stack() else { return };
    let host = stack.notary_host().to_owned();
    let registry = Registry::builder(&format!("https://{host}")).build().expect("registry client");
    let e = registry.manifest(&reference(&host, "demo/app:1.0")).await.expect_err("unknown CA");
    assert!(matches!(e, RegistryError::Network { .. }), "{e:?}");
    assert!(e.to_string().contains(&format!("$DOCKER_CONFIG/tls/{host}/ca.crt")), "{e}");
}

// ---------------------------------------------------------------- no network

#[test]
fn plain_http_to_a_remote_registry_is_refused_at_build_time() {
    let e = Registry::builder("http://registry.example.com:5000").build().expect_err("plain http");
    assert!(matches!(e, RegistryError::Config { .. }), "{e:?}");
    assert!(e.to_string().contains("insecure_hosts"), "{e}");
}

#[test]
fn plain_http_to_a_listed_insecure_registry_is_allowed() {
    let registry = Registry::builder("http://registry.example.com:5000")
        .insecure_hosts(["registry.example.com:5000".to_owned()])
        .build()
        .expect("listed host");
    assert!(registry.plain_http());
    let listed = Registry::builder("registry.example.com:5000")
        .insecure_hosts(["registry.example.com:5000".to_owned()])
        .build()
        .expect("listed host");
    assert!(listed.plain_http());
}

#[test]
fn remote_registries_use_https_by_default() {
    assert!(!Registry::builder("registry.example.com").build().unwrap().plain_http());
    assert!(Registry::builder("localhost:5000").build().unwrap().plain_http());
}

#[tokio::test]
async fn push_without_a_tag_is_refused() {
    let registry = Registry::builder("registry.example.com").build().unwrap();
    let e = registry.push(&reference("registry.example.com", "team/app"), &small_image("x")).await.unwrap_err();
    assert!(matches!(e, RegistryError::NoTag { .. }), "{e:?}");
}

#[tokio::test]
async fn a_reference_on_another_registry_is_refused() {
    let registry = Registry::builder("registry.example.com").build().unwrap();
    let e = registry.push(&reference("other.example.com", "team/app:1"), &small_image("x")).await.unwrap_err();
    assert!(matches!(e, RegistryError::Config { .. }) && e.to_string().contains("other.example.com"), "{e}");
}

#[test]
fn client_certificates_in_the_docker_tls_directory_are_refused() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path().join("tls").join("registry.example.com:5000");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("client.cert"), "-----BEGIN CERTIFICATE-----\n").unwrap();
    std::fs::write(dir.join("client.key"), "-----BEGIN PRIVATE KEY-----\n").unwrap();
    let e = Registry::builder("registry.example.com:5000").docker_certs(config.path()).build().unwrap_err();
    assert!(matches!(e, RegistryError::Config { .. }), "{e:?}");
    assert!(e.to_string().contains("mutual TLS to registries is not supported"), "{e}");
}

#[test]
fn an_invalid_ca_file_is_a_configuration_error_naming_it() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path().join("tls").join("registry.example.com");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.crt"), "not a certificate").unwrap();
    let e = Registry::builder("registry.example.com").docker_certs(config.path()).build().unwrap_err();
    assert!(matches!(e, RegistryError::Config { .. }) && e.to_string().contains("ca.crt"), "{e}");
}

// ---------------------------------------------------------------- error paths on a fake registry

type Answer = (u16, Vec<(&'static str, String)>, Vec<u8>);

/// Serves `answer(method, path)` on 127.0.0.1, one request per connection; returns the
/// `host:port`.
fn fake_registry(answer: impl Fn(&str, &str) -> Answer + Send + 'static) -> String {
    fake_registry_logged(answer).0
}

/// One request a fake registry received: method, path and whether it carried `Authorization`.
type Logged = (String, String, bool);

/// [`fake_registry`], also returning the log of the requests received.
fn fake_registry_logged(answer: impl Fn(&str, &str) -> Answer + Send + 'static) -> (String, Arc<Mutex<Vec<Logged>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let log = Arc::new(Mutex::new(Vec::new()));
    let served = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = serve_one(stream, &answer, &served);
        }
    });
    (host, log)
}

fn serve_one(
    stream: TcpStream,
    answer: &dyn Fn(&str, &str) -> Answer,
    log: &Mutex<Vec<Logged>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or_default().to_owned(), parts.next().unwrap_or_default().to_owned());
    let mut length = 0usize;
    let mut authorization = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
            authorization |= name.eq_ignore_ascii_case("authorization");
        }
    }
    log.lock().unwrap().push((method.clone(), path.clone(), authorization));
    std::io::copy(&mut reader.by_ref().take(length as u64), &mut std::io::sink())?;
    let (status, headers, body) = answer(&method, &path);
    let mut out = format!("HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut stream = stream;
    stream.write_all(out.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(&body)?;
    }
    stream.flush()
}

/// A fake loopback registry whose `/v2/` challenge names `realm` as its token service.
fn registry_with_realm(realm: &str) -> (String, Arc<Mutex<Vec<Logged>>>) {
    let challenge = format!(r#"Bearer realm="{realm}",service="fake",scope="repository:demo/app:pull""#);
    fake_registry_logged(move |_, path| match path {
        "/v2/" => (401, vec![("WWW-Authenticate", challenge.clone())], b"{}".to_vec()),
        _ => (404, vec![], b"{}".to_vec()),
    })
}

#[tokio::test]
async fn credentials_are_not_sent_to_a_plain_http_token_realm_on_another_host() {
    let (host, log) = registry_with_realm("http://203.0.113.1/token");
    // A connection attempt to the realm (TEST-NET-3) would hang until this timeout.
    let registry = Registry::builder(&host)
        .credentials(Credentials::basic("user", "s3cret"))
        .timeouts(std::time::Duration::from_secs(60), std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let e = registry.push(&reference(&host, "demo/app:1.0"), &small_image("realm")).await.expect_err("refused");
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "the realm was contacted");
    match &e {
        RegistryError::InsecureTokenRealm { host: h, realm } => {
            assert_eq!((h.as_str(), realm.as_str()), (host.as_str(), "http://203.0.113.1"));
        }
        other => panic!("{other:?}"),
    }
    let text = e.to_string();
    assert!(text.contains("http://203.0.113.1,") && text.contains("nothing was sent"), "{text}");
    assert!(!text.contains("s3cret") && !text.contains("/token"), "{text}");
    // The manifest read is refused too, without a second probe (the verdict is remembered).
    let e = registry.manifest(&reference(&host, "demo/app:1.0")).await.expect_err("refused");
    assert!(matches!(e, RegistryError::InsecureTokenRealm { .. }), "{e:?}");
    let log = log.lock().unwrap().clone();
    assert_eq!(log, vec![("GET".to_owned(), "/v2/".to_owned(), false)], "only the probe, without credentials");
}

#[tokio::test]
async fn a_plain_http_loopback_realm_of_a_loopback_registry_is_accepted() {
    let token_service = fake_registry(|_, _| (200, vec![], br#"{"token":"t0k"}"#.to_vec()));
    let (host, log) = registry_with_realm(&format!("http://{token_service}/token"));
    let registry = Registry::builder(&host).credentials(Credentials::basic("user", "s3cret")).build().unwrap();
    let e = registry.manifest(&reference(&host, "demo/app:1.0")).await.expect_err("no such manifest");
    assert!(matches!(e, RegistryError::NotFound { .. }), "{e:?}");
    // The manifest request carried the token.
    let log = log.lock().unwrap().clone();
    assert!(log.iter().any(|(m, p, auth)| m == "GET" && p.contains("/manifests/") && *auth), "{log:?}");
}

#[tokio::test]
async fn anonymous_pushes_need_no_realm_check() {
    // Not loopback for the rule, but refused at once when oci-client asks it for a token.
    let (host, log) = registry_with_realm("http://0.0.0.0:1/token");
    let registry = Registry::builder(&host).build().unwrap();
    let e = registry.manifest(&reference(&host, "demo/app:1.0")).await.expect_err("no such manifest");
    assert!(!matches!(e, RegistryError::InsecureTokenRealm { .. }), "{e:?}");
    assert!(log.lock().unwrap().iter().all(|(_, _, auth)| !auth));
}

const WRONG_DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

#[tokio::test]
async fn a_tag_that_resolves_to_another_digest_after_the_push_is_a_digest_mismatch() {
    let host = fake_registry(|method, path| match method {
        "PUT" => (201, vec![("Location", path.to_owned())], vec![]),
        "HEAD" if path.contains("/manifests/") => {
            (200, vec![("Docker-Content-Digest", WRONG_DIGEST.to_owned())], vec![])
        }
        _ => (200, vec![], b"{}".to_vec()), // GET /v2/, HEAD of blobs: present
    });
    let registry = Registry::builder(&host).build().unwrap();
    let image = small_image("lying");
    let e = registry.push(&reference(&host, "demo/app:1.0"), &image).await.expect_err("mismatch");
    match &e {
        RegistryError::DigestMismatch { context, expected, got } => {
            assert_eq!((*expected, got.as_str()), (image.top().digest, WRONG_DIGEST));
            assert_eq!(context.operation, Operation::VerifyTag);
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn a_manifest_served_with_a_wrong_docker_content_digest_is_a_digest_mismatch() {
    let body = small_manifest("served", "amd64").bytes.to_vec();
    let host = fake_registry(move |_, path| {
        if path.contains("/manifests/") {
            (200, vec![("Docker-Content-Digest", WRONG_DIGEST.to_owned())], body.clone())
        } else {
            (200, vec![], b"{}".to_vec())
        }
    });
    let registry = Registry::builder(&host).build().unwrap();
    let e = registry.manifest(&reference(&host, "demo/app:1.0")).await.expect_err("mismatch");
    assert!(matches!(e, RegistryError::DigestMismatch { .. }), "{e:?}");
}

#[tokio::test]
async fn a_manifest_over_4_mib_is_too_large() {
    let host = fake_registry(|_, path| {
        if path.contains("/manifests/") {
            let huge = format!(r#"{{"schemaVersion":2,"layers":[],"pad":"{}"}}"#, "a".repeat(5 << 20));
            (200, vec![], huge.into_bytes())
        } else {
            (200, vec![], b"{}".to_vec())
        }
    });
    let registry = Registry::builder(&host).build().unwrap();
    let e = registry.manifest(&reference(&host, "demo/app:1.0")).await.expect_err("too large");
    assert!(matches!(e, RegistryError::TooLarge { limit: 4194304, .. }), "{e:?}");
}

/// A server that answers every connection with a plain-HTTP 400 at once (as an HTTP server
/// answers a TLS ClientHello); returns the `host:port`.
fn plain_http_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            // Read what the client sent before closing, so that it sees the answer, not a reset.
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(500)));
            let _ = stream.read(&mut [0u8; 4096]);
        }
    });
    host
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_network_error_with_a_tls_hint() {
    let host = plain_http_server();
    let registry = Registry::builder(&format!("https://{host}")).build().unwrap();
    let e = registry.manifest(&reference(&host, "demo/app:1.0")).await.expect_err("not TLS");
    assert!(matches!(e, RegistryError::Network { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("TLS") && text.contains("insecure_hosts"), "{text}");
}

// ---------------------------------------------------------------- memory

/// Peak resident set size of this process (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Writes `size` bytes of a cheap pattern (each MiB differs) to `path`; returns their digest.
fn write_pattern_file(path: &Path, size: u64) -> Digest {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut sha = ring::digest::Context::new(&ring::digest::SHA256);
    let mut chunk = vec![0u8; 1 << 20];
    for (i, b) in chunk.iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    let mut written = 0u64;
    let mut n = 0u64;
    while written < size {
        chunk[..8].copy_from_slice(&n.to_le_bytes());
        let len = (size - written).min(chunk.len() as u64) as usize;
        file.write_all(&chunk[..len]).unwrap();
        sha.update(&chunk[..len]);
        written += len as u64;
        n += 1;
    }
    file.flush().unwrap();
    let mut out = [0u8; 32];
    out.copy_from_slice(sha.finish().as_ref());
    Digest::from_bytes(out)
}

#[tokio::test]
#[ignore = "writes and pushes 1 GiB; run with --ignored"]
async fn push_of_a_1_gib_layer_stays_under_64_mib_rss() {
    const SIZE: u64 = 1 << 30;
    let Some(stack) = stack() else { return }; // its registry stores blobs on disk
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.tar");
    let digest = write_pattern_file(&path, SIZE);
    let layer = Blob {
        digest,
        size: SIZE,
        media_type: OCI_LAYER.to_owned(),
        source: BlobSource::File { path: path.clone(), offset: 0 },
    };
    let config = memory_blob(br#"{"architecture":"amd64","os":"linux"}"#, OCI_CONFIG);
    let image = Image::new(vec![manifest_of(config, layer)]).unwrap();
    let recorder = Arc::new(Recorder::default());
    let started = std::time::Instant::now();
    registry(&stack)
        .push_with(&reference(stack.registry_host(), "demo/big:1.0"), &image, &options_with(&recorder, &[]))
        .await
        .expect("push 1 GiB");
    let elapsed = started.elapsed();
    assert_eq!(recorder.last_bytes.lock().unwrap().last().map(|(_, n)| *n), Some(SIZE));
    let peak = peak_rss();
    println!(
        "peak RSS after pushing 1 GiB: {:.1} MiB ({peak} bytes), push took {elapsed:.1?}",
        peak as f64 / 1048576.0
    );
    assert!(peak < 64 << 20, "peak RSS {peak} bytes");
}

// ---------------------------------------------------------------- faults during a push

/// A client of the stack's registry through a plain-HTTP man in the middle.
fn via_mitm(stack: &Stack) -> (Mitm, Registry) {
    let mitm = Mitm::start_plain(stack.registry_url());
    let host = mitm.url().trim_start_matches("http://").to_owned();
    let registry = Registry::builder(&host).build().expect("registry client");
    (mitm, registry)
}

/// Blob upload `PUT`s (`.../blobs/uploads/<session>?digest=...`) the man in the middle saw.
fn blob_puts(mitm: &Mitm) -> Vec<mitm::Seen> {
    mitm.seen().into_iter().filter(|s| s.method == "PUT" && s.path.contains("/blobs/uploads/")).collect()
}

const BLOB_PUT: Target = Target::Request("PUT", "/blobs/uploads/");

#[tokio::test]
async fn a_503_during_a_blob_upload_is_retried_and_the_push_completes() {
    let Some(stack) = stack() else { return };
    let (mitm, registry) = via_mitm(&stack);
    let image = small_image("retry-503");
    let tagged = reference(mitm.url().trim_start_matches("http://"), "faults/app:1.0");
    mitm.times(1, BLOB_PUT, MitmAnswer::Status(503));
    let pushed = registry.push(&tagged, &image).await.expect("the retry completes the push");
    assert_eq!(pushed.digest, image.top().digest);
    let puts = blob_puts(&mitm);
    assert_eq!(puts.len(), image.blobs().count() + 1, "one failed and one upload per blob: {puts:?}");
    let remote = registry.manifest(&tagged).await.expect("manifest");
    assert_eq!(&*remote.bytes, &*image.top().bytes);
}

#[tokio::test]
async fn a_blob_upload_that_landed_but_whose_answer_was_lost_is_not_uploaded_again() {
    let Some(stack) = stack() else { return };
    let (mitm, registry) = via_mitm(&stack);
    let image = small_image("retry-reset");
    let tagged = reference(mitm.url().trim_start_matches("http://"), "faults/app:1.0");
    mitm.times(1, BLOB_PUT, MitmAnswer::ForwardThenReset);
    let recorder = Arc::new(Recorder::default());
    registry.push_with(&tagged, &image, &options_with(&recorder, &[])).await.expect("the retry completes the push");
    // The retry's HEAD finds the blob the lost answer was about.
    let puts = blob_puts(&mitm);
    assert_eq!(puts.len(), image.blobs().count(), "every blob uploaded exactly once: {puts:?}");
    let outcomes = recorder.outcomes.lock().unwrap().clone();
    assert_eq!(outcomes.iter().filter(|(_, o)| *o == BlobOutcome::Existed).count(), 1, "{outcomes:?}");
    assert_eq!(registry.manifest(&tagged).await.expect("manifest").digest, image.top().digest);
}

#[tokio::test]
async fn blob_uploads_give_up_after_bounded_retries_and_push_no_manifest() {
    let Some(stack) = stack() else { return };
    let (mitm, registry) = via_mitm(&stack);
    let image = small_image("retry-give-up");
    let tagged = reference(mitm.url().trim_start_matches("http://"), "faults/app:1.0");
    mitm.always(BLOB_PUT, MitmAnswer::Status(503));
    let e = registry.push(&tagged, &image).await.expect_err("every upload fails");
    assert_eq!(e.status(), Some(503), "{e:?}");
    assert_eq!(blob_puts(&mitm).len(), PUSH_ATTEMPTS as usize, "the first blob's attempts, then the push stops");
    assert!(!mitm.seen().iter().any(|s| s.method == "PUT" && s.path.contains("/manifests/")), "no manifest was pushed");
}

#[tokio::test]
async fn a_push_to_a_registry_that_is_down_fails_naming_the_registry() {
    let Some(stack) = stack() else { return };
    let registry = registry(&stack);
    stack.kill("registry");
    let e = registry
        .push(&reference(stack.registry_host(), "faults/app:1.0"), &small_image("down"))
        .await
        .expect_err("nothing to push to");
    assert!(matches!(e, RegistryError::Network { .. }), "{e:?}");
    assert!(e.to_string().contains(stack.registry_host()), "{e}");
}
