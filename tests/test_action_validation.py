"""Every family answers a malformed action with a TypeError or ValueError that names the
action space, before anything changes; text envs keep their documented invalid-action path."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import entropy_gym  # noqa: F401  (registers the ids)

BAD = [
    (None, TypeError),
    ("left", TypeError),
    (True, TypeError),
    (float("nan"), ValueError),
    (2.7, ValueError),
    (np.zeros((3, 7)), ValueError),
]
CONTROL_ONLY = [
    (np.array([np.nan], dtype=np.float32), ValueError),
    (np.array([np.inf]), ValueError),
    ({"a": 1}, TypeError),
    ([0.1, 0.2], ValueError),
]
STORI_ONLY = [(np.array([1]), ValueError), ([1], TypeError), (-1, ValueError), (4, ValueError)]


@pytest.mark.parametrize(("action", "error"), BAD + STORI_ONLY)
def test_stori_refuses_malformed_actions_naming_the_space(action, error) -> None:
    env = gym.make("STORI/Breakout-T1-v0")
    try:
        env.reset(seed=0)
        with pytest.raises(error, match=r"Discrete\(4\)"):
            env.step(action)
        # Integral floats and NumPy integers are indices; the env still steps after a refusal.
        for ok in (2.0, np.int64(1), np.array(3), 0):
            env.step(ok)
    finally:
        env.close()


@pytest.mark.parametrize(("action", "error"), BAD + CONTROL_ONLY)
@pytest.mark.parametrize("env_id", ["Control/InvertedPendulum-T3.1-v0", "Control/Hopper-T1-v0"])
def test_control_refuses_malformed_actions_naming_type_and_space(env_id, action, error) -> None:
    env = gym.make(env_id)
    try:
        env.reset(seed=0)
        before = env.unwrapped.data.qpos.copy()
        with pytest.raises(error) as err:
            env.step(action)
        message = str(err.value)
        assert "Box(" in message and env_id.removesuffix("-v0") in message
        assert "\n" not in message
        if error is TypeError:
            assert type(action).__name__ in message
        assert np.array_equal(env.unwrapped.data.qpos, before)  # nothing was simulated
        env.step(list(np.zeros(env.action_space.shape)))  # a plain list of floats is fine
    finally:
        env.close()


def test_text_envs_keep_the_invalid_action_path() -> None:
    env = gym.make("TextBandit/Bernoulli-K5-hard-v0")
    env.reset(seed=0)
    _, reward, _, _, info = env.step("no idea")
    assert info["invalid_action"] and reward == 0.0
