//! k-d trees (kiddo) over one cloud: for clouds too large for the tiled kernel's table, and
//! for the k-nearest variant.

use std::num::NonZero;

use kiddo::{ImmutableKdTree, SquaredEuclidean};

use crate::error::{Error, Result};
use crate::point_cloud::validate_points;

/// A k-d tree over one cloud, answering squared nearest-neighbour distances. Build it once
/// to query one cloud many times (for example one observed cloud against many samples).
pub struct NnIndex {
    tree: ImmutableKdTree<f32, 3>,
    len: usize,
}

impl std::fmt::Debug for NnIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NnIndex").field("len", &self.len).finish()
    }
}

impl NnIndex {
    /// Indexes `points` (`[n, 3]`).
    ///
    /// # Errors
    /// [`Error::EmptyCloud`] / [`Error::NonFinite`] (origin `"NnIndex"`).
    pub fn new(points: &[[f32; 3]]) -> Result<Self> {
        Self::with_origin(points, "NnIndex")
    }

    pub(super) fn with_origin(points: &[[f32; 3]], origin: &str) -> Result<Self> {
        validate_points(points, origin)?;
        let tree =
            ImmutableKdTree::new_from_slice(points).map_err(|_| Error::InvalidParameter {
                name: "points",
                value: format!("{} points from {origin}", points.len()),
                reason: "the k-d tree could not be built (more than 2^32 points?)",
            })?;
        Ok(Self {
            tree,
            len: points.len(),
        })
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always `false`: an index holds at least one point.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Squared distance from `q` to its nearest indexed point.
    pub fn nearest_sq(&self, q: &[f32; 3]) -> f32 {
        self.tree
            .query(q)
            .nearest_one::<SquaredEuclidean<f32>>()
            .execute()
            .distance
    }

    /// Index (in the indexed cloud) and squared distance of the indexed point nearest to `q`.
    pub fn nearest(&self, q: &[f32; 3]) -> (u32, f32) {
        let nn = self
            .tree
            .query(q)
            .nearest_one::<SquaredEuclidean<f32>>()
            .execute();
        (nn.item, nn.distance)
    }

    /// Mean over `queries` of [`NnIndex::nearest_sq`] (0 for no queries).
    pub fn mean_nearest_sq(&self, queries: &[[f32; 3]]) -> f64 {
        if queries.is_empty() {
            return 0.0;
        }
        let sum: f64 = queries.iter().map(|q| f64::from(self.nearest_sq(q))).sum();
        sum / queries.len() as f64
    }

    /// Mean over `queries` of the mean squared distance to their `k` nearest indexed points.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `1 ≤ k ≤` [`NnIndex::len`].
    pub fn mean_knn_sq(&self, queries: &[[f32; 3]], k: usize) -> Result<f64> {
        let nz = NonZero::new(k)
            .filter(|_| k <= self.len)
            .ok_or(Error::InvalidParameter {
                name: "k",
                value: k.to_string(),
                reason: "must be at least 1 and at most the size of the indexed cloud",
            })?;
        if queries.is_empty() {
            return Ok(0.0);
        }
        let sum: f64 = queries
            .iter()
            .map(|q| {
                let nn = self
                    .tree
                    .query(q)
                    .nearest_n::<SquaredEuclidean<f32>>(nz)
                    .execute();
                nn.iter().map(|r| f64::from(r.distance)).sum::<f64>() / k as f64
            })
            .sum();
        Ok(sum / queries.len() as f64)
    }
}
