use candle_core::Device;
use mace_shapes::{
    clouds_from_tensor, clouds_to_tensor, CountPolicy, Error, Normalization, PointCloud,
};
use rand::{rngs::StdRng, SeedableRng};

fn cloud(n: usize) -> PointCloud {
    PointCloud::new(
        (0..n)
            .map(|i| [i as f32, 2.0 * i as f32, -(i as f32)])
            .collect(),
    )
    .unwrap()
}

#[test]
fn rejects_empty_and_nan_naming_the_index() {
    assert!(matches!(
        PointCloud::new(vec![]),
        Err(Error::EmptyCloud { .. })
    ));
    let err = PointCloud::new(vec![[0.0; 3], [1.0, f32::NAN, 0.0]]).unwrap_err();
    match err {
        Error::NonFinite {
            index, axis, value, ..
        } => {
            assert_eq!((index, axis), (1, 1));
            assert!(value.is_nan());
        }
        e => panic!("unexpected {e}"),
    }
    assert!(err_msg(PointCloud::from_flat(&[0.0; 4])).contains("multiple of 3"));
}

fn err_msg<T: std::fmt::Debug>(r: mace_shapes::Result<T>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn bbox_diagonal_normalisation() {
    let mut c = PointCloud::new(vec![[1.0, 1.0, 1.0], [3.0, 5.0, 1.0], [2.0, 2.0, 5.0]]).unwrap();
    c.normalize(Normalization::BboxDiagonal);
    let (lo, hi) = c.bbox();
    let d: f32 = (0..3).map(|a| (hi[a] - lo[a]).powi(2)).sum::<f32>().sqrt();
    approx::assert_relative_eq!(d, 1.0, epsilon = 1e-6);
    for a in 0..3 {
        approx::assert_abs_diff_eq!(lo[a] + hi[a], 0.0, epsilon = 1e-6);
    }
    let s = c.normalized(Normalization::UnitSphere);
    approx::assert_relative_eq!(s.radius(), 1.0, epsilon = 1e-6);
    // A single point is centred, not scaled.
    let p = PointCloud::new(vec![[3.0, 4.0, 5.0]])
        .unwrap()
        .normalized(Default::default());
    assert_eq!(p[0], [0.0; 3]);
}

#[test]
fn resample_subset_and_repetition() {
    let c = cloud(10);
    let mut rng = StdRng::seed_from_u64(1);
    let sub = c.resample(4, &mut rng).unwrap();
    assert_eq!(sub.len(), 4);
    let mut seen: Vec<_> = sub.iter().map(|p| p[0] as usize).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "subset has no repeats");
    let up = c.resample(25, &mut rng).unwrap();
    assert_eq!(up.len(), 25);
    assert_eq!(&up[..10], &c[..], "all originals kept first");
    assert!(up.iter().all(|p| c.contains(p)));
    assert!(c.resample(0, &mut rng).is_err());
    // Determinism.
    let a = c.resample(7, &mut StdRng::seed_from_u64(5)).unwrap();
    let b = c.resample(7, &mut StdRng::seed_from_u64(5)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn conform_errors_or_resamples() {
    let mut rng = StdRng::seed_from_u64(0);
    let err = cloud(5)
        .conform(8, CountPolicy::Error, "f.ply", &mut rng)
        .unwrap_err();
    assert!(matches!(
        err,
        Error::PointCount {
            expected: 8,
            got: 5,
            ..
        }
    ));
    assert!(err.to_string().contains("f.ply"));
    let ok = cloud(5)
        .conform(8, CountPolicy::Resample, "f.ply", &mut rng)
        .unwrap();
    assert_eq!(ok.len(), 8);
}

#[test]
fn tensor_round_trip_row_major() {
    let clouds = vec![cloud(4), cloud(4).normalized(Default::default())];
    let t = clouds_to_tensor(&clouds, &Device::Cpu).unwrap();
    assert_eq!(t.dims(), &[2, 12]);
    let row: Vec<f32> = t.get(0).unwrap().to_vec1().unwrap();
    assert_eq!(row, clouds[0].as_flat());
    assert_eq!(clouds_from_tensor(&t).unwrap(), clouds);
    let t3 = t.reshape((2, 4, 3)).unwrap();
    assert_eq!(clouds_from_tensor(&t3).unwrap(), clouds);
    assert!(clouds_to_tensor(&[cloud(4), cloud(3)], &Device::Cpu).is_err());
    let bad = candle_core::Tensor::zeros((2, 5), candle_core::DType::F32, &Device::Cpu).unwrap();
    assert!(matches!(
        clouds_from_tensor(&bad),
        Err(Error::ShapeMismatch { .. })
    ));
}
