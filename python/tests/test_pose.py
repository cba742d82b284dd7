"""Pose targets (the tool's orientation beside its position) from Python equal the `mace`
binary's answers for the same seed: one target (`mace ik solve --orientation / --rpy /
--free-axis`), a scene file's target orientation, a batch of `(n, 7)` poses (`--targets
FILE.npy`), tuning to a pose (`mace ik tune` with a scene file's orientation); whichever prior
the command picks (the shipped pose prior where there is one), Python picks the same."""

import json
import math
import pickle

import numpy as np
import pytest

import mace

DOWN = [1.0, 0.0, 0.0, 0.0]           # the hand pointing down: tool z along the base's -z
POSE_SCENE = """name = "posebox"
target = [0.5, 0.1, 0.35]
{orientation}
[[boxes]]
center = [0.75, 0.0, 0.3]
size = [0.05, 0.6, 0.6]
"""


def shipped_pose_prior():
    """The Panda's shipped pose prior folder (it may not be there)."""
    return mace.assets_dir() / "priors" / "panda-ik-pose"


def pose_scene(tmp_path, orientation=True):
    """A scene file with a wall beside the target, with or without its target orientation."""
    line = 'target_orientation = [1.0, 0.0, 0.0, 0.0]\ntarget_free_axis = "z"' if orientation else ""
    f = tmp_path / ("pose.toml" if orientation else "position.toml")
    f.write_text(POSE_SCENE.format(orientation=line))
    return f


def assert_same_solve(r, ref):
    """A solve's dict equals the command's report bit for bit."""
    np.testing.assert_array_equal(r["q"], np.array(ref["q"], dtype=np.float32))
    np.testing.assert_array_equal(r["tcp"], np.array(ref["tcp"], dtype=np.float32))
    assert r["tcp_quaternion"].dtype == np.float32 and r["tcp_quaternion"].shape == (4,)
    np.testing.assert_array_equal(r["tcp_quaternion"],
                                  np.array(ref["tcp_quaternion"], dtype=np.float32))
    assert np.float32(r["error"]) == np.float32(ref["error"])
    if ref.get("rotation_error_deg") is None:
        assert r["rotation_error_deg"] is None
    else:
        assert np.float32(r["rotation_error_deg"]) == np.float32(ref["rotation_error_deg"])
    assert r["status"] == ref["status"] and r["collision_free"] == ref["collision_free"]
    assert r["samples"] == ref["samples"] and r["iterations"] == ref["iterations"]


def assert_prior_is_the_commands(out, method):
    """The command used the shipped pose prior exactly when there is one (the module picks the
    prior by the same rule; equal answers of a prior-using method say it picked the same)."""
    if method == "numeric":
        assert out["prior"] is None
    elif shipped_pose_prior().exists():
        assert out["prior"].endswith("panda-ik-pose"), out["prior"]
    else:
        assert out["prior"].endswith("panda-ik"), out["prior"]


@pytest.fixture(scope="module")
def tiny_pose_prior_dir(cli, tmp_path_factory):
    """A small pose prior trained by the command (a fraction of a second): the pose-prior paths
    are tested whether or not a shipped one exists."""
    d = tmp_path_factory.mktemp("prior") / "tiny-pose"
    p = cli.run("ik", "train", "--pose", "--n", 4000, "--epochs", 1, "--hidden", 16,
                "--components", 2, "--batch", 256, "--out", d, "--quiet")
    assert p.returncode == 0, p.stderr
    return d


CASES = {
    # name: (target, pose arguments for Python, the same as command-line flags)
    "quaternion": ([0.5, 0.0, 0.4], {"orientation": DOWN}, ["--orientation", *DOWN]),
    "rpy-free-z": ([0.4, 0.3, 0.4], {"rpy": [math.pi, 0.0, 0.0], "free_axis": "z"},
                   ["--rpy", math.pi, 0, 0, "--free-axis", "z"]),
    "tolerances": ([0.45, -0.2, 0.3], {"orientation": [0.9238795325112867, 0.3826834323650898,
                                                       0.0, 0.0]},
                   ["--orientation", 0.9238795325112867, 0.3826834323650898, 0, 0]),
}


@pytest.mark.parametrize("method", ["numeric", "hybrid"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_pose_solve_equals_cli(panda, box, cli, method, case):
    target, kw, flags = CASES[case]
    tol = {"pos_tol": 1e-3, "rot_tol": 1.0} if case == "tolerances" else {}
    tol_flags = ["--pos-tol", 0.001, "--rot-tol", 1.0] if tol else []
    out = cli.json("ik", "solve", "--scene", "box", "--target", *target, *flags, *tol_flags,
                   "--method", method, "--seed", 3)
    assert_prior_is_the_commands(out, method)
    r = mace.solve(panda, box, target, method=method, seed=3, **kw, **tol)
    assert_same_solve(r, out["reports"][0])
    assert r["rotation_error_deg"] is not None
    # The Solver object gives the same, and the answer is what it claims.
    s = mace.Solver(panda, box, method=method, **tol)
    assert_same_solve(s.solve(target, seed=3, **kw), out["reports"][0])
    if r["solved"]:
        assert r["rotation_error_deg"] <= tol.get("rot_tol", 0.1)
        assert r["error"] <= tol.get("pos_tol", 1e-4)
        pose = panda.fk_pose(r["q"])[0]
        assert abs(abs(float(np.dot(pose[3:], r["tcp_quaternion"]))) - 1) < 1e-5


def test_position_target_has_no_rotation_error(panda, box, cli):
    out = cli.json("ik", "solve", "--scene", "box", "--method", "hybrid", "--seed", 3)
    r = mace.solve(panda, box, seed=3)
    assert r["rotation_error_deg"] is None
    assert_same_solve(r, out["reports"][0])
    assert out["prior"].endswith("panda-ik")


def test_scene_file_orientation_equals_cli(panda, cli, tmp_path):
    f = pose_scene(tmp_path)
    scene = mace.Scene(str(f))
    np.testing.assert_allclose(scene.target_orientation, DOWN, atol=1e-7)
    assert scene.target_free_axis == "z"
    assert mace.Scene("box").target_orientation is None
    assert pickle.loads(pickle.dumps(scene)).target_free_axis == "z"
    for method in ["numeric", "hybrid"]:
        out = cli.json("ik", "solve", "--scene", f, "--method", method, "--seed", 4)
        np.testing.assert_array_equal(scene.target_orientation,
                                      np.float32(out["target_orientation"]))
        assert out["free_axis"] == "z"
        assert_prior_is_the_commands(out, method)
        r = mace.Solver(panda, scene, method=method).solve(seed=4)
        assert_same_solve(r, out["reports"][0])
        assert r["rotation_error_deg"] is not None
    # An orientation given replaces the scene's, as the flag does.
    out = cli.json("ik", "solve", "--scene", f, "--method", "numeric", "--seed", 4,
                   "--rpy", 3.0, 0.1, 0)
    r = mace.Solver(panda, scene, method="numeric").solve(seed=4, rpy=[3.0, 0.1, 0.0])
    assert_same_solve(r, out["reports"][0])


def pose_targets(panda, box, n, seed):
    """`n` reachable poses: the tool poses of collision-free random configurations."""
    q = panda.random_configurations(20 * n, seed=seed)
    free = ~panda.check(box, q)["collides"]
    return panda.fk_pose(q[free][:n])


@pytest.mark.parametrize("method", ["numeric", "hybrid"])
def test_pose_batch_equals_cli(panda, box, cli, tmp_path, method):
    targets = np.vstack([pose_targets(panda, box, 10, seed=5),
                         [[5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]]).astype(np.float32)  # beyond reach
    np.save(tmp_path / "poses.npy", targets)
    answers = tmp_path / "answers.jsonl"
    p = cli.run("ik", "solve", "--scene", "box", "--method", method, "--targets",
                tmp_path / "poses.npy", "--out", answers, "--seed", 2, "--quiet")
    assert p.returncode == 0, p.stderr
    ref = [json.loads(line) for line in answers.read_text().splitlines()]
    r = mace.Solver(panda, box, method=method).solve_batch(targets, seed=2)
    n = len(targets)
    assert r["tcp_quaternion"].shape == (n, 4) and r["rotation_error_deg"].shape == (n,)
    assert r["summary"]["solved"] > 0
    for i, a in enumerate(ref):
        assert r["status"][i] == a["status"], i
        if a["status"] == "unreachable":
            assert np.isnan(r["tcp_quaternion"][i]).all() and np.isnan(r["rotation_error_deg"][i])
            continue
        np.testing.assert_array_equal(r["q"][i], np.array(a["q"], dtype=np.float32))
        np.testing.assert_array_equal(r["tcp_quaternion"][i],
                                      np.array(a["tcp_quaternion"], dtype=np.float32))
        assert r["rotation_error_deg"][i] == np.float32(a["rotation_error_deg"])
        assert r["error"][i] == np.float32(a["error_m"])
    # Positions only: no rotation errors.
    pos = mace.Solver(panda, box, method=method).solve_batch(targets[:3, :3], seed=2)
    assert np.isnan(pos["rotation_error_deg"]).all() and pos["tcp_quaternion"].shape == (3, 4)


def test_free_axis_batch_equals_cli(panda, box, cli, tmp_path):
    """`free_axis` frees every pose of a batch, as `"free_axis"` in a targets file does."""
    targets = pose_targets(panda, box, 6, seed=8)
    rows = [{"position": [float(v) for v in t[:3]], "orientation": [float(v) for v in t[3:]],
             "free_axis": "z"} for t in targets]
    (tmp_path / "poses.json").write_text(json.dumps(rows))
    answers = tmp_path / "answers.jsonl"
    p = cli.run("ik", "solve", "--scene", "box", "--method", "hybrid", "--targets",
                tmp_path / "poses.json", "--out", answers, "--seed", 7, "--quiet")
    assert p.returncode == 0, p.stderr
    ref = [json.loads(line) for line in answers.read_text().splitlines()]
    r = mace.solve_batch(panda, box, targets, seed=7, free_axis="z")
    for i, a in enumerate(ref):
        assert a["free_axis"] == "z" and r["status"][i] == a["status"]
        np.testing.assert_array_equal(r["q"][i], np.array(a["q"], dtype=np.float32))
        assert r["rotation_error_deg"][i] == np.float32(a["rotation_error_deg"])


BAD = [
    # Python keywords, the same as flags
    ({"orientation": [0, 0, 0.5, 0.5]}, ["--orientation", 0, 0, 0.5, 0.5]),
    ({"orientation": [0, 0, 0, 0]}, ["--orientation", 0, 0, 0, 0]),
    ({"orientation": [0, 0, 1]}, ["--orientation", 0, 0, 1]),
    ({"orientation": [math.nan, 0, 0, 1]}, ["--orientation", "nan", 0, 0, 1]),
    ({"rpy": [0, math.nan, 0]}, ["--rpy", 0, "nan", 0]),
    ({"orientation": DOWN, "rpy": [0, 0, 0]}, ["--orientation", *DOWN, "--rpy", 0, 0, 0]),
    ({"free_axis": "z"}, ["--free-axis", "z"]),
    ({"orientation": DOWN, "free_axis": "w"}, ["--orientation", *DOWN, "--free-axis", "w"]),
    ({"pos_tol": 0.0}, ["--pos-tol", 0]),
    ({"pos_tol": -1e-4}, ["--pos-tol", -0.0001]),
    ({"rot_tol": 0.0}, ["--rot-tol", 0]),
    ({"rot_tol": 200.0}, ["--rot-tol", 200]),
    ({"rot_tol": math.nan}, ["--rot-tol", "nan"]),
]


@pytest.mark.parametrize("kw,flags", BAD, ids=[str(k) for k, _ in BAD])
def test_bad_pose_input_has_the_cli_message(panda, box, cli, kw, flags):
    target = [0.5, 0.0, 0.4]
    msg = cli.error("ik", "solve", "--scene", "box", "--target", *target, *flags)
    with pytest.raises(ValueError) as e:
        mace.solve(panda, box, target, **kw)
    assert str(e.value) == msg
    tol = {k: v for k, v in kw.items() if k.endswith("_tol")}
    if tol:
        with pytest.raises(ValueError) as e:
            mace.Solver(panda, box, **tol)
        assert str(e.value) == msg
        return
    s = mace.Solver(panda, box, method="numeric")
    with pytest.raises(ValueError) as e:
        s.solve(target, **kw)
    assert str(e.value) == msg
    with pytest.raises(ValueError) as e:
        mace.IkPrior.load("panda").sample(target, 4, **kw)
    assert str(e.value) == msg


def test_bad_pose_batches(panda, box, cli, tmp_path):
    s = mace.Solver(panda, box, method="numeric")
    # (n, 5): neither positions nor poses.
    np.save(tmp_path / "five.npy", np.zeros((4, 5), dtype=np.float32))
    msg = cli.error("ik", "solve", "--scene", "box", "--targets", tmp_path / "five.npy")
    with pytest.raises(ValueError, match=r"got shape \(4, 5\)") as e:
        s.solve_batch(np.zeros((4, 5)))
    reason = "targets are (n, 3) positions or (n, 7) poses"
    assert reason in str(e.value) and reason in msg
    # A quaternion that is not unit: the command's reason, naming the row.
    t = np.tile(np.float32([0.5, 0.0, 0.4, *DOWN]), (3, 1))
    t[1, 3:] = [0.0, 0.0, 0.5, 0.5]
    np.save(tmp_path / "bad.npy", t)
    msg = cli.error("ik", "solve", "--scene", "box", "--targets", tmp_path / "bad.npy")
    with pytest.raises(ValueError, match=r"^targets\[1\]: ") as e:
        s.solve_batch(t)
    assert "target 1: " in msg and str(e.value).split(": ", 1)[1] in msg
    assert "not a unit quaternion" in msg
    t[1, 3:] = [np.nan, 0, 0, 1]
    with pytest.raises(ValueError, match=r"targets\[1, 3\] is not finite \(nan\)"):
        s.solve_batch(t)
    # A free axis needs orientations; a bad axis has the flag's message.
    with pytest.raises(ValueError, match="free_axis frees the rotation"):
        s.solve_batch(np.float32([[0.5, 0.0, 0.4]]), free_axis="z")
    msg = cli.error("ik", "solve", "--scene", "box", "--target", 0.5, 0, 0.4, "--orientation",
                    *DOWN, "--free-axis", "q")
    with pytest.raises(ValueError) as e:
        s.solve_batch(t[:1], free_axis="q")
    assert str(e.value) == msg
    with pytest.raises(TypeError):
        s.solve([0.5, 0.0, 0.4], orientation=["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="orientation must be a 1-D array"):
        s.solve([0.5, 0.0, 0.4], orientation=np.eye(4))
    # (The command's parser refuses a fourth --rpy value itself; the library names the count.)
    with pytest.raises(ValueError, match=r"--rpy needs three values R P Y \(rad\), got 4"):
        s.solve([0.5, 0.0, 0.4], rpy=[0, 0, 0, 1])


def test_shipped_pose_prior(panda):
    """`IkPrior.load("panda", pose=True)`: the shipped pose prior, or the library's message
    when this clone has none."""
    assert not mace.IkPrior.load("panda").is_pose
    if not shipped_pose_prior().exists():
        with pytest.raises(ValueError, match="no IK pose prior for robot `panda`"):
            mace.IkPrior.load("panda", pose=True)
        return
    p = mace.IkPrior.load("panda", pose=True)
    assert p.is_pose and p.dir.name == "panda-ik-pose"
    q = p.sample([0.5, 0.0, 0.4], 16, seed=1, orientation=DOWN)
    again = pickle.loads(pickle.dumps(p))
    assert again.is_pose
    np.testing.assert_array_equal(again.sample([0.5, 0.0, 0.4], 16, seed=1, orientation=DOWN), q)


def test_pose_prior_loads_samples_and_pickles(panda, panda_prior, tiny_pose_prior_dir):
    p = mace.IkPrior.load(tiny_pose_prior_dir)
    assert p.is_pose and "pose" in repr(p)
    assert mace.IkPrior.load(tiny_pose_prior_dir, pose=True).is_pose
    with pytest.raises(ValueError, match="not a pose prior"):
        mace.IkPrior.load(panda_prior.dir, pose=True)
    with pytest.raises(ValueError) as e:
        p.sample([0.5, 0.0, 0.4], 4)
    assert str(e.value) == ("the prior is a pose prior: give the target's orientation "
                            "(--orientation or --rpy), or use a position prior")
    q = p.sample([0.5, 0.0, 0.4], 16, seed=1, orientation=DOWN)
    assert q.shape == (16, 7)
    np.testing.assert_allclose(q, p.sample([0.5, 0.0, 0.4], 16, seed=1, rpy=[math.pi, 0, 0]),
                               atol=1e-5)
    assert not np.array_equal(q, p.sample([0.5, 0.0, 0.4], 16, seed=1, orientation=[0, 1, 0, 0]))
    # A free axis spreads the samples over 8 turns about it.
    spun = p.sample([0.5, 0.0, 0.4], 16, seed=1, orientation=DOWN, free_axis="z")
    assert not np.array_equal(q, spun)
    again = pickle.loads(pickle.dumps(p))
    assert again.is_pose
    np.testing.assert_array_equal(again.sample([0.5, 0.0, 0.4], 16, seed=1, orientation=DOWN), q)
    # A position prior samples a pose target by its position.
    np.testing.assert_array_equal(panda_prior.sample([0.5, 0.0, 0.4], 8, seed=2, orientation=DOWN),
                                  panda_prior.sample([0.5, 0.0, 0.4], 8, seed=2))


def test_given_pose_prior_equals_cli(panda, box, cli, tiny_pose_prior_dir, tmp_path):
    prior = mace.IkPrior.load(tiny_pose_prior_dir)
    for kw, flags in [({"orientation": DOWN}, ["--orientation", *DOWN]),
                      ({"orientation": DOWN, "free_axis": "z"},
                       ["--orientation", *DOWN, "--free-axis", "z"])]:
        out = cli.json("ik", "solve", "--scene", "box", "--target", 0.5, 0.0, 0.4, *flags,
                       "--method", "hybrid", "--prior", tiny_pose_prior_dir, "--seed", 6)
        assert out["prior"] == str(tiny_pose_prior_dir)
        r = mace.Solver(panda, box, prior=prior).solve([0.5, 0.0, 0.4], seed=6, **kw)
        assert_same_solve(r, out["reports"][0])
    targets = pose_targets(panda, box, 6, seed=9)
    np.save(tmp_path / "poses.npy", targets)
    answers = tmp_path / "answers.jsonl"
    p = cli.run("ik", "solve", "--scene", "box", "--method", "hybrid", "--targets",
                tmp_path / "poses.npy", "--out", answers, "--seed", 1, "--prior",
                tiny_pose_prior_dir, "--quiet")
    assert p.returncode == 0, p.stderr
    ref = [json.loads(line) for line in answers.read_text().splitlines()]
    r = mace.Solver(panda, box, prior=prior).solve_batch(targets, seed=1)
    for i, a in enumerate(ref):
        np.testing.assert_array_equal(r["q"][i], np.array(a["q"], dtype=np.float32))
    # A pose prior cannot sample a position target: the library's message.
    with pytest.raises(ValueError, match="the prior is a pose prior"):
        mace.Solver(panda, box, prior=prior).solve([0.5, 0.0, 0.4])


def test_tune_to_a_pose_equals_cli(panda, panda_prior, cli, tmp_path):
    """`tune(..., orientation=...)` is `mace ik tune` with a scene file holding that target
    orientation: the same evaluations and tuning curve for the same seed."""
    out = tmp_path / "tuned"
    knobs = {"iterations": 6, "eval_samples": 200}
    p = cli.run("ik", "tune", "--scene", pose_scene(tmp_path), "--seed", 0, "--iterations", 6,
                "--eval-samples", 200, "--out", out, "--no-pictures", "--quiet")
    assert (out / "report.json").exists(), p.stderr
    ref = json.loads((out / "report.json").read_text())
    plain = mace.Scene(str(pose_scene(tmp_path, orientation=False)))
    given = mace.tune(panda_prior, panda, plain, orientation=DOWN, free_axis="z", seed=0, **knobs)
    from_file = mace.tune(panda_prior, panda, mace.Scene(str(pose_scene(tmp_path))), seed=0,
                          **knobs)
    for post in [given, from_file]:
        mine = post.report
        for k in ["prior_eval", "posterior_eval"]:
            assert mine[k] == ref[k], k
        # The evaluation measured the rotation: its collision-free samples have a rotation error.
        e = mine["posterior_eval"]
        assert e["success_rate"] > 0 and e.get("median_rotation_error_deg_success") is not None
        assert [i["score_mean"] for i in mine["report"]["iterations"]] == \
            [i["score_mean"] for i in ref["report"]["iterations"]]
        np.testing.assert_allclose(mine["target_orientation"], DOWN, atol=1e-7)
        assert mine["free_axis"] == "z"
        np.testing.assert_allclose(post.target_orientation, DOWN, atol=1e-7)
        assert post.free_axis == "z"
    np.testing.assert_array_equal(given.sample(8, seed=3), from_file.sample(8, seed=3))
    # A position target's record has no orientation.
    pos = mace.tune(panda_prior, panda, plain, seed=0, iterations=2, eval_samples=50)
    assert pos.target_orientation is None and "target_orientation" not in pos.report
    assert "median_rotation_error_deg_success" not in pos.report["posterior_eval"]


def test_pose_prior_posterior_samples_the_pose(panda, tiny_pose_prior_dir, tmp_path):
    """A pose prior tuned to a pose: the posterior samples conditioned on it, as the saved
    posterior loaded as a pose prior samples that pose."""
    prior = mace.IkPrior.load(tiny_pose_prior_dir)
    scene = mace.Scene(str(pose_scene(tmp_path, orientation=False)))
    post = mace.tune(prior, panda, scene, orientation=DOWN, seed=0, iterations=4,
                     eval_samples=100)
    post.save(tmp_path / "saved")
    loaded = mace.IkPrior.load(tmp_path / "saved" / "posterior")
    assert loaded.is_pose
    np.testing.assert_array_equal(loaded.sample(post.target, 5, seed=2, orientation=DOWN),
                                  post.sample(5, seed=2))
    saved = json.loads((tmp_path / "saved" / "report.json").read_text())
    np.testing.assert_allclose(saved["target_orientation"], DOWN, atol=1e-7)
    assert "free_axis" not in saved
    # To an evidence: the pose prior is conditioned on the pose.
    ev = mace.tune(prior, panda, target=[0.5, 0.0, 0.4], orientation=DOWN,
                   evidence=lambda q: np.ones(len(q)), seed=0, iterations=2, eval_samples=50)
    assert ev.sample(3, seed=0).shape == (3, 7)
    with pytest.raises(ValueError, match="the prior is a pose prior"):
        mace.tune(prior, panda, scene, seed=0, iterations=2)


def test_mace_method_pose_equals_cli(panda, box, cli):
    """Tune, then sample, for a pose (`--method mace`): the same answer while tuning ends within
    the budget (here it ends before its first step: the first sample already scores enough)."""
    out = cli.json("ik", "solve", "--scene", "box", "--target", 0.5, 0.0, 0.4, "--orientation",
                   *DOWN, "--free-axis", "z", "--method", "mace", "--seed", 1)
    r = mace.Solver(panda, box, method="mace").solve([0.5, 0.0, 0.4], seed=1, orientation=DOWN,
                                                     free_axis="z")
    assert r["method"] == "mace" and r["tuning_seconds"] > 0
    assert_same_solve(r, out["reports"][0])


def test_a_shipped_pose_prior_is_picked_as_the_command_picks_it(panda, box, cli, panda_prior,
                                                                 tiny_pose_prior_dir, tmp_path,
                                                                 monkeypatch):
    """With a pose prior where the command looks for the shipped one first (`assets/priors/
    panda-ik-pose` in the working folder), a pose target without a given prior uses it in both,
    single and batch; a position target keeps the position prior."""
    priors = tmp_path / "assets" / "priors"
    priors.mkdir(parents=True)
    (priors / "panda-ik-pose").symlink_to(tiny_pose_prior_dir)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(mace.ASSETS_ENV, raising=False)
    out = cli.json("ik", "solve", "--scene", "box", "--target", 0.5, 0.0, 0.4, "--orientation",
                   *DOWN, "--method", "hybrid", "--seed", 2, cwd=tmp_path)
    assert out["prior"] == "assets/priors/panda-ik-pose"
    solver = mace.Solver(panda, box)
    r = solver.solve([0.5, 0.0, 0.4], seed=2, orientation=DOWN)
    assert_same_solve(r, out["reports"][0])
    other = mace.Solver(panda, box, prior=panda_prior).solve([0.5, 0.0, 0.4], seed=2,
                                                             orientation=DOWN)
    assert not np.array_equal(other["q"], r["q"])       # the position prior answers otherwise
    assert mace.IkPrior.load("panda", pose=True).is_pose
    targets = pose_targets(panda, box, 4, seed=3)
    np.save(tmp_path / "poses.npy", targets)
    p = cli.run("ik", "solve", "--scene", "box", "--method", "hybrid", "--targets", "poses.npy",
                "--out", "answers.jsonl", "--seed", 1, "--quiet", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    ref = [json.loads(line) for line in (tmp_path / "answers.jsonl").read_text().splitlines()]
    R = solver.solve_batch(targets, seed=1)
    for i, a in enumerate(ref):
        np.testing.assert_array_equal(R["q"][i], np.array(a["q"], dtype=np.float32))
    out = cli.json("ik", "solve", "--scene", "box", "--method", "hybrid", "--seed", 2,
                   cwd=tmp_path)
    assert out["prior"].endswith("priors/panda-ik")
    assert_same_solve(solver.solve(seed=2), out["reports"][0])
