//! `mace.Scene`: obstacles, an optional ground plane and an IK target, loaded as the `mace`
//! command loads them (`wall`, `window`, `box`, `shelf`, `cloud`, `cell` or a scene `.toml`
//! file), or built up with `add_box`, `add_sphere`, `add_capsule`, `add_cylinder`, `add_mesh`
//! and `add_points`. A scene pickles as what it was loaded from plus the obstacles added since,
//! replayed on loading.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mace_robot::math::{rot_from_quat_xyzw, rot_from_rpy};
use mace_robot::{Pose, Scene, SceneBox, SceneShape};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::arrays;
use crate::errors::IntoPy;

/// Most points `add_points` takes (as a scene file's `[[points]]`).
const MAX_POINTS: usize = mace_robot::scene::MAX_POINTS;

/// A scene: obstacles, ground plane `z = 0` (optional) and IK target, robot base frame.
#[pyclass(name = "Scene", module = "mace")]
#[derive(Debug)]
pub(crate) struct PyScene {
    scene: Scene,
    /// What it was loaded from (`None`: built from `Scene.empty`).
    spec: Option<String>,
    /// The ground flag as loaded from `spec`.
    ground_as_loaded: bool,
    /// The obstacles added since, as `(method, kwargs)` to replay when unpickling.
    ops: Vec<Py<PyAny>>,
}

impl PyScene {
    /// A copy of the scene (obstacle clouds and meshes are shared, not copied).
    pub(crate) fn scene(&self) -> Scene {
        self.scene.clone()
    }

    /// How the `mace` command names this scene (`--scene SPEC`: a shipped name or a scene
    /// file's absolute path), if it names exactly these obstacles and ground: `None` for a
    /// scene built from `Scene.empty` or changed since it was loaded (obstacles added, ground
    /// turned on or off).
    pub(crate) fn command_spec(&self) -> Option<String> {
        let unchanged = self.ops.is_empty() && self.scene.ground == self.ground_as_loaded;
        self.spec.clone().filter(|_| unchanged)
    }

    /// Records an added obstacle for pickling.
    fn record(&mut self, py: Python<'_>, method: &str, kwargs: Bound<'_, PyDict>) -> PyResult<()> {
        let op = PyTuple::new(
            py,
            [method.into_pyobject(py)?.into_any(), kwargs.into_any()],
        )?;
        self.ops.push(op.into_any().unbind());
        Ok(())
    }
}

/// The scene `spec` names, as `mace ik … --scene SPEC` loads it (`MACE_ASSETS` overrides where
/// the shipped scene files are).
pub(crate) fn load_scene(spec: &str) -> PyResult<Scene> {
    match crate::assets::scene_file(spec) {
        Some(file) => Scene::from_toml_file(file).py_err(),
        None => mace_lab::ik::scene_with_target(spec, None).py_err(),
    }
}

/// A positive finite size.
fn positive(v: f64, name: &str) -> PyResult<f32> {
    if v.is_finite() && v > 0.0 && (v as f32).is_finite() {
        Ok(v as f32)
    } else {
        Err(PyValueError::new_err(format!(
            "{name} must be a positive finite number of metres, got {v}"
        )))
    }
}

/// An orientation as given: `rpy` (rad, URDF convention Rz·Ry·Rx) or `quat_xyzw`, checked.
#[derive(Debug, Clone, Copy)]
enum Orientation {
    Identity,
    Rpy([f64; 3]),
    Quat([f64; 4]),
}

impl Orientation {
    /// Reads `rpy` or `quat_xyzw` (not both; a quaternion not zero).
    fn read(rpy: Option<&Bound<'_, PyAny>>, quat: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        match (rpy, quat) {
            (Some(_), Some(_)) => Err(PyValueError::new_err("give rpy or quat_xyzw, not both")),
            (Some(r), None) => Ok(Orientation::Rpy(arrays::vector_f64::<3>(r, "rpy")?)),
            (None, Some(q)) => {
                let q = arrays::vector_f64::<4>(q, "quat_xyzw")?;
                if q.iter().all(|v| *v == 0.0) {
                    return Err(PyValueError::new_err("quat_xyzw is zero"));
                }
                Ok(Orientation::Quat(q))
            }
            (None, None) => Ok(Orientation::Identity),
        }
    }

    /// The rotation matrix.
    fn rot(self) -> [[f32; 3]; 3] {
        match self {
            Orientation::Identity => Pose::IDENTITY.rot,
            Orientation::Rpy(r) => rot_from_rpy(r),
            Orientation::Quat(q) => rot_from_quat_xyzw(q),
        }
    }

    /// Adds `rpy` or `quat_xyzw` to replayable keyword arguments.
    fn record(self, kw: &Bound<'_, PyDict>) -> PyResult<()> {
        match self {
            Orientation::Identity => Ok(()),
            Orientation::Rpy(r) => kw.set_item("rpy", r.to_vec()),
            Orientation::Quat(q) => kw.set_item("quat_xyzw", q.to_vec()),
        }
    }

    /// The scene-file line of the orientation (empty for none).
    fn toml(self) -> String {
        match self {
            Orientation::Identity => String::new(),
            Orientation::Rpy(r) => format!("rpy = {}\n", toml_array(&r)),
            Orientation::Quat(q) => format!("quat_xyzw = {}\n", toml_array(&q)),
        }
    }
}

/// A TOML basic string (JSON string escapes are valid TOML ones).
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A TOML array of numbers.
fn toml_array(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:?}")).collect();
    format!("[{}]", parts.join(", "))
}

/// The one obstacle a scene-file fragment `body` (a `[[meshes]]` or `[[points]]` table)
/// describes, read with the scene reader (files, scale, voxel thinning and limits as in files).
fn shape_from_toml(body: &str, method: &str) -> PyResult<SceneShape> {
    let text = format!("target = [0.0, 0.0, 0.0]\nground = false\n{body}");
    let mut s = Scene::from_toml_str(&text).map_err(|e| {
        let line = crate::errors::one_line(&e);
        let line = line.replacen("invalid scene <string>: ", "", 1);
        let line = line.replace("meshes[0].", "").replace("points[0].", "");
        if matches!(e, mace_robot::Error::Candle(_)) {
            pyo3::exceptions::PyRuntimeError::new_err(format!("{method}: {line}"))
        } else {
            PyValueError::new_err(format!("{method}: {line}"))
        }
    })?;
    s.shapes
        .pop()
        .ok_or_else(|| PyValueError::new_err(format!("{method}: nothing was read")))
}

/// `path` as an absolute path string (for the scene reader, and for pickling).
fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

#[pymethods]
impl PyScene {
    /// Loads a scene: `wall`, `window`, `box` (built in), `shelf`, `cloud`, `cell` (files in
    /// the shipped assets) or a scene `.toml` file.
    #[new]
    fn new(spec: &str) -> PyResult<Self> {
        let scene = load_scene(spec)?;
        let spec = if spec.ends_with(".toml") || Path::new(spec).is_file() {
            absolute(Path::new(spec))
        } else {
            spec.to_string()
        };
        Ok(PyScene {
            ground_as_loaded: scene.ground,
            scene,
            spec: Some(spec),
            ops: Vec::new(),
        })
    }

    /// A scene without obstacles (add them with the `add_*` methods): the ground plane `z = 0`
    /// is an obstacle unless `ground=False`; `target` defaults to the origin.
    #[staticmethod]
    #[pyo3(signature = (ground = true, target = None, name = "custom"))]
    fn empty(ground: bool, target: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Self> {
        let target = match target {
            Some(t) => arrays::vector::<3>(t, "target")?,
            None => [0.0; 3],
        };
        let mut scene = Scene::empty(target);
        scene.ground = ground;
        scene.name = name.to_string();
        Ok(PyScene {
            ground_as_loaded: ground,
            scene,
            spec: None,
            ops: Vec::new(),
        })
    }

    /// The scene's name.
    #[getter]
    fn name(&self) -> String {
        self.scene.name.clone()
    }

    /// The scene's own IK target, metres, float32 `(3,)`.
    #[getter]
    fn get_target<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        arrays::floats(py, self.scene.target.to_vec())
    }

    #[setter]
    fn set_target(&mut self, target: &Bound<'_, PyAny>) -> PyResult<()> {
        self.scene.target = arrays::vector::<3>(target, "target")?;
        Ok(())
    }

    /// The scene's own target orientation (a scene file's `target_orientation`), quaternion
    /// (x, y, z, w) float32 `(4,)`, or `None`: solves and tuning use it when given no
    /// orientation.
    #[getter]
    fn target_orientation<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.scene
            .target_orientation
            .map(|o| arrays::floats(py, o.quaternion.to_vec()))
    }

    /// The tool axis the scene's target orientation is free about (`target_free_axis`), or
    /// `None`.
    #[getter]
    fn target_free_axis(&self) -> Option<&'static str> {
        self.scene
            .target_orientation
            .and_then(|o| o.free_axis)
            .map(mace_robot::ToolAxis::name)
    }

    /// Whether the ground plane `z = 0` is an obstacle (for every link but the base).
    #[getter]
    fn get_ground(&self) -> bool {
        self.scene.ground
    }

    #[setter]
    fn set_ground(&mut self, ground: bool) {
        self.scene.ground = ground;
    }

    /// The kind of every obstacle: `box`, then `sphere`, `capsule`, `cylinder`, `mesh`,
    /// `points` in the order added.
    #[getter]
    fn obstacles(&self) -> Vec<String> {
        let boxes = self.scene.boxes.iter().map(|_| "box".to_string());
        boxes
            .chain(self.scene.shapes.iter().map(|s| s.kind().to_string()))
            .collect()
    }

    /// Signed distance from point `p` to the nearest obstacle (not the ground), metres.
    fn distance_to(&self, p: &Bound<'_, PyAny>) -> PyResult<f32> {
        Ok(self
            .scene
            .signed_distance_point(arrays::vector::<3>(p, "p")?))
    }

    /// Adds a box: `center` (m), `size` (full edge lengths, m), orientation `rpy` (rad, URDF
    /// convention) or `quat_xyzw`.
    #[pyo3(signature = (center, size, rpy = None, quat_xyzw = None))]
    fn add_box(
        &mut self,
        py: Python<'_>,
        center: &Bound<'_, PyAny>,
        size: &Bound<'_, PyAny>,
        rpy: Option<&Bound<'_, PyAny>>,
        quat_xyzw: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let c = arrays::vector::<3>(center, "center")?;
        let s = arrays::vector_f64::<3>(size, "size")?;
        let mut sides = [0.0f32; 3];
        for (k, side) in sides.iter_mut().enumerate() {
            *side = positive(s[k], &format!("size[{k}]"))?;
        }
        let orientation = Orientation::read(rpy, quat_xyzw)?;
        self.scene.boxes.push(SceneBox {
            center: c,
            size: sides,
            rot: orientation.rot(),
        });
        let kw = PyDict::new(py);
        kw.set_item("center", c.to_vec())?;
        kw.set_item("size", s.to_vec())?;
        orientation.record(&kw)?;
        self.record(py, "add_box", kw)
    }

    /// Adds a ball: `center` (m) and `radius` (m).
    fn add_sphere(
        &mut self,
        py: Python<'_>,
        center: &Bound<'_, PyAny>,
        radius: f64,
    ) -> PyResult<()> {
        let c = arrays::vector::<3>(center, "center")?;
        let r = positive(radius, "radius")?;
        self.scene.shapes.push(SceneShape::Sphere {
            center: c,
            radius: r,
        });
        let kw = PyDict::new(py);
        kw.set_item("center", c.to_vec())?;
        kw.set_item("radius", radius)?;
        self.record(py, "add_sphere", kw)
    }

    /// Adds a capsule: the points within `radius` of a segment of `length` (m, without the
    /// caps; 0 makes a ball) along the local z axis, centred at `center`, oriented by `rpy` or
    /// `quat_xyzw`.
    #[pyo3(signature = (center, radius, length, rpy = None, quat_xyzw = None))]
    fn add_capsule(
        &mut self,
        py: Python<'_>,
        center: &Bound<'_, PyAny>,
        radius: f64,
        length: f64,
        rpy: Option<&Bound<'_, PyAny>>,
        quat_xyzw: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let o = Orientation::read(rpy, quat_xyzw)?;
        self.add_rod(py, "add_capsule", center, radius, length, o)
    }

    /// Adds a solid cylinder of `length` (m) along the local z axis, centred at `center`,
    /// oriented by `rpy` or `quat_xyzw`.
    #[pyo3(signature = (center, radius, length, rpy = None, quat_xyzw = None))]
    fn add_cylinder(
        &mut self,
        py: Python<'_>,
        center: &Bound<'_, PyAny>,
        radius: f64,
        length: f64,
        rpy: Option<&Bound<'_, PyAny>>,
        quat_xyzw: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let o = Orientation::read(rpy, quat_xyzw)?;
        self.add_rod(py, "add_cylinder", center, radius, length, o)
    }

    /// Adds a triangle mesh from an OBJ or STL `file`: its surface collides (a shelf), or with
    /// `convex=True` its hull; placed at `center` with `rpy` or `quat_xyzw`, scaled by `scale`
    /// (one number or three).
    #[pyo3(signature = (file, center = None, rpy = None, quat_xyzw = None, scale = None, convex = false))]
    #[allow(clippy::too_many_arguments)]
    fn add_mesh(
        &mut self,
        py: Python<'_>,
        file: PathBuf,
        center: Option<&Bound<'_, PyAny>>,
        rpy: Option<&Bound<'_, PyAny>>,
        quat_xyzw: Option<&Bound<'_, PyAny>>,
        scale: Option<&Bound<'_, PyAny>>,
        convex: bool,
    ) -> PyResult<()> {
        let path = absolute(&file);
        let kw = PyDict::new(py);
        kw.set_item("file", &path)?;
        kw.set_item("convex", convex)?;
        let mut body = format!(
            "[[meshes]]\nfile = {}\nconvex = {convex}\n",
            toml_string(&path)
        );
        if let Some(c) = center {
            let c = arrays::vector_f64::<3>(c, "center")?;
            body += &format!("center = {}\n", toml_array(&c));
            kw.set_item("center", c.to_vec())?;
        }
        let orientation = Orientation::read(rpy, quat_xyzw)?;
        body += &orientation.toml();
        orientation.record(&kw)?;
        if let Some(s) = scale {
            match s.extract::<f64>() {
                Ok(v) => {
                    positive(v, "scale")?;
                    body += &format!("scale = {v:?}\n");
                    kw.set_item("scale", v)?;
                }
                Err(_) => {
                    let v = arrays::vector_f64::<3>(s, "scale")?;
                    for (k, x) in v.iter().enumerate() {
                        positive(*x, &format!("scale[{k}]"))?;
                    }
                    body += &format!("scale = {}\n", toml_array(&v));
                    kw.set_item("scale", v.to_vec())?;
                }
            }
        }
        let shape = py.detach(|| shape_from_toml(&body, "add_mesh"))?;
        self.scene.shapes.push(shape);
        self.record(py, "add_mesh", kw)
    }

    /// Adds a point cloud, every point a ball of `radius` (what a depth camera saw): `points`
    /// is an `(n, 3)` array (m, base frame) or a PLY, NPY or JSON file; `voxel` (files only)
    /// keeps one point (the centroid) per voxel of that size.
    #[pyo3(signature = (points, radius, voxel = None))]
    fn add_points(
        &mut self,
        py: Python<'_>,
        points: &Bound<'_, PyAny>,
        radius: f64,
        voxel: Option<f64>,
    ) -> PyResult<()> {
        let r = positive(radius, "radius")?;
        let kw = PyDict::new(py);
        kw.set_item("radius", radius)?;
        let is_path =
            points.is_instance_of::<pyo3::types::PyString>() || points.hasattr("__fspath__")?;
        if is_path {
            let file: PathBuf = points.extract()?;
            let path = absolute(&file);
            let mut body = format!(
                "[[points]]\nfile = {}\nradius = {radius:?}\n",
                toml_string(&path)
            );
            if let Some(v) = voxel {
                positive(v, "voxel")?;
                body += &format!("voxel = {v:?}\n");
                kw.set_item("voxel", v)?;
            }
            let shape = py.detach(|| shape_from_toml(&body, "add_points"))?;
            self.scene.shapes.push(shape);
            kw.set_item("points", path)?;
            return self.record(py, "add_points", kw);
        }
        if voxel.is_some() {
            return Err(PyValueError::new_err(
                "voxel thins point files only; thin an array before passing it",
            ));
        }
        let b = arrays::batch(points, "points", 3, "points x, y, z in metres")?;
        if b.rows > MAX_POINTS {
            return Err(PyValueError::new_err(format!(
                "points has {} rows, more than the limit of {MAX_POINTS}",
                b.rows
            )));
        }
        let pts: Vec<[f32; 3]> = b.data.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
        kw.set_item("points", arrays::matrix(py, b.data, b.rows, 3)?)?;
        self.scene.shapes.push(SceneShape::Points {
            points: Arc::new(pts),
            radius: r,
            file: "<array>".into(),
        });
        self.record(py, "add_points", kw)
    }

    fn __repr__(&self) -> String {
        let t = self.scene.target;
        format!(
            "mace.Scene({:?}: {} obstacle(s), ground {}, target [{}, {}, {}])",
            self.scene.name,
            self.scene.boxes.len() + self.scene.shapes.len(),
            self.scene.ground,
            t[0],
            t[1],
            t[2]
        )
    }

    /// Pickled as `(spec, name, target, ground, added obstacles)`, rebuilt by
    /// [`PyScene::from_state`].
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let me = slf.borrow();
        let ops: Vec<Bound<'py, PyAny>> = me.ops.iter().map(|o| o.bind(py).clone()).collect();
        let state = (
            me.spec.clone(),
            me.scene.name.clone(),
            me.scene.target.to_vec(),
            me.scene.ground,
            ops,
        )
            .into_pyobject(py)?;
        let rebuild = py.get_type::<PyScene>().getattr("_from_state")?;
        PyTuple::new(
            py,
            [rebuild, PyTuple::new(py, [state.into_any()])?.into_any()],
        )
    }

    /// Rebuilds a pickled scene (see `__reduce__`).
    #[staticmethod]
    fn _from_state(py: Python<'_>, state: &Bound<'_, PyTuple>) -> PyResult<Py<PyScene>> {
        let (spec, name, target, ground, ops): (
            Option<String>,
            String,
            Vec<f32>,
            bool,
            Vec<Bound<'_, PyAny>>,
        ) = state.extract()?;
        let scene = match &spec {
            Some(s) => PyScene::new(s)?,
            None => PyScene::empty(ground, None, &name)?,
        };
        let obj = Py::new(py, scene)?;
        {
            let mut me = obj.borrow_mut(py);
            me.scene.name = name;
            me.scene.ground = ground;
            if let [x, y, z] = target.as_slice() {
                me.scene.target = [*x, *y, *z];
            }
        }
        let bound = obj.bind(py);
        for op in ops {
            let (method, kw): (String, Bound<'_, PyDict>) = op.extract()?;
            bound.call_method(method.as_str(), (), Some(&kw))?;
        }
        Ok(obj)
    }
}

impl PyScene {
    /// A capsule or a cylinder.
    fn add_rod(
        &mut self,
        py: Python<'_>,
        method: &str,
        center: &Bound<'_, PyAny>,
        radius: f64,
        length: f64,
        orientation: Orientation,
    ) -> PyResult<()> {
        let trans = arrays::vector::<3>(center, "center")?;
        let radius_f = positive(radius, "radius")?;
        let capsule = method == "add_capsule";
        let length_f = if capsule && length == 0.0 {
            0.0
        } else {
            positive(length, "length")?
        };
        let pose = Pose {
            rot: orientation.rot(),
            trans,
        };
        self.scene.shapes.push(if capsule {
            SceneShape::Capsule {
                pose,
                radius: radius_f,
                length: length_f,
            }
        } else {
            SceneShape::Cylinder {
                pose,
                radius: radius_f,
                length: length_f,
            }
        });
        let kw = PyDict::new(py);
        kw.set_item("center", trans.to_vec())?;
        kw.set_item("radius", radius)?;
        kw.set_item("length", length)?;
        orientation.record(&kw)?;
        self.record(py, method, kw)
    }
}
