//! Private key files as notary and docker read and write them (spec §4.2–4.3, trap T10).
//!
//! Read: `ENCRYPTED PRIVATE KEY` (PBES2), `PRIVATE KEY` (standard PKCS#8 and notary's variants)
//! and the legacy `EC`/`RSA`/`ED25519 PRIVATE KEY` blocks, optionally OpenSSL-encrypted
//! (`DEK-Info`). Written: exactly notary's format — `ENCRYPTED PRIVATE KEY` with PBES2/SHA-1/2048
//! iterations/AES-256-CBC, or `PRIVATE KEY` when the passphrase is empty; headers `gun` then
//! `role`, `gun` only on targets/snapshot/timestamp keys.
//!
//! [`KeyFile::parse`] never decrypts and never panics, whatever the input; it is the fuzzing
//! entry point for key files.
//!
//! ```
//! use notary_client::key_file::KeyFile;
//! use notary_client::keys::PrivateKey;
//! use notary_client::passphrase::Passphrase;
//!
//! let key = PrivateKey::generate_p256().unwrap();
//! let pass = Passphrase::new("s3cret-pass");
//! let pem = KeyFile::encode(&key, "alice", None, &pass).unwrap();
//! let file = KeyFile::parse(&pem).unwrap();
//! assert_eq!(file.role(), Some("alice"));
//! assert!(file.is_encrypted());
//! let back = file.decrypt(Some(&pass)).unwrap();
//! assert_eq!(back.public_key(), key.public_key());
//! ```

mod legacy;
mod pbes2;
mod pem;

use std::fmt;

use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::keys::{InvalidPrivateKey, PrivateKey};
use crate::metadata::{Gun, PublicKey};
use crate::passphrase::Passphrase;

/// What is wrong with a key file, or why it cannot be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// No PEM block at all.
    #[error("not a key file: no PEM block found")]
    NotPem,
    /// A PEM block of another kind (a certificate, a public key…).
    #[error("not a private key: the PEM block is `{label}`")]
    NotAPrivateKey {
        /// The block's label.
        label: String,
    },
    /// A public key was expected but the PEM block is of another kind.
    #[error("not a public key or certificate: the PEM block is `{label}`")]
    NotAPublicKey {
        /// The block's label.
        label: String,
    },
    /// The structure inside the block is broken (truncated, garbled).
    #[error("malformed key file: {reason}")]
    Malformed {
        /// What failed to parse.
        reason: String,
    },
    /// A well-formed key of a kind we cannot use (algorithm OID, curve…).
    #[error("unsupported key: {reason}")]
    UnsupportedKey {
        /// Which algorithm or parameter.
        reason: String,
    },
    /// Encrypted with a scheme we do not read.
    #[error("unsupported key encryption: {reason}")]
    UnsupportedEncryption {
        /// Which scheme or parameter.
        reason: String,
    },
    /// The file is encrypted and no passphrase was given.
    #[error("the key file is encrypted and no passphrase was given")]
    PassphraseRequired,
    /// Decryption produced no valid key: the passphrase is wrong (or the file corrupted).
    #[error("wrong passphrase (decryption did not produce a valid key)")]
    WrongPassphrase,
    /// The system random generator failed.
    #[error("the system random number generator failed")]
    Random,
}

impl From<InvalidPrivateKey> for KeyFileError {
    fn from(e: InvalidPrivateKey) -> Self {
        match e {
            InvalidPrivateKey::Malformed(reason) => KeyFileError::Malformed { reason },
            InvalidPrivateKey::Unsupported(reason) => KeyFileError::UnsupportedKey { reason },
        }
    }
}

/// The encodings a private key file can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFileFormat {
    /// `PRIVATE KEY`: unencrypted PKCS#8.
    Pkcs8,
    /// `ENCRYPTED PRIVATE KEY`: PKCS#8 with PBES2.
    EncryptedPkcs8,
    /// `EC PRIVATE KEY`: SEC1, possibly with `DEK-Info`.
    LegacyEc,
    /// `RSA PRIVATE KEY`: PKCS#1, possibly with `DEK-Info`.
    LegacyRsa,
    /// `ED25519 PRIVATE KEY`: notary's 96-byte blob, possibly with `DEK-Info`.
    LegacyEd25519,
}

impl KeyFileFormat {
    fn from_label(label: &str) -> Option<Self> {
        Some(match label {
            "PRIVATE KEY" => KeyFileFormat::Pkcs8,
            "ENCRYPTED PRIVATE KEY" => KeyFileFormat::EncryptedPkcs8,
            "EC PRIVATE KEY" => KeyFileFormat::LegacyEc,
            "RSA PRIVATE KEY" => KeyFileFormat::LegacyRsa,
            "ED25519 PRIVATE KEY" => KeyFileFormat::LegacyEd25519,
            _ => return None,
        })
    }
}

/// A parsed (not yet decrypted) private key file. Its body (the key itself in an unencrypted
/// file) is zeroized on drop.
#[derive(ZeroizeOnDrop)]
pub struct KeyFile {
    #[zeroize(skip)]
    format: KeyFileFormat,
    block: pem::Block,
    #[zeroize(skip)]
    dek_info: Option<legacy::DekInfo>,
}

impl KeyFile {
    /// Parses the first PEM block of `bytes` (as Go's `pem.Decode`), without decrypting.
    pub fn parse(bytes: &[u8]) -> Result<Self, KeyFileError> {
        let block = pem::decode_first(bytes).ok_or(KeyFileError::NotPem)?;
        let format = KeyFileFormat::from_label(&block.label)
            .ok_or_else(|| KeyFileError::NotAPrivateKey { label: crate::metadata::clip(&block.label) })?;
        let legacy = !matches!(format, KeyFileFormat::Pkcs8 | KeyFileFormat::EncryptedPkcs8);
        let dek_info = match block.header("DEK-Info") {
            Some(value) if legacy => Some(legacy::DekInfo::parse(value)?),
            _ => None,
        };
        Ok(KeyFile { format, block, dek_info })
    }

    /// The block's encoding.
    pub fn format(&self) -> KeyFileFormat {
        self.format
    }

    /// Whether a passphrase is needed to read the key.
    pub fn is_encrypted(&self) -> bool {
        self.format == KeyFileFormat::EncryptedPkcs8 || self.dek_info.is_some()
    }

    /// The `role` header: `root`, `targets`, `snapshot`, `timestamp`, or a delegation key name.
    pub fn role(&self) -> Option<&str> {
        self.block.header("role").filter(|r| !r.is_empty())
    }

    /// The `gun` header (only targets, snapshot and timestamp keys carry one).
    pub fn gun(&self) -> Option<&str> {
        self.block.header("gun").filter(|g| !g.is_empty())
    }

    /// Decrypts (when encrypted) and decodes the key. `passphrase` is ignored for unencrypted
    /// files, as in notary.
    pub fn decrypt(&self, passphrase: Option<&Passphrase>) -> Result<PrivateKey, KeyFileError> {
        let body = &self.block.body;
        let secret = || passphrase.map(|p| p.expose().as_bytes()).ok_or(KeyFileError::PassphraseRequired);
        // After a decryption, any decoding failure means the passphrase was wrong (Go says the
        // same: "pkcs8: incorrect password").
        let wrong_if_decrypted = |e: KeyFileError| match e {
            KeyFileError::Malformed { .. } if self.is_encrypted() => KeyFileError::WrongPassphrase,
            other => other,
        };
        let plain: Zeroizing<Vec<u8>> = match (&self.dek_info, self.format) {
            (_, KeyFileFormat::EncryptedPkcs8) => pbes2::decrypt(body, secret()?)?,
            (Some(dek), _) => dek.decrypt(secret()?, body)?,
            (None, _) => body.clone(),
        };
        let key = match self.format {
            KeyFileFormat::Pkcs8 | KeyFileFormat::EncryptedPkcs8 => PrivateKey::from_pkcs8_der(&plain),
            KeyFileFormat::LegacyEc => PrivateKey::from_sec1_der(&plain),
            KeyFileFormat::LegacyRsa => PrivateKey::from_pkcs1_der(&plain),
            KeyFileFormat::LegacyEd25519 => PrivateKey::from_ed25519_blob(&plain),
        };
        key.map_err(KeyFileError::from).map_err(wrong_if_decrypted)
    }

    /// Encodes `key` as notary writes it (`ConvertPrivateKeyToPKCS8` after `AddKey`): encrypted
    /// unless `passphrase` is empty, with a `role` header and — for targets, snapshot and
    /// timestamp keys only — a `gun` header.
    pub fn encode(
        key: &PrivateKey,
        role: &str,
        gun: Option<&Gun>,
        passphrase: &Passphrase,
    ) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
        let nonces = pbes2::Nonces::random()?;
        Self::encode_with(key, role, gun, passphrase, &nonces)
    }

    fn encode_with(
        key: &PrivateKey,
        role: &str,
        gun: Option<&Gun>,
        passphrase: &Passphrase,
        nonces: &pbes2::Nonces,
    ) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
        if role.chars().any(char::is_control) || role.trim() != role {
            // Control characters could forge headers; surrounding spaces would be trimmed away
            // when the file is read back, silently changing the role.
            return Err(KeyFileError::Malformed {
                reason: "a role header cannot contain control characters or surrounding spaces".into(),
            });
        }
        let gun = gun.filter(|_| matches!(role, "targets" | "snapshot" | "timestamp"));
        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(2);
        if let Some(gun) = gun {
            headers.push(("gun", gun.as_str()));
        }
        if !role.is_empty() {
            headers.push(("role", role));
        }
        let plain = key.to_notary_pkcs8();
        if passphrase.is_empty() {
            return Ok(pem::encode("PRIVATE KEY", &headers, &plain));
        }
        let der = pbes2::encrypt(&plain, passphrase.expose().as_bytes(), nonces)?;
        Ok(pem::encode("ENCRYPTED PRIVATE KEY", &headers, &der))
    }
}

/// A `PUBLIC KEY` PEM of an `ecdsa`/`rsa` key's DER SPKI with a `role` header, as
/// `docker trust key generate` writes `NAME.pub`.
pub fn encode_public_key(key: &PublicKey, role: &str) -> Vec<u8> {
    let headers: &[(&str, &str)] = if role.is_empty() { &[] } else { &[("role", role)] };
    pem::encode("PUBLIC KEY", headers, key.public()).to_vec()
}

/// The public key in a `PUBLIC KEY` PEM (`docker trust key generate`'s `NAME.pub`: an `ecdsa`
/// or `rsa` key) or a `CERTIFICATE` PEM chain (an `ecdsa-x509`/`rsa-x509` key), as Docker's
/// `signer add --key` and `notary delegation add` read them.
///
/// ```
/// use notary_client::key_file::{decode_public_key, encode_public_key};
/// use notary_client::keys::SoftwareKey;
/// let key = SoftwareKey::generate_p256().unwrap().bare_public_key();
/// assert_eq!(decode_public_key(&encode_public_key(&key, "alice")).unwrap(), key);
/// ```
pub fn decode_public_key(pem_bytes: &[u8]) -> Result<PublicKey, KeyFileError> {
    let block = ::pem::parse(pem_bytes).map_err(|_| KeyFileError::NotPem)?;
    match block.tag() {
        "PUBLIC KEY" => match crate::keys::PublicKeyInfo::from_spki_der(block.contents()) {
            Ok(crate::keys::PublicKeyInfo::EcP256(_) | crate::keys::PublicKeyInfo::EcP384(_)) => {
                Ok(PublicKey::new(crate::metadata::KeyType::Ecdsa, block.contents().to_vec()))
            }
            Ok(crate::keys::PublicKeyInfo::Rsa(_)) => {
                Ok(PublicKey::new(crate::metadata::KeyType::Rsa, block.contents().to_vec()))
            }
            Err(e) => Err(KeyFileError::UnsupportedKey { reason: e.to_string() }),
        },
        "CERTIFICATE" => crate::certs::certificate_public_key(pem_bytes)
            .map_err(|e| KeyFileError::Malformed { reason: format!("certificate: {e}") }),
        other => Err(KeyFileError::NotAPublicKey { label: crate::metadata::clip(other) }),
    }
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFile")
            .field("format", &self.format)
            .field("encrypted", &self.is_encrypted())
            .field("role", &self.role())
            .field("gun", &self.gun())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
