//! Load a trained IK prior (the shipped Panda one) and draw joint configurations for a target
//! position, with their exact log-likelihoods: the conditional autoregressive Gaussian mixture
//! keeps every sample within the joint limits.
//!
//! `cargo run --release -p mace-models --example sample_the_ik_prior`

use std::path::Path;

use mace_core::GenerativeModel;
use mace_models::checkpoint::load_ar_gmm;
use rand::{rngs::StdRng, SeedableRng};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/priors/panda-ik");
    let (prior, info) = load_ar_gmm(&dir)?;
    let target = [0.5f32, 0.0, 0.4]; // metres, robot base frame
    let model = prior.conditioned(&target)?;
    let q = model.sample(100, &mut StdRng::seed_from_u64(0))?; // (100, 7), rad
    let log_p = model.log_prob_detached(&q)?;
    let rows = q.to_vec2::<f32>()?;
    let config = prior.config();
    println!(
        "{} samples of {} joints ({}) for target {target:?}; first: {:?}, log p = {:.2}",
        rows.len(),
        config.dim(),
        info.kind,
        rows[0],
        log_p[0]
    );
    assert_eq!((rows.len(), rows[0].len()), (100, 7));
    for row in &rows {
        for (j, v) in row.iter().enumerate() {
            assert!(
                config.lower[j] <= *v && *v <= config.upper[j],
                "joint {j}: {v}"
            );
        }
    }
    assert!(log_p.iter().all(|l| l.is_finite()));
    Ok(())
}
