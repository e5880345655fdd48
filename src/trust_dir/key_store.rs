//! The private key store, `<trust>/private` (notary's `KeyFileStore`): one file per key named
//! by its canonical ID, plus read-only support for the legacy layouts `root_keys/` and
//! `tuf_keys/<GUN>/` of notary ≤ 0.3 (spec §4.1).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use super::{StoreSigner, TrustDirError, fs as tfs};
use crate::key_file::{KeyFile, KeyFileError, KeyFileFormat};
use crate::keys::{PrivateKey, SoftwareKey};
use crate::metadata::{Gun, KeyId, PublicKey};
use crate::passphrase::{PassphraseRequest, PassphraseRetriever};

/// Largest key file read (an RSA-4096 key file is about 3.3 KiB).
pub(crate) const MAX_KEY_FILE: u64 = 64 << 10;

/// Where a key file sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyLocation {
    /// `private/<id>.key` (notary ≥ 0.4, docker).
    Current,
    /// `private/root_keys/<id>[_root].key` (notary ≤ 0.3; read only).
    LegacyRootKeys,
    /// `private/tuf_keys/<GUN>/<id>[_<role>].key` (notary ≤ 0.3; read only).
    LegacyTufKeys,
}

/// What the store knows about a key without decrypting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The canonical key ID (file name).
    pub id: KeyId,
    /// The `role` header, or the legacy file name's `_<role>` suffix.
    pub role: Option<String>,
    /// The `gun` header, or the legacy `tuf_keys/<GUN>/` directory.
    pub gun: Option<String>,
    /// The file.
    pub path: PathBuf,
    /// Its encoding.
    pub format: KeyFileFormat,
    /// Whether a passphrase is needed.
    pub encrypted: bool,
    /// Current or legacy layout.
    pub location: KeyLocation,
}

/// A key file the listing could not use, and why.
#[derive(Debug)]
pub struct SkippedKeyFile {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped.
    pub error: TrustDirError,
}

/// The keys of a store, and the files that are not keys.
#[derive(Debug, Default)]
pub struct KeyListing {
    /// Keys by ID (a current-layout file wins over a legacy one with the same ID).
    pub keys: Vec<KeyInfo>,
    /// `*.key` files that could not be read as keys.
    pub skipped: Vec<SkippedKeyFile>,
}

/// The private keys of a trust directory.
#[derive(Debug, Clone)]
pub struct KeyStore {
    dir: PathBuf,
    allow_insecure_permissions: bool,
}

impl KeyStore {
    /// The store in `dir` (normally `<trust>/private`).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        KeyStore { dir: dir.into(), allow_insecure_permissions: false }
    }

    /// The key directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Accept private key files that group or others can access. By default loading such a
    /// key fails (like `ssh` and `docker trust key load`), because the secret may already be
    /// exposed.
    pub fn allow_insecure_permissions(mut self) -> Self {
        self.allow_insecure_permissions = true;
        self
    }

    /// Refuses a store directory that is itself a symlink (it could point anywhere; the trust
    /// directory above it may be one).
    fn checked_dir(&self) -> Result<&Path, TrustDirError> {
        match fs::symlink_metadata(&self.dir) {
            Ok(m) if m.file_type().is_symlink() => Err(TrustDirError::Symlink { path: self.dir.clone() }),
            _ => Ok(&self.dir),
        }
    }

    /// Lists every `*.key` file (recursively, skipping symlinks, as notary does).
    pub fn list(&self) -> Result<KeyListing, TrustDirError> {
        let mut listing = KeyListing::default();
        let mut files = Vec::new();
        walk(self.checked_dir()?, &mut Vec::new(), &mut files)?;
        for (path, rel) in files {
            match self.info_of(&path, &rel) {
                Ok(info) => listing.keys.push(info),
                Err(error) => listing.skipped.push(SkippedKeyFile { path, error }),
            }
        }
        listing.keys.sort_by(|a, b| {
            (&a.id, a.location != KeyLocation::Current).cmp(&(&b.id, b.location != KeyLocation::Current))
        });
        listing.keys.dedup_by(|later, first| later.id == first.id);
        Ok(listing)
    }

    /// The key with canonical ID `id`.
    pub fn find(&self, id: &KeyId) -> Result<KeyInfo, TrustDirError> {
        let (path, rel) = self.locate(id)?;
        Ok(self.read_info(&path, &rel, false)?.0)
    }

    /// The file holding key `id` and its components relative to the store: `<id>.key` when
    /// present (never a symlink), else the first match of a listing (legacy layouts).
    fn locate(&self, id: &KeyId) -> Result<(PathBuf, Vec<String>), TrustDirError> {
        let name = format!("{id}.key");
        let current = self.checked_dir()?.join(&name);
        if let Ok(meta) = fs::symlink_metadata(&current) {
            if meta.file_type().is_symlink() {
                return Err(TrustDirError::Symlink { path: current });
            }
            return Ok((current, vec![name]));
        }
        self.files_of(id)?.into_iter().next().ok_or_else(|| self.not_found(id))
    }

    /// Every file (current and legacy layouts) holding key `id`.
    fn files_of(&self, id: &KeyId) -> Result<Vec<(PathBuf, Vec<String>)>, TrustDirError> {
        let mut files = Vec::new();
        walk(self.checked_dir()?, &mut Vec::new(), &mut files)?;
        files.retain(|(_, rel)| classify(rel).is_some_and(|c| c.id == id.as_str()));
        Ok(files)
    }

    fn not_found(&self, id: &KeyId) -> TrustDirError {
        TrustDirError::KeyNotFound { key_id: id.to_string(), dir: self.dir.clone() }
    }

    /// Decrypts key `id`, asking `retriever` for the passphrase (alias: the key's role), and
    /// checks that the key inside is the one the file name says.
    pub fn load(&self, id: &KeyId, retriever: &dyn PassphraseRetriever) -> Result<SoftwareKey, TrustDirError> {
        let (path, rel) = self.locate(id)?;
        let (info, file) = self.read_info(&path, &rel, !self.allow_insecure_permissions)?;
        let key = unlock(&file, &info, retriever)?;
        let actual = key.public_key().id().clone();
        if &actual != id {
            return Err(TrustDirError::KeyIdMismatch {
                path: info.path,
                expected: id.to_string(),
                actual: actual.to_string(),
            });
        }
        SoftwareKey::from_private_key(key).map_err(|e| TrustDirError::unusable(id, e))
    }

    /// Stores `key` as `private/<canonical-id>.key` in notary's format, encrypted with the
    /// passphrase `retriever` gives for a new key with alias `role` (an empty passphrase
    /// writes an unencrypted file, as notary does).
    pub fn add(
        &self,
        key: &PrivateKey,
        role: &str,
        gun: Option<&Gun>,
        retriever: &dyn PassphraseRetriever,
    ) -> Result<KeyInfo, TrustDirError> {
        let id = key.public_key().id().clone();
        let passphrase = retriever.passphrase(&PassphraseRequest::create(id.as_str(), role))?;
        let bytes = KeyFile::encode(key, role, gun, &passphrase)
            .map_err(|source| TrustDirError::KeyFile { path: self.dir.clone(), source })?;
        let name = format!("{id}.key");
        let path = tfs::join_checked(self.checked_dir()?, [name.as_str()])?;
        tfs::write_atomic(&path, &bytes)?;
        self.info_of(&path, &[name])
    }

    /// Generates a P-256 key (`notary key generate`) and stores it.
    pub fn generate(
        &self,
        role: &str,
        gun: Option<&Gun>,
        retriever: &dyn PassphraseRetriever,
    ) -> Result<SoftwareKey, TrustDirError> {
        let key = PrivateKey::generate_p256().map_err(|e| TrustDirError::unusable("(new)", e))?;
        self.add(&key, role, gun, retriever)?;
        SoftwareKey::from_private_key(key).map_err(|e| TrustDirError::unusable("(new)", e))
    }

    /// Removes every file holding key `id` (current and legacy layouts).
    pub fn remove(&self, id: &KeyId) -> Result<(), TrustDirError> {
        let files = self.files_of(id)?;
        if files.is_empty() {
            return Err(self.not_found(id));
        }
        for (path, _) in files {
            fs::remove_file(&path).map_err(|e| TrustDirError::io("remove", &path, e))?;
        }
        Ok(())
    }

    /// A signer for the metadata key `public` (a bare key or a root certificate key) whose
    /// private key is in this store under its canonical ID. The file is decrypted on the first
    /// signature, not before.
    pub fn signer(
        &self,
        public: &PublicKey,
        retriever: Arc<dyn PassphraseRetriever>,
    ) -> Result<StoreSigner, TrustDirError> {
        let canonical = public.canonical_id().map_err(|e| TrustDirError::unusable(public.id(), e))?;
        self.find(&canonical)?;
        Ok(StoreSigner::new(self.clone(), public.clone(), canonical, retriever))
    }

    fn info_of(&self, path: &Path, rel: &[String]) -> Result<KeyInfo, TrustDirError> {
        Ok(self.read_info(path, rel, false)?.0)
    }

    /// Reads and parses one key file (refusing loose permissions with `check_mode`).
    fn read_info(&self, path: &Path, rel: &[String], check_mode: bool) -> Result<(KeyInfo, KeyFile), TrustDirError> {
        let class = classify(rel).ok_or_else(|| {
            TrustDirError::InvalidKeyId(rel.last().map(String::as_str).unwrap_or_default().to_owned())
        })?;
        let id = KeyId::new(class.id).map_err(|_| TrustDirError::InvalidKeyId(class.id.to_owned()))?;
        let bytes = read_key_file(path, check_mode)?;
        let file =
            KeyFile::parse(&bytes).map_err(|source| TrustDirError::KeyFile { path: path.to_path_buf(), source })?;
        let info = KeyInfo {
            id,
            role: file.role().map(str::to_owned).or(class.role),
            gun: file.gun().map(str::to_owned).or(class.gun),
            path: path.to_path_buf(),
            format: file.format(),
            encrypted: file.is_encrypted(),
            location: class.location,
        };
        Ok((info, file))
    }
}

/// Decrypts `file`, trying as many passphrases as the retriever allows.
fn unlock(file: &KeyFile, info: &KeyInfo, retriever: &dyn PassphraseRetriever) -> Result<PrivateKey, TrustDirError> {
    let role = info.role.clone().unwrap_or_default();
    let as_error = |source: KeyFileError| TrustDirError::KeyFile { path: info.path.clone(), source };
    if !file.is_encrypted() {
        return file.decrypt(None).map_err(as_error);
    }
    for attempt in 0..retriever.max_attempts() {
        let request = PassphraseRequest { key_id: info.id.as_str(), alias: &role, create_new: false, attempt };
        let passphrase = retriever.passphrase(&request)?;
        match file.decrypt(Some(&passphrase)) {
            Ok(key) => return Ok(key),
            Err(KeyFileError::WrongPassphrase) => continue,
            Err(other) => return Err(as_error(other)),
        }
    }
    Err(TrustDirError::WrongPassphrase { key_id: info.id.to_string(), role, path: info.path.clone() })
}

/// Reads a key file — never through a symlink — up to [`MAX_KEY_FILE`] bytes. With
/// `check_mode`, a file group or others can access is refused (checked on the open handle).
fn read_key_file(path: &Path, check_mode: bool) -> Result<Zeroizing<Vec<u8>>, TrustDirError> {
    let (file, meta) = tfs::open_no_follow(path)?
        .ok_or_else(|| TrustDirError::io("read", path, std::io::ErrorKind::NotFound.into()))?;
    if check_mode {
        tfs::refuse_group_or_other_access(path, &meta)?;
    }
    tfs::read_to_limit(file, path, MAX_KEY_FILE)
}

/// Collects `*.key` files below `dir` with their path components relative to the store,
/// skipping symlinks (notary does too) and temporary files.
fn walk(dir: &Path, rel: &mut Vec<String>, out: &mut Vec<(PathBuf, Vec<String>)>) -> Result<(), TrustDirError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && rel.is_empty() => return Ok(()),
        Err(e) => return Err(TrustDirError::io("list", dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| TrustDirError::io("list", dir, e))?;
        let kind = entry.file_type().map_err(|e| TrustDirError::io("inspect", &entry.path(), e))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
        if kind.is_dir() && rel.len() < 16 {
            rel.push(name);
            walk(&entry.path(), rel, out)?;
            rel.pop();
        } else if kind.is_file() && name.ends_with(".key") && !name.starts_with('.') {
            let mut r = rel.clone();
            r.push(name);
            out.push((entry.path(), r));
        }
    }
    Ok(())
}

struct Classified<'a> {
    id: &'a str,
    role: Option<String>,
    gun: Option<String>,
    location: KeyLocation,
}

/// Reads the ID, role and GUN a path implies (`migrateTo0Dot4`'s rules).
fn classify(rel: &[String]) -> Option<Classified<'_>> {
    let (name, dirs) = rel.split_last()?;
    let stem = name.strip_suffix(".key")?;
    let (id, suffix_role) = match stem.split_once('_') {
        Some((id, role)) => (id, Some(role.to_owned())),
        None => (stem, None),
    };
    let (location, role, gun) = match dirs.first().map(String::as_str) {
        Some("root_keys") => (KeyLocation::LegacyRootKeys, suffix_role.or_else(|| Some("root".into())), None),
        Some("tuf_keys") => {
            let gun = (dirs.len() > 1).then(|| dirs[1..].join("/"));
            (KeyLocation::LegacyTufKeys, suffix_role, gun)
        }
        _ => (KeyLocation::Current, suffix_role, None),
    };
    Some(Classified { id, role, gun, location })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(p: &str) -> Vec<String> {
        p.split('/').map(str::to_owned).collect()
    }

    #[test]
    fn legacy_tuf_keys_name_their_gun_and_role() {
        let r = rel("tuf_keys/docker.com/notary0.1/samplerepo/abc_targets.key");
        let c = classify(&r).unwrap();
        assert_eq!(
            (c.id, c.role.as_deref(), c.gun.as_deref()),
            ("abc", Some("targets"), Some("docker.com/notary0.1/samplerepo"))
        );
        assert_eq!(c.location, KeyLocation::LegacyTufKeys);
    }

    #[test]
    fn legacy_tuf_keys_without_a_gun_directory_have_no_gun() {
        let r = rel("tuf_keys/abc.key");
        let c = classify(&r).unwrap();
        assert_eq!((c.id, c.role.as_deref(), c.gun.as_deref()), ("abc", None, None));
        assert_eq!(c.location, KeyLocation::LegacyTufKeys);
    }

    #[test]
    fn legacy_root_keys_default_to_the_root_role() {
        let r = rel("root_keys/abc.key");
        assert_eq!(classify(&r).unwrap().role.as_deref(), Some("root"));
    }
}
