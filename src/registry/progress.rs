//! Push options and progress callbacks.

use std::fmt;
use std::sync::Arc;

use super::{Blob, Manifest};

/// How a blob reached the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobOutcome {
    /// Its bytes were uploaded.
    Uploaded,
    /// The registry already had it (a `HEAD` found it); nothing was sent.
    Existed,
    /// The registry linked it from another repository (cross-repository mount).
    Mounted,
}

/// Receives the events of a push, e.g. to draw progress bars. Every method has an empty
/// default; events of one blob arrive in order (`blob_started`, any `blob_bytes`, `blob_done`).
pub trait PushProgress: Send + Sync {
    /// A blob is about to be checked and, if needed, uploaded.
    fn blob_started(&self, _blob: &Blob) {}
    /// `sent` bytes of the blob have been handed to the connection so far.
    fn blob_bytes(&self, _blob: &Blob, _sent: u64) {}
    /// The blob is in the registry.
    fn blob_done(&self, _blob: &Blob, _outcome: BlobOutcome) {}
    /// A manifest was stored.
    fn manifest_pushed(&self, _manifest: &Manifest) {}
}

/// How to push.
#[derive(Clone, Default)]
pub struct PushOptions {
    /// Where progress events go (none by default).
    pub progress: Option<Arc<dyn PushProgress>>,
    /// Repositories on the same registry (paths such as `team/base`) that may already hold the
    /// blobs: a missing blob is first requested as a cross-repository mount from each of them.
    pub mount_from: Vec<String>,
}

impl fmt::Debug for PushOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushOptions")
            .field("progress", &self.progress.as_ref().map(|_| "…"))
            .field("mount_from", &self.mount_from)
            .finish()
    }
}
