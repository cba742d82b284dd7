//! Property tests of every parser in `io/`: arbitrary bytes, valid files with random damage and
//! random headers over random bodies never panic (errors are fine); encoded files parse back to
//! the same points. Cases per test: `PROPTEST_CASES` (proptest's default 256 otherwise, a
//! second or two per parser). Run one parser's with e.g.
//! `PROPTEST_CASES=1000000 cargo test --release -p mace-shapes --test it props::pcd`.

use mace_shapes::io::{
    encode_npy, encode_obj, encode_off, encode_pcd, encode_ply, parse_json_points, parse_npy,
    parse_obj, parse_off, parse_pcd, parse_ply, parse_ply_mesh, parse_shape,
};
use mace_shapes::{
    prepare_shape, Mesh, PcdEncoding, PlyEncoding, PointCloud, PrepareOptions, ShapeFormat,
};
use proptest::prelude::*;

/// Any finite `f32` (both signs, normal, subnormal and zero).
fn coord() -> impl Strategy<Value = f32> {
    prop::num::f32::NORMAL | prop::num::f32::SUBNORMAL | prop::num::f32::ZERO
}

fn cloud() -> impl Strategy<Value = PointCloud> {
    prop::collection::vec(prop::array::uniform3(coord()), 1..48)
        .prop_map(|p| PointCloud::new(p).unwrap())
}

fn mesh() -> impl Strategy<Value = Mesh> {
    prop::collection::vec(prop::array::uniform3(coord()), 1..24).prop_flat_map(|v| {
        let n = v.len() as u32;
        prop::collection::vec(prop::array::uniform3(0..n), 0..24)
            .prop_map(move |t| Mesh::new(v.clone(), t).unwrap())
    })
}

/// Damage to a file: (position, byte, kind) with kind 0 = overwrite, 1 = insert, 2 = delete,
/// 3 = truncate there.
fn damage() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    prop::collection::vec((any::<usize>(), any::<u8>(), 0..4u8), 1..6)
}

fn apply(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, b, kind) in edits {
        let at = at % (bytes.len() + 1);
        match kind {
            0 if at < bytes.len() => bytes[at] = b,
            1 => bytes.insert(at, b),
            2 if at < bytes.len() => {
                bytes.remove(at);
            }
            3 => bytes.truncate(at),
            _ => {}
        }
    }
    bytes
}

/// Bytes that look like numbers, keywords and separators: text bodies that get far into the
/// parsers.
fn texty() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        (-5i64..300).prop_map(|i| i.to_string()),
        any::<f32>().prop_map(|f| f.to_string()),
        Just("nan".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
        Just("/".to_string()),
        Just("#".to_string()),
        Just("v".to_string()),
        Just("f".to_string()),
    ];
    let sep = prop_oneof![Just(" "), Just("\n"), Just("\t"), Just("\r\n")];
    prop::collection::vec((token, sep), 0..64).prop_map(|v| {
        v.into_iter()
            .flat_map(|(t, s)| [t, s.to_string()])
            .collect::<String>()
            .into_bytes()
    })
}

/// Parses with every entry point of `format` and, when it reads, conditions the result.
fn exercise(bytes: &[u8], format: ShapeFormat) {
    if let Ok(data) = parse_shape(bytes, format, "<prop>") {
        let _ = prepare_shape(data, format, "<prop>", &PrepareOptions::default());
    }
}

const PLY_SCALARS: [&str; 8] = [
    "char", "uchar", "short", "ushort", "int", "uint", "float", "double",
];

/// A random PLY header: a vertex element with x y z among other properties, perhaps a face
/// element with a list, in either order, any encoding.
fn ply_header() -> impl Strategy<Value = String> {
    (
        0..3usize,
        0..6usize,
        prop::collection::vec(0..8usize, 3..6),
        0..5usize,
        any::<bool>(),
        (0..8usize, 0..8usize),
    )
        .prop_map(|(enc, nv, types, nf, faces_first, (lc, li))| {
            let format = ["ascii", "binary_little_endian", "binary_big_endian"][enc];
            let names = ["x", "y", "z", "nx", "red", "w"];
            let mut vertex = format!("element vertex {nv}\n");
            for (i, &t) in types.iter().enumerate() {
                vertex += &format!("property {} {}\n", PLY_SCALARS[t], names[i]);
            }
            let face = format!(
                "element face {nf}\nproperty list {} {} vertex_indices\n",
                PLY_SCALARS[lc.min(5)],
                PLY_SCALARS[li]
            );
            let (a, b) = if faces_first {
                (face, vertex)
            } else {
                (vertex, face)
            };
            format!("ply\nformat {format} 1.0\n{a}{b}end_header\n")
        })
}

proptest! {
    #[test]
    fn ply_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_ply(&bytes, "<prop>");
        exercise(&bytes, ShapeFormat::Ply);
    }

    #[test]
    fn ply_never_panics_on_random_bodies(
        header in ply_header(),
        body in prop_oneof![prop::collection::vec(any::<u8>(), 0..256), texty()],
    ) {
        let mut bytes = header.into_bytes();
        bytes.extend(body);
        let _ = parse_ply(&bytes, "<prop>");
        let _ = parse_ply_mesh(&bytes, "<prop>");
        exercise(&bytes, ShapeFormat::Ply);
    }

    #[test]
    fn ply_never_panics_on_damaged_files(c in cloud(), enc in 0..3usize, edits in damage()) {
        let enc = [PlyEncoding::Ascii, PlyEncoding::BinaryLittleEndian, PlyEncoding::BinaryBigEndian][enc];
        let bytes = apply(encode_ply(&c, enc), &edits);
        exercise(&bytes, ShapeFormat::Ply);
    }

    #[test]
    fn ply_round_trips(c in cloud(), enc in 0..3usize) {
        let enc = [PlyEncoding::Ascii, PlyEncoding::BinaryLittleEndian, PlyEncoding::BinaryBigEndian][enc];
        prop_assert_eq!(parse_ply(&encode_ply(&c, enc), "<prop>").unwrap(), c);
    }

    #[test]
    fn npy_never_panics(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            (prop::sample::select(vec!["<f4", "<f8", ">f4", "<i4"]), 0..20usize, 1..5usize, any::<bool>(),
             prop::collection::vec(any::<u8>(), 0..200), 1..4u8)
                .prop_map(|(descr, n, m, fortran, data, version)| {
                    let f = if fortran { "True" } else { "False" };
                    let h = format!("{{'descr': '{descr}', 'fortran_order': {f}, 'shape': ({n}, {m}), }}\n");
                    let mut b = b"\x93NUMPY".to_vec();
                    b.extend([version, 0]);
                    if version == 1 {
                        b.extend((h.len() as u16).to_le_bytes());
                    } else {
                        b.extend((h.len() as u32).to_le_bytes());
                    }
                    b.extend(h.into_bytes());
                    b.extend(data);
                    b
                }),
        ],
    ) {
        let _ = parse_npy(&bytes, "<prop>");
        exercise(&bytes, ShapeFormat::Npy);
    }

    #[test]
    fn npy_never_panics_on_damaged_files(c in cloud(), edits in damage()) {
        exercise(&apply(encode_npy(&c), &edits), ShapeFormat::Npy);
    }

    #[test]
    fn npy_round_trips(c in cloud()) {
        prop_assert_eq!(parse_npy(&encode_npy(&c), "<prop>").unwrap(), c);
    }

    #[test]
    fn json_never_panics(bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..256), texty()]) {
        let _ = parse_json_points(&bytes, "<prop>");
        exercise(&bytes, ShapeFormat::Json);
    }

    #[test]
    fn json_round_trips(c in cloud(), edits in damage()) {
        let text = serde_json::to_vec(c.points()).unwrap();
        prop_assert_eq!(parse_json_points(&text, "<prop>").unwrap(), c.points().to_vec());
        exercise(&apply(text, &edits), ShapeFormat::Json);
    }

    #[test]
    fn obj_never_panics(bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..256), texty()]) {
        let _ = parse_obj(&String::from_utf8_lossy(&bytes), "<prop>");
        exercise(&bytes, ShapeFormat::Obj);
    }

    #[test]
    fn obj_round_trips(m in mesh(), edits in damage()) {
        let text = encode_obj(&m);
        prop_assert_eq!(parse_obj(&text, "<prop>").unwrap(), m);
        exercise(&apply(text.into_bytes(), &edits), ShapeFormat::Obj);
    }

    #[test]
    fn off_never_panics(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            texty(),
            (0..8usize, 0..8usize, texty()).prop_map(|(v, f, body)| {
                let mut b = format!("OFF\n{v} {f} 0\n").into_bytes();
                b.extend(body);
                b
            }),
        ],
    ) {
        let _ = parse_off(&String::from_utf8_lossy(&bytes), "<prop>");
        exercise(&bytes, ShapeFormat::Off);
    }

    #[test]
    fn off_round_trips(m in mesh(), edits in damage()) {
        let text = encode_off(&m);
        prop_assert_eq!(parse_off(&text, "<prop>").unwrap(), m);
        exercise(&apply(text.into_bytes(), &edits), ShapeFormat::Off);
    }

    #[test]
    fn pcd_never_panics(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            (prop::collection::vec((0..3usize, 0..4usize, 0..3usize), 1..6), 0..6usize, 0..3usize,
             any::<bool>(), prop_oneof![prop::collection::vec(any::<u8>(), 0..200), texty()])
                .prop_map(|(fields, w, h, binary, body)| {
                    let names = ["x", "y", "z", "rgb", "_", "normal"];
                    let n: Vec<&str> = names.iter().take(fields.len()).copied().collect();
                    let size: Vec<String> = fields.iter().map(|f| [1, 2, 4, 8][f.1].to_string()).collect();
                    let ty: Vec<&str> = fields.iter().map(|f| ["F", "I", "U"][f.0]).collect();
                    let count: Vec<String> = fields.iter().map(|f| f.2.to_string()).collect();
                    let data = if binary { "binary" } else { "ascii" };
                    let mut b = format!(
                        "VERSION 0.7\nFIELDS {}\nSIZE {}\nTYPE {}\nCOUNT {}\nWIDTH {w}\nHEIGHT {h}\n\
                         POINTS {}\nDATA {data}\n",
                        n.join(" "), size.join(" "), ty.join(" "), count.join(" "), w * h
                    ).into_bytes();
                    b.extend(body);
                    b
                }),
        ],
    ) {
        let _ = parse_pcd(&bytes, "<prop>");
        exercise(&bytes, ShapeFormat::Pcd);
    }

    #[test]
    fn pcd_never_panics_on_damaged_files(c in cloud(), binary in any::<bool>(), edits in damage()) {
        let enc = if binary { PcdEncoding::Binary } else { PcdEncoding::Ascii };
        exercise(&apply(encode_pcd(&c, enc), &edits), ShapeFormat::Pcd);
    }

    #[test]
    fn pcd_round_trips(c in cloud(), binary in any::<bool>()) {
        let enc = if binary { PcdEncoding::Binary } else { PcdEncoding::Ascii };
        prop_assert_eq!(parse_pcd(&encode_pcd(&c, enc), "<prop>").unwrap(), c);
    }
}
