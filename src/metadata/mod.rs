//! Notary's TUF dialect: the metadata model, byte-exact serialisation, and signature
//! verification (spec §1–§3).
//!
//! Every role body re-serialises exactly as notary 0.7.0 would write it, so a file written by
//! Go parses and re-serialises to identical bytes, and files written here are fixed points of
//! Go's parse → re-serialise (spec §2.5).
//!
//! ```
//! use notary_client::metadata::{RoleName, Signed, Timestamp};
//! let bytes = br#"{"signed":{"_type":"Timestamp","expires":"2116-01-12T00:58:43.527711489Z","meta":{"snapshot":{"hashes":{"sha256":"lbmRtDEnrK4xv9M42C+vTVUR5Vu8qq373Q+Lnfe9hXk="},"length":488}},"version":1},"signatures":[{"keyid":"1192c9d6a8e45e4fa80fd3eb7fff45778ccad29c84f4ce7afcf45f62210a4955","method":"ecdsa","sig":"W4CVwbbPCBO0hV8KvXNTaOZmysSc3uR5HN7StpkFWfVh4EzqNvxdZc+qZc856mQjE5PYOxFcPNGa+4NIhUV13w=="}]}"#;
//! let ts = Signed::<Timestamp>::parse(RoleName::timestamp(), bytes).unwrap();
//! assert_eq!(ts.signed().version.get(), 1);
//! assert_eq!(ts.to_file_bytes().unwrap(), bytes.to_vec());
//! ```

mod common;
mod envelope;
mod error;
mod field_folding;
mod file_meta;
mod gun;
mod key;
mod role_name;
mod root;
mod snapshot;
mod targets;
mod verify;

pub use common::{
    Expires, ExpiresError, MAX_LENGTH, MAX_VERSION, Version, VersionOutOfRange, base64_decode, base64_encode,
};
pub use envelope::{RoleBody, Signature, Signed, SigningError};
pub use error::MetadataError;
pub(crate) use error::{clip, clip_to};
pub use file_meta::{Custom, FileMeta, HashMismatch, SHA256, SHA512};
pub use gun::Gun;
pub use key::{InvalidKeyId, KeyId, KeyType, PublicKey};
pub use role_name::{RELEASES, ROOT, RoleName, SNAPSHOT, TARGETS, TIMESTAMP};
pub use root::{RoleKeys, Root};
pub use snapshot::{Snapshot, Timestamp};
pub use targets::{DelegatedRole, Delegations, Targets};
pub use verify::{TrustedKeys, VerifyError, verify_threshold};
