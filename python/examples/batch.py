"""1000 reachable targets solved at once, spread over the cores.

    python examples/batch.py [SCENE]

The targets are TCPs of random configurations that are collision-free in the scene (so each has
at least one answer); `Solver.solve_batch` solves target i with seed i, which makes the answers
independent of the number of threads. Every solved answer is re-checked here: TCP by forward
kinematics, collisions by `Robot.check`.
"""

import sys
import time

import numpy as np

import mace

scene_name = sys.argv[1] if len(sys.argv) > 1 else "box"
robot = mace.Robot("panda")
scene = mace.Scene(scene_name)

# Reachable targets: TCPs of collision-free random configurations.
q = robot.random_configurations(20_000, seed=0)
free = ~robot.check(scene, q)["collides"]
targets = robot.fk(q[free][:1000])
assert len(targets) == 1000, f"only {len(targets)} collision-free configurations"

solver = mace.Solver(robot, scene, method="hybrid")
t0 = time.perf_counter()
r = solver.solve_batch(targets, seed=0)
wall = time.perf_counter() - t0
s = r["summary"]
print(f"{scene_name}: {s['solved']}/{s['targets']} solved in {wall:.2f} s on {s['threads']} threads "
      f"({s['solved_per_s']:.0f} solutions/s); per target median {s['time_median_s'] * 1e3:.2f} ms, "
      f"p90 {s['time_p90_s'] * 1e3:.2f} ms; TCP error median {s['error_median_m'] * 1e3:.4f} mm")

solved = r["solved"]
assert solved.mean() >= 0.95, solved.mean()
tcp = robot.fk(r["q"][solved])
assert np.linalg.norm(tcp - targets[solved], axis=1).max() <= 1e-4
assert not robot.check(scene, r["q"][solved])["collides"].any()
print("ok")
