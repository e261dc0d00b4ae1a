"""Image observations: PPO with an entropy target trains on Atari frames through the agent
interface, on plain ALE and on the STORI ids.

The STORI test needs ``STORI/Breakout-T1-v0`` to be registered by ``entropy_gym.envs.stori``;
until that family is present it fails (by design: it is the interface's acceptance test).
"""

from __future__ import annotations

import math

import ale_py
import gymnasium as gym
import numpy as np
import pytest

import entropy_gym  # noqa: F401  (registers the STORI ids)
from entropy_gym.agents import Budget, TaskSpec, make_agent

gym.register_envs(ale_py)

#: A small feature layer: the default 512-unit NatureCNN head on 210x160 frames has 11.5M
#: weights whose orthogonal initialisation alone takes seconds on CPU.
TINY_PPO = {
    "n_steps": 32,
    "batch_size": 32,
    "n_epochs": 1,
    "policy_kwargs": {"features_extractor_kwargs": {"features_dim": 32}},
}


def _train_entropy_target(env_id: str, **env_kwargs):
    env = gym.make(env_id, **env_kwargs)
    task = TaskSpec(env_id, env.observation_space, env.action_space, num_envs=2)
    agent = make_agent("ppo", interventions=[{"name": "entropy_target", "target": 0.5}], **TINY_PPO)
    agent.setup(task, seed=0, device="cpu")
    agent.train(lambda seed: gym.make(env_id, **env_kwargs), Budget(env_steps=64))
    obs = np.stack([env.reset(seed=i)[0] for i in range(2)])
    decision = agent.act(obs)
    env.close()
    return agent, task, decision


@pytest.mark.parametrize(
    ("env_id", "env_kwargs"),
    [
        ("ALE/Breakout-v5", {}),
        ("STORI/Breakout-T1-v0", {}),
        # The stori suite's setting: 4x84x84 grayscale stacks, drift inside the episode.
        ("STORI/Breakout-T2.2-v0", {"obs_mode": "atari84", "threshold": 16}),
    ],
)
def test_ppo_with_entropy_target_trains_on_breakout_frames(env_id, env_kwargs):
    agent, task, decision = _train_entropy_target(env_id, **env_kwargs)
    assert type(agent.model.policy).__name__ == "ActorCriticCnnPolicy"
    records = agent.telemetry()
    assert [r["step"] for r in records] == [32.0, 64.0]
    # An untrained policy is near-uniform over Breakout's 4 actions, far above the 0.5 nat
    # target, so the controller sets a negative coefficient (an entropy penalty).
    assert records[0]["entropy"] > 1.3
    assert all(r["ent_coef"] < 0 and r["entropy_target/coef"] == r["ent_coef"] for r in records)
    assert all(task.action_space.contains(a) for a in decision.actions)
    assert np.all(decision.entropy <= math.log(task.action_space.n) + 1e-6)
