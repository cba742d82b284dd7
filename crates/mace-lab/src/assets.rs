//! Where the shipped priors, robots and scenes are: the repository's `assets/` folder.

use std::path::{Path, PathBuf};

/// The shipped IK prior of the Panda, relative to the repository root.
pub const PANDA_IK_PRIOR: &str = "assets/priors/panda-ik";
/// The shipped shape prior (procedural airplanes), relative to the repository root.
pub const SHAPE_PRIOR: &str = "assets/priors/airplanes";
/// The shipped CVAE baseline, relative to the repository root.
pub const SHAPE_CVAE: &str = "assets/priors/airplanes-cvae";
/// The shape prior of the reference set-up (airplanes rolled by up to ±45° about z).
pub const SHAPE_PRIOR_ROLLED: &str = "assets/priors/airplanes-rolled";
/// The CVAE of the reference set-up (rolled airplanes, conditioned on the contact points).
pub const SHAPE_CVAE_ROLLED: &str = "assets/priors/airplanes-rolled-cvae";

/// Scenes shipped as files in `assets/scenes/` (beside the built-in `wall`, `window`, `box`):
/// a shelf (a non-convex mesh), a depth camera's point cloud of a table, bin and post, and a
/// cell holding every obstacle kind.
pub const SHIPPED_SCENES: [&str; 3] = ["shelf", "cloud", "cell"];

/// The file of the shipped scene `name`, if it is one.
pub fn shipped_scene(name: &str) -> Option<PathBuf> {
    SHIPPED_SCENES
        .contains(&name)
        .then(|| resolve(None, &format!("assets/scenes/{name}.toml")))
}

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
                let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
                // crates/mace-lab → the repository root.
                let root = manifest.ancestors().nth(2).unwrap_or(manifest);
                root.join(shipped)
            }
        }
    }
}
