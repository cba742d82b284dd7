//! Tuning the IK prior to many targets at once: one posterior per target, each the same as a
//! single `tune_ik` with seed + i, the same on one or two threads; unreachable targets reported
//! and not tuned; bad batches refused.

use mace_core::{Objective, TuneConfig};
use mace_lab::ik::recipe::TUNE_MARGIN;
use mace_lab::ik::{
    load_prior, posterior_folder, tune_batch, tune_ik, IkPrior, IkTuneConfig, TargetTune,
    TuneBatch, TuneScope, TuneTargetStatus,
};
use mace_lab::Silent;
use mace_robot::{CollisionModel, IkTarget, Robot, Scene};

/// Three of Table 1's targets behind the wall (`mace bench ik-table1`, seed 0).
const WALL_TARGETS: [[f32; 3]; 3] = [
    [0.5642627, 0.138668, 0.62439907],
    [0.54987955, -0.16014713, 0.6415152],
    [0.49152488, -0.02046004, 0.59107286],
];

fn short_config(iterations: usize) -> IkTuneConfig {
    IkTuneConfig {
        objective: Objective::Mace,
        tune: TuneConfig {
            iterations,
            seed: 3,
            ..TuneConfig::panda_ik_fast()
        },
        scope: TuneScope::new(None, TUNE_MARGIN, 0.1, false, 10.0).unwrap(),
        eval_samples: 300,
        eval_seed: 4,
    }
}

struct Setup {
    robot: Robot,
    prior: IkPrior,
    wall: Scene,
    base: CollisionModel,
}

fn setup() -> Setup {
    let robot = Robot::builtin("panda").unwrap();
    let prior = load_prior(None, &robot).unwrap();
    let wall = Scene::by_name("wall").unwrap();
    let base = CollisionModel::new(&robot.chain, &wall);
    Setup {
        robot,
        prior,
        wall,
        base,
    }
}

/// Runs a batch on a pool of `threads`, returning it and the indices handed to the posterior
/// callback.
fn run(
    s: &Setup,
    targets: &[IkTarget],
    config: &IkTuneConfig,
    threads: usize,
) -> (TuneBatch, Vec<usize>) {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| {
            let mut written = Vec::new();
            let batch = tune_batch(
                &s.prior,
                &s.base,
                &s.wall,
                targets,
                config,
                &mut |i, model| {
                    assert_eq!(model.context(), &targets[i].position[..]);
                    written.push(i);
                    Ok(())
                },
                &mut Silent,
            )
            .unwrap();
            written.sort_unstable();
            (batch, written)
        })
}

/// A record without its times.
fn timeless(r: &TargetTune) -> TargetTune {
    TargetTune {
        tuning_s: 0.0,
        ..r.clone()
    }
}

#[test]
fn three_targets_get_one_posterior_each_as_single_tunes_do() {
    let s = setup();
    let targets: Vec<IkTarget> = WALL_TARGETS.iter().map(|&p| p.into()).collect();
    let config = short_config(150);
    let (batch, written) = run(&s, &targets, &config, 2);
    assert_eq!(written, vec![0, 1, 2]);
    let sum = &batch.summary;
    assert_eq!((sum.targets, sum.tuned, sum.unreachable), (3, 3, 0));
    assert_eq!((sum.threads, sum.seed, sum.eval_seed), (2, 3, 4));
    assert!(sum.wall_s > 0.0 && sum.time_per_target_s > 0.0 && sum.targets_per_s > 0.0);
    assert!(sum.mean_success > 0.8, "mean success {}", sum.mean_success);
    for (i, r) in batch.targets.iter().enumerate() {
        assert_eq!(
            (r.index, r.target, r.seed),
            (i, WALL_TARGETS[i], 3 + i as u64)
        );
        assert_eq!(r.status, TuneTargetStatus::Tuned);
        assert_eq!(r.posterior.as_deref(), Some(posterior_folder(i).as_str()));
        let e = r.eval.as_ref().unwrap();
        assert_eq!(e.samples, 300);
        assert!(r.iterations > 0 && r.iterations <= 150 && r.tuning_s > 0.0);
        assert!(r.final_score.is_some());
        assert_eq!(r.reached, e.min_error_success.is_some_and(|d| d <= 0.02));
    }
    assert_eq!(posterior_folder(7), "target_0007");
    // Target 1 is `tune_ik` with seed + 1 and evaluation seed + 1.
    let single = IkTuneConfig {
        tune: TuneConfig {
            seed: 4,
            ..config.tune.clone()
        },
        eval_seed: 5,
        ..config.clone()
    };
    let scene = Scene {
        target: WALL_TARGETS[1],
        ..s.wall.clone()
    };
    let one = tune_ik(
        &s.prior,
        &s.robot.chain,
        &scene,
        &single,
        &mut mace_core::NoObserver,
    )
    .unwrap();
    assert_eq!(
        Some(&one.record.posterior_eval),
        batch.targets[1].eval.as_ref()
    );
    assert_eq!(
        one.record.report.iterations.len(),
        batch.targets[1].iterations
    );
    // Records: JSON lines and Markdown.
    let lines = batch.json_lines().unwrap();
    assert_eq!(lines.lines().count(), 3);
    let back: TargetTune = serde_json::from_str(lines.lines().nth(2).unwrap()).unwrap();
    assert_eq!(back, batch.targets[2]);
    let md = batch.markdown();
    assert!(md.contains("| 2 | 0.492, -0.020, 0.591 |"), "{md}");
    assert!(md.contains("3 of 3 targets tuned"), "{md}");
}

#[test]
fn posteriors_do_not_depend_on_the_thread_count_and_unreachable_targets_are_not_tuned() {
    let s = setup();
    let mut targets: Vec<IkTarget> = WALL_TARGETS[..2].iter().map(|&p| p.into()).collect();
    targets.insert(1, IkTarget::position([3.0, 0.0, 0.5])); // beyond reach
    let config = short_config(100);
    let (one, written_one) = run(&s, &targets, &config, 1);
    let (two, written_two) = run(&s, &targets, &config, 2);
    assert_eq!(written_one, vec![0, 2]);
    assert_eq!(written_two, vec![0, 2]);
    assert_eq!((one.summary.threads, two.summary.threads), (1, 2));
    assert_eq!((one.summary.tuned, one.summary.unreachable), (2, 1));
    let gone = &one.targets[1];
    assert_eq!(gone.status, TuneTargetStatus::Unreachable);
    assert!(gone.eval.is_none() && gone.posterior.is_none() && gone.iterations == 0);
    assert!(one.markdown().contains("beyond reach"));
    for (a, b) in one.targets.iter().zip(&two.targets) {
        assert_eq!(timeless(a), timeless(b));
    }
    assert_eq!(one.summary.mean_success, two.summary.mean_success);
    assert_eq!(one.summary.mean_score, two.summary.mean_score);
}

#[test]
fn bad_batches_are_refused() {
    let s = setup();
    let config = short_config(2);
    let refuse = |targets: &[IkTarget],
                  sink: &mut dyn FnMut(
        usize,
        &mace_models::ConditionedArGmm,
    ) -> mace_lab::Result<()>| {
        tune_batch(
            &s.prior,
            &s.base,
            &s.wall,
            targets,
            &config,
            sink,
            &mut Silent,
        )
        .unwrap_err()
        .to_string()
    };
    let e = refuse(&[], &mut |_, _| Ok(()));
    assert!(e.contains("--targets") && e.contains("0 targets"), "{e}");
    let far = [IkTarget::position([3.0, 0.0, 0.5]); 2];
    let e = refuse(&far, &mut |_, _| Ok(()));
    assert!(e.contains("within the arm's reach"), "{e}");
    // A posterior that cannot be kept ends the batch with an error naming the target.
    let near = [IkTarget::position(WALL_TARGETS[0])];
    let e = refuse(&near, &mut |_, _| {
        Err(mace_lab::Error::Failed("disk full".into()))
    });
    assert!(e.starts_with("target 0 "), "{e}");
}
