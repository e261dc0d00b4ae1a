"""The Gymnasium form of a ``STORI/MinAtar-*`` id: one env, numpy in and out.

Each ``reset`` / ``step`` is one call of the jitted functional form
(:class:`~entropy_gym.envs.minatar.functional.MinAtarStori`), compiled once per configuration
and process. Seeding: ``reset(seed=s)`` starts the key chain at ``jax.random.PRNGKey(s)``;
every reset and step then splits the chain's key into (next key, this call's key), so the same
seed and actions give the same trajectory, bit for bit, as the functional form driven the same
way (:func:`key_chain`); row ``i`` of the vector form's ``reset(seed=s)`` is this env seeded
``s + i``.
"""

from __future__ import annotations

import functools
from typing import Any

import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np

from entropy_gym.envs.minatar.functional import MinAtarStori

#: A colour per observation channel for ``render()`` (cycled when a game has more).
PALETTE = np.array(
    [
        [250, 220, 60],
        [230, 70, 60],
        [120, 120, 240],
        [90, 200, 110],
        [240, 150, 40],
        [200, 90, 220],
        [80, 210, 220],
        [170, 170, 170],
        [255, 255, 255],
        [140, 100, 60],
    ],
    dtype=np.uint8,
)
CELL_PIXELS = 16


@functools.cache
def programs(config: MinAtarStori) -> tuple[Any, Any]:
    """The jitted ``reset(key)`` and ``step(key, state, action)`` of ``config``."""
    return jax.jit(config.reset), jax.jit(config.step)


@jax.jit
def key_chain(key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(next key of the chain, key for this call)``: how the Gymnasium forms spend a seed."""
    nxt, sub = jax.random.split(key)
    return nxt, sub


def observation_space(config: MinAtarStori) -> gym.spaces.Box:
    return gym.spaces.Box(0.0, 1.0, config.obs_shape, dtype=np.float32)


def host_info(config: MinAtarStori, info: dict[str, Any]) -> dict[str, Any]:
    """A step's jax ``info`` as plain Python values (``event``: the mode's name or ``""``)."""
    out: dict[str, Any] = {}
    for key in config.info_keys():
        value = np.asarray(info[key])
        if key == "event":
            out[key] = config.perturbation.mode if bool(value) else ""
        elif value.dtype == bool:
            out[key] = bool(value)
        else:
            out[key] = int(value)
    return out


class MinAtarStoriEnv(gym.Env[np.ndarray, np.int64]):
    """A MinAtar game under a STORI type (build it with ``gym.make("STORI/MinAtar-...")``)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

    def __init__(self, config: MinAtarStori, render_mode: str | None = None) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode {render_mode!r} is not supported; use 'rgb_array'")
        self.config = config
        self.render_mode = render_mode
        self.observation_space = observation_space(config)
        self.action_space = gym.spaces.Discrete(config.num_actions)
        self._reset, self._step = programs(config)
        self._key: jax.Array | None = None
        self._state: Any = None
        self._obs: np.ndarray | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None:
            self._key = jax.random.PRNGKey(seed)
        elif self._key is None:
            self._key = jax.random.PRNGKey(int(self.np_random.integers(2**31)))
        self._key, sub = key_chain(self._key)
        obs, self._state = self._reset(sub)
        self._obs = np.asarray(obs)
        return self._obs, {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._state is None or self._key is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if not self.action_space.contains(action):
            raise ValueError(
                f"action {action!r} is not in the action space {self.action_space} of "
                f"MinAtar {self.config.game_name}"
            )
        self._key, sub = key_chain(self._key)
        obs, self._state, reward, terminated, truncated, info = self._step(
            sub, self._state, jnp.asarray(action, jnp.int32)
        )
        self._obs = np.asarray(obs)
        return (
            self._obs,
            float(reward),
            bool(terminated),
            bool(truncated),
            host_info(self.config, info),
        )

    def render(self) -> np.ndarray | None:
        """The last observation as an RGB picture (each channel in its colour, 16 px cells)."""
        if self.render_mode != "rgb_array" or self._obs is None:
            return None
        return render_obs(self._obs)

    def get_action_meanings(self) -> list[str]:
        return [str(a) for a in range(self.config.num_actions)]


def render_obs(obs: np.ndarray) -> np.ndarray:
    """``(10, 10, C)`` binary channels -> ``(160, 160, 3)`` uint8 (later channels on top)."""
    rows, cols, channels = obs.shape
    picture = np.zeros((rows, cols, 3), np.uint8)
    for c in range(channels):
        picture[obs[:, :, c] > 0] = PALETTE[c % len(PALETTE)]
    return np.repeat(np.repeat(picture, CELL_PIXELS, 0), CELL_PIXELS, 1)
