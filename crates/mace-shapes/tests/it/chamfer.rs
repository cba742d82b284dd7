use mace_shapes::chamfer::chamfer_pairwise_matrix;
use mace_shapes::{
    chamfer, chamfer_batch, chamfer_k, chamfer_one_sided, chamfer_one_sided_batch,
    pairwise_diversity, AirplaneFamily, Error, NnIndex,
};
use rand::{rngs::StdRng, Rng, SeedableRng};

fn random_cloud(n: usize, rng: &mut StdRng) -> Vec<[f32; 3]> {
    (0..n)
        .map(|_| {
            [
                rng.random_range(-0.5f32..0.5),
                rng.random_range(-0.5f32..0.5),
                rng.random_range(-0.2f32..0.2),
            ]
        })
        .collect()
}

fn sq(p: &[f32; 3], q: &[f32; 3]) -> f32 {
    let d = [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// Brute force: mean over `a` of the mean of the `k` smallest squared distances to `b`.
fn brute_one_sided_k(a: &[[f32; 3]], b: &[[f32; 3]], k: usize) -> f64 {
    a.iter()
        .map(|p| {
            let mut d: Vec<f32> = b.iter().map(|q| sq(p, q)).collect();
            d.sort_by(f32::total_cmp);
            d[..k].iter().map(|&x| f64::from(x)).sum::<f64>() / k as f64
        })
        .sum::<f64>()
        / a.len() as f64
}

fn brute_chamfer(a: &[[f32; 3]], b: &[[f32; 3]]) -> f64 {
    brute_one_sided_k(a, b, 1) + brute_one_sided_k(b, a, 1)
}

fn rel(x: f32, y: f64) -> f64 {
    (f64::from(x) - y).abs() / y.abs().max(1e-30)
}

#[test]
fn matches_brute_force_on_random_clouds() {
    let mut rng = StdRng::seed_from_u64(42);
    for trial in 0..8 {
        let a = random_cloud(200 + 50 * trial, &mut rng);
        let b = random_cloud(300 - 20 * trial, &mut rng);
        assert!(rel(chamfer(&a, &b).unwrap(), brute_chamfer(&a, &b)) < 1e-6);
        assert!(
            rel(
                chamfer_one_sided(&a, &b).unwrap(),
                brute_one_sided_k(&a, &b, 1)
            ) < 1e-6
        );
        for k in [1, 3, 8] {
            let want = brute_one_sided_k(&a, &b, k) + brute_one_sided_k(&b, &a, k);
            assert!(rel(chamfer_k(&a, &b, k).unwrap(), want) < 1e-6, "k = {k}");
        }
    }
}

#[test]
fn invariants() {
    let mut rng = StdRng::seed_from_u64(7);
    let a = random_cloud(256, &mut rng);
    let b = random_cloud(256, &mut rng);
    assert_eq!(chamfer(&a, &a).unwrap(), 0.0);
    assert_eq!(chamfer(&a, &b).unwrap(), chamfer(&b, &a).unwrap());
    assert_eq!(chamfer_k(&a, &b, 1).unwrap(), chamfer(&a, &b).unwrap());
    // Duplicated points are fine.
    let dup = vec![[0.1f32, 0.2, 0.3]; 500];
    assert!(rel(chamfer(&dup, &a).unwrap(), brute_chamfer(&dup, &a)) < 1e-6);
    // A one-sided distance from a subset is 0.
    assert_eq!(chamfer_one_sided(&a[..10], &a).unwrap(), 0.0);
    let index = NnIndex::new(&a).unwrap();
    assert_eq!(index.len(), 256);
    assert_eq!(index.nearest_sq(&a[17]), 0.0);
}

#[test]
fn bad_inputs_are_errors() {
    let a = vec![[0.0f32; 3]; 4];
    assert!(matches!(chamfer(&[], &a), Err(Error::EmptyCloud { .. })));
    let nan = vec![[0.0, 0.0, f32::NAN]];
    match chamfer(&a, &nan) {
        Err(Error::NonFinite {
            origin,
            index: 0,
            axis: 2,
            ..
        }) => assert!(origin.contains('b')),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        chamfer_k(&a, &a, 0),
        Err(Error::InvalidParameter { name: "k", .. })
    ));
    assert!(matches!(
        chamfer_k(&a, &a, 5),
        Err(Error::InvalidParameter { name: "k", .. })
    ));
    assert!(matches!(
        pairwise_diversity(std::slice::from_ref(&a)),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        chamfer_batch(std::slice::from_ref(&a), &[a.clone(), a.clone()]),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn batches_and_diversity_match_singles() {
    let mut rng = StdRng::seed_from_u64(3);
    let xs: Vec<Vec<[f32; 3]>> = (0..6).map(|_| random_cloud(128, &mut rng)).collect();
    let ys: Vec<Vec<[f32; 3]>> = (0..6).map(|_| random_cloud(100, &mut rng)).collect();
    let batch = chamfer_batch(&xs, &ys).unwrap();
    let one = chamfer_one_sided_batch(&xs, &ys).unwrap();
    for i in 0..6 {
        assert_eq!(batch[i], chamfer(&xs[i], &ys[i]).unwrap());
        assert_eq!(one[i], chamfer_one_sided(&xs[i], &ys[i]).unwrap());
    }
    let mut pairs = Vec::new();
    for i in 0..6 {
        for j in i + 1..6 {
            pairs.push(brute_chamfer(&xs[i], &xs[j]));
        }
    }
    let want = pairs.iter().sum::<f64>() / pairs.len() as f64;
    let got = pairwise_diversity(&xs).unwrap();
    assert!(rel(got, want) < 1e-6, "{got} vs {want}");
    assert_eq!(got, pairwise_diversity(&xs).unwrap(), "deterministic");
    assert_eq!(
        pairwise_diversity(&[xs[0].clone(), xs[0].clone()]).unwrap(),
        0.0
    );
}

#[test]
fn extreme_finite_coordinates_do_not_panic() {
    let big = vec![[f32::MAX, 0.0, 0.0], [0.0, f32::MIN, 1.0], [1.0, 2.0, 3.0]];
    let small = vec![[0.0f32; 3], [1.0, 1.0, 1.0]];
    let d = chamfer(&big, &small).unwrap();
    assert!(d.is_infinite() || d > 1e30);
    assert!(chamfer_k(&big, &small, 2).is_ok());
    assert_eq!(chamfer(&big, &big).unwrap(), 0.0);
}

/// The k-d tree definition of the diversity: one tree per cloud, the ordered terms summed in
/// index order (as the functions did before the tiled kernel).
fn kiddo_diversity(clouds: &[Vec<[f32; 3]>]) -> f32 {
    let m = clouds.len();
    let trees: Vec<NnIndex> = clouds.iter().map(|c| NnIndex::new(c).unwrap()).collect();
    let mut total = 0.0f64;
    for (i, cloud) in clouds.iter().enumerate() {
        for (j, tree) in trees.iter().enumerate() {
            if i != j {
                total += tree.mean_nearest_sq(cloud);
            }
        }
    }
    (total / (m * (m - 1) / 2) as f64) as f32
}

fn kiddo_chamfer(a: &[[f32; 3]], b: &[[f32; 3]]) -> f32 {
    let (ta, tb) = (NnIndex::new(a).unwrap(), NnIndex::new(b).unwrap());
    (tb.mean_nearest_sq(a) + ta.mean_nearest_sq(b)) as f32
}

fn airplanes(n: usize, seed: u64) -> Vec<Vec<[f32; 3]>> {
    AirplaneFamily::default()
        .generate(n, seed)
        .unwrap()
        .iter()
        .map(|c| c.as_ref().to_vec())
        .collect()
}

#[test]
fn tiled_kernel_equals_the_kd_trees_bit_for_bit() {
    let clouds = airplanes(6, 4);
    for i in 0..clouds.len() {
        for j in 0..clouds.len() {
            let (a, b) = (&clouds[i], &clouds[j]);
            assert_eq!(chamfer(a, b).unwrap(), kiddo_chamfer(a, b), "{i} {j}");
            let tb = NnIndex::new(b).unwrap();
            assert_eq!(
                chamfer_one_sided(a, b).unwrap(),
                tb.mean_nearest_sq(a) as f32
            );
        }
    }
    assert_eq!(
        pairwise_diversity(&clouds).unwrap(),
        kiddo_diversity(&clouds)
    );
    // Uneven sizes, including tiny clouds and sizes that are not multiples of 16.
    let mut rng = StdRng::seed_from_u64(9);
    let mixed: Vec<Vec<[f32; 3]>> = [1, 2, 15, 16, 17, 300, 2047, 33]
        .iter()
        .map(|&n| random_cloud(n, &mut rng))
        .collect();
    assert_eq!(pairwise_diversity(&mixed).unwrap(), kiddo_diversity(&mixed));
}

#[test]
fn pairwise_matrix_is_the_chamfer_of_every_pair() {
    let mut rng = StdRng::seed_from_u64(12);
    let clouds: Vec<Vec<[f32; 3]>> = (0..7)
        .map(|k| random_cloud(90 + 40 * k, &mut rng))
        .collect();
    let m = clouds.len();
    let matrix = chamfer_pairwise_matrix(&clouds).unwrap();
    assert_eq!(matrix.len(), m * m);
    let mut upper = Vec::new();
    for i in 0..m {
        assert_eq!(matrix[i * m + i], 0.0);
        for j in 0..m {
            if i != j {
                assert_eq!(matrix[i * m + j], chamfer(&clouds[i], &clouds[j]).unwrap());
                assert_eq!(matrix[i * m + j], matrix[j * m + i]);
            }
            if i < j {
                upper.push(f64::from(matrix[i * m + j]));
            }
        }
    }
    let mean = upper.iter().sum::<f64>() / upper.len() as f64;
    assert!(rel(pairwise_diversity(&clouds).unwrap(), mean) < 1e-6);
    assert!(chamfer_pairwise_matrix::<Vec<[f32; 3]>>(&[])
        .unwrap()
        .is_empty());
    assert_eq!(chamfer_pairwise_matrix(&clouds[..1]).unwrap(), vec![0.0]);
    let mut bad = clouds.clone();
    bad[3][5][1] = f32::INFINITY;
    match chamfer_pairwise_matrix(&bad) {
        Err(Error::NonFinite {
            origin,
            index: 5,
            axis: 1,
            ..
        }) => assert!(origin.contains("cloud 3"), "{origin}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        pairwise_diversity(&[clouds[0].clone(), Vec::new()]),
        Err(Error::EmptyCloud { .. })
    ));
}

#[test]
fn diversity_does_not_depend_on_the_thread_count() {
    let clouds = airplanes(9, 2);
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                (
                    pairwise_diversity(&clouds).unwrap(),
                    chamfer_pairwise_matrix(&clouds).unwrap(),
                )
            })
    };
    let one = on(1);
    for threads in [2, 3, 8] {
        assert_eq!(on(threads), one, "{threads} threads");
    }
}

#[test]
fn very_large_pairs_fall_back_to_the_kd_trees() {
    // 33000² point pairs exceed the tiled kernel's 2³⁰; the small cloud's pairs do not.
    let mut rng = StdRng::seed_from_u64(21);
    let clouds = vec![
        random_cloud(33_000, &mut rng),
        random_cloud(33_000, &mut rng),
        random_cloud(40, &mut rng),
    ];
    assert_eq!(
        pairwise_diversity(&clouds).unwrap(),
        kiddo_diversity(&clouds)
    );
    let matrix = chamfer_pairwise_matrix(&clouds).unwrap();
    assert_eq!(matrix[1], kiddo_chamfer(&clouds[0], &clouds[1]));
    assert_eq!(matrix[2 * 3], kiddo_chamfer(&clouds[2], &clouds[0]));
}
