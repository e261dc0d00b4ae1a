"""The README's token-level intervention example, run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from test_token_interventions import rollout

from entropy_gym.agents import ConfigError, make_agent

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def example() -> dict:
    section = README.read_text().split("### The token-level twin", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {"__name__": "readme_token_example"}
    exec(compile(code, str(README), "exec"), namespace)
    return namespace


def test_the_example_scales_exactly_the_high_entropy_tokens(example):
    (iv,) = example["agent"].interventions
    assert example["agent"].name == "llm_grpo" and iv.name == "fork_boost"
    r = rollout([[0.5, 1.5, 2.0], [3.0]], samples=[0, 1], turns=[0, 0])
    advantages = torch.tensor([[1.0, 1.0, 1.0], [-1.0, 0.0, 0.0]])
    out = iv.on_token_advantages(advantages, r)
    assert out.tolist() == [[1.0, 2.0, 2.0], [-2.0, 0.0, 0.0]]
    assert iv.telemetry() == {"boosted_fraction": 0.75}


def test_the_example_is_refused_by_an_action_level_agent(example):
    with pytest.raises(ConfigError, match="'fork_boost' needs hook\\(s\\) token_advantages"):
        make_agent("ppo", interventions=[example["ForkBoost"]()])
