"""`Robot.fk_pose`: the tip link's position (the numbers `fk` gives) and orientation as a unit
quaternion x, y, z, w, checked against the URDF composed independently here in float64 and,
when it is installed, against PyBullet."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import mace

from conftest import REPO, optional_module

ROBOTS = ["panda", "iiwa14", "xarm6"]


def rotation(axis, angle):
    """Rodrigues' rotation matrix about the unit `axis`."""
    x, y, z = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def rpy_matrix(roll, pitch, yaw):
    """URDF `rpy`: R = Rz(yaw) Ry(pitch) Rx(roll)."""
    return rotation([0, 0, 1], yaw) @ rotation([0, 1, 0], pitch) @ rotation([1, 0, 0], roll)


def urdf_tip_pose(urdf, tip, joint_names, q):
    """The pose (R, t) of link `tip` for configuration `q`, composed joint by joint from the
    URDF's origins and axes in float64."""
    joints = {j.find("child").get("link"): j for j in ET.parse(urdf).getroot().iter("joint")}
    chain, link = [], tip
    while link in joints:
        chain.append(joints[link])
        link = joints[link].find("parent").get("link")
    value = dict(zip(joint_names, map(float, q)))
    R, t = np.eye(3), np.zeros(3)
    for j in reversed(chain):
        o = j.find("origin")
        xyz = np.array((o.get("xyz", "0 0 0") if o is not None else "0 0 0").split(), float)
        rpy = np.array((o.get("rpy", "0 0 0") if o is not None else "0 0 0").split(), float)
        t, R = t + R @ xyz, R @ rpy_matrix(*rpy)
        kind = j.get("type")
        if kind in ("revolute", "continuous"):
            axis = np.array(j.find("axis").get("xyz").split(), float)
            R = R @ rotation(axis, value[j.get("name")])
        elif kind == "prismatic":
            axis = np.array(j.find("axis").get("xyz").split(), float)
            t = t + R @ axis * value[j.get("name")]
    return R, t


def quat_matrix(qxyzw):
    """The rotation matrix of a unit quaternion x, y, z, w."""
    x, y, z, w = np.asarray(qxyzw, dtype=float)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


@pytest.mark.parametrize("name", ROBOTS)
def test_positions_are_fk_and_quaternions_are_unit(name):
    robot = mace.Robot(name)
    q = robot.random_configurations(500, seed=4)
    pose = robot.fk_pose(q)
    assert pose.shape == (500, 7) and pose.dtype == np.float32
    np.testing.assert_array_equal(pose[:, :3], robot.fk(q))
    np.testing.assert_allclose(np.linalg.norm(pose[:, 3:], axis=1), 1.0, atol=1e-6)
    one = robot.fk_pose(q[7])
    assert one.shape == (1, 7)
    np.testing.assert_array_equal(one[0], pose[7])


@pytest.mark.parametrize("name", ROBOTS)
def test_orientation_matches_the_urdf_composed_independently(name):
    robot = mace.Robot(name)
    urdf = REPO / "assets" / "robots" / f"{name}.urdf"
    q = robot.random_configurations(100, seed=5)
    pose = robot.fk_pose(q)
    for k in range(len(q)):
        R, t = urdf_tip_pose(urdf, robot.tip_link, robot.joint_names, q[k])
        np.testing.assert_allclose(pose[k, :3], t, atol=2e-6)
        np.testing.assert_allclose(quat_matrix(pose[k, 3:]), R, atol=2e-6)


def test_the_panda_at_zero(panda):
    """At q = 0 the Panda's grasp frame is a half turn about the axis at π/8 in the xy plane
    (z points down, x turned by −π/4 with the flange): x, y, z, w = ±(cos π/8, sin π/8, 0, 0)."""
    assert panda.tip_link == "panda_grasptarget"
    pose = panda.fk_pose(np.zeros(7))[0]
    np.testing.assert_allclose(pose[:3], [0.088, 0.0, 0.821], atol=1e-6)
    half_turn = [np.cos(np.pi / 8), np.sin(np.pi / 8), 0.0, 0.0]
    assert abs(np.dot(pose[3:], half_turn)) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(quat_matrix(pose[3:]) @ [0, 0, 1], [0, 0, -1], atol=1e-6)


def test_matches_pybullet(panda):
    present, reason = optional_module("pybullet")
    if not present:
        pytest.skip(reason)
    import pybullet as p

    client = p.connect(p.DIRECT)
    try:
        body = p.loadURDF(str(REPO / "assets" / "robots" / "panda.urdf"), useFixedBase=True,
                          physicsClientId=client)
        joints, links = {}, {}
        for j in range(p.getNumJoints(body, physicsClientId=client)):
            info = p.getJointInfo(body, j, physicsClientId=client)
            joints[info[1].decode()], links[info[12].decode()] = j, j
        tip = links[panda.tip_link]
        q = panda.random_configurations(200, seed=6)
        pose = panda.fk_pose(q)
        for k in range(len(q)):
            for i, name in enumerate(panda.joint_names):
                p.resetJointState(body, joints[name], float(q[k, i]), physicsClientId=client)
            state = p.getLinkState(body, tip, computeForwardKinematics=True,
                                   physicsClientId=client)
            np.testing.assert_allclose(pose[k, :3], state[4], atol=1e-6)
            # q and -q are the same rotation.
            assert abs(np.dot(pose[k, 3:], state[5])) == pytest.approx(1.0, abs=1e-6)
    finally:
        p.disconnect(client)


def test_bad_configurations(panda):
    with pytest.raises(ValueError, match=r"q must have shape \(n, 7\)"):
        panda.fk_pose(np.zeros((2, 6)))
    q = np.zeros((2, 7))
    q[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"q\[1, 2\] is not finite \(nan\)"):
        panda.fk_pose(q)
    with pytest.raises(TypeError, match="numeric"):
        panda.fk_pose(np.array([["a"] * 7]))
