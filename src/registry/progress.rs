//! Upload progress callbacks.
