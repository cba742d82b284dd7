"""Pose targets: where the tool is and how it is turned.

    python examples/pose_targets.py

Picks from a table with the hand pointing straight down (tool z along the base's -z), free to
spin about its own z axis (a symmetric gripper), beside a post on the table; then solves a batch
of full poses in the `box` scene at once. Every answer is checked independently: position and
orientation by `Robot.fk_pose`, collisions by `Robot.check`.
"""

import numpy as np

import mace

DOWN = [1.0, 0.0, 0.0, 0.0]          # quaternion x, y, z, w: 180 degrees about the base's x axis
POS_TOL, ROT_TOL = 1e-4, 0.1         # metres, degrees (the defaults of `mace ik solve`)


def tool_axis(quaternion, axis):
    """Column `axis` of the rotation matrix of a unit quaternion (x, y, z, w), in float64."""
    x, y, z, w = np.asarray(quaternion, dtype=np.float64)
    m = np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])
    return m[:, axis]


def angle_deg(a, b):
    """Angle between unit vectors (last axis), degrees; atan2 keeps small angles exact."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), (a * b).sum(-1)))


def rotation_deg(p, q):
    """Angle of the rotation between quaternions p and q (rows x, y, z, w), degrees."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    w = (p * q).sum(-1)                                   # the w of conj(p) * q
    v = p[..., 3:] * q[..., :3] - q[..., 3:] * p[..., :3] - np.cross(p[..., :3], q[..., :3])
    return np.degrees(2 * np.arctan2(np.linalg.norm(v, axis=-1), np.abs(w)))


robot = mace.Robot("panda")
table = mace.Scene.empty(ground=True, name="table")
table.add_box(center=[0.55, 0.0, 0.2], size=[0.5, 0.8, 0.04])              # the table top
table.add_cylinder(center=[0.5, 0.1, 0.35], radius=0.03, length=0.26)      # a post on it
solver = mace.Solver(robot, table, method="hybrid", pos_tol=POS_TOL, rot_tol=ROT_TOL)

# One pose: 5 cm above the table beside the post, pointing down, any spin about the tool's z.
target = np.array([0.5, 0.0, 0.27])
r = solver.solve(target, seed=0, orientation=DOWN, free_axis="z")
print(f"status {r['status']}: TCP error {r['error'] * 1e3:.4f} mm, rotation error "
      f"{r['rotation_error_deg']:.4f} deg, {r['seconds'] * 1e3:.2f} ms")
assert r["solved"], r
assert r["error"] <= POS_TOL and r["rotation_error_deg"] <= ROT_TOL, r
pose = robot.fk_pose(r["q"])[0]
assert np.linalg.norm(pose[:3] - target) <= POS_TOL
pointing = angle_deg(tool_axis(pose[3:], 2), [0.0, 0.0, -1.0])
assert pointing <= ROT_TOL, pointing              # tool z within 0.1 degrees of straight down
assert not robot.check(table, r["q"])["collides"][0]
print(f"tool z is {pointing:.4f} deg from straight down; the hand spun to "
      f"{np.degrees(np.arctan2(*tool_axis(pose[3:], 0)[1::-1])):.1f} deg about it")

# Many full poses at once, (n, 7): position and quaternion, here in the `box` scene (reachable
# ones: the tool poses of collision-free random configurations).
scene = mace.Scene("box")
q = robot.random_configurations(2000, seed=1)
poses = robot.fk_pose(q[~robot.check(scene, q)["collides"]][:50])
R = mace.Solver(robot, scene, method="hybrid").solve_batch(poses, seed=0)
solved = R["solved"]
print(f"{solved.sum()}/{len(poses)} poses solved; rotation error median "
      f"{np.median(R['rotation_error_deg'][solved]):.4f} deg")
assert solved.mean() >= 0.9, solved.mean()
got = robot.fk_pose(R["q"][solved])
assert np.linalg.norm(got[:, :3] - poses[solved, :3], axis=1).max() <= POS_TOL
angle = rotation_deg(got[:, 3:], poses[solved, 3:])
assert angle.max() <= ROT_TOL, angle.max()
assert not robot.check(scene, R["q"][solved])["collides"].any()
print("ok")
