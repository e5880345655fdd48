//! Errors as the docker CLI reports them: one line on stderr — the message, then each cause
//! not already part of it, joined with `": "` as Go's wrapped errors read
//! (`failed to sign app:1: wrong passphrase for key …`) — and exit status 1.
//!
//! Docker 28 prints the bare message (no `Error:` prefix); a few of its notary errors start
//! with `Error:` themselves. The examples print their messages the same way.

use std::error::Error;
use std::fmt;
use std::process::ExitCode;

/// A boxed error that can cross threads.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// `error` followed by its `source()` chain, skipping causes whose text the message already
/// contains (many errors embed their cause in their own message).
pub fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

/// Prints `error` (with its causes) to stderr and returns exit status 1.
pub fn report(error: &(dyn Error + 'static)) -> ExitCode {
    eprintln!("{}", chain(error));
    ExitCode::from(1)
}

/// An example's own error: a message, an optional cause and the exit status to end with.
#[derive(Debug)]
pub struct Failure {
    message: String,
    source: Option<BoxError>,
    code: u8,
}

impl Failure {
    /// A failure with exit status 1.
    pub fn new(message: impl Into<String>) -> Self {
        Failure { message: message.into(), source: None, code: 1 }
    }

    /// A failure with exit status 1 caused by `source`.
    pub fn caused_by(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Failure { message: message.into(), source: Some(source.into()), code: 1 }
    }

    /// `source` itself, exit status 1.
    pub fn from_error(source: impl Into<BoxError>) -> Self {
        let source = source.into();
        Failure { message: chain(&*source), source: None, code: 1 }
    }

    /// The user declined a confirmation: nothing printed, exit status 0 (as docker's
    /// cancelled prompts).
    pub fn cancelled() -> Self {
        Failure { message: String::new(), source: None, code: 0 }
    }

    /// The same failure ending with exit status `code`.
    pub fn with_code(mut self, code: u8) -> Self {
        self.code = code;
        self
    }

    /// The exit status.
    pub fn code(&self) -> u8 {
        self.code
    }

    /// Prints the failure (if it has a message) to stderr and returns its exit status.
    pub fn exit(&self) -> ExitCode {
        if !self.message.is_empty() {
            eprintln!("{}", chain(self));
        }
        ExitCode::from(self.code)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for Failure {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

/// `.context("what failed")` on results: the error becomes the cause of a [`Failure`].
pub trait Context<T> {
    /// Wraps the error as the cause of `message`.
    fn context(self, message: impl Into<String>) -> Result<T, Failure>;
    /// Wraps the error as the cause of the message `message()` builds.
    fn with_context<S: Into<String>>(self, message: impl FnOnce() -> S) -> Result<T, Failure>;
}

impl<T, E: Into<BoxError>> Context<T> for Result<T, E> {
    fn context(self, message: impl Into<String>) -> Result<T, Failure> {
        self.map_err(|e| Failure::caused_by(message, e))
    }

    fn with_context<S: Into<String>>(self, message: impl FnOnce() -> S) -> Result<T, Failure> {
        self.map_err(|e| Failure::caused_by(message(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        let inner = std::io::Error::other("disk full");
        let f = Failure::caused_by("cannot write x", inner);
        assert_eq!(chain(&f), "cannot write x: disk full");
        let f = Failure::caused_by("cannot write x: disk full", std::io::Error::other("disk full"));
        assert_eq!(chain(&f), "cannot write x: disk full");
    }
}
