//! [`PointCloud`]: a validated set of 3-D points, with normalisation, resampling and the flat
//! `[n, 3]` row-major layout the models use.
//!
//! Models see a batch of clouds as a candle tensor of shape `[batch, n·3]` (`f32`), each row
//! `x0 y0 z0 x1 y1 z1 …`; [`clouds_to_tensor`] and [`clouds_from_tensor`] convert.

use std::ops::Deref;

use candle_core::{DType, Device, Tensor};
use rand::Rng;

use crate::error::{Error, Result};

/// How clouds are centred and scaled (see [`PointCloud::normalize`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Normalization {
    /// Centre at the axis-aligned bounding-box centre, scale so the box diagonal is 1
    /// (ShapeNetCore v1's normalisation, inherited by the 2048-point ShapeNet PLY clouds).
    /// Every coordinate then lies within 0.5 of the origin. The default.
    #[default]
    BboxDiagonal,
    /// Centre at the bounding-box centre, scale so the farthest point is at distance 1.
    UnitSphere,
}

/// Whether a cloud with the wrong number of points is an error or is resampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CountPolicy {
    /// Return [`Error::PointCount`].
    #[default]
    Error,
    /// Resample to the expected count with [`PointCloud::resample`].
    Resample,
}

/// A non-empty set of finite 3-D points (`[n, 3]`, units of the source; unit-diagonal box
/// after [`Normalization::BboxDiagonal`]).
///
/// Derefs to `[[f32; 3]]`, so `&cloud` works wherever a point slice is expected.
///
/// # Example
/// ```
/// use mace_shapes::PointCloud;
/// let cloud = PointCloud::new(vec![[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])?;
/// let unit = cloud.normalized(Default::default());
/// assert_eq!(unit[1], [0.5, 0.0, 0.0]);
/// assert_eq!(unit.as_flat(), &[-0.5, 0.0, 0.0, 0.5, 0.0, 0.0]);
/// # Ok::<(), mace_shapes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PointCloud {
    points: Vec<[f32; 3]>,
}

/// Checks that `points` is non-empty and finite; `origin` names the source in errors.
pub(crate) fn validate_points(points: &[[f32; 3]], origin: &str) -> Result<()> {
    if points.is_empty() {
        return Err(Error::EmptyCloud {
            origin: origin.to_string(),
        });
    }
    for (index, p) in points.iter().enumerate() {
        for (axis, &value) in p.iter().enumerate() {
            if !value.is_finite() {
                return Err(Error::NonFinite {
                    origin: origin.to_string(),
                    index,
                    axis,
                    value,
                });
            }
        }
    }
    Ok(())
}

impl PointCloud {
    /// A cloud of `points`.
    ///
    /// # Errors
    /// [`Error::EmptyCloud`] for zero points, [`Error::NonFinite`] naming the first NaN or
    /// infinite coordinate.
    pub fn new(points: Vec<[f32; 3]>) -> Result<Self> {
        Self::with_origin(points, "<points>")
    }

    /// As [`PointCloud::new`], naming `origin` (a file path, say) in errors.
    ///
    /// # Errors
    /// As [`PointCloud::new`].
    pub fn with_origin(points: Vec<[f32; 3]>, origin: &str) -> Result<Self> {
        validate_points(&points, origin)?;
        Ok(Self { points })
    }

    /// A cloud from `points` known to be non-empty and finite (generated internally).
    pub(crate) fn from_trusted(points: Vec<[f32; 3]>) -> Self {
        debug_assert!(validate_points(&points, "<trusted>").is_ok());
        Self { points }
    }

    /// A cloud from a flat row-major `[n, 3]` slice `x0 y0 z0 x1 …`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the length is not a multiple of 3; as [`PointCloud::new`].
    pub fn from_flat(flat: &[f32]) -> Result<Self> {
        if flat.len() % 3 != 0 {
            return Err(Error::ShapeMismatch {
                op: "PointCloud::from_flat",
                expected: "a multiple of 3 values".into(),
                got: format!("{} values", flat.len()),
            });
        }
        Self::new(points_from_flat(flat))
    }

    /// The points, `[n, 3]`.
    pub fn points(&self) -> &[[f32; 3]] {
        &self.points
    }

    /// The points as a flat row-major slice of length `3n`.
    pub fn as_flat(&self) -> &[f32] {
        self.points.as_flattened()
    }

    /// Consumes the cloud, returning its points.
    pub fn into_points(self) -> Vec<[f32; 3]> {
        self.points
    }

    /// Axis-aligned bounding box `(min, max)`.
    pub fn bbox(&self) -> ([f32; 3], [f32; 3]) {
        let mut lo = [f32::INFINITY; 3];
        let mut hi = [f32::NEG_INFINITY; 3];
        for p in &self.points {
            for a in 0..3 {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
        (lo, hi)
    }

    /// Distance of the farthest point from the origin.
    pub fn radius(&self) -> f32 {
        self.points
            .iter()
            .map(|p| p[0] * p[0] + p[1] * p[1] + p[2] * p[2])
            .fold(0.0f32, f32::max)
            .sqrt()
    }

    /// Centres and scales in place as `mode` says (see [`Normalization`]).
    ///
    /// A cloud whose points all coincide is only centred (its scale is undefined).
    pub fn normalize(&mut self, mode: Normalization) {
        let (lo, hi) = self.bbox();
        let c = [
            0.5 * (lo[0] + hi[0]),
            0.5 * (lo[1] + hi[1]),
            0.5 * (lo[2] + hi[2]),
        ];
        for p in &mut self.points {
            for a in 0..3 {
                p[a] -= c[a];
            }
        }
        let size = match mode {
            Normalization::BboxDiagonal => {
                let d = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
                (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
            }
            Normalization::UnitSphere => self.radius(),
        };
        if size > 0.0 && size.is_finite() {
            let s = 1.0 / size;
            for p in &mut self.points {
                for v in p.iter_mut() {
                    *v *= s;
                }
            }
        }
    }

    /// A normalised copy (see [`PointCloud::normalize`]).
    pub fn normalized(&self, mode: Normalization) -> Self {
        let mut c = self.clone();
        c.normalize(mode);
        c
    }

    /// Exactly `n` points drawn from this cloud.
    ///
    /// With `n ≤ len` a uniformly random subset without repetition (in random order); with
    /// `n > len` every point once, in order, followed by `n − len` points drawn uniformly with
    /// repetition.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n = 0`.
    pub fn resample(&self, n: usize, rng: &mut impl Rng) -> Result<Self> {
        if n == 0 {
            return Err(Error::InvalidParameter {
                name: "n",
                value: "0".into(),
                reason: "a cloud needs at least one point",
            });
        }
        let len = self.points.len();
        let points = if n <= len {
            rand::seq::index::sample(rng, len, n)
                .into_iter()
                .map(|i| self.points[i])
                .collect()
        } else {
            let mut v = self.points.clone();
            v.extend((len..n).map(|_| self.points[rng.random_range(0..len)]));
            v
        };
        Ok(Self { points })
    }

    /// This cloud with exactly `expected` points: unchanged if it has them, else an error or a
    /// resample as `policy` says.
    ///
    /// # Errors
    /// [`Error::PointCount`] (naming `origin`) under [`CountPolicy::Error`].
    pub fn conform(
        self,
        expected: usize,
        policy: CountPolicy,
        origin: &str,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        if self.points.len() == expected {
            return Ok(self);
        }
        match policy {
            CountPolicy::Error => Err(Error::PointCount {
                origin: origin.to_string(),
                expected,
                got: self.points.len(),
            }),
            CountPolicy::Resample => self.resample(expected, rng),
        }
    }
}

impl Deref for PointCloud {
    type Target = [[f32; 3]];

    fn deref(&self) -> &[[f32; 3]] {
        &self.points
    }
}

impl AsRef<[[f32; 3]]> for PointCloud {
    fn as_ref(&self) -> &[[f32; 3]] {
        &self.points
    }
}

/// Copies a flat row-major `[n, 3]` slice into points; a trailing partial point is dropped.
pub fn points_from_flat(flat: &[f32]) -> Vec<[f32; 3]> {
    flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
}

/// Interprets tensor dims as a batch of clouds: `[b, n·3]` or `[b, n, 3]` → `(b, n)`.
///
/// # Errors
/// [`Error::ShapeMismatch`] for any other shape (naming `op`).
pub(crate) fn batch_dims(dims: &[usize], op: &'static str) -> Result<(usize, usize)> {
    match *dims {
        [b, m] if m % 3 == 0 && m > 0 => Ok((b, m / 3)),
        [b, n, 3] if n > 0 => Ok((b, n)),
        _ => Err(Error::ShapeMismatch {
            op,
            expected: "[batch, points*3] or [batch, points, 3]".into(),
            got: format!("{dims:?}"),
        }),
    }
}

/// Copies a batch tensor (`[b, n·3]` or `[b, n, 3]`, any float dtype) into a flat `f32`
/// vector of length `b·n·3`; returns it with `(b, n)`.
///
/// # Errors
/// [`Error::ShapeMismatch`] for other shapes; candle errors from the conversion.
pub fn tensor_to_flat(samples: &Tensor, op: &'static str) -> Result<(Vec<f32>, usize, usize)> {
    let (b, n) = batch_dims(samples.dims(), op)?;
    let flat = samples
        .to_dtype(DType::F32)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    Ok((flat, b, n))
}

/// Stacks clouds of equal size `n` into a tensor `[b, n·3]` (`f32`) on `device`.
///
/// # Errors
/// [`Error::EmptyCloud`] for an empty batch, [`Error::PointCount`] naming the first cloud
/// whose size differs from the first one's.
pub fn clouds_to_tensor(clouds: &[PointCloud], device: &Device) -> Result<Tensor> {
    let first = clouds.first().ok_or_else(|| Error::EmptyCloud {
        origin: "clouds_to_tensor: batch".into(),
    })?;
    let n = first.len();
    let mut flat = Vec::with_capacity(clouds.len() * n * 3);
    for (i, c) in clouds.iter().enumerate() {
        if c.len() != n {
            return Err(Error::PointCount {
                origin: format!("clouds_to_tensor: cloud {i}"),
                expected: n,
                got: c.len(),
            });
        }
        flat.extend_from_slice(c.as_flat());
    }
    Ok(Tensor::from_vec(flat, (clouds.len(), n * 3), device)?)
}

/// Splits a tensor `[b, n·3]` or `[b, n, 3]` into `b` clouds.
///
/// # Errors
/// [`Error::ShapeMismatch`] for other shapes, [`Error::NonFinite`] naming the cloud
/// (`origin` = `tensor row i`) and point.
pub fn clouds_from_tensor(samples: &Tensor) -> Result<Vec<PointCloud>> {
    let (flat, _b, n) = tensor_to_flat(samples, "clouds_from_tensor")?;
    flat.chunks_exact(n * 3)
        .enumerate()
        .map(|(i, row)| PointCloud::with_origin(points_from_flat(row), &format!("tensor row {i}")))
        .collect()
}
