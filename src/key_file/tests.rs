//! Key files against the keys the real notary CLI wrote (fixtures/notary-cli/trust/private).

use super::*;
use std::path::PathBuf;

fn fixture_keys() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/notary-cli/trust/private");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "key"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    assert_eq!(out.len(), 6);
    out
}

/// The passphrases scripts/make-fixtures.sh gave the notary CLI.
fn fixture_passphrase(role: &str) -> Passphrase {
    Passphrase::new(match role {
        "root" => "rootpass",
        "targets" => "targetspass",
        "snapshot" => "snapshotpass",
        _ => "delegpass",
    })
}

#[test]
fn notary_key_files_decrypt_to_the_key_named_by_the_file() {
    for (id, bytes) in fixture_keys() {
        let file = KeyFile::parse(&bytes).unwrap();
        let key = file.decrypt(Some(&fixture_passphrase(file.role().unwrap()))).unwrap();
        assert_eq!(key.public_key().id().as_str(), id);
    }
}

#[test]
fn notary_key_files_re_encode_byte_for_byte() {
    for (_, bytes) in fixture_keys() {
        let file = KeyFile::parse(&bytes).unwrap();
        let role = file.role().unwrap().to_owned();
        let pass = fixture_passphrase(&role);
        let key = file.decrypt(Some(&pass)).unwrap();
        let gun = file.gun().map(|g| Gun::new(g).unwrap());
        let nonces = pbes2::Nonces::of(&file.block.body).unwrap();
        let again = KeyFile::encode_with(&key, &role, gun.as_ref(), &pass, &nonces).unwrap();
        assert_eq!(String::from_utf8_lossy(&again), String::from_utf8_lossy(&bytes), "{role}");
    }
}

#[test]
fn headers_are_exposed() {
    let (_, bytes) = fixture_keys().into_iter().find(|(id, _)| id.starts_with("2f1f14")).unwrap();
    let file = KeyFile::parse(&bytes).unwrap();
    assert_eq!(file.role(), Some("targets"));
    assert_eq!(file.gun(), Some("localhost:5000/fixtures/app"));
    assert_eq!(file.format(), KeyFileFormat::EncryptedPkcs8);
}

#[test]
fn wrong_passphrase_is_reported_as_such() {
    let (_, bytes) = fixture_keys().remove(0);
    let err = KeyFile::parse(&bytes).unwrap().decrypt(Some(&Passphrase::new("nope"))).unwrap_err();
    assert_eq!(err, KeyFileError::WrongPassphrase);
}

#[test]
fn encrypted_file_without_passphrase_asks_for_one() {
    let (_, bytes) = fixture_keys().remove(0);
    assert_eq!(KeyFile::parse(&bytes).unwrap().decrypt(None).unwrap_err(), KeyFileError::PassphraseRequired);
}

#[test]
fn empty_passphrase_writes_an_unencrypted_private_key_block() {
    let key = PrivateKey::generate_p256().unwrap();
    let pem = KeyFile::encode(&key, "alice", None, &Passphrase::empty()).unwrap();
    assert!(pem.starts_with(b"-----BEGIN PRIVATE KEY-----\nrole: alice\n\n"));
    let file = KeyFile::parse(&pem).unwrap();
    assert!(!file.is_encrypted());
    assert_eq!(file.decrypt(None).unwrap().public_key(), key.public_key());
}

#[test]
fn gun_header_only_on_targets_snapshot_and_timestamp_keys() {
    let key = PrivateKey::generate_p256().unwrap();
    let gun = Gun::new("example.com/app").unwrap();
    let pass = Passphrase::new("pass-phrase");
    for (role, has_gun) in
        [("targets", true), ("snapshot", true), ("timestamp", true), ("root", false), ("releases", false)]
    {
        let pem = KeyFile::encode(&key, role, Some(&gun), &pass).unwrap();
        assert_eq!(KeyFile::parse(&pem).unwrap().gun().is_some(), has_gun, "{role}");
    }
}

#[test]
fn ecdsa_pkcs8_is_written_with_notarys_version_1_and_curve_oid_list() {
    let key = PrivateKey::generate_p256().unwrap();
    let der = key.to_notary_pkcs8();
    // SEQUENCE { INTEGER 1, SEQUENCE { OID ecPublicKey, OID prime256v1 }, OCTET STRING … }
    assert_eq!(&der[..2], &[0x30, 0x81]);
    assert_eq!(&der[3..6], &[0x02, 0x01, 0x01]);
    assert_eq!(&der[6..8], &[0x30, 0x13]);
    assert_eq!(PrivateKey::from_pkcs8_der(&der).unwrap().public_key(), key.public_key());
}

#[test]
fn ed25519_pkcs8_uses_the_gnupg_oid_and_96_byte_blob() {
    let key = PrivateKey::generate_ed25519().unwrap();
    let der = key.to_notary_pkcs8();
    assert!(der.windows(11).any(|w| w == [0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01]));
    assert!(der.windows(2).any(|w| w == [0x04, 0x60]), "96-byte OCTET STRING body");
    assert_eq!(PrivateKey::from_pkcs8_der(&der).unwrap().public_key(), key.public_key());
}

#[test]
fn a_certificate_is_not_a_private_key() {
    let pem = b"-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";
    assert_eq!(KeyFile::parse(pem).unwrap_err(), KeyFileError::NotAPrivateKey { label: "CERTIFICATE".into() });
}

#[test]
fn text_without_pem_is_not_a_key_file() {
    assert_eq!(KeyFile::parse(b"hello").unwrap_err(), KeyFileError::NotPem);
}

#[test]
fn truncated_pem_is_not_a_key_file() {
    let (_, bytes) = fixture_keys().remove(0);
    assert_eq!(KeyFile::parse(&bytes[..bytes.len() / 2]).unwrap_err(), KeyFileError::NotPem);
}

#[test]
fn garbled_body_is_malformed() {
    let key = PrivateKey::generate_p256().unwrap();
    let pem = KeyFile::encode(&key, "x", None, &Passphrase::empty()).unwrap();
    let text = String::from_utf8(pem.to_vec()).unwrap().replacen("MIG", "MIH", 1);
    let err = KeyFile::parse(text.as_bytes()).unwrap().decrypt(None).unwrap_err();
    assert!(matches!(err, KeyFileError::Malformed { .. }), "{err:?}");
}

#[test]
fn unknown_algorithm_oid_is_unsupported() {
    // PrivateKeyInfo with the DSA OID 1.2.840.10040.4.1.
    let der = [
        0x30, 0x12, 0x02, 0x01, 0x00, 0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01, 0x04, 0x02,
        0x00, 0x00,
    ];
    let pem = pem::encode("PRIVATE KEY", &[], &der);
    let err = KeyFile::parse(&pem).unwrap().decrypt(None).unwrap_err();
    assert!(matches!(&err, KeyFileError::UnsupportedKey { reason } if reason.contains("1.2.840.10040.4.1")), "{err:?}");
}

#[test]
fn debug_output_shows_no_key_material() {
    let key = PrivateKey::generate_p256().unwrap();
    let pem = KeyFile::encode(&key, "alice", None, &Passphrase::empty()).unwrap();
    let file = KeyFile::parse(&pem).unwrap();
    let text = format!("{file:?} {key:?}");
    let body = String::from_utf8(pem.to_vec()).unwrap();
    for line in body.lines().filter(|l| !l.starts_with("-----") && l.len() > 8) {
        assert!(!text.contains(&line[..8]), "{text}");
    }
}

#[test]
fn legacy_ed25519_block_holds_notarys_96_byte_blob() {
    let key = PrivateKey::generate_ed25519().unwrap();
    let pem = pem::encode("ED25519 PRIVATE KEY", &[("role", "releases")], &key.to_go_der());
    let file = KeyFile::parse(&pem).unwrap();
    assert_eq!(file.format(), KeyFileFormat::LegacyEd25519);
    assert_eq!(file.decrypt(None).unwrap().public_key(), key.public_key());
}

#[test]
fn sec1_scalar_with_leading_zero_padding_reads_as_go_does() {
    let key = PrivateKey::generate_p256().unwrap();
    let der = key.to_go_der();
    // Re-encode ECPrivateKey with the 32-byte scalar widened to 33 bytes (a leading zero).
    let scalar = &der[7..39];
    let rest = &der[39..];
    let mut body = vec![0x02, 0x01, 0x01, 0x04, 0x21, 0x00];
    body.extend_from_slice(scalar);
    body.extend_from_slice(rest);
    let mut widened = vec![0x30, body.len() as u8];
    widened.extend_from_slice(&body);
    assert_eq!(PrivateKey::from_sec1_der(&widened).unwrap().public_key(), key.public_key());
}
