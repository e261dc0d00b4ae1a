"""Stable-Baselines3 uses the Control/ envs as they are: its checker passes and SAC trains."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from control_helpers import TASK_NAMES, TYPES

import entropy_gym  # noqa: F401  (registers the ids)

pytest.importorskip("mujoco")
sb3 = pytest.importorskip("stable_baselines3")
torch = pytest.importorskip("torch")


@pytest.mark.parametrize("env_id", [f"Control/{t}-T{k}-v0" for t in TASK_NAMES for k in TYPES])
def test_sb3_check_env(env_id):
    from stable_baselines3.common.env_checker import check_env

    env = gym.make(env_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env)
    # The only remarks SB3 may make are the v5 tasks' own: unbounded observations, and
    # Humanoid's and InvertedPendulum's action ranges that are not [-1, 1].
    allowed = ("symmetric and normalized Box action space", "unbounded", "infinity")
    assert [str(w.message) for w in caught if not any(a in str(w.message) for a in allowed)] == []


ONE_PER_TYPE = [
    "Control/HalfCheetah-T1-v0",
    "Control/Hopper-T2.1-v0",
    "Control/Walker2d-T2.2-v0",
    "Control/InvertedPendulum-T3.1-v0",
    "Control/Ant-T3.2-v0",
]


@pytest.mark.parametrize("env_id", ONE_PER_TYPE)
def test_sac_with_automatic_temperature_trains_unchanged(env_id):
    steps, starts = 192, 64
    env = gym.make(env_id)
    model = sb3.SAC(
        "MlpPolicy",
        env,
        learning_starts=starts,
        batch_size=32,
        buffer_size=steps,
        policy_kwargs={"net_arch": [32, 32]},
        seed=0,
        device="cpu",
    )
    actor_before = [p.detach().clone() for p in model.actor.parameters()]
    log_alpha_before = model.log_ent_coef.item()
    model.learn(total_timesteps=steps)

    assert model.num_timesteps == steps
    assert model._n_updates == steps - starts  # one gradient step per env step after warm-up
    assert any(not torch.equal(a, b) for a, b in zip(actor_before, model.actor.parameters()))
    assert model.log_ent_coef.item() < log_alpha_before  # the temperature was tuned
    if "-T3.2-" in env_id:  # SAC learned from observations with the velocities hidden
        dims = list(env.unwrapped.velocity_dims())
        observations = model.replay_buffer.observations[:steps, 0]
        assert not observations[:, dims].any()
        assert np.abs(observations).sum() > 0
