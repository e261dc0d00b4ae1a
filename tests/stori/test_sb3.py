"""The atari84 observation mode is what SB3's CnnPolicy expects, unchanged."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import entropy_gym  # noqa: F401


def test_ppo_cnn_policy_trains_on_a_stori_id() -> None:
    sb3 = pytest.importorskip("stable_baselines3")
    from stable_baselines3.common.env_checker import check_env as sb3_check_env
    from stable_baselines3.common.preprocessing import is_image_space, is_image_space_channels_first

    env = gym.make("STORI/Breakout-T3.2B-v0", obs_mode="atari84")
    assert env.observation_space.shape == (4, 84, 84) and env.observation_space.dtype == np.uint8
    assert is_image_space(env.observation_space) and is_image_space_channels_first(
        env.observation_space
    )
    sb3_check_env(env, warn=False)
    model = sb3.PPO("CnnPolicy", env, n_steps=32, batch_size=32, n_epochs=1, seed=0, device="cpu")
    assert type(model.get_env()).__name__ == "DummyVecEnv"  # no transpose wrapper was needed
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(total_timesteps=64)
    after = list(model.policy.parameters())
    assert any(not np.allclose(a.detach(), b) for a, b in zip(after, before))
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, deterministic=True)
    assert env.action_space.contains(int(action))
