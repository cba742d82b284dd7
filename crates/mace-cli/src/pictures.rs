//! The pictures the commands write beside their results, composed from the renderer's panels.

use std::path::Path;

use anyhow::Context;
use mace_core::TuneReport;
use mace_robot::{KinematicChain, Scene};
use mace_shapes::{GraspSimulator, PointCloud};

use mace_viz::{
    render_cloud_grid, render_curves, render_robot_panels, save_png, Camera, CloudPanel, Panel,
    RobotScene,
};

/// Configurations drawn per panel of the sample pictures: the first of the evaluation samples
/// (rendering cost grows with their number; 150 keeps the pictures a small part of a run).
pub(crate) const PICTURE_SAMPLES: usize = 150;

/// Size of each panel of the robot pictures, pixels (title and legend included).
pub(crate) const PANEL_SIZE: (u32, u32) = (520, 450);

/// The first [`PICTURE_SAMPLES`] rows of the flat `(n, dof)` batch `q`.
pub(crate) fn picture_rows(q: &[f32], dof: usize) -> &[f32] {
    &q[..q.len().min(PICTURE_SAMPLES * dof)]
}

/// The rows of the flat `(n, dof)` batch `q` as JSON lists (what `mace render robot` reads).
pub(crate) fn config_lists(q: &[f32], dof: usize) -> Vec<Vec<f32>> {
    q.chunks_exact(dof.max(1)).map(<[f32]>::to_vec).collect()
}

/// A panel of `configs` titled `title`, collisions computed in the scene.
pub(crate) fn panel<'a>(title: &'a str, configs: &'a [f32]) -> Panel<'a> {
    Panel {
        title,
        configs,
        colliding: None,
        alpha: None,
    }
}

/// Draws `chain` in `panels` side by side over `scene` (its standard camera, [`PANEL_SIZE`] each) into the
/// PNG file `path`.
pub(crate) fn save_robot_picture(
    chain: &KinematicChain,
    scene: &Scene,
    panels: &[Panel<'_>],
    path: &Path,
    force: bool,
) -> anyhow::Result<()> {
    let rs = RobotScene::new(chain.clone(), scene.clone());
    let camera = Camera::for_scene(&rs.scene);
    let png = render_robot_panels(&rs, panels, &camera, PANEL_SIZE)
        .with_context(|| format!("drawing {}", path.display()))?;
    Ok(save_png(&png, path, force)?)
}

/// Writes the score curves of `report` titled `title` as the PNG `path`.
pub(crate) fn save_curves(
    report: &TuneReport,
    title: &str,
    path: &Path,
    force: bool,
) -> anyhow::Result<()> {
    let picture = render_curves(report, None, title, (900, 640))?;
    Ok(save_png(&picture, path, force)?)
}

/// Writes the PNG `path`: the observed shape with its grasp, then up to 8 prior and 8 posterior
/// samples, each with the contacts its own grasp would make.
pub(crate) fn save_grasp_picture(
    path: &Path,
    sim: &GraspSimulator,
    observed: &PointCloud,
    target: &[f32],
    prior: &[PointCloud],
    posterior: &[PointCloud],
    force: bool,
) -> anyhow::Result<()> {
    let dirs = sim.directions().to_vec();
    let contacts_of = |c: &PointCloud| -> Vec<[f32; 3]> {
        let found = sim.contacts(c.points()).unwrap_or_default();
        // A finger that touches nothing passes through: its marker sits beyond the centre.
        dirs.iter()
            .zip(found)
            .map(|(d, c)| {
                let c = c.unwrap_or(0.6);
                [c * d[0], c * d[1], c * d[2]]
            })
            .collect()
    };
    let target_points = mace_lab::shapes::grasp::contact_points(&dirs, target);
    let shown = 8;
    let titles: Vec<String> = (0..shown).map(|i| format!("prior {i}")).collect();
    let post_titles: Vec<String> = (0..shown).map(|i| format!("posterior {i}")).collect();
    let prior_contacts: Vec<_> = prior.iter().take(shown).map(contacts_of).collect();
    let post_contacts: Vec<_> = posterior.iter().take(shown).map(contacts_of).collect();
    let mut panels = vec![CloudPanel {
        points: observed.points(),
        fingers: &dirs,
        contacts: &target_points,
        title: Some("observed"),
        ..Default::default()
    }];
    for (i, c) in prior.iter().take(shown).enumerate() {
        panels.push(CloudPanel {
            points: c.points(),
            fingers: &dirs,
            contacts: &prior_contacts[i],
            title: Some(&titles[i]),
            ..Default::default()
        });
    }
    for (i, c) in posterior.iter().take(shown).enumerate() {
        panels.push(CloudPanel {
            points: c.points(),
            fingers: &dirs,
            contacts: &post_contacts[i],
            title: Some(&post_titles[i]),
            ..Default::default()
        });
    }
    let picture = render_cloud_grid(
        &panels,
        shown + 1,
        220,
        Some("observed grasp (left); prior (top row) and posterior (bottom row) samples"),
    )?;
    Ok(save_png(&picture, path, force)?)
}

/// Writes the PNG `path`: the ground truth with the observed view highlighted, then up to 8
/// prior and 8 posterior samples, each with the observed view over it.
pub(crate) fn save_completion_picture(
    path: &Path,
    truth: Option<&PointCloud>,
    observed: &[[f32; 3]],
    prior: &[PointCloud],
    posterior: &[PointCloud],
    force: bool,
) -> anyhow::Result<()> {
    let shown = 8;
    let titles: Vec<String> = (0..shown)
        .map(|i| format!("prior {i}"))
        .chain((0..shown).map(|i| format!("posterior {i}")))
        .collect();
    let mut panels = vec![CloudPanel {
        points: truth.map_or(observed, |t| t.points()),
        observed,
        title: Some(if truth.is_some() {
            "truth + observed"
        } else {
            "observed"
        }),
        ..Default::default()
    }];
    let samples = prior
        .iter()
        .take(shown)
        .zip(&titles[..shown])
        .chain(posterior.iter().take(shown).zip(&titles[shown..]));
    for (c, title) in samples {
        panels.push(CloudPanel {
            points: c.points(),
            observed,
            title: Some(title),
            ..Default::default()
        });
    }
    let picture = render_cloud_grid(
        &panels,
        shown + 1,
        220,
        Some("observed view in green; prior (top row) and posterior (bottom row) samples"),
    )?;
    Ok(save_png(&picture, path, force)?)
}

/// Writes each cloud as `dir/sample_XX.ply`.
pub(crate) fn write_samples(dir: &Path, clouds: &[PointCloud], force: bool) -> anyhow::Result<()> {
    for (i, c) in clouds.iter().enumerate() {
        mace_shapes::write_point_cloud(dir.join(format!("sample_{i:02}.ply")), c, force)?;
    }
    Ok(())
}
