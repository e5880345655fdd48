//! `docker trust key generate NAME [--dir DIR]` and `docker trust key load [--name NAME] FILE`
//! (docker/cli `cmd/docker-trust/trust/key_generate.go`, `key_load.go`; spec §4.5).

use std::fs;
use std::path::{Path, PathBuf};

use crate::key_file::{KeyFile, KeyFileError};
use crate::metadata::{Gun, KeyId};
use crate::passphrase::{PassphraseRequest, PassphraseRetriever};
use crate::trust_dir::{KeyInfo, TrustDir, TrustDirError};

/// A `docker trust key` operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignerKeyError {
    /// Docker's key names are `^[a-z0-9][a-z0-9_-]*$`.
    #[error("invalid key name {0:?}: use lower-case letters, digits, `_` and `-`, starting with a letter or digit")]
    InvalidName(String),
    /// The public key file is already there (it is not overwritten).
    #[error("public key file {} already exists", .0.display())]
    PublicKeyExists(PathBuf),
    /// A targets, snapshot or timestamp key file without a `gun` header: which repository it
    /// belongs to is unknown (notary refuses it too).
    #[error("the {0} key file has no `gun` header, so its repository is unknown")]
    MissingGun(String),
    /// The file's `gun` header is not a valid GUN.
    #[error("the key file's gun header {0:?} is not a valid GUN")]
    InvalidGunHeader(String),
    /// The trust directory refused or failed.
    #[error(transparent)]
    TrustDir(#[from] TrustDirError),
}

/// Checks a signer key name as docker does.
pub fn validate_signer_name(name: &str) -> Result<(), SignerKeyError> {
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if first_ok && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
        Ok(())
    } else {
        Err(SignerKeyError::InvalidName(crate::metadata::clip(name)))
    }
}

/// `docker trust key generate NAME --dir DIR`: a new P-256 key stored in the trust directory
/// with `role: NAME` (no `gun`), and `DIR/NAME.pub`, a `PUBLIC KEY` PEM with the same role
/// header (mode 0600). Returns the key ID and the public key file.
pub fn generate_signer_key(
    trust: &TrustDir,
    name: &str,
    public_dir: &Path,
    retriever: &dyn PassphraseRetriever,
) -> Result<(KeyId, PathBuf), SignerKeyError> {
    validate_signer_name(name)?;
    let pub_path = public_dir.join(format!("{name}.pub"));
    if fs::symlink_metadata(&pub_path).is_ok() {
        return Err(SignerKeyError::PublicKeyExists(pub_path));
    }
    let public = trust.keys().generate(name, None, retriever)?.bare_public_key();
    let pem = crate::key_file::encode_public_key(&public, name);
    crate::trust_dir::write_private_file(&pub_path, &pem)?;
    Ok((public.id().clone(), pub_path))
}

/// `docker trust key load --name NAME FILE`: imports a private key file (any format
/// [`KeyFile`] reads) into the trust directory, encrypted with the passphrase for its role.
///
/// As in docker (notary's `ImportKeys` with `NAME` as fallback role): the file's own `role`
/// header wins over `NAME`; its `gun` header is kept only for targets/snapshot/timestamp keys,
/// which cannot be imported without one. An encrypted input is decrypted with the passphrase
/// for the alias `encrypted`, as docker asks for it. Files that group or others can access
/// are refused, as docker does. Unlike docker 28 — which prints success but stores nothing for
/// encrypted input (spec §4.5) — the key is stored in every case.
pub fn load_signer_key(
    trust: &TrustDir,
    name: &str,
    file: &Path,
    retriever: &dyn PassphraseRetriever,
) -> Result<KeyInfo, SignerKeyError> {
    validate_signer_name(name)?;
    // The input is the user's own file (a CI secret mount may be a symlink): follow it, but
    // check the permissions of what was opened.
    let handle = fs::File::open(file).map_err(|e| TrustDirError::io("read", file, e))?;
    let meta = handle.metadata().map_err(|e| TrustDirError::io("inspect", file, e))?;
    crate::trust_dir::refuse_group_or_other_access(file, &meta)?;
    let bytes = crate::trust_dir::read_to_limit(handle, file, crate::trust_dir::MAX_KEY_FILE)?;
    let as_error = |source: KeyFileError| TrustDirError::KeyFile { path: file.to_path_buf(), source };
    let parsed = KeyFile::parse(&bytes).map_err(as_error)?;
    let role = parsed.role().unwrap_or(name).to_owned();
    let gun = match (role.as_str(), parsed.gun()) {
        ("targets" | "snapshot" | "timestamp", Some(gun)) => {
            Some(Gun::new(gun).map_err(|_| SignerKeyError::InvalidGunHeader(crate::metadata::clip(gun)))?)
        }
        ("targets" | "snapshot" | "timestamp", None) => return Err(SignerKeyError::MissingGun(role)),
        _ => None,
    };
    let key = if parsed.is_encrypted() {
        let request = PassphraseRequest::unlock("private", "encrypted");
        let passphrase = retriever.passphrase(&request).map_err(TrustDirError::from)?;
        parsed.decrypt(Some(&passphrase)).map_err(|e| match e {
            KeyFileError::WrongPassphrase => TrustDirError::WrongPassphrase {
                key_id: "(imported file)".into(),
                role: "encrypted".into(),
                path: file.to_path_buf(),
            },
            other => as_error(other),
        })?
    } else {
        parsed.decrypt(None).map_err(as_error)?
    };
    Ok(trust.keys().add(&key, &role, gun.as_ref(), retriever)?)
}
