//! Per-item seeds: item `i` of a seeded collection gets its own RNG, so it depends only on
//! `(seed, i)` and not on the batch size, thread count or order of evaluation.

use rand::{rngs::StdRng, SeedableRng};

/// SplitMix64 finaliser of `seed` and `index`: a well-mixed 64-bit seed per item.
pub(crate) fn item_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(index.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The RNG of item `index` of a collection seeded with `seed`.
pub(crate) fn item_rng(seed: u64, index: u64) -> StdRng {
    StdRng::seed_from_u64(item_seed(seed, index))
}
