//! GUNs (Globally Unique Names): the repository name a trust collection belongs to, e.g.
//! `docker.io/library/alpine` or `localhost:5000/team/app`.

use std::fmt;

use super::MetadataError;

/// A validated GUN.
///
/// GUNs become directory paths in the trust directory (`tuf/<GUN>/metadata`) and URL paths on
/// the server (`/v2/<GUN>/_trust/tuf/`), so validation is strict: 1–255 bytes of ASCII letters,
/// digits and `. _ - : /` (Docker reference characters), `/`-separated components that are
/// neither empty nor `.`/`..`, no leading or trailing `/`.
///
/// ```
/// use notary_client::metadata::Gun;
/// assert_eq!(Gun::new("docker.io/library/alpine").unwrap().as_str(), "docker.io/library/alpine");
/// assert!(Gun::new("../../etc").is_err());
/// assert!(Gun::new("/abs/path").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gun(String);

/// Longest GUN accepted (Docker's reference name limit).
const MAX_LEN: usize = 255;

impl Gun {
    /// Validates a GUN.
    pub fn new(gun: impl Into<String>) -> Result<Self, MetadataError> {
        let gun = gun.into();
        if is_valid(&gun) { Ok(Gun(gun)) } else { Err(MetadataError::InvalidGun { gun: super::error::clip(&gun) }) }
    }

    /// The GUN as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The GUN's `/`-separated components, each safe to use as a path component.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

fn is_valid(gun: &str) -> bool {
    !gun.is_empty()
        && gun.len() <= MAX_LEN
        && gun.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':' | b'/'))
        && gun.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

impl fmt::Display for Gun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Gun {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Gun {
    type Err = MetadataError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Gun::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_ports_and_nested_names_are_gun_characters() {
        assert!(Gun::new("localhost:5000/fixtures/client-snap").is_ok());
        assert!(Gun::new("docker.com/notary0.3/tst").is_ok());
        assert!(Gun::new("Registry.Example.COM/App_1").is_ok());
    }

    #[test]
    fn traversal_and_absolute_names_are_refused() {
        for bad in ["..", "a/../b", "a/./b", "/a", "a/", "a//b", "", "a\\b", "a\0b", "a b", "ü/x", "a/\n"] {
            assert!(Gun::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn overlong_names_are_refused() {
        assert!(Gun::new("a".repeat(256)).is_err());
        assert!(Gun::new("a".repeat(255)).is_ok());
    }
}
