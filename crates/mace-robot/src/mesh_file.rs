//! Vertices of a URDF collision mesh file, part by part: Wavefront OBJ and STL (binary or
//! ASCII).
//!
//! Collision needs each part's convex hull, so normals and materials are not read. A part is
//! what a mesh-based engine makes one convex hull of (Bullet's URDF loader does so for OBJ): an
//! OBJ's `o` / `g` groups (the vertices their faces use; a convex decomposition such as V-HACD's
//! output is one group per convex piece), an ASCII STL's `solid` blocks. A file without groups
//! is one part.

use crate::math::Vec3;

/// Mesh formats whose vertices can be read.
pub const MESH_EXTENSIONS: [&str; 2] = ["obj", "stl"];

/// Whether a mesh file name has a readable format (by its extension, case-insensitive).
pub fn is_supported(filename: &str) -> bool {
    extension(filename).is_some_and(|e| MESH_EXTENSIONS.contains(&e.as_str()))
}

fn extension(filename: &str) -> Option<String> {
    let name = filename.rsplit(['/', '\\']).next()?;
    let (_, ext) = name.rsplit_once('.')?;
    Some(ext.to_ascii_lowercase())
}

/// All vertices of a mesh file's contents (metres, the mesh's own frame), every part together,
/// by the file name's extension.
///
/// # Errors
/// As [`read_parts`].
pub fn read_vertices(filename: &str, bytes: &[u8]) -> Result<Vec<Vec3>, String> {
    Ok(read_parts(filename, bytes)?.concat())
}

/// The vertices of each part of a mesh file's contents (see the module docs), by the file
/// name's extension; every part has at least one vertex.
///
/// # Errors
/// A message naming the problem (unsupported format, a malformed line, a face naming a missing
/// vertex, a truncated STL, a non-finite coordinate, no vertices at all).
pub fn read_parts(filename: &str, bytes: &[u8]) -> Result<Vec<Vec<Vec3>>, String> {
    let parts = match extension(filename).as_deref() {
        Some("obj") => obj_parts(bytes)?,
        Some("stl") => stl_parts(bytes)?,
        _ => {
            return Err(format!(
                "unsupported mesh format (readable: {})",
                MESH_EXTENSIONS.join(", ")
            ))
        }
    };
    let parts: Vec<Vec<Vec3>> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return Err("the mesh has no vertices".into());
    }
    if let Some(v) = parts
        .iter()
        .flatten()
        .find(|v| v.iter().any(|x| !x.is_finite()))
    {
        return Err(format!("non-finite vertex {v:?}"));
    }
    Ok(parts)
}

/// The triangles of a mesh file's contents (metres, the mesh's frame), by the file name's
/// extension: an OBJ's faces (polygons split into fans), an STL's facets.
///
/// # Errors
/// A message naming the problem, as [`read_parts`], or a mesh without faces.
pub fn read_triangles(filename: &str, bytes: &[u8]) -> Result<Vec<[Vec3; 3]>, String> {
    let triangles = match extension(filename).as_deref() {
        Some("obj") => {
            let text =
                std::str::from_utf8(bytes).map_err(|e| format!("OBJ is not UTF-8 text: {e}"))?;
            obj_triangles(text)?
        }
        Some("stl") => stl_parts(bytes)?
            .concat()
            .chunks_exact(3)
            .map(|t| [t[0], t[1], t[2]])
            .collect(),
        _ => {
            return Err(format!(
                "unsupported mesh format (readable: {})",
                MESH_EXTENSIONS.join(", ")
            ))
        }
    };
    if triangles.is_empty() {
        return Err("the mesh has no faces".into());
    }
    if let Some(t) = triangles
        .iter()
        .find(|t| t.iter().flatten().any(|x| !x.is_finite()))
    {
        return Err(format!("non-finite vertex in triangle {t:?}"));
    }
    Ok(triangles)
}

/// The faces of an OBJ file as triangles (each polygon as a fan from its first corner).
fn obj_triangles(text: &str) -> Result<Vec<[Vec3; 3]>, String> {
    let vertices = keyword_vertices(text, "v")?;
    let mut defined = 0usize;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut fields = line.split_whitespace();
        match fields.next() {
            Some("v") => defined += 1,
            Some("f") => {
                let corners = fields
                    .map(|corner| {
                        let k: i64 = corner
                            .split('/')
                            .next()
                            .unwrap_or("")
                            .parse()
                            .map_err(|_| format!("line {}: malformed face {line:?}", i + 1))?;
                        let v = if k > 0 { k - 1 } else { defined as i64 + k };
                        if v < 0 || v as usize >= vertices.len() {
                            return Err(format!(
                                "line {}: face names vertex {k}, the file has {}",
                                i + 1,
                                vertices.len()
                            ));
                        }
                        Ok(vertices[v as usize])
                    })
                    .collect::<Result<Vec<Vec3>, String>>()?;
                if corners.len() < 3 {
                    return Err(format!("line {}: a face needs 3 corners: {line:?}", i + 1));
                }
                for k in 1..corners.len() - 1 {
                    out.push([corners[0], corners[k], corners[k + 1]]);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The parts of an OBJ file: the vertices used by the faces of each `o` / `g` group (all the
/// `v` lines as one part when there are no faces, or no groups).
fn obj_parts(bytes: &[u8]) -> Result<Vec<Vec<Vec3>>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("OBJ is not UTF-8 text: {e}"))?;
    let vertices = keyword_vertices(text, "v")?;
    // Vertex indices used by the faces of each group, in order of first use.
    let mut groups: Vec<Vec<usize>> = vec![Vec::new()];
    let mut seen = vec![usize::MAX; vertices.len()];
    let mut faces = 0usize;
    let mut defined = 0usize;
    for (i, line) in text.lines().enumerate() {
        let mut fields = line.split_whitespace();
        match fields.next() {
            Some("v") => defined += 1,
            Some("o" | "g") if groups.last().is_some_and(|g| !g.is_empty()) => {
                groups.push(Vec::new());
            }
            Some("f") => {
                faces += 1;
                let group = groups.len() - 1;
                for corner in fields {
                    let index = corner.split('/').next().unwrap_or("");
                    let k: i64 = index
                        .parse()
                        .map_err(|_| format!("line {}: malformed face {line:?}", i + 1))?;
                    // 1-based, or negative: relative to the vertices defined so far.
                    let v = if k > 0 { k - 1 } else { defined as i64 + k };
                    if v < 0 || v as usize >= vertices.len() {
                        return Err(format!(
                            "line {}: face names vertex {k}, the file has {}",
                            i + 1,
                            vertices.len()
                        ));
                    }
                    let v = v as usize;
                    if seen[v] != group {
                        seen[v] = group;
                        groups[group].push(v);
                    }
                }
            }
            _ => {}
        }
    }
    let used: Vec<Vec<usize>> = groups.into_iter().filter(|g| !g.is_empty()).collect();
    if faces == 0 || used.len() <= 1 {
        return Ok(vec![vertices]);
    }
    Ok(used
        .into_iter()
        .map(|g| g.into_iter().map(|v| vertices[v]).collect())
        .collect())
}

/// The three numbers after `keyword` on every line that starts with it.
fn keyword_vertices(text: &str, keyword: &str) -> Result<Vec<Vec3>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut fields = line.split_whitespace();
        if fields.next() != Some(keyword) {
            continue;
        }
        let mut v = [0.0f32; 3];
        for x in &mut v {
            *x = fields
                .next()
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| format!("line {}: malformed vertex {line:?}", i + 1))?;
        }
        out.push(v);
    }
    Ok(out)
}

/// Triangle corners of an STL file: binary (one part), or ASCII when it starts with `solid`
/// and has `vertex` lines (one part per `solid` block); shared corners repeat, which a convex
/// hull does not mind.
fn stl_parts(bytes: &[u8]) -> Result<Vec<Vec<Vec3>>, String> {
    let ascii = bytes.starts_with(b"solid")
        && std::str::from_utf8(bytes).is_ok_and(|t| t.contains("vertex"));
    if ascii {
        let text = std::str::from_utf8(bytes).expect("checked above");
        let mut parts = Vec::new();
        let mut start = 0;
        // Each block runs from `solid` to its `endsolid`.
        for (at, _) in text.match_indices("endsolid") {
            parts.push(keyword_vertices(&text[start..at], "vertex")?);
            start = at + "endsolid".len();
        }
        parts.push(keyword_vertices(&text[start..], "vertex")?);
        return Ok(parts);
    }
    if bytes.len() < 84 {
        return Err(format!(
            "binary STL shorter than its 84-byte header ({} bytes)",
            bytes.len()
        ));
    }
    let n = u32::from_le_bytes(bytes[80..84].try_into().expect("4 bytes")) as usize;
    let need = 84 + 50 * n;
    if bytes.len() < need {
        return Err(format!(
            "binary STL truncated: {n} triangles need {need} bytes, the file has {}",
            bytes.len()
        ));
    }
    let f = |at: usize| f32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let mut out = Vec::with_capacity(3 * n);
    for t in 0..n {
        let base = 84 + 50 * t + 12; // skip the normal
        for c in 0..3 {
            let at = base + 12 * c;
            out.push([f(at), f(at + 4), f(at + 8)]);
        }
    }
    Ok(vec![out])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obj_and_both_stl_forms_give_the_same_vertices() {
        let obj = b"# a triangle\nv 0 0 0\nv 1 0 0\nvn 0 0 1\nv 0 1 0.5\nf 1 2 3\n";
        let v = read_vertices("m.OBJ", obj).unwrap();
        assert_eq!(v, vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.5]]);

        let ascii = "solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n\
                     vertex 0 1 0.5\nendloop\nendfacet\nendsolid t\n";
        assert_eq!(read_vertices("m.stl", ascii.as_bytes()).unwrap(), v);

        let mut bin = vec![0u8; 80];
        bin.extend_from_slice(&1u32.to_le_bytes());
        bin.extend_from_slice(&[0u8; 12]);
        for p in &v {
            for x in p {
                bin.extend_from_slice(&x.to_le_bytes());
            }
        }
        bin.extend_from_slice(&[0u8; 2]);
        assert_eq!(read_vertices("m.stl", &bin).unwrap(), v);
    }

    #[test]
    fn bad_meshes_are_named() {
        assert!(read_vertices("m.dae", b"<xml/>")
            .unwrap_err()
            .contains("unsupported"));
        assert!(read_vertices("m.obj", b"v 1 2\n")
            .unwrap_err()
            .contains("line 1"));
        assert!(read_vertices("m.obj", b"# nothing\n")
            .unwrap_err()
            .contains("no vertices"));
        assert!(read_vertices("m.obj", b"v 1 2 nan\n")
            .unwrap_err()
            .contains("non-finite"));
        let mut bin = vec![0u8; 80];
        bin.extend_from_slice(&3u32.to_le_bytes());
        assert!(read_vertices("m.stl", &bin)
            .unwrap_err()
            .contains("truncated"));
        assert!(is_supported("a/b/link.STL") && !is_supported("link.dae") && !is_supported("x"));
        assert!(read_vertices("m.obj", b"v 0 0 0\nf 1 2 9\n")
            .unwrap_err()
            .contains("vertex 2"));
    }

    #[test]
    fn groups_and_solids_are_parts() {
        // Two groups of a convex decomposition, the second with relative indices.
        let obj = "o a\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\no b\nv 5 0 0\nv 6 0 0\nv 5 1 0\n\
                   f -3 -2 -1\n";
        let parts = read_parts("d.obj", obj.as_bytes()).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[1],
            vec![[5.0, 0.0, 0.0], [6.0, 0.0, 0.0], [5.0, 1.0, 0.0]]
        );
        // Faces with texture and normal indices; one group is one part.
        let one = "g x\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/1/1 2/2/2 3//3\n";
        assert_eq!(read_parts("one.obj", one.as_bytes()).unwrap().len(), 1);
        let stl = "solid a\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendsolid a\n\
                   solid b\nvertex 3 0 0\nvertex 4 0 0\nvertex 3 1 0\nendsolid b\n";
        assert_eq!(read_parts("two.stl", stl.as_bytes()).unwrap().len(), 2);
    }
}
