"""Reasoning/: generated problems, the exact verifiers' rules, the env contract, the catalog."""

from __future__ import annotations

import math
import string
from types import SimpleNamespace

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from entropy_gym.agents import make_agent
from entropy_gym.envs.text.reasoning.problems import KINDS
from entropy_gym.envs.text.reasoning.verify import check_answer, check_expression, evaluate
from entropy_gym.registration import env_card, env_cards
from entropy_gym.runner.cells import Cell
from entropy_gym.runner.rollout import run_cell

IDS = [c.id for c in env_cards("reasoning") if c.game in KINDS]  # the generators written here


def test_the_catalog_has_two_kinds_at_three_difficulties_with_anchors():
    assert [
        f"Reasoning/{k}-{d}-v0"
        for k in ("Arithmetic", "Countdown")
        for d in ("easy", "medium", "hard")
    ] == IDS
    card = env_card("Reasoning/Countdown-hard-v0")
    assert (card.family, card.type, card.game) == ("reasoning", "hard", "Countdown")
    assert (card.random_score, card.reference_score) == (0.0, 1.0)


@pytest.mark.parametrize("env_id", IDS)
def test_every_problem_has_a_solution_the_verifier_accepts_and_is_seeded(env_id):
    env = gym.make(env_id)
    questions = set()
    for seed in range(150):
        question, _ = env.reset(seed=seed)
        assert env.reset(seed=seed)[0] == question  # the seed fixes the problem
        questions.add(question)
        _, reward, terminated, truncated, info = env.step(env.unwrapped.solution())
        assert (reward, terminated, truncated, info["correct"]) == (1.0, True, False, True)
        env.reset(seed=seed)
        assert env.step("Answer: 100000")[1] == 0.0
    assert len(questions) > 90  # problems vary with the seed (easy Arithmetic has 162)


def test_harder_levels_have_more_operands():
    for kind in ("Arithmetic", "Countdown"):
        counts = []
        for level in ("easy", "medium", "hard"):
            env = gym.make(f"Reasoning/{kind}-{level}-v0")
            env.reset(seed=3)
            counts.append(env.unwrapped.task_info()["operands"])
        assert counts == sorted(counts) and counts[0] < counts[-1]


@pytest.mark.parametrize(
    "reply, judged, correct",
    [
        ("Answer: 12", "12", True),
        ("7 + 5 = 12", "12", True),  # no Answer: -> the last integer
        ("Answer: 12, not 13", "12", True),  # the integer right after the last Answer:
        ("answer = 11. Later: Answer: 12", "12", True),
        ("I think 13", "13", False),
        ("Answer: 12.5", None, False),  # a decimal is no integer
        ("twelve", None, False),
        ("Answer: -12", "-12", False),
    ],
)
def test_the_answer_rule(reply, judged, correct):
    verdict = check_answer(reply, 12)
    assert (verdict.judged, verdict.correct, verdict.invalid) == (judged, correct, judged is None)


@pytest.mark.parametrize(
    "reply, judged, reason",
    [
        ("3 + 5 * 2 = 13", "3 + 5 * 2", "correct"),
        ("Answer: (5 * 2) + 3", "(5 * 2) + 3", "correct"),
        ("try 2 * 5 - 3 ... no. Answer: 2 * 5 + 3", "2 * 5 + 3", "correct"),
        ("2 * 5 + 3 or 3 + 2 * 5", "3 + 2 * 5", "correct"),  # one judged: the last
        ("Answer: 5 * 2 + 3 + 3", "5 * 2 + 3 + 3", "must use each of 2, 3, 5 exactly once"),
        ("Answer: 5 + 2 * 3", "5 + 2 * 3", "5 + 2 * 3 = 11, not 13"),
        ("Answer: 2 ** 5 + 3", "2 ** 5 + 3", "Pow is not allowed (only + - * / and integers)"),
        ("Answer: 13", None, "no expression with an operator in the reply"),
        ("Answer: (3 + 5) / (2 - 2)", "(3 + 5) / (2 - 2)", "division by zero"),
    ],
)
def test_the_expression_rule(reply, judged, reason):
    verdict = check_expression(reply, (2, 3, 5), 13)
    assert (verdict.judged, verdict.reason) == (judged, reason)
    assert verdict.correct == (reason == "correct")


def test_division_is_exact_and_unary_minus_is_refused():
    assert check_expression("Answer: 7 / 2 * 4", (2, 4, 7), 14).correct
    assert not check_expression("Answer: 7 / 2 + 4", (2, 4, 7), 7).correct  # 7.5
    with pytest.raises(ValueError, match="UnaryOp is not allowed"):
        evaluate("-2 + 5")
    with pytest.raises(ValueError, match="longer than 200 characters"):
        evaluate("1 + " * 60 + "1")


def test_the_env_contract_and_its_errors():
    env = gym.make("Reasoning/Arithmetic-medium-v0", render_mode="ansi").unwrapped
    check_env(env, skip_render_check=True)
    with pytest.raises(RuntimeError, match=r"call reset\(\) before step\(\)"):
        gym.make("Reasoning/Arithmetic-easy-v0").unwrapped.step("1")
    env.reset(seed=0)
    with pytest.raises(TypeError, match="action is the reply text \\(str\\), got int"):
        env.step(3)
    _, reward, terminated, _, info = env.step("no idea")
    assert (reward, terminated, info["invalid_action"]) == (0.0, True, True)
    assert info["episode_metrics"] == {"success": 0.0, "invalid_rate": 1.0, "reply_chars": 7.0}
    assert env.render().endswith("no idea\n\n[no integer in the reply]")
    with pytest.raises(RuntimeError, match="the episode is over"):
        env.step("1")
    with pytest.raises(ValueError, match="reasoning difficulty 'extreme' is unknown"):
        gym.make("Reasoning/Arithmetic-easy-v0", difficulty="extreme")


def test_llm_grpo_fits_replies_to_the_text_action_space():
    agent = make_agent("llm_grpo")
    agent.lm = SimpleNamespace(decode=lambda ids: "7 \u00d7 5\x00 = 35" + "!" * 5000)
    agent.task = SimpleNamespace(action_space=gym.spaces.Text(4096, charset=string.printable))
    reply = agent._reply([1, 2])
    assert reply.startswith("7 ? 5? = 35!") and len(reply) == 4096


@pytest.mark.llm
def test_llm_grpo_trains_on_a_reasoning_task_through_the_runner(lm):
    cell = Cell(
        suite="t",
        agent_label="llm_grpo",
        agent_config={
            "name": "llm_grpo",
            "groups": 1,
            "group_size": 2,
            "max_new_tokens": 6,
            "epochs": 1,
            "learning_rate": 1e-4,
            "ent_coef": 0.01,
        },
        env_name="Reasoning/Arithmetic-easy-v0",
        env_id="Reasoning/Arithmetic-easy-v0",
        env_kwargs={},
        seed=0,
        num_envs=2,
        eval_episodes=2,
        budget={"episodes": 4},
    )
    result = run_cell(cell, "cpu")
    assert [r["update"] for r in result.telemetry] == [1.0, 2.0]
    for record in result.telemetry:
        for key in ("loss", "entropy", "covariance", "kl", "return", "success"):
            assert record[key] is not None and math.isfinite(record[key]), key
        assert record["grad_norm"] > 0  # a non-zero gradient: the parameters moved
    assert set(result.metrics) == {"success", "invalid_rate", "reply_chars"}
    assert result.env.family == "reasoning" and len(result.returns) == 2
    # Seeded from the cell: the same cell gives the same training and the same evaluation.
    again = run_cell(cell, "cpu")

    def untimed(records):
        return [{k: v for k, v in r.items() if not k.endswith("_s")} for r in records]

    assert untimed(again.telemetry) == untimed(result.telemetry)
    assert again.returns == result.returns and again.episode_metrics == result.episode_metrics
