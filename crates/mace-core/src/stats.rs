//! Summary statistics of measured values (scores, times, errors): one place for the mean,
//! the population standard deviation, the median and the extremes. Sums run in `f64`, in the
//! order the values are given.

use serde::{Deserialize, Serialize};

/// Mean of `values`; `None` for no values.
///
/// ```
/// assert_eq!(mace_core::stats::mean([1.0, 2.0, 6.0]), Some(3.0));
/// assert_eq!(mace_core::stats::mean([]), None);
/// ```
pub fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0usize);
    for v in values {
        sum += v;
        n += 1;
    }
    (n > 0).then(|| sum / n as f64)
}

/// Mean of `values` as `f32` (summed in `f64`); 0 for no values.
pub fn mean_f32(values: &[f32]) -> f32 {
    mean(values.iter().map(|&v| f64::from(v))).unwrap_or(0.0) as f32
}

/// Mean and population standard deviation of `values`; `None` for no values.
///
/// ```
/// let (m, s) = mace_core::stats::mean_std([1.0, 3.0]).unwrap();
/// assert_eq!((m, s), (2.0, 1.0));
/// ```
pub fn mean_std(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    let v: Vec<f64> = values.into_iter().collect();
    let m = mean(v.iter().copied())?;
    let var = mean(v.iter().map(|x| (x - m) * (x - m)))?;
    Some((m, var.sqrt()))
}

/// Median of `values` (the mean of the two middle values for an even count); `None` for no
/// values. NaN sorts last.
///
/// ```
/// assert_eq!(mace_core::stats::median(&[3.0, 1.0, 2.0, 10.0]), Some(2.5));
/// ```
pub fn median(values: &[f64]) -> Option<f64> {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(s[n / 2]),
        _ => Some(0.5 * (s[n / 2 - 1] + s[n / 2])),
    }
}

/// Count, mean, population standard deviation, median and extremes of a set of values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    /// Median (mean of the two middle values for an even count).
    pub median: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Summary {
    /// The summary of `values`; `None` for no values.
    ///
    /// ```
    /// let s = mace_core::stats::Summary::of(&[4.0, 1.0, 2.0]).unwrap();
    /// assert_eq!((s.n, s.median, s.min, s.max), (3, 2.0, 1.0, 4.0));
    /// ```
    pub fn of(values: &[f64]) -> Option<Summary> {
        let (mean, std) = mean_std(values.iter().copied())?;
        Some(Summary {
            n: values.len(),
            mean,
            std,
            median: median(values)?,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}
