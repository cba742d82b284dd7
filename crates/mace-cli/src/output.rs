//! Writing results: JSON for machines (to stdout or a file), text files, results folders — all
//! through `mace_core::fs`, so nothing is half-written and nothing existing is replaced without
//! `--force`.

use std::path::Path;

use anyhow::Context;
use mace_core::fs::{write_file, OutputDir, Staging};

/// Writes `value` as pretty JSON to the file `path` (replacing an existing file only with
/// `force`).
pub(crate) fn write_json<T: serde::Serialize + ?Sized>(
    path: &Path,
    value: &T,
    force: bool,
) -> anyhow::Result<()> {
    Ok(mace_core::fs::write_json(path, value, force)?)
}

/// Writes `text` to the file `path` (replacing an existing file only with `force`).
pub(crate) fn write_text(path: &Path, text: &str, force: bool) -> anyhow::Result<()> {
    Ok(write_file(path, text.as_bytes(), force)?)
}

/// Prints `value` as one line of JSON to stdout when `dest` is `-`, else writes it (pretty) to
/// the file `dest`.
pub(crate) fn emit_json<T: serde::Serialize + ?Sized>(
    dest: &Path,
    value: &T,
    force: bool,
) -> anyhow::Result<()> {
    if dest == Path::new("-") {
        let text = serde_json::to_string(value).context("serialising JSON")?;
        crate::say!("{text}");
        Ok(())
    } else {
        write_json(dest, value, force)
    }
}

/// A results folder of a command (`--out DIR`): refused at once if it exists without `--force`;
/// its files are written into a staging folder that [`ResultsDir::publish`] moves into place
/// whole.
#[derive(Debug)]
pub(crate) struct ResultsDir {
    out: OutputDir,
    stage: Option<Staging>,
}

impl ResultsDir {
    /// Checks `dest` and opens a staging folder beside it.
    pub(crate) fn new(dest: &Path, force: bool) -> anyhow::Result<ResultsDir> {
        let out = OutputDir::new(dest, force)?;
        let stage = out.stage()?;
        Ok(ResultsDir {
            out,
            stage: Some(stage),
        })
    }

    /// The path of `name` inside the staging folder (where to write it now).
    pub(crate) fn file(&self, name: &str) -> std::path::PathBuf {
        self.stage
            .as_ref()
            .map_or_else(|| self.out.path().join(name), |s| s.path().join(name))
    }

    /// Where the folder will be once published.
    pub(crate) fn path(&self) -> &Path {
        self.out.path()
    }

    /// Moves the staged folder into place.
    pub(crate) fn publish(mut self) -> anyhow::Result<()> {
        if let Some(stage) = self.stage.take() {
            self.out
                .publish(stage)
                .with_context(|| format!("writing {}", self.out.path().display()))?;
        }
        Ok(())
    }
}
