//! Signing metadata (spec §3.4, §1.8): what is signed is what every verifier checks, signatures
//! are checked before they are accepted, and several key holders can sign one version.

use async_trait::async_trait;
use notary_client::keys::{SignError, SignatureMethod, Signer, SoftwareKey, raw_to_der};
use notary_client::metadata::{
    Custom, Expires, FileMeta, PublicKey, RoleName, Signed, SigningError, Targets, TrustedKeys, Version,
};

fn body() -> Targets {
    let mut t = Targets::new(Expires::parse("2030-01-01T00:00:00Z").unwrap(), Version::FIRST);
    t.targets.insert("v1".into(), FileMeta::sha256_only([7; 32], 10));
    t
}

fn trusted(keys: &[&SoftwareKey], threshold: u32) -> TrustedKeys {
    TrustedKeys {
        keys: keys.iter().map(|k| (k.public_key().id().clone(), k.public_key().clone())).collect(),
        threshold,
    }
}

fn reparse(s: &Signed<Targets>) -> Signed<Targets> {
    Signed::parse(s.role().clone(), &s.to_file_bytes().unwrap()).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn two_key_holders_sign_one_version_for_a_threshold_of_two() {
    let (a, b) = (SoftwareKey::generate_p256().unwrap(), SoftwareKey::generate_p256().unwrap());
    let first = Signed::sign(RoleName::releases(), body(), &[&a]).await.unwrap();
    assert!(reparse(&first).verify(&trusted(&[&a, &b], 2)).is_err());
    // The second holder receives the file, adds a signature, and the version stays the same.
    let mut second = reparse(&first);
    second.add_signatures(&[&b]).await.unwrap();
    let done = reparse(&second);
    assert_eq!(done.signed().version, Version::FIRST);
    assert_eq!(done.verify(&trusted(&[&a, &b], 2)).unwrap().len(), 2);
    // Go's order: the new signature first, the other holder's kept after it.
    assert_eq!(&done.signatures()[0].keyid, b.public_key().id());
    assert_eq!(&done.signatures()[1].keyid, a.public_key().id());
}

#[tokio::test(flavor = "current_thread")]
async fn re_signing_a_key_replaces_its_signature() {
    let a = SoftwareKey::generate_p256().unwrap();
    let mut s = Signed::sign(RoleName::releases(), body(), &[&a]).await.unwrap();
    s.add_signatures(&[&a]).await.unwrap();
    assert_eq!(s.signatures().len(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn re_signing_a_parsed_file_signs_what_will_be_written() {
    // A member the typed model drops: the old signatures no longer cover what gets written,
    // so they are discarded and the new one is over the re-serialised body.
    let a = SoftwareKey::generate_p256().unwrap();
    let file = Signed::sign(RoleName::releases(), body(), &[&a]).await.unwrap().to_file_bytes().unwrap();
    let text = String::from_utf8(file).unwrap().replacen("\"version\":1", "\"version\":1,\"x-extra\":1", 1);
    let mut parsed = Signed::<Targets>::parse(RoleName::releases(), text.as_bytes()).unwrap();
    parsed.add_signatures(&[&a]).await.unwrap();
    assert_eq!(parsed.signatures().len(), 1);
    reparse(&parsed).verify(&trusted(&[&a], 1)).unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn non_canonical_custom_data_still_yields_a_verifiable_file() {
    let a = SoftwareKey::generate_p256().unwrap();
    let mut b = body();
    b.targets.get_mut("v1").unwrap().custom = Some(Custom::from_json(br#"{"z":1,"a":"x<y"}"#).unwrap());
    let s = Signed::sign(RoleName::releases(), b, &[&a]).await.unwrap();
    let bytes = s.to_file_bytes().unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains(r#""custom":{"z":1,"a":"x\u003cy"}"#));
    reparse(&s).verify(&trusted(&[&a], 1)).unwrap();
}

/// A KMS-style signer that returns DER ECDSA signatures instead of raw r‖s.
struct DerSigner(SoftwareKey);

#[async_trait]
impl Signer for DerSigner {
    fn public_key(&self) -> &PublicKey {
        self.0.public_key()
    }
    fn method(&self) -> SignatureMethod {
        SignatureMethod::Ecdsa
    }
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        Ok(raw_to_der(&self.0.sign(message).await?).unwrap())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_signature_that_does_not_verify_is_refused_when_signing() {
    let der = DerSigner(SoftwareKey::generate_p256().unwrap());
    let err = Signed::sign(RoleName::releases(), body(), &[&der]).await.unwrap_err();
    assert!(matches!(err, SigningError::BadSignature { .. }), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn bodies_our_parser_would_reject_are_not_signed() {
    let a = SoftwareKey::generate_p256().unwrap();
    let mut b = body();
    b.targets.get_mut("v1").unwrap().length = -1;
    assert!(matches!(Signed::sign(RoleName::releases(), b, &[&a]).await, Err(SigningError::Metadata(_))));
    let mut b = body();
    b.targets.get_mut("v1").unwrap().hashes.insert("sha256".into(), vec![0; 31]);
    assert!(matches!(Signed::sign(RoleName::releases(), b, &[&a]).await, Err(SigningError::Metadata(_))));
}

#[tokio::test(flavor = "current_thread")]
async fn a_certificate_for_another_key_is_refused() {
    let (a, b) = (SoftwareKey::generate_p256().unwrap(), SoftwareKey::generate_p256().unwrap());
    let cert_of_b =
        notary_client::certs::generate_root_certificate("example.com/app", &b, chrono::Utc::now()).await.unwrap();
    assert!(a.with_certificate(cert_of_b.clone()).is_err());
    assert!(b.with_certificate(cert_of_b).is_ok());
    assert!(SoftwareKey::generate_ed25519().unwrap().with_certificate(Vec::new()).is_err());
}
