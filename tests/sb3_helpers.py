"""Small builders shared by the SB3 agent tests."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from entropy_gym.agents import Budget, TaskSpec, make_agent

#: Small SAC-family networks keep CPU tests fast (SB3's defaults are 256x256, CrossQ 2048).
SMALL_OFF_POLICY = {
    "batch_size": 64,
    "learning_starts": 50,
    "policy_kwargs": {"net_arch": [64, 64]},
}


def task_of(env_id: str, num_envs: int = 4, **kwargs: Any) -> TaskSpec:
    env = gym.make(env_id, **kwargs)
    task = TaskSpec(
        env_id, env.observation_space, env.action_space, num_envs=num_envs, env_kwargs=kwargs
    )
    env.close()
    return task


def env_factory(env_id: str, **kwargs: Any):
    return lambda seed: gym.make(env_id, **kwargs)


def trained(
    spec: dict[str, Any] | str,
    env_id: str,
    steps: int,
    seed: int = 0,
    interventions: list[Any] | None = None,
    **env_kwargs: Any,
):
    """An agent set up on ``env_id`` and trained for ``steps`` env steps."""
    agent = make_agent(spec, interventions=interventions)
    agent.setup(task_of(env_id, **env_kwargs), seed=seed, device="cpu")
    agent.train(env_factory(env_id, **env_kwargs), Budget(env_steps=steps))
    return agent


def observations(env_id: str, n: int, seed: int = 0) -> np.ndarray:
    """``n`` reset observations of ``env_id``, stacked as a vector env would."""
    env = gym.make(env_id)
    obs = np.stack([env.reset(seed=seed + i)[0] for i in range(n)])
    env.close()
    return obs


def series(agent: Any, key: str) -> np.ndarray:
    """One telemetry signal over the records that have it."""
    return np.array([r[key] for r in agent.telemetry() if key in r])
