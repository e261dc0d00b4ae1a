"""The single text-bandit env: registration, statistics, bookkeeping, replies, bounds, seeds."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import entropy_gym  # noqa: F401  (registers the ids)
from entropy_gym.envs.text.bandits import VARIANTS
from entropy_gym.envs.text.bandits.core import BanditBatch
from entropy_gym.envs.text.bandits.spec import BanditSpec
from entropy_gym.registration import env_card, env_cards

IDS = [f"TextBandit/{v.name}" for v in VARIANTS]


def make(env_id: str = "TextBandit/Bernoulli-K5-hard-v0", **kwargs):
    return gym.make(f"entropy_gym:{env_id}", **kwargs)


def test_catalog_lists_every_id_in_the_family():
    assert [c.id for c in env_cards("text-bandit")] == IDS
    assert len(IDS) >= 4
    card = env_card("TextBandit/Bernoulli-K5-easy-v0")
    assert (card.random_score, card.reference_score) == pytest.approx((35.0, 75.0))
    assert not card.nondeterministic  # random by design, but fixed by the reset seed


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("history", ["raw", "summary"])
def test_every_id_passes_check_env(env_id, history):
    env = make(env_id, history=history, horizon=12)
    check_env(env.unwrapped)
    assert env.spec.id == env_id


@pytest.mark.parametrize("framing", ["buttons", "adverts", "slots"])
def test_framings_pass_check_env_and_name_their_labels(framing):
    env = make(framing=framing, horizon=5, hint=True)
    check_env(env.unwrapped)
    obs, _ = env.reset(seed=0)
    labels = env.unwrapped.task_info()["labels"]
    assert len(labels) == 5 and all(label in obs for label in labels)
    assert "Balance exploring" in obs


def test_task_info_tells_agents_everything_but_the_means():
    info = make(history="summary", horizon=7).unwrapped.task_info()
    assert info == {
        "labels": ["A", "B", "C", "D", "E"],
        "num_arms": 5,
        "horizon": 7,
        "reward": "bernoulli",
        "noise_std": None,
        "nonstationary": False,
        "framing": "buttons",
        "history": "summary",
        "hint": False,
    }


@pytest.mark.parametrize(
    "env_id, low, high",
    [
        ("TextBandit/Bernoulli-K5-easy-v0", 0.25, 0.75),
        ("TextBandit/Bernoulli-K5-hard-v0", 0.4, 0.6),
    ],
)
def test_gap_instances_have_exact_means_and_a_random_best_arm(env_id, low, high):
    env = make(env_id)
    best = []
    for seed in range(60):
        env.reset(seed=seed)
        means = env.unwrapped.arm_means
        assert sorted(means.tolist()) == [low] * 4 + [high]
        best.append(int(np.argmax(means)))
    assert set(best) == set(range(5))


def test_reward_means_match_the_arm_means():
    # 40 000 pulls of each arm in the numeric core: empirical means within 5 standard errors.
    spec = BanditSpec(reward="bernoulli", means=(0.1, 0.3, 0.5, 0.7, 0.9), horizon=1)
    core = BanditBatch(spec, 40_000)
    core.seed(0)
    core.reset()
    for arm, mean in enumerate(spec.means):
        core.reset()
        rewards = core.step(np.full(40_000, arm)).rewards
        assert abs(rewards.mean() - mean) < 5 * np.sqrt(mean * (1 - mean) / 40_000)
    g = BanditSpec(reward="gaussian", means=(-1.0, 2.0), num_arms=2, noise_std=0.5, horizon=1)
    core = BanditBatch(g, 40_000)
    core.seed(1)
    core.reset()
    rewards = core.step(np.ones(40_000, dtype=int)).rewards
    assert abs(rewards.mean() - 2.0) < 5 * 0.5 / np.sqrt(40_000)
    assert abs(rewards.std() - 0.5) < 0.01


def test_regret_and_metrics_bookkeeping_is_exact():
    # Gaussian arms without noise pay exactly their means, so every number below is known.
    env = make(
        "TextBandit/Gaussian-K5-v0",
        means=[0.0, 1.0, 0.0, 0.25],
        num_arms=4,
        horizon=8,
        noise_std=0.0,
    )
    env.reset(seed=3)
    actions = [0, 1, 2, "zzz", 1, 3, 3, 0]
    regrets, rewards, infos = [], [], []
    for a in actions:
        _, reward, terminated, truncated, info = env.step(a)
        regrets.append(info["regret"])
        rewards.append(reward)
        infos.append(info)
    assert rewards == [0.0, 1.0, 0.0, 0.0, 1.0, 0.25, 0.25, 0.0]
    assert regrets == [1.0, 0.0, 1.0, 1.0, 0.0, 0.75, 0.75, 1.0]
    assert [i["arm"] for i in infos] == [0, 1, 2, -1, 1, 3, 3, 0]
    assert [i["invalid_action"] for i in infos] == [False] * 3 + [True] + [False] * 4
    assert all(i["optimal_arm"] == 1 for i in infos)
    assert terminated and not truncated
    m = infos[-1]["episode_metrics"]
    assert m["regret"] == pytest.approx(5.5)
    assert m["best_arm_frac"] == pytest.approx(2 / 8)
    assert m["suffix_failure"] == 0.0  # step 5 (0-based 4 >= 8 // 2) pulled the best arm
    assert m["k_min_frac"] == pytest.approx(4 * 1 / 8)  # arm 2 pulled once
    assert m["invalid_rate"] == pytest.approx(1 / 8)
    # Greedy steps: the 1st (nothing pulled yet) and the 5th (arm 1, best mean so far); the
    # 2nd, 3rd and 6th pull unpulled arms, the 4th is invalid, the 7th and 8th trail arm 1.
    assert m["greedy_frac"] == pytest.approx(2 / 8)


def test_suffix_failure_when_best_arm_is_missed_in_the_last_half():
    env = make(means=[0.0, 1.0], num_arms=2, horizon=6)
    env.reset(seed=0)
    for a in [1, 1, 1, 0, 0, 0]:
        *_, info = env.step(a)
    assert info["episode_metrics"]["suffix_failure"] == 1.0
    assert info["episode_metrics"]["greedy_frac"] == pytest.approx(3 / 6)


def test_invalid_reply_is_a_legal_step_with_feedback():
    for history, feedback in [
        ("raw", 'the reply "I refuse to choose" named no button'),
        ("summary", 'Your last reply "I refuse to choose" named no button'),
    ]:
        env = make(history=history, horizon=4)
        env.reset(seed=0)
        obs, reward, terminated, _, info = env.step("I refuse to choose")
        assert info["invalid_action"] and info["arm"] == -1 and reward == 0.0
        means = env.unwrapped.arm_means
        assert info["regret"] == pytest.approx(means.max() - means.min())
        assert feedback in obs and not terminated
        obs, *_ = env.step("B")
        assert ("Press 2: button B" in obs) if history == "raw" else ("Your last reply" not in obs)


@pytest.mark.parametrize(
    "action, fragment",
    [
        (5, "out of range"),
        (-1, "out of range"),
        (2.5, "arm index"),
        (None, "arm index"),
    ],
)
def test_bad_actions_raise_one_line_errors(action, fragment):
    env = make()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=fragment):
        env.step(action)


def test_numpy_integers_and_text_are_both_actions():
    env = make(means=[0.0, 1.0, 0.0, 0.0, 0.0])
    env.reset(seed=0)
    assert env.step(np.int64(1))[1] == 1.0
    assert env.step(np.array(1))[1] == 1.0
    assert env.step(b"B")[1] == 1.0


def test_stepping_past_the_horizon_raises():
    env = make(horizon=1).unwrapped
    env.reset(seed=0)
    env.step(0)
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(0)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"framing": "poems"}, "framing 'poems' is unknown"),
        ({"history": "full"}, "history 'full' is unknown"),
        ({"reward": "poisson"}, "reward 'poisson' is unknown"),
        ({"num_arms": 1}, "num_arms must be an integer >= 2"),
        ({"horizon": 0}, "horizon must be an integer >= 1"),
        ({"num_arms": 12, "framing": "adverts"}, "at most 9 arms"),
        ({"means": [0.5, 0.5]}, "means has 2 entries"),
        ({"switch_prob": 2}, "switch_prob must be in"),
        ({"colour": "red"}, "unknown text-bandit parameter"),
    ],
)
def test_bad_parameters_are_value_errors(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        make(**kwargs)


def test_same_seed_same_actions_give_identical_trajectories():
    def run(seed):
        env = make("TextBandit/Gaussian-K5-v0", horizon=15)
        obs, _ = env.reset(seed=seed)
        out = [obs]
        for t in range(15):
            obs, reward, *_, info = env.step(t % 5 if t % 4 else "E")
            out.append((obs, reward, info["regret"]))
        return out

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_reset_without_seed_continues_the_generator():
    env = make()
    env.reset(seed=0)
    first = env.unwrapped.arm_means
    seen = {tuple(first)}
    for _ in range(10):
        env.reset()
        seen.add(tuple(env.unwrapped.arm_means))
    assert len(seen) > 1


def test_observation_length_bound_holds_in_the_worst_case():
    # Huge Gaussian rewards (widest numbers) and long unreadable replies (widest lines).
    for history in ("raw", "summary"):
        env = make(
            "TextBandit/Gaussian-K5-v0",
            horizon=40,
            noise_std=1e9,
            mean_std=1e9,
            history=history,
            framing="slots",
        )
        space = env.observation_space
        obs, _ = env.reset(seed=0)
        longest = len(obs)
        for t in range(40):
            obs, *_ = env.step("x" * 500 if t % 2 else t % 5)
            assert space.contains(obs)
            longest = max(longest, len(obs))
        assert longest <= space.max_length < 2 * longest


def test_switching_preserves_means_and_moves_the_best_arm():
    env = make("TextBandit/Bernoulli-K5-switching-v0", switch_prob=0.25, horizon=400)
    obs, _ = env.reset(seed=0)
    assert "can change from time to time without notice" in obs
    best, switches = int(np.argmax(env.unwrapped.arm_means)), 0
    for _ in range(400):
        *_, _info = env.step(0)
        means = env.unwrapped.arm_means
        assert sorted(means.tolist()) == [0.25] * 4 + [0.75]
        new_best = int(np.argmax(means))
        switches += new_best != best
        best = new_best
    assert 70 < switches < 130  # Binomial(400, 0.25): mean 100, sd 8.7


def test_save_and_restore_state_branches_identically():
    env = make("TextBandit/Gaussian-K5-v0", horizon=10).unwrapped
    env.reset(seed=4)
    env.step(1)
    state = env.save_state()
    first = [env.step(a)[:2] for a in (2, 3, 4)]
    env.restore_state(state)
    again = [env.step(a)[:2] for a in (2, 3, 4)]
    assert first == again


def test_render_returns_the_prompt_in_ansi_mode():
    env = make(render_mode="ansi", horizon=3)
    obs, _ = env.reset(seed=0)
    assert env.render() == obs
    assert "Press 1 of 3. Which button do you press? Answer with one of: A, B, C, D, E." in obs
