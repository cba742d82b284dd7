//! Inverse kinematics experiments: the IK prior, our tuning recipe, solve trials, the demo and
//! the paper's Tables 1 and 2.

pub mod batch;
pub mod demo;
pub mod pose;
pub mod pose_bench;
pub mod pose_eval;
pub mod prior;
pub mod recipe;
pub mod scene_bench;
pub mod table1;
pub mod table2;
pub mod trials;
pub mod tune;
pub mod tune_batch;

pub use batch::{read_targets, solve_batch, BatchSolve, BatchStatus, BatchSummary};
pub use demo::{run_ik_demo, IkDemo, IkDemoRecord};
pub use pose::{context_for, ik_target, sample_for};
pub use pose_bench::{run_pose_bench, PoseBench, PoseBenchConfig};
pub use pose_eval::{
    evaluate_pose_prior, rotation_angle_deg, PoseEvalReport, PoseTargetEval, POSE_TOLERANCE_DEG,
    POSE_TOLERANCE_M,
};
pub use prior::{
    check_reachable, load_pose_prior, load_prior, parse_target, pose_contexts, shipped_pose_prior,
    shipped_prior, tool_frame, IkPrior, IkTrainConfig,
};
pub use recipe::{evaluate_model, scene_with_target, target_warnings, tune_scene, TuneScope};
pub use scene_bench::{run_scene_bench, SceneBench, SceneBenchConfig};
pub use table1::{run_table1, Table1, Table1Config};
pub use table2::{run_table2, Table2, Table2Config};
pub use trials::{run_trials, solve_config, MaceTuning, SolveStats, Trials, TuningCost};
pub use tune::{tune_ik, IkTuneConfig, IkTuneRecord, IkTuneRun};
pub use tune_batch::{
    posterior_folder, tune_batch, TargetTune, TuneBatch, TuneBatchSummary, TuneTargetStatus,
};
