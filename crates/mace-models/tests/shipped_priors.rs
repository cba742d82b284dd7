//! The shipped IK priors (position conditioned) load and sample exactly as they did before pose
//! conditioning existed: samples and log-likelihoods compared bit for bit with values recorded
//! from that code, and their `config.json` model section written back unchanged.

use std::path::PathBuf;

use candle_core::{Device, Tensor};
use mace_models::checkpoint::{load_ar_gmm, CONFIG_FILE};
use mace_models::fast::ArGmmSampler;
use rand::{rngs::StdRng, SeedableRng};

fn shipped(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/priors")
        .join(name)
}

const TARGET: [f32; 3] = [0.45, 0.1, 0.4];

/// Per prior: three samples for [`TARGET`] with seed 11 (row-major), the fast path's
/// log-likelihood of each, then candle's: f32 bit patterns.
const RECORDED: [(&str, &[u32]); 3] = [
    (
        "panda-ik",
        &[
            0xbfecf1f2, 0x3fa674a7, 0x3fe11925, 0xc02b1c12, 0xbfe73893, 0x403d3cd2, 0xc025187c,
            0xbfe28a9f, 0x3f2eb93d, 0x400e6fd1, 0xc00fe821, 0x40211a4d, 0x406b6b44, 0x3f3b18c5,
            0xbfdd90c4, 0xbdfaa07c, 0x4009874c, 0xbfeae953, 0xbee295c6, 0x3fa51885, 0x3f2a2a56,
            0x4117316c, 0x40bf2469, 0x40c4587d, 0x41173165, 0x40bf24e9, 0x40c45844,
        ],
    ),
    (
        "iiwa14-ik",
        &[
            0xc02f9f1f, 0xbf10d435, 0xbee3a939, 0x3ffe7990, 0xbfb04f06, 0x3fdad22b, 0xc02ba98b,
            0xbe76bbac, 0x3f143bd6, 0xc01c3606, 0x3fe92bf6, 0xbf365ccd, 0xbfbc9f6f, 0xbef54e95,
            0xbf7c9daa, 0x3fa71279, 0x3fcce590, 0xc0045720, 0x40123689, 0xbe71b584, 0xbee6dfdb,
            0x41014cca, 0x410b15ff, 0x40f0c5ae, 0x41014cd1, 0x410b15b4, 0x40f0c50a,
        ],
    ),
    (
        "xarm6-ik",
        &[
            0xc0b94ce5, 0x3e3aaa10, 0xbf9544b8, 0x3fcc769b, 0xbf466bad, 0x409ed284, 0x3cdf46f1,
            0x3f115952, 0xbfdd0b07, 0xc0a6824b, 0x403979bd, 0x409efd88, 0xbcee0f44, 0x3dc8625d,
            0xbf9273b7, 0x3fb2e82e, 0x3fecd904, 0xc0c90fdb, 0x4105e2b4, 0x41116bee, 0x40fde6ec,
            0x4105e2ce, 0x41116bd6, 0x40fde6de,
        ],
    ),
];

#[test]
fn shipped_position_priors_sample_bit_identically() {
    for (name, recorded) in RECORDED {
        let (model, info) = load_ar_gmm(&shipped(name)).unwrap();
        let d = model.config().dim();
        let sampler = ArGmmSampler::new(&model).unwrap();
        let x = sampler.sample(&TARGET, 3, &mut StdRng::seed_from_u64(11));
        let fast = sampler.log_prob(&TARGET, &x);
        let xt = Tensor::from_vec(x.clone(), (3, d), &Device::Cpu).unwrap();
        let ct = Tensor::from_vec(TARGET.repeat(3), (3, 3), &Device::Cpu).unwrap();
        let slow = model.log_prob(&xt, &ct).unwrap().to_vec1::<f32>().unwrap();
        let bits: Vec<u32> = x
            .iter()
            .chain(&fast)
            .chain(&slow)
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(bits, recorded, "{name}");
        // Written back, the model section is the file's (no new keys).
        let text = std::fs::read_to_string(shipped(name).join(CONFIG_FILE)).unwrap();
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        let written: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&info.model).unwrap()).unwrap();
        assert_eq!(written, file["model"], "{name}");
    }
}
