"""Collision-free IK from Python equals the `mace` binary's answers for the same seed; the
Solver object pays its set-up once."""

import json
import statistics
import time

import numpy as np
import pytest

import mace


@pytest.mark.parametrize("method", ["hybrid", "numeric", "prior"])
def test_solve_equals_cli(panda, box, cli, method):
    out = cli.json("ik", "solve", "--scene", "box", "--method", method, "--trials", 1,
                   "--seed", 3)
    ref = out["reports"][0]
    r = mace.solve(panda, box, method=method, seed=3)
    assert r["q"].dtype == np.float32 and r["q"].shape == (7,)
    np.testing.assert_array_equal(r["q"], np.array(ref["q"], dtype=np.float32))
    assert r["status"] == ref["status"]
    assert r["collision_free"] == ref["collision_free"]
    assert np.float32(r["error"]) == np.float32(ref["error"])
    np.testing.assert_array_equal(r["tcp"], np.array(ref["tcp"], dtype=np.float32))
    assert r["samples"] == ref["samples"] and r["iterations"] == ref["iterations"]


def test_solve_with_target_equals_cli(panda, cli):
    window = mace.Scene("window")
    target = [0.55, 0.05, 0.6]
    out = cli.json("ik", "solve", "--scene", "window", "--target", *target, "--method", "hybrid",
                   "--trials", 1, "--seed", 11)
    r = mace.Solver(panda, window).solve(np.array(target), seed=11)
    np.testing.assert_array_equal(r["q"], np.array(out["reports"][0]["q"], dtype=np.float32))


def test_solved_answer_is_what_it_claims(panda, box):
    r = mace.solve(panda, box, seed=3)
    assert r["solved"] and r["status"] == "solved" and r["collision_free"]
    assert r["error"] <= 1e-4
    tcp = panda.fk(r["q"])[0]
    assert np.linalg.norm(tcp - box.target) == pytest.approx(r["error"], abs=2e-6)
    c = panda.check(box, r["q"])
    assert not c["collides"][0]
    assert c["min_distance"][0] == pytest.approx(r["min_distance"], abs=1e-6)


def test_solver_repeats_and_seeds_differ(panda, box):
    s = mace.Solver(panda, box)
    a, b = s.solve(seed=3), s.solve(seed=3)
    np.testing.assert_array_equal(a["q"], b["q"])
    np.testing.assert_array_equal(a["q"], mace.solve(panda, box, seed=3)["q"])
    qs = {tuple(s.solve(seed=k)["q"]) for k in range(5)}
    assert len(qs) > 1


def test_sample_equals_cli(panda_prior, cli):
    target = [0.5, -0.1, 0.3]
    out = cli.json("ik", "sample", "--target", *target, "--n", 20, "--seed", 5)
    q = panda_prior.sample(target, 20, seed=5)
    assert q.shape == (20, 7) and q.dtype == np.float32
    np.testing.assert_array_equal(q, np.array([s["q"] for s in out], dtype=np.float32))
    np.testing.assert_array_equal(q, panda_prior.sample(np.array(target, dtype=np.float32), 20,
                                                       seed=5))


def test_other_robots_sample_and_solve_equal_cli(cli):
    robot = mace.Robot("xarm6")
    prior = mace.IkPrior.load("xarm6")
    out = cli.json("ik", "sample", "--robot", "xarm6", "--target", 0.3, 0.1, 0.3, "--n", 8,
                   "--seed", 2)
    np.testing.assert_array_equal(prior.sample([0.3, 0.1, 0.3], 8, seed=2),
                                  np.array([s["q"] for s in out], dtype=np.float32))
    shelf = mace.Scene("shelf")
    out = cli.json("ik", "solve", "--robot", "xarm6", "--scene", "shelf", "--method", "hybrid",
                   "--trials", 1, "--seed", 1)
    r = mace.solve(robot, shelf, method="hybrid", seed=1, prior=prior)
    np.testing.assert_array_equal(r["q"], np.array(out["reports"][0]["q"], dtype=np.float32))


def test_solve_batch_equals_cli(panda, box, cli, tmp_path):
    targets_file = tmp_path / "targets.json"
    p = cli.run("ik", "targets", "--scene", "box", "--n", 40, "--seed", 1, "--out", targets_file)
    assert p.returncode == 0, p.stderr
    targets = np.array(json.loads(targets_file.read_text())["targets"], dtype=np.float32)
    targets = np.vstack([targets, [[5.0, 0.0, 0.0]]])          # one beyond reach
    np.save(tmp_path / "targets.npy", targets)
    answers = tmp_path / "answers.jsonl"
    p = cli.run("ik", "solve", "--scene", "box", "--method", "hybrid", "--targets",
                tmp_path / "targets.npy", "--out", answers, "--seed", 2, "--quiet")
    assert p.returncode == 0, p.stderr
    ref = [json.loads(l) for l in answers.read_text().splitlines()]
    r = mace.Solver(panda, box).solve_batch(targets, seed=2)
    n = len(targets)
    assert r["q"].shape == (n, 7) and r["solved"].shape == (n,) and r["error"].shape == (n,)
    for i, a in enumerate(ref):
        assert r["status"][i] == a["status"]
        if a["status"] == "unreachable":
            assert np.isnan(r["q"][i]).all() and not r["reachable"][i]
            continue
        np.testing.assert_array_equal(r["q"][i], np.array(a["q"], dtype=np.float32))
        assert r["solved"][i] == (a["status"] == "solved")
        assert r["collision_free"][i] == a["collision_free"]
    s = r["summary"]
    assert s["targets"] == n and s["unreachable"] == 1 and s["seed"] == 2
    assert s["solved"] == int(r["solved"].sum())
    # The module-level function is the same call.
    r2 = mace.solve_batch(panda, box, targets[:5], seed=2)
    np.testing.assert_array_equal(r2["q"], r["q"][:5])


@pytest.mark.parametrize("scene,seed", [("window", 0), ("box", 1)])
def test_mace_method_equals_cli(panda, cli, scene, seed):
    """Tune, then sample (`--method mace`): the same answer while tuning ends within the budget
    (it stops at a mean score of 0.1, well before 1 s here)."""
    out = cli.json("ik", "solve", "--scene", scene, "--method", "mace", "--trials", 1,
                   "--seed", seed)
    r = mace.Solver(panda, mace.Scene(scene), method="mace").solve(seed=seed)
    assert r["method"] == "mace" and r["tuning_seconds"] > 0
    assert r["seconds"] >= r["tuning_seconds"]
    np.testing.assert_array_equal(r["q"], np.array(out["reports"][0]["q"], dtype=np.float32))
    assert r["status"] == out["reports"][0]["status"]


def test_median_solve_time_in_a_loop(panda, box, cli, capsys):
    """100 hybrid solves of the box target from one Solver; prints the medians (no assert on
    time), beside `mace ik solve --trials 100`'s."""
    s = mace.Solver(panda, box, method="hybrid")
    s.solve(seed=2**64 - 1)  # warm-up, as the command's untimed one
    wall, reported, solved = [], [], 0
    for seed in range(100):
        t0 = time.perf_counter()
        r = s.solve(seed=seed)
        wall.append(time.perf_counter() - t0)
        reported.append(r["seconds"])
        solved += r["solved"]
    out = cli.json("ik", "solve", "--scene", "box", "--method", "hybrid", "--trials", 100,
                   "--seed", 0)
    with capsys.disabled():
        print(
            f"\n[timing] box, hybrid, 100 solves from Python: median {statistics.median(wall) * 1e3:.2f} ms"
            f" wall (incl. call overhead), {statistics.median(reported) * 1e3:.2f} ms reported;"
            f" solved {solved}/100. CLI --trials 100: time_median_s"
            f" {out['summary']['time_median_s'] * 1e3:.2f} ms, solved {out['summary']['solved']}/100"
        )
    assert solved == out["summary"]["solved"]
