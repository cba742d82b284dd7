"""The type stubs describe the module as built; every public object has a docstring; the
examples run; the shipped assets are found from any folder and through MACE_ASSETS."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mace

from conftest import REPO, optional_module

HERE = Path(__file__).resolve().parents[1]
STUBS = HERE / "mace.pyi"


def stub_names():
    tree = ast.parse(STUBS.read_text())
    functions, classes = set(), {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            functions.add(node.name)
        elif isinstance(node, ast.ClassDef):
            classes[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    return functions, classes


def test_stubs_match_the_module():
    functions, classes = stub_names()
    public = {n for n in dir(mace) if not n.startswith("_")} - {"ASSETS_ENV", "mace"}
    runtime_classes = {n for n in public if isinstance(getattr(mace, n), type)}
    assert set(classes) == runtime_classes
    assert functions == public - runtime_classes
    for cls, members in classes.items():
        runtime = {n for n in dir(getattr(mace, cls)) if not n.startswith("_")}
        assert members - {"__init__"} == runtime, cls


def test_public_objects_have_docstrings():
    _, classes = stub_names()
    for name in ["solve", "solve_batch", "tune", "table1_targets", "assets_dir"]:
        assert getattr(mace, name).__doc__, name
    for cls, members in classes.items():
        c = getattr(mace, cls)
        assert c.__doc__, cls
        for m in members - {"__init__"}:
            assert getattr(c, m).__doc__, f"{cls}.{m}"


def test_stubs_are_shipped_beside_the_module():
    pkg = Path(mace.__file__).parent
    assert (pkg / "__init__.pyi").exists() and (pkg / "py.typed").exists()


# Examples that need a module the package does not install: `ray_*.py` needs Ray.
NEEDS = {"ray_": "ray"}
# Arguments that keep an example short in the test suite (the example's default is Table 1's
# ten targets; four already spread two tasks over each CPU of the local cluster).
ARGS = {"ray_table1.py": ["--targets", "4"]}


@pytest.mark.parametrize("example", sorted((HERE / "examples").glob("*.py")), ids=lambda p: p.name)
def test_examples_run(example, tmp_path):
    for prefix, module in NEEDS.items():
        if example.name.startswith(prefix):
            present, reason = optional_module(module)
            if not present:
                pytest.skip(reason)
    p = subprocess.run([sys.executable, str(example), *ARGS.get(example.name, [])],
                       capture_output=True, text=True,
                       cwd=tmp_path, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.rstrip().endswith("ok")


RUN = """
import mace, sys
print(mace.assets_dir())
p = mace.IkPrior.load("panda")
print(p.dir)
print(mace.Scene("shelf").obstacles)
print(mace.ShapePrior.load("airplanes").dir)
"""


def test_assets_are_found_from_any_folder(tmp_path):
    p = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, cwd=tmp_path,
                       env={k: v for k, v in os.environ.items() if k != "MACE_ASSETS"})
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert Path(lines[0]) == REPO / "assets"
    assert Path(lines[1]) == REPO / "assets" / "priors" / "panda-ik"
    assert Path(lines[3]) == REPO / "assets" / "priors" / "airplanes"


def test_mace_assets_overrides(tmp_path):
    moved = tmp_path / "moved"
    (moved / "priors").mkdir(parents=True)
    (moved / "scenes").mkdir()
    for prior in ["panda-ik", "airplanes"]:
        (moved / "priors" / prior).symlink_to(REPO / "assets" / "priors" / prior)
    for f in ["shelf.toml", "shelf.obj"]:
        (moved / "scenes" / f).symlink_to(REPO / "assets" / "scenes" / f)
    env = dict(os.environ, MACE_ASSETS=str(moved))
    p = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, cwd=tmp_path,
                       env=env)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[:2] == [str(moved), str(moved / "priors" / "panda-ik")]
    assert lines[3] == str(moved / "priors" / "airplanes")
    env["MACE_ASSETS"] = str(tmp_path / "nowhere")
    p = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, cwd=tmp_path,
                       env=env)
    assert p.returncode != 0 and "ValueError" in p.stderr
    assert str(tmp_path / "nowhere" / "priors" / "panda-ik") in p.stderr
