//! Root certificates: generation matches notary's structure field by field, and root
//! validation (`ValidateRoot`) behaves as Go's on real notary repositories, pinning, rotation
//! and expiry.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use der::{Decode, Encode, Tag, Tagged};
use notary_client::certs::{
    CertificateError, ROOT_CERTIFICATE_VALIDITY, RootValidation, RootValidationError, TrustPinning,
    certificate_public_key, check_delegation_key, encode_certificate_pem, generate_root_certificate, validate_root,
    validate_root_with,
};
use notary_client::clock::{Clock, FixedClock, SystemClock};
use notary_client::keys::{Signer, SoftwareKey};
use notary_client::metadata::{Expires, KeyId, KeyType, PublicKey, RoleKeys, RoleName, Root, Signed, Targets, Version};
use x509_cert::Certificate;
use x509_cert::certificate::Version as X509Version;
use x509_cert::time::Time;

const FIXTURE_GUN: &str = "localhost:5000/fixtures/app";

// ---------------------------------------------------------------------------------------------
// helpers

fn fixture_metadata(gun: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/notary-cli/trust/tuf").join(gun).join("metadata")
}

fn read_root(path: &Path) -> Signed<Root> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Signed::<Root>::parse(RoleName::root(), &bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture_root() -> Signed<Root> {
    read_root(&fixture_metadata(FIXTURE_GUN).join("root.json"))
}

/// The PEM of the (single) root role key of a root.
fn root_cert_pem(root: &Signed<Root>) -> Vec<u8> {
    let ids = root.signed().role("root").unwrap().key_ids().to_vec();
    assert_eq!(ids.len(), 1);
    root.signed().keys[&ids[0]].public().to_vec()
}

fn first_cert(pem: &[u8]) -> (Certificate, Vec<u8>) {
    let block = pem::parse_many(pem).unwrap().into_iter().next().unwrap();
    let der = block.contents().to_vec();
    (Certificate::from_der(&der).unwrap(), der)
}

fn at(s: &str) -> FixedClock {
    FixedClock::parse(s).unwrap()
}

fn time_of(t: Time) -> DateTime<Utc> {
    DateTime::from_timestamp(t.to_unix_duration().as_secs() as i64, 0).unwrap()
}

/// notary's Go source (for its fixtures), or `None` with a notice when it is not available.
/// notary's Go source tree (for its fixtures); fails under CI when missing, else skips.
fn go_src() -> Option<PathBuf> {
    support::go_compat_dir().map(|_| support::notary_go_src())
}

fn openssl_available() -> bool {
    let ok = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: no openssl binary");
    }
    ok
}

fn openssl(args: &[&str], input: Option<&Path>) -> String {
    let mut cmd = Command::new("openssl");
    cmd.args(args);
    if let Some(path) = input {
        cmd.arg("-in").arg(path);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("notary-client-certs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A P-256 key with a fresh notary root certificate for `gun`.
async fn root_key(gun: &str, not_before: DateTime<Utc>) -> SoftwareKey {
    let key = SoftwareKey::generate_p256().unwrap();
    let pem = generate_root_certificate(gun, &key, not_before).await.unwrap();
    key.with_certificate(pem).unwrap()
}

/// A root body whose `root` role is `root_keys` (threshold `threshold`); the other base roles
/// reuse the first root key, which is enough for root validation.
fn root_body(root_keys: &[&PublicKey], threshold: u32, version: u64, expires: DateTime<Utc>) -> Root {
    let ids: Vec<KeyId> = root_keys.iter().map(|k| k.id().clone()).collect();
    let roles = ["root", "targets", "snapshot", "timestamp"]
        .into_iter()
        .map(|r| {
            let role = if r == "root" {
                RoleKeys::new(ids.clone(), threshold)
            } else {
                RoleKeys::new(vec![ids[0].clone()], 1)
            };
            (r.to_owned(), role)
        })
        .collect();
    Root {
        consistent_snapshot: false,
        expires: Expires::from_utc(expires),
        keys: root_keys.iter().map(|k| (k.id().clone(), (*k).clone())).collect(),
        roles,
        version: Version::new(version).unwrap(),
    }
}

async fn signed_root(body: Root, signers: &[&dyn Signer]) -> Signed<Root> {
    let signed = Signed::sign(RoleName::root(), body, signers).await.unwrap();
    // Round-trip through the file bytes, as a downloaded root would be.
    Signed::<Root>::parse(RoleName::root(), &signed.to_file_bytes().unwrap()).unwrap()
}

fn tofu() -> TrustPinning {
    TrustPinning::default()
}

// ---------------------------------------------------------------------------------------------
// generation

#[tokio::test(flavor = "current_thread")]
async fn generated_certificate_has_notarys_structure() {
    let key = SoftwareKey::generate_p256().unwrap();
    let not_before = DateTime::parse_from_rfc3339("2026-11-26T15:53:49.221188255Z").unwrap().to_utc();
    let pem = generate_root_certificate(FIXTURE_GUN, &key, not_before).await.unwrap();

    // Go's pem.EncodeToMemory layout.
    let text = std::str::from_utf8(&pem).unwrap();
    assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(text.ends_with("\n-----END CERTIFICATE-----\n"));
    assert!(!text.contains('\r'));
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(body[..body.len() - 1].iter().all(|l| l.len() == 64), "{text}");
    assert!(body.last().unwrap().len() <= 64);

    let (cert, der) = first_cert(&pem);
    assert_eq!(encode_certificate_pem(&der), pem);
    let tbs = &cert.tbs_certificate;
    assert_eq!(tbs.version, X509Version::V3);
    let serial = tbs.serial_number.as_bytes();
    assert!(serial.len() <= 17 && (serial.len() < 17 || serial[0] == 0), "serial must be < 2^128");
    assert_eq!(tbs.subject, tbs.issuer);
    assert_eq!(tbs.subject.0.len(), 1);
    let atvs: Vec<_> = tbs.subject.0[0].0.iter().collect();
    assert_eq!(atvs.len(), 1);
    assert_eq!(atvs[0].oid.to_string(), "2.5.4.3");
    assert_eq!(atvs[0].value.tag(), Tag::PrintableString);
    assert_eq!(atvs[0].value.value(), FIXTURE_GUN.as_bytes());
    assert_eq!(time_of(tbs.validity.not_before), DateTime::from_timestamp(not_before.timestamp(), 0).unwrap());
    assert_eq!(time_of(tbs.validity.not_after) - time_of(tbs.validity.not_before), ROOT_CERTIFICATE_VALIDITY);
    assert_eq!(ROOT_CERTIFICATE_VALIDITY, Duration::hours(10 * 365 * 24));
    assert!(matches!(tbs.validity.not_before, Time::UtcTime(_)));
    assert_eq!(cert.signature_algorithm.oid.to_string(), "1.2.840.10045.4.3.2");
    assert!(cert.signature_algorithm.parameters.is_none());
    assert_eq!(tbs.signature, cert.signature_algorithm);
    assert_eq!(tbs.subject_public_key_info.to_der().unwrap(), key.bare_public_key().public());
    assert!(tbs.issuer_unique_id.is_none() && tbs.subject_unique_id.is_none());

    let exts = tbs.extensions.as_ref().unwrap();
    let summary: Vec<(String, bool, String)> =
        exts.iter().map(|e| (e.extn_id.to_string(), e.critical, hex::encode(e.extn_value.as_bytes()))).collect();
    assert_eq!(
        summary,
        [
            ("2.5.29.15".to_owned(), true, "030205a0".to_owned()), // keyUsage: digitalSignature, keyEncipherment
            ("2.5.29.37".to_owned(), false, "300a06082b06010505070303".to_owned()), // extKeyUsage: codeSigning
            ("2.5.29.19".to_owned(), true, "3000".to_owned()),     // basicConstraints: CA=false
        ]
    );

    // Same structure as the certificate notary 0.7 made for the fixture repository: identical
    // algorithm identifiers, name encoding, validity length and extensions (byte for byte).
    let (go_cert, _) = first_cert(&root_cert_pem(&fixture_root()));
    let go_tbs = &go_cert.tbs_certificate;
    assert_eq!(go_tbs.version, tbs.version);
    assert_eq!(go_tbs.signature, tbs.signature);
    assert_eq!(go_tbs.subject.to_der().unwrap(), tbs.subject.to_der().unwrap());
    assert_eq!(go_tbs.issuer.to_der().unwrap(), tbs.issuer.to_der().unwrap());
    assert_eq!(go_tbs.extensions, tbs.extensions);
    assert_eq!(go_tbs.subject_public_key_info.algorithm, tbs.subject_public_key_info.algorithm);
    assert_eq!(
        time_of(go_tbs.validity.not_after) - time_of(go_tbs.validity.not_before),
        time_of(tbs.validity.not_after) - time_of(tbs.validity.not_before)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn generated_certificate_reads_like_notarys_in_openssl() {
    if !openssl_available() {
        return;
    }
    let dir = scratch_dir("openssl-text");
    let key = SoftwareKey::generate_p256().unwrap();
    let ours = generate_root_certificate(FIXTURE_GUN, &key, Utc::now()).await.unwrap();
    std::fs::write(dir.join("ours.pem"), &ours).unwrap();
    std::fs::write(dir.join("go.pem"), root_cert_pem(&fixture_root())).unwrap();
    let text = |name: &str| openssl(&["x509", "-text", "-noout"], Some(&dir.join(name)));
    let (ours_text, go_text) = (text("ours.pem"), text("go.pem"));
    assert!(ours_text.contains(&format!("Subject: CN = {FIXTURE_GUN}")), "{ours_text}");
    assert!(ours_text.contains(&format!("Issuer: CN = {FIXTURE_GUN}")));
    assert!(ours_text.contains("X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment"));
    assert!(ours_text.contains("X509v3 Extended Key Usage: \n                Code Signing"));
    assert!(ours_text.contains("X509v3 Basic Constraints: critical\n                CA:FALSE"));
    assert!(!ours_text.contains("Key Identifier"));

    // Everything but the serial, the dates, the key and the signature reads the same.
    let normalise = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| {
                let s = l.trim();
                !(s.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
                    || s.starts_with("Not Before")
                    || s.starts_with("Not After"))
            })
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(normalise(&ours_text), normalise(&go_text), "ours:\n{ours_text}\ngo:\n{go_text}");

    // And openssl verifies the self-signature.
    let out = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(dir.join("ours.pem"))
        .arg("-partial_chain")
        .arg(dir.join("ours.pem"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("OK"), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "current_thread")]
async fn certificate_key_ids_and_canonical_id() {
    let key = SoftwareKey::generate_p256().unwrap();
    let bare = key.bare_public_key();
    let pem = generate_root_certificate("docker.io/library/alpine", &key, Utc::now()).await.unwrap();
    let cert_key = certificate_public_key(&pem).unwrap();
    assert_eq!(cert_key.key_type(), KeyType::EcdsaX509);
    assert_eq!(cert_key.public(), pem.as_slice());
    assert_eq!(cert_key.canonical_id().unwrap(), *bare.id());
    assert_ne!(cert_key.id(), bare.id());
    let key = key.with_certificate(pem).unwrap();
    assert_eq!(key.public_key(), &cert_key);
    // A second certificate for the same key (as on root rotation) has a new TUF ID, same
    // canonical ID; the certificate key can itself sign a new certificate.
    let again = generate_root_certificate("docker.io/library/alpine", &key, Utc::now()).await.unwrap();
    let again = certificate_public_key(&again).unwrap();
    assert_ne!(again.id(), cert_key.id());
    assert_eq!(again.canonical_id().unwrap(), *bare.id());
}

#[tokio::test(flavor = "current_thread")]
async fn unsupported_signers_are_refused() {
    let ed = SoftwareKey::generate_ed25519().unwrap();
    let err = generate_root_certificate("example.com/x", &ed, Utc::now()).await.unwrap_err();
    assert!(matches!(err, CertificateError::UnsupportedKey(_)), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn gun_characters_outside_printable_string_use_utf8_string() {
    let key = SoftwareKey::generate_p256().unwrap();
    let gun = "registry.example.com/my_team/app";
    let pem = generate_root_certificate(gun, &key, Utc::now()).await.unwrap();
    let (cert, _) = first_cert(&pem);
    let atv = cert.tbs_certificate.subject.0[0].0.iter().next().unwrap().clone();
    assert_eq!(atv.value.tag(), Tag::Utf8String);
    // ... and the root validates for that GUN.
    let key = key.with_certificate(pem).unwrap();
    let root = signed_root(root_body(&[key.public_key()], 1, 1, Utc::now() + Duration::days(365)), &[&key]).await;
    validate_root(&root, gun, None, &tofu(), &SystemClock, true).unwrap();
}

// ---------------------------------------------------------------------------------------------
// validation of generated roots

#[tokio::test(flavor = "current_thread")]
async fn a_root_signed_with_a_generated_certificate_validates() {
    let gun = "docker.io/library/alpine";
    let key = root_key(gun, Utc::now()).await;
    let root = signed_root(root_body(&[key.public_key()], 1, 1, Utc::now() + Duration::days(3650)), &[&key]).await;
    let trusted = validate_root(&root, gun, None, &tofu(), &SystemClock, true).unwrap();
    assert_eq!(trusted.threshold, 1);
    assert_eq!(trusted.keys.keys().collect::<Vec<_>>(), [key.public_key().id()]);

    // CN must equal the GUN exactly (trap T6: `library/alpine` is not `docker.io/library/alpine`).
    let err = validate_root(&root, "library/alpine", None, &tofu(), &SystemClock, true).unwrap_err();
    assert!(matches!(err, RootValidationError::NoValidLeafCert { .. }), "{err}");

    // A certificate dated up to a day ahead is accepted, further ahead it is not.
    let soon = root_key(gun, Utc::now() + Duration::hours(23)).await;
    let root = signed_root(root_body(&[soon.public_key()], 1, 1, Utc::now() + Duration::days(30)), &[&soon]).await;
    validate_root(&root, gun, None, &tofu(), &SystemClock, true).unwrap();
    let later = root_key(gun, Utc::now() + Duration::hours(25)).await;
    let root = signed_root(root_body(&[later.public_key()], 1, 1, Utc::now() + Duration::days(30)), &[&later]).await;
    let err = validate_root(&root, gun, None, &tofu(), &SystemClock, true).unwrap_err();
    assert!(matches!(err, RootValidationError::NoValidLeafCert { .. }), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn wildcard_certificate_cn_covers_the_gun_prefix() {
    let key = root_key("docker.io/team/*", Utc::now()).await;
    let root = signed_root(root_body(&[key.public_key()], 1, 1, Utc::now() + Duration::days(30)), &[&key]).await;
    validate_root(&root, "docker.io/team/app", None, &tofu(), &SystemClock, true).unwrap();
    let err = validate_root(&root, "docker.io/other/app", None, &tofu(), &SystemClock, true).unwrap_err();
    assert!(matches!(err, RootValidationError::NoValidLeafCert { .. }), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn certificate_pem_not_in_go_layout_never_matches_its_signature() {
    // The same certificate wrapped at 76 columns with CRLF: the stored key (and the signature's
    // key ID) differ from the re-encoded key notary computes, so the signature is not counted.
    let gun = "example.com/app";
    let key = SoftwareKey::generate_p256().unwrap();
    let pem = generate_root_certificate(gun, &key, Utc::now()).await.unwrap();
    let (_, der) = first_cert(&pem);
    let odd = pem::encode_config(
        &pem::Pem::new("CERTIFICATE", der),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::CRLF).set_line_wrap(76),
    );
    let key = key.with_certificate(odd.into_bytes()).unwrap();
    let root = signed_root(root_body(&[key.public_key()], 1, 1, Utc::now() + Duration::days(30)), &[&key]).await;
    let err = validate_root(&root, gun, None, &tofu(), &SystemClock, true).unwrap_err();
    assert!(matches!(err, RootValidationError::ThresholdNotMet { .. }), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn root_threshold_counts_distinct_valid_certificate_keys() {
    let gun = "example.com/app";
    let (a, b) = (root_key(gun, Utc::now()).await, root_key(gun, Utc::now()).await);
    let body = root_body(&[a.public_key(), b.public_key()], 2, 1, Utc::now() + Duration::days(30));
    let one = signed_root(body.clone(), &[&a]).await;
    let err = validate_root(&one, gun, None, &tofu(), &SystemClock, true).unwrap_err();
    assert!(matches!(err, RootValidationError::ThresholdNotMet { .. }), "{err}");
    let both = signed_root(body, &[&a, &b]).await;
    let trusted = validate_root(&both, gun, None, &tofu(), &SystemClock, true).unwrap();
    assert_eq!(trusted.keys.len(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn metadata_expiry_and_version_are_checked_last() {
    let gun = "example.com/app";
    let key = root_key(gun, Utc::now() - Duration::days(10)).await;
    let root = signed_root(root_body(&[key.public_key()], 1, 3, Utc::now() - Duration::days(1)), &[&key]).await;
    let err = validate_root(&root, gun, None, &tofu(), &SystemClock, true).unwrap_err();
    assert!(matches!(err, RootValidationError::Expired { .. }), "{err}");
    validate_root(&root, gun, None, &tofu(), &SystemClock, false).unwrap();

    let pinning = tofu();
    let opts = |min_version, enforce_expiry| RootValidation {
        gun,
        previous: None,
        pinning: &pinning,
        clock: &SystemClock,
        min_version,
        enforce_expiry,
    };
    validate_root_with(&root, &opts(3, false)).unwrap();
    let err = validate_root_with(&root, &opts(4, true)).unwrap_err();
    assert_eq!(err, RootValidationError::VersionTooLow { version: 3, min_version: 4 });
}

// ---------------------------------------------------------------------------------------------
// rotation

#[tokio::test(flavor = "current_thread")]
async fn rotation_requires_the_previous_root_keys() {
    let gun = "docker.io/library/alpine";
    let expires = Utc::now() + Duration::days(3650);
    let old = root_key(gun, Utc::now()).await;
    let v1 = signed_root(root_body(&[old.public_key()], 1, 1, expires), &[&old]).await;
    validate_root(&v1, gun, None, &tofu(), &SystemClock, true).unwrap();

    let new = root_key(gun, Utc::now()).await;
    let body = root_body(&[new.public_key()], 1, 2, expires);

    // Signed only by the new key: valid on its own (TOFU), but not a rotation from v1.
    let only_new = signed_root(body.clone(), &[&new]).await;
    validate_root(&only_new, gun, None, &tofu(), &SystemClock, true).unwrap();
    let err = validate_root(&only_new, gun, Some(&v1), &tofu(), &SystemClock, true).unwrap_err();
    assert!(err.is_rotation_failure(), "{err}");
    assert!(matches!(err, RootValidationError::RotationFailed { previous_version: 1, .. }));

    // Signed by both: the old key vouches, the new key meets the new root's own threshold.
    let both = signed_root(body.clone(), &[&old, &new]).await;
    let trusted = validate_root(&both, gun, Some(&v1), &tofu(), &SystemClock, true).unwrap();
    assert_eq!(trusted.keys.keys().collect::<Vec<_>>(), [new.public_key().id()]);

    // Signed only by the old key: the rotation check passes but the new root's own keys do not sign.
    let only_old = signed_root(body, &[&old]).await;
    let err = validate_root(&only_old, gun, Some(&v1), &tofu(), &SystemClock, true).unwrap_err();
    assert!(matches!(err, RootValidationError::ThresholdNotMet { .. }), "{err}");

    // Replaying an older version against a newer trusted root fails the version check.
    let err = validate_root(&v1, gun, Some(&both), &tofu(), &SystemClock, true).unwrap_err();
    assert!(err.is_rotation_failure() || matches!(err, RootValidationError::VersionTooLow { .. }), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn previous_root_certificates_are_not_expiry_checked() {
    let gun = "example.com/app";
    let expires = Utc::now() + Duration::days(3650);
    let old = root_key(gun, Utc::now() - Duration::days(20)).await;
    let new = root_key(gun, Utc::now()).await;
    // At a time when the old certificate has expired (but not the new one), the old root is
    // still usable as the previous root.
    let clock = FixedClock(Utc::now() + ROOT_CERTIFICATE_VALIDITY - Duration::days(10));
    let v1 = signed_root(root_body(&[old.public_key()], 1, 1, expires), &[&old]).await;
    let err = validate_root(&v1, gun, None, &tofu(), &clock, false).unwrap_err();
    assert!(matches!(err, RootValidationError::NoValidLeafCert { .. }), "{err}");
    let v2 = signed_root(root_body(&[new.public_key()], 1, 2, expires), &[&old, &new]).await;
    validate_root(&v2, gun, Some(&v1), &tofu(), &clock, true).unwrap();
}

// ---------------------------------------------------------------------------------------------
// the notary CLI fixture repository

#[test]
fn notary_cli_fixture_roots_validate_and_key_ids_round_trip() {
    let clock = at("2027-01-01T00:00:00Z");
    for gun in [FIXTURE_GUN, "localhost:5000/fixtures/client-snap"] {
        let root = read_root(&fixture_metadata(gun).join("root.json"));
        let trusted = validate_root(&root, gun, None, &tofu(), &clock, true).unwrap();
        // The re-encoded certificate keys have exactly the IDs notary wrote: Go's PEM layout.
        let listed: Vec<&KeyId> = root.signed().role("root").unwrap().key_ids().iter().collect();
        assert_eq!(trusted.keys.keys().collect::<Vec<_>>(), listed, "{gun}");
        for (id, key) in &trusted.keys {
            assert_eq!(key.public(), root.signed().keys[id].public());
            assert_eq!(certificate_public_key(key.public()).unwrap(), *key);
        }
    }
}

#[test]
fn notary_cli_fixture_root_is_rejected_for_another_gun_pin_or_time() {
    let root = fixture_root();
    let cert_id = root.signed().role("root").unwrap().key_ids()[0].clone();
    let clock = at("2027-01-01T00:00:00Z");

    let err = validate_root(&root, "localhost:5000/fixtures/other", None, &tofu(), &clock, true).unwrap_err();
    assert!(matches!(err, RootValidationError::NoValidLeafCert { .. }), "{err}");

    let pin =
        |pattern: &str, id: KeyId| TrustPinning { certs: BTreeMap::from([(pattern.to_owned(), vec![id])]), ..tofu() };
    let wrong = KeyId::new("0".repeat(64)).unwrap();
    let err = validate_root(&root, FIXTURE_GUN, None, &pin(FIXTURE_GUN, wrong.clone()), &clock, true).unwrap_err();
    assert!(matches!(&err, RootValidationError::PinningMismatch { rule, .. } if rule.contains(FIXTURE_GUN)), "{err}");
    validate_root(&root, FIXTURE_GUN, None, &pin(FIXTURE_GUN, cert_id.clone()), &clock, true).unwrap();
    validate_root(&root, FIXTURE_GUN, None, &pin("localhost:5000/*", cert_id.clone()), &clock, true).unwrap();
    // The longest wildcard wins, and an exact entry beats any wildcard.
    let mut both = pin("localhost:5000/*", cert_id.clone());
    both.certs.insert("localhost:5000/fixtures/*".into(), vec![wrong.clone()]);
    assert!(validate_root(&root, FIXTURE_GUN, None, &both, &clock, true).is_err());
    both.certs.insert(FIXTURE_GUN.into(), vec![cert_id.clone()]);
    validate_root(&root, FIXTURE_GUN, None, &both, &clock, true).unwrap();
    // A wildcard for other GUNs does not apply: TOFU.
    validate_root(&root, FIXTURE_GUN, None, &pin("docker.io/*", wrong), &clock, true).unwrap();
    // TOFU disabled without a pin: refused on first use, fine with a previous root.
    let strict = TrustPinning { disable_tofu: true, ..tofu() };
    let err = validate_root(&root, FIXTURE_GUN, None, &strict, &clock, true).unwrap_err();
    assert!(matches!(err, RootValidationError::PinningConfig { .. }), "{err}");
    validate_root(&root, FIXTURE_GUN, Some(&root), &strict, &clock, true).unwrap();

    // Certificate validity: notBefore 2026-11-26T15:53:49Z (one day of leeway), notAfter
    // 2036-11-23T15:53:49Z — checked even when metadata expiry is waived.
    validate_root(&root, FIXTURE_GUN, None, &tofu(), &at("2026-11-25T16:00:00Z"), true).unwrap();
    validate_root(&root, FIXTURE_GUN, None, &tofu(), &at("2036-11-23T15:53:49Z"), false).unwrap();
    for t in ["2026-11-25T15:00:00Z", "2036-11-23T15:53:50Z"] {
        let err = validate_root(&root, FIXTURE_GUN, None, &tofu(), &at(t), false).unwrap_err();
        assert!(matches!(err, RootValidationError::NoValidLeafCert { .. }), "{t}: {err}");
    }
}

#[test]
fn notary_cli_fixture_delegation_keys_pass_the_certificate_check() {
    let bytes = std::fs::read(fixture_metadata(FIXTURE_GUN).join("targets.json")).unwrap();
    let targets = Signed::<Targets>::parse(RoleName::targets(), &bytes).unwrap();
    let keys = targets.signed().delegations.keys.clone().unwrap_or_default();
    assert!(keys.values().any(|k| k.key_type() == KeyType::EcdsaX509));
    for key in keys.values() {
        check_delegation_key(key).unwrap();
    }
    // The check does not look at expiry: the same certificate far in the future still passes
    // (no clock is involved at all).
}

// ---------------------------------------------------------------------------------------------
// notary's Go fixtures

#[test]
fn go_compatibility_fixture_roots() {
    let Some(src) = go_src() else { return };
    let compat = src.join("fixtures/compatibility");

    // notary 0.3: the root certificate is valid 2016-07-27 .. 2026-07-25T22:56:32Z.
    let gun = "docker.com/notary0.3/tst";
    let root = read_root(&compat.join("notary0.3/tuf/docker.com/notary0.3/tst/metadata/root.json"));
    let trusted = validate_root(&root, gun, None, &tofu(), &at("2026-01-01T00:00:00Z"), true).unwrap();
    assert_eq!(
        trusted.keys.keys().map(KeyId::as_str).collect::<Vec<_>>(),
        ["354e203ba09dbe17807b6a9d191bff887167c06d121e738d849446a9c76c2866"]
    );
    let expired_at = at("2026-07-25T22:56:32Z").now();
    if SystemClock.now() > expired_at {
        let err = validate_root(&root, gun, None, &tofu(), &SystemClock, true).unwrap_err();
        assert!(matches!(err, RootValidationError::NoValidLeafCert { .. }), "{err}");
        // Waiving metadata expiry does not waive the certificate's.
        assert!(validate_root(&root, gun, None, &tofu(), &SystemClock, false).is_err());
    }
    let err = validate_root(&root, gun, None, &tofu(), &at("2026-07-25T22:56:33Z"), false).unwrap_err();
    assert!(matches!(err, RootValidationError::NoValidLeafCert { .. }), "{err}");

    // notary 0.1: valid until 2116.
    let gun = "docker.com/notary0.1/samplerepo";
    let root = read_root(&compat.join("notary0.1/tuf/docker.com/notary0.1/samplerepo/metadata/root.json"));
    let trusted = validate_root(&root, gun, None, &tofu(), &SystemClock, true).unwrap();
    assert_eq!(
        trusted.keys.keys().map(KeyId::as_str).collect::<Vec<_>>(),
        ["4ff57dc987163053a12c066f2dd36b1ae6037a92f5416d381fe311a3db1868d8"]
    );
}

/// notary's own CA pinning test (`TestValidateRootWithPinnedCA`): an `rsa-x509` root key over
/// the `notary-signer` certificate and its intermediate, pinned to `root-ca.crt`.
#[tokio::test(flavor = "current_thread")]
async fn go_fixture_ca_pinning() {
    let Some(src) = go_src() else { return };
    let fixtures = src.join("fixtures");
    let read = |name: &str| std::fs::read(fixtures.join(name)).unwrap();
    let gun = "notary-signer";
    // The leaf is valid 2022-11-28 .. 2024-12-17.
    let clock = at("2023-06-01T00:00:00Z");

    let key_der = pem::parse(read("notary-signer.key")).unwrap().into_contents();
    let key = SoftwareKey::from_pkcs8(&key_der).unwrap().with_certificate(read("notary-signer.crt")).unwrap();
    let cert_key = certificate_public_key(&read("notary-signer.crt")).unwrap();
    assert_eq!(cert_key.key_type(), KeyType::RsaX509);
    assert_eq!(&cert_key, key.public_key(), "the fixture chain is already in Go's PEM layout");
    let root = signed_root(root_body(&[key.public_key()], 1, 1, clock.now() + Duration::days(365)), &[&key]).await;

    let ca =
        |bundle: Vec<u8>| TrustPinning { ca: BTreeMap::from([(gun.to_owned(), bundle)]), disable_tofu: true, ..tofu() };
    let trusted = validate_root(&root, gun, None, &ca(read("root-ca.crt")), &clock, true).unwrap();
    assert_eq!(trusted.keys.keys().collect::<Vec<_>>(), [cert_key.id()]);
    // A prefix of the GUN selects the CA too.
    let prefixed = TrustPinning { ca: BTreeMap::from([("notary".to_owned(), read("root-ca.crt"))]), ..tofu() };
    validate_root(&root, gun, None, &prefixed, &clock, true).unwrap();

    // Certs pinning has priority over the CA.
    let mut with_certs = ca(read("root-ca.crt"));
    with_certs.certs.insert(gun.into(), vec![KeyId::new("a".repeat(64)).unwrap()]);
    let err = validate_root(&root, gun, None, &with_certs, &clock, true).unwrap_err();
    assert!(matches!(err, RootValidationError::PinningMismatch { .. }), "{err}");

    // A CA the leaf does not chain to.
    let err = validate_root(&root, gun, None, &ca(read("self-signed_docker.com-notary.crt")), &clock, true);
    assert!(err.is_err());
    // Not a PEM bundle.
    let err = validate_root(&root, gun, None, &ca(b"ABSOLUTELY NOT A PEM".to_vec()), &clock, true).unwrap_err();
    assert!(matches!(err, RootValidationError::PinningConfig { .. }), "{err}");
    // The CA is checked at the clock's time too: the leaf has expired by 2025.
    let err = validate_root(&root, gun, None, &ca(read("root-ca.crt")), &at("2025-01-01T00:00:00Z"), true).unwrap_err();
    assert!(matches!(err, RootValidationError::NoValidLeafCert { .. }), "{err}");
}

/// Go verifies the chain to a pinned CA with default options, which require the `serverAuth`
/// extended key usage wherever extended key usages are listed: a notary-style `codeSigning`
/// leaf never chains to a pinned CA, a `serverAuth` (or unrestricted) one does.
#[tokio::test(flavor = "current_thread")]
async fn ca_pinning_follows_gos_default_key_usage() {
    if !openssl_available() {
        return;
    }
    let dir = scratch_dir("ca");
    let gun = "example.com/pinned/app";
    let run = |args: &[&str]| {
        let out = Command::new("openssl").current_dir(&dir).args(args).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key"]);
    run(&[
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-sha256",
        "-days",
        "30",
        "-subj",
        "/CN=Test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
        "-out",
        "ca.crt",
    ]);
    run(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "leaf.key"]);
    run(&["pkcs8", "-topk8", "-nocrypt", "-in", "leaf.key", "-outform", "DER", "-out", "leaf.p8"]);
    run(&["req", "-new", "-key", "leaf.key", "-subj", &format!("/CN={}", gun.replace('/', "\\/")), "-out", "leaf.csr"]);
    let leaf_pkcs8 = std::fs::read(dir.join("leaf.p8")).unwrap();
    let ca_pem = std::fs::read(dir.join("ca.crt")).unwrap();
    let pinning = TrustPinning { ca: BTreeMap::from([("example.com/".to_owned(), ca_pem)]), ..tofu() };

    for (usage, chains) in [("serverAuth", true), ("codeSigning", false), ("", true)] {
        let mut ext = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n".to_owned();
        if !usage.is_empty() {
            ext.push_str(&format!("extendedKeyUsage={usage}\n"));
        }
        std::fs::write(dir.join("leaf.ext"), ext).unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-sha256",
            "-days",
            "10",
            "-extfile",
            "leaf.ext",
            "-out",
            "leaf.crt",
        ]);
        let leaf_pem = std::fs::read(dir.join("leaf.crt")).unwrap();
        let key = SoftwareKey::from_pkcs8(&leaf_pkcs8).unwrap().with_certificate(leaf_pem).unwrap();
        let root = signed_root(root_body(&[key.public_key()], 1, 1, Utc::now() + Duration::days(5)), &[&key]).await;
        let result = validate_root(&root, gun, None, &pinning, &SystemClock, true);
        assert_eq!(result.is_ok(), chains, "extendedKeyUsage={usage:?}: {result:?}");
        if !chains {
            assert!(matches!(result, Err(RootValidationError::PinningMismatch { .. })));
        }
        // The same root under TOFU is fine either way.
        validate_root(&root, gun, None, &tofu(), &SystemClock, true).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
