"""The text-bandits suite in benchmarks.yaml builds: ids, agents, interventions, metrics."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest
import yaml

import entropy_gym  # noqa: F401
from entropy_gym.agents import make_agent
from entropy_gym.envs.text.bandits.core import METRICS

ROOT = Path(__file__).resolve().parents[2]


def test_text_bandits_suite_builds_every_cell_config():
    suite = yaml.safe_load((ROOT / "benchmarks.yaml").read_text())["suites"]["text-bandits"]
    assert set(suite["metrics"]) <= set(METRICS)
    assert {"regret", "suffix_failure"} <= set(suite["metrics"])
    for env in suite["envs"]:
        env_id, kwargs = (env, {}) if isinstance(env, str) else (env["id"], env.get("kwargs", {}))
        assert gym.make(f"entropy_gym:{env_id}", **kwargs).unwrapped.task_info()["labels"]
    names = []
    for spec in suite["agents"]:
        config = {k: v for k, v in spec.items() if k != "label"} if isinstance(spec, dict) else spec
        agent = make_agent(config)
        names.append((agent.name, [iv.name for iv in agent.interventions]))
    assert {"random", "greedy", "epsilon_greedy", "ucb1", "thompson"} <= {n for n, _ in names}
    assert ("llm_bandit", []) in names
    assert ("llm_bandit", ["temperature"]) in names and ("llm_bandit", ["east"]) in names


def test_text_bandits_anchors_match_the_suite_horizon():
    """The suite plays a shorter horizon than the ids register, so it carries its own anchors:
    horizon x mean of the arm means (random) and horizon x expected best mean (oracle)."""
    from entropy_gym.envs.text.bandits import VARIANTS
    from entropy_gym.runner.suite import load_suites
    from entropy_gym.scoring.normalise import anchors_for

    suite = load_suites(ROOT / "benchmarks.yaml")["text-bandits"]
    per_step = {f"TextBandit/{v.name}": (v.per_step_random, v.per_step_best) for v in VARIANTS}
    for env in suite.envs:
        horizon = env.kwargs["horizon"]
        assert (
            gym.make(f"entropy_gym:{env.id}", **env.kwargs).unwrapped.task_info()["horizon"]
            == horizon
        )
        random, best = per_step[env.id]
        anchors = anchors_for(env.id, env.random_score, env.reference_score, env.reference_source)
        assert anchors.origin == "suite"
        assert anchors.random == pytest.approx(horizon * random)
        assert anchors.reference == pytest.approx(horizon * best)
        assert f"horizon {horizon}" in env.reference_source
