//! Vertices of a URDF collision mesh file: Wavefront OBJ and STL (binary or ASCII).
//!
//! Collision only needs a mesh's convex hull, so faces, normals and materials are not read.

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

/// The vertices of a mesh file's contents (metres, the mesh's own frame), by the file name's
/// extension.
///
/// # Errors
/// A message naming the problem (unsupported format, a malformed line, a truncated STL, a
/// non-finite coordinate, no vertices at all).
pub fn read_vertices(filename: &str, bytes: &[u8]) -> Result<Vec<Vec3>, String> {
    let vertices = match extension(filename).as_deref() {
        Some("obj") => obj_vertices(bytes)?,
        Some("stl") => stl_vertices(bytes)?,
        _ => {
            return Err(format!(
                "unsupported mesh format (readable: {})",
                MESH_EXTENSIONS.join(", ")
            ))
        }
    };
    if vertices.is_empty() {
        return Err("the mesh has no vertices".into());
    }
    if let Some(v) = vertices.iter().find(|v| v.iter().any(|x| !x.is_finite())) {
        return Err(format!("non-finite vertex {v:?}"));
    }
    Ok(vertices)
}

/// `v x y z` lines of an OBJ file.
fn obj_vertices(bytes: &[u8]) -> Result<Vec<Vec3>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("OBJ is not UTF-8 text: {e}"))?;
    keyword_vertices(text, "v")
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

/// Triangle corners of an STL file (binary, or ASCII when it starts with `solid` and has
/// `vertex` lines); shared corners repeat, which a convex hull does not mind.
fn stl_vertices(bytes: &[u8]) -> Result<Vec<Vec3>, String> {
    let ascii = bytes.starts_with(b"solid")
        && std::str::from_utf8(bytes).is_ok_and(|t| t.contains("vertex"));
    if ascii {
        return keyword_vertices(std::str::from_utf8(bytes).expect("checked above"), "vertex");
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
    Ok(out)
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
    }
}
