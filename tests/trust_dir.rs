//! The trust directory and its key store (spec §4.1, §4.4–4.5): layout, permissions, atomic
//! writes, passphrase errors, store-backed signers, and Docker's key commands.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use notary_client::docker::{DockerEnvPassphrase, SignerKeyError, generate_signer_key, load_signer_key};
use notary_client::key_file::{KeyFile, encode_public_key};
use notary_client::keys::{PrivateKey, Signer, verify_signature};
use notary_client::metadata::{Gun, KeyId, KeyType, PublicKey, RoleName};
use notary_client::passphrase::{
    FixedPassphrase, Passphrase, PassphraseCallback, PassphraseError, PassphraseRequest, PassphraseRetriever,
};
use notary_client::trust_dir::{KeyLocation, TrustDir, TrustDirError};

fn trust() -> (tempfile::TempDir, TrustDir) {
    let tmp = tempfile::tempdir().unwrap();
    let trust = TrustDir::new(tmp.path().join("trust"));
    (tmp, trust)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn pass() -> FixedPassphrase {
    FixedPassphrase::new("store-passphrase")
}

#[test]
fn added_keys_are_filed_under_their_canonical_id_with_private_modes() {
    let (_tmp, trust) = trust();
    let key = PrivateKey::generate_p256().unwrap();
    let info = trust.keys().add(&key, "targets", Some(&Gun::new("example.com/app").unwrap()), &pass()).unwrap();
    let id = key.public_key().id().clone();
    assert_eq!(info.id, id);
    assert_eq!(info.path, trust.path().join("private").join(format!("{id}.key")));
    assert_eq!(mode(&info.path), 0o600);
    assert_eq!(mode(&trust.path().join("private")), 0o700);
    assert_eq!((info.role.as_deref(), info.gun.as_deref()), (Some("targets"), Some("example.com/app")));
    assert_eq!(info.location, KeyLocation::Current);
}

#[test]
fn stored_keys_load_back() {
    let (_tmp, trust) = trust();
    let key = trust.keys().generate("releases", None, &pass()).unwrap();
    let loaded = trust.keys().load(key.bare_public_key().id(), &pass()).unwrap();
    assert_eq!(loaded.bare_public_key(), key.bare_public_key());
}

#[test]
fn removed_keys_are_gone() {
    let (_tmp, trust) = trust();
    let key = trust.keys().generate("releases", None, &pass()).unwrap();
    let id = key.bare_public_key().id().clone();
    trust.keys().remove(&id).unwrap();
    assert!(trust.keys().list().unwrap().keys.is_empty());
    assert!(matches!(trust.keys().remove(&id), Err(TrustDirError::KeyNotFound { .. })));
}

#[test]
fn wrong_passphrase_names_the_key_and_its_role() {
    let (_tmp, trust) = trust();
    let key = trust.keys().generate("releases", None, &pass()).unwrap();
    let id = key.bare_public_key().id().clone();
    let err = trust.keys().load(&id, &FixedPassphrase::new("wrong")).unwrap_err();
    match &err {
        TrustDirError::WrongPassphrase { key_id, role, .. } => {
            assert_eq!((key_id, role.as_str()), (&id.to_string(), "releases"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_passphrase_says_which_variable_to_set() {
    let (_tmp, trust) = trust();
    let key = trust.keys().generate("releases", None, &pass()).unwrap();
    let docker = DockerEnvPassphrase::from_lookup(|_| None);
    let err = trust.keys().load(key.bare_public_key().id(), &docker).unwrap_err();
    assert!(matches!(err, TrustDirError::Passphrase(PassphraseError::NotAvailable { .. })));
    assert!(err.to_string().contains("set DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"), "{err}");
}

#[test]
fn a_file_that_is_not_a_key_is_reported_with_its_path() {
    let (_tmp, trust) = trust();
    let id = "a".repeat(64);
    let path = trust.path().join("private").join(format!("{id}.key"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "not a key").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = trust.keys().load(&KeyId::new(id).unwrap(), &pass()).unwrap_err();
    assert!(err.to_string().contains("not a key file") && err.to_string().contains(path.to_str().unwrap()), "{err}");
    assert_eq!(trust.keys().list().unwrap().skipped.len(), 1);
}

#[test]
fn interactive_retrievers_get_several_attempts() {
    let (_tmp, trust) = trust();
    let key = trust.keys().generate("releases", None, &pass()).unwrap();
    let asked = AtomicU32::new(0);
    let prompt = PassphraseCallback::new(3, |req: &PassphraseRequest<'_>| {
        asked.fetch_add(1, Ordering::SeqCst);
        Ok(Passphrase::new(if req.attempt < 2 { "typo" } else { "store-passphrase" }))
    });
    trust.keys().load(key.bare_public_key().id(), &prompt).unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 3);
}

#[test]
fn world_readable_key_files_are_refused() {
    let (_tmp, trust) = trust();
    let info = trust.keys().add(&PrivateKey::generate_p256().unwrap(), "releases", None, &pass()).unwrap();
    std::fs::set_permissions(&info.path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = trust.keys().load(&info.id, &pass()).unwrap_err();
    assert!(matches!(err, TrustDirError::InsecurePermissions { mode: 0o644, .. }), "{err:?}");
    assert!(err.to_string().contains("chmod 600"));
    trust.keys().allow_insecure_permissions().load(&info.id, &pass()).unwrap();
}

#[test]
fn unreadable_key_files_are_io_errors_with_their_path() {
    let (_tmp, trust) = trust();
    let info = trust.keys().add(&PrivateKey::generate_p256().unwrap(), "releases", None, &pass()).unwrap();
    std::fs::set_permissions(&info.path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&info.path).is_ok() {
        // Running as root: mode 000 does not stop reads, so make the read itself fail.
        std::fs::remove_file(&info.path).unwrap();
        std::fs::create_dir(&info.path).unwrap();
    }
    let err = trust.keys().load(&info.id, &pass()).unwrap_err();
    assert!(matches!(&err, TrustDirError::Io { path, .. } if path == &info.path), "{err:?}");
}

#[test]
fn a_key_file_named_for_another_key_is_refused() {
    let (_tmp, trust) = trust();
    let info = trust.keys().add(&PrivateKey::generate_p256().unwrap(), "releases", None, &pass()).unwrap();
    let other = KeyId::new("b".repeat(64)).unwrap();
    std::fs::rename(&info.path, info.path.with_file_name(format!("{other}.key"))).unwrap();
    let err = trust.keys().load(&other, &pass()).unwrap_err();
    assert!(matches!(&err, TrustDirError::KeyIdMismatch { actual, .. } if actual == info.id.as_str()), "{err:?}");
}

#[test]
fn symlinked_key_files_are_refused() {
    let (tmp, trust) = trust();
    let key = PrivateKey::generate_p256().unwrap();
    let outside = tmp.path().join("elsewhere.key");
    std::fs::write(&outside, KeyFile::encode(&key, "releases", None, &Passphrase::empty()).unwrap()).unwrap();
    std::fs::create_dir_all(trust.path().join("private")).unwrap();
    let id = key.public_key().id().clone();
    std::os::unix::fs::symlink(&outside, trust.path().join("private").join(format!("{id}.key"))).unwrap();
    assert!(matches!(trust.keys().load(&id, &pass()), Err(TrustDirError::Symlink { .. })));
    assert!(trust.keys().list().unwrap().keys.is_empty(), "listing skips symlinks, like notary");
}

#[test]
fn a_symlinked_tuf_directory_is_refused() {
    let (tmp, trust) = trust();
    std::fs::create_dir_all(trust.path()).unwrap();
    std::os::unix::fs::symlink(tmp.path(), trust.path().join("tuf")).unwrap();
    let gun = Gun::new("example.com/app").unwrap();
    assert!(matches!(trust.repository(&gun), Err(TrustDirError::Symlink { .. })));
}

#[test]
fn metadata_is_cached_in_notarys_layout_atomically() {
    let (_tmp, trust) = trust();
    let repo = trust.repository(&Gun::new("localhost:5000/team/app").unwrap()).unwrap();
    repo.write_metadata(&RoleName::releases(), b"{}").unwrap();
    let path = trust.path().join("tuf/localhost:5000/team/app/metadata/targets/releases.json");
    assert_eq!(std::fs::read(&path).unwrap(), b"{}");
    assert_eq!(mode(&path), 0o600);
    repo.remove_metadata(&RoleName::releases()).unwrap();
    assert!(!path.exists());
}

#[test]
fn store_signer_asks_for_the_passphrase_only_when_signing() {
    let (_tmp, trust) = trust();
    let key = trust.keys().generate("releases", None, &pass()).unwrap();
    let asked = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&asked);
    let retriever: Arc<dyn PassphraseRetriever> =
        Arc::new(PassphraseCallback::new(1, move |_: &PassphraseRequest<'_>| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(Passphrase::new("store-passphrase"))
        }));
    let signer = trust.keys().signer(&key.bare_public_key(), retriever).unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 0);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    for _ in 0..2 {
        let sig = rt.block_on(signer.sign(b"body")).unwrap();
        verify_signature(signer.public_key(), signer.method().as_str(), b"body", &sig).unwrap();
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1, "unlocked once, then kept");
}

#[test]
fn store_signer_for_a_root_certificate_key_signs_with_the_certificate_id() {
    let (_tmp, trust) = trust();
    let key = trust.keys().generate("root", None, &pass()).unwrap();
    let gun = Gun::new("example.com/app").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let pem = rt.block_on(notary_client::certs::generate_root_certificate(gun.as_str(), &key, chrono::Utc::now()));
    let cert_key = PublicKey::new(KeyType::EcdsaX509, pem.unwrap());
    let signer = trust.keys().signer(&cert_key, Arc::new(pass())).unwrap();
    assert_eq!(signer.canonical_id(), key.bare_public_key().id());
    let sig = rt.block_on(signer.sign(b"root body")).unwrap();
    verify_signature(&cert_key, "ecdsa", b"root body", &sig).unwrap();
}

#[test]
fn signer_for_a_key_not_in_the_store_is_key_not_found() {
    let (_tmp, trust) = trust();
    let stranger = PrivateKey::generate_p256().unwrap().public_key();
    assert!(matches!(trust.keys().signer(&stranger, Arc::new(pass())), Err(TrustDirError::KeyNotFound { .. })));
}

#[test]
fn guns_that_escape_the_trust_dir_never_become_paths() {
    for bad in ["../outside", "/etc", "a/../../b", "a/./b"] {
        assert!(Gun::new(bad).is_err(), "{bad}");
    }
}

// ---------------------------------------------------------------- docker trust key

fn docker_env() -> DockerEnvPassphrase {
    DockerEnvPassphrase::from_lookup(|var| {
        (var == DockerEnvPassphrase::REPOSITORY).then(|| "repository-passphrase".to_owned())
    })
}

#[test]
fn docker_key_generate_stores_the_key_with_its_name_as_role_and_writes_name_pub() {
    let (tmp, trust) = trust();
    let (id, pub_path) = generate_signer_key(&trust, "alice", tmp.path(), &docker_env()).unwrap();
    assert_eq!(pub_path, tmp.path().join("alice.pub"));
    assert_eq!(mode(&pub_path), 0o600);
    let key = trust.keys().load(&id, &docker_env()).unwrap();
    assert_eq!(std::fs::read(&pub_path).unwrap(), encode_public_key(&key.bare_public_key(), "alice"));
    let pem = String::from_utf8(std::fs::read(&pub_path).unwrap()).unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nrole: alice\n\n"), "{pem}");
    let info = trust.keys().find(&id).unwrap();
    assert_eq!((info.role.as_deref(), info.gun.as_deref()), (Some("alice"), None));
}

#[test]
fn docker_key_generate_refuses_invalid_names() {
    let (tmp, trust) = trust();
    for bad in ["Alice", "-x", "", "a/b", "a.b"] {
        assert!(matches!(
            generate_signer_key(&trust, bad, tmp.path(), &docker_env()),
            Err(SignerKeyError::InvalidName(_))
        ));
    }
}

#[test]
fn docker_key_generate_never_overwrites_a_public_key_file() {
    let (tmp, trust) = trust();
    std::fs::write(tmp.path().join("alice.pub"), "mine").unwrap();
    assert!(matches!(
        generate_signer_key(&trust, "alice", tmp.path(), &docker_env()),
        Err(SignerKeyError::PublicKeyExists(_))
    ));
    assert_eq!(std::fs::read(tmp.path().join("alice.pub")).unwrap(), b"mine");
}

fn key_file(dir: &Path, bytes: &[u8], mode: u32) -> std::path::PathBuf {
    let path = dir.join("input.key");
    std::fs::write(&path, bytes).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn docker_key_load_stores_an_encrypted_input_under_the_given_name() {
    let (tmp, trust) = trust();
    let key = PrivateKey::generate_p256().unwrap();
    let input = KeyFile::encode(&key, "", None, &Passphrase::new("repository-passphrase")).unwrap();
    let path = key_file(tmp.path(), &input, 0o600);
    let info = load_signer_key(&trust, "releaser", &path, &docker_env()).unwrap();
    assert_eq!(info.id, key.public_key().id().clone());
    assert_eq!(info.role.as_deref(), Some("releaser"));
    assert!(info.encrypted);
    trust.keys().load(&info.id, &docker_env()).unwrap();
}

#[test]
fn docker_key_load_keeps_the_files_own_role_header() {
    let (tmp, trust) = trust();
    let input = KeyFile::encode(&PrivateKey::generate_p256().unwrap(), "ci", None, &Passphrase::empty()).unwrap();
    let info = load_signer_key(&trust, "releaser", &key_file(tmp.path(), &input, 0o600), &docker_env()).unwrap();
    assert_eq!(info.role.as_deref(), Some("ci"));
}

#[test]
fn docker_key_load_keeps_the_gun_of_a_targets_key() {
    let (tmp, trust) = trust();
    let gun = Gun::new("example.com/app").unwrap();
    let input =
        KeyFile::encode(&PrivateKey::generate_p256().unwrap(), "targets", Some(&gun), &Passphrase::empty()).unwrap();
    let info = load_signer_key(&trust, "signer", &key_file(tmp.path(), &input, 0o600), &docker_env()).unwrap();
    assert_eq!((info.role.as_deref(), info.gun.as_deref()), (Some("targets"), Some("example.com/app")));
}

#[test]
fn docker_key_load_refuses_a_targets_key_without_gun() {
    let (tmp, trust) = trust();
    let input = KeyFile::encode(&PrivateKey::generate_p256().unwrap(), "targets", None, &Passphrase::empty()).unwrap();
    let err = load_signer_key(&trust, "signer", &key_file(tmp.path(), &input, 0o600), &docker_env()).unwrap_err();
    assert!(matches!(err, SignerKeyError::MissingGun(_)), "{err:?}");
}

#[test]
fn a_role_with_surrounding_spaces_is_refused_when_writing() {
    let (_tmp, trust) = trust();
    let err = trust.keys().add(&PrivateKey::generate_p256().unwrap(), " releases", None, &pass()).unwrap_err();
    assert!(matches!(err, TrustDirError::KeyFile { .. }), "{err:?}");
}

#[test]
fn an_empty_passphrase_variable_never_writes_an_unencrypted_key() {
    let (_tmp, trust) = trust();
    let empty = DockerEnvPassphrase::from_lookup(|_| Some(String::new()));
    let err = trust.keys().generate("releases", None, &empty).unwrap_err();
    assert!(matches!(err, TrustDirError::Passphrase(PassphraseError::NotAvailable { .. })), "{err:?}");
    assert!(trust.keys().list().unwrap().keys.is_empty());
}

#[test]
fn a_symlinked_private_directory_is_refused() {
    let (tmp, trust) = trust();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::create_dir_all(trust.path()).unwrap();
    std::os::unix::fs::symlink(&elsewhere, trust.path().join("private")).unwrap();
    assert!(matches!(trust.keys().list(), Err(TrustDirError::Symlink { .. })));
    let err = trust.keys().add(&PrivateKey::generate_p256().unwrap(), "releases", None, &pass()).unwrap_err();
    assert!(matches!(err, TrustDirError::Symlink { .. }), "{err:?}");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing written through the link");
}

#[test]
fn cached_metadata_is_never_read_through_a_symlink() {
    use notary_client::trusted::MetadataSource;
    let (tmp, trust) = trust();
    let repo = trust.repository(&Gun::new("example.com/app").unwrap()).unwrap();
    repo.write_metadata(&RoleName::root(), b"{}").unwrap();
    let outside = tmp.path().join("outside.json");
    std::fs::write(&outside, b"{\"evil\":1}").unwrap();
    std::fs::remove_file(repo.metadata_path(&RoleName::root()).unwrap()).unwrap();
    std::os::unix::fs::symlink(&outside, repo.metadata_dir().join("root.json")).unwrap();
    assert!(repo.source().read(&RoleName::root()).is_err());
    std::os::unix::fs::symlink(tmp.path(), repo.metadata_dir().join("targets")).unwrap();
    assert!(repo.source().read(&RoleName::releases()).is_err());
}

#[test]
fn docker_key_load_refuses_group_or_world_readable_files() {
    let (tmp, trust) = trust();
    let input = KeyFile::encode(&PrivateKey::generate_p256().unwrap(), "", None, &Passphrase::empty()).unwrap();
    let path = key_file(tmp.path(), &input, 0o640);
    let err = load_signer_key(&trust, "signer", &path, &docker_env()).unwrap_err();
    assert!(matches!(err, SignerKeyError::TrustDir(TrustDirError::InsecurePermissions { .. })), "{err:?}");
    assert!(trust.keys().list().unwrap().keys.is_empty());
}

// ---------------------------------------------------------------- secrets never printed

#[test]
fn no_debug_or_display_output_contains_a_secret() {
    let (tmp, trust) = trust();
    let secret = "Sup3r-Secret-Passphrase";
    let fixed = FixedPassphrase::new(secret);
    let key = trust.keys().generate("releases", None, &fixed).unwrap();
    let id = key.bare_public_key().id().clone();
    let private = PrivateKey::generate_p256().unwrap();
    let unencrypted = KeyFile::encode(&private, "x", None, &Passphrase::empty()).unwrap();
    let file = KeyFile::parse(&unencrypted).unwrap();
    let signer = trust.keys().signer(&key.bare_public_key(), Arc::new(FixedPassphrase::new(secret))).unwrap();
    signer.unlock().unwrap();
    let wrong = trust.keys().load(&id, &FixedPassphrase::new(format!("{secret}-wrong"))).unwrap_err();
    // An unencrypted key whose DER is damaged: the error must not quote the body.
    let body_start = unencrypted.iter().position(|b| *b == b'\n').unwrap() + 1;
    let mut damaged = unencrypted.to_vec();
    damaged[body_start + 20] = if damaged[body_start + 20] == b'A' { b'B' } else { b'A' };
    let damaged_err = KeyFile::parse(&damaged).map(|f| f.decrypt(None).map(|_| ()));
    let prompt = PassphraseCallback::new(2, move |_: &PassphraseRequest<'_>| Ok(Passphrase::new(secret)));
    let load_err = notary_client::docker::load_signer_key(&trust, "Bad Name", tmp.path(), &fixed).unwrap_err();
    let outputs = [
        format!("{damaged_err:?}"),
        format!("{prompt:?}"),
        format!("{:?}", notary_client::passphrase::NotaryEnvPassphrase::from_lookup(move |_| Some(secret.to_owned()))),
        format!("{:?}", trust.keys()),
        format!("{load_err} {load_err:?}"),
        format!("{key:?}"),
        format!("{private:?}"),
        format!("{file:?}"),
        format!("{signer:?}"),
        format!("{fixed:?}"),
        format!("{:?}", Passphrase::new(secret)),
        format!("{:?}", docker_env()),
        format!("{wrong} {wrong:?}"),
        format!("{:?}", trust.keys().list().unwrap()),
    ];
    let private_der = hex_of(&private.to_go_der());
    let b64_lines: Vec<String> = String::from_utf8(unencrypted.to_vec())
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.contains(':') && l.len() > 16)
        .map(|l| l[..16].to_owned())
        .collect();
    for out in &outputs {
        assert!(!out.contains(secret), "passphrase in {out}");
        assert!(!out.contains(&private_der[14..78]), "private scalar (hex) in {out}");
        for line in &b64_lines {
            assert!(!out.contains(line.as_str()), "key file body in {out}");
        }
    }
    drop(tmp);
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
