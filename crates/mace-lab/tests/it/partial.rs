//! A partial scan as a user has it: millimetres, z up, its own heading and offset, with the
//! camera's position in the same coordinates; brought back into the prior's frame.

use mace_lab::shapes::heading::HeadingChoice;
use mace_lab::shapes::partial::{load_partial_scan, PartialScanOptions, ViewSource};
use mace_lab::shapes::{load_shape_prior, ShapeSource};
use mace_shapes::{
    chamfer, observe_partial, Axis, CompletionScoreConfig, DepthCamera, DepthCameraConfig, Frame,
    PointCloud,
};

/// File coordinates of a prior-frame point: turned by `heading` about +y, then into z-up axes,
/// in millimetres, moved by `offset`.
fn to_file(p: [f32; 3], heading: f32, offset: [f32; 3]) -> [f32; 3] {
    let (s, c) = heading.to_radians().sin_cos();
    let t = [c * p[0] + s * p[2], p[1], -s * p[0] + c * p[2]];
    let r = Frame::new(Axis::Z, None).unwrap().rotation();
    // File = Rᵀ · prior.
    let f = [0, 1, 2].map(|j| (0..3).map(|k| r[k][j] * t[k]).sum::<f32>());
    [0, 1, 2].map(|a| 1000.0 * f[a] + offset[a])
}

fn scan_of_test_shape(index: &str, az: f32, el: f32) -> (PointCloud, Vec<[f32; 3]>, [f32; 3]) {
    let (truth, _) = ShapeSource::default().test_shape(index).unwrap();
    let camera = DepthCamera::new(&DepthCameraConfig {
        azimuth_deg: az,
        elevation_deg: el,
        ..DepthCameraConfig::default()
    })
    .unwrap();
    let seen = observe_partial(&camera, truth.points()).unwrap();
    let (a, e) = (az.to_radians(), el.to_radians());
    let position = [
        2.0 * e.cos() * a.sin(),
        2.0 * e.sin(),
        2.0 * e.cos() * a.cos(),
    ];
    (truth, seen, position)
}

fn angle_apart(a: f32, b: f32) -> f32 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

#[test]
fn a_scan_in_millimetres_z_up_and_turned_is_placed_and_its_camera_found() {
    let prior = load_shape_prior(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (heading, offset) = (70.0f32, [100.0f32, -50.0, 20.0]);
    for (index, az, el) in [("0", 45.0f32, 30.0f32), ("3", -135.0, 20.0)] {
        let (truth, seen, position) = scan_of_test_shape(index, az, el);
        let file_points: Vec<[f32; 3]> =
            seen.iter().map(|p| to_file(*p, heading, offset)).collect();
        let path = dir.path().join(format!("scan{index}.ply"));
        mace_shapes::write_point_cloud(&path, &PointCloud::new(file_points).unwrap(), false)
            .unwrap();
        let camera_file = to_file(position, heading, offset).map(f64::from);
        for view in [ViewSource::Position(camera_file), ViewSource::Estimate] {
            let options = PartialScanOptions {
                frame: Frame::new(Axis::Z, None).unwrap(),
                as_is: false,
                view,
                heading: Some(HeadingChoice::Auto),
                max_points: 4096,
                seed: 0,
            };
            let scan = load_partial_scan(
                &path,
                &options,
                &DepthCameraConfig::default(),
                &CompletionScoreConfig::default(),
                &prior,
                None,
            )
            .unwrap();
            let [found_az, found_el] = scan.record.view_deg;
            // The scan placed in the prior's frame against the truth's visible part: Chamfer.
            let d = chamfer(&scan.points, &seen).unwrap();
            eprintln!(
                "shape {index} seen from ({az}, {el}), {view:?}: camera found at ({found_az:.1}, \
                 {found_el:.1}), scale {:.3e} (truth 1e-3), Chamfer to the true placement {d:.2e}",
                scan.record.scale
            );
            assert!(angle_apart(found_az, az) <= 20.0, "{:?}", scan.record);
            assert!((found_el - el).abs() <= 12.0, "{:?}", scan.record);
            assert!(
                (scan.record.scale / 1e-3 - 1.0).abs() < 0.3,
                "{:?}",
                scan.record
            );
            // The scan lands where it belongs: the prior's airplanes differ by ~5e-3.
            assert!(d < 5e-4, "{d}");
            let _ = &truth;
        }
    }
}

#[test]
fn with_its_full_shape_a_scan_from_below_finds_its_camera_side() {
    use mace_lab::shapes::partial::TruthFrame;
    use mace_shapes::{load_shape, PrepareOptions};
    let prior = load_shape_prior(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (heading, offset) = (70.0f32, [100.0f32, -50.0, 20.0]);
    let (truth, seen, _) = scan_of_test_shape("2", 0.0, -30.0);
    let write = |name: &str, points: &[[f32; 3]]| {
        let path = dir.path().join(name);
        let file: Vec<[f32; 3]> = points
            .iter()
            .map(|p| to_file(*p, heading, offset))
            .collect();
        mace_shapes::write_point_cloud(&path, &PointCloud::new(file).unwrap(), false).unwrap();
        path
    };
    let (scan_path, truth_path) = (write("scan.ply", &seen), write("truth.ply", truth.points()));
    let frame = Frame::new(Axis::Z, None).unwrap();
    let options = PrepareOptions {
        frame,
        ..PrepareOptions::default()
    };
    let (truth_cloud, record) = load_shape(&truth_path, &options).unwrap();
    let scan = load_partial_scan(
        &scan_path,
        &PartialScanOptions {
            frame,
            as_is: false,
            view: ViewSource::Estimate,
            heading: None,
            max_points: 4096,
            seed: 0,
        },
        &DepthCameraConfig::default(),
        &CompletionScoreConfig::default(),
        &prior,
        Some(TruthFrame {
            cloud: &truth_cloud,
            record: &record,
            turn: None,
        }),
    )
    .unwrap();
    // The file's truth faces 70° further round: the camera sits at azimuth 70° there.
    let [az, el] = scan.record.view_deg;
    eprintln!("camera from (0°, -30°) found at ({az:.1}°, {el:.1}°) in the file's heading (want (70°, -30°))");
    assert!(
        angle_apart(az, 70.0) <= 10.0 && (el + 30.0).abs() <= 6.0,
        "{:?}",
        scan.record
    );
}
