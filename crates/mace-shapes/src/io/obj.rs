//! Wavefront OBJ meshes: `v` and `f` lines; everything else (normals, texture coordinates,
//! groups, materials, comments) is ignored.
//!
//! Faces may be polygons (triangulated as fans from their first vertex) and use any of the
//! forms `f 1 2 3`, `f 1/1 2/2 3/3`, `f 1/1/1 …`, `f 1//1 …`; negative indices count back from
//! the last vertex defined so far (`-1` = the latest).

use std::path::Path;

use rand::{rngs::StdRng, SeedableRng};

use crate::error::{Error, Result};
use crate::io::atomic::{read_bytes, write_atomic};
use crate::io::{MAX_FACES, MAX_POINTS};
use crate::mesh::Mesh;
use crate::point_cloud::PointCloud;

fn obj_err(origin: &str, line: usize, content: &str, reason: impl Into<String>) -> Error {
    Error::Obj {
        origin: origin.to_string(),
        line,
        content: content.trim().to_string(),
        reason: reason.into(),
    }
}

fn too_many(origin: &str, what: &str, limit: usize) -> Error {
    Error::TooMany {
        origin: origin.to_string(),
        what: what.to_string(),
        count: limit as u64 + 1,
        limit: limit as u64,
    }
}

/// Parses OBJ text; `origin` names it in errors.
///
/// # Errors
/// [`Error::Obj`] naming the line for a bad number, a face with fewer than 3 vertices, or an
/// index that is 0 or names a vertex not yet defined; [`Error::NonFinite`] for a NaN
/// coordinate; [`Error::EmptyCloud`] for a file without vertices; [`Error::TooMany`] past
/// [`MAX_POINTS`] vertices or [`MAX_FACES`] triangles.
pub fn parse_obj(text: &str, origin: &str) -> Result<Mesh> {
    let mut vertices: Vec<[f32; 3]> = Vec::new();
    let mut triangles: Vec<[u32; 3]> = Vec::new();
    let mut face: Vec<u32> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let mut tokens = line.split_whitespace();
        match tokens.next() {
            Some("v") => {
                let mut c = [0.0f32; 3];
                for (a, slot) in c.iter_mut().enumerate() {
                    let t = tokens
                        .next()
                        .ok_or_else(|| obj_err(origin, line_no, line, "vertex needs x, y and z"))?;
                    *slot = t.parse::<f32>().map_err(|_| {
                        obj_err(
                            origin,
                            line_no,
                            line,
                            format!("coordinate {a} `{t}` is not a number"),
                        )
                    })?;
                    if !slot.is_finite() {
                        return Err(Error::NonFinite {
                            origin: format!("{origin}, line {line_no}"),
                            index: vertices.len(),
                            axis: a,
                            value: *slot,
                        });
                    }
                }
                if vertices.len() == MAX_POINTS {
                    return Err(too_many(origin, "vertices (`v` lines)", MAX_POINTS));
                }
                vertices.push(c);
            }
            Some("f") => {
                face.clear();
                for t in tokens {
                    let idx = t.split('/').next().unwrap_or("");
                    let k: i64 = idx.parse().map_err(|_| {
                        obj_err(
                            origin,
                            line_no,
                            line,
                            format!("vertex reference `{t}` is not an index"),
                        )
                    })?;
                    let n = vertices.len() as i64;
                    let abs = if k > 0 { k - 1 } else { n + k };
                    if k == 0 || abs < 0 || abs >= n {
                        return Err(obj_err(
                            origin,
                            line_no,
                            line,
                            format!("vertex index {k} out of range ({n} vertices defined so far)"),
                        ));
                    }
                    face.push(abs as u32);
                }
                if face.len() < 3 {
                    return Err(obj_err(
                        origin,
                        line_no,
                        line,
                        "a face needs at least 3 vertices",
                    ));
                }
                if triangles.len() + face.len() - 2 > MAX_FACES {
                    return Err(too_many(origin, "triangles (of `f` lines)", MAX_FACES));
                }
                for j in 1..face.len() - 1 {
                    triangles.push([face[0], face[j], face[j + 1]]);
                }
            }
            _ => {}
        }
    }
    if vertices.is_empty() {
        return Err(Error::EmptyCloud {
            origin: origin.to_string(),
        });
    }
    Mesh::new(vertices, triangles)
}

/// Reads the OBJ file at `path` (see [`parse_obj`]).
///
/// # Errors
/// [`Error::Io`], or as [`parse_obj`] with `origin` = the path.
pub fn read_obj(path: impl AsRef<Path>) -> Result<Mesh> {
    let path = path.as_ref();
    let bytes = read_bytes(path)?;
    parse_obj(
        &String::from_utf8_lossy(&bytes),
        &path.display().to_string(),
    )
}

/// Reads the OBJ file at `path` and samples `n` points on its surface, area-weighted, with
/// an RNG seeded by `seed` (see [`Mesh::sample_surface`]). The cloud is not normalised.
///
/// # Errors
/// As [`read_obj`] and [`Mesh::sample_surface`] ([`Error::DegenerateMesh`] names the path).
pub fn sample_obj(path: impl AsRef<Path>, n: usize, seed: u64) -> Result<PointCloud> {
    let path = path.as_ref();
    let mesh = read_obj(path)?;
    mesh.sample_surface(n, &mut StdRng::seed_from_u64(seed))
        .map_err(|e| match e {
            Error::DegenerateMesh { faces, .. } => Error::DegenerateMesh {
                origin: path.display().to_string(),
                faces,
            },
            e => e,
        })
}

/// Encodes `mesh` as OBJ text (`v` and triangle `f` lines, 1-based indices).
pub fn encode_obj(mesh: &Mesh) -> String {
    use std::fmt::Write;
    let mut s = String::from("# written by mace-shapes\n");
    for v in mesh.vertices() {
        let _ = writeln!(s, "v {} {} {}", v[0], v[1], v[2]);
    }
    for t in mesh.triangles() {
        let _ = writeln!(s, "f {} {} {}", t[0] + 1, t[1] + 1, t[2] + 1);
    }
    s
}

/// Writes `mesh` to `path` as OBJ, atomically (temporary file + rename).
///
/// # Errors
/// [`Error::Io`] naming the path.
pub fn write_obj(path: impl AsRef<Path>, mesh: &Mesh, force: bool) -> Result<()> {
    write_atomic(path.as_ref(), encode_obj(mesh).as_bytes(), force)
}
