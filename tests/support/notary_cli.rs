//! Scenario builders with the real `notary` CLI (Go, 0.7) against a running [`Stack`]:
//! repositories initialised and published by notary itself (server- or client-held snapshot
//! key), targets in `targets` and in delegations, x509 delegation keys made with `openssl`,
//! targets/root key rotations, and parsers for what the CLI prints (`list`, `lookup`,
//! `delegation list`, `delegation add`).
//!
//! Include it next to the stack from a test file (it refers to `crate::stack::Stack`):
//!
//! ```ignore
//! #[path = "support/stack.rs"]
//! mod stack;
//! #[path = "support/notary_cli.rs"]
//! mod notary_cli;
//!
//! let stack = stack::Stack::up();
//! let repo = notary_cli::CliRepo::init(&stack, "example.com/app");
//! repo.add_target("v1", b"content", None);
//! assert_eq!(repo.list(None).len(), 1);
//! ```
//!
//! Every helper fails the test with the command line, exit status, stdout, stderr and the
//! stack's log tails when the CLI does not do what was asked. The CLI's trust directory is
//! private to the [`CliRepo`]; tests give their own client another directory.
//!
//! CLI behaviour these helpers rely on (notary 0.7, verified against the stack):
//! * `notary init GUN` without `-p` only writes the local cache; the first publish uploads
//!   root and targets. `notary init` has no server-managed-snapshot option: `notary key rotate
//!   GUN snapshot -r` does it and publishes at once, also on a never-published repository (the
//!   first root the server sees is then **version 2**; there is no `1.root.json`).
//! * `notary key rotate GUN targets|root` publishes at once (and bumps root, which lists the
//!   role's keys). Root rotation asks `Are you sure you want to proceed? (yes/no)` on stdin,
//!   there is no flag to skip it; the new root is signed by the old and the new root key.
//! * `notary delegation add` takes x509 certificates (or public key PEMs) and prints the
//!   **canonical** key IDs (those of the bare public key, the private key file names), as does
//!   `notary delegation list`; `targets.json` lists the `ecdsa-x509` key under its TUF ID
//!   ([`DelegationKey::tuf_id`]).
//! * `notary add ... --roles R` with a name outside R's paths fails at publish time ("Could not
//!   add all targets") and leaves the change staged; [`CliRepo::publish`] therefore resets
//!   the changelist when a publish fails.
//! * With token auth, the CLI sends `NOTARY_AUTH` only when it pushes; `list`/`lookup` fetch
//!   anonymously (and fall back to the local cache, which publishing does not refresh).
//! * `notary list` prints full names and digests (no truncation); `lookup` prints
//!   `NAME sha256:HEX SIZE` and exits 1 with `* fatal: No valid trust data for NAME` **on
//!   stdout** when absent (fatal errors go to stdout, logrus warnings to stderr).
#![allow(dead_code)]

use std::cell::Cell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;

use crate::stack::Stack;

/// Passphrase of every root key the CLI makes.
pub const ROOT_PASSPHRASE: &str = "cli-root-passphrase";
/// Passphrase of the `targets` key.
pub const TARGETS_PASSPHRASE: &str = "cli-targets-passphrase";
/// Passphrase of a client-held `snapshot` key.
pub const SNAPSHOT_PASSPHRASE: &str = "cli-snapshot-passphrase";
/// Passphrase of delegation keys (notary's fallback for every non-base role alias).
pub const DELEGATION_PASSPHRASE: &str = "cli-delegation-passphrase";

/// The passphrase variables of `cmd/notary/main.go`, all set.
pub const PASSPHRASES: &[(&str, &str)] = &[
    ("NOTARY_ROOT_PASSPHRASE", ROOT_PASSPHRASE),
    ("NOTARY_TARGETS_PASSPHRASE", TARGETS_PASSPHRASE),
    ("NOTARY_SNAPSHOT_PASSPHRASE", SNAPSHOT_PASSPHRASE),
    ("NOTARY_DELEGATION_PASSPHRASE", DELEGATION_PASSPHRASE),
];

/// `--paths` value meaning "every target name" (notary prints it as `"" <all paths>`).
pub const ALL_PATHS: &[&str] = &[""];

/// Whether the notary CLI is installed. Missing: fails the test under `CI` (`scripts/test`
/// installs it), otherwise prints a skip notice and returns false.
pub fn require_notary() -> bool {
    match Command::new("notary").arg("--help").stdin(Stdio::null()).output() {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let msg = "notary CLI not installed (Debian package `notary`; scripts/test installs it)";
            if std::env::var_os("CI").is_some() {
                panic!("CI is set: {msg}");
            }
            eprintln!("skipped: {msg}");
            false
        }
        Err(e) => panic!("cannot run notary: {e}"),
    }
}

/// Who holds the snapshot key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotKey {
    /// notary-server signs snapshots (what Docker always does, spec §6.1): `notary init GUN`
    /// then `notary key rotate GUN snapshot -r`, one publish, root version 2.
    #[default]
    Server,
    /// The CLI holds the snapshot key and uploads snapshots: `notary init -p GUN`, root
    /// version 1.
    Client,
}

/// How [`CliRepo::init_with`] creates the repository.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Who holds the snapshot key.
    pub snapshot: SnapshotKey,
    /// `user`, `password` for a token-auth stack, sent by the CLI as `NOTARY_AUTH` (only used
    /// by the CLI when it pushes).
    pub basic_auth: Option<(String, String)>,
}

/// One row of `notary list`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CliTarget {
    /// Target name.
    pub name: String,
    /// Lower-case hex SHA-256 (the DIGEST column).
    pub sha256_hex: String,
    /// Byte length.
    pub size: u64,
    /// The role that signs it (`targets`, `targets/releases`, ...).
    pub role: String,
}

/// What `notary lookup` prints (it does not name the role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliLookup {
    /// Target name.
    pub name: String,
    /// Lower-case hex SHA-256.
    pub sha256_hex: String,
    /// Byte length.
    pub size: u64,
}

/// One role of `notary delegation list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliDelegation {
    /// Role name.
    pub role: String,
    /// Path prefixes (`""` for all paths), as listed.
    pub paths: Vec<String>,
    /// **Canonical** key IDs (bare public key IDs), as the CLI prints them.
    pub canonical_key_ids: Vec<String>,
    /// Threshold.
    pub threshold: u32,
}

/// A delegation key made with `openssl`: ECDSA P-256 with a self-signed certificate
/// (CN = last role segment, 10 years), imported into the CLI's key store.
#[derive(Debug, Clone)]
pub struct DelegationKey {
    /// The delegation role it was added to.
    pub role: String,
    /// The certificate PEM as written by openssl (Go's PEM layout: 64 columns).
    pub cert_pem: Vec<u8>,
    /// The unencrypted PKCS#8 private key PEM.
    pub key_pem: Vec<u8>,
    /// Key ID of the `ecdsa-x509` key in `targets.json` (`delegations.keys`, role `keyids`).
    pub tuf_id: String,
    /// Canonical ID (private key file name; what `notary delegation add/list` print).
    pub canonical_id: String,
}

/// A repository published by the notary CLI, with the CLI's own trust directory.
pub struct CliRepo<'s> {
    stack: &'s Stack,
    gun: String,
    /// `<work>/trust` is the CLI's trust dir, `<work>/files` holds payloads, keys and certs.
    work: tempfile::TempDir,
    auth: Option<String>,
    counter: Cell<u32>,
}

impl<'s> CliRepo<'s> {
    /// A published, empty repository with a server-managed snapshot key (Docker's setup).
    pub fn init(stack: &'s Stack, gun: &str) -> CliRepo<'s> {
        CliRepo::init_with(stack, gun, InitOptions::default())
    }

    /// A published, empty repository whose snapshot key the CLI holds.
    pub fn init_client_snapshot(stack: &'s Stack, gun: &str) -> CliRepo<'s> {
        CliRepo::init_with(stack, gun, InitOptions { snapshot: SnapshotKey::Client, ..Default::default() })
    }

    /// The CLI with a fresh trust directory of its own for `gun`, which someone else
    /// publishes (nothing is run): `list`, `lookup`, `delegation_list` read it as any new
    /// client would, and with keys imported it can publish too.
    pub fn attach(stack: &'s Stack, gun: &str) -> CliRepo<'s> {
        let work = tempfile::Builder::new().prefix("notary-cli.").tempdir().expect("create a temporary directory");
        std::fs::create_dir(work.path().join("files")).expect("create the files directory");
        CliRepo { stack, gun: gun.to_owned(), work, auth: None, counter: Cell::new(0) }
    }

    /// A published, empty repository made as `options` say.
    pub fn init_with(stack: &'s Stack, gun: &str, options: InitOptions) -> CliRepo<'s> {
        let work = tempfile::Builder::new().prefix("notary-cli.").tempdir().expect("create a temporary directory");
        std::fs::create_dir(work.path().join("files")).expect("create the files directory");
        let auth = options
            .basic_auth
            .map(|(u, p)| base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}").as_bytes()));
        let repo = CliRepo { stack, gun: gun.to_owned(), work, auth, counter: Cell::new(0) };
        match options.snapshot {
            SnapshotKey::Server => {
                repo.run(&["init", gun]);
                repo.run(&["key", "rotate", gun, "snapshot", "-r"]);
            }
            SnapshotKey::Client => {
                repo.run(&["init", "-p", gun]);
            }
        }
        repo
    }

    /// The GUN.
    pub fn gun(&self) -> &str {
        &self.gun
    }

    /// The stack it publishes to.
    pub fn stack(&self) -> &'s Stack {
        self.stack
    }

    /// The CLI's trust directory (keys under `private/`, its cache under `tuf/`).
    pub fn trust_dir(&self) -> PathBuf {
        self.work.path().join("trust")
    }

    /// The CLI's cache of this GUN: `<trust>/tuf/<GUN>/metadata` (not refreshed by
    /// publishing: notary re-downloads on the next read).
    pub fn cli_metadata_dir(&self) -> PathBuf {
        metadata_dir(&self.trust_dir(), &self.gun)
    }

    /// `notary -s URL --tlscacert CA -d TRUST` with every passphrase variable (and
    /// `NOTARY_AUTH` if configured) set; stdin is `/dev/null`.
    pub fn notary(&self) -> Command {
        let mut cmd = self.stack.notary(&self.trust_dir());
        cmd.envs(PASSPHRASES.iter().copied());
        if let Some(auth) = &self.auth {
            cmd.env("NOTARY_AUTH", auth);
        }
        cmd
    }

    /// Runs `notary ARGS`, failing the test unless it exits 0; returns stdout.
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.output(args, None);
        self.check(args, &out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `notary ARGS` with `stdin` as input (e.g. `"yes\n"`), failing unless it exits 0.
    #[track_caller]
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> String {
        let out = self.output(args, Some(stdin));
        self.check(args, &out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `notary ARGS` and returns whatever happened.
    pub fn output(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.notary();
        cmd.args(args);
        let Some(input) = stdin else {
            return cmd.output().unwrap_or_else(|e| panic!("cannot run notary {args:?}: {e}"));
        };
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run notary {args:?}: {e}"));
        // The CLI may exit before reading everything; a broken pipe is then its business.
        let _ = child.stdin.take().expect("piped stdin").write_all(input.as_bytes());
        child.wait_with_output().unwrap_or_else(|e| panic!("notary {args:?}: {e}"))
    }

    #[track_caller]
    fn check(&self, args: &[&str], out: &Output) {
        if !out.status.success() {
            panic!(
                "notary {} (trust dir {}) failed ({}):\n--- stdout\n{}--- stderr\n{}{}",
                args.join(" "),
                self.trust_dir().display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.stack.log_tails()
            );
        }
    }

    /// `notary publish GUN`. On failure the staged changes are reset (`notary reset --all`)
    /// before the test fails, so that a kept trust dir is not left with a poisoned changelist.
    #[track_caller]
    pub fn publish(&self) {
        let args = ["publish", self.gun.as_str()];
        let out = self.output(&args, None);
        if !out.status.success() {
            let _ = self.output(&["reset", &self.gun, "--all"], None);
        }
        self.check(&args, &out);
    }

    /// A new file under the work directory holding `content`.
    fn write_file(&self, stem: &str, content: &[u8]) -> PathBuf {
        let n = self.counter.get();
        self.counter.set(n + 1);
        let path = self.work.path().join("files").join(format!("{n:03}-{stem}"));
        std::fs::write(&path, content).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }

    /// Stages `notary add GUN NAME FILE [--roles ROLE]` with `content` in a file (no
    /// publish); returns the row `notary list` will show for it once published, unless a
    /// role earlier in the walk signs the same name.
    #[track_caller]
    pub fn stage_target(&self, name: &str, content: &[u8], role: Option<&str>) -> CliTarget {
        let file = self.write_file("target", content);
        self.stage_target_file(name, &file, role)
    }

    /// Stages `notary add GUN NAME FILE [--roles ROLE]` (no publish).
    #[track_caller]
    pub fn stage_target_file(&self, name: &str, file: &Path, role: Option<&str>) -> CliTarget {
        let file_arg = file.to_str().expect("UTF-8 path");
        let mut args = vec!["add", self.gun.as_str(), name, file_arg];
        if let Some(role) = role {
            args.extend(["--roles", role]);
        }
        self.run(&args);
        let content = std::fs::read(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        CliTarget {
            name: name.to_owned(),
            sha256_hex: sha256_hex(&content),
            size: content.len() as u64,
            role: role.unwrap_or("targets").to_owned(),
        }
    }

    /// Adds target `name` with `content` to `role` (default `targets`) and publishes.
    #[track_caller]
    pub fn add_target(&self, name: &str, content: &[u8], role: Option<&str>) -> CliTarget {
        let t = self.stage_target(name, content, role);
        self.publish();
        t
    }

    /// Adds target `name` with the bytes of `file` to `role` (default `targets`) and publishes.
    #[track_caller]
    pub fn add_target_file(&self, name: &str, file: &Path, role: Option<&str>) -> CliTarget {
        let t = self.stage_target_file(name, file, role);
        self.publish();
        t
    }

    /// Stages a new delegation `role` (a direct child of `targets`) with a fresh openssl
    /// ECDSA P-256 key and self-signed certificate, the private key imported into the CLI's
    /// store (`notary key import --role ROLE`), and `paths` ([`ALL_PATHS`] for all). No publish.
    #[track_caller]
    pub fn stage_delegation(&self, role: &str, paths: &[&str]) -> DelegationKey {
        let (key_path, cert_path) = self.openssl_key_and_cert(role);
        self.run(&["key", "import", key_path.to_str().expect("UTF-8 path"), "--role", role]);
        let canonical_id = self.stage_delegation_add(role, &cert_path, paths);
        let cert_pem = std::fs::read(&cert_path).expect("read the certificate");
        let key_pem = std::fs::read(&key_path).expect("read the private key");
        DelegationKey {
            role: role.to_owned(),
            tuf_id: x509_tuf_key_id("ecdsa-x509", &cert_pem),
            cert_pem,
            key_pem,
            canonical_id,
        }
    }

    /// Stages `notary delegation add GUN ROLE FILE` for a key the CLI does not hold:
    /// `public_pem` is a `PUBLIC KEY` or `CERTIFICATE` PEM (written to a file first), `paths`
    /// as for [`CliRepo::stage_delegation`]. Returns the **canonical** key ID the CLI printed.
    /// No publish.
    #[track_caller]
    pub fn stage_delegation_public_key(&self, role: &str, public_pem: &[u8], paths: &[&str]) -> String {
        let file = self.write_file("delegation.pem", public_pem);
        self.stage_delegation_add(role, &file, paths)
    }

    /// Stages `notary delegation add GUN ROLE KEY_FILE` with `paths` (`--all-paths` when they
    /// contain `""`) and returns the **canonical** key ID the CLI printed. No publish.
    #[track_caller]
    fn stage_delegation_add(&self, role: &str, key_file: &Path, paths: &[&str]) -> String {
        let paths_arg = paths.join(",");
        let mut args = vec!["delegation", "add", self.gun.as_str(), role, key_file.to_str().expect("UTF-8 path")];
        if paths.contains(&"") {
            args.push("--all-paths");
        } else {
            assert!(!paths.is_empty(), "a delegation needs paths (use ALL_PATHS for all)");
            args.extend(["--paths", &paths_arg]);
        }
        let out = self.run(&args);
        parse_delegation_add_key_ids(&out)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("`notary delegation add` printed no key ID:\n{out}"))
    }

    /// An openssl ECDSA P-256 key and self-signed certificate (CN = last segment of `role`),
    /// made as [`CliRepo::stage_delegation`] makes them but neither imported nor delegated:
    /// (unencrypted PKCS#8 private key PEM, certificate PEM), for another client to use.
    #[track_caller]
    pub fn openssl_key_pair(&self, role: &str) -> (Vec<u8>, Vec<u8>) {
        let (key, cert) = self.openssl_key_and_cert(role);
        (std::fs::read(&key).expect("read the private key"), std::fs::read(&cert).expect("read the certificate"))
    }

    /// [`CliRepo::stage_delegation`], then publish.
    #[track_caller]
    pub fn add_delegation(&self, role: &str, paths: &[&str]) -> DelegationKey {
        let key = self.stage_delegation(role, paths);
        self.publish();
        key
    }

    /// `notary delegation remove GUN ROLE --paths P,... -y`, then publish. The role's own
    /// file keeps any target it signed under a removed path (readers must ignore those).
    #[track_caller]
    pub fn remove_delegation_paths(&self, role: &str, paths: &[&str]) {
        self.run(&["delegation", "remove", &self.gun, role, "--paths", &paths.join(","), "-y"]);
        self.publish();
    }

    /// `notary key rotate GUN targets`: new local targets key; publishes root (which lists the
    /// key) and targets re-signed with it.
    #[track_caller]
    pub fn rotate_targets_key(&self) {
        self.run(&["key", "rotate", &self.gun, "targets"]);
    }

    /// `notary key rotate GUN snapshot -r`: the server takes over (or re-keys) the snapshot.
    #[track_caller]
    pub fn rotate_snapshot_key_to_server(&self) {
        self.run(&["key", "rotate", &self.gun, "snapshot", "-r"]);
    }

    /// `notary key rotate GUN root` (answering `yes`): a new root key and certificate;
    /// publishes root version+1 signed by the old and the new root key.
    #[track_caller]
    pub fn rotate_root_key(&self) {
        self.run_with_stdin(&["key", "rotate", &self.gun, "root"], "yes\n");
    }

    /// `notary list GUN [--roles ROLE]`, parsed (sorted by name). With a role, notary lists
    /// that role's **subtree** (`--roles targets` is the whole tree), first role wins per name.
    #[track_caller]
    pub fn list(&self, role: Option<&str>) -> Vec<CliTarget> {
        let mut args = vec!["list", self.gun.as_str()];
        if let Some(role) = role {
            args.extend(["--roles", role]);
        }
        let out = self.run(&args);
        parse_list(&out).unwrap_or_else(|e| panic!("`notary {}`: {e}:\n{out}", args.join(" ")))
    }

    /// `notary lookup GUN NAME`, parsed; `None` when notary has no trust data for `name`.
    #[track_caller]
    pub fn lookup(&self, name: &str) -> Option<CliLookup> {
        let args = ["lookup", self.gun.as_str(), name];
        let out = self.output(&args, None);
        // notary prints its `* fatal: ...` line on stdout.
        let printed = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        if !out.status.success()
            && String::from_utf8_lossy(&printed).contains(&format!("No valid trust data for {name}"))
        {
            return None;
        }
        self.check(&args, &out);
        let stdout = String::from_utf8_lossy(&out.stdout);
        Some(parse_lookup(&stdout).unwrap_or_else(|e| panic!("`notary lookup`: {e}:\n{stdout}")))
    }

    /// `notary delegation list GUN`, parsed.
    #[track_caller]
    pub fn delegation_list(&self) -> Vec<CliDelegation> {
        let out = self.run(&["delegation", "list", &self.gun]);
        parse_delegation_list(&out).unwrap_or_else(|e| panic!("`notary delegation list`: {e}:\n{out}"))
    }

    /// `notary key list`, as (role, canonical key ID) pairs.
    #[track_caller]
    pub fn key_list(&self) -> Vec<(String, String)> {
        let out = self.run(&["key", "list"]);
        let mut keys: Vec<(String, String)> = out
            .lines()
            .filter_map(|line| {
                let words: Vec<&str> = line.split_whitespace().collect();
                let id = words.iter().find(|w| is_hex(w, 64))?;
                Some((words[0].to_owned(), (*id).to_owned()))
            })
            .collect();
        keys.sort();
        keys
    }

    /// The bytes notary-server serves at `<url>/v2/<GUN>/_trust/tuf/<file>` (e.g.
    /// `root.json`, `2.root.json`, `targets/releases.json`), fetched with `curl` — independent
    /// of the client under test. Only for stacks without token auth.
    #[track_caller]
    pub fn server_file(&self, file: &str) -> Vec<u8> {
        let url = format!("{}/v2/{}/_trust/tuf/{file}", self.stack.notary_url(), self.gun);
        let out = Command::new("curl")
            .args(["--noproxy", "*", "-sS", "--fail", "--max-time", "10", "--cacert"])
            .arg(self.stack.notary_ca())
            .arg(&url)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run curl: {e}"));
        assert!(out.status.success(), "curl {url} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    /// The server's `<file>` parsed as JSON.
    #[track_caller]
    pub fn server_json(&self, file: &str) -> serde_json::Value {
        let bytes = self.server_file(file);
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{file} from the server is not JSON: {e}"))
    }

    /// The server's current root version.
    #[track_caller]
    pub fn root_version(&self) -> u64 {
        self.server_json("root.json")["signed"]["version"].as_u64().expect("root.json: signed.version")
    }

    /// `roles.<role>.keyids` of the server's current `root.json` (for `root`: the IDs of the
    /// root certificates' `ecdsa-x509` keys, what trust pinning pins).
    #[track_caller]
    pub fn root_role_key_ids(&self, role: &str) -> Vec<String> {
        key_ids_of_role(&self.server_json("root.json"), role)
    }

    /// Makes an ECDSA P-256 key (unencrypted PKCS#8 PEM) and a self-signed certificate for
    /// it, CN = the last segment of `role`. Returns (key path, cert path).
    fn openssl_key_and_cert(&self, role: &str) -> (PathBuf, PathBuf) {
        let cn = role.rsplit('/').next().unwrap_or(role);
        let n = self.counter.get();
        self.counter.set(n + 1);
        let dir = self.work.path().join("files");
        let key = dir.join(format!("{n:03}-{cn}.key"));
        let cert = dir.join(format!("{n:03}-{cn}.crt"));
        let out = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-sha256"])
            .args(["-days", "3650", "-subj", &format!("/CN={cn}"), "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run openssl: {e}"));
        assert!(
            out.status.success(),
            "openssl req -x509 failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (key, cert)
    }
}

/// What [`delegation_scenario`] built.
pub struct DelegationScenario<'s> {
    /// The repository (server-managed snapshot).
    pub repo: CliRepo<'s>,
    /// `targets/releases`, all paths.
    pub releases: DelegationKey,
    /// `targets/alice`, paths `["v"]` (after `old/` was removed).
    pub alice: DelegationKey,
    /// Every target published, whichever role signs it: `targets` has `v1` and `latest`;
    /// `targets/releases` has `v1` (other bytes than targets' `v1`) and `v2`; `targets/alice`
    /// has `v3`, and `old/x`, which is outside alice's paths since `old/` was removed.
    pub published: Vec<CliTarget>,
}

/// Name of the target signed by `targets/alice` outside its (current) paths.
pub const OUTSIDE_ALICE_PATHS: &str = "old/x";

/// A repository with two delegations (three publishes after init):
/// 1. `targets` gets `v1`, `latest`; `targets/releases` (all paths) gets `v1`, `v2`;
///    `targets/alice` (paths `v`, `old/`) gets `v3` and `old/x` — one publish;
/// 2. `old/` is removed from alice's paths (targets.json re-signed; `targets/alice.json`
///    still signs `old/x`).
pub fn delegation_scenario<'s>(stack: &'s Stack, gun: &str) -> DelegationScenario<'s> {
    let repo = CliRepo::init(stack, gun);
    let mut published = vec![
        repo.stage_target("v1", b"v1 signed by targets\n", None),
        repo.stage_target("latest", b"latest signed by targets\n", None),
    ];
    let releases = repo.stage_delegation("targets/releases", ALL_PATHS);
    let alice = repo.stage_delegation("targets/alice", &["v", "old/"]);
    published.extend([
        repo.stage_target("v1", b"v1 signed by releases\n", Some("targets/releases")),
        repo.stage_target("v2", b"v2 signed by releases\n", Some("targets/releases")),
        repo.stage_target("v3", b"v3 signed by alice\n", Some("targets/alice")),
        repo.stage_target(OUTSIDE_ALICE_PATHS, b"old/x signed by alice\n", Some("targets/alice")),
    ]);
    repo.publish();
    repo.remove_delegation_paths("targets/alice", &["old/"]);
    published.sort();
    DelegationScenario { repo, releases, alice, published }
}

/// `<trust>/tuf/<GUN>/metadata`.
pub fn metadata_dir(trust_dir: &Path, gun: &str) -> PathBuf {
    let mut dir = trust_dir.join("tuf");
    dir.extend(gun.split('/'));
    dir.push("metadata");
    dir
}

/// The notary CLI with trust dir `trust_dir` and a server that refuses connections
/// (`https://127.0.0.1:1`): what it lists comes from the trust dir's cache alone (notary falls
/// back to the cached timestamp and re-verifies everything from the cached root).
pub fn offline_notary(stack: &Stack, trust_dir: &Path) -> Command {
    let mut cmd = Command::new("notary");
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with("NOTARY_")) {
            cmd.env_remove(name);
        }
    }
    cmd.args(["-s", "https://127.0.0.1:1", "--tlscacert"]).arg(stack.notary_ca()).arg("-d").arg(trust_dir);
    cmd.stdin(Stdio::null());
    cmd
}

/// `roles.<role>.keyids` of a parsed `root.json`.
pub fn key_ids_of_role(root: &serde_json::Value, role: &str) -> Vec<String> {
    let ids = root["signed"]["roles"][role]["keyids"].as_array();
    let ids = ids.unwrap_or_else(|| panic!("root.json has no roles.{role}.keyids"));
    ids.iter().map(|v| v.as_str().expect("key IDs are strings").to_owned()).collect()
}

/// The key IDs of a parsed metadata file's `signatures`.
pub fn signature_key_ids(file: &serde_json::Value) -> Vec<String> {
    let sigs = file["signatures"].as_array().expect("signatures");
    sigs.iter().map(|s| s["keyid"].as_str().expect("signatures[].keyid").to_owned()).collect()
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// TUF key ID of an x509 key (`ecdsa-x509`, `rsa-x509`) over `cert_pem`: SHA-256 of the
/// canonical JSON `{"keytype":…,"keyval":{"private":null,"public":"<base64 of the PEM>"}}`
/// (spec §3.2; Go re-encodes the PEM, which matches openssl's 64-column output).
pub fn x509_tuf_key_id(keytype: &str, cert_pem: &[u8]) -> String {
    let public = base64::engine::general_purpose::STANDARD.encode(cert_pem);
    sha256_hex(format!(r#"{{"keytype":"{keytype}","keyval":{{"private":null,"public":"{public}"}}}}"#).as_bytes())
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Parses `notary list` output:
///
/// ```text
/// NAME     DIGEST                                                              SIZE (BYTES)    ROLE
/// ----     ------                                                              ------------    ----
/// old/x    2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90    5               targets/alice
/// ```
///
/// or `No targets present in this repository.` Rows are returned sorted by name.
pub fn parse_list(text: &str) -> Result<Vec<CliTarget>, String> {
    if text.contains("No targets present in this repository.") {
        return Ok(Vec::new());
    }
    let mut lines = text.lines().skip_while(|l| l.trim().is_empty());
    let header = lines.next().ok_or("no header")?;
    let columns: Vec<&str> = header.split_whitespace().collect();
    if columns != ["NAME", "DIGEST", "SIZE", "(BYTES)", "ROLE"] {
        return Err(format!("unexpected header {header:?}"));
    }
    let mut rows = Vec::new();
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() || words.iter().all(|w| w.bytes().all(|b| b == b'-')) {
            continue;
        }
        // Names may in principle contain spaces: take the fixed columns from the right.
        let [.., digest, size, role] = words[..] else { return Err(format!("short row {line:?}")) };
        let name = words[..words.len() - 3].join(" ");
        if name.is_empty() || !is_hex(digest, 64) {
            return Err(format!("bad row {line:?}"));
        }
        let size = size.parse().map_err(|e| format!("bad size in {line:?}: {e}"))?;
        rows.push(CliTarget { name, sha256_hex: digest.to_owned(), size, role: role.to_owned() });
    }
    rows.sort();
    Ok(rows)
}

/// Parses `notary lookup` output: `NAME sha256:HEX SIZE`.
pub fn parse_lookup(text: &str) -> Result<CliLookup, String> {
    let line = text.lines().find(|l| !l.trim().is_empty()).ok_or("empty output")?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let [.., digest, size] = words[..] else { return Err(format!("short line {line:?}")) };
    let name = words[..words.len() - 2].join(" ");
    let hex = digest.strip_prefix("sha256:").filter(|h| is_hex(h, 64)).ok_or(format!("bad digest in {line:?}"))?;
    let size = size.parse().map_err(|e| format!("bad size in {line:?}: {e}"))?;
    Ok(CliLookup { name, sha256_hex: hex.to_owned(), size })
}

/// The key IDs in `notary delegation add` output: `... with keys [ID ID], with paths ...`.
pub fn parse_delegation_add_key_ids(text: &str) -> Vec<String> {
    let Some(start) = text.find("with keys [") else { return Vec::new() };
    let rest = &text[start + "with keys [".len()..];
    let list = &rest[..rest.find(']').unwrap_or(rest.len())];
    list.split_whitespace().map(str::to_owned).collect()
}

/// Parses `notary delegation list` (a tab-aligned table whose multi-valued cells continue on
/// following lines with an empty ROLE cell):
///
/// ```text
/// ROLE                PATHS             KEY IDS                                                             THRESHOLD
/// ----                -----             -------                                                             ---------
/// targets/alice       old/              2a99b249c8a9d715db47096b9fed82c3d8afca84b698685ad560bbbf838b0c99    1
///                     v
/// targets/releases    "" <all paths>    4d6df6b2318f528b96f119f78df57dc560415f4f9d91a98a4429c4d825b7ae30    1
/// ```
///
/// or `No delegations present in this repository.`
pub fn parse_delegation_list(text: &str) -> Result<Vec<CliDelegation>, String> {
    if text.contains("No delegations present in this repository.") {
        return Ok(Vec::new());
    }
    let mut lines = text.lines().skip_while(|l| l.trim().is_empty());
    let header = lines.next().ok_or("no header")?;
    let col = |name: &str| header.find(name).ok_or(format!("no {name} column in {header:?}"));
    let (paths_at, keys_at, threshold_at) = (col("PATHS")?, col("KEY IDS")?, col("THRESHOLD")?);
    if !(paths_at < keys_at && keys_at < threshold_at && header.is_ascii()) {
        return Err(format!("unexpected header {header:?}"));
    }
    let cell = |line: &str, from: usize, to: usize| -> String {
        let end = to.min(line.len());
        if from >= end { String::new() } else { line[from..end].trim().to_owned() }
    };
    let mut roles: Vec<CliDelegation> = Vec::new();
    for line in lines {
        if line.trim().is_empty() || line.trim().bytes().all(|b| b == b'-' || b == b' ') || !line.is_ascii() {
            continue;
        }
        let role = cell(line, 0, paths_at);
        let path = cell(line, paths_at, keys_at);
        let key = cell(line, keys_at, threshold_at);
        let threshold = cell(line, threshold_at, line.len());
        let path = if path == "\"\" <all paths>" { String::new() } else { path };
        if role.is_empty() {
            let last = roles.last_mut().ok_or(format!("continuation line before any role: {line:?}"))?;
            if !path.is_empty() {
                last.paths.push(path);
            }
            if !key.is_empty() {
                last.canonical_key_ids.push(key);
            }
            continue;
        }
        let threshold = threshold.parse().map_err(|e| format!("bad threshold in {line:?}: {e}"))?;
        let keys = if key.is_empty() { Vec::new() } else { vec![key] };
        roles.push(CliDelegation { role, paths: vec![path], canonical_key_ids: keys, threshold });
    }
    for r in &mut roles {
        r.paths.sort();
        r.canonical_key_ids.sort();
    }
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_output_parses() {
        let text = "NAME     DIGEST                                                              SIZE (BYTES)    ROLE\n\
                    ----     ------                                                              ------------    ----\n\
                    v2       2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90    5               targets/alice\n\
                    a b      2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824    0               targets\n";
        let rows = parse_list(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].name.as_str(), rows[0].size, rows[0].role.as_str()), ("a b", 0, "targets"));
        assert_eq!(rows[1].sha256_hex, "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90");
        assert_eq!(parse_list("\nNo targets present in this repository.\n\n").unwrap(), []);
    }

    #[test]
    fn lookup_output_parses() {
        let l = parse_lookup("v1 sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 5\n").unwrap();
        assert_eq!((l.name.as_str(), l.size), ("v1", 5));
    }

    #[test]
    fn delegation_list_output_parses() {
        let text = "\nROLE                PATHS             KEY IDS                                                             THRESHOLD\n\
                    ----                -----             -------                                                             ---------\n\
                    targets/alice       old/              2a99b249c8a9d715db47096b9fed82c3d8afca84b698685ad560bbbf838b0c99    1\n                    \
                    v                                                                                     \n\
                    targets/releases    \"\" <all paths>    4d6df6b2318f528b96f119f78df57dc560415f4f9d91a98a4429c4d825b7ae30    1\n\n";
        let roles = parse_delegation_list(text).unwrap();
        assert_eq!(roles.len(), 2);
        assert_eq!(roles[0].role, "targets/alice");
        assert_eq!(roles[0].paths, ["old/", "v"]);
        assert_eq!(roles[0].canonical_key_ids, ["2a99b249c8a9d715db47096b9fed82c3d8afca84b698685ad560bbbf838b0c99"]);
        assert_eq!((roles[1].paths.as_slice(), roles[1].threshold), (&["".to_owned()][..], 1));
    }

    #[test]
    fn delegation_add_output_key_ids_parse() {
        let text = "Addition of delegation role targets/alice with keys [2a99b249c8a9d715db47096b9fed82c3d8afca84b698685ad560bbbf838b0c99], with paths [old/\nv], to repository \"x\" staged for next publish.\n";
        assert_eq!(
            parse_delegation_add_key_ids(text),
            ["2a99b249c8a9d715db47096b9fed82c3d8afca84b698685ad560bbbf838b0c99"]
        );
    }
}
