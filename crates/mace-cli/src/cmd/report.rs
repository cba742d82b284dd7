//! `mace report DIR`: one self-contained HTML page with the tables, records and pictures of a run
//! or bench folder, written atomically to `DIR/report.html` (or `--out FILE`).

use std::path::PathBuf;

use clap::Args;

use crate::output::write_text;
use crate::say;
use mace_viz::html;

/// Arguments of `mace report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Folder with `*.md` tables, `*.json` records and `*.png` pictures (searched 3 levels deep).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Output file (default: `DIR/report.html`).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Writes the report of `args.dir`.
pub(crate) fn run(args: ReportArgs, force: bool) -> anyhow::Result<()> {
    let page = html::build_report(&args.dir)?;
    let out = args.out.unwrap_or_else(|| args.dir.join("report.html"));
    write_text(&out, &page, force)?;
    let inv = html::inventory(&args.dir)?;
    say!(
        "wrote {} ({} KiB: {} table file(s), {} record(s), {} picture(s))",
        out.display(),
        page.len() / 1024,
        inv.markdown.len(),
        inv.json.len(),
        inv.png.len()
    );
    Ok(())
}
