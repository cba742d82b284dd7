//! MACE brings ≥ 90% of posterior samples into a region holding 2.7% of the prior's mass; IS on the
//! same budget does measurably worse; both are compared with the exact (rejection) posterior.

use mace_core::toy::ToyProblem;
use mace_core::{NoObserver, Objective, TuneConfig};
use rand::{rngs::StdRng, SeedableRng};

const EVAL: usize = 2000;

#[test]
fn mace_concentrates_on_the_region_and_beats_is() {
    let problem = ToyProblem::standard();
    let config = TuneConfig {
        seed: 3,
        ..TuneConfig::toy()
    };
    let reference = problem
        .reference_posterior(EVAL, &mut StdRng::seed_from_u64(11))
        .unwrap();
    let baseline = problem.baseline(&reference, EVAL, 12).unwrap();
    let mace = problem
        .run(Objective::Mace, &config, &reference, EVAL, &mut NoObserver)
        .unwrap();
    let is = problem
        .run(Objective::Is, &config, &reference, EVAL, &mut NoObserver)
        .unwrap();
    println!(
        "prior mass of the region (exact): {:.4}",
        baseline.region_prior_mass
    );
    println!(
        "exact posterior in region: {:.3}",
        baseline.reference_fraction_in_region
    );
    println!(
        "MMD² to exact posterior: prior {:.4}",
        baseline.prior_mmd_to_reference
    );
    for run in [&mace, &is] {
        println!(
            "{}: in region {:.3}, MMD² {:.4}, {:.2} s",
            run.objective, run.fraction_in_region, run.mmd_to_reference, run.report.timings.total_s
        );
    }
    assert!((baseline.region_prior_mass - 0.0268).abs() < 1e-3);
    assert!(
        mace.fraction_in_region >= 0.90,
        "MACE in region: {}",
        mace.fraction_in_region
    );
    assert!(
        is.fraction_in_region + 0.05 < mace.fraction_in_region,
        "IS {} should be measurably below MACE {}",
        is.fraction_in_region,
        mace.fraction_in_region
    );
    // Both posteriors are far closer to the exact one than the prior is.
    assert!(mace.mmd_to_reference < baseline.prior_mmd_to_reference);
    assert!(is.mmd_to_reference < baseline.prior_mmd_to_reference);
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let problem = ToyProblem::standard();
    let config = TuneConfig {
        iterations: 40,
        seed: 9,
        ..TuneConfig::toy()
    };
    let reference = problem
        .reference_posterior(200, &mut StdRng::seed_from_u64(1))
        .unwrap();
    let a = problem
        .run(Objective::Mace, &config, &reference, 200, &mut NoObserver)
        .unwrap();
    let b = problem
        .run(Objective::Mace, &config, &reference, 200, &mut NoObserver)
        .unwrap();
    let scores = |r: &mace_core::toy::ToyRun| -> Vec<(f32, Option<f64>)> {
        r.report
            .iterations
            .iter()
            .map(|s| (s.score_mean, s.loss))
            .collect()
    };
    assert_eq!(scores(&a), scores(&b));
    assert_eq!(a.fraction_in_region, b.fraction_in_region);
    let c = problem
        .run(
            Objective::Mace,
            &TuneConfig { seed: 10, ..config },
            &reference,
            200,
            &mut NoObserver,
        )
        .unwrap();
    assert_ne!(scores(&a), scores(&c));
}
