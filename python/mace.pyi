"""MACE-rs from Python: robots, scenes, collision checks, IK priors, collision-free IK solves and
MACE tuning of the priors, computed by the same Rust libraries as the ``mace`` command (the same
seed gives the same numbers).

Arrays: any NumPy array (or nested list) of a float or integer dtype, in C or Fortran order or
strided, is accepted and converted to float32; object, string, bool and complex arrays raise
``TypeError``. A wrong shape, a NaN or infinity (the message names the argument and the element)
or an empty batch raise ``ValueError`` before any work. Returned arrays are float32 or bool.

Errors from the libraries are ``ValueError`` for bad input (unknown robot or scene, a prior made
for another robot, a target beyond reach, a bad file, a setting out of range) and
``RuntimeError`` otherwise, with the one-line message the ``mace`` command prints.

Rust work runs with the GIL released.

Shipped priors and scene files are read from ``$MACE_ASSETS`` when it is set (a folder holding
``priors/`` and ``scenes/``), else from ``./assets`` when the working folder has the file, else
from the ``assets/`` folder of the repository clone this module was built from
(``assets_dir()``).
"""

from os import PathLike
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str
ASSETS_ENV: str
"""``"MACE_ASSETS"``: the environment variable that says where the shipped assets are."""

ArrayLike = npt.ArrayLike
PathType = Union[str, "PathLike[str]"]
Seed = int

class Robot:
    """A robot arm: kinematic chain, joint limits and collision geometry.

    ``Robot(spec)`` loads ``spec``: a shipped robot (``"panda"``, ``"iiwa14"``, ``"xarm6"``), a
    URDF file (base = its root link, tip = the end of its longest chain) or a robot ``.toml``
    file (``urdf``, ``base``, ``tip``, ``tcp``, ``srdf``, ``ignore_pairs``; see the README);
    ``package_path`` lists more folders to find ``package://`` meshes in. An unknown name or a
    bad file raises ``ValueError``. Collision meshes that could not be read raise a
    ``UserWarning`` (those parts do not collide).

    Picklable (by name, or by the file's absolute path).
    """

    def __init__(self, spec: PathType, package_path: Optional[Sequence[PathType]] = None) -> None: ...
    @property
    def name(self) -> str:
        """The robot's name (a shipped robot's, the robot file's stem or the URDF's name)."""
    @property
    def source(self) -> str:
        """Where it came from (``"built-in panda"``, or a path)."""
    @property
    def dof(self) -> int:
        """Number of actuated joints."""
    @property
    def joint_names(self) -> List[str]:
        """Names of the actuated joints, in configuration order."""
    @property
    def lower(self) -> npt.NDArray[np.float32]:
        """Lower joint limits ``(dof,)``, rad (m for prismatic joints)."""
    @property
    def upper(self) -> npt.NDArray[np.float32]:
        """Upper joint limits ``(dof,)``."""
    @property
    def link_names(self) -> List[str]:
        """Names of the chain's links, base first."""
    def fk(self, q: ArrayLike) -> npt.NDArray[np.float32]:
        """Tool-centre-point positions ``(n, 3)`` (metres, base frame) of configurations ``q``
        ``(n, dof)`` (rad); a ``(dof,)`` vector is one configuration (the result is ``(1, 3)``)."""
    def check(self, scene: "Scene", q: ArrayLike) -> Dict[str, npt.NDArray[Any]]:
        """Collision checks of configurations ``q`` ``(n, dof)`` in ``scene`` (exact for the
        links' collision hulls, as ``mace ik check``). Returns a dict of ``(n,)`` arrays:
        ``collides``, ``self_collision``, ``obstacle_collision``, ``ground_collision`` (bool);
        ``min_distance`` (smallest signed distance to obstacles, ground and between links,
        metres, negative = penetration), ``self_distance``, ``obstacle_distance``,
        ``ground_distance`` (float32, ``inf`` where there is nothing to check); ``tcp``
        ``(n, 3)``."""
    def random_configurations(self, n: int, seed: Optional[Seed] = None) -> npt.NDArray[np.float32]:
        """``n`` configurations ``(n, dof)`` drawn uniformly within the joint limits, seeded as
        ``mace ik check --random N --seed S``; ``1 <= n <= 10_000_000``."""

class Scene:
    """Obstacles, an optional ground plane ``z = 0`` and an IK target, in the robot base frame.

    ``Scene(spec)`` loads ``"wall"``, ``"window"``, ``"box"`` (built in), ``"shelf"``,
    ``"cloud"``, ``"cell"`` (shipped files) or a scene ``.toml`` file, as
    ``mace ik … --scene SPEC`` does; ``Scene.empty()`` starts from nothing. The ``add_*``
    methods add obstacles (metres, radians; orientation by ``rpy`` (URDF convention Rz·Ry·Rx)
    or ``quat_xyzw``, not both).

    Picklable: what it was loaded from plus the obstacles added since (replayed on loading;
    mesh and point files by absolute path, point arrays by value).

    A ``Solver`` takes a snapshot: obstacles added later do not affect it.
    """

    def __init__(self, spec: PathType) -> None: ...
    @staticmethod
    def empty(ground: bool = True, target: Optional[ArrayLike] = None, name: str = "custom") -> "Scene":
        """A scene without obstacles; the ground plane is an obstacle unless ``ground=False``;
        ``target`` defaults to the origin."""
    @property
    def name(self) -> str: ...
    @property
    def target(self) -> npt.NDArray[np.float32]:
        """The scene's own IK target ``(3,)``, metres (settable)."""
    @target.setter
    def target(self, value: ArrayLike) -> None: ...
    @property
    def ground(self) -> bool:
        """Whether the ground plane ``z = 0`` is an obstacle (settable)."""
    @ground.setter
    def ground(self, value: bool) -> None: ...
    @property
    def obstacles(self) -> List[str]:
        """The kind of every obstacle: boxes first, then ``sphere``, ``capsule``, ``cylinder``,
        ``mesh``, ``points`` in order."""
    def distance_to(self, p: ArrayLike) -> float:
        """Signed distance from point ``p`` to the nearest obstacle (not the ground), metres."""
    def add_box(self, center: ArrayLike, size: ArrayLike, rpy: Optional[ArrayLike] = None,
                quat_xyzw: Optional[ArrayLike] = None) -> None:
        """Adds a box: ``center``, ``size`` (full edge lengths, all positive)."""
    def add_sphere(self, center: ArrayLike, radius: float) -> None:
        """Adds a ball."""
    def add_capsule(self, center: ArrayLike, radius: float, length: float,
                    rpy: Optional[ArrayLike] = None, quat_xyzw: Optional[ArrayLike] = None) -> None:
        """Adds a capsule: the points within ``radius`` of a segment of ``length`` (without the
        caps) along the local z axis, centred at ``center``."""
    def add_cylinder(self, center: ArrayLike, radius: float, length: float,
                     rpy: Optional[ArrayLike] = None, quat_xyzw: Optional[ArrayLike] = None) -> None:
        """Adds a solid cylinder of ``length`` along the local z axis, centred at ``center``."""
    def add_mesh(self, file: PathType, center: Optional[ArrayLike] = None,
                 rpy: Optional[ArrayLike] = None, quat_xyzw: Optional[ArrayLike] = None,
                 scale: Union[float, ArrayLike, None] = None, convex: bool = False) -> None:
        """Adds an OBJ or STL mesh: its surface collides (a shelf), or its hull with
        ``convex=True``; ``scale`` is one number or three."""
    def add_points(self, points: Union[PathType, ArrayLike], radius: float,
                   voxel: Optional[float] = None) -> None:
        """Adds a point cloud, every point a ball of ``radius``: an ``(n, 3)`` array or a PLY,
        NPY or JSON file (``voxel``, files only: one point per voxel of that size); at most
        1,000,000 points."""

class IkPrior:
    """A trained IK prior (conditional autoregressive Gaussian mixture), checked against the
    robot it samples for. Picklable (by robot name or folder)."""

    @staticmethod
    def load(spec: PathType, robot: Optional[Robot] = None) -> "IkPrior":
        """Loads ``spec``: a shipped robot's name (its prior in ``assets/priors/NAME-ik``) or a
        prior folder (``mace ik train --out DIR``, or ``DIR/posterior`` of ``mace ik tune`` /
        ``Posterior.save``). ``robot``: the robot it samples for (default: the shipped robot of
        that name, or the one the folder records). A prior made for another robot raises
        ``ValueError``."""
    @property
    def robot(self) -> Robot: ...
    @property
    def dir(self) -> str:
        """The folder it was loaded from."""
    @property
    def load_seconds(self) -> float: ...
    def sample(self, target: ArrayLike, n: int, seed: Optional[Seed] = None) -> npt.NDArray[np.float32]:
        """``n`` configurations ``(n, dof)`` for the TCP ``target`` ``(3,)``, seeded as
        ``mace ik sample --target X Y Z --n N --seed S``. ``1 <= n <= 10_000_000``; a target
        beyond the arm's reach raises ``ValueError``."""

SolveResult = Dict[str, Any]

class Solver:
    """Collision-free IK for one robot in (a snapshot of) one scene, set up once and called
    many times, exactly as ``mace ik solve`` calls the library.

    ``method``: ``"hybrid"`` (prior samples refined by numeric IK; the default), ``"prior"``,
    ``"numeric"`` or ``"mace"`` (tune the prior to the problem, then sample). ``prior``: an
    ``IkPrior`` (default: the robot's shipped prior, for the methods that use one). ``budget``:
    seconds per solve. ``clearance``: metres every answer must keep from obstacles, ground and
    between links. ``prior_stop``, ``batch_size``, ``parallel``: as ``mace ik solve``'s options.
    """

    def __init__(self, robot: Robot, scene: Scene, prior: Optional[IkPrior] = None,
                 method: str = "hybrid", budget: float = 1.0, clearance: float = 0.0,
                 prior_stop: float = 0.01, batch_size: Optional[int] = None,
                 parallel: bool = False) -> None: ...
    @property
    def method(self) -> str: ...
    @property
    def robot(self) -> Robot: ...
    @property
    def setup_seconds(self) -> float:
        """Setting up (collision model, prior), seconds."""
    def solve(self, target: Optional[ArrayLike] = None, seed: Optional[Seed] = None) -> SolveResult:
        """One collision-free configuration for ``target`` (metres; default: the scene's target),
        as ``mace ik solve --trials 1 --seed S`` (its ``reports[0]``). Returns a dict: ``q``
        (float32 ``(dof,)``), ``error`` (TCP error, m), ``seconds``, ``collision_free``,
        ``status`` (``"solved"`` or ``"not_found"``), ``solved``, ``tcp`` ``(3,)``,
        ``min_distance``, ``method``, ``samples``, ``iterations``, ``attempts`` (and
        ``tuning_seconds`` for ``"mace"``). A target beyond reach raises ``ValueError``; a target
        inside an obstacle or below the ground a ``UserWarning``."""
    def solve_batch(self, targets: ArrayLike, seed: Optional[Seed] = None) -> Dict[str, Any]:
        """Solves every target of ``targets`` ``(n, 3)`` over all cores, target i with seed
        ``seed + i`` (as ``mace ik solve --targets FILE --seed S``; not for ``"mace"``; at most
        1,000,000). Returns a dict of arrays: ``q`` ``(n, dof)`` (NaN rows beyond reach),
        ``tcp`` ``(n, 3)``, ``error`` (``inf`` beyond reach), ``solved``, ``reachable``,
        ``collision_free`` (bool), ``min_distance``, ``seconds``, ``samples``, ``iterations``
        (float32), ``status`` (list of ``"solved"``, ``"not_found"``, ``"unreachable"``) and
        ``summary`` (dict: ``solved``, ``success_rate``, ``wall_s``, ``solved_per_s``,
        ``time_median_s``, ``time_p90_s``, ``error_median_m``, ``threads``, …)."""

class Posterior:
    """An IK prior tuned to one scene and target by ``mace.tune``."""

    @property
    def target(self) -> npt.NDArray[np.float32]: ...
    @property
    def robot(self) -> Robot: ...
    @property
    def report(self) -> Dict[str, Any]:
        """The record ``mace ik tune`` writes as ``report.json``: scene, target, ``prior_eval``
        and ``posterior_eval`` (mean score, success rate, diversity, …), the tuner's report."""
    @property
    def reached(self) -> bool:
        """Whether a collision-free posterior sample came within 2 cm of the target."""
    @property
    def reached_message(self) -> Optional[str]: ...
    def sample(self, n: int, seed: Optional[Seed] = None) -> npt.NDArray[np.float32]:
        """``n`` configurations ``(n, dof)`` from the posterior for its target (seeded)."""
    def save(self, dir: PathType, force: bool = False) -> None:
        """Writes ``DIR/posterior/`` and ``DIR/report.json`` as ``mace ik tune --out DIR``
        (without pictures); ``mace ik sample --posterior DIR`` then samples it."""

def solve(robot: Robot, scene: Scene, target: Optional[ArrayLike] = None, method: str = "hybrid",
          seed: Optional[Seed] = None, prior: Optional[IkPrior] = None, budget: float = 1.0,
          clearance: float = 0.0, prior_stop: float = 0.01) -> SolveResult:
    """``Solver(robot, scene, prior, method, budget, clearance, prior_stop).solve(target, seed)``."""

def solve_batch(robot: Robot, scene: Scene, targets: ArrayLike, method: str = "hybrid",
                seed: Optional[Seed] = None, prior: Optional[IkPrior] = None, budget: float = 1.0,
                clearance: float = 0.0, prior_stop: float = 0.01) -> Dict[str, Any]:
    """``Solver(robot, scene, prior, method, budget, clearance, prior_stop).solve_batch(targets, seed)``."""

def tune(prior: IkPrior, robot: Robot, scene: Scene, target: Optional[ArrayLike] = None,
         seed: Optional[Seed] = None, objective: str = "mace", eval_samples: Optional[int] = None) -> Posterior:
    """Tunes ``prior`` to ``scene`` (and ``target``, default the scene's) with ``objective``
    (``"mace"`` or ``"is"``) as ``mace ik tune --seed S`` does: its preset, a 1 cm soft obstacle
    margin, and an evaluation of prior and posterior on ``eval_samples`` samples (default 1000)."""

def assets_dir() -> str:
    """The folder shipped priors and scenes are read from: ``$MACE_ASSETS`` if set, else the
    ``assets/`` folder of the clone this module was built from."""
