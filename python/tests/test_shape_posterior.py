"""`ShapePosterior.save` writes a shape prior folder (the VAE as the prior stores it, the tuned
latent prior, the record) published whole; `ShapePrior.load`, `ShapePosterior.load` and the
`mace` command read it back and draw the posterior's clouds bit for bit; posteriors pickle by
value."""

import json
import pickle

import numpy as np
import pytest

import mace

from test_shapes import read_ply, x_extent


@pytest.fixture(scope="module")
def airplanes():
    return mace.ShapePrior.load()


@pytest.fixture(scope="module")
def posterior(airplanes):
    wide = lambda c: 1 / (1 + np.exp(-(x_extent(c) - 0.65) / 0.05))
    return airplanes.tune(wide, seed=0, iterations=32)


@pytest.fixture(scope="module")
def saved(posterior, tmp_path_factory):
    d = tmp_path_factory.mktemp("saved") / "wide"
    posterior.save(d)
    return d


def test_saved_folder_is_a_shape_prior(airplanes, posterior, saved):
    assert sorted(p.name for p in saved.iterdir()) == [
        "config.json", "latent_prior.json", "report.json", "weights.safetensors"]
    assert not [p for p in saved.parent.iterdir() if p.name.startswith(".")]  # no staging left
    config = json.loads((saved / "config.json").read_text())
    shipped = json.loads((airplanes.dir / "config.json").read_text())
    assert config["weights_dtype"] == shipped["weights_dtype"] == "f16"
    assert config["model"] == shipped["model"]
    assert config["training"]["data"] == shipped["training"]["data"]
    latent = json.loads((saved / "latent_prior.json").read_text())
    assert latent["basis"] is not None and len(latent["mean"]) == len(latent["std"]) == 128
    assert json.loads((saved / "report.json").read_text()) == posterior.report
    as_prior = mace.ShapePrior.load(saved)
    assert as_prior.dir == saved
    np.testing.assert_array_equal(as_prior.sample(4, seed=2), posterior.sample(4, seed=2))
    assert not np.array_equal(as_prior.sample(2, seed=2), airplanes.sample(2, seed=2))


def test_load(posterior, saved):
    p = mace.ShapePosterior.load(saved)
    assert p.report == posterior.report
    assert (p.n_points, p.latent_dim) == (2048, 128)
    np.testing.assert_array_equal(p.sample(4, seed=7), posterior.sample(4, seed=7))
    assert "<lambda>: mean score" in repr(p)


def test_the_cli_samples_the_saved_posterior(posterior, saved, cli, tmp_path):
    """`mace complete tune --prior DIR --seed S --eval-samples N` draws N prior samples with
    seed S + 1: here from the saved posterior."""
    shape = tmp_path / "shape.npy"
    np.save(shape, posterior.sample(1, seed=9)[0])
    out = tmp_path / "out"
    p = cli.run("complete", "tune", "--prior", saved, "--shape", shape, "--as-is",
                "--view", 30, 20, "--iterations", 1, "--sample-size", 8, "--eval-samples", 3,
                "--seed", 4, "--out", out, "--quiet")
    assert p.returncode == 0, p.stderr
    mine = posterior.sample(3, seed=5)
    for i in range(3):
        np.testing.assert_array_equal(mine[i], read_ply(out / "prior" / f"sample_{i:02d}.ply"))


def test_save_refuses_a_used_folder_unless_forced(posterior, tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    posterior.save(d)                             # an empty folder is fine
    with pytest.raises(FileExistsError, match="pass force=True"):
        posterior.save(d)
    (d / "extra.txt").write_text("kept?")
    posterior.save(d, force=True)                 # replaced whole
    assert not (d / "extra.txt").exists() and (d / "latent_prior.json").is_file()
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        posterior.save(f, force=True)
    assert f.read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "out"]


def test_pickles_by_value(posterior, saved):
    data = pickle.dumps(posterior)
    assert len(data) < 100_000                    # θ and the record; the VAE by name
    p = pickle.loads(data)
    assert p.report == posterior.report
    np.testing.assert_array_equal(p.sample(4, seed=11), posterior.sample(4, seed=11))
    q = pickle.loads(pickle.dumps(mace.ShapePosterior.load(saved)))
    np.testing.assert_array_equal(q.sample(2, seed=11), posterior.sample(2, seed=11))
    # A pickle of one Gaussian from before mixtures were pickled (four fields) still loads.
    rebuild, (state,) = posterior.__reduce__()
    assert len(state) == 5 and state[4] == ""
    old = rebuild(state[:4])
    np.testing.assert_array_equal(old.sample(2, seed=11), posterior.sample(2, seed=11))


def test_mixture_weights_read_back_bit_for_bit(airplanes, tmp_path):
    """The mixing weights are f64: JSON text (pickles, latent_prior.json) must read back the
    same bits, or a reloaded posterior saves different files (serde_json parses floats exactly
    only with its `float_roundtrip` feature; mace-models tests the parse on 4096 weights)."""
    wide = lambda c: 1 / (1 + np.exp(-(x_extent(c) - 0.65) / 0.05))
    for seed in [2, 5]:
        post = airplanes.tune(wide, seed=seed, objective="mix", sample_size=1024, bsz=1024)
        assert pickle.loads(pickle.dumps(post)).mixture == post.mixture, seed
        post.save(tmp_path / str(seed))
        assert mace.ShapePosterior.load(tmp_path / str(seed)).mixture == post.mixture, seed


def test_a_posterior_without_its_latent_prior_is_refused(saved, tmp_path):
    import shutil
    d = tmp_path / "copy"
    shutil.copytree(saved, d)
    (d / "latent_prior.json").unlink()
    with pytest.raises(ValueError, match="latent_prior.json: missing"):
        mace.ShapePosterior.load(d)


def test_bad_folders(airplanes, tmp_path):
    with pytest.raises(ValueError, match="no shape posterior folder"):
        mace.ShapePosterior.load(tmp_path / "missing")
    with pytest.raises(ValueError, match="no report.json.*ShapePrior.load"):
        mace.ShapePosterior.load(airplanes.dir)


@pytest.fixture(scope="module")
def mixed(airplanes):
    wide = lambda c: 1 / (1 + np.exp(-(x_extent(c) - 0.65) / 0.05))
    return airplanes.tune(wide, seed=0, objective="mix", sample_size=1024, bsz=1024)


def test_a_mixture_posterior_saves_loads_and_pickles(airplanes, mixed, tmp_path, cli):
    """A posterior of objective `mix` is saved with its mixture; Python and the commands read it
    back bit for bit, objective `mix` tunes it further, and the other objectives, which would
    tune one Gaussian in its place, refuse it by name."""
    assert mixed.mixture is not None and airplanes.sample(1, seed=0).shape == (1, 2048, 3)
    d = tmp_path / "mixed"
    mixed.save(d)
    latent = json.loads((d / "latent_prior.json").read_text())
    assert latent["mixture"] == mixed.mixture
    assert latent["mean"] == pytest.approx(mixed.report["posterior_mean"], abs=1e-6)
    for loaded in [mace.ShapePosterior.load(d), mace.ShapePrior.load(d),
                   pickle.loads(pickle.dumps(mixed)),
                   pickle.loads(pickle.dumps(mace.ShapePosterior.load(d)))]:
        np.testing.assert_array_equal(loaded.sample(4, seed=3), mixed.sample(4, seed=3))
    assert mace.ShapePosterior.load(d).mixture == mixed.mixture
    ok = lambda c: np.full(len(c), 0.5)
    with pytest.raises(ValueError, match="`mixture`.*objective mix"):
        mace.ShapePrior.load(d).tune(ok, iterations=2)
    again = mace.ShapePrior.load(d).tune(ok, objective="mix", sample_size=256, bsz=256)
    assert again.report["objective"] == "mix"
    p = cli.run("grasp", "inspect", "--prior", d, "--count", 4, "--json", tmp_path / "q.json")
    assert p.returncode == 0, p.stderr
    p = cli.run("grasp", "tune", "--prior", d, "--shape", 0, "--objective", "mace",
                "--out", tmp_path / "grasp", "--quiet")
    assert p.returncode != 0 and "`mixture`" in p.stderr, p.stderr
    assert not (tmp_path / "grasp").exists()
    shape = tmp_path / "shape.npy"
    np.save(shape, mixed.sample(1, seed=9)[0])
    out = tmp_path / "complete"
    p = cli.run("complete", "tune", "--prior", d, "--shape", shape, "--as-is", "--view", 30, 20,
                "--objective", "mix", "--sample-size", 64, "--eval-samples", 3, "--seed", 4,
                "--out", out, "--quiet")
    assert p.returncode == 0, p.stderr
    mine = mixed.sample(3, seed=5)
    for i in range(3):
        np.testing.assert_array_equal(mine[i], read_ply(out / "prior" / f"sample_{i:02d}.ply"))
