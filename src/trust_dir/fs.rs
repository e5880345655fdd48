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

/// Mode bits of a file that grant group or other any access (0 on non-Unix systems).
pub(crate) fn group_or_other_bits(meta: &fs::Metadata) -> u32 {
    #[cfg(unix)]
    {
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o077
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        0
    }
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
    fn symlinks_below_the_root_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("tuf")).unwrap();
        let err = join_checked(dir.path(), ["tuf", "x"]).unwrap_err();
        assert!(matches!(err, TrustDirError::Symlink { .. }), "{err}");
    }
}
