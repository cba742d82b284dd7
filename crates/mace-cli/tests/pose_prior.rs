//! `mace ik train --pose`: a pose prior trained by the real pipeline records its 9-number
//! context and its tool frame, and the position-prior commands refuse it in one line.

mod common;

use common::{mace, stderr, temp_dir};

#[test]
fn ik_train_pose_makes_a_pose_prior() {
    let dir = temp_dir("train-pose");
    let prior = dir.join("prior");
    let o = mace(&[
        "ik",
        "train",
        "--pose",
        "--n",
        "3000",
        "--epochs",
        "1",
        "--hidden",
        "16",
        "--components",
        "2",
        "-q",
        "--out",
        prior.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(prior.join("config.json")).unwrap()).unwrap();
    let model = &config["model"];
    assert_eq!(model["context_dim"], 9);
    assert_eq!(model["context_mean"].as_array().unwrap().len(), 9);
    assert!(model["chain"]["pose"]["translation"].is_array(), "{model}");
    assert_eq!(model["made_for"]["name"], "panda");
    let o = mace(&["ik", "eval-prior", "--prior", prior.to_str().unwrap()]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("pose prior") && e.trim().lines().count() == 1,
        "{e}"
    );
}
