//! Threshold verification of an envelope against trusted keys (notary's `VerifySignatures`,
//! spec §3.4), and expiry against an injectable clock.

use std::collections::{BTreeMap, BTreeSet};

use super::{KeyId, PublicKey, RoleBody, RoleName, Signed};
use crate::clock::Clock;
use crate::keys::{SignatureError, verify_signature};

/// The keys and threshold a role must be verified with, taken from the trusted parent
/// (root for base roles, the delegating role for delegations).
#[derive(Debug, Clone)]
pub struct TrustedKeys {
    /// Keys by TUF key ID as listed by the parent.
    pub keys: BTreeMap<KeyId, PublicKey>,
    /// Required number of distinct valid signatures.
    pub threshold: u32,
}

/// Why an envelope's signatures are not good enough.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No signatures at all.
    #[error("{role}: no signatures")]
    NoSignatures {
        /// Role.
        role: String,
    },
    /// The trusted threshold is below 1.
    #[error("{role}: invalid threshold {threshold}")]
    InvalidThreshold {
        /// Role.
        role: String,
        /// The threshold.
        threshold: u32,
    },
    /// A trusted key is listed under an ID that is not its content ID (notary's
    /// `ErrInvalidKeyID`): fatal, not skipped.
    #[error("{role}: key listed as {listed} has content ID {actual}")]
    KeyIdMismatch {
        /// Role.
        role: String,
        /// ID in the parent's list.
        listed: KeyId,
        /// Recomputed ID.
        actual: KeyId,
    },
    /// Fewer distinct valid signatures than the threshold.
    #[error("{role}: {valid} valid signature(s) from trusted keys, threshold is {threshold}{}", describe(.rejected))]
    ThresholdNotMet {
        /// Role.
        role: String,
        /// Distinct valid key IDs found.
        valid: usize,
        /// Required.
        threshold: u32,
        /// Signatures by trusted keys that were rejected, with why (the first eight).
        rejected: Vec<(KeyId, SignatureError)>,
    },
    /// The metadata is expired at the clock's time.
    #[error("{role}: expired at {expires} (now {now})")]
    Expired {
        /// Role.
        role: String,
        /// Expiry.
        expires: String,
        /// The clock's time.
        now: String,
    },
}

/// Rejected signatures kept for the error: enough to diagnose, bounded against hostile files.
const MAX_REJECTED: usize = 8;

fn describe(rejected: &[(KeyId, SignatureError)]) -> String {
    rejected.iter().map(|(id, e)| format!("; key {id}: {e}")).collect()
}

/// Verifies `signatures` over `message` as notary does: signatures by keys outside `trusted`
/// and invalid ones are skipped, a trusted key whose content ID differs from its listed ID
/// aborts, and the number of **distinct** valid key IDs must reach the threshold. The
/// algorithm is chosen by each trusted key's type (a `method` that does not fit never
/// verifies). Returns the IDs of the keys with valid signatures.
pub fn verify_threshold(
    role: &RoleName,
    message: &[u8],
    signatures: &[super::Signature],
    trusted: &TrustedKeys,
) -> Result<BTreeSet<KeyId>, VerifyError> {
    let role_s = || role.to_string();
    if signatures.is_empty() {
        return Err(VerifyError::NoSignatures { role: role_s() });
    }
    if trusted.threshold < 1 {
        return Err(VerifyError::InvalidThreshold { role: role_s(), threshold: trusted.threshold });
    }
    let mut valid = BTreeSet::new();
    let mut rejected = Vec::new();
    for sig in signatures {
        let Some(key) = trusted.keys.get(&sig.keyid) else { continue };
        if key.id() != &sig.keyid {
            return Err(VerifyError::KeyIdMismatch {
                role: role_s(),
                listed: sig.keyid.clone(),
                actual: key.id().clone(),
            });
        }
        if valid.contains(&sig.keyid) {
            continue;
        }
        match verify_signature(key, &sig.method, message, &sig.sig) {
            Ok(()) => {
                valid.insert(sig.keyid.clone());
            }
            Err(e) if rejected.len() < MAX_REJECTED => rejected.push((sig.keyid.clone(), e)),
            Err(_) => {}
        }
    }
    if valid.len() < trusted.threshold as usize {
        return Err(VerifyError::ThresholdNotMet {
            role: role_s(),
            valid: valid.len(),
            threshold: trusted.threshold,
            rejected,
        });
    }
    Ok(valid)
}

impl<T: RoleBody> Signed<T> {
    /// Verifies this file's signatures against `trusted` ([`verify_threshold`]).
    pub fn verify(&self, trusted: &TrustedKeys) -> Result<BTreeSet<KeyId>, VerifyError> {
        verify_threshold(self.role(), self.message(), self.signatures(), trusted)
    }

    /// Fails if the body is expired at `clock`'s time (no skew tolerance, as notary).
    pub fn check_expiry(&self, clock: &dyn Clock) -> Result<(), VerifyError> {
        let now = clock.now();
        let expires = self.signed().expires();
        if expires.is_expired_at(now) {
            return Err(VerifyError::Expired {
                role: self.role().to_string(),
                expires: expires.to_go_string(),
                now: now.to_rfc3339(),
            });
        }
        Ok(())
    }
}
