//! Running the example binaries as a user runs them: found next to the test's target
//! directory (`CARGO_TARGET_DIR` respected), with a clean Docker environment.
//!
//! scripts/test runs `cargo build --examples` first (`cargo test --all-targets` alone builds
//! examples only as test harnesses). Without the binary a test is skipped, or fails under `CI`.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The example binary `name`, if it was built.
pub fn example(name: &str) -> Option<PathBuf> {
    let deps = std::env::current_exe().ok()?.parent()?.to_path_buf();
    let bin = deps.parent()?.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if bin.exists() {
        Some(bin)
    } else {
        assert!(std::env::var_os("CI").is_none(), "{} must be built (cargo build --examples)", bin.display());
        eprintln!("skipped: {} is not built; run cargo build --examples (scripts/test does)", bin.display());
        None
    }
}

/// What a command did.
#[derive(Debug)]
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts exit status 0.
    #[track_caller]
    pub fn success(self) -> Out {
        self.exits(0)
    }

    /// Asserts exit status `code`.
    #[track_caller]
    pub fn exits(self, code: i32) -> Out {
        assert_eq!(self.code, Some(code), "exit status; stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

/// Runs `cmd`, feeding it `stdin` (nothing: stdin is empty).
pub fn output(mut cmd: Command, stdin: &str) -> Out {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut input = child.stdin.take().expect("stdin is piped");
    input.write_all(stdin.as_bytes()).expect("write stdin");
    drop(input);
    let out = child.wait_with_output().expect("wait for the command");
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `program` with no `DOCKER_*` (or `RUST_LOG`) variable of the test process,
/// `DOCKER_CONFIG` = `config`, and `DOCKER_CONTENT_TRUST_SERVER` = `notary_url` if given.
pub fn docker_command(program: &Path, config: &Path, notary_url: Option<&str>) -> Command {
    let mut cmd = Command::new(program);
    for (var, _) in std::env::vars_os() {
        if var.to_str().is_some_and(|v| v.starts_with("DOCKER_") || v == "RUST_LOG") {
            cmd.env_remove(var);
        }
    }
    cmd.env("DOCKER_CONFIG", config);
    if let Some(url) = notary_url {
        cmd.env("DOCKER_CONTENT_TRUST_SERVER", url);
    }
    cmd
}
