//! `examples/trust/main.rs`, run as a user runs it — the built binary, a fresh `DOCKER_CONFIG`, the
//! real notary-server and registry of a local stack — and compared with the real docker CLI
//! (`docker trust` needs no daemon for these commands) when it is installed.
//!
//! scripts/test runs `cargo build --examples` first (`cargo test --all-targets` alone builds
//! examples only as test harnesses). Without the binary the tests are skipped (they fail
//! under `CI`); without the notary stack the stack tests are skipped the same way; without
//! docker only the comparisons with docker are skipped.

#[allow(dead_code)] // docker_inspect: this test compares raw output instead
#[path = "support/docker_cli.rs"]
mod docker_cli;
#[path = "support/examples.rs"]
mod examples;
#[path = "support/stack.rs"]
mod stack;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use notary_client::docker::{self, DockerConfig, DockerTrust, ImageReference, TrustServer};
use notary_client::passphrase::FixedPassphrase;

use docker_cli::{docker_config, docker_installed};
use examples::{Out, docker_command, output};
use stack::Stack;

const ROOT_PASSPHRASE: &str = "root-passphrase-1";
const REPOSITORY_PASSPHRASE: &str = "repository-passphrase-1";

/// `program` with a clean Docker environment, `DOCKER_CONFIG` = `config` and (with a stack)
/// the stack's notary server.
fn command(program: &Path, config: &Path, stack: Option<&Stack>) -> Command {
    docker_command(program, config, stack.map(Stack::notary_url))
}

/// The binary, a configuration directory and, for most tests, a stack whose CA the
/// configuration trusts (`tls/<notary host>/ca.crt`).
struct Env {
    bin: PathBuf,
    config: tempfile::TempDir,
    stack: Option<Stack>,
}

impl Env {
    /// Without a stack (commands that stay local).
    fn local() -> Option<Env> {
        let bin = examples::example("trust")?;
        let config = tempfile::Builder::new().prefix("trust-example.").tempdir().expect("config dir");
        Some(Env { bin, config, stack: None })
    }

    /// With a stack of its own.
    fn with_stack() -> Option<Env> {
        let bin = examples::example("trust")?;
        if !stack::require_stack() {
            return None;
        }
        let stack = Stack::up();
        let config = docker_config(&stack);
        Some(Env { bin, config, stack: Some(stack) })
    }

    fn stack(&self) -> &Stack {
        self.stack.as_ref().expect("this test has a stack")
    }

    fn dir(&self) -> &Path {
        self.config.path()
    }

    /// `trust ARGS` with both passphrase variables set.
    fn trust(&self, args: &[&str]) -> Command {
        let mut cmd = self.trust_without_passphrases(args);
        cmd.env("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", ROOT_PASSPHRASE)
            .env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", REPOSITORY_PASSPHRASE);
        cmd
    }

    fn trust_without_passphrases(&self, args: &[&str]) -> Command {
        let mut cmd = command(&self.bin, self.dir(), self.stack.as_ref());
        cmd.args(args);
        cmd
    }

    /// `trust ARGS` (passphrases set, empty stdin).
    fn run(&self, args: &[&str]) -> Out {
        output(self.trust(args), "")
    }

    /// `docker trust ARGS` with the same environment as [`Env::trust`].
    fn docker(&self, args: &[&str]) -> Out {
        let mut cmd = command(Path::new("docker"), self.dir(), self.stack.as_ref());
        cmd.arg("trust").args(args);
        cmd.env("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", ROOT_PASSPHRASE)
            .env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", REPOSITORY_PASSPHRASE);
        output(cmd, "")
    }

    /// An image of the stack's registry (its GUN is the same name).
    fn image(&self, name: &str) -> String {
        format!("{}/trust-example/{name}", self.stack().registry_host())
    }

    /// `trust key generate NAME --dir CONFIG`: the public key file.
    fn generate_key(&self, name: &str) -> PathBuf {
        self.run(&["key", "generate", name, "--dir", &self.dir().to_string_lossy()]).success();
        self.dir().join(format!("{name}.pub"))
    }

    /// A new signer key `name`, added as signer of `image` (initialising it if needed).
    fn add_signer(&self, name: &str, image: &str) {
        let key = self.generate_key(name);
        self.run(&["signer", "add", "--key", &key.to_string_lossy(), name, image]).success();
    }

    /// Signs `tag` of `image` as a made-up manifest `body`, with the library and the keys of
    /// the configuration directory (as `trust sign` does once it has the manifest).
    async fn sign_with_library(&self, image: &str, tag: &str, body: &str) {
        let url = self.stack().notary_url().to_owned();
        let server = TrustServer::from_lookup(move |var| (var == "DOCKER_CONTENT_TRUST_SERVER").then(|| url.clone()));
        let config = DockerConfig::load(self.dir()).expect("config.json");
        let trust =
            DockerTrust::new(self.dir(), config, server).with_passphrases(FixedPassphrase::new(REPOSITORY_PASSPHRASE));
        let reference = ImageReference::parse(image).expect("image reference");
        let repo = trust.repository(&reference).expect("repository");
        docker::sign_tag(&repo, tag, sha256(body.as_bytes()), body.len() as i64)
            .await
            .unwrap_or_else(|e| panic!("sign {image}:{tag}: {e}"));
    }

    /// `trust inspect ARGS` as JSON.
    fn inspect(&self, args: &[&str]) -> serde_json::Value {
        let out = self.run(&[&["inspect"], args].concat()).success();
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("inspect prints JSON ({e}):\n{}", out.stdout))
    }

    /// The key files of `trust/private`.
    fn private_keys(&self) -> Vec<PathBuf> {
        let dir = self.dir().join("trust").join("private");
        let mut keys: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries.map(|e| e.expect("list trust/private").path()).collect(),
            Err(_) => Vec::new(),
        };
        keys.sort();
        keys
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().try_into().expect("32 bytes")
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha256(bytes))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

/// The names of the signers an inspect report lists.
fn signer_names(report: &serde_json::Value) -> Vec<String> {
    report[0]["Signers"]
        .as_array()
        .expect("Signers")
        .iter()
        .map(|s| s["Name"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// `(tag, digest)` of the signed tags of an inspect report.
fn signed_tags(report: &serde_json::Value) -> Vec<(String, String)> {
    report[0]["SignedTags"]
        .as_array()
        .expect("SignedTags")
        .iter()
        .map(|t| (t["SignedTag"].as_str().unwrap_or("").to_owned(), t["Digest"].as_str().unwrap_or("").to_owned()))
        .collect()
}

// ------------------------------------------------------------------------------------------
// Command line

#[test]
fn every_command_has_help_and_exits_zero() {
    let Some(env) = Env::local() else { return };
    let commands: &[&[&str]] = &[
        &[],
        &["inspect"],
        &["key"],
        &["key", "generate"],
        &["key", "load"],
        &["signer"],
        &["signer", "add"],
        &["signer", "remove"],
        &["sign"],
        &["revoke"],
    ];
    for command in commands {
        let out = env.run(&[*command, &["--help"]].concat());
        assert_eq!(out.code, Some(0), "{command:?} --help: {out:?}");
        assert!(out.stdout.contains("Usage: trust"), "{command:?} --help:\n{}", out.stdout);
    }
    // A command group alone shows its help (on stderr, as docker) and exits 0.
    for group in [&[][..], &["key"], &["signer"]] {
        let out = env.run(group);
        assert_eq!(out.code, Some(0), "{group:?}: {out:?}");
        assert!(out.stderr.contains("Usage: trust"), "{group:?}: {out:?}");
    }
}

#[test]
fn usage_errors_are_worded_and_numbered_as_docker() {
    let Some(env) = Env::local() else { return };
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["key", "generate"],
            1,
            "trust: 'trust key generate' requires 1 argument\n\nUsage:  trust key generate NAME\n\nRun 'trust key \
             generate --help' for more information\n",
        ),
        (
            &["key", "generate", "a", "b"],
            1,
            "trust: 'trust key generate' requires 1 argument\n\nUsage:  trust key generate NAME\n\nRun 'trust key \
             generate --help' for more information\n",
        ),
        (
            &["signer", "add", "alice"],
            1,
            "trust: 'trust signer add' requires at least 2 arguments\n\nUsage:  trust signer add OPTIONS NAME \
             REPOSITORY [REPOSITORY...] \n\nSee 'trust signer add --help' for more information\n",
        ),
        (
            &["inspect"],
            1,
            "trust: 'trust inspect' requires at least 1 argument\n\nUsage:  trust inspect IMAGE[:TAG] \
             [IMAGE[:TAG]...]\n\nSee 'trust inspect --help' for more information\n",
        ),
        (
            &["key", "generate", "--bogus", "x"],
            125,
            "unknown flag: --bogus\n\nUsage:  trust key generate NAME\n\nRun 'trust key generate --help' for more \
             information\n",
        ),
        (
            &["revoke", "-x", "a"],
            125,
            "unknown shorthand flag: 'x' in -x\n\nUsage:  trust revoke [OPTIONS] IMAGE[:TAG]\n\nRun 'trust revoke \
             --help' for more information\n",
        ),
        (
            &["key", "generate", "--dir"],
            125,
            "flag needs an argument: --dir\n\nUsage:  trust key generate NAME\n\nRun 'trust key generate --help' for \
             more information\n",
        ),
        (
            &["bogus"],
            1,
            "trust: unknown command: trust bogus\n\nUsage:  trust\n\nRun 'trust --help' for more information\n",
        ),
        (
            &["signer", "bogus"],
            1,
            "trust: unknown command: trust signer bogus\n\nUsage:  trust signer\n\nRun 'trust signer --help' for more \
             information\n",
        ),
    ];
    let docker = docker_installed("the comparison of usage errors with docker");
    for (args, code, stderr) in cases {
        let out = env.run(args);
        assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (Some(*code), "", *stderr), "{args:?}");
        if docker {
            let theirs = env.docker(args);
            let theirs_stderr = theirs.stderr.replace("docker trust", "trust").replace("docker: ", "trust: ");
            assert_eq!((theirs.code, theirs_stderr.as_str()), (Some(*code), *stderr), "docker trust {args:?}");
        }
    }
}

// ------------------------------------------------------------------------------------------
// trust key

#[test]
fn key_generate_writes_a_public_key_and_a_private_key_notary_and_docker_read() {
    let Some(env) = Env::local() else { return };
    if !stack::require_stack() {
        return;
    }
    let dir = env.dir().to_string_lossy().into_owned();
    let out = env.run(&["key", "generate", "alice", "--dir", &dir]).success();
    let public = env.dir().join("alice.pub");
    assert_eq!(
        out.stdout,
        format!(
            "Generating key for alice...\nSuccessfully generated and loaded private key. Corresponding public key \
             available: {}\n",
            public.display()
        )
    );
    // NAME.pub: a PUBLIC KEY PEM with the role header, mode 0600 as docker writes it.
    let pem = std::fs::read(&public).expect("alice.pub");
    assert!(String::from_utf8_lossy(&pem).starts_with("-----BEGIN PUBLIC KEY-----\nrole: alice\n"), "{pem:?}");
    assert_eq!(mode(&public), 0o600);
    let key = notary_client::key_file::decode_public_key(&pem).expect("alice.pub is a public key");
    // trust/private/<ID>.key: encrypted, role alice, mode 0600.
    let keys = env.private_keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].file_stem().and_then(|s| s.to_str()), Some(key.id().as_str()));
    assert_eq!(mode(&keys[0]), 0o600);
    let text = std::fs::read_to_string(&keys[0]).expect("key file");
    assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: alice\n"), "{text}");
    // notary decrypts it with the passphrase (and only with it): `notary key passwd` on a copy.
    let copy = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(copy.path().join("private")).expect("private dir");
    let copied = copy.path().join("private").join(keys[0].file_name().expect("file name"));
    std::fs::copy(&keys[0], &copied).expect("copy key");
    std::fs::set_permissions(&copied, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let passwd = |passphrase: &str| {
        let mut cmd = Command::new("notary");
        cmd.arg("-d").arg(copy.path()).args(["key", "passwd", key.id().as_str()]);
        cmd.env("NOTARY_DELEGATION_PASSPHRASE", passphrase);
        output(cmd, "")
    };
    assert_eq!(passwd("not-the-passphrase").code, Some(1));
    passwd(REPOSITORY_PASSPHRASE).success();
    // docker trust key load decrypts it too (docker 28 then stores nothing for encrypted
    // input: only the decryption is compared).
    if docker_installed("docker trust key load of our key file") {
        let other = tempfile::tempdir().expect("tempdir");
        let load = |passphrase: &str| {
            let mut cmd = command(Path::new("docker"), other.path(), None);
            cmd.args(["trust", "key", "load", "--name", "alice"]).arg(&keys[0]);
            cmd.env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", passphrase);
            output(cmd, "")
        };
        let wrong = load("not-the-passphrase");
        assert_eq!(wrong.code, Some(1), "{wrong:?}");
        assert!(wrong.stderr.contains("could not decrypt key"), "{wrong:?}");
        load(REPOSITORY_PASSPHRASE).success();
    }
    // The public key file is never overwritten.
    let again = env.run(&["key", "generate", "alice", "--dir", &dir]);
    assert_eq!(again.code, Some(1));
    assert_eq!(again.stderr, format!("public key file already exists: \"{}\"\n", public.display()));
}

#[test]
fn key_generate_refuses_bad_names_and_missing_directories_as_docker() {
    let Some(env) = Env::local() else { return };
    let out = env.run(&["key", "generate", "Alice"]);
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr,
        "key name \"Alice\" must start with lowercase alphanumeric characters and can include \"-\" or \"_\" after \
         the first character\n"
    );
    let out = env.run(&["key", "generate", "alice", "--dir", "/nonexistent-dir"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "public key path does not exist: \"/nonexistent-dir\"\n"));
    assert!(env.private_keys().is_empty());
}

#[test]
fn key_load_imports_a_key_the_docker_cli_generated() {
    let Some(env) = Env::local() else { return };
    // The key to load: from `docker trust key generate` when docker is installed, else from
    // ours (in another configuration directory).
    let source = tempfile::tempdir().expect("tempdir");
    let generate = if docker_installed("loading a key docker generated (our own is loaded instead)") {
        let mut cmd = command(Path::new("docker"), source.path(), None);
        cmd.args(["trust", "key", "generate", "bob", "--dir"]).arg(source.path());
        cmd
    } else {
        let mut cmd = command(&env.bin, source.path(), None);
        cmd.args(["key", "generate", "bob", "--dir"]).arg(source.path());
        cmd
    };
    let mut generate = generate;
    generate.env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "generated-passphrase");
    output(generate, "").success();
    let public =
        notary_client::key_file::decode_public_key(&std::fs::read(source.path().join("bob.pub")).expect("pub"))
            .expect("bob.pub");
    let file = source.path().join("trust").join("private").join(format!("{}.key", public.id()));
    let file_arg = file.to_string_lossy().into_owned();

    // The docker key is encrypted with the passphrase docker asks for as "encrypted" (the
    // repository variable); ours re-encrypts it with the same variable's value.
    let mut load = env.trust_without_passphrases(&["key", "load", "--name", "bob", &file_arg]);
    load.env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "generated-passphrase");
    let out = output(load, "").success();
    assert_eq!(out.stdout, format!("Loading key from \"{file_arg}\"...\nSuccessfully imported key from {file_arg}\n"));
    let keys = env.private_keys();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].file_stem().and_then(|s| s.to_str()), Some(public.id().as_str()));
    let text = std::fs::read_to_string(&keys[0]).expect("key file");
    assert!(text.contains("role: bob\n"), "{text}");
    assert_eq!(mode(&keys[0]), 0o600);
}

#[test]
fn key_load_refuses_public_keys_and_files_others_can_read() {
    let Some(env) = Env::local() else { return };
    let public = env.generate_key("carol");
    let public_arg = public.to_string_lossy().into_owned();
    let out = env.run(&["key", "load", &public_arg]);
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr,
        format!(
            "error importing key from {public_arg}: provided file {public_arg} is not a supported private key - to add \
             a signer's public key use trust signer add\n"
        )
    );
    let key = env.private_keys().remove(0);
    let loose = env.dir().join("loose.key");
    std::fs::copy(&key, &loose).expect("copy");
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let loose_arg = loose.to_string_lossy().into_owned();
    let out = env.run(&["key", "load", &loose_arg]);
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr,
        format!(
            "refusing to load key from {loose_arg}: private key file {loose_arg} must not be readable or writable by \
             others\n"
        )
    );
}

#[test]
fn passphrases_are_prompted_for_and_read_from_stdin_when_the_variables_are_unset() {
    let Some(env) = Env::local() else { return };
    let dir = env.dir().to_string_lossy().into_owned();
    let cmd = env.trust_without_passphrases(&["key", "generate", "dave", "--dir", &dir]);
    let out = output(cmd, "short\nlong-enough-1\nlong-enough-1\n").success();
    let id = env.private_keys()[0].file_stem().and_then(|s| s.to_str()).expect("key id").to_owned();
    let short = &id[..7];
    assert_eq!(
        out.stdout,
        format!(
            "Generating key for dave...\nEnter passphrase for new dave key with ID {short}: \nPassphrase is too short. \
             Please use a password manager to generate and store a good random passphrase.\nEnter passphrase for new \
             dave key with ID {short}: \nRepeat passphrase for new dave key with ID {short}: \nSuccessfully generated \
             and loaded private key. Corresponding public key available: {dir}/dave.pub\n"
        )
    );
    // When stdin ends, the command fails at once, saying which variable to set.
    let cmd = env.trust_without_passphrases(&["key", "generate", "erin", "--dir", &dir]);
    let out = output(cmd, "");
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.starts_with("failed to generate key for erin: "), "{}", out.stderr);
    assert!(out.stderr.contains("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"), "{}", out.stderr);
    assert!(!env.dir().join("erin.pub").exists());
}

// ------------------------------------------------------------------------------------------
// trust signer

#[test]
fn signer_add_initialises_a_new_repository_with_docker_s_lines() {
    let Some(env) = Env::with_stack() else { return };
    let key = env.generate_key("alice");
    let key = key.to_string_lossy().into_owned();
    let image = env.image("app");
    let out = env.run(&["signer", "add", "--key", &key, "alice", &image]).success();
    let lines = |image: &str| {
        format!(
            "Adding signer \"alice\" to {image}...\nInitializing signed repository for {image}...\nSuccessfully \
             initialized \"{image}\"\nSuccessfully added signer: alice to {image}\n\n"
        )
    };
    assert_eq!(out.stdout, lines(&image));
    let report = env.inspect(&[&image]);
    assert_eq!(signer_names(&report), ["alice"]);
    // A second signer on the existing repository: no initialisation.
    let bob = env.generate_key("bob");
    let out = env.run(&["signer", "add", "--key", &bob.to_string_lossy(), "bob", &image]).success();
    assert_eq!(
        out.stdout,
        format!("Adding signer \"bob\" to {image}...\nSuccessfully added signer: bob to {image}\n\n")
    );
    assert_eq!(signer_names(&env.inspect(&[&image])), ["bob", "alice"]);
    // docker prints the same lines for the same work.
    if docker_installed("the comparison of signer add with docker") {
        let other = env.image("other");
        let theirs = env.docker(&["signer", "add", "--key", &key, "alice", &other]).success();
        assert_eq!(theirs.stdout, lines(&other));
    }
}

#[test]
fn signer_add_refusals_are_docker_s() {
    let Some(env) = Env::with_stack() else { return };
    let image = env.image("app");
    let cases: &[(&[&str], &str)] = &[
        (
            &["signer", "add", "--key", "k.pub", "Alice", "x"],
            "signer name \"Alice\" must start with lowercase alphanumeric characters and can include \"-\" or \"_\" \
             after the first character\n",
        ),
        (
            &["signer", "add", "--key", "k.pub", "releases", "x"],
            "releases is a reserved keyword, use a different signer name\n",
        ),
        (&["signer", "add", "alice", "x"], "path to a public key must be provided using the `--key` flag\n"),
    ];
    for (args, stderr) in cases {
        let out = env.run(args);
        assert_eq!((out.code, out.stderr.as_str()), (Some(1), *stderr), "{args:?}");
    }
    let out = env.run(&["signer", "add", "--key", "/nonexistent.pub", "alice", &image]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.starts_with("unable to read public key from file: "), "{}", out.stderr);
    // Nothing was initialised.
    assert_eq!(env.run(&["inspect", &image]).code, Some(1));
}

/// An image whose signer alice signed tag `1.0` (released through `targets/releases`).
async fn image_signed_by_alice(env: &Env, name: &str) -> String {
    let image = env.image(name);
    env.add_signer("alice", &image);
    env.sign_with_library(&image, "1.0", "{\"manifest\":1}").await;
    image
}

#[tokio::test]
async fn signer_remove_asks_before_removing_the_last_signer_and_no_keeps_it() {
    let Some(env) = Env::with_stack() else { return };
    let image = image_signed_by_alice(&env, "app").await;
    let before = env.inspect(&[&image]);
    let out = env.run(&["signer", "remove", "alice", &image]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "Removing signer \"alice\" from {image}...\nThe signer \"alice\" signed the last released version of \
             {image}. Removing this signer will make {image} unpullable. Are you sure you want to continue? [y/N] \
             \nAborting action.\n"
        )
    );
    assert_eq!(env.inspect(&[&image]), before, "nothing changed");
    // Answering y removes it.
    let out = output(env.trust(&["signer", "remove", "alice", &image]), "y\n").success();
    assert!(out.stdout.ends_with(&format!("Successfully removed alice from {image}\n\n")), "{}", out.stdout);
    assert!(signer_names(&env.inspect(&[&image])).is_empty());
}

#[tokio::test]
async fn signer_remove_force_removes_the_last_signer_without_asking() {
    let Some(env) = Env::with_stack() else { return };
    let image = image_signed_by_alice(&env, "app").await;
    let out = env.run(&["signer", "remove", "-f", "alice", &image]).success();
    assert_eq!(
        out.stdout,
        format!("Removing signer \"alice\" from {image}...\nSuccessfully removed alice from {image}\n\n")
    );
    assert!(signer_names(&env.inspect(&[&image])).is_empty());
}

#[tokio::test]
async fn signer_remove_of_another_signer_does_not_ask_and_unknown_signers_fail() {
    let Some(env) = Env::with_stack() else { return };
    let image = image_signed_by_alice(&env, "app").await;
    env.add_signer("bob", &image);
    let out = env.run(&["signer", "remove", "bob", &image]).success();
    assert_eq!(
        out.stdout,
        format!("Removing signer \"bob\" from {image}...\nSuccessfully removed bob from {image}\n\n")
    );
    assert_eq!(signer_names(&env.inspect(&[&image])), ["alice"]);
    let out = env.run(&["signer", "remove", "carol", &image]);
    assert_eq!(out.code, Some(1));
    assert_eq!(out.stdout, format!("Removing signer \"carol\" from {image}...\n"));
    assert_eq!(out.stderr, format!("no signer carol for repository {image}\n\nerror removing signer from: {image}\n"));
}

#[test]
fn signer_remove_of_a_repository_with_nothing_signed_does_not_ask() {
    let Some(env) = Env::with_stack() else { return };
    let image = env.image("app");
    env.add_signer("alice", &image);
    // Docker refuses here ("all signed tags are currently revoked"); nothing can become
    // unpullable, so the signer is removed.
    let out = env.run(&["signer", "remove", "alice", &image]).success();
    assert_eq!(
        out.stdout,
        format!("Removing signer \"alice\" from {image}...\nSuccessfully removed alice from {image}\n\n")
    );
    assert!(signer_names(&env.inspect(&[&image])).is_empty());
}

// ------------------------------------------------------------------------------------------
// trust inspect

/// An image with two signers, tags signed by alice and by the repository owner.
async fn image_with_signatures(env: &Env, name: &str) -> String {
    let image = image_signed_by_alice(env, name).await;
    env.sign_with_library(&image, "v10", "{\"manifest\":10}").await;
    env.sign_with_library(&image, "v2", "{\"manifest\":2}").await;
    env.add_signer("bob", &image);
    image
}

#[tokio::test]
async fn inspect_prints_docker_s_json_byte_for_byte() {
    let Some(env) = Env::with_stack() else { return };
    let image = image_with_signatures(&env, "app").await;
    let report = env.inspect(&[&image]);
    assert_eq!(report[0]["Name"], image.as_str());
    assert_eq!(signer_names(&report), ["bob", "alice"]);
    assert_eq!(
        signed_tags(&report),
        [
            ("1.0".to_owned(), sha256_hex(b"{\"manifest\":1}")),
            ("v2".to_owned(), sha256_hex(b"{\"manifest\":2}")),
            ("v10".to_owned(), sha256_hex(b"{\"manifest\":10}")),
        ]
    );
    if !docker_installed("the comparison of inspect with docker trust inspect") {
        return;
    }
    let missing = env.image("missing");
    let with_tag = format!("{image}:v2");
    for args in
        [vec![image.as_str()], vec![with_tag.as_str()], vec![image.as_str(), with_tag.as_str(), missing.as_str()]]
    {
        let ours = env.run(&[&["inspect"], args.as_slice()].concat());
        let theirs = env.docker(&[&["inspect"], args.as_slice()].concat());
        assert_eq!(ours.stdout, theirs.stdout, "inspect {args:?}");
        assert_eq!(ours.code, theirs.code, "inspect {args:?}: {ours:?} {theirs:?}");
    }
}

#[tokio::test]
async fn inspect_pretty_prints_docker_s_text_byte_for_byte() {
    let Some(env) = Env::with_stack() else { return };
    let image = image_with_signatures(&env, "app").await;
    let out = env.run(&["inspect", "--pretty", &image]).success();
    let alice = env.inspect(&[&image])[0]["Signers"][1]["Keys"][0]["ID"].as_str().expect("alice's key").to_owned();
    assert!(out.stdout.starts_with(&format!("\nSignatures for {image}\n\nSIGNED TAG   DIGEST ")), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("\nalice     {}\n", &alice[..12])), "{}", out.stdout);
    assert!(out.stdout.contains("  Repository Key:\t"), "{}", out.stdout);
    if !docker_installed("the comparison of inspect --pretty with docker") {
        return;
    }
    let other = env.image("other");
    env.add_signer("carol", &other);
    let with_tag = format!("{image}:1.0");
    for args in [vec![image.as_str()], vec![with_tag.as_str(), other.as_str()]] {
        let ours = env.run(&[&["inspect", "--pretty"], args.as_slice()].concat()).success();
        let theirs = env.docker(&[&["inspect", "--pretty"], args.as_slice()].concat()).success();
        assert_eq!(ours.stdout, theirs.stdout, "inspect --pretty {args:?}");
    }
}

#[test]
fn inspect_of_a_repository_without_trust_data_prints_an_empty_list_and_exits_one() {
    let Some(env) = Env::with_stack() else { return };
    let image = env.image("missing");
    let out = env.run(&["inspect", &image]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(1), "[]\n"));
    assert!(out.stderr.starts_with(&format!("no signatures or cannot access {image}")), "{}", out.stderr);
    let out = env.run(&["inspect", "--pretty", &image]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(1), ""));
}

// ------------------------------------------------------------------------------------------
// trust revoke

#[tokio::test]
async fn revoke_yes_removes_one_tag_then_all_tags() {
    let Some(env) = Env::with_stack() else { return };
    let image = image_signed_by_alice(&env, "app").await;
    env.sign_with_library(&image, "2.0", "{\"manifest\":2}").await;
    let one = format!("{image}:1.0");
    let out = env.run(&["revoke", "-y", &one]).success();
    assert_eq!(out.stdout, format!("Successfully deleted signature for {one}\n"));
    assert_eq!(signed_tags(&env.inspect(&[&image])), [("2.0".to_owned(), sha256_hex(b"{\"manifest\":2}"))]);
    // A tag that is not signed.
    let out = env.run(&["revoke", "-y", &one]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.starts_with(&format!("could not remove signature for {one}: ")), "{}", out.stderr);
    // Every tag, without a prompt.
    let out = env.run(&["revoke", "--yes", &image]).success();
    assert_eq!(out.stdout, format!("Successfully deleted signature for {image}\n"));
    assert!(signed_tags(&env.inspect(&[&image])).is_empty());
}

#[tokio::test]
async fn revoke_of_every_tag_asks_first_and_no_changes_nothing() {
    let Some(env) = Env::with_stack() else { return };
    let image = image_signed_by_alice(&env, "app").await;
    let before = env.inspect(&[&image]);
    let out = env.run(&["revoke", &image]);
    assert_eq!(out.code, Some(0), "a declined revoke is not an error (docker exits 0): {out:?}");
    assert_eq!(out.stdout, format!("Confirm you would like to delete all signature data for {image}? [y/N] "));
    assert_eq!(out.stderr, "");
    assert_eq!(env.inspect(&[&image]), before);
    let digest = format!("{image}@sha256:{}", "a".repeat(64));
    let out = env.run(&["revoke", "-y", &digest]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "cannot use a digest reference for IMAGE:TAG\n"));
}

// ------------------------------------------------------------------------------------------
// Passphrases

#[tokio::test]
async fn a_wrong_passphrase_fails_naming_the_key_and_changes_nothing() {
    let Some(env) = Env::with_stack() else { return };
    let image = image_signed_by_alice(&env, "app").await;
    let bob = env.generate_key("bob");
    let before = env.inspect(&[&image]);
    let targets_key = before[0]["AdministrativeKeys"][1]["Keys"][0]["ID"].as_str().expect("targets key").to_owned();
    let mut cmd = env.trust(&["signer", "add", "--key", &bob.to_string_lossy(), "bob", &image]);
    cmd.env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "not-the-passphrase");
    let out = output(cmd, "");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains(&format!("wrong passphrase for key {targets_key} (role targets)")), "{}", out.stderr);
    assert!(out.stderr.ends_with(&format!("\n\nfailed to add signer to: {image}\n")), "{}", out.stderr);
    assert_eq!(env.inspect(&[&image]), before, "nothing changed");
    // Typed wrong four times on stdin: notary's prompts, then the same failure.
    let cmd = env.trust_without_passphrases(&["signer", "add", "--key", &bob.to_string_lossy(), "bob", &image]);
    let out = output(cmd, "w1\nw2\nw3\nw4\n");
    assert_eq!(out.code, Some(1), "{out:?}");
    let prompt = format!("Enter passphrase for repository key with ID {}: \n", &targets_key[..7]);
    let retry = "Passphrase incorrect. Please retry.\n";
    assert_eq!(
        out.stdout,
        format!("Adding signer \"bob\" to {image}...\n{prompt}{retry}{prompt}{retry}{prompt}{retry}{prompt}")
    );
    assert_eq!(env.inspect(&[&image]), before, "nothing changed");
}

// ------------------------------------------------------------------------------------------
// trust sign

/// A minimal HTTP/1.1 exchange with the stack's plain-HTTP registry: status and headers.
fn registry_request(
    env: &Env,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, Vec<(String, String)>) {
    let address = env.stack().registry_url().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).unwrap_or_else(|e| panic!("connect to {address}: {e}"));
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body)).expect("send the request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read the response");
    let text = String::from_utf8_lossy(&response);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers)
}

/// Pushes a one-layer OCI image as `name:tag` into the stack's registry with plain HTTP
/// requests; returns the registry's `Docker-Content-Digest` of the manifest and its size.
fn push_tiny_image(env: &Env, name: &str, tag: &str) -> (String, usize) {
    let repository = format!("trust-example/{name}");
    // An upload session (POST), then the whole blob in one PUT to its location.
    let blob = |content: &[u8]| {
        let digest = format!("sha256:{}", sha256_hex(content));
        let uploads = format!("/v2/{repository}/blobs/uploads/");
        let (status, headers) = registry_request(env, "POST", &uploads, "application/octet-stream", b"");
        assert_eq!(status, 202, "start of the upload of {digest}");
        let location = headers.iter().find(|(k, _)| k == "location").map(|(_, v)| v.as_str()).expect("Location");
        // Absolute (`http://host/v2/…`) or absolute-path: keep the path and query.
        let path = match location.find("://") {
            Some(scheme) => location[scheme + 3..].find('/').map_or("/", |p| &location[scheme + 3 + p..]),
            None => location,
        };
        let separator = if path.contains('?') { '&' } else { '?' };
        let (status, _) = registry_request(
            env,
            "PUT",
            &format!("{path}{separator}digest={digest}"),
            "application/octet-stream",
            content,
        );
        assert_eq!(status, 201, "upload of {digest}");
        digest
    };
    let layer = b"not really a tarball, the registry does not look".to_vec();
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":{}}}]}}"#,
        blob(&config),
        config.len(),
        blob(&layer),
        layer.len()
    );
    let path = format!("/v2/{repository}/manifests/{tag}");
    let (status, headers) =
        registry_request(env, "PUT", &path, "application/vnd.oci.image.manifest.v1+json", manifest.as_bytes());
    assert_eq!(status, 201, "manifest PUT");
    let digest = headers.iter().find(|(k, _)| k == "docker-content-digest").map(|(_, v)| v.clone());
    let digest = digest.expect("Docker-Content-Digest");
    assert_eq!(digest, format!("sha256:{}", sha256_hex(manifest.as_bytes())));
    (digest, manifest.len())
}

/// `config.json` with credentials of user `user` for the stack's registry (it does not ask
/// for them; `trust sign` names its first signer after the user).
fn log_in(env: &Env, user: &str) {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:secret"));
    let config = serde_json::json!({ "auths": { env.stack().registry_host(): { "auth": auth } } });
    std::fs::write(env.dir().join("config.json"), config.to_string()).expect("write config.json");
}

#[test]
fn sign_signs_the_manifest_the_registry_serves_and_creates_docker_s_signer() {
    let Some(env) = Env::with_stack() else { return };
    let (digest, size) = push_tiny_image(&env, "app", "1.0");
    log_in(&env, "ci-bot");
    let image = env.image("app");
    let tagged = format!("{image}:1.0");
    let out = env.run(&["sign", &tagged]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "Created signer: ci-bot\nFinished initializing signed repository for {tagged}\nSigning and pushing trust \
             metadata for {tagged}\n1.0: digest: {digest} size: {size}\nSuccessfully signed {tagged}\n"
        )
    );
    let report = env.inspect(&[&image]);
    let hex = digest.trim_start_matches("sha256:").to_owned();
    assert_eq!(signed_tags(&report), [("1.0".to_owned(), hex.clone())]);
    assert_eq!(report[0]["SignedTags"][0]["Signers"], serde_json::json!(["ci-bot"]));
    assert_eq!(signer_names(&report), ["ci-bot"]);
    // Signing again re-signs the same manifest, listing the existing signature first.
    let out = env.run(&["sign", &tagged]).success();
    assert_eq!(
        out.stdout,
        format!(
            "Signing and pushing trust metadata for {tagged}\nExisting signatures for tag 1.0 digest {hex} from:\n\
             ci-bot\n1.0: digest: {digest} size: {size}\nSuccessfully signed {tagged}\n"
        )
    );
}

#[test]
fn sign_without_a_registry_user_does_not_initialise_the_repository() {
    let Some(env) = Env::with_stack() else { return };
    push_tiny_image(&env, "app", "1.0");
    let image = env.image("app");
    let out = env.run(&["sign", &format!("{image}:1.0")]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("docker login"), "{}", out.stderr);
    assert!(out.stderr.contains("signer add"), "{}", out.stderr);
    assert_eq!(env.run(&["inspect", &image]).code, Some(1), "no trust data was created");
    // Once a signer exists (here alice, whose key we hold), sign needs no user name.
    env.add_signer("alice", &image);
    env.run(&["sign", &format!("{image}:1.0")]).success();
    let report = env.inspect(&[&image]);
    assert_eq!(report[0]["SignedTags"][0]["Signers"], serde_json::json!(["alice"]));
}

#[test]
fn sign_refuses_local_images_and_references_without_a_tag() {
    let Some(env) = Env::local() else { return };
    let out = env.run(&["sign", "--local", "localhost:5000/app:1"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("Docker daemon"), "{}", out.stderr);
    let out = env.run(&["sign", "localhost:5000/app"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "no tag specified for localhost:5000/app\n"));
    let out = env.run(&["sign", &format!("localhost:5000/app@sha256:{}", "b".repeat(64))]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "cannot use a digest reference for IMAGE:TAG\n"));
}
