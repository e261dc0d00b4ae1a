"""The agent interface: config building, hook refusal, the random agent."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from entropy_gym.agents import (
    BaseAgent,
    ConfigError,
    Decision,
    Intervention,
    TaskSpec,
    make_agent,
    make_intervention,
)
from entropy_gym.agents.registry import agent_config, config_hash


class NeedsLogits(Intervention):
    name = "needs_logits"
    requires = frozenset({"logits"})

    def on_logits(self, logits):
        return logits * 2


class DeclaresOnly(Intervention):
    """Requires a hook but overrides none of its methods: it could never act."""

    name = "declares_only"
    requires = frozenset({"logits"})


class LogitsAgent(BaseAgent):
    name = "logits_agent"
    hooks = frozenset({"logits"})

    def act(self, obs_batch):
        return Decision(actions=np.zeros(len(obs_batch), dtype=np.int64))


def _task(space: gym.Space) -> TaskSpec:
    return TaskSpec(env_id="test", observation_space=space, action_space=space, num_envs=3)


def test_refused_combination_names_both_in_one_line():
    with pytest.raises(ConfigError) as err:
        make_agent("random", interventions=[NeedsLogits()])
    msg = str(err.value)
    assert "needs_logits" in msg and "'random'" in msg and "logits" in msg
    assert "\n" not in msg


def test_an_intervention_without_the_hook_methods_is_refused_in_one_line():
    with pytest.raises(ConfigError) as err:
        make_agent(LogitsAgent, interventions=[DeclaresOnly()])
    assert str(err.value) == (
        "intervention 'declares_only' needs hook 'logits' but defines none of "
        "on_logits, which agent 'logits_agent' calls there"
    )
    assert NeedsLogits.implements("logits") and not DeclaresOnly.implements("logits")


def test_attach_accepts_offered_hook():
    agent = make_agent(LogitsAgent, interventions=[NeedsLogits(alpha=1)])
    assert [iv.name for iv in agent.interventions_at("logits")] == ["needs_logits"]
    assert agent_config(agent)["interventions"] == [{"name": "needs_logits", "alpha": 1}]


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("no_such_agent", "unknown agent 'no_such_agent'"),
        ({"learning_rate": 1}, "needs a 'name' key"),
        ("entropy_gym.agents.base:nothing", "has no attribute 'nothing'"),
        ("missing_file.py:Agent", "does not exist"),
    ],
)
def test_unknown_agent_errors(spec, fragment):
    with pytest.raises(ConfigError, match=fragment):
        make_agent(spec)


def test_unknown_intervention_error_lists_known():
    with pytest.raises(ConfigError, match="unknown intervention 'nope'"):
        make_intervention({"name": "nope"})


def test_bad_agent_kwarg_is_config_error():
    with pytest.raises(ConfigError, match="random"):
        make_agent({"name": "random", "bogus": 1})


def test_agent_from_user_file(tmp_path):
    path = tmp_path / "my_agent.py"
    path.write_text(
        "import numpy as np\n"
        "from entropy_gym.agents import BaseAgent, Decision\n"
        "class Zero(BaseAgent):\n"
        "    name = 'zero'\n"
        "    def act(self, obs):\n"
        "        return Decision(actions=np.zeros(len(obs), dtype=int))\n"
    )
    agent = make_agent(f"{path}:Zero")
    agent.setup(_task(gym.spaces.Discrete(2)), seed=0, device="cpu")
    assert agent.act(np.zeros((4, 1))).actions.tolist() == [0, 0, 0, 0]
    assert agent_config(agent)["name"].endswith(":Zero")


def test_random_agent_entropy_and_seeding():
    space = gym.spaces.Discrete(6)
    a, b, c = (make_agent("random") for _ in range(3))
    a.setup(_task(space), seed=7, device="cpu")
    b.setup(_task(space), seed=7, device="cpu")
    c.setup(_task(space), seed=8, device="cpu")
    obs = np.zeros((500, 1))
    da, db, dc = a.act(obs), b.act(obs), c.act(obs)
    assert np.array_equal(da.actions, db.actions)
    assert not np.array_equal(da.actions, dc.actions)
    assert np.allclose(da.entropy, np.log(6))
    counts = np.bincount(da.actions, minlength=6)
    assert counts.min() > 50  # uniform: expected 83 per arm


def test_random_agent_box_stays_in_bounds():
    space = gym.spaces.Box(low=-2.0, high=np.array([1.0, 3.0], dtype=np.float32), dtype=np.float32)
    agent = make_agent("random")
    agent.setup(_task(space), seed=0, device="cpu")
    d = agent.act(np.zeros((100, 2)))
    assert all(space.contains(a) for a in d.actions)
    assert np.allclose(d.entropy, np.log(3.0) + np.log(5.0))


def test_random_agent_refuses_text_space():
    agent = make_agent("random")
    with pytest.raises(ConfigError, match="supports Discrete"):
        agent.setup(_task(gym.spaces.Text(10)), seed=0, device="cpu")


def test_config_hash_ignores_key_order():
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_temperature_scales_logits_and_validates():
    iv = make_intervention({"name": "temperature", "t": 2.0})
    assert np.allclose(iv.on_logits(np.array([[2.0, 4.0]])), [[1.0, 2.0]])
    with pytest.raises(ConfigError, match="must be > 0"):
        make_intervention({"name": "temperature", "t": 0})
    agent = make_agent(LogitsAgent, interventions=[{"name": "temperature", "t": 0.5}])
    assert agent_config(agent)["interventions"] == [{"name": "temperature", "t": 0.5}]
