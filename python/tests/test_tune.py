"""MACE tuning from Python equals `mace ik tune` for the same seed; the posterior samples what
fits the scene, and saves where the command can sample it."""

import json

import numpy as np
import pytest

import mace


@pytest.fixture(scope="module")
def window_posterior(panda, panda_prior):
    return mace.tune(panda_prior, panda, mace.Scene("window"), seed=0)


def test_posterior_fits_the_scene(panda, window_posterior):
    p = window_posterior
    rep = p.report
    assert rep["scene"] == "window"
    assert rep["posterior_eval"]["mean_score"] > rep["prior_eval"]["mean_score"]
    assert p.reached and p.reached_message is None
    q = p.sample(1000, seed=3)
    assert q.shape == (1000, 7) and q.dtype == np.float32
    free = ~panda.check(mace.Scene("window"), q)["collides"]
    prior_q = mace.IkPrior.load("panda").sample(p.target, 1000, seed=3)
    prior_free = ~panda.check(mace.Scene("window"), prior_q)["collides"]
    assert free.mean() > 0.8 > prior_free.mean()
    np.testing.assert_array_equal(q, p.sample(1000, seed=3))


def test_tune_equals_cli(window_posterior, cli, tmp_path):
    out = tmp_path / "tuned"
    p = cli.run("ik", "tune", "--scene", "window", "--seed", 0, "--out", out, "--no-pictures",
                "--quiet")
    assert p.returncode == 0, p.stderr
    ref = json.loads((out / "report.json").read_text())
    mine = window_posterior.report
    assert len(mine["report"]["iterations"]) == len(ref["report"]["iterations"])
    for k in ["prior_eval", "posterior_eval"]:
        assert mine[k]["mean_score"] == ref[k]["mean_score"], k
        assert mine[k]["success_rate"] == ref[k]["success_rate"], k
    cli_samples = cli.json("ik", "sample", "--posterior", out, "--n", 6, "--seed", 1)
    np.testing.assert_array_equal(window_posterior.sample(6, seed=1),
                                  np.array([s["q"] for s in cli_samples], dtype=np.float32))


def test_saved_posterior_loads_as_a_prior_and_in_the_cli(panda, window_posterior, cli, tmp_path):
    d = tmp_path / "saved"
    window_posterior.save(d)
    with pytest.raises(FileExistsError):
        window_posterior.save(d)
    window_posterior.save(d, force=True)
    loaded = mace.IkPrior.load(d / "posterior")
    assert loaded.robot.name == "panda"
    np.testing.assert_array_equal(loaded.sample(window_posterior.target, 5, seed=2),
                                  window_posterior.sample(5, seed=2))
    cli_samples = cli.json("ik", "sample", "--posterior", d, "--n", 5, "--seed", 2)
    np.testing.assert_array_equal(window_posterior.sample(5, seed=2),
                                  np.array([s["q"] for s in cli_samples], dtype=np.float32))


def test_save_names_the_scene_for_the_cli(panda, panda_prior, window_posterior, cli, tmp_path):
    """report.json names the scene as `--scene` takes it: a shipped name, a scene file's
    absolute path; a scene changed in Python has no name, and saving says so."""
    d = tmp_path / "empty"
    d.mkdir()
    window_posterior.save(d)                      # an empty folder is fine
    assert json.loads((d / "report.json").read_text())["scene"] == "window"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]   # no staging left
    scene_file = tmp_path / "mine.toml"
    scene_file.write_text('name = "mine"\ntarget = [0.5, 0.0, 0.4]\n'
                          '[[boxes]]\ncenter = [0.3, 0.3, 0.3]\nsize = [0.1, 0.1, 0.6]\n')
    from_file = mace.tune(panda_prior, panda, mace.Scene(str(scene_file)), seed=0, iterations=4,
                          eval_samples=100)
    from_file.save(tmp_path / "file")
    rep = json.loads((tmp_path / "file" / "report.json").read_text())
    assert rep["scene"] == str(scene_file) and from_file.report["scene"] == "mine"
    got = cli.json("ik", "sample", "--posterior", tmp_path / "file", "--n", 4, "--seed", 1)
    np.testing.assert_array_equal(from_file.sample(4, seed=1),
                                  np.array([s["q"] for s in got], dtype=np.float32))
    changed = mace.Scene("box")
    changed.add_sphere(center=[0.3, 0.3, 0.4], radius=0.05)
    p = mace.tune(panda_prior, panda, changed, seed=0, iterations=4, eval_samples=100)
    with pytest.warns(UserWarning, match="changed in Python.*--scene"):
        p.save(tmp_path / "changed")
    assert json.loads((tmp_path / "changed" / "report.json").read_text())["scene"] == "box"
    ground_off = mace.Scene("box")
    ground_off.ground = False
    p = mace.tune(panda_prior, panda, ground_off, seed=0, iterations=4, eval_samples=100)
    with pytest.warns(UserWarning, match="changed in Python"):
        p.save(tmp_path / "ground")


def test_tune_to_another_target_and_objective(panda, panda_prior):
    p = mace.tune(panda_prior, panda, mace.Scene("box"), target=[0.5, -0.1, 0.1025], seed=1,
                  objective="is", eval_samples=200)
    assert p.report["report"]["iterations"]
    np.testing.assert_allclose(p.target, [0.5, -0.1, 0.1025], atol=1e-7)
    with pytest.raises(ValueError, match="unreachable"):
        mace.tune(panda_prior, panda, mace.Scene("box"), target=[3.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="eval_samples"):
        mace.tune(panda_prior, panda, mace.Scene("box"), eval_samples=0)
