"""Bad input is refused with TypeError or ValueError naming what is wrong, before any work;
library errors carry the `mace` command's one-line message; nothing crashes the interpreter."""

import numpy as np
import pytest

import mace


def test_object_and_string_arrays_are_type_errors(panda):
    with pytest.raises(TypeError, match="q must be a numeric"):
        panda.fk(np.array([["a"] * 7]))
    with pytest.raises(TypeError, match="q must be a numeric"):
        panda.fk(np.array([[object()] * 7], dtype=object))
    with pytest.raises(TypeError, match="dtype bool"):
        panda.fk(np.zeros((2, 7), dtype=bool))
    with pytest.raises(TypeError, match="complex"):
        panda.fk(np.zeros((2, 7), dtype=complex))
    with pytest.raises(TypeError):
        panda.fk("not an array")
    with pytest.raises(TypeError, match="q must be a numeric"):
        panda.fk([[0.0] * 7, [0.0] * 6])  # ragged


def test_integer_and_float_dtypes_are_converted(panda):
    for dtype in [np.int8, np.int32, np.uint16, np.int64, np.float16, np.float32, np.float64]:
        assert panda.fk(np.zeros((3, 7), dtype=dtype)).shape == (3, 3)


@pytest.mark.parametrize("shape", [(2, 8), (2, 6), (8,), (6,), (2, 7, 1), (), (0, 7)])
def test_wrong_shapes(panda, box, shape):
    q = np.zeros(shape)
    with pytest.raises(ValueError, match=r"^q "):
        panda.fk(q)
    with pytest.raises(ValueError, match=r"^q "):
        panda.check(box, q)


def test_shape_message_names_the_expected_shape(panda):
    with pytest.raises(ValueError, match=r"q must have shape \(n, 7\).*got shape \(2, 8\)"):
        panda.fk(np.zeros((2, 8)))
    with pytest.raises(ValueError, match=r"q is empty"):
        panda.fk(np.zeros((0, 7)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e300])
def test_non_finite_q_names_the_element(panda, box, bad):
    q = np.zeros((4, 7))
    q[2, 5] = bad
    with pytest.raises(ValueError, match=r"q\[2, 5\] is not finite"):
        panda.fk(q)
    with pytest.raises(ValueError, match=r"q\[2, 5\] is not finite"):
        panda.check(box, q)
    with pytest.raises(ValueError, match=r"q\[5\] is not finite"):
        panda.fk(q[2])


def test_non_finite_targets(panda, box, panda_prior):
    s = mace.Solver(panda, box)
    with pytest.raises(ValueError, match=r"target\[1\] is not finite \(nan\)"):
        s.solve([0.5, np.nan, 0.2])
    with pytest.raises(ValueError, match=r"target\[2\] is not finite"):
        mace.solve(panda, box, [0.5, 0.1, np.inf])
    with pytest.raises(ValueError, match=r"target\[0\] is not finite"):
        panda_prior.sample([np.nan, 0, 0.5], 3)
    t = np.full((5, 3), 0.4)
    t[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"targets\[3, 1\] is not finite"):
        s.solve_batch(t)
    with pytest.raises(ValueError, match=r"target must be 3 numbers"):
        s.solve([0.5, 0.1])
    with pytest.raises(ValueError, match=r"targets must have shape \(n, 3\)"):
        s.solve_batch(np.zeros((4, 2)))


def test_non_contiguous_targets_work(panda, box):
    s = mace.Solver(panda, box)
    wide = np.zeros((6, 6))
    wide[::2, ::2] = [[0.5, -0.1, 0.1025]] * 3
    r = s.solve_batch(wide[::2, ::2], seed=1)
    assert r["solved"].shape == (3,)
    np.testing.assert_array_equal(r["q"][0], s.solve([0.5, -0.1, 0.1025], seed=1)["q"])
    fortran = np.asfortranarray(np.array([[0.5, -0.1, 0.1025]] * 3))
    np.testing.assert_array_equal(s.solve_batch(fortran, seed=1)["q"], r["q"])


@pytest.mark.parametrize("n", [0, -1, 10_000_001, 2**40, 2**70, -(2**70)])
def test_sample_counts_out_of_range(panda_prior, panda, n):
    with pytest.raises(ValueError, match="n must be between 1 and 10000000"):
        panda_prior.sample([0.5, 0.0, 0.4], n)
    with pytest.raises(ValueError, match="n must be between 1 and 10000000"):
        panda.random_configurations(n)


def test_counts_must_be_integers(panda_prior, panda):
    for n in [1.5, "3", None]:
        with pytest.raises(TypeError, match="n must be an integer"):
            panda_prior.sample([0.5, 0.0, 0.4], n)
    assert panda.random_configurations(np.int64(3)).shape == (3, 7)


def test_bad_seeds(panda, box, panda_prior):
    for seed in [-1, 2**64, 1.5, "3"]:
        with pytest.raises(ValueError, match="seed must be an integer"):
            panda_prior.sample([0.5, 0.0, 0.4], 3, seed=seed)
        with pytest.raises(ValueError, match="seed must be an integer"):
            mace.Solver(panda, box).solve(seed=seed)
    # The largest seed works (the command's warm-up uses it).
    assert panda_prior.sample([0.5, 0.0, 0.4], 2, seed=2**64 - 1).shape == (2, 7)


def test_unknown_robot_has_the_cli_message(cli, tmp_path):
    with pytest.raises(ValueError) as e:
        mace.Robot("foo")
    q = tmp_path / "q.json"
    q.write_text("[[0,0,0,0,0,0,0]]")
    assert str(e.value) == cli.error("ik", "fk", "--robot", "foo", "--configs", q)


def test_unknown_scene_has_the_cli_message(cli):
    with pytest.raises(ValueError) as e:
        mace.Scene("nope")
    assert str(e.value) == cli.error("ik", "solve", "--scene", "nope")


def test_prior_of_another_robot_is_refused_with_the_cli_message(panda, box, cli):
    iiwa = mace.IkPrior.load("iiwa14")
    with pytest.raises(ValueError, match="was made for robot iiwa14") as e:
        mace.Solver(panda, box, prior=iiwa)
    msg = cli.error("ik", "solve", "--scene", "box", "--method", "hybrid", "--prior", iiwa.dir)
    assert str(e.value) == msg
    with pytest.raises(ValueError, match="was made for robot iiwa14"):
        mace.solve(panda, box, prior=iiwa)
    with pytest.raises(ValueError, match="was made for robot iiwa14"):
        mace.IkPrior.load("iiwa14", robot=panda)
    with pytest.raises(ValueError, match="was made for robot iiwa14"):
        mace.IkPrior.load(iiwa.dir, robot=panda)
    with pytest.raises(ValueError, match="was made for robot iiwa14"):
        mace.tune(iiwa, panda, box)
    # The numeric method uses no prior: nothing to refuse.
    assert mace.Solver(panda, box, prior=iiwa, method="numeric").method == "numeric"


def test_unreachable_target_has_the_cli_message(panda, box, panda_prior, cli):
    with pytest.raises(ValueError) as e:
        mace.solve(panda, box, [5.0, 0.0, 0.0])
    assert str(e.value) == cli.error("ik", "solve", "--scene", "box", "--target", 5, 0, 0)
    with pytest.raises(ValueError, match="unreachable"):
        panda_prior.sample([5.0, 0.0, 0.0], 3)


def test_bad_settings(panda, box, cli):
    with pytest.raises(ValueError) as e:
        mace.Solver(panda, box, budget=-1)
    assert str(e.value) == cli.error("ik", "solve", "--scene", "box", "--budget", -1)
    with pytest.raises(ValueError, match="unknown solve method `fast`"):
        mace.Solver(panda, box, method="fast")
    with pytest.raises(ValueError, match="--clearance"):
        mace.Solver(panda, box, clearance=2.0)
    with pytest.raises(ValueError, match="batch_size"):
        mace.Solver(panda, box, batch_size=0)
    with pytest.raises(ValueError, match="a batch solves with prior, numeric or hybrid"):
        mace.Solver(panda, box, method="mace").solve_batch([[0.5, -0.1, 0.1025]])
    with pytest.raises(ValueError, match="unknown objective"):
        mace.tune(mace.IkPrior.load("panda"), panda, box, objective="sgd")


def test_bad_files_and_priors(tmp_path, panda):
    with pytest.raises(ValueError, match="cannot read|No such file|not found"):
        mace.Robot(str(tmp_path / "missing.urdf"))
    bad = tmp_path / "bad.toml"
    bad.write_text("target = [0, 0]\n")
    with pytest.raises(ValueError, match="invalid scene"):
        mace.Scene(str(bad))
    with pytest.raises(ValueError, match="no IK prior `nope`"):
        mace.IkPrior.load("nope")
    empty = tmp_path / "empty-prior"
    empty.mkdir()
    with pytest.raises(ValueError, match="pass robot="):
        mace.IkPrior.load(empty)
    with pytest.raises(ValueError, match="config.json"):
        mace.IkPrior.load(empty, robot=panda)


def test_wrong_argument_types_do_not_crash(panda, box):
    with pytest.raises(TypeError):
        panda.check("box", np.zeros((1, 7)))
    with pytest.raises(TypeError):
        mace.Solver("panda", box)
    with pytest.raises(TypeError):
        mace.solve(panda, box, prior="panda")
    with pytest.raises(TypeError):
        panda.fk(None)


def test_scene_additions_are_checked():
    s = mace.Scene.empty()
    with pytest.raises(ValueError, match=r"size\[1\] must be a positive"):
        s.add_box([0, 0, 0], [0.1, -0.1, 0.1])
    with pytest.raises(ValueError, match="rpy or quat_xyzw, not both"):
        s.add_box([0, 0, 0], [0.1] * 3, rpy=[0, 0, 0], quat_xyzw=[0, 0, 0, 1])
    with pytest.raises(ValueError, match="quat_xyzw is zero"):
        s.add_box([0, 0, 0], [0.1] * 3, quat_xyzw=[0, 0, 0, 0])
    with pytest.raises(ValueError, match=r"center\[2\] is not finite"):
        s.add_sphere([0, 0, np.nan], 0.1)
    with pytest.raises(ValueError, match="radius must be a positive"):
        s.add_sphere([0, 0, 0], 0.0)
    with pytest.raises(ValueError, match="length must be a positive"):
        s.add_cylinder([0, 0, 0], 0.1, -1.0)
    with pytest.raises(ValueError, match="add_mesh"):
        s.add_mesh("/nonexistent/shelf.obj")
    with pytest.raises(ValueError, match="add_points"):
        s.add_points("/nonexistent/cloud.ply", 0.01)
    with pytest.raises(ValueError, match="voxel thins point files only"):
        s.add_points(np.zeros((3, 3)), 0.01, voxel=0.01)
    with pytest.raises(ValueError, match=r"points must have shape \(n, 3\)"):
        s.add_points(np.zeros((3, 2)), 0.01)
    assert s.obstacles == []  # nothing half-added
