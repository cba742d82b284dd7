//! Writing results for machines: JSON files written atomically.

use std::path::Path;

use anyhow::Context;

/// Writes `value` as pretty JSON to `path` atomically (temporary file in the same folder, then
/// rename), creating the parent folder if needed.
pub(crate) fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).context("serialising JSON")?;
    write_atomic(path, text.as_bytes())
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that a reader never sees a
/// half-written file and an interrupted run leaves the old file intact.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating folder {}", dir.display()))?;
    }
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

/// Prints `value` as JSON to stdout when `dest` is `-`, else writes it to the file `dest`.
pub(crate) fn emit_json<T: serde::Serialize>(dest: &Path, value: &T) -> anyhow::Result<()> {
    if dest == Path::new("-") {
        println!(
            "{}",
            serde_json::to_string_pretty(value).context("serialising JSON")?
        );
        Ok(())
    } else {
        write_json(dest, value)
    }
}
