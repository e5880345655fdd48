//! Verified trust data: the TUF walk of spec §6.8 (root → timestamp → snapshot → targets →
//! delegations) over any [`MetadataSource`], producing a [`TrustedRepository`] whose every
//! file has been checked — signatures against the trusted parent's keys and threshold,
//! hashes and lengths against the parent's meta, expiry against a [`crate::clock::Clock`].
//!
//! ```no_run
//! use notary_client::certs::TrustPinning;
//! use notary_client::clock::SystemClock;
//! use notary_client::trusted::{DirectorySource, TrustedRepository};
//!
//! let dir = DirectorySource::new("/home/me/.docker/trust/tuf/docker.io/library/alpine/metadata");
//! let repo = TrustedRepository::verify(&dir, "docker.io/library/alpine", &TrustPinning::default(), &SystemClock)?;
//! for t in repo.targets() {
//!     println!("{} {} {}", t.name, t.role, t.meta.length);
//! }
//! # Ok::<(), notary_client::trusted::TrustError>(())
//! ```

mod builder;
mod error;
mod repository;
mod source;
mod update;

pub use error::TrustError;
pub use repository::{DelegationInfo, SkippedRole, TargetEntry, TrustedRepository, TrustedTargets, UpdateWarning};
pub use source::{DirectorySource, MetadataSource, SourceError};
pub use update::Update;
