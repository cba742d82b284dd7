#!/usr/bin/env python3
"""Check Panda configurations in the mesh-based reference engine (PyBullet 3.2.7).

The reference vectors in tests/data were made with this engine and this geometry: each link is
the convex hull of its collision mesh plus Bullet's ~1 mm margin, boxes are exact, the ground is
the half-space z <= 0 for every link but panda_link0, and self-collision checks the 45
non-adjacent link pairs (tests/data/README.reference.md). A configuration collides when any of
these signed distances is < 0.

Development and CI tool only (`pip install pybullet==3.2.7`): the library and the `mace` command
never need it.

    python3 mesh_check.py validate [--data DIR]
        recompute the labels and signed distances of the shipped reference files; exits 1 on a
        disagreement, so a changed engine cannot silently change what "collision-free" means.
    python3 mesh_check.py check --scene box|wall|window|FILE.toml [--key K] FILE.json [...]
        read every configuration in our JSON outputs (every list of 7 numbers in the document,
        e.g. `mace ik solve --json`'s reports[].q; with --key K only those under keys named K,
        e.g. `--key posterior` for `mace ik tune`'s samples.json) and report how many collide in
        the mesh model, with the smallest signed distances; exits 1 if any collides (--allow N
        tolerates N). --solved-only skips the best tries of unsolved `ik solve` trials.
"""
import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "tests", "data")
ASSETS = os.path.join(HERE, "..", "..", "..", "assets")

LINKS = ["panda_link0", "panda_link1", "panda_link2", "panda_link3", "panda_link4", "panda_link5",
         "panda_link6", "panda_link7", "panda_hand", "panda_leftfinger", "panda_rightfinger"]
ADJACENT = {("panda_link0", "panda_link1"), ("panda_link1", "panda_link2"),
            ("panda_link2", "panda_link3"), ("panda_link3", "panda_link4"),
            ("panda_link4", "panda_link5"), ("panda_link5", "panda_link6"),
            ("panda_link6", "panda_link7"), ("panda_link7", "panda_hand"),
            ("panda_hand", "panda_leftfinger"), ("panda_hand", "panda_rightfinger")}
CUTOFF = 10.0


class MeshModel:
    """The Panda and one scene in a DIRECT-mode PyBullet world."""

    def __init__(self, scene):
        import pybullet as pb
        import pybullet_data

        self.pb = pb
        self.cid = pb.connect(pb.DIRECT)
        pb.setAdditionalSearchPath(pybullet_data.getDataPath())
        self.robot = pb.loadURDF("franka_panda/panda.urdf", [0, 0, 0], [0, 0, 0, 1],
                                 useFixedBase=True, physicsClientId=self.cid)
        index = {}
        self.arm = []
        for j in range(pb.getNumJoints(self.robot, physicsClientId=self.cid)):
            info = pb.getJointInfo(self.robot, j, physicsClientId=self.cid)
            index[info[12].decode()] = j
            name = info[1].decode()
            if name.startswith("panda_joint") and name != "panda_joint8":
                self.arm.append(j)
            if name.startswith("panda_finger_joint"):
                pb.resetJointState(self.robot, j, 0.04, physicsClientId=self.cid)
        index["panda_link0"] = -1
        self.link = [index[n] for n in LINKS]
        self.tcp = index["panda_grasptarget"]
        assert len(self.arm) == 7, self.arm
        self.pairs = [(index[a], index[b]) for i, a in enumerate(LINKS) for b in LINKS[i + 1:]
                      if (a, b) not in ADJACENT and (b, a) not in ADJACENT]
        assert len(self.pairs) == 45
        self.boxes = []
        for b in scene["boxes"]:
            shape = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=b["half_extents"],
                                            physicsClientId=self.cid)
            self.boxes.append(pb.createMultiBody(0, shape, -1, b["center"], b["quat_xyzw"],
                                                 physicsClientId=self.cid))
        self.ground = None
        if scene.get("ground", True):
            plane = pb.createCollisionShape(pb.GEOM_PLANE, planeNormal=[0, 0, 1],
                                            physicsClientId=self.cid)
            self.ground = pb.createMultiBody(0, plane, -1, [0, 0, 0], [0, 0, 0, 1],
                                             physicsClientId=self.cid)
        self.target = scene.get("target")

    def _min(self, a, b, la=-1, lb=-1):
        pts = self.pb.getClosestPoints(a, b, CUTOFF, la, lb, physicsClientId=self.cid)
        return min((p[8] for p in pts), default=math.inf)

    def check(self, q):
        """Signed minimum distances (metres) and the TCP of one configuration."""
        pb = self.pb
        for j, v in zip(self.arm, q):
            pb.resetJointState(self.robot, j, float(v), physicsClientId=self.cid)
        obstacles = min((self._min(self.robot, b, l, -1) for b in self.boxes for l in self.link),
                        default=math.inf)
        ground = math.inf
        if self.ground is not None:
            ground = min(self._min(self.robot, self.ground, l, -1) for l in self.link[1:])
        self_d = min(self._min(self.robot, self.robot, a, b) for a, b in self.pairs)
        tcp = pb.getLinkState(self.robot, self.tcp, computeForwardKinematics=True,
                              physicsClientId=self.cid)[4]
        return {"min_dist_obstacles": obstacles, "min_dist_ground": ground,
                "min_dist_self": self_d, "tcp": list(tcp),
                "collides": obstacles < 0 or ground < 0 or self_d < 0}


def scene_from_reference(name):
    with open(os.path.join(DATA, "panda_scenes.json")) as f:
        return json.load(f)["scenes"][name]


def scene_from_toml(path):
    """Our scene file (assets/scenes/*.toml): boxes with center, full size, rpy (radians)."""
    import tomllib

    with open(path, "rb") as f:
        s = tomllib.load(f)
    boxes = []
    for b in s.get("boxes", []):
        roll, pitch, yaw = b.get("rpy", [0.0, 0.0, 0.0])
        cr, sr = math.cos(roll / 2), math.sin(roll / 2)
        cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
        cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
        quat = [sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy,
                cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy]
        boxes.append({"center": b["center"], "half_extents": [x / 2 for x in b["size"]],
                      "quat_xyzw": quat})
    return {"boxes": boxes, "ground": s.get("ground", True), "target": s.get("target")}


def load_scene(arg):
    if arg in ("box", "wall", "window"):
        return scene_from_reference(arg)
    return scene_from_toml(arg)


def configurations(doc, key=None, solved_only=False):
    """Every list of 7 numbers in a JSON document (only under keys named `key`, if given; with
    `solved_only`, none inside an object whose "status" is not "solved": `mace ik solve` reports
    its best try for an unsolved trial, which is not an answer)."""
    out = []

    def is_q(v):
        return isinstance(v, list) and len(v) == 7 and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)

    def walk(v, inside):
        if is_q(v):
            if inside:
                out.append(v)
        elif isinstance(v, dict):
            if solved_only and v.get("status", "solved") != "solved":
                return
            for k, x in v.items():
                walk(x, inside or k == key)
        elif isinstance(v, list):
            for x in v:
                walk(x, inside)

    walk(doc, key is None)
    return out


def validate(data_dir):
    worst = 0.0
    bad = 0
    for name in ("box", "wall", "window"):
        with open(os.path.join(data_dir, f"panda_scene_{name}.json")) as f:
            samples = json.load(f)["samples"]
        model = MeshModel(scene_from_reference(name))
        for s in samples:
            r = model.check(s["q"])
            for key in ("min_dist_obstacles", "min_dist_ground", "min_dist_self"):
                worst = max(worst, abs(r[key] - s[key]))
            worst = max(worst, max(abs(a - b) for a, b in zip(r["tcp"], s["tcp"])))
            bad += r["collides"] != s["collides"]
        print(f"{name}: {len(samples)} samples, label disagreements so far {bad}, "
              f"max |distance or TCP difference| so far {worst:.2e} m")
    ok = bad == 0 and worst < 1e-5
    print("validate:", "ok" if ok else "FAILED")
    return 0 if ok else 1


def check(scene_arg, files, allow, key, solved_only):
    model = MeshModel(load_scene(scene_arg))
    qs = []
    for path in files:
        with open(path) as f:
            qs.extend(configurations(json.load(f), key, solved_only))
    if not qs:
        print("no configurations found (lists of 7 numbers%s)" % (f" under {key!r}" if key else ""))
        return 2
    results = [model.check(q) for q in qs]
    colliding = [i for i, r in enumerate(results) if r["collides"]]
    low = lambda k: min(r[k] for r in results)
    summary = {"scene": scene_arg, "configurations": len(qs), "colliding": len(colliding),
               "colliding_indices": colliding[:20],
               "min_dist_obstacles": low("min_dist_obstacles"),
               "min_dist_ground": low("min_dist_ground"), "min_dist_self": low("min_dist_self")}
    print(json.dumps(summary))
    return 0 if len(colliding) <= allow else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("validate")
    v.add_argument("--data", default=DATA)
    c = sub.add_parser("check")
    c.add_argument("--scene", required=True)
    c.add_argument("--allow", type=int, default=0)
    c.add_argument("--key")
    c.add_argument("--solved-only", action="store_true")
    c.add_argument("files", nargs="+")
    a = ap.parse_args()
    if a.cmd == "validate":
        return validate(a.data)
    return check(a.scene, a.files, a.allow, a.key, a.solved_only)


if __name__ == "__main__":
    sys.exit(main())
