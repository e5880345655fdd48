//! Who we are to the token service or the server.

use std::fmt;

use zeroize::Zeroizing;

/// Credentials for one registry / notary server. Secrets are zeroized on drop and never
/// printed (`Debug` redacts them).
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Credentials {
    /// No credentials: tokens are requested anonymously.
    #[default]
    Anonymous,
    /// A user name and password (or personal access token), sent as HTTP Basic to the token
    /// realm (or to the server on a Basic challenge).
    Basic {
        /// The user name (also sent as `account`).
        username: String,
        /// The password.
        password: Zeroizing<String>,
    },
    /// An identity (refresh) token, exchanged with `grant_type=refresh_token` (Docker's
    /// `identitytoken`, e.g. Azure Container Registry's `az acr login` tokens).
    IdentityToken {
        /// The user name, if known (sent as `account`; ACR uses
        /// `00000000-0000-0000-0000-000000000000`).
        username: Option<String>,
        /// The refresh token.
        token: Zeroizing<String>,
    },
    /// A ready bearer token, sent as is on every request.
    Bearer(Zeroizing<String>),
}

impl Credentials {
    /// User name and password.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials::Basic { username: username.into(), password: Zeroizing::new(password.into()) }
    }

    /// The user name, if these credentials have one.
    pub fn username(&self) -> Option<&str> {
        match self {
            Credentials::Basic { username, .. } => Some(username),
            Credentials::IdentityToken { username, .. } => username.as_deref(),
            Credentials::Anonymous | Credentials::Bearer(_) => None,
        }
    }
}

// Every secret (password, refresh token, bearer token) is a `Zeroizing<String>`; the user name is
// not a secret. A marker rather than the derive, whose `Drop` impl would forbid moving the
// fields out (to oci-client's `RegistryAuth`, for one).
impl zeroize::ZeroizeOnDrop for Credentials {}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { username, .. } => {
                f.debug_struct("Basic").field("username", username).field("password", &"<redacted>").finish()
            }
            Credentials::IdentityToken { username, .. } => {
                f.debug_struct("IdentityToken").field("username", username).field("token", &"<redacted>").finish()
            }
            Credentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}
