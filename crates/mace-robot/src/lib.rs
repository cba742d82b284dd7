//! Placeholder: this crate is filled by its own issue.
