"""Classic bandit agents: exact action distributions, memory, seeding, and regret."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

from entropy_gym.agents import ConfigError, StepBatch, TaskSpec, make_agent
from entropy_gym.agents.classic.bandit_base import sample_rows
from entropy_gym.runner.evaluation import evaluate


def task(k=3, num_envs=2, **info):
    space = gym.spaces.Discrete(k)
    return TaskSpec("test", gym.spaces.Text(10), space, num_envs=num_envs, env_info=info)


def feed(agent, arms, rewards, done=None, infos=True):
    n = len(arms)
    done = np.zeros(n, bool) if done is None else np.asarray(done)
    extra = {"arm": np.asarray(arms), "_arm": np.ones(n, bool)} if infos else {}
    agent.observe(
        StepBatch(
            ("",) * n,
            np.asarray(arms),
            np.asarray(rewards, float),
            done,
            np.zeros(n, bool),
            ("",) * n,
            extra,
        )
    )


def test_greedy_tries_each_arm_then_exploits_with_exact_entropy():
    agent = make_agent("greedy")
    agent.setup(task(k=3, num_envs=1), seed=0, device="cpu")
    assert np.allclose(agent.probabilities(), 1 / 3)
    assert np.allclose(agent.act(("",)).entropy, np.log(3))
    feed(agent, [0], [0.2])
    assert np.allclose(agent.probabilities(), [[0, 0.5, 0.5]])
    feed(agent, [1], [0.9])
    feed(agent, [2], [0.9])
    assert np.allclose(agent.act(("",)).entropy, np.log(2))  # arms 1 and 2 tie
    feed(agent, [2], [1.0])
    d = agent.act(("",))
    assert d.actions.tolist() == [2] and d.entropy.tolist() == [0.0]


def test_epsilon_greedy_reports_the_exact_mixture_entropy():
    agent = make_agent({"name": "epsilon_greedy", "epsilon": 0.3})
    agent.setup(task(k=4, num_envs=1), seed=0, device="cpu")
    for arm, reward in enumerate([0.1, 0.8, 0.2, 0.3]):
        feed(agent, [arm], [reward])
    p = np.array([0.075, 0.775, 0.075, 0.075])
    np.testing.assert_allclose(agent.probabilities()[0], p)
    assert agent.act(("",)).entropy[0] == pytest.approx(-(p * np.log(p)).sum())
    draws = sample_rows(np.repeat(agent.probabilities(), 20_000, axis=0), agent.rng)
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / 20_000, p, atol=0.01)


def test_ucb1_picks_the_highest_upper_bound():
    agent = make_agent({"name": "ucb1", "c": 1.0})
    agent.setup(task(k=2, num_envs=1), seed=0, device="cpu")
    for arm, reward in [(0, 1.0), (0, 1.0), (0, 0.0), (1, 0.5)]:
        feed(agent, [arm], [reward])
    t = 4
    scores = [2 / 3 + np.sqrt(2 * np.log(t) / 3), 0.5 + np.sqrt(2 * np.log(t) / 1)]
    assert agent.act(("",)).actions.tolist() == [int(np.argmax(scores))]


def test_thompson_entropy_estimate_matches_the_exact_gaussian_value():
    agent = make_agent({"name": "thompson", "entropy_samples": 20000})
    agent.setup(task(k=2, num_envs=1, reward="gaussian", noise_std=1.0), seed=0, device="cpu")
    feed(agent, [0], [0.3])
    feed(agent, [1], [-0.2])
    feed(agent, [1], [0.1])
    # Posterior N(m, v): precision 1 + n, mean s / precision.
    m, v = np.array([0.3 / 2, -0.1 / 3]), np.array([1 / 2, 1 / 3])
    p0 = 0.5 * (1 + math.erf((m[0] - m[1]) / math.sqrt(2 * v.sum())))  # P(theta_0 > theta_1)
    exact = -(p0 * np.log(p0) + (1 - p0) * np.log(1 - p0))
    assert agent.act(("",)).entropy[0] == pytest.approx(exact, abs=0.01)


def test_memory_comes_from_infos_and_resets_where_episodes_end():
    agent = make_agent("greedy")
    agent.setup(task(k=3, num_envs=2), seed=0, device="cpu")
    feed(agent, [1, -1], [1.0, 0.0])  # env 1's reply named no arm: nothing to remember
    assert agent.counts.tolist() == [[0, 1, 0], [0, 0, 0]]
    feed(agent, [2, 0], [0.0, 1.0], done=[True, False])
    assert agent.counts.tolist() == [[0, 0, 0], [1, 0, 0]]
    feed(agent, [2, 2], [1.0, 1.0], infos=False)  # no infos: the integer actions count
    assert agent.counts.tolist() == [[0, 0, 1], [1, 0, 1]]


def test_agents_refuse_non_discrete_spaces_and_bad_parameters():
    agent = make_agent("ucb1")
    with pytest.raises(ConfigError, match="needs a Discrete action space"):
        agent.setup(TaskSpec("x", gym.spaces.Box(0, 1), gym.spaces.Box(0, 1)), 0, "cpu")
    for spec, fragment in [
        ({"name": "epsilon_greedy", "epsilon": 2}, "epsilon must be in"),
        ({"name": "thompson", "likelihood": "poisson"}, "likelihood"),
        ({"name": "ucb1", "c": -1}, "c must be >= 0"),
    ]:
        with pytest.raises(ConfigError, match=fragment):
            make_agent(spec)


@pytest.mark.parametrize("name", ["epsilon_greedy", "thompson"])
def test_same_seed_same_actions(name):
    runs = []
    for seed in (4, 4, 5):
        actions = []
        evaluate(
            make_agent(name),
            "entropy_gym:TextBandit/Gaussian-K5-v0",
            {"horizon": 30},
            num_envs=2,
            episodes=2,
            seed=seed,
            on_step=lambda d, step, counted, actions=actions: actions.append(d.actions.copy()),
        )
        runs.append(np.stack(actions))
    assert np.array_equal(runs[0], runs[1]) and not np.array_equal(runs[0], runs[2])


@pytest.mark.parametrize("env_id", ["TextBandit/Bernoulli-K5-easy-v0", "TextBandit/Gaussian-K5-v0"])
def test_ucb1_and_thompson_beat_random_on_regret(env_id):
    regret = {}
    for name in ("random", "ucb1", "thompson"):
        result = evaluate(
            make_agent(name),
            f"entropy_gym:{env_id}",
            {"horizon": 100},
            num_envs=8,
            episodes=16,
            seed=0,
        )
        regret[name] = result.mean_metrics()["regret"]
    assert regret["ucb1"] < 0.75 * regret["random"]
    assert regret["thompson"] < 0.5 * regret["random"]
