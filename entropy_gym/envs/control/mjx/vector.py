"""The ``Control/`` ids as a Gymnasium ``VectorEnv`` on MJX: the native ``gym.make_vec`` form.

``gym.make_vec("Control/Hopper-T1-v0", num_envs=1024, vectorization_mode="vector_entry_point")``
builds :class:`MjxVectorEnv`: the whole batch is one jitted ``step`` of
:class:`~entropy_gym.envs.control.mjx.env.MjxControlEnv` on the jax device, with numpy arrays
in and out (float32). Jitted trainers that never leave the device use the functional env
(:func:`~entropy_gym.envs.control.mjx.make_mjx_env`) directly instead.

Seeding: ``reset(seed=s)`` seeds row ``i`` with ``s + i`` and ``reset(seed=[...])`` row ``i``
with its entry, each as ``jax.random.PRNGKey(seed)``; a row's later episodes continue its own
key. Autoreset: ``NEXT_STEP`` (Gymnasium's default) or ``SAME_STEP`` (``final_obs`` /
``final_info`` laid out as in ``SyncVectorEnv``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from entropy_gym.envs.control.base import check_action
from entropy_gym.envs.control.mjx.env import MjxControlEnv
from entropy_gym.envs.control.mjx.factory import make_mjx_env
from entropy_gym.envs.control.mjx.state import MjxState

#: Autoreset modes this vector env runs.
AUTORESET_MODES = (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP)


class MjxVectorEnv(VectorEnv):
    """``num_envs`` copies of one ``Control/`` id stepped as one batch on MJX (see the module
    docstring); build it with ``gym.make_vec(id, num_envs, vectorization_mode=
    "vector_entry_point")`` or :func:`make_mjx_vector_env`."""

    #: This family reports no ``info["episode_metrics"]``.
    EPISODE_METRICS: ClassVar[tuple[str, ...]] = ()

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, env: MjxControlEnv, autoreset_mode: AutoresetMode | str) -> None:
        self.env = env
        self.num_envs = env.num_envs
        self.autoreset_mode = _autoreset_mode(autoreset_mode)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.render_mode = None
        self.single_observation_space = gym.spaces.Box(
            -np.inf, np.inf, (env.obs_size,), dtype=np.float32
        )
        self.single_action_space = gym.spaces.Box(env.action_low, env.action_high, dtype=np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._reset, self._step, self._step_after_end = _programs(env)
        self._state: MjxState | None = None
        self._ended = np.zeros(self.num_envs, dtype=bool)
        self._reset_info: dict[str, Any] = {}
        self._label = env.env_id

    def task_info(self) -> dict[str, Any]:
        """What a single env's ``task_info()`` says, plus ``backend``."""
        return self.env.task_info()

    # ------------------------------------------------------------------ gym API
    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every env; ``seed`` an int (env ``i`` gets ``seed + i``) or one per env."""
        if options:
            raise ValueError(
                f"{self._label}: reset options {sorted(options)} are not supported by the MJX "
                "vector env; expected none (every env resets)"
            )
        self._state = self._reset(_keys(_seeds(seed, self.num_envs, self._label)))
        self._ended[:] = False
        state = _host_view(self._state)
        self._reset_info = state.reset_info
        return np.asarray(state.obs), _vector_info(state.reset_info, self.num_envs)

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._state is None:
            raise RuntimeError(f"{self._label}: call reset() before step()")
        action = check_action(actions, self.action_space, self._label).astype(np.float32)
        ended, previous = self._ended, self._reset_info
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:  # one program, whatever ended
            self._state = self._step_after_end(self._state, action, jnp.asarray(ended))
        else:
            self._state = self._step(self._state, action)
        state = _host_view(self._state)
        terminated = np.asarray(state.terminated)
        truncated = np.asarray(state.truncated)
        done = terminated | truncated
        n = self.num_envs
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            # The batch autoreset the envs that ended in the step they ended; they show their
            # last obs then, and the reset obs (and reset info) at the next step, in which
            # ``_hold_ended`` keeps them still.
            obs = np.where(done[:, None], np.asarray(state.final_obs), np.asarray(state.obs))
            info = _vector_info(state.info, n, rows=~ended)
            if ended.any():
                info = _merge(info, previous, ended, n)
            self._ended, self._reset_info = done.copy(), state.reset_info
            return obs, np.asarray(state.reward), terminated, truncated, info
        info = _vector_info(state.info, n)
        obs = np.asarray(state.obs)
        if done.any():
            final_obs = np.full(n, None, dtype=object)
            final = np.asarray(state.final_obs)
            for row in np.flatnonzero(done):
                final_obs[row] = final[row].copy()
            final_info = _vector_info(state.info, n, rows=done)
            info = _merge(info, state.reset_info, done, n)
            info.update(
                final_obs=final_obs,
                _final_obs=done.copy(),
                final_info=final_info,
                _final_info=done.copy(),
            )
        return obs, np.asarray(state.reward), terminated, truncated, info


def make_mjx_vector_env(
    env_id: str,
    num_envs: int = 1,
    *,
    autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
    backend: str = "mjx",
    device: Any = None,
    **kwargs: Any,
) -> MjxVectorEnv:
    """``num_envs`` envs of ``env_id`` as a :class:`MjxVectorEnv`; ``kwargs`` as for
    ``gym.make(env_id, ...)``, ``device`` a ``jax.Device`` or ``"cpu"`` / ``"cuda[:N]"``."""
    jax_device = _jax_device(device, env_id)
    try:
        frozen = tuple(sorted(kwargs.items()))
        hash(frozen)
    except TypeError:  # unhashable keyword values: build afresh
        env = make_mjx_env(env_id, num_envs, backend=backend, device=jax_device, **kwargs)
    else:
        env = _cached_env(env_id, int(num_envs), backend, jax_device, frozen)
    return MjxVectorEnv(env, autoreset_mode)


@functools.lru_cache(maxsize=8)
def _cached_env(
    env_id: str, num_envs: int, backend: str, device: Any, kwargs: tuple[tuple[str, Any], ...]
) -> MjxControlEnv:
    """Equal requests share one env (it holds only constants), and with it the compiled
    programs of :func:`_programs`: a process that runs many cells of one id compiles once."""
    return make_mjx_env(env_id, num_envs, backend=backend, device=device, **dict(kwargs))


@functools.lru_cache(maxsize=8)
def _programs(env: MjxControlEnv) -> tuple[Callable[..., Any], ...]:
    """The jitted reset, step (same-step autoreset) and step holding ended envs of ``env``,
    each announcing its first call, which compiles (seconds to tens of seconds on a CPU)."""
    label = f"{env.env_id} on MJX ({env.num_envs} envs)"
    return (
        _FirstCallReported(jax.jit(env.reset_from_keys), f"{label}: reset"),
        _FirstCallReported(jax.jit(env.step), f"{label}: step"),
        _FirstCallReported(jax.jit(_hold_ended(env)), f"{label}: step"),
    )


class _FirstCallReported:
    """A jitted function whose first call is reported as a compilation (progress lines)."""

    def __init__(self, function: Callable[..., Any], what: str) -> None:
        self.function, self.what, self.called = function, what, False

    def __call__(self, *args: Any) -> Any:
        if self.called:
            return self.function(*args)
        from entropy_gym.core.progress import compiling

        result = compiling(self.what, lambda: jax.block_until_ready(self.function(*args)))
        self.called = True
        return result


def _entry_point(kind: str) -> Callable[..., MjxVectorEnv]:
    """The vector entry point of the type ``kind`` (``gym.make_vec`` passes the registered
    kwargs, which name the task but not the type)."""

    def make(num_envs: int = 1, *, task: str, device: Any = None, **kwargs: Any) -> MjxVectorEnv:
        return make_mjx_vector_env(f"Control/{task}-T{kind}-v0", num_envs, device=device, **kwargs)

    make.__name__ = make.__qualname__ = f"make_vector_t{kind.replace('.', '_')}"
    make.__doc__ = (
        f"The vector entry point of the type-{kind} ``Control/`` ids (``device``: where the "
        "batch runs, as for :func:`make_mjx_vector_env`; the runner passes a cell's device)."
    )
    return make


make_vector_t1 = _entry_point("1")
make_vector_t2_1 = _entry_point("2.1")
make_vector_t2_2 = _entry_point("2.2")
make_vector_t3_1 = _entry_point("3.1")
make_vector_t3_2 = _entry_point("3.2")


# ---------------------------------------------------------------------- helpers
def _hold_ended(env: MjxControlEnv) -> Callable[[MjxState, jax.Array, jax.Array], MjxState]:
    """A step in which the envs of ``ended`` do not move: they stay in the state their
    autoreset gave them and report reward 0, as ``NEXT_STEP``'s reset step does."""

    def step(state: MjxState, action: jax.Array, ended: jax.Array) -> MjxState:
        stepped = env.step(state, action)

        def hold(new: jax.Array, old: jax.Array) -> jax.Array:
            mask = ended.reshape(ended.shape + (1,) * (new.ndim - 1))
            return jnp.where(mask, old, new)

        held = jax.tree_util.tree_map(hold, stepped, state)
        return held.replace(
            reward=jnp.where(ended, 0.0, stepped.reward),
            terminated=stepped.terminated & ~ended,
            truncated=stepped.truncated & ~ended,
            final_obs=jnp.where(ended[:, None], state.obs, stepped.final_obs),
        )

    return step


def _host_view(state: MjxState) -> MjxState:
    """``state`` with what a step returns copied to the host, in one transfer; the physics
    (``data``: about a hundred arrays) and the type's own state stay on the device."""
    fields = ("obs", "reward", "terminated", "truncated", "final_obs", "info", "reset_info")
    host = jax.device_get({name: getattr(state, name) for name in fields})
    return state.replace(**host)


def _vector_info(info: dict[str, Any], n: int, rows: np.ndarray | None = None) -> dict[str, Any]:
    """A batched info dict as Gymnasium's vector envs lay it out (each key with a ``_key``
    mask; ``rows`` all envs unless given, zeros outside them)."""
    mask = np.ones(n, dtype=bool) if rows is None else rows
    out: dict[str, Any] = {}
    for key, value in info.items():
        array = np.asarray(value)
        if rows is not None:
            array = np.where(mask.reshape((n,) + (1,) * (array.ndim - 1)), array, 0)
        out[key] = array
        out[f"_{key}"] = mask.copy()
    return out


def _merge(info: dict[str, Any], other: dict[str, Any], rows: np.ndarray, n: int) -> dict[str, Any]:
    """``info`` with ``other``'s values in ``rows`` (keys only ``other`` has: zeros elsewhere)."""
    out = dict(info)
    for key, value in other.items():
        array = np.asarray(value)
        merged = np.array(out[key]) if key in out else np.zeros_like(array)
        merged[rows] = array[rows]
        out[key] = merged
        out[f"_{key}"] = out.get(f"_{key}", np.zeros(n, dtype=bool)) | rows
    return out


def _seeds(seed: Any, n: int, label: str) -> list[int]:
    """One integer seed per env (fresh entropy for ``None``)."""
    if seed is None:
        base = int(np.random.SeedSequence().entropy % 2**31)
        return [base + i for i in range(n)]
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return [int(seed) + i for i in range(n)]
    seeds = list(seed)
    if len(seeds) != n:
        raise ValueError(f"{label}: {len(seeds)} seeds for {n} envs; expected an int or {n} seeds")
    fresh = _seeds(None, n, label)
    return [fresh[i] if s is None else int(s) for i, s in enumerate(seeds)]


def _keys(seeds: list[int]) -> jax.Array:
    """``jax.random.PRNGKey(s)`` for each seed (seeds outside uint32 are reduced modulo 2**32)."""
    return jax.vmap(jax.random.PRNGKey)(jnp.asarray([s % 2**32 for s in seeds], jnp.uint32))


def _jax_device(device: Any, label: str) -> Any:
    if device is None or isinstance(device, jax.Device):
        return device
    from entropy_gym.core.device import jax_device
    from entropy_gym.core.errors import ConfigError

    try:
        return jax_device(str(device), label)
    except ConfigError as err:
        raise ValueError(str(err)) from None


def _autoreset_mode(value: AutoresetMode | str) -> AutoresetMode:
    try:
        mode = AutoresetMode(value)
    except ValueError:
        mode = None
    if mode not in AUTORESET_MODES:
        raise ValueError(
            f"autoreset_mode {value!r} is not supported by the MJX vector env; expected one of "
            f"{[m.value for m in AUTORESET_MODES]}"
        )
    return mode


__all__ = ["AUTORESET_MODES", "MjxVectorEnv", "make_mjx_vector_env"]
