//! Key passphrases as the docker CLI gets them (`trust.GetPassphraseRetriever`): Docker's
//! variables first, then notary's prompt (`passphrase.PromptRetrieverWithInOut`).
//!
//! * Root keys: `DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE`; every other key (targets, snapshot,
//!   signer keys): `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE`. An empty variable counts as
//!   unset. A wrong value is not replaced by a prompt (docker does not either): the command
//!   fails naming the key.
//! * Otherwise the prompt, on stdout as docker writes it, with notary's exact wording:
//!   `Enter passphrase for new root key with ID abc1234: `, `Repeat passphrase for new …`,
//!   `Enter passphrase for repository key with ID …: ` (targets and snapshot keys are shown as
//!   `repository` keys, signer keys by their name), the root-key warning before a new root
//!   passphrase, `Passphrase incorrect. Please retry.` (4 tries), and new passphrases of at
//!   least 8 characters, entered twice. A passphrase entered once is reused for every key with
//!   the same role, as notary caches it.
//! * The answer is read from the terminal with echo off when stdin is a terminal, else as one
//!   line of stdin (so `printf 'pass\npass\n' | trust key generate alice` works; unlike
//!   docker, which loses the lines after the first prompt, every prompt reads the next line).

use std::collections::HashMap;
use std::io::{self, BufRead, IsTerminal, Write};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use notary_client::docker::DockerEnvPassphrase;
use notary_client::passphrase::{Passphrase, PassphraseError, PassphraseRequest, PassphraseRetriever};

/// notary's warning before the passphrase of a new root key.
pub const ROOT_KEY_WARNING: &str = "You are about to create a new root signing key passphrase. This passphrase
will be used to protect the most sensitive key in your signing system. Please
choose a long, complex passphrase and be careful to keep the password and the
key file itself secure and backed up. It is highly recommended that you use a
password manager to generate the passphrase and keep it safe. There will be no
way to recover this key. You can find the key in your config directory.";

/// Tries of an existing key's passphrase (notary gives up when `numAttempts > 3`).
const UNLOCK_ATTEMPTS: u32 = 4;
/// Tries of a new passphrase (too short, or not repeated identically), as notary's key store.
const CREATE_ATTEMPTS: u32 = 11;
/// notary's minimum length of a new passphrase.
const MIN_LENGTH: usize = 8;

/// Docker's passphrase variables, then notary's prompt. See the module documentation.
pub struct DockerPassphrases {
    env: DockerEnvPassphrase,
    /// Passphrases typed so far, by alias (notary's `passphraseCache`).
    cache: Mutex<HashMap<String, Passphrase>>,
}

impl Default for DockerPassphrases {
    fn default() -> Self {
        Self::new()
    }
}

impl DockerPassphrases {
    /// Reads Docker's variables from the process environment when asked.
    pub fn new() -> Self {
        DockerPassphrases { env: DockerEnvPassphrase::from_env(), cache: Mutex::new(HashMap::new()) }
    }

    fn prompt(&self, request: &PassphraseRequest<'_>) -> Result<Passphrase, PassphraseError> {
        let mut cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if request.attempt == 0 {
            if let Some(cached) = cache.get(request.alias) {
                return Ok(cached.clone());
            }
        } else if !request.create_new {
            if request.attempt >= UNLOCK_ATTEMPTS {
                return Err(self.unavailable(request, "too many attempts".into()));
            }
            say("Passphrase incorrect. Please retry.\n");
        }
        let shown = Shown::new(request);
        let answer = if request.create_new { new_passphrase(request, &shown) } else { shown.ask(false) };
        let passphrase = answer.map_err(|hint| self.unavailable(request, hint))?;
        cache.insert(request.alias.to_owned(), passphrase.clone());
        Ok(passphrase)
    }

    fn unavailable(&self, request: &PassphraseRequest<'_>, reason: String) -> PassphraseError {
        let variable = DockerEnvPassphrase::variable_for(request.alias);
        PassphraseError::NotAvailable {
            alias: request.alias.to_owned(),
            key_id: request.key_id.to_owned(),
            hint: format!("{reason}; set {variable} or answer the prompt on a terminal"),
        }
    }
}

impl PassphraseRetriever for DockerPassphrases {
    fn passphrase(&self, request: &PassphraseRequest<'_>) -> Result<Passphrase, PassphraseError> {
        match self.env.passphrase(request) {
            Ok(passphrase) => Ok(passphrase),
            Err(_) => self.prompt(request),
        }
    }

    fn max_attempts(&self) -> u32 {
        UNLOCK_ATTEMPTS
    }
}

impl std::fmt::Debug for DockerPassphrases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DockerPassphrases")
    }
}

/// How a key is named in the prompt.
struct Shown {
    /// `root`, `repository` (targets and snapshot keys, as docker's alias map), or the alias.
    alias: String,
    /// ` with ID abc1234` (the first 7 characters of the key ID), or empty.
    with_id: String,
}

impl Shown {
    fn new(request: &PassphraseRequest<'_>) -> Self {
        let alias = match request.alias {
            "snapshot" | "targets" | "default" => "repository",
            other => other,
        };
        Shown { alias: alias.to_owned(), with_id: with_id(request.key_id) }
    }

    /// Asks once; `Err(reason)` when there is no answer (stdin ended).
    fn ask(&self, create_new: bool) -> Result<Passphrase, String> {
        let new = if create_new { "new " } else { "" };
        say(&format!("Enter passphrase for {new}{} key{}: ", self.alias, self.with_id));
        read_answer()
    }
}

/// A new passphrase: at least 8 characters, typed twice, retried as notary's key store
/// retries (the library asks once per new key).
fn new_passphrase(request: &PassphraseRequest<'_>, shown: &Shown) -> Result<Passphrase, String> {
    if request.alias == "root" {
        say(&format!("{ROOT_KEY_WARNING}\n"));
    }
    for _ in 0..CREATE_ATTEMPTS {
        let first = shown.ask(true)?;
        if first.expose().len() < MIN_LENGTH {
            say(
                "Passphrase is too short. Please use a password manager to generate and store a good random passphrase.\n",
            );
            continue;
        }
        say(&format!("Repeat passphrase for new {} key{}: ", shown.alias, shown.with_id));
        if read_answer()?.expose() != first.expose() {
            say("Passphrases do not match. Please retry.\n");
            continue;
        }
        return Ok(first);
    }
    Err("maximum number of passphrase attempts exceeded".into())
}

/// notary's short key name: the first 7 characters of the ID, and for IDs below a directory
/// (`gun/id`) the directory in parentheses.
fn with_id(key_id: &str) -> String {
    const SHOWN: usize = 7;
    let separator = key_id.rfind(std::path::MAIN_SEPARATOR).unwrap_or(0);
    if key_id.len() <= separator + SHOWN {
        return String::new();
    }
    let short = if separator > 0 {
        match key_id.get(separator + 1..separator + SHOWN + 1) {
            Some(id) => format!("{id} ({})", &key_id[..separator]),
            None => return String::new(),
        }
    } else {
        match key_id.get(..SHOWN) {
            Some(id) => id.to_owned(),
            None => return String::new(),
        }
    };
    format!(" with ID {short}")
}

/// Writes prompt text to stdout (where docker writes it) and flushes it.
fn say(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Reads one answer (trimmed, as notary does), then ends the prompt line. `Err(hint)` when
/// stdin ended or could not be read.
fn read_answer() -> Result<Passphrase, String> {
    let stdin = io::stdin();
    let mut line = String::new();
    let read = if stdin.is_terminal() {
        match EchoOff::new() {
            Ok(_echo_off) => stdin.lock().read_line(&mut line),
            Err(e) => {
                say("\n");
                return Err(format!("cannot turn terminal echo off to read the passphrase ({e})"));
            }
        }
    } else {
        stdin.lock().read_line(&mut line)
    };
    say("\n");
    match read {
        Ok(0) => Err("standard input ended before a passphrase was entered".into()),
        Ok(_) => Ok(Passphrase::new(line.trim().to_owned())),
        Err(e) => Err(format!("cannot read the passphrase from standard input: {e}")),
    }
}

/// Terminal echo off while alive (`stty -echo` on stdin; the previous settings are restored
/// on drop). No extra dependency: `stty` is on every Unix system.
struct EchoOff {
    saved: String,
}

impl EchoOff {
    fn new() -> io::Result<Self> {
        let saved = stty(&["-g"])?;
        stty(&["-echo"])?;
        Ok(EchoOff { saved: saved.trim().to_owned() })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if stty(&[self.saved.as_str()]).is_err() {
            let _ = stty(&["echo"]);
        }
    }
}

/// Runs `stty ARGS` on our stdin (the terminal) and returns its output.
fn stty(args: &[&str]) -> io::Result<String> {
    let out = Command::new("stty").args(args).stdin(Stdio::inherit()).stderr(Stdio::null()).output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!("stty {} failed ({})", args.join(" "), out.status)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::with_id;

    #[test]
    fn key_ids_are_shortened_as_notary_does() {
        assert_eq!(with_id("abcdef0123456789"), " with ID abcdef0");
        assert_eq!(with_id("abcdef0"), "");
        assert_eq!(with_id("gun/abcdef0123"), " with ID abcdef0 (gun)");
    }
}
