"""A Python callable as MACE's evidence for IK: `mace.tune(..., evidence=f)` tunes the prior to
f's scores; the same seed gives the same posterior; the callable's exceptions and bad scores
reach the caller as Python errors; the callable adds little to a tuning run."""

import json

import numpy as np
import pytest

import mace

TARGET = [0.5, 0.0, 0.4]


def favours_q0(q):
    """Near 1 where the first joint is above 0.5 rad, near 0 below."""
    return 1.0 / (1.0 + np.exp(-20.0 * (q[:, 0] - 0.5)))


@pytest.fixture(scope="module")
def q0_posterior(panda, panda_prior):
    return mace.tune(panda_prior, panda, target=TARGET, evidence=favours_q0, seed=0)


def test_posterior_favours_what_the_evidence_scores(panda_prior, q0_posterior):
    before = (panda_prior.sample(TARGET, 2000, seed=7)[:, 0] > 0.5).mean()
    q = q0_posterior.sample(2000, seed=7)
    assert q.shape == (2000, 7) and q.dtype == np.float32
    after = (q[:, 0] > 0.5).mean()
    assert after >= before + 0.3 and after > 0.9, (before, after)
    rep = q0_posterior.report
    ev = rep["evidence"]
    assert ev["callable"] == "favours_q0" and ev["samples"] == 1000
    assert ev["calls"] == rep["report"]["resamples"] >= 1
    assert ev["posterior_mean_score"] > ev["prior_mean_score"] + 0.3
    # Still conditioned on the target; without a scene, evaluated for self-collisions only.
    assert rep["scene"] == "empty"
    np.testing.assert_allclose(q0_posterior.target, TARGET, atol=1e-7)
    assert q0_posterior.reached, q0_posterior.reached_message
    assert "favours_q0" in repr(q0_posterior)


def test_same_seed_same_posterior(panda, panda_prior, q0_posterior):
    again = mace.tune(panda_prior, panda, target=TARGET, evidence=favours_q0, seed=0)
    np.testing.assert_array_equal(again.sample(500, seed=1), q0_posterior.sample(500, seed=1))
    scores = lambda p: [i["score_mean"] for i in p.report["report"]["iterations"]]
    assert scores(again) == scores(q0_posterior)
    other = mace.tune(panda_prior, panda, target=TARGET, evidence=favours_q0, seed=1,
                      iterations=8)
    assert not np.array_equal(other.sample(500, seed=1), q0_posterior.sample(500, seed=1))


def test_evidence_in_a_scene_may_call_back_into_mace(panda, panda_prior, box, cli, tmp_path):
    """With a scene, the target defaults to the scene's; the callable may use `Robot.check`; the
    posterior saves where `mace ik sample --posterior DIR` samples it."""
    shapes = []

    def free_and_q0(q):
        shapes.append((q.shape, q.dtype, q.flags.c_contiguous))
        return ~panda.check(box, q)["collides"] * favours_q0(q)

    p = mace.tune(panda_prior, panda, box, evidence=free_and_q0, seed=0, iterations=8,
                  eval_samples=200)
    rep = p.report
    assert rep["scene"] == "box" and len(rep["report"]["iterations"]) == 8
    np.testing.assert_array_equal(p.target, box.target)
    assert all(s[1:] == (np.float32, True) and s[0][1] == 7 for s in shapes)
    assert rep["evidence"]["calls"] == len(shapes) - 2   # + prior and posterior evaluation
    assert shapes[-1][0] == (200, 7)
    d = tmp_path / "tuned"
    p.save(d)
    assert "evidence" in json.loads((d / "report.json").read_text())
    got = cli.json("ik", "sample", "--posterior", d, "--n", 5, "--seed", 2)
    np.testing.assert_array_equal(p.sample(5, seed=2),
                                  np.array([s["q"] for s in got], dtype=np.float32))


def test_a_posterior_without_a_scene_saves_for_the_cli(panda, q0_posterior, cli, tmp_path):
    """Tuned without a scene, it saves the empty scene beside its weights, which report.json
    names by its absolute path: `mace ik sample --posterior DIR` samples it and checks
    self-collisions only, as tuning evaluated it."""
    d = tmp_path / "tuned"
    q0_posterior.save(d)
    rep = json.loads((d / "report.json").read_text())
    assert rep["scene"] == str(d / "scene.toml") and (d / "scene.toml").is_file()
    assert q0_posterior.report["scene"] == "empty"
    got = cli.json("ik", "sample", "--posterior", d, "--n", 20, "--seed", 2)
    q = np.array([s["q"] for s in got], dtype=np.float32)
    np.testing.assert_array_equal(q, q0_posterior.sample(20, seed=2))
    flags = panda.check(mace.Scene.empty(ground=False), q)
    assert [s["collides"] for s in got] == flags["collides"].tolist()
    assert not any(s["ground_collision"] or s["obstacle_collision"] for s in got)


def test_tunes_in_threads_equal_serial_ones(panda, panda_prior):
    """Each run takes the GIL back only to call its evidence: runs in threads interleave and
    give the serial answers."""
    import threading

    def tune(seed):
        p = mace.tune(panda_prior, panda, target=TARGET, evidence=favours_q0, seed=seed,
                      iterations=16, eval_samples=50)
        return p.sample(100, seed=0)

    serial = [tune(s) for s in range(2)]
    results = {}
    threads = [threading.Thread(target=lambda s=s: results.update({s: tune(s)}))
               for s in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in range(2):
        np.testing.assert_array_equal(results[s], serial[s])


class Boom(Exception):
    pass


@pytest.mark.parametrize("exc", [ValueError("boom"), Boom("custom", 3), KeyError("k")],
                         ids=["ValueError", "custom", "KeyError"])
def test_the_callables_exception_reaches_the_caller(panda, panda_prior, exc):
    calls = []

    def fails(q):
        calls.append(len(q))
        raise exc

    with pytest.raises(type(exc)) as info:
        mace.tune(panda_prior, panda, target=TARGET, evidence=fails, seed=0)
    assert info.value is exc and str(info.value) == str(exc)
    assert info.traceback[-1].name == "fails"
    assert calls == [1024]   # the tuner stopped at the first call


@pytest.mark.parametrize("scores, message", [
    (lambda n: np.full(n - 1, 0.5), r"returned 1023 scores for 1024 samples"),
    (lambda n: np.zeros((n, 1)), r"returned an array of shape \(1024, 1\) for 1024 samples"),
    (lambda n: 0.5, r"returned an array of shape \(\) for 1024 samples"),
    (lambda n: np.where(np.arange(n) == 3, np.nan, 0.5), r"returned nan at index 3 "),
    (lambda n: np.where(np.arange(n) == 7, 1.5, 0.5), r"returned 1\.5 at index 7 "),
    (lambda n: np.where(np.arange(n) == 0, -0.25, 0.5), r"returned -0\.25 at index 0 "),
    (lambda n: np.where(np.arange(n) == 9, np.inf, 0.5), r"returned inf at index 9 "),
], ids=["short", "2d", "scalar", "nan", "1.5", "negative", "inf"])
def test_bad_scores_are_value_errors(panda, panda_prior, scores, message):
    with pytest.raises(ValueError, match=message):
        mace.tune(panda_prior, panda, target=TARGET, evidence=lambda q: scores(len(q)), seed=0)


def test_scores_of_any_numeric_kind_are_taken(panda, panda_prior):
    for f in [lambda q: q[:, 0] > 0.5, lambda q: [0.5] * len(q),
              lambda q: np.ones(len(q), dtype=np.uint8)]:
        p = mace.tune(panda_prior, panda, target=TARGET, evidence=f, iterations=4,
                      eval_samples=10)
        assert len(p.report["report"]["iterations"]) <= 4


def test_bad_calls(panda, panda_prior):
    with pytest.raises(TypeError, match="got NoneType"):
        mace.tune(panda_prior, panda, target=TARGET, evidence=lambda q: None)
    with pytest.raises(TypeError, match="dtype <U1"):
        mace.tune(panda_prior, panda, target=TARGET, evidence=lambda q: np.array(["a"] * len(q)))
    with pytest.raises(TypeError, match="evidence must be a callable"):
        mace.tune(panda_prior, panda, target=TARGET, evidence=0.5)
    with pytest.raises(ValueError, match="target is required"):
        mace.tune(panda_prior, panda, evidence=favours_q0)
    with pytest.raises(TypeError, match="needs a scene"):
        mace.tune(panda_prior, panda)
    with pytest.raises(ValueError, match="unreachable"):
        mace.tune(panda_prior, panda, target=[3.0, 0.0, 0.0], evidence=favours_q0)
    with pytest.raises(TypeError, match="unexpected keyword argument `iteration`"):
        mace.tune(panda_prior, panda, target=TARGET, evidence=favours_q0, iteration=3)
    with pytest.raises(ValueError, match="iterations must be between 1"):
        mace.tune(panda_prior, panda, target=TARGET, evidence=favours_q0, iterations=0)
    with pytest.raises(ValueError, match="`lr` = -1"):
        mace.tune(panda_prior, panda, target=TARGET, evidence=favours_q0, lr=-1.0)
    with pytest.raises(ValueError, match="`bsz` = 2048"):
        mace.tune(panda_prior, panda, target=TARGET, evidence=favours_q0, bsz=2048)
    with pytest.raises(TypeError, match="keep_best must be True or False"):
        mace.tune(panda_prior, panda, target=TARGET, evidence=favours_q0, keep_best="yes")


def test_overhead_of_a_python_evidence(panda, panda_prior, box, capsys):
    """A cheap numpy score (no ties: the distance to a configuration) against the same tune's
    own time, and the scene's IK score (Rust) with the same knobs. Printed, not asserted."""
    q_ref = np.array([0.3, 0.2, 0.0, -1.8, 0.0, 2.0, 0.8], dtype=np.float32)

    def cheap(q):
        return np.exp(-np.square(q - q_ref).sum(axis=1))

    knobs = dict(iterations=200, stop_at_score=0, keep_best=False, first_sample_max=0)
    p = mace.tune(panda_prior, panda, box, evidence=cheap, seed=0, eval_samples=100, **knobs)
    t, ev = p.report["report"]["timings"], p.report["evidence"]
    rest = t["total_s"] - t["simulate_s"]
    assert ev["calls"] == 50 and 0 < ev["callable_s"] <= t["simulate_s"] < t["total_s"]
    ik = mace.tune(panda_prior, panda, box, seed=0, eval_samples=100, **knobs)
    t_ik = ik.report["report"]["timings"]
    with capsys.disabled():
        print(
            f"\n[timing] tune, 200 iterations, 50 scorings of 1024 configurations: Python "
            f"evidence {t['simulate_s'] * 1e3:.1f} ms ({ev['callable_s'] * 1e3:.1f} ms inside "
            f"the callable, {(t['simulate_s'] - ev['callable_s']) / 50 * 1e6:.0f} us/call "
            f"binding) = {t['simulate_s'] / rest:.2%} on top of the rest of the tune "
            f"({rest * 1e3:.0f} ms: sampling {t['sample_s'] * 1e3:.0f}, updates "
            f"{t['update_s'] * 1e3:.0f}); the box's own IK score (Rust) "
            f"{t_ik['simulate_s'] * 1e3:.1f} ms of {t_ik['total_s'] * 1e3:.0f} ms"
        )
