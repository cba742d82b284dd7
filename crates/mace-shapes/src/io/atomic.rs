//! File access of the readers and writers, through the workspace's one write path
//! ([`mace_core::fs`]): atomic writes that replace an existing file only when asked, reads of
//! regular files only, with their size checked before reading.

use std::path::Path;

use crate::error::Result;

/// Largest point-cloud or mesh file read, bytes (2 GiB: tens of millions of points).
pub(crate) const MAX_FILE_BYTES: u64 = 2 << 30;

/// Writes `bytes` to `path` atomically; an existing file is replaced only with `force`.
///
/// # Errors
/// [`crate::Error::File`] naming `path`.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    Ok(mace_core::fs::write_file(path, bytes, force)?)
}

/// Reads a whole regular file of at most [`MAX_FILE_BYTES`].
///
/// # Errors
/// [`crate::Error::File`] naming `path`.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    Ok(mace_core::fs::read_file(path, MAX_FILE_BYTES)?)
}
