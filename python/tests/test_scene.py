"""Scenes built in Python collide exactly as the same scenes read from files, and as the PyBullet
reference's; pickling keeps what was added."""

import pickle
from pathlib import Path

import numpy as np
import pytest

import mace

from conftest import REPO

SCENES = REPO / "assets" / "scenes"
KEYS = ["collides", "self_collision", "obstacle_collision", "ground_collision", "min_distance",
        "self_distance", "obstacle_distance", "ground_distance"]


def read_ply_points(path):
    """The x, y, z of a binary little-endian float32 PLY (as the shipped clouds are)."""
    data = Path(path).read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    return np.frombuffer(data[end:], dtype="<f4").reshape(-1, 3)


def assert_same_checks(robot, a, b, q):
    ra, rb = robot.check(a, q), robot.check(b, q)
    for k in KEYS:
        np.testing.assert_array_equal(ra[k], rb[k], err_msg=k)


@pytest.mark.parametrize("name", ["wall", "window", "box"])
def test_boxes_from_the_reference_agree_with_pybullet(panda, reference, name):
    """The reference's boxes (centre, full size, quaternion) added one by one: every label of
    the reference agrees except within 0.1 mm of contact."""
    spec = reference("panda_scenes.json")["scenes"][name]
    s = mace.Scene.empty(ground=True, target=spec["target"], name=name)
    for b in spec["boxes"]:
        s.add_box(b["center"], b["size"], quat_xyzw=b["quat_xyzw"])
    assert s.obstacles == ["box"] * len(spec["boxes"])
    samples = reference(f"panda_scene_{name}.json")["samples"]
    q = np.array([x["q"] for x in samples])
    r = panda.check(s, q)
    for key, dkey in [("self_collision", "min_dist_self"),
                      ("obstacle_collision", "min_dist_obstacles"),
                      ("ground_collision", "min_dist_ground")]:
        for i, x in enumerate(samples):
            if bool(r[key][i]) != x[key]:
                assert abs(x[dkey]) < 1e-4, (name, key, i)


@pytest.mark.parametrize("name", ["wall", "window"])
def test_boxes_from_the_reference_equal_the_shipped_scene(panda, reference, name):
    spec = reference("panda_scenes.json")["scenes"][name]
    s = mace.Scene.empty(ground=True, target=spec["target"])
    for b in spec["boxes"]:
        s.add_box(b["center"], b["size"], quat_xyzw=b["quat_xyzw"])
    assert_same_checks(panda, s, mace.Scene(name), panda.random_configurations(3000, seed=1))


def cell_by_hand(points=None):
    """assets/scenes/cell.toml rebuilt with the add_* methods."""
    s = mace.Scene.empty(ground=True, target=[0.5, 0.0, 0.5], name="cell")
    s.add_box([0.45, -0.45, 0.25], [0.2, 0.1, 0.5], rpy=[0.0, 0.0, 0.4])
    s.add_sphere([0.35, 0.35, 0.55], 0.08)
    s.add_capsule([-0.35, 0.3, 0.45], 0.05, 0.5, rpy=[0.3, 0.0, 0.0])
    s.add_cylinder([-0.3, -0.4, 0.35], 0.06, 0.7)
    s.add_mesh(SCENES / "wedge.obj", center=[0.0, 0.55, 0.15], convex=True)
    s.add_mesh(str(SCENES / "shelf.obj"), center=np.array([0.62, 0.0, 0.0]))
    s.add_points(SCENES / "cell_points.ply" if points is None else points, 0.02)
    return s


@pytest.mark.parametrize("robot_name", ["panda", "xarm6"])
def test_every_obstacle_kind_equals_the_scene_file(robot_name):
    robot = mace.Robot(robot_name)
    s = cell_by_hand()
    assert s.obstacles == ["box", "sphere", "capsule", "cylinder", "mesh", "mesh", "points"]
    assert s.obstacles == mace.Scene("cell").obstacles
    q = robot.random_configurations(3000, seed=2)
    assert_same_checks(robot, s, mace.Scene("cell"), q)
    assert_same_checks(robot, s, mace.Scene(str(SCENES / "cell.toml")), q)
    # The cloud as an array instead of its file.
    pts = read_ply_points(SCENES / "cell_points.ply")
    assert_same_checks(robot, cell_by_hand(points=pts), s, q)
    assert_same_checks(robot, cell_by_hand(points=pts.astype(np.float64).tolist()), s, q)


def test_a_custom_scene_changes_the_answers(panda):
    free = mace.Scene.empty()
    q = panda.random_configurations(2000, seed=3)
    before = panda.check(free, q)["obstacle_collision"]
    assert not before.any()
    free.add_box([0.4, 0.0, 0.5], [0.2, 1.0, 0.02])
    after = panda.check(free, q)["obstacle_collision"]
    assert after.any()


def test_scene_properties(box):
    assert box.name == "box" and box.ground
    np.testing.assert_allclose(box.target, [0.5, -0.1, 0.1025], atol=1e-7)
    s = mace.Scene("box")
    s.target = [0.4, -0.1, 0.1]
    s.ground = False
    assert not s.ground and s.target.tolist() == pytest.approx([0.4, -0.1, 0.1])
    assert s.distance_to([0.5, -0.1, 0.1025]) > 0       # the target is inside the open box
    assert s.distance_to([0.5, -0.1, 0.20375]) < 0      # on the lid plate
    assert "box" in repr(s)


def test_solver_keeps_a_snapshot_of_the_scene(panda):
    s = mace.Scene.empty(target=[0.5, 0.0, 0.4])
    solver = mace.Solver(panda, s)
    a = solver.solve(seed=1)
    s.add_box([0.5, 0.0, 0.4], [0.3, 0.3, 0.3])     # engulfs the target
    b = solver.solve(seed=1)
    np.testing.assert_array_equal(a["q"], b["q"])
    with pytest.warns(UserWarning, match="inside obstacle box 0"):
        r = mace.Solver(panda, s, budget=0.05).solve(seed=1)
    assert not r["solved"]


@pytest.mark.parametrize("make", [
    lambda: mace.Scene("box"),
    lambda: mace.Scene("cell"),
    lambda: mace.Scene(str(SCENES / "shelf.toml")),
    cell_by_hand,
    lambda: cell_by_hand(points=read_ply_points(SCENES / "cell_points.ply")),
])
def test_scenes_pickle_with_what_was_added(panda, make):
    s = make()
    s.add_box([0.3, 0.3, 0.3], [0.1, 0.1, 0.1], rpy=[0.1, 0.2, 0.3])
    s.add_sphere([0.2, -0.3, 0.6], 0.05)
    s.target = [0.45, 0.05, 0.35]
    s.ground = False
    t = pickle.loads(pickle.dumps(s))
    assert t.name == s.name and t.obstacles == s.obstacles and t.ground is False
    np.testing.assert_array_equal(t.target, s.target)
    assert_same_checks(panda, s, t, panda.random_configurations(1000, seed=4))


def test_scene_pickle_does_not_depend_on_the_working_folder(tmp_path, monkeypatch, panda):
    monkeypatch.chdir(SCENES)
    s = mace.Scene("shelf.toml")
    s.add_mesh("wedge.obj", center=[0.0, 0.55, 0.15], convex=True)
    data = pickle.dumps(s)
    monkeypatch.chdir(tmp_path)
    t = pickle.loads(data)
    assert_same_checks(panda, s, t, panda.random_configurations(500, seed=5))
