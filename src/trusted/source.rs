//! Where metadata bytes come from: a directory (a trust-dir cache, an audit copy), and later
//! a notary server.

use std::path::{Path, PathBuf};

use crate::metadata::RoleName;

/// A store of metadata files by role.
pub trait MetadataSource {
    /// The bytes of `<role>.json`, or `None` if there is no such file.
    fn read(&self, role: &RoleName) -> Result<Option<Vec<u8>>, SourceError>;
}

/// Reading a metadata file failed (other than "not found").
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct SourceError {
    /// The file.
    pub path: String,
    /// The I/O error.
    pub source: std::io::Error,
}

/// Metadata files in a directory laid out as notary's cache (`<dir>/root.json`,
/// `<dir>/targets/releases.json`, ...), e.g. `$DOCKER_CONFIG/trust/tuf/<GUN>/metadata`.
///
/// Paths are built only from validated [`RoleName`]s, so no role can name a file outside
/// the directory.
#[derive(Debug, Clone)]
pub struct DirectorySource {
    dir: PathBuf,
    refuse_symlinks: bool,
}

/// Largest metadata file read from disk (notary's root cap, spec §5.4).
const MAX_FILE: u64 = 100 << 20;

impl DirectorySource {
    /// A source reading from `dir`.
    ///
    /// Symlinks are followed (audit copies and mounted volumes often consist of links); see
    /// [`DirectorySource::refuse_symlinks`].
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        DirectorySource { dir: dir.into(), refuse_symlinks: false }
    }

    /// Refuse any symlink below the directory (sub-directories and files), as the trust
    /// directory's cache does: a link there could make the cache read anything.
    pub fn refuse_symlinks(mut self) -> Self {
        self.refuse_symlinks = true;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of a role's file.
    pub fn path_of(&self, role: &RoleName) -> PathBuf {
        let mut p = self.dir.clone();
        for seg in role.as_str().split('/') {
            p.push(seg);
        }
        p.set_extension("json");
        p
    }
}

impl MetadataSource for DirectorySource {
    fn read(&self, role: &RoleName) -> Result<Option<Vec<u8>>, SourceError> {
        use std::io::Read;
        let path = self.path_of(role);
        let err = |source| SourceError { path: path.display().to_string(), source };
        let file = if self.refuse_symlinks {
            let as_io = |e: crate::trust_dir::TrustDirError| std::io::Error::other(e.to_string());
            // The delegation's parent directories (`targets/` for `targets/releases`).
            let dirs = role.as_str().rsplit_once('/').map(|(d, _)| d).unwrap_or_default();
            crate::trust_dir::join_checked(&self.dir, dirs.split('/').filter(|d| !d.is_empty()))
                .map_err(|e| err(as_io(e)))?;
            match crate::trust_dir::open_no_follow(&path).map_err(|e| err(as_io(e)))? {
                Some((f, _)) => f,
                None => return Ok(None),
            }
        } else {
            match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(err(e)),
            }
        };
        let mut bytes = Vec::new();
        file.take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(err)?;
        if bytes.len() as u64 > MAX_FILE {
            return Err(err(std::io::Error::other("file exceeds the 100 MiB metadata limit")));
        }
        Ok(Some(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delegation_files_live_in_subdirectories() {
        let s = DirectorySource::new("/m");
        assert_eq!(s.path_of(&RoleName::new("targets/a/b").unwrap()), PathBuf::from("/m/targets/a/b.json"));
        assert_eq!(s.path_of(&RoleName::root()), PathBuf::from("/m/root.json"));
    }
}
