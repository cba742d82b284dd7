"""Complete a partial point cloud with the shipped shape prior and a score written in numpy.

    python examples/complete_a_partial_cloud.py

The "scan": one side (x > 0) of an airplane the prior can make, with the other side missing.
The score: how close the scan's points lie to a sampled airplane (one-sided Chamfer distance,
scan to sample). MACE-VAE tunes the latent prior so that its airplanes explain the scan; the
completions then match the whole airplane, the hidden side too, better than the prior's samples.
"""

import numpy as np

import mace

shapes = mace.ShapePrior.load("airplanes")
truth = shapes.sample(1, seed=123)[0]                         # (2048, 3)
scan = truth[truth[:, 0] > 0.0][::4]                          # one side, thinned: (~250, 3)
print(f"scan: {len(scan)} points of one side")


def chamfer_to(points: np.ndarray, clouds: np.ndarray, stride: int = 4) -> np.ndarray:
    """Mean squared distance from each of `points` to its nearest point of each cloud: (n,)."""
    out = np.empty(len(clouds), dtype=np.float64)
    for i, c in enumerate(clouds):
        d = ((points[:, None, :] - c[None, ::stride, :]) ** 2).sum(-1)
        out[i] = d.min(axis=1).mean()
    return out


def score(clouds: np.ndarray) -> np.ndarray:
    """(n, 2048, 3) airplanes -> (n,) in [0, 1]: 1 when they pass through every scanned point."""
    return np.exp(-chamfer_to(scan, clouds) / 0.005)


def full_chamfer(clouds: np.ndarray) -> float:
    """Mean symmetric Chamfer distance of `clouds` to the whole truth."""
    return float(np.mean(chamfer_to(truth[::2], clouds) + [
        chamfer_to(c[::2], truth[None]).item() for c in clouds
    ]))


posterior = shapes.tune(evidence=score, seed=0, iterations=120)
prior_error = full_chamfer(shapes.sample(16, seed=1))
posterior_error = full_chamfer(posterior.sample(16, seed=1))
print(f"Chamfer to the whole airplane: prior {prior_error:.2e}, completions {posterior_error:.2e}")
assert posterior_error < 0.7 * prior_error, (prior_error, posterior_error)
print("ok")
