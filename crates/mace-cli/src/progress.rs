//! Progress bars for long-running commands (indicatif): over the iterations of a tuning run,
//! and over the items of an experiment. One style for all.

use indicatif::{ProgressBar, ProgressStyle};
use mace_core::{IterationStats, TuneObserver};

/// The one bar style: `prefix [=====>    ] pos/len elapsed message`.
fn style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {elapsed_precise} {msg}")
        .expect("static template")
        .progress_chars("=> ")
}

/// A bar of `len` steps labelled `label`; hidden when `quiet`.
pub(crate) fn bar(label: &str, len: usize, quiet: bool) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len as u64)
    };
    bar.set_style(style());
    bar.set_prefix(label.to_string());
    bar
}

/// A progress bar over the iterations of a tuning run, showing the batch's mean and best score
/// and its fraction of positive scores.
#[derive(Debug)]
pub(crate) struct TuneProgress {
    bar: ProgressBar,
    /// What a positive score means in the domain (e.g. "collision-free").
    positive: &'static str,
}

impl TuneProgress {
    /// A bar of `iterations` steps labelled `label`; hidden when `quiet`.
    pub(crate) fn new(label: &str, iterations: usize, quiet: bool) -> Self {
        Self {
            bar: bar(label, iterations, quiet),
            positive: "positive",
        }
    }

    /// Names the fraction of positive scores (IK: "collision-free").
    pub(crate) fn positive_means(mut self, name: &'static str) -> Self {
        self.positive = name;
        self
    }

    /// Removes the bar from the terminal.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl TuneObserver for TuneProgress {
    fn on_iteration(&mut self, stats: &IterationStats) {
        self.bar.set_position(stats.iteration as u64 + 1);
        self.bar.set_message(format!(
            "score mean {:.3} max {:.3} δ {:.3}, {} {:.1}%",
            stats.score_mean,
            stats.score_max,
            stats.elite_threshold,
            self.positive,
            100.0 * stats.positive_fraction
        ));
    }
}

/// An experiment's progress ([`mace_lab::Progress`]) as a bar per phase on stderr; its log
/// lines are printed above the bar. Where the bar cannot show (stderr is not a terminal) and
/// `--quiet` was not given, each item's message is printed as a line instead.
#[derive(Debug)]
pub(crate) struct BarProgress {
    bar: Option<ProgressBar>,
    quiet: bool,
    done: usize,
    total: usize,
    phase: String,
}

impl BarProgress {
    /// Progress shown unless `quiet`.
    pub(crate) fn new(quiet: bool) -> Self {
        Self {
            bar: None,
            quiet,
            done: 0,
            total: 0,
            phase: String::new(),
        }
    }
}

impl mace_lab::Progress for BarProgress {
    fn phase(&mut self, name: &str, total: usize) {
        self.finish();
        self.bar = Some(bar(name, total, self.quiet));
        (self.done, self.total, self.phase) = (0, total, name.to_string());
    }

    fn advance(&mut self, message: &str) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(message.to_string());
            if bar.is_hidden() && !self.quiet && !message.is_empty() {
                eprintln!("{} {}/{} {message}", self.phase, self.done, self.total);
            }
        }
    }

    fn log(&mut self, line: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) if !bar.is_hidden() => bar.println(line),
            _ => eprintln!("{line}"),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
