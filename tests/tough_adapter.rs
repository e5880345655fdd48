//! The optional tough adapter (`--features tough`): tough signers and key sources as notary
//! signers, with keys in notary's form and signatures notary verifies.
#![cfg(feature = "tough")]

use std::path::Path;
use std::process::Command;

use async_trait::async_trait;
use aws_lc_rs::rand::SecureRandom;
use notary_client::keys::{
    PublicKeyInfo, SignError, SignatureMethod, Signer, SoftwareKey, ToughSigner, verify_signature,
};
use notary_client::metadata::{Expires, FileMeta, KeyType, RoleName, Signed, Targets, TrustedKeys, Version};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use tempfile::TempDir;
use tough::key_source::LocalKeySource;
use tough::schema::decoded::{Decoded, EcdsaFlex, RsaPem};
use tough::schema::key::{EcdsaKey, EcdsaScheme, Key, RsaKey, RsaScheme};
use tough::sign::Sign;

const MSG: &[u8] = b"{\"_type\":\"Targets\",\"version\":1}";

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A fresh P-256 key as PKCS#8 DER (ring writes RFC 5915 inside PKCS#8, with the public key).
fn p256_pkcs8() -> Vec<u8> {
    EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new()).unwrap().as_ref().to_vec()
}

fn ed25519_pkcs8() -> Vec<u8> {
    ring::signature::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap().as_ref().to_vec()
}

/// A fresh 2048-bit RSA key, PKCS#8 PEM ("PRIVATE KEY"), from openssl.
fn rsa_pkcs8_pem(dir: &Path) -> Vec<u8> {
    let path = dir.join("rsa-gen.pem");
    let out = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
        .arg(&path)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl genpkey: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(&path).unwrap()
}

fn pem_private_key(der: &[u8]) -> Vec<u8> {
    pem::encode(&pem::Pem::new("PRIVATE KEY", der.to_vec())).into_bytes()
}

/// A tough `LocalKeySource` reading `contents` from a file in `dir`.
fn key_file(dir: &TempDir, name: &str, contents: &[u8]) -> LocalKeySource {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    LocalKeySource { path }
}

async fn signer_from_file(contents: &[u8]) -> ToughSigner {
    let dir = TempDir::new().unwrap();
    ToughSigner::from_key_source(&key_file(&dir, "key", contents)).await.unwrap()
}

/// A tough signer that reports `key` as its public key (the forms other `Sign`
/// implementations and go-tuf-style keys use) and signs with `inner`.
struct WithKey {
    inner: Box<dyn Sign>,
    key: Key,
}

#[async_trait]
impl Sign for WithKey {
    fn tuf_key(&self) -> Key {
        self.key.clone()
    }

    async fn sign(&self, msg: &[u8], rng: &(dyn SecureRandom + Sync)) -> Result<Vec<u8>, BoxError> {
        self.inner.sign(msg, rng).await
    }
}

/// A tough signer with a fixed key whose signing returns a canned result.
struct Canned {
    key: Key,
    result: Result<Vec<u8>, &'static str>,
}

#[async_trait]
impl Sign for Canned {
    fn tuf_key(&self) -> Key {
        self.key.clone()
    }

    async fn sign(&self, _msg: &[u8], _rng: &(dyn SecureRandom + Sync)) -> Result<Vec<u8>, BoxError> {
        self.result.clone().map_err(Into::into)
    }
}

fn ecdsa_key(public: Decoded<EcdsaFlex>, old_keytype: bool) -> Key {
    let keyval = EcdsaKey { public, _extra: Default::default() };
    let scheme = EcdsaScheme::EcdsaSha2Nistp256;
    if old_keytype {
        Key::EcdsaOld { keyval, scheme, _extra: Default::default() }
    } else {
        Key::Ecdsa { keyval, scheme, _extra: Default::default() }
    }
}

fn unsupported_reason(result: Result<ToughSigner, SignError>) -> String {
    match result {
        Err(SignError::Unsupported { reason, .. }) => reason,
        other => panic!("expected SignError::Unsupported, got {other:?}"),
    }
}

#[tokio::test]
async fn ecdsa_signature_from_tough_is_raw_and_verifies() {
    let signer = signer_from_file(&p256_pkcs8()).await;
    assert_eq!(signer.method(), SignatureMethod::Ecdsa);
    let sig = signer.sign(MSG).await.unwrap();
    assert_eq!(sig.len(), 64, "raw r‖s, never DER");
    verify_signature(signer.public_key(), signer.method().as_str(), MSG, &sig).unwrap();
    assert!(verify_signature(signer.public_key(), "ecdsa", b"another message", &sig).is_err());
}

#[tokio::test]
async fn ecdsa_key_maps_to_notary_spki_and_key_id() {
    let pkcs8 = p256_pkcs8();
    let signer = signer_from_file(&pkcs8).await;
    let software = SoftwareKey::from_pkcs8(&pkcs8).unwrap();
    let public = signer.public_key();
    assert_eq!(public.key_type(), KeyType::Ecdsa);
    assert_eq!(public.public().len(), 91, "DER SubjectPublicKeyInfo of an uncompressed P-256 point");
    assert!(matches!(PublicKeyInfo::from_spki_der(public.public()), Ok(PublicKeyInfo::EcP256(_))));
    assert_eq!(public, software.public_key());
    assert_eq!(public.id(), software.public_key().id());
}

#[tokio::test]
async fn ecdsa_key_in_every_form_tough_decodes_maps_to_the_same_notary_key() {
    let pkcs8 = p256_pkcs8();
    let expected = SoftwareKey::from_pkcs8(&pkcs8).unwrap().public_key().clone();
    let point = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &SystemRandom::new())
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec();
    let spki_der = expected.public().to_vec();
    let spki_pem = pem::encode(&pem::Pem::new("PUBLIC KEY", spki_der.clone()));
    let forms: Vec<(&str, Decoded<EcdsaFlex>)> = vec![
        // TUF's PEM SubjectPublicKeyInfo: tough decodes it to the point.
        ("PEM SPKI", spki_pem.parse().unwrap()),
        // go-tuf's hex-encoded point.
        ("hex point", hex::encode(&point).parse().unwrap()),
        // Hex of DER SPKI or of PEM text: tough keeps whatever the hex holds.
        ("hex SPKI DER", hex::encode(&spki_der).parse().unwrap()),
        ("hex PEM text", hex::encode(spki_pem.as_bytes()).parse().unwrap()),
        // Built from bytes by a `Sign` implementation.
        ("bytes SPKI DER", Decoded::from(spki_der.clone())),
    ];
    for (name, public) in forms {
        for old_keytype in [false, true] {
            let dir = TempDir::new().unwrap();
            let inner = tough::key_source::KeySource::as_sign(&key_file(&dir, "key", &pkcs8)).await.unwrap();
            let signer = ToughSigner::new(Box::new(WithKey { inner, key: ecdsa_key(public.clone(), old_keytype) }))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(signer.public_key(), &expected, "{name} (old keytype: {old_keytype})");
            let sig = signer.sign(MSG).await.unwrap();
            verify_signature(signer.public_key(), "ecdsa", MSG, &sig).unwrap();
        }
    }
}

#[tokio::test]
async fn ecdsa_key_not_on_p256_is_rejected() {
    let p384 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &SystemRandom::new()).unwrap();
    let point = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, p384.as_ref(), &SystemRandom::new())
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec();
    let key = ecdsa_key(hex::encode(&point).parse().unwrap(), false);
    let reason = unsupported_reason(ToughSigner::new(Box::new(Canned { key, result: Ok(vec![]) })));
    assert!(reason.contains("P-256"), "{reason}");
}

#[tokio::test]
async fn ecdsa_compressed_point_is_rejected() {
    let mut compressed = vec![0x02];
    compressed.extend_from_slice(&[0x11; 32]);
    let key = ecdsa_key(Decoded::from(compressed), false);
    let reason = unsupported_reason(ToughSigner::new(Box::new(Canned { key, result: Ok(vec![]) })));
    assert!(reason.contains("compressed"), "{reason}");
}

#[tokio::test]
async fn ecdsa_signature_that_is_not_der_is_a_backend_error() {
    let dir = TempDir::new().unwrap();
    let key = tough::key_source::KeySource::as_sign(&key_file(&dir, "key", &p256_pkcs8())).await.unwrap().tuf_key();
    let raw = ToughSigner::new(Box::new(Canned { key, result: Ok(vec![0x42; 64]) })).unwrap();
    match raw.sign(MSG).await {
        Err(SignError::Backend { key_id, reason }) => {
            assert_eq!(key_id, raw.public_key().id().to_string());
            assert!(reason.contains("not DER"), "{reason}");
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[tokio::test]
async fn rsa_signs_rsapss_that_notary_verifies() {
    let dir = TempDir::new().unwrap();
    let signer = signer_from_file(&rsa_pkcs8_pem(dir.path())).await;
    assert_eq!(signer.method(), SignatureMethod::RsaPss);
    let sig = signer.sign(MSG).await.unwrap();
    assert_eq!(sig.len(), 256);
    // The verifier checks RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.
    verify_signature(signer.public_key(), "rsapss", MSG, &sig).unwrap();
    assert!(verify_signature(signer.public_key(), "rsapkcs1v15", MSG, &sig).is_err());
    assert!(verify_signature(signer.public_key(), "rsapss", b"another message", &sig).is_err());
}

#[tokio::test]
async fn rsa_key_maps_to_notary_spki_and_key_id() {
    let dir = TempDir::new().unwrap();
    let pem_bytes = rsa_pkcs8_pem(dir.path());
    let signer = signer_from_file(&pem_bytes).await;
    let software = SoftwareKey::from_pkcs8(pem::parse(&pem_bytes).unwrap().contents()).unwrap();
    let public = signer.public_key();
    assert_eq!(public.key_type(), KeyType::Rsa);
    assert!(matches!(PublicKeyInfo::from_spki_der(public.public()), Ok(PublicKeyInfo::Rsa(_))));
    assert_eq!(public, software.public_key());
    assert_eq!(public.id(), software.public_key().id());
}

fn rsa_key(public: Decoded<RsaPem>) -> Key {
    Key::Rsa {
        keyval: RsaKey { public, _extra: Default::default() },
        scheme: RsaScheme::RsassaPssSha256,
        _extra: Default::default(),
    }
}

#[tokio::test]
async fn rsa_key_given_as_spki_bytes_maps_to_the_same_notary_key() {
    // tough's own keys (and tough-kms's PEM) decode to PKCS#1; a `Sign` built from bytes may
    // hold the whole SubjectPublicKeyInfo instead.
    let dir = TempDir::new().unwrap();
    let inner =
        tough::key_source::KeySource::as_sign(&key_file(&dir, "key", &rsa_pkcs8_pem(dir.path()))).await.unwrap();
    let expected = ToughSigner::new(Box::new(WithKey { key: inner.tuf_key(), inner })).unwrap().public_key().clone();

    let key = rsa_key(Decoded::from(expected.public().to_vec()));
    let signer = ToughSigner::new(Box::new(Canned { key, result: Ok(vec![]) })).unwrap();
    assert_eq!(signer.public_key(), &expected);
}

#[tokio::test]
async fn rsa_key_under_2048_bits_is_rejected() {
    let dir = TempDir::new().unwrap();
    let private = dir.path().join("rsa1024.pem");
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().expect("run openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let private = private.to_str().unwrap();
    run(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", private]);
    let public_pem = String::from_utf8(run(&["pkey", "-in", private, "-pubout"])).unwrap();
    let key = rsa_key(public_pem.trim().parse().unwrap());
    let reason = unsupported_reason(ToughSigner::new(Box::new(Canned { key, result: Ok(vec![]) })));
    assert!(reason.contains("2048"), "{reason}");
}

#[tokio::test]
async fn ed25519_signs_eddsa_with_the_raw_32_byte_key() {
    let pkcs8 = ed25519_pkcs8();
    let signer = signer_from_file(&pkcs8).await;
    let software = SoftwareKey::from_pkcs8(&pkcs8).unwrap();
    assert_eq!(signer.method(), SignatureMethod::Eddsa);
    assert_eq!(signer.public_key().key_type(), KeyType::Ed25519);
    assert_eq!(signer.public_key().public().len(), 32);
    assert_eq!(signer.public_key(), software.public_key());
    let sig = signer.sign(MSG).await.unwrap();
    assert_eq!(sig.len(), 64);
    verify_signature(signer.public_key(), "eddsa", MSG, &sig).unwrap();
}

#[tokio::test]
async fn signed_releases_metadata_verifies_with_trusted_keys() {
    let dir = TempDir::new().unwrap();
    let ecdsa = signer_from_file(&p256_pkcs8()).await;
    let rsa = signer_from_file(&rsa_pkcs8_pem(dir.path())).await;
    let expires = Expires::from_utc(chrono::Utc::now() + chrono::Duration::days(3 * 365));
    let mut body = Targets::new(expires, Version::FIRST);
    body.targets.insert("v1.0".into(), FileMeta::sha256_only([0x11; 32], 528));
    let signed = Signed::sign(RoleName::releases(), body, &[&ecdsa, &rsa]).await.unwrap();
    let bytes = signed.to_file_bytes().unwrap();

    let parsed = Signed::<Targets>::parse(RoleName::releases(), &bytes).unwrap();
    let trusted = TrustedKeys {
        keys: [ecdsa.public_key(), rsa.public_key()].into_iter().map(|k| (k.id().clone(), k.clone())).collect(),
        threshold: 2,
    };
    let valid = parsed.verify(&trusted).unwrap();
    assert!(valid.contains(ecdsa.public_key().id()) && valid.contains(rsa.public_key().id()));
}

#[tokio::test]
async fn key_source_failure_is_a_backend_error_without_key_material() {
    let secret = b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0LW5vdC1hLWtleQ==\n-----END PRIVATE KEY-----\n";
    let dir = TempDir::new().unwrap();
    match ToughSigner::from_key_source(&key_file(&dir, "bad", secret)).await {
        Err(SignError::Backend { key_id, reason }) => {
            assert_eq!(key_id, "tough-key-source");
            assert!(reason.contains("Unrecognized private key"), "{reason}");
            assert!(!reason.contains("c2VjcmV0"), "{reason}");
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
    let missing = LocalKeySource { path: dir.path().join("missing") };
    assert!(matches!(ToughSigner::from_key_source(&missing).await, Err(SignError::Backend { .. })));
}

#[tokio::test]
async fn signing_failure_in_tough_is_a_backend_error_with_the_notary_key_id() {
    let signer = signer_from_file(&ed25519_pkcs8()).await;
    // tough parses a 32-byte hex key as Ed25519.
    let key: Key = hex::encode(signer.public_key().public()).parse().unwrap();
    let failing = ToughSigner::new(Box::new(Canned { key, result: Err("HSM offline") })).unwrap();
    assert_eq!(failing.public_key(), signer.public_key());
    match failing.sign(MSG).await {
        Err(SignError::Backend { key_id, reason }) => {
            assert_eq!(key_id, signer.public_key().id().to_string());
            assert!(reason.contains("HSM offline"), "{reason}");
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[tokio::test]
async fn debug_shows_only_key_type_and_key_id() {
    let signer = signer_from_file(&p256_pkcs8()).await;
    let shown = format!("{signer:?}");
    assert!(shown.contains("Ecdsa") && shown.contains(signer.public_key().id().as_str()), "{shown}");
    assert!(!shown.contains(&hex::encode(signer.public_key().public())), "{shown}");
    assert!(!shown.contains("keyval") && !shown.contains("PUBLIC KEY"), "{shown}");
}

#[tokio::test]
async fn pem_p256_key_file_is_not_accepted_by_tough_local_key_source() {
    // tough 0.24 reads ECDSA and Ed25519 key files as PKCS#8 DER only; a PEM "PRIVATE KEY" is
    // tried as RSA alone. Documented in docs/tough.md; this test notices if tough changes.
    let dir = TempDir::new().unwrap();
    let source = key_file(&dir, "p256.pem", &pem_private_key(&p256_pkcs8()));
    match ToughSigner::from_key_source(&source).await {
        Err(SignError::Backend { reason, .. }) => assert!(reason.contains("Unrecognized private key"), "{reason}"),
        other => panic!("expected a backend error, got {other:?}"),
    }
}
