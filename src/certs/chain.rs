//! Chaining a root leaf certificate to a pinned CA, as Go's `x509.Certificate.Verify` does
//! for notary's CA trust pinning (`trustpinning/trustpin.go caCheck`), with ring verifying
//! the certificate signatures.
//!
//! Reproduced from Go: candidate parents by issuer/subject name; the parent must be a CA (or
//! a v1 certificate) whose key usage, if any, allows certificate signing; every certificate
//! of the chain must be valid at `now`, without unhandled critical extensions, with path
//! length constraints honoured; intermediates must be CAs; and, because notary passes no key
//! usages, Go's default requirement applies: every certificate that lists extended key usages
//! must allow `serverAuth` (or `anyExtendedKeyUsage`, or a server-gated-crypto usage). Not
//! reproduced: name constraints (notary root certificates carry no names they could apply
//! to) and the RSA-PSS, ECDSA-SHA512 and DSA signature algorithms.

use crate::oid::ECDSA_WITH_SHA256;
use chrono::{DateTime, Utc};
use der::Decode;
use der::asn1::ObjectIdentifier;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use spki::SubjectPublicKeyInfoRef;
use x509_cert::certificate::Version;

use super::parsed::ParsedCert;
use crate::keys::PublicKeyInfo;

const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Usages that satisfy Go's default `ExtKeyUsageServerAuth` requirement.
const SERVER_AUTH_COMPATIBLE: [ObjectIdentifier; 4] = [
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1"),      // serverAuth
    ObjectIdentifier::new_unwrap("2.5.29.37.0"),            // anyExtendedKeyUsage
    ObjectIdentifier::new_unwrap("2.16.840.1.113730.4.1"),  // Netscape server gated crypto
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.10.3.3"), // Microsoft server gated crypto
];

/// Go's limit on signature checks while building chains.
const MAX_SIGNATURE_CHECKS: usize = 100;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Leaf,
    Intermediate,
    Root,
}

struct Builder<'a> {
    intermediates: &'a [ParsedCert],
    roots: &'a [ParsedCert],
    now: DateTime<Utc>,
    signature_checks: usize,
    /// The first reason a candidate was rejected (Go's "hint").
    hint: Option<String>,
}

/// Whether `leaf` chains to one of `roots`, possibly through `intermediates`, at `now`.
pub(crate) fn verify_chain(
    leaf: &ParsedCert,
    intermediates: &[ParsedCert],
    roots: &[ParsedCert],
    now: DateTime<Utc>,
) -> Result<(), String> {
    is_valid(leaf, Role::Leaf, &[], now)?;
    let mut b = Builder { intermediates, roots, now, signature_checks: 0, hint: None };
    let chains = if roots.iter().any(|r| r.der == leaf.der) { vec![vec![leaf]] } else { b.build(vec![leaf]) };
    if chains.is_empty() {
        let hint = b.hint.map(|h| format!(" ({h})")).unwrap_or_default();
        return Err(format!("certificate signed by unknown authority{hint}"));
    }
    if chains.iter().any(|chain| chain.iter().all(|c| allows_server_auth(c))) {
        Ok(())
    } else {
        Err("a certificate of the chain does not allow the serverAuth extended key usage Go requires by default".into())
    }
}

impl<'a> Builder<'a> {
    fn build(&mut self, chain: Vec<&'a ParsedCert>) -> Vec<Vec<&'a ParsedCert>> {
        let mut chains = Vec::new();
        let Some(&child) = chain.last() else { return chains };
        let issuer = child.issuer_der();
        let candidates = self
            .roots
            .iter()
            .map(|c| (Role::Root, c))
            .chain(self.intermediates.iter().map(|c| (Role::Intermediate, c)))
            .filter(|(_, c)| c.subject_der() == issuer);
        for (role, candidate) in candidates {
            if chain.iter().any(|c| same_cert(c, candidate)) {
                continue;
            }
            self.signature_checks += 1;
            if self.signature_checks > MAX_SIGNATURE_CHECKS {
                self.hint.get_or_insert_with(|| "signature check limit reached".into());
                break;
            }
            let checked =
                check_signature_from(child, candidate).and_then(|()| is_valid(candidate, role, &chain, self.now));
            if let Err(e) = checked {
                self.hint.get_or_insert(e);
                continue;
            }
            let mut longer = chain.clone();
            longer.push(candidate);
            match role {
                Role::Root => chains.push(longer),
                _ => chains.extend(self.build(longer)),
            }
        }
        chains
    }
}

fn same_cert(a: &ParsedCert, b: &ParsedCert) -> bool {
    a.der == b.der
        || (a.subject_der() == b.subject_der() && a.spki_der().ok().is_some_and(|k| b.spki_der().ok() == Some(k)))
}

/// Go's `Certificate.isValid` for one certificate placed at `role` above `chain`.
fn is_valid(c: &ParsedCert, role: Role, chain: &[&ParsedCert], now: DateTime<Utc>) -> Result<(), String> {
    if c.unhandled_critical {
        return Err(format!("{} has an unhandled critical extension", c.describe()));
    }
    if now < c.not_before() || now > c.not_after() {
        return Err(format!(
            "{} is expired or not yet valid (valid {} to {})",
            c.describe(),
            c.not_before().to_rfc3339(),
            c.not_after().to_rfc3339()
        ));
    }
    if role == Role::Intermediate && !(c.basic_constraints_valid && c.is_ca) {
        return Err(format!("{} is not authorized to sign other certificates", c.describe()));
    }
    if let (true, Some(max)) = (c.basic_constraints_valid, c.max_path_len) {
        let intermediates_below = chain.len().saturating_sub(1);
        if intermediates_below > usize::from(max) {
            return Err(format!("{} allows at most {max} intermediate(s) below it", c.describe()));
        }
    }
    Ok(())
}

/// Go's `Certificate.CheckSignatureFrom`.
fn check_signature_from(child: &ParsedCert, parent: &ParsedCert) -> Result<(), String> {
    let is_v3 = parent.cert.tbs_certificate.version == Version::V3;
    if (is_v3 && !parent.basic_constraints_valid) || (parent.basic_constraints_valid && !parent.is_ca) {
        return Err(format!("{} is not a CA", parent.describe()));
    }
    if !parent.may_sign_certificates() {
        return Err(format!("{}: key usage does not allow certificate signing", parent.describe()));
    }
    let spki = parent.spki_der().map_err(|e| e.to_string())?;
    let sig = child.cert.signature.as_bytes().ok_or("signature bit string has unused bits")?;
    verify_signature(child.signature_algorithm(), &spki, &child.tbs_der, sig)
        .map_err(|e| format!("{} signature by {}: {e}", child.describe(), parent.describe()))
}

fn verify_signature(algorithm: ObjectIdentifier, spki: &[u8], message: &[u8], sig: &[u8]) -> Result<(), String> {
    let parsed = SubjectPublicKeyInfoRef::from_der(spki).map_err(|e| format!("parent key: {e}"))?;
    let (alg, key): (&'static dyn VerificationAlgorithm, Vec<u8>) = if parsed.algorithm.oid == ED25519 {
        let key = parsed.subject_public_key.as_bytes().ok_or("parent key: unused bits")?.to_vec();
        if algorithm != ED25519 {
            return Err(format!("algorithm {algorithm} does not fit an Ed25519 key"));
        }
        (&signature::ED25519, key)
    } else {
        let info = PublicKeyInfo::from_spki_der(spki).map_err(|e| format!("parent key: {e}"))?;
        match (algorithm, info) {
            (ECDSA_WITH_SHA256, PublicKeyInfo::EcP256(k)) => (&signature::ECDSA_P256_SHA256_ASN1, k),
            (ECDSA_WITH_SHA256, PublicKeyInfo::EcP384(k)) => (&signature::ECDSA_P384_SHA256_ASN1, k),
            (ECDSA_WITH_SHA384, PublicKeyInfo::EcP256(k)) => (&signature::ECDSA_P256_SHA384_ASN1, k),
            (ECDSA_WITH_SHA384, PublicKeyInfo::EcP384(k)) => (&signature::ECDSA_P384_SHA384_ASN1, k),
            (SHA256_WITH_RSA, PublicKeyInfo::Rsa(k)) => (&signature::RSA_PKCS1_2048_8192_SHA256, k),
            (SHA384_WITH_RSA, PublicKeyInfo::Rsa(k)) => (&signature::RSA_PKCS1_2048_8192_SHA384, k),
            (SHA512_WITH_RSA, PublicKeyInfo::Rsa(k)) => (&signature::RSA_PKCS1_2048_8192_SHA512, k),
            (other, _) => return Err(format!("unsupported signature algorithm {other} for the parent's key")),
        }
    };
    UnparsedPublicKey::new(alg, key).verify(message, sig).map_err(|_| "signature is invalid".to_owned())
}

/// Go's `checkChainForKeyUsage` with the default requested usage `ExtKeyUsageServerAuth`.
fn allows_server_auth(c: &ParsedCert) -> bool {
    c.ext_key_usage.is_empty() || c.ext_key_usage.iter().any(|u| SERVER_AUTH_COMPATIBLE.contains(u))
}
