"""The measures llm_grpo reports: pass@k, answer entropy, group spread, answers per family."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import gymnasium as gym
import pytest

import entropy_gym  # noqa: F401  (registers the ids)
from entropy_gym.agents.llm.rl.agent import group_metrics
from entropy_gym.agents.llm.rl.answers import INVALID, NO_ARM, UNFINISHED, AnswerTracker
from entropy_gym.agents.llm.rl.batch import Trajectory, Turn
from entropy_gym.agents.llm.rl.heldout import heldout_seeds, summarise
from entropy_gym.agents.llm.rl.metrics import (
    answer_entropy,
    group_reward_stats,
    ks_up_to,
    mean_pass_at_k,
    pass_at_k,
)


def exact_pass_at_k(outcomes: list[bool], k: int) -> Fraction:
    """The share of all k-subsets of the samples that hold a success (the definition)."""
    subsets = list(itertools.combinations(range(len(outcomes)), k))
    hits = sum(any(outcomes[i] for i in s) for s in subsets)
    return Fraction(hits, len(subsets))


@pytest.mark.parametrize(
    "outcomes",
    [
        [True, False, False, False, False, False],
        [False] * 7 + [True, True],
        [True, True, False, True, False, False, False, False, False, False],
        [False] * 8,
        [True] * 5,
    ],
)
def test_pass_at_k_is_the_exact_combinatorial_value(outcomes):
    n, c = len(outcomes), sum(outcomes)
    for k in range(1, n + 1):
        assert pass_at_k(n, c, k) == pytest.approx(float(exact_pass_at_k(outcomes, k)), abs=1e-12)
    assert pass_at_k(n, c, 1) == pytest.approx(c / n)


def test_pass_at_k_refuses_impossible_counts_and_averages_over_problems():
    with pytest.raises(ValueError, match=r"0 <= c <= n and 1 <= k <= n, got n=4, c=5, k=1"):
        pass_at_k(4, 5, 1)
    with pytest.raises(ValueError, match="k <= n"):
        pass_at_k(4, 1, 5)
    assert ks_up_to(64) == [1, 2, 4, 8, 16, 32] and ks_up_to(63) == [1, 2, 4, 8, 16]
    assert ks_up_to(3) == [1]
    # Two problems of 4 samples: one solved once, one never: pass@2 = (1 - 3/6 + 0) / 2.
    values = mean_pass_at_k([[True, False, False, False], [False] * 4])
    assert values == {1: pytest.approx(0.125), 2: pytest.approx(0.25)}


def test_answer_entropy_of_a_hand_built_distribution():
    assert answer_entropy(["7", "7", "7", "7"]) == 0.0
    # 2 x "12", 1 x "13", 1 x "<invalid>": -(1/2 ln 1/2 + 2 x 1/4 ln 1/4) = 1.5 ln 2.
    assert answer_entropy(["12", "13", "12", "<invalid>"]) == pytest.approx(1.5 * math.log(2))
    assert answer_entropy(range(8)) == pytest.approx(math.log(8))
    with pytest.raises(ValueError, match="at least one answer"):
        answer_entropy([])


def test_group_reward_spread_and_zero_variance_share():
    stats = group_reward_stats([1.0, 0.0, 1.0, 1.0, 0.5, 0.5], [0, 0, 1, 1, 2, 2])
    assert stats["reward_std_within_group"] == pytest.approx(0.5 / 3)
    assert stats["zero_variance_groups"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="one group id per reward"):
        group_reward_stats([1.0], [0, 1])


def _traj(group, reward, answer, solved, tokens=3):
    turn = Turn([1], list(range(tokens)), [0.0] * tokens, [0.5] * tokens)
    return Trajectory(group, [turn], reward, {}, answer, solved)


def test_update_and_heldout_records_from_hand_built_groups():
    groups = [
        _traj(0, 1.0, "7", True),
        _traj(0, 0.0, "8", False),
        _traj(0, 0.0, "8", False),
        _traj(0, 0.0, INVALID, False),
        _traj(1, 0.0, "3", False),
        _traj(1, 0.0, "3", False),
        _traj(1, 0.0, "3", False),
        _traj(1, 0.0, "3", False),
    ]
    out = group_metrics(groups)
    assert out["zero_variance_groups"] == 0.5
    assert out["answer_entropy"] == pytest.approx((1.5 * math.log(2) + 0.0) / 2)
    assert out["solved"] == 1 / 8
    assert out["group_pass@1"] == pytest.approx(1 / 8)
    assert out["group_pass@2"] == pytest.approx((1 - 3 / 6) / 2)
    record = summarise([groups[:4], groups[4:]])
    assert record["heldout_success"] == 1 / 8 and record["heldout_pass@2"] == out["group_pass@2"]
    assert record["heldout_distinct_answers"] == 2.0
    assert record["heldout_tokens"] == 3.0 and record["heldout_token_entropy"] == 0.5


def test_heldout_problems_are_one_fixed_list():
    assert heldout_seeds(4) == heldout_seeds(10)[:4]
    assert len(set(heldout_seeds(1000))) == 1000


def test_answers_and_success_read_from_each_family():
    env = gym.make("Reasoning/Arithmetic-easy-v0")
    env.reset(seed=0)
    tracker = AnswerTracker()
    reply = env.unwrapped.solution()
    _, _, term, trunc, info = env.step(reply)
    tracker.step(reply, info, True, term)
    assert tracker.result() == (info["judged"], True)
    env.reset(seed=0)
    tracker = AnswerTracker()
    _, _, term, _, info = env.step("no number here")
    tracker.step("no number here", info, True, term)
    assert tracker.result() == (INVALID, False)

    bandit = gym.make("TextBandit/Bernoulli-K5-easy-v0", horizon=4)
    bandit.reset(seed=0)
    best = int(bandit.unwrapped.arm_means.argmax())
    other = (best + 1) % 5
    labels = "ABCDE"
    for pulls, expected in [
        ([best, other, best, best], (str(best), True)),
        ([other, best, other, other], (str(other), False)),  # committed to a worse arm
        ([other, best, best, other], (str(min(best, other)), best < other)),  # a tie: lower index
    ]:
        bandit.reset(seed=0)
        tracker = AnswerTracker()
        for arm in pulls:
            _, _, term, trunc, info = bandit.step(labels[arm])
            tracker.step(labels[arm], info, term or trunc, term)
        assert tracker.result() == expected
    bandit.reset(seed=0)
    tracker = AnswerTracker()
    for _ in range(4):
        _, _, term, trunc, info = bandit.step("?")
        tracker.step("?", info, term or trunc, term)
    assert tracker.result() == (NO_ARM, False)

    tools = gym.make("ToolTask/FileTree-easy-v0", max_turns=2, framing="compact")
    tools.reset(seed=1)
    tracker = AnswerTracker()
    for reply in ("ls", "cd alpha"):
        _, _, term, trunc, info = tools.step(reply)
        tracker.step(reply, info, term or trunc, term)
    assert tracker.result() == (UNFINISHED, False)
