//! Passphrases for key files: the [`PassphraseRetriever`] abstraction (notary's
//! `PassRetriever`), with retrievers for notary's environment variables, a fixed value and a
//! callback. Docker's variables live in [`crate::docker::DockerEnvPassphrase`].
//!
//! A retriever is asked with the key's ID and its *alias*, the key file's `role` header
//! (`root`, `targets`, a signer name…), spec §4.4 and trap T17.
//!
//! ```
//! use notary_client::passphrase::{FixedPassphrase, PassphraseRequest, PassphraseRetriever};
//! let retriever = FixedPassphrase::new("correct horse");
//! let p = retriever.passphrase(&PassphraseRequest::unlock("1a2b", "targets")).unwrap();
//! assert_eq!(p.expose(), "correct horse");
//! assert_eq!(format!("{p:?}"), "Passphrase(<redacted>)");
//! ```

use std::fmt;

use zeroize::{ZeroizeOnDrop, Zeroizing};

/// A passphrase, zeroized on drop and never printed.
#[derive(Clone, ZeroizeOnDrop)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wraps a passphrase.
    pub fn new(value: impl Into<String>) -> Self {
        Passphrase(Zeroizing::new(value.into()))
    }

    /// The empty passphrase: key files are then written unencrypted, as notary does.
    pub fn empty() -> Self {
        Passphrase::new(String::new())
    }

    /// The secret itself. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the passphrase is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

/// What a passphrase is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassphraseRequest<'a> {
    /// The key's canonical ID (its file name without `.key`).
    pub key_id: &'a str,
    /// The alias: the key file's `role` header (`root`, `targets`, `snapshot`, a signer name,
    /// `delegation`…).
    pub alias: &'a str,
    /// True when the passphrase will encrypt a new key file.
    pub create_new: bool,
    /// 0 on the first request for this key, then 1, 2… after a wrong passphrase.
    pub attempt: u32,
}

impl<'a> PassphraseRequest<'a> {
    /// A first request to unlock an existing key.
    pub fn unlock(key_id: &'a str, alias: &'a str) -> Self {
        PassphraseRequest { key_id, alias, create_new: false, attempt: 0 }
    }

    /// A first request for the passphrase of a new key file.
    pub fn create(key_id: &'a str, alias: &'a str) -> Self {
        PassphraseRequest { key_id, alias, create_new: true, attempt: 0 }
    }
}

/// Why no passphrase was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PassphraseError {
    /// No passphrase is configured for this alias.
    #[error("no passphrase available for the {alias} key {key_id}: {hint}")]
    NotAvailable {
        /// The key's alias (role header).
        alias: String,
        /// The key ID.
        key_id: String,
        /// What to do, e.g. "set DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE".
        hint: String,
    },
    /// The user (or a callback) declined to give one.
    #[error("passphrase entry for the {alias} key {key_id} was cancelled")]
    Cancelled {
        /// The key's alias.
        alias: String,
        /// The key ID.
        key_id: String,
    },
}

/// Gives passphrases for key files (notary's `PassRetriever`).
///
/// Implementations decide how many attempts they allow: a retriever backed by fixed values
/// should allow one (a wrong value does not become right when asked again), an interactive
/// one several.
pub trait PassphraseRetriever: Send + Sync {
    /// The passphrase for `request`, or why there is none.
    fn passphrase(&self, request: &PassphraseRequest<'_>) -> Result<Passphrase, PassphraseError>;

    /// How many times a key may be tried with this retriever before giving up.
    fn max_attempts(&self) -> u32 {
        1
    }
}

impl<T: PassphraseRetriever + ?Sized> PassphraseRetriever for std::sync::Arc<T> {
    fn passphrase(&self, request: &PassphraseRequest<'_>) -> Result<Passphrase, PassphraseError> {
        (**self).passphrase(request)
    }

    fn max_attempts(&self) -> u32 {
        (**self).max_attempts()
    }
}

/// The same passphrase for every key (zeroized on drop).
#[derive(Debug, Clone, ZeroizeOnDrop)]
pub struct FixedPassphrase(Passphrase);

impl FixedPassphrase {
    /// A retriever that always answers `value`.
    pub fn new(value: impl Into<String>) -> Self {
        FixedPassphrase(Passphrase::new(value))
    }
}

impl PassphraseRetriever for FixedPassphrase {
    fn passphrase(&self, _request: &PassphraseRequest<'_>) -> Result<Passphrase, PassphraseError> {
        Ok(self.0.clone())
    }
}

/// A retriever backed by a closure, for interactive tools (prompts) and tests.
///
/// ```
/// use notary_client::passphrase::{Passphrase, PassphraseCallback, PassphraseRequest, PassphraseRetriever};
/// let prompt = PassphraseCallback::new(3, |req: &PassphraseRequest<'_>| {
///     Ok(Passphrase::new(format!("typed for {}", req.alias)))
/// });
/// assert_eq!(prompt.max_attempts(), 3);
/// ```
pub struct PassphraseCallback<F> {
    attempts: u32,
    callback: F,
}

impl<F> PassphraseCallback<F>
where
    F: Fn(&PassphraseRequest<'_>) -> Result<Passphrase, PassphraseError> + Send + Sync,
{
    /// Calls `callback` for each request, allowing `attempts` tries per key.
    pub fn new(attempts: u32, callback: F) -> Self {
        PassphraseCallback { attempts: attempts.max(1), callback }
    }
}

impl<F> PassphraseRetriever for PassphraseCallback<F>
where
    F: Fn(&PassphraseRequest<'_>) -> Result<Passphrase, PassphraseError> + Send + Sync,
{
    fn passphrase(&self, request: &PassphraseRequest<'_>) -> Result<Passphrase, PassphraseError> {
        (self.callback)(request)
    }

    fn max_attempts(&self) -> u32 {
        self.attempts
    }
}

impl<F> fmt::Debug for PassphraseCallback<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassphraseCallback").field("attempts", &self.attempts).finish_non_exhaustive()
    }
}

/// Looks an environment variable up; injectable so tests need not touch the process env.
pub(crate) type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The notary CLI's variables (`cmd/notary/main.go`): `root` → `NOTARY_ROOT_PASSPHRASE`,
/// `targets` → `NOTARY_TARGETS_PASSPHRASE`, `snapshot` → `NOTARY_SNAPSHOT_PASSPHRASE`,
/// `delegation` and every alias that is not a base role → `NOTARY_DELEGATION_PASSPHRASE`;
/// `timestamp` has no variable.
pub struct NotaryEnvPassphrase {
    lookup: Box<EnvLookup>,
}

impl NotaryEnvPassphrase {
    /// Reads the process environment when asked.
    pub fn from_env() -> Self {
        NotaryEnvPassphrase { lookup: Box::new(process_env) }
    }

    /// Reads variables through `lookup` (for tests and embedding).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        NotaryEnvPassphrase { lookup: Box::new(lookup) }
    }

    /// The variable notary reads for `alias`, if any.
    pub fn variable_for(alias: &str) -> Option<&'static str> {
        match alias {
            "root" => Some("NOTARY_ROOT_PASSPHRASE"),
            "targets" => Some("NOTARY_TARGETS_PASSPHRASE"),
            "snapshot" => Some("NOTARY_SNAPSHOT_PASSPHRASE"),
            "timestamp" => None,
            _ => Some("NOTARY_DELEGATION_PASSPHRASE"),
        }
    }
}

impl PassphraseRetriever for NotaryEnvPassphrase {
    fn passphrase(&self, request: &PassphraseRequest<'_>) -> Result<Passphrase, PassphraseError> {
        env_passphrase(&*self.lookup, Self::variable_for(request.alias), request)
    }
}

impl fmt::Debug for NotaryEnvPassphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NotaryEnvPassphrase")
    }
}

/// Reads `variable` for `request`, or explains which variable to set.
pub(crate) fn env_passphrase(
    lookup: &EnvLookup,
    variable: Option<&str>,
    request: &PassphraseRequest<'_>,
) -> Result<Passphrase, PassphraseError> {
    let not_available = |hint: String| PassphraseError::NotAvailable {
        alias: request.alias.to_owned(),
        key_id: request.key_id.to_owned(),
        hint,
    };
    let Some(variable) = variable else {
        return Err(not_available("no environment variable holds passphrases for this role".into()));
    };
    // An empty value counts as unset, as in docker and notary: it must never silently mean
    // "write the key unencrypted" (a CI secret that failed to expand is empty, not absent).
    match lookup(variable).filter(|v| !v.is_empty()) {
        Some(value) => Ok(Passphrase::new(value)),
        None => Err(not_available(format!("set {variable} (it is unset or empty)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notary(vars: &'static [(&'static str, &'static str)]) -> NotaryEnvPassphrase {
        NotaryEnvPassphrase::from_lookup(move |name| {
            vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn notary_maps_signer_names_to_the_delegation_variable() {
        let r = notary(&[("NOTARY_DELEGATION_PASSPHRASE", "d")]);
        assert_eq!(r.passphrase(&PassphraseRequest::unlock("k", "alice")).unwrap().expose(), "d");
        assert_eq!(r.passphrase(&PassphraseRequest::unlock("k", "targets/releases")).unwrap().expose(), "d");
    }

    #[test]
    fn notary_root_never_falls_back() {
        let r = notary(&[("NOTARY_DELEGATION_PASSPHRASE", "d")]);
        let err = r.passphrase(&PassphraseRequest::unlock("k", "root")).unwrap_err();
        assert!(err.to_string().contains("set NOTARY_ROOT_PASSPHRASE"), "{err}");
    }

    #[test]
    fn an_empty_variable_is_no_passphrase() {
        let r = notary(&[("NOTARY_DELEGATION_PASSPHRASE", ""), ("NOTARY_TARGETS_PASSPHRASE", "")]);
        let err = r.passphrase(&PassphraseRequest::create("k", "alice")).unwrap_err();
        assert!(matches!(err, PassphraseError::NotAvailable { .. }), "{err}");
        assert!(r.passphrase(&PassphraseRequest::create("k", "targets")).is_err());
    }

    #[test]
    fn notary_timestamp_has_no_variable() {
        let r = notary(&[("NOTARY_DELEGATION_PASSPHRASE", "d")]);
        assert!(r.passphrase(&PassphraseRequest::unlock("k", "timestamp")).is_err());
    }
}
