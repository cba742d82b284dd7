//! End-to-end tests of `mace grasp train|tune` and `mace bench grasp-fig1` on a tiny procedural
//! set (the shipped-size training is recorded in docs/BENCHMARKS.md, not run here).

mod common;

use common::{assert_not_blank, load_png, mace, stderr, stdout, temp_dir};

/// Trains a one-epoch prior and CVAE on 40 procedural shapes into `dir`.
fn tiny_priors(dir: &std::path::Path) -> (String, String) {
    let prior = dir.join("prior");
    let cvae = dir.join("cvae");
    for (out, extra) in [(&prior, None), (&cvae, Some("--cvae"))] {
        let mut args = vec![
            "grasp",
            "train",
            "--shapes",
            "40",
            "--epochs",
            "1",
            "--batch",
            "16",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = mace(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(out.join("weights.safetensors").is_file());
        assert!(out.join("config.json").is_file());
    }
    assert!(prior.join("latent_prior.json").is_file());
    (
        prior.to_str().unwrap().to_string(),
        cvae.to_str().unwrap().to_string(),
    )
}

#[test]
fn train_tune_and_fig1_end_to_end() {
    let d = temp_dir("grasp");
    let (prior, cvae) = tiny_priors(&d);
    for objective in ["mace", "mix", "exact", "is"] {
        let out = d.join(format!("tune-{objective}"));
        // `mix` draws 4096 samples per step by default: two steps on 256 here.
        let (iterations, sample_size) = if objective == "mix" {
            ("2", "256")
        } else {
            ("16", "128")
        };
        let o = mace(&[
            "grasp",
            "tune",
            "--shape",
            "1",
            "--shapes",
            "40",
            "--prior",
            &prior,
            "--objective",
            objective,
            "--iterations",
            iterations,
            "--sample-size",
            sample_size,
            "--eval-samples",
            "6",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{objective}: {}", stderr(&o));
        assert!(stdout(&o).contains("| posterior |"), "{}", stdout(&o));
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report["observation"].as_array().unwrap().len(), 5);
        assert_eq!(report["posterior_std"].as_array().unwrap().len(), 128);
        // `mix` records its mixture: k weights, k × 128 means.
        let mixture = &report["posterior_mixture"];
        assert_eq!(mixture.is_object(), objective == "mix", "{mixture}");
        if let Some(w) = mixture["weights"].as_array() {
            assert_eq!(mixture["means"].as_array().unwrap().len(), w.len());
            assert_eq!(mixture["means"][0].as_array().unwrap().len(), 128);
        }
        let score = report["posterior_eval"]["mean_score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score), "{score}");
        assert!(out.join("observed.ply").is_file());
        assert!(out.join("posterior/sample_05.ply").is_file());
        assert_not_blank(&load_png(&out.join("samples.png")), "samples.png");
        assert_not_blank(&load_png(&out.join("curves.png")), "curves.png");
    }
    let json = d.join("fig1.json");
    let common = [
        "bench",
        "grasp-fig1",
        "--shapes",
        "40",
        "--observations",
        "1",
        "--samples",
        "4",
        "--prior",
        &prior,
        "--cvae",
        &cvae,
        "-q",
    ];
    let fig1_dir = d.join("fig1");
    let o = mace(
        &[
            &common[..],
            &[
                "--iterations",
                "8",
                "--mix-samples",
                "256",
                "--json",
                json.to_str().unwrap(),
                "--out",
                fig1_dir.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    for s in [
        "in distribution",
        "out of distribution",
        "| mace |",
        "| mix |",
        "| cvae |",
        "| exact |",
    ] {
        assert!(table.contains(s), "{s}: {table}");
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["settings"].as_array().unwrap().len(), 2);
    assert!(d.join("fig1/table.md").is_file());
    assert!(d.join("fig1/fig1.json").is_file());
    for setting in ["in-distribution", "out-of-distribution"] {
        let png = d.join("fig1").join(setting).join("samples.png");
        assert_not_blank(&load_png(&png), setting);
    }
    // A subset of the models: the prior (the reference) and the chosen ones only.
    let o = mace(&[&common[..], &["--models", "cvae"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(
        table.contains("| prior |") && table.contains("| cvae |"),
        "{table}"
    );
    assert!(
        !table.contains("| mace |") && !table.contains("| is |"),
        "{table}"
    );
    let o = mace(&[&common[..], &["--models", "mace,bogus"]].concat());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bogus"), "{}", stderr(&o));
}

/// `grasp inspect` measures a prior; `grasp fit-latent` rewrites its latent prior (principal
/// axes and moments) for a VAE and a CVAE.
#[test]
fn inspect_and_refit_the_latent_prior() {
    let d = temp_dir("grasp-inspect");
    let (prior, cvae) = tiny_priors(&d);
    let latent = |dir: &str| -> serde_json::Value {
        let file = std::path::Path::new(dir).join("latent_prior.json");
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
    };
    for (dir, extra) in [(&prior, None), (&cvae, Some("--cvae"))] {
        std::fs::remove_file(std::path::Path::new(dir).join("latent_prior.json")).ok();
        let mut args = vec!["grasp", "fit-latent", "--shapes", "40", "--prior", dir];
        args.extend(extra);
        let o = mace(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let l = latent(dir);
        let basis = &l["basis"];
        assert_eq!(basis["dim"], 128);
        assert_eq!(basis["to_latent"].as_array().unwrap().len(), 128 * 128);
        let var: Vec<f64> = basis["axis_variance"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(var.windows(2).all(|w| w[0] >= w[1]), "axes sorted");
        assert!(var.iter().all(|&v| v > 0.0));
        // A latent prior the folder holds is replaced only with --force.
        let before = latent(dir);
        let o = mace(&args);
        assert!(
            !o.status.success() && stderr(&o).contains("--force"),
            "{}",
            stderr(&o)
        );
        assert_eq!(latent(dir), before);
        args.push("--force");
        assert!(mace(&args).status.success());
    }
    // In its axes the fitted prior is N(0, 0.2² I) (moments of the aggregate posterior).
    let l = latent(&prior);
    for (m, s) in l["mean"]
        .as_array()
        .unwrap()
        .iter()
        .zip(l["std"].as_array().unwrap())
    {
        assert!(m.as_f64().unwrap().abs() < 1e-3, "{m}");
        assert!((s.as_f64().unwrap() - 0.2).abs() < 2e-3, "{s}");
    }
    let json = d.join("inspect.json");
    let o = mace(&[
        "grasp",
        "inspect",
        "--shapes",
        "40",
        "--count",
        "4",
        "--prior",
        &prior,
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("prior sample diversity"),
        "{}",
        stdout(&o)
    );
    let q: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(q["shapes"], 4);
    assert_eq!(q["fitted_latent_prior"], true);
    for field in [
        "data_diversity",
        "reconstruction_error",
        "mean_shape_error",
        "sample_diversity",
    ] {
        let v = q[field].as_f64().unwrap();
        assert!(v.is_finite() && v > 0.0, "{field} = {v}");
    }
    let o = mace(&["grasp", "inspect", "--count", "1", "--prior", &prior]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--count"), "{}", stderr(&o));
}

/// The shipped shape prior loads with its latent prior and samples diverse, realistic shapes
/// (measured: 68% of the data's diversity on 49 test shapes; here 16, with a wide margin).
#[test]
fn shipped_shape_prior_samples_diverse_shapes() {
    let d = temp_dir("grasp-shipped");
    let json = d.join("inspect.json");
    let o = mace(&[
        "grasp",
        "inspect",
        "--count",
        "16",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let q: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(q["fitted_latent_prior"], true);
    let f = |k: &str| q[k].as_f64().unwrap();
    assert!(f("sample_diversity") > 0.4 * f("data_diversity"), "{q}");
    assert!(
        f("reconstruction_error") < 0.2 * f("mean_shape_error"),
        "{q}"
    );
    assert!(
        f("sample_to_nearest_shape") < 0.25 * f("data_diversity"),
        "{q}"
    );
}

#[test]
fn bad_input_is_reported() {
    let d = temp_dir("grasp-bad");
    // No prior where one is asked for.
    let o = mace(&[
        "grasp",
        "tune",
        "--shape",
        "0",
        "--prior",
        "/nonexistent/prior",
        "--out",
        d.join("x").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("/nonexistent/prior"), "{}", stderr(&o));
    // A test index past the split, and too small a procedural set.
    let (prior, _) = tiny_priors(&d);
    let o = mace(&[
        "grasp",
        "tune",
        "--shape",
        "99",
        "--shapes",
        "40",
        "--prior",
        &prior,
        "--out",
        d.join("y").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("test split has"), "{}", stderr(&o));
    let o = mace(&[
        "grasp",
        "train",
        "--shapes",
        "5",
        "--out",
        d.join("z").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--shapes must be at least 20"),
        "{}",
        stderr(&o)
    );
    // A cloud the fingers miss: a tiny cluster far from the finger lines, taken as it is
    // (normalised, it would be centred where the fingers meet).
    let file = d.join("far.ply");
    let mut ply = String::from(
        "ply\nformat ascii 1.0\nelement vertex 64\nproperty float x\nproperty float y\nproperty float z\nend_header\n",
    );
    for i in 0..64 {
        ply.push_str(&format!(
            "{} {} 5\n",
            0.01 * (i % 8) as f32,
            0.01 * (i / 8) as f32
        ));
    }
    std::fs::write(&file, ply).unwrap();
    let o = mace(&[
        "grasp",
        "tune",
        "--shape",
        file.to_str().unwrap(),
        "--as-is",
        "--prior",
        &prior,
        "--out",
        d.join("w").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("every finger"), "{}", stderr(&o));
}
