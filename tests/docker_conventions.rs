//! Docker conventions end to end: image reference → GUN → notary server → registry
//! credentials, with fake `docker-credential-*` helpers found through an explicit helper
//! directory (the process `PATH` is never changed).

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use notary_client::docker::{CredentialHelperRunner, CredentialsError, DockerConfig, ImageReference, TrustServer};
use notary_client::server::auth::Credentials;

/// Fake helpers, keyed by the `<name>` of `docker-credential-<name>`.
const HELPERS: &[(&str, &str)] = &[
    // Answers only for the server URLs it knows, like a real store; checks stdin carries the key.
    (
        "fake",
        r#"read -r url || true
case "$url" in
  "https://index.docker.io/v1/") printf '{"ServerURL":"%s","Username":"hubuser","Secret":"hub-s3cret"}\n' "$url" ;;
  "localhost:5000") printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-t0ken"}' "$url" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac"#,
    ),
    ("notfound", "echo 'credentials not found in native keychain'\nexit 1"),
    ("garbage", "echo 'this is not json, but hub-s3cret is'"),
    ("empty", "exit 0"),
    ("broken", "echo 'error getting credentials - keychain is locked' >&2\necho 'keychain is locked'\nexit 3"),
    ("hang", "exec sleep 30"),
    // Prints the credentials, then fails: the error must not echo them.
    (
        "leaky",
        r#"printf '{"Username":"u","Secret":"leaked-s3cret"}\n'
echo 'store is read-only' >&2
exit 2"#,
    ),
    ("leaky-silent", r#"printf '{"Username":"u","Secret":"leaked-s3cret"}'; exit 1"#),
    ("chatty", "head -c 2000000 /dev/zero"),
    ("trailing", r#"printf '{"Username":"u","Secret":"p"}\nextra output'"#),
];

/// One directory with every helper, written before any helper runs (so no helper file is
/// still open for writing when a test forks).
fn helper_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, body) in HELPERS {
            let path = dir.path().join(format!("docker-credential-{name}"));
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write helper");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod helper");
        }
        dir
    })
    .path()
}

fn runner() -> CredentialHelperRunner {
    CredentialHelperRunner::new().with_helper_dirs([helper_dir()]).with_timeout(Duration::from_secs(10))
}

fn config_with(json: &str) -> DockerConfig {
    DockerConfig::from_json(json.as_bytes()).expect("config").with_helper_runner(runner())
}

fn reference(s: &str) -> ImageReference {
    ImageReference::parse(s).expect("reference")
}

#[test]
fn reference_to_gun_server_and_credentials() {
    let r = reference("alpine:3.19");
    assert_eq!(r.gun().as_str(), "docker.io/library/alpine");
    assert_eq!(TrustServer::from_lookup(|_| None).url_for(&r).unwrap(), "https://notary.docker.io");
    let creds = config_with(r#"{"credsStore": "fake"}"#).credentials_for_reference(&r).unwrap();
    match creds {
        Credentials::Basic { username, password } => {
            assert_eq!(username, "hubuser");
            assert_eq!(password.as_str(), "hub-s3cret");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn helper_get_found_for_docker_hub_sends_the_index_url() {
    // The fake helper only knows the Hub under https://index.docker.io/v1/.
    for registry in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
        let creds = config_with(r#"{"credsStore": "fake"}"#).credentials_for(registry).unwrap();
        assert_eq!(creds.username(), Some("hubuser"), "{registry}");
    }
}

#[test]
fn helper_identity_token_for_a_private_registry() {
    let r = reference("localhost:5000/team/app:1");
    assert_eq!(TrustServer::from_lookup(|_| None).url_for(&r).unwrap(), "https://localhost:5000");
    let creds = config_with(r#"{"credHelpers": {"localhost:5000": "fake"}}"#).credentials_for_reference(&r).unwrap();
    match creds {
        Credentials::IdentityToken { username, token } => {
            assert_eq!(username, None);
            assert_eq!(token.as_str(), "refresh-t0ken");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn helper_not_found_is_anonymous_and_auths_are_not_consulted() {
    let config = config_with(r#"{"credsStore": "notfound", "auths": {"r.io": {"username": "x", "password": "y"}}}"#);
    assert!(matches!(config.credentials_for("r.io").unwrap(), Credentials::Anonymous));
    // The fake helper also says "not found" for registries it does not know.
    assert!(matches!(
        config_with(r#"{"credsStore": "fake"}"#).credentials_for("ghcr.io").unwrap(),
        Credentials::Anonymous
    ));
}

#[test]
fn registrytoken_in_auths_survives_a_helper_miss() {
    let config = config_with(r#"{"credsStore": "notfound", "auths": {"r.io": {"registrytoken": "bt"}}}"#);
    assert!(matches!(config.credentials_for("r.io").unwrap(), Credentials::Bearer(_)));
}

#[test]
fn cred_helpers_entry_overrides_creds_store() {
    let config = config_with(r#"{"credsStore": "broken", "credHelpers": {"https://index.docker.io/v1/": "fake"}}"#);
    assert_eq!(config.credentials_for("docker.io").unwrap().username(), Some("hubuser"));
    assert!(matches!(config.credentials_for("r.io"), Err(CredentialsError::HelperFailed { .. })));
}

#[test]
fn helper_garbage_output_is_an_error_without_the_output() {
    let err = config_with(r#"{"credsStore": "garbage"}"#).credentials_for("docker.io").unwrap_err();
    assert!(matches!(err, CredentialsError::HelperBadOutput { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("docker-credential-garbage"), "{text}");
    assert!(!text.contains("hub-s3cret"), "{text}");
}

#[test]
fn helper_empty_output_is_an_error() {
    let err = config_with(r#"{"credsStore": "empty"}"#).credentials_for("docker.io").unwrap_err();
    assert!(matches!(err, CredentialsError::HelperBadOutput { .. }), "{err}");
}

#[test]
fn helper_trailing_output_after_the_json_is_ignored_like_go() {
    let creds = config_with(r#"{"credsStore": "trailing"}"#).credentials_for("r.io").unwrap();
    assert_eq!(creds.username(), Some("u"));
}

#[test]
fn helper_failure_names_the_helper_and_its_message() {
    let err = config_with(r#"{"credsStore": "broken"}"#).credentials_for("docker.io").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, CredentialsError::HelperFailed { .. }), "{text}");
    assert!(text.contains("docker-credential-broken") && text.contains("keychain is locked"), "{text}");
}

#[test]
fn helper_failure_never_echoes_stdout() {
    let err = config_with(r#"{"credsStore": "leaky"}"#).credentials_for("docker.io").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, CredentialsError::HelperFailed { .. }), "{text}");
    assert!(text.contains("store is read-only") && !text.contains("leaked-s3cret"), "{text}");
    let err = config_with(r#"{"credsStore": "leaky-silent"}"#).credentials_for("docker.io").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, CredentialsError::HelperFailed { .. }), "{text}");
    assert!(text.contains("no message on stderr") && !text.contains("leaked-s3cret"), "{text}");
}

#[test]
fn huge_helper_timeouts_do_not_overflow() {
    let runner = CredentialHelperRunner::new().with_helper_dirs([helper_dir()]).with_timeout(Duration::MAX);
    assert_eq!(runner.get("fake", "https://index.docker.io/v1/").unwrap().username(), Some("hubuser"));
}

#[test]
fn hanging_helper_times_out_quickly() {
    let timeout = Duration::from_millis(300);
    let config = DockerConfig::from_json(br#"{"credsStore": "hang"}"#)
        .unwrap()
        .with_helper_runner(CredentialHelperRunner::new().with_helper_dirs([helper_dir()]).with_timeout(timeout));
    let start = Instant::now();
    let err = config.credentials_for("docker.io").unwrap_err();
    let elapsed = start.elapsed();
    assert!(matches!(err, CredentialsError::HelperTimeout { .. }), "{err}");
    assert!(err.to_string().contains("docker-credential-hang"), "{err}");
    assert!(elapsed >= timeout && elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[test]
fn oversized_helper_output_is_refused() {
    let config = DockerConfig::from_json(br#"{"credsStore": "chatty"}"#)
        .unwrap()
        .with_helper_runner(runner().with_output_limit(4096));
    let err = config.credentials_for("docker.io").unwrap_err();
    assert!(matches!(err, CredentialsError::HelperOutputTooLarge { limit: 4096, .. }), "{err}");
}

#[test]
fn helper_missing_from_the_helper_dirs_is_reported() {
    let err = config_with(r#"{"credsStore": "desktop"}"#).credentials_for("docker.io").unwrap_err();
    assert!(matches!(err, CredentialsError::HelperNotFound { .. }), "{err}");
    assert!(err.to_string().contains(&helper_dir().display().to_string()), "{err}");
}

#[test]
fn helper_runner_can_be_used_directly() {
    let creds = runner().get("fake", "https://index.docker.io/v1/").unwrap();
    assert_eq!(creds.username(), Some("hubuser"));
    assert!(!format!("{creds:?}").contains("hub-s3cret"));
    assert!(matches!(runner().get("fake", "unknown.io").unwrap(), Credentials::Anonymous));
}

#[test]
fn config_dir_with_config_json_and_auths() {
    let dir = tempfile::tempdir().unwrap();
    // user:pass in base64, Docker Hub under the index URL, a private registry under a URL key.
    std::fs::write(
        dir.path().join("config.json"),
        r#"{
  "auths": {
    "https://index.docker.io/v1/": {"auth": "aHViOmh1Yi1wYXNz"},
    "https://registry.example.com:5000/v1/": {"username": "ci", "password": "ci-pass"}
  },
  "psFormat": "table {{.ID}}"
}"#,
    )
    .unwrap();
    let config = DockerConfig::load(dir.path()).unwrap();
    assert_eq!(config.credentials_for_reference(&reference("alpine")).unwrap().username(), Some("hub"));
    let private = reference("registry.example.com:5000/team/app:2");
    assert_eq!(private.gun().as_str(), "registry.example.com:5000/team/app");
    assert_eq!(config.credentials_for_reference(&private).unwrap().username(), Some("ci"));
    // The notary server's host is not what credentials are looked up by.
    assert!(matches!(config.credentials_for("notary.docker.io").unwrap(), Credentials::Anonymous));
}

#[test]
fn missing_config_json_is_anonymous() {
    let dir = tempfile::tempdir().unwrap();
    let config = DockerConfig::load(dir.path()).unwrap();
    assert!(matches!(config.credentials_for("docker.io").unwrap(), Credentials::Anonymous));
}

#[test]
fn malformed_config_json_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), "{\"auths\": [").unwrap();
    let err = DockerConfig::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains(&dir.path().join("config.json").display().to_string()), "{err}");
}

#[test]
fn unreadable_config_json_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("config.json")).unwrap(); // a directory, not a file
    let err = DockerConfig::load(dir.path()).unwrap_err();
    assert!(matches!(err, CredentialsError::ReadConfig { .. } | CredentialsError::MalformedConfig { .. }), "{err}");
}

#[test]
fn helper_path_is_explicit_not_the_process_path() {
    // With an empty helper directory list nothing is found, even if PATH had such a program.
    let config = DockerConfig::from_json(br#"{"credsStore": "fake"}"#)
        .unwrap()
        .with_helper_runner(CredentialHelperRunner::new().with_helper_dirs(Vec::<PathBuf>::new()));
    assert!(matches!(config.credentials_for("docker.io"), Err(CredentialsError::HelperNotFound { .. })));
}
