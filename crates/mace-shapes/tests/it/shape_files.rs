//! Users' shape files: every format through `load_shape`, frames, normalisation and resampling,
//! and bad input as one-line errors naming file, field and value.

use std::path::Path;
use std::time::Instant;

use mace_shapes::io::{
    encode_npy, encode_obj, encode_off, encode_pcd, encode_ply, parse_npy, parse_off, parse_pcd,
    parse_ply, parse_shape,
};
use mace_shapes::{
    load_shape, prepare_shape, AirplaneFamily, Axis, Error, Frame, Mesh, PcdEncoding, PlyEncoding,
    PointCloud, PrepareOptions, ShapeData, ShapeFormat,
};

/// The error's message, checked to be one line that names `origin`.
fn message(e: Error, origin: &str) -> String {
    let m = e.to_string();
    assert!(!m.contains('\n'), "not one line: {m}");
    assert!(m.contains(origin), "does not name {origin}: {m}");
    m
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn cube_mesh(scale: f32) -> Mesh {
    let v = (0..8)
        .map(|i| [(i & 1) as f32, ((i >> 1) & 1) as f32, ((i >> 2) & 1) as f32].map(|c| c * scale))
        .collect();
    let quads = [
        [0, 1, 3, 2],
        [4, 6, 7, 5],
        [0, 4, 5, 1],
        [2, 3, 7, 6],
        [0, 2, 6, 4],
        [1, 5, 7, 3],
    ];
    let t = quads
        .iter()
        .flat_map(|q| [[q[0], q[1], q[2]], [q[0], q[2], q[3]]])
        .collect();
    Mesh::new(v, t).unwrap()
}

fn diagonal(c: &PointCloud) -> f32 {
    let (lo, hi) = c.bbox();
    (0..3).map(|a| (hi[a] - lo[a]).powi(2)).sum::<f32>().sqrt()
}

#[test]
fn every_format_loads_into_the_prior_frame() {
    let dir = tempfile::tempdir().unwrap();
    let plane = AirplaneFamily::default().shape(0, 1).unwrap();
    let mm = PointCloud::new(
        plane
            .iter()
            .map(|p| p.map(|c| 1000.0 * c + 300.0))
            .collect(),
    )
    .unwrap();
    let files = [
        write(dir.path(), "a.ply", &encode_ply(&mm, PlyEncoding::Ascii)),
        write(
            dir.path(),
            "b.ply",
            &encode_ply(&mm, PlyEncoding::BinaryBigEndian),
        ),
        write(dir.path(), "c.npy", &encode_npy(&mm)),
        write(dir.path(), "d.pcd", &encode_pcd(&mm, PcdEncoding::Ascii)),
        write(dir.path(), "e.PCD", &encode_pcd(&mm, PcdEncoding::Binary)),
        write(
            dir.path(),
            "f.json",
            serde_json::to_string(mm.points()).unwrap().as_bytes(),
        ),
    ];
    for f in &files {
        let (cloud, record) = load_shape(f, &PrepareOptions::default()).unwrap();
        // Millimetres: centred and scaled back to the airplane as generated (unit diagonal).
        assert_eq!(record.points, 2048);
        assert!((diagonal(&cloud) - 1.0).abs() < 1e-5, "{f:?}");
        let max_err = cloud
            .iter()
            .zip(plane.iter())
            .map(|(a, b)| (0..3).map(|k| (a[k] - b[k]).abs()).fold(0.0, f32::max))
            .fold(0.0, f32::max);
        assert!(max_err < 1e-4, "{f:?}: {max_err}");
        assert!((record.scale - 1e-3).abs() < 1e-9, "{record:?}");
        let notes = record.notes.join(" ");
        assert!(
            notes.contains("millimetres") && notes.contains("scaled by"),
            "{notes}"
        );
        assert_eq!(record.kind, "cloud");
    }
}

#[test]
fn meshes_are_sampled_on_their_surface_seeded() {
    let dir = tempfile::tempdir().unwrap();
    let cube = cube_mesh(10.0);
    let off = write(dir.path(), "cube.off", encode_off(&cube).as_bytes());
    let obj = write(dir.path(), "cube.obj", encode_obj(&cube).as_bytes());
    // A PLY with faces is a mesh too.
    let mut ply = String::from(
        "ply\nformat ascii 1.0\nelement vertex 8\nproperty float x\nproperty float y\n\
         property float z\nelement face 6\nproperty list uchar int vertex_indices\nend_header\n",
    );
    for v in cube.vertices() {
        ply += &format!("{} {} {}\n", v[0], v[1], v[2]);
    }
    for q in [
        [0, 1, 3, 2],
        [4, 6, 7, 5],
        [0, 4, 5, 1],
        [2, 3, 7, 6],
        [0, 2, 6, 4],
        [1, 5, 7, 3],
    ] {
        ply += &format!("4 {} {} {} {}\n", q[0], q[1], q[2], q[3]);
    }
    let ply = write(dir.path(), "cube.ply", ply.as_bytes());
    let opts = PrepareOptions {
        seed: 5,
        ..PrepareOptions::default()
    };
    let (a, ra) = load_shape(&off, &opts).unwrap();
    let (b, _) = load_shape(&obj, &opts).unwrap();
    let (c, rc) = load_shape(&ply, &opts).unwrap();
    assert_eq!(a, b, "same mesh, same seed, same points");
    assert_eq!(a, c);
    assert_eq!(
        (ra.kind.as_str(), ra.file_points, ra.file_triangles),
        ("mesh", 8, 12)
    );
    assert_eq!(rc.format, ShapeFormat::Ply);
    // On the surface of the normalised cube: one coordinate at ±half its side.
    let h = 0.5 / 3f32.sqrt();
    for p in a.iter() {
        assert!(p.iter().any(|c| (c.abs() - h).abs() < 1e-5), "{p:?}");
    }
    let (d, _) = load_shape(&off, &PrepareOptions { seed: 6, ..opts }).unwrap();
    assert_ne!(a, d);
    // A mesh file without faces is a cloud of its vertices (too few here).
    let v_only = write(dir.path(), "v.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\n");
    let e = load_shape(&v_only, &opts).unwrap_err();
    assert!(message(e, "v.obj").contains("3 points, fewer than the 64"));
}

#[test]
fn frames_rotate_into_ours() {
    // ModelNet: z up; a nose along −y ends along −z, up along +y.
    let f = Frame::new(Axis::Z, None).unwrap();
    assert_eq!((f.up, f.front), (Axis::Z, Axis::NEG_Y));
    let r = f.rotation();
    let apply = |v: [f32; 3]| [0, 1, 2].map(|k| (0..3).map(|j| r[k][j] * v[j]).sum::<f32>());
    assert_eq!(apply([0.0, 0.0, 1.0]), [0.0, 1.0, 0.0]);
    assert_eq!(apply([0.0, -1.0, 0.0]), [0.0, 0.0, -1.0]);
    // Every frame is a proper rotation taking up to +y and front to −z.
    let axes: Vec<Axis> = ["x", "y", "z", "-x", "-y", "-z"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let mut frames = 0;
    for &up in &axes {
        for &front in &axes {
            let Ok(f) = Frame::new(up, Some(front)) else {
                continue;
            };
            frames += 1;
            let m = f.rotation();
            let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
            assert_eq!(det, 1.0, "{f:?}");
            let mul = |v: [f32; 3]| [0, 1, 2].map(|k| (0..3).map(|j| m[k][j] * v[j]).sum::<f32>());
            assert_eq!(mul(up.vector()), [0.0, 1.0, 0.0]);
            assert_eq!(mul(front.vector()), [0.0, 0.0, -1.0]);
        }
    }
    assert_eq!(frames, 24);
    assert_eq!(
        Frame::new(Axis::Y, Frame::PRIOR.front.into()).unwrap(),
        Frame::PRIOR
    );
    assert!(Frame::new(Axis::Z, Some(Axis::NEG_Z)).is_err());
    assert!("w".parse::<Axis>().unwrap_err().contains("`w`"));
    assert_eq!("−Z".parse::<Axis>().unwrap(), Axis::NEG_Z);
    // A z-up file of the airplane loads as the airplane.
    let plane = AirplaneFamily::default().shape(0, 2).unwrap();
    let zup: Vec<[f32; 3]> = plane.iter().map(|p| [-p[0], p[2], p[1]]).collect();
    let (back, record) = prepare_shape(
        ShapeData::Cloud(PointCloud::new(zup).unwrap()),
        ShapeFormat::Npy,
        "zup.npy",
        &PrepareOptions {
            frame: f,
            ..PrepareOptions::default()
        },
    )
    .unwrap();
    for (a, b) in back.iter().zip(plane.iter()) {
        assert!((0..3).all(|k| (a[k] - b[k]).abs() < 1e-5), "{a:?} {b:?}");
    }
    assert!(record.notes.iter().any(|n| n.contains("up +z, front -y")));
}

#[test]
fn unit_spheres_and_odd_sizes_are_normalised_and_resampled() {
    // 5000 points on a unit sphere: a random subset of 2048, unit diagonal.
    let sphere: Vec<[f32; 3]> = (0..5000)
        .map(|i| {
            let z = 1.0 - 2.0 * (i as f32 + 0.5) / 5000.0;
            let t = i as f32 * 2.399_963;
            let r = (1.0 - z * z).sqrt();
            [r * t.cos(), r * t.sin(), z]
        })
        .collect();
    let data = ShapeData::Cloud(PointCloud::new(sphere.clone()).unwrap());
    let (c, r) =
        prepare_shape(data, ShapeFormat::Ply, "s.ply", &PrepareOptions::default()).unwrap();
    assert_eq!(c.len(), 2048);
    assert!((diagonal(&c) - 1.0).abs() < 1e-5);
    assert!(r.sampling.contains("2048 of 5000") && r.sampling.contains("without replacement"));
    let mut unique: Vec<[u32; 3]> = c.iter().map(|p| p.map(f32::to_bits)).collect();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 2048, "no point twice");
    // 100 points: every one once, the rest repeated.
    let data = ShapeData::Cloud(PointCloud::new(sphere[..100].to_vec()).unwrap());
    let (c, r) =
        prepare_shape(data, ShapeFormat::Ply, "s.ply", &PrepareOptions::default()).unwrap();
    assert_eq!(c.len(), 2048);
    assert!(
        r.sampling.contains("all 100 points once and 1948 repeated"),
        "{}",
        r.sampling
    );
    // Kept as they are on request.
    let data = ShapeData::Cloud(PointCloud::new(sphere[..2048].to_vec()).unwrap());
    let opts = PrepareOptions {
        normalize: false,
        ..PrepareOptions::default()
    };
    let (c, r) = prepare_shape(data, ShapeFormat::Ply, "s.ply", &opts).unwrap();
    assert_eq!(c.points(), &sphere[..2048]);
    assert_eq!(r.scale, 1.0);
    // Every point at one place.
    let data = ShapeData::Cloud(PointCloud::new(vec![[1.0, 2.0, 3.0]; 100]).unwrap());
    let e = prepare_shape(data, ShapeFormat::Ply, "p.ply", &PrepareOptions::default());
    assert!(message(e.unwrap_err(), "p.ply").contains("coincide"));
}

#[test]
fn ten_million_points_in_bounded_time_and_more_refused_before_allocating() {
    let n = 10_000_000;
    let cloud = PointCloud::new(
        (0..n)
            .map(|i| {
                let t = i as f32 * 1e-6;
                [t.sin() * 3.0, t.cos() * 2.0, (i % 1000) as f32 * 1e-3]
            })
            .collect(),
    )
    .unwrap();
    let bytes = encode_ply(&cloud, PlyEncoding::BinaryLittleEndian);
    drop(cloud);
    let start = Instant::now();
    let data = parse_shape(&bytes, ShapeFormat::Ply, "big.ply").unwrap();
    let (c, r) = prepare_shape(
        data,
        ShapeFormat::Ply,
        "big.ply",
        &PrepareOptions::default(),
    )
    .unwrap();
    let took = start.elapsed().as_secs_f64();
    eprintln!("10 M-point binary PLY parsed and resampled in {took:.2} s");
    assert!(took < 20.0, "{took} s");
    assert_eq!((c.len(), r.file_points), (2048, n));
    // Headers announcing more than the limit are refused before any allocation.
    let mut npy = encode_npy(&PointCloud::new(vec![[0.0; 3]]).unwrap());
    let at = npy.windows(6).position(|w| w == b"(1, 3)").unwrap();
    npy.splice(at..at + 6, b"(30000000, 3)".iter().copied());
    let e = parse_npy(&npy, "huge.npy").unwrap_err();
    assert!(message(e, "huge.npy").contains("30000000, more than the 20000000"));
    let ply =
        b"ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\nproperty float x\n\
        property float y\nproperty float z\nend_header\n";
    let e = parse_ply(ply, "huge.ply").unwrap_err();
    assert!(message(e, "huge.ply").contains("4000000000"));
    let pcd = "VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 99999999\nHEIGHT 1\n\
        POINTS 99999999\nDATA binary\n";
    let e = parse_pcd(pcd.as_bytes(), "huge.pcd").unwrap_err();
    assert!(message(e, "huge.pcd").contains("99999999"));
    let e = parse_off("OFF\n90000000 1 0\n", "huge.off").unwrap_err();
    assert!(message(e, "huge.off").contains("90000000"));
}

#[test]
fn header_counts_must_match_the_rows() {
    let rows: Vec<[f32; 3]> = (0..2048).map(|i| [i as f32, 0.5, -1.0]).collect();
    let cloud = PointCloud::new(rows).unwrap();
    for enc in [PlyEncoding::Ascii, PlyEncoding::BinaryLittleEndian] {
        let bytes = encode_ply(&cloud, enc);
        let text = String::from_utf8_lossy(&bytes[..120]).into_owned();
        let at = text.find("element vertex 2048").unwrap();
        let mut lied = bytes.clone();
        lied.splice(at..at + 19, b"element vertex 100".iter().copied());
        let m = message(parse_ply(&lied, "lie.ply").unwrap_err(), "lie.ply");
        assert!(
            m.contains("element vertex 100") && m.contains("2048 rows"),
            "{enc:?}: {m}"
        );
        // Fewer rows than announced: truncated.
        let m = message(
            parse_ply(&bytes[..bytes.len() - 20], "cut.ply").unwrap_err(),
            "cut.ply",
        );
        assert!(m.contains("truncated") || m.contains("ends early"), "{m}");
    }
    for enc in [PcdEncoding::Ascii, PcdEncoding::Binary] {
        let text = String::from_utf8_lossy(&encode_pcd(&cloud, enc)).into_owned();
        let lied =
            text.replacen("WIDTH 2048", "WIDTH 100", 1)
                .replacen("POINTS 2048", "POINTS 100", 1);
        let bytes = if enc == PcdEncoding::Binary {
            let mut b = lied.as_bytes()[..lied.find("DATA binary\n").unwrap() + 12].to_vec();
            b.extend(cloud.as_flat().iter().flat_map(|v| v.to_le_bytes()));
            b
        } else {
            lied.into_bytes()
        };
        let m = message(parse_pcd(&bytes, "lie.pcd").unwrap_err(), "lie.pcd");
        assert!(
            m.contains("`POINTS` = 100") && m.contains("2048 rows"),
            "{m}"
        );
        let full = encode_pcd(&cloud, enc);
        let m = message(
            parse_pcd(&full[..full.len() - 30], "cut.pcd").unwrap_err(),
            "cut.pcd",
        );
        assert!(m.contains("truncated"), "{m}");
    }
    let npy = encode_npy(&cloud);
    let m = message(
        parse_npy(&npy[..npy.len() - 7], "cut.npy").unwrap_err(),
        "cut.npy",
    );
    assert!(m.contains("truncated"), "{m}");
    let pcd = "VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 3\nHEIGHT 2\nPOINTS 5\nDATA ascii\n";
    let m = message(parse_pcd(pcd.as_bytes(), "wh.pcd").unwrap_err(), "wh.pcd");
    assert!(m.contains("3 × 2"), "{m}");
    let pcd = "VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nPOINTS 1\nDATA binary_compressed\n";
    let m = message(parse_pcd(pcd.as_bytes(), "z.pcd").unwrap_err(), "z.pcd");
    assert!(
        m.contains("binary_compressed") && m.contains("pcl_convert_pcd_ascii_binary"),
        "{m}"
    );
}

#[test]
fn pcd_reads_extra_fields_and_types() {
    let text =
        "# .PCD v0.7\nVERSION 0.7\nFIELDS x y z rgb normal\nSIZE 4 4 4 4 4\nTYPE F F F U F\n\
        COUNT 1 1 1 1 3\nWIDTH 2\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS 2\nDATA ascii\n\
        1 2 3 4808 0 0 1\n4 5 6 0 0 1 0\n";
    let c = parse_pcd(text.as_bytes(), "m").unwrap();
    assert_eq!(c.points(), &[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    // Binary with a double x, an int16 y and padding.
    let mut b = b"VERSION 0.7\nFIELDS _ x y z\nSIZE 2 8 2 4\nTYPE U F I F\nCOUNT 1 1 1 1\nWIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA binary\n".to_vec();
    b.extend_from_slice(&[9, 9]);
    b.extend_from_slice(&2.5f64.to_le_bytes());
    b.extend_from_slice(&(-3i16).to_le_bytes());
    b.extend_from_slice(&0.25f32.to_le_bytes());
    assert_eq!(parse_pcd(&b, "m").unwrap().points(), &[[2.5, -3.0, 0.25]]);
    let no_z = "FIELDS x y\nSIZE 4 4\nTYPE F F\nWIDTH 1\nPOINTS 1\nDATA ascii\n1 2\n";
    let m = message(parse_pcd(no_z.as_bytes(), "nz.pcd").unwrap_err(), "nz.pcd");
    assert!(m.contains("`FIELDS` = x y"), "{m}");
}

#[test]
fn non_finite_coordinates_name_the_row() {
    let pcd = "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 3\nPOINTS 3\nDATA ascii\n0 0 0\n1 nan 2\n3 4 5\n";
    let m = message(parse_pcd(pcd.as_bytes(), "n.pcd").unwrap_err(), "n.pcd");
    assert!(m.contains("point 1") && m.contains("NaN"), "{m}");
    let ply = "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\n\
        property float z\nend_header\n0 0 0\n1 2 inf\n";
    let m = message(parse_ply(ply.as_bytes(), "n.ply").unwrap_err(), "n.ply");
    assert!(m.contains("point 1") && m.contains("inf"), "{m}");
    let m = message(
        parse_off("OFF\n2 0 0\n0 0 0\n1 nan 0\n", "n.off").unwrap_err(),
        "n.off",
    );
    assert!(m.contains("line 4") && m.contains("point 1"), "{m}");
    let m = message(
        parse_shape(b"[[0,0,0],[1,2,1e39]]", ShapeFormat::Json, "n.json").unwrap_err(),
        "n.json",
    );
    assert!(m.contains("point 1"), "{m}");
}

#[test]
fn off_and_obj_faces_are_checked() {
    let off = "OFF\n# a comment\n4 2 0\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n3 0 1 2\n3 0 1 4\n";
    let m = message(parse_off(off, "f.off").unwrap_err(), "f.off");
    assert!(
        m.contains("line 9") && m.contains("`4` outside 0..4"),
        "{m}"
    );
    // ModelNet's fused first line, colours after a face, a quad.
    let m = parse_off(
        "OFF4 1 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3 255 0 0\n",
        "mn.off",
    )
    .unwrap();
    assert_eq!(m.triangles(), &[[0, 1, 2], [0, 2, 3]]);
    let m = message(
        parse_off("OFF\n3 1 0\n0 0 0\n1 0 0\n", "t.off").unwrap_err(),
        "t.off",
    );
    assert!(m.contains("file ends at vertex 2"), "{m}");
    let m = message(
        parse_off(
            "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n3 0 1 2\n",
            "x.off",
        )
        .unwrap_err(),
        "x.off",
    );
    assert!(m.contains("1 more lines after the 1 faces"), "{m}");
    let m = message(parse_off("", "e.off").unwrap_err(), "e.off");
    assert!(m.contains("empty file"), "{m}");
    // OBJ: negative indices count back from the latest vertex; 0 and past the end are errors.
    let obj = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf -3 -2 -1\nv 0 0 1\nf 1/1 2//2 -1/4/4\n";
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "rel.obj", obj.as_bytes());
    let (_, data) = mace_shapes::read_shape(&p).unwrap();
    let ShapeData::Mesh(mesh) = data else {
        panic!("a mesh")
    };
    assert_eq!(mesh.triangles(), &[[0, 1, 2], [0, 1, 3]]);
    for (bad, what) in [
        ("f 1 2 5", "index 5"),
        ("f 1 2 -5", "index -5"),
        ("f 0 1 2", "index 0"),
    ] {
        let text = format!("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\n{bad}\n");
        let e = parse_shape(text.as_bytes(), ShapeFormat::Obj, "bad.obj").unwrap_err();
        let m = message(e, "bad.obj");
        assert!(
            m.contains("line 5") && m.contains(what) && m.contains("4 vertices"),
            "{m}"
        );
    }
}

#[test]
fn empty_special_and_unknown_files_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["ply", "npy", "pcd", "json", "off", "obj"] {
        let p = write(dir.path(), &format!("empty.{ext}"), b"");
        let m = message(
            load_shape(&p, &PrepareOptions::default()).unwrap_err(),
            "empty.",
        );
        assert!(m.contains("empty file"), "{m}");
    }
    let m = message(
        load_shape("/dev/zero", &PrepareOptions::default()).unwrap_err(),
        "/dev/zero",
    );
    assert!(m.contains(".ply"), "{m}");
    let link = dir.path().join("zero.ply");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let m = message(
        load_shape(&link, &PrepareOptions::default()).unwrap_err(),
        "zero.ply",
    );
    assert!(m.contains("not a regular file"), "{m}");
    let fifo = dir.path().join("pipe.pcd");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        // Refused without opening it (opening a FIFO without a writer would block).
        let m = message(
            load_shape(&fifo, &PrepareOptions::default()).unwrap_err(),
            "pipe.pcd",
        );
        assert!(m.contains("FIFO"), "{m}");
    }
    let p = write(dir.path(), "x.stl", b"solid");
    let m = message(
        load_shape(&p, &PrepareOptions::default()).unwrap_err(),
        "x.stl",
    );
    assert!(m.contains(".off"), "{m}");
    let m = message(
        load_shape(dir.path().join("none.off"), &PrepareOptions::default()).unwrap_err(),
        "none.off",
    );
    assert!(!m.is_empty());
}

#[test]
fn too_few_points_names_the_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let three = PointCloud::new(vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]).unwrap();
    let p = write(
        dir.path(),
        "three.ply",
        &encode_ply(&three, PlyEncoding::Ascii),
    );
    let e = load_shape(&p, &PrepareOptions::default()).unwrap_err();
    assert!(matches!(
        e,
        Error::TooFewPoints {
            got: 3,
            min: 64,
            ..
        }
    ));
    let m = message(e, "three.ply");
    assert!(m.contains("3 points, fewer than the 64"), "{m}");
}

/// A real airliner (CC BY 3.0, see `tests/data/plane.LICENSE.md`): z up, nose along +x.
#[test]
fn a_real_airplane_mesh_lands_in_the_prior_frame() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plane.obj");
    let options = PrepareOptions {
        frame: Frame::new(Axis::Z, Some(Axis::X)).unwrap(),
        ..PrepareOptions::default()
    };
    let (c, r) = load_shape(&file, &options).unwrap();
    assert_eq!(
        (r.kind.as_str(), r.file_points, r.file_triangles),
        ("mesh", 8730, 17456)
    );
    assert_eq!(c.len(), 2048);
    assert!((diagonal(&c) - 1.0).abs() < 1e-5);
    // As the procedural airplanes: wings along x (the widest), the fuselage along z, the fin
    // (the highest points) at the tail, +z.
    let (lo, hi) = c.bbox();
    let ext = [0, 1, 2].map(|a| hi[a] - lo[a]);
    assert!(ext[1] < ext[0] && ext[1] < ext[2], "{ext:?}");
    let top: Vec<_> = c.iter().filter(|p| p[1] > hi[1] - 0.2 * ext[1]).collect();
    let tail_z = top.iter().map(|p| p[2]).sum::<f32>() / top.len() as f32;
    assert!(tail_z > 0.3, "fin at z = {tail_z}");
    let mean_x = c.iter().map(|p| p[0]).sum::<f32>() / c.len() as f32;
    assert!(mean_x.abs() < 0.02, "symmetric about x = 0: {mean_x}");
}
