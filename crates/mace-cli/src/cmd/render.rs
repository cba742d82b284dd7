//! `mace render …`: re-draw pictures from saved results.
//!
//! - `mace render robot [--robot NAME|FILE] --scene NAME|FILE --samples FILE.json [--prior FILE.json] [--target X Y Z] --out FILE.png`
//! - `mace render curves --report REPORT.json --out FILE.png`
//! - `mace render cloud --ply FILE.ply… [--fingers paper] [--contacts FILE] [--observed FILE] --out FILE.png`
//!
//! Configuration files are what `mace ik sample --json` writes (`[{"q": [...], …}, …]`), a plain
//! array of configurations (`[[q1..q7], …]`, rad), or the reference layout `{"samples": [{"q": …}]}`.
//! Collision colours are recomputed in the given scene. A report file is a `TuneReport` or any
//! record holding some (`mace ik tune`'s `report.json`, `mace demo --json`): each found is drawn.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use mace_core::TuneReport;

use mace_robot::config_file::read_configs;

use crate::say;
use mace_viz::{cloud, curves, robot, Camera};

/// Subcommands of `mace render`.
#[derive(Debug, Subcommand)]
pub(crate) enum RenderCommand {
    /// Robot configurations over their scene: one panel, or "prior | posterior" with `--prior`.
    Robot(RobotPictureArgs),
    /// Score and success (or loss) per iteration of a tuning run.
    Curves(CurvesArgs),
    /// A grid of point clouds with optional grasp fingers, contacts and an observed partial view.
    Cloud(CloudArgs),
}

/// Arguments of `mace render robot`.
#[derive(Debug, Args)]
pub(crate) struct RobotPictureArgs {
    #[command(flatten)]
    robot: crate::args::RobotArgs,
    /// Scene: `wall`, `window`, `box`, `shelf`, `cloud`, `cell` or a scene `.toml` file.
    #[arg(long, value_name = "NAME|FILE")]
    scene: String,
    /// Configurations to draw (the posterior, with `--prior`); a `samples.json` of `mace ik tune`
    /// gives its `posterior` list here and its `prior` list to `--prior`.
    #[arg(long, value_name = "FILE")]
    samples: PathBuf,
    /// Prior configurations, drawn in a left panel.
    #[arg(long, value_name = "FILE")]
    prior: Option<PathBuf>,
    /// Target marker X Y Z in metres (default: the scene's target).
    #[arg(long, num_args = 3, value_names = ["X", "Y", "Z"], allow_negative_numbers = true)]
    target: Option<Vec<f32>>,
    /// Panel titles, left to right (default: `prior` and `posterior`, or `samples`).
    #[arg(long, num_args = 1..=2, value_name = "TITLE")]
    titles: Option<Vec<String>>,
    /// Size of each panel in pixels (titles and legend included).
    #[arg(long, num_args = 2, value_names = ["W", "H"], default_values_t = [640, 560])]
    size: Vec<u32>,
    /// At most this many configurations per panel (evenly spaced through the file).
    #[arg(long, default_value_t = 400, value_parser = crate::limits::count(100_000))]
    max: usize,
    /// Opacity of each configuration, (0, 1] (default: 2/√n, clamped to [0.06, 0.9]).
    #[arg(long, allow_negative_numbers = true)]
    alpha: Option<f32>,
    /// Output PNG file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Arguments of `mace render curves`.
#[derive(Debug, Args)]
pub(crate) struct CurvesArgs {
    /// JSON with one or more tuning reports.
    #[arg(long, value_name = "FILE")]
    report: PathBuf,
    /// Size of the picture of each report, pixels.
    #[arg(long, num_args = 2, value_names = ["W", "H"], default_values_t = [900, 640])]
    size: Vec<u32>,
    /// Output PNG file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Arguments of `mace render cloud`.
#[derive(Debug, Args)]
pub(crate) struct CloudArgs {
    /// Point clouds: `.ply` (ASCII or binary little-endian) or `.json` (`[[x, y, z], …]`).
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    ply: Vec<PathBuf>,
    /// An observed partial view drawn in green in every cell.
    #[arg(long, value_name = "FILE")]
    observed: Option<PathBuf>,
    /// Finger directions: `paper` (the four diagonals and −x), `paper-ood` (… and +x), or
    /// `X,Y[,Z];X,Y[,Z];…`.
    #[arg(long, value_name = "DIRS")]
    fingers: Option<String>,
    /// Contact points (JSON `[[x, y, z], …]`, one per finger), highlighted in every cell.
    #[arg(long, value_name = "FILE")]
    contacts: Option<PathBuf>,
    /// Columns of the grid (default: ⌈√n⌉).
    #[arg(long)]
    cols: Option<usize>,
    /// Cell size, pixels.
    #[arg(long, default_value_t = 240)]
    cell: u32,
    /// Title above the grid.
    #[arg(long)]
    title: Option<String>,
    /// Output PNG file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Runs a `render` subcommand.
pub(crate) fn run(command: RenderCommand, force: bool) -> anyhow::Result<()> {
    match command {
        RenderCommand::Robot(args) => robot_cmd(args, force),
        RenderCommand::Curves(args) => curves_cmd(args, force),
        RenderCommand::Cloud(args) => cloud_cmd(args, force),
    }
}

/// At most `max` of the `(n, dof)` rows of `q`, evenly spaced.
fn thin(q: Vec<f32>, dof: usize, max: usize) -> Vec<f32> {
    let n = q.len() / dof.max(1);
    if n <= max || max == 0 {
        return q;
    }
    (0..max)
        .flat_map(|k| {
            let i = k * n / max;
            q[i * dof..(i + 1) * dof].to_vec()
        })
        .collect()
}

fn robot_cmd(args: RobotPictureArgs, force: bool) -> anyhow::Result<()> {
    let scene = mace_lab::ik::scene_with_target(&args.scene, args.target.as_deref())?;
    let rs = robot::RobotScene::new(args.robot.load()?.chain, scene);
    let dof = rs.chain.dof();
    if let Some(a) = args.alpha {
        if !(a > 0.0 && a <= 1.0) {
            bail!("--alpha must be in (0, 1], got {a}");
        }
    }
    let samples = thin(
        read_configs(&args.samples, dof, Some("posterior"))?,
        dof,
        args.max,
    );
    let prior = match &args.prior {
        Some(p) => Some(thin(read_configs(p, dof, Some("prior"))?, dof, args.max)),
        None => None,
    };
    let titles = args.titles.clone().unwrap_or_default();
    let title = |k: usize, default: &str| titles.get(k).cloned().unwrap_or(default.to_string());
    let (t0, t1) = match &prior {
        Some(_) => (title(0, "prior"), title(1, "posterior")),
        None => (title(0, "samples"), String::new()),
    };
    let mut panels = Vec::new();
    if let Some(p) = &prior {
        panels.push(robot::Panel {
            title: &t0,
            configs: p,
            colliding: None,
            alpha: args.alpha,
        });
        panels.push(robot::Panel {
            title: &t1,
            configs: &samples,
            colliding: None,
            alpha: args.alpha,
        });
    } else {
        panels.push(robot::Panel {
            title: &t0,
            configs: &samples,
            colliding: None,
            alpha: args.alpha,
        });
    }
    let camera = Camera::for_scene(&rs.scene);
    let start = std::time::Instant::now();
    let png = robot::render_robot_panels(&rs, &panels, &camera, (args.size[0], args.size[1]))?;
    mace_viz::save_png(&png, &args.out, force)?;
    say!(
        "wrote {} ({}×{} px, {} panel(s), {:.2} s)",
        args.out.display(),
        png.width(),
        png.height(),
        panels.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Every tuning report in `value` with a label (its JSON path) and its per-iteration success
/// rates when the iterations carry `success_rate` (or `success`).
fn find_reports(
    value: &serde_json::Value,
    path: &str,
    out: &mut Vec<(String, TuneReport, Option<Vec<f32>>)>,
) {
    use serde_json::Value;
    match value {
        Value::Object(o) => {
            if o.contains_key("iterations") && o.contains_key("objective") {
                if let Ok(r) = serde_json::from_value::<TuneReport>(value.clone()) {
                    let success: Option<Vec<f32>> = o["iterations"].as_array().and_then(|its| {
                        its.iter()
                            .map(|it| {
                                it.get("success_rate")
                                    .or_else(|| it.get("success"))
                                    .and_then(Value::as_f64)
                                    .map(|v| v as f32)
                            })
                            .collect()
                    });
                    out.push((path.to_string(), r, success));
                    return;
                }
            }
            for (k, v) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                find_reports(v, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                find_reports(v, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn curves_cmd(args: CurvesArgs, force: bool) -> anyhow::Result<()> {
    let text = mace_core::fs::read_text(&args.report, mace_core::fs::TEXT_LIMIT)?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("parsing {} as JSON", args.report.display()))?;
    let mut reports = Vec::new();
    find_reports(&value, "", &mut reports);
    if reports.is_empty() {
        bail!(
            "{}: no tuning report found (an object with `objective`, `config`, `iterations`, …)",
            args.report.display()
        );
    }
    let file = args
        .report
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut parts = Vec::new();
    for (path, report, success) in &reports {
        if report.iterations.is_empty() {
            bail!(
                "{}: report `{path}` has no iterations",
                args.report.display()
            );
        }
        let title = if path.is_empty() {
            format!("{file} ({})", report.objective)
        } else {
            format!("{file}: {path} ({})", report.objective)
        };
        parts.push(curves::render_curves(
            report,
            success.as_deref(),
            &title,
            (args.size[0], args.size[1]),
        )?);
    }
    let png = mace_viz::stack_vertical(&parts)?;
    mace_viz::save_png(&png, &args.out, force)?;
    say!(
        "wrote {} ({}×{} px, {} report(s))",
        args.out.display(),
        png.width(),
        png.height(),
        reports.len()
    );
    Ok(())
}

fn parse_fingers(s: &str) -> anyhow::Result<Vec<[f32; 3]>> {
    match s {
        "paper" => return Ok(cloud::paper_finger_directions(false)),
        "paper-ood" => return Ok(cloud::paper_finger_directions(true)),
        _ => {}
    }
    s.split(';')
        .filter(|d| !d.trim().is_empty())
        .map(|d| {
            let v: Vec<f32> = d
                .split(',')
                .map(|x| x.trim().parse::<f32>())
                .collect::<Result<_, _>>()
                .with_context(|| format!("finger direction `{d}` is not X,Y[,Z]"))?;
            let v = match v[..] {
                [x, y] => [x, y, 0.0],
                [x, y, z] => [x, y, z],
                _ => bail!("finger direction `{d}` is not X,Y[,Z]"),
            };
            let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            if !(n > 1e-9 && n.is_finite()) {
                bail!("finger direction `{d}` has zero or non-finite length");
            }
            Ok([v[0] / n, v[1] / n, v[2] / n])
        })
        .collect()
}

fn cloud_cmd(args: CloudArgs, force: bool) -> anyhow::Result<()> {
    let clouds: Vec<Vec<[f32; 3]>> = args
        .ply
        .iter()
        .map(|p| Ok(mace_shapes::read_point_cloud(p)?.into_points()))
        .collect::<anyhow::Result<_>>()?;
    let observed = match &args.observed {
        Some(p) => mace_shapes::read_point_cloud(p)?.into_points(),
        None => Vec::new(),
    };
    let fingers = match &args.fingers {
        Some(s) => parse_fingers(s)?,
        None => Vec::new(),
    };
    let contacts = match &args.contacts {
        Some(p) => mace_shapes::read_point_cloud(p)?.into_points(),
        None => Vec::new(),
    };
    let names: Vec<String> = args
        .ply
        .iter()
        .map(|p| {
            p.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let panels: Vec<cloud::CloudPanel<'_>> = clouds
        .iter()
        .zip(&names)
        .map(|(c, n)| cloud::CloudPanel {
            points: c,
            observed: &observed,
            fingers: &fingers,
            contacts: &contacts,
            title: Some(n),
        })
        .collect();
    let cols = args
        .cols
        .unwrap_or_else(|| (panels.len() as f64).sqrt().ceil() as usize)
        .max(1);
    let png = cloud::render_cloud_grid(&panels, cols, args.cell, args.title.as_deref())?;
    mace_viz::save_png(&png, &args.out, force)?;
    say!(
        "wrote {} ({}×{} px, {} cloud(s))",
        args.out.display(),
        png.width(),
        png.height(),
        panels.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_evenly_spaced_rows() {
        assert_eq!(thin((0..20).map(|x| x as f32).collect(), 2, 5).len(), 10);
    }

    #[test]
    fn finger_directions() {
        assert_eq!(parse_fingers("paper").unwrap().len(), 5);
        let f = parse_fingers("1,0;0,2,0").unwrap();
        assert_eq!(f, vec![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
        assert!(parse_fingers("0,0").is_err());
        assert!(parse_fingers("a,b").is_err());
    }
}
