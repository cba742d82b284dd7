"""Shape priors from Python: `ShapePrior.sample` draws what `mace complete tune` draws for the
same seed; `ShapePrior.tune` moves the latent prior towards what a Python evidence scores
well, reproducibly; bad callables and bad input raise Python errors."""

import pickle
import struct

import numpy as np
import pytest

import mace

from conftest import REPO


@pytest.fixture(scope="module")
def airplanes():
    return mace.ShapePrior.load()


def x_extent(clouds):
    return clouds[:, :, 0].max(axis=1) - clouds[:, :, 0].min(axis=1)


@pytest.fixture(scope="module")
def median_extent(airplanes):
    return float(np.median(x_extent(airplanes.sample(256, seed=1))))


@pytest.fixture(scope="module")
def wide(median_extent):
    def wide(clouds):
        """Near 1 for clouds wider along x than the prior's median, near 0 for narrower."""
        return 1.0 / (1.0 + np.exp(-(x_extent(clouds) - median_extent) / 0.05))

    return wide


@pytest.fixture(scope="module")
def wide_posterior(airplanes, wide):
    return airplanes.tune(wide, seed=0, iterations=64)


def read_ply(path):
    """The points of a binary little-endian float32 PLY (as `mace` writes them)."""
    data = path.read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:end].decode()
    assert "binary_little_endian" in header and "property float z" in header, header
    n = int(header.split("element vertex ")[1].split()[0])
    return np.frombuffer(data[end:end + 12 * n], dtype="<f4").reshape(n, 3)


def test_prior_loads_and_samples(airplanes):
    assert airplanes.dir == REPO / "assets" / "priors" / "airplanes"
    assert (airplanes.n_points, airplanes.latent_dim) == (2048, 128)
    c = airplanes.sample(4, seed=3)
    assert c.shape == (4, 2048, 3) and c.dtype == np.float32 and np.isfinite(c).all()
    np.testing.assert_array_equal(c, airplanes.sample(4, seed=3))
    assert not np.array_equal(c, airplanes.sample(4, seed=4))
    by_folder = mace.ShapePrior.load(airplanes.dir)
    np.testing.assert_array_equal(by_folder.sample(2, seed=3), airplanes.sample(2, seed=3))
    assert "2048 points" in repr(airplanes)


def test_prior_samples_equal_the_cli(airplanes, cli, tmp_path):
    """`mace complete tune --seed S --eval-samples N` writes N prior samples drawn with S + 1."""
    shape = tmp_path / "shape.npy"
    np.save(shape, airplanes.sample(1, seed=9)[0])
    out = tmp_path / "out"
    p = cli.run("complete", "tune", "--shape", shape, "--as-is", "--view", 30, 20,
                "--iterations", 1, "--sample-size", 8, "--eval-samples", 3, "--seed", 4,
                "--out", out, "--quiet")
    assert p.returncode == 0, p.stderr
    mine = airplanes.sample(3, seed=5)
    for i in range(3):
        np.testing.assert_array_equal(mine[i], read_ply(out / "prior" / f"sample_{i:02d}.ply"))


def test_the_rolled_prior_is_shipped_too():
    rolled = mace.ShapePrior.load("airplanes-rolled")
    assert rolled.dir == REPO / "assets" / "priors" / "airplanes-rolled"
    assert pickle.loads(pickle.dumps(rolled)).dir == rolled.dir


def test_prior_pickles(airplanes):
    p = pickle.loads(pickle.dumps(airplanes))
    assert p.dir == airplanes.dir
    np.testing.assert_array_equal(p.sample(2, seed=1), airplanes.sample(2, seed=1))
    q = pickle.loads(pickle.dumps(mace.ShapePrior.load(str(airplanes.dir))))
    assert q.dir == airplanes.dir


def test_tuned_clouds_are_wider(airplanes, wide_posterior, median_extent):
    prior = x_extent(airplanes.sample(256, seed=2))
    post_clouds = wide_posterior.sample(256, seed=2)
    assert post_clouds.shape == (256, 2048, 3) and post_clouds.dtype == np.float32
    post = x_extent(post_clouds)
    assert post.mean() >= prior.mean() + 0.03, (prior.mean(), post.mean())
    assert (post > median_extent).mean() >= (prior > median_extent).mean() + 0.1
    rep = wide_posterior.report
    assert rep["objective"] == "mace" and rep["prior"] == str(airplanes.dir)
    ev = rep["evidence"]
    assert ev["callable"].endswith("wide") and ev["samples"] == 49
    assert ev["calls"] == rep["report"]["resamples"] == 8   # 64 steps, a sample every 8
    assert ev["posterior_mean_score"] > ev["prior_mean_score"]
    assert len(rep["posterior_mean"]) == len(rep["posterior_std"]) == 128
    assert (wide_posterior.n_points, wide_posterior.latent_dim) == (2048, 128)


def test_same_seed_same_clouds(airplanes, wide, wide_posterior):
    again = airplanes.tune(wide, seed=0, iterations=64)
    np.testing.assert_array_equal(again.sample(8, seed=5), wide_posterior.sample(8, seed=5))
    assert again.report["posterior_mean"] == wide_posterior.report["posterior_mean"]


def test_mixture_latent_prior(airplanes, wide):
    """Objective `mix`: one MACE step, an EM fit to the best tenth of the sample (its preset)."""
    post = airplanes.tune(wide, seed=0, objective="mix", sample_size=1024, bsz=1024)
    prior = x_extent(airplanes.sample(128, seed=2)).mean()
    assert x_extent(post.sample(128, seed=2)).mean() >= prior + 0.05
    rep = post.report
    assert rep["objective"] == "mix" and len(rep["report"]["iterations"]) == 1
    m = post.mixture
    assert 1 < len(m["weights"]) == rep["components"] <= 8
    assert abs(sum(m["weights"]) - 1) < 1e-9
    assert len(m["means"][0]) == len(m["stds"][0]) == len(rep["posterior_mean"]) == 128
    again = airplanes.tune(wide, seed=0, objective="mix", sample_size=1024, bsz=1024)
    np.testing.assert_array_equal(again.sample(4, seed=5), post.sample(4, seed=5))


def test_exact_update(airplanes, wide):
    post = airplanes.tune(wide, seed=0, objective="exact", iterations=16)
    prior = x_extent(airplanes.sample(128, seed=2)).mean()
    assert x_extent(post.sample(128, seed=2)).mean() >= prior + 0.05
    assert post.report["objective"] == "exact"


class Boom(Exception):
    pass


def test_bad_callables(airplanes):
    seen = []

    def fails(clouds):
        seen.append((clouds.shape, clouds.dtype))
        raise Boom("boom")

    with pytest.raises(Boom, match="^boom$"):
        airplanes.tune(fails, iterations=8)
    assert seen == [((128, 2048, 3), np.float32)]
    for scores, message in [
        (lambda n: np.full(n + 1, 0.5), r"returned 129 scores for 128 samples"),
        (lambda n: np.where(np.arange(n) == 3, np.nan, 0.5), r"returned nan at index 3 "),
        (lambda n: np.where(np.arange(n) == 5, 1.5, 0.5), r"returned 1\.5 at index 5 "),
    ]:
        with pytest.raises(ValueError, match=message):
            airplanes.tune(lambda c: scores(len(c)), iterations=8)
    with pytest.raises(TypeError, match="evidence must be a callable"):
        airplanes.tune("wide")


def test_bad_input(airplanes, tmp_path):
    with pytest.raises(ValueError, match="no shape prior `nope`.*airplanes"):
        mace.ShapePrior.load("nope")
    with pytest.raises(ValueError, match="loading the shape prior.*config.json"):
        mace.ShapePrior.load(tmp_path)
    with pytest.raises(ValueError, match='kind is "mace-cvae", expected "mace-point-vae"'):
        mace.ShapePrior.load(REPO / "assets" / "priors" / "airplanes-cvae")
    for n in [0, 100_001]:
        with pytest.raises(ValueError, match="n must be between 1 and 100000"):
            airplanes.sample(n)
    ok = lambda c: np.full(len(c), 0.5)
    with pytest.raises(ValueError, match="unknown objective `best-of`"):
        airplanes.tune(ok, objective="best-of")
    with pytest.raises(ValueError, match="`keep_best`"):
        airplanes.tune(ok, objective="mix", keep_best=True)
    with pytest.raises(ValueError, match="`time_budget_s` = 100000000000000000000"):
        airplanes.tune(ok, objective="mix", time_budget=1e20)
    for knob in ["sample_size", "first_sample_size"]:           # 24 KB a cloud: refused first
        with pytest.raises(ValueError, match=f"{knob} must be at most 100000 clouds"):
            airplanes.tune(ok, **{knob: 1_000_000})
    with pytest.raises(ValueError, match="step_fraction must be in"):
        airplanes.tune(ok, objective="exact", step_fraction=1.5)
    with pytest.raises(ValueError, match="`quantile` = 2"):
        airplanes.tune(ok, quantile=2.0)
    with pytest.raises(TypeError, match="unexpected keyword argument `iters`"):
        airplanes.tune(ok, iters=3)
