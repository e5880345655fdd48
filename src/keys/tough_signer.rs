//! Adapter from [tough](https://docs.rs/tough)'s signers to [`Signer`] (cargo feature `tough`).
//!
//! Any [`tough::sign::Sign`] — and, through [`ToughSigner::from_key_source`], any
//! [`tough::key_source::KeySource`]: local key files, AWS KMS (`tough-kms`), AWS SSM
//! (`tough-ssm`) — becomes a notary signer: the key tough reports is re-encoded as the
//! metadata key notary expects, and tough's signatures are converted to Notary's wire form.
//!
//! | tough key                  | notary key (`keytype`, `public`)        | `method`  | signature             |
//! |----------------------------|-----------------------------------------|-----------|-----------------------|
//! | ECDSA P-256 (both keytypes)| `ecdsa`, DER SubjectPublicKeyInfo       | `ecdsa`   | DER → raw `r‖s` (64)  |
//! | RSA (`rsassa-pss-sha256`)  | `rsa`, DER SPKI (rsaEncryption, NULL)   | `rsapss`  | as is (PSS, SHA-256, salt 32) |
//! | Ed25519                    | `ed25519`, raw 32 bytes                 | `eddsa`   | as is (64 bytes)      |
//!
//! Notary's key ID is computed from the notary form of the key, so it differs from tough's
//! `Key::key_id()` for the same key pair.
//!
//! # Why the feature is off by default
//!
//! tough signs with [aws-lc-rs](https://docs.rs/aws-lc-rs), a second crypto backend next to
//! ring: it builds AWS-LC from C and assembly (through `aws-lc-sys`), which makes the build
//! larger and slower and needs a C toolchain, and the project's rule is that ring is the only
//! crypto backend of the default build. With the feature on, aws-lc-rs is linked only for
//! tough's own signing (and the random number source handed to it); verification and every
//! other operation of this crate still use ring.

use std::fmt;

use async_trait::async_trait;
use aws_lc_rs::rand::SystemRandom;
use der::{Decode, Sequence};
use tough::key_source::KeySource;
use tough::schema::key::Key;
use tough::sign::Sign;

use super::{PublicKeyInfo, SignError, SignatureMethod, Signer, der_to_raw, p256_spki_from_point, spki};
use crate::metadata::{KeyType, PublicKey};

/// Length of an uncompressed P-256 point: `0x04 ‖ x ‖ y`.
const P256_POINT_LEN: usize = 65;
/// Length of a raw Ed25519 public key.
const ED25519_KEY_LEN: usize = 32;
/// RSA modulus sizes notary (and ring's `RSA_PSS_2048_8192_SHA256`) verify.
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 8192;

/// A [`Signer`] backed by a tough [`Sign`] implementation (cargo feature `tough`).
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use notary_client::keys::{Signer, ToughSigner};
/// use tough::key_source::LocalKeySource;
///
/// // A PKCS#8 key file as tough reads it (see docs/tough.md for the accepted encodings).
/// let source = LocalKeySource { path: "targets.pk8".into() };
/// let signer = ToughSigner::from_key_source(&source).await?;
/// println!("signing as {}", signer.public_key().id());
/// # Ok(())
/// # }
/// ```
///
/// `Debug` shows only the key type and the notary key ID.
pub struct ToughSigner {
    sign: Box<dyn Sign>,
    public: PublicKey,
    method: SignatureMethod,
    rng: SystemRandom,
}

impl ToughSigner {
    /// Wraps a tough signer, mapping its public key ([`Sign::tuf_key`]) to the notary key.
    ///
    /// Fails with [`SignError::Unsupported`] if the key is not one notary can sign with: ECDSA
    /// on another curve than P-256 or in compressed form, RSA outside 2048–8192 bits, or
    /// malformed key bytes. As no notary key ID exists yet, such errors carry tough's key ID.
    pub fn new(sign: Box<dyn Sign>) -> Result<Self, SignError> {
        let key = sign.tuf_key();
        let (key_type, public, method) = notary_key(&key)
            .map_err(|reason| SignError::Unsupported { key_id: tough_key_id(&key), reason: reason.to_owned() })?;
        Ok(ToughSigner { sign, public: PublicKey::new(key_type, public), method, rng: SystemRandom::new() })
    }

    /// Asks a tough key source for its signer ([`KeySource::as_sign`]) and wraps it as
    /// [`ToughSigner::new`] does.
    ///
    /// A failing key source is reported as [`SignError::Backend`]; its `key_id` is
    /// `"tough-key-source"` since no key is known at that point.
    pub async fn from_key_source(source: &dyn KeySource) -> Result<Self, SignError> {
        let sign = source.as_sign().await.map_err(|e| SignError::Backend {
            key_id: "tough-key-source".to_owned(),
            reason: format!("tough key source failed: {}", error_chain(e.as_ref())),
        })?;
        Self::new(sign)
    }
}

/// The notary `(keytype, public, method)` for a tough key, or why there is none.
fn notary_key(key: &Key) -> Result<(KeyType, Vec<u8>, SignatureMethod), &'static str> {
    match key {
        Key::Ecdsa { keyval, .. } | Key::EcdsaOld { keyval, .. } => {
            Ok((KeyType::Ecdsa, ecdsa_spki(&keyval.public)?, SignatureMethod::Ecdsa))
        }
        Key::Rsa { keyval, .. } => Ok((KeyType::Rsa, rsa_spki(&keyval.public)?, SignatureMethod::RsaPss)),
        Key::Ed25519 { keyval, .. } => {
            if keyval.public.len() != ED25519_KEY_LEN {
                return Err("the Ed25519 public key is not 32 bytes");
            }
            Ok((KeyType::Ed25519, keyval.public.to_vec(), SignatureMethod::Eddsa))
        }
    }
}

/// DER SPKI of a P-256 key from any form `Decoded<EcdsaFlex>` can hold: the uncompressed point
/// (tough's own key pairs, a PEM SPKI it decoded, go-tuf's hex), or — when a `Sign`
/// implementation built the key from bytes or hex of another encoding — DER SPKI or PEM text.
fn ecdsa_spki(bytes: &[u8]) -> Result<Vec<u8>, &'static str> {
    if bytes.len() == P256_POINT_LEN && bytes.first() == Some(&0x04) {
        return Ok(p256_spki_from_point(bytes));
    }
    if matches!(bytes.first(), Some(0x02 | 0x03)) && bytes.len() == 33 {
        return Err("compressed EC points are not supported (notary needs the uncompressed P-256 point)");
    }
    let spki_der = if bytes.starts_with(b"-----BEGIN ") {
        let pem = pem::parse(bytes).map_err(|_| "the ECDSA public key is not valid PEM")?;
        if pem.tag() != "PUBLIC KEY" {
            return Err("the ECDSA public key PEM is not a PUBLIC KEY block");
        }
        pem.into_contents()
    } else {
        bytes.to_vec()
    };
    match PublicKeyInfo::from_spki_der(&spki_der) {
        Ok(PublicKeyInfo::EcP256(point)) if point.len() == P256_POINT_LEN && point.first() == Some(&0x04) => {
            // Re-encoded so the bytes (and the key ID) match Go's x509.MarshalPKIXPublicKey.
            Ok(p256_spki_from_point(&point))
        }
        Ok(PublicKeyInfo::EcP256(_)) => Err("the P-256 public key is not an uncompressed point"),
        Ok(PublicKeyInfo::EcP384(_)) => Err("only P-256 ECDSA keys can sign notary metadata (ECDSA uses SHA-256)"),
        Ok(PublicKeyInfo::Rsa(_)) => Err("tough reports an ECDSA key but the public key is RSA"),
        Err(_) => Err("the ECDSA public key is neither an uncompressed P-256 point nor a P-256 SubjectPublicKeyInfo"),
    }
}

/// PKCS#1 `RSAPublicKey`.
#[derive(Sequence)]
struct RsaPublicKey<'a> {
    modulus: der::asn1::UintRef<'a>,
    public_exponent: der::asn1::UintRef<'a>,
}

/// DER SPKI (rsaEncryption, NULL parameters) of an RSA key given as PKCS#1 `RSAPublicKey`
/// (what `Decoded<RsaPem>` and aws-lc-rs yield) or, from other `Sign` implementations, as SPKI.
fn rsa_spki(bytes: &[u8]) -> Result<Vec<u8>, &'static str> {
    let pkcs1 = match PublicKeyInfo::from_spki_der(bytes) {
        Ok(PublicKeyInfo::Rsa(pkcs1)) => pkcs1,
        Ok(_) => return Err("tough reports an RSA key but the public key is not RSA"),
        Err(_) => bytes.to_vec(),
    };
    let rsa = RsaPublicKey::from_der(&pkcs1).map_err(|_| "the RSA public key is not a DER RSAPublicKey")?;
    let modulus = rsa.modulus.as_bytes();
    let bits = modulus.len() * 8 - modulus.first().map_or(8, |b| b.leading_zeros() as usize);
    if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
        return Err("notary verifies RSA keys of 2048 to 8192 bits only");
    }
    Ok(spki::rsa_spki(&pkcs1))
}

/// tough's hex key ID, for errors raised before the notary key exists.
fn tough_key_id(key: &Key) -> String {
    key.key_id().map_or_else(|_| "unknown-tough-key".to_owned(), |id| format!("tough:{}", hex::encode(&*id)))
}

/// An error and its sources, `: `-separated (snafu errors often omit the source in `Display`).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[async_trait]
impl Signer for ToughSigner {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn method(&self) -> SignatureMethod {
        self.method
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let fail = |reason: String| SignError::Backend { key_id: self.public.id().to_string(), reason };
        let sig = self
            .sign
            .sign(message, &self.rng)
            .await
            .map_err(|e| fail(format!("tough signer failed: {}", error_chain(e.as_ref()))))?;
        match self.method {
            // tough's ECDSA (aws-lc-rs ECDSA_P256_SHA256_ASN1_SIGNING) is DER; notary needs r‖s.
            SignatureMethod::Ecdsa => der_to_raw(&sig, 32).ok_or_else(|| {
                fail(format!("tough returned a {}-byte ECDSA signature that is not DER ECDSA-Sig-Value", sig.len()))
            }),
            _ => Ok(sig),
        }
    }
}

impl fmt::Debug for ToughSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToughSigner")
            .field("key_type", &self.public.key_type())
            .field("key_id", self.public.id())
            .finish_non_exhaustive()
    }
}
