"""The "write a new intervention in a few lines" example of docs/agents.md, run as written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from sb3_helpers import env_factory, series, task_of

from entropy_gym.agents import Budget, ConfigError, Intervention, make_agent

DOC = Path(__file__).resolve().parents[1] / "docs" / "agents.md"


@pytest.fixture(scope="module")
def example() -> dict:
    text = DOC.read_text()
    section = text.split("## Write a new intervention in a few lines", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {"__name__": "docs_example"}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace


class SeenAdvantages(Intervention):
    """Records the advantages the update receives (attached after the example)."""

    name = "seen_advantages"
    requires = frozenset({"advantages"})

    def on_advantages(self, advantages, rollout):
        self.after = advantages.copy()


class RawAdvantages(Intervention):
    """Records the advantages before the example clips them (attached first)."""

    name = "raw_advantages"
    requires = frozenset({"advantages"})

    def on_advantages(self, advantages, rollout):
        self.raw = advantages.copy()


def _train(agent, steps: int = 512):
    agent.setup(task_of("CartPole-v1"), seed=0, device="cpu")
    agent.train(env_factory("CartPole-v1"), Budget(env_steps=steps))
    return agent


def test_example_clips_what_the_update_sees_and_reports_it(example):
    raw, seen = RawAdvantages(), SeenAdvantages()
    agent = make_agent(
        "ppo", interventions=[raw, example["agent"].interventions[0], seen], n_steps=256
    )
    _train(agent)
    mean, std = raw.raw.mean(), raw.raw.std()
    np.testing.assert_allclose(seen.after, np.clip(raw.raw, mean - std, mean + std))
    clipped = series(agent, "advantage_clip/clipped_fraction")
    assert len(clipped) == 2 and 0.05 < clipped[-1] < 0.6
    assert clipped[-1] == pytest.approx(np.mean(np.abs(raw.raw - mean) > std))


def test_example_changes_training_only_when_it_clips(example):
    clip = example["AdvantageClip"]
    runs = [
        _train(make_agent("ppo", interventions=ivs, n_steps=256))
        for ivs in ([], [clip(limit=1e9)], [clip(limit=1.0)])
    ]
    params = [list(r.model.policy.state_dict().values()) for r in runs]
    assert all(
        torch.equal(p, q) for p, q in zip(params[0], params[1], strict=True)
    )  # nothing clipped
    assert not all(torch.equal(p, q) for p, q in zip(params[0], params[2], strict=True))


def test_example_is_refused_where_the_hook_is_missing(example):
    with pytest.raises(
        ConfigError, match="'advantage_clip' needs hook\\(s\\) advantages but agent 'sac'"
    ):
        make_agent("sac", interventions=[example["AdvantageClip"]()])
