//! `ENCRYPTED PRIVATE KEY`: PKCS#8 `EncryptedPrivateKeyInfo` with PBES2 (spec §4.3, trap T10),
//! on RustCrypto's `pkcs5`.
//!
//! Written exactly as notary writes it: PBKDF2 with the PRF field omitted (HMAC-SHA1),
//! 2048 iterations, an 8-byte salt, no keyLength, AES-256-CBC with a 16-byte IV. Read more
//! widely than notary: the PRF is honoured when named (OpenSSL 3 writes HMAC-SHA256, which Go
//! cannot read), and any AES-CBC key size is accepted.

use der::asn1::OctetStringRef;
use der::{Decode, Encode, Reader, SliceReader};
use pkcs5::pbes2::{self, Kdf, Pbkdf2Params, Pbkdf2Prf};
use ring::rand::{SecureRandom, SystemRandom};
use spki::AlgorithmIdentifierRef;
use zeroize::Zeroizing;

use super::KeyFileError;
use crate::keys::asn1::{Tag, tlv};

/// notary's PBKDF2 iteration count.
const ITERATIONS: u32 = 2048;
/// Refuse files that would make us spin: OpenSSL and notary use 2048, RFC 8018 suggests at
/// most 10 million "for especially critical keys".
const MAX_ITERATIONS: u32 = 10_000_000;

/// The random inputs of one encryption (fixed in golden tests).
pub(crate) struct Nonces {
    pub(crate) salt: [u8; 8],
    pub(crate) iv: [u8; 16],
}

impl Nonces {
    pub(crate) fn random() -> Result<Self, KeyFileError> {
        let rng = SystemRandom::new();
        let mut n = Nonces { salt: [0; 8], iv: [0; 16] };
        rng.fill(&mut n.salt).and_then(|()| rng.fill(&mut n.iv)).map_err(|_| KeyFileError::Random)?;
        Ok(n)
    }

    /// The nonces an existing encrypted file used (to re-encode it byte for byte in tests).
    #[cfg(test)]
    pub(crate) fn of(der: &[u8]) -> Option<Self> {
        let (scheme, _) = split(der).ok()?;
        let params = scheme.pbes2()?;
        let salt = params.kdf.pbkdf2()?.salt.try_into().ok()?;
        let iv = match params.encryption {
            pbes2::EncryptionScheme::Aes256Cbc { iv } => *iv,
            _ => return None,
        };
        Some(Nonces { salt, iv })
    }
}

/// Encrypts notary's PKCS#8 `plain` with `passphrase`.
pub(crate) fn encrypt(plain: &[u8], passphrase: &[u8], nonces: &Nonces) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
    let params = pbes2::Parameters {
        kdf: Kdf::Pbkdf2(Pbkdf2Params {
            salt: &nonces.salt,
            iteration_count: ITERATIONS,
            key_length: None,
            prf: Pbkdf2Prf::HmacWithSha1,
        }),
        encryption: pbes2::EncryptionScheme::Aes256Cbc { iv: &nonces.iv },
    };
    let scheme = pkcs5::EncryptionScheme::Pbes2(params);
    let mut buf = Zeroizing::new(vec![0u8; plain.len() + 16]);
    buf[..plain.len()].copy_from_slice(plain);
    let ciphertext = scheme
        .encrypt_in_place(passphrase, &mut buf, plain.len())
        .map_err(|e| KeyFileError::UnsupportedEncryption { reason: format!("PBES2 encryption failed: {e}") })?;
    let algorithm = scheme.to_der().map_err(|e| KeyFileError::Malformed { reason: e.to_string() })?;
    Ok(tlv(Tag::SEQUENCE, &[&algorithm, &tlv(Tag::OCTET_STRING, &[ciphertext])]))
}

/// Decrypts an `EncryptedPrivateKeyInfo`, returning the PKCS#8 plaintext.
pub(crate) fn decrypt(der: &[u8], passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
    let (scheme, ciphertext) = split(der)?;
    let params = scheme.pbes2().ok_or_else(|| KeyFileError::UnsupportedEncryption {
        reason: "PBES1 encryption (notary only reads PBES2)".into(),
    })?;
    let pbkdf2 = params.kdf.pbkdf2().ok_or_else(|| KeyFileError::UnsupportedEncryption {
        reason: "scrypt key derivation (notary only reads PBKDF2)".into(),
    })?;
    if pbkdf2.iteration_count > MAX_ITERATIONS {
        return Err(KeyFileError::UnsupportedEncryption {
            reason: format!("{} PBKDF2 iterations (more than {MAX_ITERATIONS})", pbkdf2.iteration_count),
        });
    }
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let n = scheme.decrypt_in_place(passphrase, &mut buf).map_err(|e| match e {
        // pkcs5 0.7 reports a bad padding as `EncryptFailed`.
        pkcs5::Error::DecryptFailed | pkcs5::Error::EncryptFailed => KeyFileError::WrongPassphrase,
        other => KeyFileError::UnsupportedEncryption { reason: other.to_string() },
    })?;
    let n = n.len();
    buf.truncate(n);
    Ok(buf)
}

fn split(der: &[u8]) -> Result<(pkcs5::EncryptionScheme<'_>, &[u8]), KeyFileError> {
    let malformed = |e: der::Error| KeyFileError::Malformed { reason: format!("EncryptedPrivateKeyInfo: {e}") };
    let mut reader = SliceReader::new(der).map_err(malformed)?;
    let (alg, data) = reader
        .sequence(|r| Ok((AlgorithmIdentifierRef::decode(r)?, OctetStringRef::decode(r)?.as_bytes())))
        .map_err(malformed)?;
    reader.finish(()).map_err(malformed)?;
    let scheme = pkcs5::EncryptionScheme::try_from(alg)
        .map_err(|e| KeyFileError::UnsupportedEncryption { reason: format!("encryption algorithm: {e}") })?;
    Ok((scheme, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `EncryptedPrivateKeyInfo` whose PBKDF2 runs `iterations` times (ciphertext dummy).
    fn with_iterations(iterations: u32) -> Vec<u8> {
        let (salt, iv) = ([1u8; 8], [2u8; 16]);
        let params = pbes2::Parameters {
            kdf: Kdf::Pbkdf2(Pbkdf2Params {
                salt: &salt,
                iteration_count: iterations,
                key_length: None,
                prf: Pbkdf2Prf::HmacWithSha1,
            }),
            encryption: pbes2::EncryptionScheme::Aes256Cbc { iv: &iv },
        };
        let algorithm = pkcs5::EncryptionScheme::Pbes2(params).to_der().expect("DER");
        tlv(Tag::SEQUENCE, &[&algorithm, &tlv(Tag::OCTET_STRING, &[&[0u8; 32]])]).to_vec()
    }

    #[test]
    fn more_pbkdf2_iterations_than_the_cap_are_refused_before_any_key_is_derived() {
        match decrypt(&with_iterations(MAX_ITERATIONS + 1), b"passphrase") {
            Err(KeyFileError::UnsupportedEncryption { reason }) => {
                assert!(reason.contains("10000001 PBKDF2 iterations"), "{reason}")
            }
            other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn iterations_up_to_the_cap_are_attempted() {
        // A wrong passphrase (dummy ciphertext): derivation ran, decryption failed.
        assert!(matches!(decrypt(&with_iterations(ITERATIONS), b"passphrase"), Err(KeyFileError::WrongPassphrase)));
    }
}
