//! File-system rules of the trust directory: directories 0700, files 0600, atomic writes
//! (temp file, fsync, rename, fsync of the directory), no symlink followed below the root.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::TrustDirError;

/// Joins validated `components` under `root`, refusing any symlink below `root` that already
/// exists on the way (the root itself may be a symlink, e.g. a linked `~/.docker`).
pub(crate) fn join_checked<'a>(
    root: &Path,
    components: impl IntoIterator<Item = &'a str>,
) -> Result<PathBuf, TrustDirError> {
    let mut path = root.to_path_buf();
    for c in components {
        debug_assert!(!c.is_empty() && c != "." && c != ".." && !c.contains(['/', '\\']));
        path.push(c);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => return Err(TrustDirError::Symlink { path }),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(TrustDirError::io("inspect", &path, e)),
        }
    }
    Ok(path)
}

/// Opens the regular file `path` without following a symlink at its last component: the
/// file is `lstat`ed, opened, and the open handle must be the very file that was inspected
/// (same device and inode), so swapping in a symlink between the two steps is caught.
/// Returns `Ok(None)` when the file does not exist.
pub(crate) fn open_no_follow(path: &Path) -> Result<Option<(File, fs::Metadata)>, TrustDirError> {
    let before = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(TrustDirError::io("inspect", path, e)),
    };
    if before.file_type().is_symlink() {
        return Err(TrustDirError::Symlink { path: path.to_path_buf() });
    }
    if !before.is_file() {
        return Err(TrustDirError::io("read", path, io::Error::other("not a regular file")));
    }
    let file = File::open(path).map_err(|e| TrustDirError::io("read", path, e))?;
    let after = file.metadata().map_err(|e| TrustDirError::io("inspect", path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (before.dev(), before.ino()) != (after.dev(), after.ino()) {
            return Err(TrustDirError::Symlink { path: path.to_path_buf() });
        }
    }
    Ok(Some((file, after)))
}

/// Creates `dir` and its missing parents with mode 0700.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), TrustDirError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| TrustDirError::io("create directory", dir, e))
}

/// Writes `bytes` to `path` atomically with mode 0600: a reader sees the old file or the new
/// one, never a mix, and a crash leaves at most a stray temporary file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrustDirError> {
    let dir = path.parent().ok_or_else(|| TrustDirError::io("write", path, io::ErrorKind::InvalidInput.into()))?;
    create_private_dir(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (tmp, mut file) = create_temp(dir, &name)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(TrustDirError::io("write", path, e));
    }
    // Make the rename durable; not all platforms can open a directory for fsync.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, File), TrustDirError> {
    let mut attempt = 0u32;
    loop {
        let mut nonce = [0u8; 6];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
            .map_err(|_| TrustDirError::io("create temporary file", dir, io::ErrorKind::Other.into()))?;
        let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(nonce)));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
            Err(e) => return Err(TrustDirError::io("create temporary file", &tmp, e)),
        }
    }
}

/// Refuses a file that group or others can access (no-op on non-Unix systems).
pub(crate) fn refuse_group_or_other_access(path: &Path, meta: &fs::Metadata) -> Result<(), TrustDirError> {
    #[cfg(unix)]
    {
        let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777;
        if mode & 0o077 != 0 {
            return Err(TrustDirError::InsecurePermissions { path: path.to_path_buf(), mode });
        }
    }
    #[cfg(not(unix))]
    let _ = (path, meta);
    Ok(())
}

/// Reads all of `file` into a zeroizing buffer, refusing more than `limit` bytes.
pub(crate) fn read_to_limit(file: File, path: &Path, limit: u64) -> Result<zeroize::Zeroizing<Vec<u8>>, TrustDirError> {
    use std::io::Read;
    // Room for the whole read up front: a growing buffer would free copies of the key unzeroized.
    let capacity = usize::try_from(limit).map_or(0, |l| l.saturating_add(1));
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(capacity));
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| TrustDirError::io("read", path, e))?;
    if bytes.len() as u64 > limit {
        return Err(TrustDirError::io("read", path, io::Error::other(format!("file is larger than {limit} bytes"))));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_whole_files_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/file.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(fs::metadata(dir.path().join("a/b")).unwrap().permissions().mode() & 0o777, 0o700);
        }
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("a/b")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file remains");
    }

    #[cfg(unix)]
    #[test]
    fn open_no_follow_refuses_a_symlinked_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("real"), b"x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link")).unwrap();
        assert!(matches!(open_no_follow(&dir.path().join("link")), Err(TrustDirError::Symlink { .. })));
        assert!(open_no_follow(&dir.path().join("real")).unwrap().is_some());
        assert!(open_no_follow(&dir.path().join("missing")).unwrap().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_below_the_root_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("tuf")).unwrap();
        let err = join_checked(dir.path(), ["tuf", "x"]).unwrap_err();
        assert!(matches!(err, TrustDirError::Symlink { .. }), "{err}");
    }
}
