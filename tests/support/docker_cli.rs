//! The real docker CLI (no daemon) against the local stack: `docker trust inspect` with a
//! configuration directory that trusts the stack's CA.

use std::path::Path;
use std::process::{Command, Stdio};

use super::stack::Stack;

/// Whether the docker CLI is installed (tests comparing with it are skipped otherwise, with a
/// notice naming `what`).
pub fn docker_installed(what: &str) -> bool {
    let found = Command::new("docker").arg("--version").stdin(Stdio::null()).output().is_ok();
    if !found {
        eprintln!("skipped {what}: docker CLI not installed (docker trust inspect needs only the CLI)");
    }
    found
}

/// A docker configuration directory trusting the stack's CA for its notary server.
pub fn docker_config(stack: &Stack) -> tempfile::TempDir {
    let config = tempfile::Builder::new().prefix("docker-config.").tempdir().expect("docker config dir");
    let tls = config.path().join("tls").join(stack.notary_host());
    std::fs::create_dir_all(&tls).expect("tls dir");
    std::fs::copy(stack.notary_ca(), tls.join("ca.crt")).expect("copy CA");
    config
}

/// `docker trust inspect NAME` with config dir `config` and the stack's notary server, parsed.
pub fn docker_inspect(stack: &Stack, config: &Path, name: &str) -> serde_json::Value {
    let mut cmd = Command::new("docker");
    for (var, _) in std::env::vars_os() {
        if var.to_str().is_some_and(|v| v.starts_with("DOCKER_")) {
            cmd.env_remove(var);
        }
    }
    let out = cmd
        .env("DOCKER_CONFIG", config)
        .env("DOCKER_CONTENT_TRUST_SERVER", stack.notary_url())
        .args(["trust", "inspect", name])
        .stdin(Stdio::null())
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker trust inspect {name}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("docker trust inspect prints JSON")
}
