"""Tool-task calibration and inspection on top of the one evaluation loop.

:func:`calibrate` measures the ``random_admissible`` and ``tool_oracle`` agents' success
rates, the anchors a tool task is normalised with, through
:func:`entropy_gym.runner.evaluation.evaluate`: the same envs, seeds and episode rule as a
runner cell, so that anchors and leaderboards are measured the same way.
:func:`play_episode` plays one episode to show its conversation (``entropy-gym tooltask show``).
Both play agents through the runner, which is why they live above it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from entropy_gym.agents.base import Agent, Decision, StepBatch
from entropy_gym.runner.evaluation import Evaluation, evaluate
from entropy_gym.scoring.turn_entropy import episode_entropy_stats


def summarize(evaluation: Evaluation) -> dict[str, float]:
    """Mean return, length, every episode metric and the per-turn entropy statistics
    (``entropy_mean``, ``entropy_var``, ``entropy_turns``) over the counted episodes, plus the
    success rate's standard error where there is a ``success`` metric."""
    episodes = evaluation.episodes
    rows = [{**e.metrics, **episode_entropy_stats(e.entropy)} for e in episodes]
    out = {
        "episodes": float(len(episodes)),
        "return": float(np.mean([e.total_return for e in episodes])),
        "length": float(np.mean([e.length for e in episodes])),
    }
    for k in sorted({k for r in rows for k in r}):
        out[k] = float(np.nanmean([r.get(k, np.nan) for r in rows]))
    if "success" in out:
        p = out["success"]
        out["success_se"] = float(np.sqrt(p * (1 - p) / len(episodes)))
    return out


def calibrate(
    env_id: str,
    episodes: int,
    oracle_episodes: int,
    *,
    seed: int = 0,
    num_envs: int = 16,
    env_kwargs: Mapping[str, Any] | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """Summaries of the ``random_admissible`` and ``tool_oracle`` agents on ``env_id``: their
    success rates are the id's ``random_score`` and ``reference_score``."""
    from entropy_gym.agents.tools.oracle import ToolOracleAgent
    from entropy_gym.agents.tools.random_admissible import RandomAdmissibleAgent

    def measure(agent: Agent, n: int) -> dict[str, float]:
        return summarize(
            evaluate(agent, env_id, env_kwargs, episodes=n, seed=seed, num_envs=min(num_envs, n))
        )

    return measure(RandomAdmissibleAgent(), episodes), measure(ToolOracleAgent(), oracle_episodes)


def play_episode(
    agent: Agent, env_id: str, *, seed: int = 0, env_kwargs: Mapping[str, Any] | None = None
) -> tuple[Any, float, dict[str, float]]:
    """One episode on one env, as a runner cell with one env plays it: the final observation
    (for a text env, the whole conversation), the return and the episode metrics."""
    final: list[Any] = []

    def keep_final(decision: Decision, step: StepBatch, counted: np.ndarray) -> None:
        if step.done[0] and counted[0]:
            final.append(step.infos["final_obs"][0])

    result = evaluate(agent, env_id, env_kwargs, episodes=1, seed=seed, on_step=keep_final)
    episode = result.episodes[0]
    return final[0], episode.total_return, dict(episode.metrics)
