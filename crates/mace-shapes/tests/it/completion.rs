use candle_core::{Device, Tensor};
use mace_core::{Evidence, Score};
use mace_shapes::{
    add_depth_noise, clouds_to_tensor, completion_evidence, observe_partial, AirplaneFamily,
    CompletionScore, CompletionScoreConfig, DepthCamera, DepthCameraConfig, Error, Normalization,
    PointCloud,
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

/// The default score tells a view of the same surface (another sampling of the observed
/// shape) from a view of another airplane, on 40 shapes and two views: every same-surface
/// distance lies below every other-shape distance's 10th percentile, and the scores differ
/// accordingly. (These are the numbers behind the default scale and reverse weight; see the
/// module docs of `mace_shapes::completion`.)
#[test]
fn score_tells_the_same_surface_from_another_shape() {
    let family = AirplaneFamily::default();
    let n = 40u64;
    let base = 3800u64;
    let clouds: Vec<PointCloud> = (0..=n)
        .map(|i| family.shape(0, base + i).unwrap())
        .collect();
    let config = CompletionScoreConfig::default();
    for (az, el) in [(45.0f32, 30.0f32), (-135.0, 20.0)] {
        let cam = camera(az, el);
        let (mut same, mut other) = (vec![], vec![]);
        let (mut score_same, mut score_other) = (vec![], vec![]);
        for i in 0..n as usize {
            let observed = observe_partial(&cam, clouds[i].points()).unwrap();
            let score = CompletionScore::new(observed, &config).unwrap();
            let resampled = cam
                .visible(resampled(base + i as u64, 1000 + i as u64).points())
                .unwrap();
            let neighbour = cam.visible(clouds[i + 1].points()).unwrap();
            let d = |v: &[[f32; 3]]| {
                let d = score.view_distance(v).unwrap().unwrap();
                d.forward + config.reverse_weight * d.reverse
            };
            same.push(d(&resampled));
            other.push(d(&neighbour));
            score_same.push(score.score_view(&resampled).unwrap());
            score_other.push(score.score_view(&neighbour).unwrap());
        }
        let (qs, qo) = (quantiles(same), quantiles(other));
        assert!(
            qs[4] < qo[0],
            "view ({az}, {el}): same-surface distances {qs:?} overlap other-shape ones {qo:?}"
        );
        let (ss, so) = (quantiles(score_same), quantiles(score_other));
        assert!(
            ss[0] > so[4] && ss[2] > 0.5,
            "view ({az}, {el}): scores same {ss:?}, other {so:?}"
        );
    }
}
