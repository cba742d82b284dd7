"""The paper's Table 1 spread over a Ray cluster: one task per target.

    pip install ray
    python examples/ray_table1.py [--targets 10] [--seed 0] [--samples 1000] [--cpus 2]
                                  [--address ADDRESS] [--no-check]

Table 1 tunes the shipped IK prior of the Panda to each of 10 targets behind the wall (scene
`wall`), by MACE and by importance sampling (IS) on the same budget, and scores the prior and
both posteriors on 1000 samples each in the true scene: success (the collision-free fraction),
mean score (0 on a collision, else exp(−TCP error in metres)) and diversity (the mean pairwise
joint distance of the collision-free samples).
The targets do not depend on each other: `mace.table1_targets` draws them as
`mace bench ik-table1` does, and row i is two `mace.tune` calls with the command's seeds (tuning
with `seed`, evaluation with `seed + 1000 + i`) — one Ray task.

Without RAY_ADDRESS (or `--address`) a local cluster of `--cpus` CPUs is started; with it the
script joins that cluster, whose nodes need this module installed and the shipped assets (the
clone it was built from, or MACE_ASSETS, passed on to the tasks).

The check: the numbers must equal those of `mace bench ik-table1` for the same seed, bit for bit
(all but the times). With MACE_BIN (the `mace` binary) set, the binary computes the table beside
the cluster; without it, the rows are computed again one after another in this process
(`--no-check` skips that, e.g. on a large cluster).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import ray

import mace

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--targets", type=int, default=10)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--samples", type=int, default=1000, help="samples scored per model")
parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local cluster")
parser.add_argument("--address", default=None, help="a running cluster (default: RAY_ADDRESS)")
parser.add_argument("--no-check", action="store_true",
                    help="without MACE_BIN, do not compute the rows again serially")
args = parser.parse_args()


def table1_row(prior, robot, target, i, seed, samples):
    """Row i of Table 1: the prior, the MACE and the IS posterior evaluated in the wall scene,
    as `mace bench ik-table1 --seed SEED --samples SAMPLES` computes it."""
    wall = mace.Scene("wall")
    row = {}
    for objective in ["mace", "is"]:
        post = mace.tune(prior, robot, wall, target=target, seed=seed, objective=objective,
                         eval_samples=samples, eval_seed=seed + 1000 + i)
        r = post.report
        row["target"], row["prior"], row[objective] = r["target"], r["prior_eval"], r["posterior_eval"]
        row[f"{objective}_tuning_s"] = r["report"]["timings"]["total_s"]
        row[f"{objective}_iterations"] = len(r["report"]["iterations"])
    return row


robot = mace.Robot("panda")
prior = mace.IkPrior.load("panda")
t0 = time.perf_counter()
targets = mace.table1_targets(args.targets, seed=args.seed, robot=robot)
print(f"{len(targets)} targets behind the wall drawn in {time.perf_counter() - t0:.1f} s")

# The reference: the binary's table, computed beside the cluster's work.
cli = os.environ.get("MACE_BIN")
if cli:
    out = os.path.join(tempfile.mkdtemp(), "table1.json")
    reference = subprocess.Popen(
        [cli, "bench", "ik-table1", "--seed", str(args.seed), "--targets", str(args.targets),
         "--samples", str(args.samples), "--json", out],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

# One thread per task (a task is given one CPU); the asset folder travels with the tasks.
env_vars = {"RAYON_NUM_THREADS": "1"}
if os.environ.get(mace.ASSETS_ENV):
    env_vars[mace.ASSETS_ENV] = os.environ[mace.ASSETS_ENV]
if args.address or os.environ.get("RAY_ADDRESS"):
    ray.init(address=args.address, runtime_env={"env_vars": env_vars})
else:
    ray.init(num_cpus=args.cpus, include_dashboard=False, runtime_env={"env_vars": env_vars})
print(f"Ray cluster: {ray.cluster_resources().get('CPU', 0):.0f} CPUs")

t0 = time.perf_counter()
row_task = ray.remote(num_cpus=1)(table1_row)
prior_ref, robot_ref = ray.put(prior), ray.put(robot)
rows = ray.get([row_task.remote(prior_ref, robot_ref, t, i, args.seed, args.samples)
                for i, t in enumerate(targets)])
cluster_s = time.perf_counter() - t0
ray.shutdown()

print(f"\nTable 1, wall scene: {len(rows)} targets, {args.samples} samples per model, "
      f"{cluster_s:.1f} s on the cluster")
print("| model | score | success | tuning time | diversity (rad) |")
print("|---|---|---|---|---|")
for key, name in [("prior", "prior"), ("mace", "posterior (MACE)"), ("is", "posterior (IS)")]:
    score = np.array([r[key]["mean_score"] for r in rows])
    success = np.array([r[key]["success_rate"] for r in rows])
    tuning = (f"{np.mean([r[f'{key}_tuning_s'] for r in rows]):.2f} s" if key != "prior" else "-")
    div = [r[key]["diversity"] for r in rows if r[key]["diversity"] is not None]
    div = f"{np.mean(div):.2f}" if div else "n/a"
    print(f"| {name} | {score.mean():.3f} ± {score.std():.3f} | {success.mean():.3f} ± "
          f"{success.std():.3f} | {tuning} | {div} |")

# Every number but the times equals the reference's.
if args.no_check and not cli:
    expected, source = rows, None
elif cli:
    _, err = reference.communicate(timeout=1800)
    assert reference.returncode == 0, err
    with open(out) as f:
        expected = json.load(f)["rows"]
    source = "mace bench ik-table1"
else:
    expected = [table1_row(prior, robot, t, i, args.seed, args.samples)
                for i, t in enumerate(targets)]
    source = "the same rows computed serially"
assert len(expected) == len(rows)
for i, (mine, ref) in enumerate(zip(rows, expected)):
    for k in ["target", "prior", "mace", "is", "mace_iterations", "is_iterations"]:
        assert mine[k] == ref[k], (i, k, mine[k], ref[k])
mace_success = np.mean([r["mace"]["success_rate"] for r in rows])
assert mace_success > 0.9 > np.mean([r["is"]["success_rate"] for r in rows]), mace_success
if source:
    print(f"every row equals {source} (seed {args.seed})")
print("ok")
