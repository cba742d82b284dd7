//! Where the shipped priors and scenes are found.
//!
//! The library (`mace_lab::assets::resolve`) looks for `assets/…` in the working folder, else in
//! the repository clone it was compiled from (a path fixed at build time). An installed module
//! therefore finds them as long as that clone stays where it was when `pip install ./python`
//! ran. `MACE_ASSETS=DIR` (a folder holding `priors/` and `scenes/`, like the repository's
//! `assets/`) overrides both, e.g. for a module moved to another machine.

use std::path::{Path, PathBuf};

/// The environment variable that overrides where the shipped assets are.
pub(crate) const ENV: &str = "MACE_ASSETS";

/// `$MACE_ASSETS/rel` if the variable is set (and not empty).
pub(crate) fn overridden(rel: &str) -> Option<PathBuf> {
    std::env::var_os(ENV)
        .filter(|v| !v.is_empty())
        .map(|dir| Path::new(&dir).join(rel))
}

/// The assets folder of the clone this module was built from.
pub(crate) fn built_in() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .join("assets")
}

/// The assets folder in use: `$MACE_ASSETS`, else the clone this module was built from.
pub(crate) fn dir() -> PathBuf {
    overridden("").unwrap_or_else(built_in)
}

/// The folder of the shipped IK prior of robot `name`, when `MACE_ASSETS` is set (else the
/// library's own lookup applies).
pub(crate) fn prior_dir(name: &str) -> Option<PathBuf> {
    overridden(&format!("priors/{name}-ik"))
}

/// The folder of the shipped IK pose prior of robot `name`, when `MACE_ASSETS` is set.
pub(crate) fn pose_prior_dir(name: &str) -> Option<PathBuf> {
    overridden(&format!("priors/{name}-ik-pose"))
}

/// The file of the shipped scene `name` (`shelf`, `cloud`, `cell`), when `MACE_ASSETS` is set.
pub(crate) fn scene_file(name: &str) -> Option<PathBuf> {
    mace_lab::assets::SHIPPED_SCENES
        .contains(&name)
        .then(|| overridden(&format!("scenes/{name}.toml")))
        .flatten()
}
