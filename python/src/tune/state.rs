//! `Posterior` pickled by value: the tuned network as its checkpoint's two files
//! (`config.json` and `weights.safetensors`, written and read back by
//! `mace_models::checkpoint`, so the weights travel bit for bit), and as CBOR (exact floats)
//! the conditioning context, the tool orientation, the record (with the evidence's scores),
//! whether the target was reached and how `mace ik sample` finds the scene; the robot pickles
//! as itself.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use mace_lab::ik::IkTuneRecord;
use mace_models::checkpoint::{load_ar_gmm, save_ar_gmm, CONFIG_FILE, WEIGHTS_FILE};
use mace_models::fast::ArGmmSampler;
use mace_models::ArGmm;
use mace_robot::target::TargetOrientation;
use mace_robot::ToolAxis;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use serde::{Deserialize, Serialize};

use super::{CommandScene, PyPosterior};
use crate::evidence::EvidenceEval;
use crate::robot::PyRobot;

/// Format of the pickled state (the first item of the state tuple).
const STATE_VERSION: u32 = 1;

/// Everything but the robot and the weights, as CBOR.
#[derive(Serialize, Deserialize)]
struct Meta {
    context: Vec<f32>,
    orientation: Option<Orientation>,
    record: IkTuneRecord,
    evidence: Option<EvidenceEval>,
    /// Why the target was not reached (`None`: it was).
    unreached: Option<String>,
    command_scene: CommandScene,
}

/// [`TargetOrientation`], field for field.
#[derive(Serialize, Deserialize)]
struct Orientation {
    quaternion: [f32; 4],
    rotation: [[f32; 3]; 3],
    free_axis: Option<ToolAxis>,
}

/// A private folder under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> PyResult<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        for _ in 0..100 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let name = format!(
                "mace-posterior-{}-{}-{nanos}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            let path = base.join(name);
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Self(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io_error(&path, &e)),
            }
        }
        Err(PyRuntimeError::new_err(format!(
            "could not create a temporary folder in {}",
            base.display()
        )))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> PyErr {
    PyRuntimeError::new_err(format!("{}: {e}", path.display()))
}

fn model_error(e: mace_models::Error) -> PyErr {
    crate::errors::lab(e.into())
}

/// The checkpoint files of `model`: `(config.json, weights.safetensors)`.
fn checkpoint_bytes(model: &ArGmm) -> PyResult<(Vec<u8>, Vec<u8>)> {
    let dir = TempDir::new()?;
    save_ar_gmm(model, None, dir.path()).map_err(model_error)?;
    let read = |name: &str| {
        let path = dir.path().join(name);
        std::fs::read(&path).map_err(|e| io_error(&path, &e))
    };
    Ok((read(CONFIG_FILE)?, read(WEIGHTS_FILE)?))
}

/// The model whose checkpoint files these are (checked as `mace_models` loads a checkpoint).
fn model_from_bytes(config: &[u8], weights: &[u8]) -> PyResult<ArGmm> {
    let dir = TempDir::new()?;
    for (name, bytes) in [(CONFIG_FILE, config), (WEIGHTS_FILE, weights)] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).map_err(|e| io_error(&path, &e))?;
    }
    let (model, _) = load_ar_gmm(dir.path()).map_err(model_error)?;
    Ok(model)
}

impl PyPosterior {
    /// The pickled state: `(version, robot, meta CBOR, config.json bytes, weights bytes)`.
    pub(super) fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let meta = Meta {
            context: self.context.clone(),
            orientation: self.orientation.map(|o| Orientation {
                quaternion: o.quaternion,
                rotation: o.rotation,
                free_axis: o.free_axis,
            }),
            record: self.record.clone(),
            evidence: self.evidence.clone(),
            unreached: self.reached.clone().err(),
            command_scene: self.command_scene.clone(),
        };
        let mut cbor = Vec::new();
        ciborium::into_writer(&meta, &mut cbor)
            .map_err(|e| PyRuntimeError::new_err(format!("cannot pickle the record: {e}")))?;
        let model = &self.model;
        let (config, weights) = py.detach(|| checkpoint_bytes(model))?;
        (
            STATE_VERSION,
            self.robot.clone_ref(py),
            PyBytes::new(py, &cbor),
            PyBytes::new(py, &config),
            PyBytes::new(py, &weights),
        )
            .into_pyobject(py)
    }

    /// The posterior a [`PyPosterior::state`] holds.
    pub(super) fn from_state(state: &Bound<'_, PyTuple>) -> PyResult<Self> {
        let py = state.py();
        let (version, robot, meta, config, weights): (
            u32,
            Py<PyRobot>,
            Bound<'_, PyBytes>,
            Bound<'_, PyBytes>,
            Bound<'_, PyBytes>,
        ) = state.extract()?;
        if version != STATE_VERSION {
            return Err(PyValueError::new_err(format!(
                "a pickled mace.Posterior of format {version}: this module reads format \
                 {STATE_VERSION}"
            )));
        }
        let meta: Meta = ciborium::from_reader(meta.as_bytes()).map_err(|e| {
            PyValueError::new_err(format!("a pickled mace.Posterior's record: {e}"))
        })?;
        let (config, weights) = (config.as_bytes(), weights.as_bytes());
        let model = py.detach(|| model_from_bytes(config, weights))?;
        let sampler = ArGmmSampler::new(&model).map_err(model_error)?;
        Ok(Self {
            model,
            sampler,
            context: meta.context,
            orientation: meta.orientation.map(|o| TargetOrientation {
                quaternion: o.quaternion,
                rotation: o.rotation,
                free_axis: o.free_axis,
            }),
            record: meta.record,
            evidence: meta.evidence,
            reached: meta.unreached.map_or(Ok(()), Err),
            robot,
            command_scene: meta.command_scene,
        })
    }
}
