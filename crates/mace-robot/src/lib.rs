//! Robot simulator for MACE's inverse-kinematics experiments: kinematic chains from URDF, batched
//! forward kinematics, exact collision of the links' convex hulls (meshes) and capsules against
//! scenes of boxes and the ground, and the IK evidence (simulator + score) for the tuner.
//!
//! # Example
//! ```
//! use mace_robot::{KinematicChain, Scene, CollisionModel};
//! let chain = KinematicChain::panda();
//! let scene = Scene::by_name("window")?;
//! let model = CollisionModel::new(&chain, &scene);
//! let q = [0.0f32, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785]; // the "ready" pose, rad
//! let poses = chain.forward_kinematics(&q)?;
//! let flags = model.check(&poses);
//! assert!(!flags.any());
//! let tcp = poses[chain.tip()].trans; // metres, base frame
//! assert!((tcp[2] - 0.485).abs() < 0.001);
//! # Ok::<(), mace_robot::Error>(())
//! ```

pub mod chain;
pub mod collision;
pub mod config_file;
pub mod contact;
pub mod dataset;
pub mod error;
pub mod evidence;
pub mod fk;
pub mod geometry;
pub mod hull;
pub mod ik;
pub mod math;
pub mod mesh_file;
pub mod prior_eval;
pub mod robot;
pub mod scene;
pub mod serial;
pub mod solve;
pub mod target;
pub mod urdf;

pub use chain::{ChainLink, JointKind, JointSpec, KinematicChain, LinkShape};
pub use collision::{CollisionFlags, CollisionModel, Distances};
pub use contact::Contact;
pub use dataset::{Dataset, DatasetConfig, MAX_DATASET};
pub use error::{Error, Result};
pub use evidence::{
    ik_evidence, ik_evidence_for, ik_evidence_with_margin, IkObservation, IkScore, IkSimulator,
};
pub use geometry::{Capsule, Obb};
pub use hull::{ConvexHull, MESH_MARGIN};
pub use ik::{IkConfig, IkReport, IkSolver, IkStatus};
pub use math::Pose;
pub use robot::{Robot, RobotStamp};
pub use scene::{Scene, SceneBox, SceneShape};
pub use serial::SerialJoint;
pub use target::{IkTarget, ToolAxis};
