//! Registry credentials from Docker's `config.json` and credential helpers (docker/cli
//! `configfile.GetAuthConfig`, `credentials.NativeStore`, `credentials.FileStore`,
//! docker-credential-helpers `client.Get`).
//!
//! For Docker Content Trust the credentials sent to the notary server are the **registry's**
//! credentials for the image's index (`command.ResolveAuthConfig(index)` in docker/cli feeds
//! `trust.GetNotaryRepository`). So look them up with the registry host of the image
//! reference ([`ImageReference::domain`]), never with the notary server's URL: for
//! `alpine` that is `docker.io` (stored as `https://index.docker.io/v1/`), even though the
//! trust data lives on `notary.docker.io`.
//!
//! Lookup, as Docker does it for a registry key (`https://index.docker.io/v1/` for Docker
//! Hub, else `host[:port]`):
//! 1. the helper is `credHelpers[key]` if that entry exists (an empty value there means "use
//!    the file"), else `credsStore`;
//! 2. with a helper: run `docker-credential-<helper> get`, write the key to its stdin and read
//!    `{"ServerURL","Username","Secret"}`; `"credentials not found in native keychain"` is
//!    anonymous. `auths` is *not* consulted for user/password then (Docker reads only its
//!    `email` and `registrytoken` from there);
//! 3. without a helper: `auths[key]`, else the first `auths` key (in sorted order) whose
//!    hostname (`https://host:port/v1/` → `host:port`) equals the key.
//!
//! An entry becomes: `registrytoken` → [`Credentials::Bearer`]; else `identitytoken` (or a
//! helper's `<token>` user name) → [`Credentials::IdentityToken`]; else user/password →
//! [`Credentials::Basic`]; else [`Credentials::Anonymous`].
//!
//! Not implemented: Docker's `DOCKER_AUTH_CONFIG` variable and the legacy `~/.dockercfg`.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::reference::{DOCKER_HUB_DOMAIN, ImageReference, LEGACY_DOCKER_HUB_DOMAIN};
use crate::metadata::{clip, clip_to};
use crate::server::auth::Credentials;
use crate::trust_dir::TrustDirError;

/// The key Docker stores Docker Hub's credentials under (`registry.IndexServer`).
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// Prefix of credential helper programs.
const HELPER_PREFIX: &str = "docker-credential-";
/// What helpers print when they have nothing for the server.
const NOT_FOUND_MESSAGE: &str = "credentials not found in native keychain";
/// A helper's user name meaning "the secret is an identity token".
const TOKEN_USERNAME: &str = "<token>";
/// Longest helper error message echoed in errors.
const MESSAGE_ECHO: usize = 300;

/// Reading Docker's configuration or asking a credential helper failed.
///
/// Messages never contain secrets: `config.json` parse errors give the position and the
/// field path, not the offending text, and a helper's stdout (which may hold the secret,
/// even when it fails) is never echoed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// Docker's configuration directory is unknown (no home directory).
    #[error("cannot locate Docker's configuration directory: {0}")]
    ConfigDir(#[from] TrustDirError),
    /// `config.json` exists but could not be read.
    #[error("cannot read Docker config {}: {source}", .path.display())]
    ReadConfig {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `config.json` is not valid JSON of the expected shape.
    #[error("Docker config {} is malformed: {detail}; fix or remove the file", display_path(.path))]
    MalformedConfig {
        /// The file, if the configuration came from one.
        path: Option<PathBuf>,
        /// Where and what (no values from the file).
        detail: String,
    },
    /// An `auths` entry's `auth` field is not base64 of `user:password`.
    #[error("Docker config {}: auths[{key:?}].auth is not base64 of \"user:password\"; run `docker login {key}` again", display_path(.path))]
    InvalidAuthField {
        /// The file, if the configuration came from one.
        path: Option<PathBuf>,
        /// The `auths` key.
        key: String,
    },
    /// The registry given is not a host (or URL of one).
    #[error("{registry:?} is not a registry host[:port] or URL")]
    InvalidRegistry {
        /// The (clipped) registry given.
        registry: String,
    },
    /// A `credsStore`/`credHelpers` value that cannot name a program (contains a path
    /// separator, is too long, …).
    #[error("credential helper name {helper:?} is invalid; fix credsStore/credHelpers in Docker's config.json")]
    InvalidHelperName {
        /// The (clipped) name.
        helper: String,
    },
    /// The helper program is not installed.
    #[error(
        "credential helper {program} not found in {searched}; install it or remove it from credsStore/credHelpers in Docker's config.json"
    )]
    HelperNotFound {
        /// `docker-credential-<name>`.
        program: String,
        /// Where it was looked for.
        searched: String,
    },
    /// The helper could not be started or talked to.
    #[error("cannot run credential helper {program}: {source}")]
    HelperIo {
        /// `docker-credential-<name>`.
        program: String,
        /// Why.
        source: io::Error,
    },
    /// The helper did not finish in time (it may be waiting for an unlock prompt).
    #[error(
        "credential helper {program} did not answer within {timeout:?}; check that it works with `echo <server> | {program} get`"
    )]
    HelperTimeout {
        /// `docker-credential-<name>`.
        program: String,
        /// The limit.
        timeout: Duration,
    },
    /// The helper exited with an error other than "credentials not found".
    #[error("credential helper {program} failed ({status}): {message}")]
    HelperFailed {
        /// `docker-credential-<name>`.
        program: String,
        /// Its exit status.
        status: String,
        /// Its (clipped) error message.
        message: String,
    },
    /// The helper wrote more than the output limit.
    #[error("credential helper {program} wrote more than {limit} bytes; is it a credential helper?")]
    HelperOutputTooLarge {
        /// `docker-credential-<name>`.
        program: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The helper succeeded but its output is not the credentials JSON.
    #[error(
        "credential helper {program} returned output that is not {{\"ServerURL\",\"Username\",\"Secret\"}} JSON ({detail})"
    )]
    HelperBadOutput {
        /// `docker-credential-<name>`.
        program: String,
        /// Where the JSON broke (no output text).
        detail: String,
    },
}

fn display_path(path: &Option<PathBuf>) -> String {
    path.as_ref().map_or_else(|| "(in memory)".to_owned(), |p| p.display().to_string())
}

/// Runs credential helpers: where to find them, how long to wait, how much output to accept.
///
/// By default helpers are found through the process `PATH`, may take 30 s and may write
/// 1 MiB. No shell is involved: the program is `docker-credential-<name>` with the single
/// argument `get`.
///
/// ```
/// use std::time::Duration;
/// use notary_client::docker::CredentialHelperRunner;
/// let runner = CredentialHelperRunner::new()
///     .with_helper_dirs(["/opt/helpers"])          // instead of $PATH
///     .with_timeout(Duration::from_secs(5))
///     .with_output_limit(64 * 1024);
/// assert_eq!(runner.timeout(), Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
pub struct CredentialHelperRunner {
    dirs: Option<Vec<PathBuf>>,
    timeout: Duration,
    output_limit: usize,
}

impl Default for CredentialHelperRunner {
    fn default() -> Self {
        CredentialHelperRunner::new()
    }
}

impl CredentialHelperRunner {
    /// Default time a helper may take.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default output limit in bytes.
    pub const DEFAULT_OUTPUT_LIMIT: usize = 1 << 20;

    /// Helpers from `PATH`, 30 s, 1 MiB.
    ///
    /// ```
    /// # use notary_client::docker::CredentialHelperRunner;
    /// assert_eq!(CredentialHelperRunner::new().timeout(), CredentialHelperRunner::DEFAULT_TIMEOUT);
    /// ```
    pub fn new() -> Self {
        CredentialHelperRunner { dirs: None, timeout: Self::DEFAULT_TIMEOUT, output_limit: Self::DEFAULT_OUTPUT_LIMIT }
    }

    /// Look for helpers only in `dirs` (in order) instead of the process `PATH`.
    ///
    /// ```
    /// # use notary_client::docker::CredentialHelperRunner;
    /// let runner = CredentialHelperRunner::new().with_helper_dirs(["/usr/local/bin", "/usr/bin"]);
    /// ```
    pub fn with_helper_dirs<P: Into<PathBuf>>(mut self, dirs: impl IntoIterator<Item = P>) -> Self {
        self.dirs = Some(dirs.into_iter().map(Into::into).collect());
        self
    }

    /// How long a helper may run before it is killed.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use notary_client::docker::CredentialHelperRunner;
    /// let runner = CredentialHelperRunner::new().with_timeout(Duration::from_millis(500));
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many bytes a helper may write to stdout (and, separately, stderr).
    ///
    /// ```
    /// # use notary_client::docker::CredentialHelperRunner;
    /// let runner = CredentialHelperRunner::new().with_output_limit(4096);
    /// ```
    pub fn with_output_limit(mut self, bytes: usize) -> Self {
        self.output_limit = bytes;
        self
    }

    /// The configured timeout.
    ///
    /// ```
    /// # use notary_client::docker::CredentialHelperRunner;
    /// assert_eq!(CredentialHelperRunner::default().timeout().as_secs(), 30);
    /// ```
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `docker-credential-<helper> get` for `server_url` (the registry key:
    /// `https://index.docker.io/v1/` or `host[:port]`). A "credentials not found" answer is
    /// [`Credentials::Anonymous`]; a `<token>` user name makes the secret an identity token.
    ///
    /// ```no_run
    /// use notary_client::docker::CredentialHelperRunner;
    /// let creds = CredentialHelperRunner::new().get("desktop", "https://index.docker.io/v1/")?;
    /// println!("{creds:?}"); // secrets are redacted
    /// # Ok::<(), notary_client::docker::CredentialsError>(())
    /// ```
    pub fn get(&self, helper: &str, server_url: &str) -> Result<Credentials, CredentialsError> {
        Ok(self.get_entry(helper, server_url)?.map(|h| h.into_entry().into_credentials()).unwrap_or_default())
    }

    /// The helper's answer; `None` for "credentials not found".
    fn get_entry(&self, helper: &str, server_url: &str) -> Result<Option<HelperCredentials>, CredentialsError> {
        let valid_name = !helper.is_empty()
            && helper.len() <= 100
            && !helper.bytes().any(|b| b == b'/' || b == b'\\' || b.is_ascii_control() || b.is_ascii_whitespace());
        if !valid_name {
            return Err(CredentialsError::InvalidHelperName { helper: clip(helper) });
        }
        let program = format!("{HELPER_PREFIX}{helper}");
        let executable = self.locate(&program)?;
        let mut child = spawn(&executable, &program)?;
        let output = self.collect(&mut child, &program, server_url)?;

        if !output.status.success() {
            if output.stdout.trim_ascii() == NOT_FOUND_MESSAGE.as_bytes() {
                return Ok(None);
            }
            // Only stderr is echoed: a buggy helper may have printed the credentials to stdout
            // before failing.
            let stderr = String::from_utf8_lossy(&output.stderr);
            let message = match stderr.trim() {
                "" => "no message on stderr (its stdout is not shown: it may hold credentials)".to_owned(),
                text => clip_to(text, MESSAGE_ECHO),
            };
            return Err(CredentialsError::HelperFailed { program, status: output.status.to_string(), message });
        }
        // Like Go's json.Decoder: the first JSON value counts, trailing bytes are ignored.
        let mut values = serde_json::Deserializer::from_slice(&output.stdout).into_iter::<HelperCredentials>();
        match values.next() {
            Some(Ok(creds)) => Ok(Some(creds)),
            Some(Err(e)) => Err(CredentialsError::HelperBadOutput { program, detail: json_position(&e) }),
            None => Err(CredentialsError::HelperBadOutput { program, detail: "empty output".to_owned() }),
        }
    }

    /// The program to run: a path in one of the configured directories, or the bare name
    /// (resolved by the OS through `PATH`).
    fn locate(&self, program: &str) -> Result<PathBuf, CredentialsError> {
        let Some(dirs) = &self.dirs else { return Ok(PathBuf::from(program)) };
        let candidates = |dir: &PathBuf| {
            let mut names = vec![dir.join(program)];
            if cfg!(windows) {
                names.push(dir.join(format!("{program}.exe")));
            }
            names
        };
        dirs.iter().flat_map(candidates).find(|p| is_executable(p)).ok_or_else(|| CredentialsError::HelperNotFound {
            program: program.to_owned(),
            searched: format!(
                "the helper directories {}",
                dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
            ),
        })
    }

    /// Writes the server URL, reads stdout and stderr (bounded) and waits for the exit, all
    /// within the timeout. On timeout the helper is killed; readers blocked by a grandchild
    /// that still holds the pipes are left to finish on their own.
    fn collect(&self, child: &mut Child, program: &str, server_url: &str) -> Result<HelperOutput, CredentialsError> {
        // A timeout too long to represent (`Duration::MAX`) means no deadline.
        let deadline = Instant::now().checked_add(self.timeout);
        let io_err = |source| CredentialsError::HelperIo { program: program.to_owned(), source };
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            kill(child);
            return Err(io_err(io::Error::other("helper pipes unavailable")));
        };
        let limit = self.output_limit;
        let stdout = spawn_reader(stdout, limit);
        let stderr = spawn_reader(stderr, limit);

        if let Some(mut stdin) = child.stdin.take() {
            // A helper that exits without reading its input closes the pipe: not our error.
            match stdin.write_all(server_url.as_bytes()) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                    kill(child);
                    return Err(io_err(e));
                }
                _ => {}
            }
        }

        let mut pause = Duration::from_millis(1);
        let status = loop {
            let status = match child.try_wait() {
                Ok(status) => status,
                Err(e) => {
                    kill(child);
                    return Err(io_err(e));
                }
            };
            if let Some(status) = status.filter(|_| stdout.is_finished() && stderr.is_finished()) {
                break status;
            }
            let now = Instant::now();
            if deadline.is_some_and(|deadline| now >= deadline) {
                kill(child);
                return Err(CredentialsError::HelperTimeout { program: program.to_owned(), timeout: self.timeout });
            }
            thread::sleep(deadline.map_or(pause, |deadline| pause.min(deadline - now)));
            pause = (pause * 2).min(Duration::from_millis(20));
        };

        let join = |handle: JoinHandle<io::Result<Bounded>>| {
            handle.join().unwrap_or_else(|_| Err(io::Error::other("output reader panicked")))
        };
        let (stdout, stderr) = (join(stdout).map_err(io_err)?, join(stderr).map_err(io_err)?);
        if stdout.truncated || stderr.truncated {
            return Err(CredentialsError::HelperOutputTooLarge { program: program.to_owned(), limit });
        }
        Ok(HelperOutput { status, stdout: stdout.bytes, stderr: stderr.bytes })
    }
}

fn spawn(executable: &Path, program: &str) -> Result<Child, CredentialsError> {
    let mut attempts = 0;
    loop {
        let spawned = Command::new(executable)
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        match spawned {
            Ok(child) => return Ok(child),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(CredentialsError::HelperNotFound {
                    program: program.to_owned(),
                    searched: if executable.is_absolute() {
                        executable.display().to_string()
                    } else {
                        "PATH".to_owned()
                    },
                });
            }
            // A freshly written helper may still be open for writing in a forked process.
            Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy && attempts < 5 => {
                attempts += 1;
                thread::sleep(Duration::from_millis(20));
            }
            Err(source) => return Err(CredentialsError::HelperIo { program: program.to_owned(), source }),
        }
    }
}

fn kill(child: &mut Child) {
    // The helper may already have exited; either way reap it so no zombie stays.
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Bytes read up to a limit (zeroized on drop: a helper's stdout holds the secret).
struct Bounded {
    bytes: Zeroizing<Vec<u8>>,
    truncated: bool,
}

fn spawn_reader(mut from: impl Read + Send + 'static, limit: usize) -> JoinHandle<io::Result<Bounded>> {
    thread::spawn(move || {
        // Reserve up front so the secret is not copied around by reallocation (typical
        // answers are far below 16 KiB).
        let mut bytes = Zeroizing::new(Vec::with_capacity(limit.min(16 * 1024)));
        let mut chunk = Zeroizing::new([0u8; 4096]);
        loop {
            let n = match from.read(&mut chunk[..]) {
                Ok(0) => return Ok(Bounded { bytes, truncated: false }),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if bytes.len() + n > limit {
                // Dropping the pipe makes a runaway helper fail on its next write.
                return Ok(Bounded { bytes, truncated: true });
            }
            bytes.extend_from_slice(&chunk[..n]);
        }
    })
}

struct HelperOutput {
    status: ExitStatus,
    stdout: Zeroizing<Vec<u8>>,
    stderr: Zeroizing<Vec<u8>>,
}

/// A helper's answer (`credentials.Credentials`).
#[derive(Deserialize)]
struct HelperCredentials {
    #[serde(rename = "Username", default)]
    username: Option<String>,
    #[serde(rename = "Secret", default)]
    secret: Option<String>,
}

impl HelperCredentials {
    fn into_entry(self) -> AuthEntry {
        let username = self.username.unwrap_or_default();
        let secret = Zeroizing::new(self.secret.unwrap_or_default());
        if username == TOKEN_USERNAME {
            AuthEntry { identity_token: secret, ..AuthEntry::default() }
        } else {
            AuthEntry { username, password: secret, ..AuthEntry::default() }
        }
    }
}

/// Docker's `types.AuthConfig`, as far as credentials go.
#[derive(Clone, Default)]
struct AuthEntry {
    username: String,
    password: Zeroizing<String>,
    identity_token: Zeroizing<String>,
    registry_token: Zeroizing<String>,
}

impl AuthEntry {
    fn into_credentials(self) -> Credentials {
        if !self.registry_token.is_empty() {
            Credentials::Bearer(self.registry_token)
        } else if !self.identity_token.is_empty() {
            let username = Some(self.username).filter(|u| !u.is_empty());
            Credentials::IdentityToken { username, token: self.identity_token }
        } else if !self.username.is_empty() || !self.password.is_empty() {
            Credentials::Basic { username: self.username, password: self.password }
        } else {
            Credentials::Anonymous
        }
    }
}

/// One `auths` entry as written in the file.
#[derive(Deserialize, Default)]
struct RawAuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

/// The parts of `config.json` that matter for credentials.
#[derive(Deserialize, Default)]
struct RawConfig {
    #[serde(default)]
    auths: Option<BTreeMap<String, Option<RawAuthEntry>>>,
    #[serde(rename = "credsStore", default)]
    creds_store: Option<String>,
    #[serde(rename = "credHelpers", default)]
    cred_helpers: Option<BTreeMap<String, Option<String>>>,
}

/// Docker's `config.json`, for registry credentials.
///
/// ```
/// use notary_client::docker::DockerConfig;
/// use notary_client::server::auth::Credentials;
/// let config = DockerConfig::from_json(br#"{"auths": {
///     "https://index.docker.io/v1/": {"auth": "YWxpY2U6czNjcmV0"},
///     "localhost:5000": {"identitytoken": "refresh-me"}
/// }}"#)?;
/// let hub = config.credentials_for("docker.io")?;
/// assert_eq!(hub.username(), Some("alice"));
/// assert!(matches!(config.credentials_for("localhost:5000")?, Credentials::IdentityToken { .. }));
/// assert!(matches!(config.credentials_for("ghcr.io")?, Credentials::Anonymous));
/// assert!(!format!("{hub:?}").contains("s3cret"));
/// # Ok::<(), notary_client::docker::CredentialsError>(())
/// ```
pub struct DockerConfig {
    path: Option<PathBuf>,
    auths: BTreeMap<String, AuthEntry>,
    creds_store: Option<String>,
    cred_helpers: BTreeMap<String, String>,
    runner: CredentialHelperRunner,
}

impl DockerConfig {
    /// `config.json` in Docker's configuration directory (`$DOCKER_CONFIG`, else
    /// `~/.docker`). A missing file is an empty configuration (anonymous everywhere).
    ///
    /// ```no_run
    /// use notary_client::docker::{DockerConfig, ImageReference};
    /// let reference = ImageReference::parse("alpine:3.19")?;
    /// let creds = DockerConfig::load_default()?.credentials_for_reference(&reference)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load_default() -> Result<Self, CredentialsError> {
        Self::load(super::config_dir()?)
    }

    /// `<dir>/config.json`; a missing file is an empty configuration.
    ///
    /// ```
    /// use notary_client::docker::DockerConfig;
    /// let dir = std::env::temp_dir().join("no-such-docker-config-dir");
    /// let config = DockerConfig::load(&dir)?;
    /// assert!(matches!(config.credentials_for("docker.io")?, notary_client::server::auth::Credentials::Anonymous));
    /// # Ok::<(), notary_client::docker::CredentialsError>(())
    /// ```
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, CredentialsError> {
        Self::load_file(dir.as_ref().join("config.json"))
    }

    /// A config file at an explicit path; a missing file is an empty configuration.
    ///
    /// ```no_run
    /// use notary_client::docker::DockerConfig;
    /// let config = DockerConfig::load_file("/etc/ci/docker-config.json")?;
    /// # Ok::<(), notary_client::docker::CredentialsError>(())
    /// ```
    pub fn load_file(path: impl Into<PathBuf>) -> Result<Self, CredentialsError> {
        let path = path.into();
        match std::fs::read(&path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                Self::parse(&bytes, Some(path))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Ok(DockerConfig { path: Some(path), ..DockerConfig::empty() })
            }
            Err(source) => Err(CredentialsError::ReadConfig { path, source }),
        }
    }

    /// Parses `config.json` contents. Empty input is an empty configuration; unknown
    /// fields are ignored.
    ///
    /// ```
    /// use notary_client::docker::DockerConfig;
    /// let config = DockerConfig::from_json(br#"{"credsStore": "desktop"}"#)?;
    /// assert_eq!(config.helper_for("docker.io"), Some("desktop"));
    /// assert!(DockerConfig::from_json(b"{not json").is_err());
    /// # Ok::<(), notary_client::docker::CredentialsError>(())
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Self, CredentialsError> {
        Self::parse(bytes, None)
    }

    /// An empty configuration: anonymous for every registry.
    ///
    /// ```
    /// # use notary_client::docker::DockerConfig;
    /// assert!(DockerConfig::empty().credentials_for("docker.io").is_ok());
    /// ```
    pub fn empty() -> Self {
        DockerConfig {
            path: None,
            auths: BTreeMap::new(),
            creds_store: None,
            cred_helpers: BTreeMap::new(),
            runner: CredentialHelperRunner::new(),
        }
    }

    /// Runs credential helpers with `runner` (helper directories, timeout, output limit).
    ///
    /// ```
    /// use std::time::Duration;
    /// use notary_client::docker::{CredentialHelperRunner, DockerConfig};
    /// let config = DockerConfig::empty()
    ///     .with_helper_runner(CredentialHelperRunner::new().with_timeout(Duration::from_secs(5)));
    /// ```
    pub fn with_helper_runner(mut self, runner: CredentialHelperRunner) -> Self {
        self.runner = runner;
        self
    }

    /// The file this configuration was read from, if any.
    ///
    /// ```
    /// # use notary_client::docker::DockerConfig;
    /// assert!(DockerConfig::empty().path().is_none());
    /// ```
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn parse(bytes: &[u8], path: Option<PathBuf>) -> Result<Self, CredentialsError> {
        let malformed = |detail: String| CredentialsError::MalformedConfig { path: path.clone(), detail };
        let raw = if bytes.iter().all(u8::is_ascii_whitespace) {
            RawConfig::default()
        } else {
            // Like Go's json.Decoder: the first JSON value counts, trailing bytes are ignored.
            let mut de = serde_json::Deserializer::from_slice(bytes);
            serde_path_to_error::deserialize::<_, RawConfig>(&mut de).map_err(|e| {
                let field = e.path().to_string();
                let position = json_position(e.inner());
                malformed(if field == "." { position } else { format!("{position} in {field}") })
            })?
        };
        let mut auths = BTreeMap::new();
        for (key, entry) in raw.auths.unwrap_or_default() {
            let entry = entry.unwrap_or_default();
            let mut parsed = AuthEntry {
                username: entry.username.unwrap_or_default(),
                password: Zeroizing::new(entry.password.unwrap_or_default()),
                identity_token: Zeroizing::new(entry.identitytoken.unwrap_or_default()),
                registry_token: Zeroizing::new(entry.registrytoken.unwrap_or_default()),
            };
            if let Some(auth) = entry.auth.map(Zeroizing::new).filter(|a| !a.is_empty()) {
                let (username, password) = decode_auth(&auth)
                    .ok_or_else(|| CredentialsError::InvalidAuthField { path: path.clone(), key: clip(&key) })?;
                parsed.username = username;
                parsed.password = password;
            }
            auths.insert(key, parsed);
        }
        let cred_helpers =
            raw.cred_helpers.unwrap_or_default().into_iter().map(|(k, v)| (k, v.unwrap_or_default())).collect();
        Ok(DockerConfig {
            path,
            auths,
            creds_store: raw.creds_store,
            cred_helpers,
            runner: CredentialHelperRunner::new(),
        })
    }

    /// The credential helper Docker would use for `registry` (after mapping it to its key,
    /// see [`auth_key`]): `credHelpers[key]`, else `credsStore`; `None` means `auths`.
    ///
    /// ```
    /// use notary_client::docker::DockerConfig;
    /// let config = DockerConfig::from_json(br#"{"credsStore": "desktop",
    ///     "credHelpers": {"ghcr.io": "gh", "localhost:5000": ""}}"#)?;
    /// assert_eq!(config.helper_for("ghcr.io"), Some("gh"));
    /// assert_eq!(config.helper_for("docker.io"), Some("desktop"));
    /// assert_eq!(config.helper_for("localhost:5000"), None); // empty entry: use auths
    /// # Ok::<(), notary_client::docker::CredentialsError>(())
    /// ```
    pub fn helper_for(&self, registry: &str) -> Option<&str> {
        let key = auth_key(registry);
        match self.cred_helpers.get(&key) {
            Some(helper) => Some(helper.as_str()),
            None => self.creds_store.as_deref(),
        }
        .filter(|h| !h.is_empty())
    }

    /// The credentials for a registry host (`docker.io`, `localhost:5000`, or a URL such as
    /// `https://ghcr.io/v2/`), as Docker would send them. For trust data, pass the image's
    /// registry, not the notary server (see the module documentation).
    ///
    /// ```
    /// use notary_client::docker::DockerConfig;
    /// let config = DockerConfig::from_json(br#"{"auths": {"https://ghcr.io/": {"username": "u", "password": "p"}}}"#)?;
    /// assert_eq!(config.credentials_for("ghcr.io")?.username(), Some("u"));
    /// # Ok::<(), notary_client::docker::CredentialsError>(())
    /// ```
    pub fn credentials_for(&self, registry: &str) -> Result<Credentials, CredentialsError> {
        let key = auth_key(registry);
        if key.is_empty() || key.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
            return Err(CredentialsError::InvalidRegistry { registry: clip(registry) });
        }
        let mut entry = self.file_entry(&key).cloned().unwrap_or_default();
        if let Some(helper) = self.helper_for(&key) {
            // Docker's native store: the helper's answer replaces user, password and identity
            // token (with nothing when not found); the file keeps only e.g. registrytoken.
            let found = self.runner.get_entry(helper, &key)?.map(HelperCredentials::into_entry).unwrap_or_default();
            entry.username = found.username;
            entry.password = found.password;
            entry.identity_token = found.identity_token;
        }
        Ok(entry.into_credentials())
    }

    /// [`credentials_for`](Self::credentials_for) the reference's registry.
    ///
    /// ```
    /// use notary_client::docker::{DockerConfig, ImageReference};
    /// let config = DockerConfig::from_json(br#"{"auths": {"localhost:5000": {"auth": "dTpw"}}}"#)?;
    /// let creds = config.credentials_for_reference(&ImageReference::parse("localhost:5000/app:1")?)?;
    /// assert_eq!(creds.username(), Some("u"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn credentials_for_reference(&self, reference: &ImageReference) -> Result<Credentials, CredentialsError> {
        self.credentials_for(reference.domain())
    }

    /// docker/cli `fileStore.Get`: the exact key, else the first key whose hostname matches.
    fn file_entry(&self, key: &str) -> Option<&AuthEntry> {
        self.auths
            .get(key)
            .or_else(|| self.auths.iter().find(|(stored, _)| convert_to_hostname(stored) == key).map(|(_, e)| e))
    }
}

// The secrets of `auths` (password, identity and registry tokens) are `Zeroizing<String>`s; the
// rest (paths, helper names, user names) is not secret. A marker rather than the derive, whose
// `Drop` impl would forbid the struct update syntax used to build it.
impl zeroize::ZeroizeOnDrop for DockerConfig {}

impl fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DockerConfig")
            .field("path", &self.path)
            .field("auths", &self.auths.keys().collect::<Vec<_>>())
            .field("creds_store", &self.creds_store)
            .field("cred_helpers", &self.cred_helpers)
            .field("runner", &self.runner)
            .finish()
    }
}

/// The key Docker stores a registry's credentials under: [`DOCKER_HUB_AUTH_KEY`] for Docker
/// Hub (`docker.io`, `index.docker.io`, `registry-1.docker.io`), else the `host[:port]`
/// (a URL is reduced to its host and port first).
///
/// ```
/// use notary_client::docker::auth_key;
/// assert_eq!(auth_key("docker.io"), "https://index.docker.io/v1/");
/// assert_eq!(auth_key("index.docker.io"), "https://index.docker.io/v1/");
/// assert_eq!(auth_key("localhost:5000"), "localhost:5000");
/// assert_eq!(auth_key("https://ghcr.io/v2/"), "ghcr.io");
/// ```
pub fn auth_key(registry: &str) -> String {
    if registry == DOCKER_HUB_AUTH_KEY {
        return registry.to_owned();
    }
    let host = convert_to_hostname(registry);
    if matches!(host.as_str(), DOCKER_HUB_DOMAIN | LEGACY_DOCKER_HUB_DOMAIN | "registry-1.docker.io") {
        DOCKER_HUB_AUTH_KEY.to_owned()
    } else {
        host
    }
}

/// docker/cli `credentials.ConvertToHostname`: `https://host:port/path` → `host:port`,
/// `host/path` → `host`.
fn convert_to_hostname(s: &str) -> String {
    if let Some((_, rest)) = s.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host_port = authority.rsplit('@').next().unwrap_or_default();
        let host_port = host_port.strip_suffix(':').unwrap_or(host_port);
        if !host_port.is_empty() {
            return host_port.to_owned();
        }
    }
    s.split('/').next().unwrap_or_default().to_owned()
}

/// `base64(user:password)` → (user, password); Go trims NULs from the password and requires
/// a non-empty user.
fn decode_auth(auth: &str) -> Option<(String, Zeroizing<String>)> {
    let decoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(auth.trim()).ok()?);
    let text = std::str::from_utf8(&decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    if user.is_empty() {
        return None;
    }
    Some((user.to_owned(), Zeroizing::new(password.trim_matches('\0').to_owned())))
}

/// Where a JSON document broke, without quoting it.
fn json_position(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "read error",
        Category::Syntax => "invalid JSON",
        Category::Data => "unexpected value type",
        Category::Eof => "truncated JSON",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

/// `s`, or its first `limit` characters and how much was cut.
#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> DockerConfig {
        DockerConfig::from_json(json.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn basic(creds: &Credentials) -> (&str, &str) {
        match creds {
            Credentials::Basic { username, password } => (username, password),
            other => panic!("expected Basic, got {other:?}"),
        }
    }

    #[test]
    fn docker_hub_credentials_are_stored_under_index_v1() {
        let c =
            config(&format!(r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{}"}}}}}}"#, b64("alice:pw")));
        for registry in ["docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"] {
            assert_eq!(basic(&c.credentials_for(registry).unwrap()), ("alice", "pw"), "{registry}");
        }
    }

    #[test]
    fn docker_hub_is_not_found_under_a_bare_docker_io_key() {
        // Docker looks only at the exact index key for the Hub.
        let c = config(&format!(r#"{{"auths": {{"docker.io": {{"auth": "{}"}}}}}}"#, b64("a:b")));
        assert!(matches!(c.credentials_for("docker.io").unwrap(), Credentials::Anonymous));
    }

    #[test]
    fn auth_field_is_base64_user_colon_password() {
        let c = config(&format!(r#"{{"auths": {{"localhost:5000": {{"auth": "{}"}}}}}}"#, b64("u:p:with:colons\0")));
        assert_eq!(basic(&c.credentials_for("localhost:5000").unwrap()), ("u", "p:with:colons"));
    }

    #[test]
    fn auth_field_overrides_username_and_password() {
        let json = format!(
            r#"{{"auths": {{"r.io": {{"auth": "{}", "username": "x", "password": "y"}}}}}}"#,
            b64("from-auth:pw")
        );
        assert_eq!(basic(&config(&json).credentials_for("r.io").unwrap()), ("from-auth", "pw"));
    }

    #[test]
    fn username_and_password_fields_are_basic() {
        let c = config(r#"{"auths": {"r.io": {"username": "x", "password": "y"}}}"#);
        assert_eq!(basic(&c.credentials_for("r.io").unwrap()), ("x", "y"));
    }

    #[test]
    fn identitytoken_is_an_identity_token_with_the_user_name() {
        let c = config(
            r#"{"auths": {"acr.io": {"username": "00000000-0000-0000-0000-000000000000", "identitytoken": "rt"}}}"#,
        );
        match c.credentials_for("acr.io").unwrap() {
            Credentials::IdentityToken { username, token } => {
                assert_eq!(username.as_deref(), Some("00000000-0000-0000-0000-000000000000"));
                assert_eq!(token.as_str(), "rt");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn registrytoken_is_bearer_and_wins() {
        let c = config(
            r#"{"auths": {"r.io": {"username": "x", "password": "y", "identitytoken": "i", "registrytoken": "bt"}}}"#,
        );
        match c.credentials_for("r.io").unwrap() {
            Credentials::Bearer(token) => assert_eq!(token.as_str(), "bt"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn url_shaped_keys_match_by_hostname() {
        for key in ["https://r.io/", "http://r.io/v1/", "https://r.io", "r.io/v2/"] {
            let c = config(&format!(r#"{{"auths": {{"{key}": {{"username": "x", "password": "y"}}}}}}"#));
            assert_eq!(basic(&c.credentials_for("r.io").unwrap()), ("x", "y"), "{key}");
        }
        let c = config(r#"{"auths": {"https://r.io:5000/v1/": {"username": "x", "password": "y"}}}"#);
        assert!(matches!(c.credentials_for("r.io").unwrap(), Credentials::Anonymous));
        assert_eq!(basic(&c.credentials_for("r.io:5000").unwrap()), ("x", "y"));
    }

    #[test]
    fn exact_key_is_preferred_over_a_legacy_key() {
        let c = config(
            r#"{"auths": {"https://r.io/v1/": {"username": "legacy", "password": "1"}, "r.io": {"username": "exact", "password": "2"}}}"#,
        );
        assert_eq!(basic(&c.credentials_for("r.io").unwrap()).0, "exact");
    }

    #[test]
    fn registry_url_is_reduced_to_its_host() {
        let c = config(r#"{"auths": {"ghcr.io": {"username": "x", "password": "y"}}}"#);
        assert_eq!(basic(&c.credentials_for("https://ghcr.io/v2/").unwrap()), ("x", "y"));
    }

    #[test]
    fn unknown_registry_is_anonymous() {
        let c = config(r#"{"auths": {"r.io": {"username": "x", "password": "y"}}}"#);
        assert!(matches!(c.credentials_for("other.io").unwrap(), Credentials::Anonymous));
    }

    #[test]
    fn empty_entry_is_anonymous() {
        let c = config(r#"{"auths": {"r.io": {}, "s.io": null, "t.io": {"email": "a@b"}}}"#);
        for r in ["r.io", "s.io", "t.io"] {
            assert!(matches!(c.credentials_for(r).unwrap(), Credentials::Anonymous), "{r}");
        }
    }

    #[test]
    fn empty_or_missing_config_is_anonymous() {
        for json in ["", "  \n", "{}", r#"{"auths": null}"#, r#"{"psFormat": "table", "auths": {}}"#] {
            assert!(matches!(config(json).credentials_for("docker.io").unwrap(), Credentials::Anonymous), "{json:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        let c = DockerConfig::load(dir.path()).unwrap();
        assert_eq!(c.path(), Some(dir.path().join("config.json").as_path()));
        assert!(matches!(c.credentials_for("docker.io").unwrap(), Credentials::Anonymous));
    }

    #[test]
    fn malformed_config_names_the_file_and_not_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"auths": {"r.io": {"password": ["hunter2"]}}}"#).unwrap();
        let err = DockerConfig::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("auths.r.io.password"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");

        std::fs::write(&path, "{\"auths\": {\"r.io\": {\"password\": \"hunter2").unwrap();
        let err = DockerConfig::load(dir.path()).unwrap_err();
        assert!(matches!(err, CredentialsError::MalformedConfig { .. }), "{err}");
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn invalid_auth_field_is_an_error_naming_the_entry() {
        for bad in ["!!!notbase64", &b64("no-colon"), &b64(":empty-user")] {
            let err = DockerConfig::from_json(format!(r#"{{"auths": {{"r.io": {{"auth": "{bad}"}}}}}}"#).as_bytes())
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(matches!(&err, CredentialsError::InvalidAuthField { key, .. } if key == "r.io"), "{err}");
            assert!(err.to_string().contains("docker login r.io"), "{err}");
        }
    }

    #[test]
    fn trailing_bytes_after_the_config_are_ignored_like_go() {
        assert!(DockerConfig::from_json(b"{} trailing").is_ok());
    }

    #[test]
    fn cred_helpers_entry_wins_over_creds_store() {
        let c = config(r#"{"credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud"}}"#);
        assert_eq!(c.helper_for("gcr.io"), Some("gcloud"));
        assert_eq!(c.helper_for("https://gcr.io"), Some("gcloud"));
        assert_eq!(c.helper_for("other.io"), Some("desktop"));
        assert_eq!(c.helper_for("docker.io"), Some("desktop"));
    }

    #[test]
    fn docker_hub_cred_helper_is_keyed_by_the_index_url() {
        let c = config(r#"{"credHelpers": {"https://index.docker.io/v1/": "hub"}}"#);
        assert_eq!(c.helper_for("docker.io"), Some("hub"));
        assert_eq!(c.helper_for("ghcr.io"), None);
    }

    #[test]
    fn empty_cred_helpers_entry_means_the_file_store() {
        let c = config(
            r#"{"credsStore": "desktop", "credHelpers": {"r.io": ""}, "auths": {"r.io": {"username": "x", "password": "y"}}}"#,
        );
        assert_eq!(c.helper_for("r.io"), None);
        assert_eq!(basic(&c.credentials_for("r.io").unwrap()), ("x", "y"));
    }

    #[test]
    fn empty_creds_store_means_the_file_store() {
        let c = config(r#"{"credsStore": "", "auths": {"r.io": {"username": "x", "password": "y"}}}"#);
        assert_eq!(basic(&c.credentials_for("r.io").unwrap()), ("x", "y"));
    }

    #[test]
    fn missing_helper_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(r#"{"credsStore": "nope"}"#)
            .with_helper_runner(CredentialHelperRunner::new().with_helper_dirs([dir.path()]));
        let err = c.credentials_for("docker.io").unwrap_err();
        assert!(matches!(err, CredentialsError::HelperNotFound { .. }), "{err}");
        assert!(err.to_string().contains("docker-credential-nope"), "{err}");
        assert!(err.to_string().contains("install it"), "{err}");
    }

    #[test]
    fn helper_names_with_path_separators_are_rejected() {
        let c = config(r#"{"credsStore": "../../bin/sh"}"#);
        assert!(matches!(c.credentials_for("r.io").unwrap_err(), CredentialsError::InvalidHelperName { .. }));
    }

    #[test]
    fn invalid_registry_is_rejected() {
        assert!(matches!(DockerConfig::empty().credentials_for(""), Err(CredentialsError::InvalidRegistry { .. })));
        assert!(matches!(DockerConfig::empty().credentials_for("a b"), Err(CredentialsError::InvalidRegistry { .. })));
    }

    #[test]
    fn convert_to_hostname_matches_docker() {
        for (input, host) in [
            ("https://index.docker.io/v1/", "index.docker.io"),
            ("http://r.io:5000/v1/", "r.io:5000"),
            ("https://user@r.io/", "r.io"),
            ("r.io/path", "r.io"),
            ("r.io", "r.io"),
            ("localhost:5000", "localhost:5000"),
        ] {
            assert_eq!(convert_to_hostname(input), host, "{input}");
        }
    }

    #[test]
    fn config_and_runner_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<DockerConfig>();
        check::<CredentialHelperRunner>();
    }

    #[test]
    fn helper_token_user_name_means_identity_token() {
        let h = HelperCredentials { username: Some("<token>".into()), secret: Some("rt".into()) };
        assert!(matches!(h.into_entry().into_credentials(), Credentials::IdentityToken { username: None, .. }));
        let h = HelperCredentials { username: Some("u".into()), secret: Some("p".into()) };
        assert!(matches!(h.into_entry().into_credentials(), Credentials::Basic { .. }));
        let h = HelperCredentials { username: None, secret: None };
        assert!(matches!(h.into_entry().into_credentials(), Credentials::Anonymous));
    }

    #[test]
    fn debug_output_has_no_secrets() {
        let c = config(&format!(
            r#"{{"auths": {{"r.io": {{"auth": "{}", "identitytoken": "tok-secret"}}}}, "credsStore": ""}}"#,
            b64("user:pw-secret")
        ));
        let debug = format!("{c:?}");
        assert!(debug.contains("r.io"), "{debug}");
        assert!(!debug.contains("pw-secret") && !debug.contains("tok-secret"), "{debug}");
        let creds = c.credentials_for("r.io").unwrap();
        assert!(!format!("{creds:?}").contains("tok-secret"));
    }
}
