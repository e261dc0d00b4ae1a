"""Tool-task agents through the runner's protocol: oracle, random over admissible calls."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import entropy_gym  # noqa: F401  (registers the ids)
from entropy_gym.agents import ConfigError, TaskSpec, make_agent
from entropy_gym.agents.base import StepBatch
from entropy_gym.agents.tools.admissible import AdmissibleActions, infos_column
from entropy_gym.envs.text.tools.catalog import DIFFICULTIES, FAMILIES, OPTIMAL_CALLS, RANDOM_SCORES
from entropy_gym.envs.text.tools.env import ToolTaskEnv
from entropy_gym.envs.text.tools.transcript import parse_transcript
from entropy_gym.experiments.tool_calibration import summarize
from entropy_gym.runner.evaluation import evaluate, make_task
from entropy_gym.scoring.turn_entropy import episode_entropy_stats


@pytest.mark.parametrize("family", FAMILIES)
def test_oracle_agent_solves_through_vector_envs(family):
    for difficulty in ("easy", "hard"):
        env_id = f"ToolTask/{family}-{difficulty}-v0"
        results = evaluate(
            make_agent("tool_oracle"), env_id, episodes=6, seed=4, num_envs=3
        ).episodes
        assert len(results) == 6
        for r in results:
            assert r.total_return == 1.0
            assert r.length == r.metrics["turns"] == OPTIMAL_CALLS[family, difficulty]
            stats = episode_entropy_stats(r.entropy)
            assert stats["entropy_mean"] == 0.0 and stats["entropy_var"] == 0.0


def test_oracle_needs_a_tooltask_env():
    agent = make_agent("tool_oracle")
    space = gym.spaces.Text(10)
    with pytest.raises(ConfigError, match="solves ToolTask/ envs"):
        agent.setup(TaskSpec("CartPole-v1", space, space), seed=0, device="cpu")
    # Without env_info the catalog card names the family.
    agent.setup(TaskSpec("ToolTask/FileTree-easy-v0", space, space), seed=0, device="cpu")


def test_random_agent_is_uniform_over_admissible_calls_with_log_n_entropy():
    agent = make_agent("random_admissible")
    env = ToolTaskEnv("FileTree", "medium")
    agent.setup(make_task("ToolTask/FileTree-medium-v0"), seed=3, device="cpu")
    obs, info = env.reset(seed=0)
    for _ in range(30):
        calls = info["admissible_actions"]
        decision = agent.act((obs,))
        assert decision.actions[0] in calls
        assert decision.entropy[0] == pytest.approx(math.log(len(calls)))
        next_obs, reward, term, trunc, info = env.step(decision.actions[0])
        assert not info["invalid_action"]
        agent.observe(
            StepBatch(
                (obs,),
                decision.actions,
                np.array([reward]),
                np.array([term]),
                np.array([trunc]),
                (next_obs,),
                [info],
            )
        )
        obs = next_obs
        if term or trunc:
            obs, info = env.reset()
    # Uniform: on one fixed turn-0 conversation, every listed call comes up about equally.
    obs, info = env.reset(seed=1)
    fresh = make_agent("random_admissible")
    fresh.setup(make_task("ToolTask/FileTree-medium-v0", num_envs=600), seed=0, device="cpu")
    picks = fresh.act((obs,) * 600).actions
    counts = [picks.count(c) for c in info["admissible_actions"]]
    expected = 600 / len(counts)
    assert min(counts) > 0.6 * expected and max(counts) < 1.4 * expected


def test_random_agent_is_seeded():
    def actions(seed):
        results = evaluate(
            make_agent("random_admissible"),
            "ToolTask/Household-easy-v0",
            episodes=12,
            seed=seed,
            num_envs=4,
        )
        return [(r.length, r.total_return, r.entropy) for r in results.episodes]

    assert actions(1) == actions(1)
    assert actions(1) != actions(2)


def test_first_turn_uses_the_conversation_and_a_stale_list_is_refused():
    env = ToolTaskEnv("KnowledgeBase", "easy")
    obs, info = env.reset(seed=0)
    tracker = AdmissibleActions(1)
    assert (
        tracker.get(0, obs) == info["admissible_actions"] == list(parse_transcript(obs).first_calls)
    )
    obs, *_ = env.step(info["admissible_actions"][0])
    with pytest.raises(RuntimeError, match="pass the step's infos"):
        tracker.get(0, obs)


def test_infos_column_reads_vector_and_list_infos():
    vec = {
        "a": np.array([1, 2, 0], dtype=object),
        "_a": np.array([True, True, False]),
        "m": {"x": np.array([1.0, 0, 3.0]), "_x": np.array([True, False, True])},
        "_m": np.array([True, False, True]),
    }
    assert infos_column(vec, "a", 3) == [1, 2, None]
    assert infos_column(vec, "m", 3) == [{"x": 1.0}, None, {"x": 3.0}]
    assert infos_column(vec, "zz", 3) == [None] * 3
    assert infos_column([{"a": 5}, {}], "a", 2) == [5, None]


def test_random_agent_refuses_non_text_envs():
    space = gym.spaces.Discrete(3)
    with pytest.raises(ConfigError, match="random_admissible"):
        make_agent("random_admissible").setup(TaskSpec("x", space, space), seed=0, device="cpu")


@pytest.mark.parametrize("family", FAMILIES)
def test_random_success_rate_matches_random_score(family):
    """The catalog's random_score (4000 episodes) is reproduced by a fresh sample: a different
    seed, so only the statistic, not the episodes, is shared."""
    for difficulty in DIFFICULTIES:
        env_id = f"ToolTask/{family}-{difficulty}-v0"
        n = 400 if difficulty == "easy" else 120
        stats = summarize(
            evaluate(make_agent("random_admissible"), env_id, episodes=n, seed=777, num_envs=8)
        )
        p = RANDOM_SCORES[env_id]
        bound = 4 * math.sqrt(p * (1 - p) / n) + 0.015
        assert abs(stats["success"] - p) <= bound, (env_id, stats["success"], p)
        assert stats["invalid_rate"] == 0.0
        assert stats["entropy_mean"] > 0.5 and stats["entropy_var"] > 0.0
