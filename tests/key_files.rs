//! Key files in every format notary and docker accept (spec §4.2–4.3): notary's own legacy
//! test vectors (notary 0.1 and 0.3 trust directories) and keys written by OpenSSL.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use notary_client::key_file::{KeyFile, KeyFileError, KeyFileFormat};
use notary_client::keys::PrivateKey;
use notary_client::metadata::{KeyId, KeyType};
use notary_client::passphrase::{FixedPassphrase, Passphrase};
use notary_client::trust_dir::{KeyLocation, TrustDir};

/// Copies `src` to a temporary directory with private-key permissions (package files are 0644).
fn private_copy(src: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(src, &tmp.path().join("private"));
    tmp
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
            set_mode(&to, 0o600);
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn legacy_store(version: &str) -> Option<(tempfile::TempDir, TrustDir)> {
    let dir = support::go_compat_dir()?.join(version).join("private");
    let tmp = private_copy(&dir);
    let trust = TrustDir::new(tmp.path());
    Some((tmp, trust))
}

#[test]
fn notary_0_1_legacy_layout_keys_decrypt_with_roles_from_their_file_names() {
    let Some((_tmp, trust)) = legacy_store("notary0.1") else { return };
    let listing = trust.keys().list().unwrap();
    assert!(listing.skipped.is_empty(), "{:?}", listing.skipped);
    let mut roles: Vec<(String, Option<String>, KeyLocation)> =
        listing.keys.iter().map(|k| (k.role.clone().unwrap(), k.gun.clone(), k.location)).collect();
    roles.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        roles,
        vec![
            ("root".into(), None, KeyLocation::LegacyRootKeys),
            ("snapshot".into(), Some("docker.com/notary0.1/samplerepo".into()), KeyLocation::LegacyTufKeys),
            ("targets".into(), Some("docker.com/notary0.1/samplerepo".into()), KeyLocation::LegacyTufKeys),
        ]
    );
    for key in &listing.keys {
        assert_eq!(key.format, KeyFileFormat::LegacyEc);
        assert!(key.encrypted);
        let loaded = trust.keys().load(&key.id, &FixedPassphrase::new("randompass")).unwrap();
        assert_eq!(loaded.bare_public_key().id(), &key.id);
    }
}

#[test]
fn notary_0_3_keys_decrypt_with_roles_from_their_headers() {
    let Some((_tmp, trust)) = legacy_store("notary0.3") else { return };
    let listing = trust.keys().list().unwrap();
    assert!(listing.skipped.is_empty(), "{:?}", listing.skipped);
    assert_eq!(listing.keys.len(), 4);
    let mut types = Vec::new();
    for key in &listing.keys {
        assert!(key.role.is_some(), "0.3 keys carry a role header: {key:?}");
        let loaded = trust.keys().load(&key.id, &FixedPassphrase::new("password")).unwrap();
        assert_eq!(loaded.bare_public_key().id(), &key.id);
        types.push(loaded.bare_public_key().key_type());
    }
    assert!(types.contains(&KeyType::Rsa), "the releases delegation key is RSA: {types:?}");
}

#[test]
fn notary_0_3_root_key_is_the_canonical_id_of_the_root_certificate() {
    let Some((_tmp, trust)) = legacy_store("notary0.3") else { return };
    let id = KeyId::new("f4eaf871a74aa3b3a0ff95cef2455a1e4d461639f5625418e76756fc5c948690").unwrap();
    let info = trust.keys().find(&id).unwrap();
    assert_eq!(info.role.as_deref(), Some("root"));
    assert_eq!(info.location, KeyLocation::LegacyRootKeys);
}

#[test]
fn legacy_key_with_wrong_passphrase_names_key_and_role() {
    let Some((_tmp, trust)) = legacy_store("notary0.1") else { return };
    let key = trust.keys().list().unwrap().keys.into_iter().find(|k| k.role.as_deref() == Some("targets")).unwrap();
    let err = trust.keys().load(&key.id, &FixedPassphrase::new("wrong")).unwrap_err().to_string();
    assert!(err.contains("wrong passphrase") && err.contains(key.id.as_str()) && err.contains("targets"), "{err}");
}

// ---------------------------------------------------------------- OpenSSL-written keys

struct OpensslKey {
    _dir: tempfile::TempDir,
    key: PathBuf,
    public_der: Vec<u8>,
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl").args(args).output().expect("openssl is installed by scripts/test");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Generates a key with `genpkey_args`, then converts it with `convert` (an openssl command
/// line reading `in.pem` and writing `key.pem`), returning the result and the public SPKI.
fn openssl_key(genpkey_args: &[&str], convert: Option<&[&str]>) -> OpensslKey {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let mut gen_args = vec!["genpkey"];
    gen_args.extend_from_slice(genpkey_args);
    let input = p("in.pem");
    gen_args.extend_from_slice(&["-out", &input]);
    openssl(&gen_args);
    let key = match convert {
        Some(args) => {
            let out = p("key.pem");
            let mut a: Vec<&str> = args.to_vec();
            a.extend_from_slice(&["-in", &input, "-out", &out]);
            openssl(&a);
            out
        }
        None => input.clone(),
    };
    let der = p("pub.der");
    openssl(&["pkey", "-in", &input, "-pubout", "-outform", "DER", "-out", &der]);
    OpensslKey { public_der: std::fs::read(&der).unwrap(), key: PathBuf::from(key), _dir: dir }
}

const P256: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
const RSA2048: &[&str] = &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];

fn decrypt(k: &OpensslKey, pass: Option<&str>) -> Result<PrivateKey, KeyFileError> {
    let file = KeyFile::parse(&std::fs::read(&k.key).unwrap())?;
    file.decrypt(pass.map(Passphrase::new).as_ref())
}

#[test]
fn standard_pkcs8_ec_key_reads_with_openssls_public_key() {
    let k = openssl_key(P256, None);
    assert_eq!(decrypt(&k, None).unwrap().public_key().public(), &k.public_der[..]);
}

#[test]
fn standard_pkcs8_rsa_key_reads_with_openssls_public_key() {
    let k = openssl_key(RSA2048, None);
    assert_eq!(decrypt(&k, None).unwrap().public_key().public(), &k.public_der[..]);
}

#[test]
fn rfc8410_ed25519_key_reads() {
    let k = openssl_key(&["-algorithm", "ED25519"], None);
    let key = decrypt(&k, None).unwrap();
    assert_eq!(key.public_key().key_type(), KeyType::Ed25519);
    assert!(k.public_der.ends_with(key.public_key().public()));
}

#[test]
fn pbes2_with_openssl3s_sha256_prf_reads() {
    let k = openssl_key(P256, Some(&["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:opensslpass"]));
    let text = std::fs::read_to_string(&k.key).unwrap();
    assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    assert_eq!(decrypt(&k, Some("opensslpass")).unwrap().public_key().public(), &k.public_der[..]);
}

#[test]
fn pbes2_with_sha1_prf_reads() {
    let k = openssl_key(
        P256,
        Some(&["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA1", "-passout", "pass:opensslpass"]),
    );
    assert_eq!(decrypt(&k, Some("opensslpass")).unwrap().public_key().public(), &k.public_der[..]);
}

#[test]
fn pbes2_wrong_passphrase_is_wrong_passphrase() {
    let k = openssl_key(P256, Some(&["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:opensslpass"]));
    assert_eq!(decrypt(&k, Some("nope")).unwrap_err(), KeyFileError::WrongPassphrase);
}

#[test]
fn legacy_ec_key_with_aes_dek_info_reads() {
    let k = openssl_key(P256, Some(&["ec", "-aes256", "-passout", "pass:legacypass"]));
    let text = std::fs::read_to_string(&k.key).unwrap();
    assert!(text.contains("DEK-Info: AES-256-CBC,"), "{text}");
    assert_eq!(decrypt(&k, Some("legacypass")).unwrap().public_key().public(), &k.public_der[..]);
}

#[test]
fn legacy_rsa_key_with_3des_dek_info_reads() {
    let k = openssl_key(RSA2048, Some(&["rsa", "-traditional", "-des3", "-passout", "pass:legacypass"]));
    let text = std::fs::read_to_string(&k.key).unwrap();
    assert!(text.starts_with("-----BEGIN RSA PRIVATE KEY-----") && text.contains("DES-EDE3-CBC"), "{text}");
    assert_eq!(decrypt(&k, Some("legacypass")).unwrap().public_key().public(), &k.public_der[..]);
}

#[test]
fn unencrypted_legacy_ec_key_reads_without_passphrase() {
    let k = openssl_key(P256, Some(&["ec"]));
    let text = std::fs::read_to_string(&k.key).unwrap();
    assert!(text.starts_with("-----BEGIN EC PRIVATE KEY-----"), "{text}");
    assert_eq!(decrypt(&k, None).unwrap().public_key().public(), &k.public_der[..]);
}

#[test]
fn p384_key_is_unsupported_not_malformed() {
    let k = openssl_key(&["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], None);
    assert!(matches!(decrypt(&k, None), Err(KeyFileError::UnsupportedKey { .. })));
}

#[test]
fn notary_rsa_pkcs8_without_null_parameter_reads() {
    let k = openssl_key(RSA2048, None);
    let key = decrypt(&k, None).unwrap();
    let notary = key.to_notary_pkcs8();
    // AlgorithmIdentifier = SEQUENCE { OID rsaEncryption } with no NULL.
    let alg = [0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x04];
    assert!(notary.windows(alg.len()).any(|w| w == alg));
    assert_eq!(PrivateKey::from_pkcs8_der(&notary).unwrap().public_key(), key.public_key());
}

// ---------------------------------------------------------------- hostile bytes never panic

mod hostile {
    use super::*;
    use proptest::prelude::*;

    fn encrypted_fixture() -> Vec<u8> {
        let key = PrivateKey::generate_p256().unwrap();
        KeyFile::encode(&key, "targets", None, &Passphrase::new("pw")).unwrap().to_vec()
    }

    /// Parses and (if it parses) decrypts; any outcome but a panic is fine.
    fn exercise(bytes: &[u8]) {
        if let Ok(file) = KeyFile::parse(bytes) {
            let _ = file.decrypt(Some(&Passphrase::new("pw")));
            let _ = file.decrypt(None);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_are_an_error_not_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            exercise(&bytes);
        }

        #[test]
        fn corrupted_key_files_are_an_error_not_a_panic(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = encrypted_fixture();
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            exercise(&bytes);
            exercise(&bytes[..cut.index(bytes.len())]);
        }

        #[test]
        fn corrupted_der_inside_a_valid_pem_is_an_error_not_a_panic(
            der in proptest::collection::vec(any::<u8>(), 0..512),
            label in prop::sample::select(vec!["PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "ED25519 PRIVATE KEY"]),
        ) {
            use base64::Engine;
            let pem = format!(
                "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
                base64::engine::general_purpose::STANDARD.encode(&der)
            );
            exercise(pem.as_bytes());
        }
    }
}
