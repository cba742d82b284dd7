#!/usr/bin/env python3
"""Reference data and checks for any robot and scene in PyBullet 3.2.7, the reference engine.

The robot is one of ours (assets/robots/NAME.urdf, collision meshes and all) or a URDF file; a
scene is one of our TOML files with any obstacle kind (boxes, spheres, capsules, cylinders,
meshes — surface or convex —, point clouds) or a built-in name. Self-collision checks every pair
of links with geometry except a link and its parent (our rule, and PyBullet's default) and the
pairs a robot file disables; the ground is the plane z = 0 for every link but the base and the
links fixed rigidly to it.

Development and CI tool only (`pip install pybullet==3.2.7 numpy`):

    python3 reference.py fk --robot NAME --n 200 --seed 1 --out FILE.json
        random configurations within the limits and every link frame (position, quaternion)
    python3 reference.py collision --robot NAME --scene FILE.toml --n 1000 --seed 2 --out FILE.json
        random configurations with their signed minimum distances (self, obstacles, ground) and
        labels (collides when any is < 0)
    python3 reference.py check --robot NAME --scene FILE.toml [--solved-only] FILE.json [...]
        every configuration in our JSON outputs (lists of dof numbers) checked; exits 1 if any
        collides
"""
import argparse
import json
import math
import os
import random
import struct
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ASSETS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "assets"))
CUTOFF = 10.0
# Our robots' tool links (the URDF has no such link, or the TCP is a link): name → tip link.
TIPS = {"panda": "panda_grasptarget", "iiwa14": "lbr_iiwa_link_7", "xarm6": "link6"}


def quiet(fn, *args, **kw):
    """Runs fn with C-level stdout silenced (PyBullet warns about missing inertials)."""
    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        return fn(*args, **kw)
    finally:
        os.dup2(saved, 1)
        os.close(null)
        os.close(saved)


def quat_from_rpy(rpy):
    r, p, y = rpy
    cr, sr, cp, sp = math.cos(r / 2), math.sin(r / 2), math.cos(p / 2), math.sin(p / 2)
    cy, sy = math.cos(y / 2), math.sin(y / 2)
    return [sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy]


def orientation(o):
    if "quat_xyzw" in o:
        q = o["quat_xyzw"]
        n = math.sqrt(sum(x * x for x in q))
        return [x / n for x in q]
    return quat_from_rpy(o.get("rpy", [0.0, 0.0, 0.0]))


def read_points(path):
    if path.endswith(".json"):
        with open(path) as f:
            return json.load(f)
    with open(path, "rb") as f:
        data = f.read()
    head_end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:head_end].decode()
    n = int(header.split("element vertex ")[1].split()[0])
    if "binary_little_endian" in header:
        return [list(struct.unpack_from("<3f", data, head_end + 12 * i)) for i in range(n)]
    lines = data[head_end:].decode().split("\n")
    return [[float(x) for x in lines[i].split()[:3]] for i in range(n)]


class World:
    """A robot and a scene in a DIRECT-mode PyBullet world."""

    def __init__(self, robot, scene_path):
        import pybullet as pb

        self.pb = pb
        self.cid = quiet(pb.connect, pb.DIRECT)
        urdf = robot if robot.endswith(".urdf") else os.path.join(ASSETS, "robots", robot + ".urdf")
        self.body = quiet(pb.loadURDF, urdf, [0, 0, 0], [0, 0, 0, 1], useFixedBase=True,
                          physicsClientId=self.cid)
        n = pb.getNumJoints(self.body, physicsClientId=self.cid)
        self.index = {pb.getBodyInfo(self.body, physicsClientId=self.cid)[0].decode(): -1}
        self.parent = {}
        self.movable = []
        fixed = {}
        for j in range(n):
            info = pb.getJointInfo(self.body, j, physicsClientId=self.cid)
            child = info[12].decode()
            self.index[child] = j
            self.parent[j] = info[16]
            fixed[j] = info[2] == pb.JOINT_FIXED
            if info[2] != pb.JOINT_FIXED:
                self.movable.append((j, info[8], info[9]))

        def rigid_to_base(l):
            while l != -1:
                if not fixed[l]:
                    return False
                l = self.parent[l]
            return True
        self.rigid = rigid_to_base
        name = os.path.splitext(os.path.basename(urdf))[0]
        self.tip = self.index[TIPS.get(name, child)]
        self.geo = [l for l in [-1] + list(range(n)) if pb.getCollisionShapeData(
            self.body, l, physicsClientId=self.cid)]
        def geo_parent(l):
            p = self.parent.get(l, None)
            while p is not None and p not in self.geo:
                p = self.parent.get(p, None)
            return p
        self.pairs = [(a, b) for i, a in enumerate(self.geo) for b in self.geo[i + 1:]
                      if geo_parent(b) != a and geo_parent(a) != b]
        self.obstacles, self.ground, self.target = [], None, None
        if scene_path:
            self.load_scene(scene_path)

    def shape(self, kind, **kw):
        return self.pb.createCollisionShape(kind, physicsClientId=self.cid, **kw)

    def add(self, shape, pos, quat=(0, 0, 0, 1)):
        self.obstacles.append(self.pb.createMultiBody(0, shape, -1, pos, quat,
                                                      physicsClientId=self.cid))

    def load_scene(self, arg):
        pb = self.pb
        path = arg if arg.endswith(".toml") else os.path.join(ASSETS, "scenes", arg + ".toml")
        with open(path, "rb") as f:
            s = tomllib.load(f)
        base = os.path.dirname(path)
        self.target = s.get("target")
        for b in s.get("boxes", []):
            self.add(self.shape(pb.GEOM_BOX, halfExtents=[x / 2 for x in b["size"]]),
                     b["center"], orientation(b))
        for o in s.get("spheres", []):
            self.add(self.shape(pb.GEOM_SPHERE, radius=o["radius"]), o["center"])
        for o in s.get("capsules", []):
            self.add(self.shape(pb.GEOM_CAPSULE, radius=o["radius"], height=o["length"]),
                     o["center"], orientation(o))
        for o in s.get("cylinders", []):
            self.add(self.shape(pb.GEOM_CYLINDER, radius=o["radius"], height=o["length"]),
                     o["center"], orientation(o))
        for o in s.get("meshes", []):
            scale = o.get("scale", 1.0)
            scale = [scale] * 3 if isinstance(scale, (int, float)) else scale
            flags = 0 if o.get("convex", False) else pb.GEOM_FORCE_CONCAVE_TRIMESH
            self.add(self.shape(pb.GEOM_MESH, fileName=os.path.join(base, o["file"]),
                                meshScale=scale, flags=flags),
                     o.get("center", [0, 0, 0]), orientation(o))
        for o in s.get("points", []):
            ball = self.shape(pb.GEOM_SPHERE, radius=o["radius"])
            q = orientation(o)
            rot = pb.getMatrixFromQuaternion(q)
            c = o.get("center", [0, 0, 0])
            for p in read_points(os.path.join(base, o["file"])):
                w = [c[i] + sum(rot[3 * i + k] * p[k] for k in range(3)) for i in range(3)]
                self.add(ball, w)
        if s.get("ground", True):
            plane = self.shape(pb.GEOM_PLANE, planeNormal=[0, 0, 1])
            self.ground = pb.createMultiBody(0, plane, -1, [0, 0, 0], [0, 0, 0, 1],
                                             physicsClientId=self.cid)

    def set(self, q):
        for (j, _, _), v in zip(self.movable, q):
            self.pb.resetJointState(self.body, j, float(v), physicsClientId=self.cid)

    def _min(self, a, b, la=-1, lb=-1):
        pts = self.pb.getClosestPoints(a, b, CUTOFF, la, lb, physicsClientId=self.cid)
        return min((p[8] for p in pts), default=math.inf)

    def frames(self, q):
        self.set(q)
        out = {}
        for name, l in self.index.items():
            if l == -1:
                out[name] = {"pos": [0.0, 0.0, 0.0], "quat_xyzw": [0.0, 0.0, 0.0, 1.0]}
                continue
            st = self.pb.getLinkState(self.body, l, computeForwardKinematics=True,
                                      physicsClientId=self.cid)
            out[name] = {"pos": list(st[4]), "quat_xyzw": list(st[5])}
        return out

    def check(self, q):
        self.set(q)
        obstacles = min((self._min(self.body, o, l, -1) for o in self.obstacles for l in self.geo),
                        default=math.inf)
        ground = math.inf
        if self.ground is not None:
            ground = min((self._min(self.body, self.ground, l, -1) for l in self.geo
                          if not self.rigid(l)),
                         default=math.inf)
        self_d = min((self._min(self.body, self.body, a, b) for a, b in self.pairs),
                     default=math.inf)
        tcp = self.pb.getLinkState(self.body, self.tip, computeForwardKinematics=True,
                                   physicsClientId=self.cid)[4]
        return {"min_dist_obstacles": obstacles, "min_dist_ground": ground,
                "min_dist_self": self_d, "tcp": list(tcp),
                "collides": obstacles < 0 or ground < 0 or self_d < 0}

    def random_q(self, rng):
        return [rng.uniform(lo, hi) for _, lo, hi in self.movable]


def finite(x):
    return x if math.isfinite(x) else None


def cmd_fk(a):
    w, rng = World(a.robot, None), random.Random(a.seed)
    samples = []
    for _ in range(a.n):
        q = w.random_q(rng)
        samples.append({"q": q, "links": w.frames(q)})
    doc = {"robot": a.robot, "engine": "pybullet 3.2.7", "seed": a.seed,
           "joints": [[j, lo, hi] for j, lo, hi in w.movable], "samples": samples}
    with open(a.out, "w") as f:
        json.dump(doc, f)
    print(f"{a.n} configurations of {a.robot} written to {a.out}")


def cmd_collision(a):
    w, rng = World(a.robot, a.scene), random.Random(a.seed)
    samples = []
    for _ in range(a.n):
        q = w.random_q(rng)
        r = w.check(q)
        samples.append({"q": q, **{k: (finite(v) if isinstance(v, float) else v)
                                   for k, v in r.items()}})
    doc = {"robot": a.robot, "scene": os.path.basename(a.scene), "engine": "pybullet 3.2.7",
           "seed": a.seed, "pairs": len(w.pairs), "samples": samples}
    with open(a.out, "w") as f:
        json.dump(doc, f)
    hits = sum(s["collides"] for s in samples)
    print(f"{a.n} configurations of {a.robot} in {a.scene}: {hits} collide; written to {a.out}")


def configurations(doc, dof, solved_only):
    out = []

    def is_q(v):
        return isinstance(v, list) and len(v) == dof and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)

    def walk(v):
        if is_q(v):
            out.append(v)
        elif isinstance(v, dict):
            if solved_only and (v.get("status", "solved") != "solved"
                                or v.get("solved", True) is False):
                return
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(doc)
    return out


def cmd_check(a):
    w = World(a.robot, a.scene)
    qs = []
    for path in a.files:
        with open(path) as f:
            qs.extend(configurations(json.load(f), len(w.movable), a.solved_only))
    if not qs:
        print("no configurations found")
        return 2
    results = [w.check(q) for q in qs]
    colliding = [i for i, r in enumerate(results) if r["collides"]]
    low = lambda k: min(r[k] for r in results)
    print(json.dumps({"robot": a.robot, "scene": a.scene, "configurations": len(qs),
                      "colliding": len(colliding), "colliding_indices": colliding[:20],
                      "min_dist_obstacles": low("min_dist_obstacles"),
                      "min_dist_ground": low("min_dist_ground"),
                      "min_dist_self": low("min_dist_self")}))
    return 0 if len(colliding) <= a.allow else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fk")
    f.add_argument("--robot", required=True)
    f.add_argument("--n", type=int, default=200)
    f.add_argument("--seed", type=int, default=1)
    f.add_argument("--out", required=True)
    c = sub.add_parser("collision")
    c.add_argument("--robot", required=True)
    c.add_argument("--scene", required=True)
    c.add_argument("--n", type=int, default=1000)
    c.add_argument("--seed", type=int, default=2)
    c.add_argument("--out", required=True)
    k = sub.add_parser("check")
    k.add_argument("--robot", required=True)
    k.add_argument("--scene", required=True)
    k.add_argument("--allow", type=int, default=0)
    k.add_argument("--solved-only", action="store_true")
    k.add_argument("files", nargs="+")
    a = ap.parse_args()
    return {"fk": cmd_fk, "collision": cmd_collision, "check": cmd_check}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
