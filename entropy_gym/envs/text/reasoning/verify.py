"""The exact verifiers of ``Reasoning/``: which part of a reply is judged, and how.

One rule per task kind, applied to the reply text alone (nothing else is read):

- **answer** (Arithmetic): the integer after the last ``Answer:`` in the reply; without one,
  the last integer in the reply. It must equal the problem's value exactly.
- **expression** (Countdown): the text after the last ``Answer:`` (else the whole reply) is cut
  into runs of expression characters (digits, ``+ - * / ( )`` and spaces); the last run that
  holds an operator and parses as integer arithmetic (``+ - * /``, parentheses) is the judged
  expression (one expression per reply, never the best of several). It must use each given
  number exactly once (as a multiset), and
  evaluate exactly (rational arithmetic, so ``/`` is exact and division by zero fails) to the
  target. ``3 + 5 = 8`` is judged on ``3 + 5``.

A reply with nothing to judge (no integer; no run with an operator) is *invalid*; a judged
answer that is wrong is *incorrect*. Both score 0.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

_ANSWER = re.compile(r"answer\s*[:=]", re.IGNORECASE)
_INTEGER = re.compile(r"(?<![\d.])-?\d+(?![\d.])")
_RUN = re.compile(r"[0-9+\-*/() ]+")
_OPERATOR = re.compile(r"\d\s*[+\-*/]\s*[\d(]|\)\s*[+\-*/]")
#: Longest expression judged (characters) and largest literal: bounds the evaluation's cost.
MAX_EXPRESSION_CHARS = 200
MAX_LITERAL = 10**6


@dataclass(frozen=True)
class Verdict:
    """What the verifier made of a reply: the judged text (``None``: nothing to judge)."""

    judged: str | None
    correct: bool
    reason: str

    @property
    def invalid(self) -> bool:
        return self.judged is None


def check_reply_action(action: object, started: bool, done: bool) -> None:
    """Refuse a step before ``reset``, after the episode's one reply, or with a non-text reply."""
    if not started:
        raise RuntimeError("call reset() before step()")
    if done:
        raise RuntimeError("the episode is over; call reset() before step()")
    if not isinstance(action, str):
        raise TypeError(f"a Reasoning/ action is the reply text (str), got {type(action).__name__}")


def reply_info(verdict: Verdict, reply: str, **extra: Any) -> dict[str, Any]:
    """The ``info`` of a Reasoning/ step: the verdict, ``extra`` keys, and episode metrics."""
    success = 1.0 if verdict.correct else 0.0
    return {
        "correct": verdict.correct,
        "invalid_action": verdict.invalid,
        "judged": verdict.judged,
        "reason": verdict.reason,
        **extra,
        "episode_metrics": {
            "success": success,
            "invalid_rate": float(verdict.invalid),
            "reply_chars": float(len(reply)),
        },
    }


def _after_last_answer(reply: str) -> str:
    marks = list(_ANSWER.finditer(reply))
    return reply[marks[-1].end() :] if marks else reply


def check_answer(reply: str, value: int) -> Verdict:
    """Judge an integer answer (the rule in the module docstring)."""
    marks = list(_ANSWER.finditer(reply))
    if marks:
        found = _INTEGER.search(reply, marks[-1].end())
    else:
        found = None
        for found in _INTEGER.finditer(reply):  # noqa: B007 - the last one is kept
            pass
    if found is None:
        return Verdict(None, False, "no integer in the reply")
    answer = int(found.group())
    if answer == value:
        return Verdict(found.group(), True, "correct")
    return Verdict(found.group(), False, f"{answer} is not {value}")


def judged_expression(reply: str) -> str | None:
    """The expression the Countdown rule judges in ``reply``, or ``None``."""
    for run in reversed(_RUN.findall(_after_last_answer(reply))):
        run = run.strip()
        if _OPERATOR.search(run) and _parses(run):
            return run
    return None


def _parses(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


def evaluate(expression: str) -> tuple[Fraction, list[int]]:
    """The exact value of ``expression`` and the integer literals it uses.

    Raises ``ValueError`` for anything but non-negative integer literals, the binary operators
    ``+ - * /`` and parentheses (unary minus is refused: every number must be a given one).
    """
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ValueError(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        raise ValueError("not an arithmetic expression") from None
    literals: list[int] = []

    def value(node: ast.AST) -> Fraction:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            if node.value > MAX_LITERAL:
                raise ValueError(f"number {node.value} is too large")
            literals.append(node.value)
            return Fraction(node.value)
        if isinstance(node, ast.BinOp):
            left, right = value(node.left), value(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                if right == 0:
                    raise ValueError("division by zero")
                return left / right
            node = node.op
        raise ValueError(f"{type(node).__name__} is not allowed (only + - * / and integers)")

    return value(tree.body), literals


def check_expression(reply: str, numbers: tuple[int, ...], target: int) -> Verdict:
    """Judge a Countdown reply (the rule in the module docstring)."""
    expression = judged_expression(reply)
    if expression is None:
        return Verdict(None, False, "no expression with an operator in the reply")
    try:
        result, used = evaluate(expression)
    except ValueError as err:
        return Verdict(expression, False, str(err))
    if Counter(used) != Counter(numbers):
        given = ", ".join(map(str, numbers))
        return Verdict(expression, False, f"must use each of {given} exactly once")
    if result != target:
        return Verdict(expression, False, f"{expression} = {result}, not {target}")
    return Verdict(expression, True, "correct")
