"""Reasoning/ ids backed by reasoning-gym: catalog, verifier, seeding and the env contract.

Needs the ``reasoning`` extra (skipped without it, except the test of what happens then).
"""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from entropy_gym.envs.text.reasoning import gym_tasks
from entropy_gym.registration import env_card, env_cards

needs_rg = pytest.mark.skipif(
    not gym_tasks.available(), reason=f"reasoning-gym is not installed: {gym_tasks.INSTALL_HINT}"
)
IDS = [gym_tasks.env_id(k, d) for k in gym_tasks.TASKS for d in gym_tasks.DIFFICULTIES]
SEEDS = range(40)


@needs_rg
def test_the_catalog_lists_twelve_tasks_at_three_difficulties_with_anchors():
    listed = [c.id for c in env_cards("reasoning") if c.game in gym_tasks.TASKS]
    assert listed == IDS and len(gym_tasks.TASKS) >= 10
    card = env_card("Reasoning/GCD-hard-v0")
    assert (card.family, card.type, card.game) == ("reasoning", "hard", "GCD")
    assert (card.random_score, card.reference_score) == (0.0, 1.0)
    assert "reasoning-gym gcd" in card.description and "max_value=10000" in card.description


def _other_answer(env, seed: int, answer: str) -> str:
    """An answer the generator gives to another problem, different from ``answer``."""
    for other in range(seed + 1000, seed + 1100):
        env.reset(seed=other)
        candidate = env.unwrapped.solution()
        if candidate != answer:
            return candidate
    raise AssertionError("no other answer in 100 problems")


@needs_rg
@pytest.mark.parametrize("env_id", IDS)
def test_the_verifier_accepts_the_generators_answer_and_rejects_a_wrong_one(env_id):
    env = gym.make(env_id)
    questions = set()
    for seed in SEEDS:
        question, info = env.reset(seed=seed)
        assert env.reset(seed=seed) == (question, info)  # the seed fixes the problem
        questions.add(question)
        answer = env.unwrapped.solution()
        env.reset(seed=seed)
        _, reward, terminated, truncated, info = env.step(f"Let me think.\n{answer}")
        assert (reward, terminated, truncated, info["correct"]) == (1.0, True, False, True)
        assert info["score"] == 1.0
        wrong = _other_answer(env, seed, answer)
        env.reset(seed=seed)
        _, reward, _, _, info = env.step(wrong)
        assert (reward, info["correct"], info["invalid_action"]) == (0.0, False, False), wrong
        assert info["score"] < 1.0
    assert len(questions) > len(SEEDS) // 2  # problems vary with the seed (easy ones repeat)


@needs_rg
@pytest.mark.parametrize("kind", list(gym_tasks.TASKS))
def test_check_env_and_harder_levels_ask_more(kind):
    env = gym.make(gym_tasks.env_id(kind, "medium"), render_mode="ansi").unwrapped
    check_env(env, skip_render_check=True)
    info = env.task_info()
    assert info["dataset"] == gym_tasks.TASKS[kind].dataset and info["single_turn"]
    # Harder levels ask about more or larger things: longer questions on average.
    lengths = []
    for level in gym_tasks.DIFFICULTIES:
        e = gym.make(gym_tasks.env_id(kind, level))
        lengths.append(sum(len(e.reset(seed=s)[0]) for s in range(30)))
    assert lengths[0] < lengths[2] and lengths[1] <= lengths[2], lengths


@needs_rg
def test_replies_are_judged_on_the_last_answer_line_and_errors_are_clear():
    env = gym.make("Reasoning/ChainSum-easy-v0", render_mode="ansi").unwrapped
    env.reset(seed=0)
    value = env.solution().removeprefix("Answer: ")
    _, reward, _, _, info = env.step(f"Answer: 999\nno wait\nAnswer: {value}\nthat's it")
    assert (reward, info["judged"]) == (1.0, value)
    env.reset(seed=0)
    _, reward, _, _, info = env.step("   \n ")
    assert (reward, info["invalid_action"], info["reason"]) == (
        0.0, True, "nothing to judge in the reply",
    )  # fmt: skip
    assert info["episode_metrics"] == {"success": 0.0, "invalid_rate": 1.0, "reply_chars": 5.0}
    with pytest.raises(RuntimeError, match="the episode is over"):
        env.step("1")
    with pytest.raises(TypeError, match="action is the reply text \\(str\\), got int"):
        env.reset(seed=0)
        env.step(3)
    with pytest.raises(ValueError, match="reasoning-gym kind 'Nope' is unknown"):
        gym.make("Reasoning/ChainSum-easy-v0", kind="Nope")
    # A malformed answer that the library's parser raises on scores 0, not an exception.
    env = gym.make("Reasoning/FractionSimplification-easy-v0").unwrapped
    env.reset(seed=1)
    _, reward, _, _, info = env.step("Answer: seven halves")
    assert reward == 0.0 and not info["invalid_action"]


def test_without_reasoning_gym_the_ids_are_absent_and_asking_names_the_extra():
    """In a process where reasoning-gym cannot be imported, the ids are not registered and
    the catalog says in one line what they need."""
    code = (
        "import sys; sys.modules['reasoning_gym'] = None\n"
        "import importlib.util as u; real = u.find_spec\n"
        "u.find_spec = lambda name, *a: None if name == 'reasoning_gym' else real(name, *a)\n"
        "import gymnasium as gym, entropy_gym\n"
        "from entropy_gym.registration import env_card\n"
        "assert 'Reasoning/GCD-easy-v0' not in gym.registry\n"
        "assert 'Reasoning/Arithmetic-easy-v0' in gym.registry\n"
        "env_card('Reasoning/GCD-easy-v0')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1] == (
        "ValueError: env id 'Reasoning/GCD-easy-v0' needs reasoning-gym: "
        "pip install 'entropy-gym[reasoning]' (reasoning-gym 0.1.25, Python >= 3.11)"
    )
