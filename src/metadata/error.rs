use super::RoleName;
use crate::canonical_json::CanonicalJsonError;

/// A metadata file that cannot be parsed, is structurally invalid, or cannot be serialised.
///
/// Every variant names the role (file) concerned; parse errors also name the JSON field path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// A role name that is neither a base role nor a valid delegation name.
    #[error("invalid role name {name:?}: expected root, targets, snapshot, timestamp or targets/<[-a-z0-9_/]>")]
    InvalidRoleName {
        /// The rejected name.
        name: String,
    },
    /// A GUN that cannot safely name a repository directory or URL.
    #[error(
        "invalid GUN {gun:?}: expected `/`-separated names of ASCII letters, digits and `._-:` (no empty, `.` or `..` parts, at most 255 bytes)"
    )]
    InvalidGun {
        /// The rejected GUN.
        gun: String,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("{role}.json: at `{path}`: {message}")]
    Parse {
        /// The role whose file failed.
        role: String,
        /// JSON path of the offending field (`signed.targets.x.length`), or `.` for the file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// `signed._type` is not the one this role requires.
    #[error("{role}.json: signed._type is {found:?}, expected {expected:?}")]
    WrongType {
        /// The role whose file failed.
        role: String,
        /// Expected `_type`.
        expected: &'static str,
        /// Found `_type`.
        found: String,
    },
    /// Parsed, but violates notary's structural rules (thresholds, missing roles, keys...).
    #[error("{role}.json: {message}")]
    Invalid {
        /// The role whose file failed.
        role: String,
        /// What is wrong.
        message: String,
    },
    /// The body has no canonical JSON form (a non-integer, a control character...).
    #[error("{role}.json: {source}")]
    Canonical {
        /// The role concerned.
        role: String,
        /// The canonical JSON error.
        source: CanonicalJsonError,
    },
}

impl MetadataError {
    pub(crate) fn invalid(role: &RoleName, message: impl Into<String>) -> Self {
        MetadataError::Invalid { role: role.to_string(), message: message.into() }
    }

    pub(crate) fn canonical(role: &RoleName, source: CanonicalJsonError) -> Self {
        MetadataError::Canonical { role: role.to_string(), source }
    }
}

/// Echoed input in error messages is cut to this many characters: a hostile 50 MB string must
/// not become a 50 MB error message.
pub(crate) const ECHO_LIMIT: usize = 100;

/// `s`, or its first [`ECHO_LIMIT`] characters followed by how much was cut.
pub(crate) fn clip(s: &str) -> String {
    clip_to(s, ECHO_LIMIT)
}

/// `s`, or its first `limit` characters followed by how much was cut.
pub(crate) fn clip_to(s: &str, limit: usize) -> String {
    match s.char_indices().nth(limit) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…({} bytes in all)", &s[..i], s.len()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_input_is_clipped_in_errors() {
        let e = super::super::RoleName::new("x".repeat(1 << 20)).unwrap_err().to_string();
        assert!(e.len() < 400, "{}", e.len());
        assert!(e.contains("1048576 bytes in all"));
    }
}
