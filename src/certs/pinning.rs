//! Trust pinning configuration (`trustpinning/trustpin.go`, spec §3.6 step 4).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::RootValidationError;
use super::chain::verify_chain;
use super::check::check_parsed;
use super::parsed::ParsedCert;
use super::pem_chain::{bundle_key, parse_bundle};
use crate::metadata::KeyId;

/// How the root certificates of a GUN are trusted on first sight, notary's `trust_pinning`
/// client configuration. Only one rule applies to a GUN, in this order:
///
/// 1. [`TrustPinning::certs`]: the GUN itself, else the longest `prefix*` entry matching it →
///    the root's leaf certificate key ID (leaf + valid intermediates re-encoded as Go PEM)
///    must be listed;
/// 2. [`TrustPinning::ca`]: the longest GUN prefix → the leaf must chain to that CA bundle;
/// 3. otherwise trust on first use (TOFU), unless [`TrustPinning::disable_tofu`] and there is
///    no previously trusted root.
///
/// [`TrustPinning::default`] is pure TOFU, which is what Docker always uses.
///
/// ```
/// use notary_client::certs::TrustPinning;
/// let tofu = TrustPinning::default();
/// assert!(tofu.certs.is_empty() && tofu.ca.is_empty() && !tofu.disable_tofu);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustPinning {
    /// Pinned certificate key IDs by GUN, or by GUN prefix when the entry ends with `*`.
    pub certs: BTreeMap<String, Vec<KeyId>>,
    /// Pinned CA bundles (PEM text, one or more `CERTIFICATE` blocks) by GUN prefix.
    pub ca: BTreeMap<String, Vec<u8>>,
    /// Refuse a first-seen root that no rule above pins.
    pub disable_tofu: bool,
}

/// The pinning rule chosen for one GUN (Go's `NewTrustPinChecker`).
pub(crate) enum PinCheck {
    Certs { rule: String, ids: Vec<KeyId> },
    Ca { rule: String, roots: Vec<ParsedCert> },
    Tofu,
}

impl TrustPinning {
    /// Chooses the rule for `gun`. `first_bootstrap`: there is no previously trusted root.
    pub(crate) fn checker(
        &self,
        gun: &str,
        first_bootstrap: bool,
        now: DateTime<Utc>,
    ) -> Result<PinCheck, RootValidationError> {
        let config_err = |reason: String| RootValidationError::PinningConfig { gun: gun.to_owned(), reason };
        if let Some(ids) = self.certs.get(gun) {
            return Ok(PinCheck::Certs { rule: format!("certs[{gun:?}]"), ids: ids.clone() });
        }
        let wildcard = self
            .certs
            .iter()
            .filter_map(|(pattern, ids)| pattern.strip_suffix('*').map(|prefix| (pattern, prefix, ids)))
            .filter(|(_, prefix, _)| gun.starts_with(prefix))
            .max_by_key(|(pattern, _, _)| pattern.len());
        if let Some((pattern, _, ids)) = wildcard {
            return Ok(PinCheck::Certs { rule: format!("certs[{pattern:?}]"), ids: ids.clone() });
        }
        let ca = self.ca.iter().filter(|(prefix, _)| gun.starts_with(prefix.as_str())).max_by_key(|(p, _)| p.len());
        if let Some((prefix, bundle)) = ca {
            let certs = parse_bundle(bundle)
                .map_err(|e| config_err(format!("could not load the pinned CA bundle for {prefix:?}: {e}")))?;
            let roots: Vec<ParsedCert> = certs.into_iter().filter(|c| check_parsed(c, Some(now)).is_ok()).collect();
            if roots.is_empty() {
                return Err(config_err(format!("no valid CA certificate in the pinned CA bundle for {prefix:?}")));
            }
            return Ok(PinCheck::Ca { rule: format!("ca[{prefix:?}]"), roots });
        }
        if self.disable_tofu && first_bootstrap {
            return Err(config_err("TOFU is disabled and no certificate or CA is pinned for this GUN".into()));
        }
        Ok(PinCheck::Tofu)
    }
}

impl PinCheck {
    /// The rule, for error messages.
    pub(crate) fn rule(&self) -> String {
        match self {
            PinCheck::Certs { rule, .. } | PinCheck::Ca { rule, .. } => rule.clone(),
            PinCheck::Tofu => "TOFU".into(),
        }
    }

    /// Whether a valid leaf (with its valid intermediates) passes the rule.
    pub(crate) fn check(
        &self,
        leaf: &ParsedCert,
        intermediates: &[ParsedCert],
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        match self {
            PinCheck::Certs { ids, .. } => {
                let key = bundle_key(leaf, intermediates).ok_or("unsupported certificate key type")?;
                if ids.contains(key.id()) {
                    Ok(())
                } else {
                    Err(format!("certificate key ID {} is not pinned", key.id()))
                }
            }
            PinCheck::Ca { roots, .. } => verify_chain(leaf, intermediates, roots, now),
            PinCheck::Tofu => Ok(()),
        }
    }
}
