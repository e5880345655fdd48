#![allow(dead_code)]
//! The DCT pipeline's parties on a real stack (issue 6): an admin who initialised the image's
//! repository and added the signer `ci` (as `docker trust signer add`), and a CI job whose own
//! `DOCKER_CONFIG` holds only the `ci` delegation key, as the seed pipeline sets it up.

use std::path::Path;
use std::sync::Arc;

use notary_client::docker::{self, DockerConfig, DockerTrust, ImageReference, TrustServer, generate_signer_key};
use notary_client::key_file::decode_public_key;
use notary_client::keys::SoftwareKey;
use notary_client::metadata::RoleName;
use notary_client::passphrase::FixedPassphrase;
use notary_client::registry::{BlobSource, Digest, Image, Manifest};
use notary_client::repository::{Change, Repository};

use super::docker_cli::docker_config;
use super::notary_cli::{CliRepo, require_notary};
use super::oci_image;
use super::publish::{PASSPHRASE, tempdir};
use super::stack::Stack;

/// `targets/releases`, the role `docker pull` reads.
pub const RELEASES: &str = "targets/releases";

/// The registry account of the token-auth stacks.
const USER: &str = "ci-bot";
const PASSWORD: &str = "ci-bot-secret";

/// An image repository with trust data (or not), an admin and a CI job.
pub struct Pipeline {
    pub stack: Stack,
    name: String,
    admin_config: tempfile::TempDir,
    ci_config: tempfile::TempDir,
    token_auth: bool,
}

impl Pipeline {
    /// A repository `team/<name>` whose admin added the signer `ci`, held by the CI job.
    pub async fn start(name: &str) -> Option<Pipeline> {
        let p = Pipeline::new(name, false)?;
        p.add_ci_signer(None).await;
        Some(p)
    }

    /// As [`Pipeline::start`], with `targets/ci` and `targets/releases` restricted to `paths`.
    pub async fn start_with_paths(name: &str, paths: &[&str]) -> Option<Pipeline> {
        let p = Pipeline::new(name, false)?;
        p.add_ci_signer(Some(paths)).await;
        Some(p)
    }

    /// As [`Pipeline::start`] on a stack whose registry and notary-server both require Docker
    /// tokens, issued for the account the configurations hold (as `docker login` stores it).
    pub async fn start_with_token_auth(name: &str) -> Option<Pipeline> {
        let p = Pipeline::new(name, true)?;
        p.add_ci_signer(None).await;
        Some(p)
    }

    /// As [`Pipeline::start`], but `targets/ci` and `targets/releases` need two signatures:
    /// the `ci` key and a second key nobody in the pipeline holds.
    pub async fn start_requiring_two_signatures(name: &str) -> Option<Pipeline> {
        let p = Pipeline::new(name, false)?;
        p.add_ci_signer(None).await;
        let other = SoftwareKey::generate_p256().expect("key").bare_public_key();
        let keys = vec![p.ci_key_public(), other];
        let changes: Vec<Change> = ["targets/ci", RELEASES]
            .into_iter()
            .map(|role| Change::AddDelegation {
                role: RoleName::new(role).expect("role"),
                keys: keys.clone(),
                paths: vec![],
                threshold: Some(2),
            })
            .collect();
        p.admin_repository().publish(&changes).await.expect("threshold 2");
        Some(p)
    }

    /// A repository without trust data; the CI job still holds the `ci` key.
    pub async fn start_uninitialised(name: &str) -> Option<Pipeline> {
        let p = Pipeline::new(name, false)?;
        p.ci_key_public();
        Some(p)
    }

    fn new(name: &str, token_auth: bool) -> Option<Pipeline> {
        if !require_notary() {
            return None;
        }
        let basic = format!("{USER}:{PASSWORD}");
        let stack =
            if token_auth { Stack::up_with(&[("AUTH", "token"), ("TOKEN_BASIC", &basic)]) } else { Stack::up() };
        let admin_config = docker_config(&stack);
        let ci_config = docker_config(&stack);
        if token_auth {
            for config in [&admin_config, &ci_config] {
                write_login(config.path(), stack.registry_host());
            }
        }
        Some(Pipeline { stack, name: name.to_owned(), admin_config, ci_config, token_auth })
    }

    /// `<registry host>/team/<name>:<tag>`.
    pub fn reference(&self, tag: &str) -> ImageReference {
        ImageReference::parse(&format!("{}:{tag}", self.image())).expect("reference")
    }

    /// `<registry host>/team/<name>`, also the GUN.
    pub fn image(&self) -> String {
        format!("{}/team/{}", self.stack.registry_host(), self.name)
    }

    /// The CI job's Docker settings (its own config dir, the repository passphrase).
    pub fn ci_trust(&self) -> DockerTrust {
        self.ci_trust_with_passphrase(PASSPHRASE)
    }

    /// The CI job with another passphrase.
    pub fn ci_trust_with_passphrase(&self, passphrase: &str) -> DockerTrust {
        trust(self.ci_config.path(), self.stack.notary_url()).with_passphrases(FixedPassphrase::new(passphrase))
    }

    /// The CI job pointed at another notary server.
    pub fn ci_trust_on(&self, notary_url: &str) -> DockerTrust {
        trust(self.ci_config.path(), notary_url).with_passphrases(FixedPassphrase::new(PASSPHRASE))
    }

    /// The CI job without registry credentials.
    pub fn ci_trust_anonymous(&self) -> DockerTrust {
        with_config(self.ci_config.path(), DockerConfig::empty(), self.stack.notary_url())
            .with_passphrases(FixedPassphrase::new(PASSPHRASE))
    }

    /// The CI job's `DOCKER_CONFIG`.
    pub fn ci_config_dir(&self) -> &Path {
        self.ci_config.path()
    }

    /// A new, empty `DOCKER_CONFIG` trusting the stack's notary CA (no key, no login).
    pub fn fresh_config(&self) -> tempfile::TempDir {
        docker_config(&self.stack)
    }

    fn admin_trust(&self) -> DockerTrust {
        trust(self.admin_config.path(), self.stack.notary_url()).with_passphrases(FixedPassphrase::new(PASSPHRASE))
    }

    fn admin_repository(&self) -> Repository {
        self.admin_trust().repository(&self.reference("latest")).expect("admin repository")
    }

    /// The `ci` key, generated into the CI job's trust directory on first use (as `docker
    /// trust key generate ci`), as a public key.
    fn ci_key_public(&self) -> notary_client::metadata::PublicKey {
        let public_dir = self.ci_config.path();
        let pub_path = public_dir.join("ci.pub");
        if !pub_path.exists() {
            let trust = docker::DockerTrust::trust_dir(&self.ci_trust());
            generate_signer_key(&trust, "ci", public_dir, &FixedPassphrase::new(PASSPHRASE)).expect("generate ci key");
        }
        decode_public_key(&std::fs::read(&pub_path).expect("ci.pub")).expect("public key")
    }

    /// The admin adds the signer `ci` (`docker trust signer add --key ci.pub ci IMAGE`), which
    /// initialises the repository; with `paths`, both roles are restricted to them.
    async fn add_ci_signer(&self, paths: Option<&[&str]>) {
        let key = self.ci_key_public();
        let repo = self.admin_repository();
        docker::add_signer(&repo, "ci", std::slice::from_ref(&key)).await.expect("signer add ci");
        if let Some(paths) = paths {
            let paths: Vec<String> = paths.iter().map(|p| (*p).to_owned()).collect();
            let changes: Vec<Change> = ["targets/ci", RELEASES]
                .into_iter()
                .flat_map(|role| {
                    let role = RoleName::new(role).expect("role");
                    [
                        Change::ClearDelegationPaths { role: role.clone() },
                        Change::add_delegation(role, vec![], paths.clone()),
                    ]
                })
                .collect();
            repo.publish(&changes).await.expect("restrict the paths");
        }
    }

    /// A new OCI layout of a tiny image (`platforms` as `(os, architecture)`; two make an index).
    pub fn oci_layout(&self, ref_name: &str, platforms: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempdir();
        oci_image::write_oci_layout(dir.path(), ref_name, platforms);
        dir
    }

    /// [`Pipeline::oci_layout`] read as the [`Image`] to push (keep the directory alive).
    pub fn layout_image(&self, ref_name: &str, platforms: &[(&str, &str)]) -> (tempfile::TempDir, Image) {
        let dir = self.oci_layout(ref_name, platforms);
        let image = Image::from_oci_layout(dir.path(), None).expect("the layout reads back");
        (dir, image)
    }

    /// The digest the registry serves for `tag_or_digest` (`Docker-Content-Digest` of a HEAD).
    pub async fn registry_digest(&self, tag_or_digest: &str) -> Digest {
        let response = self.head_manifest(tag_or_digest).await;
        assert_eq!(response.status().as_u16(), 200, "HEAD {tag_or_digest}");
        let header = response.headers().get("docker-content-digest").expect("Docker-Content-Digest");
        header.to_str().expect("ascii").parse().expect("a sha256 digest")
    }

    /// The status of a HEAD of the manifest `tag` (404: not pushed).
    pub async fn registry_manifest_status(&self, tag: &str) -> u16 {
        self.head_manifest(tag).await.status().as_u16()
    }

    async fn head_manifest(&self, tag_or_digest: &str) -> reqwest::Response {
        assert!(!self.token_auth, "raw registry requests are for the stacks without auth");
        // reqwest is built without a default crypto provider (the library installs ring when it
        // builds a registry client; this test client may come first).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = format!("{}/v2/team/{}/manifests/{tag_or_digest}", self.stack.registry_url(), self.name);
        reqwest::Client::new()
            .head(&url)
            .header(
                "Accept",
                "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, \
                 application/vnd.docker.distribution.manifest.v2+json, \
                 application/vnd.docker.distribution.manifest.list.v2+json",
            )
            .send()
            .await
            .expect("HEAD manifest")
    }

    /// The real notary CLI (a fresh trust directory) lists `tag` in `targets/releases` and
    /// looks it up with exactly `digest` and `size`.
    pub fn assert_notary_cli_agrees(&self, tag: &str, digest: Digest, size: u64) {
        let cli = CliRepo::attach(&self.stack, &self.image());
        let listed = cli.list(Some(RELEASES));
        let row = listed.iter().find(|t| t.name == tag).unwrap_or_else(|| panic!("{tag} in {listed:?}"));
        assert_eq!((row.sha256_hex.as_str(), row.size, row.role.as_str()), (digest.hex().as_str(), size, RELEASES));
        let lookup = cli.lookup(tag).expect("notary lookup finds the tag");
        assert_eq!((lookup.sha256_hex, lookup.size), (digest.hex(), size));
    }

    /// `skopeo copy` of `tag` from the registry into a new OCI layout, every digest preserved.
    pub fn skopeo_copy_back(&self, tag: &str) -> tempfile::TempDir {
        let dir = tempdir();
        let out = std::process::Command::new("skopeo")
            .args(["copy", "--all", "--preserve-digests", "--src-tls-verify=false"])
            .arg(format!("docker://{}:{tag}", self.image()))
            .arg(format!("oci:{}:{tag}", dir.path().display()))
            .output()
            .expect("run skopeo");
        assert!(out.status.success(), "skopeo copy: {}", String::from_utf8_lossy(&out.stderr));
        dir
    }
}

/// Docker's settings with config dir `config` and `DOCKER_CONTENT_TRUST_SERVER` = `notary_url`.
fn trust(config: &Path, notary_url: &str) -> DockerTrust {
    with_config(config, DockerConfig::load(config).expect("config.json"), notary_url)
}

/// [`trust`] with `docker_config` instead of the directory's `config.json`.
fn with_config(config: &Path, docker_config: DockerConfig, notary_url: &str) -> DockerTrust {
    let url = notary_url.to_owned();
    let server = TrustServer::from_lookup(move |var| (var == "DOCKER_CONTENT_TRUST_SERVER").then(|| url.clone()));
    DockerTrust::new(config, docker_config, server)
}

/// What `docker login HOST` writes: `auths.HOST.auth`.
fn write_login(config: &Path, registry: &str) {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let json = serde_json::json!({ "auths": { registry: { "auth": auth } } });
    std::fs::write(config.join("config.json"), serde_json::to_vec_pretty(&json).expect("json")).expect("config.json");
}

/// `image` with its last layer's bytes replaced by others of the same size: the registry
/// refuses the upload (digest mismatch).
pub fn with_corrupt_layer(image: Image) -> Image {
    let mut manifests: Vec<Manifest> = image.manifests().to_vec();
    let last = manifests.last_mut().expect("a manifest");
    let layer = last.blobs.last_mut().expect("a layer");
    layer.source = BlobSource::Memory(Arc::from(vec![0x5a_u8; layer.size as usize]));
    Image::new(manifests).expect("an image")
}

/// Whether skopeo is installed; under `CI` it must be (`.ci/run` installs it).
pub fn skopeo_installed() -> bool {
    let found = std::process::Command::new("skopeo").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "skopeo must be installed under CI (scripts/test installs it)");
        eprintln!("skipped: skopeo is not installed");
    }
    found
}
