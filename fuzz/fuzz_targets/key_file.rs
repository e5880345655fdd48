//! Key files: `KeyFile::parse`, `decrypt` with a fixed passphrase, and `decode_public_key`.
//!
//! First byte (mode):
//! * 0: the rest is a PEM file as is;
//! * 1: `[label][passphrase][DER…]`: the DER is wrapped in a PEM block by the harness, so that
//!   mutations reach the DER structures (PBES2 parameters, PKCS#8, SEC1, SPKI, certificates)
//!   instead of breaking the base64;
//! * 2: `[label][passphrase][n][n bytes of header lines][DER…]`: the same with PEM headers
//!   (`DEK-Info`, `role`, `gun`), for the legacy OpenSSL-encrypted blocks.
//!
//! Labels: the five private-key labels, `PUBLIC KEY` and `CERTIFICATE` (index modulo 7).
//!
//! PBKDF2 cap: the library accepts up to 10 million PBKDF2 iterations (several seconds per
//! input); the harness reads the iteration count of `ENCRYPTED PRIVATE KEY` blocks first and
//! does not decrypt above [`ITERATION_CAP`], everything else (parsing, the cap's own error
//! path excepted) is fuzzed as is.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::{Decode, Reader, SliceReader};
use fuzz_support::debug;
use libfuzzer_sys::fuzz_target;
use notary_client::key_file::{KeyFile, KeyFileFormat, decode_public_key};
use notary_client::passphrase::Passphrase;

const ITERATION_CAP: u32 = 10_000;

const LABELS: [&str; 7] = [
    "ENCRYPTED PRIVATE KEY",
    "PRIVATE KEY",
    "EC PRIVATE KEY",
    "RSA PRIVATE KEY",
    "ED25519 PRIVATE KEY",
    "PUBLIC KEY",
    "CERTIFICATE",
];

/// The fixtures' passphrases (fixtures/notary-cli/passphrases.txt).
const PASSPHRASES: [&str; 4] = ["rootpass", "targetspass", "snapshotpass", "delegpass"];

/// The PBKDF2 iteration count of an `EncryptedPrivateKeyInfo`, if it is one with PBES2/PBKDF2.
fn iterations(der: &[u8]) -> Option<u32> {
    let mut reader = SliceReader::new(der).ok()?;
    let alg = reader
        .sequence(|r| {
            let alg = spki::AlgorithmIdentifierRef::decode(r)?;
            let _ = der::asn1::OctetStringRef::decode(r)?;
            Ok(alg)
        })
        .ok()?;
    let scheme = pkcs5::EncryptionScheme::try_from(alg).ok()?;
    Some(scheme.pbes2()?.kdf.pbkdf2()?.iteration_count)
}

/// The body of the first PEM block, as the library's Go-compatible decoder finds it
/// (src/key_file/pem.rs, `decode_first`): lines trimmed of `\r`, spaces and tabs, headers are
/// lines with a colon, base64 up to the matching END line.
fn first_block_body(input: &[u8]) -> Option<Vec<u8>> {
    let lines: Vec<&[u8]> = input
        .split(|b| *b == b'\n')
        .map(|l| {
            let mut end = l.len();
            while end > 0 && matches!(l[end - 1], b'\r' | b' ' | b'\t') {
                end -= 1;
            }
            &l[..end]
        })
        .collect();
    (0..lines.len()).find_map(|start| {
        let label = lines[start].strip_prefix(b"-----BEGIN ")?.strip_suffix(b"-----")?;
        let label = std::str::from_utf8(label).ok()?;
        let end_line = format!("-----END {label}-----");
        let mut i = start + 1;
        while lines.get(i).is_some_and(|l| l.contains(&b':')) {
            let l = lines[i];
            let colon = l.iter().position(|b| *b == b':')?;
            std::str::from_utf8(&l[..colon]).ok()?;
            std::str::from_utf8(&l[colon + 1..]).ok()?;
            i += 1;
        }
        let mut b64 = Vec::new();
        loop {
            let line = lines.get(i)?;
            if *line == end_line.as_bytes() {
                break;
            }
            b64.extend(line.iter().filter(|b| !b.is_ascii_whitespace()));
            i += 1;
        }
        STANDARD.decode(&b64).ok()
    })
}

fn pem(label: &str, headers: &[u8], der: &[u8]) -> Vec<u8> {
    let mut out = format!("-----BEGIN {label}-----\n").into_bytes();
    if !headers.is_empty() {
        out.extend_from_slice(headers);
        out.extend_from_slice(b"\n\n");
    }
    let b64 = STANDARD.encode(der);
    for chunk in b64.as_bytes().chunks(64) {
        out.extend_from_slice(chunk);
        out.push(b'\n');
    }
    out.extend_from_slice(format!("-----END {label}-----\n").as_bytes());
    out
}

fn check(pem_bytes: &[u8], passphrase: &str) {
    let public = decode_public_key(pem_bytes);
    debug(|| format!("decode_public_key: {public:?}"));
    let file = match KeyFile::parse(pem_bytes) {
        Ok(f) => f,
        Err(e) => return debug(|| format!("parse: {e}")),
    };
    let _ = (file.format(), file.is_encrypted(), file.role(), file.gun(), format!("{file:?}"));
    if file.format() == KeyFileFormat::EncryptedPkcs8 {
        // Decrypt only what is known to be cheap: a body the harness reads with the same
        // decoder and whose iteration count is under the cap (or that has none: the library
        // then fails before deriving a key).
        let Some(body) = first_block_body(pem_bytes) else { return };
        if iterations(&body).is_some_and(|n| n > ITERATION_CAP) {
            return;
        }
    }
    let pass = Passphrase::new(passphrase);
    match file.decrypt(Some(&pass)) {
        Ok(key) => debug(|| format!("decrypted {file:?}: {:?}", key.public_key().id())),
        Err(e) => debug(|| format!("decrypt {file:?}: {e}")),
    }
    let _ = file.decrypt(None);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode {
        0 => {
            // The passphrase by role header, as the fixtures were written.
            let role = KeyFile::parse(rest).ok().and_then(|f| f.role().map(str::to_owned));
            let pass = match role.as_deref() {
                Some("root") => PASSPHRASES[0],
                Some("targets") => PASSPHRASES[1],
                Some("snapshot") => PASSPHRASES[2],
                _ => PASSPHRASES[3],
            };
            check(rest, pass);
        }
        1 | 2 => {
            let [label, pass, rest @ ..] = rest else { return };
            let (headers, der): (&[u8], &[u8]) = if mode == 2 {
                let Some((&n, rest)) = rest.split_first() else { return };
                let n = usize::from(n).min(rest.len());
                rest.split_at(n)
            } else {
                (b"", rest)
            };
            let label = LABELS[usize::from(*label) % LABELS.len()];
            check(&pem(label, headers, der), PASSPHRASES[usize::from(*pass) % PASSPHRASES.len()]);
        }
        _ => {}
    }
});
