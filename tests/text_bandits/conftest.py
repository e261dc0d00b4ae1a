"""Fixtures of the text-bandit tests: the local LLM (skipped with the install command when
absent) and a few fixed bandit prompts."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from entropy_gym.agents.llm.model import INSTALL_HINT, default_model_available


def llm_skip_reason() -> str | None:
    """Why the LLM tests cannot run here, or None when they can."""
    if default_model_available():
        return None
    return f"the default LLM is not installed; install it with `{INSTALL_HINT}`"


def bandit_prompts(
    env_id: str = "TextBandit/Bernoulli-K5-hard-v0", steps=(1, 3, 5), seed: int = 0, **kwargs
) -> list[str]:
    """Prompts of one raw-history episode after ``steps`` random pulls (different lengths)."""
    env = gym.make(f"entropy_gym:{env_id}", horizon=10, **kwargs)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    out = []
    for t in range(max(steps) + 1):
        if t in steps:
            out.append(obs)
        obs, *_ = env.step(int(rng.integers(5)))
    return out


def suite_east() -> dict:
    """The EAST intervention of the text-bandits suite's ``llm_bandit+east`` agent, as written
    in benchmarks.yaml (vector name, beta, positions): the one source of truth."""
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2]
    suite = yaml.safe_load((root / "benchmarks.yaml").read_text())["suites"]["text-bandits"]
    for agent in suite["agents"]:
        if isinstance(agent, dict):
            for iv in agent.get("interventions", []):
                if iv["name"] == "east":
                    return dict(iv)
    raise AssertionError("the text-bandits suite has no agent with an east intervention")
