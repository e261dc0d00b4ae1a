"""A minimal evaluation loop: the agent lifecycle of docs/architecture.md on a vector env.

The runner scores suites; this loop exists for code that needs an agent's own interaction
outside the runner (fitting EAST steering vectors, tests). It builds ``num_envs`` copies of an
env in a ``SyncVectorEnv`` with same-step autoreset, exactly as the runner does, and calls a
callback after every decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from entropy_gym.agents.base import Decision, StepBatch, TaskSpec


@dataclass
class RolloutResult:
    """Per-episode returns and ``episode_metrics``, and every decision's entropy."""

    returns: list[float] = field(default_factory=list)
    metrics: list[dict[str, float]] = field(default_factory=list)
    entropies: list[np.ndarray] = field(default_factory=list)

    def mean_metrics(self) -> dict[str, float]:
        """Each episode metric averaged over episodes."""
        keys = self.metrics[0].keys() if self.metrics else []
        return {k: float(np.mean([m[k] for m in self.metrics])) for k in keys}


def make_task(env_id: str, env_kwargs: Mapping[str, Any], num_envs: int) -> TaskSpec:
    """The TaskSpec the runner would give an agent for ``env_id``."""
    probe = gym.make(env_id, **env_kwargs)
    try:
        unwrapped = probe.unwrapped
        info = unwrapped.task_info() if hasattr(unwrapped, "task_info") else {}
        return TaskSpec(
            env_id=env_id,
            observation_space=probe.observation_space,
            action_space=probe.action_space,
            num_envs=num_envs,
            env_kwargs=dict(env_kwargs),
            env_info=info,
        )
    finally:
        probe.close()


def rollout(
    agent: Any,
    env_id: str,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    num_envs: int = 1,
    episodes: int = 1,
    seed: int = 0,
    device: str = "cpu",
    on_decision: Callable[[Any, Decision], None] | None = None,
) -> RolloutResult:
    """Run ``agent`` until ``episodes`` episodes have ended (rounded up to whole batches).

    Env ``i`` is reset with a seed drawn from ``SeedSequence([seed, i])``; the agent is set up
    with ``seed``. ``on_decision(obs_batch, decision)`` sees every decision.
    """
    env_kwargs = dict(env_kwargs or {})
    envs = SyncVectorEnv(
        [lambda: gym.make(env_id, **env_kwargs) for _ in range(num_envs)],
        autoreset_mode=AutoresetMode.SAME_STEP,
    )
    agent.setup(make_task(env_id, env_kwargs, num_envs), seed, device)
    env_seeds = [
        int(np.random.SeedSequence([seed, i]).generate_state(1)[0]) for i in range(num_envs)
    ]
    result = RolloutResult()
    obs, _ = envs.reset(seed=env_seeds)
    returns = np.zeros(num_envs)
    try:
        while len(result.returns) < episodes:
            decision = agent.act(obs)
            if on_decision is not None:
                on_decision(obs, decision)
            if decision.entropy is not None:
                result.entropies.append(np.asarray(decision.entropy, dtype=np.float64))
            next_obs, rewards, terminated, truncated, infos = envs.step(decision.actions)
            agent.observe(
                StepBatch(obs, decision.actions, rewards, terminated, truncated, next_obs, infos)
            )
            returns += rewards
            for i in np.flatnonzero(np.logical_or(terminated, truncated)):
                result.returns.append(float(returns[i]))
                final = infos.get("final_info", {})
                metrics = final.get("episode_metrics", {})
                result.metrics.append({k: float(v[i]) for k, v in metrics.items()
                                       if not k.startswith("_")})
                returns[i] = 0.0
            obs = next_obs
    finally:
        envs.close()
    return result
