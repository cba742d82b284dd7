use candle_core::{Device, Tensor};
use mace_core::{Evidence, Score};
use mace_shapes::{
    add_depth_noise, clouds_to_tensor, completion_evidence, observe_partial, pairwise_diversity,
    AirplaneFamily, CompletionScore, CompletionScoreConfig, DepthCamera, DepthCameraConfig, Error,
    Normalization, PointCloud,
};
use rand::{rngs::StdRng, SeedableRng};

fn camera(az: f32, el: f32) -> DepthCamera {
    DepthCamera::new(&DepthCameraConfig {
        azimuth_deg: az,
        elevation_deg: el,
        ..Default::default()
    })
    .unwrap()
}

/// Shape `i` of seed 0, its surface sampled again with other points (same object).
fn resampled(i: u64, seed: u64) -> PointCloud {
    let params = AirplaneFamily::default().params(0, i);
    let mut cloud = params
        .mesh()
        .sample_surface(2048, &mut StdRng::seed_from_u64(seed))
        .unwrap();
    cloud.normalize(Normalization::BboxDiagonal);
    cloud
}

#[test]
fn the_object_itself_scores_one_and_others_less() {
    let cam = camera(45.0, 30.0);
    let clouds = AirplaneFamily::default().generate(6, 0).unwrap();
    let observed = observe_partial(&cam, clouds[0].points()).unwrap();
    assert!(observed.len() < clouds[0].len());
    let score = CompletionScore::new(observed, &CompletionScoreConfig::default()).unwrap();
    let views = cam.visible_batch(&clouds).unwrap();
    let s = score.score_batch(&views).unwrap();
    assert_eq!(s[0], 1.0);
    for &v in &s[1..] {
        assert!((0.0..1.0).contains(&v), "{s:?}");
    }
    // The same surface sampled with other points scores far above another airplane.
    let again = cam.visible(resampled(0, 99).points()).unwrap();
    let same = score.score_view(&again).unwrap();
    assert!(same > 0.85, "same surface re-sampled: {same}");
    assert!(same > s[1..].iter().copied().fold(0.0, f32::max));
    // Batched equals one at a time; the Score trait equals score_batch.
    for (v, &b) in views.iter().zip(&s) {
        assert_eq!(score.score_view(v).unwrap(), b);
    }
    assert_eq!(Score::score(&score, &views).unwrap(), s);
}

#[test]
fn reverse_term_penalises_hallucinated_surface() {
    let cam = camera(0.0, 0.0);
    // Observed: a small square patch facing the camera. Sample: the same patch plus an extra
    // patch beside it. The forward term cannot tell them apart; the reverse term can.
    let patch = |x0: f32| -> Vec<[f32; 3]> {
        (0..20)
            .flat_map(|i| (0..20).map(move |j| [x0 + i as f32 * 0.005, j as f32 * 0.005, 0.0]))
            .collect()
    };
    let observed = patch(0.0);
    let mut bigger = patch(0.0);
    bigger.extend(patch(0.2));
    let one_sided = CompletionScore::new(observed.clone(), &CompletionScoreConfig::one_sided())
        .unwrap()
        .view_distance(&bigger)
        .unwrap()
        .unwrap();
    assert_eq!(one_sided.forward, 0.0);
    assert!(one_sided.reverse > 0.005);
    let two = CompletionScore::new(observed, &CompletionScoreConfig::default()).unwrap();
    assert!(two.score_view(&bigger).unwrap() < 0.6);
    assert_eq!(two.score_view(&patch(0.0)).unwrap(), 1.0);
    let _ = cam;
}

#[test]
fn empty_views_score_zero() {
    let score =
        CompletionScore::new(vec![[0.0, 0.0, 0.0]], &CompletionScoreConfig::default()).unwrap();
    let views: Vec<Vec<[f32; 3]>> = vec![vec![], vec![[0.0, 0.0, 0.0]]];
    assert_eq!(score.score_batch(&views).unwrap(), vec![0.0, 1.0]);
    assert_eq!(score.distance(&[]).unwrap(), None);
}

#[test]
fn evidence_scores_a_tensor_batch() {
    let cam = camera(-135.0, 20.0);
    let clouds = AirplaneFamily::default().generate(4, 5).unwrap();
    let observed = observe_partial(&cam, clouds[2].points()).unwrap();
    let evidence = completion_evidence(cam, observed, &CompletionScoreConfig::default()).unwrap();
    let x = clouds_to_tensor(&clouds, &Device::Cpu).unwrap();
    let s = evidence.evaluate(&x).unwrap();
    assert_eq!(s.len(), 4);
    assert_eq!(s[2], 1.0);
    assert!(s.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn empty_observation_is_a_clear_error() {
    let e = CompletionScore::new(vec![], &CompletionScoreConfig::default()).unwrap_err();
    assert!(matches!(e, Error::EmptyCloud { .. }));
    assert!(e.to_string().contains("saw nothing"), "{e}");
    // An object outside the field of view gives an empty observation.
    let far: Vec<[f32; 3]> = vec![[0.45, 0.0, 0.0]; 4];
    let narrow = DepthCamera::new(&DepthCameraConfig {
        azimuth_deg: 0.0,
        elevation_deg: 0.0,
        fov_deg: 5.0,
        ..Default::default()
    })
    .unwrap();
    let e = observe_partial(&narrow, &far).unwrap_err();
    assert!(
        e.to_string().contains("outside the camera's field of view"),
        "{e}"
    );
    let e = completion_evidence(narrow, vec![], &CompletionScoreConfig::default()).unwrap_err();
    assert!(matches!(e, Error::EmptyCloud { .. }));
}

#[test]
fn nan_is_a_clear_error() {
    let cfg = CompletionScoreConfig::default();
    let e = CompletionScore::new(vec![[0.0, 0.0, 0.0], [f32::NAN, 0.0, 0.0]], &cfg).unwrap_err();
    match &e {
        Error::NonFinite {
            origin,
            index,
            axis,
            ..
        } => {
            assert_eq!((*index, *axis), (1, 0));
            assert!(origin.contains("observed"), "{e}");
        }
        other => panic!("expected NonFinite, got {other:?}"),
    }
    // NaN in a simulated view names the view.
    let score = CompletionScore::new(vec![[0.0, 0.0, 0.0]], &cfg).unwrap();
    let views = vec![vec![[0.0, 0.0, 0.0]], vec![[0.0, f32::INFINITY, 0.0]]];
    let e = score.score_batch(&views).unwrap_err();
    assert!(e.to_string().contains("simulated view 1"), "{e}");
    // NaN in the object to observe, and in a sample given to the evidence.
    let cam = camera(45.0, 30.0);
    let e = observe_partial(&cam, &[[0.0, f32::NAN, 0.0]]).unwrap_err();
    assert!(matches!(e, Error::NonFinite { .. }), "{e}");
    let evidence = completion_evidence(cam, vec![[0.0, 0.0, 0.0]], &cfg).unwrap();
    let x = Tensor::from_vec(
        vec![0.0f32, f32::NAN, 0.0, 0.1, 0.1, 0.1],
        (1, 6),
        &Device::Cpu,
    )
    .unwrap();
    let e = evidence.evaluate(&x).unwrap_err();
    assert!(format!("{e:#}").contains("non-finite"), "{e:#}");
    // Bad configs.
    for bad in [
        CompletionScoreConfig {
            scale: 0.0,
            ..cfg.clone()
        },
        CompletionScoreConfig {
            reverse_weight: f32::NAN,
            ..cfg.clone()
        },
    ] {
        let e = CompletionScore::new(vec![[0.0; 3]], &bad).unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
    }
}

#[test]
fn camera_inside_the_object_is_a_clear_error() {
    let inside = DepthCamera::new(&DepthCameraConfig {
        distance: 0.2,
        ..Default::default()
    })
    .unwrap();
    let object = AirplaneFamily::default().shape(0, 1).unwrap();
    let e = observe_partial(&inside, object.points()).unwrap_err();
    assert!(matches!(e, Error::CameraInsideObject { .. }), "{e}");
    assert!(e.to_string().contains("inside"), "{e}");
    // A sample that engulfs the camera fails the evidence with the same error.
    let evidence =
        completion_evidence(inside, vec![[0.0; 3]], &CompletionScoreConfig::default()).unwrap();
    let x = clouds_to_tensor(&[object], &Device::Cpu).unwrap();
    let e = evidence.evaluate(&x).unwrap_err();
    assert!(format!("{e:#}").contains("inside"), "{e:#}");
}

#[test]
fn depth_noise_moves_points_along_their_rays() {
    let cam = camera(0.0, 0.0); // on +z, rays ≈ along z near the axis
    let view = vec![[0.0, 0.0, 0.1]; 200];
    assert_eq!(add_depth_noise(&cam, &view, 0.0, 1).unwrap(), view);
    let noisy = add_depth_noise(&cam, &view, 0.01, 1).unwrap();
    assert_eq!(noisy, add_depth_noise(&cam, &view, 0.01, 1).unwrap());
    let dz: Vec<f32> = noisy.iter().map(|p| p[2] - 0.1).collect();
    let sd = (dz.iter().map(|d| d * d).sum::<f32>() / dz.len() as f32).sqrt();
    assert!((0.007..0.013).contains(&sd), "{sd}");
    assert!(noisy.iter().all(|p| p[0] == 0.0 && p[1] == 0.0));
    assert!(add_depth_noise(&cam, &view, -1.0, 1).is_err());
    assert!(add_depth_noise(&cam, &view, f32::NAN, 1).is_err());
}

fn quantiles(mut v: Vec<f32>) -> [f32; 5] {
    v.sort_by(f32::total_cmp);
    let q = |p: f32| v[((v.len() - 1) as f32 * p).round() as usize];
    [q(0.1), q(0.25), q(0.5), q(0.75), q(0.9)]
}

/// The numbers behind the default scale and reverse weight (module docs of
/// `mace_shapes::completion`). Run with
/// `cargo test --release -p mace-shapes completion::score_scale -- --ignored --nocapture`.
#[test]
#[ignore = "measurement, prints statistics"]
fn score_scale_statistics() {
    let family = AirplaneFamily::default();
    let n = 40u64;
    let base = 3800u64;
    let clouds: Vec<PointCloud> = (0..=n)
        .map(|i| family.shape(0, base + i).unwrap())
        .collect();
    for (az, el) in [(45.0f32, 30.0f32), (-135.0, 20.0)] {
        let cam = camera(az, el);
        let (mut sf, mut sr, mut pf, mut pr) = (vec![], vec![], vec![], vec![]);
        let mut sizes = vec![];
        for i in 0..n as usize {
            let observed = observe_partial(&cam, clouds[i].points()).unwrap();
            sizes.push(observed.len() as f32);
            let score =
                CompletionScore::new(observed, &CompletionScoreConfig::one_sided()).unwrap();
            let same = cam
                .visible(resampled(base + i as u64, 1000 + i as u64).points())
                .unwrap();
            let other = cam.visible(clouds[i + 1].points()).unwrap();
            let s = score.view_distance(&same).unwrap().unwrap();
            let o = score.view_distance(&other).unwrap().unwrap();
            sf.push(s.forward);
            sr.push(s.reverse);
            pf.push(o.forward);
            pr.push(o.reverse);
        }
        println!("view ({az}, {el}): visible points {:?}", quantiles(sizes));
        println!("  same surface  forward {:?}", quantiles(sf.clone()));
        println!("  same surface  reverse {:?}", quantiles(sr.clone()));
        println!("  other shape   forward {:?}", quantiles(pf.clone()));
        println!("  other shape   reverse {:?}", quantiles(pr.clone()));
        for w in [0.0f32, 0.25, 0.5, 1.0] {
            let same: Vec<f32> = sf.iter().zip(&sr).map(|(f, r)| f + w * r).collect();
            let other: Vec<f32> = pf.iter().zip(&pr).map(|(f, r)| f + w * r).collect();
            println!(
                "  w = {w}: d same {:?}\n          d other {:?}",
                quantiles(same),
                quantiles(other)
            );
        }
    }
    // Cost of the diversity metric: 49 clouds of 2048 points vs a 512-point subsample.
    let set: Vec<&[[f32; 3]]> = clouds.iter().take(41).map(|c| c.points()).collect();
    let t = std::time::Instant::now();
    let full = pairwise_diversity(&set).unwrap();
    let t_full = t.elapsed().as_secs_f64();
    let sub: Vec<Vec<[f32; 3]>> = set
        .iter()
        .map(|c| c.iter().step_by(4).copied().collect())
        .collect();
    let t = std::time::Instant::now();
    let small = pairwise_diversity(&sub).unwrap();
    println!(
        "diversity of 41 clouds: 2048 points {full:.5} in {t_full:.2} s; 512 points {small:.5} in {:.2} s",
        t.elapsed().as_secs_f64()
    );
}
