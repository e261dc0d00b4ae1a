"""``Reasoning/`` ids backed by reasoning-gym's procedural generators and verifiers.

`reasoning-gym <https://github.com/open-thought/reasoning-gym>`_ (Apache-2.0) holds more than a
hundred generators with verifiers, the ones RLVR work trains on. Twelve are curated here for
short answers (a number, a fraction, a word) and knobs that set difficulty; each is an id at
``easy``, ``medium`` and ``hard``, ``Reasoning/<Kind>-<difficulty>-v0``, whose levels are
reasoning-gym config values (:data:`TASKS`). The ids are registered only where the package
imports (``pip install 'entropy-gym[reasoning]'``, Python >= 3.11); elsewhere asking for one
names the extra (:func:`register`).
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from typing import Any

from entropy_gym.registration import EnvCard, note_unavailable, register_env

ENTRY_POINT = "entropy_gym.envs.text.reasoning.gym_env:ReasoningGymEnv"
INSTALL_HINT = "pip install 'entropy-gym[reasoning]' (reasoning-gym 0.1.25, Python >= 3.11)"


@dataclass(frozen=True)
class Task:
    """One curated reasoning-gym dataset: its name there, what it asks, the answer's form,
    and per difficulty the config values that set it."""

    dataset: str
    description: str
    answer: str
    levels: dict[str, dict[str, Any]] = field(default_factory=dict)


def _levels(easy: dict[str, Any], medium: dict[str, Any], hard: dict[str, Any]) -> dict[str, Any]:
    return {"easy": easy, "medium": medium, "hard": hard}


def _terms(low: int, high: int, digits: tuple[int, int]) -> dict[str, int]:
    return {"min_terms": low, "max_terms": high, "min_digits": digits[0], "max_digits": digits[1]}


#: Kind -> task; the levels are keyword arguments of reasoning-gym's config for the dataset.
TASKS: dict[str, Task] = {
    "ChainSum": Task(
        "chain_sum", "add and subtract a chain of integers", "integer",
        _levels(_terms(2, 2, (1, 1)), _terms(3, 4, (1, 2)), _terms(5, 6, (2, 3))),
    ),
    "BasicArithmetic": Task(
        "basic_arithmetic", "evaluate an integer expression", "integer",
        _levels(
            {**_terms(2, 3, (1, 1)), "operators": ("+", "-"), "allow_parentheses": False,
             "allow_negation": False},
            {**_terms(3, 4, (1, 2)), "operators": ("+", "-", "*"), "allow_parentheses": True,
             "allow_negation": False},
            {**_terms(4, 6, (1, 2)), "operators": ("+", "-", "*", "/"),
             "allow_parentheses": True, "allow_negation": True},
        ),
    ),
    "Products": Task(
        "products", "multiply integers", "integer",
        _levels(_terms(2, 2, (1, 1)), _terms(2, 2, (2, 2)), _terms(3, 3, (2, 2))),
    ),
    "GCD": Task(
        "gcd", "greatest common divisor", "integer",
        _levels(
            {"min_numbers": 2, "max_numbers": 2, "min_value": 1, "max_value": 100},
            {"min_numbers": 2, "max_numbers": 2, "min_value": 1, "max_value": 1000},
            {"min_numbers": 3, "max_numbers": 3, "min_value": 1, "max_value": 10000},
        ),
    ),
    "LCM": Task(
        "lcm", "least common multiple", "integer",
        _levels(
            {"min_numbers": 2, "max_numbers": 2, "min_value": 1, "max_value": 20},
            {"min_numbers": 2, "max_numbers": 2, "min_value": 1, "max_value": 100},
            {"min_numbers": 3, "max_numbers": 3, "min_value": 1, "max_value": 100},
        ),
    ),
    "CountBits": Task(
        "count_bits", "count the 1 bits of an integer", "integer",
        _levels({"min_n": 1, "max_n": 255}, {"min_n": 1, "max_n": 65535},
                {"min_n": 1, "max_n": 2**31 - 1}),
    ),
    "LegCounting": Task(
        "leg_counting", "count the legs of a list of animals", "integer",
        _levels(
            {"min_animals": 2, "max_animals": 3, "min_instances": 1, "max_instances": 3},
            {"min_animals": 3, "max_animals": 5, "min_instances": 1, "max_instances": 10},
            {"min_animals": 6, "max_animals": 10, "min_instances": 1, "max_instances": 15},
        ),
    ),
    "LetterCounting": Task(
        "letter_counting", "count a letter's occurrences in a text", "integer",
        _levels({"min_words": 3, "max_words": 5}, {"min_words": 5, "max_words": 10},
                {"min_words": 10, "max_words": 20}),
    ),
    # From 1: reasoning-gym writes 0 in another base as an empty string.
    "BaseConversion": Task(
        "base_conversion", "convert a number between bases", "number in the target base",
        _levels(
            {"min_base": 2, "max_base": 10, "min_value": 1, "max_value": 64},
            {"min_base": 2, "max_base": 16, "min_value": 1, "max_value": 1000},
            {"min_base": 2, "max_base": 36, "min_value": 1, "max_value": 100000},
        ),
    ),
    "FractionSimplification": Task(
        "fraction_simplification", "reduce a fraction to lowest terms", "fraction a/b",
        _levels(
            {"min_value": 1, "max_value": 20, "min_factor": 2, "max_factor": 10,
             "styles": ("plain",)},
            {"min_value": 1, "max_value": 100, "min_factor": 2, "max_factor": 50,
             "styles": ("plain",)},
            {"min_value": 1, "max_value": 1000, "min_factor": 2, "max_factor": 100,
             "styles": ("plain",)},
        ),
    ),
    "SimpleEquations": Task(
        "simple_equations", "solve a linear equation for its variable", "integer",
        _levels(
            {"min_terms": 2, "max_terms": 2, "min_value": 1, "max_value": 10,
             "operators": ("+", "-"), "operators_weights": (0.5, 0.5)},
            {"min_terms": 2, "max_terms": 3, "min_value": 1, "max_value": 50,
             "operators": ("+", "-", "*"), "operators_weights": (0.4, 0.4, 0.2)},
            {"min_terms": 3, "max_terms": 4, "min_value": 1, "max_value": 100,
             "operators": ("+", "-", "*"), "operators_weights": (0.4, 0.4, 0.2)},
        ),
    ),
    "SpellBackward": Task(
        "spell_backward", "spell a word backward", "word",
        _levels({"min_word_len": 3, "max_word_len": 4}, {"min_word_len": 5, "max_word_len": 7},
                {"min_word_len": 8, "max_word_len": 10}),
    ),
}  # fmt: skip

DIFFICULTIES = ("easy", "medium", "hard")


def env_id(kind: str, difficulty: str) -> str:
    """``Reasoning/<Kind>-<difficulty>-v0``."""
    return f"Reasoning/{kind}-{difficulty}-v0"


def available() -> bool:
    """Whether reasoning-gym can be imported here."""
    return sys.version_info >= (3, 11) and importlib.util.find_spec("reasoning_gym") is not None


def _knobs(level: dict[str, Any]) -> str:
    shown = {k: v for k, v in level.items() if k not in ("styles", "operators_weights")}
    return ", ".join(f"{k}={' '.join(v) if isinstance(v, tuple) else v}" for k, v in shown.items())


def register() -> None:
    """Register every reasoning-gym ``Reasoning/`` id where the package imports; elsewhere
    record them as needing the extra, so asking for one says how to get it."""
    ids = [env_id(kind, d) for kind in TASKS for d in DIFFICULTIES]
    if not available():
        note_unavailable(ids, f"needs reasoning-gym: {INSTALL_HINT}")
        return
    for kind, task in TASKS.items():
        for difficulty in DIFFICULTIES:
            register_env(
                EnvCard(
                    id=env_id(kind, difficulty),
                    family="reasoning",
                    type=difficulty,
                    game=kind,
                    description=f"reasoning-gym {task.dataset}: {task.description}; "
                    f"{_knobs(task.levels[difficulty])}",
                    entry_point=ENTRY_POINT,
                    kwargs={"kind": kind, "difficulty": difficulty},
                    random_score=0.0,
                    reference_score=1.0,
                    reference_source="reasoning-gym's verifier (score_answer) accepts the "
                    "generator's own answer for every problem (tested); random = 0",
                )
            )
