"""Problem generators of ``Reasoning/``: every problem is drawn from the env's seeded generator.

``Arithmetic``: evaluate an integer expression. ``Countdown``: combine the given numbers, each
exactly once, with ``+ - * /`` into an expression equal to the target (the target is built from
a random expression over the numbers, so every problem has a solution). Difficulty sets the
number of operands, their range and, for Arithmetic, the operators and parentheses.

Two framings tell the same problem (the same draws from the generator, the same verifier):
``standard`` asks in full sentences; ``compact`` states only the facts (``3 + 4 * 5 =``,
``Make 23 from 3, 4, 5.``), for character-level micro models whose cost grows with every
character of the prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from entropy_gym.envs.text.reasoning.verify import (
    Verdict,
    check_answer,
    check_expression,
    evaluate,
)

DIFFICULTIES = ("easy", "medium", "hard")
FRAMINGS = ("standard", "compact")


@dataclass(frozen=True)
class Level:
    """One difficulty: operand count, literal range (inclusive) and operators."""

    operands: int
    low: int
    high: int
    operators: str
    parentheses: bool = False


@dataclass(frozen=True)
class Problem:
    """A generated problem: the question shown, the reference solution and the verifier."""

    kind: str
    question: str
    solution: str
    value: int
    numbers: tuple[int, ...] = ()

    def check(self, reply: str) -> Verdict:
        if self.kind == "Countdown":
            return check_expression(reply, self.numbers, self.value)
        return check_answer(reply, self.value)


def _expression(rng: np.random.Generator, numbers: list[int], level: Level) -> str:
    """A random expression over ``numbers`` in order, optionally with one parenthesised pair
    (never the leading one, where parentheses would change nothing)."""
    ops = [str(rng.choice(list(level.operators))) for _ in range(len(numbers) - 1)]
    parts = [str(n) for n in numbers]
    if level.parentheses and len(numbers) >= 3:
        i = int(rng.integers(1, len(numbers) - 1))
        parts[i], parts[i + 1] = "(" + parts[i], parts[i + 1] + ")"
    text = parts[0]
    for op, part in zip(ops, parts[1:], strict=True):
        text += f" {op} {part}"
    return text


class Kind:
    """A kind of problem at one difficulty; subclasses set ``levels`` and ``generate``."""

    name: ClassVar[str]
    description: ClassVar[str]
    levels: ClassVar[dict[str, Level]]

    def __init__(self, difficulty: str) -> None:
        self.level = self.levels[difficulty]

    def draw(self, rng: np.random.Generator) -> tuple[list[int], str, int]:
        """Random operands, a random expression over them in order, and its value."""
        level = self.level
        numbers = [int(v) for v in rng.integers(level.low, level.high + 1, size=level.operands)]
        expression = _expression(rng, numbers, level)
        return numbers, expression, int(evaluate(expression)[0])

    def generate(self, rng: np.random.Generator, framing: str = "standard") -> Problem:
        """A problem drawn from ``rng``, its question told in ``framing`` (the draws do not
        depend on the framing)."""
        raise NotImplementedError


class Arithmetic(Kind):
    """Evaluate an integer expression (``+ - *``; parentheses at ``hard``)."""

    name = "Arithmetic"
    description = "evaluate an integer expression"
    levels = {
        "easy": Level(operands=2, low=1, high=9, operators="+-"),
        "medium": Level(operands=3, low=1, high=20, operators="+-*"),
        "hard": Level(operands=4, low=2, high=30, operators="+-*", parentheses=True),
    }

    def generate(self, rng: np.random.Generator, framing: str = "standard") -> Problem:
        _, expression, value = self.draw(rng)
        if framing == "compact":
            question = f"{expression} ="
        else:
            question = (
                f"What is {expression}?\n"
                "Think briefly, then give the result on the last line as: Answer: <integer>"
            )
        return Problem(self.name, question, f"Answer: {value}", value)


class Countdown(Kind):
    """Make the target from the given numbers, each used exactly once, with ``+ - * /``."""

    name = "Countdown"
    description = "combine the given numbers into an expression equal to the target"
    levels = {
        "easy": Level(operands=2, low=1, high=10, operators="+-*"),
        "medium": Level(operands=3, low=1, high=10, operators="+-*"),
        "hard": Level(operands=4, low=1, high=25, operators="+-*", parentheses=True),
    }

    def generate(self, rng: np.random.Generator, framing: str = "standard") -> Problem:
        numbers, expression, value = self.draw(rng)
        while value <= 0:  # a positive target; at most a few draws in practice
            numbers, expression, value = self.draw(rng)
        shown = sorted(numbers)
        listed = ", ".join(map(str, shown))
        if framing == "compact":
            question = f"Make {value} from {listed}."
        else:
            question = (
                f"Using the numbers {listed}, each exactly once, and the operations + - * /, "
                f"write an expression that equals {value}.\n"
                "Give the expression on the last line as: Answer: <expression>"
            )
        return Problem(self.name, question, f"Answer: {expression}", value, tuple(shown))


KINDS: dict[str, type[Kind]] = {
    "Arithmetic": Arithmetic,
    "Countdown": Countdown,
}
