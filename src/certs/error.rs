//! Why notary's root validation (`trustpinning.ValidateRoot` and the checks `loadRoot` adds)
//! rejected a root.

use crate::metadata::VerifyError;

/// A `root.json` that cannot be trusted. Each variant names the step of spec §3.6 that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RootValidationError {
    /// Step 2: no root key holds a usable leaf certificate for the GUN (Go:
    /// `ErrValidationFail` "unable to retrieve valid leaf certificates").
    #[error("no valid root leaf certificate for {gun}: {}", reasons.join("; "))]
    NoValidLeafCert {
        /// The GUN.
        gun: String,
        /// Per root key ID, why its certificate was not usable.
        reasons: Vec<String>,
    },
    /// Step 3: the previously trusted root has no usable leaf certificate for the GUN (Go:
    /// `ErrValidationFail` "could not retrieve trusted certs from previous root role data").
    #[error("the previously trusted root has no valid leaf certificate for {gun}: {}", reasons.join("; "))]
    PreviousRootUnusable {
        /// The GUN.
        gun: String,
        /// Per root key ID, why its certificate was not usable.
        reasons: Vec<String>,
    },
    /// Step 3: the new root is not signed by the previously trusted root's keys meeting the
    /// previous root threshold (Go: `ErrRootRotationFail`). Update clients react to this by
    /// walking the `<version>.root.json` chain (spec §6.8 step 5).
    #[error("cannot rotate trust from root version {previous_version}: {source}")]
    RotationFailed {
        /// Version of the previously trusted root.
        previous_version: u64,
        /// Why the previous root's keys do not vouch for the new root.
        source: VerifyError,
    },
    /// Step 4: the trust pinning configuration cannot be applied to this GUN: an unreadable
    /// or entirely invalid pinned CA bundle, or TOFU disabled on first use without a pin.
    #[error("trust pinning for {gun}: {reason}")]
    PinningConfig {
        /// The GUN.
        gun: String,
        /// What is wrong.
        reason: String,
    },
    /// Step 4: no valid leaf certificate matches the pinned certificate IDs or chains to the
    /// pinned CA.
    #[error("no root certificate for {gun} matches trust pinning ({rule}): {}", reasons.join("; "))]
    PinningMismatch {
        /// The GUN.
        gun: String,
        /// The pinning rule applied, e.g. `certs["docker.io/*"]` or `ca["docker.io/"]`.
        rule: String,
        /// Per certificate key ID, why it did not match.
        reasons: Vec<String>,
    },
    /// Step 5: the root is not signed by its own valid (pinned) certificates meeting its own
    /// root threshold (Go: `ErrValidationFail` "failed to validate integrity of roots").
    #[error("root is not signed by its own root keys: {source}")]
    ThresholdNotMet {
        /// What the threshold verification found.
        source: VerifyError,
    },
    /// Step 6: the version is below the minimum (Go: `ErrLowVersion`).
    #[error("root version {version} is lower than the minimum {min_version}")]
    VersionTooLow {
        /// The root's version.
        version: u64,
        /// The minimum accepted.
        min_version: u64,
    },
    /// Step 6: the root metadata is expired (Go: `ErrExpired`).
    #[error("root expired at {expires} (now {now})")]
    Expired {
        /// The `expires` value.
        expires: String,
        /// The clock's time.
        now: String,
    },
}

impl RootValidationError {
    /// Whether this is notary's `ErrRootRotationFail`, the one error after which an update
    /// client walks the intermediate root versions.
    pub fn is_rotation_failure(&self) -> bool {
        matches!(self, RootValidationError::RotationFailed { .. })
    }
}
