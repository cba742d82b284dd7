//! How `--shape FILE` is read (`mace grasp tune`, `mace complete tune`): the file's axes, or
//! its coordinates as they are; and the record of what was done, added to `report.json`.

use clap::Args;
use mace_lab::shapes::heading::{apply_heading, turn_normalisation, HeadingChoice};
use mace_lab::shapes::partial::{PartialScanOptions, ViewSource, SCAN_MAX_POINTS};
use mace_lab::shapes::source::TestShape;
use mace_lab::shapes::{ShapePrior, ShapeSource};
use mace_shapes::{Axis, Frame, PrepareOptions};

/// The axes of a `--shape FILE` (PLY, NPY, PCD, JSON clouds; OFF, OBJ, PLY meshes). A file is
/// rotated into the prior's frame, resampled to its point count (a random subset without
/// replacement, or every point plus repeats; a mesh is sampled on its surface, area-weighted)
/// and centred and scaled to a unit bounding-box diagonal, whatever its unit.
#[derive(Debug, Clone, Args)]
pub(crate) struct ShapeFileArgs {
    /// The file's up axis: x, y, z, -x, -y or -z (default y: ShapeNet and ours; ModelNet: z).
    #[arg(long, value_name = "AXIS", allow_hyphen_values = true)]
    up: Option<Axis>,
    /// The way the shape's front (an airplane's nose) faces in the file (default -z, ours and
    /// ShapeNetCore v2's; -y when --up is ±z).
    #[arg(long, value_name = "AXIS", allow_hyphen_values = true)]
    front: Option<Axis>,
    /// Take the file's coordinates as they are (already in the prior's frame: centred, unit
    /// bounding-box diagonal, y up, nose -z); only its point count is conformed.
    #[arg(long, conflicts_with_all = ["up", "front"])]
    as_is: bool,
    /// Turn the shape about its up axis after reading: DEG (+z towards +x, in the prior's
    /// axes), or `auto` to find the turn that makes it look most like the prior's samples (real
    /// files face any way about their up axis; each ModelNet airplane has its own heading).
    #[arg(
        long,
        value_name = "DEG|auto",
        allow_hyphen_values = true,
        conflicts_with = "as_is"
    )]
    heading: Option<HeadingChoice>,
}

impl ShapeFileArgs {
    /// The observed shape `spec` (a test index or a file) for a prior of `points` points;
    /// file sampling seeded by `seed`; a heading search (`--heading auto`) compares with
    /// samples of `prior`.
    pub(crate) fn load(
        &self,
        source: &ShapeSource,
        spec: &str,
        points: usize,
        seed: u64,
        prior: Option<&ShapePrior>,
    ) -> anyhow::Result<TestShape> {
        let given =
            self.up.is_some() || self.front.is_some() || self.as_is || self.heading.is_some();
        if given && spec.parse::<usize>().is_ok() {
            anyhow::bail!(
                "--up, --front, --as-is and --heading describe a --shape FILE, not a test index"
            );
        }
        let options = PrepareOptions {
            frame: Frame::new(self.up.unwrap_or(Axis::Y), self.front)?,
            points,
            normalize: !self.as_is,
            seed,
            ..PrepareOptions::default()
        };
        let mut shape = source.test_shape_with(spec, &options)?;
        if let Some(choice) = self.heading {
            let (cloud, record) = apply_heading(&shape.cloud, choice, prior, seed)?;
            let (centre, scale) = turn_normalisation(&shape.cloud, record.heading_deg);
            shape.turn = Some((record.heading_deg, centre, scale));
            shape.cloud = cloud;
            shape.heading = Some(record);
        }
        Ok(shape)
    }
}

impl ShapeFileArgs {
    /// Whether reading the shape searches its heading (and so needs the prior).
    pub(crate) fn searches_heading(&self) -> bool {
        self.heading == Some(HeadingChoice::Auto)
    }

    /// How to read an `--observed` scan: the axes and heading given for the files; with a full
    /// shape `truth`, its transform places the scan (a test index: the scan is taken in the
    /// prior's frame).
    pub(crate) fn partial_options(
        &self,
        view: ViewSource,
        truth: Option<&TestShape>,
        seed: u64,
    ) -> anyhow::Result<PartialScanOptions> {
        Ok(PartialScanOptions {
            frame: Frame::new(self.up.unwrap_or(Axis::Y), self.front)?,
            as_is: self.as_is || truth.is_some_and(|t| t.file.is_none()),
            view,
            heading: if truth.is_some() { None } else { self.heading },
            max_points: SCAN_MAX_POINTS,
            seed,
        })
    }
}

/// `record` as JSON with `shape_file` (what was done to a `--shape FILE`) added.
pub(crate) fn with_shape_file(
    record: &impl serde::Serialize,
    shape: &TestShape,
) -> anyhow::Result<serde_json::Value> {
    let mut v = serde_json::to_value(record)?;
    if let (Some(file), Some(map)) = (&shape.file, v.as_object_mut()) {
        map.insert("shape_file".into(), serde_json::to_value(file)?);
    }
    if let (Some(heading), Some(map)) = (&shape.heading, v.as_object_mut()) {
        map.insert("shape_heading".into(), serde_json::to_value(heading)?);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        file: ShapeFileArgs,
    }

    #[test]
    fn axes_parse_conflict_and_belong_to_files() {
        let c = Cli::try_parse_from(["t", "--up", "-z", "--front", "x"]).unwrap();
        assert_eq!(
            (c.file.up, c.file.front),
            (Some(Axis::NEG_Z), Some(Axis::X))
        );
        assert!(Cli::try_parse_from(["t", "--up", "w"]).is_err());
        assert!(Cli::try_parse_from(["t", "--as-is", "--up", "z"]).is_err());
        let e = c.file.load(&ShapeSource::default(), "0", 2048, 0, None);
        assert!(e.unwrap_err().to_string().contains("not a test index"));
        let record = serde_json::json!({"shape": "0"});
        let shape = Cli::try_parse_from(["t"])
            .unwrap()
            .file
            .load(&ShapeSource::default(), "0", 2048, 0, None)
            .unwrap();
        assert_eq!(with_shape_file(&record, &shape).unwrap(), record);
    }
}
