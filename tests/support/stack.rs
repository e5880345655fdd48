//! A throwaway local Notary v1 stack for integration tests: real `notary-signer`,
//! `notary-server` and `docker-registry` on ephemeral loopback ports with their own PKI,
//! started by `scripts/stack.sh up DIR` and stopped by `scripts/stack.sh down DIR` when the
//! [`Stack`] is dropped (also when the test panics).
//!
//! Generic on purpose: every test that talks to a server (key interop, and the client/publish
//! tests of later issues) uses it the same way. Include it from a test file with
//!
//! ```ignore
//! #[path = "support/stack.rs"]
//! mod stack;
//! ```
//!
//! and start one stack per test (a stack starts in about a second; stacks never share ports
//! or state, so tests may run in parallel):
//!
//! ```ignore
//! let stack = stack::Stack::up();
//! let out = stack.notary(trust_dir.path()).args(["list", "example.com/app"]).output().unwrap();
//! ```
//!
//! The values of `DIR/env` (`NOTARY_URL`, `NOTARY_CA`, `REGISTRY_HOST`, ...) are available
//! through [`Stack::var`] and the typed accessors; [`Stack::up_with`] passes settings such as
//! `AUTH=token` to the script. The binaries must be installed (`scripts/test` installs them;
//! outside CI `stack.sh` tries `apt-get install` when run as root); if the stack cannot
//! start, [`Stack::up`] fails the test with the script's output.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A running stack; dropping it stops exactly the processes it started.
pub struct Stack {
    /// Holds the PKI, configs, logs, pids and `env` (removed after `down`).
    dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
}

impl Stack {
    /// Starts a stack with the script's defaults (no authentication).
    pub fn up() -> Stack {
        Stack::up_with(&[])
    }

    /// Starts a stack, passing `settings` (e.g. `("AUTH", "token")`, `("TOKEN_BASIC", "u:p")`,
    /// `("NOTARY_LOG_LEVEL", "debug")`) to `scripts/stack.sh` as environment variables.
    pub fn up_with(settings: &[(&str, &str)]) -> Stack {
        let dir = tempfile::Builder::new().prefix("notary-stack.").tempdir().expect("create a stack directory");
        let mut cmd = Command::new(script());
        cmd.arg("up").arg(dir.path()).stdin(Stdio::null());
        // Only what the caller asks for: an AUTH or TOKEN_BASIC in the developer's shell must not
        // change the stack a test gets.
        for var in ["AUTH", "TOKEN_BASIC", "NOTARY_LOG_LEVEL"] {
            cmd.env_remove(var);
        }
        cmd.envs(settings.iter().copied());
        let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", script().display()));
        // Constructed before checking the status, so that a half-started stack is stopped too.
        let mut stack = Stack { dir, env: BTreeMap::new() };
        if !out.status.success() {
            panic!(
                "{} up {} failed ({}):\n{}{}",
                script().display(),
                stack.dir().display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let env_file = stack.dir().join("env");
        let text = std::fs::read_to_string(&env_file).unwrap_or_else(|e| panic!("{}: {e}", env_file.display()));
        stack.env = parse_env(&text).unwrap_or_else(|e| panic!("{}: {e}", env_file.display()));
        for required in ["NOTARY_URL", "NOTARY_CA"] {
            assert!(stack.env.contains_key(required), "{}: no {required}", env_file.display());
        }
        stack
    }

    /// The stack's state directory (`STACK_DIR`): `log/*.log` has the servers' output.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A value of `DIR/env`, if exported.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str)
    }

    /// Every value of `DIR/env`, e.g. to pass to a child process with `Command::envs`.
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.env
    }

    fn expect_var(&self, name: &str) -> &str {
        self.var(name).unwrap_or_else(|| panic!("the stack's env has no {name}"))
    }

    /// `https://127.0.0.1:PORT` of notary-server.
    pub fn notary_url(&self) -> &str {
        self.expect_var("NOTARY_URL")
    }

    /// The CA certificate (PEM) that issued notary-server's TLS certificate.
    pub fn notary_ca(&self) -> PathBuf {
        PathBuf::from(self.expect_var("NOTARY_CA"))
    }

    /// `127.0.0.1:PORT` of notary-server (the host part of [`Stack::notary_url`]).
    pub fn notary_host(&self) -> &str {
        self.notary_url().trim_start_matches("https://")
    }

    /// `http://127.0.0.1:PORT` of the registry.
    pub fn registry_url(&self) -> &str {
        self.expect_var("REGISTRY_URL")
    }

    /// `localhost:PORT` of the registry, as used in image references and GUNs.
    pub fn registry_host(&self) -> &str {
        self.expect_var("REGISTRY_HOST")
    }

    /// The last lines of every server log, for assertion messages.
    pub fn log_tails(&self) -> String {
        let mut out = String::new();
        let Ok(entries) = std::fs::read_dir(self.dir().join("log")) else { return out };
        let mut logs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        logs.sort();
        for log in logs.iter().filter(|p| p.extension().is_some_and(|e| e == "log")) {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            out.push_str(&format!("----- tail {}\n", log.display()));
            for line in &lines[lines.len().saturating_sub(20)..] {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// Kills one of the stack's servers for real (`SIGKILL`): `"server"` (notary-server),
    /// `"signer"` (notary-signer) or `"registry"`, found among the recorded PIDs by the config
    /// file on its command line. Returns once it is gone.
    pub fn kill(&self, service: &str) {
        let config = self.dir().join(service_config(service)).display().to_string();
        let pids = std::fs::read_to_string(self.dir().join("pids")).unwrap_or_default();
        for pid in pids.lines().filter(|p| !p.is_empty()) {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).split('\0').any(|arg| arg == config) {
                let _ = Command::new("kill").args(["-KILL", pid]).status();
                for _ in 0..100 {
                    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                    if state.is_empty() || state.contains(") Z ") {
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                panic!("{service} (PID {pid}) did not exit");
            }
        }
        panic!("no running {service} of this stack");
    }

    /// Starts notary-server again with the stack's configuration and waits until it answers
    /// its health check. Its PID is recorded, so the stack's `down` stops it too.
    pub fn restart_notary_server(&self) {
        let dir = self.dir();
        let script = format!(
            "setsid notary-server -config '{}' </dev/null >>'{}' 2>&1 & echo $! >>'{}'",
            dir.join("server.json").display(),
            dir.join("log/server.log").display(),
            dir.join("pids").display()
        );
        let status = Command::new("bash").arg("-c").arg(script).status().expect("run bash");
        assert!(status.success(), "could not start notary-server");
        let port = self.expect_var("NOTARY_PORT");
        for _ in 0..150 {
            if std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("notary-server did not come back:\n{}", self.log_tails());
    }

    /// The real notary CLI against this stack with trust directory `trust_dir`:
    /// `notary -s NOTARY_URL --tlscacert NOTARY_CA -d TRUST_DIR`, stdin from `/dev/null` (so
    /// a missing passphrase fails instead of prompting) and no `NOTARY_*` variable of the
    /// test process (set the passphrases the command needs with `.env(...)`).
    pub fn notary(&self, trust_dir: &Path) -> Command {
        let mut cmd = Command::new("notary");
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(|n| n.starts_with("NOTARY_")) {
                cmd.env_remove(name);
            }
        }
        cmd.arg("-s").arg(self.notary_url()).arg("--tlscacert").arg(self.notary_ca()).arg("-d").arg(trust_dir);
        cmd.stdin(Stdio::null());
        cmd
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let result = Command::new(script()).arg("down").arg(self.dir.path()).stdin(Stdio::null()).output();
        match result {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "warning: {} down {} failed ({}): {}",
                script().display(),
                self.dir.path().display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!("warning: cannot run {} down: {e}", script().display()),
        }
    }
}

/// True if the stack's programs (`notary`, `notary-server`) are installed; otherwise fails
/// under `CI` (scripts/test installs them), else prints a skip notice.
pub fn require_stack() -> bool {
    let installed = ["notary", "notary-server"].iter().all(|p| {
        !matches!(
            Command::new(p).arg("--help").stdin(Stdio::null()).output(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound
        )
    });
    if installed {
        return true;
    }
    let msg = "notary / notary-server not installed (Debian package `notary`; scripts/test installs it)";
    assert!(std::env::var_os("CI").is_none(), "CI is set: {msg}");
    eprintln!("skipped: {msg}");
    false
}

/// The config file a service of the stack is started with.
fn service_config(service: &str) -> &'static str {
    match service {
        "server" => "server.json",
        "signer" => "signer.json",
        "registry" => "registry.yml",
        other => panic!("unknown service {other:?}"),
    }
}

/// `scripts/stack.sh` of this crate.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join("stack.sh")
}

/// Parses the `export NAME=VALUE` lines `stack.sh` writes (values shell-quoted: `'...'`,
/// `"..."`, backslash escapes or bare words). Blank lines and `#` comments are ignored.
pub fn parse_env(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut vars = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let assignment = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let (name, value) =
            assignment.split_once('=').ok_or_else(|| format!("line {}: not NAME=VALUE: {line:?}", n + 1))?;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("line {}: bad variable name {name:?}", n + 1));
        }
        let value = unquote(value).map_err(|e| format!("line {}: {e}: {line:?}", n + 1))?;
        vars.insert(name.to_owned(), value);
    }
    Ok(vars)
}

/// One shell word: concatenated single-quoted, double-quoted and bare parts.
fn unquote(word: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(c) => out.push(c),
                    None => return Err("unterminated single quote".into()),
                }
            },
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c @ ('"' | '\\' | '$' | '`')) => out.push(c),
                        Some(c) => {
                            out.push('\\');
                            out.push(c);
                        }
                        None => return Err("unterminated double quote".into()),
                    },
                    Some(c) => out.push(c),
                    None => return Err("unterminated double quote".into()),
                }
            },
            '\\' => out.push(chars.next().ok_or("trailing backslash")?),
            c if c.is_whitespace() => return Err("unquoted whitespace".into()),
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_values_are_unquoted() {
        let vars = parse_env("export A='x y'\nexport B=plain\n\nexport C='it'\\''s'\nD=\"q\\\"\"\n").unwrap();
        assert_eq!(vars["A"], "x y");
        assert_eq!(vars["B"], "plain");
        assert_eq!(vars["C"], "it's");
        assert_eq!(vars["D"], "q\"");
    }
}
