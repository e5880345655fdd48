//! Signature methods and threshold counting (spec §3.4, trap T4): the algorithm comes from the
//! trusted key's type, never from `method` alone.

use std::collections::BTreeMap;
use std::process::Command;

use notary_client::keys::{SignatureError, Signer, SoftwareKey, der_to_raw, raw_to_der, verify_signature};
use notary_client::metadata::{KeyId, PublicKey, RoleName, Signature, TrustedKeys, VerifyError, verify_threshold};

const MSG: &[u8] = b"{\"_type\":\"Targets\"}";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
}

fn p256() -> SoftwareKey {
    SoftwareKey::generate_p256().unwrap()
}

fn sig_of(key: &SoftwareKey, method: &str, sig: Vec<u8>) -> Signature {
    Signature { keyid: key.public_key().id().clone(), method: method.to_owned(), sig }
}

fn trusted(keys: &[&SoftwareKey], threshold: u32) -> TrustedKeys {
    TrustedKeys {
        keys: keys.iter().map(|k| (k.public_key().id().clone(), k.public_key().clone())).collect(),
        threshold,
    }
}

#[test]
fn ecdsa_signatures_are_raw_r_s_of_64_bytes_and_verify() {
    let k = p256();
    let sig = block_on(k.sign(MSG)).unwrap();
    assert_eq!(sig.len(), 64);
    verify_signature(k.public_key(), "ecdsa", MSG, &sig).unwrap();
}

#[test]
fn method_is_matched_case_insensitively_like_go() {
    let k = p256();
    let sig = block_on(k.sign(MSG)).unwrap();
    verify_signature(k.public_key(), "ECDSA", MSG, &sig).unwrap();
}

#[test]
fn der_ecdsa_signatures_never_verify() {
    let k = p256();
    let der = raw_to_der(&block_on(k.sign(MSG)).unwrap()).unwrap();
    assert!(matches!(
        verify_signature(k.public_key(), "ecdsa", MSG, &der),
        Err(SignatureError::BadLength { expected: 64, .. })
    ));
    assert_eq!(der_to_raw(&der, 32).unwrap().len(), 64);
}

#[test]
fn ecdsa_signature_over_other_bytes_is_invalid() {
    let k = p256();
    let sig = block_on(k.sign(MSG)).unwrap();
    assert_eq!(verify_signature(k.public_key(), "ecdsa", b"other", &sig), Err(SignatureError::Invalid));
}

#[test]
fn a_method_that_does_not_fit_the_key_never_verifies() {
    let ec = p256();
    let ed = SoftwareKey::generate_ed25519().unwrap();
    let ec_sig = block_on(ec.sign(MSG)).unwrap();
    let ed_sig = block_on(ed.sign(MSG)).unwrap();
    for (key, method, sig) in [
        (ec.public_key(), "eddsa", &ec_sig),
        (ec.public_key(), "rsapss", &ec_sig),
        (ed.public_key(), "ecdsa", &ed_sig),
        (ed.public_key(), "rsapkcs1v15", &ed_sig),
    ] {
        assert!(
            matches!(verify_signature(key, method, MSG, sig), Err(SignatureError::MethodKeyMismatch { .. })),
            "{method} on {:?}",
            key.key_type()
        );
    }
}

#[test]
fn unknown_methods_are_reported() {
    let k = p256();
    let sig = block_on(k.sign(MSG)).unwrap();
    assert!(matches!(verify_signature(k.public_key(), "hmac", MSG, &sig), Err(SignatureError::UnknownMethod(_))));
}

#[test]
fn eddsa_signs_and_verifies_with_32_byte_keys() {
    let k = SoftwareKey::generate_ed25519().unwrap();
    assert_eq!(k.public_key().public().len(), 32);
    let sig = block_on(k.sign(MSG)).unwrap();
    verify_signature(k.public_key(), "eddsa", MSG, &sig).unwrap();
    let bad = PublicKey::new(notary_client::metadata::KeyType::Ed25519, vec![1; 31]);
    assert!(matches!(verify_signature(&bad, "eddsa", MSG, &sig), Err(SignatureError::MalformedKey(_))));
}

/// An RSA key made by openssl, as standard PKCS#8 DER, or `None` when openssl is missing.
fn openssl_rsa(dir: &std::path::Path) -> Option<Vec<u8>> {
    let pem = dir.join("rsa.pem");
    let ok = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
        .arg(&pem)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "openssl must be installed in CI");
        eprintln!("skipped: openssl is not available");
        return None;
    }
    let out =
        Command::new("openssl").args(["pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in"]).arg(&pem).output();
    Some(out.unwrap().stdout)
}

#[test]
fn rsapss_signs_with_salt_32_and_openssl_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let Some(der) = openssl_rsa(dir.path()) else { return };
    let k = SoftwareKey::from_pkcs8(&der).unwrap();
    let sig = block_on(k.sign(MSG)).unwrap();
    assert_eq!(k.method().as_str(), "rsapss");
    verify_signature(k.public_key(), "rsapss", MSG, &sig).unwrap();
    // openssl checks the same signature with an explicit 32-byte salt.
    std::fs::write(dir.path().join("msg"), MSG).unwrap();
    std::fs::write(dir.path().join("sig"), &sig).unwrap();
    let openssl =
        |args: &[&str]| Command::new("openssl").current_dir(dir.path()).args(args).status().unwrap().success();
    assert!(openssl(&["pkey", "-in", "rsa.pem", "-pubout", "-out", "pub.pem"]));
    let st = openssl(&[
        "dgst",
        "-sha256",
        "-sigopt",
        "rsa_padding_mode:pss",
        "-sigopt",
        "rsa_pss_saltlen:32",
        "-verify",
        "pub.pem",
        "-signature",
        "sig",
        "msg",
    ]);
    assert!(st, "openssl rejects our rsapss signature");
}

#[test]
fn rsapkcs1v15_made_by_openssl_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let Some(der) = openssl_rsa(dir.path()) else { return };
    let k = SoftwareKey::from_pkcs8(&der).unwrap();
    std::fs::write(dir.path().join("msg"), MSG).unwrap();
    let st = Command::new("openssl")
        .current_dir(dir.path())
        .args(["dgst", "-sha256", "-sign", "rsa.pem", "-out", "sig", "msg"])
        .status()
        .unwrap();
    assert!(st.success());
    let sig = std::fs::read(dir.path().join("sig")).unwrap();
    verify_signature(k.public_key(), "rsapkcs1v15", MSG, &sig).unwrap();
    assert_eq!(verify_signature(k.public_key(), "rsapss", MSG, &sig), Err(SignatureError::Invalid));
}

#[test]
fn threshold_counts_distinct_valid_key_ids() {
    let (a, b) = (p256(), p256());
    let sa = block_on(a.sign(MSG)).unwrap();
    let role = RoleName::targets();
    let twice = [sig_of(&a, "ecdsa", sa.clone()), sig_of(&a, "ecdsa", sa.clone())];
    assert!(matches!(
        verify_threshold(&role, MSG, &twice, &trusted(&[&a, &b], 2)),
        Err(VerifyError::ThresholdNotMet { valid: 1, threshold: 2, .. })
    ));
    let both = [sig_of(&a, "ecdsa", sa), sig_of(&b, "ecdsa", block_on(b.sign(MSG)).unwrap())];
    assert_eq!(verify_threshold(&role, MSG, &both, &trusted(&[&a, &b], 2)).unwrap().len(), 2);
}

#[test]
fn signatures_by_untrusted_keys_and_invalid_ones_are_skipped() {
    let (a, stranger) = (p256(), p256());
    let sigs = [
        sig_of(&stranger, "ecdsa", block_on(stranger.sign(MSG)).unwrap()),
        sig_of(&a, "eddsa", vec![0; 64]),
        sig_of(&a, "ecdsa", block_on(a.sign(MSG)).unwrap()),
    ];
    assert_eq!(verify_threshold(&RoleName::targets(), MSG, &sigs, &trusted(&[&a], 1)).unwrap().len(), 1);
}

#[test]
fn no_signatures_is_an_error() {
    let a = p256();
    assert!(matches!(
        verify_threshold(&RoleName::targets(), MSG, &[], &trusted(&[&a], 1)),
        Err(VerifyError::NoSignatures { .. })
    ));
}

#[test]
fn a_trusted_key_listed_under_a_foreign_id_is_fatal() {
    let (a, b) = (p256(), p256());
    let mut keys = BTreeMap::new();
    keys.insert(a.public_key().id().clone(), b.public_key().clone());
    let sigs = [sig_of(&a, "ecdsa", block_on(a.sign(MSG)).unwrap())];
    assert!(matches!(
        verify_threshold(&RoleName::targets(), MSG, &sigs, &TrustedKeys { keys, threshold: 1 }),
        Err(VerifyError::KeyIdMismatch { .. })
    ));
}

#[test]
fn key_id_is_content_derived() {
    let k = p256();
    let expected = KeyId::from_digest(
        ring::digest::digest(
            &ring::digest::SHA256,
            format!(
                r#"{{"keytype":"ecdsa","keyval":{{"private":null,"public":"{}"}}}}"#,
                notary_client::metadata::base64_encode(k.public_key().public())
            )
            .as_bytes(),
        )
        .as_ref(),
    );
    assert_eq!(k.public_key().id(), &expected);
}
