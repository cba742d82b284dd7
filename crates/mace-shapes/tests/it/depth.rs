use candle_core::Device;
use mace_core::Simulator;
use mace_shapes::{
    clouds_to_tensor, AirplaneFamily, DepthCamera, DepthCameraConfig, Error, PointCloud,
};

/// Fibonacci sphere of radius `r`.
fn sphere(r: f32, n: usize) -> Vec<[f32; 3]> {
    let golden = std::f32::consts::PI * (3.0 - 5f32.sqrt());
    (0..n)
        .map(|i| {
            let y = 1.0 - 2.0 * (i as f32 + 0.5) / n as f32;
            let rho = (1.0 - y * y).sqrt();
            let a = golden * i as f32;
            [r * rho * a.cos(), r * y, r * rho * a.sin()]
        })
        .collect()
}

#[test]
fn sees_the_near_hemisphere_of_a_sphere() {
    let pts = sphere(0.4, 2048);
    for (az, el) in [(0.0f32, 0.0f32), (45.0, 30.0), (200.0, -60.0)] {
        let cam = DepthCamera::new(&DepthCameraConfig {
            azimuth_deg: az,
            elevation_deg: el,
            ..Default::default()
        })
        .unwrap();
        let seen = cam.visible(&pts).unwrap();
        let pos = cam.position();
        let d = (pos[0] * pos[0] + pos[1] * pos[1] + pos[2] * pos[2]).sqrt();
        let dir = [pos[0] / d, pos[1] / d, pos[2] / d];
        // From distance 2 a sphere of radius 0.4 shows the cap cos θ > 0.2 (40 % of its
        // surface); grazing points near the rim are lost to nearer splats.
        for p in &seen {
            let c = (p[0] * dir[0] + p[1] * dir[1] + p[2] * dir[2]) / 0.4;
            assert!(c > 0.0, "far side visible at ({az}, {el}): cos = {c}");
        }
        let frac = seen.len() as f32 / pts.len() as f32;
        assert!((0.25..=0.4).contains(&frac), "visible fraction {frac}");
    }
    // Without a footprint the far side leaks through the gaps between points.
    let leaky = DepthCamera::new(&DepthCameraConfig {
        splat_radius: 0,
        ..Default::default()
    })
    .unwrap();
    let dir = leaky.position();
    assert!(leaky
        .visible(&pts)
        .unwrap()
        .iter()
        .any(|p| p[0] * dir[0] + p[1] * dir[1] + p[2] * dir[2] < 0.0));
}

#[test]
fn camera_inside_and_bad_configs_are_errors() {
    let cam = DepthCamera::new(&DepthCameraConfig {
        distance: 0.3,
        ..Default::default()
    })
    .unwrap();
    assert!(matches!(
        cam.visible(&sphere(0.4, 100)),
        Err(Error::CameraInsideObject { .. })
    ));
    for cfg in [
        DepthCameraConfig {
            elevation_deg: 90.0,
            ..Default::default()
        },
        DepthCameraConfig {
            fov_deg: 0.0,
            ..Default::default()
        },
        DepthCameraConfig {
            resolution: 0,
            ..Default::default()
        },
        DepthCameraConfig {
            distance: f32::NAN,
            ..Default::default()
        },
        DepthCameraConfig {
            depth_epsilon: -1.0,
            ..Default::default()
        },
    ] {
        assert!(
            matches!(DepthCamera::new(&cfg), Err(Error::InvalidParameter { .. })),
            "{cfg:?}"
        );
    }
    let cam = DepthCamera::new(&Default::default()).unwrap();
    assert!(matches!(cam.visible(&[]), Err(Error::EmptyCloud { .. })));
}

#[test]
fn batched_deterministic_and_tensor_simulator() {
    let clouds: Vec<PointCloud> = AirplaneFamily::default().generate(6, 8).unwrap();
    let cam = DepthCamera::new(&Default::default()).unwrap();
    let batch = cam.visible_batch(&clouds).unwrap();
    for (c, v) in clouds.iter().zip(&batch) {
        assert_eq!(v, &cam.visible(c).unwrap());
        assert!(!v.is_empty() && v.len() < c.len());
    }
    let t = clouds_to_tensor(&clouds, &Device::Cpu).unwrap();
    assert_eq!(cam.simulate(&t).unwrap(), batch);
}
