"""The ground floor: one device parser with each caller's words and messages, and the old import
paths of what moved there naming the same objects."""

from __future__ import annotations

import jax
import pytest

from entropy_gym.core import Budget, BudgetTracker, ConfigError, Device, config_hash, jax_device
from entropy_gym.runner.defaults import DEVICES
from entropy_gym.runner.run import resolve_device


@pytest.mark.parametrize(
    ("text", "device"),
    [
        ("cpu", Device("cpu")),
        ("CPU", Device("cpu")),
        ("cuda", Device("cuda")),
        (" gpu ", Device("cuda")),
        ("cuda:1", Device("cuda", 1)),
        ("GPU:0", Device("cuda", 0)),
        ("cuda:", Device("cuda")),
    ],
)
def test_a_device_string_names_a_kind_and_an_index(text, device):
    assert Device.parse(text) == device


@pytest.mark.parametrize(
    ("text", "who", "message"),
    [
        ("tpu", "agent 'jax_ppo'", "agent 'jax_ppo': device 'tpu' is unknown; expected cpu or cuda[:N]"),
        ("auto", None, "device 'auto' is unknown; expected cpu or cuda[:N]"),
        ("cuda:x", "mjx_rollout", "mjx_rollout: device 'cuda:x' has a bad index"),
    ],
)  # fmt: skip
def test_a_string_that_names_no_device_is_refused_in_one_line(text, who, message):
    with pytest.raises(ConfigError) as err:
        Device.parse(text, who)
    assert str(err.value) == message


def test_the_runner_takes_exactly_its_own_words():
    assert Device.parse("auto", choices=DEVICES) == Device("auto")
    assert Device.parse("cuda", choices=DEVICES) == Device("cuda")
    for text in ("cuda:0", "CPU", "gpu"):
        with pytest.raises(ConfigError) as err:
            resolve_device(text)
        assert str(err.value) == f"unknown device {text!r}; expected one of: auto, cpu, cuda"
    assert resolve_device("cpu") == "cpu"


def test_a_jax_device_is_looked_up_with_the_callers_name_in_its_errors():
    assert jax_device("cpu", "agent 'x'") == jax.devices("cpu")[0]
    assert jax_device("CPU:0", "agent 'x'") == jax.devices("cpu")[0]
    count = len(jax.devices("cpu"))
    with pytest.raises(ConfigError) as err:
        jax_device(f"cpu:{count}", "agent 'x'")
    assert str(err.value) == (
        f"agent 'x': device 'cpu:{count}' does not exist; jax sees {count} cpu device(s)"
    )


def test_a_budget_tracker_reports_the_largest_spent_fraction():
    tracker = BudgetTracker(Budget(env_steps=100, episodes=4))
    tracker.steps, tracker.episodes = 30, 2
    assert tracker.progress == 0.5 and not tracker.exhausted
    tracker.episodes = 4
    assert tracker.progress == 1.0 and tracker.exhausted
    with pytest.raises(ConfigError, match="budget episodes must be >= 0, got -1"):
        Budget(episodes=-1)


def test_old_import_paths_name_the_objects_that_moved():
    """Code that catches ``entropy_gym.agents.base.ConfigError`` catches what the ground floor
    raises; a config hashed through the registry has the hash the store keys on."""
    from entropy_gym.agents import Budget as AgentsBudget
    from entropy_gym.agents import ConfigError as AgentsConfigError
    from entropy_gym.agents.base import Budget as BaseBudget
    from entropy_gym.agents.base import ConfigError as BaseConfigError
    from entropy_gym.agents.device.jax_device import resolve_device as jax_resolve
    from entropy_gym.agents.progress import TrainingProgress
    from entropy_gym.agents.registry import config_hash as registry_hash
    from entropy_gym.agents.sb3 import PolicyLossBatch as SB3Batch
    from entropy_gym.agents.sb3.budget import BudgetTracker as SB3Tracker
    from entropy_gym.agents.sb3.payloads import PolicyLossBatch as PayloadsBatch
    from entropy_gym.core.payloads import PolicyLossBatch
    from entropy_gym.core.progress import TrainingProgress as CoreProgress

    assert AgentsConfigError is BaseConfigError is ConfigError
    assert AgentsBudget is BaseBudget is Budget
    assert registry_hash is config_hash and SB3Tracker is BudgetTracker
    assert SB3Batch is PayloadsBatch is PolicyLossBatch and TrainingProgress is CoreProgress
    assert jax_resolve("cpu", "agent 'x'") == jax.devices("cpu")[0]
    assert config_hash({"a": 1, "b": [2]}) == config_hash({"b": [2], "a": 1})
