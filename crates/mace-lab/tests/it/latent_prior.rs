//! Property test of the `latent_prior.json` reader: any edit of a valid file gives a checked
//! latent prior or a one-line error, never a panic. `PROPTEST_CASES=1000000` for a long run.

use mace_lab::shapes::LatentPrior;
use proptest::prelude::*;

/// A valid latent prior of size 3 with a basis.
const SEED: &str = r#"{"mean":[0.1,-0.2,0.0],"std":[0.2,0.3,0.25],"shapes":85,
"basis":{"dim":3,"offset":[0.0,0.5,-0.5],"to_latent":[1,0,0,0,1,0,0,0,1],
"from_latent":[1,0,0,0,1,0,0,0,1],"axis_variance":[0.5,0.2,0.1],"axis_std":0.2}}"#;

/// Fragments an edit may insert.
const TOKENS: &[&str] = &[
    "NaN",
    "1e39",
    "-1",
    "0",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\"",
    ":",
    "null",
    "1e-45",
    "-0",
    "\"dim\":1000000000",
    "[1,2,3,4]",
    "true",
    "\u{0}",
    "é",
];

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// `SEED` with edits applied: (position fraction, op, token, length).
fn mutate(edits: &[(f64, u8, usize, usize)]) -> String {
    let mut s = SEED.to_string();
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

#[test]
fn the_seed_is_valid_and_its_checks_bite() {
    let l = LatentPrior::parse(SEED, 3).unwrap();
    assert_eq!(l.mean.len(), 3);
    let e = LatentPrior::parse(SEED, 4).unwrap_err();
    assert!(e.contains("size 4"), "{e}");
    let e = LatentPrior::parse(&SEED.replace("0.3", "-0.3"), 3).unwrap_err();
    assert!(e.contains("std[1]"), "{e}");
    // Past f32's range: refused where it stands (floats are parsed exactly, not rounded to ∞).
    let e = LatentPrior::parse(&SEED.replace("[0.1,", "[1e39,"), 3).unwrap_err();
    assert!(e.contains("number out of range at line 1 column 13"), "{e}");
    let e = LatentPrior::parse(&SEED.replace("[0.1,", "[1e6,"), 3).unwrap_err();
    assert!(
        e.contains("`mean[0]` = 1000000") && e.contains("at most 1000"),
        "{e}"
    );
    let e = LatentPrior::parse(&SEED.replace("0.25]", "5000]"), 3).unwrap_err();
    assert!(e.contains("`std[2]` = 5000"), "{e}");
}

/// A mixture beside the moments is read and checked: sizes, weights summing to 1, σ > 0.
#[test]
fn a_mixture_is_checked_by_field() {
    let with = |mixture: &str| {
        SEED.replacen(
            "\"shapes\":85,",
            &format!("\"shapes\":85,\"mixture\":{mixture},"),
            1,
        )
    };
    let good =
        r#"{"weights":[0.25,0.75],"means":[[0,0,0],[1,1,1]],"stds":[[0.1,0.1,0.1],[0.2,0.2,0.2]]}"#;
    let l = LatentPrior::parse(&with(good), 3).unwrap();
    assert_eq!(l.mixture.unwrap().weights, [0.25, 0.75]);
    for (bad, field) in [
        (good.replace("0.25", "0.5"), "sum"),
        (
            good.replace("[0.1,0.1,0.1]", "[0.1,-0.1,0.1]"),
            "stds[0][1]",
        ),
        (good.replace("[1,1,1]", "[1,1]"), "means[1]"),
        (good.replace("0.25,0.75", "0.25,0.75,0"), "2 means"),
        (good.replace("[1,1,1]", "[1,1e6,1]"), "means[1][1]"),
        (good.replace("[0.2,0.2,0.2]", "[0.2,0.2,2e3]"), "stds[1][2]"),
    ] {
        let e = LatentPrior::parse(&with(&bad), 3).unwrap_err();
        assert!(e.contains("mixture") && e.contains(field), "{field}: {e}");
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_edit_is_a_checked_prior_or_one_line(
        e in prop::collection::vec((0.0..1.0f64, 0u8..4, 0..TOKENS.len(), 1usize..30), 1..6)
    ) {
        match LatentPrior::parse(&mutate(&e), 3) {
            Ok(l) => {
                prop_assert_eq!(l.mean.len(), 3);
                prop_assert!(l.std.iter().all(|s| s.is_finite() && *s > 0.0));
            }
            Err(m) => prop_assert!(!m.contains('\n'), "two lines: {}", m),
        }
    }
}
