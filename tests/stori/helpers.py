"""Shared helpers of the STORI tests: raw ALE references and rollouts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

import entropy_gym  # noqa: F401  (registers the ids)
from entropy_gym.envs.stori.make import make_stori_env

# Games whose emulator the tests use most; their ROMs load once per worker thanks to the pool.
BREAKOUT_BALL = (200, 72, 72)


def raw_ale(game: str, frameskip: int = 1, obs_type: str = "rgb") -> gym.Env:
    """ALE's own v5 env with sticky actions off (the reference trajectory)."""
    import ale_py

    gym.register_envs(ale_py)
    return gym.make(
        f"ALE/{game}-v5", frameskip=frameskip, repeat_action_probability=0.0, obs_type=obs_type
    )


def plain(game: str, **kwargs: Any) -> gym.Env:
    """The plain (type 3.1) env, without no-op starts unless asked."""
    kwargs.setdefault("noop_max", 0)
    return make_stori_env(game, "3.1", **kwargs)


def actions(n: int, count: int, seed: int = 0, hold: int = 1) -> list[int]:
    """``count`` random action indices in ``[0, n)``, each repeated ``hold`` times."""
    draws = np.random.default_rng(seed).integers(n, size=-(-count // hold))
    return [int(a) for a in np.repeat(draws, hold)[:count]]


def rollout(
    env: gym.Env,
    acts: Sequence[int] | Callable[[gym.Env], int],
    seed: int = 0,
    steps: int | None = None,
    ram: bool = False,
) -> list[tuple[Any, ...]]:
    """Reset with ``seed`` and step; returns ``(obs, reward, terminated, truncated, info[, ram])``.

    ``acts`` is a list of actions or a policy called with the env before each step. Stops at
    the end of the episode.
    """
    env.reset(seed=seed)
    n = len(acts) if steps is None else steps
    out = []
    for t in range(n):
        a = acts(env) if callable(acts) else acts[t]
        step = env.step(a)
        out.append(step + ((env.unwrapped.ale.getRAM(),) if ram else ()))
        if step[2] or step[3]:
            break
    return out


def same_steps(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> bool:
    """Whether two rollouts agree in observations, rewards, terminations and truncations."""
    if len(a) != len(b):
        return False
    return all(
        np.array_equal(x[0], y[0]) and x[1] == y[1] and x[2] == y[2] and x[3] == y[3]
        for x, y in zip(a, b)
    )


class Closing:
    """Makes envs and closes them afterwards, so that their emulators go back to the pool."""

    def __init__(self) -> None:
        self.envs: list[gym.Env] = []

    def __call__(self, game: str, type: str = "3.1", **kwargs: Any) -> gym.Env:
        env = make_stori_env(game, type, **kwargs)
        self.envs.append(env)
        return env

    def close(self) -> None:
        for env in self.envs:
            env.close()
