//! notary's root validation: `trustpinning.ValidateRoot` followed by the version and expiry
//! checks of `tuf/builder.go loadRoot` (spec §3.6).

use std::collections::BTreeMap;

use super::RootValidationError;
use super::TrustPinning;
use super::root_certs::{certs_to_keys, parse_all_certs, valid_intermediates, valid_leaf_certs};
use crate::clock::Clock;
use crate::metadata::{ROOT, Root, Signed, TrustedKeys};

/// Everything [`validate_root_with`] needs besides the root itself.
#[derive(Clone, Copy)]
pub struct RootValidation<'a> {
    /// The GUN the root must be for (certificate CN).
    pub gun: &'a str,
    /// The previously trusted root (cached root, or the predecessor in a rotation chain):
    /// the new root must carry signatures of its root keys meeting its root threshold.
    pub previous: Option<&'a Signed<Root>>,
    /// Trust pinning configuration.
    pub pinning: &'a TrustPinning,
    /// The current time, for certificate validity and metadata expiry.
    pub clock: &'a dyn Clock,
    /// Lowest acceptable root version.
    pub min_version: u64,
    /// Reject expired root metadata. Root certificate validity is checked regardless.
    pub enforce_expiry: bool,
}

/// [`validate_root_with`] with the minimum version notary's client uses: the previous root's
/// version if there is one, else 1.
///
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// use std::collections::BTreeMap;
/// use notary_client::certs::{TrustPinning, certificate_public_key, generate_root_certificate, validate_root};
/// use notary_client::clock::SystemClock;
/// use notary_client::keys::{Signer, SoftwareKey};
/// use notary_client::metadata::{Expires, RoleKeys, RoleName, Root, Signed, Version};
///
/// let gun = "example.com/team/app";
/// let key = SoftwareKey::generate_p256()?;
/// let pem = generate_root_certificate(gun, &key, chrono::Utc::now()).await?;
/// let key = key.with_certificate(pem)?;
/// let id = key.public_key().id().clone();
/// let roles = ["root", "targets", "snapshot", "timestamp"]
///     .map(|r| (r.to_owned(), RoleKeys::new(vec![id.clone()], 1)))
///     .into_iter()
///     .collect();
/// let body = Root {
///     consistent_snapshot: false,
///     expires: Expires::from_utc(chrono::Utc::now() + chrono::Duration::days(3650)),
///     keys: BTreeMap::from([(id.clone(), key.public_key().clone())]),
///     roles,
///     version: Version::FIRST,
/// };
/// let root = Signed::sign(RoleName::root(), body, &[&key]).await?;
/// let trusted = validate_root(&root, gun, None, &TrustPinning::default(), &SystemClock, true)?;
/// assert!(trusted.keys.contains_key(&id));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn validate_root(
    root: &Signed<Root>,
    gun: &str,
    previous: Option<&Signed<Root>>,
    pinning: &TrustPinning,
    clock: &dyn Clock,
    enforce_expiry: bool,
) -> Result<TrustedKeys, RootValidationError> {
    let min_version = previous.map_or(1, |p| p.signed().version.get());
    validate_root_with(root, &RootValidation { gun, previous, pinning, clock, min_version, enforce_expiry })
}

/// notary's root validation, in Go's order (spec §3.6):
///
/// 1. the root is structurally valid (guaranteed by [`Signed`]);
/// 2. the `root` role keys' certificates: exactly one non-CA certificate per key, first in its
///    bundle, CN matching the GUN, passing the certificate checks **with** the validity window
///    (even when metadata expiry is not enforced); CA certificates after it are intermediates,
///    kept only if they pass the same checks. At least one valid leaf is required;
/// 3. with a previous root: the new root must be signed by the previous root's leaf
///    certificates (CN matching, checks **without** expiry, all their intermediates) meeting
///    the previous root threshold, else [`RootValidationError::RotationFailed`];
/// 4. trust pinning ([`TrustPinning`]) filters the valid leaves;
/// 5. the root must be signed by its own remaining leaves (plus valid intermediates)
///    meeting its own root threshold; the key IDs are **recomputed** from the certificates
///    re-encoded as Go PEM, so a certificate key stored in another PEM layout never matches
///    its signature's key ID;
/// 6. version ≥ `min_version`, then, if enforced, not expired.
///
/// Returns the trusted root keys (re-encoded certificate keys by recomputed ID) and the root
/// threshold.
pub fn validate_root_with(
    root: &Signed<Root>,
    options: &RootValidation<'_>,
) -> Result<TrustedKeys, RootValidationError> {
    let gun = options.gun;
    let now = options.clock.now();

    let mut new = parse_all_certs(root.signed());
    let leaves = valid_leaf_certs(&new.leaves, gun, Some(now), &mut new.reasons);
    let intermediates = valid_intermediates(&new.intermediates, now);
    if leaves.is_empty() {
        return Err(RootValidationError::NoValidLeafCert { gun: gun.to_owned(), reasons: new.reasons });
    }

    if let Some(previous) = options.previous {
        let mut prev = parse_all_certs(previous.signed());
        let prev_leaves = valid_leaf_certs(&prev.leaves, gun, None, &mut prev.reasons);
        let threshold = previous.signed().role(ROOT).map(|r| r.threshold);
        let (false, Some(threshold)) = (prev_leaves.is_empty(), threshold) else {
            return Err(RootValidationError::PreviousRootUnusable { gun: gun.to_owned(), reasons: prev.reasons });
        };
        // As Go: the previous root's intermediates are used unfiltered.
        let trusted = TrustedKeys { keys: certs_to_keys(&prev_leaves, &prev.intermediates), threshold };
        root.verify(&trusted).map_err(|source| RootValidationError::RotationFailed {
            previous_version: previous.signed().version.get(),
            source,
        })?;
    }

    let checker = options.pinning.checker(gun, options.previous.is_none(), now)?;
    let mut pinned = BTreeMap::new();
    let mut pin_reasons = Vec::new();
    for (id, leaf) in leaves {
        let ints = intermediates.get(&id).map(Vec::as_slice).unwrap_or_default();
        match checker.check(leaf, ints, now) {
            Ok(()) => {
                pinned.insert(id, leaf);
            }
            Err(why) => pin_reasons.push(format!("{id}: {why}")),
        }
    }
    if pinned.is_empty() {
        return Err(RootValidationError::PinningMismatch {
            gun: gun.to_owned(),
            rule: checker.rule(),
            reasons: pin_reasons,
        });
    }

    let threshold = root.signed().role(ROOT).map_or(0, |r| r.threshold);
    let trusted = TrustedKeys { keys: certs_to_keys(&pinned, &intermediates), threshold };
    root.verify(&trusted).map_err(|source| RootValidationError::ThresholdNotMet { source })?;

    let version = root.signed().version.get();
    if version < options.min_version {
        return Err(RootValidationError::VersionTooLow { version, min_version: options.min_version });
    }
    let expires = &root.signed().expires;
    if options.enforce_expiry && expires.is_expired_at(now) {
        return Err(RootValidationError::Expired { expires: expires.to_go_string(), now: now.to_rfc3339() });
    }
    Ok(trusted)
}
