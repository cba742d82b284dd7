use mace_shapes::io::{
    encode_ply, parse_npy, parse_obj, parse_ply, read_npy, read_obj, read_ply, sample_obj,
    write_npy, write_obj, write_ply,
};
use mace_shapes::{
    read_point_cloud, write_point_cloud, AirplaneFamily, Error, Mesh, PlyEncoding, PointCloud,
};

fn sample_cloud() -> PointCloud {
    AirplaneFamily::default().shape(3, 0).unwrap()
}

#[test]
fn ply_round_trips_in_every_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let c = sample_cloud();
    for enc in [
        PlyEncoding::Ascii,
        PlyEncoding::BinaryLittleEndian,
        PlyEncoding::BinaryBigEndian,
    ] {
        let path = dir.path().join(format!("{enc:?}.ply"));
        write_ply(&path, &c, enc, true).unwrap();
        assert_eq!(read_ply(&path).unwrap(), c, "{enc:?}");
    }
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
}

#[test]
fn ply_tolerates_extra_properties_comments_and_faces() {
    let text =
        "ply\r\nformat ascii 1.0\r\ncomment hi\r\nelement vertex 2\r\nproperty double nx\r\n\
        property float x\r\nproperty float y\r\nproperty float z\r\nproperty uchar red\r\n\
        element face 1\r\nproperty list uchar int vertex_indices\r\nend_header\r\n\
        9 1 2 3 255\r\n9 4 5 6 0\r\n3 0 1 1\r\n";
    let c = parse_ply(text.as_bytes(), "mem").unwrap();
    assert_eq!(c.points(), &[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);

    // Binary, with a face element *before* the vertices and normals after x y z.
    let mut b = b"ply\nformat binary_little_endian 1.0\nelement face 2\nproperty list uchar int vertex_indices\n\
        element vertex 1\nproperty float x\nproperty float y\nproperty float z\nproperty float nx\nend_header\n"
        .to_vec();
    let face: Vec<u8> = std::iter::once(3u8)
        .chain((0..3i32).flat_map(|i| i.to_le_bytes()))
        .collect();
    b.extend_from_slice(&face);
    b.extend_from_slice(&face);
    for v in [0.5f32, -1.5, 2.25, 9.0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    assert_eq!(parse_ply(&b, "mem").unwrap().points(), &[[0.5, -1.5, 2.25]]);
}

#[test]
fn shapenet_2048_layout_parses() {
    // The header of ShapeNet's uniform 2048-point clouds.
    let mut b = b"ply\nformat binary_little_endian 1.0\nelement vertex 2048\nproperty float x\n\
        property float y\nproperty float z\nend_header\n"
        .to_vec();
    for i in 0..2048 * 3 {
        b.extend_from_slice(&(i as f32 * 1e-4).to_le_bytes());
    }
    let c = parse_ply(&b, "shapenet").unwrap();
    assert_eq!(c.len(), 2048);
    let v = |i: usize| i as f32 * 1e-4;
    assert_eq!(c[2047], [v(6141), v(6142), v(6143)]);
}

#[test]
fn bad_ply_header_names_the_line() {
    let cases: [(&str, usize, &str); 5] = [
        ("plx\n", 1, "first line"),
        ("ply\nformat ascii 1.0\nelement vertex two\n", 3, "count"),
        (
            "ply\nformat ascii 1.0\nelement vertex 1\nproperty quad x\n",
            4,
            "unknown property type",
        ),
        (
            "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n0\n",
            3,
            "lacks",
        ),
        ("ply\nformat ascii 1.0\nelement vertex 1\n", 4, "end_header"),
    ];
    for (text, line, reason) in cases {
        match parse_ply(text.as_bytes(), "bad.ply") {
            Err(Error::PlyHeader {
                line: l,
                reason: r,
                origin,
                ..
            }) => {
                assert_eq!(l, line, "{text:?}: {r}");
                assert!(r.contains(reason), "{text:?}: {r}");
                assert_eq!(origin, "bad.ply");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn ply_nan_zero_points_and_truncation() {
    let head = |n: usize| {
        format!(
            "ply\nformat ascii 1.0\nelement vertex {n}\nproperty float x\nproperty float y\n\
             property float z\nend_header\n"
        )
    };
    let nan = format!("{}0 0 0\n1 nan 2\n", head(2));
    assert!(matches!(
        parse_ply(nan.as_bytes(), "m"),
        Err(Error::NonFinite {
            index: 1,
            axis: 1,
            ..
        })
    ));
    assert!(matches!(
        parse_ply(head(0).as_bytes(), "m"),
        Err(Error::EmptyCloud { .. })
    ));
    let short = format!("{}0 0 0\n1 2\n", head(2));
    let e = parse_ply(short.as_bytes(), "m").unwrap_err();
    assert!(e.to_string().contains("vertex 1"), "{e}");
    let mut bin = encode_ply(&sample_cloud(), PlyEncoding::BinaryLittleEndian);
    bin.truncate(bin.len() - 5);
    assert!(matches!(parse_ply(&bin, "m"), Err(Error::PlyData { .. })));
}

fn npy_bytes(descr: &str, shape: &str, fortran: bool, data: &[u8], major: u8) -> Vec<u8> {
    let header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}\n",
        if fortran { "True" } else { "False" }
    );
    let mut out = b"\x93NUMPY".to_vec();
    out.extend_from_slice(&[major, 0]);
    if major == 1 {
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn npy_round_trip_and_variants() {
    let dir = tempfile::tempdir().unwrap();
    let c = sample_cloud();
    let path = dir.path().join("c.npy");
    write_npy(&path, &c, true).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        (10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize) % 64,
        0
    );
    assert_eq!(read_npy(&path).unwrap(), c);

    // float64, version 2, C order.
    let vals = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
    let data: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    let b = npy_bytes("<f8", "(2, 3)", false, &data, 2);
    assert_eq!(
        parse_npy(&b, "m").unwrap().points(),
        &[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    );
    // Fortran order: columns stored one after the other.
    let b = npy_bytes("<f8", "(2, 3)", true, &data, 1);
    assert_eq!(
        parse_npy(&b, "m").unwrap().points(),
        &[[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]
    );
}

#[test]
fn npy_errors_name_the_field() {
    let data = vec![0u8; 24];
    let field = |b: &[u8]| match parse_npy(b, "m") {
        Err(Error::Npy { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(b"NOTNUMPYxxxx"), "magic");
    assert_eq!(field(&npy_bytes(">f4", "(2, 3)", false, &data, 1)), "descr");
    assert_eq!(field(&npy_bytes("<i4", "(2, 3)", false, &data, 1)), "descr");
    assert_eq!(field(&npy_bytes("<f4", "(2, 4)", false, &data, 1)), "shape");
    assert_eq!(field(&npy_bytes("<f4", "(6,)", false, &data, 1)), "shape");
    assert_eq!(field(&npy_bytes("<f4", "(3, 3)", false, &data, 1)), "data");
    let mut nan = data.clone();
    nan[12..16].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(matches!(
        parse_npy(&npy_bytes("<f4", "(2, 3)", false, &nan, 1), "m"),
        Err(Error::NonFinite {
            index: 1,
            axis: 0,
            ..
        })
    ));
    assert!(matches!(
        parse_npy(&npy_bytes("<f4", "(0, 3)", false, &[], 1), "m"),
        Err(Error::EmptyCloud { .. })
    ));
}

#[test]
fn obj_faces_polygons_negative_and_slash_forms() {
    let text = "# a unit square as a quad, then a triangle with negative indices\n\
        o sq\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\n\
        f 1/1/1 2/1/1 3//1 4\n\
        v 0 0 1\nf -1 -5/1 -4\n";
    let m = parse_obj(text, "m").unwrap();
    assert_eq!(m.triangles(), &[[0, 1, 2], [0, 2, 3], [4, 0, 1]]);
    approx::assert_relative_eq!(m.area(), 1.5, epsilon = 1e-9);
    for (bad, line) in [
        ("v 0 0 0\nf 1 2 3\n", 2),
        ("v 0 0 0\nv 1 0 0\nf 1 2\n", 3),
        ("v 0 x 0\n", 1),
        ("v 0 0 0\nf 0 1 1\n", 2),
    ] {
        match parse_obj(bad, "m") {
            Err(Error::Obj { line: l, .. }) => assert_eq!(l, line, "{bad:?}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert!(matches!(
        parse_obj("v 0 nan 0\n", "m"),
        Err(Error::NonFinite { .. })
    ));
}

#[test]
fn obj_round_trip_and_seeded_area_weighted_sampling() {
    let dir = tempfile::tempdir().unwrap();
    // Two triangles: area 2 (z = 0) and area 0.5 (z = 1), plus a degenerate one.
    let m = Mesh::new(
        vec![
            [0.0, 0.0, 0.0],
            [2.0, 0.0, 0.0],
            [0.0, 2.0, 0.0],
            [0.0, 0.0, 1.0],
            [1.0, 0.0, 1.0],
            [0.0, 1.0, 1.0],
            [3.0, 3.0, 3.0],
        ],
        vec![[0, 1, 2], [3, 4, 5], [6, 6, 0]],
    )
    .unwrap();
    let path = dir.path().join("m.obj");
    write_obj(&path, &m, true).unwrap();
    assert_eq!(read_obj(&path).unwrap(), m);
    let a = sample_obj(&path, 20000, 9).unwrap();
    assert_eq!(
        a,
        sample_obj(&path, 20000, 9).unwrap(),
        "same seed, same cloud"
    );
    assert_ne!(a, sample_obj(&path, 20000, 10).unwrap());
    let top = a.iter().filter(|p| p[2] > 0.5).count() as f64 / a.len() as f64;
    assert!((top - 0.2).abs() < 0.02, "area weighting: {top}");
    assert!(a
        .iter()
        .all(|p| p[0] + p[1] <= 2.0 + 1e-5 && p[0] >= 0.0 && p[1] >= 0.0));
    assert!(
        !a.iter().any(|p| p[0] > 2.0),
        "degenerate face never sampled"
    );
}

#[test]
fn obj_all_degenerate_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flat.obj");
    std::fs::write(&path, "v 0 0 0\nv 1 1 1\nv 2 2 2\nf 1 2 3\nf 1 1 2\n").unwrap();
    match sample_obj(&path, 10, 0) {
        Err(Error::DegenerateMesh { origin, faces }) => {
            assert_eq!(faces, 2);
            assert!(origin.ends_with("flat.obj"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn dispatch_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let c = sample_cloud();
    for ext in ["ply", "npy"] {
        let p = dir.path().join(format!("c.{ext}"));
        write_point_cloud(&p, &c, true).unwrap();
        assert_eq!(read_point_cloud(&p).unwrap(), c);
    }
    assert!(matches!(
        read_point_cloud(dir.path().join("c.xyz")),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        read_point_cloud(dir.path().join("missing.ply")),
        Err(Error::File(_))
    ));
}
