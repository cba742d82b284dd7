"""Table 1 one target at a time: `mace.table1_targets` draws the targets `mace bench ik-table1`
draws, and `mace.tune` with the command's seeds (`eval_seed = seed + 1000 + i`) gives its row i,
bit for bit."""

import json

import numpy as np
import pytest

import mace


def test_targets_equal_the_cli(panda, cli, tmp_path):
    out = tmp_path / "table1.json"
    p = cli.run("bench", "ik-table1", "--seed", 3, "--targets", 3, "--iterations", 1,
                "--samples", 10, "--json", out)
    assert p.returncode == 0, p.stderr
    expected = [r["target"] for r in json.loads(out.read_text())["rows"]]
    targets = mace.table1_targets(3, seed=3, robot=panda)
    assert targets.shape == (3, 3) and targets.dtype == np.float32
    np.testing.assert_array_equal(targets, np.array(expected, dtype=np.float32))
    # The first targets of a longer draw are the same: a target depends on those before it.
    np.testing.assert_array_equal(mace.table1_targets(2, seed=3), targets[:2])


def test_rows_equal_the_cli(panda, panda_prior, cli, tmp_path):
    out = tmp_path / "table1.json"
    p = cli.run("bench", "ik-table1", "--seed", 3, "--targets", 2, "--iterations", 5,
                "--samples", 100, "--json", out)
    assert p.returncode == 0, p.stderr
    rows = json.loads(out.read_text())["rows"]
    wall = mace.Scene("wall")
    for i, t in enumerate(mace.table1_targets(2, seed=3)):
        for objective in ["mace", "is"]:
            r = mace.tune(panda_prior, panda, wall, target=t, seed=3, objective=objective,
                          eval_samples=100, eval_seed=3 + 1000 + i, iterations=5).report
            assert r["target"] == rows[i]["target"]
            assert r["prior_eval"] == rows[i]["prior"], (i, objective)
            assert r["posterior_eval"] == rows[i][objective], (i, objective)
            assert len(r["report"]["iterations"]) == rows[i][f"{objective}_iterations"]


def test_eval_seed(panda, panda_prior):
    wall = mace.Scene("wall")
    t = mace.table1_targets(1, seed=0)[0]
    tune = lambda **kw: mace.tune(panda_prior, panda, wall, target=t, seed=0, iterations=1,
                                  eval_samples=200, **kw).report["prior_eval"]
    assert tune() == tune(eval_seed=1)            # default: seed + 1
    assert tune(eval_seed=2) != tune(eval_seed=1)
    with pytest.raises(ValueError, match="seed must be an integer"):
        tune(eval_seed=-1)


def test_bad_counts():
    for n in [0, 10_001]:
        with pytest.raises(ValueError, match="n must be between 1 and"):
            mace.table1_targets(n)
