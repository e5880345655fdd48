//! The Notary server API (spec §5): metadata and key downloads under
//! `<server>/v2/<GUN>/_trust/tuf/`, the changefeed, Docker's token authentication and TLS
//! conventions, size caps enforced while streaming, and typed server errors.
//!
//! The update workflow ([`crate::trusted`]) talks to any [`RemoteStore`]; [`NotaryServer`] is
//! the HTTP implementation. TLS is rustls on ring (no other crypto backend), with the system's
//! roots plus any CA given to the [`NotaryServerBuilder`]; `HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY` and `NO_PROXY` are honoured, except that loopback hosts are never proxied.

pub mod auth;
mod builder;
mod changefeed;
mod client;
mod error;
pub(crate) mod http;
mod keys;
mod proxy;
mod publish;
mod store;
pub(crate) mod tls;

pub use builder::NotaryServerBuilder;
pub(crate) use builder::redact_url;
pub use changefeed::{Change, ChangeCategory, Changefeed};
pub use client::NotaryServer;
pub use error::{Errcode, ServerError};
pub use store::{MetadataName, RemoteStore, limits};
