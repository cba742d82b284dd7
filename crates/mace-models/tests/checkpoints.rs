//! Property tests of the checkpoint readers: an AR-GMM or VAE folder whose `config.json` is
//! mutated at random (hostile tokens, deletions, truncation) or whose weights file has bytes
//! changed must load into a usable model or give a one-line error naming the file, never a
//! panic and never an allocation the config asks for beyond the documented limits.
//! `PROPTEST_CASES=1000000` for a long run.

use std::path::Path;

use mace_models::checkpoint::{load_ar_gmm, save_ar_gmm};
use mace_models::fast::ArGmmSampler;
use mace_models::vae::checkpoint::{load_point_vae, save_point_vae, WeightsDtype};
use mace_models::vae::{PointVae, PointVaeConfig};
use mace_models::{ArGmm, ArGmmConfig};
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};

fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const TOKENS: &[&str] = &[
    "nan",
    "1e39",
    "-1",
    "0",
    "1000000000",
    "99999999999999999999",
    "\"",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "null",
    "true",
    "-0",
    "1e-45",
    "\"mace-ar-gmm\"",
    "\"mace-point-vae\"",
    "\n",
];

fn edits() -> impl Strategy<Value = Vec<(f64, u8, usize, usize)>> {
    prop::collection::vec((0.0..1.0f64, 0u8..4, 0..TOKENS.len(), 1usize..24), 1..5)
}

fn mutate(seed: &str, edits: &[(f64, u8, usize, usize)]) -> String {
    let mut s = seed.to_string();
    for &(at, op, token, len) in edits {
        let mut i = ((s.len() as f64) * at) as usize;
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        let mut j = (i + len).min(s.len());
        while !s.is_char_boundary(j) {
            j -= 1;
        }
        match op {
            0 => s.replace_range(i..j, ""),
            1 => s.insert_str(i, TOKENS[token]),
            2 => s.replace_range(i..j, TOKENS[token]),
            _ => s.truncate(i),
        }
    }
    s
}

/// A checkpoint folder's two files.
struct Files {
    config: String,
    weights: Vec<u8>,
}

fn read(dir: &Path) -> Files {
    Files {
        config: std::fs::read_to_string(dir.join("config.json")).unwrap(),
        weights: std::fs::read(dir.join("weights.safetensors")).unwrap(),
    }
}

fn ar_gmm_files() -> &'static Files {
    static F: std::sync::OnceLock<Files> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let config = ArGmmConfig {
            names: vec!["a".into(), "b".into(), "c".into()],
            lower: vec![-1.0; 3],
            upper: vec![1.0; 3],
            context_dim: 3,
            context_mean: vec![0.0; 3],
            context_std: vec![1.0; 3],
            hidden: vec![8],
            components: 2,
            min_std: 0.01,
            range_slack: 1.1,
            chain: None,
            made_for: None,
        };
        let dir = tempfile::tempdir().unwrap();
        save_ar_gmm(&ArGmm::new(config, 0).unwrap(), None, dir.path()).unwrap();
        read(dir.path())
    })
}

fn vae_files() -> &'static Files {
    static F: std::sync::OnceLock<Files> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let vae = PointVae::new(PointVaeConfig::tiny(16), 0).unwrap();
        save_point_vae(&vae, None, WeightsDtype::F32, dir.path()).unwrap();
        read(dir.path())
    })
}

/// Writes `config` and `weights` with `flips` applied to the weights into `dir`.
fn write(dir: &Path, config: &str, weights: &[u8], flips: &[(f64, u8)]) {
    let mut w = weights.to_vec();
    let n = w.len();
    for &(at, byte) in flips {
        w[((n as f64) * at) as usize % n] = byte;
    }
    std::fs::write(dir.join("config.json"), config).unwrap();
    std::fs::write(dir.join("weights.safetensors"), w).unwrap();
}

fn one_line(message: &str) -> Result<(), TestCaseError> {
    prop_assert!(!message.contains('\n'), "two lines: {}", message);
    Ok(())
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn ar_gmm_checkpoint(e in edits(), flips in prop::collection::vec((0.0..1.0f64, any::<u8>()), 0..4)) {
        let dir = tempfile::tempdir().unwrap();
        let f = ar_gmm_files();
        let config = if flips.is_empty() { mutate(&f.config, &e) } else { f.config.clone() };
        write(dir.path(), &config, &f.weights, &flips);
        match load_ar_gmm(dir.path()) {
            Ok((model, _)) => {
                // Whatever loads samples finite values.
                let sampler = ArGmmSampler::new(&model).unwrap();
                let context = vec![0.1; model.config().context_dim];
                let x = sampler.sample(&context, 4, &mut StdRng::seed_from_u64(0));
                prop_assert!(x.iter().all(|v| v.is_finite()));
            }
            Err(e) => one_line(&e.to_string())?,
        }
    }

    #[test]
    fn point_vae_checkpoint(e in edits(), flips in prop::collection::vec((0.0..1.0f64, any::<u8>()), 0..4)) {
        let dir = tempfile::tempdir().unwrap();
        let f = vae_files();
        let config = if flips.is_empty() { mutate(&f.config, &e) } else { f.config.clone() };
        write(dir.path(), &config, &f.weights, &flips);
        match load_point_vae(dir.path()) {
            Ok((vae, _)) => {
                let x = vae.sample(2, &mut StdRng::seed_from_u64(0)).unwrap();
                let v = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                prop_assert!(v.iter().all(|v| v.is_finite()));
            }
            Err(e) => one_line(&e.to_string())?,
        }
    }
}
