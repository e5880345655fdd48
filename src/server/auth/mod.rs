//! Authentication to the notary server (spec §5.5, trap T12): `WWW-Authenticate` challenges,
//! Docker's token flow with scopes on the full GUN, tokens cached per scope until expiry.

mod credentials;

pub use credentials::Credentials;
