//! One module per command; each turns its arguments into a library config, calls the library
//! (`mace-lab`, `mace-robot`, …) and prints or writes what it returns.

pub(crate) mod bench;
pub(crate) mod bench_heading;
pub(crate) mod bench_ik;
pub(crate) mod bench_pose;
pub(crate) mod bench_scene;
pub(crate) mod bench_shapes;
pub(crate) mod complete;
pub(crate) mod demo;
pub(crate) mod grasp;
pub(crate) mod ik;
pub(crate) mod ik_batch;
pub(crate) mod ik_prior;
pub(crate) mod ik_robot;
pub(crate) mod ik_solve;
pub(crate) mod ik_tune;
pub(crate) mod render;
pub(crate) mod report;
