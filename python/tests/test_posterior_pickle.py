"""`mace.Posterior` pickles by value: the tuned weights bit for bit, its context, orientation,
record and robot, so that an unpickled posterior (in this process or another) samples the same
arrays and saves the same files; one tuned to an evidence callable pickles too (its record
keeps the scores, the callable is not kept)."""

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mace

TARGET = [0.5, 0.0, 0.4]
DOWN = [1.0, 0.0, 0.0, 0.0]
KNOBS = {"iterations": 4, "eval_samples": 100}
FILES = ["report.json", "posterior/config.json", "posterior/weights.safetensors"]


@pytest.fixture(scope="module")
def window(panda, panda_prior):
    return mace.tune(panda_prior, panda, mace.Scene("window"), seed=0, **KNOBS)


@pytest.fixture(scope="module")
def pose(panda, panda_prior):
    return mace.tune(panda_prior, panda, mace.Scene("window"), orientation=DOWN, free_axis="z",
                     seed=0, **KNOBS)


@pytest.fixture(scope="module")
def evidence(panda, panda_prior):
    # A lambda does not pickle: the posterior does, without it.
    return mace.tune(panda_prior, panda, target=TARGET, seed=0,
                     evidence=lambda q: 1.0 / (1.0 + np.exp(-20.0 * (q[:, 0] - 0.5))), **KNOBS)


def same_files(a, b):
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def assert_same(p, q):
    assert type(q) is mace.Posterior
    assert q.report == p.report
    assert json.dumps(q.report) == json.dumps(p.report)
    np.testing.assert_array_equal(q.target, p.target)
    assert (q.reached, q.reached_message) == (p.reached, p.reached_message)
    assert q.free_axis == p.free_axis
    if p.target_orientation is None:
        assert q.target_orientation is None
    else:
        np.testing.assert_array_equal(q.target_orientation, p.target_orientation)
    assert q.robot.name == p.robot.name and repr(q) == repr(p)
    for n, seed in [(1, 0), (257, 3), (1000, 12345)]:
        a, b = p.sample(n, seed), q.sample(n, seed)
        assert a.dtype == b.dtype == np.float32
        assert a.tobytes() == b.tobytes(), (n, seed)


@pytest.mark.parametrize("name", ["window", "pose", "evidence"])
def test_posterior_pickles_by_value(request, name, tmp_path):
    p = request.getfixturevalue(name)
    data = pickle.dumps(p)
    q = pickle.loads(data)
    assert_same(p, q)
    assert_same(p, pickle.loads(pickle.dumps(q)))     # and again
    # The same files, written to the same folder (a posterior tuned without a scene names the
    # empty scene file beside it by its absolute path).
    p.save(tmp_path / "out")
    first = {f: (tmp_path / "out" / f).read_bytes() for f in FILES}
    q.save(tmp_path / "out", force=True)
    for f in FILES:
        assert (tmp_path / "out" / f).read_bytes() == first[f], f
    if name == "window":
        q.save(tmp_path / "other")
        same_files(tmp_path / "out", tmp_path / "other")
    if name == "evidence":
        assert "evidence" in q.report and q.report["evidence"]["samples"] == 100
        assert (tmp_path / "out" / "scene.toml").exists()
    if name == "pose":
        assert q.free_axis == "z" and q.report["free_axis"] == "z"


def test_saved_unpickled_posterior_samples_in_the_cli(window, cli, tmp_path):
    q = pickle.loads(pickle.dumps(window))
    q.save(tmp_path / "saved")
    got = cli.json("ik", "sample", "--posterior", tmp_path / "saved", "--n", 5, "--seed", 2)
    np.testing.assert_array_equal(window.sample(5, seed=2),
                                  np.array([s["q"] for s in got], dtype=np.float32))


def test_a_changed_scene_still_warns_after_pickling(panda, panda_prior, tmp_path):
    scene = mace.Scene("window")
    scene.add_box([0.3, 0.3, 0.3], [0.1, 0.1, 0.1])
    p = pickle.loads(pickle.dumps(mace.tune(panda_prior, panda, scene, seed=0, **KNOBS)))
    with pytest.warns(UserWarning, match="changed in Python"):
        p.save(tmp_path / "changed")


CHILD = r"""
import pickle, sys
import numpy as np
post = pickle.loads(open(sys.argv[1], "rb").read())
np.save(sys.argv[2], post.sample(300, seed=9))
post.save(sys.argv[3])
"""


@pytest.mark.parametrize("name", ["window", "evidence"])
def test_posterior_unpickles_in_another_process(request, name, tmp_path):
    p = request.getfixturevalue(name)
    (tmp_path / "post.pkl").write_bytes(pickle.dumps(p))
    out = tmp_path / "child"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    r = subprocess.run([sys.executable, "-c", CHILD, tmp_path / "post.pkl", tmp_path / "q.npy",
                        out], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    got = np.load(tmp_path / "q.npy")
    assert got.dtype == np.float32
    assert got.tobytes() == p.sample(300, seed=9).tobytes()
    p.save(tmp_path / "here")
    for f in ["posterior/config.json", "posterior/weights.safetensors"]:
        assert (out / f).read_bytes() == (tmp_path / "here" / f).read_bytes(), f
    mine = json.loads((tmp_path / "here" / "report.json").read_text())
    theirs = json.loads((out / "report.json").read_text())
    if name == "evidence":                  # the empty scene file beside each folder
        assert Path(theirs.pop("scene")) == out / "scene.toml"
        assert Path(mine.pop("scene")) == tmp_path / "here" / "scene.toml"
    else:
        assert (out / "report.json").read_bytes() == (tmp_path / "here" / "report.json").read_bytes()
    assert mine == theirs


def test_posterior_in_a_ray_task(window):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(sys.path)}})
    try:
        @ray.remote
        def draw(post, n, seed):
            return post.sample(n, seed), post.report

        q, report = ray.get(draw.remote(window, 200, 4))
    finally:
        ray.shutdown()
    assert q.tobytes() == window.sample(200, seed=4).tobytes()
    assert report == window.report


def test_a_damaged_state_is_refused(window):
    rebuild, (state,) = window.__reduce__()
    with pytest.raises(ValueError, match="format"):
        rebuild((99,) + state[1:])
    with pytest.raises(ValueError, match="record"):
        rebuild(state[:2] + (b"{}",) + state[3:])
    with pytest.raises(ValueError):
        rebuild(state[:4] + (b"not safetensors",))
