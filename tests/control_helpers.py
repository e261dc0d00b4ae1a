"""Rollout helpers shared by the control-family tests."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

TASK_NAMES = ("InvertedPendulum", "HalfCheetah", "Hopper", "Walker2d", "Ant", "Humanoid")
TYPES = ("1", "2.1", "2.2", "3.1", "3.2")


def make(task: str, kind: str, **kwargs: Any) -> gym.Env:
    return gym.make(f"Control/{task}-T{kind}-v0", **kwargs)


def random_actions(env: gym.Env, n: int, seed: int = 0) -> np.ndarray:
    space = env.action_space
    rng = np.random.default_rng(seed)
    return rng.uniform(space.low, space.high, size=(n, *space.shape)).astype(space.dtype)


def rollout(env: gym.Env, actions: np.ndarray, seed: int) -> list[tuple]:
    """``(obs, reward, terminated, truncated, info)`` of every step; resets (unseeded) on ends.

    The first entry is the reset: ``(obs, None, None, None, info)``.
    """
    obs, info = env.reset(seed=seed)
    steps = [(obs, None, None, None, info)]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        steps.append((obs, reward, terminated, truncated, info))
        if terminated or truncated:
            obs, info = env.reset()
            steps.append((obs, None, None, None, info))
    return steps


def model_floats(model) -> dict[str, Any]:
    """Every float field of a MuJoCo model (and its ``opt`` and ``stat``), copied."""
    out = {}
    for prefix, owner in (("", model), ("opt.", model.opt), ("stat.", model.stat)):
        for name in dir(owner):
            if name.startswith("_"):
                continue
            value = getattr(owner, name)
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                out[prefix + name] = value.copy()
            elif isinstance(value, float):
                out[prefix + name] = value
    return out


def same_floats(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Names of the fields that differ between two :func:`model_floats` snapshots."""
    return [k for k in a if not np.array_equal(a[k], b[k])]
