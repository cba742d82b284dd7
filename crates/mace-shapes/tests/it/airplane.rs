use std::collections::HashSet;

use mace_shapes::{
    AirplaneConfig, AirplaneFamily, EngineLayout, Normalization, TailKind, WingPlan,
};

#[test]
fn same_seed_same_clouds_and_consistent_subsets() {
    let fam = AirplaneFamily::default();
    let a = fam.generate(12, 11).unwrap();
    let b = fam.generate(12, 11).unwrap();
    assert_eq!(a, b);
    let few = fam.generate(5, 11).unwrap();
    assert_eq!(&a[..5], &few[..], "shape i depends only on (seed, i)");
    assert_eq!(a[9], fam.shape(11, 9).unwrap());
    let other = fam.generate(5, 12).unwrap();
    assert!(a[..5].iter().zip(&other).all(|(x, y)| x != y));
}

#[test]
fn clouds_have_2048_points_and_unit_bbox_diagonal() {
    let fam = AirplaneFamily::default();
    for c in fam.generate(20, 1).unwrap() {
        assert_eq!(c.len(), 2048);
        let (lo, hi) = c.bbox();
        let d: f32 = (0..3).map(|a| (hi[a] - lo[a]).powi(2)).sum::<f32>().sqrt();
        approx::assert_relative_eq!(d, 1.0, epsilon = 1e-5);
        for a in 0..3 {
            approx::assert_abs_diff_eq!(lo[a] + hi[a], 0.0, epsilon = 1e-5);
        }
        // Fuselage along z is the longest extent or close to it; the span (x) is wide too.
        let ext = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
        assert!(
            ext[1] < ext[0] && ext[1] < ext[2],
            "height is the smallest extent: {ext:?}"
        );
        // Symmetric about x = 0 (the centre plane): mean x near 0.
        let mx: f32 = c.iter().map(|p| p[0]).sum::<f32>() / c.len() as f32;
        assert!(mx.abs() < 0.03, "{mx}");
    }
    let small = AirplaneFamily::new(AirplaneConfig {
        points: 100,
        normalization: Normalization::UnitSphere,
    })
    .unwrap();
    let c = small.shape(0, 0).unwrap();
    assert_eq!(c.len(), 100);
    approx::assert_relative_eq!(c.radius(), 1.0, epsilon = 1e-5);
    assert!(AirplaneFamily::new(AirplaneConfig {
        points: 0,
        ..Default::default()
    })
    .is_err());
}

#[test]
fn the_family_is_multi_modal() {
    let fam = AirplaneFamily::default();
    let params: Vec<_> = (0..300).map(|i| fam.params(2, i)).collect();
    let engines: HashSet<usize> = params.iter().map(|p| p.engines.count()).collect();
    assert_eq!(engines, HashSet::from([0, 2, 4]));
    let layouts: HashSet<EngineLayout> = params.iter().map(|p| p.engines).collect();
    assert_eq!(layouts.len(), 4);
    let plans: HashSet<WingPlan> = params.iter().map(|p| p.wing_plan).collect();
    assert_eq!(plans.len(), 3);
    let tails: HashSet<TailKind> = params.iter().map(|p| p.tail).collect();
    assert_eq!(tails.len(), 3);
    // Span / length ratio (fuselage length is 1) varies widely.
    let spans: Vec<f32> = params.iter().map(|p| 2.0 * p.wing.span).collect();
    let (lo, hi) = spans
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &s| (a.min(s), b.max(s)));
    assert!(lo < 0.6 && hi > 1.4, "span/length in [{lo}, {hi}]");
    // And the generated clouds reflect it: x-extent over z-extent varies.
    let ratios: Vec<f32> = fam
        .generate(60, 2)
        .unwrap()
        .iter()
        .map(|c| {
            let (lo, hi) = c.bbox();
            (hi[0] - lo[0]) / (hi[2] - lo[2])
        })
        .collect();
    let (rlo, rhi) = ratios
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &s| (a.min(s), b.max(s)));
    assert!(
        rlo < 0.7 && rhi > 1.2,
        "cloud span/length in [{rlo}, {rhi}]"
    );
}

#[test]
fn generation_is_fast() {
    let t = std::time::Instant::now();
    let clouds = AirplaneFamily::default().generate(500, 0).unwrap();
    assert_eq!(clouds.len(), 500);
    // ≥ 4000 shapes in a few seconds on 2 cores ⇒ 500 well under a second (generous for CI).
    assert!(t.elapsed().as_secs_f32() < 2.0, "{:?}", t.elapsed());
}
