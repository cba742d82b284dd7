//! Integration tests of mace-robot against the reference vectors in `tests/data/` (copied from
//! the project's shared test data; see `tests/data/README.md`).

#![allow(clippy::needless_range_loop)] // index loops over x, y, z read clearer in tests

/// Bad input: clear errors naming file, field or index.
mod bad_input;
/// Collision agreement with the reference (self, wall, window, box) and random-fraction bars.
mod collision;
/// Loading the reference JSON files.
mod data;
/// The IK evidence (simulator + score) against the reference scores.
mod evidence;
/// Forward kinematics: the Panda against the reference, a planar arm against hand-computed values.
mod fk;
/// Obstacles of every kind against closed-form distances and brute force.
mod obstacles;
/// Every parser fuzzed: mutated files and arbitrary bytes never panic.
mod parsers;
/// Robot descriptions and scenes users get wrong: clear errors.
mod robot_bad_input;
/// The shipped robots' kinematics and collision against PyBullet, every obstacle kind.
mod robots;
/// Robot descriptions as ROS packages write them: tips, grippers, bases on the ground.
mod ros_style;
/// Scene files: built-ins equal the paper's set-up and the reference's boxes.
mod scenes;
/// URDF collision meshes: OBJ and STL files found next to the URDF, and clear errors.
mod urdf_meshes;
