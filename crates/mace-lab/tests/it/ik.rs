use mace_core::{NoObserver, Objective, TuneConfig};
use mace_lab::ik::trials::solve_tune_preset;
use mace_lab::ik::{
    load_prior, run_ik_demo, run_table1, run_table2, scene_with_target, solve_config, tune_ik,
    IkTuneConfig, Table1Config, Table2Config, TuneScope,
};
use mace_lab::Silent;
use mace_robot::solve::{Method, SolveStatus};
use mace_robot::KinematicChain;

fn short_tuning() -> TuneConfig {
    TuneConfig {
        iterations: 150,
        ..TuneConfig::panda_ik_fast()
    }
}

#[test]
fn table1_at_two_targets_puts_mace_above_the_prior() {
    let chain = KinematicChain::panda();
    let prior = load_prior(None, &chain).unwrap();
    let config = Table1Config {
        targets: 2,
        samples: 200,
        seed: 0,
        tune: short_tuning(),
        scope: TuneScope::new(None, 0.01, 0.1, false, 10.0).unwrap(),
    };
    let table = run_table1(&prior, &chain, &config, &mut Silent).unwrap();
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.samples.len(), 2);
    for row in &table.rows {
        assert!(
            row.mace.success_rate > row.prior.success_rate + 0.3,
            "MACE {:.3} vs prior {:.3} at {:?}",
            row.mace.success_rate,
            row.prior.success_rate,
            row.target
        );
    }
    let md = table.markdown();
    assert!(
        md.contains("Table 1") && md.contains("| posterior (MACE) |"),
        "{md}"
    );
    let json = serde_json::to_value(&table).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), 2);
    assert!(
        json.get("samples").is_none(),
        "samples stay out of the JSON"
    );
}

#[test]
fn table2_at_two_trials_solves_the_box_without_collisions() {
    let chain = KinematicChain::panda();
    let prior = load_prior(None, &chain).unwrap();
    let config = Table2Config {
        trials: 2,
        seed: 0,
        budget: 1.0,
        clearance: 0.0,
        prior_stop: 0.01,
        parallel: false,
        tune: solve_tune_preset(),
        scope: TuneScope::default(),
        mace_row: false,
    };
    let table = run_table2(&prior, &chain, &config, &mut Silent).unwrap();
    let rows: Vec<&str> = table.methods.iter().map(|m| m.row.as_str()).collect();
    assert_eq!(
        rows,
        ["prior", "prior-paper-acc", "prior-20", "numeric", "hybrid"]
    );
    let hybrid = &table.methods[4];
    assert_eq!(hybrid.summary.solved, 2);
    for r in &hybrid.reports {
        assert_eq!(r.status, SolveStatus::Solved);
        assert!(r.collision_free && r.error <= 1e-4, "{r:?}");
    }
    assert!(table.markdown().contains("| hybrid | MACE + MoveIt |"));
    let zero = Table2Config {
        trials: 0,
        ..config
    };
    assert!(run_table2(&prior, &chain, &zero, &mut Silent).is_err());
}

#[test]
fn the_demo_solves_the_box_and_tunes_through_the_window() {
    let chain = KinematicChain::panda();
    let prior = load_prior(None, &chain).unwrap();
    let demo = run_ik_demo(&prior, &chain, 0, &mut NoObserver).unwrap();
    for row in demo.record.box_rows() {
        assert_eq!(row.collision_free, row.runs, "{row:?}");
        if row.method == Method::Hybrid {
            assert_eq!(row.solved, row.runs);
        }
    }
    let (before, after) = (&demo.record.window_prior, &demo.record.window_posterior);
    assert!(
        after.success_rate > 0.9 && before.success_rate < 0.3,
        "window: prior {:.3}, posterior {:.3}",
        before.success_rate,
        after.success_rate
    );
}

#[test]
fn tuning_to_a_scene_reaches_its_target_and_is_seeded() {
    let chain = KinematicChain::panda();
    let prior = load_prior(None, &chain).unwrap();
    let scene = scene_with_target("window", None).unwrap();
    let config = IkTuneConfig {
        objective: Objective::Mace,
        tune: TuneConfig {
            seed: 3,
            ..short_tuning()
        },
        scope: TuneScope::default(),
        eval_samples: 300,
        eval_seed: 4,
    };
    let run = tune_ik(&prior, &chain, &scene, &config, &mut NoObserver).unwrap();
    run.check_reached().unwrap();
    assert_eq!(run.posterior_q.len(), 300 * chain.dof());
    let again = tune_ik(&prior, &chain, &scene, &config, &mut NoObserver).unwrap();
    assert_eq!(
        run.posterior_q, again.posterior_q,
        "same seed, same samples"
    );
}

#[test]
fn bad_settings_name_the_option() {
    for (e, what) in [
        (solve_config(-1.0, 0.0, 0.01).unwrap_err(), "--budget"),
        (
            solve_config(1.0, f32::NAN, 0.01).unwrap_err(),
            "--clearance",
        ),
        (
            TuneScope::new(None, 2.0, 0.1, false, 10.0).unwrap_err(),
            "--tune-margin",
        ),
        (
            TuneScope::new(None, 0.01, -1.0, false, 10.0).unwrap_err(),
            "--margin-penalty",
        ),
        (
            TuneScope::new(None, 0.01, 0.1, false, 0.0).unwrap_err(),
            "--logit-lr-scale",
        ),
    ] {
        assert!(e.to_string().starts_with(what), "{e}");
    }
    assert!(scene_with_target("nowhere", None).is_err());
    assert!(scene_with_target("box", Some(&[0.1, f32::NAN, 0.2])).is_err());
}
