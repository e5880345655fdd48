//! Image references (`alpine:3.19`, `localhost:5000/team/app@sha256:…`) and the GUN Docker
//! derives from them, following docker/distribution's `reference.ParseNormalizedNamed`.
//!
//! The grammar, written by hand (no regex engine):
//!
//! ```text
//! reference       := name [ ":" tag ] [ "@" digest ]
//! name            := [ domain "/" ] path-component ( "/" path-component )*
//! domain          := host [ ":" port ]       host := label ( "." label )*
//! label           := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//! path-component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//! tag             := [\w][\w.-]{0,127}
//! digest          := algorithm ":" hex       (sha256: 64, sha384: 96, sha512: 128 lower-case hex)
//! ```
//!
//! Normalisation (`splitDockerDomain`): the first `/`-separated element is the registry domain
//! if it is `localhost`, contains `.` or `:`, or contains upper-case letters; otherwise the
//! domain is `docker.io`. `index.docker.io` becomes `docker.io`, and a one-element Docker Hub
//! path gets the `library/` prefix. A name without `/` is always a Docker Hub name, so
//! `localhost:5000` is the repository `docker.io/library/localhost` with tag `5000`, as in Go.

use std::fmt;
use std::str::FromStr;

use crate::metadata::{Gun, clip};

/// Docker Hub's canonical domain.
pub(crate) const DOCKER_HUB_DOMAIN: &str = "docker.io";
/// Docker Hub's legacy domain, normalised to [`DOCKER_HUB_DOMAIN`].
pub(crate) const LEGACY_DOCKER_HUB_DOMAIN: &str = "index.docker.io";
/// Prefix of Docker Hub's official images.
const OFFICIAL_PREFIX: &str = "library/";
/// Longest normalised name (`domain/path`), distribution's `NameTotalLengthMax`.
const NAME_MAX: usize = 255;
/// Longest tag.
const TAG_MAX: usize = 128;

/// What is wrong with an image reference. Every variant names the (clipped) input.
///
/// ```
/// use notary_client::docker::{ImageReference, ReferenceError};
/// let err = ImageReference::parse("Alpine").unwrap_err();
/// assert!(matches!(err, ReferenceError::Uppercase { .. }));
/// assert_eq!(err.to_string(), r#"invalid image reference "Alpine": repository name must be lowercase"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The input is empty.
    #[error("invalid image reference: the reference is empty")]
    Empty,
    /// 64 hexadecimal characters: an image ID, which Docker refuses as a repository name.
    #[error(
        "invalid image reference {input:?}: a 64-character hexadecimal string is an image ID, not a repository name"
    )]
    HexIdentifier {
        /// The input.
        input: String,
    },
    /// The repository path has upper-case letters.
    #[error("invalid image reference {input:?}: repository name must be lowercase")]
    Uppercase {
        /// The input.
        input: String,
    },
    /// The registry domain is not `host[:port]` with DNS-style labels.
    #[error(
        "invalid image reference {input:?}: registry {domain:?} is not a host name or IPv4 address with an optional :port"
    )]
    InvalidDomain {
        /// The input.
        input: String,
        /// The domain part.
        domain: String,
    },
    /// A bracketed IPv6 registry (`[::1]:5000/app`): valid for Docker, but `[` and `]` cannot
    /// appear in a notary GUN (a path in the trust directory and on the server).
    #[error(
        "invalid image reference {input:?}: IPv6 registry address {domain} cannot be part of a notary GUN; use a host name"
    )]
    Ipv6Domain {
        /// The input.
        input: String,
        /// The domain part.
        domain: String,
    },
    /// A repository path component breaks the grammar (empty, bad separator, bad character).
    #[error(
        "invalid image reference {input:?}: path component {component:?} must be lower-case letters and digits separated by '.', '_', '__' or dashes"
    )]
    InvalidPathComponent {
        /// The input.
        input: String,
        /// The offending component (empty for `a//b` or a trailing `/`).
        component: String,
    },
    /// The tag is not `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    #[error(
        "invalid image reference {input:?}: tag {tag:?} must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
    )]
    InvalidTag {
        /// The input.
        input: String,
        /// The tag part.
        tag: String,
    },
    /// The digest is malformed or uses an unknown algorithm.
    #[error("invalid image reference {input:?}: digest {digest:?} {reason}")]
    InvalidDigest {
        /// The input.
        input: String,
        /// The digest part.
        digest: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The normalised name (`domain/path`) is longer than 255 characters.
    #[error("invalid image reference {input:?}: repository name is {len} characters long, more than 255")]
    NameTooLong {
        /// The input.
        input: String,
        /// Length of the normalised name.
        len: usize,
    },
}

/// A parsed, normalised image reference.
///
/// ```
/// use notary_client::docker::ImageReference;
/// let r = ImageReference::parse("alpine:3.19")?;
/// assert_eq!(r.domain(), "docker.io");
/// assert_eq!(r.path(), "library/alpine");
/// assert_eq!(r.name(), "docker.io/library/alpine");
/// assert_eq!(r.familiar_name(), "alpine");
/// assert_eq!(r.tag(), Some("3.19"));
/// assert_eq!(r.gun().as_str(), "docker.io/library/alpine");
///
/// let r = ImageReference::parse("localhost:5000/team/app:1.2")?;
/// assert_eq!(r.gun().as_str(), "localhost:5000/team/app");
/// # Ok::<(), notary_client::docker::ReferenceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageReference {
    /// `domain/path`, validated as a GUN.
    name: Gun,
    /// Length of the domain prefix of `name`.
    domain_len: usize,
    tag: Option<String>,
    digest: Option<String>,
}

impl ImageReference {
    /// Parses and normalises a reference as `docker pull` / `docker trust` do.
    ///
    /// ```
    /// use notary_client::docker::ImageReference;
    /// assert_eq!(ImageReference::parse("user/app")?.name(), "docker.io/user/app");
    /// assert_eq!(ImageReference::parse("index.docker.io/x")?.name(), "docker.io/library/x");
    /// assert!(ImageReference::parse("user/App").is_err());
    /// # Ok::<(), notary_client::docker::ReferenceError>(())
    /// ```
    pub fn parse(input: &str) -> Result<ImageReference, ReferenceError> {
        let err_input = || clip(input);
        if input.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if input.len() == 64 && input.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ReferenceError::HexIdentifier { input: err_input() });
        }
        let (name_and_tag, digest) = match input.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (input, None),
        };
        let (domain, remainder) = split_docker_domain(name_and_tag);
        let (path, tag) = match remainder.split_once(':') {
            Some((path, tag)) => (path, Some(tag)),
            None => (remainder.as_str(), None),
        };
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ReferenceError::Uppercase { input: err_input() });
        }
        check_domain(domain).map_err(|ipv6| {
            let domain = clip(domain);
            if ipv6 {
                ReferenceError::Ipv6Domain { input: err_input(), domain }
            } else {
                ReferenceError::InvalidDomain { input: err_input(), domain }
            }
        })?;
        if let Some(component) = path.split('/').find(|c| !is_path_component(c)) {
            return Err(ReferenceError::InvalidPathComponent { input: err_input(), component: clip(component) });
        }
        if let Some(tag) = tag.filter(|t| !is_tag(t)) {
            return Err(ReferenceError::InvalidTag { input: err_input(), tag: clip(tag) });
        }
        if let Some(digest) = digest {
            check_digest(digest).map_err(|reason| ReferenceError::InvalidDigest {
                input: err_input(),
                digest: clip(digest),
                reason,
            })?;
        }
        let name = format!("{domain}/{path}");
        if name.len() > NAME_MAX {
            return Err(ReferenceError::NameTooLong { input: err_input(), len: name.len() });
        }
        // The grammar above only admits GUN characters; this cannot fail, but stays fallible.
        let name =
            Gun::new(name).map_err(|_| ReferenceError::InvalidDomain { input: err_input(), domain: clip(domain) })?;
        Ok(ImageReference {
            name,
            domain_len: domain.len(),
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
        })
    }

    /// The registry domain, `host[:port]`; `docker.io` for Docker Hub.
    ///
    /// ```
    /// # use notary_client::docker::ImageReference;
    /// assert_eq!(ImageReference::parse("alpine")?.domain(), "docker.io");
    /// assert_eq!(ImageReference::parse("ghcr.io/o/app")?.domain(), "ghcr.io");
    /// # Ok::<(), notary_client::docker::ReferenceError>(())
    /// ```
    pub fn domain(&self) -> &str {
        &self.name.as_str()[..self.domain_len]
    }

    /// The repository path within the registry (`library/alpine`).
    ///
    /// ```
    /// # use notary_client::docker::ImageReference;
    /// assert_eq!(ImageReference::parse("alpine")?.path(), "library/alpine");
    /// # Ok::<(), notary_client::docker::ReferenceError>(())
    /// ```
    pub fn path(&self) -> &str {
        &self.name.as_str()[self.domain_len + 1..]
    }

    /// The full normalised name, `domain/path` (`docker.io/library/alpine`).
    ///
    /// ```
    /// # use notary_client::docker::ImageReference;
    /// assert_eq!(ImageReference::parse("alpine:3")?.name(), "docker.io/library/alpine");
    /// # Ok::<(), notary_client::docker::ReferenceError>(())
    /// ```
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The tag, if one was given (no default is applied).
    ///
    /// ```
    /// # use notary_client::docker::ImageReference;
    /// assert_eq!(ImageReference::parse("alpine:3.19")?.tag(), Some("3.19"));
    /// assert_eq!(ImageReference::parse("alpine")?.tag(), None);
    /// # Ok::<(), notary_client::docker::ReferenceError>(())
    /// ```
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The tag, or `latest` when none was given: the target name Docker looks up in the trust
    /// data (`targets/releases`, then `targets`; spec §6.8).
    ///
    /// ```
    /// # use notary_client::docker::ImageReference;
    /// assert_eq!(ImageReference::parse("alpine")?.tag_or_latest(), "latest");
    /// # Ok::<(), notary_client::docker::ReferenceError>(())
    /// ```
    pub fn tag_or_latest(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }

    /// The digest (`sha256:<64 hex>`), if one was given.
    ///
    /// ```
    /// # use notary_client::docker::ImageReference;
    /// let hex = "a".repeat(64);
    /// let r = ImageReference::parse(&format!("alpine@sha256:{hex}"))?;
    /// assert_eq!(r.digest(), Some(format!("sha256:{hex}").as_str()));
    /// # Ok::<(), notary_client::docker::ReferenceError>(())
    /// ```
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The notary GUN of the repository: the full normalised name.
    ///
    /// ```
    /// # use notary_client::docker::ImageReference;
    /// assert_eq!(ImageReference::parse("user/app:1")?.gun().as_str(), "docker.io/user/app");
    /// # Ok::<(), notary_client::docker::ReferenceError>(())
    /// ```
    pub fn gun(&self) -> Gun {
        self.name.clone()
    }

    /// The name as Docker shows it: without `docker.io/` and, on Docker Hub, without
    /// `library/` (distribution's `FamiliarName`).
    ///
    /// ```
    /// # use notary_client::docker::ImageReference;
    /// assert_eq!(ImageReference::parse("docker.io/library/alpine")?.familiar_name(), "alpine");
    /// assert_eq!(ImageReference::parse("user/app")?.familiar_name(), "user/app");
    /// assert_eq!(ImageReference::parse("localhost:5000/app")?.familiar_name(), "localhost:5000/app");
    /// # Ok::<(), notary_client::docker::ReferenceError>(())
    /// ```
    pub fn familiar_name(&self) -> &str {
        if self.domain() == DOCKER_HUB_DOMAIN {
            let path = self.path();
            path.strip_prefix(OFFICIAL_PREFIX).unwrap_or(path)
        } else {
            self.name()
        }
    }
}

/// The normalised reference, `domain/path[:tag][@digest]`.
///
/// ```
/// # use notary_client::docker::ImageReference;
/// assert_eq!(ImageReference::parse("alpine:3")?.to_string(), "docker.io/library/alpine:3");
/// # Ok::<(), notary_client::docker::ReferenceError>(())
/// ```
impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Same as [`ImageReference::parse`].
///
/// ```
/// # use notary_client::docker::ImageReference;
/// let r: ImageReference = "alpine".parse()?;
/// assert_eq!(r.name(), "docker.io/library/alpine");
/// # Ok::<(), notary_client::docker::ReferenceError>(())
/// ```
impl FromStr for ImageReference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageReference::parse(s)
    }
}

/// distribution's `splitDockerDomain`: `(domain, path[:tag])`.
fn split_docker_domain(name: &str) -> (&str, String) {
    let Some((first, rest)) = name.split_once('/') else {
        return (DOCKER_HUB_DOMAIN, format!("{OFFICIAL_PREFIX}{name}"));
    };
    let (domain, remainder) = if first == LEGACY_DOCKER_HUB_DOMAIN {
        (DOCKER_HUB_DOMAIN, rest)
    } else if first == "localhost" || first.contains(['.', ':']) || first.bytes().any(|b| b.is_ascii_uppercase()) {
        (first, rest)
    } else {
        (DOCKER_HUB_DOMAIN, name)
    };
    if domain == DOCKER_HUB_DOMAIN && !remainder.contains('/') {
        (domain, format!("{OFFICIAL_PREFIX}{remainder}"))
    } else {
        (domain, remainder.to_owned())
    }
}

/// `host[:port]`; `Err(true)` for a bracketed IPv6 host, `Err(false)` for anything else invalid.
fn check_domain(domain: &str) -> Result<(), bool> {
    if domain.starts_with('[') {
        return Err(true);
    }
    let (host, port) = match domain.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        match (b.first(), b.last()) {
            (Some(first), Some(last)) => {
                first.is_ascii_alphanumeric()
                    && last.is_ascii_alphanumeric()
                    && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            }
            _ => false,
        }
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if host.split('.').all(label_ok) && port_ok { Ok(()) } else { Err(false) }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn is_path_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = c.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else { return false };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    // Every maximal run of separators must be ".", "_", "__" or dashes only.
    let mut run_start = None;
    for (i, &b) in bytes.iter().enumerate() {
        if alnum(b) {
            if let Some(start) = run_start.take() {
                let sep = &c[start..i];
                if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|s| s == b'-')) {
                    return false;
                }
            }
        } else if matches!(b, b'.' | b'_' | b'-') {
            run_start.get_or_insert(i);
        } else {
            return false;
        }
    }
    true
}

/// `[\w][\w.-]{0,127}`
fn is_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    bytes.len() <= TAG_MAX
        && bytes.first().is_some_and(|&b| word(b))
        && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-')
}

/// distribution's digest grammar, then go-digest's `Validate` (known algorithm, exact length,
/// lower-case hex).
fn check_digest(digest: &str) -> Result<(), &'static str> {
    const FORMAT: &str = "must be <algorithm>:<hex>, e.g. sha256: and 64 hexadecimal digits";
    let (algorithm, hex) = digest.split_once(':').ok_or(FORMAT)?;
    let algorithm_ok = algorithm.split(['-', '_', '+', '.']).all(|part| {
        let b = part.as_bytes();
        b.first().is_some_and(u8::is_ascii_alphabetic) && b.iter().all(u8::is_ascii_alphanumeric)
    });
    if !algorithm_ok || hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(FORMAT);
    }
    let expected = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err("uses an unsupported algorithm (sha256, sha384 or sha512)"),
    };
    if hex.len() != expected {
        return Err("has the wrong length for its algorithm");
    }
    if hex.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err("must use lower-case hexadecimal digits");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ImageReference {
        match ImageReference::parse(s) {
            Ok(r) => r,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn err(s: &str) -> ReferenceError {
        match ImageReference::parse(s) {
            Ok(r) => panic!("{s:?} should be rejected, got {r}"),
            Err(e) => e,
        }
    }

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn bare_name_gets_docker_io_library() {
        let r = parse("alpine");
        assert_eq!((r.domain(), r.path(), r.name()), ("docker.io", "library/alpine", "docker.io/library/alpine"));
        assert_eq!(r.gun().as_str(), "docker.io/library/alpine");
        assert_eq!((r.tag(), r.digest()), (None, None));
    }

    #[test]
    fn bare_name_with_tag_keeps_the_tag_out_of_the_gun() {
        let r = parse("alpine:3.19");
        assert_eq!(r.gun().as_str(), "docker.io/library/alpine");
        assert_eq!(r.tag(), Some("3.19"));
        assert_eq!(r.to_string(), "docker.io/library/alpine:3.19");
    }

    #[test]
    fn user_repository_gets_docker_io_only() {
        let r = parse("user/app");
        assert_eq!(r.gun().as_str(), "docker.io/user/app");
        assert_eq!(r.familiar_name(), "user/app");
    }

    #[test]
    fn localhost_with_port_is_a_domain() {
        let r = parse("localhost:5000/app");
        assert_eq!((r.domain(), r.path()), ("localhost:5000", "app"));
        assert_eq!(r.gun().as_str(), "localhost:5000/app");
        assert_eq!(r.familiar_name(), "localhost:5000/app");
    }

    #[test]
    fn bare_localhost_is_a_domain() {
        assert_eq!(parse("localhost/app").domain(), "localhost");
    }

    #[test]
    fn single_element_with_port_is_a_docker_hub_name_with_a_tag() {
        // Go's FIXME: "localhost:5000" alone is docker.io/library/localhost, tag 5000.
        let r = parse("localhost:5000");
        assert_eq!((r.name(), r.tag()), ("docker.io/library/localhost", Some("5000")));
    }

    #[test]
    fn host_port_namespace_and_tag() {
        let r = parse("registry.example.com:443/ns/app:1.2");
        assert_eq!(r.gun().as_str(), "registry.example.com:443/ns/app");
        assert_eq!((r.domain(), r.path(), r.tag()), ("registry.example.com:443", "ns/app", Some("1.2")));
    }

    #[test]
    fn index_docker_io_is_normalised_to_docker_io() {
        assert_eq!(parse("index.docker.io/x").name(), "docker.io/library/x");
        assert_eq!(parse("index.docker.io/user/x").name(), "docker.io/user/x");
        assert_eq!(parse("docker.io/x").name(), "docker.io/library/x");
    }

    #[test]
    fn library_prefix_is_added_only_on_docker_hub() {
        assert_eq!(parse("ghcr.io/app").name(), "ghcr.io/app");
        assert_eq!(parse("docker.io/library/alpine").name(), "docker.io/library/alpine");
    }

    #[test]
    fn first_component_without_dot_or_colon_is_a_namespace() {
        let r = parse("team/sub/app");
        assert_eq!((r.domain(), r.path()), ("docker.io", "team/sub/app"));
    }

    #[test]
    fn uppercase_first_component_is_a_domain() {
        let r = parse("Registry/app");
        assert_eq!((r.domain(), r.path()), ("Registry", "app"));
    }

    #[test]
    fn uppercase_repository_is_rejected() {
        for input in ["Alpine", "user/App", "localhost:5000/App:tag", "docker.io/Library/x"] {
            assert!(matches!(err(input), ReferenceError::Uppercase { .. }), "{input}");
        }
        assert!(err("user/App").to_string().contains("repository name must be lowercase"));
    }

    #[test]
    fn uppercase_tag_is_allowed() {
        assert_eq!(parse("alpine:Latest_V1").tag(), Some("Latest_V1"));
    }

    #[test]
    fn familiar_name_strips_docker_io_and_library() {
        assert_eq!(parse("docker.io/library/alpine:3").familiar_name(), "alpine");
        assert_eq!(parse("docker.io/library/a/b").familiar_name(), "a/b");
        assert_eq!(parse("ghcr.io/library/a").familiar_name(), "ghcr.io/library/a");
    }

    #[test]
    fn digest_is_parsed() {
        let r = parse(&format!("alpine@sha256:{HEX}"));
        assert_eq!(r.digest(), Some(format!("sha256:{HEX}").as_str()));
        assert_eq!(r.tag(), None);
        let r = parse(&format!("localhost:5000/app:v1@sha256:{HEX}"));
        assert_eq!((r.name(), r.tag()), ("localhost:5000/app", Some("v1")));
        assert_eq!(r.to_string(), format!("localhost:5000/app:v1@sha256:{HEX}"));
    }

    #[test]
    fn sha512_digest_is_accepted() {
        let hex = "ab".repeat(64);
        assert!(parse(&format!("alpine@sha512:{hex}")).digest().is_some());
    }

    #[test]
    fn malformed_digests_are_rejected() {
        for digest in ["sha256", "sha256:abc", &format!("sha256:{}", &HEX[..63]), &format!("md5:{HEX}")] {
            let input = format!("alpine@{digest}");
            assert!(matches!(err(&input), ReferenceError::InvalidDigest { .. }), "{input}");
        }
        let upper = format!("alpine@sha256:{}", HEX.to_uppercase());
        assert!(err(&upper).to_string().contains("lower-case"), "{}", err(&upper));
        assert!(err(&format!("alpine@md5:{HEX}")).to_string().contains("unsupported algorithm"));
        assert!(matches!(err("alpine@"), ReferenceError::InvalidDigest { .. }));
        assert!(matches!(err(&format!("a@sha256:{HEX}@x")), ReferenceError::InvalidDigest { .. }));
    }

    #[test]
    fn hex_identifier_is_rejected() {
        assert!(matches!(err(HEX), ReferenceError::HexIdentifier { .. }));
        // With a namespace it is an ordinary name.
        assert_eq!(parse(&format!("user/{HEX}")).path(), format!("user/{HEX}"));
    }

    #[test]
    fn empty_input_is_rejected() {
        assert_eq!(err(""), ReferenceError::Empty);
    }

    #[test]
    fn tag_rules() {
        assert!(parse("a:_x").tag().is_some());
        assert!(parse(&format!("a:{}", "t".repeat(128))).tag().is_some());
        for bad in ["a:", "a:.x", "a:-x", "a:x/y", "a:x:y", "a:x y"] {
            assert!(
                matches!(err(bad), ReferenceError::InvalidTag { .. } | ReferenceError::InvalidDomain { .. }),
                "{bad}"
            );
        }
        assert!(matches!(err(&format!("a:{}", "t".repeat(129))), ReferenceError::InvalidTag { .. }));
    }

    #[test]
    fn path_component_separators() {
        for ok in ["a.b", "a_b", "a__b", "a-b", "a---b", "a.b-c_d__e", "0", "a1"] {
            assert!(is_path_component(ok), "{ok}");
        }
        for bad in ["", "a..b", "a___b", "a._b", "a-.b", ".a", "a.", "-a", "a-", "_a", "a b", "a+b"] {
            assert!(!is_path_component(bad), "{bad:?}");
        }
    }

    #[test]
    fn invalid_path_component_names_the_component() {
        match err("user/a..b") {
            ReferenceError::InvalidPathComponent { component, .. } => assert_eq!(component, "a..b"),
            other => panic!("{other}"),
        }
        assert!(matches!(err("user//app"), ReferenceError::InvalidPathComponent { .. }));
        assert!(matches!(err("user/app/"), ReferenceError::InvalidPathComponent { .. }));
    }

    #[test]
    fn invalid_domains_are_rejected() {
        for bad in ["-bad.com/app", "bad-.com/app", "a..com/app", "host:/app", "host:80x/app", "foo_bar.com/app"] {
            assert!(matches!(err(bad), ReferenceError::InvalidDomain { .. }), "{bad}");
        }
    }

    #[test]
    fn ipv4_and_uppercase_domains_are_accepted() {
        assert_eq!(parse("127.0.0.1:5000/app").gun().as_str(), "127.0.0.1:5000/app");
        assert_eq!(parse("Example.COM/app").domain(), "Example.COM");
    }

    #[test]
    fn ipv6_domain_cannot_be_a_gun() {
        let e = err("[::1]:5000/app");
        assert!(matches!(e, ReferenceError::Ipv6Domain { .. }), "{e}");
        assert!(e.to_string().contains("GUN"));
    }

    #[test]
    fn name_longer_than_255_is_rejected() {
        let ok = format!("ns/{}", "a".repeat(255 - "docker.io/ns/".len()));
        assert_eq!(parse(&ok).name().len(), 255);
        let long = format!("ns/{}", "a".repeat(256 - "docker.io/ns/".len()));
        assert_eq!(err(&long), ReferenceError::NameTooLong { input: clip(&long), len: 256 });
    }

    #[test]
    fn errors_name_the_input() {
        let e = err("user/a..b:tag");
        assert!(e.to_string().contains("\"user/a..b:tag\""), "{e}");
    }

    #[test]
    fn tag_or_latest_defaults() {
        assert_eq!(parse("alpine").tag_or_latest(), "latest");
        assert_eq!(parse("alpine:edge").tag_or_latest(), "edge");
    }

    #[test]
    fn from_str_matches_parse() {
        assert_eq!("alpine".parse::<ImageReference>(), ImageReference::parse("alpine"));
    }
}
