"""Each entropy intervention moves entropy the way it should on a small env, and its
mechanics hold exactly where they can be checked exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sb3_helpers import SMALL_OFF_POLICY, observations, series, task_of, trained

from entropy_gym.agents import ConfigError, make_agent, make_intervention
from entropy_gym.agents.interventions.schedules import Schedule
from entropy_gym.agents.sb3 import PolicyLossBatch

#: PPO on CartPole that learns fast enough for entropy to move within a few thousand steps.
FAST_PPO = {"name": "ppo", "n_steps": 256, "learning_rate": 1e-3}


@pytest.fixture(scope="module")
def free_ppo():
    """The same PPO without interventions: entropy drifts from 0.69 to about 0.6."""
    return trained(FAST_PPO, "CartPole-v1", 3072)


# -- entropy bonus ----------------------------------------------------------------------------
def test_larger_entropy_bonus_keeps_more_entropy(free_ppo):
    bonus = trained(
        FAST_PPO, "CartPole-v1", 3072, interventions=[{"name": "entropy_bonus", "coef": 1.0}]
    )
    assert set(series(bonus, "ent_coef")) == {1.0}
    assert series(bonus, "entropy")[-4:].mean() > series(free_ppo, "entropy")[-4:].mean() + 0.025


def test_scheduled_bonus_follows_its_curve():
    agent = trained(
        {"name": "a2c", "n_steps": 32},
        "CartPole-v1",
        640,
        interventions=[
            {"name": "entropy_bonus", "coef": 0.1, "end": 0.001, "shape": "exponential"}
        ],
    )
    steps, coefs = series(agent, "step"), series(agent, "ent_coef")
    # A2C updates after each rollout; the coefficient of update i is set at progress step/640.
    np.testing.assert_allclose(coefs, [0.1 * 0.01 ** (s / 640) for s in steps], rtol=1e-9)


def test_entropy_bonus_sets_a_fixed_sac_temperature():
    agent = trained(
        {"name": "sac", **SMALL_OFF_POLICY, "telemetry_every": 20},
        "Pendulum-v1",
        100,
        interventions=[{"name": "entropy_bonus", "coef": 0.3, "end": 0.1}],
    )
    assert agent.model.log_ent_coef is None  # alpha is not learned
    coefs, steps = series(agent, "ent_coef"), series(agent, "step")
    after_start = steps > 50  # alpha is set before each gradient step, from learning_starts on
    np.testing.assert_allclose(
        coefs[after_start], 0.3 - 0.2 * (steps[after_start] - 1) / 100, atol=0.003
    )


# -- entropy target ---------------------------------------------------------------------------
@pytest.mark.parametrize("target", [0.35, 0.5])
def test_entropy_target_holds_entropy_in_band(target, free_ppo):
    """The controller brings CartPole PPO entropy from 0.69 to the target and holds it there
    (+-0.08, mean within +-0.04), where the free run stays above 0.5."""
    agent = trained(
        FAST_PPO, "CartPole-v1", 3072, interventions=[{"name": "entropy_target", "target": target}]
    )
    entropy = series(agent, "entropy")
    held = entropy[len(entropy) // 2 :]
    assert abs(held.mean() - target) < 0.04, entropy
    assert np.all(np.abs(held - target) < 0.08), entropy
    assert entropy[0] > target + 0.15
    assert series(free_ppo, "entropy")[6:].min() > max(0.5, target + 0.08)


def test_entropy_target_configures_sac_temperature_controller():
    agent = make_agent(
        {"name": "sac", **SMALL_OFF_POLICY},
        interventions=[{"name": "entropy_target", "target": -1.0}],
    )
    agent.setup(task_of("Pendulum-v1"), seed=0, device="cpu")
    # -1 nat for actions in [-2, 2] is -1 - log 2 in SB3's [-1, 1] action units
    assert agent.model.target_entropy == pytest.approx(-1.0 - math.log(2.0))
    assert agent.model.log_ent_coef is not None


def test_entropy_target_temperature_holds_decision_entropy():
    agent = make_agent("ppo", interventions=[{"name": "entropy_target_temperature", "target": 0.4}])
    agent.setup(task_of("Acrobot-v1"), seed=0, device="cpu")
    with torch.no_grad():  # SB3 initialises the action head near zero: give the logits a scale
        agent.model.policy.action_net.weight.mul_(100.0)
    obs = observations("Acrobot-v1", 16)
    entropies = [agent.act(obs).entropy.mean() for _ in range(40)]
    assert entropies[0] > 1.0
    np.testing.assert_allclose(entropies[-10:], 0.4, atol=0.01)
    assert agent.interventions[0].telemetry()["t"] < 1.0


# -- Clip-Cov and KL-Cov ----------------------------------------------------------------------
def _loss_batch(n: int = 64, seed: int = 0, clip_range: float = 0.2) -> PolicyLossBatch:
    g = torch.Generator().manual_seed(seed)
    log_prob = (torch.randn(n, generator=g) - 1.0).requires_grad_(True)
    old_log_prob = log_prob.detach() + 0.3 * torch.randn(n, generator=g)
    advantages = torch.randn(n, generator=g)
    ratio = torch.exp(log_prob - old_log_prob)
    surrogate = -advantages * ratio
    clipped_surrogate = -advantages * torch.clamp(ratio, 1 - clip_range, 1 + clip_range)
    return PolicyLossBatch(
        log_prob=log_prob,
        old_log_prob=old_log_prob,
        ratio=ratio,
        advantages=advantages,
        clip_range=clip_range,
        clipped=clipped_surrogate > surrogate,
        entropy=None,
        pg_loss=torch.maximum(surrogate, clipped_surrogate),
        generator=torch.Generator().manual_seed(seed + 1),
    )


def _per_sample_grad(loss: torch.Tensor, wrt: torch.Tensor) -> torch.Tensor:
    (grad,) = torch.autograd.grad(loss.sum(), wrt, retain_graph=True)
    return grad


def test_clip_cov_detaches_random_in_band_samples_only():
    batch = _loss_batch()
    clip_cov = make_intervention({"name": "clip_cov", "ratio": 0.1, "lb": 0.05, "ub": 3.0})
    loss = clip_cov.on_loss(batch)
    cov = (batch.log_prob - batch.log_prob.mean()).detach() * (
        batch.advantages - batch.advantages.mean()
    )
    grad = _per_sample_grad(loss, batch.log_prob)
    plain = _per_sample_grad(batch.pg_loss, batch.log_prob)
    detached = (grad == 0) & (plain != 0)
    assert int(detached.sum()) == 6  # floor(0.1 * 64)
    in_band = (cov > 0.05) & (cov < 3.0) & ~batch.clipped
    assert bool(in_band[detached].all()) and int(in_band.sum()) > 6
    assert torch.equal(grad[~detached], plain[~detached])
    assert torch.allclose(loss.detach(), batch.pg_loss.detach())  # values unchanged
    assert clip_cov.telemetry()["detached_fraction"] == pytest.approx(6 / 64)


def test_clip_cov_detaches_about_the_configured_fraction_in_training():
    clip_cov = {"name": "clip_cov", "ratio": 0.2, "lb": -1e9, "ub": 1e9}
    agent = trained({"name": "ppo", "n_steps": 256}, "CartPole-v1", 768, interventions=[clip_cov])
    fractions = series(agent, "clip_cov/detached_fraction")
    # floor(0.2 * 64) = 12 of each 64-sample minibatch, fewer only when PPO clipped many
    assert len(fractions) == 3
    assert np.all((fractions > 0.17) & (fractions <= 12 / 64 + 1e-12)), fractions


def test_clip_cov_keeps_more_entropy_than_the_free_run(free_ppo):
    agent = trained(
        FAST_PPO, "CartPole-v1", 3072, interventions=[{"name": "clip_cov", "ratio": 0.2}]
    )
    assert series(agent, "entropy")[-4:].mean() > series(free_ppo, "entropy")[-4:].mean() + 0.02


def test_kl_cov_penalises_the_top_covariance_samples_without_clipping():
    batch = _loss_batch(seed=3)
    kl_cov = make_intervention({"name": "kl_cov", "ratio": 0.1, "kl_coef": 2.0})
    loss = kl_cov.on_loss(batch)
    cov = (batch.log_prob - batch.log_prob.mean()).detach() * (
        batch.advantages - batch.advantages.mean()
    )
    top = torch.zeros(64, dtype=torch.bool)
    top[torch.topk(cov, 6).indices] = True
    expected = -batch.advantages * batch.ratio + torch.where(
        top, 2.0 * (batch.log_prob - batch.old_log_prob).abs(), 0.0
    )
    assert torch.allclose(loss, expected)
    assert kl_cov.telemetry()["penalised_fraction"] == pytest.approx(6 / 64)


def test_cov_parameters_are_validated():
    with pytest.raises(ConfigError, match="clip_cov needs lb < ub"):
        make_intervention({"name": "clip_cov", "lb": 2.0, "ub": 1.0})
    with pytest.raises(ConfigError, match="kl_cov ratio must be in"):
        make_intervention({"name": "kl_cov", "ratio": 0.0})


# -- SAC temperature --------------------------------------------------------------------------
def test_fixed_and_automatic_sac_temperature_differ_as_expected():
    spec = {"name": "sac", **SMALL_OFF_POLICY, "learning_starts": 100, "telemetry_every": 50}
    fixed = trained(
        spec,
        "Pendulum-v1",
        500,
        interventions=[{"name": "sac_temperature", "mode": "fixed", "alpha": 1.0}],
    )
    low = trained(
        spec,
        "Pendulum-v1",
        500,
        interventions=[
            {"name": "sac_temperature", "mode": "auto", "alpha": 0.05, "target_entropy": -3.0}
        ],
    )
    high = trained(
        spec,
        "Pendulum-v1",
        200,
        interventions=[
            {"name": "sac_temperature", "mode": "auto", "alpha": 0.05, "target_entropy": 2.0}
        ],
    )
    assert set(series(fixed, "ent_coef")) == {1.0}  # fixed: alpha never moves
    low_alpha, high_alpha = series(low, "ent_coef"), series(high, "ent_coef")
    assert np.all(np.diff(low_alpha[1:]) < 0)  # entropy above its target: alpha falls
    assert np.all(np.diff(high_alpha[1:]) > 0)  # target above log 4 (unreachable): alpha rises
    # With alpha = 1 the policy stays near-uniform on [-2, 2] (log 4 = 1.386 nats); a small,
    # falling alpha lets the entropy collapse.
    assert series(fixed, "entropy")[-1] > 1.2
    assert series(low, "entropy")[-1] < series(fixed, "entropy")[-1] - 0.3
    assert low.telemetry()[-1]["sac_temperature/target_entropy"] == pytest.approx(-3.0)


def test_sac_temperature_parameters_are_validated():
    with pytest.raises(ConfigError, match="mode 'warm' is unknown"):
        make_intervention({"name": "sac_temperature", "mode": "warm"})
    with pytest.raises(ConfigError, match="target_entropy only applies to mode 'auto'"):
        make_intervention({"name": "sac_temperature", "mode": "fixed", "target_entropy": -1.0})


# -- epsilon schedules ------------------------------------------------------------------------
def test_epsilon_schedule_follows_its_curve():
    schedule = {
        "name": "epsilon_schedule",
        "start": 1.0,
        "end": 0.1,
        "fraction": 0.5,
        "shape": "exponential",
    }
    spec = {"name": "dqn", "learning_starts": 10**6, "telemetry_every": 50}
    agent = trained(spec, "CartPole-v1", 1000, interventions=[schedule])
    steps, eps = series(agent, "step"), series(agent, "epsilon")
    curve = Schedule(1.0, 0.1, 0.5, "exponential")
    np.testing.assert_allclose(eps, [curve(s / 1000) for s in steps], rtol=1e-12)
    assert eps[-1] == pytest.approx(0.1) and np.all(np.diff(eps) <= 0)
    h = -(0.95 * math.log(0.95) + 0.05 * math.log(0.05))  # 0.1-greedy over 2 actions
    np.testing.assert_allclose(series(agent, "entropy")[-1], h)
    np.testing.assert_allclose(agent.act(observations("CartPole-v1", 3)).entropy, h)


def test_sb3_default_epsilon_follows_budget_progress():
    agent = trained(
        {"name": "qrdqn", "learning_starts": 10**6, "telemetry_every": 25}, "CartPole-v1", 1000
    )
    steps, eps = series(agent, "step"), series(agent, "epsilon")
    # QR-DQN: linear from 1.0 to 0.01 over the first 0.5% of the budget, here 5 steps
    np.testing.assert_allclose(eps, np.where(steps >= 5, 0.01, 1.0 - 0.99 * steps / 5))


@pytest.mark.parametrize(
    "shape, expected", [("linear", 0.55), ("exponential", math.sqrt(0.1)), ("cosine", 0.55)]
)
def test_schedule_shapes(shape, expected):
    curve = Schedule(1.0, 0.1, 0.5, shape)
    assert (
        curve(0.0) == 1.0
        and curve(0.25) == pytest.approx(expected)
        and curve(0.9) == pytest.approx(0.1)
    )
    with pytest.raises(ConfigError, match="shape 'step' is unknown"):
        Schedule(1.0, 0.1, 0.5, "step")
