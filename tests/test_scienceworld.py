"""The ScienceWorld adapter (skipped where the scienceworld package or Java is missing).

One JVM serves the default tests (starting it and loading a task costs a few seconds);
check_env, which starts several, is marked slow.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import entropy_gym  # noqa: F401  (registers the ids)
from entropy_gym.envs.text.tools.scienceworld import TASKS, env_id, missing_requirements
from entropy_gym.envs.text.tools.transcript import parse_transcript
from entropy_gym.registration import env_cards

MISSING = missing_requirements()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"ScienceWorld adapter needs {MISSING}")
ENV_ID = env_id("find-living-thing")


@pytest.fixture(scope="module")
def env():
    env = gym.make(ENV_ID, max_turns=8)
    yield env
    env.close()


def test_all_tasks_are_registered():
    ids = {c.id for c in env_cards("tool-task") if c.id.startswith("ScienceWorld/")}
    assert ids == {env_id(t) for t in TASKS} and len(ids) == 30


def test_reset_follows_tooltask_conventions(env):
    obs, info = env.reset(seed=3, options={"variation": 1})
    assert env.observation_space.contains(obs)
    t = parse_transcript(obs)
    assert "Your task is to find" in t.task and t.turns == ()
    # The opening list is cut to max_first_calls_chars; it is a prefix of the full list.
    assert list(t.first_calls) == info["admissible_actions"][: len(t.first_calls)]
    assert len(t.first_calls) < len(info["admissible_actions"]) and "more in info" in obs
    again, info2 = env.reset(seed=3, options={"variation": 1})
    assert parse_transcript(again).task.splitlines()[:2] == t.task.splitlines()[:2]
    assert info2["variation"] == 1
    assert env.spec.nondeterministic  # ScienceWorld's object order varies between loads


def test_seeded_reset_draws_the_variation_from_the_split(env):
    train = env.unwrapped._variations
    env.reset(seed=5)
    first = env.unwrapped.get_state().variation
    env.reset(seed=5)
    assert env.unwrapped.get_state().variation == first and first in train


def test_steps_invalid_commands_and_truncation(env):
    obs, info = env.reset(seed=0, options={"variation": 1})
    assert info["variation"] == 1
    calls = info["admissible_actions"]
    look = calls.index("look around")
    replies = ["fly to the moon", "", None, 10_000, look, "look around", "inventory", "wait1"]
    flags = []
    for reply in replies:
        obs, reward, terminated, truncated, info = env.step(reply)
        flags.append(info["invalid_action"])
        assert reward == 0.0 and not terminated
    assert flags == [True, True, True, True, False, False, False, False]
    assert "No known action matches that input." in parse_transcript(obs).turns[0].result
    assert parse_transcript(obs).turns[4].call == "look around"
    assert truncated and info["episode_metrics"]["turns"] == 8.0
    assert info["episode_metrics"]["invalid_rate"] == 0.5
    assert env.observation_space.contains(obs)


def _outcome(step):
    obs, reward, terminated, truncated, info = step
    result = parse_transcript(obs).turns[-1].result
    return (
        reward,
        terminated,
        truncated,
        info["invalid_action"],
        info["score"],
        sorted(result.splitlines()),
    )


def test_save_and_restore_replays_the_same_world(env):
    env.reset(seed=1, options={"variation": 1})
    env.step("look around")
    env.step("fly away")
    state = env.unwrapped.get_state()
    follow = ["open door to hallway", "go to hallway", "look around", "focus on orange"]
    first = [_outcome(env.step(c)) for c in follow]
    env.unwrapped.set_state(state)
    assert (
        env.unwrapped.render() is None
        and env.unwrapped.get_state().observation == state.observation
    )
    again = [_outcome(env.step(c)) for c in follow]
    assert again == first
    assert "look around" in env.unwrapped.admissible_actions or first[-1][1]


def test_random_agent_acts_from_the_conversation_then_infos(env):
    from entropy_gym.agents.base import StepBatch
    from entropy_gym.agents.registry import make_agent
    from entropy_gym.runner.evaluation import make_task

    agent = make_agent("random_admissible")
    agent.setup(make_task(ENV_ID, {"max_turns": 8}), seed=0, device="cpu")
    obs, info = env.reset(seed=0, options={"variation": 1})
    for turn in range(3):
        decision = agent.act((obs,))
        # Turn 0: the opening list in the conversation (cut here); then infos, complete.
        options = parse_transcript(obs).first_calls if turn == 0 else info["admissible_actions"]
        assert decision.actions[0] in options
        assert decision.entropy[0] == np.log(len(options)) > np.log(20)
        next_obs, reward, term, trunc, info = env.step(decision.actions[0])
        assert not info["invalid_action"]
        if term or trunc:
            break
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


@pytest.mark.slow
def test_random_agent_plays_through_the_runner_protocol():
    from entropy_gym.agents.registry import make_agent
    from entropy_gym.runner.evaluation import evaluate

    results = evaluate(
        make_agent("random_admissible"), ENV_ID, {"max_turns": 4}, episodes=2, seed=0
    )
    for r in results.episodes:
        assert r.metrics["invalid_rate"] == 0.0 and 1 <= r.metrics["turns"] <= 4


@pytest.mark.slow
def test_check_env():
    from gymnasium.utils.env_checker import check_env

    env = gym.make(ENV_ID, max_turns=5)
    try:
        check_env(env.unwrapped)
    finally:
        env.close()
