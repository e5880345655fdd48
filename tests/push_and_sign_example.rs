//! `examples/push_and_sign.rs` run as a CI job runs it, against the real registry and
//! notary-server: the seed pipeline's flow (a delegation key made on a developer machine,
//! copied into a fresh `$DOCKER_CONFIG/trust/private`, only the repository passphrase set),
//! and a clear message with a non-zero exit for every way it can fail.

#[allow(dead_code)] // docker_inspect: not needed here
#[path = "support/docker_cli.rs"]
mod docker_cli;
#[path = "support/examples.rs"]
mod examples;
#[path = "support/notary_cli.rs"]
mod notary_cli;
#[path = "support/oci_image.rs"]
mod oci_image;
#[path = "support/pipeline.rs"]
mod pipeline;
#[path = "support/publish.rs"]
mod publish;
#[path = "support/stack.rs"]
mod stack;

use std::path::Path;
use std::process::Command;

use notary_client::registry::Image;

use examples::{Out, docker_command, example, output};
use pipeline::Pipeline;
use publish::PASSPHRASE;

/// How the CI job of a [`Pipeline`] runs `push_and_sign`: its `DOCKER_CONFIG`, a notary server
/// and the repository passphrase only (no root passphrase).
struct Job<'a> {
    p: &'a Pipeline,
    config: &'a Path,
    notary_url: &'a str,
    passphrase: &'a str,
}

impl<'a> Job<'a> {
    /// The pipeline's CI job as set up.
    fn of(p: &'a Pipeline) -> Job<'a> {
        Job { p, config: p.ci_config_dir(), notary_url: p.stack.notary_url(), passphrase: PASSPHRASE }
    }

    /// `push_and_sign ARGS`; `None` when the example is not built (the test is skipped).
    fn run(&self, args: &[&str]) -> Option<Out> {
        let mut cmd = docker_command(&example("push_and_sign")?, self.config, Some(self.notary_url));
        cmd.env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", self.passphrase).args(args);
        Some(output(cmd, ""))
    }

    /// Pushes a new one-platform OCI layout as `IMAGE:tag` and signs it.
    fn push_layout(&self, tag: &str) -> Option<Out> {
        let layout = self.p.oci_layout(tag, &[("linux", "amd64")]);
        self.run(&["--oci-layout", &layout.path().display().to_string(), &format!("{}:{tag}", self.p.image())])
    }
}

/// The `TAG: digest: sha256:… size: N` line, parsed.
fn printed_digest_and_size(out: &Out, tag: &str) -> (String, u64) {
    let prefix = format!("{tag}: digest: ");
    let line = out.stdout.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("{}", out.stdout));
    let (digest, size) = line.split_once(" size: ").expect("size");
    (digest.to_owned(), size.parse().expect("a size"))
}

#[tokio::test(flavor = "current_thread")]
async fn the_seed_flow_signs_with_a_docker_generated_key_and_only_the_repository_passphrase() {
    let Some(p) = Pipeline::start_uninitialised("seed").await else { return };
    if example("push_and_sign").is_none() || !docker_cli::docker_installed("the seed flow with docker's own key") {
        return;
    }
    // The developer machine: `docker trust key generate ci`, `docker trust signer add`.
    let dev = p.fresh_config();
    let docker = |args: &[&str]| {
        let mut cmd = docker_command(Path::new("docker"), dev.path(), Some(p.stack.notary_url()));
        cmd.env("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "root-passphrase-1")
            .env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", PASSPHRASE)
            .args(args);
        output(cmd, "").success()
    };
    docker(&["trust", "key", "generate", "ci", "--dir", &dev.path().display().to_string()]);
    let pub_key = dev.path().join("ci.pub").display().to_string();
    docker(&["trust", "signer", "add", "--key", &pub_key, "ci", &p.image()]);
    // The pipeline: a fresh DOCKER_CONFIG with the private key file copied into trust/private.
    let ci = p.fresh_config();
    let private = ci.path().join("trust/private");
    std::fs::create_dir_all(&private).expect("trust/private");
    for entry in std::fs::read_dir(dev.path().join("trust/private")).expect("docker's keys") {
        let path = entry.expect("entry").path();
        if std::fs::read_to_string(&path).expect("key file").contains("role: ci") {
            std::fs::copy(&path, private.join(path.file_name().expect("name"))).expect("copy the key");
        }
    }
    let layout = p.oci_layout("1.0", &[("linux", "amd64")]);

    let job = Job { config: ci.path(), ..Job::of(&p) };
    let out = job
        .run(&["--oci-layout", &layout.path().display().to_string(), &format!("{}:1.0", p.image())])
        .expect("built")
        .success();

    let (digest, size) = printed_digest_and_size(&out, "1.0");
    assert_eq!(digest, p.registry_digest("1.0").await.to_string());
    assert!(out.stdout.contains("Signed into: targets/ci, targets/releases"), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("Successfully signed {}:1.0", p.image())), "{}", out.stdout);
    p.assert_notary_cli_agrees("1.0", digest.parse().expect("digest"), size);
}

#[tokio::test(flavor = "current_thread")]
async fn a_docker_archive_is_pushed_and_signed_and_the_roles_printed() {
    let Some(p) = Pipeline::start("archive").await else { return };
    let dir = publish::tempdir();
    let archive = dir.path().join("app.tar");
    oci_image::write_docker_archive_legacy(&archive, "app:2.0");
    let args = ["--docker-archive", &archive.display().to_string(), &format!("{}:2.0", p.image())];
    let Some(out) = Job::of(&p).run(&args) else { return };
    let (digest, size) = printed_digest_and_size(&out.success(), "2.0");
    assert_eq!(digest, p.registry_digest("2.0").await.to_string());
    p.assert_notary_cli_agrees("2.0", digest.parse().expect("digest"), size);
}

#[tokio::test(flavor = "current_thread")]
async fn sign_only_signs_the_tag_the_registry_already_serves() {
    let Some(p) = Pipeline::start("signonly").await else { return };
    let layout = p.oci_layout("3.0", &[("linux", "amd64"), ("linux", "arm64")]);
    let image = Image::from_oci_layout(layout.path(), None).expect("layout");
    let reference = p.reference("3.0");
    p.ci_trust().registry(&reference).expect("registry").push(&reference, &image).await.expect("push");

    let Some(out) = Job::of(&p).run(&["--sign-only", &format!("{}:3.0", p.image())]) else { return };

    let (digest, size) = printed_digest_and_size(&out.success(), "3.0");
    assert_eq!(digest, image.top().digest.to_string(), "the index is signed under the tag");
    p.assert_notary_cli_agrees("3.0", image.top().digest, size);
}

#[tokio::test(flavor = "current_thread")]
async fn a_missing_key_exits_one_says_which_key_and_pushes_nothing() {
    let Some(p) = Pipeline::start("nokey").await else { return };
    let empty = p.fresh_config();
    let Some(out) = Job { config: empty.path(), ..Job::of(&p) }.push_layout("1.0") else { return };
    let out = out.exits(1);
    assert!(out.stderr.contains("keys the keyring does not hold"), "{}", out.stderr);
    assert_eq!(p.registry_manifest_status("1.0").await, 404, "nothing was pushed");
}

#[tokio::test(flavor = "current_thread")]
async fn a_wrong_passphrase_exits_one_without_printing_it_and_pushes_nothing() {
    let Some(p) = Pipeline::start("wrongpass").await else { return };
    let Some(out) = Job { passphrase: "not-the-passphrase", ..Job::of(&p) }.push_layout("1.0") else { return };
    let out = out.exits(1);
    assert!(out.stderr.contains("passphrase"), "{}", out.stderr);
    assert!(!out.stderr.contains("not-the-passphrase") && !out.stdout.contains("not-the-passphrase"));
    assert_eq!(p.registry_manifest_status("1.0").await, 404, "nothing was pushed");
}

#[tokio::test(flavor = "current_thread")]
async fn an_unreachable_notary_server_exits_one_and_pushes_nothing() {
    let Some(p) = Pipeline::start("nonotary").await else { return };
    let Some(out) = Job { notary_url: "https://127.0.0.1:9", ..Job::of(&p) }.push_layout("1.0") else { return };
    let out = out.exits(1);
    assert!(out.stderr.contains("127.0.0.1:9"), "names the server: {}", out.stderr);
    assert_eq!(p.registry_manifest_status("1.0").await, 404, "nothing was pushed");
}

#[tokio::test(flavor = "current_thread")]
async fn a_tag_the_delegation_does_not_allow_exits_one_naming_the_paths() {
    let Some(p) = Pipeline::start_with_paths("paths", &["release-"]).await else { return };
    let Some(out) = Job::of(&p).push_layout("dev-1") else { return };
    let out = out.exits(1);
    assert!(out.stderr.contains("release-"), "names the allowed paths: {}", out.stderr);
    assert_eq!(p.registry_manifest_status("dev-1").await, 404, "nothing was pushed");
}

#[tokio::test(flavor = "current_thread")]
async fn a_repository_without_trust_data_and_no_root_passphrase_exits_one_saying_what_to_run() {
    let Some(p) = Pipeline::start_uninitialised("noinit").await else { return };
    let Some(out) = Job::of(&p).push_layout("1.0") else { return };
    let out = out.exits(1);
    assert!(out.stderr.contains("signer add"), "{}", out.stderr);
    assert_eq!(p.registry_manifest_status("1.0").await, 404, "nothing was pushed");
}

#[tokio::test(flavor = "current_thread")]
async fn pushed_but_not_signed_exits_three_and_says_so() {
    let Some(p) = Pipeline::start_requiring_two_signatures("unsigned").await else { return };
    let Some(out) = Job::of(&p).push_layout("1.0") else { return };
    let out = out.exits(3);
    assert!(out.stderr.contains("NOT signed"), "{}", out.stderr);
    assert_eq!(p.registry_manifest_status("1.0").await, 200, "the image was pushed");
}

#[test]
fn help_exits_zero_and_a_missing_source_is_a_usage_error() {
    let Some(bin) = example("push_and_sign") else { return };
    let run = |arg: &str| {
        let mut cmd = Command::new(&bin);
        cmd.arg(arg);
        output(cmd, "")
    };
    let help = run("--help").success();
    assert!(help.stdout.contains("--oci-layout") && help.stdout.contains("--sign-only"), "{}", help.stdout);
    let usage = run("example.com/app:1").exits(2);
    assert!(usage.stderr.contains("--oci-layout"), "{}", usage.stderr);
}
