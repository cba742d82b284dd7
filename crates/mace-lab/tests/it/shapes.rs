use mace_core::{NoObserver, TuneConfig};
use mace_lab::shapes::{
    inspect_prior, load_shape_cvae, load_shape_prior, mixture_tune_config, run_completion_bench,
    run_fig1, tune_completion, tune_grasp, CompleteTuneConfig, CompletionBenchConfig,
    CompletionProblem, Fig1Config, GraspTuneConfig, LatentObjective, ShapeSource,
};
use mace_lab::Silent;
use mace_models::vae::MixtureSettings;
use mace_shapes::{CompletionScoreConfig, DepthCamera, DepthCameraConfig, ScoreForm};

fn short_tuning() -> TuneConfig {
    TuneConfig {
        iterations: 40,
        ..TuneConfig::grasp()
    }
}

fn camera(az: f32, el: f32) -> DepthCamera {
    DepthCamera::new(&DepthCameraConfig {
        azimuth_deg: az,
        elevation_deg: el,
        ..DepthCameraConfig::default()
    })
    .unwrap()
}

#[test]
fn fig1_at_two_observations_puts_mace_above_the_prior() {
    let prior = load_shape_prior(None).unwrap();
    let (cvae, cvae_dir) = load_shape_cvae(None).unwrap();
    let config = Fig1Config {
        observations: 2,
        split: Default::default(),
        samples: 8,
        data: ShapeSource::default(),
        models: ["prior", "mace", "mix", "exact", "is", "cvae"]
            .map(String::from)
            .to_vec(),
        score: ScoreForm::Sum,
        step_fraction: 0.5,
        tune: short_tuning(),
        mixture: MixtureSettings::default(),
        mixture_tune: TuneConfig {
            sample_size: 512,
            bsz: 512,
            ..mixture_tune_config()
        },
        seed: 0,
    };
    let fig = run_fig1(&prior, &cvae, cvae_dir, &config, &mut Silent).unwrap();
    assert_eq!(fig.settings.len(), 2);
    assert!(!fig.settings[0].ood && fig.settings[1].ood);
    for setting in &fig.settings {
        let score = |m: &str| {
            setting
                .summaries
                .iter()
                .find(|s| s.model == m)
                .map(|s| s.score_mean)
                .unwrap()
        };
        assert!(score("mace") > score("prior"), "{:?}", setting.summaries);
        assert!(score("exact") > score("prior"), "{:?}", setting.summaries);
        assert!(score("mix") > score("prior"), "{:?}", setting.summaries);
    }
    assert_eq!(fig.first.len(), 2);
    assert!(fig.markdown().contains("Fig. 1, in distribution"));
    let bad = Fig1Config {
        models: vec!["nope".into()],
        ..config
    };
    let (cvae, dir) = load_shape_cvae(None).unwrap();
    let e = run_fig1(&prior, &cvae, dir, &bad, &mut Silent).unwrap_err();
    assert!(e.to_string().contains("unknown model `nope`"), "{e}");
}

#[test]
fn completion_bench_at_one_observation_moves_toward_the_truth() {
    let prior = load_shape_prior(None).unwrap();
    let config = CompletionBenchConfig {
        test_shapes: 1,
        data: ShapeSource::default(),
        cameras: vec![camera(45.0, 30.0)],
        depth_noise: 0.0,
        score: CompletionScoreConfig::default(),
        objectives: vec![LatentObjective::Mace, LatentObjective::Exact],
        step_fraction: 0.5,
        tune: short_tuning(),
        seed: 0,
        eval_samples: 8,
    };
    let table = run_completion_bench(&prior, &config, &mut Silent).unwrap();
    assert_eq!(table.rows.len(), 1);
    let models: Vec<&str> = table.summary.iter().map(|s| s.model.as_str()).collect();
    assert_eq!(models, ["prior", "mace", "exact"]);
    let (prior, mace, exact) = (&table.summary[0], &table.summary[1], &table.summary[2]);
    assert!(
        mace.chamfer_mean < prior.chamfer_mean,
        "{:?}",
        table.summary
    );
    assert!(exact.score > prior.score && exact.chamfer_mean < prior.chamfer_mean);
    assert!(table.first.is_some());
    assert!(table.markdown().contains("| mace |"));
}

#[test]
fn grasp_and_completion_tuning_improve_on_the_prior() {
    let prior = load_shape_prior(None).unwrap();
    let (shape, name) = ShapeSource::default().test_shape("0").unwrap();
    let grasp = tune_grasp(
        &prior,
        &shape,
        &name,
        &GraspTuneConfig {
            ood: false,
            objective: LatentObjective::Exact,
            step_fraction: 0.5,
            score: ScoreForm::Sum,
            tune: short_tuning(),
            eval_samples: 8,
            eval_seed: 1,
        },
        &mut NoObserver,
    )
    .unwrap();
    let r = &grasp.record;
    assert!(
        r.posterior_eval.mean_score > r.prior_eval.mean_score,
        "{r:?}"
    );
    let problem = CompletionProblem::new(
        &shape,
        camera(45.0, 30.0),
        0.0,
        0,
        &CompletionScoreConfig::default(),
    )
    .unwrap();
    let done = tune_completion(
        &prior,
        Some(&shape),
        &name,
        problem,
        &CompleteTuneConfig {
            objective: LatentObjective::Exact,
            step_fraction: 0.5,
            tune: short_tuning(),
            eval_samples: 8,
            eval_seed: 1,
        },
        &mut NoObserver,
    )
    .unwrap();
    let r = &done.record;
    assert!(
        r.posterior_eval.chamfer_mean.unwrap() < r.prior_eval.chamfer_mean.unwrap(),
        "{r:?}"
    );
    assert!(LatentObjective::BestOf.parts(0.5).is_none());
}

#[test]
fn the_shipped_prior_samples_diverse_realistic_shapes() {
    let prior = load_shape_prior(None).unwrap();
    let q = inspect_prior(&prior, &ShapeSource::default(), 8, 0).unwrap();
    assert!(q.fitted_latent_prior);
    assert!(q.reconstruction_error < q.mean_shape_error, "{q:?}");
    assert!(q.sample_diversity > 0.3 * q.data_diversity, "{q:?}");
    assert!(inspect_prior(&prior, &ShapeSource::default(), 1, 0).is_err());
}

#[test]
fn the_heading_of_a_turned_airplane_is_found() {
    use mace_lab::shapes::heading::{infer_heading, turn_about_up, HeadingSearch};
    let prior = load_shape_prior(None).unwrap();
    let samples = mace_lab::shapes::latent::sample_clouds(&prior.model().unwrap(), 128, 3).unwrap();
    let source = ShapeSource::default();
    for (index, turn) in [("0", 130.0f32), ("1", 275.0), ("2", 20.0)] {
        let (shape, _) = source.test_shape(index).unwrap();
        let turned = turn_about_up(&shape, turn).unwrap();
        let found = infer_heading(&turned, &samples, &HeadingSearch::default()).unwrap();
        let want = (360.0 - turn).rem_euclid(360.0);
        let off = (found.heading_deg - want).rem_euclid(360.0);
        let off = off.min(360.0 - off);
        eprintln!(
            "shape {index} turned {turn}°: found {:.1}° (want {want}°), cost {:.2e}, runner-up {:.2e}",
            found.heading_deg, found.cost, found.runner_up_cost
        );
        assert!(off <= 4.0, "shape {index}: {found:?}");
        assert!(found.runner_up_cost > 1.2 * found.cost, "{found:?}");
    }
}

#[test]
fn the_real_airliner_read_z_up_is_turned_into_our_heading() {
    use mace_lab::shapes::heading_bench::{run_heading_bench, HeadingBenchConfig};
    use mace_shapes::{Axis, Frame};
    let prior = load_shape_prior(None).unwrap();
    let file = mace_lab::assets::resolve(None, "assets/shapes/airliner/airliner.obj");
    let config = HeadingBenchConfig {
        file: file.display().to_string(),
        hand: Frame::new(Axis::Z, Some(Axis::X)).unwrap(),
        native: Frame::new(Axis::Z, None).unwrap(),
        headings: vec![0.0, 150.0],
        views: vec![[0.0, 20.0]],
        tune: TuneConfig {
            iterations: 20,
            ..TuneConfig::grasp()
        },
        eval_samples: 4,
        seed: 0,
    };
    let bench = run_heading_bench(&prior, &config, &mut Silent).unwrap();
    eprintln!("{}", bench.markdown());
    for row in &bench.rows {
        assert!(row.error_deg <= 5.0, "{row:?}");
    }
    // Left as read, the airliner faces sideways: its completion is far worse.
    assert!(
        bench.as_read_ratio > 1.5 * bench.found_ratio,
        "{}",
        bench.markdown()
    );
}

/// The mixture spans the axes the rolled airplane prior's decoder uses: four hold 54% of the
/// codes' variance, the other 124 about 1% each (the encoder's noise).
#[test]
fn mixture_spans_the_rolled_priors_active_axes() {
    let dir = mace_lab::assets::resolve(None, mace_lab::assets::SHAPE_PRIOR_ROLLED);
    let prior = load_shape_prior(Some(&dir)).unwrap();
    let model = prior.model().unwrap();
    assert_eq!(mace_models::vae::active_axes(model.basis(), 128), 4);
    assert_eq!(mace_models::vae::active_axes(None, 128), 8);
}

/// A shape prior folder whose `latent_prior.json` holds a mixture (as a saved posterior of
/// objective `mix` does) is sampled from the mixture, tuned further only by `mix`, and refused by
/// name where one Gaussian would stand in for it.
#[test]
fn a_mixture_prior_folder_samples_its_mixture_and_only_mix_tunes_it() {
    use mace_lab::shapes::{latent_at_prior, LatentPrior, TunedLatent};
    use mace_models::vae::LatentMixture;
    let shipped = mace_lab::assets::resolve(None, mace_lab::assets::SHAPE_PRIOR);
    let dir = tempfile::tempdir().unwrap();
    for f in ["config.json", "weights.safetensors"] {
        std::fs::copy(shipped.join(f), dir.path().join(f)).unwrap();
    }
    let gaussian = load_shape_prior(Some(&shipped)).unwrap();
    let mut latent: LatentPrior = gaussian.latent.clone().unwrap();
    let shifted = |sign: f32| -> Vec<f32> {
        let mut m = latent.mean.clone();
        m[0] += sign * 2.0 * latent.std[0];
        m
    };
    let half: Vec<f32> = latent.std.iter().map(|s| 0.5 * s).collect();
    latent.mixture = Some(LatentMixture {
        weights: vec![0.5, 0.5],
        means: vec![shifted(-1.0), shifted(1.0)],
        stds: vec![half.clone(), half],
    });
    let text = serde_json::to_string(&latent).unwrap();
    std::fs::write(dir.path().join("latent_prior.json"), text).unwrap();

    let prior = load_shape_prior(Some(dir.path())).unwrap();
    let e = prior.model().unwrap_err().to_string();
    assert!(
        e.contains("latent_prior.json") && e.contains("`mixture`"),
        "{e}"
    );
    let model = latent_at_prior(&prior).unwrap();
    assert!(matches!(model, TunedLatent::Mixture(_)));
    let a = model.clouds(3, 7).unwrap();
    assert_eq!(a, model.clouds(3, 7).unwrap(), "seeded draws repeat");
    let plain = latent_at_prior(&gaussian).unwrap().clouds(3, 7).unwrap();
    assert_ne!(a, plain, "the mixture, not the Gaussian, is sampled");
    let (mean, _) = model.moments().unwrap();
    assert!(
        (mean[0] - latent.mean[0]).abs() < 1e-4,
        "moments of the mixture"
    );

    let (shape, name) = ShapeSource::default().test_shape("0").unwrap();
    let config = |objective| GraspTuneConfig {
        ood: false,
        objective,
        step_fraction: 0.5,
        score: ScoreForm::Sum,
        tune: TuneConfig {
            sample_size: 256,
            bsz: 256,
            ..objective.preset()
        },
        eval_samples: 4,
        eval_seed: 1,
    };
    let e = tune_grasp(
        &prior,
        &shape,
        &name,
        &config(LatentObjective::Mace),
        &mut NoObserver,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("`mixture`") && e.contains("objective mix"),
        "{e}"
    );
    let run = tune_grasp(
        &prior,
        &shape,
        &name,
        &config(LatentObjective::Mix),
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!(run.record.objective, LatentObjective::Mix);
}
