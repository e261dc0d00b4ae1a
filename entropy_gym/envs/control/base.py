"""The plain control env (type 3.1) and what every stochastic type shares.

A :class:`ControlEnv` owns one raw Gymnasium MuJoCo v5 env (``task_env``, built without wrappers)
and forwards to it; each stochasticity type is a subclass that overrides ``step``/``reset`` with
its few extra lines. Owning the env, rather than stacking wrappers, keeps the step overhead to a
single Python call, lets ``gym.make`` add the usual ``TimeLimit`` once, and makes the env the
``unwrapped`` object that checkers and the runner look at.

Randomness: the MuJoCo env draws its reset noise from its own generator, seeded with the
``reset`` seed exactly as ``gym.make("<Task>-v5")`` would, so a perturbation probability of zero
reproduces the plain Gymnasium trajectory bit for bit. The perturbations draw from
``self.np_random``, a child stream of the same seed (``SeedSequence(seed).spawn(1)[0]``), so the
two streams never coincide. Per-step draws come from :meth:`ControlEnv.uniform` and
:meth:`ControlEnv.draw_row`, which take them from ``self.np_random`` a batch at a time: a numpy
call per draw would cost more than everything else a type adds to the step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar, SupportsFloat

import gymnasium as gym
import numpy as np

from entropy_gym.envs.control.tasks import ControlTask, get_task, make_task_env, velocity_slices
from entropy_gym.envs.display import has_display

#: Draws (scalars or rows) fetched from ``np_random`` at once.
DRAW_BATCH = 256


#: What ``render_mode="human"`` needs: MuJoCo draws it in a GLFW window, which aborts the
#: interpreter (not an exception) where no display exists.
HUMAN_MODE_NEEDS = "a display (DISPLAY or WAYLAND_DISPLAY set)"


def event_rng(seed: int) -> np.random.Generator:
    """The perturbation generator for ``reset(seed=seed)``: a child stream of ``seed``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed).spawn(1)[0]))


def check_action(action: Any, space: gym.spaces.Box, label: str) -> np.ndarray:
    """``action`` as a finite float array of ``space``'s shape, or a one-line error."""
    if action is None or isinstance(action, (str, bytes, dict, bool, np.bool_)):
        raise TypeError(
            f"{label}: action of type {type(action).__name__}; expected a float array of shape "
            f"{space.shape} in {space}"
        )
    try:
        arr = np.asarray(action)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{label}: action of type {type(action).__name__} is not an array ({err}); "
            f"expected shape {space.shape} in {space}"
        ) from None
    if arr.dtype.kind not in "fiu":
        raise TypeError(
            f"{label}: action of type {type(action).__name__} with dtype {arr.dtype}; expected "
            f"a float array of shape {space.shape} in {space}"
        )
    if arr.shape != space.shape:
        raise ValueError(
            f"{label}: action of shape {arr.shape}; expected shape {space.shape} in {space}"
        )
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr.reshape(-1)))[0])
        raise ValueError(f"{label}: action {arr.tolist()} is not finite at index {bad} ({space})")
    return arr


class ControlEnv(gym.Env[np.ndarray, np.ndarray]):
    """A Gymnasium MuJoCo v5 task, plain (type 3.1 of the taxonomy: nothing added).

    Args:
        task: one of ``entropy_gym.envs.control.tasks.TASKS`` (e.g. ``"HalfCheetah"``).
        render_mode: passed to the MuJoCo env.
        **task_kwargs: the MuJoCo env's own arguments (e.g. ``ctrl_cost_weight``).

    >>> import gymnasium as gym, numpy as np
    >>> env = gym.make("Control/InvertedPendulum-T1-v0")    # type 1: corrupted actions
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape, env.action_space
    ((4,), Box(-3.0, 3.0, (1,), float32))
    >>> obs, reward, terminated, truncated, info = env.step(np.zeros(1, np.float32))
    >>> sorted(info)
    ['action_corrupted', 'executed_action', 'reward_survive']
    """

    #: This family reports no ``info["episode_metrics"]``.
    EPISODE_METRICS: ClassVar[tuple[str, ...]] = ()
    #: What ``gym.make`` checks ``render_mode`` against. An instance declares the MuJoCo env's
    #: modes, ``human`` only where :func:`has_display`, so that ``check_env`` (which builds an
    #: env of every declared mode) works headless; ``human`` without a display is refused.
    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": ["human", "rgb_array", "depth_array", "rgbd_tuple"]
    }

    stochasticity_type: ClassVar[str] = "3.1"
    #: The env's own parameters, in the order they are documented.
    param_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, task: str, render_mode: str | None = None, **task_kwargs: Any) -> None:
        self.task: ControlTask = get_task(task)
        if render_mode == "human" and not has_display():
            raise RuntimeError(
                f"{self.label}: render_mode='human' opens a window and needs {HUMAN_MODE_NEEDS}; "
                "without one use render_mode='rgb_array' with MUJOCO_GL=egl or osmesa"
            )
        self.task_env = make_task_env(
            self.task, render_mode, task_kwargs, self.label, self.param_names
        )
        self.task_kwargs = dict(task_kwargs)
        #: The MuJoCo model and data (state) of this env; no other env shares them.
        self.model = self.task_env.unwrapped.model
        self.data = self.task_env.unwrapped.data
        self.observation_space = self.task_env.observation_space
        self.action_space = self.task_env.action_space
        self._action_shape = self.action_space.shape
        modes = list(self.task_env.metadata["render_modes"])
        if not has_display():
            modes = [m for m in modes if m != "human"]
        self.metadata = {**self.task_env.metadata, "render_modes": modes}
        self.render_mode = render_mode
        self._uniforms: list[float] = []
        self._rows: dict[tuple, list] = {}

    # -- what the env is -------------------------------------------------------------------
    @property
    def label(self) -> str:
        """The env's name in messages, e.g. ``Control/Hopper-T2.1``."""
        return f"Control/{self.task.name}-T{self.stochasticity_type}"

    def params(self) -> dict[str, Any]:
        """The resolved values of the env's own parameters (what a leaderboard row records)."""
        return {name: getattr(self, name) for name in self.param_names}

    def velocity_dims(self) -> tuple[int, ...]:
        """Indices of the observation that are velocities (``qvel``, and ``cvel`` for Humanoid)."""
        return tuple(i for s in velocity_slices(self.task_env) for i in range(s.start, s.stop))

    def task_info(self) -> dict[str, Any]:
        """Facts an agent may use (the runner passes them as ``TaskSpec.env_info``)."""
        return {
            "task": self.task.name,
            "gym_id": self.task.gym_id,
            "type": self.stochasticity_type,
            "params": self.params(),
            "velocity_dims": list(self.velocity_dims()),
        }

    # -- the Gymnasium API -----------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        obs, info = self.task_env.reset(seed=seed, options=options)
        if seed is not None:
            self._np_random, self._np_random_seed = event_rng(seed), seed
            self._uniforms.clear()
            self._rows.clear()
        return obs, info

    def uniform(self) -> float:
        """The next uniform draw in [0, 1) of the perturbation stream (``np_random``)."""
        if not self._uniforms:
            self._uniforms = self.np_random.random(DRAW_BATCH).tolist()[::-1]
        return self._uniforms.pop()

    def draw_row(self, kind: str, size: int, dtype: type = np.float64) -> np.ndarray:
        """The next ``size`` draws of ``kind`` (``"random"`` or ``"standard_normal"``).

        A row is a view into a batch and is never handed out again; what an env returns must be
        computed from it, never the row itself.
        """
        key = (kind, size, dtype)
        slot = self._rows.get(key)
        if slot is None or slot[1] == DRAW_BATCH:
            batch = getattr(self.np_random, kind)((DRAW_BATCH, size)).astype(dtype)
            slot = self._rows[key] = [batch, 0]
        row = slot[0][slot[1]]
        slot[1] += 1
        return row

    def checked(self, action: Any) -> np.ndarray:
        """``action`` if it is a finite float array of the action space's shape (the fast
        path), else it converted to one, or a ``TypeError`` / ``ValueError`` that names the
        action's type or shape and the action space."""
        if (
            type(action) is np.ndarray
            and action.shape == self._action_shape
            and action.dtype.kind == "f"
            # A NaN or inf makes the dot product non-finite (3x cheaper than isfinite().all());
            # so does a huge finite value, which the full check below then accepts.
            and math.isfinite(action.dot(action))
        ):
            return action
        return check_action(action, self.action_space, self.label)

    def step(
        self, action: np.ndarray
    ) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        return self.task_env.step(self.checked(action))

    def render(self):
        return self.task_env.render()

    def close(self) -> None:
        self.task_env.close()


# -- parameter checks shared by the types: one line, naming what is allowed ------------------
def check_choice(label: str, name: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(
            f"{label}: {name}={value!r} is not allowed; expected one of {tuple(allowed)}"
        )
    return value


def check_prob(label: str, name: str, value: Any) -> float:
    if not _is_real(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{label}: {name}={value!r} is not allowed; expected a number in [0, 1]")
    return float(value)


def check_nonneg(label: str, name: str, value: Any, positive: bool = False) -> float:
    bad = not _is_real(value) or not math.isfinite(value) or value < 0 or (positive and value == 0)
    if bad:
        what = "a finite number > 0" if positive else "a finite number >= 0"
        raise ValueError(f"{label}: {name}={value!r} is not allowed; expected {what}")
    return float(value)


def check_count(label: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{label}: {name}={value!r} is not allowed; expected an integer >= 1")
    return int(value)


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
