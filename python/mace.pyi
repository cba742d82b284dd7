"""MACE-rs from Python: robots, scenes, collision checks, IK priors, collision-free IK solves,
shape priors, and MACE tuning of the priors (to a scene, or to a score computed by a Python
callable), computed by the same Rust libraries as the ``mace`` command (the same seed gives the
same numbers).

Arrays: any NumPy array (or nested list) of a float or integer dtype, in C or Fortran order or
strided, is accepted and converted to float32; object, string, bool and complex arrays raise
``TypeError``. A wrong shape, a NaN or infinity (the message names the argument and the element)
or an empty batch raise ``ValueError`` before any work. Returned arrays are float32 or bool.

Errors from the libraries are ``ValueError`` for bad input (unknown robot or scene, a prior made
for another robot, a target beyond reach, a bad file, a setting out of range) and
``RuntimeError`` otherwise, with the one-line message the ``mace`` command prints.

Rust work runs with the GIL released (a tuning run takes it back only to call a Python evidence).

Pose targets (``Solver.solve``, ``solve``, ``IkPrior.sample``, ``tune``): the tool's orientation
beside its position, as ``orientation`` (a unit quaternion ``x, y, z, w``, base frame; the order
of ``Robot.fk_pose``) or ``rpy`` (roll, pitch, yaw in rad, URDF convention Rz·Ry·Rx), not both,
optionally free about one tool axis ``free_axis`` (``"x"``, ``"y"`` or ``"z"``: a symmetric
gripper spinning about its approach axis). They are read by the function that reads
``mace ik solve --orientation / --rpy / --free-axis``: a quaternion whose norm is not within
1e-3 of 1, a value that is not finite, a wrong count, both forms, or a free axis without an
orientation raise ``ValueError`` with the command's message (which names its flags). With no
orientation, a scene's own ``target_orientation`` (scene files) is used, as the command does.

Evidence callables (``tune(..., evidence=f)``, ``ShapePrior.tune(f)``): ``f`` receives a new
float32 array of samples — IK configurations ``(n, dof)`` or point clouds ``(n, points, 3)`` —
once per fresh sample of the tuner, and returns ``n`` scores in [0, 1] (an array-like of shape
``(n,)``, any float, integer or bool dtype; 1 = fits best). A wrong length or shape raises
``ValueError`` (naming both lengths), a NaN or a score outside [0, 1] ``ValueError`` naming its
index and value, a non-numeric result ``TypeError``; an exception raised by ``f`` stops the
tuner and reaches the caller as itself (same type, message and traceback). ``f`` may call back into ``mace`` (e.g. ``Robot.check``).
Ctrl-C is honoured between calls.

Tuning knobs (keyword-only, default: the preset of the matching ``mace … tune`` command, as its
options of the same names): ``iterations``, ``sample_size``, ``bsz``, ``quantile``, ``lr``,
``grad_steps``, ``time_budget`` (seconds), ``stop_at_score`` (``0``: no early stop),
``first_sample_size``, ``first_sample_max`` (``0``: off), ``elite_min_ratio`` (``0``: off),
``keep_best``. A bad value raises ``ValueError`` naming it (a non-number, or an unknown name,
``TypeError``).

Shipped priors and scene files are read from ``$MACE_ASSETS`` when it is set (a folder holding
``priors/`` and ``scenes/``), else from ``./assets`` when the working folder has the file, else
from the ``assets/`` folder of the repository clone this module was built from
(``assets_dir()``).
"""

from os import PathLike
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str
ASSETS_ENV: str
"""``"MACE_ASSETS"``: the environment variable that says where the shipped assets are."""

ArrayLike = npt.ArrayLike
PathType = Union[str, "PathLike[str]"]
Seed = int
Scores = ArrayLike
"""What an evidence callable returns: ``n`` scores in [0, 1], shape ``(n,)``."""

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
    @property
    def tip_link(self) -> str:
        """The tip link: the frame ``fk`` and ``fk_pose`` give (its origin is the tool centre
        point; ``"panda_grasptarget"`` for the Panda)."""
    def fk(self, q: ArrayLike) -> npt.NDArray[np.float32]:
        """Tool-centre-point positions ``(n, 3)`` (metres, base frame) of configurations ``q``
        ``(n, dof)`` (rad); a ``(dof,)`` vector is one configuration (the result is ``(1, 3)``)."""
    def fk_pose(self, q: ArrayLike) -> npt.NDArray[np.float32]:
        """Tool-centre-point poses ``(n, 7)`` (base frame) of configurations ``q`` ``(n, dof)``:
        columns 0–2 the position in metres (the same numbers as ``fk``), columns 3–6 the
        orientation of the tip link (``tip_link``) as a unit quaternion ``x, y, z, w`` (the
        order of ``scipy.spatial.transform.Rotation.from_quat`` and PyBullet; ``q`` and ``-q``
        are the same rotation). A ``(dof,)`` vector is one configuration."""
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
    def target_orientation(self) -> Optional[npt.NDArray[np.float32]]:
        """The scene's own target orientation ``(4,)`` (a scene file's ``target_orientation``,
        quaternion ``x, y, z, w``), or ``None``: solves and ``tune`` use it when given no
        orientation."""
    @property
    def target_free_axis(self) -> Optional[str]:
        """The tool axis the scene's target orientation is free about (a scene file's
        ``target_free_axis``), or ``None``."""
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
    robot it samples for: a position prior (conditioned on the tool's position) or a pose prior
    (on its position and orientation). Picklable (by robot name or folder)."""

    @staticmethod
    def load(spec: PathType, robot: Optional[Robot] = None, pose: bool = False) -> "IkPrior":
        """Loads ``spec``: a shipped robot's name (its prior in ``assets/priors/NAME-ik``; with
        ``pose=True`` its pose prior in ``assets/priors/NAME-ik-pose``) or a prior folder of
        either kind (``mace ik train [--pose] --out DIR``, or ``DIR/posterior`` of
        ``mace ik tune`` / ``Posterior.save``; ``pose=True``: a pose prior only). ``robot``: the
        robot it samples for (default: the shipped robot of that name, or the one the folder
        records). A missing prior, one of the other kind than asked, or one made for another
        robot raises ``ValueError``."""
    @property
    def robot(self) -> Robot: ...
    @property
    def is_pose(self) -> bool:
        """Whether it is a pose prior (conditioned on the tool's position and orientation)."""
    @property
    def dir(self) -> Path:
        """The folder it was loaded from."""
    @property
    def load_seconds(self) -> float: ...
    def sample(self, target: ArrayLike, n: int, seed: Optional[Seed] = None,
               orientation: Optional[ArrayLike] = None, rpy: Optional[ArrayLike] = None,
               free_axis: Optional[str] = None) -> npt.NDArray[np.float32]:
        """``n`` configurations ``(n, dof)`` for the TCP ``target`` ``(3,)``, seeded as
        ``mace ik sample --target X Y Z --n N --seed S``. For a pose target (``orientation``
        or ``rpy``, optionally ``free_axis``; see the module docstring) a pose prior
        conditions on the orientation (with a free axis, on 8 turns about it, a share of the
        samples each, as the solvers ask it); a position prior samples by the position alone.
        A pose prior without an orientation raises ``ValueError`` (the library's message).
        ``1 <= n <= 10_000_000``; a target beyond the arm's reach raises ``ValueError``."""

SolveResult = Dict[str, Any]

class Solver:
    """Collision-free IK for one robot in (a snapshot of) one scene, set up once and called
    many times, exactly as ``mace ik solve`` calls the library.

    ``method``: ``"hybrid"`` (prior samples refined by numeric IK; the default), ``"prior"``,
    ``"numeric"`` or ``"mace"`` (tune the prior to the problem, then sample). ``prior``: an
    ``IkPrior`` (default: the robot's shipped prior, for the methods that use one; for pose
    targets its shipped pose prior ``assets/priors/NAME-ik-pose`` if it has one, loaded once at
    the first pose target, as ``mace ik solve`` picks it). ``budget``: seconds per solve.
    ``clearance``: metres every answer must keep from obstacles, ground and between links.
    ``pos_tol`` (metres) and ``rot_tol`` (degrees, pose targets): how close a solved answer is
    (``--pos-tol``, ``--rot-tol``; positive, ``rot_tol`` at most 180). ``prior_stop``,
    ``batch_size``, ``parallel``: as ``mace ik solve``'s options.
    """

    def __init__(self, robot: Robot, scene: Scene, prior: Optional[IkPrior] = None,
                 method: str = "hybrid", budget: float = 1.0, clearance: float = 0.0,
                 prior_stop: float = 0.01, batch_size: Optional[int] = None,
                 parallel: bool = False, pos_tol: float = 1e-4, rot_tol: float = 0.1) -> None: ...
    @property
    def method(self) -> str: ...
    @property
    def robot(self) -> Robot: ...
    @property
    def setup_seconds(self) -> float:
        """Setting up (collision model, prior), seconds."""
    def solve(self, target: Optional[ArrayLike] = None, seed: Optional[Seed] = None,
              orientation: Optional[ArrayLike] = None, rpy: Optional[ArrayLike] = None,
              free_axis: Optional[str] = None) -> SolveResult:
        """One collision-free configuration for ``target`` (metres; default: the scene's target)
        and, for a pose target, ``orientation`` or ``rpy`` (optionally ``free_axis``; default:
        the scene's target orientation, if any), as ``mace ik solve --trials 1 --seed S
        [--orientation QX QY QZ QW | --rpy R P Y] [--free-axis A]`` (its ``reports[0]``).
        Returns a dict: ``q`` (float32 ``(dof,)``), ``error`` (TCP error, m),
        ``rotation_error_deg`` (tool rotation error, degrees; with a free axis, the angle of
        that axis from where it should point; ``None`` for a position target), ``seconds``,
        ``collision_free``, ``status`` (``"solved"`` or ``"not_found"``), ``solved``, ``tcp``
        ``(3,)``, ``tcp_quaternion`` ``(4,)`` (x, y, z, w), ``min_distance``, ``method``,
        ``samples``, ``iterations``, ``attempts`` (and ``tuning_seconds`` for ``"mace"``). A
        target beyond reach or a bad orientation raises ``ValueError``; a target inside an
        obstacle or below the ground a ``UserWarning``."""
    def solve_batch(self, targets: ArrayLike, seed: Optional[Seed] = None,
                    free_axis: Optional[str] = None) -> Dict[str, Any]:
        """Solves every target of ``targets`` over all cores, target i with seed ``seed + i``
        (as ``mace ik solve --targets FILE --seed S``; not for ``"mace"``; at most 1,000,000):
        ``(n, 3)`` positions or ``(n, 7)`` poses (position, then the quaternion qx, qy, qz, qw,
        as an NPY targets file; each free about ``free_axis`` if given). Returns a dict of
        arrays: ``q`` ``(n, dof)`` (NaN rows beyond reach), ``tcp`` ``(n, 3)``,
        ``tcp_quaternion`` ``(n, 4)``, ``error`` (``inf`` beyond reach),
        ``rotation_error_deg`` (NaN for position targets and beyond reach), ``solved``,
        ``reachable``, ``collision_free`` (bool), ``min_distance``, ``seconds``, ``samples``,
        ``iterations`` (float32), ``status`` (list of ``"solved"``, ``"not_found"``,
        ``"unreachable"``) and ``summary`` (dict: ``solved``, ``success_rate``, ``wall_s``,
        ``solved_per_s``, ``time_median_s``, ``time_p90_s``, ``error_median_m``, ``threads``,
        …)."""

class Posterior:
    """An IK prior tuned by ``mace.tune`` to one scene or evidence, for one target.

    Picklable by value: the tuned network's weights bit for bit, its conditioning context,
    the target orientation, the record (``report``, with an evidence's scores), ``reached``,
    how ``save`` names the scene, and the robot (as ``Robot`` pickles), so that an unpickled
    posterior, in this process or another (e.g. a Ray task), samples the same arrays and saves
    the same files. A posterior tuned to an evidence callable pickles too; the callable itself
    is not kept (nothing here calls it again), only its scores in the record.
    """

    @property
    def target(self) -> npt.NDArray[np.float32]: ...
    @property
    def target_orientation(self) -> Optional[npt.NDArray[np.float32]]:
        """The tool orientation it was tuned to ``(4,)`` (quaternion ``x, y, z, w``), or
        ``None`` for a position target."""
    @property
    def free_axis(self) -> Optional[str]:
        """The tool axis that orientation is free about, or ``None``."""
    @property
    def robot(self) -> Robot: ...
    @property
    def report(self) -> Dict[str, Any]:
        """The record ``mace ik tune`` writes as ``report.json``: scene (``"empty"`` when tuned
        to an evidence without one), target, ``prior_eval`` and ``posterior_eval`` (IK score,
        success rate, diversity, … of ``eval_samples`` samples in the scene; without a scene,
        self-collisions only), ``report`` (the tuner's: iterations, ``timings`` with
        ``simulate_s``, the time spent scoring, …). Tuned to an evidence, also ``evidence``:
        ``callable`` (its name), ``calls`` and ``callable_s`` (calls by the tuner and seconds
        spent inside them), ``samples``, ``prior_mean_score`` and ``posterior_mean_score`` (its
        mean scores of the same prior and posterior samples). Tuned to a pose, also
        ``target_orientation`` (``x, y, z, w``) and ``free_axis`` (when given), named as
        ``mace ik tune --targets`` names them in ``targets.jsonl``."""
    @property
    def reached(self) -> bool:
        """Whether a collision-free posterior sample came within 2 cm of the target (in the
        scene; without one, free of self-collisions)."""
    @property
    def reached_message(self) -> Optional[str]: ...
    def sample(self, n: int, seed: Optional[Seed] = None) -> npt.NDArray[np.float32]:
        """``n`` configurations ``(n, dof)`` from the posterior for its target (seeded; a pose
        prior's posterior conditioned on the pose it was tuned to)."""
    def save(self, dir: PathType, force: bool = False) -> None:
        """Writes ``DIR/posterior/`` and ``DIR/report.json`` as ``mace ik tune --out DIR``
        (without pictures); ``mace ik sample --posterior DIR`` then samples it and checks the
        samples in its scene, and ``IkPrior.load(DIR / "posterior")`` loads it.

        ``report.json`` names the scene as ``--scene`` takes it: a shipped scene's name, a
        scene file's absolute path, or, tuned without a scene, the absolute path of the empty
        scene (no obstacles, no ground) written beside it as ``DIR/scene.toml``. A scene
        changed in Python (obstacles added, ground switched) has no such name: saving raises a
        ``UserWarning``, and the command needs ``--scene`` with a file of that scene.

        The folder is written beside ``DIR`` and renamed into place whole; a ``DIR`` that holds
        files raises ``FileExistsError`` unless ``force`` (then it is replaced whole)."""

def solve(robot: Robot, scene: Scene, target: Optional[ArrayLike] = None, method: str = "hybrid",
          seed: Optional[Seed] = None, prior: Optional[IkPrior] = None, budget: float = 1.0,
          clearance: float = 0.0, prior_stop: float = 0.01,
          orientation: Optional[ArrayLike] = None, rpy: Optional[ArrayLike] = None,
          free_axis: Optional[str] = None, pos_tol: float = 1e-4,
          rot_tol: float = 0.1) -> SolveResult:
    """``Solver(robot, scene, prior, method, budget, clearance, prior_stop, pos_tol=pos_tol,
    rot_tol=rot_tol).solve(target, seed, orientation, rpy, free_axis)``."""

def solve_batch(robot: Robot, scene: Scene, targets: ArrayLike, method: str = "hybrid",
                seed: Optional[Seed] = None, prior: Optional[IkPrior] = None, budget: float = 1.0,
                clearance: float = 0.0, prior_stop: float = 0.01,
                free_axis: Optional[str] = None, pos_tol: float = 1e-4,
                rot_tol: float = 0.1) -> Dict[str, Any]:
    """``Solver(robot, scene, prior, method, budget, clearance, prior_stop, pos_tol=pos_tol,
    rot_tol=rot_tol).solve_batch(targets, seed, free_axis)``."""

def tune(prior: IkPrior, robot: Robot, scene: Optional[Scene] = None,
         target: Optional[ArrayLike] = None,
         evidence: Optional[Callable[[npt.NDArray[np.float32]], Scores]] = None,
         seed: Optional[Seed] = None, objective: str = "mace", eval_samples: Optional[int] = None,
         eval_seed: Optional[Seed] = None, orientation: Optional[ArrayLike] = None,
         rpy: Optional[ArrayLike] = None, free_axis: Optional[str] = None,
         *, iterations: Optional[int] = None, sample_size: Optional[int] = None,
         bsz: Optional[int] = None, quantile: Optional[float] = None, lr: Optional[float] = None,
         grad_steps: Optional[int] = None, time_budget: Optional[float] = None,
         stop_at_score: Optional[float] = None, first_sample_size: Optional[int] = None,
         first_sample_max: Optional[int] = None, elite_min_ratio: Optional[float] = None,
         keep_best: Optional[bool] = None) -> Posterior:
    """Tunes ``prior`` (conditioned on ``target``, default the scene's) with ``objective``
    (``"mace"`` or ``"is"``), seeded by ``seed`` (default 0), with the preset of
    ``mace ik tune`` (``TuneConfig::panda_ik_fast``) unless knobs are given:

    - to ``scene``'s IK score (``evidence=None``), as ``mace ik tune --seed S`` does, with its
      1 cm soft obstacle margin;
    - to ``evidence``, a callable ``f(q) -> scores``: ``q`` float32 ``(n, dof)``, ``n`` scores
      in [0, 1] back (see the module docstring). ``target`` is required without a scene.

    A pose target: ``orientation`` or ``rpy``, optionally ``free_axis`` (see the module
    docstring); with neither, the scene's target orientation if it has one. The IK score then
    counts the rotation error too (as ``mace ik tune`` with a scene file whose
    ``target_orientation`` is set), and a pose prior is conditioned on the pose (the full
    orientation; a free axis counts in the score).

    Prior and posterior are then evaluated on ``eval_samples`` samples (default 1000) drawn
    with ``eval_seed`` (default ``seed + 1``) in the scene (without one, for self-collisions
    only), and by the evidence.

    Row ``i`` of ``mace bench ik-table1 --seed S`` is ``tune(prior, robot, Scene("wall"),
    target=table1_targets(n, S)[i], seed=S, eval_seed=S + 1000 + i)`` with ``objective``
    ``"mace"`` and ``"is"`` (``report["prior_eval"]``, ``report["posterior_eval"]``)."""

def table1_targets(n: int = 10, seed: Seed = 0, robot: Optional[Robot] = None) -> npt.NDArray[np.float32]:
    """The ``n`` targets ``(n, 3)`` (metres, base frame) of the paper's Table 1 for ``seed``, as
    ``mace bench ik-table1 --targets N --seed S`` draws them: uniform behind the wall
    (x in [0.42, 0.60], y in [-0.30, 0.30], z in [0.53, 0.70]), each kept when numeric IK finds
    a collision-free solution in the ``wall`` scene within 10 s (``robot``: default the Panda).
    The first ``k`` targets of any ``n >= k`` are the same. See ``tune`` for the rows, and
    ``examples/ray_table1.py``."""

class ShapePrior:
    """A shape prior: the point-cloud VAE (frozen) and the latent prior N(mu, diag sigma^2) it
    samples from, whose parameters ``tune`` moves (MACE-VAE); or, for a saved posterior of
    objective ``"mix"``, the mixture of Gaussians it samples from.

    Picklable (by shipped name, or by the folder's absolute path).
    """

    @staticmethod
    def load(spec: PathType = "airplanes") -> "ShapePrior":
        """Loads a shape prior, as ``mace grasp … --prior DIR`` does: ``spec`` is a shipped
        prior's name (``"airplanes"``: ``assets/priors/airplanes``; ``"airplanes-rolled"``:
        the one trained on airplanes rolled by up to 45 degrees, Fig. 1's reference set-up) or a
        prior folder (``mace grasp train --out DIR``). Anything else, or a folder that holds no point-cloud
        VAE, raises ``ValueError``."""
    @property
    def dir(self) -> Path:
        """The folder it was loaded from."""
    @property
    def n_points(self) -> int:
        """Points per cloud (2048 for the shipped prior)."""
    @property
    def latent_dim(self) -> int:
        """Size of the latent space (128 for the shipped prior)."""
    def sample(self, n: int, seed: Optional[Seed] = None) -> npt.NDArray[np.float32]:
        """``n`` clouds ``(n, n_points, 3)`` from the prior (latent draws decoded), seeded as
        ``mace grasp inspect`` and ``mace complete tune`` draw their prior samples (the
        ``prior/`` clouds of ``mace complete tune --seed S --eval-samples N`` are
        ``sample(N, seed=S + 1)``); ``1 <= n <= 100_000``."""
    def tune(self, evidence: Callable[[npt.NDArray[np.float32]], Scores],
             seed: Optional[Seed] = None, objective: str = "mace", step_fraction: float = 0.5,
             eval_samples: Optional[int] = None, *, iterations: Optional[int] = None,
             sample_size: Optional[int] = None, bsz: Optional[int] = None,
             quantile: Optional[float] = None, lr: Optional[float] = None,
             grad_steps: Optional[int] = None, time_budget: Optional[float] = None,
             stop_at_score: Optional[float] = None, first_sample_size: Optional[int] = None,
             first_sample_max: Optional[int] = None, elite_min_ratio: Optional[float] = None,
             keep_best: Optional[bool] = None) -> "ShapePosterior":
        """Tunes the latent prior to ``evidence``, a callable ``f(clouds) -> scores``: clouds
        float32 ``(n, n_points, 3)``, ``n`` scores in [0, 1] back (see the module docstring),
        by ``objective``: ``"mace"`` (MACE-VAE with Adam, the paper's), ``"mix"`` (a mixture
        of up to 8 Gaussians over the latent axes the decoder uses, refitted to the elites by
        EM; ours, as ``mace grasp tune --objective mix``), ``"exact"`` (the closed-form update,
        moving ``step_fraction`` in (0, 1] of the way per step) or ``"is"`` (importance
        sampling); seeded by ``seed`` (default 0), with the preset of ``mace grasp tune`` for
        the objective unless knobs are given (``"mix"``: one step on the best tenth of 4096
        samples; ``lr`` plays no part and ``keep_best`` is refused; the others: 200 iterations,
        samples of 128 redrawn every 8 steps, quantile 1/16, lr 2e-3). A prior that samples a
        mixture is tuned by ``"mix"`` only (the others raise ``ValueError`` naming
        ``mixture``). Prior and posterior are then scored by the evidence on ``eval_samples``
        clouds each (default 49, seed ``seed + 1``)."""

class ShapePosterior:
    """A shape prior whose latent prior ``ShapePrior.tune`` tuned to an evidence: one Gaussian,
    or a mixture of Gaussians for objective ``"mix"``.

    ``save(dir)`` writes it as a shape prior folder that the ``mace`` command reads
    (``--prior DIR``) and ``ShapePrior.load`` / ``ShapePosterior.load`` read back, drawing the
    same clouds for the same seed. Picklable by value (the tuned latent prior and the record;
    the frozen VAE by the prior's name or folder, as ``ShapePrior`` pickles), e.g. to send it
    to other processes.
    """

    @staticmethod
    def load(dir: PathType) -> "ShapePosterior":
        """Loads a folder ``save`` wrote (its VAE, tuned latent prior and ``report.json``); a
        folder without ``report.json`` raises ``ValueError`` (a shape prior folder loads with
        ``ShapePrior.load``)."""
    @property
    def n_points(self) -> int: ...
    @property
    def latent_dim(self) -> int: ...
    @property
    def report(self) -> Dict[str, Any]:
        """What tuning measured: ``prior`` (its folder), ``objective``, ``evidence``
        (``callable``, ``calls``, ``callable_s``, ``samples``, ``prior_mean_score``,
        ``posterior_mean_score``), ``posterior_mean`` and ``posterior_std`` (the tuned latent
        prior, in the prior's principal axes; a mixture's moments), ``components`` (a
        mixture's, ``"mix"`` only) and ``report`` (the tuner's)."""
    @property
    def mixture(self) -> Optional[Dict[str, Any]]:
        """The mixture a posterior of objective ``"mix"`` samples from: ``weights`` (k values
        summing to 1), ``means`` and ``stds`` (k lists of ``latent_dim`` values, in the prior's
        principal axes); ``None`` for one Gaussian."""
    def sample(self, n: int, seed: Optional[Seed] = None) -> npt.NDArray[np.float32]:
        """``n`` clouds ``(n, n_points, 3)`` from the posterior (seeded)."""
    def save(self, dir: PathType, force: bool = False) -> None:
        """Writes the posterior as a shape prior folder: the VAE (``config.json``,
        ``weights.safetensors``, stored as the prior stores them), the tuned latent prior
        (``latent_prior.json``, in the prior's principal axes; a mixture under ``mixture``)
        and ``report.json``. ``mace grasp inspect --prior DIR`` and ``mace complete tune
        --prior DIR`` sample it as their prior (a mixture is tuned further by ``--objective
        mix`` only). The folder is written beside ``dir`` and renamed into place whole; a
        ``dir`` that holds files raises ``FileExistsError`` unless ``force`` (then it is
        replaced whole)."""

def assets_dir() -> Path:
    """The folder shipped priors and scenes are read from: ``$MACE_ASSETS`` if set, else the
    ``assets/`` folder of the clone this module was built from."""
