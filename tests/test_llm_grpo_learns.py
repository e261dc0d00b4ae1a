"""Slow: llm_grpo fine-tuning raises the default model's success on a Reasoning task.

Run: ``pytest tests/test_llm_grpo_learns.py -m slow`` (about 4.5 minutes on 2 CPU cores).
"""

from __future__ import annotations

import gymnasium as gym
import pytest

import entropy_gym  # noqa: F401
from entropy_gym.agents.llm.model import INSTALL_HINT, default_model_available

ENV_ID = "Reasoning/Arithmetic-easy-v0"


@pytest.mark.slow
@pytest.mark.llm
@pytest.mark.skipif(
    not default_model_available(), reason=f"needs the default LLM: `{INSTALL_HINT}`"
)
def test_success_rises_over_twenty_lora_updates() -> None:
    from entropy_gym.agents.base import Budget
    from entropy_gym.agents.registry import make_agent
    from entropy_gym.runner.evaluation import TaskEnvs, play

    agent = make_agent({"name": "llm_grpo", "lora": True, "groups": 4, "group_size": 4})
    # The same 64 held-out problems (env seeds from 1000) before and after training.
    with TaskEnvs(ENV_ID, num_envs=8, seed=1000) as envs:
        agent.setup(envs.task, 0, "cpu")
        before = play(agent, envs, 64).mean_metrics()["success"]
    agent.train(lambda seed: gym.make(ENV_ID), Budget(episodes=20 * 16))
    with TaskEnvs(ENV_ID, num_envs=8, seed=1000) as envs:
        after = play(agent, envs, 64).mean_metrics()["success"]
    log = agent.telemetry()
    assert len(log) >= 20
    # Measured: 0.08 -> 0.67. Two binomial standard errors at 64 episodes are about 0.12.
    assert before < 0.3 and after > before + 0.25, (before, after)
