use mace_core::{NoObserver, Objective, TuneConfig};
use mace_lab::ik::trials::solve_tune_preset;
use mace_lab::ik::{
    load_prior, run_ik_demo, run_table1, run_table2, scene_with_target, solve_config, tune_ik,
    IkTuneConfig, Table1Config, Table2Config, TuneScope,
};
use mace_lab::Silent;
use mace_robot::solve::{Method, SolveStatus};
use mace_robot::Robot;

fn short_tuning() -> TuneConfig {
    TuneConfig {
        iterations: 150,
        ..TuneConfig::panda_ik_fast()
    }
}

#[test]
fn table1_at_two_targets_puts_mace_above_the_prior() {
    let robot = Robot::builtin("panda").unwrap();
    let chain = robot.chain.clone();
    let prior = load_prior(None, &robot).unwrap();
    let config = Table1Config {
        targets: 2,
        samples: 200,
        seed: 0,
        tune: short_tuning(),
        scope: TuneScope::new(None, 0.01, 0.1, false, 10.0).unwrap(),
        pose: false,
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
    let robot = Robot::builtin("panda").unwrap();
    let chain = robot.chain.clone();
    let prior = load_prior(None, &robot).unwrap();
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
    let robot = Robot::builtin("panda").unwrap();
    let chain = robot.chain.clone();
    let prior = load_prior(None, &robot).unwrap();
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
    let robot = Robot::builtin("panda").unwrap();
    let chain = robot.chain.clone();
    let prior = load_prior(None, &robot).unwrap();
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

#[test]
fn every_shipped_robot_loads_its_own_prior_and_refuses_another() {
    for name in ["panda", "iiwa14", "xarm6"] {
        let robot = Robot::builtin(name).unwrap();
        let prior = load_prior(None, &robot).unwrap();
        assert_eq!(prior.model.config().dim(), robot.chain.dof(), "{name}");
    }
    let panda = load_prior(None, &Robot::builtin("panda").unwrap()).unwrap();
    let xarm = Robot::builtin("xarm6").unwrap();
    let e = load_prior(Some(&panda.dir), &xarm).unwrap_err().to_string();
    assert!(e.contains("panda") && e.contains("xarm6"), "{e}");
}

#[test]
fn a_dataset_of_another_robot_cannot_train_a_prior() {
    use mace_lab::ik::prior::new_prior;
    use mace_lab::ik::IkTrainConfig;
    let iiwa = Robot::builtin("iiwa14").unwrap();
    let panda = Robot::builtin("panda").unwrap();
    let data =
        mace_robot::Dataset::generate(&iiwa.chain, &mace_robot::DatasetConfig { n: 64, seed: 0 })
            .unwrap();
    // Saved and read back, the set still knows its robot.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("iiwa.safetensors");
    data.save_safetensors(&iiwa.chain, &file, false).unwrap();
    let back = mace_robot::Dataset::load_safetensors(&file).unwrap();
    assert_eq!(back.kinematics, Some(iiwa.chain.kinematics_hash()));
    let e = new_prior(&panda, &back, &IkTrainConfig::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("another robot") && e.contains("panda"), "{e}");
    assert!(new_prior(&iiwa, &back, &IkTrainConfig::default()).is_ok());
}

#[test]
fn training_settings_that_mean_nothing_are_refused_before_any_work() {
    use mace_lab::ik::IkTrainConfig;
    let ok = IkTrainConfig::default();
    assert!(ok.validate().is_ok());
    let cases: [(IkTrainConfig, &str); 7] = [
        (
            IkTrainConfig {
                epochs: 0,
                ..ok.clone()
            },
            "--epochs",
        ),
        (
            IkTrainConfig {
                batch: 0,
                ..ok.clone()
            },
            "--batch",
        ),
        (
            IkTrainConfig {
                lr: -1.0,
                ..ok.clone()
            },
            "--lr",
        ),
        (
            IkTrainConfig {
                lr: f64::NAN,
                ..ok.clone()
            },
            "--lr",
        ),
        (
            IkTrainConfig {
                heldout: 5.0,
                ..ok.clone()
            },
            "--heldout",
        ),
        (
            IkTrainConfig {
                hidden: vec![100_000, 100_000],
                ..ok.clone()
            },
            "--hidden",
        ),
        (
            IkTrainConfig {
                components: 0,
                ..ok.clone()
            },
            "--components",
        ),
    ];
    for (config, flag) in cases {
        let e = config.validate().unwrap_err().to_string();
        assert!(e.contains(flag), "{flag}: {e}");
    }
}
