//! Elite selection of the cross-entropy method, with its tie rule.

/// The elites of a batch and the threshold that chose them.
#[derive(Debug, Clone, PartialEq)]
pub struct Elites {
    /// Indices into the batch, in increasing order.
    pub indices: Vec<usize>,
    /// δ: the score of the ⌈q·n⌉-th best sample of the batch.
    pub threshold: f32,
}

/// Selects the elites of a batch of scores (paper Eq. 3).
///
/// δ is the `count`-th largest score. The elites are every sample with score ≥ δ, so **all ties at
/// the threshold are kept** (the paper's indicator 1{S ≥ δ}), and the elite set may be larger than
/// `count`. Samples with score 0 carry no evidence and are **never** elites: when δ = 0 only the
/// positive-scored samples are kept, and when every score is 0 the set is empty and the tuner
/// skips the step.
///
/// `count` is clamped to `1..=scores.len()`; an empty batch gives an empty set with δ = 0.
pub fn select_elites(scores: &[f32], count: usize) -> Elites {
    if scores.is_empty() {
        return Elites {
            indices: Vec::new(),
            threshold: 0.0,
        };
    }
    let k = count.clamp(1, scores.len());
    let mut sorted = scores.to_vec();
    // k-th largest = element k−1 when ordered descending. Scores are validated finite beforehand.
    let (_, kth, _) = sorted.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    let threshold = *kth;
    let indices = scores
        .iter()
        .enumerate()
        .filter(|&(_, &s)| s >= threshold && s > 0.0)
        .map(|(i, _)| i)
        .collect();
    Elites { indices, threshold }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_top_quantile() {
        let e = select_elites(&[0.1, 0.9, 0.5, 0.7, 0.2], 2);
        assert_eq!(e.indices, vec![1, 3]);
        assert_eq!(e.threshold, 0.7);
    }

    #[test]
    fn ties_at_the_threshold_are_all_kept() {
        let e = select_elites(&[0.5, 0.5, 0.5, 0.1], 1);
        assert_eq!(e.indices, vec![0, 1, 2]);
        assert_eq!(e.threshold, 0.5);
    }

    #[test]
    fn all_equal_scores_keep_everything() {
        let e = select_elites(&[0.3; 6], 2);
        assert_eq!(e.indices, (0..6).collect::<Vec<_>>());
    }

    #[test]
    fn all_zero_scores_keep_nothing() {
        let e = select_elites(&[0.0; 8], 2);
        assert!(e.indices.is_empty());
        assert_eq!(e.threshold, 0.0);
    }

    #[test]
    fn zero_threshold_keeps_only_positive_scores() {
        let e = select_elites(&[0.0, 0.4, 0.0, 0.0], 3);
        assert_eq!(e.indices, vec![1]);
        assert_eq!(e.threshold, 0.0);
    }

    #[test]
    fn count_is_clamped() {
        assert_eq!(select_elites(&[0.2, 0.4], 0).indices, vec![1]);
        assert_eq!(select_elites(&[0.2, 0.4], 10).indices, vec![0, 1]);
        assert!(select_elites(&[], 3).indices.is_empty());
    }
}
