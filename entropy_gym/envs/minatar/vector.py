"""The native ``gym.make_vec`` form of a ``STORI/MinAtar-*`` id: every row in one jitted,
vmapped call of the functional form.

``gym.make_vec("STORI/MinAtar-Breakout-T1-v0", num_envs=64,
vectorization_mode="vector_entry_point")`` builds :class:`MinAtarStoriVectorEnv`. Row ``i``
of ``reset(seed=s)`` is seeded ``s + i`` (or its entry of a list) and spends its key chain
exactly as a single env seeded so (:mod:`.env`), so each row equals that env step for step,
through its resets. Autoreset: ``NEXT_STEP`` (Gymnasium's default): the step after an episode
ended resets that row (reward 0, no flags) and returns its first observation.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from entropy_gym.envs.minatar.env import observation_space
from entropy_gym.envs.minatar.functional import MinAtarStori


@functools.lru_cache(maxsize=None)
def vector_programs(config: MinAtarStori) -> tuple[Any, Any]:
    """Jitted batched ``reset(keys)`` and NEXT_STEP ``step(keys, states, actions, pending)``."""

    def reset(keys: jax.Array) -> tuple[jax.Array, jax.Array, Any]:
        keys, subs = jax.vmap(jax.random.split, out_axes=1)(keys)
        obs, states = jax.vmap(config.reset)(subs)
        return keys, obs, states

    def step(keys: jax.Array, states: Any, actions: jax.Array, pending: jax.Array) -> Any:
        keys, subs = jax.vmap(jax.random.split, out_axes=1)(keys)
        obs, nxt, reward, terminated, truncated, info = jax.vmap(config.step)(subs, states, actions)
        reset_obs, reset_states = jax.vmap(config.reset)(subs)

        def pick(a: Any, b: Any) -> Any:
            return jnp.where(pending.reshape((-1,) + (1,) * (a.ndim - 1)), a, b)

        obs = pick(reset_obs, obs)
        nxt = jax.tree.map(pick, reset_states, nxt)
        reward = jnp.where(pending, 0.0, reward)
        terminated = terminated & ~pending
        truncated = truncated & ~pending
        info = jax.tree.map(lambda x: jnp.where(pending, jnp.zeros_like(x), x), info)
        return keys, obs, nxt, reward, terminated, truncated, info

    return jax.jit(reset), jax.jit(step)


class MinAtarStoriVectorEnv(VectorEnv):
    """``num_envs`` rows of one MinAtar STORI configuration (see the module docstring)."""

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        config: MinAtarStori,
        num_envs: int,
        autoreset_mode: AutoresetMode | str | None = None,
    ) -> None:
        if not isinstance(num_envs, int) or isinstance(num_envs, bool) or num_envs < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        mode = AutoresetMode(autoreset_mode) if autoreset_mode else AutoresetMode.NEXT_STEP
        if mode != AutoresetMode.NEXT_STEP:
            raise ValueError(
                f"autoreset_mode {mode.value!r} is not supported by the MinAtar vector env; "
                "it runs NEXT_STEP"
            )
        self.config = config
        self.num_envs = num_envs
        self.render_mode = None
        self.single_observation_space = observation_space(config)
        self.single_action_space = gym.spaces.Discrete(config.num_actions)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._reset, self._step = vector_programs(config)
        self._keys: jax.Array | None = None
        self._states: Any = None
        self._pending = np.zeros(num_envs, bool)

    def reset(
        self,
        *,
        seed: int | Sequence[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if seed is None:
            seeds = self.np_random.integers(2**31, size=self.num_envs).tolist()
        elif isinstance(seed, int):
            seeds = [seed + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"reset got {len(seeds)} seeds for {self.num_envs} envs")
        keys = jnp.stack([jax.random.PRNGKey(int(s)) for s in seeds])
        self._keys, obs, self._states = self._reset(keys)
        self._pending = np.zeros(self.num_envs, bool)
        return np.asarray(obs), {}

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._states is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,) or not self.action_space.contains(
            actions.astype(np.int64)
        ):
            raise ValueError(
                f"actions must be {self.num_envs} integers in [0, {self.config.num_actions}), "
                f"got {actions!r}"
            )
        self._keys, obs, self._states, reward, terminated, truncated, info = self._step(
            self._keys, self._states, jnp.asarray(actions, jnp.int32), jnp.asarray(self._pending)
        )
        terminated, truncated = np.asarray(terminated), np.asarray(truncated)
        self._pending = terminated | truncated
        return (
            np.asarray(obs),
            np.asarray(reward, dtype=np.float64),
            terminated,
            truncated,
            self._batched_info(info),
        )

    def _batched_info(self, info: dict[str, Any]) -> dict[str, Any]:
        """Gymnasium's vector layout: ``info[key]`` an array over rows, ``info["_key"]`` a mask."""
        out: dict[str, Any] = {}
        for key in self.config.info_keys():
            value = np.asarray(info[key])
            if key == "event":
                value = np.where(value, self.config.perturbation.mode, "").astype(object)
            out[key] = value
            out[f"_{key}"] = np.ones(self.num_envs, bool)
        return out
