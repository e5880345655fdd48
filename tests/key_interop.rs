//! Key interoperability with the real Go tools, in both directions: keys written by the
//! `notary` CLI (0.7, Debian) and by `docker trust` (docker CLI 28, no daemon needed) load
//! here with the IDs the tools print, and keys written here are used by the tools.
//!
//! `notary` is required: when it is missing these tests fail under `CI` (scripts/test installs
//! it) and are skipped with a notice otherwise. `docker` may be missing anywhere: its tests
//! then print a skip notice and pass. The tests that need a notary server start their own
//! throwaway stack (tests/support/stack.rs).
//!
//! Passphrases reach the tools through the environment of their child process only; this
//! process's environment is never modified.

#[path = "support/stack.rs"]
mod stack;

use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use notary_client::docker::{DockerEnvPassphrase, generate_signer_key};
use notary_client::key_file::{KeyFile, encode_public_key};
use notary_client::keys::PrivateKey;
use notary_client::metadata::{KeyId, RoleName, Root, Signed, Targets};
use notary_client::passphrase::{FixedPassphrase, NotaryEnvPassphrase, Passphrase};
use notary_client::trust_dir::{KeyInfo, TrustDir};
use stack::Stack;

const ROOT_PASS: &str = "root-pass";
const TARGETS_PASS: &str = "targets-pass";
const SNAPSHOT_PASS: &str = "snapshot-pass";
const DELEGATION_PASS: &str = "deleg-pass";
const DOCKER_ROOT_PASS: &str = "docker-root-pass";
const DOCKER_REPO_PASS: &str = "docker-repo-pass";

/// The passphrase variables the notary CLI reads (`cmd/notary/main.go`), all set.
const NOTARY_PASSPHRASES: &[(&str, &str)] = &[
    ("NOTARY_ROOT_PASSPHRASE", ROOT_PASS),
    ("NOTARY_TARGETS_PASSPHRASE", TARGETS_PASS),
    ("NOTARY_SNAPSHOT_PASSPHRASE", SNAPSHOT_PASS),
    ("NOTARY_DELEGATION_PASSPHRASE", DELEGATION_PASS),
];

/// The passphrase variables docker reads (`GetPassphraseRetriever` in docker/cli).
const DOCKER_PASSPHRASES: &[(&str, &str)] = &[
    ("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", DOCKER_ROOT_PASS),
    ("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", DOCKER_REPO_PASS),
];

// ------------------------------------------------------------------------------ helpers

/// Whether `program` is installed, i.e. can be started at all (a spawn error of kind
/// NotFound means it is not on `PATH`; its exit status does not matter).
fn installed(program: &str) -> bool {
    match Command::new(program).arg("--help").stdin(Stdio::null()).output() {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => panic!("cannot run {program}: {e}"),
    }
}

/// True if the notary CLI is installed. Missing: fails the test under `CI` (scripts/test
/// installs it), otherwise prints a skip notice and returns false.
fn require_notary() -> bool {
    if installed("notary") {
        return true;
    }
    let msg = "notary CLI not installed (Debian package `notary`; scripts/test installs it)";
    if std::env::var_os("CI").is_some() {
        panic!("CI is set: {msg}");
    }
    eprintln!("skipped: {msg}");
    false
}

/// True if the docker CLI is installed; otherwise prints the skip notice and returns false
/// (also under `CI`: docker is optional there).
fn require_docker() -> bool {
    if installed("docker") {
        return true;
    }
    eprintln!("skipped: docker CLI not installed (docker trust key generate needs only the CLI)");
    false
}

/// Runs `cmd`, failing the test with its output unless it exits 0.
#[track_caller]
fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `Command` without any passphrase variable of the test process, with `vars` set instead.
fn clean_env<'a>(cmd: &'a mut Command, vars: &[(&str, &str)]) -> &'a mut Command {
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with("NOTARY_") || n.starts_with("DOCKER_CONTENT_TRUST")) {
            cmd.env_remove(name);
        }
    }
    cmd.envs(vars.iter().copied())
}

/// The notary CLI with trust dir `trust` and no server (key commands are local).
fn notary_offline(trust: &Path, vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new("notary");
    clean_env(&mut cmd, vars).arg("-d").arg(trust);
    cmd
}

/// The notary CLI against `stack` with trust dir `trust` and the passphrases `vars`.
fn notary_online(stack: &Stack, trust: &Path, vars: &[(&str, &str)]) -> Command {
    let mut cmd = stack.notary(trust);
    clean_env(&mut cmd, vars);
    cmd
}

/// The docker CLI with its own configuration directory `config` (hence trust directory
/// `config/trust`) and the passphrases `vars`. No daemon is involved.
fn docker(config: &Path, vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new("docker");
    clean_env(&mut cmd, vars).env("DOCKER_CONFIG", config).env_remove("DOCKER_HOST").env_remove("DOCKER_CONTEXT");
    cmd
}

/// A lookup over fixed variables, for the `from_lookup` passphrase retrievers.
fn lookup(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
}

/// One row of `notary key list`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ListedKey {
    role: String,
    gun: Option<String>,
    id: String,
}

fn is_key_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Parses `notary key list`:
///
/// ```text
/// ROLE                GUN    KEY ID                                                              LOCATION
/// ----                ---    ------                                                              --------
/// targets/releases           9b89bb08...                                                         /tmp/T/private
/// ```
///
/// (the GUN column is empty for keys without a `gun` header).
fn parse_notary_key_list(text: &str) -> Vec<ListedKey> {
    let mut keys = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| is_key_id(w)) else { continue };
        let (role, gun) = match at {
            1 => (words[0], None),
            2 => (words[0], Some(words[1].to_owned())),
            _ => panic!("unexpected `notary key list` line {line:?}"),
        };
        keys.push(ListedKey { role: role.to_owned(), gun, id: words[at].to_owned() });
    }
    keys.sort();
    keys
}

/// Our store's listing in the same shape, failing on any file it could not read.
fn our_key_list(trust: &TrustDir) -> Vec<ListedKey> {
    let listing = trust.keys().list().expect("list our key store");
    assert!(listing.skipped.is_empty(), "key files our store could not read: {:?}", listing.skipped);
    let mut keys: Vec<ListedKey> = listing
        .keys
        .iter()
        .map(|k: &KeyInfo| ListedKey {
            role: k.role.clone().unwrap_or_default(),
            gun: k.gun.clone(),
            id: k.id.to_string(),
        })
        .collect();
    keys.sort();
    keys
}

fn key_id(s: &str) -> KeyId {
    KeyId::new(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// `T/tuf/<GUN>/metadata/<role>.json`, as the CLI cached it.
fn cached(trust: &Path, gun: &str, role: &str) -> Vec<u8> {
    let mut path = trust.join("tuf");
    path.extend(gun.split('/'));
    path.push("metadata");
    path.push(format!("{role}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn cached_root(trust: &Path, gun: &str) -> Signed<Root> {
    Signed::<Root>::parse(RoleName::root(), &cached(trust, gun, "root")).expect("parse the cached root.json")
}

fn cached_targets(trust: &Path, gun: &str) -> Signed<Targets> {
    Signed::<Targets>::parse(RoleName::targets(), &cached(trust, gun, "targets"))
        .expect("parse the cached targets.json")
}

/// The canonical IDs (private key file names) of the keys `root.json` lists for base role `role`.
fn canonical_ids_of(root: &Root, role: &str) -> BTreeSet<String> {
    root.role_keys(role).values().map(|k| k.canonical_id().expect("canonical key ID").to_string()).collect()
}

/// The DER inside a `PUBLIC KEY` PEM, and its `role` header.
fn public_key_pem(bytes: &[u8]) -> (Vec<u8>, Option<String>) {
    let pem = pem::parse(bytes).expect("a PEM public key file");
    assert_eq!(pem.tag(), "PUBLIC KEY");
    let role = pem.headers().get("role").map(str::to_owned);
    (pem.contents().to_vec(), role)
}

/// Writes `bytes` to a new file with mode 0600.
fn write_0600(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    f.write_all(bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("key-interop.").tempdir().expect("create a temporary directory")
}

/// A docker configuration directory whose TLS directory trusts `stack`'s notary-server
/// (`$DOCKER_CONFIG/tls/<host:port>/ca.crt`, where docker looks for a notary server's CA).
fn docker_config_for(stack: &Stack, config: &Path) {
    let tls = config.join("tls").join(stack.notary_host());
    std::fs::create_dir_all(&tls).expect("create the docker TLS directory");
    std::fs::copy(stack.notary_ca(), tls.join("ca.crt")).expect("copy the stack CA");
}

// ------------------------------------------------------------------------ notary -> here

#[test]
fn notary_generated_key_loads_with_the_id_notary_lists() {
    if !require_notary() {
        return;
    }
    let tmp = tempdir();
    let trust_path = tmp.path().join("trust");
    // Only the delegation variable: notary asks for alias "targets/releases", which has no
    // variable of its own, and falls back to NOTARY_DELEGATION_PASSPHRASE for non-base roles.
    const VARS: &[(&str, &str)] = &[("NOTARY_DELEGATION_PASSPHRASE", DELEGATION_PASS)];
    let generated =
        run(notary_offline(&trust_path, VARS).args(["key", "generate", "ecdsa", "--role", "targets/releases"]));
    let listed = parse_notary_key_list(&stdout(&run(notary_offline(&trust_path, VARS).args(["key", "list"]))));
    assert_eq!(listed.len(), 1, "notary key list: {listed:?}");
    let notary_key = &listed[0];
    assert_eq!(notary_key.role, "targets/releases");
    assert!(
        stdout(&generated).contains(&notary_key.id),
        "`notary key generate` printed another ID than `key list`: {}",
        stdout(&generated)
    );

    let trust = TrustDir::new(&trust_path);
    assert_eq!(our_key_list(&trust), listed, "our listing differs from `notary key list`");
    let id = key_id(&notary_key.id);
    let key = trust.keys().load(&id, &NotaryEnvPassphrase::from_lookup(lookup(VARS))).expect("load notary's key");
    assert_eq!(key.bare_public_key().id(), &id);
}

#[test]
fn notary_init_keys_load_here() {
    if !require_notary() {
        return;
    }
    let stack = Stack::up();
    let tmp = tempdir();
    let trust_path = tmp.path().join("trust");
    // Short enough for `notary key list`, which shortens long GUNs to "...<tail>".
    let gun = "example.com/init";
    run(notary_online(&stack, &trust_path, NOTARY_PASSPHRASES).args(["init", gun, "--publish"]));
    let listed = parse_notary_key_list(&stdout(&run(notary_online(&stack, &trust_path, &[]).args(["key", "list"]))));
    let roles: Vec<(&str, Option<&str>)> = listed.iter().map(|k| (k.role.as_str(), k.gun.as_deref())).collect();
    assert_eq!(roles, [("root", None), ("snapshot", Some(gun)), ("targets", Some(gun))], "notary key list");

    let trust = TrustDir::new(&trust_path);
    assert_eq!(our_key_list(&trust), listed, "our listing differs from `notary key list`");
    let retriever = NotaryEnvPassphrase::from_lookup(lookup(NOTARY_PASSPHRASES));
    for k in &listed {
        let id = key_id(&k.id);
        let key = trust.keys().load(&id, &retriever).unwrap_or_else(|e| panic!("load {} key: {e}", k.role));
        assert_eq!(key.bare_public_key().id(), &id, "{} key", k.role);
    }

    // The published root.json names the same keys: root by its certificate, whose canonical
    // ID (the bare key's) is the private file name; targets and snapshot as bare keys.
    let root = cached_root(&trust_path, gun);
    for k in &listed {
        assert_eq!(canonical_ids_of(root.signed(), &k.role), BTreeSet::from([k.id.clone()]), "root.json {}", k.role);
    }
}

#[test]
fn docker_trust_key_generate_output_loads_with_matching_public_key() {
    if !require_docker() {
        return;
    }
    let config = tempdir();
    let public_dir = tempdir();
    run(docker(config.path(), DOCKER_PASSPHRASES)
        .args(["trust", "key", "generate", "alice", "--dir"])
        .arg(public_dir.path()));
    let pub_bytes = std::fs::read(public_dir.path().join("alice.pub")).expect("docker wrote alice.pub");
    let (pub_der, pub_role) = public_key_pem(&pub_bytes);
    assert_eq!(pub_role.as_deref(), Some("alice"));

    let trust = TrustDir::new(config.path().join("trust"));
    let listed = trust.keys().list().expect("list docker's trust dir");
    assert!(listed.skipped.is_empty(), "{:?}", listed.skipped);
    assert_eq!(listed.keys.len(), 1, "{:?}", listed.keys);
    let info = &listed.keys[0];
    assert_eq!((info.role.as_deref(), info.gun.as_deref(), info.encrypted), (Some("alice"), None, true));

    let key = trust.keys().load(&info.id, &DockerEnvPassphrase::from_lookup(lookup(DOCKER_PASSPHRASES))).unwrap();
    let public = key.bare_public_key();
    assert_eq!(public.id(), &info.id);
    assert_eq!(public.public(), pub_der.as_slice(), "the key's SPKI differs from alice.pub's");
    assert_same_pem(&encode_public_key(&public, "alice"), &pub_bytes);
}

/// Byte equality with both texts in the message.
#[track_caller]
fn assert_same_pem(ours: &[u8], theirs: &[u8]) {
    assert!(
        ours == theirs,
        "encode_public_key differs from docker's file:\n--- ours\n{}--- docker\n{}",
        String::from_utf8_lossy(ours),
        String::from_utf8_lossy(theirs)
    );
}

// ------------------------------------------------------------------------ here -> docker

// No daemon-free docker command signs with a signer (delegation) key from the trust dir:
// `docker trust sign` needs the image from a daemon. `docker trust signer add` needs only a
// notary server, and when it initialises a repository it signs root.json with a root key it
// finds in the trust dir (docker/cli `getOrGenerateRootKeyAndInitRepo`), and reads the
// signer's public key from a file. Those two reads are what the next two tests exercise.

/// `docker trust signer add NAME GUN --key PUB` against `stack`, with config dir `config`.
fn docker_signer_add(stack: &Stack, config: &Path, name: &str, gun: &str, public_key: &Path) -> Output {
    docker_config_for(stack, config);
    run(docker(config, DOCKER_PASSPHRASES)
        .env("DOCKER_CONTENT_TRUST_SERVER", stack.notary_url())
        .args(["trust", "signer", "add", name, gun, "--key"])
        .arg(public_key))
}

#[test]
fn docker_signs_a_new_repository_with_a_root_key_generated_here() {
    // The stack's notary-server and notary-signer come with the notary CLI's package.
    if !require_docker() || !require_notary() {
        return;
    }
    let stack = Stack::up();
    let config = tempdir();
    let trust = TrustDir::new(config.path().join("trust"));
    let root_key = trust
        .keys()
        .generate("root", None, &DockerEnvPassphrase::from_lookup(lookup(DOCKER_PASSPHRASES)))
        .expect("generate a root key here");
    let root_id = root_key.bare_public_key().id().to_string();

    // The signer's public key comes from docker itself, so only the root key is ours.
    let public_dir = tempdir();
    run(docker(config.path(), DOCKER_PASSPHRASES)
        .args(["trust", "key", "generate", "dave", "--dir"])
        .arg(public_dir.path()));
    let gun = format!("{}/interop/docker-root", stack.registry_host());
    docker_signer_add(&stack, config.path(), "dave", &gun, &public_dir.path().join("dave.pub"));

    // notary-server accepted the root.json docker signed; it names our key and its
    // signature verifies here too.
    let root = cached_root(trust.path(), &gun);
    assert_eq!(canonical_ids_of(root.signed(), "root"), BTreeSet::from([root_id.clone()]));
    let signed_by = root.verify(&root.signed().trusted_keys("root")).expect("root.json verifies");
    let root_tuf_ids: BTreeSet<KeyId> = root.signed().role_keys("root").into_keys().collect();
    assert_eq!(signed_by, root_tuf_ids);
    // docker created no root key of its own.
    let roots: Vec<String> = our_key_list(&trust).into_iter().filter(|k| k.role == "root").map(|k| k.id).collect();
    assert_eq!(roots, [root_id]);
}

#[test]
fn docker_trust_signer_add_accepts_a_public_key_file_written_here() {
    // The stack's notary-server and notary-signer come with the notary CLI's package.
    if !require_docker() || !require_notary() {
        return;
    }
    let stack = Stack::up();
    let config = tempdir();
    let public_dir = tempdir();
    let trust = TrustDir::new(config.path().join("trust"));
    let retriever = DockerEnvPassphrase::from_lookup(lookup(DOCKER_PASSPHRASES));
    let (bob_id, bob_pub) = generate_signer_key(&trust, "bob", public_dir.path(), &retriever).expect("generate bob");

    let gun = format!("{}/interop/docker-signer", stack.registry_host());
    docker_signer_add(&stack, config.path(), "bob", &gun, &bob_pub);

    // What the server now serves: `docker trust inspect` fetches it (and refreshes the cache,
    // which `signer add` leaves at the pre-delegation targets.json).
    let inspect = stdout(&run(docker(config.path(), &[])
        .env("DOCKER_CONTENT_TRUST_SERVER", stack.notary_url())
        .args(["trust", "inspect", &gun])));
    let inspect: serde_json::Value = serde_json::from_str(&inspect).expect("docker trust inspect prints JSON");
    let signers = &inspect[0]["Signers"];
    assert_eq!(signers, &serde_json::json!([{"Name": "bob", "Keys": [{"ID": bob_id.as_str()}]}]), "{inspect:#}");
    // docker delegated targets/bob and targets/releases to the key in our bob.pub.
    let targets = cached_targets(trust.path(), &gun);
    let delegations = &targets.signed().delegations;
    for role in ["targets/bob", "targets/releases"] {
        let role = delegations
            .role(&RoleName::new(role).unwrap())
            .unwrap_or_else(|| panic!("targets.json has no {role}: {:?}", delegations.roles()));
        let keys: Vec<&KeyId> = role.keys.key_ids().iter().collect();
        assert_eq!(keys, [&bob_id], "{} keys", role.name);
    }
}

// ------------------------------------------------------------------------ here -> notary

#[test]
fn notary_cli_signs_a_delegation_with_a_key_written_here() {
    if !require_notary() {
        return;
    }
    let stack = Stack::up();
    let tmp = tempdir();
    let trust_path = tmp.path().join("trust");
    let gun = "localhost:5000/interop/delegation";
    let nt = |args: &[&str]| run(notary_online(&stack, &trust_path, NOTARY_PASSPHRASES).args(args));
    nt(&["init", gun, "--publish"]);

    // Our key, in the CLI's own trust dir, encrypted with the CLI's delegation passphrase.
    let key = PrivateKey::generate_p256().unwrap();
    let info = TrustDir::new(&trust_path)
        .keys()
        .add(&key, "targets/releases", None, &FixedPassphrase::new(DELEGATION_PASS))
        .expect("add our key");
    assert!(info.encrypted);
    let our_id = key.public_key().id().to_string();
    let pub_path = tmp.path().join("releases.pem");
    write_0600(&pub_path, &encode_public_key(&key.public_key(), "targets/releases"));

    let pub_arg = pub_path.to_str().unwrap();
    let added = nt(&["delegation", "add", gun, "targets/releases", pub_arg, "--all-paths"]);
    assert!(stdout(&added).contains(&our_id), "notary computed another key ID: {}", stdout(&added));
    nt(&["publish", gun]);
    let payload = tmp.path().join("payload.txt");
    write_0600(&payload, b"signed with a key written by notary-client\n");
    nt(&["add", gun, "v1", payload.to_str().unwrap(), "--roles", "targets/releases"]);
    nt(&["publish", gun]);

    let list = stdout(&nt(&["list", gun, "--roles", "targets/releases"]));
    let row = list.lines().find(|l| l.split_whitespace().next() == Some("v1"));
    let row = row.unwrap_or_else(|| panic!("`notary list` does not show v1:\n{list}"));
    assert_eq!(row.split_whitespace().last(), Some("targets/releases"), "{list}");
    let delegations = stdout(&nt(&["delegation", "list", gun]));
    let row = delegations.lines().find(|l| l.starts_with("targets/releases "));
    let row = row.unwrap_or_else(|| panic!("`notary delegation list`:\n{delegations}"));
    assert!(row.split_whitespace().any(|w| w == our_id), "{delegations}");
}

#[test]
fn docker_trust_key_load_accepts_a_key_file_written_here() {
    if !require_docker() {
        return;
    }
    let key = PrivateKey::generate_p256().unwrap();
    let our_id = key.public_key().id().clone();
    let files = tempdir();
    let key_path = files.path().join("carol.key");
    let plain = KeyFile::encode(&key, "carol", None, &Passphrase::empty()).expect("encode");
    write_0600(&key_path, &plain);

    let config = tempdir();
    run(docker(config.path(), DOCKER_PASSPHRASES).args(["trust", "key", "load", "--name", "carol"]).arg(&key_path));

    let trust = TrustDir::new(config.path().join("trust"));
    let listed = trust.keys().list().expect("list docker's trust dir");
    assert!(listed.skipped.is_empty(), "{:?}", listed.skipped);
    let ids: Vec<&KeyId> = listed.keys.iter().map(|k| &k.id).collect();
    assert_eq!(ids, [&our_id], "docker stored the key under another ID");
    let info = &listed.keys[0];
    assert_eq!((info.role.as_deref(), info.gun.as_deref()), (Some("carol"), None));
    assert!(info.encrypted, "docker stores keys encrypted");
    let loaded = trust.keys().load(&our_id, &DockerEnvPassphrase::from_lookup(lookup(DOCKER_PASSPHRASES))).unwrap();
    assert_eq!(loaded.bare_public_key(), key.public_key());
}
