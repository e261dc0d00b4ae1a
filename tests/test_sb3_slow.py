"""Longer demonstrations of the interventions (``pytest -m slow tests/test_sb3_slow.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from sb3_helpers import SMALL_OFF_POLICY, series, trained

pytestmark = pytest.mark.slow

FAST_PPO = {"name": "ppo", "n_steps": 256, "learning_rate": 1e-3}


@pytest.fixture(scope="module")
def free_ppo():
    return trained(FAST_PPO, "CartPole-v1", 8192)


@pytest.mark.parametrize(
    "intervention",
    [
        {"name": "clip_cov", "ratio": 0.2},
        {"name": "kl_cov", "ratio": 0.2},
        {"name": "entropy_bonus", "coef": 1.0},
    ],
)
def test_entropy_interventions_keep_ppo_entropy_above_the_free_run(intervention, free_ppo):
    """Over 8k CartPole steps the free run's entropy falls to about 0.57 nats; Clip-Cov,
    KL-Cov and the bonus each end higher."""
    agent = trained(FAST_PPO, "CartPole-v1", 8192, interventions=[intervention])
    assert series(agent, "entropy")[-8:].mean() > series(free_ppo, "entropy")[-8:].mean() + 0.01


def test_entropy_target_holds_on_acrobot():
    agent = trained(
        FAST_PPO, "Acrobot-v1", 6144, interventions=[{"name": "entropy_target", "target": 0.5}]
    )
    held = series(agent, "entropy")[12:]
    assert abs(held.mean() - 0.5) < 0.04 and np.all(np.abs(held - 0.5) < 0.1)


def test_sac_automatic_temperature_moves_entropy_to_its_target():
    """SAC's own controller, set by entropy_target, takes Pendulum entropy from near the
    uniform's 1.39 nats most of the way to a 0-nat target within 4k steps (alpha is learned
    slowly: Adam at the policy's learning rate on log alpha)."""
    spec = {"name": "sac", **SMALL_OFF_POLICY, "learning_starts": 100, "telemetry_every": 250}
    agent = trained(
        spec, "Pendulum-v1", 4000, interventions=[{"name": "entropy_target", "target": 0.0}]
    )
    entropy, alpha = series(agent, "entropy"), series(agent, "ent_coef")
    assert entropy[0] > 1.2 and abs(entropy[-4:].mean()) < 0.5 * entropy[0]
    assert np.all(np.diff(alpha) < 0)
