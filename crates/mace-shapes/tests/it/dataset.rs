use mace_shapes::io::write_ply;
use mace_shapes::{
    split_sizes, CountPolicy, Error, LoadOptions, Normalization, PlyEncoding, PointCloud,
    ShapeNetDataset, Split, AIRPLANE_SYNSET,
};

/// Writes a fake synset folder of `n` clouds; cloud `i` has `x = i` everywhere so the loaded
/// order can be read back. File names are written in shuffled order.
fn fake_shapenet(n: usize, points: impl Fn(usize) -> usize) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join(AIRPLANE_SYNSET);
    std::fs::create_dir(&dir).unwrap();
    for k in 0..n {
        let i = (k * 7) % n; // a permutation for n coprime to 7
        let c =
            PointCloud::new((0..points(i)).map(|j| [i as f32, j as f32, 0.0]).collect()).unwrap();
        write_ply(
            dir.join(format!("obj_{i:03}.ply")),
            &c,
            PlyEncoding::BinaryLittleEndian,
            false,
        )
        .unwrap();
    }
    std::fs::write(dir.join("README.txt"), "not a cloud").unwrap();
    root
}

#[test]
fn split_sizes_85_5_10() {
    assert_eq!(split_sizes(4045), [3438, 202, 405]);
    assert_eq!(split_sizes(20), [17, 1, 2]);
    assert_eq!(split_sizes(1), [0, 0, 1]);
}

#[test]
fn tiny_shapenet_splits_in_listing_order() {
    let root = fake_shapenet(20, |_| 16);
    let data = ShapeNetDataset::airplanes(root.path()).unwrap();
    assert_eq!(data.files().len(), 20, "only .ply files");
    let opts = LoadOptions {
        points: Some(16),
        ..Default::default()
    };
    let ids = |s: Split| -> Vec<usize> {
        data.load(s, &opts)
            .unwrap()
            .iter()
            .map(|c| c[0][0] as usize)
            .collect()
    };
    assert_eq!(ids(Split::Train), (0..17).collect::<Vec<_>>());
    assert_eq!(ids(Split::Val), vec![17]);
    assert_eq!(ids(Split::Test), vec![18, 19]);
    assert!(data.split_files(Split::Val)[0].ends_with("obj_017.ply"));
}

#[test]
fn wrong_count_errors_or_resamples() {
    let root = fake_shapenet(20, |i| if i == 5 { 10 } else { 16 });
    let data = ShapeNetDataset::open(root.path(), AIRPLANE_SYNSET).unwrap();
    let strict = LoadOptions {
        points: Some(16),
        ..Default::default()
    };
    match data.load(Split::Train, &strict) {
        Err(Error::PointCount {
            origin,
            expected: 16,
            got: 10,
        }) => {
            assert!(origin.ends_with("obj_005.ply"))
        }
        other => panic!("{other:?}"),
    }
    let lenient = LoadOptions {
        points: Some(16),
        count_policy: CountPolicy::Resample,
        normalization: Some(Normalization::BboxDiagonal),
        seed: 3,
    };
    let a = data.load(Split::Train, &lenient).unwrap();
    assert!(a.iter().all(|c| c.len() == 16));
    assert_eq!(
        a,
        data.load(Split::Train, &lenient).unwrap(),
        "deterministic"
    );
}

#[test]
fn missing_or_empty_folders_are_errors() {
    let root = tempfile::tempdir().unwrap();
    assert!(matches!(
        ShapeNetDataset::airplanes(root.path()),
        Err(Error::Io { .. })
    ));
    std::fs::create_dir(root.path().join(AIRPLANE_SYNSET)).unwrap();
    assert!(matches!(
        ShapeNetDataset::airplanes(root.path()),
        Err(Error::EmptyDataset { .. })
    ));
}
