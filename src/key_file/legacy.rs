//! OpenSSL's legacy PEM encryption (`Proc-Type: 4,ENCRYPTED` + `DEK-Info: <cipher>,<hex IV>`),
//! used by notary 0.1–0.3 key files and accepted by Go's `x509.DecryptPEMBlock`: the key is
//! `EVP_BytesToKey(MD5, passphrase, salt = first 8 IV bytes, 1 iteration)`, CBC mode, PKCS#7
//! padding (spec §4.2).

use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use md5::{Digest, Md5};
use zeroize::Zeroizing;

use super::KeyFileError;

/// The ciphers Go's `x509` package knows for `DEK-Info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// (All in CBC mode.)
enum Cipher {
    Des,
    DesEde3,
    Aes128,
    Aes192,
    Aes256,
}

impl Cipher {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "DES-CBC" => Cipher::Des,
            "DES-EDE3-CBC" => Cipher::DesEde3,
            "AES-128-CBC" => Cipher::Aes128,
            "AES-192-CBC" => Cipher::Aes192,
            "AES-256-CBC" => Cipher::Aes256,
            _ => return None,
        })
    }

    fn key_len(self) -> usize {
        match self {
            Cipher::Des => 8,
            Cipher::DesEde3 | Cipher::Aes192 => 24,
            Cipher::Aes128 => 16,
            Cipher::Aes256 => 32,
        }
    }

    fn block_len(self) -> usize {
        match self {
            Cipher::Des | Cipher::DesEde3 => 8,
            _ => 16,
        }
    }
}

/// Parsed `DEK-Info` header.
pub(crate) struct DekInfo {
    cipher: Cipher,
    iv: Vec<u8>,
}

impl DekInfo {
    /// Parses `AES-256-CBC,0123…` (a header value).
    pub(crate) fn parse(value: &str) -> Result<Self, KeyFileError> {
        let unsupported = |reason: String| KeyFileError::UnsupportedEncryption { reason };
        let (name, iv_hex) =
            value.split_once(',').ok_or_else(|| unsupported(format!("DEK-Info `{value}` has no IV")))?;
        let cipher = Cipher::from_name(name.trim())
            .ok_or_else(|| unsupported(format!("DEK-Info cipher `{}`", crate::metadata::clip(name))))?;
        let iv = hex::decode(iv_hex.trim()).map_err(|_| unsupported("DEK-Info IV is not hex".into()))?;
        if iv.len() != cipher.block_len() {
            return Err(unsupported(format!("DEK-Info IV is {} bytes, {name} needs {}", iv.len(), cipher.block_len())));
        }
        Ok(DekInfo { cipher, iv })
    }

    /// Decrypts `data`; a padding failure means a wrong passphrase.
    pub(crate) fn decrypt(&self, passphrase: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
        let key = evp_bytes_to_key(passphrase, &self.iv[..8], self.cipher.key_len());
        let mut buf = Zeroizing::new(data.to_vec());
        let n = decrypt_cbc(self.cipher, &key, &self.iv, &mut buf).ok_or(KeyFileError::WrongPassphrase)?;
        buf.truncate(n);
        Ok(buf)
    }
}

fn decrypt_cbc(cipher: Cipher, key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<usize> {
    fn run<C: BlockDecryptMut + KeyIvInit>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<usize> {
        C::new_from_slices(key, iv).ok()?.decrypt_padded_mut::<Pkcs7>(buf).ok().map(<[u8]>::len)
    }
    match cipher {
        Cipher::Des => run::<cbc::Decryptor<des::Des>>(key, iv, buf),
        Cipher::DesEde3 => run::<cbc::Decryptor<des::TdesEde3>>(key, iv, buf),
        Cipher::Aes128 => run::<cbc::Decryptor<aes::Aes128>>(key, iv, buf),
        Cipher::Aes192 => run::<cbc::Decryptor<aes::Aes192>>(key, iv, buf),
        Cipher::Aes256 => run::<cbc::Decryptor<aes::Aes256>>(key, iv, buf),
    }
}

/// OpenSSL's `EVP_BytesToKey` with MD5 and one iteration.
fn evp_bytes_to_key(passphrase: &[u8], salt: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(len + 16));
    let mut prev: Option<Zeroizing<[u8; 16]>> = None;
    while out.len() < len {
        let mut h = Md5::new();
        if let Some(p) = &prev {
            h.update(p.as_ref());
        }
        h.update(passphrase);
        h.update(salt);
        let digest = Zeroizing::new(<[u8; 16]>::from(h.finalize()));
        out.extend_from_slice(digest.as_ref());
        prev = Some(digest);
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evp_bytes_to_key_matches_openssl() {
        // `openssl enc -aes-256-cbc -k password -S 0102030405060708 -P -md md5`
        let key = evp_bytes_to_key(b"password", &[1, 2, 3, 4, 5, 6, 7, 8], 32);
        assert_eq!(hex::encode(&key[..]), "e7b0971e52ca5cc8d0539fb3412f6316f7ba2e6ee293d9f3457b99436b51ce02");
    }

    /// Encrypts as OpenSSL's legacy PEM writer does (for ciphers OpenSSL 3 no longer offers).
    fn openssl_legacy_encrypt<C: aes::cipher::BlockEncryptMut + KeyIvInit>(
        pass: &[u8],
        iv: &[u8],
        key_len: usize,
        plain: &[u8],
    ) -> Vec<u8> {
        let key = evp_bytes_to_key(pass, &iv[..8], key_len);
        C::new_from_slices(&key, iv).unwrap().encrypt_padded_vec_mut::<Pkcs7>(plain)
    }

    #[test]
    fn des_cbc_dek_info_decrypts() {
        let iv = [7u8; 8];
        let data = openssl_legacy_encrypt::<cbc::Encryptor<des::Des>>(b"pw", &iv, 8, b"secret key bytes");
        let dek = DekInfo::parse(&format!("DES-CBC,{}", hex::encode(iv))).unwrap();
        assert_eq!(&dek.decrypt(b"pw", &data).unwrap()[..], b"secret key bytes");
    }

    #[test]
    fn aes_128_and_192_dek_info_decrypt() {
        let iv = [9u8; 16];
        let a128 = openssl_legacy_encrypt::<cbc::Encryptor<aes::Aes128>>(b"pw", &iv, 16, b"k");
        let a192 = openssl_legacy_encrypt::<cbc::Encryptor<aes::Aes192>>(b"pw", &iv, 24, b"k");
        let ivh = hex::encode(iv);
        assert_eq!(&DekInfo::parse(&format!("AES-128-CBC,{ivh}")).unwrap().decrypt(b"pw", &a128).unwrap()[..], b"k");
        assert_eq!(&DekInfo::parse(&format!("AES-192-CBC,{ivh}")).unwrap().decrypt(b"pw", &a192).unwrap()[..], b"k");
    }

    #[test]
    fn unknown_ciphers_are_refused_by_name() {
        let err = DekInfo::parse("CAMELLIA-256-CBC,00112233445566778899aabbccddeeff").err().unwrap();
        assert!(err.to_string().contains("CAMELLIA-256-CBC"), "{err}");
    }

    #[test]
    fn iv_must_match_the_block_size() {
        assert!(DekInfo::parse("AES-256-CBC,0011").is_err());
    }
}
