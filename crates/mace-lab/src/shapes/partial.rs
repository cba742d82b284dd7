//! A real partial scan as the observation of a completion: the points a depth camera gave,
//! in the file's own unit, axes and heading, with no full shape behind them.
//!
//! [`load_partial_scan`] brings the scan into the prior's frame and finds the camera:
//!
//! 1. read the cloud (PLY, PCD, NPY, JSON; a mesh is refused: a scan is points), thin it to
//!    `max_points` (a uniformly random subset, seeded), rotate it from the file's axes;
//! 2. the camera's direction: given as a view (azimuth, elevation relative to the scan as read,
//!    in the prior's axes before any heading turn), as the camera's position in file
//!    coordinates, or estimated: a depth camera sees one surface
//!    point per ray, so along its axis no point of the scan hides another; of 300 axes spread
//!    over a half sphere, those from which the most points are visible are averaged (both ways
//!    along the result are tried: a single surface hides nothing from behind either);
//! 3. the object's heading about the up axis (`--heading`): as the file has it, turned by a
//!    given angle, or found (`auto`): each candidate is scored as in 4;
//! 4. scale and offset: a full shape's bounding box is not the scan's, so the scan is scaled
//!    and moved so that its bounding box matches the median bounding box of the prior's samples
//!    seen from the same camera; the candidate (direction and heading) whose calibrated scan the
//!    prior's samples, seen from that camera, match best (mean completion score of the best 8
//!    of 64) wins.
//!
//! With a full shape given as well (a truth in the same file coordinates, as PCN ships them),
//! the scan takes the truth's transform instead of 3 and 4, exactly; an estimated view is then
//! oriented and refined so that the truth, seen from the camera, matches the scan.

use mace_shapes::{
    read_shape, CompletionScore, CompletionScoreConfig, DepthCamera, DepthCameraConfig, Frame,
    PointCloud, ShapeData, ShapeFormat, ShapeRecord, MIN_CLOUD_POINTS,
};
use rand::{rngs::StdRng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::heading::{HeadingChoice, HeadingRecord};
use super::latent::latent_at_prior;
use super::prior::ShapePrior;
use super::scan_geometry::{
    angles_of, bounds, camera, diagonal, direction_of, mean_point, median, mid,
    occlusion_free_axis, sub, turn_y, unit, MAX_ELEVATION_DEG,
};
use crate::error::{fail, Context, Result};

/// Where the camera was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ViewSource {
    /// Azimuth and elevation, degrees, relative to the scan as read (rotated to the prior's axes,
    /// before any heading turn); the camera looks at the object's centre.
    View([f32; 2]),
    /// The camera's position in the scan file's coordinates.
    Position([f64; 3]),
    /// Estimated from the scan (see the module docs).
    Estimate,
}

/// How [`load_partial_scan`] reads a scan.
#[derive(Debug, Clone)]
pub struct PartialScanOptions {
    /// The file's axes.
    pub frame: Frame,
    /// Coordinates already in the prior's frame (centred and scaled with their full shape,
    /// as PCN's and ShapeNet's partial clouds are): no rotation, scaling or heading.
    pub as_is: bool,
    /// Where the camera was.
    pub view: ViewSource,
    /// The object's heading about the up axis (`None`: as the file has it).
    pub heading: Option<HeadingChoice>,
    /// Most points kept (a random subset beyond).
    pub max_points: usize,
    /// Seed of the thinning and of the prior samples used to calibrate.
    pub seed: u64,
}

/// Most points of a scan used as the observation.
pub const SCAN_MAX_POINTS: usize = 4096;

/// What was done to a scan, for `report.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartialScanRecord {
    /// The file.
    pub file: String,
    /// Its format.
    pub format: ShapeFormat,
    /// Points in the file.
    pub file_points: usize,
    /// Points used.
    pub points: usize,
    /// The file's axes.
    pub frame: Frame,
    /// The camera's azimuth and elevation in the prior's frame, degrees.
    pub view_deg: [f32; 2],
    /// How the view was obtained: `given`, `camera position` or `estimated`.
    pub view_source: String,
    /// File units → prior units.
    pub scale: f64,
    /// The heading applied, if any.
    pub heading: Option<HeadingRecord>,
    /// Every step, one sentence each.
    pub notes: Vec<String>,
}

/// A scan ready to complete.
#[derive(Debug, Clone)]
pub struct PartialScan {
    /// The observed points in the prior's frame.
    pub points: Vec<[f32; 3]>,
    /// The camera (the given intrinsics at the view found).
    pub camera: DepthCamera,
    /// What was done.
    pub record: PartialScanRecord,
}

impl PartialScan {
    /// The completion problem of this scan under `score`, and the record of what was done.
    ///
    /// # Errors
    /// For invalid score settings.
    pub fn into_problem(
        self,
        score: &CompletionScoreConfig,
    ) -> Result<(super::completion::CompletionProblem, PartialScanRecord)> {
        let problem =
            super::completion::CompletionProblem::from_observed(self.points, self.camera, score)
                .with_context(|| format!("--observed {}", self.record.file))?;
        Ok((problem, self.record))
    }
}

/// The truth's transform for a scan given with its full shape: the full shape's file record
/// and heading turn.
#[derive(Debug, Clone, Copy)]
pub struct TruthFrame<'a> {
    /// The full shape in the prior's frame.
    pub cloud: &'a PointCloud,
    /// How the full shape's file was brought into the prior's frame.
    pub record: &'a ShapeRecord,
    /// The turn about the up axis applied to it after that, with the re-centring it implied.
    pub turn: Option<(f32, [f64; 3], f64)>,
}

/// Prior samples used to calibrate a scan and score candidate views.
const CALIBRATION_SAMPLES: usize = 64;
/// The best of them whose scores are averaged.
const CALIBRATION_BEST: usize = 8;

/// Reads the scan at `path` and finds its camera (see the module docs); `intrinsics` gives
/// the camera's distance, field of view and rendering (its angles are replaced), `score` the
/// completion score used to rank candidates.
///
/// # Errors
/// For a file that cannot be read, a mesh, an empty scan, a camera inside the scan's bounds,
/// or a scan whose points all coincide.
pub fn load_partial_scan(
    path: &std::path::Path,
    options: &PartialScanOptions,
    intrinsics: &DepthCameraConfig,
    score: &CompletionScoreConfig,
    prior: &ShapePrior,
    truth: Option<TruthFrame<'_>>,
) -> Result<PartialScan> {
    let file = path.display().to_string();
    let (format, data) = read_shape(path).context("reading --observed")?;
    let cloud = match data {
        ShapeData::Cloud(c) => c,
        ShapeData::Mesh(_) => fail!(
            "--observed {file}: a mesh; a partial scan is the points a depth camera gave (pass \
             a full mesh as --shape)"
        ),
    };
    let file_points = cloud.len();
    if file_points < MIN_CLOUD_POINTS {
        fail!(
            "--observed {file}: {file_points} points, fewer than the {MIN_CLOUD_POINTS} a scan \
             needs to outline what the camera saw"
        );
    }
    let mut notes = vec![format!("{} cloud of {file_points} points", format.name())];
    let cloud = if file_points > options.max_points {
        notes.push(format!(
            "thinned to {} points, a uniformly random subset (seed {})",
            options.max_points, options.seed
        ));
        cloud.resample(options.max_points, &mut StdRng::seed_from_u64(options.seed))?
    } else {
        cloud
    };
    let frame = if options.as_is {
        Frame::PRIOR
    } else {
        options.frame
    };
    let r = frame.rotation();
    let rotate = |p: [f64; 3]| -> [f64; 3] {
        [0, 1, 2].map(|k| (0..3).map(|j| f64::from(r[k][j]) * p[j]).sum::<f64>())
    };
    let rotated: Vec<[f64; 3]> = cloud.iter().map(|p| rotate(p.map(f64::from))).collect();
    let (lo, hi) = bounds(&rotated);
    if (0..3).all(|a| hi[a] - lo[a] <= 0.0) {
        fail!("--observed {file}: every point at the same place; a scan needs extent");
    }
    let camera_at = match options.view {
        ViewSource::Position(c) => {
            if !c.iter().all(|v| v.is_finite() && v.abs() < 1e12) {
                fail!("--camera {c:?}: the camera's position must be finite numbers below 1e12");
            }
            let rc = rotate(c);
            if (0..3).all(|a| rc[a] >= lo[a] && rc[a] <= hi[a]) {
                fail!(
                    "--camera {c:?}: inside the bounding box of the scan {file}; the camera must \
                     see the object from outside"
                );
            }
            Some(rc)
        }
        ViewSource::View([az, el]) => {
            if !(az.is_finite() && el.is_finite() && el.abs() < 90.0) {
                fail!(
                    "--view {az} {el}: the azimuth must be finite and the elevation in (-90, 90)"
                );
            }
            None
        }
        ViewSource::Estimate => None,
    };
    if frame != Frame::PRIOR {
        notes.push(format!(
            "rotated from the file's axes (up {}, front {}) to the prior's",
            frame.up, frame.front
        ));
    }
    // Candidate camera directions (unit, prior axes, from the object towards the camera).
    let centroid = mean_point(&rotated);
    let (directions, view_source): (Vec<[f64; 3]>, &str) = match options.view {
        ViewSource::View([az, el]) => (vec![direction_of(az, el)], "given"),
        ViewSource::Position(_) => {
            let c = camera_at.unwrap_or(centroid);
            (vec![unit(sub(c, centroid))], "camera position")
        }
        ViewSource::Estimate => {
            let n = occlusion_free_axis(&rotated, intrinsics)?;
            (vec![n, n.map(|v| -v)], "estimated")
        }
    };
    if let Some(truth) = truth {
        return scan_in_truth_frame(
            &rotated,
            &directions,
            camera_at,
            (view_source, options.view == ViewSource::Estimate),
            truth,
            intrinsics,
            ScanFile {
                file,
                format,
                file_points,
                notes,
            },
        );
    }
    if options.as_is {
        let points: Vec<[f32; 3]> = rotated.iter().map(|p| p.map(|v| v as f32)).collect();
        let best = best_view(&points, &directions, intrinsics, score, prior, options.seed)?;
        notes.push("coordinates kept as they are (already in the prior's frame)".into());
        let best_el = best.el.clamp(-MAX_ELEVATION_DEG, MAX_ELEVATION_DEG);
        let record = PartialScanRecord {
            file,
            format,
            file_points,
            points: points.len(),
            frame,
            view_deg: [best.az, best_el],
            view_source: view_source.into(),
            scale: 1.0,
            heading: None,
            notes,
        };
        return Ok(PartialScan {
            camera: camera(intrinsics, best.az, best.el)?,
            points,
            record,
        });
    }
    // Search: for each direction, the object's azimuth (heading) candidates.
    let samples = latent_at_prior(prior)?.clouds(CALIBRATION_SAMPLES, options.seed)?;
    let mut best: Option<Candidate> = None;
    for d in &directions {
        let (az_w, el) = angles_of(*d);
        let headings: Vec<f32> = match options.heading {
            None => vec![0.0],
            Some(HeadingChoice::Given(h)) => vec![h],
            Some(HeadingChoice::Auto) => (0..24).map(|i| i as f32 * 15.0).collect(),
        };
        let mut tried: Vec<Candidate> = Vec::new();
        for h in headings {
            tried.push(calibrate(
                &rotated, centroid, az_w, el, h, intrinsics, score, &samples,
            )?);
        }
        if options.heading == Some(HeadingChoice::Auto) {
            let mut step = 15.0;
            for _ in 0..3 {
                step /= 2.0;
                let centre = best_of(&tried).heading;
                for h in [centre - step, centre + step] {
                    let h = h.rem_euclid(360.0);
                    tried.push(calibrate(
                        &rotated, centroid, az_w, el, h, intrinsics, score, &samples,
                    )?);
                }
            }
        }
        let here = best_of(&tried).clone();
        if best.as_ref().is_none_or(|b| here.score > b.score) {
            best = Some(here);
        }
    }
    let Some(mut best) = best else {
        fail!("--observed {file}: no camera direction to try");
    };
    if options.view == ViewSource::Estimate {
        // The estimated axis is coarse: try the camera around it, the scan held where it is.
        for step in [20.0f32, 10.0, 5.0] {
            let (az_w, el) = ((best.az - best.heading).rem_euclid(360.0), best.el);
            for (da, de) in [(-1.0, 0.0), (1.0, 0.0), (0.0, -1.0), (0.0, 1.0)] {
                let e = (el + de * step).clamp(-MAX_ELEVATION_DEG, MAX_ELEVATION_DEG);
                let c = calibrate(
                    &rotated,
                    centroid,
                    az_w + da * step,
                    e,
                    best.heading,
                    intrinsics,
                    score,
                    &samples,
                )?;
                if c.score > best.score {
                    best = c;
                }
            }
        }
    }
    notes.push(format!(
        "camera at azimuth {:.1}°, elevation {:.1}° ({view_source})",
        best.az, best.el
    ));
    notes.push(format!(
        "scaled by {:.6e} and moved so that its bounding box matches the prior's samples seen \
         from that camera (their best 8 of {CALIBRATION_SAMPLES} score {:.3})",
        best.scale, best.score
    ));
    let heading = options.heading.map(|choice| HeadingRecord {
        heading_deg: best.heading,
        inferred: choice == HeadingChoice::Auto,
        cost: None,
        runner_up_cost: None,
    });
    Ok(PartialScan {
        camera: camera(intrinsics, best.az, best.el)?,
        record: PartialScanRecord {
            file,
            format,
            file_points,
            points: best.points.len(),
            frame,
            view_deg: [best.az, best.el],
            view_source: view_source.into(),
            scale: best.scale,
            heading,
            notes,
        },
        points: best.points,
    })
}

/// One candidate placement of the scan.
#[derive(Debug, Clone)]
struct Candidate {
    heading: f32,
    az: f32,
    el: f32,
    scale: f64,
    score: f32,
    points: Vec<[f32; 3]>,
}

/// The mean of the best [`CALIBRATION_BEST`] scores (0 for none).
fn mean_of_best(mut scores: Vec<f32>) -> f32 {
    scores.sort_by(|a, b| b.total_cmp(a));
    let k = CALIBRATION_BEST.min(scores.len());
    if k == 0 {
        return 0.0;
    }
    scores[..k].iter().sum::<f32>() / k as f32
}

fn best_of(tried: &[Candidate]) -> &Candidate {
    tried
        .iter()
        .max_by(|a, b| a.score.total_cmp(&b.score))
        .expect("at least one candidate is tried")
}

/// The scan (rotated into prior axes, camera at azimuth `az_w` and elevation `el` about its
/// centroid) turned by `heading` about y, then scaled and moved to the prior's view from the
/// camera, and scored.
#[allow(clippy::too_many_arguments)]
fn calibrate(
    rotated: &[[f64; 3]],
    centroid: [f64; 3],
    az_w: f32,
    el: f32,
    heading: f32,
    intrinsics: &DepthCameraConfig,
    score: &CompletionScoreConfig,
    samples: &[PointCloud],
) -> Result<Candidate> {
    let az = (az_w + heading).rem_euclid(360.0);
    let el = el.clamp(-MAX_ELEVATION_DEG, MAX_ELEVATION_DEG);
    let camera = camera(intrinsics, az, el)?;
    let views = camera.visible_batch(samples)?;
    let boxes: Vec<([f64; 3], f64)> = views
        .iter()
        .filter(|v| v.len() >= 2)
        .map(|v| {
            let pts: Vec<[f64; 3]> = v.iter().map(|p| p.map(f64::from)).collect();
            let (lo, hi) = bounds(&pts);
            (mid(lo, hi), diagonal(lo, hi))
        })
        .collect();
    if boxes.is_empty() {
        fail!(
            "the camera at azimuth {az}°, elevation {el}° sees none of the prior's samples: check \
             --distance and --fov"
        );
    }
    let target_centre = [0, 1, 2].map(|a| median(boxes.iter().map(|b| b.0[a]).collect()));
    let target_diag = median(boxes.iter().map(|b| b.1).collect());
    let turned: Vec<[f64; 3]> = rotated
        .iter()
        .map(|p| turn_y(sub(*p, centroid), heading))
        .collect();
    let (lo, hi) = bounds(&turned);
    let scale = target_diag / diagonal(lo, hi).max(f64::MIN_POSITIVE);
    let centre = mid(lo, hi);
    let points: Vec<[f32; 3]> = turned
        .iter()
        .map(|p| [0, 1, 2].map(|a| ((p[a] - centre[a]) * scale + target_centre[a]) as f32))
        .collect();
    let scores = CompletionScore::new(points.clone(), score)?.score_batch(&views)?;
    Ok(Candidate {
        heading,
        az,
        el,
        scale,
        score: mean_of_best(scores),
        points,
    })
}

/// The best view among `directions` for a scan already in the prior's frame.
fn best_view(
    points: &[[f32; 3]],
    directions: &[[f64; 3]],
    intrinsics: &DepthCameraConfig,
    score: &CompletionScoreConfig,
    prior: &ShapePrior,
    seed: u64,
) -> Result<Candidate> {
    if directions.len() == 1 {
        let (az, el) = angles_of(directions[0]);
        return Ok(Candidate {
            heading: 0.0,
            az,
            el,
            scale: 1.0,
            score: 0.0,
            points: points.to_vec(),
        });
    }
    let samples = latent_at_prior(prior)?.clouds(CALIBRATION_SAMPLES, seed)?;
    let observed = CompletionScore::new(points.to_vec(), score)?;
    let mut best: Option<Candidate> = None;
    for d in directions {
        let (az, el) = angles_of(*d);
        let views = camera(intrinsics, az, el)?.visible_batch(&samples)?;
        let s = mean_of_best(observed.score_batch(&views)?);
        if best.as_ref().is_none_or(|b| s > b.score) {
            best = Some(Candidate {
                heading: 0.0,
                az,
                el,
                scale: 1.0,
                score: s,
                points: points.to_vec(),
            });
        }
    }
    match best {
        Some(b) => Ok(b),
        None => fail!("no camera direction to try"),
    }
}

/// What a scan file held, carried into its record.
struct ScanFile {
    file: String,
    format: ShapeFormat,
    file_points: usize,
    notes: Vec<String>,
}

/// The scan placed by its full shape's transform (see [`TruthFrame`]). The camera looks at the
/// object's centre (the origin): a given position's direction is taken from there; an estimated
/// axis is oriented, and refined, so that the truth seen from the camera matches the scan.
#[allow(clippy::too_many_arguments)]
fn scan_in_truth_frame(
    rotated: &[[f64; 3]],
    directions: &[[f64; 3]],
    camera_at: Option<[f64; 3]>,
    (view_source, estimated): (&str, bool),
    truth: TruthFrame<'_>,
    intrinsics: &DepthCameraConfig,
    scan: ScanFile,
) -> Result<PartialScan> {
    let record = truth.record;
    let place = |p: [f64; 3]| -> [f64; 3] {
        let q = [0, 1, 2].map(|a| (p[a] - record.centre[a]) * record.scale);
        match truth.turn {
            None => q,
            Some((deg, centre, scale)) => {
                let t = turn_y(q, deg);
                [0, 1, 2].map(|a| (t[a] - centre[a]) * scale)
            }
        }
    };
    let points: Vec<[f32; 3]> = rotated
        .iter()
        .map(|p| place(*p).map(|v| v as f32))
        .collect();
    // Directions turn with the heading (scaling and moving do not change them).
    let turn_dir = |d: [f64; 3]| truth.turn.map_or(d, |(deg, _, _)| turn_y(d, deg));
    let mismatch = |az: f32, el: f32| -> Result<f32> {
        let seen = camera(intrinsics, az, el)?.visible(truth.cloud.points())?;
        if seen.is_empty() {
            return Ok(f32::INFINITY);
        }
        Ok(mace_shapes::chamfer(&points, &seen)?)
    };
    let (mut az, mut el) = match camera_at {
        Some(c) => angles_of(unit(place(c))),
        None => angles_of(turn_dir(directions[0])),
    };
    if estimated {
        let mut best = f32::INFINITY;
        for d in directions {
            let (a, e) = angles_of(turn_dir(*d));
            let m = mismatch(a, e)?;
            if m < best {
                (best, az, el) = (m, a, e);
            }
        }
        for step in [20.0f32, 10.0, 5.0, 2.5] {
            for (da, de) in [(-1.0, 0.0), (1.0, 0.0), (0.0, -1.0), (0.0, 1.0)] {
                let (a, e) = (
                    (az + da * step).rem_euclid(360.0),
                    (el + de * step).clamp(-MAX_ELEVATION_DEG, MAX_ELEVATION_DEG),
                );
                let m = mismatch(a, e)?;
                if m < best {
                    (best, az, el) = (m, a, e);
                }
            }
        }
    }
    let el = el.clamp(-MAX_ELEVATION_DEG, MAX_ELEVATION_DEG);
    let mut notes = scan.notes;
    notes.push(format!(
        "placed by the full shape's transform ({}); camera at azimuth {az:.1}°, elevation \
         {el:.1}° ({view_source})",
        record.file
    ));
    let scale = record.scale * truth.turn.map_or(1.0, |t| t.2);
    Ok(PartialScan {
        camera: camera(intrinsics, az, el)?,
        record: PartialScanRecord {
            file: scan.file,
            format: scan.format,
            file_points: scan.file_points,
            points: points.len(),
            frame: record.frame,
            view_deg: [az, el],
            view_source: view_source.into(),
            scale,
            heading: None,
            notes,
        },
        points,
    })
}
