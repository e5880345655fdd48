//! Upload progress of a push ([`PushProgress`]): one bar per blob when stderr is a terminal,
//! plain lines otherwise (CI logs):
//!
//! ```text
//! Pushing sha256:4f4fb700ef54… (1.20 MiB)
//! sha256:4f4fb700ef54… pushed
//! sha256:7c3b88808835… already exists
//! sha256:9a1d8f2e77c0… mounted from another repository
//! Pushed manifest sha256:1b4a9e3c7d22… (528 B)
//! ```
//!
//! Everything goes to stderr: stdout keeps the command's result.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressStyle};
use notary_client::registry::{Blob, BlobOutcome, Digest, Manifest, PushProgress};

/// Draws push progress on stderr. See the module documentation.
pub struct PushBars {
    bars: Option<Bars>,
}

struct Bars {
    multi: MultiProgress,
    style: ProgressStyle,
    by_digest: Mutex<HashMap<Digest, ProgressBar>>,
}

impl Default for PushBars {
    fn default() -> Self {
        Self::new()
    }
}

impl PushBars {
    /// Bars when stderr is a terminal, plain lines otherwise.
    pub fn new() -> Self {
        if std::io::stderr().is_terminal() { Self::bars() } else { Self::lines() }
    }

    /// Plain lines, whatever stderr is.
    pub fn lines() -> Self {
        PushBars { bars: None }
    }

    /// Progress bars on stderr.
    pub fn bars() -> Self {
        let style =
            ProgressStyle::with_template("{prefix} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {bytes_per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        PushBars { bars: Some(Bars { multi: MultiProgress::new(), style, by_digest: Mutex::new(HashMap::new()) }) }
    }

    /// Runs `f` (e.g. a passphrase prompt) with the bars hidden.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bars {
            Some(bars) => bars.multi.suspend(f),
            None => f(),
        }
    }

    fn bar(&self, blob: &Blob) -> Option<ProgressBar> {
        let bars = self.bars.as_ref()?;
        let map = bars.by_digest.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.get(&blob.digest).cloned()
    }
}

/// `sha256:` and the first 12 hex digits.
pub fn short_digest(digest: &Digest) -> String {
    let hex = digest.hex();
    format!("sha256:{}…", &hex[..12.min(hex.len())])
}

impl PushProgress for PushBars {
    fn blob_started(&self, blob: &Blob) {
        match &self.bars {
            Some(bars) => {
                let bar = bars
                    .multi
                    .add(ProgressBar::new(blob.size))
                    .with_style(bars.style.clone())
                    .with_prefix(short_digest(&blob.digest));
                let mut map = bars.by_digest.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                map.insert(blob.digest, bar);
            }
            None => eprintln!("Pushing {} ({})", short_digest(&blob.digest), HumanBytes(blob.size)),
        }
    }

    fn blob_bytes(&self, blob: &Blob, sent: u64) {
        if let Some(bar) = self.bar(blob) {
            bar.set_position(sent);
        }
    }

    fn blob_done(&self, blob: &Blob, outcome: BlobOutcome) {
        let what = match outcome {
            BlobOutcome::Uploaded => "pushed",
            BlobOutcome::Existed => "already exists",
            BlobOutcome::Mounted => "mounted from another repository",
        };
        match self.bar(blob) {
            Some(bar) => {
                if outcome == BlobOutcome::Uploaded {
                    bar.set_position(blob.size);
                }
                bar.finish_with_message(what);
            }
            None => eprintln!("{} {what}", short_digest(&blob.digest)),
        }
    }

    fn manifest_pushed(&self, manifest: &Manifest) {
        let line = format!("Pushed manifest {} ({})", short_digest(&manifest.digest), HumanBytes(manifest.size()));
        match &self.bars {
            Some(bars) => {
                if bars.multi.println(&line).is_err() {
                    eprintln!("{line}");
                }
            }
            None => eprintln!("{line}"),
        }
    }
}
