//! The Notary server API (spec §5): metadata and key downloads under
//! `<server>/v2/<GUN>/_trust/tuf/`, the changefeed, Docker's token authentication and TLS
//! conventions, size caps enforced while streaming, and typed server errors.
//!
//! The update workflow ([`crate::trusted`]) talks to any [`RemoteStore`]; [`NotaryServer`] is
//! the HTTP implementation.

pub mod auth;
mod error;
mod store;

pub use error::ServerError;
pub use store::{MetadataName, RemoteStore, limits};
