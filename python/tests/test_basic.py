"""Robots, forward kinematics and collision checks, against independent sources: the PyBullet
3.2.7 reference vectors the Rust tests use (crates/mace-robot/tests/data) and the `mace`
binary's JSON."""

import json

import numpy as np
import pytest

import mace


def test_module_surface():
    for name in ["Robot", "Scene", "IkPrior", "Solver", "Posterior", "solve", "solve_batch",
                 "tune", "assets_dir"]:
        assert hasattr(mace, name), name
    from pathlib import Path

    assert (Path(mace.assets_dir()) / "priors" / "panda-ik").is_dir()


def test_panda_properties_match_reference_header(panda, reference):
    h = reference("panda_fk.json")["header"]
    assert panda.name == "panda"
    assert panda.dof == 7
    assert panda.joint_names == h["joint_names"]
    np.testing.assert_allclose(panda.lower, h["joint_lower"], atol=1e-6)
    np.testing.assert_allclose(panda.upper, h["joint_upper"], atol=1e-6)
    assert panda.lower.dtype == np.float32 and panda.lower.shape == (7,)
    assert panda.link_names[0] == "panda_link0"


def test_fk_matches_pybullet_reference(panda, reference):
    """TCP of the reference's 200 configurations within 1e-5 m of its float64 evaluation."""
    d = reference("panda_fk.json")
    tcp_link = d["header"]["tcp_link"]
    q = np.array([s["q"] for s in d["samples"]], dtype=np.float64)
    expected = np.array([s["links"][tcp_link]["pos_f64"] for s in d["samples"]])
    got = panda.fk(q)
    assert got.dtype == np.float32 and got.shape == (len(q), 3)
    err = np.abs(got.astype(np.float64) - expected).max()
    assert err < 1e-5, err


@pytest.mark.parametrize("robot_name", ["iiwa14", "xarm6"])
def test_fk_of_other_robots_equals_cli(robot_name, reference, cli, tmp_path):
    robot = mace.Robot(robot_name)
    q = [s["q"] for s in reference(f"{robot_name}_fk.json")["samples"]][:50]
    configs = tmp_path / "q.json"
    configs.write_text(json.dumps(q))
    out = cli.json("ik", "fk", "--robot", robot_name, "--configs", configs)
    np.testing.assert_array_equal(robot.fk(np.array(q)), np.array(out["tcp"], dtype=np.float32))


def test_fk_dtype_order_and_strides_agree(panda, reference):
    d = reference("panda_fk.json")
    q = np.array([s["q"] for s in d["samples"]], dtype=np.float64)
    base = panda.fk(q.astype(np.float32))
    np.testing.assert_array_equal(panda.fk(q), base)                       # float64
    np.testing.assert_array_equal(panda.fk(np.asfortranarray(q)), base)    # Fortran order
    wide = np.zeros((len(q) * 2, 14))
    wide[::2, ::2] = q                                                     # strided view
    np.testing.assert_array_equal(panda.fk(wide[::2, ::2]), base)
    np.testing.assert_array_equal(panda.fk(q[3]), base[3:4])               # one row, 1-D
    np.testing.assert_array_equal(panda.fk(q.tolist()), base)              # nested lists
    ints = np.zeros((2, 7), dtype=np.int64)
    np.testing.assert_array_equal(panda.fk(ints), panda.fk(np.zeros((2, 7))))


def test_fk_at_zero_equals_cli(panda, cli, tmp_path):
    configs = tmp_path / "q.json"
    q = [[0.0] * 7, [0.1, -0.2, 0.3, -1.5, 0.2, 1.8, -0.4]]
    configs.write_text(json.dumps(q))
    out = cli.json("ik", "fk", "--configs", configs)
    np.testing.assert_array_equal(panda.fk(np.array(q)), np.array(out["tcp"], dtype=np.float32))


def _scene_labels(reference, name):
    d = reference(f"panda_scene_{name}.json")
    s = d["samples"]
    q = np.array([x["q"] for x in s])
    return q, s


@pytest.mark.parametrize("name", ["wall", "window", "box"])
def test_check_matches_pybullet_reference(panda, reference, name):
    """Every flag agrees with the reference except within 0.1 mm of contact (the two engines'
    GJK tolerances); self and ground distances within 0.1 mm."""
    q, samples = _scene_labels(reference, name)
    r = panda.check(mace.Scene(name), q)
    n = len(q)
    for key in ["collides", "self_collision", "obstacle_collision", "ground_collision", "min_distance",
                "self_distance", "obstacle_distance", "ground_distance"]:
        assert r[key].shape == (n,), key
    assert r["collides"].dtype == np.bool_ and r["min_distance"].dtype == np.float32
    dist = {
        "self_collision": "min_dist_self",
        "obstacle_collision": "min_dist_obstacles",
        "ground_collision": "min_dist_ground",
    }
    for key, dkey in dist.items():
        for i, s in enumerate(samples):
            if bool(r[key][i]) != s[key]:
                assert abs(s[dkey]) < 1e-4, (name, key, i, s[dkey])
    ref_self = np.array([s["min_dist_self"] for s in samples])
    ref_ground = np.array([s["min_dist_ground"] for s in samples])
    assert np.abs(r["self_distance"] - ref_self).max() < 1e-4
    assert np.abs(r["ground_distance"] - ref_ground).max() < 1e-4
    expected_min = np.minimum(np.minimum(r["self_distance"], r["obstacle_distance"]),
                              r["ground_distance"])
    np.testing.assert_array_equal(r["min_distance"], expected_min)
    np.testing.assert_array_equal(r["collides"], r["self_collision"] | r["obstacle_collision"]
                                  | r["ground_collision"])
    np.testing.assert_array_equal(r["tcp"], panda.fk(q))


def test_check_equals_cli(panda, cli, reference, tmp_path):
    q, _ = _scene_labels(reference, "box")
    q = q[:200]
    configs = tmp_path / "q.json"
    configs.write_text(json.dumps(q.tolist()))
    out = cli.json("ik", "check", "--scene", "box", "--configs", configs)
    r = panda.check(mace.Scene("box"), q)
    for key in ["collides", "self_collision", "obstacle_collision", "ground_collision"]:
        assert r[key].tolist() == [c[key] for c in out["configs"]], key
    np.testing.assert_array_equal(r["tcp"], np.array([c["tcp"] for c in out["configs"]],
                                                     dtype=np.float32))


def test_random_configurations_are_in_limits_and_seeded(panda):
    a = panda.random_configurations(1000, seed=4)
    assert a.shape == (1000, 7) and a.dtype == np.float32
    assert (a >= panda.lower).all() and (a <= panda.upper).all()
    np.testing.assert_array_equal(a, panda.random_configurations(1000, seed=4))
    assert not np.array_equal(a, panda.random_configurations(1000, seed=5))


def test_random_configurations_equal_cli_fractions(panda, cli):
    """`mace ik check --random N --seed S` draws the same configurations: same fractions."""
    out = cli.json("ik", "check", "--scene", "window", "--random", 5000, "--seed", 7)
    r = panda.check(mace.Scene("window"), panda.random_configurations(5000, seed=7))
    assert r["collides"].mean() == pytest.approx(out["summary"]["fraction_collides"], abs=1e-12)
    assert r["self_collision"].mean() == pytest.approx(
        out["summary"]["fraction_self_collision"], abs=1e-12)


def test_shipped_robots_load():
    for name, dof in [("panda", 7), ("iiwa14", 7), ("xarm6", 6)]:
        r = mace.Robot(name)
        assert r.dof == dof and r.name == name
        assert "built-in" in r.source
        assert name in repr(r)
