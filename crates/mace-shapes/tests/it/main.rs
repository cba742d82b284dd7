//! Integration tests of mace-shapes, one module per concept.

mod airplane; // procedural family: determinism, multi-modality, normalisation
mod chamfer; // k-d tree Chamfer vs brute force, variants, diversity
mod completion; // partial-view completion score: choice, bad input, evidence
mod dataset; // ShapeNet folder layout and the 85/5/10 split
mod depth; // partial views: visibility, camera checks, batching
mod grasp; // contacts on known shapes, score forms, misses, tuner traits
mod io; // PLY / NPY / OBJ round trips and errors
mod point_cloud; // validation, normalisation, resampling, tensor layout
mod props; // property tests of every parser: arbitrary bytes never panic, round trips
mod shape_files; // users' files: every format, frames, normalisation, bad input
