//! Secrets never leave the places they belong (issue 7, item 4): a full sign and publish at
//! TRACE logging — every crate's `tracing` and `log` output captured — and the errors and
//! `Debug` output of the secret-holding types never show a passphrase, a private key's secret
//! bytes in any usual encoding, a key file's contents or the registry/notary credentials; and
//! the types that hold secrets zeroize them on drop (checked at compile time).
//!
//! [`assert_no_secret`] is the one scanner; [`Secrets`] lists every form each secret is looked
//! for in (hex, base64 at every byte alignment, `Debug` byte lists, PEM lines...).

#[allow(dead_code)] // docker_config only
#[path = "support/docker_cli.rs"]
mod docker_cli;
#[path = "support/notary_cli.rs"]
mod notary_cli;
#[path = "support/oci_image.rs"]
mod oci_image;
#[path = "support/publish.rs"]
mod publish;
#[path = "support/stack.rs"]
mod stack;

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use notary_client::docker::{
    self, CredentialsError, DockerConfig, DockerEnvPassphrase, DockerTrust, ImageReference, PushSignError, SignOptions,
    TRUST_SERVER_VARIABLE, TrustServer,
};
use notary_client::key_file::{KeyFile, KeyFileError, decode_public_key};
use notary_client::keys::{PrivateKey, Signer, SoftwareKey};
use notary_client::metadata::{FileMeta, Gun, KeyId, KeyType, RoleName};
use notary_client::passphrase::{
    FixedPassphrase, NotaryEnvPassphrase, Passphrase, PassphraseCallback, PassphraseRequest, PassphraseRetriever,
};
use notary_client::registry::{Image, Registry};
use notary_client::repository::{Change, InitOptions, PublishError};
use notary_client::server::NotaryServer;
use notary_client::server::auth::Credentials;
use notary_client::trust_dir::{KeyStore, StoreSigner, TrustDir};
use tracing_subscriber::fmt::MakeWriter;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use stack::Stack;

// ---------------------------------------------------------------------------------------------
// The scanner

/// Shorter needles would match by chance (every form of every secret here is far longer).
const MIN_NEEDLE: usize = 12;

/// Every form in which the secrets of one test must never appear: `(label, needle)`.
#[derive(Default)]
struct Secrets {
    needles: Vec<(String, String)>,
}

impl Secrets {
    fn push(&mut self, what: &str, form: &str, needle: String) {
        if needle.len() >= MIN_NEEDLE && !self.needles.iter().any(|(_, n)| *n == needle) {
            self.needles.push((format!("{what} ({form})"), needle));
        }
    }

    /// A text secret (passphrase, password, token) as is, and its bytes in every encoding.
    fn text(&mut self, what: &str, text: &str) {
        self.push(what, "as is", text.to_owned());
        self.raw(what, text.as_bytes());
    }

    /// A secret value itself (not an encoding of it): as [`Secrets::bytes`], and the start of its
    /// `Debug` byte list too (a truncated print).
    fn raw(&mut self, what: &str, bytes: &[u8]) {
        self.bytes(what, bytes);
        self.push(what, "Debug byte list prefix", format!("{:?}", &bytes[..bytes.len().min(12)]).replace(']', ""));
    }

    /// Secret bytes: hex (both cases), base64 (standard and URL-safe) at each of the three byte
    /// alignments it could have inside a larger encoded blob, and a `Debug` byte list.
    fn bytes(&mut self, what: &str, bytes: &[u8]) {
        self.push(what, "hex", hex::encode(bytes));
        self.push(what, "HEX", hex::encode_upper(bytes));
        for skip in 0..3.min(bytes.len()) {
            let rest = &bytes[skip..];
            let whole = &rest[..rest.len() / 3 * 3];
            self.push(what, &format!("base64 from byte {skip}"), STANDARD.encode(whole));
            self.push(what, &format!("base64url from byte {skip}"), URL_SAFE_NO_PAD.encode(whole));
        }
        self.push(what, "Debug byte list", format!("{bytes:?}"));
    }

    /// A private key: its raw secret (the P-256 scalar, the Ed25519 seed, the RSA key's DER),
    /// notary's in-memory DER, its PKCS#8 DER and the body lines of its unencrypted PEM.
    fn private_key(&mut self, what: &str, key: &PrivateKey) {
        let go_der = key.to_go_der();
        match key.key_type() {
            KeyType::Ecdsa => {
                // SEC1: SEQUENCE { INTEGER 1, OCTET STRING (32) scalar, ... }.
                assert_eq!(&go_der[5..7], &[0x04, 0x20], "{what}: SEC1 layout");
                self.raw(&format!("{what} P-256 scalar"), &go_der[7..39]);
            }
            KeyType::Ed25519 => self.raw(&format!("{what} Ed25519 seed"), &go_der[32..64]),
            _ => {}
        }
        self.bytes(&format!("{what} in-memory DER"), &go_der);
        self.bytes(&format!("{what} PKCS#8 DER"), &key.to_notary_pkcs8());
        let pem = KeyFile::encode(key, "x", None, &Passphrase::empty()).expect("encode unencrypted");
        self.pem_lines(&format!("{what} decrypted PEM"), &pem);
    }

    /// The base64 body lines of a PEM file.
    fn pem_lines(&mut self, what: &str, pem: &[u8]) {
        let text = std::str::from_utf8(pem).expect("PEM is ASCII");
        for (n, line) in text.lines().enumerate() {
            if !line.starts_with("-----") && !line.contains(':') {
                self.push(what, &format!("PEM line {n}"), line.to_owned());
            }
        }
    }

    /// A key file: its own PEM lines and, decrypted with one of `passphrases`, its key.
    fn key_file(&mut self, path: &Path, passphrases: &[&str]) {
        let what = format!("key file {}", path.file_name().unwrap_or_default().to_string_lossy());
        let bytes = Zeroizing::new(std::fs::read(path).expect("read a key file"));
        self.pem_lines(&format!("{what} as stored"), &bytes);
        let file = KeyFile::parse(&bytes).expect("a key file");
        let key = if file.is_encrypted() {
            passphrases
                .iter()
                .find_map(|p| file.decrypt(Some(&Passphrase::new(*p))).ok())
                .unwrap_or_else(|| panic!("{what}: none of the test's passphrases opens it"))
        } else {
            file.decrypt(None).expect("an unencrypted key")
        };
        self.private_key(&what, &key);
    }

    /// Every `*.key` file below `dir`, recursively.
    fn key_files_below(&mut self, dir: &Path, passphrases: &[&str]) -> usize {
        let mut found = 0;
        let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
        for entry in entries {
            let path = entry.expect("list a directory").path();
            if path.is_dir() {
                found += self.key_files_below(&path, passphrases);
            } else if path.extension().is_some_and(|e| e == "key") {
                self.key_file(&path, passphrases);
                found += 1;
            }
        }
        found
    }

    /// Registry/notary credentials: the password and the HTTP Basic value `base64(user:password)`.
    fn login(&mut self, user: &str, password: &str) {
        self.text("registry password", password);
        self.push("HTTP Basic credentials", "base64", STANDARD.encode(format!("{user}:{password}")));
    }
}

/// Fails if `haystack` contains any form of any secret, naming the secret, the form and where
/// (the needle itself is not repeated).
#[track_caller]
fn assert_no_secret(haystack: &str, secrets: &Secrets, what: &str) {
    assert!(!secrets.needles.is_empty(), "no secrets to look for in {what}");
    if let Some(found) = find_secret(haystack, secrets) {
        panic!("{what} shows the secret {found}");
    }
}

/// The first secret `haystack` shows: which one, in which form, where and after what.
fn find_secret(haystack: &str, secrets: &Secrets) -> Option<String> {
    secrets.needles.iter().find_map(|(label, needle)| {
        let at = haystack.find(needle.as_str())?;
        let mut start = at.saturating_sub(120);
        while !haystack.is_char_boundary(start) {
            start -= 1;
        }
        Some(format!("{label} at byte {at}, after: …{}⟦SECRET⟧", &haystack[start..at].replace('\n', "⏎")))
    })
}

/// `Display`, `Debug` and pretty `Debug` of an error and the `Display` of every source.
fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = format!("{e}\n{e:?}\n{e:#?}\n");
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!("caused by: {s}\n{s:?}\n"));
        source = s.source();
    }
    text
}

/// `Debug` and pretty `Debug`.
fn debug_text(value: &dyn Debug) -> String {
    format!("{value:?}\n{value:#?}\n")
}

// ---------------------------------------------------------------------------------------------
// Log capture

/// Everything every crate logs (through `tracing`, and `log` through tracing's bridge) at any
/// level, in one buffer for the whole test binary.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

/// Installs (once) the process-wide subscriber: `trace` for every target, span events with
/// their fields, no colours; returns the buffer. Every test calls it first, so that whatever
/// runs concurrently in this binary is captured (and scanned) too.
fn capture_logs() -> Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_ansi(false)
            .with_target(true)
            .with_writer(logs.clone())
            // Also installs the `log` → `tracing` bridge (reqwest, rustls... log through `log`).
            .try_init()
            .expect("the only subscriber of this test binary");
        logs
    })
    .clone()
}

// ---------------------------------------------------------------------------------------------
// Setting up parties

/// 16 random bytes in hex, so that every secret of a test is unique and unmistakable.
fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("random");
    hex::encode(bytes)
}

/// A test's passphrases and registry account.
struct Identity {
    root_pass: String,
    repo_pass: String,
    user: String,
    password: String,
}

impl Identity {
    fn new() -> Identity {
        Identity {
            root_pass: format!("root-pass-{}", random_hex()),
            repo_pass: format!("repo-pass-{}", random_hex()),
            user: "secrets-bot".to_owned(),
            password: format!("registry-pw-{}", random_hex()),
        }
    }

    /// Docker's passphrase variables with this identity's values.
    fn passphrases(&self) -> DockerEnvPassphrase {
        let (root, repo) = (self.root_pass.clone(), self.repo_pass.clone());
        DockerEnvPassphrase::from_lookup(move |var| match var {
            DockerEnvPassphrase::ROOT => Some(root.clone()),
            DockerEnvPassphrase::REPOSITORY => Some(repo.clone()),
            _ => None,
        })
    }

    /// The secrets of this identity (not yet its key files).
    fn secrets(&self) -> Secrets {
        let mut s = Secrets::default();
        s.text("root passphrase", &self.root_pass);
        s.text("repository passphrase", &self.repo_pass);
        s.login(&self.user, &self.password);
        s
    }
}

/// What `docker login HOST` writes: `auths.HOST.auth`.
fn write_login(config: &Path, registry: &str, user: &str, password: &str) {
    let auth = STANDARD.encode(format!("{user}:{password}"));
    let json = serde_json::json!({ "auths": { registry: { "auth": auth } } });
    std::fs::write(config.join("config.json"), serde_json::to_vec_pretty(&json).expect("json")).expect("config.json");
}

/// Docker's settings: config dir `config` (its `config.json`), `DOCKER_CONTENT_TRUST_SERVER`
/// = `notary_url`, passphrases from `retriever`.
fn docker_trust(config: &Path, notary_url: &str, retriever: impl PassphraseRetriever + 'static) -> DockerTrust {
    let url = notary_url.to_owned();
    let server = TrustServer::from_lookup(move |var| (var == TRUST_SERVER_VARIABLE).then(|| url.clone()));
    DockerTrust::new(config, DockerConfig::load(config).expect("config.json"), server).with_passphrases(retriever)
}

/// Copies a key file as `docker trust key load` expects it (mode 0600).
fn export_key(from: &Path, to: &Path) {
    std::fs::copy(from, to).expect("copy the key file");
    #[cfg(unix)]
    std::fs::set_permissions(to, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod 0600");
}

/// The DCT pipeline on a stack with token auth on registry and notary-server: an admin
/// initialises the repository and adds the signer `ci`, whose key file (encrypted with the
/// repository passphrase) the CI job loads into its own trust directory; the CI job pushes an
/// OCI layout and signs the tag into `targets/releases`.
struct Flow {
    stack: Stack,
    id: Identity,
    reference: ImageReference,
    admin: tempfile::TempDir,
    ci: tempfile::TempDir,
    exported: tempfile::TempDir,
    /// The first characters of every token this stack's token service issues (the JWT header
    /// with the issuer's certificate): no token may show up anywhere.
    token_prefix: String,
}

impl Flow {
    /// Starts the stack and the parties' configurations (`None`: skipped, see
    /// [`notary_cli::require_notary`]).
    async fn start(name: &str) -> Option<Flow> {
        if !notary_cli::require_notary() {
            return None;
        }
        let id = Identity::new();
        let basic = format!("{}:{}", id.user, id.password);
        let stack = Stack::up_with(&[("AUTH", "token"), ("TOKEN_BASIC", &basic)]);
        let reference =
            ImageReference::parse(&format!("{}/team/{name}:1.0", stack.registry_host())).expect("reference");
        let (admin, ci) = (docker_cli::docker_config(&stack), docker_cli::docker_config(&stack));
        for config in [&admin, &ci] {
            write_login(config.path(), stack.registry_host(), &id.user, &id.password);
        }
        let token_prefix = token_prefix(&stack, &id).await;
        Some(Flow { stack, id, reference, admin, ci, exported: publish::tempdir(), token_prefix })
    }

    fn admin_trust(&self) -> DockerTrust {
        docker_trust(self.admin.path(), self.stack.notary_url(), self.id.passphrases())
    }

    fn ci_trust(&self) -> DockerTrust {
        docker_trust(self.ci.path(), self.stack.notary_url(), self.id.passphrases())
    }

    /// Admin: init + publish, generate the `ci` key, add the signer, export the key file.
    /// CI job: load the key file, push and sign `1.0`, sign `1.1` by digest; then checks that
    /// both are in `targets/releases`.
    async fn sign_and_publish(&self) {
        let admin = self.admin_trust();
        let repo = admin.repository(&self.reference).expect("admin repository");
        repo.init(&InitOptions::default()).await.expect("init");
        repo.publish(&[]).await.expect("publish root and targets");
        let (ci_key, pub_path) =
            docker::generate_signer_key(&admin.trust_dir(), "ci", self.exported.path(), &self.id.passphrases())
                .expect("trust key generate ci");
        let public = decode_public_key(&std::fs::read(&pub_path).expect("ci.pub")).expect("public key");
        docker::add_signer(&repo, "ci", &[public]).await.expect("trust signer add ci");
        let exported = self.exported.path().join("ci.key");
        export_key(&admin.trust_dir().keys().dir().join(format!("{ci_key}.key")), &exported);

        let ci = self.ci_trust();
        docker::load_signer_key(&ci.trust_dir(), "ci", &exported, &self.id.passphrases())
            .expect("trust key load --name ci");
        let layout = publish::tempdir();
        oci_image::write_oci_layout(layout.path(), "1.0", &[("linux", "amd64")]);
        let image = Image::from_oci_layout(layout.path(), None).expect("layout");
        let signed =
            docker::push_and_sign(&ci, &self.reference, &image, &SignOptions::default()).await.expect("push and sign");
        assert_eq!(signed.roles, vec![role("targets/ci"), RoleName::releases()]);
        let ci_repo = ci.repository(&self.reference).expect("ci repository");
        docker::sign_tag(&ci_repo, "1.1", [0x11; 32], 1234).await.expect("trust sign 1.1");

        let trusted = ci_repo.update().await.expect("update");
        for tag in ["1.0", "1.1"] {
            let entry = docker::signed_digest(&trusted, tag).unwrap_or_else(|| panic!("{tag} is signed"));
            assert_eq!(entry.role, RoleName::releases(), "{tag}");
        }
    }

    /// Every secret of the flow: passphrases, credentials, tokens and every key file the
    /// parties hold (the admin's root, targets and `ci` keys, the CI job's `ci` key, the
    /// exported file).
    fn secrets(&self) -> Secrets {
        let mut s = self.id.secrets();
        s.push("bearer token", "prefix", self.token_prefix.clone());
        let passes = [self.id.root_pass.as_str(), self.id.repo_pass.as_str()];
        let files = s.key_files_below(self.admin.path(), &passes)
            + s.key_files_below(self.ci.path(), &passes)
            + s.key_files_below(self.exported.path(), &passes);
        assert!(files >= 5, "root, targets and ci (admin), ci (CI job), ci (exported): {files} key files");
        s
    }
}

/// The first 48 characters of a token from the stack's token service: its JWT header, the
/// same in every token it issues.
async fn token_prefix(stack: &Stack, id: &Identity) -> String {
    let url = stack.var("TOKEN_URL").expect("a token-auth stack has TOKEN_URL");
    // reqwest is built without a default crypto provider (see tests/support/pipeline.rs).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut prefixes = Vec::new();
    for (service, scope) in [("probe", "repository:probe:pull"), ("other", "repository:other/x:push,pull")] {
        let response = reqwest::Client::new()
            .get(url)
            .query(&[("service", service), ("scope", scope)])
            .basic_auth(&id.user, Some(&id.password))
            .send()
            .await
            .expect("GET a token");
        let body: serde_json::Value = response.json().await.expect("token JSON");
        let token = body["token"].as_str().expect("token");
        assert!(token.len() > 100, "a JWT");
        prefixes.push(token[..48].to_owned());
    }
    assert_eq!(prefixes[0], prefixes[1], "every token of the issuer starts the same");
    prefixes.remove(0)
}

fn role(name: &str) -> RoleName {
    RoleName::new(name).expect("role")
}

/// A trust directory and Docker settings set up without any server (nothing connects): a
/// root key, a targets key, the signer key `ci` (docker's `trust key generate`), an Ed25519
/// key and an unencrypted key, and a `docker login` for `localhost:5000`.
struct Offline {
    id: Identity,
    config: tempfile::TempDir,
    reference: ImageReference,
    ci_key: KeyId,
}

impl Offline {
    fn new() -> Offline {
        let id = Identity::new();
        let config = publish::tempdir();
        write_login(config.path(), "localhost:5000", &id.user, &id.password);
        let reference = ImageReference::parse("localhost:5000/team/offline:1.0").expect("reference");
        let trust = TrustDir::new(config.path().join("trust"));
        let pass = id.passphrases();
        trust.keys().generate("root", None, &pass).expect("root key");
        trust.keys().generate("targets", Some(&reference.gun()), &pass).expect("targets key");
        let ed = PrivateKey::generate_ed25519().expect("ed25519");
        trust.keys().add(&ed, "ed", None, &pass).expect("ed25519 key");
        let plain = PrivateKey::generate_p256().expect("p256");
        trust.keys().add(&plain, "plain", None, &FixedPassphrase::new("")).expect("unencrypted key");
        let (ci_key, _) = docker::generate_signer_key(&trust, "ci", config.path(), &pass).expect("ci key");
        Offline { id, config, reference, ci_key }
    }

    fn trust(&self) -> DockerTrust {
        docker_trust(self.config.path(), "https://127.0.0.1:9", self.id.passphrases())
    }

    fn ci_key_file(&self) -> PathBuf {
        self.trust().trust_dir().keys().dir().join(format!("{}.key", self.ci_key))
    }

    fn secrets(&self) -> Secrets {
        let mut s = self.id.secrets();
        let files = s.key_files_below(self.config.path(), &[self.id.root_pass.as_str(), self.id.repo_pass.as_str()]);
        assert_eq!(files, 5, "root, targets, ed, plain, ci");
        s
    }
}

// ---------------------------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "current_thread")]
async fn a_full_sign_and_publish_with_token_auth_logs_no_secret_at_trace() {
    let logs = capture_logs();
    let Some(flow) = Flow::start("tracelogs").await else { return };

    flow.sign_and_publish().await;

    let text = logs.text();
    // The capture works: our events and spans, oci-client's, hyper-util's (through tracing) and
    // reqwest's (through `log` and the bridge) at TRACE. (rustls is built without its `logging`
    // feature: it logs nothing.)
    for expected in [" TRACE ", "notary_client::", "registry_push{", "oci_client::", "hyper_util::", "reqwest::"] {
        assert!(text.contains(expected), "the captured logs have no {expected:?}: the capture does not work");
    }
    assert_no_secret(&text, &flow.secrets(), "the TRACE logs of a full sign and publish");
}

#[tokio::test(flavor = "current_thread")]
async fn refused_pushes_signatures_and_publishes_show_no_secret() {
    let logs = capture_logs();
    let Some(flow) = Flow::start("refusals").await else { return };
    flow.sign_and_publish().await;
    let mut secrets = flow.secrets();
    let wrong_pass = format!("wrong-pass-{}", random_hex());
    let wrong_password = format!("wrong-pw-{}", random_hex());
    secrets.text("wrong passphrase", &wrong_pass);
    secrets.text("wrong password", &wrong_password);
    let layout = publish::tempdir();
    oci_image::write_oci_layout(layout.path(), "2.0", &[("linux", "amd64")]);
    let image = Image::from_oci_layout(layout.path(), None).expect("layout");
    let reference = ImageReference::parse(&format!("{}/team/refusals:2.0", flow.stack.registry_host())).expect("ref");
    let mut texts = Vec::new();

    // The CI job's passphrase is wrong.
    let wrong = docker_trust(flow.ci.path(), flow.stack.notary_url(), FixedPassphrase::new(wrong_pass.as_str()));
    let err = docker::push_and_sign(&wrong, &reference, &image, &SignOptions::default()).await.unwrap_err();
    assert!(matches!(err, PushSignError::Sign(_)) && err.to_string().contains("passphrase"), "{err}");
    texts.push(("a wrong passphrase", error_text(&err)));

    // The CI job's login password is wrong: the token service refuses it.
    let bad_login = docker_cli::docker_config(&flow.stack);
    copy_dir(&flow.ci.path().join("trust"), &bad_login.path().join("trust"));
    write_login(bad_login.path(), flow.stack.registry_host(), &flow.id.user, &wrong_password);
    let bad = docker_trust(bad_login.path(), flow.stack.notary_url(), flow.id.passphrases());
    let err = docker::push_and_sign(&bad, &reference, &image, &SignOptions::default()).await.unwrap_err();
    texts.push(("a wrong password (push and sign)", error_text(&err)));
    let err = bad.registry(&reference).expect("registry").push(&reference, &image).await.unwrap_err();
    texts.push(("a wrong password (registry push)", error_text(&err)));

    // A job without the key.
    let keyless = docker_cli::docker_config(&flow.stack);
    write_login(keyless.path(), flow.stack.registry_host(), &flow.id.user, &flow.id.password);
    let keyless = docker_trust(keyless.path(), flow.stack.notary_url(), flow.id.passphrases());
    let err = docker::push_and_sign(&keyless, &reference, &image, &SignOptions::default()).await.unwrap_err();
    texts.push(("a job without the key", error_text(&err)));

    // The CI job publishes into `targets`, whose key it does not hold.
    let ci_repo = flow.ci_trust().repository(&reference).expect("ci repository");
    let change = Change::add_target(RoleName::targets(), "2.0", FileMeta::sha256_only([0x22; 32], 10));
    let err = ci_repo.publish(&[change]).await.unwrap_err();
    assert!(matches!(err, PublishError::NoSigningKey { .. } | PublishError::NoSignableRole { .. }), "{err}");
    texts.push(("a publish without the role's key", error_text(&err)));

    for (what, text) in &texts {
        assert_no_secret(text, &secrets, &format!("the error of {what}"));
    }
    assert_no_secret(&logs.text(), &secrets, "the TRACE logs of refused pushes and publishes");
}

/// Copies the files of `from` into `to`, recursively, keeping their permissions.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a directory");
    for entry in std::fs::read_dir(from).expect("list a directory") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy a file");
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn errors_of_wrong_passphrases_missing_keys_and_bad_files_show_no_secret() {
    let logs = capture_logs();
    let o = Offline::new();
    let mut secrets = o.secrets();
    let wrong_pass = format!("wrong-pass-{}", random_hex());
    secrets.text("wrong passphrase", &wrong_pass);
    let wrong = FixedPassphrase::new(wrong_pass.as_str());
    let keys = o.trust().trust_dir().keys();
    let key_bytes = std::fs::read(o.ci_key_file()).expect("ci key file");
    let mut errors: Vec<(&str, Box<dyn std::error::Error>)> = Vec::new();

    errors.push(("KeyStore::load, wrong passphrase", Box::new(keys.load(&o.ci_key, &wrong).unwrap_err())));
    let file = KeyFile::parse(&key_bytes).expect("key file");
    errors.push((
        "KeyFile::decrypt, wrong passphrase",
        Box::new(file.decrypt(Some(&Passphrase::new(&*wrong_pass))).unwrap_err()),
    ));
    errors.push(("KeyFile::decrypt, no passphrase", Box::new(file.decrypt(None).unwrap_err())));
    let public = keys.load(&o.ci_key, &o.id.passphrases()).expect("ci key").bare_public_key();
    let locked = keys.signer(&public, Arc::new(wrong.clone())).expect("signer");
    errors.push(("StoreSigner::sign, wrong passphrase", Box::new(locked.sign(b"message").await.unwrap_err())));
    let other = publish::tempdir();
    let imported = other.path().join("ci.key");
    export_key(&o.ci_key_file(), &imported);
    let load = docker::load_signer_key(&TrustDir::new(other.path().join("trust")), "ci", &imported, &wrong);
    errors.push(("load_signer_key, wrong passphrase", Box::new(load.unwrap_err())));
    let no_root = DockerEnvPassphrase::from_lookup(|_| None);
    errors.push((
        "DockerEnvPassphrase, unset",
        Box::new(no_root.passphrase(&PassphraseRequest::unlock(o.ci_key.as_str(), "root")).unwrap_err()),
    ));

    // Missing keys.
    let absent = KeyId::new("ab".repeat(32)).expect("key ID");
    errors.push(("KeyStore::load, missing key", Box::new(keys.load(&absent, &o.id.passphrases()).unwrap_err())));
    let stranger = SoftwareKey::generate_p256().expect("key").bare_public_key();
    errors.push((
        "KeyStore::signer, missing key",
        Box::new(keys.signer(&stranger, Arc::new(o.id.passphrases())).unwrap_err()),
    ));

    // Damaged key files: a flipped byte in the encrypted body, in an unencrypted body.
    for (name, passphrase) in [("ci", Some(Passphrase::new(&*o.id.repo_pass))), ("plain", None)] {
        let path = find_key_with_role(&keys, name);
        let mut damaged = std::fs::read(&path).expect("key file");
        damage_body(&mut damaged);
        let err = KeyFile::parse(&damaged).and_then(|f| f.decrypt(passphrase.as_ref())).unwrap_err();
        errors
            .push((if name == "ci" { "a damaged encrypted key" } else { "a damaged unencrypted key" }, Box::new(err)));
    }

    // Docker configurations that hold the password but are broken.
    let password = &o.id.password;
    let json = format!(r#"{{"auths": {{"h": {{"username": "u", "password": "{password}", }}}}}}"#);
    errors.push(("a malformed config.json", Box::new(DockerConfig::from_json(json.as_bytes()).unwrap_err())));
    let auth = STANDARD.encode(format!("no-colon-{password}"));
    let json = format!(r#"{{"auths": {{"h": {{"auth": "{auth}"}}}}}}"#);
    errors.push(("an auth without a colon", Box::new(DockerConfig::from_json(json.as_bytes()).unwrap_err())));

    for (what, err) in &errors {
        assert_no_secret(&error_text(err.as_ref()), &secrets, &format!("the error of {what}"));
    }
    assert_no_secret(&logs.text(), &secrets, "the TRACE logs of failed unlocks");
}

#[test]
fn errors_and_debug_output_of_urls_and_credential_helpers_holding_a_password_show_no_secret() {
    let logs = capture_logs();
    let id = Identity::new();
    let mut secrets = id.secrets();
    // A password typed into a URL, also with the `/`, `?` or `#` a URL cannot hold unencoded.
    let odd = [format!("pw/{}", random_hex()), format!("pw?{}", random_hex()), format!("pw#{}", random_hex())];
    for password in &odd {
        secrets.text("a password with a URL delimiter", password);
    }
    let reference = ImageReference::parse("localhost:5000/team/urls:1.0").expect("reference");
    let mut texts = Vec::new();
    for password in odd.iter().chain([&id.password]) {
        for scheme in ["https", "http"] {
            let url = format!("{scheme}://{}:{password}@notary.example.com/prefix", id.user);
            let builder = NotaryServer::builder(&url);
            texts.push((format!("the Debug output of NotaryServerBuilder for {scheme}"), debug_text(&builder)));
            let err = builder.build().unwrap_err();
            texts.push((format!("the error of NotaryServerBuilder::build for {scheme}"), error_text(&err)));
            let registry = Registry::builder(&url);
            texts.push((format!("the Debug output of RegistryBuilder for {scheme}"), debug_text(&registry)));
            match registry.build() {
                Ok(registry) => {
                    texts.push((format!("the Debug output of Registry for {scheme}"), debug_text(&registry)))
                }
                Err(e) => texts.push((format!("the error of RegistryBuilder::build for {scheme}"), error_text(&e))),
            }
            let server = TrustServer::from_lookup(move |_| Some(url.clone()));
            let err = server.url_for(&reference).unwrap_err();
            texts.push((format!("the error of DOCKER_CONTENT_TRUST_SERVER for {scheme}"), error_text(&err)));
        }
    }
    #[cfg(unix)]
    {
        // A credential helper whose answer is cut short, and one that succeeds.
        let helpers = publish::tempdir();
        let script = |name: &str, answer: &str| {
            let path = helpers.path().join(format!("docker-credential-{name}"));
            std::fs::write(&path, format!("#!/bin/sh\ncat >/dev/null\nprintf '%s' '{answer}'\n")).expect("script");
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o700)).expect("chmod");
        };
        script("cut", &format!(r#"{{"Username":"{}","Secret":"{}""#, id.user, id.password));
        script(
            "good",
            &format!(r#"{{"ServerURL":"localhost:5000","Username":"{}","Secret":"{}"}}"#, id.user, id.password),
        );
        for helper in ["cut", "good"] {
            let runner = notary_client::docker::CredentialHelperRunner::new().with_helper_dirs([helpers.path()]);
            let config = DockerConfig::from_json(format!(r#"{{"credsStore": "{helper}"}}"#).as_bytes())
                .expect("config")
                .with_helper_runner(runner);
            texts.push((format!("the Debug output of a DockerConfig with helper {helper}"), debug_text(&config)));
            let answer = config.credentials_for("localhost:5000");
            if helper == "good" {
                let credentials = answer.expect("the helper's answer");
                assert!(matches!(credentials, Credentials::Basic { .. }), "{credentials:?}");
                texts.push(("the Debug output of a helper's credentials".to_owned(), debug_text(&credentials)));
            } else {
                let err = answer.unwrap_err();
                assert!(matches!(err, CredentialsError::HelperBadOutput { .. }), "{err}");
                texts.push(("the error of a helper's cut answer".to_owned(), error_text(&err)));
            }
        }
    }
    for (what, text) in &texts {
        assert_no_secret(text, &secrets, what);
    }
    assert_no_secret(&logs.text(), &secrets, "the TRACE logs of URL and helper errors");
}

/// Flips one base64 character of a PEM body, near its end (in the ciphertext of an encrypted
/// file, in the public key of an unencrypted one).
fn damage_body(pem: &mut [u8]) {
    let end = pem.windows(8).position(|w| w == b"-----END").expect("an END line");
    let mut at = end - 20;
    while !pem[at].is_ascii_alphanumeric() {
        at -= 1;
    }
    pem[at] = if pem[at] == b'A' { b'B' } else { b'A' };
}

fn find_key_with_role(keys: &KeyStore, role: &str) -> PathBuf {
    let listing = keys.list().expect("list keys");
    listing.keys.into_iter().find(|k| k.role.as_deref() == Some(role)).map(|k| k.path).expect("a key with that role")
}

#[tokio::test(flavor = "current_thread")]
async fn debug_output_of_keys_keyrings_repositories_passphrases_and_credentials_shows_no_secret() {
    let logs = capture_logs();
    let o = Offline::new();
    let secrets = o.secrets();
    let trust = o.trust();
    let keys = trust.trust_dir().keys();
    let pass = o.id.passphrases();
    let mut shown: Vec<(&str, String)> = Vec::new();

    // Keys, decrypted and unlocked.
    let file = KeyFile::parse(&std::fs::read(o.ci_key_file()).expect("key file")).expect("key file");
    shown.push(("KeyFile", debug_text(&file)));
    let private = file.decrypt(Some(&Passphrase::new(&*o.id.repo_pass))).expect("decrypt");
    shown.push(("PrivateKey", debug_text(&private)));
    let plain = KeyFile::parse(&std::fs::read(find_key_with_role(&keys, "plain")).expect("read")).expect("parse");
    shown.push(("KeyFile (unencrypted)", debug_text(&plain)));
    let software = keys.load(&o.ci_key, &pass).expect("load");
    shown.push(("SoftwareKey", debug_text(&software)));
    shown.push(("SoftwareKey::private_key", debug_text(software.private_key())));
    let signer: StoreSigner = keys.signer(&software.bare_public_key(), Arc::new(o.id.passphrases())).expect("signer");
    signer.sign(b"unlock me").await.expect("sign");
    shown.push(("StoreSigner (unlocked)", debug_text(&signer)));
    shown.push(("KeyStore", debug_text(&keys)));
    shown.push(("KeyListing", debug_text(&keys.list().expect("list"))));
    shown.push(("TrustDir", debug_text(&trust.trust_dir())));

    // Keyrings and repositories whose signers have signed.
    let keyring = trust.keyring();
    let ring_signer = keyring.signer_for(&software.bare_public_key()).expect("the keyring holds ci");
    ring_signer.sign(b"unlock me too").await.expect("sign");
    keyring.add_signer(Arc::new(SoftwareKey::generate_p256().expect("key")));
    shown.push(("Keyring", debug_text(&keyring)));
    let repo = trust.repository(&o.reference).expect("repository").with_keys(keyring.clone());
    shown.push(("Repository", debug_text(&repo)));

    // Passphrases and retrievers.
    let repo_pass = o.id.repo_pass.clone();
    shown.push(("Passphrase", debug_text(&Passphrase::new(&*o.id.repo_pass))));
    shown.push(("FixedPassphrase", debug_text(&FixedPassphrase::new(&*o.id.root_pass))));
    shown.push(("DockerEnvPassphrase", debug_text(&pass)));
    let notary_env = NotaryEnvPassphrase::from_lookup(move |_| Some(repo_pass.clone()));
    shown.push(("NotaryEnvPassphrase", debug_text(&notary_env)));
    let root_pass = o.id.root_pass.clone();
    let callback = PassphraseCallback::new(2, move |_: &PassphraseRequest<'_>| Ok(Passphrase::new(&*root_pass)));
    shown.push(("PassphraseCallback", debug_text(&callback)));

    // Docker's settings, credentials and the clients holding them.
    shown.push(("DockerTrust", debug_text(&trust)));
    let config = DockerConfig::load(o.config.path()).expect("config");
    shown.push(("DockerConfig", debug_text(&config)));
    let basic = config.credentials_for_reference(&o.reference).expect("credentials");
    assert!(matches!(basic, Credentials::Basic { .. }), "the login is found");
    shown.push(("Credentials::Basic", debug_text(&basic)));
    let identity = DockerConfig::from_json(
        format!(r#"{{"auths": {{"localhost:5000": {{"identitytoken": "{}"}}}}}}"#, o.id.password).as_bytes(),
    )
    .expect("config")
    .credentials_for_reference(&o.reference)
    .expect("credentials");
    assert!(matches!(identity, Credentials::IdentityToken { .. }));
    shown.push(("Credentials::IdentityToken", debug_text(&identity)));
    let bearer = Credentials::Bearer(Zeroizing::new(o.id.password.clone()));
    shown.push(("Credentials::Bearer", debug_text(&bearer)));
    shown.push(("NotaryServer", debug_text(&trust.server(&o.reference).expect("server"))));
    let key_pem = KeyFile::encode(&private, "", None, &Passphrase::empty()).expect("PEM");
    let builder = NotaryServer::builder("https://127.0.0.1:9")
        .credentials(basic.clone())
        .client_identity_pem(b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", &key_pem);
    shown.push(("NotaryServerBuilder", debug_text(&builder)));
    shown.push(("Registry", debug_text(&trust.registry(&o.reference).expect("registry"))));
    shown.push(("RegistryBuilder", debug_text(&Registry::builder("localhost:5000").credentials(basic))));

    for (what, text) in &shown {
        assert_no_secret(text, &secrets, &format!("the Debug output of {what}"));
    }
    assert_no_secret(&logs.text(), &secrets, "the TRACE logs of unlocking keys");
}

/// `KeyFile::encode`: the key file it returns is zeroized on drop too.
type KeyFileEncode = fn(&PrivateKey, &str, Option<&Gun>, &Passphrase) -> Result<Zeroizing<Vec<u8>>, KeyFileError>;

/// Compile-time: the public types holding secrets wipe them when dropped.
fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}

#[test]
fn the_types_holding_secrets_zeroize_them_on_drop() {
    // Passphrases and the retriever holding one.
    assert_zeroize_on_drop::<Passphrase>();
    assert_zeroize_on_drop::<FixedPassphrase>();
    // Private key material, and a key file's (possibly unencrypted) body.
    assert_zeroize_on_drop::<PrivateKey>();
    assert_zeroize_on_drop::<KeyFile>();
    // Registry and notary credentials, and the Docker configuration they are read from.
    assert_zeroize_on_drop::<Credentials>();
    assert_zeroize_on_drop::<DockerConfig>();
    // The encodings of keys handed out (`to_go_der`, `to_notary_pkcs8`, `KeyFile::encode`).
    assert_zeroize_on_drop::<Zeroizing<Vec<u8>>>();
    let _: fn(&PrivateKey) -> Zeroizing<Vec<u8>> = PrivateKey::to_go_der;
    let _: fn(&PrivateKey) -> Zeroizing<Vec<u8>> = PrivateKey::to_notary_pkcs8;
    let _: KeyFileEncode = KeyFile::encode;
}

#[test]
fn the_scanner_finds_every_form_of_a_secret() {
    let key = PrivateKey::generate_p256().expect("key");
    let go_der = key.to_go_der();
    let scalar = &go_der[7..39];
    let mut secrets = Secrets::default();
    secrets.private_key("key", &key);
    secrets.text("passphrase", "a-passphrase-0123");
    let pem = KeyFile::encode(&key, "x", None, &Passphrase::empty()).expect("PEM");
    let pem = String::from_utf8(pem.to_vec()).expect("ASCII");
    let embedded = |prefix: usize| [vec![0x5a; prefix], scalar.to_vec(), vec![0xa5; 3]].concat();
    let leaks = [
        format!("scalar={}", hex::encode(scalar)),
        format!("SCALAR={}", hex::encode_upper(scalar)),
        format!("blob {}", STANDARD.encode(embedded(1))),
        format!("blob {}", URL_SAFE_NO_PAD.encode(embedded(2))),
        format!("bytes: {:?}", scalar),
        format!("der {}", STANDARD.encode(key.to_notary_pkcs8())),
        format!("line {}", pem.lines().nth(3).expect("a body line")),
        "pass a-passphrase-0123".to_owned(),
        format!("pass {}", hex::encode("a-passphrase-0123")),
        format!("pass {}", STANDARD.encode("x-a-passphrase-0123")),
    ];
    for leak in &leaks {
        assert!(find_secret(leak, &secrets).is_some(), "not found: {leak}");
    }
    assert_no_secret(&format!("{key:?} {}", key.public_key().id()), &secrets, "the key's ID");
}
