"""Robots and priors pickle (by name or path) and work the same after loading; Rust work
releases the GIL, so threads solve side by side."""

import pickle
import threading
import time

import numpy as np

import mace

from conftest import REFERENCE


def test_robot_pickles_by_name(panda):
    r = pickle.loads(pickle.dumps(panda))
    assert r.name == "panda" and r.joint_names == panda.joint_names
    q = panda.random_configurations(10, seed=0)
    np.testing.assert_array_equal(r.fk(q), panda.fk(q))


def test_robot_from_a_urdf_pickles_by_absolute_path(monkeypatch, tmp_path):
    monkeypatch.chdir(REFERENCE)
    r = mace.Robot("planar3.urdf")
    assert r.dof == 4
    data = pickle.dumps(r)
    monkeypatch.chdir(tmp_path)
    s = pickle.loads(data)
    q = np.array([[0.3, -0.7, 1.1, 0.05]])
    np.testing.assert_array_equal(s.fk(q), r.fk(q))


def test_prior_pickles(panda_prior):
    p = pickle.loads(pickle.dumps(panda_prior))
    assert p.dir == panda_prior.dir and p.robot.name == "panda"
    np.testing.assert_array_equal(p.sample([0.5, 0.0, 0.4], 5, seed=1),
                                  panda_prior.sample([0.5, 0.0, 0.4], 5, seed=1))
    q = pickle.loads(pickle.dumps(mace.IkPrior.load(panda_prior.dir)))
    assert q.dir == panda_prior.dir


def test_threads_run_side_by_side(panda, box):
    """Two threads of batch solves take about as long as one would if the GIL were held: the
    answers are the same as serial ones."""
    solver = mace.Solver(panda, box)
    targets = np.tile(box.target, (40, 1))
    serial = solver.solve_batch(targets, seed=0)["q"]
    results = {}

    def work(k):
        results[k] = solver.solve_batch(targets, seed=0)["q"]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    # The main thread keeps running Python while the solves run.
    ticks = 0
    while any(t.is_alive() for t in threads):
        ticks += 1
        time.sleep(0.001)
    for t in threads:
        t.join()
    assert ticks > 0
    for k in range(2):
        np.testing.assert_array_equal(results[k], serial)
