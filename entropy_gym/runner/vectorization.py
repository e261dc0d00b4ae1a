"""How a cell's evaluation envs are batched: ``sync`` (one Gymnasium env per slot in a
``SyncVectorEnv``) or ``native`` (the id's own batched implementation, its spec's
``vector_entry_point``, built with ``gym.make_vec``).

Which one a cell uses: the env entry's ``vectorization``, else the suite's, else the agent's
``vectorization`` attribute (a device-resident agent sets ``vectorization = "native"``), else
``sync``. A suite that says ``sync`` keeps an agent's wish from switching the backend.

On the native path the runner passes the cell's device to a vector entry point that takes a
``device`` argument, unless the device is ``cpu`` (then the env keeps its default backend, e.g.
the text bandits' numpy core), so that the numbers of a ``TextBandit/`` id live in torch on the
GPU under ``--device cuda``. Nothing here imports an accelerator library.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import load_env_creator
from gymnasium.vector import AutoresetMode, VectorEnv

from entropy_gym.core.device import Device
from entropy_gym.core.errors import ConfigError
from entropy_gym.runner.envs import resolve_env_id

SYNC = "sync"
NATIVE = "native"
#: The values of the ``vectorization`` key.
VECTORIZATIONS = (SYNC, NATIVE)


def check_vectorization(value: Any, where: str) -> str:
    """``value`` if it is one of :data:`VECTORIZATIONS`, else a one-line ``ConfigError``."""
    if value not in VECTORIZATIONS:
        raise ConfigError(
            f"{where}: unknown vectorization {value!r}; expected one of: {', '.join(VECTORIZATIONS)}"
        )
    return str(value)


def choose_vectorization(configured: str | None, agent: Any) -> str:
    """The backend of a cell: the suite's choice (``configured``) where it made one, else the
    agent's ``vectorization`` attribute, else ``sync``."""
    if configured is not None:
        return configured
    wish = getattr(agent, "vectorization", None)
    return SYNC if wish is None else check_vectorization(wish, f"agent {_agent_name(agent)!r}")


def require_vector_entry_point(env_id: str) -> gym.envs.registration.EnvSpec:
    """The spec of ``env_id``; a one-line ``ConfigError`` when it has no native vector env."""
    spec = resolve_env_id(env_id)
    if spec.vector_entry_point is None:
        raise ConfigError(
            f"env {env_id!r} has no vector entry point, so vectorization: native cannot batch "
            "it; expected vectorization: sync for this env"
        )
    return spec


def takes_device(spec: gym.envs.registration.EnvSpec) -> bool:
    """Whether the vector entry point of ``spec`` has a ``device`` parameter."""
    entry: Any = spec.vector_entry_point
    creator = load_env_creator(entry) if isinstance(entry, str) else entry
    try:
        parameters = inspect.signature(creator).parameters
    except (TypeError, ValueError):
        return False
    return "device" in parameters


def env_device(spec: gym.envs.registration.EnvSpec, device: str) -> str | None:
    """The device the native env of ``spec`` is given: ``device`` where its vector entry point
    takes one and the device is not ``cpu``, else ``None`` (the env's default backend)."""
    return None if Device.parse(device).is_cpu or not takes_device(spec) else device


def make_native(
    env_id: str, env_kwargs: Mapping[str, Any], num_envs: int, device: str | None = None
) -> VectorEnv:
    """``gym.make_vec`` of ``env_id`` through its vector entry point, with same-step autoreset
    (and ``device``, where given); a ``ConfigError`` for an id without one, or a vector env
    that does not autoreset in the same step."""
    spec = require_vector_entry_point(env_id)
    kwargs = dict(env_kwargs)
    if device is not None:
        kwargs["device"] = device
    vec = gym.make_vec(
        spec.id,
        num_envs=num_envs,
        vectorization_mode="vector_entry_point",
        autoreset_mode=AutoresetMode.SAME_STEP,
        **kwargs,
    )
    mode = vec.metadata.get("autoreset_mode")
    same_step = mode in (AutoresetMode.SAME_STEP, AutoresetMode.SAME_STEP.value)
    if not same_step or vec.num_envs != num_envs:
        vec.close()
        raise ConfigError(
            f"env {env_id!r}: its vector env {type(vec.unwrapped).__name__} runs "
            f"{vec.num_envs} envs with autoreset_mode {mode!r}; expected {num_envs} with "
            "AutoresetMode.SAME_STEP (or vectorization: sync)"
        )
    return vec


def _agent_name(agent: Any) -> str:
    return str(getattr(agent, "name", type(agent).__name__))


__all__ = [
    "NATIVE",
    "SYNC",
    "VECTORIZATIONS",
    "check_vectorization",
    "choose_vectorization",
    "env_device",
    "make_native",
    "require_vector_entry_point",
    "takes_device",
]
