//! OFF meshes (Geomview's Object File Format, as ModelNet ships its models), ASCII.
//!
//! `OFF` (or `COFF`, `NOFF`, `CNOFF`, `STOFF`, …: colours, normals and texture coordinates
//! after a vertex's `x y z` are ignored), then `vertices faces edges`, one vertex per line and
//! one face per line (`n i0 … i(n−1)`, 0-based, optional colour after); `#` starts a comment.
//! Polygons are triangulated as fans from their first vertex. The counts may follow `OFF` on
//! its line, and ModelNet's `OFF1234 5678 0` (no space after `OFF`, in about 1 in 20 of
//! ModelNet40's files) is read as `OFF 1234 5678 0`. Binary OFF and 4-D (`4OFF`) or n-D
//! (`nOFF`) files are refused. Counts above [`MAX_POINTS`] vertices or [`MAX_FACES`] faces
//! are refused before anything is allocated.

use std::path::Path;

use crate::error::{Error, Result};
use crate::io::atomic::{read_bytes, write_atomic};
use crate::io::{MAX_FACES, MAX_POINTS};
use crate::mesh::Mesh;

fn off_err(origin: &str, line: usize, content: &str, reason: impl Into<String>) -> Error {
    Error::Off {
        origin: origin.to_string(),
        line,
        content: content.trim().chars().take(80).collect(),
        reason: reason.into(),
    }
}

/// Parses OFF text; `origin` names it in errors.
///
/// # Errors
/// [`Error::Off`] naming the line for a missing or unknown keyword, bad counts, a vertex that is
/// not three numbers, a face with fewer than 3 vertices or an index outside the vertex list
/// (naming the index and the vertex count), a file that ends early or goes on after the last
/// face; [`Error::TooMany`] above the limits; [`Error::NonFinite`] naming the vertex and line;
/// [`Error::EmptyCloud`] for zero vertices.
pub fn parse_off(text: &str, origin: &str) -> Result<Mesh> {
    // Non-empty lines with comments cut, with their 1-based numbers.
    let mut lines = text.lines().enumerate().filter_map(|(i, l)| {
        let l = l.split('#').next().unwrap_or("").trim();
        (!l.is_empty()).then_some((i + 1, l))
    });
    let Some((first_no, first)) = lines.next() else {
        return Err(off_err(origin, 1, "<empty>", "empty file (expected `OFF`)"));
    };
    // The leading word, split after `OFF` when counts follow without a space (ModelNet).
    let word_end = first.find(char::is_whitespace).unwrap_or(first.len());
    let keyword_end = first[..word_end].find("OFF").map_or(word_end, |k| k + 3);
    let keyword = &first[..keyword_end];
    if !keyword.ends_with("OFF")
        || !keyword[..keyword.len() - 3]
            .chars()
            .all(|c| "STCN".contains(c))
    {
        return Err(off_err(
            origin,
            first_no,
            first,
            "expected `OFF` (or COFF, NOFF, STOFF…) on the first line (4-D and n-D OFF are not supported)",
        ));
    }
    let rest = first[keyword_end..].trim();
    let (counts_no, counts_line) = if rest.is_empty() {
        lines
            .next()
            .ok_or_else(|| off_err(origin, first_no, first, "file ends before the counts line"))?
    } else {
        (first_no, rest)
    };
    if counts_line.split_whitespace().next() == Some("BINARY") {
        return Err(off_err(
            origin,
            counts_no,
            counts_line,
            "binary OFF is not supported; save it as ASCII",
        ));
    }
    let counts: Vec<u64> = counts_line
        .split_whitespace()
        .map(|t| t.parse::<u64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| {
            off_err(
                origin,
                counts_no,
                counts_line,
                "expected `vertices faces edges` (non-negative integers)",
            )
        })?;
    let (nv, nf) = match counts[..] {
        [v, f] | [v, f, _] => (v, f),
        _ => {
            return Err(off_err(
                origin,
                counts_no,
                counts_line,
                "expected `vertices faces edges` (three integers)",
            ))
        }
    };
    for (what, count, limit) in [("vertices", nv, MAX_POINTS), ("faces", nf, MAX_FACES)] {
        if count > limit as u64 {
            return Err(Error::TooMany {
                origin: origin.to_string(),
                what: format!("{what} (line {counts_no})"),
                count,
                limit: limit as u64,
            });
        }
    }
    let (nv, nf) = (nv as usize, nf as usize);
    if nv == 0 {
        return Err(Error::EmptyCloud {
            origin: origin.to_string(),
        });
    }
    let last_line = text.lines().count();
    let ends_early = |what: &str, i: usize| {
        off_err(
            origin,
            last_line,
            "<end of file>",
            format!("file ends at {what} {i} (header line {counts_no} says {nv} vertices, {nf} faces; truncated?)"),
        )
    };
    let mut vertices = Vec::with_capacity(nv.min(1 << 24));
    for i in 0..nv {
        let (no, line) = lines.next().ok_or_else(|| ends_early("vertex", i))?;
        let mut v = [0.0f32; 3];
        let mut tokens = line.split_whitespace();
        for (a, slot) in v.iter_mut().enumerate() {
            let t = tokens
                .next()
                .ok_or_else(|| off_err(origin, no, line, format!("vertex {i} needs x, y and z")))?;
            *slot = t.parse::<f32>().map_err(|_| {
                off_err(
                    origin,
                    no,
                    line,
                    format!("vertex {i}: coordinate {a} `{t}` is not a number"),
                )
            })?;
            if !slot.is_finite() {
                return Err(Error::NonFinite {
                    origin: format!("{origin}, line {no}"),
                    index: i,
                    axis: a,
                    value: *slot,
                });
            }
        }
        vertices.push(v);
    }
    let mut triangles = Vec::with_capacity(nf.min(1 << 24));
    let mut face = Vec::new();
    for i in 0..nf {
        let (no, line) = lines.next().ok_or_else(|| ends_early("face", i))?;
        let mut tokens = line.split_whitespace();
        let first = tokens.next().unwrap_or("");
        let n: usize = first.parse().map_err(|_| {
            off_err(
                origin,
                no,
                line,
                format!(
                    "face {i}: `{first}` is not a vertex count (more vertex lines than the {nv} the header says?)"
                ),
            )
        })?;
        if n < 3 {
            return Err(off_err(
                origin,
                no,
                line,
                format!("face {i} has {n} vertices, a face needs 3"),
            ));
        }
        face.clear();
        for _ in 0..n {
            let t = tokens.next().ok_or_else(|| {
                off_err(
                    origin,
                    no,
                    line,
                    format!("face {i} lists fewer than its {n} vertices"),
                )
            })?;
            match t.parse::<usize>() {
                Ok(k) if k < nv => face.push(k as u32),
                _ => {
                    return Err(off_err(
                        origin,
                        no,
                        line,
                        format!(
                        "face {i}: vertex index `{t}` outside 0..{nv} (the header's vertex count)"
                    ),
                    ))
                }
            }
        }
        for k in 1..n - 1 {
            triangles.push([face[0], face[k], face[k + 1]]);
        }
    }
    if let Some((no, line)) = lines.next() {
        let more = 1 + lines.count();
        return Err(off_err(
            origin,
            no,
            line,
            format!(
                "{more} more lines after the {nf} faces the header (line {counts_no}) announces"
            ),
        ));
    }
    Mesh::new(vertices, triangles)
}

/// Reads the OFF file at `path` (see [`parse_off`]).
///
/// # Errors
/// [`Error::File`], or as [`parse_off`] with `origin` = the path.
pub fn read_off(path: impl AsRef<Path>) -> Result<Mesh> {
    let path = path.as_ref();
    let bytes = read_bytes(path)?;
    parse_off(
        &String::from_utf8_lossy(&bytes),
        &path.display().to_string(),
    )
}

/// Encodes `mesh` as OFF text (`OFF`, counts, vertices, triangles).
pub fn encode_off(mesh: &Mesh) -> String {
    use std::fmt::Write;
    let mut s = format!(
        "OFF\n{} {} 0\n",
        mesh.vertices().len(),
        mesh.triangles().len()
    );
    for v in mesh.vertices() {
        let _ = writeln!(s, "{} {} {}", v[0], v[1], v[2]);
    }
    for t in mesh.triangles() {
        let _ = writeln!(s, "3 {} {} {}", t[0], t[1], t[2]);
    }
    s
}

/// Writes `mesh` to `path` as OFF, atomically (temporary file + rename).
///
/// # Errors
/// [`Error::File`] naming the path.
pub fn write_off(path: impl AsRef<Path>, mesh: &Mesh, force: bool) -> Result<()> {
    write_atomic(path.as_ref(), encode_off(mesh).as_bytes(), force)
}
