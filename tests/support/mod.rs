//! Shared helpers for the integration tests: fixture discovery, typed parsing of any role
//! file, role-key resolution (which keys a file must be verified with), and byte comparison
//! with a readable first-difference report.
//!
//! Use from a test file with `mod support;`. Each test crate uses a different subset, hence
//! the `dead_code` allowance.
//!
//! Fixture sets:
//! * [`notary_cli_repos`]: `fixtures/notary-cli` (made by the real notary 0.7 CLI against a
//!   real notary-server; described by its `manifest.json`);
//! * [`go_compat_repos`]: notary's own `fixtures/compatibility/notary0.1` and `notary0.3`,
//!   read from `$NOTARY_GO_SRC` at test time (never copied into this repository). When they
//!   are missing the helper fails the test if `CI` is set and otherwise prints a skip notice
//!   and returns nothing.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use notary_client::clock::Clock;
use notary_client::metadata::{
    Expires, KeyId, MetadataError, PublicKey, RoleBody, RoleName, Root, Signature, Signed, Snapshot, Targets,
    Timestamp, TrustedKeys, VerifyError,
};

/// Where `scripts/test` unpacks notary's Go source (Debian `golang-github-docker-notary-dev`),
/// relative to the cache directory `$NOTARY_CLIENT_CACHE` (default `~/.cache/notary-client`).
const GO_SRC_IN_CACHE: &str = "go-src/usr/share/gocode/src/github.com/theupdateframework/notary";

/// The crate root.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `fixtures/notary-cli`.
pub fn notary_cli_dir() -> PathBuf {
    crate_dir().join("fixtures").join("notary-cli")
}

/// `fixtures/notary-cli/manifest.json`, parsed.
pub fn notary_cli_manifest() -> serde_json::Value {
    let path = notary_cli_dir().join("manifest.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// When the notary-cli fixtures were generated (`manifest.json` `generated_at`).
pub fn notary_cli_generated_at() -> DateTime<Utc> {
    let m = notary_cli_manifest();
    let s = m["generated_at"].as_str().expect("manifest.json: generated_at");
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("manifest.json: generated_at {s:?}: {e}")).to_utc()
}

/// Where the fixture set came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// `fixtures/notary-cli` (notary 0.7 CLI + server).
    NotaryCli,
    /// notary's `fixtures/compatibility` (Go test vectors).
    GoCompat,
}

/// One metadata file of a fixture repository.
#[derive(Debug, Clone)]
pub struct MetadataFile {
    /// The role the file belongs to (`root`, ..., `targets/releases`).
    pub role: RoleName,
    /// Where it was read from.
    pub path: PathBuf,
    /// The exact bytes.
    pub bytes: Vec<u8>,
}

impl MetadataFile {
    /// Parses the file as the typed body of its role.
    pub fn parse(&self) -> Result<AnySigned, MetadataError> {
        AnySigned::parse(self.role.clone(), &self.bytes)
    }

    /// Parses the file or fails the test with the path and the error.
    pub fn parsed(&self) -> AnySigned {
        self.parse().unwrap_or_else(|e| panic!("{}: does not parse: {e}", self.path.display()))
    }
}

/// A fixture repository: one GUN's `metadata/` directory (and, if known, its private keys).
#[derive(Debug, Clone)]
pub struct Repo {
    /// Short label for messages (`notary-cli app`, `notary0.3`...).
    pub label: String,
    /// Which fixture set.
    pub origin: Origin,
    /// The GUN.
    pub gun: String,
    /// The `metadata/` directory.
    pub metadata_dir: PathBuf,
    /// The trust dir's `private/` directory, if there is one.
    pub private_dir: Option<PathBuf>,
    /// Every metadata file, sorted by role name.
    pub files: Vec<MetadataFile>,
}

impl Repo {
    /// Loads every `*.json` below `metadata_dir` (base roles and `targets/**` delegations).
    pub fn load(label: &str, origin: Origin, gun: &str, metadata_dir: PathBuf, private_dir: Option<PathBuf>) -> Repo {
        let files = discover_metadata(&metadata_dir);
        assert!(!files.is_empty(), "{label}: no metadata files in {}", metadata_dir.display());
        Repo { label: label.to_owned(), origin, gun: gun.to_owned(), metadata_dir, private_dir, files }
    }

    /// The file of `role`, if present.
    pub fn file(&self, role: &str) -> Option<&MetadataFile> {
        self.files.iter().find(|f| f.role.as_str() == role)
    }

    /// The file of `role`; fails the test if absent.
    pub fn expect_file(&self, role: &str) -> &MetadataFile {
        self.file(role).unwrap_or_else(|| panic!("{}: no {role}.json in {}", self.label, self.metadata_dir.display()))
    }

    /// `root.json`, parsed.
    pub fn root(&self) -> Signed<Root> {
        parse_typed(self.expect_file("root"))
    }

    /// `snapshot.json`, parsed.
    pub fn snapshot(&self) -> Signed<Snapshot> {
        parse_typed(self.expect_file("snapshot"))
    }

    /// `timestamp.json`, parsed.
    pub fn timestamp(&self) -> Signed<Timestamp> {
        parse_typed(self.expect_file("timestamp"))
    }

    /// `targets.json` or a delegation file, parsed.
    pub fn targets(&self, role: &str) -> Signed<Targets> {
        parse_typed(self.expect_file(role))
    }

    /// The targets and delegation files, parsed, by role.
    pub fn all_targets(&self) -> BTreeMap<RoleName, Signed<Targets>> {
        self.files
            .iter()
            .filter(|f| f.role.is_targets_like())
            .map(|f| (f.role.clone(), parse_typed::<Targets>(f)))
            .collect()
    }

    /// The keys and threshold `role`'s file must be verified with, resolved as notary does:
    /// root and the base roles from `root.json`, a delegation from its parent's `delegations`.
    pub fn trusted_keys(&self, role: &RoleName) -> TrustedKeys {
        if role.is_delegation() {
            let parent = role.parent().expect("a delegation has a parent");
            let parent_file = self.targets(parent.as_str());
            trusted_keys_from_parent(parent_file.signed(), role)
                .unwrap_or_else(|| panic!("{}: {parent} does not delegate to {role}", self.label))
        } else {
            trusted_keys_from_root(self.root().signed(), role.as_str())
                .unwrap_or_else(|| panic!("{}: root.json has no {role} role", self.label))
        }
    }

    /// IDs named by the private key files of this repository's trust dir (`<id>.key`, or the
    /// legacy `<id>_<role>.key`), searched recursively; empty without a private dir.
    pub fn private_key_ids(&self) -> BTreeSet<String> {
        self.private_dir.as_deref().map(private_key_ids).unwrap_or_default()
    }
}

/// The keys and threshold of base role `role` as listed in `root`.
pub fn trusted_keys_from_root(root: &Root, role: &str) -> Option<TrustedKeys> {
    root.role(role)?;
    Some(root.trusted_keys(role))
}

/// The keys and threshold of delegation `child` as listed in its parent's `delegations`.
pub fn trusted_keys_from_parent(parent: &Targets, child: &RoleName) -> Option<TrustedKeys> {
    let role = parent.delegations.role(child)?;
    Some(parent.delegations.trusted_keys(role))
}

/// Every key listed in a parsed file: root's `keys` or a targets file's `delegations.keys`.
pub fn listed_keys(file: &AnySigned) -> Vec<(KeyId, PublicKey)> {
    match file {
        AnySigned::Root(r) => r.signed().keys.iter().map(|(id, k)| (id.clone(), k.clone())).collect(),
        AnySigned::Targets(t) => {
            t.signed().delegations.keys.iter().flatten().map(|(id, k)| (id.clone(), k.clone())).collect()
        }
        AnySigned::Snapshot(_) | AnySigned::Timestamp(_) => Vec::new(),
    }
}

fn parse_typed<T: RoleBody>(f: &MetadataFile) -> Signed<T> {
    Signed::<T>::parse(f.role.clone(), &f.bytes).unwrap_or_else(|e| panic!("{}: does not parse: {e}", f.path.display()))
}

/// Lists the metadata files of a `metadata/` directory: `<role>.json` for the base roles and
/// `targets/<name...>.json` for delegations (role name = path without `.json`). Files whose
/// name is not a valid role (e.g. `root.<hash>.json`, `2.root.json`) are not metadata of the
/// current repository state and are skipped.
pub fn discover_metadata(dir: &Path) -> Vec<MetadataFile> {
    let mut out = Vec::new();
    for path in walk(dir) {
        let rel = path.strip_prefix(dir).expect("walk stays below dir");
        let Some(name) = rel.to_str().and_then(|s| s.strip_suffix(".json")) else { continue };
        let name = name.replace(std::path::MAIN_SEPARATOR, "/");
        let Ok(role) = RoleName::new(name) else { continue };
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        out.push(MetadataFile { role, path, bytes });
    }
    out.sort_by(|a, b| a.role.cmp(&b.role));
    out
}

/// Files below `dir`, recursively, sorted.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display()));
        for entry in entries {
            let path = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display())).path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// IDs named by `*.key` files below `dir`: the file stem, without a legacy `_<role>` suffix.
pub fn private_key_ids(dir: &Path) -> BTreeSet<String> {
    walk(dir)
        .iter()
        .filter_map(|p| p.file_name()?.to_str()?.strip_suffix(".key").map(str::to_owned))
        .map(|stem| match stem.split_once('_') {
            Some((id, _role)) => id.to_owned(),
            None => stem,
        })
        .collect()
}

/// The two repositories of `fixtures/notary-cli`, as listed in its `manifest.json`.
pub fn notary_cli_repos() -> Vec<Repo> {
    let manifest = notary_cli_manifest();
    let repos = manifest["repositories"].as_array().expect("manifest.json: repositories");
    repos
        .iter()
        .map(|r| {
            let gun = r["gun"].as_str().expect("manifest.json: repositories[].gun");
            let dir = r["metadata_dir"].as_str().expect("manifest.json: repositories[].metadata_dir");
            let label = format!("notary-cli {}", gun.rsplit('/').next().unwrap_or(gun));
            Repo::load(
                &label,
                Origin::NotaryCli,
                gun,
                notary_cli_dir().join(dir),
                Some(notary_cli_dir().join("trust").join("private")),
            )
        })
        .collect()
}

/// notary's Go source root: `$NOTARY_GO_SRC`, else where `scripts/test` unpacks it.
pub fn notary_go_src() -> PathBuf {
    if let Some(dir) = std::env::var_os("NOTARY_GO_SRC") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("NOTARY_CLIENT_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"));
        base.join("notary-client")
    });
    cache.join(GO_SRC_IN_CACHE)
}

/// `$NOTARY_GO_SRC/fixtures/compatibility` if present. If it is missing, fails the calling
/// test when `CI` is set (the test script guarantees the directory) and otherwise prints a
/// skip notice and returns `None`.
pub fn go_compat_dir() -> Option<PathBuf> {
    let dir = notary_go_src().join("fixtures").join("compatibility");
    if dir.is_dir() {
        return Some(dir);
    }
    let msg = format!(
        "notary's Go test vectors not found at {} (set NOTARY_GO_SRC to the notary source tree, \
         or run scripts/test, which unpacks golang-github-docker-notary-dev)",
        dir.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("CI is set: {msg}");
    }
    eprintln!("SKIPPED (Go fixtures): {msg}");
    None
}

/// The notary0.1 and notary0.3 sample repositories from notary's `fixtures/compatibility`
/// (empty when skipped, see [`go_compat_dir`]).
pub fn go_compat_repos() -> Vec<Repo> {
    let Some(dir) = go_compat_dir() else { return Vec::new() };
    [("notary0.1", "docker.com/notary0.1/samplerepo"), ("notary0.3", "docker.com/notary0.3/tst")]
        .into_iter()
        .map(|(version, gun)| {
            let base = dir.join(version);
            let mut metadata_dir = base.join("tuf");
            metadata_dir.extend(gun.split('/'));
            metadata_dir.push("metadata");
            Repo::load(version, Origin::GoCompat, gun, metadata_dir, Some(base.join("private")))
        })
        .collect()
}

/// Every fixture repository: notary-cli first, then the Go ones (if available).
pub fn all_repos() -> Vec<Repo> {
    let mut repos = notary_cli_repos();
    repos.extend(go_compat_repos());
    repos
}

/// Any role file, typed by its role.
#[derive(Debug, Clone)]
pub enum AnySigned {
    /// `root.json`.
    Root(Signed<Root>),
    /// `targets.json` or a delegation.
    Targets(Signed<Targets>),
    /// `snapshot.json`.
    Snapshot(Signed<Snapshot>),
    /// `timestamp.json`.
    Timestamp(Signed<Timestamp>),
}

macro_rules! each {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            AnySigned::Root($s) => $e,
            AnySigned::Targets($s) => $e,
            AnySigned::Snapshot($s) => $e,
            AnySigned::Timestamp($s) => $e,
        }
    };
}

impl AnySigned {
    /// Parses `bytes` with the body type of `role`.
    pub fn parse(role: RoleName, bytes: &[u8]) -> Result<Self, MetadataError> {
        Ok(match role.as_str() {
            "root" => AnySigned::Root(Signed::parse(role, bytes)?),
            "snapshot" => AnySigned::Snapshot(Signed::parse(role, bytes)?),
            "timestamp" => AnySigned::Timestamp(Signed::parse(role, bytes)?),
            _ => AnySigned::Targets(Signed::parse(role, bytes)?),
        })
    }

    /// The role.
    pub fn role(&self) -> &RoleName {
        each!(self, s => s.role())
    }

    /// The signatures in file order.
    pub fn signatures(&self) -> &[Signature] {
        each!(self, s => s.signatures())
    }

    /// The body's expiry.
    pub fn expires(&self) -> Expires {
        each!(self, s => *s.signed().expires())
    }

    /// The body's version.
    pub fn version(&self) -> u64 {
        each!(self, s => s.signed().version().get())
    }

    /// `Signed::to_file_bytes`.
    pub fn to_file_bytes(&self) -> Result<Vec<u8>, MetadataError> {
        each!(self, s => s.to_file_bytes())
    }

    /// `Signed::verify`.
    pub fn verify(&self, trusted: &TrustedKeys) -> Result<BTreeSet<KeyId>, VerifyError> {
        each!(self, s => s.verify(trusted))
    }

    /// `Signed::check_expiry`.
    pub fn check_expiry(&self, clock: &dyn Clock) -> Result<(), VerifyError> {
        each!(self, s => s.check_expiry(clock))
    }
}

/// Where two byte strings first differ, with context, for assertion messages.
pub struct FirstDifference<'a> {
    /// First differing offset (or the shorter length).
    pub offset: usize,
    actual: &'a [u8],
    expected: &'a [u8],
}

/// `None` if equal, else the first difference.
pub fn first_difference<'a>(actual: &'a [u8], expected: &'a [u8]) -> Option<FirstDifference<'a>> {
    if actual == expected {
        return None;
    }
    let offset = actual.iter().zip(expected).position(|(a, b)| a != b).unwrap_or(actual.len().min(expected.len()));
    Some(FirstDifference { offset, actual, expected })
}

impl fmt::Display for FirstDifference<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const CONTEXT: usize = 48;
        // `before⟦from the difference on⟧`, lossily decoded.
        let window = |b: &[u8]| {
            let at = self.offset.min(b.len());
            let start = at.saturating_sub(CONTEXT);
            let end = (at + CONTEXT).min(b.len());
            format!("{}⟦{}⟧", String::from_utf8_lossy(&b[start..at]), String::from_utf8_lossy(&b[at..end]))
        };
        write!(
            f,
            "first difference at byte offset {} (actual {} bytes, expected {} bytes)\n  actual:   …{}…\n  expected: …{}…",
            self.offset,
            self.actual.len(),
            self.expected.len(),
            window(self.actual),
            window(self.expected)
        )
    }
}

/// Asserts byte equality; on failure reports the first differing offset with context.
#[track_caller]
pub fn assert_same_bytes(what: &str, actual: &[u8], expected: &[u8]) {
    if let Some(d) = first_difference(actual, expected) {
        panic!("{what}: bytes differ: {d}");
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Lower-case hex SHA-512 of `bytes`.
pub fn sha512_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA512, bytes).as_ref())
}
