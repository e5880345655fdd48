//! The DCT pipeline end to end (issue 6) against the real registry and notary-server: push an
//! OCI layout (single manifest, two-platform index) or a docker-archive and sign the tag with a
//! delegation key, as `docker push` with content trust does, without a daemon. The signed
//! digest is the registry's manifest digest, and the real `notary list -r targets/releases`
//! and `notary lookup` agree.

#[allow(dead_code)] // docker_config only, through pipeline
#[path = "support/docker_cli.rs"]
mod docker_cli;
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

use notary_client::docker::{InitPolicy, PushSignError, SignOptions, push_and_sign, sign_manifest, sign_registry_tag};
use notary_client::metadata::RoleName;
use notary_client::registry::{Digest, Image, RegistryError};
use notary_client::repository::PublishError;

use pipeline::{Pipeline, RELEASES};

fn roles(names: &[&str]) -> Vec<RoleName> {
    names.iter().map(|n| RoleName::new(*n).expect("role")).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn an_oci_layout_is_pushed_and_its_tag_signed_into_the_signers_roles() {
    let Some(p) = Pipeline::start("app").await else { return };
    let (_layout, image) = p.layout_image("1.0", &[("linux", "amd64")]);

    let signed = push_and_sign(&p.ci_trust(), &p.reference("1.0"), &image, &SignOptions::default())
        .await
        .expect("push and sign");

    assert_eq!(signed.digest, image.top().digest);
    assert_eq!(signed.size, image.top().size());
    assert_eq!(signed.roles, roles(&["targets/ci", RELEASES]));
    assert_eq!(p.registry_digest("1.0").await, signed.digest, "the signed digest is the registry's");
    p.assert_notary_cli_agrees("1.0", signed.digest, signed.size);
}

#[tokio::test(flavor = "current_thread")]
async fn a_two_platform_index_is_pushed_children_first_and_signed_under_the_tag() {
    let Some(p) = Pipeline::start("multi").await else { return };
    let layout = p.oci_layout("2.0", &[("linux", "amd64"), ("linux", "arm64")]);
    let image = Image::from_oci_layout(layout.path(), Some("2.0")).expect("layout");
    assert_eq!(image.manifests().len(), 3, "two platform manifests, then the index");

    let signed = push_and_sign(&p.ci_trust(), &p.reference("2.0"), &image, &SignOptions::default())
        .await
        .expect("push and sign");

    assert_eq!(signed.digest, image.top().digest, "the index is what the tag names");
    assert_eq!(p.registry_digest("2.0").await, signed.digest);
    for child in &image.manifests()[..2] {
        assert_eq!(
            p.registry_digest(&child.digest.to_string()).await,
            child.digest,
            "child manifests are in the registry"
        );
    }
    p.assert_notary_cli_agrees("2.0", signed.digest, signed.size);
}

#[tokio::test(flavor = "current_thread")]
async fn a_legacy_docker_archive_is_pushed_and_signed() {
    let Some(p) = Pipeline::start("legacy").await else { return };
    let dir = publish::tempdir();
    let archive = dir.path().join("app.tar");
    oci_image::write_docker_archive_legacy(&archive, "app:3.0");
    let image = Image::from_docker_archive(&archive, None).expect("archive");

    let signed = push_and_sign(&p.ci_trust(), &p.reference("3.0"), &image, &SignOptions::default())
        .await
        .expect("push and sign");

    assert_eq!(p.registry_digest("3.0").await, signed.digest);
    p.assert_notary_cli_agrees("3.0", signed.digest, signed.size);
}

#[tokio::test(flavor = "current_thread")]
async fn an_oci_form_docker_archive_is_pushed_with_its_exact_manifest_and_signed() {
    let Some(p) = Pipeline::start("ociarchive").await else { return };
    let dir = publish::tempdir();
    let archive = dir.path().join("app.tar");
    oci_image::write_docker_archive_oci(&archive, "app:4.0");
    let image = Image::from_docker_archive(&archive, None).expect("archive");

    let signed = push_and_sign(&p.ci_trust(), &p.reference("4.0"), &image, &SignOptions::default())
        .await
        .expect("push and sign");

    assert_eq!(signed.digest, image.top().digest);
    assert_eq!(p.registry_digest("4.0").await, signed.digest);
    p.assert_notary_cli_agrees("4.0", signed.digest, signed.size);
}

#[tokio::test(flavor = "current_thread")]
async fn a_tag_already_in_the_registry_is_signed_from_its_manifest_without_the_image() {
    let Some(p) = Pipeline::start("signonly").await else { return };
    let (_layout, image) = p.layout_image("5.0", &[("linux", "amd64")]);
    p.ci_trust()
        .registry(&p.reference("5.0"))
        .expect("registry")
        .push(&p.reference("5.0"), &image)
        .await
        .expect("push");

    let signed = sign_registry_tag(&p.ci_trust(), &p.reference("5.0"), &SignOptions::default()).await.expect("sign");

    assert_eq!(signed.digest, image.top().digest);
    assert_eq!(signed.size, image.top().size());
    p.assert_notary_cli_agrees("5.0", signed.digest, signed.size);
}

#[tokio::test(flavor = "current_thread")]
async fn a_given_digest_and_size_are_signed_as_they_are() {
    let Some(p) = Pipeline::start("bydigest").await else { return };
    let digest = Digest::of(b"a manifest pushed elsewhere");
    let signed =
        sign_manifest(&p.ci_trust(), &p.reference("6.0"), digest, 1234, &SignOptions::default()).await.expect("sign");
    assert_eq!(signed.roles, roles(&["targets/ci", RELEASES]));
    p.assert_notary_cli_agrees("6.0", digest, 1234);
}

#[tokio::test(flavor = "current_thread")]
async fn a_repository_without_trust_data_is_refused_before_anything_is_pushed() {
    let Some(p) = Pipeline::start_uninitialised("fresh").await else { return };
    let (_layout, image) = p.layout_image("1.0", &[("linux", "amd64")]);

    let err = push_and_sign(&p.ci_trust(), &p.reference("1.0"), &image, &SignOptions::default()).await.unwrap_err();

    assert!(matches!(err, PushSignError::NotInitialized { .. }), "{err}");
    assert!(err.to_string().contains("signer add"), "says what to run: {err}");
    assert!(p.registry_manifest_status("1.0").await == 404, "nothing was pushed");
}

#[tokio::test(flavor = "current_thread")]
async fn a_new_repository_is_initialised_as_docker_push_does_and_the_tag_signed_into_targets() {
    let Some(p) = Pipeline::start_uninitialised("pushinit").await else { return };
    let (_layout, image) = p.layout_image("1.0", &[("linux", "amd64")]);
    let options = SignOptions { init: InitPolicy::AsDockerPush, ..Default::default() };

    let signed = push_and_sign(&p.ci_trust(), &p.reference("1.0"), &image, &options).await.expect("push and sign");

    assert!(signed.initialized);
    assert_eq!(signed.roles, roles(&["targets"]));
    let trusted = p.ci_trust().repository(&p.reference("1.0")).expect("repo").update().await.expect("update");
    let entry = notary_client::docker::signed_digest(&trusted, "1.0").expect("signed");
    assert_eq!(entry.role, RoleName::targets());
    assert_eq!(entry.digest, signed.digest.to_string());
}

#[tokio::test(flavor = "current_thread")]
async fn a_tag_outside_the_delegations_paths_is_refused_before_anything_is_pushed() {
    let Some(p) = Pipeline::start_with_paths("paths", &["release-"]).await else { return };
    let (_layout, image) = p.layout_image("dev-1", &[("linux", "amd64")]);

    let err = push_and_sign(&p.ci_trust(), &p.reference("dev-1"), &image, &SignOptions::default()).await.unwrap_err();

    assert!(
        matches!(&err, PushSignError::Sign(e) if matches!(**e, PublishError::PathNotAllowed { .. } | PublishError::NoSignableRole { .. })),
        "{err}"
    );
    assert!(p.registry_manifest_status("dev-1").await == 404, "nothing was pushed");
}

#[tokio::test(flavor = "current_thread")]
async fn a_wrong_repository_passphrase_is_refused_before_anything_is_pushed() {
    let Some(p) = Pipeline::start("wrongpass").await else { return };
    let (_layout, image) = p.layout_image("1.0", &[("linux", "amd64")]);

    let err = push_and_sign(
        &p.ci_trust_with_passphrase("not the passphrase"),
        &p.reference("1.0"),
        &image,
        &SignOptions::default(),
    )
    .await
    .unwrap_err();

    let text = format!("{err}");
    assert!(text.contains("passphrase"), "{text}");
    assert!(!text.contains("not the passphrase"), "the passphrase is never printed");
    assert!(p.registry_manifest_status("1.0").await == 404, "nothing was pushed");
}

#[tokio::test(flavor = "current_thread")]
async fn an_unreachable_notary_server_is_an_error_and_nothing_is_pushed() {
    let Some(p) = Pipeline::start("nonotary").await else { return };
    let (_layout, image) = p.layout_image("1.0", &[("linux", "amd64")]);

    let err =
        push_and_sign(&p.ci_trust_on("https://127.0.0.1:9"), &p.reference("1.0"), &image, &SignOptions::default())
            .await
            .unwrap_err();

    assert!(matches!(err, PushSignError::Sign(_)), "{err}");
    assert!(p.registry_manifest_status("1.0").await == 404, "nothing was pushed");
}

#[tokio::test(flavor = "current_thread")]
async fn a_push_refused_by_the_registry_signs_nothing() {
    let Some(p) = Pipeline::start("badblob").await else { return };
    let (_layout, mut image) = p.layout_image("1.0", &[("linux", "amd64")]);
    image = pipeline::with_corrupt_layer(image);

    let err = push_and_sign(&p.ci_trust(), &p.reference("1.0"), &image, &SignOptions::default()).await.unwrap_err();

    assert!(
        matches!(err, PushSignError::Registry(RegistryError::Rejected { .. } | RegistryError::Blob { .. })),
        "{err}"
    );
    let trusted = p.ci_trust().repository(&p.reference("1.0")).expect("repo").update().await.expect("update");
    assert!(notary_client::docker::signed_digest(&trusted, "1.0").is_none(), "nothing was signed");
}

#[tokio::test(flavor = "current_thread")]
async fn token_auth_on_registry_and_notary_server_works_with_the_docker_login_credentials() {
    let Some(p) = Pipeline::start_with_token_auth("tokens").await else { return };
    let (_layout, image) = p.layout_image("1.0", &[("linux", "amd64")]);

    let signed = push_and_sign(&p.ci_trust(), &p.reference("1.0"), &image, &SignOptions::default())
        .await
        .expect("push and sign");

    let manifest = p
        .ci_trust()
        .registry(&p.reference("1.0"))
        .expect("registry")
        .manifest(&p.reference("1.0"))
        .await
        .expect("manifest");
    assert_eq!(manifest.digest, signed.digest);
    let trusted = p.ci_trust().repository(&p.reference("1.0")).expect("repo").update().await.expect("update");
    assert_eq!(
        notary_client::docker::signed_digest(&trusted, "1.0").map(|d| d.digest),
        Some(signed.digest.to_string())
    );
}

#[tokio::test(flavor = "current_thread")]
async fn token_auth_without_credentials_is_refused_and_nothing_is_signed() {
    let Some(p) = Pipeline::start_with_token_auth("anon").await else { return };
    let (_layout, image) = p.layout_image("1.0", &[("linux", "amd64")]);

    let err =
        push_and_sign(&p.ci_trust_anonymous(), &p.reference("1.0"), &image, &SignOptions::default()).await.unwrap_err();

    assert!(
        matches!(err, PushSignError::Sign(_) | PushSignError::Registry(RegistryError::Unauthorized { .. })),
        "{err}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn skopeo_copies_the_pushed_image_back_with_the_same_digests() {
    let Some(p) = Pipeline::start("skopeo").await else { return };
    if !pipeline::skopeo_installed() {
        return;
    }
    let (_layout, image) = p.layout_image("1.0", &[("linux", "amd64"), ("linux", "arm64")]);
    let signed = push_and_sign(&p.ci_trust(), &p.reference("1.0"), &image, &SignOptions::default())
        .await
        .expect("push and sign");

    let copied = p.skopeo_copy_back("1.0");
    let back = Image::from_oci_layout(copied.path(), None).expect("skopeo's layout");
    assert_eq!(back.top().digest, signed.digest, "skopeo preserved the signed manifest");
    let ours: Vec<Digest> = image.blobs().map(|b| b.digest).collect();
    let theirs: Vec<Digest> = back.blobs().map(|b| b.digest).collect();
    assert_eq!(theirs, ours);
}
