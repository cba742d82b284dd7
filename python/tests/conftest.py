"""Shared fixtures: the repository, the PyBullet reference vectors, and the `mace` binary.

The binary is what the module is compared with (same seed, same numbers). It is found through
`MACE_BIN`, else at `target/release/mace` in the repository. Without it, the comparisons are
skipped with a reason — unless `MACE_REQUIRE_CLI=1` or `CI` is set, where a missing binary fails
them (CI must not pass by skipping).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "crates" / "mace-robot" / "tests" / "data"


def _cli_path():
    env = os.environ.get("MACE_BIN")
    if env:
        return Path(env)
    built = REPO / "target" / "release" / "mace"
    return built if built.exists() else None


def _cli_required():
    return os.environ.get("MACE_REQUIRE_CLI") == "1" or bool(os.environ.get("CI"))


def optional_module(name):
    """Whether the optional module `name` (Ray, PyBullet) can be imported; the reason to skip
    a test that needs it, or a failure in CI (`MACE_REQUIRE_CLI=1` or `CI`), which installs
    them and must not pass by skipping."""
    import importlib.util

    if importlib.util.find_spec(name) is not None:
        return True, None
    reason = f"{name} is not installed in this environment (pip install {name})"
    if _cli_required():
        pytest.fail(reason)
    return False, reason


class Cli:
    """Runs the `mace` binary."""

    def __init__(self, path):
        self.path = path

    def run(self, *args, cwd=None):
        """Runs `mace ARGS`; returns the completed process (no check)."""
        return subprocess.run(
            [str(self.path), *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=600,
        )

    def json(self, *args, cwd=None):
        """Runs `mace ARGS --json` and parses stdout; fails on a non-zero exit."""
        p = self.run(*args, "--json", cwd=cwd)
        assert p.returncode == 0, f"mace {' '.join(map(str, args))} failed: {p.stderr}"
        return json.loads(p.stdout)

    def error(self, *args, cwd=None):
        """Runs a command that must fail; returns its one-line message without `error: `."""
        p = self.run(*args, cwd=cwd)
        assert p.returncode != 0, f"mace {' '.join(map(str, args))} succeeded"
        lines = [l for l in p.stderr.splitlines() if l.startswith("error: ")]
        assert lines, p.stderr
        return lines[-1][len("error: "):]


# The tests are one folder: a package-scoped fixture is built once for the whole run.
@pytest.fixture(scope="package")
def cli():
    path = _cli_path()
    if path is None or not path.exists():
        reason = (
            f"the mace binary is missing ({path or 'MACE_BIN unset and no target/release/mace'}):"
            " build it with `cargo build --release -p mace-cli` or set MACE_BIN"
        )
        if _cli_required():
            pytest.fail(reason)
        pytest.skip(reason)
    return Cli(path)


@pytest.fixture(scope="package")
def reference():
    """Loads a reference file of crates/mace-robot/tests/data (PyBullet 3.2.7)."""

    def load(name):
        with open(REFERENCE / name) as f:
            return json.load(f)

    return load


@pytest.fixture(scope="package")
def panda():
    import mace

    return mace.Robot("panda")


@pytest.fixture(scope="package")
def box():
    import mace

    return mace.Scene("box")


@pytest.fixture(scope="package")
def panda_prior():
    import mace

    return mace.IkPrior.load("panda")
