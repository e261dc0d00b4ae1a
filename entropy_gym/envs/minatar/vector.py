"""The native ``gym.make_vec`` form of a ``STORI/MinAtar-*`` id: every row in one jitted,
vmapped call of the functional form.

``gym.make_vec("STORI/MinAtar-Breakout-T1-v0", num_envs=64,
vectorization_mode="vector_entry_point")`` builds :class:`MinAtarStoriVectorEnv`. Row ``i``
of ``reset(seed=s)`` is seeded ``s + i`` (or its entry of a list) and spends its key chain
exactly as a single env seeded so (:mod:`.env`), so each row equals that env step for step,
through its resets. Autoreset: ``NEXT_STEP`` (Gymnasium's default: the step after an episode
ended resets that row, reward 0, no flags, and returns its first observation) or ``SAME_STEP``
(the ending step returns the new episode's first observation, with ``final_obs`` /
``final_info`` laid out as ``SyncVectorEnv`` does).
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


@functools.cache
def vector_programs(config: MinAtarStori) -> tuple[Any, Any]:
    """Jitted batched ``reset(keys)``, NEXT_STEP ``step(keys, states, actions, pending)`` and
    SAME_STEP ``step_same(keys, states, actions)``."""

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

    def step_same(keys: jax.Array, states: Any, actions: jax.Array) -> Any:
        """SAME_STEP: rows that end are reset in the same call, with the next key of their
        chain (what a single env's ``reset()`` after the step would use)."""
        keys, subs = jax.vmap(jax.random.split, out_axes=1)(keys)
        obs, nxt, reward, terminated, truncated, info = jax.vmap(config.step)(subs, states, actions)
        done = terminated | truncated
        after_keys, reset_subs = jax.vmap(jax.random.split, out_axes=1)(keys)
        reset_obs, reset_states = jax.vmap(config.reset)(reset_subs)

        def pick(a: Any, b: Any) -> Any:
            return jnp.where(done.reshape((-1,) + (1,) * (a.ndim - 1)), a, b)

        keys = pick(after_keys, keys)
        nxt = jax.tree.map(pick, reset_states, nxt)
        return keys, pick(reset_obs, obs), obs, nxt, reward, terminated, truncated, info

    return jax.jit(reset), jax.jit(step), jax.jit(step_same)


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
        if mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(
                f"autoreset_mode {mode.value!r} is not supported by the MinAtar vector env; "
                "it runs NEXT_STEP and SAME_STEP"
            )
        self.autoreset_mode = mode
        self.metadata = {**self.metadata, "autoreset_mode": mode}
        self.config = config
        self.num_envs = num_envs
        self.render_mode = None
        self.single_observation_space = observation_space(config)
        self.single_action_space = gym.spaces.Discrete(config.num_actions)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._reset, self._step, self._step_same = vector_programs(config)
        self._keys: jax.Array | None = None
        self._states: Any = None
        self._pending = np.zeros(num_envs, bool)

    def reset(
        self,
        *,
        seed: int | Sequence[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed if isinstance(seed, int) else None)
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
        action_array = jnp.asarray(actions, jnp.int32)
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            keys, obs, final, self._states, reward, terminated, truncated, info = self._step_same(
                self._keys, self._states, action_array
            )
            self._keys = keys
            terminated, truncated = np.asarray(terminated), np.asarray(truncated)
            out = self._batched_info(info)
            done = terminated | truncated
            if done.any():
                final_obs = np.full(self.num_envs, None, dtype=object)
                final = np.asarray(final)
                for row in np.flatnonzero(done):
                    final_obs[row] = final[row].copy()
                final_info = {k: (v.copy() if k.startswith("_") else v) for k, v in out.items()}
                for k in list(final_info):
                    if k.startswith("_"):
                        final_info[k] = done.copy()
                out.update(
                    final_obs=final_obs,
                    _final_obs=done.copy(),
                    final_info=final_info,
                    _final_info=done.copy(),
                )
            return np.asarray(obs), np.asarray(reward, dtype=np.float64), terminated, truncated, out
        self._keys, obs, self._states, reward, terminated, truncated, info = self._step(
            self._keys, self._states, action_array, jnp.asarray(self._pending)
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
