"""Tune the IK prior to a score of your own, written in numpy.

    python examples/tune_to_your_score.py

The score: reach the target with the elbow high (joint 4 of the Panda bent less than 1.2 rad)
and the first joint turned left (q[0] > 0.3), a preference no scene encodes. MACE adapts the
shipped prior so that its samples for this target satisfy it, and we check that they do far more
often than the prior's.
"""

import numpy as np

import mace

robot = mace.Robot("panda")
prior = mace.IkPrior.load("panda")
target = np.array([0.45, 0.25, 0.45])


def my_score(q: np.ndarray) -> np.ndarray:
    """(n, 7) configurations -> (n,) scores in [0, 1]: near the target, elbow up, base left."""
    reach = np.exp(-np.linalg.norm(robot.fk(q) - target, axis=1) / 0.02)
    elbow = 1.0 / (1.0 + np.exp(-20.0 * (q[:, 3] + 1.2)))
    left = 1.0 / (1.0 + np.exp(-20.0 * (q[:, 0] - 0.3)))
    return reach * elbow * left


def liked(q: np.ndarray) -> float:
    """Fraction of `q` within 2 cm of the target with the elbow up and the base turned left."""
    near = np.linalg.norm(robot.fk(q) - target, axis=1) < 0.02
    return float(np.mean(near & (q[:, 3] > -1.2) & (q[:, 0] > 0.3)))


posterior = mace.tune(prior, robot, target=target, evidence=my_score, seed=0)
before = liked(prior.sample(target, 2000, seed=1))
after = liked(posterior.sample(2000, seed=1))
print(f"samples that fit the preference: prior {before:.3f}, posterior {after:.3f}")
e = posterior.report["evidence"]
print(f"{e['calls']} calls of my_score, {e['callable_s']:.3f} s in it; mean score {e['prior_mean_score']:.3f} -> {e['posterior_mean_score']:.3f}")
assert after > before + 0.3, (before, after)
print("ok")
