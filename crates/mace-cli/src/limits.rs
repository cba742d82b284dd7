//! Documented limits of every count the command line takes, checked by clap before any work
//! (and so before anything is allocated): a count outside its range is a one-line error naming
//! the flag, the value and the range.

use clap::builder::RangedU64ValueParser;

/// Most configurations or samples a command draws at once: 10 M (280 MB for 7 joints).
pub(crate) const MAX_SAMPLES: u64 = 10_000_000;
/// Most problems (targets, trials, shapes, observations) one run takes.
pub(crate) const MAX_PROBLEMS: u64 = 1_000_000;
/// Most tuner iterations or training epochs.
pub(crate) const MAX_STEPS: u64 = 10_000_000;

/// A count in `1..=max`.
pub(crate) fn count(max: u64) -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(1..=max)
}

/// A number of samples or configurations: `1..=MAX_SAMPLES`.
pub(crate) fn samples() -> RangedU64ValueParser<usize> {
    count(MAX_SAMPLES)
}

/// A number of problems: `1..=MAX_PROBLEMS`.
pub(crate) fn problems() -> RangedU64ValueParser<usize> {
    count(MAX_PROBLEMS)
}

/// A number of steps: `1..=MAX_STEPS`.
pub(crate) fn steps() -> RangedU64ValueParser<usize> {
    count(MAX_STEPS)
}
