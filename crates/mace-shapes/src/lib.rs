//! Point clouds for MACE's shape-inference experiments: I/O (PLY, NPY, PCD, JSON; OFF and OBJ
//! meshes sampled on their surface), users' shape files brought into the prior's frame,
//! the ShapeNet folder layout, a procedural airplane family, Chamfer distances on k-d trees,
//! the grasp-contact simulator and score for the tuner, and a partial-view (depth camera)
//! simulator.
//!
//! Conventions: clouds are `[n, 3]` `f32`, flat row-major `[batch, n·3]` in tensors;
//! normalised to a unit bounding-box diagonal about the box centre (as ShapeNet); up = +y,
//! nose towards −z, wings along x; Chamfer distances are squared.
//!
//! # Example
//! ```
//! use mace_shapes::{pairwise_diversity, AirplaneFamily, GraspScore, GraspSimulator, ScoreForm};
//! let clouds = AirplaneFamily::default().generate(4, 7)?;
//! let sim = GraspSimulator::in_distribution();
//! let target = sim.observe(&clouds[0])?; // 5 contact coordinates
//! let score = GraspScore::new(target, ScoreForm::Mean)?;
//! let simulated = sim.simulate_clouds(&clouds)?;
//! let scores = score.score_batch(&simulated)?;
//! assert_eq!(scores[0], 1.0);
//! assert!(pairwise_diversity(&clouds)? > 0.0);
//! # Ok::<(), mace_shapes::Error>(())
//! ```

pub mod airplane;
pub mod chamfer;
pub mod completion;
pub mod dataset;
pub mod depth;
pub mod error;
pub mod grasp;
pub mod io;
pub mod mesh;
pub mod point_cloud;
pub mod prepare;
pub mod roll;
mod seed;

pub use airplane::{
    AirplaneConfig, AirplaneFamily, AirplaneParams, EngineLayout, SurfaceParams, TailKind, WingPlan,
};
pub use chamfer::{
    chamfer, chamfer_batch, chamfer_k, chamfer_one_sided, chamfer_one_sided_batch,
    pairwise_diversity, NnIndex,
};
pub use completion::{
    add_depth_noise, completion_evidence, observe_partial, CompletionScore, CompletionScoreConfig,
    ViewDistance,
};
pub use dataset::{split_sizes, LoadOptions, ShapeNetDataset, Split, AIRPLANE_SYNSET};
pub use depth::{DepthCamera, DepthCameraConfig};
pub use error::{Error, Result};
pub use grasp::{
    grasp_evidence, GraspConfig, GraspObservation, GraspScore, GraspSimulator, ScoreForm,
    IN_DISTRIBUTION_DIRECTIONS, OUT_OF_DISTRIBUTION_DIRECTIONS,
};
pub use io::{
    read_point_cloud, read_shape, write_point_cloud, PcdEncoding, PlyEncoding, ShapeData,
    ShapeFormat,
};
pub use mesh::Mesh;
pub use point_cloud::{
    clouds_from_tensor, clouds_to_tensor, points_from_flat, tensor_to_flat, CountPolicy,
    Normalization, PointCloud,
};
pub use prepare::{
    load_shape, prepare_shape, Axis, Frame, PrepareOptions, ShapeRecord, MIN_CLOUD_POINTS,
};
pub use roll::{roll_about_z, roll_angle_deg};
