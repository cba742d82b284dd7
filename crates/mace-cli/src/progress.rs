//! Progress bars for long-running commands (indicatif), as tuner observers.

use indicatif::{ProgressBar, ProgressStyle};
use mace_core::{IterationStats, TuneObserver};

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
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(iterations as u64)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>8} [{bar:30}] {pos}/{len} {elapsed_precise} {msg}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.set_prefix(label.to_string());
        Self {
            bar,
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
