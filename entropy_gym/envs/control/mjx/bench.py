"""Env steps per second of a ``Control/`` id: batched on MJX, or on the runner's sync path.

``tests/benchmarks/test_control_mjx_speed.py`` (CPU, against the sync path) and
``tests/benchmarks/test_gpu_figures.py`` (thousands of worlds on a GPU) call these.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from entropy_gym.envs.control.mjx.factory import make_mjx_env


def mjx_rollout(env_id: str, num_envs: int, steps: int, device: Any = None, **kwargs: Any) -> Any:
    """A jitted program ``run(key) -> total reward`` that resets ``num_envs`` envs of ``env_id``
    and steps them ``steps`` times with uniform random actions, all on the device (the way a
    jitted trainer steps them: no host round trip per step). ``device``: ``None`` (jax's
    default), a ``jax.Device``, or ``"cpu"`` / ``"gpu"`` / ``"cuda[:N]"``."""
    jax_device = _device(device)
    env = make_mjx_env(env_id, num_envs, device=jax_device, **kwargs)
    low, high = jnp.asarray(env.action_low), jnp.asarray(env.action_high)

    def run(key: jax.Array) -> jax.Array:
        key, reset_key = jax.random.split(key)

        def body(carry: tuple[Any, jax.Array], _: Any) -> tuple[tuple[Any, jax.Array], jax.Array]:
            state, key = carry
            key, action_key = jax.random.split(key)
            action = jax.random.uniform(
                action_key, (num_envs, env.action_size), minval=low, maxval=high
            )
            state = env.step(state, action)
            return (state, key), state.reward.sum()

        _, rewards = jax.lax.scan(body, (env.reset(reset_key), key), None, length=steps)
        return rewards.sum()

    program = jax.jit(run)
    return lambda key: program(key if jax_device is None else jax.device_put(key, jax_device))


def mjx_steps_per_second(
    env_id: str, num_envs: int, steps: int = 1000, device: Any = None, **kwargs: Any
) -> dict[str, float]:
    """Env steps per second (``num_envs * steps`` over the seconds they take) of ``env_id``
    batched on MJX inside one jitted scan: ``first`` includes compilation, ``warm`` is a
    second call of the compiled program."""
    program = mjx_rollout(env_id, num_envs, steps, device, **kwargs)
    start = time.perf_counter()
    program(jax.random.PRNGKey(0)).block_until_ready()
    first = time.perf_counter() - start
    start = time.perf_counter()
    program(jax.random.PRNGKey(1)).block_until_ready()
    warm = time.perf_counter() - start
    work = num_envs * steps
    return {"first": work / first, "warm": work / warm, "compile_s": first - warm}


def _device(device: Any) -> Any:
    if device is None or isinstance(device, jax.Device):
        return device
    from entropy_gym.core.device import jax_device

    return jax_device(str(device), "mjx_rollout")


def vector_steps_per_second(
    env_id: str, num_envs: int, steps: int, native: bool, **kwargs: Any
) -> float:
    """Env steps per second of ``steps`` host-side vector steps with uniform random actions:
    the MJX ``VectorEnv`` (``native``: numpy in and out each step, as the runner's batched
    path uses it; compiled before timing) or a ``SyncVectorEnv`` of ``gym.make`` envs (the
    runner's sync path)."""
    import entropy_gym  # noqa: F401  (registers the ids)

    if native:
        vec: Any = gym.make_vec(
            env_id,
            num_envs=num_envs,
            vectorization_mode="vector_entry_point",
            autoreset_mode=AutoresetMode.SAME_STEP,
            **kwargs,
        )
    else:
        vec = SyncVectorEnv(
            [lambda: gym.make(env_id, **kwargs)] * num_envs, autoreset_mode=AutoresetMode.SAME_STEP
        )
    try:
        space = vec.single_action_space
        rng = np.random.default_rng(0)
        actions = rng.uniform(space.low, space.high, (steps + 1, num_envs, *space.shape))
        vec.reset(seed=0)
        vec.step(actions[0].astype(np.float32))  # compiles the MJX step
        start = time.perf_counter()
        for action in actions[1:]:
            vec.step(action.astype(np.float32))
        return num_envs * steps / (time.perf_counter() - start)
    finally:
        vec.close()


__all__ = ["mjx_rollout", "mjx_steps_per_second", "vector_steps_per_second"]
