//! Mesh builders for airplane parts: a fuselage of revolution, lofted lifting surfaces (wings,
//! tail planes, fins, pylons) and engine nacelles. Lengths are in fuselage lengths; the
//! fuselage axis is z (nose towards −z), span x, up y.

use crate::mesh::Mesh;

type V3 = [f32; 3];

fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

fn scale(a: V3, s: f32) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

/// Joins two rings of equal length `n` (vertex indices) with quads, wrapping around.
fn join_rings(mesh: &mut Mesh, a: &[u32], b: &[u32]) {
    let n = a.len();
    for i in 0..n {
        let j = (i + 1) % n;
        mesh.push_triangle([a[i], b[i], b[j]]);
        mesh.push_triangle([a[i], b[j], a[j]]);
    }
}

/// Closes a ring with a fan around its centroid.
fn cap_ring(mesh: &mut Mesh, ring: &[u32]) {
    let mut c = [0.0f32; 3];
    for &i in ring {
        c = add(c, mesh.vertices()[i as usize]);
    }
    let centre = mesh.push_vertex(scale(c, 1.0 / ring.len() as f32));
    for i in 0..ring.len() {
        mesh.push_triangle([centre, ring[i], ring[(i + 1) % ring.len()]]);
    }
}

/// A body of revolution about an axis parallel to z: `stations` are `(z, radius, centre_y)`
/// from front to back, each ring has `segments` vertices; both ends are capped (a zero radius
/// end collapses to a point). Returns nothing; appends to `mesh`.
pub(crate) fn revolve(
    mesh: &mut Mesh,
    centre_x: f32,
    stations: &[(f32, f32, f32)],
    segments: usize,
) {
    let mut prev: Option<Vec<u32>> = None;
    let mut first = Vec::new();
    for &(z, r, cy) in stations {
        let ring: Vec<u32> = (0..segments)
            .map(|k| {
                let a = k as f32 * std::f32::consts::TAU / segments as f32;
                mesh.push_vertex([centre_x + r * a.cos(), cy + r * a.sin(), z])
            })
            .collect();
        if let Some(p) = &prev {
            join_rings(mesh, p, &ring);
        } else {
            first = ring.clone();
        }
        prev = Some(ring);
    }
    cap_ring(mesh, &first);
    if let Some(last) = prev {
        cap_ring(mesh, &last);
    }
}

/// Shape of a lofted lifting surface (one side).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Loft {
    /// Leading-edge point of the root section.
    pub root_le: V3,
    /// Unit spanwise direction (e.g. ±x for wings, +y for a fin).
    pub span_dir: V3,
    /// Unit thickness direction (perpendicular to span and chord).
    pub up_dir: V3,
    /// Span from root section to tip section.
    pub span: f32,
    /// Chord at the root and at the tip (along +z).
    pub root_chord: f32,
    /// Chord at the tip.
    pub tip_chord: f32,
    /// Leading-edge sweep (rad): the tip LE moves back by `span · tan(sweep)`.
    pub sweep: f32,
    /// Dihedral (rad): the tip moves along `up_dir` by `span · tan(dihedral)`.
    pub dihedral: f32,
    /// Thickness over chord.
    pub thickness: f32,
}

/// Section outline: (fraction of chord, fraction of half-thickness).
const AIRFOIL: [(f32, f32); 6] = [
    (0.0, 0.0),
    (0.08, 0.65),
    (0.32, 1.0),
    (1.0, 0.0),
    (0.32, -1.0),
    (0.08, -0.65),
];

/// Appends a lofted surface (root section open, tip capped).
pub(crate) fn loft(mesh: &mut Mesh, l: &Loft) {
    let chord_dir = [0.0, 0.0, 1.0];
    let section = |mesh: &mut Mesh, le: V3, chord: f32| -> Vec<u32> {
        AIRFOIL
            .iter()
            .map(|&(u, v)| {
                let p = add(
                    add(le, scale(chord_dir, u * chord)),
                    scale(l.up_dir, v * 0.5 * l.thickness * chord),
                );
                mesh.push_vertex(p)
            })
            .collect()
    };
    let tip_le = add(
        add(
            add(l.root_le, scale(l.span_dir, l.span)),
            scale(l.up_dir, l.span * l.dihedral.tan()),
        ),
        scale(chord_dir, l.span * l.sweep.tan()),
    );
    let root = section(mesh, l.root_le, l.root_chord);
    let tip = section(mesh, tip_le, l.tip_chord.max(1e-3));
    join_rings(mesh, &root, &tip);
    cap_ring(mesh, &tip);
}

/// Leading-edge point, thickness-centre height and chord of a loft at spanwise distance `d`
/// from its root.
pub(crate) fn loft_station(l: &Loft, d: f32) -> (V3, f32) {
    let f = (d / l.span).clamp(0.0, 1.0);
    let le = add(
        add(
            add(l.root_le, scale(l.span_dir, d)),
            scale(l.up_dir, d * l.dihedral.tan()),
        ),
        [0.0, 0.0, d * l.sweep.tan()],
    );
    (le, l.root_chord + (l.tip_chord - l.root_chord) * f)
}

/// An engine nacelle along z: centre `c`, radius `r`, length `len`; intake lip, bulge and a
/// tapered exhaust, both ends capped.
pub(crate) fn nacelle(mesh: &mut Mesh, c: V3, r: f32, len: f32) {
    let z0 = c[2] - 0.5 * len;
    let stations = [
        (z0, 0.82 * r, c[1]),
        (z0 + 0.15 * len, r, c[1]),
        (z0 + 0.6 * len, r, c[1]),
        (z0 + len, 0.6 * r, c[1]),
    ];
    revolve(mesh, c[0], &stations, 14);
}
