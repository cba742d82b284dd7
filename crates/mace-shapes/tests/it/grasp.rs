use candle_core::{Device, Tensor};
use mace_core::{Evidence, Score, Simulator};
use mace_shapes::{
    clouds_to_tensor, grasp_evidence, AirplaneFamily, Error, GraspConfig, GraspScore,
    GraspSimulator, PointCloud, ScoreForm,
};

fn circle(r: f32, n: usize) -> PointCloud {
    PointCloud::new(
        (0..n)
            .map(|i| {
                let a = i as f32 * std::f32::consts::TAU / n as f32;
                [r * a.cos(), r * a.sin(), 0.0]
            })
            .collect(),
    )
    .unwrap()
}

#[test]
fn circle_contacts_are_minus_r_for_every_finger() {
    for sim in [
        GraspSimulator::in_distribution(),
        GraspSimulator::out_of_distribution(),
    ] {
        for r in [0.1f32, 0.25, 0.45] {
            let obs = sim.observe(&circle(r, 64)).unwrap();
            assert_eq!(obs.len(), 5);
            for c in obs {
                approx::assert_abs_diff_eq!(c, -r, epsilon = 1e-6);
            }
        }
    }
}

#[test]
fn directions_are_the_papers_normalised() {
    let s = std::f32::consts::FRAC_1_SQRT_2;
    let id = GraspSimulator::in_distribution();
    let ood = GraspSimulator::out_of_distribution();
    assert_eq!(id.fingers(), 5);
    approx::assert_abs_diff_eq!(id.directions()[0][0], s, epsilon = 1e-7);
    assert_eq!(id.directions()[4], [-1.0, 0.0, 0.0]);
    assert_eq!(ood.directions()[4], [1.0, 0.0, 0.0]);
    assert_eq!(&id.directions()[..4], &ood.directions()[..4]);
    assert_eq!(id.half_width(), 0.04);
}

#[test]
fn finger_width_is_measured_in_3d() {
    let sim = GraspSimulator::new(&GraspConfig {
        directions: vec![[1.0, 0.0, 0.0]],
        half_width: 0.04,
    })
    .unwrap();
    // Off the line by 0.05 in z only: outside the finger although it is on the line in xy.
    assert_eq!(sim.contacts(&[[-0.2, 0.0, 0.05]]).unwrap(), vec![None]);
    assert_eq!(
        sim.contacts(&[[-0.2, 0.0, 0.03]]).unwrap(),
        vec![Some(-0.2)]
    );
    // The first point met along the approach is the minimum projection.
    let pts = [
        [0.3, 0.0, 0.0],
        [-0.1, 0.02, 0.0],
        [-0.3, 0.1, 0.0],
        [0.1, -0.03, 0.01],
    ];
    assert_eq!(sim.contacts(&pts).unwrap(), vec![Some(-0.1)]);
}

#[test]
fn a_finger_touching_nothing() {
    let sim = GraspSimulator::in_distribution();
    // One point on the (1, 1) diagonal: fingers 0 and 3 touch it, 1, 2 and 4 miss.
    let pts = [[0.3f32, 0.3, 0.0]];
    match sim.observe(&pts) {
        Err(Error::FingerTouchesNothing { finger }) => assert_eq!(finger, 1),
        other => panic!("{other:?}"),
    }
    let obs = sim.simulate_clouds(&[pts.to_vec()]).unwrap();
    assert_eq!(obs.touched(0), &[true, false, false, true, false]);
    assert_eq!(obs.contacts(0)[2], 0.0);
    // In a sample, a missing finger counts miss_distance (default 1).
    let target = vec![0.3 * 2f32.sqrt(), -0.1, -0.1, -0.3 * 2f32.sqrt(), -0.1];
    let mean = GraspScore::new(target.clone(), ScoreForm::Mean).unwrap();
    approx::assert_abs_diff_eq!(
        mean.score_batch(&obs).unwrap()[0],
        1.0 - 3.0 / 5.0,
        epsilon = 1e-6
    );
    let sum = GraspScore::new(target.clone(), ScoreForm::Sum).unwrap();
    assert_eq!(sum.score_batch(&obs).unwrap()[0], 0.0);
    let lenient = mean.with_miss_distance(0.5).unwrap();
    approx::assert_abs_diff_eq!(
        lenient.score_batch(&obs).unwrap()[0],
        1.0 - 1.5 / 5.0,
        epsilon = 1e-6
    );
    assert!(sim.observe(&[]).is_err());
}

#[test]
fn score_forms() {
    let target = vec![-0.3f32; 5];
    let deltas = [0.01f32, -0.02, 0.03, 0.0, 0.04];
    let contacts: Vec<f32> = deltas.iter().map(|d| -0.3 + d).collect();
    let touched = [true; 5];
    let mean = GraspScore::new(target.clone(), ScoreForm::default()).unwrap();
    let sum = GraspScore::new(target.clone(), ScoreForm::Sum).unwrap();
    approx::assert_abs_diff_eq!(
        mean.score_one(&contacts, &touched),
        1.0 - 0.1 / 5.0,
        epsilon = 1e-6
    );
    approx::assert_abs_diff_eq!(
        sum.score_one(&contacts, &touched),
        1.0 - 0.1,
        epsilon = 1e-6
    );
    assert_eq!(mean.score_one(&target, &touched), 1.0);
    // Clipped at 0.
    let far = vec![0.5f32; 5];
    assert_eq!(sum.score_one(&far, &touched), 0.0);
    assert_eq!(mean.score_one(&[2.0; 5], &touched), 0.0);
    assert!(GraspScore::new(vec![], ScoreForm::Mean).is_err());
    assert!(GraspScore::new(vec![f32::NAN], ScoreForm::Mean).is_err());
}

#[test]
fn tensor_simulator_and_evidence_for_the_tuner() {
    let clouds = AirplaneFamily::default().generate(16, 4).unwrap();
    let sim = GraspSimulator::in_distribution();
    let direct = sim.simulate_clouds(&clouds).unwrap();
    let t = clouds_to_tensor(&clouds, &Device::Cpu).unwrap();
    assert_eq!(sim.simulate(&t).unwrap(), direct);
    assert_eq!(
        sim.simulate(&t.reshape((16, 2048, 3)).unwrap()).unwrap(),
        direct
    );
    let flat: Vec<f32> = clouds.iter().flat_map(|c| c.as_flat().to_vec()).collect();
    assert_eq!(sim.simulate_flat(&flat, 2048).unwrap(), direct);

    let target = sim.observe(&clouds[5]).unwrap();
    assert_eq!(direct.contacts(5), &target[..]);
    let evidence = grasp_evidence(sim.clone(), target.clone(), ScoreForm::Mean).unwrap();
    let scores = evidence.evaluate(&t).unwrap();
    assert_eq!(scores.len(), 16);
    assert_eq!(scores[5], 1.0);
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)));
    assert!(
        scores.iter().filter(|&&s| s < 1.0).count() >= 14,
        "shapes differ: {scores:?}"
    );
    let via_trait = GraspScore::new(target, ScoreForm::Mean)
        .unwrap()
        .score(&direct)
        .unwrap();
    assert_eq!(via_trait, scores);

    // Errors surface as mace_core errors.
    let bad = Tensor::zeros((2, 7), candle_core::DType::F32, &Device::Cpu).unwrap();
    assert!(sim.simulate(&bad).is_err());
    let mut nan = flat.clone();
    nan[2048 * 3 + 10] = f32::NAN;
    match sim.simulate_flat(&nan, 2048) {
        Err(Error::NonFinite {
            origin,
            index: 3,
            axis: 1,
            ..
        }) => assert!(origin.contains("sample 1")),
        other => panic!("{other:?}"),
    }
    let three = GraspScore::new(vec![0.0; 3], ScoreForm::Mean).unwrap();
    assert!(three.score_batch(&direct).is_err());
    assert!(grasp_evidence(sim, vec![0.0; 4], ScoreForm::Sum).is_err());
}

#[test]
fn bad_configs_are_errors() {
    let bad = |directions: Vec<[f32; 3]>, half_width: f32| {
        GraspSimulator::new(&GraspConfig {
            directions,
            half_width,
        })
        .is_err()
    };
    assert!(bad(vec![], 0.04));
    assert!(bad(vec![[0.0; 3]], 0.04));
    assert!(bad(vec![[1.0, 0.0, 0.0]], 0.0));
    assert!(bad(vec![[1.0, 0.0, 0.0]], f32::NAN));
}
