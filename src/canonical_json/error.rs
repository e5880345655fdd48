use thiserror::Error;

/// Why a value has no canonical JSON form, or a byte string is not acceptable JSON.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CanonicalJsonError {
    /// A number that is not an integer; canonical JSON has integers only.
    #[error("number {0} is not an integer; canonical JSON allows integers only")]
    NonIntegral(String),
    /// An integer beyond the range Go round-trips exactly through float64 (±2^53).
    #[error("number {0} is outside ±2^53 and cannot be verified exactly as Go does")]
    OutOfRange(String),
    /// A string containing a control character (U+0000..U+001F), which Go cannot write into
    /// a metadata file.
    #[error("string contains control character U+{0:04X}, which notary cannot write")]
    ControlCharacter(u32),
    /// Input that is not a single valid JSON value (with the parser's position).
    #[error("invalid JSON: {0}")]
    Syntax(String),
}
