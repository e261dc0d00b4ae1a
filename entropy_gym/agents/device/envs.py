"""The batched pure-JAX env an id trains on, and the API the device agents need of it.

``Control/`` ids come from :func:`entropy_gym.envs.control.mjx.make_mjx_env`; other batched
envs (test stand-ins, new backends) are added with :func:`register_batched_env`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np

from entropy_gym.core.errors import ConfigError


class BatchedEnv(Protocol):
    """What the device agents use of a batched env (``MjxControlEnv``'s API).

    ``reset(key)`` and ``step(state, action)`` are pure and jit-able; ``step`` resets ended
    envs in the same step. The state has ``obs`` (first obs of the next episode after a
    reset), ``reward``, ``terminated``, ``truncated`` and ``final_obs`` (the last obs of an
    episode that ended, ``obs`` otherwise), each with the batch as its leading axis.
    """

    num_envs: int
    obs_size: int
    action_size: int
    action_low: np.ndarray
    action_high: np.ndarray
    max_episode_steps: int

    def reset(self, key: Any) -> Any: ...

    def step(self, state: Any, action: Any) -> Any: ...


BatchedEnvFactory = Callable[..., BatchedEnv]

#: Batched envs for ids outside ``Control/``: env id -> ``factory(num_envs=..., **kwargs)``.
BATCHED_ENVS: dict[str, BatchedEnvFactory] = {}


def register_batched_env(env_id: str, factory: BatchedEnvFactory) -> None:
    """Train the device agents on ``factory(num_envs=N, **env_kwargs)`` for ``env_id``."""
    BATCHED_ENVS[env_id] = factory
    _cached_env.cache_clear()


def has_batched_env(env_id: str) -> bool:
    """Whether :func:`make_batched_env` knows ``env_id`` (without building anything)."""
    return env_id in BATCHED_ENVS or env_id.startswith("Control/")


def make_batched_env(env_id: str, num_envs: int, **kwargs: Any) -> BatchedEnv:
    """The batched env for ``env_id``. Envs are pure (their state is separate), so equal
    requests share one object, and with it the agents' compiled programs."""
    try:
        key = tuple(sorted(kwargs.items()))
        hash(key)
    except TypeError:
        return _build_env(env_id, num_envs, kwargs)
    return _cached_env(env_id, num_envs, key)


@functools.lru_cache(maxsize=8)
def _cached_env(env_id: str, num_envs: int, kwargs: tuple[tuple[str, Any], ...]) -> BatchedEnv:
    return _build_env(env_id, num_envs, dict(kwargs))


def _build_env(env_id: str, num_envs: int, kwargs: Mapping[str, Any]) -> BatchedEnv:
    if env_id in BATCHED_ENVS:
        return BATCHED_ENVS[env_id](num_envs=num_envs, **kwargs)
    if not env_id.startswith("Control/"):
        known = ", ".join(sorted(BATCHED_ENVS)) or "none registered"
        raise ConfigError(
            f"env '{env_id}' has no batched JAX env; expected a Control/ id or one of: {known}"
        )
    try:
        backend = importlib.import_module("entropy_gym.envs.control.mjx")
    except ImportError as err:
        raise ConfigError(
            f"env '{env_id}' needs the MJX backend entropy_gym.envs.control.mjx: {err}"
        ) from err
    env: BatchedEnv = backend.make_mjx_env(env_id, num_envs=num_envs, **kwargs)
    return env
