"""Steps per second of a STORI id batched on ALE's vector env, or on the runner's sync path.

``tests/benchmarks/test_stori_vector_speed.py`` and GPU-machine scripts call
:func:`stori_vector_steps_per_second`.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorEnv


def make_stori_batch(env_id: str, num_envs: int, batched: bool, **kwargs: Any) -> VectorEnv:
    """``num_envs`` envs of ``env_id`` (``obs_mode="atari84"`` unless given), same-step
    autoreset: ALE's vector env if ``batched``, else a ``SyncVectorEnv`` of ``gym.make`` envs
    as the runner builds it."""
    import entropy_gym  # noqa: F401  (registers the ids)

    kwargs = {"obs_mode": "atari84", **kwargs}
    if batched:
        return gym.make_vec(
            env_id,
            num_envs=num_envs,
            vectorization_mode="vector_entry_point",
            autoreset_mode=AutoresetMode.SAME_STEP,
            **kwargs,
        )
    return SyncVectorEnv(
        [lambda: gym.make(env_id, **kwargs)] * num_envs, autoreset_mode=AutoresetMode.SAME_STEP
    )


def time_steps(vec: VectorEnv, steps: int, seed: int = 0) -> float:
    """Seconds that ``steps`` vector steps of uniform random actions take (after a reset)."""
    vec.reset(seed=seed)
    space: Any = vec.single_action_space
    actions = np.random.default_rng(seed).integers(space.n, size=(steps, vec.num_envs))
    start = time.perf_counter()
    for a in actions:
        vec.step(a)
    return time.perf_counter() - start


def stori_vector_steps_per_second(env_id: str, num_envs: int, steps: int, batched: bool) -> float:
    """Env steps per second (``num_envs * steps`` over the time of ``steps`` vector steps) of
    ``env_id`` with ``obs_mode="atari84"``: batched on ALE's vector env or on the sync path."""
    if num_envs < 1 or steps < 1:
        raise ValueError(f"num_envs and steps must be >= 1, got {num_envs} and {steps}")
    vec = make_stori_batch(env_id, num_envs, batched)
    try:
        time_steps(vec, min(20, steps))  # warm-up
        return num_envs * steps / time_steps(vec, steps)
    finally:
        vec.close()
