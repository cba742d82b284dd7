#!/usr/bin/env python3
"""Writes the shipped scenes that use mesh and point-cloud obstacles (assets/scenes/):

- shelf.obj: a three-board shelf unit open towards the robot (side panels, back, top, bottom
  and a middle board), one non-convex triangle mesh; shelf.toml places it 0.62 m in front of
  the robot with the target in the lower compartment.
- cloud.ply + cloud.toml: what a depth camera sees of a table with a bin and a post, rendered
  by PyBullet 3.2.7's CPU renderer (getCameraImage), unprojected to world points and thinned to
  one point per 1 cm voxel: the points obstacle of a real cell.
- cell.toml: every obstacle kind in one scene (box, sphere, capsule, cylinder, a convex mesh,
  the shelf's surface, a small cloud): the scene the collision model is checked in against
  PyBullet (tools/reference.py).

Run from anywhere: python3 crates/mace-robot/tools/gen_scenes.py (needs pybullet==3.2.7, numpy).
The outputs are deterministic.
"""
import math
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCENES = os.path.normpath(os.path.join(HERE, "..", "..", "..", "assets", "scenes"))


def box_triangles(center, half):
    """The 12 triangles of an axis-aligned box."""
    cx, cy, cz = center
    hx, hy, hz = half
    v = [(cx + sx * hx, cy + sy * hy, cz + sz * hz)
         for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]
    # Corner index = 4*sx + 2*sy + sz (0 = minus, 1 = plus).
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    tris = []
    for a, b, c, d in quads:
        tris.append((v[a], v[b], v[c]))
        tris.append((v[a], v[c], v[d]))
    return tris


def write_obj(path, triangles, header):
    verts, index, faces = [], {}, []
    for t in triangles:
        f = []
        for p in t:
            key = tuple(round(x, 9) for x in p)
            if key not in index:
                index[key] = len(verts) + 1
                verts.append(key)
            f.append(index[key])
        faces.append(f)
    with open(path, "w") as out:
        out.write(header)
        for p in verts:
            out.write("v %.6f %.6f %.6f\n" % p)
        for f in faces:
            out.write("f %d %d %d\n" % tuple(f))


def shelf_triangles():
    """A shelf 0.30 deep (x), 0.60 wide (y), 0.70 tall (z), open towards −x, in its own frame
    (origin at the bottom centre of its front)."""
    t = 0.02
    parts = [
        ((0.15, -0.30 + t / 2, 0.35), (0.15, t / 2, 0.35)),   # left side
        ((0.15, 0.30 - t / 2, 0.35), (0.15, t / 2, 0.35)),    # right side
        ((0.30 - t / 2, 0.0, 0.35), (t / 2, 0.30, 0.35)),     # back
        ((0.15, 0.0, t / 2), (0.15, 0.30, t / 2)),            # bottom
        ((0.15, 0.0, 0.35), (0.15, 0.30, t / 2)),             # middle board
        ((0.15, 0.0, 0.70 - t / 2), (0.15, 0.30, t / 2)),     # top
    ]
    tris = []
    for c, h in parts:
        tris += box_triangles(c, h)
    return tris


def write_ply(path, points):
    with open(path, "wb") as out:
        out.write(("ply\nformat binary_little_endian 1.0\ncomment depth rendering of a table "
                   "with a bin and a post (gen_scenes.py)\nelement vertex %d\n"
                   "property float x\nproperty float y\nproperty float z\nend_header\n"
                   % len(points)).encode())
        for p in points:
            out.write(struct.pack("<3f", *p))


def depth_cloud():
    """Renders a table, a bin and a post with PyBullet's CPU renderer from a camera over the
    robot's shoulder; returns the visible world points (metres), thinned to 1 cm voxels."""
    import pybullet as pb

    cid = pb.connect(pb.DIRECT)
    def add_box(center, half):
        s = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=half, physicsClientId=cid)
        v = pb.createVisualShape(pb.GEOM_BOX, halfExtents=half, physicsClientId=cid)
        pb.createMultiBody(0, s, v, center, physicsClientId=cid)
    add_box([0.65, 0.0, 0.20], [0.20, 0.35, 0.02])       # table top
    for sx in (-1, 1):
        for sy in (-1, 1):
            add_box([0.65 + sx * 0.17, sy * 0.32, 0.09], [0.02, 0.02, 0.09])   # legs
    for c, h in [((0.60, 0.15, 0.27), (0.08, 0.005, 0.05)), ((0.60, 0.31, 0.27), (0.08, 0.005, 0.05)),
                 ((0.52, 0.23, 0.27), (0.005, 0.08, 0.05)), ((0.68, 0.23, 0.27), (0.005, 0.08, 0.05))]:
        add_box(c, h)                                     # an open bin on the table
    s = pb.createCollisionShape(pb.GEOM_CYLINDER, radius=0.03, height=0.6, physicsClientId=cid)
    v = pb.createVisualShape(pb.GEOM_CYLINDER, radius=0.03, length=0.6, physicsClientId=cid)
    pb.createMultiBody(0, s, v, [0.55, -0.25, 0.52], physicsClientId=cid)   # a post on the table
    w, h, fov, near, far = 160, 120, 60.0, 0.1, 3.0
    eye, target = [0.0, 0.0, 1.2], [0.65, 0.0, 0.2]
    view = pb.computeViewMatrix(eye, target, [0, 0, 1])
    proj = pb.computeProjectionMatrixFOV(fov, w / h, near, far)
    _, _, _, depth, seg = pb.getCameraImage(w, h, view, proj, renderer=pb.ER_TINY_RENDERER,
                                             physicsClientId=cid)
    depth = np.reshape(depth, (h, w))
    seg = np.reshape(seg, (h, w))
    pb.disconnect(cid)
    # Unproject: OpenGL depth → NDC → eye → world (inverse of projection · view).
    vm = np.array(view).reshape(4, 4, order="F")
    pm = np.array(proj).reshape(4, 4, order="F")
    inv = np.linalg.inv(pm @ vm)
    points = []
    for y in range(h):
        for x in range(w):
            if seg[y, x] < 0:
                continue                      # background: nothing there
            ndc = np.array([2 * (x + 0.5) / w - 1, 1 - 2 * (y + 0.5) / h, 2 * depth[y, x] - 1, 1])
            p = inv @ ndc
            points.append(p[:3] / p[3])
    cells = {}
    for p in points:
        key = tuple(int(math.floor(c / 0.01)) for c in p)
        cells.setdefault(key, []).append(p)
    return [tuple(np.mean(v, axis=0)) for _, v in sorted(cells.items())]


SHELF_TOML = """# A shelf unit in front of the robot (a non-convex mesh: only its boards collide); the target
# sits in the lower compartment. Made by crates/mace-robot/tools/gen_scenes.py.
name = "shelf"
target = [0.70, 0.0, 0.18]

[[meshes]]
file = "shelf.obj"
center = [0.62, 0.0, 0.0]
"""

CLOUD_TOML = """# What a depth camera over the robot's shoulder saw of a table with a bin and a post (PyBullet's
# renderer, unprojected, one point per 1 cm voxel): every point a 1 cm sphere. The target is
# inside the bin. Made by crates/mace-robot/tools/gen_scenes.py.
name = "cloud"
target = [0.60, 0.23, 0.30]

[[points]]
file = "cloud.ply"
radius = 0.01
"""

CELL_TOML = """# Every obstacle kind in one cell: the scene the collision model is checked in against PyBullet
# (crates/mace-robot/tools/reference.py). Made by crates/mace-robot/tools/gen_scenes.py.
name = "cell"
target = [0.5, 0.0, 0.5]

[[boxes]]
center = [0.45, -0.45, 0.25]
size = [0.2, 0.1, 0.5]
rpy = [0.0, 0.0, 0.4]

[[spheres]]
center = [0.35, 0.35, 0.55]
radius = 0.08

[[capsules]]
center = [-0.35, 0.3, 0.45]
radius = 0.05
length = 0.5
rpy = [0.3, 0.0, 0.0]

[[cylinders]]
center = [-0.3, -0.4, 0.35]
radius = 0.06
length = 0.7

[[meshes]]                   # a convex mesh: the hull of a wedge
file = "wedge.obj"
center = [0.0, 0.55, 0.15]
convex = true

[[meshes]]                   # the shelf's surface
file = "shelf.obj"
center = [0.62, 0.0, 0.0]

[[points]]
file = "cell_points.ply"
radius = 0.02
"""


def main():
    os.makedirs(SCENES, exist_ok=True)
    header = "# shelf unit, 0.30 x 0.60 x 0.70 m, open towards -x (gen_scenes.py)\n"
    write_obj(os.path.join(SCENES, "shelf.obj"), shelf_triangles(), header)
    wedge = [(0, 0, 0), (0.2, 0, 0), (0, 0.15, 0), (0, 0, 0.3), (0.2, 0, 0.3), (0, 0.15, 0.3)]
    wt = [(0, 1, 2), (3, 5, 4), (0, 3, 4), (0, 4, 1), (0, 2, 5), (0, 5, 3), (1, 4, 5), (1, 5, 2)]
    write_obj(os.path.join(SCENES, "wedge.obj"), [tuple(wedge[i] for i in t) for t in wt],
              "# a wedge (gen_scenes.py)\n")
    # A small cloud for the cell: a ring of 200 points around a vertical axis.
    ring = [(-0.55 + 0.12 * math.cos(2 * math.pi * k / 50), 0.12 * math.sin(2 * math.pi * k / 50),
             0.2 + 0.1 * (k // 50)) for k in range(200)]
    write_ply(os.path.join(SCENES, "cell_points.ply"), ring)
    write_ply(os.path.join(SCENES, "cloud.ply"), depth_cloud())
    for name, text in [("shelf.toml", SHELF_TOML), ("cloud.toml", CLOUD_TOML),
                       ("cell.toml", CELL_TOML)]:
        with open(os.path.join(SCENES, name), "w") as out:
            out.write(text)
    print("written to", SCENES)


if __name__ == "__main__":
    main()
