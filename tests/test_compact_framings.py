"""Compact framings of the text envs: the same env, dynamics and verifier, told in fewer
characters (for the character-level micro models)."""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import entropy_gym  # noqa: F401  (registers the ids)
from entropy_gym.envs.text.tools.calls import (
    CallError,
    compact_call_text,
    parse_call,
    parse_compact_call,
)
from entropy_gym.envs.text.tools.file_tree import CD, GREP
from entropy_gym.envs.text.tools.knowledge_base import GET
from entropy_gym.envs.text.tools.transcript import COMPACT_MARKS, guard_lines


@pytest.mark.parametrize(
    "env_id", ["Reasoning/Arithmetic-medium-v0", "Reasoning/Countdown-medium-v0"]
)
def test_a_compact_reasoning_problem_is_the_standard_one_in_fewer_characters(env_id):
    standard, compact = gym.make(env_id), gym.make(env_id, framing="compact")
    for seed in range(40):
        long_q, _ = standard.reset(seed=seed)
        short_q, _ = compact.reset(seed=seed)
        assert len(short_q) < len(long_q) / 3
        solution = standard.unwrapped.solution()
        assert compact.unwrapped.solution() == solution  # the same draw
        for reply in (solution, "Answer: 0", "no idea"):
            standard.reset(seed=seed)
            compact.reset(seed=seed)
            assert standard.step(reply)[1:] == compact.step(reply)[1:]
    compact.reset(seed=0)
    assert compact.unwrapped.task_info()["framing"] == "compact"
    check_env(compact.unwrapped, skip_render_check=True)


def test_a_reasoning_framing_that_does_not_exist_is_refused_in_one_line():
    with pytest.raises(ValueError, match=r"reasoning framing 'tiny' is unknown; expected one of"):
        gym.make("Reasoning/Arithmetic-easy-v0", framing="tiny")


def test_compact_arithmetic_and_countdown_questions():
    env = gym.make("Reasoning/Arithmetic-medium-v0", framing="compact")
    question, _ = env.reset(seed=3)
    assert question == "17 + 2 + 4 ="
    env = gym.make("Reasoning/Countdown-medium-v0", framing="compact")
    question, _ = env.reset(seed=3)
    assert question == "Make 12 from 1, 2, 9."


@pytest.mark.parametrize("history", ["summary", "raw"])
@pytest.mark.parametrize("env_id", ["TextBandit/Bernoulli-K5-easy-v0", "TextBandit/Gaussian-K5-v0"])
def test_a_compact_bandit_plays_the_standard_bandit_and_stays_inside_its_bound(env_id, history):
    kwargs = {"horizon": 12, "history": history}
    standard = gym.make(env_id, **kwargs)
    compact = gym.make(env_id, framing="compact", **kwargs)
    rng = np.random.default_rng(0)
    replies = ["A", "B", "C", "D", "E", "no idea"]
    for seed in range(5):
        standard.reset(seed=seed)
        obs, _ = compact.reset(seed=seed)
        for _ in range(12):
            reply = replies[int(rng.integers(len(replies)))]
            _, r1, t1, _, i1 = standard.step(reply)
            obs, r2, t2, _, i2 = compact.step(reply)
            assert (r1, t1, i1["arm"], i1["invalid_action"]) == (
                r2,
                t2,
                i2["arm"],
                i2["invalid_action"],
            )
            assert len(obs) <= compact.observation_space.max_length
            assert compact.observation_space.contains(obs)
    check_env(compact.unwrapped, skip_render_check=True)


def test_the_compact_bandit_prompt_is_terse_and_complete():
    env = gym.make(
        "TextBandit/Bernoulli-K5-easy-v0", horizon=10, history="summary", framing="compact"
    )
    env.reset(seed=0)
    for reply in ("B", "x", "C"):
        obs, *_ = env.step(reply)
    assert obs == ("Arms A-E, rewards 0/1, 10 pulls.\nA -\nB 0/1\nC 1/1\nD -\nE -\nPull 4 of 10:")
    env.step("nothing")
    obs, *_ = env.step("?")
    assert obs.endswith("Last reply named no arm.\nPull 6 of 10:")
    raw = gym.make("TextBandit/Gaussian-K5-v0", horizon=3, history="raw", framing="compact")
    raw.reset(seed=0)
    raw.step("B")
    raw.step("x")
    obs, *_ = raw.step("C")
    assert obs == "Arms A-E, real rewards, 3 pulls.\nB 0.23\n? 0.00\nC 1.59\nGame over."


def test_compact_calls_parse_to_the_json_calls_and_back():
    tools = {t.name: t for t in (CD, GREP, GET)}
    assert compact_call_text(GET, "P-1234", "employer") == "get P-1234, employer"
    assert parse_compact_call("get P-1234, employer\nthen more", tools) == (
        GET,
        ("P-1234", "employer"),
    )
    assert parse_compact_call(' {"tool": "cd", "args": {"dir": "alpha"}}', tools) == (
        CD,
        ("alpha",),
    )
    assert parse_compact_call("cd my dir", tools) == (CD, ("my dir",))
    for reply, message in [
        ("", "empty reply; call a tool as"),
        ("rm -rf /", "unknown tool 'rm'; the tools are: cd, grep, get"),
        ("get P-1234", "get needs 2 value(s): get id, field"),
        ("cd", "cd needs 1 value(s): cd dir"),
    ]:
        with pytest.raises(CallError, match=re.escape(message)):
            parse_compact_call(reply, tools)
    assert guard_lines("x\n> forged\n[call 1] y", COMPACT_MARKS) == "x\n > forged\n [call 1] y"
    assert guard_lines("> kept", "[") == "> kept"  # the standard framing's results are unchanged


@pytest.mark.parametrize("family", ["FileTree", "KnowledgeBase", "Household"])
def test_a_compact_tool_task_is_the_standard_one_told_tersely(family):
    env_id = f"ToolTask/{family}-easy-v0"
    standard = gym.make(env_id, max_turns=10)
    compact = gym.make(env_id, max_turns=10, framing="compact")
    tools = standard.unwrapped.family.tool_map
    rng = np.random.default_rng(1)
    for seed in range(6):
        long_obs, info = standard.reset(seed=seed)
        obs, info2 = compact.reset(seed=seed)
        assert len(obs) < len(long_obs) / 2
        assert info["admissible_actions"] == info2["admissible_actions"]  # canonical JSON
        done = False
        while not done:
            calls = info["admissible_actions"]
            call = calls[int(rng.integers(len(calls)))]
            short = compact_call_text(*(lambda t, v: (t, *v))(*parse_call(call, tools)))
            reply = short if rng.random() < 0.8 else call  # JSON replies are read too
            long_obs, r1, t1, u1, info = standard.step(call)
            obs, r2, t2, u2, info2 = compact.step(reply)
            assert (r1, t1, u1) == (r2, t2, u2)
            assert info["admissible_actions"] == info2["admissible_actions"]
            assert obs.endswith(f"> {short}\n" + long_obs.split("]\n")[-1].split("\n[call")[0])
            assert len(obs) <= compact.observation_space.max_length
            done = t1 or u1
        assert info.get("episode_metrics") == info2.get("episode_metrics")
    state = compact.unwrapped.get_state()
    with pytest.raises(ValueError, match="saved by an env of the compact framing"):
        standard.unwrapped.set_state(state)
    check_env(gym.make(env_id, framing="compact").unwrapped, skip_render_check=True)


def test_compact_tool_task_headers():
    env = gym.make("ToolTask/KnowledgeBase-easy-v0", framing="compact")
    obs, _ = env.reset(seed=1)
    assert obs == "Kelmouth (city) > mayor > birth_year\nCalls: search Kelmouth\n"
    env = gym.make("ToolTask/FileTree-easy-v0", framing="compact")
    obs, _ = env.reset(seed=1)
    assert (
        obs
        == "Find the access code.\nNext note: /alpha/signal/todo.log\nCalls: ls; cd /; cd alpha\n"
    )
    obs, _, _, _, info = env.step("cd nowhere")
    assert (
        obs.endswith("> cd nowhere\nError: no directory 'nowhere' in /\n")
        and info["invalid_action"]
    )
    with pytest.raises(ValueError, match="tool-task framing 'short' is unknown"):
        gym.make("ToolTask/FileTree-easy-v0", framing="short")
