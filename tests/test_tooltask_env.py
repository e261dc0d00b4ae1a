"""ToolTask envs: generation, the oracle's optimality, invalid calls, rewards, bounds, state."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import entropy_gym  # noqa: F401  (registers the ids)
from entropy_gym.envs.text.tools.catalog import DIFFICULTIES, FAMILIES, OPTIMAL_CALLS, RANDOM_SCORES
from entropy_gym.envs.text.tools.env import ToolTaskEnv, ToolTaskState
from entropy_gym.envs.text.tools.transcript import CHARSET, parse_transcript
from entropy_gym.registration import env_cards

CONFIGS = [(f, d) for f in FAMILIES for d in DIFFICULTIES]
#: Seeds per configuration for the oracle check: 9 configurations -> 324 episodes.
ORACLE_SEEDS = 36


def oracle_episode(env: ToolTaskEnv, seed: int) -> list[tuple]:
    """Play the family's oracle from ``reset(seed)``; the trajectory (obs, reward, flags, info)."""
    solve = type(env.family).oracle_call
    obs, info = env.reset(seed=seed)
    steps = [(obs, info)]
    done = False
    while not done:
        call = solve(parse_transcript(obs))
        assert call in info["admissible_actions"], (seed, call)
        obs, reward, terminated, truncated, info = env.step(call)
        steps.append((obs, reward, terminated, truncated, info))
        done = terminated or truncated
    return steps


@pytest.mark.parametrize("family, difficulty", CONFIGS)
def test_oracle_solves_every_task_in_the_promised_number_of_calls(family, difficulty):
    env = ToolTaskEnv(family, difficulty)
    optimal = env.task_info()["optimal_calls"]
    assert optimal == OPTIMAL_CALLS[family, difficulty]
    for seed in range(ORACLE_SEEDS):
        steps = oracle_episode(env, seed)
        obs, reward, terminated, truncated, info = steps[-1]
        metrics = info["episode_metrics"]
        assert (reward, terminated, truncated) == (1.0, True, False), seed
        assert metrics["success"] == 1.0 and metrics["turns"] == optimal, seed
        assert metrics["progress"] == 1.0 and metrics["invalid_rate"] == 0.0
        assert metrics["efficiency"] == 1.0
        assert not any(s[4]["result_truncated"] for s in steps[1:])
        assert len(obs) <= env.observation_space.max_length


def test_difficulty_spans_3_to_30_plus_calls():
    assert min(OPTIMAL_CALLS.values()) <= 4 and max(OPTIMAL_CALLS.values()) >= 30
    for family in FAMILIES:
        calls = [OPTIMAL_CALLS[family, d] for d in DIFFICULTIES]
        assert calls == sorted(calls) and calls[-1] >= 30


@pytest.mark.parametrize(
    "family, kwargs, optimal",
    [
        ("KnowledgeBase", {"hops": 5}, 8),
        ("FileTree", {"depth": 1, "hops": 4}, 2 + 4 + 4 + 3 + 1),
        ("Household", {"locks": 1, "distance": 3, "rooms": 7}, 3 * 3 + 3 + 4),
    ],
)
def test_kwargs_override_difficulty_and_oracle_follows(family, kwargs, optimal):
    env = gym.make(f"ToolTask/{family}-easy-v0", **kwargs).unwrapped
    assert env.task_info()["optimal_calls"] == optimal
    for seed in range(5):
        assert oracle_episode(env, seed)[-1][4]["episode_metrics"]["turns"] == optimal


@pytest.mark.parametrize("family", FAMILIES)
def test_generation_is_deterministic_per_seed(family):
    a, b = ToolTaskEnv(family, "medium"), ToolTaskEnv(family, "medium")
    firsts = set()
    for seed in range(8):
        ta, tb = oracle_episode(a, seed), oracle_episode(b, seed)
        assert [s[0] for s in ta] == [s[0] for s in tb]
        assert [s[-1] for s in ta] == [s[-1] for s in tb]
        firsts.add(ta[0][0])
    assert len(firsts) == 8  # different seeds, different tasks
    # Unseeded resets continue the seeded generator: reproducible too.
    a.reset(seed=3)
    b.reset(seed=3)
    assert a.reset()[0] == b.reset()[0]


def _invalid_call_cases():
    return {
        "KnowledgeBase": [
            '{"tool": "get", "args": {"id": "X-0000", "field": "mayor"}}',
            '{"tool": "search", "args": {"name": "Nobody At All"}}',
        ],
        "FileTree": [
            '{"tool": "cd", "args": {"dir": "no-such-dir"}}',
            '{"tool": "cat", "args": {"file": "a/b.txt"}}',
            '{"tool": "cd", "args": {"dir": ".."}}',
        ],
        "Household": [
            '{"tool": "go", "args": {"room": "moon"}}',
            '{"tool": "put", "args": {"item": "anything", "receptacle": "nowhere"}}',
        ],
    }


@pytest.mark.parametrize("family", FAMILIES)
def test_invalid_calls_are_legal_turns_with_error_results(family):
    env = ToolTaskEnv(family, "medium", max_turns=40)
    obs, info = env.reset(seed=1)
    first = info["admissible_actions"]
    replies = [
        "I will list the directory",  # no JSON
        '{"tool": "ls", "args": {',  # malformed
        '{"tool": "teleport", "args": {}}',  # unknown tool
        '{"tool": "answer", "args": {}}' if family != "Household" else '{"tool": "go", "args": {}}',
        None,
        ["not", "text"],
        10_000,  # not text, index out of range
        *_invalid_call_cases()[family],  # well-formed, but the world refuses
    ]
    for n, reply in enumerate(replies, start=1):
        obs, reward, terminated, truncated, info = env.step(reply)
        assert info["invalid_action"] and info["error"], reply
        assert (reward, terminated, truncated) == (0.0, False, False)
        turn = parse_transcript(obs).turns[-1]
        assert turn.result == f"Error: {info['error']}" and not turn.ok
        assert info["turn"] == n
    assert info["admissible_actions"] == first  # nothing changed in the world
    obs, reward, terminated, truncated, info = env.step(0)  # an index picks an admissible call
    assert not info["invalid_action"] and parse_transcript(obs).turns[-1].call == first[0]
    assert env.episode_metrics()["invalid_rate"] == pytest.approx(len(replies) / (len(replies) + 1))


def test_precondition_failures_name_the_problem():
    env = ToolTaskEnv("Household", "medium")
    obs, info = env.reset(seed=0)
    task = parse_transcript(obs).task
    box = task.split("Start with the ")[1].split(" in the ")[0]
    _, _, _, _, info = env.step(f'{{"tool": "open", "args": {{"container": "{box}"}}}}')
    # The start box is in another room (distance 1): opening from here must fail, politely.
    assert info["invalid_action"] and f"the {box} is not here" in info["error"]


def test_turn_limit_truncates_with_metrics():
    env = ToolTaskEnv("FileTree", "easy", max_turns=3)
    env.reset(seed=0)
    steps = [env.step('{"tool": "ls", "args": {}}') for _ in range(3)]
    assert [s[2:4] for s in steps] == [(False, False), (False, False), (False, True)]
    info = steps[-1][4]
    assert info["admissible_actions"] == [] and info["episode_metrics"]["turns"] == 3.0
    assert info["episode_metrics"]["success"] == 0.0
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step('{"tool": "ls", "args": {}}')


@pytest.mark.parametrize("family", FAMILIES)
def test_wrong_final_call_ends_with_zero_reward(family):
    env = ToolTaskEnv(family, "easy")
    env.reset(seed=5)
    final = (
        '{"tool": "done", "args": {}}'
        if family == "Household"
        else '{"tool": "answer", "args": {"value": "nope"}}'
    )
    _obs, reward, terminated, truncated, info = env.step(final)
    assert (reward, terminated, truncated) == (0.0, True, False)
    assert info["episode_metrics"]["success"] == 0.0 and info["episode_metrics"]["turns"] == 1


@pytest.mark.parametrize("family", FAMILIES)
def test_shaped_reward_pays_each_milestone_once(family):
    env = ToolTaskEnv(family, "medium", reward_mode="shaped", progress_bonus=0.5)
    rewards = [s[1] for s in oracle_episode(env, 2)[1:]]
    milestones = env.task_info()["milestones"]
    assert sum(rewards) == pytest.approx(1.5)
    assert sum(r > 0 for r in rewards) == milestones + 1  # each milestone, then the final call
    assert rewards[-1] == pytest.approx(1.0)
    assert all(r == pytest.approx(0.5 / milestones) for r in rewards[:-1] if r > 0)
    sparse = ToolTaskEnv(family, "medium")
    assert [s[1] for s in oracle_episode(sparse, 2)[1:]] == [0.0] * (len(rewards) - 1) + [1.0]


@pytest.mark.parametrize("family", FAMILIES)
def test_observation_is_bounded_and_printable_under_worst_replies(family):
    env = ToolTaskEnv(family, "easy", max_turns=6, max_result_chars=200)
    obs, _ = env.reset(seed=0)
    junk = '{"tool": "' + "\u2603x" * 2000 + '"}'
    for reply in [junk, "\n" * 5000, "z" * 4096, junk, '{"tool": "ls"' + " " * 3000, junk]:
        obs, *_ = env.step(reply)
        assert env.observation_space.contains(obs)
    assert set(obs) <= set(CHARSET)
    assert len(parse_transcript(obs).turns) == 6


def _play(env: ToolTaskEnv, picks: list[int]) -> list[tuple]:
    """Step the ``k``-th admissible call (final calls left out, so the episode goes on)."""
    final = f'"tool": "{env.family.final_tool}"'
    out = []
    for k in picks:
        calls = [c for c in env.admissible_actions if final not in c]
        out.append(env.step(calls[k % len(calls)]))
    return out


@pytest.mark.parametrize("family", FAMILIES)
def test_save_and_restore_resume_identically(family):
    env = ToolTaskEnv(family, "hard")
    env.reset(seed=11)
    rng = np.random.default_rng(0)
    _play(env, [int(x) for x in rng.integers(0, 97, size=5)])
    state = env.get_state()
    picks = [int(x) for x in rng.integers(0, 97, size=12)]
    first = _play(env, picks)
    env.set_state(state)
    again = _play(env, picks)
    assert first == again
    other = ToolTaskEnv(family, "hard")  # a fresh env, on another episode
    other.reset(seed=99)
    other.set_state(state)
    assert _play(other, picks) == first
    env.set_state(state)  # the snapshot stays reusable
    assert _play(env, picks) == first
    assert isinstance(state, ToolTaskState)


def test_set_state_refuses_another_configuration():
    a, b = ToolTaskEnv("FileTree", "easy"), ToolTaskEnv("FileTree", "hard")
    a.reset(seed=0)
    b.reset(seed=0)
    with pytest.raises(ValueError, match="FileTree-easy"):
        b.set_state(a.get_state())


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"family": "Chess"}, "tool-task family 'Chess' is unknown"),
        ({"difficulty": "insane"}, "difficulty 'insane' is unknown"),
        ({"hops": 500}, "hops must be an integer in [0, 60]"),
        ({"legs": 2}, "has no parameter 'legs'"),
        ({"reward_mode": "dense"}, "reward_mode 'dense' is unknown"),
        ({"max_turns": 0}, "max_turns must be a positive integer"),
    ],
)
def test_bad_parameters_raise_value_errors(kwargs, fragment):
    kwargs = {"family": "KnowledgeBase", **kwargs}
    with pytest.raises(ValueError) as err:
        ToolTaskEnv(**kwargs)
    assert fragment in str(err.value)


def test_household_rejects_a_house_too_small_for_the_distance():
    with pytest.raises(ValueError, match="rooms >= 2 \\* distance \\+ 1"):
        ToolTaskEnv("Household", "hard", rooms=4)


@pytest.mark.parametrize(
    "env_id", [c.id for c in env_cards("tool-task") if c.id.startswith("ToolTask/")]
)
def test_every_tooltask_id_passes_check_env(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped)
    card = next(c for c in env_cards("tool-task") if c.id == env_id)
    assert card.reference_score == 1.0 and card.random_score == RANDOM_SCORES[env_id]
    info = env.unwrapped.task_info()
    assert {t["name"] for t in info["tools"]} >= {info["final_tool"]}
    assert info["system_prompt"] in env.reset(seed=0)[0]


def test_catalog_lists_nine_tooltask_ids():
    ids = [c.id for c in env_cards("tool-task") if c.id.startswith("ToolTask/")]
    assert len(ids) == 9 == len(RANDOM_SCORES)
    assert "ToolTask/FileTree-hard-v0" in ids


@pytest.mark.parametrize(
    "family, kwargs",
    [
        ("KnowledgeBase", {"hops": 60, "distractors": 200}),
        ("FileTree", {"depth": 5, "hops": 16, "tops": 8, "branching": 3, "decoys": 16}),
        ("Household", {"locks": 12, "distance": 5, "rooms": 18, "decoys": 4}),
        ("Household", {"locks": 0, "distance": 0, "rooms": 18, "decoys": 16}),
    ],
)
def test_extreme_parameters_stay_bounded_and_solvable(family, kwargs):
    env = ToolTaskEnv(family, "hard", **kwargs)
    for seed in range(6):  # the task text stays within max_task_chars (reset raises otherwise)
        assert env.observation_space.contains(env.reset(seed=seed)[0])
    for seed in range(2):
        metrics = oracle_episode(env, seed)[-1][4]["episode_metrics"]
        assert metrics["success"] == 1.0 and metrics["turns"] == env.family.optimal_calls()


def test_household_needs_a_key_metal_per_lock_and_decoy():
    with pytest.raises(ValueError, match="locks \\+ decoys <= 16"):
        ToolTaskEnv("Household", "hard", locks=12, decoys=8)
