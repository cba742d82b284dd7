//! Where the shipped priors, robots and scenes are: the repository's `assets/` folder.

use std::path::{Path, PathBuf};

/// The shipped IK prior of the Panda, relative to the repository root.
pub const PANDA_IK_PRIOR: &str = "assets/priors/panda-ik";
/// The shipped shape prior (procedural airplanes), relative to the repository root.
pub const SHAPE_PRIOR: &str = "assets/priors/airplanes";
/// The shipped CVAE baseline, relative to the repository root.
pub const SHAPE_CVAE: &str = "assets/priors/airplanes-cvae";

/// `dir` if given, else the shipped folder `shipped` (a path relative to the repository root):
/// found from the working directory, else from the source tree this crate was built in.
pub fn resolve(dir: Option<&Path>, shipped: &str) -> PathBuf {
    match dir {
        Some(d) => d.to_path_buf(),
        None => {
            let here = PathBuf::from(shipped);
            if here.exists() {
                here
            } else {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../..")
                    .join(shipped)
            }
        }
    }
}
