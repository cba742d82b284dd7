"""Collision-free IK in a scene of your own: a table, a back wall and a post, built in Python.

    python examples/solve_in_your_scene.py

Solves a target just above the table, between the post and the wall, with the hybrid method
(samples of the shipped Panda prior refined by numeric IK), then checks the answer
independently: its TCP by forward kinematics, its collisions by `Robot.check`.
"""

import numpy as np

import mace

robot = mace.Robot("panda")

scene = mace.Scene.empty(ground=True, name="my-cell")
scene.add_box(center=[0.55, 0.0, 0.2], size=[0.5, 0.8, 0.04])           # a table top
scene.add_box(center=[0.85, 0.0, 0.6], size=[0.04, 0.8, 0.8])           # a wall behind it
scene.add_cylinder(center=[0.5, 0.2, 0.35], radius=0.03, length=0.26)   # a post on the table
scene.add_sphere(center=[0.45, -0.25, 0.3], radius=0.06)                # a ball on the table
print(scene, scene.obstacles)

target = np.array([0.6, 0.05, 0.3])       # 8 cm above the table top
solver = mace.Solver(robot, scene, method="hybrid", budget=1.0)
r = solver.solve(target, seed=0)
print(f"status {r['status']}, TCP error {r['error'] * 1e3:.3f} mm, {r['seconds'] * 1e3:.2f} ms, "
      f"clearance {r['min_distance'] * 1e3:.1f} mm")
print("q =", np.array2string(r["q"], precision=4))

# Independent checks of the answer.
tcp = robot.fk(r["q"])[0]
check = robot.check(scene, r["q"])
assert r["solved"], r
assert np.linalg.norm(tcp - target) <= 1e-4, tcp
assert not check["collides"][0] and check["min_distance"][0] >= 0.0, check
assert np.all(r["q"] >= robot.lower) and np.all(r["q"] <= robot.upper)

# The same scene without the table: the ground alone. The answers differ, each collision-free
# in its own scene.
bare = mace.Scene.empty(ground=True)
r2 = mace.solve(robot, bare, target, seed=0)
assert r2["solved"] and not robot.check(bare, r2["q"])["collides"][0]
print("without obstacles:", np.array2string(r2["q"], precision=4))
print("ok")
