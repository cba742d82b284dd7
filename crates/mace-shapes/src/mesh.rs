//! [`Mesh`]: a triangle mesh and area-weighted sampling of points on its surface.

use rand::Rng;

use crate::error::{Error, Result};
use crate::point_cloud::{validate_points, PointCloud};

/// A triangle mesh: vertices `[v, 3]` and triangles as vertex-index triples `[t, 3]`.
///
/// # Example
/// ```
/// use mace_shapes::Mesh;
/// use rand::{rngs::StdRng, SeedableRng};
/// let square = Mesh::new(
///     vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]],
///     vec![[0, 1, 2], [0, 2, 3]],
/// )?;
/// assert_eq!(square.area(), 1.0);
/// let cloud = square.sample_surface(2048, &mut StdRng::seed_from_u64(7))?;
/// assert!(cloud.iter().all(|p| p[2] == 0.0 && (0.0..=1.0).contains(&p[0])));
/// # Ok::<(), mace_shapes::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mesh {
    vertices: Vec<[f32; 3]>,
    triangles: Vec<[u32; 3]>,
}

/// Twice the area of triangle `abc`, computed in `f64`; 0 for triangles whose area is zero up to
/// rounding (relative to the squared longest edge).
fn double_area(a: [f32; 3], b: [f32; 3], c: [f32; 3]) -> f64 {
    let d = |p: [f32; 3], q: [f32; 3]| {
        [
            f64::from(q[0]) - f64::from(p[0]),
            f64::from(q[1]) - f64::from(p[1]),
            f64::from(q[2]) - f64::from(p[2]),
        ]
    };
    let (u, v, w) = (d(a, b), d(a, c), d(b, c));
    let x = [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ];
    let len2 = |e: [f64; 3]| e[0] * e[0] + e[1] * e[1] + e[2] * e[2];
    let cross = len2(x).sqrt();
    let longest = len2(u).max(len2(v)).max(len2(w));
    if cross <= 1e-10 * longest || !cross.is_finite() {
        0.0
    } else {
        cross
    }
}

impl Mesh {
    /// A mesh from vertices and triangles.
    ///
    /// # Errors
    /// [`Error::EmptyCloud`] for no vertices, [`Error::NonFinite`] naming a vertex,
    /// [`Error::InvalidParameter`] for a triangle index past the vertex list.
    pub fn new(vertices: Vec<[f32; 3]>, triangles: Vec<[u32; 3]>) -> Result<Self> {
        validate_points(&vertices, "mesh vertices")?;
        let n = vertices.len();
        if let Some((t, tri)) = triangles
            .iter()
            .enumerate()
            .find(|(_, tri)| tri.iter().any(|&i| i as usize >= n))
        {
            return Err(Error::InvalidParameter {
                name: "triangles",
                value: format!("triangle {t} = {tri:?}"),
                reason: "vertex index past the vertex list",
            });
        }
        Ok(Self {
            vertices,
            triangles,
        })
    }

    /// The vertices, `[v, 3]`.
    pub fn vertices(&self) -> &[[f32; 3]] {
        &self.vertices
    }

    /// The triangles, `[t, 3]` indices into [`Mesh::vertices`].
    pub fn triangles(&self) -> &[[u32; 3]] {
        &self.triangles
    }

    /// Appends a vertex and returns its index (generator use; coordinates must be finite).
    pub(crate) fn push_vertex(&mut self, v: [f32; 3]) -> u32 {
        debug_assert!(v.iter().all(|x| x.is_finite()));
        self.vertices.push(v);
        (self.vertices.len() - 1) as u32
    }

    /// Appends a triangle of existing vertex indices (generator use).
    pub(crate) fn push_triangle(&mut self, t: [u32; 3]) {
        debug_assert!(t.iter().all(|&i| (i as usize) < self.vertices.len()));
        self.triangles.push(t);
    }

    fn corners(&self, t: [u32; 3]) -> [[f32; 3]; 3] {
        [
            self.vertices[t[0] as usize],
            self.vertices[t[1] as usize],
            self.vertices[t[2] as usize],
        ]
    }

    /// Total surface area (units²); degenerate triangles count 0.
    pub fn area(&self) -> f64 {
        self.triangles
            .iter()
            .map(|&t| {
                let [a, b, c] = self.corners(t);
                0.5 * double_area(a, b, c)
            })
            .sum()
    }

    /// Samples `n` points uniformly on the surface: a triangle is chosen with probability
    /// proportional to its area, then a uniform point inside it. Degenerate (zero-area)
    /// triangles are skipped.
    ///
    /// Deterministic given the state of `rng` (seed it with `StdRng::seed_from_u64`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n = 0`; [`Error::DegenerateMesh`] if the mesh has no
    /// triangle of positive area (including no triangles at all).
    pub fn sample_surface(&self, n: usize, rng: &mut impl Rng) -> Result<PointCloud> {
        if n == 0 {
            return Err(Error::InvalidParameter {
                name: "n",
                value: "0".into(),
                reason: "a cloud needs at least one point",
            });
        }
        let mut cumulative = Vec::with_capacity(self.triangles.len());
        let mut kept = Vec::with_capacity(self.triangles.len());
        let mut total = 0.0f64;
        for &t in &self.triangles {
            let [a, b, c] = self.corners(t);
            let w = double_area(a, b, c);
            if w > 0.0 {
                total += w;
                cumulative.push(total);
                kept.push(t);
            }
        }
        if kept.is_empty() {
            return Err(Error::DegenerateMesh {
                origin: "mesh".into(),
                faces: self.triangles.len(),
            });
        }
        let points = (0..n)
            .map(|_| {
                let u = rng.random::<f64>() * total;
                let k = cumulative.partition_point(|&c| c <= u).min(kept.len() - 1);
                let [a, b, c] = self.corners(kept[k]);
                let r1 = rng.random::<f32>().sqrt();
                let r2 = rng.random::<f32>();
                let (wa, wb, wc) = (1.0 - r1, r1 * (1.0 - r2), r1 * r2);
                [
                    wa * a[0] + wb * b[0] + wc * c[0],
                    wa * a[1] + wb * b[1] + wc * c[1],
                    wa * a[2] + wb * b[2] + wc * c[2],
                ]
            })
            .collect();
        Ok(PointCloud::from_trusted(points))
    }
}
