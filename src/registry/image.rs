//! The image to push: its manifests, in push order, and the blobs each one references.
//!
//! An [`Image`] is read from an OCI image layout directory or a docker-archive tarball (see
//! [`Image::from_oci_layout`] and [`Image::from_docker_archive`]). Manifests are kept as the exact
//! bytes found in the source: the registry stores those bytes, their sha256 is the digest that
//! gets signed, and their length is the target's `length` (spec §6.2).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use ring::digest;

/// A `sha256:<64 lowercase hex>` content digest. Only sha256 is accepted: it is what Docker
/// Content Trust signs and what every registry supports.
///
/// ```
/// use notary_client::registry::Digest;
/// let d = Digest::of(b"{}");
/// assert_eq!(d.to_string(), "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
/// assert_eq!(d.to_string().parse::<Digest>()?, d);
/// # Ok::<(), notary_client::registry::DigestError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The sha256 digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest::from_ring(digest::digest(&digest::SHA256, bytes))
    }

    /// A digest from its 32 raw bytes.
    pub fn from_bytes(sha256: [u8; 32]) -> Digest {
        Digest(sha256)
    }

    pub(crate) fn from_ring(d: digest::Digest) -> Digest {
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Digest(out)
    }

    /// The 32 raw bytes (the TUF target's `hashes.sha256`).
    pub fn sha256(&self) -> [u8; 32] {
        self.0
    }

    /// The 64 hex digits, without the `sha256:` prefix (an OCI layout's blob file name).
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A digest string that is not `sha256:<64 lowercase hex>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a sha256 digest (expected \"sha256:\" and 64 lowercase hex digits)")]
pub struct DigestError {
    /// The rejected text (truncated to 100 characters).
    pub value: String,
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Digest, DigestError> {
        let err = || DigestError { value: s.chars().take(100).collect() };
        let hex_part = s.strip_prefix("sha256:").ok_or_else(err)?;
        if hex_part.len() != 64 || !hex_part.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(err());
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out).map_err(|_| err())?;
        Ok(Digest(out))
    }
}

/// Where a blob's bytes are: a whole file, a byte range of a file (a layer inside a
/// docker-archive tarball), or memory (small generated blobs).
#[derive(Clone)]
pub enum BlobSource {
    /// `len` bytes of the file at `path`, starting at `offset`.
    File {
        /// The file.
        path: PathBuf,
        /// Where the blob starts.
        offset: u64,
    },
    /// Bytes held in memory.
    Memory(Arc<[u8]>),
}

impl fmt::Debug for BlobSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlobSource::File { path, offset } => write!(f, "{}@{offset}", path.display()),
            BlobSource::Memory(bytes) => write!(f, "<{} bytes in memory>", bytes.len()),
        }
    }
}

/// A blob a manifest references (its config or a layer).
#[derive(Debug, Clone)]
pub struct Blob {
    /// The descriptor's digest; the registry checks the uploaded bytes against it.
    pub digest: Digest,
    /// The descriptor's size in bytes.
    pub size: u64,
    /// The descriptor's media type.
    pub media_type: String,
    /// Where the bytes are read from.
    pub source: BlobSource,
}

/// One manifest to push: an image manifest (with its config and layers) or an index / manifest
/// list (no blobs; its children are pushed before it).
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The media type, sent as `Content-Type`.
    pub media_type: String,
    /// The exact bytes to push.
    pub bytes: Arc<[u8]>,
    /// sha256 of `bytes`.
    pub digest: Digest,
    /// The blobs it references, config first; empty for an index.
    pub blobs: Vec<Blob>,
}

impl Manifest {
    /// A manifest of these bytes (the digest is computed here).
    pub fn new(media_type: impl Into<String>, bytes: impl Into<Arc<[u8]>>, blobs: Vec<Blob>) -> Manifest {
        let bytes = bytes.into();
        Manifest { media_type: media_type.into(), digest: Digest::of(&bytes), bytes, blobs }
    }

    /// The manifest's size: the signed target's `length`.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
}

/// An image ready to push: every manifest in push order (an index's children first), the one
/// the tag points at last.
#[derive(Debug, Clone)]
pub struct Image {
    manifests: Vec<Manifest>,
}

impl Image {
    /// An image of these manifests in push order; the last one is the tagged manifest. `None`
    /// when `manifests` is empty.
    pub fn new(manifests: Vec<Manifest>) -> Option<Image> {
        if manifests.is_empty() { None } else { Some(Image { manifests }) }
    }

    /// Every manifest, in push order.
    pub fn manifests(&self) -> &[Manifest] {
        &self.manifests
    }

    /// The manifest the tag points at (an index for a multi-platform image): its digest and
    /// size are what gets signed.
    pub fn top(&self) -> &Manifest {
        // `new` refuses an empty list.
        &self.manifests[self.manifests.len() - 1]
    }

    /// Every distinct blob of every manifest, in push order.
    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        let mut seen = std::collections::HashSet::new();
        self.manifests.iter().flat_map(|m| m.blobs.iter()).filter(move |b| seen.insert(b.digest))
    }
}

/// How much of a blob is read at a time while uploading. With one upload at a time this bounds
/// the memory a push needs, whatever the layer size.
pub const UPLOAD_CHUNK: usize = 256 * 1024;

impl Blob {
    /// The blob's bytes as a stream of chunks of at most [`UPLOAD_CHUNK`] bytes, read lazily
    /// from its source. Exactly `size` bytes are produced; a source that ends early is an
    /// `UnexpectedEof` error.
    pub fn stream(&self) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        enum State {
            Start(BlobSource),
            Reading(tokio::fs::File),
            Memory(Arc<[u8]>, usize),
            Done,
        }
        let size = self.size;
        futures_util::stream::unfold((State::Start(self.source.clone()), 0u64), move |(state, sent)| async move {
            if sent >= size {
                return None;
            }
            let want = usize::try_from((size - sent).min(UPLOAD_CHUNK as u64)).unwrap_or(UPLOAD_CHUNK);
            let eof =
                || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the blob's source ended before its size");
            let result = async {
                let mut state = match state {
                    State::Start(BlobSource::File { path, offset }) => {
                        let mut file = tokio::fs::File::open(&path).await?;
                        file.seek(std::io::SeekFrom::Start(offset)).await?;
                        State::Reading(file)
                    }
                    State::Start(BlobSource::Memory(bytes)) => State::Memory(bytes, 0),
                    other => other,
                };
                let chunk = match &mut state {
                    State::Reading(file) => {
                        let mut buf = vec![0u8; want];
                        file.read_exact(&mut buf)
                            .await
                            .map_err(|e| if e.kind() == std::io::ErrorKind::UnexpectedEof { eof() } else { e })?;
                        bytes::Bytes::from(buf)
                    }
                    State::Memory(bytes, at) => {
                        let chunk = bytes.get(*at..*at + want).ok_or_else(eof)?;
                        *at += want;
                        bytes::Bytes::copy_from_slice(chunk)
                    }
                    _ => return Err(eof()),
                };
                Ok((chunk, state))
            }
            .await;
            match result {
                Ok((chunk, state)) => {
                    let sent = sent + chunk.len() as u64;
                    Some((Ok(chunk), (state, sent)))
                }
                Err(e) => Some((Err(e), (State::Done, size))),
            }
        })
    }
}
